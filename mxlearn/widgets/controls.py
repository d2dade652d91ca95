"""Controls in the house style, shared by every widget.

Sliders update on release (``continuous_update=False``): each value change
redraws a picture and sends it to the browser, and on a shared Binder CPU a
drag that redraws at every pixel would queue dozens of pictures.
"""
import html
import numbers
import re

import ipywidgets
import traitlets

from ..base import MXNetError

_STYLE = {'description_width': 'initial'}


def slider(description, value, min, max, step=None):
    """An ``IntSlider`` (all arguments integers) or ``FloatSlider`` that updates on release.

    Parameters
    ----------
    description : str
        The label left of the slider.
    value, min, max : int or float
    step : int or float, optional
        1 for integer sliders, a hundredth of the range otherwise.

    Examples
    --------
    >>> slider('slope', 0.1, 0.0, 1.0).step
    0.01
    >>> type(slider('classes', 3, 2, 3)).__name__
    'IntSlider'
    """
    ints = all(isinstance(v, numbers.Integral) for v in (value, min, max))
    if ints and (step is None or isinstance(step, numbers.Integral)):
        cls, step = ipywidgets.IntSlider, step or 1
    else:
        cls = ipywidgets.FloatSlider
        step = step if step is not None else (max - min) / 100
    return cls(value=value, min=min, max=max, step=step, description=description,
               continuous_update=False, style=_STYLE,
               layout=ipywidgets.Layout(width='260px'))


def range_slider(description, value, min, max):
    """A ``FloatRangeSlider`` (an interval ``(low, high)``) that updates on release.

    Examples
    --------
    >>> range_slider('x range', (-4.0, 4.0), -12.0, 12.0).value
    (-4.0, 4.0)
    """
    return ipywidgets.FloatRangeSlider(value=value, min=min, max=max, step=(max - min) / 120,
                                       description=description, continuous_update=False,
                                       style=_STYLE, layout=ipywidgets.Layout(width='300px'))


def dropdown(description, options, value=None):
    """A dropdown over ``options`` (a list, or a dict label -> value).

    Examples
    --------
    >>> dropdown('loss', ['mse', 'l1']).value
    'mse'
    """
    kwargs = {} if value is None else {'value': value}
    return ipywidgets.Dropdown(options=options, description=description, style=_STYLE,
                               layout=ipywidgets.Layout(width='220px'), **kwargs)


def parse_shape(text):
    """Read a shape typed by a learner: ``'(2, 1, 3)'``, ``'2,1,3'``, ``'2 1 3'``, ``'()'``.

    Raises
    ------
    MXNetError
        If the text is not a list of non-negative integers.

    Examples
    --------
    >>> parse_shape('(2, 1, 3)')
    (2, 1, 3)
    >>> parse_shape('4')
    (4,)
    """
    body = text.strip().strip('()[]').strip()
    parts = [p for p in re.split(r'[\s,]+', body) if p]
    if not all(p.isdigit() for p in parts):
        raise MXNetError('%r is not a shape; expected non-negative integers such as '
                         '(2, 1, 3)' % text)
    return tuple(int(p) for p in parts)


def format_shape(shape):
    """``(2,)`` -> ``'(2,)'``, as Python prints a tuple."""
    return str(tuple(shape))


class ShapeInput(ipywidgets.HBox):
    """A shape, typed as text or changed axis by axis with one slider per axis.

    Its ``value`` trait holds the shape as a tuple, so it works as a control of
    a :class:`~mxlearn.widgets.base.FigureWidget` like any slider. Typing a
    shape with another number of axes rebuilds the sliders.

    Parameters
    ----------
    description : str
        The label, e.g. ``'A'``.
    shape : tuple of int
    max_size : int
        The largest size the axis sliders offer (larger sizes can be typed).

    Examples
    --------
    >>> s = ShapeInput('A', (2, 3))
    >>> s.sliders[1].value = 1
    >>> s.value, s.text.value
    ((2, 1), '(2, 1)')
    >>> s.text.value = '4, 1, 5'
    >>> s.value, len(s.sliders)
    ((4, 1, 5), 3)
    """

    value = traitlets.Tuple()

    def __init__(self, description, shape, max_size=6):
        self.max_size = max_size
        self.text = ipywidgets.Text(description=description, continuous_update=False,
                                    style=_STYLE, layout=ipywidgets.Layout(width='150px'))
        self.sliders = []
        self.axes = ipywidgets.HBox()
        self.error = ipywidgets.HTML()
        self._syncing = False
        super().__init__(children=[self.text, self.axes, self.error])
        self.text.observe(self._text_changed, names='value')
        self.value = tuple(shape)

    @traitlets.validate('value')
    def _valid_shape(self, proposal):
        shape = tuple(proposal['value'])
        if not all(isinstance(d, numbers.Integral) and d >= 0 for d in shape):
            raise MXNetError('a shape is a tuple of non-negative integers, got %r' % (shape,))
        return tuple(int(d) for d in shape)

    @traitlets.observe('value')
    def _show_value(self, change):
        self._syncing = True
        try:
            self.text.value = format_shape(self.value)
            self.error.value = ''
            if len(self.sliders) != len(self.value):
                self._build_sliders()
            for s, d in zip(self.sliders, self.value):
                s.max = max(s.max, d)
                s.min = min(s.min, d)
                s.value = d
        finally:
            self._syncing = False

    def _build_sliders(self):
        self.sliders = []
        for axis, d in enumerate(self.value):
            s = ipywidgets.IntSlider(value=d, min=min(1, d), max=max(self.max_size, d),
                                     description='axis %d' % axis, continuous_update=False,
                                     style=_STYLE, layout=ipywidgets.Layout(width='170px'))
            s.observe(self._slider_changed, names='value')
            self.sliders.append(s)
        self.axes.children = tuple(self.sliders)

    def _slider_changed(self, change):
        if not self._syncing:
            self.value = tuple(s.value for s in self.sliders)

    def _text_changed(self, change):
        if self._syncing:
            return
        try:
            self.value = parse_shape(change['new'])
        except MXNetError as exc:
            self.error.value = '<span style="color:#b00020">%s</span>' % html.escape(str(exc))
