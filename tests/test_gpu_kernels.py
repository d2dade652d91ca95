"""The CUDA kernels of ``mxlearn.gpu_kernels`` against their numpy references.

Every test needs CuPy and a GPU (``gpu`` marker); elsewhere they are skipped.
Each kernel gets the inputs of its readable reference in
``mxlearn.operator.*`` and must give the same result, in float32 and float64,
over the geometries that have their own branches (padding, stride > kernel,
dilation, 'full' windows that hang past the input, ignored and out-of-range
labels, repeated and clipped indices, clipping on and off).
"""
import numpy as np
import pytest

import mxlearn as mx
from mxlearn import nd
from mxlearn.backend import num_gpus
from mxlearn.base import MXNetError
from mxlearn.operator import get_op
from mxlearn.operator import conv as conv_op, embedding as embedding_op, losses
from mxlearn.operator import normalization, optimizer_updates, pooling as pooling_op
from mxlearn.test_utils import assert_almost_equal

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(num_gpus() == 0, reason='needs CuPy and a GPU')]

DTYPES = [np.float32, np.float64]


@pytest.fixture
def cp():
    import cupy
    return cupy


def tol(dtype):
    return dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)


def rand(shape, dtype, seed=0, low=-1.0, high=1.0):
    return np.random.RandomState(seed).uniform(low, high, shape).astype(dtype)


# ------------------------------------------------------------------ conv --

PLANAR = [((3, 3), (1, 1), (1, 1), (1, 1)),
          ((5, 5), (2, 2), (0, 0), (1, 1)),
          ((3, 2), (2, 1), (1, 0), (2, 1)),
          ((1, 3), (1, 3), (0, 2), (1, 2)),
          ((2, 2), (3, 3), (1, 1), (1, 1))]          # stride larger than the kernel


@pytest.mark.parametrize('planar', PLANAR)
@pytest.mark.parametrize('dtype', DTYPES)
def test_im2col_and_col2im_match_the_references(cp, planar, dtype):
    from mxlearn.gpu_kernels import conv
    x = rand((3, 2, 7, 9), dtype)
    want = conv_op._im2col_reference(np, x, *planar)
    got = conv.im2col(cp.asarray(x), planar)
    assert got.shape == want.shape and got.dtype == dtype
    assert_almost_equal(got.get(), want, **tol(dtype))
    col = rand(want.shape, dtype, seed=1)
    back = conv.col2im(cp.asarray(col), x.shape, planar)
    assert_almost_equal(back.get(), conv_op._col2im_reference(np, col, x.shape, *planar),
                        **tol(dtype))


def test_convolution_on_the_gpu_uses_the_kernels(cp, monkeypatch):
    def forbidden(*args):
        raise AssertionError('the reference ran instead of the CUDA kernel')
    monkeypatch.setattr(conv_op, '_im2col_reference', forbidden)
    monkeypatch.setattr(conv_op, '_col2im_reference', forbidden)
    x_np, w_np = rand((4, 3, 9, 9), np.float32), rand((5, 3, 3, 3), np.float32, seed=1)
    out = {}
    for ctx in (mx.cpu(), mx.gpu(0)):
        x, w = nd.array(x_np, ctx=ctx), nd.array(w_np, ctx=ctx)
        x.attach_grad()
        w.attach_grad()
        with mx.autograd.record():
            y = nd.Convolution(x, w, kernel=(3, 3), pad=(1, 1), num_filter=5, no_bias=True)
        (y * y).sum().backward()
        out[ctx.device_type] = [a.asnumpy() for a in (y, x.grad, w.grad)]
    for got, want in zip(out['gpu'], out['cpu']):
        assert_almost_equal(got, want, rtol=1e-4, atol=1e-4)


# --------------------------------------------------------------- pooling --

POOLS = [dict(kernel=(2, 2), stride=(2, 2)),
         dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1)),
         dict(kernel=(3, 3), stride=(2, 2), pooling_convention='full'),
         dict(kernel=(2, 3), stride=(3, 1), pad=(1, 1), pooling_convention='full'),
         dict(kernel=(3,), stride=(2,), pad=(1,)),
         dict(kernel=(2, 2, 2), stride=(1, 2, 2))]


def _pool_case(params, dtype):
    nd_ = len(params['kernel'])
    x = rand((2, 3) + (7, 8, 5)[:nd_], dtype)
    geo, _ = pooling_op._geometry(x.shape, **params)
    return x, geo


@pytest.mark.parametrize('params', POOLS)
@pytest.mark.parametrize('pool_type, include_pad', [('max', True), ('avg', True),
                                                    ('avg', False), ('sum', True)])
@pytest.mark.parametrize('dtype', DTYPES)
def test_pooling_matches_the_reference(cp, params, pool_type, include_pad, dtype):
    x, geo = _pool_case(params, dtype)
    want, want_arg = pooling_op.pool_reference(np, x, geo, pool_type, include_pad)
    got, got_arg = pooling_op._pool(cp, cp.asarray(x), geo, pool_type, include_pad)
    assert_almost_equal(got.get(), want, **tol(dtype))
    if pool_type == 'max':
        assert (got_arg.get() == want_arg).all()
    grad = rand(want.shape, dtype, seed=2)
    want_dx = pooling_op.pool_backward_reference(np, grad, geo, pool_type, include_pad,
                                                 want_arg)
    got_dx = pooling_op._pool_backward(cp, cp.asarray(grad), x.shape, geo, pool_type,
                                       include_pad, got_arg)
    assert_almost_equal(got_dx.get(), want_dx, **tol(dtype))


def test_max_pooling_ties_and_nan_follow_the_cpu(cp):
    x = np.array([[[[1.0, 1.0, np.nan, 2.0], [0.0, 1.0, 2.0, np.nan]]]], dtype=np.float32)
    geo, _ = pooling_op._geometry(x.shape, kernel=(2, 2), stride=(2, 2))
    want, want_arg = pooling_op._pool(np, x, geo, 'max', True)
    got, got_arg = pooling_op._pool(cp, cp.asarray(x), geo, 'max', True)
    assert (got.get() == want).all() and (got_arg.get() == want_arg).all()


# ------------------------------------------------------- softmax + CE --

@pytest.mark.parametrize('rows, classes', [(1, 2), (128, 10), (77, 1000)])
@pytest.mark.parametrize('dtype', DTYPES)
def test_softmax_ce_matches_the_reference(cp, rows, classes, dtype):
    x = rand((rows, classes, 1), dtype, low=-20, high=20)
    labels = np.random.RandomState(3).randint(0, classes, (rows, 1))
    want_p, want_loss = losses._softmax_ce_reference(np, x, labels)
    got_p, got_loss = losses.softmax_ce_loss(cp, cp.asarray(x), cp.asarray(labels))
    assert_almost_equal(got_p.get(), want_p, **tol(dtype))
    assert_almost_equal(got_loss.get(), want_loss, rtol=1e-5, atol=1e-5)
    ograd = rand((rows, 1), dtype, seed=4)
    for kwargs in (dict(), dict(ograd=ograd), dict(ograd=ograd[:1, :1]),
                   dict(smooth_alpha=0.1, ignore_label=int(labels[0, 0]))):
        want = losses._softmax_ce_grad_reference(np, want_p, labels, 0.5, **kwargs)
        dev = {k: cp.asarray(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        got = losses.softmax_ce_backward(cp, cp.asarray(want_p), cp.asarray(labels), 0.5, **dev)
        assert_almost_equal(got.get(), want, **tol(dtype))


def test_softmax_ce_reports_the_first_bad_label(cp):
    x = cp.zeros((3, 4, 1), dtype=cp.float32)
    with pytest.raises(MXNetError, match='label 7 is out of range for 4 classes'):
        losses.softmax_ce_loss(cp, x, cp.asarray([[1], [7], [9]]))
    prob = losses.softmax_probabilities(cp, x, cp.asarray([[1], [-1], [2]]), ignore_label=-1)
    assert_almost_equal(prob.get(), np.full((3, 4, 1), 0.25))


# ------------------------------------------------------------- BatchNorm --

@pytest.mark.parametrize('shape', [(8, 3, 5), (2, 6, 1), (1, 4, 33)])
@pytest.mark.parametrize('training', [True, False])
@pytest.mark.parametrize('dtype', DTYPES)
def test_batchnorm_matches_the_reference(cp, shape, training, dtype):
    from mxlearn.gpu_kernels import batchnorm
    c = shape[1]
    x = rand(shape, dtype, low=5, high=7)                 # an offset: tests the shift
    gamma, beta = rand((c,), dtype, seed=1), rand((c,), dtype, seed=2)
    mm, mv = rand((c,), dtype, seed=3), rand((c,), dtype, seed=4, low=0.5, high=2)
    want_mv = mv.copy()
    want = normalization._batchnorm_reference(np, x, gamma, beta, mm.copy(), want_mv, 1e-3,
                                              0.9, training)
    dmm, dmv = cp.asarray(mm), cp.asarray(mv)
    got = batchnorm.forward(cp.asarray(x), cp.asarray(gamma), cp.asarray(beta), dmm, dmv,
                            1e-3, 0.9, training)
    for g, w in zip(got, want):
        assert_almost_equal(g.get(), w, rtol=1e-4, atol=1e-5)
    assert_almost_equal(dmv.get(), want_mv, rtol=1e-5, atol=1e-6)
    dy = rand(shape, dtype, seed=5)
    want = normalization._batchnorm_backward_reference(np, dy, x, gamma, mm, mv, 1e-3, training)
    got = batchnorm.backward(cp.asarray(dy), cp.asarray(x), cp.asarray(gamma), cp.asarray(mm),
                             cp.asarray(mv), 1e-3, training)
    for g, w in zip(got, want):
        assert_almost_equal(g.get(), w, rtol=1e-4, atol=1e-4)


# ------------------------------------------------------------- Embedding --

@pytest.mark.parametrize('dtype', DTYPES)
def test_embedding_gradient_matches_the_reference(cp, dtype):
    from mxlearn.gpu_kernels import embedding
    grad = rand((12, 5), dtype)
    index = np.array([0, 3, 3, 9, -2, 40, 3, 1, 1, 0, 7, 3])      # repeats, out of range
    want = embedding_op.embedding_grad_reference(np, grad, np.clip(index, 0, 9), 10)
    got = embedding.scatter_add_rows(cp.asarray(grad), cp.asarray(index), 10)
    assert_almost_equal(got.get(), want, **tol(dtype))


# ------------------------------------------------------ optimizer updates --

UPDATE_ATTRS = {
    'sgd_update': dict(lr=0.1, wd=0.01, rescale_grad=0.5),
    'sgd_mom_update': dict(lr=0.1, momentum=0.9, wd=0.01, rescale_grad=0.5),
    'mp_sgd_update': dict(lr=0.1, wd=0.01, rescale_grad=0.5),
    'mp_sgd_mom_update': dict(lr=0.1, momentum=0.9, wd=0.01, rescale_grad=0.5),
    'adam_update': dict(lr=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8, wd=0.01,
                        rescale_grad=0.5),
    'rmsprop_update': dict(lr=0.01, gamma1=0.95, epsilon=1e-8, wd=0.01, rescale_grad=0.5,
                           clip_weights=0.8),
    'rmspropalex_update': dict(lr=0.01, gamma1=0.95, gamma2=0.9, epsilon=1e-8, wd=0.01,
                               rescale_grad=0.5, clip_weights=-1.0),
}


@pytest.mark.parametrize('name', sorted(UPDATE_ATTRS))
@pytest.mark.parametrize('clip', [-1.0, 0.3])
@pytest.mark.parametrize('dtype', DTYPES)
def test_fused_updates_match_the_references(cp, name, clip, dtype):
    mp = name.startswith('mp_')
    if mp and dtype == np.float64:
        pytest.skip('multi-precision updates take float16 weights')
    op = get_op(name)
    n_states = len(op.arg_names) - 2
    low = np.float16 if mp else dtype
    arrays = [rand((7, 13), low), rand((7, 13), low, seed=1, low=-3, high=3)]
    # states in [1, 2): centered RMSProp needs n > g_avg**2
    arrays += [rand((7, 13), np.float32 if mp else dtype, seed=2 + i, low=1.0, high=2.0)
               for i in range(n_states)]
    if mp:
        arrays[-1] = arrays[0].astype(np.float32)                 # weight32
    if name == 'rmspropalex_update':
        arrays[3][...] = 0                                        # g_avg**2 < n
    attrs = dict(UPDATE_ATTRS[name], clip_gradient=clip)
    want = [a.copy() for a in arrays]
    optimizer_updates._RULES[name][0](np, *want, **attrs)
    got = [cp.asarray(a) for a in arrays]
    optimizer_updates._run(name, cp, got, dict(attrs))
    for g, w in zip(got, want):
        assert_almost_equal(g.get(), w, rtol=1e-3 if mp else 1e-5, atol=1e-3 if mp else 1e-6)


def test_an_adam_step_is_one_kernel(cp, monkeypatch):
    # the reference would launch about ten kernels; the fused update one
    calls = []
    monkeypatch.setitem(optimizer_updates._RULES, 'adam_update', (
        lambda *a, **k: calls.append('reference'), optimizer_updates._RULES['adam_update'][1]))
    w, g, m, v = (nd.ones((1000,), ctx=mx.gpu(0)) for _ in range(4))
    optimizer_updates.fused_update('adam_update', w, g, m, v, lr=0.1)
    assert calls == [] and float(w.asnumpy()[0]) < 1.0
