"""What every data iterator speaks: ``DataDesc``, ``DataBatch`` and ``DataIter``.

A ``DataIter`` hands out ``DataBatch`` objects, each holding a list of data
arrays and a list of label arrays of ``batch_size`` samples. Before the first
batch, ``provide_data`` and ``provide_label`` describe them (name, shape,
dtype, layout) as ``DataDesc`` tuples, which is how ``Module.bind`` learns the
input shapes without looking at data.

Examples
--------
>>> import mxlearn as mx
>>> from mxlearn.io import DataBatch, DataDesc
>>> DataDesc('data', (32, 784))
DataDesc[data,(32, 784),<class 'numpy.float32'>,NCHW]
>>> print(DataBatch(data=[mx.nd.zeros((2, 3))], label=[mx.nd.zeros((2,))]))
DataBatch: data shapes: [(2, 3)] label shapes: [(2,)]
"""
from collections import namedtuple

import numpy as np

__all__ = ['DataDesc', 'DataBatch', 'DataIter']


class DataDesc(namedtuple('DataDesc', ['name', 'shape'])):
    """The name, shape, dtype and layout of one input (data or label) of a batch.

    A tuple ``(name, shape)`` -- so ``name, shape = desc`` works and a
    ``DataDesc`` may stand wherever MXNet accepts a ``(name, shape)`` pair --
    with two more attributes, ``dtype`` and ``layout``.

    Parameters
    ----------
    name : str
    shape : tuple of int
    dtype : numpy type, default numpy.float32
    layout : str, default 'NCHW'
        What each axis means; the letter ``N`` marks the batch axis.

    Examples
    --------
    >>> d = DataDesc('seq', (10, 4, 8), layout='TNC')
    >>> name, shape = d
    >>> name, shape, d.layout, DataDesc.get_batch_axis(d.layout)
    ('seq', (10, 4, 8), 'TNC', 1)
    """

    def __new__(cls, name, shape, dtype=np.float32, layout='NCHW'):
        desc = super().__new__(cls, name, shape)
        desc.dtype = dtype
        desc.layout = layout
        return desc

    def __repr__(self):
        return 'DataDesc[%s,%s,%s,%s]' % (self.name, self.shape, self.dtype, self.layout)

    @staticmethod
    def get_batch_axis(layout):
        """The axis of ``layout`` that counts samples (``'N'``): 0 when ``layout`` is None,
        -1 when it has no ``N``.

        Examples
        --------
        >>> DataDesc.get_batch_axis('NTC'), DataDesc.get_batch_axis(None)
        (0, 0)
        """
        if layout is None:
            return 0
        return layout.find('N')

    @staticmethod
    def get_list(shapes, types):
        """``DataDesc`` objects from ``[(name, shape), ...]`` and ``[(name, dtype), ...]``
        (``types`` may be None: float32).

        Examples
        --------
        >>> DataDesc.get_list([('x', (2, 3))], [('x', np.int32)])
        [DataDesc[x,(2, 3),<class 'numpy.int32'>,NCHW]]
        """
        if types is None:
            return [DataDesc(name, shape) for name, shape in shapes]
        dtypes = dict(types)
        return [DataDesc(name, shape, dtypes[name]) for name, shape in shapes]


class DataBatch:
    """One batch: lists of data and label arrays, and how many samples are padding.

    Parameters
    ----------
    data : list of NDArray
    label : list of NDArray, optional
    pad : int, optional
        How many samples at the end of the batch are filler (repeated from the
        start of the data) rather than new samples; ``Module.predict`` and
        ``score`` drop them.
    index : array of int, optional
        The indices of the samples in the data set.
    bucket_key : optional
        Which bucket the batch belongs to (for bucketing modules).
    provide_data, provide_label : list of DataDesc, optional
        The shapes of this batch, when they differ from the iterator's.

    Examples
    --------
    >>> import mxlearn as mx
    >>> b = DataBatch([mx.nd.ones((4, 2))], pad=1)
    >>> b.data[0].shape, b.label, b.pad
    ((4, 2), None, 1)
    """

    def __init__(self, data, label=None, pad=None, index=None, bucket_key=None,
                 provide_data=None, provide_label=None):
        # A common mistake is a bare NDArray instead of a list of them.
        if data is not None and not isinstance(data, (list, tuple)):
            raise TypeError('DataBatch data must be a list of arrays, got %s'
                            % type(data).__name__)
        if label is not None and not isinstance(label, (list, tuple)):
            raise TypeError('DataBatch label must be a list of arrays, got %s'
                            % type(label).__name__)
        self.data = data
        self.label = label
        self.pad = pad
        self.index = index
        self.bucket_key = bucket_key
        self.provide_data = provide_data
        self.provide_label = provide_label

    def __str__(self):
        data_shapes = [d.shape for d in self.data]
        label_shapes = [lab.shape for lab in self.label] if self.label else None
        return '%s: data shapes: %s label shapes: %s' % (
            type(self).__name__, data_shapes, label_shapes)


class DataIter:
    """The base class of data iterators: a Python iterator of ``DataBatch``.

    A subclass implements ``reset`` and either ``next`` or the pieces that
    the default ``next`` puts together: ``iter_next`` (move to the next batch,
    False at the end) and ``getdata``, ``getlabel``, ``getpad``, ``getindex``
    (the current batch). It also sets ``provide_data`` and ``provide_label``
    (lists of ``DataDesc``). One pass over the data is an epoch; ``reset``
    starts the next one.

    Parameters
    ----------
    batch_size : int, default 0

    Examples
    --------
    >>> import mxlearn as mx
    >>> class Countdown(DataIter):
    ...     def __init__(self, n):
    ...         super().__init__(batch_size=1)
    ...         self.n = self.left = n
    ...     def reset(self):
    ...         self.left = self.n
    ...     def iter_next(self):
    ...         self.left -= 1
    ...         return self.left >= 0
    ...     def getdata(self):
    ...         return [mx.nd.array([self.left])]
    >>> [int(b.data[0].asscalar()) for b in Countdown(3)]
    [2, 1, 0]
    """

    def __init__(self, batch_size=0):
        self.batch_size = batch_size

    def __iter__(self):
        return self

    def reset(self):
        """Go back to the start of the data (the next epoch)."""

    def next(self):
        """The next ``DataBatch``; raises StopIteration at the end of the epoch."""
        if self.iter_next():
            return DataBatch(data=self.getdata(), label=self.getlabel(),
                             pad=self.getpad(), index=self.getindex())
        raise StopIteration

    def __next__(self):
        return self.next()

    def iter_next(self):
        """Move to the next batch; False when the epoch is over."""
        raise NotImplementedError('%s must implement iter_next() or next()'
                                  % type(self).__name__)

    def getdata(self):
        """The data arrays of the current batch."""
        raise NotImplementedError('%s must implement getdata() or next()'
                                  % type(self).__name__)

    def getlabel(self):
        """The label arrays of the current batch (None: no labels)."""
        return None

    def getindex(self):
        """The indices of the current batch's samples (None: unknown)."""
        return None

    def getpad(self):
        """How many samples at the end of the current batch are padding."""
        return 0


class _HeldBatchIter(DataIter):
    """An iterator built on other iterators' batches: ``iter_next`` stores the whole
    current ``DataBatch`` in ``current_batch``.

    ``next`` hands that batch out as it is (not rebuilt from the getters, which
    would drop what the inner iterator set on it, such as ``bucket_key``), and
    the getters read its fields. ``ResizeIter`` and ``PrefetchingIter`` are
    built this way; a subclass implements ``iter_next`` and ``reset``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> class Once(_HeldBatchIter):
    ...     def iter_next(self):
    ...         done = self.current_batch is not None
    ...         self.current_batch = DataBatch([mx.nd.ones((1, 2))], pad=0, bucket_key=7)
    ...         return not done
    >>> it = Once()
    >>> b = next(it)
    >>> b.bucket_key, it.getpad()
    (7, 0)
    """

    def __init__(self, batch_size=0):
        super().__init__(batch_size)
        self.current_batch = None

    def next(self):
        """The batch ``iter_next`` stored (StopIteration at the end of the epoch)."""
        if not self.iter_next():
            raise StopIteration
        return self.current_batch

    def getdata(self):
        return self.current_batch.data

    def getlabel(self):
        return self.current_batch.label

    def getindex(self):
        return self.current_batch.index

    def getpad(self):
        return self.current_batch.pad
