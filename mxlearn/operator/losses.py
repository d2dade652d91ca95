"""Losses: softmax_cross_entropy (fused softmax + cross-entropy), its per-example
form _sparse_softmax_cross_entropy, and smooth_l1.

For logits ``x``, probabilities ``p = softmax(x)`` and a class label ``y``,
the cross-entropy ``-log p[y]`` has the famously simple gradient
``p - onehot(y)``. Computing the two together is cheaper and more accurate
than chaining softmax, log and pick: the loss is read off as
``log(sum(exp(x - max))) + max - x[y]``, which stays finite even where
``p[y]`` rounds to zero, and the backward pass only needs ``p``.

The helpers ``softmax_probabilities``, ``softmax_ce_loss`` and
``softmax_ce_backward`` serve the cross-entropy operators here and
``SoftmaxOutput`` (``output_layers.py``). They see the logits as
``(outer, classes, inner)`` with the softmax along the middle axis (a batch
``(n, c)`` is ``(n, c, 1)``; ``(n, c, h, w)`` along ``c`` is ``(n, c, h * w)``)
and labels as int64 ``(outer, inner)``. On float32/float64 rows
(``inner == 1``) they run the compiled kernel ``mxlearn._ext.softmax_ce`` on
numpy arrays and the CUDA kernels of ``mxlearn.gpu_kernels.softmax_ce`` on CuPy ones;
elsewhere (float16, softmax along an inner axis) they run the readable
references ``_softmax_ce_reference`` and ``_softmax_ce_grad_reference``,
which the kernel is tested against.

Labels outside ``[0, classes)`` raise an MXNetError naming the first one.
(MXNet does not check: SoftmaxOutput treats such a row as having no class,
and softmax_cross_entropy reads whatever lies at that offset.)
"""
import math

import numpy

from .._ext import softmax_ce as _kernel
from ..base import MXNetError
from ..gpu_kernels import launches_kernels
from .pick import _as_indices
from .registry import register, second_order_unsupported
from .shapes import check_axis, same_shape
from .softmax import _shifted_logits


# ------------------------------------------------------ shared softmax + CE --

def _use_kernel(xp, x):
    """Whether the kernel serves ``x`` (outer, classes, inner): numpy float rows."""
    return (xp is numpy and x.shape[2] == 1
            and (x.dtype == numpy.float32 or x.dtype == numpy.float64))


def _use_gpu_kernel(xp, x):
    """Whether the CUDA kernels serve ``x`` (outer, classes, inner): CuPy float rows."""
    return x.shape[2] == 1 and launches_kernels(xp, x)


def _gpu_forward(xp, x, labels, ignore_label, note, with_loss):
    """``(prob, loss or None)`` by the CUDA kernel, raising the CPU's error on bad labels."""
    from ..gpu_kernels import softmax_ce as gpu_softmax_ce
    loss = xp.empty(labels.size, dtype=x.dtype) if with_loss else None
    prob, bad = gpu_softmax_ce.forward(x.reshape(x.shape[:2]),
                                       None if labels is None else labels.reshape(-1),
                                       loss, ignore_label)
    if bad:
        check_labels(xp, labels, x.shape[1], ignore_label, note)
    return prob.reshape(x.shape), None if loss is None else loss.reshape(labels.shape)


def class_labels(xp, label, shape):
    """``label`` as int64 class indices of ``shape``, truncated toward zero like MXNet."""
    return _as_indices(xp, label).reshape(shape)


def check_labels(xp, labels, num_classes, ignore_label=None, note=''):
    """Raise an MXNetError naming the first label outside ``[0, num_classes)``.

    Labels equal to ``ignore_label`` (when it is not None) are allowed.

    Examples
    --------
    >>> import numpy as np
    >>> check_labels(np, np.array([0, 2, -1]), 3, ignore_label=-1)
    >>> check_labels(np, np.array([0, 3]), 3)
    Traceback (most recent call last):
    ...
    mxlearn.base.MXNetError: label 3 is out of range for 3 classes (expected 0 <= label < 3)
    """
    bad = (labels < 0) | (labels >= num_classes)
    if ignore_label is not None:
        bad &= labels != ignore_label
    if bool(bad.any()):
        raise MXNetError('label %d is out of range for %d classes (expected 0 <= label < %d)%s'
                         % (int(labels[bad][0]), num_classes, num_classes, note))


def _softmax_ce_reference(xp, x, labels=None):
    """Probabilities along axis 1 of ``x`` and ``-log p[label]`` per position.

    The readable version of the kernel's forward (numpy and CuPy alike).
    ``labels`` must be valid class indices; without them the loss is None.
    """
    z, _ = _shifted_logits(xp, x, 1, None, None, False, False)
    e = xp.exp(z)
    total = e.sum(axis=1, keepdims=True)
    prob = (e / total).astype(x.dtype, copy=False)
    if labels is None:
        return prob, None
    picked = xp.take_along_axis(z, labels[:, None, :], axis=1)
    return prob, (xp.log(total) - picked)[:, 0, :]


def _kernel_forward(x, labels, ignore_label, note, loss):
    rows = numpy.ascontiguousarray(x.reshape(x.shape[:2]))
    prob = numpy.empty_like(rows)
    use_ignore = ignore_label is not None
    _, bad = _kernel.forward(rows, prob, None if labels is None else labels.reshape(-1),
                             loss, ignore_label if use_ignore else -1, use_ignore)
    if bad:
        check_labels(numpy, labels, x.shape[1], ignore_label, note)
    return prob.reshape(x.shape)


def softmax_probabilities(xp, x, labels=None, ignore_label=None, note=''):
    """Softmax along axis 1 of ``x`` (outer, classes, inner), checking ``labels`` if given.

    Parameters
    ----------
    xp : module
        numpy or cupy.
    x : array
        Floating-point logits of shape ``(outer, classes, inner)``.
    labels : int64 array of shape (outer, inner), optional
        Checked to lie in ``[0, classes)``, ``ignore_label`` excepted.
    ignore_label : int, optional
    note : str
        Appended to the out-of-range error.

    Returns
    -------
    array
        The probabilities, shaped and typed like ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> softmax_probabilities(np, np.zeros((1, 4, 1), np.float32)).ravel()
    array([0.25, 0.25, 0.25, 0.25], dtype=float32)
    """
    if _use_kernel(xp, x):
        return _kernel_forward(x, labels, ignore_label, note, None)
    if _use_gpu_kernel(xp, x):
        return _gpu_forward(xp, x, labels, ignore_label, note, False)[0]
    if labels is not None:
        check_labels(xp, labels, x.shape[1], ignore_label, note)
    return _softmax_ce_reference(xp, x)[0]


def softmax_ce_loss(xp, x, labels):
    """Softmax of ``x`` (outer, classes, inner) and the cross-entropy at each position.

    Returns
    -------
    (array, array)
        The probabilities, like ``x``, and ``-log p[label]`` of shape
        ``(outer, inner)`` in ``x``'s dtype.

    Examples
    --------
    >>> import numpy as np
    >>> p, loss = softmax_ce_loss(np, np.zeros((2, 4, 1)), np.array([[0], [3]]))
    >>> loss.round(6)                               # log(4) each
    array([[1.386294],
           [1.386294]])
    """
    if _use_kernel(xp, x):
        loss = numpy.empty(labels.size, dtype=x.dtype)
        return _kernel_forward(x, labels, None, '', loss), loss.reshape(labels.shape)
    if _use_gpu_kernel(xp, x):
        return _gpu_forward(xp, x, labels, None, '', True)
    check_labels(xp, labels, x.shape[1])
    prob, loss = _softmax_ce_reference(xp, x, labels)
    return prob, loss.astype(x.dtype, copy=False)


def _softmax_ce_grad_reference(xp, prob, labels, scale, ignore_label=None,
                               smooth_alpha=0.0, ograd=None):
    """``(prob - target) * scale [* ograd]``: the readable version of the kernel's backward.

    ``target`` is ``1 - smooth_alpha`` at the label and
    ``smooth_alpha / (classes - 1)`` elsewhere; positions labelled
    ``ignore_label`` get zero. ``ograd`` has one value per position.
    """
    c = prob.shape[1]
    off = smooth_alpha / (c - 1) if c > 1 else 0.0
    hit = xp.arange(c).reshape(1, c, 1) == labels[:, None, :]
    target = xp.where(hit, 1.0 - smooth_alpha, off).astype(prob.dtype)
    grad = (prob - target) * scale
    if ograd is not None:
        grad = grad * xp.broadcast_to(ograd, labels.shape)[:, None, :]
    if ignore_label is not None:
        grad = xp.where((labels == ignore_label)[:, None, :], 0, grad)
    return grad.astype(prob.dtype, copy=False)


def softmax_ce_backward(xp, prob, labels, scale, ignore_label=None, smooth_alpha=0.0,
                        ograd=None):
    """The gradient of the cross-entropy w.r.t. the logits: ``(prob - target) * scale``.

    Parameters
    ----------
    xp : module
    prob : array
        Probabilities ``(outer, classes, inner)`` (the forward's output).
    labels : int64 array of shape (outer, inner)
    scale : float
    ignore_label : int, optional
        Positions with this label get a zero gradient.
    smooth_alpha : float
        Label smoothing: the target is ``1 - smooth_alpha`` at the label and
        ``smooth_alpha / (classes - 1)`` elsewhere.
    ograd : array, optional
        One factor per position: of shape ``(outer, inner)`` or broadcastable
        to it (the out-gradient of a per-position or a summed loss).

    Returns
    -------
    array
        Shaped and typed like ``prob``.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.full((1, 4, 1), 0.25)
    >>> softmax_ce_backward(np, p, np.array([[2]]), 1.0).ravel()
    array([ 0.25,  0.25, -0.75,  0.25])
    """
    if _use_gpu_kernel(xp, prob):
        from ..gpu_kernels import softmax_ce as gpu_softmax_ce
        grad = gpu_softmax_ce.backward(prob.reshape(prob.shape[:2]), labels.reshape(-1), scale,
                                       ignore_label, smooth_alpha,
                                       None if ograd is None else _row_factors(xp, ograd,
                                                                               labels))
        return grad.reshape(prob.shape)
    if not _use_kernel(xp, prob):
        return _softmax_ce_grad_reference(xp, prob, labels, scale, ignore_label,
                                          smooth_alpha, ograd)
    if ograd is not None and ograd.size == 1:
        scale = scale * float(ograd.reshape(-1)[0])
        ograd = None
    if ograd is not None:
        ograd = numpy.ascontiguousarray(numpy.broadcast_to(ograd, labels.shape),
                                        dtype=prob.dtype).reshape(-1)
    rows = numpy.ascontiguousarray(prob.reshape(prob.shape[:2]))
    grad = numpy.empty_like(rows)
    use_ignore = ignore_label is not None
    _kernel.backward(rows, labels.reshape(-1), grad, scale,
                     ignore_label if use_ignore else -1, use_ignore, smooth_alpha, ograd)
    return grad.reshape(prob.shape)


def _row_factors(xp, ograd, labels):
    """``ograd`` as one factor per row of ``labels`` (outer, 1), or one in all."""
    return ograd.reshape(1) if ograd.size == 1 else xp.broadcast_to(ograd, labels.shape)


# ---------------------------------------------------- softmax_cross_entropy --

def _sce_shape(in_shapes):
    data, label = tuple(in_shapes[0]), tuple(in_shapes[1])
    if len(data) != 2:
        raise MXNetError('data has shape %s; expected 2 dimensions (batch, classes)' % (data,))
    if label != data[:1]:
        raise MXNetError('label has shape %s; expected (%d,), one class index per row of '
                         'data %s' % (label, data[0], data))
    return [(1,), data]


def _sce_grad(F, inputs, outputs, ograds):
    return (F._backward_softmax_cross_entropy(ograds[0], outputs[1], inputs[1]), None)


@register('softmax_cross_entropy', gradient=_sce_grad, infer_shape=_sce_shape,
          infer_type=lambda dtypes: [dtypes[0], dtypes[0]], same_dtype=False, num_visible=1)
def softmax_cross_entropy(xp, data, label):
    """The cross-entropy of ``softmax(data)`` and class labels, summed over the batch.

    Parameters
    ----------
    data : NDArray
        Logits of shape ``(batch, classes)``.
    label : NDArray
        Class indices of shape ``(batch,)`` (any dtype; truncated to integers).

    Returns
    -------
    NDArray
        ``sum_i -log softmax(data)[i, label[i]]``, shape ``(1,)``. The gradient
        w.r.t. ``data`` is ``softmax(data) - onehot(label)`` times the
        incoming gradient; ``label`` gets none.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2, 3], [11, 7, 5]])
    >>> mx.nd.softmax_cross_entropy(x, mx.nd.array([2, 0])).asnumpy().round(5)
    array([0.42819], dtype=float32)
    """
    n, c = _sce_shape([data.shape, label.shape])[1]
    prob, loss = softmax_ce_loss(xp, data.reshape(n, c, 1), class_labels(xp, label, (n, 1)))
    return loss.sum().reshape(1), prob.reshape(n, c)


@register('_backward_softmax_cross_entropy', same_dtype=False,
          gradient=second_order_unsupported('_backward_softmax_cross_entropy'),
          infer_shape=lambda shapes: [tuple(shapes[1])])
def backward_softmax_cross_entropy(xp, ograd, prob, label):
    """The gradient of ``softmax_cross_entropy``: ``(prob - onehot(label)) * ograd``."""
    n, c = prob.shape
    grad = softmax_ce_backward(xp, prob.reshape(n, c, 1), class_labels(xp, label, (n, 1)),
                               1.0, ograd=ograd.reshape(1, 1))
    return grad.reshape(n, c)


# ---------------------------------------------- _sparse_softmax_cross_entropy --

def _sparse_layout(data_shape, label_shape, axis):
    """``(outer, classes, inner)`` of data, and the output shapes with and without ``axis``."""
    d, lab = tuple(data_shape), tuple(label_shape)
    ax = check_axis(axis, len(d))
    kept, dropped = d[:ax] + (1,) + d[ax + 1:], d[:ax] + d[ax + 1:] or (1,)
    if lab != dropped and lab != kept:
        raise MXNetError('label has shape %s; expected %s (or %s), a class index for each '
                         'position of data %s along axis %d' % (lab, dropped, kept, d, ax))
    return (math.prod(d[:ax]), d[ax], math.prod(d[ax + 1:])), kept, dropped


def _sparse_sce_shape(in_shapes, axis=-1, keepdims=False):
    _, kept, dropped = _sparse_layout(in_shapes[0], in_shapes[1], axis)
    return [kept if keepdims else dropped, tuple(in_shapes[0])]


def _sparse_sce_grad(F, inputs, outputs, ograds, axis=-1, keepdims=False):
    return (F._backward_sparse_softmax_cross_entropy(ograds[0], outputs[1], inputs[1],
                                                     axis=axis), None)


@register('_sparse_softmax_cross_entropy', gradient=_sparse_sce_grad,
          infer_shape=_sparse_sce_shape, infer_type=lambda dtypes, **a: [dtypes[0], dtypes[0]],
          same_dtype=False, num_visible=1)
def sparse_softmax_cross_entropy(xp, data, label, *, axis=-1, keepdims=False):
    """``-log softmax(data)[label]`` along ``axis`` at every other position, fused.

    The loss of each example, not their sum: what ``-pick(log_softmax(data),
    label)`` gives, in one pass and with one backward kernel (the building
    block for Gluon's SoftmaxCrossEntropyLoss). Not an MXNet operator.

    Parameters
    ----------
    data : NDArray
        Logits.
    label : NDArray
        Class indices, shaped like ``data`` without ``axis`` (or with it of
        size 1).
    axis : int, default -1
        The class axis.
    keepdims : bool, default False
        Keep ``axis`` in the output, with size 1.

    Returns
    -------
    NDArray
        The losses, shaped like ``data`` without ``axis``. The gradient
        w.r.t. ``data`` is ``(softmax(data) - onehot(label)) * ograd``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2, 3], [11, 7, 5]])
    >>> mx.nd._sparse_softmax_cross_entropy(x, mx.nd.array([2, 0])).asnumpy().round(5)
    array([0.40761, 0.02058], dtype=float32)
    """
    layout, kept, dropped = _sparse_layout(data.shape, label.shape, axis)
    prob, loss = softmax_ce_loss(xp, data.reshape(layout),
                                 class_labels(xp, label, (layout[0], layout[2])))
    return loss.reshape(kept if keepdims else dropped), prob.reshape(data.shape)


@register('_backward_sparse_softmax_cross_entropy', same_dtype=False,
          gradient=second_order_unsupported('_backward_sparse_softmax_cross_entropy'),
          infer_shape=lambda shapes, **a: [tuple(shapes[1])])
def backward_sparse_softmax_cross_entropy(xp, ograd, prob, label, *, axis=-1):
    """The gradient of ``_sparse_softmax_cross_entropy``: ``(prob - onehot) * ograd``."""
    layout, _, _ = _sparse_layout(prob.shape, label.shape, axis)
    labels = class_labels(xp, label, (layout[0], layout[2]))
    grad = softmax_ce_backward(xp, prob.reshape(layout), labels, 1.0,
                               ograd=ograd.reshape(labels.shape))
    return grad.reshape(prob.shape)


# ---------------------------------------------------------------- smooth_l1 --

def _smooth_l1_grad(F, inputs, outputs, ograds, scalar=1.0):
    # The derivative sigma**2 * x clipped to [-1, 1] is sign(x) exactly where
    # |x| >= 1 / sigma**2, and written with F ops it is differentiable again.
    return (ograds[0] * F.clip(inputs[0] * (scalar * scalar), a_min=-1.0, a_max=1.0),)


@register('smooth_l1', gradient=_smooth_l1_grad, infer_shape=same_shape)
def smooth_l1(xp, data, *, scalar=1.0):
    """The smooth L1 (Huber-like) loss, elementwise, with ``sigma = scalar``.

    ``f(x) = 0.5 * (sigma * x)**2`` where ``|x| < 1 / sigma**2``, else
    ``|x| - 0.5 / sigma**2``: quadratic near zero, linear (L1) beyond, with a
    continuous value and slope where they meet.

    Parameters
    ----------
    data : NDArray
    scalar : float, default 1.0
        ``sigma``; larger values shrink the quadratic region.

    Returns
    -------
    NDArray
        Same shape and dtype as ``data``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.smooth_l1(mx.nd.array([-2, -0.5, 0, 1, 4])).asnumpy()
    array([1.5  , 0.125, 0.   , 0.5  , 3.5  ], dtype=float32)
    """
    s2 = scalar * scalar
    ax = xp.abs(data)
    # With sigma = 0 every |x| is in the quadratic region, where f is 0.
    linear = ax - (0.5 / s2 if s2 else 0.0)
    return xp.where(ax * s2 < 1, 0.5 * s2 * data * data, linear).astype(data.dtype,
                                                                        copy=False)
