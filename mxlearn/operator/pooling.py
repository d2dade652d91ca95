"""Pooling (max, average, sum, Lp) and nearest-neighbour UpSampling.

Window geometry, per spatial axis of size ``n`` (kernel ``k``, stride ``s``,
pad ``p``): output ``o`` pools the input positions ``o*s - p ... o*s - p + k - 1``,
and the number of outputs is

- ``floor((n + 2p - k) / s) + 1`` under ``pooling_convention='valid'``,
- ``ceil((n + 2p - k) / s) + 1`` under ``'full'``, whose last window may reach
  past the padding, or even start there and hold no input at all.

Positions outside the input never take part: padding cannot win a max, adds
nothing to a sum, and an empty window gives the lowest finite value (max) or 0.
Average pooling divides by the window clipped to the padded input
(``count_include_pad=True``, MXNet's default) or by the number of input
elements it holds (``False``).

Max pooling also returns, as a hidden output kept on the autograd tape, the
flat position of each window's first largest element in its input plane, so
that its backward pass is a scatter (``_backward_Pooling``), whose own
gradient is the matching gather (``_pooling_gather``). Average and sum
backward share each out-gradient over its window; being linear, their own
gradient is the forward pooling again, so every pooling is differentiable to
any order. Lp pooling is ``root_p(sum_pool(x**p))`` with its gradient written
through the sum-pooling backward.

On the CPU the windows are walked by the compiled kernels of
``mxlearn._ext.pooling``; :func:`pool_reference` and :func:`pool_backward_reference`
are the readable versions (one vectorised step per kernel offset), used for
float16 and empty arrays, and tested against the kernels. On the GPU the
CUDA kernels of ``mxlearn.gpu_kernels.pooling`` do the same work.
"""
import itertools
from collections import namedtuple
from numbers import Integral

import numpy

from .._ext import pooling as _kernels
from ..base import MXNetError
from ..gpu_kernels import launches_kernels
from .registry import register

_POOL_TYPES = ('avg', 'lp', 'max', 'sum')
_CONVENTIONS = ('full', 'same', 'valid')
_LAYOUTS = {3: ('NCW', 'NWC'), 4: ('NCHW', 'NHWC'), 5: ('NCDHW', 'NDHWC')}
_P_VALUES = (1, 2, 3)


class Geometry(namedtuple('Geometry', 'size out kernel stride pad')):
    """The windows of one pooling: per spatial axis, the input and output sizes,
    kernel, stride and pad (tuples of the same length, channels-first order).

    Examples
    --------
    >>> geo = Geometry(size=(5,), out=(3,), kernel=(2,), stride=(2,), pad=(1,))
    >>> geo.padded_extent(), geo.window_slices((1,)), list(geo.offsets())
    ((7,), (slice(1, 6, 2),), [(0,), (1,)])
    """

    def padded_extent(self):
        """Per axis, the length of a buffer that holds every window, from ``-pad``."""
        return tuple(max(n + 2 * p, (o - 1) * s + k)
                     for n, o, k, s, p in zip(*self))

    def window_slices(self, offset):
        """Per axis, the slice of a padded buffer seen at kernel ``offset`` by every window."""
        return tuple(slice(i, i + s * (o - 1) + 1, s)
                     for i, o, s in zip(offset, self.out, self.stride))

    def offsets(self):
        """Every position inside the kernel, in row-major order."""
        return itertools.product(*(range(k) for k in self.kernel))


# ------------------------------------------------------------ attributes --

def _as_shape(value, name):
    """An attribute such as ``kernel=(2, 2)`` as a tuple of ints (an int is a 1-tuple)."""
    if isinstance(value, Integral) and not isinstance(value, bool):
        return (int(value),)
    try:
        items = tuple(value)
    except TypeError:
        items = None
    if items is None or not all(isinstance(v, Integral) and not isinstance(v, bool)
                                for v in items):
        raise MXNetError('%s must be a tuple of integers, got %r' % (name, value))
    return tuple(int(v) for v in items)


def _channels_last(ndim, layout):
    """Whether ``layout`` puts channels last, checking it fits an ``ndim``-d input."""
    if ndim not in _LAYOUTS:
        raise MXNetError('expected a 3-D (NCW), 4-D (NCHW) or 5-D (NCDHW) input, got a '
                         '%d-D one' % ndim)
    if layout is None:
        return False
    if layout not in _LAYOUTS[ndim]:
        raise MXNetError('layout %r does not fit a %d-D input; expected one of %s'
                         % (layout, ndim, ', '.join(_LAYOUTS[ndim])))
    return layout.endswith('C')


def _check_choice(value, name, choices):
    if value not in choices:
        raise MXNetError('%s must be one of %s, got %r'
                         % (name, ', '.join(repr(c) for c in choices), value))


def _geometry(shape, kernel=(), pool_type='max', global_pool=False, cudnn_off=False,
              pooling_convention='valid', stride=(), pad=(), p_value=None,
              count_include_pad=None, layout=None):
    """The :class:`Geometry` of a pooling of an input of ``shape``, or a clear MXNetError.

    Also returns whether the layout is channels-last. ``shape`` is the input's
    shape in its own layout.

    Examples
    --------
    >>> _geometry((1, 3, 5, 5), kernel=(2, 2), stride=(2, 2), pooling_convention='full')
    (Geometry(size=(5, 5), out=(3, 3), kernel=(2, 2), stride=(2, 2), pad=(0, 0)), False)
    """
    last = _channels_last(len(shape), layout)
    _check_choice(pool_type, 'pool_type', _POOL_TYPES)
    _check_choice(pooling_convention, 'pooling_convention', _CONVENTIONS)
    if pool_type == 'lp' and p_value not in _P_VALUES:
        raise MXNetError('pool_type=\'lp\' needs p_value=1, 2 or 3, got %r' % (p_value,))
    size = tuple(shape[1:-1] if last else shape[2:])
    nd = len(size)
    if global_pool:
        if min(size) < 1:
            raise MXNetError('global pooling needs a non-empty spatial extent, got %s'
                             % (size,))
        return Geometry(size, (1,) * nd, size, (1,) * nd, (0,) * nd), last
    if pooling_convention == 'same':
        raise MXNetError("pooling_convention='same' is not supported by mxlearn; use "
                         "'valid' or 'full' with an explicit pad")
    kernel = _as_shape(kernel, 'kernel')
    stride = _as_shape(stride, 'stride') if _given(stride) else (1,) * nd
    pad = _as_shape(pad, 'pad') if _given(pad) else (0,) * nd
    if not kernel:
        raise MXNetError('kernel is required (e.g. kernel=%s) unless global_pool=True'
                         % ((2,) * nd,))
    for name, value in (('kernel', kernel), ('stride', stride), ('pad', pad)):
        if len(value) != nd:
            raise MXNetError('%s=%s has %d values but the input has %d spatial '
                             'dimensions (%s); expected %d' % (
                                 name, value, len(value), nd, layout or _LAYOUTS[nd + 2][0],
                                 nd))
    if min(kernel) < 1 or min(stride) < 1 or min(pad) < 0:
        raise MXNetError('expected kernel >= 1, stride >= 1 and pad >= 0, got kernel=%s, '
                         'stride=%s, pad=%s' % (kernel, stride, pad))
    out = []
    for n, k, s, p in zip(size, kernel, stride, pad):
        if p >= k:
            raise MXNetError('pad %d is not smaller than kernel %d: a window would hold '
                             'only padding; expected pad < kernel' % (p, k))
        if k > n + 2 * p:
            raise MXNetError('kernel size %d exceeds the input size %d padded to %d'
                             % (k, n, n + 2 * p))
        span = n + 2 * p - k
        out.append((span // s if pooling_convention == 'valid' else -(-span // s)) + 1)
    return Geometry(size, tuple(out), kernel, stride, pad), last


def _given(value):
    return value is not None and not (isinstance(value, (tuple, list)) and not value)


def _output_shape(shape, geo, last):
    n = shape[0]
    c = shape[-1] if last else shape[1]
    return (n,) + geo.out + (c,) if last else (n, c) + geo.out


def _channels_first(xp, a, last):
    if not last:
        return a
    return xp.moveaxis(a, -1, 1)


def _restore_layout(xp, a, last):
    if not last:
        return a
    return xp.ascontiguousarray(xp.moveaxis(a, 1, -1))


def _check_float(data):
    if data.dtype.kind != 'f':
        raise MXNetError('expected a floating-point input, got %s; convert it with '
                         'astype("float32")' % (data.dtype,))


# ------------------------------------------------------------- reference --

def _window_counts(xp, geo, include_pad, dtype):
    """Per output, how many positions its window averages over (an ``out``-shaped array)."""
    counts = xp.ones((1,) * len(geo.out), dtype=dtype)
    for axis, (n, o, k, s, p) in enumerate(zip(*geo)):
        start = xp.arange(o) * s - p
        lo, hi = (-p, n + p) if include_pad else (0, n)
        c = xp.maximum(xp.minimum(start + k, hi) - xp.maximum(start, lo), 0)
        shape = [1] * len(geo.out)
        shape[axis] = o
        counts = counts * c.reshape(shape).astype(dtype)
    return counts


def _flat_positions(xp, geo, offset):
    """Per output, the flat in-plane index of the element at kernel ``offset`` of its window.

    Positions in the padding get values too, but padding never wins a max and
    is cut off after a scatter, so they are never used.
    """
    flat = xp.zeros((1,) * len(geo.out), dtype=numpy.int32)
    plane_stride = 1
    for axis in reversed(range(len(geo.out))):
        n, o, s, p = geo.size[axis], geo.out[axis], geo.stride[axis], geo.pad[axis]
        shape = [1] * len(geo.out)
        shape[axis] = o
        pos = (xp.arange(o, dtype=numpy.int32) * s - p + offset[axis]).reshape(shape)
        flat = flat + pos * plane_stride
        plane_stride *= n
    return flat


def _padded(xp, x, geo, fill):
    """``x`` (N, C, *size) inside a buffer that holds every window, padding set to ``fill``."""
    buf = xp.full(x.shape[:2] + geo.padded_extent(), fill, dtype=x.dtype)
    buf[(Ellipsis,) + tuple(slice(p, p + n) for n, p in zip(geo.size, geo.pad))] = x
    return buf


def pool_reference(xp, x, geo, pool_type, count_include_pad=True):
    """Max, avg or sum pooling of channels-first ``x`` with one step per kernel offset.

    Returns ``(out, argmax)``; ``argmax`` is None unless ``pool_type`` is 'max'.

    Examples
    --------
    >>> import numpy as np
    >>> geo = Geometry((4,), (2,), (2,), (2,), (0,))
    >>> out, arg = pool_reference(np, np.array([[[1., 3., 2., 0.]]]), geo, 'max')
    >>> out.tolist(), arg.tolist()
    ([[[3.0, 2.0]]], [[[1, 2]]])
    """
    shape = x.shape[:2] + geo.out
    if pool_type == 'max':
        lowest = numpy.finfo(x.dtype).min
        buf = _padded(xp, x, geo, lowest)
        best = xp.full(shape, lowest, dtype=x.dtype)
        arg = xp.full(shape, -1, dtype=numpy.int32)
        for offset in geo.offsets():
            window = buf[(Ellipsis,) + geo.window_slices(offset)]
            # Strictly greater: the first largest element wins ties, and
            # padding (the lowest value) never wins.
            better = window > best
            best = xp.where(better, window, best)
            arg = xp.where(better, _flat_positions(xp, geo, offset), arg)
        return best, arg
    buf = _padded(xp, x, geo, 0)
    total = xp.zeros(shape, dtype=x.dtype)
    for offset in geo.offsets():
        total += buf[(Ellipsis,) + geo.window_slices(offset)]
    if pool_type == 'avg':
        counts = _window_counts(xp, geo, count_include_pad, x.dtype)
        total /= xp.maximum(counts, 1)
    return total, None


def pool_backward_reference(xp, grad, geo, pool_type, count_include_pad=True, argmax=None):
    """The gradient of :func:`pool_reference` with respect to its input.

    Examples
    --------
    >>> import numpy as np
    >>> geo = Geometry((4,), (2,), (2,), (2,), (0,))
    >>> pool_backward_reference(np, np.array([[[10., 20.]]]), geo, 'max',
    ...                         argmax=np.array([[[1, 2]]])).tolist()
    [[[0.0, 10.0, 20.0, 0.0]]]
    """
    buf = xp.zeros(grad.shape[:2] + geo.padded_extent(), dtype=grad.dtype)
    if pool_type == 'avg':
        grad = grad / xp.maximum(_window_counts(xp, geo, count_include_pad, grad.dtype), 1)
    for offset in geo.offsets():
        # Within one offset the windows see distinct positions, so += is a scatter-add.
        target = buf[(Ellipsis,) + geo.window_slices(offset)]
        if pool_type == 'max':
            target += xp.where(argmax == _flat_positions(xp, geo, offset), grad, 0)
        else:
            target += grad
    return buf[(Ellipsis,) + tuple(slice(p, p + n) for n, p in zip(geo.size, geo.pad))]


# -------------------------------------------------------------- dispatch --

def _use_kernel(xp, a):
    return xp is numpy and a.dtype in (numpy.float32, numpy.float64) and a.size > 0


def _as_3d(geo):
    """Kernel arguments: the geometry padded to three axes (d, h, w)."""
    lead = 3 - len(geo.size)
    return tuple((fill,) * lead + tuple(v)
                 for v, fill in zip(geo, (1, 1, 1, 1, 0)))


def _divisor(pool_type, count_include_pad):
    if pool_type == 'avg':
        return _kernels.AVG_PADDED if count_include_pad else _kernels.AVG_VALID
    return _kernels.SUM


def _pool(xp, x, geo, pool_type, count_include_pad):
    """Channels-first pooling: ``(out, argmax or None)``, compiled when it can be."""
    size, out_size, kernel, stride, pad = _as_3d(geo)
    planes = x.shape[0] * x.shape[1]
    shape = x.shape[:2] + geo.out
    if launches_kernels(xp, x):
        from ..gpu_kernels import pooling as gpu_pooling
        src = x.reshape((planes,) + size)
        if pool_type == 'max':
            out, arg = gpu_pooling.max_forward(src, out_size, kernel, stride, pad)
            return out.reshape(shape), arg.reshape(shape)
        out = gpu_pooling.sum_forward(src, out_size, kernel, stride, pad,
                                      _divisor(pool_type, count_include_pad))
        return out.reshape(shape), None
    if not _use_kernel(xp, x):
        return pool_reference(xp, x, geo, pool_type, count_include_pad)
    src = numpy.ascontiguousarray(x).reshape((planes,) + size)
    out = numpy.empty((planes,) + out_size, dtype=x.dtype)
    if pool_type == 'max':
        arg = numpy.empty((planes,) + out_size, dtype=numpy.int32)
        _kernels.max_forward(src, out, arg, kernel, stride, pad)
        return out.reshape(shape), arg.reshape(shape)
    _kernels.sum_forward(src, out, kernel, stride, pad,
                         _divisor(pool_type, count_include_pad))
    return out.reshape(shape), None


def _pool_backward(xp, grad, in_shape, geo, pool_type, count_include_pad, argmax):
    """Channels-first gradient of :func:`_pool` for an input of ``in_shape``."""
    if launches_kernels(xp, grad):
        from ..gpu_kernels import pooling as gpu_pooling
        size, out_size, kernel, stride, pad = _as_3d(geo)
        g = grad.reshape((in_shape[0] * in_shape[1],) + out_size)
        if pool_type == 'max':
            dx = gpu_pooling.max_backward(g, argmax.reshape(g.shape), size, kernel, stride,
                                          pad)
        else:
            dx = gpu_pooling.sum_backward(g, size, kernel, stride, pad,
                                          _divisor(pool_type, count_include_pad))
        return dx.reshape(in_shape)
    if not _use_kernel(xp, grad) or 0 in in_shape:
        return pool_backward_reference(xp, grad, geo, pool_type, count_include_pad, argmax)
    planes = in_shape[0] * in_shape[1]
    dx = numpy.empty(in_shape, dtype=grad.dtype)
    g = numpy.ascontiguousarray(grad)
    if pool_type == 'max':
        _kernels.max_backward(g.reshape(planes, -1),
                              numpy.ascontiguousarray(argmax, dtype=numpy.int32)
                              .reshape(planes, -1),
                              dx.reshape(planes, -1))
        return dx
    size, out_size, kernel, stride, pad = _as_3d(geo)
    _kernels.sum_backward(g.reshape((planes,) + out_size), dx.reshape((planes,) + size),
                          kernel, stride, pad, _divisor(pool_type, count_include_pad))
    return dx


# --------------------------------------------------------------- Pooling --

def _pooling_shape(in_shapes, **attrs):
    shape = tuple(in_shapes[0])
    geo, last = _geometry(shape, **attrs)
    out = _output_shape(shape, geo, last)
    if attrs.get('pool_type', 'max') == 'max':
        return [out, shape[:1] + (out[-1] if last else out[1],) + geo.out]
    return [out]


def _pooling_type(in_dtypes, pool_type='max', **attrs):
    if pool_type == 'max':
        return [in_dtypes[0], numpy.dtype(numpy.int32)]
    return [in_dtypes[0]]


def _pooling_grad(F, inputs, outputs, ograds, **attrs):
    x, g = inputs[0], ograds[0]
    pool_type = attrs['pool_type']
    if pool_type == 'max':
        return (F._backward_Pooling(g, x, outputs[1], **attrs),)
    if pool_type != 'lp':
        return (F._backward_Pooling(g, x, **attrs),)
    # d root_p(S) / dx = x**(p-1) / y**(p-1), S summed over each window.
    as_sum = dict(attrs, pool_type='sum')
    p, y = attrs['p_value'], outputs[0]
    if p == 1:
        return (F._backward_Pooling(g, x, **as_sum),)
    if p == 2:
        return (F._backward_Pooling(g / y, x, **as_sum) * x,)
    return (F._backward_Pooling(g / (y * y), x, **as_sum) * (x * x),)


_POOLING_PARAMS = """Parameters
    ----------
    kernel : tuple of int
        Window size, one value per spatial axis: ``(w,)``, ``(h, w)`` or ``(d, h, w)``.
    pool_type : {'max', 'avg', 'sum', 'lp'}, default 'max'
    global_pool : bool, default False
        Pool each whole plane to one value (kernel, stride and pad are ignored).
    cudnn_off : bool, default False
        Accepted for compatibility; has no effect.
    pooling_convention : {'valid', 'full'}, default 'valid'
        Round the number of windows down ('valid') or up ('full'). MXNet's
        'same' (1-D max pooling only) is not supported.
    stride : tuple of int, optional
        Step between windows; 1 along every axis by default (not the kernel
        size, unlike Gluon's ``MaxPool2D``).
    pad : tuple of int, optional
        Implicit padding on both sides of every axis (0 by default); must be
        smaller than the kernel.
    p_value : {1, 2, 3}, optional
        The ``p`` of Lp pooling (required for ``pool_type='lp'``).
    count_include_pad : bool, optional
        Average pooling: count padded positions in the divisor (True, the
        default) or only input elements.
    layout : str, optional
        'NCW', 'NCHW', 'NCDHW' (the defaults) or the channels-last 'NWC',
        'NHWC', 'NDHWC'."""


@register('Pooling', gradient=_pooling_grad, infer_shape=_pooling_shape,
          infer_type=_pooling_type, num_visible=1)
def pooling(xp, data, *, kernel=(), pool_type='max', global_pool=False, cudnn_off=False,
            pooling_convention='valid', stride=(), pad=(), p_value=None,
            count_include_pad=None, layout=None):
    """Pools each window of a 1-D, 2-D or 3-D input to one value.

    {params}

    Returns
    -------
    NDArray
        ``(N, C, *out)`` with, along each spatial axis,
        ``floor((n + 2*pad - kernel) / stride) + 1`` windows ('valid') or
        ``ceil(...)+1`` ('full').

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[[[1, 2, 0, 5], [3, 4, 1, 1]]]])
    >>> mx.nd.Pooling(x, kernel=(2, 2), stride=(2, 2)).asnumpy()
    array([[[[4., 5.]]]], dtype=float32)
    >>> mx.nd.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type='avg').asnumpy()
    array([[[[2.5 , 1.75]]]], dtype=float32)
    """
    _check_float(data)
    geo, last = _geometry(data.shape, kernel, pool_type, global_pool, cudnn_off,
                          pooling_convention, stride, pad, p_value, count_include_pad, layout)
    x = _channels_first(xp, data, last)
    include_pad = count_include_pad is None or bool(count_include_pad)
    if pool_type == 'lp':
        powered = x if p_value == 1 else x * x if p_value == 2 else x * x * x
        total, _ = _pool(xp, powered, geo, 'sum', include_pad)
        out = total if p_value == 1 else xp.sqrt(total) if p_value == 2 else xp.cbrt(total)
        return _restore_layout(xp, out, last)
    out, arg = _pool(xp, x, geo, pool_type, include_pad)
    if arg is None:
        return _restore_layout(xp, out, last)
    return _restore_layout(xp, out, last), arg


pooling.__doc__ = pooling.__doc__.replace('{params}', _POOLING_PARAMS)


def _check_backward_shapes(ograd, data, argmax, geo, last):
    """MXNetError unless ``ograd`` (and ``argmax``) fit a pooling of ``data`` by ``geo``."""
    want = _output_shape(data, geo, last)
    want_arg = tuple(data[:1]) + (want[-1] if last else want[1],) + geo.out
    if tuple(ograd) != want or (argmax is not None and tuple(argmax) != want_arg):
        raise MXNetError('out-gradient %s%s does not fit a pooling of %s, which gives %s'
                         % (tuple(ograd), '' if argmax is None else
                            ' with argmax %s' % (tuple(argmax),), tuple(data), want))


def _backward_shape(in_shapes, **attrs):
    data = tuple(in_shapes[1])
    geo, last = _geometry(data, **attrs)
    _check_backward_shapes(in_shapes[0], data, in_shapes[2] if len(in_shapes) > 2 else None,
                           geo, last)
    return [data]


def _backward_pooling_grad(F, inputs, outputs, ograds, **attrs):
    # Linear in the out-gradient: its adjoint is the forward pooling (avg, sum)
    # or the gather at the argmax positions (max).
    if attrs['pool_type'] == 'max':
        return (F._pooling_gather(ograds[0], inputs[2], **attrs), None, None)
    return (F.Pooling(ograds[0], **attrs), None)


@register('_backward_Pooling', gradient=_backward_pooling_grad,
          infer_shape=_backward_shape, same_dtype=False)
def backward_pooling(xp, ograd, data, argmax=None, *, kernel=(), pool_type='max',
                     global_pool=False, cudnn_off=False, pooling_convention='valid',
                     stride=(), pad=(), p_value=None, count_include_pad=None, layout=None):
    """The gradient of ``Pooling`` (max, avg or sum) with respect to its input.

    ``data`` is the pooled input (only its shape is used); ``argmax`` is max
    pooling's hidden output, where each out-gradient goes. The attributes are
    those of the forward ``Pooling``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.zeros((1, 1, 4))
    >>> g = mx.nd.array([[[4, 8]]])
    >>> mx.nd._backward_Pooling(g, x, kernel=(2,), stride=(2,), pool_type='avg').asnumpy()
    array([[[2., 2., 4., 4.]]], dtype=float32)
    """
    _check_choice(pool_type, 'pool_type', ('avg', 'max', 'sum'))
    if pool_type == 'max' and argmax is None:
        raise MXNetError("pool_type='max' needs the argmax input (Pooling's hidden output)")
    geo, last = _geometry(data.shape, kernel, pool_type, global_pool, cudnn_off,
                          pooling_convention, stride, pad, p_value, count_include_pad, layout)
    _check_backward_shapes(ograd.shape, data.shape,
                           None if argmax is None else argmax.shape, geo, last)
    g = _channels_first(xp, ograd, last)
    in_shape = _channels_first(xp, data, last).shape
    dx = _pool_backward(xp, g, in_shape, geo, pool_type,
                        count_include_pad is None or bool(count_include_pad), argmax)
    return _restore_layout(xp, dx, last)


def _gather_shape(in_shapes, **attrs):
    return [_pooling_shape([in_shapes[0]], **attrs)[0]]


@register('_pooling_gather', infer_shape=_gather_shape, same_dtype=False,
          gradient=lambda F, inputs, outputs, ograds, **attrs:
          (F._backward_Pooling(ograds[0], inputs[0], inputs[1], **attrs), None))
def pooling_gather(xp, data, argmax, *, kernel=(), pool_type='max', global_pool=False,
                   cudnn_off=False, pooling_convention='valid', stride=(), pad=(),
                   p_value=None, count_include_pad=None, layout=None):
    """``data`` read at max pooling's argmax positions (0 for an empty window).

    The adjoint of the max ``_backward_Pooling`` scatter, hence its gradient;
    the attributes are those of the forward ``Pooling``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[[5, 6, 7, 8]]])
    >>> arg = mx.nd.array([[[1, 2]]], dtype='int32')
    >>> mx.nd._pooling_gather(x, arg, kernel=(2,), stride=(2,)).asnumpy()
    array([[[6., 7.]]], dtype=float32)
    """
    geo, last = _geometry(data.shape, kernel, pool_type, global_pool, cudnn_off,
                          pooling_convention, stride, pad, p_value, count_include_pad, layout)
    x = _channels_first(xp, data, last)
    n, c = x.shape[:2]
    if argmax.shape != (n, c) + geo.out:
        raise MXNetError('argmax has shape %s; expected %s' % (argmax.shape,
                                                              (n, c) + geo.out))
    flat = argmax.reshape(n, c, -1)
    picked = xp.take_along_axis(x.reshape(n, c, -1), xp.maximum(flat, 0), axis=2)
    out = xp.where(flat >= 0, picked, 0).astype(data.dtype, copy=False)
    return _restore_layout(xp, out.reshape((n, c) + geo.out), last)


# ------------------------------------------------------------ UpSampling --

def _upsampling_plan(in_shapes, scale=None, sample_type=None, multi_input_mode='concat'):
    """Per input, its integer scale factor, and the output shape, or a clear MXNetError."""
    if scale is None or isinstance(scale, bool) or not isinstance(scale, Integral) \
            or scale < 1:
        raise MXNetError('scale must be an integer >= 1, got %r' % (scale,))
    if sample_type is None:
        raise MXNetError("sample_type is required: 'nearest' (or MXNet's 'bilinear', "
                         "which mxlearn does not support)")
    _check_choice(sample_type, 'sample_type', ('bilinear', 'nearest'))
    if sample_type == 'bilinear':
        raise MXNetError("sample_type='bilinear' is not supported by mxlearn; use "
                         "'nearest', or Deconvolution with a bilinear kernel")
    _check_choice(multi_input_mode, 'multi_input_mode', ('concat', 'sum'))
    if not in_shapes:
        raise MXNetError('expected at least one input')
    first = tuple(in_shapes[0])
    if len(first) != 4:
        raise MXNetError('expected 4-D (NCHW) inputs, got shape %s' % (first,))
    target = (first[2] * int(scale), first[3] * int(scale))
    scales = []
    for i, shape in enumerate(in_shapes):
        shape = tuple(shape)
        if len(shape) != 4 or shape[0] != first[0] or 0 in shape[2:]:
            raise MXNetError('input %d has shape %s; expected a non-empty 4-D (NCHW) array '
                             'with batch size %d' % (i, shape, first[0]))
        if multi_input_mode == 'sum' and shape[1] != first[1]:
            raise MXNetError("multi_input_mode='sum' needs the same number of channels in "
                             'every input: input %d has %d, input 0 has %d'
                             % (i, shape[1], first[1]))
        s = target[0] // shape[2]
        if shape[2] * s != target[0] or shape[3] * s != target[1]:
            raise MXNetError('input %d of spatial size %s cannot be scaled by a whole '
                             'factor to the output size %s (input 0 times scale=%d)'
                             % (i, shape[2:], target, scale))
        scales.append(s)
    channels = first[1] if multi_input_mode == 'sum' else sum(s[1] for s in in_shapes)
    return scales, (first[0], channels) + target


def _upsampling_shape(in_shapes, scale=None, num_filter=0, sample_type=None,
                      multi_input_mode='concat', workspace=512):
    return [_upsampling_plan(in_shapes, scale, sample_type, multi_input_mode)[1]]


def _nearest(xp, x, s):
    n, c, h, w = x.shape
    if s == 1:
        return x.copy()
    return xp.broadcast_to(x[:, :, :, None, :, None], (n, c, h, s, w, s)) \
        .reshape(n, c, h * s, w * s)


def _upsampling_grad(F, inputs, outputs, ograds, scale=None, num_filter=0, sample_type=None,
                     multi_input_mode='concat', workspace=512):
    g = ograds[0]
    n, _, th, _ = g.shape
    grads, begin = [], 0
    for x in inputs:
        _, c, h, w = x.shape
        s = th // h
        part = g
        if multi_input_mode == 'concat' and len(inputs) > 1:
            part = F.slice_axis(g, axis=1, begin=begin, end=begin + c)
            begin += c
        if s > 1:
            # Every input pixel was copied to an s x s block: sum the block.
            part = F.sum(F.reshape(part, shape=(n, c, h, s, w, s)), axis=(3, 5))
        grads.append(part)
    return grads


@register('UpSampling', gradient=_upsampling_grad, infer_shape=_upsampling_shape)
def upsampling(xp, *data, scale=None, num_filter=0, sample_type=None,
               multi_input_mode='concat', workspace=512):
    """Nearest-neighbour upsampling: every pixel becomes a ``scale x scale`` block.

    With several inputs, each is scaled to the first one's size times
    ``scale`` (their sizes must divide it), then the results are concatenated
    along the channels (``multi_input_mode='concat'``) or added (``'sum'``).

    Parameters
    ----------
    *data : NDArray
        4-D (NCHW) inputs with the same batch size.
    scale : int
        The factor of the first input (required).
    num_filter : int, default 0
        Bilinear mode only; ignored.
    sample_type : {'nearest'}
        Required. MXNet's 'bilinear' (a learned deconvolution) is not supported.
    multi_input_mode : {'concat', 'sum'}, default 'concat'
    workspace : int, default 512
        Accepted for compatibility; has no effect.

    Returns
    -------
    NDArray
        ``(N, C_total, H*scale, W*scale)``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.UpSampling(mx.nd.array([[[[1, 2]]]]), scale=2, sample_type='nearest').asnumpy()
    array([[[[1., 1., 2., 2.],
             [1., 1., 2., 2.]]]], dtype=float32)
    """
    scales, _ = _upsampling_plan([x.shape for x in data], scale, sample_type,
                                 multi_input_mode)
    for x in data:
        _check_float(x)
    ups = [_nearest(xp, x, s) for x, s in zip(data, scales)]
    if len(ups) == 1:
        return ups[0]
    if multi_input_mode == 'sum':
        out = ups[0]
        for u in ups[1:]:
            out += u
        return out
    return xp.concatenate(ups, axis=1)
