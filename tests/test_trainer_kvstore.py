"""gluon.Trainer with a KVStore: data parallelism on several contexts, update_on_kvstore rules."""
import pickle

import numpy as np
import pytest

import mxlearn as mx
import mxlearn.kvstore as kvstore
from mxlearn import autograd, gluon, nd
from mxlearn.base import MXNetError
from mxlearn.gluon import nn
from mxlearn.gluon.parameter import Parameter
from mxlearn.gluon.trainer import Trainer
from mxlearn.gluon.utils import split_and_load
from mxlearn.test_utils import assert_almost_equal

CTXS = [mx.cpu(0), mx.cpu(1)]
RNG = np.random.RandomState(0)
X = RNG.uniform(-1, 1, (3, 8, 5)).astype(np.float32)       # 3 batches of 8
Y = RNG.uniform(-1, 1, (3, 8, 2)).astype(np.float32)


def mlp(contexts):
    net = nn.HybridSequential(prefix='mlp_')
    with net.name_scope():
        net.add(nn.Dense(6, activation='tanh', in_units=5), nn.Dense(2, in_units=6))
    net.initialize(mx.init.Xavier(rnd_type='uniform'), ctx=contexts)
    # identical starting weights whatever the contexts
    for i, p in enumerate(net.collect_params().values()):
        p.set_data(nd.array(np.random.RandomState(i).uniform(-0.5, 0.5, p.shape)))
    return net


def train(contexts, optimizer, steps=3, **trainer_args):
    net = mlp(contexts)
    trainer = Trainer(net.collect_params(), optimizer[0], dict(optimizer[1]), **trainer_args)
    loss_fn = gluon.loss.L2Loss()
    for x, y in zip(X[:steps], Y[:steps]):
        with autograd.record():
            losses = [loss_fn(net(xs), ys) for xs, ys in
                      zip(split_and_load(nd.array(x), contexts),
                          split_and_load(nd.array(y), contexts))]
        for loss in losses:
            loss.backward()
        trainer.step(batch_size=x.shape[0])
    return net, trainer


def weights(net, ctx):
    return [p.data(ctx).asnumpy() for p in net.collect_params().values()]


OPTIMIZERS = [('sgd', {'learning_rate': 0.5, 'momentum': 0.9, 'wd': 0.01}),
              ('adam', {'learning_rate': 0.05})]


@pytest.mark.parametrize('optimizer', OPTIMIZERS, ids=['sgd', 'adam'])
@pytest.mark.parametrize('store', ['local', 'device', 'object'])
@pytest.mark.parametrize('update_on_kvstore', [None, True, False])
def test_two_contexts_equal_one_context_with_the_whole_batch(optimizer, store,
                                                             update_on_kvstore):
    single, _ = train([mx.cpu(0)], optimizer)
    kv = kvstore.create('device') if store == 'object' else store
    double, trainer = train(CTXS, optimizer, kvstore=kv, update_on_kvstore=update_on_kvstore)
    assert trainer._kvstore.type == ('device' if store == 'object' else store)
    assert trainer._update_on_kvstore is (update_on_kvstore is not False)
    expected = weights(single, mx.cpu(0))
    for ctx in CTXS:
        for got, want in zip(weights(double, ctx), expected):
            assert_almost_equal(got, want, rtol=1e-5, atol=1e-6)


def test_no_kvstore_updates_each_context_with_its_own_gradient():
    w = Parameter('w', shape=(2,), init='ones')
    w.initialize(ctx=CTXS)
    trainer = Trainer([w], 'sgd', {'learning_rate': 0.1}, kvstore=None)
    for ctx, g in zip(CTXS, ([1.0, 2.0], [3.0, -4.0])):
        with autograd.record():
            loss = (w.data(ctx) * nd.array(g, ctx=ctx)).sum()
        loss.backward()
    trainer.step(2)
    assert trainer._kvstore is None and trainer._update_on_kvstore is None
    assert_almost_equal(w.data(mx.cpu(0)), [0.95, 0.9])
    assert_almost_equal(w.data(mx.cpu(1)), [0.85, 1.2])


def test_one_context_needs_no_kvstore():
    for update_on_kvstore in (None, True):
        _, trainer = train([mx.cpu(0)], OPTIMIZERS[0], steps=1, kvstore='device',
                           update_on_kvstore=update_on_kvstore)
        assert trainer._kvstore is None and trainer._update_on_kvstore is None
    # a KVStore object is used even for one context (e.g. a distributed one)
    _, trainer = train([mx.cpu(0)], OPTIMIZERS[0], steps=1, kvstore=kvstore.create('local'))
    assert trainer._kvstore.type == 'local' and trainer._update_on_kvstore


def test_environment_turns_update_on_kvstore_off(monkeypatch):
    monkeypatch.setenv('MXNET_UPDATE_ON_KVSTORE', '0')
    _, trainer = train(CTXS, OPTIMIZERS[0], steps=1)
    assert trainer._kvstore.type == 'device' and trainer._update_on_kvstore is False
    _, trainer = train(CTXS, OPTIMIZERS[0], steps=1, update_on_kvstore=True)
    assert trainer._update_on_kvstore is True


def test_allreduce_and_update_need_updates_in_the_trainer():
    net, trainer = train(CTXS, OPTIMIZERS[0], steps=1)
    for method in (trainer.allreduce_grads, lambda: trainer.update(8)):
        with pytest.raises(MXNetError, match='updated on kvstore is not supported. Try '
                                             'setting `update_on_kvstore` to False'):
            method()


def test_bad_kvstore_argument_fails_at_first_step():
    with pytest.raises(MXNetError, match='kvstore must be a KVStore, a str or None'):
        train(CTXS, OPTIMIZERS[0], steps=1, kvstore=object())


def fake_dist(kind):
    """A one-process store that calls itself distributed, for the Trainer's rules."""
    kv = kvstore.create('local')
    kv._type = kind
    return kv


def test_dist_async_needs_update_on_kvstore():
    with pytest.raises(MXNetError, match='Please set update_on_kvstore=True when training '
                                         'in async mode'):
        train(CTXS, OPTIMIZERS[0], steps=1, kvstore=fake_dist('dist_async'),
              update_on_kvstore=False)
    _, trainer = train(CTXS, OPTIMIZERS[0], steps=1, kvstore=fake_dist('dist_async'))
    assert trainer._update_on_kvstore and trainer._distributed


def test_batch_size_is_fixed_once_the_servers_have_the_optimizer():
    net, trainer = train(CTXS, OPTIMIZERS[0], steps=1, kvstore=fake_dist('dist_sync'))
    with pytest.raises(MXNetError, match='Possible change in the `batch_size`'):
        trainer.step(batch_size=4)
    with pytest.raises(MXNetError, match='Cannot reset a distributed KVStore'):
        trainer._reset_kvstore()


def test_gradient_compression_through_the_trainer():
    w = Parameter('w', shape=(2,), init='ones')
    w.initialize(ctx=CTXS)
    trainer = Trainer([w], 'sgd', {'learning_rate': 0.1},
                      compression_params={'type': '2bit', 'threshold': 0.5})
    for ctx, g in zip(CTXS, ([1.0, 2.0], [3.0, -4.0])):
        with autograd.record():
            loss = (w.data(ctx) * nd.array(g, ctx=ctx)).sum()
        loss.backward()
    trainer.step(2)
    # each device sends +-0.5 per value: [0.5, 0.5] + [0.5, -0.5] = [1, 0]
    for data in w.list_data():
        assert_almost_equal(data, [1.0 - 0.1 * 1.0 / 2, 1.0])
    with pytest.raises(MXNetError, match="not supported by the 'local' KVStore"):
        train(CTXS, OPTIMIZERS[0], steps=1, kvstore='local',
              compression_params={'type': '2bit'})


def test_stale_gradient_leaves_kvstore_untouched():
    used, unused = Parameter('used', shape=(1,), init='ones'), \
        Parameter('unused', shape=(1,), init='ones')
    for p in (used, unused):
        p.initialize(ctx=CTXS)
    trainer = Trainer([used, unused], 'sgd', {'learning_rate': 1.0})
    for ctx in CTXS:
        with autograd.record():
            loss = used.data(ctx) * 1.0
        loss.backward()
    if not hasattr(used.data(), '_fresh_grad'):
        pytest.skip('needs the core to set NDArray._fresh_grad in backward')
    with pytest.raises(MXNetError, match='Parameter `unused`'):
        trainer.step(1)
    for data in used.list_data():          # nothing was pushed
        assert_almost_equal(data, [1.0])
    out = nd.zeros((1,))
    trainer._kvstore.pull(0, out=out)
    assert_almost_equal(out, [1.0])


def test_deferred_initialization_joins_the_kvstore_later():
    net = nn.Dense(2, prefix='late_')
    net.initialize(ctx=CTXS)
    trainer = Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    x = nd.ones((4, 3))
    with autograd.record():
        losses = [net(xs).sum() for xs in split_and_load(x, CTXS)]
    for loss in losses:
        loss.backward()
    trainer.step(4)
    assert not trainer._params_to_init
    assert_almost_equal(net.weight.data(mx.cpu(0)), net.weight.data(mx.cpu(1)))


@pytest.mark.parametrize('update_on_kvstore', [True, False])
def test_save_and_load_states(tmp_path, update_on_kvstore):
    path = str(tmp_path / 'trainer.states')
    net, trainer = train(CTXS, OPTIMIZERS[1], steps=1, update_on_kvstore=update_on_kvstore)
    trainer.save_states(path)
    saved = weights(net, mx.cpu(0))
    loss_fn = gluon.loss.L2Loss()

    def step(net, trainer):
        with autograd.record():
            losses = [loss_fn(net(xs), ys) for xs, ys in
                      zip(split_and_load(nd.array(X[1]), CTXS),
                          split_and_load(nd.array(Y[1]), CTXS))]
        for loss in losses:
            loss.backward()
        trainer.step(8)

    step(net, trainer)
    other = mlp(CTXS)
    for p, value in zip(other.collect_params().values(), saved):
        p.set_data(nd.array(value))
    resumed = Trainer(other.collect_params(), 'sgd', {'learning_rate': 3.0},
                      update_on_kvstore=update_on_kvstore)
    resumed.load_states(path)
    assert type(resumed.optimizer).__name__ == 'Adam'
    assert resumed.optimizer.param_dict == dict(enumerate(resumed._params))
    step(other, resumed)
    for got, want in zip(weights(other, mx.cpu(1)), weights(net, mx.cpu(0))):
        assert_almost_equal(got, want, rtol=1e-5, atol=1e-6)


def test_set_data_reaches_a_kvstore_that_runs_the_optimizer():
    net = gluon.nn.Dense(1, in_units=2)
    net.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1},
                            kvstore='device')

    def step():
        for c in (mx.cpu(0), mx.cpu(1)):
            with mx.autograd.record():
                loss = net(mx.nd.ones((1, 2), ctx=c)).sum()
            loss.backward()
        trainer.step(2)
    step()
    assert trainer._update_on_kvstore
    net.weight.set_data(mx.nd.array([[5, 5]]))
    step()
    # the gradient of the sum is 1 per weight, averaged over the two devices
    for c in (mx.cpu(0), mx.cpu(1)):
        assert_almost_equal(net.weight.data(c), np.full((1, 2), 4.9))


# --------------------------------------------- one KVStore call per step --

class Recording(kvstore.KVStore):
    """A 'device' store that records the keys of each call."""

    def __init__(self):
        super().__init__('device')
        self.calls = []

    def push(self, key, value, priority=0):
        self.calls.append(('push', key))
        super().push(key, value, priority)

    def pull(self, key, out=None, priority=0, ignore_sparse=True):
        self.calls.append(('pull', key))
        super().pull(key, out, priority, ignore_sparse)

    def pushpull(self, key, value, out=None, priority=0):
        self.calls.append(('pushpull', key, out is not None))
        super().pushpull(key, value, out, priority)


@pytest.mark.parametrize('update_on_kvstore', [True, False])
def test_a_step_is_one_kvstore_call_with_the_keys_in_index_order(update_on_kvstore):
    net = mlp(CTXS)
    params = list(net.collect_params().values())
    params[1].grad_req = 'null'          # frozen: not pushed
    kv = Recording()
    trainer = Trainer(params, 'sgd', {'learning_rate': 0.1}, kvstore=kv,
                      update_on_kvstore=update_on_kvstore)
    for first in (True, False):
        with autograd.record():
            losses = [net(xs).sum() for xs in split_and_load(nd.array(X[0]), CTXS)]
        for loss in losses:
            loss.backward()
        kv.calls.clear()
        trainer.step(8)
        # the first step also broadcasts every Parameter (init + pull), in one call
        assert kv.calls == [('pull', [0, 1, 2, 3])] * first + [
            ('pushpull', [0, 2, 3], update_on_kvstore)]
    for p in params:
        assert_almost_equal(p.data(mx.cpu(0)), p.data(mx.cpu(1)))


def test_stale_gradients_ignored_are_still_summed_in_the_one_call():
    used, unused = Parameter('used', shape=(1,), init='ones'), \
        Parameter('unused', shape=(1,), init='ones')
    for p in (used, unused):
        p.initialize(ctx=CTXS)
    kv = Recording()
    trainer = Trainer([used, unused], 'sgd', {'learning_rate': 1.0}, kvstore=kv,
                      update_on_kvstore=False)
    for ctx in CTXS:
        with autograd.record():
            loss = used.data(ctx) * 2.0
        loss.backward()
    trainer.step(1, ignore_stale_grad=True)
    assert kv.calls[-1] == ('pushpull', [0, 1], False)
    for data in used.list_data():          # 1 - (2 + 2)
        assert_almost_equal(data, [-3.0])


# ---------------------- a list push through the store's optimizer, batched --

class CountingUpdater(mx.optimizer.Updater):
    """An Updater that records the keys of each call."""

    def __init__(self, optimizer):
        super().__init__(optimizer)
        self.calls = []

    def __call__(self, index, grad, weight):
        self.calls.append(index)
        super().__call__(index, grad, weight)


def grads_for(keys, seed):
    """Key i's gradients from every context, starting with context i."""
    rng = np.random.RandomState(seed)
    return [[nd.array(rng.uniform(-1, 1, (3, 2)), ctx=c) for c in CTXS[i:] + CTXS[:i]]
            for i in range(len(keys))]


@pytest.mark.parametrize('name', ['local', 'device'])
@pytest.mark.parametrize('optimizer', [mx.optimizer.SGD(learning_rate=0.3, momentum=0.9),
                                       mx.optimizer.Adam(learning_rate=0.1)],
                         ids=['sgd', 'adam'])
def test_list_pushpull_with_an_optimizer_equals_one_key_at_a_time(name, optimizer):
    keys = ['a', 'b', 'c']
    batched, single = kvstore.create(name), kvstore.create(name)
    for kv in (batched, single):
        kv.init(keys, [nd.ones((3, 2)) * i for i in range(3)])
        kv.set_optimizer(pickle.loads(pickle.dumps(optimizer)))
    batched._set_updater(CountingUpdater(batched._updater.optimizer))
    for step in range(3):
        grads = grads_for(keys, step)
        outs = [[nd.zeros((3, 2), ctx=c) for c in CTXS] for _ in keys]
        want = [[nd.zeros((3, 2), ctx=c) for c in CTXS] for _ in keys]
        batched.pushpull(keys, grads, out=outs)
        for k, g, w in zip(keys, grads, want):
            single.pushpull(k, g, out=w)
        for got, exp in zip(outs, want):
            for o, w in zip(got, exp):
                assert_almost_equal(o, w, rtol=1e-6, atol=1e-7)
    # one optimizer call per step, or per device where 'device' sums the keys
    # (that of their first value: cpu(0), cpu(1), cpu(0))
    assert batched._updater.calls == ([keys] if name == 'local' else [['a', 'c'], ['b']]) * 3


def test_list_push_with_a_key_twice_applies_both_pushes_in_order():
    kv = kvstore.create('local')
    kv.init(0, nd.zeros((2,)))
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=1.0))
    outs = [nd.zeros((2,)), nd.zeros((2,))]
    kv.pushpull([0, 0], [nd.ones((2,)), nd.ones((2,)) * 2], out=outs)
    assert_almost_equal(outs[0], [-1.0, -1.0])
    assert_almost_equal(outs[1], [-3.0, -3.0])


def test_list_push_with_a_custom_updater_calls_it_per_key():
    kv = kvstore.create('device')
    kv.init([0, 1], [nd.zeros((2,)), nd.zeros((2,))])
    seen = []

    def updater(key, pushed, stored):
        seen.append(key)
        stored += pushed
    kv._set_updater(updater)
    kv.push([0, 1], [nd.ones((2,)), nd.ones((2,))])
    assert seen == [0, 1]


# ------------------------------------- list calls of a distributed store --

MLP_SIZES = [784 * 256, 256, 256 * 256, 10]     # the keys of a Trainer step: big and small


def _list_pushpulls(kv, steps):
    """A worker: ``steps`` list pushpulls of MLP-sized keys, worker 0 a little behind."""
    import time
    keys = list(range(len(MLP_SIZES)))
    kv.init(keys, [nd.zeros((s,)) for s in MLP_SIZES])
    res = {}
    if kv.type == 'dist_sync':
        # out=None: the sums come back into the pushed arrays themselves
        grads = [nd.ones((s,)) * (kv.rank + 1) for s in MLP_SIZES]
        kv.pushpull(keys, grads)
        res['in_place'] = [g.asnumpy()[-3:] for g in grads]
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.001))
    grads = [nd.ones((s,)) * (kv.rank + 1) for s in MLP_SIZES]
    weights = [nd.zeros((s,)) for s in MLP_SIZES]
    for step in range(steps):
        kv.pushpull(keys, grads, out=weights)
        if kv.rank == 0 and step % 3 == 0:
            time.sleep(0.001)
    kv.barrier()
    kv.pull(keys, out=weights)
    res['weights'] = [w.asnumpy()[-3:] for w in weights]
    return res


def _have_mpi():
    import shutil
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return shutil.which('mpiexec') is not None


@pytest.mark.dist
@pytest.mark.skipif(not _have_mpi(), reason='needs mpi4py and mpiexec (mxlearn[dist])')
@pytest.mark.parametrize('mode', ['dist_sync', 'dist_async'])
def test_list_pushpull_of_big_keys_completes_in_sync_and_async(mode):
    # In dist_async a server that answered worker A's first key waits for A
    # to receive the answer before it takes worker B's push of that key: A
    # must post its receives without waiting for all its sends (it hung).
    from mxlearn.kvstore.spawn import run_distributed
    steps = 150
    results = run_distributed(_list_pushpulls, 2, 1, mode, args=(steps,), timeout=120,
                              env={'MXLEARN_KV_TIMEOUT': '20'})
    # every push of both workers (gradients 1 and 2) went through SGD, from
    # the sum of the in-place pushpull (3) in dist_sync
    start = 3.0 if mode == 'dist_sync' else 0.0
    for res in results:
        for w in res['weights']:
            assert_almost_equal(w, np.full(3, start - 0.001 * 3 * steps), rtol=1e-4, atol=1e-5)
        if mode == 'dist_sync':
            for g in res['in_place']:
                assert_almost_equal(g, np.full(3, 3.0))
