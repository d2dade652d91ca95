"""Optimizers with per-coordinate step sizes: Adam, Adamax, Nadam, AdaGrad, AdaDelta,
RMSProp, FTML, Ftrl.

Each keeps running statistics of the gradient (its mean, its square, ...) and
divides the step by them, so that coordinates with large or noisy gradients
take smaller steps. In the rules below ``g = clip(rescale_grad * grad)``, ``t``
is the parameter's update count (from 1), and ``lr``, ``wd`` are the
parameter's learning rate and weight decay.
"""
import math

from .. import ndarray as nd
from ..operator.optimizer_updates import fused_update
from .optimizer import Optimizer, register


@register
class Adam(Optimizer):
    """Adam: momentum on the gradient, scaled by its running root mean square.

    With ``g' = clip(rescale_grad * grad + wd * weight)``::

        mean = beta1 * mean + (1 - beta1) * g'
        var = beta2 * var + (1 - beta2) * g'**2
        lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)
        weight = weight - lr_t * mean / (sqrt(var) + epsilon)

    The bias correction of both moments is folded into ``lr_t`` (as in MXNet,
    so ``epsilon`` is not corrected); the step is the fused ``adam_update``.

    Parameters
    ----------
    learning_rate : float, default 0.001
    beta1, beta2 : float, default 0.9, 0.999
        Decay rates of the first and second moments.
    epsilon : float, default 1e-8
    lazy_update : bool, default True
        MXNet's row-sparse lazy update; mxlearn arrays are dense.
    **kwargs
        The arguments of ``Optimizer``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.optimizer
    >>> opt = mx.optimizer.Adam(learning_rate=0.1)
    >>> w = mx.nd.array([1.0])
    >>> opt.update(0, w, mx.nd.array([123.0]), opt.create_state(0, w))
    >>> w.asnumpy().round(4)  # the first step is lr * sign(grad), whatever its scale
    array([0.9], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 lazy_update=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lazy_update = lazy_update

    def create_state(self, index, weight):
        return (nd.zeros_like(weight), nd.zeros_like(weight))

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        lr *= math.sqrt(1.0 - self.beta2 ** t) / (1.0 - self.beta1 ** t)
        mean, var = state
        fused_update('adam_update', weight, grad, mean, var, lr=lr, wd=wd,
                     beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon,
                     rescale_grad=self.rescale_grad, clip_gradient=self._clip_attr(),
                     lazy_update=self.lazy_update)


@register
class Adamax(Optimizer):
    """AdaMax: Adam with the infinity norm in place of the root mean square.

    With ``g' = clip(rescale_grad * grad + wd * weight)``::

        m = beta1 * m + (1 - beta1) * g'
        u = maximum(beta2 * u, |g'|)
        weight = weight - lr / (1 - beta1**t) * m / u

    Parameters
    ----------
    learning_rate : float, default 0.002
    beta1, beta2 : float, default 0.9, 0.999
    **kwargs
        The arguments of ``Optimizer``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.optimizer
    >>> opt = mx.optimizer.Adamax(learning_rate=0.1)
    >>> w = mx.nd.array([1.0])
    >>> opt.update(0, w, mx.nd.array([-7.0]), opt.create_state(0, w))
    >>> w.asnumpy()
    array([1.1], dtype=float32)
    """

    def __init__(self, learning_rate=0.002, beta1=0.9, beta2=0.999, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2

    def create_state(self, index, weight):
        return (nd.zeros_like(weight), nd.zeros_like(weight))

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        lr /= 1.0 - self.beta1 ** t
        grad = grad * self.rescale_grad + wd * weight
        if self.clip_gradient is not None:
            grad = nd.clip(grad, -self.clip_gradient, self.clip_gradient)
        m, u = state
        m[:] = self.beta1 * m + (1.0 - self.beta1) * grad
        u[:] = nd.maximum(self.beta2 * u, nd.abs(grad))
        weight[:] = weight - lr * m / u


@register
class Nadam(Optimizer):
    """Nadam: Adam with Nesterov momentum and a warming momentum schedule.

    With ``g' = clip(rescale_grad * grad + wd * weight)`` and the momentum
    schedule ``mu_t = beta1 * (1 - 0.5 * 0.96**(t * schedule_decay))``::

        m_schedule = m_schedule * mu_t          (one product for the optimizer)
        m = beta1 * m + (1 - beta1) * g'
        v = beta2 * v + (1 - beta2) * g'**2
        m_bar = (1 - mu_t) * g' / (1 - m_schedule)
                + mu_(t+1) * m / (1 - m_schedule * mu_(t+1))
        weight = weight - lr * m_bar / (sqrt(v / (1 - beta2**t)) + epsilon)

    As in MXNet, ``m_schedule`` is a single product kept by the optimizer, so
    it advances at every update of every parameter.

    Parameters
    ----------
    learning_rate : float, default 0.001
    beta1, beta2 : float, default 0.9, 0.999
    epsilon : float, default 1e-8
    schedule_decay : float, default 0.004
    **kwargs
        The arguments of ``Optimizer``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.optimizer
    >>> opt = mx.optimizer.Nadam(learning_rate=0.1)
    >>> w = mx.nd.array([1.0])
    >>> opt.update(0, w, mx.nd.array([2.0]), opt.create_state(0, w))
    >>> w.asnumpy().round(4)
    array([0.8944], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 schedule_decay=0.004, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.schedule_decay = schedule_decay
        self.m_schedule = 1.0

    def create_state(self, index, weight):
        return (nd.zeros_like(weight), nd.zeros_like(weight))

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        grad = grad * self.rescale_grad + wd * weight
        if self.clip_gradient is not None:
            grad = nd.clip(grad, -self.clip_gradient, self.clip_gradient)
        momentum_t = self.beta1 * (1.0 - 0.5 * 0.96 ** (t * self.schedule_decay))
        momentum_next = self.beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * self.schedule_decay))
        self.m_schedule *= momentum_t
        m_schedule_next = self.m_schedule * momentum_next
        m, v = state
        m[:] = self.beta1 * m + (1.0 - self.beta1) * grad
        v[:] = self.beta2 * v + (1.0 - self.beta2) * grad * grad
        m_bar = ((1.0 - momentum_t) * grad / (1.0 - self.m_schedule)
                 + momentum_next * m / (1.0 - m_schedule_next))
        v_hat = v / (1.0 - self.beta2 ** t)
        weight[:] = weight - lr * m_bar / (nd.sqrt(v_hat) + self.epsilon)


@register
class AdaGrad(Optimizer):
    """AdaGrad: divide by the root of the sum of all squared gradients so far.

    ::

        history = history + g**2
        weight = weight - lr * (g / sqrt(history + eps) + wd * weight)

    Parameters
    ----------
    eps : float, default 1e-7
        Keeps the division finite before any gradient arrives.
    **kwargs
        The arguments of ``Optimizer`` (learning rate 0.01 by default).

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.optimizer
    >>> opt = mx.optimizer.AdaGrad(learning_rate=0.1)
    >>> w = mx.nd.array([1.0])
    >>> opt.update(0, w, mx.nd.array([3.0]), opt.create_state(0, w))
    >>> w.asnumpy()
    array([0.9], dtype=float32)
    """

    def __init__(self, eps=1e-7, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        return nd.zeros_like(weight)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        grad = self._preprocess(grad)
        state[:] = state + nd.square(grad)
        weight[:] = weight - lr * (grad / nd.sqrt(state + self.float_stable_eps) + wd * weight)


@register
class AdaDelta(Optimizer):
    """AdaDelta: the step's scale comes from past steps, with no learning rate.

    ::

        acc_g = rho * acc_g + (1 - rho) * g**2
        delta = sqrt(acc_delta + epsilon) / sqrt(acc_g + epsilon) * g
        acc_delta = rho * acc_delta + (1 - rho) * delta**2
        weight = weight - (delta + wd * weight)

    (MXNet 1.9.1 also multiplies the caller's gradient array by
    ``rescale_grad`` in place; mxlearn leaves it unchanged.)

    Parameters
    ----------
    rho : float, default 0.9
        Decay of both running averages.
    epsilon : float, default 1e-5
    **kwargs
        The arguments of ``Optimizer`` (``learning_rate`` is not used).

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.optimizer
    >>> opt = mx.optimizer.AdaDelta(epsilon=1e-2)
    >>> w = mx.nd.array([1.0])
    >>> opt.update(0, w, mx.nd.array([1.0]), opt.create_state(0, w))
    >>> w.asnumpy().round(4)
    array([0.6985], dtype=float32)
    """

    def __init__(self, rho=0.90, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return (nd.zeros_like(weight), nd.zeros_like(weight))

    def update(self, index, weight, grad, state):
        wd = self._get_wd(index)
        self._update_count(index)
        grad = self._preprocess(grad)
        acc_g, acc_delta = state
        acc_g[:] = self.rho * acc_g + (1.0 - self.rho) * grad * grad
        delta = nd.sqrt(acc_delta + self.epsilon) / nd.sqrt(acc_g + self.epsilon) * grad
        acc_delta[:] = self.rho * acc_delta + (1.0 - self.rho) * delta * delta
        weight[:] = weight - (delta + wd * weight)


@register
class RMSProp(Optimizer):
    """RMSProp: divide the gradient by a running root mean square of it.

    With ``g' = clip(rescale_grad * grad + wd * weight)``, plain
    (Tieleman & Hinton, ``centered=False``, operator ``rmsprop_update``)::

        n = (1 - gamma1) * g'**2 + gamma1 * n
        weight = weight - lr * g' / sqrt(n + epsilon)

    centered (Graves 2013, ``centered=True``, ``rmspropalex_update``): the
    variance ``n - avg(g')**2`` replaces ``n`` and ``delta`` carries momentum::

        avg = (1 - gamma1) * g' + gamma1 * avg
        delta = gamma2 * delta - lr * g' / sqrt(n - avg**2 + epsilon)
        weight = weight + delta

    Parameters
    ----------
    learning_rate : float, default 0.001
    gamma1 : float, default 0.9
        Decay of the running averages.
    gamma2 : float, default 0.9
        Momentum of the centered version.
    epsilon : float, default 1e-8
    centered : bool, default False
    clip_weights : float, optional
        Clip the weights to ``[-clip_weights, clip_weights]`` after each step.
    **kwargs
        The arguments of ``Optimizer``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.optimizer
    >>> opt = mx.optimizer.RMSProp(learning_rate=0.1, gamma1=0.75)
    >>> w = mx.nd.array([1.0])
    >>> opt.update(0, w, mx.nd.array([2.0]), opt.create_state(0, w))
    >>> w.asnumpy()
    array([0.8], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, gamma1=0.9, gamma2=0.9, epsilon=1e-8,
                 centered=False, clip_weights=None, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1 = gamma1
        self.gamma2 = gamma2
        self.centered = centered
        self.epsilon = epsilon
        self.clip_weights = clip_weights

    def create_state(self, index, weight):
        if self.centered:
            return (nd.zeros_like(weight), nd.zeros_like(weight), nd.zeros_like(weight))
        return (nd.zeros_like(weight),)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        attrs = {'lr': self._get_lr(index), 'wd': self._get_wd(index),
                 'gamma1': self.gamma1, 'epsilon': self.epsilon,
                 'rescale_grad': self.rescale_grad, 'clip_gradient': self._clip_attr(),
                 'clip_weights': self.clip_weights if self.clip_weights else -1.0}
        if self.centered:
            n, avg, delta = state
            fused_update('rmspropalex_update', weight, grad, n, avg, delta,
                         gamma2=self.gamma2, **attrs)
        else:
            fused_update('rmsprop_update', weight, grad, state[0], **attrs)


@register
class FTML(Optimizer):
    """FTML, "Follow the Moving Leader" (Zheng & Kwok, 2017).

    With ``g' = clip(rescale_grad * grad + wd * weight)``::

        v = beta2 * v + (1 - beta2) * g'**2
        d_t = (1 - beta1**t) / lr * (sqrt(v / (1 - beta2**t)) + epsilon)
        z = beta1 * z + (1 - beta1) * g' - (d_t - beta1 * d) * weight
        d = d_t
        weight = -z / d_t

    (operator ``ftml_update``).

    Parameters
    ----------
    beta1 : float, default 0.6
    beta2 : float, default 0.999
    epsilon : float, default 1e-8
    **kwargs
        The arguments of ``Optimizer``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.optimizer
    >>> opt = mx.optimizer.FTML(learning_rate=0.5, epsilon=0)
    >>> w = mx.nd.array([1.0])
    >>> opt.update(0, w, mx.nd.array([2.0]), opt.create_state(0, w))
    >>> w.asnumpy()
    array([0.5], dtype=float32)
    """

    def __init__(self, beta1=0.6, beta2=0.999, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return (nd.zeros_like(weight), nd.zeros_like(weight), nd.zeros_like(weight))

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        d, v, z = state
        fused_update('ftml_update', weight, grad, d, v, z, lr=lr, wd=wd,
                     t=self._index_update_count[index], beta1=self.beta1,
                     beta2=self.beta2, epsilon=self.epsilon,
                     rescale_grad=self.rescale_grad, clip_grad=self._clip_attr())


@register
class Ftrl(Optimizer):
    """FTRL-proximal (McMahan et al., 2013), with L1 regularization that makes zeros.

    ::

        z = z + g - (sqrt(n + g**2) - sqrt(n)) * weight / lr
        n = n + g**2
        weight = (sign(z) * lamda1 - z) / ((beta + sqrt(n)) / lr + wd)  if |z| > lamda1
                 0                                                      otherwise

    (operator ``ftrl_update``).

    Parameters
    ----------
    lamda1 : float, default 0.01
        L1 regularization strength.
    learning_rate : float, default 0.1
    beta : float, default 1
    **kwargs
        The arguments of ``Optimizer``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.optimizer
    >>> opt = mx.optimizer.Ftrl()
    >>> w = mx.nd.zeros(2)
    >>> opt.update(0, w, mx.nd.array([1.0, 0.001]), opt.create_state(0, w))
    >>> w.asnumpy()
    array([-0.0495,  0.    ], dtype=float32)
    """

    def __init__(self, lamda1=0.01, learning_rate=0.1, beta=1, **kwargs):
        super().__init__(**kwargs)
        self.lamda1 = lamda1
        self.beta = beta
        # Set after the base class, as MXNet does: a scheduler's base_lr is not overridden.
        self.lr = learning_rate

    def create_state(self, index, weight):
        return (nd.zeros_like(weight), nd.zeros_like(weight))

    def update(self, index, weight, grad, state):
        self._update_count(index)
        wd, lr = self._get_wd(index), self._get_lr(index)
        z, n = state
        fused_update('ftrl_update', weight, grad, z, n, lr=lr, wd=wd, lamda1=self.lamda1,
                     beta=self.beta, rescale_grad=self.rescale_grad,
                     clip_gradient=self._clip_attr())
