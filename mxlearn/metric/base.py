"""EvalMetric, the registry of metrics by name, and the input checks they share."""
import json

import numpy

from .. import ndarray as nd
from ..base import MXNetError, register_class

__all__ = ['EvalMetric', 'check_label_shapes', 'register', 'alias']


def as_list(arrays):
    """One array becomes a list of one; lists and tuples become lists."""
    if isinstance(arrays, (nd.NDArray, numpy.ndarray)):
        return [arrays]
    return list(arrays)


def as_numpy(array):
    """An NDArray (on any device) or array-like as a numpy array."""
    return array.asnumpy() if isinstance(array, nd.NDArray) else numpy.asarray(array)


def check_label_shapes(labels, preds, wrap=False, shape=False):
    """Check that labels and predictions agree in number (or in shape).

    Parameters
    ----------
    labels, preds : NDArray, numpy.ndarray or list of them
        What a metric was given.
    wrap : bool, default False
        Return single arrays wrapped in lists.
    shape : bool, default False
        Compare the shapes of two arrays instead of the lengths.

    Returns
    -------
    tuple
        ``(labels, preds)``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.metric
    >>> labels, preds = mx.metric.check_label_shapes(mx.nd.zeros(3), [mx.nd.zeros(3)], wrap=True)
    >>> len(labels), len(preds)
    (1, 1)
    """
    if wrap:
        labels, preds = as_list(labels), as_list(preds)
    if shape:
        if labels.shape != preds.shape:
            raise MXNetError('labels of shape %s do not match predictions of shape %s'
                             % (labels.shape, preds.shape))
    elif len(labels) != len(preds):
        raise MXNetError('got %d labels but %d predictions; a metric needs one prediction per '
                         'label (and one prediction array per label array)'
                         % (len(labels), len(preds)))
    return labels, preds


class EvalMetric:
    """The base class of metrics: running sums over batches, local and global.

    ``update(labels, preds)`` adds a batch; ``get()`` is
    ``sum_metric / num_inst`` (NaN before any update). Two sets of sums are
    kept: ``reset_local()`` clears ``sum_metric``/``num_inst`` (e.g. every
    logging interval) while ``global_sum_metric``/``global_num_inst`` keep
    counting until ``reset()`` (the whole epoch), read by ``get_global()``.

    A subclass defines ``update`` and adds to the sums, e.g. with
    ``self._accumulate(value, count)``.

    Parameters
    ----------
    name : str
        The name shown next to the value.
    output_names, label_names : list of str, optional
        What ``update_dict`` picks from its dicts (all values by default).
    has_global_stats : bool, default False
        Whether the subclass keeps the global sums; without them
        ``get_global()`` is ``get()``.
    **kwargs
        Constructor arguments of the subclass, for ``get_config()``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.metric
    >>> class Count(mx.metric.EvalMetric):
    ...     def update(self, labels, preds):
    ...         self.sum_metric += len(preds)
    ...         self.num_inst += 1
    >>> m = Count('count')
    >>> m.update(None, [1, 2, 3])
    >>> m.get()
    ('count', 3.0)
    """

    def __init__(self, name, output_names=None, label_names=None, **kwargs):
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop('has_global_stats', False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self):
        return 'EvalMetric: {}'.format(dict(self.get_name_value()))

    def get_config(self):
        """The constructor arguments; ``mx.metric.create(**config)`` makes an equal metric.

        Returns
        -------
        dict

        Examples
        --------
        >>> import mxlearn as mx
        >>> import mxlearn.metric
        >>> mx.metric.create(**mx.metric.Accuracy(axis=2).get_config()).axis
        2
        """
        config = dict(self._kwargs)
        config.update(metric=type(self).__name__, name=self.name,
                      output_names=self.output_names, label_names=self.label_names)
        return config

    def update_dict(self, label, pred):
        """Update with dicts of named arrays, picking ``label_names``/``output_names``.

        Parameters
        ----------
        label, pred : dict of str to NDArray
            Labels and outputs by name.
        """
        pred = [pred[n] for n in self.output_names] if self.output_names is not None \
            else list(pred.values())
        label = [label[n] for n in self.label_names] if self.label_names is not None \
            else list(label.values())
        self.update(label, pred)

    def update(self, labels, preds):
        """Add a batch.

        Parameters
        ----------
        labels, preds : NDArray or list of NDArray
            The labels and the predictions, one array of each per output.
        """
        raise NotImplementedError('%s must define update(labels, preds)' % type(self).__name__)

    def _accumulate(self, value, count):
        """Add ``value`` to both sums and ``count`` to both instance counts."""
        value = float(value)
        self.sum_metric += value
        self.global_sum_metric += value
        self.num_inst += count
        self.global_num_inst += count

    def reset(self):
        """Clear the local and the global sums."""
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self):
        """Clear the local sums only; ``get_global()`` keeps counting."""
        self.num_inst = 0
        self.sum_metric = 0.0

    def get(self):
        """The value since the last ``reset``/``reset_local``.

        Returns
        -------
        tuple
            ``(name, value)``; the value is NaN before any update.
        """
        if self.num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, self.sum_metric / self.num_inst)

    def get_global(self):
        """The value since the last ``reset`` (``get()`` without global sums).

        Returns
        -------
        tuple
            ``(name, value)``.
        """
        if not self._has_global_stats:
            return self.get()
        if self.global_num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, self.global_sum_metric / self.global_num_inst)

    def get_name_value(self):
        """``get()`` as a list of ``(name, value)`` pairs.

        Returns
        -------
        list of tuple
        """
        return _zip_pairs(*self.get())

    def get_global_name_value(self):
        """``get_global()`` as a list of ``(name, value)`` pairs.

        Returns
        -------
        list of tuple
        """
        return _zip_pairs(*self.get_global())


def _zip_pairs(names, values):
    if not isinstance(names, list):
        names = [names]
    if not isinstance(values, list):
        values = [values]
    return list(zip(names, values))


_REGISTRY = {}


def _register(klass, name):
    return register_class(_REGISTRY, klass, name, EvalMetric, 'metric', 'mx.metric.EvalMetric')


def register(klass):
    """Class decorator: make an EvalMetric subclass available by its lowercase name.

    Parameters
    ----------
    klass : type
        A subclass of ``EvalMetric``.

    Returns
    -------
    type
        ``klass``, unchanged.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.metric
    >>> @mx.metric.register
    ... class Zeros(mx.metric.EvalMetric):
    ...     def __init__(self, name='zeros', **kwargs):
    ...         super().__init__(name, **kwargs)
    >>> mx.metric.create('zeros').name
    'zeros'
    """
    return _register(klass, klass.__name__)


def alias(*aliases):
    """Class decorator: register an EvalMetric subclass under extra names too.

    Parameters
    ----------
    *aliases : str
        The extra names.

    Returns
    -------
    callable
        The decorator.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.metric
    >>> type(mx.metric.create('acc')).__name__
    'Accuracy'
    """
    def decorate(klass):
        for name in aliases:
            _register(klass, name)
        return klass
    return decorate


def create_registered(spec, *args, **kwargs):
    """A metric from an instance, a registered name, a config dict or its JSON."""
    if isinstance(spec, EvalMetric):
        if args or kwargs:
            raise MXNetError('%s is already a metric; create() takes no further arguments '
                             'with it' % (spec.name,))
        return spec
    if isinstance(spec, dict):
        config = dict(spec)
        if 'metric' not in config:
            raise MXNetError("a metric config needs a 'metric' key naming the class, got keys %s"
                             % sorted(config))
        return create_registered(config.pop('metric'), *args, **config, **kwargs)
    if not isinstance(spec, str):
        raise MXNetError('a metric is given as a name, an EvalMetric, a config dict, a list '
                         'or a function, got %s' % type(spec).__name__)
    if spec.startswith('[') or spec.startswith('{'):
        config = json.loads(spec)
        if isinstance(config, list):
            return create_registered(config[0], *args, **config[1], **kwargs)
        return create_registered(config, *args, **kwargs)
    klass = _REGISTRY.get(spec.lower())
    if klass is None:
        raise MXNetError('unknown metric %r; the registered ones are %s (register a custom '
                         'one with @mx.metric.register, or pass a function)'
                         % (spec, ', '.join(sorted(_REGISTRY))))
    return klass(*args, **kwargs)
