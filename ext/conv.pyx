# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
"""im2col and col2im: the memory shuffles around the GEMM of a convolution.

A 2-D convolution of ``x`` (batch N, C channels, H x W) with F filters of
C x kh x kw becomes one matrix product once every input patch is laid out as a
column: ``im2col`` writes the matrix ``col`` of shape ``(C*kh*kw, N*OH*OW)``
whose row ``(c*kh + i)*kw + j`` holds, for every sample and output pixel, the
input value that kernel tap ``(c, i, j)`` multiplies::

    col[(c*kh + i)*kw + j, (n*OH + oy)*OW + ox] = x[n, c, oy*sh - ph + i*dh, ox*sw - pw + j*dw]

(zero where that position falls in the padding). Then ``out = weight.reshape(F, -1) @ col``.
``col2im`` is the adjoint (the transpose) of ``im2col``: it adds every entry of
``col`` back onto the input position it was read from, which is what the data
gradient of a convolution (and the forward of a transposed convolution) needs.

Both functions work on one ``(n, c)`` input plane per task, so the tasks touch
disjoint memory (col2im needs no atomics) and are spread over OpenMP threads
with ``prange`` when the matrix is large enough to pay for waking them.
For each kernel tap the ranges of output rows and columns that read inside
the image are computed once; what reads the padding is zero-filled and the
rest is copied (or added) as one 2-D block.

The ``mxlearn.operator.conv`` module holds the numpy reference of both
(``_im2col_reference``, ``_col2im_reference``) that these kernels are tested
against.

Examples
--------
>>> import numpy as np
>>> from mxlearn._ext import conv
>>> x = np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3)
>>> col = np.empty((4, 4), dtype=np.float32)        # 2x2 kernel, 2x2 output
>>> conv.im2col(x, col, 2, 2, 1, 1, 0, 0, 1, 1)
>>> col[0]                                          # tap (0, 0) of each output pixel
array([0., 1., 3., 4.], dtype=float32)
>>> back = np.empty_like(x)
>>> conv.col2im(np.ones_like(col), back, 2, 2, 1, 1, 0, 0, 1, 1)
>>> back[0, 0]                                      # how many patches cover each pixel
array([[1., 2., 1.],
       [2., 4., 2.],
       [1., 2., 1.]], dtype=float32)
"""
from cython cimport floating
from cython.parallel cimport prange
from libc.string cimport memset

ctypedef struct Geometry:
    Py_ssize_t n, c, height, width      # input planes
    Py_ssize_t kh, kw, sh, sw, ph, pw, dh, dw
    Py_ssize_t oh, ow                   # output size
    Py_ssize_t row_stride               # columns of col: n * oh * ow


# Threads are woken only for large matrices. On small ones waking them costs
# more than they save; and on a machine shared with other busy processes, a
# thread that is not scheduled stalls the whole parallel loop (measured: LeNet
# layers 10-20x slower at 2 threads on 2 busy cores, unaffected serially).
cdef Py_ssize_t PARALLEL_THRESHOLD = 1 << 22    # entries of col (16 MB of float32)


cdef inline bint use_threads(const Geometry *g) noexcept nogil:
    return g.c * g.kh * g.kw * g.row_stride >= PARALLEL_THRESHOLD


cdef inline Py_ssize_t ceil_div(Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    # Ceiling of a / b for b > 0 and any sign of a.
    if a >= 0:
        return (a + b - 1) // b
    return -((-a) // b)


cdef inline void valid_range(Py_ssize_t start, Py_ssize_t step, Py_ssize_t size,
                             Py_ssize_t count, Py_ssize_t *lo, Py_ssize_t *hi) noexcept nogil:
    # Outputs k in [lo, hi) of 0..count-1 read input k*step + start inside [0, size).
    # Both ends are clamped into [0, count] with lo <= hi: an empty range
    # must not end below 0, or the zero-filling would write before the row.
    lo[0] = 0 if start >= 0 else ceil_div(-start, step)
    hi[0] = ceil_div(size - start, step)
    if lo[0] > count:
        lo[0] = count
    if hi[0] > count:
        hi[0] = count
    if hi[0] < lo[0]:
        hi[0] = lo[0]


# The per-plane loops copy the geometry into locals and walk each kernel tap
# as a 2-D block from pointers set once per tap: reading the struct inside the
# loops, or recomputing the row pointers per output row, made the compiler
# redo its alias checks per row and was up to twice as slow on small images.

cdef void im2col_plane(const Geometry *g, Py_ssize_t task, const floating *x,
                       floating *col) noexcept nogil:
    # Task ``task`` is plane (n, c) = divmod(task, C): it fills rows
    # c*kh*kw ... (c+1)*kh*kw - 1 of col, in the columns of sample n.
    cdef Py_ssize_t height = g.height, width = g.width, kh = g.kh, kw = g.kw
    cdef Py_ssize_t sh = g.sh, sw = g.sw, oh = g.oh, ow = g.ow, row_stride = g.row_stride
    cdef Py_ssize_t i, j, oy, ox, y0, x0, oy_lo, oy_hi, lo, hi, rows, cols, step
    cdef const floating *plane = x + task * height * width
    cdef floating *taps = col + (task % g.c) * kh * kw * row_stride + (task // g.c) * oh * ow
    cdef const floating *src
    cdef floating *dst
    for i in range(kh):
        y0 = i * g.dh - g.ph
        valid_range(y0, sh, height, oh, &oy_lo, &oy_hi)
        for j in range(kw):
            x0 = j * g.dw - g.pw
            valid_range(x0, sw, width, ow, &lo, &hi)
            dst = taps + (i * kw + j) * row_stride
            # What reads the padding is zero: whole rows above and below ...
            memset(dst, 0, oy_lo * ow * sizeof(floating))
            memset(dst + oy_hi * ow, 0, (oh - oy_hi) * ow * sizeof(floating))
            # ... and a few columns on either side.
            if lo > 0 or hi < ow:
                for oy in range(oy_lo, oy_hi):
                    for ox in range(lo):
                        dst[oy * ow + ox] = 0
                    for ox in range(hi, ow):
                        dst[oy * ow + ox] = 0
            rows, cols = oy_hi - oy_lo, hi - lo
            if rows <= 0 or cols <= 0:
                continue
            dst = dst + oy_lo * ow + lo
            src = plane + (oy_lo * sh + y0) * width + x0 + lo * sw
            step = sh * width
            if sw == 1:
                for oy in range(rows):
                    for ox in range(cols):
                        dst[oy * ow + ox] = src[oy * step + ox]
            else:
                for oy in range(rows):
                    for ox in range(cols):
                        dst[oy * ow + ox] = src[oy * step + ox * sw]


cdef void col2im_plane(const Geometry *g, Py_ssize_t task, const floating *col,
                       floating *x) noexcept nogil:
    # The adjoint of im2col_plane: plane (n, c) is written by this task alone.
    cdef Py_ssize_t height = g.height, width = g.width, kh = g.kh, kw = g.kw
    cdef Py_ssize_t sh = g.sh, sw = g.sw, oh = g.oh, ow = g.ow, row_stride = g.row_stride
    cdef Py_ssize_t i, j, oy, ox, y0, x0, oy_lo, oy_hi, lo, hi, rows, cols, step
    cdef floating *plane = x + task * height * width
    cdef const floating *taps = (col + (task % g.c) * kh * kw * row_stride
                                 + (task // g.c) * oh * ow)
    cdef const floating *src
    cdef floating *dst
    memset(plane, 0, height * width * sizeof(floating))
    for i in range(kh):
        y0 = i * g.dh - g.ph
        valid_range(y0, sh, height, oh, &oy_lo, &oy_hi)
        for j in range(kw):
            x0 = j * g.dw - g.pw
            valid_range(x0, sw, width, ow, &lo, &hi)
            rows, cols = oy_hi - oy_lo, hi - lo
            if rows <= 0 or cols <= 0:
                continue
            src = taps + (i * kw + j) * row_stride + oy_lo * ow + lo
            dst = plane + (oy_lo * sh + y0) * width + x0 + lo * sw
            step = sh * width
            if sw == 1:
                for oy in range(rows):
                    for ox in range(cols):
                        dst[oy * step + ox] += src[oy * ow + ox]
            else:
                for oy in range(rows):
                    for ox in range(cols):
                        dst[oy * step + ox * sw] += src[oy * ow + ox]


cdef void run_im2col(const Geometry *g, const floating *x, floating *col) noexcept nogil:
    cdef Py_ssize_t task
    if use_threads(g):
        for task in prange(g.n * g.c, schedule='static'):
            im2col_plane(g, task, x, col)
    else:
        for task in range(g.n * g.c):
            im2col_plane(g, task, x, col)


cdef void run_col2im(const Geometry *g, const floating *col, floating *x) noexcept nogil:
    cdef Py_ssize_t task
    if use_threads(g):
        for task in prange(g.n * g.c, schedule='static'):
            col2im_plane(g, task, col, x)
    else:
        for task in range(g.n * g.c):
            col2im_plane(g, task, col, x)


cdef Geometry geometry(Py_ssize_t *x_shape, Py_ssize_t *col_shape, Py_ssize_t kh,
                       Py_ssize_t kw, Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t ph,
                       Py_ssize_t pw, Py_ssize_t dh, Py_ssize_t dw) except *:
    cdef Geometry g
    g.n, g.c, g.height, g.width = x_shape[0], x_shape[1], x_shape[2], x_shape[3]
    g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw = kh, kw, sh, sw, ph, pw, dh, dw
    if min(kh, kw, sh, sw, dh, dw) < 1 or min(ph, pw) < 0:
        raise ValueError('kernel, stride and dilation must be positive and padding '
                         'non-negative')
    g.oh = (g.height + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    g.ow = (g.width + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if g.oh < 0 or g.ow < 0:
        raise ValueError('the dilated kernel is larger than the padded input')
    g.row_stride = g.n * g.oh * g.ow
    if col_shape[0] != g.c * kh * kw or col_shape[1] != g.row_stride:
        raise ValueError('col has shape (%d, %d); expected (%d, %d) = (C*kh*kw, N*OH*OW)'
                         % (col_shape[0], col_shape[1], g.c * kh * kw, g.row_stride))
    return g


def im2col(const floating[:, :, :, ::1] x, floating[:, ::1] col, Py_ssize_t kh,
           Py_ssize_t kw, Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t ph, Py_ssize_t pw,
           Py_ssize_t dh, Py_ssize_t dw):
    """Fill ``col`` (C*kh*kw, N*OH*OW) with the patches of ``x`` (N, C, H, W).

    Parameters
    ----------
    x : numpy.ndarray
        C-contiguous float32 or float64 input.
    col : numpy.ndarray
        C-contiguous output of the same dtype; every entry is written.
    kh, kw, sh, sw, ph, pw, dh, dw : int
        Kernel size, stride, zero padding and dilation along height and width.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(4, dtype=np.float64).reshape(1, 1, 1, 4)
    >>> col = np.empty((1, 3))
    >>> im2col(x, col, 1, 1, 1, 2, 0, 1, 1, 1)     # stride 2, padding 1
    >>> col
    array([[0., 1., 3.]])
    """
    cdef Geometry g = geometry(&x.shape[0], &col.shape[0], kh, kw, sh, sw, ph, pw, dh, dw)
    if col.shape[0] * col.shape[1] == 0:
        return
    with nogil:
        run_im2col(&g, &x[0, 0, 0, 0], &col[0, 0])


def col2im(const floating[:, ::1] col, floating[:, :, :, ::1] x, Py_ssize_t kh,
           Py_ssize_t kw, Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t ph, Py_ssize_t pw,
           Py_ssize_t dh, Py_ssize_t dw):
    """Overwrite ``x`` (N, C, H, W) with the sum of the entries of ``col`` read from each position.

    The adjoint of :func:`im2col` with the same arguments: positions that no
    patch reads (in the padding, or past the last full stride) get zero.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.empty((1, 1, 1, 4))
    >>> col2im(np.array([[1.0, 2.0, 3.0]]), x, 1, 1, 1, 2, 0, 1, 1, 1)
    >>> x
    array([[[[0., 2., 0., 3.]]]])
    """
    cdef Geometry g = geometry(&x.shape[0], &col.shape[0], kh, kw, sh, sw, ph, pw, dh, dw)
    if x.shape[0] * x.shape[1] * x.shape[2] * x.shape[3] == 0:
        return
    if col.shape[0] * col.shape[1] == 0:
        x[...] = 0
        return
    with nogil:
        run_col2im(&g, &col[0, 0], &x[0, 0, 0, 0])
