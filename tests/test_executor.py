"""The symbolic executor: bind/simple_bind, forward/backward against imperative autograd."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mxlearn as mx
from mxlearn import autograd, nd, sym
from mxlearn.base import MXNetError
from mxlearn.executor import Executor, GraphProgram
from mxlearn.test_utils import (assert_almost_equal, check_numeric_gradient,
                                check_symbolic_backward, check_symbolic_forward)

CTX = mx.cpu()


def rand(shape, seed=0, scale=1.0):
    return np.random.RandomState(seed).uniform(-scale, scale, shape).astype(np.float32)


def eager(symbol, values, grad_names, head_grads=None, is_train=True, seed=None):
    """Outputs and gradients of ``symbol`` run imperatively (``Symbol.eval`` under autograd)."""
    arrays = {k: nd.array(v) for k, v in values.items()}
    for name in grad_names:
        arrays[name].attach_grad()
    if seed is not None:
        mx.random.seed(seed)
    with autograd.record(train_mode=is_train):
        outs = symbol.eval(**arrays)
    if grad_names:
        autograd.backward(outs, head_grads, train_mode=is_train)
    return ([o.asnumpy() for o in outs],
            {n: arrays[n].grad.asnumpy() for n in grad_names}, arrays)


def mlp(num_classes=4):
    data = sym.var('data')
    h = sym.FullyConnected(data, num_hidden=8, name='fc1')
    h = sym.Activation(h, act_type='relu', name='relu1')
    h = sym.FullyConnected(h, num_hidden=num_classes, name='fc2')
    return sym.SoftmaxOutput(h, sym.var('softmax_label'), name='softmax')


def fill(exe, seed=0, skip=()):
    values = {}
    for k, (name, a) in enumerate(exe.arg_dict.items()):
        if name in skip:
            continue
        v = rand(a.shape, seed + k)
        a[:] = v
        values[name] = v
    return values


def compare(exe, values, grad_names, head_grads=None, seed=None, rtol=1e-4, atol=1e-5):
    np_heads = None
    if head_grads is not None:
        np_heads = [nd.array(h) for h in head_grads]
    if seed is not None:
        mx.random.seed(seed)
    outs = exe.forward(is_train=True)
    exe.backward(np_heads)
    want_outs, want_grads, _ = eager(exe._symbol, values, grad_names, np_heads, seed=seed)
    for got, want in zip(outs, want_outs):
        assert_almost_equal(got, want, rtol=rtol, atol=atol)
    for name in grad_names:
        assert_almost_equal(exe.grad_dict[name], want_grads[name], rtol=rtol, atol=atol,
                            names=('executor ' + name, 'autograd ' + name))


# ------------------------------------------------------------ forward/backward --

@pytest.mark.parametrize('optimize', [True, False])
def test_mlp_softmax_output_matches_autograd_at_two_points(optimize):
    net = mlp()
    exe = net.simple_bind(CTX, data=(6, 5), softmax_label=(6,),
                          grad_req={'fc1_weight': 'write', 'fc1_bias': 'write',
                                    'fc2_weight': 'write', 'fc2_bias': 'write'},
                          optimize=optimize)
    grads = ['fc1_weight', 'fc1_bias', 'fc2_weight', 'fc2_bias']
    for point in (0, 1):
        # A second point with other data and labels catches values frozen at tracing
        # time (the relu mask, the one-hot labels).
        values = fill(exe, seed=10 * point, skip=('softmax_label',))
        labels = np.random.RandomState(point).randint(0, 4, 6).astype(np.float32)
        exe.arg_dict['softmax_label'][:] = labels
        values['softmax_label'] = labels
        compare(exe, values, grads)
    assert exe.grad_dict['data'] is None


def test_mlp_gradient_is_the_cross_entropy_gradient():
    net = mlp(num_classes=3)
    x, w1, b1 = rand((4, 5), 1), rand((8, 5), 2), rand((8,), 3)
    w2, b2 = rand((3, 8), 4), rand((3,), 5)
    labels = np.array([0, 2, 1, 2], dtype=np.float32)
    h = np.maximum(x @ w1.T + b1, 0)
    z = h @ w2.T + b2
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    dz = p - np.eye(3)[labels.astype(int)]
    check_symbolic_forward(net, [x, w1, b1, w2, b2, labels], [p], rtol=1e-5, atol=1e-6)
    check_symbolic_backward(net, [x, w1, b1, w2, b2, labels], None,
                            {'fc2_weight': dz.T @ h, 'fc2_bias': dz.sum(0)},
                            rtol=1e-4, atol=1e-5)


def conv_net():
    data = sym.var('data')
    h = sym.Convolution(data, kernel=(3, 3), num_filter=3, pad=(1, 1), name='conv1')
    h = sym.BatchNorm(h, fix_gamma=False, name='bn1')
    h = sym.Activation(h, act_type='tanh', name='act1')
    h = sym.Pooling(h, kernel=(2, 2), stride=(2, 2), pool_type='max', name='pool1')
    h = sym.Dropout(h, p=0.3, name='drop1')
    return sym.FullyConnected(h, num_hidden=2, name='fc')


@pytest.mark.parametrize('optimize', [True, False])
def test_conv_pool_batchnorm_dropout_matches_autograd(optimize):
    net = conv_net()
    exe = net.simple_bind(CTX, data=(2, 2, 6, 6), optimize=optimize)
    aux = {n: (np.zeros if 'mean' in n else np.ones)(a.shape, np.float32)
           for n, a in exe.aux_dict.items()}
    for point in (0, 1):
        values = fill(exe, seed=20 * point + 1)
        for n, v in aux.items():
            exe.aux_dict[n][:] = v
        heads = [rand((2, 2), 99 + point)]
        grads = [n for n in net.list_arguments()]
        compare(exe, dict(values, **aux), grads, head_grads=heads, seed=5 + point)
        # BatchNorm updated its moving statistics in place, as the eager run did.
        _, _, arrays = eager(net, dict(values, **aux), [], seed=5 + point)
        for n in aux:
            assert_almost_equal(exe.aux_dict[n], arrays[n], rtol=1e-5, atol=1e-6)
            assert not np.allclose(exe.aux_dict[n].asnumpy(), aux[n])


def test_predict_mode_uses_moving_statistics_and_no_dropout():
    net = conv_net()
    exe = net.simple_bind(CTX, data=(2, 2, 6, 6), grad_req='null')
    values = fill(exe, seed=3)
    for n, a in exe.aux_dict.items():
        a[:] = rand(a.shape, 7) + (2 if 'var' in n else 0)
        values[n] = a.asnumpy()
    before = {n: a.asnumpy() for n, a in exe.aux_dict.items()}
    out1 = exe.forward(is_train=False)[0].asnumpy()
    out2 = exe.forward()[0].asnumpy()
    want, _, _ = eager(net, values, [], is_train=False)
    assert_almost_equal(out1, want[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out1, out2)
    for n, a in exe.aux_dict.items():
        np.testing.assert_array_equal(a.asnumpy(), before[n])


def test_group_with_several_outputs_and_head_gradients():
    x, w = sym.var('x'), sym.var('w')
    fc = sym.FullyConnected(x, w, num_hidden=3, no_bias=True, name='fc')
    net = sym.Group([fc, sym._mul_scalar(sym.exp(x), scalar=2, name='m'),
                     sym.sum(fc * fc, axis=1, name='s')])
    exe = net.simple_bind(CTX, x=(2, 4))
    values = fill(exe, seed=4)
    assert exe.output_dict.keys() == {'fc_output', 'm_output', 's_output'}
    heads = [rand((2, 3), 1), rand((2, 4), 2), rand((2,), 3)]
    compare(exe, values, ['x', 'w'], head_grads=heads)
    # out_grads by name, one left out (ones)
    exe.forward(is_train=True)
    exe.backward({'fc_output': nd.array(heads[0]), 's_output': nd.array(heads[2])})
    _, want, _ = eager(net, values, ['x', 'w'],
                       [nd.array(heads[0]), nd.ones((2, 4)), nd.array(heads[2])])
    assert_almost_equal(exe.grad_dict['x'], want['x'], rtol=1e-4, atol=1e-5)


def test_broadcast_ops():
    a, b, c = sym.var('a'), sym.var('b'), sym.var('c')
    net = sym.broadcast_mul(sym.broadcast_add(a, b), sym.tanh(c)) / (1 + sym.square(b))
    exe = net.simple_bind(CTX, a=(3, 1), b=(1, 4), c=(3, 4))
    values = fill(exe, seed=8)
    compare(exe, values, ['a', 'b', 'c'], head_grads=[rand((3, 4), 9)])


def test_grad_req_add_and_null():
    x, w = sym.var('x'), sym.var('w')
    net = sym.sum(sym.tanh(x * w), axis=1)
    exe = net.simple_bind(CTX, x=(3, 2), w=(3, 2), grad_req={'x': 'add', 'w': 'null'})
    values = fill(exe, seed=12)
    assert exe.grad_dict['w'] is None and exe.grad_arrays[1] is None
    exe.grad_dict['x'][:] = 1
    for _ in range(2):
        exe.forward(is_train=True)
        exe.backward(nd.ones((3,)))
    _, want, _ = eager(net, values, ['x'])
    assert_almost_equal(exe.grad_dict['x'], 1 + 2 * want['x'], rtol=1e-5, atol=1e-6)
    check_symbolic_backward(net, values, [np.ones(3)], {'x': want['x'], 'w': want['x'] * 0},
                            grad_req={'x': 'add', 'w': 'null'})


def test_bind_with_given_arrays_and_no_gradients():
    x = sym.var('x')
    net = sym.relu(x - 0.5)
    arr = nd.array([0.0, 1.0, 2.0])
    exe = net.bind(CTX, [arr])
    assert exe.arg_arrays[0] is arr and exe.grad_arrays == [None]
    np.testing.assert_allclose(exe.forward()[0].asnumpy(), [0, 0.5, 1.5])
    arr[:] = 3
    np.testing.assert_allclose(exe.forward()[0].asnumpy(), [2.5] * 3)
    exe.forward(is_train=True)
    exe.backward()   # nothing to compute, nothing to write


def test_forward_kwargs_copy_into_the_arguments():
    x = sym.var('x')
    exe = (x * 3).simple_bind(CTX, x=(2,))
    out = exe.forward(x=np.array([1.0, 2.0]))[0]
    np.testing.assert_allclose(out.asnumpy(), [3, 6])
    np.testing.assert_allclose(exe.arg_dict['x'].asnumpy(), [1, 2])
    np.testing.assert_allclose(exe.forward(x=nd.array([5, 6]))[0].asnumpy(), [15, 18])


def test_reshape_shares_parameters_and_checks_sizes():
    net = mlp()
    exe = net.simple_bind(CTX, data=(8, 5), softmax_label=(8,))
    fill(exe, seed=2, skip=('softmax_label',))
    small = exe.reshape(data=(3, 5), softmax_label=(3,))
    for name in ('fc1_weight', 'fc2_bias'):
        assert small.arg_dict[name] is exe.arg_dict[name]
        assert small.grad_dict[name] is exe.grad_dict[name]
    assert small.arg_dict['data'].shape == (3, 5)
    small.arg_dict['data'][:] = exe.arg_dict['data'].asnumpy()[:3]
    want = exe.forward()[0].asnumpy()[:3]
    assert_almost_equal(small.forward()[0], want, rtol=1e-5, atol=1e-6)
    with pytest.raises(MXNetError, match='allow_up_sizing'):
        exe.reshape(data=(9, 5), softmax_label=(9,))
    big = exe.reshape(allow_up_sizing=True, data=(9, 5), softmax_label=(9,))
    assert big.outputs[0].shape == (9, 4)
    with pytest.raises(MXNetError, match='partial_shaping'):
        exe.reshape(data=(3, 5))
    assert exe.reshape(partial_shaping=True, data=(3, 5)).arg_dict['softmax_label'].shape == (3,)


def test_copy_params_from():
    net = mlp()
    exe = net.simple_bind(CTX, data=(2, 5), softmax_label=(2,))
    w = rand((8, 5), 3)
    exe.copy_params_from({'fc1_weight': nd.array(w)})
    np.testing.assert_array_equal(exe.arg_dict['fc1_weight'].asnumpy(), w)
    with pytest.raises(MXNetError, match="'extra' is not an argument"):
        exe.copy_params_from({'extra': nd.ones((1,))})
    exe.copy_params_from({'extra': nd.ones((1,))}, allow_extra_params=True)
    with pytest.raises(MXNetError, match=r'has shape \(3,\)'):
        exe.copy_params_from({'fc1_bias': nd.ones((3,))})
    bn = sym.BatchNorm(sym.var('x'), name='bn')
    exe = bn.simple_bind(CTX, x=(2, 3))
    exe.copy_params_from({}, {'bn_moving_var': nd.array([1, 2, 3])})
    np.testing.assert_array_equal(exe.aux_dict['bn_moving_var'].asnumpy(), [1, 2, 3])


def test_optimized_and_unoptimized_graphs_agree():
    x = sym.var('x')
    net = sym.tanh(sym.exp(x) * 2 + sym.exp(x)) * sym.sigmoid(x)
    results = []
    for optimize in (True, False):
        exe = net.simple_bind(CTX, x=(3, 4), optimize=optimize)
        exe.arg_dict['x'][:] = rand((3, 4), 1)
        exe.forward(is_train=True)
        exe.backward(nd.array(rand((3, 4), 2)))
        results.append((exe.outputs[0].asnumpy(), exe.grad_dict['x'].asnumpy(), exe))
    (o1, g1, fast), (o2, g2, slow) = results
    assert_almost_equal(o1, o2, rtol=1e-6, atol=1e-7)
    assert_almost_equal(g1, g2, rtol=1e-6, atol=1e-7)
    assert len(fast.graph._nodes()) < len(slow.graph._nodes())
    assert slow.graph is slow.unoptimized_graph
    assert fast.memory_plan.naive_bytes >= fast.memory_plan.planned_bytes


def test_training_graph_layout():
    exe = mlp().simple_bind(CTX, data=(2, 5), softmax_label=(2,), optimize=False)
    graph = exe.graph
    # forward outputs first, then one gradient per argument with a gradient buffer
    assert len(graph.list_outputs()) == 1 + 6
    names = [n.name for n in graph._nodes()]
    assert names.count('fc1') == 1 and 'softmax_backward' in names
    assert 'softmax_output_grad' not in graph.list_arguments()   # SoftmaxOutput ignores it


def test_comparisons_are_recorded_and_unreached_gradients_are_constant_zeros():
    x, w = sym.var('x'), sym.var('w')
    net = sym.broadcast_greater(w, x) * x
    exe = net.simple_bind(CTX, x=(2,), w=(2,), optimize=False)
    ops = [n.op_name for n in exe.graph._nodes()]
    assert '_constant' in ops   # w's gradient: zeros, since > has none
    exe.arg_dict['x'][:] = [1, 2]
    for w_value, want in (([3, 0], [1, 0]), ([0, 3], [0, 1])):
        exe.arg_dict['w'][:] = w_value
        exe.forward(is_train=True)
        exe.backward()
        np.testing.assert_array_equal(exe.grad_dict['x'].asnumpy(), want)
        np.testing.assert_array_equal(exe.grad_dict['w'].asnumpy(), [0, 0])


def test_binding_leaves_the_random_numbers_alone():
    net = sym.Dropout(sym.var('x'), p=0.5)
    mx.random.seed(11)
    first = nd.random.uniform(shape=(4,)).asnumpy()
    mx.random.seed(11)
    net.simple_bind(CTX, x=(50,))     # tracing runs Dropout once
    np.testing.assert_array_equal(nd.random.uniform(shape=(4,)).asnumpy(), first)


def test_internal_values():
    x = sym.var('x')
    net = sym.relu(sym._mul_scalar(x, scalar=2, name='m'), name='r')
    exe = net.simple_bind(CTX, x=(3,), keep_internals=True, optimize=False)
    exe.forward(is_train=True, x=nd.array([-1, 0.5, 2]))
    exe.backward(nd.array([1, 1, 1]))
    values = exe.internal_values()
    np.testing.assert_allclose(values['m_output'].asnumpy(), [-2, 1, 4])
    np.testing.assert_allclose(values['r_output'].asnumpy(), [0, 1, 4])
    assert 'r_output_grad' in values
    assert set(values) <= set(exe.graph.get_internals().list_outputs())


def test_graph_program_keeps_state_per_call():
    x, w = sym.var('x'), sym.var('w')
    prog = GraphProgram(sym.sum(x * w * w), {'x': (2,), 'w': (2,)}, None, ['w'], CTX)
    w_arr = nd.array([1.0, 2.0])
    outs_a, state_a = prog.run_forward({'x': nd.array([1.0, 1.0]), 'w': w_arr}, True)
    outs_b, state_b = prog.run_forward({'x': nd.array([3.0, 5.0]), 'w': w_arr}, True)
    np.testing.assert_allclose(prog.run_backward(state_b, [None])['w'].asnumpy(), [6, 20])
    np.testing.assert_allclose(prog.run_backward(state_a, [None])['w'].asnumpy(), [2, 4])
    np.testing.assert_allclose(prog.run_backward(state_a, [nd.array([2.0])])['w'].asnumpy(),
                               [4, 8])
    assert prog.run_forward({'x': nd.ones((2,)), 'w': w_arr}, False)[1] is None


def test_graph_program_for_backward_after_inference_mode():
    # autograd.record(train_mode=False): BatchNorm normalizes with the moving statistics,
    # and its gradient must not go through batch statistics.
    net = sym.BatchNorm(sym.var('x'), fix_gamma=False, name='bn') * 3
    x, gamma = rand((4, 3), 1), rand((3,), 2) + 2
    values = {'x': x, 'bn_gamma': gamma, 'bn_beta': rand((3,), 3),
              'bn_moving_mean': rand((3,), 4), 'bn_moving_var': rand((3,), 5) + 2}
    shapes = {k: v.shape for k, v in values.items()}
    prog = GraphProgram(net, shapes, None, ['x', 'bn_gamma'], CTX, train_mode=False)
    arrays = {k: nd.array(v) for k, v in values.items()}
    outs, state = prog.run_forward(arrays, is_train=False)
    grads = prog.run_backward(state, [nd.ones((4, 3))])
    want_outs, want, _ = eager(net, values, ['x', 'bn_gamma'], is_train=False)
    assert_almost_equal(outs[0], want_outs[0], rtol=1e-5, atol=1e-6)
    for name in ('x', 'bn_gamma'):
        assert_almost_equal(grads[name], want[name], rtol=1e-4, atol=1e-5)
    assert prog.run_forward(arrays, is_train=True)[1] is None
    with pytest.raises(MXNetError, match='is_train=False'):
        prog.run_backward(None)


def test_numeric_gradient_of_a_symbol():
    x, w = sym.var('x'), sym.var('w')
    net = sym.FullyConnected(sym.tanh(x), w, num_hidden=3, no_bias=True)
    check_numeric_gradient(net, {'x': rand((2, 4), 1), 'w': rand((3, 4), 2)})
    bn = sym.BatchNorm(x, fix_gamma=False, name='bn')
    check_numeric_gradient(bn, [rand((4, 3), 3), rand((3,), 4) + 2, rand((3,), 5)],
                           aux_states=[np.zeros(3), np.ones(3)], grad_nodes=['x', 'bn_gamma'],
                           rtol=1e-3, atol=1e-3)


# ------------------------------------------------------------ random graphs --

UNARY = ['tanh', 'sigmoid', 'relu', 'exp', 'square', 'negative', 'abs', 'sin']
BINARY = ['broadcast_add', 'broadcast_sub', 'broadcast_mul', 'broadcast_maximum']


@st.composite
def random_graphs(draw):
    """A small DAG of elementwise and broadcast ops over three inputs of shapes (2, 3) / (1, 3)."""
    pool = [sym.var('a'), sym.var('b'), sym.var('c')]
    for k in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(['unary', 'binary', 'scalar']))
        x = pool[draw(st.integers(0, len(pool) - 1))]
        if kind == 'unary':
            pool.append(getattr(sym, draw(st.sampled_from(UNARY)))(x))
        elif kind == 'scalar':
            s = draw(st.sampled_from([0.5, 2.0, -1.5]))
            pool.append(draw(st.sampled_from([x * s, x + s, s - x])))
        else:
            y = pool[draw(st.integers(0, len(pool) - 1))]
            pool.append(getattr(sym, draw(st.sampled_from(BINARY)))(x, y))
    heads = pool[3:]
    chosen = draw(st.lists(st.sampled_from(heads), min_size=1, max_size=2))
    return chosen[0] if len(chosen) == 1 else sym.Group(chosen)


@settings(max_examples=25, deadline=None)
@given(net=random_graphs(), seed=st.integers(0, 1000))
def test_random_elementwise_graphs_match_autograd(net, seed):
    shapes = {'a': (2, 3), 'b': (1, 3), 'c': (2, 3)}
    used = net.list_arguments()
    shapes = {n: shapes[n] for n in used}
    values = {n: rand(shapes[n], seed + i, scale=2) for i, n in enumerate(used)}
    heads = [rand(s, seed + 7 + k) for k, s in enumerate(net.infer_shape(**shapes)[1])]
    want_outs, want_grads, _ = eager(net, values, used, [nd.array(h) for h in heads])
    for optimize in (True, False):
        exe = net.simple_bind(CTX, optimize=optimize, **shapes)
        for n in used:
            exe.arg_dict[n][:] = values[n]
        outs = exe.forward(is_train=True)
        exe.backward([nd.array(h) for h in heads])
        for got, want in zip(outs, want_outs):
            assert_almost_equal(got, want, rtol=1e-5, atol=1e-5)
        for n in used:
            assert_almost_equal(exe.grad_dict[n], want_grads[n], rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------ errors --

def test_bind_errors_name_the_argument():
    net = mlp()
    good = {'data': nd.ones((2, 5)), 'fc1_weight': nd.ones((8, 5)), 'fc1_bias': nd.ones((8,)),
            'fc2_weight': nd.ones((4, 8)), 'fc2_bias': nd.ones((4,)),
            'softmax_label': nd.ones((2,))}
    with pytest.raises(MXNetError, match="args has no array for 'fc2_bias'"):
        net.bind(CTX, {k: v for k, v in good.items() if k != 'fc2_bias'})
    with pytest.raises(MXNetError, match=r"'fc1_weight' has shape \(8, 6\), but the graph "
                                         r"needs \(8, 5\)"):
        net.bind(CTX, dict(good, fc1_weight=nd.ones((8, 6))))
    with pytest.raises(MXNetError, match='has 2 arrays for the 6 names'):
        net.bind(CTX, [good['data'], good['fc1_weight']])
    with pytest.raises(MXNetError, match="gradient buffer of 'fc1_bias' has shape"):
        net.bind(CTX, good, args_grad={'fc1_bias': nd.ones((3,))})
    with pytest.raises(MXNetError, match="grad_req of 'data' is 'sometimes'"):
        net.bind(CTX, good, grad_req={'data': 'sometimes'})
    with pytest.raises(MXNetError, match='ctx must be a Context'):
        net.bind('cpu', good)
    with pytest.raises(MXNetError, match='is on cpu\\(1\\)'):
        net.bind(CTX, dict(good, data=nd.ones((2, 5), ctx=mx.cpu(1))))
    with pytest.raises(MXNetError, match='cannot infer the shapes of .*fc1_weight'):
        net.simple_bind(CTX, softmax_label=(2,))
    bn = sym.BatchNorm(sym.var('x'), name='bn')
    with pytest.raises(MXNetError, match="aux_states has no array for 'bn_moving_mean'"):
        bn.bind(CTX, {'x': nd.ones((2, 3)), 'bn_gamma': nd.ones(3), 'bn_beta': nd.ones(3)})


def test_run_errors():
    x = sym.var('x')
    exe = sym.broadcast_mul(x, x, name='sq').simple_bind(CTX, x=(2,))
    with pytest.raises(MXNetError, match='forward has not run yet'):
        exe.backward()
    exe.forward()
    with pytest.raises(MXNetError, match='inference mode'):
        exe.backward()
    exe.forward(is_train=True)
    with pytest.raises(MXNetError, match=r"output 'sq_output' has shape \(3,\)"):
        exe.backward(nd.ones((3,)))
    with pytest.raises(MXNetError, match='2 out_grads given for the 1 outputs'):
        exe.backward([nd.ones((2,)), nd.ones((2,))])
    with pytest.raises(MXNetError, match="'y' is not an argument"):
        exe.forward(y=nd.ones((2,)))
    with pytest.raises(MXNetError, match=r'has shape \(3,\); the executor was bound with'):
        exe.forward(x=nd.ones((3,)))
    assert isinstance(exe, Executor) and 'Executor' in repr(exe)


def test_operator_errors_at_run_time_name_the_node():
    exe = mlp().simple_bind(CTX, data=(2, 5), softmax_label=(2,))
    exe.arg_dict['softmax_label'][:] = 7    # only 4 classes
    with pytest.raises(MXNetError, match="node 'softmax': Operator SoftmaxOutput"):
        exe.forward(is_train=True)


def test_copy_params_from_another_device():
    fc = mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=2, name='fc')
    exe = fc.simple_bind(mx.cpu(1), x=(1, 3))
    exe.copy_params_from({'fc_weight': mx.nd.ones((2, 3), ctx=mx.cpu(0)),
                          'fc_bias': mx.nd.array([1, 2], ctx=mx.cpu(2))})
    assert exe.arg_dict['fc_weight'].context == mx.cpu(1)
    out = exe.forward(x=mx.nd.ones((1, 3), ctx=mx.cpu(1)))[0]
    assert out.asnumpy().tolist() == [[4, 5]]
