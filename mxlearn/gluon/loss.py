"""Losses: HybridBlocks that compare predictions with labels, one value per example.

Every loss is called as ``loss(pred, label, sample_weight=None)`` and
returns one value per example: the elementwise loss is computed, weighted,
and averaged over every axis but ``batch_axis`` (``F.mean(loss,
axis=batch_axis, exclude=True)``). Two weights scale it
(``_apply_weighting``):

- ``weight``, a number given to the constructor, multiplies every loss;
- ``sample_weight``, an array given with each call, multiplies the
  elementwise loss with broadcasting (shape ``(batch, 1)`` weights examples).

Where a label has the same number of elements as ``pred`` but another shape
(``(batch,)`` against ``(batch, 1)``), it is reshaped to ``pred``'s shape
first.

They are written with ``F`` operators only, so they run on NDArrays now and
on Symbols once hybridized, and autograd differentiates them.
"""
import math
import numbers

from ..base import MXNetError
from .block import HybridBlock

__all__ = ['Loss', 'L2Loss', 'L1Loss', 'SigmoidBinaryCrossEntropyLoss', 'SigmoidBCELoss',
           'SoftmaxCrossEntropyLoss', 'SoftmaxCELoss', 'KLDivLoss', 'HuberLoss', 'HingeLoss',
           'SquaredHingeLoss', 'LogisticLoss', 'TripletLoss', 'PoissonNLLLoss',
           'CosineEmbeddingLoss']


def _apply_weighting(F, loss, weight=None, sample_weight=None):
    """``loss * sample_weight * weight``, each factor only when given.

    Parameters
    ----------
    F : module
        ``mx.nd`` or ``mx.sym``.
    loss : NDArray or Symbol
    weight : float, optional
        A global scale.
    sample_weight : NDArray or Symbol, optional
        Broadcast against ``loss``.

    Returns
    -------
    NDArray or Symbol

    Examples
    --------
    >>> import mxlearn as mx
    >>> _apply_weighting(mx.nd, mx.nd.ones((2, 2)), 3.0, mx.nd.array([[1], [0]])).asnumpy()
    array([[3., 3.],
           [0., 0.]], dtype=float32)
    """
    if sample_weight is not None:
        loss = F.broadcast_mul(loss, sample_weight)
    if weight is not None:
        loss = loss * weight
    return loss


def _reshape_like(F, x, y):
    """``x`` with the shape of ``y`` (same number of elements)."""
    return F.reshape_like(x, y)


def _softplus_neg_abs(F, x):
    """``log(1 + exp(-|x|))``, which never overflows."""
    return F.Activation(-F.abs(x), act_type='softrelu')


class Loss(HybridBlock):
    """The base of the losses: keeps ``weight`` and ``batch_axis``.

    Parameters
    ----------
    weight : float or None
        A global scale of the loss.
    batch_axis : int
        The axis of the examples; the loss is averaged over every other axis.
    prefix, params
        See :class:`~mxlearn.gluon.Block`.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.gluon.loss.L1Loss(weight=2.0)
    L1Loss(batch_axis=0, w=2.0)
    """

    def __init__(self, weight, batch_axis, **kwargs):
        if weight is not None and not isinstance(weight, numbers.Number):
            raise MXNetError('%s: weight must be a number (or None), got %r; pass per-example '
                             'weights as sample_weight when calling the loss'
                             % (type(self).__name__, weight))
        super().__init__(**kwargs)
        self._weight = weight
        self._batch_axis = batch_axis

    def _mean(self, F, loss):
        """The mean over every axis but the batch axis: one loss per example."""
        return F.mean(loss, axis=self._batch_axis, exclude=True)

    def __repr__(self):
        return '%s(batch_axis=%s, w=%s)' % (type(self).__name__, self._batch_axis, self._weight)

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError('%s must define hybrid_forward' % type(self).__name__)


class L2Loss(Loss):
    r"""Half the squared error: ``0.5 * (pred - label)**2``, averaged per example.

    Parameters
    ----------
    weight : float, default 1.0
    batch_axis : int, default 0

    Examples
    --------
    >>> import mxlearn as mx
    >>> pred, label = mx.nd.array([[1, 2], [3, 3]]), mx.nd.array([[1, 0], [1, 1]])
    >>> mx.gluon.loss.L2Loss()(pred, label).asnumpy()
    array([1., 2.], dtype=float32)
    """

    def __init__(self, weight=1.0, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.square(label - pred)
        return self._mean(F, _apply_weighting(F, loss, self._weight / 2, sample_weight))


class L1Loss(Loss):
    """The absolute error ``|pred - label|``, averaged per example.

    Parameters
    ----------
    weight : float, optional
    batch_axis : int, default 0

    Examples
    --------
    >>> import mxlearn as mx
    >>> pred, label = mx.nd.array([[1, 2], [3, 3]]), mx.nd.array([[1, 0], [1, 1]])
    >>> mx.gluon.loss.L1Loss()(pred, label).asnumpy()
    array([1., 2.], dtype=float32)
    """

    def __init__(self, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.abs(label - pred)
        return self._mean(F, _apply_weighting(F, loss, self._weight, sample_weight))


class SigmoidBinaryCrossEntropyLoss(Loss):
    r"""Binary cross-entropy of ``sigmoid(pred)`` against labels in [0, 1].

    ``-(label * log(p) + (1 - label) * log(1 - p))`` with ``p = sigmoid(pred)``.
    From logits it is computed as
    ``max(pred, 0) - pred * label + log(1 + exp(-|pred|))``, which neither
    overflows nor takes the log of 0.

    Parameters
    ----------
    from_sigmoid : bool, default False
        Whether ``pred`` is already a probability (then ``log(p + 1e-12)`` is
        used).
    weight : float, optional
    batch_axis : int, default 0

    Notes
    -----
    Called as ``loss(pred, label, sample_weight=None, pos_weight=None)``:
    ``pos_weight`` (broadcast against ``label``) scales the positive term
    ``label * log(p)``, to trade recall against precision.

    Examples
    --------
    >>> import mxlearn as mx
    >>> bce = mx.gluon.loss.SigmoidBCELoss()
    >>> bce(mx.nd.array([[0], [0]]), mx.nd.array([[1], [0]])).asnumpy().round(4)
    array([0.6931, 0.6931], dtype=float32)
    """

    def __init__(self, from_sigmoid=False, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_sigmoid = from_sigmoid

    def hybrid_forward(self, F, pred, label, sample_weight=None, pos_weight=None):
        label = _reshape_like(F, label, pred)
        if not self._from_sigmoid:
            if pos_weight is None:
                loss = F.relu(pred) - pred * label + _softplus_neg_abs(F, pred)
            else:
                # -log(sigmoid(x)) = softplus(-|x|) + relu(-x), scaled on the positives
                log_weight = 1 + F.broadcast_mul(pos_weight - 1, label)
                loss = (pred - pred * label
                        + log_weight * (_softplus_neg_abs(F, pred) + F.relu(-pred)))
        else:
            eps = 1e-12
            positive = F.log(pred + eps) * label
            if pos_weight is not None:
                positive = F.broadcast_mul(positive, pos_weight)
            loss = -(positive + F.log(1.0 - pred + eps) * (1.0 - label))
        return self._mean(F, _apply_weighting(F, loss, self._weight, sample_weight))


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


class SoftmaxCrossEntropyLoss(Loss):
    r"""Cross-entropy of ``softmax(pred)`` along ``axis`` against class labels.

    With class indices (``sparse_label=True``) the loss is
    ``-log_softmax(pred)[label]``; with probability vectors it is
    ``-sum(label * log_softmax(pred))``.

    Parameters
    ----------
    axis : int, default -1
        The class axis.
    sparse_label : bool, default True
        Labels are class indices (shape of ``pred`` without ``axis``) rather
        than distributions shaped like ``pred``.
    from_logits : bool, default False
        Whether ``pred`` already holds log-probabilities.
    weight : float, optional
    batch_axis : int, default 0

    Notes
    -----
    Sparse labels on raw logits use the fused operator
    ``_sparse_softmax_cross_entropy`` (one pass forward, ``softmax - onehot``
    backward) instead of log_softmax followed by pick; unlike pick, it
    rejects labels outside ``[0, classes)``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> ce = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    >>> ce(mx.nd.array([[0, 0], [0, 10]]), mx.nd.array([0, 1])).asnumpy().round(4)
    array([0.6931, 0.    ], dtype=float32)
    """

    def __init__(self, axis=-1, sparse_label=True, from_logits=False, weight=None,
                 batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._axis = axis
        self._sparse_label = sparse_label
        self._from_logits = from_logits

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if self._sparse_label and not self._from_logits:
            loss = F._sparse_softmax_cross_entropy(pred, label, axis=self._axis, keepdims=True)
        else:
            if not self._from_logits:
                pred = F.log_softmax(pred, axis=self._axis)
            if self._sparse_label:
                loss = -F.pick(pred, label, axis=self._axis, keepdims=True)
            else:
                label = _reshape_like(F, label, pred)
                loss = -F.sum(pred * label, axis=self._axis, keepdims=True)
        return self._mean(F, _apply_weighting(F, loss, self._weight, sample_weight))


SoftmaxCELoss = SoftmaxCrossEntropyLoss


class KLDivLoss(Loss):
    r"""Kullback-Leibler divergence ``sum(label * (log(label) - pred))`` per example.

    ``pred`` holds log-probabilities (``from_logits=True``) or logits turned
    into them with ``log_softmax`` along ``axis``. Unlike the other losses the
    terms are summed, not averaged, over the non-batch axes (as in MXNet
    1.9.1).

    Parameters
    ----------
    from_logits : bool, default True
        Whether ``pred`` is already log-probabilities.
    axis : int, default -1
        The class axis, for the log_softmax.
    weight : float, optional
    batch_axis : int, default 0

    Examples
    --------
    >>> import mxlearn as mx
    >>> kl = mx.gluon.loss.KLDivLoss(from_logits=False)
    >>> kl(mx.nd.array([[0, 0]]), mx.nd.array([[0.5, 0.5]])).asnumpy().round(4)
    array([0.], dtype=float32)
    """

    def __init__(self, from_logits=True, axis=-1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._axis = axis

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        loss = label * (F.log(label + 1e-12) - pred)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.sum(loss, axis=self._batch_axis, exclude=True)


class HuberLoss(Loss):
    r"""Squared error near zero, absolute error beyond ``rho`` (smooth L1).

    ``0.5 / rho * d**2`` where ``d = |pred - label| <= rho``, else
    ``d - 0.5 * rho``.

    Parameters
    ----------
    rho : float, default 1
    weight : float, optional
    batch_axis : int, default 0

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.gluon.loss.HuberLoss()(mx.nd.array([[0.5], [3]]), mx.nd.array([[0], [0]])).asnumpy()
    array([0.125, 2.5  ], dtype=float32)
    """

    def __init__(self, rho=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._rho = rho

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        dist = F.abs(label - pred)
        loss = F.where(dist > self._rho, dist - 0.5 * self._rho,
                       (0.5 / self._rho) * F.square(dist))
        return self._mean(F, _apply_weighting(F, loss, self._weight, sample_weight))


class HingeLoss(Loss):
    r"""``max(0, margin - pred * label)`` for labels in {-1, 1} (SVMs).

    Parameters
    ----------
    margin : float, default 1
    weight : float, optional
    batch_axis : int, default 0

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.gluon.loss.HingeLoss()(mx.nd.array([[2], [0.5]]), mx.nd.array([[1], [1]])).asnumpy()
    array([0. , 0.5], dtype=float32)
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.relu(self._margin - pred * label)
        return self._mean(F, _apply_weighting(F, loss, self._weight, sample_weight))


class SquaredHingeLoss(Loss):
    r"""``max(0, margin - pred * label)**2`` for labels in {-1, 1}.

    Parameters
    ----------
    margin : float, default 1
    weight : float, optional
    batch_axis : int, default 0

    Examples
    --------
    >>> import mxlearn as mx
    >>> hinge2 = mx.gluon.loss.SquaredHingeLoss()
    >>> hinge2(mx.nd.array([[2], [0.5]]), mx.nd.array([[1], [1]])).asnumpy()
    array([0.  , 0.25], dtype=float32)
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.square(F.relu(self._margin - pred * label))
        return self._mean(F, _apply_weighting(F, loss, self._weight, sample_weight))


class LogisticLoss(Loss):
    r"""``log(1 + exp(-pred * label))`` for labels in {-1, 1} (or {0, 1}).

    Computed like SigmoidBCELoss from logits after mapping signed labels to
    {0, 1}, so that it never overflows.

    Parameters
    ----------
    weight : float, optional
    batch_axis : int, default 0
    label_format : {'signed', 'binary'}, default 'signed'
        Labels in {-1, 1} or in {0, 1}.

    Examples
    --------
    >>> import mxlearn as mx
    >>> logistic = mx.gluon.loss.LogisticLoss()
    >>> logistic(mx.nd.array([[0], [100]]), mx.nd.array([[1], [1]])).asnumpy().round(4)
    array([0.6931, 0.    ], dtype=float32)
    """

    def __init__(self, weight=None, batch_axis=0, label_format='signed', **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        if label_format not in ('signed', 'binary'):
            raise ValueError("label_format must be 'signed' or 'binary', got %r"
                             % (label_format,))
        self._label_format = label_format

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        if self._label_format == 'signed':
            label = (label + 1.0) / 2.0
        loss = F.relu(pred) - pred * label + _softplus_neg_abs(F, pred)
        return self._mean(F, _apply_weighting(F, loss, self._weight, sample_weight))


class TripletLoss(Loss):
    r"""``max(0, |pred - positive|^2 - |pred - negative|^2 + margin)`` per example.

    Pulls an anchor ``pred`` towards a ``positive`` example and pushes it
    from a ``negative`` one; the squared distances are summed over the
    non-batch axes. Called as ``loss(pred, positive, negative)``.

    Parameters
    ----------
    margin : float, default 1
    weight : float, optional
    batch_axis : int, default 0

    Examples
    --------
    >>> import mxlearn as mx
    >>> anchor = mx.nd.array([[0, 0]])
    >>> mx.gluon.loss.TripletLoss()(anchor, mx.nd.array([[1, 0]]), mx.nd.array([[3, 0]])).asnumpy()
    array([0.], dtype=float32)
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, positive, negative):
        positive = _reshape_like(F, positive, pred)
        negative = _reshape_like(F, negative, pred)
        loss = F.sum(F.square(positive - pred) - F.square(negative - pred),
                     axis=self._batch_axis, exclude=True)
        loss = F.relu(loss + self._margin)
        return _apply_weighting(F, loss, self._weight, None)


class PoissonNLLLoss(Loss):
    r"""Negative log-likelihood of ``target`` under a Poisson distribution.

    With the rate's log as ``pred`` (``from_logits=True``) the loss is
    ``exp(pred) - target * pred``; with the rate itself,
    ``pred - target * log(pred + epsilon)``. ``compute_full`` adds Stirling's
    approximation of ``log(target!)``,
    ``target * log(target) - target + 0.5 * log(2 * pi * target)``, for the
    targets above 1.

    Parameters
    ----------
    weight : float, optional
    from_logits : bool, default True
    batch_axis : int, default 0
        Unused: as in MXNet, the result is the mean over all elements, one
        number (shape ``(1,)``).
    compute_full : bool, default False

    Notes
    -----
    Called as ``loss(pred, target, sample_weight=None, epsilon=1e-08)``.
    MXNet 1.9.1 returns NaN with ``compute_full=True`` when a target is 0
    (``0 * log(0)`` before masking); here the Stirling term is computed on
    ``max(target, 1)`` and masked, so it stays finite.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.gluon.loss.PoissonNLLLoss()(mx.nd.array([[0], [0]]), mx.nd.array([[1], [3]])).asnumpy()
    array([1.], dtype=float32)
    """

    def __init__(self, weight=None, from_logits=True, batch_axis=0, compute_full=False,
                 **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._compute_full = compute_full

    def hybrid_forward(self, F, pred, target, sample_weight=None, epsilon=1e-08):
        target = _reshape_like(F, target, pred)
        if self._from_logits:
            loss = F.exp(pred) - target * pred
        else:
            loss = pred - target * F.log(pred + epsilon)
        if self._compute_full:
            safe = F.maximum(target, 1)
            stirling = safe * F.log(safe) - safe + 0.5 * F.log(2 * math.pi * safe)
            loss = loss + stirling * (target > 1)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss)


class CosineEmbeddingLoss(Loss):
    r"""Make two inputs similar (label 1) or dissimilar (label -1) in cosine.

    With ``cos`` the cosine similarity of ``input1`` and ``input2`` along
    the last axis, the loss is ``1 - cos`` for label 1 and
    ``max(0, cos - margin)`` for label -1. Called as
    ``loss(input1, input2, label, sample_weight=None)``; the result has shape
    ``(batch, 1)``.

    Parameters
    ----------
    weight : float, optional
    batch_axis : int, default 0
    margin : float, default 0

    Examples
    --------
    >>> import mxlearn as mx
    >>> a, b = mx.nd.array([[1, 0], [1, 0]]), mx.nd.array([[0, 1], [1, 1]])
    >>> mx.gluon.loss.CosineEmbeddingLoss()(a, b, mx.nd.array([1, -1])).asnumpy().round(4)
    array([[1.    ],
           [0.7071]], dtype=float32)
    """

    def __init__(self, weight=None, batch_axis=0, margin=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, input1, input2, label, sample_weight=None):
        input1 = _reshape_like(F, input1, input2)
        label = F.reshape(label, shape=(-1, 1))
        cos_sim = self._cosine_similarity(F, input1, input2)
        similar = (1 - cos_sim) * (label == 1)
        dissimilar = F.relu((label == -1) * (cos_sim - self._margin))
        return _apply_weighting(F, similar + dissimilar, self._weight, sample_weight)

    def _cosine_similarity(self, F, x, y, axis=-1):
        x_norm = F.reshape(F.norm(x, axis=axis), shape=(-1, 1))
        y_norm = F.reshape(F.norm(y, axis=axis), shape=(-1, 1))
        x_dot_y = F.reshape(F.sum(x * y, axis=axis), shape=(-1, 1))
        return x_dot_y / F.maximum(x_norm * y_norm, 1e-12)
