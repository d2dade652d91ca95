"""Classification metrics: Accuracy, TopKAccuracy, and the binary F1 and MCC."""
import math

import numpy

from ..base import MXNetError
from .base import EvalMetric, alias, as_numpy, check_label_shapes, register

__all__ = ['Accuracy', 'TopKAccuracy', 'F1', 'MCC']


@register
@alias('acc')
class Accuracy(EvalMetric):
    """The fraction of predictions equal to the labels.

    Predictions shaped like the labels are taken as class indices; otherwise
    they are scores and the class is their argmax along ``axis``. Both sides
    are cast to int32 first (as in MXNet), so same-shaped float predictions
    are truncated: 0.9 counts as class 0.

    Parameters
    ----------
    axis : int, default 1
        The class axis of score predictions.
    name : str, default 'accuracy'
    output_names, label_names : list of str, optional
        See ``EvalMetric``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.metric
    >>> acc = mx.metric.Accuracy()
    >>> acc.update(mx.nd.array([0, 1, 1]), mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]]))
    >>> acc.get()
    ('accuracy', 0.6666666666666666)
    """

    def __init__(self, axis=1, name='accuracy', output_names=None, label_names=None):
        super().__init__(name, axis=axis, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.axis = axis

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = as_numpy(label), as_numpy(pred)
            if pred.shape != label.shape:
                pred = pred.argmax(axis=self.axis)
            label = label.astype(numpy.int32).ravel()
            pred = pred.astype(numpy.int32).ravel()
            check_label_shapes(label, pred)
            self._accumulate((pred == label).sum(), len(pred))


@register
@alias('top_k_accuracy', 'top_k_acc')
class TopKAccuracy(EvalMetric):
    """The fraction of samples whose label is among the ``top_k`` highest scores.

    Parameters
    ----------
    top_k : int
        How many classes count as hits; at least 2 (use ``Accuracy`` for 1).
        With ``top_k`` >= the number of classes every sample is a hit.
    name : str, default 'top_k_accuracy'
        ``'_<top_k>'`` is appended.
    output_names, label_names : list of str, optional
        See ``EvalMetric``.

    Notes
    -----
    Predictions are ``(batch, classes)`` scores. Ties at the k-th score are
    broken arbitrarily (``numpy.argpartition``), as in MXNet. 1-D predictions
    are taken as class indices (MXNet compares them meaninglessly).

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.metric
    >>> m = mx.metric.TopKAccuracy(top_k=2)
    >>> m.update(mx.nd.array([2, 0]), mx.nd.array([[0.1, 0.5, 0.4], [0.2, 0.3, 0.5]]))
    >>> m.get()
    ('top_k_accuracy_2', 0.5)
    """

    def __init__(self, top_k=1, name='top_k_accuracy', output_names=None, label_names=None):
        super().__init__(name, top_k=top_k, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        if top_k <= 1:
            raise MXNetError('TopKAccuracy needs top_k > 1, got %r; use Accuracy for top_k=1'
                             % (top_k,))
        self.top_k = top_k
        self._base_name = self.name
        self.name += '_%d' % top_k

    def get_config(self):
        # The suffix is added again by the constructor.
        return dict(super().get_config(), name=self._base_name)

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = as_numpy(label).astype(numpy.int32).ravel(), as_numpy(pred)
            if pred.ndim > 2:
                raise MXNetError('TopKAccuracy expects (batch, classes) predictions, got shape %s'
                                 % (pred.shape,))
            check_label_shapes(label, pred)
            if pred.ndim == 1:
                hits = pred.astype(numpy.int32) == label
            else:
                k = min(self.top_k, pred.shape[1])
                top = numpy.argpartition(pred.astype(numpy.float32), -k, axis=1)[:, -k:]
                hits = (top == label[:, None]).any(axis=1)
            self._accumulate(hits.sum(), len(label))


class _BinaryCounts:
    """True/false positive/negative counts of a binary classifier (class 1 is positive)."""

    def __init__(self):
        self.tp = self.fp = self.fn = self.tn = 0

    def add(self, label, pred):
        label = as_numpy(label).astype(numpy.int32).ravel()
        scores = as_numpy(pred)
        if scores.ndim != 2:
            raise MXNetError('expected (batch, 2) class scores as predictions, got shape %s'
                             % (scores.shape,))
        check_label_shapes(label, scores)
        if len(numpy.unique(label)) > 2:
            raise MXNetError('only binary classification is supported (labels 0 and 1), got '
                             'labels %s' % (numpy.unique(label).tolist(),))
        pred_pos, label_pos = scores.argmax(axis=1) == 1, label == 1
        self.tp += int((pred_pos & label_pos).sum())
        self.fp += int((pred_pos & ~label_pos).sum())
        self.fn += int((~pred_pos & label_pos).sum())
        self.tn += int((~pred_pos & ~label_pos).sum())

    def merge(self, other):
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.tn += other.tn

    @property
    def total(self):
        return self.tp + self.fp + self.fn + self.tn

    def fscore(self):
        """F1; precision and recall count as 0 when undefined, and so does F1."""
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        if precision + recall == 0:
            return 0.0
        return 2 * precision * recall / (precision + recall)

    def matthewscc(self):
        """MCC; factors of the denominator that are 0 count as 1, and no samples give 0."""
        if not self.total:
            return 0.0
        denom = 1.0
        for t in (self.tp + self.fp, self.tp + self.fn, self.tn + self.fp, self.tn + self.fn):
            denom *= t or 1
        return (self.tp * self.tn - self.fp * self.fn) / math.sqrt(denom)


class _BinaryMetric(EvalMetric):
    """F1 and MCC: a score of binary counts, averaged per update (macro) or pooled (micro)."""

    def __init__(self, name, output_names, label_names, average):
        if average not in ('macro', 'micro'):
            raise MXNetError("%s: average must be 'macro' or 'micro', got %r"
                             % (type(self).__name__, average))
        self.average = average
        self._local, self._global = _BinaryCounts(), _BinaryCounts()
        super().__init__(name, average=average, output_names=output_names,
                         label_names=label_names, has_global_stats=True)

    def _score(self, counts):
        raise NotImplementedError

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        batch = _BinaryCounts()
        for label, pred in zip(labels, preds):
            batch.add(label, pred)
        if self.average == 'macro':
            self._accumulate(self._score(batch), 1)
            return
        self._local.merge(batch)
        self._global.merge(batch)
        self.num_inst, self.global_num_inst = self._local.total, self._global.total
        self.sum_metric = self._score(self._local) * self.num_inst
        self.global_sum_metric = self._score(self._global) * self.global_num_inst

    def reset(self):
        super().reset()
        self._local, self._global = _BinaryCounts(), _BinaryCounts()

    def reset_local(self):
        super().reset_local()
        self._local = _BinaryCounts()


@register
class F1(_BinaryMetric):
    """The F1 score ``2 * precision * recall / (precision + recall)`` of a binary classifier.

    Labels are 0 or 1; predictions are ``(batch, 2)`` scores and class 1
    (the positive one) is predicted where it has the larger score.

    Parameters
    ----------
    name : str, default 'f1'
    output_names, label_names : list of str, optional
        See ``EvalMetric``.
    average : {'macro', 'micro'}
        ``'macro'``: the mean of the F1 of each ``update`` call (each batch),
        as MXNet does; ``'micro'``: one F1 of the counts pooled over all
        batches.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.metric
    >>> f1 = mx.metric.F1()
    >>> f1.update(mx.nd.array([0, 1, 1]), mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]]))
    >>> f1.get()
    ('f1', 0.8)
    """

    def __init__(self, name='f1', output_names=None, label_names=None, average='macro'):
        super().__init__(name, output_names, label_names, average)

    def _score(self, counts):
        return counts.fscore()


@register
class MCC(_BinaryMetric):
    """The Matthews correlation coefficient of a binary classifier.

    ``(TP * TN - FP * FN) / sqrt((TP + FP)(TP + FN)(TN + FP)(TN + FN))``,
    where factors that are 0 are replaced by 1 (as in MXNet). It is 1 for
    perfect predictions, 0 for chance, -1 for always wrong. Labels and
    predictions as in ``F1``.

    Parameters
    ----------
    name : str, default 'mcc'
    output_names, label_names : list of str, optional
        See ``EvalMetric``.
    average : {'macro', 'micro'}
        Mean of the per-batch MCCs, or one MCC of the pooled counts.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.metric
    >>> m = mx.metric.MCC()
    >>> m.update(mx.nd.array([0, 1, 1, 0]), mx.nd.array([[1, 0], [0, 1], [0, 1], [0, 1]]))
    >>> round(m.get()[1], 4)
    0.5774
    """

    def __init__(self, name='mcc', output_names=None, label_names=None, average='macro'):
        super().__init__(name, output_names, label_names, average)

    def _score(self, counts):
        return counts.matthewscc()
