"""``ResizeIter``: give another iterator's batches, ``size`` of them per epoch.

Shorter than the inner epoch, it stops early; longer, it resets the inner
iterator when that one runs out and goes on. Handy to make every epoch the
same length, or to try a training loop on a few batches.

Examples
--------
>>> import numpy as np
>>> from mxlearn.io import NDArrayIter
>>> inner = NDArrayIter(np.arange(4).reshape(4, 1), batch_size=2)
>>> [b.data[0].asnumpy()[:, 0].tolist() for b in ResizeIter(inner, 3)]
[[0.0, 1.0], [2.0, 3.0], [0.0, 1.0]]
"""
from ..base import MXNetError
from .base import _HeldBatchIter

__all__ = ['ResizeIter']


class ResizeIter(_HeldBatchIter):
    """Resize a data iterator to ``size`` batches per epoch.

    Parameters
    ----------
    data_iter : DataIter
    size : int
        Batches per epoch.
    reset_internal : bool, default True
        Reset ``data_iter`` too when this iterator is reset. With False the
        next epoch goes on where the inner iterator stopped.

    Examples
    --------
    >>> import numpy as np
    >>> from mxlearn.io import NDArrayIter
    >>> it = ResizeIter(NDArrayIter(np.arange(6).reshape(6, 1), batch_size=2), 2,
    ...                 reset_internal=False)
    >>> [b.data[0].asnumpy()[0, 0] for b in it]
    [0.0, 2.0]
    >>> it.reset()
    >>> [b.data[0].asnumpy()[0, 0] for b in it]
    [4.0, 0.0]
    """

    def __init__(self, data_iter, size, reset_internal=True):
        if size < 0:
            raise MXNetError('ResizeIter: size must be >= 0 batches, got %r' % (size,))
        super().__init__(data_iter.batch_size)
        self.data_iter = data_iter
        self.size = size
        self.reset_internal = reset_internal
        self.cur = 0
        self.provide_data = data_iter.provide_data
        self.provide_label = data_iter.provide_label
        if hasattr(data_iter, 'default_bucket_key'):
            self.default_bucket_key = data_iter.default_bucket_key

    def reset(self):
        """Start a new epoch of ``size`` batches."""
        self.cur = 0
        if self.reset_internal:
            self.data_iter.reset()

    def iter_next(self):
        """Fetch the next inner batch (resetting the inner iterator at its end)."""
        if self.cur >= self.size:
            return False
        try:
            self.current_batch = self.data_iter.next()
        except StopIteration:
            self.data_iter.reset()
            try:
                self.current_batch = self.data_iter.next()
            except StopIteration:
                raise MXNetError('ResizeIter: the inner iterator gives no batch even '
                                 'after reset()') from None
        self.cur += 1
        return True
