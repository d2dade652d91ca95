"""Random initializers: Uniform, Normal, Xavier, MSRAPrelu, Orthogonal.

The numbers come from ``mx.nd.random`` on the array's own device, so
``mx.random.seed(n)`` makes an initialization reproducible.
"""
import math

import numpy

from .. import ndarray as nd
from ..base import MXNetError
from .base import Initializer, register

__all__ = ['Uniform', 'Normal', 'Xavier', 'MSRAPrelu', 'Orthogonal']


def _sample(arr, rnd_type, scale):
    """Overwrite ``arr`` with U(-scale, scale) (``'uniform'``) or N(0, scale) (``'gaussian'``)."""
    kwargs = dict(shape=arr.shape, dtype=numpy.dtype(arr.dtype).name, ctx=arr.context, out=arr)
    if rnd_type == 'uniform':
        nd.random.uniform(-scale, scale, **kwargs)
    else:
        nd.random.normal(0, scale, **kwargs)


def _check_choice(cls, arg, value, choices):
    if value not in choices:
        raise MXNetError('%s: %s must be one of %s, got %r'
                         % (cls, arg, ', '.join(map(repr, choices)), value))


@register
class Uniform(Initializer):
    """Samples from the uniform distribution on ``[-scale, scale)``.

    Parameters
    ----------
    scale : float, default 0.07
        The bound of the range.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.initializer
    >>> w = mx.nd.zeros((100,))
    >>> mx.initializer.Uniform(0.1)(mx.initializer.InitDesc('fc_weight'), w)
    >>> bool(abs(w).max().asscalar() <= 0.1)
    True
    """

    def __init__(self, scale=0.07):
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _, arr):
        _sample(arr, 'uniform', self.scale)


@register
class Normal(Initializer):
    """Samples from the normal distribution with mean 0 and standard deviation ``sigma``.

    Parameters
    ----------
    sigma : float, default 0.01
        The standard deviation.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.initializer
    >>> w = mx.nd.zeros((10000,))
    >>> mx.initializer.Normal(2.0)(mx.initializer.InitDesc('fc_weight'), w)
    >>> round(float(w.asnumpy().std()), 1)
    2.0
    """

    def __init__(self, sigma=0.01):
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _, arr):
        _sample(arr, 'gaussian', self.sigma)


@register
class Xavier(Initializer):
    """"Xavier" (Glorot) initialization: keep the variance of activations and gradients.

    With ``fan_in = shape[1] * k`` and ``fan_out = shape[0] * k``, where
    ``k = prod(shape[2:])`` is the kernel size of a convolution weight (1 for
    a dense one), and ``n`` the mean of the two fans (``'avg'``), ``fan_in``
    (``'in'``) or ``fan_out`` (``'out'``), the scale is
    ``c = sqrt(magnitude / n)``: samples come from U(-c, c) (``'uniform'``)
    or N(0, c) (``'gaussian'``, ``c`` as standard deviation).

    Parameters
    ----------
    rnd_type : {'uniform', 'gaussian'}
        The distribution.
    factor_type : {'avg', 'in', 'out'}
        Which fan ``n`` is.
    magnitude : float, default 3
        The numerator; 3 with ``'uniform'`` gives Glorot's variance ``1 / n``.

    Notes
    -----
    A 1-D array (a bias) has no fans and raises an error. MXNet checks
    ``rnd_type`` and ``factor_type`` only when it initializes; here the
    constructor does.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.initializer
    >>> w = mx.nd.zeros((64, 32, 3, 3))
    >>> mx.initializer.Xavier()(mx.initializer.InitDesc('conv_weight'), w)
    >>> bool(abs(w).max().asscalar() <= (3 / ((32 * 9 + 64 * 9) / 2)) ** 0.5)
    True
    """

    def __init__(self, rnd_type='uniform', factor_type='avg', magnitude=3):
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        _check_choice(type(self).__name__, 'rnd_type', rnd_type, ('uniform', 'gaussian'))
        _check_choice(type(self).__name__, 'factor_type', factor_type, ('avg', 'in', 'out'))
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def scale_for(self, shape):
        """The bound (uniform) or standard deviation (gaussian) for a weight of ``shape``.

        Parameters
        ----------
        shape : tuple of int
            At least 2-D: ``(out, in, *kernel)``.

        Returns
        -------
        float

        Examples
        --------
        >>> import mxlearn.initializer as init
        >>> init.Xavier(factor_type='in', magnitude=2).scale_for((10, 8))
        0.5
        """
        name = type(self).__name__
        if len(shape) < 2:
            raise MXNetError('%s cannot initialize an array of shape %s: it needs at least 2 '
                             'dimensions (out, in, ...) to compute fan-in and fan-out; give '
                             '1-D parameters such as biases their own initializer, e.g. '
                             'init=mx.init.Zero()' % (name, tuple(shape)))
        kernel = int(numpy.prod(shape[2:]))
        fan_in, fan_out = shape[1] * kernel, shape[0] * kernel
        factor = {'avg': (fan_in + fan_out) / 2.0, 'in': fan_in, 'out': fan_out}[self.factor_type]
        if factor == 0:
            raise MXNetError('%s cannot initialize an array of shape %s: its fan (%s) is 0; '
                             'is a dimension still unknown?' % (name, tuple(shape),
                                                                 self.factor_type))
        return math.sqrt(self.magnitude / factor)

    def _init_weight(self, _, arr):
        _sample(arr, self.rnd_type, self.scale_for(arr.shape))


@register
class MSRAPrelu(Xavier):
    """He (MSRA) initialization for layers followed by ReLU or PReLU.

    A gaussian ``Xavier`` with ``magnitude = 2 / (1 + slope**2)``: the
    standard deviation is ``sqrt(2 / ((1 + slope**2) * n))``.

    Parameters
    ----------
    factor_type : {'avg', 'in', 'out'}
        Which fan ``n`` is (He et al. use ``'in'``).
    slope : float, default 0.25
        The negative slope of the PReLU (0 for ReLU).

    Examples
    --------
    >>> import mxlearn.initializer as init
    >>> init.MSRAPrelu(factor_type='in', slope=0).scale_for((10, 8))
    0.5
    """

    def __init__(self, factor_type='avg', slope=0.25):
        super().__init__('gaussian', factor_type, 2.0 / (1 + slope ** 2))
        self._kwargs = {'factor_type': factor_type, 'slope': slope}
        self.slope = slope


@register
class Orthogonal(Initializer):
    """A (scaled) orthogonal matrix, from the SVD of a random one (Saxe et al. 2013).

    The weight is seen as a matrix ``(shape[0], prod(shape[1:]))``: with no
    more rows than columns its rows are orthonormal, otherwise its columns,
    and it is multiplied by ``scale``.

    Parameters
    ----------
    scale : float, default 1.414
        The factor applied to the orthonormal matrix.
    rand_type : {'uniform', 'normal'}
        The distribution of the random matrix whose SVD is taken.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.initializer
    >>> w = mx.nd.zeros((3, 5))
    >>> mx.initializer.Orthogonal(scale=1.0)(mx.initializer.InitDesc('fc_weight'), w)
    >>> m = w.asnumpy()
    >>> bool(abs(m @ m.T - mx.nd.eye(3).asnumpy()).max() < 1e-5)
    True
    """

    def __init__(self, scale=1.414, rand_type='uniform'):
        super().__init__(scale=scale, rand_type=rand_type)
        _check_choice('Orthogonal', 'rand_type', rand_type, ('uniform', 'normal'))
        self.scale = scale
        self.rand_type = rand_type

    def _init_weight(self, _, arr):
        rows = arr.shape[0] if arr.shape else 1
        shape = (rows, int(numpy.prod(arr.shape[1:])))
        draw = nd.random.uniform(-1.0, 1.0, shape=shape, ctx=arr.context) \
            if self.rand_type == 'uniform' else \
            nd.random.normal(0.0, 1.0, shape=shape, ctx=arr.context)
        u, _, vt = numpy.linalg.svd(draw.asnumpy().astype(numpy.float64), full_matrices=False)
        # u has orthonormal columns, vt orthonormal rows; take the one shaped like the draw.
        q = u if u.shape == shape else vt
        arr[:] = (self.scale * q).reshape(arr.shape).astype(numpy.dtype(arr.dtype))
