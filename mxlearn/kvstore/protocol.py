"""The messages between workers and servers, and how a process waits for them.

Requests
--------
A worker asks a server for something with a **header**, 8 int64 values sent
with tag ``TAG_REQUEST``::

    [op, store, key, part, nbytes, reply_tag, round, flags]

- ``op``: ``INIT``, ``PUSH``, ``PULL``, ``PUSHPULL``, ``COMMAND`` or ``STOP``;
- ``store``: which KVStore of the worker process (the n-th one it created:
  all workers create theirs in the same order);
- ``key``, ``part``: the key's number (given by worker 0 at ``init``) and
  which of its parts (see ``sharding``) this server holds;
- ``nbytes``: bytes of the payload that follows with tag ``TAG_PAYLOAD``
  (the raw values, or 2-bit packed ones when ``flags & COMPRESSED``);
- ``reply_tag``: the tag the worker receives the answer with (a fresh one per
  request, so answers can come in any order);
- ``round``: for a pull in ``dist_sync``, how many pushes of the key this
  worker has made: the server answers once that many rounds are applied;
- ``flags``: ``SYNC`` for the requests of a ``dist_sync`` store (a push
  waits for every worker's, a pull for its round), ``COMPRESSED`` for a
  2-bit packed payload.

Values travel as raw bytes (``[array, MPI.BYTE]``) straight from and into the
NDArrays' buffers; only ``init`` and commands (the pickled optimizer) use
pickle. A server reports a failed request to the worker with a pickled
message on ``TAG_ERROR``; worker 0 talks to the other workers on
``TAG_WORKERS``.

Waiting
-------
MPI's blocking calls spin on the CPU, which on a machine with fewer cores
than processes starves the process that would answer. ``Waiter`` completes
requests by polling instead: a few tests, then ``sched_yield`` for a couple
of milliseconds, then sleeps growing to 1 ms. Between polls it checks for a
failure of another process of the job (``roles.FailureWatch``) and the
timeout, so no wait can hang.

Examples
--------
>>> header(PUSH, store=0, key=3, nbytes=16)
array([ 2,  0,  3,  0, 16,  0,  0,  0])
"""
import os
import time

import numpy

from ..base import MXNetError
from .roles import FailureWatch, mpi

__all__ = ['INIT', 'PUSH', 'PULL', 'PUSHPULL', 'COMMAND', 'STOP', 'TAG_REQUEST',
           'TAG_PAYLOAD', 'TAG_ERROR', 'TAG_WORKERS', 'FIRST_REPLY_TAG', 'COMPRESSED', 'SYNC',
           'HEADER_SIZE', 'header', 'Waiter']

INIT, PUSH, PULL, PUSHPULL, COMMAND, STOP = range(1, 7)
OP_NAMES = {INIT: 'init', PUSH: 'push', PULL: 'pull', PUSHPULL: 'pushpull',
            COMMAND: 'command', STOP: 'stop'}

TAG_REQUEST, TAG_PAYLOAD, TAG_ERROR, TAG_WORKERS = 1, 2, 3, 4
FIRST_REPLY_TAG = 16

HEADER_SIZE = 8
OP, STORE, KEY, PART, NBYTES, REPLY_TAG, ROUND, FLAGS = range(HEADER_SIZE)
COMPRESSED, SYNC = 1, 2

# Polling: tests in a row before yielding, seconds of yielding before sleeping.
_SPINS = 32
_YIELD_SECONDS = 0.002
_MAX_SLEEP = 0.001


def header(op, store=0, key=0, part=0, nbytes=0, reply_tag=0, round=0, flags=0):
    """A request header (see the module docstring)."""
    return numpy.array([op, store, key, part, nbytes, reply_tag, round, flags],
                       dtype=numpy.int64)


class Waiter:
    """Waits for MPI requests and messages by polling, failing fast instead of hanging.

    Parameters
    ----------
    job : roles.Job
        For the failure note folder and the timeout.
    poll : callable, optional
        Called between polls (``poll()``); it may raise to end the wait
        (a worker checks for error messages from the servers there) or move
        other work along (a server completes its pending sends).
    """

    def __init__(self, job, poll=None):
        self.job = job
        self.poll = poll
        self.watch = FailureWatch(job.rundir)

    def until(self, test, what):
        """Poll ``test()`` until it returns something true, and return that.

        ``what`` is a callable describing the wait, for the timeout message.
        """
        result = test()
        if result:
            return result
        start = time.monotonic()
        spins = 0
        while True:
            result = test()
            if result:
                return result
            spins += 1
            if spins < _SPINS:
                continue
            now = time.monotonic()
            self.watch.check(now)
            if self.poll is not None:
                self.poll()
            waited = now - start
            if self.job.timeout is not None and waited > self.job.timeout:
                raise MXNetError('no progress for %.0f s while waiting for %s; giving up '
                                 '(MXLEARN_KV_TIMEOUT=%g seconds)'
                                 % (waited, what(), self.job.timeout))
            if waited < _YIELD_SECONDS:
                os.sched_yield()
            else:
                time.sleep(min(_MAX_SLEEP, waited / 16))

    def wait(self, requests, what):
        """Complete every MPI request of the list ``requests``."""
        testall = mpi().Request.Testall
        if requests:
            self.until(lambda: testall(requests), what)

    def recv_object(self, comm, source, tag, what, status=None):
        """Receive a pickled object from ``source`` with ``tag`` (may be ANY_SOURCE)."""
        message = self.until(lambda: comm.improbe(source, tag), what)
        return message.recv(status)
