"""Broadcasting, drawn: how two shapes line up, what gets stretched, what comes out."""
import textwrap

import numpy as np
from matplotlib.patches import Rectangle

from ..base import MXNetError
from ..operator.shapes import broadcast_shape
from .base import FigureWidget
from .controls import ShapeInput

#: Fill colours: (original cell, stretched copy) of A and B, and the result.
_A = ('#6baed6', '#deebf7')
_B = ('#fd8d3c', '#fee6ce')
_RESULT = ('#74c476', '#74c476')
#: Gap between the 2-d slices of a 3-d block (in cells).
_SLICE_GAP = 0.4
#: Blocks with more cells than this are drawn without numbers.
_MAX_LABELLED = 150


def _as_3d(values):
    return values.reshape((1,) * (3 - values.ndim) + values.shape)


def _extent(shape):
    d, r, c = (1,) * (3 - len(shape)) + tuple(max(s, 1) for s in shape)
    return d * c + (d - 1) * _SLICE_GAP, r


def _draw_block(ax, x, y, values, copies, colors, fontsize):
    """Draw an array of up to 3 axes, lower-left corner at (x, y): a 3-d array as
    its 2-d slices side by side. ``copies`` marks the cells that are stretched
    copies (drawn pale and dashed)."""
    if values.size == 0:
        ax.add_patch(Rectangle((x, y), 1, 1, fill=False, ls=':', ec='#555555'))
        ax.text(x + 0.5, y + 0.5, 'empty', ha='center', va='center', fontsize=7)
        return
    v, m = _as_3d(values), _as_3d(copies)
    d, r, c = v.shape
    for k in range(d):
        for i in range(r):
            for j in range(c):
                cx, cy = x + k * (c + _SLICE_GAP) + j, y + (r - 1 - i)
                copy = bool(m[k, i, j])
                ax.add_patch(Rectangle((cx, cy), 1, 1, fc=colors[copy], ec='#333333',
                                       lw=0.6, ls='--' if copy else '-'))
                if fontsize:
                    ax.text(cx + 0.5, cy + 0.5, str(v[k, i, j]), ha='center', va='center',
                            fontsize=fontsize, color='#777777' if copy else 'black')


def _stretched(values, shape):
    """``values`` broadcast to ``shape``, and which cells are copies (not the original)."""
    padded = values.reshape((1,) * (len(shape) - values.ndim) + values.shape)
    index = np.indices(shape)
    copies = np.zeros(shape, dtype=bool)
    for axis, (have, want) in enumerate(zip(padded.shape, shape)):
        if have == 1 and want != 1:
            copies |= index[axis] > 0
    return np.broadcast_to(padded, shape), copies


def explain(shape_a, shape_b):
    """The broadcasting rule applied to two shapes, one line per step.

    Returns
    -------
    lines : list of (str, bool)
        Each line of the explanation, and whether it is where broadcasting fails.
    result : tuple or None
        The broadcast shape, or None if the shapes are incompatible.
    error : str or None
        The error ``mx.nd`` raises for these shapes.

    Examples
    --------
    >>> lines, result, error = explain((2, 1, 3), (4, 1))
    >>> result, error
    ((2, 4, 3), None)
    >>> lines[3][0]
    'axis 1: 1 vs 4   stretch A to 4'
    """
    try:
        (result,), error = broadcast_shape([shape_a, shape_b]), None
    except MXNetError as exc:
        result, error = None, str(exc)
    n = max(len(shape_a), len(shape_b))
    pa = (1,) * (n - len(shape_a)) + tuple(shape_a)
    pb = (1,) * (n - len(shape_b)) + tuple(shape_b)
    lines = [('A %s  aligned %s' % (tuple(shape_a), pa), False),
             ('B %s  aligned %s' % (tuple(shape_b), pb), False)]
    for axis, (a, b) in enumerate(zip(pa, pb)):
        if a == b:
            verdict, bad = 'same size', False
        elif a == 1:
            verdict, bad = 'stretch A to %d' % b, False
        elif b == 1:
            verdict, bad = 'stretch B to %d' % a, False
        else:
            verdict, bad = 'INCOMPATIBLE', True
        lines.append(('axis %d: %d vs %d   %s' % (axis, a, b, verdict), bad))
    lines.append(('result %s' % (result,) if result is not None else
                  'no result: sizes must be equal or 1', result is None))
    return lines, result, error


class BroadcastView(FigureWidget):
    """How two shapes broadcast: aligned from the right, size-1 axes stretched, the result.

    The top row draws ``A`` and ``B`` as given, a 3-d array as its 2-d slices
    side by side (A holds 0, 1, 2, ..., B multiples of 10 or 100, so each
    number of ``A + B`` shows which cells met).
    The bottom row draws both stretched to the result shape (copies pale and
    dashed) and their sum. The text on the left applies the rule axis by axis;
    for incompatible shapes it shows which axis fails and the error ``mx.nd``
    raises. Type a shape or move the axis sliders to try others.

    Parameters
    ----------
    shape_a, shape_b : tuple of int
        Arrays of up to 3 axes are drawn; more are explained in text only.

    Attributes
    ----------
    result_shape : tuple or None
        The broadcast shape, None when the shapes are incompatible.
    error : str or None
        Why they are incompatible (the message ``mx.nd`` gives), else None.

    Examples
    --------
    >>> v = BroadcastView((2, 1, 3), (4, 1))
    >>> v.result_shape
    (2, 4, 3)
    >>> v.controls['b'].value = (4, 2)
    >>> v.result_shape is None, 'cannot be broadcast' in v.error
    (True, True)
    """

    def __init__(self, shape_a=(2, 1, 3), shape_b=(4, 1)):
        super().__init__(figsize=(8.5, 4.0))
        self.result_shape, self.error = None, None
        self.add_control('a', ShapeInput('A', shape_a))
        self.add_control('b', ShapeInput('B', shape_b))
        self.redraw()

    def draw(self):
        a_shape, b_shape = self.values['a'], self.values['b']
        lines, self.result_shape, self.error = explain(a_shape, b_shape)
        self.set_message(self.error or 'A + B has shape %s' % (self.result_shape,),
                         error=self.error is not None)
        text_ax = self.figure.add_axes([0.0, 0.0, 0.3, 1.0])
        text_ax.axis('off')
        text_ax.text(0.04, 0.95, 'the broadcasting rule', fontsize=9, fontweight='bold',
                     va='top', transform=text_ax.transAxes)
        for i, (line, bad) in enumerate(lines):
            text_ax.text(0.04, 0.86 - 0.06 * i, line, fontsize=7.5, family='monospace',
                         va='top', color='#b00020' if bad else 'black',
                         transform=text_ax.transAxes)
        text_ax.text(0.04, 0.86 - 0.06 * (len(lines) + 0.7),
                     'align the shapes on the right;\non each axis the sizes must be\n'
                     'equal, or one of them 1 (it is\nstretched by repeating it)',
                     fontsize=7, va='top', color='#555555', transform=text_ax.transAxes)
        ax = self.figure.add_axes([0.3, 0.02, 0.69, 0.96])
        ax.axis('off')
        self._draw_blocks(ax, a_shape, b_shape)

    def _draw_blocks(self, ax, a_shape, b_shape):
        result = self.result_shape
        if max(len(a_shape), len(b_shape)) > 3:
            ax.text(0.5, 0.5, 'arrays are drawn for up to 3 axes', ha='center',
                    transform=ax.transAxes, fontsize=9)
            return
        a = np.arange(int(np.prod(a_shape))).reshape(a_shape)
        scale = 10 ** max(1, len(str(max(a.size - 1, 0))))
        b = scale * np.arange(int(np.prod(b_shape))).reshape(b_shape)
        top = [('A %s' % (a_shape,), a, np.zeros(a.shape, bool), _A),
               ('B %s' % (b_shape,), b, np.zeros(b.shape, bool), _B)]
        bottom = []
        if result is not None:
            a_big, a_copies = _stretched(a, result)
            b_big, b_copies = _stretched(b, result)
            bottom = [('A stretched', a_big, a_copies, _A),
                      ('B stretched', b_big, b_copies, _B),
                      ('A + B %s' % (result,), a_big + b_big, np.zeros(result, bool), _RESULT)]
        gap = 1.6
        rows = [top] + ([bottom] if bottom else [])
        widths = [sum(_extent(v.shape)[0] for _, v, _, _ in row) + gap * (len(row) - 1)
                  for row in rows]
        heights = [max(_extent(v.shape)[1] for _, v, _, _ in row) for row in rows]
        width = max(widths + [8.0])
        height = sum(heights) + 1.6 * len(rows) + (0 if bottom else 3.0)
        # Numbers only where they fit in a cell.
        axes_in = self.figure.get_size_inches() * (0.69, 0.96)
        cell_pt = 72 * min(axes_in[0] / width, axes_in[1] / height)
        digits = max(len(str(int(v.max()))) if v.size else 1 for row in rows
                     for _, v, _, _ in row)
        fontsize = min(9.0, 0.85 * cell_pt / (0.62 * digits + 0.4))
        many = any(v.size > _MAX_LABELLED for row in rows for _, v, _, _ in row)
        fontsize = 0 if fontsize < 4.5 or many else fontsize
        y = height
        for row, row_h in zip(rows, heights):
            y -= row_h + 1.2
            x = 0.0
            for n, (title, v, copies, colors) in enumerate(row):
                w, h = _extent(v.shape)
                _draw_block(ax, x, y, v, copies, colors, fontsize)
                ax.text(x, y + h + 0.25, title, fontsize=8, va='bottom')
                if row is bottom and n < 2:
                    ax.text(x + w + gap / 2, y + row_h / 2, '+' if n == 0 else '=',
                            fontsize=14, ha='center', va='center')
                x += w + gap
            y -= 0.4
        if not bottom:
            ax.text(0, 1.0, 'cannot broadcast:\n' + textwrap.fill(self.error, 60), fontsize=8,
                    color='#b00020', va='bottom')
        ax.set_xlim(-0.3, width + 0.3)
        ax.set_ylim(-0.3, height + 0.3)
        ax.set_aspect('equal', anchor='NW')

    def __repr__(self):
        return '<BroadcastView: %s with %s>' % (self.values['a'], self.values['b'])

