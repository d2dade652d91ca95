"""Worker processes (or threads) that build the batches of one DataLoader epoch.

How it works
    Each iteration over a ``DataLoader(num_workers=n)`` starts ``n`` worker
    processes, each with a pipe to the parent. The parent reads the batch
    sampler itself (so ``last_batch='rollover'`` state stays in one place)
    and sends batch ``k`` -- its sample indices and a seed -- to worker
    ``k % n``, keeping up to ``prefetch`` batches in flight. A worker builds
    the batch (``make_batch``: the dataset's fast path or sample by sample)
    and sends it back; NDArrays travel as numpy arrays and are rebuilt in the
    parent. Batches come out in sampler order whatever the timing.

Randomness
    Before each batch a worker seeds mxlearn's generators, numpy's global
    generator and ``random`` with a seed derived from the batch number and
    from one number the parent draws per epoch from the generator of the
    ``cpu_shared`` device (so the CPU stream, and with it the shuffling, is
    the same whatever ``num_workers`` is). Random augmentations are then
    reproducible after ``mx.random.seed(n)``, and forked workers do not
    repeat each other's random numbers.

Failures
    An exception in a worker is raised again in the parent, as the same type
    when it can be pickled, with the worker's traceback as its cause. A worker
    that dies (killed for lack of memory, for example) or sends nothing for
    ``timeout`` seconds raises a clear ``MXNetError`` at once. Workers stop
    when the epoch ends, after an error, and when the iterator is garbage
    collected (a ``break`` out of the loop); they also exit if the parent dies.

Start method
    ``fork`` where the platform has it (not on macOS, where it is unsafe),
    else ``spawn``. With ``spawn`` the dataset and ``batchify_fn`` are pickled
    to each worker, so they must be picklable (no lambdas).
"""
import multiprocessing
import os
import pickle
import random
import signal
import sys
import traceback
import weakref

import numpy as np

from ..._ext.core import make_context
from ...base import MXNetError
from ...operator.random import generator, seed as seed_mxlearn
from .batchify import make_batch

__all__ = ['ProcessIter', 'ThreadIter', 'DataLoaderTimeoutError', 'START_METHOD']

START_METHOD = ('fork' if 'fork' in multiprocessing.get_all_start_methods()
                and sys.platform != 'darwin' else 'spawn')


class DataLoaderTimeoutError(MXNetError, multiprocessing.TimeoutError):
    """No batch came back within the DataLoader's ``timeout`` (also a
    ``multiprocessing.TimeoutError``, which MXNet raises)."""


class _RemoteTraceback(Exception):
    """Carries a worker's formatted traceback, shown as the cause of its error."""

    def __str__(self):
        return '\n\nTraceback in the DataLoader worker:\n' + self.args[0]


def batch_seed(epoch_seed, batch_index):
    """The seed a worker uses for batch ``batch_index`` of an epoch.

    Examples
    --------
    >>> batch_seed(1, 0) == batch_seed(1, 0), batch_seed(1, 0) == batch_seed(1, 1)
    (True, False)
    """
    state = np.random.SeedSequence([epoch_seed, batch_index]).generate_state(2, np.uint32)
    return int(state[0]) << 31 | int(state[1]) >> 1


def _seed_everything(seed):
    seed_mxlearn(seed)
    np.random.seed(seed % 2 ** 32)
    random.seed(seed)


def _describe_error(exc):
    try:
        payload = pickle.dumps(exc)
        pickle.loads(payload)
    except Exception:
        payload = None
    return payload, '%s: %s' % (type(exc).__name__, exc), traceback.format_exc()


def _worker_loop(dataset, batchify_fn, conn, parent_pid):
    # Ctrl-C is for the parent (a notebook's interrupt must not spray
    # tracebacks from every worker); the parent stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        while not conn.poll(1.0):
            if os.getppid() != parent_pid:
                return
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        indices, seed = task
        try:
            _seed_everything(seed)
            reply = ('ok', make_batch(dataset, indices, batchify_fn))
            conn.send(reply)
        except Exception as e:     # sent to the parent, which raises it
            try:
                conn.send(('error', _describe_error(e)))
            except OSError:
                return


def _raise_worker_error(info, where):
    payload, summary, tb = info
    exc = None
    if payload is not None:
        try:
            exc = pickle.loads(payload)
        except Exception:
            exc = None
    if not isinstance(exc, BaseException):
        exc = MXNetError('DataLoader %s raised %s' % (where, summary))
    raise exc from _RemoteTraceback(tb)


def _stop_processes(procs, conns, graceful):
    for conn in conns:
        if graceful:
            try:
                conn.send(None)
            except OSError:
                pass
    for p in procs:
        if graceful:
            p.join(timeout=1.0)
        if p.is_alive():
            p.terminate()
        p.join(timeout=5.0)
    for conn in conns:
        conn.close()


class _EpochIter:
    """What the process and thread iterators share: sampler bookkeeping and prefetch."""

    def __init__(self, batch_sampler, prefetch):
        self._sampler_iter = iter(batch_sampler)
        self._epoch_seed = int(generator(make_context('cpu_shared', 0)).integers(2 ** 62))
        self._sent = 0
        self._received = 0
        self._done = False
        self._prefetch = prefetch

    def _start_prefetch(self):
        for _ in range(self._prefetch):
            self._push()

    def _push(self):
        indices = next(self._sampler_iter, None)
        if indices is None:
            return
        self._submit(self._sent, list(indices), batch_seed(self._epoch_seed, self._sent))
        self._sent += 1

    def __iter__(self):
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        try:
            self._push()
            if self._received == self._sent:
                self._finish(graceful=True)
                raise StopIteration
            batch = self._collect(self._received)
        except StopIteration:
            raise
        except BaseException:
            self._finish(graceful=False)
            raise
        self._received += 1
        return batch

    def _finish(self, graceful):
        self._done = True
        self._close(graceful)


class ProcessIter(_EpochIter):
    """One epoch of batches built by ``num_workers`` worker processes.

    Parameters
    ----------
    dataset : Dataset or array
    batchify_fn : callable or None
        None for the default batchify (with the datasets' fast path).
    batch_sampler : iterable of index lists
    num_workers : int
    prefetch : int
        Batches requested ahead of the one being waited for.
    timeout : float
        Seconds to wait for any one batch.
    """

    def __init__(self, dataset, batchify_fn, batch_sampler, num_workers, prefetch, timeout):
        super().__init__(batch_sampler, prefetch)
        self._timeout = timeout
        self._procs, self._conns = [], []
        # The finalizer holds the lists, not self, so the iterator can be
        # collected; it stops the workers then (and at interpreter exit).
        self._finalizer = weakref.finalize(self, _stop_processes, self._procs, self._conns,
                                           False)
        ctx = multiprocessing.get_context(START_METHOD)
        for i in range(num_workers):
            parent_end, child_end = ctx.Pipe()
            proc = ctx.Process(target=_worker_loop, name='DataLoader-worker-%d' % i,
                               args=(dataset, batchify_fn, child_end, os.getpid()),
                               daemon=True)
            self._conns.append(parent_end)
            try:
                proc.start()
            except Exception as e:
                self._finalizer()
                raise MXNetError(
                    'DataLoader could not start worker processes with the %r start method: '
                    '%s: %s. With %r the dataset and batchify_fn are pickled to each worker, '
                    'so they must be picklable (module-level functions and classes, no '
                    'lambdas); or use num_workers=0 or thread_pool=True.'
                    % (START_METHOD, type(e).__name__, e, START_METHOD)) from None
            finally:
                child_end.close()
            self._procs.append(proc)
        self._start_prefetch()

    def _submit(self, k, indices, seed):
        w = k % len(self._conns)
        try:
            self._conns[w].send((indices, seed))
        except OSError:
            self._procs[w].join(timeout=1.0)
            raise MXNetError(self._death_message(w, self._procs[w])) from None

    def _collect(self, k):
        from multiprocessing.connection import wait
        w = k % len(self._conns)
        conn, proc = self._conns[w], self._procs[w]
        ready = wait([conn, proc.sentinel], timeout=self._timeout)
        if not ready:
            raise DataLoaderTimeoutError(
                'DataLoader worker %d (pid %d) gave no batch within timeout=%s seconds. '
                'Its dataset or transform may be very slow (then raise timeout=) or stuck.'
                % (w, proc.pid, self._timeout))
        try:
            status, payload = conn.recv()
        except (EOFError, OSError):
            proc.join(timeout=1.0)
            raise MXNetError(self._death_message(w, proc)) from None
        if status == 'error':
            _raise_worker_error(payload, 'worker %d (pid %d)' % (w, proc.pid))
        return payload

    @staticmethod
    def _death_message(w, proc):
        code = proc.exitcode
        how = 'with exit code %s' % code
        hint = ''
        if code is not None and code < 0:
            how = 'killed by signal %d' % -code
            if -code == signal.SIGKILL:
                hint = (' A SIGKILL usually means the machine ran out of memory: use fewer '
                        'workers or smaller batches.')
        return ('DataLoader worker %d (pid %d) exited unexpectedly (%s) before sending '
                'its batch.%s' % (w, proc.pid, how, hint))

    def _close(self, graceful):
        self._finalizer.detach()
        _stop_processes(self._procs, self._conns, graceful)


class ThreadIter(_EpochIter):
    """One epoch of batches built by a pool of ``num_workers`` threads.

    Threads share the dataset and the random generators with the main thread,
    so nothing needs pickling; the GIL limits how much runs in parallel.
    """

    def __init__(self, dataset, batchify_fn, batch_sampler, num_workers, prefetch, timeout):
        from concurrent.futures import ThreadPoolExecutor
        super().__init__(batch_sampler, prefetch)
        self._dataset = dataset
        self._batchify_fn = batchify_fn
        self._timeout = timeout
        self._futures = {}
        self._pool = ThreadPoolExecutor(num_workers, thread_name_prefix='DataLoader')
        self._finalizer = weakref.finalize(self, self._pool.shutdown, wait=False,
                                           cancel_futures=True)
        self._start_prefetch()

    def _submit(self, k, indices, seed):
        self._futures[k] = self._pool.submit(make_batch, self._dataset, indices,
                                             self._batchify_fn)

    def _collect(self, k):
        from concurrent.futures import TimeoutError as FutureTimeout
        try:
            return self._futures.pop(k).result(timeout=self._timeout)
        except FutureTimeout:
            raise DataLoaderTimeoutError(
                'DataLoader worker thread gave no batch within timeout=%s seconds'
                % self._timeout) from None

    def _close(self, graceful):
        self._finalizer()
