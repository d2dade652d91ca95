"""``mx.kv``: key-value stores that sum gradients and share weights between devices and machines.

``create(name)`` makes one:

- ``'local'``, ``'device'``: in this process, for several devices of one
  machine (``mxlearn.kvstore.local``);
- ``'dist_sync'``, ``'dist_async'``, ``'dist_device_sync'``: workers and
  parameter servers in several processes, over MPI
  (``mxlearn.kvstore.dist``).

All have MXNet 1.x's API (``KVStoreBase``): ``init``, ``push``, ``pull``,
``pushpull``, ``broadcast``, ``row_sparse_pull``, ``set_optimizer``,
``set_gradient_compression``, ``save_optimizer_states``, ...

Examples
--------
>>> import mxlearn as mx
>>> import mxlearn.kvstore
>>> kv = mx.kvstore.create('local')
>>> kv.type, kv.rank, kv.num_workers
('local', 0, 1)
"""
import os

import numpy

from ..base import MXNetError
from .base import KVStoreBase
from .compression import TwoBitCompression
from .local import KVStore

__all__ = ['create', 'KVStore', 'KVStoreBase', 'TwoBitCompression']

# Above this many values in one parameter, the 'local' store leaves updates to
# the devices (MXNet's rule, which saves copying huge weights to the CPU).
_LOCAL_UPDATE_MAX_SIZE = 1024 * 1024 * 16


def create(name='local'):
    """A new KVStore of type ``name``.

    Parameters
    ----------
    name : str, default 'local'
        ``'local'``, ``'device'``, ``'dist_sync'``, ``'dist_async'``,
        ``'dist_device_sync'``, or the name of a class registered with
        ``KVStoreBase.register``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.kvstore
    >>> mx.kvstore.create('device').type
    'device'
    """
    if not isinstance(name, str):
        raise MXNetError('mx.kvstore.create: name must be a string, got %s' % type(name).__name__)
    name = name.lower()
    if name in KVStoreBase.kv_registry:
        return KVStoreBase.kv_registry[name]()
    if name.startswith('dist'):
        from .dist import create_dist
        return create_dist(name)
    if name in ('local', 'device'):
        return KVStore(name)
    raise MXNetError("unknown KVStore type %r: use 'local', 'device', 'dist_sync', "
                     "'dist_async' or 'dist_device_sync'" % (name,))


def _create_kvstore(kvstore, num_device, arg_arrays):
    """The store for training on ``num_device`` devices, and whether it runs the optimizer.

    MXNet's rule (``mx.model._create_kvstore``), shared by Gluon's Trainer and
    Module: no store for one device on one machine; a name creates one; the
    optimizer runs on the store unless ``MXNET_UPDATE_ON_KVSTORE=0`` or, for
    ``'local'``, a parameter has more than 16M values.

    Parameters
    ----------
    kvstore : str, KVStoreBase or None
    num_device : int
    arg_arrays : dict of str to NDArray
        The parameters (their sizes matter for ``'local'``).

    Returns
    -------
    (KVStoreBase or None, bool)

    Examples
    --------
    >>> import mxlearn as mx
    >>> _create_kvstore('device', 1, {})
    (None, False)
    >>> kv, update_on_kvstore = _create_kvstore('device', 2, {})
    >>> kv.type, update_on_kvstore
    ('device', True)
    """
    update_on_kvstore = bool(int(os.environ.get('MXNET_UPDATE_ON_KVSTORE', '1')))
    if kvstore is None:
        kv = None
    elif isinstance(kvstore, KVStoreBase):
        kv = kvstore
    elif isinstance(kvstore, str):
        if num_device == 1 and 'dist' not in kvstore:
            kv = None
        else:
            kv = create(kvstore)
            if kvstore == 'local' and arg_arrays and max(
                    int(numpy.prod(a.shape)) for a in arg_arrays.values()) \
                    > _LOCAL_UPDATE_MAX_SIZE:
                update_on_kvstore = False
    else:
        raise MXNetError('kvstore must be a KVStore, a str or None, got %s'
                         % type(kvstore).__name__)
    if kv is None:
        return None, False
    return kv, update_on_kvstore and kv.is_capable(KVStoreBase.OPTIMIZER)


def __getattr__(name):
    # The server side pulls in mpi4py: only on first use.
    if name == 'KVStoreServer':
        from .server import KVStoreServer
        return KVStoreServer
    raise AttributeError('module %r has no attribute %r' % (__name__, name))
