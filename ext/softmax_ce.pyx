# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
# distutils: extra_compile_args = -fno-trapping-math
"""Fused softmax + cross-entropy for the CPU backend.

The operators ``SoftmaxOutput`` and ``softmax_cross_entropy``
(``mxlearn/operator/losses.py``) call these kernels on numpy arrays; the
numpy/CuPy reference beside them there is what they are tested against.

The kernels work on rows: logits ``(rows, classes)``, C-contiguous, with
int64 labels ``(rows,)``. A batch of logits ``(n, c)`` is already that;
softmax along the last axis of any array is a reshape away. (Softmax along
an inner axis, SoftmaxOutput's ``multi_output``, stays with the numpy
reference: there the classes are far apart in memory, and numpy's whole-array
passes along the contiguous spatial axis vectorise better than a row loop.)

``forward`` handles one row at a time while it sits in the cache: it finds
the maximum ``m``, writes ``exp(x - m)`` into the output, sums it and scales
the row by one over the sum. The loss ``-log p[label]`` is read off as
``log(sum) + m - x[label]`` (log-sum-exp), which stays exact where the
probability itself rounds to zero. Out-of-range labels are counted, not
reported, because the rows run without the GIL; the caller raises.

``backward`` writes ``(p - target) * scale`` (times ``ograd`` of each row if
given), where ``target`` is the one-hot label, optionally smoothed:
``1 - alpha`` at the label and ``alpha / (classes - 1)`` elsewhere. Rows whose
label is ``ignore_label`` get zero when ``use_ignore`` is set.

Both kernels take float32 or float64 logits (one compiled version each, via
a fused type), run without the GIL and split the rows across OpenMP threads
once the array is large enough for threads to pay off.

Examples
--------
>>> import numpy as np
>>> from mxlearn._ext import softmax_ce
>>> x = np.array([[0.0, 0.0]])                 # one row, two classes
>>> p, loss = np.empty_like(x), np.empty(1)
>>> total, bad = softmax_ce.forward(x, p, np.array([1]), loss)
>>> p.tolist(), round(total, 6), bad
([[0.5, 0.5]], 0.693147, 0)
>>> g = np.empty_like(x)
>>> softmax_ce.backward(p, np.array([1]), g, 2.0)
>>> g.tolist()
[[1.0, -1.0]]
"""
import numpy as np

from cython.parallel cimport prange
from libc.math cimport log
from libc.stdint cimport int64_t, uint32_t, uint64_t
from libc.string cimport memcpy

ctypedef fused real:
    float
    double

# Below this many elements the threads cost more than they save; above it
# the rows are split into up to PARTS pieces, handed out to the threads as
# they become free (a shared machine may slow one thread down).
cdef Py_ssize_t PARALLEL_THRESHOLD = 1 << 16
cdef Py_ssize_t PARTS = 64
FLOAT32 = np.dtype(np.float32)


# ------------------------------------------------------------ exp for x <= 0 --
#
# libm's exp is a function call per element, which the compiler cannot
# vectorise; numpy's exp uses SIMD instructions and would outrun a loop of
# them. These versions use only arithmetic, so that a loop of them compiles to
# SIMD code too. They split x = n ln2 + r with n an integer and |r| <= ln2 / 2,
# take e**r from its Taylor series (degree 7 in float32, 13 in float64: the
# truncation error is below one unit in the last place), and multiply by 2**n,
# built by writing n + bias into the exponent bits of a float.
#
# The rounding of x / ln2 to an integer n adds and subtracts 1.5 * 2**(mantissa
# bits): the addition rounds away the fraction, and leaves n in the low bits
# of the sum, from where it is shifted into the exponent field. ln2 is split
# into a short high part (n * ln2_hi is exact) and a low part, so that r keeps
# its digits. Softmax only needs x <= 0 (logits minus their maximum); below
# the smallest normal power of two the result is flushed to 0. NaN stays NaN.
#
# The constants are local variables, not module globals, so the compiler
# folds them (a store through the output pointer could alias a global).
# The file is compiled with -fno-trapping-math (the distutils line at the
# top), which lets the compiler turn the two comparisons into vector selects;
# Python never enables floating-point traps, so nothing else changes.

cdef inline float exp_nonpositive_f(float x) noexcept nogil:
    cdef float lowest = -87.0                      # e**-87 > 2**-126, still normal
    cdef float magic = 12582912.0                  # 1.5 * 2**23
    cdef float log2e = 1.44269504088896341
    cdef float ln2_hi = 0.693359375                # 355 / 512: n * ln2_hi is exact
    cdef float ln2_lo = -2.12194440e-4
    cdef float one = 1.0, half = 0.5
    cdef float xc = lowest if x < lowest else x
    cdef float shifted = xc * log2e + magic
    cdef float n = shifted - magic
    cdef float r = (xc - n * ln2_hi) - n * ln2_lo
    cdef float p = one + r * (one + r * (half + r * (<float>(1.0 / 6) + r * (
        <float>(1.0 / 24) + r * (<float>(1.0 / 120) + r * (
            <float>(1.0 / 720) + r * <float>(1.0 / 5040)))))))
    cdef uint32_t bits
    cdef float scale, zero = 0.0
    memcpy(&bits, &shifted, 4)
    bits = (bits + 127u) << 23                     # the low bits of shifted hold n
    memcpy(&scale, &bits, 4)
    return zero if x < lowest else p * scale


cdef inline double exp_nonpositive_d(double x) noexcept nogil:
    cdef double lowest = -708.0                    # e**-708 > 2**-1022, still normal
    cdef double magic = 6755399441055744.0         # 1.5 * 2**52
    cdef double log2e = 1.4426950408889634074
    cdef double ln2_hi = 6.93147180369123816490e-01  # 32 significant bits
    cdef double ln2_lo = 1.90821492927058770002e-10
    cdef double xc = lowest if x < lowest else x
    cdef double shifted = xc * log2e + magic
    cdef double n = shifted - magic
    cdef double r = (xc - n * ln2_hi) - n * ln2_lo
    cdef double p = 1.0 / 6227020800.0             # 1 / 13!, then Horner downwards
    p = 1.0 / 479001600.0 + r * p
    p = 1.0 / 39916800.0 + r * p
    p = 1.0 / 3628800.0 + r * p
    p = 1.0 / 362880.0 + r * p
    p = 1.0 / 40320.0 + r * p
    p = 1.0 / 5040.0 + r * p
    p = 1.0 / 720.0 + r * p
    p = 1.0 / 120.0 + r * p
    p = 1.0 / 24.0 + r * p
    p = 1.0 / 6.0 + r * p
    p = 0.5 + r * p
    p = 1.0 + r * p
    p = 1.0 + r * p
    cdef uint64_t bits
    cdef double scale
    memcpy(&bits, &shifted, 8)
    bits = (bits + 1023u) << 52
    memcpy(&scale, &bits, 8)
    return 0.0 if x < lowest else p * scale


def exp_nonpositive(real[::1] x):
    """e**x in place, for x <= 0, as the kernels compute it (for testing them).

    Examples
    --------
    >>> import numpy as np
    >>> from mxlearn._ext import softmax_ce
    >>> x = np.array([0.0, -1.0, -np.inf])
    >>> softmax_ce.exp_nonpositive(x)
    >>> x.round(6).tolist()
    [1.0, 0.367879, 0.0]
    """
    cdef Py_ssize_t i
    for i in range(x.shape[0]):
        if real is float:
            x[i] = exp_nonpositive_f(x[i])
        else:
            x[i] = exp_nonpositive_d(x[i])


# ------------------------------------------------------------------ kernels --

cdef enum:
    # Independent running maxima and sums per row: with a single running
    # value every step waits for the one before (4 cycles per add).
    LANES = 8


cdef inline double softmax_row(const real* x, real* p, Py_ssize_t c,
                               real* row_max) noexcept nogil:
    """Softmax of the ``c`` values at ``x`` into ``p``.

    Returns the sum of ``exp(x - max)`` and stores the maximum in ``row_max``:
    the log-sum-exp is ``max + log(sum)``, computed only where a loss is wanted
    (a log per row costs as much as the rest of a 10-class row).
    """
    cdef Py_ssize_t k, lane, blocks = c // LANES
    cdef real lane_max[LANES]
    cdef double lane_sum[LANES]
    cdef real m
    cdef double total = 0.0
    cdef real inv
    for lane in range(LANES):
        lane_max[lane] = x[0]
        lane_sum[lane] = 0.0
    for k in range(blocks):
        for lane in range(LANES):
            if x[k * LANES + lane] > lane_max[lane]:
                lane_max[lane] = x[k * LANES + lane]
    m = lane_max[0]
    for lane in range(1, LANES):
        if lane_max[lane] > m:
            m = lane_max[lane]
    for k in range(blocks * LANES, c):
        if x[k] > m:
            m = x[k]
    # The exp loop and the scaling loop have no loop-carried dependence and
    # compile to SIMD code; the sums stay in a loop of their own.
    for k in range(c):
        if real is float:
            p[k] = exp_nonpositive_f(x[k] - m)
        else:
            p[k] = exp_nonpositive_d(x[k] - m)
    for k in range(blocks):
        for lane in range(LANES):
            lane_sum[lane] += p[k * LANES + lane]
    for lane in range(LANES):
        total += lane_sum[lane]
    for k in range(blocks * LANES, c):
        total += p[k]
    inv = <real>(1.0 / total)
    for k in range(c):
        p[k] = p[k] * inv
    row_max[0] = m
    return total


cdef double forward_rows(const real[:, ::1] x, real[:, ::1] prob,
                         const int64_t[::1] labels, bint has_labels,
                         real[::1] loss, bint has_loss, int64_t ignore_label,
                         bint use_ignore, Py_ssize_t start, Py_ssize_t stop,
                         Py_ssize_t* bad) noexcept nogil:
    """Softmax of rows ``[start, stop)``; returns their loss, counts bad labels in ``bad``."""
    cdef Py_ssize_t c = x.shape[1], i
    cdef int64_t y
    cdef double total = 0.0, row_sum, row_loss
    cdef real m
    for i in range(start, stop):
        row_sum = softmax_row(&x[i, 0], &prob[i, 0], c, &m)
        if has_labels:
            row_loss = 0.0
            y = labels[i]
            if use_ignore and y == ignore_label:
                pass
            elif y < 0 or y >= c:
                bad[0] += 1
            elif has_loss:
                row_loss = log(row_sum) + m - x[i, y]
                total += row_loss
            if has_loss:
                loss[i] = <real>row_loss
    return total


cdef tuple forward_all(const real[:, ::1] x, real[:, ::1] prob, const int64_t[::1] labels,
                       real[::1] loss, int64_t ignore_label, bint use_ignore):
    cdef Py_ssize_t n = x.shape[0], c = x.shape[1], t, part
    cdef Py_ssize_t bad = 0, bad_part
    cdef bint has_labels = labels is not None
    cdef bint has_loss = loss is not None
    cdef double total = 0.0
    if prob.shape[0] != n or prob.shape[1] != c:
        raise ValueError('prob must have the shape of x')
    if has_labels and labels.shape[0] != n:
        raise ValueError('labels must have one entry per row of x')
    if has_loss and (not has_labels or loss.shape[0] != n):
        raise ValueError('loss needs labels and must have their shape')
    if c == 0 or n == 0:
        return 0.0, 0
    if n * c < PARALLEL_THRESHOLD:
        # Even an OpenMP region that runs on one thread costs microseconds:
        # small batches (a 128 x 10 classifier head) skip it.
        with nogil:
            total = forward_rows(x, prob, labels, has_labels, loss, has_loss, ignore_label,
                                 use_ignore, 0, n, &bad)
        return total, bad
    part = min(n, PARTS)
    for t in prange(part, nogil=True, schedule='dynamic'):
        bad_part = 0
        total += forward_rows(x, prob, labels, has_labels, loss, has_loss, ignore_label,
                              use_ignore, t * n // part, (t + 1) * n // part, &bad_part)
        bad += bad_part
    return total, bad


def forward(x, prob, labels=None, loss=None, int64_t ignore_label=-1, bint use_ignore=False):
    """Softmax of each row of ``x`` into ``prob``, and the loss at ``labels``.

    Parameters
    ----------
    x : float32 or float64 array, C-contiguous, shape (rows, classes)
    prob : array like ``x``
        Receives the probabilities.
    labels : int64 array, C-contiguous, shape (rows,), optional
        Class indices, checked to lie in ``[0, classes)``.
    loss : array of x's dtype, C-contiguous, shape (rows,), optional
        Receives ``-log prob[label]`` of each row (0 where the label is
        ignored or out of range). Without it no loss is computed.
    ignore_label : int
        With ``use_ignore``, rows with this label are not counted as out of
        range.
    use_ignore : bool

    Returns
    -------
    (float, int)
        The sum of the loss, and how many labels were outside
        ``[0, classes)`` (and not ignored).
    """
    # Choosing the float32 or float64 version by hand is faster than
    # Cython's generic dispatch on fused arguments.
    if x.dtype == FLOAT32:
        return forward_all[float](x, prob, labels, loss, ignore_label, use_ignore)
    return forward_all[double](x, prob, labels, loss, ignore_label, use_ignore)


cdef void backward_rows(const real[:, ::1] prob, const int64_t[::1] labels,
                        real[:, ::1] grad, double scale, double on, double off,
                        int64_t ignore_label, bint use_ignore,
                        const real[::1] ograd, bint has_ograd,
                        Py_ssize_t start, Py_ssize_t stop) noexcept nogil:
    """The gradient of rows ``[start, stop)``; ``on``, ``off``: targets at the label, elsewhere."""
    cdef Py_ssize_t c = prob.shape[1], i, k
    cdef int64_t y
    cdef const real* p
    cdef real* g
    cdef real sc, sc_off
    for i in range(start, stop):
        p = &prob[i, 0]
        g = &grad[i, 0]
        y = labels[i]
        if use_ignore and y == ignore_label:
            for k in range(c):
                g[k] = 0
            continue
        sc = <real>(scale * ograd[i] if has_ograd else scale)
        sc_off = sc * <real>off
        # Subtract the off-label target everywhere, then fix up the one
        # label: no branch in the loop over classes.
        for k in range(c):
            g[k] = p[k] * sc - sc_off
        if 0 <= y < c:
            g[y] = (p[y] - <real>on) * sc


cdef backward_all(const real[:, ::1] prob, const int64_t[::1] labels, real[:, ::1] grad,
                  double scale, int64_t ignore_label, bint use_ignore, double smooth_alpha,
                  const real[::1] ograd):
    cdef Py_ssize_t n = prob.shape[0], c = prob.shape[1], t, part
    cdef bint has_ograd = ograd is not None
    cdef double on = 1.0 - smooth_alpha
    cdef double off = smooth_alpha / (c - 1) if c > 1 else 0.0
    if grad.shape[0] != n or grad.shape[1] != c or labels.shape[0] != n:
        raise ValueError('grad must have the shape of prob, labels one entry per row')
    if has_ograd and ograd.shape[0] != n:
        raise ValueError('ograd must have one entry per row')
    if c == 0 or n == 0:
        return
    if n * c < PARALLEL_THRESHOLD:
        with nogil:
            backward_rows(prob, labels, grad, scale, on, off, ignore_label, use_ignore,
                          ograd, has_ograd, 0, n)
        return
    part = min(n, PARTS)
    for t in prange(part, nogil=True, schedule='dynamic'):
        backward_rows(prob, labels, grad, scale, on, off, ignore_label, use_ignore,
                      ograd, has_ograd, t * n // part, (t + 1) * n // part)


def backward(prob, labels, grad, double scale, int64_t ignore_label=-1,
             bint use_ignore=False, double smooth_alpha=0.0, ograd=None):
    """``grad = (prob - target) * scale [* ograd]`` with one-hot (smoothed) targets.

    Parameters
    ----------
    prob : float32 or float64 array, C-contiguous, shape (rows, classes)
        The softmax probabilities (the forward's output).
    labels : int64 array, C-contiguous, shape (rows,)
        Class indices; one outside ``[0, classes)`` has an all-zero target.
    grad : array like ``prob``
        Receives the gradient.
    scale : float
    ignore_label : int
    use_ignore : bool
        Rows labelled ``ignore_label`` get a zero gradient.
    smooth_alpha : float
        Label smoothing: the target is ``1 - smooth_alpha`` at the label and
        ``smooth_alpha / (classes - 1)`` at every other class.
    ograd : array of prob's dtype, C-contiguous, shape (rows,), optional
        One more factor per row (the gradient of a per-row loss).
    """
    if prob.dtype == FLOAT32:
        backward_all[float](prob, labels, grad, scale, ignore_label, use_ignore,
                            smooth_alpha, ograd)
    else:
        backward_all[double](prob, labels, grad, scale, ignore_label, use_ignore,
                             smooth_alpha, ograd)
