"""mx.sym: graph building, inference, JSON and eval (mxlearn.symbol)."""
import json
import os

import numpy as np
import pytest

import mxlearn as mx
from mxlearn import symbol as sym
from mxlearn.base import MXNetError
from mxlearn.gluon.name import NameManager
from mxlearn.symbol.json_format import parse_value
from mxlearn.test_utils import assert_almost_equal

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')


def mlp():
    data = sym.var('data')
    h = sym.Activation(sym.FullyConnected(data, num_hidden=16, name='fc1'), act_type='relu')
    return sym.SoftmaxOutput(sym.FullyConnected(h, num_hidden=10, name='fc2'), name='softmax')


def lenet():
    x = sym.Convolution(sym.var('data'), kernel=(5, 5), num_filter=6, name='conv1')
    x = sym.Pooling(sym.BatchNorm(x, name='bn1'), kernel=(2, 2), stride=(2, 2))
    x = sym.FullyConnected(sym.Flatten(x), num_hidden=10, name='fc1')
    return sym.SoftmaxOutput(x, name='softmax')


def test_automatic_names_and_variables():
    with NameManager():
        x = sym.var('x')
        a, b = sym.FullyConnected(x, num_hidden=2), sym.FullyConnected(x, num_hidden=2)
        c = sym.Convolution(x, kernel=(3, 3), num_filter=1)
    assert (a.name, b.name, c.name) == ('fullyconnected0', 'fullyconnected1', 'convolution0')
    assert a.list_arguments() == ['x', 'fullyconnected0_weight', 'fullyconnected0_bias']
    assert sym.FullyConnected(x, num_hidden=2, no_bias=True, name='fc').list_arguments() == [
        'x', 'fc_weight']
    assert sym.LeakyReLU(x, act_type='prelu', name='p').list_arguments() == ['x', 'p_gamma']
    assert sym.LeakyReLU(x, name='l').list_arguments() == ['x']


def test_batchnorm_auxiliary_states():
    bn = sym.BatchNorm(sym.var('x'), name='bn')
    assert bn.list_arguments() == ['x', 'bn_gamma', 'bn_beta']
    assert bn.list_auxiliary_states() == ['bn_moving_mean', 'bn_moving_var']
    assert bn.list_inputs() == ['x', 'bn_gamma', 'bn_beta', 'bn_moving_mean', 'bn_moving_var']
    assert bn.list_outputs() == ['bn_output']
    assert sym.BatchNorm(sym.var('x'), output_mean_var=True, name='b').list_outputs() == [
        'b_output', 'b_mean', 'b_var']
    assert bn.attr_dict()['bn_moving_var'] == {'__init__': '["one", {}]'}


def test_hidden_outputs_are_not_listed():
    x = sym.var('x')
    assert sym.Pooling(x, kernel=(2, 2), name='p').list_outputs() == ['p_output']
    assert sym.Dropout(x, name='d').list_outputs() == ['d_output']


def test_variable_attributes():
    v = sym.var('w', shape=(2, 3), lr_mult=2, wd_mult=0.5, dtype='float64',
                init=mx.init.Zero(), stype='csr', attr={'group': 'a'}, __ctx__='x')
    assert v.list_attr() == {'group': 'a', '__shape__': '(2, 3)', '__lr_mult__': '2',
                             '__wd_mult__': '0.5', '__dtype__': '1',
                             '__init__': '["zero", {}]', '__storage_type__': '2',
                             '__ctx__': 'x', 'lr_mult': '2', 'wd_mult': '0.5'}
    assert v.attr('__shape__') == '(2, 3)' and v.attr('missing') is None
    with pytest.raises(MXNetError, match='__ctx__'):
        sym.var('w', ctx='x')


def test_arithmetic_op_names():
    a, b = sym.var('a'), sym.var('b')
    with NameManager():
        cases = [(a + b, 'elemwise_add', '_plus0'), (a + 1, '_plus_scalar', '_plusscalar0'),
                 (1 - a, '_rminus_scalar', '_rminusscalar0'), (a * 2, '_mul_scalar', '_mulscalar0'),
                 (2 / a, '_rdiv_scalar', '_rdivscalar0'), (a ** b, '_power', '_power0'),
                 (2 ** a, '_rpower_scalar', '_rpower_scalar0'), (-a, '_mul_scalar', '_mulscalar1'),
                 (a > 1, '_greater_scalar', '_greater_scalar0'), (a - b, 'elemwise_sub', '_minus0')]
    for s, op, name in cases:
        assert json.loads(s.tojson())['nodes'][-1]['op'] == op
        assert s.name == name
    x, y = mx.nd.array([1., 2.]), mx.nd.array([3., 4.])
    out = ((a + b) * 2 - 1 / a + a ** 2 - (-b)).eval(a=x, b=y)[0]
    xn, yn = x.asnumpy(), y.asnumpy()
    assert_almost_equal(out.asnumpy(), (xn + yn) * 2 - 1 / xn + xn ** 2 + yn)


def test_group_internals_children_indexing():
    net = mlp()
    internals = net.get_internals()
    assert internals.list_outputs()[:4] == ['data', 'fc1_weight', 'fc1_bias', 'fc1_output']
    fc1 = internals['fc1_output']
    assert fc1.name == 'fc1' and fc1.list_arguments() == ['data', 'fc1_weight', 'fc1_bias']
    assert net.get_children().list_outputs() == ['fc2_output', 'softmax_label']
    assert sym.var('x').get_children() is None
    g = sym.Group([fc1, net])
    assert g.name is None and len(g) == 2 and g[1].name == 'softmax'
    s = sym.split(sym.var('x'), num_outputs=3, name='s')
    assert s.list_outputs() == ['s_output0', 's_output1', 's_output2'] and s[-1].name == 's'
    with pytest.raises(MXNetError, match="no output named 'nope'"):
        net['nope']


def test_infer_shape_mlp_and_lenet():
    args, outs, aux = mlp().infer_shape(data=(4, 20))
    assert args == [(4, 20), (16, 20), (16,), (10, 16), (10,), (4,)]
    assert outs == [(4, 10)] and aux == []
    args, outs, aux = lenet().infer_shape((2, 1, 28, 28))
    assert args == [(2, 1, 28, 28), (6, 1, 5, 5), (6,), (6,), (6,), (10, 864), (10,), (2,)]
    assert outs == [(2, 10)] and aux == [(6,), (6,)]


def test_infer_shape_partial_and_incomplete():
    net = mlp()
    args, outs, _ = net.infer_shape_partial(fc1_weight=(16, 20))
    assert args[1] == (16, 20) and args[0] == () and outs == [()]
    with pytest.warns(UserWarning, match='data'):
        assert net.infer_shape() == (None, None, None)
    v = sym.var('v', shape=(0, 3))
    assert (v * 2).infer_shape_partial() == ([(0, 3)], [(0, 3)], [])  # as MXNet


def test_infer_shape_errors_name_the_node():
    with pytest.raises(MXNetError, match=r"node 'fc1' \(operator FullyConnected\).*fc1_weight"):
        mlp().infer_shape(data=(4, 20), fc1_weight=(16, 7))
    with pytest.raises(MXNetError, match="'nope' is not an input"):
        mlp().infer_shape(nope=(1,))


def test_infer_type():
    args, outs, aux = lenet().infer_type(data='float64')
    assert all(t is np.float64 for t in args + outs + aux)
    emb = sym.Embedding(sym.var('i'), input_dim=5, output_dim=3)
    assert emb.infer_type(i='int32') == ([np.int32, np.float32], [np.float32], [])
    assert mlp().infer_type() == (None, None, None)


@pytest.mark.parametrize('text, default, value', [
    ('(5, 5)', (), (5, 5)), ('[2, 2]', (), (2, 2)), ('True', False, True), ('0', False, False),
    ('4', None, 4), ('0.5', 1.0, 0.5), ('None', None, None), ('relu', None, 'relu'),
    ('1', 'x', '1'), ('inf', 1.0, float('inf'))])
def test_parse_value(text, default, value):
    assert parse_value(text, default) == value


def test_json_round_trip(tmp_path):
    net = lenet()
    path = str(tmp_path / 'net-symbol.json')
    net.save(path)
    assert os.listdir(tmp_path) == ['net-symbol.json']
    back = sym.load(path)
    assert back.tojson() == net.tojson()
    assert back.infer_shape(data=(2, 1, 28, 28)) == net.infer_shape(data=(2, 1, 28, 28))
    node = json.loads(net.tojson())['nodes'][-1]
    assert node['op'] == 'SoftmaxOutput' and node['inputs'][-1][2] == 0
    concat = sym.Concat(sym.var('a'), sym.var('b'), dim=0)
    assert json.loads(concat.tojson())['nodes'][-1]['attrs'] == {'dim': '0', 'num_args': '2'}
    assert sym.load_json(concat.tojson()).list_attr() == {'dim': '0', 'num_args': '2'}


def test_load_json_errors():
    with pytest.raises(MXNetError, match='not a symbol JSON'):
        sym.load_json('{"nodes": 1}')
    bad = '{"nodes": [{"op": "NoSuchOp", "name": "n", "inputs": []}], "heads": [[0, 0, 0]]}'
    with pytest.raises(MXNetError, match="'NoSuchOp'"):
        sym.load_json(bad)


@pytest.mark.parametrize('name, args, aux', [
    ('mlp', ['data', 'fc1_weight', 'fc1_bias', 'fc2_weight', 'fc2_bias', 'softmax_label'], []),
    ('lenet', ['data', 'conv1_weight', 'conv1_bias', 'bn1_gamma', 'bn1_beta', 'conv2_weight',
               'conv2_bias', 'fc1_weight', 'fc1_bias', 'softmax_label'],
     ['bn1_moving_mean', 'bn1_moving_var'])])
def test_mxnet_fixtures_load(name, args, aux):
    net = sym.load(os.path.join(FIXTURES, 'mxnet191_%s-symbol.json' % name))
    assert net.list_arguments() == args and net.list_auxiliary_states() == aux
    assert net.list_outputs() == ['softmax_output']
    arg_shapes, out_shapes, _ = net.infer_shape(data=(2, 1, 28, 28))
    assert out_shapes == [(2, 10)] and arg_shapes[1] == ((16, 784) if name == 'mlp'
                                                         else (6, 1, 5, 5))


def test_eval_matches_nd():
    rng = np.random.default_rng(0)
    shapes = dict(zip(lenet().list_arguments(), lenet().infer_shape(data=(2, 1, 12, 12))[0]))
    aux = {'bn1_moving_mean': mx.nd.zeros((6,)), 'bn1_moving_var': mx.nd.ones((6,))}
    values = {k: mx.nd.array(rng.standard_normal(s)) for k, s in shapes.items()}
    values['softmax_label'] = mx.nd.array([1, 3])
    out = lenet().eval(ctx=mx.cpu(), **values, **aux)[0]
    v = values
    x = mx.nd.Convolution(v['data'], v['conv1_weight'], v['conv1_bias'], kernel=(5, 5),
                          num_filter=6)
    x = mx.nd.BatchNorm(x, v['bn1_gamma'], v['bn1_beta'], mx.nd.zeros((6,)), mx.nd.ones((6,)))
    x = mx.nd.Pooling(x, kernel=(2, 2), stride=(2, 2))
    x = mx.nd.FullyConnected(mx.nd.Flatten(x), v['fc1_weight'], v['fc1_bias'], num_hidden=10)
    expected = mx.nd.SoftmaxOutput(x, v['softmax_label'])
    assert_almost_equal(out.asnumpy(), expected.asnumpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(MXNetError, match="no value given for input 'data'"):
        mlp().eval()


def test_fluent_methods():
    y = sym.var('x').reshape(shape=(2, -1)).sum(axis=1)
    assert y.infer_shape(x=(2, 3, 4))[1] == [(2,)]
