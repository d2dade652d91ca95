"""autograd.get_symbol: a recording as a Symbol, and the Symbol runs to the same values."""
import numpy as np
import pytest

import mxlearn as mx
from mxlearn import autograd, nd
from mxlearn.base import MXNetError
from mxlearn.test_utils import assert_almost_equal


def rand(shape, seed=0):
    return nd.array(np.random.RandomState(seed).uniform(-1, 1, shape))


def test_round_trip_of_a_small_network():
    x, w, b = rand((4, 5), 1), rand((3, 5), 2), rand((3,), 3)
    w.attach_grad()
    with autograd.record():
        h = nd.FullyConnected(x, w, b, num_hidden=3)
        y = nd.softmax(nd.tanh(h) * 2 + 1, axis=-1)
    s = autograd.get_symbol(y, names={'data': x, 'weight': w, 'bias': b})
    assert s.list_arguments() == ['data', 'weight', 'bias']
    assert [n.op_name for n in s._nodes() if n.op is not None] == [
        'FullyConnected', 'tanh', '_mul_scalar', '_plus_scalar', 'softmax']
    # only the attributes that differ from the defaults are kept
    assert s.get_internals()['fullyconnected0_output'].list_attr() == {'num_hidden': '3'}
    assert_almost_equal(s.eval(data=x, weight=w, bias=b)[0], y, rtol=1e-6, atol=1e-7)
    # the Symbol also binds: same values at another point
    x2 = rand((4, 5), 9)
    exe = s.bind(mx.cpu(), {'data': x2, 'weight': w, 'bias': b})
    with autograd.pause():
        want = nd.softmax(nd.tanh(nd.FullyConnected(x2, w, b, num_hidden=3)) * 2 + 1)
    assert_almost_equal(exe.forward()[0], want, rtol=1e-6, atol=1e-7)


def test_unnamed_inputs_are_var0_var1_in_order():
    a, b = rand((2,), 1), rand((2,), 2)
    a.attach_grad()
    with autograd.record():
        y = a * b + b
    s = autograd.get_symbol(y)
    assert s.list_arguments() == ['var0', 'var1']
    assert_almost_equal(s.eval(var0=a, var1=b)[0], y)
    assert autograd.get_symbol(y, names={'var0': b}).list_arguments() == ['var1', 'var0']


def test_a_list_gives_a_group_sharing_nodes():
    x = rand((3,), 4)
    x.attach_grad()
    with autograd.record():
        e = nd.exp(x)
        y1, y2 = e * 2, e + 1
    s = autograd.get_symbol([y1, y2], names={'x': x})
    assert len(s) == 2
    assert [n.op_name for n in s._nodes()].count('exp') == 1
    out1, out2 = s.eval(x=x)
    assert_almost_equal(out1, y1)
    assert_almost_equal(out2, y2)


def test_hidden_outputs_and_multi_output_ops():
    x = rand((2, 1, 4, 4), 5)
    x.attach_grad()
    with autograd.record():
        p = nd.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type='max')
        parts = nd.split(p, num_outputs=2, axis=3)
        y = parts[1] - parts[0]
    s = autograd.get_symbol(y, names={'x': x})
    assert_almost_equal(s.eval(x=x)[0], y)


def test_second_order_recording_binds_to_the_executor():
    # The gradient graph reads a hidden output (Dropout's mask): eval cannot run it,
    # the executor can.
    x = rand((3, 4), 6)
    x.attach_grad()
    mx.random.seed(3)
    with autograd.record():
        y = nd.Dropout(nd.tanh(x), p=0.5)
        dx = autograd.grad(nd.sum(y * y), [x], create_graph=True)[0]
    s = autograd.get_symbol(dx, names={'x': x})
    names = s.get_internals().list_outputs()
    assert any(n.endswith('hidden1') for n in names)
    # The ones backward started from (reshaped by sum's gradient, unrecorded, as
    # nothing it depends on needs a gradient) are an input too.
    assert s.list_arguments() == ['var0', 'x']
    mx.random.seed(3)
    exe = s.bind(mx.cpu(), {'x': x, 'var0': nd.ones((1, 1))})
    assert_almost_equal(exe.forward(is_train=True)[0], dx, rtol=1e-5, atol=1e-6)


def test_a_value_not_recorded_is_a_variable():
    x = nd.ones((2,))
    s = autograd.get_symbol(x, names={'x': x})
    assert s.list_arguments() == ['x'] and s.name == 'x'


def test_errors():
    x = rand((2,), 1)
    x.attach_grad()
    with autograd.record():
        y = nd.exp(x)
    y.backward()
    with pytest.raises(MXNetError, match='freed by backward'):
        autograd.get_symbol(y)
    with pytest.raises(MXNetError, match='expected NDArrays'):
        autograd.get_symbol(np.ones(2))
    with pytest.raises(MXNetError, match="names\\['x'\\] must be an NDArray"):
        autograd.get_symbol(x, names={'x': 1.0})

    class Double(autograd.Function):
        def forward(self, a):
            return a * 2

        def backward(self, dy):
            return dy * 2
    with autograd.record():
        z = Double()(x)
    with pytest.raises(MXNetError, match='Double .*autograd.Function'):
        autograd.get_symbol(z)


@pytest.mark.parametrize('key', [1, slice(0, 2), (1, 2), (slice(None), 1), ([0, 2], 1)])
def test_recorded_indexing_binds_and_differentiates(key):
    data = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = mx.nd.array(data)
    x.attach_grad()
    with mx.autograd.record():
        y = x[key] * 2
    y.backward(retain_graph=True)
    graph = mx.autograd.get_symbol(y, names={'x': x})
    exe = graph.simple_bind(mx.cpu(), x=(3, 4))
    exe.forward(is_train=True, x=mx.nd.array(data))
    exe.backward(mx.nd.ones(y.shape))
    expected = data[key] * 2
    assert_almost_equal(exe.outputs[0], expected.reshape(y.shape))
    assert_almost_equal(exe.grad_dict['x'], x.grad)
