"""Random numbers: per-device generators, seeding, the samplers and their statistics."""
import math
import subprocess
import sys

import numpy as np
import pytest

import mxlearn as mx
import mxlearn.ndarray.random  # noqa: F401  (binds mx.nd.random)
import mxlearn.random  # noqa: F401  (binds mx.random)
from mxlearn import autograd, nd
from mxlearn.operator import get_op
from mxlearn.operator.random import generator

N = 100_000


def _np(x):
    return x.asnumpy()


# ------------------------------------------------------------ seeding --

def test_seed_makes_draws_reproducible_on_every_context():
    for ctx in [mx.cpu(0), mx.cpu(1)]:
        mx.random.seed(123)
        a = _np(nd.random.uniform(shape=5, ctx=ctx))
        b = _np(nd.random.normal(shape=(2, 2), ctx=ctx))
        mx.random.seed(123)
        np.testing.assert_array_equal(_np(nd.random.uniform(shape=5, ctx=ctx)), a)
        np.testing.assert_array_equal(_np(nd.random.normal(shape=(2, 2), ctx=ctx)), b)


def test_contexts_have_different_independent_streams():
    mx.random.seed(5)
    a0 = _np(nd.random.uniform(shape=8, ctx=mx.cpu(0)))
    a1 = _np(nd.random.uniform(shape=8, ctx=mx.cpu(1)))
    assert not np.array_equal(a0, a1)
    # the order in which devices draw does not matter: each has its own stream
    mx.random.seed(5)
    b1 = _np(nd.random.uniform(shape=8, ctx=mx.cpu(1)))
    b0 = _np(nd.random.uniform(shape=8, ctx=mx.cpu(0)))
    np.testing.assert_array_equal(a0, b0)
    np.testing.assert_array_equal(a1, b1)


def test_seeding_one_context():
    mx.random.seed(9)
    first = _np(nd.random.uniform(shape=4))
    other = _np(nd.random.uniform(shape=4, ctx=mx.cpu(1)))
    mx.random.seed(9, ctx=mx.cpu(0))
    np.testing.assert_array_equal(_np(nd.random.uniform(shape=4)), first)
    # cpu(1) was not reseeded: it goes on with its stream
    assert not np.array_equal(_np(nd.random.uniform(shape=4, ctx=mx.cpu(1))), other)
    # seeding a context alone restarts it exactly as seeding all would
    mx.random.seed(9, ctx=mx.cpu(1))
    np.testing.assert_array_equal(_np(nd.random.uniform(shape=4, ctx=mx.cpu(1))), other)
    mx.random.seed(9, ctx='cpu')
    np.testing.assert_array_equal(_np(nd.random.uniform(shape=4)), first)


def test_seed_values():
    with pytest.raises(ValueError, match='seed_state must be int'):
        mx.random.seed(1.5)
    draws = []
    for s in [1, -1, 2 ** 40, np.int64(1)]:
        mx.random.seed(s)
        draws.append(_np(nd.random.uniform(shape=3)))
    assert not np.array_equal(draws[0], draws[1])
    assert not np.array_equal(draws[0], draws[2])
    np.testing.assert_array_equal(draws[0], draws[3])


def test_unseeded_runs_differ():
    code = ('import mxlearn as mx, mxlearn.ndarray.random; '
            'print(mx.nd.random.uniform(shape=3).asnumpy().tolist())')
    runs = {subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                           check=True).stdout for _ in range(2)}
    assert len(runs) == 2


def test_generators_are_per_context():
    assert isinstance(generator(mx.cpu(0)), np.random.Generator)
    assert generator(mx.cpu(0)) is generator(mx.cpu(0))
    assert generator(mx.cpu(0)) is not generator(mx.cpu(1))


# ------------------------------------------------- shapes and dtypes --

def test_shapes_and_default_dtypes():
    assert nd.random.uniform().shape == (1,)
    assert nd.random.normal(shape=3).shape == (3,)
    assert nd.random.uniform(0, 1, (2, 3)).shape == (2, 3)
    assert nd.random.uniform(shape=(2, 0)).shape == (2, 0)
    assert nd.random.randn(2, 3).shape == (2, 3)
    assert nd.random.randn().shape == (1,)
    for fn in [nd.random.uniform, nd.random.normal, nd.random.exponential, nd.random.gamma,
               nd.random.poisson, nd.random.negative_binomial,
               nd.random.generalized_negative_binomial]:
        assert fn(shape=2).dtype is np.float32
        assert fn(shape=2, dtype='float64').dtype is np.float64
        assert fn(shape=2, dtype='float16').dtype is np.float16
    assert nd.random.randint(0, 5, shape=2).dtype is np.int32
    assert nd.random.randint(0, 5, shape=2, dtype='int64').dtype is np.int64
    assert nd.random.multinomial(nd.array([0.5, 0.5])).dtype is np.int32
    x = nd.random.uniform(0, 1, (2,), 'float16', mx.cpu(1))   # MXNet's positional order
    assert x.dtype is np.float16 and x.context == mx.cpu(1)


def test_invalid_parameters():
    with pytest.raises(mx.MXNetError, match='float16, float32 or float64'):
        nd.random.uniform(shape=2, dtype='int32')
    with pytest.raises(mx.MXNetError, match='integer'):
        nd.random.randint(0, 5, shape=2, dtype='float32')
    with pytest.raises(mx.MXNetError, match='low must be less'):
        nd.random.uniform(1, 0)
    with pytest.raises(mx.MXNetError, match='scale'):
        nd.random.normal(0, -1)
    with pytest.raises(mx.MXNetError, match='scale'):
        nd.random.exponential(0)
    with pytest.raises(mx.MXNetError, match='alpha and beta'):
        nd.random.gamma(-1, 1)
    with pytest.raises(mx.MXNetError, match='empty'):
        nd.random.randint(5, 5)
    with pytest.raises(mx.MXNetError, match='NDArrays are not supported'):
        nd.random.randint(nd.array([0]), 5)
    with pytest.raises(mx.MXNetError, match='unknown argument'):
        nd.random.uniform(foo=1)


# --------------------------------------------------------- statistics --

def _check_moments(x, mean, var, k=6):
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    assert abs(x.mean() - mean) < k * math.sqrt(var / n), (x.mean(), mean)
    # the sample variance has a standard error of about var * sqrt(2 / n) (more for
    # heavy tails; k covers the distributions tested here)
    assert abs(x.var() - var) < k * var * math.sqrt(6.0 / n), (x.var(), var)


@pytest.mark.parametrize('draw, mean, var', [
    (lambda: nd.random.uniform(-1, 3, shape=N), 1.0, 16 / 12),
    (lambda: nd.random.normal(2, 3, shape=N), 2.0, 9.0),
    (lambda: nd.random.randn(N, loc=-1), -1.0, 1.0),
    (lambda: nd.random.exponential(2, shape=N), 2.0, 4.0),
    (lambda: nd.random.gamma(2, 3, shape=N), 6.0, 18.0),
    (lambda: nd.random.poisson(4, shape=N), 4.0, 4.0),
    (lambda: nd.random.negative_binomial(3, 0.4, shape=N), 4.5, 11.25),
    (lambda: nd.random.generalized_negative_binomial(2, 0.5, shape=N), 2.0, 4.0),
    (lambda: nd.random.generalized_negative_binomial(3, 0, shape=N), 3.0, 3.0),
    (lambda: nd.random.randint(0, 10, shape=N), 4.5, 99 / 12),
])
def test_moments(draw, mean, var):
    mx.random.seed(2024)
    _check_moments(_np(draw()), mean, var)


def test_uniform_and_randint_bounds():
    x = _np(nd.random.uniform(1, 2, shape=N))
    assert x.min() >= 1 and x.max() < 2
    x16 = _np(nd.random.uniform(0, 1, shape=N, dtype='float16'))
    assert x16.min() >= 0 and x16.max() < 1           # rounding never reaches high
    r = _np(nd.random.randint(-3, 3, shape=N))
    assert r.min() == -3 and r.max() == 2
    assert (_np(nd.random.randint(5, 6, shape=10)) == 5).all()
    assert (_np(nd.random.randint(5.0, 6.0, shape=10)) == 5).all()
    with pytest.raises(mx.MXNetError, match='integer'):
        nd.random.randint(0.5, 6)
    big = _np(nd.random.randint(-2 ** 31, 2 ** 31 - 1, shape=1000))
    assert big.min() < -2 ** 30 and big.max() > 2 ** 30
    assert nd.random.randint(0, 2 ** 40, shape=3, dtype='int64').asnumpy().max() < 2 ** 40


# ----------------------------------------------- per-element parameters --

def test_sample_ops_draw_per_element():
    mx.random.seed(0)
    low = nd.array([0, 100])
    high = nd.array([1, 200])
    x = nd.random.uniform(low, high, shape=(3, 1000))
    assert x.shape == (2, 3, 1000) and x.dtype is np.float32
    a = _np(x)
    assert a[0].min() >= 0 and a[0].max() < 1 and a[1].min() >= 100 and a[1].max() < 200
    y = _np(nd.random.normal(nd.array([0, 10]), nd.array([1, 0.1]), shape=N // 2))
    _check_moments(y[0], 0, 1)
    _check_moments(y[1], 10, 0.01)
    z = _np(nd.random.exponential(nd.array([1.0, 4.0]), shape=N // 2))
    _check_moments(z[1], 4.0, 16.0)
    g = _np(nd.random.gamma(nd.array([2.0]), nd.array([0.5]), shape=N // 2))
    _check_moments(g[0], 1.0, 0.5)
    p = _np(nd.random.poisson(nd.array([[3.0], [30.0]]), shape=N // 2))
    assert p.shape == (2, 1, N // 2)
    _check_moments(p[1, 0], 30, 30)
    nb = _np(nd.random.negative_binomial(nd.array([3.0]), nd.array([0.4]), shape=N // 2))
    _check_moments(nb, 4.5, 11.25)
    gnb = _np(nd.random.generalized_negative_binomial(nd.array([2.0]), nd.array([0.5]),
                                                      shape=N // 2))
    _check_moments(gnb, 2.0, 4.0)


def test_sample_ops_broadcast_and_mix_numbers():
    assert nd.random.uniform(nd.zeros((2, 1)), nd.ones((3,)), shape=4).shape == (2, 3, 4)
    x = nd.random.uniform(nd.array([10, 20]), 30)          # MXNet requires two NDArrays
    assert x.shape == (2,) and (_np(x) >= 10).all()
    assert nd.random.normal(nd.array([1.0, 2.0])).shape == (2,)
    params = nd.array([0, 1], dtype='float64')
    assert nd.random.uniform(params, params + 1).dtype is np.float32
    assert nd.random.uniform(params, params + 1, dtype='float64').dtype is np.float64
    on1 = nd.array([0, 1], ctx=mx.cpu(1))
    assert nd.random.normal(on1, 1).context == mx.cpu(1)
    with pytest.raises(mx.MXNetError, match='device'):
        nd.random.normal(on1, 1, ctx=mx.cpu(0))


def test_sample_ops_use_the_parameters_device_stream():
    on1 = nd.array([0.0], ctx=mx.cpu(1))
    mx.random.seed(11)
    a = _np(nd.random.uniform(on1, on1 + 1, shape=5))
    mx.random.seed(11)
    b = _np(nd.random.uniform(shape=5, ctx=mx.cpu(1)))
    np.testing.assert_allclose(a[0], b)


def test_random_outputs_are_constants_to_autograd():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = (nd.random.uniform(x, x + 1) + x).sum()
    y.backward()
    assert x.grad.asnumpy().tolist() == [1.0, 1.0]
    assert get_op('_random_uniform').gradient is None


def test_out_argument():
    out = nd.zeros((3,))
    r = nd.random.uniform(5, 6, shape=3, out=out)
    assert r is out and (out.asnumpy() >= 5).all()


# --------------------------------------------------------- multinomial --

def test_multinomial_frequencies():
    mx.random.seed(3)
    p = np.array([0.1, 0.2, 0.7])
    s = _np(nd.random.multinomial(nd.array(p), shape=N))
    freq = np.bincount(s, minlength=3) / N
    np.testing.assert_allclose(freq, p, atol=0.006)
    # probabilities are used as given: the missing mass picks index K
    s = _np(nd.random.multinomial(nd.array([0.2, 0.2]), shape=N))
    np.testing.assert_allclose(np.bincount(s, minlength=3) / N, [0.2, 0.2, 0.6], atol=0.006)
    assert (_np(nd.random.multinomial(nd.array([1, 1]), shape=100)) == 0).all()


def test_multinomial_batches_and_shapes():
    p = nd.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert nd.random.multinomial(p).shape == (2,)
    s = nd.random.multinomial(p, shape=(3, 4))
    assert s.shape == (2, 3, 4)
    assert (_np(s)[0] == 1).all() and (_np(s)[1] == 2).all()
    assert nd.random.multinomial(nd.array([0.5, 0.5])).shape == (1,)
    assert nd.random.multinomial(nd.array([0.5, 0.5]), shape=5).shape == (5,)
    assert nd.random.multinomial(nd.ones((1, 2, 2)) / 2).shape == (1, 2)
    assert nd.random.multinomial(p, dtype='float32').dtype is np.float32
    # many categories: the vectorised binary search
    q = np.random.default_rng(0).random(1000)
    q /= q.sum()
    big = _np(nd.random.multinomial(nd.array(np.tile(q, (4, 1))), shape=20000))
    assert big.shape == (4, 20000) and big.min() >= 0 and big.max() < 1000
    np.testing.assert_allclose(np.bincount(big.ravel(), minlength=1000) / big.size, q,
                               atol=0.002)


def test_multinomial_get_prob_and_gradient():
    p = nd.array([0.3, 0.7])
    p.attach_grad()
    with autograd.record():
        s, logp = nd.random.multinomial(p, shape=6, get_prob=True)
    sn = _np(s)
    np.testing.assert_allclose(_np(logp), np.log(np.array([0.3, 0.7])[sn]), rtol=1e-6)
    assert logp.dtype is np.float32 and s.dtype is np.int32
    logp.backward()
    counts = np.bincount(sn, minlength=2)
    np.testing.assert_allclose(_np(p.grad), counts / np.array([0.3, 0.7]), rtol=1e-6)


def test_multinomial_gradient_with_weights_and_batches():
    data = np.array([[0.3, 0.7], [0.5, 0.5]])
    p = nd.array(data, dtype='float64')
    p.attach_grad()
    w = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    with autograd.record():
        s, logp = nd.random.multinomial(p, shape=3, get_prob=True)
        loss = (logp * nd.array(w, dtype='float64')).sum()
    loss.backward()
    expected = np.zeros_like(data)
    for b in range(2):
        for j, k in enumerate(_np(s)[b]):
            expected[b, k] += w[b, j] / data[b, k]
    np.testing.assert_allclose(_np(p.grad), expected)


def test_multinomial_out_of_range_log_prob_is_nan():
    mx.random.seed(1)
    s, logp = nd.random.multinomial(nd.array([0.1]), shape=50, get_prob=True)
    sn, ln = _np(s), _np(logp)
    assert (sn == 1).any() and np.isnan(ln[sn == 1]).all()
    np.testing.assert_allclose(ln[sn == 0], np.log(0.1), rtol=1e-6)


# ------------------------------------------------------------- shuffle --

def test_shuffle_is_a_row_permutation():
    x = nd.array(np.arange(20).reshape(10, 2))
    mx.random.seed(4)
    y = nd.random.shuffle(x)
    a = _np(y)
    assert y.shape == x.shape and y is not x
    assert sorted(a[:, 0].tolist()) == list(range(0, 20, 2))
    assert (a[:, 1] == a[:, 0] + 1).all()            # rows stay intact
    assert (_np(x) == np.arange(20).reshape(10, 2)).all()
    assert not (a == _np(x)).all()
    mx.random.seed(4)
    np.testing.assert_array_equal(_np(nd.random.shuffle(x)), a)
    assert nd.shuffle(nd.arange(5, ctx=mx.cpu(2))).context == mx.cpu(2)


def test_mx_random_reexports():
    for name in ['uniform', 'normal', 'randn', 'randint', 'exponential', 'gamma', 'poisson',
                 'negative_binomial', 'generalized_negative_binomial', 'multinomial',
                 'shuffle']:
        assert getattr(mx.random, name) is getattr(nd.random, name)
    assert nd.random_uniform is not None and nd.sample_multinomial is not None


@pytest.mark.gpu
@pytest.mark.skipif(mx.context.num_gpus() == 0, reason='needs CuPy and a GPU')
def test_gpu_generators():
    ctx = mx.gpu(0)
    mx.random.seed(8)
    a = _np(nd.random.uniform(shape=1000, ctx=ctx))
    mx.random.seed(8)
    b = _np(nd.random.uniform(shape=1000, ctx=ctx))
    np.testing.assert_array_equal(a, b)
    assert a.min() >= 0 and a.max() < 1 and abs(a.mean() - 0.5) < 0.05
    assert nd.random.normal(shape=(2, 3), ctx=ctx).context == ctx
    assert nd.random.randint(0, 5, shape=4, ctx=ctx).dtype is np.int32
    s = nd.random.multinomial(nd.array([[0, 1.0], [1.0, 0]], ctx=ctx), shape=3)
    assert _np(s).tolist() == [[1, 1, 1], [0, 0, 0]]
    assert sorted(_np(nd.random.shuffle(nd.arange(5, ctx=ctx))).tolist()) == [0, 1, 2, 3, 4]
    for fn in [nd.random.exponential, nd.random.gamma, nd.random.poisson,
               nd.random.negative_binomial]:
        assert fn(shape=3, ctx=ctx).shape == (3,)
