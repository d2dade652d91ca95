"""Datasets: indexable collections of samples, and lazy views of them.

A ``Dataset`` has ``__getitem__`` (the i-th sample) and ``__len__``. Its
methods make new datasets without copying the data: ``transform`` and
``transform_first`` apply a function to each sample as it is read, ``take``,
``shard``, ``filter`` and ``sample`` select samples.

Batches the fast way
    Reading a batch sample by sample costs a Python call per sample, more than
    a training step of a small network. So a dataset may also answer
    ``_fetch_batch(indices)`` with the whole batch at once, exactly as the
    default batchify function would build it from the samples, or with
    ``NotImplemented``. ``ArrayDataset`` over arrays answers with one fancy
    index per array; a transformed dataset answers when its inner dataset does
    and the transform is marked ``_batchable`` (it gives the same result for a
    batch as for its samples stacked: ``ToTensor``, ``Normalize``, ``Cast``,
    ``Resize``, ``CropResize``); ``take``/``shard``/``sample`` views pass it through. The
    ``DataLoader`` uses it whenever the default batchify function is in use.

Examples
--------
>>> import numpy as np
>>> from mxlearn.gluon.data import ArrayDataset
>>> ds = ArrayDataset(np.arange(6).reshape(3, 2), np.array([0, 1, 0]))
>>> x, y = ds[1]
>>> x.tolist(), int(y), len(ds)
([2, 3], 1, 3)
>>> len(ds.take(2)), ds.transform_first(lambda x: x * 10)[2][0].tolist()
(2, [40, 50])
"""
import numpy as np

from ..._ext.core import NDArrayBase, new_ndarray
from ...base import MXNetError
from ...ndarray.ndarray import array

__all__ = ['Dataset', 'SimpleDataset', 'ArrayDataset']


class Dataset:
    """The base class: subclasses define ``__getitem__`` and ``__len__``.

    A numpy array or an NDArray can also be given to ``DataLoader`` directly
    as a dataset.
    """

    def __getitem__(self, idx):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def __iter__(self):
        # Explicit, rather than Python's fallback of indexing until IndexError,
        # which not every sample container raises.
        for i in range(len(self)):
            yield self[i]

    def _fetch_batch(self, indices):
        """The batch of samples ``indices``, as the default batchify makes it, or
        NotImplemented when this dataset has no faster way than sample by sample."""
        return NotImplemented

    def filter(self, fn):
        """A dataset of the samples for which ``fn(sample)`` is true.

        The samples are scanned once, now; later reads apply any lazy
        transform again.

        Examples
        --------
        >>> from mxlearn.gluon.data import SimpleDataset
        >>> list(SimpleDataset([1, 2, 3, 4]).filter(lambda x: x > 2))
        [3, 4]
        """
        from .sampler import FilterSampler
        return _SampledDataset(self, FilterSampler(fn, self))

    def shard(self, num_shards, index):
        """Shard ``index`` of ``num_shards`` contiguous, near-equal shards.

        The first ``len(self) % num_shards`` shards hold one sample more.
        Shard before shuffling so that each worker of distributed training
        sees its own samples.

        Examples
        --------
        >>> from mxlearn.gluon.data import SimpleDataset
        >>> [list(SimpleDataset(range(5)).shard(2, i)) for i in range(2)]
        [[0, 1, 2], [3, 4]]
        """
        if num_shards <= 0:
            raise MXNetError('shard: num_shards must be positive, got %d' % num_shards)
        if not 0 <= index < num_shards:
            raise MXNetError('shard: index must be in [0, %d), got %d' % (num_shards, index))
        size, rest = divmod(len(self), num_shards)
        start = size * index + min(index, rest)
        from .sampler import SequentialSampler
        return _SampledDataset(self, SequentialSampler(size + (index < rest), start))

    def take(self, count):
        """The first ``count`` samples (all of them if ``count`` is None or too large).

        Examples
        --------
        >>> from mxlearn.gluon.data import SimpleDataset
        >>> list(SimpleDataset('abcd').take(2))
        ['a', 'b']
        """
        if count is None or count > len(self):
            count = len(self)
        from .sampler import SequentialSampler
        return _SampledDataset(self, SequentialSampler(count))

    def sample(self, sampler):
        """The samples at the indices ``sampler`` gives (read once, now).

        Examples
        --------
        >>> from mxlearn.gluon.data import SimpleDataset, SequentialSampler
        >>> list(SimpleDataset('abcd').sample(SequentialSampler(2, start=1)))
        ['b', 'c']
        """
        from .sampler import Sampler
        if not isinstance(sampler, Sampler):
            raise TypeError('Invalid sampler type: %s. Expected gluon.data.Sampler instead.'
                            % type(sampler).__name__)
        return _SampledDataset(self, sampler)

    def transform(self, fn, lazy=True):
        """A dataset of ``fn(sample)`` (``fn(*sample)`` when samples are tuples).

        Parameters
        ----------
        fn : callable
        lazy : bool, default True
            Apply ``fn`` at each read (needed for random augmentation), or
            once to every sample now.

        Examples
        --------
        >>> from mxlearn.gluon.data import SimpleDataset
        >>> list(SimpleDataset([1, 2]).transform(lambda x: x + 1))
        [2, 3]
        """
        view = _LazyTransformDataset(self, fn)
        if lazy:
            return view
        return SimpleDataset([view[i] for i in range(len(view))])

    def transform_first(self, fn, lazy=True):
        """Like ``transform``, but ``fn`` sees only the first element of each sample.

        The usual way to transform images and keep their labels.

        Examples
        --------
        >>> from mxlearn.gluon.data import SimpleDataset
        >>> SimpleDataset([(1, 'a'), (2, 'b')]).transform_first(lambda x: -x)[1]
        (-2, 'b')
        """
        return self.transform(_TransformFirstClosure(fn), lazy)


class SimpleDataset(Dataset):
    """A Dataset over anything with ``len()`` and ``[]``: a list, an array.

    Parameters
    ----------
    data : sequence

    Examples
    --------
    >>> SimpleDataset(['a', 'b'])[1]
    'b'
    """

    def __init__(self, data):
        self._data = data

    def __len__(self):
        return len(self._data)

    def __getitem__(self, idx):
        return self._data[idx]

    def _fetch_batch(self, indices):
        return fetch_batch(self._data, indices)


class ArrayDataset(Dataset):
    """Sample ``i`` is ``(a[i], b[i], ...)`` for the arrays (or datasets, lists) given.

    With a single argument, sample ``i`` is ``a[i]`` itself. As in MXNet, a
    1-d NDArray is kept as a numpy array, so its samples are numpy scalars.

    Parameters
    ----------
    *args : arrays, lists or datasets of the same length

    Raises
    ------
    MXNetError
        If no argument is given or the lengths differ.

    Examples
    --------
    >>> import mxlearn as mx
    >>> ds = ArrayDataset(mx.nd.ones((4, 2)), mx.nd.array([0, 1, 2, 3]))
    >>> x, y = ds[3]
    >>> x.shape, y
    ((2,), 3.0)
    """

    def __init__(self, *args):
        if not args:
            raise MXNetError('ArrayDataset needs at least one array')
        self._length = len(args[0])
        self._data = []
        for i, data in enumerate(args):
            if len(data) != self._length:
                raise MXNetError('ArrayDataset: all arrays must have the same length; '
                                 'array 0 has length %d while array %d has %d'
                                 % (self._length, i, len(data)))
            if isinstance(data, NDArrayBase) and data.ndim == 1:
                data = data.asnumpy()
            self._data.append(data)
        self._arrays_only = all(_is_array(d) for d in self._data)

    def __getitem__(self, idx):
        if len(self._data) == 1:
            return self._data[0][idx]
        return tuple(data[idx] for data in self._data)

    def __len__(self):
        return self._length

    def _fetch_batch(self, indices):
        if not self._arrays_only:
            return NotImplemented
        batch = [_take(d, indices) for d in self._data]
        return batch[0] if len(batch) == 1 else batch


class _LazyTransformDataset(Dataset):
    """``fn`` applied to each sample of ``data`` when it is read."""

    def __init__(self, data, fn):
        self._data = data
        self._fn = fn

    def __len__(self):
        return len(self._data)

    def __getitem__(self, idx):
        item = self._data[idx]
        if isinstance(item, tuple):
            return self._fn(*item)
        return self._fn(item)

    def _fetch_batch(self, indices):
        fn = self._fn
        first_only = isinstance(fn, _TransformFirstClosure)
        if first_only:
            fn = fn._fn
        if not getattr(fn, '_batchable', False):
            return NotImplemented
        batch = fetch_batch(self._data, indices)
        if batch is NotImplemented:
            return NotImplemented
        if not isinstance(batch, list):
            return fn(batch)
        if first_only:
            return [fn(batch[0])] + batch[1:]
        # fn takes a whole tuple sample: it has no batched form.
        return NotImplemented


class _TransformFirstClosure:
    """``fn`` on the first element of a sample (a class, so that it pickles)."""

    def __init__(self, fn):
        self._fn = fn

    def __call__(self, x, *args):
        if args:
            return (self._fn(x),) + args
        return self._fn(x)


class _SampledDataset(Dataset):
    """The samples of ``dataset`` at the indices ``sampler`` gives."""

    def __init__(self, dataset, sampler):
        self._dataset = dataset
        self._indices = list(sampler)

    def __len__(self):
        return len(self._indices)

    def __getitem__(self, idx):
        return self._dataset[self._indices[idx]]

    def _fetch_batch(self, indices):
        return fetch_batch(self._dataset, [self._indices[i] for i in indices])


def fetch_batch(dataset, indices):
    """The batch ``indices`` of any dataset (a Dataset, a numpy array, an NDArray)
    the fast way, or NotImplemented when it must be read sample by sample.

    Examples
    --------
    >>> import numpy as np
    >>> fetch_batch(np.arange(10) * 2, [3, 1]).asnumpy().tolist()
    [6, 2]
    >>> fetch_batch([1, 2, 3], [0])
    NotImplemented
    """
    if isinstance(dataset, Dataset):
        return dataset._fetch_batch(indices)
    if _is_array(dataset):
        return _take(dataset, indices)
    return NotImplemented


def _is_array(data):
    return isinstance(data, (np.ndarray, NDArrayBase))


def _take(data, indices):
    """Rows ``indices`` of an array as one NDArray: what stacking its samples gives."""
    if isinstance(data, NDArrayBase):
        xp = data.context.xp
        rows = data._data[xp.asarray(np.asarray(indices, dtype=np.int64))]
        if data.ndim == 1:
            # A sample of a 1-d NDArray is an array of shape (1,).
            rows = rows.reshape(-1, 1)
        return new_ndarray(rows, data.context)
    rows = data[np.asarray(indices, dtype=np.int64)]
    return array(rows, dtype=rows.dtype)
