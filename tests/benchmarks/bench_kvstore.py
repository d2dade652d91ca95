"""Benchmark of the distributed KVStore on MPI (this machine: every process local).

Run it as a script (it is not part of the test suite)::

    python tests/benchmarks/bench_kvstore.py [--json results.json] [--quick]

Workloads
---------
a. ``kv.push(k, g); kv.pull(k, out=w)`` of one key of 1M float32 values
   (4 MB) in ``dist_sync``, with 1, 2 and 4 workers and 1 and 2 servers (the
   key is split between 2 servers: ``MXNET_KVSTORE_BIGARRAY_BOUND`` is set
   below its size), in ms: the median over the iterations of worker 0 (all
   workers wait for each other every round). ``pushpull`` (one call) too.
b. An epoch of the Gluon MLP 784-256-256-10 (SGD, lr 0.1) over 60,000
   synthetic MNIST-shaped samples with a total batch of 128: in one process,
   and with ``dist_sync`` (``Trainer(kvstore='dist_sync')``, the optimizer on
   the servers) on 2 and 4 workers and 1 server, each worker taking
   ``1/N`` of every batch, in s (worker 0's time, after a barrier).
c. Accuracy on the MNIST test set of the same MLP trained on MNIST (lr 0.1,
   total batch 128, no shuffling): in one process after 1 epoch;
   ``dist_sync`` on 2 workers after 1 epoch (the same weights, up to float32
   rounding); ``dist_async`` on 2 workers (each worker an SGD on its half of
   every batch) after 1 and 2 epochs. The issue's target: ``dist_async``
   reaches the single-process accuracy within one more epoch. MNIST is read
   from ``$MXLEARN_DATA`` (``../shared/data`` next to the repository by
   default).

Each configuration is its own MPI job (``mxlearn.launch``), started by this
script, which then runs as the workers' command (``--worker ...``). The
load average of the machine is printed with the results: other processes
on the cores change these numbers a lot.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
os.environ.setdefault('MXLEARN_DATA', os.path.join(os.path.dirname(ROOT), 'shared', 'data'))

import mxlearn as mx  # noqa: E402
import mxlearn.kvstore  # noqa: E402,F401
from mxlearn.launch import launch  # noqa: E402
from tests.benchmarks import training  # noqa: E402

SIZE = 1 << 20
TOTAL_BATCH = 128
SAMPLES = 60000
TARGET_MS = 15.0     # push+pull, 4 workers, 1 server (issue 7)


# ------------------------------------------------------------- worker side --

def worker_pushpull(iters):
    kv = mx.kv.create('dist_sync')
    kv.init(0, mx.nd.zeros((SIZE,)))
    grad = mx.nd.ones((SIZE,))
    out = mx.nd.zeros((SIZE,))

    def push_pull():
        kv.push(0, grad)
        kv.pull(0, out=out)

    def pushpull():
        kv.pushpull(0, grad, out=out)

    res = {}
    for name, step in (('push+pull', push_pull), ('pushpull', pushpull)):
        for _ in range(5):
            step()
        kv.barrier()
        times = []
        for _ in range(iters):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        res[name] = statistics.median(times) * 1e3
    return kv, res


def mlp_trainer(kv):
    """The MLP (seeded Xavier initialisation), its loss and an SGD trainer on ``kv``."""
    mx.random.seed(0)
    net = training.mx_mlp(mx)
    net.initialize(mx.init.Xavier())
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = mx.gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1},
                               kvstore=kv)
    return net, loss_fn, trainer


def worker_mlp(epochs):
    kv = mx.kv.create('dist_sync')
    batch = TOTAL_BATCH // kv.num_workers
    data = training._batches(SAMPLES, TOTAL_BATCH, (784,))
    # Each worker takes its slice of every global batch.
    lo, hi = kv.rank * batch, (kv.rank + 1) * batch
    batches = [(mx.nd.array(x[lo:hi]), mx.nd.array(y[lo:hi])) for x, y in data]
    net, loss_fn, trainer = mlp_trainer(kv)
    times = []
    for _ in range(epochs):
        kv.barrier()
        start = time.perf_counter()
        for x, y in batches:
            with mx.autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(TOTAL_BATCH)
        times.append(time.perf_counter() - start)
    return kv, {'epoch': min(times)}


def mnist():
    """(x_train, y_train, x_test, y_test) as float32 rows of 784 values in [0, 1]."""
    def arrays(train):
        data = mx.gluon.data.vision.MNIST(train=train)
        x = data._data.asnumpy().reshape(-1, 784).astype(np.float32) / 255
        return x, data._label
    return arrays(True) + arrays(False)


def train_mnist(kv, epochs):
    """Test accuracy after each epoch; ``kv`` None: one process."""
    rank, workers = (kv.rank, kv.num_workers) if kv is not None else (0, 1)
    x, y, x_test, y_test = mnist()
    share = TOTAL_BATCH // workers
    net, loss_fn, trainer = mlp_trainer(kv)
    # dist_sync sums the workers' gradients of one global batch; in
    # dist_async each worker's push is a step of its own.
    scale = share if kv is not None and kv.type == 'dist_async' else TOTAL_BATCH
    accuracy = []
    for _ in range(epochs):
        training.worker_epoch(mx, net, loss_fn, trainer, x, y, batch=TOTAL_BATCH, rank=rank,
                              share=share, scale=scale)
        pred = net(mx.nd.array(x_test)).asnumpy().argmax(axis=1)
        accuracy.append(float((pred == y_test).mean()))
    return accuracy


def worker_main(args):
    if args.worker == 'pushpull':
        kv, res = worker_pushpull(args.iters)
    elif args.worker == 'mlp':
        kv, res = worker_mlp(args.epochs)
    else:
        kv = mx.kv.create(args.worker)
        res = {'accuracy': train_mnist(kv, args.epochs)}
    if kv.rank == 0:
        print('RESULT ' + json.dumps(res), flush=True)


# ------------------------------------------------------------- driver side --

def run_job(num_workers, num_servers, worker_args, env=None):
    lines = []
    try:
        launch(num_workers, num_servers,
               [sys.executable, os.path.abspath(__file__), '--worker'] + worker_args,
               env=env, output=lines.append, timeout=600)
    except mx.MXNetError:
        sys.stdout.write(''.join(lines))
        raise
    for line in lines:
        if line.startswith('RESULT '):
            return json.loads(line[len('RESULT '):])
    raise RuntimeError('no result from the job:\n' + ''.join(lines))


def single_process_epoch(epochs):
    run = training.mx_epoch(mx, training.mx_mlp,
                            training._batches(SAMPLES, TOTAL_BATCH, (784,)))
    return training.best_time(run, epochs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--json', help='write the results to this file')
    parser.add_argument('--quick', action='store_true', help='fewer iterations')
    parser.add_argument('--worker', choices=('pushpull', 'mlp', 'dist_sync', 'dist_async'),
                        help=argparse.SUPPRESS)
    parser.add_argument('--iters', type=int, default=100, help=argparse.SUPPRESS)
    parser.add_argument('--epochs', type=int, default=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args)
        return
    iters, epochs = (30, 1) if args.quick else (100, 2)
    results = {'load_before': os.getloadavg()[0], 'pushpull_ms': {}, 'mlp_epoch_s': {}}
    print('load average before: %.2f' % results['load_before'])
    print('\na. push+pull of 1M float32, dist_sync, median ms (pushpull in brackets)')
    for servers in (1, 2):
        for workers in (1, 2, 4):
            env = {'MXNET_KVSTORE_BIGARRAY_BOUND': str(SIZE - 1)}
            res = run_job(workers, servers, ['pushpull', '--iters', str(iters)], env)
            results['pushpull_ms']['%dw%ds' % (workers, servers)] = res
            print('  %d worker(s), %d server(s): %6.2f ms  (%6.2f)'
                  % (workers, servers, res['push+pull'], res['pushpull']), flush=True)
    print('\nb. Gluon MLP epoch (60,000 samples, total batch 128), s')
    single = single_process_epoch(epochs)
    results['mlp_epoch_s']['1 process'] = single
    print('  1 process:            %6.2f s' % single, flush=True)
    for workers in (2, 4):
        res = run_job(workers, 1, ['mlp', '--epochs', str(epochs)])
        results['mlp_epoch_s']['dist_sync %dw1s' % workers] = res['epoch']
        print('  dist_sync, %d workers: %6.2f s' % (workers, res['epoch']), flush=True)
    print('\nc. MNIST test accuracy of the MLP (total batch 128)')
    single = train_mnist(None, 1)
    sync = run_job(2, 1, ['dist_sync', '--epochs', '1'])['accuracy']
    asynchronous = run_job(2, 1, ['dist_async', '--epochs', '2'])['accuracy']
    results['mnist_accuracy'] = {'1 process': single, 'dist_sync 2w1s': sync,
                                 'dist_async 2w1s': asynchronous}
    print('  1 process, 1 epoch:              %.4f' % single[0])
    print('  dist_sync, 2 workers, 1 epoch:   %.4f' % sync[0])
    print('  dist_async, 2 workers, 1 and 2 epochs: %.4f %.4f' % tuple(asynchronous))
    results['load_after'] = os.getloadavg()[0]
    target = results['pushpull_ms']['4w1s']['push+pull']
    print('\nload average after: %.2f' % results['load_after'])
    print('target: push+pull 4 workers 1 server %.2f ms <= %.0f ms: %s'
          % (target, TARGET_MS, 'met' if target <= TARGET_MS else 'NOT met'))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=1)


if __name__ == '__main__':
    main()
