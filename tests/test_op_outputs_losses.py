"""SoftmaxOutput, the regression outputs, softmax_cross_entropy, smooth_l1 and their kernel."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from mxlearn import autograd, nd
from mxlearn._ext import softmax_ce as kernel
from mxlearn.base import MXNetError
from mxlearn.operator import losses
from mxlearn.test_utils import assert_almost_equal, check_numeric_gradient

# Every test runs on each device of the ctx fixture (tests/conftest.py).
pytestmark = pytest.mark.usefixtures('ctx')

SETTINGS = settings(max_examples=25, deadline=None)


def rand(shape, seed=0, scale=3.0, dtype=np.float32):
    return np.random.RandomState(seed).uniform(-scale, scale, shape).astype(dtype)


def softmax_np(x, axis):
    z = x.astype(np.float64)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def run_with_grad(fn, x, head=None):
    """``fn(x)`` under autograd and x's gradient for the head gradient ``head``."""
    data = nd.array(x, dtype=x.dtype)
    data.attach_grad()
    with autograd.record():
        y = fn(data)
    y.backward(None if head is None else nd.array(head, dtype=y.dtype))
    return y.asnumpy(), data.grad.asnumpy()


# ------------------------------------------------------------ SoftmaxOutput --

def layout(shape, mode):
    """(outer, classes, inner) and the label shape, from the maths of each mode."""
    if mode == 'multi_output':
        return (shape[0], shape[1], math.prod(shape[2:])), (shape[0],) + shape[2:]
    if mode == 'preserve_shape':
        return (math.prod(shape[:-1]), shape[-1], 1), shape[:-1]
    return (shape[0], math.prod(shape[1:]), 1), shape[:1]


def softmax_output_grad_np(x, label, mode, grad_scale=1.0, ignore_label=-1, use_ignore=False,
                           normalization='null', smooth_alpha=0.0):
    """The expected gradient, written out: (p - target) * grad_scale / normalizer."""
    (outer, c, inner), _ = layout(x.shape, mode)
    p = softmax_np(x.reshape(outer, c, inner), 1)
    y = label.reshape(outer, 1, inner).astype(np.int64)
    alpha = 0.0 if mode == 'multi_output' else smooth_alpha
    hit = np.arange(c).reshape(1, c, 1) == y
    target = np.where(hit, 1 - alpha, alpha / (c - 1) if c > 1 else 0.0)
    grad = (p - target) * grad_scale
    ignored = y == ignore_label
    if use_ignore:
        grad = grad * ~ignored
    if normalization == 'valid':
        grad /= max((~ignored).sum(), 1)
    elif normalization == 'batch':
        grad /= label.size
    elif mode == 'multi_output':
        grad /= inner
    return p.reshape(x.shape), grad.reshape(x.shape)


@st.composite
def softmax_output_case(draw):
    mode = draw(st.sampled_from(['default', 'preserve_shape', 'multi_output']))
    ndim = draw(st.integers(2, 4))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    (_, c, _), lshape = layout(shape, mode)
    labels = np.array(draw(st.lists(st.integers(-1, c - 1), min_size=math.prod(lshape),
                                    max_size=math.prod(lshape))), dtype=np.float32)
    attrs = dict(grad_scale=draw(st.sampled_from([1.0, 0.5, 3.0])),
                 normalization=draw(st.sampled_from(['null', 'batch', 'valid'])),
                 smooth_alpha=draw(st.sampled_from([0.0, 0.2])), use_ignore=True)
    if mode != 'default':
        attrs[mode] = True
    return shape, labels.reshape(lshape), mode, attrs


@SETTINGS
@given(case=softmax_output_case(), seed=st.integers(0, 2 ** 16),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_softmax_output_forward_and_gradient(case, seed, dtype):
    shape, label, mode, attrs = case
    x = rand(shape, seed, dtype=dtype)
    head = rand(shape, seed + 1, dtype=dtype)       # ignored: an output layer starts backward
    y, grad = run_with_grad(lambda d: nd.SoftmaxOutput(d, nd.array(label), **attrs), x, head)
    attrs = {k: v for k, v in attrs.items() if k not in ('multi_output', 'preserve_shape')}
    want_y, want_grad = softmax_output_grad_np(x, label, mode, **attrs)
    assert y.shape == shape and y.dtype == dtype
    assert_almost_equal(y, want_y, rtol=1e-5, atol=1e-6)
    assert_almost_equal(grad, want_grad, rtol=1e-5, atol=1e-6)


def test_softmax_output_facts():
    # The example of MXNet's documentation: label 1 is ignored, the rest is p - onehot.
    x = np.array([[1, 2, 3, 4], [2, 2, 2, 2], [3, 3, 3, 3], [4, 4, 4, 4]], np.float32)
    y, grad = run_with_grad(lambda d: nd.SoftmaxOutput(d, nd.array([1, 0, 2, 3]),
                                                       use_ignore=True, ignore_label=1), x)
    assert_almost_equal(y[0], [0.0320586, 0.08714432, 0.23688284, 0.64391428])
    assert_almost_equal(grad, [[0, 0, 0, 0], [-0.75, 0.25, 0.25, 0.25],
                               [0.25, 0.25, -0.75, 0.25], [0.25, 0.25, 0.25, -0.75]])
    # Without flags the data is flattened to (batch, rest).
    x = rand((2, 3, 4))
    y, grad = run_with_grad(lambda d: nd.SoftmaxOutput(d, nd.array([5, 11])), x)
    p = softmax_np(x.reshape(2, 12), 1)
    assert_almost_equal(y, p.reshape(2, 3, 4), rtol=1e-5, atol=1e-6)
    assert_almost_equal(grad.reshape(2, 12), p - np.eye(12)[[5, 11]], rtol=1e-5, atol=1e-6)
    assert nd.Softmax(nd.array(x), nd.array([0, 1])).shape == (2, 3, 4)


def test_softmax_output_normalizations_count_like_mxnet():
    x = rand((4, 3, 5), 1)
    label = np.array([[0, 1, 2, 0, 1]] * 4, np.float32)
    label[0, :3] = -1
    # multi_output with 'null' still averages over the 5 positions of an example;
    # 'batch' divides by all 20 labels; 'valid' by the 17 that are not ignored.
    for normalization, divisor in [('null', 5), ('batch', 20), ('valid', 17)]:
        _, grad = run_with_grad(lambda d: nd.SoftmaxOutput(
            d, nd.array(label), multi_output=True, use_ignore=True,
            normalization=normalization), x)
        _, raw = softmax_output_grad_np(x, label, 'multi_output', use_ignore=True,
                                        normalization='batch')
        assert_almost_equal(grad, raw * 20 / divisor, rtol=1e-5, atol=1e-7)
    # 'valid' counts the labels that differ from ignore_label even without use_ignore.
    x2 = rand((4, 3), 2)
    _, grad = run_with_grad(lambda d: nd.SoftmaxOutput(d, nd.array([0, 0, 1, 2]),
                                                       ignore_label=0, normalization='valid'),
                            x2)
    assert_almost_equal(grad, (softmax_np(x2, 1) - np.eye(3)[[0, 0, 1, 2]]) / 2,
                        rtol=1e-5, atol=1e-7)
    # Nothing left to count: divide by 1.
    _, grad = run_with_grad(lambda d: nd.SoftmaxOutput(d, nd.array([-1, -1, -1, -1]),
                                                       use_ignore=True, normalization='valid'),
                            x2)
    assert not grad.any()


def test_softmax_output_probability_labels():
    x = rand((4, 3), 3)
    target = softmax_np(rand((4, 3), 4), 1).astype(np.float32)
    # No normalization, ignoring or smoothing with probability labels.
    _, grad = run_with_grad(lambda d: nd.SoftmaxOutput(
        d, nd.array(target), grad_scale=2.0, normalization='batch', smooth_alpha=0.3,
        use_ignore=True, ignore_label=0), x)
    assert_almost_equal(grad, (softmax_np(x, 1) - target) * 2, rtol=1e-5, atol=1e-6)


def test_softmax_output_out_grad_and_label_gradient():
    x = rand((3, 4), 5)
    head = rand((3, 4), 6)
    label = nd.array([0, 3, 1])
    label.attach_grad()
    data = nd.array(x)
    data.attach_grad()
    with autograd.record():
        y = nd.SoftmaxOutput(data, label, out_grad=True)
    y.backward(nd.array(head))
    assert_almost_equal(data.grad.asnumpy(), (softmax_np(x, 1) - np.eye(4)[[0, 3, 1]]) * head,
                        rtol=1e-5, atol=1e-6)
    assert not label.grad.asnumpy().any()


def test_softmax_output_gradient_is_the_cross_entropy_gradient():
    x, label = rand((5, 6), 7), nd.array([0, 5, 2, 2, 1])
    _, grad_out = run_with_grad(lambda d: nd.SoftmaxOutput(d, label), x)
    _, grad_ce = run_with_grad(lambda d: nd.softmax_cross_entropy(d, label), x)
    assert_almost_equal(grad_out, grad_ce, rtol=1e-6, atol=1e-7)


def test_softmax_output_integer_labels_and_float16():
    x = rand((3, 4), 8)
    for label in (nd.array([0, 3, 2], dtype='int32'), nd.array([0.7, 3.2, 2.9])):
        _, grad = run_with_grad(lambda d: nd.SoftmaxOutput(d, label), x)
        assert_almost_equal(grad, softmax_np(x, 1) - np.eye(4)[[0, 3, 2]], rtol=1e-5, atol=1e-6)
    y, grad = run_with_grad(lambda d: nd.SoftmaxOutput(d, nd.array([0, 3, 2])),
                            x.astype(np.float16))
    assert y.dtype == grad.dtype == np.float16
    assert_almost_equal(grad.astype(np.float64), softmax_np(x, 1) - np.eye(4)[[0, 3, 2]],
                        rtol=1e-2, atol=2e-3)


def test_softmax_output_errors():
    x = nd.array(np.zeros((2, 3, 4)))
    with pytest.raises(MXNetError) as e:
        nd.SoftmaxOutput(x, nd.array(np.zeros((2, 3))), multi_output=True)
    assert str(e.value).splitlines() == [
        'Operator SoftmaxOutput: label has shape (2, 3); expected (2, 4) (a class index for '
        'each position along the axes after the class axis 1) or (2, 3, 4) (class '
        'probabilities)',
        '  data: shape (2, 3, 4), dtype float32',
        '  label: shape (2, 3), dtype float32',
        '  attributes: multi_output=True']
    with pytest.raises(MXNetError, match=r'label has shape \(2, 3\); expected \(2,\) \(a class '
                                         r'index for each row of data flattened to 2-d\) or '
                                         r'\(2, 3, 4\) \(class probabilities\)'):
        nd.SoftmaxOutput(x, nd.array(np.zeros((2, 3))))
    with pytest.raises(MXNetError, match=r'label has shape \(2, 3, 1\); expected \(2, 4\)'):
        nd.SoftmaxOutput(x, nd.array(np.zeros((2, 3, 1))), multi_output=True)
    with pytest.raises(MXNetError, match=r'label 3 is out of range for 3 classes \(expected '
                                         r'0 <= label < 3\)'):
        nd.SoftmaxOutput(nd.array(np.zeros((2, 3))), nd.array([0, 3]), use_ignore=True)
    with pytest.raises(MXNetError, match='label -1 is out of range .*labels equal to '
                                         r'ignore_label=-1 are skipped only with use_ignore=True'):
        nd.SoftmaxOutput(nd.array(np.zeros((2, 3))), nd.array([0, -1]))
    with pytest.raises(MXNetError, match="normalization='mean' is not one of 'null', 'batch', "
                                         "'valid'"):
        nd.SoftmaxOutput(nd.array(np.zeros((2, 3))), nd.array([0, 1]), normalization='mean')
    with pytest.raises(MXNetError, match=r'data has shape \(3,\); expected at least 2 '
                                         r'dimensions'):
        nd.SoftmaxOutput(nd.array([1, 2, 3]), nd.array([0, 1, 2]))


def test_softmax_output_infer_shape():
    from mxlearn.operator import get_op
    op = get_op('SoftmaxOutput')
    attrs = dict(op.defaults)
    assert op.infer_shape([(8, 10), (8,)], **attrs) == [(8, 10)]
    assert op.infer_shape([(2, 5, 3, 3), (2, 3, 3)], **dict(attrs, multi_output=True)) == \
        [(2, 5, 3, 3)]
    with pytest.raises(MXNetError, match=r'label has shape \(8, 1\)'):
        op.infer_shape([(8, 10), (8, 1)], **attrs)


# -------------------------------------------------------- regression outputs --

def sigmoid_np(x):
    return 1 / (1 + np.exp(-x.astype(np.float64)))


REGRESSIONS = {
    'LinearRegressionOutput': (lambda x: x, lambda out, label: out - label),
    'MAERegressionOutput': (lambda x: x, lambda out, label: np.sign(out - label)),
    'LogisticRegressionOutput': (sigmoid_np, lambda out, label: out - label),
}


@pytest.mark.parametrize('name', sorted(REGRESSIONS))
@pytest.mark.parametrize('shape, label_shape', [((4, 3), (4, 3)), ((4, 1), (4,)),
                                                ((2, 3, 4), (2, 12)), ((5,), (5,))])
def test_regression_outputs(name, shape, label_shape):
    forward, residual = REGRESSIONS[name]
    x, label = rand(shape, 1), rand(label_shape, 2)
    head = rand(shape, 3)                           # ignored
    y, grad = run_with_grad(lambda d: getattr(nd, name)(d, nd.array(label), grad_scale=1.5),
                            x, head)
    want = forward(x)
    per_example = math.prod(shape[1:])
    assert y.shape == shape
    assert_almost_equal(y, want, rtol=1e-6, atol=1e-7)
    assert_almost_equal(grad, residual(want, label.reshape(shape)) * 1.5 / per_example,
                        rtol=1e-5, atol=1e-7)


def test_regression_output_label_gets_no_gradient_and_int_labels():
    data, label = nd.array([[0.5], [2.0]]), nd.array([1, 2], dtype='int32')
    data.attach_grad()
    with autograd.record():
        y = nd.LinearRegressionOutput(data, label)
    y.backward()
    assert data.grad.asnumpy().ravel().tolist() == [-0.5, 0.0]


def test_regression_output_second_order():
    # The gradient of the implied loss is linear in data for LinearRegressionOutput.
    x = nd.array([[1.0, 2.0]])
    x.attach_grad()
    with autograd.record():
        y = nd.LinearRegressionOutput(x, nd.array([[0.0, 0.0]]))
        g = autograd.grad(y, [x], create_graph=True)[0]
        total = nd.sum(g * g)
    total.backward()
    assert_almost_equal(x.grad.asnumpy(), [[0.5, 1.0]])     # d/dx sum((x/2)**2) = x/2


@pytest.mark.parametrize('name', sorted(REGRESSIONS))
def test_regression_output_errors(name):
    with pytest.raises(MXNetError, match=r'Operator %s: label has shape \(3, 4\); expected the '
                                         r'shape of data \(4, 3\)' % name):
        getattr(nd, name)(nd.array(np.zeros((4, 3))), nd.array(np.zeros((3, 4))))
    with pytest.raises(MXNetError, match=r'label has shape \(12,\)'):
        getattr(nd, name)(nd.array(np.zeros((4, 3))), nd.array(np.zeros(12)))


# ---------------------------------------------------- softmax_cross_entropy --

def cross_entropy_np(x, label):
    p = softmax_np(x, 1)
    return -np.log(p[np.arange(len(label)), label.astype(np.int64)]).sum()


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 6), c=st.integers(1, 6), seed=st.integers(0, 2 ** 16))
def test_softmax_cross_entropy(n, c, seed):
    x = rand((n, c), seed)
    label = np.random.RandomState(seed).randint(0, c, n).astype(np.float32)
    out = nd.softmax_cross_entropy(nd.array(x), nd.array(label))
    assert out.shape == (1,) and out.dtype == np.float32
    assert_almost_equal(out.asnumpy(), [cross_entropy_np(x, label)], rtol=1e-5, atol=1e-5)
    check_numeric_gradient(lambda d: nd.softmax_cross_entropy(d, nd.array(label)), [x])


def test_softmax_cross_entropy_facts():
    x = nd.array([[1, 2, 3], [11, 7, 5]])
    assert_almost_equal(nd.softmax_cross_entropy(x, nd.array([2, 0])).asnumpy(), [0.4281871])
    # The log-sum-exp form stays finite where the probability rounds to zero.
    far = nd.softmax_cross_entropy(nd.array([[0.0, 200.0]]), nd.array([0]))
    assert_almost_equal(far.asnumpy(), [200.0])
    assert nd.softmax_cross_entropy(x, nd.array([2, 0], dtype='int64')).shape == (1,)
    # The gradient scales with the head gradient; the label gets none.
    label = nd.array([2, 0])
    label.attach_grad()
    data = nd.array([[1, 2, 3], [11, 7, 5]])
    data.attach_grad()
    with autograd.record():
        loss = nd.softmax_cross_entropy(data, label)
    loss.backward(nd.array([3.0]))
    p = softmax_np(np.array([[1, 2, 3], [11, 7, 5]]), 1)
    assert_almost_equal(data.grad.asnumpy(), (p - np.eye(3)[[2, 0]]) * 3, rtol=1e-5, atol=1e-6)
    assert not label.grad.asnumpy().any()


def test_softmax_cross_entropy_errors():
    with pytest.raises(MXNetError, match=r'Operator softmax_cross_entropy: data has shape '
                                         r'\(2, 3, 4\); expected 2 dimensions'):
        nd.softmax_cross_entropy(nd.array(np.zeros((2, 3, 4))), nd.array([0, 1]))
    with pytest.raises(MXNetError, match=r'label has shape \(2, 1\); expected \(2,\), one class '
                                         r'index per row of data \(2, 3\)'):
        nd.softmax_cross_entropy(nd.array(np.zeros((2, 3))), nd.array([[0], [1]]))
    with pytest.raises(MXNetError, match=r'label 3 is out of range for 3 classes'):
        nd.softmax_cross_entropy(nd.array(np.zeros((2, 3))), nd.array([0, 3]))
    with pytest.raises(MXNetError, match=r'label -1 is out of range for 3 classes'):
        nd.softmax_cross_entropy(nd.array(np.zeros((2, 3)), dtype='float16'),
                                 nd.array([-1, 0]))


def test_softmax_cross_entropy_second_order_fails_loudly():
    x = nd.array([[1.0, 2.0]])
    x.attach_grad()
    with autograd.record():
        g = autograd.grad(nd.softmax_cross_entropy(x, nd.array([0])), [x], create_graph=True)[0]
        total = nd.sum(g)
    with pytest.raises(MXNetError, match='second-order'):
        total.backward()


@pytest.mark.parametrize('shape, axis, label_shape', [
    ((4, 5), -1, (4,)), ((4, 5), 0, (1, 5)), ((2, 3, 4), 1, (2, 4)), ((6,), 0, (1,))])
def test_sparse_softmax_cross_entropy(shape, axis, label_shape):
    # The per-example loss (the fused form of -pick(log_softmax(x), label)).
    x = rand(shape, 13)
    ax = axis % len(shape)
    label = np.random.RandomState(1).randint(0, shape[ax], label_shape).astype(np.float32)
    index = np.expand_dims(label.reshape(shape[:ax] + shape[ax + 1:]).astype(np.int64), ax)
    want = -np.take_along_axis(np.log(softmax_np(x, ax)), index, ax)
    for keepdims in (False, True):
        out = nd._sparse_softmax_cross_entropy(nd.array(x), nd.array(label), axis=axis,
                                               keepdims=keepdims)
        expected = want if keepdims else want.reshape(np.squeeze(want, ax).shape or (1,))
        assert out.shape == expected.shape
        assert_almost_equal(out.asnumpy(), expected, rtol=1e-5, atol=1e-6)
    check_numeric_gradient(
        lambda d: nd._sparse_softmax_cross_entropy(d, nd.array(label), axis=axis), [x])
    with pytest.raises(MXNetError, match='label has shape'):
        nd._sparse_softmax_cross_entropy(nd.array(x), nd.array(np.zeros((7,))), axis=axis)


def test_sparse_softmax_cross_entropy_matches_log_softmax_pick():
    x, label = rand((8, 10), 14), nd.array(np.arange(8) % 10)
    fused, grad_fused = run_with_grad(lambda d: nd._sparse_softmax_cross_entropy(d, label), x,
                                      np.arange(8, dtype=np.float32))
    chained, grad_chained = run_with_grad(lambda d: -nd.pick(nd.log_softmax(d), label), x,
                                          np.arange(8, dtype=np.float32))
    assert_almost_equal(fused, chained, rtol=1e-5, atol=1e-6)
    assert_almost_equal(grad_fused, grad_chained, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- smooth_l1 --

def smooth_l1_np(x, sigma):
    s2 = sigma * sigma
    return np.where(np.abs(x) < 1 / s2, 0.5 * s2 * x * x, np.abs(x) - 0.5 / s2)


@pytest.mark.parametrize('sigma', [1.0, 2.0, 0.5, 3.0])
def test_smooth_l1(sigma):
    # Away from the kinks at +-1/sigma**2, where finite differences straddle two pieces.
    x = rand((4, 5), 9)
    kink = 1 / sigma ** 2
    x = np.where(np.abs(np.abs(x) - kink) < 0.05, x + 0.1, x)
    y = nd.smooth_l1(nd.array(x), scalar=sigma)
    assert y.dtype == np.float32
    assert_almost_equal(y.asnumpy(), smooth_l1_np(x.astype(np.float64), sigma), rtol=1e-6,
                        atol=1e-6)
    check_numeric_gradient(lambda d: nd.smooth_l1(d, scalar=sigma), [x])


def test_smooth_l1_facts():
    assert nd.smooth_l1(nd.array([1, 2, 3, 4])).asnumpy().tolist() == [0.5, 1.5, 2.5, 3.5]
    _, grad = run_with_grad(lambda d: nd.smooth_l1(d, scalar=2.0),
                            np.array([-1, -0.25, -0.1, 0, 0.1, 0.25, 1], np.float32))
    assert_almost_equal(grad, [-1, -1, -0.4, 0, 0.4, 1, 1])
    assert not nd.smooth_l1(nd.array([5.0, -3.0]), scalar=0.0).asnumpy().any()
    # The gradient is written with F ops: its own derivative is sigma**2 inside the kink.
    x = nd.array([0.1, 2.0])
    x.attach_grad()
    with autograd.record():
        g = autograd.grad(nd.smooth_l1(x, scalar=2.0), [x], create_graph=True)[0]
        total = nd.sum(g)
    total.backward()
    assert_almost_equal(x.grad.asnumpy(), [4.0, 0.0])


# ------------------------------------------------------- kernel vs reference --

@st.composite
def kernel_case(draw):
    rows, c = draw(st.integers(1, 20)), draw(st.integers(1, 40))   # c spans the 8-wide lanes
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    seed = draw(st.integers(0, 2 ** 16))
    x = rand((rows, c), seed, scale=draw(st.sampled_from([1.0, 30.0])), dtype=dtype)
    labels = np.random.RandomState(seed).randint(-1, c, rows).astype(np.int64)
    return x, labels


def as_layout(*arrays):
    """The kernel's rows as the (outer, classes, inner=1) layout of the reference."""
    return [a[..., None] if a.ndim == 2 else a[:, None] for a in arrays]


@SETTINGS
@given(case=kernel_case(), alpha=st.sampled_from([0.0, 0.1]), with_ograd=st.booleans())
def test_kernel_matches_reference(case, alpha, with_ograd):
    x, labels = case
    valid = np.where(labels < 0, 0, labels)
    prob, loss = np.empty_like(x), np.empty(len(x), x.dtype)
    total, bad = kernel.forward(x, prob, valid, loss)
    want_prob, want_loss = losses._softmax_ce_reference(np, *as_layout(x, valid))
    tol = dict(rtol=1e-5, atol=1e-6) if x.dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    assert bad == 0
    assert_almost_equal(prob, want_prob[..., 0], **tol)
    assert_almost_equal(loss, want_loss[:, 0], rtol=tol['rtol'], atol=1e-5)
    assert_almost_equal(total, want_loss.sum(), rtol=tol['rtol'], atol=1e-4)
    ograd = rand(labels.shape, 1, dtype=x.dtype) if with_ograd else None
    grad = np.empty_like(x)
    kernel.backward(prob, labels, grad, 0.7, -1, True, alpha, ograd)
    want = losses._softmax_ce_grad_reference(np, *as_layout(prob, labels), 0.7, -1, alpha,
                                             None if ograd is None else ograd[:, None])
    assert_almost_equal(grad, want[..., 0], **tol)


def test_kernel_parallel_path_and_bad_labels():
    # 300 * 250 elements is over the threshold at which the rows are split over threads.
    x = rand((300, 250), 11)
    labels = np.random.RandomState(0).randint(0, 250, 300)
    labels[[7, 150]] = [250, -3]
    prob, loss = np.empty_like(x), np.empty(300, np.float32)
    total, bad = kernel.forward(x, prob, labels, loss)
    assert bad == 2
    want_prob, want_loss = losses._softmax_ce_reference(np, *as_layout(x, np.clip(labels, 0, 249)))
    want_loss[[7, 150]] = 0
    assert_almost_equal(prob, want_prob[..., 0], rtol=1e-5, atol=1e-7)
    assert_almost_equal(loss, want_loss[:, 0], rtol=1e-5, atol=1e-6)
    assert_almost_equal(total, want_loss.sum(), rtol=1e-5)
    # Without a loss buffer the labels are only checked.
    assert kernel.forward(x, prob, labels) == (0.0, 2)
    grad = np.empty_like(x)
    kernel.backward(prob, labels, grad, 1.0)
    assert_almost_equal(grad, prob - (np.arange(250) == labels[:, None]), rtol=1e-5, atol=1e-7)


def test_kernel_extreme_logits_match_reference():
    x = np.array([[1000.0, 0.0, -1000.0], [-np.inf, 0.0, -np.inf], [np.nan, 0.0, 1.0],
                  [0.0, 1.0, np.nan], [-1e30, -1e30, -1e30], [-np.inf] * 3])
    for dtype in (np.float32, np.float64):
        prob = np.empty_like(x, dtype=dtype)
        with np.errstate(invalid='ignore'):
            kernel.forward(x.astype(dtype), prob)
            want = losses._softmax_ce_reference(np, x.astype(dtype)[..., None])[0][..., 0]
        assert_almost_equal(prob, want, equal_nan=True)
        assert prob[1].tolist() == [0.0, 1.0, 0.0]
        assert np.isnan(prob[2:4]).all() and np.isnan(prob[5]).all()
    # A NaN anywhere in a row wider than the kernel's 8 lanes spoils the row, as in numpy.
    wide = rand((3, 20), 16)
    wide[0, 9], wide[1, 0], wide[2, 19] = np.nan, np.nan, np.nan
    prob = np.empty_like(wide)
    kernel.forward(wide, prob)
    assert np.isnan(prob).all()


@pytest.mark.parametrize('dtype, lowest', [(np.float32, -87.0), (np.float64, -708.0)])
def test_kernel_exp_is_accurate(dtype, lowest):
    x = np.concatenate([np.linspace(lowest, 0, 200001), [0.0, -0.0, -1e-30, -np.inf, np.nan,
                                                          lowest - 1]]).astype(dtype)
    got = x.copy()
    kernel.exp_nonpositive(got)
    want = np.exp(x[:200001].astype(np.longdouble))
    rel = np.abs(got[:200001] - want) / want
    assert rel.max() < 2 * np.finfo(dtype).eps
    special = got[200001:]
    assert special[:3].tolist() == [1.0, 1.0, 1.0]
    assert special[3] == 0 and np.isnan(special[4]) and special[5] == 0


def test_inner_axis_runs_the_reference():
    # Softmax along an inner axis (multi_output) is left to numpy: same results.
    x = rand((2, 3, 4), 15)
    labels = np.array([[0, 1, 2, 0], [2, 2, 1, 0]])
    prob, loss = losses.softmax_ce_loss(np, x, labels)
    assert_almost_equal(prob, softmax_np(x, 1), rtol=1e-5, atol=1e-6)
    assert_almost_equal(loss, -np.log(np.take_along_axis(softmax_np(x, 1), labels[:, None], 1))
                        [:, 0], rtol=1e-5, atol=1e-6)


def test_reference_path_handles_float16_and_ignored_labels():
    x = rand((3, 4, 1), 12)
    labels = np.array([[0], [3], [-1]])
    prob = losses.softmax_probabilities(np, x.astype(np.float16), labels, ignore_label=-1)
    assert prob.dtype == np.float16
    assert_almost_equal(prob.astype(np.float64), softmax_np(x, 1), rtol=1e-3, atol=1e-3)
    grad = losses.softmax_ce_backward(np, prob, labels, 1.0, ignore_label=-1)
    assert grad.dtype == np.float16 and not grad[2].any()
