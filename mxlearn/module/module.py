"""Module: a Symbol with its parameters, executors and optimizer, trained batch by batch.

A Module keeps two copies of the parameters: the CPU arrays of
``get_params`` (``_arg_params``/``_aux_params``) and the arrays the
executors compute with, one set per device. ``update`` changes the device
copies and marks the CPU ones stale (``_params_dirty``); ``get_params``
brings them back (averaged over the devices).

The optimizer gets ``rescale_grad = 1 / batch_size`` (the executors sum the
gradients of a batch, as a loss output such as ``SoftmaxOutput`` does not
average them), each parameter's name for its lr/wd multipliers, and runs
locally through an ``Updater`` or, for several devices, as MXNet does, on a
KVStore that first sums the devices' gradients.

Examples
--------
>>> import mxlearn as mx
>>> from mxlearn.module import Module
>>> data = mx.sym.var('data')
>>> net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(data, num_hidden=2, name='fc'),
...                            name='softmax')
>>> mod = Module(net)
>>> mod.bind(data_shapes=[('data', (4, 3))], label_shapes=[('softmax_label', (4,))])
>>> mod.init_params()
>>> mod.init_optimizer(optimizer_params={'learning_rate': 0.1})
>>> batch = mx.io.DataBatch([mx.nd.ones((4, 3))], [mx.nd.array([0, 1, 0, 1])])
>>> mod.forward_backward(batch)
>>> mod.update()
>>> mod.get_outputs()[0].shape, mod.output_shapes
((4, 2), [('softmax_output', (4, 2))])
"""
import logging
import warnings

from .. import context as _context
from .. import ndarray as nd
from .. import optimizer as opt
from ..base import MXNetError
from ..initializer import InitDesc, Uniform
from ..io import DataDesc
from ..model import (_create_kvstore, _initialize_kvstore, _update_params,
                     _update_params_on_kvstore, load_checkpoint, save_checkpoint)
from .base_module import BaseModule, check_input_names, parse_data_desc
from .executor_group import DataParallelExecutorGroup


class Module(BaseModule):
    """A module that runs a Symbol (see the module docstring).

    Parameters
    ----------
    symbol : Symbol
    data_names : sequence of str, default ``('data',)``
        The arguments that a batch's ``data`` fills.
    label_names : sequence of str, default ``('softmax_label',)``
        The arguments that a batch's ``label`` fills.
    logger : logging.Logger or module, default logging
    context : Context or list of Context, default ``cpu()``
        Several contexts split each batch between them.
    work_load_list : list of float, optional
        The share of a batch each context gets (equal by default).
    fixed_param_names : list of str, optional
        Parameters that are not trained (they get no gradient).
    state_names : list of str, optional
        Inputs that are neither data nor labels, set with ``set_states``.
    group2ctxs : dict or list of dict, optional
        Model parallelism: ``ctx_group`` attribute -> context, for ``bind``.
    compression_params : dict, optional
        Gradient compression of the KVStore (``set_gradient_compression``).
    """

    def __init__(self, symbol, data_names=('data',), label_names=('softmax_label',),
                 logger=logging, context=_context.cpu(), work_load_list=None,
                 fixed_param_names=None, state_names=None, group2ctxs=None,
                 compression_params=None):
        super().__init__(logger=logger)
        if isinstance(context, _context.Context):
            context = [context]
        self._context = list(context)
        if work_load_list is None:
            work_load_list = [1] * len(self._context)
        if len(work_load_list) != len(self._context):
            raise MXNetError('work_load_list has %d entries for %d contexts'
                             % (len(work_load_list), len(self._context)))
        self._work_load_list = list(work_load_list)
        self._group2ctxs = group2ctxs
        self._symbol = symbol

        data_names = list(data_names) if data_names is not None else []
        label_names = list(label_names) if label_names is not None else []
        state_names = list(state_names) if state_names is not None else []
        fixed_param_names = list(fixed_param_names) if fixed_param_names is not None else []
        check_input_names(symbol, data_names, 'data', True)
        check_input_names(symbol, label_names, 'label', False)
        check_input_names(symbol, state_names, 'state', True)
        check_input_names(symbol, fixed_param_names, 'fixed_param', True)

        inputs = set(data_names + label_names + state_names)
        self._param_names = [a for a in symbol.list_arguments() if a not in inputs]
        self._fixed_param_names = fixed_param_names
        self._aux_names = symbol.list_auxiliary_states()
        self._data_names = data_names
        self._label_names = label_names
        self._state_names = state_names
        self._output_names = symbol.list_outputs()

        self._arg_params = None
        self._aux_params = None
        self._params_dirty = False
        self._compression_params = compression_params
        self._optimizer = None
        self._kvstore = None
        self._update_on_kvstore = None
        self._updater = None
        self._preload_opt_states = None
        self._grad_req = None
        self._exec_group = None
        self._data_shapes = None
        self._label_shapes = None

    # --- checkpoints -------------------------------------------------------

    @staticmethod
    def load(prefix, epoch, load_optimizer_states=False, **kwargs):
        """A Module from the checkpoint ``prefix`` at ``epoch`` (see ``mx.model``).

        The parameters are set when the module is bound; with
        ``load_optimizer_states`` the optimizer states of
        ``prefix-%04d.states`` are loaded by ``init_optimizer``.

        Parameters
        ----------
        prefix : str
        epoch : int
        load_optimizer_states : bool, default False
        **kwargs
            The arguments of ``Module`` (``data_names``, ``context``, ...).

        Examples
        --------
        >>> import os, tempfile
        >>> import mxlearn as mx
        >>> from mxlearn.module import Module
        >>> net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2, name='fc')
        >>> mod = Module(net, label_names=None)
        >>> mod.bind([('data', (1, 3))])
        >>> mod.init_params()
        >>> prefix = os.path.join(tempfile.mkdtemp(), 'fc')
        >>> mod.save_checkpoint(prefix, 1)
        >>> again = Module.load(prefix, 1, label_names=None)
        >>> sorted(again.get_params()[0])
        ['fc_bias', 'fc_weight']
        """
        symbol, arg_params, aux_params = load_checkpoint(prefix, epoch)
        mod = Module(symbol=symbol, **kwargs)
        mod._arg_params = arg_params
        mod._aux_params = aux_params
        mod.params_initialized = True
        if load_optimizer_states:
            mod._preload_opt_states = '%s-%04d.states' % (prefix, epoch)
        return mod

    def save_checkpoint(self, prefix, epoch, save_optimizer_states=False, remove_amp_cast=True):
        """Write ``prefix-symbol.json``, ``prefix-%04d.params`` and, if asked, ``.states``.

        Parameters
        ----------
        prefix : str
        epoch : int
        save_optimizer_states : bool, default False
            Also save the optimizer's states, to resume training.
        remove_amp_cast : bool, default True
            See ``mx.model.save_checkpoint``.
        """
        arg_params, aux_params = self.get_params()
        save_checkpoint(prefix, epoch, self._symbol, arg_params, aux_params,
                        remove_amp_cast=remove_amp_cast)
        if save_optimizer_states:
            fname = '%s-%04d.states' % (prefix, epoch)
            self.save_optimizer_states(fname)
            logging.info('Saved optimizer state to "%s"', fname)

    # --- names and shapes ------------------------------------------------

    @property
    def data_names(self):
        """The names of the data inputs."""
        return self._data_names

    @property
    def label_names(self):
        """The names of the label inputs."""
        return self._label_names

    @property
    def output_names(self):
        """The names of the outputs (``symbol.list_outputs()``)."""
        return self._output_names

    def _check_bound(self, what):
        if not self.binded:
            raise MXNetError('%s needs a bound module: call bind() first' % what)

    @property
    def data_shapes(self):
        """The DataDesc of each data input."""
        self._check_bound('data_shapes')
        return self._data_shapes

    @property
    def label_shapes(self):
        """The DataDesc of each label input (None if bound without labels)."""
        self._check_bound('label_shapes')
        return self._label_shapes

    @property
    def output_shapes(self):
        """``[(name, shape)]`` of the outputs."""
        self._check_bound('output_shapes')
        return self._exec_group.get_output_shapes()

    # --- parameters ------------------------------------------------------

    def get_params(self):
        """``(arg_params, aux_params)``: the parameters as CPU NDArrays by name."""
        if not self.params_initialized:
            raise MXNetError('get_params needs initialized parameters: call init_params()')
        if self._params_dirty:
            self._sync_params_from_devices()
        return self._arg_params, self._aux_params

    def init_params(self, initializer=Uniform(0.01), arg_params=None, aux_params=None,
                    allow_missing=False, force_init=False, allow_extra=False):
        """Give the parameters their first values and copy them to the devices.

        Parameters
        ----------
        initializer : Initializer, default ``Uniform(0.01)``
            Fills the parameters that ``arg_params``/``aux_params`` do not give
            (each called with an ``InitDesc`` carrying the variable's attributes).
        arg_params, aux_params : dict of str to NDArray, optional
            Values to copy.
        allow_missing : bool, default False
            With dicts given, let the initializer fill the names they lack
            (otherwise a missing name is an error).
        force_init : bool, default False
            Initialize again even if done already (otherwise a warning).
        allow_extra : bool, default False
            Ignore names in the dicts that the symbol does not have.
        """
        if self.params_initialized and not force_init:
            warnings.warn('Parameters already initialized and force_init=False. '
                          'init_params call ignored.', stacklevel=2)
            return
        self._check_bound('init_params')
        attrs = self._symbol.attr_dict()

        def fill(name, arr, given):
            desc = InitDesc(name, attrs.get(name))
            if given is not None and name in given:
                if given[name] is not arr:
                    _copy_checked(given[name], arr, name)
            elif given is not None and not allow_missing:
                raise MXNetError('%s is not presented' % name)
            elif initializer is not None:
                initializer(desc, arr)

        for name, arr in sorted(self._arg_params.items()):
            fill(name, arr, arg_params)
        for name, arr in sorted(self._aux_params.items()):
            fill(name, arr, aux_params)
        self.params_initialized = True
        self._params_dirty = False
        self._exec_group.set_params(self._arg_params, self._aux_params, allow_extra=allow_extra)

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True,
                   allow_extra=False):
        """Set the parameters (and auxiliary states) to the given values.

        The parameters are those of ``BaseModule.set_params``. With
        ``allow_missing`` the values go to the devices directly, so the
        parameters the dicts lack keep their values there, and the CPU copies
        are read back from the devices when next asked for.
        """
        if not allow_missing:
            super().set_params(arg_params, aux_params, force_init=force_init,
                               allow_extra=allow_extra)
            return
        if self.params_initialized and not force_init:
            warnings.warn('Parameters already initialized and force_init=False. '
                          'set_params call ignored.', stacklevel=2)
            return
        self._exec_group.set_params(arg_params, aux_params, allow_extra=allow_extra)
        # The CPU copies did not get these values: read them back when asked.
        self._params_dirty = True
        self.params_initialized = True

    def _sync_params_from_devices(self):
        self._exec_group.get_params(self._arg_params, self._aux_params)
        self._params_dirty = False

    # --- binding ---------------------------------------------------------

    def _reset_bind(self):
        self.binded = False
        self._exec_group = None
        self._data_shapes = None
        self._label_shapes = None

    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req='write'):
        """Bind executors for inputs of the given shapes (allocating their arrays).

        Parameters
        ----------
        data_shapes : list of DataDesc or (str, tuple)
            Usually ``data_iter.provide_data``.
        label_shapes : list of DataDesc or (str, tuple), optional
            Usually ``data_iter.provide_label``; None to bind without labels.
        for_training : bool, default True
            Whether gradients will be computed.
        inputs_need_grad : bool, default False
            Whether the gradients of the data inputs are needed.
        force_rebind : bool, default False
            Bind again even if bound (otherwise a warning and nothing done).
        shared_module : Module, optional
            A bound module whose parameters these executors share (bucketing).
        grad_req : str, list or dict, default 'write'
            ``'write'``, ``'add'`` (accumulate over backward calls) or ``'null'``.
        """
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning('Already bound, ignoring bind()')
            return
        if not for_training and inputs_need_grad:
            raise MXNetError('inputs_need_grad=True needs for_training=True')
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._grad_req = grad_req
        self._data_shapes, self._label_shapes = parse_data_desc(
            self._data_names, self._label_names, data_shapes, label_shapes)

        shared_group = None
        if shared_module is not None:
            if not (isinstance(shared_module, Module) and shared_module.binded
                    and shared_module.params_initialized):
                raise MXNetError('shared_module must be a bound Module with initialized '
                                 'parameters')
            shared_group = shared_module._exec_group
        self._exec_group = DataParallelExecutorGroup(
            self._symbol, self._context, self._work_load_list, self._data_shapes,
            self._label_shapes, self._param_names, for_training, inputs_need_grad,
            shared_group, logger=self.logger, fixed_param_names=self._fixed_param_names,
            grad_req=grad_req, state_names=self._state_names, group2ctxs=self._group2ctxs)

        if shared_module is not None:
            self.params_initialized = True
            self._arg_params = shared_module._arg_params
            self._aux_params = shared_module._aux_params
        elif self.params_initialized:
            # Bound again (or loaded from a checkpoint): the devices get the values kept.
            self._exec_group.set_params(self._arg_params, self._aux_params)
        else:
            self._arg_params = {name: nd.zeros(arrs[0].shape, dtype=arrs[0].dtype)
                                for name, arrs in zip(self._param_names,
                                                      self._exec_group.param_arrays)}
            self._aux_params = {name: nd.zeros(arrs[0].shape, dtype=arrs[0].dtype)
                                for name, arrs in zip(self._aux_names,
                                                      self._exec_group.aux_arrays)}
        if shared_module is not None and shared_module.optimizer_initialized:
            self.borrow_optimizer(shared_module)
        self.binded = True

    def reshape(self, data_shapes, label_shapes=None):
        """Reshape the bound executors for new input shapes (e.g. another batch size)."""
        self._check_bound('reshape')
        self._data_shapes, self._label_shapes = parse_data_desc(
            self._data_names, self._label_names, data_shapes, label_shapes)
        self._exec_group.reshape(self._data_shapes, self._label_shapes)

    # --- optimizer -------------------------------------------------------

    def init_optimizer(self, kvstore='local', optimizer='sgd',
                       optimizer_params=(('learning_rate', 0.01),), force_init=False):
        """Install the optimizer that ``update`` applies.

        Parameters
        ----------
        kvstore : str, KVStore or None, default 'local'
            How the devices' gradients are combined (see ``mx.model``); with
            one device and a string type, no KVStore is used.
        optimizer : str or Optimizer, default 'sgd'
        optimizer_params : dict or pairs, default ``(('learning_rate', 0.01),)``
            Arguments of the optimizer made from a name; ``rescale_grad``
            defaults to ``1 / batch_size``.
        force_init : bool, default False
            Install again even if installed (otherwise a warning).
        """
        if not (self.binded and self.params_initialized):
            raise MXNetError('init_optimizer needs a bound module with initialized parameters')
        if self.optimizer_initialized and not force_init:
            self.logger.warning('optimizer already initialized, ignoring...')
            return
        if self._params_dirty:
            self._sync_params_from_devices()

        kvstore, update_on_kvstore = _create_kvstore(kvstore, len(self._context),
                                                     self._arg_params)
        batch_size = self._exec_group.batch_size
        if kvstore and 'dist' in kvstore.type and '_sync' in kvstore.type:
            batch_size *= kvstore.num_workers
        rescale_grad = 1.0 / batch_size

        names = self._exec_group.param_names
        if update_on_kvstore:
            idx2name = dict(enumerate(names))
        else:
            n_dev = len(self._context)
            idx2name = {i * n_dev + k: n for i, n in enumerate(names) for k in range(n_dev)}
        if isinstance(optimizer, str):
            params = dict(optimizer_params)
            params.setdefault('rescale_grad', rescale_grad)
            optimizer = opt.create(optimizer, sym=self._symbol, param_idx2name=idx2name,
                                   **params)
        elif isinstance(optimizer, opt.Optimizer):
            if optimizer.rescale_grad != rescale_grad:
                warnings.warn('Optimizer created manually outside Module but rescale_grad is '
                              'not normalized to 1.0/batch_size/num_workers (%s vs. %s). Is '
                              'this intended?' % (optimizer.rescale_grad, rescale_grad),
                              stacklevel=2)
            if not optimizer.idx2name:
                optimizer.idx2name = idx2name.copy()
        else:
            raise MXNetError('optimizer must be a name or an mx.optimizer.Optimizer, got %r'
                             % (optimizer,))

        self._optimizer = optimizer
        self._kvstore = kvstore
        self._update_on_kvstore = update_on_kvstore
        self._updater = None
        if kvstore:
            if self._compression_params:
                kvstore.set_gradient_compression(self._compression_params)
            if update_on_kvstore:
                kvstore.set_optimizer(self._optimizer)
            _initialize_kvstore(kvstore, self._exec_group.param_arrays, self._arg_params,
                                self._param_names, update_on_kvstore)
        if not update_on_kvstore:
            self._updater = opt.get_updater(optimizer)
        self.optimizer_initialized = True
        if self._preload_opt_states is not None:
            self.load_optimizer_states(self._preload_opt_states)
            self._preload_opt_states = None

    def borrow_optimizer(self, shared_module):
        """Use the optimizer (and KVStore) of ``shared_module`` (bucketing)."""
        if not shared_module.optimizer_initialized:
            raise MXNetError('borrow_optimizer: the shared module has no optimizer yet')
        self._optimizer = shared_module._optimizer
        self._kvstore = shared_module._kvstore
        self._update_on_kvstore = shared_module._update_on_kvstore
        self._updater = shared_module._updater
        self.optimizer_initialized = True

    def save_optimizer_states(self, fname):
        """Write the optimizer's states (pickled by the Updater or the KVStore) to ``fname``."""
        if not self.optimizer_initialized:
            raise MXNetError('save_optimizer_states needs init_optimizer() first')
        if self._update_on_kvstore:
            self._kvstore.save_optimizer_states(fname)
        else:
            with open(fname, 'wb') as f:
                f.write(self._updater.get_states())

    def load_optimizer_states(self, fname):
        """Restore optimizer states written by ``save_optimizer_states``."""
        if not self.optimizer_initialized:
            raise MXNetError('load_optimizer_states needs init_optimizer() first')
        if self._update_on_kvstore:
            self._kvstore.load_optimizer_states(fname)
        else:
            with open(fname, 'rb') as f:
                self._updater.set_states(f.read())

    # --- computing -------------------------------------------------------

    def _check_ready(self, what):
        if not (self.binded and self.params_initialized):
            raise MXNetError('%s needs a bound module with initialized parameters: call '
                             'bind() and init_params() first' % what)

    def forward(self, data_batch, is_train=None):
        """Run forward on ``data_batch``; reshape the executors first if its shapes differ.

        Parameters
        ----------
        data_batch : DataBatch
            Or a list of them, one per device.
        is_train : bool, optional
            Training mode (dropout on, batch statistics); defaults to how the
            module was bound (``for_training``).
        """
        self._check_ready('forward')
        current = tuple(d.shape for d in self._data_shapes)
        if isinstance(data_batch, list):
            # One batch per device: together they make the whole batch.
            new = tuple((len(data_batch) * d.shape[0],) + d.shape[1:]
                        for d in data_batch[0].data)
        else:
            new = tuple(d.shape for d in data_batch.data)
        if current != new:
            self.reshape(*self._new_descs(data_batch, new))
        self._exec_group.forward(data_batch, is_train)

    def _new_descs(self, data_batch, shapes):
        """The data and label descriptions of a batch whose shapes changed."""
        if getattr(data_batch, 'provide_data', None):
            data = [d if isinstance(d, DataDesc) else DataDesc(*d)
                    for d in data_batch.provide_data]
        else:
            data = [DataDesc(d.name, s, d.dtype, d.layout)
                    for d, s in zip(self._data_shapes, shapes)]
        label = None
        if getattr(data_batch, 'provide_label', None):
            label = data_batch.provide_label
        elif getattr(data_batch, 'label', None) and self._label_shapes:
            label = [DataDesc(d.name, lab.shape, d.dtype, d.layout)
                     for d, lab in zip(self._label_shapes, data_batch.label)]
        elif self._label_shapes:
            # A batch without labels (predicting): keep the label inputs, at the new size.
            batch = data[0].shape[DataDesc.get_batch_axis(data[0].layout)]
            label = [DataDesc(d.name, _with_batch(d, batch), d.dtype, d.layout)
                     for d in self._label_shapes]
        return data, label

    def backward(self, out_grads=None):
        """Run backward; ``out_grads`` are the gradients of outputs that are not losses."""
        self._check_ready('backward')
        self._exec_group.backward(out_grads=out_grads)

    def update(self):
        """Apply the optimizer to the parameters, with the gradients of the last backward."""
        if not (self.binded and self.params_initialized and self.optimizer_initialized):
            raise MXNetError('update needs bind(), init_params() and init_optimizer() first')
        self._params_dirty = True
        group = self._exec_group
        if self._update_on_kvstore:
            _update_params_on_kvstore(group.param_arrays, group.grad_arrays, self._kvstore,
                                      group.param_names)
        else:
            _update_params(group.param_arrays, group.grad_arrays, updater=self._updater,
                           num_device=len(self._context), kvstore=self._kvstore,
                           param_names=group.param_names)

    def get_outputs(self, merge_multi_context=True):
        """The outputs of the last forward (per device if not ``merge_multi_context``)."""
        self._check_ready('get_outputs')
        return self._exec_group.get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        """The gradients of the data inputs (bind with ``inputs_need_grad=True``)."""
        self._check_ready('get_input_grads')
        return self._exec_group.get_input_grads(merge_multi_context=merge_multi_context)

    def get_states(self, merge_multi_context=True):
        """The values of the state inputs."""
        self._check_ready('get_states')
        return self._exec_group.get_states(merge_multi_context=merge_multi_context)

    def set_states(self, states=None, value=None):
        """Set the state inputs to ``states`` (per state, per device) or all to ``value``."""
        self._check_ready('set_states')
        self._exec_group.set_states(states, value)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Add the last forward's outputs, against ``labels``, to ``eval_metric``.

        Parameters
        ----------
        eval_metric : EvalMetric
        labels : list of NDArray
            Usually ``data_batch.label``; with ``pre_sliced``, one list per device.
        pre_sliced : bool, default False
        """
        self._exec_group.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        """Let ``mon`` watch every executor."""
        self._check_bound('install_monitor')
        self._exec_group.install_monitor(mon)


def _copy_checked(src, dst, name):
    if tuple(src.shape) != tuple(dst.shape):
        raise MXNetError('parameter %s: the value given has shape %s but the module needs %s'
                         % (name, tuple(src.shape), tuple(dst.shape)))
    src.copyto(dst)


def _with_batch(desc, batch):
    """``desc.shape`` with its batch axis set to ``batch``."""
    shape = list(desc.shape)
    axis = DataDesc.get_batch_axis(desc.layout)
    if axis >= 0:
        shape[axis] = batch
    return tuple(shape)
