"""BaseModule: the training and prediction loops shared by every module.

A module is a computation that goes through four states, in order:

1. created: it knows the names of its inputs (``data_names``) and outputs;
2. bound (``bind``): it knows the input shapes and has its arrays;
3. parameters initialized (``init_params`` / ``set_params``);
4. optimizer installed (``init_optimizer``): ``update`` can train it.

On top of the per-batch steps a subclass provides (``forward``,
``backward``, ``update``, ``update_metric``, ``get_outputs``), BaseModule
writes the loops: ``fit`` (train for epochs, with callbacks and validation),
``score`` (a metric over a data set), ``predict`` and ``iter_predict``.
"""
import logging
import time
import warnings

import numpy

from .. import metric as _metric
from .. import ndarray as nd
from ..base import MXNetError
from ..callback import BatchEndParam
from ..initializer import Uniform
from ..io import DataBatch, DataDesc, DataIter
from ..model import _join_params, _split_params


def _as_list(obj):
    if obj is None:
        return []
    return list(obj) if isinstance(obj, (list, tuple)) else [obj]


def check_input_names(symbol, names, typename, throw):
    """Check that every name in ``names`` is an argument of ``symbol``.

    An unknown name raises ``ValueError`` (``throw``) or warns; the message
    lists the arguments that look like inputs (not weights or biases).

    Examples
    --------
    >>> import mxlearn as mx
    >>> from mxlearn.module.base_module import check_input_names
    >>> net = mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=2, name='fc')
    >>> try:
    ...     check_input_names(net, ['data'], 'data', True)
    ... except ValueError as e:
    ...     print(str(e).split(' but ')[1].split('. ')[0])
    input with name 'data' is not found in symbol.list_arguments()
    """
    args = symbol.list_arguments()
    for name in names:
        if name in args:
            continue
        candidates = [a for a in args
                      if not a.endswith(('_weight', '_bias', '_gamma', '_beta'))]
        msg = ("You created Module with Module(..., %s_names=%s) but input with name '%s' "
               "is not found in symbol.list_arguments(). Did you mean one of:\n\t%s"
               % (typename, list(names), name, '\n\t'.join(candidates)))
        if throw:
            raise ValueError(msg)
        warnings.warn(msg, stacklevel=3)


def _check_names_match(names, descs, kind, throw):
    given = [d[0] for d in descs]
    if sorted(names) != sorted(given):
        msg = ("Data provided by %s_shapes don't match names specified by %s_names "
               "(%s vs. %s)" % (kind, kind, descs, list(names)))
        if throw:
            raise ValueError(msg)
        warnings.warn(msg, stacklevel=3)


def parse_data_desc(data_names, label_names, data_shapes, label_shapes):
    """``(data_descs, label_descs)``: the shapes as DataDesc, checked against the names.

    Data names must match exactly; label names that do not match only warn
    (a module may be bound without its labels to predict).

    Examples
    --------
    >>> from mxlearn.module.base_module import parse_data_desc
    >>> parse_data_desc(['data'], [], [('data', (2, 3))], None)
    ([DataDesc[data,(2, 3),<class 'numpy.float32'>,NCHW]], None)
    """
    data_shapes = [d if isinstance(d, DataDesc) else DataDesc(*d) for d in data_shapes]
    _check_names_match(data_names, data_shapes, 'data', True)
    if label_shapes is not None:
        label_shapes = [d if isinstance(d, DataDesc) else DataDesc(*d) for d in label_shapes]
        _check_names_match(label_names, label_shapes, 'label', False)
    else:
        _check_names_match(label_names, [], 'label', False)
    return data_shapes, label_shapes


def _pad(batch):
    return getattr(batch, 'pad', None) or 0


class BaseModule:
    """The interface of a module, and the loops written on it (see the module docstring).

    Parameters
    ----------
    logger : logging.Logger or module, default logging
        Where ``fit`` reports the metrics and time of each epoch.

    Attributes
    ----------
    binded, for_training, inputs_need_grad, params_initialized, optimizer_initialized : bool
        The state of the module.
    """

    def __init__(self, logger=logging):
        self.logger = logger
        self.binded = False
        self.for_training = False
        self.inputs_need_grad = False
        self.params_initialized = False
        self.optimizer_initialized = False
        self._symbol = None
        self._total_exec_bytes = 0

    # --- loops -----------------------------------------------------------

    def forward_backward(self, data_batch):
        """``forward`` in training mode, then ``backward``."""
        self.forward(data_batch, is_train=True)
        self.backward()

    def score(self, eval_data, eval_metric, num_batch=None, batch_end_callback=None,
              score_end_callback=None, reset=True, epoch=0, sparse_row_id_fn=None):
        """Run ``eval_data`` forward and return ``eval_metric``'s name-value pairs.

        Parameters
        ----------
        eval_data : DataIter
        eval_metric : EvalMetric, str or list
            A metric, or what ``mx.metric.create`` makes one from.
        num_batch : int, optional
            Stop after this many batches.
        batch_end_callback, score_end_callback : callable or list, optional
            Called with a ``BatchEndParam`` after each batch / at the end.
        reset : bool, default True
            Reset ``eval_data`` first.
        epoch : int, default 0
            Passed to the callbacks.
        sparse_row_id_fn : callable, optional
            For row-sparse parameters in MXNet; mxlearn's are dense.

        Returns
        -------
        list of (str, float)
        """
        if not (self.binded and self.params_initialized):
            raise MXNetError('score needs a bound module with initialized parameters')
        if reset:
            eval_data.reset()
        if not isinstance(eval_metric, _metric.EvalMetric):
            eval_metric = _metric.create(eval_metric)
        eval_metric.reset()
        actual_num_batch = 0
        for nbatch, eval_batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.prepare(eval_batch, sparse_row_id_fn=sparse_row_id_fn)
            self.forward(eval_batch, is_train=False)
            if isinstance(eval_batch, list):
                self.update_metric(eval_metric, [b.label for b in eval_batch], pre_sliced=True)
            else:
                self.update_metric(eval_metric, eval_batch.label)
            for callback in _as_list(batch_end_callback):
                callback(BatchEndParam(epoch=epoch, nbatch=nbatch, eval_metric=eval_metric,
                                       locals=locals()))
            actual_num_batch += 1
        for callback in _as_list(score_end_callback):
            callback(BatchEndParam(epoch=epoch, nbatch=actual_num_batch,
                                   eval_metric=eval_metric, locals=locals()))
        return eval_metric.get_name_value()

    def iter_predict(self, eval_data, num_batch=None, reset=True, sparse_row_id_fn=None):
        """Yield ``(outputs, nbatch, batch)`` for each batch of ``eval_data``.

        The outputs lose the batch's padding samples.
        """
        if not (self.binded and self.params_initialized):
            raise MXNetError('iter_predict needs a bound module with initialized parameters')
        if reset:
            eval_data.reset()
        for nbatch, eval_batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.prepare(eval_batch, sparse_row_id_fn=sparse_row_id_fn)
            self.forward(eval_batch, is_train=False)
            pad = _pad(eval_batch)
            outputs = [out[0:out.shape[0] - pad] for out in self.get_outputs()]
            yield outputs, nbatch, eval_batch

    def predict(self, eval_data, num_batch=None, merge_batches=True, reset=True,
                always_output_list=False, sparse_row_id_fn=None):
        """Run ``eval_data`` forward and collect the outputs.

        Parameters
        ----------
        eval_data : DataIter, NDArray or numpy.ndarray
            An array is one batch (the module reshapes to its size).
        num_batch : int, optional
            Stop after this many batches.
        merge_batches : bool, default True
            Concatenate the batches' outputs (without padding) into one array
            per output; otherwise return one list of outputs per batch.
        reset : bool, default True
            Reset ``eval_data`` first.
        always_output_list : bool, default False
            Return a list even when the module has a single output.

        Returns
        -------
        NDArray, list of NDArray, or list of list of NDArray
        """
        if not (self.binded and self.params_initialized):
            raise MXNetError('predict needs a bound module with initialized parameters')
        if isinstance(eval_data, (nd.NDArray, numpy.ndarray)):
            if isinstance(eval_data, numpy.ndarray):
                eval_data = nd.array(eval_data)
            self.forward(DataBatch([eval_data]), is_train=False)
            return self.get_outputs()[0]
        if not isinstance(eval_data, DataIter):
            raise ValueError('eval_data must be of type NDArray or DataIter')
        output_list = []
        for outputs, _, _ in self.iter_predict(eval_data, num_batch=num_batch, reset=reset,
                                               sparse_row_id_fn=sparse_row_id_fn):
            output_list.append([out.copy() for out in outputs])
        if not output_list or not merge_batches:
            return output_list
        num_outputs = len(output_list[0])
        if any(len(outs) != num_outputs for outs in output_list):
            raise MXNetError('Cannot merge batches, as num of outputs is not the same in '
                             'mini-batches. Maybe bucketing is used?')
        merged = [nd.concat(*[outs[i] for outs in output_list], dim=0)
                  for i in range(num_outputs)]
        if num_outputs == 1 and not always_output_list:
            return merged[0]
        return merged

    def fit(self, train_data, eval_data=None, eval_metric='acc',
            epoch_end_callback=None, batch_end_callback=None, kvstore='local',
            optimizer='sgd', optimizer_params=(('learning_rate', 0.01),),
            eval_end_callback=None, eval_batch_end_callback=None, initializer=Uniform(0.01),
            arg_params=None, aux_params=None, allow_missing=False, force_rebind=False,
            force_init=False, begin_epoch=0, num_epoch=None, validation_metric=None,
            monitor=None, sparse_row_id_fn=None):
        """Train the module on ``train_data`` for epochs ``begin_epoch`` to ``num_epoch - 1``.

        Binds, initializes the parameters and installs the optimizer (each only
        if not done yet, unless forced), then for each epoch: runs every batch
        forward, backward and through the optimizer, updating ``eval_metric``
        and calling ``batch_end_callback``; logs the training metric and time;
        calls ``epoch_end_callback(epoch, symbol, arg_params, aux_params)``;
        scores ``eval_data`` with ``validation_metric`` (calling
        ``eval_end_callback``); and resets ``train_data``.

        Parameters
        ----------
        train_data : DataIter
        eval_data : DataIter, optional
        eval_metric : EvalMetric, str or list, default 'acc'
        epoch_end_callback, batch_end_callback : callable or list, optional
            ``batch_end_callback`` gets a ``BatchEndParam`` (epoch, nbatch,
            eval_metric, locals) after every batch.
        kvstore : str, KVStore or None, default 'local'
        optimizer : str or Optimizer, default 'sgd'
        optimizer_params : dict or pairs, default ``(('learning_rate', 0.01),)``
        eval_end_callback, eval_batch_end_callback : callable or list, optional
            Called by the validation ``score``.
        initializer : Initializer, default ``Uniform(0.01)``
        arg_params, aux_params : dict of str to NDArray, optional
            Initial parameter values (the initializer fills the missing ones
            when ``allow_missing``).
        allow_missing, force_rebind, force_init : bool, default False
        begin_epoch : int, default 0
        num_epoch : int
            One more than the last epoch to run.
        validation_metric : EvalMetric or str, optional
            Defaults to ``eval_metric``.
        monitor : Monitor, optional
            Installed on the executors; ``tic``/``toc_print`` around each batch.
        sparse_row_id_fn : callable, optional
            For row-sparse parameters in MXNet; mxlearn's are dense.
        """
        if num_epoch is None:
            raise MXNetError('fit needs num_epoch, one more than the last epoch to train')
        self.bind(data_shapes=train_data.provide_data, label_shapes=train_data.provide_label,
                  for_training=True, force_rebind=force_rebind)
        if monitor is not None:
            self.install_monitor(monitor)
        self.init_params(initializer=initializer, arg_params=arg_params, aux_params=aux_params,
                         allow_missing=allow_missing, force_init=force_init)
        self.init_optimizer(kvstore=kvstore, optimizer=optimizer,
                            optimizer_params=optimizer_params)
        if validation_metric is None:
            validation_metric = eval_metric
        if not isinstance(eval_metric, _metric.EvalMetric):
            eval_metric = _metric.create(eval_metric)

        for epoch in range(begin_epoch, num_epoch):
            tic = time.time()
            eval_metric.reset()
            nbatch = 0
            data_iter = iter(train_data)
            end_of_batch = False
            next_data_batch = next(data_iter)
            while not end_of_batch:
                data_batch = next_data_batch
                if monitor is not None:
                    monitor.tic()
                self.forward_backward(data_batch)
                self.update()
                if isinstance(data_batch, list):
                    self.update_metric(eval_metric, [b.label for b in data_batch],
                                       pre_sliced=True)
                else:
                    self.update_metric(eval_metric, data_batch.label)
                try:
                    next_data_batch = next(data_iter)
                    self.prepare(next_data_batch, sparse_row_id_fn=sparse_row_id_fn)
                except StopIteration:
                    end_of_batch = True
                if monitor is not None:
                    monitor.toc_print()
                if end_of_batch:
                    eval_name_vals = eval_metric.get_global_name_value()
                for callback in _as_list(batch_end_callback):
                    callback(BatchEndParam(epoch=epoch, nbatch=nbatch,
                                           eval_metric=eval_metric, locals=locals()))
                nbatch += 1

            for name, val in eval_name_vals:
                self.logger.info('Epoch[%d] Train-%s=%f', epoch, name, val)
            self.logger.info('Epoch[%d] Time cost=%.3f', epoch, time.time() - tic)

            # Bring the devices' parameters back to the CPU copies the
            # callbacks see (and that a checkpoint saves).
            arg_params, aux_params = self.get_params()
            self.set_params(arg_params, aux_params)
            for callback in _as_list(epoch_end_callback):
                callback(epoch, self.symbol, arg_params, aux_params)

            if eval_data:
                res = self.score(eval_data, validation_metric,
                                 score_end_callback=eval_end_callback,
                                 batch_end_callback=eval_batch_end_callback, epoch=epoch)
                for name, val in res:
                    self.logger.info('Epoch[%d] Validation-%s=%f', epoch, name, val)
            train_data.reset()

    # --- symbol and names --------------------------------------------------

    @property
    def symbol(self):
        """The symbol of the module."""
        return self._symbol

    @property
    def data_names(self):
        """The names of the data inputs."""
        raise NotImplementedError()

    @property
    def output_names(self):
        """The names of the outputs."""
        raise NotImplementedError()

    @property
    def data_shapes(self):
        """The DataDesc of each data input (bound modules only)."""
        raise NotImplementedError()

    @property
    def label_shapes(self):
        """The DataDesc of each label input, or None (bound modules only)."""
        raise NotImplementedError()

    @property
    def output_shapes(self):
        """``[(name, shape)]`` of the outputs (bound modules only)."""
        raise NotImplementedError()

    # --- parameters ------------------------------------------------------

    def get_params(self):
        """``(arg_params, aux_params)``: dicts of name to NDArray."""
        raise NotImplementedError()

    def init_params(self, initializer=Uniform(0.01), arg_params=None, aux_params=None,
                    allow_missing=False, force_init=False, allow_extra=False):
        """Give the parameters their first values."""
        raise NotImplementedError()

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True,
                   allow_extra=False):
        """Set the parameters (and auxiliary states) to the given values.

        Parameters
        ----------
        arg_params, aux_params : dict of str to NDArray
        allow_missing : bool, default False
            Leave the parameters not in the dicts as they are instead of failing.
        force_init : bool, default True
            Set them even if the parameters were initialized already.
        allow_extra : bool, default False
            Ignore names in the dicts that the symbol does not have.
        """
        self.init_params(initializer=None, arg_params=arg_params, aux_params=aux_params,
                         allow_missing=allow_missing, force_init=force_init,
                         allow_extra=allow_extra)

    def save_params(self, fname):
        """Save the parameters to ``fname`` (keys ``arg:<name>``, ``aux:<name>``)."""
        nd.save(fname, _join_params(*self.get_params()))

    def load_params(self, fname):
        """Set the parameters from a file written by ``save_params``."""
        arg_params, aux_params = _split_params(nd.load(fname), fname)
        self.set_params(arg_params, aux_params)

    def get_states(self, merge_multi_context=True):
        """The values of the state inputs (none by default)."""
        if not (self.binded and self.params_initialized):
            raise MXNetError('get_states needs a bound module with initialized parameters')
        return []

    def set_states(self, states=None, value=None):
        """Set the state inputs (none by default)."""
        if not (self.binded and self.params_initialized):
            raise MXNetError('set_states needs a bound module with initialized parameters')
        if states or value is not None:
            raise MXNetError('this module has no state inputs')

    def install_monitor(self, mon):
        """Let ``mon`` watch the module's computation."""
        raise NotImplementedError()

    def prepare(self, data_batch, sparse_row_id_fn=None):
        """Get ready for ``data_batch`` (row-sparse pulls in MXNet; nothing here)."""
        if sparse_row_id_fn is not None:
            warnings.warn('sparse_row_id_fn is ignored: mxlearn parameters are dense',
                          stacklevel=2)

    # --- computing -------------------------------------------------------

    def forward(self, data_batch, is_train=None):
        """Run the module forward on ``data_batch`` (training mode if ``is_train``)."""
        raise NotImplementedError()

    def backward(self, out_grads=None):
        """Run the module backward, from ``out_grads`` (None for loss outputs)."""
        raise NotImplementedError()

    def get_outputs(self, merge_multi_context=True):
        """The outputs of the last forward."""
        raise NotImplementedError()

    def get_input_grads(self, merge_multi_context=True):
        """The gradients of the data inputs from the last backward."""
        raise NotImplementedError()

    def update(self):
        """Apply one optimizer step with the gradients of the last backward."""
        raise NotImplementedError()

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Add the last forward's outputs, against ``labels``, to ``eval_metric``."""
        raise NotImplementedError()

    # --- setting up ------------------------------------------------------

    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req='write'):
        """Allocate the arrays for inputs of these shapes."""
        raise NotImplementedError()

    def init_optimizer(self, kvstore='local', optimizer='sgd',
                       optimizer_params=(('learning_rate', 0.01),), force_init=False):
        """Install the optimizer that ``update`` applies."""
        raise NotImplementedError()
