"""Layer-wise adaptive optimizers for large batches: LAMB and LARS.

Both scale each parameter's (layer's) step by a *trust ratio*, the norm of
its weight over the norm of its update, so that no layer moves too far
relative to its own size.
"""
import numpy

from .. import ndarray as nd
from ..operator.optimizer_updates import fused_update
from .optimizer import Optimizer, register
from .sgd import _MomentumStateMixin, _as_lists, _first, sgd_step

_NOT_SCALED = ('gamma', 'beta', 'bias')


@register
class LAMB(Optimizer):
    """LAMB (You et al., 2019): Adam's direction with a layer-wise trust ratio.

    Phase 1 (``lamb_update_phase1``), with ``g = clip(rescale_grad * grad)``::

        mean = beta1 * mean + (1 - beta1) * g
        var = beta2 * var + (1 - beta2) * g**2
        r = mean_hat / (sqrt(var_hat) + epsilon) + wd * weight

    (``mean_hat``, ``var_hat`` bias-corrected when ``bias_correction``), then
    phase 2 (``lamb_update_phase2``) with ``r1 = ||weight||`` clamped to
    ``[lower_bound, upper_bound]`` and ``r2 = ||r||``::

        weight = weight - lr * r1 / r2 * r        (lr * r if a norm is 0)

    Parameters
    ----------
    learning_rate : float, default 0.001
    beta1, beta2 : float, default 0.9, 0.999
    epsilon : float, default 1e-6
    lower_bound, upper_bound : float, optional
        Bounds on the weight norm ``r1``.
    bias_correction : bool, default True
    **kwargs
        The arguments of ``Optimizer``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.optimizer
    >>> opt = mx.optimizer.LAMB(learning_rate=0.1)
    >>> w = mx.nd.array([3.0, 4.0])
    >>> opt.update(0, w, mx.nd.array([1.0, 0.0]), opt.create_state(0, w))
    >>> w.asnumpy()  # moves by lr * ||w|| along the direction
    array([2.5, 4. ], dtype=float32)
    """
    aggregate_num = 45

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-6,
                 lower_bound=None, upper_bound=None, bias_correction=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        self.bias_correction = bias_correction

    def create_state(self, index, weight):
        return (nd.zeros_like(weight), nd.zeros_like(weight))

    def _step(self, index, weight, grad, state, multi_precision):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        phase1 = dict(beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon,
                      bias_correction=self.bias_correction, rescale_grad=self.rescale_grad,
                      t=self._index_update_count[index], wd=wd,
                      clip_gradient=self._clip_attr())
        phase2 = dict(lr=lr, lower_bound=self.lower_bound if self.lower_bound else -1.0,
                      upper_bound=self.upper_bound if self.upper_bound else -1.0)
        if multi_precision:
            master, (mean, var) = state
            g = nd.mp_lamb_update_phase1(weight, grad, mean, var, master, **phase1)
            fused_update('mp_lamb_update_phase2', weight, g, master.norm(), g.norm(), master,
                         **phase2)
        else:
            mean, var = state
            g = nd.lamb_update_phase1(weight, grad, mean, var, **phase1)
            fused_update('lamb_update_phase2', weight, g, weight.norm(), g.norm(), **phase2)

    def _update_impl(self, indices, weights, grads, states, multi_precision):
        for args in zip(*_as_lists(indices, weights, grads, states)):
            self._step(*args, multi_precision)

    def update(self, index, weight, grad, state):
        self._update_impl(index, weight, grad, state, multi_precision=False)

    def update_multi_precision(self, index, weight, grad, state):
        use_mp = self.multi_precision and _first(weight).dtype == numpy.float16
        self._update_impl(index, weight, grad, state, multi_precision=use_mp)


@register
class LARS(_MomentumStateMixin, Optimizer):
    """LARS (You et al., 2017): SGD with momentum and a layer-wise learning rate.

    For each parameter whose name does not end in ``gamma``, ``beta`` or
    ``bias`` (names from ``param_idx2name``), with ``w = ||weight||`` and
    ``r = ||rescale_grad * grad||``::

        lr_layer = lr * eta * w / (r + wd * w + eps)      (lr if w or r is 0)

    then the SGD step with ``lr_layer``. With ``momentum_correction``, the
    momentum is scaled by ``lr / previous lr`` when a schedule changes the
    rate (Goyal et al., 2017). Only ``*_weight`` parameters are decayed.

    Parameters
    ----------
    momentum : float, default 0
    lazy_update : bool, default True
        Accepted for compatibility; mxlearn arrays are dense.
    eta : float, default 0.001
        The trust coefficient.
    eps : float, default 0
    momentum_correction : bool, default True
    **kwargs
        The arguments of ``Optimizer``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.optimizer
    >>> opt = mx.optimizer.LARS(learning_rate=0.1, eta=1.0)
    >>> w = mx.nd.array([3.0, 4.0])
    >>> opt.update(0, w, mx.nd.array([0.0, 10.0]), opt.create_state(0, w))
    >>> w.asnumpy()  # lr_layer = 0.1 * 5 / 10
    array([3. , 3.5], dtype=float32)
    """
    aggregate_num = 4
    decayed_suffixes = ('_weight',)

    def __init__(self, momentum=0.0, lazy_update=True, eta=0.001, eps=0,
                 momentum_correction=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.momentum_correction = momentum_correction
        self.lazy_update = lazy_update
        self.eta = eta
        self.eps = eps
        self.last_lr = None
        self.cur_lr = None

    def _get_lrs(self, indices):
        # Remember the previous global rate, for the momentum correction.
        lr = self.learning_rate
        self.last_lr = lr if self.cur_lr is None else self.cur_lr
        self.cur_lr = lr
        return super()._get_lrs(indices)

    def _l2norm(self, v, rescale=False):
        v = v.astype('float32')
        if rescale:
            v = v * self.rescale_grad
        return float(nd.norm(v).asscalar())

    def _get_lars(self, index, weight, grad, lr, wd):
        """``lr`` scaled by this parameter's trust ratio."""
        name = self.idx2name.get(index, str(index))
        if name.endswith(_NOT_SCALED):
            return lr
        w_norm = self._l2norm(weight)
        g_norm = self._l2norm(grad, rescale=True)
        if w_norm > 0.0 and g_norm > 0.0:
            return lr * self.eta * w_norm / (g_norm + wd * w_norm + self.eps)
        return lr

    def _update_impl(self, indices, weights, grads, states, multi_precision):
        indices, weights, grads, states = _as_lists(indices, weights, grads, states)
        self._update_count(indices)
        lrs, wds = self._get_lrs(indices), self._get_wds(indices)
        attrs = {'rescale_grad': self.rescale_grad, 'clip_gradient': self._clip_attr()}
        if self.momentum > 0:
            corrected = self.momentum_correction and self.last_lr != 0
            attrs['momentum'] = (self.momentum * self.cur_lr / self.last_lr if corrected
                                 else self.momentum)
        for index, weight, grad, state, lr, wd in zip(indices, weights, grads, states,
                                                      lrs, wds):
            lr = self._get_lars(index, weight, grad, lr, wd)
            sgd_step(weight, grad, state, multi_precision, self.lazy_update, lr=lr, wd=wd,
                     **attrs)

    def update(self, index, weight, grad, state):
        self._update_impl(index, weight, grad, state, multi_precision=False)

    def update_multi_precision(self, index, weight, grad, state):
        use_mp = self.multi_precision and _first(weight).dtype == numpy.float16
        self._update_impl(index, weight, grad, state, multi_precision=use_mp)
