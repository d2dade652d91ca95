"""Choosing elements by index arrays: take, pick, where, gather_nd, scatter_nd.

Index arrays are float32 in most MXNet code (``mx.nd.array([0, 2])``), so every
operator here truncates its indices to integers itself; indices carry no
gradient. The gradient of a gather is a scatter-add into zeros (an index used
twice receives both gradients); that scatter is a private operator whose own
gradient is the gather again, so second derivatives work.
"""
import numpy as np

from ..backend import scatter_add
from ..base import MXNetError
from .registry import register
from .shapes import check_axis

_MODES = ('clip', 'wrap', 'raise')


def _as_indices(xp, indices):
    """Indices as int64, truncated toward zero like MXNet's float-to-int cast."""
    if indices.dtype.kind in 'iu':
        return indices.astype(np.int64, copy=False)
    return indices.astype(np.int64)


def _fit_indices(xp, idx, n, mode, what='indices'):
    """Bring integer indices into ``[0, n)`` the way ``mode`` says."""
    if mode not in _MODES:
        raise MXNetError("mode=%r is not an index mode; expected 'clip', 'wrap' or 'raise'"
                         % (mode,))
    if idx.size and n == 0:
        raise MXNetError('cannot index into an axis of size 0')
    if mode == 'clip':
        return xp.clip(idx, 0, n - 1)
    if mode == 'wrap':
        return xp.mod(idx, n) if n else idx
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= n:
            raise MXNetError("%s out of bounds with mode='raise': found %d, expected "
                             "0 <= index < %d (mode='clip' or 'wrap' accept any index)"
                             % (what, lo if lo < 0 else hi, n))
    return idx


# --------------------------------------------------------------------- take --

def _take_shape(in_shapes, axis=0, mode='clip'):
    a_shape, i_shape = tuple(in_shapes[0]), tuple(in_shapes[1])
    ax = check_axis(axis, len(a_shape))
    if mode not in _MODES:
        raise MXNetError("mode=%r is not an index mode; expected 'clip', 'wrap' or 'raise'"
                         % (mode,))
    return [a_shape[:ax] + i_shape + a_shape[ax + 1:]]


def _take_grad(F, inputs, outputs, ograds, axis=0, mode='clip'):
    return (F._take_backward(ograds[0], inputs[0], inputs[1], axis=axis, mode=mode), None)


@register('take', gradient=_take_grad, infer_shape=_take_shape, same_dtype=False)
def take(xp, a, indices, *, axis=0, mode='clip'):
    """The slices of ``a`` at ``indices`` along ``axis``.

    The output shape is ``a.shape[:axis] + indices.shape + a.shape[axis+1:]``
    and its dtype is ``a``'s. Indices are truncated to integers; out-of-range
    ones are clipped into range (``mode='clip'``, so -1 gives 0), wrapped
    around (``'wrap'``, so -1 gives the last), or rejected (``'raise'``).

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2], [3, 4], [5, 6]])
    >>> mx.nd.take(x, mx.nd.array([2, 0])).asnumpy()
    array([[5., 6.],
           [1., 2.]], dtype=float32)
    >>> mx.nd.take(x, mx.nd.array([[0, 1]]), axis=1).shape
    (3, 1, 2)
    """
    _take_shape([a.shape, indices.shape], axis, mode)
    ax = check_axis(axis, a.ndim)
    idx = _fit_indices(xp, _as_indices(xp, indices), a.shape[ax], mode)
    return xp.take(a, idx, axis=ax)


@register('_take_backward', same_dtype=False,
          infer_shape=lambda shapes, **a: [tuple(shapes[1])],
          gradient=lambda F, i, o, g, axis=0, mode='clip':
          (F.take(g[0], i[2], axis=axis, mode=mode), None, None))
def take_backward(xp, ograd, a, indices, *, axis=0, mode='clip'):
    """The gradient of ``take``: ``ograd`` added into zeros like ``a`` at the indices."""
    ax = check_axis(axis, a.ndim)
    idx = _fit_indices(xp, _as_indices(xp, indices), a.shape[ax], mode)
    out = xp.zeros(a.shape, dtype=ograd.dtype)
    scatter_add(xp, out, (slice(None),) * ax + (idx,), ograd)
    return out


# --------------------------------------------------------------------- pick --

def _pick_info(data_shape, index_shape, axis):
    """The normalised axis and the keepdims shape the index is read in."""
    data_shape, index_shape = tuple(data_shape), tuple(index_shape)
    if axis is None:
        raise MXNetError('axis=None is not supported by pick; give the axis to pick along')
    ax = check_axis(axis, len(data_shape))
    kept = data_shape[:ax] + (1,) + data_shape[ax + 1:]
    dropped = data_shape[:ax] + data_shape[ax + 1:]
    if index_shape != kept and index_shape != (dropped or (1,)):
        raise MXNetError('index has shape %s; for data of shape %s and axis=%d it must have '
                         'shape %s (or %s)' % (index_shape, data_shape, ax, dropped or (1,),
                                               kept))
    return ax, kept


def _pick_shape(in_shapes, axis=-1, keepdims=False, mode='clip'):
    ax, kept = _pick_info(in_shapes[0], in_shapes[1], axis)
    if keepdims:
        return [kept]
    return [(kept[:ax] + kept[ax + 1:]) or (1,)]


def _pick_index(xp, data, index, axis, mode):
    ax, kept = _pick_info(data.shape, index.shape, axis)
    if mode not in ('clip', 'wrap'):
        raise MXNetError("mode=%r is not supported by pick; expected 'clip' or 'wrap'"
                         % (mode,))
    idx = _fit_indices(xp, _as_indices(xp, index), data.shape[ax], mode)
    return ax, kept, idx.reshape(kept)


def _pick_grad(F, inputs, outputs, ograds, axis=-1, keepdims=False, mode='clip'):
    return (F._pick_backward(ograds[0], inputs[0], inputs[1], axis=axis, keepdims=keepdims,
                             mode=mode), None)


@register('pick', gradient=_pick_grad, infer_shape=_pick_shape, same_dtype=False)
def pick(xp, data, index, *, axis=-1, keepdims=False, mode='clip'):
    """Pick one element along ``axis`` per position: ``out[i] = data[i, index[i]]`` in 2-d.

    ``index`` has the shape of ``data`` without ``axis`` (or with it of size
    1). Indices are truncated to integers and clipped (``mode='clip'``) or
    wrapped (``'wrap'``) into range. ``keepdims=True`` keeps ``axis`` with
    size 1.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2], [3, 4], [5, 6]])
    >>> mx.nd.pick(x, mx.nd.array([0, 1, 1])).asnumpy()
    array([1., 4., 6.], dtype=float32)
    >>> mx.nd.pick(x, mx.nd.array([0, 2]), axis=0, keepdims=True).shape
    (1, 2)
    """
    ax, kept, idx = _pick_index(xp, data, index, axis, mode)
    out = xp.take_along_axis(data, idx, axis=ax)
    if keepdims:
        return out
    return out.reshape(_pick_shape([data.shape, index.shape], axis, keepdims, mode)[0])


@register('_pick_backward', same_dtype=False,
          infer_shape=lambda shapes, **a: [tuple(shapes[1])],
          gradient=lambda F, i, o, g, axis=-1, keepdims=False, mode='clip':
          (F.pick(g[0], i[2], axis=axis, keepdims=keepdims, mode=mode), None, None))
def pick_backward(xp, ograd, data, index, *, axis=-1, keepdims=False, mode='clip'):
    """The gradient of ``pick``: ``ograd`` at the picked positions of zeros like ``data``."""
    ax, kept, idx = _pick_index(xp, data, index, axis, mode)
    positions = xp.arange(data.shape[ax]).reshape(
        (1,) * ax + (data.shape[ax],) + (1,) * (data.ndim - ax - 1))
    # Each position along the other axes picks exactly one element, so a mask
    # (no scatter-add) puts every gradient in place.
    return xp.where(positions == idx, ograd.reshape(kept), 0).astype(ograd.dtype, copy=False)


# -------------------------------------------------------------------- where --

def _where_shape(in_shapes):
    c, x, y = (tuple(s) for s in in_shapes)
    if x != y:
        raise MXNetError('x has shape %s and y has shape %s; expected equal shapes' % (x, y))
    if c != x and not (len(c) == 1 and x and c[0] == x[0]):
        raise MXNetError('condition has shape %s; expected the shape of x and y %s, or a '
                         'vector of length %d (their first axis) to choose whole rows'
                         % (c, x, x[0] if x else 0))
    return [x]


def _where_grad(F, inputs, outputs, ograds):
    cond, g = inputs[0], ograds[0]
    zeros = F.zeros_like(g)
    return (None, F.where(cond, g, zeros), F.where(cond, zeros, g))


@register('where', gradient=_where_grad, infer_shape=_where_shape, same_dtype=False,
          infer_type=lambda dtypes: [dtypes[1]])
def where(xp, condition, x, y):
    """Elementwise ``x`` where ``condition`` is nonzero, else ``y``.

    ``x`` and ``y`` have the same shape and dtype. ``condition`` (any dtype)
    has that shape too, or is a vector over the first axis that chooses
    whole rows. The gradient goes to ``x`` where the condition holds and to
    ``y`` elsewhere.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2], [3, 4]])
    >>> y = mx.nd.array([[10, 20], [30, 40]])
    >>> mx.nd.where(mx.nd.array([[1, 0], [0, 1]]), x, y).asnumpy()
    array([[ 1., 20.],
           [30.,  4.]], dtype=float32)
    >>> mx.nd.where(mx.nd.array([0, 1]), x, y).asnumpy()
    array([[10., 20.],
           [ 3.,  4.]], dtype=float32)
    """
    _where_shape([condition.shape, x.shape, y.shape])
    if x.dtype != y.dtype:
        raise MXNetError('x is %s and y is %s; expected the same dtype (use astype() to '
                         'convert)' % (x.dtype, y.dtype))
    mask = condition != 0
    if mask.shape != x.shape:
        mask = mask.reshape((-1,) + (1,) * (x.ndim - 1))
    return xp.where(mask, x, y)


# -------------------------------------------------------- gather_nd, scatter_nd --

def _nd_key(xp, indices, shape, what='indices'):
    """The tuple of integer index arrays that ``indices`` (shape ``(M, ...)``) stands for."""
    ishape, shape = tuple(indices.shape), tuple(shape)
    _nd_check(ishape, shape)
    idx = _as_indices(xp, indices)
    m = ishape[0]
    if idx.size:
        for k in range(m):
            lo, hi = int(idx[k].min()), int(idx[k].max())
            if lo < -shape[k] or hi >= shape[k]:
                raise MXNetError('%s: row %d holds index %d, out of bounds for axis %d of '
                                 'size %d' % (what, k, lo if lo < -shape[k] else hi, k,
                                              shape[k]))
    return tuple(idx[k] for k in range(m))


def _nd_check(ishape, shape):
    if len(ishape) < 2:
        raise MXNetError('indices has shape %s; expected at least 2 dimensions, (M, ...), '
                         'where row k holds the indices into axis k' % (ishape,))
    if ishape[0] > len(shape):
        raise MXNetError('indices has shape %s, so it indexes %d axes, but the array has '
                         'shape %s with only %d' % (ishape, ishape[0], shape, len(shape)))


def _gather_nd_shape(in_shapes):
    shape, ishape = tuple(in_shapes[0]), tuple(in_shapes[1])
    _nd_check(ishape, shape)
    return [ishape[1:] + shape[ishape[0]:]]


@register('gather_nd', infer_shape=_gather_nd_shape, same_dtype=False,
          gradient=lambda F, i, o, g: (F._gather_nd_backward(g[0], i[1],
                                                             shape=tuple(i[0].shape)), None))
def gather_nd(xp, data, indices):
    """Gather elements or slices: ``out[j] = data[indices[0, j], indices[1, j], ...]``.

    ``indices`` has shape ``(M, ...)``: row ``k`` holds indices into axis
    ``k`` of ``data`` (negative ones count from the end). The output has shape
    ``indices.shape[1:] + data.shape[M:]``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2], [3, 4]])
    >>> mx.nd.gather_nd(x, mx.nd.array([[1, 0], [0, 1]])).asnumpy()
    array([3., 2.], dtype=float32)
    >>> mx.nd.gather_nd(x, mx.nd.array([[1, 1]])).asnumpy()
    array([[3., 4.],
           [3., 4.]], dtype=float32)
    """
    return data[_nd_key(xp, indices, data.shape)]


@register('_gather_nd_backward', same_dtype=False,
          infer_shape=lambda shapes, shape=(): [tuple(shape)],
          gradient=lambda F, i, o, g, shape=(): (F.gather_nd(g[0], i[1]), None))
def gather_nd_backward(xp, ograd, indices, *, shape=()):
    """The gradient of ``gather_nd``: ``ograd`` added into zeros of ``shape`` at the indices."""
    out = xp.zeros(tuple(shape), dtype=ograd.dtype)
    scatter_add(xp, out, _nd_key(xp, indices, shape), ograd)
    return out


def _scatter_nd_shape(in_shapes, shape=None):
    if shape is None:
        raise MXNetError('the shape attribute of scatter_nd (the output shape) is required')
    dshape, ishape, shape = tuple(in_shapes[0]), tuple(in_shapes[1]), tuple(shape)
    _nd_check(ishape, shape)
    expected = ishape[1:] + shape[ishape[0]:]
    if dshape != expected:
        raise MXNetError('data has shape %s; for indices of shape %s and shape=%s it must '
                         'have shape %s (indices.shape[1:] + shape[M:])'
                         % (dshape, ishape, shape, expected))
    return [shape]


@register('scatter_nd', infer_shape=_scatter_nd_shape, same_dtype=False,
          gradient=lambda F, i, o, g, shape=None: (F.gather_nd(g[0], i[1]), None))
def scatter_nd(xp, data, indices, *, shape=None):
    """Zeros of ``shape`` with ``data`` written at ``indices`` (the inverse of ``gather_nd``).

    ``indices`` has shape ``(M, ...)`` as in ``gather_nd``, and ``data`` has
    shape ``indices.shape[1:] + shape[M:]``. Where an index repeats, one of
    the values is kept (which one is unspecified), as in MXNet.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.scatter_nd(mx.nd.array([1, 2]), mx.nd.array([[0, 1], [1, 2]]),
    ...                  shape=(2, 3)).asnumpy()
    array([[0., 1., 0.],
           [0., 0., 2.]], dtype=float32)
    """
    shape = _scatter_nd_shape([data.shape, indices.shape], shape)[0]
    out = xp.zeros(shape, dtype=data.dtype)
    out[_nd_key(xp, indices, shape)] = data
    return out
