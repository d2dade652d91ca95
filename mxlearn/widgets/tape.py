"""The autograd tape, drawn: :class:`TapeView` and the backward replay it shows.

Under ``autograd.record()`` every operation puts a ``Node`` on the tape: the
operator, its attributes, its input NDArrays (which carry their own producer
Nodes, so the Nodes form a graph) and its outputs. ``backward`` walks that
graph from the head back to the variables and keeps only the variables'
gradients. :func:`replay_backward` does the same walk in plain Python and keeps
*every* gradient, so that the view can show each node's gradient and the
backward pass step by step.
"""
from collections import namedtuple

from .. import autograd
from .. import ndarray as nd
from ..base import MXNetError
from .base import FigureWidget, short_value
from .controls import slider
from .dag import auto_layout, draw_dag, figure_size

#: One step of the replayed backward pass: the Node whose gradient rule ran
#: (None for step 0, where only the head gradient is known) and every gradient
#: known after it, keyed by :func:`grad_key`.
Step = namedtuple('Step', ['node', 'grads'])

_FREED = ('the recording behind this array was freed by backward(); build the %s '
          'before calling backward(), or call backward(retain_graph=True)')


def grad_key(array):
    """The key of ``array``'s gradient in :attr:`Step.grads`.

    A leaf (a variable or a constant) is keyed by its identity; a recorded
    result by ``(node, output index)``, since the same result may reach the
    tape through several NDArray objects.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([1.0])
    >>> grad_key(x) == id(x)
    True
    """
    return id(array) if array._node is None else (array._node, array._oidx)


def walk_tape(head, what='TapeView'):
    """The Nodes recorded for ``head`` (every Node after its inputs) and the leaves they read.

    Parameters
    ----------
    head : NDArray
        A result computed under ``autograd.record()``.
    what : str
        The name used in the error message.

    Returns
    -------
    nodes : list of Node
    leaves : list of NDArray
        The inputs that no recorded operation produced, in the order first met.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([1.0, 2.0]); x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = (x * x).sum()
    >>> nodes, leaves = walk_tape(y)
    >>> [n.op.name for n in nodes], leaves[0] is x
    (['broadcast_mul', 'sum'], True)
    """
    if head._node is None:
        return [], [head]
    if head._node.freed:
        raise MXNetError(_FREED % what)
    nodes, seen, leaves = [], {head._node}, {}
    # Depth first, a Node is listed once all its inputs' Nodes are.
    stack = [(head._node, list(head._node.inputs))]
    while stack:
        node, pending = stack[-1]
        if not pending:
            stack.pop()
            nodes.append(node)
            continue
        x = pending.pop(0)
        if x._node is None:
            leaves.setdefault(id(x), x)
        elif x._node not in seen:
            if x._node.freed:
                raise MXNetError(_FREED % what)
            seen.add(x._node)
            stack.append((x._node, list(x._node.inputs)))
    return nodes, list(leaves.values())


def replay_backward(head, head_grad=None):
    """Backpropagate through the recording by hand, keeping every gradient.

    This is what ``head.backward()`` does, written out: start with the head
    gradient (ones by default), then visit the Nodes from the head back to the
    inputs; each Node's operator turns the gradients of its outputs into
    gradients of its inputs (``op.gradient``, the same rule ``backward``
    uses), and an array used several times sums the gradients from each use.

    Parameters
    ----------
    head : NDArray
        A result computed under ``autograd.record()``; its recording must not
        have been freed by a ``backward`` yet.
    head_grad : NDArray, optional
        The gradient flowing into ``head``; ones by default.

    Returns
    -------
    list of Step
        Step 0 knows only the head gradient; step k adds the gradients given
        by the k-th Node visited. The last step holds every gradient.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([3.0]); x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = x * x + x
    >>> steps = replay_backward(y)
    >>> [s.node.op.name for s in steps[1:]]
    ['broadcast_add', 'broadcast_mul']
    >>> steps[-1].grads[grad_key(x)].asscalar()
    7.0
    """
    nodes, _ = walk_tape(head, 'replay')
    grads = {grad_key(head): head_grad if head_grad is not None else nd.ones_like(head)}
    steps = [Step(None, dict(grads))]
    with autograd.pause(train_mode=True):
        for node in reversed(nodes):
            out_grads = [grads.get((node, i)) for i in range(len(node.out_data))]
            if all(g is None for g in out_grads):
                continue  # this result does not lead to the head
            outputs = node.outputs()
            # Outputs that did not reach the head get zero gradients; hidden
            # outputs (saved for the rule only) get None, as in backward().
            visible = len(outputs) if node.op.num_visible < 0 else node.op.num_visible
            for i in range(visible):
                if out_grads[i] is None:
                    out_grads[i] = nd.zeros_like(outputs[i])
            in_grads = node.op.gradient(nd, node.inputs, tuple(outputs), tuple(out_grads),
                                        **node.attrs)
            for x, g in zip(node.inputs, in_grads):
                if g is not None:
                    key = grad_key(x)
                    grads[key] = g if key not in grads else grads[key] + g
            steps.append(Step(node, dict(grads)))
    return steps


def _op_title(node):
    # Attributes left at their defaults would only crowd the box.
    defaults = node.op.defaults or {}
    attrs = {k: v for k, v in (node.attrs or {}).items()
             if k == 'scalar' or k not in defaults or defaults[k] != v}
    if set(attrs) == {'scalar'}:
        return '%s %g' % (node.op.name, attrs['scalar'])
    text = ' '.join('%s=%s' % kv for kv in sorted(attrs.items()))
    title = ('%s %s' % (node.op.name, text)).strip()
    return title if len(title) <= 22 else title[:21] + '…'


class TapeView(FigureWidget):
    """The autograd recording behind an NDArray, drawn, with every node's value and gradient.

    Each recorded operation is a blue box (operator, output shape, value);
    variables (``attach_grad``) are green, constants grey, the head has an
    orange border. The gradients come from :func:`replay_backward`, so build
    the view *before* ``head.backward()`` frees the recording (or call
    ``backward(retain_graph=True)``). The ``backward step`` slider replays the
    backward pass one node at a time: the node whose gradient rule runs is
    outlined in red, and red arrows show where gradients have flowed.

    Parameters
    ----------
    head : NDArray
        A result computed under ``autograd.record()`` (e.g. a loss).
    head_grad : NDArray, optional
        The gradient flowing into ``head``; ones by default.
    names : dict, optional
        Name -> NDArray, to label the arrays of your code (``dict(x=x, w=w)``).
    step : int, optional
        The backward step shown first; the last one (all gradients) by default.
    max_nodes : int
        Refuse to draw recordings with more operations than this (the boxes
        would be too small to read).

    Attributes
    ----------
    nodes : list of Node
        The recorded operations, every one after its inputs.
    leaves : list of NDArray
        The variables and constants they read.
    steps : list of Step
        The replayed backward pass (see :func:`replay_backward`).

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([1.0, 2.0]); x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = (x * x).sum()
    >>> view = TapeView(y, names=dict(x=x))
    >>> [n.op.name for n in view.nodes]
    ['broadcast_mul', 'sum']
    >>> view.grad(x)
    array([2., 4.], dtype=float32)
    """

    def __init__(self, head, head_grad=None, names=None, step=None, max_nodes=60):
        self.nodes, self.leaves = walk_tape(head)
        if len(self.nodes) > max_nodes:
            raise MXNetError('TapeView: the recording has %d operations; it draws at most '
                             '%d (pass max_nodes=... to draw more, or record a smaller '
                             'expression)' % (len(self.nodes), max_nodes))
        self.steps = replay_backward(head, head_grad)
        self._head = head._node if head._node is not None else id(head)
        self._names = {grad_key(a): n for n, a in (names or {}).items()}
        # Everything is copied to numpy now: a later backward() frees the Nodes.
        self._values = {id(a): a.asnumpy() for a in self.leaves}
        for node in self.nodes:
            self._values[node] = [o.asnumpy() for o in node.outputs()]
        self._grads = [{k: g.asnumpy() for k, g in s.grads.items()} for s in self.steps]
        self._variables = {id(a) for a in self.leaves if a._grad_req}
        self._inputs = {node: [x._node if x._node is not None else id(x) for x in node.inputs]
                        for node in self.nodes}
        vertices = [id(a) for a in self.leaves] + self.nodes
        self._pos, self._routes, self._vertical = auto_layout(vertices, self._inputs)
        size, self._font = figure_size(self._pos, self._routes)
        super().__init__(figsize=size)
        last = len(self.steps) - 1
        self.add_control('step', slider('backward step', last if step is None else step,
                                        0, last))
        self.redraw()

    def grad(self, array, step=None):
        """The gradient of ``array`` (a leaf or a recorded result) as numpy, or None.

        Parameters
        ----------
        array : NDArray
        step : int, optional
            After which backward step; the last one by default.
        """
        grads = self._grads[-1 if step is None else step]
        return grads.get(grad_key(array))

    def _label(self, v, grads):
        if isinstance(v, int):  # a leaf
            kind = 'variable' if v in self._variables else 'constant'
            title = self._names.get(v, kind)
            value, g = self._values[v], grads.get(v) if v in self._variables else None
        else:
            title = _op_title(v)
            out = [(v, i) for i in range(len(self._values[v]))]
            named = [self._names[k] for k in out if k in self._names]
            if named:
                title = '%s = %s' % (named[0], title)
            value, g = self._values[v][0], grads.get(out[0])
        lines = [str(tuple(value.shape)), 'val ' + short_value(value, max_chars=19)]
        if g is not None:
            lines.append('grad ' + short_value(g, max_chars=18))
        return title, '\n'.join(lines)

    def draw(self):
        k = self.values['step']
        grads = self._grads[k]
        current = self.steps[k].node
        done = {s.node for s in self.steps[1:k + 1]}
        labels, styles, edges, edge_styles = {}, {}, [], {}
        for v in self._pos:
            labels[v] = self._label(v, grads)
            if isinstance(v, int):
                styles[v] = dict(fc='#c7e9c0' if v in self._variables else '#eeeeee')
            else:
                styles[v] = dict(fc='#c6dbef')
                for u in self._inputs[v]:
                    edges.append((u, v))
                    if v in done:
                        edge_styles[(u, v)] = dict(color='#d62728', lw=1.4)
        styles[self._head].update(ec='#e6550d', lw=2.2)
        if current is not None:
            styles[current].update(ec='#d62728', lw=2.6, fc='#fcbba1')
        top = 1 - 0.4 / self.figure.get_size_inches()[1]  # room for the title line
        ax = self.figure.add_axes([0.01, 0.01, 0.98, top - 0.01])
        draw_dag(ax, self._pos, edges, labels, styles, edge_styles, self._routes,
                 self._vertical, fontsize=self._font)
        text = 'backward step %d of %d: ' % (k, len(self.steps) - 1) + (
            'only the head gradient is known' if current is None else
            'the gradient rule of %s runs' % current.op.name)
        self.figure.suptitle(text, fontsize=self._font + 1,
                             y=1 - 0.1 / self.figure.get_size_inches()[1])

    def __repr__(self):
        return '<TapeView: %d operations, %d leaves>' % (len(self.nodes), len(self.leaves))
