"""Activation and LeakyReLU: the nonlinearities of neural-network layers.

``Activation(act_type=...)`` reuses the forwards of the elementwise operators
``relu``, ``sigmoid``, ``tanh`` and ``softsign`` and adds softrelu
(softplus). Its gradients are written in terms of the output ``y`` where the
derivative has a simple form in ``y``:

- relu:      ``g * (y > 0)``
- sigmoid:   ``g * y * (1 - y)``
- tanh:      ``g * (1 - y**2)``
- softrelu:  ``g * (1 - exp(-y))`` (the derivative is ``sigmoid(x)``)
- softsign:  ``g * (1 - |y|)**2``

``LeakyReLU(act_type=...)`` gives the ReLU variants with a nonzero response to
negative inputs: leaky, prelu (a learned slope per channel), elu, selu, gelu
and rrelu (a random slope while training).

Every gradient is written with ``F`` operators, so it can be differentiated
again (``autograd.grad(..., create_graph=True)``).
"""
import math

import numpy

from .._ext.core import is_training
from ..backend import special_functions
from ..base import MXNetError
from . import elemwise
from .creation import on_device
from .random import _draw_uniform, generator
from .registry import OPS, register
from .shapes import same_shape


def _check_float(data):
    if data.dtype.kind != 'f':
        raise MXNetError('expected a floating-point input, got %s; convert it with '
                         'astype("float32")' % (data.dtype,))


def _check_choice(act_type, choices):
    if act_type not in choices:
        raise MXNetError('act_type=%r is not supported; expected one of %s'
                         % (act_type, ', '.join(repr(c) for c in sorted(choices))))


# --------------------------------------------------------------- Activation --

def _softrelu(xp, data):
    # log(1 + e**x) computed without overflow for large x
    return xp.logaddexp(data, data.dtype.type(0))


_ACTIVATIONS = {
    'relu': (OPS['relu'].forward, lambda F, y, g: g * (y > 0)),
    'sigmoid': (OPS['sigmoid'].forward, lambda F, y, g: g * y * (1 - y)),
    'tanh': (OPS['tanh'].forward, lambda F, y, g: g * (1 - y * y)),
    'softrelu': (_softrelu, lambda F, y, g: -g * F.expm1(-y)),
    'softsign': (OPS['softsign'].forward, lambda F, y, g: g * F.square(1 - F.abs(y))),
}


def _activation_shape(in_shapes, act_type=None):
    _check_choice(act_type, _ACTIVATIONS)
    return same_shape(in_shapes)


def _grad_activation(F, inputs, outputs, ograds, act_type=None):
    return (_ACTIVATIONS[act_type][1](F, outputs[0], ograds[0]),)


@register('Activation', gradient=_grad_activation, infer_shape=_activation_shape)
def activation(xp, data, *, act_type=None):
    """Apply an activation function elementwise.

    Parameters
    ----------
    data : NDArray
        Floating-point input.
    act_type : {'relu', 'sigmoid', 'tanh', 'softrelu', 'softsign'}
        The function (required):

        - relu: ``max(x, 0)``
        - sigmoid: ``1 / (1 + exp(-x))``
        - tanh: ``tanh(x)``
        - softrelu: ``log(1 + exp(x))`` (softplus)
        - softsign: ``x / (1 + |x|)``

    Returns
    -------
    NDArray
        Same shape and dtype as ``data``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([-1, 0, 2])
    >>> mx.nd.Activation(x, act_type='relu').asnumpy()
    array([0., 0., 2.], dtype=float32)
    >>> mx.nd.Activation(x, act_type='softrelu').asnumpy().round(4)
    array([0.3133, 0.6931, 2.1269], dtype=float32)
    """
    entry = _ACTIVATIONS.get(act_type)
    if entry is None:
        _check_choice(act_type, _ACTIVATIONS)
    _check_float(data)
    return entry[0](xp, data)


# ---------------------------------------------------------------- LeakyReLU --

SELU_LAMBDA = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717
INV_SQRT2 = 1.0 / math.sqrt(2.0)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_LEAKY_TYPES = ('leaky', 'prelu', 'elu', 'selu', 'gelu', 'rrelu')


def gamma_view(data_shape, gamma_shape):
    """The shape prelu's ``gamma`` is broadcast in against data of ``data_shape``.

    A single slope applies everywhere; otherwise there is one slope per channel,
    the channels being axis 1 (axis 0 for a vector), as in MXNet.

    Examples
    --------
    >>> gamma_view((8, 3, 5, 5), (3,)), gamma_view((8, 3), (1,)), gamma_view((4,), (4,))
    ((1, 3, 1, 1), (1, 1), (4,))
    """
    size = math.prod(gamma_shape)
    ndim = len(data_shape)
    if size == 1:
        return (1,) * ndim
    axis = 1 if ndim > 1 else 0
    if size != data_shape[axis]:
        raise MXNetError(
            'gamma has shape %s but data of shape %s has %d channels on axis %d; expected '
            'gamma of shape (%d,), one slope per channel, or (1,), one slope for all'
            % (tuple(gamma_shape), tuple(data_shape), data_shape[axis], axis,
               data_shape[axis]))
    return tuple(size if i == axis else 1 for i in range(ndim))


def _check_leaky(act_type, num_inputs, lower_bound, upper_bound):
    _check_choice(act_type, _LEAKY_TYPES)
    if act_type == 'prelu' and num_inputs < 2:
        raise MXNetError("act_type='prelu' needs the slopes as a second input, gamma")
    if act_type != 'prelu' and num_inputs > 1:
        raise MXNetError("gamma is an input of act_type='prelu' only; act_type=%r takes "
                         "data alone (its slope is the attribute slope)" % (act_type,))
    if act_type == 'rrelu' and not lower_bound <= upper_bound:
        raise MXNetError('rrelu needs lower_bound <= upper_bound, got %r and %r'
                         % (lower_bound, upper_bound))


def _leaky_shape(in_shapes, act_type='leaky', slope=0.25, lower_bound=0.125,
                 upper_bound=0.334):
    _check_leaky(act_type, len(in_shapes), lower_bound, upper_bound)
    data = tuple(in_shapes[0])
    if act_type == 'prelu':
        gamma_view(data, in_shapes[1])
    # rrelu keeps the slopes it drew as a hidden output, for the gradient.
    return [data, data] if act_type == 'rrelu' else [data]


def _grad_prelu(F, x, gamma, g):
    gb = F.reshape(gamma, shape=gamma_view(x.shape, gamma.shape))
    positive = x > 0
    dx = F.where(positive, g, g * gb)
    dgamma = elemwise.unbroadcast(F, F.where(positive, F.zeros_like(x), g * x), gb)
    return dx, F.reshape(dgamma, shape=gamma.shape)


def _grad_leaky(F, inputs, outputs, ograds, act_type='leaky', slope=0.25, lower_bound=0.125,
                upper_bound=0.334):
    x, y, g = inputs[0], outputs[0], ograds[0]
    if act_type == 'prelu':
        return _grad_prelu(F, x, inputs[1], g)
    if act_type == 'gelu':
        cdf = 0.5 * (1 + F.erf(x * INV_SQRT2))
        return (g * (cdf + x * F.exp(-0.5 * x * x) * INV_SQRT_2PI),)
    positive = x > 0
    if act_type == 'leaky':
        return (F.where(positive, g, g * slope),)
    if act_type == 'rrelu':
        return (F.where(positive, g, g * outputs[1]),)
    if act_type == 'elu':
        # below zero, d/dx slope * (e**x - 1) = slope * e**x = y + slope
        return (F.where(positive, g, g * (y + slope)),)
    return (F.where(positive, g * SELU_LAMBDA, g * (y + SELU_LAMBDA * SELU_ALPHA)),)


@register('LeakyReLU', gradient=_grad_leaky, infer_shape=_leaky_shape, num_visible=1)
def leaky_relu(xp, data, gamma=None, *, act_type='leaky', slope=0.25, lower_bound=0.125,
               upper_bound=0.334, ctx):
    """ReLU variants that let some signal through for negative inputs.

    For ``x > 0`` every variant gives ``x`` (selu: ``lambda * x``; gelu is
    smooth everywhere). For ``x <= 0``:

    - leaky: ``slope * x``
    - prelu: ``gamma * x``, with ``gamma`` a learned input holding one slope
      per channel (axis 1; axis 0 for a vector), or a single slope
    - elu: ``slope * (exp(x) - 1)``
    - selu: ``lambda * alpha * (exp(x) - 1)`` with the fixed constants
      ``lambda = 1.0507...`` and ``alpha = 1.6732...`` (``slope`` is unused)
    - gelu: ``x * Phi(x)`` everywhere, ``Phi`` being the standard normal CDF
      (the exact form with erf)
    - rrelu: ``a * x`` where, in training mode, ``a`` is drawn uniformly from
      ``[lower_bound, upper_bound)`` for each element by the random generator of
      the input's device; outside training ``a = (lower_bound + upper_bound) / 2``

    Parameters
    ----------
    data : NDArray
        Floating-point input.
    gamma : NDArray, optional
        The slopes, for act_type='prelu' only: shape ``(C,)`` with ``C =
        data.shape[1]`` (``data.shape[0]`` for a vector), or ``(1,)``.
    act_type : {'leaky', 'prelu', 'elu', 'selu', 'gelu', 'rrelu'}, default 'leaky'
    slope : float, default 0.25
        The slope of leaky and the scale of elu.
    lower_bound, upper_bound : float, default 0.125 and 0.334
        The range of rrelu's random slopes.

    Returns
    -------
    NDArray
        Same shape and dtype as ``data``.

    Notes
    -----
    MXNet's ``mx.nd.LeakyReLU(act_type='rrelu')`` returns the output and its
    slopes as a list of two arrays; here the slopes are a hidden output (kept
    for the gradient), and only the output is returned.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([-2, -1, 0, 3])
    >>> mx.nd.LeakyReLU(x, slope=0.1).asnumpy()
    array([-0.2, -0.1,  0. ,  3. ], dtype=float32)
    >>> mx.nd.LeakyReLU(x, act_type='elu', slope=1.0).asnumpy().round(4)
    array([-0.8647, -0.6321,  0.    ,  3.    ], dtype=float32)
    >>> mx.nd.LeakyReLU(mx.nd.array([[-1, -1], [2, -2]]), mx.nd.array([0.5, 0.25]),
    ...                 act_type='prelu').asnumpy()
    array([[-0.5 , -0.25],
           [ 2.  , -0.5 ]], dtype=float32)
    """
    _check_leaky(act_type, 1 if gamma is None else 2, lower_bound, upper_bound)
    _check_float(data)
    if act_type == 'gelu':
        return data * 0.5 * (1 + special_functions(xp).erf(data * INV_SQRT2))
    positive = data > 0
    if act_type == 'leaky':
        return xp.where(positive, data, data * slope)
    if act_type == 'prelu':
        return xp.where(positive, data, data * gamma.reshape(gamma_view(data.shape,
                                                                        gamma.shape)))
    if act_type == 'rrelu':
        if is_training():
            with on_device(xp, ctx):
                u = _draw_uniform(generator(ctx), data.shape, numpy.float32)
            slopes = (lower_bound + (upper_bound - lower_bound) * u).astype(data.dtype)
        else:
            slopes = xp.full(data.shape, (lower_bound + upper_bound) / 2, dtype=data.dtype)
        return xp.where(positive, data, data * slopes), slopes
    # exp of the negative part only: exp of a large positive x would overflow
    # (and warn) in the branch that where() throws away.
    below = xp.expm1(xp.minimum(data, 0))
    if act_type == 'elu':
        return xp.where(positive, data, slope * below)
    return SELU_LAMBDA * xp.where(positive, data, SELU_ALPHA * below)
