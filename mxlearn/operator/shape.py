"""Shape operators: the same numbers, arranged differently.

reshape, reshape_like, transpose, swapaxes, moveaxis, expand_dims, squeeze,
flatten, broadcast_to, tile, repeat, flip, one_hot, shape_array, size_array.

Only ``reshape`` and ``reshape_like`` may return a view of their input (as
``NDArray.reshape`` does in MXNet); every other operator returns a new
C-contiguous array (``ndarray.copy()`` always copies, in C order), as MXNet's
operators do, so writing into a result never changes the input behind the
learner's back.

Each gradient is written with ``F`` operators; where the adjoint is not itself
one of MXNet's public operators (the sums behind ``tile`` and ``repeat``), it is
a small private operator here whose own gradient is the forward operator again,
which keeps every rule differentiable to any order.
"""
import numbers

import numpy as np

from ..base import MXNetError
from .elemwise import unbroadcast
from .registry import register
from .shapes import check_axis


# ------------------------------------------------------------------ helpers --

def as_int_tuple(value, what='shape'):
    """``value`` (an int, a sequence of ints, or None) as a tuple of Python ints."""
    if value is None:
        return ()
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value),)
    try:
        items = tuple(value)
    except TypeError:
        raise MXNetError('%s must be an int or a tuple of ints, got %r'
                         % (what, value)) from None
    out = []
    for v in items:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            else:
                raise MXNetError('%s must contain integers, got %r' % (what, value))
        out.append(int(v))
    return tuple(out)


def _prod(dims):
    out = 1
    for d in dims:
        out *= d
    return out


# ------------------------------------------------------------------ reshape --

def _reshape_tokens(target):
    """Split a reshape target into tokens; ``-4`` takes its two split sizes with it."""
    tokens = []
    j = 0
    while j < len(target):
        v = target[j]
        if v == -4:
            if j + 2 >= len(target):
                raise MXNetError(
                    '-4 at position %d of the target shape %s must be followed by two '
                    'sizes (the factors of the split dimension, one of them may be -1)'
                    % (j, tuple(target)))
            tokens.append((-4, target[j + 1], target[j + 2]))
            j += 3
        elif v < -4:
            raise MXNetError(
                'invalid value %d in the target shape %s; expected a size >= 1 or one '
                'of the special values 0 (copy), -1 (infer), -2 (copy the rest), '
                '-3 (merge two), -4 (split one)' % (v, tuple(target)))
        else:
            tokens.append((v,))
            j += 1
    return tokens


def infer_reshape(src_shape, target, reverse=False):
    """The output shape of ``reshape(data, shape=target, reverse=reverse)``.

    ``src_shape`` is the input's shape. Values in ``target`` are sizes, or
    MXNet's special values, read left to right while a cursor walks over the
    input dimensions:

    * ``0``: copy the current input dimension;
    * ``-1``: infer this size from the total number of elements (at most once);
    * ``-2``: copy all remaining input dimensions;
    * ``-3``: merge the next two input dimensions into their product;
    * ``-4, a, b``: split the current input dimension into ``a * b`` (one of
      them may be -1).

    A positive size and ``-1`` also move the cursor one input dimension on.
    With ``reverse=True`` both shapes are read right to left (a ``-4, a, b``
    group still means ``a`` before ``b``). Unlike MXNet, which silently keeps
    only the first elements, a target whose size differs from the input's is an
    error.

    Parameters
    ----------
    src_shape : tuple of int
    target : int or tuple of int
    reverse : bool

    Returns
    -------
    tuple of int

    Raises
    ------
    MXNetError
        When the target is malformed or its size differs from the input's.

    Examples
    --------
    >>> infer_reshape((2, 3, 4), (-4, 1, 2, -2))
    (1, 2, 3, 4)
    >>> infer_reshape((10, 5, 4), (-1, 0), reverse=True)
    (50, 4)
    """
    src = tuple(int(d) for d in src_shape)
    target = as_int_tuple(target, 'shape')
    if not target:
        raise MXNetError('the target shape is empty; MXNet arrays have at least one '
                         'dimension (use shape=(1,) or (-1,))')
    where = 'an input of shape %s (%s)' % (src, 'read right to left' if reverse else
                                            'read left to right')
    tokens = _reshape_tokens(target)
    if reverse:
        src = src[::-1]
        tokens = tokens[::-1]
    out = []
    i = 0
    infer_at = None
    for tok in tokens:
        v = tok[0]
        if v > 0:
            out.append(v)
            i += 1
        elif v == 0:
            if i >= len(src):
                raise MXNetError('0 in the target shape %s copies input dimension %d, '
                                 'but it does not exist for %s'
                                 % (target, i, where))
            out.append(src[i])
            i += 1
        elif v == -1:
            if infer_at is not None:
                raise MXNetError('the target shape %s has more than one -1; only one '
                                 'dimension can be inferred' % (target,))
            infer_at = len(out)
            out.append(-1)
            i += 1
        elif v == -2:
            out.extend(src[i:])
            i = len(src)
        elif v == -3:
            if i + 1 >= len(src):
                raise MXNetError('-3 in the target shape %s merges input dimensions %d '
                                 'and %d, but they do not both exist for %s'
                                 % (target, i, i + 1, where))
            out.append(src[i] * src[i + 1])
            i += 2
        else:
            d1, d2 = tok[1], tok[2]
            if i >= len(src):
                raise MXNetError('-4 in the target shape %s splits input dimension %d, '
                                 'but it does not exist for %s' % (target, i, where))
            d0 = src[i]
            if d1 < -1 or d2 < -1 or (d1 == -1 and d2 == -1):
                raise MXNetError('-4 must be followed by two sizes, at most one of them '
                                 '-1; got %d, %d in the target shape %s' % (d1, d2, target))
            if d1 == -1:
                d1 = d0 // d2 if d2 else -1
            elif d2 == -1:
                d2 = d0 // d1 if d1 else -1
            if d1 * d2 != d0 or d1 < 0 or d2 < 0:
                raise MXNetError('-4 cannot split input dimension %d of size %d into '
                                 '%d x %d (target shape %s)'
                                 % (i, d0, tok[1], tok[2], target))
            # The output is reversed at the end, so the pair goes in reversed too.
            out.extend((d2, d1) if reverse else (d1, d2))
            i += 1
    total = _prod(src)
    if infer_at is not None:
        known = _prod(d for k, d in enumerate(out) if k != infer_at)
        if known == 0 or total % known:
            raise MXNetError(
                'cannot infer the -1 in the target shape %s for %s with %d elements: '
                'the other dimensions multiply to %d, which %s'
                % (target, where, total, known,
                   'leaves the inferred size undetermined' if known == 0
                   else 'does not divide %d' % total))
        out[infer_at] = total // known
    if reverse:
        out = out[::-1]
        src = src[::-1]
    out = tuple(out)
    if _prod(out) != total:
        raise MXNetError('cannot reshape an array of shape %s (%d elements) into shape '
                         '%s (%d elements); the target shape was %s%s'
                         % (src, total, out, _prod(out), target,
                            ' with reverse=True' if reverse else ''))
    return out


def _reshape_shape(in_shapes, shape=(), reverse=False):
    return [infer_reshape(in_shapes[0], shape, reverse)]


@register('reshape', aliases=('Reshape',), infer_shape=_reshape_shape,
          gradient=lambda F, i, o, g, **a: (F.reshape_like(g[0], i[0]),))
def reshape(xp, data, *, shape=(), reverse=False):
    """Give ``data`` a new shape with the same elements in the same (C) order.

    ``shape`` may use MXNet's special values: ``0`` copies an input
    dimension, ``-1`` infers one, ``-2`` copies all remaining ones, ``-3``
    merges two, ``-4, a, b`` splits one into ``a x b``. ``reverse=True``
    matches the shapes from the right. The result shares memory with ``data``
    whenever possible (always, for MXNet's contiguous arrays).

    Parameters
    ----------
    data : NDArray
    shape : tuple of int
    reverse : bool

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array(range(24)).reshape((2, 3, 4))
    >>> mx.nd.reshape(x, shape=(-3, 0)).shape
    (6, 4)
    >>> mx.nd.reshape(x, shape=(-4, 1, 2, -2)).shape
    (1, 2, 3, 4)
    >>> mx.nd.reshape(mx.nd.zeros_like(x), shape=(-1, 0), reverse=True).shape
    (6, 4)
    """
    return data.reshape(infer_reshape(data.shape, shape, reverse))


def _reshape_like_target(lhs, rhs, lhs_begin, lhs_end, rhs_begin, rhs_end):
    def bounds(begin, end, n, name):
        b = 0 if begin is None else int(begin)
        e = n if end is None else int(end)
        b = b + n if b < 0 else b
        e = e + n if e < 0 else e
        if not 0 <= b <= e <= n:
            raise MXNetError('%s_begin=%r, %s_end=%r do not select a range of '
                             'the %d axes of %s' % (name, begin, name, end, n, name))
        return b, e
    lb, le = bounds(lhs_begin, lhs_end, len(lhs), 'lhs')
    rb, re = bounds(rhs_begin, rhs_end, len(rhs), 'rhs')
    out = tuple(lhs[:lb]) + tuple(rhs[rb:re]) + tuple(lhs[le:])
    if _prod(out) != _prod(lhs):
        raise MXNetError('cannot reshape lhs of shape %s (%d elements) into '
                         'shape %s (%d elements) taken from rhs of shape %s'
                         % (tuple(lhs), _prod(lhs), out, _prod(out), tuple(rhs)))
    if not out:
        out = (1,)
    return out


def _reshape_like_shape(in_shapes, lhs_begin=None, lhs_end=None, rhs_begin=None,
                        rhs_end=None):
    return [_reshape_like_target(in_shapes[0], in_shapes[1], lhs_begin, lhs_end,
                                 rhs_begin, rhs_end)]


@register('reshape_like', infer_shape=_reshape_like_shape, same_dtype=False,
          gradient=lambda F, i, o, g, **a: (F.reshape_like(g[0], i[0]), None))
def reshape_like(xp, lhs, rhs, *, lhs_begin=None, lhs_end=None, rhs_begin=None,
                 rhs_end=None):
    """Reshape ``lhs`` to the shape of ``rhs`` (only ``rhs``'s shape is used).

    With ``lhs_begin/lhs_end`` and ``rhs_begin/rhs_end`` only the axes
    ``lhs_begin:lhs_end`` of ``lhs`` are replaced by the axes
    ``rhs_begin:rhs_end`` of ``rhs``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array(range(6))
    >>> mx.nd.reshape_like(x, mx.nd.zeros_like(x).reshape((2, 3))).shape
    (2, 3)
    """
    return lhs.reshape(_reshape_like_target(lhs.shape, rhs.shape, lhs_begin, lhs_end,
                                            rhs_begin, rhs_end))


# ------------------------------------------------------- permuting the axes --

def _transpose_axes(ndim, axes):
    axes = as_int_tuple(axes, 'axes')
    if not axes:
        return tuple(range(ndim - 1, -1, -1))
    if len(axes) != ndim:
        raise MXNetError('axes=%s has %d entries; expected a permutation of all %d '
                         'axes (or axes=() to reverse them)' % (axes, len(axes), ndim))
    norm = tuple(a + ndim if a < 0 else a for a in axes)
    if sorted(norm) != list(range(ndim)):
        raise MXNetError('axes=%s is not a permutation of the axes 0..%d'
                         % (axes, ndim - 1))
    return norm


def _transpose_shape(in_shapes, axes=()):
    s = tuple(in_shapes[0])
    return [tuple(s[a] for a in _transpose_axes(len(s), axes))]


def _transpose_grad(F, inputs, outputs, ograds, axes=()):
    perm = _transpose_axes(inputs[0].ndim, axes)
    inverse = tuple(int(k) for k in np.argsort(perm))
    return (F.transpose(ograds[0], axes=inverse),)


@register('transpose', gradient=_transpose_grad, infer_shape=_transpose_shape)
def transpose(xp, data, *, axes=()):
    """Permute the axes of ``data``: output axis ``i`` is input axis ``axes[i]``.

    ``axes=()`` reverses the axes (the matrix transpose for 2-d input).

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2, 3], [4, 5, 6]])
    >>> mx.nd.transpose(x).asnumpy()
    array([[1., 4.],
           [2., 5.],
           [3., 6.]], dtype=float32)
    >>> mx.nd.transpose(mx.nd.zeros_like(x).reshape((1, 2, 3)), axes=(2, 0, 1)).shape
    (3, 1, 2)
    """
    return data.transpose(_transpose_axes(data.ndim, axes)).copy()


def _swapaxes_dims(ndim, dim1, dim2):
    return (check_axis(dim1, ndim, 'dim1'),
            check_axis(dim2, ndim, 'dim2'))


def _swapaxes_shape(in_shapes, dim1=0, dim2=0):
    s = list(in_shapes[0])
    a, b = _swapaxes_dims(len(s), dim1, dim2)
    s[a], s[b] = s[b], s[a]
    return [tuple(s)]


@register('swapaxes', aliases=('SwapAxis',), infer_shape=_swapaxes_shape,
          gradient=lambda F, i, o, g, dim1=0, dim2=0:
          (F.swapaxes(g[0], dim1=dim1, dim2=dim2),))
def swapaxes(xp, data, *, dim1=0, dim2=0):
    """Exchange axes ``dim1`` and ``dim2`` of ``data``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2, 3]])
    >>> mx.nd.swapaxes(x, dim1=0, dim2=1).shape
    (3, 1)
    """
    a, b = _swapaxes_dims(data.ndim, dim1, dim2)
    return xp.swapaxes(data, a, b).copy()


def _moveaxis_axes(ndim, source, destination):
    src = as_int_tuple(source, 'source')
    dst = as_int_tuple(destination, 'destination')
    if len(src) != len(dst):
        raise MXNetError('source %s and destination %s must have the same number '
                         'of axes' % (src, dst))
    src = tuple(check_axis(a, ndim, 'source') for a in src)
    dst = tuple(check_axis(a, ndim, 'destination') for a in dst)
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise MXNetError('repeated axis in source %s or destination %s'
                         % (source, destination))
    rest = [a for a in range(ndim) if a not in src]
    perm = [None] * ndim
    for s, d in zip(src, dst):
        perm[d] = s
    it = iter(rest)
    return tuple(p if p is not None else next(it) for p in perm)


def _moveaxis_shape(in_shapes, source=0, destination=0):
    s = tuple(in_shapes[0])
    return [tuple(s[a] for a in _moveaxis_axes(len(s), source, destination))]


@register('moveaxis', infer_shape=_moveaxis_shape,
          gradient=lambda F, i, o, g, source=0, destination=0:
          (F.moveaxis(g[0], source=destination, destination=source),))
def moveaxis(xp, tensor, *, source=0, destination=0):
    """Move axis ``source`` of ``tensor`` to position ``destination``.

    Both may be ints or tuples of ints; the other axes keep their order.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array(range(24)).reshape((2, 3, 4))
    >>> mx.nd.moveaxis(x, 0, -1).shape
    (3, 4, 2)
    """
    return tensor.transpose(_moveaxis_axes(tensor.ndim, source, destination)).copy()


# ------------------------------------------------ adding and removing axes --

def _reshape_like_grad(F, inputs, outputs, ograds, **attrs):
    return (F.reshape_like(ograds[0], inputs[0]),)


def _expand_dims_shape(in_shapes, axis=None):
    s = tuple(in_shapes[0])
    if axis is None:
        raise MXNetError('the axis attribute is required '
                         '(e.g. expand_dims(x, axis=0))')
    n = len(s)
    if not -n - 1 <= int(axis) <= n:
        raise MXNetError('axis %d is out of range for an input of %d '
                         'dimensions; expected -%d <= axis <= %d' % (axis, n, n + 1, n))
    a = int(axis) % (n + 1)
    return [s[:a] + (1,) + s[a:]]


@register('expand_dims', gradient=_reshape_like_grad, infer_shape=_expand_dims_shape)
def expand_dims(xp, data, *, axis=None):
    """Insert an axis of size 1 at position ``axis`` (``-ndim-1 <= axis <= ndim``).

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([1, 2, 3])
    >>> mx.nd.expand_dims(x, axis=0).shape
    (1, 3)
    >>> mx.nd.expand_dims(x, axis=-1).shape
    (3, 1)
    """
    return data.reshape(_expand_dims_shape([data.shape], axis)[0]).copy()


def _squeeze_shape(in_shapes, axis=None):
    s = tuple(in_shapes[0])
    if axis is None or axis == ():
        out = tuple(d for d in s if d != 1)
    else:
        axes = as_int_tuple(axis, 'axis')
        norm = [check_axis(a, len(s)) for a in axes]
        if len(set(norm)) != len(norm):
            raise MXNetError('axis=%s repeats an axis' % (axis,))
        for a in norm:
            if s[a] != 1:
                raise MXNetError('cannot squeeze axis %d of an input of shape %s: '
                                 'its size is %d; expected 1' % (a, s, s[a]))
        out = tuple(d for k, d in enumerate(s) if k not in norm)
    # MXNet has no 0-d arrays: squeezing every axis leaves shape (1,).
    return [out or (1,)]


@register('squeeze', gradient=_reshape_like_grad, infer_shape=_squeeze_shape)
def squeeze(xp, data, *, axis=None):
    """Remove axes of size 1 (all of them, or those in ``axis``).

    The result has at least one dimension: ``(1, 1)`` becomes ``(1,)``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[[1], [2], [3]]])
    >>> mx.nd.squeeze(x).shape
    (3,)
    >>> mx.nd.squeeze(x, axis=0).shape
    (3, 1)
    """
    return data.reshape(_squeeze_shape([data.shape], axis)[0]).copy()


def _flatten_shape(in_shapes):
    s = tuple(in_shapes[0])
    return [(s[0], _prod(s[1:]))]


@register('Flatten', aliases=('flatten',), gradient=_reshape_like_grad,
          infer_shape=_flatten_shape)
def flatten(xp, data):
    """Collapse all axes but the first: shape ``(d0, d1*d2*...)``.

    A 1-d input of shape ``(n,)`` becomes ``(n, 1)``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array(range(24)).reshape((2, 3, 4))
    >>> mx.nd.flatten(x).shape
    (2, 12)
    >>> mx.nd.flatten(mx.nd.array([1, 2])).shape
    (2, 1)
    """
    return data.reshape(_flatten_shape([data.shape])[0]).copy()


# ------------------------------------------------------------- broadcasting --

def _broadcast_to_shape(in_shapes, shape=()):
    s = tuple(in_shapes[0])
    target = as_int_tuple(shape, 'shape')
    if len(target) != len(s):
        raise MXNetError('cannot broadcast shape %s to %s: expected a target '
                         'with the same number of dimensions (%d); use reshape or '
                         'expand_dims to add axes first' % (s, target, len(s)))
    out = []
    for k, (d, t) in enumerate(zip(s, target)):
        t = d if t == 0 else t
        if t < 0:
            raise MXNetError('cannot broadcast shape %s to %s: target sizes must be >= 0 '
                             '(0 keeps the input size)' % (s, target))
        if d != t and d != 1:
            raise MXNetError('cannot broadcast shape %s to %s: axis %d has '
                             'size %d; expected it to be 1 or %d (0 in the target keeps the '
                             'input size)' % (s, target, k, d, t))
        out.append(t)
    return [tuple(out)]


@register('broadcast_to', infer_shape=_broadcast_to_shape,
          gradient=lambda F, i, o, g, **a: (unbroadcast(F, g[0], i[0]),))
def broadcast_to(xp, data, *, shape=()):
    """Repeat ``data`` along its size-1 axes to reach ``shape``.

    ``shape`` has as many dimensions as ``data``; a 0 keeps that input size.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2, 3]])
    >>> mx.nd.broadcast_to(x, shape=(2, 0)).asnumpy()
    array([[1., 2., 3.],
           [1., 2., 3.]], dtype=float32)
    """
    target = _broadcast_to_shape([data.shape], shape)[0]
    return xp.broadcast_to(data, target).copy()


# ----------------------------------------------------------- tile, repeat --

def _tile_reps(reps):
    reps = as_int_tuple(reps, 'reps')
    if any(r < 0 for r in reps):
        raise MXNetError('reps=%s has a negative entry; expected counts >= 0' % (reps,))
    return reps


def _tile_shape(in_shapes, reps=()):
    s = tuple(in_shapes[0])
    reps = _tile_reps(reps)
    n = max(len(s), len(reps))
    s = (1,) * (n - len(s)) + s
    reps = (1,) * (n - len(reps)) + reps
    return [tuple(d * r for d, r in zip(s, reps))]


@register('tile', infer_shape=_tile_shape,
          gradient=lambda F, i, o, g, reps=(): (F._tile_backward(g[0], i[0], reps=reps),))
def tile(xp, data, *, reps=()):
    """Repeat the whole of ``data`` ``reps[i]`` times along axis ``i``.

    Shorter ``reps`` are padded with 1s on the left; longer ones add leading
    axes to ``data``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.tile(mx.nd.array([1, 2]), reps=(2, 2)).asnumpy()
    array([[1., 2., 1., 2.],
           [1., 2., 1., 2.]], dtype=float32)
    """
    return xp.tile(data, _tile_reps(reps))


@register('_tile_backward', infer_shape=lambda shapes, reps=(): [tuple(shapes[1])],
          gradient=lambda F, i, o, g, reps=(): (F.tile(g[0], reps=reps), None))
def tile_backward(xp, ograd, data, *, reps=()):
    """The gradient of ``tile``: ``ograd`` summed over the copies, shaped like ``data``."""
    reps = _tile_reps(reps)
    shape = data.shape
    n = max(len(shape), len(reps))
    s = (1,) * (n - len(shape)) + tuple(shape)
    r = (1,) * (n - len(reps)) + reps
    interleaved = []
    for rk, sk in zip(r, s):
        interleaved += [rk, sk]
    summed = ograd.reshape(interleaved).sum(axis=tuple(range(0, 2 * n, 2)))
    return summed.reshape(shape).astype(ograd.dtype, copy=False)


def _repeat_axis(ndim, repeats, axis):
    if isinstance(repeats, bool) or not isinstance(repeats, numbers.Integral) or repeats < 0:
        raise MXNetError('repeats must be an integer >= 0, got %r' % (repeats,))
    return None if axis is None else check_axis(axis, ndim)


def _repeat_shape(in_shapes, repeats=1, axis=None):
    s = tuple(in_shapes[0])
    a = _repeat_axis(len(s), repeats, axis)
    if a is None:
        return [(_prod(s) * repeats,)]
    return [s[:a] + (s[a] * repeats,) + s[a + 1:]]


@register('repeat', infer_shape=_repeat_shape,
          gradient=lambda F, i, o, g, repeats=1, axis=None:
          (F._repeat_backward(g[0], i[0], repeats=repeats, axis=axis),))
def repeat(xp, data, *, repeats=1, axis=None):
    """Repeat each element ``repeats`` times along ``axis`` (of the flattened input if None).

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2], [3, 4]])
    >>> mx.nd.repeat(x, repeats=2).asnumpy()
    array([1., 1., 2., 2., 3., 3., 4., 4.], dtype=float32)
    >>> mx.nd.repeat(x, repeats=2, axis=1).shape
    (2, 4)
    """
    a = _repeat_axis(data.ndim, repeats, axis)
    return xp.repeat(data, int(repeats), axis=a)


@register('_repeat_backward', infer_shape=lambda shapes, **a: [tuple(shapes[1])],
          gradient=lambda F, i, o, g, repeats=1, axis=None:
          (F.repeat(g[0], repeats=repeats, axis=axis), None))
def repeat_backward(xp, ograd, data, *, repeats=1, axis=None):
    """The gradient of ``repeat``: each group of ``repeats`` copies summed back."""
    a = _repeat_axis(data.ndim, repeats, axis)
    shape = data.shape
    if a is None:
        grouped = ograd.reshape((_prod(shape), int(repeats)))
        return grouped.sum(axis=1).reshape(shape).astype(ograd.dtype, copy=False)
    grouped = ograd.reshape(shape[:a] + (shape[a], int(repeats)) + shape[a + 1:])
    return grouped.sum(axis=a + 1).astype(ograd.dtype, copy=False)


# --------------------------------------------------------------------- flip --

def _flip_axes(ndim, axis):
    if axis is None:
        raise MXNetError('the axis attribute is required (an int or a tuple of ints)')
    return [check_axis(a, ndim) for a in as_int_tuple(axis, 'axis')]


def _flip_shape(in_shapes, axis=None):
    _flip_axes(len(in_shapes[0]), axis)
    return [tuple(in_shapes[0])]


@register('flip', aliases=('reverse',), infer_shape=_flip_shape,
          gradient=lambda F, i, o, g, axis=None: (F.flip(g[0], axis=axis),))
def flip(xp, data, *, axis=None):
    """Reverse the order of the elements along ``axis`` (an int or a tuple).

    An axis listed twice is reversed twice, as in MXNet.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.flip(mx.nd.array([[1, 2, 3]]), axis=1).asnumpy()
    array([[3., 2., 1.]], dtype=float32)
    """
    out = data
    for a in _flip_axes(data.ndim, axis):
        key = [slice(None)] * data.ndim
        key[a] = slice(None, None, -1)
        out = out[tuple(key)]
    return out.copy()


# ------------------------------------------------------------------ one_hot --

def _one_hot_depth(depth):
    if depth is None:
        raise MXNetError('the depth attribute is required (the number of classes)')
    if isinstance(depth, bool) or not isinstance(depth, numbers.Integral) or depth < 0:
        raise MXNetError('depth must be an integer >= 0, got %r' % (depth,))
    return int(depth)


@register('one_hot', differentiable=False,
          infer_shape=lambda shapes, depth=None, **a: [tuple(shapes[0]) +
                                                       (_one_hot_depth(depth),)],
          infer_type=lambda dtypes, dtype='float32', **a: [np.dtype(dtype)])
def one_hot(xp, indices, *, depth=None, on_value=1.0, off_value=0.0, dtype='float32'):
    """One-hot encode ``indices``: output ``[..., k]`` is on_value where ``indices == k``.

    Float indices are truncated toward zero; indices outside ``[0, depth)``
    give a row of ``off_value``. The output has shape
    ``indices.shape + (depth,)`` and dtype ``dtype``; it has no gradient.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.one_hot(mx.nd.array([1, 0, 2]), 3).asnumpy()
    array([[0., 1., 0.],
           [1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    depth = _one_hot_depth(depth)
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise MXNetError('unknown dtype %r' % (dtype,)) from None
    idx = indices.astype(np.int64)
    hot = idx[..., None] == xp.arange(depth, dtype=np.int64)
    on = xp.asarray(on_value).astype(dtype)
    off = xp.asarray(off_value).astype(dtype)
    return xp.where(hot, on, off).astype(dtype, copy=False)


# --------------------------------------------------- shape_array, size_array --

@register('shape_array', differentiable=False,
          infer_shape=lambda shapes: [(len(shapes[0]),)],
          infer_type=lambda dtypes: [np.dtype(np.int64)])
def shape_array(xp, data):
    """The shape of ``data`` as a 1-d int64 array.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.shape_array(mx.nd.array([[1, 2, 3]])).asnumpy()
    array([1, 3])
    """
    return xp.asarray(data.shape, dtype=np.int64)


@register('size_array', differentiable=False,
          infer_shape=lambda shapes: [(1,)],
          infer_type=lambda dtypes: [np.dtype(np.int64)])
def size_array(xp, data):
    """The number of elements of ``data`` as an int64 array of shape ``(1,)``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.size_array(mx.nd.array([[1, 2, 3]])).asnumpy()
    array([3])
    """
    return xp.asarray([data.size], dtype=np.int64)
