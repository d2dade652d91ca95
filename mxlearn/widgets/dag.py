"""Drawing a directed acyclic graph with matplotlib alone (no graphviz needed).

Used by the tape view (autograd recordings) and meant for every other graph of
the course (symbol graphs, executor passes). The layout is the classic layered
one: data flows left to right (or, for long chains, top to bottom), each vertex
one layer after its deepest input, and the order within a layer is improved by
a few barycenter sweeps (each vertex moves towards the mean position of its
neighbours), which removes most edge crossings of the small graphs a chapter
draws.
"""
from collections import Counter, defaultdict

from matplotlib.patches import FancyBboxPatch

#: Box size as a fraction of the column and row spacing.
BOX_W, BOX_H = 0.84, 0.8
#: Inches per column and per row at the reference font size.
COL_IN, ROW_IN = 1.9, 1.0
FONT = 8.0


class _Waypoint:
    """Where a long edge crosses a column: laid out like a vertex, drawn as a bend."""


def layered_layout(vertices, inputs, vertical=False):
    """Positions of the vertices of a DAG drawn in layers, and routes of its long edges.

    Parameters
    ----------
    vertices : list
        Hashable vertices in topological order (every vertex after its inputs).
    inputs : dict
        Vertex -> list of its input vertices (missing or empty for sources).
    vertical : bool
        Draw the layers from top to bottom instead of from left to right.

    Returns
    -------
    pos : dict
        Vertex -> ``(x, y)``. Left to right, ``x`` is the layer (0 = leftmost)
        and ``y`` the height, spaced by 1 and centred on 0 in every layer; top
        to bottom, ``y = -layer`` and ``x`` is the place within the layer.
    routes : dict
        ``(u, v)`` -> the points an edge spanning several columns bends at
        (one per column it crosses), so that it runs between the boxes.

    Examples
    --------
    >>> pos, routes = layered_layout(['x', 'sq', 'add'], {'sq': ['x'], 'add': ['sq', 'x']})
    >>> pos['x'][0], pos['sq'][0], pos['add'][0]
    (0, 1, 2)
    >>> [x for x, y in routes[('x', 'add')]]
    [1]
    """
    consumers = defaultdict(list)
    for v in vertices:
        for u in inputs.get(v, ()):
            consumers[u].append(v)
    column = {}
    for v in vertices:
        ins = inputs.get(v, ())
        column[v] = 1 + max(column[u] for u in ins) if ins else 0
    # A source sits just left of its first consumer, not far away in column 0.
    for v in vertices:
        if not inputs.get(v) and consumers[v]:
            column[v] = min(column[c] for c in consumers[v]) - 1
    # Long edges get a waypoint in every column they cross, ordered with the
    # vertices, so that they pass between the boxes instead of through them.
    chains, ins_of, outs_of = {}, {}, defaultdict(list)
    for v in vertices:
        ins_of[v] = []
        for u in inputs.get(v, ()):
            if (u, v) not in chains:
                chains[(u, v)] = []
                prev = u
                for col in range(column[u] + 1, column[v]):
                    w = _Waypoint()
                    column[w], ins_of[w] = col, [prev]
                    outs_of[prev].append(w)
                    chains[(u, v)].append(w)
                    prev = w
            last = chains[(u, v)][-1] if chains[(u, v)] else u
            ins_of[v].append(last)
            outs_of[last].append(v)
    everything = list(vertices) + [w for chain in chains.values() for w in chain]
    first = min(column.values(), default=0)
    columns = defaultdict(list)
    for v in everything:
        column[v] -= first
        columns[column[v]].append(v)
    height = {}

    def place(col):
        n = len(columns[col])
        for i, v in enumerate(columns[col]):
            height[v] = (n - 1) / 2 - i

    def sweep(cols, neighbours):
        for col in cols:
            def key(v):
                hs = [height[u] for u in neighbours(v) if column[u] != col]
                return -sum(hs) / len(hs) if hs else -height[v]
            columns[col].sort(key=key)
            place(col)

    for col in columns:
        place(col)
    ordered = sorted(columns)
    sweep(ordered, lambda v: ins_of.get(v, ()))
    sweep(ordered[::-1], lambda v: outs_of[v])
    sweep(ordered, lambda v: list(ins_of.get(v, ())) + outs_of[v])
    def point(v):
        return (-height[v], -column[v]) if vertical else (column[v], height[v])

    pos = {v: point(v) for v in vertices}
    routes = {e: [point(w) for w in chain] for e, chain in chains.items() if chain}
    return pos, routes


def auto_layout(vertices, inputs):
    """``layered_layout`` from left to right, or from top to bottom for a long chain.

    A graph of more than 6 layers and over twice as many layers as rows reads
    better from top to bottom than squeezed into a row.

    Parameters
    ----------
    vertices, inputs
        As for ``layered_layout``.

    Returns
    -------
    pos, routes
        As ``layered_layout`` returns them.
    vertical : bool
        Whether the layers run from top to bottom (``draw_dag``'s ``vertical``).

    Examples
    --------
    >>> chain = ['x%d' % i for i in range(8)]
    >>> pos, routes, vertical = auto_layout(chain, {b: [a] for a, b in zip(chain, chain[1:])})
    >>> vertical, pos['x0'][1], pos['x7'][1]
    (True, 0, -7)
    >>> auto_layout(chain[:3], {'x1': ['x0'], 'x2': ['x1']})[2]
    False
    """
    pos, routes = layered_layout(vertices, inputs)
    layers = 1 + max(x for x, _ in pos.values())
    heights = [y for _, y in pos.values()]
    vertical = layers > 6 and layers > 2 * (1 + max(heights) - min(heights))
    if vertical:
        pos, routes = layered_layout(vertices, inputs, vertical=True)
    return pos, routes, vertical


def figure_size(pos, routes=None, max_size=(12.0, 12.0)):
    """Figure size (inches) for a layout, and the font size that fits its boxes.

    Examples
    --------
    >>> figure_size({'a': (0, 0.0), 'b': (1, 0.0)})
    ((4.0, 1.6), 8.0)
    """
    points = list(pos.values()) + [p for r in (routes or {}).values() for p in r]
    ncols = 1 + max((x for x, _ in points), default=0)
    ys = [y for _, y in points] or [0.0]
    nrows = 1 + max(ys) - min(ys)
    want_w, want_h = COL_IN * ncols + 0.2, ROW_IN * nrows + 0.5
    scale = min(1.0, max_size[0] / want_w, max_size[1] / want_h)
    size = (max(4.0, round(want_w * scale, 2)), max(1.6, round(want_h * scale, 2)))
    return size, round(max(4.0, FONT * scale), 1)


def draw_dag(ax, pos, edges, labels, styles=None, edge_styles=None, routes=None,
             vertical=False, fontsize=FONT):
    """Draw boxes at ``pos`` joined by arrows, on the matplotlib Axes ``ax``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    pos : dict
        Vertex -> ``(x, y)`` (e.g. from :func:`layered_layout`).
    edges : list of (u, v)
        Arrows from ``u`` to ``v``; a repeated pair (``x * x``) is drawn as
        curved arrows so that both are visible.
    labels : dict
        Vertex -> ``(title, body)``: the title is drawn in bold, the body
        (lines separated by newlines) under it.
    styles : dict, optional
        Vertex -> box properties (``fc``, ``ec``, ``lw``).
    edge_styles : dict, optional
        ``(u, v)`` -> arrow properties (``color``, ``lw``, ``ls``).
    routes : dict, optional
        ``(u, v)`` -> points the edge bends at (from :func:`layered_layout`).
    vertical : bool
        Edges leave a box at the bottom and enter at the top (a top-to-bottom
        layout), instead of right and left.
    fontsize : float

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().add_subplot()
    >>> draw_dag(ax, {'x': (0, 0.0), 'y': (1, 0.0)}, [('x', 'y')],
    ...          {'x': ('x', '(2,)'), 'y': ('relu', '(2,)')})
    >>> len(ax.patches)  # the two boxes
    2
    """
    styles = styles or {}
    edge_styles = edge_styles or {}
    for v, (x, y) in pos.items():
        style = dict(fc='white', ec='#555555', lw=1.0)
        style.update(styles.get(v, {}))
        ax.add_patch(FancyBboxPatch((x - BOX_W / 2, y - BOX_H / 2), BOX_W, BOX_H,
                                    boxstyle='round,pad=0,rounding_size=0.08', **style))
        title, body = labels.get(v, ('', ''))
        ax.text(x, y + BOX_H / 2 - 0.07, title, ha='center', va='top',
                fontsize=fontsize, fontweight='bold')
        ax.text(x, y - 0.08, body, ha='center', va='center',
                fontsize=fontsize * 0.88, family='monospace', linespacing=1.3)
    count = Counter(edges)
    drawn = Counter()
    for u, v in edges:
        k, n = drawn[(u, v)], count[(u, v)]
        drawn[(u, v)] += 1
        rad = 0.0 if n == 1 else 0.25 * (k - (n - 1) / 2)
        style = dict(color='#555555', lw=1.0)
        style.update(edge_styles.get((u, v), {}))
        (xu, yu), (xv, yv) = pos[u], pos[v]
        bends = (routes or {}).get((u, v), [])
        if vertical:
            start, end = (xu, yu - BOX_H / 2), (xv, yv + BOX_H / 2)
        else:
            start, end = (xu + BOX_W / 2, yu), (xv - BOX_W / 2, yv)
        if bends:
            xs, ys = zip(start, *bends)
            ax.plot(xs, ys, color=style['color'], lw=style['lw'], ls=style.get('ls', '-'),
                    solid_capstyle='round')
            start = bends[-1]
        ax.annotate('', xy=end, xytext=start,
                    arrowprops=dict(arrowstyle='-|>', shrinkA=0, shrinkB=0,
                                    mutation_scale=9, connectionstyle='arc3,rad=%g' % rad,
                                    **style))
    points = list(pos.values()) + [p for r in (routes or {}).values() for p in r]
    xs = [x for x, _ in points] or [0]
    ys = [y for _, y in points] or [0]
    ax.set_xlim(min(xs) - 0.5, max(xs) + 0.5)
    ax.set_ylim(min(ys) - 0.5, max(ys) + 0.5)
    ax.axis('off')
