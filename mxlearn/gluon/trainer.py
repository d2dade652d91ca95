"""The Gluon Trainer: applies an optimizer to a set of Parameters after backward.

One training step is::

    with autograd.record():
        loss = loss_fn(net(x), y)
    loss.backward()
    trainer.step(batch_size)

``step(batch_size)`` sets the optimizer's ``rescale_grad`` to
``1 / batch_size`` (times the optimizer's own ``rescale_grad``), then

1. ``allreduce_grads()``: for a Parameter kept on several contexts (data
   parallelism: ``initialize(ctx=[mx.cpu(0), mx.cpu(1)])`` and one slice of
   the batch per context), the gradients of all copies are summed and the sum
   is written back into every copy's gradient;
2. ``update()``: each context's copy is updated by the optimizer with that
   (equal) gradient, so the copies stay equal. There is one ``Updater`` per
   context, sharing the optimizer, as in MXNet without a KVStore.

The summation happens in this process (``_reduce_grads``). MXNet hands it to
a KVStore (``kvstore='device'``), which may also run the update itself
(``update_on_kvstore``); mxlearn has no ``mx.kv`` yet, so the ``kvstore`` and
``update_on_kvstore`` arguments are recorded and the local path is used
whatever they say. The results are the same; only ``_reduce_grads`` needs
replacing to plug a KVStore in.

Stale gradients: a Parameter whose gradient was not written by a backward
since the last step is an error (a part of the model was not used), unless
``ignore_stale_grad=True``, which skips it. Whether a gradient is fresh is
read from the ``_fresh_grad`` flag that backward sets on each variable's data
array and that ``update`` clears; arrays without the flag count as fresh.

Examples
--------
>>> import mxlearn as mx
>>> import mxlearn.optimizer
>>> from mxlearn.gluon.parameter import Parameter
>>> from mxlearn.gluon.trainer import Trainer
>>> w = Parameter('w', shape=(2,), init=mx.initializer.One())
>>> w.initialize()
>>> trainer = Trainer([w], 'sgd', {'learning_rate': 0.1})
>>> with mx.autograd.record():
...     loss = (w.data() * mx.nd.array([1, 2])).sum()
>>> loss.backward()
>>> trainer.step(batch_size=1)
>>> w.data().asnumpy()
array([0.9, 0.8], dtype=float32)
"""
import os
import tempfile
import warnings

from .. import optimizer as opt
from ..base import MXNetError
from .parameter import Parameter, ParameterDict

__all__ = ['Trainer']


def _is_fresh(arr):
    # Set by backward when it writes the gradient; absent means "not tracked".
    return getattr(arr, '_fresh_grad', True)


def _mark_stale(arr):
    if hasattr(arr, '_fresh_grad'):
        arr._fresh_grad = False


class Trainer:
    """Applies an Optimizer to Parameters; use it with ``autograd``.

    Parameters
    ----------
    params : ParameterDict, dict of str to Parameter, or list of Parameter
        What to train (``net.collect_params()``). A dict is taken in the
        sorted order of its keys, which gives each Parameter its optimizer
        index.
    optimizer : str or Optimizer
        An optimizer, or its name for ``mx.optimizer.create``.
    optimizer_params : dict, optional
        Arguments for ``mx.optimizer.create`` (``{'learning_rate': 0.1}``);
        only with an optimizer name.
    kvstore : str, KVStore or None, default 'device'
        Recorded; gradients are summed locally until mxlearn has ``mx.kv``.
    compression_params : dict, optional
        Gradient compression of a KVStore; ignored (with a warning) for now.
    update_on_kvstore : bool, optional
        Recorded; updates run in the Trainer until mxlearn has ``mx.kv``.

    Raises
    ------
    MXNetError
        If ``params`` holds something else than Parameters, or the Parameters
        are not all initialized on the same contexts.
    """

    def __init__(self, params, optimizer, optimizer_params=None, kvstore='device',
                 compression_params=None, update_on_kvstore=None):
        if isinstance(params, (dict, ParameterDict)):
            params = [params[key] for key in sorted(params.keys())]
        if not isinstance(params, (list, tuple)):
            raise MXNetError('First argument must be a list or dict of Parameters, got %s.'
                             % type(params))
        for param in params:
            if not isinstance(param, Parameter):
                raise MXNetError('First argument must be a list or dict of Parameters, got '
                                 'list of %s.' % type(param))
        self._params = list(params)
        self._param2idx = {param.name: i for i, param in enumerate(self._params)}
        self._contexts = self._check_contexts()
        self._kvstore_params = {'kvstore': kvstore, 'update_on_kvstore': update_on_kvstore}
        self._compression_params = compression_params
        if compression_params and len(self._contexts) > 1:
            warnings.warn('gradient compression needs a KVStore (mx.kv), which mxlearn does '
                          'not have yet: gradients are summed without compression',
                          stacklevel=2)
        self._init_optimizer(optimizer, optimizer_params or {})
        self._scale = self._optimizer.rescale_grad

    def _check_contexts(self):
        contexts = None
        for param in self._params:
            ctx = param.list_ctx()
            if contexts is not None and contexts != ctx:
                raise MXNetError('All Parameters must be initialized on the same set of '
                                 'contexts, but Parameter %s is initialized on %s while '
                                 'previous Parameters are initialized on %s.'
                                 % (param.name, ctx, contexts))
            contexts = ctx
        return contexts or []

    def _init_optimizer(self, optimizer, optimizer_params):
        # The optimizer reads lr_mult/wd_mult from the Parameters themselves,
        # so changing them later takes effect.
        param_dict = dict(enumerate(self._params))
        if isinstance(optimizer, opt.Optimizer):
            if optimizer_params:
                raise MXNetError('optimizer_params must be None if optimizer is an instance '
                                 'of Optimizer instead of str')
            self._optimizer = optimizer
            self._optimizer.param_dict = param_dict
        else:
            self._optimizer = opt.create(optimizer, param_dict=param_dict,
                                         **optimizer_params)
        self._updaters = [opt.get_updater(self._optimizer) for _ in self._contexts]

    @property
    def learning_rate(self):
        """The optimizer's current learning rate.

        Examples
        --------
        >>> import mxlearn as mx
        >>> from mxlearn.gluon.parameter import Parameter
        >>> from mxlearn.gluon.trainer import Trainer
        >>> w = Parameter('w', shape=(1,))
        >>> w.initialize()
        >>> trainer = Trainer([w], 'sgd', {'learning_rate': 0.1})
        >>> trainer.learning_rate
        0.1
        >>> trainer.set_learning_rate(0.01)
        >>> trainer.learning_rate
        0.01
        """
        return self._optimizer.learning_rate

    @property
    def optimizer(self):
        """The Optimizer."""
        return self._optimizer

    def set_learning_rate(self, lr):
        """Set the optimizer's learning rate.

        Parameters
        ----------
        lr : float
        """
        self._optimizer.set_learning_rate(lr)

    def step(self, batch_size, ignore_stale_grad=False):
        """One update: gradients scaled by ``1 / batch_size``, summed over contexts, applied.

        Call it after ``backward()``, outside ``autograd.record()``.

        Parameters
        ----------
        batch_size : int
            The number of samples the gradients were summed over (1 if the
            loss was already averaged).
        ignore_stale_grad : bool, default False
            Skip Parameters whose gradient was not updated by a backward since
            the last step, instead of raising an error.
        """
        self._optimizer.rescale_grad = self._scale / batch_size
        self._reduce_grads()
        self._update(ignore_stale_grad)

    def allreduce_grads(self):
        """Sum each Parameter's gradients over its contexts, into every context's gradient.

        ``step`` is ``allreduce_grads`` then ``update``; call them separately
        to change the summed gradients in between (e.g. gradient clipping).

        Examples
        --------
        >>> import mxlearn as mx
        >>> from mxlearn.gluon.parameter import Parameter
        >>> from mxlearn.gluon.trainer import Trainer
        >>> w = Parameter('w', shape=(1,), init='ones')
        >>> w.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
        >>> for ctx, k in ((mx.cpu(0), 2.0), (mx.cpu(1), 3.0)):
        ...     with mx.autograd.record():
        ...         y = w.data(ctx) * k
        ...     y.backward()
        >>> trainer = Trainer([w], 'sgd', {'learning_rate': 0.1})
        >>> trainer.allreduce_grads()
        >>> [g.asscalar() for g in w.list_grad()]
        [5.0, 5.0]
        >>> trainer.update(batch_size=1)
        >>> [round(float(d.asscalar()), 4) for d in w.list_data()]
        [0.5, 0.5]
        """
        self._reduce_grads()

    def _reduce_grads(self):
        # The one place a KVStore's pushpull will take over.
        for param in self._params:
            if param.grad_req == 'null':
                continue
            grads = param.list_grad()
            if len(grads) < 2:
                continue
            total = grads[0].copy()
            for g in grads[1:]:
                total += g.as_in_context(total.context)
            for g in grads:
                total.copyto(g)

    def update(self, batch_size, ignore_stale_grad=False):
        """Apply the optimizer to the gradients as they are (after ``allreduce_grads``).

        Parameters
        ----------
        batch_size : int
            Gradients are scaled by ``1 / batch_size``.
        ignore_stale_grad : bool, default False
            As in ``step``.
        """
        self._optimizer.rescale_grad = self._scale / batch_size
        self._update(ignore_stale_grad)

    def _update(self, ignore_stale_grad):
        active = [(i, p) for i, p in enumerate(self._params) if p.grad_req != 'null']
        if not ignore_stale_grad:
            for _, param in active:
                for arr in param.list_data():
                    if not _is_fresh(arr):
                        raise MXNetError(
                            'Gradient of Parameter `%s` on context %s has not been updated '
                            'by backward since last `step`. This could mean a bug in your '
                            'model that made it only use a subset of the Parameters (Blocks) '
                            'for this iteration. If you are intentionally only using a '
                            'subset, call step with ignore_stale_grad=True to suppress this '
                            'warning and skip updating of Parameters with stale gradient'
                            % (param.name, arr.context))
        updates = [([], [], []) for _ in self._updaters]
        for i, param in active:
            for (indices, grads, weights), arr, grad in zip(
                    updates, param.list_data(), param.list_grad()):
                if _is_fresh(arr):
                    indices.append(i)
                    grads.append(grad)
                    weights.append(arr)
                    _mark_stale(arr)
        for updater, (indices, grads, weights) in zip(self._updaters, updates):
            if indices:
                updater(indices, grads, weights)

    def save_states(self, fname):
        """Save the optimizer and its states (momentum, ...) to ``fname``.

        The Parameters' ``lr_mult``/``wd_mult`` are not saved. The file is
        written under a temporary name and moved into place.

        Parameters
        ----------
        fname : str

        Examples
        --------
        >>> import os, tempfile
        >>> import mxlearn as mx
        >>> from mxlearn.gluon.parameter import Parameter
        >>> from mxlearn.gluon.trainer import Trainer
        >>> w = Parameter('w', shape=(1,))
        >>> w.initialize()
        >>> path = os.path.join(tempfile.mkdtemp(), 'trainer.states')
        >>> Trainer([w], 'adam', {'learning_rate': 0.5}).save_states(path)
        >>> resumed = Trainer([w], 'sgd')
        >>> resumed.load_states(path)
        >>> type(resumed.optimizer).__name__, resumed.learning_rate
        ('Adam', 0.5)
        """
        states = self._updaters[0].get_states(dump_optimizer=True)
        folder = os.path.dirname(os.path.abspath(fname))
        fd, tmp = tempfile.mkstemp(dir=folder, prefix='.' + os.path.basename(fname))
        try:
            with os.fdopen(fd, 'wb') as f:
                f.write(states)
            os.replace(tmp, fname)
        except BaseException:
            os.unlink(tmp)
            raise

    def load_states(self, fname):
        """Load the optimizer and its states saved by ``save_states``.

        The optimizer in the file replaces the current one; it gets this
        Trainer's Parameters for ``lr_mult``/``wd_mult``.

        Parameters
        ----------
        fname : str
        """
        with open(fname, 'rb') as f:
            states = f.read()
        for updater in self._updaters:
            updater.set_states(states)
            updater.optimizer = self._updaters[0].optimizer
        self._optimizer = self._updaters[0].optimizer
        self._optimizer.param_dict = dict(enumerate(self._params))
