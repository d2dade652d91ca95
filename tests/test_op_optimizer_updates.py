"""The fused optimizer-update operators: formulas, in-place semantics, kernels, errors."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mxlearn as mx
from mxlearn import autograd, nd
from mxlearn._ext import optimizer as kernels
from mxlearn.base import MXNetError
from mxlearn.operator import optimizer_updates as ou
from mxlearn.test_utils import assert_almost_equal

# Every test runs on each device of the ctx fixture (tests/conftest.py).
pytestmark = pytest.mark.usefixtures('ctx')

SETTINGS = settings(max_examples=12, deadline=None)


def rand(shape, seed, scale=1.0, dtype=np.float32, positive=False):
    x = np.random.RandomState(seed).uniform(0.1 if positive else -1, 1, shape) * scale
    return x.astype(dtype)


def clip(x, c):
    return np.clip(x, -c, c) if c >= 0 else x


# ---------------------------------------- numpy statements of the rules --
# Each takes float64 copies and returns (new weight, dict of new states).

def sgd(w, g, *, lr, wd=0, rescale_grad=1, clip_gradient=-1):
    return (1 - lr * wd) * w - lr * clip(rescale_grad * g, clip_gradient), {}


def sgd_mom(w, g, mom, *, lr, momentum=0, wd=0, rescale_grad=1, clip_gradient=-1):
    mom = momentum * mom - lr * wd * w - lr * clip(rescale_grad * g, clip_gradient)
    return w + mom, {'mom': mom}


def nag_mom(w, g, mom, *, lr, momentum=0, wd=0, rescale_grad=1, clip_gradient=-1):
    g = clip(rescale_grad * g, clip_gradient) + wd * w
    mom = momentum * mom - lr * g
    return w + momentum * mom - lr * g, {'mom': mom}


def signsgd(w, g, *, lr, wd=0, rescale_grad=1, clip_gradient=-1):
    return (1 - lr * wd) * w - lr * np.sign(g), {}


def signum(w, g, mom, *, lr, momentum=0, wd=0, rescale_grad=1, clip_gradient=-1, wd_lh=0):
    mom = momentum * mom - (1 - momentum) * (wd * w + clip(rescale_grad * g, clip_gradient))
    return (1 - lr * wd_lh) * w + lr * np.sign(mom), {'mom': mom}


def adam(w, g, mean, var, *, lr, beta1=0.9, beta2=0.999, epsilon=1e-8, wd=0,
         rescale_grad=1, clip_gradient=-1):
    g = clip(rescale_grad * g + wd * w, clip_gradient)
    mean = beta1 * mean + (1 - beta1) * g
    var = beta2 * var + (1 - beta2) * g * g
    return w - lr * mean / (np.sqrt(var) + epsilon), {'mean': mean, 'var': var}


def rmsprop(w, g, n, *, lr, gamma1=0.95, epsilon=1e-8, wd=0, rescale_grad=1,
            clip_gradient=-1, clip_weights=-1):
    g = clip(rescale_grad * g + wd * w, clip_gradient)
    n = (1 - gamma1) * g * g + gamma1 * n
    return clip(w - lr * g / np.sqrt(n + epsilon), clip_weights), {'n': n}


def rmspropalex(w, g, n, avg, delta, *, lr, gamma1=0.95, gamma2=0.9, epsilon=1e-8, wd=0,
                rescale_grad=1, clip_gradient=-1, clip_weights=-1):
    g = clip(rescale_grad * g + wd * w, clip_gradient)
    n = (1 - gamma1) * g * g + gamma1 * n
    avg = (1 - gamma1) * g + gamma1 * avg
    delta = gamma2 * delta - lr * g / np.sqrt(n - avg * avg + epsilon)
    return clip(w + delta, clip_weights), {'n': n, 'g': avg, 'delta': delta}


def ftrl(w, g, z, n, *, lr, lamda1=0.01, beta=1, wd=0, rescale_grad=1, clip_gradient=-1):
    g = clip(rescale_grad * g, clip_gradient)
    z = z + g - (np.sqrt(n + g * g) - np.sqrt(n)) * w / lr
    n = n + g * g
    w = (np.sign(z) * lamda1 - z) / ((beta + np.sqrt(n)) / lr + wd) * (np.abs(z) > lamda1)
    return w, {'z': z, 'n': n}


def ftml(w, g, d, v, z, *, lr, t, beta1=0.6, beta2=0.999, epsilon=1e-8, wd=0,
         rescale_grad=1, clip_grad=-1):
    g = clip(rescale_grad * g + wd * w, clip_grad)
    v = beta2 * v + (1 - beta2) * g * g
    d_t = (1 - beta1 ** t) / lr * (np.sqrt(v / (1 - beta2 ** t)) + epsilon)
    z = beta1 * z + (1 - beta1) * g - (d_t - beta1 * d) * w
    return -z / d_t, {'d': d_t, 'v': v, 'z': z}


# name, reference, state names, attributes (besides lr), which states must be positive
CASES = [
    ('sgd_update', sgd, (), {}, ()),
    ('sgd_mom_update', sgd_mom, ('mom',), {'momentum': 0.9}, ()),
    ('nag_mom_update', nag_mom, ('mom',), {'momentum': 0.8}, ()),
    ('signsgd_update', signsgd, (), {}, ()),
    ('signum_update', signum, ('mom',), {'momentum': 0.7, 'wd_lh': 0.02}, ()),
    ('adam_update', adam, ('mean', 'var'), {'beta1': 0.8, 'beta2': 0.9, 'epsilon': 1e-3},
     ('var',)),
    ('rmsprop_update', rmsprop, ('n',), {'gamma1': 0.8, 'epsilon': 1e-3,
                                         'clip_weights': 0.9}, ('n',)),
    ('rmspropalex_update', rmspropalex, ('n', 'g', 'delta'),
     {'gamma1': 0.8, 'gamma2': 0.7, 'epsilon': 1e-3, 'clip_weights': 2.0}, ('n',)),
    ('ftrl_update', ftrl, ('z', 'n'), {'lamda1': 0.05, 'beta': 1.5}, ('n',)),
    ('ftml_update', ftml, ('d', 'v', 'z'), {'t': 3, 'beta1': 0.6, 'beta2': 0.9,
                                            'epsilon': 1e-3}, ('d', 'v')),
]


@SETTINGS
@pytest.mark.parametrize('name,rule,states,extra,positive', CASES,
                         ids=[c[0] for c in CASES])
@given(seed=st.integers(0, 2 ** 16), clip_gradient=st.sampled_from([-1.0, 0.0, 0.3]),
       wd=st.sampled_from([0.0, 0.05]), rescale_grad=st.sampled_from([1.0, 0.5]),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_update_ops_follow_their_formula(name, rule, states, extra, positive, seed,
                                         clip_gradient, wd, rescale_grad, dtype):
    shape = (3, 4)
    w0, g0 = rand(shape, seed, 2, dtype), rand(shape, seed + 1, 3, dtype)
    s0 = {s: rand(shape, seed + 2 + i, 1, dtype, positive=s in positive)
          for i, s in enumerate(states)}
    if name == 'rmspropalex_update':
        s0['g'] *= 0.1          # keeps n - g**2 positive, so that the root is real
    clip_key = 'clip_grad' if name == 'ftml_update' else 'clip_gradient'
    attrs = dict(extra, lr=0.1, wd=wd, rescale_grad=rescale_grad, **{clip_key: clip_gradient})
    want_w, want_s = rule(w0.astype(np.float64), g0.astype(np.float64),
                          *[s0[s].astype(np.float64) for s in states], **attrs)
    w, st_nd = nd.array(w0, dtype=dtype), [nd.array(s0[s], dtype=dtype) for s in states]
    out = getattr(nd, name)(w, nd.array(g0, dtype=dtype), *st_nd, **attrs)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    assert out.dtype == dtype and out.shape == shape
    assert_almost_equal(out.asnumpy(), want_w, rtol=tol, atol=tol)
    assert np.array_equal(w.asnumpy(), w0)              # no out=: the weight is unchanged
    for s, arr in zip(states, st_nd):                   # the states are updated in place
        assert_almost_equal(arr.asnumpy(), want_s[s], rtol=tol, atol=tol, names=(s, 'want'))


def test_out_equal_to_weight_updates_in_place_and_returns_it():
    w, g, mom = nd.array([1.0, 2.0]), nd.array([1.0, -1.0]), nd.zeros(2)
    out = nd.sgd_mom_update(w, g, mom, lr=0.5, momentum=0.9, out=w)
    assert out is w
    assert w.asnumpy().tolist() == [0.5, 2.5]
    assert mom.asnumpy().tolist() == [-0.5, 0.5]
    # positional attributes follow MXNet's order (lr first)
    nd.sgd_update(w, g, 0.5, out=w)
    assert w.asnumpy().tolist() == [0.0, 3.0]


def test_fused_update_writes_the_weight_itself():
    w0, g0 = rand((4, 5), 0), rand((4, 5), 1)
    mean, var = nd.zeros((4, 5)), nd.zeros((4, 5))
    w = nd.array(w0)
    buffer = w._data
    assert ou.fused_update('adam_update', w, nd.array(g0), mean, var, lr=0.01) is w
    assert w._data is buffer
    want, _ = adam(w0.astype(np.float64), g0.astype(np.float64), 0, 0, lr=0.01)
    assert_almost_equal(w.asnumpy(), want, rtol=1e-5, atol=1e-6)


def test_updates_have_no_gradient():
    w, g = nd.array([1.0, 2.0]), nd.array([1.0, 1.0])
    w.attach_grad()
    with autograd.record():
        out = nd.sgd_update(w, g, lr=0.1)
    assert out._node is None


# ------------------------------------------------------------- kernels --

KERNEL_CASES = [
    ('sgd_update', ('grad',), dict(lr=0.1, wd=0.01, rescale_grad=0.5, clip_gradient=0.2)),
    ('sgd_mom_update', ('grad', 'mom'), dict(lr=0.1, momentum=0.9, wd=0.01,
                                             rescale_grad=0.5, clip_gradient=-1.0)),
    ('adam_update', ('grad', 'mean', 'var'), dict(lr=0.01, beta1=0.9, beta2=0.99,
                                                  epsilon=1e-6, wd=0.01, rescale_grad=2.0,
                                                  clip_gradient=0.5)),
    ('rmsprop_update', ('grad', 'n'), dict(lr=0.01, gamma1=0.9, epsilon=1e-6, wd=0.01,
                                           rescale_grad=2.0, clip_gradient=-1.0,
                                           clip_weights=0.7)),
    ('rmspropalex_update', ('grad', 'n', 'g', 'delta'),
     dict(lr=0.01, gamma1=0.9, gamma2=0.8, epsilon=1e-6, wd=0.01, rescale_grad=2.0,
          clip_gradient=0.5, clip_weights=-1.0)),
]


@pytest.mark.parametrize('name,inputs,attrs', KERNEL_CASES, ids=[c[0] for c in KERNEL_CASES])
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('size', [1, 1000, 150_001])   # the last one runs in parallel chunks
def test_kernels_match_the_reference(name, inputs, attrs, dtype, size):
    reference, kernel = ou._RULES[name]
    arrays = [rand(size, i, 2, dtype, positive=n in ('n', 'var')) for i, n in
              enumerate(('weight',) + inputs)]
    if name == 'rmspropalex_update':
        arrays[3] *= 0.1        # keep n - g**2 positive
    expected = [a.copy() for a in arrays]
    kernel(*arrays, **attrs)
    reference(np, *expected, **attrs)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for got, want, n in zip(arrays, expected, ('weight',) + inputs):
        assert_almost_equal(got, want, rtol=tol, atol=tol, names=(n, 'reference'))


@pytest.mark.parametrize('momentum', [0.0, 0.9])
@pytest.mark.parametrize('size', [7, 150_001])
def test_mixed_precision_kernels_match_the_reference(momentum, size):
    w32 = rand(size, 0, 3)
    g16 = rand(size, 1, 5, np.float16)
    mom = rand(size, 2)
    attrs = dict(lr=0.1, wd=0.01, rescale_grad=0.5, clip_gradient=1.0)
    name = 'mp_sgd_mom_update' if momentum else 'mp_sgd_update'
    if momentum:
        attrs['momentum'] = momentum
    states = (mom, w32) if momentum else (w32,)
    expect_states = [s.copy() for s in states]
    w16, expect_w16 = np.empty(size, np.float16), np.empty(size, np.float16)
    reference, kernel = ou._RULES[name]
    kernel(w16.view(np.uint16), g16.view(np.uint16), *states, **attrs)
    reference(np, expect_w16, g16, *expect_states, **attrs)
    for got, want in zip(states, expect_states):
        assert_almost_equal(got, want, rtol=1e-6, atol=1e-6)
    assert np.array_equal(w16, expect_w16)


def test_half_precision_conversions_are_exact():
    # float16 -> float32: every one of the 65536 bit patterns (w32 = 0 + grad)
    bits = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    w32, w16 = np.zeros(65536, np.float32), np.empty(65536, np.float16)
    kernels.mp_sgd_update(w16.view(np.uint16), bits, w32, lr=-1.0, wd=0.0, rescale_grad=1.0,
                          clip_gradient=-1.0)
    want = bits.view(np.float16).astype(np.float32)
    finite = ~np.isnan(want)
    assert np.array_equal(w32[finite], want[finite]) and np.isnan(w32[~finite]).all()
    # float32 -> float16 (lr = 0 copies w32): random bit patterns and the edge cases
    rs = np.random.RandomState(0)
    edges = np.array([0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x477fefff,
                      0x477ff000, 0x33000000, 0x33000001, 0x387fffff, 0x38800000,
                      0x38000000, 0x3f800000], np.uint32)
    w32 = np.concatenate([rs.randint(0, 2 ** 32, 200_000, dtype=np.uint64).astype(np.uint32),
                          edges]).view(np.float32)
    want = w32.astype(np.float16)
    w16 = np.empty(w32.size, np.float16)
    with np.errstate(over='ignore'):
        kernels.mp_sgd_update(w16.view(np.uint16), np.zeros(w32.size, np.uint16), w32.copy(),
                              lr=0.0, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0)
    finite = ~np.isnan(want)
    assert np.array_equal(w16.view(np.uint16)[finite], want.view(np.uint16)[finite])
    assert np.isnan(w16[~finite]).all()


def test_non_contiguous_arrays_take_the_reference_path():
    w = rand((6, 4), 0).T                      # a transposed view: not C-contiguous
    g = rand((4, 6), 1)
    want = w.astype(np.float64) * (1 - 0.1 * 0.5) - 0.1 * g
    ou._run('sgd_update', np, (w, g), dict(lr=0.1, wd=0.5, rescale_grad=1.0,
                                           clip_gradient=-1.0))
    assert_almost_equal(w, want, rtol=1e-6, atol=1e-6)


# --------------------------------------------------- mixed precision ops --

@pytest.mark.parametrize('name', ['mp_sgd_update', 'mp_sgd_mom_update', 'mp_nag_mom_update'])
def test_mp_ops_update_the_float32_master_copy(name):
    w32_0, g0 = rand(10, 0, 2), rand(10, 1, 3).astype(np.float16)
    mom0 = rand(10, 2)
    attrs = dict(lr=0.1, wd=0.05, rescale_grad=0.5, clip_gradient=0.6)
    rule = {'mp_sgd_update': sgd, 'mp_sgd_mom_update': sgd_mom,
            'mp_nag_mom_update': nag_mom}[name]
    has_mom = name != 'mp_sgd_update'
    if has_mom:
        attrs['momentum'] = 0.9
    w32, mom = nd.array(w32_0), nd.array(mom0)
    inputs = (mom, w32) if has_mom else (w32,)
    out = getattr(nd, name)(w32.astype('float16'), nd.array(g0, dtype='float16'), *inputs,
                            **attrs)
    args = (mom0.astype(np.float64),) if has_mom else ()
    want, states = rule(w32_0.astype(np.float64), g0.astype(np.float64), *args, **attrs)
    assert out.dtype == np.float16
    assert_almost_equal(w32.asnumpy(), want, rtol=1e-5, atol=1e-6)
    assert np.array_equal(out.asnumpy(), w32.asnumpy().astype(np.float16))
    if has_mom:
        assert_almost_equal(mom.asnumpy(), states['mom'], rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------- LAMB --

def lamb_phase1(w, g, mean, var, *, t, wd, beta1=0.9, beta2=0.999, epsilon=1e-6,
                bias_correction=True, rescale_grad=1, clip_gradient=-1):
    g = clip(rescale_grad * g, clip_gradient)
    mean = beta1 * mean + (1 - beta1) * g
    var = beta2 * var + (1 - beta2) * g * g
    m, v = (mean / (1 - beta1 ** t), var / (1 - beta2 ** t)) if bias_correction else (mean, var)
    return m / (np.sqrt(v) + epsilon) + wd * w, mean, var


@pytest.mark.parametrize('bias_correction', [True, False])
@pytest.mark.parametrize('clip_gradient', [-1.0, 0.3])
def test_lamb_phase1(bias_correction, clip_gradient):
    w0, g0, m0, v0 = rand(8, 0), rand(8, 1, 2), rand(8, 2), rand(8, 3, positive=True)
    attrs = dict(t=3, wd=0.1, beta1=0.8, beta2=0.9, epsilon=1e-3, rescale_grad=0.5,
                 bias_correction=bias_correction, clip_gradient=clip_gradient)
    mean, var = nd.array(m0), nd.array(v0)
    g = nd.lamb_update_phase1(nd.array(w0), nd.array(g0), mean, var, **attrs)
    want_g, want_m, want_v = lamb_phase1(*(a.astype(np.float64) for a in (w0, g0, m0, v0)),
                                         **attrs)
    assert_almost_equal(g.asnumpy(), want_g, rtol=1e-5, atol=1e-6)
    assert_almost_equal(mean.asnumpy(), want_m, rtol=1e-5, atol=1e-6)
    assert_almost_equal(var.asnumpy(), want_v, rtol=1e-5, atol=1e-6)
    # the mixed-precision phase 1 applies wd to the float32 master weight
    w32 = nd.array(w0)
    g_mp = nd.mp_lamb_update_phase1(w32.astype('float16'), nd.array(g0, dtype='float16'),
                                    nd.array(m0), nd.array(v0), w32, **attrs)
    want_mp, _, _ = lamb_phase1(w0.astype(np.float64), g0.astype(np.float16).astype(np.float64),
                                m0.astype(np.float64), v0.astype(np.float64), **attrs)
    assert g_mp.dtype == np.float32
    assert_almost_equal(g_mp.asnumpy(), want_mp, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('r1,r2,lower,upper,scale', [
    (2.0, 4.0, -1.0, -1.0, 0.5), (0.0, 4.0, -1.0, -1.0, 1.0), (2.0, 0.0, -1.0, -1.0, 1.0),
    (2.0, 4.0, 3.0, -1.0, 0.75), (2.0, 4.0, -1.0, 1.0, 0.25), (2.0, 4.0, 0.5, 1.5, 0.375)])
def test_lamb_phase2_trust_ratio(r1, r2, lower, upper, scale):
    w0, g0 = rand(5, 0), rand(5, 1)
    out = nd.lamb_update_phase2(nd.array(w0), nd.array(g0), nd.array([r1]), nd.array([r2]),
                                lr=0.1, lower_bound=lower, upper_bound=upper)
    assert_almost_equal(out.asnumpy(), w0 - 0.1 * scale * g0, rtol=1e-6, atol=1e-7)
    w32 = nd.array(w0)
    out16 = nd.mp_lamb_update_phase2(w32.astype('float16'), nd.array(g0), nd.array([r1]),
                                     nd.array([r2]), w32, lr=0.1, lower_bound=lower,
                                     upper_bound=upper)
    assert_almost_equal(w32.asnumpy(), w0 - 0.1 * scale * g0, rtol=1e-6, atol=1e-7)
    assert out16.dtype == np.float16


# --------------------------------------------------------------- errors --

def test_update_errors():
    w, g = nd.ones((2, 3)), nd.ones((2, 3))
    with pytest.raises(MXNetError, match="'lr' is required"):
        nd.sgd_update(w, g)
    with pytest.raises(MXNetError, match=r"sgd_mom_update.*input 2 has shape \(3,\)"):
        nd.sgd_mom_update(w, g, nd.zeros(3), lr=0.1)
    with pytest.raises(MXNetError, match='different dtypes'):
        nd.adam_update(w, g.astype('float64'), nd.zeros((2, 3)), nd.zeros((2, 3)), lr=0.1)
    with pytest.raises(MXNetError, match='floating-point'):
        nd.sgd_update(w.astype('int32'), g.astype('int32'), lr=0.1)
    with pytest.raises(MXNetError, match="'t' is required"):
        nd.ftml_update(w, g, nd.zeros((2, 3)), nd.zeros((2, 3)), nd.zeros((2, 3)), lr=0.1)
    with pytest.raises(MXNetError, match='must be float32'):
        nd.mp_sgd_update(w.astype('float16'), g.astype('float16'), w.astype('float16'), lr=1)
    with pytest.raises(MXNetError, match='a norm, one element'):
        nd.lamb_update_phase2(w, g, nd.ones(2), nd.ones(1), lr=0.1)
    with pytest.raises(MXNetError, match='different dtypes'):
        ou.fused_update('sgd_update', w, g.astype('float64'), lr=0.1)
    with pytest.raises(MXNetError, match='unknown argument'):
        ou.fused_update('sgd_update', w, g, lr=0.1, momentum=0.9)
    with pytest.raises(MXNetError, match='not an update operator that returns'):
        ou.fused_update('lamb_update_phase1', w, g, nd.zeros((2, 3)), nd.zeros((2, 3)))
    with pytest.raises(MXNetError, match='different devices'):
        ou.fused_update('sgd_update', w, g.as_in_context(mx.cpu(1)), lr=0.1)
