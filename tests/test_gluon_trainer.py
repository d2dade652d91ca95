"""gluon.Trainer: SGD steps against the formula, stale gradients, contexts, saved states."""
import re

import numpy as np
import pytest

import mxlearn as mx
import mxlearn.initializer as init
import mxlearn.optimizer
from mxlearn import autograd, nd
from mxlearn.base import MXNetError
from mxlearn.gluon import trainer as trainer_module
from mxlearn.gluon.block import HybridBlock
from mxlearn.gluon.parameter import Parameter, ParameterDict
from mxlearn.gluon.trainer import Trainer
from mxlearn.test_utils import assert_almost_equal

# Every test runs on each device of the ctx fixture (tests/conftest.py).
pytestmark = pytest.mark.usefixtures('ctx')

CTXS = [mx.cpu(0), mx.cpu(1)]


def param(name, value, ctx=None, **kwargs):
    p = Parameter(name, shape=np.shape(value), init=init.Constant(nd.array(value)), **kwargs)
    p.initialize(ctx=ctx)
    return p


def backward_linear(params, coefs, ctx=None):
    """Backward of sum_i (coef_i * p_i).sum(): the gradient of p_i is coef_i."""
    with autograd.record():
        loss = sum((p.data(ctx) * nd.array(c, ctx=ctx or mx.current_context())).sum()
                   for p, c in zip(params, coefs))
    loss.backward()


class Linear(HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.weight = self.params.get('weight', shape=(1, 3))

    def hybrid_forward(self, F, x, weight):
        return F.FullyConnected(x, weight, num_hidden=1, no_bias=True)


def split(batch, contexts):
    """The batch cut along axis 0 into one slice per context (what split_and_load does)."""
    step = batch.shape[0] // len(contexts)
    return [batch[i * step:(i + 1) * step].copyto(c) for i, c in enumerate(contexts)]


# ------------------------------------------------------------------ step --

def test_sgd_step_matches_the_formula():
    w0, b0 = np.array([1.0, -2.0, 3.0]), np.array([0.5])
    w, b = param('w', w0), param('b', b0, lr_mult=2.0, wd_mult=0.0)
    trainer = Trainer([w, b], 'sgd', {'learning_rate': 0.1, 'wd': 0.01})
    gw, gb = np.array([4.0, 2.0, -6.0]), np.array([8.0])
    backward_linear([w, b], [gw, gb])
    trainer.step(batch_size=4)
    # w -= lr * (g / batch_size + wd * w), with each Parameter's multipliers
    assert_almost_equal(w.data(), w0 - 0.1 * (gw / 4 + 0.01 * w0), rtol=1e-6)
    assert_almost_equal(b.data(), b0 - 0.2 * (gb / 4), rtol=1e-6)


def test_momentum_over_several_steps_and_changed_lr_mult():
    w = param('w', [1.0, 1.0])
    trainer = Trainer({'w': w}, mx.optimizer.SGD(learning_rate=0.5, momentum=0.9))
    expected, mom = np.array([1.0, 1.0]), np.zeros(2)
    for step, g in enumerate([[1.0, -1.0], [2.0, 0.0], [0.5, 0.5]]):
        if step == 2:
            w.lr_mult = 0.1       # read from the Parameter at every update
        backward_linear([w], [g])
        trainer.step(2)
        lr = 0.5 * (0.1 if step == 2 else 1.0)
        mom = 0.9 * mom - lr * np.array(g) / 2
        expected = expected + mom
        assert_almost_equal(w.data(), expected, rtol=1e-5)


def test_params_order_and_types():
    params = ParameterDict('n_')
    b = params.get('b', shape=(1,))
    a = params.get('a', shape=(1,))
    params.initialize()
    trainer = Trainer(params, 'sgd')
    assert trainer._params == [a, b]          # dict keys in sorted order
    assert trainer.optimizer.param_dict == {0: a, 1: b}
    with pytest.raises(MXNetError, match='list or dict of Parameters, got list of'):
        Trainer([a, 'b'], 'sgd')
    with pytest.raises(MXNetError, match='list or dict of Parameters'):
        Trainer(a, 'sgd')
    with pytest.raises(MXNetError, match='optimizer_params must be None'):
        Trainer([a], mx.optimizer.SGD(), {'learning_rate': 1})
    with pytest.raises(MXNetError, match='has not been initialized'):
        Trainer([Parameter('u', shape=(1,))], 'sgd')


def test_contexts_must_agree():
    a, b = param('a', [1.0]), param('b', [1.0], ctx=CTXS)
    with pytest.raises(MXNetError, match='same set of contexts'):
        Trainer([a, b], 'sgd')


def test_learning_rate():
    trainer = Trainer([param('w', [1.0])], 'adam', {'learning_rate': 0.01})
    assert trainer.learning_rate == 0.01
    trainer.set_learning_rate(0.5)
    assert trainer.learning_rate == 0.5 and trainer.optimizer.lr == 0.5


@pytest.mark.cpu_only
def test_update_and_allreduce_separately():
    w = param('w', [1.0, 2.0], ctx=CTXS)
    # allreduce_grads/update need the optimizer to run in the Trainer
    trainer = Trainer([w], 'sgd', {'learning_rate': 1.0}, update_on_kvstore=False)
    for c, g in zip(CTXS, ([1.0, 2.0], [3.0, 0.0])):
        backward_linear([w], [g], ctx=c)
    trainer.allreduce_grads()
    for grad in w.list_grad():
        assert_almost_equal(grad, [4.0, 2.0])
    trainer.update(batch_size=2)
    for data in w.list_data():
        assert_almost_equal(data, [1.0 - 2.0, 2.0 - 1.0])


def test_frozen_parameters_are_skipped():
    w, frozen = param('w', [1.0]), param('f', [1.0], grad_req='null')
    trainer = Trainer([w, frozen], 'sgd', {'learning_rate': 1.0})
    backward_linear([w], [[1.0]])
    trainer.step(1)
    assert w.data().asscalar() == 0.0 and frozen.data().asscalar() == 1.0


# ---------------------------------------------------------- several contexts --

@pytest.mark.cpu_only
def test_gradients_summed_across_contexts():
    w = param('w', [1.0, 1.0], ctx=CTXS)
    # update_on_kvstore=False: the KVStore writes the sum back into the gradients
    trainer = Trainer([w], 'sgd', {'learning_rate': 0.1}, kvstore='device',
                      update_on_kvstore=False)
    g0, g1 = np.array([1.0, 2.0]), np.array([3.0, -4.0])
    backward_linear([w], [g0], ctx=mx.cpu(0))
    backward_linear([w], [g1], ctx=mx.cpu(1))
    trainer.step(batch_size=2)
    for grad in w.list_grad():
        assert_almost_equal(grad, g0 + g1)
    for data in w.list_data():
        assert_almost_equal(data, 1.0 - 0.1 * (g0 + g1) / 2, rtol=1e-6)


@pytest.mark.cpu_only
def test_data_parallel_equals_single_device():
    rng = np.random.RandomState(0)
    x, y = rng.uniform(-1, 1, (8, 3)), rng.uniform(-1, 1, (8, 1))
    nets = []
    for contexts in ([mx.cpu(0)], CTXS):
        net = Linear(prefix='linear_')
        net.initialize(init.Constant(0.2), ctx=contexts)
        trainer = Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.3,
                                                       'momentum': 0.5})
        for _ in range(3):
            with autograd.record():
                losses = [((net(xs) - ys) ** 2).sum()
                          for xs, ys in zip(split(nd.array(x), contexts),
                                            split(nd.array(y), contexts))]
            for loss in losses:
                loss.backward()
            trainer.step(batch_size=8)
        nets.append(net)
    single, double = (n.weight for n in nets)
    assert_almost_equal(double.data(mx.cpu(0)), double.data(mx.cpu(1)))
    assert_almost_equal(double.data(mx.cpu(1)), single.data(), rtol=1e-5, atol=1e-6)


@pytest.mark.cpu_only
def test_kvstore_arguments_are_accepted():
    # the KVStore is made at the first step (tests/test_trainer_kvstore.py)
    for kvstore in (None, 'local', 'device', object()):
        Trainer([param('w', [1.0])], 'sgd', kvstore=kvstore, update_on_kvstore=False)
    Trainer([param('w', [1.0], ctx=CTXS)], 'sgd',
            compression_params={'type': '2bit', 'threshold': 0.5})


# ---------------------------------------------------------- stale gradients --

@pytest.fixture
def tracked_freshness(monkeypatch):
    """Emulate the core's per-array ``_fresh_grad`` flag (set by backward)."""
    fresh = {}
    monkeypatch.setattr(trainer_module, '_is_fresh', lambda arr: fresh.get(id(arr), False))
    monkeypatch.setattr(trainer_module, '_mark_stale',
                        lambda arr: fresh.__setitem__(id(arr), False))
    return fresh


def test_stale_gradient_is_an_error(tracked_freshness):
    used, unused = param('used', [1.0]), param('unused', [1.0])
    trainer = Trainer([used, unused], 'sgd', {'learning_rate': 1.0})
    backward_linear([used], [[1.0]])
    tracked_freshness[id(used.data())] = True
    where = re.escape(str(mx.current_context()))
    with pytest.raises(MXNetError, match='Gradient of Parameter `unused` on context %s '
                                         'has not been updated by backward since last '
                                         '`step`' % where):
        trainer.step(1)
    assert used.data().asscalar() == 1.0     # nothing was updated
    trainer.step(1, ignore_stale_grad=True)
    assert used.data().asscalar() == 0.0 and unused.data().asscalar() == 1.0
    # the used gradient is stale now too: skipped, not applied twice
    trainer.step(1, ignore_stale_grad=True)
    assert used.data().asscalar() == 0.0
    with pytest.raises(MXNetError, match='Parameter `used`'):
        trainer.step(1)


@pytest.mark.skipif(not hasattr(nd.ones((1,)), '_fresh_grad'),
                    reason='needs the core to set NDArray._fresh_grad in backward')
def test_stale_gradient_with_real_backward():
    used, unused = param('used', [1.0]), param('unused', [1.0])
    trainer = Trainer([used, unused], 'sgd', {'learning_rate': 1.0})
    backward_linear([used], [[1.0]])
    with pytest.raises(MXNetError, match='Parameter `unused`'):
        trainer.step(1)
    trainer.step(1, ignore_stale_grad=True)
    assert used.data().asscalar() == 0.0
    with pytest.raises(MXNetError, match='Parameter `used`'):
        trainer.step(1)
    backward_linear([used, unused], [[1.0], [1.0]])
    trainer.step(1)
    assert unused.data().asscalar() == 0.0


# --------------------------------------------------------------- states --

@pytest.mark.cpu_only
def test_save_load_states_round_trip(tmp_path):
    path = str(tmp_path / 'trainer.states')
    grads = [[1.0, -2.0], [0.5, 0.5], [3.0, 1.0]]

    def run(trainer, w, steps):
        for g in steps:
            for c in CTXS:
                backward_linear([w], [np.array(g) / len(CTXS)], ctx=c)
            trainer.step(1)

    w = param('w', [1.0, 2.0], ctx=CTXS)
    trainer = Trainer([w], 'adam', {'learning_rate': 0.1})
    run(trainer, w, grads[:1])
    trainer.save_states(path)
    saved_value = w.data().asnumpy()
    run(trainer, w, grads[1:])

    # a new Trainer resumes from the saved optimizer and states (Adam's moments
    # and step counts), whatever optimizer it was created with
    w2 = param('w', saved_value, ctx=CTXS)
    resumed = Trainer([w2], 'sgd', {'learning_rate': 5.0})
    resumed.load_states(path)
    assert type(resumed.optimizer).__name__ == 'Adam' and resumed.learning_rate == 0.1
    assert resumed.optimizer.param_dict == {0: w2}
    run(resumed, w2, grads[1:])
    for data in w2.list_data():
        assert_almost_equal(data, w.data(), rtol=1e-6, atol=1e-7)
    assert list(tmp_path.iterdir()) == [tmp_path / 'trainer.states']   # no temp files left
