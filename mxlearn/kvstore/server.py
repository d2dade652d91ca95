"""The parameter server: holds parts of the keys, sums the workers' pushes, runs the optimizer.

A server is an MPI process that answers the workers' requests (see
``protocol``) one at a time, in the order they arrive, until every worker
has said it is done (``STOP``, sent when a worker's Python exits). It holds
one **slot** per part of a key that ``sharding`` gave it.

``dist_sync`` (requests flagged ``SYNC``)
    A push is added into the slot's sum; when all N workers have pushed, the
    **round** is complete and the sum is applied: the optimizer set with
    ``set_optimizer`` runs here (``updater(key, sum, value)``), or, without
    one, the sum becomes the value (MXNet's rule). A pull of a worker that
    has pushed ``r`` times is answered when ``r`` rounds are applied, so
    every worker sees the same weights after each step. A worker pushing
    twice before the others pushed once has its second push kept for the
    next round.
``dist_async``
    Each push is applied as it arrives, and pulls are answered at once: a
    worker may compute on weights that others have already moved on from
    (stale gradients).

Pushed values arrive as raw bytes, or 2-bit packed (``set_gradient_compression``)
and are unpacked here. A value is never changed while a reply that reads it
is still being sent.

A worker that stops while the others still push to a ``dist_sync`` key
makes their pulls fail with an error (the round cannot complete); an error in
the server itself (an optimizer raising) is sent to every worker and ends
the job.

Start one with ``python -m mxlearn.kvstore.server`` in an MPI job (this is
what ``mxlearn.launch`` does for ranks ``0 .. S-1``).
"""
import pickle
import sys
import traceback

import numpy

from .. import context
from .. import optimizer as opt
from .._ext import core
from ..base import MXNetError
from . import protocol as P
from .compression import create_compression
from .roles import Job, fail_fast_on_exceptions, mpi

__all__ = ['KVStoreServer', 'main']


class _Slot:
    """One part of one key: its value, the sum of the current round, who pushed to it."""
    __slots__ = ('key', 'value', 'merge', 'scratch', 'contributors', 'ahead', 'rounds',
                 'waiting', 'sending')

    def __init__(self, key, value):
        self.key = key
        self.value = value
        self.merge = None
        self.scratch = None
        self.contributors = set()
        self.ahead = []         # (worker, values): pushes for a later round
        self.rounds = 0         # rounds applied (pushes applied, in dist_async)
        self.waiting = []       # (worker, reply_tag, round) pulls waiting for a round
        self.sending = []       # MPI requests of replies that read ``value``

    def buffer(self, name):
        """The slot's reusable array ``name`` ('merge' or 'scratch'), shaped as the value."""
        arr = getattr(self, name)
        if arr is None:
            arr = numpy.empty_like(self.value)
            setattr(self, name, arr)
        return arr


def _as_bytes(arr):
    return [arr, mpi().BYTE]


def _wrap(arr):
    return core.new_ndarray(arr if arr.ndim else arr.reshape(1), context.cpu())


class KVStoreServer:
    """A server of a distributed KVStore job; ``run()`` serves until the workers stop.

    Parameters
    ----------
    job : roles.Job, optional
        The job this process belongs to (joined if not given).
    """

    def __init__(self, job=None):
        self.job = job if job is not None else Job.current()
        if self.job.role != 'server':
            raise MXNetError('KVStoreServer runs on the servers, MPI ranks 0..%d; this is %s'
                             % (self.job.num_servers - 1, self.job.describe(self.job.mpi_rank)))
        self.comm = self.job.comm
        self.waiter = P.Waiter(self.job, poll=self._progress)
        self._slots = {}
        self._updaters = {}        # store -> (pickled optimizer, Updater)
        self._compression = {}     # store -> TwoBitCompression
        self._stopped = set()
        self._busy = set()         # slots with replies in flight
        self._acks = []

    # --------------------------------------------------------------- loop --
    def run(self):
        """Answer requests until every worker has sent ``STOP``."""
        MPI = mpi()
        head = numpy.empty(P.HEADER_SIZE, dtype=numpy.int64)
        status = MPI.Status()
        try:
            while len(self._stopped) < self.job.num_workers:
                request = self.comm.Irecv(head, MPI.ANY_SOURCE, P.TAG_REQUEST)
                self.waiter.until(lambda: request.Test(status), self._describe_idle)
                self._handle(head.copy(), status.Get_source())
            self.waiter.wait(self._acks + [r for s in self._busy for r in s.sending],
                             lambda: 'the last replies to be received')
        except Exception as err:
            self._tell_workers('%s failed: %s (the traceback is in the output of the job)'
                               % (self.job.describe(self.job.mpi_rank),
                                  traceback.format_exception_only(type(err), err)[-1].strip()))
            raise

    def _describe_idle(self):
        live = [self.job.describe(r) for r in self.job.worker_ranks if r not in self._stopped]
        return 'a request from %s' % ', '.join(live)

    def _progress(self):
        testall = mpi().Request.Testall
        for slot in list(self._busy):
            if testall(slot.sending):
                slot.sending = []
                self._busy.discard(slot)
        if self._acks and testall(self._acks):
            self._acks = []

    def _reply(self, data, worker, tag):
        self._acks.append(self.comm.Isend(_as_bytes(data), worker, tag))

    def _tell_workers(self, text, workers=None):
        workers = self.job.worker_ranks if workers is None else workers
        requests = [self.comm.isend(text, w, P.TAG_ERROR) for w in workers
                    if w not in self._stopped]
        try:
            self.waiter.wait(requests, lambda: 'an error message to reach the workers')
        except MXNetError:
            pass

    # ----------------------------------------------------------- requests --
    def _handle(self, head, worker):
        op = int(head[P.OP])
        if op == P.STOP:
            self._stop(worker)
            return
        if op in (P.INIT, P.COMMAND):
            body = self.waiter.recv_object(self.comm, worker, P.TAG_PAYLOAD,
                                           lambda: 'the body of a request from %s'
                                           % self.job.describe(worker))
            if op == P.INIT:
                self._init(head, body)
            else:
                self._command(int(head[P.STORE]), *body)
            self._reply(numpy.zeros(1, dtype=numpy.int64), worker, int(head[P.REPLY_TAG]))
            return
        slot = self._slots.get((int(head[P.STORE]), int(head[P.KEY]), int(head[P.PART])))
        if slot is None:
            raise MXNetError('%s got a %s of key number %d, part %d, of store %d, which was '
                             'never initialized' % (self.job.describe(self.job.mpi_rank),
                                                    P.OP_NAMES.get(op, op), head[P.KEY],
                                                    head[P.PART], head[P.STORE]))
        if op in (P.PUSH, P.PUSHPULL):
            self._push(slot, head, worker)
        if op in (P.PULL, P.PUSHPULL):
            self._pull(slot, worker, int(head[P.REPLY_TAG]),
                       int(head[P.ROUND]) if head[P.FLAGS] & P.SYNC else 0)

    def _init(self, head, body):
        key, values = body
        self._slots[(int(head[P.STORE]), int(head[P.KEY]), int(head[P.PART]))] = \
            _Slot(key, numpy.ascontiguousarray(values))

    def _command(self, store, name, arg):
        if name == 'optimizer':
            current = self._updaters.get(store)
            # Every worker sends the optimizer; the same one again keeps its states.
            if current is None or current[0] != arg:
                self._updaters[store] = (arg, opt.get_updater(pickle.loads(arg)))
        elif name == 'compression':
            self._compression[store] = create_compression(arg)
        else:
            raise MXNetError('unknown server command %r' % (name,))

    def _stop(self, worker):
        self._stopped.add(worker)
        for slot in self._slots.values():
            if slot.contributors or slot.ahead or slot.waiting:
                self._round_cannot_complete(slot)

    # --------------------------------------------------------------- push --
    def _receive(self, slot, head, worker, into):
        """Receive a pushed part from ``worker``; returns the values (maybe ``into``)."""
        nbytes = int(head[P.NBYTES])

        def what():
            return 'the values pushed by %s' % self.job.describe(worker)

        if head[P.FLAGS] & P.COMPRESSED:
            packed = numpy.empty(nbytes // 4, dtype=numpy.uint32)
            self.waiter.wait([self.comm.Irecv(_as_bytes(packed), worker, P.TAG_PAYLOAD)], what)
            compression = self._compression.get(int(head[P.STORE]))
            if compression is None:
                raise MXNetError('%s got 2-bit compressed values but no compression '
                                 'parameters' % self.job.describe(self.job.mpi_rank))
            return compression.decompress(packed, slot.value.shape, slot.value.dtype)
        if into is None:
            into = numpy.empty_like(slot.value)
        if nbytes != into.nbytes:
            raise MXNetError('%s pushed %d bytes to a part of key %r that holds %d'
                             % (self.job.describe(worker), nbytes, slot.key, into.nbytes))
        self.waiter.wait([self.comm.Irecv(_as_bytes(into), worker, P.TAG_PAYLOAD)], what)
        return into

    def _push(self, slot, head, worker):
        store = int(head[P.STORE])
        if not head[P.FLAGS] & P.SYNC:
            values = self._receive(slot, head, worker, slot.buffer('scratch'))
            self._apply(slot, store, values)
            return
        if worker in slot.contributors:
            slot.ahead.append((worker, self._receive(slot, head, worker, None)))
            return
        first = not slot.contributors
        if first:
            self._settle(slot)   # the merge buffer may be the last round's value
        values = self._receive(slot, head, worker, slot.buffer('merge' if first else 'scratch'))
        self._add(slot, worker, values, first)
        self._complete_rounds(slot, store)

    def _add(self, slot, worker, values, first):
        merge = slot.buffer('merge')
        if first:
            if values is not merge:
                merge[...] = values
        else:
            merge += values
        slot.contributors.add(worker)

    def _complete_rounds(self, slot, store):
        while len(slot.contributors) == self.job.num_workers:
            self._apply(slot, store, slot.merge, swap=True)
            slot.contributors.clear()
            later = []
            for worker, values in slot.ahead:
                if worker in slot.contributors:
                    later.append((worker, values))
                else:
                    self._add(slot, worker, values, not slot.contributors)
            slot.ahead = later
        if slot.contributors and self._stopped - slot.contributors:
            self._round_cannot_complete(slot)

    def _apply(self, slot, store, values, swap=False):
        """Apply pushed (or summed) ``values`` to the slot's value; answer the pulls it unblocks."""
        self._settle(slot)
        updater = self._updaters.get(store)
        if updater is not None:
            updater[1](slot.key, _wrap(values), _wrap(slot.value))
        elif swap:
            slot.value, slot.merge = values, slot.value
        else:
            slot.value[...] = values
        slot.rounds += 1
        ready = [w for w in slot.waiting if w[2] <= slot.rounds]
        slot.waiting = [w for w in slot.waiting if w[2] > slot.rounds]
        for worker, tag, _ in ready:
            self._send_value(slot, worker, tag)

    def _settle(self, slot):
        """Wait until no reply is reading the slot's value (before it changes)."""
        if slot.sending:
            self.waiter.wait(slot.sending, lambda: 'replies with key %r to be received'
                             % (slot.key,))
            slot.sending = []
            self._busy.discard(slot)

    def _round_cannot_complete(self, slot):
        stopped = sorted(self._stopped - slot.contributors)
        if not stopped:
            return
        waiting = sorted(slot.contributors | {w for w, _, _ in slot.waiting}
                         | {w for w, _ in slot.ahead})
        text = ('dist_sync: %s finished (its KVStore was closed) while %s still push key %r: '
                'the round cannot complete. In dist_sync every worker must push every key '
                'the same number of times (give the workers equal numbers of batches)'
                % (', '.join(self.job.describe(w) for w in stopped),
                   ', '.join(self.job.describe(w) for w in waiting), slot.key))
        slot.waiting = []
        slot.ahead = []
        slot.contributors.clear()
        self._tell_workers(text, waiting)

    # --------------------------------------------------------------- pull --
    def _pull(self, slot, worker, tag, needed):
        if slot.rounds >= needed:
            self._send_value(slot, worker, tag)
        else:
            slot.waiting.append((worker, tag, needed))
            if self._stopped - slot.contributors:
                self._round_cannot_complete(slot)

    def _send_value(self, slot, worker, tag):
        slot.sending.append(self.comm.Isend(_as_bytes(slot.value), worker, tag))
        self._busy.add(slot)


def main():
    """Serve as a server of the MPI job this process belongs to, then exit."""
    job = Job.current()
    fail_fast_on_exceptions(job)
    KVStoreServer(job).run()


if __name__ == '__main__':
    sys.exit(main())
