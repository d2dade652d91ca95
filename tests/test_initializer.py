"""mx.init: dispatch by name and __init__, each initializer against its formula, registry."""
import json
import logging
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mxlearn as mx
import mxlearn.initializer
import mxlearn.random
from mxlearn.base import MXNetError

I = mx.initializer
SETTINGS = settings(max_examples=20, deadline=None)


@pytest.fixture
def registry():
    """Let a test register initializers without leaving them behind."""
    saved = dict(I.base._REGISTRY)
    yield
    I.base._REGISTRY.clear()
    I.base._REGISTRY.update(saved)


def filled(init, desc, shape):
    """What ``init`` writes over an array of 5s, for an InitDesc or a name made one."""
    arr = mx.nd.full(shape, 5.0)
    init(desc if isinstance(desc, I.InitDesc) else I.InitDesc(desc), arr)
    return arr.asnumpy()


def legacy(init, name, shape):
    """The same, with a plain str name (MXNet's deprecated call)."""
    arr = mx.nd.full(shape, 5.0)
    init(name, arr)
    return arr.asnumpy()


class Sevens(I.Initializer):
    def _init_weight(self, _, arr):
        arr[:] = 7


# ------------------------------------------------------------- dispatch --

@pytest.mark.parametrize('name, expected', [
    ('fc1_weight', 7), ('fc1_bias', 0), ('bn_gamma', 1), ('bn_beta', 0),
    ('q_min', 0), ('q_max', 1), ('weight', 7)])
def test_rules_by_name(name, expected):
    assert (filled(Sevens(), name, (2, 3)) == expected).all()


@pytest.mark.parametrize('name', ['bn_moving_mean', 'bn_running_var', 'fc_weights', 'x'])
def test_unknown_name_is_an_error(name):
    with pytest.raises(MXNetError, match='Unknown initialization pattern for %s' % name):
        filled(Sevens(), name, (2,))


@pytest.mark.parametrize('chosen', ['one', 'ONES', '["one", {}]', I.One()])
def test_init_attribute_takes_precedence(chosen):
    # whatever the name (even one without a rule), the __init__ initializer fills it
    for name in ('fc_bias', 'bn_moving_var', 'anything'):
        desc = I.InitDesc(name, {'__init__': chosen})
        assert (filled(Sevens(), desc, (3,)) == 1).all()
    # and it fills with _init_weight: Constant writes its value even into a bias
    desc = I.InitDesc('fc_bias', {'__init__': I.Constant(2.0).dumps()})
    assert (filled(I.Zero(), desc, (2,)) == 2).all()


def test_global_init_is_recorded():
    init = I.Uniform()
    desc = I.InitDesc('fc_weight')
    init(desc, mx.nd.zeros((2, 2)))
    assert desc.global_init is init
    other = I.InitDesc('fc_weight', global_init=I.Zero())
    init(other, mx.nd.zeros((2, 2)))
    assert other.global_init == I.Zero()


@pytest.mark.parametrize('name, expected', [
    ('bn_moving_mean', 0), ('bn_moving_var', 1), ('bn_moving_inv_var', 0),
    ('x_moving_avg', 0), ('fc_weight', 7), ('fc_bias', 0), ('stn_loc_weight', 0)])
def test_plain_string_names_use_the_legacy_rules(name, expected):
    with pytest.warns(DeprecationWarning, match='InitDesc'):
        assert (legacy(Sevens(), name, (6,)) == expected).all()


def test_legacy_special_names():
    with pytest.warns(DeprecationWarning):
        assert legacy(Sevens(), 'stn_loc_bias', (6,)).tolist() == [1, 0, 0, 0, 1, 0]
        up = legacy(Sevens(), 'upsampling0_weight', (1, 1, 4, 4))
        with pytest.raises(MXNetError, match='Unknown initialization pattern for foo'):
            legacy(Sevens(), 'foo', (2,))
        with pytest.raises(MXNetError, match='must be a str or an InitDesc'):
            Sevens()(3, mx.nd.zeros(2))
    np.testing.assert_array_equal(up, bilinear_reference((1, 1, 4, 4)))


def test_array_must_be_an_ndarray():
    with pytest.raises(MXNetError, match='fills an NDArray in place, got ndarray'):
        I.One()(I.InitDesc('w_weight'), np.zeros(3))


def test_base_class_needs_init_weight():
    with pytest.raises(NotImplementedError, match='Initializer must define _init_weight'):
        I.Initializer()(I.InitDesc('w_weight'), mx.nd.zeros(2))


# ------------------------------------------------------- fixed values --

def test_zero_one_constant():
    assert (filled(I.Zero(), 'w_weight', (2, 2)) == 0).all()
    assert (filled(I.One(), 'w_weight', (2, 2)) == 1).all()
    assert (filled(I.Constant(-1.5), 'w_weight', (2, 2)) == -1.5).all()
    rows = filled(I.Constant(mx.nd.array([1, 2, 3])), 'w_weight', (2, 3))
    np.testing.assert_array_equal(rows, [[1, 2, 3], [1, 2, 3]])
    # an array value survives dumps -> create as a list
    again = I.create(I.Constant(np.array([[1.0], [2.0]])).dumps())
    np.testing.assert_array_equal(filled(again, 'w_weight', (2, 2)), [[1, 1], [2, 2]])
    with pytest.raises(MXNetError, match=r'value of shape \(3,\) cannot fill w_weight of shape'):
        filled(I.Constant([1, 2, 3]), 'w_weight', (2, 2))


def bilinear_reference(shape):
    """MXNet's filter, element by element from its definition."""
    f = math.ceil(shape[3] / 2)
    c = (2 * f - 1 - f % 2) / (2 * f)
    w = np.zeros(shape, dtype=np.float32)
    for idx in np.ndindex(*shape):
        y, x = idx[2], idx[3]
        w[idx] = (1 - abs(x / f - c)) * (1 - abs(y / f - c))
    return w


@pytest.mark.parametrize('shape', [(1, 1, 4, 4), (2, 3, 5, 5), (1, 2, 3, 4), (2, 1, 6, 3)])
def test_bilinear(shape):
    np.testing.assert_array_equal(filled(I.Bilinear(), 'up_weight', shape),
                                  bilinear_reference(shape))


def test_bilinear_upsamples_by_two():
    # the 4x4 filter of a stride-2 deconvolution is the outer product of [1,3,3,1]/4
    w = filled(I.Bilinear(), 'up_weight', (1, 1, 4, 4))[0, 0]
    np.testing.assert_allclose(w, np.outer([1, 3, 3, 1], [1, 3, 3, 1]) / 16)
    with pytest.raises(MXNetError, match=r'4-D weight .* got shape \(3, 3\)'):
        filled(I.Bilinear(), 'up_weight', (3, 3))


def test_lstm_bias():
    b = filled(I.LSTMBias(forget_bias=2.5), I.InitDesc('i2h_bias', {'__init__': 'lstmbias'}),
               (12,))
    np.testing.assert_array_equal(b, [0] * 3 + [1.0] * 3 + [0] * 6)     # default forget_bias 1
    desc = I.InitDesc('i2h_bias', {'__init__': I.LSTMBias(2.5)})
    np.testing.assert_array_equal(filled(I.Zero(), desc, (8,)), [0, 0, 2.5, 2.5, 0, 0, 0, 0])
    with pytest.raises(MXNetError, match=r'shape \(6,\).*multiple of 4'):
        filled(I.LSTMBias(), I.InitDesc('b', {'__init__': 'lstmbias'}), (6,))


# ------------------------------------------------------------- random --

def test_uniform_and_normal_statistics():
    mx.random.seed(1)
    u = filled(I.Uniform(0.3), 'w_weight', (200, 100))
    assert -0.3 <= u.min() and u.max() < 0.3
    assert abs(u.mean()) < 0.01 and abs(u.var() - 0.3 ** 2 / 3) < 0.002
    assert abs(filled(I.Uniform(), 'w_weight', (10000,)).max() - 0.07) < 1e-3   # default scale
    n = filled(I.Normal(0.5), 'w_weight', (200, 100))
    assert abs(n.mean()) < 0.02 and abs(n.std() - 0.5) < 0.01
    assert abs(filled(I.Normal(), 'w_weight', (20000,)).std() - 0.01) < 5e-4


def test_random_init_is_reproducible_and_keeps_dtype_and_device():
    def draw(init, **kwargs):
        mx.random.seed(42)
        arr = mx.nd.zeros((3, 4), **kwargs)
        init(I.InitDesc('w_weight'), arr)
        return arr
    for init in (I.Uniform(), I.Normal(), I.Xavier(), I.MSRAPrelu(), I.Orthogonal()):
        a, b = draw(init), draw(init)
        np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
        assert (a.asnumpy() != 0).all()
        c = draw(init, dtype='float64', ctx=mx.cpu(1))
        assert c.dtype == np.float64 and c.context == mx.cpu(1)
    assert draw(I.Uniform(), dtype='float16').dtype == np.float16


def fans(shape):
    k = int(np.prod(shape[2:]))
    return shape[1] * k, shape[0] * k


@SETTINGS
@given(shape=st.lists(st.integers(1, 6), min_size=2, max_size=4).map(tuple),
       factor_type=st.sampled_from(['avg', 'in', 'out']), magnitude=st.floats(0.5, 6))
def test_xavier_scale_formula(shape, factor_type, magnitude):
    fan_in, fan_out = fans(shape)
    n = {'avg': (fan_in + fan_out) / 2, 'in': fan_in, 'out': fan_out}[factor_type]
    c = math.sqrt(magnitude / n)
    init = I.Xavier(factor_type=factor_type, magnitude=magnitude)
    assert init.scale_for(shape) == pytest.approx(c)
    w = filled(init, 'w_weight', shape)
    assert np.abs(w).max() <= c * (1 + 1e-6)


@pytest.mark.parametrize('shape', [(256, 128), (64, 32, 3, 3), (16, 8, 2, 3, 3)])
def test_xavier_distributions(shape):
    fan_in, fan_out = fans(shape)
    mx.random.seed(3)
    c = math.sqrt(3 / ((fan_in + fan_out) / 2))
    u = filled(I.Xavier(), 'conv_weight', shape)
    assert np.abs(u).max() <= c and np.abs(u).max() > 0.98 * c
    assert abs(u.var() - c * c / 3) < 0.05 * c * c / 3
    sigma = math.sqrt(2 / fan_in)
    g = filled(I.Xavier('gaussian', 'in', 2), 'conv_weight', shape)
    assert abs(g.std() - sigma) < 0.05 * sigma


def test_xavier_errors():
    with pytest.raises(MXNetError, match=r'Xavier cannot initialize an array of shape \(5,\): '
                                         r'it needs at least 2 dimensions'):
        filled(I.Xavier(), 'fc_weight', (5,))
    with pytest.raises(MXNetError, match=r'shape \(0, 3\): its fan \(out\) is 0'):
        I.Xavier(factor_type='out').scale_for((0, 3))
    with pytest.raises(MXNetError, match="rnd_type must be one of 'uniform', 'gaussian'"):
        I.Xavier(rnd_type='normal')
    with pytest.raises(MXNetError, match="factor_type must be one of 'avg', 'in', 'out', "
                                         "got 'fan'"):
        I.MSRAPrelu(factor_type='fan')


@pytest.mark.parametrize('slope, factor_type', [(0.25, 'avg'), (0.0, 'in'), (0.5, 'out')])
def test_msra_prelu(slope, factor_type):
    shape = (64, 48, 3, 3)
    fan_in, fan_out = fans(shape)
    n = {'avg': (fan_in + fan_out) / 2, 'in': fan_in, 'out': fan_out}[factor_type]
    sigma = math.sqrt(2 / ((1 + slope ** 2) * n))
    init = I.MSRAPrelu(factor_type, slope)
    assert init.scale_for(shape) == pytest.approx(sigma)
    mx.random.seed(5)
    w = filled(init, 'conv_weight', shape)
    assert abs(w.std() - sigma) < 0.03 * sigma and abs(w.mean()) < 0.05 * sigma
    assert json.loads(init.dumps()) == ['msraprelu', {'factor_type': factor_type, 'slope': slope}]
    assert I.create(init.dumps()) == init


@pytest.mark.parametrize('shape', [(3, 7), (7, 3), (5, 5), (4, 2, 3, 3), (6,)])
@pytest.mark.parametrize('rand_type', ['uniform', 'normal'])
def test_orthogonal(shape, rand_type):
    w = filled(I.Orthogonal(scale=2.0, rand_type=rand_type), 'w_weight', shape)
    m = w.reshape(shape[0], -1).astype(np.float64) / 2.0
    gram = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    np.testing.assert_allclose(gram, np.eye(len(gram)), atol=1e-5)
    assert I.Orthogonal().scale == 1.414
    with pytest.raises(MXNetError, match="rand_type must be one of 'uniform', 'normal'"):
        I.Orthogonal(rand_type='gaussian')


# ---------------------------------------------------------- Mixed, Load --

def test_mixed_dispatches_on_the_first_matching_pattern():
    init = I.Mixed(['conv.*', '.*_weight', '.*'], ['ones', I.Constant(2), I.Zero()])
    assert (filled(init, 'conv1_weight', (2,)) == 1).all()
    assert (filled(init, 'fc_weight', (2,)) == 2).all()
    assert (filled(init, 'fc_bias', (2,)) == 0).all()       # Zero's rule for *_bias
    assert (filled(init, 'bn_gamma', (2,)) == 1).all()      # ... and for *_gamma
    # patterns match at the start of the name
    with pytest.raises(MXNetError,
                       match="fc_bias did not match any pattern of Mixed \\('bias'\\)"):
        filled(I.Mixed(['bias'], [I.Zero()]), 'fc_bias', (2,))
    with pytest.raises(MXNetError, match='2 patterns but 1 initializers'):
        I.Mixed(['a', 'b'], [I.Zero()])


def test_mixed_and_load_as_the_init_attribute():
    # Gluon hands over InitDesc(name, {'__init__': init}); with init being the
    # Mixed or Load itself, it must apply its own rules instead of looping.
    mixed = I.Mixed(['.*weight'], [I.Constant(3)])
    desc = I.InitDesc('fc_weight', {'__init__': mixed})
    assert (filled(mixed, desc, (2,)) == 3).all()
    by_json = I.InitDesc('fc_weight', {'__init__': mixed.dumps()})
    assert (filled(I.Uniform(), by_json, (2,)) == 3).all()
    # a parameter's own __init__ still wins inside a Mixed
    assert (filled(mixed, I.InitDesc('fc_weight', {'__init__': 'zeros'}), (2,)) == 0).all()
    load = I.Load({'fc_weight': mx.nd.array([4, 4])}, default_init=I.One())
    assert (filled(load, I.InitDesc('fc_weight', {'__init__': load}), (2,)) == 4).all()
    assert (filled(I.Zero(), I.InitDesc('fc_weight', {'__init__': load}), (2,)) == 4).all()
    assert (filled(load, I.InitDesc('other_weight', {'__init__': load}), (2,)) == 1).all()


def test_mixed_dumps_round_trip():
    init = I.Mixed(['.*bias', '.*'], [I.Zero(), I.Xavier(magnitude=2)])
    again = I.create(init.dumps())
    assert again == init and again.map[1][1] == I.Xavier(magnitude=2)


def test_load(tmp_path):
    params = {'arg:fc_weight': mx.nd.array([[1, 2], [3, 4]]),
              'aux:bn_moving_mean': mx.nd.array([5]),
              'plain_bias': mx.nd.array([6, 7], ctx=mx.cpu(1))}
    fname = str(tmp_path / 'model.params')
    mx.nd.save(fname, params)
    for source in (params, fname):
        init = I.Load(source, default_init=I.Constant(9))
        np.testing.assert_array_equal(filled(init, 'fc_weight', (2, 2)), [[1, 2], [3, 4]])
        assert filled(init, 'bn_moving_mean', (1,)).tolist() == [5]
        assert filled(init, 'plain_bias', (2,)).tolist() == [6, 7]
        assert filled(init, 'new_weight', (2,)).tolist() == [9, 9]
    with pytest.raises(MXNetError, match=r'fc_weight cannot be initialized from loading: shape '
                                         r'mismatch, target \(4,\) vs loaded \(2, 2\)'):
        filled(I.Load(params), 'fc_weight', (4,))
    with pytest.raises(MXNetError, match='Cannot initialize new_weight: it is not among the '
                                         'loaded arrays and no default_init'):
        filled(I.Load(params), 'new_weight', (2,))
    with pytest.raises(MXNetError, match='cannot be written as JSON'):
        I.Load(params).dumps()
    mx.nd.save(fname, [mx.nd.zeros(1)])
    with pytest.raises(MXNetError, match='needs named arrays'):
        I.Load(fname)


def test_load_verbose_logs(caplog):
    init = I.Load({'a_weight': mx.nd.ones(1)}, default_init='zeros', verbose=True)
    with caplog.at_level(logging.INFO):
        filled(init, 'a_weight', (1,))
        filled(init, 'b_weight', (1,))
    assert 'Initialized a_weight by loading' in caplog.text
    assert 'Initialized b_weight by default' in caplog.text


# ---------------------------------------------------- registry, dumps --

def test_create():
    assert I.create('xavier') == I.Xavier()
    assert I.create('Xavier', 'gaussian', magnitude=2) == I.Xavier('gaussian', magnitude=2)
    assert I.create('zeros') == I.create('zero') == I.Zero()
    assert I.create('ones') == I.One()
    assert I.create('["normal", {"sigma": 0.5}]') == I.Normal(0.5)
    assert I.create({'initializer': 'uniform', 'scale': 0.2}) == I.Uniform(0.2)
    assert I.create(initializer='msraprelu', slope=0) == I.MSRAPrelu(slope=0)
    u = I.Uniform()
    assert I.create(u) is u
    with pytest.raises(MXNetError, match="unknown initializer 'glorot'; the registered ones "
                                         "are bilinear, constant"):
        I.create('glorot')
    with pytest.raises(MXNetError, match='already an initializer'):
        I.create(u, 0.1)
    with pytest.raises(MXNetError, match='got int'):
        I.create(3)


def test_dumps_eq_repr():
    for init in (I.Zero(), I.One(), I.Constant(1.5), I.Uniform(0.2), I.Normal(0.3),
                 I.Orthogonal(2.0, 'normal'), I.Xavier('gaussian', 'out', 2.5),
                 I.MSRAPrelu('in', 0.1), I.Bilinear(), I.LSTMBias(0.5)):
        assert I.create(init.dumps()) == init
        assert json.loads(init.dumps())[0] == type(init).__name__.lower()
    assert I.Xavier().dumps() == \
        '["xavier", {"rnd_type": "uniform", "factor_type": "avg", "magnitude": 3}]'
    assert I.Uniform(0.1) != I.Uniform(0.2) and I.Uniform() != I.Normal()
    assert repr(I.Normal(0.5)) == 'Normal(sigma=0.5)'


def test_custom_initializer(registry):
    @I.register
    class Stripes(I.Initializer):
        def __init__(self, value=1.0):
            super().__init__(value=value)
            self.value = value

        def _init_weight(self, _, arr):
            arr[:] = 0
            arr[::2] = self.value

        def _init_bias(self, _, arr):
            arr[:] = -1

    assert I.create('stripes', value=3.0) == Stripes(3.0)
    assert filled(I.create('STRIPES'), 'fc_weight', (4,)).tolist() == [1, 0, 1, 0]
    assert filled(Stripes(), 'fc_bias', (2,)).tolist() == [-1, -1]
    desc = I.InitDesc('fc_bias', {'__init__': Stripes(2.0).dumps()})
    assert filled(I.Zero(), desc, (3,)).tolist() == [2, 0, 2]
    I.alias('stripy', 'zebra')(Stripes)
    assert type(I.create('zebra')) is Stripes
    with pytest.warns(UserWarning, match="initializer 'zebra': .*Sevens replaces .*Stripes"):
        I.alias('zebra')(Sevens)
    with pytest.raises(MXNetError, match='only subclasses of mx.init.Initializer'):
        I.register(dict)


def test_set_verbosity(caplog):
    init = I.One().set_verbosity(True)
    with caplog.at_level(logging.INFO):
        init(I.InitDesc('fc_weight'), mx.nd.zeros(4))
        init(I.InitDesc('fc_bias', {'__init__': 'ones'}), mx.nd.zeros(4))
    assert 'Initialized fc_weight as weight: 1.0' in caplog.text
    assert 'Initialized fc_bias as ones: 1.0' in caplog.text
    quiet = I.One().set_verbosity(True, print_func=lambda a: 'custom').set_verbosity(False)
    with caplog.at_level(logging.INFO):
        caplog.clear()
        quiet(I.InitDesc('x_weight'), mx.nd.zeros(1))
    assert caplog.text == ''
