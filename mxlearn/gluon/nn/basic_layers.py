"""Basic layers: Dense, Dropout, BatchNorm, InstanceNorm, LayerNorm, Embedding, Flatten.

Each layer creates its Parameters in ``__init__`` and computes in
``hybrid_forward`` with one registry operator (FullyConnected, Dropout,
BatchNorm, ...), receiving the parameters' arrays as keyword arguments.

A size the layer is not told (Dense's ``in_units``, BatchNorm's
``in_channels``) is left as 0 in the parameter's shape, and the parameter is
created with ``allow_deferred_init=True``: ``initialize()`` then waits, and
the first forward pass fills the 0 in from the input's shape (the
``infer_shape`` hook below) before the parameter's array is made.
"""
import math

import numpy

from ..block import HybridBlock
from .activations import Activation

__all__ = ['Dense', 'Dropout', 'BatchNorm', 'InstanceNorm', 'LayerNorm', 'Embedding',
           'Flatten']


def _kwargs_repr(block, kwargs, in_channels):
    """``Name(k1=v1, k2=v2, in_channels=n)``, the repr of the normalization layers."""
    content = ', '.join('%s=%r' % item for item in kwargs.items())
    return '%s(%s, in_channels=%s)' % (type(block).__name__, content, in_channels)


class Dense(HybridBlock):
    """A fully connected layer: ``activation(dot(x, weight.T) + bias)``.

    Parameters
    ----------
    units : int
        The number of outputs.
    activation : str, optional
        An activation applied to the result (see :class:`Activation`); None
        for none ("linear").
    use_bias : bool, default True
    flatten : bool, default True
        True: an input ``(batch, d1, ..., dn)`` is seen as ``(batch, d1*...*dn)``.
        False: the layer acts on the last axis, keeping the others.
    dtype : str, default 'float32'
        The dtype of the weight and the bias.
    weight_initializer, bias_initializer : str or Initializer
        The initializers of ``weight`` (the global one by default) and
        ``bias`` ('zeros').
    in_units : int, default 0
        The number of inputs; 0 infers it at the first forward pass.
    prefix, params
        See :class:`~mxlearn.gluon.Block`.

    Examples
    --------
    >>> import mxlearn as mx
    >>> layer = mx.gluon.nn.Dense(3)
    >>> layer
    Dense(None -> 3, linear)
    >>> layer.initialize()
    >>> layer(mx.nd.ones((2, 4))).shape
    (2, 3)
    >>> layer
    Dense(4 -> 3, linear)
    """

    def __init__(self, units, activation=None, use_bias=True, flatten=True, dtype='float32',
                 weight_initializer=None, bias_initializer='zeros', in_units=0, **kwargs):
        super().__init__(**kwargs)
        self._flatten = flatten
        with self.name_scope():
            self._units = units
            self._in_units = in_units
            self.weight = self.params.get('weight', shape=(units, in_units),
                                          init=weight_initializer, dtype=dtype,
                                          allow_deferred_init=True)
            self.bias = None
            if use_bias:
                self.bias = self.params.get('bias', shape=(units,), init=bias_initializer,
                                            dtype=dtype, allow_deferred_init=True)
            self.act = None
            if activation is not None:
                self.act = Activation(activation, prefix=activation + '_')

    def infer_shape(self, x, *args):
        in_units = math.prod(x.shape[1:]) if self._flatten else x.shape[-1]
        self.weight.shape = (self._units, in_units)

    def hybrid_forward(self, F, x, weight, bias=None):
        out = F.FullyConnected(x, weight, bias, no_bias=bias is None, num_hidden=self._units,
                               flatten=self._flatten, name='fwd')
        return out if self.act is None else self.act(out)

    def __repr__(self):
        units, in_units = self.weight.shape
        return '%s(%s -> %s, %s)' % (type(self).__name__, in_units or None, units,
                                     self.act if self.act is not None else 'linear')


class Dropout(HybridBlock):
    """Randomly zero a fraction ``rate`` of the inputs while training.

    The survivors are scaled by ``1 / (1 - rate)``, so the expected output
    equals the input; outside training mode the layer is the identity.

    Parameters
    ----------
    rate : float
        The probability of dropping each element, in [0, 1].
    axes : tuple of int, default ()
        Axes along which one mask value is shared (e.g. ``(2, 3)`` drops whole
        feature maps of an NCHW input).

    Examples
    --------
    >>> import mxlearn as mx
    >>> drop = mx.gluon.nn.Dropout(0.5)
    >>> drop
    Dropout(p = 0.5, axes=())
    >>> drop(mx.nd.ones((1, 3))).asnumpy()          # not training: identity
    array([[1., 1., 1.]], dtype=float32)
    """

    def __init__(self, rate, axes=(), **kwargs):
        super().__init__(**kwargs)
        self._rate = rate
        self._axes = axes

    def hybrid_forward(self, F, x):
        if self._rate > 0:
            return F.Dropout(x, p=self._rate, axes=self._axes, name='fwd', cudnn_off=False)
        return F.identity(x)

    def __repr__(self):
        return '%s(p = %s, axes=%s)' % (type(self).__name__, self._rate, self._axes)


class BatchNorm(HybridBlock):
    """Batch normalization: standardize each channel, then scale and shift it.

    In training mode (``autograd.record()``) each channel is standardized
    with the batch's mean and variance, and the running statistics move
    towards them: ``running = momentum * running + (1 - momentum) * batch``
    (the BatchNorm operator updates them in place). In prediction mode the
    running statistics are used.

    Parameters
    ----------
    axis : int, default 1
        The channel axis (1 for NCHW, 3 for NHWC).
    momentum : float, default 0.9
    epsilon : float, default 1e-5
        Added to the variance before the square root.
    center : bool, default True
        Learn the shift ``beta``; False keeps it at its initial value (zero).
    scale : bool, default True
        Learn the scale ``gamma``; False fixes it at one.
    use_global_stats : bool, default False
        Normalize with the running statistics in training mode too.
    beta_initializer, gamma_initializer : str or Initializer
        'zeros' and 'ones'.
    running_mean_initializer, running_variance_initializer : str or Initializer
        'zeros' and 'ones'.
    in_channels : int, default 0
        The number of channels; 0 infers it at the first forward pass.

    Notes
    -----
    The running statistics are Parameters with ``grad_req='null'``
    (``batchnorm0_running_mean``, ``batchnorm0_running_var``): they are saved
    with the others, but no optimizer touches them.

    Examples
    --------
    >>> import mxlearn as mx
    >>> bn = mx.gluon.nn.BatchNorm()
    >>> bn.initialize()
    >>> with mx.autograd.record():
    ...     y = bn(mx.nd.array([[1, 10], [3, 30]]))
    >>> y.asnumpy().round(3)
    array([[-1., -1.],
           [ 1.,  1.]], dtype=float32)
    >>> bn.running_mean.data().asnumpy()
    array([0.2, 2. ], dtype=float32)
    """

    def __init__(self, axis=1, momentum=0.9, epsilon=1e-5, center=True, scale=True,
                 use_global_stats=False, beta_initializer='zeros', gamma_initializer='ones',
                 running_mean_initializer='zeros', running_variance_initializer='ones',
                 in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {'axis': axis, 'eps': epsilon, 'momentum': momentum,
                        'fix_gamma': not scale, 'use_global_stats': use_global_stats}
        if in_channels != 0:
            self.in_channels = in_channels
        shape = (in_channels,)
        self.gamma = self.params.get('gamma', grad_req='write' if scale else 'null',
                                     shape=shape, init=gamma_initializer,
                                     allow_deferred_init=True, differentiable=scale)
        self.beta = self.params.get('beta', grad_req='write' if center else 'null',
                                    shape=shape, init=beta_initializer,
                                    allow_deferred_init=True, differentiable=center)
        self.running_mean = self.params.get('running_mean', grad_req='null', shape=shape,
                                            init=running_mean_initializer,
                                            allow_deferred_init=True, differentiable=False)
        self.running_var = self.params.get('running_var', grad_req='null', shape=shape,
                                           init=running_variance_initializer,
                                           allow_deferred_init=True, differentiable=False)

    def infer_shape(self, x, *args):
        channels = x.shape[self._kwargs['axis']]
        for param in (self.gamma, self.beta, self.running_mean, self.running_var):
            param.shape = (channels,)

    def cast(self, dtype):
        # float16 data is normalized with float32 statistics, as in MXNet.
        if numpy.dtype(dtype) == numpy.float16:
            dtype = 'float32'
        super().cast(dtype)

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        return F.BatchNorm(x, gamma, beta, running_mean, running_var, name='fwd',
                           **self._kwargs)

    def __repr__(self):
        return _kwargs_repr(self, self._kwargs, self.gamma.shape[0] or None)


class InstanceNorm(HybridBlock):
    """Standardize each example's channel over its spatial axes, then scale and shift.

    ``out = (x - mean) / sqrt(var + epsilon) * gamma + beta``, with the mean
    and variance taken for each (example, channel) pair.

    Parameters
    ----------
    axis : int, default 1
        The channel axis (kept with the batch axis 0; every other axis is
        normalized over).
    epsilon : float, default 1e-5
    center : bool, default True
        Learn ``beta``.
    scale : bool, default False
        Learn ``gamma`` (it stays one otherwise).
    beta_initializer, gamma_initializer : str or Initializer
        'zeros' and 'ones'.
    in_channels : int, default 0
        The number of channels; 0 infers it at the first forward pass.

    Examples
    --------
    >>> import mxlearn as mx
    >>> norm = mx.gluon.nn.InstanceNorm(epsilon=0)
    >>> norm.initialize()
    >>> norm(mx.nd.array([[[1, 3]], [[0, 10]]])).asnumpy()
    array([[[-1.,  1.]],
    <BLANKLINE>
           [[-1.,  1.]]], dtype=float32)
    """

    def __init__(self, axis=1, epsilon=1e-5, center=True, scale=False,
                 beta_initializer='zeros', gamma_initializer='ones', in_channels=0,
                 **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {'eps': epsilon, 'axis': axis, 'center': center, 'scale': scale}
        self._axis = axis
        self._epsilon = epsilon
        self.gamma = self.params.get('gamma', grad_req='write' if scale else 'null',
                                     shape=(in_channels,), init=gamma_initializer,
                                     allow_deferred_init=True)
        self.beta = self.params.get('beta', grad_req='write' if center else 'null',
                                    shape=(in_channels,), init=beta_initializer,
                                    allow_deferred_init=True)

    def infer_shape(self, x, *args):
        channels = x.shape[self._axis]
        self.gamma.shape = (channels,)
        self.beta.shape = (channels,)

    def hybrid_forward(self, F, x, gamma, beta):
        if self._axis == 1:
            return F.InstanceNorm(x, gamma, beta, eps=self._epsilon, name='fwd')
        # The operator normalizes around axis 1: move the channels there and back.
        x = F.swapaxes(x, 1, self._axis)
        out = F.InstanceNorm(x, gamma, beta, eps=self._epsilon, name='fwd')
        return F.swapaxes(out, 1, self._axis)

    def __repr__(self):
        return _kwargs_repr(self, self._kwargs, self.gamma.shape[0])


class LayerNorm(HybridBlock):
    """Standardize each example along ``axis``, then scale and shift.

    ``out = (x - mean) / sqrt(var + epsilon) * gamma + beta``, with the mean
    and variance taken along ``axis`` at every other position.

    Parameters
    ----------
    axis : int, default -1
    epsilon : float, default 1e-5
    center : bool, default True
        Learn ``beta``.
    scale : bool, default True
        Learn ``gamma``.
    beta_initializer, gamma_initializer : str or Initializer
        'zeros' and 'ones'.
    in_channels : int, default 0
        The size of ``axis``; 0 infers it at the first forward pass.

    Examples
    --------
    >>> import mxlearn as mx
    >>> norm = mx.gluon.nn.LayerNorm(epsilon=0)
    >>> norm.initialize()
    >>> norm(mx.nd.array([[1, 3], [0, 10]])).asnumpy()
    array([[-1.,  1.],
           [-1.,  1.]], dtype=float32)
    """

    def __init__(self, axis=-1, epsilon=1e-5, center=True, scale=True,
                 beta_initializer='zeros', gamma_initializer='ones', in_channels=0,
                 prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {'eps': epsilon, 'axis': axis, 'center': center, 'scale': scale}
        self._axis = axis
        self._epsilon = epsilon
        self._center = center
        self._scale = scale
        self.gamma = self.params.get('gamma', grad_req='write' if scale else 'null',
                                     shape=(in_channels,), init=gamma_initializer,
                                     allow_deferred_init=True)
        self.beta = self.params.get('beta', grad_req='write' if center else 'null',
                                    shape=(in_channels,), init=beta_initializer,
                                    allow_deferred_init=True)

    def infer_shape(self, x, *args):
        channels = x.shape[self._axis]
        self.gamma.shape = (channels,)
        self.beta.shape = (channels,)

    def hybrid_forward(self, F, data, gamma, beta):
        return F.LayerNorm(data, gamma, beta, axis=self._axis, eps=self._epsilon)

    def __repr__(self):
        return _kwargs_repr(self, self._kwargs, self.gamma.shape[0])


class Embedding(HybridBlock):
    """Map integer indices to learned vectors: row ``i`` of ``weight`` for index ``i``.

    Parameters
    ----------
    input_dim : int
        The vocabulary size (the largest index + 1).
    output_dim : int
        The length of each vector.
    dtype : str, default 'float32'
    weight_initializer : str or Initializer, optional
    sparse_grad : bool, default False
        MXNet gives the weight a row_sparse gradient then; mxlearn's
        gradients are dense, so this only affects the reported ``grad_stype``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> emb = mx.gluon.nn.Embedding(10, 4)
    >>> emb
    Embedding(10 -> 4, float32)
    >>> emb.initialize()
    >>> emb(mx.nd.array([[1, 2, 3]])).shape
    (1, 3, 4)
    """

    def __init__(self, input_dim, output_dim, dtype='float32', weight_initializer=None,
                 sparse_grad=False, **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {'input_dim': input_dim, 'output_dim': output_dim, 'dtype': dtype,
                        'sparse_grad': sparse_grad}
        self.weight = self.params.get('weight', shape=(input_dim, output_dim),
                                      init=weight_initializer, dtype=dtype,
                                      allow_deferred_init=True,
                                      grad_stype='row_sparse' if sparse_grad else 'default')

    def hybrid_forward(self, F, x, weight):
        return F.Embedding(x, weight, name='fwd', **self._kwargs)

    def __repr__(self):
        return '%s(%s -> %s, %s)' % (type(self).__name__, self._kwargs['input_dim'],
                                     self._kwargs['output_dim'], self._kwargs['dtype'])


class Flatten(HybridBlock):
    """Collapse every axis but the first: ``(N, d1, ..., dn)`` to ``(N, d1*...*dn)``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.gluon.nn.Flatten()(mx.nd.ones((2, 3, 4))).shape
    (2, 12)
    """

    def hybrid_forward(self, F, x):
        return F.flatten(x)

    def __repr__(self):
        return type(self).__name__
