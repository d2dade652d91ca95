"""Dropout: zero random elements while training, and rescale the others.

In training mode (``autograd.record()``, ``autograd.train_mode()``) or with
``mode='always'``, each element is kept with probability ``1 - p`` and scaled
by ``1 / (1 - p)``, so the expected value of every element is unchanged;
otherwise the operator is the identity. The mask (``0`` or ``1 / (1 - p)``
per element) is a hidden output kept on the tape, and the gradient is
``g * mask``.

``axes`` shares one random draw along the listed axes ("variational" dropout:
with ``axes=(0,)`` on a ``(time, batch, features)`` array every time step
drops the same features), so the mask has size 1 on those axes and is
broadcast.

The random numbers come from the generator of the input's device
(``mxlearn.operator.random.generator``), so ``mx.random.seed`` makes dropout
reproducible.
"""
import numpy

from .._ext.core import is_training
from ..base import MXNetError
from .creation import on_device
from .random import _draw_uniform, generator
from .registry import register
from .shape import as_int_tuple
from .shapes import check_axis


def _check_attrs(p, mode):
    if not 0 <= p <= 1:
        raise MXNetError('p (the fraction of elements dropped) must be in [0, 1], got %r'
                         % (p,))
    if mode not in ('training', 'always'):
        raise MXNetError("mode=%r is not supported; expected 'training' (drop only in "
                         "training mode) or 'always'" % (mode,))


def mask_shape(shape, axes):
    """The shape of the dropout mask: ``shape`` with size 1 on the shared ``axes``.

    Examples
    --------
    >>> mask_shape((5, 4, 3), (0,)), mask_shape((5, 4, 3), ())
    ((1, 4, 3), (5, 4, 3))
    """
    shared = {check_axis(a, len(shape), 'axes') for a in as_int_tuple(axes, 'axes')}
    return tuple(1 if i in shared else s for i, s in enumerate(shape))


def _dropout_shape(in_shapes, p=0.5, mode='training', axes=(), cudnn_off=False):
    _check_attrs(p, mode)
    shape = tuple(in_shapes[0])
    return [shape, mask_shape(shape, axes)]


def _grad_dropout(F, inputs, outputs, ograds, p=0.5, mode='training', axes=(),
                  cudnn_off=False):
    return (ograds[0] * outputs[1],)


@register('Dropout', gradient=_grad_dropout, infer_shape=_dropout_shape, num_visible=1)
def dropout(xp, data, *, p=0.5, mode='training', axes=(), cudnn_off=False, ctx):
    """Set each element to zero with probability ``p`` and scale the rest by ``1/(1-p)``.

    Parameters
    ----------
    data : NDArray
        Floating-point input.
    p : float, default 0.5
        The probability of dropping an element, in ``[0, 1]``.
    mode : {'training', 'always'}, default 'training'
        'training' drops only in training mode and is the identity otherwise;
        'always' drops in both modes.
    axes : tuple of int, default ()
        Axes along which the mask is shared (one draw for the whole axis).
    cudnn_off : bool
        Accepted for compatibility; ignored.

    Returns
    -------
    NDArray
        Same shape and dtype as ``data``.

    Notes
    -----
    With ``p=1`` every element is dropped: the output and the gradient are
    zeros (MXNet 1.9 gives NaN, from ``0 * (1 / 0)``). With ``p=0`` the
    operator is the identity and draws no random numbers.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.ones((2, 4))
    >>> mx.nd.Dropout(x, p=0.5).asnumpy()          # not training: identity
    array([[1., 1., 1., 1.],
           [1., 1., 1., 1.]], dtype=float32)
    >>> y = mx.nd.Dropout(x, p=0.5, mode='always')
    >>> sorted(set(y.asnumpy().ravel().tolist())) in ([0.0, 2.0], [0.0], [2.0])
    True
    """
    _check_attrs(p, mode)
    if data.dtype.kind != 'f':
        raise MXNetError('expected a floating-point input, got %s; convert it with '
                         'astype("float32")' % (data.dtype,))
    shape = mask_shape(data.shape, axes)
    if p == 0 or (mode == 'training' and not is_training()):
        return data.copy(), xp.ones(shape, dtype=data.dtype)
    with on_device(xp, ctx):
        u = _draw_uniform(generator(ctx), shape, numpy.float32)
    mask = (u >= p).astype(data.dtype)
    if p < 1:
        mask *= data.dtype.type(1.0 / (1.0 - p))
    return data * mask, mask
