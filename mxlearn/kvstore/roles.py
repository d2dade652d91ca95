"""Who is who in a distributed job, and how a failure is made known to everyone.

Roles
-----
A job is one MPI world of ``S + N`` processes, as MXNet's parameter server
has servers and workers (MPI takes the place of the scheduler):

- MPI ranks ``0 .. S-1`` are the **servers** (server ``s`` is rank ``s``);
- MPI ranks ``S .. S+N-1`` are the **workers**; ``kv.rank`` is the MPI rank
  minus ``S``.

``python -m mxlearn.launch`` and ``run_distributed`` start such a job and set
MXNet's environment variables for every process: ``DMLC_NUM_SERVER`` (S),
``DMLC_NUM_WORKER`` (N) and ``DMLC_ROLE`` (``server`` or ``worker``); without
them a world of ``P`` processes has one server and ``P - 1`` workers.

Failures
--------
Every process of a job started by the launcher runs under a guard
(``mxlearn.kvstore.guard``) and knows the job's folder,
``MXLEARN_KV_RUNDIR``. A process that raises writes what it raised there
(``note_error``); when a process ends badly its guard writes one line naming
it to the folder's ``failure`` file (``note_failure``; the first writer
wins). Every other process checks that file while it waits for a message
(``FailureWatch``) and raises an ``MXNetError`` with that line, and MPI
(``mpiexec``) stops the whole job shortly after. ``MXLEARN_KV_TIMEOUT``
(seconds, default 300, 0 for none) bounds any single wait, for jobs started
without the launcher.

Examples
--------
>>> describe_rank(0, num_servers=1), describe_rank(2, num_servers=1)
('server 0 (MPI rank 0)', 'worker 1 (MPI rank 2)')
"""
import os
import sys
import traceback

from ..base import MXNetError
from .guard import describe_rank, note_error, note_joined, read_failure

__all__ = ['Job', 'mpi', 'describe_rank', 'FailureWatch', 'fail_fast_on_exceptions']

DEFAULT_TIMEOUT = 300.0


def mpi():
    """``mpi4py.MPI``, initialising MPI on first use (only the main thread calls MPI).

    Raises
    ------
    MXNetError
        If mpi4py (and an MPI library, e.g. the ``mpich`` wheel) is not installed.
    """
    if 'mpi4py.MPI' not in sys.modules:
        try:
            import mpi4py
        except ImportError:
            raise MXNetError("distributed KVStores ('dist_sync', 'dist_async', "
                             "'dist_device_sync') run on MPI: pip install mpi4py mpich "
                             "(or mxlearn[dist])") from None
        mpi4py.rc.thread_level = 'funneled'
    from mpi4py import MPI
    return MPI


def _env_int(name, default):
    text = os.environ.get(name)
    if text is None or text == '':
        return default
    try:
        return int(text)
    except ValueError:
        raise MXNetError('environment variable %s must be an integer, got %r'
                         % (name, text)) from None


def _timeout():
    text = os.environ.get('MXLEARN_KV_TIMEOUT', '')
    try:
        value = float(text) if text else DEFAULT_TIMEOUT
    except ValueError:
        raise MXNetError('MXLEARN_KV_TIMEOUT must be a number of seconds, got %r'
                         % (text,)) from None
    return value if value > 0 else None


class Job:
    """This process's place in the job: MPI world, role, numbers of servers and workers.

    Attributes
    ----------
    comm : mpi4py.MPI.Comm
        The job's world (a duplicate of ``COMM_WORLD``, so user code on
        ``COMM_WORLD`` cannot take the store's messages); set by ``current``.
    mpi_rank, num_servers, num_workers : int
    role : str
        ``'server'`` or ``'worker'``.
    rundir : str or None
        The job's folder for failure notes (``MXLEARN_KV_RUNDIR``).
    timeout : float or None
        Longest single wait in seconds (``MXLEARN_KV_TIMEOUT``).
    """
    _current = None

    def __init__(self):
        MPI = mpi()
        world = MPI.COMM_WORLD
        size = world.Get_size()
        self.mpi_rank = world.Get_rank()
        self.num_servers = _env_int('DMLC_NUM_SERVER', 1)
        self.num_workers = _env_int('DMLC_NUM_WORKER', size - self.num_servers)
        if self.num_servers < 1 or self.num_workers < 1 \
                or self.num_servers + self.num_workers != size:
            raise MXNetError(
                'a distributed KVStore needs at least one server and one worker in its MPI '
                'world: DMLC_NUM_SERVER=%d and DMLC_NUM_WORKER=%d, but MPI has %d process(es). '
                'Start the job with `python -m mxlearn.launch -n WORKERS -s SERVERS python '
                'script.py`, or from a notebook with '
                'mxlearn.kvstore.spawn.run_distributed(fn, num_workers, num_servers)'
                % (self.num_servers, self.num_workers, size))
        self.role = 'server' if self.mpi_rank < self.num_servers else 'worker'
        declared = os.environ.get('DMLC_ROLE')
        if declared in ('server', 'worker') and declared != self.role:
            raise MXNetError('DMLC_ROLE=%s, but MPI rank %d is a %s (ranks 0..%d are the '
                             'servers)' % (declared, self.mpi_rank, self.role,
                                           self.num_servers - 1))
        self.rundir = os.environ.get('MXLEARN_KV_RUNDIR') or None
        self.timeout = _timeout()
        self.comm = None

    @classmethod
    def current(cls):
        """The job of this process, joined on the first call (MPI is initialised then).

        Joining is collective: it returns once every process of the job has
        joined (servers when they start, workers when they create their first
        distributed KVStore).
        """
        if cls._current is None:
            from .protocol import Waiter
            job = cls()
            comm, request = mpi().COMM_WORLD.Idup()
            Waiter(job).wait([request], lambda: 'the %d processes of the job to join it'
                             % (job.num_servers + job.num_workers))
            job.comm = comm
            if job.rundir is not None:
                note_joined(job.rundir, job.mpi_rank)
            cls._current = job
        return cls._current

    def describe(self, mpi_rank):
        """``describe_rank`` in this job."""
        return describe_rank(mpi_rank, self.num_servers)

    @property
    def server_ranks(self):
        """MPI ranks of the servers."""
        return range(self.num_servers)

    @property
    def worker_ranks(self):
        """MPI ranks of the workers."""
        return range(self.num_servers, self.num_servers + self.num_workers)


class FailureWatch:
    """Raises the job's failure note as an ``MXNetError``; cheap to call often.

    The note is looked for at most every ``interval`` seconds.
    """

    def __init__(self, rundir, interval=0.2):
        self.rundir = rundir
        self.interval = interval
        self._next = 0.0

    def check(self, now):
        """Raise ``MXNetError`` if a process of the job has failed."""
        if self.rundir is None or now < self._next:
            return
        self._next = now + self.interval
        text = read_failure(self.rundir)
        if text is not None:
            raise MXNetError('%s; the distributed job is stopped' % text)


def fail_fast_on_exceptions(job):
    """Make an uncaught exception end this process at once, telling the job why.

    Python would otherwise finalize MPI on the way out, which waits for the
    other processes, which wait for this one. The traceback is printed as
    usual, the exception is noted for the guard (``note_error``), and the
    process exits with status 1 without finalizing MPI, so ``mpiexec`` stops
    the job.
    """
    previous = sys.excepthook

    def hook(kind, value, tb):
        previous(kind, value, tb)
        if job.rundir is not None:
            last = traceback.format_exception_only(kind, value)[-1].strip()
            try:
                note_error(job.rundir, job.mpi_rank, last)
            except OSError:
                pass
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)

    sys.excepthook = hook
