"""gluon.nn layers: outputs against numpy, deferred init, names, reprs, training."""
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import mxlearn as mx
from mxlearn import autograd, initializer as init, nd
from mxlearn.base import MXNetError
from mxlearn.gluon import loss as gloss, nn
from mxlearn.gluon.name import NameManager
from mxlearn.test_utils import assert_almost_equal, check_numeric_gradient

# Every test runs on each device of the ctx fixture (tests/conftest.py).
pytestmark = pytest.mark.usefixtures('ctx')

SETTINGS = settings(max_examples=15, deadline=None)


def rand(shape, seed=0, scale=1.0):
    return np.random.RandomState(seed).uniform(-scale, scale, shape).astype(np.float32)


def build(layer, x, seed=1):
    """Initialize ``layer`` on ``x`` and give every learnable Parameter random values."""
    layer.initialize()
    layer(nd.array(x))
    for i, (name, p) in enumerate(sorted(layer.collect_params().items())):
        if 'running' not in name:
            p.set_data(nd.array(rand(p.shape, seed + i)))
    return {name.split('_', 1)[1]: p.data().asnumpy()
            for name, p in layer.collect_params().items()}


# ------------------------------------------------------- numpy references --

def tap_slices(tap, dilate, stride, counts):
    """The input positions that kernel offset ``tap`` meets, one slice per spatial axis."""
    return (slice(None), slice(None)) + tuple(
        slice(t * d, t * d + s * (c - 1) + 1, s)
        for t, d, s, c in zip(tap, dilate, stride, counts))


def conv_reference(x, w, b, stride, pad, dilate, groups):
    """Direct N-d convolution (cross-correlation) with groups, one loop over taps."""
    x = np.pad(x.astype(np.float64), [(0, 0), (0, 0)] + [(p, p) for p in pad])
    f, cg = w.shape[:2]
    k = w.shape[2:]
    out_sp = [(n - d * (kk - 1) - 1) // s + 1
              for n, d, kk, s in zip(x.shape[2:], dilate, k, stride)]
    out = np.zeros((x.shape[0], f) + tuple(out_sp))
    fg = f // groups
    for tap in np.ndindex(*k):
        patch = x[tap_slices(tap, dilate, stride, out_sp)]
        for g in range(groups):
            out[:, g * fg:(g + 1) * fg] += np.einsum(
                'nc...,fc->nf...', patch[:, g * cg:(g + 1) * cg],
                w[(slice(g * fg, (g + 1) * fg), slice(None)) + tap])
    if b is not None:
        out += b.reshape((1, -1) + (1,) * len(k))
    return out


def deconv_reference(x, w, b, stride, pad, adj, dilate):
    """Transposed convolution: every input pixel scatters the kernel (groups=1)."""
    k = w.shape[2:]
    full = [(n - 1) * s + d * (kk - 1) + 1 + a
            for n, s, d, kk, a in zip(x.shape[2:], stride, dilate, k, adj)]
    out = np.zeros((x.shape[0], w.shape[1]) + tuple(full))
    for tap in np.ndindex(*k):
        out[tap_slices(tap, dilate, stride, x.shape[2:])] += np.einsum(
            'nc...,cf->nf...', x, w[(slice(None), slice(None)) + tap])
    crop = tuple(slice(p, n - p) for p, n in zip(pad, full))
    return out[(slice(None), slice(None)) + crop] + b.reshape((1, -1) + (1,) * len(k))


def pool_reference(x, kernel, stride, pad, ceil, pool_type, include_pad=True):
    """Pooling by looping over the window offsets; the padding is -inf for max."""
    nd_ = x.ndim - 2
    sizes = [x.shape[2 + i] + 2 * pad[i] - kernel[i] for i in range(nd_)]
    out_sp = [(-(-s // stride[i]) if ceil else s // stride[i]) + 1 for i, s in enumerate(sizes)]
    extra = [max(0, (out_sp[i] - 1) * stride[i] + kernel[i] - x.shape[2 + i] - 2 * pad[i])
             for i in range(nd_)]
    widths = [(0, 0), (0, 0)] + [(pad[i], pad[i] + extra[i]) for i in range(nd_)]
    if pool_type == 'max':
        xp = np.pad(x, widths, constant_values=-np.inf)
    else:
        xp = np.pad(x, widths)
        # the divisor counts the padding (but not the ceil overflow) or real cells only
        real = np.pad(np.ones(x.shape[2:]), widths[2:])
        padded = np.pad(np.ones([s + 2 * p for s, p in zip(x.shape[2:], pad)]),
                        [(0, e) for e in extra])
        count = np.zeros(out_sp)
    res = np.full(x.shape[:2] + tuple(out_sp), -np.inf if pool_type == 'max' else 0.0)
    for tap in np.ndindex(*kernel):
        sl = tap_slices(tap, (1,) * nd_, stride, out_sp)
        if pool_type == 'max':
            res = np.maximum(res, xp[sl])
        else:
            res = res + xp[sl]
            count = count + (padded if include_pad else real)[sl[2:]]
    return res if pool_type == 'max' else res / count


def batchnorm_reference(x, gamma, beta, mean, var, eps, axis=1):
    shape = [1] * x.ndim
    shape[axis] = -1
    r = lambda a: a.reshape(shape)  # noqa: E731
    return (x - r(mean)) / np.sqrt(r(var) + eps) * r(gamma) + r(beta)


# ------------------------------------------------------------------ Dense --

@pytest.mark.parametrize('flatten', [True, False])
@pytest.mark.parametrize('activation', [None, 'tanh'])
def test_dense_against_numpy(flatten, activation):
    x = rand((2, 3, 4))
    layer = nn.Dense(5, activation=activation, flatten=flatten)
    p = build(layer, x)
    w, b = p['weight'], p['bias']
    want = (x.reshape(2, -1) if flatten else x) @ w.T + b
    if activation:
        want = np.tanh(want)
    assert w.shape == ((5, 12) if flatten else (5, 4))
    assert_almost_equal(layer(nd.array(x)).asnumpy(), want, rtol=1e-5, atol=1e-6)


def test_dense_without_bias_and_with_known_in_units():
    layer = nn.Dense(3, use_bias=False, in_units=4, dtype='float64',
                     weight_initializer=init.One())
    assert layer.bias is None and list(layer.params.keys()) == [layer.prefix + 'weight']
    layer.initialize()
    y = layer(nd.array(np.ones((2, 4)), dtype='float64'))
    assert y.dtype == np.float64
    assert_almost_equal(y.asnumpy(), np.full((2, 3), 4.0))


def test_dense_rejects_an_input_of_the_wrong_size():
    layer = nn.Dense(3, in_units=4)
    layer.initialize()
    with pytest.raises(MXNetError):
        layer(nd.ones((2, 5)))


# ------------------------------------------------------------ Convolution --

@SETTINGS
@given(seed=st.integers(0, 2 ** 16), groups=st.sampled_from([1, 2]),
       stride=st.integers(1, 2), pad=st.integers(0, 1), dilate=st.integers(1, 2),
       use_bias=st.booleans())
def test_conv1d_and_conv2d_against_numpy(seed, groups, stride, pad, dilate, use_bias):
    for ndim, cls in ((1, nn.Conv1D), (2, nn.Conv2D)):
        x = rand((2, 4) + (7,) * ndim, seed)
        layer = cls(6, 3, strides=stride, padding=pad, dilation=dilate, groups=groups,
                    use_bias=use_bias)
        p = build(layer, x, seed)
        assert p['weight'].shape == (6, 4 // groups) + (3,) * ndim
        want = conv_reference(x, p['weight'], p.get('bias'), (stride,) * ndim,
                              (pad,) * ndim, (dilate,) * ndim, groups)
        assert_almost_equal(layer(nd.array(x)).asnumpy(), want, rtol=1e-4, atol=1e-5)


def test_conv2d_rectangular_kernel_activation_and_initializers():
    x = rand((1, 2, 6, 5))
    layer = nn.Conv2D(3, (3, 2), strides=(2, 1), padding=(1, 0), activation='relu',
                      weight_initializer='ones', bias_initializer=init.Constant(-1.0))
    layer.initialize()
    y = layer(nd.array(x)).asnumpy()
    want = conv_reference(x, np.ones((3, 2, 3, 2)), -np.ones(3), (2, 1), (1, 0), (1, 1), 1)
    assert_almost_equal(y, np.maximum(want, 0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('stride,pad,adj,dilate', [
    ((1, 1), (0, 0), (0, 0), (1, 1)), ((2, 2), (1, 1), (1, 1), (1, 1)),
    ((3, 2), (0, 1), (2, 1), (1, 1)), ((1, 1), (1, 0), (0, 0), (2, 1))])
def test_conv2d_transpose_against_numpy(stride, pad, adj, dilate):
    x = rand((2, 3, 4, 5))
    layer = nn.Conv2DTranspose(2, 3, strides=stride, padding=pad, output_padding=adj,
                               dilation=dilate)
    p = build(layer, x)
    assert p['weight'].shape == (3, 2, 3, 3)
    want = deconv_reference(x, p['weight'], p['bias'], stride, pad, adj, dilate)
    got = layer(nd.array(x))
    assert got.shape == want.shape
    assert_almost_equal(got.asnumpy(), want, rtol=1e-4, atol=1e-5)


def test_conv_transpose_is_the_adjoint_of_conv_with_groups():
    x = rand((1, 4, 5, 5))
    conv = nn.Conv2D(6, 3, strides=2, groups=2, use_bias=False)
    conv.initialize()
    y = conv(nd.array(x))
    deconv = nn.Conv2DTranspose(4, 3, strides=2, groups=2, use_bias=False, in_channels=6)
    deconv.initialize()
    deconv.weight.set_data(conv.weight.data())
    g = rand(y.shape, 3)
    # <conv(x), g> == <x, conv_transpose(g)>
    lhs = (y.asnumpy() * g).sum()
    rhs = (x * deconv(nd.array(g)).asnumpy()).sum()
    assert abs(lhs - rhs) < 1e-4 * max(1.0, abs(lhs))


def test_conv_errors():
    with pytest.raises(MXNetError, match="layout='NHWC' is not supported"):
        nn.Conv2D(4, 3, layout='NHWC')
    with pytest.raises(MXNetError, match='multiples of groups'):
        nn.Conv2D(5, 3, groups=2)
    with pytest.raises(MXNetError, match='list of 2 ints'):
        nn.Conv2D(4, (3, 3, 3))
    layer = nn.Conv2D(4, 3, groups=2)
    layer.initialize()
    with pytest.raises(MXNetError, match='groups=2 does not divide'):
        layer(nd.ones((1, 3, 5, 5)))


# ---------------------------------------------------------------- Pooling --

@SETTINGS
@given(seed=st.integers(0, 2 ** 16), kernel=st.integers(1, 3), stride=st.integers(1, 3),
       pad=st.integers(0, 1), ceil=st.booleans(), include_pad=st.booleans(),
       size=st.integers(4, 7))
def test_pools_against_numpy(seed, kernel, stride, pad, ceil, include_pad, size):
    pad = min(pad, kernel // 2)
    # ceil_mode may add a last window that holds no input (MXNet gives it the lowest
    # float for max and 0/0 for an average without the padding): not tested here
    for n in (size, size + 1):
        spare = n + 2 * pad - kernel
        assume((-(-spare // stride) if ceil else spare // stride) * stride - pad < n)
    x = rand((2, 3, size, size + 1), seed)
    cases = [
        (nn.MaxPool2D(kernel, stride, pad, ceil_mode=ceil), x, 'max'),
        (nn.AvgPool2D(kernel, stride, pad, ceil_mode=ceil, count_include_pad=include_pad),
         x, 'avg'),
        (nn.MaxPool1D(kernel, stride, pad, ceil_mode=ceil), x[:, :, 0], 'max'),
        (nn.AvgPool1D(kernel, stride, pad, ceil_mode=ceil, count_include_pad=include_pad),
         x[:, :, 0], 'avg'),
    ]
    for layer, data, kind in cases:
        n = data.ndim - 2
        want = pool_reference(data, (kernel,) * n, (stride,) * n, (pad,) * n, ceil, kind,
                              include_pad)
        assert_almost_equal(layer(nd.array(data)).asnumpy(), want, rtol=1e-5, atol=1e-6)


def test_pool_strides_default_to_pool_size_and_ceil_mode_keeps_the_partial_window():
    x = np.arange(25, dtype=np.float32).reshape(1, 1, 5, 5)
    assert nn.MaxPool2D(2)(nd.array(x)).shape == (1, 1, 2, 2)
    assert_almost_equal(nn.MaxPool2D(2, ceil_mode=True)(nd.array(x)).asnumpy(),
                        [[[[6, 8, 9], [16, 18, 19], [21, 23, 24]]]])


def test_global_pools_and_channels_last():
    x = rand((2, 3, 4, 5))
    assert_almost_equal(nn.GlobalMaxPool2D()(nd.array(x)).asnumpy(),
                        x.max(axis=(2, 3), keepdims=True))
    assert_almost_equal(nn.GlobalAvgPool2D()(nd.array(x)).asnumpy(),
                        x.mean(axis=(2, 3), keepdims=True), rtol=1e-5, atol=1e-6)
    assert_almost_equal(nn.GlobalMaxPool1D()(nd.array(x[:, :, 0])).asnumpy(),
                        x[:, :, 0].max(axis=2, keepdims=True))
    assert_almost_equal(nn.GlobalAvgPool1D()(nd.array(x[:, :, 0])).asnumpy(),
                        x[:, :, 0].mean(axis=2, keepdims=True), rtol=1e-5, atol=1e-6)
    nhwc = x.transpose(0, 2, 3, 1)
    got = nn.MaxPool2D(2, layout='NHWC')(nd.array(nhwc)).asnumpy()
    want = pool_reference(x, (2, 2), (2, 2), (0, 0), False, 'max').transpose(0, 2, 3, 1)
    assert_almost_equal(got, want)
    with pytest.raises(MXNetError, match="layout='NCHW' is not supported"):
        nn.MaxPool1D(layout='NCHW')


def test_3d_pools_and_reflection_padding():
    x = rand((2, 3, 4, 6, 5))
    want = pool_reference(x, (2, 2, 2), (2, 2, 2), (1, 1, 1), True, 'avg')
    got = nn.AvgPool3D(padding=1, ceil_mode=True)(nd.array(x)).asnumpy()
    assert_almost_equal(got, want, rtol=1e-5, atol=1e-6)
    assert_almost_equal(nn.MaxPool3D(strides=1)(nd.array(x)).asnumpy(),
                        pool_reference(x, (2, 2, 2), (1, 1, 1), (0, 0, 0), False, 'max'))
    assert_almost_equal(nn.GlobalMaxPool3D()(nd.array(x)).asnumpy(),
                        x.max(axis=(2, 3, 4), keepdims=True))
    assert_almost_equal(nn.GlobalAvgPool3D()(nd.array(x)).asnumpy(),
                        x.mean(axis=(2, 3, 4), keepdims=True), rtol=1e-5, atol=1e-6)
    img = rand((1, 2, 3, 4))
    got = nn.ReflectionPad2D(2)(nd.array(img)).asnumpy()
    assert_almost_equal(got, np.pad(img, [(0, 0), (0, 0), (2, 2), (2, 2)], mode='reflect'))


# ---------------------------------------------------- normalization layers --

def test_batchnorm_train_and_predict_modes_and_running_statistics():
    x = rand((4, 3, 2, 5), scale=2.0) + 1.0
    bn = nn.BatchNorm(momentum=0.8, epsilon=1e-3)
    p = build(bn, x)
    gamma, beta = p['gamma'], p['beta']
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    with autograd.record():
        y = bn(nd.array(x))
    assert_almost_equal(y.asnumpy(), batchnorm_reference(x, gamma, beta, mean, var, 1e-3),
                        rtol=1e-4, atol=1e-5)
    running_mean, running_var = 0.2 * mean, 0.8 + 0.2 * var
    assert_almost_equal(bn.running_mean.data().asnumpy(), running_mean, rtol=1e-5, atol=1e-6)
    assert_almost_equal(bn.running_var.data().asnumpy(), running_var, rtol=1e-5, atol=1e-6)
    # prediction mode: the running statistics, which stay as they are
    y = bn(nd.array(x))
    assert_almost_equal(y.asnumpy(), batchnorm_reference(x, gamma, beta, running_mean,
                                                         running_var, 1e-3),
                        rtol=1e-4, atol=1e-5)
    assert_almost_equal(bn.running_mean.data().asnumpy(), running_mean, rtol=1e-5, atol=1e-6)


def test_batchnorm_gradients_reach_gamma_and_beta_but_not_the_running_stats():
    x = nd.array(rand((4, 3)))
    bn = nn.BatchNorm(in_channels=3)
    bn.initialize()
    assert bn.running_mean.grad_req == 'null' and bn.running_var.grad_req == 'null'
    with autograd.record():
        y = (bn(x) * nd.array(rand((4, 3), 5))).sum()
    y.backward()
    assert np.abs(bn.gamma.grad().asnumpy()).sum() > 0
    assert np.abs(bn.beta.grad().asnumpy()).sum() > 0


def test_batchnorm_options():
    x = rand((4, 5, 3), scale=2.0)
    # use_global_stats: the running statistics even while training, never updated
    bn = nn.BatchNorm(use_global_stats=True)
    p = build(bn, x)
    with autograd.record():
        y = bn(nd.array(x))
    want = batchnorm_reference(x, p['gamma'], p['beta'], np.zeros(5), np.ones(5), 1e-5)
    assert_almost_equal(y.asnumpy(), want, rtol=1e-4, atol=1e-5)
    assert_almost_equal(bn.running_mean.data().asnumpy(), np.zeros(5))
    # scale=False fixes gamma at one; center=False leaves beta at zero, unlearned
    bn = nn.BatchNorm(axis=-1, scale=False, center=False)
    bn.initialize()
    assert bn.gamma.grad_req == 'null' and bn.beta.grad_req == 'null'
    with autograd.record():
        y = bn(nd.array(x))
    assert bn.gamma.shape == (3,)
    mean, var = x.mean(axis=(0, 1)), x.var(axis=(0, 1))
    assert_almost_equal(y.asnumpy(), (x - mean) / np.sqrt(var + 1e-5), rtol=1e-4, atol=1e-5)


def test_batchnorm_cast_keeps_float32_statistics_for_float16():
    bn = nn.BatchNorm(in_channels=2)
    bn.cast('float16')
    assert all(np.dtype(p.dtype) == np.float32 for p in bn.collect_params().values())
    bn.cast('float64')
    assert all(np.dtype(p.dtype) == np.float64 for p in bn.collect_params().values())


@pytest.mark.parametrize('axis', [1, 2, -1])
def test_instancenorm_against_numpy(axis):
    x = rand((2, 3, 4, 5), scale=2.0)
    norm = nn.InstanceNorm(axis=axis, scale=True, epsilon=1e-4)
    p = build(norm, x)
    ax = axis % x.ndim
    reduce_axes = tuple(i for i in range(1, x.ndim) if i != ax)
    mean = x.mean(axis=reduce_axes, keepdims=True)
    var = x.var(axis=reduce_axes, keepdims=True)
    shape = [1] * x.ndim
    shape[ax] = -1
    want = (x - mean) / np.sqrt(var + 1e-4) * p['gamma'].reshape(shape) \
        + p['beta'].reshape(shape)
    assert p['gamma'].shape == (x.shape[ax],)
    assert_almost_equal(norm(nd.array(x)).asnumpy(), want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('axis', [-1, 1])
def test_layernorm_against_numpy(axis):
    x = rand((2, 3, 4), scale=2.0)
    norm = nn.LayerNorm(axis=axis, epsilon=1e-4)
    p = build(norm, x)
    mean = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, keepdims=True)
    shape = [1] * x.ndim
    shape[axis] = -1
    want = (x - mean) / np.sqrt(var + 1e-4) * p['gamma'].reshape(shape) \
        + p['beta'].reshape(shape)
    assert_almost_equal(norm(nd.array(x)).asnumpy(), want, rtol=1e-4, atol=1e-5)


# ------------------------------------------- Dropout, Embedding, Flatten --

def test_dropout_train_and_predict():
    x = nd.ones((200, 50))
    drop = nn.Dropout(0.3)
    assert_almost_equal(drop(x).asnumpy(), np.ones((200, 50)))
    with autograd.record():
        y = drop(x).asnumpy()
    assert_almost_equal(y[y != 0], np.full((y != 0).sum(), 1 / 0.7), rtol=1e-6)
    assert abs((y == 0).mean() - 0.3) < 0.03
    with autograd.record():
        y = nn.Dropout(0.5, axes=(1,))(x).asnumpy()
    assert (y == y[:, :1]).all()         # one draw per row, shared along axis 1
    with autograd.record():
        assert_almost_equal(nn.Dropout(0)(x).asnumpy(), np.ones((200, 50)))


def test_embedding_and_its_gradient():
    emb = nn.Embedding(6, 3)
    emb.initialize()
    w = emb.weight.data().asnumpy()
    idx = np.array([[0, 5], [2, 2]], dtype=np.float32)
    with autograd.record():
        y = emb(nd.array(idx))
    assert_almost_equal(y.asnumpy(), w[idx.astype(int)])
    y.backward()
    want = np.zeros((6, 3))
    np.add.at(want, idx.astype(int).ravel(), 1.0)
    assert_almost_equal(emb.weight.grad().asnumpy(), want)
    assert nn.Embedding(6, 3, sparse_grad=True).weight.grad_stype == 'row_sparse'


def test_flatten():
    x = rand((2, 3, 4))
    assert_almost_equal(nn.Flatten()(nd.array(x)).asnumpy(), x.reshape(2, 12))


# ----------------------------------------------------------- activations --

def test_activation_layers_against_numpy():
    x = rand((3, 4), scale=3.0)
    erf = np.vectorize(__import__('math').erf)
    cases = [
        (nn.Activation('relu'), np.maximum(x, 0)),
        (nn.Activation('sigmoid'), 1 / (1 + np.exp(-x))),
        (nn.Activation('tanh'), np.tanh(x)),
        (nn.Activation('softrelu'), np.log1p(np.exp(x))),
        (nn.Activation('softsign'), x / (1 + np.abs(x))),
        (nn.LeakyReLU(0.1), np.where(x > 0, x, 0.1 * x)),
        (nn.ELU(), np.where(x > 0, x, np.expm1(x))),
        (nn.ELU(0.5), np.where(x > 0, x, 0.5 * np.expm1(x))),
        (nn.SELU(), 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))),
        (nn.GELU(), 0.5 * x * (1 + erf(x / np.sqrt(2)))),
        (nn.Swish(), x / (1 + np.exp(-x))),
        (nn.Swish(beta=2.0), x / (1 + np.exp(-2 * x))),
    ]
    for layer, want in cases:
        assert_almost_equal(layer(nd.array(x)).asnumpy(), want, rtol=1e-5, atol=1e-6,
                            names=(repr(layer), 'numpy'))


def test_prelu_learns_its_slopes():
    x = rand((2, 3, 4), scale=2.0)
    prelu = nn.PReLU(in_channels=3)
    prelu.initialize()
    assert_almost_equal(prelu.alpha.data().asnumpy(), np.full(3, 0.25))
    alpha = np.array([0.1, 0.2, 0.3], dtype=np.float32)
    prelu.alpha.set_data(nd.array(alpha))
    with autograd.record():
        y = prelu(nd.array(x))
    a = alpha.reshape(1, 3, 1)
    assert_almost_equal(y.asnumpy(), np.where(x > 0, x, a * x), rtol=1e-6)
    y.backward()
    assert_almost_equal(prelu.alpha.grad().asnumpy(), np.where(x > 0, 0, x).sum(axis=(0, 2)),
                        rtol=1e-5, atol=1e-6)
    custom = nn.PReLU(alpha_initializer=init.Constant(0.5))
    custom.initialize()
    assert_almost_equal(custom(nd.array([-2.0, 2.0])).asnumpy(), [-1.0, 2.0])


def test_activation_errors():
    with pytest.raises(MXNetError, match='at least 0'):
        nn.LeakyReLU(-0.1)
    with pytest.raises(MXNetError, match='act_type'):
        nn.Activation('cube')(nd.ones(2))


def test_swish_gradient():
    swish = nn.Swish(beta=1.5)
    check_numeric_gradient(lambda x: swish(x), [rand((3, 4), scale=2.0)])


# ------------------------------------------------- names, shapes and reprs --

def test_parameter_names_and_deferred_shapes():
    with NameManager():
        dense, conv, deconv = nn.Dense(10), nn.Conv2D(6, 5), nn.Conv2DTranspose(3, 2)
        bn, ln, inorm = nn.BatchNorm(), nn.LayerNorm(), nn.InstanceNorm()
        emb, pool, act = nn.Embedding(5, 2), nn.MaxPool2D(), nn.Activation('relu')
    assert [b.name for b in (dense, conv, deconv, bn, ln, inorm, emb, pool, act)] == [
        'dense0', 'conv0', 'conv1', 'batchnorm0', 'layernorm0', 'instancenorm0',
        'embedding0', 'pool0', 'relu0']
    assert list(bn.collect_params().keys()) == [
        'batchnorm0_gamma', 'batchnorm0_beta', 'batchnorm0_running_mean',
        'batchnorm0_running_var']
    expected = {
        dense: (np.ones((2, 4, 7)), {'dense0_weight': (10, 28), 'dense0_bias': (10,)}),
        conv: (np.ones((2, 3, 8, 8)), {'conv0_weight': (6, 3, 5, 5), 'conv0_bias': (6,)}),
        deconv: (np.ones((2, 4, 3, 3)), {'conv1_weight': (4, 3, 2, 2), 'conv1_bias': (3,)}),
        bn: (np.ones((2, 3, 4)), {'batchnorm0_gamma': (3,), 'batchnorm0_running_var': (3,)}),
        ln: (np.ones((2, 3, 4)), {'layernorm0_gamma': (4,), 'layernorm0_beta': (4,)}),
        inorm: (np.ones((2, 3, 4)), {'instancenorm0_gamma': (3,)}),
    }
    for layer, (x, shapes) in expected.items():
        params = layer.collect_params()
        assert any(0 in params[name].shape for name in shapes)
        layer.initialize()
        layer(nd.array(x))
        for name, shape in shapes.items():
            assert params[name].shape == shape
            assert params[name].data().shape == shape


def test_names_inside_a_hybrid_sequential():
    with NameManager():
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Dense(4, activation='relu'), nn.BatchNorm(), nn.Dense(2))
    assert list(net.collect_params().keys()) == [
        'hybridsequential0_dense0_weight', 'hybridsequential0_dense0_bias',
        'hybridsequential0_batchnorm0_gamma', 'hybridsequential0_batchnorm0_beta',
        'hybridsequential0_batchnorm0_running_mean',
        'hybridsequential0_batchnorm0_running_var',
        'hybridsequential0_dense1_weight', 'hybridsequential0_dense1_bias']
    net.initialize()
    net.hybridize()
    assert net(nd.ones((3, 5))).shape == (3, 2)


def test_reprs():
    cases = [
        (nn.Dense(10), 'Dense(None -> 10, linear)'),
        (nn.Dense(10, in_units=784, activation='relu'), 'Dense(784 -> 10, Activation(relu))'),
        (nn.Dropout(0.5), 'Dropout(p = 0.5, axes=())'),
        (nn.BatchNorm(), 'BatchNorm(axis=1, eps=1e-05, momentum=0.9, fix_gamma=False, '
                         'use_global_stats=False, in_channels=None)'),
        (nn.BatchNorm(in_channels=3, scale=False), 'BatchNorm(axis=1, eps=1e-05, '
         'momentum=0.9, fix_gamma=True, use_global_stats=False, in_channels=3)'),
        (nn.InstanceNorm(), 'InstanceNorm(eps=1e-05, axis=1, center=True, scale=False, '
                            'in_channels=0)'),
        (nn.LayerNorm(in_channels=4), 'LayerNorm(eps=1e-05, axis=-1, center=True, '
                                      'scale=True, in_channels=4)'),
        (nn.Embedding(10, 4), 'Embedding(10 -> 4, float32)'),
        (nn.Flatten(), 'Flatten'),
        (nn.Conv1D(4, 3), 'Conv1D(None -> 4, kernel_size=(3,), stride=(1,))'),
        (nn.Conv2D(6, 5, in_channels=1), 'Conv2D(1 -> 6, kernel_size=(5, 5), stride=(1, 1))'),
        (nn.Conv2D(6, 3, strides=2, padding=1, dilation=2, groups=2, use_bias=False,
                   activation='relu'),
         'Conv2D(None -> 6, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), '
         'dilation=(2, 2), groups=2, bias=False, Activation(relu))'),
        (nn.Conv2DTranspose(3, 3, strides=2, output_padding=1, in_channels=8),
         'Conv2DTranspose(8 -> 3, kernel_size=(3, 3), stride=(2, 2), '
         'output_padding=(1, 1))'),
        (nn.MaxPool2D(3, 2, 1, ceil_mode=True),
         'MaxPool2D(size=(3, 3), stride=(2, 2), padding=(1, 1), ceil_mode=True, '
         'global_pool=False, pool_type=max, layout=NCHW)'),
        (nn.AvgPool1D(), 'AvgPool1D(size=(2,), stride=(2,), padding=(0,), ceil_mode=False, '
                         'global_pool=False, pool_type=avg, layout=NCW)'),
        (nn.GlobalAvgPool2D(), 'GlobalAvgPool2D(size=(1, 1), stride=(1, 1), padding=(0, 0), '
                               'ceil_mode=True, global_pool=True, pool_type=avg, '
                               'layout=NCHW)'),
        (nn.Activation('tanh'), 'Activation(tanh)'),
        (nn.LeakyReLU(0.1), 'LeakyReLU(0.1)'),
    ]
    for layer, want in cases:
        assert repr(layer) == want
    dense = nn.Dense(3)
    dense.initialize()
    dense(nd.ones((1, 7)))
    assert repr(dense) == 'Dense(7 -> 3, linear)'


# ------------------------------------------------------------- end to end --

def test_mlp_with_softmax_cross_entropy_learns():
    rng = np.random.RandomState(0)
    centers = rng.normal(0, 3, (3, 8))
    labels = rng.randint(0, 3, 120)
    data = (centers[labels] + rng.normal(0, 1, (120, 8))).astype(np.float32)
    x, y = nd.array(data), nd.array(labels)
    mx.random.seed(0)
    net = nn.HybridSequential()
    net.add(nn.Dense(16, activation='relu'), nn.BatchNorm(), nn.Dropout(0.1), nn.Dense(3))
    net.initialize(init.Xavier())
    loss_fn = gloss.SoftmaxCrossEntropyLoss()
    params = [p for p in net.collect_params().values() if p.grad_req != 'null']
    losses = []
    for _ in range(15):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        for p in params:
            p.set_data(p.data() - 0.5 / len(data) * p.grad())
        losses.append(loss.mean().asscalar())
    assert losses[-1] < 0.3 * losses[0]
    accuracy = (net(x).argmax(axis=1).asnumpy() == labels).mean()
    assert accuracy > 0.9
