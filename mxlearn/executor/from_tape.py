"""Turn a recorded autograd history (tape Nodes) into a Symbol graph.

Under ``autograd.record()`` every operation becomes a ``Node`` of the tape
(``mxlearn._ext.core``) holding its operator, attributes and input NDArrays.
Those Nodes already form a graph; this module rewrites it as Symbol nodes
(same operator, same attributes), which is what ``autograd.get_symbol`` returns
and how the executor builds its backward graph (``backward_graph.py``).

Arrays are identified the way the tape does it: a recorded array by
``(its Node, output index)``, an array with no Node (a *leaf*: a variable, a
constant) by the array object itself. Who decides what a leaf becomes (a
variable, a constant) is the caller, through ``make_leaf``.
"""
from ..base import MXNetError
from ..symbol.register import output_names
from ..symbol.symbol import _Node


def num_visible(op, attrs, total):
    """How many of the ``total`` outputs of ``op`` a caller sees (the rest are hidden).

    Examples
    --------
    >>> from mxlearn.operator import OPS
    >>> num_visible(OPS['Dropout'], {}, 2), num_visible(OPS['split'], {}, 3)
    (1, 3)
    """
    if op.num_visible == -2:
        return op.visible_fn(dict(op.defaults or {}, **attrs))
    return total if op.num_visible < 0 else op.num_visible


def hidden_name(index):
    """The output name given to hidden output ``index`` (a mask, an argmax) in a graph.

    Examples
    --------
    >>> hidden_name(1)
    'hidden1'
    """
    return 'hidden%d' % index


def all_output_names(op, attrs, total):
    """Names for every one of ``total`` outputs: the visible ones, then the hidden ones.

    The visible names are the symbol's usual ones (``output``, ``output0``...)
    when they account for all visible outputs; backward operators, which
    return several arrays under one name, get ``output0``, ``output1``, ...

    Examples
    --------
    >>> from mxlearn.operator import OPS
    >>> all_output_names(OPS['Dropout'], {}, 2)
    ['output', 'hidden1']
    """
    visible = num_visible(op, attrs, total)
    names = output_names(op, attrs)
    if len(names) != visible:
        names = ['output'] if visible == 1 else ['output%d' % i for i in range(visible)]
    return names + [hidden_name(i) for i in range(visible, total)]


def extend_outputs(node, index):
    """Name the outputs of ``node`` up to ``index``, so that output can be referenced.

    A Symbol node names its visible outputs only; a backward graph also
    reads hidden ones (a dropout mask, a pooling argmax).
    """
    if index >= len(node.outputs):
        node.outputs = all_output_names(node.op, node.attrs, index + 1)


def name_read_outputs(symbol):
    """Name, in place, every output of ``symbol``'s nodes that some node or head reads.

    For graphs made by code that names visible outputs only (a pass copying
    a node recomputes its names from the operator), so that shape inference
    and the executor see every output the graph uses.
    """
    for node in symbol._nodes():
        for src, index in node.inputs:
            extend_outputs(src, index)
    for src, index in symbol._outputs:
        extend_outputs(src, index)


def user_attrs(op, attrs):
    """``attrs`` without the entries equal to the operator's defaults (as a Symbol keeps them).

    The dispatcher records every attribute, defaults included; a graph reads
    better with only those that were chosen.

    Examples
    --------
    >>> from mxlearn.operator import OPS
    >>> user_attrs(OPS['FullyConnected'], {'num_hidden': 3, 'no_bias': False, 'flatten': True})
    {'num_hidden': 3}
    """
    defaults = op.defaults or {}
    return {k: v for k, v in attrs.items() if not (k in defaults and _same(defaults[k], v))}


def _same(a, b):
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # arrays and the like: never treated as equal
        return False


def _check_convertible(tape_node):
    if tape_node.freed:
        raise MXNetError('the recorded graph through operator %s was freed by backward(); '
                         'record again, or pass retain_graph=True to backward() to keep it'
                         % tape_node.op.name)
    if tape_node.op.forward is None:
        raise MXNetError('operator %s (an autograd.Function) has no forward a graph can '
                         'run, so this recording cannot become a Symbol' % tape_node.op.name)


def convert(heads, leaves, nodes, make_leaf, name_node):
    """Symbol entries ``(node, index)`` for the NDArrays ``heads`` and all they depend on.

    Parameters
    ----------
    heads : list of NDArray
    leaves : dict
        ``id(array) -> entry`` for arrays without a Node that already have an
        entry; extended with the result of ``make_leaf`` for new ones.
    nodes : dict
        ``id(tape Node) -> Symbol node`` for Nodes already converted; extended.
        The caller keeps the tape Nodes alive while it uses these ids.
    make_leaf : callable
        ``make_leaf(array) -> entry`` for an array with no Node and no entry.
    name_node : callable
        ``name_node(tape_node) -> str``, the name of a new Symbol node.

    Returns
    -------
    list of (node, int)
    """
    def entry(array):
        tape_node = array._node
        if tape_node is None:
            found = leaves.get(id(array))
            if found is None:
                found = leaves[id(array)] = make_leaf(array)
            return found
        node = nodes[id(tape_node)]
        extend_outputs(node, array._oidx)
        return node, array._oidx

    # Iterative post-order walk (a deep network must not hit the recursion limit).
    for head in heads:
        start = head._node
        if start is None or id(start) in nodes:
            continue
        stack = [(start, False)]
        while stack:
            tape_node, expanded = stack.pop()
            if id(tape_node) in nodes:
                continue
            if expanded:
                inputs = [entry(x) for x in tape_node.inputs]
                total = len(tape_node.out_data)
                attrs = user_attrs(tape_node.op, tape_node.attrs)
                node = _Node(tape_node.op, tape_node.op.name, name_node(tape_node), attrs,
                             None, inputs)
                node.outputs = all_output_names(tape_node.op, tape_node.attrs, total)
                nodes[id(tape_node)] = node
                continue
            _check_convertible(tape_node)
            stack.append((tape_node, True))
            stack.extend((x._node, False) for x in reversed(tape_node.inputs)
                         if x._node is not None and id(x._node) not in nodes)
    return [entry(h) for h in heads]


class NodeNamer:
    """Names ``<op><k>`` for converted nodes, counted per operator (``relu0``, ``relu1``).

    Examples
    --------
    >>> namer = NodeNamer()
    >>> namer.next('relu'), namer.next('relu'), namer.next('_plus_scalar')
    ('relu0', 'relu1', '_plus_scalar0')
    """

    def __init__(self):
        self._counts = {}

    def next(self, hint):
        hint = hint.lower()
        k = self._counts.get(hint, 0)
        self._counts[hint] = k + 1
        return '%s%d' % (hint, k)
