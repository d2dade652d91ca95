"""Dropout, Embedding (and its scatter-add kernel), SequenceMask."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mxlearn as mx
from mxlearn import autograd, nd
from mxlearn._ext.embedding import scatter_add_rows
from mxlearn.base import MXNetError
from mxlearn.operator.embedding import embedding_grad_reference
from mxlearn.test_utils import assert_almost_equal, check_numeric_gradient

# Every test runs on each device of the ctx fixture (tests/conftest.py).
pytestmark = pytest.mark.usefixtures('ctx')

SETTINGS = settings(max_examples=25, deadline=None)


def rand(shape, seed=0, scale=1.0, dtype=np.float32):
    return np.random.RandomState(seed).uniform(-scale, scale, shape).astype(dtype)


# ------------------------------------------------------------------ Dropout --

@pytest.mark.parametrize('p', [0.5, 0.75, 0.2])
def test_dropout_scaling(p):
    x0 = np.random.RandomState(0).uniform(1, 2, (200, 100)).astype(np.float32)
    mx.random.seed(7)
    with autograd.train_mode():
        y = nd.Dropout(nd.array(x0), p=p).asnumpy()
    kept = y != 0
    # Each element is kept with probability 1 - p: the kept fraction is within
    # 5 standard deviations of it, and so is the output's mean of the input's
    # (an element's output has variance x^2 p / (1 - p)).
    n = x0.size
    assert abs(kept.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / n)
    mean_sd = np.sqrt((x0.astype(np.float64) ** 2).mean() * p / (1 - p) / n)
    assert abs(y.mean() - x0.mean()) < 5 * mean_sd
    scaled = x0 * np.float32(1 / (1 - p))
    if p in (0.5, 0.75):        # 1/(1-p) is exact in binary: kept values are exactly x/(1-p)
        assert (y[kept] == x0[kept] / np.float32(1 - p)).all()
    assert_almost_equal(y[kept], scaled[kept], rtol=1e-7, atol=0)


def test_dropout_identity_outside_training():
    x = nd.array(rand((3, 4)))
    y = nd.Dropout(x, p=0.5)
    assert (y.asnumpy() == x.asnumpy()).all()
    y[:] = 0                                   # a new array, not a view of x
    assert (x.asnumpy() != 0).any()
    with autograd.record(train_mode=False):
        assert (nd.Dropout(x, p=0.9).asnumpy() == x.asnumpy()).all()
    with autograd.predict_mode():
        always = nd.Dropout(nd.ones((100,)), p=0.5, mode='always').asnumpy()
    assert set(always.tolist()) == {0.0, 2.0}


def test_dropout_edge_probabilities():
    x = nd.array(rand((4, 5)))
    x.attach_grad()
    with autograd.record():
        y0 = nd.Dropout(x, p=0.0)
    y0.backward()
    assert (y0.asnumpy() == x.asnumpy()).all() and (x.grad.asnumpy() == 1).all()
    with autograd.record():
        y1 = nd.Dropout(x, p=1.0)
    y1.backward()
    assert (y1.asnumpy() == 0).all() and (x.grad.asnumpy() == 0).all()


@pytest.mark.parametrize('axes', [(0,), (1,), (0, 2), (-1,)])
def test_dropout_axes_share_the_mask(axes):
    x0 = np.random.RandomState(1).uniform(1, 2, (6, 7, 8)).astype(np.float32)
    with autograd.train_mode():
        y = nd.Dropout(nd.array(x0), p=0.5, axes=axes).asnumpy()
    keep = (y != 0)
    shared = tuple(a % 3 for a in axes)
    first = keep[tuple(slice(0, 1) if i in shared else slice(None) for i in range(3))]
    assert (keep == first).all()              # the same along the shared axes
    assert 0 < keep.mean() < 1
    assert_almost_equal(y[keep], 2 * x0[keep])


def test_dropout_gradient_is_the_mask():
    x0 = rand((30, 20), 2)
    x = nd.array(x0)
    x.attach_grad()
    g = rand((30, 20), 3)
    with autograd.record():
        y = nd.Dropout(x, p=0.3, axes=(1,))
    y.backward(nd.array(g))
    mask = (y.asnumpy() != 0) / np.float32(0.7)
    assert_almost_equal(x.grad.asnumpy(), g * mask, rtol=1e-6)
    assert (mask == mask[:, :1]).all()


def test_dropout_is_reproducible():
    x = nd.ones((50, 50))

    def draw():
        with autograd.train_mode():
            return nd.Dropout(x, p=0.5).asnumpy()
    mx.random.seed(42)
    a, b = draw(), draw()
    mx.random.seed(42)
    assert (draw() == a).all() and not (a == b).all()
    # each device has its own stream, reproducible on its own
    mx.random.seed(3)
    with autograd.train_mode():
        c1 = nd.Dropout(x.as_in_context(mx.cpu(1)), p=0.5).asnumpy()
    mx.random.seed(3)
    with autograd.train_mode():
        assert (nd.Dropout(x.as_in_context(mx.cpu(1)), p=0.5).asnumpy() == c1).all()


def test_dropout_dtypes_and_errors():
    with autograd.train_mode():
        assert nd.Dropout(nd.ones((4,), dtype='float64')).dtype == np.float64
        assert nd.Dropout(nd.ones((4,), dtype='float16')).dtype == np.float16
    with pytest.raises(MXNetError, match=r'p \(the fraction of elements dropped\) must be '
                                         r'in \[0, 1\], got 1.5'):
        nd.Dropout(nd.ones((2,)), p=1.5)
    with pytest.raises(MXNetError, match="mode='sometimes' is not supported"):
        nd.Dropout(nd.ones((2,)), mode='sometimes')
    with pytest.raises(MXNetError, match='axes 2 is out of range'):
        nd.Dropout(nd.ones((2, 2)), axes=(2,))
    with pytest.raises(MXNetError, match='floating-point'):
        nd.Dropout(nd.ones((2,), dtype='int32'))


# ---------------------------------------------------------------- Embedding --

def test_embedding_forward():
    w = np.arange(12, dtype=np.float32).reshape(4, 3)
    idx = np.array([[1, 3], [0, 2]], dtype=np.float32)
    out = nd.Embedding(nd.array(idx), nd.array(w), input_dim=4, output_dim=3)
    assert out.shape == (2, 2, 3) and out.dtype == np.float32
    assert (out.asnumpy() == w[idx.astype(int)]).all()
    # truncation toward zero, and clipping into [0, input_dim) as MXNet does
    odd = nd.array([1.7, 2.5, -0.5, -3, 4, 100])
    rows = nd.Embedding(odd, nd.array(w), input_dim=4, output_dim=3).asnumpy()
    assert (rows == w[[1, 2, 0, 0, 3, 3]]).all()
    # integer indices; a float64 weight gives a float64 output
    out = nd.Embedding(nd.array([3, 0], dtype='int32'), nd.array(w, dtype='float64'),
                       input_dim=4, output_dim=3)
    assert out.dtype == np.float64 and out.asnumpy()[0].tolist() == [9, 10, 11]
    assert nd.Embedding(nd.zeros((0, 2)), nd.array(w), input_dim=4, output_dim=3).shape == \
        (0, 2, 3)


@SETTINGS
@given(n=st.integers(0, 30), vocab=st.integers(1, 6), dim=st.integers(1, 5),
       seed=st.integers(0, 2 ** 16))
def test_embedding_gradient_with_repeated_indices(n, vocab, dim, seed):
    rs = np.random.RandomState(seed)
    idx = rs.randint(0, vocab, n)            # few rows: repeats are common
    w = nd.array(rs.uniform(-1, 1, (vocab, dim)))
    w.attach_grad()
    g = rs.uniform(-1, 1, (n, dim)).astype(np.float32)
    with autograd.record():
        y = nd.Embedding(nd.array(idx), w, input_dim=vocab, output_dim=dim)
    y.backward(nd.array(g))
    want = np.zeros((vocab, dim))
    for i, r in enumerate(idx):
        want[r] += g[i]
    assert_almost_equal(w.grad.asnumpy(), want, rtol=1e-5, atol=1e-6)


def test_embedding_numeric_gradient_and_data():
    idx = np.array([[0, 2, 2], [1, 2, 5]], dtype=np.float32)
    check_numeric_gradient(
        lambda d, w: nd.Embedding(d, w, input_dim=4, output_dim=3), [idx, rand((4, 3))],
        grad_nodes=[1])
    d, w = nd.array(idx), nd.array(rand((4, 3)))
    d.attach_grad()
    with autograd.record():
        y = nd.Embedding(d, w, input_dim=4, output_dim=3, sparse_grad=True)
    y.backward()
    assert (d.grad.asnumpy() == 0).all()      # indices have no gradient


def test_embedding_second_order():
    # The backward scatter-add is linear in the output gradient; its gradient is the gather.
    idx = nd.array([0, 2, 2])
    w = nd.array(rand((3, 2), 4), dtype='float64')
    w.attach_grad()
    with autograd.record():
        y = nd.Embedding(idx, w, input_dim=3, output_dim=2)
        gw = autograd.grad(nd.sum(y * y), [w], create_graph=True)[0]   # 2 * count * w
        total = nd.sum(gw * gw)
    total.backward()
    count = np.array([1, 0, 2])[:, None]
    assert_almost_equal(w.grad.asnumpy(), 8 * count ** 2 * w.asnumpy(), rtol=1e-12)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('n,dim,vocab', [(0, 3, 2), (7, 1, 3), (500, 256, 40),
                                         (3000, 130, 1000), (5, 0, 4)])
def test_scatter_kernel_matches_reference(dtype, n, dim, vocab):
    rs = np.random.RandomState(n + dim)
    g = rs.uniform(-1, 1, (n, dim)).astype(dtype)
    idx = rs.randint(0, vocab, n)
    got = scatter_add_rows(g, idx, vocab)
    assert got.dtype == dtype and got.shape == (vocab, dim)
    want = embedding_grad_reference(np, g, idx, vocab)
    assert_almost_equal(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)
    # non-contiguous input, and indices out of range are clipped
    strided = np.asfortranarray(g)
    wild = idx.copy()
    if n:
        wild[0], wild[-1] = -5, vocab + 7
    want = embedding_grad_reference(np, g, np.clip(wild, 0, vocab - 1), vocab)
    assert_almost_equal(scatter_add_rows(strided, wild, vocab), want, rtol=1e-5, atol=1e-5)


def test_scatter_kernel_errors():
    with pytest.raises(TypeError, match='float32 or float64'):
        scatter_add_rows(np.ones((2, 2), dtype=np.int32), np.array([0, 1]), 2)
    with pytest.raises(ValueError, match='expected grad of shape'):
        scatter_add_rows(np.ones((2, 2)), np.array([0, 1, 1]), 2)


def test_embedding_errors():
    w = nd.ones((4, 3))
    with pytest.raises(MXNetError) as e:
        nd.Embedding(nd.array([0]), w, input_dim=5, output_dim=3)
    assert str(e.value).splitlines()[0] == (
        'Operator Embedding: weight has shape (4, 3); expected (input_dim, output_dim) = '
        '(5, 3)')
    with pytest.raises(MXNetError, match='input_dim is required'):
        nd.Embedding(nd.array([0]), w, output_dim=3)
    with pytest.raises(MXNetError, match='output_dim must be a positive integer'):
        nd.Embedding(nd.array([0]), w, input_dim=4, output_dim=0)


# ------------------------------------------------------------- SequenceMask --

def sequence_mask_reference(x, lengths, value, axis):
    out = x.copy()
    for b, n in enumerate(lengths.astype(np.int64)):
        n = max(n, 0)
        if axis == 0:
            out[n:, b] = value
        else:
            out[b, n:] = value
    return out


@SETTINGS
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple),
       axis=st.sampled_from([0, 1]), seed=st.integers(0, 2 ** 16),
       value=st.sampled_from([0.0, -1.0, -1e9]))
def test_sequence_mask_forward(shape, axis, seed, value):
    rs = np.random.RandomState(seed)
    x = rs.uniform(-1, 1, shape).astype(np.float32)
    steps, batch = shape[axis], shape[1 - axis]
    lengths = rs.uniform(-1, steps + 2, batch).astype(np.float32)
    got = nd.SequenceMask(nd.array(x), nd.array(lengths), use_sequence_length=True,
                          value=value, axis=axis)
    assert got.shape == shape and got.dtype == np.float32
    assert (got.asnumpy() == sequence_mask_reference(x, lengths, value, axis)).all()


def test_sequence_mask_identity_and_dtypes():
    x = nd.array(rand((3, 2, 2)))
    assert (nd.SequenceMask(x).asnumpy() == x.asnumpy()).all()
    ints = nd.array([[1, 2], [3, 4]], dtype='int32')
    got = nd.SequenceMask(ints, nd.array([1, 2]), use_sequence_length=True, value=-1)
    assert got.dtype == np.int32 and got.asnumpy().tolist() == [[1, 2], [-1, 4]]


@pytest.mark.parametrize('axis', [0, 1])
def test_sequence_mask_gradient(axis):
    x0 = rand((3, 4, 2), 5)
    lengths = np.array([1, 3, 0, 2] if axis == 0 else [2, 0, 3], dtype=np.float32)
    check_numeric_gradient(
        lambda d, n: nd.SequenceMask(d, n, use_sequence_length=True, value=-5.0, axis=axis),
        [x0, lengths], grad_nodes=[0])
    x, n = nd.array(x0), nd.array(lengths)
    x.attach_grad()
    n.attach_grad()
    with autograd.record():
        y = nd.SequenceMask(x, n, use_sequence_length=True, value=7.0, axis=axis)
    y.backward()
    keep = sequence_mask_reference(np.ones_like(x0), lengths, 0.0, axis)
    assert (x.grad.asnumpy() == keep).all()
    assert (n.grad.asnumpy() == 0).all()
    with autograd.record():
        y = nd.SequenceMask(x)
    y.backward()
    assert (x.grad.asnumpy() == 1).all()


def test_sequence_mask_errors():
    x = nd.ones((3, 2, 4))
    with pytest.raises(MXNetError) as e:
        nd.SequenceMask(x, nd.array([1, 2, 3]), use_sequence_length=True)
    assert str(e.value).splitlines()[0] == (
        'Operator SequenceMask: sequence_length has shape (3,); expected one length per '
        'sequence, shape (2,) (data axis 1 is the batch)')
    with pytest.raises(MXNetError, match='needs the sequence_length input'):
        nd.SequenceMask(x, use_sequence_length=True)
    with pytest.raises(MXNetError, match='use_sequence_length=False'):
        nd.SequenceMask(x, nd.array([1, 2]))
    with pytest.raises(MXNetError, match='must be 0 or 1'):
        nd.SequenceMask(x, nd.array([1, 2]), use_sequence_length=True, axis=2)
    with pytest.raises(MXNetError, match='2 or more dimensions'):
        nd.SequenceMask(nd.ones((3,)), nd.array([1]), use_sequence_length=True)


def test_scatter_kernel_docstring_example():
    import doctest
    from mxlearn._ext import embedding
    assert doctest.testmod(embedding).failed == 0
