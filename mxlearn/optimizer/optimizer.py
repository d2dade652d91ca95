"""The Optimizer base class, the registry of optimizers, and the Updater.

An optimizer turns gradients into weight updates. ``mx.optimizer`` keeps
MXNet's division of labour:

- ``Optimizer.create_state(index, weight)`` makes the per-parameter state
  (momentum, moments, ...), once per parameter;
- ``Optimizer.update(index, weight, grad, state)`` applies one step in place;
  the learning rate and weight decay of a parameter come from ``_get_lr`` and
  ``_get_wd``: the global value times the parameter's ``lr_mult``/``wd_mult``
  (from ``param_dict``, ``set_lr_mult``/``set_wd_mult``, or the naming rule:
  with ``param_idx2name`` given, parameters whose name does not end in
  ``_weight`` or ``_gamma`` get ``wd_mult`` 0, so biases are not decayed);
- the step count: ``num_update`` is the largest number of updates any one
  parameter has had (each index is counted in ``_index_update_count``, per
  device); learning-rate schedules and Adam's bias correction use it;
- ``Updater`` holds the states of all parameters and is what a KVStore or a
  Gluon ``Trainer`` calls as ``updater(index, grad, weight)``;
- ``multi_precision=True`` keeps a float32 master copy of float16 weights.

Examples
--------
>>> import mxlearn as mx
>>> import mxlearn.optimizer
>>> opt = mx.optimizer.create('sgd', learning_rate=0.1, momentum=0.9)
>>> updater = mx.optimizer.get_updater(opt)
>>> w = mx.nd.array([1.0, 2.0])
>>> updater(0, mx.nd.array([1.0, 1.0]), w)
>>> w.asnumpy()
array([0.9, 1.9], dtype=float32)
"""
import pickle
import warnings

import numpy

from .. import ndarray as nd
from ..base import MXNetError


class Optimizer:
    """The base class of all optimizers.

    Parameters
    ----------
    rescale_grad : float, default 1
        Multiplies every gradient first (often ``1 / batch_size``).
    param_idx2name : dict of int to str, optional
        Parameter names by index; they drive ``set_lr_mult``/``set_wd_mult``
        by name and the rule that only ``*_weight`` and ``*_gamma`` are decayed.
    wd : float, default 0
        Weight decay (L2 regularization) coefficient.
    clip_gradient : float, optional
        Clip gradients to ``[-clip_gradient, clip_gradient]``.
    learning_rate : float, optional
        The learning rate; overrides the scheduler's ``base_lr`` when both are
        given. Without either, 0.01.
    lr_scheduler : LRScheduler, optional
        Gives the learning rate as a function of ``num_update``.
    sym : Symbol, optional
        A symbol whose arguments' ``__lr_mult__``/``__wd_mult__`` attributes
        give the multipliers.
    begin_num_update : int, default 0
        The step count to start from (resuming training).
    multi_precision : bool, default False
        Keep a float32 master copy of float16 weights and update it.
    param_dict : dict of int to Parameter, optional
        Objects with ``lr_mult`` and ``wd_mult`` attributes (Gluon
        Parameters), by index; they take precedence over the other rules.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.optimizer
    >>> opt = mx.optimizer.SGD(learning_rate=0.5, wd=0.1,
    ...                        param_idx2name={0: 'fc_weight', 1: 'fc_bias'})
    >>> opt._get_lr(0), opt._get_wd(0), opt._get_wd(1)
    (0.5, 0.1, 0.0)
    """
    opt_registry = {}
    # How many parameters an Updater hands over at once (0: one at a time).
    aggregate_num = 0
    # Named parameters are decayed only if their name ends so (see set_wd_mult).
    decayed_suffixes = ('_weight', '_gamma')

    def __init__(self, rescale_grad=1., param_idx2name=None, wd=0., clip_gradient=None,
                 learning_rate=None, lr_scheduler=None, sym=None, begin_num_update=0,
                 multi_precision=False, param_dict=None):
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if lr_scheduler is not None and learning_rate is not None \
                and lr_scheduler.base_lr != learning_rate:
            warnings.warn('learning rate from ``lr_scheduler`` has been overwritten by '
                          '``learning_rate`` in optimizer.')
            lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._all_index_update_counts = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        if param_idx2name is None:
            param_idx2name = {}
        if not isinstance(param_idx2name, dict):
            raise MXNetError('param_idx2name should be a dict of parameter indices to '
                             'names, got %s' % type(param_idx2name).__name__)
        self.idx2name = dict(param_idx2name)
        self.sym_info = (sym.attr_dict(), sym.list_arguments()) if sym is not None else ()
        self.param_dict = param_dict if param_dict else {}
        self.set_lr_mult({})
        self.set_wd_mult({})

    # ------------------------------------------------------- registry --
    @staticmethod
    def register(klass):
        """Register an optimizer class under its lowercase name (for ``create``).

        Examples
        --------
        >>> import mxlearn as mx
        >>> import mxlearn.optimizer
        >>> @mx.optimizer.register
        ... class PlainDescent(mx.optimizer.Optimizer):
        ...     def update(self, index, weight, grad, state):
        ...         weight[:] -= self._get_lr(index) * grad
        >>> type(mx.optimizer.create('plaindescent')).__name__
        'PlainDescent'
        """
        if not isinstance(klass, type):
            raise MXNetError('register expects an Optimizer class, got %r' % (klass,))
        name = klass.__name__.lower()
        previous = Optimizer.opt_registry.get(name)
        if previous is not None:
            warnings.warn('WARNING: New optimizer %s.%s is overriding existing optimizer '
                          '%s.%s' % (klass.__module__, klass.__name__,
                                     previous.__module__, previous.__name__))
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name, **kwargs):
        """An instance of the optimizer registered as ``name`` (any case).

        Examples
        --------
        >>> import mxlearn as mx
        >>> import mxlearn.optimizer
        >>> mx.optimizer.Optimizer.create_optimizer('Adam', learning_rate=0.1).lr
        0.1
        """
        klass = Optimizer.opt_registry.get(name.lower())
        if klass is None:
            raise MXNetError('Cannot find optimizer %s; registered optimizers: %s'
                             % (name, ', '.join(sorted(Optimizer.opt_registry))))
        return klass(**kwargs)

    # -------------------------------------------------- learning rate --
    @property
    def learning_rate(self):
        """The current learning rate (the scheduler's at ``num_update``, if any)."""
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def set_learning_rate(self, lr):
        """Set the learning rate; not allowed when an ``lr_scheduler`` drives it.

        Examples
        --------
        >>> import mxlearn as mx
        >>> import mxlearn.optimizer
        >>> opt = mx.optimizer.SGD()
        >>> opt.set_learning_rate(0.3)
        >>> opt.learning_rate
        0.3
        """
        if self.lr_scheduler is not None:
            raise MXNetError('LRScheduler of the optimizer has already been defined. Note '
                             'that set_learning_rate can mutate the value of the learning '
                             'rate of the optimizer only when the LRScheduler of the '
                             'optimizer is undefined.')
        self.lr = lr

    def set_lr_mult(self, args_lr_mult):
        """Set learning-rate multipliers, by parameter name or index.

        Multipliers from ``sym``'s ``__lr_mult__`` attributes come first;
        ``args_lr_mult`` overrides them.
        """
        self.lr_mult = {}
        if self.sym_info:
            attr, arg_names = self.sym_info
            for name in arg_names:
                if name in attr and '__lr_mult__' in attr[name]:
                    self.lr_mult[name] = float(attr[name]['__lr_mult__'])
        self.lr_mult.update(args_lr_mult)

    def set_wd_mult(self, args_wd_mult):
        """Set weight-decay multipliers, by parameter name or index.

        Parameters whose name (from ``param_idx2name``) ends neither in
        ``_weight`` nor in ``_gamma`` get 0: biases and BatchNorm's ``beta``
        are not decayed. Then ``sym``'s ``__wd_mult__`` attributes, then
        ``args_wd_mult``.
        """
        self.wd_mult = {n: 0.0 for n in self.idx2name.values()
                        if not n.endswith(self.decayed_suffixes)}
        if self.sym_info:
            attr, arg_names = self.sym_info
            for name in arg_names:
                if name in attr and '__wd_mult__' in attr[name]:
                    self.wd_mult[name] = float(attr[name]['__wd_mult__'])
        self.wd_mult.update(args_wd_mult)

    def _set_current_context(self, device_id):
        """Count updates separately for each device (each has its own copies)."""
        self._index_update_count = self._all_index_update_counts.setdefault(device_id, {})

    def _update_count(self, index):
        """Count one more update of ``index`` (an int or a list of them)."""
        for idx in index if isinstance(index, (list, tuple)) else [index]:
            count = self._index_update_count.get(idx, self.begin_num_update) + 1
            self._index_update_count[idx] = count
            self.num_update = max(count, self.num_update)

    def _multiplied(self, base, indices, mults, attr):
        values = []
        for index in indices:
            value = base
            if index in self.param_dict:
                value *= getattr(self.param_dict[index], attr)
            elif index in mults:
                value *= mults[index]
            elif index in self.idx2name:
                value *= mults.get(self.idx2name[index], 1.0)
            values.append(value)
        return values

    def _get_lrs(self, indices):
        """The learning rates of parameters ``indices``: the current rate times their lr_mult."""
        return self._multiplied(self.learning_rate, indices, self.lr_mult, 'lr_mult')

    def _get_lr(self, index):
        return self._get_lrs([index])[0]

    def _get_wds(self, indices):
        """The weight decays of parameters ``indices``: ``wd`` times their wd_mult."""
        return self._multiplied(self.wd, indices, self.wd_mult, 'wd_mult')

    def _get_wd(self, index):
        return self._get_wds([index])[0]

    # ---------------------------------------------------------- steps --
    def create_state(self, index, weight):
        """The state of the parameter ``index`` (None for stateless optimizers)."""
        return None

    def create_state_multi_precision(self, index, weight):
        """``create_state``, plus a float32 master copy for float16 weights.

        With ``multi_precision`` and a float16 weight the state is
        ``(weight32, create_state(index, weight32))``.
        """
        if self.multi_precision and weight.dtype == numpy.float16:
            master = weight.astype(numpy.float32)
            return (master, self.create_state(index, master))
        _warn_float16(weight, self.multi_precision)
        return self.create_state(index, weight)

    def update(self, index, weight, grad, state):
        """Apply one step to ``weight`` (in place), given its gradient and state."""
        raise NotImplementedError('%s does not implement update()' % type(self).__name__)

    def update_multi_precision(self, index, weight, grad, state):
        """``update``, on the float32 master copy when the weight is float16."""
        if self.multi_precision and weight.dtype == numpy.float16:
            master, inner = state
            self.update(index, master, grad.astype(numpy.float32), inner)
            nd.Cast(master, dtype=weight.dtype, out=weight)
        else:
            self.update(index, weight, grad, state)

    # ---------------------------------------------- helpers for steps --
    def _clip_attr(self):
        """``clip_gradient`` as the update operators take it (-1: no clipping)."""
        return self.clip_gradient if self.clip_gradient else -1.0

    def _preprocess(self, grad):
        """``clip(rescale_grad * grad)`` for the rules written with NDArray operations."""
        grad = grad * self.rescale_grad
        if self.clip_gradient is not None:
            grad = nd.clip(grad, -self.clip_gradient, self.clip_gradient)
        return grad

    def __getstate__(self):
        state = self.__dict__.copy()
        # Parameters belong to the model, not to the optimizer's saved state.
        del state['param_dict']
        return state

    def __setstate__(self, state):
        self.__dict__ = state
        self.param_dict = {}


register = Optimizer.register
create = Optimizer.create_optimizer


def _warn_float16(weight, multi_precision):
    if weight.dtype == numpy.float16 and not multi_precision:
        warnings.warn('Accumulating with float16 in optimizer can lead to poor accuracy or '
                      'slow convergence. Consider using multi_precision=True option of the '
                      'optimizer')


class Updater:
    """Applies an optimizer to parameters by index and keeps their states.

    ``updater(index, grad, weight)`` updates ``weight`` in place; ``index``
    may be a list, with lists of gradients and weights. The states are made
    on first use and can be saved with ``get_states`` and restored with
    ``set_states`` (pickled, optionally with the optimizer itself).

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.optimizer
    >>> updater = mx.optimizer.Updater(mx.optimizer.Adam(learning_rate=0.1))
    >>> w = mx.nd.zeros(2)
    >>> updater(0, mx.nd.array([1.0, -1.0]), w)
    >>> w.asnumpy().round(4)
    array([-0.1,  0.1], dtype=float32)
    >>> saved = updater.get_states(dump_optimizer=True)
    >>> other = mx.optimizer.Updater(mx.optimizer.SGD())
    >>> other.set_states(saved)
    >>> type(other.optimizer).__name__, sorted(other.states)
    ('Adam', [0])
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.states = {}
        self.states_synced = {}
        self.aggregate_updates = optimizer.aggregate_num > 0

    def __call__(self, index, grad, weight):
        if isinstance(index, (list, tuple)):
            indices, grads, weights = list(index), list(grad), list(weight)
        else:
            indices, grads, weights = [index], [grad], [weight]
        indices = [i.decode() if isinstance(i, bytes) else i for i in indices]
        if weights:
            self.optimizer._set_current_context(weights[0].context.device_id)
        for idx, w in zip(indices, weights):
            if idx not in self.states:
                self.states[idx] = self.optimizer.create_state_multi_precision(idx, w)
                self.states_synced[idx] = True
            elif not self.states_synced[idx]:
                self.states[idx] = self.sync_state_context(self.states[idx], w.context)
                self.states_synced[idx] = True
        if not self.aggregate_updates:
            for idx, w, g in zip(indices, weights, grads):
                self.optimizer.update_multi_precision(idx, w, g, self.states[idx])
            return
        # Parameters of one dtype go to the optimizer in groups of aggregate_num.
        by_dtype = {}
        for entry in zip(indices, weights, grads):
            by_dtype.setdefault(entry[1].dtype, []).append(entry)
        size = self.optimizer.aggregate_num
        for entries in by_dtype.values():
            for start in range(0, len(entries), size):
                idxs, ws, gs = (list(c) for c in zip(*entries[start:start + size]))
                self.optimizer.update_multi_precision(
                    idxs, ws, gs, [self.states[i] for i in idxs])

    def sync_state_context(self, state, context):
        """``state`` (an NDArray, or nested tuples/lists of them) moved to ``context``."""
        if isinstance(state, nd.NDArray):
            return state.as_in_context(context)
        if isinstance(state, (tuple, list)):
            synced = [self.sync_state_context(s, context) for s in state]
            return tuple(synced) if isinstance(state, tuple) else synced
        return state

    def set_states(self, states):
        """Restore states saved by ``get_states`` (and the optimizer, if it was saved)."""
        states = pickle.loads(states)
        if isinstance(states, tuple) and len(states) == 2:
            self.states, self.optimizer = states
            self.aggregate_updates = self.optimizer.aggregate_num > 0
        else:
            self.states = states
        self.states_synced = dict.fromkeys(self.states, False)

    def get_states(self, dump_optimizer=False):
        """The pickled states (with the optimizer when ``dump_optimizer``)."""
        return pickle.dumps((self.states, self.optimizer) if dump_optimizer else self.states)


def get_updater(optimizer):
    """An ``Updater`` for ``optimizer`` (what a KVStore calls to update weights).

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.optimizer
    >>> type(mx.optimizer.get_updater(mx.optimizer.SGD())).__name__
    'Updater'
    """
    return Updater(optimizer)
