"""The optimizer playground: mx.optimizer's update rules racing on a two-dimensional surface.

A :class:`Surface` is a loss ``f(x, y)`` written with ``mx.nd`` operations.
:func:`descend` runs a real :class:`mx.optimizer.Optimizer` on it: the weight is
a 2-element NDArray, the gradient comes from ``mx.autograd``, and each step is
the optimizer's own ``update`` (the fused operators of
``mxlearn.operator.optimizer_updates`` for SGD, NAG, RMSProp and Adam).
:class:`OptimizerPlayground` draws the trajectories of several optimizers on
the contour plot, with sliders for their learning rates and other settings.
"""
import ipywidgets
import numpy as np

from .. import autograd
from .. import ndarray as nd
from .. import optimizer as mx_optimizer
from ..base import MXNetError
from .base import FigureWidget
from .controls import _STYLE, dropdown, slider
from .dashboard import compact_png


class Surface:
    """A loss surface ``f(x, y)`` for the playground.

    Parameters
    ----------
    fn : callable
        ``fn(x, y)`` -> ``f``, elementwise ``mx.nd`` operations on NDArrays of
        one shape (so the same code evaluates a grid and, under
        ``autograd.record()``, one point).
    formula : str
        How it is written, in matplotlib's mathtext.
    x_range, y_range : (float, float)
        The region plotted (and the range of the start-point sliders).
    start : (float, float)
        The default start point.
    minima : list of (float, float)
        Where the minima are (marked with a star).
    f_min : float
        The minimum value: the plots show ``f - f_min``, on a log scale.
    lrs : dict
        Optimizer name -> default learning rate on this surface (learning
        rates that work differ by orders of magnitude between surfaces).

    Examples
    --------
    >>> s = SURFACES['bowl']
    >>> s.value(2.0, 1.0)
    2.4
    """

    def __init__(self, fn, formula, x_range, y_range, start, minima, f_min=0.0, lrs=None):
        self.fn = fn
        self.formula = formula
        self.x_range = tuple(x_range)
        self.y_range = tuple(y_range)
        self.start = tuple(start)
        self.minima = list(minima)
        self.f_min = f_min
        self.lrs = dict(lrs or {})

    def value(self, x, y):
        """``f(x, y)`` at one point, as a float."""
        return float(self.fn(nd.array([x], dtype='float64'),
                             nd.array([y], dtype='float64')).asscalar())

    def grid(self, points=160):
        """``(X, Y, F)``: the surface on a ``points`` x ``points`` grid (numpy arrays)."""
        X, Y = np.meshgrid(np.linspace(*self.x_range, points), np.linspace(*self.y_range, points))
        F = self.fn(nd.array(X, dtype='float64'), nd.array(Y, dtype='float64')).asnumpy()
        return X, Y, F


def _beale(x, y):
    return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2
            + (2.625 - x + x * y ** 3) ** 2)


#: Surface name -> :class:`Surface`.
SURFACES = {
    # Curvatures 0.2 and 4: a condition number of 20, so plain gradient descent
    # zig-zags across the valley while it crawls along it.
    'bowl': Surface(lambda x, y: 0.1 * x * x + 2.0 * y * y,
                    r'$0.1\,x^2 + 2\,y^2$', (-6.0, 6.0), (-3.0, 3.0), (-5.0, -2.0),
                    [(0.0, 0.0)],
                    lrs=dict(sgd=0.4, momentum=0.1, nag=0.1, adagrad=1.0, rmsprop=0.1,
                             adam=0.3, nadam=0.3)),
    'rosenbrock': Surface(lambda x, y: (1.0 - x) ** 2 + 100.0 * nd.square(y - x * x),
                          r'$(1 - x)^2 + 100\,(y - x^2)^2$', (-2.0, 2.0), (-1.0, 3.0),
                          (-1.2, 1.0), [(1.0, 1.0)],
                          lrs=dict(sgd=0.002, momentum=0.002, nag=0.002, adagrad=0.5,
                                   rmsprop=0.03, adam=0.3, nadam=0.3)),
    # A saddle at the origin between two minima at (0, +-1): starting on the
    # ridge y ~ 0, the gradient's y component is tiny, and descent lingers.
    'saddle': Surface(lambda x, y: x * x + 0.25 * y ** 4 - 0.5 * y * y + 0.25,
                      r'$x^2 + y^4/4 - y^2/2 + 1/4$', (-2.0, 2.0), (-1.6, 1.6),
                      (-1.8, 0.02), [(0.0, -1.0), (0.0, 1.0)],
                      lrs=dict(sgd=0.1, momentum=0.03, nag=0.03, adagrad=0.3, rmsprop=0.05,
                               adam=0.1, nadam=0.1)),
    'beale': Surface(_beale, r'$\sum_i (c_i - x + x y^i)^2,\ c = (1.5, 2.25, 2.625)$',
                     (-2.0, 4.5), (-1.5, 2.0), (0.5, 1.6), [(3.0, 0.5)],
                     lrs=dict(sgd=0.01, momentum=0.003, nag=0.003, adagrad=0.5,
                              rmsprop=0.1, adam=0.1, nadam=0.1)),
}

#: Playground name -> (mx.optimizer name, the settings it takes from the sliders).
OPTIMIZERS = {
    'sgd': ('sgd', ()),
    'momentum': ('sgd', ('momentum',)),
    'nag': ('nag', ('momentum',)),
    'adagrad': ('adagrad', ()),
    'rmsprop': ('rmsprop', ('gamma1',)),
    'adam': ('adam', ('beta1', 'beta2')),
    'nadam': ('nadam', ('beta1', 'beta2')),
}

# Setting -> (default, min, max, step, readout format).
_SETTINGS = {
    'momentum': (0.9, 0.0, 0.99, 0.01, '.2f'),
    'gamma1': (0.9, 0.0, 0.99, 0.01, '.2f'),
    'beta1': (0.9, 0.0, 0.99, 0.01, '.2f'),
    'beta2': (0.999, 0.9, 0.9999, 0.0001, '.4f'),
}

# One colour per optimizer, the same on every surface.
_COLORS = dict(zip(OPTIMIZERS, ['#d62728', '#1f77b4', '#17becf', '#8c564b', '#9467bd',
                                '#2ca02c', '#ff7f0e']))

# A trajectory this far outside the plotted region has diverged.
_ESCAPE = 1e6


def make_optimizer(name, learning_rate, **settings):
    """The ``mx.optimizer`` instance behind playground optimizer ``name``.

    ``'sgd'`` is SGD without momentum, ``'momentum'`` SGD with it; the others
    are the optimizers of that name. ``settings`` the optimizer does not take
    are ignored, so one dict of slider values serves them all.

    Examples
    --------
    >>> opt = make_optimizer('momentum', 0.1, momentum=0.5, beta1=0.8)
    >>> type(opt).__name__, opt.momentum
    ('SGD', 0.5)
    """
    if name not in OPTIMIZERS:
        raise MXNetError('unknown optimizer %r; the playground has %s'
                         % (name, ', '.join(OPTIMIZERS)))
    registered, takes = OPTIMIZERS[name]
    kwargs = {k: settings.get(k, _SETTINGS[k][0]) for k in takes}
    return mx_optimizer.create(registered, learning_rate=learning_rate, **kwargs)


def descend(fn, optimizer, start, steps):
    """Run ``optimizer`` for ``steps`` steps on ``fn(x, y)`` from ``start``.

    The weight is a float64 NDArray ``[x, y]``; every step records ``fn`` with
    autograd, calls ``backward`` and hands the gradient to
    ``optimizer.update``. A run whose weight leaves every sensible region
    (or becomes inf/nan) stops, and the rest of the trajectory is nan.

    Parameters
    ----------
    fn : callable
        ``fn(x, y)`` with ``mx.nd`` operations (see :class:`Surface`).
    optimizer : mx.optimizer.Optimizer
    start : (float, float)
    steps : int

    Returns
    -------
    trajectory : numpy.ndarray, shape (steps + 1, 2)
        The weight before each step and after the last.
    losses : numpy.ndarray, shape (steps + 1,)
        ``fn`` at those points.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.optimizer
    >>> path, losses = descend(lambda x, y: x * x + y * y,
    ...                        mx.optimizer.SGD(learning_rate=0.25), (1.0, -2.0), 2)
    >>> path.tolist(), losses.tolist()
    ([[1.0, -2.0], [0.5, -1.0], [0.25, -0.5]], [5.0, 1.25, 0.3125])
    """
    trajectory = np.full((steps + 1, 2), np.nan)
    losses = np.full(steps + 1, np.nan)
    w = nd.array(start, dtype='float64')
    w.attach_grad()
    state = optimizer.create_state(0, w)
    with np.errstate(all='ignore'):
        for t in range(steps + 1):
            point = w.asnumpy()
            if not np.all(np.isfinite(point)) or np.abs(point).max() > _ESCAPE:
                break
            with autograd.record():
                loss = fn(w[0], w[1])
            trajectory[t], losses[t] = point, loss.asscalar()
            if t < steps:
                loss.backward()
                optimizer.update(0, w, w.grad, state)
    return trajectory, losses


def _log_slider(description, value, min_exp, max_exp):
    """A ``FloatLogSlider`` over ``10**min_exp .. 10**max_exp`` that updates on release."""
    return ipywidgets.FloatLogSlider(value=value, base=10, min=min_exp, max=max_exp, step=0.05,
                                     description=description, readout_format='.2g',
                                     continuous_update=False, style=_STYLE,
                                     layout=ipywidgets.Layout(width='260px'))


class OptimizerPlayground(FigureWidget):
    """Optimizers from ``mx.optimizer`` racing down a 2-D surface, with sliders.

    Left, the contour plot of the surface (log-spaced levels of
    ``f - f_min``) with each optimizer's trajectory from the start point
    (hollow circle) to where it stopped (filled); right, ``f - f_min`` against
    the step. Every run is :func:`descend`: autograd gradients and the real
    optimizer's ``update``.

    Controls: the surface; which optimizers to show; a learning rate per
    optimizer (log scale; picking a surface resets them to values that work
    there); ``momentum`` (momentum, nag), ``gamma1`` (rmsprop), ``beta1`` and
    ``beta2`` (adam, nadam), each shown only when a shown optimizer uses it;
    the start point; the number of steps.

    Parameters
    ----------
    surface : str
        One of :data:`SURFACES`: bowl (an ill-conditioned quadratic),
        rosenbrock, saddle, beale.
    optimizers : sequence of str
        From :data:`OPTIMIZERS`: sgd, momentum, nag, adagrad, rmsprop, adam, nadam.
    steps : int
    start : (float, float), optional
        The start point (the surface's default otherwise).
    lrs : dict, optional
        Optimizer name -> learning rate, instead of the surface's default.
    **settings
        Initial ``momentum``, ``gamma1``, ``beta1``, ``beta2``.

    Attributes
    ----------
    trajectories : dict
        Optimizer name -> numpy array ``(steps + 1, 2)`` of the points visited
        (nan after a divergence), from the last redraw.
    losses : dict
        Optimizer name -> numpy array ``(steps + 1,)`` of ``f`` at those points.

    Examples
    --------
    >>> w = OptimizerPlayground('bowl', optimizers=('sgd', 'adam'), steps=20)
    >>> w.trajectories['sgd'].shape
    (21, 2)
    >>> w.controls['lr_sgd'].value = 0.1
    >>> bool(w.losses['sgd'][-1] < w.losses['sgd'][0])
    True
    """

    def __init__(self, surface='rosenbrock', optimizers=('sgd', 'momentum', 'adam'), steps=60,
                 start=None, lrs=None, **settings):
        super().__init__(figsize=(9.5, 3.9))
        if surface not in SURFACES:
            raise MXNetError('unknown surface %r; the playground has %s'
                             % (surface, ', '.join(SURFACES)))
        for name in optimizers:
            make_optimizer(name, 0.1)  # fails early and clearly on an unknown name
        unknown = set(settings) - set(_SETTINGS)
        if unknown:
            raise TypeError('unknown settings %s; the playground has %s'
                            % (sorted(unknown), ', '.join(_SETTINGS)))
        self.trajectories = {}
        self.losses = {}
        s = SURFACES[surface]
        self.add_control('surface', dropdown('surface', list(SURFACES), surface))
        self.add_control('optimizers', ipywidgets.SelectMultiple(
            options=list(OPTIMIZERS), value=tuple(optimizers), rows=4,
            description='optimizers', style=_STYLE, layout=ipywidgets.Layout(width='220px')))
        lrs = dict(lrs or {})
        for name in OPTIMIZERS:
            self.add_control('lr_' + name, _log_slider('lr ' + name, lrs.get(name, s.lrs[name]),
                                                       -4, 1))
        for name, (default, low, high, step, fmt) in _SETTINGS.items():
            control = slider(name, float(settings.get(name, default)), low, high, step)
            control.readout_format = fmt
            self.add_control(name, control)
        x0, y0 = start if start is not None else s.start
        self.add_control('x0', slider('start x', float(x0), *s.x_range))
        self.add_control('y0', slider('start y', float(y0), *s.y_range))
        self.add_control('steps', slider('steps', int(steps), 1, max(300, int(steps))))
        self.controls_changed(None)
        self.redraw()

    def controls_changed(self, change):
        if change is not None and change['owner'] is self.controls['surface']:
            self._reset_for(SURFACES[change['new']])
        shown = self.values['optimizers']
        for name in OPTIMIZERS:
            self.show_control('lr_' + name, name in shown)
        for setting in _SETTINGS:
            self.show_control(setting, any(setting in OPTIMIZERS[n][1] for n in shown))

    def _reset_for(self, s):
        """Start point ranges and defaults, and learning rates, of surface ``s``."""
        for name, (low, high), value in (('x0', s.x_range, s.start[0]),
                                         ('y0', s.y_range, s.start[1])):
            c = self.controls[name]
            # Widen first so that no intermediate min > max or clamped value occurs.
            c.min, c.max = min(c.min, low), max(c.max, high)
            c.value = value
            c.min, c.max, c.step = low, high, (high - low) / 100
        for name in OPTIMIZERS:
            self.controls['lr_' + name].value = s.lrs[name]

    def run(self):
        """Run every shown optimizer from the current settings; fills :attr:`trajectories`."""
        v = self.values
        s = SURFACES[v['surface']]
        settings = {k: v[k] for k in _SETTINGS}
        self.trajectories, self.losses = {}, {}
        for name in v['optimizers']:
            opt = make_optimizer(name, v['lr_' + name], **settings)
            self.trajectories[name], self.losses[name] = descend(
                s.fn, opt, (v['x0'], v['y0']), v['steps'])

    def draw(self):
        self.run()
        v = self.values
        s = SURFACES[v['surface']]
        # A fixed layout: tight_layout would draw the whole figure once more.
        grid = self.figure.add_gridspec(1, 2, width_ratios=(1.35, 1.0), left=0.06, right=0.98,
                                        bottom=0.12, top=0.92, wspace=0.18)
        ax, ax_loss = self.figure.add_subplot(grid[0]), self.figure.add_subplot(grid[1])
        X, Y, F = s.grid()
        gap = F - s.f_min
        top = gap.max()
        levels = np.geomspace(max(gap[gap > 0].min(), top * 1e-6), top, 22)
        ax.contour(X, Y, gap, levels=levels, cmap='Greys_r', linewidths=0.6, alpha=0.8)
        for x_min, y_min in s.minima:
            ax.plot([x_min], [y_min], marker='*', color='black', ms=11, ls='none')
        floor = 1e-12  # f - f_min reaches 0 exactly at times; a log axis cannot show 0
        for name, path in self.trajectories.items():
            color = _COLORS[name]
            done = np.isfinite(path[:, 0])
            diverged = not done.all()
            label = name + (' (diverged)' if diverged else '')
            ax.plot(path[done, 0], path[done, 1], '.-', color=color, lw=1.2, ms=3, label=label)
            ax.plot(*path[0], 'o', mfc='none', mec='black', ms=7)
            ax.plot(*path[done][-1], 'o', color=color, mec='black', ms=6)
            gaps = self.losses[name] - s.f_min
            final = 'diverged' if diverged else '%.2g' % gaps[-1]
            ax_loss.plot(np.maximum(gaps, floor), color=color, lw=1.5,
                         label='%s (lr %.2g): %s' % (name, v['lr_' + name], final))
        ax.set_xlim(*s.x_range)
        ax.set_ylim(*s.y_range)
        ax.set_title('%s: %s' % (v['surface'], s.formula), fontsize=9)
        ax.set_xlabel('x', fontsize=8)
        ax.set_ylabel('y', fontsize=8)
        ax_loss.set_yscale('log')
        ax_loss.minorticks_off()  # minor log ticks cost more to draw than the rest
        ax_loss.set_xlabel('step', fontsize=8)
        ax_loss.set_title(r'$f(w_t) - f_{min}$', fontsize=9)
        ax_loss.grid(alpha=0.3)
        for a in (ax, ax_loss):
            a.tick_params(labelsize=7)
        if self.trajectories:
            ax.legend(fontsize=7, loc='upper right')
            ax_loss.legend(fontsize=7, loc='best')

    def png(self):
        return compact_png(self.figure)

    def __repr__(self):
        v = self.values
        return '<OptimizerPlayground: %s, %s>' % (v['surface'], ', '.join(v['optimizers']))
