"""softmax, log_softmax, softmin, sort, argsort, topk: forward, gradients, errors."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mxlearn as mx
from mxlearn import autograd, nd
from mxlearn.base import MXNetError
from mxlearn.test_utils import assert_almost_equal, check_numeric_gradient

# Every test runs on each device of the ctx fixture (tests/conftest.py).
pytestmark = pytest.mark.usefixtures('ctx')

SETTINGS = settings(max_examples=40, deadline=None)


def shapes(min_side=0, max_ndim=3):
    return st.lists(st.integers(min_side, 4), min_size=1, max_size=max_ndim).map(tuple)


def rand(shape, seed=0, scale=3.0, dtype=np.float32):
    return (np.random.RandomState(seed).uniform(-scale, scale, shape)).astype(dtype)


def distinct(shape, seed=0):
    """Values at least 0.25 apart, so no two are within a finite-difference step."""
    n = int(np.prod(shape))
    return ((np.random.RandomState(seed).permutation(n) - n / 2) * 0.25).reshape(shape) \
        .astype(np.float32)


# ---------------------------------------------------------------- softmax --

def softmax_reference(x, axis, temperature):
    z = x.astype(np.float64) / temperature
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@SETTINGS
@given(shape=shapes(min_side=1), data=st.data(), seed=st.integers(0, 2 ** 16))
def test_softmax_family_forward(shape, data, seed):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    temperature = data.draw(st.sampled_from([None, 1.0, 0.5, 3.0]))
    t = 1.0 if temperature is None else temperature
    x = rand(shape, seed)
    want = softmax_reference(x, axis, t)
    kw = dict(axis=axis, temperature=temperature)
    got = nd.softmax(nd.array(x), **kw)
    assert got.shape == shape and got.dtype == np.float32
    assert_almost_equal(got.asnumpy(), want, rtol=1e-5, atol=1e-6)
    assert_almost_equal(nd.log_softmax(nd.array(x), **kw).asnumpy(), np.log(want),
                        rtol=1e-5, atol=1e-5)
    assert_almost_equal(nd.softmin(nd.array(x), **kw).asnumpy(),
                        softmax_reference(-x, axis, t), rtol=1e-5, atol=1e-6)


def test_softmax_is_numerically_stable():
    x = nd.array([[1000, 0, -1000], [-1e30, -1e30, 0]])
    y = nd.softmax(x).asnumpy()
    assert np.isfinite(y).all()
    assert_almost_equal(y, [[1, 0, 0], [0, 0, 1]])
    ly = nd.log_softmax(x).asnumpy()
    assert_almost_equal(ly[0], [0, -1000, -2000])
    # Masked entries (-inf) get probability 0.
    z = nd.softmax(nd.array([[-np.inf, 0.0, -np.inf]])).asnumpy()
    assert z.tolist() == [[0.0, 1.0, 0.0]]
    assert nd.log_softmax(nd.array([-np.inf, 0.0])).asnumpy().tolist() == [-np.inf, 0.0]


def test_softmax_dtype_option():
    x = nd.array([[1, 2, 3]])
    assert nd.softmax(x, dtype='float64').dtype == np.float64
    half = nd.softmax(x.astype('float16'))
    assert half.dtype == np.float16
    assert_almost_equal(half.asnumpy().astype(np.float64),
                        softmax_reference(np.array([[1, 2, 3.0]]), -1, 1), rtol=1e-3,
                        atol=1e-3)
    assert nd.log_softmax(x.astype('float16'), dtype='float32').dtype == np.float32


@pytest.mark.parametrize('name', ['softmax', 'log_softmax', 'softmin'])
def test_softmax_errors(name):
    fn = getattr(nd, name)
    with pytest.raises(MXNetError) as e:
        fn(nd.array(np.ones((2, 3))), axis=2)
    assert str(e.value).splitlines()[0] == (
        'Operator %s: axis 2 is out of range for an array of 2 dimensions '
        '(expected -2 <= axis < 2)' % name)
    with pytest.raises(MXNetError, match='expected a floating-point input, got int32'):
        fn(nd.array([1, 2], dtype='int32'))
    with pytest.raises(MXNetError, match='use_length=True'):
        fn(nd.array([1, 2]), use_length=True)
    with pytest.raises(MXNetError, match='temperature must be nonzero'):
        fn(nd.array([1, 2]), temperature=0.0)


@pytest.mark.parametrize('name', ['softmax', 'log_softmax', 'softmin'])
@settings(max_examples=15, deadline=None)
@given(shape=shapes(min_side=1), data=st.data(), seed=st.integers(0, 2 ** 16))
def test_softmax_family_gradient(name, shape, data, seed):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    temperature = data.draw(st.sampled_from([None, 0.5, 2.0]))
    fn = getattr(nd, name)
    check_numeric_gradient(lambda x: fn(x, axis=axis, temperature=temperature),
                           [rand(shape, seed)], dtype=np.float64)


def test_softmax_gradient_with_dtype_option():
    check_numeric_gradient(lambda x: nd.softmax(x, dtype='float64'), [rand((2, 3))])
    check_numeric_gradient(lambda x: nd.log_softmax(x, axis=0, dtype='float64'),
                           [rand((2, 3))])


@pytest.mark.parametrize('name', ['softmax', 'log_softmax'])
def test_softmax_second_order(name):
    fn = getattr(nd, name)
    w0 = rand((2, 3), 9).astype(np.float64)

    def first(v):
        x = nd.array(v, dtype='float64')
        x.attach_grad()
        with autograd.record():
            y = fn(x, temperature=2.0) * nd.array(w0, dtype='float64')
            dx = autograd.grad(y, [x], create_graph=True)[0]
        return x, dx

    x0 = rand((2, 3), 10).astype(np.float64)
    x, dx = first(x0)
    with autograd.record():
        total = nd.sum(dx * dx)
    total.backward()
    eps, numeric = 1e-6, np.zeros_like(x0)
    for i in np.ndindex(*x0.shape):
        hi, lo = x0.copy(), x0.copy()
        hi[i] += eps
        lo[i] -= eps
        numeric[i] = ((first(hi)[1].asnumpy() ** 2).sum()
                      - (first(lo)[1].asnumpy() ** 2).sum()) / (2 * eps)
    assert_almost_equal(x.grad.asnumpy(), numeric, rtol=1e-5, atol=1e-7)


# ----------------------------------------------------------- sort/argsort --

def stable_order(x, axis, ascending):
    """Stable sorting positions from the definition: ties keep their order both ways."""
    if ascending:
        return np.argsort(x, axis=axis, kind='stable')
    return np.argsort(-x.astype(np.float64), axis=axis, kind='stable')


@st.composite
def sort_case(draw):
    shape = draw(shapes(min_side=0))
    axis = draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    n = int(np.prod(shape))
    # Few distinct values, so ties are common.
    values = draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n))
    return np.array(values, dtype=np.float32).reshape(shape), axis


@SETTINGS
@given(case=sort_case(), ascending=st.booleans())
def test_sort_and_argsort(case, ascending):
    x, axis = case
    flat = x.reshape(-1) if axis is None else x
    ax = 0 if axis is None else axis
    order = stable_order(flat, ax, ascending)
    for dtype in ('float32', 'int32'):
        data = nd.array(x, dtype=dtype)
        got = nd.sort(data, axis=axis, is_ascend=ascending)
        assert got.dtype == np.dtype(dtype)
        assert got.asnumpy().tolist() == np.take_along_axis(flat, order, ax).tolist()
        idx = nd.argsort(data, axis=axis, is_ascend=ascending)
        assert idx.dtype == np.float32   # MXNet's default, even for integer input
        assert idx.asnumpy().tolist() == order.tolist()
    assert nd.argsort(nd.array(x), axis=axis, is_ascend=ascending,
                      dtype='int64').dtype == np.int64


def test_sort_facts():
    x = nd.array([[3, 1, 2], [4, 6, 5]])
    assert nd.sort(x).asnumpy().tolist() == [[1, 2, 3], [4, 5, 6]]
    assert nd.sort(x, axis=None).shape == (6,)
    assert nd.argsort(nd.array([2, 1, 2, 1])).asnumpy().tolist() == [1, 3, 0, 2]
    assert nd.argsort(nd.array([2, 1, 2, 1]), is_ascend=False).asnumpy().tolist() == \
        [0, 2, 1, 3]


@pytest.mark.parametrize('name', ['sort', 'argsort', 'topk'])
def test_sort_axis_errors(name):
    with pytest.raises(MXNetError) as e:
        getattr(nd, name)(nd.array(np.ones((2, 3))), axis=3)
    assert str(e.value).splitlines()[0] == (
        'Operator %s: axis 3 is out of range for an array of 2 dimensions '
        '(expected -2 <= axis < 2)' % name)


@settings(max_examples=20, deadline=None)
@given(shape=shapes(min_side=1), data=st.data(), ascending=st.booleans(),
       seed=st.integers(0, 2 ** 16))
def test_sort_gradient(shape, data, ascending, seed):
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    check_numeric_gradient(lambda x: nd.sort(x, axis=axis, is_ascend=ascending),
                           [distinct(shape, seed)])


def test_argsort_has_no_gradient():
    from mxlearn.operator import get_op
    assert get_op('argsort').gradient is None


# ------------------------------------------------------------------- topk --

@SETTINGS
@given(case=sort_case(), data=st.data(), ascending=st.booleans())
def test_topk(case, data, ascending):
    x, axis = case
    flat = x.reshape(-1) if axis is None else x
    ax = 0 if axis is None else axis % x.ndim
    n = flat.shape[ax]
    k = data.draw(st.integers(-1, n))
    kk = n if k <= 0 else k
    order = np.take(stable_order(flat, ax, ascending), np.arange(kk), axis=ax)
    values = np.take_along_axis(flat, order, ax)
    kw = dict(axis=axis, k=k, is_ascend=ascending)
    arr = nd.array(x)

    idx = nd.topk(arr, **kw)
    assert idx.dtype == np.float32 and idx.asnumpy().tolist() == order.tolist()
    got = nd.topk(arr, ret_typ='value', **kw)
    assert got.dtype == np.float32 and got.asnumpy().tolist() == values.tolist()
    both = nd.topk(nd.array(x, dtype='int32'), ret_typ='both', dtype='int32', **kw)
    assert isinstance(both, list) and len(both) == 2
    assert both[0].dtype == np.int32 and both[0].asnumpy().tolist() == values.tolist()
    assert both[1].dtype == np.int32 and both[1].asnumpy().tolist() == order.tolist()
    mask = np.zeros_like(flat)
    np.put_along_axis(mask, order, 1, ax)
    got = nd.topk(arr, ret_typ='mask', **kw)
    assert got.shape == x.shape
    assert got.asnumpy().tolist() == mask.reshape(x.shape).tolist()


def test_topk_facts():
    x = nd.array([[3, 1, 2], [4, 6, 5]])
    assert nd.topk(x).asnumpy().tolist() == [[0], [1]]
    assert nd.topk(x, axis=None, k=2).asnumpy().tolist() == [4, 5]
    assert nd.topk(x, axis=0).shape == (1, 3)
    assert nd.topk(nd.array([1, 2, 2, 1]), k=2).asnumpy().tolist() == [1, 2]
    assert nd.topk(nd.array([1, 2, 2, 1]), k=2, is_ascend=True).asnumpy().tolist() == [0, 3]
    assert nd.topk(x, k=2, ret_typ='mask').asnumpy().tolist() == [[1, 0, 1], [0, 1, 1]]


def test_topk_errors():
    x = nd.array(np.ones((2, 3)))
    with pytest.raises(MXNetError, match='k=5 is larger than the 3 elements along axis 1; '
                                         'expected k <= 3'):
        nd.topk(x, k=5)
    with pytest.raises(MXNetError, match="ret_typ='foo' is not one of indices, value, "
                                         "both, mask"):
        nd.topk(x, ret_typ='foo')


def test_topk_infer_shape_and_type():
    from mxlearn.operator import get_op
    op = get_op('topk')
    attrs = dict(axis=-1, k=2, is_ascend=False, dtype='int32')
    assert op.infer_shape([(4, 5)], ret_typ='both', **attrs) == [(4, 2), (4, 2)]
    assert op.infer_shape([(4, 5)], ret_typ='mask', **attrs) == [(4, 5)]
    assert op.infer_type([np.dtype('float32')], ret_typ='both', **attrs) == \
        [np.dtype('float32'), np.dtype('int32')]


@pytest.mark.parametrize('ret_typ', ['value', 'both'])
@settings(max_examples=15, deadline=None)
@given(shape=shapes(min_side=1), data=st.data(), ascending=st.booleans(),
       seed=st.integers(0, 2 ** 16))
def test_topk_gradient(ret_typ, shape, data, ascending, seed):
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    n = int(np.prod(shape)) if axis is None else shape[axis]
    k = data.draw(st.integers(1, n))

    def fn(x):
        out = nd.topk(x, axis=axis, k=k, ret_typ=ret_typ, is_ascend=ascending)
        return out[0] if ret_typ == 'both' else out
    check_numeric_gradient(fn, [distinct(shape, seed)])


def test_topk_indices_and_mask_have_zero_gradient():
    for ret_typ in ('indices', 'mask'):
        x = nd.array([[3, 1, 2], [4, 6, 5]])
        x.attach_grad()
        with autograd.record():
            y = nd.topk(x, k=2, ret_typ=ret_typ)
        y.backward()
        assert x.grad.asnumpy().tolist() == [[0, 0, 0], [0, 0, 0]]


def test_sort_second_order():
    # The gradient of a gather is a scatter and vice versa: both are linear, so the
    # second derivative of sum(sort(x)**2 * w) is 2 w placed back at the positions.
    x0 = np.array([0.5, -1.0, 2.0], dtype=np.float64)
    w = nd.array([1.0, 2.0, 3.0], dtype='float64')
    x = nd.array(x0, dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = nd.sort(x)
        dx = autograd.grad(nd.sum(y * y * w), [x], create_graph=True)[0]
        total = nd.sum(dx)
    assert_almost_equal(dx.asnumpy(), [2 * 0.5 * 2, 2 * -1.0 * 1, 2 * 2.0 * 3])
    total.backward()
    assert_almost_equal(x.grad.asnumpy(), [4.0, 2.0, 6.0])
