"""Activation layers: Activation, LeakyReLU, PReLU, ELU, SELU, GELU and Swish.

Each is a thin HybridBlock over the ``Activation`` or ``LeakyReLU`` operator
(Swish is written with ``sigmoid``), so the same ``hybrid_forward`` runs
eagerly now and symbolically once the block is hybridized. Only PReLU has a
parameter: its learned negative slope ``alpha``.
"""
from ... import initializer
from ...base import MXNetError
from ..block import HybridBlock

__all__ = ['Activation', 'LeakyReLU', 'PReLU', 'ELU', 'SELU', 'GELU', 'Swish']


class Activation(HybridBlock):
    """Apply an activation function elementwise (the ``Activation`` operator).

    Parameters
    ----------
    activation : str
        One of 'relu', 'sigmoid', 'tanh', 'softrelu' (softplus), 'softsign'.
        It also names the block: the first ``Activation('relu')`` is ``relu0``.
    prefix, params
        See :class:`~mxlearn.gluon.Block`.

    Examples
    --------
    >>> import mxlearn as mx
    >>> act = mx.gluon.nn.Activation('relu')
    >>> act
    Activation(relu)
    >>> act(mx.nd.array([-1, 2])).asnumpy()
    array([0., 2.], dtype=float32)
    """

    def __init__(self, activation, **kwargs):
        # Set before Block.__init__, which asks _alias() for the default name.
        self._act_type = activation
        super().__init__(**kwargs)

    def _alias(self):
        return self._act_type

    def hybrid_forward(self, F, x):
        return F.Activation(x, act_type=self._act_type, name='fwd')

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__, self._act_type)


class LeakyReLU(HybridBlock):
    """``x`` for positive inputs and ``alpha * x`` for the others.

    Parameters
    ----------
    alpha : float
        The slope for negative inputs, at least 0.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.gluon.nn.LeakyReLU(0.1)(mx.nd.array([-2, 3])).asnumpy()
    array([-0.2,  3. ], dtype=float32)
    """

    def __init__(self, alpha, **kwargs):
        if not alpha >= 0:
            raise MXNetError('LeakyReLU: the slope alpha must be at least 0, got %r' % (alpha,))
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type='leaky', slope=self._alpha, name='fwd')

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__, self._alpha)


class PReLU(HybridBlock):
    """Leaky ReLU whose negative slope ``alpha`` is learned.

    ``alpha`` is a parameter of shape ``(in_channels,)``: one slope shared by
    every element (the default), or one per channel (axis 1 of the input).

    Parameters
    ----------
    alpha_initializer : Initializer, default Constant(0.25)
    in_channels : int, default 1
        The number of slopes.

    Examples
    --------
    >>> import mxlearn as mx
    >>> prelu = mx.gluon.nn.PReLU()
    >>> prelu.initialize()
    >>> prelu(mx.nd.array([-4, 4])).asnumpy()
    array([-1.,  4.], dtype=float32)
    """

    def __init__(self, alpha_initializer=initializer.Constant(0.25), in_channels=1, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.alpha = self.params.get('alpha', shape=(in_channels,), init=alpha_initializer)

    def hybrid_forward(self, F, x, alpha):
        return F.LeakyReLU(x, gamma=alpha, act_type='prelu', name='fwd')


class ELU(HybridBlock):
    """Exponential linear unit: ``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``.

    Parameters
    ----------
    alpha : float, default 1.0

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.gluon.nn.ELU()(mx.nd.array([-1, 1])).asnumpy().round(4)
    array([-0.6321,  1.    ], dtype=float32)
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type='elu', slope=self._alpha)


class SELU(HybridBlock):
    """Scaled ELU with the fixed constants that keep activations standardized.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.gluon.nn.SELU()(mx.nd.array([-1, 1])).asnumpy().round(4)
    array([-1.1113,  1.0507], dtype=float32)
    """

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type='selu', name='fwd')


class GELU(HybridBlock):
    """Gaussian error linear unit: ``x * Phi(x)``, ``Phi`` the standard normal CDF.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.gluon.nn.GELU()(mx.nd.array([-1, 1])).asnumpy().round(4)
    array([-0.1587,  0.8413], dtype=float32)
    """

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type='gelu', name='fwd')


class Swish(HybridBlock):
    """``x * sigmoid(beta * x)``.

    Parameters
    ----------
    beta : float, default 1.0

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.gluon.nn.Swish()(mx.nd.array([0, 2])).asnumpy().round(4)
    array([0.    , 1.7616], dtype=float32)
    """

    def __init__(self, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self._beta = beta

    def hybrid_forward(self, F, x):
        return x * F.sigmoid(self._beta * x, name='fwd')
