"""Plotting a function next to its derivative, the derivative computed by autograd.

:class:`CurveExplorer` is the base of the activation and loss explorers (and of
anything else that shows a one-dimensional function of a parameter): a dropdown
picks a :class:`Curve`, sliders set its parameters, the x range and a point
``x0``, and the picture shows ``f`` with its tangent at ``x0`` beside ``f'``.
"""
import numpy as np

from .. import autograd
from .. import ndarray as nd
from .base import FigureWidget
from .controls import dropdown, range_slider, slider


class Curve:
    """A function to explore: ``fn(x, **params)`` on an NDArray ``x``, elementwise.

    Parameters
    ----------
    fn : callable
        Maps an NDArray of points to an NDArray of values of the same shape,
        one value per point, with recordable ``mx.nd`` operations.
    formula : str
        How it is written, in matplotlib's mathtext (``r'$\\max(0, x)$'``).
    params : dict, optional
        Parameter name -> ``(default, min, max)`` or ``(default, min, max, step)``.
    xlabel : str
        What ``x`` is (``'x'``, ``'prediction p'``, ...).

    Examples
    --------
    >>> import mxlearn as mx
    >>> c = Curve(lambda x, a: a * x * x, r'$a x^2$', params={'a': (1.0, 0.0, 2.0)})
    >>> y, dy = c.evaluate([1.0, 2.0], a=1.5)
    >>> y.tolist(), dy.tolist()
    ([1.5, 6.0], [3.0, 6.0])
    """

    def __init__(self, fn, formula, params=None, xlabel='x'):
        self.fn = fn
        self.formula = formula
        self.params = dict(params or {})
        self.xlabel = xlabel

    def evaluate(self, xs, **params):
        """Values and derivatives at the points ``xs`` (numpy arrays).

        The derivative comes from autograd: since value ``i`` depends only on
        point ``i``, the gradient of the sum of all values with respect to the
        points is the derivative at each point.
        """
        x = nd.array(np.asarray(xs, dtype=np.float64), dtype='float64')
        x.attach_grad()
        with autograd.record():
            y = self.fn(x, **params)
        y.backward()
        return y.asnumpy(), x.grad.asnumpy()


class CurveExplorer(FigureWidget):
    """A function and its derivative (by autograd), picked from a dropdown, with sliders.

    Parameters
    ----------
    curves : dict
        Name -> :class:`Curve`.
    curve : str, optional
        The one shown first (the first by default).
    x_range : (float, float)
        The interval plotted.
    x0 : float
        Where the tangent is drawn.
    choice : str
        The label of the dropdown, also its name in :attr:`controls`.
    points : int
        Number of points plotted (even, so that a symmetric range skips the
        kink that many functions have at 0).
    **params
        Initial parameter values, e.g. ``slope=0.2``.

    Attributes
    ----------
    curve_data : dict
        What was plotted last: ``x``, ``y``, ``dy`` (numpy arrays) and ``x0``,
        ``y0``, ``dy0`` (floats).
    """

    def __init__(self, curves, curve=None, x_range=(-4.0, 4.0), x0=1.0, choice='function',
                 points=400, **params):
        super().__init__(figsize=(8.0, 3.0))
        self.curves = dict(curves)
        self.points = points
        self.curve_data = {}
        self.choice = choice
        self.add_control(choice, dropdown(choice, list(self.curves), curve))
        lo, hi = x_range
        span = max(abs(lo), abs(hi), 1.0)
        self.add_control('x_range', range_slider('x range', (lo, hi), -3 * span, 3 * span))
        self.add_control('x0', slider('tangent at x0', float(x0), -3 * span, 3 * span))
        for c in self.curves.values():
            for name, spec in c.params.items():
                if name not in self.controls:
                    default, low, high = spec[:3]
                    value = params.pop(name, default)
                    self.add_control(name, slider(name, value, low, high, *spec[3:]))
        if params:
            raise TypeError('unknown parameters %s; the curves have %s'
                            % (sorted(params), sorted(set(self.controls) - {choice})))
        self.controls_changed(None)
        self.redraw()

    def controls_changed(self, change):
        params = self.curves[self.values[self.choice]].params
        for name in self.controls:
            if name not in (self.choice, 'x_range', 'x0'):
                self.show_control(name, name in params)

    def draw(self):
        v = self.values
        name = v[self.choice]
        c = self.curves[name]
        params = {p: v[p] for p in c.params}
        (lo, hi), x0 = v['x_range'], v['x0']
        x = np.linspace(lo, hi, self.points)
        y, dy = c.evaluate(x, **params)
        (y0,), (dy0,) = c.evaluate([x0], **params)
        self.curve_data = dict(x=x, y=y, dy=dy, x0=x0, y0=float(y0), dy0=float(dy0))
        shown = ', '.join('%s=%g' % kv for kv in params.items())
        ax_f = self.figure.add_subplot(1, 2, 1)
        ax_f.plot(x, y, color='#1f77b4', lw=2)
        half = (hi - lo) / 8
        ax_f.plot([x0 - half, x0 + half], [y0 - dy0 * half, y0 + dy0 * half],
                  color='#d62728', lw=1.2, label='tangent, slope %.3g' % dy0)
        ax_f.plot([x0], [y0], 'o', color='#d62728', ms=4)
        ax_f.set_title('%s: %s%s' % (name, c.formula, '\n' + shown if shown else ''),
                       fontsize=9)
        ax_f.legend(fontsize=7, loc='best')
        ax_d = self.figure.add_subplot(1, 2, 2)
        ax_d.plot(x, dy, color='#ff7f0e', lw=2)
        ax_d.plot([x0], [dy0], 'o', color='#d62728', ms=4)
        ax_d.annotate("f'(%.3g) = %.3g" % (x0, dy0), (x0, dy0), fontsize=7,
                      textcoords='offset points', xytext=(5, 5))
        ax_d.set_title('derivative (by autograd)', fontsize=9)
        for ax, values in ((ax_f, y), (ax_d, dy)):
            lo_v, hi_v = np.nanmin(values), np.nanmax(values)
            pad = 0.12 * (hi_v - lo_v) + 0.05
            ax.set_ylim(lo_v - pad, hi_v + pad)
        for ax in (ax_f, ax_d):
            ax.set_xlim(lo, hi)
            ax.set_xlabel(c.xlabel, fontsize=8)
            ax.grid(alpha=0.3)
            ax.axhline(0, color='#888888', lw=0.6)
            ax.axvline(0, color='#888888', lw=0.6)
            ax.tick_params(labelsize=7)
        self.figure.tight_layout()

    def __repr__(self):
        return '<%s: %s>' % (type(self).__name__, self.values[self.choice])

