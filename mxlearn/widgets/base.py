"""What every widget shares: a matplotlib picture, controls that redraw it, a static copy.

A widget of the course is a :class:`FigureWidget`: a box holding a row of
controls, the picture, and a one-line status. Subclasses add controls with
:meth:`FigureWidget.add_control` and implement :meth:`FigureWidget.draw`; any
change of a control redraws the picture.

The picture is drawn with matplotlib's object-oriented API on the Agg canvas
(no pyplot, so no global figure state and no backend to configure) and shown as
PNG bytes in an ``ipywidgets.Image``. When the widget is displayed its mime
bundle carries the same PNG as ``image/png`` next to the live widget view:
JupyterLab with a kernel shows the live widget, and GitHub, nbviewer,
nbconvert and nbval, which cannot run widgets, show the picture.
"""
import base64
import contextlib
import html
import io

import ipywidgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: Resolution of every picture: small enough to keep committed notebooks light.
DPI = 80


class FigureWidget(ipywidgets.VBox):
    """A matplotlib figure drawn by :meth:`draw` and redrawn whenever a control changes.

    Subclasses call ``super().__init__``, add controls with :meth:`add_control`,
    and finish their ``__init__`` with :meth:`redraw`. :meth:`draw` reads the
    controls' current values from :attr:`values` and draws on the cleared
    :attr:`figure`.

    Parameters
    ----------
    figsize : (float, float)
        Size of the picture in inches (at :data:`DPI` dots per inch).

    Attributes
    ----------
    figure : matplotlib.figure.Figure
        The figure :meth:`draw` draws on.
    image : ipywidgets.Image
        The rendered picture (PNG bytes in ``image.value``).
    controls : dict
        Control name -> ipywidgets control, in the order they were added.
    status : ipywidgets.HTML
        A line under the picture for messages (see :meth:`set_message`).

    Examples
    --------
    >>> import ipywidgets
    >>> class Line(FigureWidget):
    ...     def __init__(self):
    ...         super().__init__(figsize=(3, 2))
    ...         self.add_control('slope', ipywidgets.FloatSlider(value=1.0))
    ...         self.redraw()
    ...     def draw(self):
    ...         self.figure.add_subplot().plot([0, 1], [0, self.values['slope']])
    >>> w = Line()
    >>> before = w.image.value
    >>> w.controls['slope'].value = 2.0
    >>> w.image.value != before
    True
    >>> sorted(w._repr_mimebundle_())
    ['application/vnd.jupyter.widget-view+json', 'image/png', 'text/plain']
    """

    def __init__(self, figsize=(6.0, 3.0)):
        self.figure = Figure(figsize=figsize, dpi=DPI)
        FigureCanvasAgg(self.figure)
        # Shrinks with a narrow notebook instead of overflowing it.
        self.image = ipywidgets.Image(format='png', layout=ipywidgets.Layout(max_width='100%'))
        self.controls = {}
        self.panel = ipywidgets.HBox(layout=ipywidgets.Layout(flex_flow='row wrap'))
        self.status = ipywidgets.HTML()
        self._held = 0
        self._stale = False
        self._failed = False
        super().__init__(children=[self.panel, self.image, self.status])
        # CSS classes so that a browser test (or a stylesheet) can find the widget.
        self.add_class('mxlearn-widget')
        self.add_class('mxlearn-' + type(self).__name__)

    # ------------------------------------------------------------ controls --

    def add_control(self, name, control):
        """Add ``control`` to the control row; a change of its ``value`` redraws.

        Parameters
        ----------
        name : str
            The key of its value in :attr:`values`.
        control : ipywidgets.ValueWidget
            Any widget with a ``value`` trait (slider, dropdown, text,
            :class:`~mxlearn.widgets.controls.ShapeInput`, ...).

        Returns
        -------
        control
        """
        self.controls[name] = control
        self.panel.children = self.panel.children + (control,)
        control.observe(self._control_changed, names='value')
        return control

    @property
    def values(self):
        """The current value of every control, as a dict name -> value."""
        return {name: c.value for name, c in self.controls.items()}

    def show_control(self, name, visible):
        """Show or hide a control (e.g. a parameter that only some choices have)."""
        self.controls[name].layout.display = None if visible else 'none'

    @contextlib.contextmanager
    def hold(self):
        """Redraw once at the end of a block that changes several controls.

        Examples
        --------
        >>> from mxlearn.widgets import ActivationExplorer
        >>> w = ActivationExplorer()
        >>> with w.hold():
        ...     w.controls['activation'].value = 'leaky'
        ...     w.controls['slope'].value = 0.3
        >>> w.values['slope']
        0.3
        """
        self._held += 1
        try:
            yield self
        finally:
            self._held -= 1
            if not self._held and self._stale:
                self._update(None)

    def _control_changed(self, change):
        if self._held:
            self._stale = True
        else:
            self._update(change)

    def _update(self, change):
        try:
            # Controls that the hook changes are drawn by the one redraw below.
            self._held += 1
            try:
                self.controls_changed(change)
            finally:
                self._held -= 1
            self.redraw()
        except Exception as exc:  # noqa: BLE001
            # Called from the browser, an exception only reaches the kernel's
            # log, where a learner never looks: show it under the picture too.
            self.set_message('%s: %s' % (type(exc).__name__, exc), error=True)
            self._failed = True
            raise
        if self._failed:
            self._failed = False
            self.set_message('')

    def controls_changed(self, change):
        """Hook run before the redraw that a control change causes, e.g. to show or
        hide other controls; ``change`` is the traitlets change dict (None after
        :meth:`hold`)."""

    # ------------------------------------------------------------- drawing --

    def draw(self):
        """Draw the picture on the (cleared) :attr:`figure`; subclasses implement it."""
        raise NotImplementedError

    def redraw(self):
        """Clear the figure, :meth:`draw` it again and update the picture."""
        self._stale = False
        self.figure.clear()
        self.draw()
        self.image.value = self.png()

    def png(self):
        """The figure as PNG bytes."""
        buf = io.BytesIO()
        self.figure.savefig(buf, format='png', dpi=DPI)
        return buf.getvalue()

    def set_message(self, text, error=False):
        """Show ``text`` under the picture (in red if ``error``); '' clears it."""
        style = 'color:#b00020' if error else 'color:#444'
        self.status.value = ('<span style="%s">%s</span>' % (style, html.escape(text))
                             if text else '')

    # ------------------------------------------------------------- display --

    def _repr_mimebundle_(self, **kwargs):
        # The live view and, beside it, the picture for readers without a kernel.
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle['image/png'] = base64.b64encode(self.image.value).decode('ascii')
        return bundle

    def __repr__(self):
        return '<%s>' % type(self).__name__


def short_value(array, items=3, digits=3, max_chars=None):
    """A short text for an array's values, e.g. ``'[0.5 1.25 …]'``, for labels.

    Parameters
    ----------
    array : numpy.ndarray or NDArray
    items : int
        How many values to show at most before ``…``.
    digits : int
        Significant digits per value.
    max_chars : int, optional
        Show fewer values if the text would be longer than this.

    Examples
    --------
    >>> import numpy as np
    >>> short_value(np.array(2.0))
    '2'
    >>> short_value(np.arange(5) / 4)
    '[0 0.25 0.5 …]'
    >>> short_value(np.array([-0.825, 0.5, 1.25]), max_chars=12)
    '[-0.825 …]'
    """
    a = np.asarray(array.asnumpy() if hasattr(array, 'asnumpy') else array).ravel()
    fmt = '%%.%dg' % digits
    a = a + 0.0 if a.dtype.kind == 'f' else a  # -0.0 prints as '-0'; 0.0 as '0'
    if a.size == 1:
        return fmt % a[0]
    for n in range(min(items, a.size), 0, -1):
        text = '[%s%s]' % (' '.join(fmt % v for v in a[:n]), ' …' if a.size > n else '')
        if max_chars is None or len(text) <= max_chars or n == 1:
            return text
