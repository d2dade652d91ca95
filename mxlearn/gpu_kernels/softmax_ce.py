"""Fused softmax + cross-entropy on the GPU.

The twins of ``ext/softmax_ce.pyx`` (and of ``_softmax_ce_reference`` /
``_softmax_ce_grad_reference`` in ``mxlearn.operator.losses``), on the same
data: logits ``(rows, classes)``, C-contiguous, with int64 labels ``(rows,)``.

``forward`` is a RawKernel with one warp (32 threads) per row: the threads
stride over the classes, and three warp reductions (``__shfl_xor_sync``)
give the row's maximum ``m``, the sum ``s`` of ``exp(x - m)``, and then the
probabilities ``exp(x - m) / s``; the loss is ``log(s) + m - x[label]``
(log-sum-exp, finite even where the probability rounds to zero). It computes
in double precision and counts out-of-range labels in a device counter,
which the caller reads (one small copy to the host) to raise the CPU's error.

``backward`` is an ElementwiseKernel over the gradient:
``(p - target) * scale * ograd[row]``, with the target ``on`` at the label and
``off`` elsewhere (label smoothing), and 0 for rows labelled ``ignore_label``.
"""
import functools

import numpy

__all__ = ['forward', 'backward']

_WARPS_PER_BLOCK = 4

_FORWARD = r'''
template <typename T>
__global__ void softmax_ce_forward(const T* x, T* prob, const long long* labels, T* loss,
                                   long long rows, int classes, int has_labels, int has_loss,
                                   long long ignore_label, int use_ignore,
                                   unsigned long long* bad) {
    const long long row = (long long)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (row >= rows) return;          // a whole warp leaves together
    const T* xr = x + row * classes;
    T* pr = prob + row * classes;

    double m = __longlong_as_double(0xfff0000000000000ULL);    // -infinity
    for (int c = lane; c < classes; c += 32) m = fmax(m, (double)xr[c]);
    for (int step = 16; step > 0; step /= 2) m = fmax(m, __shfl_xor_sync(0xffffffffu, m, step));

    double s = 0.0;
    for (int c = lane; c < classes; c += 32) s += exp((double)xr[c] - m);
    for (int step = 16; step > 0; step /= 2) s += __shfl_xor_sync(0xffffffffu, s, step);

    for (int c = lane; c < classes; c += 32) pr[c] = (T)(exp((double)xr[c] - m) / s);

    if (lane == 0 && has_labels) {
        const long long y = labels[row];
        double l = 0.0;
        if (use_ignore && y == ignore_label) {
        } else if (y < 0 || y >= classes) {
            atomicAdd(bad, 1ULL);
        } else {
            l = log(s) + m - (double)xr[y];
        }
        if (has_loss) loss[row] = (T)l;
    }
}
'''

_NAMES = {numpy.dtype(numpy.float32): 'softmax_ce_forward<float>',
          numpy.dtype(numpy.float64): 'softmax_ce_forward<double>'}


@functools.cache
def _forward_module():
    import cupy
    return cupy.RawModule(code=_FORWARD, name_expressions=tuple(_NAMES.values()))


@functools.cache
def _backward_kernel():
    import cupy
    return cupy.ElementwiseKernel(
        'T prob, raw int64 labels, raw T ograd, int64 ograd_step, int64 classes, T scale, '
        'int64 ignore_label, int32 use_ignore, T on, T off',
        'T grad',
        '''
        long long row = i / classes, c = i % classes;
        long long y = labels[row];
        grad = (use_ignore && y == ignore_label)
               ? (T)0 : (prob - (c == y ? on : off)) * scale * ograd[row * ograd_step];
        ''',
        'mxlearn_softmax_ce_backward')


def forward(x, labels=None, loss=None, ignore_label=None):
    """Softmax of each row of ``x`` (rows, classes) and, with ``labels``, the loss per row.

    Parameters
    ----------
    x : cupy.ndarray
        float32 or float64 logits.
    labels : cupy.ndarray of int64, shape (rows,), optional
    loss : cupy.ndarray of x's dtype, shape (rows,), optional
        Receives ``-log p[label]`` (0 for an ignored or bad label).
    ignore_label : int, optional

    Returns
    -------
    (cupy.ndarray, int)
        The probabilities, and how many labels were out of range (those not
        equal to ``ignore_label``).
    """
    import cupy
    x = cupy.ascontiguousarray(x)
    if labels is not None:
        labels = cupy.ascontiguousarray(labels, dtype=numpy.int64)
    rows, classes = x.shape
    prob = cupy.empty_like(x)
    bad = cupy.zeros(1, dtype=numpy.uint64)
    if rows and classes:
        kernel = _forward_module().get_function(_NAMES[x.dtype])
        blocks = (rows + _WARPS_PER_BLOCK - 1) // _WARPS_PER_BLOCK
        kernel((blocks,), (32 * _WARPS_PER_BLOCK,), (
            x, prob, labels if labels is not None else bad,
            loss if loss is not None else prob,
            numpy.int64(rows), numpy.int32(classes), numpy.int32(labels is not None),
            numpy.int32(loss is not None),
            numpy.int64(-1 if ignore_label is None else ignore_label),
            numpy.int32(ignore_label is not None), bad))
    # Reading the counter waits for the kernel: the price of the CPU's error.
    return prob, int(bad.get()[0]) if labels is not None else 0


def backward(prob, labels, scale, ignore_label=None, smooth_alpha=0.0, ograd=None):
    """``(prob - target) * scale [* ograd per row]`` for ``prob`` (rows, classes).

    ``ograd`` is None, one value, or one value per row.
    """
    import cupy
    rows, classes = prob.shape
    on = 1.0 - smooth_alpha
    off = smooth_alpha / (classes - 1) if classes > 1 else 0.0
    if ograd is None:
        ograd = cupy.ones(1, dtype=prob.dtype)
    ograd = cupy.ascontiguousarray(ograd.reshape(-1), dtype=prob.dtype)
    step = 0 if ograd.size == 1 else 1
    grad = cupy.empty_like(prob)
    t = prob.dtype.type
    _backward_kernel()(prob, labels, ograd, step, classes, t(scale),
                       -1 if ignore_label is None else ignore_label,
                       int(ignore_label is not None), t(on), t(off), grad)
    return grad
