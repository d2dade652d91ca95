"""Training workloads of the benchmark: Gluon epochs and an optimizer step.

f. An epoch of a Gluon MLP 784-256-256-10 (ReLU, softmax cross-entropy, SGD
   lr 0.1, batch 128) over 60,000 synthetic MNIST-shaped samples, in s
   (``mlp1024``: the same at batch 1024, run on the GPU).
g. An epoch of the LeNet of ``lenet.py`` (as Gluon layers, SGD) over 10,000
   samples, batch 128, in s.
h. One ``Trainer.step`` of Adam over a single 10M-element parameter, in ms.
i. An epoch of the same MLP written with ``mx.sym`` (SoftmaxOutput) and
   trained by ``mx.mod.Module`` over an ``mx.io.NDArrayIter`` of the 60,000
   samples, batch 128, with the accuracy metric updated every batch as
   ``Module.fit`` does, in s.
j. The Gluon MLP of (f) hybridized, in s, beside the imperative epoch.

The data are made once, already batched and already on the device, so the
epochs time the model and the optimizer, not data loading or transfers.
PyTorch runs the same networks where it is importable. Every function takes
the mxlearn context ``ctx`` and the torch device ``device`` ('cpu' or
'cuda'); a timed run ends by waiting for the device (``mx.nd.waitall()``,
``torch.cuda.synchronize()``), so that queued GPU work is counted.
"""
import time

import numpy as np


def _batches(n, batch, shape, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.rand(n, *shape).astype(np.float32)
    y = rng.randint(0, 10, n)
    return [(x[i:i + batch], y[i:i + batch]) for i in range(0, n, batch)]


def _torch_sync(torch, device):
    if device == 'cuda':
        torch.cuda.synchronize()


def best_time(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def mx_mlp(mx):
    net = mx.gluon.nn.HybridSequential()
    net.add(mx.gluon.nn.Dense(256, activation='relu'), mx.gluon.nn.Dense(256, activation='relu'),
            mx.gluon.nn.Dense(10))
    return net


def mx_lenet(mx):
    nn = mx.gluon.nn
    net = nn.HybridSequential()
    net.add(nn.Conv2D(6, 5, activation='relu'), nn.MaxPool2D(2),
            nn.Conv2D(16, 5, activation='relu'), nn.MaxPool2D(2),
            nn.Dense(120, activation='relu'), nn.Dense(84, activation='relu'), nn.Dense(10))
    return net


def torch_mlp(torch):
    nn = torch.nn
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256),
                         nn.ReLU(), nn.Linear(256, 10))


def torch_lenet(torch):
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(256, 120), nn.ReLU(),
                         nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def mx_epoch(mx, make_net, data, lr=0.1, ctx=None, hybridize=False):
    """A function running one epoch over ``data`` with Gluon on ``ctx``."""
    ctx = ctx or mx.cpu()
    mx.random.seed(0)
    net = make_net(mx)
    net.initialize(mx.init.Xavier(), ctx=ctx)
    if hybridize:
        net.hybridize(static_alloc=True, static_shape=True)
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = mx.gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
    batches = [(mx.nd.array(x, ctx=ctx), mx.nd.array(y, ctx=ctx)) for x, y in data]

    def epoch():
        for x, y in batches:
            with mx.autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(x.shape[0])
        mx.nd.waitall()
    return epoch


def worker_epoch(mx, net, loss_fn, trainer, x, y, batch, rank, share, scale):
    """One epoch of data-parallel Gluon training, as the worker ``rank`` runs it.

    The global batches are ``batch`` rows of the numpy arrays ``x``, ``y``;
    of each, the worker trains on its ``share`` rows (starting at
    ``rank * share``) and calls ``trainer.step(scale)``. Used by the
    distributed KVStore benchmark and by tests/test_kvstore_dist.py.
    """
    for start in range(rank * share, len(x), batch):
        with mx.autograd.record():
            loss = loss_fn(net(mx.nd.array(x[start:start + share])),
                           mx.nd.array(y[start:start + share]))
        loss.backward()
        trainer.step(scale)


def torch_epoch(torch, make_net, data, lr=0.1, device='cpu'):
    """A function running one epoch over ``data`` with PyTorch on ``device``."""
    torch.manual_seed(0)
    net = make_net(torch).to(device)
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    batches = [(torch.from_numpy(x).to(device), torch.from_numpy(y).to(device))
               for x, y in data]

    def epoch():
        for x, y in batches:
            opt.zero_grad()
            loss_fn(net(x), y).backward()
            opt.step()
        _torch_sync(torch, device)
    return epoch


# workload key -> (samples, batch, sample shape, data seed, mxlearn net, torch net)
EPOCHS = {
    'mlp': (60000, 128, (784,), 0, mx_mlp, torch_mlp),
    'mlp1024': (60000, 1024, (784,), 0, mx_mlp, torch_mlp),
    'lenet_epoch': (10000, 128, (1, 28, 28), 1, mx_lenet, torch_lenet),
}


def bench_epochs(mx, torch, repeat, keys=('mlp', 'lenet_epoch'), ctx=None, device='cpu'):
    """{key: {'mxlearn': s, 'torch': s}}: seconds per epoch of each workload of ``EPOCHS``."""
    res = {}
    for key in keys:
        samples, batch, shape, seed, mx_net, torch_net = EPOCHS[key]
        data = _batches(samples, batch, shape, seed=seed)
        res[key] = {}
        run = mx_epoch(mx, mx_net, data, ctx=ctx)
        run()
        res[key]['mxlearn'] = best_time(run, repeat)
        if torch is not None:
            run = torch_epoch(torch, torch_net, data, device=device)
            run()
            res[key]['torch'] = best_time(run, repeat)
    return res


def mx_module_epoch(mx, samples=60000, batch=128, lr=0.1, ctx=None):
    """A function running one Module epoch of the MLP over an NDArrayIter."""
    ctx = ctx or mx.cpu()
    mx.random.seed(0)
    rng = np.random.RandomState(0)
    x = rng.rand(samples, 784).astype(np.float32)
    y = rng.randint(0, 10, samples).astype(np.float32)
    sym = mx.sym.var('data')
    for i, hidden in enumerate((256, 256)):
        sym = mx.sym.Activation(mx.sym.FullyConnected(sym, num_hidden=hidden, name='fc%d' % i),
                                act_type='relu')
    sym = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(sym, num_hidden=10, name='fc2'),
                               name='softmax')
    it = mx.io.NDArrayIter(x, y, batch_size=batch)
    mod = mx.mod.Module(sym, context=ctx)
    mod.bind(it.provide_data, it.provide_label)
    mod.init_params(mx.init.Xavier())
    mod.init_optimizer(optimizer='sgd', optimizer_params={'learning_rate': lr})
    metric = mx.metric.create('acc')

    def epoch():
        it.reset()
        metric.reset()
        for data_batch in it:
            mod.forward_backward(data_batch)
            mod.update()
            mod.update_metric(metric, data_batch.label)
        mx.nd.waitall()
    return epoch


def bench_symbolic(mx, repeat, ctx=None):
    """(i) the Module epoch and (j) the hybridized Gluon epoch beside the imperative one, in s."""
    run = mx_module_epoch(mx, ctx=ctx)
    run()
    module = {'mxlearn': best_time(run, repeat)}
    samples, batch, shape, seed, mx_net, _ = EPOCHS['mlp']
    data = _batches(samples, batch, shape, seed=seed)
    hybrid = {}
    for key, flag in (('imperative', False), ('mxlearn', True)):
        run = mx_epoch(mx, mx_net, data, ctx=ctx, hybridize=flag)
        run()
        hybrid[key] = best_time(run, repeat)
    return module, hybrid


def bench_adam(mx, torch, repeat, size=10_000_000, ctx=None, device='cpu'):
    """Milliseconds of one Adam step over one parameter of ``size`` float32."""
    ctx = ctx or mx.cpu()
    res = {}
    w0 = np.random.RandomState(0).rand(size).astype(np.float32)
    g0 = np.random.RandomState(1).rand(size).astype(np.float32)
    param = mx.gluon.Parameter('w', shape=(size,))
    param.initialize(mx.init.Zero(), ctx=ctx)
    param.set_data(mx.nd.array(w0, ctx=ctx))
    param.grad()[:] = mx.nd.array(g0, ctx=ctx)
    trainer = mx.gluon.Trainer([param], 'adam', {'learning_rate': 1e-3})

    def step_mx():
        param.data()._fresh_grad = True
        trainer.step(1)
        mx.nd.waitall()
    step_mx()
    res['mxlearn'] = best_time(step_mx, repeat * 5) * 1e3
    if torch is not None:
        w = torch.nn.Parameter(torch.from_numpy(w0.copy()).to(device))
        w.grad = torch.from_numpy(g0.copy()).to(device)
        opt = torch.optim.Adam([w], lr=1e-3, fused=True)

        def step_torch():
            opt.step()
            _torch_sync(torch, device)
        step_torch()
        res['torch'] = best_time(step_torch, repeat * 5) * 1e3
    return res
