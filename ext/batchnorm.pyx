# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
"""Batch normalization for the CPU backend: forward (training and inference) and backward.

Every function takes the data as a C-contiguous ``(outer, C, inner)`` array:
the channel axis in the middle, the axes before it folded into ``outer`` and
those after it into ``inner`` (``(N, C, H, W)`` with ``axis=1`` is
``(N, C, H*W)``; channels-last ``(N, H, W, C)`` is ``(N*H*W, C, 1)``). That
reshape never copies, so one layout serves every ``axis``. A *row* ``(o, c)``
is a contiguous run of ``inner`` values of channel ``c``; the array is
``outer * C`` rows one after the other.

How the work is split:

- Per-channel sums walk the data in memory order, whatever ``C`` and
  ``inner`` are. The rows are cut into at most ``MAX_CHUNKS`` contiguous
  chunks, one ``prange`` iteration each; a chunk adds its rows into its own
  line of a ``(chunks, C)`` table of partial sums (no two threads write the
  same number), and the lines are added in order at the end. The chunking
  depends only on the shape, so results do not change with the thread count.
  Channels-last data (``inner == 1``) is summed along the channels of each
  block of ``C`` values rather than row by row.
- Elementwise passes (the normalized output, ``dx``) compute
  ``y = a[c] * x + b[c]`` or ``dx = A[c] * dy + B[c] * x + D[c]``, with the
  coefficients folded per channel beforehand, ``prange`` over rows (over
  blocks of ``C`` rows when rows are shorter than ``SHORT_ROW``).
- Sums are accumulated in double (for float32 data too), with two interleaved
  accumulators per sum so that consecutive additions do not wait on each other.

Mean and variance come from one pass, as sums of ``d = x - K[c]`` and ``d*d``
where ``K[c]`` is the channel's first value: ``var = E[d*d] - E[d]**2``. The
shift keeps that difference from cancelling (the raw ``E[x*x] - E[x]**2``
loses every digit when the mean is large compared with the spread), since a
value of the channel lies within a few standard deviations of its mean.

The backward pass needs ``sum(dy)`` and ``sum(dy * (x - mean))`` per channel.
In training mode it recomputes the batch statistics in that same pass (the
sums of ``x - K`` and their squares are added alongside), so it reads ``x``
and ``dy`` once for the sums and once more to write ``dx``.

Examples
--------
>>> import numpy as np
>>> from mxlearn._ext import batchnorm
>>> x = np.array([[[1.0], [10.0]], [[3.0], [30.0]]])      # (outer=2, C=2, inner=1)
>>> one, zero = np.ones(2), np.zeros(2)
>>> mm, mv = np.zeros(2), np.ones(2)
>>> out, mean, invstd = batchnorm.forward(x, one, zero, mm, mv, 0.0, 0.9, True)
>>> out[:, :, 0]
array([[-1., -1.],
       [ 1.,  1.]])
>>> mean, mm                      # the moving mean moved 10% of the way
(array([ 2., 20.]), array([0.2, 2. ]))
"""
import numpy as np

from cython.parallel cimport prange
from libc.math cimport sqrt

ctypedef fused real:
    float
    double

# Rows are cut into at most this many chunks for the per-channel sums ...
cdef Py_ssize_t MAX_CHUNKS = 32
# ... each of at least this many values, so that a chunk outweighs its thread's start.
cdef Py_ssize_t MIN_CHUNK_SIZE = 16384
# Below this many values the elementwise passes run on one thread.
cdef Py_ssize_t PARALLEL_THRESHOLD = 32768
# Rows shorter than this are too short to be the elementwise passes' unit of work.
cdef Py_ssize_t SHORT_ROW = 16


cdef inline Py_ssize_t num_chunks(Py_ssize_t rows, Py_ssize_t size) noexcept nogil:
    cdef Py_ssize_t n = size // MIN_CHUNK_SIZE
    if n > MAX_CHUNKS:
        n = MAX_CHUNKS
    if n > rows:
        n = rows
    return n if n > 1 else 1


# ---------------------------------------------------------- row kernels --

cdef void moment_sums(const real[:, :, ::1] x, const double* shift, Py_ssize_t r0,
                      Py_ssize_t r1, double* acc) noexcept nogil:
    """Add ``sum(x - shift)`` and ``sum((x - shift)**2)`` into ``acc[c]`` and ``acc[C + c]``."""
    cdef Py_ssize_t C = x.shape[1], inner = x.shape[2]
    cdef Py_ssize_t r, i, c0, n, o = r0 // C, c = r0 % C
    cdef const real* p
    cdef double k, d0, d1, s1a, s1b, s2a, s2b
    if inner == 1:
        # Channels last: a row is one value, so go along the channels instead.
        r = r0
        while r < r1:
            c0 = r % C
            n = min(C - c0, r1 - r)
            p = &x[0, 0, 0] + r - c0          # the start of this block of C values
            for c in range(c0, c0 + n):
                d0 = p[c] - shift[c]
                acc[c] += d0
                acc[C + c] += d0 * d0
            r += n
        return
    for r in range(r0, r1):
        p = &x[o, c, 0]
        k = shift[c]
        s1a = s1b = s2a = s2b = 0.0
        i = 0
        while i + 1 < inner:
            d0 = p[i] - k
            d1 = p[i + 1] - k
            s1a += d0
            s1b += d1
            s2a += d0 * d0
            s2b += d1 * d1
            i += 2
        if i < inner:
            d0 = p[i] - k
            s1a += d0
            s2a += d0 * d0
        acc[c] += s1a + s1b
        acc[C + c] += s2a + s2b
        c += 1
        if c == C:
            c = 0
            o += 1


cdef void grad_sums(const real[:, :, ::1] dy, const real[:, :, ::1] x, const double* shift,
                    bint moments, Py_ssize_t r0, Py_ssize_t r1, double* acc) noexcept nogil:
    """Add ``sum(dy)`` and ``sum(dy * (x - shift))`` into ``acc[c]`` and ``acc[C + c]``.

    With ``moments``, also ``sum(x - shift)`` and ``sum((x - shift)**2)`` into
    ``acc[2C + c]`` and ``acc[3C + c]``.
    """
    cdef Py_ssize_t C = x.shape[1], inner = x.shape[2]
    cdef Py_ssize_t r, i, c0, n, o = r0 // C, c = r0 % C
    cdef const real* p
    cdef const real* q
    cdef double k, d0, d1, g0, g1, ga, gb, gda, gdb, s1a, s1b, s2a, s2b
    if inner == 1:
        # Channels last: a row is one value, so go along the channels instead.
        r = r0
        while r < r1:
            c0 = r % C
            n = min(C - c0, r1 - r)
            p = &x[0, 0, 0] + r - c0          # the start of this block of C values
            q = &dy[0, 0, 0] + r - c0
            for c in range(c0, c0 + n):
                d0 = p[c] - shift[c]
                acc[c] += q[c]
                acc[C + c] += q[c] * d0
                if moments:
                    acc[2 * C + c] += d0
                    acc[3 * C + c] += d0 * d0
            r += n
        return
    for r in range(r0, r1):
        p = &x[o, c, 0]
        q = &dy[o, c, 0]
        k = shift[c]
        ga = gb = gda = gdb = s1a = s1b = s2a = s2b = 0.0
        i = 0
        if moments:
            while i + 1 < inner:
                d0 = p[i] - k
                d1 = p[i + 1] - k
                g0 = q[i]
                g1 = q[i + 1]
                ga += g0
                gb += g1
                gda += g0 * d0
                gdb += g1 * d1
                s1a += d0
                s1b += d1
                s2a += d0 * d0
                s2b += d1 * d1
                i += 2
            if i < inner:
                d0 = p[i] - k
                g0 = q[i]
                ga += g0
                gda += g0 * d0
                s1a += d0
                s2a += d0 * d0
            acc[2 * C + c] += s1a + s1b
            acc[3 * C + c] += s2a + s2b
        else:
            while i + 1 < inner:
                g0 = q[i]
                g1 = q[i + 1]
                ga += g0
                gb += g1
                gda += g0 * (p[i] - k)
                gdb += g1 * (p[i + 1] - k)
                i += 2
            if i < inner:
                g0 = q[i]
                ga += g0
                gda += g0 * (p[i] - k)
        acc[c] += ga + gb
        acc[C + c] += gda + gdb
        c += 1
        if c == C:
            c = 0
            o += 1


cdef inline void affine_values(const real* x, double a, double b, real* out,
                               Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = <real>(a * x[i] + b)


cdef inline void dx_values(const real* dy, const real* x, double A, double B, double D,
                           real* dx, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        dx[i] = <real>(A * dy[i] + B * x[i] + D)


cdef void affine(const real[:, :, ::1] x, const double* a, const double* b,
                 real[:, :, ::1] out) noexcept nogil:
    """``out = a[c] * x + b[c]``: rows in parallel, or blocks of C rows when rows are short."""
    cdef Py_ssize_t outer = x.shape[0], C = x.shape[1], inner = x.shape[2]
    cdef Py_ssize_t rows = outer * C, r, o, c
    cdef bint threads = rows * inner > PARALLEL_THRESHOLD
    if inner >= SHORT_ROW:
        for r in prange(rows, schedule='static', use_threads_if=threads):
            o = r // C
            c = r - o * C
            affine_values(&x[o, c, 0], a[c], b[c], &out[o, c, 0], inner)
    else:
        for o in prange(outer, schedule='static', use_threads_if=threads):
            for c in range(C):
                affine_values(&x[o, c, 0], a[c], b[c], &out[o, c, 0], inner)


cdef void input_grad(const real[:, :, ::1] dy, const real[:, :, ::1] x, const double* A,
                     const double* B, const double* D, real[:, :, ::1] dx) noexcept nogil:
    """``dx = A[c] * dy + B[c] * x + D[c]``, split like :func:`affine`."""
    cdef Py_ssize_t outer = x.shape[0], C = x.shape[1], inner = x.shape[2]
    cdef Py_ssize_t rows = outer * C, r, o, c
    cdef bint threads = rows * inner > PARALLEL_THRESHOLD
    if inner >= SHORT_ROW:
        for r in prange(rows, schedule='static', use_threads_if=threads):
            o = r // C
            c = r - o * C
            dx_values(&dy[o, c, 0], &x[o, c, 0], A[c], B[c], D[c], &dx[o, c, 0], inner)
    else:
        for o in prange(outer, schedule='static', use_threads_if=threads):
            for c in range(C):
                dx_values(&dy[o, c, 0], &x[o, c, 0], A[c], B[c], D[c], &dx[o, c, 0], inner)


# ------------------------------------------------------------ drivers --

cdef void channel_sums(const real[:, :, ::1] x, const real[:, :, ::1] dy, const double* shift,
                       bint grads, bint moments, double[:, ::1] partial,
                       double* total) noexcept nogil:
    """Per-channel sums over all rows into ``total``, chunk by chunk.

    :func:`grad_sums` with ``grads`` (``dy`` is then the out-gradient), else
    :func:`moment_sums` of ``x``.
    """
    cdef Py_ssize_t rows = x.shape[0] * x.shape[1]
    cdef Py_ssize_t chunks = partial.shape[0], width = partial.shape[1], t, j, r0, r1
    for t in prange(chunks, schedule='static', use_threads_if=chunks > 1):
        r0 = t * rows // chunks
        r1 = (t + 1) * rows // chunks
        if grads:
            grad_sums(dy, x, shift, moments, r0, r1, &partial[t, 0])
        else:
            moment_sums(x, shift, r0, r1, &partial[t, 0])
    for j in range(width):
        total[j] = 0.0
    for t in range(chunks):
        for j in range(width):
            total[j] += partial[t, j]


cdef void first_values(const real[:, :, ::1] x, double* shift) noexcept nogil:
    cdef Py_ssize_t c
    for c in range(x.shape[1]):
        shift[c] = x[0, c, 0]


# ------------------------------------------------------------ public --

def forward(const real[:, :, ::1] x, const real[::1] gamma, const real[::1] beta,
            real[::1] moving_mean, real[::1] moving_var, double eps, double momentum,
            bint training):
    """Batch-normalize ``x`` of shape ``(outer, C, inner)`` per channel.

    Parameters
    ----------
    x : numpy.ndarray (float32 or float64), shape (outer, C, inner), C-contiguous
        Not empty.
    gamma, beta, moving_mean, moving_var : numpy.ndarray, shape (C,), x's dtype
    eps : float
        Added to the variance under the square root.
    momentum : float
        In training, the moving statistics become ``moving * momentum +
        batch * (1 - momentum)`` (updated in place; the variance is the biased one).
    training : bool
        Normalize with the batch statistics (and update the moving ones), or
        with the moving statistics.

    Returns
    -------
    out : numpy.ndarray
        ``(x - mean) * invstd * gamma + beta``, shaped like ``x``.
    mean, invstd : numpy.ndarray, shape (C,)
        The mean and ``1 / sqrt(var + eps)`` used.
    """
    cdef Py_ssize_t outer = x.shape[0], C = x.shape[1], inner = x.shape[2]
    cdef Py_ssize_t rows = outer * C, size = rows * inner, c
    cdef double n = <double>(outer * inner), m1, var, mu, inv
    dtype = np.float32 if real is float else np.float64
    if gamma.shape[0] != C or beta.shape[0] != C or moving_mean.shape[0] != C \
            or moving_var.shape[0] != C:
        raise ValueError('gamma, beta, moving_mean and moving_var must have shape (%d,)' % C)
    if size == 0:
        raise ValueError('x must not be empty')
    out = np.empty((outer, C, inner), dtype=dtype)
    mean = np.empty(C, dtype=dtype)
    invstd = np.empty(C, dtype=dtype)
    cdef real[:, :, ::1] out_v = out
    cdef real[::1] mean_v = mean, invstd_v = invstd
    cdef double[::1] coef = np.zeros(2 * C)
    cdef double[::1] shift = np.empty(C)
    cdef double[::1] sums = np.empty(2 * C)
    cdef double[:, ::1] partial = np.zeros((num_chunks(rows, size) if training else 1, 2 * C))
    with nogil:
        if training:
            first_values(x, &shift[0])
            channel_sums(x, x, &shift[0], False, True, partial, &sums[0])
        for c in range(C):
            if training:
                m1 = sums[c] / n
                mu = shift[c] + m1
                var = sums[C + c] / n - m1 * m1
                if var < 0.0:           # rounding, when every value is equal
                    var = 0.0
                moving_mean[c] = <real>(moving_mean[c] * momentum + mu * (1.0 - momentum))
                moving_var[c] = <real>(moving_var[c] * momentum + var * (1.0 - momentum))
            else:
                mu = moving_mean[c]
                var = moving_var[c]
            inv = 1.0 / sqrt(var + eps)
            mean_v[c] = <real>mu
            invstd_v[c] = <real>inv
            coef[c] = gamma[c] * inv
            coef[C + c] = beta[c] - mu * coef[c]
        affine(x, &coef[0], &coef[C], out_v)
    return out, mean, invstd


def backward(const real[:, :, ::1] dy, const real[:, :, ::1] x, const real[::1] gamma,
             const real[::1] moving_mean, const real[::1] moving_var, double eps,
             bint batch_stats):
    """The gradients of :func:`forward` for the out-gradient ``dy``.

    Parameters
    ----------
    dy, x : numpy.ndarray (float32 or float64), shape (outer, C, inner), C-contiguous
    gamma, moving_mean, moving_var : numpy.ndarray, shape (C,), x's dtype
    eps : float
    batch_stats : bool
        Whether the forward normalized with the batch statistics (they are
        recomputed from ``x`` here, and ``dx`` includes their dependence on
        ``x``) or with the moving ones (then ``dx = gamma * invstd * dy``).

    Returns
    -------
    dx : numpy.ndarray
        Shaped like ``x``.
    dgamma, dbeta : numpy.ndarray, shape (C,)
        ``sum(dy * xhat)`` and ``sum(dy)`` over everything but the channel.
    """
    cdef Py_ssize_t outer = x.shape[0], C = x.shape[1], inner = x.shape[2]
    cdef Py_ssize_t rows = outer * C, size = rows * inner, c
    cdef double n = <double>(outer * inner), m1, var, mu, inv, sdy, sdyc, a
    dtype = np.float32 if real is float else np.float64
    if dy.shape[0] != outer or dy.shape[1] != C or dy.shape[2] != inner:
        raise ValueError('dy must have the shape of x')
    if gamma.shape[0] != C or moving_mean.shape[0] != C or moving_var.shape[0] != C:
        raise ValueError('gamma, moving_mean and moving_var must have shape (%d,)' % C)
    if size == 0:
        raise ValueError('x must not be empty')
    dx = np.empty((outer, C, inner), dtype=dtype)
    dgamma = np.empty(C, dtype=dtype)
    dbeta = np.empty(C, dtype=dtype)
    cdef real[:, :, ::1] dx_v = dx
    cdef real[::1] dgamma_v = dgamma, dbeta_v = dbeta
    cdef Py_ssize_t width = (4 if batch_stats else 2) * C
    cdef double[::1] coef = np.zeros(3 * C)
    cdef double[::1] shift = np.empty(C)
    cdef double[::1] sums = np.empty(width)
    cdef double[:, ::1] partial = np.zeros((num_chunks(rows, size), width))
    with nogil:
        if batch_stats:
            first_values(x, &shift[0])
        else:
            for c in range(C):
                shift[c] = moving_mean[c]
        channel_sums(x, dy, &shift[0], True, batch_stats, partial, &sums[0])
        for c in range(C):
            sdy = sums[c]
            if batch_stats:
                m1 = sums[2 * C + c] / n
                mu = shift[c] + m1
                var = sums[3 * C + c] / n - m1 * m1
                if var < 0.0:
                    var = 0.0
                sdyc = sums[C + c] - m1 * sdy       # sum(dy * (x - mean))
            else:
                mu = moving_mean[c]
                var = moving_var[c]
                sdyc = sums[C + c]
            inv = 1.0 / sqrt(var + eps)
            dbeta_v[c] = <real>sdy
            dgamma_v[c] = <real>(sdyc * inv)
            a = gamma[c] * inv
            coef[c] = a
            if batch_stats:
                # dx = a * (dy - sdy/n - xhat * dgamma/n), with xhat = (x - mu) * inv
                coef[C + c] = -a * inv * inv * sdyc / n
                coef[2 * C + c] = -a * sdy / n - coef[C + c] * mu
        if batch_stats:
            input_grad(dy, x, &coef[0], &coef[C], &coef[2 * C], dx_v)
        else:
            affine(dy, &coef[0], &coef[2 * C], dx_v)
    return dx, dgamma, dbeta
