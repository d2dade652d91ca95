"""The distributed KVStores, worker side: ``'dist_sync'``, ``'dist_async'``, ``'dist_device_sync'``.

A worker's store keeps no values: each key lives on the servers
(``server.py``), whole or cut into parts (``sharding.py``). The hooks of
``KVStoreBase`` become messages (``protocol.py``):

- ``init``: worker 0 places the key, sends its value to the servers and,
  once they have it, tells the other workers where the key lives; they wait
  for that (MXNet: "worker 0 initialises, the others wait");
- ``push``: the values of this worker's devices are summed here (on the CPU;
  on the first value's device for ``'dist_device_sync'``), compressed if
  ``set_gradient_compression`` was called, and each part is sent to its
  server;
- ``pull``: each server sends its part straight into the output's buffer;
  in ``'dist_sync'`` it answers once every worker's push of the round is
  applied;
- ``set_optimizer``: the optimizer is pickled and sent to the servers, which
  run it (``update_on_kvstore``); its states stay there;
- ``_barrier``: every worker reports to worker 0, which releases them all.

A call with a list of keys sends every key's request before waiting for
any answer, so ``kv.pushpull(keys, grads, out=weights)`` costs one round
trip to the servers, not one per key.

The first distributed store of a process joins the MPI job
(``roles.Job``); when Python exits, the worker tells the servers it is done,
and they stop once every worker is. With ``MXLEARN_KV_TRACE=1``, a store
records each push and pull in ``kv.trace`` as ``(start, end, op, key,
nbytes)`` (``time.time()`` seconds), for pictures of the traffic.

Start a job with ``python -m mxlearn.launch -n 2 -s 1 python train.py``, or
from a notebook with ``mxlearn.kvstore.spawn.run_distributed``.
"""
import atexit
import contextlib
import os
import pickle
import sys
import time

import numpy

from .. import context
from .._ext import core
from ..base import MXNetError
from . import protocol as P
from .base import KVStoreBase, reduce_sum
from .roles import Job, fail_fast_on_exceptions, mpi
from .sharding import bigarray_bound, place

__all__ = ['DistKVStore', 'create_dist', 'NAMES']

NAMES = ('dist_sync', 'dist_async', 'dist_device_sync')


def _as_bytes(arr):
    return [arr, mpi().BYTE]


def _host_flat(arr):
    """The values of NDArray ``arr`` as a flat C-contiguous numpy array (no copy on the CPU)."""
    data = arr._data
    if not isinstance(data, numpy.ndarray):
        data = arr.asnumpy()
    return numpy.ascontiguousarray(data).reshape(-1)


class _Connection:
    """This worker's link to the servers and the other workers (one per process)."""
    _current = None

    def __init__(self, job):
        self.job = job
        self.comm = job.comm
        self.waiter = P.Waiter(job, poll=self._check_errors)
        self.num_stores = 0
        self._tag = P.FIRST_REPLY_TAG
        # MPI promises tags up to 32767 at least; MPICH allows 2**29 - 1.
        self._last_tag = min(mpi().COMM_WORLD.Get_attr(mpi().TAG_UB), 1 << 28)
        self._closed = False
        self.first_worker = job.num_servers
        fail_fast_on_exceptions(job)
        atexit.register(self.close)

    @classmethod
    def current(cls, job):
        if cls._current is None:
            cls._current = cls(job)
        return cls._current

    def next_tag(self):
        """A reply tag no answer still on its way uses."""
        self._tag = self._tag + 1 if self._tag < self._last_tag else P.FIRST_REPLY_TAG
        return self._tag

    def _check_errors(self):
        message = self.comm.improbe(mpi().ANY_SOURCE, P.TAG_ERROR)
        if message:
            raise MXNetError(message.recv())

    def wait(self, requests, what):
        self.waiter.wait(requests, what)

    def request(self, server, head, payload=None, reply=None, body=None):
        """Post a request to ``server``; returns its MPI requests (to wait for)."""
        requests = []
        if reply is not None:
            requests.append(self.comm.Irecv(_as_bytes(reply), server, int(head[P.REPLY_TAG])))
        requests.append(self.comm.Isend(head, server, P.TAG_REQUEST))
        if body is not None:
            requests.append(self.comm.isend(body, server, P.TAG_PAYLOAD))
        if payload is not None:
            requests.append(self.comm.Isend(_as_bytes(payload), server, P.TAG_PAYLOAD))
        return requests

    def to_workers(self, message):
        """Worker 0 sends ``message`` to every other worker."""
        requests = [self.comm.isend(message, w, P.TAG_WORKERS)
                    for w in self.job.worker_ranks if w != self.first_worker]
        self.wait(requests, lambda: 'the other workers to receive a message of worker 0')

    def from_worker(self, source, what):
        return self.waiter.recv_object(self.comm, source, P.TAG_WORKERS, what)

    def close(self):
        """Tell the servers this worker is done (at exit)."""
        if self._closed:
            return
        self._closed = True
        heads = [P.header(P.STOP) for _ in self.job.server_ranks]
        try:
            self.wait([self.comm.Isend(h, s, P.TAG_REQUEST)
                       for h, s in zip(heads, self.job.server_ranks)],
                      lambda: 'the servers to receive the stop message')
        except MXNetError as err:
            # The job failed meanwhile: finalizing MPI would wait for the dead.
            sys.stderr.write('mxlearn: MXNetError: %s\n' % err)
            sys.stderr.flush()
            os._exit(1)


class _Transfer:
    """A push, pull or pushpull of one key, on its way (see ``DistKVStore._complete``)."""
    __slots__ = ('op', 'key', 'start', 'nbytes', 'requests', 'finish')

    def __init__(self, op, key):
        self.op, self.key, self.start, self.nbytes = op, key, time.time(), 0
        self.requests, self.finish = [], None


class DistKVStore(KVStoreBase):
    """A worker's handle on a distributed KVStore (see the module docstring).

    Create it with ``mx.kv.create('dist_sync')`` (or ``'dist_async'``,
    ``'dist_device_sync'``) in every worker of an MPI job.
    """

    def __init__(self, name, connection):
        if name not in NAMES:
            raise MXNetError('a distributed KVStore is one of %s, got %r'
                             % (', '.join(map(repr, NAMES)), name))
        super().__init__(name)
        self._conn = connection
        self._job = connection.job
        self._id = connection.num_stores
        connection.num_stores += 1
        self._sync = name != 'dist_async'
        self._bound = bigarray_bound()
        self._keys = {}                 # key -> (key number, [(server, start, stop)])
        self._pushes = {}               # key -> pushes made by this worker
        self._loads = [0] * self._job.num_servers
        self.trace = [] if os.environ.get('MXLEARN_KV_TRACE') == '1' else None
        self._queue = None              # the transfers of a list call, while it runs

    @property
    def rank(self):
        """This worker's number, ``0 .. num_workers - 1``."""
        return self._job.mpi_rank - self._job.num_servers

    @property
    def num_workers(self):
        """The number of workers in the job."""
        return self._job.num_workers

    @property
    def num_servers(self):
        """The number of servers in the job."""
        return self._job.num_servers

    def _flags(self):
        return P.SYNC if self._sync else 0

    # --------------------------------------------------------------- init --
    def _init(self, key, value):
        shape, dtype = self._meta[key]
        conn = self._conn
        if self.rank == 0:
            number = len(self._keys)
            parts = place(value.size, dtype.itemsize, self._loads, self._bound)
            flat = _host_flat(value)
            requests = []
            for p, (server, start, stop) in enumerate(parts):
                values = flat.reshape(shape) if len(parts) == 1 else flat[start:stop]
                head = P.header(P.INIT, self._id, number, p, reply_tag=conn.next_tag())
                requests += conn.request(server, head, reply=numpy.empty(1, numpy.int64),
                                         body=(key, values))
            conn.wait(requests, lambda: 'the servers to store key %r' % (key,))
            conn.to_workers(('init', self._id, key, shape, dtype.str, number, parts))
        else:
            got = conn.from_worker(conn.first_worker,
                                   lambda: 'worker 0 to initialize key %r' % (key,))
            expected = ('init', self._id, key, shape, dtype.str)
            if tuple(got[:5]) != expected:
                raise MXNetError(
                    'init of key %r (shape %s, %s) on worker %d does not match worker 0, which '
                    'did %s %r (shape %s, %s): every worker must init the same keys with the '
                    'same shapes, in the same order' % (key, shape, dtype.name, self.rank,
                                                        got[0], got[2], got[3],
                                                        numpy.dtype(got[4]).name))
            number, parts = got[5], got[6]
        self._keys[key] = (number, parts)
        self._pushes[key] = 0

    # ---------------------------------------------------------- push/pull --
    # A push, pull or pushpull is a _Transfer: its sends and receives are
    # posted at once; when they are all done the outputs are written. One key
    # at a time, or all the keys of a list call together (``_batch``), so
    # that a list of keys costs one round trip. The receives must not wait
    # for the sends: a server that answered a key waits for its answer to be
    # received before it takes the key's next push (another worker's, in
    # dist_async), maybe before it takes our next key.
    def _summed(self, values):
        if len(values) == 1:
            return _host_flat(values[0])
        ctx = values[0].context if self._type == 'dist_device_sync' else context.cpu(0)
        return _host_flat(reduce_sum(values, ctx))

    def _send_push(self, transfer, op, key, values, rounds, tags=None):
        """Post the sends of the sum of ``values`` to the servers (``tags``: reply tag per part).

        Returns the arrays being sent.
        """
        number, parts = self._keys[key]
        flat = self._summed(values)
        payloads = []
        for p, (server, start, stop) in enumerate(parts):
            payload = flat[start:stop]
            flags = self._flags()
            if self._compression is not None:
                payload = self._compression.compress((key, p), payload)
                flags |= P.COMPRESSED
            transfer.nbytes += payload.nbytes
            head = P.header(op, self._id, number, p, payload.nbytes,
                            tags[p] if tags else 0, rounds, flags)
            transfer.requests += self._conn.request(server, head, payload=payload)
            payloads.append(payload)
        return payloads

    def _receive(self, transfer, key, outs, requests_for, sending=()):
        """Post the receives of the parts of ``key`` into ``outs`` for ``transfer``.

        ``requests_for(p, server, buffer)`` posts what receives part ``p``.
        An output that overlaps an array of ``sending`` (still being sent:
        MPI forbids writing it) is received into a buffer of its own first.
        """
        parts = self._keys[key][1]
        shape, dtype = self._meta[key]
        data = outs[0]._data
        direct = (isinstance(data, numpy.ndarray) and data.flags.c_contiguous
                  and not any(numpy.may_share_memory(data, s) for s in sending))
        target = data.reshape(-1) if direct else numpy.empty(outs[0].size, dtype=dtype)
        transfer.nbytes += target.nbytes
        transfer.requests += [r for p, (server, start, stop) in enumerate(parts)
                              for r in requests_for(p, server, target[start:stop])]

        def finish():
            if not direct:
                core.new_ndarray(target.reshape(shape) if shape else target,
                                 context.cpu()).copyto(outs[0])
            for out in outs[1:]:
                outs[0].copyto(out)

        transfer.finish = finish

    def _push(self, key, values):
        transfer = _Transfer('push', key)
        self._send_push(transfer, P.PUSH, key, values, 0)
        self._pushes[key] += 1
        self._run(transfer)

    def _pull(self, key, outs):
        transfer = _Transfer('pull', key)
        number, conn = self._keys[key][0], self._conn

        def requests_for(p, server, buffer):
            head = P.header(P.PULL, self._id, number, p, reply_tag=conn.next_tag(),
                            round=self._pushes[key], flags=self._flags())
            return conn.request(server, head, reply=buffer)

        self._receive(transfer, key, outs, requests_for)
        self._run(transfer)

    def _pushpull(self, key, values, outs):
        transfer = _Transfer('pushpull', key)
        tags = [self._conn.next_tag() for _ in self._keys[key][1]]
        self._pushes[key] += 1
        sending = self._send_push(transfer, P.PUSHPULL, key, values, self._pushes[key], tags)
        comm = self._conn.comm
        self._receive(transfer, key, outs, lambda p, server, buffer: [
            comm.Irecv(_as_bytes(buffer), server, tags[p])], sending)
        self._run(transfer)

    def _run(self, transfer):
        if self._queue is not None:
            self._queue.append(transfer)
        else:
            self._complete([transfer])

    def _complete(self, transfers):
        if not transfers:
            return
        keys = ', '.join(repr(t.key) for t in transfers)
        self._conn.wait([r for t in transfers for r in t.requests],
                        lambda: 'the servers to take or answer key(s) %s' % keys)
        for t in transfers:
            if t.finish is not None:
                t.finish()
        if self.trace is not None:
            end = time.time()
            self.trace.extend((t.start, end, t.op, t.key, t.nbytes) for t in transfers)

    @contextlib.contextmanager
    def _batch(self):
        """Complete the transfers of the keys of one call together."""
        if self._queue is not None:
            yield
            return
        self._queue = []
        try:
            yield
        finally:
            queue, self._queue = self._queue, None
            self._complete(queue)

    def push(self, key, value, priority=0):
        with self._batch():
            super().push(key, value, priority)

    def pull(self, key, out=None, priority=0, ignore_sparse=True):
        with self._batch():
            super().pull(key, out, priority, ignore_sparse)

    def pushpull(self, key, value, out=None, priority=0):
        with self._batch():
            super().pushpull(key, value, out, priority)

    push.__doc__ = KVStoreBase.push.__doc__
    pull.__doc__ = KVStoreBase.pull.__doc__
    pushpull.__doc__ = KVStoreBase.pushpull.__doc__

    # ------------------------------------------------------------ control --
    def _command(self, name, arg):
        conn = self._conn
        requests = []
        for server in self._job.server_ranks:
            head = P.header(P.COMMAND, self._id, reply_tag=conn.next_tag())
            requests += conn.request(server, head, reply=numpy.empty(1, numpy.int64),
                                     body=(name, arg))
        conn.wait(requests, lambda: 'the servers to take the %s' % name)

    def _set_optimizer(self, optimizer):
        # Pickling drops the Parameters (param_dict), as in MXNet: lr_mult and
        # wd_mult set on Gluon Parameters do not reach the servers.
        self._command('optimizer', pickle.dumps(optimizer))

    def _set_gradient_compression(self, compression):
        self._compression = compression
        self._command('compression', compression.get_params())

    def _optimizer_updater(self, action):
        raise MXNetError('cannot %s optimizer states from a worker of a %r KVStore: the '
                         'optimizer runs on the servers, which keep its states (as in MXNet)'
                         % (action, self.type))

    def _barrier(self):
        conn = self._conn
        if self.rank == 0:
            for _ in range(self.num_workers - 1):
                got = conn.from_worker(mpi().ANY_SOURCE,
                                       lambda: 'the other workers to reach the barrier')
                if got != ('barrier', self._id):
                    raise MXNetError('worker 0 is at a barrier but another worker sent %r: '
                                     'the workers called init and barrier in different orders'
                                     % (got[0],))
            conn.to_workers(('barrier', self._id))
        else:
            conn.wait([conn.comm.isend(('barrier', self._id), conn.first_worker,
                                       P.TAG_WORKERS)],
                      lambda: 'worker 0 to receive the barrier message')
            got = conn.from_worker(conn.first_worker, lambda: 'worker 0 to leave the barrier')
            if got != ('barrier', self._id):
                raise MXNetError('worker %d is at a barrier but worker 0 sent %r: the workers '
                                 'called init and barrier in different orders'
                                 % (self.rank, got[0]))

    def barrier(self):
        """Wait until every worker reaches this point (MXNet's ``kv._barrier()``)."""
        self._barrier()


def create_dist(name):
    """A distributed KVStore of type ``name`` for this worker of the MPI job.

    On a server process (a job started with plain ``mpiexec`` running the
    same script everywhere) this serves until the workers are done, then
    exits the process, as MXNet's servers do.
    """
    if name not in NAMES:
        raise MXNetError('unknown distributed KVStore type %r: use %s'
                         % (name, ', '.join(map(repr, NAMES))))
    job = Job.current()
    if job.role == 'server':
        from .server import main
        main()
        sys.exit(0)
    return DistKVStore(name, _Connection.current(job))
