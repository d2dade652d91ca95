"""Convolution and Deconvolution (transposed convolution), 1-D (NCW) and 2-D (NCHW).

How a convolution is computed
-----------------------------
``im2col`` lays every input patch out as a column of a matrix ``col`` of shape
``(C*kh*kw, N*OH*OW)``; the convolution is then one matrix product (GEMM, done
by BLAS through ``matmul``) per group::

    out[g] = weight[g].reshape(F/G, -1) @ col[g]        # (F/G, N*OH*OW)

followed by a cheap transpose to ``(N, F, OH, OW)`` (the output has C*kh*kw
times fewer entries than ``col``) fused with the bias addition. A 1-D
convolution is a 2-D one with height 1. Three primitives do all the work:

- ``_conv2d(x, w)``: the forward of Convolution;
- ``_conv2d_data_grad(dy, w)``: ``col2im(w^T @ dy)``, the data gradient of a
  convolution, which *is* the forward of Deconvolution;
- ``_conv2d_weight_grad(x, dy)``: ``dy @ im2col(x)^T``, the weight gradient.

On the CPU, ``im2col``/``col2im`` are the compiled kernels of
``mxlearn._ext.conv`` (float32, float64), on the GPU the CUDA kernels of
``mxlearn.gpu_kernels.conv`` (the GEMMs are then cuBLAS's); for other dtypes the
readable references ``_im2col_reference``/``_col2im_reference`` below do the
same with one strided slice per kernel tap. Large batches are processed in
slices so that ``col`` stays within ``workspace`` megabytes, as in MXNet.

Gradients
---------
The gradient rules are written with the operators themselves, so every
gradient can be differentiated again::

    Convolution(x, w):    dx = Deconvolution(dy, w)   dw = _conv_weight_grad(x, dy)
    Deconvolution(x, w):  dx = Convolution(dy, w)     dw = _conv_weight_grad(dy, x)
    db = sum(dy) over every axis but the channels

``_conv_weight_grad(x, dy)`` is linear in each argument; its gradients are a
Deconvolution and a Convolution again. Two shortcuts keep the backward pass
cheap: Convolution keeps its im2col matrix (when it is small, as a hidden
output) so that ``_conv_weight_grad`` need not rebuild it, and the data
gradient is skipped when autograd would throw it away (an input image that
is a plain constant).
"""
import collections
import math
import numbers
import threading

import numpy

from .._ext import conv as _kernels
from ..base import MXNetError
from ..gpu_kernels import launches_kernels
from .registry import needs_grad, register

_KERNEL_DTYPES = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))
_LAYOUTS = {1: 'NCW', 2: 'NCHW'}
_AXES = {1: ('width',), 2: ('height', 'width')}
_CUDNN_TUNE = (None, 'off', 'limited_workspace', 'fastest')


# ------------------------------------------------------------ attributes --

class _Geometry(collections.namedtuple('_Geometry', 'kernel stride dilate pad groups workspace')):
    """Validated attributes; kernel/stride/dilate/pad have one entry per spatial axis."""
    __slots__ = ()

    @property
    def ndim(self):
        return len(self.kernel)

    def planar(self):
        """(kernel, stride, pad, dilate) as (height, width) pairs; 1-D has height 1."""
        if self.ndim == 2:
            return self.kernel, self.stride, self.pad, self.dilate
        return ((1,) + self.kernel, (1,) + self.stride, (0,) + self.pad,
                (1,) + self.dilate)

    def dilated(self, axis):
        """The extent of the dilated kernel along ``axis``: d*(k-1) + 1."""
        return self.dilate[axis] * (self.kernel[axis] - 1) + 1


def _int_tuple(value, name):
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value),)
    try:
        items = tuple(value)
    except TypeError:
        items = None
    if items is None or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                                for v in items):
        raise MXNetError('%s must be an integer or a tuple of integers, got %r' % (name, value))
    return tuple(int(v) for v in items)


def _spatial(value, name, ndim, default, minimum):
    """Attribute ``value`` as ``ndim`` integers; ``()`` means ``default`` on every axis."""
    items = _int_tuple(value, name)
    if not items:
        return (default,) * ndim
    if len(items) != ndim:
        raise MXNetError('%s=%s has %d entries but the kernel has %d spatial axes; give '
                         'one per axis' % (name, items, len(items), ndim))
    if min(items) < minimum:
        raise MXNetError('%s must be >= %d on every axis, got %s' % (name, minimum, items))
    return items


def _positive(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise MXNetError('%s must be a positive integer, got %r' % (name, value))
    return int(value)


def _geometry(kernel, stride, dilate, pad, num_filter, num_group, workspace, cudnn_tune,
              layout):
    """Check the attributes shared by Convolution and Deconvolution."""
    kernel = _int_tuple(kernel, 'kernel')
    if not kernel:
        raise MXNetError('kernel is required: (w,) for a 1-D or (h, w) for a 2-D '
                         'convolution')
    if len(kernel) not in _LAYOUTS:
        raise MXNetError('kernel=%s has %d axes; mxlearn supports 1-D (w,) and 2-D (h, w) '
                         'kernels' % (kernel, len(kernel)))
    ndim = len(kernel)
    kernel = _spatial(kernel, 'kernel', ndim, 1, 1)
    _positive(num_filter, 'num_filter')
    groups = _positive(num_group, 'num_group')
    if isinstance(workspace, bool) or not isinstance(workspace, numbers.Integral) \
            or workspace < 0:
        raise MXNetError('workspace (megabytes) must be a non-negative integer, got %r'
                         % (workspace,))
    if cudnn_tune not in _CUDNN_TUNE:
        raise MXNetError('cudnn_tune must be one of %s, got %r' % (_CUDNN_TUNE, cudnn_tune))
    if layout is not None and layout != _LAYOUTS[ndim]:
        raise MXNetError('layout=%r is not supported for a %d-D kernel: mxlearn computes '
                         'in the %s layout (None selects it)' % (layout, ndim, _LAYOUTS[ndim]))
    return _Geometry(kernel, _spatial(stride, 'stride', ndim, 1, 1),
                     _spatial(dilate, 'dilate', ndim, 1, 1),
                     _spatial(pad, 'pad', ndim, 0, 0), groups, int(workspace))


# ---------------------------------------------------------------- shapes --

def _check_data(shape, geom, what='data'):
    shape = tuple(shape)
    if len(shape) != geom.ndim + 2:
        raise MXNetError('%s has shape %s, but a %d-D kernel %s needs %d-D data (%s)'
                         % (what, shape, geom.ndim, geom.kernel, geom.ndim + 2,
                            _LAYOUTS[geom.ndim]))
    return shape


def _check_groups(channels, num_filter, groups, what):
    if channels % groups:
        raise MXNetError('the %d %s channels cannot be split into num_group=%d equal groups'
                         % (channels, what, groups))
    if num_filter % groups:
        raise MXNetError('num_filter=%d cannot be split into num_group=%d equal groups'
                         % (num_filter, groups))


def _check_weight(shape, expected, explain):
    if tuple(shape) != expected:
        raise MXNetError('weight has shape %s; expected %s = %s'
                         % (tuple(shape), expected, explain))


def _check_bias(in_shapes, num_filter, no_bias, op):
    if len(in_shapes) < 3:
        if not no_bias:
            raise MXNetError('no bias is given but no_bias=False; pass a bias of shape '
                             '(num_filter,) = (%d,), or set no_bias=True' % num_filter)
        return
    if no_bias:
        default = ' (the default of %s)' % op if op == 'Deconvolution' else ''
        raise MXNetError('a bias is given but no_bias=True%s; pass no bias, or set '
                         'no_bias=False' % default)
    if tuple(in_shapes[2]) != (num_filter,):
        raise MXNetError('bias has shape %s; expected (num_filter,) = (%d,)'
                         % (tuple(in_shapes[2]), num_filter))


def _conv_out_size(geom, axis, size):
    padded = size + 2 * geom.pad[axis]
    if geom.dilated(axis) > padded:
        raise MXNetError(
            'the kernel covers %d along the %s axis (kernel %d, dilate %d), more than the '
            'padded input, %d (size %d + 2 * pad %d)'
            % (geom.dilated(axis), _AXES[geom.ndim][axis], geom.kernel[axis],
               geom.dilate[axis], padded, size, geom.pad[axis]))
    return (padded - geom.dilated(axis)) // geom.stride[axis] + 1


def _conv_shape(geom, data, num_filter):
    return (data[0], num_filter) + tuple(
        _conv_out_size(geom, a, s) for a, s in enumerate(data[2:]))


def _convolution_shape(in_shapes, kernel=(), stride=(), dilate=(), pad=(), num_filter=0,
                       num_group=1, workspace=1024, no_bias=False, cudnn_tune=None,
                       cudnn_off=False, layout=None):
    geom = _geometry(kernel, stride, dilate, pad, num_filter, num_group, workspace,
                     cudnn_tune, layout)
    out = _conv_checked(geom, in_shapes, num_filter, no_bias)
    col = _kept_col_shape(_planar_shape(in_shapes[0], geom.ndim), geom.planar(), workspace)
    return [out] if col is None else [out, col]


def _conv_checked(geom, in_shapes, num_filter, no_bias):
    data = _check_data(in_shapes[0], geom)
    _check_groups(data[1], num_filter, geom.groups, 'input')
    _check_weight(in_shapes[1], (num_filter, data[1] // geom.groups) + geom.kernel,
                  '(num_filter, channels / num_group) + kernel')
    _check_bias(in_shapes, num_filter, no_bias, 'Convolution')
    return _conv_shape(geom, data, num_filter)


def _deconv_padding(geom, data, adj, target_shape):
    """The (pad, adj) that Deconvolution uses: from target_shape when it is given."""
    n = geom.ndim
    target = _int_tuple(target_shape, 'target_shape')
    if not any(target):
        adj = _spatial(adj, 'adj', n, 0, 0)
        for a in range(n):
            if adj[a] >= geom.stride[a]:
                raise MXNetError('adj=%s must be smaller than stride=%s on every axis'
                                 % (adj, geom.stride))
        return geom.pad, adj
    target = _spatial(target, 'target_shape', n, 0, 1)
    pads, adjs = [], []
    for a in range(n):
        full = geom.stride[a] * (data[2 + a] - 1) + geom.dilated(a)
        if target[a] > full:
            raise MXNetError('target_shape=%s is too big: the largest output along the %s '
                             'axis is %d = stride * (input - 1) + dilated kernel'
                             % (target, _AXES[n][a], full))
        # Split the surplus evenly between the two sides; an odd one goes to adj.
        surplus = full - target[a]
        adjs.append(surplus % 2)
        pads.append((surplus + 1) // 2)
        if adjs[-1] >= geom.stride[a]:
            raise MXNetError('target_shape=%s cannot be reached along the %s axis with '
                             'stride %d: the largest output, %d, is an odd number of steps '
                             'away, which needs adj=1 < stride'
                             % (target, _AXES[n][a], geom.stride[a], full))
    return tuple(pads), tuple(adjs)


def _deconv_checked(geom, in_shapes, num_filter, no_bias, adj, target_shape):
    """The output shape and the Geometry with the padding actually used."""
    data = _check_data(in_shapes[0], geom)
    _check_groups(data[1], num_filter, geom.groups, 'input')
    _check_weight(in_shapes[1], (data[1], num_filter // geom.groups) + geom.kernel,
                  '(input channels, num_filter / num_group) + kernel')
    _check_bias(in_shapes, num_filter, no_bias, 'Deconvolution')
    pad, adj = _deconv_padding(geom, data, adj, target_shape)
    geom = geom._replace(pad=pad)
    out = []
    for a, size in enumerate(data[2:]):
        o = geom.stride[a] * (size - 1) + geom.dilated(a) - 2 * pad[a] + adj[a]
        if o < 1:
            raise MXNetError('pad=%s is too large: the output along the %s axis would have '
                             'size %d' % (pad, _AXES[geom.ndim][a], o))
        out.append(o)
    return (data[0], num_filter) + tuple(out), geom


def _deconvolution_shape(in_shapes, kernel=(), stride=(), dilate=(), pad=(), adj=(),
                         target_shape=(), num_filter=0, num_group=1, workspace=512,
                         no_bias=True, cudnn_tune=None, cudnn_off=False, layout=None):
    geom = _geometry(kernel, stride, dilate, pad, num_filter, num_group, workspace,
                     cudnn_tune, layout)
    return [_deconv_checked(geom, in_shapes, num_filter, no_bias, adj, target_shape)[0]]


# ----------------------------------------------------- im2col and col2im --

def _out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _tap_slices(i, j, oh, ow, stride, dilate):
    """The slices of the padded input that kernel tap (i, j) reads for every output pixel."""
    (sh, sw), (dh, dw) = stride, dilate
    return (slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
            slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


def _im2col_reference(xp, x, kernel, stride, pad, dilate):
    """The patches of ``x`` (N, C, H, W) as a (C*kh*kw, N*OH*OW) matrix (plain xp code).

    Row ``(c*kh + i)*kw + j`` holds, for each output pixel ``(n, oy, ox)``, the
    padded input at ``(n, c, oy*sh + i*dh, ox*sw + j*dw)``. The loop runs over
    the kh*kw kernel taps only; each tap is one strided slice.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> _im2col_reference(np, x, (2, 2), (1, 1), (0, 0), (1, 1))[0]
    array([0., 1., 3., 4.])
    """
    n, c, h, w = x.shape
    (kh, kw), (ph, pw) = kernel, pad
    oh = _out_size(h, kh, stride[0], ph, dilate[0])
    ow = _out_size(w, kw, stride[1], pw, dilate[1])
    padded = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    col = xp.empty((c, kh, kw, n, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, cols = _tap_slices(i, j, oh, ow, stride, dilate)
            col[:, i, j] = padded[:, :, rows, cols].transpose(1, 0, 2, 3)
    return col.reshape(c * kh * kw, n * oh * ow)


def _col2im_reference(xp, col, x_shape, kernel, stride, pad, dilate):
    """The adjoint of :func:`_im2col_reference`: add each entry of ``col`` where it was read.

    Examples
    --------
    >>> import numpy as np
    >>> _col2im_reference(np, np.ones((4, 4)), (1, 1, 3, 3), (2, 2), (1, 1), (0, 0),
    ...                   (1, 1))[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    n, c, h, w = x_shape
    (kh, kw), (ph, pw) = kernel, pad
    oh = _out_size(h, kh, stride[0], ph, dilate[0])
    ow = _out_size(w, kw, stride[1], pw, dilate[1])
    col = col.reshape(c, kh, kw, n, oh, ow)
    padded = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=col.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, cols = _tap_slices(i, j, oh, ow, stride, dilate)
            # One tap never reads a position twice, so += adds every entry.
            padded[:, :, rows, cols] += col[:, i, j].transpose(1, 0, 2, 3)
    return xp.ascontiguousarray(padded[:, :, ph:ph + h, pw:pw + w])


def _col_shape(x_shape, planar):
    """The shape (C*kh*kw, N*OH*OW) of the im2col matrix of an (N, C, H, W) input."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = planar
    n, c, h, w = x_shape
    return (c * kh * kw, n * _out_size(h, kh, sh, ph, dh) * _out_size(w, kw, sw, pw, dw))


def _im2col(xp, x, planar, scratch=False):
    """im2col by the kernel or the reference; in the scratch buffer when ``scratch``."""
    if xp is numpy and x.dtype in _KERNEL_DTYPES:
        shape = _col_shape(x.shape, planar)
        col = _scratch(shape, x.dtype) if scratch else numpy.empty(shape, dtype=x.dtype)
        _kernels.im2col(numpy.ascontiguousarray(x), col, *(v for pair in planar for v in pair))
        return col
    if launches_kernels(xp, x):
        from ..gpu_kernels import conv as gpu_conv
        return gpu_conv.im2col(x, planar)
    return _im2col_reference(xp, x, *planar)


def _col2im(xp, col, x_shape, planar):
    if xp is numpy and col.dtype in _KERNEL_DTYPES:
        x = numpy.empty(x_shape, dtype=col.dtype)
        _kernels.col2im(numpy.ascontiguousarray(col), x, *(v for pair in planar for v in pair))
        return x
    if launches_kernels(xp, col):
        from ..gpu_kernels import conv as gpu_conv
        return gpu_conv.col2im(col, x_shape, planar)
    return _col2im_reference(xp, col, x_shape, *planar)


# ------------------------------------------------------------ primitives --
# They take 4-D (N, C, H, W) arrays and a planar geometry; the operators view
# 1-D data as height 1.

_SCRATCH = threading.local()
_SCRATCH_ENTRIES = 1 << 23


def _scratch(shape, dtype):
    """A numpy buffer for a temporary that dies before the operator returns.

    It is reused from call to call (one per thread and dtype, up to 2**23
    entries). A fresh multi-megabyte array per call is slow: the C allocator
    often gives its pages back to the system when it is freed, and the next
    one page-faults on every 4 kB (measured on LeNet's first layer with a
    data gradient: 2400 faults per step and 1.5-2 times the time).
    """
    size = math.prod(shape)
    if size > _SCRATCH_ENTRIES:
        return numpy.empty(shape, dtype=dtype)
    key = numpy.dtype(dtype).char
    buf = getattr(_SCRATCH, key, None)
    if buf is None or buf.size < size:
        buf = numpy.empty(size, dtype=dtype)
        setattr(_SCRATCH, key, buf)
    return buf[:size].reshape(shape)


def _batches(n, bytes_per_sample, workspace):
    """Slices of the batch whose im2col matrix fits in ``workspace`` megabytes."""
    step = max(1, (workspace << 20) // max(1, bytes_per_sample))
    return [(i, min(n, i + step)) for i in range(0, n, step)]


def _col_bytes(x_shape, planar, itemsize):
    """The bytes of the im2col matrix per sample."""
    rows, cols = _col_shape((1,) + tuple(x_shape[1:]), planar)
    return rows * cols * itemsize


# Convolution keeps its im2col matrix on the autograd tape for the weight
# gradient when it has at most this many entries (32 MB of float32): building
# it again in the backward pass costs as much as in the forward, which for
# layers with few filters (LeNet) is a large part of the whole layer. Larger
# matrices are rebuilt, as MXNet does, so that memory stays bounded.
_KEEP_COL_ENTRIES = 1 << 23


def _kept_col_shape(x_shape, planar, workspace):
    """The shape of the im2col matrix Convolution keeps for x_shape, or None."""
    shape = _col_shape(x_shape, planar)
    entries = shape[0] * shape[1]
    # 8 bytes an entry: whatever the dtype, the whole batch is then one workspace slice.
    if 0 < entries <= _KEEP_COL_ENTRIES and entries * 8 <= workspace << 20:
        return shape
    return None


def _grouped_columns(xp, dy, groups):
    """(N, F, OH, OW) as a contiguous (G, F/G, N*OH*OW) array: the GEMM operand."""
    n, f = dy.shape[:2]
    rows = xp.ascontiguousarray(dy.reshape(n, f, -1).transpose(1, 0, 2))
    return rows.reshape(groups, f // groups, -1)


def _conv2d(xp, x, w, bias, planar, groups, workspace, keep_col=False):
    """Convolution of x (N, C, H, W) with w (F, C/G, kh, kw), plus bias (F,) or None.

    Returns the output and, with ``keep_col`` (when the batch is one
    workspace slice), the im2col matrix of x in an array of its own.
    """
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = planar
    n, _, h, wd = x.shape
    f = w.shape[0]
    oh, ow = _out_size(h, kh, sh, ph, dh), _out_size(wd, kw, sw, pw, dw)
    weight = w.reshape(groups, f // groups, -1)
    y = xp.empty((n, f, oh * ow), dtype=x.dtype)
    col = None
    for n0, n1 in _batches(n, _col_bytes(x.shape, planar, x.itemsize), workspace):
        col = _im2col(xp, x[n0:n1], planar, scratch=not keep_col)
        out = xp.matmul(weight, col.reshape(groups, weight.shape[2], -1))
        # (F, n*P) -> (n, F, P): the transpose copy is C*kh*kw times smaller than col.
        out = out.reshape(f, n1 - n0, -1).transpose(1, 0, 2)
        if bias is None:
            y[n0:n1] = out
        else:
            xp.add(out, bias.reshape(f, 1), out=y[n0:n1])
    return y.reshape(n, f, oh, ow), col if keep_col else None


def _conv2d_data_grad(xp, dy, w, x_shape, planar, groups, workspace):
    """The gradient of _conv2d with respect to x (N, C, H, W): col2im(w^T @ dy)."""
    f = w.shape[0]
    weight_t = w.reshape(groups, f // groups, -1).transpose(0, 2, 1)
    parts = []
    for n0, n1 in _batches(x_shape[0], _col_bytes(x_shape, planar, dy.itemsize), workspace):
        rows = _grouped_columns(xp, dy[n0:n1], groups)
        shape = (groups, weight_t.shape[1], rows.shape[2])
        col = xp.matmul(weight_t, rows, out=_scratch(shape, dy.dtype) if xp is numpy else None)
        parts.append(_col2im(xp, col.reshape(-1, col.shape[2]), (n1 - n0,) + tuple(x_shape[1:]),
                             planar))
    if not parts:
        return xp.zeros(x_shape, dtype=dy.dtype)
    return parts[0] if len(parts) == 1 else xp.concatenate(parts)


def _conv2d_weight_grad(xp, x, dy, planar, groups, workspace, col=None):
    """The gradient of _conv2d with respect to w: dy @ im2col(x)^T, summed over the batch.

    ``col``, when given, is im2col(x) for the whole batch, kept from the forward.
    """
    (kh, kw) = planar[0]
    n, c = x.shape[:2]
    f = dy.shape[1]
    if col is not None:
        dw = _matmul_nt(xp, _grouped_columns(xp, dy, groups),
                        col.reshape(groups, -1, col.shape[1]))
        return dw.reshape(f, c // groups, kh, kw)
    dw = xp.zeros((groups, f // groups, c // groups * kh * kw), dtype=x.dtype)
    for n0, n1 in _batches(n, _col_bytes(x.shape, planar, x.itemsize), workspace):
        col = _im2col(xp, x[n0:n1], planar, scratch=True).reshape(groups, dw.shape[2], -1)
        dw += _matmul_nt(xp, _grouped_columns(xp, dy[n0:n1], groups), col)
    return dw.reshape(f, c // groups, kh, kw)


def _matmul_nt(xp, a, b):
    """``a @ b^T`` for stacks (G, m, k) and (G, n, k), as one 2-D product per group.

    numpy's stacked matmul does not hand a transposed operand to BLAS: for
    LeNet's first weight gradient (k = 73728) it took 0.7 s where the 2-D
    product takes 5 ms (numpy 2.4).
    """
    return xp.stack([xp.matmul(a[g], b[g].T) for g in range(a.shape[0])])


def _planar_shape(shape, ndim):
    """A 1-D shape (N, C, W) as (N, C, 1, W), so that it runs through the 2-D code."""
    return tuple(shape) if ndim == 2 else tuple(shape[:2]) + (1,) + tuple(shape[2:])


def _planes(a, ndim):
    return a.reshape(_planar_shape(a.shape, ndim))


# ------------------------------------------------------------- gradients --

def _channel_sum(F, dy):
    return F.sum(dy, axis=(0,) + tuple(range(2, dy.ndim)))


def _geometry_attrs(geom, pad=None):
    return dict(kernel=geom.kernel, stride=geom.stride, dilate=geom.dilate,
                pad=geom.pad if pad is None else pad, num_group=geom.groups,
                workspace=geom.workspace)


def _data_grad(F, dy, weight, x_shape, geom):
    """Convolution's data gradient: a Deconvolution that recovers the input size exactly."""
    adj = tuple((size + 2 * geom.pad[a] - geom.dilated(a)) % geom.stride[a]
                for a, size in enumerate(x_shape[2:]))
    return F.Deconvolution(dy, weight, adj=adj, num_filter=x_shape[1], no_bias=True,
                           **_geometry_attrs(geom))


def _grad_convolution(F, inputs, outputs, ograds, kernel=(), stride=(), dilate=(), pad=(),
                      num_filter=0, num_group=1, workspace=1024, no_bias=False,
                      cudnn_tune=None, cudnn_off=False, layout=None):
    data, weight = inputs[0], inputs[1]
    dy = ograds[0]
    geom = _geometry(kernel, stride, dilate, pad, num_filter, num_group, workspace,
                     cudnn_tune, layout)
    col = outputs[1] if len(outputs) > 1 else None
    grads = [_data_grad(F, dy, weight, data.shape, geom) if needs_grad(data) else None,
             F._conv_weight_grad(data, dy, col, **_geometry_attrs(geom))
             if needs_grad(weight) else None]
    if len(inputs) == 3:
        grads.append(_channel_sum(F, dy) if needs_grad(inputs[2]) else None)
    return grads


def _grad_deconvolution(F, inputs, outputs, ograds, kernel=(), stride=(), dilate=(), pad=(),
                        adj=(), target_shape=(), num_filter=0, num_group=1, workspace=512,
                        no_bias=True, cudnn_tune=None, cudnn_off=False, layout=None):
    data, weight = inputs[0], inputs[1]
    dy = ograds[0]
    geom = _geometry(kernel, stride, dilate, pad, num_filter, num_group, workspace,
                     cudnn_tune, layout)
    pad = _deconv_padding(geom, data.shape, adj, target_shape)[0]
    attrs = _geometry_attrs(geom, pad)
    grads = [F.Convolution(dy, weight, num_filter=data.shape[1], no_bias=True, **attrs)
             if needs_grad(data) else None,
             F._conv_weight_grad(dy, data, **attrs) if needs_grad(weight) else None]
    if len(inputs) == 3:
        grads.append(_channel_sum(F, dy) if needs_grad(inputs[2]) else None)
    return grads


def _grad_conv_weight_grad(F, inputs, outputs, ograds, kernel=(), stride=(), dilate=(),
                           pad=(), num_group=1, workspace=1024):
    # <G, dw(x, dy)> = <conv(x, G), dy>: linear in x and in dy.
    data, dy = inputs[0], inputs[1]
    g = ograds[0]
    # (num_filter=1 only passes the check: the filters are the channels of dy.)
    geom = _geometry(kernel, stride, dilate, pad, 1, num_group, workspace, None, None)
    # The kept im2col matrix is a cache of data's patches: data's gradient
    # already covers it, so it gets none of its own.
    return [_data_grad(F, dy, g, data.shape, geom) if needs_grad(data) else None,
            F.Convolution(data, g, num_filter=dy.shape[1], no_bias=True,
                          **_geometry_attrs(geom)) if needs_grad(dy) else None,
            None][:len(inputs)]


# ------------------------------------------------------------- operators --

@register('Convolution', gradient=_grad_convolution, infer_shape=_convolution_shape,
          num_visible=1)
def convolution(xp, data, weight, bias=None, *, kernel=(), stride=(), dilate=(), pad=(),
                num_filter=0, num_group=1, workspace=1024, no_bias=False, cudnn_tune=None,
                cudnn_off=False, layout=None):
    """1-D or 2-D convolution (cross-correlation) of ``data`` with ``num_filter`` filters.

    ``out[n, f] = bias[f] + sum_c data[n, c] (star) weight[f, c]``; along each
    spatial axis the output has ``floor((x + 2p - d(k-1) - 1) / s) + 1`` entries.

    Parameters
    ----------
    data : NDArray
        (batch, channels, width) for a 1-D kernel, (batch, channels, height, width)
        for a 2-D one.
    weight : NDArray
        (num_filter, channels / num_group) + kernel.
    bias : NDArray, optional
        (num_filter,); given exactly when ``no_bias`` is False.
    kernel : int or tuple of int
        (w,) or (h, w); required. An integer means (w,).
    stride, dilate, pad : tuple of int, optional
        One entry per spatial axis; default 1, 1 and 0 on every axis.
    num_filter : int
        The number of output channels; required.
    num_group : int, default 1
        Split the channels into groups convolved separately (``num_group`` =
        channels gives a depthwise convolution).
    workspace : int, default 1024
        Megabytes the im2col matrix may take; larger batches are processed in slices.
    no_bias : bool, default False
    cudnn_tune, cudnn_off : optional
        Accepted for compatibility; they have no effect in mxlearn.
    layout : {None, 'NCW', 'NCHW'}
        Only the channels-first layout of the kernel's dimension is supported.

    Returns
    -------
    NDArray
        (batch, num_filter) + output spatial size.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.arange(16).reshape((1, 1, 4, 4))
    >>> w = mx.nd.ones((1, 1, 2, 2))
    >>> mx.nd.Convolution(x, w, kernel=(2, 2), stride=(2, 2), num_filter=1,
    ...                   no_bias=True).asnumpy()
    array([[[[10., 18.],
             [42., 50.]]]], dtype=float32)
    """
    geom = _geometry(kernel, stride, dilate, pad, num_filter, num_group, workspace,
                     cudnn_tune, layout)
    shapes = [data.shape, weight.shape] + ([] if bias is None else [bias.shape])
    out_shape = _conv_checked(geom, shapes, num_filter, no_bias)
    x = _planes(data, geom.ndim)
    keep = _kept_col_shape(x.shape, geom.planar(), geom.workspace) is not None
    y, col = _conv2d(xp, x, _planes(weight, geom.ndim), bias, geom.planar(), geom.groups,
                     geom.workspace, keep)
    return (y.reshape(out_shape), col) if keep else y.reshape(out_shape)


@register('Deconvolution', gradient=_grad_deconvolution, infer_shape=_deconvolution_shape)
def deconvolution(xp, data, weight, bias=None, *, kernel=(), stride=(), dilate=(), pad=(),
                  adj=(), target_shape=(), num_filter=0, num_group=1, workspace=512,
                  no_bias=True, cudnn_tune=None, cudnn_off=False, layout=None):
    """1-D or 2-D transposed convolution: the data gradient of a Convolution.

    Each input pixel scatters ``weight`` times its value onto the output,
    ``stride`` apart, so the output grows: along each spatial axis it has
    ``s(x - 1) + d(k - 1) + 1 - 2p + adj`` entries. With ``target_shape`` the
    padding (and ``adj``) are chosen to give that output size, and ``pad``
    and ``adj`` are ignored.

    The result is exactly the adjoint of Convolution with the same attributes
    (which is also how MXNet computes Deconvolution's gradient). MXNet 1.9.1's
    CPU forward departs from that when both stride and dilate exceed 1;
    mxlearn follows the definition.

    Parameters
    ----------
    data : NDArray
        (batch, channels) + spatial size, 1-D or 2-D.
    weight : NDArray
        (channels, num_filter / num_group) + kernel: the weight of the
        Convolution whose gradient this is.
    bias : NDArray, optional
        (num_filter,); given exactly when ``no_bias`` is False.
    kernel : int or tuple of int
        (w,) or (h, w); required.
    stride, dilate, pad : tuple of int, optional
        Those of the corresponding Convolution.
    adj : tuple of int, optional
        Extra output rows/columns at the end (each smaller than the stride).
    target_shape : tuple of int, optional
        The output's spatial size; overrides ``pad`` and ``adj``.
    num_filter : int
        The number of output channels; required.
    num_group : int, default 1
    workspace : int, default 512
        Megabytes the col2im matrix may take.
    no_bias : bool, default True
        Note that Deconvolution has no bias unless asked for, unlike Convolution.
    cudnn_tune, cudnn_off : optional
        Accepted for compatibility; they have no effect in mxlearn.
    layout : {None, 'NCW', 'NCHW'}

    Returns
    -------
    NDArray
        (batch, num_filter) + output spatial size.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[[1, 2]]])
    >>> mx.nd.Deconvolution(x, mx.nd.ones((1, 1, 3)), kernel=(3,), stride=(2,),
    ...                     num_filter=1).asnumpy()
    array([[[1., 1., 3., 2., 2.]]], dtype=float32)
    """
    geom = _geometry(kernel, stride, dilate, pad, num_filter, num_group, workspace,
                     cudnn_tune, layout)
    shapes = [data.shape, weight.shape] + ([] if bias is None else [bias.shape])
    out_shape, geom = _deconv_checked(geom, shapes, num_filter, no_bias, adj, target_shape)
    y = _conv2d_data_grad(xp, _planes(data, geom.ndim), _planes(weight, geom.ndim),
                          _planar_shape(out_shape, geom.ndim),
                          geom.planar(), geom.groups, geom.workspace)
    if bias is not None:
        y += bias.reshape(-1, 1, 1)
    return y.reshape(out_shape)


def _conv_weight_grad_shape(in_shapes, kernel=(), stride=(), dilate=(), pad=(), num_group=1,
                            workspace=1024):
    geom = _geometry(kernel, stride, dilate, pad, 1, num_group, workspace, None, None)
    return [_weight_grad_checked(geom, in_shapes)]


def _weight_grad_checked(geom, in_shapes):
    data = _check_data(in_shapes[0], geom)
    ograd = _check_data(in_shapes[1], geom, 'ograd')
    _check_groups(data[1], ograd[1], geom.groups, 'input')
    expected = _conv_shape(geom, data, ograd[1])
    if ograd != expected:
        raise MXNetError('ograd has shape %s; expected %s, the shape of the convolution '
                         'of data' % (ograd, expected))
    if len(in_shapes) > 2:
        col = _col_shape(_planar_shape(data, geom.ndim), geom.planar())
        if tuple(in_shapes[2]) != col:
            raise MXNetError('col has shape %s; expected %s, the im2col matrix of data'
                             % (tuple(in_shapes[2]), col))
    return (ograd[1], data[1] // geom.groups) + geom.kernel


@register('_conv_weight_grad', gradient=_grad_conv_weight_grad,
          infer_shape=_conv_weight_grad_shape)
def conv_weight_grad(xp, data, ograd, col=None, *, kernel=(), stride=(), dilate=(), pad=(),
                     num_group=1, workspace=1024):
    """The gradient of a Convolution's weight, given its input and its output gradient.

    ``dw[f, c] = sum_n data[n, c] (star) ograd[n, f]``, computed as
    ``ograd @ im2col(data)^T``. The weight gradient of a Deconvolution is the
    same operation with the roles of data and ograd swapped.

    Parameters
    ----------
    data : NDArray
        The convolution's input, (batch, channels) + spatial size.
    ograd : NDArray
        The gradient of its output, (batch, num_filter) + output size.
    col : NDArray, optional
        The im2col matrix of data, (channels * prod(kernel), batch * output
        pixels), as kept by Convolution's forward; built here when absent.
    kernel, stride, dilate, pad, num_group, workspace
        The convolution's attributes.

    Returns
    -------
    NDArray
        (num_filter, channels / num_group) + kernel.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.arange(4).reshape((1, 1, 4))
    >>> mx.nd._conv_weight_grad(x, mx.nd.ones((1, 1, 3)), kernel=(2,)).asnumpy()
    array([[[3., 6.]]], dtype=float32)
    """
    geom = _geometry(kernel, stride, dilate, pad, 1, num_group, workspace, None, None)
    shapes = [data.shape, ograd.shape] + ([] if col is None else [col.shape])
    out_shape = _weight_grad_checked(geom, shapes)
    dw = _conv2d_weight_grad(xp, _planes(data, geom.ndim), _planes(ograd, geom.ndim),
                             geom.planar(), geom.groups, geom.workspace, col)
    return dw.reshape(out_shape)
