"""HybridBlock.hybridize: the traced graph against the imperative run.

Every gluon.nn layer is run twice from the same seed, once imperatively and
once hybridized: outputs, input gradients, Parameter gradients and the values
of the Parameters afterwards (BatchNorm's running statistics) must agree. The
rest covers the cached programs, deferred initialization and the tape.
"""
import warnings

import numpy as np
import pytest

import mxlearn as mx
from mxlearn import autograd, nd
from mxlearn.base import MXNetError
from mxlearn.gluon import HybridBlock, nn
from mxlearn.test_utils import assert_almost_equal


def rand(shape, seed=0):
    return np.random.RandomState(seed).uniform(-2, 2, shape).astype(np.float32)


def seq(*layers):
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(*layers)
    return net


def nested():
    inner = seq(nn.Dense(6, activation='relu'), nn.BatchNorm())
    # in_units: a layer after Dropout must not draw its initial weights after the mask
    return seq(inner, nn.Dropout(0.3), nn.Dense(3, in_units=6),
               nn.HybridLambda(lambda F, x: F.tanh(x) * 2))


def _none_input_accepted():
    """Whether mx.sym functions take None for a left-out optional input (Dense(use_bias=False))."""
    try:
        mx.sym.FullyConnected(mx.sym.var('x'), mx.sym.var('w'), None, no_bias=True, num_hidden=1)
    except MXNetError:
        return False
    return True


# Until mx.sym's generated functions accept None for a left-out optional input
# (FullyConnected(x, w, None, no_bias=True), as the layers call them), layers
# without a bias cannot be traced.
NONE_INPUT = pytest.mark.xfail(not _none_input_accepted(), strict=True,
                               reason='mx.sym functions reject None for an optional input')


# name: (block factory, input shape or None for integer indices)
LAYERS = {
    'dense': (lambda: nn.Dense(5), (3, 4)),
    'dense_no_bias_tanh': (lambda: nn.Dense(5, use_bias=False, activation='tanh'), (3, 4)),
    'dense_no_flatten': (lambda: nn.Dense(5, flatten=False, activation='sigmoid'), (3, 2, 4)),
    'conv1d': (lambda: nn.Conv1D(3, 3, padding=1), (2, 2, 7)),
    'conv2d': (lambda: nn.Conv2D(3, 3, strides=2, activation='relu'), (2, 2, 7, 7)),
    'conv2d_no_bias': (lambda: nn.Conv2D(4, 3, use_bias=False, groups=2), (2, 2, 6, 6)),
    'conv1d_transpose': (lambda: nn.Conv1DTranspose(3, 3, strides=2), (2, 2, 5)),
    'conv2d_transpose': (lambda: nn.Conv2DTranspose(3, 3, strides=2, padding=1), (2, 2, 4, 4)),
    'maxpool1d': (lambda: nn.MaxPool1D(2), (2, 2, 6)),
    'maxpool2d': (lambda: nn.MaxPool2D(3, strides=2, padding=1), (2, 2, 6, 6)),
    'avgpool2d': (lambda: nn.AvgPool2D(2, ceil_mode=True), (2, 2, 5, 5)),
    'global_avgpool2d': (lambda: nn.GlobalAvgPool2D(), (2, 2, 4, 4)),
    'global_maxpool1d': (lambda: nn.GlobalMaxPool1D(), (2, 2, 5)),
    'batchnorm': (lambda: nn.BatchNorm(), (4, 3, 2, 2)),
    'batchnorm_fixed_gamma': (lambda: nn.BatchNorm(scale=False, momentum=0.5), (5, 3)),
    'dropout': (lambda: nn.Dropout(0.5), (4, 5)),
    'dropout_axes': (lambda: nn.Dropout(0.4, axes=(1,)), (4, 5, 3)),
    'embedding': (lambda: nn.Embedding(10, 4), None),
    'layernorm': (lambda: nn.LayerNorm(), (3, 5)),
    'instancenorm': (lambda: nn.InstanceNorm(scale=True), (2, 3, 4)),
    'activation_softrelu': (lambda: nn.Activation('softrelu'), (3, 4)),
    'leakyrelu': (lambda: nn.LeakyReLU(0.1), (3, 4)),
    'prelu': (lambda: nn.PReLU(), (3, 4)),
    'elu': (lambda: nn.ELU(), (3, 4)),
    'selu': (lambda: nn.SELU(), (3, 4)),
    'gelu': (lambda: nn.GELU(), (3, 4)),
    'swish': (lambda: nn.Swish(), (3, 4)),
    'flatten': (lambda: nn.Flatten(), (3, 2, 2)),
    'reflection_pad': (lambda: nn.ReflectionPad2D(1), (1, 2, 4, 4)),
    'hybrid_lambda_name': (lambda: nn.HybridLambda('tanh'), (3, 4)),
    'hybrid_lambda_function': (lambda: nn.HybridLambda(lambda F, x: F.relu(x) * x + 1), (3, 4)),
    'nested_sequential': (nested, (4, 5)),
}


def run(make, shape, train, hybridize):
    """Output, input gradient, Parameter gradients and values of one recorded run."""
    mx.random.seed(7)
    block = make()
    block.initialize()
    if hybridize:
        block.hybridize()
    if shape is None:
        x = nd.array(np.random.RandomState(1).randint(0, 10, (3, 4)))
    else:
        x = nd.array(rand(shape, 1))
        x.attach_grad()
    with autograd.record(train_mode=train):
        out = block(x)
    out.backward(nd.array(rand(out.shape, 2)))
    params = list(block.collect_params().values())
    grads = [p.grad().asnumpy() for p in params if p.grad_req != 'null']
    values = [p.data().asnumpy() for p in params]
    return block, out.asnumpy(), None if shape is None else x.grad.asnumpy(), grads, values


@pytest.mark.parametrize('train', [True, False], ids=['train', 'predict'])
@pytest.mark.parametrize('name', [pytest.param(n, marks=NONE_INPUT) if 'no_bias' in n else n
                                  for n in sorted(LAYERS)])
def test_hybridized_layer_equals_imperative(name, train):
    make, shape = LAYERS[name]
    _, out, x_grad, grads, values = run(make, shape, train, hybridize=False)
    block, h_out, h_x_grad, h_grads, h_values = run(make, shape, train, hybridize=True)
    assert block._cached_graph and len(block._cached_op.programs) == 1
    assert_almost_equal(h_out, out, rtol=1e-5, atol=1e-6)
    if x_grad is not None:
        assert_almost_equal(h_x_grad, x_grad, rtol=1e-5, atol=1e-6)
    for got, want in zip(h_grads + h_values, grads + values):
        assert_almost_equal(got, want, rtol=1e-5, atol=1e-6)


def test_batchnorm_running_stats_move_only_in_training():
    bn = nn.BatchNorm(in_channels=2)
    bn.initialize()
    bn.hybridize()
    x = nd.array([[1, 10], [3, 30]])
    bn(x)
    assert_almost_equal(bn.running_mean.data(), [0, 0])
    with autograd.record():
        bn(x)
    assert_almost_equal(bn.running_mean.data(), [0.2, 2.0])


def test_lambda_inside_a_plain_sequential_stays_imperative():
    net = nn.Sequential()
    net.add(seq(nn.Dense(4)), nn.Lambda(lambda x: x * 3), nn.Dense(2))
    net.initialize()
    x = nd.array(rand((2, 3)))
    want = net(x).asnumpy()
    net.hybridize()
    assert net[0]._active and net[2]._active
    assert_almost_equal(net(x), want, rtol=1e-6)
    assert net[0]._cached_graph and net[2]._cached_graph


# ------------------------------------------------------------- the tape --

def test_the_graph_is_one_node_on_the_tape():
    net = seq(nn.Dense(4, activation='relu'), nn.Dense(2))
    net.initialize()
    net.hybridize()
    with autograd.record():
        out = net(nd.ones((3, 5)))
    assert out._node.op.name == '_CachedOp'
    assert [x.shape for x in out._node.inputs] == [(3, 5), (4, 5), (4,), (2, 4), (2,)]


def test_gradients_flow_through_layers_around_the_graph():
    body = seq(nn.Dense(4, activation='tanh'), nn.Dense(3))
    body.initialize()
    x = nd.array(rand((2, 5)))
    w = nd.array(rand((2, 5), 3))
    w.attach_grad()
    grads = []
    for hybrid in (False, True):
        body.hybridize(hybrid)
        with autograd.record():
            loss = (body(x * w) ** 2).sum()
        loss.backward()
        grads.append((w.grad.asnumpy(), body[0].weight.grad().asnumpy()))
    assert_almost_equal(grads[1][0], grads[0][0], rtol=1e-5)
    assert_almost_equal(grads[1][1], grads[0][1], rtol=1e-5)


def test_grad_req_add_accumulates():
    net = nn.Dense(2, in_units=3)
    net.initialize()
    net.weight.grad_req = 'add'
    net.hybridize()
    x = nd.array(rand((4, 3)))
    for _ in range(2):
        with autograd.record():
            y = net(x).sum()
        y.backward()
    assert_almost_equal(net.weight.grad(), 2 * np.tile(x.asnumpy().sum(0), (2, 1)), rtol=1e-5)


def test_no_gradient_is_computed_for_a_constant_input():
    net = nn.Dense(2, in_units=3)
    net.initialize()
    net.hybridize()
    x = nd.ones((4, 3))
    with autograd.record():
        net(x)
    net(x)
    wanted = sorted(str(key[1]) for key in net._cached_op.programs)
    # recording: weight and bias, not the data; predicting: no gradient at all
    assert wanted == ['(False, True, True)', 'None']


def test_second_order_gradients_are_refused():
    net = nn.Dense(1, in_units=2, activation='tanh')
    net.initialize()
    net.hybridize()
    x = nd.array([[0.5, -1]])
    x.attach_grad()
    with autograd.record():
        y = net(x)
        with pytest.raises(MXNetError, match='create_graph'):
            autograd.grad(y, [x], create_graph=True)


def test_two_forwards_before_backward():
    net = nn.Dense(2, in_units=3)
    net.initialize()
    net.hybridize()
    a, b = nd.array(rand((2, 3), 1)), nd.array(rand((2, 3), 2))
    with autograd.record():
        loss = (net(a) * 2).sum() + (net(b) ** 2).sum()
    loss.backward()
    got = net.weight.grad().asnumpy()
    net.hybridize(False)
    with autograd.record():
        loss = (net(a) * 2).sum() + (net(b) ** 2).sum()
    loss.backward()
    assert_almost_equal(got, net.weight.grad(), rtol=1e-5)


def test_training_with_a_trainer_matches_imperative():
    finals = []
    for hybrid in (False, True):
        mx.random.seed(3)
        net = seq(nn.Dense(8, activation='relu'), nn.BatchNorm(), nn.Dense(3))
        net.initialize(mx.init.Xavier())
        if hybrid:
            net.hybridize(static_alloc=True, static_shape=True)
        trainer = mx.gluon.Trainer(net.collect_params(), 'sgd',
                                   {'learning_rate': 0.1, 'momentum': 0.9})
        loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
        for step in range(3):
            x = nd.array(rand((6, 4), step))
            y = nd.array(np.arange(6) % 3)
            with autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(6)
        finals.append([p.data().asnumpy() for p in net.collect_params().values()])
    for got, want in zip(*finals[::-1]):
        assert_almost_equal(got, want, rtol=1e-4, atol=1e-6)


def test_parameters_on_several_contexts():
    net = seq(nn.Dense(4, activation='relu'), nn.Dense(2))
    net.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    net.hybridize()
    x = rand((3, 5))
    for ctx in (mx.cpu(0), mx.cpu(1)):
        with autograd.record():
            y = net(nd.array(x, ctx=ctx))
        y.backward()
        assert y.context == ctx
    weight = net[0].weight
    assert_almost_equal(weight.grad(mx.cpu(1)), weight.grad(mx.cpu(0)))
    assert np.abs(weight.grad(mx.cpu(1)).asnumpy()).sum() > 0
    assert sorted(str(key[0]) for key in net._cached_op.programs) == ['cpu(0)', 'cpu(1)']


# ----------------------------------------------------- cache and shapes --

def test_programs_are_reused_and_rebound_on_new_shapes():
    net = seq(nn.Dense(3, activation='relu'), nn.Dense(2))
    net.initialize()
    net.hybridize()
    for batch in (4, 4, 6, 4):
        assert net(nd.ones((batch, 5))).shape == (batch, 2)
    graph = net._cached_graph
    assert len(net._cached_op.programs) == 2
    net(nd.ones((7, 5)))
    assert net._cached_graph is graph and len(net._cached_op.programs) == 3
    net.hybridize(static_shape=True)
    for batch in (4, 6):
        net(nd.ones((batch, 5)))
    assert len(net._cached_op.programs) == 1


def test_hybridize_again_or_off():
    net = seq(nn.Dense(2, in_units=3))
    net.initialize()
    x = nd.ones((1, 3))
    net.hybridize()
    want = net(x).asnumpy()
    net.hybridize()
    assert not net._cached_graph
    net.hybridize(active=False)
    assert_almost_equal(net(x), want)
    assert not net._cached_graph and net._cached_op is None


def test_input_names_and_several_outputs():
    class Pair(HybridBlock):
        def hybrid_forward(self, F, a, b):
            return a + b, [a * b, F.relu(a)]

    block = Pair(prefix='pair_')
    block.hybridize()
    a, b = nd.array([1.0, -2.0]), nd.array([3.0, 4.0])
    a.attach_grad()
    with autograd.record():
        total, (product, positive) = block(a, b)
        loss = (total + product + positive).sum()
    loss.backward()
    inputs, out = block._cached_graph
    assert [s.name for s in inputs] == ['data0', 'data1'] and len(out) == 3
    assert_almost_equal(total, [4, 2])
    assert_almost_equal(product, [3, -8])
    assert_almost_equal(positive, [1, 0])
    assert_almost_equal(a.grad, [1 + 3 + 1, 1 + 4 + 0])
    with pytest.raises(MXNetError, match='argument structure'):
        block(a, [b])


def test_a_single_input_is_named_data():
    net = nn.Dense(2, in_units=3, prefix='fc_')
    net.initialize()
    net.hybridize()
    net(nd.ones((1, 3)))
    assert net._cached_graph[1].list_arguments() == ['data', 'fc_weight', 'fc_bias']
    assert net._cached_graph[1].list_outputs() == ['fc_fwd_output']


def test_called_with_symbols_the_block_builds_a_graph():
    net = nn.HybridSequential(prefix='net_')
    with net.name_scope():
        net.add(nn.Conv2D(4, 3), nn.BatchNorm(), nn.Flatten(), nn.Dense(2))
    out = net(mx.sym.var('data'))
    assert out.list_auxiliary_states() == ['net_batchnorm0_running_mean',
                                           'net_batchnorm0_running_var']
    assert out.list_outputs() == ['net_dense0_fwd_output']
    assert out.infer_shape(data=(1, 3, 6, 6))[1] == [(1, 2)]


# ------------------------------------------------------ deferred shapes --

def test_deferred_shapes_come_from_the_graph():
    net = seq(nn.Conv2D(4, 3), nn.BatchNorm(), nn.Dense(5, flatten=True), nn.PReLU())
    net.initialize()
    net.hybridize()
    assert net(nd.ones((2, 3, 6, 6))).shape == (2, 5)
    shapes = [p.shape for p in net.collect_params().values()]
    assert shapes == [(4, 3, 3, 3), (4,), (4,), (4,), (4,), (4,), (5, 64), (5,), (1,)]


class Bilinear(HybridBlock):
    """x W x^T: ``dot`` has no rule for its operands' shapes, so ``infer_shape`` sets W's."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.w = self.params.get('w', shape=(0, 0), allow_deferred_init=True)

    def infer_shape(self, x):
        self.w.shape = (x.shape[1], x.shape[1])

    def hybrid_forward(self, F, x, w):
        return F.sum(F.dot(x, w) * x, axis=1)


def test_deferred_shapes_the_graph_cannot_infer_come_from_the_layer_hook():
    net = seq(nn.Dense(3), Bilinear(), nn.HybridLambda('relu'))
    net.initialize(mx.init.One())
    x = nd.array(rand((2, 4)))
    want = net(x).asnumpy()
    mx.random.seed(0)
    other = seq(nn.Dense(3), Bilinear(), nn.HybridLambda('relu'))
    other.initialize(mx.init.One())
    other.hybridize()
    assert_almost_equal(other(x), want, rtol=1e-5)
    assert other[1].w.shape == (3, 3)


def test_default_infer_shape_asks_the_graph():
    class Linear(HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.weight = self.params.get('weight', shape=(2, 0), allow_deferred_init=True)

        def hybrid_forward(self, F, x, weight):
            return F.FullyConnected(x, weight, num_hidden=2, no_bias=True)

    layer = Linear()
    layer.initialize()
    assert layer(nd.ones((3, 7))).shape == (3, 2)
    assert layer.weight.shape == (2, 7)


# ---------------------------------------------------------------- errors --

def test_errors():
    net = seq(nn.Dense(2, in_units=3))
    net.initialize()
    with pytest.raises(MXNetError, match='no subgraph backends'):
        net.hybridize(backend='MKLDNN')
    net.hybridize()
    with pytest.raises(MXNetError, match='must not be hybridized to print summary'):
        net.summary(nd.ones((1, 3)))
    with pytest.raises(MXNetError, match='there must be one NDArray in the input'):
        net(None)

    class Untraceable(HybridBlock):
        def hybrid_forward(self, F, x):
            return x.asnumpy()

    block = Untraceable()
    block.hybridize()
    with pytest.raises(MXNetError, match=r'asnumpy\(\) needs a value'):
        block(nd.ones((1,)))


def test_unused_inputs_and_hooks_warn():
    class First(HybridBlock):
        def hybrid_forward(self, F, a, b):
            return F.relu(a)

    block = First()
    block.hybridize()
    with pytest.warns(UserWarning, match='1-th input to HybridBlock is not used'):
        block(nd.ones((1,)), nd.ones((1,)))
    block.register_forward_hook(lambda *args: None)
    with pytest.warns(UserWarning, match='hooks will not take effect'):
        block.hybridize()
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        block.hybridize(active=False)
