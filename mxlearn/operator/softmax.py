"""softmax, log_softmax and softmin along one axis.

All three subtract the maximum along the axis before exponentiating, so large
logits do not overflow. Their gradients are written with ``F`` ops in terms of
the output ``y``, which keeps them differentiable again:

- softmax:     ``dx = y * (g - sum(g * y)) / T``
- log_softmax: ``dx = (g - exp(y) * sum(g)) / T``
- softmin is softmax of ``-x``, so its gradient is the softmax one negated.
"""
import numpy

from ..base import MXNetError
from .registry import register
from .shapes import check_axis


def _check_attrs(temperature, use_length):
    if use_length:
        raise MXNetError('use_length=True (masking with a length input) is not supported '
                         'by mxlearn; set the masked logits to a large negative value '
                         'instead (e.g. with SequenceMask)')
    if temperature is not None and temperature == 0:
        raise MXNetError('temperature must be nonzero (it divides the logits), got 0')


def _softmax_shape(in_shapes, axis=-1, temperature=None, dtype=None, use_length=False):
    shape = tuple(in_shapes[0])
    check_axis(axis, len(shape))
    _check_attrs(temperature, use_length)
    return [shape]


def _softmax_type(in_dtypes, axis=-1, temperature=None, dtype=None, use_length=False):
    return [numpy.dtype(dtype) if dtype is not None else in_dtypes[0]]


def _shifted_logits(xp, data, axis, temperature, dtype, use_length, negate):
    """The scaled logits minus their maximum along ``axis``, in the working dtype."""
    if data.dtype.kind != 'f':
        raise MXNetError('expected a floating-point input, got %s; convert it with '
                         'astype("float32")' % (data.dtype,))
    _check_attrs(temperature, use_length)
    ax = check_axis(axis, data.ndim)
    work = numpy.dtype(dtype) if dtype is not None else data.dtype
    if work.kind != 'f':
        raise MXNetError('dtype must be a floating-point type, got %s' % (work,))
    if work == numpy.float16:
        # exp and the sum lose too much in half precision; round only the result.
        work = numpy.dtype(numpy.float32)
    x = data.astype(work, copy=False)
    scale = (-1.0 if negate else 1.0) / (1.0 if temperature is None else temperature)
    if scale != 1.0:
        x = x * work.type(scale)
    if x.shape[ax] == 0:
        return x, ax
    # A row that is all -inf (fully masked) has no softmax and gives NaN, as in MXNet.
    return x - x.max(axis=ax, keepdims=True), ax


def _out_dtype(data, dtype):
    return numpy.dtype(dtype) if dtype is not None else data.dtype


def _softmax_forward(xp, data, axis, temperature, dtype, use_length, negate):
    z, ax = _shifted_logits(xp, data, axis, temperature, dtype, use_length, negate)
    e = xp.exp(z)
    e /= e.sum(axis=ax, keepdims=True)
    return e.astype(_out_dtype(data, dtype), copy=False)


def _to_input_dtype(F, grad, x):
    if numpy.dtype(grad.dtype) != numpy.dtype(x.dtype):
        return F.Cast(grad, dtype=numpy.dtype(x.dtype).name)
    return grad


def _softmax_vjp(F, x, y, g, axis, scale):
    if numpy.dtype(g.dtype) != numpy.dtype(y.dtype):
        g = F.Cast(g, dtype=numpy.dtype(y.dtype).name)
    dx = y * (g - F.sum(g * y, axis=axis, keepdims=True))
    if scale != 1.0:
        dx = dx * scale
    return _to_input_dtype(F, dx, x)


def _grad_softmax(F, inputs, outputs, ograds, axis=-1, temperature=None, dtype=None,
                  use_length=False):
    scale = 1.0 / (1.0 if temperature is None else temperature)
    return (_softmax_vjp(F, inputs[0], outputs[0], ograds[0], axis, scale),)


def _grad_softmin(F, inputs, outputs, ograds, axis=-1, temperature=None, dtype=None,
                  use_length=False):
    scale = -1.0 / (1.0 if temperature is None else temperature)
    return (_softmax_vjp(F, inputs[0], outputs[0], ograds[0], axis, scale),)


_PARAMS = """Parameters
    ----------
    data : NDArray
        Floating-point logits.
    axis : int, default -1
        The axis along which the result sums to one.
    temperature : float, optional
        Divides the logits first (None means 1).
    dtype : str, optional
        The dtype of the result (the input's by default), e.g. 'float32' to
        compute a float16 input in single precision.
    use_length : bool, default False
        MXNet's masking by a ``length`` input; not supported (must be False).

    Returns
    -------
    NDArray
        Same shape as ``data``."""


def _with_params(forward):
    forward.__doc__ = forward.__doc__.replace('{params}', _PARAMS)
    return forward


@register('softmax', gradient=_grad_softmax, infer_shape=_softmax_shape,
          infer_type=_softmax_type)
@_with_params
def softmax(xp, data, *, axis=-1, temperature=None, dtype=None, use_length=False):
    """``exp(x / T)`` normalised to sum to one along ``axis``.

    {params}

    Examples
    --------
    >>> import mxlearn as mx
    >>> y = mx.nd.softmax(mx.nd.array([[1, 2, 3], [1000, 1000, 1000]]))
    >>> y.asnumpy().round(4)
    array([[0.09  , 0.2447, 0.6652],
           [0.3333, 0.3333, 0.3333]], dtype=float32)
    """
    return _softmax_forward(xp, data, axis, temperature, dtype, use_length, negate=False)


@register('softmin', gradient=_grad_softmin, infer_shape=_softmax_shape,
          infer_type=_softmax_type)
@_with_params
def softmin(xp, data, *, axis=-1, temperature=None, dtype=None, use_length=False):
    """``softmax(-x)``: the smallest logits get the largest weights.

    {params}

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.softmin(mx.nd.array([1, 2, 3])).asnumpy().round(4)
    array([0.6652, 0.2447, 0.09  ], dtype=float32)
    """
    return _softmax_forward(xp, data, axis, temperature, dtype, use_length, negate=True)


def _grad_log_softmax(F, inputs, outputs, ograds, axis=-1, temperature=None, dtype=None,
                      use_length=False):
    y, g = outputs[0], ograds[0]
    if numpy.dtype(g.dtype) != numpy.dtype(y.dtype):
        g = F.Cast(g, dtype=numpy.dtype(y.dtype).name)
    dx = g - F.exp(y) * F.sum(g, axis=axis, keepdims=True)
    if temperature is not None and temperature != 1.0:
        dx = dx * (1.0 / temperature)
    return (_to_input_dtype(F, dx, inputs[0]),)


@register('log_softmax', gradient=_grad_log_softmax, infer_shape=_softmax_shape,
          infer_type=_softmax_type)
@_with_params
def log_softmax(xp, data, *, axis=-1, temperature=None, dtype=None, use_length=False):
    """``log(softmax(x))``, computed without taking the log of a rounded-off zero.

    {params}

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.log_softmax(mx.nd.array([0, 1000])).asnumpy()
    array([-1000.,     0.], dtype=float32)
    """
    z, ax = _shifted_logits(xp, data, axis, temperature, dtype, use_length, negate=False)
    out = z - xp.log(xp.exp(z).sum(axis=ax, keepdims=True))
    return out.astype(_out_dtype(data, dtype), copy=False)
