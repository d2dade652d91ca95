"""``mx.io``: data iterators for ``Module`` and the symbolic API.

``DataIter`` is the protocol (batches of ``DataBatch``, described by
``DataDesc``); ``NDArrayIter`` serves arrays in memory, ``CSVIter`` and
``MNISTIter`` read files, ``ResizeIter`` and ``PrefetchingIter`` wrap
another iterator.
"""
from .base import DataBatch, DataDesc, DataIter
from .csv_iter import CSVIter
from .mnist_iter import MNISTIter
from .ndarray_iter import NDArrayIter
from .prefetching_iter import PrefetchingIter
from .resize_iter import ResizeIter

__all__ = ['CSVIter', 'DataBatch', 'DataDesc', 'DataIter', 'MNISTIter', 'NDArrayIter',
           'PrefetchingIter', 'ResizeIter']
