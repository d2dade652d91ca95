"""dot, batch_dot, linalg.gemm2/gemm: forward against numpy, gradients, errors."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mxlearn as mx
import mxlearn.ndarray.linalg  # noqa: F401  (mx.nd.linalg, until nd/__init__ imports it)
from mxlearn import autograd, nd
from mxlearn.base import MXNetError
from mxlearn.test_utils import assert_almost_equal, check_numeric_gradient

# Every test runs on each device of the ctx fixture (tests/conftest.py).
pytestmark = pytest.mark.usefixtures('ctx')

SETTINGS = settings(max_examples=40, deadline=None)


def rand(shape, seed=0, dtype=np.float32):
    return np.random.RandomState(seed).uniform(-1, 1, shape).astype(dtype)


def dims(min_side=0, min_size=0, max_size=2):
    return st.lists(st.integers(min_side, 3), min_size=min_size, max_size=max_size).map(tuple)


def dot_reference(a, b, transpose_a, transpose_b):
    """MXNet's dot from its definition: contract lhs's last (first, if transposed) axis
    with rhs's first (last, if transposed) axis; a flag on a vector does nothing."""
    if a.ndim == 1 and b.ndim == 1:
        return np.array([np.sum(a.astype(np.float64) * b)])
    la = 0 if (transpose_a and a.ndim > 1) else a.ndim - 1
    rb = b.ndim - 1 if (transpose_b and b.ndim > 1) else 0
    out = np.tensordot(a.astype(np.float64), b.astype(np.float64), axes=([la], [rb]))
    return out.reshape(out.shape or (1,))


@st.composite
def dot_case(draw):
    k = draw(st.integers(0, 3))
    free_a, free_b = draw(dims()), draw(dims())
    ta = draw(st.booleans()) and len(free_a) > 0
    tb = draw(st.booleans()) and len(free_b) > 0 and (len(free_a) > 0 or not ta)
    if not free_a and not free_b:
        ta = tb = False
    a_shape = (k,) + free_a if ta else free_a + (k,)
    b_shape = free_b + (k,) if tb else (k,) + free_b
    return a_shape, b_shape, ta, tb


# -------------------------------------------------------------------- dot --

@SETTINGS
@given(case=dot_case(), seed=st.integers(0, 2 ** 16))
def test_dot_forward(case, seed):
    a_shape, b_shape, ta, tb = case
    a, b = rand(a_shape, seed), rand(b_shape, seed + 1)
    want = dot_reference(a, b, ta, tb)
    got = nd.dot(nd.array(a), nd.array(b), transpose_a=ta, transpose_b=tb)
    assert got.shape == want.shape
    assert got.dtype == np.float32
    assert_almost_equal(got.asnumpy(), want, rtol=1e-5, atol=1e-5)


def test_dot_shapes_from_the_mxnet_reference():
    def shape(a, b, **kw):
        return nd.dot(nd.array(np.ones(a)), nd.array(np.ones(b)), **kw).shape
    assert shape((2,), (2,)) == (1,)
    assert shape((2,), (2, 3)) == (3,)
    assert shape((2, 3), (3,)) == (2,)
    assert shape((4, 2, 3), (3, 5)) == (4, 2, 5)
    assert shape((4, 2, 3), (3, 5, 6)) == (4, 2, 5, 6)
    assert shape((3, 4, 2), (3, 5), transpose_a=True) == (4, 2, 5)
    assert shape((2, 3), (5, 4, 3), transpose_b=True) == (2, 5, 4)
    assert shape((2, 3, 4), (2, 3, 4), transpose_a=True) == (3, 4, 3, 4)
    # The flag of a vector operand is ignored.
    a = nd.array([[1, 2], [3, 4]])
    v = nd.array([1, 10])
    assert nd.dot(a, v, transpose_b=True).asnumpy().tolist() == [21.0, 43.0]
    assert nd.dot(v, a, transpose_a=True).asnumpy().tolist() == [31.0, 42.0]


def test_dot_float64_and_int():
    a = np.arange(6).reshape(2, 3)
    assert nd.dot(nd.array(a, dtype='float64'), nd.array(a.T, dtype='float64')).dtype == \
        np.float64
    got = nd.dot(nd.array(a, dtype='int32'), nd.array(a.T, dtype='int32'))
    assert got.dtype == np.int32 and got.asnumpy().tolist() == (a @ a.T).tolist()


def test_dot_mixed_dtypes_are_rejected():
    with pytest.raises(MXNetError, match='different dtypes'):
        nd.dot(nd.array(np.ones((2, 2))), nd.array(np.ones((2, 2)), dtype='float64'))


def test_dot_error_message():
    with pytest.raises(MXNetError) as e:
        nd.dot(nd.array(np.ones((2, 3))), nd.array(np.ones((4, 5))))
    lines = str(e.value).splitlines()
    assert lines[0] == ('Operator dot: inner dimensions do not match: lhs has 3 columns but '
                        'rhs has 4 rows (expected lhs.shape[-1] == rhs.shape[0])')
    assert lines[1:3] == ['  lhs: shape (2, 3), dtype float32',
                          '  rhs: shape (4, 5), dtype float32']


@pytest.mark.parametrize('a, b, kw, message', [
    ((2, 3), (4, 5), dict(transpose_a=True),
     'lhs (transposed) has 2 columns but rhs has 4 rows (expected lhs.shape[0] == '
     'rhs.shape[0])'),
    ((2, 3), (4, 5), dict(transpose_b=True),
     'lhs has 3 columns but rhs (transposed) has 5 rows (expected lhs.shape[-1] == '
     'rhs.shape[-1])'),
    ((2, 3, 4), (5, 2), {}, 'lhs has 4 columns but rhs has 5 rows'),
    ((2,), (3,), {}, 'lhs (a vector) has 2 elements but rhs (a vector) has 3'),
    ((2,), (2,), dict(transpose_a=True), 'cannot transpose a vector'),
    ((3,), (2, 2), dict(transpose_b=True),
     'lhs (a vector) has 3 elements but rhs (transposed) has 2 rows'),
])
def test_dot_shape_errors(a, b, kw, message):
    with pytest.raises(MXNetError) as e:
        nd.dot(nd.array(np.ones(a)), nd.array(np.ones(b)), **kw)
    assert message in str(e.value).splitlines()[0]


def test_dot_infer_shape():
    from mxlearn.operator import get_op
    op = get_op('dot')
    assert op.infer_shape([(4, 2, 3), (3, 5)]) == [(4, 2, 5)]
    assert op.infer_shape([(3, 2), (4, 3)], transpose_a=True, transpose_b=True) == [(2, 4)]
    with pytest.raises(MXNetError, match='inner dimensions do not match'):
        op.infer_shape([(2, 3), (4, 5)])


@settings(max_examples=25, deadline=None)
@given(case=dot_case(), seed=st.integers(0, 2 ** 16))
def test_dot_gradient(case, seed):
    a_shape, b_shape, ta, tb = case
    check_numeric_gradient(lambda a, b: nd.dot(a, b, transpose_a=ta, transpose_b=tb),
                           [rand(a_shape, seed), rand(b_shape, seed + 1)])


def test_dot_2d_gradient_all_flags():
    for ta in (False, True):
        for tb in (False, True):
            a = rand((3, 2) if ta else (2, 3), 1)
            b = rand((4, 3) if tb else (3, 4), 2)
            check_numeric_gradient(lambda a, b: nd.dot(a, b, transpose_a=ta, transpose_b=tb),
                                   [a, b], dtype=np.float64)


def test_dot_gradient_of_empty_operands():
    a, b = nd.array(np.zeros((2, 0, 3))), nd.array(np.ones((3, 4)))
    for x in (a, b):
        x.attach_grad()
    with autograd.record():
        y = nd.dot(a, b)
    y.backward()
    assert a.grad.shape == (2, 0, 3)
    assert b.grad.asnumpy().tolist() == np.zeros((3, 4)).tolist()


def _second_order(fn, a0, b0):
    """Autograd's d/da sum(d/da sum(fn(a, b)**2)), and the same by central differences."""
    def first(av):
        a, b = nd.array(av, dtype='float64'), nd.array(b0, dtype='float64')
        a.attach_grad()
        with autograd.record():
            y = fn(a, b)
            da = autograd.grad(nd.sum(y * y), [a], create_graph=True)[0]
        return a, da

    a, da = first(a0)
    with autograd.record():
        total = nd.sum(da * da)
    total.backward()
    numeric = np.zeros_like(a0)
    eps = 1e-6
    for i in np.ndindex(*a0.shape):
        hi, lo = a0.copy(), a0.copy()
        hi[i] += eps
        lo[i] -= eps
        numeric[i] = ((first(hi)[1].asnumpy() ** 2).sum()
                      - (first(lo)[1].asnumpy() ** 2).sum()) / (2 * eps)
    return a.grad.asnumpy(), numeric


@pytest.mark.parametrize('a_shape, b_shape, kw', [
    ((2, 3), (3, 4), {}),
    ((3, 2), (4, 3), dict(transpose_a=True, transpose_b=True)),
    ((2, 2, 3), (3, 2, 2), {}),
    ((3,), (3, 2), {}),
])
def test_dot_second_order(a_shape, b_shape, kw):
    got, numeric = _second_order(lambda a, b: nd.dot(a, b, **kw),
                                 rand(a_shape, 3).astype(np.float64),
                                 rand(b_shape, 4).astype(np.float64))
    assert_almost_equal(got, numeric, rtol=1e-5, atol=1e-6)


def test_dot_second_order_closed_form():
    # L2 = sum(dL/da) with L = sum(dot(a, b)^2)/2: dL/da = a b b^T, so dL2/da = 1 (b b^T 1)^T.
    a0, b0 = rand((2, 3), 5).astype(np.float64), rand((3, 4), 6).astype(np.float64)
    a, b = nd.array(a0, dtype='float64'), nd.array(b0, dtype='float64')
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        y = nd.dot(a, b)
        da = autograd.grad(nd.sum(y * y) * 0.5, [a], create_graph=True)[0]
        total = nd.sum(da)
    assert_almost_equal(da.asnumpy(), a0 @ b0 @ b0.T)
    total.backward()
    assert_almost_equal(a.grad.asnumpy(), np.ones((2, 1)) @ (b0 @ b0.T @ np.ones(3))[None])


@pytest.mark.cpu_only
def test_dot_2d_calls_blas_on_views(monkeypatch):
    # The 2-d path hands the transposed views straight to xp.dot: no copies.
    seen = []
    real = np.dot

    def spy(a, b, *args):
        seen.append((a, b))
        return real(a, b, *args)

    monkeypatch.setattr(np, 'dot', spy)
    a, b = nd.array(rand((3, 2))), nd.array(rand((4, 3)))
    nd.dot(a, b, transpose_a=True, transpose_b=True)
    (x, y), = seen
    assert np.shares_memory(x, a._data) and np.shares_memory(y, b._data)


# -------------------------------------------------------------- batch_dot --

@st.composite
def batch_case(draw):
    batch = draw(dims(min_side=0, min_size=1, max_size=2))
    m, k, n = (draw(st.integers(0, 3)) for _ in range(3))
    ta, tb = draw(st.booleans()), draw(st.booleans())
    return (batch + ((k, m) if ta else (m, k)), batch + ((n, k) if tb else (k, n)), ta, tb)


@SETTINGS
@given(case=batch_case(), seed=st.integers(0, 2 ** 16))
def test_batch_dot_forward(case, seed):
    a_shape, b_shape, ta, tb = case
    a, b = rand(a_shape, seed), rand(b_shape, seed + 1)
    op_a = np.swapaxes(a, -1, -2) if ta else a
    op_b = np.swapaxes(b, -1, -2) if tb else b
    want = np.einsum('...ij,...jk->...ik', op_a.astype(np.float64), op_b)
    got = nd.batch_dot(nd.array(a), nd.array(b), transpose_a=ta, transpose_b=tb)
    assert got.shape == want.shape
    assert_almost_equal(got.asnumpy(), want, rtol=1e-5, atol=1e-5)


@settings(max_examples=20, deadline=None)
@given(case=batch_case(), seed=st.integers(0, 2 ** 16))
def test_batch_dot_gradient(case, seed):
    a_shape, b_shape, ta, tb = case
    check_numeric_gradient(lambda a, b: nd.batch_dot(a, b, transpose_a=ta, transpose_b=tb),
                           [rand(a_shape, seed), rand(b_shape, seed + 1)])


def test_batch_dot_second_order():
    got, numeric = _second_order(
        lambda a, b: nd.batch_dot(a, b, transpose_b=True),
        rand((2, 2, 3), 7).astype(np.float64), rand((2, 2, 3), 8).astype(np.float64))
    assert_almost_equal(got, numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('a, b, message', [
    ((2, 3), (3, 5), 'batch_dot needs two arrays with the same number (3 or more) of '
                     'dimensions, got shapes (2, 3) and (3, 5)'),
    ((4, 2, 3), (1, 3, 5), 'batch dimensions do not match: lhs has batch shape (4,) but '
                           'rhs has (1,)'),
    ((4, 2, 3), (4, 4, 5), 'inner dimensions do not match: lhs has 3 columns but rhs has '
                           '4 rows (expected lhs.shape[-1] == rhs.shape[-2])'),
])
def test_batch_dot_errors(a, b, message):
    with pytest.raises(MXNetError) as e:
        nd.batch_dot(nd.array(np.ones(a)), nd.array(np.ones(b)))
    assert message in str(e.value).splitlines()[0]


# ---------------------------------------------------------- linalg.gemm2 --

def gemm2_reference(a, b, ta, tb, alpha, axis):
    a = np.moveaxis(a.astype(np.float64), axis, -2)
    b = np.moveaxis(b.astype(np.float64), axis, -2)
    out = alpha * np.einsum('...ij,...jk->...ik', np.swapaxes(a, -1, -2) if ta else a,
                            np.swapaxes(b, -1, -2) if tb else b)
    return np.moveaxis(out, -2, axis)


@st.composite
def gemm_case(draw):
    ndim = draw(st.integers(2, 4))
    row = draw(st.integers(0, ndim - 2))
    axis = row - ndim if draw(st.booleans()) else row
    m, k, n = (draw(st.integers(1, 3)) for _ in range(3))
    ta, tb = draw(st.booleans()), draw(st.booleans())
    base = list(draw(st.lists(st.integers(1, 3), min_size=ndim, max_size=ndim)))

    def shape(r, c):
        s = list(base)
        s[row], s[-1] = r, c
        return tuple(s)
    a_shape = shape(k, m) if ta else shape(m, k)
    b_shape = shape(n, k) if tb else shape(k, n)
    return a_shape, b_shape, ta, tb, axis, draw(st.sampled_from([1.0, 0.5, -2.0]))


@settings(max_examples=30, deadline=None)
@given(case=gemm_case(), seed=st.integers(0, 2 ** 16))
def test_gemm2_forward_and_gradient(case, seed):
    a_shape, b_shape, ta, tb, axis, alpha = case
    a, b = rand(a_shape, seed), rand(b_shape, seed + 1)
    got = nd.linalg.gemm2(nd.array(a), nd.array(b), transpose_a=ta, transpose_b=tb,
                          alpha=alpha, axis=axis)
    assert_almost_equal(got.asnumpy(), gemm2_reference(a, b, ta, tb, alpha, axis),
                        rtol=1e-5, atol=1e-5)
    assert got.asnumpy().flags.c_contiguous
    check_numeric_gradient(
        lambda a, b: nd.linalg.gemm2(a, b, transpose_a=ta, transpose_b=tb, alpha=alpha,
                                     axis=axis), [a, b])


def test_gemm2_examples():
    a = nd.array(np.arange(6).reshape(2, 3))
    b = nd.array(np.arange(12).reshape(3, 4))
    assert nd.linalg.gemm2(a, b, alpha=2).asnumpy().tolist() == \
        (2 * np.arange(6).reshape(2, 3) @ np.arange(12).reshape(3, 4)).tolist()
    assert nd.linalg.gemm2(nd.array(np.ones((2, 5, 3))), nd.array(np.ones((3, 5, 4))),
                           axis=0).shape == (2, 5, 4)
    assert nd._linalg_gemm2 is not None and nd.linalg.gemm2.__name__ == 'gemm2'


@pytest.mark.parametrize('a, b, kw, message', [
    ((3,), (3,), {}, 'needs two arrays with the same number (2 or more) of dimensions'),
    ((2, 3), (4, 5), {}, 'inner dimensions do not match: A has 3 columns but B has 4 rows'),
    ((2, 5, 3), (3, 5, 4), dict(axis=1), 'batch dimensions do not match'),
    ((2, 3), (3, 4), dict(axis=-1), 'axis -1 is the column axis'),
    ((2, 3), (3, 4), dict(axis=2), 'axis 2 is out of range for an array of 2 dimensions'),
])
def test_gemm2_errors(a, b, kw, message):
    with pytest.raises(MXNetError) as e:
        nd.linalg.gemm2(nd.array(np.ones(a)), nd.array(np.ones(b)), **kw)
    assert message in str(e.value).splitlines()[0]


def test_gemm2_needs_floats():
    x = nd.array(np.ones((2, 2)), dtype='int32')
    with pytest.raises(MXNetError, match='floating-point arrays only, got int32'):
        nd.linalg.gemm2(x, x)


def test_gemm():
    a, b, c = rand((2, 3), 1), rand((3, 4), 2), rand((2, 4), 3)
    got = nd.linalg.gemm(nd.array(a), nd.array(b), nd.array(c), alpha=2.0, beta=3.0)
    assert_almost_equal(got.asnumpy(), 2 * a @ b + 3 * c, rtol=1e-5, atol=1e-5)
    got = nd.linalg.gemm(nd.array(a.T), nd.array(b), nd.array(c), transpose_a=True)
    assert_almost_equal(got.asnumpy(), a @ b + c, rtol=1e-5, atol=1e-5)
    check_numeric_gradient(
        lambda a, b, c: nd.linalg.gemm(a, b, c, transpose_b=True, alpha=0.5, beta=-2.0),
        [a, b.T.copy(), c])
    with pytest.raises(MXNetError, match=r'C has shape \(1, 4\); expected the shape of '
                                         r'op\(A\) @ op\(B\), \(2, 4\)'):
        nd.linalg.gemm(nd.array(a), nd.array(b), nd.array(np.ones((1, 4))))
