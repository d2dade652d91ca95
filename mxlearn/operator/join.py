"""Joining and cutting arrays: concat, stack, split, slice, slice_axis, slice_like, pad, diag.

The gradient of a cut (``slice``, ``diag`` extraction) is the cut-out part put
back into zeros, and the gradient of a join is the pieces cut out again. The
"put back" direction has no public MXNet name, so it is a private operator here
(``_slice_backward``, ``_pad_backward``, ``_diag_backward``) whose own gradient is
the cut: every rule stays differentiable to any order.
"""
import numbers

from ..backend import scatter_add
from ..base import MXNetError
from .registry import register
from .shape import as_int_tuple
from .shapes import check_axis


def _require(value, name, op_name):
    if value is None:
        raise MXNetError('the %s attribute of %s is required' % (name, op_name))
    return value


def _count(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise MXNetError('%s must be an integer >= %d, got %r' % (name, minimum, value))
    return int(value)


# ------------------------------------------------------------------- concat --

def _concat_shape(in_shapes, dim=1):
    if not in_shapes:
        raise MXNetError('concat needs at least one input array')
    first = tuple(in_shapes[0])
    ndim = len(first)
    a = check_axis(dim, ndim, 'dim')
    total = 0
    for k, s in enumerate(in_shapes):
        s = tuple(s)
        if len(s) != ndim or s[:a] + s[a + 1:] != first[:a] + first[a + 1:]:
            raise MXNetError(
                'input %d has shape %s but input 0 has shape %s; expected the same number '
                'of dimensions and equal sizes on every axis except dim=%d'
                % (k, s, first, a))
        total += s[a]
    return [first[:a] + (total,) + first[a + 1:]]


def _concat_grad(F, inputs, outputs, ograds, dim=1):
    a = check_axis(dim, inputs[0].ndim, 'dim')
    grads, offset = [], 0
    for x in inputs:
        n = x.shape[a]
        grads.append(F.slice_axis(ograds[0], axis=a, begin=offset, end=offset + n))
        offset += n
    return grads


@register('Concat', aliases=('concat',), gradient=_concat_grad, infer_shape=_concat_shape)
def concat(xp, *data, dim=1):
    """Join arrays along the existing axis ``dim`` (1 by default, as in MXNet).

    All inputs have the same number of dimensions and equal sizes on every
    other axis. For 1-d inputs pass ``dim=0``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> a = mx.nd.array([[1, 2], [3, 4]])
    >>> b = mx.nd.array([[5], [6]])
    >>> mx.nd.concat(a, b).asnumpy()
    array([[1., 2., 5.],
           [3., 4., 6.]], dtype=float32)
    >>> mx.nd.concat(a, a, dim=0).shape
    (4, 2)
    """
    _concat_shape([d.shape for d in data], dim)
    return xp.concatenate(data, axis=check_axis(dim, data[0].ndim, 'dim'))


# -------------------------------------------------------------------- stack --

def _stack_axis(in_shapes, axis):
    if not in_shapes:
        raise MXNetError('stack needs at least one input array')
    first = tuple(in_shapes[0])
    for k, s in enumerate(in_shapes):
        if tuple(s) != first:
            raise MXNetError('input %d has shape %s but input 0 has shape %s; stack needs '
                             'arrays of equal shapes' % (k, tuple(s), first))
    return first, check_axis(axis, len(first) + 1)


def _stack_shape(in_shapes, axis=0):
    first, a = _stack_axis(in_shapes, axis)
    return [first[:a] + (len(in_shapes),) + first[a:]]


def _stack_grad(F, inputs, outputs, ograds, axis=0):
    a = _stack_axis([x.shape for x in inputs], axis)[1]
    parts = F.split(ograds[0], num_outputs=len(inputs), axis=a, squeeze_axis=True)
    return [parts] if len(inputs) == 1 else parts


@register('stack', gradient=_stack_grad, infer_shape=_stack_shape)
def stack(xp, *data, axis=0):
    """Join arrays of equal shapes along a new axis at position ``axis``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> a = mx.nd.array([1, 2])
    >>> mx.nd.stack(a, a * 10).asnumpy()
    array([[ 1.,  2.],
           [10., 20.]], dtype=float32)
    >>> mx.nd.stack(a, a, a, axis=1).shape
    (2, 3)
    """
    a = _stack_axis([d.shape for d in data], axis)[1]
    return xp.stack(data, axis=a)


# -------------------------------------------------------------------- split --

def _split_info(shape, num_outputs, axis, squeeze_axis):
    """The normalised axis, the size of each part along it, and each output's shape."""
    k = _count(_require(num_outputs, 'num_outputs', 'split'), 'num_outputs')
    shape = tuple(shape)
    a = check_axis(axis, len(shape))
    n = shape[a]
    if n % k:
        raise MXNetError('cannot split axis %d of size %d (input shape %s) into %d equal '
                         'parts: %d does not divide %d' % (a, n, shape, k, k, n))
    size = n // k
    if squeeze_axis:
        if size != 1:
            raise MXNetError('squeeze_axis=True removes the split axis, so each part must '
                             'have size 1 along it; axis %d has size %d and num_outputs=%d '
                             '(expected num_outputs=%d)' % (a, n, k, n))
        out = (shape[:a] + shape[a + 1:]) or (1,)
    else:
        out = shape[:a] + (size,) + shape[a + 1:]
    return a, size, out


def _split_shape(in_shapes, num_outputs=None, axis=1, squeeze_axis=False):
    a, size, out = _split_info(in_shapes[0], num_outputs, axis, squeeze_axis)
    return [out] * int(num_outputs)


def _split_grad(F, inputs, outputs, ograds, num_outputs=None, axis=1, squeeze_axis=False):
    shape = inputs[0].shape
    a, size, _ = _split_info(shape, num_outputs, axis, squeeze_axis)
    grads = list(ograds)
    if squeeze_axis:
        part = shape[:a] + (1,) + shape[a + 1:]
        grads = [F.reshape(g, shape=part) for g in grads]
    if len(grads) == 1:
        return (grads[0],)
    return (F.concat(*grads, dim=a),)


@register('split', aliases=('SliceChannel',), gradient=_split_grad,
          infer_shape=_split_shape)
def split(xp, data, *, num_outputs=None, axis=1, squeeze_axis=False):
    """Cut ``data`` into ``num_outputs`` equal parts along ``axis`` (1 by default).

    Returns a list of arrays, or a single array when ``num_outputs`` is 1.
    ``squeeze_axis=True`` (which needs parts of size 1) removes the axis.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    >>> [p.shape for p in mx.nd.split(x, num_outputs=2)]
    [(2, 2), (2, 2)]
    >>> [p.asnumpy() for p in mx.nd.split(x, 2, axis=0, squeeze_axis=True)][1]
    array([5., 6., 7., 8.], dtype=float32)
    """
    a, size, out = _split_info(data.shape, num_outputs, axis, squeeze_axis)
    parts = []
    for i in range(int(num_outputs)):
        key = (slice(None),) * a + (slice(i * size, (i + 1) * size),)
        parts.append(data[key].reshape(out).copy())
    return parts[0] if len(parts) == 1 else tuple(parts)


# -------------------------------------------------------------------- slice --

def _optional_ints(value, name):
    """A tuple of ints and Nones from an attribute such as ``begin=(0, None)``."""
    if value is None:
        return ()
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value),)
    out = []
    for v in value:
        if v is None or (isinstance(v, str) and v == 'None'):
            out.append(None)
        elif isinstance(v, numbers.Integral) and not isinstance(v, bool):
            out.append(int(v))
        else:
            raise MXNetError('%s must contain integers or None, got %r' % (name, value))
    return tuple(out)


def _slice_key(shape, begin, end, step):
    """The tuple of Python slices that ``slice(begin, end, step)`` selects."""
    if begin is None or end is None:
        raise MXNetError('slice needs both begin and end (tuples of ints or None, one '
                         'entry per sliced axis)')
    begin = _optional_ints(begin, 'begin')
    end = _optional_ints(end, 'end')
    step = _optional_ints(step, 'step')
    if len(begin) != len(end):
        raise MXNetError('begin=%s and end=%s must have the same length' % (begin, end))
    if step and len(step) != len(begin):
        raise MXNetError('step=%s must be empty or as long as begin=%s' % (step, begin))
    if len(begin) > len(shape):
        raise MXNetError('begin=%s slices %d axes but the input of shape %s has only %d'
                         % (begin, len(begin), tuple(shape), len(shape)))
    key = []
    for k in range(len(begin)):
        s = step[k] if step and step[k] is not None else 1
        if s == 0:
            raise MXNetError('step=%s has a 0 on axis %d; a step cannot be zero' % (step, k))
        key.append(slice(begin[k], end[k], s))
    return tuple(key)


def _sliced_shape(shape, key):
    shape = tuple(shape)
    out = [len(range(*sl.indices(n))) for sl, n in zip(key, shape)]
    return tuple(out) + shape[len(key):]


def _slice_shape(in_shapes, begin=None, end=None, step=()):
    return [_sliced_shape(in_shapes[0], _slice_key(in_shapes[0], begin, end, step))]


@register('slice', aliases=('crop',), infer_shape=_slice_shape,
          gradient=lambda F, i, o, g, begin=None, end=None, step=():
          (F._slice_backward(g[0], i[0], begin=begin, end=end, step=step),))
def slice_op(xp, data, *, begin=None, end=None, step=()):
    """The block ``data[begin[0]:end[0]:step[0], begin[1]:end[1]:step[1], ...]``.

    ``begin``, ``end`` and ``step`` have one entry per leading axis (axes
    after them are kept whole); None means the default of a Python slice, and
    out-of-range bounds are clipped as in Python. Negative steps reverse.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    >>> mx.nd.slice(x, begin=(0, 1), end=(2, 3)).asnumpy()
    array([[2., 3.],
           [6., 7.]], dtype=float32)
    >>> mx.nd.slice(x, begin=(None, None), end=(None, None), step=(-1, 2)).asnumpy()
    array([[5., 7.],
           [1., 3.]], dtype=float32)
    """
    return data[_slice_key(data.shape, begin, end, step)].copy()


@register('_slice_backward', infer_shape=lambda shapes, **a: [tuple(shapes[1])],
          gradient=lambda F, i, o, g, begin=None, end=None, step=():
          (F.slice(g[0], begin=begin, end=end, step=step), None))
def slice_backward(xp, ograd, data, *, begin=None, end=None, step=()):
    """The gradient of ``slice``: zeros shaped like ``data`` with ``ograd`` in the block."""
    out = xp.zeros_like(data)
    out[_slice_key(data.shape, begin, end, step)] = ograd
    return out


def _slice_axis_bounds(shape, axis, begin, end):
    a = check_axis(_require(axis, 'axis', 'slice_axis'), len(shape))
    n = shape[a]
    b = 0 if begin is None else int(begin)
    e = n if end is None else int(end)
    b_, e_ = (b + n if b < 0 else b), (e + n if e < 0 else e)
    if not 0 <= b_ <= e_ <= n:
        raise MXNetError('begin=%r, end=%r do not select a range of axis %d, which has size '
                         '%d; expected -%d <= begin <= end <= %d (negative values count '
                         'from the end)' % (begin, end, a, n, n, n))
    return a, b_, e_


def _slice_axis_shape(in_shapes, axis=None, begin=0, end=None):
    s = tuple(in_shapes[0])
    a, b, e = _slice_axis_bounds(s, axis, begin, end)
    return [s[:a] + (e - b,) + s[a + 1:]]


def _slice_axis_grad(F, inputs, outputs, ograds, axis=None, begin=0, end=None):
    a, b, e = _slice_axis_bounds(inputs[0].shape, axis, begin, end)
    return (F._slice_backward(ograds[0], inputs[0], begin=(None,) * a + (b,),
                              end=(None,) * a + (e,)),)


@register('slice_axis', gradient=_slice_axis_grad, infer_shape=_slice_axis_shape)
def slice_axis(xp, data, *, axis=None, begin=0, end=None):
    """The elements ``begin:end`` of ``data`` along ``axis`` (``end=None``: to the end).

    Negative ``begin``, ``end`` and ``axis`` count from the end. Unlike
    ``slice``, bounds outside the axis are an error.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    >>> mx.nd.slice_axis(x, axis=1, begin=1, end=3).asnumpy()
    array([[2., 3.],
           [6., 7.]], dtype=float32)
    >>> mx.nd.slice_axis(x, axis=-1, begin=-1, end=None).shape
    (2, 1)
    """
    a, b, e = _slice_axis_bounds(data.shape, axis, begin, end)
    return data[(slice(None),) * a + (slice(b, e),)].copy()


def _slice_like_end(shape, like, axes):
    """The ``end`` tuple of the slice that ``slice_like`` takes (None: whole axis)."""
    shape, like = tuple(shape), tuple(like)
    axes = as_int_tuple(axes, 'axes')
    if not axes:
        if len(shape) != len(like):
            raise MXNetError('without axes, slice_like slices every axis, so data %s and '
                             'shape_like %s need the same number of dimensions (pass axes= '
                             'to slice only some)' % (shape, like))
        axes = tuple(range(len(shape)))
    end = [None] * len(shape)
    for ax in axes:
        a = check_axis(ax, len(shape), 'axes entry')
        if a >= len(like):
            raise MXNetError('axes=%s names axis %d of data, which shape_like %s does not '
                             'have' % (axes, a, like))
        if like[a] > shape[a]:
            raise MXNetError('axis %d of shape_like %s has size %d, larger than the size %d '
                             'of data %s' % (a, like, like[a], shape[a], shape))
        end[a] = like[a]
    return tuple(end)


def _slice_like_shape(in_shapes, axes=()):
    end = _slice_like_end(in_shapes[0], in_shapes[1], axes)
    return [tuple(d if e is None else e for d, e in zip(in_shapes[0], end))]


def _slice_like_grad(F, inputs, outputs, ograds, axes=()):
    end = _slice_like_end(inputs[0].shape, inputs[1].shape, axes)
    return (F._slice_backward(ograds[0], inputs[0], begin=(None,) * len(end), end=end),
            None)


@register('slice_like', gradient=_slice_like_grad, infer_shape=_slice_like_shape,
          same_dtype=False)
def slice_like(xp, data, shape_like, *, axes=()):
    """The leading block of ``data`` with the shape of ``shape_like`` (on ``axes`` only).

    Only the shape of ``shape_like`` is used. With ``axes=()`` every axis is
    cut, and both inputs need the same number of dimensions.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2, 3], [4, 5, 6]])
    >>> mx.nd.slice_like(x, mx.nd.array([[0, 0]])).asnumpy()
    array([[1., 2.]], dtype=float32)
    >>> mx.nd.slice_like(x, mx.nd.array([[0, 0]]), axes=(1,)).shape
    (2, 2)
    """
    end = _slice_like_end(data.shape, shape_like.shape, axes)
    return data[tuple(slice(None, e) for e in end)].copy()


# ---------------------------------------------------------------------- pad --

_PAD_MODES = ('constant', 'edge', 'reflect')


def _pad_pairs(shape, mode, pad_width):
    """``pad_width`` as one ``(before, after)`` pair per axis, validated."""
    if mode not in _PAD_MODES:
        raise MXNetError('mode=%r is not a padding mode; expected one of %s'
                         % (mode, ', '.join(_PAD_MODES)))
    shape = tuple(shape)
    pw = as_int_tuple(pad_width, 'pad_width')
    if len(pw) != 2 * len(shape):
        raise MXNetError('pad_width=%s has %d entries; for a %d-d input it needs %d: '
                         '(before_0, after_0, before_1, after_1, ...)'
                         % (pw, len(pw), len(shape), 2 * len(shape)))
    pairs = [(pw[2 * k], pw[2 * k + 1]) for k in range(len(shape))]
    for k, (b, a) in enumerate(pairs):
        if b < 0 or a < 0:
            raise MXNetError('pad_width=%s has a negative entry; padding sizes are >= 0' % (pw,))
        if mode != 'constant' and (b or a) and shape[k] == 0:
            raise MXNetError("mode=%r cannot pad axis %d, which is empty" % (mode, k))
        if mode == 'reflect' and max(b, a) >= shape[k]:
            raise MXNetError("mode='reflect' pads axis %d of size %d by (%d, %d); expected "
                             "padding sizes smaller than the axis size (at most %d)"
                             % (k, shape[k], b, a, shape[k] - 1))
    return pairs


def _pad_shape(in_shapes, mode='constant', pad_width=(), constant_value=0.0):
    pairs = _pad_pairs(in_shapes[0], mode, pad_width)
    return [tuple(d + b + a for d, (b, a) in zip(in_shapes[0], pairs))]


@register('pad', aliases=('Pad',), infer_shape=_pad_shape,
          gradient=lambda F, i, o, g, **a: (F._pad_backward(g[0], i[0], **a),))
def pad(xp, data, *, mode='constant', pad_width=(), constant_value=0.0):
    """Pad axis ``i`` of ``data`` with ``pad_width[2i]`` values before, ``pad_width[2i+1]`` after.

    ``pad_width`` is MXNet's flat tuple ``(before_0, after_0, before_1,
    after_1, ...)`` with one pair per axis. The mode says what the new values
    are: ``'constant'`` (``constant_value``), ``'edge'`` (the nearest edge
    value) or ``'reflect'`` (a mirror image without repeating the edge; each
    padding smaller than its axis).

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2, 3]])
    >>> mx.nd.pad(x, mode='constant', pad_width=(0, 0, 1, 2)).asnumpy()
    array([[0., 1., 2., 3., 0., 0.]], dtype=float32)
    >>> mx.nd.pad(x, mode='reflect', pad_width=(0, 0, 2, 1)).asnumpy()
    array([[3., 2., 1., 2., 3., 2.]], dtype=float32)
    """
    pairs = _pad_pairs(data.shape, mode, pad_width)
    if mode == 'constant':
        return xp.pad(data, pairs, mode='constant', constant_values=constant_value)
    return xp.pad(data, pairs, mode=mode)


@register('_pad_backward', infer_shape=lambda shapes, **a: [tuple(shapes[1])],
          gradient=lambda F, i, o, g, mode='constant', pad_width=(), constant_value=0.0:
          (F.pad(g[0], mode=mode, pad_width=pad_width), None))
def pad_backward(xp, ograd, data, *, mode='constant', pad_width=(), constant_value=0.0):
    """The gradient of ``pad``: each padded value's gradient added to the value it copies."""
    pairs = _pad_pairs(data.shape, mode, pad_width)
    g = ograd
    for ax, (b, a) in enumerate(pairs):
        if not b and not a:
            continue
        n = data.shape[ax]
        if mode == 'constant':
            g = g[(slice(None),) * ax + (slice(b, b + n),)]
            continue
        # The input index each output position along this axis copies from.
        j = xp.arange(n + b + a) - b
        if mode == 'edge':
            src = xp.clip(j, 0, n - 1)
        else:
            src = xp.abs(j)
            src = xp.where(src >= n, 2 * (n - 1) - src, src)
        summed = xp.zeros(g.shape[:ax] + (n,) + g.shape[ax + 1:], dtype=g.dtype)
        scatter_add(xp, summed, (slice(None),) * ax + (src,), g)
        g = summed
    return g.copy() if g is ograd or mode == 'constant' else g


# --------------------------------------------------------------------- diag --

def _diag_info(shape, k, axis1, axis2):
    """For N-d input: the two normalised axes and the length of the diagonal."""
    shape = tuple(shape)
    k = int(k)
    a1 = check_axis(axis1, len(shape), 'axis1')
    a2 = check_axis(axis2, len(shape), 'axis2')
    if a1 == a2:
        raise MXNetError('axis1=%r and axis2=%r are the same axis %d; a diagonal needs two '
                         'different axes' % (axis1, axis2, a1))
    s1, s2 = shape[a1], shape[a2]
    length = min(s1, s2 - k) if k >= 0 else min(s1 + k, s2)
    if length < 0:
        raise MXNetError('diagonal k=%d does not exist for axes of sizes %d and %d; expected '
                         '-%d <= k <= %d' % (k, s1, s2, s1, s2))
    return a1, a2, length


def _diag_shape(in_shapes, k=0, axis1=0, axis2=1):
    s = tuple(in_shapes[0])
    if len(s) == 1:
        n = s[0] + abs(int(k))
        return [(n, n)]
    a1, a2, length = _diag_info(s, k, axis1, axis2)
    return [tuple(d for i, d in enumerate(s) if i not in (a1, a2)) + (length,)]


def _diag_grad(F, inputs, outputs, ograds, k=0, axis1=0, axis2=1):
    if inputs[0].ndim == 1:
        return (F.diag(ograds[0], k=k),)
    return (F._diag_backward(ograds[0], inputs[0], k=k, axis1=axis1, axis2=axis2),)


@register('diag', gradient=_diag_grad, infer_shape=_diag_shape)
def diag(xp, data, *, k=0, axis1=0, axis2=1):
    """A diagonal matrix from a vector, or the ``k``-th diagonal of an array.

    For 1-d input the result is a square matrix with ``data`` on diagonal
    ``k`` (above the main one for ``k > 0``). For N-d input the diagonal
    of the axes ``axis1`` and ``axis2`` is taken; it becomes the last axis.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.diag(mx.nd.array([1, 2])).asnumpy()
    array([[1., 0.],
           [0., 2.]], dtype=float32)
    >>> x = mx.nd.array([[1, 2, 3], [4, 5, 6]])
    >>> mx.nd.diag(x, k=1).asnumpy()
    array([2., 6.], dtype=float32)
    """
    if data.ndim == 1:
        return xp.diag(data, int(k))
    a1, a2, _ = _diag_info(data.shape, k, axis1, axis2)
    return xp.diagonal(data, int(k), a1, a2).copy()


@register('_diag_backward', infer_shape=lambda shapes, **a: [tuple(shapes[1])],
          gradient=lambda F, i, o, g, k=0, axis1=0, axis2=1:
          (F.diag(g[0], k=k, axis1=axis1, axis2=axis2), None))
def diag_backward(xp, ograd, data, *, k=0, axis1=0, axis2=1):
    """The gradient of diagonal extraction: zeros like ``data`` with ``ograd`` on the diagonal."""
    a1, a2, length = _diag_info(data.shape, k, axis1, axis2)
    k = int(k)
    out = xp.zeros_like(data)
    rows = xp.arange(length) + max(-k, 0)
    cols = xp.arange(length) + max(k, 0)
    # With the two axes moved last, out[..., rows, cols] lines up with ograd.
    xp.moveaxis(out, (a1, a2), (-2, -1))[..., rows, cols] = ograd
    return out
