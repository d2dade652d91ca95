"""Array creation operators: zeros, ones, full, arange, eye, linspace, empty."""
import inspect

import numpy as np
import pytest

import mxlearn as mx
from mxlearn import autograd, nd
from mxlearn.operator import get_op


@pytest.mark.parametrize('fn, value', [(nd.zeros, 0), (nd.ones, 1), (nd.empty, 0)])
def test_zeros_ones_empty(fn, value):
    x = fn((2, 3))
    assert x.shape == (2, 3) and x.dtype is np.float32 and x.context == mx.cpu(0)
    assert (x.asnumpy() == value).all()
    assert fn(4).shape == (4,)
    assert fn([2, 1]).shape == (2, 1)
    assert fn(np.int64(3)).shape == (3,)
    assert fn((np.int64(2), 3)).shape == (2, 3)
    y = fn(2, ctx=mx.cpu(1), dtype='int64')
    assert y.context == mx.cpu(1) and y.dtype is np.int64


@pytest.mark.parametrize('dtype', ['float16', np.float64, np.dtype('int32'), 'uint8', bool])
def test_dtype_spellings(dtype):
    assert nd.zeros(2, dtype=dtype).dtype is np.dtype(dtype).type
    assert nd.ones(2, dtype=dtype).dtype is np.dtype(dtype).type


def test_zero_size_and_empty_shapes():
    assert nd.zeros((0,)).shape == (0,)
    assert nd.ones((2, 0)).shape == (2, 0)
    assert nd.full((0, 3), 5).shape == (0, 3)
    # no 0-d arrays in MXNet 1.x: the empty shape gives one element
    assert nd.zeros(()).shape == (1,)
    assert nd.ones(()).asnumpy().tolist() == [1.0]


def test_invalid_arguments_raise_clear_errors():
    with pytest.raises(mx.MXNetError, match='negative size'):
        nd.zeros(-1)
    with pytest.raises(mx.MXNetError, match='int or a tuple of ints'):
        nd.ones((2, 'a'))
    with pytest.raises(mx.MXNetError, match='unknown dtype'):
        nd.zeros(2, dtype='foo')
    with pytest.raises(mx.MXNetError, match='shape is required'):
        nd.zeros()


def test_full():
    x = nd.full((2, 2), 7.5)
    assert x.dtype is np.float32 and (x.asnumpy() == 7.5).all()
    assert nd.full(2, 7.5, dtype='int32').asnumpy().tolist() == [7, 7]
    assert nd.full(2, val=3).asnumpy().tolist() == [3.0, 3.0]      # MXNet's keyword
    assert nd.full(3, -1, dtype='uint8').asnumpy().tolist() == [255] * 3
    assert nd.full(2, 1.5, ctx=mx.cpu(2)).context == mx.cpu(2)
    assert nd._full(shape=(2,), value=3).asnumpy().tolist() == [3.0, 3.0]


def test_arange_matches_mxnet():
    assert nd.arange(5).asnumpy().tolist() == [0, 1, 2, 3, 4]
    assert nd.arange(5).dtype is np.float32
    assert nd.arange(1, 5, 2).asnumpy().tolist() == [1, 3]
    assert nd.arange(0, 1, 0.25).shape == (4,)
    assert nd.arange(3, repeat=2).asnumpy().tolist() == [0, 0, 1, 1, 2, 2]
    assert nd.arange(5, 1, -1).asnumpy().tolist() == [5, 4, 3, 2]
    assert nd.arange(2.5).asnumpy().tolist() == [0, 1, 2]
    # values are start + i * step computed in the output dtype, as MXNet does
    np.testing.assert_array_equal(nd.arange(0, 1, 0.3).asnumpy(),
                                  np.array([0, 0.3, 0.6, 0.90000004], dtype=np.float32))
    assert nd.arange(0, 5, 1.5, dtype='int32').asnumpy().tolist() == [0, 1, 2, 3]
    assert nd.arange(0.5, 5, dtype='int32').asnumpy().tolist() == [0, 1, 2, 3, 4]
    assert nd.arange(0, -3, -1, dtype='uint8').asnumpy().tolist() == [0, 255, 254]
    for dtype in ['int32', 'int64', 'float64']:
        assert nd.arange(3, dtype=dtype).dtype is np.dtype(dtype).type
    assert nd.arange(3, infer_range=True).asnumpy().tolist() == [0, 1, 2]


def test_arange_float16_stays_exact():
    x = nd.arange(-5, 5, 0.7, dtype='float16').asnumpy()
    np.testing.assert_allclose(x, (-5 + 0.7 * np.arange(15)).astype(np.float16), atol=1e-2)


def test_arange_edge_cases():
    assert nd.arange(5, 1).shape == (0,)       # empty range (MXNet raises)
    assert nd.arange(1, 1).shape == (0,)
    with pytest.raises(mx.MXNetError, match='step must not be 0'):
        nd.arange(0, 3, 0)
    with pytest.raises(mx.MXNetError, match='repeat'):
        nd.arange(3, repeat=0)


@pytest.mark.parametrize('args', [(3,), (2, 3), (3, 0, 1), (3, 2, -1), (2, 3, 1), (3, 3, 5),
                                  (3, 0, -5), (0,)])
def test_eye_matches_numpy(args):
    n = args[0]
    m = args[1] if len(args) > 1 and args[1] else n
    k = args[2] if len(args) > 2 else 0
    x = nd.eye(*args)
    assert x.dtype is np.float32
    np.testing.assert_array_equal(x.asnumpy(), np.eye(n, m, k, dtype=np.float32))


def test_eye_keywords_and_dtype():
    x = nd.eye(3, k=1, dtype='int32', ctx=mx.cpu(1))
    assert x.dtype is np.int32 and x.context == mx.cpu(1)
    np.testing.assert_array_equal(x.asnumpy(), np.eye(3, k=1))
    with pytest.raises(mx.MXNetError):
        nd.eye(-1)


def test_linspace():
    np.testing.assert_allclose(nd.linspace(0, 1, 5).asnumpy(), [0, .25, .5, .75, 1])
    np.testing.assert_allclose(nd.linspace(0, 1, 5, endpoint=False).asnumpy(),
                               [0, .2, .4, .6, .8], rtol=1e-6)
    assert nd.linspace(0, 1, 5).dtype is np.float32
    assert nd.linspace(0, 10, 5, dtype='int32').asnumpy().tolist() == [0, 2, 5, 7, 10]
    # integers truncate toward zero, as in MXNet (numpy would round down)
    assert nd.linspace(-10, 0, 5, dtype='int32').asnumpy().tolist() == [-10, -7, -5, -2, 0]
    assert nd.linspace(0, 1, 1).asnumpy().tolist() == [0.0]
    assert nd.linspace(0, 10, 0).shape == (0,)
    assert nd.linspace(0, 1, 3, dtype='float64', ctx=mx.cpu(3)).context == mx.cpu(3)
    with pytest.raises(mx.MXNetError, match='num'):
        nd.linspace(0, 1, -2)


def test_current_context_is_the_default():
    with mx.cpu(2):
        for x in [nd.zeros(2), nd.ones(2), nd.full(2, 1), nd.arange(2), nd.eye(2),
                  nd.linspace(0, 1, 2), nd.empty(2)]:
            assert x.context == mx.cpu(2)


def test_out_argument():
    x = nd.zeros((3,))
    r = nd.ones(3, out=x)
    assert r is x and x.asnumpy().tolist() == [1, 1, 1]
    nd.arange(3, out=x)
    assert x.asnumpy().tolist() == [0, 1, 2]


def test_outputs_are_constants_to_autograd():
    w = nd.ones(2)
    w.attach_grad()
    with autograd.record():
        y = (w * nd.full(2, 3.0) + nd.arange(2)).sum()
    y.backward()
    assert w.grad.asnumpy().tolist() == [3, 3]
    assert get_op('_zeros').gradient is None


def test_names_aliases_and_signatures():
    for public in ['zeros', 'ones', 'full', 'arange', 'eye', 'linspace']:
        assert get_op(public) is get_op('_' + public)
    params = list(inspect.signature(nd.full).parameters)
    assert params[:3] == ['shape', 'value', 'dtype']
    assert list(inspect.signature(nd.arange).parameters)[:4] == ['start', 'stop', 'step',
                                                                 'repeat']
    assert list(inspect.signature(nd.eye).parameters)[:3] == ['N', 'M', 'k']
    assert list(inspect.signature(nd.linspace).parameters)[:4] == ['start', 'stop', 'num',
                                                                   'endpoint']
    assert 'ctx' in inspect.signature(nd.zeros).parameters


def test_shape_and_type_inference():
    assert get_op('zeros').infer_shape([], shape=(2, 3)) == [(2, 3)]
    assert get_op('ones').infer_shape([], shape=()) == [(1,)]
    assert get_op('arange').infer_shape([], start=0, stop=5, step=2, repeat=3) == [(9,)]
    assert get_op('eye').infer_shape([], N=2, M=0, k=0) == [(2, 2)]
    assert get_op('linspace').infer_shape([], start=0, stop=1, num=7) == [(7,)]
    assert get_op('full').infer_type([], dtype='int64') == [np.dtype('int64')]
    assert get_op('zeros').infer_type([]) == [np.dtype('float32')]


def test_context_can_be_given_positionally_as_in_mxnet():
    a = mx.nd.zeros((2, 3), mx.cpu(1), dtype='float64')
    assert a.context == mx.cpu(1) and a.dtype == np.float64
    b = mx.nd.ones((2,), mx.cpu(0), 'int32')
    assert b.context == mx.cpu(0) and b.dtype == np.int32
