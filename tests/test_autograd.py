"""Autograd semantics: recording, grad_req, head gradients, retain_graph, higher order, Function."""
import numpy as np
import pytest

import mxlearn as mx
from mxlearn import autograd, nd


def var(values, grad_req='write', dtype='float64'):
    x = nd.array(values, dtype=dtype)
    x.attach_grad(grad_req)
    return x


def test_modes_inside_and_outside_record():
    assert (autograd.is_recording(), autograd.is_training()) == (False, False)
    with autograd.record():
        assert (autograd.is_recording(), autograd.is_training()) == (True, True)
        with autograd.pause():
            assert (autograd.is_recording(), autograd.is_training()) == (False, False)
        with autograd.predict_mode():
            assert autograd.is_training() is False
    with autograd.record(train_mode=False):
        assert (autograd.is_recording(), autograd.is_training()) == (True, False)
    with autograd.train_mode():
        assert (autograd.is_recording(), autograd.is_training()) == (False, True)
    assert autograd.set_recording(True) is False
    assert autograd.set_recording(False) is True
    assert autograd.set_training(False) is False


def test_attach_grad_gives_zero_buffer_of_same_dtype():
    x = nd.array([1, 2], dtype='int32')
    assert x.grad is None
    x.attach_grad()
    assert x.grad.dtype == np.int32
    np.testing.assert_array_equal(x.grad.asnumpy(), [0, 0])


def test_chain_rule_through_mixed_ops():
    x = var([0.5, -1.0, 2.0])
    with autograd.record():
        y = nd.exp(x) * x + nd.tanh(x * 3) / (x * x + 1)
    y.backward()
    xs = x.asnumpy()
    t = np.tanh(3 * xs)
    expected = (np.exp(xs) * xs + np.exp(xs)
                + (3 * (1 - t * t) * (xs * xs + 1) - t * 2 * xs) / (xs * xs + 1) ** 2)
    np.testing.assert_allclose(x.grad.asnumpy(), expected, rtol=1e-10)


def test_variable_used_twice_accumulates_within_one_backward():
    x = var([3.0])
    with autograd.record():
        y = x * x + x
    y.backward()
    assert x.grad.asscalar() == 7.0


def test_grad_req_write_overwrites_and_add_accumulates():
    w = var([1.0, 2.0], 'write')
    a = var([1.0, 2.0], 'add')
    for _ in range(3):
        with autograd.record():
            y = w * w + a * a
        y.backward()
    np.testing.assert_array_equal(w.grad.asnumpy(), [2.0, 4.0])
    np.testing.assert_array_equal(a.grad.asnumpy(), [6.0, 12.0])


def test_grad_req_null_gets_no_gradient():
    x = var([1.0], 'null')
    y0 = var([2.0])
    with autograd.record():
        y = x * y0
    y.backward()
    assert x.grad.asscalar() == 0.0
    assert y0.grad.asscalar() == 1.0


def test_head_gradient_scales_and_defaults_to_ones():
    x = var([1.0, 2.0])
    with autograd.record():
        y = x * nd.array([3.0, 4.0], dtype='float64')
    y.backward(nd.array([10.0, 100.0], dtype='float64'))
    np.testing.assert_array_equal(x.grad.asnumpy(), [30.0, 400.0])


def test_head_gradient_shape_is_checked():
    x = var([1.0, 2.0])
    with autograd.record():
        y = x * 2
    with pytest.raises(mx.MXNetError, match='head gradient shape'):
        y.backward(nd.array([1.0, 2.0, 3.0], dtype='float64'))


def test_backward_of_several_heads_sums():
    x = var([2.0])
    with autograd.record():
        a = x * 3
        b = x * x
    autograd.backward([a, b], [None, nd.array([2.0], dtype='float64')])
    assert x.grad.asscalar() == 3 + 2 * 4


def test_second_backward_without_retain_graph_raises():
    x = var([1.0])
    with autograd.record():
        y = nd.sin(x) * 2
    y.backward()
    with pytest.raises(mx.MXNetError, match='retain_graph=True'):
        y.backward()


def test_backward_releases_what_a_node_saved():
    x = var([1.0, 2.0])
    with autograd.record():
        y = nd.softmax(x * 2, axis=0)
    node = y._node
    assert node.attrs['axis'] == 0
    y.backward()
    # a kept output must not keep the inputs, outputs or attributes alive
    assert node.freed and node.inputs == () and node.attrs == {}


def test_retain_graph_allows_second_backward():
    x = var([1.0], 'add')
    with autograd.record():
        y = nd.sin(x)
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.asscalar() == pytest.approx(2 * np.cos(1.0))


def test_backward_from_unrecorded_value_raises():
    x = var([1.0])
    y = x * 2
    with pytest.raises(mx.MXNetError, match='autograd.record'):
        y.backward()
    z = nd.array([1.0])
    with autograd.record():
        w = z * 2
    with pytest.raises(mx.MXNetError, match='attach_grad'):
        w.backward()


def test_grad_returns_list_and_does_not_touch_dot_grad():
    x = var([1.0, 2.0])
    with autograd.record():
        y = x * x * x
    g = autograd.grad(y, x)
    assert isinstance(g, list) and len(g) == 1
    np.testing.assert_allclose(g[0].asnumpy(), [3.0, 12.0])
    np.testing.assert_array_equal(x.grad.asnumpy(), [0.0, 0.0])


def test_grad_of_non_variable_raises():
    x = var([1.0])
    c = nd.array([2.0], dtype='float64')
    with autograd.record():
        y = x * c
    with pytest.raises(mx.MXNetError, match=r'variables\[1\]'):
        autograd.grad(y, [x, c])


@pytest.mark.parametrize('fn, d1, d2', [
    (lambda x: x ** 3, lambda x: 3 * x ** 2, lambda x: 6 * x),
    (lambda x: x * x * x, lambda x: 3 * x ** 2, lambda x: 6 * x),
    (nd.sin, np.cos, lambda x: -np.sin(x)),
    (nd.exp, np.exp, np.exp),
    (nd.tanh, lambda x: 1 - np.tanh(x) ** 2,
     lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    (nd.sigmoid, lambda x: 1 / (1 + np.exp(-x)) * (1 - 1 / (1 + np.exp(-x))),
     lambda x: (lambda s: s * (1 - s) * (1 - 2 * s))(1 / (1 + np.exp(-x)))),
    (lambda x: 1 / x, lambda x: -1 / x ** 2, lambda x: 2 / x ** 3),
    (nd.log, lambda x: 1 / x, lambda x: -1 / x ** 2),
    (nd.sqrt, lambda x: 0.5 / np.sqrt(x), lambda x: -0.25 * x ** -1.5),
])
def test_second_derivatives(fn, d1, d2):
    xs = np.array([0.3, 0.7, 1.9])
    x = var(xs)
    with autograd.record():
        y = fn(x)
        dy = autograd.grad(y, [x], create_graph=True)[0]
    np.testing.assert_allclose(dy.asnumpy(), d1(xs), rtol=1e-9)
    dy.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), d2(xs), rtol=1e-9)


def test_third_derivative_of_power():
    x = var([1.5])
    with autograd.record():
        y = x ** 4
        d1 = autograd.grad(y, [x], create_graph=True)[0]
        d2 = autograd.grad(d1, [x], create_graph=True)[0]
    d2.backward()
    assert x.grad.asscalar() == pytest.approx(24 * 1.5)


def test_detach_stops_gradient():
    x = var([3.0])
    with autograd.record():
        y = x.detach() * x
    y.backward()
    assert x.grad.asscalar() == 3.0


def test_inplace_on_recorded_array_raises():
    x = var([1.0, 2.0])
    with autograd.record():
        y = x * 2
        with pytest.raises(mx.MXNetError, match='in-place'):
            y += 1
        with pytest.raises(mx.MXNetError, match='recorded graph'):
            y[0] = 5
        with pytest.raises(mx.MXNetError, match='in-place'):
            x += 1
    np.testing.assert_array_equal(x.asnumpy(), [1.0, 2.0])


def test_inplace_on_constant_inside_record_is_recorded():
    x = var([2.0])
    c = nd.zeros((1,), dtype='float64')
    with autograd.record():
        c += x * 3
        y = c * c
    y.backward()
    assert x.grad.asscalar() == pytest.approx(2 * 6 * 3)


def test_indexing_is_differentiable():
    m = var([[1.0, 2.0], [3.0, 4.0]])
    with autograd.record():
        y = m[1] * 3 + m[:, 0] * 2 + m[nd.array([0, 0])].sum(axis=0)
    y.backward()
    np.testing.assert_array_equal(m.grad.asnumpy(), [[4.0, 2.0], [5.0, 3.0]])


def test_function_custom_backward():
    class Square(autograd.Function):
        def forward(self, x):
            self.save_for_backward(x)
            return x * x

        def backward(self, dy):
            x, = self.saved_tensors
            return dy * 2 * x

    x = var([3.0, -1.0])
    with autograd.record():
        y = Square()(x) * 2
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [12.0, -4.0])


def test_function_with_two_inputs_and_outputs():
    class AddMul(autograd.Function):
        def forward(self, a, b):
            self.save_for_backward(a, b)
            return a + b, a * b

        def backward(self, ds, dp):
            a, b = self.saved_tensors
            return ds + dp * b, ds + dp * a

    a, b = var([2.0]), var([5.0])
    with autograd.record():
        s, p = AddMul()(a, b)
        out = s + p
    out.backward()
    assert (a.grad.asscalar(), b.grad.asscalar()) == (6.0, 3.0)


def test_function_instance_is_single_use():
    class Ident(autograd.Function):
        def forward(self, x):
            return x * 1

        def backward(self, dy):
            return dy

    f = Ident()
    f(nd.ones((1,)))
    with pytest.raises(mx.MXNetError, match='only once'):
        f(nd.ones((1,)))


def test_mark_variables_writes_into_given_buffer():
    x = nd.array([1.0, 2.0])
    g = nd.zeros((2,))
    autograd.mark_variables([x], [g], 'write')
    with autograd.record():
        y = x * x
    y.backward()
    np.testing.assert_array_equal(g.asnumpy(), [2.0, 4.0])
    assert x.grad is g


def test_graph_memory_is_freed_after_backward():
    import gc
    import weakref
    x = var([1.0])
    with autograd.record():
        y = nd.exp(x) * 2
    node = y._node
    y.backward()
    assert node.freed and node.inputs == ()
    ref = weakref.ref(node)
    del y, node
    gc.collect()
    assert ref() is None


def test_unused_branch_gets_no_gradient_and_multi_head_order_is_safe():
    x = var([1.0])
    with autograd.record():
        a = x * 2
        b = a * 3
        c = a * 5
    autograd.backward([b, c])
    assert x.grad.asscalar() == 16.0


def test_function_rejects_non_ndarray_inputs():
    class Scale(autograd.Function):
        def forward(self, x, factor):
            return x * factor

        def backward(self, dy):
            return dy

    x = var([1.0])
    with autograd.record():
        with pytest.raises(mx.MXNetError, match='input 1 is a float'):
            Scale()(x, 2.0)


def test_hidden_outputs_reach_the_gradient_rule_but_not_the_caller():
    from mxlearn._ext.core import invoke
    from mxlearn.operator.registry import OPS, register, second_order_unsupported

    seen = {}

    def grad(F, inputs, outputs, ograds):
        seen['n_outputs'], seen['hidden_ograd'] = len(outputs), ograds[1]
        return (ograds[0] * outputs[1],)

    if '_test_hidden' not in OPS:
        @register('_test_hidden', gradient=grad, num_visible=1)
        def _hidden(xp, data):
            return data * 3, xp.full(data.shape, 3, dtype=data.dtype)

        @register('_test_backward_twice', gradient=second_order_unsupported('_test_backward_twice'))
        def _backward_twice(xp, ograd):
            return ograd * 2

        @register('_test_twice', gradient=lambda F, i, o, g: (
            invoke(OPS['_test_backward_twice'], (g[0],), None),))
        def _twice(xp, data):
            return data * 2

    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = invoke(OPS['_test_hidden'], (x,), None)
    assert isinstance(y, nd.NDArray)
    y.backward()
    assert seen == {'n_outputs': 2, 'hidden_ograd': None}
    np.testing.assert_allclose(x.grad.asnumpy(), [3.0, 3.0])

    with autograd.record():
        z = invoke(OPS['_test_twice'], (x,), None)
        (g,) = autograd.grad(z * z, [x], create_graph=True)
    np.testing.assert_allclose(g.asnumpy(), [8.0, 16.0])
    with pytest.raises(mx.base.MXNetError, match='second-order'):
        g.backward()


def test_number_of_visible_outputs_can_depend_on_attributes():
    from mxlearn._ext.core import invoke
    from mxlearn.operator.registry import OPS, register

    if '_test_stats' not in OPS:
        @register('_test_stats', num_visible=lambda attrs: 2 if attrs['with_mean'] else 1,
                  gradient=lambda F, i, o, g, with_mean: (g[0] * 2,))
        def _stats(xp, data, *, with_mean=False):
            return data * 2, data.mean(keepdims=True).reshape(1)

    x = nd.array([1.0, 3.0])
    x.attach_grad()
    with autograd.record():
        out = invoke(OPS['_test_stats'], (x,), {'with_mean': False})
    assert isinstance(out, nd.NDArray)
    out.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [2.0, 2.0])
    out, mean = invoke(OPS['_test_stats'], (x,), {'with_mean': True})
    assert mean.asscalar() == 2.0


def test_backward_marks_written_gradients_fresh():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    assert not x._fresh_grad
    with autograd.record():
        y = x * 2
    y.backward()
    assert x._fresh_grad
