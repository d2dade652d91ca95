"""``CSVIter``: batches from comma-separated text files.

Each line of ``data_csv`` is one sample, reshaped to ``data_shape``; each
line of ``label_csv`` (if given, else the labels are 0) is its label. The
files are read into memory once.

An incomplete last batch (n samples, batch size b) is handled as in MXNet:

- ``round_batch=True``: the batch is completed with the first samples of
  the data and its ``pad`` says how many; the next epoch starts after them,
  so the samples form one stream that goes round the data;
- ``round_batch=False``: every epoch starts at the first sample; the last
  batch's missing rows repeat the previous batch's (its ``pad`` says how
  many rows to ignore).

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), 'data.csv')
>>> with open(path, 'w') as f:
...     _ = f.write('1,2,3\\n2,3,4\\n3,4,5\\n4,5,6\\n')
>>> it = CSVIter(data_csv=path, data_shape=(3,), batch_size=3)
>>> [(b.data[0].asnumpy()[:, 0].tolist(), b.pad) for b in it]
[([1.0, 2.0, 3.0], 0), ([4.0, 1.0, 2.0], 2)]
>>> it.reset()
>>> [(b.data[0].asnumpy()[:, 0].tolist(), b.pad) for b in it]
[([3.0, 4.0, 1.0], 1)]
"""
import os

import numpy as np

from .._ext.core import new_ndarray
from ..base import MXNetError
from ..context import cpu
from .base import DataBatch, DataDesc, DataIter

__all__ = ['CSVIter']

_DTYPES = ('float16', 'float32', 'float64', 'int8', 'uint8', 'int32', 'int64')


def _read_csv(path, shape, dtype, what):
    """The rows of a CSV file, or of every file in a folder (by name), as ``(n,) + shape``."""
    if os.path.isdir(path):
        files = [os.path.join(path, f) for f in sorted(os.listdir(path))]
        files = [f for f in files if os.path.isfile(f)]
    elif os.path.isfile(path):
        files = [path]
    else:
        raise MXNetError('CSVIter: %s %s does not exist' % (what, path))
    size = int(np.prod(shape))
    parse = np.int64 if dtype.kind in 'iu' else np.float64
    parts = []
    for f in files:
        try:
            rows = np.loadtxt(f, delimiter=',', dtype=parse, ndmin=2)
        except ValueError as e:
            raise MXNetError('CSVIter: cannot read %s as comma-separated numbers: %s'
                             % (f, e)) from None
        if rows.size and rows.shape[1] != size:
            raise MXNetError('CSVIter: the rows of %s have %d values, but the %s shape %s '
                             'needs %d' % (f, rows.shape[1], what, tuple(shape), size))
        parts.append(rows.reshape((-1,) + tuple(shape)))
    return np.concatenate(parts).astype(dtype, copy=False)


class CSVIter(DataIter):
    """Iterate over the lines of CSV files in batches.

    Parameters
    ----------
    data_csv : str
        A CSV file, or a folder whose files are read one after another (by name).
    data_shape : tuple of int
        The shape of one sample (a line holds ``prod(data_shape)`` values).
    label_csv : str, optional
        The labels, one line per sample; without it every label is 0.
    label_shape : tuple of int, default (1,)
        The shape of one label; ``(1,)`` gives labels of shape ``(batch_size,)``.
    batch_size : int
    round_batch : bool, default True
        Complete the last batch with samples from the start and go on from
        there next epoch (see the module docstring).
    dtype : str, optional
        The dtype of data and labels (default float32).
    data_name, label_name : str, default 'data' and 'softmax_label'
    prefetch_buffer, ctx
        Accepted for compatibility with MXNet's C++ iterator; no effect
        (the files are in memory, the batches on the CPU).

    Examples
    --------
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, 'x.csv'), 'w') as f:
    ...     _ = f.write('1,2,3,4\\n5,6,7,8\\n')
    >>> it = CSVIter(os.path.join(folder, 'x.csv'), data_shape=(2, 2), batch_size=2)
    >>> it.provide_data
    [DataDesc[data,(2, 2, 2),<class 'numpy.float32'>,NCHW]]
    >>> it.provide_label
    [DataDesc[softmax_label,(2,),<class 'numpy.float32'>,NCHW]]
    """

    def __init__(self, data_csv, data_shape, label_csv=None, label_shape=(1,), batch_size=None,
                 round_batch=True, prefetch_buffer=4, ctx='gpu', dtype=None,
                 data_name='data', label_name='softmax_label'):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size <= 0:
            raise MXNetError('CSVIter: batch_size must be a positive integer, got %r'
                             % (batch_size,))
        if dtype is not None and str(np.dtype(dtype)) not in _DTYPES:
            raise MXNetError('CSVIter: dtype must be one of %s, got %r' % (_DTYPES, dtype))
        super().__init__(int(batch_size))
        dtype = np.dtype('float32' if dtype is None else dtype)
        self.round_batch = round_batch
        self._data = _read_csv(data_csv, tuple(data_shape), dtype, 'data')
        self.num_data = len(self._data)
        if self.num_data < self.batch_size:
            raise MXNetError('CSVIter: %s has %d rows, fewer than batch_size=%d'
                             % (data_csv, self.num_data, self.batch_size))
        # A label of shape (1,) is a scalar per sample: labels (batch_size,).
        label_shape = tuple(label_shape)
        sample = () if label_shape == (1,) else label_shape
        if label_csv is None or label_csv == 'NULL':
            self._label = np.zeros((self.num_data,) + sample, dtype=dtype)
        else:
            self._label = _read_csv(label_csv, label_shape, dtype, 'label').reshape(
                (-1,) + sample)
            if len(self._label) != self.num_data:
                raise MXNetError('CSVIter: %s has %d rows but %s has %d'
                                 % (data_csv, self.num_data, label_csv, len(self._label)))
        b = self.batch_size
        self.provide_data = [DataDesc(data_name, (b,) + self._data.shape[1:], dtype.type)]
        self.provide_label = [DataDesc(label_name, (b,) + sample, dtype.type)]
        self._start = 0          # where this epoch starts in the data
        self._cursor = None      # the current batch's first position (from _start on)
        self._index = None       # the current batch's sample indices

    def reset(self):
        """Start the next epoch (after the samples the last batch took from the start,
        with ``round_batch``)."""
        overflow = 0
        if self.round_batch and self._cursor is not None:
            # _cursor is past the epoch's last batch, or on a batch that wrapped around.
            last_end = self._cursor if self._cursor >= self.num_data else \
                self._cursor + self.batch_size
            overflow = max(0, last_end - self.num_data)
        self._start = overflow
        self._cursor = None
        self._index = None

    def iter_next(self):
        """Move to the next batch; False once the epoch has reached the end of the data."""
        n, b = self.num_data, self.batch_size
        self._cursor = self._start if self._cursor is None else self._cursor + b
        if self._cursor >= n:
            self._index = None
            return False
        positions = np.arange(self._cursor, self._cursor + b)
        if not self.round_batch and self._cursor + b > n:
            # The rows past the end keep the previous batch's samples (as MXNet's
            # buffer does); b <= n, so there is a previous batch.
            positions[positions >= n] -= b
        self._index = (positions % n).astype(np.uint64)
        return True

    def next(self):
        """The next ``DataBatch`` (StopIteration at the end of the epoch)."""
        if not self.iter_next():
            raise StopIteration
        return DataBatch(data=self.getdata(), label=self.getlabel(), pad=self.getpad(),
                         index=self._index)

    def _take(self, rows):
        if self._index is None:
            raise MXNetError('CSVIter: no current batch; call iter_next() or next() first')
        return [new_ndarray(rows[self._index.astype(np.int64)], cpu())]

    def getdata(self):
        return self._take(self._data)

    def getlabel(self):
        return self._take(self._label)

    def getindex(self):
        return self._index

    def getpad(self):
        if self._index is None:
            return 0
        return max(0, self._cursor + self.batch_size - self.num_data)
