"""Which server holds which key, and how a big array is cut between the servers.

A distributed KVStore keeps every key on the servers, so their load (bytes
stored, bytes pushed and pulled each step) is what placement balances:

- a key of at most ``bound`` values lives whole on one server: the one that
  holds the fewest bytes so far (ties: the lowest server number), so that the
  keys of a model spread evenly whatever their order;
- a key of more than ``bound`` values is cut into one contiguous slice of its
  flattened values per server (as MXNet does above
  ``MXNET_KVSTORE_BIGARRAY_BOUND``, 1M values by default), so every server
  sums and updates a part of it in parallel.

Worker 0 places each key when it is initialised and tells the other workers,
so all agree even if they initialise keys in a different order.

Examples
--------
>>> loads = [0, 0]
>>> place(10, 4, loads, bound=100)
[(0, 0, 10)]
>>> place(5, 4, loads, bound=100)
[(1, 0, 5)]
>>> place(300, 4, loads, bound=100)
[(0, 0, 150), (1, 150, 300)]
>>> loads
[640, 620]
"""
import os

from ..base import MXNetError

__all__ = ['place', 'bigarray_bound', 'DEFAULT_BIGARRAY_BOUND']

DEFAULT_BIGARRAY_BOUND = 1000 * 1000


def bigarray_bound():
    """Arrays of more values than this are split between the servers.

    ``MXNET_KVSTORE_BIGARRAY_BOUND`` (as in MXNet), else 1,000,000.

    Examples
    --------
    >>> bigarray_bound() > 0
    True
    """
    text = os.environ.get('MXNET_KVSTORE_BIGARRAY_BOUND', str(DEFAULT_BIGARRAY_BOUND))
    try:
        bound = int(text)
    except ValueError:
        bound = 0
    if bound < 1:
        raise MXNetError('MXNET_KVSTORE_BIGARRAY_BOUND must be a positive integer (a number '
                         'of values), got %r' % (text,))
    return bound


def place(size, itemsize, loads, bound):
    """The parts of a key of ``size`` values: ``[(server, start, stop), ...]``.

    ``start:stop`` is the slice of the key's flattened values that ``server``
    holds. ``loads`` (bytes held by each server) is updated.

    Parameters
    ----------
    size : int
        Number of values of the key.
    itemsize : int
        Bytes per value.
    loads : list of int
        Bytes held by each server so far; one entry per server.
    bound : int
        Keys of more values than this are split between all servers.
    """
    num_servers = len(loads)
    if size > bound and num_servers > 1:
        edges = [size * s // num_servers for s in range(num_servers + 1)]
        parts = [(s, edges[s], edges[s + 1]) for s in range(num_servers)]
    else:
        server = min(range(num_servers), key=lambda s: (loads[s], s))
        parts = [(server, 0, size)]
    for server, start, stop in parts:
        loads[server] += (stop - start) * itemsize
    return parts
