"""A symbol graph, drawn: :class:`GraphView`, with every node's value and gradient.

``mx.viz.plot_network`` draws a graph with graphviz, which needs a program
outside Python and shows nothing but the structure. This view draws the same
graph with matplotlib (:mod:`.dag`), each box holding the node's operator and
output shape, and, once the graph has run, its value and its gradient. A
dropdown selects a node, whose value and gradient are drawn in full under the
graph.

The run is imperative and readable rather than fast: every node's operator is
called through the registry under ``autograd.record()`` (``Symbol.eval`` on
``get_internals()``), and :func:`~mxlearn.widgets.tape.replay_backward` walks
the recording back from the outputs keeping every intermediate gradient, which
an executor's ``backward`` throws away.
"""
import itertools

import numpy as np
from matplotlib.ticker import MaxNLocator

from .. import autograd
from .. import ndarray as nd
from ..base import MXNetError
from ..executor.from_tape import num_visible
from ..symbol import Symbol
from ..symbol.symbol import _output_name
from ..visualization import _op_label, looks_like_weight, op_color
from .base import FigureWidget, short_value
from .controls import dropdown
from .dag import auto_layout, draw_dag, figure_size
from .tape import grad_key, replay_backward, walk_tape

#: Height (inches) of the panel under the graph that shows the selected node.
DETAIL_IN = 2.3
#: The panel draws at most this many rows and columns of an array.
MAX_CELLS = (64, 512)


def _op_text(node):
    """One line for an operator node: ``plot_network``'s label, else the operator's name."""
    label = _op_label(node)
    return ' '.join(label.split('\n')) if label != node.name else node.op_name


def _fit(text, width=22):
    return text if len(text) <= width else text[:width - 1] + '…'


def _as_matrix(a):
    """An array as 2-D (rows = first axis) for ``imshow``, cut to :data:`MAX_CELLS`."""
    a = np.asarray(a, dtype=float)
    a = a.reshape(1, -1) if a.ndim < 2 else a.reshape(a.shape[0], -1)
    return a[:MAX_CELLS[0], :MAX_CELLS[1]]


def _stats(a):
    return 'mean %.3g  std %.3g  min %.3g  max %.3g' % (a.mean(), a.std(), a.min(), a.max())


class GraphView(FigureWidget):
    """A graph (Symbol, executor, recording) drawn with each node's shape, value, gradient.

    Boxes are coloured by operator family as in ``mx.viz.plot_network``;
    variables are the inputs, outputs have an orange border, the node chosen
    in the ``node`` dropdown a red one, and its value and gradient are drawn
    as heat maps under the graph (rows are the first axis; the other axes are
    flattened).

    Values and gradients appear after :meth:`run` (called for you when the
    view is built from an executor, whose arrays it reads). The gradients are
    those of the outputs with head gradients of ones (or ``head_grads``), as
    ``executor.backward()`` computes them, but for every node, not only the
    arguments.

    Parameters
    ----------
    source : Symbol, Executor or NDArray
        The graph. From an executor, the view runs its symbol on copies of its
        ``arg_dict`` and ``aux_dict`` (the executor itself is untouched). From
        an NDArray computed under ``autograd.record()``, the graph is the
        recording (``autograd.get_symbol``), run again on copies of the
        arrays it started from (random operators such as Dropout draw anew).
    shape : dict of str to tuple, optional
        Input shapes, to show every node's output shape before a run.
    hide_weights : bool
        Leave the layers' parameters (``*_weight``, ``*_bias`` ...) out of
        the drawing, as ``plot_network`` does (they still run).
    node : str, optional
        The node (or output name, e.g. ``'fc1_output'``) selected first; the
        first output by default.
    names : dict of str to NDArray, optional
        For a recording: names of the arrays it started from (``dict(x=x)``);
        the others are called ``var0``, ``var1``, ...
    max_nodes : int
        Refuse to draw graphs with more boxes than this (they would be unreadable).

    Attributes
    ----------
    symbol : Symbol
    entries : list of (node, index)
        Every output of every node, in graph order (the dropdown's choices).

    Examples
    --------
    >>> import numpy as np
    >>> import mxlearn as mx
    >>> x = mx.sym.var('x')
    >>> y = mx.sym.sum(mx.sym.relu(x, name='r') * 2, name='total')
    >>> view = GraphView(y, shape={'x': (3,)})
    >>> view.shape('r')
    (3,)
    >>> view.run(x=np.array([-1.0, 0.5, 2.0]))
    >>> view.value('r'), view.grad('x')
    (array([0. , 0.5, 2. ]), array([0., 2., 2.]))

    The same from an autograd recording:

    >>> x = mx.nd.array([-1.0, 0.5, 2.0])
    >>> x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = (mx.nd.relu(x) * 2).sum()
    >>> GraphView(y, names={'x': x}).grad('x')
    array([0., 2., 2.], dtype=float32)
    """

    def __init__(self, source, shape=None, hide_weights=False, node=None, names=None,
                 max_nodes=60):
        from ..executor import Executor
        values = None
        if isinstance(source, Symbol):
            self.symbol = source
        elif isinstance(source, Executor):
            self.symbol = source._symbol
            values = dict(source.arg_dict, **source.aux_dict)
            shape = {k: v.shape for k, v in source.arg_dict.items()}
        elif isinstance(source, nd.NDArray):
            # Every array the recording started from gets a name, so the run can use them.
            _, leaves = walk_tape(source, 'GraphView')
            given = {id(a): n for n, a in (names or {}).items()}
            unnamed = (n for n in ('var%d' % k for k in itertools.count())
                       if n not in (names or {}))
            values = {given[id(a)] if id(a) in given else next(unnamed): a for a in leaves}
            self.symbol = autograd.get_symbol(source, names=values)
        else:
            raise MXNetError('GraphView shows a Symbol, an Executor or a recorded NDArray, '
                             'got %s' % type(source).__name__)
        # A recording keeps hidden outputs (a dropout mask) that only its gradient reads.
        self.entries = [(n, i) for n, i in self.symbol.get_internals()._outputs
                        if n.op is None or i < num_visible(n.op, n.attrs, len(n.outputs))]
        self._internals = Symbol(self.entries)
        self._shapes = dict(zip(self.entries, self._internals.infer_shape_partial(
            **(shape or {}))[1]))
        self._values, self._grads = {}, {}
        nodes = self.symbol._nodes()
        hidden = {n for n in nodes if n.op is None and hide_weights and looks_like_weight(n.name)}
        self._vertices = [n for n in nodes if n not in hidden]
        if len(self._vertices) > max_nodes:
            raise MXNetError('GraphView: the graph has %d nodes; it draws at most %d (pass '
                             'max_nodes=... or hide_weights=True)'
                             % (len(self._vertices), max_nodes))
        self._inputs = {n: [src for src, _ in n.inputs if src not in hidden]
                        for n in self._vertices}
        self._heads = {n for n, _ in self.symbol._outputs}
        self._pos, self._routes, self._vertical = auto_layout(self._vertices, self._inputs)
        (width, height), self._font = figure_size(self._pos, self._routes, (11.0, 14.0))
        super().__init__(figsize=(max(width, 7.0), height + DETAIL_IN))
        options = [('%s (%s)' % (_output_name(n, i), n.op_name), k)
                   for k, (n, i) in enumerate(self.entries)]
        first = self.entries.index(self._entry(node)) if node is not None else (
            self.entries.index(self.symbol._outputs[0]))
        self.add_control('node', dropdown('node', options, first))
        self.controls['node'].layout.width = '320px'
        if values is not None:
            self.run(**values)
        else:
            self.redraw()

    # ------------------------------------------------------------ queries --

    def _entry(self, name):
        """The entry of a node name (its first output) or of an output name."""
        for node, i in self.entries:
            if name == _output_name(node, i) or (name == node.name and i == 0):
                return node, i
        raise MXNetError('GraphView: the graph has no node or output named %r; it has %s'
                         % (name, ', '.join(_output_name(n, i) for n, i in self.entries)))

    @property
    def selected(self):
        """The entry ``(node, output index)`` chosen in the dropdown."""
        return self.entries[self.values['node']]

    def select(self, name):
        """Choose a node (or output) by name, as the dropdown does, and redraw."""
        self.controls['node'].value = self.entries.index(self._entry(name))

    def shape(self, name):
        """The output shape of a node (or output) by name: from the last run, else inferred."""
        entry = self._entry(name)
        if entry in self._values:
            return self._values[entry].shape
        return self._shapes.get(entry) or None

    def value(self, name):
        """The value of a node (or output) in the last run, as numpy; None before a run."""
        return self._values.get(self._entry(name))

    def grad(self, name):
        """The gradient of the outputs with respect to a node (or output), as numpy.

        None before a run, and for nodes the outputs do not depend on.
        """
        return self._grads.get(self._entry(name))

    # ---------------------------------------------------------------- run --

    def run(self, head_grads=None, is_train=True, **inputs):
        """Run the graph on ``inputs`` and keep every node's value and gradient; redraw.

        Parameters
        ----------
        head_grads : list of NDArray, optional
            The gradient flowing into each output; ones by default.
        is_train : bool
            Run the operators in training mode (Dropout active, BatchNorm on
            batch statistics), as ``executor.forward(is_train=True)``.
        **inputs : NDArray or numpy.ndarray
            A value for every input of the graph (``list_inputs()``), by name.
            They are copied: the run changes none of them.
        """
        names = self.symbol.list_inputs()
        missing = [n for n in names if n not in inputs]
        unknown = sorted(set(inputs) - set(names))
        if missing or unknown:
            raise MXNetError('GraphView.run needs a value for every input of the graph (%s)%s%s'
                             % (', '.join(names),
                                '; missing: %s' % ', '.join(missing) if missing else '',
                                '; not inputs: %s' % ', '.join(unknown) if unknown else ''))
        arrays = {}
        for name, v in inputs.items():
            arrays[name] = v.copy() if isinstance(v, nd.NDArray) else nd.array(
                v, dtype=np.asarray(v).dtype)
            arrays[name].attach_grad()
        with autograd.record(train_mode=is_train):
            results = dict(zip(self.entries, self._internals.eval(**arrays)))
        heads = self.symbol._outputs
        if head_grads is not None and len(head_grads) != len(heads):
            raise MXNetError('GraphView.run: %d head_grads given for %d outputs'
                             % (len(head_grads), len(heads)))
        grads = {}
        for k, head in enumerate(heads):
            given = head_grads[k] if head_grads is not None else None
            for key, g in replay_backward(results[head], given)[-1].grads.items():
                grads[key] = g if key not in grads else grads[key] + g
        self._values = {e: a.asnumpy() for e, a in results.items()}
        self._grads = {}
        for e, a in results.items():
            g = grads.get(grad_key(a))
            if g is not None:
                self._grads[e] = g.asnumpy()
        self.redraw()

    # --------------------------------------------------------------- draw --

    def _label(self, node):
        if node.op is None:
            title, lines = node.name, ['variable']
        else:
            title, lines = node.name, [_fit(_op_text(node))]
        entry = (node, 0)
        shape = self._values[entry].shape if entry in self._values else self._shapes.get(entry)
        lines.append(str(tuple(shape)) if shape else 'shape ?')
        if entry in self._values:
            lines.append('val ' + short_value(self._values[entry], max_chars=18))
            if entry in self._grads:
                lines.append('grad ' + short_value(self._grads[entry], max_chars=17))
        return _fit(title), '\n'.join(lines)

    def draw(self):
        selected = self.selected
        labels, styles, edges = {}, {}, []
        for v in self._vertices:
            labels[v] = self._label(v)
            styles[v] = dict(fc=op_color(v.op.name if v.op is not None else None))
            if v in self._heads:
                styles[v].update(ec='#e6550d', lw=2.2)
            edges.extend((u, v) for u in self._inputs[v])
        if selected[0] in styles:
            styles[selected[0]].update(ec='#d62728', lw=2.8)
        w, h = self.figure.get_size_inches()
        graph = self.figure.add_axes([0.01, DETAIL_IN / h, 0.98, 1 - DETAIL_IN / h - 0.01])
        draw_dag(graph, self._pos, edges, labels, styles, routes=self._routes,
                 vertical=self._vertical, fontsize=self._font)
        self._draw_detail(selected, h)

    def _draw_detail(self, entry, height):
        font = max(self._font, 8.0)  # the panel has room even when the graph is shrunk
        node, i = entry
        name = _output_name(node, i)
        what = 'input' if node.op is None else _op_text(node)
        if entry not in self._values:
            shape = self._shapes.get(entry)
            self.figure.text(0.02, (DETAIL_IN - 0.35) / height,
                             '%s (%s), shape %s: run the graph (view.run(...)) to see its '
                             'value and gradient' % (name, what, tuple(shape) if shape else '?'),
                             fontsize=font + 1)
            return
        value = self._values[entry]
        self.figure.text(0.02, (DETAIL_IN - 0.3) / height, '%s (%s): shape %s, %s'
                         % (name, what, value.shape, value.dtype),
                         fontsize=font + 1, fontweight='bold')
        bottom, top = 0.15 / height, (DETAIL_IN - 0.85) / height
        panels = [('value', value, 'viridis'), ('gradient', self._grads.get(entry), 'RdBu_r')]
        for k, (title, a, cmap) in enumerate(panels):
            ax = self.figure.add_axes([0.06 + 0.48 * k, bottom, 0.42, top - bottom])
            if a is None:
                ax.axis('off')
                ax.text(0.5, 0.5, 'no gradient: the outputs do not depend on it',
                        ha='center', va='center', fontsize=font, transform=ax.transAxes)
                continue
            m = _as_matrix(a)
            limit = np.abs(m).max() or 1.0
            ax.imshow(m, aspect='auto', cmap=cmap, interpolation='nearest',
                      **(dict(vmin=-limit, vmax=limit) if title == 'gradient' else {}))
            ax.set_title('%s: %s' % (title, _stats(np.asarray(a, dtype=float))),
                         fontsize=font)
            ax.tick_params(labelsize=font * 0.8)
            for axis in (ax.xaxis, ax.yaxis):  # cells are indices: whole-number ticks
                axis.set_major_locator(MaxNLocator(nbins=5, integer=True, min_n_ticks=1))

    def __repr__(self):
        ran = 'ran' if self._values else 'not run'
        return '<GraphView: %d nodes, %s>' % (len(self._vertices), ran)
