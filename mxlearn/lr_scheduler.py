"""``mx.lr_scheduler``: the learning rate as a function of the update count.

A scheduler is called as ``scheduler(num_update)``, where ``num_update`` is the
largest number of updates any one parameter has had (``Optimizer.num_update``),
and returns the learning rate for that step. An optimizer given
``lr_scheduler=`` calls it at every update.

Every scheduler can start with a warm-up: for ``num_update < warmup_steps`` the
rate rises linearly from ``warmup_begin_lr`` to ``base_lr``
(``warmup_mode='linear'``) or stays at ``warmup_begin_lr`` (``'constant'``).

The step schedulers (``FactorScheduler``, ``MultiFactorScheduler``) are
stateful, as in MXNet: they lower ``base_lr`` as ``num_update`` passes each
boundary and remember how far they got, so they expect ``num_update`` not to
go backwards. ``PolyScheduler`` and ``CosineScheduler`` are functions of
``num_update``, and hold the final rate after ``max_update``.

Examples
--------
>>> import mxlearn as mx
>>> import mxlearn.lr_scheduler
>>> s = mx.lr_scheduler.FactorScheduler(step=10, factor=0.5, base_lr=1.0)
>>> [s(n) for n in (1, 10, 11, 20, 21)]
[1.0, 1.0, 0.5, 0.5, 0.25]
"""
import logging
import math

from .base import MXNetError

__all__ = ['LRScheduler', 'FactorScheduler', 'MultiFactorScheduler', 'PolyScheduler',
           'CosineScheduler']


class LRScheduler:
    """The base class: the warm-up, and ``__call__`` for subclasses to define.

    Parameters
    ----------
    base_lr : float, default 0.01
        The learning rate after the warm-up.
    warmup_steps : int, default 0
        Number of updates of warm-up.
    warmup_begin_lr : float, default 0
        The rate at update 0 of the warm-up (at most ``base_lr``).
    warmup_mode : {'linear', 'constant'}
        Rise linearly to ``base_lr``, or stay at ``warmup_begin_lr``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.lr_scheduler
    >>> s = mx.lr_scheduler.LRScheduler(base_lr=1.0, warmup_steps=4)
    >>> [s.get_warmup_lr(n) for n in range(4)]
    [0.0, 0.25, 0.5, 0.75]
    """

    def __init__(self, base_lr=0.01, warmup_steps=0, warmup_begin_lr=0,
                 warmup_mode='linear'):
        self.base_lr = base_lr
        if not isinstance(warmup_steps, int):
            raise MXNetError('warmup_steps must be an int, got %r' % (warmup_steps,))
        if warmup_steps < 0:
            raise MXNetError('Warmup steps has to be positive or 0, got %d' % warmup_steps)
        if warmup_begin_lr > base_lr:
            raise MXNetError('Base lr has to be higher than warmup_begin_lr (got base_lr=%g, '
                             'warmup_begin_lr=%g)' % (base_lr, warmup_begin_lr))
        if warmup_mode not in ('linear', 'constant'):
            raise MXNetError("Supports only linear and constant modes of warmup, got %r"
                             % (warmup_mode,))
        self.warmup_steps = warmup_steps
        self.warmup_final_lr = base_lr
        self.warmup_begin_lr = warmup_begin_lr
        self.warmup_mode = warmup_mode

    def get_warmup_lr(self, num_update):
        """The warm-up rate at ``num_update`` (``< warmup_steps``)."""
        if num_update >= self.warmup_steps:
            raise MXNetError('num_update %d is past the warm-up (%d steps)'
                             % (num_update, self.warmup_steps))
        if self.warmup_mode == 'constant':
            return self.warmup_begin_lr
        rise = (self.warmup_final_lr - self.warmup_begin_lr) * \
            float(num_update) / float(self.warmup_steps)
        return self.warmup_begin_lr + rise

    def __call__(self, num_update):
        """The learning rate after ``num_update`` updates."""
        raise NotImplementedError('%s must define __call__' % type(self).__name__)


def _check_factor(factor):
    if factor > 1.0:
        raise MXNetError('Factor must be no more than 1 to make lr reduce, got %g' % factor)


class FactorScheduler(LRScheduler):
    """Multiply the rate by ``factor`` every ``step`` updates.

    ``base_lr * factor**floor((num_update - 1) / step)`` after the warm-up:
    the rate changes at updates ``step + 1``, ``2 * step + 1``, ..., and
    never falls below ``stop_factor_lr``.

    Parameters
    ----------
    step : int
        Updates between changes (at least 1).
    factor : float, default 1
        At most 1.
    stop_factor_lr : float, default 1e-8
        The floor of the rate.
    base_lr, warmup_steps, warmup_begin_lr, warmup_mode
        As in ``LRScheduler``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.lr_scheduler
    >>> s = mx.lr_scheduler.FactorScheduler(step=2, factor=0.1, stop_factor_lr=0.005,
    ...                                     base_lr=1.0)
    >>> [round(s(n), 6) for n in range(1, 8)]
    [1.0, 1.0, 0.1, 0.1, 0.01, 0.01, 0.005]
    """

    def __init__(self, step, factor=1, stop_factor_lr=1e-8, base_lr=0.01, warmup_steps=0,
                 warmup_begin_lr=0, warmup_mode='linear'):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if step < 1:
            raise MXNetError('Schedule step must be greater or equal than 1 round, got %r'
                             % (step,))
        _check_factor(factor)
        self.step = step
        self.factor = factor
        self.stop_factor_lr = stop_factor_lr
        self.count = 0

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        # A loop, not one power: resuming at a large num_update catches up.
        while num_update > self.count + self.step:
            self.count += self.step
            self.base_lr *= self.factor
            if self.base_lr < self.stop_factor_lr:
                self.base_lr = self.stop_factor_lr
                logging.info('Update[%d]: now learning rate arrived at %0.5e, will not '
                             'change in the future', num_update, self.base_lr)
            else:
                logging.info('Update[%d]: Change learning rate to %0.5e',
                             num_update, self.base_lr)
        return self.base_lr


class MultiFactorScheduler(LRScheduler):
    """Multiply the rate by ``factor`` when ``num_update`` passes each of ``step``.

    With ``step = [s1, s2, ...]`` the rate is ``base_lr`` up to update ``s1``,
    ``base_lr * factor`` from ``s1 + 1`` to ``s2``, and so on.

    Parameters
    ----------
    step : list of int
        Increasing update counts (each at least 1).
    factor : float, default 1
        At most 1.
    base_lr, warmup_steps, warmup_begin_lr, warmup_mode
        As in ``LRScheduler``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.lr_scheduler
    >>> s = mx.lr_scheduler.MultiFactorScheduler(step=[2, 5], factor=0.5, base_lr=1.0)
    >>> [s(n) for n in range(1, 8)]
    [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, step, factor=1, base_lr=0.01, warmup_steps=0, warmup_begin_lr=0,
                 warmup_mode='linear'):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if not isinstance(step, list) or not step:
            raise MXNetError('step must be a non-empty list of update counts, got %r'
                             % (step,))
        for i, s in enumerate(step):
            if i and s <= step[i - 1]:
                raise MXNetError('Schedule step must be an increasing integer list, got %r'
                                 % (step,))
            if s < 1:
                raise MXNetError('Schedule step must be greater or equal than 1 round, '
                                 'got %r' % (step,))
        _check_factor(factor)
        self.step = step
        self.cur_step_ind = 0
        self.factor = factor
        self.count = 0

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        while self.cur_step_ind < len(self.step) and num_update > self.step[self.cur_step_ind]:
            self.count = self.step[self.cur_step_ind]
            self.cur_step_ind += 1
            self.base_lr *= self.factor
            logging.info('Update[%d]: Change learning rate to %0.5e', num_update, self.base_lr)
        return self.base_lr


def _check_max_update(max_update):
    if not isinstance(max_update, int):
        raise MXNetError('max_update must be an int, got %r' % (max_update,))
    if max_update < 1:
        raise MXNetError('maximum number of updates must be strictly positive, got %d'
                         % max_update)


class PolyScheduler(LRScheduler):
    """Polynomial decay from ``base_lr`` to ``final_lr`` over ``max_update`` updates.

    After the warm-up, with ``T = max_update - warmup_steps``::

        lr = final_lr + (base_lr - final_lr) * (1 - (num_update - warmup_steps) / T)**pwr

    up to ``num_update = max_update``; then ``final_lr``.

    Parameters
    ----------
    max_update : int
    base_lr : float, default 0.01
    pwr : float, default 2
    final_lr : float, default 0
    warmup_steps, warmup_begin_lr, warmup_mode
        As in ``LRScheduler``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.lr_scheduler
    >>> s = mx.lr_scheduler.PolyScheduler(max_update=4, base_lr=1.0, pwr=1)
    >>> [s(n) for n in range(6)]
    [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """

    def __init__(self, max_update, base_lr=0.01, pwr=2, final_lr=0, warmup_steps=0,
                 warmup_begin_lr=0, warmup_mode='linear'):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        _check_max_update(max_update)
        self.power = pwr
        self.base_lr_orig = self.base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.max_steps = self.max_update - self.warmup_steps

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            remaining = 1 - float(num_update - self.warmup_steps) / float(self.max_steps)
            self.base_lr = self.final_lr + (self.base_lr_orig - self.final_lr) * \
                pow(remaining, self.power)
        return self.base_lr


class CosineScheduler(LRScheduler):
    """Cosine decay from ``base_lr`` to ``final_lr`` over ``max_update`` updates.

    After the warm-up, with ``T = max_update - warmup_steps``::

        lr = final_lr + (base_lr - final_lr) * (1 + cos(pi * (num_update - warmup_steps) / T)) / 2

    up to ``num_update = max_update``; then ``final_lr``.

    Parameters
    ----------
    max_update : int
    base_lr : float, default 0.01
    final_lr : float, default 0
    warmup_steps, warmup_begin_lr, warmup_mode
        As in ``LRScheduler``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.lr_scheduler
    >>> s = mx.lr_scheduler.CosineScheduler(max_update=10, base_lr=1.0, warmup_steps=2)
    >>> [round(s(n), 4) for n in (0, 1, 2, 6, 10, 12)]
    [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    """

    def __init__(self, max_update, base_lr=0.01, final_lr=0, warmup_steps=0,
                 warmup_begin_lr=0, warmup_mode='linear'):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        _check_max_update(max_update)
        self.base_lr_orig = base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.max_steps = self.max_update - self.warmup_steps

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            progress = (num_update - self.warmup_steps) / self.max_steps
            self.base_lr = self.final_lr + (self.base_lr_orig - self.final_lr) * \
                (1 + math.cos(math.pi * progress)) / 2
        return self.base_lr
