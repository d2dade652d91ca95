"""gluon.Block, HybridBlock, Sequential, Lambda: naming, deferred init, save/load, hooks."""
import contextlib
import io
import json
import os
import warnings

import numpy as np
import pytest

import mxlearn as mx
import mxlearn.initializer as init
from mxlearn import autograd, nd
from mxlearn.base import MXNetError
from mxlearn.gluon.block import Block, HybridBlock
from mxlearn.gluon.name import NameManager
from mxlearn.gluon.nn.sequential import HybridLambda, HybridSequential, Lambda, Sequential
from mxlearn.gluon.parameter import DeferredInitializationError
from mxlearn.test_utils import assert_almost_equal

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')


class Dense(HybridBlock):
    """A small fully connected layer written against the Block API (not gluon.nn)."""

    def __init__(self, units, in_units=0, activation=None, **kwargs):
        super().__init__(**kwargs)
        self._units = units
        self._activation = activation
        with self.name_scope():
            self.weight = self.params.get('weight', shape=(units, in_units),
                                          allow_deferred_init=True)
            self.bias = self.params.get('bias', shape=(units,), init='zeros')

    def infer_shape(self, x, *args):
        self.weight.shape = (self._units, x.size // x.shape[0])

    def hybrid_forward(self, F, x, weight, bias):
        out = F.FullyConnected(x, weight, bias, num_hidden=self._units)
        return F.relu(out) if self._activation == 'relu' else out

    def __repr__(self):
        return 'Dense(%s -> %d)' % (self.weight.shape[1] or None, self._units)


class Model(Block):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = HybridSequential()
            with self.features.name_scope():
                self.features.add(Dense(4, activation='relu'), Dense(3))
            self.output = Dense(2)

    def forward(self, x):
        return self.output(self.features(x))


def mlp(in_units=0):
    """Dense(4, relu) -> Dense(2); both deferred unless ``in_units`` is given."""
    net = HybridSequential()
    with net.name_scope():
        net.add(Dense(4, in_units=in_units, activation='relu'),
                Dense(2, in_units=4 if in_units else 0))
    return net


def reference_mlp(net, x):
    w0, b0, w1, b1 = (p.data().asnumpy() for p in net.collect_params().values())
    return np.maximum(x @ w0.T + b0, 0) @ w1.T + b1


# ------------------------------------------------------------------ naming --

def test_automatic_names():
    with NameManager():
        a, b = Dense(2), Dense(2)
        seq = HybridSequential()
        plain = HybridSequential()
        with seq.name_scope():
            seq.add(Dense(1), Dense(1))
        plain.add(Dense(1))
    assert (a.name, a.prefix, b.name) == ('dense0', 'dense0_', 'dense1')
    assert list(a.collect_params().keys()) == ['dense0_weight', 'dense0_bias']
    assert list(seq.collect_params().keys()) == [
        'hybridsequential0_dense0_weight', 'hybridsequential0_dense0_bias',
        'hybridsequential0_dense1_weight', 'hybridsequential0_dense1_bias']
    # outside the name_scope, children take global names
    assert list(plain.collect_params().keys()) == ['dense2_weight', 'dense2_bias']


def test_nested_name_scopes_and_prefixes():
    with NameManager():
        model = Model(prefix='model_')
        fc = Dense(1, prefix='fc_')
        bare = Dense(1, prefix='')
    assert list(model.collect_params().keys()) == [
        'model_hybridsequential0_dense0_weight', 'model_hybridsequential0_dense0_bias',
        'model_hybridsequential0_dense1_weight', 'model_hybridsequential0_dense1_bias',
        'model_dense0_weight', 'model_dense0_bias']
    assert model.features.name == 'model_hybridsequential0'
    assert list(fc.params.keys()) == ['fc_weight', 'fc_bias'] and fc.name == 'fc'
    assert list(bare.params.keys()) == ['weight', 'bias']
    # the same model built again gets the same inner names
    with NameManager():
        again = Model(prefix='model_')
    assert list(again.collect_params().keys()) == list(model.collect_params().keys())


def test_collect_params_select():
    with NameManager():
        model = Model()
    assert list(model.collect_params('.*weight').keys()) == [
        'model0_hybridsequential0_dense0_weight', 'model0_hybridsequential0_dense1_weight',
        'model0_dense0_weight']
    assert list(model.collect_params('model0_dense0_.*|.*dense1_bias').keys()) == [
        'model0_hybridsequential0_dense1_bias', 'model0_dense0_weight', 'model0_dense0_bias']
    # re.match: anchored at the start of the name
    assert list(model.collect_params('weight').keys()) == []
    assert model.params.prefix == 'model0_' and len(model.params) == 0


def test_shared_params():
    first = Dense(3, in_units=2)
    second = Dense(3, in_units=2, params=first.collect_params())
    assert second.weight is first.weight and second.bias is first.bias
    first.initialize()
    x = nd.ones((1, 2))
    assert_almost_equal(first(x), second(x))


# -------------------------------------------------------- children, params --

def test_children_and_parameters_register_by_attribute():
    model = Model()
    assert list(model._children) == ['features', 'output']
    assert list(model.output._reg_params) == ['weight', 'bias']
    with pytest.raises(MXNetError, match='Changing attribute type for output'):
        model.output = 3
    with pytest.raises(MXNetError, match='Overriding Parameter attribute weight'):
        model.output.weight = model.output.params.get('weight')
    model.register_child(Dense(1), 'extra')
    assert list(model._children) == ['features', 'output', 'extra']
    hybrid = HybridSequential()
    with pytest.raises(MXNetError, match='Children of HybridBlock must also be HybridBlock'):
        hybrid.add(Model())
    with pytest.raises(MXNetError, match='Children of HybridBlock'):
        hybrid.child = Sequential()


def test_unregistered_container_warns():
    class Holder(Block):
        def __init__(self):
            super().__init__()
            self.layers = [Dense(1)]

    with pytest.warns(UserWarning, match='"Holder.layers" is an unregistered container'):
        Holder().collect_params()


def test_hybrid_forward_gets_params_by_attribute_name():
    seen = {}

    class Probe(HybridBlock):
        def __init__(self):
            super().__init__(prefix='probe_')
            self.scale = self.params.get('scale', shape=(2,), init='ones')
            self.params.get('unused', shape=(1,))

        def hybrid_forward(self, F, x, *args, **params):
            seen.update(F=F, params=params, args=args)
            return x * params['scale']

    block = Probe()
    block.initialize()
    block(nd.ones((2,)), nd.zeros((1,)))
    assert seen['F'] is nd and list(seen['params']) == ['scale']
    assert len(seen['args']) == 1
    with pytest.raises(MXNetError, match='there must be one NDArray in the input'):
        block([1.0])


# ----------------------------------------------------------- deferred init --

def test_deferred_init_resolved_at_first_forward():
    net = mlp()
    net.initialize(init.Constant(0.5))
    first = net[0]
    assert first.weight.shape == (4, 0)
    with pytest.raises(DeferredInitializationError, match='initialization was deferred'):
        first.weight.data()
    x = np.random.RandomState(0).uniform(-1, 1, (5, 3)).astype(np.float32)
    with autograd.record():
        out = net(nd.array(x))
    out.backward()
    assert first.weight.shape == (4, 3) and net[1].weight.shape == (2, 4)
    np.testing.assert_array_equal(first.weight.data().asnumpy(), np.full((4, 3), 0.5))
    assert_almost_equal(out, reference_mlp(net, x), rtol=1e-5, atol=1e-6)
    assert first.weight.grad().shape == (4, 3)
    assert abs(first.weight.grad().asnumpy()).sum() > 0


def test_deferred_init_on_several_contexts():
    net = mlp()
    net.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    out = net(nd.ones((2, 3), ctx=mx.cpu(1)))
    assert out.context == mx.cpu(1)
    w = net[0].weight
    assert w.list_ctx() == [mx.cpu(0), mx.cpu(1)]
    assert_almost_equal(w.data(mx.cpu(0)), w.data(mx.cpu(1)))


def test_deferred_init_without_infer_shape():
    class NoInfer(HybridBlock):
        def __init__(self):
            super().__init__()
            self.w = self.params.get('w', shape=(0,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, w):
            # broadcast_mul, unlike x * w, does not fix w's shape from x's (as in MXNet)
            return F.broadcast_mul(x, w)

    block = NoInfer()
    block.initialize()
    with pytest.raises(MXNetError, match='Deferred initialization failed because shape cannot '
                                         'be inferred. NoInfer has Parameters of unknown '
                                         r'shape \(noinfer\d+_w \(0,\)\)'):
        block(nd.ones((2,)))

    class PlainBlock(Block):
        def __init__(self):
            super().__init__()
            self.w = self.params.get('w', shape=(0,), allow_deferred_init=True)

        def forward(self, x):
            return x * self.w.data()

    plain = PlainBlock()
    plain.initialize()
    with pytest.raises(DeferredInitializationError):
        plain(nd.ones((2,)))


# ---------------------------------------------------------- save and load --

def test_save_load_parameters_round_trip(tmp_path):
    path = str(tmp_path / 'model.params')
    model = Model()
    model.initialize(init.Normal(1.0))
    x = nd.array(np.random.RandomState(1).uniform(size=(2, 5)))
    expected = model(x)
    model.save_parameters(path)
    assert sorted(nd.load(path)) == ['features.0.bias', 'features.0.weight',
                                     'features.1.bias', 'features.1.weight',
                                     'output.bias', 'output.weight']
    other = Model()     # other prefixes: structural names do not depend on them
    other.load_parameters(path, ctx=[mx.cpu(0), mx.cpu(1)])
    assert other.output.weight.list_ctx() == [mx.cpu(0), mx.cpu(1)]
    assert_almost_equal(other(x), expected)
    assert_almost_equal(other(x.copyto(mx.cpu(1))), expected)


def test_load_parameters_errors(tmp_path):
    path = str(tmp_path / 'mlp.params')
    net = mlp(in_units=3)
    net.initialize()
    net.save_parameters(path)
    bigger = mlp(in_units=3)
    bigger.add(Dense(1, in_units=2))
    with pytest.raises(MXNetError, match=r"Parameter '2.weight' is missing in file"):
        bigger.load_parameters(path)
    bigger.load_parameters(path, allow_missing=True)
    smaller = HybridSequential()
    smaller.add(Dense(4, in_units=3))
    with pytest.raises(MXNetError, match=r"Parameter '1.weight' loaded from file '.*' is not "
                                         r"present in ParameterDict"):
        smaller.load_parameters(path)
    smaller.load_parameters(path, ignore_extra=True)
    assert_almost_equal(smaller[0].weight.data(), net[0].weight.data())
    wrong = HybridSequential()
    wrong.add(Dense(4, in_units=5), Dense(2))
    with pytest.raises(MXNetError, match='shape incompatible'):
        wrong.load_parameters(path)
    nd.save(path, [nd.ones((1,))])
    with pytest.raises(MXNetError, match='holds a list of arrays'):
        net.load_parameters(path)


def test_shared_parameters_deduplicate(tmp_path):
    path = str(tmp_path / 'shared.params')
    net = HybridSequential()
    first = Dense(2, in_units=2)
    net.add(first, Dense(2, in_units=2, params=first.collect_params()))
    net.initialize()
    net.save_parameters(path, deduplicate=True)
    assert sorted(nd.load(path)) == ['0.bias', '0.weight']
    twin = HybridSequential()
    first = Dense(2, in_units=2)
    twin.add(first, Dense(2, in_units=2, params=first.collect_params()))
    twin.load_parameters(path)
    assert_almost_equal(twin[1].weight.data(), net[0].weight.data())


def test_deprecated_save_load_params(tmp_path):
    path = str(tmp_path / 'legacy.params')
    net = mlp(in_units=3)
    net.initialize()
    with pytest.warns(UserWarning, match='save_params is deprecated'):
        net.save_params(path)
    assert sorted(nd.load(path)) == ['dense0_bias', 'dense0_weight', 'dense1_bias',
                                     'dense1_weight']
    other = mlp(in_units=3)
    with pytest.warns(UserWarning, match='load_params is deprecated'):
        other.load_params(path)
    assert_almost_equal(other[1].bias.data(), net[1].bias.data())


def test_loads_mxnet_191_file():
    # written by tests/fixtures/make_gluon_params_fixture.py with Apache MXNet 1.9.1
    with open(os.path.join(FIXTURES, 'gluon_mlp_mxnet191.json')) as f:
        expected = json.load(f)
    net = mlp()
    net.load_parameters(os.path.join(FIXTURES, 'gluon_mlp_mxnet191.params'))
    assert {k: list(v.shape) for k, v in net._collect_params_with_prefix().items()} == \
        expected['params']
    x = np.array(expected['input'], dtype=np.float32)
    out = net(nd.array(x))
    assert_almost_equal(out, reference_mlp(net, x), rtol=1e-5, atol=1e-6)
    assert_almost_equal(out, np.array(expected['output'], dtype=np.float32),
                        rtol=1e-5, atol=1e-6)


# --------------------------------------------------- hooks, apply, cast --

def test_forward_hooks():
    net = mlp(in_units=3)
    net.initialize()
    calls = []
    pre = net[0].register_forward_pre_hook(lambda blk, inputs: calls.append(
        ('pre', blk.name, inputs[0].shape)))
    post = net.register_forward_hook(lambda blk, inputs, out: calls.append(
        ('post', blk.name, out.shape)))
    net(nd.ones((2, 3)))
    assert calls == [('pre', net[0].name, (2, 3)), ('post', net.name, (2, 2))]
    pre.detach()
    post.detach()
    pre.detach()     # detaching twice is harmless
    net(nd.ones((2, 3)))
    assert len(calls) == 2
    with net.register_forward_hook(lambda *a: calls.append('ctx')):
        net(nd.ones((2, 3)))
    net(nd.ones((2, 3)))
    assert calls[2:] == ['ctx']
    with pytest.raises(MXNetError, match='attached twice'):
        post.attach({}, print)


def test_apply_visits_children_first():
    model = Model(prefix='m_')
    names = []
    assert model.apply(lambda blk: names.append(blk.name)) is model
    assert names == ['m_hybridsequential0_dense0', 'm_hybridsequential0_dense1',
                     'm_hybridsequential0', 'm_dense0', 'm']


def test_cast():
    net = mlp(in_units=3)
    net.initialize()
    net.cast('float64')
    assert all(p.data().dtype == np.float64 for p in net.collect_params().values())
    x = nd.ones((1, 3), dtype='float64')
    with autograd.record():
        y = net(x)
    y.backward()
    assert y.dtype == np.float64 and net[0].weight.grad().dtype == np.float64


def test_hybridize_flags_reach_children():
    net = mlp(in_units=3)
    net.initialize()
    x = nd.ones((2, 3))
    before = net(x)
    net.hybridize(static_alloc=True)
    assert net._active and net[1]._active
    assert ('static_alloc', True) in net[1]._flags
    assert_almost_equal(net(x), before)
    net.hybridize(active=False)
    assert not net[0]._active
    model = Model()
    model.hybridize()      # a plain Block passes it to its HybridBlock children
    assert model.features._active
    seq = Sequential()
    seq.add(Dense(1))
    with pytest.warns(UserWarning, match='Consider using HybridSequential'):
        seq.hybridize()
    with pytest.raises(MXNetError, match='run forward with this block at least once'):
        HybridSequential().export('net')


# ---------------------------------------------------------- summary, repr --

def test_summary_layout():
    net = mlp(in_units=3)
    net.initialize()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        net.summary(nd.ones((5, 3)))
    row = '{:>20}  {:>42} {:>15}'.format
    assert out.getvalue().splitlines() == [
        '-' * 80,
        row('Layer (type)', 'Output Shape', 'Param #'),
        '=' * 80,
        row('Input', '(5, 3)', 0),
        row('Dense-1', '(5, 4)', 4 * 3 + 4),
        row('Dense-2', '(5, 2)', 2 * 4 + 2),
        '=' * 80,
        'Parameters in forward computation graph, duplicate included',
        '   Total params: 26',
        '   Trainable params: 26',
        '   Non-trainable params: 0',
        'Shared params in forward computation graph: 0',
        'Unique parameters in model: 26',
        '-' * 80]
    assert not net[0]._forward_hooks     # the summary's hooks are gone


def test_summary_counts_shared_and_frozen():
    net = HybridSequential()
    first = Dense(2, in_units=2)
    net.add(first, Dense(2, in_units=2, params=first.collect_params()))
    net.initialize()
    first.bias.grad_req = 'null'
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        net.summary(nd.ones((1, 2)))
    text = out.getvalue()
    assert '   Total params: 12\n' in text and '   Non-trainable params: 4\n' in text
    assert 'Shared params in forward computation graph: 6\n' in text
    assert 'Unique parameters in model: 6\n' in text


def test_repr():
    model = Model()
    assert repr(model) == ('Model(\n'
                           '  (features): HybridSequential(\n'
                           '    (0): Dense(None -> 4)\n'
                           '    (1): Dense(None -> 3)\n'
                           '  )\n'
                           '  (output): Dense(None -> 2)\n'
                           ')')


# ---------------------------------------------------- Sequential, Lambda --

def test_sequential_container():
    net = Sequential(prefix='seq_')
    with net.name_scope():
        net.add(Dense(3, in_units=2), Lambda('relu'))
        net.add(Dense(1))
    assert len(net) == 3 and isinstance(net[1], Lambda)
    head = net[:2]
    assert type(head) is Sequential and len(head) == 2 and head.prefix == 'seq_'
    assert head[0] is net[0]
    net.initialize()
    x = nd.array([[1, -2]])
    expected = net[2](nd.relu(net[0](x)))
    assert_almost_equal(net(x), expected)
    assert type(mlp()[1:]) is HybridSequential


def test_lambdas():
    assert_almost_equal(Lambda('tanh')(nd.array([0.5])), np.tanh([0.5]))
    assert_almost_equal(Lambda(lambda a, b: a * b)(nd.array([2]), nd.array([3])), [6.0])
    assert repr(Lambda(np.sum)) == 'Lambda(sum)'
    assert_almost_equal(HybridLambda('sigmoid')(nd.array([0.0])), [0.5])
    assert_almost_equal(HybridLambda(lambda F, x, y: F.broadcast_add(x, y))(
        nd.array([1]), nd.array([2])), [3.0])
    assert repr(HybridLambda('tanh')) == 'HybridLambda(tanh)'
    with pytest.raises(MXNetError, match='Function name no_such_op is not found'):
        Lambda('no_such_op')
    with pytest.raises(MXNetError, match='Function name no_such_op is not found'):
        HybridLambda('no_such_op')
    with pytest.raises(MXNetError, match='Unrecognized function in lambda'):
        HybridLambda(3)


def test_block_basics_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        net = mlp()
        net.initialize()
        net(nd.ones((1, 3)))
        net.collect_params()
