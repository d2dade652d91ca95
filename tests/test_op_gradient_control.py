"""BlockGrad / stop_gradient and MakeLoss / make_loss, imperative and symbolic."""
import numpy as np
import pytest

import mxlearn as mx
from mxlearn.base import MXNetError
from mxlearn.test_utils import assert_almost_equal

X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


@pytest.mark.parametrize('name', ['BlockGrad', 'stop_gradient'])
def test_block_grad_stops_the_gradient(name):
    x = mx.nd.array(X)
    x.attach_grad()
    with mx.autograd.record():
        y = getattr(mx.nd, name)(x * x) + x
    y.backward()
    assert_almost_equal(x.grad, np.ones_like(X))
    x = mx.sym.var('x')
    s = getattr(mx.sym, name)(x * x) + x
    exe = s.simple_bind(mx.cpu(), x=X.shape)
    exe.forward(is_train=True, x=mx.nd.array(X))
    assert_almost_equal(exe.outputs[0], X * X + X)
    exe.backward(mx.nd.ones(X.shape))
    assert_almost_equal(exe.grad_dict['x'], np.ones_like(X))


@pytest.mark.parametrize('attrs, scale', [
    ({}, np.ones_like(X)),
    ({'grad_scale': 0.5, 'normalization': 'batch'}, np.full_like(X, 0.5 / 2)),
    # x * x > 3 holds for 5 of the 6 entries
    ({'normalization': 'valid', 'valid_thresh': 3}, np.full_like(X, 1 / 5))])
def test_make_loss_gradient_ignores_the_head_gradient(attrs, scale):
    x = mx.sym.var('x')
    exe = mx.sym.MakeLoss(x * x, **attrs).simple_bind(mx.cpu(), x=X.shape)
    exe.forward(is_train=True, x=mx.nd.array(X))
    exe.backward(mx.nd.full(X.shape, 7.0))
    assert_almost_equal(exe.grad_dict['x'], 2 * X * scale, rtol=1e-6)
    a = mx.nd.array(X)
    a.attach_grad()
    with mx.autograd.record():
        y = mx.nd.make_loss(a * a, **attrs)
    y.backward(mx.nd.full(X.shape, 7.0))
    assert_almost_equal(a.grad, 2 * X * scale, rtol=1e-6)


def test_make_loss_names_and_errors():
    x = mx.sym.var('x')
    assert mx.sym.make_loss(x).name.startswith('make_loss')
    assert mx.sym.MakeLoss(x).name.startswith('makeloss')
    with pytest.raises(MXNetError, match='normalization'):
        mx.nd.MakeLoss(mx.nd.ones((2,)), normalization='mean')
