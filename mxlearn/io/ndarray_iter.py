"""``NDArrayIter``: batches from arrays held in memory.

The iterator keeps a cursor, the position of the current batch's first sample
in the epoch. Without shuffling a batch is a view of a contiguous block of each
array (no copy); with shuffling it is one gather of the rows a permutation
names (drawn from numpy's global generator, so ``np.random.seed`` fixes it,
at every ``reset``).

The last, incomplete batch of an epoch is handled as ``last_batch_handle``
says (n samples, batch size b, k = n mod b > 0):

- ``'pad'``: the batch is completed with the first samples of the data,
  and its ``pad`` says how many (b - k) were added;
- ``'discard'``: the batch is dropped, every epoch has n // b batches;
- ``'roll_over'``: the batch is dropped from this epoch, and its k samples
  open the first batch of the next epoch (completed by the first b - k
  samples of it; its ``pad`` is k, as in MXNet), so the samples form one
  stream across epochs and an epoch has as many batches as the stream
  fills.

Examples
--------
>>> import numpy as np
>>> it = NDArrayIter(np.arange(5).reshape(5, 1), batch_size=2)
>>> [(b.data[0].asnumpy().ravel().tolist(), b.pad) for b in it]
[([0.0, 1.0], 0), ([2.0, 3.0], 0), ([4.0, 0.0], 1)]
"""
import numpy as np

from .._ext.core import NDArrayBase, new_ndarray
from ..base import MXNetError
from ..ndarray.ndarray import array
from .base import DataBatch, DataDesc, DataIter

__all__ = ['NDArrayIter']

_MODES = ('pad', 'discard', 'roll_over')


def _named_arrays(data, default_name, allow_empty):
    """``[(name, NDArray), ...]`` sorted by name, from an array, a list or a dict of them.

    A single array is named ``default_name``; the arrays of a list are named
    ``_0_<default_name>``, ``_1_<default_name>``... (just ``default_name`` for a
    list of one), as in MXNet. numpy arrays become float32 NDArrays unless
    they are NDArrays already (MXNet's ``nd.array`` rule).
    """
    if data is None:
        if allow_empty:
            return []
        raise MXNetError('NDArrayIter needs data: got None')
    if isinstance(data, (NDArrayBase, np.ndarray)):
        data = {default_name: data}
    elif isinstance(data, (list, tuple)):
        if not data and not allow_empty:
            raise MXNetError('NDArrayIter needs data: got an empty list')
        if len(data) == 1:
            data = {default_name: data[0]}
        else:
            data = {'_%d_%s' % (i, default_name): d for i, d in enumerate(data)}
    if not isinstance(data, dict):
        raise MXNetError('NDArrayIter data and label must be an NDArray, a numpy array, a '
                         'list of them or a dict of them, got %s' % type(data).__name__)
    named = []
    for name, value in sorted(data.items()):
        if not isinstance(value, NDArrayBase):
            try:
                value = array(value)
            except MXNetError as e:
                raise MXNetError('NDArrayIter: %r is not an array: %s' % (name, e)) from None
        named.append((name, value))
    return named


class NDArrayIter(DataIter):
    """Iterate over NDArrays or numpy arrays in batches, optionally shuffled.

    Parameters
    ----------
    data : NDArray, numpy.ndarray, list or dict of them
        The inputs; all share the number of samples (along the layout's N axis).
    label : NDArray, numpy.ndarray, list or dict of them, optional
    batch_size : int, default 1
    shuffle : bool, default False
        Draw a new order of the samples at every epoch.
    last_batch_handle : {'pad', 'discard', 'roll_over'}, default 'pad'
        What happens to the last incomplete batch (see the module docstring).
    data_name, label_name : str, default 'data' and 'softmax_label'
        The names of ``data`` and ``label`` when they are not dicts.
    layout : str, default 'NCHW'
        The position of ``N`` gives the batch axis.

    Attributes
    ----------
    data, label : list of (str, NDArray)
        The arrays, sorted by name (the order of ``provide_data`` and of a
        batch's arrays).

    Examples
    --------
    >>> import numpy as np
    >>> np.random.seed(0)
    >>> it = NDArrayIter({'x': np.zeros((10, 3))}, np.arange(10), batch_size=4,
    ...                  shuffle=True, last_batch_handle='discard')
    >>> it.provide_data
    [DataDesc[x,(4, 3),<class 'numpy.float32'>,NCHW]]
    >>> it.provide_label
    [DataDesc[softmax_label,(4,),<class 'numpy.float32'>,NCHW]]
    >>> sum(1 for _ in it)
    2
    """

    def __init__(self, data, label=None, batch_size=1, shuffle=False,
                 last_batch_handle='pad', data_name='data', label_name='softmax_label',
                 layout='NCHW'):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size <= 0:
            raise MXNetError('NDArrayIter: batch_size must be a positive integer, got %r'
                             % (batch_size,))
        if last_batch_handle not in _MODES:
            raise MXNetError("NDArrayIter: last_batch_handle must be one of %s, got %r"
                             % (', '.join(repr(m) for m in _MODES), last_batch_handle))
        super().__init__(int(batch_size))
        self.data = _named_arrays(data, data_name, allow_empty=False)
        self.label = _named_arrays(label, label_name, allow_empty=True)
        self.layout = layout
        self._axis = DataDesc.get_batch_axis(layout)
        if self._axis < 0:
            raise MXNetError('NDArrayIter: layout %r has no batch axis N' % (layout,))
        self.num_data = self._check_lengths()
        self.shuffle = shuffle
        self.last_batch_handle = last_batch_handle
        # Each source with its batch axis first, as the raw array batches are cut from.
        self._raw = [a.context.xp.moveaxis(a._data, self._axis, 0) if self._axis else a._data
                     for _, a in self.data + self.label]
        self._ctx = [a.context for _, a in self.data + self.label]
        self._order = None            # the epoch's permutation (numpy int64) or None
        self._carry = None            # roll_over: the previous epoch's leftover rows
        self.cursor = -self.batch_size
        self.reset()

    def _check_lengths(self):
        lengths = {name: a.shape[self._axis] if a.ndim > self._axis else None
                   for name, a in self.data + self.label}
        if None in lengths.values() or len(set(lengths.values())) != 1:
            raise MXNetError('NDArrayIter: every data and label array must have the same '
                             'number of samples along the batch axis %d, got %s'
                             % (self._axis, lengths))
        n = next(iter(lengths.values()))
        if n == 0:
            raise MXNetError('NDArrayIter: the data has no samples')
        return n

    def _descs(self, named):
        descs = []
        for name, a in named:
            shape = list(a.shape)
            shape[self._axis] = self.batch_size
            descs.append(DataDesc(name, tuple(shape), a.dtype, self.layout))
        return descs

    @property
    def provide_data(self):
        """The name, batch shape and dtype of each data array (``DataDesc`` list)."""
        return self._descs(self.data)

    @property
    def provide_label(self):
        """The name, batch shape and dtype of each label array (``DataDesc`` list)."""
        return self._descs(self.label)

    # ------------------------------------------------------------ epochs --
    def hard_reset(self):
        """Start again from the first sample, forgetting any rolled-over samples."""
        self._carry = None
        self.cursor = -self.batch_size
        self._draw_order()

    def reset(self):
        """Start the next epoch (carrying the leftover samples over with 'roll_over')."""
        n, b = self.num_data, self.batch_size
        self._carry = None
        if self.last_batch_handle == 'roll_over' and n - b < self.cursor < n:
            # The epoch ended on an incomplete batch: keep its samples (in this
            # epoch's order, before a new one is drawn) for the next first batch.
            self._carry = self._rows_all(self.cursor, n)
            self.cursor = self.cursor - n - b
        else:
            self.cursor = -b
        self._draw_order()

    def _draw_order(self):
        if self.shuffle:
            self._order = np.random.permutation(self.num_data)

    def iter_next(self):
        """Move the cursor to the next batch; False past the end of the data."""
        self.cursor += self.batch_size
        return self.cursor < self.num_data

    def next(self):
        """The next ``DataBatch`` (StopIteration at the end of the epoch).

        With 'discard' and 'roll_over' an incomplete last batch ends the epoch.
        """
        if not self.iter_next():
            raise StopIteration
        if self.last_batch_handle != 'pad' and self.cursor + self.batch_size > self.num_data:
            raise StopIteration
        return DataBatch(data=self.getdata(), label=self.getlabel(), pad=self.getpad(),
                         index=None)

    # ----------------------------------------------------------- batches --
    def _rows(self, k, start, stop):
        """Raw rows ``start:stop`` of source ``k`` in epoch order (``stop`` may pass the end:
        the data wraps around)."""
        raw, n = self._raw[k], self.num_data
        if self._order is None and stop <= n:
            return raw[start:stop]
        index = np.arange(start, stop) % n if stop > n else np.arange(start, stop)
        if self._order is not None:
            index = self._order[index]
        xp = self._ctx[k].xp
        return raw[index if xp is np else xp.asarray(index)]

    def _rows_all(self, start, stop):
        return [self._rows(k, start, stop) for k in range(len(self._raw))]

    def _batch(self, k):
        """Source ``k``'s arrays of the current batch, as an NDArray."""
        n, b, cur = self.num_data, self.batch_size, self.cursor
        if cur < 0:
            # roll_over: last epoch's leftover, then the start of this epoch.
            xp = self._ctx[k].xp
            rows = xp.concatenate([self._carry[k], self._rows(k, 0, cur + b)])
        elif cur + b > n and self.last_batch_handle != 'pad':
            rows = self._rows(k, cur, n)
        else:
            rows = self._rows(k, cur, cur + b)
        if self._axis:
            xp = self._ctx[k].xp
            rows = xp.ascontiguousarray(xp.moveaxis(rows, 0, self._axis))
        return new_ndarray(rows, self._ctx[k])

    def _check_cursor(self):
        if self.cursor >= self.num_data:
            raise MXNetError('NDArrayIter: the epoch is over (%d samples); call reset()'
                             % self.num_data)
        if self.cursor < 0 and self._carry is None:
            raise MXNetError('NDArrayIter: no current batch; call iter_next() or next() '
                             'first')

    def getdata(self):
        """The data arrays (NDArrays) of the current batch."""
        self._check_cursor()
        return [self._batch(k) for k in range(len(self.data))]

    def getlabel(self):
        """The label arrays (NDArrays) of the current batch."""
        self._check_cursor()
        return [self._batch(k) for k in range(len(self.data), len(self._raw))]

    def getpad(self):
        """Padding samples in the current batch: those appended ('pad'), or with
        'roll_over' the samples carried over from the last epoch, as MXNet counts."""
        b, n = self.batch_size, self.num_data
        if self.last_batch_handle == 'pad' and self.cursor + b > n:
            return self.cursor + b - n
        if self.last_batch_handle == 'roll_over' and -b < self.cursor < 0:
            return -self.cursor
        return 0
