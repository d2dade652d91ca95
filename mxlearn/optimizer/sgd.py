"""Gradient descent and its momentum variants: SGD, NAG, Signum, SGLD, DCASGD.

In every rule below ``g = clip(rescale_grad * grad)`` and ``lr``, ``wd`` are the
parameter's learning rate and weight decay (with its multipliers).
"""
import math

import numpy

from .. import ndarray as nd
from ..operator.optimizer_updates import fused_update
from .optimizer import Optimizer, _warn_float16, register


def _as_lists(indices, *per_index):
    """``update`` gets one parameter, or lists of them from an aggregating Updater."""
    if isinstance(indices, (list, tuple)):
        return (list(indices),) + tuple(list(x) for x in per_index)
    return ([indices],) + tuple([x] for x in per_index)


def _first(weight):
    return weight[0] if isinstance(weight, (list, tuple)) else weight


class _MomentumStateMixin:
    """SGD-style states: momentum (or None); ``(momentum, weight32)`` in mixed precision."""

    def create_state(self, index, weight):
        return nd.zeros_like(weight) if self.momentum != 0.0 else None

    def create_state_multi_precision(self, index, weight):
        if self.multi_precision and weight.dtype == numpy.float16:
            master = weight.astype(numpy.float32)
            return (self.create_state(index, master), master)
        _warn_float16(weight, self.multi_precision)
        return self.create_state(index, weight)


def sgd_step(weight, grad, state, multi_precision, lazy_update, **attrs):
    """One (mp_)sgd(_mom)_update of ``weight`` in place, chosen by the state's form."""
    if multi_precision:
        mom, master = state
        if mom is not None:
            fused_update('mp_sgd_mom_update', weight, grad, mom, master, **attrs)
        else:
            fused_update('mp_sgd_update', weight, grad, master, **attrs)
    elif state is not None:
        fused_update('sgd_mom_update', weight, grad, state, lazy_update=lazy_update, **attrs)
    else:
        fused_update('sgd_update', weight, grad, lazy_update=lazy_update, **attrs)


@register
class SGD(_MomentumStateMixin, Optimizer):
    """Stochastic gradient descent, with momentum and weight decay.

    Without momentum: ``weight = weight - lr * (g + wd * weight)``. With it::

        state = momentum * state - lr * (g + wd * weight)
        weight = weight + state

    (operators ``sgd_update`` and ``sgd_mom_update``; ``mp_*`` ones with
    ``multi_precision`` and float16 weights).

    Parameters
    ----------
    momentum : float, default 0
        The decay of the momentum; 0 keeps no state.
    lazy_update : bool, default True
        MXNet's row-sparse lazy update; mxlearn arrays are dense, so every
        row is updated.
    **kwargs
        The arguments of ``Optimizer`` (``learning_rate``, ``wd``, ...).

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.optimizer
    >>> opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9)
    >>> w, g = mx.nd.array([1.0]), mx.nd.array([1.0])
    >>> state = opt.create_state(0, w)
    >>> for _ in range(2):
    ...     opt.update(0, w, g, state)
    >>> w.asnumpy(), state.asnumpy()
    (array([0.71], dtype=float32), array([-0.19], dtype=float32))
    """
    aggregate_num = 4

    def __init__(self, momentum=0.0, lazy_update=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update

    def _step_attrs(self):
        attrs = {'rescale_grad': self.rescale_grad, 'clip_gradient': self._clip_attr()}
        if self.momentum > 0:
            attrs['momentum'] = self.momentum
        return attrs

    def _update_impl(self, indices, weights, grads, states, multi_precision):
        indices, weights, grads, states = _as_lists(indices, weights, grads, states)
        self._update_count(indices)
        lrs, wds = self._get_lrs(indices), self._get_wds(indices)
        attrs = self._step_attrs()
        for weight, grad, state, lr, wd in zip(weights, grads, states, lrs, wds):
            sgd_step(weight, grad, state, multi_precision, self.lazy_update, lr=lr, wd=wd,
                     **attrs)

    def update(self, index, weight, grad, state):
        self._update_impl(index, weight, grad, state, multi_precision=False)

    def update_multi_precision(self, index, weight, grad, state):
        use_mp = self.multi_precision and _first(weight).dtype == numpy.float16
        self._update_impl(index, weight, grad, state, multi_precision=use_mp)


@register
class NAG(_MomentumStateMixin, Optimizer):
    """Nesterov accelerated gradient.

    With ``g' = g + wd * weight``::

        state = momentum * state - lr * g'
        weight = weight + momentum * state - lr * g'

    (operator ``nag_mom_update``; plain ``sgd_update`` without momentum).

    Parameters
    ----------
    momentum : float, default 0
    **kwargs
        The arguments of ``Optimizer``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.optimizer
    >>> opt = mx.optimizer.NAG(learning_rate=0.1, momentum=0.5)
    >>> w = mx.nd.array([1.0])
    >>> opt.update(0, w, mx.nd.array([1.0]), opt.create_state(0, w))
    >>> w.asnumpy()
    array([0.85], dtype=float32)
    """

    def __init__(self, momentum=0.0, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def _update_impl(self, index, weight, grad, state, multi_precision):
        self._update_count(index)
        attrs = {'lr': self._get_lr(index), 'wd': self._get_wd(index),
                 'rescale_grad': self.rescale_grad, 'clip_gradient': self._clip_attr()}
        if self.momentum > 0:
            attrs['momentum'] = self.momentum
        if multi_precision:
            mom, master = state
            if mom is not None:
                fused_update('mp_nag_mom_update', weight, grad, mom, master, **attrs)
            else:
                fused_update('mp_sgd_update', weight, grad, master, **attrs)
        elif state is not None:
            fused_update('nag_mom_update', weight, grad, state, **attrs)
        else:
            fused_update('sgd_update', weight, grad, **attrs)

    def update(self, index, weight, grad, state):
        self._update_impl(index, weight, grad, state, multi_precision=False)

    def update_multi_precision(self, index, weight, grad, state):
        use_mp = (self.multi_precision and weight.dtype == numpy.float16
                  and isinstance(state, (tuple, list)))
        self._update_impl(index, weight, grad, state, multi_precision=use_mp)


@register
class Signum(Optimizer):
    """Signum: step by the sign of a momentum average of the gradient.

    With ``g' = g + wd * weight``::

        state = momentum * state - (1 - momentum) * g'
        weight = (1 - lr * wd_lh) * weight + lr * sign(state)

    Without momentum it is signSGD: ``weight = (1 - lr*wd) * weight - lr * sign(grad)``
    (operators ``signum_update`` and ``signsgd_update``).

    Parameters
    ----------
    learning_rate : float, default 0.01
    momentum : float, default 0.9
    wd_lh : float, default 0
        Decoupled weight decay, applied to the weight directly.
    **kwargs
        The arguments of ``Optimizer``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.optimizer
    >>> opt = mx.optimizer.Signum(learning_rate=0.1)
    >>> w = mx.nd.zeros(2)
    >>> opt.update(0, w, mx.nd.array([5.0, -0.01]), opt.create_state(0, w))
    >>> w.asnumpy()
    array([-0.1,  0.1], dtype=float32)
    """

    def __init__(self, learning_rate=0.01, momentum=0.9, wd_lh=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum
        self.wd_lh = wd_lh

    def create_state(self, index, weight):
        return nd.zeros_like(weight) if self.momentum != 0.0 else None

    def update(self, index, weight, grad, state):
        self._update_count(index)
        attrs = {'lr': self._get_lr(index), 'wd': self._get_wd(index),
                 'rescale_grad': self.rescale_grad, 'clip_gradient': self._clip_attr()}
        if state is not None:
            if self.momentum > 0:
                attrs['momentum'] = self.momentum
            if self.wd_lh:
                attrs['wd_lh'] = self.wd_lh
            fused_update('signum_update', weight, grad, state, **attrs)
        else:
            fused_update('signsgd_update', weight, grad, **attrs)


@register
class SGLD(Optimizer):
    """Stochastic gradient Langevin dynamics: gradient steps plus Gaussian noise.

    ``weight = weight - lr / 2 * (g + wd * weight) + N(0, sqrt(lr))``: the
    weights become samples of the posterior instead of converging to a point.

    Parameters
    ----------
    **kwargs
        The arguments of ``Optimizer``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.optimizer
    >>> opt = mx.optimizer.SGLD(learning_rate=1e-6)
    >>> w = mx.nd.array([1.0])
    >>> opt.update(0, w, mx.nd.array([2.0]), None)
    >>> abs(float(w.asscalar()) - 1.0) < 0.01
    True
    """

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        grad = self._preprocess(grad)
        weight[:] = weight - lr / 2 * (grad + wd * weight)
        weight[:] = weight + nd.random.normal(0, math.sqrt(lr), shape=weight.shape,
                                              dtype=weight.dtype, ctx=weight.context)


@register
class DCASGD(Optimizer):
    """Delay-compensated asynchronous SGD.

    A stale gradient (computed at ``previous`` weights) is corrected by a cheap
    estimate of the Hessian, ``lamda * g * g``::

        step = -lr * (g + wd * weight + lamda * g * g * (weight - previous))
        state = momentum * state + step        (or just step without momentum)
        previous = weight
        weight = weight + state

    Parameters
    ----------
    momentum : float, default 0
    lamda : float, default 0.04
        Scale of the delay compensation.
    **kwargs
        The arguments of ``Optimizer``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.optimizer
    >>> opt = mx.optimizer.DCASGD(learning_rate=0.1)
    >>> w = mx.nd.array([1.0])
    >>> opt.update(0, w, mx.nd.array([1.0]), opt.create_state(0, w))
    >>> w.asnumpy()
    array([0.9], dtype=float32)
    """

    def __init__(self, momentum=0.0, lamda=0.04, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lamda = lamda

    def create_state(self, index, weight):
        mom = nd.zeros_like(weight) if self.momentum != 0.0 else None
        return (mom, weight.copy())

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        grad = self._preprocess(grad)
        mom, previous = state
        step = -lr * (grad + wd * weight + self.lamda * grad * grad * (weight - previous))
        if mom is not None:
            mom[:] = self.momentum * mom + step
            step = mom
        previous[:] = weight
        weight[:] = weight + step
