"""SequenceMask: blank out the time steps past each sequence's length.

A batch of variable-length sequences is stored padded to the longest one, as
``(time, batch, ...)`` (``axis=0``) or ``(batch, time, ...)`` (``axis=1``).
Given the length of each sequence, SequenceMask replaces every step ``t >=
length[b]`` of sequence ``b`` with ``value``. The masked positions do not
depend on the input, so they get a zero gradient, and the gradient is the
output gradient masked the same way (SequenceMask again, with value 0).
"""
import numpy

from ..base import MXNetError
from .registry import register


def _check(ndim, num_inputs, use_sequence_length, axis):
    if ndim < 2:
        raise MXNetError('data must have 2 or more dimensions (time and batch axes), '
                         'got %d' % ndim)
    if axis not in (0, 1):
        raise MXNetError('axis (the time axis) must be 0 or 1, got %r' % (axis,))
    if use_sequence_length and num_inputs < 2:
        raise MXNetError('use_sequence_length=True needs the sequence_length input')
    if not use_sequence_length and num_inputs > 1:
        raise MXNetError('sequence_length is given but use_sequence_length=False, so it '
                         'would be ignored; set use_sequence_length=True to mask')


def _sequence_mask_shape(in_shapes, use_sequence_length=False, value=0.0, axis=0):
    data = tuple(in_shapes[0])
    _check(len(data), len(in_shapes), use_sequence_length, axis)
    if use_sequence_length:
        batch = data[1 - axis]
        if tuple(in_shapes[1]) != (batch,):
            raise MXNetError('sequence_length has shape %s; expected one length per '
                             'sequence, shape (%d,) (data axis %d is the batch)'
                             % (tuple(in_shapes[1]), batch, 1 - axis))
    return [data]


def _grad_sequence_mask(F, inputs, outputs, ograds, use_sequence_length=False, value=0.0,
                        axis=0):
    if len(inputs) == 1:
        return (ograds[0],)
    return (F.SequenceMask(ograds[0], inputs[1], use_sequence_length=True, value=0.0,
                           axis=axis), None)


@register('SequenceMask', gradient=_grad_sequence_mask, infer_shape=_sequence_mask_shape,
          same_dtype=False)
def sequence_mask(xp, data, sequence_length=None, *, use_sequence_length=False, value=0.0,
                  axis=0):
    """Set the steps of each sequence past its length to ``value``.

    Parameters
    ----------
    data : NDArray
        Shape ``(time, batch, ...)`` with ``axis=0``, ``(batch, time, ...)``
        with ``axis=1``.
    sequence_length : NDArray, optional
        Shape ``(batch,)``: the number of valid steps of each sequence
        (truncated to integers; 0 or less masks the whole sequence). Given
        exactly when ``use_sequence_length`` is True.
    use_sequence_length : bool, default False
        Mask by ``sequence_length``; when False the operator is the identity.
    value : float, default 0.0
        What the masked steps become.
    axis : {0, 1}, default 0
        The time axis; the other of axes 0 and 1 is the batch axis.

    Returns
    -------
    NDArray
        Same shape and dtype as ``data``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2], [3, 4], [5, 6]])       # 3 steps, 2 sequences
    >>> mx.nd.SequenceMask(x, mx.nd.array([1, 3]), use_sequence_length=True,
    ...                    value=-1).asnumpy()
    array([[ 1.,  2.],
           [-1.,  4.],
           [-1.,  6.]], dtype=float32)
    """
    _check(data.ndim, 1 if sequence_length is None else 2, use_sequence_length, axis)
    if sequence_length is None:
        return data.copy()
    _sequence_mask_shape([data.shape, sequence_length.shape], True, value, axis)
    steps = xp.arange(data.shape[axis])
    lengths = sequence_length.astype(numpy.int64)
    if axis == 0:
        keep = steps[:, None] < lengths[None, :]
    else:
        keep = lengths[:, None] > steps[None, :]
    keep = keep.reshape(keep.shape + (1,) * (data.ndim - 2))
    return xp.where(keep, data, data.dtype.type(value))
