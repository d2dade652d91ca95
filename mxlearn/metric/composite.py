"""CompositeEvalMetric, several metrics updated together, and ``create``."""
from collections import OrderedDict

from ..base import MXNetError
from .base import EvalMetric, alias, create_registered, register
from .custom import CustomMetric

__all__ = ['CompositeEvalMetric', 'create']


def create(metric, *args, **kwargs):
    """A metric from a name, an instance, a list of them, a config or a function.

    Parameters
    ----------
    metric : str, EvalMetric, list, dict or callable
        A registered name or alias (``'acc'``, ``'ce'``, ``'top_k_accuracy'``,
        ``'nll_loss'``, ``'pearsonr'``, ... any case); an EvalMetric (returned
        as it is); a list (a ``CompositeEvalMetric`` of each element); a dict
        from ``get_config()`` (or pass it as ``create(**config)``); a function
        ``feval(label, pred)`` (a ``CustomMetric``); or an EvalMetric class.
    *args, **kwargs
        Constructor arguments (for each element of a list too).

    Returns
    -------
    EvalMetric

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.metric
    >>> mx.metric.create('top_k_accuracy', top_k=5).name
    'top_k_accuracy_5'
    >>> mx.metric.create(['acc', 'mse']).get()
    (['accuracy', 'mse'], [nan, nan])
    """
    if isinstance(metric, type) and issubclass(metric, EvalMetric):
        return metric(*args, **kwargs)
    if callable(metric):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, list):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    return create_registered(metric, *args, **kwargs)


@register
@alias('composite')
class CompositeEvalMetric(EvalMetric):
    """Several metrics, updated together; ``get()`` lists their names and values.

    Parameters
    ----------
    metrics : list, optional
        The child metrics, or anything ``create`` accepts for each.
    name : str, default 'composite'
    output_names, label_names : list of str, optional
        Filter the dicts of ``update_dict`` before the children see them.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.metric
    >>> m = mx.metric.CompositeEvalMetric(['acc', mx.metric.F1()])
    >>> m.update([mx.nd.array([0, 1, 1])], [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
    >>> m.get()
    (['accuracy', 'f1'], [0.6666666666666666, 0.8])
    """

    def __init__(self, metrics=None, name='composite', output_names=None, label_names=None):
        self.metrics = []
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.metrics = [create(m) for m in metrics or []]

    def add(self, metric):
        """Add a child metric (anything ``create`` accepts).

        Parameters
        ----------
        metric : EvalMetric, str, callable, ...
        """
        self.metrics.append(create(metric))

    def get_metric(self, index):
        """The child metric at ``index``.

        Parameters
        ----------
        index : int

        Returns
        -------
        EvalMetric
        """
        try:
            return self.metrics[index]
        except IndexError:
            raise MXNetError('metric index %d is out of range: the composite has %d metrics'
                             % (index, len(self.metrics))) from None

    def update_dict(self, labels, preds):
        if self.label_names is not None:
            labels = OrderedDict(kv for kv in labels.items() if kv[0] in self.label_names)
        if self.output_names is not None:
            preds = OrderedDict(kv for kv in preds.items() if kv[0] in self.output_names)
        for metric in self.metrics:
            metric.update_dict(labels, preds)

    def update(self, labels, preds):
        for metric in self.metrics:
            metric.update(labels, preds)

    def reset(self):
        for metric in self.metrics:
            metric.reset()

    def reset_local(self):
        for metric in self.metrics:
            metric.reset_local()

    def get(self):
        return self._gather(lambda m: m.get())

    def get_global(self):
        return self._gather(lambda m: m.get_global())

    def _gather(self, read):
        names, values = [], []
        for metric in self.metrics:
            name, value = read(metric)
            names.extend(name if isinstance(name, list) else [name])
            values.extend(value if isinstance(value, list) else [value])
        return (names, values)

    def get_config(self):
        return dict(super().get_config(), metrics=[m.get_config() for m in self.metrics])
