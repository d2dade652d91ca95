"""``mx.monitor.Monitor``: statistics of every value an executor computes, every few batches.

Install a Monitor on executors (``mon.install(exe)``, or ``Module.fit(...,
monitor=mon)``); between ``tic()`` and ``toc()`` of every ``interval``-th
batch it records a statistic (by default the root mean square,
``norm(x) / sqrt(x.size)``) of each node output whose name matches
``pattern``, and at ``toc()`` of each matching argument (weights, data).
A quick way to spot exploding or vanishing activations and gradients.

Examples
--------
>>> import mxlearn as mx
>>> y = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2, name='fc')
>>> exe = y.simple_bind(mx.cpu(), data=(1, 3))
>>> exe.arg_dict['fc_weight'][:] = 1
>>> mon = Monitor(1, pattern='fc_.*')
>>> mon.install(exe)
>>> mon.tic()
>>> _ = exe.forward(data=mx.nd.ones((1, 3)))
>>> [(step, name, stat) for step, name, stat in mon.toc()]
[(1, 'fc_output', '3.0\\t'), (1, 'fc_weight', '1.0\\t'), (1, 'fc_bias', '0.0\\t')]
"""
import logging
import math
import re

from .base import MXNetError
from .ndarray import NDArray, norm

__all__ = ['Monitor']


def _rms(x):
    """The default statistic: ``norm(x) / sqrt(x.size)``, the root mean square."""
    return norm(x) / math.sqrt(x.size)


class Monitor:
    """Record a statistic of the values executors compute, every ``interval`` batches.

    Parameters
    ----------
    interval : int
        Record on batches ``0, interval, 2 * interval, ...`` (counted by ``tic``).
    stat_func : callable, optional
        ``stat_func(NDArray) -> NDArray`` (or a list of them); the root mean
        square by default.
    pattern : str
        A regular expression; only names that match it (from the start) are
        recorded.
    sort : bool
        Sort the records of a batch by name.
    monitor_all : bool
        Also record every node's inputs (see ``Executor.set_monitor_callback``).

    Attributes
    ----------
    step : int
        The number of ``tic`` calls so far.
    activated : bool
        Whether the current batch is being recorded.
    queue : list of (step, name, statistic)
    exes : list of Executor
    """

    def __init__(self, interval, stat_func=None, pattern='.*', sort=False, monitor_all=False):
        if int(interval) < 1:
            raise MXNetError('Monitor: interval must be a positive number of batches, got %r'
                             % (interval,))
        self.interval = int(interval)
        self.stat_func = _rms if stat_func is None else stat_func
        self.re_prog = re.compile(pattern)
        self.sort = sort
        self.monitor_all = monitor_all
        self.activated = False
        self.queue = []
        self.step = 0
        self.exes = []

    def stat_helper(self, name, array):
        """The executor callback: record ``stat_func(array)`` if active and ``name`` matches."""
        if isinstance(name, bytes):
            name = name.decode()
        if self.activated and self.re_prog.match(name):
            self.queue.append((self.step, name, self.stat_func(array)))

    def install(self, exe):
        """Monitor the executor ``exe`` (its callback is replaced by this Monitor's).

        Parameters
        ----------
        exe : Executor
        """
        exe.set_monitor_callback(self.stat_helper, self.monitor_all)
        self.exes.append(exe)

    def tic(self):
        """Start a batch: it is recorded if its number is a multiple of ``interval``."""
        if self.step % self.interval == 0:
            self.queue = []
            self.activated = True
        self.step += 1

    def toc(self):
        """End a batch and return its records, ``[(step, name, text of the statistic)]``.

        The arguments of the monitored executors (weights, data) matching
        ``pattern`` are recorded here, after the node outputs. Returns ``[]``
        for a batch that is not recorded.

        Returns
        -------
        list of (int, str, str)
        """
        if not self.activated:
            return []
        for exe in self.exes:
            for name, array in zip(exe._arg_names, exe.arg_arrays):
                if self.re_prog.match(name):
                    self.queue.append((self.step, name, self.stat_func(array)))
        self.activated = False
        if self.sort:
            self.queue.sort(key=lambda record: record[1])
        records = [(step, name, _text(stat)) for step, name, stat in self.queue]
        self.queue = []
        return records

    def toc_print(self):
        """End a batch and log its records (``logging.info``), one line each."""
        for step, name, text in self.toc():
            logging.info('Batch: %7d %-30s %s', step, name, text)


def _text(stat):
    """A statistic (NDArray or list of them) as text: each value then a tab."""
    values = stat if isinstance(stat, (list, tuple)) else [stat]
    parts = []
    for value in values:
        if not isinstance(value, NDArray):
            raise MXNetError('Monitor: stat_func must return NDArrays, got %s'
                             % type(value).__name__)
        parts.append(str(value.asscalar()) if value.size == 1 else str(value.asnumpy()))
    return ''.join(p + '\t' for p in parts)
