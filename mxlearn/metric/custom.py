"""Metrics from a user's function (CustomMetric, np) and Loss, which averages given losses."""
from ..base import MXNetError
from .base import EvalMetric, as_list, as_numpy, check_label_shapes, register

__all__ = ['CustomMetric', 'np', 'Loss']


@register
class CustomMetric(EvalMetric):
    """A metric computed by ``feval(label, pred)`` on numpy arrays, one pair at a time.

    ``feval`` returns either a number (the pair's value, counted as one
    instance) or a tuple ``(sum_metric, num_inst)``; ``get()`` is the sum of
    the values over the sum of the counts.

    Parameters
    ----------
    feval : callable
        ``feval(label, pred)`` with numpy arrays.
    name : str, optional
        Defaults to ``feval.__name__`` (``'custom(<lambda>)'`` for a lambda).
    allow_extra_outputs : bool, default False
        Allow more prediction arrays than label arrays (e.g. an RNN that
        also outputs its states); the extra ones are ignored.
    output_names, label_names : list of str, optional
        See ``EvalMetric``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.metric
    >>> m = mx.metric.CustomMetric(lambda label, pred: (abs(label - pred).sum(), label.size))
    >>> m.update([mx.nd.array([1, 2])], [mx.nd.array([1, 5])])
    >>> m.get()
    ('custom(<lambda>)', 1.5)
    """

    def __init__(self, feval, name=None, allow_extra_outputs=False, output_names=None,
                 label_names=None):
        if name is None:
            name = feval.__name__
            if '<' in name:
                name = 'custom(%s)' % name
        super().__init__(name, feval=feval, allow_extra_outputs=allow_extra_outputs,
                         output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self._feval = feval
        self._allow_extra_outputs = allow_extra_outputs

    def update(self, labels, preds):
        if self._allow_extra_outputs:
            labels, preds = as_list(labels), as_list(preds)
        else:
            labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            result = self._feval(as_numpy(label), as_numpy(pred))
            if isinstance(result, tuple):
                self._accumulate(*result)
            else:
                self._accumulate(result, 1)

    def get_config(self):
        raise MXNetError('CustomMetric cannot be serialized: it holds a Python function')


def np(numpy_feval, name=None, allow_extra_outputs=False):
    """A CustomMetric from a function of numpy arrays (named after the function).

    Parameters
    ----------
    numpy_feval : callable
        ``numpy_feval(label, pred)`` returning a number or ``(sum, count)``.
    name : str, optional
        The metric's name; the function's name by default.
    allow_extra_outputs : bool, default False
        See ``CustomMetric``.

    Returns
    -------
    CustomMetric

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.metric
    >>> def max_error(label, pred):
    ...     return abs(label - pred).max()
    >>> m = mx.metric.np(max_error)
    >>> m.update([mx.nd.array([1, 2])], [mx.nd.array([1, 5])])
    >>> m.get()
    ('max_error', 3.0)
    """
    return CustomMetric(numpy_feval, name, allow_extra_outputs)


@register
class Loss(EvalMetric):
    """The mean of loss values computed elsewhere: labels are ignored, ``preds`` are losses.

    Parameters
    ----------
    name : str, default 'loss'
    output_names, label_names : list of str, optional
        See ``EvalMetric``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.metric
    >>> m = mx.metric.Loss()
    >>> m.update(None, mx.nd.array([0.5, 1.5, 1.0]))
    >>> m.get()
    ('loss', 1.0)
    """

    def __init__(self, name='loss', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def update(self, _, preds):
        for pred in as_list(preds):
            pred = as_numpy(pred)
            self._accumulate(pred.sum(dtype='float64'), pred.size)
