"""Convolution, Deconvolution, _conv_weight_grad and the im2col/col2im kernels."""
import doctest

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mxlearn as mx
from mxlearn import autograd, nd
from mxlearn._ext import conv as kernels
from mxlearn.base import MXNetError
from mxlearn.operator.conv import _col2im_reference, _im2col_reference
from mxlearn.test_utils import assert_almost_equal, check_numeric_gradient

# Every test runs on each device of the ctx fixture (tests/conftest.py).
pytestmark = pytest.mark.usefixtures('ctx')

SETTINGS = settings(max_examples=30, deadline=None)


def rand(shape, seed=0, dtype=np.float32):
    return np.random.RandomState(seed).uniform(-1, 1, shape).astype(dtype)


# ------------------------------------------------------ numpy references --
# Straight from the definitions, one kernel tap at a time (2-D; 1-D data is
# given a height of 1).

def planar(x, ndim):
    return x if ndim == 2 else x[:, :, None, :]


def pairs(ndim, kernel=(), stride=(), pad=(), dilate=(), adj=()):
    """The given attributes as (height, width) pairs, in the order given."""
    given = [(kernel, 1), (stride, 1), (pad, 0), (dilate, 1), (adj, 0)]
    return [tuple(a) if ndim == 2 else (fill,) + tuple(a) for a, fill in given if a]


def conv_reference(x, w, b, stride, pad, dilate, groups):
    """out[n, f, y, x] = b[f] + sum_{c,i,j} xpad[n, c, y*s + i*d, x*s + j*d] w[f, c, i, j]."""
    ndim = x.ndim - 2
    x, w = planar(x.astype(np.float64), ndim), planar(w.astype(np.float64), ndim)
    (sh, sw), (ph, pw), (dh, dw) = pairs(ndim, stride=stride, pad=pad, dilate=dilate)
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out = np.zeros((n, f, oh, ow))
    fg = f // groups
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, g * cg:(g + 1) * cg, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                           j * dw:j * dw + sw * (ow - 1) + 1:sw]
                out[:, g * fg:(g + 1) * fg] += np.einsum('ncyx,fc->nfyx', patch,
                                                         w[g * fg:(g + 1) * fg, :, i, j])
    if b is not None:
        out += b.reshape(-1, 1, 1)
    return out if ndim == 2 else out[:, :, 0]


def deconv_reference(x, w, b, stride, pad, dilate, adj, groups):
    """Scatter: x[n, c, y, x] * w[c, o, i, j] lands on (y*s + i*d - p, x*s + j*d - p)."""
    ndim = x.ndim - 2
    x, w = planar(x.astype(np.float64), ndim), planar(w.astype(np.float64), ndim)
    (sh, sw), (ph, pw), (dh, dw), (ah, aw) = pairs(ndim, stride=stride, pad=pad, dilate=dilate,
                                                   adj=adj)
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    cg = c // groups
    full = np.zeros((n, og * groups, sh * (h - 1) + dh * (kh - 1) + 1 + ah,
                     sw * (wd - 1) + dw * (kw - 1) + 1 + aw))
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                full[:, g * og:(g + 1) * og, i * dh:i * dh + sh * (h - 1) + 1:sh,
                     j * dw:j * dw + sw * (wd - 1) + 1:sw] += np.einsum(
                    'ncyx,co->noyx', x[:, g * cg:(g + 1) * cg], w[g * cg:(g + 1) * cg, :, i, j])
    out = full[:, :, ph:full.shape[2] - ph, pw:full.shape[3] - pw]
    if b is not None:
        out = out + b.reshape(-1, 1, 1)
    return out if ndim == 2 else out[:, :, 0]


def weight_grad_reference(x, dy, kernel, stride, pad, dilate, groups):
    """dw[f, c, i, j] = sum_{n,y,x} dy[n, f, y, x] xpad[n, c, y*s + i*d, x*s + j*d] (per group)."""
    ndim = x.ndim - 2
    x, dy = planar(x.astype(np.float64), ndim), planar(dy.astype(np.float64), ndim)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = pairs(ndim, kernel, stride, pad, dilate)
    oh, ow = dy.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    f, cg = dy.shape[1], x.shape[1] // groups
    fg = f // groups
    out = np.zeros((f, cg, kh, kw))
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, g * cg:(g + 1) * cg, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                           j * dw:j * dw + sw * (ow - 1) + 1:sw]
                out[g * fg:(g + 1) * fg, :, i, j] = np.einsum(
                    'nfyx,ncyx->fc', dy[:, g * fg:(g + 1) * fg], patch)
    return out if ndim == 2 else out[:, :, 0]


# -------------------------------------------------------------- strategies --

@st.composite
def conv_cases(draw, max_side=7):
    """Attributes and shapes of a valid convolution (1-D or 2-D)."""
    ndim = draw(st.sampled_from([1, 2]))
    groups = draw(st.sampled_from([1, 2]))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    pad = tuple(draw(st.integers(0, 2)) for _ in range(ndim))
    dilate = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
    size = tuple(draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), max_side))
                 for k, p, d in zip(kernel, pad, dilate))
    batch = draw(st.integers(1, 3))
    channels = groups * draw(st.integers(1, 2))
    filters = groups * draw(st.integers(1, 3))
    return dict(ndim=ndim, groups=groups, kernel=kernel, stride=stride, pad=pad, dilate=dilate,
                data=(batch, channels) + size, filters=filters,
                no_bias=draw(st.booleans()), seed=draw(st.integers(0, 2 ** 16)))


def conv_attrs(case):
    return dict(kernel=case['kernel'], stride=case['stride'], pad=case['pad'],
                dilate=case['dilate'], num_group=case['groups'], num_filter=case['filters'],
                no_bias=case['no_bias'])


# ----------------------------------------------------------------- forward --

@SETTINGS
@given(case=conv_cases(), dtype=st.sampled_from([np.float32, np.float64]))
def test_convolution_matches_reference(case, dtype):
    g = case['groups']
    x = rand(case['data'], case['seed'], dtype)
    w = rand((case['filters'], case['data'][1] // g) + case['kernel'], case['seed'] + 1, dtype)
    b = None if case['no_bias'] else rand((case['filters'],), case['seed'] + 2, dtype)
    args = [nd.array(x, dtype=dtype), nd.array(w, dtype=dtype)]
    if b is not None:
        args.append(nd.array(b, dtype=dtype))
    got = nd.Convolution(*args, **conv_attrs(case))
    want = conv_reference(x, w, b, case['stride'], case['pad'], case['dilate'], g)
    assert got.shape == want.shape and got.dtype == dtype
    assert_almost_equal(got.asnumpy(), want, rtol=1e-4, atol=1e-5)


@SETTINGS
@given(case=conv_cases(max_side=5), data=st.data())
def test_deconvolution_matches_reference(case, data):
    g, n = case['groups'], case['ndim']
    adj = tuple(data.draw(st.integers(0, s - 1)) for s in case['stride'])
    # Deconvolution's pad may not exceed what the output can give up.
    pad = tuple(min(p, (s * (x - 1) + d * (k - 1)) // 2) for p, s, x, d, k in zip(
        case['pad'], case['stride'], case['data'][2:], case['dilate'], case['kernel']))
    x = rand(case['data'], case['seed'])
    w = rand((case['data'][1], case['filters'] // g) + case['kernel'], case['seed'] + 1)
    b = None if case['no_bias'] else rand((case['filters'],), case['seed'] + 2)
    args = [nd.array(x), nd.array(w)] + ([] if b is None else [nd.array(b)])
    attrs = dict(conv_attrs(case), adj=adj, pad=pad)
    got = nd.Deconvolution(*args, **attrs)
    want = deconv_reference(x, w, b, case['stride'], pad, case['dilate'], adj, g)
    assert got.shape == want.shape
    assert_almost_equal(got.asnumpy(), want, rtol=1e-4, atol=1e-5)
    assert len(want.shape) == n + 2


def test_integer_kernel_means_1d_and_the_default_attributes():
    x, w = rand((2, 3, 9)), rand((4, 3, 3))
    got = nd.Convolution(nd.array(x), nd.array(w), kernel=3, num_filter=4, no_bias=True)
    assert_almost_equal(got.asnumpy(), conv_reference(x, w, None, (1,), (0,), (1,), 1),
                        rtol=1e-5, atol=1e-6)
    # Deconvolution has no bias by default; Convolution has one.
    assert nd.Deconvolution(nd.array(x), nd.array(rand((3, 2, 3))), kernel=(3,),
                            num_filter=2).shape == (2, 2, 11)
    with pytest.raises(MXNetError, match='no bias is given but no_bias=False'):
        nd.Convolution(nd.array(x), nd.array(w), kernel=(3,), num_filter=4)


def test_docstring_example_and_layouts():
    x = nd.arange(16).reshape((1, 1, 4, 4))
    y = nd.Convolution(x, nd.ones((1, 1, 2, 2)), nd.array([0.5]), kernel=(2, 2), stride=(2, 2),
                       num_filter=1, layout='NCHW', cudnn_tune='fastest', cudnn_off=True)
    assert y.asnumpy().tolist() == [[[[10.5, 18.5], [42.5, 50.5]]]]


def test_other_dtypes_use_the_reference_path():
    x, w, b = rand((2, 2, 5, 5)), rand((3, 2, 3, 3), 1), rand((3,), 2)
    want = conv_reference(x, w, b, (2, 1), (1, 0), (1, 1), 1)
    half = nd.Convolution(nd.array(x, dtype='float16'), nd.array(w, dtype='float16'),
                          nd.array(b, dtype='float16'), kernel=(3, 3), stride=(2, 1),
                          pad=(1, 0), num_filter=3)
    assert half.dtype == np.float16
    assert_almost_equal(half.asnumpy().astype(np.float64), want, rtol=2e-2, atol=2e-2)
    xi, wi = (x * 4).astype(np.int32), (w * 4).astype(np.int32)
    ints = nd.Convolution(nd.array(xi, dtype='int32'), nd.array(wi, dtype='int32'),
                          kernel=(3, 3), num_filter=3, no_bias=True)
    assert ints.dtype == np.int32
    assert ints.asnumpy().tolist() == conv_reference(xi, wi, None, (1, 1), (0, 0), (1, 1),
                                                     1).astype(np.int64).tolist()
    wd = (rand((2, 3, 3, 3), 3) * 4).astype(np.int32)
    di = nd.Deconvolution(nd.array(xi, dtype='int32'), nd.array(wd, dtype='int32'),
                          kernel=(3, 3), num_filter=3)
    assert di.asnumpy().tolist() == deconv_reference(xi, wd, None, (1, 1), (0, 0), (1, 1),
                                                     (0, 0), 1).astype(int).tolist()


def test_workspace_slices_the_batch():
    # workspace=0 processes one sample at a time; the result must not change.
    x, w, dy = rand((5, 4, 6, 6)), rand((6, 2, 3, 3), 1), rand((5, 6, 3, 3), 2)
    attrs = dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), num_group=2)
    for ws in (1024, 0):
        y = nd.Convolution(nd.array(x), nd.array(w), num_filter=6, no_bias=True,
                           workspace=ws, **attrs)
        assert_almost_equal(y.asnumpy(), conv_reference(x, w, None, (2, 2), (1, 1), (1, 1), 2),
                            rtol=1e-5, atol=1e-5)
        d = nd.Deconvolution(nd.array(dy), nd.array(w), num_filter=4, adj=(1, 1),
                             workspace=ws, **attrs)
        assert_almost_equal(d.asnumpy(), deconv_reference(dy, w, None, (2, 2), (1, 1), (1, 1),
                                                          (1, 1), 2), rtol=1e-5, atol=1e-5)
        gw = nd._conv_weight_grad(nd.array(x), nd.array(dy), workspace=ws, **attrs)
        assert_almost_equal(gw.asnumpy(), weight_grad_reference(x, dy, (3, 3), (2, 2), (1, 1),
                                                                (1, 1), 2), rtol=1e-5, atol=1e-5)


def test_empty_batch():
    y = nd.Convolution(nd.zeros((0, 2, 5, 5)), nd.ones((3, 2, 3, 3)), kernel=(3, 3),
                       num_filter=3, no_bias=True)
    assert y.shape == (0, 3, 3, 3)
    gw = nd._conv_weight_grad(nd.zeros((0, 2, 5, 5)), nd.zeros((0, 3, 3, 3)), kernel=(3, 3))
    assert gw.asnumpy().tolist() == np.zeros((3, 2, 3, 3)).tolist()
    d = nd.Deconvolution(nd.zeros((0, 3, 3, 3)), nd.ones((3, 2, 3, 3)), kernel=(3, 3),
                         num_filter=2)
    assert d.shape == (0, 2, 5, 5)


# ------------------------------------------------------ target_shape, adj --

@pytest.mark.parametrize('stride, pad, adj, target, shape', [
    ((2, 2), (), (), (), (11, 11)),
    ((2, 2), (), (1, 1), (), (12, 12)),
    ((2, 2), (1, 1), (), (), (9, 9)),
    ((2, 2), (), (), (10, 10), (10, 10)),
    ((2, 2), (), (), (10, 11), (10, 11)),
    ((2, 2), (), (), (6, 9), (6, 9)),
    ((2, 2), (1, 1), (1, 1), (8, 8), (8, 8)),      # target_shape overrides pad and adj
    ((1, 1), (), (), (5, 3), (5, 3)),
    ((2, 2), (), (), (0, 0), (11, 11)),            # all zeros: not given
])
def test_deconvolution_output_shape(stride, pad, adj, target, shape):
    x, w = rand((2, 4, 5, 5)), rand((4, 3, 3, 3), 1)
    y = nd.Deconvolution(nd.array(x), nd.array(w), kernel=(3, 3), num_filter=3, stride=stride,
                         pad=pad, adj=adj, target_shape=target)
    assert y.shape == (2, 3) + shape
    # Whatever padding target_shape picks, the result is a crop of the full output.
    full = deconv_reference(x, w, None, stride, (0, 0), (1, 1), (stride[0] - 1,) * 2, 1)
    got = y.asnumpy()
    offsets = [(full.shape[2 + a] - (stride[a] - 1) - shape[a] + 1) // 2 for a in range(2)]
    want = full[:, :, offsets[0]:offsets[0] + shape[0], offsets[1]:offsets[1] + shape[1]]
    assert_almost_equal(got, want, rtol=1e-5, atol=1e-5)


def test_target_shape_1d():
    y = nd.Deconvolution(nd.ones((2, 4, 7)), nd.ones((4, 2, 3)), kernel=(3,), stride=(3,),
                         pad=(2,), num_filter=2, target_shape=(20,))
    assert y.shape == (2, 2, 20)


@pytest.mark.parametrize('kwargs, message', [
    (dict(stride=(2, 2), target_shape=(12, 12)),
     r'target_shape=\(12, 12\) is too big: the largest output along the height axis is 11'),
    (dict(target_shape=(6, 6)), 'cannot be reached along the height axis with stride 1'),
    (dict(stride=(2, 2), adj=(2, 2)), r'adj=\(2, 2\) must be smaller than stride=\(2, 2\)'),
    (dict(target_shape=(3,)), r'target_shape=\(3,\) has 1 entries but the kernel has 2'),
    (dict(target_shape=(0, 5)), 'target_shape must be >= 1 on every axis'),
    (dict(pad=(4, 4)), r'pad=\(4, 4\) is too large: the output along the height axis would '
                       'have size -1'),
    (dict(num_filter=3, bias=True),
     r'a bias is given but no_bias=True \(the default of Deconvolution\)'),
])
def test_deconvolution_errors(kwargs, message):
    kwargs = dict(kwargs)
    bias = [nd.zeros(3)] if kwargs.pop('bias', False) else []
    kwargs.setdefault('num_filter', 3)
    with pytest.raises(MXNetError, match=message):
        nd.Deconvolution(nd.ones((2, 4, 5, 5)), nd.ones((4, 3, 3, 3)), *bias, kernel=(3, 3),
                         **kwargs)


# ------------------------------------------------------------------ errors --

@pytest.mark.parametrize('data, weight, kwargs, message', [
    ((2, 4, 7, 7), (6, 4, 9, 9), dict(kernel=(9, 9)),
     r'the kernel covers 9 along the height axis \(kernel 9, dilate 1\), more than the '
     r'padded input, 7 \(size 7 \+ 2 \* pad 0\)'),
    ((2, 4, 7, 7), (6, 4, 3, 3), dict(kernel=(3, 3), dilate=(1, 4)),
     'the kernel covers 9 along the width axis'),
    ((2, 4, 7, 7), (6, 2, 3, 3), dict(kernel=(3, 3), num_group=3),
     'the 4 input channels cannot be split into num_group=3 equal groups'),
    ((2, 4, 7, 7), (5, 2, 3, 3), dict(kernel=(3, 3), num_filter=5, num_group=2),
     'num_filter=5 cannot be split into num_group=2 equal groups'),
    ((2, 4, 7, 7), (6, 4, 3, 2), dict(kernel=(3, 3)),
     r'weight has shape \(6, 4, 3, 2\); expected \(6, 4, 3, 3\) = \(num_filter, channels / '
     r'num_group\) \+ kernel'),
    ((2, 4, 7, 7), (6, 4, 3, 3), dict(kernel=(3, 3), num_filter=5),
     r'weight has shape \(6, 4, 3, 3\); expected \(5, 4, 3, 3\)'),
    ((2, 4, 7), (6, 4, 3, 3), dict(kernel=(3, 3)),
     r'data has shape \(2, 4, 7\), but a 2-D kernel \(3, 3\) needs 4-D data \(NCHW\)'),
    ((2, 4, 7, 7), (6, 4, 3), dict(kernel=3), r'a 1-D kernel \(3,\) needs 3-D data \(NCW\)'),
    ((2, 4, 7, 7), (6, 4, 3, 3), dict(kernel=(3, 3), stride=(2,)),
     r'stride=\(2,\) has 1 entries but the kernel has 2 spatial axes'),
    ((2, 4, 7, 7), (6, 4, 3, 3), dict(kernel=(3, 3), stride=(0, 1)),
     r'stride must be >= 1 on every axis, got \(0, 1\)'),
    ((2, 4, 7, 7), (6, 4, 3, 3), dict(kernel=(3, 3), pad=(-1, 0)), 'pad must be >= 0'),
    ((2, 4, 7, 7), (6, 4, 3, 3), dict(kernel=()), 'kernel is required'),
    ((2, 4, 7, 7, 7), (6, 4, 3, 3, 3), dict(kernel=(3, 3, 3)),
     'mxlearn supports 1-D .* and 2-D .* kernels'),
    ((2, 4, 7, 7), (6, 4, 3, 3), dict(kernel=(3, 3), num_filter=0),
     'num_filter must be a positive integer, got 0'),
    ((2, 4, 7, 7), (6, 4, 3, 3), dict(kernel=(3, 3), layout='NHWC'),
     "layout='NHWC' is not supported for a 2-D kernel"),
    ((2, 4, 7, 7), (6, 4, 3, 3), dict(kernel=(3, 3), cudnn_tune='fast'),
     'cudnn_tune must be one of'),
    ((2, 4, 7, 7), (6, 4, 3, 3), dict(kernel='3'), 'kernel must be an integer or a tuple'),
])
def test_convolution_errors(data, weight, kwargs, message):
    kwargs.setdefault('num_filter', 6)
    with pytest.raises(MXNetError, match=message) as e:
        nd.Convolution(nd.ones(data), nd.ones(weight), kwargs.pop('bias', None), no_bias=True,
                       **kwargs)
    assert str(e.value).startswith('Operator Convolution: ')


def test_bias_errors_and_infer_shape():
    x, w = nd.ones((2, 4, 7, 7)), nd.ones((6, 4, 3, 3))
    with pytest.raises(MXNetError, match=r'bias has shape \(5,\); expected \(num_filter,\) = '
                                         r'\(6,\)'):
        nd.Convolution(x, w, nd.ones(5), kernel=(3, 3), num_filter=6)
    with pytest.raises(MXNetError, match='a bias is given but no_bias=True; pass no bias'):
        nd.Convolution(x, w, nd.ones(6), kernel=(3, 3), num_filter=6, no_bias=True)
    infer = mx.operator.get_op('Convolution').infer_shape
    # The second (hidden) output is the im2col matrix kept for the weight gradient.
    assert infer([(2, 4, 7, 7), (6, 4, 3, 3), (6,)], kernel=(3, 3), num_filter=6,
                 stride=(2, 2), pad=(1, 1)) == [(2, 6, 4, 4), (36, 32)]
    assert infer([(2, 4, 7, 7), (6, 4, 3, 3)], kernel=(3, 3), num_filter=6, no_bias=True,
                 workspace=0) == [(2, 6, 5, 5)]
    infer = mx.operator.get_op('Deconvolution').infer_shape
    assert infer([(2, 4, 5), (4, 3, 3)], kernel=(3,), num_filter=3, stride=(2,)) == [(2, 3, 11)]
    infer = mx.operator.get_op('_conv_weight_grad').infer_shape
    assert infer([(2, 4, 5), (2, 6, 3)], kernel=(3,), num_group=2) == [(6, 2, 3)]
    with pytest.raises(MXNetError, match=r'ograd has shape \(2, 6, 4\); expected \(2, 6, 3\)'):
        infer([(2, 4, 5), (2, 6, 4)], kernel=(3,))
    with pytest.raises(MXNetError, match=r'col has shape \(6, 6\); expected \(6, 12\)'):
        infer([(2, 2, 8), (2, 1, 6), (6, 6)], kernel=(3,))
    assert infer([(2, 2, 8), (2, 1, 6), (6, 12)], kernel=(3,)) == [(1, 2, 3)]


# --------------------------------------------------------------- gradients --

GRAD_CASES = [
    dict(kernel=(3, 3), num_filter=3),
    dict(kernel=(2, 3), num_filter=4, stride=(2, 1), pad=(1, 0), no_bias=False),
    dict(kernel=(3, 2), num_filter=4, num_group=2, dilate=(2, 1), pad=(1, 1)),
    dict(kernel=(3,), num_filter=2, stride=(2,), pad=(1,), dilate=(2,), no_bias=False),
    dict(kernel=(2,), num_filter=4, num_group=2, stride=(3,)),
]


def _inputs(op, attrs, seed):
    ndim, groups = len(attrs['kernel']), attrs.get('num_group', 1)
    size = (6, 5) if ndim == 2 else (9,)
    nf = attrs['num_filter']
    if op == 'Convolution':
        data, weight = (2, 2) + size, (nf, 2 // groups) + attrs['kernel']
    else:
        data, weight = (2, 2) + size[:ndim], (2, nf // groups) + attrs['kernel']
    arrays = [rand(data, seed), rand(weight, seed + 1)]
    if attrs.get('no_bias') is False:
        arrays.append(rand((nf,), seed + 2))
    return arrays


@pytest.mark.parametrize('attrs', GRAD_CASES)
def test_convolution_gradient(attrs):
    attrs = dict(attrs)
    attrs.setdefault('no_bias', True)
    check_numeric_gradient(lambda *a: nd.Convolution(*a, **attrs),
                           _inputs('Convolution', attrs, 3), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize('attrs', GRAD_CASES + [
    dict(kernel=(3, 3), num_filter=2, stride=(2, 2), adj=(1, 0), pad=(1, 1)),
    dict(kernel=(3, 3), num_filter=2, stride=(2, 2), target_shape=(10, 8), no_bias=False),
    dict(kernel=(3,), num_filter=2, stride=(3,), target_shape=(24,)),
])
def test_deconvolution_gradient(attrs):
    attrs = dict(attrs)
    attrs.setdefault('no_bias', True)
    check_numeric_gradient(lambda *a: nd.Deconvolution(*a, **attrs),
                           _inputs('Deconvolution', attrs, 5), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize('attrs, data, ograd', [
    (dict(kernel=(3, 3), stride=(2, 1), pad=(1, 0)), (2, 2, 5, 5), (2, 3, 3, 3)),
    (dict(kernel=(2,), num_group=2, dilate=(2,)), (2, 4, 6), (2, 2, 4)),
])
def test_conv_weight_grad_gradient(attrs, data, ograd):
    # The gradient rule of the weight gradient is what second-order use needs.
    check_numeric_gradient(lambda x, g: nd._conv_weight_grad(x, g, **attrs),
                           [rand(data, 7), rand(ograd, 8)], rtol=1e-3, atol=1e-3)


def test_second_order_through_convolution():
    # dx = Deconvolution(dy, w) is linear in w, so d/dw sum(dx * h) = dw-of-conv(h, dy).
    x, w, h = rand((2, 2, 6, 6)), rand((3, 2, 3, 3), 1), rand((2, 2, 6, 6), 2)
    xs, ws = nd.array(x), nd.array(w)
    xs.attach_grad()
    ws.attach_grad()
    attrs = dict(kernel=(3, 3), num_filter=3, stride=(2, 2), pad=(1, 1), no_bias=True)
    with autograd.record():
        y = nd.Convolution(xs, ws, **attrs)
        dx = autograd.grad(y, [xs], create_graph=True)[0]
        loss = (dx * nd.array(h)).sum()
    loss.backward()
    want = weight_grad_reference(h, np.ones((2, 3, 3, 3)), (3, 3), (2, 2), (1, 1), (1, 1), 1)
    assert_almost_equal(ws.grad.asnumpy(), want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('workspace', [1024, 0])
def test_second_order_through_the_weight_gradient(workspace):
    # With the default workspace the forward keeps its im2col matrix and the weight
    # gradient reads it; with workspace=0 the matrix is rebuilt. Either way
    # d/dx sum(dw * h) = Deconvolution(dy, h), here with dy = 1.
    x, w, h = rand((2, 2, 6, 5)), rand((4, 1, 3, 2), 1), rand((4, 1, 3, 2), 2)
    xs, ws = nd.array(x), nd.array(w)
    xs.attach_grad()
    ws.attach_grad()
    attrs = dict(kernel=(3, 2), num_filter=4, num_group=2, stride=(2, 1), pad=(1, 0),
                 no_bias=True, workspace=workspace)
    with autograd.record():
        y = nd.Convolution(xs, ws, **attrs)
        dw = autograd.grad(y, [ws], create_graph=True)[0]
        loss = (dw * nd.array(h)).sum()
    loss.backward()
    assert_almost_equal(dw.asnumpy(), weight_grad_reference(
        x, np.ones(y.shape), (3, 2), (2, 1), (1, 0), (1, 1), 2), rtol=1e-5, atol=1e-5)
    want = deconv_reference(np.ones(y.shape), h, None, (2, 1), (1, 0), (1, 1), (1, 0), 2)
    assert_almost_equal(xs.grad.asnumpy(), want, rtol=1e-5, atol=1e-5)


def test_kept_col_survives_later_layers():
    # Each layer's kept im2col matrix must not share memory with any later temporary.
    x, w1, w2 = rand((4, 2, 9, 9)), rand((3, 2, 3, 3), 1), rand((2, 3, 3, 3), 2)

    def grads(workspace):
        ws = [nd.array(w1), nd.array(w2)]
        for w in ws:
            w.attach_grad()
        with autograd.record():
            h = nd.Convolution(nd.array(x), ws[0], kernel=(3, 3), num_filter=3, no_bias=True,
                               workspace=workspace)
            y = nd.Convolution(h, ws[1], kernel=(3, 3), num_filter=2, no_bias=True,
                               pad=(1, 1), workspace=workspace)
            z = nd.Deconvolution(y, ws[1], kernel=(3, 3), num_filter=3, workspace=workspace)
        z.backward()
        return [w.grad.asnumpy() for w in ws]

    for kept, rebuilt in zip(grads(1024), grads(0)):
        assert_almost_equal(kept, rebuilt, rtol=1e-5, atol=1e-5)


def test_constant_data_gets_no_gradient_work():
    x, w, b = nd.array(rand((2, 1, 6, 6))), nd.array(rand((3, 1, 3, 3), 1)), nd.zeros(3)
    w.attach_grad()
    b.attach_grad()
    with autograd.record():
        y = nd.Convolution(x, w, b, kernel=(3, 3), num_filter=3)
    y.backward()
    assert b.grad.asnumpy().tolist() == [32.0] * 3
    rule = mx.operator.get_op('Convolution').gradient
    grads = rule(nd, (x, w, b), (y,), (nd.ones_like(y),), kernel=(3, 3), num_filter=3)
    assert grads[0] is None and grads[1].shape == (3, 1, 3, 3)


# ----------------------------------------------------------------- kernels --

@SETTINGS
@given(case=conv_cases(), dtype=st.sampled_from([np.float32, np.float64]))
def test_kernels_match_references(case, dtype):
    x = rand(case['data'], case['seed'], dtype)
    x4 = planar(x, case['ndim'])
    kernel, stride, pad, dilate = pairs(case['ndim'], case['kernel'], case['stride'],
                                        case['pad'], case['dilate'])
    want = _im2col_reference(np, x4, kernel, stride, pad, dilate)
    col = np.full(want.shape, np.nan, dtype=dtype)
    kernels.im2col(x4, col, *kernel, *stride, *pad, *dilate)
    assert col.tolist() == want.tolist()
    c = rand(want.shape, case['seed'] + 1, dtype)
    back = np.full(x4.shape, np.nan, dtype=dtype)
    kernels.col2im(c, back, *kernel, *stride, *pad, *dilate)
    assert_almost_equal(back, _col2im_reference(np, c, x4.shape, kernel, stride, pad, dilate),
                        rtol=1e-6, atol=1e-6)
    # col2im is the adjoint of im2col: <im2col(x), c> == <x, col2im(c)>.
    assert np.isclose(np.vdot(want.astype(np.float64), c), np.vdot(x4.astype(np.float64), back))


@pytest.mark.parametrize('shape', [(1, 1, 1, 1), (2, 2, 1, 3), (1, 2, 3, 1)])
def test_kernels_with_taps_entirely_in_the_padding(shape):
    # Kernel 3, dilation 2, padding 2: the outer taps of a size-1 axis read only padding.
    x = rand(shape, 6)
    args = ((3, 3), (1, 1), (2, 2), (2, 2))
    want = _im2col_reference(np, x, *args)
    col = np.full(want.shape, np.nan, dtype=np.float32)
    kernels.im2col(x, col, *(v for a in args for v in a))
    assert col.tolist() == want.tolist()
    back = np.full(x.shape, np.nan, dtype=np.float32)
    kernels.col2im(want, back, *(v for a in args for v in a))
    assert_almost_equal(back, _col2im_reference(np, want, x.shape, *args), rtol=1e-6, atol=1e-6)


def test_kernels_large_enough_to_run_in_parallel():
    # Over 2**22 entries of col, the planes are shared out among OpenMP threads.
    x = rand((16, 8, 64, 64), 4)
    args = ((3, 3), (1, 1), (1, 1), (1, 1))
    want = _im2col_reference(np, x, *args)
    assert want.size > 2 ** 22
    col = np.empty_like(want)
    kernels.im2col(x, col, *(v for a in args for v in a))
    assert np.array_equal(col, want)
    back = np.empty_like(x)
    kernels.col2im(want, back, *(v for a in args for v in a))
    assert_almost_equal(back, _col2im_reference(np, want, x.shape, *args), rtol=1e-5, atol=1e-5)


def test_kernel_argument_checks():
    x = np.zeros((1, 1, 4, 4), dtype=np.float32)
    with pytest.raises(ValueError, match=r'col has shape \(9, 4\); expected \(9, 4\)|'
                                         r'expected \(9, 4\)'):
        kernels.im2col(x, np.zeros((9, 5), dtype=np.float32), 3, 3, 1, 1, 0, 0, 1, 1)
    with pytest.raises(ValueError, match='must be positive'):
        kernels.im2col(x, np.zeros((9, 4), dtype=np.float32), 3, 3, 0, 1, 0, 0, 1, 1)
    with pytest.raises(ValueError, match='larger than the padded input'):
        kernels.col2im(np.zeros((25, 0), dtype=np.float32), x, 5, 5, 1, 1, 0, 0, 2, 2)
    with pytest.raises((TypeError, ValueError)):
        kernels.im2col(x, np.zeros((9, 4)), 3, 3, 1, 1, 0, 0, 1, 1)   # mixed dtypes


def test_kernel_docstrings():
    result = doctest.testmod(kernels)
    assert result.attempted > 0 and result.failed == 0
