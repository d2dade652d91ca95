# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The Embedding gradient: rows of the output gradient added into a zero table.

``scatter_add_rows(grad, index, num_rows)`` returns ``out`` of shape
``(num_rows, D)`` with ``out[index[i]] += grad[i]`` for every row ``i`` of
``grad`` (shape ``(N, D)``); an index that occurs several times receives the
sum of its rows. Indices are clipped into ``[0, num_rows)`` first, as the
Embedding forward clips them.

Why one thread: two rows ``i`` and ``k`` with the same index write the same
output row, so threads that split the *rows* of ``grad`` would race on
repeated indices. Splitting the *columns* into blocks avoids the race (each
thread owns ``out[:, j0:j1]``), and that version was written and measured on
2 cores: at a quiet moment it took 0.64 ms for 4480 rows of 256 floats into a
10000-row table, where one thread takes 0.6 to 0.85 ms, because the loop is
bound by memory traffic rather than arithmetic; with other processes sharing
the cores (as on Binder, or a test run beside other jobs) it was 4 to 13 times
*slower* than one thread, each OpenMP region waiting for its descheduled
threads. One thread, with a contiguous inner loop the compiler vectorises, is
the robust choice.

The numpy reference is ``mxlearn.operator.embedding.embedding_grad_reference``
(``numpy.add.at``), which is also the path for CuPy and other dtypes.

Examples
--------
>>> import numpy as np
>>> from mxlearn._ext import embedding
>>> g = np.array([[1, 2], [3, 4], [5, 6]], dtype=np.float32)
>>> embedding.scatter_add_rows(g, np.array([2, 0, 2]), 3)
array([[3., 4.],
       [0., 0.],
       [6., 8.]], dtype=float32)
"""
import numpy as np

from libc.stdint cimport int64_t

ctypedef fused floating:
    float
    double


cdef void _scatter(const floating[:, ::1] grad, const int64_t[::1] index,
                   floating[:, ::1] out) noexcept nogil:
    cdef Py_ssize_t i, j, r
    cdef Py_ssize_t d = grad.shape[1], last = out.shape[0] - 1
    cdef floating* dst
    cdef const floating* src
    if d == 0:
        return
    for i in range(grad.shape[0]):
        r = index[i]
        if r < 0:
            r = 0
        elif r > last:
            r = last
        # Plain pointers over contiguous rows let the compiler vectorise.
        dst = &out[r, 0]
        src = &grad[i, 0]
        for j in range(d):
            dst[j] += src[j]


def scatter_add_rows(grad, index, Py_ssize_t num_rows):
    """``out = zeros((num_rows, D)); out[index[i]] += grad[i]`` for each row ``i``.

    Parameters
    ----------
    grad : numpy.ndarray
        Shape ``(N, D)``, float32 or float64 (made C-contiguous if it is not).
    index : numpy.ndarray
        ``N`` integer indices (converted to int64); out-of-range ones are
        clipped into ``[0, num_rows)``.
    num_rows : int
        The number of rows of the result (the vocabulary size); at least 1
        when there is any index.

    Returns
    -------
    numpy.ndarray
        Shape ``(num_rows, D)``, ``grad``'s dtype.
    """
    g = np.ascontiguousarray(grad)
    idx = np.ascontiguousarray(index, dtype=np.int64).reshape(-1)
    if g.ndim != 2 or g.shape[0] != idx.shape[0]:
        raise ValueError('expected grad of shape (N, D) and N indices, got shapes %s and %s'
                         % (grad.shape, index.shape))
    if g.dtype != np.float32 and g.dtype != np.float64:
        raise TypeError('expected float32 or float64, got %s' % (g.dtype,))
    if num_rows < 1 and idx.shape[0]:
        raise ValueError('cannot add rows into a table of %d rows' % num_rows)
    out = np.zeros((num_rows, g.shape[1]), dtype=g.dtype)
    if g.dtype == np.float32:
        _run_f32(g, idx, out)
    else:
        _run_f64(g, idx, out)
    return out


cdef _run_f32(const float[:, ::1] g, const int64_t[::1] idx, float[:, ::1] out):
    with nogil:
        _scatter(g, idx, out)


cdef _run_f64(const double[:, ::1] g, const int64_t[::1] idx, double[:, ::1] out):
    with nogil:
        _scatter(g, idx, out)
