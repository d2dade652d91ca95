"""gluon.Parameter, Constant and ParameterDict: init, deferred init, contexts, save/load."""
import warnings

import numpy as np
import pytest

import mxlearn as mx
import mxlearn.initializer as init
from mxlearn import autograd, nd
from mxlearn.base import MXNetError
from mxlearn.gluon.parameter import (Constant, DeferredInitializationError, Parameter,
                                     ParameterDict)
from mxlearn.test_utils import assert_almost_equal

CTXS = [mx.cpu(0), mx.cpu(1)]


def initialized(name='w', shape=(2, 3), value=1.0, ctx=None, **kwargs):
    param = Parameter(name, shape=shape, init=init.Constant(value), **kwargs)
    param.initialize(ctx=ctx)
    return param


# ------------------------------------------------------------- Parameter --

def test_repr_and_attributes():
    p = Parameter('fc_weight', shape=3, lr_mult=2.0, wd_mult=0.5)
    assert repr(p) == "Parameter fc_weight (shape=(3,), dtype=<class 'numpy.float32'>)"
    assert (p.shape, p.lr_mult, p.wd_mult, p.grad_req) == ((3,), 2.0, 0.5, 'write')
    assert repr(Parameter('b', dtype='float16')) == 'Parameter b (shape=None, dtype=float16)'
    with pytest.raises(MXNetError, match="grad_req must be one of"):
        Parameter('w', grad_req='sometimes')
    with pytest.raises(MXNetError, match="stype for Parameter 'w'"):
        Parameter('w', stype='dense')


def test_initialize_data_and_grad():
    p = initialized(value=2.0)
    assert p.data().context == mx.cpu(0) and p.list_ctx() == [mx.cpu(0)]
    np.testing.assert_array_equal(p.data().asnumpy(), np.full((2, 3), 2, np.float32))
    np.testing.assert_array_equal(p.grad().asnumpy(), np.zeros((2, 3), np.float32))
    x = nd.array(np.arange(6).reshape(2, 3))
    with autograd.record():
        y = (p.data() * x).sum()
    y.backward()
    np.testing.assert_array_equal(p.grad().asnumpy(), x.asnumpy())
    p.zero_grad()
    assert p.grad().asnumpy().sum() == 0


def test_initializer_precedence_and_default():
    p = Parameter('w', shape=(100,))
    p.initialize()   # default: mx.init.Uniform(0.07)
    values = p.data().asnumpy()
    assert np.abs(values).max() <= 0.07 and values.std() > 0.01
    q = Parameter('q', shape=(2,), init='ones')
    q.initialize(default_init=init.Zero())     # the Parameter's own init wins
    np.testing.assert_array_equal(q.data().asnumpy(), [1, 1])
    q.initialize(init=init.Constant(5), force_reinit=True)   # ... but not over init=
    np.testing.assert_array_equal(q.data().asnumpy(), [5, 5])


def test_initialize_twice_warns_unless_forced():
    p = initialized(value=1.0)
    with pytest.warns(UserWarning, match="already initialized"):
        p.initialize(init=init.Constant(3))
    assert p.data().asnumpy()[0, 0] == 1
    p.initialize(init=init.Constant(3), force_reinit=True)
    assert p.data().asnumpy()[0, 0] == 3


def test_unknown_shape_without_deferred_init():
    p = Parameter('w', shape=(2, 0))
    with pytest.raises(MXNetError, match=r"Cannot initialize Parameter 'w' because it has "
                                         r"invalid shape: \(2, 0\)"):
        p.initialize()
    with pytest.raises(MXNetError, match="has not been initialized"):
        p.data()


def test_deferred_initialization():
    p = Parameter('w', shape=(2, 0), init=init.Constant(4), allow_deferred_init=True)
    p.initialize(ctx=CTXS)
    assert p.list_ctx() == CTXS
    with pytest.raises(DeferredInitializationError,
                       match="Parameter 'w' has not been initialized yet because "
                             "initialization was deferred"):
        p.data()
    assert isinstance(DeferredInitializationError('x'), MXNetError)
    with pytest.raises(MXNetError, match="invalid shape"):
        p._finish_deferred_init()           # the shape is still unknown
    with pytest.raises(MXNetError, match="incompatible"):
        p.shape = (3, 5)                    # a known dimension cannot change
    p.shape = (2, 5)
    p._finish_deferred_init()
    assert [d.context for d in p.list_data()] == CTXS
    np.testing.assert_array_equal(p.data(mx.cpu(1)).asnumpy(), np.full((2, 5), 4))
    assert p.grad(mx.cpu(1)).shape == (2, 5)


def test_set_data_before_deferred_init_is_used():
    p = Parameter('w', shape=(0,), allow_deferred_init=True)
    p.initialize()
    p.set_data(nd.array([7, 8, 9]))
    assert p.shape == (3,)
    p._finish_deferred_init()
    np.testing.assert_array_equal(p.data().asnumpy(), [7, 8, 9])


def test_several_contexts():
    p = Parameter('w', shape=(4,))
    p.initialize(ctx=CTXS)
    d0, d1 = p.list_data()
    assert (d0.context, d1.context) == tuple(CTXS)
    np.testing.assert_array_equal(d0.asnumpy(), d1.asnumpy())   # drawn once, copied
    assert d0 is not d1 and [g.context for g in p.list_grad()] == CTXS
    with mx.cpu(1):
        assert p.data() is d1                # no ctx: the current context's copy
    assert p.data() is d0
    with pytest.raises(MXNetError, match=r"was not initialized on context cpu\(2\)"):
        p.data(mx.cpu(2))
    # each copy is its own autograd variable
    with autograd.record():
        y = (d1 * 3).sum()
    y.backward()
    assert p.grad(mx.cpu(0)).asnumpy().sum() == 0
    np.testing.assert_array_equal(p.grad(mx.cpu(1)).asnumpy(), [3, 3, 3, 3])


def test_set_data_on_every_context():
    p = initialized(shape=(2,), ctx=CTXS)
    p.set_data(nd.array([1, 2], ctx=mx.cpu(1)))
    for d in p.list_data():
        np.testing.assert_array_equal(d.asnumpy(), [1, 2])
    p.set_data([5, 6])
    np.testing.assert_array_equal(p.data(mx.cpu(1)).asnumpy(), [5, 6])
    with pytest.raises(MXNetError, match="incompatible"):
        p.set_data(nd.ones((3,)))
    with pytest.raises(MXNetError, match="has not been initialized"):
        Parameter('u', shape=(2,)).set_data(nd.ones((2,)))


def test_grad_req():
    p = initialized(shape=(2,))
    data = p.data()
    p.grad_req = 'null'
    with pytest.raises(MXNetError, match="grad_req='null'"):
        p.grad()
    assert p.data() is not data and p.data()._grad_req == 0
    np.testing.assert_array_equal(p.data().asnumpy(), data.asnumpy())
    p.grad_req = 'add'
    for _ in range(2):
        with autograd.record():
            y = (p.data() * 2).sum()
        y.backward()
    np.testing.assert_array_equal(p.grad().asnumpy(), [4, 4])
    q = Parameter('q', shape=(1,), differentiable=False)
    assert q.grad_req == 'null'
    q.grad_req = 'write'
    assert q.grad_req == 'null'


def test_reset_ctx_keeps_the_mean():
    p = initialized(shape=(2,), ctx=CTXS)
    p.list_data()[1][:] = 3.0                  # copies drifted apart: 1 and 3
    p.reset_ctx(mx.cpu(2))
    assert p.list_ctx() == [mx.cpu(2)]
    np.testing.assert_array_equal(p.data().asnumpy(), [2, 2])
    assert p.grad().context == mx.cpu(2)
    deferred = Parameter('d', shape=(0,), allow_deferred_init=True)
    deferred.initialize()
    deferred.reset_ctx(CTXS)
    assert deferred.list_ctx() == CTXS
    with pytest.raises(MXNetError, match="Cannot reset context for Parameter 'n'"):
        Parameter('n', shape=(1,)).reset_ctx(mx.cpu())


def test_cast():
    p = initialized(shape=(2,))
    p.cast('float64')
    assert p.dtype == 'float64' and p.data().dtype == np.float64
    assert p.grad().dtype == np.float64
    with autograd.record():
        y = (p.data() * p.data()).sum()
    y.backward()
    np.testing.assert_array_equal(p.grad().asnumpy(), [2, 2])
    p.dtype = np.float16
    assert p.data().dtype == np.float16


def test_var():
    p = Parameter('w', shape=(2, 0), lr_mult=2.0, init='ones')
    try:
        import mxlearn.symbol  # noqa: F401
    except ImportError:
        with pytest.raises(NotImplementedError, match="symbolic API"):
            p.var()
        return
    v = p.var()
    assert p.var() is v and v.name == 'w'
    attrs = v.list_attr()
    assert (attrs['__shape__'], attrs['__lr_mult__'], attrs['__init__']) == \
        ('(2, 0)', '2.0', 'ones')


def test_row_sparse_fallback():
    p = Parameter('emb', shape=(3, 2), stype='row_sparse', init='ones')
    p.initialize()
    rows = p.row_sparse_data(nd.array([0, 2]))
    assert rows.shape == (3, 2)
    assert len(p.list_row_sparse_data(nd.array([1]))) == 1
    with pytest.raises(MXNetError, match="storage type is row_sparse"):
        p.data()
    with pytest.raises(MXNetError, match="Please use data"):
        initialized().row_sparse_data(nd.array([0]))


def test_initialize_does_not_record():
    p = Parameter('w', shape=(2,), init='ones')
    with autograd.record():
        p.initialize()
    assert p.data()._node is None and p.data()._grad_req == 1


# --------------------------------------------------------------- Constant --

def test_constant():
    c = Constant('const', [[1, 2], [3, 4]])
    assert repr(c) == "Constant const (shape=(2, 2), dtype=<class 'numpy.float32'>)"
    assert c.grad_req == 'null'
    with pytest.warns(UserWarning, match='does not support grad_req'):
        c.grad_req = 'write'
    c.initialize(ctx=CTXS)
    np.testing.assert_array_equal(c.data(mx.cpu(1)).asnumpy(), [[1, 2], [3, 4]])
    with pytest.raises(MXNetError, match="grad_req='null'"):
        c.grad()
    c.zero_grad()   # nothing to do


def test_get_constant():
    params = ParameterDict('blk_')
    c = params.get_constant('c', nd.array([1, 2]))
    assert params.get_constant('c') is c
    assert params.get_constant('c', [1, 2]) is c
    with pytest.raises(MXNetError, match="value doesn't match"):
        params.get_constant('c', [1, 3])
    with pytest.raises(MXNetError, match="No constant named 'blk_d'"):
        params.get_constant('d')
    params.get('w', shape=(1,))
    with pytest.raises(MXNetError, match="not a constant"):
        params.get_constant('w', [1])


# ----------------------------------------------------------- ParameterDict --

def test_get_creates_shares_and_merges():
    params = ParameterDict('net_')
    w = params.get('weight', shape=(0, 3), dtype='float32')
    assert w.name == 'net_weight' and list(params.keys()) == ['net_weight']
    assert params.get('weight', shape=(4, 0)) is w and w.shape == (4, 3)
    assert params.get('weight', dtype=np.float32, init='ones') is w and w.init == 'ones'
    with pytest.raises(MXNetError, match="attribute 'shape': desired '\\(5, 3\\)'"):
        params.get('weight', shape=(5, 3))
    with pytest.raises(MXNetError, match="attribute 'dtype'"):
        params.get('weight', dtype='float64')
    shared = ParameterDict('net_', shared=params)
    assert shared.get('weight') is w and 'net_weight' in shared
    assert shared.get('bias', shape=(2,)) is not None and 'net_bias' not in params
    assert len(shared) == 2 and list(shared) == ['net_weight', 'net_bias']


def test_update_and_repr():
    a, b = ParameterDict('a_'), ParameterDict('a_')
    a.get('w', shape=(1,))
    b.get('w', shape=(1,))
    with pytest.raises(MXNetError, match="different Parameters with the same name 'a_w'"):
        a.update(b)
    a.get('v', shape=(2, 3))
    assert repr(a) == ("a_ (\n"
                       "  Parameter a_w (shape=(1,), dtype=<class 'numpy.float32'>)\n"
                       "  Parameter a_v (shape=(2, 3), dtype=<class 'numpy.float32'>)\n"
                       ")")
    assert repr(ParameterDict()).startswith('(\n')


def test_dict_wide_operations():
    params = ParameterDict('m_')
    params.get('w', shape=(2,), init='ones')
    params.get('b', shape=(0,), allow_deferred_init=True)
    params.initialize(ctx=CTXS)
    assert params.list_ctx() == CTXS
    params.setattr('lr_mult', 0.1)
    assert all(p.lr_mult == 0.1 for p in params.values())
    w = params['m_w']
    w.grad(mx.cpu(1))[:] = 5
    params.zero_grad()      # the deferred one has nothing to zero
    assert w.grad(mx.cpu(1)).asnumpy().sum() == 0
    params.reset_ctx(mx.cpu(3))
    assert w.list_ctx() == [mx.cpu(3)] and params['m_b'].list_ctx() == [mx.cpu(3)]
    params.setattr('grad_req', 'null')
    with pytest.raises(MXNetError, match="grad_req='null'"):
        w.grad()


def test_initialize_verbose_logs(caplog):
    params = ParameterDict()
    params.get('w', shape=(2,))
    with caplog.at_level('INFO'):
        params.initialize(init=init.Uniform(), verbose=True)
    assert 'Initialized w' in caplog.text


# --------------------------------------------------------------- save/load --

def make_dict(prefix='net_', ctx=None):
    params = ParameterDict(prefix)
    params.get('weight', shape=(2, 3))
    params.get('bias', shape=(2,), dtype='float64')
    params.initialize(ctx=ctx)
    return params


def test_save_load_round_trip(tmp_path):
    path = str(tmp_path / 'p.params')
    src = make_dict(ctx=CTXS)
    src['net_weight'].list_data()[1][:] = (src['net_weight'].data(mx.cpu(0)) + 2).copyto(mx.cpu(1))
    src.save(path, strip_prefix='net_')
    saved = nd.load(path)
    assert sorted(saved) == ['bias', 'weight'] and saved['bias'].dtype == np.float64
    dst = make_dict()
    dst.load(path, restore_prefix='net_')
    # several copies are saved as their mean
    assert_almost_equal(dst['net_weight'].data(), src['net_weight'].data(mx.cpu(0)) + 1)
    assert_almost_equal(dst['net_bias'].data(), src['net_bias'].data(mx.cpu(0)))
    with pytest.raises(MXNetError, match="does not start with 'other_'"):
        src.save(path, strip_prefix='other_')
    with pytest.raises(MXNetError, match="restore_prefix is 'x_'"):
        dst.load(path, restore_prefix='x_')


def test_load_initializes_on_ctx(tmp_path):
    path = str(tmp_path / 'p.params')
    src = make_dict()
    src.save(path)
    dst = ParameterDict('net_')
    dst.get('weight', shape=(2, 0), allow_deferred_init=True)
    dst.get('bias', shape=(2,), dtype='float64')
    dst.load(path, ctx=CTXS)
    assert dst['net_weight'].shape == (2, 3) and dst['net_weight'].list_ctx() == CTXS
    assert_almost_equal(dst['net_weight'].data(mx.cpu(1)), src['net_weight'].data())
    # a deferred Parameter is loaded on the contexts of its initialize()
    deferred = ParameterDict('net_')
    deferred.get('weight', shape=(0, 3), allow_deferred_init=True)
    deferred.initialize(ctx=mx.cpu(2))
    deferred.load(path, ignore_extra=True)
    assert deferred['net_weight'].list_ctx() == [mx.cpu(2)]
    with pytest.raises(MXNetError, match="Failed to load Parameter 'net_weight'"):
        deferred.load(path, ctx=mx.cpu(0), ignore_extra=True)


def test_load_missing_extra_and_mismatch(tmp_path):
    path = str(tmp_path / 'p.params')
    make_dict().save(path)
    bigger = make_dict()
    bigger.get('gamma', shape=(1,))
    with pytest.raises(MXNetError, match="Parameter 'net_gamma' is missing in file: "):
        bigger.load(path)
    bigger.load(path, allow_missing=True)
    smaller = ParameterDict('net_')
    smaller.get('weight', shape=(2, 3))
    with pytest.raises(MXNetError, match="Parameter 'net_bias' loaded from file: .* is not "
                                         "present in ParameterDict"):
        smaller.load(path)
    smaller.load(path, ignore_extra=True)
    wrong = ParameterDict('net_')
    wrong.get('weight', shape=(3, 3))
    with pytest.raises(MXNetError, match="shape incompatible expected \\(3, 3\\) vs saved "
                                         "\\(2, 3\\)"):
        wrong.load(path, ignore_extra=True)


def test_load_dtype_rules(tmp_path):
    path = str(tmp_path / 'p.params')
    make_dict().save(path)        # bias saved as float64
    params = ParameterDict('net_')
    params.get('bias', shape=(2,))  # float32
    with pytest.raises(MXNetError, match="dtype incompatible .* Set cast_dtype=True"):
        params.load(path, ignore_extra=True)
    params.load(path, ignore_extra=True, cast_dtype=True)
    assert params['net_bias'].data().dtype == np.float32
    params.load(path, ignore_extra=True, cast_dtype=True, dtype_source='saved')
    assert params['net_bias'].dtype == np.float64
    assert params['net_bias'].data().dtype == np.float64


def test_load_dict_strips_arg_aux():
    params = ParameterDict()
    params.get('fc_weight', shape=(1,))
    params.get('bn_moving_mean', shape=(1,))
    params.load_dict({'arg:fc_weight': nd.array([2]), 'aux:bn_moving_mean': nd.array([3])})
    assert params['fc_weight'].data().asscalar() == 2
    assert params['bn_moving_mean'].data().asscalar() == 3


def test_no_warnings_on_normal_use():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        p = initialized(ctx=CTXS)
        p.zero_grad()
        p.reset_ctx(mx.cpu(0))
