"""MXNet's JSON graph format (``*-symbol.json``), as plain data.

A graph is a list of nodes in topological order; each input is a reference
``[node_id, output_index, version]`` to an earlier node::

    {"nodes": [{"op": "null", "name": "data", "inputs": []},
               {"op": "relu", "name": "relu0", "inputs": [[0, 0, 0]]}],
     "arg_nodes": [0], "node_row_ptr": [0, 1, 2], "heads": [[1, 0, 0]],
     "attrs": {"mxnet_version": ["int", 10901]}}

Every attribute value is a string (``"(5, 5)"``, ``"True"``, ``"0.5"``);
:func:`parse_value` turns one back into the Python value an operator takes.
This module knows the format only; ``symbol.py`` turns it into Symbols.
"""
import ast
import json

from ..base import MXNetError

MXNET_VERSION = 10901


def format_value(value):
    """The JSON string of an attribute value, as MXNet's Python API writes it.

    Examples
    --------
    >>> format_value((5, 5)), format_value(True), format_value(0.5)
    ('(5, 5)', 'True', '0.5')
    """
    return value if isinstance(value, str) else str(value)


def parse_value(text, default=None):
    """The Python value of an attribute string, guided by the attribute's default.

    Tuples, numbers, booleans and None are read as Python literals; anything
    else (``'relu'``, ``'float32'``) stays a string, and so does every value of
    an attribute whose default is a string. A list becomes a tuple when the
    default is one, and C++-style booleans (``'true'``, ``'1'``) become bools
    when the default is a bool.

    Examples
    --------
    >>> parse_value('(5, 5)'), parse_value('False'), parse_value('1e-05'), parse_value('relu')
    ((5, 5), False, 1e-05, 'relu')
    >>> parse_value('[2, 2]', default=()), parse_value('1', default=False)
    ((2, 2), True)
    """
    if not isinstance(text, str) or isinstance(default, str):
        return text
    if isinstance(default, bool) and text.lower() in ('true', 'false', '1', '0'):
        return text.lower() in ('true', '1')
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        try:
            return float(text) if isinstance(default, float) else text  # 'inf', 'nan'
        except ValueError:
            return text
    if isinstance(value, list) and isinstance(default, tuple):
        value = tuple(value)
    return value


def dumps(nodes, heads):
    """The JSON text of a graph.

    Parameters
    ----------
    nodes : list of dict
        In topological order, each with ``op`` (``'null'`` for a variable),
        ``name``, ``attrs`` (str to str), ``inputs`` (``(node_id, index,
        version)`` triples) and ``num_outputs``.
    heads : list of (int, int)
        The graph's outputs as ``(node_id, index)``.

    Returns
    -------
    str

    Examples
    --------
    >>> text = dumps([{'op': 'null', 'name': 'x', 'attrs': {}, 'inputs': [], 'num_outputs': 1}],
    ...              [(0, 0)])
    >>> json.loads(text)['arg_nodes']
    [0]
    """
    out, row_ptr = [], [0]
    for node in nodes:
        entry = {'op': node['op'], 'name': node['name']}
        if node['attrs']:
            entry['attrs'] = {k: format_value(v) for k, v in node['attrs'].items()}
        entry['inputs'] = [list(i) for i in node['inputs']]
        out.append(entry)
        row_ptr.append(row_ptr[-1] + node['num_outputs'])
    graph = {'nodes': out,
             'arg_nodes': [i for i, n in enumerate(nodes) if n['op'] == 'null'],
             'node_row_ptr': row_ptr,
             'heads': [[nid, idx, 0] for nid, idx in heads],
             'attrs': {'mxnet_version': ['int', MXNET_VERSION]}}
    return json.dumps(graph, indent=2)


def loads(text):
    """Read a JSON graph into ``(nodes, heads)`` (see :func:`dumps`).

    Attributes stay strings; older files keep them under ``attr`` or
    ``param`` instead of ``attrs``, and inputs may lack the version.

    Examples
    --------
    >>> nodes, heads = loads('{"nodes": [{"op": "null", "name": "x", "inputs": []}], '
    ...                      '"heads": [[0, 0, 0]]}')
    >>> nodes[0]['name'], heads
    ('x', [(0, 0)])
    """
    try:
        graph = json.loads(text)
        nodes = []
        for entry in graph['nodes']:
            attrs = {}
            for key in ('param', 'attr', 'attrs'):
                attrs.update(entry.get(key) or {})
            nodes.append({'op': entry['op'], 'name': entry['name'], 'attrs': attrs,
                          'inputs': [(int(i[0]), int(i[1])) for i in entry['inputs']]})
        heads = [(int(h[0]), int(h[1])) for h in graph['heads']]
    except (ValueError, KeyError, TypeError, IndexError) as e:
        raise MXNetError('not a symbol JSON graph (%s: %s)' % (type(e).__name__, e)) from None
    for i, node in enumerate(nodes):
        for nid, _ in node['inputs']:
            if not 0 <= nid < i:
                raise MXNetError('node %r refers to node %d, which does not come before it'
                                 % (node['name'], nid))
    return nodes, heads
