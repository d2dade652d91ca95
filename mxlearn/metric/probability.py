"""Metrics of predicted probabilities: CrossEntropy, NegativeLogLikelihood, Perplexity.

All three read the probability each prediction gives its true label, so the
predictions must be probabilities (after softmax), not logits.
"""
import math

import numpy

from ..base import MXNetError
from .base import EvalMetric, alias, as_numpy, check_label_shapes, register

__all__ = ['CrossEntropy', 'NegativeLogLikelihood', 'Perplexity']


def _class_indices(label, num_classes, what):
    index = label.astype(numpy.int64)
    if index.size and (index.min() < 0 or index.max() >= num_classes):
        raise MXNetError('%s: labels must be class indices in [0, %d), got values from %s to %s'
                         % (what, num_classes, label.min(), label.max()))
    return index


@register
@alias('ce')
class CrossEntropy(EvalMetric):
    """Mean cross-entropy ``-log(p[label] + eps)`` over all samples.

    Parameters
    ----------
    eps : float, default 1e-12
        Added to the probability, so that 0 gives a large finite loss.
    name : str, default 'cross-entropy'
    output_names, label_names : list of str, optional
        See ``EvalMetric``.

    Notes
    -----
    Predictions are ``(batch, classes)`` probabilities, labels ``batch``
    class indices (any shape with ``batch`` elements).

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.metric
    >>> ce = mx.metric.CrossEntropy()
    >>> ce.update(mx.nd.array([0, 1]), mx.nd.array([[0.5, 0.5], [0.2, 0.8]]))
    >>> round(ce.get()[1], 6)                  # -(log 0.5 + log 0.8) / 2
    0.458145
    """

    def __init__(self, eps=1e-12, name='cross-entropy', output_names=None, label_names=None):
        super().__init__(name, eps=eps, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.eps = eps

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = as_numpy(label).ravel(), as_numpy(pred)
            if pred.ndim != 2 or pred.shape[0] != label.shape[0]:
                raise MXNetError('%s expects (batch, classes) probabilities and batch labels, '
                                 'got predictions of shape %s and %d labels'
                                 % (type(self).__name__, pred.shape, label.shape[0]))
            index = _class_indices(label, pred.shape[1], type(self).__name__)
            prob = pred[numpy.arange(len(index)), index].astype(numpy.float64)
            self._accumulate(-numpy.log(prob + self.eps).sum(), len(index))


@register
@alias('nll_loss')
class NegativeLogLikelihood(CrossEntropy):
    """Mean negative log-likelihood ``-log(p[label] + eps)``: ``CrossEntropy`` by another name.

    Parameters
    ----------
    eps : float, default 1e-12
        Added to the probability.
    name : str, default 'nll-loss'
    output_names, label_names : list of str, optional
        See ``EvalMetric``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.metric
    >>> m = mx.metric.create('nll_loss')
    >>> m.update(mx.nd.array([1]), mx.nd.array([[0.5, 0.5]]))
    >>> m.get()[0], round(m.get()[1], 6)
    ('nll-loss', 0.693147)
    """

    def __init__(self, eps=1e-12, name='nll-loss', output_names=None, label_names=None):
        super().__init__(eps, name, output_names, label_names)


@register
class Perplexity(EvalMetric):
    """Perplexity ``exp(mean(-log p[label]))`` over all (non-ignored) labels.

    Parameters
    ----------
    ignore_label : int or None
        Labels equal to it (padding) are left out; None keeps all. Required,
        as in MXNet.
    axis : int, default -1
        The class axis of the predictions.
    name : str, default 'perplexity'
    output_names, label_names : list of str, optional
        See ``EvalMetric``.

    Notes
    -----
    Predictions of shape ``(..., classes)`` (the class axis anywhere, given
    by ``axis``) go with as many labels as there are rows, in any shape.
    Probabilities are clipped below at 1e-10, and label indices out of range
    are clipped to ``[0, classes - 1]`` (like MXNet's ``pick``).
    ``sum_metric`` holds the summed negative log-probabilities, so ``get()``
    is ``exp(sum_metric / num_inst)``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.metric
    >>> p = mx.metric.Perplexity(ignore_label=None)
    >>> p.update([mx.nd.array([0, 1, 1])], [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
    >>> round(p.get()[1], 6)
    1.771098
    """

    def __init__(self, ignore_label, axis=-1, name='perplexity', output_names=None,
                 label_names=None):
        super().__init__(name, ignore_label=ignore_label, axis=axis, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.ignore_label = ignore_label
        self.axis = axis

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = as_numpy(label), as_numpy(pred)
            if not -pred.ndim <= self.axis < pred.ndim:
                raise MXNetError('Perplexity: axis %d is out of range for predictions of shape %s'
                                 % (self.axis, pred.shape))
            pred = numpy.moveaxis(pred, self.axis, -1)
            if label.size * pred.shape[-1] != pred.size:
                raise MXNetError('Perplexity: %d labels for predictions of shape %s; expected '
                                 'one label per row along axis %d'
                                 % (label.size, pred.shape, self.axis))
            label = label.reshape(pred.shape[:-1])
            index = numpy.clip(label.astype(numpy.int64), 0, pred.shape[-1] - 1)
            prob = numpy.take_along_axis(pred, index[..., None], axis=-1)[..., 0]
            keep = numpy.ones(label.shape, dtype=bool) if self.ignore_label is None \
                else label != self.ignore_label
            prob = numpy.maximum(1e-10, prob[keep].astype(numpy.float64))
            self._accumulate(-numpy.log(prob).sum(), int(keep.sum()))

    def get(self):
        name, value = super().get()
        return (name, math.exp(value))

    def get_global(self):
        name, value = super().get_global()
        return (name, math.exp(value))
