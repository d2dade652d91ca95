"""Tests of joining, cutting and index-picking operators (operator/join.py, operator/pick.py).

Forward results are compared with numpy computed here; gradients with central
differences (mx.test_utils.check_numeric_gradient); second-order gradients with
the identity below, which holds for any operator L that is linear in x:

    g = d/dx <w, L(x*x)> = 2 x * L^T(w)   and   d/dx <h, g> = 2 h * L^T(w) = h * g / x.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import mxlearn as mx
from mxlearn import autograd
from mxlearn.base import MXNetError
from mxlearn.test_utils import check_numeric_gradient

# Every test runs on each device of the ctx fixture (tests/conftest.py).
pytestmark = pytest.mark.usefixtures('ctx')

SETTINGS = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def nd(a, dtype='float32'):
    return mx.nd.array(np.asarray(a), dtype=dtype)


def rand(*shape, seed=0):
    return np.random.default_rng(seed).uniform(0.5, 1.5, size=shape).astype(np.float32)


def arange(*shape):
    return np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)


def second_order(fn, x_np, seed=1):
    """Check d/dx <h, d/dx <w, fn(x*x)>> = h * g / x for ``fn`` linear in x; return g."""
    x = nd(x_np)
    x.attach_grad()
    rng = np.random.default_rng(seed)
    with autograd.record():
        y = fn(x * x)
        w = rng.uniform(-1, 1, y.shape).astype(np.float32)
        g = autograd.grad(y, [x], head_grads=nd(w), create_graph=True)[0]
    h = rng.uniform(-1, 1, x.shape).astype(np.float32)
    g.backward(nd(h))
    np.testing.assert_allclose(x.grad.asnumpy(), h * g.asnumpy() / x_np, rtol=1e-5, atol=1e-6)
    return g


def first_grad(fn, x_np, w_np):
    """d/dx <w, fn(x)> by autograd."""
    x = nd(x_np)
    x.attach_grad()
    with autograd.record():
        y = fn(x)
    y.backward(nd(w_np))
    return x.grad.asnumpy()


# ------------------------------------------------------------------- concat --

@SETTINGS
@given(st.lists(st.integers(0, 3), min_size=1, max_size=3), st.data())
def test_concat_matches_numpy(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=4))
    parts = []
    for k, n in enumerate(sizes):
        s = list(shape)
        s[dim] = n
        parts.append(arange(*s) + 100 * k)
    out = mx.nd.concat(*[nd(p) for p in parts], dim=dim)
    np.testing.assert_array_equal(out.asnumpy(), np.concatenate(parts, axis=dim))


def test_concat_defaults_aliases_and_errors():
    a, b = arange(2, 3), arange(2, 2)
    assert mx.nd.concat(nd(a), nd(b)).shape == (2, 5)            # dim=1 by default
    assert mx.nd.Concat(nd(a), nd(a), dim=0).shape == (4, 3)
    assert mx.nd.concat(nd(a), nd(a), num_args=2, dim=-1).shape == (2, 6)
    assert mx.nd.concat(nd(a), dim=0).shape == (2, 3)
    with pytest.raises(MXNetError, match=r'dim 1 is out of range for an array of 1 dim'):
        mx.nd.concat(nd([1, 2]), nd([3]))
    with pytest.raises(MXNetError, match=r'input 1 has shape \(2, 2\) but input 0 has shape '
                                         r'\(2, 3\).*except dim=0'):
        mx.nd.concat(nd(a), nd(b), dim=0)
    with pytest.raises(MXNetError, match='different dtypes'):
        mx.nd.concat(nd(a), nd(a, dtype='int32'))
    with pytest.raises(MXNetError) as e:
        mx.nd.concat(nd(a), nd(b), dim=0)
    assert str(e.value).splitlines()[1:3] == ['  data[0]: shape (2, 3), dtype float32',
                                              '  data[1]: shape (2, 2), dtype float32']


def test_concat_gradient_and_second_order():
    check_numeric_gradient(lambda a, b, c: mx.nd.concat(a, b, c, dim=1),
                           [rand(2, 1), rand(2, 3, seed=1), rand(2, 2, seed=2)])
    second_order(lambda a: mx.nd.concat(a, a * 2, dim=0), rand(2, 3))


# -------------------------------------------------------------------- stack --

@SETTINGS
@given(st.lists(st.integers(0, 3), min_size=1, max_size=3), st.integers(1, 4), st.data())
def test_stack_matches_numpy(shape, n, data):
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    parts = [arange(*shape) + 10 * k for k in range(n)]
    out = mx.nd.stack(*[nd(p) for p in parts], axis=axis)
    np.testing.assert_array_equal(out.asnumpy(), np.stack(parts, axis=axis))


def test_stack_gradient_and_errors():
    check_numeric_gradient(lambda a, b: mx.nd.stack(a, b, axis=1), [rand(2, 3), rand(2, 3)])
    check_numeric_gradient(lambda a: mx.nd.stack(a, axis=-1), [rand(3)])
    second_order(lambda a: mx.nd.stack(a, a, a, axis=2), rand(2, 2))
    with pytest.raises(MXNetError, match=r'input 1 has shape \(2, 2\).*equal shapes'):
        mx.nd.stack(nd(arange(2, 3)), nd(arange(2, 2)))
    with pytest.raises(MXNetError, match=r'axis 3 is out of range'):
        mx.nd.stack(nd(arange(2, 3)), axis=3)


# -------------------------------------------------------------------- split --

@pytest.mark.parametrize('shape, k, axis, squeeze', [
    ((2, 6), 3, 1, False), ((2, 6), 2, -1, False), ((4, 3), 4, 0, True), ((2, 3, 2), 2, 2, True),
    ((3,), 3, 0, True), ((2, 0), 2, 0, False)])
def test_split_matches_numpy(shape, k, axis, squeeze):
    x = arange(*shape)
    out = mx.nd.split(nd(x), num_outputs=k, axis=axis, squeeze_axis=squeeze)
    assert isinstance(out, list) and len(out) == k
    for got, want in zip(out, np.split(x, k, axis=axis)):
        if squeeze:
            want = np.squeeze(want, axis=axis).reshape(np.squeeze(want, axis=axis).shape or (1,))
        np.testing.assert_array_equal(got.asnumpy(), want)


def test_split_forms_and_errors():
    x = nd(arange(2, 4))
    assert [p.shape for p in mx.nd.split(x, 2)] == [(2, 2), (2, 2)]     # axis=1 by default
    assert [p.shape for p in mx.nd.SliceChannel(x, num_outputs=2, axis=0)] == [(1, 4)] * 2
    one = mx.nd.split(x, 1, axis=0)
    assert isinstance(one, mx.nd.NDArray) and one.shape == (2, 4)
    assert x.split(num_outputs=4).__len__() == 4
    with pytest.raises(MXNetError, match=r'cannot split axis 1 of size 4 .* into 3 equal'):
        mx.nd.split(x, 3)
    with pytest.raises(MXNetError, match=r'squeeze_axis=True .*expected num_outputs=4'):
        mx.nd.split(x, 2, squeeze_axis=True)
    with pytest.raises(MXNetError, match='num_outputs attribute of split is required'):
        mx.nd.split(x)


def test_split_gradient_and_second_order():
    check_numeric_gradient(lambda a: mx.nd.split(a, 3, axis=1), [rand(2, 3)])
    check_numeric_gradient(lambda a: mx.nd.split(a, 2, axis=0, squeeze_axis=True)[1],
                           [rand(2, 3)])
    check_numeric_gradient(lambda a: mx.nd.split(a, 1, axis=0), [rand(2, 3)])
    second_order(lambda a: mx.nd.concat(*mx.nd.split(a, 3, axis=1)[::-1], dim=0), rand(2, 3))
    second_order(lambda a: mx.nd.stack(*mx.nd.split(a, 2, axis=0, squeeze_axis=True)),
                 rand(2, 3))


# -------------------------------------------------------------------- slice --

_BOUND = st.one_of(st.none(), st.integers(-6, 6))


@SETTINGS
@given(st.lists(st.integers(0, 4), min_size=1, max_size=3), st.data())
def test_slice_matches_python_slicing(shape, data):
    x = arange(*shape)
    n = data.draw(st.integers(1, len(shape)))
    begin = tuple(data.draw(_BOUND) for _ in range(n))
    end = tuple(data.draw(_BOUND) for _ in range(n))
    step = data.draw(st.one_of(st.just(()), st.tuples(*[st.sampled_from(
        [None, 1, 2, 3, -1, -2]) for _ in range(n)])))
    out = mx.nd.slice(nd(x), begin=begin, end=end, step=step)
    key = tuple(slice(b, e, s) for b, e, s in zip(begin, end, step or (None,) * n))
    np.testing.assert_array_equal(out.asnumpy(), x[key])


def test_slice_examples_and_errors():
    x = nd(arange(3, 4))
    assert mx.nd.slice(x, begin=(0, 1), end=(2, 3)).shape == (2, 2)
    assert mx.nd.slice(x, (1,), (3,)).shape == (2, 4)
    assert mx.nd.crop(x, begin=(1,), end=(10,)).shape == (2, 4)
    assert mx.nd.slice(x, begin=(3,), end=(1,)).shape == (0, 4)
    assert x.slice(begin=(None, -1), end=(None, None)).shape == (3, 1)
    with pytest.raises(MXNetError, match='cannot be zero'):
        mx.nd.slice(x, begin=(0,), end=(1,), step=(0,))
    with pytest.raises(MXNetError, match='same length'):
        mx.nd.slice(x, begin=(0,), end=(1, 2))
    with pytest.raises(MXNetError, match=r'slices 3 axes but the input of shape \(3, 4\)'):
        mx.nd.slice(x, begin=(0, 0, 0), end=(1, 1, 1))
    with pytest.raises(MXNetError, match='needs both begin and end'):
        mx.nd.slice(x, begin=(0,))


@pytest.mark.parametrize('begin, end, step', [((0, 1), (2, 3), ()), ((None,), (None,), (-2,)),
                                              ((2, None), (0, None), (-1, 2)),
                                              ((3,), (1,), ())])
def test_slice_gradient(begin, end, step):
    check_numeric_gradient(lambda a: mx.nd.slice(a, begin=begin, end=end, step=step),
                           [rand(3, 3)])
    second_order(lambda a: mx.nd.slice(a, begin=begin, end=end, step=step), rand(3, 3))


@pytest.mark.parametrize('axis, begin, end', [(0, 1, 3), (1, -2, None), (-1, 0, 1), (0, 2, 2)])
def test_slice_axis(axis, begin, end):
    x = arange(3, 4)
    key = [slice(None)] * 2
    key[axis] = slice(begin, end)
    np.testing.assert_array_equal(
        mx.nd.slice_axis(nd(x), axis=axis, begin=begin, end=end).asnumpy(), x[tuple(key)])
    check_numeric_gradient(lambda a: mx.nd.slice_axis(a, axis=axis, begin=begin, end=end),
                           [rand(3, 4)])
    second_order(lambda a: mx.nd.slice_axis(a, axis=axis, begin=begin, end=end), rand(3, 4))


def test_slice_axis_errors():
    x = nd(arange(3, 4))
    with pytest.raises(MXNetError, match=r'begin=3, end=1 do not select a range of axis 1'):
        mx.nd.slice_axis(x, axis=1, begin=3, end=1)
    with pytest.raises(MXNetError, match=r'end=10'):
        mx.nd.slice_axis(x, axis=1, begin=0, end=10)
    with pytest.raises(MXNetError, match='axis attribute of slice_axis is required'):
        mx.nd.slice_axis(x, begin=0, end=1)


def test_slice_like():
    x = arange(3, 4, 5)
    like = nd(np.zeros((2, 3, 1)), dtype='int32')
    np.testing.assert_array_equal(mx.nd.slice_like(nd(x), like).asnumpy(), x[:2, :3, :1])
    np.testing.assert_array_equal(mx.nd.slice_like(nd(x), like, axes=(0, -1)).asnumpy(),
                                  x[:2, :, :1])
    with pytest.raises(MXNetError, match='same number of dimensions'):
        mx.nd.slice_like(nd(x), nd(np.zeros((1, 2))))
    with pytest.raises(MXNetError, match=r'axes=\(0, -1\) names axis 2 of data, which'):
        mx.nd.slice_like(nd(x), nd(np.zeros((1, 2))), axes=(0, -1))
    with pytest.raises(MXNetError, match='larger than the size 4'):
        mx.nd.slice_like(nd(x), nd(np.zeros((1, 5, 2))))
    check_numeric_gradient(lambda a, b: mx.nd.slice_like(a, b, axes=(1,)),
                           [rand(2, 3), np.zeros((1, 2))], grad_nodes=[0])
    second_order(lambda a: mx.nd.slice_like(a, like), rand(3, 3, 2))


# ---------------------------------------------------------------------- pad --

@pytest.mark.parametrize('mode', ['constant', 'edge', 'reflect'])
@pytest.mark.parametrize('shape, pad_width', [
    ((1, 1, 3, 3), (0, 0, 0, 0, 1, 2, 2, 1)), ((2, 3), (1, 0, 2, 2)), ((4,), (3, 1)),
    ((1, 2, 2, 3, 3), (0, 0, 1, 0, 1, 1, 0, 2, 2, 0))])
def test_pad_matches_numpy(mode, shape, pad_width):
    x = arange(*shape)
    pairs = [pad_width[2 * k:2 * k + 2] for k in range(len(shape))]
    out = mx.nd.pad(nd(x), mode=mode, pad_width=pad_width, constant_value=7)
    want = (np.pad(x, pairs, mode='constant', constant_values=7) if mode == 'constant'
            else np.pad(x, pairs, mode=mode))
    np.testing.assert_array_equal(out.asnumpy(), want)
    check_numeric_gradient(lambda a: mx.nd.pad(a, mode=mode, pad_width=pad_width,
                                               constant_value=3), [rand(*shape)])
    second_order(lambda a: mx.nd.pad(a, mode=mode, pad_width=pad_width), rand(*shape))


def test_pad_reference_values_and_errors():
    x = nd(arange(1, 1, 3, 3))
    out = mx.nd.pad(x, mode='reflect', pad_width=(0, 0, 0, 0, 1, 1, 1, 1))
    np.testing.assert_array_equal(out.asnumpy()[0, 0, :2], [[4, 3, 4, 5, 4], [1, 0, 1, 2, 1]])
    assert mx.nd.Pad(x, 'edge', (0, 0, 0, 0, 1, 1, 1, 1)).shape == (1, 1, 5, 5)
    with pytest.raises(MXNetError, match='needs 8'):
        mx.nd.pad(x, mode='constant', pad_width=(1, 1))
    with pytest.raises(MXNetError, match='not a padding mode'):
        mx.nd.pad(x, mode='wrap', pad_width=(0,) * 8)
    with pytest.raises(MXNetError, match='smaller than the axis size'):
        mx.nd.pad(x, mode='reflect', pad_width=(0, 0, 0, 0, 3, 0, 0, 0))
    with pytest.raises(MXNetError, match='negative'):
        mx.nd.pad(x, mode='constant', pad_width=(0, 0, 0, 0, -1, 0, 0, 0))


# --------------------------------------------------------------------- diag --

@pytest.mark.parametrize('k', [-2, -1, 0, 1, 3])
def test_diag_vector_to_matrix(k):
    v = arange(3) + 1
    np.testing.assert_array_equal(mx.nd.diag(nd(v), k=k).asnumpy(), np.diag(v, k))
    check_numeric_gradient(lambda a: mx.nd.diag(a, k=k), [rand(3)])
    second_order(lambda a: mx.nd.diag(a, k=k), rand(3))


@pytest.mark.parametrize('shape, k, axis1, axis2', [
    ((3, 4), 0, 0, 1), ((3, 4), 1, 0, 1), ((3, 4), -1, 0, 1), ((3, 4), 4, 0, 1),
    ((3, 4), 2, 1, 0), ((2, 3, 4), 0, 0, 1), ((2, 3, 4), 1, 2, 0), ((2, 3, 4), -1, -1, 1)])
def test_diag_extract(shape, k, axis1, axis2):
    x = arange(*shape)
    out = mx.nd.diag(nd(x), k=k, axis1=axis1, axis2=axis2)
    np.testing.assert_array_equal(out.asnumpy(), np.diagonal(x, k, axis1, axis2))
    check_numeric_gradient(lambda a: mx.nd.diag(a, k=k, axis1=axis1, axis2=axis2),
                           [rand(*shape)])
    second_order(lambda a: mx.nd.diag(a, k=k, axis1=axis1, axis2=axis2), rand(*shape))


def test_diag_errors():
    with pytest.raises(MXNetError, match='diagonal k=5 does not exist'):
        mx.nd.diag(nd(arange(3, 4)), k=5)
    with pytest.raises(MXNetError, match='same axis 1'):
        mx.nd.diag(nd(arange(2, 3, 4)), axis1=1, axis2=1)
    assert nd(arange(3, 3)).diag().shape == (3,)


# --------------------------------------------------------------------- take --

def _take_reference(a, idx, axis, mode):
    idx = np.trunc(idx).astype(np.int64)
    n = a.shape[axis]
    idx = np.clip(idx, 0, n - 1) if mode == 'clip' else np.mod(idx, n)
    return np.take(a, idx, axis=axis)


@SETTINGS
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3),
       st.lists(st.integers(0, 3), min_size=1, max_size=2), st.sampled_from(['clip', 'wrap']),
       st.data())
def test_take_matches_numpy(shape, ishape, mode, data):
    a = arange(*shape)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    idx = np.array(data.draw(st.lists(st.floats(-5, 5, width=32), min_size=int(np.prod(ishape)),
                                      max_size=int(np.prod(ishape)))),
                   dtype=np.float32).reshape(ishape)
    out = mx.nd.take(nd(a), nd(idx), axis=axis, mode=mode)
    np.testing.assert_array_equal(out.asnumpy(), _take_reference(a, idx, axis, mode))


def test_take_reference_cases_and_errors():
    x = nd(arange(3, 4))
    np.testing.assert_array_equal(mx.nd.take(x, nd([4, -1])).asnumpy()[:, 0], [8, 0])
    np.testing.assert_array_equal(mx.nd.take(x, nd([4, -1]), mode='wrap').asnumpy()[:, 0],
                                  [4, 8])
    np.testing.assert_array_equal(mx.nd.take(x, nd([0.9, 2.2])).asnumpy()[:, 0], [0, 8])
    assert mx.nd.take(x, nd([[0, 1], [2, 0]])).shape == (2, 2, 4)
    out = mx.nd.take(nd(arange(3), dtype='int32'), nd([1, 2], dtype='int64'))
    assert out.dtype == np.int32
    assert x.take(nd([1])).shape == (1, 4)
    with pytest.raises(MXNetError, match=r"out of bounds with mode='raise': found -1"):
        mx.nd.take(x, nd([-1]), mode='raise')
    with pytest.raises(MXNetError, match=r"found 3, expected 0 <= index < 3"):
        mx.nd.take(x, nd([1, 3]), mode='raise')
    np.testing.assert_array_equal(mx.nd.take(x, nd([2]), mode='raise').asnumpy(),
                                  arange(3, 4)[2:])
    with pytest.raises(MXNetError, match='not an index mode'):
        mx.nd.take(x, nd([0]), mode='nearest')


@pytest.mark.parametrize('axis, mode', [(0, 'clip'), (1, 'wrap'), (-1, 'clip')])
def test_take_gradient_adds_repeated_indices(axis, mode):
    idx = nd([[0, 2, 2], [-1, 5, 0]])
    check_numeric_gradient(lambda a: mx.nd.take(a, idx, axis=axis, mode=mode), [rand(3, 3)])
    second_order(lambda a: mx.nd.take(a, idx, axis=axis, mode=mode), rand(3, 3))
    g = first_grad(lambda a: mx.nd.take(a, nd([1, 1, 1]), axis=0), rand(3, 2), np.ones((3, 2)))
    np.testing.assert_array_equal(g, [[0, 0], [3, 3], [0, 0]])


def test_take_index_has_no_gradient():
    a, idx = nd(rand(3, 2)), nd([0, 1])
    a.attach_grad()
    idx.attach_grad()
    with autograd.record():
        y = mx.nd.take(a, idx)
    y.backward()
    np.testing.assert_array_equal(idx.grad.asnumpy(), [0, 0])


# --------------------------------------------------------------------- pick --

def _pick_reference(data, index, axis, keepdims, mode):
    n = data.shape[axis]
    idx = np.trunc(index).astype(np.int64)
    idx = np.clip(idx, 0, n - 1) if mode == 'clip' else np.mod(idx, n)
    kept = list(data.shape)
    kept[axis] = 1
    out = np.take_along_axis(data, idx.reshape(kept), axis=axis)
    return out if keepdims else np.squeeze(out, axis=axis).reshape(
        np.squeeze(out, axis=axis).shape or (1,))


@SETTINGS
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3), st.booleans(),
       st.sampled_from(['clip', 'wrap']), st.booleans(), st.data())
def test_pick_matches_numpy(shape, keepdims, mode, index_kept, data):
    x = arange(*shape)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    ishape = list(shape)
    if index_kept:
        ishape[axis] = 1
    else:
        del ishape[axis]
        ishape = ishape or [1]
    idx = np.array(data.draw(st.lists(st.integers(-4, 4), min_size=int(np.prod(ishape)),
                                      max_size=int(np.prod(ishape)))),
                   dtype=np.float32).reshape(ishape)
    out = mx.nd.pick(nd(x), nd(idx), axis=axis, keepdims=keepdims, mode=mode)
    np.testing.assert_array_equal(out.asnumpy(),
                                  _pick_reference(x, idx, axis % len(shape), keepdims, mode))


def test_pick_reference_cases_and_errors():
    x = nd(arange(3, 4))
    np.testing.assert_array_equal(mx.nd.pick(x, nd([0, 1, 3])).asnumpy(), [0, 5, 11])
    np.testing.assert_array_equal(mx.nd.pick(x, nd([0, 5, -1])).asnumpy(), [0, 7, 8])
    np.testing.assert_array_equal(mx.nd.pick(x, nd([0, 5, -1]), mode='wrap').asnumpy(),
                                  [0, 5, 11])
    assert mx.nd.pick(x, nd([0, 1, 3]), keepdims=True).shape == (3, 1)
    assert mx.nd.pick(x, nd([[0], [1], [3]])).shape == (3,)
    assert mx.nd.pick(nd([1, 2, 3]), nd([1]), axis=0).shape == (1,)
    assert x.pick(nd([0, 1, 2, 0]), axis=0).shape == (4,)
    with pytest.raises(MXNetError, match=r'index has shape \(4,\); .* must have shape \(3,\)'):
        mx.nd.pick(x, nd([0, 1, 2, 3]))
    with pytest.raises(MXNetError, match='axis=None is not supported'):
        mx.nd.pick(x, nd([0]), axis=None)


@pytest.mark.parametrize('axis, keepdims', [(-1, False), (0, True), (1, False)])
def test_pick_gradient(axis, keepdims):
    index = nd([[0, 2, 1]]) if axis == 0 else nd([1, -1, 7])
    check_numeric_gradient(lambda a: mx.nd.pick(a, index, axis=axis, keepdims=keepdims),
                           [rand(3, 3)])
    second_order(lambda a: mx.nd.pick(a, index, axis=axis, keepdims=keepdims), rand(3, 3))


# -------------------------------------------------------------------- where --

def test_where_forward():
    x, y = arange(3, 2), -arange(3, 2) - 1
    cond = np.array([[1, 0], [0.5, -1], [0, 0]], dtype=np.float32)
    np.testing.assert_array_equal(mx.nd.where(nd(cond), nd(x), nd(y)).asnumpy(),
                                  np.where(cond != 0, x, y))
    rows = np.array([0, 1, 0], dtype=np.int32)
    out = mx.nd.where(nd(rows, dtype='int32'), nd(x), nd(y))
    np.testing.assert_array_equal(out.asnumpy(), np.where(rows[:, None] != 0, x, y))
    assert out.dtype == np.float32
    i = mx.nd.where(nd([1, 0]), nd([1, 2], dtype='int32'), nd([3, 4], dtype='int32'))
    assert i.dtype == np.int32 and list(i.asnumpy()) == [1, 4]


def test_where_errors():
    x = nd(arange(3, 2))
    with pytest.raises(MXNetError, match=r'condition has shape \(1, 2\); expected'):
        mx.nd.where(nd([[1, 0]]), x, x)
    with pytest.raises(MXNetError, match=r'condition has shape \(2,\)'):
        mx.nd.where(nd([1, 0]), x, x)
    with pytest.raises(MXNetError, match=r'x has shape \(3, 2\) and y has shape \(2, 3\)'):
        mx.nd.where(nd(np.ones((3, 2))), x, nd(arange(2, 3)))
    with pytest.raises(MXNetError, match='same dtype'):
        mx.nd.where(nd([1, 0]), nd([1, 2]), nd([1, 2], dtype='float64'))


def test_where_gradient():
    cond = nd([[1, 0, 2], [0, 0, 1]])
    check_numeric_gradient(lambda x, y: mx.nd.where(cond, x, y),
                           [rand(2, 3), rand(2, 3, seed=1)])
    check_numeric_gradient(lambda x, y: mx.nd.where(nd([0, 1]), x * y, y),
                           [rand(2, 3), rand(2, 3, seed=1)])
    second_order(lambda x: mx.nd.where(cond, x, x * 3), rand(2, 3))


# -------------------------------------------------------- gather_nd, scatter_nd --

@SETTINGS
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3), st.data())
def test_gather_nd_matches_numpy(shape, data):
    x = arange(*shape)
    m = data.draw(st.integers(1, len(shape)))
    k = data.draw(st.integers(0, 3))
    idx = np.array([[data.draw(st.integers(-shape[a], shape[a] - 1)) for _ in range(k)]
                    for a in range(m)], dtype=np.float32).reshape(m, k)
    out = mx.nd.gather_nd(nd(x), nd(idx))
    np.testing.assert_array_equal(out.asnumpy(), x[tuple(idx.astype(np.int64))])


def test_gather_nd_reference_cases_and_errors():
    x = nd(arange(3, 4))
    np.testing.assert_array_equal(mx.nd.gather_nd(x, nd([[0, 2], [1, 3]])).asnumpy(), [1, 11])
    assert mx.nd.gather_nd(x, nd([[0, 2]])).shape == (2, 4)
    assert mx.nd.gather_nd(x, nd([[[0, 1], [2, 1]]])).shape == (2, 2, 4)
    with pytest.raises(MXNetError, match='expected at least 2 dimensions'):
        mx.nd.gather_nd(x, nd([0, 1]))
    with pytest.raises(MXNetError, match=r'row 1 holds index 5, out of bounds for axis 1'):
        mx.nd.gather_nd(x, nd([[0], [5]]))
    with pytest.raises(MXNetError, match='indexes 3 axes'):
        mx.nd.gather_nd(x, nd([[0], [1], [0]]))


def test_gather_nd_gradient_adds_duplicates():
    idx = nd([[0, 1, 0, -1], [2, 0, 2, 1]])
    check_numeric_gradient(lambda a: mx.nd.gather_nd(a, idx), [rand(2, 3)])
    check_numeric_gradient(lambda a: mx.nd.gather_nd(a, nd([[1, 0, 1]])), [rand(2, 3)])
    second_order(lambda a: mx.nd.gather_nd(a, idx), rand(2, 3))
    g = first_grad(lambda a: mx.nd.gather_nd(a, nd([[1, 1]])), rand(2, 2), np.ones((2, 2)))
    np.testing.assert_array_equal(g, [[0, 0], [2, 2]])


def test_scatter_nd():
    out = mx.nd.scatter_nd(nd([1, 2]), nd([[0, 1], [1, 2]]), shape=(2, 3))
    np.testing.assert_array_equal(out.asnumpy(), [[0, 1, 0], [0, 0, 2]])
    out = mx.nd.scatter_nd(nd([[1, 2, 3]]), nd([[1]]), shape=(2, 3))
    np.testing.assert_array_equal(out.asnumpy(), [[0, 0, 0], [1, 2, 3]])
    assert mx.nd.scatter_nd(nd([1], dtype='int32'), nd([[0]]), shape=(2,)).dtype == np.int32
    with pytest.raises(MXNetError, match=r'data has shape \(3,\); .* must have shape \(2,\)'):
        mx.nd.scatter_nd(nd([1, 2, 3]), nd([[0, 1], [1, 2]]), shape=(2, 3))
    with pytest.raises(MXNetError, match='shape attribute of scatter_nd'):
        mx.nd.scatter_nd(nd([1]), nd([[0]]))
    idx = nd([[0, 1], [2, 0]])
    check_numeric_gradient(lambda d: mx.nd.scatter_nd(d, idx, shape=(2, 3)), [rand(2)])
    second_order(lambda d: mx.nd.scatter_nd(d, idx, shape=(3, 3)), rand(2))


def test_infer_shape_functions():
    from mxlearn.operator import get_op
    assert get_op('concat').infer_shape([(2, 3), (2, 1)], dim=1) == [(2, 4)]
    assert get_op('split').infer_shape([(2, 6)], num_outputs=3, axis=1,
                                       squeeze_axis=False) == [(2, 2)] * 3
    assert get_op('take').infer_shape([(5, 3), (2, 2)], axis=0, mode='clip') == [(2, 2, 3)]
    assert get_op('gather_nd').infer_shape([(5, 3, 2), (2, 4)]) == [(4, 2)]
    assert get_op('where').infer_type([np.int32, np.float64, np.float64]) == [np.float64]
    assert get_op('pad').infer_shape([(1, 2)], mode='edge', pad_width=(1, 0, 2, 2),
                                     constant_value=0) == [(2, 6)]
