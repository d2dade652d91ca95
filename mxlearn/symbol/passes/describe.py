"""What a pass changed: the nodes removed and added between two graphs."""
import collections
import html

from .graph import topological


class GraphDiff:
    """The operator nodes of ``after`` that ``before`` lacks (added) and the reverse.

    Nodes are matched by name and operator, so a node that a pass replaced
    under the same name (a fused group keeps its last node's name) appears in
    both lists.

    Attributes
    ----------
    removed, added : list of (name, op_name, detail)
        ``detail`` is a fused node's program, '' for others.
    before, after : int
        The number of operator nodes of each graph.
    """

    def __init__(self, before, after):
        def ops(sym):
            return [(n.name, n.op_name, n.attrs.get('program', '') if n.op_name ==
                     '_fused_elemwise' else '') for n in topological(sym) if n.op is not None]
        old, new = ops(before), ops(after)
        self.before, self.after = len(old), len(new)
        self.removed = list((collections.Counter(old) - collections.Counter(new)).elements())
        self.added = list((collections.Counter(new) - collections.Counter(old)).elements())

    def _lines(self):
        yield 'operator nodes: %d -> %d' % (self.before, self.after)
        for sign, items in (('-', self.removed), ('+', self.added)):
            for name, op, detail in items:
                yield '  %s %s (%s)%s' % (sign, name, op, ': ' + detail if detail else '')

    def __repr__(self):
        return '\n'.join(self._lines())

    def _repr_html_(self):
        return '<pre>%s</pre>' % html.escape(repr(self))


def describe(before, after):
    """What changed from graph ``before`` to graph ``after`` (e.g. one pass).

    Examples
    --------
    >>> from mxlearn import symbol as sym
    >>> from mxlearn.symbol.passes import fuse_elementwise
    >>> y = sym.tanh(sym.exp(sym.var('x'), name='e'), name='t')
    >>> describe(y, fuse_elementwise(y))
    operator nodes: 2 -> 1
      - e (exp)
      - t (tanh)
      + t (_fused_elemwise): r0 = exp(x0); r1 = tanh(r0)
    """
    return GraphDiff(before, after)
