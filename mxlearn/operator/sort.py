"""Sorting: sort, argsort and topk.

Orderings are stable in both directions: equal elements keep their original
order whether sorting up or down (as MXNet does), so results are reproducible
and the same on numpy and CuPy. Indices come back as float32 by default, as in
MXNet (``dtype=`` picks another type).

The gradients of ``sort`` and of ``topk``'s values send each output gradient
back to the position its value came from, with the helper operators
``_gather_along_axis`` and ``_scatter_along_axis``, each of which is the
other's gradient.
"""
import numpy

from ..base import MXNetError
from .registry import register
from .shapes import check_axis


def _stable_argsort(xp, data, axis, ascending):
    """Indices that sort ``data`` along ``axis``, ties kept in their original order."""
    # numpy's default quicksort is not stable; CuPy always sorts stably and
    # does not take the numpy-only ``kind`` argument on every version.
    kw = {'kind': 'stable'} if xp is numpy else {}
    if ascending:
        return xp.argsort(data, axis=axis, **kw)
    # Descending and still stable: sort the reversed array ascending, reverse
    # the result, and map the positions back to the unreversed array.
    flipped = xp.argsort(xp.flip(data, axis), axis=axis, **kw)
    return (data.shape[axis] - 1) - xp.flip(flipped, axis)


def _flat_or_axis(data, axis):
    """``data`` and the axis to sort along: axis None sorts the flattened array."""
    if axis is None:
        return data.reshape(-1), 0
    return data, check_axis(axis, data.ndim)


def _index_dtype(dtype):
    try:
        return numpy.dtype(dtype)
    except TypeError:
        raise MXNetError('dtype %r is not a data type' % (dtype,)) from None


def _along_axis_key(xp, index, axis):
    """The fancy-index key that addresses ``out[..., index[...], ...]`` along ``axis``."""
    key = []
    for d, n in enumerate(index.shape):
        if d == axis:
            key.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = n
            key.append(xp.arange(n).reshape(shape))
    return tuple(key)


def _as_positions(xp, index):
    return index if index.dtype.kind in 'iu' else index.astype(numpy.int64)


# ------------------------------------------------------ gather and scatter --

def _gather_shape(in_shapes, axis=-1):
    data, index = (tuple(s) for s in in_shapes)
    if axis is None:
        return [index]
    a = check_axis(axis, len(data))
    if len(index) != len(data) or any(i != d for k, (i, d) in enumerate(zip(index, data))
                                       if k != a):
        raise MXNetError('index shape %s does not fit data shape %s: expected the same '
                         'shape except along axis %d' % (index, data, a))
    return [index]


@register('_gather_along_axis', same_dtype=False, infer_shape=_gather_shape,
          gradient=lambda F, i, o, g, axis=-1:
          (F._scatter_along_axis(g[0], i[1], i[0], axis=axis), None))
def gather_along_axis(xp, data, index, *, axis=-1):
    """``out[..., j, ...] = data[..., index[..., j, ...], ...]`` along ``axis``.

    With ``axis=None``, ``index`` holds positions in the flattened ``data``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[10, 20, 30]])
    >>> mx.nd._gather_along_axis(x, mx.nd.array([[2, 0]]), axis=1).asnumpy()
    array([[30., 10.]], dtype=float32)
    """
    _gather_shape([data.shape, index.shape], axis)
    pos = _as_positions(xp, index)
    if axis is None:
        return data.reshape(-1)[pos]
    return xp.take_along_axis(data, pos, axis=check_axis(axis, data.ndim))


@register('_scatter_along_axis', same_dtype=False,
          infer_shape=lambda shapes, axis=-1: [tuple(shapes[2])],
          gradient=lambda F, i, o, g, axis=-1:
          (F._gather_along_axis(g[0], i[1], axis=axis), None, None))
def scatter_along_axis(xp, data, index, like, *, axis=-1):
    """Zeros shaped like ``like``, with ``data`` written at ``index`` along ``axis``.

    The inverse placement of :func:`gather_along_axis`. The positions along
    each line must be distinct (as those of a sort are); ``axis=None`` takes
    positions in the flattened array.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd._scatter_along_axis(mx.nd.array([[5, 7]]), mx.nd.array([[2, 0]]),
    ...                           mx.nd.zeros_like(mx.nd.array([[0, 0, 0]])),
    ...                           axis=1).asnumpy()
    array([[7., 0., 5.]], dtype=float32)
    """
    out = xp.zeros(like.shape, dtype=data.dtype)
    pos = _as_positions(xp, index)
    if axis is None:
        out.reshape(-1)[pos] = data
    else:
        out[_along_axis_key(xp, pos, check_axis(axis, out.ndim))] = data
    return out


# ---------------------------------------------------------- sort / argsort --

def _sort_shape(in_shapes, axis=-1, is_ascend=True, dtype=None):
    shape = tuple(in_shapes[0])
    if axis is None:
        return [(int(numpy.prod(shape, dtype=numpy.int64)),)]
    check_axis(axis, len(shape))
    return [shape]


def _sort_positions(F, x, axis, is_ascend):
    return F.argsort(x, axis=axis, is_ascend=is_ascend, dtype='int64')


def _grad_sort(F, inputs, outputs, ograds, axis=-1, is_ascend=True):
    x = inputs[0]
    return (F._scatter_along_axis(ograds[0], _sort_positions(F, x, axis, is_ascend), x,
                                  axis=axis),)


@register('sort', gradient=_grad_sort, infer_shape=_sort_shape)
def sort(xp, data, *, axis=-1, is_ascend=True):
    """The elements sorted along ``axis`` (the flattened array when ``axis`` is None).

    The gradient sends each output gradient back to the position its value
    came from.

    Parameters
    ----------
    data : NDArray
    axis : int or None, default -1
    is_ascend : bool, default True

    Returns
    -------
    NDArray
        The input's dtype; the input's shape, or ``(data.size,)`` for axis None.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[3, 1, 2], [4, 6, 5]])
    >>> mx.nd.sort(x, is_ascend=False).asnumpy()
    array([[3., 2., 1.],
           [6., 5., 4.]], dtype=float32)
    >>> mx.nd.sort(x, axis=None).asnumpy()
    array([1., 2., 3., 4., 5., 6.], dtype=float32)
    """
    x, ax = _flat_or_axis(data, axis)
    return xp.take_along_axis(x, _stable_argsort(xp, x, ax, is_ascend), axis=ax)


@register('argsort', infer_shape=_sort_shape,
          infer_type=lambda dtypes, axis=-1, is_ascend=True, dtype='float32':
          [_index_dtype(dtype)])
def argsort(xp, data, *, axis=-1, is_ascend=True, dtype='float32'):
    """The indices that sort ``data`` along ``axis`` (stable: ties keep their order).

    The indices are float32 by default, as in MXNet. They are constants to
    autograd.

    Parameters
    ----------
    data : NDArray
    axis : int or None, default -1
        None sorts the flattened array and gives flat indices.
    is_ascend : bool, default True
    dtype : str, default 'float32'
        The dtype of the indices.

    Returns
    -------
    NDArray

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.argsort(mx.nd.array([2, 1, 2, 1])).asnumpy()
    array([1., 3., 0., 2.], dtype=float32)
    >>> mx.nd.argsort(mx.nd.array([2, 1, 2, 1]), is_ascend=False, dtype='int32').asnumpy()
    array([0, 2, 1, 3], dtype=int32)
    """
    x, ax = _flat_or_axis(data, axis)
    return _stable_argsort(xp, x, ax, is_ascend).astype(_index_dtype(dtype))


# --------------------------------------------------------------------- topk --

_RET_TYPES = ('indices', 'value', 'both', 'mask')


def _topk_k(n, k, axis):
    k = int(k)
    if k > n:
        raise MXNetError('k=%d is larger than the %d elements along %s; expected k <= %d'
                         % (k, n, 'the flattened array' if axis is None else
                            'axis %d' % axis, n))
    return n if k <= 0 else k


def _topk_shape(in_shapes, axis=-1, k=1, ret_typ='indices', is_ascend=False,
                dtype='float32'):
    shape = tuple(in_shapes[0])
    if ret_typ not in _RET_TYPES:
        raise MXNetError('ret_typ=%r is not one of %s' % (ret_typ, ', '.join(_RET_TYPES)))
    if axis is None:
        n = int(numpy.prod(shape, dtype=numpy.int64))
        out = (_topk_k(n, k, axis),)
    else:
        a = check_axis(axis, len(shape))
        out = list(shape)
        out[a] = _topk_k(shape[a], k, a)
        out = tuple(out)
    if ret_typ == 'mask':
        return [shape]
    return [out, out] if ret_typ == 'both' else [out]


def _topk_type(in_dtypes, axis=-1, k=1, ret_typ='indices', is_ascend=False, dtype='float32'):
    return {'indices': [_index_dtype(dtype)], 'value': [in_dtypes[0]], 'mask': [in_dtypes[0]],
            'both': [in_dtypes[0], _index_dtype(dtype)]}[ret_typ]


def _grad_topk(F, inputs, outputs, ograds, axis=-1, k=1, ret_typ='indices', is_ascend=False,
               dtype='float32'):
    x = inputs[0]
    if ret_typ not in ('value', 'both'):
        return (F.zeros_like(x),)
    positions = F.topk(x, axis=axis, k=k, ret_typ='indices', is_ascend=is_ascend,
                       dtype='int64')
    return (F._scatter_along_axis(ograds[0], positions, x, axis=axis),)


@register('topk', gradient=_grad_topk, infer_shape=_topk_shape, infer_type=_topk_type)
def topk(xp, data, *, axis=-1, k=1, ret_typ='indices', is_ascend=False, dtype='float32'):
    """The ``k`` largest (or smallest) elements along ``axis``, or where they are.

    Parameters
    ----------
    data : NDArray
    axis : int or None, default -1
        None searches the flattened array (and gives flat indices).
    k : int, default 1
        How many; ``k <= 0`` means all of them.
    ret_typ : {'indices', 'value', 'both', 'mask'}, default 'indices'
        What to return: the positions, the values, ``[values, indices]``, or
        a 0/1 array of the input's shape marking the chosen elements.
    is_ascend : bool, default False
        Take the smallest elements instead of the largest.
    dtype : str, default 'float32'
        The dtype of the indices.

    Returns
    -------
    NDArray or list of NDArray
        Ties are taken in their original order. The gradient of the values
        goes back to their positions; indices and masks have a zero gradient.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[3, 1, 2], [4, 6, 5]])
    >>> mx.nd.topk(x, k=2).asnumpy()
    array([[0., 2.],
           [1., 2.]], dtype=float32)
    >>> values, indices = mx.nd.topk(x, k=1, axis=None, ret_typ='both')
    >>> values.asnumpy(), indices.asnumpy()
    (array([6.], dtype=float32), array([4.], dtype=float32))
    >>> mx.nd.topk(x, k=2, ret_typ='mask').asnumpy()
    array([[1., 0., 1.],
           [0., 1., 1.]], dtype=float32)
    """
    _topk_shape([data.shape], axis, k, ret_typ, is_ascend, dtype)
    x, ax = _flat_or_axis(data, axis)
    n = x.shape[ax]
    k = _topk_k(n, k, axis)
    order = _stable_argsort(xp, x, ax, is_ascend)
    if k < n:
        order = order[(slice(None),) * ax + (slice(0, k),)]
    if ret_typ == 'mask':
        mask = xp.zeros(x.shape, dtype=data.dtype)
        mask[_along_axis_key(xp, order, ax)] = 1
        return mask.reshape(data.shape)
    if ret_typ == 'indices':
        return order.astype(_index_dtype(dtype))
    values = xp.take_along_axis(x, order, axis=ax)
    if ret_typ == 'value':
        return values
    return values, order.astype(_index_dtype(dtype))
