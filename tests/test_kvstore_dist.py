"""The distributed KVStore on real MPI jobs (mpiexec): 2 workers + 1 server, 4 workers + 2 servers.

Each job runs ``_job`` on every worker (``run_distributed``); the worker
returns what it saw and the test compares it with numpy, or with the same
training in this process. With ``MXNET_KVSTORE_BIGARRAY_BOUND=100`` the
4 + 2 job splits the big keys (and the first Dense weight) between its two
servers. The failure tests check that a killed or raising process stops the
job within a bounded time with an error naming it, leaving nothing running.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid

import numpy as np
import pytest

import mxlearn as mx
import mxlearn.kvstore as kvs
import mxlearn.optimizer
from mxlearn.base import MXNetError
from mxlearn.kvstore.compression import quantize_2bit
from mxlearn.kvstore.spawn import run_distributed
from tests.benchmarks.training import worker_epoch

try:
    import mpi4py  # noqa: F401
    HAVE_MPI = shutil.which('mpiexec') is not None
except ImportError:
    HAVE_MPI = False

pytestmark = [pytest.mark.dist,
              pytest.mark.skipif(not HAVE_MPI, reason='needs mpi4py and mpiexec (mxlearn[dist])')]

BIG = 1000            # values of the keys that 4 + 2 splits (bound 100)
SHAPE = (2, 3)
THRESHOLD = 0.5
STEPS, TOTAL_BATCH, FEATURES, CLASSES = 4, 16, 10, 3
ASYNC_EPOCHS = 2


# --------------------------------------------------------------- shared --

def _net():
    net = mx.gluon.nn.Sequential()
    net.add(mx.gluon.nn.Dense(16, activation='relu', in_units=FEATURES),
            mx.gluon.nn.Dense(CLASSES, in_units=16))
    mx.random.seed(0)
    net.initialize(mx.init.Xavier())
    return net


def _weights(net):
    return [p.data().asnumpy() for p in net.collect_params().values()]


def _train(kvstore, rank, num_workers, update_on_kvstore=None):
    """STEPS SGD-momentum steps (an epoch of STEPS total batches); this worker takes its slice."""
    rng = np.random.RandomState(0)
    x = rng.randn(STEPS * TOTAL_BATCH, FEATURES).astype(np.float32)
    y = rng.randint(0, CLASSES, STEPS * TOTAL_BATCH)
    net = _net()
    trainer = mx.gluon.Trainer(net.collect_params(), 'sgd',
                               {'learning_rate': 0.1, 'momentum': 0.9}, kvstore=kvstore,
                               update_on_kvstore=update_on_kvstore)
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    worker_epoch(mx, net, loss_fn, trainer, x, y, batch=TOTAL_BATCH, rank=rank,
                 share=TOTAL_BATCH // num_workers, scale=TOTAL_BATCH)
    return _weights(net)


def _blobs():
    rng = np.random.RandomState(1)
    centers = rng.randn(CLASSES, FEATURES) * 3
    y = rng.randint(0, CLASSES, 600)
    x = (centers[y] + rng.randn(600, FEATURES)).astype(np.float32)
    return x, y


def _fit(kvstore, rank, num_workers, epochs, batch=30):
    """Accuracy on the blobs after ``epochs`` epochs (each worker its share of every batch)."""
    x, y = _blobs()
    net = _net()
    trainer = mx.gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1},
                               kvstore=kvstore)
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    share = batch // num_workers
    for _ in range(epochs):
        worker_epoch(mx, net, loss_fn, trainer, x, y, batch=batch, rank=rank, share=share,
                     scale=share)
    pred = net(mx.nd.array(x)).asnumpy().argmax(axis=1)
    return float((pred == y).mean())


# ------------------------------------------------------------ the worker --

def _job(kv):
    """Everything a worker checks; returns what it saw."""
    r, n = kv.rank, kv.num_workers
    res = {'rank': r, 'num_workers': n, 'type': kv.type}
    # init: worker 0's values are the ones kept.
    kv.init([0, 1, 2], [mx.nd.full(SHAPE, r + 1), mx.nd.arange(BIG) * (r + 1),
                        mx.nd.arange(8).reshape((4, 2))])
    res['parts'] = [len(kv._keys[k][1]) for k in (0, 1)]
    outs = [mx.nd.zeros(SHAPE), mx.nd.zeros((BIG,))]
    kv.pull([0, 1], out=outs)
    res['init'] = [o.asnumpy() for o in outs]
    # A push of two devices' values: summed here, then over the workers.
    kv.push(0, [mx.nd.full(SHAPE, r + 1), mx.nd.full(SHAPE, 10, ctx=mx.cpu(1))])
    two = [mx.nd.zeros(SHAPE), mx.nd.zeros(SHAPE, ctx=mx.cpu(1))]
    kv.pull(0, out=two)
    res['push'] = [o.asnumpy() for o in two]
    # Two pushes before a pull: the pull waits for the second round.
    kv.push(1, mx.nd.arange(BIG) * (r + 1))
    kv.push(1, mx.nd.ones((BIG,)) * (r + 1))
    kv.pull(1, out=outs[1])
    res['twice'] = outs[1].asnumpy()
    grad = mx.nd.full(SHAPE, r)
    kv.pushpull(0, grad)
    res['pushpull'] = grad.asnumpy()
    rows = mx.nd.ones((4, 2))
    kv.row_sparse_pull(2, out=rows, row_ids=mx.nd.array([r, 3]))
    res['row_sparse'] = rows.asnumpy()
    # The optimizer runs on the servers, with its momentum there.
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
    kv.init(3, mx.nd.ones((BIG,)))
    weight = mx.nd.zeros((BIG,))
    for _ in range(2):
        kv.pushpull(3, mx.nd.arange(BIG) * (r + 1) / BIG, out=weight)
    res['sgd'] = weight.asnumpy()
    kv.barrier()

    compressed = kvs.create('dist_sync')
    compressed.set_gradient_compression({'type': '2bit', 'threshold': THRESHOLD})
    compressed.init('g', mx.nd.zeros((BIG,)))
    res['compressed'] = []
    for t in range(2):
        compressed.push('g', mx.nd.array(_gradient(r, t)))
        out = mx.nd.zeros((BIG,))
        compressed.pull('g', out=out)
        res['compressed'].append(out.asnumpy())

    device = kvs.create('dist_device_sync')
    device.init('d', mx.nd.zeros(SHAPE))
    device.pushpull('d', [mx.nd.ones(SHAPE), mx.nd.ones(SHAPE, ctx=mx.cpu(1))])
    out = mx.nd.zeros(SHAPE)
    device.pull('d', out=out)
    res['device'] = (device.type, out.asnumpy())

    # dist_async: each push is applied on arrival; a worker sees its own at once.
    asynchronous = kvs.create('dist_async')
    asynchronous.init(5, mx.nd.ones((BIG,)))
    asynchronous.set_optimizer(mx.optimizer.SGD(learning_rate=0.5))
    asynchronous.push(5, mx.nd.full((BIG,), r + 1))
    out = mx.nd.zeros((BIG,))
    asynchronous.pull(5, out=out)
    res['async_own'] = out.asnumpy()
    asynchronous.barrier()
    asynchronous.pull(5, out=out)
    res['async_all'] = out.asnumpy()

    res['trained'] = _train(kvs.create('dist_sync'), r, n)
    res['trained_local_update'] = _train('dist_sync', r, n, update_on_kvstore=False)
    res['async_accuracy'] = _fit(kvs.create('dist_async'), r, n, ASYNC_EPOCHS + 1)
    return res


def _gradient(rank, t):
    return np.random.RandomState(10 * rank + t).uniform(-1, 1, BIG).astype(np.float32)


def _check_job(results, num_workers, parts):
    n = num_workers
    ranks = range(n)
    assert [res['rank'] for res in results] == list(ranks)
    single = _train(None, 0, 1)
    sync_accuracy = _fit(None, 0, 1, ASYNC_EPOCHS)
    residuals = [np.zeros(BIG, np.float32) for _ in ranks]
    expected_compressed = []
    for t in range(2):
        total = np.zeros(BIG, np.float32)
        for r in ranks:
            words = quantize_2bit(_gradient(r, t), residuals[r], THRESHOLD)
            total += kvs.compression.dequantize_2bit(words, BIG, THRESHOLD)
        expected_compressed.append(total)
    opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9)
    updater = mx.optimizer.get_updater(opt)
    weight = mx.nd.ones((BIG,))
    for _ in range(2):
        updater(3, mx.nd.arange(BIG) * sum(r + 1 for r in ranks) / BIG, weight)
    for res in results:
        assert (res['num_workers'], res['type']) == (n, 'dist_sync')
        assert res['parts'] == parts
        np.testing.assert_array_equal(res['init'][0], np.ones(SHAPE))
        np.testing.assert_array_equal(res['init'][1], np.arange(BIG))
        for out in res['push']:
            np.testing.assert_array_equal(out, np.full(SHAPE, n * (n + 1) / 2 + 10 * n))
        np.testing.assert_array_equal(res['twice'], np.full(BIG, n * (n + 1) / 2))
        np.testing.assert_array_equal(res['pushpull'], np.full(SHAPE, n * (n - 1) / 2))
        rows = np.zeros((4, 2))
        rows[[res['rank'], 3]] = np.arange(8).reshape(4, 2)[[res['rank'], 3]]
        np.testing.assert_array_equal(res['row_sparse'], rows)
        np.testing.assert_allclose(res["sgd"], weight.asnumpy(), rtol=1e-5, atol=1e-6)
        for got, expected in zip(res['compressed'], expected_compressed):
            np.testing.assert_array_equal(got, expected)
        assert res['device'][0] == 'dist_device_sync'
        np.testing.assert_array_equal(res['device'][1], np.full(SHAPE, 2 * n))
        assert (res['async_own'] <= 1 - 0.5 * (res['rank'] + 1)).all()
        np.testing.assert_allclose(res['async_all'], 1 - 0.5 * n * (n + 1) / 2)
        for name in ('trained', 'trained_local_update'):
            for got, expected in zip(res[name], single):
                np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        assert res['async_accuracy'] >= sync_accuracy - 0.02


# ----------------------------------------------------------------- tests --

def test_two_workers_one_server():
    results, traces = run_distributed(_job, num_workers=2, num_servers=1, timeout=120,
                                      trace=True)
    _check_job(results, 2, parts=[1, 1])
    # MXLEARN_KV_TRACE: every push and pull, timed, with its bytes.
    for trace in traces:
        assert {op for _, _, op, _, _ in trace} == {'push', 'pull', 'pushpull'}
        assert all(end >= start for start, end, _, _, _ in trace)
        assert ('pull', 1, BIG * 4) in {(op, key, nbytes) for _, _, op, key, nbytes in trace}


def test_four_workers_two_servers_split_big_arrays():
    results = run_distributed(_job, num_workers=4, num_servers=2, timeout=120,
                              env={'MXNET_KVSTORE_BIGARRAY_BOUND': '100'})
    _check_job(results, 4, parts=[1, 2])


def _left_running(marker):
    """Processes whose environment holds ``marker``."""
    left = []
    for pid in os.listdir('/proc'):
        try:
            with open('/proc/%s/environ' % pid, 'rb') as f:
                if marker.encode() in f.read():
                    left.append(int(pid))
        except (OSError, ValueError):
            continue
    return left


def _dies(kv, how):
    kv.init(0, mx.nd.zeros((4,)))
    out = mx.nd.zeros((4,))
    for step in range(50):
        if step == 3 and kv.rank == 1:
            if how == 'kill':
                os.kill(os.getpid(), signal.SIGKILL)
            raise ValueError('bad shard')
        kv.pushpull(0, mx.nd.ones((4,)), out=out)
    return out.asnumpy()


@pytest.mark.parametrize('how, message', [
    ('kill', r'worker 1 \(MPI rank 2\) was killed by signal 9 \(SIGKILL\)'),
    ('raise', r'worker 1 \(MPI rank 2\) raised ValueError: bad shard')])
def test_a_failed_worker_stops_the_job_naming_it(how, message):
    marker = 'MXLEARN_TEST_%s' % uuid.uuid4().hex
    start = time.monotonic()
    with pytest.raises(MXNetError, match=message):
        run_distributed(_dies, num_workers=3, num_servers=1, args=(how,), timeout=60,
                        env={marker: '1'}, output=lambda line: None)
    assert time.monotonic() - start < 30
    assert _left_running(marker) == []


def _sleeps(kv):
    time.sleep(120)


def test_a_job_past_its_timeout_is_stopped():
    marker = 'MXLEARN_TEST_%s' % uuid.uuid4().hex
    start = time.monotonic()
    with pytest.raises(MXNetError, match='did not finish within 4 s'):
        run_distributed(_sleeps, num_workers=2, num_servers=1, timeout=4, env={marker: '1'})
    assert time.monotonic() - start < 15
    assert _left_running(marker) == []


class _Exploding(mx.optimizer.Optimizer):
    def update(self, index, weight, grad, state):
        raise ZeroDivisionError('no step today')


def _server_fails(kv):
    kv.init(0, mx.nd.zeros((4,)))
    kv.set_optimizer(_Exploding())
    kv.pushpull(0, mx.nd.ones((4,)), out=mx.nd.zeros((4,)))


def test_a_failed_server_stops_the_job_naming_it():
    # Its guard or a worker told of the error names it first.
    message = r'server 0 \(MPI rank 0\) (failed:|raised) ZeroDivisionError: no step'
    with pytest.raises(MXNetError, match=message):
        run_distributed(_server_fails, num_workers=2, num_servers=1, timeout=60,
                        output=lambda line: None)


# Each worker writes its line in one call: the ranks' outputs reach mpiexec's
# stdout side by side, and a line written in pieces can be split by the other's.
SCRIPT = """
import sys
import mxlearn as mx, mxlearn.kvstore as kvs
kv = kvs.create('dist_sync')
kv.init('w', mx.nd.zeros((3,)))
out = mx.nd.zeros((3,))
kv.pushpull('w', mx.nd.ones((3,)) * (kv.rank + 1), out=out)
sys.stdout.write('worker %d of %d %s\\n' % (kv.rank, kv.num_workers, out.asnumpy().tolist()))
sys.stdout.flush()
"""


def test_launcher_command_line():
    cmd = [sys.executable, '-m', 'mxlearn.launch', '-n', '2', '-s', '1']
    done = subprocess.run(cmd + [sys.executable, '-c', SCRIPT], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.split('\n'))[-2:] == ['worker 0 of 2 [3.0, 3.0, 3.0]',
                                                   'worker 1 of 2 [3.0, 3.0, 3.0]']
    # A worker that never joins would leave the servers waiting: an error.
    done = subprocess.run(cmd + [sys.executable, '-c', 'pass'], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    assert re.search(r'worker [01] \(MPI rank [12]\) finished without creating a distributed '
                     r'KVStore', done.stderr)


def test_outside_a_job_the_error_says_how_to_start_one():
    code = ('import mxlearn.kvstore as kvs\n'
            'try:\n    kvs.create("dist_sync")\n'
            'except Exception as e:\n    print(type(e).__name__, e)\n')
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          timeout=60)
    assert 'MXNetError' in done.stdout and 'python -m mxlearn.launch' in done.stdout
