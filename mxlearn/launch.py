"""Start a distributed job: parameter servers and workers, as MPI processes.

Usage (as MXNet's ``tools/launch.py``)::

    python -m mxlearn.launch -n 2 -s 1 python train.py --epochs 3
    python -m mxlearn.launch -n 4 -s 2 --launcher mpi -H hosts python train.py

The command runs on each of the ``-n`` workers, where
``mx.kv.create('dist_sync')`` connects it to the ``-s`` servers (``-s``
defaults to ``-n``, as in MXNet). Underneath this is one ``mpiexec`` of
``S + N`` processes: MPI ranks ``0 .. S-1`` run ``python -m
mxlearn.kvstore.server``, the others the command (see
``mxlearn.kvstore.roles``), each under a guard that reports how it ended
(``mxlearn/kvstore/guard.py``).

Launchers:

- ``local`` (the default without a hostfile): every process on this machine
  (``mpiexec -launcher fork``), each with ``cores // (S + N)`` (at least 1)
  BLAS and OpenMP threads, unless ``OMP_NUM_THREADS``,
  ``OPENBLAS_NUM_THREADS`` or ``MKL_NUM_THREADS`` say otherwise;
- ``mpi``: ``mpiexec``'s own way of reaching the hosts of ``-H hostfile``
  (ssh by default; a line per host, ``host:slots``), for a cluster where the
  same Python and mxlearn are installed at the same paths.

If a process dies or raises, the others stop with an ``MXNetError`` naming it
and the launcher exits with a failure status after printing that line; when
the workers finish, the servers stop, and nothing is left running.

Examples
--------
>>> ' '.join(mpiexec_command(2, 1, ['python', 'train.py'])[1:6])
'-launcher fork -genv DMLC_NUM_WORKER 2'
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile

from .base import MXNetError

__all__ = ['launch', 'mpiexec_command', 'main']

LAUNCHERS = ('local', 'mpi')


def _mpiexec():
    path = shutil.which('mpiexec')
    if path is None:
        raise MXNetError('mpiexec was not found on PATH: pip install mpi4py mpich (or '
                         'mxlearn[dist]), or install an MPI library')
    return path


def mpiexec_command(num_workers, num_servers, command, launcher='local', hostfile=None,
                    env=None, rundir=None):
    """The ``mpiexec`` command line that starts the job (see the module docstring).

    Parameters
    ----------
    num_workers, num_servers : int
    command : list of str
        What each worker runs.
    launcher : {'local', 'mpi'}
    hostfile : str, optional
        For ``launcher='mpi'``.
    env : dict of str to str, optional
        More environment variables for every process (a ``PYTHONPATH`` is
        added to, after the folder of this mxlearn).
    rundir : str, optional
        The job's folder for failure notes (``MXLEARN_KV_RUNDIR``).
    """
    if launcher not in LAUNCHERS:
        raise MXNetError('launcher must be one of %s, got %r' % (LAUNCHERS, launcher))
    if hostfile is not None and launcher == 'local':
        raise MXNetError("a hostfile needs launcher='mpi' (the local launcher starts every "
                         "process on this machine)")
    if int(num_workers) < 1 or int(num_servers) < 1:
        raise MXNetError('a job needs at least one worker and one server, got %s worker(s) '
                         'and %s server(s)' % (num_workers, num_servers))
    if not command:
        raise MXNetError('no command to run on the workers (e.g. python train.py)')
    cmd = [_mpiexec()]
    if launcher == 'local':
        cmd += ['-launcher', 'fork']
    elif hostfile is not None:
        cmd += ['-f', hostfile]
    # The processes find this mxlearn even when it is not installed.
    env = dict(env or {})
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = env.pop('PYTHONPATH', os.environ.get('PYTHONPATH'))
    variables = {'DMLC_NUM_WORKER': str(num_workers), 'DMLC_NUM_SERVER': str(num_servers),
                 'PYTHONPATH': root + (os.pathsep + path if path else '')}
    if rundir is not None:
        variables['MXLEARN_KV_RUNDIR'] = rundir
    if launcher == 'local':
        variables.update(_thread_limits(int(num_workers) + int(num_servers)))
    variables.update(env)
    for name, value in variables.items():
        cmd += ['-genv', name, str(value)]
    # The guard runs as a file: it needs only the standard library, and
    # starts without importing mxlearn.
    guard = [sys.executable, os.path.join(root, 'mxlearn', 'kvstore', 'guard.py')]
    cmd += ['-n', str(num_servers), '-env', 'DMLC_ROLE', 'server'] + guard
    cmd += [sys.executable, '-m', 'mxlearn.kvstore.server']
    cmd += [':', '-n', str(num_workers), '-env', 'DMLC_ROLE', 'worker'] + guard + list(command)
    return cmd


THREAD_VARIABLES = ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS')


def _thread_limits(num_processes):
    """Threads per process so that the job's processes share this machine's cores.

    Every process would otherwise start one BLAS and one OpenMP thread per
    core; oversubscribed, they spin and wait for each other (a Gluon MLP step
    of 2 workers and a server on 2 cores: 25 ms of compute instead of 2.5).
    Variables already set in the environment are kept.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    threads = str(max(1, cores // num_processes))
    return {name: threads for name in THREAD_VARIABLES if name not in os.environ}


def _stop(process):
    # The job is its own process group (mpiexec, its proxies, the guards and
    # their children): end all of it.
    for signum, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 3)):
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def launch(num_workers, num_servers, command, launcher='local', hostfile=None, env=None,
           timeout=None, output=None):
    """Run a job to its end; raise ``MXNetError`` naming the failed process if it fails.

    Parameters
    ----------
    num_workers, num_servers, command, launcher, hostfile, env
        As for ``mpiexec_command``.
    timeout : float, optional
        Stop the job and raise after this many seconds.
    output : callable, optional
        Called with each line the processes print (stdout and stderr
        together); by default they print to this process's stdout/stderr.
    """
    rundir = tempfile.mkdtemp(prefix='mxlearn-job-')
    try:
        cmd = mpiexec_command(num_workers, num_servers, command, launcher, hostfile, env,
                              rundir)
        pipe = {} if output is None else {'stdout': subprocess.PIPE,
                                          'stderr': subprocess.STDOUT, 'text': True,
                                          'bufsize': 1}
        process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, start_new_session=True,
                                   **pipe)
        try:
            code = _wait(process, timeout, output)
        except BaseException:
            _stop(process)
            raise
        finally:
            # Nothing of the job may outlive it.
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if code != 0:
            from .kvstore.guard import read_failure
            note = read_failure(rundir)
            if code is None:
                note = 'it did not finish within %g s and was stopped' % timeout
            raise MXNetError('the distributed job failed: %s' % (
                note or 'mpiexec exited with status %d' % code))
    finally:
        shutil.rmtree(rundir, ignore_errors=True)


def _wait(process, timeout, output):
    """mpiexec's exit status, or None if it ran out of time (and was stopped)."""
    if output is None:
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            return None
    import threading
    timer = None
    expired = []
    if timeout is not None:
        def expire():
            expired.append(True)
            _stop(process)
        timer = threading.Timer(timeout, expire)
        timer.daemon = True
        timer.start()
    try:
        for line in process.stdout:
            output(line)
        code = process.wait()
    finally:
        if timer is not None:
            timer.cancel()
    return None if expired else code


def main(argv=None):
    """The command line: ``python -m mxlearn.launch -n N [-s S] ... COMMAND``."""
    parser = argparse.ArgumentParser(
        prog='python -m mxlearn.launch',
        description='Start a distributed mxlearn job: parameter servers and workers on MPI.')
    parser.add_argument('-n', '--num-workers', type=int, required=True,
                        help='number of workers (each runs COMMAND)')
    parser.add_argument('-s', '--num-servers', type=int,
                        help='number of servers (default: as many as workers)')
    parser.add_argument('--launcher', choices=LAUNCHERS,
                        help="'local': every process on this machine (default without -H); "
                             "'mpi': mpiexec reaches the hosts of the hostfile")
    parser.add_argument('-H', '--hostfile', help='hosts for --launcher mpi, one per line')
    parser.add_argument('--env', action='append', default=[], metavar='NAME=VALUE',
                        help='an environment variable for every process (repeatable)')
    parser.add_argument('--timeout', type=float, help='stop the job after this many seconds')
    parser.add_argument('command', nargs=argparse.REMAINDER,
                        help='what each worker runs, e.g. python train.py')
    args = parser.parse_args(argv)
    env = {}
    for item in args.env:
        name, sep, value = item.partition('=')
        if not sep:
            parser.error('--env takes NAME=VALUE, got %r' % item)
        env[name] = value
    launcher = args.launcher or ('mpi' if args.hostfile else 'local')
    # Stopped by a signal, stop the job too (launch cleans up on the way out).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        launch(args.num_workers, args.num_servers or args.num_workers, args.command,
               launcher, args.hostfile, env, args.timeout)
    except MXNetError as err:
        sys.stderr.write('mxlearn.launch: MXNetError: %s\n' % err)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == '__main__':
    sys.exit(main())
