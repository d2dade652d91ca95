"""The training graph of a Symbol: its outputs, then the gradients of its arguments.

MXNet builds the backward graph from each operator's gradient function. Here
every operator's gradient rule (``mxlearn.operator``) is already written with
recordable ``F`` operators, so the backward graph is obtained by *tracing*:

1. run the forward graph once, eagerly, on placeholder arrays of the bound
   shapes and dtypes, under ``autograd.record()``;
2. call the tape's backward with ``create_graph=True`` and placeholder head
   gradients, so that what the gradient rules compute is recorded too;
3. convert that recording into Symbol nodes (``from_tape.py``). The forward
   nodes are the Symbol's own (copied once): the gradient nodes read the same
   forward outputs, so nothing is computed twice.

The result is one Symbol whose inputs are the arguments, the auxiliary states
and one head-gradient variable ``<output>_grad`` per output, and whose outputs
are the forward outputs followed by the gradients asked for.

Two things keep values from the placeholders out of the graph. Every
placeholder is marked as needing a gradient, so anything computed from one is
recorded (not computed once and frozen); and while tracing, operators without
a gradient (comparisons, ``one_hot``) are recorded too, with a rule that
returns no gradient. Arrays a rule creates from nothing (zeros of a given
shape) become constant nodes.
"""
import contextlib

import numpy

from .. import autograd
from .._ext import core
from ..base import MXNetError
from ..operator import OPS
from ..symbol.symbol import Symbol, Variable, _Node, _output_name, constant
from . import from_tape


class TrainingGraph:
    """A training graph and how to read it.

    Attributes
    ----------
    symbol : Symbol
        Outputs: the ``num_outputs`` forward outputs, then one gradient per
        name of ``grad_names``.
    num_outputs : int
    grad_names : list of str
    head_grad_names : list of str
        For each forward output, the name of its head-gradient variable (it
        is an input of ``symbol`` only if some gradient uses it).
    """

    def __init__(self, symbol, num_outputs, grad_names, head_grad_names):
        self.symbol = symbol
        self.num_outputs = num_outputs
        self.grad_names = list(grad_names)
        self.head_grad_names = list(head_grad_names)


def copy_graph(symbol):
    """A copy of ``symbol`` with new nodes (the copy's nodes can be changed freely).

    Examples
    --------
    >>> from mxlearn import symbol as sym
    >>> y = sym.relu(sym.var('x'), name='r')
    >>> z = copy_graph(y)
    >>> z.list_outputs(), z._outputs[0][0] is y._outputs[0][0]
    (['r_output'], False)
    """
    new = {}
    for node in symbol._nodes():
        copy = _Node(node.op, node.op_name, node.name, dict(node.attrs), node.user_attrs,
                     [(new[id(src)], i) for src, i in node.inputs])
        copy.outputs = list(node.outputs)
        new[id(node)] = copy
    return Symbol([(new[id(n)], i) for n, i in symbol._outputs])


def build(symbol, shapes, dtypes, grad_names, ctx, values=None, train_mode=True):
    """Trace the training graph of ``symbol`` (see the module docstring).

    Parameters
    ----------
    symbol : Symbol
    shapes, dtypes : dict of str to tuple / numpy dtype
        For every input (arguments and auxiliary states).
    grad_names : list of str
        The arguments whose gradients the graph computes.
    ctx : Context
    values : dict of str to NDArray, optional
        Values for the placeholders (copied; zeros where missing).
    train_mode : bool
        The mode the gradient rules run in (BatchNorm's backward goes through
        the batch statistics in training mode only), so the mode of the
        forward passes this backward graph follows.

    Returns
    -------
    TrainingGraph

    Examples
    --------
    >>> import numpy as np
    >>> from mxlearn import cpu, symbol as sym
    >>> x = sym.var('x')
    >>> g = build(sym.exp(x, name='e'), {'x': (2,)}, {'x': np.float32}, ['x'], cpu())
    >>> [n.op_name for n in g.symbol._nodes() if n.op is not None]
    ['exp', 'broadcast_mul']
    >>> g.symbol.list_arguments()
    ['x', 'e_output_grad']
    """
    forward = copy_graph(symbol)
    out_names = _unique_names(['%s_grad' % n for n in forward.list_outputs()],
                              set(forward.list_inputs()))
    if not grad_names:
        return TrainingGraph(forward, len(forward), [], out_names)
    xp = ctx.xp
    values = values or {}
    arrays, leaves, tape_nodes, keep = {}, {}, {}, []
    for node in forward._nodes():
        if node.op is None:
            given = values.get(node.name)
            data = (xp.array(given._data, copy=True) if given is not None else
                    xp.zeros(shapes[node.name], dtype=dtypes[node.name]))
            arrays[node.name] = _placeholder(data, ctx)
            leaves[id(arrays[node.name])] = (node, 0)
    tracer = _Tracer(tape_nodes, forward)
    with _recording_everything(tracer.rule_called), _same_random_numbers(ctx), \
            numpy.errstate(all='ignore'), autograd.record(train_mode=train_mode):
        try:
            heads = _run_forward(forward, arrays, ctx, tape_nodes, leaves, keep)
            head_grads = []
            for head, name in zip(heads, out_names):
                head_grads.append(_placeholder(xp.ones(head.shape, dtype=head._data.dtype),
                                               ctx))
                leaves[id(head_grads[-1])] = Variable(name)._outputs[0]
            grads = core.backward(heads, head_grads, True, train_mode,
                                  [arrays[n] for n in grad_names], True)
        except MXNetError as e:
            raise MXNetError('building the backward graph (running the graph once on '
                             'placeholder arrays of the bound shapes) failed:\n%s' % e) from None

    def make_constant(array):
        return constant(array, name=tracer.unique('_constant'))._outputs[0]

    # ``keep`` holds the tape Nodes and arrays whose ids key ``tape_nodes`` and ``leaves``.
    entries = from_tape.convert(grads, leaves, tape_nodes, make_constant, tracer.name)
    del keep
    graph = Symbol(forward._outputs + entries)
    return TrainingGraph(graph, len(forward), grad_names, out_names)


def _unique_names(names, taken):
    result = []
    for name in names:
        unique, k = name, 1
        while unique in taken:
            unique, k = '%s%d' % (name, k), k + 1
        taken.add(unique)
        result.append(unique)
    return result


def _placeholder(data, ctx):
    array = core.new_ndarray(data, ctx)
    array._grad_req = 1   # needs a gradient: everything computed from it is recorded
    return array


def _run_forward(forward, arrays, ctx, tape_nodes, leaves, keep):
    """Run ``forward`` eagerly, recording; map each tape Node to its Symbol node."""
    values = {}
    for node in forward._nodes():
        if node.op is None:
            values[(node, 0)] = arrays[node.name]
            continue
        result = core.invoke(node.op, tuple(values[e] for e in node.inputs),
                             node.attrs or None, ctx)
        outs = result if isinstance(result, list) else [result]
        tape = outs[0]._node
        if tape is not None:
            tape_nodes[id(tape)] = node
            keep.append(tape)
            outs = tape.outputs()   # the hidden ones too
        else:   # an operator without inputs (zeros): its outputs are leaves
            for i, out in enumerate(outs):
                out._grad_req = 1
                leaves[id(out)] = (node, i)
                keep.append(out)
        for i, out in enumerate(outs):
            values[(node, i)] = out
    return [values[e] for e in forward._outputs]


class _Tracer:
    """Names backward nodes after the forward node whose gradient rule made them."""

    def __init__(self, tape_nodes, forward):
        self._tape_nodes = tape_nodes
        self._owner = {}
        self._keep = []
        self._taken = set(n.name for n in forward._nodes())

    def rule_called(self, outputs, grads):
        """Claim the new tape Nodes behind ``grads`` for the forward node of ``outputs``."""
        forward = self._tape_nodes.get(id(outputs[0]._node)) if outputs else None
        if forward is None:
            return
        stack = [g._node for g in grads if g is not None and g._node is not None]
        while stack:
            node = stack.pop()
            if id(node) in self._owner or id(node) in self._tape_nodes:
                continue
            self._owner[id(node)] = forward.name
            self._keep.append(node)
            stack.extend(x._node for x in node.inputs if x._node is not None)

    def unique(self, name):
        return _unique_names([name], self._taken)[0]

    def name(self, tape_node):
        label = tape_node.op.name.lstrip('_')
        owner = self._owner.get(id(tape_node))
        if owner is None:
            return self.unique('_backward_' + label)
        if label.startswith('backward_'):
            return self.unique(owner + '_backward')
        return self.unique('%s_backward_%s' % (owner, label))


def _no_gradient(F, inputs, outputs, ograds, **attrs):
    return [None] * len(inputs)


def _traced(rule, report):
    def gradient(F, inputs, outputs, ograds, **attrs):
        grads = rule(F, inputs, outputs, ograds, **attrs)
        report(outputs, grads)
        return grads
    return gradient


@contextlib.contextmanager
def _recording_everything(report):
    """Record every operator (those without a gradient too); report each rule's results."""
    saved = [(op, op.gradient) for op in {id(op): op for op in OPS.values()}.values()]
    try:
        for op, rule in saved:
            op.gradient = _traced(rule or _no_gradient, report)
        yield
    finally:
        for op, rule in saved:
            op.gradient = rule


@contextlib.contextmanager
def _same_random_numbers(ctx):
    """Leave the device's random generator as it was (tracing Dropout draws numbers)."""
    from ..operator.random import generator
    gen = generator(ctx)
    bits = getattr(gen, 'bit_generator', None)
    state = bits.state if bits is not None else None
    try:
        yield
    finally:
        if state is not None:
            bits.state = state


def entry_names(symbol):
    """``{(node, index): name}`` for every output of every node of ``symbol``.

    Examples
    --------
    >>> from mxlearn import symbol as sym
    >>> sorted(entry_names(sym.relu(sym.var('x'), name='r')).values())
    ['r_output', 'x']
    """
    return {(n, i): _output_name(n, i) for n in symbol._nodes() for i in range(len(n.outputs))}
