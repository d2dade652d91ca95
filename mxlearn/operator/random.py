"""Random numbers: one generator per device, and the sampling operators.

Generators
    Every Context has its own generator, created on first use: a
    ``numpy.random.Generator`` (PCG64) for CPU contexts, a
    ``cupy.random.RandomState`` for GPU contexts. Its seed is derived from the
    global seed *and* the device (``(seed, device_type, device_id)`` through
    ``numpy.random.SeedSequence``), so ``cpu(0)`` and ``cpu(1)`` draw different,
    independent streams and each is reproducible on its own. At import the
    global seed comes from the operating system, so runs differ until
    ``mx.random.seed(n)`` is called.

Operators
    ``_random_<dist>`` draw ``shape`` samples with scalar parameters (they have
    no array inputs and receive the device as ``ctx``); ``_sample_<dist>`` take
    the parameters as arrays and draw ``shape`` samples for each element (the
    parameters broadcast against each other; the output shape is the
    parameters' shape followed by ``shape``). ``_sample_multinomial`` and
    ``_shuffle`` work on an input array and use the generator of its device.
    None of them has a gradient, except the log-probability output of
    ``_sample_multinomial``.

Shapes follow ``mxlearn.operator.creation``: ``shape`` omitted or ``()`` gives
``(1,)`` for ``_random_*``; zero sizes are allowed. Values are drawn in float32
(float64 when asked for) and converted to the output dtype.
"""
import numbers

import numpy as np

from .._ext.core import Context
from ..base import MXNetError
from ..backend import scatter_add
from .creation import as_dtype, as_shape, on_device
from .registry import register
from .shapes import broadcast_shape

# ---------------------------------------------------------------- generators --

_GLOBAL_SEED = [int(np.random.SeedSequence().entropy)]   # from OS entropy at import
_GENERATORS = {}                                          # Context -> generator


def _new_generator(seed_state, ctx):
    key = [abs(int(seed_state)), int(seed_state < 0), ctx.device_typeid, ctx.device_id]
    seq = np.random.SeedSequence(key)
    if ctx.device_type == 'gpu':
        import cupy
        with cupy.cuda.Device(ctx.device_id):
            return cupy.random.RandomState(int(seq.generate_state(1, np.uint64)[0]))
    return np.random.Generator(np.random.PCG64(seq))


def generator(ctx):
    """The random generator of Context ``ctx`` (created on first use).

    A ``numpy.random.Generator`` for CPU contexts, a ``cupy.random.RandomState``
    for GPU contexts.

    Examples
    --------
    >>> import mxlearn as mx
    >>> g = generator(mx.cpu(0))
    >>> g is generator(mx.cpu(0)), g is generator(mx.cpu(1))
    (True, False)
    """
    gen = _GENERATORS.get(ctx)
    if gen is None:
        gen = _GENERATORS[ctx] = _new_generator(_GLOBAL_SEED[0], ctx)
    return gen


def seed(seed_state, ctx='all'):
    """Seed the generator of every device (``ctx='all'``) or of one device.

    Parameters
    ----------
    seed_state : int
        Any integer (negative and large values are accepted).
    ctx : Context or 'all'
        With 'all', every device's stream restarts, including devices not used
        yet; with a Context, only that device's stream does. Either way a
        device seeded with ``n`` draws the same numbers.

    Examples
    --------
    >>> import mxlearn as mx
    >>> seed(7)
    >>> a = generator(mx.cpu()).random()
    >>> seed(7, ctx=mx.cpu())
    >>> a == generator(mx.cpu()).random()
    True
    """
    if isinstance(seed_state, bool) or not isinstance(seed_state, numbers.Integral):
        raise ValueError('seed_state must be int, got %r' % (seed_state,))
    seed_state = int(seed_state)
    if isinstance(ctx, str) and ctx == 'all':
        _GLOBAL_SEED[0] = seed_state
        _GENERATORS.clear()
        return
    if not isinstance(ctx, Context):
        ctx = Context(ctx)
    _GENERATORS[ctx] = _new_generator(seed_state, ctx)


# ------------------------------------------- drawing from either generator --
# numpy's Generator and CuPy's RandomState name a few methods differently.

def _is_numpy(gen):
    return isinstance(gen, np.random.Generator)


def _draw_uniform(gen, size, dtype):
    if _is_numpy(gen):
        return gen.random(size, dtype=dtype)
    return gen.random_sample(size, dtype=dtype)


def _draw_integers(gen, low, high, size, dtype):
    if _is_numpy(gen):
        return gen.integers(low, high, size, dtype=dtype)
    return gen.randint(low, high, size, dtype=dtype)


def _draw_poisson(gen, lam, size):
    return gen.poisson(lam, size)


def _draw_gamma(gen, alpha, size, dtype):
    return gen.standard_gamma(alpha, size, dtype=dtype)


def _draw_negative_binomial(xp, gen, k, p, size):
    # A gamma-Poisson mixture: lam ~ Gamma(k, scale=(1-p)/p), x ~ Poisson(lam)
    lam = _draw_gamma(gen, k, size, np.float64) * ((1.0 - p) / p)
    return _draw_poisson(gen, lam, size)


def _draw_gen_negative_binomial(xp, gen, mu, alpha, size):
    # Mean mu, variance mu + alpha mu^2: lam ~ Gamma(1/alpha, scale=alpha mu),
    # x ~ Poisson(lam); alpha = 0 is the Poisson distribution itself.
    alpha = xp.asarray(alpha, dtype=np.float64)
    safe = xp.where(alpha > 0, alpha, 1.0)
    lam = _draw_gamma(gen, 1.0 / safe, size, np.float64) * (safe * mu)
    lam = xp.where(alpha > 0, lam, xp.asarray(mu, dtype=np.float64))
    return _draw_poisson(gen, lam, size)


# --------------------------------------------------------------- helpers --

_FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def _float_dtype(dtype):
    d = as_dtype(dtype)
    if d not in _FLOATS:
        raise MXNetError('dtype %s is not supported; expected float16, float32 or '
                         'float64' % (d,))
    return d


def _work(dtype):
    """The dtype the generators draw in: float64 for float64, else float32."""
    return np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32)


def _sample_shape(shape):
    """The extra dimensions ``shape`` appends (None or () append nothing)."""
    if shape is None or (not isinstance(shape, numbers.Integral) and len(shape) == 0):
        return ()
    return as_shape(shape)


def _random_shape(shape):
    return (1,) if shape is None else as_shape(shape)


def _below(value, dtype):
    """The largest value of ``dtype`` strictly below ``value``."""
    v = np.array(value, dtype=dtype)[()]
    return np.nextafter(v, dtype.type(-np.inf)) if v >= value else v


def _scale_uniform(xp, u, low, high, dtype):
    """``low + (high - low) * u`` in ``dtype``, kept below ``high`` after rounding."""
    out = (low + (high - low) * u).astype(dtype, copy=False)
    if isinstance(high, numbers.Real):
        if high > low:
            out = xp.minimum(out, _below(high, dtype))
    else:
        out = xp.where((out >= high) & (high > low), xp.nextafter(
            high.astype(dtype), xp.asarray(-np.inf, dtype=dtype)), out)
    return out


def _random_type(in_dtypes, dtype=None, **attrs):
    return [_float_dtype(dtype)]


def _random_shape_rule(in_shapes, shape=None, **attrs):
    return [_random_shape(shape)]


def _sample_shape_rule(in_shapes, shape=None, **attrs):
    return [broadcast_shape(in_shapes)[0] + _sample_shape(shape)]


def _params(xp, arrays, shape, work):
    """Broadcast the parameter arrays and give them trailing axes for ``shape``."""
    pshape = broadcast_shape([a.shape for a in arrays])[0]
    extra = _sample_shape(shape)
    view = pshape + (1,) * len(extra)
    out = [xp.broadcast_to(a, pshape).astype(work).reshape(view) for a in arrays]
    return out, pshape + extra


def _check(cond, message):
    if not cond:
        raise MXNetError(message)


# --------------------------------------------------- scalar-parameter ops --

@register('_random_uniform', aliases=('random_uniform', 'uniform'),
          infer_shape=_random_shape_rule, infer_type=_random_type)
def random_uniform(xp, *, low=0.0, high=1.0, shape=None, ctx, dtype=None):
    """Samples from the uniform distribution on ``[low, high)``.

    Parameters
    ----------
    low, high : float
        The interval; ``low <= high``.
    shape : int or tuple of int, optional
        Output shape; ``(1,)`` when omitted.
    ctx : Context, optional
        The device whose generator draws the samples.
    dtype : {None, 'float16', 'float32', 'float64'}
        float32 by default.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.random_uniform(-1, 1, shape=(2, 3))
    >>> x.shape, bool(((x >= -1) * (x < 1)).min())
    ((2, 3), True)
    """
    _check(low <= high, 'low must be less than or equal to high, got low=%r, high=%r'
           % (low, high))
    dtype = _float_dtype(dtype)
    shape = _random_shape(shape)
    with on_device(xp, ctx):
        u = _draw_uniform(generator(ctx), shape, _work(dtype))
        return _scale_uniform(xp, u, float(low), float(high), dtype)


@register('_random_normal', aliases=('random_normal', 'normal'),
          infer_shape=_random_shape_rule, infer_type=_random_type)
def random_normal(xp, *, loc=0.0, scale=1.0, shape=None, ctx, dtype=None):
    """Samples from the normal (Gaussian) distribution.

    Parameters
    ----------
    loc, scale : float
        Mean and standard deviation (``scale >= 0``).
    shape : int or tuple of int, optional
        Output shape; ``(1,)`` when omitted.
    ctx : Context, optional
        The device whose generator draws the samples.
    dtype : {None, 'float16', 'float32', 'float64'}
        float32 by default.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.random_normal(0, 1, shape=(1000,)).shape
    (1000,)
    """
    _check(scale >= 0, 'scale (the standard deviation) must be >= 0, got %r' % (scale,))
    dtype = _float_dtype(dtype)
    shape = _random_shape(shape)
    with on_device(xp, ctx):
        z = generator(ctx).standard_normal(shape, dtype=_work(dtype))
        return (z * float(scale) + float(loc)).astype(dtype, copy=False)


@register('_random_exponential', aliases=('random_exponential',),
          infer_shape=_random_shape_rule, infer_type=_random_type)
def random_exponential(xp, *, lam=1.0, shape=None, ctx, dtype=None):
    """Samples from the exponential distribution with rate ``lam`` (mean ``1/lam``).

    Parameters
    ----------
    lam : float
        The rate, > 0.
    shape : int or tuple of int, optional
        Output shape; ``(1,)`` when omitted.
    ctx : Context, optional
        The device whose generator draws the samples.
    dtype : {None, 'float16', 'float32', 'float64'}
        float32 by default.

    Examples
    --------
    >>> import mxlearn as mx
    >>> bool(mx.nd.random_exponential(lam=2, shape=(5,)).min() >= 0)
    True
    """
    _check(lam > 0, 'lam (the rate) must be > 0, got %r' % (lam,))
    dtype = _float_dtype(dtype)
    shape = _random_shape(shape)
    with on_device(xp, ctx):
        e = generator(ctx).standard_exponential(shape, dtype=_work(dtype))
        return (e * (1.0 / lam)).astype(dtype, copy=False)


@register('_random_gamma', aliases=('random_gamma',),
          infer_shape=_random_shape_rule, infer_type=_random_type)
def random_gamma(xp, *, alpha=1.0, beta=1.0, shape=None, ctx, dtype=None):
    """Samples from the gamma distribution with shape ``alpha`` and scale ``beta``.

    The mean is ``alpha * beta`` and the variance ``alpha * beta**2``.

    Parameters
    ----------
    alpha, beta : float
        Shape and scale, both > 0.
    shape : int or tuple of int, optional
        Output shape; ``(1,)`` when omitted.
    ctx : Context, optional
        The device whose generator draws the samples.
    dtype : {None, 'float16', 'float32', 'float64'}
        float32 by default.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.random_gamma(2, 3, shape=(2, 2)).shape
    (2, 2)
    """
    _check(alpha > 0 and beta > 0, 'alpha and beta must be > 0, got alpha=%r, beta=%r'
           % (alpha, beta))
    dtype = _float_dtype(dtype)
    shape = _random_shape(shape)
    with on_device(xp, ctx):
        g = _draw_gamma(generator(ctx), float(alpha), shape, _work(dtype))
        return (g * float(beta)).astype(dtype, copy=False)


@register('_random_poisson', aliases=('random_poisson',),
          infer_shape=_random_shape_rule, infer_type=_random_type)
def random_poisson(xp, *, lam=1.0, shape=None, ctx, dtype=None):
    """Samples from the Poisson distribution with mean ``lam`` (integers stored as floats).

    Parameters
    ----------
    lam : float
        The mean, >= 0.
    shape : int or tuple of int, optional
        Output shape; ``(1,)`` when omitted.
    ctx : Context, optional
        The device whose generator draws the samples.
    dtype : {None, 'float16', 'float32', 'float64'}
        float32 by default, as in MXNet.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.random_poisson(3, shape=(4,))
    >>> bool((x == x.floor()).min())
    True
    """
    _check(lam >= 0, 'lam must be >= 0, got %r' % (lam,))
    dtype = _float_dtype(dtype)
    shape = _random_shape(shape)
    with on_device(xp, ctx):
        return _draw_poisson(generator(ctx), float(lam), shape).astype(dtype)


@register('_random_negative_binomial', aliases=('random_negative_binomial',),
          infer_shape=_random_shape_rule, infer_type=_random_type)
def random_negative_binomial(xp, *, k=1, p=1.0, shape=None, ctx, dtype=None):
    """Samples from the negative binomial distribution: failures before ``k`` successes.

    Parameters
    ----------
    k : float
        Number of successes, > 0.
    p : float
        Success probability, in ``(0, 1]``.
    shape : int or tuple of int, optional
        Output shape; ``(1,)`` when omitted.
    ctx : Context, optional
        The device whose generator draws the samples.
    dtype : {None, 'float16', 'float32', 'float64'}
        float32 by default.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.random_negative_binomial(3, 0.4, shape=(3,)).shape
    (3,)
    """
    _check(k > 0 and 0 < p <= 1, 'expected k > 0 and 0 < p <= 1, got k=%r, p=%r' % (k, p))
    dtype = _float_dtype(dtype)
    shape = _random_shape(shape)
    with on_device(xp, ctx):
        return _draw_negative_binomial(xp, generator(ctx), float(k), float(p),
                                       shape).astype(dtype)


@register('_random_generalized_negative_binomial',
          aliases=('random_generalized_negative_binomial',),
          infer_shape=_random_shape_rule, infer_type=_random_type)
def random_generalized_negative_binomial(xp, *, mu=1.0, alpha=1.0, shape=None, ctx,
                                         dtype=None):
    """Samples of a count with mean ``mu`` and variance ``mu + alpha * mu**2``.

    ``alpha = 0`` gives the Poisson distribution.

    Parameters
    ----------
    mu : float
        The mean, >= 0.
    alpha : float
        The dispersion, >= 0.
    shape : int or tuple of int, optional
        Output shape; ``(1,)`` when omitted.
    ctx : Context, optional
        The device whose generator draws the samples.
    dtype : {None, 'float16', 'float32', 'float64'}
        float32 by default.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.random_generalized_negative_binomial(2, 0.5, shape=(3,)).shape
    (3,)
    """
    _check(mu >= 0 and alpha >= 0, 'mu and alpha must be >= 0, got mu=%r, alpha=%r'
           % (mu, alpha))
    dtype = _float_dtype(dtype)
    shape = _random_shape(shape)
    with on_device(xp, ctx):
        return _draw_gen_negative_binomial(xp, generator(ctx), float(mu), float(alpha),
                                           shape).astype(dtype)


def _randint_type(in_dtypes, dtype=None, **attrs):
    return [_int_dtype(dtype)]


def _int_dtype(dtype):
    d = as_dtype(dtype, default=np.int32)
    if d.kind not in 'iu':
        raise MXNetError('dtype %s is not supported; expected an integer type such as '
                         'int32 (the default) or int64' % (d,))
    return d


@register('_random_randint', aliases=('random_randint',),
          infer_shape=_random_shape_rule, infer_type=_randint_type)
def random_randint(xp, *, low=None, high=None, shape=None, ctx, dtype=None):
    """Random integers from ``low`` (included) to ``high`` (excluded).

    Parameters
    ----------
    low, high : int
        The range; ``low < high``.
    shape : int or tuple of int, optional
        Output shape; ``(1,)`` when omitted.
    ctx : Context, optional
        The device whose generator draws the samples.
    dtype : {None, 'int32', 'int64'}
        int32 by default.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.random_randint(5, 6, shape=(3,))
    >>> x.asnumpy(), x.dtype
    (array([5, 5, 5], dtype=int32), <class 'numpy.int32'>)
    """
    _check(low is not None and high is not None, 'low and high are required')
    _check(low < high, 'the range [low, high) is empty: low=%r, high=%r (high is '
           'excluded, so it must be greater than low)' % (low, high))
    dtype = _int_dtype(dtype)
    info = np.iinfo(dtype)
    _check(info.min <= low and high - 1 <= info.max,
           'the range [%r, %r) does not fit in %s' % (low, high, dtype))
    with on_device(xp, ctx):
        return _draw_integers(generator(ctx), int(low), int(high), _random_shape(shape),
                              dtype)


# ---------------------------------------------------- array-parameter ops --

@register('_sample_uniform', aliases=('sample_uniform',),
          infer_shape=_sample_shape_rule, infer_type=_random_type)
def sample_uniform(xp, low, high, *, shape=None, ctx, dtype=None):
    """Uniform samples on ``[low[i], high[i])`` for each element of the parameter arrays.

    Parameters
    ----------
    low, high : NDArray
        Interval ends; they broadcast against each other.
    shape : int or tuple of int, optional
        Samples per element; the output shape is the parameters' shape followed
        by ``shape``.
    dtype : {None, 'float16', 'float32', 'float64'}
        float32 by default (whatever the parameters' dtype).

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.sample_uniform(mx.nd.array([0, 10]), mx.nd.array([1, 11]), shape=3)
    >>> x.shape, bool((x[1] >= 10).min())
    ((2, 3), True)
    """
    dtype = _float_dtype(dtype)
    (lo, hi), out_shape = _params(xp, (low, high), shape, _work(dtype))
    with on_device(xp, ctx):
        u = _draw_uniform(generator(ctx), out_shape, _work(dtype))
        return _scale_uniform(xp, u, lo, hi, dtype)


@register('_sample_normal', aliases=('sample_normal',),
          infer_shape=_sample_shape_rule, infer_type=_random_type)
def sample_normal(xp, mu, sigma, *, shape=None, ctx, dtype=None):
    """Normal samples with mean ``mu[i]`` and standard deviation ``sigma[i]`` per element.

    Parameters
    ----------
    mu, sigma : NDArray
        They broadcast against each other.
    shape : int or tuple of int, optional
        Samples per element (appended to the parameters' shape).
    dtype : {None, 'float16', 'float32', 'float64'}
        float32 by default.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.sample_normal(mx.nd.array([0, 5]), mx.nd.array([1, 2]), shape=(4,)).shape
    (2, 4)
    """
    dtype = _float_dtype(dtype)
    (m, s), out_shape = _params(xp, (mu, sigma), shape, _work(dtype))
    with on_device(xp, ctx):
        z = generator(ctx).standard_normal(out_shape, dtype=_work(dtype))
        return (z * s + m).astype(dtype, copy=False)


@register('_sample_exponential', aliases=('sample_exponential',),
          infer_shape=_sample_shape_rule, infer_type=_random_type)
def sample_exponential(xp, lam, *, shape=None, ctx, dtype=None):
    """Exponential samples with rate ``lam[i]`` per element.

    Parameters
    ----------
    lam : NDArray
        Rates, > 0.
    shape : int or tuple of int, optional
        Samples per element (appended to ``lam``'s shape).
    dtype : {None, 'float16', 'float32', 'float64'}
        float32 by default.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.sample_exponential(mx.nd.array([1, 2]), shape=2).shape
    (2, 2)
    """
    dtype = _float_dtype(dtype)
    (rate,), out_shape = _params(xp, (lam,), shape, _work(dtype))
    with on_device(xp, ctx):
        e = generator(ctx).standard_exponential(out_shape, dtype=_work(dtype))
        return (e / rate).astype(dtype, copy=False)


@register('_sample_gamma', aliases=('sample_gamma',),
          infer_shape=_sample_shape_rule, infer_type=_random_type)
def sample_gamma(xp, alpha, beta, *, shape=None, ctx, dtype=None):
    """Gamma samples with shape ``alpha[i]`` and scale ``beta[i]`` per element.

    Parameters
    ----------
    alpha, beta : NDArray
        Both > 0; they broadcast against each other.
    shape : int or tuple of int, optional
        Samples per element (appended to the parameters' shape).
    dtype : {None, 'float16', 'float32', 'float64'}
        float32 by default.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.sample_gamma(mx.nd.array([1, 2]), mx.nd.array([1, 1]), shape=3).shape
    (2, 3)
    """
    dtype = _float_dtype(dtype)
    (a, b), out_shape = _params(xp, (alpha, beta), shape, _work(dtype))
    with on_device(xp, ctx):
        g = _draw_gamma(generator(ctx), xp.broadcast_to(a, out_shape), out_shape,
                        _work(dtype))
        return (g * b).astype(dtype, copy=False)


@register('_sample_poisson', aliases=('sample_poisson',),
          infer_shape=_sample_shape_rule, infer_type=_random_type)
def sample_poisson(xp, lam, *, shape=None, ctx, dtype=None):
    """Poisson samples with mean ``lam[i]`` per element (integers stored as floats).

    Parameters
    ----------
    lam : NDArray
        Means, >= 0.
    shape : int or tuple of int, optional
        Samples per element (appended to ``lam``'s shape).
    dtype : {None, 'float16', 'float32', 'float64'}
        float32 by default.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.sample_poisson(mx.nd.array([1, 20]), shape=(5,)).shape
    (2, 5)
    """
    dtype = _float_dtype(dtype)
    (mean,), out_shape = _params(xp, (lam,), shape, np.float64)
    with on_device(xp, ctx):
        return _draw_poisson(generator(ctx), xp.broadcast_to(mean, out_shape),
                             out_shape).astype(dtype)


@register('_sample_negative_binomial', aliases=('sample_negative_binomial',),
          infer_shape=_sample_shape_rule, infer_type=_random_type)
def sample_negative_binomial(xp, k, p, *, shape=None, ctx, dtype=None):
    """Negative binomial samples with parameters ``k[i]``, ``p[i]`` per element.

    Parameters
    ----------
    k, p : NDArray
        ``k > 0`` and ``0 < p <= 1``; they broadcast against each other.
    shape : int or tuple of int, optional
        Samples per element (appended to the parameters' shape).
    dtype : {None, 'float16', 'float32', 'float64'}
        float32 by default.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.sample_negative_binomial(mx.nd.array([3]), mx.nd.array([0.5]), shape=4).shape
    (1, 4)
    """
    dtype = _float_dtype(dtype)
    (kk, pp), out_shape = _params(xp, (k, p), shape, np.float64)
    with on_device(xp, ctx):
        return _draw_negative_binomial(xp, generator(ctx), xp.broadcast_to(kk, out_shape),
                                       pp, out_shape).astype(dtype)


@register('_sample_generalized_negative_binomial',
          aliases=('sample_generalized_negative_binomial',),
          infer_shape=_sample_shape_rule, infer_type=_random_type)
def sample_generalized_negative_binomial(xp, mu, alpha, *, shape=None, ctx, dtype=None):
    """Counts with mean ``mu[i]`` and variance ``mu[i] + alpha[i] * mu[i]**2`` per element.

    Parameters
    ----------
    mu, alpha : NDArray
        Both >= 0; they broadcast against each other.
    shape : int or tuple of int, optional
        Samples per element (appended to the parameters' shape).
    dtype : {None, 'float16', 'float32', 'float64'}
        float32 by default.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.sample_generalized_negative_binomial(
    ...     mx.nd.array([2, 3]), mx.nd.array([0, 1])).shape
    (2,)
    """
    dtype = _float_dtype(dtype)
    (m, a), out_shape = _params(xp, (mu, alpha), shape, np.float64)
    with on_device(xp, ctx):
        return _draw_gen_negative_binomial(xp, generator(ctx), xp.broadcast_to(m, out_shape),
                                           xp.broadcast_to(a, out_shape),
                                           out_shape).astype(dtype)


# ------------------------------------------------------------- multinomial --

def _multinomial_shape(in_shapes, shape=None, get_prob=False, dtype='int32', **attrs):
    data = tuple(in_shapes[0])
    out = data[:-1] + _sample_shape(shape)
    out = out if out else (1,)
    return [out, out] if get_prob else [out]


def _multinomial_type(in_dtypes, shape=None, get_prob=False, dtype='int32', **attrs):
    samples = as_dtype(dtype, default=np.int32)
    return [samples, np.dtype(in_dtypes[0])] if get_prob else [samples]


def _count_at_most(xp, cdf, u):
    """For each row b and draw s, how many entries of ``cdf[b]`` are <= ``u[b, s]``.

    A binary search run on all rows and draws at once: ``lo``/``hi`` bracket the
    answer, and each of the ``log2(K + 1)`` rounds halves every bracket.
    """
    rows, k = cdf.shape
    lo = xp.zeros(u.shape, dtype=np.int64)
    hi = xp.full(u.shape, k, dtype=np.int64)
    for _ in range(k.bit_length()):
        active = lo < hi
        mid = (lo + hi) // 2
        at_mid = xp.take_along_axis(cdf, xp.minimum(mid, k - 1), axis=1)
        right = active & (at_mid <= u)
        lo = xp.where(right, mid + 1, lo)
        hi = xp.where(active & ~right, mid, hi)
    return lo


def _multinomial_grad(F, inputs, outputs, ograds, get_prob=False, **attrs):
    if not get_prob:
        return (None,)
    return (F._sample_multinomial_backward(ograds[1], inputs[0], outputs[0]),)


@register('_sample_multinomial', aliases=('sample_multinomial',),
          gradient=_multinomial_grad, infer_shape=_multinomial_shape,
          infer_type=_multinomial_type)
def sample_multinomial(xp, data, *, shape=None, get_prob=False, dtype='int32', ctx):
    """Draw category indices from the probabilities along the last axis of ``data``.

    Parameters
    ----------
    data : NDArray of shape ``(..., K)``
        Probabilities of the ``K`` categories, used as given (not normalised,
        as in MXNet): when a row sums to ``s < 1``, the index ``K`` (one past
        the last category) comes out with probability ``1 - s``.
    shape : int or tuple of int, optional
        Draws per distribution; the output shape is ``data.shape[:-1] + shape``
        (``(1,)`` for one distribution and no ``shape``).
    get_prob : bool
        Also return the log-probability of each drawn index (nan for the
        index ``K``); its gradient with respect to ``data`` is
        ``1 / data[index]`` per draw, which is what REINFORCE-style estimators need.
    dtype : str, default 'int32'
        dtype of the indices.

    Returns
    -------
    NDArray or list of two NDArrays
        The indices, and with ``get_prob`` their log-probabilities (in ``data``'s dtype).

    Examples
    --------
    >>> import mxlearn as mx
    >>> p = mx.nd.array([[0, 1, 0], [0, 0, 1]])
    >>> mx.nd.sample_multinomial(p, shape=2).asnumpy()
    array([[1, 1],
           [2, 2]], dtype=int32)
    >>> idx, logp = mx.nd.sample_multinomial(mx.nd.array([0.5, 0.5]), get_prob=True)
    >>> logp.asnumpy()
    array([-0.6931472], dtype=float32)
    """
    if data.shape[-1] == 0:
        raise MXNetError('data has no categories (its last axis has size 0)')
    out_shape = _multinomial_shape([data.shape], shape)[0]
    k = data.shape[-1]
    rows = data.size // k
    draws = 1
    for d in _sample_shape(shape):
        draws *= d
    probs = data.reshape(rows, k)
    with on_device(xp, ctx):
        cdf = xp.cumsum(probs.astype(np.float64), axis=1)
        u = _draw_uniform(generator(ctx), (rows, draws), np.float64)
        index = _count_at_most(xp, cdf, u)
        samples = index.astype(as_dtype(dtype, default=np.int32)).reshape(out_shape)
        if not get_prob:
            return samples
        picked = xp.take_along_axis(probs, xp.minimum(index, k - 1), axis=1)
        with np.errstate(divide='ignore', invalid='ignore'):
            logp = xp.where(index < k, xp.log(picked), xp.asarray(np.nan, dtype=data.dtype))
        return samples, logp.astype(data.dtype, copy=False).reshape(out_shape)


def _no_second_order(F, inputs, outputs, ograds, **attrs):
    raise MXNetError('the second derivative of sample_multinomial\'s log-probability '
                     'is not implemented')


@register('_sample_multinomial_backward', gradient=_no_second_order, same_dtype=False,
          infer_shape=lambda in_shapes, **attrs: [tuple(in_shapes[1])],
          infer_type=lambda in_dtypes, **attrs: [np.dtype(in_dtypes[1])])
def sample_multinomial_backward(xp, ograd, data, sample):
    """The gradient of the log-probabilities of ``sample_multinomial`` with respect to ``data``.

    Each draw of index ``j`` from row ``b`` adds ``ograd / data[b, j]`` to
    ``grad[b, j]``; draws of the out-of-range index ``K`` add nothing.

    Examples
    --------
    >>> import mxlearn as mx
    >>> p = mx.nd.array([0.25, 0.75])
    >>> mx.nd._sample_multinomial_backward(mx.nd.ones((2,)), p,
    ...                                    mx.nd.array([1, 1], dtype='int32')).asnumpy()
    array([0.       , 2.6666667], dtype=float32)
    """
    k = data.shape[-1]
    rows = data.size // k
    probs = data.reshape(rows, k)
    index = sample.reshape(rows, -1).astype(np.int64)
    valid = (index >= 0) & (index < k)
    index = xp.clip(index, 0, k - 1)
    with np.errstate(divide='ignore', invalid='ignore'):
        values = ograd.reshape(rows, -1) / xp.take_along_axis(probs, index, axis=1)
    values = xp.where(valid, values, 0).astype(data.dtype, copy=False)
    grad = xp.zeros((rows, k), dtype=data.dtype)
    row_index = xp.broadcast_to(xp.arange(rows)[:, None], index.shape)
    scatter_add(xp, grad, (row_index, index), values)
    return grad.reshape(data.shape)


# ---------------------------------------------------------------- shuffle --

@register('_shuffle', aliases=('shuffle',), infer_shape=lambda in_shapes, **a: [
    tuple(in_shapes[0])])
def shuffle(xp, data, *, ctx):
    """A copy of ``data`` with its rows (the first axis) in random order.

    The generator of ``data``'s device draws the permutation.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2], [3, 4], [5, 6]])
    >>> y = mx.nd.shuffle(x)
    >>> sorted(y.asnumpy().tolist())
    [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    """
    with on_device(xp, ctx):
        order = generator(ctx).permutation(data.shape[0])
        return data[order]
