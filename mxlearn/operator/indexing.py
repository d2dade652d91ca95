"""``x[key]`` as an operator, so that indexing is recorded and differentiable."""
import numpy

from ..base import MXNetError
from .registry import register


def _is_advanced(key):
    parts = key if isinstance(key, tuple) else (key,)
    return any(hasattr(k, 'dtype') or isinstance(k, list) for k in parts)


def _index_grad(F, inputs, outputs, ograds, key, view):
    return (F._index_backward(ograds[0], inputs[0], key=key), )


def _index_shape(in_shapes, key=None, view=False):
    # Index a zero-strided stand-in: numpy works out the result's shape for
    # every kind of key without allocating the data.
    probe = numpy.broadcast_to(numpy.zeros((), numpy.int8), in_shapes[0])
    try:
        shape = probe[key].shape
    except IndexError as e:
        raise MXNetError('invalid index %r for an array of shape %s: %s'
                         % (key, in_shapes[0], e)) from None
    return [shape or (1,)]


@register('_index', gradient=_index_grad, infer_shape=_index_shape)
def index(xp, data, *, key=None, view=False):
    """``data[key]`` with MXNet's conventions (the engine of ``NDArray.__getitem__``).

    A result that numpy would make 0-d has shape ``(1,)``. With ``view=True``
    (an integer or step-1 slice on the first axis, as MXNet decides) the
    result shares memory with ``data``; otherwise it is a copy.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.arange(6).reshape((2, 3))
    >>> x[1, 2].shape
    (1,)
    >>> x[:, 1].asnumpy()
    array([1., 4.], dtype=float32)
    """
    if view:
        k = key[0] if isinstance(key, tuple) else key
        if not isinstance(k, slice):
            n = data.shape[0]
            if not -n <= k < n:
                raise MXNetError('index %d is out of bounds for axis 0 of size %d' % (k, n))
            k = k % n
            out = data[k] if data.ndim > 1 else data[k:k + 1]
        else:
            out = data[k]
        return out
    try:
        out = data[key]
    except IndexError as e:
        raise MXNetError('invalid index %r for an array of shape %s: %s'
                         % (key, data.shape, e)) from None
    if getattr(out, 'ndim', 0) == 0:
        return xp.asarray(out).reshape(1)
    if not _is_advanced(key):
        out = out.copy()
    return out


def _index_backward_grad(F, inputs, outputs, ograds, key):
    return (F._index(ograds[0], key=key), None)


@register('_index_backward', gradient=_index_backward_grad, same_dtype=False,
          infer_shape=lambda in_shapes, key=None: [tuple(in_shapes[1])],
          infer_type=lambda in_dtypes, key=None: [in_dtypes[1]])
def index_backward(xp, ograd, data, *, key=None):
    """The gradient of ``data[key]``: zeros shaped like ``data``, ``ograd`` added at ``key``."""
    from ..backend import scatter_add
    out = xp.zeros_like(data)
    target_shape = out[key].shape
    values = ograd.reshape(target_shape) if ograd.shape != target_shape else ograd
    if _is_advanced(key):
        scatter_add(xp, out, key, values)
    else:
        out[key] = values
    return out
