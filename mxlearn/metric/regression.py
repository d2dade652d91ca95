"""Regression metrics: MAE, MSE, RMSE and PearsonCorrelation.

MAE, MSE and RMSE follow MXNet 1.x: each (label, prediction) pair adds its
own mean error and counts as ONE instance, so ``get()`` is the mean over
batches of the per-batch error, not the error over all samples pooled. With
batches of different sizes the two differ, and for RMSE the result is the
mean of per-batch RMSEs, not the RMSE of the epoch.
"""
import numpy

from ..base import MXNetError
from .base import EvalMetric, alias, as_numpy, check_label_shapes, register

__all__ = ['MAE', 'MSE', 'RMSE', 'PearsonCorrelation']


def _differences(label, pred):
    """``label - pred``, with 1-D arrays as columns (as MXNet reshapes them)."""
    label, pred = as_numpy(label), as_numpy(pred)
    if label.ndim == 1:
        label = label.reshape(-1, 1)
    if pred.ndim == 1:
        pred = pred.reshape(-1, 1)
    try:
        return label.astype(numpy.float64) - pred
    except ValueError:
        raise MXNetError('labels of shape %s and predictions of shape %s do not broadcast'
                         % (label.shape, pred.shape)) from None


class _BatchMeanError(EvalMetric):
    """A per-batch error of ``label - pred``, averaged over batches."""

    def __init__(self, name, output_names, label_names):
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    @staticmethod
    def _error(diff):
        raise NotImplementedError

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            self._accumulate(self._error(_differences(label, pred)), 1)


@register
class MAE(_BatchMeanError):
    """Mean absolute error ``mean(|label - pred|)``, averaged over batches.

    Parameters
    ----------
    name : str, default 'mae'
    output_names, label_names : list of str, optional
        See ``EvalMetric``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.metric
    >>> m = mx.metric.MAE()
    >>> m.update(mx.nd.array([2, 4]), mx.nd.array([3, 2]))
    >>> m.get()
    ('mae', 1.5)
    """

    def __init__(self, name='mae', output_names=None, label_names=None):
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _error(diff):
        return numpy.abs(diff).mean()


@register
class MSE(_BatchMeanError):
    """Mean squared error ``mean((label - pred)**2)``, averaged over batches.

    Parameters
    ----------
    name : str, default 'mse'
    output_names, label_names : list of str, optional
        See ``EvalMetric``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.metric
    >>> m = mx.metric.MSE()
    >>> m.update(mx.nd.array([2, 4]), mx.nd.array([3, 2]))
    >>> m.get()
    ('mse', 2.5)
    """

    def __init__(self, name='mse', output_names=None, label_names=None):
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _error(diff):
        return numpy.square(diff).mean()


@register
class RMSE(_BatchMeanError):
    """Root mean squared error of each batch, averaged over batches (as MXNet does).

    Parameters
    ----------
    name : str, default 'rmse'
    output_names, label_names : list of str, optional
        See ``EvalMetric``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.metric
    >>> m = mx.metric.RMSE()
    >>> m.update(mx.nd.array([0, 0]), mx.nd.array([3, 4]))
    >>> m.update(mx.nd.array([1]), mx.nd.array([2]))
    >>> round(m.get()[1], 6)       # (sqrt(12.5) + 1) / 2, not sqrt(26 / 3)
    2.267767
    """

    def __init__(self, name='rmse', output_names=None, label_names=None):
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _error(diff):
        return numpy.sqrt(numpy.square(diff).mean())


class _Comoments:
    """Count, means, sums of squared deviations and co-deviation of (x, y), mergeable."""

    def __init__(self):
        self.n, self.mean_x, self.mean_y, self.m2_x, self.m2_y, self.c_xy = 0, 0., 0., 0., 0., 0.

    def add(self, x, y):
        # Chan et al.'s pairwise update: exact and stable, batch by batch.
        nb = len(x)
        if nb == 0:
            return
        mx_b, my_b = x.mean(), y.mean()
        dx, dy = x - mx_b, y - my_b
        n = self.n + nb
        delta_x, delta_y = mx_b - self.mean_x, my_b - self.mean_y
        w = self.n * nb / n
        self.m2_x += (dx * dx).sum() + delta_x * delta_x * w
        self.m2_y += (dy * dy).sum() + delta_y * delta_y * w
        self.c_xy += (dx * dy).sum() + delta_x * delta_y * w
        self.mean_x += delta_x * nb / n
        self.mean_y += delta_y * nb / n
        self.n = n

    def correlation(self):
        with numpy.errstate(divide='ignore', invalid='ignore'):
            return float(numpy.float64(self.c_xy) / numpy.sqrt(self.m2_x * self.m2_y))


@register
@alias('pearsonr')
class PearsonCorrelation(EvalMetric):
    """Pearson correlation ``cov(label, pred) / (std(label) * std(pred))``.

    Parameters
    ----------
    name : str, default 'pearsonr'
    output_names, label_names : list of str, optional
        See ``EvalMetric``.
    average : {'macro', 'micro'}
        ``'macro'``: the mean of the correlation of each (label, prediction)
        pair; ``'micro'``: one correlation of all samples pooled (streamed,
        without keeping them).

    Notes
    -----
    Labels and predictions of a pair must have the same shape; they are
    flattened. In micro mode MXNet's ``get_global`` returns 0 and its
    ``reset_local`` does not clear the pooled sums; here both work like the
    other metrics.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.metric
    >>> m = mx.metric.PearsonCorrelation()
    >>> m.update(mx.nd.array([1, 2, 3]), mx.nd.array([2, 4, 7]))
    >>> round(m.get()[1], 4)
    0.9934
    """

    def __init__(self, name='pearsonr', output_names=None, label_names=None, average='macro'):
        if average not in ('macro', 'micro'):
            raise MXNetError("PearsonCorrelation: average must be 'macro' or 'micro', got %r"
                             % (average,))
        self.average = average
        self._local, self._global = _Comoments(), _Comoments()
        super().__init__(name, average=average, output_names=output_names,
                         label_names=label_names, has_global_stats=True)

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = as_numpy(label), as_numpy(pred)
            check_label_shapes(label, pred, shape=True)
            label = label.ravel().astype(numpy.float64)
            pred = pred.ravel().astype(numpy.float64)
            if self.average == 'macro':
                pair = _Comoments()
                pair.add(label, pred)
                self._accumulate(pair.correlation(), 1)
            else:
                self._local.add(label, pred)
                self._global.add(label, pred)
                self.num_inst += 1
                self.global_num_inst += 1

    def reset(self):
        super().reset()
        self._local, self._global = _Comoments(), _Comoments()

    def reset_local(self):
        super().reset_local()
        self._local = _Comoments()

    def get(self):
        if self.average == 'macro' or self.num_inst == 0:
            return super().get()
        return (self.name, self._local.correlation())

    def get_global(self):
        if self.average == 'macro' or self.global_num_inst == 0:
            return super().get_global()
        return (self.name, self._global.correlation())
