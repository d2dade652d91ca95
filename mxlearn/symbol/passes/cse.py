"""Common-subexpression elimination: compute each distinct value once."""
import numpy

from ..symbol import Symbol
from .graph import copy_node, side_effect, topological

# Operators whose two inputs can be swapped without changing the result.
COMMUTATIVE = {'broadcast_add', 'broadcast_mul', 'broadcast_maximum', 'broadcast_minimum',
               'broadcast_hypot', 'broadcast_equal', 'broadcast_not_equal'}


def _value_key(value):
    """A hashable stand-in for an attribute value that is equal only for equal values.

    Plain values compare by ``repr`` (so ``1`` and ``1.0`` stay apart); other
    objects (a constant's array) only by identity.
    """
    if isinstance(value, (tuple, list)):
        return tuple(_value_key(v) for v in value)
    if value is None or isinstance(value, (str, int, float, numpy.dtype, numpy.generic)):
        return repr(value)
    return ('object', id(value))


def _key(node, classes):
    """What makes two nodes compute the same value: op, attributes and input classes."""
    inputs = [(classes[id(src)], i) for src, i in node.inputs]
    if node.op.name in COMMUTATIVE:
        inputs.sort()
    attrs = tuple(sorted((k, _value_key(v)) for k, v in node.attrs.items()))
    user = tuple(sorted(node.user_attrs.items()))
    return node.op.name, attrs, user, tuple(inputs)


def eliminate_common_subexpressions(sym):
    """Merge the nodes that compute the same value, so that it is computed once.

    Two operator nodes are the same when they have the same operator (aliases
    count as one: ``elemwise_add`` is ``broadcast_add``), the same attributes
    and the same inputs, after merging their inputs (so whole repeated
    subgraphs merge), with the inputs of commutative operators in any order.
    Nodes with side effects are never merged (see ``graph.side_effect``:
    two Dropouts of one input draw different masks).

    A node that is an output of the graph keeps its own name: among nodes
    that merge, an output is the one kept, and two outputs both stay, so
    ``list_outputs()`` does not change.

    Parameters
    ----------
    sym : Symbol

    Returns
    -------
    Symbol
        A new graph computing the same outputs (``sym`` is not changed).

    Examples
    --------
    >>> from mxlearn import symbol as sym
    >>> x = sym.var('x')
    >>> y = sym.elemwise_add(sym.exp(x, name='a'), sym.exp(x, name='b'), name='s')
    >>> y.get_internals().list_outputs()
    ['x', 'a_output', 'b_output', 's_output']
    >>> eliminate_common_subexpressions(y).get_internals().list_outputs()
    ['x', 'a_output', 's_output']
    """
    nodes = topological(sym)
    heads = {id(node) for node, _ in sym._outputs}
    classes, members, seen = {}, {}, {}
    for node in nodes:
        if node.op is None or side_effect(node):
            classes[id(node)] = len(seen)
            seen[('unique', id(node))] = classes[id(node)]
        else:
            key = _key(node, classes)
            classes[id(node)] = seen.setdefault(key, len(seen))
        members.setdefault(classes[id(node)], []).append(node)
    # The node kept for each class: its first output node, else its first node.
    keeper = {c: next((n for n in group if id(n) in heads), group[0])
              for c, group in members.items()}
    built, own = {}, {}  # class -> its kept node's copy; output node -> its copy
    for node in nodes:
        c = classes[id(node)]
        inputs = [(built[classes[id(src)]], i) for src, i in node.inputs]
        if c not in built:
            kept = keeper[c]
            built[c] = kept if kept.op is None else copy_node(kept, inputs)
        if id(node) in heads:
            own[id(node)] = built[c] if node is keeper[c] else copy_node(node, inputs)
    return Symbol([(own[id(node)], i) for node, i in sym._outputs])
