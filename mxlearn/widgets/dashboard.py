"""A live training dashboard: metric curves, progress, throughput, sample predictions.

:class:`TrainingDashboard` is fed from a training loop, every batch or every few
batches (``update``) and at the end of each epoch (``epoch_end``), or is handed
to ``Module.fit`` as its batch-end (and eval-end, epoch-end) callback. Drawing
a figure costs tens of milliseconds, so updates between redraws only record
values and move the progress bar; the picture is redrawn at most every
``min_interval`` seconds, never taking more than about a quarter of the time,
and always at the end of an epoch.
"""
import html
import io
import time

import ipywidgets
import numpy as np
from PIL import Image

from .base import FigureWidget

_TRAIN, _VALIDATION = 'train', 'validation'
_COLORS = {_TRAIN: '#1f77b4', _VALIDATION: '#ff7f0e'}
# A redraw is skipped unless the time since the last one is this many times
# what that one cost, so that drawing takes at most about 1/4 of the time.
_COST_RATIO = 3.0
# The progress bar and line are updated at most this often (seconds): each
# change is a message to the browser, and a loop may run hundreds of batches a second.
_REPORT_INTERVAL = 0.1
_MAX_SAMPLES = 10


def compact_png(figure):
    """``figure`` as a PNG with a palette of 256 colours.

    Line plots have few distinct colours, so this is about four times smaller
    than matplotlib's RGBA PNG at no visible cost, and quick (an octree
    quantizer). Every picture is stored twice in a saved notebook (in the
    output and in the widget state), so the size counts.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from matplotlib.backends.backend_agg import FigureCanvasAgg
    >>> fig = Figure(figsize=(2, 1), dpi=80)
    >>> _ = FigureCanvasAgg(fig)
    >>> compact_png(fig)[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
    True
    """
    figure.canvas.draw()
    rgb = np.asarray(figure.canvas.buffer_rgba())[..., :3]
    image = Image.fromarray(rgb).quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    buf = io.BytesIO()
    image.save(buf, format='PNG')
    return buf.getvalue()


def _number(value):
    """A float from a Python number, a numpy scalar or a one-element NDArray."""
    if hasattr(value, 'asscalar'):
        return float(value.asscalar())
    return float(np.asarray(value).reshape(()))


def _split(name):
    """``'val_loss'`` -> ``('loss', 'validation')``; ``'loss'``, ``'train_loss'`` -> train."""
    if name.startswith('val_'):
        return name[4:], _VALIDATION
    if name.startswith('train_'):
        return name[6:], _TRAIN
    return name, _TRAIN


def _duration(seconds):
    """``75.3`` -> ``'1 min 15 s'``."""
    seconds = int(round(seconds))
    if seconds < 60:
        return '%d s' % seconds
    return '%d min %02d s' % divmod(seconds, 60)


def _batch_size(scope):
    """The batch size from ``Module.fit``'s local variables (its ``data_batch``), if there."""
    batch = (scope or {}).get('data_batch')
    data = getattr(batch, 'data', None)
    return data[0].shape[0] if data else None


def _as_images(images):
    """Images as a numpy array ``(N, H, W)`` or ``(N, H, W, 3)``, from NCHW, NHWC or NHW."""
    a = np.asarray(images.asnumpy() if hasattr(images, 'asnumpy') else images)
    if a.ndim == 4 and a.shape[1] in (1, 3) and a.shape[3] not in (1, 3):
        a = a.transpose(0, 2, 3, 1)
    if a.ndim == 4 and a.shape[3] == 1:
        a = a[..., 0]
    if a.ndim not in (3, 4):
        raise ValueError('show_samples expects images of shape (N, H, W), (N, H, W, C) or '
                         '(N, C, H, W), got %s' % (a.shape,))
    return a


def _as_classes(values):
    """Class indices as ints; rows of scores (N, classes) become their argmax."""
    a = np.asarray(values.asnumpy() if hasattr(values, 'asnumpy') else values)
    if a.ndim == 2:
        a = a.argmax(axis=1)
    return a.astype(int).ravel()


class TrainingDashboard(FigureWidget):
    """Live curves of loss, accuracy, ... (train and validation), progress, samples/s, ETA.

    Feed it from a Gluon loop::

        dash = mx.widgets.TrainingDashboard(total=epochs * len(train_loader))
        display(dash)             # IPython.display; or end the cell with `dash`
        for epoch in range(epochs):
            for i, (X, y) in enumerate(train_loader):
                ...
                if i % 10 == 0:
                    dash.update(epoch=epoch, batch=i, samples=X.shape[0], loss=...)
            dash.epoch_end(accuracy=train_acc, val_accuracy=val_acc)

    or give it to ``Module.fit(batch_end_callback=dash,
    eval_end_callback=dash.eval_end_callback)``.

    A value named ``name`` goes to the panel ``name`` as a training value;
    ``val_name`` goes to the same panel as a validation value (``train_name``
    is the same as ``name``). Panels are those of ``metrics``, plus one for
    every other name that arrives. The x axis counts batches; dotted lines
    mark the ends of epochs, where the values passed to :meth:`epoch_end` are
    drawn as dots.

    Displayed in a notebook, the dashboard refreshes its static copy (the
    picture that GitHub, nbviewer and nbval show) at every epoch end and when
    samples are shown, so a saved notebook keeps its final state.

    Parameters
    ----------
    metrics : sequence of str
        The panels to draw from the start.
    total : int, optional
        The number of batches of the whole run (epochs times batches per
        epoch), for the progress bar and the estimated time left.
    title : str, optional
    min_interval : float
        The least number of seconds between two redraws triggered by
        :meth:`update`.

    Attributes
    ----------
    history : dict
        ``(metric, 'train' | 'validation')`` -> list of ``(batches, value,
        at_epoch_end)``.
    batches, samples : int
        Batches and samples counted so far.
    redraws : int
        How many times the picture was drawn.

    Examples
    --------
    >>> dash = TrainingDashboard(total=4, min_interval=0)
    >>> for i in range(2):
    ...     dash.update(epoch=0, batch=i, samples=32, loss=1.0 / (i + 1))
    >>> dash.epoch_end(val_loss=0.6, accuracy=0.7)
    >>> dash.batches, dash.samples, dash.history['loss', 'validation']
    (2, 64, [(2, 0.6, True)])
    >>> dash.progress.value, dash.progress.max
    (2, 4)
    """

    def __init__(self, metrics=('loss', 'accuracy'), total=None, title=None, min_interval=0.25):
        super().__init__(figsize=(9.0, 3.0))
        self.metrics = list(metrics)
        self.total = total
        self.title = title
        self.min_interval = min_interval
        self.history = {}
        self.epoch_ends = []          # (batches, epoch) at each epoch end
        self.batches = 0
        self.samples = 0
        self.epoch = 0
        self.redraws = 0
        self._epoch_start = 0         # batches before the current epoch
        self._ended = False           # epoch_end was called for self.epoch
        self._start = None            # (time, batches, samples) at the first update
        self._last_draw = self._last_report = -np.inf
        self._draw_cost = 0.0
        self._samples = None          # (images, labels, preds, classes)
        self._handle = None           # the notebook display to refresh
        self.progress = ipywidgets.IntProgress(value=0, min=0, max=total or 1,
                                               layout=ipywidgets.Layout(width='260px'))
        self.progress_text = ipywidgets.HTML()
        self.panel.children = (self.progress, self.progress_text)
        if not total:
            self.progress.layout.display = 'none'
        self._report(time.perf_counter())
        self.redraw()

    # ------------------------------------------------------------ feeding --

    def update(self, epoch=None, batch=None, samples=None, **values):
        """Record progress and training values after a batch (or several).

        Parameters
        ----------
        epoch : int, optional
            The epoch (from 0). Without it, the epoch after an
            :meth:`epoch_end` starts a new one.
        batch : int, optional
            The index in the epoch (from 0) of the last batch done, like
            ``enumerate`` over a DataLoader and ``BatchEndParam.nbatch``.
            Without it, each call counts one batch.
        samples : int, optional
            The batch size: the samples counted are this times the batches
            done since the previous call (for the samples/s).
        **values
            Metric values (floats or one-element NDArrays), e.g.
            ``loss=0.31, accuracy=0.9``; ``val_`` names are validation values.
        """
        self._next_epoch(epoch)
        before = self.batches
        self.batches = self._epoch_start + batch + 1 if batch is not None else self.batches + 1
        if samples:
            self.samples += samples * max(self.batches - before, 1)
        now = time.perf_counter()
        if self._start is None:
            self._start = (now, self.batches, self.samples)
        for name, value in values.items():
            self._record(name, value, at_epoch_end=False)
        draw = now - self._last_draw >= max(self.min_interval, _COST_RATIO * self._draw_cost)
        if draw or now - self._last_report >= _REPORT_INTERVAL:
            self._report(now)
        if draw:
            self.redraw()
        if self.total and self.batches >= self.total:
            self.refresh_display()

    def epoch_end(self, epoch=None, **values):
        """Mark the end of an epoch, record its values and redraw.

        Parameters
        ----------
        epoch : int, optional
            The epoch that ended (the current one by default).
        **values
            The epoch's values, e.g. ``accuracy=0.91, val_accuracy=0.88``.
            Called twice for one epoch, the values of both calls are kept.
        """
        if epoch is not None and epoch != self.epoch:
            self._next_epoch(epoch)
        if not self.epoch_ends or self.epoch_ends[-1][1] != self.epoch:
            self.epoch_ends.append((self.batches, self.epoch))
        self._ended = True
        for name, value in values.items():
            self._record(name, value, at_epoch_end=True)
        self._report(time.perf_counter())
        self.redraw()
        self.refresh_display()

    def show_samples(self, images, labels, preds, classes=None):
        """Show a row of images with their predicted and true classes.

        Parameters
        ----------
        images : NDArray or numpy.ndarray
            ``(N, H, W)``, ``(N, H, W, C)`` or ``(N, C, H, W)``; the first
            ten are shown.
        labels : sequence of int
            The true classes.
        preds : sequence of int, or scores of shape (N, classes)
            The predicted classes (or scores, whose argmax is taken).
        classes : sequence of str, optional
            Class names, indexed by class.
        """
        n = _MAX_SAMPLES
        self._samples = (_as_images(images)[:n], _as_classes(labels)[:n],
                         _as_classes(preds)[:n], classes)
        self.redraw()
        self.refresh_display()

    # ------------------------------------------------ Module.fit callbacks --

    def batch_end_callback(self, param):
        """``Module.fit(batch_end_callback=...)``: record a ``BatchEndParam``.

        Reads ``param.epoch``, ``param.nbatch``, the values of
        ``param.eval_metric.get_name_value()`` and, when ``param.locals``
        holds fit's ``data_batch``, the batch size.
        """
        metric = param.eval_metric
        values = dict(metric.get_name_value()) if metric is not None else {}
        self.update(epoch=param.epoch, batch=param.nbatch,
                    samples=_batch_size(param.locals), **values)

    __call__ = batch_end_callback

    def eval_end_callback(self, param):
        """``Module.fit(eval_end_callback=...)``: the validation values of an epoch."""
        metric = param.eval_metric
        values = metric.get_name_value() if metric is not None else []
        self.epoch_end(epoch=param.epoch, **{'val_' + name: v for name, v in values})

    def epoch_end_callback(self, epoch, symbol=None, arg_params=None, aux_params=None):
        """``Module.fit(epoch_end_callback=...)``: mark the end of epoch ``epoch``."""
        self.epoch_end(epoch=epoch)

    # ----------------------------------------------------------- internals --

    def _next_epoch(self, epoch):
        if epoch is None:
            epoch = self.epoch + 1 if self._ended else self.epoch
        if epoch != self.epoch:
            self.epoch = epoch
            self._epoch_start = self.batches
            self._ended = False

    def _record(self, name, value, at_epoch_end):
        metric, split = _split(name)
        if metric not in self.metrics:
            self.metrics.append(metric)
        self.history.setdefault((metric, split), []).append(
            (self.batches, _number(value), at_epoch_end))

    def _rate(self, now):
        """(samples/s or None, seconds per batch or None) since the first update."""
        if self._start is None:
            return None, None
        t0, b0, s0 = self._start
        elapsed = now - t0
        if elapsed <= 0 or self.batches <= b0:
            return None, None
        per_sample = (self.samples - s0) / elapsed if self.samples > s0 else None
        return per_sample, elapsed / (self.batches - b0)

    def status_text(self, now=None):
        """The progress line: epoch, batches, samples/s, time elapsed and left."""
        now = time.perf_counter() if now is None else now
        # Epochs are counted from 0, as MXNet does, and shown from 1.
        parts = ['epoch %d' % (self.epoch + 1),
                 'batch %s%s' % (format(self.batches, ','),
                                 ' / ' + format(self.total, ',') if self.total else '')]
        rate, per_batch = self._rate(now)
        if rate:
            parts.append('%s samples/s' % format(int(rate), ','))
        if self._start is not None:
            parts.append('elapsed %s' % _duration(now - self._start[0]))
        if per_batch and self.total:
            parts.append('ETA %s' % _duration(max(self.total - self.batches, 0) * per_batch))
        return ' · '.join(parts)

    def _report(self, now):
        self._last_report = now
        self.progress.value = min(self.batches, self.progress.max)
        self.progress_text.value = '<span style="font-family:monospace">%s</span>' % (
            html.escape(self.status_text(now)))

    def png(self):
        return compact_png(self.figure)

    def redraw(self):
        start = time.perf_counter()
        super().redraw()
        self.redraws += 1
        self._last_draw = time.perf_counter()
        self._draw_cost = self._last_draw - start

    def draw(self):
        panels = self.metrics or ['loss']
        height = 4.4 if self._samples else 3.0
        self.figure.set_size_inches(9.0, height)
        # A fixed layout: tight_layout would draw the figure once more.
        rows = self.figure.add_gridspec(
            2 if self._samples else 1, 1, height_ratios=(2.0, 1.0) if self._samples else None,
            left=0.07, right=0.98, bottom=0.45 / height, top=1 - 0.75 / height, hspace=0.5)
        top = rows[0].subgridspec(1, len(panels), wspace=0.25)
        for i, metric in enumerate(panels):
            self._draw_metric(self.figure.add_subplot(top[0, i]), metric)
        if self._samples:
            self._draw_samples(rows[1])
        heading = self.status_text()
        if self.title:
            heading = '%s\n%s' % (self.title, heading)
        self.figure.suptitle(heading, fontsize=9)

    def _draw_metric(self, ax, metric):
        for split in (_TRAIN, _VALIDATION):
            points = self.history.get((metric, split), [])
            color = _COLORS[split]
            running = [(x, y) for x, y, end in points if not end]
            ends = [(x, y) for x, y, end in points if end]
            if running:
                ax.plot(*zip(*running), color=color, lw=1.2, alpha=0.8, label=split)
            if ends:
                ax.plot(*zip(*ends), 'o-' if split == _VALIDATION or not running else 'o',
                        color=color, ms=4, lw=1.5,
                        label=None if running else split)
        for x, epoch in self.epoch_ends:
            ax.axvline(x, color='#999999', lw=0.7, ls=':')
        ax.set_title(metric, fontsize=9)
        ax.set_xlabel('batches', fontsize=8)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc='best')

    def _draw_samples(self, cell):
        images, labels, preds, classes = self._samples
        grid = cell.subgridspec(1, _MAX_SAMPLES, wspace=0.1)

        def name(c):
            return str(classes[c]) if classes is not None else str(c)

        for k, (image, label, pred) in enumerate(zip(images, labels, preds)):
            ax = self.figure.add_subplot(grid[0, k])
            ax.imshow(image, cmap='gray' if image.ndim == 2 else None)
            ax.set_xticks([])
            ax.set_yticks([])
            text = name(pred) if pred == label else '%s\n(%s)' % (name(pred), name(label))
            ax.set_title(text, fontsize=7, color='#2ca02c' if pred == label else '#d62728')

    # ------------------------------------------------------------ display --

    def _ipython_display_(self):
        from IPython.display import display
        # A display id lets refresh_display replace the static copy later.
        self._handle = display(self._repr_mimebundle_(), raw=True, display_id=True)

    def refresh_display(self):
        """Replace the static copy in the notebook output by the current picture."""
        if self._handle is not None:
            self._handle.update(self._repr_mimebundle_(), raw=True)

    def __repr__(self):
        return '<TrainingDashboard: %s>' % self.status_text()
