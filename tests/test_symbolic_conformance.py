"""MXNet 1.x symbol/executor code that must run unchanged: one test per behaviour fixed.

Each test is a snippet of the kind found in MXNet's symbol and executor
tutorials; expected values come from the maths (numpy), names and formats
from MXNet 1.9.1's documented behaviour.
"""
import copy
import json
import logging
import pickle

import numpy as np
import pytest

import mxlearn as mx
from mxlearn.attribute import AttrScope
from mxlearn.base import MXNetError
from mxlearn.monitor import Monitor
from mxlearn.test_utils import assert_almost_equal

sym = mx.sym


# --- names, attributes -------------------------------------------------------

def test_name_and_repr_of_multi_output_node_and_group():
    parts = sym.split(sym.var('x'), num_outputs=3, name='sp')
    assert parts.name == 'sp' and repr(parts) == '<Symbol sp>'
    group = sym.Group([sym.var('a') + sym.var('b'), sym.relu(sym.var('c'), name='r')])
    assert group.name is None
    assert repr(group) == '<Symbol group [%s, r]>' % group[0].name


def test_hidden_attribute_keys_listed_under_both_names():
    w = sym.var('w', lr_mult=2, wd_mult=0.5, attr={'ctx_group': 'g', 'mood': 'calm'})
    assert w.attr('lr_mult') == w.attr('__lr_mult__') == '2'
    assert w.list_attr() == {'__ctx_group__': 'g', 'ctx_group': 'g', 'mood': 'calm',
                             '__lr_mult__': '2', 'lr_mult': '2', '__wd_mult__': '0.5',
                             'wd_mult': '0.5'}
    node = json.loads(w.tojson())['nodes'][0]
    assert node['attrs'] == {'__ctx_group__': 'g', '__lr_mult__': '2', '__wd_mult__': '0.5',
                             'mood': 'calm'}
    assert sym.Group([w, w * 2]).list_attr() == {}
    assert sym.Group([w, w * 2]).attr('mood') is None


def test_set_attr_and_string_values():
    y = sym.relu(sym.var('x'), name='r')
    y._set_attr(lr_mult='3', note='n')
    assert y.attr('lr_mult') == '3' and y.attr_dict()['r'] == {
        '__lr_mult__': '3', 'lr_mult': '3', 'note': 'n'}
    with pytest.raises(MXNetError, match='strings'):
        y._set_attr(k=3)
    with pytest.raises(MXNetError, match='strings'):
        sym.relu(sym.var('x'), attr={'k': 1})


def test_attr_scope_nests_and_reaches_created_variables():
    with AttrScope(ctx_group='dev1', stage='a'):
        with AttrScope(stage='b'):
            x = sym.var('x')
            y = sym.FullyConnected(x, num_hidden=2, name='fc')
    z = sym.var('z')
    assert x.list_attr() == {'__ctx_group__': 'dev1', 'ctx_group': 'dev1', 'stage': 'b'}
    assert y.attr('ctx_group') == 'dev1' and z.list_attr() == {}
    # the weight MXNet creates for fc copies fc's attributes
    assert y.attr_dict()['fc_weight'] == {'num_hidden': '2', '__ctx_group__': 'dev1',
                                          'ctx_group': 'dev1', 'stage': 'b'}
    with pytest.raises(MXNetError, match='strings'):
        AttrScope(a=1)


def test_created_variables_copy_the_node_attributes():
    y = sym.Convolution(sym.var('data'), kernel=(3, 3), num_filter=4, name='conv')
    bn = sym.BatchNorm(y, fix_gamma=False, name='bn')
    nodes = {n['name']: n.get('attrs') for n in json.loads(bn.tojson())['nodes']}
    assert nodes['conv_weight'] == {'kernel': '(3, 3)', 'num_filter': '4'}
    assert nodes['data'] is None
    assert nodes['bn_moving_var'] == {'__init__': '["one", {}]', 'fix_gamma': 'False'}
    assert sym.load_json(bn.tojson()).attr_dict() == bn.attr_dict()


# --- composition and copies ----------------------------------------------------

def test_compose_by_keyword():
    fc1 = sym.FullyConnected(sym.var('data'), num_hidden=4, name='fc1')
    fc2 = sym.FullyConnected(sym.var('hidden'), num_hidden=2, name='fc2')
    net = fc2(hidden=fc1, name='composed')
    assert net.list_arguments() == ['data', 'fc1_weight', 'fc1_bias', 'fc2_weight',
                                    'fc2_bias']
    assert net.list_outputs() == ['composed_output']
    assert net.infer_shape(data=(3, 5))[0][3] == (2, 4)
    # the original is left as it was
    assert fc2.list_arguments() == ['hidden', 'fc2_weight', 'fc2_bias']
    assert fc2.name == 'fc2'
    y = sym.relu(sym.var('x'), name='r')
    y._compose(x=sym.var('a'))
    assert y.list_arguments() == ['a']


def test_compose_errors():
    y = sym.var('x') * 2
    with pytest.raises(MXNetError, match='keyword only'):
        y(sym.var('a'))
    with pytest.raises(MXNetError, match="'z' is not an input"):
        y(z=sym.var('a'))
    with pytest.raises(MXNetError, match='one output'):
        y(x=sym.Group([sym.var('a'), sym.var('b')]))
    with pytest.raises(MXNetError, match='must be a Symbol'):
        y(x=3)


def test_copies_and_pickle_are_independent_graphs():
    y = sym.FullyConnected(sym.var('x'), num_hidden=2, name='fc')
    for other in (copy.copy(y), copy.deepcopy(y), y.copy(), pickle.loads(pickle.dumps(y))):
        assert other.tojson() == y.tojson()
        other._set_attr(note='changed')
        assert y.attr('note') is None


# --- inference -----------------------------------------------------------------

def test_elementwise_inference_goes_both_ways():
    a, b = sym.var('a'), sym.var('b')
    assert (a + b).infer_shape(a=(2, 3)) == ([(2, 3), (2, 3)], [(2, 3)], [])
    # through relu (output -> input) and a scalar op
    y = sym.relu(a) * 2 + b
    assert y.infer_shape(b=(4,))[0] == [(4,), (4,)]
    # partial shapes (0 = unknown) are merged
    a2, b2 = sym.var('a2', shape=(2, 0)), sym.var('b2', shape=(0, 3))
    assert (a2 + b2).infer_shape() == ([(2, 3), (2, 3)], [(2, 3)], [])
    assert (sym.var('v', shape=(0, 3)) * 2).infer_shape_partial()[1] == [(0, 3)]
    # broadcast_* ops do not fix the other input
    assert sym.broadcast_add(a, b).infer_shape_partial(a=(2, 3))[0] == [(2, 3), ()]
    with pytest.warns(UserWarning, match='b'):
        assert sym.broadcast_add(a, b).infer_shape(a=(2, 3)) == (None, None, None)


def test_parameters_inferred_from_partly_known_data():
    x = sym.var('x', shape=(0, 4))
    args, outs, _ = sym.FullyConnected(x, num_hidden=5, name='fc').infer_shape_partial()
    assert args == [(0, 4), (5, 4), (5,)] and outs == [()]
    conv = sym.Convolution(sym.var('d'), kernel=(3, 3), num_filter=2, name='c')
    assert conv.infer_shape_partial(d=(0, 3, 8, 8))[0][1] == (2, 3, 3, 3)


def test_regression_label_of_one_output_per_example():
    y = sym.LinearRegressionOutput(sym.var('x'), name='lro')
    assert y.infer_shape(x=(3, 1))[0] == [(3, 1), (3,)]
    assert y.infer_shape(x=(3, 2))[0] == [(3, 2), (3, 2)]
    exe = y.simple_bind(mx.cpu(), x=(3, 1))
    exe.arg_dict['lro_label'][:] = mx.nd.array([1, 2, 3])
    exe.forward(is_train=True)
    exe.backward()
    # d/dx of (x - label)^2 / 2 with x = 0
    assert_almost_equal(exe.grad_dict['x'], -np.array([[1.0], [2.0], [3.0]]))


def test_infer_type_partial_and_astype():
    a, b = sym.var('a'), sym.var('b')
    assert (a + b).infer_type_partial() == ([None, None], [None], [])
    assert (a + b).infer_type_partial(a='float16')[1] == [np.float16]
    y = a.astype('float16')
    assert y.list_outputs()[0].startswith('cast')
    assert json.loads(y.tojson())['nodes'][1]['op'] == 'Cast'
    assert y.infer_type(a='float32')[1] == [np.float16]


# --- functions of mx.sym -----------------------------------------------------------

def test_scalar_aware_binary_functions():
    x, y = sym.var('x'), sym.var('y')
    vx, vy = np.array([1.0, 4.0]), np.array([3.0, 2.0])
    cases = [(sym.maximum(x, y), np.maximum(vx, vy), '_maximum'),
             (sym.maximum(x, 2), np.maximum(vx, 2), '_maximumscalar'),
             (sym.minimum(2, x), np.minimum(vx, 2), '_minimumscalar'),
             (sym.power(x, 2), vx ** 2, '_powerscalar'),
             (sym.pow(2, x), 2 ** vx, '_rpowerscalar'),
             (sym.hypot(x, y), np.hypot(vx, vy), '_hypot')]
    for s, expected, prefix in cases:
        assert s.name.startswith(prefix)
        exe = s.bind(mx.cpu(), {k: mx.nd.array(v) for k, v in (('x', vx), ('y', vy))
                                if k in s.list_arguments()})
        assert_almost_equal(exe.forward()[0], expected, rtol=1e-5)
    assert sym.maximum(2, 3) == 3


def test_creation_functions_use_internal_names():
    z = sym.zeros((2, 3))
    assert z.name.startswith('_zeros') and json.loads(z.tojson())['nodes'][0]['op'] == '_zeros'
    assert sym.ones((2,)).name.startswith('_ones')
    assert sym.arange(3).name.startswith('_arange')
    y = sym.var('x') + z
    assert y.infer_shape(x=(2, 3))[0] == [(2, 3)]
    assert_almost_equal(sym.full((2,), 7).eval()[0], np.full((2,), 7.0))


def test_random_and_linalg_namespaces():
    u = sym.random.uniform(2, 3, shape=(1000,))
    assert u.infer_shape()[1] == [(1000,)]
    values = u.eval()[0].asnumpy()
    assert values.min() >= 2 and values.max() < 3
    n = sym.random.normal(sym.var('mu'), sym.var('sigma'), shape=(2,))
    assert n.infer_shape(mu=(3,), sigma=(3,))[1] == [(3, 2)]
    assert sym.random.exponential(4).list_attr()['lam'] == '0.25'
    g = sym.linalg.gemm2(sym.var('a'), sym.var('b'))
    assert g.name.startswith('gemm2')
    assert json.loads(g.tojson())['nodes'][2]['op'] == '_linalg_gemm2'
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    out = g.eval(a=mx.nd.array(a), b=mx.nd.array(b))[0]
    assert_almost_equal(out, a @ b)
    assert sym.load_json(g.tojson()).infer_shape(a=(2, 3), b=(3, 4))[1] == [(2, 4)]


# --- values on symbols ---------------------------------------------------------------

def test_symbols_have_no_value():
    x = sym.var('x')
    with pytest.raises(MXNetError, match='bool'):
        if x > 0:
            pass
    with pytest.raises(MXNetError, match=r'asnumpy\(\)'):
        x.asnumpy()
    with pytest.raises(MXNetError, match=r'mx.sym.relu: got an NDArray.*F.relu'):
        sym.relu(mx.nd.ones((2,)))


# --- executor --------------------------------------------------------------------

def _mlp():
    data = sym.var('data')
    fc = sym.FullyConnected(data, num_hidden=4, name='fc')
    act = sym.Activation(fc, act_type='relu', name='relu')
    return sym.SoftmaxOutput(act + 1, name='softmax')


def test_debug_str_lists_outputs_variables_and_nodes():
    text = _mlp().debug_str()
    assert text.startswith('Symbol Outputs:\n\toutput[0]=softmax(0)\nVariable:data\n')
    assert ('Op:FullyConnected, Name=fc\nInputs:\n\targ[0]=data(0) version=0\n'
            '\targ[1]=fc_weight(0) version=0\n\targ[2]=fc_bias(0) version=0\n'
            'Attrs:\n\tnum_hidden=4\n') in text
    bn = sym.BatchNorm(sym.var('x'), name='bn').debug_str()
    assert '\targ[3]=bn_moving_mean(0) version=1' in bn
    exe = _mlp().simple_bind(mx.cpu(), data=(2, 3))
    text = exe.debug_str()
    assert 'Op:FullyConnected, Name=fc' in text and 'Total 0 MB allocated' in text
    assert text.count('\toutput[') == 5  # softmax, then the gradients of the 4 arguments


def test_monitor_callback_sees_every_node():
    exe = _mlp().simple_bind(mx.cpu(), data=(2, 3))
    seen = []
    exe.set_monitor_callback(lambda name, arr: seen.append((name, arr.shape)))
    exe.forward(is_train=True)
    assert [n for n, _ in seen] == ['fc_output', 'relu_output', '_plusscalar%s_output'
                                    % seen[2][0][len('_plusscalar'):-len('_output')],
                                    'softmax_output']
    assert seen[0][1] == (2, 4)
    seen.clear()
    exe.backward()
    assert seen and all(isinstance(n, str) for n, _ in seen)
    seen.clear()
    exe.set_monitor_callback(lambda name, arr: seen.append(name), monitor_all=True)
    exe.forward()
    assert seen[:7] == ['data', 'fc_data', 'fc_weight', 'fc_weight', 'fc_bias', 'fc_bias',
                        'fc_output']
    exe.set_monitor_callback(None)
    seen.clear()
    exe.forward()
    assert seen == []
    with pytest.raises(MXNetError, match='callable'):
        exe.set_monitor_callback(3)


def test_monitor_statistics_every_interval(caplog):
    y = sym.FullyConnected(sym.var('data'), num_hidden=2, name='fc')
    exe = y.simple_bind(mx.cpu(), data=(1, 4))
    exe.arg_dict['fc_weight'][:] = mx.nd.array([[1, 1, 1, 1], [3, 3, 3, 3]])
    exe.arg_dict['data'][:] = 1
    mon = Monitor(2, pattern='fc_.*', sort=True)
    mon.install(exe)
    results = []
    for _ in range(3):
        mon.tic()
        exe.forward()
        results.append(mon.toc())
    assert results[1] == []
    # rms: fc_output = [4, 12] -> sqrt(80); weights: sqrt(40 / 8)
    first = {name: float(text) for _, name, text in results[0]}
    assert sorted(first) == ['fc_bias', 'fc_output', 'fc_weight']
    assert first['fc_output'] == pytest.approx(np.sqrt(80))
    assert first['fc_weight'] == pytest.approx(np.sqrt(5))
    assert [step for step, _, _ in results[2]] == [3, 3, 3]
    mon = Monitor(1, stat_func=lambda x: [mx.nd.max(x), mx.nd.min(x)], pattern='fc_output')
    mon.install(exe)
    mon.tic()
    exe.forward()
    with caplog.at_level(logging.INFO):
        mon.toc_print()
    assert 'fc_output' in caplog.text and '12.0\t4.0\t' in caplog.text


def test_outputs_are_updated_in_place():
    exe = sym.relu(sym.var('x'), name='r').simple_bind(mx.cpu(), x=(2,))
    out = exe.outputs[0]
    exe.forward(x=mx.nd.array([-1.0, 2.0]))
    first = exe.outputs[0]
    exe.forward(x=mx.nd.array([3.0, -4.0]))
    assert exe.outputs[0] is out and first is out
    assert_almost_equal(first, np.array([3.0, 0.0]))


def test_variables_sharing_a_name_are_refused_at_bind():
    y = sym.var('x') * sym.var('x')
    assert y.list_arguments() == ['x', 'x']
    with pytest.raises(MXNetError, match="several different variables named 'x'"):
        y.simple_bind(mx.cpu(), x=(2,))


# --- test_utils -------------------------------------------------------------------

def test_simple_forward_and_check_speed():
    tu = mx.test_utils
    out = tu.simple_forward(sym.var('x') * 2 + sym.var('y'), x=np.array([1.0, 2.0]),
                            y=np.array([3.0, 4.0]))
    assert_almost_equal(out, np.array([5.0, 8.0]))
    y = sym.FullyConnected(sym.var('data'), num_hidden=3)
    assert tu.check_speed(y, N=2, data=(4, 5)) > 0
    assert tu.check_speed(y, N=1, typ='forward', data=(4, 5)) > 0


def test_get_mnist_as_in_the_tutorials():
    import os
    folder = os.path.join(os.environ.get('MXLEARN_DATA', ''), 'mnist')
    if not os.path.isfile(os.path.join(folder, 't10k-labels-idx1-ubyte.gz')):
        pytest.skip('no MNIST files (set MXLEARN_DATA)')
    mnist = mx.test_utils.get_mnist()
    assert mnist['train_data'].shape == (60000, 1, 28, 28)
    assert mnist['test_data'].dtype == np.float32 and mnist['test_data'].max() == 1.0
    assert mnist['test_label'].dtype == np.int8 and list(mnist['test_label'][:3]) == [7, 2, 1]
    train, val = mx.test_utils.get_mnist_iterator(100, (784,))
    assert train.provide_data[0].shape == (100, 784)


def test_output_slices():
    parts = sym.split(sym.var('x'), num_outputs=4, name='s')
    assert parts[1:3].list_outputs() == ['s_output1', 's_output2']
    assert parts[::2].list_outputs() == ['s_output0', 's_output2']
    with pytest.raises(MXNetError, match='selects none'):
        parts[5:]


def test_numeric_gradient_grad_nodes_dict_with_null():
    x, w = sym.var('x'), sym.var('w')
    y = sym.FullyConnected(x, w, num_hidden=2, no_bias=True)
    location = {'x': np.array([[1.0, 2.0], [3.0, 4.0]]), 'w': np.eye(2)}
    mx.test_utils.check_numeric_gradient(y, location, grad_nodes={'x': 'write', 'w': 'null'})
    mx.test_utils.check_numeric_gradient(lambda x, w: mx.nd.dot(x, w), location,
                                         grad_nodes={'x': 'null', 'w': 'add'})
