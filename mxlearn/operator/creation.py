"""Array creation: zeros, ones, full, arange, eye, linspace.

These operators have no array inputs, so the dispatcher cannot take the device
from an input: each forward declares a keyword-only ``ctx`` and receives the
Context the caller asked for (``ctx=``), else the current one. None of them has
a gradient: what they create is a constant to autograd.

Two conventions, shared with the random-number operators
(``mxlearn.operator.random``):

- a shape is an int or a sequence of ints; zero-size shapes such as ``(0,)``
  or ``(2, 0)`` are allowed (MXNet 1.x refuses them), and the empty shape
  ``()`` means ``(1,)``, because mxlearn, like MXNet 1.x, has no 0-d arrays
  (``mx.nd.array(5)`` has shape ``(1,)`` too);
- ``dtype=None`` means float32, MXNet's default; a dtype may be given as a
  string (``'int32'``), a numpy type (``numpy.int32``) or a ``numpy.dtype``.

As in MXNet, ``ctx`` may be given by position too: ``mx.nd.zeros(shape, ctx, dtype)``.
"""
import contextlib
import math
import numbers

import numpy as np

from .._ext.core import Context
from ..base import MXNetError
from .registry import register


# --------------------------------------------------------------- helpers --

def as_shape(shape, what='shape'):
    """Normalise a shape given as an int or a sequence of ints to a tuple.

    ``()`` becomes ``(1,)`` (there are no 0-d arrays); negative sizes are refused.

    Examples
    --------
    >>> as_shape(3), as_shape([2, 0]), as_shape(())
    ((3,), (2, 0), (1,))
    """
    if isinstance(shape, numbers.Integral):
        dims = (int(shape),)
    else:
        try:
            dims = tuple(int(d) for d in shape)
            ok = all(isinstance(d, numbers.Integral) or float(d).is_integer() for d in shape)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise MXNetError('%s must be an int or a tuple of ints, got %r' % (what, shape))
    if any(d < 0 for d in dims):
        raise MXNetError('%s %s has a negative size; every size must be >= 0'
                         % (what, dims))
    return dims if dims else (1,)


def as_dtype(dtype, default=np.float32):
    """Normalise a dtype (None, a string, a numpy type or dtype) to ``numpy.dtype``.

    Examples
    --------
    >>> as_dtype(None), as_dtype('int32'), as_dtype(np.float64)
    (dtype('float32'), dtype('int32'), dtype('float64'))
    """
    if dtype is None:
        return np.dtype(default)
    if isinstance(dtype, Context):
        raise MXNetError('got the Context %s where a dtype was expected; pass the '
                         'device by keyword: ctx=%s' % (dtype, dtype))
    try:
        return np.dtype(dtype)
    except TypeError:
        raise MXNetError('unknown dtype %r; expected a name such as "float32" or a '
                         'numpy type' % (dtype,)) from None


def on_device(xp, ctx):
    """A ``with`` block that makes new CuPy arrays land on ``ctx``'s GPU (a no-op on the CPU).

    Examples
    --------
    >>> import numpy, mxlearn as mx
    >>> with on_device(numpy, mx.cpu()):
    ...     numpy.zeros(2).shape
    (2,)
    """
    if xp is np or ctx is None or ctx.device_type != 'gpu':
        return contextlib.nullcontext()
    return xp.cuda.Device(ctx.device_id)


def cast_scalar(value, dtype):
    """``value`` as a numpy scalar of ``dtype``, converted the way C does (truncation, wrap-around).

    Examples
    --------
    >>> int(cast_scalar(7.5, np.dtype('int32'))), int(cast_scalar(-1, np.dtype('uint8')))
    (7, 255)
    """
    with np.errstate(invalid='ignore', over='ignore'):
        return np.array(value).astype(dtype)[()]


def _no_inputs_type(in_dtypes, dtype=None, **attrs):
    return [as_dtype(dtype)]


# ------------------------------------------------------ constant arrays --

def _shape_of(in_shapes, shape=None, **attrs):
    if shape is None:
        raise MXNetError('shape is required')
    return [as_shape(shape)]


@register('_zeros', aliases=('zeros',), infer_shape=_shape_of, infer_type=_no_inputs_type)
def zeros(xp, *, shape=None, ctx, dtype=None):
    """An array of zeros.

    Parameters
    ----------
    shape : int or tuple of int
        ``()`` gives shape ``(1,)``; zero sizes are allowed.
    ctx : Context, optional
        The device; the current context by default.
    dtype : str or numpy type, optional
        float32 by default.

    Returns
    -------
    NDArray

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.zeros((2, 3)).asnumpy()
    array([[0., 0., 0.],
           [0., 0., 0.]], dtype=float32)
    >>> mx.nd.zeros(2, ctx=mx.cpu(1), dtype='int32')
    <BLANKLINE>
    [0 0]
    <NDArray 2 @cpu(1)>
    """
    shape, = _shape_of(None, shape)
    with on_device(xp, ctx):
        return xp.zeros(shape, dtype=as_dtype(dtype))


@register('_ones', aliases=('ones',), infer_shape=_shape_of, infer_type=_no_inputs_type)
def ones(xp, *, shape=None, ctx, dtype=None):
    """An array of ones.

    Parameters
    ----------
    shape : int or tuple of int
        ``()`` gives shape ``(1,)``; zero sizes are allowed.
    ctx : Context, optional
        The device; the current context by default.
    dtype : str or numpy type, optional
        float32 by default.

    Returns
    -------
    NDArray

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.ones(3).asnumpy()
    array([1., 1., 1.], dtype=float32)
    >>> mx.nd.ones((2, 2), dtype='int64').dtype
    <class 'numpy.int64'>
    """
    shape, = _shape_of(None, shape)
    with on_device(xp, ctx):
        return xp.ones(shape, dtype=as_dtype(dtype))


@register('_full', aliases=('full',), infer_shape=_shape_of, infer_type=_no_inputs_type)
def full(xp, *, shape=None, value=0.0, ctx, dtype=None, val=None):
    """An array filled with one value.

    Parameters
    ----------
    shape : int or tuple of int
        ``()`` gives shape ``(1,)``; zero sizes are allowed.
    value : number
        The fill value, converted to ``dtype`` as C does (7.5 becomes 7 in an
        integer array). ``val=`` (the name ``mx.nd.full`` uses in MXNet) is
        accepted too.
    ctx : Context, optional
        The device; the current context by default.
    dtype : str or numpy type, optional
        float32 by default.

    Returns
    -------
    NDArray

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.full((2, 2), 7.5).asnumpy()
    array([[7.5, 7.5],
           [7.5, 7.5]], dtype=float32)
    >>> mx.nd.full(2, 7.5, dtype='int32').asnumpy()
    array([7, 7], dtype=int32)
    """
    shape, = _shape_of(None, shape)
    if val is not None:
        value = val
    dtype = as_dtype(dtype)
    with on_device(xp, ctx):
        return xp.full(shape, cast_scalar(value, dtype), dtype=dtype)


# ----------------------------------------------------------------- ranges --

def _arange_length(start, stop, step, repeat):
    if stop is None:
        start, stop = 0.0, start
    if start is None:
        raise MXNetError('start is required')
    if step == 0:
        raise MXNetError('step must not be 0')
    if int(repeat) != repeat or repeat < 1:
        raise MXNetError('repeat must be a positive integer, got %r' % (repeat,))
    n = max(0, int(math.ceil((float(stop) - float(start)) / float(step))))
    return start, n


def _arange_shape(in_shapes, start=None, stop=None, step=1.0, repeat=1, **attrs):
    _, n = _arange_length(start, stop, step, repeat)
    return [(n * int(repeat),)]


@register('_arange', aliases=('arange',), infer_shape=_arange_shape,
          infer_type=_no_inputs_type)
def arange(xp, *, start=None, stop=None, step=1.0, repeat=1, infer_range=False, ctx,
           dtype=None):
    """Evenly spaced values ``start, start + step, ...`` up to ``stop`` (excluded).

    Parameters
    ----------
    start : number
        The first value; with ``stop=None`` it is the end and the range starts at 0.
    stop : number, optional
    step : number, default 1.0
    repeat : int, default 1
        How many times each value is repeated (``[0, 0, 1, 1, ...]``).
    infer_range : bool
        Used by symbolic graphs to infer ``stop`` from the output shape; an
        eager call computes the range from ``start``, ``stop`` and ``step``.
    ctx : Context, optional
        The device; the current context by default.
    dtype : str or numpy type, optional
        float32 by default.

    Returns
    -------
    NDArray
        ``ceil((stop - start) / step)`` values, each computed as
        ``start + i * step`` in ``dtype`` (so ``step=1.5`` with ``dtype='int32'``
        steps by 1, as in numpy and MXNet). An empty range gives shape ``(0,)``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.arange(5).asnumpy()
    array([0., 1., 2., 3., 4.], dtype=float32)
    >>> mx.nd.arange(1, 5, 2, dtype='int32').asnumpy()
    array([1, 3], dtype=int32)
    >>> mx.nd.arange(3, repeat=2).asnumpy()
    array([0., 0., 1., 1., 2., 2.], dtype=float32)
    """
    start, n = _arange_length(start, stop, step, repeat)
    dtype = as_dtype(dtype)
    # The arithmetic happens in the output type (integers wrap around, as in
    # C); float16 is computed in float32 so that large indices stay exact.
    if dtype.kind in 'iu':
        work = dtype
    elif dtype.kind == 'f':
        work = np.promote_types(dtype, np.float32)
    else:
        work = np.dtype(np.float64)
    with on_device(xp, ctx):
        out = xp.arange(n).astype(work) * cast_scalar(step, work) + cast_scalar(start, work)
        if int(repeat) > 1:
            out = xp.repeat(out, int(repeat))
        return out.astype(dtype, copy=False)


def _eye_shape(in_shapes, N=None, M=0, k=0, **attrs):
    if N is None:
        raise MXNetError('N (the number of rows) is required')
    if N < 0 or M < 0:
        raise MXNetError('N and M must be >= 0, got N=%r, M=%r' % (N, M))
    return [(int(N), int(M) if M else int(N))]


@register('_eye', aliases=('eye',), infer_shape=_eye_shape, infer_type=_no_inputs_type)
def eye(xp, *, N=None, M=0, k=0, ctx, dtype=None):
    """A 2-d array with ones on a diagonal and zeros elsewhere.

    Parameters
    ----------
    N : int
        Number of rows.
    M : int, default 0
        Number of columns; 0 means ``N``.
    k : int, default 0
        The diagonal: 0 the main one, > 0 above it, < 0 below it.
    ctx : Context, optional
        The device; the current context by default.
    dtype : str or numpy type, optional
        float32 by default.

    Returns
    -------
    NDArray of shape ``(N, M)``

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.eye(2, 3, 1).asnumpy()
    array([[0., 1., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    rows, cols = _eye_shape(None, N, M, k)[0]
    with on_device(xp, ctx):
        return xp.eye(rows, cols, int(k), dtype=as_dtype(dtype))


def _linspace_shape(in_shapes, start=None, stop=None, num=None, endpoint=True, **attrs):
    if start is None or stop is None or num is None:
        raise MXNetError('start, stop and num are all required')
    if int(num) != num or num < 0:
        raise MXNetError('num must be a non-negative integer, got %r' % (num,))
    return [(int(num),)]


@register('_linspace', aliases=('linspace',), infer_shape=_linspace_shape,
          infer_type=_no_inputs_type)
def linspace(xp, *, start=None, stop=None, num=None, endpoint=True, ctx, dtype=None):
    """``num`` evenly spaced values from ``start`` to ``stop``.

    Parameters
    ----------
    start, stop : number
        The ends of the interval.
    num : int
        How many values (0 gives an empty array).
    endpoint : bool, default True
        Whether ``stop`` is the last value; otherwise the values stop one
        spacing short of it.
    ctx : Context, optional
        The device; the current context by default.
    dtype : str or numpy type, optional
        float32 by default; the values are computed in float64 and converted,
        so an integer dtype truncates them toward zero, as MXNet does.

    Returns
    -------
    NDArray of shape ``(num,)``

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.linspace(0, 1, 5).asnumpy()
    array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    >>> mx.nd.linspace(0, 10, 5, dtype='int32').asnumpy()
    array([ 0,  2,  5,  7, 10], dtype=int32)
    """
    num, = _linspace_shape(None, start, stop, num, endpoint)[0]
    dtype = as_dtype(dtype)
    with on_device(xp, ctx):
        out = xp.linspace(float(start), float(stop), num, endpoint=bool(endpoint),
                          dtype=np.float64)
        with np.errstate(invalid='ignore'):
            return out.astype(dtype)
