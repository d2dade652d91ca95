"""The special-function kernels (mxlearn._ext.special) and the nd ops built on them.

References come from Python's math module (erf, erfc, gamma, lgamma) and from
identities: digamma and trigamma are checked against numerical derivatives of
lgamma, known values, the recurrences and the reflection formulas.
"""
import math

import numpy as np
import pytest

import mxlearn as mx
from mxlearn import autograd, nd
from mxlearn._ext import special

EULER = 0.57721566490153286061
m_erf = np.vectorize(math.erf, otypes=[float])
m_erfc = np.vectorize(math.erfc, otypes=[float])
m_gamma = np.vectorize(math.gamma, otypes=[float])
m_lgamma = np.vectorize(math.lgamma, otypes=[float])

FUNCS = ['erf', 'erfinv', 'gamma', 'gammaln', 'digamma', 'trigamma']


def _grid(low, high, n=401, avoid_integers=False):
    x = np.linspace(low, high, n)
    if avoid_integers:
        x = x[np.abs(x - np.round(x)) > 1e-3]
    return x


# ------------------------------------------------------------ kernels --

def test_erf_matches_math():
    x = np.concatenate([_grid(-6, 6), [0.0, 1e-300, -1e-10, 30.0, -30.0]])
    np.testing.assert_allclose(special.erf(x), m_erf(x), rtol=1e-15, atol=1e-300)
    assert special.erf(np.array([np.inf, -np.inf]))[0] == 1
    assert np.isnan(special.erf(np.array([np.nan])))[0]


def test_gamma_matches_math():
    x = np.concatenate([_grid(-10.5, 0, avoid_integers=True), _grid(0.01, 171)])
    np.testing.assert_allclose(special.gamma(x), m_gamma(x), rtol=1e-13)
    out = special.gamma(np.array([0.0, -0.0, -1.0, -2.0, 172.0, np.inf]))
    assert out[0] == np.inf and out[1] == -np.inf
    assert np.isnan(out[2]) and np.isnan(out[3])
    assert out[4] == np.inf and out[5] == np.inf


def test_gammaln_matches_math():
    x = np.concatenate([_grid(-10.5, 0, avoid_integers=True), _grid(0.01, 1e4), [1e300]])
    np.testing.assert_allclose(special.gammaln(x), m_lgamma(x), rtol=1e-13, atol=1e-15)
    out = special.gammaln(np.array([0.0, -1.0, -5.0]))
    assert (out == np.inf).all()


def test_digamma_known_values():
    x = np.array([1.0, 0.5, 2.0, 1e-8])
    expected = [-EULER, -EULER - 2 * math.log(2), 1 - EULER, -1e8 - EULER]
    np.testing.assert_allclose(special.digamma(x), expected, rtol=1e-14)
    # large x: psi(x) ~ log(x) - 1/(2x)
    assert abs(special.digamma(np.array([1e15]))[0] - (math.log(1e15) - 0.5e-15)) < 1e-13


def test_digamma_is_derivative_of_lgamma():
    x = np.concatenate([_grid(0.05, 30), _grid(-6.9, -0.1, avoid_integers=True)])
    x = x[np.abs(x - np.round(x)) > 0.02]
    h = 1e-6
    numeric = (m_lgamma(x + h) - m_lgamma(x - h)) / (2 * h)
    np.testing.assert_allclose(special.digamma(x), numeric, rtol=1e-7, atol=1e-7)


def test_digamma_recurrence_and_reflection():
    x = _grid(-20.7, 20.3, avoid_integers=True)
    x = x[np.abs(x - np.round(x)) > 1e-2]
    psi = special.digamma
    np.testing.assert_allclose(psi(x + 1), psi(x) + 1 / x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(psi(1 - x) - psi(x), np.pi / np.tan(np.pi * x),
                               rtol=1e-11, atol=1e-11)


def test_accuracy_next_to_the_poles():
    # x = -2 - d: the recurrence from x + 3 = 1 - d (well inside x > 0) is well
    # conditioned and dominated by the exact 1/(x + 2) term
    d = np.array([1e-3, -1e-6, 1e-9, -1e-12, 2.0 ** -40])
    x = -2 - d
    np.testing.assert_allclose(
        special.digamma(x), special.digamma(x + 3) - 1 / x - 1 / (x + 1) - 1 / (x + 2),
        rtol=1e-14)
    np.testing.assert_allclose(
        special.trigamma(x), special.trigamma(x + 3) + 1 / x ** 2 + 1 / (x + 1) ** 2
        + 1 / (x + 2) ** 2, rtol=1e-14)
    # just below 0, where 1 + x rounds to 1
    np.testing.assert_allclose(special.digamma(np.array([-1e-20])), [1e20], rtol=1e-15)


def test_digamma_poles_follow_scipy():
    out = special.digamma(np.array([0.0, -0.0, -1.0, -7.0, np.inf, -np.inf, np.nan]))
    assert out[0] == -np.inf and out[1] == np.inf
    assert np.isnan(out[2:4]).all()
    assert out[4] == np.inf
    assert np.isnan(out[5]) and np.isnan(out[6])


def test_trigamma_known_values_and_identities():
    tri = special.trigamma
    np.testing.assert_allclose(tri(np.array([1.0, 0.5, 2.0])),
                               [np.pi ** 2 / 6, np.pi ** 2 / 2, np.pi ** 2 / 6 - 1],
                               rtol=1e-14)
    x = _grid(-15.7, 15.3, avoid_integers=True)
    x = x[np.abs(x - np.round(x)) > 1e-2]
    np.testing.assert_allclose(tri(x), tri(x + 1) + 1 / x ** 2, rtol=1e-11)
    np.testing.assert_allclose(tri(1 - x) + tri(x), (np.pi / np.sin(np.pi * x)) ** 2,
                               rtol=1e-11)
    # large x: psi'(x) ~ 1/x + 1/(2 x^2)
    assert abs(tri(np.array([1e8]))[0] - (1e-8 + 0.5e-16)) < 1e-22


def test_trigamma_is_second_derivative_of_lgamma():
    x = _grid(0.5, 6, n=101)
    h = 1e-3
    numeric = (m_lgamma(x + h) - 2 * m_lgamma(x) + m_lgamma(x - h)) / h ** 2
    np.testing.assert_allclose(special.trigamma(x), numeric, rtol=1e-5)
    # and the first derivative of digamma (itself checked against lgamma above)
    x = np.concatenate([_grid(0.2, 50), _grid(-5.9, -0.1, avoid_integers=True)])
    x = x[np.abs(x - np.round(x)) > 0.02]
    np.testing.assert_allclose(special.trigamma(x), _numeric_grad(special.digamma, x, 1e-6),
                               rtol=1e-6)
    out = special.trigamma(np.array([0.0, -3.0, np.inf]))
    assert out[0] == np.inf and out[1] == np.inf and out[2] == 0


def test_erfinv_inverts_erf():
    x = np.concatenate([np.linspace(-0.999, 0.999, 2001), [1e-300, -1e-20, 0.5]])
    y = special.erfinv(x)
    np.testing.assert_allclose(m_erf(y), x, rtol=2e-15, atol=1e-300)
    assert abs(special.erfinv(np.array([0.5]))[0] - 0.4769362762044699) < 1e-15
    np.testing.assert_array_equal(special.erfinv(-x), -y)


def test_erfinv_tails():
    t = 10.0 ** -np.arange(3, 17)          # x = 1 - t, down to 1 - 1e-16
    y = special.erfinv(1 - t)
    # erfc is the accurate residual there: erfc(erfinv(1 - t)) = t
    np.testing.assert_allclose(m_erfc(y), 1 - (1 - t), rtol=1e-13)
    out = special.erfinv(np.array([1.0, -1.0, 1.5, -2.0, np.nan, 0.0, -0.0]))
    assert out[0] == np.inf and out[1] == -np.inf
    assert np.isnan(out[2:5]).all()
    assert out[5] == 0 and np.signbit(out[6])


@pytest.mark.parametrize('name', FUNCS)
@pytest.mark.parametrize('dtype', [np.float16, np.float32, np.float64])
def test_dtype_shape_and_strides(name, dtype):
    fn = getattr(special, name)
    base = np.linspace(0.05, 0.95, 60).reshape(3, 4, 5).astype(dtype)
    view = base[:, ::2, ::-1]                          # not contiguous
    out = fn(view)
    assert out.dtype == dtype and out.shape == view.shape
    expected = fn(np.ascontiguousarray(view, dtype=np.float64)).astype(dtype)
    np.testing.assert_array_equal(out, expected)
    assert fn(np.zeros((0, 3), dtype=dtype)).shape == (0, 3)
    assert fn(np.array(0.5, dtype=dtype)).shape == ()


def test_integer_input_gives_integer_output():
    out = special.gamma(np.array([1, 2, 5], dtype=np.int32))
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [1, 1, 24])
    assert special.erf(np.array([0, 1, 2], dtype=np.int64)).tolist() == [0, 0, 0]
    with pytest.raises(TypeError):
        special.erf(np.array(['a']))


@pytest.mark.parametrize('name', FUNCS)
def test_parallel_path_matches_serial(name):
    # above the OpenMP threshold the loop is split across threads
    x = np.random.default_rng(0).uniform(0.01, 0.99, 30001)
    fn = getattr(special, name)
    small = np.concatenate([fn(x[i:i + 5000]) for i in range(0, x.size, 5000)])
    np.testing.assert_array_equal(fn(x), small)


# ----------------------------------------------------- the nd operators --

def test_nd_ops_use_the_kernels():
    x = nd.array([0.3, 1.7, 2.5])
    for name in ['erf', 'gamma', 'gammaln', 'digamma', 'trigamma']:
        out = getattr(nd, name)(x)
        assert out.dtype is np.float32
        np.testing.assert_allclose(out.asnumpy(),
                                   getattr(special, name)(x.asnumpy()), rtol=1e-6)
    assert nd.erfinv(nd.array([0.5], dtype='float16')).dtype is np.float16


def _numeric_grad(fn, x, h=1e-6):
    return (fn(x + h) - fn(x - h)) / (2 * h)


@pytest.mark.parametrize('name, ref, low, high', [
    ('erf', m_erf, -2.0, 2.0),
    ('erfinv', special.erfinv, -0.9, 0.9),
    ('gamma', m_gamma, 0.3, 4.0),
    ('gammaln', m_lgamma, 0.3, 6.0),
    ('digamma', special.digamma, 0.3, 6.0),
])
def test_gradient_against_numeric_differences(name, ref, low, high):
    x0 = np.random.default_rng(1).uniform(low, high, (3, 4))
    x = nd.array(x0, dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = getattr(nd, name)(x)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), _numeric_grad(ref, x0), rtol=1e-6)


def test_erf_second_derivative():
    x0 = np.linspace(-2, 2, 9)
    x = nd.array(x0, dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = nd.erf(x)
        dy = autograd.grad(y, [x], create_graph=True)[0]
    np.testing.assert_allclose(dy.asnumpy(), 2 / np.sqrt(np.pi) * np.exp(-x0 ** 2),
                               rtol=1e-12)
    dy.backward()
    expected = -4 * x0 / np.sqrt(np.pi) * np.exp(-x0 ** 2)
    np.testing.assert_allclose(x.grad.asnumpy(), expected, rtol=1e-12, atol=1e-15)


def test_gammaln_second_derivative_is_trigamma():
    x0 = np.array([0.5, 1.0, 3.0])
    x = nd.array(x0, dtype='float64')
    x.attach_grad()
    with autograd.record():
        dy = autograd.grad(nd.gammaln(x), [x], create_graph=True)[0]
    dy.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), special.trigamma(x0), rtol=1e-12)
    with pytest.raises(mx.MXNetError):
        with autograd.record():
            d1 = autograd.grad(nd.digamma(x), [x], create_graph=True)[0]
            d2 = autograd.grad(d1, [x], create_graph=True)[0]
        d2.backward()
