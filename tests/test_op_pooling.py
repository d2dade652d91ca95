"""Pooling and UpSampling: forward against the definition, kernels against the
reference path, gradients (first and second order), shape inference, errors."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from mxlearn import autograd, nd
from mxlearn._ext import pooling as kernels
from mxlearn.base import MXNetError
from mxlearn.operator import get_op
from mxlearn.operator.pooling import Geometry, pool_backward_reference, pool_reference
from mxlearn.test_utils import assert_almost_equal, check_numeric_gradient

# Every test runs on each device of the ctx fixture (tests/conftest.py).
pytestmark = pytest.mark.usefixtures('ctx')

SETTINGS = settings(max_examples=30, deadline=None)


def rand(shape, seed=0, dtype=np.float32):
    return np.random.RandomState(seed).uniform(-2, 2, shape).astype(dtype)


def distinct(shape, seed=0, dtype=np.float32):
    """Values at least 0.25 apart, so a max never changes within a finite-difference step."""
    n = int(np.prod(shape))
    return ((np.random.RandomState(seed).permutation(n) - n / 2) * 0.25).reshape(shape) \
        .astype(dtype)


# ------------------------------------------------------ the definition --

def out_size(n, k, s, p, convention):
    span = n + 2 * p - k
    return (span // s if convention == 'valid' else -(-span // s)) + 1


def pooling_by_definition(x, kernel, stride, pad, pool_type, convention='valid',
                          count_include_pad=True, p_value=None):
    """Pooling of (N, C, *spatial) ``x``, one output window at a time.

    Returns the output and, for max, the flat in-plane position of each
    window's first largest element (-1 when the window holds no input).
    """
    size = x.shape[2:]
    outs = [out_size(n, k, s, p, convention) for n, k, s, p in zip(size, kernel, stride, pad)]
    out = np.zeros(x.shape[:2] + tuple(outs), dtype=np.float64)
    arg = np.full(out.shape, -1, dtype=np.int64)
    planes = x.reshape(x.shape[:2] + (-1,)).astype(np.float64)
    for o in itertools.product(*(range(m) for m in outs)):
        starts = [i * s - p for i, s, p in zip(o, stride, pad)]
        inside = [range(max(a, 0), min(a + k, n)) for a, k, n in zip(starts, kernel, size)]
        flat = [np.ravel_multi_index(pos, size) for pos in itertools.product(*inside)]
        key = (slice(None), slice(None)) + o
        if pool_type == 'max':
            if not flat:
                out[key] = np.finfo(x.dtype).min
                continue
            values = planes[:, :, flat]
            first = values.argmax(axis=2)
            out[key] = values.max(axis=2)
            arg[key] = np.asarray(flat)[first]
        elif pool_type == 'lp':
            total = (planes[:, :, flat] ** p_value).sum(axis=2)
            out[key] = np.sign(total) * np.abs(total) ** (1.0 / p_value)
        else:
            total = planes[:, :, flat].sum(axis=2)
            if pool_type == 'avg':
                count = 1
                for a, k, n, p in zip(starts, kernel, size, pad):
                    first, last = (-p, n + p) if count_include_pad else (0, n)
                    count *= max(0, min(a + k, last) - max(a, first))
                total = total / count if count else total * 0
            out[key] = total
    return out, arg


@st.composite
def pooling_case(draw, max_nd=3, types=('max', 'avg', 'sum')):
    nd_ = draw(st.integers(1, max_nd))
    size = tuple(draw(st.integers(1, 6)) for _ in range(nd_))
    kernel, stride, pad = [], [], []
    for n in size:
        k = draw(st.integers(1, 4))
        p = draw(st.integers(0, k - 1))
        if k > n + 2 * p:
            k = n + 2 * p
            p = min(p, k - 1)
        kernel.append(k)
        pad.append(p)
        stride.append(draw(st.integers(1, 3)))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3))) + size
    return dict(shape=shape, kernel=tuple(kernel), stride=tuple(stride), pad=tuple(pad),
                pool_type=draw(st.sampled_from(types)),
                pooling_convention=draw(st.sampled_from(['valid', 'full'])),
                count_include_pad=draw(st.booleans()))


# --------------------------------------------------------------- forward --

@SETTINGS
@given(case=pooling_case(), seed=st.integers(0, 2 ** 16),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_pooling_matches_definition(case, seed, dtype):
    shape = case.pop('shape')
    x = distinct(shape, seed, dtype)
    got = nd.Pooling(nd.array(x, dtype=dtype), **case)
    want, _ = pooling_by_definition(x, case['kernel'], case['stride'], case['pad'],
                                    case['pool_type'], case['pooling_convention'],
                                    case['count_include_pad'])
    assert got.shape == want.shape and got.dtype == dtype
    assert_almost_equal(got.asnumpy(), want, rtol=1e-5, atol=1e-5)
    shapes = get_op('Pooling').infer_shape([shape], **dict(
        case, global_pool=False, cudnn_off=False, p_value=None, layout=None))
    assert shapes[0] == want.shape


@SETTINGS
@given(case=pooling_case(), seed=st.integers(0, 2 ** 16),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_kernels_match_reference(case, seed, dtype):
    shape = case['shape']
    geo = Geometry(shape[2:], tuple(out_size(n, k, s, p, case['pooling_convention'])
                                    for n, k, s, p in zip(shape[2:], case['kernel'],
                                                          case['stride'], case['pad'])),
                   case['kernel'], case['stride'], case['pad'])
    x = rand(shape, seed, dtype)
    if case['pool_type'] == 'max':
        x[..., 0] = x[..., -1]          # ties: the first one must win in both
    pool_type, cip = case['pool_type'], case['count_include_pad']
    ref_out, ref_arg = pool_reference(np, x, geo, pool_type, cip)
    lead = (1,) * (3 - len(geo.size))
    x3 = x.reshape((-1,) + lead + geo.size)
    out = np.empty((x3.shape[0],) + lead + geo.out, dtype=dtype)
    args = [lead + tuple(v) for v in (geo.kernel, geo.stride)] + [(0,) * len(lead) + geo.pad]
    g = rand(ref_out.shape, seed + 1, dtype)
    dx = np.empty(x3.shape, dtype=dtype)
    if pool_type == 'max':
        arg = np.empty(out.shape, dtype=np.int32)
        kernels.max_forward(x3, out, arg, *args)
        np.testing.assert_array_equal(arg.reshape(ref_arg.shape), ref_arg)
        kernels.max_backward(g.reshape(x3.shape[0], -1), arg.reshape(x3.shape[0], -1),
                             dx.reshape(x3.shape[0], -1))
    else:
        divisor = {'sum': kernels.SUM, 'avg': kernels.AVG_PADDED if cip else kernels.AVG_VALID}
        kernels.sum_forward(x3, out, *args, divisor[pool_type])
        kernels.sum_backward(g.reshape(out.shape), dx, *args, divisor[pool_type])
    assert_almost_equal(out.reshape(ref_out.shape), ref_out, rtol=1e-5, atol=1e-6)
    ref_dx = pool_backward_reference(np, g, geo, pool_type, cip, ref_arg)
    assert_almost_equal(dx.reshape(x.shape), ref_dx, rtol=1e-5, atol=1e-6)


def test_default_stride_is_one_and_sizes_follow_the_convention():
    x = nd.zeros((1, 1, 5, 5))
    assert nd.Pooling(x, kernel=(2, 2)).shape == (1, 1, 4, 4)
    assert nd.Pooling(x, kernel=(2, 2), stride=(2, 2)).shape == (1, 1, 2, 2)
    assert nd.Pooling(x, kernel=(2, 2), stride=(2, 2),
                      pooling_convention='full').shape == (1, 1, 3, 3)
    assert nd.Pooling(x, kernel=(3, 2), stride=(2, 3), pad=(1, 0)).shape == (1, 1, 3, 2)


def test_full_windows_that_hold_no_input():
    # 4 wide, kernel 2, stride 3, pad 1, 'full': windows start at -1, 2 and 5,
    # and the last one lies wholly past the padded input.
    x = np.arange(1, 17, dtype=np.float32).reshape(1, 1, 4, 4)
    kw = dict(kernel=(2, 2), stride=(3, 3), pad=(1, 1), pooling_convention='full')
    lowest = np.finfo(np.float32).min
    got = nd.Pooling(nd.array(-x), **kw).asnumpy()[0, 0]
    assert got.tolist() == [[-1, -3, lowest], [-9, -11, lowest], [lowest] * 3]
    avg = nd.Pooling(nd.array(x), pool_type='avg', **kw).asnumpy()[0, 0]
    assert_almost_equal(avg, [[1 / 4, 7 / 4, 0], [22 / 4, 54 / 4, 0], [0, 0, 0]])
    valid_only = nd.Pooling(nd.array(x), pool_type='avg', count_include_pad=False, **kw)
    assert_almost_equal(valid_only.asnumpy()[0, 0], [[1, 3.5, 0], [11, 13.5, 0], [0, 0, 0]])
    assert nd.Pooling(nd.array(x), pool_type='sum', **kw).asnumpy()[0, 0].tolist() == \
        [[1, 7, 0], [22, 54, 0], [0, 0, 0]]
    # Empty windows send no gradient anywhere.
    v = nd.array(-x)
    v.attach_grad()
    with autograd.record():
        y = nd.Pooling(v, **kw)
    y.backward()
    want = np.zeros((4, 4))
    want[[0, 0, 2, 2], [0, 2, 0, 2]] = 1
    assert v.grad.asnumpy()[0, 0].tolist() == want.tolist()
    check_numeric_gradient(lambda v: nd.Pooling(v, pool_type='avg', **kw), [x])


def test_avg_divisor_counts_the_padded_window_clipped_at_the_padding():
    # Window (0, 2) covers rows -1..1 and columns 3..5 of a 4x4 input padded
    # by 1: it is clipped to columns 3..4, so it averages over 3*2 positions.
    x = np.arange(1, 17, dtype=np.float32).reshape(1, 1, 4, 4)
    got = nd.Pooling(nd.array(x), kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                     pool_type='avg', pooling_convention='full').asnumpy()[0, 0]
    assert_almost_equal(got[0], [14 / 9, 30 / 9, (4 + 8) / 6])


def test_global_pooling_ignores_kernel_stride_pad():
    x = rand((2, 3, 4, 5), 1)
    for pool_type, fn in [('max', np.max), ('avg', np.mean), ('sum', np.sum)]:
        got = nd.Pooling(nd.array(x), kernel=(9, 9), stride=(3, 3), pad=(4, 4),
                         global_pool=True, pool_type=pool_type)
        assert got.shape == (2, 3, 1, 1)
        assert_almost_equal(got.asnumpy()[..., 0, 0], fn(x, axis=(2, 3)), rtol=1e-5,
                            atol=1e-6)
    one_d = nd.Pooling(nd.array(x[:, :, 0]), global_pool=True, pooling_convention='full')
    assert_almost_equal(one_d.asnumpy()[..., 0], x[:, :, 0].max(axis=2))


@pytest.mark.parametrize('p', [1, 2, 3])
def test_lp_pooling(p):
    x = rand((2, 2, 5), p)
    got = nd.Pooling(nd.array(x), kernel=(2,), stride=(2,), pad=(1,), pool_type='lp',
                     p_value=p, pooling_convention='full')
    want, _ = pooling_by_definition(x, (2,), (2,), (1,), 'lp', 'full', p_value=p)
    assert_almost_equal(got.asnumpy(), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('layout,ndim', [('NWC', 1), ('NHWC', 2), ('NDHWC', 3)])
def test_channels_last_layouts(layout, ndim):
    x = distinct((2,) + (4,) * ndim + (3,))
    kw = dict(kernel=(2,) * ndim, stride=(2,) * ndim, pool_type='max')
    got = nd.Pooling(nd.array(x), layout=layout, **kw)
    first = np.moveaxis(x, -1, 1)
    want = np.moveaxis(nd.Pooling(nd.array(first), **kw).asnumpy(), 1, -1)
    assert_almost_equal(got.asnumpy(), want)
    check_numeric_gradient(lambda v: nd.Pooling(v, layout=layout, **kw), [x])
    check_numeric_gradient(lambda v: nd.Pooling(v, layout=layout, pool_type='avg',
                                                kernel=(2,) * ndim), [x])


def test_float16_uses_the_reference_path():
    x = rand((1, 2, 6, 6), 3)
    for pool_type in ('max', 'avg'):
        half = nd.Pooling(nd.array(x, dtype='float16'), kernel=(3, 3), stride=(2, 2),
                          pool_type=pool_type)
        assert half.dtype == np.float16
        full = nd.Pooling(nd.array(x), kernel=(3, 3), stride=(2, 2), pool_type=pool_type)
        assert_almost_equal(half.asnumpy().astype(np.float32), full.asnumpy(), rtol=1e-2,
                            atol=1e-2)


def test_max_pooling_skips_nan():
    nan = np.nan
    x = np.array([[[[nan, 1, 2, nan], [0, 3, nan, nan]]]], dtype=np.float32)
    for dtype in ('float32', 'float16'):
        got = nd.Pooling(nd.array(x, dtype=dtype), kernel=(2, 2), stride=(2, 2))
        assert got.asnumpy().tolist() == [[[[3, 2]]]]
    only_nan = nd.Pooling(nd.array(np.full((1, 1, 2, 2), nan)), kernel=(2, 2))
    assert only_nan.asnumpy().tolist() == [[[[np.finfo(np.float32).min]]]]
    assert np.isnan(nd.Pooling(nd.array(x), kernel=(2, 2), pool_type='avg').asnumpy()).all()


def test_empty_batch():
    y = nd.Pooling(nd.zeros((0, 2, 4, 4)), kernel=(2, 2))
    assert y.shape == (0, 2, 3, 3)


# ------------------------------------------------------------- gradients --

GRAD_CASES = [
    dict(kernel=(2,), stride=(1,)),
    dict(kernel=(3, 2), stride=(2, 1), pad=(1, 1)),
    dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pooling_convention='full'),
    dict(kernel=(2, 2, 2), stride=(1, 2, 2), pad=(0, 1, 0)),
]


@pytest.mark.parametrize('attrs', GRAD_CASES)
@pytest.mark.parametrize('pool', [dict(pool_type='max'), dict(pool_type='sum'),
                                  dict(pool_type='avg'),
                                  dict(pool_type='avg', count_include_pad=False)])
def test_pooling_gradient(attrs, pool):
    spatial = (5, 4, 3)[:len(attrs['kernel'])]
    x = distinct((2, 2) + spatial, seed=len(spatial))
    check_numeric_gradient(lambda v: nd.Pooling(v, **attrs, **pool), [x])


@pytest.mark.parametrize('p', [1, 2, 3])
def test_lp_gradient(p):
    x = np.abs(distinct((1, 2, 5, 4), p)) + 0.5
    check_numeric_gradient(lambda v: nd.Pooling(v, kernel=(2, 2), stride=(2, 1),
                                                pad=(1, 0), pool_type='lp', p_value=p),
                           [x], rtol=1e-3, atol=1e-4)


def test_max_gradient_goes_to_the_first_max():
    x = nd.array([[[[1, 3, 3, 1], [0, 0, 0, 0]]]])
    x.attach_grad()
    with autograd.record():
        y = nd.Pooling(x, kernel=(1, 2))
    y.backward()
    assert x.grad.asnumpy()[0, 0].tolist() == [[0, 2, 1, 0], [1, 1, 1, 0]]


def _second_order(fn, x0, w0):
    """x.grad of sum(dx**2), dx = d sum(fn(x) * fn(x) * w) / dx, and its finite differences."""
    def first(v, create_graph):
        x = nd.array(v, dtype='float64')
        x.attach_grad()
        with autograd.record():
            y = fn(x)
            dx = autograd.grad(nd.sum(y * y * nd.array(w0, dtype='float64')), [x],
                               create_graph=create_graph)[0]
        return x, dx

    x, dx = first(x0, True)
    with autograd.record():
        total = nd.sum(dx * dx)
    total.backward()
    eps, numeric = 1e-6, np.zeros_like(x0)
    for i in np.ndindex(*x0.shape):
        hi, lo = x0.copy(), x0.copy()
        hi[i] += eps
        lo[i] -= eps
        numeric[i] = ((first(hi, False)[1].asnumpy() ** 2).sum()
                      - (first(lo, False)[1].asnumpy() ** 2).sum()) / (2 * eps)
    return x.grad.asnumpy(), numeric


@pytest.mark.parametrize('attrs', [
    dict(pool_type='max', kernel=(2, 2), stride=(1, 1)),
    dict(pool_type='avg', kernel=(3, 2), pad=(1, 1), pooling_convention='full'),
    dict(pool_type='sum', kernel=(2, 2), stride=(2, 1)),
    dict(pool_type='lp', p_value=2, kernel=(2, 2)),
    dict(pool_type='avg', kernel=(2, 2), layout='NHWC'),
])
def test_pooling_second_order(attrs):
    x0 = distinct((1, 2, 4, 3), 5).astype(np.float64) + 0.1
    out = nd.Pooling(nd.array(x0), **attrs)
    w0 = rand(out.shape, 6).astype(np.float64)
    analytic, numeric = _second_order(lambda v: nd.Pooling(v, **attrs), x0, w0)
    assert_almost_equal(analytic, numeric, rtol=1e-4, atol=1e-6)


def test_scatter_and_gather_are_adjoint():
    attrs = dict(kernel=(3, 3), stride=(2, 1), pad=(1, 1), pooling_convention='full')
    x = nd.array(distinct((2, 3, 5, 4)))
    y, argmax = get_op('Pooling').forward(np, x.asnumpy(), **attrs)
    g, h = rand(y.shape, 1), rand(x.shape, 2)
    arg = nd.array(argmax, dtype='int32')
    scattered = nd._backward_Pooling(nd.array(g), x, arg, **attrs).asnumpy()
    gathered = nd._pooling_gather(nd.array(h), arg, **attrs).asnumpy()
    assert_almost_equal((scattered * h).sum(), (g * gathered).sum(), rtol=1e-5)
    check_numeric_gradient(lambda v: nd._pooling_gather(v, arg, **attrs), [h])
    check_numeric_gradient(lambda v: nd._backward_Pooling(v, x, arg, **attrs), [g],
                           grad_nodes=[0])


# --------------------------------------------------------- shapes/errors --

def test_infer_shape_lists_the_hidden_argmax():
    op = get_op('Pooling')
    attrs = dict(op.defaults, kernel=(2, 2), stride=(2, 2))
    assert op.infer_shape([(8, 6, 24, 24)], **attrs) == [(8, 6, 12, 12), (8, 6, 12, 12)]
    assert op.infer_shape([(8, 6, 24, 24)], **dict(attrs, pool_type='avg')) == \
        [(8, 6, 12, 12)]
    assert op.infer_shape([(8, 24, 24, 6)], **dict(attrs, layout='NHWC')) == \
        [(8, 12, 12, 6), (8, 6, 12, 12)]
    assert op.infer_type([np.dtype('float32')], **attrs) == [np.float32, np.int32]


@pytest.mark.parametrize('shape,attrs,message', [
    ((1, 1, 4, 4), dict(kernel=(5, 5)), 'kernel size 5 exceeds the input size 4 padded to 4'),
    ((1, 1, 4, 4), dict(kernel=(2, 2), pad=(2, 2)), 'pad 2 is not smaller than kernel 2'),
    ((4, 4), dict(kernel=(2,)), 'expected a 3-D .*got a 2-D one'),
    ((1, 1, 2, 2, 2, 2), dict(kernel=(2, 2, 2, 2)), 'got a 6-D one'),
    ((1, 1, 4, 4), dict(kernel=(2, 2), pool_type='median'), 'pool_type must be one of'),
    ((1, 1, 4, 4), dict(kernel=(2,)), r'kernel=\(2,\) has 1 values but the input has 2'),
    ((1, 1, 4, 4), dict(kernel=(2, 2), stride=(2,)), 'stride=.* has 1 values'),
    ((1, 1, 4, 4), dict(), 'kernel is required'),
    ((1, 1, 4, 4), dict(kernel=(2, 2), stride=(0, 1)), 'expected kernel >= 1, stride >= 1'),
    ((1, 1, 4), dict(kernel=(2,), pooling_convention='same'), "'same' is not supported"),
    ((1, 1, 4, 4), dict(kernel=(2, 2), pool_type='lp'), 'needs p_value=1, 2 or 3'),
    ((1, 1, 4, 4), dict(kernel=(2, 2), pool_type='lp', p_value=4), 'needs p_value'),
    ((1, 1, 4, 4), dict(kernel=(2, 2), layout='NCW'), "layout 'NCW' does not fit a 4-D"),
    ((1, 1, 4, 4), dict(kernel='2x2'), 'kernel must be a tuple of integers'),
])
def test_pooling_errors(shape, attrs, message):
    with pytest.raises(MXNetError, match=message) as e:
        nd.Pooling(nd.zeros(shape), **attrs)
    assert str(e.value).startswith('Operator Pooling: ')
    op = get_op('Pooling')
    with pytest.raises(MXNetError, match=message):
        op.infer_shape([shape], **dict(op.defaults, **attrs))


def test_pooling_rejects_integers():
    with pytest.raises(MXNetError, match='expected a floating-point input, got int32'):
        nd.Pooling(nd.zeros((1, 1, 4, 4), dtype='int32'), kernel=(2, 2))


def test_backward_pooling_errors():
    x = nd.zeros((1, 1, 4, 4))
    with pytest.raises(MXNetError, match=r'out-gradient \(1, 1, 2, 2\) does not fit'):
        nd._backward_Pooling(nd.zeros((1, 1, 2, 2)), x, kernel=(2, 2), pool_type='avg')
    with pytest.raises(MXNetError, match='needs the argmax input'):
        nd._backward_Pooling(nd.zeros((1, 1, 3, 3)), x, kernel=(2, 2))
    with pytest.raises(MXNetError, match='pool_type must be one of'):
        nd._backward_Pooling(nd.zeros((1, 1, 3, 3)), x, kernel=(2, 2), pool_type='lp',
                             p_value=2)


# ------------------------------------------------------------ UpSampling --

def nearest_by_definition(x, s):
    return np.kron(x, np.ones((1, 1, s, s), dtype=x.dtype))


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 2), c=st.integers(1, 3), h=st.integers(1, 4), w=st.integers(1, 4),
       scale=st.integers(1, 3), seed=st.integers(0, 2 ** 16))
def test_upsampling_nearest(n, c, h, w, scale, seed):
    x = rand((n, c, h, w), seed)
    got = nd.UpSampling(nd.array(x), scale=scale, sample_type='nearest')
    assert got.shape == (n, c, h * scale, w * scale)
    assert_almost_equal(got.asnumpy(), nearest_by_definition(x, scale))


def test_upsampling_several_inputs():
    a, b = rand((2, 1, 2, 3), 1), rand((2, 2, 4, 6), 2)
    cat = nd.UpSampling(nd.array(a), nd.array(b), scale=4, sample_type='nearest',
                        num_args=2)
    want = np.concatenate([nearest_by_definition(a, 4), nearest_by_definition(b, 2)], axis=1)
    assert_almost_equal(cat.asnumpy(), want)
    c = rand((2, 1, 8, 12), 3)
    total = nd.UpSampling(nd.array(a), nd.array(c), scale=4, sample_type='nearest',
                          multi_input_mode='sum', num_args=2)
    assert_almost_equal(total.asnumpy(), nearest_by_definition(a, 4) + c)
    assert get_op('UpSampling').infer_shape([(2, 1, 2, 3), (2, 2, 4, 6)], scale=4,
                                            sample_type='nearest') == [(2, 3, 8, 12)]


def test_upsampling_gradient():
    a, b = rand((1, 2, 2, 3), 1), rand((1, 1, 4, 6), 2)
    check_numeric_gradient(lambda x: nd.UpSampling(x, scale=3, sample_type='nearest'), [a])
    check_numeric_gradient(lambda x, y: nd.UpSampling(x, y, scale=2, sample_type='nearest',
                                                      num_args=2), [a, b])
    check_numeric_gradient(lambda x, y: nd.UpSampling(x, y, scale=2, sample_type='nearest',
                                                      multi_input_mode='sum', num_args=2),
                           [rand((1, 1, 2, 3), 3), b])
    # Each input pixel gets the sum of its scale x scale block.
    x = nd.array(a)
    x.attach_grad()
    with autograd.record():
        y = nd.UpSampling(x, scale=2, sample_type='nearest')
    g = rand(y.shape, 4)
    y.backward(nd.array(g))
    assert_almost_equal(x.grad.asnumpy(), g.reshape(1, 2, 2, 2, 3, 2).sum(axis=(3, 5)),
                        rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('shapes,attrs,message', [
    ([(1, 1, 2, 2)], dict(sample_type='nearest'), 'scale must be an integer >= 1, got None'),
    ([(1, 1, 2, 2)], dict(scale=0, sample_type='nearest'), 'scale must be an integer'),
    ([(1, 1, 2, 2)], dict(scale=2), 'sample_type is required'),
    ([(1, 1, 2, 2)], dict(scale=2, sample_type='cubic'), 'sample_type must be one of'),
    ([(1, 1, 2, 2)], dict(scale=2, sample_type='bilinear'), "'bilinear' is not supported"),
    ([(1, 1, 2, 2)], dict(scale=2, sample_type='nearest', multi_input_mode='max'),
     'multi_input_mode must be one of'),
    ([(1, 2, 2)], dict(scale=2, sample_type='nearest'), 'expected 4-D'),
    ([(1, 1, 2, 2), (1, 1, 3, 3)], dict(scale=2, sample_type='nearest'),
     r'input 1 of spatial size \(3, 3\) cannot be scaled'),
    ([(1, 1, 2, 4), (1, 1, 4, 4)], dict(scale=2, sample_type='nearest'), 'cannot be scaled'),
    ([(1, 1, 2, 2), (2, 1, 4, 4)], dict(scale=2, sample_type='nearest'), 'batch size 1'),
    ([(1, 1, 2, 2), (1, 2, 4, 4)], dict(scale=2, sample_type='nearest',
                                        multi_input_mode='sum'), 'same number of channels'),
])
def test_upsampling_errors(shapes, attrs, message):
    with pytest.raises(MXNetError, match=message):
        nd.UpSampling(*[nd.zeros(s) for s in shapes], **attrs)
    with pytest.raises(MXNetError, match=message):
        get_op('UpSampling').infer_shape(shapes, **attrs)
