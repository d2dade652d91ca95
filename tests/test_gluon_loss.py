"""gluon.loss: every loss against its formula in numpy, weighting, batch_axis, gradients."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from mxlearn import autograd, nd
from mxlearn.base import MXNetError
from mxlearn.gluon import loss as gloss
from mxlearn.test_utils import assert_almost_equal, check_numeric_gradient

SETTINGS = settings(max_examples=20, deadline=None)


def rand(shape, seed=0, low=-2.0, high=2.0):
    return np.random.RandomState(seed).uniform(low, high, shape).astype(np.float32)


def sigmoid(x):
    return 1 / (1 + np.exp(-x.astype(np.float64)))


def log_softmax(x, axis):
    x = x.astype(np.float64)
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def per_example(loss, batch_axis=0, reduce=np.mean):
    """The reduction of a loss over every axis but ``batch_axis``."""
    axes = tuple(i for i in range(loss.ndim) if i != batch_axis % loss.ndim)
    return reduce(loss, axis=axes) if axes else loss


def call(loss, *arrays):
    return loss(*[None if a is None else nd.array(a) for a in arrays]).asnumpy()


# --------------------------------------------- elementwise losses, weighted --

# name -> (constructor, numpy elementwise loss of (pred, label), label maker)
ELEMENTWISE = {
    'L2Loss': (gloss.L2Loss, lambda p, y: 0.5 * (p - y) ** 2, lambda s, seed: rand(s, seed)),
    'L1Loss': (gloss.L1Loss, lambda p, y: np.abs(p - y), lambda s, seed: rand(s, seed)),
    'HuberLoss': (lambda **kw: gloss.HuberLoss(rho=0.7, **kw),
                  lambda p, y: np.where(np.abs(p - y) > 0.7, np.abs(p - y) - 0.35,
                                        0.5 / 0.7 * (p - y) ** 2),
                  lambda s, seed: rand(s, seed)),
    'HingeLoss': (lambda **kw: gloss.HingeLoss(margin=1.5, **kw),
                  lambda p, y: np.maximum(0, 1.5 - p * y),
                  lambda s, seed: np.sign(rand(s, seed)) + 0),
    'SquaredHingeLoss': (gloss.SquaredHingeLoss, lambda p, y: np.maximum(0, 1 - p * y) ** 2,
                         lambda s, seed: np.sign(rand(s, seed)) + 0),
    'LogisticLoss': (gloss.LogisticLoss, lambda p, y: np.log1p(np.exp(-p * y)),
                     lambda s, seed: np.sign(rand(s, seed)) + 0),
    'LogisticLoss-binary': (lambda **kw: gloss.LogisticLoss(label_format='binary', **kw),
                            lambda p, y: np.log1p(np.exp(-p * (2 * y - 1))),
                            lambda s, seed: (rand(s, seed) > 0).astype(np.float32)),
    'SigmoidBCELoss': (gloss.SigmoidBCELoss,
                       lambda p, y: -(y * np.log(sigmoid(p)) + (1 - y) * np.log(1 - sigmoid(p))),
                       lambda s, seed: rand(s, seed, 0, 1)),
    'SigmoidBCELoss-from_sigmoid': (
        lambda **kw: gloss.SigmoidBCELoss(from_sigmoid=True, **kw),
        lambda p, y: -(y * np.log(sigmoid(p)) + (1 - y) * np.log(1 - sigmoid(p))),
        lambda s, seed: rand(s, seed, 0, 1)),
}


@SETTINGS
@given(name=st.sampled_from(sorted(ELEMENTWISE)), seed=st.integers(0, 2 ** 16),
       shape=st.sampled_from([(4,), (3, 5), (2, 3, 4)]), batch_axis=st.sampled_from([0, -1]),
       weight=st.sampled_from([None, 0.5, 3.0]), use_sample_weight=st.booleans())
def test_elementwise_losses_against_numpy(name, seed, shape, batch_axis, weight,
                                          use_sample_weight):
    make, formula, make_label = ELEMENTWISE[name]
    pred, label = rand(shape, seed), make_label(shape, seed + 1)
    kwargs = {'batch_axis': batch_axis}
    if weight is not None:
        kwargs['weight'] = weight
    loss = make(**kwargs)
    want = formula(pred.astype(np.float64), label)
    # sample weights shaped to broadcast along the batch axis only
    sample_weight = None
    if use_sample_weight:
        sw_shape = [1] * len(shape)
        sw_shape[batch_axis] = shape[batch_axis]
        sample_weight = rand(sw_shape, seed + 2, 0, 2)
        want = want * sample_weight
    if weight is not None:
        want = want * weight
    x = sigmoid(pred).astype(np.float32) if 'from_sigmoid' in name else pred
    got = call(loss, x, label, sample_weight)
    assert got.shape == (shape[batch_axis],)
    assert_almost_equal(got, per_example(want, batch_axis), rtol=1e-4, atol=1e-5)


def test_l2_loss_default_weight_is_one_and_labels_are_reshaped_like_pred():
    assert repr(gloss.L2Loss()) == 'L2Loss(batch_axis=0, w=1.0)'
    got = call(gloss.L2Loss(), np.array([[1.0], [2.0]]), np.array([0.0, 0.0]))
    assert_almost_equal(got, [0.5, 2.0])


def test_sigmoid_bce_is_stable_for_large_logits_and_takes_pos_weight():
    pred = np.array([[-100.0, 100.0, 0.0]], dtype=np.float32)
    label = np.array([[1.0, 0.0, 1.0]], dtype=np.float32)
    got = call(gloss.SigmoidBCELoss(), pred, label)
    assert_almost_equal(got, [(100 + 100 + math.log(2)) / 3], rtol=1e-6)
    p, y = rand((3, 4), 1), rand((3, 4), 2, 0, 1)
    pos_weight = rand((4,), 3, 0.5, 3)
    want = -(pos_weight * y * np.log(sigmoid(p)) + (1 - y) * np.log(1 - sigmoid(p)))
    bce = gloss.SigmoidBCELoss()
    got = bce(nd.array(p), nd.array(y), None, nd.array(pos_weight)).asnumpy()
    assert_almost_equal(got, want.mean(axis=1), rtol=1e-5, atol=1e-6)
    bce = gloss.SigmoidBCELoss(from_sigmoid=True)
    got = bce(nd.array(sigmoid(p)), nd.array(y), None, nd.array(pos_weight)).asnumpy()
    assert_almost_equal(got, want.mean(axis=1), rtol=1e-4, atol=1e-5)


# ------------------------------------------------------- softmax cross-entropy --

@SETTINGS
@given(seed=st.integers(0, 2 ** 16), axis=st.sampled_from([-1, 1]),
       from_logits=st.booleans(), weight=st.sampled_from([None, 2.0]))
def test_softmax_cross_entropy_sparse_labels(seed, axis, from_logits, weight):
    pred = rand((4, 5, 3), seed, -4, 4)
    ax = axis % 3
    label = np.random.RandomState(seed).randint(0, pred.shape[ax], (4, 3) if ax == 1 else (4, 5))
    logp = log_softmax(pred, ax)
    want = -np.take_along_axis(logp, np.expand_dims(label, ax), axis=ax)
    want = want.mean(axis=(1, 2)) * (1 if weight is None else weight)
    x = logp.astype(np.float32) if from_logits else pred
    loss = gloss.SoftmaxCrossEntropyLoss(axis=axis, from_logits=from_logits, weight=weight)
    assert_almost_equal(call(loss, x, label.astype(np.float32)), want, rtol=1e-5, atol=1e-5)


def test_softmax_cross_entropy_dense_labels_sample_weight_and_alias():
    assert gloss.SoftmaxCELoss is gloss.SoftmaxCrossEntropyLoss
    pred, label = rand((3, 4)), rand((3, 4), 1, 0, 1)
    want = -(label * log_softmax(pred, 1)).sum(axis=1)
    got = call(gloss.SoftmaxCELoss(sparse_label=False), pred, label)
    assert_almost_equal(got, want, rtol=1e-5, atol=1e-6)
    sw = np.array([[1.0], [0.0], [2.0]], dtype=np.float32)
    got = call(gloss.SoftmaxCELoss(sparse_label=False), pred, label, sw)
    assert_almost_equal(got, want * sw[:, 0], rtol=1e-5, atol=1e-6)
    # labels of shape (batch, 1) work too
    sparse = np.array([[0], [3], [1]], dtype=np.float32)
    want = -log_softmax(pred, 1)[np.arange(3), sparse[:, 0].astype(int)]
    assert_almost_equal(call(gloss.SoftmaxCELoss(), pred, sparse), want, rtol=1e-5)


def test_softmax_cross_entropy_batch_axis():
    pred = rand((5, 4))                          # classes on axis 0, batch on axis 1
    label = np.array([0, 4, 2, 1], dtype=np.float32)
    loss = gloss.SoftmaxCrossEntropyLoss(axis=0, batch_axis=1)
    want = -log_softmax(pred, 0)[label.astype(int), np.arange(4)]
    assert_almost_equal(call(loss, pred, label), want, rtol=1e-5)


# -------------------------------------------------------------- the others --

def test_kl_div_loss_sums_over_the_non_batch_axes():
    pred, label = rand((3, 4)), rand((3, 4), 1, 0.01, 1)
    label /= label.sum(axis=1, keepdims=True)
    logp = log_softmax(pred, 1)
    want = (label * (np.log(label + 1e-12) - logp)).sum(axis=1)
    assert_almost_equal(call(gloss.KLDivLoss(), logp.astype(np.float32), label), want,
                        rtol=1e-5, atol=1e-6)
    assert_almost_equal(call(gloss.KLDivLoss(from_logits=False, weight=0.5), pred, label),
                        0.5 * want, rtol=1e-5, atol=1e-6)


def test_triplet_loss():
    a, p, n = rand((4, 3, 2)), rand((4, 3, 2), 1), rand((4, 6), 2)
    dist = ((p - a) ** 2).sum(axis=(1, 2)) - ((n.reshape(a.shape) - a) ** 2).sum(axis=(1, 2))
    assert_almost_equal(call(gloss.TripletLoss(margin=0.5), a, p, n),
                        np.maximum(0, dist + 0.5), rtol=1e-5, atol=1e-5)


def test_poisson_nll_loss_is_one_mean_over_everything():
    pred, target = rand((3, 4)), np.floor(rand((3, 4), 1, 0, 4))
    want = (np.exp(pred) - target * pred).mean()
    got = call(gloss.PoissonNLLLoss(), pred, target)
    assert got.shape == (1,)
    assert_almost_equal(got, [want], rtol=1e-5)
    rate = np.abs(pred) + 0.1
    stirling = np.where(target > 1, target * np.log(np.maximum(target, 1)) - target
                        + 0.5 * np.log(2 * np.pi * np.maximum(target, 1)), 0)
    want = (rate - target * np.log(rate + 1e-8) + stirling) * 2.0
    loss = gloss.PoissonNLLLoss(from_logits=False, compute_full=True, weight=2.0)
    got = call(loss, rate, target)
    assert np.isfinite(got).all()             # targets of 0 included (MXNet gives NaN)
    assert_almost_equal(got, [want.mean()], rtol=1e-5)


def test_cosine_embedding_loss():
    x1, x2 = rand((4, 3)), rand((4, 3), 1)
    label = np.array([1, -1, 1, -1], dtype=np.float32)
    cos = (x1 * x2).sum(1) / (np.linalg.norm(x1, axis=1) * np.linalg.norm(x2, axis=1))
    want = np.where(label == 1, 1 - cos, np.maximum(0, cos - 0.2))[:, None]
    got = call(gloss.CosineEmbeddingLoss(margin=0.2), x1, x2, label)
    assert got.shape == (4, 1)
    assert_almost_equal(got, want, rtol=1e-5, atol=1e-6)


def test_reprs_and_errors():
    assert repr(gloss.SoftmaxCrossEntropyLoss()) == \
        'SoftmaxCrossEntropyLoss(batch_axis=0, w=None)'
    assert repr(gloss.HuberLoss(weight=2, batch_axis=1)) == 'HuberLoss(batch_axis=1, w=2)'
    assert gloss.SigmoidBCELoss is gloss.SigmoidBinaryCrossEntropyLoss
    with pytest.raises(MXNetError, match='weight must be a number'):
        gloss.L1Loss(weight=nd.ones(1))
    with pytest.raises(ValueError, match='label_format'):
        gloss.LogisticLoss(label_format='onehot')
    with pytest.raises(MXNetError):
        gloss.L2Loss()(nd.ones((2, 3)), nd.ones((2, 4)))


# --------------------------------------------------------------- gradients --

def test_softmax_cross_entropy_gradient():
    label = np.array([2, 0, 1], dtype=np.float32)
    loss = gloss.SoftmaxCrossEntropyLoss()
    check_numeric_gradient(lambda x, y: loss(x, y), [rand((3, 4)), label], grad_nodes=[0])
    pred = nd.array(rand((3, 4)))
    pred.attach_grad()
    with autograd.record():
        out = loss(pred, nd.array(label))
    out.backward()
    p = np.exp(log_softmax(pred.asnumpy(), 1))
    p[np.arange(3), label.astype(int)] -= 1
    assert_almost_equal(pred.grad.asnumpy(), p, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('make', [
    lambda: gloss.SigmoidBCELoss(), lambda: gloss.HuberLoss(rho=0.5),
    lambda: gloss.SoftmaxCELoss(sparse_label=False), lambda: gloss.KLDivLoss(from_logits=False),
    lambda: gloss.LogisticLoss(), lambda: gloss.CosineEmbeddingLoss(weight=0.5)])
def test_loss_gradients(make):
    loss = make()
    pred, label = rand((3, 4)), rand((3, 4), 1, 0.1, 1)
    if isinstance(loss, gloss.LogisticLoss):
        label = np.sign(label - 0.5)
    if isinstance(loss, gloss.CosineEmbeddingLoss):
        check_numeric_gradient(lambda a, b, y: loss(a, b, y),
                               [pred, label, np.array([1, -1, 1], np.float32)],
                               grad_nodes=[0, 1])
        return
    check_numeric_gradient(lambda x, y: loss(x, y), [pred, label], grad_nodes=[0])
