"""``mx.nd.random``: random samples as NDArrays, with MXNet's function signatures.

Each function picks one of two operators of the registry
(``mxlearn.operator.random``): with numbers as parameters, ``_random_<dist>``
draws ``shape`` samples on ``ctx``; with NDArrays as parameters,
``_sample_<dist>`` draws ``shape`` samples for every element of them (on
their device), and the output shape is the parameters' shape followed by
``shape``.

Unlike MXNet, a number may be mixed with an NDArray parameter (it is
broadcast), and parameter arrays broadcast against each other.

Seed with ``mx.random.seed``; each device has its own stream.
"""
import numbers

from .._ext.core import NDArrayBase, invoke
from ..base import MXNetError
from ..operator import get_op
from .ndarray import array
from .register import _assign_out

__all__ = ['uniform', 'normal', 'randn', 'randint', 'exponential', 'gamma', 'poisson',
           'negative_binomial', 'generalized_negative_binomial', 'multinomial', 'shuffle']


def _invoke(op_name, inputs, attrs, ctx, out):
    result = invoke(get_op(op_name), tuple(inputs), attrs, ctx)
    return result if out is None else _assign_out(result, out)


def _check_kwargs(fname, kwargs):
    kwargs.pop('name', None)
    if kwargs:
        raise MXNetError('random.%s: unknown argument(s) %s' % (fname, ', '.join(sorted(kwargs))))


def _draw(fname, random_op, sample_op, names, params, shape, dtype, ctx, out, kwargs):
    """Dispatch to ``random_op`` (number parameters) or ``sample_op`` (NDArray parameters)."""
    _check_kwargs(fname, kwargs)
    arrays = [p for p in params if isinstance(p, NDArrayBase)]
    for name, p in zip(names, params):
        if not isinstance(p, (NDArrayBase, numbers.Real)):
            raise MXNetError('random.%s: %s must be a number or an NDArray, got %s'
                             % (fname, name, type(p).__name__))
    if not arrays:
        attrs = dict(zip(names, params))
        attrs.update(shape=shape, dtype=dtype)
        return _invoke(random_op, (), attrs, ctx, out)
    first = arrays[0]
    if ctx is not None and ctx != first.context:
        raise MXNetError('random.%s: the parameters are on %s but ctx=%s was given; the '
                         'samples are drawn on the parameters\' device (move them with '
                         'as_in_context())' % (fname, first.context, ctx))
    inputs = [p if isinstance(p, NDArrayBase) else
              array([p], ctx=first.context, dtype=first.dtype) for p in params]
    return _invoke(sample_op, inputs, {'shape': shape, 'dtype': dtype}, None, out)


def uniform(low=0, high=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from the uniform distribution on ``[low, high)``.

    Parameters
    ----------
    low, high : float or NDArray
        The interval ends. With NDArrays, ``shape`` samples are drawn for each
        element and the output shape is ``low.shape + shape``.
    shape : int or tuple of int, optional
        Number of samples (per element, with NDArray parameters); ``(1,)``
        when omitted with number parameters.
    dtype : {None, 'float16', 'float32', 'float64'}
        float32 by default.
    ctx : Context, optional
        Device for number parameters (the current context by default).
    out : NDArray, optional
        Where to store the result.

    Returns
    -------
    NDArray

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.random.uniform(0, 10, shape=(2, 3))
    >>> x.shape, x.dtype, bool(((x >= 0) * (x < 10)).min())
    ((2, 3), <class 'numpy.float32'>, True)
    >>> mx.nd.random.uniform(mx.nd.array([0, 100]), mx.nd.array([1, 101]), shape=4).shape
    (2, 4)
    """
    return _draw('uniform', '_random_uniform', '_sample_uniform', ('low', 'high'),
                 (low, high), shape, dtype, ctx, out, kwargs)


def normal(loc=0, scale=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from the normal distribution with mean ``loc`` and standard deviation ``scale``.

    Parameters
    ----------
    loc, scale : float or NDArray
        With NDArrays, ``shape`` samples are drawn for each element.
    shape : int or tuple of int, optional
        Number of samples; ``(1,)`` when omitted with number parameters.
    dtype : {None, 'float16', 'float32', 'float64'}
        float32 by default.
    ctx : Context, optional
        Device for number parameters.
    out : NDArray, optional
        Where to store the result.

    Returns
    -------
    NDArray

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.random.normal(5, 0.1, shape=(10000,))
    >>> abs(x.mean().asscalar() - 5) < 0.01
    True
    """
    return _draw('normal', '_random_normal', '_sample_normal', ('loc', 'scale'),
                 (loc, scale), shape, dtype, ctx, out, kwargs)


def randn(*shape, loc=0, scale=1, dtype=None, ctx=None, out=None, **kwargs):
    """Normal samples, with the shape given as separate arguments (like ``numpy.random.randn``).

    Parameters
    ----------
    *shape : int
        The dimensions; none gives shape ``(1,)``.
    loc, scale : float or NDArray
        Mean and standard deviation.
    dtype : {None, 'float16', 'float32', 'float64'}
        float32 by default.
    ctx : Context, optional
        Device for number parameters.
    out : NDArray, optional
        Where to store the result.

    Returns
    -------
    NDArray

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.random.randn(2, 3).shape
    (2, 3)
    """
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return _draw('randn', '_random_normal', '_sample_normal', ('loc', 'scale'),
                 (loc, scale), shape or None, dtype, ctx, out, kwargs)


def randint(low, high, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Random integers from ``low`` (included) to ``high`` (excluded).

    Parameters
    ----------
    low, high : int
        The range; ``low < high``.
    shape : int or tuple of int, optional
        Number of samples; ``(1,)`` when omitted.
    dtype : {None, 'int32', 'int64'}
        int32 by default.
    ctx : Context, optional
        The device.
    out : NDArray, optional
        Where to store the result.

    Returns
    -------
    NDArray

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.random.randint(0, 3, shape=(100,))
    >>> x.dtype, int(x.min().asscalar()) >= 0, int(x.max().asscalar()) <= 2
    (<class 'numpy.int32'>, True, True)
    """
    _check_kwargs('randint', kwargs)
    for name, p in (('low', low), ('high', high)):
        if (isinstance(p, bool) or not isinstance(p, numbers.Real)
                or not float(p).is_integer()):
            raise MXNetError('random.randint: %s must be an integer, got %r (per-element '
                             'ranges given as NDArrays are not supported)' % (name, p))
    return _invoke('_random_randint', (), {'low': int(low), 'high': int(high),
                                            'shape': shape, 'dtype': dtype}, ctx, out)


def exponential(scale=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from the exponential distribution with mean ``scale`` (rate ``1/scale``).

    Parameters
    ----------
    scale : float or NDArray
        The mean, > 0. With an NDArray, ``shape`` samples are drawn per element.
    shape : int or tuple of int, optional
        Number of samples; ``(1,)`` when omitted with a number parameter.
    dtype : {None, 'float16', 'float32', 'float64'}
        float32 by default.
    ctx : Context, optional
        Device for a number parameter.
    out : NDArray, optional
        Where to store the result.

    Returns
    -------
    NDArray

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.random.exponential(2, shape=(20000,))
    >>> abs(x.mean().asscalar() - 2) < 0.1
    True
    """
    if isinstance(scale, NDArrayBase):
        scale = 1 / scale
    elif isinstance(scale, numbers.Real):
        if scale <= 0:
            raise MXNetError('random.exponential: scale must be > 0, got %r' % (scale,))
        scale = 1.0 / scale
    return _draw('exponential', '_random_exponential', '_sample_exponential', ('lam',),
                 (scale,), shape, dtype, ctx, out, kwargs)


def gamma(alpha=1, beta=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from the gamma distribution with shape ``alpha`` and scale ``beta``.

    Parameters
    ----------
    alpha, beta : float or NDArray
        Both > 0. The mean is ``alpha * beta``.
    shape : int or tuple of int, optional
        Number of samples; ``(1,)`` when omitted with number parameters.
    dtype : {None, 'float16', 'float32', 'float64'}
        float32 by default.
    ctx : Context, optional
        Device for number parameters.
    out : NDArray, optional
        Where to store the result.

    Returns
    -------
    NDArray

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.random.gamma(2, 3, shape=(20000,))
    >>> abs(x.mean().asscalar() - 6) < 0.2
    True
    """
    return _draw('gamma', '_random_gamma', '_sample_gamma', ('alpha', 'beta'),
                 (alpha, beta), shape, dtype, ctx, out, kwargs)


def poisson(lam=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from the Poisson distribution with mean ``lam`` (float32 by default, as in MXNet).

    Parameters
    ----------
    lam : float or NDArray
        The mean, >= 0.
    shape : int or tuple of int, optional
        Number of samples; ``(1,)`` when omitted with a number parameter.
    dtype : {None, 'float16', 'float32', 'float64'}
        float32 by default.
    ctx : Context, optional
        Device for a number parameter.
    out : NDArray, optional
        Where to store the result.

    Returns
    -------
    NDArray

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.random.poisson(mx.nd.array([1, 50]), shape=3).shape
    (2, 3)
    """
    return _draw('poisson', '_random_poisson', '_sample_poisson', ('lam',),
                 (lam,), shape, dtype, ctx, out, kwargs)


def negative_binomial(k=1, p=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from the negative binomial distribution (failures before ``k`` successes).

    Parameters
    ----------
    k : float or NDArray
        Number of successes, > 0.
    p : float or NDArray
        Success probability, in ``(0, 1]``.
    shape : int or tuple of int, optional
        Number of samples; ``(1,)`` when omitted with number parameters.
    dtype : {None, 'float16', 'float32', 'float64'}
        float32 by default.
    ctx : Context, optional
        Device for number parameters.
    out : NDArray, optional
        Where to store the result.

    Returns
    -------
    NDArray

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.random.negative_binomial(3, 0.5, shape=(2, 2)).shape
    (2, 2)
    """
    return _draw('negative_binomial', '_random_negative_binomial',
                 '_sample_negative_binomial', ('k', 'p'), (k, p), shape, dtype, ctx, out,
                 kwargs)


def generalized_negative_binomial(mu=1, alpha=1, shape=None, dtype=None, ctx=None, out=None,
                                  **kwargs):
    """Counts with mean ``mu`` and variance ``mu + alpha * mu**2`` (``alpha = 0``: Poisson).

    Parameters
    ----------
    mu, alpha : float or NDArray
        Both >= 0.
    shape : int or tuple of int, optional
        Number of samples; ``(1,)`` when omitted with number parameters.
    dtype : {None, 'float16', 'float32', 'float64'}
        float32 by default.
    ctx : Context, optional
        Device for number parameters.
    out : NDArray, optional
        Where to store the result.

    Returns
    -------
    NDArray

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.random.generalized_negative_binomial(2, 0.5, shape=3).shape
    (3,)
    """
    return _draw('generalized_negative_binomial', '_random_generalized_negative_binomial',
                 '_sample_generalized_negative_binomial', ('mu', 'alpha'), (mu, alpha),
                 shape, dtype, ctx, out, kwargs)


def multinomial(data, shape=None, get_prob=False, out=None, dtype='int32', **kwargs):
    """Draw category indices from the probabilities along the last axis of ``data``.

    Parameters
    ----------
    data : NDArray of shape ``(..., K)``
        Probabilities, used as given (not normalised, as in MXNet).
    shape : int or tuple of int, optional
        Draws per distribution; the output shape is ``data.shape[:-1] + shape``.
    get_prob : bool
        Also return the log-probability of each drawn index; it is
        differentiable with respect to ``data``.
    out : NDArray, optional
        Where to store the result.
    dtype : str, default 'int32'
        dtype of the indices.

    Returns
    -------
    NDArray, or a list ``[indices, log_probabilities]`` with ``get_prob=True``

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.random.multinomial(mx.nd.array([0, 0, 1]), shape=3).asnumpy()
    array([2, 2, 2], dtype=int32)
    """
    _check_kwargs('multinomial', kwargs)
    if not isinstance(data, NDArrayBase):
        raise MXNetError('random.multinomial: data must be an NDArray of probabilities, '
                         'got %s' % type(data).__name__)
    return _invoke('_sample_multinomial', (data,),
                   {'shape': shape, 'get_prob': get_prob, 'dtype': dtype}, None, out)


def shuffle(data, out=None, **kwargs):
    """A copy of ``data`` with its rows (first axis) in random order.

    Parameters
    ----------
    data : NDArray
    out : NDArray, optional
        Where to store the result.

    Returns
    -------
    NDArray

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.random.shuffle(mx.nd.arange(5))
    >>> sorted(x.asnumpy().tolist())
    [0.0, 1.0, 2.0, 3.0, 4.0]
    """
    _check_kwargs('shuffle', kwargs)
    if not isinstance(data, NDArrayBase):
        raise MXNetError('random.shuffle: data must be an NDArray, got %s'
                         % type(data).__name__)
    return _invoke('_shuffle', (data,), None, None, out)
