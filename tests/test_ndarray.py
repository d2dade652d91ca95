"""NDArray semantics: MXNet 1.x conventions, indexing, views, in-place updates, contexts."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import mxlearn as mx
from mxlearn import nd


def test_array_dtype_conventions():
    assert nd.array([1, 2, 3]).dtype is np.float32
    assert nd.array(np.array([1.0, 2.0])).dtype is np.float32
    assert nd.array(np.array([1, 2], dtype=np.int64)).dtype is np.float32
    assert nd.array(nd.array([1, 2], dtype='int32')).dtype is np.int32
    assert nd.array([1.7, -1.7], dtype='int32').asnumpy().tolist() == [1, -1]
    assert nd.array(5).shape == (1,)
    assert nd.array([]).shape == (0,)


def test_array_is_a_copy_of_its_source():
    src = np.ones(3, dtype=np.float32)
    x = nd.array(src)
    src[0] = 5
    assert x.asnumpy()[0] == 1


def test_repr_matches_mxnet():
    x = nd.array([[0, 1, 2], [3, 4, 5]])
    assert repr(x) == '\n[[0. 1. 2.]\n [3. 4. 5.]]\n<NDArray 2x3 @cpu(0)>'
    assert repr(nd.array([7])) == '\n[7.]\n<NDArray 1 @cpu(0)>'
    assert repr(nd.array([])) == '\n[]\n<NDArray 0 @cpu(0)>'
    y = nd.array([[1, 2]], dtype='int32', ctx=mx.cpu(1))
    assert repr(y) == '\n[[1 2]]\n<NDArray 1x2 @cpu(1)>'
    assert str(x) == repr(x)


def test_basic_properties():
    x = nd.array(np.arange(24).reshape(2, 3, 4))
    assert (x.shape, x.ndim, x.size, len(x)) == ((2, 3, 4), 3, 24, 2)
    assert x.context == mx.cpu(0) and x.ctx is x.context
    assert x.T.shape == (4, 3, 2)
    assert x.stype == 'default'
    assert hash(x) == hash(x) and {x: 1}[x] == 1


def test_no_zero_dim_results():
    x = nd.array(np.arange(6).reshape(2, 3))
    assert x[1, 2].shape == (1,)
    assert x[1, 2].asscalar() == 5
    assert nd.array([4, 5])[1].shape == (1,)
    assert x.sum().shape == (1,)
    assert x.max().shape == (1,)


def test_comparisons_return_input_dtype():
    f = nd.array([1, 2, 3])
    i = nd.array([1, 2, 3], dtype='int32')
    assert (f == 2).dtype is np.float32
    assert (f > f).dtype is np.float32
    assert (i <= 2).dtype is np.int32
    np.testing.assert_array_equal((f >= 2).asnumpy(), [0, 1, 1])
    np.testing.assert_array_equal((2 < f).asnumpy(), [0, 0, 1])
    np.testing.assert_array_equal((f != nd.array([[1], [3]])).asnumpy(),
                                  [[0, 1, 1], [1, 1, 0]])


def test_integer_arrays_cast_float_scalars_like_mxnet():
    i = nd.array([1, 2, 3], dtype='int32')
    assert (i * 2.5).asnumpy().tolist() == [2, 4, 6]
    assert (i + 1.5).asnumpy().tolist() == [2, 3, 4]
    assert (i / 2).asnumpy().tolist() == [0, 1, 1]
    assert (i / 2).dtype is np.int32


@settings(max_examples=40, deadline=None)
@given(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=4, min_side=0,
                                         max_side=3),
       st.sampled_from(['+', '-', '*', '/', '**', 'max']))
def test_python_operators_broadcast_like_numpy(shapes, op):
    rng = np.random.default_rng(0)
    a = rng.uniform(0.5, 2, shapes.input_shapes[0]).astype(np.float32)
    b = rng.uniform(0.5, 2, shapes.input_shapes[1]).astype(np.float32)
    fn = {'+': lambda x, y: x + y, '-': lambda x, y: x - y, '*': lambda x, y: x * y,
          '/': lambda x, y: x / y, '**': lambda x, y: x ** y,
          'max': lambda x, y: np.maximum(x, y) if isinstance(x, np.ndarray)
          else nd.maximum(x, y)}[op]
    got = fn(nd.array(a), nd.array(b))
    assert got.shape == shapes.result_shape
    np.testing.assert_allclose(got.asnumpy(), fn(a, b), rtol=1e-6)


def test_reflected_scalar_operators():
    x = nd.array([1.0, 2.0, 4.0])
    np.testing.assert_allclose((1 - x).asnumpy(), [0, -1, -3])
    np.testing.assert_allclose((8 / x).asnumpy(), [8, 4, 2])
    np.testing.assert_allclose((2 ** x).asnumpy(), [2, 4, 16])
    np.testing.assert_allclose((5 % x).asnumpy(), [0, 1, 1])
    np.testing.assert_allclose((-x).asnumpy(), [-1, -2, -4])
    np.testing.assert_allclose(abs(nd.array([-1.5])).asnumpy(), [1.5])


def test_inplace_arithmetic_keeps_identity_and_views():
    x = nd.array(np.arange(6).reshape(2, 3))
    row = x[1]
    before = x
    x += 1
    x *= 2
    x -= nd.array([1, 1, 1])
    x /= 2
    assert x is before
    np.testing.assert_allclose(x.asnumpy(), np.arange(6).reshape(2, 3) + 0.5)
    np.testing.assert_allclose(row.asnumpy(), [3.5, 4.5, 5.5])
    with pytest.raises(mx.MXNetError, match='change the shape'):
        y = nd.ones((3,))
        y += nd.ones((2, 3))


def test_views_follow_mxnet():
    x = nd.array(np.arange(12).reshape(3, 4))
    for view in (x[1], x[1:3], x[-1], x[:]):
        view[:] = -1
    assert (x.asnumpy() == -1).all()
    x = nd.array(np.arange(12).reshape(3, 4))
    for copy in (x[:, 1], x[1:3, 2], x[::2], x[nd.array([0, 2])], x[[0, 2]]):
        copy[:] = -1
    np.testing.assert_array_equal(x.asnumpy(), np.arange(12).reshape(3, 4))


def test_advanced_and_mixed_indexing():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x = nd.array(a)
    np.testing.assert_array_equal(x[nd.array([1, 0])].asnumpy(), a[[1, 0]])
    np.testing.assert_array_equal(x[nd.array([0.9, 1.2])].asnumpy(), a[[0, 1]])
    np.testing.assert_array_equal(x[[0, 1], [2, 0]].asnumpy(), a[[0, 1], [2, 0]])
    np.testing.assert_array_equal(x[:, 1:3, nd.array([3])].asnumpy(), a[:, 1:3, [3]])
    np.testing.assert_array_equal(x[..., 1].asnumpy(), a[..., 1])
    assert x[None].shape == (1, 2, 3, 4)
    with pytest.raises(mx.MXNetError, match='out of bounds'):
        x[5]


def test_setitem_forms():
    x = nd.zeros((3, 4))
    x[:] = 1
    x[1:3, 2] = nd.array([100, 200])
    x[nd.array([0])] = 5
    x[-1, -1] = 9
    x[:, 0] = nd.array([[7]]).reshape((1,))
    x[0] = [1, 2, 3, 4]
    expected = np.ones((3, 4), dtype=np.float32)
    expected[1:3, 2] = [100, 200]
    expected[0] = 5
    expected[-1, -1] = 9
    expected[:, 0] = 7
    expected[0] = [1, 2, 3, 4]
    np.testing.assert_array_equal(x.asnumpy(), expected)
    with pytest.raises(mx.MXNetError, match='cannot assign'):
        x[:] = nd.ones((2, 4))


def test_astype_copy_and_conversions():
    x = nd.array([1.7, -1.7, 2.5])
    assert x.astype('float32', copy=False) is x
    assert x.astype('float32') is not x
    assert x.astype('int32').asnumpy().tolist() == [1, -1, 2]
    assert x.copy().asnumpy().tolist() == x.asnumpy().tolist()
    assert nd.array([3]).asscalar() == 3.0
    with pytest.raises(mx.MXNetError, match='exactly one element'):
        x.asscalar()
    assert bool(nd.array([0])) is False and bool(nd.array([2])) is True
    assert bool(nd.array([])) is False
    with pytest.raises(ValueError, match='ambiguous'):
        bool(x)
    np.testing.assert_array_equal(np.asarray(x), x.asnumpy())


def test_iteration_yields_rows():
    rows = list(nd.array(np.arange(6).reshape(3, 2)))
    assert [r.shape for r in rows] == [(2,)] * 3
    assert [r.shape for r in nd.array([1, 2])] == [(1,), (1,)]


def test_contexts_are_distinct_devices():
    a = nd.ones((2,), ctx=mx.cpu(0))
    b = nd.ones((2,), ctx=mx.cpu(1))
    assert b.context == mx.cpu(1)
    with pytest.raises(mx.MXNetError, match='different devices'):
        a + b
    c = b.copyto(mx.cpu(0))
    assert (a + c).asnumpy().tolist() == [2, 2]
    assert a.as_in_context(mx.cpu(0)) is a
    assert a.as_in_context(mx.cpu(1)).context == mx.cpu(1)
    out = nd.zeros((2,), ctx=mx.cpu(1))
    assert a.copyto(out) is out and out.asnumpy().tolist() == [1, 1]


def test_copy_to_other_context_is_differentiable():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        y = x.as_in_context(mx.cpu(1)) * 3
    y.backward()
    assert y.context == mx.cpu(1)
    np.testing.assert_array_equal(x.grad.asnumpy(), [3, 3])


def test_context_manager_and_default():
    assert mx.current_context() == mx.cpu(0)
    with mx.Context('cpu', 2):
        assert nd.zeros((1,)).context == mx.cpu(2)
        with mx.cpu(3):
            assert mx.current_context() == mx.cpu(3)
        assert mx.current_context() == mx.cpu(2)
    assert mx.current_context() == mx.cpu(0)
    assert mx.Context(mx.cpu(4)) == mx.cpu(4)
    assert mx.cpu(1).device_typeid == 1 and mx.gpu(0).device_typeid == 2
    assert {mx.cpu(1): 'a'}[mx.Context('cpu', 1)] == 'a'
    with pytest.raises(mx.MXNetError, match='unknown device type'):
        mx.Context('tpu', 0)


def test_gpu_without_cupy_fails_clearly():
    if mx.context.num_gpus() > 0:
        pytest.skip('a GPU is present')
    ctx = mx.gpu(0)
    assert repr(ctx) == 'gpu(0)'
    with pytest.raises(mx.MXNetError, match='gpu\\(0\\) is not available'):
        nd.zeros((2,), ctx=ctx)
    with pytest.raises(mx.MXNetError, match='not available'):
        nd.ones((2,)).as_in_context(ctx)


def test_wait_functions_return_none():
    x = nd.ones((2,))
    assert x.wait_to_read() is None
    assert nd.waitall() is None


def test_pickle_round_trip():
    import pickle
    x = nd.array([[1, 2]], dtype='int32', ctx=mx.cpu(1))
    y = pickle.loads(pickle.dumps(x))
    assert y.dtype is np.int32 and y.context == mx.cpu(1)
    np.testing.assert_array_equal(y.asnumpy(), x.asnumpy())


def test_unknown_argument_error_names_valid_attributes():
    with pytest.raises(mx.MXNetError, match='unknown argument .axs.*axis'):
        nd.sum(nd.ones((2,)), axs=1)


def test_dtype_mismatch_error_names_operator_shapes_and_dtypes():
    with pytest.raises(mx.MXNetError) as info:
        nd.ones((2, 3)) + nd.ones((2, 3), dtype='float64')
    msg = str(info.value)
    assert 'broadcast_add' in msg and 'float64' in msg and '(2, 3)' in msg


def test_shape_mismatch_error_names_everything():
    with pytest.raises(mx.MXNetError) as info:
        nd.ones((2, 3)) * nd.ones((4, 5))
    msg = str(info.value)
    assert msg.startswith('Operator broadcast_mul: shapes (2, 3) and (4, 5) cannot be broadcast')
    assert 'lhs: shape (2, 3), dtype float32' in msg
    assert 'rhs: shape (4, 5), dtype float32' in msg
