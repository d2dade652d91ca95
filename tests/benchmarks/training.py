"""Training workloads of the benchmark: Gluon epochs and an optimizer step.

f. An epoch of a Gluon MLP 784-256-256-10 (ReLU, softmax cross-entropy, SGD
   lr 0.1, batch 128) over 60,000 synthetic MNIST-shaped samples, in s.
g. An epoch of the LeNet of ``lenet.py`` (as Gluon layers, SGD) over 10,000
   samples, batch 128, in s.
h. One ``Trainer.step`` of Adam over a single 10M-element parameter, in ms.

The data are made once, already batched, so the epochs time the model and
the optimizer, not data loading. PyTorch runs the same networks where it is
importable.
"""
import time

import numpy as np


def _batches(n, batch, shape, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.rand(n, *shape).astype(np.float32)
    y = rng.randint(0, 10, n)
    return [(x[i:i + batch], y[i:i + batch]) for i in range(0, n, batch)]


def _best(fn, repeat):
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


def mx_epoch(mx, make_net, data, lr=0.1):
    """Seconds for one epoch over ``data`` with Gluon (best of the calls made)."""
    mx.random.seed(0)
    net = make_net(mx)
    net.initialize(mx.init.Xavier())
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = mx.gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
    batches = [(mx.nd.array(x), mx.nd.array(y)) for x, y in data]

    def epoch():
        for x, y in batches:
            with mx.autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(x.shape[0])
        mx.nd.waitall()
    return epoch


def torch_epoch(torch, make_net, data, lr=0.1):
    torch.manual_seed(0)
    net = make_net(torch)
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    batches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in data]

    def epoch():
        for x, y in batches:
            opt.zero_grad()
            loss_fn(net(x), y).backward()
            opt.step()
    return epoch


def bench_epochs(mx, torch, repeat):
    """{'mlp': {...}, 'lenet_epoch': {...}}: seconds per epoch for each framework."""
    mlp_data = _batches(60000, 128, (784,))
    lenet_data = _batches(10000, 128, (1, 28, 28), seed=1)
    res = {'mlp': {}, 'lenet_epoch': {}}
    for key, data, mx_net, torch_net in (('mlp', mlp_data, mx_mlp, torch_mlp),
                                         ('lenet_epoch', lenet_data, mx_lenet, torch_lenet)):
        run = mx_epoch(mx, mx_net, data)
        run()
        res[key]['mxlearn'] = _best(run, repeat)
        if torch is not None:
            run = torch_epoch(torch, torch_net, data)
            run()
            res[key]['torch'] = _best(run, repeat)
    return res


def bench_adam(mx, torch, repeat, size=10_000_000):
    """Milliseconds of one Adam step over one parameter of ``size`` float32."""
    res = {}
    w0 = np.random.RandomState(0).rand(size).astype(np.float32)
    g0 = np.random.RandomState(1).rand(size).astype(np.float32)
    param = mx.gluon.Parameter('w', shape=(size,))
    param.initialize(mx.init.Zero())
    param.set_data(mx.nd.array(w0))
    param.grad()[:] = mx.nd.array(g0)
    trainer = mx.gluon.Trainer([param], 'adam', {'learning_rate': 1e-3})

    def step_mx():
        param.data()._fresh_grad = True
        trainer.step(1)
    step_mx()
    res['mxlearn'] = _best(step_mx, repeat * 5) * 1e3
    if torch is not None:
        w = torch.nn.Parameter(torch.from_numpy(w0.copy()))
        w.grad = torch.from_numpy(g0.copy())
        opt = torch.optim.Adam([w], lr=1e-3, fused=True)
        opt.step()
        res['torch'] = _best(opt.step, repeat * 5) * 1e3
    return res
