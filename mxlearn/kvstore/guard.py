"""Runs one process of a distributed job and makes its failure known: the guard.

``mxlearn.launch`` starts every server and worker under a guard (``mpiexec
... python .../mxlearn/kvstore/guard.py python train.py``). The guard runs
the command as its child (which inherits MPI's environment and is the real
MPI process) and waits for it:

- the child exits with status 0: the guard does too. A worker that never
  joined the job (created no distributed KVStore) is a failure, since the
  servers would wait for it forever;
- the child exits with another status, or is killed by a signal: the guard
  writes the job's failure note naming the process (``worker 1 (MPI rank 2)
  was killed by signal 9 (SIGKILL)``, or what it raised), so that the other
  processes raise an ``MXNetError`` with that line; it waits
  ``MXLEARN_KV_GRACE`` seconds (default 1) for them to do so, then kills
  itself (SIGKILL): ``mpiexec`` stops what is left of the job when one of
  its processes dies of a signal (an exit status is not enough if the
  process never initialised MPI).

The child is killed if the guard dies (Linux ``PR_SET_PDEATHSIG``), and
SIGTERM/SIGINT/SIGHUP sent to the guard are passed on to it.

The **notes** live in the job's folder (``MXLEARN_KV_RUNDIR``): ``failure``
(one line naming the failed process; the first writer wins), ``error.R``
(what process R raised, written by ``roles.fail_fast_on_exceptions``) and
``joined.R`` (process R joined the job). This module uses only the standard
library, so that a guard starts fast: it is run as a file, not imported
with mxlearn.
"""
import ctypes
import os
import signal
import subprocess
import sys
import time

__all__ = ['main', 'describe_exit', 'describe_rank', 'note_failure', 'read_failure',
           'note_error', 'read_error', 'note_joined', 'has_joined']

FAILURE_FILE = 'failure'


def describe_rank(mpi_rank, num_servers):
    """A process of the job, by role and MPI rank: ``'worker 1 (MPI rank 2)'``."""
    if mpi_rank < num_servers:
        return 'server %d (MPI rank %d)' % (mpi_rank, mpi_rank)
    return 'worker %d (MPI rank %d)' % (mpi_rank - num_servers, mpi_rank)


def note_failure(rundir, text):
    """Record that the job failed, with ``text`` naming who; only the first note is kept.

    Returns whether this note is the one kept.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> note_failure(folder, 'worker 1 (MPI rank 2) was killed'), note_failure(folder, 'later')
    (True, False)
    >>> read_failure(folder)
    'worker 1 (MPI rank 2) was killed'
    """
    os.makedirs(rundir, exist_ok=True)
    path = os.path.join(rundir, FAILURE_FILE)
    tmp = '%s.%d' % (path, os.getpid())
    with open(tmp, 'w') as f:
        f.write(text)
    try:
        # A hard link fails if the note exists: the first complete note wins.
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp)


def read_failure(rundir):
    """The job's failure note, or None."""
    try:
        with open(os.path.join(rundir, FAILURE_FILE)) as f:
            return f.read()
    except (OSError, TypeError):
        return None


def note_error(rundir, mpi_rank, text):
    """Record the exception that process ``mpi_rank`` raised (read by its guard)."""
    os.makedirs(rundir, exist_ok=True)
    with open(os.path.join(rundir, 'error.%d' % mpi_rank), 'w') as f:
        f.write(text)


def read_error(rundir, mpi_rank):
    """What ``note_error`` recorded for ``mpi_rank``, or None."""
    try:
        with open(os.path.join(rundir, 'error.%d' % mpi_rank)) as f:
            return f.read()
    except (OSError, TypeError):
        return None


def note_joined(rundir, mpi_rank):
    """Record that process ``mpi_rank`` joined the job (created its side of the KVStore)."""
    os.makedirs(rundir, exist_ok=True)
    open(os.path.join(rundir, 'joined.%d' % mpi_rank), 'w').close()


def has_joined(rundir, mpi_rank):
    """Whether ``note_joined`` was called for ``mpi_rank``."""
    return os.path.exists(os.path.join(rundir, 'joined.%d' % mpi_rank))


def describe_exit(code):
    """How a process with return code ``code`` (``subprocess``'s convention) ended.

    Examples
    --------
    >>> describe_exit(3), describe_exit(-9)
    ('exited with status 3', 'was killed by signal 9 (SIGKILL)')
    """
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = 'unknown'
        return 'was killed by signal %d (%s)' % (-code, name)
    return 'exited with status %d' % code


def _die_with_parent():
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    except (AttributeError, OSError):
        pass


def main(argv=None):
    """Run the command ``argv`` as this rank's process; return 0 if it succeeds (else die)."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        sys.stderr.write('usage: python -m mxlearn.kvstore.guard COMMAND [ARGS...]\n')
        return 2
    rank = int(os.environ.get('PMI_RANK', '0'))
    num_servers = int(os.environ.get('DMLC_NUM_SERVER', '1'))
    rundir = os.environ.get('MXLEARN_KV_RUNDIR') or None
    child = subprocess.Popen(argv, close_fds=False, preexec_fn=_die_with_parent)

    def forward(signum, frame):
        child.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    code = child.wait()
    who = describe_rank(rank, num_servers)
    if code == 0:
        if rundir is None or rank < num_servers or has_joined(rundir, rank):
            return 0
        text = ('%s finished without creating a distributed KVStore (mx.kv.create(\'dist_sync\')'
                ' or another dist type): the servers would wait for it' % who)
    else:
        raised = read_error(rundir, rank)
        text = '%s %s' % (who, ('raised ' + raised) if raised else describe_exit(code))
    if rundir is None or note_failure(rundir, text):
        sys.stderr.write('mxlearn: %s\n' % text)
        sys.stderr.flush()
        time.sleep(float(os.environ.get('MXLEARN_KV_GRACE', '1')))
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == '__main__':
    sys.exit(main())
