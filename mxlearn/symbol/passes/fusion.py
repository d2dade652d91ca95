"""Elementwise fusion: a group of elementwise nodes becomes one ``_fused_elemwise`` node."""
from ...operator import OPS
from ...operator.fused_elemwise import format_program, kernel_steps
from .graph import consumers, copy_node, rebuild, topological


def fusable(node):
    """Whether ``node`` is an elementwise operator the fusion kernel can run.

    Unary math (``exp``, ``tanh``, ``relu``, ``Activation``, ...), operators
    with a scalar (``_mul_scalar``, ...), ``clip`` and the binary ones
    (``elemwise_add``, ``broadcast_mul``, comparisons, ...). Binary operators
    may broadcast, which the kernel does not do; shapes are not known here,
    so the fused operator checks them when it runs and, for inputs that
    broadcast, computes the program operator by operator instead.

    Examples
    --------
    >>> from mxlearn import symbol as sym
    >>> x = sym.var('x')
    >>> fusable(sym.tanh(x)._outputs[0][0]), fusable(sym.sum(x)._outputs[0][0])
    (True, False)
    """
    return (node.op is not None and len(node.outputs) == 1
            and kernel_steps(node.op_name, node.attrs) is not None)


def find_groups(sym):
    """The groups of nodes to fuse: ``{root node id: [member nodes in order]}``.

    Walking from the outputs back, a fusable node joins the group of its
    readers when all of them are in one group and it is not an output of the
    graph: then its value is needed only inside that group, and the group
    (a tree, or a DAG when a value is read twice) keeps one output, its root.
    Groups of one node are left out (nothing to fuse).

    Examples
    --------
    >>> from mxlearn import symbol as sym
    >>> e = sym.exp(sym.var('x'), name='e')
    >>> y = sym.tanh(sym._mul_scalar(e, scalar=2, name='m'), name='t')
    >>> [[n.name for n in group] for group in find_groups(y).values()]
    [['e', 'm', 't']]
    """
    nodes = topological(sym)
    readers = consumers(nodes, sym._outputs)
    root_of = {}
    for node in reversed(nodes):
        if not fusable(node):
            continue
        roots = {root_of.get(id(r)) if r is not None else None for r in readers[id(node)]}
        root = roots.pop() if len(roots) == 1 else None
        root_of[id(node)] = root if root is not None else id(node)
    groups = {}
    for node in nodes:
        if id(node) in root_of:
            groups.setdefault(root_of[id(node)], []).append(node)
    return {root: members for root, members in groups.items() if len(members) > 1}


def _fused_node(members, mapped, order):
    """One ``_fused_elemwise`` node computing the group ``members`` (the last is the root).

    Its inputs are in graph order (``order``: node id -> position), so that the
    new graph lists its arguments in the same order as the old one.
    """
    position = {id(n): k for k, n in enumerate(members)}
    outside = {(id(src), i): (src, i) for node in members for src, i in node.inputs
               if id(src) not in position}
    inputs = sorted(outside.values(), key=lambda e: (order[id(e[0])], e[1]))
    slot = {(id(src), i): k for k, (src, i) in enumerate(inputs)}
    n_in = len(inputs)
    instructions = [
        (node.op_name, [n_in + position[id(src)] if id(src) in position else slot[(id(src), i)]
                        for src, i in node.inputs], node.attrs)
        for node in members]
    root = members[-1]
    return copy_node(root, [mapped(e) for e in inputs], op=OPS['_fused_elemwise'],
                     op_name='_fused_elemwise',
                     attrs={'program': format_program(instructions, n_in)})


def fuse_elementwise(sym):
    """Replace each group of elementwise nodes by one node running a compiled kernel.

    The groups are those of :func:`find_groups`. Each becomes a node of the
    registry operator ``_fused_elemwise`` named as the group's root (so the
    graph's output names do not change), whose ``program`` attribute lists
    the group's operators. On the CPU it runs the kernel of
    ``mxlearn._ext.fusion``: one pass over memory instead of one per operator.

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
    >>> y = sym.tanh(sym.exp(x, name='e') * 2, name='t')
    >>> fused = fuse_elementwise(y)
    >>> fused.get_internals().list_outputs()
    ['x', 't_output']
    >>> fused.attr('program')
    'r0 = exp(x0); r1 = _mul_scalar(r0, scalar=2); r2 = tanh(r1)'
    """
    groups = find_groups(sym)
    order = {id(n): k for k, n in enumerate(topological(sym))}

    def replace(node, inputs, mapped):
        members = groups.get(id(node))
        return _fused_node(members, mapped, order) if members else None
    return rebuild(sym, replace)
