"""Run a function on the workers of a distributed job, from a notebook or a script.

``run_distributed(fn, num_workers, num_servers, mode)`` starts a job of MPI
processes (``mxlearn.launch``: servers, and workers that each create a
KVStore of type ``mode`` and call ``fn(kv, *args, **kwargs)``), waits for it,
and returns what ``fn`` returned on each worker, in worker order::

    def train(kv):
        ...                          # kv.rank picks this worker's data
        return accuracy

    accuracies = run_distributed(train, num_workers=2, num_servers=1, mode='dist_sync')

The notebook's kernel does not join the job (it never initialises MPI): the
job runs under ``mpiexec`` as a child process, so a crashed worker cannot
take the kernel down and jobs can be started again and again. ``fn`` travels
to the workers pickled with cloudpickle, so it may be defined in the
notebook; it runs in a fresh process, so it must import or receive what it
uses. What the workers print appears here, line by line. If a worker or a
server fails, the job is stopped and ``MXNetError`` names it.
"""
import os
import pickle
import shutil
import sys
import tempfile

from ..base import MXNetError

__all__ = ['run_distributed']


def _pickler():
    try:
        import cloudpickle
    except ImportError:
        return pickle
    return cloudpickle


def run_distributed(fn, num_workers=2, num_servers=1, mode='dist_sync', args=(), kwargs=None,
                    env=None, timeout=None, trace=False, output=None):
    """Run ``fn(kv, *args, **kwargs)`` on each worker of a new job; return the results.

    Parameters
    ----------
    fn : callable
        Called on every worker with its KVStore.
    num_workers, num_servers : int
    mode : str, default 'dist_sync'
        The KVStore type: ``'dist_sync'``, ``'dist_async'`` or ``'dist_device_sync'``.
    args, kwargs : optional
        More arguments for ``fn`` (pickled).
    env : dict, optional
        Environment variables for the job's processes (e.g.
        ``{'MXNET_KVSTORE_BIGARRAY_BOUND': '1000'}``).
    timeout : float, optional
        Stop the job and raise if it runs longer than this many seconds.
    trace : bool, default False
        Record every push and pull (``kv.trace``) and return the traces too.
    output : callable, optional
        Called with each line the job prints (default: ``print`` it here).

    Returns
    -------
    list
        ``fn``'s result on worker 0, 1, ...; with ``trace=True``, the pair
        ``(results, traces)``, ``traces[r]`` being worker ``r``'s list of
        ``(start, end, op, key, nbytes)``.

    Raises
    ------
    MXNetError
        If a process of the job fails (the message names it) or the job
        times out.

    Examples
    --------
    >>> def total(kv):                                          # doctest: +SKIP
    ...     import mxlearn as mx
    ...     kv.init(0, mx.nd.zeros((2,)))
    ...     out = mx.nd.zeros((2,))
    ...     kv.pushpull(0, mx.nd.ones((2,)) * (kv.rank + 1), out=out)
    ...     return out.asnumpy().tolist()
    >>> run_distributed(total, num_workers=2, num_servers=1)    # doctest: +SKIP
    [[3.0, 3.0], [3.0, 3.0]]
    """
    from ..launch import launch
    from .dist import NAMES
    if mode not in NAMES:
        raise MXNetError('run_distributed: mode must be one of %s, got %r'
                         % (', '.join(map(repr, NAMES)), mode))
    folder = tempfile.mkdtemp(prefix='mxlearn-run-')
    try:
        pickler = _pickler()
        with open(os.path.join(folder, 'job.pkl'), 'wb') as f:
            try:
                pickler.dump((fn, tuple(args), dict(kwargs or {}), mode), f)
            except (pickle.PicklingError, AttributeError, TypeError) as err:
                hint = ('' if pickler is not pickle else '; functions defined in a notebook '
                        'need the cloudpickle package (pip install cloudpickle)')
                raise MXNetError('run_distributed: cannot send %r and its arguments to the '
                                 'workers: %s%s' % (fn, err, hint)) from None
        variables = {'PYTHONPATH': os.pathsep.join(p for p in sys.path if p)}
        variables.update(env or {})
        if trace:
            variables['MXLEARN_KV_TRACE'] = '1'
        if output is None:
            def output(line):
                print(line, end='')
        launch(num_workers, num_servers,
               [sys.executable, '-m', 'mxlearn.kvstore.spawn', folder],
               env=variables, timeout=timeout, output=output)
        results, traces = [], []
        for rank in range(num_workers):
            with open(os.path.join(folder, 'result.%d' % rank), 'rb') as f:
                result, events = pickle.load(f)
            results.append(result)
            traces.append(events)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return (results, traces) if trace else results


def _worker(folder):
    """A worker of ``run_distributed``: create the store, run the function, save its result."""
    from . import create
    with open(os.path.join(folder, 'job.pkl'), 'rb') as f:
        fn, args, kwargs, mode = pickle.load(f)
    kv = create(mode)
    result = fn(kv, *args, **kwargs)
    path = os.path.join(folder, 'result.%d' % kv.rank)
    with open(path + '.tmp', 'wb') as f:
        _pickler().dump((result, kv.trace), f)
    os.replace(path + '.tmp', path)


if __name__ == '__main__':
    _worker(sys.argv[1])
