"""GraphProgram: a Symbol's training graph, compiled into a list of steps.

A GraphProgram holds no arrays of its own. ``run_forward`` takes the input
values and returns the outputs and a *state* (the list of intermediate
values the backward pass needs); ``run_backward`` takes that state and the
head gradients and returns the gradients. So two forward passes can be in
flight before their backward passes (what ``HybridBlock`` needs), and the
Executor keeps its arrays itself.

Compiling means: build the training graph (``backward_graph.build``), run
the graph passes on it (``mxlearn.symbol.passes.optimize``), plan its memory
(``passes.plan_memory``), and turn every node into a step
``(forward, attributes, input slots, first output slot, output count, slots
to free)`` over one flat list of values. Running a step is then one call of
the operator's forward on raw device arrays (numpy or CuPy), the same forward
``mx.nd`` runs, with no NDArray wrapping and no recording in between; each
value is dropped after its last use, as the memory plan says.
"""
import os

import numpy

from .._ext import core
from ..base import MXNetError
from ..operator.errors import operator_error
from ..symbol import passes
from . import backward_graph, from_tape


def default_optimize():
    """Whether executors run the optimized graph: yes, unless ``MXLEARN_OPTIMIZE_GRAPH=0``.

    Examples
    --------
    >>> default_optimize() in (True, False)
    True
    """
    return os.environ.get('MXLEARN_OPTIMIZE_GRAPH', '1') != '0'


class GraphProgram:
    """A Symbol compiled for running forward and backward on given shapes and dtypes.

    Parameters
    ----------
    symbol : Symbol
        The forward graph.
    arg_shapes : dict of str to tuple
        Shapes of the inputs (arguments and auxiliary states); those left out
        are inferred with ``symbol.infer_shape``.
    arg_dtypes : dict of str to dtype, optional
        Dtypes of the inputs; the others are inferred (float32 if nothing
        says otherwise).
    grad_names : list of str
        The arguments to differentiate (none: a forward-only program).
    ctx : Context
    optimize : bool, optional
        Run the graph passes (default: :func:`default_optimize`).
    values : dict of str to NDArray, optional
        Example input values used while tracing the backward graph (zeros
        otherwise); the program does not keep them.
    train_mode : bool
        The mode of the forward passes that the backward pass follows: the
        backward graph is traced in it (BatchNorm differentiates through the
        batch statistics in training mode only). Default True; False serves
        ``autograd.record(train_mode=False)``.

    Attributes
    ----------
    graph : Symbol
        The graph that runs: forward outputs, then gradients, after the passes.
    unoptimized_graph : Symbol
        The same graph before the passes.
    memory_plan : MemoryPlan
        ``passes.plan_memory`` of ``graph``; its ``free_after`` says when
        each value is dropped.
    output_names, grad_names, head_grad_names : list of str
    shapes, dtypes : dict
        Shape and dtype of every input of ``graph`` (head gradients included).
    out_shapes, out_dtypes : list

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.sym.var('x')
    >>> prog = GraphProgram(x * x, {'x': (2,)}, None, ['x'], mx.cpu())
    >>> outs, state = prog.run_forward({'x': mx.nd.array([1.0, 3.0])}, is_train=True)
    >>> outs[0].asnumpy()
    array([1., 9.], dtype=float32)
    >>> prog.run_backward(state, [None])['x'].asnumpy()
    array([2., 6.], dtype=float32)
    """

    def __init__(self, symbol, arg_shapes, arg_dtypes, grad_names, ctx, optimize=None,
                 values=None, train_mode=True):
        self.ctx = ctx
        self.train_mode = bool(train_mode)
        self._xp = ctx.xp
        _check_unique_inputs(symbol)
        shapes, dtypes = _infer(symbol, arg_shapes, arg_dtypes or {})
        training = backward_graph.build(symbol, shapes, dtypes, list(grad_names), ctx, values,
                                        self.train_mode)
        self.output_names = symbol.list_outputs()
        self.grad_names = training.grad_names
        self.head_grad_names = training.head_grad_names
        self.out_shapes = [tuple(s) for s in symbol.infer_shape(**shapes)[1]]
        self.out_dtypes = [numpy.dtype(d) for d in symbol.infer_type(**dtypes)[1]]
        self.shapes = dict(shapes)
        self.dtypes = {k: numpy.dtype(v) for k, v in dtypes.items()}
        for name, shape, dtype in zip(self.head_grad_names, self.out_shapes, self.out_dtypes):
            self.shapes[name], self.dtypes[name] = shape, dtype
        self.unoptimized_graph = training.symbol
        if optimize is None:
            optimize = default_optimize()
        self.graph = passes.optimize(training.symbol) if optimize else training.symbol
        from_tape.name_read_outputs(self.graph)
        self._num_outputs = training.num_outputs
        self.memory_plan = self._plan(self.graph)
        self._compile()

    # --- compiling ---------------------------------------------------------

    def _plan(self, graph):
        return passes.plan_memory(graph, self.shapes, self.dtypes)

    def _compile(self):
        graph = self.graph
        nodes = graph._nodes()
        first, count = {}, 0
        for node in nodes:
            first[id(node)] = count
            count += len(node.outputs)
        self._num_slots = count
        slot = {(id(n), i): first[id(n)] + i for n in nodes for i in range(len(n.outputs))}
        self._slot_names = [None] * count
        for (key, name) in backward_graph.entry_names(graph).items():
            self._slot_names[slot[(id(key[0]), key[1])]] = name
        outputs = [slot[(id(n), i)] for n, i in graph._outputs]
        self._out_slots = outputs[:self._num_outputs]
        self._grad_slots = list(zip(self.grad_names, outputs[self._num_outputs:]))
        variables = {n.name: first[id(n)] for n in nodes if n.op is None}
        heads = set(self.head_grad_names)
        self._input_slots = [(name, s) for name, s in variables.items() if name not in heads]
        self._head_slots = [(k, variables[name]) for k, name in enumerate(self.head_grad_names)
                            if name in variables]
        self._ones = {k: self._xp.ones(self.out_shapes[k], dtype=self.out_dtypes[k])
                      for k, _ in self._head_slots}

        forward = _ancestors(graph._outputs[:self._num_outputs])
        train_free = _free_lists(self.memory_plan, slot)
        # A forward pass in the other mode is not followed by backward: a plan
        # of its own frees what only the backward pass would have read.
        forward_only_free = _free_lists(
            self._plan(type(graph)(graph._outputs[:self._num_outputs])), slot)
        self._forward_steps, self._forward_only_steps, self._backward_steps = [], [], []
        for node in nodes:
            if node.op is None:
                continue
            attrs = dict(node.op.defaults or {}, **node.attrs)
            if node.op.needs_ctx:
                attrs['ctx'] = self.ctx
            step = (node.op.forward, attrs, tuple(slot[(id(s), i)] for s, i in node.inputs),
                    first[id(node)], len(node.outputs), node)
            if id(node) in forward:
                self._forward_steps.append(step + (train_free.get(id(node), ()),))
                self._forward_only_steps.append(step + (forward_only_free.get(id(node), ()),))
            else:
                self._backward_steps.append(step + (train_free.get(id(node), ()),))

    # --- running -----------------------------------------------------------

    def run_forward(self, values, is_train, keep_internals=False, monitor=None):
        """Run the forward graph.

        Parameters
        ----------
        values : dict of str to NDArray
            Every input (arguments and auxiliary states; the latter are
            updated in place by BatchNorm in training mode).
        is_train : bool
            Training mode (Dropout active, batch statistics). When it is the
            program's ``train_mode``, what the backward pass reads is kept.
        keep_internals : bool
            Keep every intermediate value (see :meth:`internal_values`).
        monitor : (callable, bool), optional
            ``(callback, monitor_all)``: ``callback(name, NDArray)`` is called
            with every output of every node as it is computed (``fc1_output``),
            and, if ``monitor_all``, with its inputs first (``fc1_data``).

        Returns
        -------
        (list of NDArray, state)
            The outputs, and the state to pass to :meth:`run_backward`
            (None when ``is_train`` is not the program's ``train_mode``).
        """
        vals = [None] * self._num_slots
        try:
            for name, s in self._input_slots:
                vals[s] = values[name]._data
        except KeyError as e:
            raise MXNetError('run_forward: no value for input %s; the inputs are %s'
                             % (e, [n for n, _ in self._input_slots])) from None
        for_backward = bool(is_train) == self.train_mode
        prev = core.set_training(is_train)
        try:
            self._run(self._forward_steps if for_backward else self._forward_only_steps, vals,
                      not keep_internals, monitor)
        finally:
            core.set_training(prev)
        ctx = self.ctx
        outputs = [core.new_ndarray(vals[s], ctx) for s in self._out_slots]
        return outputs, (vals if for_backward or keep_internals else None)

    def run_backward(self, state, head_grads=None, keep_internals=False, monitor=None):
        """Run the backward graph from a training forward pass's ``state``.

        Parameters
        ----------
        state : list
            From :meth:`run_forward` in the program's ``train_mode``; not modified
            (unless ``keep_internals``, which stores the gradients' intermediate
            values in it), so backward may run again from it.
        head_grads : list of (NDArray or None), optional
            The gradient arriving at each output; ones where None.
        keep_internals : bool
        monitor : (callable, bool), optional
            As in :meth:`run_forward`, for the gradient nodes.

        Returns
        -------
        dict of str to NDArray
            The gradient of each name of ``grad_names``.
        """
        if state is None:
            raise MXNetError('backward needs the state of a forward pass run with '
                             'is_train=%s; call forward(is_train=%s) first'
                             % (self.train_mode, self.train_mode))
        vals = state if keep_internals else list(state)
        for k, s in self._head_slots:
            g = head_grads[k] if head_grads is not None else None
            if g is None:
                vals[s] = self._ones[k]
                continue
            if tuple(g.shape) != self.out_shapes[k]:
                raise MXNetError('backward: the gradient of output %r has shape %s; expected '
                                 '%s, the shape of the output' % (self.output_names[k],
                                                                   tuple(g.shape),
                                                                   self.out_shapes[k]))
            vals[s] = g._data
        prev = core.set_training(self.train_mode)
        try:
            self._run(self._backward_steps, vals, not keep_internals, monitor)
        finally:
            core.set_training(prev)
        ctx = self.ctx
        return {name: core.new_ndarray(vals[s], ctx) for name, s in self._grad_slots}

    def _run(self, steps, vals, free, monitor=None):
        if monitor is not None:
            steps = self._monitored(steps, *monitor)
        xp = self._xp
        try:
            for fn, attrs, ins, out, nout, node, drop in steps:
                res = fn(xp, *[vals[i] for i in ins], **attrs)
                if type(res) is tuple:
                    if len(res) < nout:
                        raise MXNetError('returned %d outputs; the graph expects %d'
                                         % (len(res), nout))
                    vals[out:out + nout] = res[:nout]
                else:
                    vals[out] = res
                if free:
                    for i in drop:
                        vals[i] = None
        except Exception as e:
            raise self._error(node, [vals[i] for i in ins], attrs, e) from e

    def _monitored(self, steps, callback, monitor_all):
        """``steps``, with the monitor called on each node's inputs and outputs.

        Each step's forward is wrapped: the callback gets a copy of each value
        as it is made (the memory plan may drop or overwrite the original).
        """
        ctx, names, seen = self.ctx, self._slot_names, set()
        for fn, attrs, ins, out, nout, node, drop in steps:
            keys = (node.op.arg_names if node.op.num_inputs >= 0 else ()) or ()
            # with monitor_all, as in MXNet, a variable is seen under its own
            # name before its first reader sees it as ``<node>_<input>``
            in_names = [(src.name if src.op is None else None,
                         '%s_%s' % (node.name, keys[k] if k < len(keys) else 'input%d' % k))
                        for k, (src, _) in enumerate(node.inputs)]
            out_names = [names[out + i] or '%s_output%d' % (node.name, i) for i in range(nout)]

            def run(xp, *args, _fn=fn, _in=in_names, _out=out_names, **kw):
                if monitor_all:
                    for (variable, name), value in zip(_in, args):
                        if variable is not None and variable not in seen:
                            seen.add(variable)
                            callback(variable, core.new_ndarray(value.copy(), ctx))
                        callback(name, core.new_ndarray(value.copy(), ctx))
                res = _fn(xp, *args, **kw)
                for name, value in zip(_out, res if type(res) is tuple else (res,)):
                    callback(name, core.new_ndarray(value.copy(), ctx))
                return res
            yield run, attrs, ins, out, nout, node, drop

    @staticmethod
    def _error(node, inputs, attrs, exc):
        if any(x is None for x in inputs):
            return MXNetError('node %r (%s): an input value was released before its last '
                              'use (a memory plan error)' % (node.name, node.op.name))
        attrs = {k: v for k, v in attrs.items() if k != 'ctx'}
        return MXNetError('node %r: %s' % (node.name,
                                           operator_error(node.op, inputs, attrs, exc)))

    def internal_values(self, state):
        """``{entry name: NDArray}`` for every value held in ``state``.

        Entry names are those of ``graph.get_internals().list_outputs()``
        (``fc1_output``, ``fc1_backward_dot_output``, ``drop_hidden1``...).
        Run with ``keep_internals=True`` to have them all.
        """
        if state is None:
            return {}
        ctx = self.ctx
        return {name: core.new_ndarray(v, ctx) for name, v in zip(self._slot_names, state)
                if v is not None}


def _check_unique_inputs(symbol):
    """Arrays are bound by name: two different variables may not share one."""
    names = symbol.list_inputs()
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise MXNetError('the graph has several different variables named %s; arrays are '
                         'bound to variables by name, so give each its own name (or use '
                         'one Variable in several places to share it)'
                         % ', '.join(repr(n) for n in twice))


def _free_lists(plan, slot):
    """``id(node) -> slots to drop after that node runs``, from the plan's ``free_after``."""
    return {id(node): tuple(slot[(id(n), i)] for n, i in entries)
            for node, entries in zip(plan.nodes, plan.free_after) if entries}


def _ancestors(entries):
    seen, stack = set(), [n for n, _ in entries]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            stack.extend(src for src, _ in node.inputs)
    return seen


def _infer(symbol, shapes, dtypes):
    """Shapes and dtypes of every input of ``symbol``, or an error naming the unknown ones."""
    inputs = symbol.list_inputs()
    unknown = [k for k in list(shapes) + list(dtypes) if k not in inputs]
    if unknown:
        raise MXNetError('%s %s not an input of the graph; its inputs are %s'
                         % (', '.join(repr(k) for k in unknown),
                            'is' if len(unknown) == 1 else 'are', inputs))
    args, outs, aux = symbol.infer_shape_partial(**shapes)
    names = symbol.list_arguments() + symbol.list_auxiliary_states()
    found = dict(zip(names, args + aux))
    missing = [n for n in names if not found[n] or 0 in found[n]]
    if missing:
        raise MXNetError('cannot infer the shapes of %s from the shapes given (%s); give '
                         'them too' % (', '.join(missing), shapes))
    missing = [n for n, s in zip(symbol.list_outputs(), outs) if not s or 0 in s]
    if missing:
        raise MXNetError('cannot infer the shapes of the outputs %s (an operator of the graph '
                         'has no shape inference, or an empty array)' % ', '.join(missing))
    known = {k: numpy.dtype(v) for k, v in dtypes.items()}
    arg_types, _, aux_types = symbol.infer_type(**known)
    if arg_types is None:
        known.update((n, numpy.dtype(numpy.float32)) for n in names if n not in known)
        arg_types, _, aux_types = symbol.infer_type(**known)
    return found, dict(zip(names, arg_types + aux_types))
