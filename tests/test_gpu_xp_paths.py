"""Every family of registry operators runs on a GPU context, forward and backward.

The operator suites (tests/test_op_*.py) run over the ``ctx`` fixture; this
file covers, on ``gpu_ctx``, the operators those suites do not call: every
unary math function, every ``broadcast_*`` and ``*_scalar`` operator, the
samplers, the creation functions and indexing. Without a GPU, ``gpu_ctx`` is
the CuPy stand-in of ``tests/xpstub.py``, which makes a forward that hands a
device array to numpy, mixes in a numpy temporary, or calls a function CuPy
lacks fail here; each result is compared with the same operator on the CPU.
"""
import numpy as np
import pytest

import mxlearn as mx
from mxlearn import autograd, nd
from mxlearn.operator import OPS
from mxlearn.test_utils import assert_almost_equal

_OPS = {op.name: op for op in OPS.values()}
UNARY = sorted(n for n, op in _OPS.items()
               if op.num_inputs == 1 and not op.defaults and not n.startswith('_'))
SCALAR = sorted(n for n in _OPS if n.endswith('_scalar'))
BINARY = sorted(n for n, op in _OPS.items() if n.startswith('broadcast_') and op.num_inputs == 2)
# Inputs inside every unary function's domain (arccosh needs x >= 1).
_DOMAIN = {'arccosh': (1.2, 3.0)}
# Operators whose gradient is not implemented (an error, on every device).
_NO_GRAD = {'trigamma'}


def on_both(gpu_ctx, fn, *arrays, grad=True):
    """``fn`` on the CPU and on ``gpu_ctx``: (outputs, input gradients) of each, as numpy."""
    results = []
    for ctx in (mx.cpu(), gpu_ctx):
        xs = [nd.array(a, ctx=ctx, dtype=a.dtype) for a in arrays]
        for x in xs:
            x.attach_grad()
        with autograd.record():
            out = fn(*xs)
        differentiable = grad and out.dtype == np.float32 and out._node is not None
        if differentiable:
            out.backward(nd.ones(out.shape, ctx=ctx) * 0.5)
        assert out.context == ctx
        results.append((out.asnumpy(), [x.grad.asnumpy() for x in xs]
                        if differentiable else []))
    return results


def check(gpu_ctx, fn, *arrays, rtol=1e-5, atol=1e-6, grad=True):
    (cpu_out, cpu_grads), (gpu_out, gpu_grads) = on_both(gpu_ctx, fn, *arrays, grad=grad)
    assert_almost_equal(gpu_out, cpu_out, rtol=rtol, atol=atol, equal_nan=True)
    for g, c in zip(gpu_grads, cpu_grads):
        assert_almost_equal(g, c, rtol=rtol, atol=atol, equal_nan=True)


def data(shape, low=0.2, high=0.8, seed=0):
    return np.random.RandomState(seed).uniform(low, high, shape).astype(np.float32)


@pytest.mark.parametrize('name', UNARY)
def test_unary(gpu_ctx, name):
    fn = getattr(nd, name)
    check(gpu_ctx, fn, data((2, 3), *_DOMAIN.get(name, (0.2, 0.8))), rtol=1e-4,
          grad=name not in _NO_GRAD)


@pytest.mark.parametrize('name', SCALAR)
def test_scalar(gpu_ctx, name):
    check(gpu_ctx, lambda x: getattr(nd, name)(x, scalar=0.7), data((2, 3)), rtol=1e-4)


@pytest.mark.parametrize('name', BINARY)
def test_broadcast(gpu_ctx, name):
    fn = getattr(nd, name)
    lhs, rhs = data((2, 3)), data((1, 3), seed=1)
    if name == 'broadcast_like':            # lhs is broadcast to rhs's shape
        lhs, rhs = rhs, lhs
    check(gpu_ctx, fn, lhs, rhs, rtol=1e-4)


@pytest.mark.parametrize('call', [
    lambda ctx: nd.random.uniform(-1, 2, shape=(3, 4), ctx=ctx),
    lambda ctx: nd.random.normal(1, 2, shape=(3, 4), ctx=ctx),
    lambda ctx: nd.random.exponential(2, shape=(3, 4), ctx=ctx),
    lambda ctx: nd.random.gamma(2, 0.5, shape=(3, 4), ctx=ctx),
    lambda ctx: nd.random.poisson(3, shape=(3, 4), ctx=ctx),
    lambda ctx: nd.random.negative_binomial(3, 0.4, shape=(3, 4), ctx=ctx),
    lambda ctx: nd.random.generalized_negative_binomial(2, 0.5, shape=(3, 4), ctx=ctx),
    lambda ctx: nd.random.randint(0, 9, shape=(3, 4), ctx=ctx),
    lambda ctx: nd.random.uniform(nd.zeros(2, ctx=ctx), nd.ones(2, ctx=ctx), shape=3),
    lambda ctx: nd.random.normal(nd.zeros(2, ctx=ctx), nd.ones(2, ctx=ctx), shape=3),
    lambda ctx: nd.random.exponential(nd.ones(2, ctx=ctx), shape=3),
    lambda ctx: nd.random.gamma(nd.ones(2, ctx=ctx), nd.ones(2, ctx=ctx), shape=3),
    lambda ctx: nd.random.poisson(nd.ones(2, ctx=ctx), shape=3),
    lambda ctx: nd.random.negative_binomial(nd.ones(2, ctx=ctx) * 3,
                                            nd.ones(2, ctx=ctx) * 0.5, shape=3),
    lambda ctx: nd.random.generalized_negative_binomial(nd.ones(2, ctx=ctx),
                                                        nd.ones(2, ctx=ctx), shape=3),
    lambda ctx: nd.random.multinomial(nd.array([[0.2, 0.8], [1, 0]], ctx=ctx), shape=4),
    lambda ctx: nd.random.shuffle(nd.arange(6, ctx=ctx)),
])
def test_samplers_draw_on_the_device_reproducibly(gpu_ctx, call):
    mx.random.seed(5)
    first = call(gpu_ctx)
    mx.random.seed(5)
    again = call(gpu_ctx)
    assert first.context == gpu_ctx
    assert (first.asnumpy() == again.asnumpy()).all()


def test_sampler_gradients(gpu_ctx):
    # multinomial's get_prob output is differentiable (the log-likelihood)
    probs = nd.array([[0.2, 0.8]], ctx=gpu_ctx)
    probs.attach_grad()
    with autograd.record():
        _, logp = nd.random.multinomial(probs, shape=3, get_prob=True)
    logp.backward()
    assert probs.grad.context == gpu_ctx and np.isfinite(probs.grad.asnumpy()).all()


@pytest.mark.parametrize('make', [
    lambda ctx: nd.eye(3, 4, k=1, ctx=ctx),
    lambda ctx: nd.linspace(0, 1, 5, ctx=ctx),
    lambda ctx: nd.arange(2, 9, 3, ctx=ctx),
    lambda ctx: nd.full((2, 2), 7, ctx=ctx),
    lambda ctx: nd.zeros((2, 3), ctx=ctx, dtype='int32'),
    lambda ctx: nd.ones((2,), ctx=ctx),
])
def test_creation(gpu_ctx, make):
    got = make(gpu_ctx)
    assert got.context == gpu_ctx
    assert_almost_equal(got, make(mx.cpu()))


@pytest.mark.parametrize('index', [
    (slice(1, None), [0, 2]), 1, (Ellipsis, 1), (slice(None), slice(None, None, -1)),
    ([1, 0, 1],),
])
def test_indexing(gpu_ctx, index):
    x = data((3, 3))
    check(gpu_ctx, lambda a: a[index], x)
    got = nd.array(x, ctx=gpu_ctx)
    got[index] = 0
    want = x.copy()
    want[index] = 0
    assert_almost_equal(got, want)
    if isinstance(index, tuple) and index and isinstance(index[0], list):
        mask_index = nd.array(index[0], ctx=gpu_ctx)
        assert_almost_equal(nd.array(x, ctx=gpu_ctx)[mask_index], x[index[0]])


def test_device_arrays_refuse_numpy_as_cupy_does(gpu_ctx):
    # What the stand-in enforces, checked against the real CuPy on a GPU.
    x = nd.array([1.0, 2.0, 3.0], ctx=gpu_ctx)._data
    xp = gpu_ctx.xp
    with pytest.raises(TypeError):
        np.asarray(x)                              # no implicit transfer to the host
    with pytest.raises(TypeError):
        x + np.ones(3)                             # no numpy operand
    assert not hasattr(xp, 'errstate') and not hasattr(x, 'ctypes')
    both = np.concatenate([x, x])                  # numpy functions CuPy has dispatch to it
    assert type(both) is type(x) and both.shape == (6,)
    total = x.sum()
    assert type(total) is type(x) and total.ndim == 0 and float(total) == 6.0
    assert (xp.asnumpy(x) == [1, 2, 3]).all() and (x.get() == [1, 2, 3]).all()
