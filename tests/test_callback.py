"""mx.callback: Speedometer, ProgressBar, checkpoints, metric logging."""
import logging
import math
import os

import pytest

import mxlearn as mx
import mxlearn.callback as cb
import mxlearn.model
from mxlearn.callback import BatchEndParam


def _metric():
    """Accuracy 0.5 and cross-entropy over two samples."""
    m = mx.metric.create(['acc', 'ce'])
    m.update([mx.nd.array([0, 1])], [mx.nd.array([[0.9, 0.1], [0.6, 0.4]])])
    return m


def _param(nbatch, metric=None, epoch=1):
    return BatchEndParam(epoch=epoch, nbatch=nbatch, eval_metric=metric, locals=None)


def _messages(caplog):
    out = [r.getMessage() for r in caplog.records]
    caplog.clear()
    return out


def test_batch_end_param_fields():
    p = BatchEndParam(epoch=1, nbatch=2, eval_metric=None, locals={'x': 1})
    assert p._fields == ('epoch', 'nbatch', 'eval_metric', 'locals')
    assert p.locals['x'] == 1


@pytest.mark.parametrize('auto_reset', [True, False])
def test_speedometer_logs_every_frequent_batches(caplog, monkeypatch, auto_reset):
    clock = iter(range(0, 1000, 2))       # every time.time() call advances 2 s
    monkeypatch.setattr(cb.time, 'time', lambda: float(next(clock)))
    caplog.set_level(logging.INFO)
    metric = _metric()
    speed = cb.Speedometer(batch_size=8, frequent=2, auto_reset=auto_reset)
    speed(_param(0, metric))                          # starts the timer (t=0)
    speed(_param(1, metric))
    speed(_param(2, metric))                          # t=2: 2 batches * 8 / 2 s
    lines = _messages(caplog)
    assert lines[0].startswith('Epoch[1] Batch [0-2]\tSpeed: 8.00 samples/sec\t')
    assert '\taccuracy=0.500000\tcross-entropy=' in lines[0]
    # auto_reset clears the local values (NaN until the next update), not the global ones.
    assert math.isnan(metric.get_name_value()[0][1]) == auto_reset
    assert metric.get_global_name_value()[0][1] == 0.5
    speed(_param(3, metric))
    speed(_param(4, metric))                          # t=4
    expected = 'Epoch[1] Batch [2-4]' if auto_reset else 'Epoch[1] Batch [0-4]'
    assert _messages(caplog)[0].startswith(expected)


def test_speedometer_restarts_each_epoch_and_without_metric(caplog):
    caplog.set_level(logging.INFO)
    speed = cb.Speedometer(batch_size=4, frequent=2)
    for nbatch in range(3):
        speed(_param(nbatch))
    assert _messages(caplog)[0].startswith('Iter[1] Batch [2]\tSpeed: ')
    # A lower batch number starts a new epoch: the timer restarts, nothing is logged.
    speed(_param(0, epoch=2))
    speed(_param(1, epoch=2))
    assert _messages(caplog) == []
    speed(_param(2, epoch=2))
    assert _messages(caplog)[0].startswith('Iter[2] Batch [2]')


def test_progress_bar(caplog):
    caplog.set_level(logging.INFO)
    bar = cb.ProgressBar(total=7, length=10)
    for nbatch in (0, 1, 3, 7):
        bar(_param(nbatch))
    assert _messages(caplog) == ['[----------] 0%\r', '[=---------] 15%\r',
                                 '[====------] 43%\r', '[==========] 100%\r']


def test_log_train_metric_every_period_and_auto_reset(caplog):
    caplog.set_level(logging.INFO)
    metric = _metric()
    log = cb.log_train_metric(2, auto_reset=True)
    log(_param(1, metric, epoch=3))
    assert _messages(caplog) == []
    log(_param(2, metric, epoch=3))
    lines = _messages(caplog)
    assert lines[0] == 'Iter[3] Batch[2] Train-accuracy=0.500000'
    assert lines[1].startswith('Iter[3] Batch[2] Train-cross-entropy=')
    assert metric.get_global_name_value()[0][1] == 0.5      # local values reset only
    log(_param(4, None))
    assert _messages(caplog) == []


def test_log_validation_metrics(caplog):
    caplog.set_level(logging.INFO)
    cb.LogValidationMetricsCallback()(_param(0, _metric(), epoch=4))
    lines = _messages(caplog)
    assert lines[0] == 'Epoch[4] Validation-accuracy=0.500000' and len(lines) == 2
    cb.LogValidationMetricsCallback()(_param(0, None))
    assert _messages(caplog) == []


def test_module_checkpoint_calls_save_checkpoint_every_period():
    class Recorder:
        calls = []

        def save_checkpoint(self, prefix, epoch, save_optimizer_states=False):
            self.calls.append((prefix, epoch, save_optimizer_states))

    mod = Recorder()
    save = cb.module_checkpoint(mod, 'run/net', period=3, save_optimizer_states=True)
    for epoch in range(7):
        save(epoch, None, None, None)
    assert mod.calls == [('run/net', 3, True), ('run/net', 6, True)]
    # period < 1 means every epoch.
    save = cb.module_checkpoint(mod, 'p', period=0)
    save(0)
    assert mod.calls[-1] == ('p', 1, False)


def test_do_checkpoint_writes_files_every_period(tmp_path):
    net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2, name='fc')
    args = {'fc_weight': mx.nd.ones((2, 3)), 'fc_bias': mx.nd.array([1, 2])}
    save = cb.do_checkpoint(str(tmp_path / 'net'), period=2)
    for epoch in range(4):
        save(epoch, net, args, {})
    assert sorted(os.listdir(tmp_path)) == ['net-0002.params', 'net-0004.params',
                                            'net-symbol.json']
    sym, arg_params, aux_params = mx.model.load_checkpoint(str(tmp_path / 'net'), 4)
    assert sym.list_arguments() == ['data', 'fc_weight', 'fc_bias']
    assert arg_params['fc_bias'].asnumpy().tolist() == [1, 2] and aux_params == {}
