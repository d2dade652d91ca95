"""GPU contexts: data movement, mixing errors, per-device seeds, save/load, training.

Each test takes ``gpu_ctx`` (tests/conftest.py): it runs on the real
``mx.gpu(0)`` where CuPy and a GPU exist (``gpu`` marker), and otherwise on
``gpu(0)`` served by the CuPy stand-in of ``tests/xpstub.py``, which keeps
CuPy's rules about mixing with numpy. The last tests check what a machine
without CuPy says.
"""
import re

import numpy as np
import pytest

import mxlearn as mx
from mxlearn import autograd, gluon, nd
from mxlearn.base import MXNetError
from mxlearn.test_utils import assert_almost_equal


def rand(*shape, seed=0):
    return np.random.RandomState(seed).uniform(-1, 1, shape).astype(np.float32)


# ------------------------------------------------------------ moving data --

def test_arrays_live_on_the_device_and_move_both_ways(gpu_ctx):
    x_np = rand(2, 3)
    x = nd.array(x_np, ctx=gpu_ctx)
    assert x.context == gpu_ctx
    assert not isinstance(x._data, np.ndarray)          # a device array, not numpy
    back = x.as_in_context(mx.cpu())
    assert back.context == mx.cpu() and isinstance(back._data, np.ndarray)
    assert_almost_equal(back, x_np)
    assert x.as_in_context(gpu_ctx) is x
    assert_almost_equal(nd.array(x_np).copyto(gpu_ctx), x_np)
    into = nd.zeros((2, 3), ctx=gpu_ctx)
    assert nd.array(x_np).copyto(into) is into            # cpu -> existing gpu array
    assert_almost_equal(into.asnumpy(), x_np)
    assert (x * 2).asnumpy().dtype == np.float32 and x.asscalar is not None
    assert nd.array([7.0], ctx=gpu_ctx).asscalar() == 7.0


def test_gradients_flow_back_through_a_copy(gpu_ctx):
    x = nd.array([1.0, 2.0], ctx=mx.cpu())
    x.attach_grad()
    with autograd.record():
        y = (x.copyto(gpu_ctx) ** 2).sum()
    y.backward()
    assert x.grad.context == mx.cpu()
    assert_almost_equal(x.grad, [2.0, 4.0])


# --------------------------------------------------------- mixing devices --

@pytest.mark.parametrize('compute, name', [
    (lambda a, b: a + b, 'elemwise_add|broadcast_add'),
    (lambda a, b: nd.dot(a, b.T), 'dot'),
    (lambda a, b: nd.FullyConnected(a, b, num_hidden=2, no_bias=True), 'FullyConnected'),
    (lambda a, b: nd.concat(a, b, dim=0), 'concat|Concat'),
])
def test_mixing_devices_is_a_clear_error(gpu_ctx, compute, name):
    a, b = nd.ones((2, 3), ctx=gpu_ctx), nd.ones((2, 3), ctx=mx.cpu())
    message = r'Operator (%s).*different devices \(%s and cpu\(0\)\).*as_in_context' % (
        name, re.escape(str(gpu_ctx)))
    with pytest.raises(MXNetError, match=message):
        compute(a, b)


def test_in_place_mixing_is_an_error(gpu_ctx):
    a, b = nd.ones((2,), ctx=gpu_ctx), nd.ones((2,), ctx=mx.cpu())
    with pytest.raises(MXNetError, match='different devices'):
        a += b
    with pytest.raises(MXNetError, match=r'cannot assign an array on cpu\(0\) into one on gpu'):
        a[:] = b


# ------------------------------------------------------------ random seeds --

def test_random_numbers_are_seeded_per_device(gpu_ctx):
    def draw(ctx):
        return nd.random.uniform(shape=5, ctx=ctx).asnumpy()

    mx.random.seed(11)
    first, cpu_draws = draw(gpu_ctx), [draw(mx.cpu()) for _ in range(3)]
    assert not (first == cpu_draws[0]).all()              # each device its own stream
    mx.random.seed(11)
    assert (draw(gpu_ctx) == first).all() and (draw(mx.cpu()) == cpu_draws[0]).all()
    assert (draw(mx.cpu()) == cpu_draws[1]).all()
    mx.random.seed(11, ctx=gpu_ctx)                       # restarts the GPU's stream alone
    assert (draw(gpu_ctx) == first).all() and (draw(mx.cpu()) == cpu_draws[2]).all()


# ----------------------------------------------------------- save and load --

def test_arrays_saved_on_the_gpu_load_on_the_cpu(gpu_ctx, tmp_path):
    path = str(tmp_path / 'arrays')
    values = {'w': rand(3, 2), 'b': rand(2, seed=1)}
    nd.save(path, {k: nd.array(v, ctx=gpu_ctx) for k, v in values.items()})
    loaded = nd.load(path)
    for k, v in values.items():
        assert loaded[k].context == mx.cpu()
        assert_almost_equal(loaded[k], v)


def _mlp():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(8, activation='relu'), gluon.nn.Dense(3))
    return net


def test_a_model_trained_on_the_gpu_loads_on_the_cpu_and_back(gpu_ctx, tmp_path):
    path = str(tmp_path / 'mlp.params')
    x, y = nd.array(rand(6, 4), ctx=gpu_ctx), nd.array([0, 1, 2, 0, 1, 2], ctx=gpu_ctx)
    net = _mlp()
    net.initialize(mx.init.Xavier(), ctx=gpu_ctx)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for _ in range(3):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(6)
    net.save_parameters(path)
    expected = net(x).asnumpy()

    on_cpu = _mlp()
    on_cpu.load_parameters(path, ctx=mx.cpu())
    assert_almost_equal(on_cpu(x.as_in_context(mx.cpu())), expected, rtol=1e-5, atol=1e-6)
    cpu_path = str(tmp_path / 'from_cpu.params')
    on_cpu.save_parameters(cpu_path)
    again = _mlp()
    again.load_parameters(cpu_path, ctx=gpu_ctx)
    assert again(x).context == gpu_ctx
    assert_almost_equal(again(x), expected, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------- training --

def _convnet():
    nn = gluon.nn
    net = nn.HybridSequential()
    # (BatchNorm after the ReLU: right after a biased layer, the bias's gradient
    # would be rounding noise, which Adam amplifies differently on each device)
    net.add(nn.Conv2D(4, 3, padding=1), nn.Activation('relu'), nn.BatchNorm(),
            nn.MaxPool2D(2), nn.Conv2D(6, 3), nn.AvgPool2D(2, padding=1), nn.Flatten(),
            nn.Dropout(0.0), nn.Dense(5))
    return net


@pytest.mark.parametrize('optimizer', ['sgd', 'adam', 'rmsprop'])
@pytest.mark.parametrize('hybridize', [False, True])
def test_training_on_the_gpu_matches_the_cpu(gpu_ctx, tmp_path, optimizer, hybridize):
    path = str(tmp_path / 'init.params')
    x_np, y_np = rand(4, 2, 8, 8), np.array([0, 1, 4, 2], dtype=np.float32)
    mx.random.seed(3)
    first = _convnet()
    first.initialize(mx.init.Xavier(), ctx=mx.cpu())
    first(nd.array(x_np, ctx=mx.cpu()))         # resolve the deferred shapes
    first.save_parameters(path)
    results = []
    for ctx in (mx.cpu(), gpu_ctx):
        net = _convnet()
        net.load_parameters(path, ctx=ctx)
        if hybridize:
            net.hybridize()
        trainer = gluon.Trainer(net.collect_params(), optimizer, {'learning_rate': 0.05,
                                                                 'wd': 0.01})
        loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
        x, y = nd.array(x_np, ctx=ctx), nd.array(y_np, ctx=ctx)
        losses = []
        for _ in range(3):
            with autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(4)
            losses.append(loss.asnumpy())
        results.append((losses, [p.data().asnumpy() for p in net.collect_params().values()]))
    (cpu_losses, cpu_params), (gpu_losses, gpu_params) = results
    assert_almost_equal(np.array(gpu_losses), np.array(cpu_losses), rtol=1e-4, atol=1e-5)
    for on_gpu, on_cpu in zip(gpu_params, cpu_params):
        assert_almost_equal(on_gpu, on_cpu, rtol=1e-4, atol=1e-5)


def test_embedding_and_layer_norm_train_on_the_gpu(gpu_ctx):
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Embedding(10, 4), gluon.nn.LayerNorm(), gluon.nn.Dense(2))
    net.initialize(mx.init.Xavier(), ctx=gpu_ctx)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    tokens = nd.array([[1, 2, 2], [9, 0, 1]], ctx=gpu_ctx)
    with autograd.record():
        loss = net(tokens).sum()
    loss.backward()
    grad = net[0].weight.grad().asnumpy()
    assert (grad[[3, 4, 5, 6, 7, 8]] == 0).all() and (grad[[0, 1, 2, 9]] != 0).any()
    trainer.step(2)
    assert net[0].weight.data().context == gpu_ctx


def test_the_executor_runs_on_the_gpu(gpu_ctx):
    data = mx.sym.Variable('data')
    out = mx.sym.FullyConnected(data, num_hidden=3, name='fc')
    out = mx.sym.sum(mx.sym.relu(out))
    args = {'data': nd.array(rand(2, 4), ctx=gpu_ctx),
            'fc_weight': nd.array(rand(3, 4, seed=1), ctx=gpu_ctx),
            'fc_bias': nd.array(rand(3, seed=2), ctx=gpu_ctx)}
    grads = {k: nd.zeros(v.shape, ctx=gpu_ctx) for k, v in args.items()}
    exe = out.bind(gpu_ctx, args, args_grad=grads)
    exe.forward(is_train=True)
    exe.backward()
    with autograd.record():
        for v in args.values():
            v.attach_grad()
        expected = nd.sum(nd.relu(nd.FullyConnected(args['data'], args['fc_weight'],
                                                     args['fc_bias'], num_hidden=3)))
    expected.backward()
    assert exe.outputs[0].context == gpu_ctx
    assert_almost_equal(exe.outputs[0], expected, rtol=1e-5)
    for k in args:
        assert_almost_equal(grads[k], args[k].grad, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------- without any GPU --

def test_without_cupy_a_gpu_array_is_a_clear_error():
    from xpstub import real_cupy_available
    if real_cupy_available():
        pytest.skip('CuPy is installed here')
    assert mx.context.num_gpus() == 0
    assert mx.gpu(0).device_type == 'gpu'            # creating the context works
    with pytest.raises(MXNetError, match=r'gpu\(0\) is not available: CuPy is not installed'):
        nd.zeros((2,), ctx=mx.gpu(0))
