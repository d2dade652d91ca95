"""What the graph passes share: walking a graph, copying nodes, and side effects.

A Symbol is a list of entries ``(node, output_index)``; nodes point at the
entries they read. A pass never changes a node: it builds new operator nodes
(variables are shared, they carry no computation) and returns a new Symbol.
"""
from ..symbol import Symbol, _Node, _topological

# Operators with side effects. Two calls of one of these with the same inputs
# are not the same value, so common-subexpression elimination must keep both:
# - the operators of these modules: random sampling, and optimizer updates,
#   which write the weight and the states in place;
SIDE_EFFECT_MODULES = {
    'mxlearn.operator.random': 'reads the random generator',
    'mxlearn.operator.optimizer_updates': 'updates its inputs in place',
}
# - and these: Dropout draws its mask; BatchNorm updates its moving mean and
#   variance (auxiliary states) in place during training.
SIDE_EFFECT_OPS = {
    'Dropout': 'reads the random generator',
    'BatchNorm': 'updates its auxiliary states in place',
}


def side_effect(node):
    """Why ``node`` must not be merged with an identical-looking one, or None.

    Examples
    --------
    >>> from mxlearn import symbol as sym
    >>> side_effect(sym.Dropout(sym.var('x'), p=0.5)._outputs[0][0])
    'reads the random generator'
    >>> side_effect(sym.relu(sym.var('x'))._outputs[0][0]) is None
    True
    """
    op = node.op
    if op is None:
        return None
    if op.name == 'LeakyReLU' and node.attrs.get('act_type') == 'rrelu':
        return 'reads the random generator'
    return SIDE_EFFECT_OPS.get(op.name) or SIDE_EFFECT_MODULES.get(
        getattr(op.forward, '__module__', None))


def topological(sym):
    """The nodes of ``sym`` in execution order (inputs before the nodes that read them).

    Examples
    --------
    >>> from mxlearn import symbol as sym
    >>> [n.name for n in topological(sym.relu(sym.var('x'), name='r'))]
    ['x', 'r']
    """
    return _topological(sym._outputs)


def consumers(nodes, heads=()):
    """For each node (by ``id``), the list of nodes that read one of its outputs.

    A node that reads an entry twice appears twice; each head adds a None.

    Examples
    --------
    >>> from mxlearn import symbol as sym
    >>> x = sym.var('x')
    >>> y = sym.elemwise_mul(x, x, name='m')
    >>> [n.name for n in consumers(topological(y))[id(x._outputs[0][0])]]
    ['m', 'm']
    """
    users = {id(n): [] for n in nodes}
    for node in nodes:
        for src, _ in node.inputs:
            users[id(src)].append(node)
    for src, _ in heads:
        users[id(src)].append(None)
    return users


def copy_node(node, inputs, **changes):
    """A new node like ``node`` reading ``inputs`` (fields in ``changes`` replaced).

    Examples
    --------
    >>> from mxlearn import symbol as sym
    >>> node = sym.relu(sym.var('x'), name='r')._outputs[0][0]
    >>> copy_node(node, node.inputs, name='r2').name
    'r2'
    """
    fields = dict(op=node.op, op_name=node.op_name, name=node.name, attrs=dict(node.attrs),
                  user_attrs=node.user_attrs)
    fields.update(changes)
    new = _Node(fields['op'], fields['op_name'], fields['name'], fields['attrs'],
                fields['user_attrs'], list(inputs))
    if 'op' not in changes and 'attrs' not in changes:
        # keep the names of hidden outputs a backward graph reads (a dropout mask)
        new.outputs = list(node.outputs)
    return new


def rebuild(sym, replace=None):
    """A copy of ``sym``'s graph, with new operator nodes (variables are shared).

    Parameters
    ----------
    sym : Symbol
    replace : callable, optional
        ``replace(node, inputs, mapped)``: ``inputs`` are the node's inputs
        mapped into the new graph, and ``mapped(entry)`` maps any entry of an
        earlier node; returns the new node, or None for a plain copy.

    Returns
    -------
    Symbol
        With the same outputs, in order.

    Examples
    --------
    >>> from mxlearn import symbol as sym
    >>> y = sym.relu(sym.var('x'))
    >>> z = rebuild(y)
    >>> z.list_outputs() == y.list_outputs(), z._outputs[0][0] is y._outputs[0][0]
    (True, False)
    """
    new = {}

    def mapped(entry):
        return new[id(entry[0])], entry[1]
    for node in topological(sym):
        if node.op is None:
            new[id(node)] = node
            continue
        inputs = [(new[id(src)], i) for src, i in node.inputs]
        made = replace(node, inputs, mapped) if replace is not None else None
        new[id(node)] = made if made is not None else copy_node(node, inputs)
    return Symbol([(new[id(node)], i) for node, i in sym._outputs])
