"""Output layers: SoftmaxOutput and the regression outputs.

An output layer is the last node of a symbolic network trained with
``Module.fit``. Its forward is the prediction (softmax probabilities, the
identity, a sigmoid) and its backward is the gradient of a loss that is never
computed: the gradient a loss at the network's end would send back. So its
backward **ignores the incoming gradient** and starts from the label:

- SoftmaxOutput: ``(softmax(x) - onehot(label)) * grad_scale / normalizer``
  (the cross-entropy gradient, see ``losses.py``);
- LinearRegressionOutput: ``(x - label) * grad_scale / m``, squared loss;
- MAERegressionOutput: ``sign(x - label) * grad_scale / m``, absolute loss;
- LogisticRegressionOutput: ``(sigmoid(x) - label) * grad_scale / m``,
  binary cross-entropy,

where ``m`` is the number of outputs per example (``size / batch``). The
label gets no gradient (MXNet gives zeros).
"""
import math

import numpy

from ..base import MXNetError
from .losses import class_labels, softmax_ce_backward, softmax_probabilities
from .registry import get_op, register, second_order_unsupported

_NORMALIZATIONS = ('null', 'batch', 'valid')


# ------------------------------------------------------------ SoftmaxOutput --

def _layout(data_shape, label_shape, multi_output=False, preserve_shape=False,
            normalization='null', **attrs):
    """The (outer, classes, inner) layout of ``data``; whether ``label`` holds probabilities."""
    d, lab = tuple(data_shape), tuple(label_shape)
    if normalization not in _NORMALIZATIONS:
        raise MXNetError('normalization=%r is not one of %s'
                         % (normalization, ', '.join(repr(n) for n in _NORMALIZATIONS)))
    if len(d) < 2:
        raise MXNetError('data has shape %s; expected at least 2 dimensions, '
                         '(batch, classes, ...)' % (d,))
    if multi_output:
        layout = (d[0], d[1], math.prod(d[2:]))
        expected, where = (d[0],) + d[2:], 'each position along the axes after the class axis 1'
    elif preserve_shape:
        layout = (math.prod(d[:-1]), d[-1], 1)
        expected, where = d[:-1], 'each position before the class axis -1'
    else:
        layout = (d[0], math.prod(d[1:]), 1)
        expected, where = d[:1], 'each row of data flattened to 2-d'
    if lab == d:
        return layout, True
    if lab != expected:
        raise MXNetError('label has shape %s; expected %s (a class index for %s) or %s '
                         '(class probabilities)' % (lab, expected, where, d))
    if layout[1] == 0 and layout[0] * layout[2]:
        raise MXNetError('data has shape %s, with no classes to choose from' % (d,))
    return layout, False


def _softmax_output_shape(in_shapes, **attrs):
    _layout(in_shapes[0], in_shapes[1], **attrs)
    return [tuple(in_shapes[0])]


def _normalizer(labels, layout, normalization, multi_output, ignore_label):
    if normalization == 'valid':
        # MXNet counts the labels that differ from ignore_label, whether or
        # not use_ignore is set; with none left it divides by 1.
        return max(int((labels != ignore_label).sum()), 1)
    if normalization == 'batch':
        return labels.size
    # multi_output with 'null' still averages over the positions of an example
    return layout[2] if multi_output else 1


def _softmax_output_grad(F, inputs, outputs, ograds, **attrs):
    extra = (ograds[0],) if attrs.get('out_grad') else ()
    return (F._backward_SoftmaxOutput(outputs[0], inputs[1], *extra, **attrs), None)


@register('SoftmaxOutput', gradient=_softmax_output_grad, infer_shape=_softmax_output_shape,
          same_dtype=False, aliases=('Softmax',))
def softmax_output(xp, data, label, *, grad_scale=1.0, ignore_label=-1.0, multi_output=False,
                   use_ignore=False, preserve_shape=False, normalization='null',
                   out_grad=False, smooth_alpha=0.0):
    """Softmax in the forward pass; the cross-entropy gradient in the backward pass.

    The forward returns the softmax probabilities, shaped like ``data``:

    - by default ``data`` is flattened to ``(batch, rest)`` and each row sums
      to one; ``label`` has shape ``(batch,)``;
    - ``preserve_shape=True``: along the last axis; ``label`` is
      ``data.shape[:-1]``;
    - ``multi_output=True``: along axis 1 of ``(n, c, d1, ...)``, e.g. a
      class per pixel; ``label`` is ``(n, d1, ...)``.

    Labels are class indices (any dtype, truncated to integers), or class
    probabilities of ``data``'s shape. The backward ignores the incoming
    gradient (unless ``out_grad``) and gives

    ``(softmax(data) - onehot(label)) * grad_scale / normalizer``

    where the normalizer is 1 for ``'null'`` (with ``multi_output``: the
    positions per example, ``d1 * d2 * ...``), the number of labels for
    ``'batch'``, and the number of labels that differ from ``ignore_label``
    for ``'valid'`` (at least 1). With probability labels the gradient is
    ``(softmax(data) - label) * grad_scale``, with no normalization,
    ignoring or smoothing. ``label`` gets no gradient.

    Parameters
    ----------
    data : NDArray
        Logits, at least 2-d.
    label : NDArray
        Class indices, or probabilities shaped like ``data``.
    grad_scale : float, default 1
        Scales the gradient.
    ignore_label : float, default -1
        With ``use_ignore``, positions with this label get a zero gradient.
    multi_output : bool, default False
        Softmax along axis 1, a label per position of the other axes.
    use_ignore : bool, default False
        Skip labels equal to ``ignore_label``.
    preserve_shape : bool, default False
        Softmax along the last axis.
    normalization : {'null', 'batch', 'valid'}, default 'null'
        What the gradient is divided by (see above).
    out_grad : bool, default False
        Multiply the gradient elementwise by the incoming gradient.
    smooth_alpha : float, default 0
        Label smoothing: the target is ``1 - smooth_alpha`` at the label and
        ``smooth_alpha / (classes - 1)`` at each other class. As in MXNet it
        is not applied with ``multi_output``.

    Returns
    -------
    NDArray
        The probabilities, shaped like ``data``.

    Notes
    -----
    MXNet 1.9.1 differs in three corner cases, where mxlearn follows the
    documentation instead: a label outside ``[0, classes)`` that is not
    ignored raises an error here (MXNet treats the row as having no class);
    ``out_grad=True`` multiplies by the incoming gradient (MXNet's imperative
    mode multiplies by the output); and with more than two dimensions and
    neither flag, the label has shape ``(batch,)`` (MXNet asks for
    ``data.shape[:-1]`` but reads only its first ``batch`` entries).

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2, 3], [2, 2, 2]])
    >>> x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = mx.nd.SoftmaxOutput(x, mx.nd.array([2, 0]))
    >>> y.backward()
    >>> y.asnumpy().round(3)
    array([[0.09 , 0.245, 0.665],
           [0.333, 0.333, 0.333]], dtype=float32)
    >>> x.grad.asnumpy().round(3)
    array([[ 0.09 ,  0.245, -0.335],
           [-0.667,  0.333,  0.333]], dtype=float32)
    """
    layout, probabilities = _layout(data.shape, label.shape, multi_output, preserve_shape,
                                    normalization)
    x = data.reshape(layout)
    if probabilities:
        return softmax_probabilities(xp, x).reshape(data.shape)
    ignore = int(ignore_label)
    note = '' if use_ignore else (
        '; labels equal to ignore_label=%d are skipped only with use_ignore=True' % ignore)
    labels = class_labels(xp, label, (layout[0], layout[2]))
    prob = softmax_probabilities(xp, x, labels, ignore if use_ignore else None, note)
    return prob.reshape(data.shape)


@register('_backward_SoftmaxOutput', same_dtype=False,
          gradient=second_order_unsupported('_backward_SoftmaxOutput'),
          infer_shape=lambda shapes, **attrs: [tuple(shapes[0])])
def backward_softmax_output(xp, prob, label, ograd=None, *, grad_scale=1.0, ignore_label=-1.0,
                            multi_output=False, use_ignore=False, preserve_shape=False,
                            normalization='null', out_grad=False, smooth_alpha=0.0):
    """The gradient of SoftmaxOutput w.r.t. its data, from its output ``prob``.

    ``ograd`` (given only with ``out_grad=True``) multiplies it elementwise.
    """
    layout, probabilities = _layout(prob.shape, label.shape, multi_output, preserve_shape,
                                    normalization)
    p = prob.reshape(layout)
    if probabilities:
        grad = (p - label.reshape(layout).astype(p.dtype)) * grad_scale
    else:
        ignore = int(ignore_label)
        labels = class_labels(xp, label, (layout[0], layout[2]))
        scale = grad_scale / _normalizer(labels, layout, normalization, multi_output, ignore)
        grad = softmax_ce_backward(xp, p, labels, scale, ignore if use_ignore else None,
                                   0.0 if multi_output else smooth_alpha)
    if ograd is not None:
        grad = grad * ograd.reshape(layout)
    return grad.astype(prob.dtype, copy=False).reshape(prob.shape)


# ------------------------------------------------------- regression outputs --

def _regression_shape(in_shapes, grad_scale=1.0):
    d, lab = tuple(in_shapes[0]), tuple(in_shapes[1])
    if lab != d and not (d and lab and lab[0] == d[0] and math.prod(lab) == math.prod(d)):
        raise MXNetError('label has shape %s; expected the shape of data %s, or a shape with '
                         'the same first axis and number of elements' % (lab, d))
    return [d]


def _per_example_scale(shape, grad_scale):
    """``grad_scale / m``, where ``m`` is the number of outputs per example."""
    per_example = math.prod(shape[1:])
    return grad_scale / per_example if per_example else grad_scale


def _label_like(F, label, data):
    label = F.reshape_like(label, data)
    if numpy.dtype(label.dtype) != numpy.dtype(data.dtype):
        label = F.Cast(label, dtype=numpy.dtype(data.dtype).name)
    return label


def _regression(name, forward, residual, doc):
    def gradient(F, inputs, outputs, ograds, grad_scale=1.0):
        data = inputs[0]
        diff = residual(F, data, _label_like(F, inputs[1], data))
        return (diff * _per_example_scale(data.shape, grad_scale), None)

    def op(xp, data, label, *, grad_scale=1.0):
        _regression_shape([data.shape, label.shape])
        return forward(xp, data)

    op.__name__ = name
    op.__doc__ = doc
    register(name, gradient=gradient, infer_shape=_regression_shape, same_dtype=False)(op)
    return op


_REGRESSION_PARAMS = """
    Parameters
    ----------
    data : NDArray
        The predictions, ``(batch, ...)``.
    label : NDArray
        The targets: ``data``'s shape, or another with the same first axis and
        size (``(batch,)`` for ``(batch, 1)``).
    grad_scale : float, default 1
        Scales the gradient, which is divided by the number of outputs per
        example ``m = data.size / batch``.

    Returns
    -------
    NDArray
        Same shape as ``data``.
"""

_regression('LinearRegressionOutput', lambda xp, x: x.copy(),
            lambda F, x, label: x - label,
            """Squared-loss output: the identity forward, an L2 gradient backward.

    The backward gives ``(data - label) * grad_scale / m``, the gradient of
    half the squared error, whatever the incoming gradient.
%s
    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2], [3, 4]])
    >>> x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = mx.nd.LinearRegressionOutput(x, mx.nd.array([[0, 0], [3, 3]]))
    >>> y.backward()
    >>> x.grad.asnumpy()
    array([[0.5, 1. ],
           [0. , 0.5]], dtype=float32)
    """ % _REGRESSION_PARAMS)

_regression('MAERegressionOutput', lambda xp, x: x.copy(),
            lambda F, x, label: F.sign(x - label),
            """Absolute-loss output: the identity forward, an L1 gradient backward.

    The backward gives ``sign(data - label) * grad_scale / m``, the gradient
    of the absolute error, whatever the incoming gradient.
%s
    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2], [3, 4]])
    >>> x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = mx.nd.MAERegressionOutput(x, mx.nd.array([[0, 0], [3, 9]]))
    >>> y.backward()
    >>> x.grad.asnumpy()
    array([[ 0.5,  0.5],
           [ 0. , -0.5]], dtype=float32)
    """ % _REGRESSION_PARAMS)

_regression('LogisticRegressionOutput', lambda xp, x: get_op('sigmoid').forward(xp, x),
            # recomputing the sigmoid from the input (not reusing the output)
            # keeps this differentiable again under create_graph
            lambda F, x, label: F.sigmoid(x) - label,
            """Logistic output: ``sigmoid(data)`` forward, a cross-entropy gradient backward.

    The backward gives ``(sigmoid(data) - label) * grad_scale / m``, the
    gradient of the binary cross-entropy of ``sigmoid(data)`` and 0/1 (or
    probability) labels, whatever the incoming gradient.
%s
    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[0.0], [0.0]])
    >>> x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = mx.nd.LogisticRegressionOutput(x, mx.nd.array([1, 0]))
    >>> y.backward()
    >>> y.asnumpy().ravel(), x.grad.asnumpy().ravel()
    (array([0.5, 0.5], dtype=float32), array([-0.5,  0.5], dtype=float32))
    """ % _REGRESSION_PARAMS)
