# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""CPU kernels of max, average and sum pooling, forward and backward.

Every kernel works on a stack of independent planes: the caller
(``mxlearn.operator.pooling``) reshapes an ``(N, C, *spatial)`` array into
``(N*C, D, H, W)`` (1-D and 2-D pooling get D = 1 and H = 1), and the planes
are split across OpenMP threads (``prange``). Each thread writes only its own
planes, so the backward kernels accumulate without atomics.

A window of output ``(od, oh, ow)`` starts at ``od*sd - pd`` (and likewise
along H and W) and spans the kernel; the part that falls outside the input
(the padding, or past its end under ``pooling_convention='full'``) is skipped,
so padding never wins a max and adds nothing to a sum. A window with no input
element at all gives the lowest finite value (max) or 0 (avg, sum), and max's
argmax -1.

``kernel``, ``stride`` and ``pad`` arguments are 3-tuples ``(d, h, w)``.
``divisor`` selects what a sum is divided by: ``SUM`` (nothing), ``AVG_PADDED``
(the window clipped to the padded input: ``count_include_pad=True``) or
``AVG_VALID`` (the input elements in the window).

Examples
--------
>>> import numpy as np
>>> from mxlearn._ext import pooling
>>> x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
>>> out = np.empty((1, 1, 2, 2), np.float32)
>>> arg = np.empty((1, 1, 2, 2), np.int32)
>>> pooling.max_forward(x, out, arg, (1, 2, 2), (1, 2, 2), (0, 0, 0))
>>> out[0, 0].tolist(), arg[0, 0].tolist()
([[5.0, 7.0], [13.0, 15.0]], [[5, 7], [13, 15]])
"""
from cython cimport floating
from cython.parallel cimport parallel, prange
from libc.float cimport FLT_MAX, DBL_MAX
from libc.stdint cimport int32_t
from libc.stdlib cimport free, malloc
from libc.string cimport memset

import numpy as np

cdef enum Divisor:
    DIV_SUM = 0
    DIV_PADDED = 1
    DIV_VALID = 2

SUM = DIV_SUM
AVG_PADDED = DIV_PADDED
AVG_VALID = DIV_VALID

# Below this many input elements per call the threads cost more than they save.
cdef Py_ssize_t PARALLEL_THRESHOLD = 32768


cdef struct Geometry:
    Py_ssize_t size[3]
    Py_ssize_t out[3]
    Py_ssize_t kernel[3]
    Py_ssize_t stride[3]
    Py_ssize_t pad[3]
    Py_ssize_t in_plane
    Py_ssize_t out_plane
    # Per axis and output index: the window's first input position and one
    # past its last, clipped to the input (lo >= hi for an empty window).
    Py_ssize_t* lo[3]
    Py_ssize_t* hi[3]
    # Along W, per kernel offset kw: the outputs whose window position kw
    # lies inside the input, first to one past the last.
    Py_ssize_t* w_first
    Py_ssize_t* w_last
    # Per output of a plane: what its sum is multiplied by (1/divisor, or 0
    # for an empty window).
    double* scale
    # The in-plane offsets of a whole window's elements from its first one,
    # in row-major order (kernel[0]*kernel[1]*kernel[2] of them).
    Py_ssize_t* window
    Py_ssize_t window_size


cdef class Tables:
    """Owns the window tables a Geometry points into."""
    cdef Py_ssize_t[:, ::1] lo
    cdef Py_ssize_t[:, ::1] hi
    cdef Py_ssize_t[::1] w_first
    cdef Py_ssize_t[::1] w_last
    cdef double[::1] scale
    cdef Py_ssize_t[::1] window


cdef inline tuple plane_shape(Py_ssize_t* shape):
    return (shape[1], shape[2], shape[3])


cdef inline Py_ssize_t clip(Py_ssize_t v, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    return lo if v < lo else hi if v > hi else v


cdef inline Py_ssize_t ceil_div(Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    return -((-a) // b) if a < 0 else (a + b - 1) // b


cdef Tables make_geometry(Geometry* g, tuple size, tuple out, tuple kernel, tuple stride,
                          tuple pad, int divisor):
    """Fill ``g`` and its window tables; the returned Tables must outlive ``g``'s use."""
    cdef int d
    cdef Py_ssize_t o, k, start, lo, hi, q, od, oh, ow
    cdef double c
    if not (len(size) == len(out) == len(kernel) == len(stride) == len(pad) == 3):
        raise ValueError('expected (d, h, w) sizes, kernel, stride and pad')
    for d in range(3):
        g.size[d] = size[d]
        g.out[d] = out[d]
        g.kernel[d] = kernel[d]
        g.stride[d] = stride[d]
        g.pad[d] = pad[d]
        if g.kernel[d] < 1 or g.stride[d] < 1 or g.pad[d] < 0 or g.size[d] < 0 \
                or g.out[d] < 0:
            raise ValueError('expected kernel >= 1, stride >= 1, pad >= 0')
    g.in_plane = g.size[0] * g.size[1] * g.size[2]
    g.out_plane = g.out[0] * g.out[1] * g.out[2]
    t = Tables()
    longest = max(max(out), 1)
    t.lo = np.empty((3, longest), dtype=np.intp)
    t.hi = np.empty((3, longest), dtype=np.intp)
    cdef double[:, ::1] count = np.zeros((3, longest), dtype=np.float64)
    for d in range(3):
        for o in range(g.out[d]):
            start = o * g.stride[d] - g.pad[d]
            lo = clip(start, 0, g.size[d])
            hi = clip(start + g.kernel[d], 0, g.size[d])
            t.lo[d, o] = lo
            t.hi[d, o] = hi
            if divisor == DIV_PADDED:
                lo = clip(start, -g.pad[d], g.size[d] + g.pad[d])
                hi = clip(start + g.kernel[d], -g.pad[d], g.size[d] + g.pad[d])
            count[d, o] = hi - lo if hi > lo else 0
    for d in range(3):
        g.lo[d] = &t.lo[d, 0]
        g.hi[d] = &t.hi[d, 0]
    # Output ow sees input column ow*stride - pad + kw, inside [0, W) for ow in
    # [ceil((pad - kw) / stride), floor((W - 1 + pad - kw) / stride)].
    t.w_first = np.empty(g.kernel[2], dtype=np.intp)
    t.w_last = np.empty(g.kernel[2], dtype=np.intp)
    for k in range(g.kernel[2]):
        t.w_first[k] = clip(ceil_div(g.pad[2] - k, g.stride[2]), 0, g.out[2])
        hi = g.size[2] - 1 + g.pad[2] - k
        t.w_last[k] = clip(hi // g.stride[2] + 1, 0, g.out[2]) if hi >= 0 else 0
    g.w_first = &t.w_first[0]
    g.w_last = &t.w_last[0]
    t.scale = np.ones(max(g.out_plane, 1), dtype=np.float64)
    g.scale = &t.scale[0]
    g.window_size = g.kernel[0] * g.kernel[1] * g.kernel[2]
    t.window = np.empty(g.window_size, dtype=np.intp)
    q = 0
    for od in range(g.kernel[0]):
        for oh in range(g.kernel[1]):
            for ow in range(g.kernel[2]):
                t.window[q] = (od * g.size[1] + oh) * g.size[2] + ow
                q += 1
    g.window = &t.window[0]
    if divisor != DIV_SUM:
        q = 0
        for od in range(g.out[0]):
            for oh in range(g.out[1]):
                for ow in range(g.out[2]):
                    c = count[0, od] * count[1, oh] * count[2, ow]
                    t.scale[q] = 1.0 / c if c > 0 else 0.0
                    q += 1
    return t


# ---------------------------------------------------------- one plane --
# Geometry fields are read into locals first: extensions are compiled with
# -fno-strict-aliasing, so every store through an output pointer would
# otherwise make the compiler reload them from ``g``.

cdef void max_plane(const floating* x, floating* y, int32_t* arg, const Geometry* g,
                    floating lowest) noexcept nogil:
    # One output at a time, its best value and position held in registers.
    # A window wholly inside the input (the common case) is walked through
    # its precomputed offsets in one flat loop.
    cdef Py_ssize_t od, oh, ow, d, h, w, j, row, i, best_i, d0, d1, h0, h1, w0, w1, q = 0
    cdef floating best, v
    cdef bint better, inner_dh
    cdef Py_ssize_t OD = g.out[0], OH = g.out[1], OW = g.out[2], H = g.size[1], W = g.size[2]
    cdef Py_ssize_t KD = g.kernel[0], KH = g.kernel[1], KW = g.kernel[2], n = g.window_size
    cdef const Py_ssize_t* lo_d = g.lo[0]
    cdef const Py_ssize_t* hi_d = g.hi[0]
    cdef const Py_ssize_t* lo_h = g.lo[1]
    cdef const Py_ssize_t* hi_h = g.hi[1]
    cdef const Py_ssize_t* lo_w = g.lo[2]
    cdef const Py_ssize_t* hi_w = g.hi[2]
    cdef const Py_ssize_t* window = g.window
    for od in range(OD):
        d0 = lo_d[od]
        d1 = hi_d[od]
        for oh in range(OH):
            h0 = lo_h[oh]
            h1 = hi_h[oh]
            inner_dh = d1 - d0 == KD and h1 - h0 == KH
            for ow in range(OW):
                w0 = lo_w[ow]
                w1 = hi_w[ow]
                best = lowest
                best_i = -1
                if inner_dh and w1 - w0 == KW:
                    row = (d0 * H + h0) * W + w0
                    for j in range(n):
                        i = row + window[j]
                        v = x[i]
                        # Strictly greater than a running best that starts at
                        # ``lowest``: ties keep the first element in row-major
                        # order and NaN never wins, as in MXNet.
                        better = v > best
                        best = v if better else best
                        best_i = i if better else best_i
                else:
                    for d in range(d0, d1):
                        for h in range(h0, h1):
                            row = (d * H + h) * W
                            for w in range(w0, w1):
                                i = row + w
                                v = x[i]
                                better = v > best
                                best = v if better else best
                                best_i = i if better else best_i
                y[q] = best
                arg[q] = <int32_t>best_i
                q += 1


# The sums work one row of outputs (fixed od, oh) at a time: for every input
# row of the windows and every kernel column kw, one pass over the outputs,
# so the innermost loop is long and regular.

cdef void sum_plane(const floating* x, floating* y, const Geometry* g,
                    double* acc) noexcept nogil:
    cdef Py_ssize_t od, oh, ow, d, h, k, base, q, first, last
    cdef Py_ssize_t OD = g.out[0], OH = g.out[1], OW = g.out[2]
    cdef Py_ssize_t H = g.size[1], W = g.size[2], KW = g.kernel[2]
    cdef Py_ssize_t SW = g.stride[2], PW = g.pad[2]
    cdef const Py_ssize_t* lo_d = g.lo[0]
    cdef const Py_ssize_t* hi_d = g.hi[0]
    cdef const Py_ssize_t* lo_h = g.lo[1]
    cdef const Py_ssize_t* hi_h = g.hi[1]
    cdef const Py_ssize_t* w_first = g.w_first
    cdef const Py_ssize_t* w_last = g.w_last
    cdef const double* scale = g.scale
    for od in range(OD):
        for oh in range(OH):
            for ow in range(OW):
                acc[ow] = 0.0
            for d in range(lo_d[od], hi_d[od]):
                for h in range(lo_h[oh], hi_h[oh]):
                    for k in range(KW):
                        base = (d * H + h) * W - PW + k
                        first = w_first[k]
                        last = w_last[k]
                        for ow in range(first, last):
                            acc[ow] += x[base + ow * SW]
            q = (od * OH + oh) * OW
            for ow in range(OW):
                y[q + ow] = <floating>(acc[ow] * scale[q + ow])


cdef void sum_backward_plane(const floating* dy, floating* dx, const Geometry* g,
                             floating* share) noexcept nogil:
    cdef Py_ssize_t od, oh, ow, d, h, k, base, q, first, last
    cdef Py_ssize_t OD = g.out[0], OH = g.out[1], OW = g.out[2]
    cdef Py_ssize_t H = g.size[1], W = g.size[2], KW = g.kernel[2]
    cdef Py_ssize_t SW = g.stride[2], PW = g.pad[2]
    cdef const Py_ssize_t* lo_d = g.lo[0]
    cdef const Py_ssize_t* hi_d = g.hi[0]
    cdef const Py_ssize_t* lo_h = g.lo[1]
    cdef const Py_ssize_t* hi_h = g.hi[1]
    cdef const Py_ssize_t* w_first = g.w_first
    cdef const Py_ssize_t* w_last = g.w_last
    cdef const double* scale = g.scale
    memset(dx, 0, g.in_plane * sizeof(floating))
    for od in range(OD):
        for oh in range(OH):
            q = (od * OH + oh) * OW
            for ow in range(OW):
                share[ow] = <floating>(dy[q + ow] * scale[q + ow])
            for d in range(lo_d[od], hi_d[od]):
                for h in range(lo_h[oh], hi_h[oh]):
                    for k in range(KW):
                        base = (d * H + h) * W - PW + k
                        first = w_first[k]
                        last = w_last[k]
                        for ow in range(first, last):
                            dx[base + ow * SW] += share[ow]


# ------------------------------------------------------------ public --

def max_forward(const floating[:, :, :, ::1] x, floating[:, :, :, ::1] out,
                int32_t[:, :, :, ::1] argmax, tuple kernel, tuple stride, tuple pad):
    """Max pooling of planes ``x`` (P, D, H, W) into ``out`` (P, OD, OH, OW).

    ``argmax`` receives, per output, the flat index ``(d*H + h)*W + w`` of the
    first largest element of its window within the plane (-1 for an empty
    window).
    """
    cdef Geometry g
    cdef Tables keep = make_geometry(&g, plane_shape(x.shape), plane_shape(out.shape),
                                     kernel, stride, pad, DIV_SUM)
    cdef Py_ssize_t p, n = x.shape[0]
    cdef floating lowest
    if floating is float:
        lowest = -FLT_MAX
    else:
        lowest = -DBL_MAX
    check_planes(n, out.shape[0], argmax.shape[0], &g)
    for p in prange(n, nogil=True, schedule='static',
                    use_threads_if=n * g.in_plane > PARALLEL_THRESHOLD):
        max_plane(&x[p, 0, 0, 0], &out[p, 0, 0, 0], &argmax[p, 0, 0, 0], &g, lowest)


def max_backward(const floating[:, ::1] grad, const int32_t[:, ::1] argmax,
                 floating[:, ::1] dx):
    """``dx`` (P, D*H*W) = zeros plus each ``grad[p, q]`` added at ``argmax[p, q]``.

    Positions outside ``[0, D*H*W)`` (-1 marks an empty window) are skipped.
    """
    cdef Py_ssize_t p, q, a, n = dx.shape[0], m = grad.shape[1], size = dx.shape[1]
    if grad.shape[0] != n or argmax.shape[0] != n or argmax.shape[1] != m:
        raise ValueError('grad and argmax must have the same shape, with dx\'s rows')
    if n == 0 or size == 0:
        return
    for p in prange(n, nogil=True, schedule='static',
                    use_threads_if=n * size > PARALLEL_THRESHOLD):
        memset(&dx[p, 0], 0, size * sizeof(floating))
        for q in range(m):
            a = argmax[p, q]
            # One unsigned comparison checks 0 <= a < size.
            if <size_t>a < <size_t>size:
                dx[p, a] += grad[p, q]


def sum_forward(const floating[:, :, :, ::1] x, floating[:, :, :, ::1] out,
                tuple kernel, tuple stride, tuple pad, int divisor):
    """Sum (``divisor=SUM``) or average pooling of planes ``x`` into ``out``."""
    cdef Geometry g
    cdef Tables keep = make_geometry(&g, plane_shape(x.shape), plane_shape(out.shape),
                                     kernel, stride, pad, divisor)
    cdef Py_ssize_t p, n = x.shape[0]
    cdef double* acc
    check_planes(n, out.shape[0], n, &g)
    with nogil, parallel(use_threads_if=n * g.in_plane > PARALLEL_THRESHOLD):
        acc = <double*>malloc(g.out[2] * sizeof(double))
        if acc != NULL:
            for p in prange(n, schedule='static'):
                sum_plane(&x[p, 0, 0, 0], &out[p, 0, 0, 0], &g, acc)
            free(acc)
        else:
            with gil:
                raise MemoryError()


def sum_backward(const floating[:, :, :, ::1] grad, floating[:, :, :, ::1] dx,
                 tuple kernel, tuple stride, tuple pad, int divisor):
    """The gradient of :func:`sum_forward`: each ``grad`` shared over its window."""
    cdef Geometry g
    cdef Tables keep = make_geometry(&g, plane_shape(dx.shape), plane_shape(grad.shape),
                                     kernel, stride, pad, divisor)
    cdef Py_ssize_t p, n = dx.shape[0]
    cdef floating* share
    check_planes(n, grad.shape[0], n, &g)
    with nogil, parallel(use_threads_if=n * g.in_plane > PARALLEL_THRESHOLD):
        share = <floating*>malloc(g.out[2] * sizeof(floating))
        if share != NULL:
            for p in prange(n, schedule='static'):
                sum_backward_plane(&grad[p, 0, 0, 0], &dx[p, 0, 0, 0], &g, share)
            free(share)
        else:
            with gil:
                raise MemoryError()


cdef check_planes(Py_ssize_t n, Py_ssize_t n_out, Py_ssize_t n_arg, const Geometry* g):
    if n_out != n or n_arg != n:
        raise ValueError('the input and output arrays must hold the same number of planes')
    if n == 0 or g.in_plane == 0 or g.out_plane == 0:
        raise ValueError('pooling kernels need non-empty planes')
