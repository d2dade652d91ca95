"""Embedding: look up one row of a weight table per integer index.

The forward is a gather, ``weight[index]``; its gradient with respect to the
weight is the matching scatter-add: each row of the output gradient is added
into the row of its index, and an index used several times receives the sum of
its rows. That scatter is the private operator ``_backward_Embedding``, run by
the compiled kernel ``mxlearn._ext.embedding.scatter_add_rows`` on the CPU
(float32/float64), by its CUDA twin ``mxlearn.gpu_kernels.embedding`` on the
GPU, and by :func:`embedding_grad_reference` (``add.at``) for other dtypes.
Its own gradient is the gather again, so second derivatives work.

Indices are truncated to integers and clipped into ``[0, input_dim)`` (an
index that is too large gives the last row and a negative one the first), as
MXNet does with ``sparse_grad=False``.
"""
import numpy

from .._ext.embedding import scatter_add_rows
from ..backend import scatter_add
from ..base import MXNetError
from ..gpu_kernels import launches_kernels
from .pick import _as_indices, _fit_indices
from .registry import register


def _check_dims(input_dim, output_dim):
    for name, value in (('input_dim', input_dim), ('output_dim', output_dim)):
        if value is None:
            raise MXNetError('%s is required' % name)
        if isinstance(value, bool) or int(value) != value or value < 1:
            raise MXNetError('%s must be a positive integer, got %r' % (name, value))


def _embedding_shape(in_shapes, input_dim=None, output_dim=None, dtype='float32',
                     sparse_grad=False):
    _check_dims(input_dim, output_dim)
    weight = tuple(in_shapes[1])
    if weight != (input_dim, output_dim):
        raise MXNetError('weight has shape %s; expected (input_dim, output_dim) = (%d, %d)'
                         % (weight, input_dim, output_dim))
    return [tuple(in_shapes[0]) + (output_dim,)]


def _embedding_type(in_dtypes, dtype='float32', **attrs):
    # The output is in the weight's dtype; ``dtype`` only names the weight's
    # dtype when nothing else says it (as in MXNet).
    weight = in_dtypes[1]
    return [numpy.dtype(dtype) if weight is None else numpy.dtype(weight)]


def _grad_embedding(F, inputs, outputs, ograds, **attrs):
    return None, F._backward_Embedding(ograds[0], inputs[0], **attrs)


@register('Embedding', gradient=_grad_embedding, infer_shape=_embedding_shape,
          infer_type=_embedding_type, same_dtype=False)
def embedding(xp, data, weight, *, input_dim=None, output_dim=None, dtype='float32',
              sparse_grad=False):
    """Map integer indices to rows of ``weight`` (embedding vectors).

    Parameters
    ----------
    data : NDArray
        Indices of any shape and dtype (floats are truncated toward zero);
        out-of-range ones are clipped to ``[0, input_dim - 1]``.
    weight : NDArray
        The table, of shape ``(input_dim, output_dim)``.
    input_dim : int
        The number of rows (the vocabulary size), required.
    output_dim : int
        The length of each vector, required.
    dtype : str, default 'float32'
        The dtype of the weight, for shape and type inference; the output has
        the weight's dtype.
    sparse_grad : bool, default False
        Accepted for compatibility: mxlearn's gradients are dense, so the
        weight's gradient is a dense ``(input_dim, output_dim)`` array either
        way (with rows of zeros for the indices not used).

    Returns
    -------
    NDArray
        ``data.shape + (output_dim,)``.

    Notes
    -----
    ``data`` gets no gradient (MXNet raises an error when one is asked for;
    here it is zero).

    Examples
    --------
    >>> import mxlearn as mx
    >>> w = mx.nd.array([[0, 1], [10, 11], [20, 21]])
    >>> mx.nd.Embedding(mx.nd.array([[2, 0], [1, 7]]), w, input_dim=3, output_dim=2).asnumpy()
    array([[[20., 21.],
            [ 0.,  1.]],
    <BLANKLINE>
           [[10., 11.],
            [20., 21.]]], dtype=float32)
    """
    if weight.shape != (input_dim, output_dim):
        _embedding_shape([data.shape, weight.shape], input_dim, output_dim)
    index = _fit_indices(xp, _as_indices(xp, data), input_dim, 'clip')
    return xp.take(weight, index, axis=0)


def embedding_grad_reference(xp, grad, index, input_dim):
    """The weight gradient of Embedding with ``add.at``: the readable reference.

    Parameters
    ----------
    grad : array
        The output gradient as a matrix ``(N, output_dim)``.
    index : array
        ``N`` integer indices, already in ``[0, input_dim)``.
    input_dim : int

    Returns
    -------
    array
        ``(input_dim, output_dim)``: row ``r`` is the sum of the rows of
        ``grad`` whose index is ``r``.

    Examples
    --------
    >>> import numpy as np
    >>> embedding_grad_reference(np, np.ones((3, 2)), np.array([1, 0, 1]), 2)
    array([[1., 1.],
           [2., 2.]])
    """
    out = xp.zeros((input_dim, grad.shape[1]), dtype=grad.dtype)
    scatter_add(xp, out, index, grad)
    return out


def _grad_backward(F, inputs, outputs, ograds, **attrs):
    return F.Embedding(inputs[1], ograds[0], **attrs), None


@register('_backward_Embedding', gradient=_grad_backward, same_dtype=False,
          infer_shape=lambda in_shapes, input_dim=None, output_dim=None, **attrs:
          [(input_dim, output_dim)])
def backward_embedding(xp, ograd, data, *, input_dim=None, output_dim=None,
                       dtype='float32', sparse_grad=False):
    """The weight gradient of Embedding: ``ograd``'s rows added into zeros at ``data``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> g = mx.nd.ones((2, 2, 3))
    >>> mx.nd._backward_Embedding(g, mx.nd.array([[0, 1], [1, 9]]),
    ...                           input_dim=3, output_dim=3).asnumpy()
    array([[1., 1., 1.],
           [2., 2., 2.],
           [1., 1., 1.]], dtype=float32)
    """
    _check_dims(input_dim, output_dim)
    grad = ograd.reshape(-1, output_dim)
    index = _as_indices(xp, data).reshape(-1)
    if xp is numpy and grad.dtype in (numpy.float32, numpy.float64):
        return scatter_add_rows(grad, index, input_dim)
    if launches_kernels(xp, grad):
        from ..gpu_kernels import embedding as gpu_embedding
        return gpu_embedding.scatter_add_rows(grad, index, input_dim)
    index = _fit_indices(xp, index, input_dim, 'clip')
    return embedding_grad_reference(xp, grad, index, input_dim)
