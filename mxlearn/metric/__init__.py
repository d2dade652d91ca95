"""``mx.metric``: evaluation metrics that accumulate over batches, as in MXNet 1.x.

Each metric is updated with ``metric.update(labels, preds)`` (NDArrays, or
lists of them, one per output) and read with ``metric.get()`` ->
``(name, value)``. Two sets of running sums are kept: ``reset_local()``
clears the local ones (e.g. every N batches, for a progress log) while
``get_global()`` keeps counting until ``reset()``.

- classification: ``Accuracy``, ``TopKAccuracy``, ``F1``, ``MCC``
- regression: ``MAE``, ``MSE``, ``RMSE``, ``PearsonCorrelation``
- probabilities: ``CrossEntropy``, ``NegativeLogLikelihood``, ``Perplexity``
- others: ``Loss``, ``CompositeEvalMetric``, ``CustomMetric``, ``np``

``create`` builds a metric from a name or alias (``'acc'``, ``'ce'``,
``'top_k_accuracy'``, ``'nll_loss'``, ``'pearsonr'``, ``'composite'``), a list,
a config or a function; ``register``/``alias`` add custom ones.

Examples
--------
>>> import mxlearn as mx
>>> import mxlearn.metric
>>> acc = mx.metric.create('acc')
>>> acc.update([mx.nd.array([1, 0])], [mx.nd.array([[0.2, 0.8], [0.4, 0.6]])])
>>> acc.get()
('accuracy', 0.5)
"""
from .base import EvalMetric, alias, check_label_shapes, register
from .classification import F1, MCC, Accuracy, TopKAccuracy
from .regression import MAE, MSE, RMSE, PearsonCorrelation
from .probability import CrossEntropy, NegativeLogLikelihood, Perplexity
from .custom import CustomMetric, Loss, np
from .composite import CompositeEvalMetric, create

__all__ = ['EvalMetric', 'check_label_shapes', 'register', 'alias', 'create',
           'Accuracy', 'TopKAccuracy', 'F1', 'MCC',
           'MAE', 'MSE', 'RMSE', 'PearsonCorrelation',
           'CrossEntropy', 'NegativeLogLikelihood', 'Perplexity',
           'Loss', 'CustomMetric', 'np', 'CompositeEvalMetric']
