"""Tests of the shape operators (mxlearn/operator/shape.py).

Forward results are compared with numpy computed here; gradients with central
differences (mx.test_utils.check_numeric_gradient); second-order gradients with
the identity below, which holds for any linear operator L:

    g = d/dx <w, L(x*x)> = 2 x * L^T(w)   and   d/dx <h, g> = 2 h * L^T(w) = h * g / x.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import mxlearn as mx
from mxlearn import autograd
from mxlearn.base import MXNetError
from mxlearn.operator.shape import infer_reshape
from mxlearn.test_utils import check_numeric_gradient

# Every test runs on each device of the ctx fixture (tests/conftest.py).
pytestmark = pytest.mark.usefixtures('ctx')

SETTINGS = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def nd(a, dtype='float32'):
    return mx.nd.array(np.asarray(a), dtype=dtype)


def rand(*shape, seed=0):
    return np.random.default_rng(seed).uniform(0.5, 1.5, size=shape).astype(np.float32)


def shapes(min_dims=1, max_dims=4, min_side=0, max_side=3):
    return st.lists(st.integers(min_side, max_side), min_size=min_dims,
                    max_size=max_dims).map(tuple)


def second_order(fn, x_np, seed=1):
    """Check d/dx <h, d/dx <w, fn(x*x)>> = h * g / x for a linear ``fn``; return g."""
    x = nd(x_np)
    x.attach_grad()
    with autograd.record():
        y = fn(x * x)
    rng = np.random.default_rng(seed)
    w = rng.uniform(-1, 1, y.shape).astype(np.float32)
    h = rng.uniform(-1, 1, x.shape).astype(np.float32)
    with autograd.record():
        y = fn(x * x)
        g = autograd.grad(y, [x], head_grads=nd(w), create_graph=True)[0]
    g.backward(nd(h))
    np.testing.assert_allclose(x.grad.asnumpy(), h * g.asnumpy() / x_np, rtol=1e-5, atol=1e-6)
    return g


# ------------------------------------------------------------------ reshape --

# Every row of the reference table of MXNet 1.9.1's reshape (input, target, reverse, output).
RESHAPE_TABLE = [
    ((2, 3, 4), (4, 0, 2), False, (4, 3, 2)),
    ((2, 3, 4), (2, 0, 0), False, (2, 3, 4)),
    ((2, 3, 4), (6, 1, -1), False, (6, 1, 4)),
    ((2, 3, 4), (3, -1, 8), False, (3, 1, 8)),
    ((2, 3, 4), (-1,), False, (24,)),
    ((2, 3, 4), (-2,), False, (2, 3, 4)),
    ((2, 3, 4), (2, -2), False, (2, 3, 4)),
    ((2, 3, 4), (-2, 1, 1), False, (2, 3, 4, 1, 1)),
    ((2, 3, 4), (-3, 4), False, (6, 4)),
    ((2, 3, 4, 5), (-3, -3), False, (6, 20)),
    ((2, 3, 4), (0, -3), False, (2, 12)),
    ((2, 3, 4), (-3, -2), False, (6, 4)),
    ((2, 3, 4), (-4, 1, 2, -2), False, (1, 2, 3, 4)),
    ((2, 3, 4), (2, -4, -1, 3, -2), False, (2, 1, 3, 4)),
    ((2, 3, 4), (-4, -1, 1, -2), False, (2, 1, 3, 4)),
    ((10, 5, 4), (-1, 0), False, (40, 5)),
    ((10, 5, 4), (-1, 0), True, (50, 4)),
    ((2, 3, 4), (4, 0, 2), True, (4, 3, 2)),
    ((2, 3, 4), (0, 0, 0, 1), False, (2, 3, 4, 1)),
]


@pytest.mark.parametrize('src, target, reverse, expected', RESHAPE_TABLE)
def test_infer_reshape_table(src, target, reverse, expected):
    assert infer_reshape(src, target, reverse) == expected


@pytest.mark.parametrize('src, target, reverse, expected', RESHAPE_TABLE)
def test_reshape_op_table(src, target, reverse, expected):
    data = np.arange(np.prod(src), dtype=np.float32).reshape(src)
    out = mx.nd.reshape(nd(data), shape=target, reverse=reverse)
    assert out.shape == expected
    np.testing.assert_array_equal(out.asnumpy(), data.reshape(expected))
    if not reverse:
        assert nd(data).reshape(target).shape == expected
        assert nd(data).reshape(*target).shape == expected


def test_reshape_calling_forms():
    x = nd(np.arange(6))
    assert x.reshape(2, 3).shape == (2, 3)
    assert x.reshape([2, 3]).shape == (2, 3)
    assert x.reshape(shape=(3, -1)).shape == (3, 2)
    assert x.reshape(6).shape == (6,)
    assert mx.nd.reshape(x, (2, 3)).shape == (2, 3)
    assert mx.nd.Reshape(x, shape=(2, 3)).shape == (2, 3)
    assert nd(np.zeros((2, 3))).reshape(-3).shape == (6,)


def test_reshape_returns_a_view():
    x = nd(np.arange(6))
    y = x.reshape((2, 3))
    y[:] = -1
    np.testing.assert_array_equal(x.asnumpy(), -np.ones(6))


@pytest.mark.parametrize('src, target, reverse, fragment', [
    ((6,), (2, 2), False, 'cannot reshape an array of shape (6,) (6 elements) into shape (2, 2)'),
    ((6,), (4, 2), False, '(8 elements)'),
    ((6,), (-1, -1), False, 'more than one -1'),
    ((6,), (), False, 'target shape is empty'),
    ((6,), (-3,), False, '-3 in the target shape (-3,) merges input dimensions 0 and 1'),
    ((2, 3), (0, 0, 0), False, 'copies input dimension 2'),
    ((2, 3, 4), (-4, 5, -1, 0), False, '-4 cannot split input dimension 0 of size 2'),
    ((2, 3, 4), (-4, -1, -1, -2), False, 'at most one of them -1'),
    ((2, 3, 4), (-4, 2), False, 'must be followed by two sizes'),
    ((2, 3, 4), (-5,), False, 'invalid value -5'),
    ((2, 3, 4), (-1, 5), False, 'does not divide 24'),
    ((0, 3), (0, -1), False, 'undetermined'),
    ((2, 3, 4), (1.5,), False, 'integers'),
])
def test_reshape_errors(src, target, reverse, fragment):
    with pytest.raises(MXNetError) as e:
        infer_reshape(src, target, reverse)
    assert fragment in str(e.value)
    with pytest.raises(MXNetError) as e:
        mx.nd.reshape(nd(np.zeros(src)), shape=target, reverse=reverse)
    assert str(e.value).startswith('Operator reshape: ')
    assert fragment in str(e.value)
    assert 'data: shape %s, dtype float32' % (src,) in str(e.value)


def test_reshape_reverse_with_split_keeps_the_pair_order():
    # MXNet rejects -4 with reverse=True; mxlearn reads the group as a unit.
    assert infer_reshape((2, 3, 4), (-2, -4, 2, 2), reverse=True) == (2, 3, 2, 2)
    assert infer_reshape((2, 3, 4), (-2, -4, -1, 1), reverse=True) == (2, 3, 4, 1)


def test_reshape_zero_size():
    assert infer_reshape((0, 3), (-1, 3)) == (0, 3)
    assert infer_reshape((0, 3), (3, -1)) == (3, 0)
    assert mx.nd.reshape(nd(np.zeros((0, 3))), shape=(-1,)).shape == (0,)


@SETTINGS
@given(shapes(min_side=0, max_side=4), st.data())
def test_infer_reshape_properties(shape, data):
    size = int(np.prod(shape))
    assert infer_reshape(shape, (-2,)) == shape
    assert infer_reshape(shape, (0,) * len(shape)) == shape
    assert infer_reshape(shape, (-1,)) == (size,)
    if len(shape) >= 2:
        assert infer_reshape(shape, (-3, -2)) == (shape[0] * shape[1],) + shape[2:]
    # Without -4, reverse=True is reversing both shapes.
    target = data.draw(st.lists(st.sampled_from([0, -2, -3, 1]), min_size=1, max_size=4))
    try:
        forward = infer_reshape(shape[::-1], target[::-1])[::-1]
    except MXNetError:
        forward = None
    try:
        backward = infer_reshape(shape, target, reverse=True)
    except MXNetError:
        backward = None
    assert forward == backward
    # A target numpy accepts (no 0: that is "copy"), with one size replaced by -1.
    if not size:
        return
    perm = data.draw(st.permutations(shape))
    assert infer_reshape(shape, perm) == tuple(perm)
    if perm:
        k = data.draw(st.integers(0, len(perm) - 1))
        assert infer_reshape(shape, perm[:k] + [-1] + perm[k + 1:]) == tuple(perm)


def test_reshape_gradient_and_second_order():
    check_numeric_gradient(lambda x: mx.nd.reshape(x, shape=(-4, 2, -1, 0)), [rand(4, 3)])
    check_numeric_gradient(lambda x: x.reshape((-1, 0), reverse=True), [rand(2, 3, 2)])
    g = second_order(lambda x: mx.nd.reshape(x, shape=(3, -1)), rand(2, 3))
    assert g.shape == (2, 3)


def test_reshape_like():
    x = np.arange(6, dtype=np.float32)
    out = mx.nd.reshape_like(nd(x), nd(np.zeros((3, 2)), dtype='int32'))
    np.testing.assert_array_equal(out.asnumpy(), x.reshape(3, 2))
    assert nd(x).reshape_like(nd(np.zeros((2, 3)))).shape == (2, 3)
    y = nd(np.zeros((2, 3, 4)))
    assert mx.nd.reshape_like(y, nd(np.zeros((6, 5))), lhs_begin=0, lhs_end=2,
                              rhs_begin=0, rhs_end=1).shape == (6, 4)
    with pytest.raises(MXNetError, match='different|elements'):
        mx.nd.reshape_like(nd(x), nd(np.zeros((4, 2))))
    check_numeric_gradient(lambda a: mx.nd.reshape_like(a, nd(np.zeros((2, 3)))), [rand(6)])
    second_order(lambda a: mx.nd.reshape_like(a, nd(np.zeros((3, 2)))), rand(6))


# ------------------------------------------------------- permuting the axes --

@SETTINGS
@given(shapes(min_side=0), st.data())
def test_transpose_matches_numpy(shape, data):
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    axes = tuple(data.draw(st.permutations(range(len(shape)))))
    out = mx.nd.transpose(nd(x), axes=axes)
    np.testing.assert_array_equal(out.asnumpy(), np.transpose(x, axes))
    np.testing.assert_array_equal(mx.nd.transpose(nd(x)).asnumpy(), x.T)
    np.testing.assert_array_equal(nd(x).T.asnumpy(), x.T)


def test_transpose_copies_gradients_and_errors():
    x = nd(np.arange(6).reshape(2, 3))
    y = mx.nd.transpose(x)
    y[:] = 0
    assert x.asnumpy().sum() == 15
    assert x.transpose(1, 0).shape == (3, 2)
    assert x.transpose((1, 0)).shape == (3, 2)
    check_numeric_gradient(lambda a: mx.nd.transpose(a, axes=(1, 2, 0)), [rand(2, 3, 2)])
    check_numeric_gradient(lambda a: mx.nd.transpose(a), [rand(2, 3, 2)])
    second_order(lambda a: mx.nd.transpose(a, axes=(2, 0, 1)), rand(2, 3, 2))
    with pytest.raises(MXNetError, match=r'permutation of all 2 axes'):
        mx.nd.transpose(x, axes=(0,))
    with pytest.raises(MXNetError, match=r'not a permutation'):
        mx.nd.transpose(x, axes=(1, 1))


def test_swapaxes():
    x = rand(2, 3, 4)
    np.testing.assert_array_equal(mx.nd.swapaxes(nd(x), dim1=0, dim2=2).asnumpy(),
                                  np.swapaxes(x, 0, 2))
    np.testing.assert_array_equal(mx.nd.SwapAxis(nd(x), 1, -1).asnumpy(), np.swapaxes(x, 1, 2))
    np.testing.assert_array_equal(mx.nd.swapaxes(nd(x)).asnumpy(), x)
    with pytest.raises(MXNetError, match=r'dim2 3 is out of range for an array of 3 dim'):
        mx.nd.swapaxes(nd(x), dim1=0, dim2=3)
    check_numeric_gradient(lambda a: mx.nd.swapaxes(a, dim1=0, dim2=1), [rand(2, 3, 2)])
    second_order(lambda a: mx.nd.swapaxes(a, dim1=2, dim2=0), rand(2, 3, 2))


@pytest.mark.parametrize('source, destination', [(0, 2), (-1, 0), ((0, 1), (2, 0)), (1, 1)])
def test_moveaxis(source, destination):
    x = rand(2, 3, 4)
    np.testing.assert_array_equal(mx.nd.moveaxis(nd(x), source, destination).asnumpy(),
                                  np.moveaxis(x, source, destination))
    check_numeric_gradient(lambda a: mx.nd.moveaxis(a, source, destination), [rand(2, 3, 2)])


def test_moveaxis_errors_and_second_order():
    with pytest.raises(MXNetError, match='same number'):
        mx.nd.moveaxis(nd(rand(2, 3)), (0, 1), 0)
    with pytest.raises(MXNetError, match='repeated'):
        mx.nd.moveaxis(nd(rand(2, 3)), (0, 0), (0, 1))
    second_order(lambda a: mx.nd.moveaxis(a, 0, -1), rand(2, 3, 2))


# ------------------------------------------------ adding and removing axes --

@SETTINGS
@given(shapes(min_side=0), st.data())
def test_expand_dims_matches_numpy(shape, data):
    x = np.zeros(shape, dtype=np.float32)
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    assert mx.nd.expand_dims(nd(x), axis=axis).shape == np.expand_dims(x, axis).shape


def test_expand_dims():
    x = rand(2, 3)
    y = nd(x)
    out = mx.nd.expand_dims(y, axis=1)
    out[:] = 0
    np.testing.assert_array_equal(y.asnumpy(), x)   # a copy, as in MXNet
    assert y.expand_dims(0).shape == (1, 2, 3)
    with pytest.raises(MXNetError, match=r'axis 3 is out of range.*-3 <= axis <= 2'):
        mx.nd.expand_dims(y, axis=3)
    with pytest.raises(MXNetError, match='axis attribute is required'):
        mx.nd.expand_dims(y)
    check_numeric_gradient(lambda a: mx.nd.expand_dims(a, axis=-1), [x])
    second_order(lambda a: mx.nd.expand_dims(a, axis=0), x)


@SETTINGS
@given(shapes(min_side=0))
def test_squeeze_matches_numpy(shape):
    x = np.zeros(shape, dtype=np.float32)
    expected = np.squeeze(x).shape or (1,)
    assert mx.nd.squeeze(nd(x)).shape == expected


def test_squeeze():
    x = rand(1, 3, 1)
    assert mx.nd.squeeze(nd(x)).shape == (3,)
    assert mx.nd.squeeze(nd(x), axis=0).shape == (3, 1)
    assert mx.nd.squeeze(nd(x), axis=(0, -1)).shape == (3,)
    assert mx.nd.squeeze(nd(x), axis=()).shape == (3,)
    assert mx.nd.squeeze(nd(np.ones((1, 1, 1)))).shape == (1,)
    assert nd(x).squeeze().shape == (3,)
    with pytest.raises(MXNetError, match=r'cannot squeeze axis 1 .* its size is 3'):
        mx.nd.squeeze(nd(x), axis=1)
    with pytest.raises(MXNetError, match='repeats an axis'):
        mx.nd.squeeze(nd(x), axis=(0, 0))
    check_numeric_gradient(lambda a: mx.nd.squeeze(a), [x])
    second_order(lambda a: mx.nd.squeeze(a, axis=2), x)


@pytest.mark.parametrize('shape, expected', [((2, 3, 4), (2, 12)), ((2,), (2, 1)),
                                             ((2, 3), (2, 3)), ((0, 3), (0, 3)),
                                             ((2, 0, 3), (2, 0))])
def test_flatten(shape, expected):
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    for fn in (mx.nd.flatten, mx.nd.Flatten, lambda a: a.flatten()):
        out = fn(nd(x))
        assert out.shape == expected
        np.testing.assert_array_equal(out.asnumpy(), x.reshape(expected))


def test_flatten_gradient():
    check_numeric_gradient(mx.nd.flatten, [rand(2, 2, 3)])
    second_order(mx.nd.Flatten, rand(2, 3, 2))


# ------------------------------------------------------------- broadcast_to --

@SETTINGS
@given(shapes(min_side=1, max_side=3), st.data())
def test_broadcast_to_matches_numpy(shape, data):
    src = tuple(d if data.draw(st.booleans()) else 1 for d in shape)
    x = np.arange(int(np.prod(src)), dtype=np.float32).reshape(src)
    target = tuple(0 if (s == d and data.draw(st.booleans())) else d
                   for s, d in zip(src, shape))
    out = mx.nd.broadcast_to(nd(x), shape=target)
    np.testing.assert_array_equal(out.asnumpy(), np.broadcast_to(x, shape))


def test_broadcast_to():
    x = nd(rand(1, 3))
    assert x.broadcast_to((2, 3)).shape == (2, 3)
    assert mx.nd.broadcast_to(x, shape=(2, 0)).shape == (2, 3)
    assert mx.nd.broadcast_to(x, shape=(0, 3)).shape == (1, 3)
    with pytest.raises(MXNetError, match=r'same number of dimensions'):
        mx.nd.broadcast_to(nd(rand(3)), shape=(2, 3))
    with pytest.raises(MXNetError, match=r'axis 1 has size 3; expected it to be 1 or 4'):
        mx.nd.broadcast_to(x, shape=(2, 4))
    with pytest.raises(MXNetError, match=r'target sizes must be >= 0'):
        mx.nd.broadcast_to(x, shape=(-1, 3))
    check_numeric_gradient(lambda a: mx.nd.broadcast_to(a, shape=(2, 3, 4)), [rand(2, 1, 4)])
    check_numeric_gradient(lambda a: mx.nd.broadcast_to(a, shape=(3, 2)), [rand(1, 1)])
    second_order(lambda a: mx.nd.broadcast_to(a, shape=(3, 0)), rand(1, 2))


# ------------------------------------------------------------ tile, repeat --

@SETTINGS
@given(shapes(max_dims=3, min_side=0), st.lists(st.integers(0, 3), max_size=4))
def test_tile_matches_numpy(shape, reps):
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    out = mx.nd.tile(nd(x), reps=tuple(reps))
    np.testing.assert_array_equal(out.asnumpy(), np.tile(x, tuple(reps)))


@pytest.mark.parametrize('shape, reps', [((2, 3), (2,)), ((2,), (2, 3)), ((2, 2), (1, 2)),
                                         ((3,), ()), ((1, 2), (3, 1, 2))])
def test_tile_gradient(shape, reps):
    check_numeric_gradient(lambda a: mx.nd.tile(a, reps=reps), [rand(*shape)])
    second_order(lambda a: mx.nd.tile(a, reps=reps), rand(*shape))


def test_tile_forms_and_errors():
    assert mx.nd.tile(nd(rand(2)), 2).shape == (4,)
    assert nd(rand(2, 2)).tile((2,)).shape == (2, 4)
    with pytest.raises(MXNetError, match='negative'):
        mx.nd.tile(nd(rand(2)), reps=(-1,))


@SETTINGS
@given(shapes(max_dims=3, min_side=0), st.integers(0, 3), st.data())
def test_repeat_matches_numpy(shape, repeats, data):
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    out = mx.nd.repeat(nd(x), repeats=repeats, axis=axis)
    np.testing.assert_array_equal(out.asnumpy(), np.repeat(x, repeats, axis=axis))


@pytest.mark.parametrize('axis', [None, 0, 1, -1])
def test_repeat_gradient(axis):
    check_numeric_gradient(lambda a: mx.nd.repeat(a, repeats=2, axis=axis), [rand(2, 3)])
    second_order(lambda a: mx.nd.repeat(a, repeats=3, axis=axis), rand(2, 3))


def test_repeat_errors():
    with pytest.raises(MXNetError, match='repeats must be an integer >= 0'):
        mx.nd.repeat(nd(rand(2)), repeats=-1)
    with pytest.raises(MXNetError, match='axis 2 is out of range'):
        mx.nd.repeat(nd(rand(2, 2)), repeats=2, axis=2)
    assert nd(rand(2, 2)).repeat(2, axis=0).shape == (4, 2)


# --------------------------------------------------------------------- flip --

@pytest.mark.parametrize('axis', [0, 1, -1, (0, 2), (0, 0)])
def test_flip(axis):
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    expected = x
    for a in (axis if isinstance(axis, tuple) else (axis,)):
        expected = np.flip(expected, a)
    np.testing.assert_array_equal(mx.nd.flip(nd(x), axis=axis).asnumpy(), expected)
    np.testing.assert_array_equal(mx.nd.reverse(nd(x), axis=axis).asnumpy(), expected)
    check_numeric_gradient(lambda a: mx.nd.flip(a, axis=axis), [rand(2, 3, 2)])
    second_order(lambda a: mx.nd.flip(a, axis=axis), rand(2, 3, 2))


def test_flip_errors():
    with pytest.raises(MXNetError, match='axis attribute is required'):
        mx.nd.flip(nd(rand(2)))
    with pytest.raises(MXNetError, match='axis 1 is out of range'):
        mx.nd.flip(nd(rand(2)), axis=1)


# ------------------------------------------------------------------ one_hot --

def test_one_hot():
    idx = np.array([[0, 2, -1], [5, 1.7, 2.2]], dtype=np.float32)
    out = mx.nd.one_hot(nd(idx), 3)
    assert out.shape == (2, 3, 3) and out.dtype == np.float32
    expected = (np.trunc(idx).astype(int)[..., None] == np.arange(3)).astype(np.float32)
    np.testing.assert_array_equal(out.asnumpy(), expected)
    out = mx.nd.one_hot(nd([0, 1]), depth=3, on_value=2.7, off_value=-1, dtype='int32')
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out.asnumpy(), [[2, -1, -1], [-1, 2, -1]])
    assert mx.nd.one_hot(nd([1], dtype='int64'), 2, dtype='float64').dtype == np.float64
    assert nd([0, 1]).one_hot(4).shape == (2, 4)
    with pytest.raises(MXNetError, match='depth attribute is required'):
        mx.nd.one_hot(nd([0]))


def test_one_hot_has_no_gradient():
    x = nd([0, 1])
    x.attach_grad()
    with autograd.record():
        y = mx.nd.one_hot(x, 2)
    assert y._node is None


# ----------------------------------------------------- shape_array, size_array --

@SETTINGS
@given(shapes(min_side=0))
def test_shape_and_size_array(shape):
    x = nd(np.zeros(shape))
    s = mx.nd.shape_array(x)
    assert s.dtype == np.int64
    np.testing.assert_array_equal(s.asnumpy(), shape)
    n = mx.nd.size_array(x)
    assert n.dtype == np.int64 and n.shape == (1,)
    assert int(n.asnumpy()[0]) == int(np.prod(shape))


# --------------------------------------------------------------- dtypes ---

@pytest.mark.parametrize('dtype', ['float64', 'float16', 'int32', 'uint8'])
def test_dtypes_are_kept(dtype):
    x = nd(np.arange(6).reshape(2, 3), dtype=dtype)
    for y in (x.reshape((3, 2)), mx.nd.transpose(x), mx.nd.expand_dims(x, axis=0),
              mx.nd.flatten(x), mx.nd.tile(x, reps=(2,)), mx.nd.repeat(x, repeats=2),
              mx.nd.flip(x, axis=0), mx.nd.swapaxes(x, 0, 1),
              mx.nd.broadcast_to(x.reshape((2, 1, 3)), shape=(2, 2, 3))):
        assert y.dtype == np.dtype(dtype)


def test_float64_gradients():
    check_numeric_gradient(lambda a: mx.nd.tile(mx.nd.transpose(a), reps=(2, 1)),
                           [rand(2, 3)], dtype=np.float64)


def test_infer_shape_functions():
    from mxlearn.operator import get_op
    assert get_op('reshape').infer_shape([(2, 3, 4)], shape=(-3, 0), reverse=False) == [(6, 4)]
    assert get_op('transpose').infer_shape([(2, 3, 4)], axes=()) == [(4, 3, 2)]
    assert get_op('tile').infer_shape([(2, 3)], reps=(2, 1, 1)) == [(2, 2, 3)]
    assert get_op('one_hot').infer_shape([(2,)], depth=5, on_value=1, off_value=0,
                                         dtype='float32') == [(2, 5)]
    assert get_op('one_hot').infer_type([np.float32], depth=5, on_value=1, off_value=0,
                                        dtype='int32') == [np.dtype('int32')]
    with pytest.raises(MXNetError, match='expected 1 or 3|expected it to be 1 or 4'):
        get_op('broadcast_to').infer_shape([(2, 3)], shape=(2, 4))
