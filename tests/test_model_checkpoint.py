"""mx.model checkpoints: our files round-trip, MXNet 1.9.1's load, Module resumes from them.

``fixtures/mxnet191_ckpt-*`` were written by MXNet 1.9.1's ``save_checkpoint``
(``fixtures/make_checkpoint_fixture.py``); their values are a formula, rebuilt
here with numpy, and the loaded network's prediction is checked against the
same network written in numpy.
"""
import os
import pathlib

import numpy as np
import pytest

import mxlearn as mx
from mxlearn import model
from mxlearn.base import MXNetError
from mxlearn.module import Module
from mxlearn.test_utils import assert_almost_equal

FIXTURES = pathlib.Path(__file__).resolve().parent / 'fixtures'
MXNET_PREFIX = str(FIXTURES / 'mxnet191_ckpt')
# The table of make_checkpoint_fixture.py: name -> (shape, seed).
ARGS = {'fc1_weight': ((8, 5), 1), 'fc1_bias': ((8,), 2), 'bn1_gamma': ((8,), 3),
        'bn1_beta': ((8,), 4), 'fc2_weight': ((3, 8), 5), 'fc2_bias': ((3,), 6)}
AUXS = {'bn1_moving_mean': ((8,), 7), 'bn1_moving_var': ((8,), 8)}


def fixture_values(shape, seed):
    n = int(np.prod(shape))
    return (0.55 + 0.5 * np.sin(np.arange(n) * 0.7 + seed)).reshape(shape).astype(np.float32)


def reference_predict(x, p, eps=1e-3):
    """The fixture's network in numpy: FC, BatchNorm (moving statistics), ReLU, FC, softmax."""
    h = x @ p['fc1_weight'].T + p['fc1_bias']
    h = (h - p['bn1_moving_mean']) / np.sqrt(p['bn1_moving_var'] + eps) * p['bn1_gamma'] \
        + p['bn1_beta']
    z = np.maximum(h, 0) @ p['fc2_weight'].T + p['fc2_bias']
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def small_net():
    x = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=4, name='fc1')
    x = mx.sym.BatchNorm(x, name='bn1')
    x = mx.sym.FullyConnected(mx.sym.Activation(x, act_type='relu'), num_hidden=3, name='fc2')
    return mx.sym.SoftmaxOutput(x, name='softmax')


def test_load_checkpoint_written_by_mxnet():
    symbol, args, auxs = model.load_checkpoint(MXNET_PREFIX, 3)
    assert symbol.list_arguments() == ['data'] + list(ARGS)[:4] + list(ARGS)[4:] + \
        ['softmax_label']
    assert symbol.list_auxiliary_states() == list(AUXS)
    assert sorted(args) == sorted(ARGS) and sorted(auxs) == sorted(AUXS)
    for name, (shape, seed) in {**ARGS, **AUXS}.items():
        value = (args[name] if name in args else auxs[name]).asnumpy()
        assert_almost_equal(value, fixture_values(shape, seed))


def test_module_load_of_mxnet_checkpoint_predicts_like_numpy():
    mod = Module.load(MXNET_PREFIX, 3)
    x = np.random.RandomState(0).randn(6, 5).astype(np.float32)
    with pytest.warns(UserWarning, match='label'):   # bound without labels, as in MXNet
        mod.bind([('data', (6, 5))], for_training=False)
    out = mod.predict(x)
    params = {k: fixture_values(*v) for k, v in {**ARGS, **AUXS}.items()}
    assert_almost_equal(out.asnumpy(), reference_predict(x, params), rtol=1e-4, atol=1e-6)


def test_save_checkpoint_round_trip(tmp_path):
    prefix = str(tmp_path / 'net')
    args = {'fc1_weight': mx.nd.ones((4, 5)), 'fc1_bias': mx.nd.array([1, 2, 3, 4])}
    auxs = {'bn1_moving_var': mx.nd.ones(4) * 3}
    net = small_net()
    model.save_checkpoint(prefix, 12, net, args, auxs)
    assert sorted(os.listdir(tmp_path)) == ['net-0012.params', 'net-symbol.json']
    raw = mx.nd.load(prefix + '-0012.params')
    assert sorted(raw) == ['arg:fc1_bias', 'arg:fc1_weight', 'aux:bn1_moving_var']
    symbol, args2, auxs2 = model.load_checkpoint(prefix, 12)
    assert symbol.tojson() == net.tojson()
    assert_almost_equal(args2['fc1_bias'].asnumpy(), np.arange(1, 5))
    assert_almost_equal(auxs2['bn1_moving_var'].asnumpy(), np.full(4, 3))
    assert model.load_params(prefix, 12)[0].keys() == args2.keys()


def test_checkpoint_of_arrays_on_another_device(tmp_path):
    prefix = str(tmp_path / 'dev')
    model.save_checkpoint(prefix, 0, None, {'w': mx.nd.ones(2, ctx=mx.cpu(1))}, {})
    args, _ = model.load_params(prefix, 0)
    assert args['w'].context == mx.cpu(0)
    assert not (tmp_path / 'dev-symbol.json').exists()


def test_load_params_rejects_files_without_arg_aux_names(tmp_path):
    mx.nd.save(str(tmp_path / 'g-0000.params'), {'dense0_weight': mx.nd.ones(1)})
    with pytest.raises(MXNetError, match='arg:<name> or aux:<name>'):
        model.load_params(str(tmp_path / 'g'), 0)
    mx.nd.save(str(tmp_path / 'l-0000.params'), [mx.nd.ones(1)])
    with pytest.raises(MXNetError, match='unnamed'):
        model.load_params(str(tmp_path / 'l'), 0)


def test_checkpoint_overwrite_is_atomic(tmp_path, monkeypatch):
    """A save that fails half way leaves the previous checkpoint whole, and no stray files."""
    from mxlearn.ndarray import params_file
    prefix = str(tmp_path / 'a')
    model.save_checkpoint(prefix, 1, small_net(), {'w': mx.nd.ones(3)}, {})
    chunks = params_file._chunks

    def failing(*args):
        for i, chunk in enumerate(chunks(*args)):
            if i == 2:
                raise OSError('disk full')
            yield chunk
    monkeypatch.setattr(params_file, '_chunks', failing)
    with pytest.raises(MXNetError, match='disk full'):
        model.save_checkpoint(prefix, 1, None, {'w': mx.nd.zeros(3)}, {})
    assert sorted(os.listdir(tmp_path)) == ['a-0001.params', 'a-symbol.json']
    assert_almost_equal(model.load_params(prefix, 1)[0]['w'].asnumpy(), np.ones(3))


def test_module_checkpoint_resumes_training_exactly(tmp_path):
    """save_checkpoint(save_optimizer_states=True) + Module.load(load_optimizer_states=True)."""
    rng = np.random.RandomState(0)
    x = rng.randn(32, 5).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    train = mx.io.NDArrayIter(x, y, batch_size=8)
    opt = {'learning_rate': 0.2, 'momentum': 0.9}

    mx.random.seed(3)
    straight = Module(small_net())
    straight.fit(train, num_epoch=2, initializer=mx.init.Xavier(), optimizer_params=opt)

    mx.random.seed(3)
    first = Module(small_net())
    prefix = str(tmp_path / 'run')
    first.fit(train, num_epoch=1, initializer=mx.init.Xavier(), optimizer_params=opt,
              epoch_end_callback=lambda epoch, *rest: first.save_checkpoint(
                  prefix, epoch + 1, save_optimizer_states=True))
    assert (tmp_path / 'run-0001.states').exists()
    resumed = Module.load(prefix, 1, load_optimizer_states=True)
    with pytest.warns(UserWarning, match='already initialized'):   # by load, as in MXNet
        resumed.fit(train, num_epoch=2, begin_epoch=1, optimizer_params=opt)

    for name, value in straight.get_params()[0].items():
        assert_almost_equal(resumed.get_params()[0][name].asnumpy(), value.asnumpy(),
                            rtol=1e-5, atol=1e-6)
    for name, value in straight.get_params()[1].items():
        assert_almost_equal(resumed.get_params()[1][name].asnumpy(), value.asnumpy(),
                            rtol=1e-5, atol=1e-6)


def test_model_reexports_batch_end_param():
    assert model.BatchEndParam is mx.callback.BatchEndParam if hasattr(mx, 'callback') \
        else model.BatchEndParam._fields == ('epoch', 'nbatch', 'eval_metric', 'locals')
