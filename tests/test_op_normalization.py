"""BatchNorm, LayerNorm, InstanceNorm, L2Normalization: forward, moving statistics,
gradients, the compiled batch-norm kernel against its numpy reference, errors."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from mxlearn import autograd, nd
from mxlearn._ext import batchnorm
from mxlearn.base import MXNetError
from mxlearn.operator.normalization import (_batchnorm_backward_reference,
                                            _batchnorm_reference)
from mxlearn.test_utils import assert_almost_equal, check_numeric_gradient

# Every test runs on each device of the ctx fixture (tests/conftest.py).
pytestmark = pytest.mark.usefixtures('ctx')

SETTINGS = settings(max_examples=25, deadline=None)


def shapes(min_ndim=1, max_ndim=4, max_side=4):
    return st.lists(st.integers(1, max_side), min_size=min_ndim, max_size=max_ndim).map(tuple)


def rand(shape, seed=0, low=-2.0, high=2.0, dtype=np.float32):
    return np.random.RandomState(seed).uniform(low, high, shape).astype(dtype)


def along(v, axis, ndim):
    """A per-channel vector shaped to broadcast along ``axis``."""
    shape = [1] * ndim
    shape[axis] = -1
    return np.asarray(v, dtype=np.float64).reshape(shape)


def others(axis, ndim):
    return tuple(i for i in range(ndim) if i != axis % ndim)


def normalized(x, mean, var, gamma, beta, eps, axis):
    """``(x - mean) / sqrt(var + eps) * gamma + beta`` in float64, per channel ``axis``."""
    n = x.ndim
    return ((x.astype(np.float64) - along(mean, axis, n)) / np.sqrt(along(var, axis, n) + eps)
            * along(gamma, axis, n) + along(beta, axis, n))


def batch_moments(x, axis):
    x = x.astype(np.float64)
    return x.mean(axis=others(axis, x.ndim)), x.var(axis=others(axis, x.ndim))


def bn_inputs(shape, axis, seed, dtype=np.float32):
    c = shape[axis]
    return (rand(shape, seed, dtype=dtype), rand(c, seed + 1, 0.5, 1.5, dtype),
            rand(c, seed + 2, dtype=dtype), rand(c, seed + 3, dtype=dtype),
            rand(c, seed + 4, 0.5, 1.5, dtype))


def as_nd(*arrays):
    return [nd.array(a, dtype=a.dtype) for a in arrays]


# ------------------------------------------------------------ BatchNorm --

@SETTINGS
@given(shape=shapes(), data=st.data(), seed=st.integers(0, 2 ** 16),
       training=st.booleans(), fix_gamma=st.booleans(), global_stats=st.booleans(),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_batchnorm_forward(shape, data, seed, training, fix_gamma, global_stats, dtype):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    eps, momentum = data.draw(st.sampled_from([(1e-3, 0.9), (1e-5, 0.5)]))
    x, gamma, beta, mm, mv = bn_inputs(shape, axis, seed, dtype)
    X, G, B, MM, MV = as_nd(x, gamma, beta, mm, mv)
    with autograd.train_mode() if training else autograd.predict_mode():
        out, mean, invstd = nd.BatchNorm(X, G, B, MM, MV, eps=eps, momentum=momentum,
                                         fix_gamma=fix_gamma, use_global_stats=global_stats,
                                         axis=axis, output_mean_var=True)
    g = np.ones_like(gamma) if fix_gamma else gamma
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-9)
    if training and not global_stats:
        bmean, bvar = batch_moments(x, axis)
        assert_almost_equal(MM.asnumpy(), mm * momentum + bmean * (1 - momentum), **tol)
        assert_almost_equal(MV.asnumpy(), mv * momentum + bvar * (1 - momentum), **tol)
    else:
        bmean, bvar = mm, mv
        assert MM.asnumpy().tolist() == mm.tolist() and MV.asnumpy().tolist() == mv.tolist()
    assert out.shape == shape and out.dtype == dtype
    assert_almost_equal(out.asnumpy(), normalized(x, bmean, bvar, g, beta, eps, axis), **tol)
    assert_almost_equal(mean.asnumpy(), bmean, **tol)
    assert_almost_equal(invstd.asnumpy(), 1 / np.sqrt(np.float64(bvar) + eps), **tol)
    # fix_gamma: gamma reads 1 afterwards, as in MXNet.
    assert G.asnumpy().tolist() == g.tolist()


def test_batchnorm_defaults_and_visible_outputs():
    x, gamma, beta, mm, mv = bn_inputs((3, 2, 4), 1, 0)
    X, G, B, MM, MV = as_nd(x, gamma, beta, mm, mv)
    out = nd.BatchNorm(X, G, B, MM, MV)          # inference, fix_gamma=True, eps=1e-3, axis=1
    assert isinstance(out, nd.NDArray)
    assert_almost_equal(out.asnumpy(), normalized(x, mm, mv, np.ones(2), beta, 1e-3, 1))
    with autograd.train_mode():
        nd.BatchNorm(X, G, B, MM, MV)             # momentum=0.9
    bmean, _ = batch_moments(x, 1)
    assert_almost_equal(MM.asnumpy(), mm * 0.9 + bmean * 0.1)
    res = nd.BatchNorm(X, G, B, MM, MV, output_mean_var=True)
    assert isinstance(res, list) and [r.shape for r in res] == [(3, 2, 4), (2,), (2,)]


def test_batchnorm_moving_statistics_over_training_steps():
    shape, axis, momentum = (4, 3, 5), 1, 0.8
    _, gamma, beta, mm, mv = bn_inputs(shape, axis, 0)
    X0, G, B, MM, MV = as_nd(rand(shape), gamma, beta, mm, mv)
    want_mean, want_var = mm.astype(np.float64), mv.astype(np.float64)
    for step in range(5):
        x = rand(shape, seed=step, low=-1 + step, high=2 + 2 * step)   # shifting statistics
        X = nd.array(x)
        X.attach_grad()
        with autograd.record():
            y = nd.BatchNorm(X, G, B, MM, MV, momentum=momentum, fix_gamma=False)
        y.backward()                              # the backward pass updates nothing more
        bmean, bvar = batch_moments(x, axis)
        want_mean = want_mean * momentum + bmean * (1 - momentum)
        want_var = want_var * momentum + bvar * (1 - momentum)   # the biased variance
        assert_almost_equal(MM.asnumpy(), want_mean, rtol=1e-5, atol=1e-5)
        assert_almost_equal(MV.asnumpy(), want_var, rtol=1e-5, atol=1e-5)
    # Inference uses (and keeps) the moving statistics.
    x = rand(shape, seed=99)
    out = nd.BatchNorm(nd.array(x), G, B, MM, MV, momentum=momentum, fix_gamma=False)
    want = normalized(x, want_mean, want_var, gamma, beta, 1e-3, 1)
    assert_almost_equal(out.asnumpy(), want, rtol=1e-4, atol=1e-4)
    assert_almost_equal(MM.asnumpy(), want_mean, rtol=1e-5, atol=1e-5)


def test_batchnorm_use_global_stats_in_training():
    x, gamma, beta, mm, mv = bn_inputs((5, 3), 1, 4)
    X, G, B, MM, MV = as_nd(x, gamma, beta, mm, mv)
    for a in (X, G, B):
        a.attach_grad()
    dy = rand((5, 3), 7)
    with autograd.record():
        y = nd.BatchNorm(X, G, B, MM, MV, use_global_stats=True, fix_gamma=False)
    y.backward(nd.array(dy))
    assert MM.asnumpy().tolist() == mm.tolist() and MV.asnumpy().tolist() == mv.tolist()
    assert_almost_equal(y.asnumpy(), normalized(x, mm, mv, gamma, beta, 1e-3, 1))
    # The statistics are constants: the gradient is the affine map's.
    invstd = 1 / np.sqrt(mv.astype(np.float64) + 1e-3)
    assert_almost_equal(X.grad.asnumpy(), dy * gamma * invstd)
    assert_almost_equal(G.grad.asnumpy(), (dy * (x - mm) * invstd).sum(0))
    assert_almost_equal(B.grad.asnumpy(), dy.sum(0))


def test_batchnorm_fix_gamma_gradient_is_zero():
    x, gamma, beta, mm, mv = bn_inputs((4, 2, 3), 1, 1)
    X, G, B, MM, MV = as_nd(x, gamma, beta, mm, mv)
    for a in (X, G, B):
        a.attach_grad()
    G.grad[:] = 5
    with autograd.record():
        y = nd.BatchNorm(X, G, B, MM, MV)
    y.backward(nd.array(rand((4, 2, 3), 2)))
    assert G.asnumpy().tolist() == [1.0, 1.0]
    assert G.grad.asnumpy().tolist() == [0.0, 0.0]
    assert np.abs(X.grad.asnumpy()).max() > 0


@pytest.mark.parametrize('shape, axis', [((3, 2, 4), 1), ((4, 3), 1), ((2, 3, 2), -1),
                                         ((3, 2, 2), 0), ((6,), 0)])
@pytest.mark.parametrize('fix_gamma', [False, True])
def test_batchnorm_numeric_gradient_training(shape, axis, fix_gamma):
    """Finite differences of BatchNorm in training mode, for data, gamma and beta.

    The moving statistics are updated in place on every call, but in training
    mode the output does not read them, so the updates cannot disturb the
    differences. The lambda still makes fresh moving arrays on each call:
    they must follow the dtype of ``x`` (float64 for the numeric evaluation,
    float32 for autograd), and this keeps the evaluations independent.
    """
    x, gamma, beta, _, _ = bn_inputs(shape, axis, 3)
    c = shape[axis]

    def fn(x, g, b):
        return nd.BatchNorm(x, g, b, nd.zeros(c, dtype=x.dtype), nd.ones(c, dtype=x.dtype),
                            axis=axis, fix_gamma=fix_gamma)
    check_numeric_gradient(fn, [x, gamma, beta], rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize('use_global_stats', [False, True])
def test_batchnorm_numeric_gradient_with_moving_statistics(use_global_stats):
    # Inference (forward and backward in predict mode) or use_global_stats:
    # the moving statistics are inputs that the output reads, never updates.
    x, gamma, beta, mm, mv = bn_inputs((3, 2, 2), 1, 5)

    def fn(x, g, b):
        return nd.BatchNorm(x, g, b, nd.array(mm, dtype=x.dtype), nd.array(mv, dtype=x.dtype),
                            fix_gamma=False, use_global_stats=use_global_stats)
    check_numeric_gradient(fn, [x, gamma, beta], use_forward_train=use_global_stats)


def test_batchnorm_mean_var_outputs_carry_no_gradient():
    x, gamma, beta, mm, mv = bn_inputs((3, 2), 1, 6)
    grads = []
    for head_mean in (0.0, 7.0):
        X, G, B, MM, MV = as_nd(x, gamma, beta, mm, mv)
        X.attach_grad()
        with autograd.record():
            out, mean, invstd = nd.BatchNorm(X, G, B, MM, MV, output_mean_var=True)
        autograd.backward([out, mean, invstd],
                          [nd.ones((3, 2)), nd.full((2,), head_mean), nd.full((2,), 3.0)])
        grads.append(X.grad.asnumpy())
    assert grads[0].tolist() == grads[1].tolist()


def test_batchnorm_float16_takes_float32_parameters():
    x, gamma, beta, mm, mv = bn_inputs((4, 3, 2), 1, 8)
    X = nd.array(x, dtype='float16')
    G, B, MM, MV = as_nd(gamma, beta, mm, mv)
    with autograd.train_mode():
        out, mean, invstd = nd.BatchNorm(X, G, B, MM, MV, fix_gamma=False,
                                         output_mean_var=True)
    assert out.dtype == np.float16 and mean.dtype == np.float32 and MM.dtype == np.float32
    x16 = x.astype(np.float16)
    bmean, bvar = batch_moments(x16, 1)
    assert_almost_equal(out.asnumpy(), normalized(x16, bmean, bvar, gamma, beta, 1e-3, 1))
    assert_almost_equal(mean.asnumpy(), bmean, rtol=1e-5, atol=1e-5)


def test_batchnorm_errors():
    x, gamma, beta, mm, mv = as_nd(*bn_inputs((2, 3, 4), 1, 0))
    with pytest.raises(MXNetError) as e:
        nd.BatchNorm(x, nd.ones(4), beta, mm, mv)
    assert str(e.value).splitlines()[0] == (
        'Operator BatchNorm: gamma must have shape (3,) (the size of axis 1 of data), '
        'got (4,)')
    with pytest.raises(MXNetError, match=r'moving_var must have shape \(4,\) \(the size of '
                                         r'axis 2'):
        nd.BatchNorm(x, nd.ones(4), nd.ones(4), nd.ones(4), nd.ones((4, 1)), axis=-1)
    with pytest.raises(MXNetError, match='axis 3 is out of range for an array of 3 dim'):
        nd.BatchNorm(x, gamma, beta, mm, mv, axis=3)
    ints = nd.array(np.ones((2, 3)), dtype='int32')
    with pytest.raises(MXNetError, match='expected floating-point data, got int32'):
        nd.BatchNorm(ints, *[nd.ones(3, dtype='int32')] * 4)
    with pytest.raises(MXNetError, match='beta must be float32 for float32 data'):
        nd.BatchNorm(x, gamma, beta.astype('float64'), mm, mv)
    with pytest.raises(MXNetError, match=r'gamma must be float32 for float16 data \(float16 '
                                         r'data takes float32 parameters\), got float16'):
        nd.BatchNorm(*[a.astype('float16') for a in (x, gamma, beta, mm, mv)])


def test_shape_and_type_inference():
    from mxlearn.operator import get_op
    bn = get_op('BatchNorm')
    shapes = [(2, 3, 4)] + [(4,)] * 4
    assert bn.infer_shape(shapes, axis=-1) == [(2, 3, 4)]
    assert bn.infer_shape(shapes, axis=2, output_mean_var=True) == [(2, 3, 4), (4,), (4,)]
    with pytest.raises(MXNetError, match=r'gamma must have shape \(3,\)'):
        bn.infer_shape(shapes)
    f16, f32 = np.dtype(np.float16), np.dtype(np.float32)
    assert bn.infer_type([f16] + [f32] * 4, output_mean_var=True) == [f16, f32, f32]
    assert get_op('_backward_BatchNorm').infer_shape(
        [(2, 3), (2, 3), (3,), (3,), (3,)]) == [(2, 3), (3,), (3,)]
    ln = get_op('LayerNorm')
    assert ln.infer_shape([(2, 3, 4), (3,), (3,)], axis=1, output_mean_var=True) == [
        (2, 3, 4), (2, 1, 4), (2, 1, 4)]
    assert ln.infer_type([f32] * 3, output_mean_var=True) == [f32] * 3
    assert get_op('InstanceNorm').infer_shape([(2, 3, 4), (3,), (3,)]) == [(2, 3, 4)]
    assert get_op('L2Normalization').infer_shape([(2, 3, 4)], mode='spatial') == [(2, 3, 4)]


# ------------------------------------------------- kernel vs reference --

def channel_stats_case(shape, dtype, seed, offset=0.0):
    x = rand(shape, seed, dtype=np.float64) + offset
    c = shape[1]
    return (x.astype(dtype), rand(c, seed + 1, 0.5, 1.5, dtype),
            rand(c, seed + 2, dtype=dtype), rand(c, seed + 3, dtype=dtype),
            rand(c, seed + 4, 0.5, 1.5, dtype))


def check_kernel(shape, dtype, seed, training, offset=0.0, eps=1e-3, momentum=0.9,
                 reference_tol=None):
    """The kernel against the float64 maths, and against the numpy reference.

    The reference works in the data's precision, so far from zero (``offset``)
    its float32 mean is rounded by up to half a float32 step of the offset:
    ``reference_tol`` then loosens the comparison with it.
    """
    x, gamma, beta, mm, mv = channel_stats_case(shape, dtype, seed, offset)
    tol = dict(rtol=2e-5, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    rtol = tol if reference_tol is None else dict(rtol=reference_tol, atol=reference_tol)
    km, kv, rm, rv = mm.copy(), mv.copy(), mm.copy(), mv.copy()
    k_out, k_mean, k_inv = batchnorm.forward(x, gamma, beta, km, kv, eps, momentum, training)
    r_out, r_mean, r_inv = _batchnorm_reference(np, x, gamma, beta, rm, rv, eps, momentum,
                                                training)
    if training:
        bmean, bvar = batch_moments(x, 1)
        assert_almost_equal(km, mm * momentum + bmean * (1 - momentum), **tol)
        assert_almost_equal(kv, mv * momentum + bvar * (1 - momentum), **tol)
    else:
        bmean, bvar = mm, mv
    assert k_out.dtype == dtype and k_mean.dtype == dtype
    assert_almost_equal(k_out, normalized(x, bmean, bvar, gamma, beta, eps, 1), **tol)
    assert_almost_equal(k_out, r_out, **rtol)
    assert_almost_equal(k_mean, r_mean, **rtol)
    assert_almost_equal(k_inv, r_inv, **rtol)
    assert_almost_equal(km, rm, **rtol)
    assert_almost_equal(kv, rv, **rtol)

    dy = rand(shape, seed + 5, dtype=dtype)
    k = batchnorm.backward(dy, x, gamma, mm, mv, eps, training)
    r = _batchnorm_backward_reference(np, dy, x, gamma, mm, mv, eps, training)
    # dgamma and dbeta are sums of many terms: scale the tolerance by their count.
    n = shape[0] * shape[2]
    for name, kg, rg, scale in zip(('dx', 'dgamma', 'dbeta'), k, r, (1, n ** 0.5, n ** 0.5)):
        assert kg.dtype == dtype, name
        assert_almost_equal(kg, rg, rtol=rtol['rtol'] * scale, atol=rtol['atol'] * scale,
                            names=('kernel ' + name, 'reference ' + name))


@settings(max_examples=30, deadline=None)
@given(shape=st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(1, 9)),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2 ** 16),
       training=st.booleans())
def test_batchnorm_kernel_matches_reference(shape, dtype, seed, training):
    check_kernel(shape, dtype, seed, training)


@pytest.mark.parametrize('shape', [(3, 5, 7001), (40000, 3, 1), (3000, 4, 5), (1, 7, 9000)])
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_batchnorm_kernel_large_arrays(shape, dtype):
    # Large enough to be cut into several chunks, with chunk edges inside a block
    # of channels; channels last (inner = 1); short rows; a single example.
    check_kernel(shape, dtype, 11, training=True)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_batchnorm_kernel_statistics_far_from_zero(dtype):
    # Mean 1e4, spread 1: E[x^2] - E[x]^2 would cancel catastrophically, even in double
    # for float64 data; the kernel's shifted sums keep full accuracy.
    check_kernel((8, 3, 50), dtype, 12, training=True, offset=1e4, eps=1e-5,
                 reference_tol=1e-3 if dtype == np.float32 else None)


def test_batchnorm_forward_takes_strided_arrays():
    # The forward receives raw arrays; a strided view is normalized like its copy.
    from mxlearn.operator.normalization import batch_norm
    x, gamma, beta, mm, mv = bn_inputs((3, 8, 5), 2, 13)
    view = x[:, ::2]
    got = batch_norm(np, view, gamma, beta, mm, mv, fix_gamma=False, axis=2)
    want = batch_norm(np, view.copy(), gamma, beta, mm, mv, fix_gamma=False, axis=2)
    assert got.tolist() == want.tolist()
    assert_almost_equal(got, normalized(view, mm, mv, gamma, beta, 1e-3, 2))


def test_batchnorm_kernel_checks_its_arguments():
    x = np.ones((2, 3, 4), np.float32)
    one = np.ones(3, np.float32)
    with pytest.raises(ValueError, match='x must not be empty'):
        batchnorm.forward(x[:, :0], one[:0], one[:0], one[:0], one[:0], 1e-3, 0.9, True)
    with pytest.raises(ValueError, match=r'must have shape \(3,\)'):
        batchnorm.forward(x, one, one, one, np.ones(4, np.float32), 1e-3, 0.9, True)
    with pytest.raises(ValueError, match='dy must have the shape of x'):
        batchnorm.backward(x[:1], x, one, one, one, 1e-3, True)
    with pytest.raises(ValueError):          # mixed dtypes match no specialization
        batchnorm.forward(x, one.astype(np.float64), one, one, one, 1e-3, 0.9, True)


def test_batchnorm_empty_batch_uses_moving_statistics():
    _, gamma, beta, mm, mv = bn_inputs((1, 3), 1, 0)
    X, G, B, MM, MV = as_nd(np.zeros((0, 3), np.float32), gamma, beta, mm, mv)
    with autograd.train_mode():
        out, mean, _ = nd.BatchNorm(X, G, B, MM, MV, output_mean_var=True)
    assert out.shape == (0, 3) and mean.asnumpy().tolist() == mm.tolist()
    assert MM.asnumpy().tolist() == mm.tolist()


# ------------------------------------------------ LayerNorm, InstanceNorm --

@SETTINGS
@given(shape=shapes(), data=st.data(), seed=st.integers(0, 2 ** 16))
def test_layernorm_forward(shape, data, seed):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    eps = data.draw(st.sampled_from([1e-5, 0.1]))
    c = shape[axis]
    x, gamma, beta = rand(shape, seed), rand(c, seed + 1, 0.5, 1.5), rand(c, seed + 2)
    out, mean, std = nd.LayerNorm(nd.array(x), nd.array(gamma), nd.array(beta), axis=axis,
                                  eps=eps, output_mean_var=True)
    x64 = x.astype(np.float64)
    want_mean = x64.mean(axis=axis, keepdims=True)
    want_std = np.sqrt(x64.var(axis=axis, keepdims=True) + eps)
    assert_almost_equal(mean.asnumpy(), want_mean, rtol=1e-5, atol=1e-5, use_broadcast=False)
    assert_almost_equal(std.asnumpy(), want_std, rtol=1e-5, atol=1e-5, use_broadcast=False)
    want = ((x64 - want_mean) / want_std * along(gamma, axis, x.ndim)
            + along(beta, axis, x.ndim))
    assert_almost_equal(out.asnumpy(), want, rtol=1e-4, atol=1e-4)
    assert isinstance(nd.LayerNorm(nd.array(x), nd.array(gamma), nd.array(beta), axis=axis),
                      nd.NDArray)


@pytest.mark.parametrize('shape, axis', [((3, 4), -1), ((2, 3, 4), 1), ((4,), 0)])
def test_layernorm_gradient(shape, axis):
    c = shape[axis]
    check_numeric_gradient(lambda x, g, b: nd.LayerNorm(x, g, b, axis=axis),
                           [rand(shape, 1), rand(c, 2, 0.5, 1.5), rand(c, 3)],
                           rtol=1e-3, atol=1e-3)
    # The mean and std outputs carry no gradient.
    check_numeric_gradient(
        lambda x, g, b: nd.LayerNorm(x, g, b, axis=axis, output_mean_var=True)[0],
        [rand(shape, 4), rand(c, 5, 0.5, 1.5), rand(c, 6)], rtol=1e-3, atol=1e-3)


def test_layernorm_second_order():
    # The gradient is written with F operators, so it can be differentiated again.
    x0 = rand((2, 3), 7).astype(np.float64)
    gamma, beta = nd.array([0.5, 1.0, 2.0], dtype='float64'), nd.zeros(3, dtype='float64')
    w = nd.array(rand((2, 3), 8), dtype='float64')

    def grad_norm_sq(v):
        x = nd.array(v, dtype='float64')
        x.attach_grad()
        with autograd.record():
            (dx,) = autograd.grad(nd.sum(nd.LayerNorm(x, gamma, beta) * w), [x],
                                  create_graph=True)
            total = nd.sum(dx * dx)
        return x, total

    x, total = grad_norm_sq(x0)
    total.backward()
    eps, numeric = 1e-6, np.zeros_like(x0)
    for i in np.ndindex(*x0.shape):
        hi, lo = x0.copy(), x0.copy()
        hi[i] += eps
        lo[i] -= eps
        numeric[i] = (float(grad_norm_sq(hi)[1].asnumpy()[0])
                      - float(grad_norm_sq(lo)[1].asnumpy()[0])) / (2 * eps)
    assert_almost_equal(x.grad.asnumpy(), numeric, rtol=1e-5, atol=1e-6)


@SETTINGS
@given(shape=shapes(min_ndim=3, max_ndim=5), seed=st.integers(0, 2 ** 16),
       eps=st.sampled_from([1e-3, 0.5]))
def test_instancenorm_forward(shape, seed, eps):
    c = shape[1]
    x, gamma, beta = rand(shape, seed), rand(c, seed + 1, 0.5, 1.5), rand(c, seed + 2)
    out = nd.InstanceNorm(nd.array(x), nd.array(gamma), nd.array(beta), eps=eps)
    axes = tuple(range(2, len(shape)))
    x64 = x.astype(np.float64)
    want = ((x64 - x64.mean(axis=axes, keepdims=True))
            / np.sqrt(x64.var(axis=axes, keepdims=True) + eps)
            * along(gamma, 1, x.ndim) + along(beta, 1, x.ndim))
    assert_almost_equal(out.asnumpy(), want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('shape', [(2, 3, 4), (2, 2, 2, 3)])
def test_instancenorm_gradient(shape):
    c = shape[1]
    check_numeric_gradient(lambda x, g, b: nd.InstanceNorm(x, g, b),
                           [rand(shape, 1), rand(c, 2, 0.5, 1.5), rand(c, 3)],
                           rtol=1e-3, atol=1e-3)


def test_layernorm_instancenorm_errors():
    x = nd.array(rand((2, 3)))
    with pytest.raises(MXNetError) as e:
        nd.LayerNorm(x, nd.ones(2), nd.zeros(3))
    assert str(e.value).splitlines()[0] == (
        'Operator LayerNorm: gamma must have shape (3,) (the size of axis 1 of data), '
        'got (2,)')
    with pytest.raises(MXNetError, match='axis 2 is out of range for an array of 2 dim'):
        nd.LayerNorm(x, nd.ones(3), nd.zeros(3), axis=2)
    with pytest.raises(MXNetError, match='expected floating-point data, got int32'):
        nd.LayerNorm(x.astype('int32'), nd.ones(3, dtype='int32'), nd.ones(3, dtype='int32'))
    with pytest.raises(MXNetError, match=r'InstanceNorm needs data of at least 3 dimensions '
                                         r'\(batch, channel, spatial...\), got shape \(2, 3\)'):
        nd.InstanceNorm(x, nd.ones(3), nd.zeros(3))
    with pytest.raises(MXNetError, match=r'beta must have shape \(3,\)'):
        nd.InstanceNorm(nd.ones((2, 3, 4)), nd.ones(3), nd.zeros(4))


# ------------------------------------------------------ L2Normalization --

def l2_reference(x, axes, eps):
    x = x.astype(np.float64)
    return x / np.sqrt((x * x).sum(axis=axes, keepdims=True) + eps)


@SETTINGS
@given(shape=shapes(min_ndim=1, max_ndim=4), seed=st.integers(0, 2 ** 16),
       mode=st.sampled_from(['instance', 'channel', 'spatial']),
       eps=st.sampled_from([1e-10, 0.5]))
def test_l2normalization_forward(shape, seed, mode, eps):
    x = rand(shape, seed)
    if mode != 'instance' and len(shape) < 3:
        with pytest.raises(MXNetError, match='mode=%r needs data of at least 3 dimensions'
                                             % mode):
            nd.L2Normalization(nd.array(x), mode=mode)
        return
    axes = {'instance': tuple(range(1, len(shape))) or (0,), 'channel': (1,),
            'spatial': tuple(range(2, len(shape)))}[mode]
    out = nd.L2Normalization(nd.array(x), eps=eps, mode=mode)
    assert_almost_equal(out.asnumpy(), l2_reference(x, axes, eps), rtol=1e-5, atol=1e-6)


def test_l2normalization_facts():
    # A 1-d array is normalized as a whole (MXNet's documented formula).
    assert_almost_equal(nd.L2Normalization(nd.array([3, 4])).asnumpy(), [0.6, 0.8])
    x = nd.array([[[1, 2], [3, 4]], [[2, 2], [5, 6]]])
    assert_almost_equal(nd.L2Normalization(x, mode='channel').asnumpy()[0],
                        [[1 / 10 ** 0.5, 2 / 20 ** 0.5], [3 / 10 ** 0.5, 4 / 20 ** 0.5]])
    assert_almost_equal(nd.L2Normalization(x, mode='spatial').asnumpy()[1, 1],
                        [5 / 61 ** 0.5, 6 / 61 ** 0.5])
    with pytest.raises(MXNetError, match="mode must be one of 'channel', 'instance', "
                                         "'spatial', got 'batch'"):
        nd.L2Normalization(x, mode='batch')
    with pytest.raises(MXNetError, match='expected floating-point data, got int32'):
        nd.L2Normalization(x.astype('int32'))


@pytest.mark.parametrize('shape, mode', [((5,), 'instance'), ((3, 4), 'instance'),
                                         ((2, 3, 2), 'instance'), ((2, 3, 2), 'channel'),
                                         ((2, 2, 2, 2), 'spatial')])
def test_l2normalization_gradient(shape, mode):
    check_numeric_gradient(lambda x: nd.L2Normalization(x, mode=mode), [rand(shape, 9)])
