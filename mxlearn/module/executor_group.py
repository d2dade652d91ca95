"""Data parallelism for Module: one executor per device, each on a slice of the batch.

``DataParallelExecutorGroup`` binds the symbol once per context. A batch of
``B`` samples is cut along its batch axis (the ``N`` of the input's layout)
into one slice per device, sized by ``work_load_list``; every executor runs
forward and backward on its slice, with its own copy of the parameters. The
group then offers the outputs merged back into whole batches, and the
parameters and gradients as lists with one array per device, which is what
the optimizer (directly, or through a KVStore that first sums the gradients
over the devices) works on.

With a single device the slice is the whole batch and nothing is cut or
merged: the executor's own arrays are handed out.
"""
import logging
from collections import OrderedDict

import numpy

from .. import ndarray as nd
from ..base import MXNetError
from ..context import cpu
from ..io import DataDesc


def split_batch(batch_size, work_load_list):
    """Slices of ``range(batch_size)``, one per device, in proportion to the workloads.

    Examples
    --------
    >>> from mxlearn.module.executor_group import split_batch
    >>> split_batch(10, [1, 1])
    [slice(0, 5, None), slice(5, 10, None)]
    >>> split_batch(10, [1, 2, 2])
    [slice(0, 2, None), slice(2, 6, None), slice(6, 10, None)]
    """
    total = float(sum(work_load_list))
    ends = [int(round(batch_size * sum(work_load_list[:i + 1]) / total))
            for i in range(len(work_load_list))]
    starts = [0] + ends[:-1]
    if any(end <= start for start, end in zip(starts, ends)):
        raise MXNetError('a batch of %d samples is too small to give every one of %d devices '
                         'some (work loads %s)' % (batch_size, len(work_load_list),
                                                   work_load_list))
    return [slice(start, end) for start, end in zip(starts, ends)]


def _take(array, axis, part):
    """``array`` cut to ``part`` along ``axis`` (the array itself when nothing is cut)."""
    if axis < 0 or (part.start == 0 and part.stop == array.shape[axis]):
        return array
    if axis == 0:
        return array[part.start:part.stop]
    return nd.slice_axis(array, axis=axis, begin=part.start, end=part.stop)


def _merge(per_device, axis):
    """One array from the devices' pieces, joined along ``axis`` on the first device."""
    if len(per_device) == 1 or axis < 0:
        return per_device[0]
    ctx = per_device[0].context
    return nd.concat(*[a.as_in_context(ctx) for a in per_device], dim=axis)


def _batch_axis(desc):
    layout = getattr(desc, 'layout', 'NCHW')
    return DataDesc.get_batch_axis(layout)


class DataParallelExecutorGroup:
    """The executors of a Module, one per context (see the module docstring).

    Parameters
    ----------
    symbol : Symbol
    contexts : list of Context
    workload : list of float
        The share of each batch that each context gets.
    data_shapes, label_shapes : list of DataDesc
        ``label_shapes`` may be None (no labels bound, e.g. for prediction).
    param_names : list of str
        The arguments that are parameters (not data, labels or states).
    for_training : bool
        Whether gradients are needed at all.
    inputs_need_grad : bool
        Whether the gradients of the data inputs are needed.
    shared_group : DataParallelExecutorGroup, optional
        A group whose parameter arrays these executors use too (bucketing).
    logger : logging.Logger
    fixed_param_names : list of str, optional
        Parameters that get no gradient (``grad_req`` ``'null'``).
    grad_req : str, list or dict, default 'write'
        For the parameters (and, with ``inputs_need_grad``, the data); a list
        gives one per argument, a dict overrides by name.
    state_names : list of str, optional
        Inputs that are neither data nor labels, set with ``set_states``.
    group2ctxs : dict or list of dict, optional
        Passed to ``bind`` as ``group2ctx`` (one dict per context if a list).
    """

    def __init__(self, symbol, contexts, workload, data_shapes, label_shapes, param_names,
                 for_training, inputs_need_grad, shared_group=None, logger=logging,
                 fixed_param_names=None, grad_req='write', state_names=None, group2ctxs=None):
        self.symbol = symbol
        self.contexts = list(contexts)
        self.workload = list(workload)
        self.param_names = list(param_names)
        self.arg_names = symbol.list_arguments()
        self.aux_names = symbol.list_auxiliary_states()
        self.output_names = symbol.list_outputs()
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self.logger = logger
        self.fixed_param_names = list(fixed_param_names or [])
        self.state_names = list(state_names or [])
        if isinstance(group2ctxs, (list, tuple)):
            self.group2ctxs = list(group2ctxs)
        else:
            self.group2ctxs = [group2ctxs] * len(self.contexts)
        self.data_names = [d.name for d in data_shapes]
        self.label_names = [d.name for d in label_shapes] if label_shapes else []
        self.grad_req = self._grad_reqs(grad_req)
        self.output_layouts = [
            DataDesc.get_batch_axis(symbol[i].attr('__layout__') or 'N')
            for i in range(len(self.output_names))]
        self.execs = []
        self.bind_exec(data_shapes, label_shapes, shared_group)

    # --- binding ---------------------------------------------------------

    def _grad_reqs(self, grad_req):
        """``grad_req`` for every argument, by name."""
        if not self.for_training:
            return dict.fromkeys(self.arg_names, 'null')
        if isinstance(grad_req, (list, tuple)):
            if len(grad_req) != len(self.arg_names):
                raise MXNetError('grad_req has %d entries but the symbol has %d arguments (%s)'
                                 % (len(grad_req), len(self.arg_names), self.arg_names))
            return dict(zip(self.arg_names, grad_req))
        default = grad_req if isinstance(grad_req, str) else 'write'
        reqs = {}
        for name in self.arg_names:
            if name in self.param_names:
                reqs[name] = 'null' if name in self.fixed_param_names else default
            elif name in self.data_names and self.inputs_need_grad:
                reqs[name] = default
            else:
                reqs[name] = 'null'
        if isinstance(grad_req, dict):
            reqs.update(grad_req)
        return reqs

    def decide_slices(self, data_shapes):
        """Record the batch size and each device's slice of a batch."""
        self.data_layouts = [_batch_axis(d) for d in data_shapes]
        sizes = {d.shape[axis] for d, axis in zip(data_shapes, self.data_layouts) if axis >= 0}
        if len(sizes) > 1:
            raise MXNetError('the data inputs disagree on the batch size: %s'
                             % [(d.name, d.shape) for d in data_shapes])
        self.batch_size = sizes.pop() if sizes else 1
        self.slices = split_batch(self.batch_size, self.workload)

    def _sliced(self, descs, layouts, part):
        """``{name: shape}`` of one device's slice of the inputs ``descs``."""
        shapes = {}
        for desc, axis in zip(descs, layouts):
            shape = list(desc.shape)
            if axis >= 0:
                shape[axis] = part.stop - part.start
            shapes[desc.name] = tuple(shape)
        return shapes

    def bind_exec(self, data_shapes, label_shapes, shared_group=None, reshape=False):
        """Bind (or, with ``reshape``, reshape) the executors for these input shapes."""
        self.decide_slices(data_shapes)
        self.data_shapes = list(data_shapes)
        self.label_shapes = list(label_shapes) if label_shapes else None
        self.label_layouts = [_batch_axis(d) for d in label_shapes] if label_shapes else []
        for k, (ctx, part) in enumerate(zip(self.contexts, self.slices)):
            shapes = self._sliced(self.data_shapes, self.data_layouts, part)
            if label_shapes:
                shapes.update(self._sliced(label_shapes, self.label_layouts, part))
            if reshape:
                self.execs[k] = self.execs[k].reshape(allow_up_sizing=True, **shapes)
            else:
                shared = shared_group.execs[k] if shared_group is not None else None
                self.execs.append(self._bind_one(k, ctx, shapes, shared))
        self._collect_arrays()

    def _bind_one(self, k, ctx, shapes, shared_exec):
        """An executor on ``ctx`` with new arrays (parameters from ``shared_exec`` if given)."""
        descs = self.data_shapes + (self.label_shapes or [])
        dtypes = {d.name: getattr(d, 'dtype', numpy.float32) for d in descs}
        arg_shapes, _, aux_shapes = self.symbol.infer_shape_partial(**shapes)
        unknown = [n for n, s in zip(self.arg_names + self.aux_names, arg_shapes + aux_shapes)
                   if not s or 0 in s]
        if unknown:
            raise MXNetError('Module.bind: the input shapes %s do not determine the shapes of '
                             '%s; give them (e.g. Variable(name, shape=...))'
                             % (shapes, ', '.join(unknown)))
        arg_types, _, aux_types = self.symbol.infer_type(**dtypes)
        if arg_types is None:
            arg_types = [numpy.float32] * len(arg_shapes)
            aux_types = [numpy.float32] * len(aux_shapes)
        args, grads = [], {}
        for name, shape, dtype in zip(self.arg_names, arg_shapes, arg_types):
            if shared_exec is not None and name in self.param_names:
                arr = shared_exec.arg_dict[name]
                grad = shared_exec.grad_dict.get(name)
            else:
                arr = nd.zeros(shape, ctx=ctx, dtype=dtype)
                grad = None
            if self.grad_req[name] != 'null' and grad is None:
                grad = nd.zeros(shape, ctx=ctx, dtype=dtype)
            args.append(arr)
            if grad is not None:
                grads[name] = grad
        if shared_exec is not None:
            aux = [shared_exec.aux_dict[n] for n in self.aux_names]
        else:
            aux = [nd.zeros(s, ctx=ctx, dtype=t) for s, t in zip(aux_shapes, aux_types)]
        return self.symbol.bind(ctx, args, args_grad=grads, grad_req=self.grad_req,
                                aux_states=aux, group2ctx=self.group2ctxs[k])

    def _collect_arrays(self):
        """The per-device lists of arrays that Module and the optimizer work on."""
        def per_arg(name, table):
            return [table(e).get(name) for e in self.execs]
        self.data_arrays = [[(p, e.arg_dict[n]) for p, e in zip(self.slices, self.execs)]
                            for n in self.data_names]
        self.label_arrays = [[(p, e.arg_dict[n]) for p, e in zip(self.slices, self.execs)]
                             for n in self.label_names if n in self.arg_names]
        self.state_arrays = [per_arg(n, lambda e: e.arg_dict) for n in self.state_names]
        self.param_arrays = [per_arg(n, lambda e: e.arg_dict) for n in self.param_names]
        self.grad_arrays = [per_arg(n, lambda e: e.grad_dict) for n in self.param_names]
        self.aux_arrays = [per_arg(n, lambda e: e.aux_dict) for n in self.aux_names]
        self.input_grad_arrays = [per_arg(n, lambda e: e.grad_dict) for n in self.data_names] \
            if self.inputs_need_grad else []

    def reshape(self, data_shapes, label_shapes):
        """Reshape the executors for new input shapes (a no-op if they are the same)."""
        if data_shapes == self.data_shapes and label_shapes == self.label_shapes:
            return
        self.bind_exec(data_shapes, label_shapes, reshape=True)

    # --- parameters ------------------------------------------------------

    def set_params(self, arg_params, aux_params, allow_extra=False):
        """Copy parameters (held on any device) into every executor."""
        for e in self.execs:
            e.copy_params_from(arg_params, aux_params or {}, allow_extra_params=allow_extra)

    def get_params(self, arg_params, aux_params):
        """Copy the parameters, averaged over the devices, into the CPU arrays given."""
        for names, blocks, target in ((self.param_names, self.param_arrays, arg_params),
                                      (self.aux_names, self.aux_arrays, aux_params)):
            for name, block in zip(names, blocks):
                if len(block) == 1:
                    block[0].copyto(target[name])
                    continue
                total = block[0].copyto(cpu())
                for w in block[1:]:
                    total += w.copyto(cpu())
                (total / len(block)).astype(target[name].dtype).copyto(target[name])

    def get_states(self, merge_multi_context=True):
        """The state inputs, merged over the devices or one list per state."""
        if merge_multi_context:
            return [_merge(s, 0) for s in self.state_arrays]
        return self.state_arrays

    def set_states(self, states=None, value=None):
        """Set the state inputs to ``states`` (per state, per device) or to ``value``."""
        if (states is None) == (value is None):
            raise MXNetError('set_states takes either states or value, not both or neither')
        for k, per_device in enumerate(self.state_arrays):
            for d, dst in enumerate(per_device):
                if states is not None:
                    states[k][d].copyto(dst)
                else:
                    dst[:] = value

    # --- computing -------------------------------------------------------

    def _load(self, sources, targets, layouts):
        for src, per_device, axis in zip(sources, targets, layouts):
            for part, dst in per_device:
                piece = _take(src, axis, part)
                if piece is not dst:
                    piece.copyto(dst)

    def _load_per_device(self, batches):
        """Load a list of batches, one per device, each already its device's slice."""
        if len(batches) != len(self.execs):
            raise MXNetError('got %d batches for %d devices' % (len(batches), len(self.execs)))
        for k, batch in enumerate(batches):
            for src, per_device in zip(batch.data, self.data_arrays):
                src.copyto(per_device[k][1])
            for src, per_device in zip(batch.label or [], self.label_arrays):
                src.copyto(per_device[k][1])

    def forward(self, data_batch, is_train=None):
        """Load the batch's slices into the executors and run them forward.

        ``data_batch`` is a DataBatch, cut between the devices, or a list of
        DataBatch, one per device.
        """
        if is_train is None:
            is_train = self.for_training
        if isinstance(data_batch, list):
            self._load_per_device(data_batch)
        else:
            if len(data_batch.data) != len(self.data_arrays):
                raise MXNetError('the batch has %d data arrays but the module was bound with '
                                 '%d (%s)' % (len(data_batch.data), len(self.data_arrays),
                                              self.data_names))
            self._load(data_batch.data, self.data_arrays, self.data_layouts)
            if self.label_arrays and data_batch.label:
                self._load(data_batch.label, self.label_arrays, self.label_layouts)
        for e in self.execs:
            e.forward(is_train=is_train)

    def backward(self, out_grads=None):
        """Run the executors backward; ``out_grads`` are cut into the devices' slices."""
        if not self.for_training:
            raise MXNetError('backward needs a module bound with for_training=True')
        if out_grads is not None and not isinstance(out_grads, (list, tuple)):
            out_grads = [out_grads]
        for e, part in zip(self.execs, self.slices):
            if out_grads is None:
                e.backward()
                continue
            sliced = [_take(g, axis, part).as_in_context(e.outputs[0].context)
                      for g, axis in zip(out_grads, self.output_layouts)]
            e.backward(out_grads=sliced)

    def get_output_shapes(self):
        """``[(name, shape)]`` of the outputs for the whole batch."""
        descs = self.data_shapes + (self.label_shapes or [])
        _, out_shapes, _ = self.symbol.infer_shape_partial(**{d.name: d.shape for d in descs})
        return list(zip(self.output_names, out_shapes))

    def get_outputs(self, merge_multi_context=True, begin=0, end=None):
        """The outputs, whole (``merge_multi_context``) or one list per output of pieces."""
        per_output = [[e.outputs[i] for e in self.execs]
                      for i in range(begin, len(self.output_names) if end is None else end)]
        if not merge_multi_context:
            return per_output
        return [_merge(pieces, axis)
                for pieces, axis in zip(per_output, self.output_layouts[begin:])]

    def get_input_grads(self, merge_multi_context=True):
        """The gradients of the data inputs (bound with ``inputs_need_grad``)."""
        if not self.inputs_need_grad:
            raise MXNetError('input gradients need a module bound with inputs_need_grad=True')
        if merge_multi_context:
            return [_merge(g, axis) for g, axis in zip(self.input_grad_arrays,
                                                        self.data_layouts)]
        return self.input_grad_arrays

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Add each device's outputs, with its slice of ``labels``, to ``eval_metric``."""
        layouts = self.label_layouts or [0] * len(labels)
        for k, (e, part) in enumerate(zip(self.execs, self.slices)):
            if pre_sliced:
                sliced = labels[k]
            else:
                sliced = [_take(label, axis, part) for label, axis in zip(labels, layouts)]
            names = self.label_names or ['label%d' % i for i in range(len(sliced))]
            eval_metric.update_dict(OrderedDict(zip(names, sliced)),
                                    OrderedDict(zip(self.output_names, e.outputs)))

    def install_monitor(self, monitor):
        """Let ``monitor`` (an ``mx.monitor.Monitor``) watch every executor."""
        for e in self.execs:
            monitor.install(e)
