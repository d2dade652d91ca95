"""FullyConnected: the dense layer ``y = x W^T + b``.

The forward is one GEMM with the weight's transpose (a view that BLAS reads as
a transposed operand, so nothing is copied) and the bias added in place into
the GEMM's result. With ``flatten=True`` the input is viewed as a matrix
``(batch, features)``; with ``flatten=False`` the layer maps the last axis
and keeps all the others.

The gradient is three products of the same kind, written with ``F`` ops so
that it can be differentiated again::

    dx = g W            dW = g^T x            db = sum(g, axis=0)

where ``x`` and ``g`` are the matrix views of the input and of the output
gradient. A product is skipped when its input is a constant (see
:func:`needs_grad`): the first layer of a network does not compute ``dx``.
"""
import math

from ..base import MXNetError
from .registry import needs_grad, register


def _matrix_shape(shape, flatten):
    """The ``(rows, features)`` view of an input of ``shape``."""
    if flatten:
        return (shape[0], math.prod(shape[1:]))
    return (math.prod(shape[:-1]), shape[-1])


def _out_shape(shape, num_hidden, flatten):
    if flatten:
        return (shape[0], num_hidden)
    return tuple(shape[:-1]) + (num_hidden,)


def _check_attrs(num_hidden, no_bias, num_inputs):
    if num_hidden is None:
        raise MXNetError('num_hidden (the number of output units) is required')
    if isinstance(num_hidden, bool) or int(num_hidden) != num_hidden or num_hidden < 1:
        raise MXNetError('num_hidden must be a positive integer, got %r' % (num_hidden,))
    if no_bias and num_inputs == 3:
        raise MXNetError('a bias is given but no_bias=True; pass no bias, or set '
                         'no_bias=False')
    if not no_bias and num_inputs == 2:
        raise MXNetError('no bias is given but no_bias=False; pass a bias of shape '
                         '(num_hidden,), or set no_bias=True')


def _fc_shape(in_shapes, num_hidden=None, no_bias=False, flatten=True):
    _check_attrs(num_hidden, no_bias, len(in_shapes))
    data, weight = tuple(in_shapes[0]), tuple(in_shapes[1])
    if len(data) == 0:
        raise MXNetError('data must have at least one dimension')
    features = _matrix_shape(data, flatten)[1]
    if weight != (num_hidden, features):
        raise MXNetError(
            'weight has shape %s but num_hidden=%d and data of shape %s (flatten=%s, so '
            '%d input features) need a weight of shape (%d, %d)'
            % (weight, num_hidden, data, bool(flatten), features, num_hidden, features))
    if len(in_shapes) == 3 and tuple(in_shapes[2]) != (num_hidden,):
        raise MXNetError('bias has shape %s; expected (num_hidden,) = (%d,)'
                         % (tuple(in_shapes[2]), num_hidden))
    return [_out_shape(data, num_hidden, flatten)]


def _grad_fc(F, inputs, outputs, ograds, num_hidden=None, no_bias=False, flatten=True):
    data, weight = inputs[0], inputs[1]
    g = ograds[0]
    x = data
    if data.ndim != 2:
        x = F.reshape(data, shape=_matrix_shape(data.shape, flatten))
    if g.ndim != 2:
        g = F.reshape(g, shape=(x.shape[0], num_hidden))
    dx = dw = db = None
    if needs_grad(data):
        dx = F.dot(g, weight)
        if data.ndim != 2:
            dx = F.reshape(dx, shape=data.shape)
    if needs_grad(weight):
        dw = F.dot(g, x, transpose_a=True)
    if len(inputs) == 2:
        return dx, dw
    if needs_grad(inputs[2]):
        db = F.sum(g, axis=0)
    return dx, dw, db


@register('FullyConnected', gradient=_grad_fc, infer_shape=_fc_shape)
def fully_connected(xp, data, weight, bias=None, *, num_hidden=None, no_bias=False,
                    flatten=True):
    """Apply a linear transformation: ``out = data @ weight.T + bias``.

    Parameters
    ----------
    data : NDArray
        With ``flatten=True``, shape ``(batch, x1, ..., xn)``, used as a matrix
        ``(batch, x1 * ... * xn)`` (a vector is a column: ``(batch, 1)``). With
        ``flatten=False``, shape ``(x1, ..., xn, input_dim)``.
    weight : NDArray
        Shape ``(num_hidden, features)``, ``features`` being the size of one
        row of ``data`` as above.
    bias : NDArray, optional
        Shape ``(num_hidden,)``; given exactly when ``no_bias`` is False.
    num_hidden : int
        The number of output units (required).
    no_bias : bool, default False
        Leave out the bias.
    flatten : bool, default True
        Collapse all axes but the first (True), or apply the layer to the last
        axis only (False).

    Returns
    -------
    NDArray
        ``(batch, num_hidden)`` with ``flatten=True``, else
        ``(x1, ..., xn, num_hidden)``.

    Notes
    -----
    Integer arrays are accepted too (MXNet accepts floating point only).

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2], [3, 4]])
    >>> w = mx.nd.array([[1, 0], [1, 1], [0, 2]])
    >>> mx.nd.FullyConnected(x, w, mx.nd.array([0, 0, 10]), num_hidden=3).asnumpy()
    array([[ 1.,  3., 14.],
           [ 3.,  7., 18.]], dtype=float32)
    >>> mx.nd.FullyConnected(mx.nd.ones((4, 5, 2)), w, num_hidden=3, no_bias=True,
    ...                      flatten=False).shape
    (4, 5, 3)
    """
    # Checked here because a wrong num_hidden or a (1, n) bias would not make
    # the GEMM fail; the message itself comes from the shape inference.
    if (weight.ndim != 2 or weight.shape[0] != num_hidden
            or (bias is not None and bias.shape != (num_hidden,))
            or (bias is None) != bool(no_bias)):
        _fc_shape([data.shape, weight.shape] + ([] if bias is None else [bias.shape]),
                  num_hidden, no_bias, flatten)
    if data.ndim == 2:
        out = xp.dot(data, weight.T)
    else:
        x = data.reshape(_matrix_shape(data.shape, flatten))
        out = xp.dot(x, weight.T)
    if bias is not None:
        out += bias
    if data.ndim != 2:
        out = out.reshape(_out_shape(data.shape, num_hidden, flatten))
    return out
