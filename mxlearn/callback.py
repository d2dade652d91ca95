"""``mx.callback``: what ``Module.fit`` calls after each batch and each epoch.

A batch-end callback is called with a ``BatchEndParam`` -- the epoch, the
number of the batch in it (from 0), the training metric and ``fit``'s local
variables -- and usually logs something through :mod:`logging` (so turn on
``logging.basicConfig(level=logging.INFO)`` to see it). An epoch-end callback
is called as ``callback(epoch, symbol, arg_params, aux_params)``.

``BatchEndParam`` lives here; ``mx.model.BatchEndParam`` is the same class.

Examples
--------
>>> import logging, sys
>>> import mxlearn as mx
>>> from mxlearn.callback import BatchEndParam, log_train_metric
>>> root = logging.getLogger()
>>> to_stdout, level = logging.StreamHandler(sys.stdout), root.level
>>> root.addHandler(to_stdout); root.setLevel(logging.INFO)
>>> acc = mx.metric.Accuracy()
>>> acc.update([mx.nd.array([1, 0])], [mx.nd.array([[0.2, 0.8], [0.4, 0.6]])])
>>> log_train_metric(5)(BatchEndParam(epoch=0, nbatch=10, eval_metric=acc, locals=None))
Iter[0] Batch[10] Train-accuracy=0.500000
>>> root.removeHandler(to_stdout); root.setLevel(level)
"""
import logging
import math
import time
from collections import namedtuple

__all__ = ['BatchEndParam', 'Speedometer', 'ProgressBar', 'do_checkpoint',
           'module_checkpoint', 'log_train_metric', 'LogValidationMetricsCallback']

BatchEndParam = namedtuple('BatchEndParam', ['epoch', 'nbatch', 'eval_metric', 'locals'])
BatchEndParam.__doc__ = """What a batch-end callback receives.

Fields: ``epoch`` (int), ``nbatch`` (the batch's number in the epoch, from 0),
``eval_metric`` (the ``EvalMetric`` being accumulated, or None) and
``locals`` (the calling function's ``locals()``, e.g. ``data_batch``).
"""


def _every(period):
    """``period`` as a positive int (MXNet treats anything below 1 as 1)."""
    return int(max(1, period))


def module_checkpoint(mod, prefix, period=1, save_optimizer_states=False):
    """An epoch-end callback that saves ``mod``'s checkpoint every ``period`` epochs.

    The files are ``prefix-symbol.json``, ``prefix-%04d.params`` (the epoch
    counted from 1) and, with ``save_optimizer_states``, ``prefix-%04d.states``.

    Parameters
    ----------
    mod : Module
    prefix : str
    period : int, default 1
    save_optimizer_states : bool, default False

    Examples
    --------
    >>> class Mod:
    ...     def save_checkpoint(self, prefix, epoch, states):
    ...         print(prefix, epoch, states)
    >>> save = module_checkpoint(Mod(), 'mlp', period=2)
    >>> for epoch in range(4):
    ...     save(epoch)
    mlp 2 False
    mlp 4 False
    """
    period = _every(period)

    def _callback(iter_no, sym=None, arg=None, aux=None):
        if (iter_no + 1) % period == 0:
            mod.save_checkpoint(prefix, iter_no + 1, save_optimizer_states)
    return _callback


def do_checkpoint(prefix, period=1):
    """An epoch-end callback that saves the model with ``mx.model.save_checkpoint``
    every ``period`` epochs (files ``prefix-symbol.json`` and ``prefix-%04d.params``,
    the epoch counted from 1).

    Parameters
    ----------
    prefix : str
    period : int, default 1

    Examples
    --------
    >>> import os, tempfile
    >>> import mxlearn as mx
    >>> prefix = os.path.join(tempfile.mkdtemp(), 'net')
    >>> net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2, name='fc')
    >>> args = {'fc_weight': mx.nd.ones((2, 3)), 'fc_bias': mx.nd.zeros(2)}
    >>> do_checkpoint(prefix)(0, net, args, {})
    >>> sorted(os.listdir(os.path.dirname(prefix)))
    ['net-0001.params', 'net-symbol.json']
    """
    period = _every(period)

    def _callback(iter_no, sym, arg, aux):
        if (iter_no + 1) % period == 0:
            from .model import save_checkpoint   # model imports this module
            save_checkpoint(prefix, iter_no + 1, sym, arg, aux)
    return _callback


def log_train_metric(period, auto_reset=False):
    """A batch-end callback that logs the training metric every ``period`` batches.

    Logs ``Iter[epoch] Batch[nbatch] Train-<name>=<value>`` for each metric
    value; with ``auto_reset`` the metric's local values are then reset, so
    each line covers the batches since the previous one.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mod = mx.mod.Module(mx.sym.var('data'))                 # doctest: +SKIP
    >>> mod.fit(train_iter, batch_end_callback=log_train_metric(100))  # doctest: +SKIP
    """
    period = _every(period)

    def _callback(param):
        if param.nbatch % period or param.eval_metric is None:
            return
        for name, value in param.eval_metric.get_name_value():
            logging.info('Iter[%d] Batch[%d] Train-%s=%f', param.epoch, param.nbatch,
                         name, value)
        if auto_reset:
            param.eval_metric.reset_local()
    return _callback


class Speedometer:
    """A batch-end callback that logs the training speed (and metric) every
    ``frequent`` batches.

    The line is ``Epoch[e] Batch [from-to]\\tSpeed: s samples/sec\\t<name>=<value>...``.
    The speed is ``frequent * batch_size`` over the time since the previous
    line; the timer starts at the first call of an epoch (a batch number
    lower than the last one's means a new epoch). With ``auto_reset`` the
    metric's local values are reset after each line, so they cover its
    batches only (``Batch [40-50]``); otherwise they accumulate over the
    epoch (``Batch [0-50]``).

    Parameters
    ----------
    batch_size : int
    frequent : int, default 50
    auto_reset : bool, default True

    Examples
    --------
    >>> import mxlearn as mx
    >>> speed = Speedometer(batch_size=32, frequent=10)
    >>> for nbatch in range(21):
    ...     speed(BatchEndParam(epoch=0, nbatch=nbatch, eval_metric=None, locals=None))
    """

    def __init__(self, batch_size, frequent=50, auto_reset=True):
        self.batch_size = batch_size
        self.frequent = frequent
        self.auto_reset = auto_reset
        self.init = False
        self.tic = 0.0
        self.last_count = 0

    def __call__(self, param):
        count = param.nbatch
        if count < self.last_count:
            self.init = False
        self.last_count = count
        if not self.init:
            self.init = True
            self.tic = time.time()
            return
        if count % self.frequent:
            return
        elapsed = time.time() - self.tic
        speed = self.frequent * self.batch_size / elapsed if elapsed > 0 else float('inf')
        if param.eval_metric is None:
            logging.info('Iter[%d] Batch [%d]\tSpeed: %.2f samples/sec', param.epoch, count,
                         speed)
        else:
            name_value = param.eval_metric.get_name_value()
            first = count - self.frequent if self.auto_reset else 0
            if self.auto_reset:
                param.eval_metric.reset_local()
            values = [x for pair in name_value for x in pair]
            logging.info('Epoch[%d] Batch [%d-%d]\tSpeed: %.2f samples/sec'
                         + '\t%s=%f' * len(name_value),
                         param.epoch, first, count, speed, *values)
        self.tic = time.time()


class ProgressBar:
    """A batch-end callback that logs a progress bar: ``[=====-----] 50%``.

    Parameters
    ----------
    total : int
        The number of batches that make 100%.
    length : int, default 80
        The width of the bar in characters.

    Examples
    --------
    >>> bar = ProgressBar(total=4, length=8)
    >>> bar(BatchEndParam(epoch=0, nbatch=1, eval_metric=None, locals=None))  # "[==------] 25%"
    """

    def __init__(self, total, length=80):
        self.total = total
        self.bar_len = length

    def __call__(self, param):
        done = param.nbatch / float(self.total)
        filled = int(round(self.bar_len * done))
        bar = '=' * filled + '-' * (self.bar_len - filled)
        # The carriage return lets a terminal redraw the bar on one line.
        logging.info('[%s] %s%%\r', bar, math.ceil(100.0 * done))


class LogValidationMetricsCallback:
    """An eval-end callback (``Module.fit(eval_end_callback=...)``) that logs
    ``Epoch[e] Validation-<name>=<value>`` for each validation metric value.

    Examples
    --------
    >>> LogValidationMetricsCallback()(BatchEndParam(0, 0, None, None))  # no metric: silent
    """

    def __call__(self, param):
        if param.eval_metric is None:
            return
        for name, value in param.eval_metric.get_name_value():
            logging.info('Epoch[%d] Validation-%s=%f', param.epoch, name, value)
