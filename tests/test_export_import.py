"""HybridBlock.export, gluon.SymbolBlock and SymbolBlock.imports.

The fixtures ``mxnet191_export_*`` were written by MXNet 1.9.1's own
``HybridBlock.export`` (``fixtures/make_gluon_export_fixture.py``), with an
input batch and MXNet's outputs for it: importing them must give MXNet's
outputs, and so must the same network written with mxlearn's layers and
loaded with the same parameters.
"""
import json
import os

import numpy as np
import pytest

import mxlearn as mx
from mxlearn import autograd, nd
from mxlearn.base import MXNetError
from mxlearn.gluon import SymbolBlock, nn
from mxlearn.test_utils import assert_almost_equal

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')


def rand(shape, seed=0):
    return np.random.RandomState(seed).uniform(-1, 1, shape).astype(np.float32)


def mlp(prefix='mlp_'):
    """The fixture's MLP, written with mxlearn's layers."""
    net = nn.HybridSequential(prefix=prefix)
    with net.name_scope():
        net.add(nn.Dense(16, activation='relu'), nn.Dense(8, activation='tanh'), nn.Dense(3))
    return net


def convbn(prefix='convbn_'):
    """The fixture's conv net with BatchNorm, written with mxlearn's layers."""
    net = nn.HybridSequential(prefix=prefix)
    with net.name_scope():
        net.add(nn.Conv2D(4, 3, padding=1), nn.BatchNorm(), nn.Activation('relu'),
                nn.MaxPool2D(2), nn.Conv2D(6, 3), nn.BatchNorm(), nn.Activation('relu'),
                nn.AvgPool2D(2), nn.Flatten(), nn.Dense(5))
    return net


NETS = {'mlp': (mlp, (4, 10)), 'convbn': (convbn, (2, 3, 8, 8))}


def fixture(name, what):
    return os.path.join(FIXTURES, 'mxnet191_export_%s%s' % (name, what))


def trained(make, shape):
    """A network whose BatchNorm statistics moved, hybridized, after one forward."""
    mx.random.seed(0)
    net = make()
    net.initialize(mx.init.Xavier())
    net.hybridize()
    with autograd.record():
        net(nd.array(rand(shape, 5)))
    return net


# ------------------------------------------------------------- export --

@pytest.mark.parametrize('name', sorted(NETS))
def test_export_then_imports_gives_the_same_outputs(tmp_path, name):
    make, shape = NETS[name]
    net = trained(make, shape)
    x = nd.array(rand(shape, 1))
    want = net(x).asnumpy()
    path = str(tmp_path / name)
    net.export(path, epoch=3)
    assert sorted(os.listdir(tmp_path)) == ['%s-0003.params' % name, '%s-symbol.json' % name]
    saved = nd.load(path + '-0003.params')
    params = net.collect_params()
    aux = [n for n in params.keys() if 'running' in n]
    assert sorted(saved) == sorted(('aux:' if n in aux else 'arg:') + n for n in params.keys())
    for key, value in saved.items():
        assert_almost_equal(value, params[key[4:]].data())
    graph = json.load(open(path + '-symbol.json'))
    assert graph['nodes'][0]['name'] == 'data'
    loaded = SymbolBlock.imports(path + '-symbol.json', ['data'], path + '-0003.params')
    assert_almost_equal(loaded(x), want, rtol=1e-6)
    with autograd.train_mode():
        assert_almost_equal(loaded(x), net(x), rtol=1e-5, atol=1e-6)


def test_export_needs_a_traced_graph(tmp_path):
    net = mlp()
    net.initialize()
    with pytest.raises(MXNetError, match='run forward with this block at least once'):
        net.export(str(tmp_path / 'net'))
    net.hybridize()
    with pytest.raises(MXNetError, match='at least once'):
        net.export(str(tmp_path / 'net'))
    assert os.listdir(tmp_path) == []


def test_export_names_several_inputs_data0_data1(tmp_path):
    class Add(mx.gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.scale = self.params.get('scale', shape=(1,), init='ones')

        def hybrid_forward(self, F, a, b, scale):
            return F.broadcast_mul(a + b, scale)

    block = Add(prefix='add_')
    block.initialize()
    block.hybridize()
    block(nd.ones((2,)), nd.ones((2,)))
    block.export(str(tmp_path / 'add'))
    sym = mx.sym.load(str(tmp_path / 'add-symbol.json'))
    assert sym.list_arguments() == ['data0', 'data1', 'add_scale']
    loaded = SymbolBlock.imports(str(tmp_path / 'add-symbol.json'), ['data0', 'data1'],
                                 str(tmp_path / 'add-0000.params'))
    assert_almost_equal(loaded(nd.array([1, 2]), nd.array([3, 4])), [4, 6])


# --------------------------------------------- files written by MXNet --

@pytest.mark.parametrize('name', sorted(NETS))
def test_imports_mxnet_exports(name):
    x = np.load(fixture(name, '_input.npy'))
    mxnet_out = np.load(fixture(name, '_output.npy'))
    mxnet_train_out = np.load(fixture(name, '_train_output.npy'))
    block = SymbolBlock.imports(fixture(name, '-symbol.json'), ['data'],
                                fixture(name, '-0000.params'))
    assert_almost_equal(block(nd.array(x)), mxnet_out, rtol=1e-4, atol=1e-5)
    with autograd.train_mode():
        assert_almost_equal(block(nd.array(x)), mxnet_train_out, rtol=1e-4, atol=1e-5)
    # the same network written with mxlearn's layers, running imperatively
    make, _ = NETS[name]
    net = make()
    net.collect_params().load(fixture(name, '-0000.params'))
    assert_almost_equal(net(nd.array(x)), mxnet_out, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('name', sorted(NETS))
def test_imported_block_trains_like_the_imperative_net(name):
    make, shape = NETS[name]
    x = nd.array(rand(shape, 2))
    head = None
    results = []
    for imported in (False, True):
        if imported:
            net = SymbolBlock.imports(fixture(name, '-symbol.json'), ['data'],
                                      fixture(name, '-0000.params'))
        else:
            net = make()
            net.collect_params().load(fixture(name, '-0000.params'))
        trainer = mx.gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})
        with autograd.record():
            out = net(x)
        head = nd.array(rand(out.shape, 3)) if head is None else head
        out.backward(head)
        trainer.step(1)
        results.append({k: p.data().asnumpy() for k, p in net.collect_params().items()})
    assert results[0].keys() == results[1].keys()
    for key, value in results[0].items():
        assert_almost_equal(results[1][key], value, rtol=1e-4, atol=1e-6, names=(key, key))
    weight = results[1]['%s_dense0_weight' % name if name == 'mlp' else 'convbn_conv0_weight']
    assert not np.allclose(weight, nd.load(fixture(name, '-0000.params'))[
        'arg:%s_dense0_weight' % name if name == 'mlp' else 'arg:convbn_conv0_weight'].asnumpy())


# ------------------------------------------------------------ SymbolBlock --

def test_symbol_block_shares_parameters_as_a_feature_extractor():
    net = trained(mlp, (4, 10))
    x = nd.array(rand((4, 10), 1))
    data = mx.sym.var('data')
    internals = net(data).get_internals()
    hidden = internals['mlp_dense1_tanh_fwd_output']
    features = SymbolBlock([hidden, internals['mlp_dense0_relu_fwd_output']], data,
                           params=net.collect_params())
    assert features.collect_params()['mlp_dense0_weight'] is net[0].weight
    got = features(x)
    assert isinstance(got, list) and [g.shape for g in got] == [(4, 8), (4, 16)]
    want = net[1](net[0](x))
    assert_almost_equal(got[0], want, rtol=1e-6)
    # gradients reach the shared Parameters
    with autograd.record():
        loss = features(x)[0].sum()
    loss.backward()
    assert np.abs(net[0].weight.grad().asnumpy()).sum() > 0


def test_symbol_block_inside_a_hybridized_network():
    body = SymbolBlock.imports(fixture('mlp', '-symbol.json'), ['data'],
                               fixture('mlp', '-0000.params'))
    x = nd.array(np.load(fixture('mlp', '_input.npy')))
    want = nd.softmax(body(x)).asnumpy()
    net = nn.HybridSequential(prefix='outer_')
    with net.name_scope():
        net.add(body, nn.HybridLambda('softmax'))
    assert_almost_equal(net(x), want, rtol=1e-6)
    net.hybridize()
    assert_almost_equal(net(x), want, rtol=1e-6)
    graph = net._cached_graph[1]
    assert graph.list_arguments()[:2] == ['data', 'mlp_dense0_weight']


def test_symbol_block_with_deferred_parameters():
    data = mx.sym.var('data')
    out = mx.sym.FullyConnected(mx.sym.relu(data), num_hidden=3, name='fc')
    block = SymbolBlock(out, [data])
    assert repr(block) == 'SymbolBlock(\n<Symbol fc> : 1 -> 1\n)'
    block.initialize(mx.init.One())
    assert_almost_equal(block(nd.array([[1, -1]])), [[2, 2, 2]])
    assert block.collect_params()['fc_weight'].shape == (3, 2)
    block.hybridize()
    assert_almost_equal(block(nd.array([[1, 2]])), [[4, 4, 4]])


def test_symbol_block_errors(tmp_path):
    data = mx.sym.var('data')
    with pytest.raises(MXNetError, match='must be variables'):
        SymbolBlock(mx.sym.relu(data), mx.sym.relu(data))
    block = SymbolBlock(mx.sym.relu(data), data)
    with pytest.raises(MXNetError, match='argument structure'):
        block(nd.ones((1,)), nd.ones((1,)))
    with pytest.raises(MXNetError, match='is missing'):
        SymbolBlock.imports(fixture('mlp', '-symbol.json'), ['data'],
                            fixture('convbn', '-0000.params'), ignore_extra=True)
