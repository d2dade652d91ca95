"""mx.viz: plot_network's graphviz graph and print_summary's table."""
import re
import sys

import pytest

import mxlearn as mx
from mxlearn import visualization as viz
from mxlearn.base import MXNetError


def mlp():
    data = mx.sym.var('data')
    h = mx.sym.Activation(mx.sym.FullyConnected(data, num_hidden=128, name='fc1'),
                          act_type='relu', name='relu1')
    h = mx.sym.Activation(mx.sym.FullyConnected(h, num_hidden=64, name='fc2'),
                          act_type='relu', name='relu2')
    return mx.sym.SoftmaxOutput(mx.sym.FullyConnected(h, num_hidden=10, name='fc3'),
                                name='softmax')


def lenet():
    data = mx.sym.var('data')
    h = mx.sym.Convolution(data, kernel=(5, 5), num_filter=20, name='conv1')
    h = mx.sym.Activation(h, act_type='tanh', name='tanh1')
    h = mx.sym.Pooling(h, pool_type='max', kernel=(2, 2), stride=(2, 2), name='pool1')
    h = mx.sym.Convolution(h, kernel=(5, 5), num_filter=50, name='conv2')
    h = mx.sym.BatchNorm(h, name='bn')
    h = mx.sym.Activation(h, act_type='tanh', name='tanh2')
    h = mx.sym.Pooling(h, pool_type='avg', kernel=(2, 2), stride=(2, 2), name='pool2')
    h = mx.sym.Flatten(h, name='flatten')
    h = mx.sym.FullyConnected(h, num_hidden=500, name='fc1')
    h = mx.sym.LeakyReLU(h, act_type='leaky', name='lrelu')
    fc2 = mx.sym.FullyConnected(h, num_hidden=10, name='fc2')
    d = mx.sym.Dropout(fc2, p=0.5, name='drop')
    return mx.sym.SoftmaxOutput(mx.sym.Concat(d, fc2, dim=1, name='cat'), name='softmax')


NODE = re.compile(r'^\t(\w+) \[label=("[^"]*"|\w+) ([^\]\n]*)\]$', re.M)
EDGE = re.compile(r'^\t(\w+) -> (\w+) \[label=("[^"]*"|\w+) arrowtail=open dir=back\]$', re.M)


def parse(dot):
    """Nodes {name: (label, attrs)} and edges [(consumer, input, label)] of a dot source."""
    source = dot.source
    nodes = {}
    for name, label, attrs in NODE.findall(source):
        nodes[name] = (label.strip('"'), dict(a.split('=', 1) for a in attrs.split()))
    edges = [(a, b, label.strip('"')) for a, b, label in EDGE.findall(source)]
    return nodes, edges


# ---------------------------------------------------------------- plot_network --

def test_mlp_boxes_colours_and_hidden_weights():
    dot = viz.plot_network(mlp())
    assert dot.name == 'plot' and dot.format == 'pdf'
    assert dot.source.startswith('digraph plot {')
    nodes, edges = parse(dot)
    assert list(nodes) == ['data', 'fc1', 'relu1', 'fc2', 'relu2', 'fc3', 'softmax_label',
                           'softmax']
    assert nodes['fc1'][0] == 'FullyConnected\n128'
    assert nodes['relu2'][0] == 'Activation\nrelu'
    assert nodes['softmax'][0] == 'softmax'
    assert nodes['data'][1]['shape'] == 'oval' and nodes['fc1'][1]['shape'] == 'box'
    assert nodes['data'][1]['fillcolor'] == '"#8dd3c7"'
    assert nodes['fc3'][1]['fillcolor'] == '"#fb8072"'
    assert nodes['relu1'][1]['fillcolor'] == '"#ffffb3"'
    assert nodes['fc1'][1]['width'] == '1.3' and nodes['fc1'][1]['height'] == '0.8034'
    assert edges == [('fc1', 'data', ''), ('relu1', 'fc1', ''), ('fc2', 'relu1', ''),
                     ('relu2', 'fc2', ''), ('fc3', 'relu2', ''), ('softmax', 'fc3', ''),
                     ('softmax', 'softmax_label', '')]
    assert 'weight' not in dot.source and 'bias' not in dot.source


def test_mlp_edges_carry_shapes_without_the_batch_axis():
    _, edges = parse(viz.plot_network(mlp(), shape={'data': (32, 784)}))
    assert [label for _, _, label in edges] == ['784', '128', '128', '64', '64', '10', '']


def test_weights_shown_as_inputs_with_their_shapes():
    nodes, edges = parse(viz.plot_network(mlp(), shape={'data': (32, 784)},
                                          hide_weights=False))
    assert len(nodes) == 8 + 6 and nodes['fc1_weight'][1]['shape'] == 'oval'
    assert ('fc1', 'fc1_weight', '784') in edges and ('fc1', 'fc1_bias', '') in edges
    assert len(edges) == 7 + 6


def test_lenet_labels_and_shapes():
    dot = viz.plot_network(lenet(), title='lenet', save_format='png',
                           shape={'data': (32, 1, 28, 28)})
    assert dot.source.startswith('digraph lenet {') and dot.format == 'png'
    nodes, edges = parse(dot)
    assert nodes['conv1'][0] == 'Convolution\n5x5/1, 20'
    assert nodes['pool1'][0] == 'Pooling\nmax, 2x2/2x2'
    assert nodes['pool2'][0] == 'Pooling\navg, 2x2/2x2'
    assert nodes['lrelu'][0] == 'LeakyReLU\nleaky'
    assert nodes['bn'][0] == 'bn' and nodes['bn'][1]['fillcolor'] == '"#bebada"'
    assert nodes['pool1'][1]['fillcolor'] == '"#80b1d3"'
    assert nodes['flatten'][1]['fillcolor'] == nodes['cat'][1]['fillcolor'] == '"#fdb462"'
    assert len(nodes) == 16  # 14 operators, data and the label
    labels = {(a, b): label for a, b, label in edges}
    assert labels[('conv1', 'data')] == '1x28x28'
    assert labels[('tanh1', 'conv1')] == '20x24x24'
    assert labels[('conv2', 'pool1')] == '20x12x12'
    assert labels[('flatten', 'pool2')] == '50x4x4'
    assert labels[('fc1', 'flatten')] == '800'
    assert labels[('cat', 'drop')] == labels[('cat', 'fc2')] == '10'
    assert labels[('softmax', 'cat')] == '20'
    assert len(edges) == 16 and 'moving_mean' not in dot.source


def test_lenet_weights_and_stride_label():
    net = mx.sym.Convolution(mx.sym.var('x'), kernel=(3, 3), stride=(2, 2), num_filter=8,
                             no_bias=True, name='c')
    net = mx.sym.Pooling(net, global_pool=True, pool_type='avg', kernel=(1, 1), name='p')
    nodes, edges = parse(viz.plot_network(net, shape={'x': (2, 3, 9, 9)},
                                          hide_weights=False))
    assert nodes['c'][0] == 'Convolution\n3x3/2x2, 8' and nodes['p'][0] == 'Pooling\navg, global'
    assert ('c', 'c_weight', '3x3x3') in edges and ('p', 'c', '8x4x4') in edges


def test_group_dtypes_and_node_attrs():
    x, y = mx.sym.var('x'), mx.sym.var('y')
    s = mx.sym.split(x, num_outputs=2, name='s')
    g = mx.sym.Group([mx.sym.relu(s[0], name='r'), mx.sym.elemwise_add(s[1], y, name='add'),
                      s[1]])
    dot = viz.plot_network(g, shape={'x': (4, 6), 'y': (4, 3)},
                           dtype={'x': 'float64', 'y': 'float64'},
                           node_attrs={'shape': 'ellipse', 'fixedsize': 'false'})
    nodes, edges = parse(dot)
    assert list(nodes) == ['x', 's', 'r', 'y', 'add']
    assert nodes['s'][1]['shape'] == 'ellipse' and nodes['s'][1]['fixedsize'] == 'false'
    assert nodes['x'][1]['shape'] == 'oval'  # inputs stay ovals
    assert edges == [('s', 'x', '6(float64)'), ('r', 's', '3(float64)'),
                     ('add', 's', '3(float64)'), ('add', 'y', '3(float64)')]


def test_renders_for_jupyter():
    dot = viz.plot_network(mlp(), shape={'data': (1, 784)})
    assert '<svg' in dot.pipe(format='svg').decode()
    assert 'image/svg+xml' in dot._repr_mimebundle_()


def test_plot_network_errors(monkeypatch):
    with pytest.raises(MXNetError, match='needs a Symbol'):
        viz.plot_network(mx.nd.ones((2,)))
    with pytest.raises(MXNetError, match='do not determine those of data'):
        viz.plot_network(mlp(), shape={})
    with pytest.raises(MXNetError, match='not an input'):
        viz.plot_network(mlp(), shape={'x': (1, 2)})
    monkeypatch.setattr('shutil.which', lambda name: None)
    with pytest.warns(UserWarning, match='`dot` program'):
        viz.plot_network(mlp())
    monkeypatch.setitem(sys.modules, 'graphviz', None)
    with pytest.raises(ImportError, match='pip install graphviz'):
        viz.plot_network(mlp())


# --------------------------------------------------------------- print_summary --

def summary(capsys, *args, **kwargs):
    viz.print_summary(*args, **kwargs)
    return capsys.readouterr().out.splitlines()


def table(lines, stops=(52, 76, 88, 120)):
    """The rows of a summary as lists of the four stripped fields."""
    starts = (0,) + stops[:-1]
    return [[line[a:b].strip() for a, b in zip(starts, stops)] for line in lines
            if line and line[0] not in '_=' and not line.startswith(('Layer', 'Total'))]


def test_mlp_summary_counts_every_parameter(capsys):
    lines = summary(capsys, mlp(), shape={'data': (32, 784)})
    fc1, fc2, fc3 = 784 * 128 + 128, 128 * 64 + 64, 64 * 10 + 10
    assert table(lines) == [
        ['data(null)', '784', '0', ''],
        ['fc1(FullyConnected)', '128', str(fc1), 'data'],
        ['relu1(Activation)', '128', '0', 'fc1'],
        ['fc2(FullyConnected)', '64', str(fc2), 'relu1'],
        ['relu2(Activation)', '64', '0', 'fc2'],
        ['fc3(FullyConnected)', '10', str(fc3), 'relu2'],
        ['softmax(SoftmaxOutput)', '10', '0', 'fc3']]
    assert lines[-2] == 'Total params: %d' % (fc1 + fc2 + fc3) == 'Total params: 109386'
    # MXNet's layout: rules of the full width, columns at 44%, 64%, 74%
    assert lines[0] == '_' * 120 and lines[2] == '=' * 120 and lines[-1] == '_' * 120
    assert lines[1] == ('Layer (type)'.ljust(52) + 'Output Shape'.ljust(24) +
                        'Param #'.ljust(12) + 'Previous Layer'.ljust(32))
    assert all(len(line) == 120 for line in lines[:-2])
    assert lines[-3] == '=' * 120 and lines[4] == '_' * 120


def test_lenet_summary(capsys):
    rows = table(summary(capsys, lenet(), shape={'data': (32, 1, 28, 28)}))
    conv1, conv2 = 20 * (1 * 5 * 5) + 20, 50 * (20 * 5 * 5) + 50
    bn = 2 * 50  # gamma and beta; the moving statistics are not learned
    fc1, fc2 = 500 * 800 + 500, 10 * 500 + 10
    byname = {r[0]: r for r in rows if r[0]}
    assert byname['conv1(Convolution)'][1:] == ['20x24x24', str(conv1), 'data']
    assert byname['conv2(Convolution)'][1:] == ['50x8x8', str(conv2), 'pool1']
    assert byname['bn(BatchNorm)'][1:] == ['50x8x8', str(bn), 'conv2']
    assert byname['fc1(FullyConnected)'][1:] == ['500', str(fc1), 'flatten']
    assert byname['cat(Concat)'][1:] == ['20', '0', 'drop']
    assert rows[rows.index(byname['cat(Concat)']) + 1] == ['', '', '', 'fc2']
    lines = summary(capsys, lenet(), shape={'data': (32, 1, 28, 28)})
    assert lines[-2] == 'Total params: %d' % (conv1 + conv2 + bn + fc1 + fc2)


def test_summary_positions_shared_weights_and_unknown_shapes(capsys):
    w = mx.sym.var('shared_weight', shape=(4, 3))
    x = mx.sym.var('x')
    a = mx.sym.FullyConnected(x, weight=w, num_hidden=4, no_bias=True, name='a')
    b = mx.sym.FullyConnected(x, weight=w, num_hidden=4, no_bias=True, name='b')
    net = mx.sym.Group([a, b])
    lines = summary(capsys, net, line_length=60, positions=[20, 35, 45, 60])
    assert len(lines[1]) == 60 and lines[1].startswith('Layer (type)'.ljust(20))
    rows = table(lines, (20, 35, 45, 60))
    # no data shape: output shapes are blank, the weight (shape known) counts once
    assert rows == [['x(null)', '', '0', ''], ['a(FullyConnected)', '', '12', 'x'],
                    ['b(FullyConnected)', '', '0', 'x']]
    assert lines[-2] == 'Total params: 12'
    rows = table(summary(capsys, net, shape={'x': (2, 3)}))
    assert rows[1][1] == rows[2][1] == '4'
    with pytest.raises(MXNetError, match='needs a Symbol'):
        viz.print_summary('net')


def test_exported_as_mx_viz():
    assert mx.viz is mx.visualization is viz
