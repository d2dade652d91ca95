"""``DataLoader``: mini-batches from a dataset, in this process or in workers.

The loader turns a sampler of indices into a ``BatchSampler`` (unless one is
given), and for every batch of indices asks the dataset for the samples and
the batchify function for the batch. With ``num_workers > 0`` worker
processes (or threads, ``thread_pool=True``) build the batches ahead of time;
see ``mxlearn.gluon.data.workers``.

Examples
--------
>>> import numpy as np
>>> from mxlearn.gluon.data import ArrayDataset, DataLoader
>>> ds = ArrayDataset(np.arange(10, dtype='float32').reshape(5, 2), np.arange(5))
>>> [(x.shape, y.asnumpy().tolist()) for x, y in DataLoader(ds, batch_size=2)]
[((2, 2), [0, 1]), ((2, 2), [2, 3]), ((1, 2), [4])]
"""
from ..._ext.core import NDArrayBase
from ...context import cpu_pinned
from . import sampler as _sampler
from .batchify import default_batchify_fn, default_mp_batchify_fn, make_batch
from .workers import ProcessIter, ThreadIter

__all__ = ['DataLoader', 'default_batchify_fn', 'default_mp_batchify_fn']


class DataLoader:
    """Load a dataset in mini-batches.

    Parameters
    ----------
    dataset : Dataset, numpy array or NDArray
        Where the samples come from.
    batch_size : int, optional
        Samples per batch; required unless ``batch_sampler`` is given.
    shuffle : bool, default False
        Visit the samples in a new random order every epoch (from mxlearn's
        CPU generator: ``mx.random.seed`` makes it reproducible).
    sampler : Sampler, optional
        The order of the samples; not together with ``shuffle``.
    last_batch : {'keep', 'discard', 'rollover'}, default 'keep'
        What to do with a last incomplete batch (see ``BatchSampler``);
        'rollover' carries its samples into the next epoch.
    batch_sampler : Sampler, optional
        Gives whole batches of indices; then batch_size, shuffle, sampler
        and last_batch must be left out.
    batchify_fn : callable, optional
        Makes a batch from a list of samples; ``default_batchify_fn`` stacks
        them into NDArrays (and uses the dataset's fast batch path when it
        has one).
    num_workers : int, default 0
        Worker processes that build batches in parallel; 0 builds them in
        this process. Negative values count as 0.
    pin_memory : bool, default False
        Put the batches in page-locked memory (``cpu_pinned``), for faster
        copies to a GPU.
    pin_device_id : int, default 0
        The device id of the pinned context.
    prefetch : int, optional
        Batches the workers build ahead (default ``2 * num_workers``).
    thread_pool : bool, default False
        Use threads instead of processes: nothing is pickled, but the GIL
        limits the parallelism.
    timeout : float, default 120
        Seconds to wait for a worker's batch before raising
        ``DataLoaderTimeoutError``.
    auto_reload : bool, default False
        Start the workers and the prefetching of the next epoch at once
        (at construction and when an epoch ends), as in MXNet 1.9.

    Raises
    ------
    ValueError
        For contradictory arguments, with MXNet's messages.

    Examples
    --------
    >>> import numpy as np
    >>> loader = DataLoader(np.arange(7), batch_size=3, last_batch='discard')
    >>> len(loader), [b.asnumpy().tolist() for b in loader]
    (2, [[0, 1, 2], [3, 4, 5]])
    """

    def __init__(self, dataset, batch_size=None, shuffle=False, sampler=None,
                 last_batch=None, batch_sampler=None, batchify_fn=None,
                 num_workers=0, pin_memory=False, pin_device_id=0,
                 prefetch=None, thread_pool=False, timeout=120, auto_reload=False):
        if not timeout > 0:
            raise ValueError('timeout must be positive, given %r' % (timeout,))
        if batch_sampler is None:
            if batch_size is None:
                raise ValueError('batch_size must be specified unless batch_sampler is '
                                 'specified')
            if sampler is None:
                sampler = (_sampler.RandomSampler(len(dataset)) if shuffle
                           else _sampler.SequentialSampler(len(dataset)))
            elif shuffle:
                raise ValueError('shuffle must not be specified if sampler is specified')
            batch_sampler = _sampler.BatchSampler(sampler, batch_size,
                                                  last_batch if last_batch else 'keep')
        elif batch_size is not None or shuffle or sampler is not None or \
                last_batch is not None:
            raise ValueError('batch_size, shuffle, sampler and last_batch must not be '
                             'specified if batch_sampler is specified.')
        self._dataset = dataset
        self._batch_sampler = batch_sampler
        self._batchify_fn = batchify_fn
        self._num_workers = max(0, num_workers)
        self._pin_memory = pin_memory
        self._pin_device_id = pin_device_id
        self._prefetch = max(0, int(prefetch) if prefetch is not None
                             else 2 * self._num_workers)
        self._thread_pool = thread_pool
        self._timeout = timeout
        self.auto_reload = auto_reload
        self._iter = None
        if auto_reload:
            self.refresh()

    def __len__(self):
        return len(self._batch_sampler)

    def __iter__(self):
        epoch = self._iter if self._iter is not None else self._new_epoch()
        self._iter = None
        for batch in epoch:
            yield _pin(batch, self._pin_device_id) if self._pin_memory else batch
        if self.auto_reload and self._iter is None:
            self.refresh()

    def _new_epoch(self):
        if self._num_workers == 0:
            return self._same_process_epoch()
        worker_iter = ThreadIter if self._thread_pool else ProcessIter
        return worker_iter(self._dataset, self._batchify_fn, self._batch_sampler,
                           self._num_workers, self._prefetch, self._timeout)

    def _same_process_epoch(self):
        for indices in self._batch_sampler:
            yield make_batch(self._dataset, indices, self._batchify_fn)

    def refresh(self):
        """Prepare the next epoch now (start its workers and prefetching)."""
        self._iter = self._new_epoch()

    def clean(self):
        """Drop a prepared epoch; the next iteration prepares its own."""
        self._iter = None


def _pin(batch, device_id):
    if isinstance(batch, NDArrayBase):
        return batch.as_in_context(cpu_pinned(device_id))
    if isinstance(batch, (list, tuple)):
        return [_pin(b, device_id) for b in batch]
    return batch
