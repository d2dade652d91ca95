"""Normalization layers: BatchNorm, LayerNorm, InstanceNorm and L2Normalization.

The first three standardize groups of values and then scale and shift them
per channel: ``out = (x - mean) / sqrt(var + eps) * gamma + beta``. They
differ in which values form a group:

- BatchNorm: one group per channel, across the batch and every other axis;
- LayerNorm: one group per position, along the channel axis;
- InstanceNorm: one group per (example, channel), across the spatial axes.

For a group of ``n`` values with ``xhat = (x - mean) * r``, ``r = 1/sqrt(var +
eps)``, and ``g = d(out) * gamma``, the gradient is

    ``dx = r * (g - mean(g) - xhat * mean(g * xhat))``,

where the two subtracted terms are the paths through the group's mean and
variance. ``dgamma = sum(d(out) * xhat)`` and ``dbeta = sum(d(out))`` over
everything but the channel. LayerNorm and InstanceNorm write it with ``F``
operators (so it can be differentiated again); BatchNorm has its own backward
operator, with a compiled kernel on the CPU (``mxlearn._ext.batchnorm``) and
CUDA kernels on the GPU (``mxlearn.gpu_kernels.batchnorm``).

L2Normalization divides by ``sqrt(sum(x**2) + eps)`` over a group instead.

BatchNorm in training mode normalizes with the batch's statistics and moves
the moving ones towards them (in place, like MXNet); otherwise, or with
``use_global_stats=True``, it normalizes with the moving statistics.
"""
import math

import numpy

from .._ext.core import is_training
from ..base import MXNetError
from ..gpu_kernels import launches_kernels
from .registry import register, second_order_unsupported
from .shapes import check_axis

_BN_PARAMS = ('gamma', 'beta', 'moving_mean', 'moving_var')
_L2_MODES = ('channel', 'instance', 'spatial')


# ------------------------------------------------------------- helpers --

def _check_float(dtype):
    if numpy.dtype(dtype).kind != 'f':
        raise MXNetError('expected floating-point data, got %s; convert it with '
                         'astype("float32")' % (numpy.dtype(dtype),))


def _check_params(shapes, names, size, where):
    for name, shape in zip(names, shapes):
        if tuple(shape) != (size,):
            raise MXNetError('%s must have shape (%d,) (the size of %s), got %s'
                             % (name, size, where, tuple(shape)))


def _along(ndim, axis):
    """The shape that lines a ``(C,)`` vector up with ``axis`` of an ``ndim``-d array."""
    return (1,) * axis + (-1,) + (1,) * (ndim - axis - 1)


def _channel_view(xp, data, axis):
    """``data`` as a C-contiguous ``(outer, C, inner)`` array around ``axis``."""
    shape = data.shape
    return xp.ascontiguousarray(data).reshape(
        math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1:]))


def _work_dtype(dtype):
    # float16 statistics lose too much: compute in float32 and round the result.
    return numpy.dtype(numpy.float32) if dtype == numpy.float16 else numpy.dtype(dtype)


# ----------------------------------------------------------- BatchNorm --

def _batchnorm_axis(in_shapes, axis):
    data = tuple(in_shapes[0])
    ax = check_axis(axis, len(data))
    _check_params(in_shapes[1:], _BN_PARAMS, data[ax], 'axis %d of data' % ax)
    return ax


def _batchnorm_shape(in_shapes, axis=1, output_mean_var=False, **attrs):
    ax = _batchnorm_axis(in_shapes, axis)
    channels = (in_shapes[0][ax],)
    return [tuple(in_shapes[0])] + ([channels, channels] if output_mean_var else [])


def _batchnorm_type(in_dtypes, output_mean_var=False, **attrs):
    data = numpy.dtype(in_dtypes[0])
    _check_float(data)
    want = _work_dtype(data)
    for name, dtype in zip(_BN_PARAMS, in_dtypes[1:]):
        if numpy.dtype(dtype) != want:
            raise MXNetError('%s must be %s for %s data (float16 data takes float32 '
                             'parameters), got %s' % (name, want, data, numpy.dtype(dtype)))
    return [data] + ([want, want] if output_mean_var else [])


def _use_kernel(xp, x3, *params):
    return (xp is numpy and x3.dtype in (numpy.float32, numpy.float64) and x3.size > 0
            and all(p.flags.c_contiguous for p in params))


def _use_gpu_kernel(xp, x3, *params):
    # The kernels update the moving statistics in place through raw pointers.
    return (x3.size > 0 and launches_kernels(xp, x3, *params)
            and all(p.dtype == x3.dtype and p.flags.c_contiguous for p in params))


def _batch_moments(x3):
    """Per-channel mean and (biased) variance of ``(outer, C, inner)`` data."""
    return x3.mean(axis=(0, 2)), x3.var(axis=(0, 2))


def _batchnorm_reference(xp, x3, gamma, beta, moving_mean, moving_var, eps, momentum,
                         training):
    """Batch normalization of ``(outer, C, inner)`` data with numpy/CuPy operations.

    The readable twin of ``mxlearn._ext.batchnorm.forward`` (and what runs on
    the GPU). Returns ``(out, mean, invstd)``; in training the moving
    statistics are updated in place with the batch mean and biased variance.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[1.0], [10.0]], [[3.0], [30.0]]])
    >>> mm, mv = np.zeros(2), np.ones(2)
    >>> out, mean, invstd = _batchnorm_reference(np, x, np.ones(2), np.zeros(2), mm, mv,
    ...                                          0.0, 0.9, True)
    >>> out[:, :, 0], mv
    (array([[-1., -1.],
           [ 1.,  1.]]), array([ 1. , 10.9]))
    """
    x = x3.astype(gamma.dtype, copy=False)
    if training:
        mean, var = _batch_moments(x)
        moving_mean[...] = moving_mean * momentum + mean * (1 - momentum)
        moving_var[...] = moving_var * momentum + var * (1 - momentum)
    else:
        mean, var = moving_mean.copy(), moving_var
    invstd = 1 / xp.sqrt(var + eps)
    out = (x - mean[:, None]) * (gamma * invstd)[:, None] + beta[:, None]
    return out.astype(x3.dtype, copy=False), mean, invstd


def _batchnorm_backward_reference(xp, dy3, x3, gamma, moving_mean, moving_var, eps,
                                  batch_stats):
    """``(dx, dgamma, dbeta)`` of batch normalization, with numpy/CuPy operations.

    The readable twin of ``mxlearn._ext.batchnorm.backward``: with
    ``batch_stats`` the statistics are the batch's (recomputed from ``x3``)
    and ``dx`` includes the paths through them; otherwise they are the moving
    ones, constants, and ``dx = gamma * invstd * dy``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[1.0]], [[3.0]]])                       # one channel
    >>> dx, dgamma, dbeta = _batchnorm_backward_reference(
    ...     np, np.array([[[1.0]], [[0.0]]]), x, np.ones(1), None, None, 0.0, True)
    >>> dx[:, 0, 0], dgamma, dbeta
    (array([0., 0.]), array([-1.]), array([1.]))
    """
    x = x3.astype(gamma.dtype, copy=False)
    dy = dy3.astype(gamma.dtype, copy=False)
    mean, var = _batch_moments(x) if batch_stats else (moving_mean, moving_var)
    invstd = 1 / xp.sqrt(var + eps)
    xhat = (x - mean[:, None]) * invstd[:, None]
    dbeta = dy.sum(axis=(0, 2))
    dgamma = (dy * xhat).sum(axis=(0, 2))
    scale = (gamma * invstd)[:, None]
    if batch_stats:
        n = x.shape[0] * x.shape[2]
        dx = scale * (dy - dbeta[:, None] / n - xhat * dgamma[:, None] / n)
    else:
        dx = scale * dy
    return dx.astype(x3.dtype, copy=False), dgamma, dbeta


def _grad_batchnorm(F, inputs, outputs, ograds, eps=1e-3, momentum=0.9, fix_gamma=True,
                    use_global_stats=False, output_mean_var=False, axis=1, **unused):
    # As in MXNet, the mode of the backward pass (autograd.backward's
    # train_mode) decides whether the batch statistics are differentiated.
    # Gradients sent to the mean and invstd outputs are dropped, as in MXNet.
    data, gamma, _, moving_mean, moving_var = inputs
    dx, dgamma, dbeta = F._backward_BatchNorm(
        ograds[0], data, gamma, moving_mean, moving_var, eps=eps, axis=axis,
        fix_gamma=fix_gamma, batch_stats=is_training() and not use_global_stats)
    return dx, dgamma, dbeta, None, None


@register('BatchNorm', gradient=_grad_batchnorm, infer_shape=_batchnorm_shape,
          infer_type=_batchnorm_type, same_dtype=False)
def batch_norm(xp, data, gamma, beta, moving_mean, moving_var, *, eps=1e-3, momentum=0.9,
               fix_gamma=True, use_global_stats=False, output_mean_var=False, axis=1,
               cudnn_off=False, min_calib_range=None, max_calib_range=None):
    """Batch normalization: standardize each channel with batch or moving statistics.

    ``out = (data - mean) / sqrt(var + eps) * gamma + beta``, per channel
    (``axis``), where ``mean`` and ``var`` are taken over every other axis.

    - In training mode (``autograd.record()`` or ``autograd.train_mode()``)
      they are the batch's mean and biased variance, and the moving
      statistics are updated in place:
      ``moving = moving * momentum + batch * (1 - momentum)``.
    - Otherwise, or with ``use_global_stats=True``, they are ``moving_mean``
      and ``moving_var`` (nothing is updated).

    Parameters
    ----------
    data : NDArray
        Floating-point input; float16 data takes float32 parameters.
    gamma, beta : NDArray, shape (C,)
        Scale and shift, ``C = data.shape[axis]``.
    moving_mean, moving_var : NDArray, shape (C,)
        The running statistics (auxiliary states: updated, not differentiated).
    eps : float, default 1e-3
        Added to the variance under the square root.
    momentum : float, default 0.9
        How much of the moving statistics each training batch keeps.
    fix_gamma : bool, default True
        Use ``gamma = 1``: like MXNet, ``gamma`` is overwritten with ones and
        its gradient is zero.
    use_global_stats : bool, default False
        Normalize with the moving statistics in training mode too.
    output_mean_var : bool, default False
        Also return the mean and the inverse standard deviation
        ``1 / sqrt(var + eps)`` used (batch or moving); no gradient flows
        through them.
    axis : int, default 1
        The channel axis.
    cudnn_off, min_calib_range, max_calib_range
        MXNet's cuDNN and quantization options; accepted and ignored.

    Returns
    -------
    NDArray or list of NDArray
        ``out`` (shaped like ``data``), or ``[out, mean, invstd]``.

    Notes
    -----
    The backward pass differentiates through the batch statistics when it
    runs in training mode (``backward(train_mode=True)``, the default) and
    ``use_global_stats`` is False, as MXNet's does; the statistics are the
    batch's (recomputed) or the current moving ones accordingly. MXNet's CPU
    operator updates the moving statistics in its backward pass; here, as
    in MXNet's GPU operator, the forward pass does it.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 10], [3, 30]])              # 2 examples, 2 channels
    >>> gamma, beta = mx.nd.ones(2), mx.nd.zeros(2)
    >>> moving_mean, moving_var = mx.nd.zeros(2), mx.nd.ones(2)
    >>> with mx.autograd.train_mode():
    ...     y = mx.nd.BatchNorm(x, gamma, beta, moving_mean, moving_var, eps=0)
    >>> y.asnumpy()
    array([[-1., -1.],
           [ 1.,  1.]], dtype=float32)
    >>> moving_mean.asnumpy()                            # 10% of the way to [2, 20]
    array([0.2, 2. ], dtype=float32)
    >>> mx.nd.BatchNorm(x, gamma, beta, moving_mean, moving_var).shape  # inference
    (2, 2)
    """
    ax = _batchnorm_axis([data.shape, gamma.shape, beta.shape, moving_mean.shape,
                          moving_var.shape], axis)
    _batchnorm_type([data.dtype, gamma.dtype, beta.dtype, moving_mean.dtype,
                     moving_var.dtype])
    if fix_gamma:
        gamma[...] = 1
    x3 = _channel_view(xp, data, ax)
    # An empty batch has no statistics: it is normalized with the moving ones.
    training = is_training() and not use_global_stats and x3.shape[0] * x3.shape[2] > 0
    if _use_kernel(xp, x3, moving_mean, moving_var):
        from .._ext import batchnorm
        out, mean, invstd = batchnorm.forward(
            x3, xp.ascontiguousarray(gamma), xp.ascontiguousarray(beta), moving_mean,
            moving_var, eps, momentum, training)
    elif _use_gpu_kernel(xp, x3, gamma, beta, moving_mean, moving_var):
        from ..gpu_kernels import batchnorm as gpu_batchnorm
        out, mean, invstd = gpu_batchnorm.forward(x3, gamma, beta, moving_mean, moving_var,
                                                  eps, momentum, training)
    else:
        out, mean, invstd = _batchnorm_reference(xp, x3, gamma, beta, moving_mean,
                                                 moving_var, eps, momentum, training)
    out = out.reshape(data.shape)
    return (out, mean, invstd) if output_mean_var else out


def _backward_batchnorm_shape(in_shapes, axis=1, **attrs):
    ograd, data = tuple(in_shapes[0]), tuple(in_shapes[1])
    if ograd != data:
        raise MXNetError('ograd must have the shape of data %s, got %s' % (data, ograd))
    ax = check_axis(axis, len(data))
    _check_params(in_shapes[2:], ('gamma', 'moving_mean', 'moving_var'), data[ax],
                  'axis %d of data' % ax)
    return [data, (data[ax],), (data[ax],)]


def _backward_batchnorm_type(in_dtypes, **attrs):
    return [numpy.dtype(in_dtypes[1]), numpy.dtype(in_dtypes[2]), numpy.dtype(in_dtypes[2])]


@register('_backward_BatchNorm', gradient=second_order_unsupported('_backward_BatchNorm'),
          infer_shape=_backward_batchnorm_shape, infer_type=_backward_batchnorm_type,
          same_dtype=False)
def _backward_batch_norm(xp, ograd, data, gamma, moving_mean, moving_var, *, eps=1e-3,
                         axis=1, fix_gamma=True, batch_stats=True):
    """The gradients ``(dx, dgamma, dbeta)`` of BatchNorm for the out-gradient ``ograd``.

    ``batch_stats`` says whether the forward pass normalized with the batch
    statistics (recomputed here from ``data``) or with the moving ones.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1], [3]])
    >>> dx, dgamma, dbeta = mx.nd._backward_BatchNorm(
    ...     mx.nd.array([[1], [0]]), x, mx.nd.ones(1), mx.nd.zeros(1), mx.nd.ones(1),
    ...     eps=0, fix_gamma=False)
    >>> dx.asnumpy().ravel(), dgamma.asnumpy(), dbeta.asnumpy()
    (array([0., 0.], dtype=float32), array([-1.], dtype=float32), array([1.], dtype=float32))
    """
    ax = check_axis(axis, data.ndim)
    gamma = xp.ones_like(gamma) if fix_gamma else xp.ascontiguousarray(gamma)
    x3 = _channel_view(xp, data, ax)
    dy3 = _channel_view(xp, ograd, ax)
    if x3.size == 0:
        zeros = xp.zeros_like(gamma)
        return xp.zeros_like(data), zeros, zeros.copy()
    if _use_kernel(xp, x3, moving_mean, moving_var) and dy3.dtype == x3.dtype:
        from .._ext import batchnorm
        dx, dgamma, dbeta = batchnorm.backward(dy3, x3, gamma, moving_mean, moving_var, eps,
                                               batch_stats)
    elif _use_gpu_kernel(xp, x3, dy3, gamma, moving_mean, moving_var):
        from ..gpu_kernels import batchnorm as gpu_batchnorm
        dx, dgamma, dbeta = gpu_batchnorm.backward(dy3, x3, gamma, moving_mean, moving_var, eps,
                                                   batch_stats)
    else:
        dx, dgamma, dbeta = _batchnorm_backward_reference(
            xp, dy3, x3, gamma, moving_mean, moving_var, eps, batch_stats)
    if fix_gamma:
        dgamma[...] = 0
    return dx.reshape(data.shape), dgamma, dbeta


# ------------------------------------------------- LayerNorm, InstanceNorm --

def _normalize(xp, data, gamma, beta, stat_axes, channel_axis, eps):
    """``(out, mean, std)`` of ``(data - mean) / std * gamma + beta`` over ``stat_axes``."""
    _check_float(data.dtype)
    x = data.astype(_work_dtype(data.dtype), copy=False)
    mean = x.mean(axis=stat_axes, keepdims=True)
    std = xp.sqrt(x.var(axis=stat_axes, keepdims=True) + eps)
    shape = _along(data.ndim, channel_axis)
    out = (x - mean) / std * gamma.reshape(shape) + beta.reshape(shape)
    return tuple(a.astype(data.dtype, copy=False) for a in (out, mean, std))


def _grad_normalized(F, data, gamma, ograd, stat_axes, channel_axis, eps):
    """``(dx, dgamma, dbeta)`` of :func:`_normalize`, written with ``F`` operators."""
    mean = F.mean(data, axis=stat_axes, keepdims=True)
    centered = F.broadcast_sub(data, mean)
    r = F.rsqrt(F.mean(F.square(centered), axis=stat_axes, keepdims=True) + eps)
    xhat = F.broadcast_mul(centered, r)
    g = F.broadcast_mul(ograd, F.reshape(gamma, shape=_along(data.ndim, channel_axis)))
    g = F.broadcast_sub(g, F.mean(g, axis=stat_axes, keepdims=True))
    g = g - F.broadcast_mul(xhat, F.mean(g * xhat, axis=stat_axes, keepdims=True))
    dgamma = F.sum(ograd * xhat, axis=channel_axis, exclude=True)
    dbeta = F.sum(ograd, axis=channel_axis, exclude=True)
    return F.broadcast_mul(g, r), dgamma, dbeta


def _layernorm_shape(in_shapes, axis=-1, eps=1e-5, output_mean_var=False):
    data = tuple(in_shapes[0])
    ax = check_axis(axis, len(data))
    _check_params(in_shapes[1:], ('gamma', 'beta'), data[ax], 'axis %d of data' % ax)
    stat = data[:ax] + (1,) + data[ax + 1:]
    return [data] + ([stat, stat] if output_mean_var else [])


def _layernorm_type(in_dtypes, axis=-1, eps=1e-5, output_mean_var=False):
    _check_float(in_dtypes[0])
    return [numpy.dtype(in_dtypes[0])] * (3 if output_mean_var else 1)


def _grad_layernorm(F, inputs, outputs, ograds, axis=-1, eps=1e-5, output_mean_var=False):
    # Gradients sent to the mean and std outputs are dropped, as in MXNet.
    ax = check_axis(axis, inputs[0].ndim)
    return _grad_normalized(F, inputs[0], inputs[1], ograds[0], ax, ax, eps)


@register('LayerNorm', gradient=_grad_layernorm, infer_shape=_layernorm_shape,
          infer_type=_layernorm_type)
def layer_norm(xp, data, gamma, beta, *, axis=-1, eps=1e-5, output_mean_var=False):
    """Layer normalization: standardize along ``axis``, then scale and shift.

    ``out = (data - mean) / sqrt(var + eps) * gamma + beta``, where ``mean``
    and ``var`` are taken along ``axis`` separately at every other position,
    and ``gamma``, ``beta`` are indexed along ``axis``.

    Parameters
    ----------
    data : NDArray
        Floating-point input.
    gamma, beta : NDArray, shape (data.shape[axis],)
    axis : int, default -1
        The axis normalized over.
    eps : float, default 1e-5
    output_mean_var : bool, default False
        Also return the mean and the standard deviation ``sqrt(var + eps)``
        (shaped like ``data`` with ``axis`` of size 1); no gradient flows
        through them.

    Returns
    -------
    NDArray or list of NDArray
        ``out``, or ``[out, mean, std]``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[0, 2], [5, 5]])
    >>> mx.nd.LayerNorm(x, mx.nd.ones(2), mx.nd.zeros(2)).asnumpy().round(4)
    array([[-1.,  1.],
           [ 0.,  0.]], dtype=float32)
    """
    _layernorm_shape([data.shape, gamma.shape, beta.shape], axis=axis)
    ax = check_axis(axis, data.ndim)
    out, mean, std = _normalize(xp, data, gamma, beta, ax, ax, eps)
    return (out, mean, std) if output_mean_var else out


def _instancenorm_shape(in_shapes, eps=1e-3):
    data = tuple(in_shapes[0])
    if len(data) < 3:
        raise MXNetError('InstanceNorm needs data of at least 3 dimensions (batch, '
                         'channel, spatial...), got shape %s' % (data,))
    _check_params(in_shapes[1:], ('gamma', 'beta'), data[1], 'axis 1 of data')
    return [data]


def _grad_instancenorm(F, inputs, outputs, ograds, eps=1e-3):
    axes = tuple(range(2, inputs[0].ndim))
    return _grad_normalized(F, inputs[0], inputs[1], ograds[0], axes, 1, eps)


@register('InstanceNorm', gradient=_grad_instancenorm, infer_shape=_instancenorm_shape)
def instance_norm(xp, data, gamma, beta, *, eps=1e-3):
    """Instance normalization: standardize each example's channel over its spatial axes.

    ``out = (data - mean) / sqrt(var + eps) * gamma + beta``, where ``mean``
    and ``var`` are taken over axes ``2, 3, ...`` for each example and channel
    (the same in training and inference), and ``gamma``, ``beta`` are per channel.

    Parameters
    ----------
    data : NDArray
        Floating-point input of shape ``(batch, channel, spatial...)``, at least 3-d.
    gamma, beta : NDArray, shape (channel,)
    eps : float, default 1e-3

    Returns
    -------
    NDArray
        Shaped like ``data``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[[1.1, 2.2]], [[3.3, 4.4]]])
    >>> mx.nd.InstanceNorm(x, mx.nd.array([1.5]), mx.nd.array([0.5])).asnumpy().round(4)
    array([[[-0.9975,  1.9975]],
    <BLANKLINE>
           [[-0.9975,  1.9975]]], dtype=float32)
    """
    _instancenorm_shape([data.shape, gamma.shape, beta.shape])
    return _normalize(xp, data, gamma, beta, tuple(range(2, data.ndim)), 1, eps)[0]


# ----------------------------------------------------- L2Normalization --

def _l2_axes(mode, ndim):
    """The axes L2Normalization sums over in ``mode``."""
    if mode not in _L2_MODES:
        raise MXNetError('mode must be one of %s, got %r'
                         % (', '.join(repr(m) for m in _L2_MODES), mode))
    if mode == 'instance':
        return tuple(range(1, ndim)) if ndim > 1 else (0,)
    if ndim < 3:
        raise MXNetError("mode=%r needs data of at least 3 dimensions (batch, channel, "
                         "spatial...), got %d" % (mode, ndim))
    return (1,) if mode == 'channel' else tuple(range(2, ndim))


def _l2_shape(in_shapes, eps=1e-10, mode='instance'):
    _l2_axes(mode, len(in_shapes[0]))
    return [tuple(in_shapes[0])]


def _grad_l2(F, inputs, outputs, ograds, eps=1e-10, mode='instance'):
    # With y = x / n and n = sqrt(sum(x**2) + eps): dx = (dy - y * sum(dy * y)) / n.
    x, y, dy = inputs[0], outputs[0], ograds[0]
    axes = _l2_axes(mode, x.ndim)
    norm = F.sqrt(F.sum(F.square(x), axis=axes, keepdims=True) + eps)
    dx = dy - F.broadcast_mul(y, F.sum(dy * y, axis=axes, keepdims=True))
    return (F.broadcast_div(dx, norm),)


@register('L2Normalization', gradient=_grad_l2, infer_shape=_l2_shape)
def l2_normalization(xp, data, *, eps=1e-10, mode='instance'):
    """Divide by the L2 norm: ``data / sqrt(sum(data**2) + eps)`` over groups of values.

    Parameters
    ----------
    data : NDArray
        Floating-point input; 'channel' and 'spatial' need at least 3 axes
        ``(batch, channel, spatial...)``.
    eps : float, default 1e-10
    mode : {'instance', 'channel', 'spatial'}, default 'instance'
        What a group is: 'instance' normalizes each example (everything but
        axis 0; a 1-d array as a whole), 'channel' normalizes across the
        channels (axis 1) at each example and position, 'spatial' normalizes
        each example's channel over the spatial axes.

    Returns
    -------
    NDArray
        Shaped like ``data``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[3, 4], [0, 2]])
    >>> mx.nd.L2Normalization(x).asnumpy()
    array([[0.6, 0.8],
           [0. , 1. ]], dtype=float32)
    """
    _check_float(data.dtype)
    axes = _l2_axes(mode, data.ndim)
    x = data.astype(_work_dtype(data.dtype), copy=False)
    norm = xp.sqrt((x * x).sum(axis=axes, keepdims=True) + eps)
    return (x / norm).astype(data.dtype, copy=False)
