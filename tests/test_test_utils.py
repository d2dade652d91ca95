"""Tests of mxlearn.test_utils (``mx.test_utils``)."""
import os

import numpy as np
import pytest

import mxlearn as mx
from mxlearn import autograd
from mxlearn import test_utils as tu
from mxlearn.base import MXNetError
from mxlearn.test_utils import (almost_equal, assert_almost_equal,
                                assert_almost_equal_ignore_nan, assert_exception,
                                check_numeric_gradient, same)


# ---- defaults -------------------------------------------------------------

def test_default_context_and_dtype():
    assert tu.default_context() == mx.cpu(0)
    assert tu.default_dtype() is np.float32


def test_set_default_context_changes_global_default():
    old = tu.default_context()
    try:
        tu.set_default_context(mx.cpu(2))
        assert tu.default_context() == mx.cpu(2)
        assert mx.nd.array([1.0]).context == mx.cpu(2)
        with mx.cpu(1):
            assert mx.nd.array([1.0]).context == mx.cpu(1)
    finally:
        tu.set_default_context(old)
    assert mx.nd.array([1.0]).context == mx.cpu(0)
    with pytest.raises(MXNetError):
        tu.set_default_context('cpu')


def test_tolerance_tables():
    r, a = tu.default_rtols(), tu.default_atols()
    assert r[np.dtype('float16')] == 1e-2 and a[np.dtype('float16')] == 1e-1
    assert r[np.dtype('float32')] == 1e-4 and a[np.dtype('float32')] == 1e-3
    assert r[np.dtype('float64')] == 1e-5 and a[np.dtype('float64')] == 1e-20
    for d in ('int8', 'uint8', 'int32', 'int64', 'bool'):
        assert r[np.dtype(d)] == 0 and a[np.dtype(d)] == 0
    assert tu.get_rtol() == 1e-5 and tu.get_atol() == 1e-20
    assert tu.get_rtol(None, np.float16) == 1e-2 and tu.get_rtol(0.3, np.float16) == 0.3
    assert tu.get_atol(None, 'float32') == 1e-3
    assert tu.default_numeric_eps()[np.dtype('float32')] == 2.0 ** -9
    assert tu.default_numeric_eps()[np.dtype('float64')] == 2.0 ** -14


# ---- assert_almost_equal --------------------------------------------------

def test_assert_almost_equal_float32_tolerances_as_mxnet():
    assert_almost_equal(mx.nd.array([1.0]), mx.nd.array([1.0009]))
    with pytest.raises(AssertionError):
        assert_almost_equal(mx.nd.array([1.0]), mx.nd.array([1.002]))


def test_assert_almost_equal_mixed_inputs():
    x = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    assert_almost_equal(mx.nd.array(x), x)
    assert_almost_equal(x, mx.nd.array(x))
    assert_almost_equal(mx.nd.array([2.0]), 2.0)
    assert_almost_equal(3, 3)
    assert_almost_equal([1.0, 2.0], (1.0, 2.0))


def test_assert_almost_equal_integers_are_exact():
    with pytest.raises(AssertionError):
        assert_almost_equal(mx.nd.array([1, 2], dtype='int32'),
                            mx.nd.array([1, 3], dtype='int32'))
    assert_almost_equal(mx.nd.array([1, 2], dtype='int32'), np.array([1, 2], np.int32))
    assert_almost_equal(np.array([True, False]), np.array([True, False]))
    with pytest.raises(AssertionError):
        assert_almost_equal(np.array([True, False]), np.array([True, True]))


def test_assert_almost_equal_float64_is_strict():
    with pytest.raises(AssertionError):
        assert_almost_equal(np.array([1.0]), np.array([1.0001]))
    assert_almost_equal(np.array([1.0]), np.array([1.000001]))


def test_assert_almost_equal_message_says_where_and_what():
    a = np.zeros((3, 4), np.float32)
    b = a.copy()
    b[1, 2] = 0.5
    b[2, 0] = 0.01
    with pytest.raises(AssertionError) as info:
        assert_almost_equal(mx.nd.array(a), b, names=('out', 'ref'))
    msg = str(info.value)
    assert 'out and ref differ: 2 of 12 elements' in msg
    assert 'largest error at index (1, 2)' in msg
    assert 'out=0' in msg and 'ref=0.5' in msg
    assert 'rtol=0.0001, atol=0.001' in msg


def test_assert_almost_equal_explicit_tolerances():
    assert_almost_equal(np.array([1.0]), np.array([1.1]), rtol=0.2, atol=0)
    with pytest.raises(AssertionError):
        assert_almost_equal(np.array([1.0]), np.array([1.1]), rtol=0.01, atol=0)
    assert_almost_equal(np.array([1.0]), np.array([1.1]), rtol=0, atol=0.2)


def test_assert_almost_equal_broadcast_and_shapes():
    assert_almost_equal(np.ones((2, 3)), np.ones(3))
    with pytest.raises(AssertionError, match='shape'):
        assert_almost_equal(np.ones((2, 3)), np.ones(3), use_broadcast=False)
    with pytest.raises(AssertionError, match='shape'):
        assert_almost_equal(np.ones((2, 3)), np.ones(4))
    assert_almost_equal(np.ones((0, 3)), np.ones((0, 3)))


def test_assert_almost_equal_nan_and_inf():
    nan = np.array([1.0, np.nan])
    with pytest.raises(AssertionError):
        assert_almost_equal(nan, nan)
    assert_almost_equal(nan, nan, equal_nan=True)
    with pytest.raises(AssertionError):
        assert_almost_equal(nan, np.array([1.0, 2.0]), equal_nan=True)
    inf = np.array([np.inf, -np.inf])
    assert_almost_equal(inf, inf)
    with pytest.raises(AssertionError):
        assert_almost_equal(inf, -inf)
    assert_almost_equal_ignore_nan(np.array([1.0, np.nan, 3.0]), np.array([1.0, 7.0, 3.0]))
    with pytest.raises(AssertionError):
        assert_almost_equal_ignore_nan(np.array([1.0, np.nan, 3.0]),
                                       np.array([2.0, 7.0, 3.0]))


def test_assert_almost_equal_lists_worst_mismatches():
    a = np.zeros(100)
    b = np.arange(100, dtype=np.float64)
    with pytest.raises(AssertionError) as info:
        assert_almost_equal(a, b, mismatches=(3, 10))
    msg = str(info.value)
    assert 'largest error at index (99,)' in msg
    assert '... and 96 more' in msg


def test_almost_equal_uses_float64_defaults():
    assert almost_equal(np.array([1.0]), np.array([1.000009]))
    assert not almost_equal(np.array([1.0]), np.array([1.0009]))
    assert not almost_equal(np.array([1.0], np.float32), np.array([1.0009], np.float32))
    assert almost_equal(mx.nd.array([1.0]), mx.nd.array([1.0]))
    assert almost_equal(np.ones((2, 3)), np.ones(3))
    assert not almost_equal(np.ones((2, 3)), np.ones(3), use_broadcast=False)
    assert almost_equal(np.array([np.nan]), np.array([np.nan]), equal_nan=True)
    assert not almost_equal(np.array([np.nan]), np.array([np.nan]))


def test_same_and_same_array():
    x = mx.nd.array([1, 2])
    assert same(x, np.array([1, 2], np.float32))
    assert not same(x, [1, 2.5])
    assert not same(np.ones(2), np.ones(3))
    assert tu.same_array(x, x)
    assert not tu.same_array(x, x.copy())


def test_assert_exception():
    assert_exception(int, ValueError, 'x')
    assert_exception(lambda a, b=0: a / b, ZeroDivisionError, 1, b=0)
    with pytest.raises(AssertionError, match='did not raise'):
        assert_exception(int, ValueError, '3')
    with pytest.raises(TypeError):
        assert_exception(int, ValueError, object())


# ---- check_numeric_gradient -------------------------------------------------

def test_check_numeric_gradient_passes_on_correct_ops():
    np.random.seed(0)
    x = np.random.uniform(-1, 1, (3, 4))
    check_numeric_gradient(lambda x: mx.nd.tanh(x) * x, [x])
    check_numeric_gradient(mx.nd.sin, [x])
    check_numeric_gradient(lambda x: mx.nd.exp(x * 0.5) / (x * x + 1), [x])


def test_check_numeric_gradient_float64():
    x = np.random.uniform(0.5, 1.5, (2, 3))
    check_numeric_gradient(lambda x: mx.nd.log(x) * x, [x], dtype=np.float64)


def test_check_numeric_gradient_several_inputs_and_broadcast():
    a = np.random.uniform(-1, 1, (2, 3))
    b = np.random.uniform(0.5, 1, (1, 3))
    check_numeric_gradient(lambda a, b: a * b + a / b, [a, b])
    check_numeric_gradient(lambda a, b: a * b + a / b, [mx.nd.array(a), mx.nd.array(b)])


def test_check_numeric_gradient_dict_location_and_grad_nodes():
    a = np.random.uniform(-1, 1, (2, 2))
    w = np.random.uniform(-1, 1, (2, 2))
    check_numeric_gradient(lambda data, weight: mx.nd.tanh(data * weight),
                           {'weight': w, 'data': a})
    check_numeric_gradient(lambda data, weight: mx.nd.tanh(data * weight),
                           {'weight': w, 'data': a}, grad_nodes=['weight'])
    check_numeric_gradient(lambda data, weight: data * weight, [a, w], grad_nodes=[1])
    with pytest.raises(MXNetError, match='unknown'):
        check_numeric_gradient(lambda data: data * 2, {'x': a})
    with pytest.raises(MXNetError, match='not an input'):
        check_numeric_gradient(lambda data: data * 2, [a], grad_nodes=['x'])


def test_check_numeric_gradient_multiple_outputs():
    x = np.random.uniform(-1, 1, (3,))
    check_numeric_gradient(lambda x: [x * x, mx.nd.exp(x)], [x])


def test_check_numeric_gradient_output_not_depending_on_input():
    x = np.random.uniform(-1, 1, (3,))
    y = np.random.uniform(-1, 1, (3,))
    check_numeric_gradient(lambda x, y: x * 2, [x, y])


class _WrongSquare(autograd.Function):
    """x * x with a deliberately wrong backward: 3x instead of 2x."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, dy):
        x, = self.saved_tensors
        return dy * x * 3


class _RightSquare(_WrongSquare):
    def backward(self, dy):
        x, = self.saved_tensors
        return dy * x * 2


def test_check_numeric_gradient_catches_a_wrong_gradient():
    x = np.random.uniform(0.5, 1, (2, 3))
    check_numeric_gradient(lambda x: _RightSquare()(x), [x])
    with pytest.raises(AssertionError) as info:
        check_numeric_gradient(lambda x: _WrongSquare()(x), [x])
    msg = str(info.value)
    assert "input 'x'" in msg and '(2, 3)' in msg
    assert 'numeric and autograd differ' in msg


def test_check_numeric_gradient_catches_a_small_float32_error():
    # A 1% gradient error in float32 is found: the finite differences run in float64.
    class Scaled(autograd.Function):
        def forward(self, x):
            return x * 1.0

        def backward(self, dy):
            return dy * 1.01

    x = np.random.uniform(-1, 1, (4,))
    with pytest.raises(AssertionError):
        check_numeric_gradient(lambda x: Scaled()(x), [x])


def test_check_numeric_gradient_errors():
    with pytest.raises(MXNetError, match='function'):
        check_numeric_gradient('not a function', [np.ones(2)])
    with pytest.raises(MXNetError, match='aux_states'):
        check_numeric_gradient(mx.nd.sin, [np.ones(2)], aux_states=[np.ones(2)])
    with pytest.raises(MXNetError, match='dense'):
        check_numeric_gradient(mx.nd.sin, [np.ones(2)], grad_stype_dict={'x': 'csr'})
    with pytest.raises(MXNetError, match='must return'):
        check_numeric_gradient(lambda x: 3.0, [np.ones(2)])


def test_numeric_grad_is_float64_accurate():
    g = tu.numeric_grad(lambda x: mx.nd.exp(x), [np.array([0.3, -0.2])], eps=2.0 ** -9)
    np.testing.assert_allclose(g['x'], np.exp([0.3, -0.2]), rtol=1e-6)


# ---- random inputs and environment -----------------------------------------

def test_random_arrays_and_rand_ndarray():
    a = tu.random_arrays((2, 3))
    assert a.shape == (2, 3) and a.dtype == np.float32
    b, c = tu.random_arrays((1,), (4, 5))
    assert b.shape == (1,) and c.shape == (4, 5)
    x = tu.rand_ndarray((3, 2))
    assert x.shape == (3, 2) and x.dtype == np.float32 and x.context == mx.cpu(0)
    y = tu.rand_ndarray((2,), dtype='float64', ctx=mx.cpu(1))
    assert y.dtype == np.float64 and y.context == mx.cpu(1)
    with pytest.raises(MXNetError, match='densely'):
        tu.rand_ndarray((2, 2), stype='csr', density=0.5)


def test_rand_shapes():
    np.random.seed(1)
    for _ in range(20):
        s = tu.rand_shape_2d(3, 4)
        assert len(s) == 2 and 1 <= s[0] <= 3 and 1 <= s[1] <= 4
        s = tu.rand_shape_3d(2, 2, 2)
        assert len(s) == 3 and all(1 <= d <= 2 for d in s)
        s = tu.rand_shape_nd(5, dim=2)
        assert len(s) == 5 and all(1 <= d <= 2 for d in s)
        assert all(isinstance(d, int) for d in s)
    assert any(0 in tu.rand_shape_nd(6, dim=1, allow_zero_size=True) for _ in range(20))


def test_environment_sets_and_restores():
    name = 'MXLEARN_TEST_UTILS_VAR'
    os.environ.pop(name, None)
    with tu.environment(name, 'a'):
        assert os.environ[name] == 'a'
    assert name not in os.environ
    os.environ[name] = 'orig'
    try:
        with tu.environment({name: None, name + '2': 'b'}):
            assert name not in os.environ and os.environ[name + '2'] == 'b'
        assert os.environ[name] == 'orig' and name + '2' not in os.environ
        with pytest.raises(RuntimeError):
            with tu.environment(name, 'x'):
                raise RuntimeError
        assert os.environ[name] == 'orig'
    finally:
        os.environ.pop(name, None)
    with pytest.raises(MXNetError):
        with tu.environment(name, 3):
            pass
