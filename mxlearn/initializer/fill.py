"""Initializers that write fixed values: Zero, One, Constant, Bilinear, LSTMBias."""
import json
import numbers

import numpy

from .. import ndarray as nd
from ..base import MXNetError
from .base import Initializer, alias, bilinear_kernel, register

__all__ = ['Zero', 'One', 'Constant', 'Bilinear', 'LSTMBias']


@register
@alias('zeros')
class Zero(Initializer):
    """Fill with zeros (also by the names ``'zero'`` and ``'zeros'``).

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.initializer
    >>> w = mx.nd.ones((2, 2))
    >>> mx.initializer.Zero()(mx.initializer.InitDesc('fc_weight'), w)
    >>> w.asnumpy().tolist()
    [[0.0, 0.0], [0.0, 0.0]]
    """

    def __init__(self):
        super().__init__()

    def _init_weight(self, _, arr):
        arr[:] = 0


@register
@alias('ones')
class One(Initializer):
    """Fill with ones (also by the names ``'one'`` and ``'ones'``).

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.initializer
    >>> w = mx.nd.zeros((3,))
    >>> mx.initializer.One()(mx.initializer.InitDesc('fc_weight'), w)
    >>> w.asnumpy().tolist()
    [1.0, 1.0, 1.0]
    """

    def __init__(self):
        super().__init__()

    def _init_weight(self, _, arr):
        arr[:] = 1


@register
class Constant(Initializer):
    """Fill with ``value``: a number, or an array that broadcasts to the weight's shape.

    Parameters
    ----------
    value : float, list, numpy.ndarray or NDArray
        The value(s) to write. ``dumps()`` turns an array into a nested list.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.initializer
    >>> w = mx.nd.zeros((2, 3))
    >>> mx.initializer.Constant(mx.nd.array([1, 2, 3]))(mx.initializer.InitDesc('w_weight'), w)
    >>> w.asnumpy().tolist()
    [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]
    >>> mx.initializer.Constant(mx.nd.array([1, 2])).dumps()
    '["constant", {"value": [1.0, 2.0]}]'
    """

    def __init__(self, value):
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, name, arr):
        value = self.value
        if isinstance(value, nd.NDArray):
            value = value.asnumpy()
        try:
            arr[:] = value if isinstance(value, numbers.Number) else \
                numpy.broadcast_to(numpy.asarray(value), arr.shape)
        except ValueError:
            raise MXNetError('Constant: a value of shape %s cannot fill %s of shape %s'
                             % (numpy.shape(value), name, arr.shape)) from None

    def dumps(self):
        value = self.value
        if isinstance(value, nd.NDArray):
            value = value.asnumpy()
        if isinstance(value, numpy.ndarray):
            value = value.tolist()
        return json.dumps([type(self).__name__.lower(), dict(self._kwargs, value=value)])


@register
class Bilinear(Initializer):
    """Fill a 4-D weight with a bilinear up-sampling filter (for ``Deconvolution``).

    Every (output, input) channel pair gets the tent filter of
    ``mx.initializer.base.bilinear_kernel``, as MXNet fills it.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.initializer
    >>> w = mx.nd.zeros((1, 1, 4, 4))
    >>> mx.initializer.Bilinear()(mx.initializer.InitDesc('up_weight'), w)
    >>> w.asnumpy()[0, 0, 1].tolist()
    [0.1875, 0.5625, 0.5625, 0.1875]
    """

    def __init__(self):
        super().__init__()

    def _init_weight(self, _, arr):
        arr[:] = bilinear_kernel(arr.shape)


@register
class LSTMBias(Initializer):
    """Zero an LSTM bias except the forget gate's quarter, set to ``forget_bias``.

    The bias of an LSTM cell stacks four gates (input, forget, cell, output),
    so the forget gate is the second quarter of the first axis.

    Parameters
    ----------
    forget_bias : float, default 1.0
        The forget gate's bias (1.0 keeps memories early in training,
        Jozefowicz et al. 2015).

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.initializer
    >>> b = mx.nd.ones((8,))
    >>> mx.initializer.LSTMBias(2.0)(mx.initializer.InitDesc('lstm_i2h_bias',
    ...                              {'__init__': mx.initializer.LSTMBias(2.0)}), b)
    >>> b.asnumpy().tolist()
    [0.0, 0.0, 2.0, 2.0, 0.0, 0.0, 0.0, 0.0]
    """

    def __init__(self, forget_bias=1.0):
        super().__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, name, arr):
        if not arr.shape or arr.shape[0] % 4:
            raise MXNetError('LSTMBias: %s has shape %s, but an LSTM bias stacks 4 gates, '
                             'so its first dimension must be a multiple of 4'
                             % (name, arr.shape))
        hidden = arr.shape[0] // 4
        arr[:] = 0.0
        arr[hidden:2 * hidden] = self.forget_bias
