"""The KVStore API of MXNet 1.x, shared by every store type.

A KVStore holds one array per **key** (an int or a str). Workers ``push``
values to a key (a list of values, one per device, is summed) and ``pull`` the
stored value back; ``init`` gives a key its first value. What a push does to
the stored value is the store's **updater**: without one the stored value
becomes the sum of the push; with ``set_optimizer(opt)`` the store runs the
optimizer, ``updater(key, pushed_sum, stored)``, so pushing gradients and
pulling weights is a training step.

This module does everything that does not depend on where the values live:
checking and normalising the arguments of the public methods, the key types,
the shapes and dtypes, ``broadcast``, ``row_sparse_pull`` on dense arrays, the
optimizer and updater, and saving the optimizer's states.

Contract for subclasses
-----------------------
``local.py`` (``'local'``, ``'device'``) and ``dist.py`` (``'dist_*'``)
implement these hooks, each called for one key at a time with checked
arguments:

``_init(key, value)``
    Store ``value`` (an NDArray, the caller's: copy it) as the key's first
    value. Called once per key: a second ``init``/``broadcast`` of a key is
    refused before it gets here.
``_push(key, values)``
    ``values`` is a non-empty list of NDArrays (one per device), each of the
    shape and dtype the key was initialised with. Sum them (``reduce_sum``;
    with gradient compression, ``self._compression`` compresses each value,
    see ``compression.py``) and apply the sum to the stored value
    (``apply_update``).
``_pull(key, outs)``
    Copy the key's current value into every NDArray of ``outs`` (checked to
    have the key's shape and dtype; they may be on any contexts).
``_pushpull(key, values, outs)``, optional
    ``_push`` then ``_pull``.
``_push_many(pairs)``, ``_pushpull_many(items)``, optional
    All the keys of one call at once: ``pairs`` is a list of ``(key,
    values)``, ``items`` of ``(key, values, outs)``, checked as above. By
    default one ``_push``/``_pushpull`` per key, in the order of the list
    (a store overrides them to apply the updater to all the keys at once).
``_row_sparse_pull(key, outs, row_ids)``, optional
    ``row_ids`` is a list of int64 numpy arrays (checked to be in range), one
    per out. By default the whole value is pulled into a temporary and the
    rows are picked from it.
``_barrier()``, optional
    Wait for all workers (nothing to wait for in one process).
``_set_optimizer(optimizer)``, optional
    By default ``self._set_updater(get_updater(optimizer))``: the optimizer
    runs here. A distributed store sends it to the servers instead.
``_set_gradient_compression(compression)``, optional
    ``compression`` is a ``TwoBitCompression``; by default kept in
    ``self._compression``.
``type``, ``rank``, ``num_workers``
    Properties: ``self._type`` (the name given to the constructor), 0, 1.

State a subclass may read: ``self._updater`` (None or a callable
``(key, merged, stored)``), ``self._compression`` (None or a
``TwoBitCompression``), ``self._meta`` (key -> (shape, numpy dtype) from init).

Examples
--------
>>> import mxlearn as mx
>>> import mxlearn.kvstore
>>> kv = mx.kvstore.create('local')
>>> kv.init('w', mx.nd.zeros((2,)))
>>> kv.push('w', [mx.nd.ones((2,)), mx.nd.ones((2,)) * 2])    # two devices: summed
>>> out = mx.nd.zeros((2,))
>>> kv.pull('w', out=out)
>>> out.asnumpy()
array([3., 3.], dtype=float32)
"""
import numbers
import os
import tempfile

import numpy

from .. import ndarray as nd
from .. import optimizer as opt
from ..base import MXNetError, register_class
from .compression import create_compression

__all__ = ['KVStoreBase', 'reduce_sum', 'apply_update']


def reduce_sum(values, ctx):
    """The sum of NDArrays ``values`` as a new NDArray on ``ctx``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> total = reduce_sum([mx.nd.ones((2,)), mx.nd.ones((2,), ctx=mx.cpu(1))], mx.cpu(1))
    >>> total.asnumpy(), total.context
    (array([2., 2.], dtype=float32), cpu(1))
    """
    total = values[0].copyto(ctx)
    for value in values[1:]:
        total += value.as_in_context(ctx)
    return total


def apply_update(updater, key, merged, stored):
    """What a store does with the sum of a push: run ``updater``, or take the sum.

    ``stored`` is changed in place (the updater's ``stored`` argument is the
    weight it updates).

    Examples
    --------
    >>> import mxlearn as mx
    >>> stored = mx.nd.ones((2,))
    >>> apply_update(None, 0, mx.nd.array([5, 6]), stored)
    >>> stored.asnumpy()
    array([5., 6.], dtype=float32)
    >>> def add(key, merged, stored):
    ...     stored += merged
    >>> apply_update(add, 0, mx.nd.array([1, 1]), stored)
    >>> stored.asnumpy()
    array([6., 7.], dtype=float32)
    """
    if updater is None:
        merged.copyto(stored)
    else:
        updater(key, merged, stored)


def write_atomically(fname, data):
    """Write bytes ``data`` to ``fname`` through a temporary file moved into place.

    A crash half-way leaves the previous file (or none), never a truncated one.
    """
    folder = os.path.dirname(os.path.abspath(fname))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.' + os.path.basename(fname))
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        os.replace(tmp, fname)
    except BaseException:
        os.unlink(tmp)
        raise


def _describe(arr):
    return 'an array of shape %s and dtype %s on %s' % (arr.shape, numpy.dtype(arr.dtype).name,
                                                        arr.context)


class KVStoreBase:
    """The MXNet 1.x KVStore API; subclasses store the values (see the module docstring).

    Parameters
    ----------
    name : str
        The store type, returned by ``type``.
    """
    OPTIMIZER = 'optimizer'
    kv_registry = {}

    def __init__(self, name):
        self._type = name
        self._meta = {}
        self._key_type = None
        self._updater = None
        self._compression = None

    def __repr__(self):
        return '<%s %r: %d keys>' % (type(self).__name__, self.type, len(self._meta))

    # ------------------------------------------------------------ registry --
    @staticmethod
    def register(klass):
        """Register a KVStore class under its lowercase name, for ``mx.kvstore.create``.

        Examples
        --------
        >>> import mxlearn as mx
        >>> import mxlearn.kvstore
        >>> @mx.kvstore.KVStoreBase.register
        ... class Recorder(mx.kvstore.KVStoreBase):
        ...     def __init__(self):
        ...         super().__init__('recorder')
        >>> mx.kvstore.create('Recorder').type
        'recorder'
        """
        return register_class(KVStoreBase.kv_registry, klass, klass.__name__, KVStoreBase,
                              'KVStore', 'KVStoreBase')

    # ---------------------------------------------------------- properties --
    @property
    def type(self):
        """The store type: ``'local'``, ``'device'``, ``'dist_sync'``, ..."""
        return self._type

    @property
    def rank(self):
        """This worker's number, ``0 .. num_workers - 1`` (0 in one process)."""
        return 0

    @property
    def num_workers(self):
        """How many workers share the store (1 in one process)."""
        return 1

    def is_capable(self, capability):
        """Whether the store supports ``capability``; ``'optimizer'``: it can run one.

        Examples
        --------
        >>> import mxlearn as mx
        >>> import mxlearn.kvstore
        >>> mx.kvstore.create('local').is_capable('optimizer')
        True
        """
        if str(capability).lower() == self.OPTIMIZER:
            return True
        raise MXNetError('unknown KVStore capability %r (known: %r)'
                         % (capability, self.OPTIMIZER))

    # ------------------------------------------------------- normalisation --
    def _check_key(self, key):
        if isinstance(key, numbers.Integral) and not isinstance(key, bool):
            key, kind = int(key), 'int'
        elif isinstance(key, str):
            kind = 'str'
        else:
            raise MXNetError('KVStore keys must be int or str, got %r of type %s'
                             % (key, type(key).__name__))
        if self._key_type is None:
            self._key_type = kind
        elif kind != self._key_type:
            raise MXNetError('KVStore key %r is a %s, but this store uses %s keys: int and '
                             'str keys cannot be mixed in one KVStore'
                             % (key, kind, self._key_type))
        return key

    def _pairs(self, op, key, value, what):
        """``[(key, [NDArray, ...]), ...]`` from one key or a list of keys and their values."""
        if isinstance(key, (list, tuple)):
            if not isinstance(value, (list, tuple)) or len(value) != len(key):
                raise MXNetError('%s: %d keys need a list of %d %s (an NDArray or a list of '
                                 'NDArrays per key), got %s'
                                 % (op, len(key), len(key), what, _kind(value)))
            return [self._pair(op, k, v, what) for k, v in zip(key, value)]
        return [self._pair(op, key, value, what)]

    def _pair(self, op, key, value, what):
        key = self._check_key(key)
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        if not values:
            raise MXNetError('%s of key %r: got an empty list of %s' % (op, key, what))
        for i, v in enumerate(values):
            if not isinstance(v, nd.NDArray):
                raise MXNetError('%s of key %r: %s must be NDArrays, got %s'
                                 % (op, key, what, _kind(v) if len(values) == 1
                                    else 'a %s at position %d' % (type(v).__name__, i)))
        return key, values

    def _check_arrays(self, op, key, arrays, what):
        if key not in self._meta:
            raise MXNetError('%s of key %r: the key has not been initialized (call kv.init '
                             'first)' % (op, key))
        shape, dtype = self._meta[key]
        for i, arr in enumerate(arrays):
            if arr.shape != shape or numpy.dtype(arr.dtype) != dtype:
                position = '' if len(arrays) == 1 else ' %d' % i
                raise MXNetError('%s of key %r: %s%s is %s, but the key was initialized with '
                                 'shape %s and dtype %s'
                                 % (op, key, what, position, _describe(arr), shape,
                                    dtype.name))

    # ------------------------------------------------------------- the API --
    def init(self, key, value):
        """Give keys their first values (one NDArray per key).

        Parameters
        ----------
        key : int, str, or list of them
        value : NDArray, or list of NDArray (one per key)

        Examples
        --------
        >>> import mxlearn as mx
        >>> import mxlearn.kvstore
        >>> kv = mx.kvstore.create('local')
        >>> kv.init([5, 7], [mx.nd.ones((2,)), mx.nd.zeros((3,))])
        >>> try:
        ...     kv.init(5, mx.nd.ones((2,)))
        ... except mx.MXNetError as e:
        ...     print(e)
        init of key 5: the key was already initialized (by kv.init or kv.broadcast)
        """
        pairs = self._pairs('init', key, value, 'values')
        for k, values in pairs:
            if len(values) != 1:
                raise MXNetError('init of key %r: takes one NDArray per key, got a list of %d'
                                 % (k, len(values)))
            if k in self._meta:
                raise MXNetError('init of key %r: the key was already initialized (by kv.init '
                                 'or kv.broadcast)' % (k,))
        if len({k for k, _ in pairs}) != len(pairs):
            raise MXNetError('init: a key appears twice in %r' % ([k for k, _ in pairs],))
        for k, values in pairs:
            self._meta[k] = (values[0].shape, numpy.dtype(values[0].dtype))
            self._init(k, values[0])

    def push(self, key, value, priority=0):
        """Push values to keys; several values for one key (one per device) are summed.

        The sum goes through the updater (``set_optimizer``), or replaces the
        stored value when there is none.

        Parameters
        ----------
        key : int, str, or list of them
        value : NDArray, list of NDArray, or list of (NDArray or list of NDArray)
            With one key: its value, or its values from several devices. With
            a list of keys: one entry per key.
        priority : int, optional
            Accepted for MXNet compatibility; operations run in call order.

        Examples
        --------
        >>> import mxlearn as mx
        >>> import mxlearn.kvstore
        >>> kv = mx.kvstore.create('local')
        >>> kv.init(3, mx.nd.ones((2,)))
        >>> kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1))
        >>> kv.push(3, mx.nd.ones((2,)))     # a gradient
        >>> out = mx.nd.zeros((2,))
        >>> kv.pull(3, out=out)
        >>> out.asnumpy()
        array([0.9, 0.9], dtype=float32)
        """
        pairs = self._pairs('push', key, value, 'values')
        for k, values in pairs:
            self._check_arrays('push', k, values, 'value')
        self._push_many(pairs)

    def pull(self, key, out=None, priority=0, ignore_sparse=True):
        """Copy the stored values of keys into ``out`` (one or several NDArrays per key).

        Parameters
        ----------
        key : int, str, or list of them
        out : NDArray, list of NDArray, or list of (NDArray or list of NDArray)
        priority : int, optional
            Accepted for MXNet compatibility.
        ignore_sparse : bool, default True
            Accepted for MXNet compatibility (mxlearn arrays are dense).

        Examples
        --------
        >>> import mxlearn as mx
        >>> import mxlearn.kvstore
        >>> kv = mx.kvstore.create('local')
        >>> kv.init('b', mx.nd.array([1, 2]))
        >>> outs = [mx.nd.zeros((2,), ctx=mx.cpu(i)) for i in range(2)]
        >>> kv.pull('b', out=outs)
        >>> [o.asnumpy() for o in outs]
        [array([1., 2.], dtype=float32), array([1., 2.], dtype=float32)]
        """
        if out is None:
            raise MXNetError('pull needs out= (the NDArrays to copy the values into)')
        pairs = self._pairs('pull', key, out, 'outputs')
        for k, outs in pairs:
            self._check_arrays('pull', k, outs, 'output')
        for k, outs in pairs:
            self._pull(k, outs)

    def pushpull(self, key, value, out=None, priority=0):
        """``push`` then ``pull``; without ``out`` the results are written into ``value``.

        Examples
        --------
        >>> import mxlearn as mx
        >>> import mxlearn.kvstore
        >>> kv = mx.kvstore.create('device')
        >>> kv.init(0, mx.nd.zeros((2,)))
        >>> grads = [mx.nd.ones((2,)), mx.nd.ones((2,), ctx=mx.cpu(1)) * 3]
        >>> kv.pushpull(0, grads)           # all-reduce: every device gets the sum
        >>> [g.asnumpy() for g in grads]
        [array([4., 4.], dtype=float32), array([4., 4.], dtype=float32)]
        """
        values = self._pairs('pushpull', key, value, 'values')
        outs = values if out is None else self._pairs('pushpull', key, out, 'outputs')
        items = [(k, vals, arrs) for (k, vals), (_, arrs) in zip(values, outs)]
        for k, vals, arrs in items:
            self._check_arrays('pushpull', k, vals, 'value')
            self._check_arrays('pushpull', k, arrs, 'output')
        self._pushpull_many(items)

    def broadcast(self, key, value, out, priority=0):
        """``init`` the keys with ``value`` and ``pull`` them into ``out``.

        In a distributed store the value of worker 0 is the one every worker
        gets. A key can be broadcast (or initialized) once.

        Examples
        --------
        >>> import mxlearn as mx
        >>> import mxlearn.kvstore
        >>> kv = mx.kvstore.create('local')
        >>> copies = [mx.nd.zeros((2,)), mx.nd.zeros((2,), ctx=mx.cpu(1))]
        >>> kv.broadcast('w', mx.nd.array([3, 4]), out=copies)
        >>> copies[1].asnumpy()
        array([3., 4.], dtype=float32)
        """
        self.init(key, value)
        self.pull(key, out=out)

    def row_sparse_pull(self, key, out=None, priority=0, row_ids=None):
        """Pull only the rows ``row_ids`` of keys; the other rows of ``out`` are set to 0.

        mxlearn arrays are dense, so ``out`` is a dense NDArray holding what
        MXNet's row_sparse result holds: the requested rows of the stored
        value, zeros elsewhere. Row ids may repeat and be in any order.

        Parameters
        ----------
        key : int, str, or list of them
        out : NDArray, list of NDArray, or list of (NDArray or list of NDArray)
        row_ids : NDArray or list of NDArray
            One 1-d array of row indices per output; a single one serves every
            output.

        Examples
        --------
        >>> import mxlearn as mx
        >>> import mxlearn.kvstore
        >>> kv = mx.kvstore.create('local')
        >>> kv.init('emb', mx.nd.arange(6).reshape((3, 2)))
        >>> out = mx.nd.ones((3, 2))
        >>> kv.row_sparse_pull('emb', out=out, row_ids=mx.nd.array([2, 0, 2]))
        >>> out.asnumpy()
        array([[0., 1.],
               [0., 0.],
               [4., 5.]], dtype=float32)
        """
        if out is None or row_ids is None:
            raise MXNetError('row_sparse_pull needs out= and row_ids=')
        pairs = self._pairs('row_sparse_pull', key, out, 'outputs')
        if isinstance(row_ids, nd.NDArray):
            row_ids = [row_ids]
        if not isinstance(row_ids, (list, tuple)) or not all(
                isinstance(r, nd.NDArray) for r in row_ids):
            raise MXNetError('row_sparse_pull: row_ids must be an NDArray or a list of '
                             'NDArrays, got %s' % _kind(row_ids))
        num_outs = sum(len(outs) for _, outs in pairs)
        if len(row_ids) == 1:
            row_ids = list(row_ids) * num_outs
        elif len(row_ids) != num_outs:
            raise MXNetError('row_sparse_pull: got %d row_ids for %d outputs (give one per '
                             'output, or one for all)' % (len(row_ids), num_outs))
        start = 0
        for k, outs in pairs:
            self._check_arrays('row_sparse_pull', k, outs, 'output')
            ids = [self._row_ids(k, r) for r in row_ids[start:start + len(outs)]]
            start += len(outs)
            self._row_sparse_pull(k, outs, ids)

    def _row_ids(self, key, row_ids):
        ids = row_ids.asnumpy().reshape(-1)
        rows = self._meta[key][0][0] if self._meta[key][0] else 0
        as_int = ids.astype(numpy.int64)
        if (as_int != ids).any() or (as_int < 0).any() or (as_int >= rows).any():
            raise MXNetError('row_sparse_pull of key %r: row_ids must be integers in [0, %d) '
                             '(the rows of the value), got %s' % (key, rows, ids))
        return as_int

    def set_optimizer(self, optimizer):
        """Run ``optimizer`` on every push: the store then holds weights and receives gradients.

        Parameters
        ----------
        optimizer : Optimizer
        """
        if not isinstance(optimizer, opt.Optimizer):
            raise MXNetError('set_optimizer expects an mx.optimizer.Optimizer, got %s'
                             % type(optimizer).__name__)
        self._set_optimizer(optimizer)

    def _set_updater(self, updater):
        """Use ``updater(key, pushed_sum, stored)`` (changes ``stored`` in place) on pushes.

        Examples
        --------
        >>> import mxlearn as mx
        >>> import mxlearn.kvstore
        >>> kv = mx.kvstore.create('local')
        >>> kv.init(0, mx.nd.ones((2,)))
        >>> def double_and_add(key, pushed, stored):
        ...     stored += 2 * pushed
        >>> kv._set_updater(double_and_add)
        >>> kv.push(0, mx.nd.ones((2,)))
        >>> out = mx.nd.zeros((2,))
        >>> kv.pull(0, out=out)
        >>> out.asnumpy()
        array([3., 3.], dtype=float32)
        """
        if updater is not None and not callable(updater):
            raise MXNetError('the updater must be callable as updater(key, pushed, stored), '
                             'got %s' % type(updater).__name__)
        self._updater = updater

    def set_gradient_compression(self, compression_params):
        """Compress pushed gradients, e.g. ``{'type': '2bit', 'threshold': 0.5}``.

        Each pushed value is quantised to ``{-t, 0, +t}`` (2 bits a value);
        the rounding error is kept by the sender and added to its next push of
        the key (see ``mxlearn.kvstore.compression``).

        Examples
        --------
        >>> import mxlearn as mx
        >>> import mxlearn.kvstore
        >>> kv = mx.kvstore.create('device')
        >>> kv.set_gradient_compression({'type': '2bit', 'threshold': 0.5})
        >>> kv.init(0, mx.nd.zeros((3,)))
        >>> kv.push(0, mx.nd.array([0.3, 0.7, -1.4]))
        >>> out = mx.nd.zeros((3,))
        >>> kv.pull(0, out=out)
        >>> out.asnumpy()
        array([ 0. ,  0.5, -0.5], dtype=float32)
        """
        self._set_gradient_compression(create_compression(compression_params))

    def save_optimizer_states(self, fname, dump_optimizer=False):
        """Save the states of the store's optimizer (momentum, ...) to ``fname``.

        Parameters
        ----------
        fname : str
        dump_optimizer : bool, default False
            Save the optimizer too (learning rate, schedule, ...).
        """
        write_atomically(fname, self._optimizer_updater('save').get_states(dump_optimizer))

    def load_optimizer_states(self, fname):
        """Load the states saved by ``save_optimizer_states``.

        Examples
        --------
        >>> import os, tempfile
        >>> import mxlearn as mx
        >>> import mxlearn.kvstore
        >>> kv = mx.kvstore.create('local')
        >>> kv.set_optimizer(mx.optimizer.Adam(learning_rate=0.5))
        >>> path = os.path.join(tempfile.mkdtemp(), 'kv.states')
        >>> kv.save_optimizer_states(path, dump_optimizer=True)
        >>> other = mx.kvstore.create('local')
        >>> other.set_optimizer(mx.optimizer.SGD())
        >>> other.load_optimizer_states(path)
        >>> type(other._updater.optimizer).__name__
        'Adam'
        """
        updater = self._optimizer_updater('load')
        with open(fname, 'rb') as f:
            updater.set_states(f.read())

    def _optimizer_updater(self, action):
        if not isinstance(self._updater, opt.Updater):
            raise MXNetError('cannot %s optimizer states: this %r KVStore has no optimizer '
                             'of its own (call set_optimizer first)' % (action, self.type))
        return self._updater

    # ------------------------------------------------------- default hooks --
    def _init(self, key, value):
        raise NotImplementedError('%s does not implement _init' % type(self).__name__)

    def _push(self, key, values):
        raise NotImplementedError('%s does not implement _push' % type(self).__name__)

    def _pull(self, key, outs):
        raise NotImplementedError('%s does not implement _pull' % type(self).__name__)

    def _pushpull(self, key, values, outs):
        self._push(key, values)
        self._pull(key, outs)

    def _push_many(self, pairs):
        for key, values in pairs:
            self._push(key, values)

    def _pushpull_many(self, items):
        for key, values, outs in items:
            self._pushpull(key, values, outs)

    def _row_sparse_pull(self, key, outs, row_ids):
        shape, dtype = self._meta[key]
        value = nd.empty(shape, ctx=outs[0].context, dtype=dtype)
        self._pull(key, [value])
        for arr, ids in zip(outs, row_ids):
            src = value.as_in_context(arr.context)._data
            ids = arr.context.xp.asarray(ids)
            rows = src[ids]
            arr._data[...] = 0
            arr._data[ids] = rows

    def _barrier(self):
        """Wait until every worker gets here (nothing to wait for in one process)."""

    def _set_optimizer(self, optimizer):
        self._set_updater(opt.get_updater(optimizer))

    def _set_gradient_compression(self, compression):
        self._compression = compression


def _kind(value):
    if isinstance(value, (list, tuple)):
        return 'a %s of %d' % (type(value).__name__, len(value))
    return 'a %s' % type(value).__name__
