"""Reductions: sum, mean, max, min, prod, nansum, nanprod, norm, argmax, argmin.

MXNet's conventions, kept by every reduction here:

- ``axis=None`` (or ``()``) reduces every axis, whatever ``exclude`` says;
  ``exclude=True`` with listed axes reduces every axis *not* listed;
- a result that would be 0-d has shape ``(1,)``;
- integer inputs keep their dtype (the mean of int32 values is an int32,
  truncated toward zero).

The gradients broadcast the output gradient back over the reduced axes with
``F.reshape`` and ``F.broadcast_like``, so they can be differentiated again.
``broadcast_axis``, the adjoint of ``sum(..., keepdims=True)``, lives here too.
"""
import math

import numpy

from ..base import MXNetError
from .registry import register
from .shapes import check_axis


# ------------------------------------------------------------- axes, shapes --

def reduced_axes(axis, ndim, exclude=False):
    """The sorted tuple of axes that a reduction with ``axis``/``exclude`` covers.

    Examples
    --------
    >>> reduced_axes(None, 3), reduced_axes(-1, 3), reduced_axes((0, 2), 3, exclude=True)
    ((0, 1, 2), (2,), (1,))
    """
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
    if not axes:
        return tuple(range(ndim))
    seen = []
    for a in axes:
        a = check_axis(a, ndim)
        if a in seen:
            raise MXNetError('axis %d appears twice in axis=%s; expected distinct axes'
                             % (a, tuple(axes)))
        seen.append(a)
    if exclude:
        return tuple(i for i in range(ndim) if i not in seen)
    return tuple(sorted(seen))


def reduced_shape(shape, axes, keepdims):
    """The output shape of reducing ``shape`` over ``axes`` (never 0-d)."""
    if keepdims:
        return tuple(1 if i in axes else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in axes) or (1,)


def _reduce_shape(in_shapes, axis=None, keepdims=False, exclude=False, **attrs):
    shape = tuple(in_shapes[0])
    return [reduced_shape(shape, reduced_axes(axis, len(shape), exclude), keepdims)]


def _finish(xp, out, shape):
    # numpy turns a full reduction into a scalar; MXNet has no 0-d arrays.
    out = xp.asarray(out)
    return out if out.shape == shape else out.reshape(shape)


def _accumulator(dtype):
    # float16 sums lose too much precision; accumulate them in float32.
    return numpy.float32 if dtype == numpy.float16 else dtype


def broadcast_back(F, grad, like, axis=None, keepdims=False, exclude=False):
    """``grad`` (the gradient of a reduction of ``like``) spread over ``like``'s shape.

    Each element of ``like`` receives the gradient of the output element it was
    reduced into. Written with ``F`` ops, so it is differentiable again.
    """
    shape = like.shape
    if like.size == 0:
        return F.zeros_like(like)
    axes = reduced_axes(axis, len(shape), exclude)
    kept = reduced_shape(shape, axes, True)
    if grad.shape != kept:
        grad = F.reshape(grad, shape=kept)
    if kept == shape:
        return grad
    return F.broadcast_like(grad, like)


def _count(shape, axes):
    return math.prod(shape[a] for a in axes)


# ------------------------------------------------------------------ sum, mean --

def _grad_sum(F, inputs, outputs, ograds, axis=None, keepdims=False, exclude=False):
    return (broadcast_back(F, ograds[0], inputs[0], axis, keepdims, exclude),)


_REDUCE_PARAMS = """
Parameters
----------
data : NDArray
axis : int or tuple of int, optional
    The axes to reduce; None (or ``()``) reduces all of them.
keepdims : bool, default False
    Keep the reduced axes, with size 1.
exclude : bool, default False
    Reduce every axis *except* those in ``axis``.

Returns
-------
NDArray
    The reduction; shape ``(1,)`` when every axis is reduced without keepdims.
"""


def _with_params(forward):
    """Put the parameters shared by all reductions into ``forward``'s docstring."""
    forward.__doc__ = forward.__doc__.replace(
        '{params}', _REDUCE_PARAMS.replace('\n', '\n    ').rstrip() + '\n')
    return forward


@register('sum', gradient=_grad_sum, infer_shape=_reduce_shape, aliases=('sum_axis',))
@_with_params
def reduce_sum(xp, data, *, axis=None, keepdims=False, exclude=False):
    """Sum of the elements over the given axes.

    The gradient is the output gradient broadcast back over the reduced axes.
    {params}
    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2, 3], [4, 5, 6]])
    >>> mx.nd.sum(x, axis=1).asnumpy()
    array([ 6., 15.], dtype=float32)
    >>> mx.nd.sum(x).shape
    (1,)
    >>> mx.nd.sum(x, axis=0, exclude=True).asnumpy()
    array([ 6., 15.], dtype=float32)
    """
    axes = reduced_axes(axis, data.ndim, exclude)
    acc = _accumulator(data.dtype)
    out = xp.sum(data, axis=axes, dtype=acc, keepdims=keepdims)
    if acc != data.dtype:
        out = out.astype(data.dtype)
    return _finish(xp, out, reduced_shape(data.shape, axes, keepdims))


def _grad_mean(F, inputs, outputs, ograds, axis=None, keepdims=False, exclude=False):
    x = inputs[0]
    n = _count(x.shape, reduced_axes(axis, x.ndim, exclude))
    return (broadcast_back(F, ograds[0], x, axis, keepdims, exclude) / max(n, 1),)


@register('mean', gradient=_grad_mean, infer_shape=_reduce_shape)
@_with_params
def mean(xp, data, *, axis=None, keepdims=False, exclude=False):
    """Arithmetic mean over the given axes.

    Integer inputs give an integer result, truncated toward zero, as in MXNet.
    The mean over an empty axis is NaN for floating-point inputs.
    {params}
    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.mean(mx.nd.array([[1, 2], [3, 4]]), axis=0).asnumpy()
    array([2., 3.], dtype=float32)
    >>> mx.nd.mean(mx.nd.array([1, 2], dtype='int32')).asnumpy()
    array([1], dtype=int32)
    """
    axes = reduced_axes(axis, data.ndim, exclude)
    shape = reduced_shape(data.shape, axes, keepdims)
    n = _count(data.shape, axes)
    if n == 0:
        if data.dtype.kind != 'f':
            raise MXNetError('cannot take the mean of an empty axis of an integer array '
                             '(shape %s)' % (data.shape,))
        return xp.full(shape, numpy.nan, dtype=data.dtype)
    if data.dtype.kind == 'f':
        acc = _accumulator(data.dtype)
        out = xp.sum(data, axis=axes, dtype=acc, keepdims=keepdims) / n
    else:
        out = xp.mean(data, axis=axes, keepdims=keepdims)
    return _finish(xp, out.astype(data.dtype, copy=False), shape)


# --------------------------------------------------------------- max, min --

def _grad_extreme(F, inputs, outputs, ograds, axis=None, keepdims=False, exclude=False):
    x = inputs[0]
    if x.size == 0:
        return (F.zeros_like(x),)
    kw = dict(axis=axis, keepdims=keepdims, exclude=exclude)
    # Ties share the gradient equally: that is a valid subgradient, and for a
    # tie between two elements it is exactly what central differences measure.
    hit = x == broadcast_back(F, outputs[0], x, **kw)
    count = broadcast_back(F, F.sum(hit, **kw), x, **kw)
    return (broadcast_back(F, ograds[0], x, **kw) * hit / count,)


def _extreme(name, fn, doc):
    def forward(xp, data, *, axis=None, keepdims=False, exclude=False):
        axes = reduced_axes(axis, data.ndim, exclude)
        if _count(data.shape, axes) == 0:
            raise MXNetError('cannot take the %s of an empty axis (input shape %s); '
                             'expected every reduced axis to have size >= 1'
                             % (name, data.shape))
        out = getattr(xp, fn)(data, axis=axes, keepdims=keepdims)
        return _finish(xp, out, reduced_shape(data.shape, axes, keepdims))
    forward.__name__ = name
    forward.__doc__ = doc.replace('{params}', _REDUCE_PARAMS)
    register(name, gradient=_grad_extreme, infer_shape=_reduce_shape,
             aliases=(name + '_axis',))(forward)


_extreme('max', 'max', """Largest element over the given axes.

NaN propagates: the max of an array containing NaN is NaN. The gradient goes to
the positions of the maximum; when several elements tie, they share it equally
(MXNet gives each of them the full gradient).
{params}
Examples
--------
>>> import mxlearn as mx
>>> mx.nd.max(mx.nd.array([[1, 5], [7, 2]]), axis=1).asnumpy()
array([5., 7.], dtype=float32)
""")

_extreme('min', 'min', """Smallest element over the given axes.

NaN propagates. The gradient goes to the positions of the minimum; ties share it
equally (MXNet gives each of them the full gradient).
{params}
Examples
--------
>>> import mxlearn as mx
>>> mx.nd.min(mx.nd.array([[1, 5], [7, 2]]), axis=1).asnumpy()
array([1., 2.], dtype=float32)
""")


# -------------------------------------------------------------- prod, nan* --

def _prod_vjp(F, x, grad, kw):
    """The gradient of ``prod(x)``, exact when ``x`` has zeros.

    ``prod(x) / x`` divides by zero; instead each element gets the product of
    the *other* elements: with no zero in its group that is ``prod / x``; with
    exactly one zero only that zero's position gets the product of the rest;
    with two or more zeros every such product is zero.
    """
    zero = x == 0
    safe = x + zero
    rest = broadcast_back(F, F.prod(safe, **kw), x, **kw)
    zeros = broadcast_back(F, F.sum(zero, **kw), x, **kw)
    factor = (zeros == 0) + (zeros == 1) * zero
    return broadcast_back(F, grad, x, **kw) * rest / safe * factor


def _grad_prod(F, inputs, outputs, ograds, axis=None, keepdims=False, exclude=False):
    x = inputs[0]
    if x.size == 0:
        return (F.zeros_like(x),)
    return (_prod_vjp(F, x, ograds[0], dict(axis=axis, keepdims=keepdims, exclude=exclude)),)


@register('prod', gradient=_grad_prod, infer_shape=_reduce_shape)
@_with_params
def prod(xp, data, *, axis=None, keepdims=False, exclude=False):
    """Product of the elements over the given axes.

    The gradient of each element is the product of the other elements of its
    group, computed without dividing by zero (MXNet gives NaN at zeros).
    {params}
    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.prod(mx.nd.array([[1, 2], [3, 4]]), axis=1).asnumpy()
    array([ 2., 12.], dtype=float32)
    """
    axes = reduced_axes(axis, data.ndim, exclude)
    acc = _accumulator(data.dtype)
    out = xp.prod(data, axis=axes, dtype=acc, keepdims=keepdims)
    if acc != data.dtype:
        out = out.astype(data.dtype)
    return _finish(xp, out, reduced_shape(data.shape, axes, keepdims))


def _grad_nansum(F, inputs, outputs, ograds, axis=None, keepdims=False, exclude=False):
    x = inputs[0]
    return (broadcast_back(F, ograds[0], x, axis, keepdims, exclude) * (x == x),)


@register('nansum', gradient=_grad_nansum, infer_shape=_reduce_shape)
@_with_params
def nansum(xp, data, *, axis=None, keepdims=False, exclude=False):
    """Sum over the given axes, treating NaN as zero.

    NaN elements get a zero gradient.
    {params}
    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.nansum(mx.nd.array([1, float('nan'), 2])).asnumpy()
    array([3.], dtype=float32)
    """
    axes = reduced_axes(axis, data.ndim, exclude)
    acc = _accumulator(data.dtype)
    out = xp.nansum(data, axis=axes, dtype=acc, keepdims=keepdims)
    if acc != data.dtype:
        out = out.astype(data.dtype)
    return _finish(xp, out, reduced_shape(data.shape, axes, keepdims))


def _grad_nanprod(F, inputs, outputs, ograds, axis=None, keepdims=False, exclude=False):
    x = inputs[0]
    if x.size == 0:
        return (F.zeros_like(x),)
    kw = dict(axis=axis, keepdims=keepdims, exclude=exclude)
    return (_prod_vjp(F, F._fill_nan(x, value=1.0), ograds[0], kw) * (x == x),)


@register('nanprod', gradient=_grad_nanprod, infer_shape=_reduce_shape)
@_with_params
def nanprod(xp, data, *, axis=None, keepdims=False, exclude=False):
    """Product over the given axes, treating NaN as one.

    NaN elements get a zero gradient.
    {params}
    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.nanprod(mx.nd.array([3, float('nan'), 2])).asnumpy()
    array([6.], dtype=float32)
    """
    axes = reduced_axes(axis, data.ndim, exclude)
    acc = _accumulator(data.dtype)
    out = xp.nanprod(data, axis=axes, dtype=acc, keepdims=keepdims)
    if acc != data.dtype:
        out = out.astype(data.dtype)
    return _finish(xp, out, reduced_shape(data.shape, axes, keepdims))


@register('_fill_nan', gradient=lambda F, i, o, g, value=0.0: (g[0] * (i[0] == i[0]),),
          infer_shape=lambda shapes, **attrs: [tuple(shapes[0])])
def fill_nan(xp, data, *, value=0.0):
    """``data`` with every NaN replaced by ``value`` (NaNs get a zero gradient).

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd._fill_nan(mx.nd.array([1, float('nan')]), value=5).asnumpy()
    array([1., 5.], dtype=float32)
    """
    if data.dtype.kind != 'f':
        return data.copy()
    return xp.where(xp.isnan(data), data.dtype.type(value), data)


# --------------------------------------------------------------------- norm --

def _norm_shape(in_shapes, ord=2, axis=None, out_dtype=None, keepdims=False):
    if ord not in (1, 2):
        raise MXNetError('ord=%r is not supported; expected ord=1 or ord=2' % (ord,))
    return _reduce_shape(in_shapes, axis=axis, keepdims=keepdims)


def _grad_norm(F, inputs, outputs, ograds, ord=2, axis=None, out_dtype=None, keepdims=False):
    x, y, g = inputs[0], outputs[0], ograds[0]
    if numpy.dtype(y.dtype) != numpy.dtype(x.dtype):
        y = F.Cast(y, dtype=numpy.dtype(x.dtype).name)
        g = F.Cast(g, dtype=numpy.dtype(x.dtype).name)
    if x.size == 0:
        return (F.zeros_like(x),)
    back = broadcast_back(F, g, x, axis, keepdims)
    if ord == 1:
        return (back * F.sign(x),)
    y = broadcast_back(F, y, x, axis, keepdims)
    # At a zero norm x is all zeros, and 0 is the natural subgradient (MXNet gives NaN).
    return (back * x / (y + (y == 0)),)


def _norm_type(in_dtypes, ord=2, axis=None, out_dtype=None, keepdims=False):
    return [numpy.dtype(out_dtype) if out_dtype is not None else in_dtypes[0]]


@register('norm', gradient=_grad_norm, infer_shape=_norm_shape, infer_type=_norm_type)
def norm(xp, data, *, ord=2, axis=None, out_dtype=None, keepdims=False):
    """The L1 or L2 norm of the elements over the given axes.

    With ``axis=None`` the norm of all elements (a vector norm even for a
    matrix: the Frobenius norm for ``ord=2``).

    Parameters
    ----------
    data : NDArray
    ord : {1, 2}, default 2
    axis : int or tuple of int, optional
        The axes to reduce; None reduces all of them.
    out_dtype : str, optional
        The dtype of the result (the input's by default).
    keepdims : bool, default False

    Returns
    -------
    NDArray

    Notes
    -----
    The gradient is ``x / norm`` for ``ord=2`` (zero where the norm is zero)
    and ``sign(x)`` for ``ord=1``. Integer inputs are reduced in float64 and
    the result is converted back (truncated).

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[3, 4], [0, 0]])
    >>> mx.nd.norm(x).asnumpy()
    array([5.], dtype=float32)
    >>> mx.nd.norm(x, ord=1, axis=1).asnumpy()
    array([7., 0.], dtype=float32)
    """
    out_shape = _norm_shape([data.shape], ord, axis, out_dtype, keepdims)[0]
    axes = reduced_axes(axis, data.ndim)
    target = numpy.dtype(out_dtype) if out_dtype is not None else data.dtype
    work = data.dtype if data.dtype.kind == 'f' else numpy.dtype(numpy.float64)
    work = max(work, numpy.dtype(numpy.float32), key=lambda d: d.itemsize)
    if target.kind == 'f' and target.itemsize > work.itemsize:
        work = target
    x = data.astype(work, copy=False)
    if ord == 1:
        out = xp.sum(xp.abs(x), axis=axes, keepdims=keepdims)
    else:
        out = xp.sqrt(xp.sum(x * x, axis=axes, keepdims=keepdims))
    return _finish(xp, out, out_shape).astype(target, copy=False)


# -------------------------------------------------------------- argmax/min --

def _arg_axis(axis, ndim):
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        raise MXNetError('axis must be a single int or None, got %r' % (axis,))
    return check_axis(axis, ndim)


def _arg_shape(in_shapes, axis=None, keepdims=False):
    shape = tuple(in_shapes[0])
    a = _arg_axis(axis, len(shape))
    axes = tuple(range(len(shape))) if a is None else (a,)
    return [reduced_shape(shape, axes, keepdims)]


def _argextreme(name, fn, doc):
    def forward(xp, data, *, axis=None, keepdims=False):
        out_shape = _arg_shape([data.shape], axis, keepdims)[0]
        a = _arg_axis(axis, data.ndim)
        if data.size == 0:
            raise MXNetError('cannot take the %s of an empty array (shape %s)'
                             % (name, data.shape))
        out = getattr(xp, fn)(data, axis=a)
        return _finish(xp, out.astype(data.dtype), out_shape)
    forward.__name__ = name
    forward.__doc__ = doc
    register(name, infer_shape=_arg_shape)(forward)


_ARG_DOC = """Index of the {what} element along ``axis`` (flat index when ``axis`` is None).

The indices have the **input's dtype** (float32 for float32 input), as in
MXNet. Among equal elements the first one wins; NaN counts as the {what}.
The result is a constant to autograd (it has no gradient).

Parameters
----------
data : NDArray
axis : int, optional
    One axis; None indexes the flattened array.
keepdims : bool, default False

Returns
-------
NDArray

Examples
--------
>>> import mxlearn as mx
>>> x = mx.nd.array([[1, 7, 3], [9, 2, 9]])
>>> mx.nd.{name}(x, axis=1).asnumpy()
array([{res}], dtype=float32)
>>> mx.nd.{name}(x).asnumpy()
array([{flat}], dtype=float32)
"""

_argextreme('argmax', 'argmax', _ARG_DOC.format(what='largest', name='argmax',
                                                res='1., 0.', flat='3.'))
_argextreme('argmin', 'argmin', _ARG_DOC.format(what='smallest', name='argmin',
                                                res='0., 1.', flat='0.'))


# ----------------------------------------------------------- broadcast_axis --

def _broadcast_axis_params(shape, axis, size):
    axes = tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
    sizes = tuple(size) if isinstance(size, (list, tuple)) else (size,)
    if len(axes) != len(sizes):
        raise MXNetError('axis=%s and size=%s must have the same length' % (axis, size))
    ndim = len(shape)
    out = list(shape)
    norm_axes = []
    for a, s in zip(axes, sizes):
        a = check_axis(a, ndim)
        if a in norm_axes:
            raise MXNetError('axis %d appears twice in axis=%s' % (a, axis))
        if shape[a] != 1:
            raise MXNetError('axis %d has size %d; only axes of size 1 can be broadcast'
                             % (a, shape[a]))
        if int(s) < 0:
            raise MXNetError('size %d is negative' % s)
        out[a] = int(s)
        norm_axes.append(a)
    return tuple(norm_axes), tuple(out)


def _grad_broadcast_axis(F, inputs, outputs, ograds, axis=(), size=()):
    axes, _ = _broadcast_axis_params(inputs[0].shape, axis, size)
    if not axes:
        return (ograds[0],)
    return (F.sum(ograds[0], axis=axes, keepdims=True),)


@register('broadcast_axis', gradient=_grad_broadcast_axis, aliases=('broadcast_axes',),
          infer_shape=lambda shapes, axis=(), size=():
          [_broadcast_axis_params(tuple(shapes[0]), axis, size)[1]])
def broadcast_axis(xp, data, *, axis=(), size=()):
    """Repeat ``data`` along axes of size 1: axis ``axis[i]`` gets size ``size[i]``.

    The gradient sums over the broadcast axes.

    Parameters
    ----------
    data : NDArray
    axis : int or tuple of int
        Axes of ``data``, each of size 1.
    size : int or tuple of int
        The new size of each of them.

    Returns
    -------
    NDArray

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.broadcast_axis(mx.nd.array([[1], [2]]), axis=1, size=3).asnumpy()
    array([[1., 1., 1.],
           [2., 2., 2.]], dtype=float32)
    """
    _, shape = _broadcast_axis_params(data.shape, axis, size)
    if shape == data.shape:
        return data.copy()
    return xp.broadcast_to(data, shape).copy()
