"""Reductions: forward against numpy, gradients against finite differences, errors."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mxlearn as mx
from mxlearn import autograd, nd
from mxlearn.base import MXNetError
from mxlearn.test_utils import assert_almost_equal, check_numeric_gradient

# Every test runs on each device of the ctx fixture (tests/conftest.py).
pytestmark = pytest.mark.usefixtures('ctx')

SETTINGS = settings(max_examples=30, deadline=None)


# ------------------------------------------------------------- strategies --

@st.composite
def reduction_case(draw, min_side=0, max_ndim=4):
    """(shape, axis, keepdims, exclude), axis in every form MXNet accepts."""
    ndim = draw(st.integers(1, max_ndim))
    shape = tuple(draw(st.lists(st.integers(min_side, 4), min_size=ndim, max_size=ndim)))
    kind = draw(st.sampled_from(['none', 'empty', 'int', 'tuple']))
    if kind == 'none':
        axis = None
    elif kind == 'empty':
        axis = ()
    elif kind == 'int':
        axis = draw(st.integers(-ndim, ndim - 1))
    else:
        picked = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                               unique=True))
        # Negative spellings of the same axes must mean the same thing.
        axis = tuple(a - ndim if draw(st.booleans()) else a for a in picked)
    return shape, axis, draw(st.booleans()), draw(st.booleans())


def expected_axes(shape, axis, exclude):
    """The reduced axes, from MXNet's documented rule (written independently here)."""
    ndim = len(shape)
    if axis is None or axis == ():
        return tuple(range(ndim))
    listed = {a % ndim for a in (axis if isinstance(axis, tuple) else (axis,))}
    if exclude:
        return tuple(a for a in range(ndim) if a not in listed)
    return tuple(sorted(listed))


def reference(fn, x, axis, keepdims, exclude):
    axes = expected_axes(x.shape, axis, exclude)
    out = np.asarray(fn(x, axis=axes, keepdims=keepdims))
    if out.ndim == 0:
        out = out.reshape(1)
    return out


def call(name, x, axis, keepdims, exclude):
    return getattr(nd, name)(nd.array(x, dtype=x.dtype), axis=axis, keepdims=keepdims,
                             exclude=exclude)


def rand(shape, low=-2.0, high=2.0, dtype=np.float32, seed=0):
    return np.random.RandomState(seed).uniform(low, high, shape).astype(dtype)


def distinct(shape, dtype=np.float32, seed=0):
    """Values at least 0.2 apart, so max/min/sort have no ties within a difference step."""
    n = int(np.prod(shape))
    return (np.random.RandomState(seed).permutation(n) * 0.2 - 0.1 * n).reshape(shape) \
        .astype(dtype)


# ---------------------------------------------------------------- forward --

NUMPY_REDUCTIONS = {'sum': np.sum, 'mean': np.mean, 'prod': np.prod, 'nansum': np.nansum,
                    'nanprod': np.nanprod, 'max': np.max, 'min': np.min}


@pytest.mark.parametrize('name', sorted(NUMPY_REDUCTIONS))
@SETTINGS
@given(case=reduction_case(), seed=st.integers(0, 2 ** 16))
def test_forward_matches_numpy(name, case, seed):
    shape, axis, keepdims, exclude = case
    axes = expected_axes(shape, axis, exclude)
    x = rand(shape, 0.5, 1.5, seed=seed)   # keeps products of up to 256 numbers finite
    if name in ('max', 'min') and any(shape[a] == 0 for a in axes):
        with pytest.raises(MXNetError, match='empty axis'):
            call(name, x, axis, keepdims, exclude)
        return
    if name == 'mean' and any(shape[a] == 0 for a in axes):
        want = np.full(reference(np.sum, x, axis, keepdims, exclude).shape, np.nan)
    else:
        want = reference(NUMPY_REDUCTIONS[name], x.astype(np.float64), axis, keepdims, exclude)
    got = call(name, x, axis, keepdims, exclude)
    assert got.shape == want.shape
    assert got.dtype == np.float32
    assert_almost_equal(got.asnumpy(), want, rtol=1e-5, atol=1e-5, equal_nan=True)


def test_full_reduction_has_shape_one():
    x = nd.array(np.arange(6).reshape(2, 3))
    for name in ('sum', 'mean', 'max', 'min', 'prod', 'nansum', 'nanprod', 'norm'):
        assert getattr(nd, name)(x).shape == (1,), name
    assert nd.sum(x, axis=()).asnumpy().tolist() == [15.0]
    assert nd.sum(x, axis=(0, 1)).shape == (1,)
    assert nd.sum(x, keepdims=True).shape == (1, 1)
    assert nd.sum(nd.array([1, 2, 3]), axis=0).shape == (1,)


def test_exclude_semantics():
    x = nd.array(np.ones((2, 3, 4)))
    assert nd.sum(x, axis=1, exclude=True).asnumpy().tolist() == [8.0, 8.0, 8.0]
    assert nd.sum(x, axis=(0, 2), exclude=True).shape == (2, 4)
    # axis=None / () reduce everything whatever exclude says.
    assert nd.sum(x, exclude=True).asnumpy().tolist() == [24.0]
    assert nd.sum(x, axis=(), exclude=True).asnumpy().tolist() == [24.0]
    # Excluding every axis reduces nothing.
    assert nd.sum(x, axis=(0, 1, 2), exclude=True).shape == (2, 3, 4)


def test_positional_axis_and_aliases():
    x = nd.array([[1, 2, 3], [4, 5, 6]])
    assert nd.sum(x, 1).asnumpy().tolist() == [6.0, 15.0]
    assert nd.sum_axis(x, axis=0).asnumpy().tolist() == [5.0, 7.0, 9.0]
    assert nd.max_axis(x, axis=1).asnumpy().tolist() == [3.0, 6.0]
    assert nd.min_axis(x, axis=1).asnumpy().tolist() == [1.0, 4.0]
    assert nd.sum(x, axis=[0, 1]).asnumpy().tolist() == [21.0]


@pytest.mark.parametrize('dtype', ['int32', 'int64'])
def test_integer_inputs_keep_their_dtype(dtype):
    x = nd.array([[1, 2, 4], [-3, 5, 7]], dtype=dtype)
    for name in ('sum', 'mean', 'max', 'min', 'prod', 'nansum', 'nanprod'):
        assert getattr(nd, name)(x, axis=1).dtype == np.dtype(dtype), name
    assert nd.sum(x, axis=1).asnumpy().tolist() == [7, 9]
    # The mean of integers is truncated toward zero, as in MXNet.
    assert nd.mean(x, axis=1).asnumpy().tolist() == [2, 3]
    assert nd.mean(nd.array([-3, 0], dtype=dtype)).asnumpy().tolist() == [-1]
    assert nd.prod(x).asnumpy().tolist() == [-840]


def test_float16_sums_accumulate_accurately():
    x = nd.array(np.full(4096, 0.1), dtype='float16')
    got = nd.sum(x).asnumpy()
    assert got.dtype == np.float16
    assert abs(float(got[0]) - 409.6) < 0.5


def test_empty_reductions():
    x = nd.array(np.zeros((2, 0)))
    assert nd.sum(x, axis=1).asnumpy().tolist() == [0.0, 0.0]
    assert nd.prod(x, axis=1).asnumpy().tolist() == [1.0, 1.0]
    assert nd.sum(x, axis=0).shape == (0,)
    assert nd.max(x, axis=0).shape == (0,)
    assert np.isnan(nd.mean(x, axis=1).asnumpy()).all()
    with pytest.raises(MXNetError, match='cannot take the max of an empty axis'):
        nd.max(x, axis=1)


def test_nan_reductions():
    x = nd.array([[1, np.nan, 2], [np.nan, np.nan, 3]])
    assert nd.nansum(x, axis=1).asnumpy().tolist() == [3.0, 3.0]
    assert nd.nanprod(x, axis=1).asnumpy().tolist() == [2.0, 3.0]
    assert np.isnan(nd.sum(x, axis=1).asnumpy()).all()
    assert np.isnan(nd.max(x).asnumpy()).all()


# ---------------------------------------------------------------- norm --

@pytest.mark.parametrize('ord', [1, 2])
@SETTINGS
@given(case=reduction_case(min_side=1), seed=st.integers(0, 2 ** 16))
def test_norm_forward(ord, case, seed):
    shape, axis, keepdims, _ = case
    x = rand(shape, seed=seed)
    axes = expected_axes(shape, axis, False)
    if ord == 1:
        want = np.sum(np.abs(x.astype(np.float64)), axis=axes, keepdims=keepdims)
    else:
        want = np.sqrt(np.sum(x.astype(np.float64) ** 2, axis=axes, keepdims=keepdims))
    want = np.asarray(want).reshape(np.shape(want) or (1,))
    got = nd.norm(nd.array(x), ord=ord, axis=axis, keepdims=keepdims)
    assert got.shape == want.shape
    assert_almost_equal(got.asnumpy(), want, rtol=1e-5, atol=1e-5)


def test_norm_examples_and_options():
    x = nd.array([[3, 4], [0, 0]])
    assert nd.norm(x).asnumpy().tolist() == [5.0]
    assert nd.norm(x, axis=1).asnumpy().tolist() == [5.0, 0.0]
    assert nd.norm(x, ord=1).asnumpy().tolist() == [7.0]
    assert nd.norm(x, axis=1, keepdims=True).shape == (2, 1)
    assert nd.norm(x, out_dtype='float64').dtype == np.float64
    assert nd.norm(nd.array([3, 4], dtype='int32')).asnumpy().tolist() == [5]
    assert nd.norm(nd.array([3, 4], dtype='int32')).dtype == np.int32


def test_norm_rejects_other_orders():
    with pytest.raises(MXNetError, match=r'ord=3 is not supported; expected ord=1 or ord=2'):
        nd.norm(nd.array([1, 2]), ord=3)


# ---------------------------------------------------------- argmax/argmin --

@pytest.mark.parametrize('name', ['argmax', 'argmin'])
@SETTINGS
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple),
       data=st.data(), keepdims=st.booleans())
def test_argmax_argmin(name, shape, data, keepdims):
    # Small integers give plenty of ties: the first occurrence must win.
    x = np.array(data.draw(st.lists(st.integers(-2, 2), min_size=int(np.prod(shape)),
                                    max_size=int(np.prod(shape))))).reshape(shape)
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    fn = np.argmax if name == 'argmax' else np.argmin
    if axis is None:
        want = np.array([fn(x)]).reshape((1,) * len(shape) if keepdims else (1,))
    else:
        want = fn(x, axis=axis)
        if keepdims:
            want = np.expand_dims(want, axis)
        want = want.reshape(want.shape or (1,))
    for dtype in ('float32', 'int32'):
        got = getattr(nd, name)(nd.array(x, dtype=dtype), axis=axis, keepdims=keepdims)
        assert got.dtype == np.dtype(dtype)   # MXNet: indices in the input's dtype
        assert got.shape == want.shape
        assert got.asnumpy().tolist() == want.tolist()


def test_argmax_facts():
    x = nd.array([[1, 2, 3], [4, 5, 6]])
    assert nd.argmax(x).asnumpy().tolist() == [5.0]
    assert nd.argmax(x, keepdims=True).shape == (1, 1)
    assert nd.argmax(nd.array([1, np.nan, 3])).asnumpy().tolist() == [1.0]
    with pytest.raises(MXNetError, match='axis must be a single int or None'):
        nd.argmax(x, axis=(0, 1))


def test_argmax_has_no_gradient():
    x = nd.array([1, 3, 2])
    x.attach_grad()
    with autograd.record():
        y = nd.argmax(x) * nd.sum(x)
    y.backward()
    # Only the sum contributes: argmax is a constant (its value, 1) to autograd.
    assert x.grad.asnumpy().tolist() == [1.0, 1.0, 1.0]


# ---------------------------------------------------------------- errors --

@pytest.mark.parametrize('name', ['sum', 'mean', 'max', 'min', 'prod', 'nansum', 'nanprod',
                                  'norm', 'argmax', 'argmin'])
def test_axis_out_of_range(name):
    x = nd.array(np.ones((2, 3)))
    with pytest.raises(MXNetError) as e:
        getattr(nd, name)(x, axis=2)
    first = str(e.value).splitlines()[0]
    assert first == ('Operator %s: axis 2 is out of range for an array of 2 dimensions '
                     '(expected -2 <= axis < 2)' % name)
    assert 'data: shape (2, 3), dtype float32' in str(e.value)
    with pytest.raises(MXNetError, match='axis -3 is out of range'):
        getattr(nd, name)(x, axis=-3)


def test_duplicate_axes_are_rejected():
    with pytest.raises(MXNetError, match=r'axis 0 appears twice in axis=\(0, -2\)'):
        nd.sum(nd.array(np.ones((2, 3))), axis=(0, -2))


def test_infer_shape():
    from mxlearn.operator import get_op
    assert get_op('sum').infer_shape([(2, 3, 4)], axis=1, keepdims=False,
                                     exclude=False) == [(2, 4)]
    assert get_op('sum').infer_shape([(2, 3, 4)], axis=None, keepdims=False,
                                     exclude=False) == [(1,)]
    assert get_op('norm').infer_shape([(2, 3)], ord=2, axis=1, out_dtype=None,
                                      keepdims=True) == [(2, 1)]
    assert get_op('argmax').infer_shape([(2, 3)], axis=None, keepdims=False) == [(1,)]
    with pytest.raises(MXNetError, match='axis 3 is out of range'):
        get_op('mean').infer_shape([(2, 3)], axis=3, keepdims=False, exclude=False)


# ------------------------------------------------------------- gradients --

@pytest.mark.parametrize('name', ['sum', 'mean', 'max', 'min', 'prod', 'nansum', 'nanprod'])
@settings(max_examples=12, deadline=None)
@given(case=reduction_case(min_side=1, max_ndim=3), seed=st.integers(0, 2 ** 16))
def test_gradients_match_finite_differences(name, case, seed):
    shape, axis, keepdims, exclude = case
    if name in ('max', 'min'):
        x = distinct(shape, seed=seed)
    else:
        x = rand(shape, 0.5, 1.5, seed=seed)
    fn = getattr(nd, name)
    check_numeric_gradient(lambda x: fn(x, axis=axis, keepdims=keepdims, exclude=exclude),
                           [x], dtype=np.float64)


@pytest.mark.parametrize('ord', [1, 2])
@settings(max_examples=12, deadline=None)
@given(case=reduction_case(min_side=1, max_ndim=3), seed=st.integers(0, 2 ** 16))
def test_norm_gradient(ord, case, seed):
    shape, axis, keepdims, _ = case
    # Away from 0, where |x| has no derivative.
    x = rand(shape, 0.3, 2.0, seed=seed) * np.where(rand(shape, seed=seed + 1) > 0, 1, -1)
    check_numeric_gradient(lambda x: nd.norm(x, ord=ord, axis=axis, keepdims=keepdims),
                           [x.astype(np.float32)])


def _grad(fn, x):
    x = nd.array(x)
    x.attach_grad()
    with autograd.record():
        y = fn(x)
    y.backward()
    return x.grad.asnumpy()


def test_max_gradient_ties_are_shared():
    assert _grad(nd.max, [1, 3, 3, 2]).tolist() == [0.0, 0.5, 0.5, 0.0]
    assert _grad(lambda x: nd.min(x, axis=1), [[1, 1, 3], [2, 0, 5]]).tolist() == \
        [[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]]


def test_prod_gradient_with_zeros():
    # The product of the other elements, even where x is zero.
    assert _grad(nd.prod, [2, 0, 3, 4]).tolist() == [0.0, 24.0, 0.0, 0.0]
    assert _grad(nd.prod, [2, 0, 0, 4]).tolist() == [0.0, 0.0, 0.0, 0.0]
    assert _grad(lambda x: nd.prod(x, axis=1), [[1, 0, 3], [2, 3, 4]]).tolist() == \
        [[0.0, 3.0, 0.0], [12.0, 8.0, 6.0]]


def test_nan_gradients():
    assert _grad(nd.nansum, [1, np.nan, 2]).tolist() == [1.0, 0.0, 1.0]
    assert _grad(nd.nanprod, [3, np.nan, 2]).tolist() == [2.0, 0.0, 3.0]


def test_norm_gradient_at_zero_is_zero():
    assert _grad(nd.norm, [0, 0]).tolist() == [0.0, 0.0]
    assert _grad(lambda x: nd.norm(x, ord=1), [0, -2, 3]).tolist() == [0.0, -1.0, 1.0]
    g = _grad(lambda x: nd.norm(x, out_dtype='float64'), [3, 4])
    assert g.dtype == np.float32 and np.allclose(g, [0.6, 0.8])


def test_integer_mean_gradient_shape():
    assert _grad(lambda x: nd.mean(x, axis=1), [[1, 2], [3, 4]]).tolist() == [[0.5] * 2] * 2


# ----------------------------------------------------------- second order --

def test_sum_second_order():
    x = nd.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])
    w = nd.array([2.0, -1.0])
    x.attach_grad()
    with autograd.record():
        y = nd.sum(x * x * x, axis=1) * w       # dy/dx = 3 x^2 w_row
        dx = autograd.grad(y, [x], create_graph=True)[0]
        z = nd.sum(dx * dx)                     # sum 9 x^4 w^2
    assert_almost_equal(dx.asnumpy(), 3 * x.asnumpy() ** 2 * w.asnumpy()[:, None])
    z.backward()
    want = 36 * x.asnumpy() ** 3 * (w.asnumpy() ** 2)[:, None]
    assert_almost_equal(x.grad.asnumpy(), want, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize('name', ['mean', 'prod', 'max', 'norm'])
def test_second_order_through_reductions(name):
    # d/dx of sum(grad(f)) compared with finite differences of the first-order gradient.
    x0 = distinct((2, 3)).astype(np.float64) + 3.0
    fn = getattr(nd, name)

    def first(v):
        x = nd.array(v, dtype='float64')
        x.attach_grad()
        with autograd.record():
            y = fn(x, axis=1)
            return x, autograd.grad(y * y, [x], create_graph=True)[0]

    x, dx = first(x0)
    with autograd.record():
        total = nd.sum(dx)
    total.backward()
    eps = 1e-6
    numeric = np.zeros_like(x0)
    for i in np.ndindex(*x0.shape):
        hi, lo = x0.copy(), x0.copy()
        hi[i] += eps
        lo[i] -= eps
        numeric[i] = (first(hi)[1].asnumpy().sum() - first(lo)[1].asnumpy().sum()) / (2 * eps)
    assert_almost_equal(x.grad.asnumpy(), numeric, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------- broadcast_axis --

def test_broadcast_axis_forward():
    x = nd.array([[1], [2]])
    out = nd.broadcast_axis(x, axis=1, size=3)
    assert out.asnumpy().tolist() == [[1, 1, 1], [2, 2, 2]]
    assert nd.broadcast_axes(x, axis=1, size=3).shape == (2, 3)
    assert nd.broadcast_axis(nd.array(np.ones((1, 3, 1))), axis=(0, 2),
                             size=(2, 4)).shape == (2, 3, 4)
    assert nd.broadcast_axis(nd.array(np.ones((1, 3))), axis=-2, size=4).shape == (4, 3)
    assert nd.broadcast_axis(x, axis=(), size=()).shape == (2, 1)
    # The result is a writable array of its own.
    out[0, 0] = 7
    assert x.asnumpy().tolist() == [[1], [2]]


def test_broadcast_axis_errors():
    x = nd.array(np.ones((2, 3)))
    with pytest.raises(MXNetError, match='axis 0 has size 2; only axes of size 1 can be '
                                         'broadcast'):
        nd.broadcast_axis(x, axis=0, size=4)
    with pytest.raises(MXNetError, match='axis 2 is out of range for an array of 2'):
        nd.broadcast_axis(x, axis=2, size=4)
    with pytest.raises(MXNetError, match='must have the same length'):
        nd.broadcast_axis(x, axis=0, size=(2, 3))


def test_broadcast_axis_gradient():
    x = rand((1, 3, 1))
    check_numeric_gradient(lambda x: nd.broadcast_axis(x, axis=(0, 2), size=(2, 4)), [x])
    check_numeric_gradient(lambda x: nd.broadcast_axis(x, axis=(), size=()), [x])
