"""Elementwise operators: forward against numpy, gradients against finite differences."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import mxlearn as mx
from mxlearn import nd
from mxlearn.test_utils import assert_almost_equal, check_numeric_gradient

_erf = np.vectorize(math.erf)
_gamma = np.vectorize(math.gamma)
_lgamma = np.vectorize(math.lgamma)

# name: (numpy reference, low, high) -- the domain where the op is smooth
UNARY = {
    'negative': (np.negative, -3, 3), 'abs': (np.abs, 0.1, 3), 'exp': (np.exp, -3, 3),
    'expm1': (np.expm1, -3, 3), 'log': (np.log, 0.2, 5), 'log1p': (np.log1p, -0.5, 5),
    'log2': (np.log2, 0.2, 5), 'log10': (np.log10, 0.2, 5), 'sqrt': (np.sqrt, 0.2, 5),
    'rsqrt': (lambda x: 1 / np.sqrt(x), 0.2, 5), 'cbrt': (np.cbrt, 0.2, 5),
    'rcbrt': (lambda x: 1 / np.cbrt(x), 0.2, 5), 'square': (np.square, -3, 3),
    'reciprocal': (lambda x: 1 / x, 0.3, 3), 'sin': (np.sin, -3, 3), 'cos': (np.cos, -3, 3),
    'tan': (np.tan, -1.2, 1.2), 'arcsin': (np.arcsin, -0.9, 0.9),
    'arccos': (np.arccos, -0.9, 0.9), 'arctan': (np.arctan, -3, 3),
    'sinh': (np.sinh, -2, 2), 'cosh': (np.cosh, -2, 2), 'tanh': (np.tanh, -2, 2),
    'arcsinh': (np.arcsinh, -3, 3), 'arccosh': (np.arccosh, 1.2, 4),
    'arctanh': (np.arctanh, -0.9, 0.9), 'degrees': (np.degrees, -3, 3),
    'radians': (np.radians, -90, 90), 'relu': (lambda x: np.maximum(x, 0), 0.1, 3),
    'sigmoid': (lambda x: 1 / (1 + np.exp(-x)), -4, 4),
    'softsign': (lambda x: x / (1 + np.abs(x)), -3, 3),
    'erf': (_erf, -2, 2), 'gamma': (_gamma, 0.5, 4), 'gammaln': (_lgamma, 0.5, 4),
}
PIECEWISE = {
    'sign': np.sign, 'floor': np.floor, 'ceil': np.ceil, 'rint': np.rint, 'trunc': np.trunc,
    'fix': np.trunc,
    'round': lambda x: np.where(x >= 0, np.floor(x + 0.5), np.ceil(x - 0.5)),
}

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


@pytest.mark.parametrize('name', sorted(UNARY))
@settings(max_examples=8, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2 ** 16))
def test_unary_forward_and_gradient(name, shape, seed):
    ref, low, high = UNARY[name]
    x = np.random.default_rng(seed).uniform(low, high, shape)
    fn = getattr(nd, name)
    assert_almost_equal(fn(nd.array(x, dtype='float64')), ref(x), rtol=1e-7, atol=1e-10)
    out32 = fn(nd.array(x))
    assert out32.dtype is np.float32 and out32.shape == shape
    check_numeric_gradient(fn, [x], dtype=np.float64, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize('name', sorted(PIECEWISE))
def test_piecewise_constant_ops_have_zero_gradient(name):
    x = np.array([-2.5, -1.2, -0.5, 0.4, 0.5, 1.5, 2.7])
    assert_almost_equal(getattr(nd, name)(nd.array(x, dtype='float64')), PIECEWISE[name](x))
    v = nd.array(x)
    v.attach_grad()
    with mx.autograd.record():
        y = getattr(nd, name)(v)
    y.backward()
    assert not v.grad.asnumpy().any()


def test_round_is_half_away_from_zero():
    assert nd.round(nd.array([-2.5, -0.5, 0.5, 1.5, 2.5])).asnumpy().tolist() == \
        [-3, -1, 1, 2, 3]


def test_zero_size_arrays_pass_through():
    empty = nd.array(np.zeros((2, 0)))
    assert nd.exp(empty).shape == (2, 0)
    assert (empty + empty).shape == (2, 0)


BINARY = {
    'broadcast_add': (np.add, 0.5, 2), 'broadcast_sub': (np.subtract, 0.5, 2),
    'broadcast_mul': (np.multiply, 0.5, 2), 'broadcast_div': (np.divide, 0.5, 2),
    'broadcast_power': (np.power, 0.5, 2), 'broadcast_hypot': (np.hypot, 0.5, 2),
    'broadcast_maximum': (np.maximum, -2, 2), 'broadcast_minimum': (np.minimum, -2, 2),
    'broadcast_mod': (np.mod, 0.5, 3),
}


@pytest.mark.parametrize('name', sorted(BINARY))
@settings(max_examples=10, deadline=None)
@given(shp=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3,
                                             max_side=3), seed=st.integers(0, 2 ** 16))
def test_binary_broadcast_forward_and_gradient(name, shp, seed):
    ref, low, high = BINARY[name]
    rng = np.random.default_rng(seed)
    a = rng.uniform(low, high, shp.input_shapes[0])
    b = rng.uniform(low, high, shp.input_shapes[1])
    if name in ('broadcast_maximum', 'broadcast_minimum'):
        b = b + 0.05 * (np.abs(np.subtract(*np.broadcast_arrays(a, b)[::-1]).min(
            initial=1)) < 0.05)
    fn = getattr(nd, name)
    got = fn(nd.array(a, dtype='float64'), nd.array(b, dtype='float64'))
    assert got.shape == shp.result_shape
    assert_almost_equal(got, ref(a, b), rtol=1e-10, atol=1e-12)
    if name == 'broadcast_mod':
        a = np.floor(a) + 0.25 + rng.uniform(0, 0.5, a.shape)  # stay away from the jumps
        b = np.full(b.shape, 1.0) + rng.uniform(0, 0.2, b.shape) * 0
    check_numeric_gradient(fn, [a, b], dtype=np.float64, rtol=1e-5, atol=1e-7)


SCALAR = {
    '_plus_scalar': lambda x, s: x + s, '_minus_scalar': lambda x, s: x - s,
    '_rminus_scalar': lambda x, s: s - x, '_mul_scalar': lambda x, s: x * s,
    '_div_scalar': lambda x, s: x / s, '_rdiv_scalar': lambda x, s: s / x,
    '_power_scalar': lambda x, s: x ** s, '_rpower_scalar': lambda x, s: s ** x,
    '_maximum_scalar': np.maximum, '_minimum_scalar': np.minimum,
    '_hypot_scalar': np.hypot,
}


@pytest.mark.parametrize('name', sorted(SCALAR))
def test_scalar_ops_forward_and_gradient(name):
    x = np.random.default_rng(1).uniform(0.5, 2, (3, 4))
    s = 1.3
    fn = getattr(nd, name)
    assert_almost_equal(fn(nd.array(x, dtype='float64'), scalar=s), SCALAR[name](x, s))
    check_numeric_gradient(lambda v: fn(v, scalar=s), [x], dtype=np.float64, rtol=1e-5,
                           atol=1e-7)


def test_scalar_functions_accept_numbers_either_side():
    x = nd.array([1.0, 4.0])
    np.testing.assert_allclose(nd.maximum(x, 2).asnumpy(), [2, 4])
    np.testing.assert_allclose(nd.subtract(10, x).asnumpy(), [9, 6])
    np.testing.assert_allclose(nd.greater(3, x).asnumpy(), [1, 0])
    np.testing.assert_allclose(nd.power(x, nd.array([2.0, 0.5])).asnumpy(), [1, 2])
    assert nd.add(1, 2) == 3
    with pytest.raises(mx.MXNetError, match='expected NDArrays or numbers'):
        nd.add(x, 'a')


def test_comparisons_and_logical_ops():
    a = nd.array([0, 1, 2, 3])
    b = nd.array([0, 2, 2, 1])
    assert nd.broadcast_equal(a, b).asnumpy().tolist() == [1, 0, 1, 0]
    assert nd.broadcast_lesser(a, b).asnumpy().tolist() == [0, 1, 0, 0]
    assert nd.logical_and(a, b).asnumpy().tolist() == [0, 1, 1, 1]
    assert nd.logical_not(a).asnumpy().tolist() == [1, 0, 0, 0]
    assert nd.broadcast_logical_xor(a, b).asnumpy().tolist() == [0, 0, 0, 0]


def test_clip_forward_gradient_and_errors():
    x = nd.array([-2.0, -0.5, 0.5, 3.0])
    x.attach_grad()
    with mx.autograd.record():
        y = nd.clip(x, a_min=-1, a_max=1)
    y.backward()
    assert y.asnumpy().tolist() == [-1, -0.5, 0.5, 1]
    assert x.grad.asnumpy().tolist() == [0, 1, 1, 0]
    with pytest.raises(mx.MXNetError, match='a_min'):
        nd.clip(x, a_min=2, a_max=1)


def test_cast_gradient_returns_to_input_dtype():
    x = nd.array([1.5, 2.5])
    x.attach_grad()
    with mx.autograd.record():
        y = nd.Cast(x, dtype='float64') * 2
    y.backward()
    assert y.dtype is np.float64 and x.grad.dtype is np.float32
    assert x.grad.asnumpy().tolist() == [2, 2]


def test_float_only_errors_name_operator():
    with pytest.raises(mx.MXNetError, match='Operator broadcast_add'):
        nd.broadcast_add(nd.ones((2, 3)), nd.ones((3, 2)))
