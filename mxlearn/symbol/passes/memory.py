"""Memory planning: which buffer holds each intermediate value, and when it is freed.

A naive executor gives every value computed by an operator its own buffer,
kept until the end. Most values are read by one or two nodes soon after they
are made; once their last reader has run, their buffer can hold a later
value. :func:`plan_memory` walks the graph in execution order and

- frees each value after its last reader (``free_after``);
- gives a new value a free buffer when one is large enough (the smallest
  such, "best fit"), and a new buffer only otherwise;
- lets an elementwise operator write its result over an input whose last
  reader it is ("in place"), when they have the same shape and dtype.

What is counted: the values computed by operator nodes that are not outputs
of the graph. Arguments and auxiliary states (bound by the caller) and the
graph's outputs (handed to the caller, e.g. the gradients) are excluded from
both the naive and the planned bytes; the outputs are reported on their own.
"""
import html
import math

import numpy

from ...base import MXNetError
from .fusion import fusable
from .graph import topological

# Operators (besides the fusable elementwise ones) that may write over an input.
INPLACE_OPS = {'_fused_elemwise'}


def _inplace_capable(node):
    return node.op.name in INPLACE_OPS or fusable(node)


def _entry_name(entry):
    node, i = entry
    return node.name if node.op is None else '%s_%s' % (node.name, node.outputs[i])


class MemoryPlan:
    """The result of :func:`plan_memory`.

    Attributes
    ----------
    nodes : list of _Node
        The graph's nodes in execution order.
    entries : list of dict
        One per intermediate value (an output of an operator node), in
        order: ``entry`` (``(node, index)``), ``name``, ``shape``, ``dtype``,
        ``bytes``, ``buffer`` (an index into ``buffers``; None for a graph
        output, which gets its own array), ``how`` ('new', 'reuse', 'in place'
        or 'output').
    buffers : list of int
        The size in bytes of each planned buffer.
    assignment : dict
        Entry ``(node, index)`` -> buffer index.
    free_after : list of list
        Aligned with ``nodes``: the entries whose last reader is that node
        (or the node itself, for an output nobody reads), which can be dropped
        once it has run. Graph outputs and variables are never listed.
    inplace : list of (entry, entry)
        (input, output) pairs where the output overwrites the input.
    naive_bytes, planned_bytes : int
        Bytes of the intermediate values with a buffer each, and with the plan.
    output_bytes : int
        Bytes of the graph's outputs computed by operators (not in the above).
    saved_fraction : float
        ``1 - planned_bytes / naive_bytes``.
    """

    def __init__(self, nodes, entries, buffers, free_after, inplace, output_bytes):
        self.nodes = nodes
        self.entries = entries
        self.buffers = buffers
        self.assignment = {e['entry']: e['buffer'] for e in entries if e['buffer'] is not None}
        self.free_after = free_after
        self.inplace = inplace
        self.naive_bytes = sum(e['bytes'] for e in entries if e['buffer'] is not None)
        self.planned_bytes = sum(buffers)
        self.output_bytes = output_bytes
        self.saved_fraction = (1.0 - self.planned_bytes / self.naive_bytes
                               if self.naive_bytes else 0.0)

    def _rows(self):
        for e in self.entries:
            yield (e['name'], e['entry'][0].op_name, str(e['shape']), e['dtype'].name,
                   str(e['bytes']), '-' if e['buffer'] is None else str(e['buffer']), e['how'])

    _HEADER = ('value', 'operator', 'shape', 'dtype', 'bytes', 'buffer', 'how')

    def _totals(self):
        return ['naive %s, planned %s in %d buffers: %.1f%% saved'
                % (_size(self.naive_bytes), _size(self.planned_bytes), len(self.buffers),
                   100 * self.saved_fraction),
                '%d in place, %d reused; graph outputs (%s) not counted'
                % (len(self.inplace), sum(e['how'] == 'reuse' for e in self.entries),
                   _size(self.output_bytes))]

    def summary(self):
        """The plan as a text table, one row per value, with the totals.

        Examples
        --------
        >>> from mxlearn import symbol as sym
        >>> y = sym.exp(sym.relu(sym.var('x'), name='r'), name='e')
        >>> print(plan_memory(y, {'x': (2, 3)}).summary())
        value     operator  shape   dtype    bytes  buffer  how
        r_output  relu      (2, 3)  float32  24     0       new
        e_output  exp       (2, 3)  float32  24     -       output
        naive 24 B, planned 24 B in 1 buffers: 0.0% saved
        0 in place, 0 reused; graph outputs (24 B) not counted
        """
        rows = [self._HEADER] + list(self._rows())
        widths = [max(len(r[k]) for r in rows) for k in range(len(self._HEADER))]
        lines = ['  '.join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        return '\n'.join(lines + self._totals())

    def _repr_html_(self):
        def row(cells, tag):
            return '<tr>%s</tr>' % ''.join('<%s>%s</%s>' % (tag, html.escape(c), tag)
                                           for c in cells)
        body = ''.join(row(r, 'td') for r in self._rows())
        return ('<table><thead>%s</thead><tbody>%s</tbody></table><p>%s</p>'
                % (row(self._HEADER, 'th'), body, html.escape('; '.join(self._totals()))))

    def __repr__(self):
        return '<MemoryPlan: %s>' % '; '.join(self._totals())


def _size(n):
    for unit, scale in (('MB', 1 << 20), ('KB', 1 << 10)):
        if n >= scale:
            return '%.1f %s' % (n / scale, unit)
    return '%d B' % n


def _infer(sym, shapes, dtypes):
    """Shapes and dtypes of every entry of ``sym``'s graph, by entry."""
    internals = sym.get_internals()
    inputs = set(sym.list_inputs())
    known = {k: v for k, v in shapes.items() if k in inputs}
    out_shapes = internals.infer_shape_partial(**known)[1]
    entries = internals._outputs
    missing = [_entry_name(e) for e, s in zip(entries, out_shapes)
               if not s or 0 in s]
    if missing:
        raise MXNetError('plan_memory: the shapes given (%s) do not determine those of %s'
                         % (known, ', '.join(missing)))
    given = {k: v for k, v in (dtypes or {}).items() if k in inputs}
    for node in topological(sym):
        if node.op is None and node.name not in given and '__dtype__' not in node.user_attrs:
            given[node.name] = numpy.float32
    out_types = internals.infer_type(**given)[1]
    if out_types is None:
        raise MXNetError('plan_memory: the dtypes of the graph could not be inferred from %s'
                         % given)
    return {e: (tuple(s), numpy.dtype(t)) for e, s, t in zip(entries, out_shapes, out_types)}


def plan_memory(sym, shapes, dtypes=None):
    """Plan the buffers of a graph's intermediate values (see the module docstring).

    Parameters
    ----------
    sym : Symbol
    shapes : dict of str to tuple
        Shapes of the inputs, by name (enough for ``infer_shape``).
    dtypes : dict of str to dtype, optional
        Dtypes of the inputs; the others are float32 (or their ``__dtype__``).

    Returns
    -------
    MemoryPlan

    Examples
    --------
    >>> from mxlearn import symbol as sym
    >>> x = sym.var('x')
    >>> y = sym.FullyConnected(sym.exp(sym.FullyConnected(x, num_hidden=4)), num_hidden=4)
    >>> plan = plan_memory(y, {'x': (8, 4)})
    >>> plan.naive_bytes, plan.planned_bytes, [e['how'] for e in plan.entries]
    (256, 128, ['new', 'in place', 'output'])
    """
    nodes = topological(sym)
    info = _infer(sym, shapes, dtypes)
    heads = set((id(n), i) for n, i in sym._outputs)
    position = {id(n): k for k, n in enumerate(nodes)}
    last_reader = {}
    for node in nodes:
        for src, i in node.inputs:
            last_reader[(id(src), i)] = position[id(node)]

    entries, buffers, inplace, output_bytes = [], [], [], 0
    free_after = [[] for _ in nodes]
    holder = {}    # entry key -> buffer index, for values alive now
    free = []      # indices of buffers holding no live value
    for k, node in enumerate(nodes):
        if node.op is None:
            continue
        dying = [(src, i) for src, i in node.inputs
                 if src.op is not None and (id(src), i) not in heads
                 and last_reader[(id(src), i)] == k]
        dying = list({(id(s), i): (s, i) for s, i in dying}.values())
        for i in range(len(node.outputs)):
            entry = (node, i)
            shape, dtype = info[entry]
            size = math.prod(shape) * dtype.itemsize
            row = {'entry': entry, 'name': _entry_name(entry), 'shape': shape,
                   'dtype': dtype, 'bytes': size, 'buffer': None, 'how': 'output'}
            entries.append(row)
            if (id(node), i) in heads:
                output_bytes += size
                continue
            donor = next((d for d in dying if info[d] == (shape, dtype)
                          and (id(d[0]), d[1]) in holder), None) if (
                _inplace_capable(node) and i == 0) else None
            if donor is not None:
                row['buffer'], row['how'] = holder.pop((id(donor[0]), donor[1])), 'in place'
                inplace.append((donor, entry))
            else:
                fits = [b for b in free if buffers[b] >= size]
                if fits:
                    row['buffer'] = min(fits, key=lambda b: (buffers[b], b))
                    free.remove(row['buffer'])
                    row['how'] = 'reuse'
                else:
                    row['buffer'], row['how'] = len(buffers), 'new'
                    buffers.append(size)
            holder[(id(node), i)] = row['buffer']
            if (id(node), i) not in last_reader:
                free_after[k].append(entry)
        for src, i in dying:
            free_after[k].append((src, i))
        for entry in free_after[k]:
            buffer = holder.pop((id(entry[0]), entry[1]), None)
            if buffer is not None:
                free.append(buffer)
    return MemoryPlan(nodes, entries, buffers, free_after, inplace, output_bytes)
