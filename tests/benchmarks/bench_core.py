"""Benchmark of mxlearn's core against numpy and PyTorch (CPU).

Run it as a script (it is not part of the test suite)::

    python tests/benchmarks/bench_core.py [--json results.json] [--quick]

Workloads
---------
a. ``c = a + b`` on 10-element float32 arrays: the per-op cost of dispatch,
   in µs per op.
b. A chain of 100 small elementwise ops on 10-element arrays, recorded for
   autograd and then differentiated; total time / 100, in µs per op. The
   chain repeats ``y = y * w; y = y + b; y = tanh(y); y = exp(y)``, written
   the same way in every framework.
c. ``dot`` of two 1024 x 1024 float32 matrices, in GFLOP/s (2 n^3 / time).
d. A LeNet-sized network (``lenet.py``) on a batch of 128 MNIST-shaped
   images: forward, softmax cross-entropy and backward to every weight, in
   ms per batch (``x 78.1`` gives an epoch of 10,000 samples).
e. The same network's forward alone, in ms per batch.
f, g, h. Gluon training: an MLP epoch, a LeNet epoch and an Adam step
   (``training.py``).
i. The time of ``import`` in a fresh interpreter, in seconds, with bytecode
   cached as for an installed package.

PyTorch is optional: without it its column shows ``-``. PyTorch is given as
many threads as the machine has cores; numpy's BLAS keeps its own default.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import timeit

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import mxlearn as mx  # noqa: E402
from tests.benchmarks import lenet, training  # noqa: E402

try:
    import torch
except ImportError:   # the benchmark runs without torch
    torch = None

N_SMALL = 10
CHAIN_OPS = 100
DOT_N = 1024

# Targets from the issue: (workload key, comparison, bound, description).
TARGETS = {
    'add': ('<=', 'torch', 1.0, '<= torch'),
    'chain': ('<=', 'torch', 1.0, '<= torch'),
    'dot': ('>=', 'numpy', 0.9, '>= 0.9x numpy'),
    'lenet': ('<=', 'torch', 1.5, '<= 1.5x torch'),
    'lenet_fwd': ('<=', 'torch', 1.5, '<= 1.5x torch'),
    'mlp': ('<=', 'torch', 1.0, '<= torch'),
    'lenet_epoch': ('<=', 'torch', 1.5, '<= 1.5x torch'),
    'adam': ('<=', 'torch', 1.0, '<= torch'),
    'import': ('<', None, 0.3, '< 0.3 s'),
}


def best_per_call(fn, number, repeat):
    """Best (over ``repeat`` runs) mean time of one call of ``fn``, in seconds."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


# ---------------------------------------------------------------- workloads --

def bench_add(number, repeat):
    a_np = np.random.rand(N_SMALL).astype(np.float32)
    b_np = np.random.rand(N_SMALL).astype(np.float32)
    res = {}
    a, b = mx.nd.array(a_np), mx.nd.array(b_np)
    res['mxlearn'] = best_per_call(lambda: a + b, number, repeat) * 1e6
    res['numpy'] = best_per_call(lambda: a_np + b_np, number, repeat) * 1e6
    if torch is not None:
        at, bt = torch.from_numpy(a_np), torch.from_numpy(b_np)
        res['torch'] = best_per_call(lambda: at + bt, number, repeat) * 1e6
    return res


def _chain(y, w, b, tanh, exp):
    for _ in range(CHAIN_OPS // 4):
        y = y * w
        y = y + b
        y = tanh(y)
        y = exp(y)
    return y


def bench_chain(number, repeat):
    x_np = np.random.rand(N_SMALL).astype(np.float32)
    w_np = (np.random.rand(N_SMALL) * 0.5).astype(np.float32)
    b_np = (np.random.rand(N_SMALL) * 0.1).astype(np.float32)
    res = {}

    x, w, b = mx.nd.array(x_np), mx.nd.array(w_np), mx.nd.array(b_np)
    for v in (x, w, b):
        v.attach_grad()

    def run_mx():
        with mx.autograd.record():
            y = _chain(x, w, b, mx.nd.tanh, mx.nd.exp)
        y.backward()

    run_mx()
    res['mxlearn'] = best_per_call(run_mx, number, repeat) * 1e6 / CHAIN_OPS

    if torch is not None:
        xt, wt, bt = (torch.tensor(v, requires_grad=True) for v in (x_np, w_np, b_np))
        ones = torch.ones(N_SMALL)

        def run_torch():
            y = _chain(xt, wt, bt, torch.tanh, torch.exp)
            y.backward(ones)

        run_torch()
        res['torch'] = best_per_call(run_torch, number, repeat) * 1e6 / CHAIN_OPS
    return res


def bench_dot(repeat):
    a_np = np.random.rand(DOT_N, DOT_N).astype(np.float32)
    b_np = np.random.rand(DOT_N, DOT_N).astype(np.float32)
    flops = 2.0 * DOT_N ** 3
    res, notes = {}, []
    if hasattr(mx.nd, 'dot'):
        a, b = mx.nd.array(a_np), mx.nd.array(b_np)

        def run_mx():
            mx.nd.dot(a, b).wait_to_read()

        run_mx()
        res['mxlearn'] = flops / best_per_call(run_mx, 1, repeat) / 1e9
    else:
        notes.append('mx.nd.dot does not exist yet')
    np.matmul(a_np, b_np)
    res['numpy'] = flops / best_per_call(lambda: np.matmul(a_np, b_np), 1, repeat) / 1e9
    if torch is not None:
        at, bt = torch.from_numpy(a_np), torch.from_numpy(b_np)
        torch.matmul(at, bt)
        res['torch'] = flops / best_per_call(lambda: torch.matmul(at, bt), 1, repeat) / 1e9
    return res, notes


def bench_lenet(repeat, batch=128):
    """(forward+backward, forward) results in ms per batch, and notes."""
    weights = lenet.make_weights()
    x_np, y_np = lenet.make_batch(batch)
    fwd_bwd, fwd, notes = {}, {}, []
    missing = [op for op in ('Convolution', 'Pooling', 'FullyConnected', 'softmax_cross_entropy')
               if not hasattr(mx.nd, op)]
    if missing:
        notes.append('LeNet: mx.nd.%s does not exist yet' % ', '.join(missing))
    else:
        p = {k: mx.nd.array(v) for k, v in weights.items()}
        for v in p.values():
            v.attach_grad()
        x, y = mx.nd.array(x_np), mx.nd.array(y_np)

        def step_mx():
            with mx.autograd.record():
                loss = lenet.mx_forward(mx.nd, p, x, y)
            loss.backward()
            mx.nd.waitall()

        def forward_mx():
            lenet.mx_forward(mx.nd, p, x, y).wait_to_read()

        step_mx()
        fwd_bwd['mxlearn'] = best_per_call(step_mx, 10, repeat) * 1e3
        fwd['mxlearn'] = best_per_call(forward_mx, 10, repeat) * 1e3
    if torch is not None:
        pt = {k: torch.tensor(v, requires_grad=True) for k, v in weights.items()}
        xt, yt = torch.from_numpy(x_np), torch.from_numpy(y_np.astype(np.int64))

        def step_torch():
            for v in pt.values():
                v.grad = None
            lenet.torch_forward(torch, pt, xt, yt).backward()

        def forward_torch():
            with torch.no_grad():
                lenet.torch_forward(torch, pt, xt, yt)

        step_torch()
        fwd_bwd['torch'] = best_per_call(step_torch, 10, repeat) * 1e3
        fwd['torch'] = best_per_call(forward_torch, 10, repeat) * 1e3
    return fwd_bwd, fwd, notes


def import_time(module, repeat, pycache):
    """Best time of ``import module`` in a fresh interpreter, in seconds.

    As on an installed package, modules load from cached bytecode: the
    bytecode goes to the folder ``pycache`` (not into the source tree), an
    untimed first import fills it, and PYTHONDONTWRITEBYTECODE is ignored.
    """
    code = ('import time; t = time.perf_counter(); import %s; '
            'print(time.perf_counter() - t)' % module)
    env = dict(os.environ)
    env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
    env.pop('PYTHONDONTWRITEBYTECODE', None)
    env['PYTHONPYCACHEPREFIX'] = pycache
    times = []
    for _ in range(repeat + 1):
        out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                             env=env, cwd=ROOT)
        if out.returncode != 0:
            return None
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return min(times[1:])


def bench_import(repeat):
    with tempfile.TemporaryDirectory(prefix='bench_pycache_') as pycache:
        res = {'mxlearn': import_time('mxlearn', repeat, pycache),
               'numpy': import_time('numpy', repeat, pycache)}
        if torch is not None:
            res['torch'] = import_time('torch', repeat, pycache)
    return {k: v for k, v in res.items() if v is not None}


# ------------------------------------------------------------------ report --

def verdict(key, res):
    """(ratio text, target text, met) for a workload's results."""
    op, ref, bound, text = TARGETS[key]
    m = res.get('mxlearn')
    if m is None:
        return '-', text, None
    if ref is None:
        return '-', text, m < bound
    r = res.get(ref)
    if r is None:
        return '-', text, None
    ratio = m / r
    met = ratio <= bound if op == '<=' else ratio >= bound
    return '%.2fx %s' % (ratio, ref), text, met


def fmt(v, digits):
    return '-' if v is None else '%.*f' % (digits, v)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--json', metavar='PATH', help='also write the results as JSON')
    parser.add_argument('--quick', action='store_true', help='fewer repeats (a rough run)')
    args = parser.parse_args(argv)

    cores = os.cpu_count() or 1
    if torch is not None:
        torch.set_num_threads(cores)
    scale = 0.2 if args.quick else 1.0
    np.random.seed(0)

    results = {
        'add': bench_add(int(20000 * scale) or 1, 7),
        'chain': bench_chain(int(200 * scale) or 1, 5),
    }
    results['dot'], notes = bench_dot(3 if args.quick else 10)
    results['lenet'], results['lenet_fwd'], lenet_notes = bench_lenet(3 if args.quick else 7)
    notes += lenet_notes
    results.update(training.bench_epochs(mx, torch, 2 if args.quick else 3))
    results['adam'] = training.bench_adam(mx, torch, 2 if args.quick else 4)
    results['import'] = bench_import(3 if args.quick else 5)

    rows = [('add', 'a) c = a + b, 10 x f32', 'µs/op', 3),
            ('chain', 'b) 100-op chain + backward', 'µs/op', 3),
            ('dot', 'c) dot 1024x1024 f32', 'GFLOP/s', 1),
            ('lenet', 'd) LeNet fwd+bwd, batch 128', 'ms', 2),
            ('lenet_fwd', 'e) LeNet forward, batch 128', 'ms', 2),
            ('mlp', 'f) Gluon MLP epoch, 60k', 's', 3),
            ('lenet_epoch', 'g) Gluon LeNet epoch, 10k', 's', 3),
            ('adam', 'h) Adam step, 10M params', 'ms', 2),
            ('import', 'i) import time', 's', 3)]
    header = ('workload', 'unit', 'mxlearn', 'numpy', 'torch', 'ratio', 'target', 'met')
    table = []
    summary = {}
    for key, label, unit, digits in rows:
        res = results[key]
        ratio, target, met = verdict(key, res)
        table.append((label, unit, fmt(res.get('mxlearn'), digits),
                      fmt(res.get('numpy'), digits), fmt(res.get('torch'), digits),
                      ratio, target, '-' if met is None else ('yes' if met else 'NO')))
        summary[key] = dict(res, unit=unit, target=target, met=met)
    widths = [max(len(str(r[i])) for r in [header] + table) for i in range(len(header))]

    def line(r):
        return ' | '.join(str(c).ljust(w) for c, w in zip(r, widths))

    print('mxlearn %s, numpy %s, torch %s, Python %s, %s, %d cores (torch threads %s)'
          % (mx.__version__, np.__version__, torch.__version__ if torch else '-',
             platform.python_version(), platform.machine(), cores,
             torch.get_num_threads() if torch else '-'))
    print(line(header))
    print('-+-'.join('-' * w for w in widths))
    for r in table:
        print(line(r))
    for note in notes:
        print('note: ' + note)

    if args.json:
        meta = {'mxlearn': mx.__version__, 'numpy': np.__version__,
                'torch': torch.__version__ if torch else None,
                'python': platform.python_version(), 'cores': cores,
                'notes': notes}
        with open(args.json, 'w') as f:
            json.dump({'meta': meta, 'results': summary}, f, indent=1)
    return summary


if __name__ == '__main__':
    main()
