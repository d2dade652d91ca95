# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Special functions for the CPU backend: erf, erfinv, gamma, gammaln, digamma, trigamma.

numpy has none of these functions, and mxlearn does not depend on SciPy, so
``mxlearn.backend.special_functions(numpy)`` returns this module. Each public
function takes a numpy array of any shape, strides and numeric dtype, computes in
float64 and returns a new array of the same shape and dtype (float16/float32
results are rounded from the float64 values; integer inputs give integer results,
truncated, as MXNet does).

How the kernels work:

- ``erf``, ``gamma`` and ``gammaln`` call the C library (``erf``, ``tgamma``,
  ``lgamma``);
- ``digamma`` (psi) moves ``x`` up with ``psi(x) = psi(x + 1) - 1/x`` until
  ``x >= 10``, then sums the asymptotic (Bernoulli-number) series; negative
  arguments use the reflection formula ``psi(x) = psi(1 - x) - pi / tan(pi x)``;
- ``trigamma`` (psi') does the same with ``psi'(x) = psi'(x + 1) + 1/x**2`` and
  the reflection ``psi'(x) = pi**2 / sin(pi x)**2 - psi'(1 - x)``;
- ``erfinv`` starts from a polynomial approximation in ``w = -log(1 - x**2)``
  (an asymptotic formula in the far tails) and refines it with two Newton
  steps, with Halley's curvature correction, on ``erf(y) = x`` (on
  ``erfc(y) = 1 - x`` in the tails, where ``1 - x`` is exact and ``erf``
  would lose digits).

Each kernel is a plain loop over a contiguous float64 buffer, run without the
GIL, and split across OpenMP threads (``prange``) when the array is large
enough for threads to pay off.

Examples
--------
>>> import numpy as np
>>> from mxlearn._ext import special
>>> special.gamma(np.array([1.0, 5.0], dtype=np.float32))
array([ 1., 24.], dtype=float32)
>>> round(float(special.digamma(np.array([1.0]))[0]), 12)  # minus Euler's constant
-0.577215664902
"""
import numpy as np

from cython.parallel cimport prange
from libc.math cimport (erf as c_erf, erfc as c_erfc, tgamma as c_tgamma,
                        lgamma as c_lgamma, exp, log, sqrt, tan, sin, round, fabs,
                        isnan, isinf, copysign, INFINITY, NAN, M_PI)

ctypedef double (*unary_kernel)(double) noexcept nogil

# Below this many elements the threads cost more than they save.
cdef Py_ssize_t PARALLEL_THRESHOLD = 10000

cdef double SQRT_PI_OVER_2 = 0.88622692545275801365   # sqrt(pi) / 2
cdef double SQRT_PI = 1.77245385090551602730


# ------------------------------------------------------------- kernels --

cdef double k_erf(double x) noexcept nogil:
    return c_erf(x)


cdef double k_gamma(double x) noexcept nogil:
    return c_tgamma(x)


cdef double k_gammaln(double x) noexcept nogil:
    # lgamma also stores the sign of gamma(x) in the global ``signgam``; the
    # threads race on that global, but the value returned is unaffected.
    return c_lgamma(x)


cdef inline double nearest_fraction(double x) noexcept nogil:
    """``x`` minus its nearest integer, in [-0.5, 0.5] (exact).

    The periodic factors of the reflection formulas (``tan(pi x)``,
    ``sin(pi x)**2``, period 1) are evaluated at this small argument: near a
    pole, ``pi * x`` itself would carry a rounding error as large as the
    distance to the pole.
    """
    return x - round(x)                # exact: |x| < 0.5 rounds to 0, else Sterbenz


cdef inline double digamma_positive(double x) noexcept nogil:
    """psi(x) for x > 0: recurrence up to x >= 10, then the asymptotic series."""
    cdef double shift = 0.0
    cdef double inv2, series
    while x < 10.0:
        shift -= 1.0 / x
        x += 1.0
    inv2 = 1.0 / (x * x)
    # sum_k B_2k / (2k x^2k) for k = 1..7, evaluated in Horner form in 1/x^2
    series = inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (
        1.0 / 240 - inv2 * (1.0 / 132 - inv2 * (691.0 / 32760 - inv2 / 12))))))
    return shift + log(x) - 0.5 / x - series


cdef double k_digamma(double x) noexcept nogil:
    cdef double frac
    if isnan(x):
        return x
    if isinf(x):
        return x if x > 0 else NAN
    if x == 0.0:
        # pole at 0: the sign follows the side of approach (-0.0 -> +inf)
        return copysign(INFINITY, -x)
    if x < 0.0:
        frac = nearest_fraction(x)    # tan(pi x) = tan(pi frac), accurately
        if frac == 0.0:
            return NAN                 # poles at the negative integers
        return digamma_positive(1.0 - x) - M_PI / tan(M_PI * frac)
    return digamma_positive(x)


cdef inline double trigamma_positive(double x) noexcept nogil:
    """psi'(x) for x > 0: recurrence up to x >= 10, then the asymptotic series."""
    cdef double shift = 0.0
    cdef double inv, inv2, series
    while x < 10.0:
        shift += 1.0 / (x * x)
        x += 1.0
    inv = 1.0 / x
    inv2 = inv * inv
    # 1/x + 1/(2x^2) + sum_k B_2k / x^(2k+1) for k = 1..7
    series = inv2 * inv * (1.0 / 6 - inv2 * (1.0 / 30 - inv2 * (1.0 / 42 - inv2 * (
        1.0 / 30 - inv2 * (5.0 / 66 - inv2 * (691.0 / 2730 - inv2 * 7.0 / 6))))))
    return shift + inv + 0.5 * inv2 + series


cdef double k_trigamma(double x) noexcept nogil:
    cdef double frac, s
    if isnan(x):
        return x
    if isinf(x):
        return 0.0 if x > 0 else NAN
    if x <= 0.0:
        frac = nearest_fraction(x)    # sin(pi x)**2 = sin(pi frac)**2, accurately
        if frac == 0.0:
            return INFINITY            # double poles at 0, -1, -2, ...
        s = sin(M_PI * frac)
        return M_PI * M_PI / (s * s) - trigamma_positive(1.0 - x)
    return trigamma_positive(x)


cdef inline double erfinv_initial(double ax, double t) noexcept nogil:
    """A first approximation of erfinv(ax) for 0 < ax < 1.

    ``t`` is ``1 - ax``, passed in exactly so that ``1 - ax**2 = t (2 - t)`` keeps
    its digits. Up to ``w = -log(1 - ax**2) = 16`` (``t`` about 6e-8) it is a
    polynomial fit in ``w`` on two ranges, with a relative error near 1e-7.
    Beyond, it solves the leading term of erfc's asymptotic expansion,
    ``t = exp(-y**2) / (y sqrt(pi))``, by fixed-point iteration on
    ``y = sqrt(-log(t) - log(y sqrt(pi)))`` (relative error below 1e-3).
    """
    cdef double w = -log(t * (2.0 - t))
    cdef double p, big_l, y
    cdef int i
    if w < 5.0:
        w -= 2.5
        p = 2.81022636e-08
        p = 3.43273939e-07 + p * w
        p = -3.5233877e-06 + p * w
        p = -4.39150654e-06 + p * w
        p = 0.00021858087 + p * w
        p = -0.00125372503 + p * w
        p = -0.00417768164 + p * w
        p = 0.246640727 + p * w
        p = 1.50140941 + p * w
        return p * ax
    if w < 16.0:
        w = sqrt(w) - 3.0
        p = -0.000200214257
        p = 0.000100950558 + p * w
        p = 0.00134934322 + p * w
        p = -0.00367342844 + p * w
        p = 0.00573950773 + p * w
        p = -0.0076224613 + p * w
        p = 0.00943887047 + p * w
        p = 1.00167406 + p * w
        p = 2.83297682 + p * w
        return p * ax
    big_l = -log(t)
    y = sqrt(big_l)
    for i in range(4):
        y = sqrt(big_l - log(y * SQRT_PI))
    return y


cdef inline double exp_sq(double y) noexcept nogil:
    """exp(y*y), the reciprocal of the Gaussian factor in erf's derivative."""
    return exp(y * y)


cdef double k_erfinv(double x) noexcept nogil:
    cdef double ax, t, y, u
    cdef int step
    if isnan(x):
        return x
    ax = fabs(x)
    if ax > 1.0:
        return NAN
    if ax == 1.0:
        return copysign(INFINITY, x)
    if ax == 0.0:
        return x                       # keeps the sign of -0.0
    t = 1.0 - ax                       # exact for ax >= 0.5 (Sterbenz)
    y = erfinv_initial(ax, t)
    # Two Newton steps on f(y) = erf(y) - ax, with f'(y) = 2/sqrt(pi) exp(-y^2).
    # In the tails use the equivalent f(y) = t - erfc(y), whose terms are both
    # small and accurate, instead of a difference of two numbers close to 1.
    # Since f''(y) = -2y f'(y), the step u = f/f' is given Halley's curvature
    # correction u / (1 + y u) for free: the error is cubed at each step,
    # which the deep tail (initial error up to 1e-3) needs.
    for step in range(2):
        if ax < 0.5:
            u = (c_erf(y) - ax) * SQRT_PI_OVER_2 * exp_sq(y)
        else:
            u = (t - c_erfc(y)) * SQRT_PI_OVER_2 * exp_sq(y)
        y -= u / (1.0 + y * u)
    return copysign(y, x)


# ------------------------------------------------------------ driver --

cdef void run(unary_kernel f, double[::1] src, double[::1] dst) noexcept nogil:
    cdef Py_ssize_t i, n = src.shape[0]
    if n > PARALLEL_THRESHOLD:
        for i in prange(n, schedule='static'):
            dst[i] = f(src[i])
    else:
        for i in range(n):
            dst[i] = f(src[i])


cdef object apply(unary_kernel f, object x):
    a = np.asarray(x)
    if a.dtype.kind not in 'biuf':
        raise TypeError('expected a real (integer or floating-point) array, got dtype %s'
                        % a.dtype)
    cdef double[::1] src = np.ascontiguousarray(a, dtype=np.float64).reshape(-1)
    out = np.empty(src.shape[0], dtype=np.float64)
    cdef double[::1] dst = out
    with nogil:
        run(f, src, dst)
    out = out.reshape(a.shape)
    if a.dtype == np.float64:
        return out
    if a.dtype.kind in 'biu':
        # Poles give inf/nan, which an integer cannot hold; the cast then gives
        # whatever the C conversion does (as in MXNet), without a warning.
        with np.errstate(invalid='ignore', over='ignore'):
            return out.astype(a.dtype)
    return out.astype(a.dtype)


# ------------------------------------------------------------ public --

def erf(x):
    """The error function, ``2/sqrt(pi) * integral of exp(-t**2) from 0 to x``.

    Parameters
    ----------
    x : numpy.ndarray
        Any shape, strides and real dtype.

    Returns
    -------
    numpy.ndarray
        A new array of the same shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from mxlearn._ext import special
    >>> special.erf(np.array([0.0, 1.0]))
    array([0.        , 0.84270079])
    """
    return apply(k_erf, x)


def erfinv(x):
    """The inverse of the error function on ``[-1, 1]``.

    ``erfinv(1) = inf``, ``erfinv(-1) = -inf``, and ``|x| > 1`` gives nan.

    Parameters
    ----------
    x : numpy.ndarray
        Any shape, strides and real dtype.

    Returns
    -------
    numpy.ndarray
        A new array of the same shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from mxlearn._ext import special
    >>> special.erfinv(np.array([0.0, 0.5, 1.0, 2.0]))
    array([0.        , 0.47693628,        inf,        nan])
    """
    return apply(k_erfinv, x)


def gamma(x):
    """The gamma function (``gamma(n) = (n-1)!``).

    It is ``inf`` at 0 and nan at the negative integers.

    Parameters
    ----------
    x : numpy.ndarray
        Any shape, strides and real dtype.

    Returns
    -------
    numpy.ndarray
        A new array of the same shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from mxlearn._ext import special
    >>> special.gamma(np.array([0.5, 5.0]))
    array([ 1.77245385, 24.        ])
    """
    return apply(k_gamma, x)


def gammaln(x):
    """The logarithm of the absolute value of the gamma function.

    It is ``inf`` at 0 and at the negative integers.

    Parameters
    ----------
    x : numpy.ndarray
        Any shape, strides and real dtype.

    Returns
    -------
    numpy.ndarray
        A new array of the same shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from mxlearn._ext import special
    >>> special.gammaln(np.array([1.0, 10.0]))
    array([ 0.        , 12.80182748])
    """
    return apply(k_gammaln, x)


def digamma(x):
    """The digamma function ``psi(x) = d/dx log gamma(x)``.

    At 0 it is ``-inf`` (``+inf`` for ``-0.0``), at the negative integers nan,
    as in SciPy.

    Parameters
    ----------
    x : numpy.ndarray
        Any shape, strides and real dtype.

    Returns
    -------
    numpy.ndarray
        A new array of the same shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from mxlearn._ext import special
    >>> special.digamma(np.array([1.0, 2.0]))
    array([-0.57721566,  0.42278434])
    """
    return apply(k_digamma, x)


def trigamma(x):
    """The trigamma function ``psi'(x)``, the derivative of digamma.

    It is ``+inf`` at 0 and at the negative integers (double poles).

    Parameters
    ----------
    x : numpy.ndarray
        Any shape, strides and real dtype.

    Returns
    -------
    numpy.ndarray
        A new array of the same shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from mxlearn._ext import special
    >>> special.trigamma(np.array([1.0]))  # pi**2 / 6
    array([1.64493407])
    """
    return apply(k_trigamma, x)
