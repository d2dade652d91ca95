"""FullyConnected, Activation, LeakyReLU: forward, gradients, second order, errors."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mxlearn as mx
from mxlearn import autograd, nd
from mxlearn.base import MXNetError
from mxlearn.test_utils import assert_almost_equal, check_numeric_gradient

# Every test runs on each device of the ctx fixture (tests/conftest.py).
pytestmark = pytest.mark.usefixtures('ctx')

SETTINGS = settings(max_examples=25, deadline=None)


def rand(shape, seed=0, scale=1.0, dtype=np.float32):
    return np.random.RandomState(seed).uniform(-scale, scale, shape).astype(dtype)


def away_from_zero(shape, seed=0):
    """Values in +-[0.1, 2]: no finite-difference step crosses a kink at 0."""
    rs = np.random.RandomState(seed)
    return (rs.uniform(0.1, 2.0, shape) * rs.choice([-1, 1], shape)).astype(np.float32)


# ----------------------------------------------------------- FullyConnected --

def fc_reference(x, w, b, flatten):
    x = x.astype(np.float64)
    rows = x.reshape(x.shape[0], -1) if flatten else x.reshape(-1, x.shape[-1])
    out = rows @ w.astype(np.float64).T
    if b is not None:
        out = out + b
    return out if flatten else out.reshape(x.shape[:-1] + (w.shape[0],))


@st.composite
def fc_case(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    flatten = draw(st.booleans())
    hidden = draw(st.integers(1, 5))
    no_bias = draw(st.booleans())
    features = math.prod(shape[1:]) if flatten else shape[-1]
    return shape, flatten, hidden, no_bias, features


@SETTINGS
@given(case=fc_case(), seed=st.integers(0, 2 ** 16))
def test_fully_connected_forward(case, seed):
    shape, flatten, hidden, no_bias, features = case
    x, w, b = rand(shape, seed), rand((hidden, features), seed + 1), rand((hidden,), seed + 2)
    args = [nd.array(x), nd.array(w)] + ([] if no_bias else [nd.array(b)])
    out = nd.FullyConnected(*args, num_hidden=hidden, no_bias=no_bias, flatten=flatten)
    want = fc_reference(x, w, None if no_bias else b, flatten)
    assert out.shape == want.shape and out.dtype == np.float32
    assert_almost_equal(out.asnumpy(), want, rtol=1e-5, atol=1e-6)


def test_fully_connected_shapes():
    w = nd.ones((5, 4))
    # A vector is a batch of scalars with flatten=True, and one sample without.
    assert nd.FullyConnected(nd.ones((4,)), nd.ones((5, 1)), nd.zeros(5),
                             num_hidden=5).shape == (4, 5)
    assert nd.FullyConnected(nd.ones((4,)), w, nd.zeros(5), num_hidden=5,
                             flatten=False).shape == (5,)
    assert nd.FullyConnected(nd.ones((2, 3, 4)), w, num_hidden=5, no_bias=True,
                             flatten=False).shape == (2, 3, 5)
    assert nd.FullyConnected(nd.ones((0, 4)), w, nd.zeros(5), num_hidden=5).shape == (0, 5)
    y = nd.FullyConnected(nd.ones((2, 4), dtype='float64'), w.astype('float64'),
                          nd.zeros(5, dtype='float64'), num_hidden=5)
    assert y.dtype == np.float64
    # bias given by keyword, and None as "no bias"
    y = nd.FullyConnected(nd.ones((2, 4)), w, bias=nd.ones(5), num_hidden=5)
    assert y.asnumpy().tolist() == [[5.0] * 5] * 2
    assert nd.FullyConnected(nd.ones((2, 4)), w, None, num_hidden=5, no_bias=True).shape == \
        (2, 5)


@pytest.mark.parametrize('shape,flatten', [((3, 4), True), ((2, 3, 2), True),
                                           ((2, 3, 4), False), ((4,), False)])
@pytest.mark.parametrize('no_bias', [False, True])
def test_fully_connected_gradient(shape, flatten, no_bias):
    features = math.prod(shape[1:]) if flatten else shape[-1]
    if len(shape) == 1 and flatten:
        features = 1
    loc = [rand(shape, 1), rand((3, features), 2)] + ([] if no_bias else [rand((3,), 3)])
    check_numeric_gradient(
        lambda *a: nd.FullyConnected(*a, num_hidden=3, no_bias=no_bias, flatten=flatten),
        loc, dtype=np.float64)


def test_fully_connected_gradient_skips_constants():
    x, w, b = nd.array(rand((4, 3))), nd.array(rand((2, 3), 1)), nd.array(rand((2,), 2))
    w.attach_grad()
    b.attach_grad()
    with autograd.record():
        y = nd.FullyConnected(x, w, b, num_hidden=2)
    y.backward(nd.ones_like(y))
    assert_almost_equal(w.grad.asnumpy(), np.ones((2, 4)) @ x.asnumpy(), rtol=1e-6)
    assert_almost_equal(b.grad.asnumpy(), [4, 4])
    # The data of a later layer comes from the tape, so it does get a gradient.
    x.attach_grad()
    with autograd.record():
        y = nd.FullyConnected(nd.relu(x), w, b, num_hidden=2)
    y.backward(nd.ones_like(y))
    want = (np.ones((4, 2)) @ w.asnumpy()) * (x.asnumpy() > 0)
    assert_almost_equal(x.grad.asnumpy(), want, rtol=1e-6)


def test_fully_connected_second_order():
    x0, w0 = rand((3, 4), 4).astype(np.float64), rand((2, 4), 5).astype(np.float64)
    x, w = nd.array(x0, dtype='float64'), nd.array(w0, dtype='float64')
    x.attach_grad()
    w.attach_grad()
    with autograd.record():
        y = nd.FullyConnected(x, w, num_hidden=2, no_bias=True)
        dx = autograd.grad(nd.sum(y * y), [x], create_graph=True)[0]   # 2 (x W^T) W
        total = nd.sum(dx)
    total.backward()

    def f(wv):          # total as a function of the weight, for finite differences
        return (2 * x0 @ wv.T @ wv).sum()
    eps, num = 1e-6, np.zeros_like(w0)
    for i in np.ndindex(*w0.shape):
        hi, lo = w0.copy(), w0.copy()
        hi[i] += eps
        lo[i] -= eps
        num[i] = (f(hi) - f(lo)) / (2 * eps)
    assert_almost_equal(w.grad.asnumpy(), num, rtol=1e-6, atol=1e-8)


def test_fully_connected_errors():
    x, w, b = nd.ones((2, 3, 4)), nd.ones((5, 12)), nd.ones(5)
    with pytest.raises(MXNetError) as e:
        nd.FullyConnected(x, nd.ones((5, 11)), b, num_hidden=5)
    assert str(e.value).splitlines()[0] == (
        'Operator FullyConnected: weight has shape (5, 11) but num_hidden=5 and data of '
        'shape (2, 3, 4) (flatten=True, so 12 input features) need a weight of shape (5, 12)')
    with pytest.raises(MXNetError, match=r'num_hidden=4 .* need a weight of shape \(4, 12\)'):
        nd.FullyConnected(x, w, b, num_hidden=4)
    with pytest.raises(MXNetError, match=r'flatten=False, so 4 input features'):
        nd.FullyConnected(x, w, b, num_hidden=5, flatten=False)
    with pytest.raises(MXNetError, match=r'bias has shape \(1, 5\); expected \(num_hidden,\)'):
        nd.FullyConnected(x, w, nd.ones((1, 5)), num_hidden=5)
    with pytest.raises(MXNetError, match='no bias is given but no_bias=False'):
        nd.FullyConnected(x, w, num_hidden=5)
    with pytest.raises(MXNetError, match='a bias is given but no_bias=True'):
        nd.FullyConnected(x, w, b, num_hidden=5, no_bias=True)
    with pytest.raises(MXNetError, match='num_hidden .* is required'):
        nd.FullyConnected(x, w, b)
    with pytest.raises(MXNetError, match='num_hidden must be a positive integer'):
        nd.FullyConnected(x, w, b, num_hidden=0)
    with pytest.raises(MXNetError, match='different dtypes'):
        nd.FullyConnected(x, w.astype('float64'), b, num_hidden=5)


# --------------------------------------------------------------- Activation --

def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# act_type: (f, f', f'') in numpy, float64
ACTIVATIONS = {
    'relu': (lambda x: np.maximum(x, 0), lambda x: (x > 0) * 1.0, None),
    'sigmoid': (_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x)),
                lambda x: _sigmoid(x) * (1 - _sigmoid(x)) * (1 - 2 * _sigmoid(x))),
    'tanh': (np.tanh, lambda x: 1 - np.tanh(x) ** 2,
             lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    'softrelu': (lambda x: np.log1p(np.exp(x)), _sigmoid,
                 lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    'softsign': (lambda x: x / (1 + abs(x)), lambda x: 1 / (1 + abs(x)) ** 2,
                 lambda x: -2 * np.sign(x) / (1 + abs(x)) ** 3),
}


@pytest.mark.parametrize('act_type', sorted(ACTIVATIONS))
def test_activation_forward_and_gradient(act_type):
    f, df, _ = ACTIVATIONS[act_type]
    x = away_from_zero((3, 4), 7) * 3
    got = nd.Activation(nd.array(x), act_type=act_type)
    assert got.dtype == np.float32 and got.shape == (3, 4)
    assert_almost_equal(got.asnumpy(), f(x.astype(np.float64)), rtol=1e-5, atol=1e-6)
    check_numeric_gradient(lambda a: nd.Activation(a, act_type=act_type), [x])
    xv = nd.array(x)
    xv.attach_grad()
    with autograd.record():
        y = nd.Activation(xv, act_type=act_type)
    y.backward()
    assert_almost_equal(xv.grad.asnumpy(), df(x.astype(np.float64)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('act_type', ['relu', 'sigmoid', 'tanh'])
def test_activation_matches_elementwise_op(act_type):
    x = nd.array(rand((5,), 3, scale=4))
    assert (nd.Activation(x, act_type=act_type).asnumpy()
            == getattr(nd, act_type)(x).asnumpy()).all()


def test_activation_extremes():
    x = nd.array([-200, -30, 0, 30, 200])
    assert np.isfinite(nd.Activation(x, act_type='softrelu').asnumpy()).all()
    assert_almost_equal(nd.Activation(x, act_type='softrelu').asnumpy()[3:], [30, 200])
    assert nd.Activation(nd.array([0.5], dtype='float16'), act_type='tanh').dtype == \
        np.float16


def second_derivative(fn, x0):
    """Elementwise d2 fn / dx2 at x0 through autograd.grad(create_graph=True)."""
    x = nd.array(x0, dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = fn(x)
        dx = autograd.grad(y, [x], create_graph=True)[0]
    dx.backward()
    return dx.asnumpy(), x.grad.asnumpy()


@pytest.mark.parametrize('act_type', ['sigmoid', 'tanh', 'softrelu', 'softsign'])
def test_activation_second_order(act_type):
    _, df, d2f = ACTIVATIONS[act_type]
    x0 = away_from_zero((2, 3), 8).astype(np.float64)
    first, second = second_derivative(lambda x: nd.Activation(x, act_type=act_type), x0)
    assert_almost_equal(first, df(x0), rtol=1e-10, atol=1e-12)
    assert_almost_equal(second, d2f(x0), rtol=1e-10, atol=1e-12)


def test_activation_errors():
    with pytest.raises(MXNetError) as e:
        nd.Activation(nd.ones((2,)), act_type='swish')
    assert str(e.value).splitlines()[0] == (
        "Operator Activation: act_type='swish' is not supported; expected one of 'relu', "
        "'sigmoid', 'softrelu', 'softsign', 'tanh'")
    with pytest.raises(MXNetError, match='not supported'):
        nd.Activation(nd.ones((2,)))
    with pytest.raises(MXNetError, match='expected a floating-point input, got int32'):
        nd.Activation(nd.ones((2,), dtype='int32'), act_type='relu')


# ---------------------------------------------------------------- LeakyReLU --

LAM, ALPHA = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717


def _erf(x):
    return np.vectorize(math.erf)(x)


def _pdf(x):
    return np.exp(-x * x / 2) / math.sqrt(2 * math.pi)


# act_type: (f, f'') for slope 0.3 (leaky is piecewise linear: no second order to check)
LEAKY = {
    'leaky': (lambda x: np.where(x > 0, x, 0.3 * x), None),
    'elu': (lambda x: np.where(x > 0, x, 0.3 * np.expm1(x)),
            lambda x: np.where(x > 0, 0, 0.3 * np.exp(x))),
    'selu': (lambda x: LAM * np.where(x > 0, x, ALPHA * np.expm1(x)),
             lambda x: np.where(x > 0, 0, LAM * ALPHA * np.exp(x))),
    'gelu': (lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))),
             lambda x: _pdf(x) * (2 - x * x)),
}


@pytest.mark.parametrize('act_type', sorted(LEAKY))
def test_leaky_relu_forward_and_gradient(act_type):
    f, d2f = LEAKY[act_type]
    x = away_from_zero((3, 4), 9) * 2
    got = nd.LeakyReLU(nd.array(x), act_type=act_type, slope=0.3)
    assert got.dtype == np.float32 and got.shape == (3, 4)
    assert_almost_equal(got.asnumpy(), f(x.astype(np.float64)), rtol=1e-5, atol=1e-6)
    check_numeric_gradient(lambda a: nd.LeakyReLU(a, act_type=act_type, slope=0.3), [x])
    if d2f is None:
        return
    x0 = x.astype(np.float64)
    _, second = second_derivative(
        lambda v: nd.LeakyReLU(v, act_type=act_type, slope=0.3), x0)
    assert_almost_equal(second, d2f(x0), rtol=1e-9, atol=1e-12)


def test_leaky_relu_defaults():
    x = nd.array([-4, -1, 0, 2])
    assert nd.LeakyReLU(x).asnumpy().tolist() == [-1, -0.25, 0, 2]     # slope 0.25
    # elu with large inputs must not overflow in the branch that is not taken
    with np.errstate(all='raise'):
        y = nd.LeakyReLU(nd.array([-100, 100]), act_type='elu').asnumpy()
    assert_almost_equal(y, [-0.25, 100])


@pytest.mark.parametrize('data_shape,gamma_shape', [
    ((2, 3, 4), (3,)), ((2, 3, 4), (1,)), ((4, 3), (3,)), ((5,), (5,)), ((2, 3, 2, 2), (3,)),
    ((2, 3, 4), (1, 3))])
def test_prelu(data_shape, gamma_shape):
    x = away_from_zero(data_shape, 10)
    gamma = np.random.RandomState(11).uniform(0.1, 0.5, gamma_shape).astype(np.float32)
    got = nd.LeakyReLU(nd.array(x), nd.array(gamma), act_type='prelu')
    size = gamma.size
    view = [1] * len(data_shape)
    if size > 1:
        view[1 if len(data_shape) > 1 else 0] = size
    want = np.where(x > 0, x, gamma.reshape(view) * x)
    assert_almost_equal(got.asnumpy(), want, rtol=1e-6)
    check_numeric_gradient(lambda a, g: nd.LeakyReLU(a, g, act_type='prelu'), [x, gamma])


def test_prelu_second_order():
    # d/dgamma of (d out / d x) = 1 where x < 0: sum over the negative elements per channel
    x0 = away_from_zero((2, 3, 2), 12).astype(np.float64)
    x, gamma = nd.array(x0, dtype='float64'), nd.array([0.1, 0.2, 0.3], dtype='float64')
    x.attach_grad()
    gamma.attach_grad()
    with autograd.record():
        y = nd.LeakyReLU(x, gamma, act_type='prelu')
        dx = autograd.grad(y, [x], create_graph=True)[0]
    dx.backward()
    assert_almost_equal(gamma.grad.asnumpy(), (x0 < 0).sum(axis=(0, 2)))


def test_rrelu():
    x0 = away_from_zero((50, 40), 13)
    x = nd.array(x0)
    inference = nd.LeakyReLU(x, act_type='rrelu', lower_bound=0.1, upper_bound=0.3)
    assert_almost_equal(inference.asnumpy(), np.where(x0 > 0, x0, 0.2 * x0), rtol=1e-6)
    check_numeric_gradient(lambda a: nd.LeakyReLU(a, act_type='rrelu'), [x0[:3, :3]],
                           use_forward_train=False)
    x.attach_grad()
    mx.random.seed(5)
    with autograd.record():
        y = nd.LeakyReLU(x, act_type='rrelu', lower_bound=0.1, upper_bound=0.3)
    y.backward()
    slopes = (y.asnumpy() / x0)[x0 < 0]
    assert slopes.min() >= 0.1 and slopes.max() < 0.3 and slopes.std() > 0.04
    assert_almost_equal(x.grad.asnumpy(), np.where(x0 > 0, 1, y.asnumpy() / x0), rtol=1e-5)
    mx.random.seed(5)
    with autograd.train_mode():
        again = nd.LeakyReLU(x, act_type='rrelu', lower_bound=0.1, upper_bound=0.3)
    assert (again.asnumpy() == y.asnumpy()).all()


def test_leaky_relu_errors():
    x = nd.ones((2, 3, 4))
    with pytest.raises(MXNetError) as e:
        nd.LeakyReLU(x, nd.ones((4,)), act_type='prelu')
    assert str(e.value).splitlines()[0] == (
        'Operator LeakyReLU: gamma has shape (4,) but data of shape (2, 3, 4) has 3 channels '
        'on axis 1; expected gamma of shape (3,), one slope per channel, or (1,), one slope '
        'for all')
    with pytest.raises(MXNetError, match="act_type='prelu' needs the slopes"):
        nd.LeakyReLU(x, act_type='prelu')
    with pytest.raises(MXNetError, match="gamma is an input of act_type='prelu' only"):
        nd.LeakyReLU(x, nd.ones((3,)), act_type='leaky')
    with pytest.raises(MXNetError, match="act_type='swish' is not supported"):
        nd.LeakyReLU(x, act_type='swish')
    with pytest.raises(MXNetError, match='lower_bound <= upper_bound'):
        nd.LeakyReLU(x, act_type='rrelu', lower_bound=0.5, upper_bound=0.1)
    with pytest.raises(MXNetError, match='floating-point'):
        nd.LeakyReLU(nd.ones((2,), dtype='int32'))
