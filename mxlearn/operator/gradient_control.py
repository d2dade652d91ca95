"""BlockGrad (stop_gradient) and MakeLoss (make_loss): operators that steer the gradient.

- ``BlockGrad``: the identity forward; no gradient flows back through it
  (its output is a constant to autograd and to symbolic backward graphs).
- ``MakeLoss``: the identity forward, marking its input as a loss: the
  gradient sent back is ``grad_scale`` everywhere, whatever arrives from
  above (so ``backward()`` needs no head gradient), divided by the batch
  size (``normalization='batch'``) or by the number of entries above
  ``valid_thresh`` (``'valid'``).
"""
from ..base import MXNetError
from .registry import register
from .shapes import same_shape

_NORMALIZATIONS = ('null', 'batch', 'valid')


@register('BlockGrad', infer_shape=same_shape, differentiable=False,
          aliases=('stop_gradient',))
def block_grad(xp, data):
    """``data`` itself, with no gradient flowing back.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([1.0, 2.0])
    >>> x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = mx.nd.BlockGrad(x * x) + x
    >>> y.backward()
    >>> x.grad.asnumpy()
    array([1., 1.], dtype=float32)
    """
    return data.copy()


def _make_loss_gradient(F, inputs, outputs, ograds, grad_scale=1.0, valid_thresh=0.0,
                        normalization='null'):
    y = outputs[0]
    grad = F.ones_like(y) * grad_scale
    if normalization == 'batch':
        grad = grad / y.shape[0]
    elif normalization == 'valid':
        count = F.sum(y > valid_thresh)
        grad = F.broadcast_div(grad, F.maximum(count, 1.0))
    return (grad,)


def _make_loss_shape(in_shapes, grad_scale=1.0, valid_thresh=0.0, normalization='null'):
    if normalization not in _NORMALIZATIONS:
        raise MXNetError('normalization must be one of %s, got %r'
                         % (', '.join(_NORMALIZATIONS), normalization))
    return [tuple(in_shapes[0])]


@register('MakeLoss', gradient=_make_loss_gradient, infer_shape=_make_loss_shape,
          aliases=('make_loss',))
def make_loss(xp, data, *, grad_scale=1.0, valid_thresh=0.0, normalization='null'):
    """``data`` itself, treated as a loss: its gradient is ``grad_scale``, not the head's.

    Parameters
    ----------
    data : NDArray
    grad_scale : float, default 1
    valid_thresh : float, default 0
        With ``normalization='valid'``, entries above it count as valid.
    normalization : {'null', 'batch', 'valid'}
        Divide the gradient by nothing, the batch size, or the number of
        valid entries.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([1.0, 2.0])
    >>> x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = mx.nd.make_loss(x * x)
    >>> y.backward(mx.nd.array([5.0, 5.0]))   # the head gradient is ignored
    >>> x.grad.asnumpy()
    array([2., 4.], dtype=float32)
    """
    _make_loss_shape([data.shape], grad_scale, valid_thresh, normalization)
    return data.copy()
