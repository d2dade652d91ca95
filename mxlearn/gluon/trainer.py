"""The Gluon Trainer: applies an optimizer to a set of Parameters after backward.

One training step is::

    with autograd.record():
        loss = loss_fn(net(x), y)
    loss.backward()
    trainer.step(batch_size)

``step(batch_size)`` sets the optimizer's ``rescale_grad`` to
``1 / batch_size`` (times the optimizer's own ``rescale_grad``). For a
Parameter kept on several contexts (data parallelism:
``initialize(ctx=[mx.cpu(0), mx.cpu(1)])`` and one slice of the batch per
context) the gradients of the copies must be summed and every copy updated
with the sum, so that the copies stay equal. That is the job of a KVStore
(``mx.kv``), chosen as in MXNet when the first ``step`` runs, from the
``kvstore`` argument:

- one context on one machine, or ``kvstore=None``: no KVStore; each context's
  copy is updated with its own gradient (with ``None`` and several contexts
  the copies drift apart, as in MXNet);
- ``'device'`` (the default) or ``'local'``: a KVStore sums the gradients of
  the contexts (on the first context's device, or on the CPU);
- ``'dist_sync'``, ``'dist_async'``, ``'dist_device_sync'``, or a KVStore
  object (``mx.kv.create(...)``, whose ``rank`` and ``num_workers`` say which
  shard of the data this worker takes): the sum goes over the workers too.

``update_on_kvstore`` says where the optimizer runs:

- True: the KVStore runs it (``set_optimizer``); ``step`` pushes the
  gradients and pulls the updated weights into every copy
  (``pushpull(keys, grads, out=weights)``). ``allreduce_grads``/``update``
  are not available.
- False: ``step`` is ``allreduce_grads()`` (the KVStore sums,
  ``pushpull(keys, grads)`` writes the sum back into every copy's gradient)
  then ``update()`` (one ``Updater`` per context, sharing the optimizer,
  updates each copy).
- None (default): True with a KVStore, unless the environment variable
  ``MXNET_UPDATE_ON_KVSTORE`` is ``0`` or a ``'local'`` store holds a
  parameter of more than 16M values. ``'dist_async'`` needs True (the servers
  apply each push as it arrives).

Parameters are keyed in the KVStore by their index in the Trainer. A step
makes one KVStore call with the list of all the keys (MXNet makes one per
Parameter, with priority ``-index``): a distributed store sends them all
before waiting for an answer, so a step costs one round trip to the servers.
The keys are in index order, the order those priorities ask for.

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
from .. import kvstore as kvs
from .. import optimizer as opt
from ..base import MXNetError
from ..kvstore.base import write_atomically
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
        The KVStore that sums gradients over contexts (and workers): a type
        for ``mx.kv.create``, a KVStore, or None (see the module docstring).
    compression_params : dict, optional
        Gradient compression for the KVStore, e.g. ``{'type': '2bit',
        'threshold': 0.5}`` (``KVStore.set_gradient_compression``).
    update_on_kvstore : bool, optional
        Whether the KVStore runs the optimizer (None: decide as MXNet does).

    Raises
    ------
    MXNetError
        If ``params`` holds something else than Parameters, or the Parameters
        are not all initialized on the same contexts; at the first ``step``,
        if ``kvstore`` is not a str, a KVStore or None, or
        ``update_on_kvstore=False`` is asked of ``'dist_async'``.
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
        for param in self._params:
            param._set_trainer(self)
        self._param2idx = {param.name: i for i, param in enumerate(self._params)}
        self._contexts = self._check_contexts()
        self._compression_params = compression_params
        self._init_optimizer(optimizer, optimizer_params or {})
        self._scale = self._optimizer.rescale_grad
        self._kvstore_params = {'kvstore': kvstore, 'update_on_kvstore': update_on_kvstore}
        self._kvstore = None
        self._reset_kvstore()

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

    # ------------------------------------------------------------ kvstore --
    def _reset_kvstore(self):
        """Forget the KVStore; the next step makes a new one (after the contexts changed)."""
        if self._kvstore is not None and 'dist' in self._kvstore.type:
            raise MXNetError('Cannot reset a distributed KVStore: the other workers and the '
                             'servers still use it')
        self._kv_initialized = False
        self._kvstore = None
        self._distributed = None
        self._update_on_kvstore = None
        self._params_to_init = list(self._params)

    def _init_kvstore(self):
        """Create the KVStore and decide ``update_on_kvstore`` (MXNet's rules)."""
        config = self._kvstore_params
        kvstore, update_on_kvstore = kvs._create_kvstore(
            config['kvstore'], len(self._contexts), {p.name: p for p in self._params})
        self._distributed = kvstore is not None and 'dist' in kvstore.type
        if self._distributed and 'async' in kvstore.type:
            if config['update_on_kvstore'] is False:
                raise MXNetError("Please set update_on_kvstore=True when training in async "
                                 "mode: with %r each push is applied by the servers as it "
                                 "arrives, so they must run the optimizer" % kvstore.type)
            update_on_kvstore = True
        if config['update_on_kvstore'] is not None:
            update_on_kvstore = config['update_on_kvstore']
        if kvstore is not None:
            if update_on_kvstore and not kvstore.is_capable(kvs.KVStoreBase.OPTIMIZER):
                if config['update_on_kvstore']:
                    raise MXNetError('Please set update_on_kvstore=False when training with '
                                     '%s: it cannot run an optimizer' % type(kvstore).__name__)
                update_on_kvstore = False
            if self._compression_params:
                kvstore.set_gradient_compression(self._compression_params)
            if update_on_kvstore:
                kvstore.set_optimizer(self._optimizer)
            self._update_on_kvstore = bool(update_on_kvstore)
        else:
            # One context and no store: nothing to update on, whatever was asked.
            self._update_on_kvstore = None
        self._kvstore = kvstore
        self._kv_initialized = True

    def _init_params(self):
        """Give the KVStore the initialized Parameters (the first context's value to all)."""
        waiting, keys, copies = [], [], []
        for param in self._params_to_init:
            if param._deferred_init:
                waiting.append(param)
            elif self._kvstore is not None:
                keys.append(self._param2idx[param.name])
                copies.append(param.list_data() if param.stype == 'default'
                              else param.list_row_sparse_data(None))
        if keys:
            self._kvstore.broadcast(keys, [c[0] for c in copies], out=copies)
        self._params_to_init = waiting

    def _prepare(self):
        if not self._kv_initialized:
            self._init_kvstore()
        if self._params_to_init:
            self._init_params()

    def _check_and_rescale_grad(self, scale):
        # A distributed store got the optimizer (with its rescale_grad) once.
        if self._update_on_kvstore and self._distributed and self._kv_initialized \
                and self._optimizer.rescale_grad != scale:
            raise MXNetError('Possible change in the `batch_size` from previous `step` '
                             'detected. Optimizer gradient normalizing factor will not change '
                             'w.r.t new batch_size when update_on_kvstore=True and when '
                             'distributed kvstore is used.')
        self._optimizer.rescale_grad = scale

    def _check_not_on_kvstore(self, method):
        if self._kvstore is not None and self._update_on_kvstore:
            raise MXNetError('%s() when parameters are updated on kvstore is not supported. '
                             'Try setting `update_on_kvstore` to False when creating trainer.'
                             % method)

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

        Call it after ``backward()``, outside ``autograd.record()``. The first
        call creates the KVStore.

        Parameters
        ----------
        batch_size : int
            The number of samples the gradients were summed over (1 if the
            loss was already averaged). With a distributed KVStore, the batch
            of this worker.
        ignore_stale_grad : bool, default False
            Skip Parameters whose gradient was not updated by a backward since
            the last step, instead of raising an error. (When the KVStore runs
            the optimizer, every gradient is still pushed, as in MXNet.)
        """
        self._check_and_rescale_grad(self._scale / batch_size)
        self._prepare()
        if not ignore_stale_grad:
            self._check_fresh()
        self._allreduce_grads()
        self._update(ignore_stale_grad)

    def allreduce_grads(self):
        """Sum each Parameter's gradients over its contexts, into every context's gradient.

        ``step`` is ``allreduce_grads`` then ``update``; call them separately
        to change the summed gradients in between (e.g. gradient clipping).
        Needs ``update_on_kvstore=False`` when there is a KVStore.

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
        >>> trainer = Trainer([w], 'sgd', {'learning_rate': 0.1}, update_on_kvstore=False)
        >>> trainer.allreduce_grads()
        >>> [g.asscalar() for g in w.list_grad()]
        [5.0, 5.0]
        >>> trainer.update(batch_size=1)
        >>> [round(float(d.asscalar()), 4) for d in w.list_data()]
        [0.5, 0.5]
        """
        self._prepare()
        self._check_not_on_kvstore('allreduce_grads')
        self._allreduce_grads()

    def _allreduce_grads(self):
        # One KVStore call for all the Parameters: a distributed store then
        # sends every key before waiting for any answer (one round trip per
        # step instead of one per Parameter). The keys go in index order,
        # which is the order MXNet's priorities (-index) ask for: the first
        # layers, needed first by the next forward, come first.
        if self._kvstore is None:
            return
        keys, grads, datas = [], [], []
        for i, param in enumerate(self._params):
            if param.grad_req == 'null':
                continue
            keys.append(i)
            grads.append(param.list_grad())
            if self._update_on_kvstore:
                datas.append(param.list_data())
        if not keys:
            return
        self._kvstore.pushpull(keys, grads, out=datas if self._update_on_kvstore else None)

    def update(self, batch_size, ignore_stale_grad=False):
        """Apply the optimizer to the gradients as they are (after ``allreduce_grads``).

        Needs ``update_on_kvstore=False`` when there is a KVStore.

        Parameters
        ----------
        batch_size : int
            Gradients are scaled by ``1 / batch_size``.
        ignore_stale_grad : bool, default False
            As in ``step``.
        """
        self._prepare()
        self._check_not_on_kvstore('update')
        self._check_and_rescale_grad(self._scale / batch_size)
        if not ignore_stale_grad:
            self._check_fresh()
        self._update(ignore_stale_grad)

    def _check_fresh(self):
        # Before anything is pushed or updated, so that an error leaves the
        # weights and the KVStore as they were.
        for param in self._params:
            if param.grad_req == 'null':
                continue
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

    def _update(self, ignore_stale_grad):
        on_kvstore = self._kvstore is not None and self._update_on_kvstore
        updates = [([], [], []) for _ in self._updaters]
        for i, param in enumerate(self._params):
            if param.grad_req == 'null':
                continue
            for (indices, grads, weights), arr, grad in zip(
                    updates, param.list_data(), param.list_grad()):
                if _is_fresh(arr):
                    indices.append(i)
                    grads.append(grad)
                    weights.append(arr)
                _mark_stale(arr)
        if on_kvstore:
            return
        for updater, (indices, grads, weights) in zip(self._updaters, updates):
            if indices:
                updater(indices, grads, weights)

    def save_states(self, fname):
        """Save the optimizer and its states (momentum, ...) to ``fname``.

        The Parameters' ``lr_mult``/``wd_mult`` are not saved. The file is
        written under a temporary name and moved into place. When the KVStore
        runs the optimizer, its states are the ones saved.

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
        self._prepare()
        if self._update_on_kvstore:
            if self._params_to_init:
                raise MXNetError('Cannot save trainer states when some parameters are not '
                                 'yet initialized in kvstore (%s): run a forward pass first'
                                 % ', '.join(p.name for p in self._params_to_init))
            self._kvstore.save_optimizer_states(fname, dump_optimizer=True)
        else:
            write_atomically(fname, self._updaters[0].get_states(dump_optimizer=True))

    def load_states(self, fname):
        """Load the optimizer and its states saved by ``save_states``.

        The optimizer in the file replaces the current one; it gets this
        Trainer's Parameters for ``lr_mult``/``wd_mult``.

        Parameters
        ----------
        fname : str
        """
        self._prepare()
        if self._update_on_kvstore:
            self._kvstore.load_optimizer_states(fname)
            self._optimizer = self._kvstore._updater.optimizer
        else:
            with open(fname, 'rb') as f:
                states = f.read()
            for updater in self._updaters:
                updater.set_states(states)
                updater.optimizer = self._updaters[0].optimizer
            self._optimizer = self._updaters[0].optimizer
        self._optimizer.param_dict = dict(enumerate(self._params))
