"""``PrefetchingIter``: read the next batch in a background thread.

Each wrapped iterator gets one worker thread that fetches one batch ahead:
while the training step runs on the current batch, the worker already calls
the inner ``next()``. That pays when the inner iterator spends its time
outside the Python interpreter lock (reading files, decompressing, numpy
copies). Several iterators are read side by side and their batches joined
into one (data of the first, then of the second, ...).

A worker waits on two events: ``taken`` (the consumer took the last batch:
fetch another) and the consumer waits on ``ready`` (a batch, or the end of
the epoch, is there). The workers hold no reference to the
``PrefetchingIter``, so once it is garbage collected (or ``close()`` is
called) they are told to stop and are joined.

Examples
--------
>>> import numpy as np
>>> from mxlearn.io import NDArrayIter
>>> it = PrefetchingIter(NDArrayIter(np.arange(4).reshape(4, 1), batch_size=2))
>>> [b.data[0].asnumpy()[:, 0].tolist() for b in it]
[[0.0, 1.0], [2.0, 3.0]]
>>> it.close()
"""
import threading
import weakref

from ..base import MXNetError
from .base import DataBatch, DataDesc, _HeldBatchIter

__all__ = ['PrefetchingIter']


class _Failed:
    """What a worker leaves instead of a batch when the inner ``next()`` raised."""

    def __init__(self, error):
        self.error = error


class _Worker:
    """The state shared by one worker thread and the consumer."""

    def __init__(self, data_iter):
        self.data_iter = data_iter
        self.batch = None
        self.ready = threading.Event()
        self.taken = threading.Event()
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True,
                                       name='PrefetchingIter worker')

    def run(self):
        while True:
            self.taken.wait()
            self.taken.clear()
            if not self.running:
                return
            try:
                self.batch = self.data_iter.next()
            except StopIteration:
                self.batch = None
            except BaseException as e:   # re-raised in the consumer's thread
                self.batch = _Failed(e)
            self.ready.set()


def _stop(workers):
    for w in workers:
        w.running = False
        w.taken.set()
    for w in workers:
        if w.thread is not threading.current_thread():
            w.thread.join()


def _renamed(descs, renames):
    """``descs`` (DataDesc or (name, shape) pairs) as DataDesc, renamed by ``renames``."""
    descs = [d if isinstance(d, DataDesc) else DataDesc(*d) for d in descs]
    return [DataDesc(renames.get(d.name, d.name), d.shape, d.dtype, d.layout) for d in descs]


class PrefetchingIter(_HeldBatchIter):
    """Wrap one or more iterators, prefetching their next batches in threads.

    Parameters
    ----------
    iters : DataIter or list of DataIter
        Iterators of the same batch size; their batches are joined.
    rename_data : list of dict, optional
        For each iterator, ``{old_name: new_name}`` for its ``provide_data``
        (to keep names apart when two iterators both call theirs 'data').
    rename_label : list of dict, optional
        The same for ``provide_label``.

    Examples
    --------
    >>> import numpy as np
    >>> from mxlearn.io import NDArrayIter
    >>> a = NDArrayIter(np.zeros((4, 2)), batch_size=2)
    >>> b = NDArrayIter(np.ones((4, 3)), batch_size=2)
    >>> it = PrefetchingIter([a, b], rename_data=[{'data': 'a'}, {'data': 'b'}])
    >>> [(d.name, d.shape) for d in it.provide_data]
    [('a', (2, 2)), ('b', (2, 3))]
    >>> [x.shape for x in next(it).data]
    [(2, 2), (2, 3)]
    >>> it.close()
    """

    def __init__(self, iters, rename_data=None, rename_label=None):
        iters = list(iters) if isinstance(iters, (list, tuple)) else [iters]
        if not iters:
            raise MXNetError('PrefetchingIter needs at least one iterator')
        for name, renames in (('rename_data', rename_data), ('rename_label', rename_label)):
            if renames is not None and len(renames) != len(iters):
                raise MXNetError('PrefetchingIter: %s needs one dict per iterator (%d), got %d'
                                 % (name, len(iters), len(renames)))
        super().__init__(iters[0].batch_size)
        self.iters = iters
        self.rename_data = rename_data
        self.rename_label = rename_label
        self.provide_data = self._provide('provide_data', rename_data)
        self.provide_label = self._provide('provide_label', rename_label)
        self._workers = [_Worker(it) for it in iters]
        for w in self._workers:
            w.thread.start()
            w.taken.set()
        self._finalizer = weakref.finalize(self, _stop, self._workers)

    def _provide(self, attr, renames):
        descs = []
        for i, it in enumerate(self.iters):
            descs += _renamed(getattr(it, attr) or [], renames[i] if renames else {})
        return descs

    def close(self):
        """Stop and join the worker threads (also done when the iterator is collected)."""
        self._finalizer()

    def _wait(self):
        if not self._finalizer.alive:
            raise MXNetError('PrefetchingIter is closed')
        for w in self._workers:
            w.ready.wait()

    def reset(self):
        """Reset every inner iterator (after their in-flight fetches) and prefetch anew."""
        self._wait()
        for w in self._workers:
            w.data_iter.reset()
            w.ready.clear()
            w.taken.set()

    def iter_next(self):
        """Take the prefetched batches (joined into ``current_batch``); False at the end."""
        self._wait()
        batches = [w.batch for w in self._workers]
        for b in batches:
            if isinstance(b, _Failed):
                raise b.error
        if all(b is None for b in batches):
            return False
        if any(b is None for b in batches):
            raise MXNetError('PrefetchingIter: the iterators ran out at different batches; '
                             'give them the same number of batches per epoch')
        if len({b.pad for b in batches}) != 1:
            raise MXNetError('PrefetchingIter: the iterators padded their batches '
                             'differently: %s' % [b.pad for b in batches])
        self.current_batch = DataBatch(
            data=[x for b in batches for x in b.data],
            label=[x for b in batches for x in (b.label or [])],
            pad=batches[0].pad, index=batches[0].index,
            provide_data=self.provide_data, provide_label=self.provide_label)
        for w in self._workers:
            w.ready.clear()
            w.taken.set()
        return True
