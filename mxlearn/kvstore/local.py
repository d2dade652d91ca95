"""The single-process KVStores ``'local'`` and ``'device'``.

Both keep one array per key in this process. They differ in where a push is
summed and the updater runs, as in MXNet:

- ``'local'``: on the CPU. Values pushed from several devices are copied to
  ``cpu(0)``, summed there, and the stored value (on ``cpu(0)``) is updated
  there.
- ``'device'``: on the device of the first pushed value (for GPUs: the sum
  and the optimizer step stay on a GPU). The stored value moves to that
  device when the updater runs, so weights and optimizer states live there.

Only ``'device'`` takes gradient compression (MXNet refuses it for
``'local'``): each pushed value is compressed on its device, with one
residual per key and per position in the list of pushed values (one per
device); the packed words go to the merging device, which decompresses and
sums them.

A call with a list of keys whose values are pushed through an optimizer
(``set_optimizer``) sums every key's push first, then runs the optimizer
once over all the keys of each device (its multi-tensor update, as the
Trainer does when it runs the optimizer itself), instead of once per key.

Examples
--------
>>> import mxlearn as mx
>>> import mxlearn.kvstore
>>> kv = mx.kvstore.create('device')
>>> kv.init(0, mx.nd.zeros((2,)))
>>> kv.push(0, [mx.nd.ones((2,), ctx=mx.cpu(1)), mx.nd.ones((2,), ctx=mx.cpu(2))])
>>> out = mx.nd.zeros((2,))
>>> kv.pull(0, out=out)
>>> out.asnumpy()
array([2., 2.], dtype=float32)
"""
from .. import context
from .. import ndarray as nd
from .. import optimizer as opt
from ..backend import transfer
from ..base import MXNetError
from .base import KVStoreBase, apply_update, reduce_sum

__all__ = ['KVStore']

NAMES = ('local', 'device')


class KVStore(KVStoreBase):
    """A KVStore in this process: ``'local'`` (sums on the CPU) or ``'device'``.

    Parameters
    ----------
    name : {'local', 'device'}
    """

    def __init__(self, name='local'):
        if name not in NAMES:
            raise MXNetError('a single-process KVStore is %s, got %r'
                             % (' or '.join(map(repr, NAMES)), name))
        super().__init__(name)
        self._store = {}

    def _home(self, value):
        """Where a value (the first of a push) is summed and kept."""
        return value.context if self._type == 'device' else context.cpu(0)

    def _init(self, key, value):
        self._store[key] = value.copyto(self._home(value))

    def _merge(self, key, values):
        ctx = self._home(values[0])
        if self._compression is None:
            return reduce_sum(values, ctx)
        # Only the packed words travel to the merging device; each sender
        # keeps its own residual, under (key, its position in the push).
        shape, dtype = self._meta[key]
        total = nd.zeros(shape, ctx=ctx, dtype=dtype)
        for position, value in enumerate(values):
            packed = self._compression.compress((key, position), value)
            if value.context != ctx:
                packed = transfer(packed, value.context, ctx)
            self._compression.decompress(packed, shape, dtype, add_to=total._data)
        return total

    def _push(self, key, values):
        merged = self._merge(key, values)
        stored = self._store[key]
        if self._updater is None:
            # The sum is a new array of our own: keep it.
            self._store[key] = merged
            return
        if stored.context != merged.context:
            stored = self._store[key] = stored.copyto(merged.context)
        apply_update(self._updater, key, merged, stored)

    def _push_many(self, pairs):
        if not self._batches(pairs):
            super()._push_many(pairs)
            return
        groups = {}                     # device -> ([key], [sum], [stored])
        for key, values in pairs:
            merged = self._merge(key, values)
            stored = self._store[key]
            if stored.context != merged.context:
                stored = self._store[key] = stored.copyto(merged.context)
            for group, item in zip(groups.setdefault(merged.context, ([], [], [])),
                                   (key, merged, stored)):
                group.append(item)
        for keys, merged, stored in groups.values():
            self._updater(keys, merged, stored)

    def _pushpull_many(self, items):
        if not self._batches(items):
            super()._pushpull_many(items)
            return
        self._push_many([(key, values) for key, values, _ in items])
        for key, _, outs in items:
            self._pull(key, outs)

    def _batches(self, items):
        """Whether the keys of ``items`` can go through the optimizer together.

        Not with a key twice (its pushes apply one after the other), nor with
        an updater of one key at a time (``_set_updater``).
        """
        return (len(items) > 1 and isinstance(self._updater, opt.Updater)
                and len({item[0] for item in items}) == len(items))

    def _pull(self, key, outs):
        stored = self._store[key]
        for out in outs:
            stored.copyto(out)

    def _set_gradient_compression(self, compression):
        if self._type != 'device':
            raise MXNetError("gradient compression is not supported by the %r KVStore: use "
                             "'device' (or a 'dist_*' store)" % self._type)
        self._compression = compression


