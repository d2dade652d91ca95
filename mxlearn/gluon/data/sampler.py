"""Samplers: which dataset indices to visit, in which order, and in which batches.

A sampler is an iterable of indices with a length. ``SequentialSampler`` and
``RandomSampler`` give single indices; ``BatchSampler`` groups the indices of
another sampler into lists, which is what ``DataLoader`` iterates over.

``RandomSampler`` draws its permutations from mxlearn's CPU generator, so
``mx.random.seed(n)`` makes shuffling reproducible (MXNet 1.x uses numpy's
global generator, seeded by ``np.random.seed``).

Examples
--------
>>> from mxlearn.gluon.data import BatchSampler, SequentialSampler
>>> list(BatchSampler(SequentialSampler(7), 3, 'keep'))
[[0, 1, 2], [3, 4, 5], [6]]
"""
from ...context import cpu
from ...operator.random import generator

__all__ = ['Sampler', 'SequentialSampler', 'RandomSampler', 'FilterSampler', 'BatchSampler']

_LAST_BATCH = ('keep', 'discard', 'rollover')


class Sampler:
    """The base class: subclasses define ``__iter__`` and ``__len__``."""

    def __iter__(self):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """The indices ``start, start + 1, ..., start + length - 1`` in order.

    Parameters
    ----------
    length : int
        Number of indices.
    start : int, default 0
        The first index.

    Examples
    --------
    >>> list(SequentialSampler(3, start=5))
    [5, 6, 7]
    """

    def __init__(self, length, start=0):
        self._length = length
        self._start = start

    def __iter__(self):
        return iter(range(self._start, self._start + self._length))

    def __len__(self):
        return self._length


class RandomSampler(Sampler):
    """The indices ``0 .. length - 1`` in a new random order at every iteration.

    Parameters
    ----------
    length : int
        Number of indices.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.random.seed(0)
    >>> sorted(RandomSampler(5))
    [0, 1, 2, 3, 4]
    """

    def __init__(self, length):
        self._length = length

    def __iter__(self):
        # Python ints, like SequentialSampler, so that datasets see the same
        # index type whichever sampler is used.
        return iter(generator(cpu()).permutation(self._length).tolist())

    def __len__(self):
        return self._length


class FilterSampler(Sampler):
    """The indices of the samples of ``dataset`` for which ``fn(sample)`` is true.

    The dataset is scanned once, when the sampler is created.

    Parameters
    ----------
    fn : callable
        Takes a sample, returns a truth value.
    dataset : Dataset

    Examples
    --------
    >>> list(FilterSampler(lambda x: x % 2 == 0, [5, 6, 7, 8]))
    [1, 3]
    """

    def __init__(self, fn, dataset):
        self._indices = [i for i in range(len(dataset)) if fn(dataset[i])]

    def __iter__(self):
        return iter(self._indices)

    def __len__(self):
        return len(self._indices)


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``.

    Parameters
    ----------
    sampler : Sampler
        Where the indices come from.
    batch_size : int
        Indices per batch.
    last_batch : {'keep', 'discard', 'rollover'}, default 'keep'
        What to do with the indices left over at the end of an iteration when
        ``batch_size`` does not divide ``len(sampler)``: 'keep' gives them as a
        smaller last batch, 'discard' drops them, 'rollover' puts them at the
        front of the first batch of the next iteration.

    Examples
    --------
    >>> b = BatchSampler(SequentialSampler(5), 2, 'rollover')
    >>> list(b), len(b)
    ([[0, 1], [2, 3]], 3)
    >>> list(b)
    [[4, 0], [1, 2], [3, 4]]
    """

    def __init__(self, sampler, batch_size, last_batch='keep'):
        self._sampler = sampler
        self._batch_size = batch_size
        self._last_batch = last_batch
        self._prev = []

    def _check_last_batch(self):
        if self._last_batch not in _LAST_BATCH:
            raise ValueError("last_batch must be one of 'keep', 'discard', or 'rollover', "
                             "but got %r" % (self._last_batch,))

    def __iter__(self):
        self._check_last_batch()
        batch, self._prev = self._prev, []
        for i in self._sampler:
            batch.append(i)
            if len(batch) == self._batch_size:
                yield batch
                batch = []
        if batch:
            if self._last_batch == 'keep':
                yield batch
            elif self._last_batch == 'rollover':
                self._prev = batch

    def __len__(self):
        self._check_last_batch()
        if self._last_batch == 'keep':
            return (len(self._sampler) + self._batch_size - 1) // self._batch_size
        if self._last_batch == 'discard':
            return len(self._sampler) // self._batch_size
        return (len(self._prev) + len(self._sampler)) // self._batch_size
