"""Max, average and sum pooling on the GPU, forward and backward.

The twins of ``ext/pooling.pyx`` (and of ``pool_reference`` /
``pool_backward_reference`` in ``mxlearn.operator.pooling``), with the same
conventions: the input is a stack of planes ``(P, D, H, W)`` (1-D and 2-D
pooling have D = 1, H = 1), the geometry is given as 3-tuples ``(d, h, w)``,
and the part of a window outside the input is skipped, so padding never
wins a max and adds nothing to a sum; an empty window gives the lowest
finite value (max, with argmax -1) or 0. ``divisor`` is the CPU kernels'
code: 0 a plain sum, 1 the window clipped to the padded input
(``count_include_pad=True``), 2 the input elements in the window.

Each kernel is a CuPy ElementwiseKernel over its output, one thread per
element:

- the forwards walk the window of one output;
- the backwards *gather*: each input element visits the few outputs whose
  windows hold it (``ceil(k / s)`` per axis) and adds their share, so no two
  threads write the same element and no atomics are needed.
"""
import functools

import numpy

__all__ = ['max_forward', 'sum_forward', 'max_backward', 'sum_backward']

_PREAMBLE = '''
// The outputs o in [first, last) whose window [o*s - p, o*s - p + k) holds pos.
__device__ long long mxl_first_out(long long pos, int k, int s, int p) {
    long long num = pos + p - k + 1;
    return num <= 0 ? 0 : (num + s - 1) / s;
}
__device__ long long mxl_last_out(long long pos, int s, int p, long long out) {
    long long last = (pos + p) / s + 1;
    return last < out ? last : out;
}
// How many positions of window o an average divides by (see the module docstring).
__device__ double mxl_count(long long o, int k, int s, int p, long long n, int divisor) {
    long long start = o * s - p, end = start + k;
    long long lo = divisor == 1 ? -p : 0, hi = divisor == 1 ? n + p : n;
    if (start < lo) start = lo;
    if (end > hi) end = hi;
    return end > start ? (double)(end - start) : 0.0;
}
__device__ double mxl_scale(long long od, long long oh, long long ow,
                            long long D, long long H, long long W,
                            int kd, int kh, int kw, int sd, int sh, int sw,
                            int pd, int ph, int pw, int divisor) {
    if (divisor == 0) return 1.0;
    double c = mxl_count(od, kd, sd, pd, D, divisor) * mxl_count(oh, kh, sh, ph, H, divisor)
               * mxl_count(ow, kw, sw, pw, W, divisor);
    return c > 0 ? 1.0 / c : 0.0;
}
'''

# The geometry every kernel takes, after its own arrays.
_GEOMETRY = ('int64 D, int64 H, int64 W, int64 OD, int64 OH, int64 OW, int32 kd, int32 kh, '
             'int32 kw, int32 sd, int32 sh, int32 sw, int32 pd, int32 ph, int32 pw')

# An output's (plane, od, oh, ow) and its window clipped to the input.
_OUTPUT_WINDOW = '''
    long long ow = i % OW, oh = (i / OW) % OH, od = (i / (OW * OH)) % OD;
    long long plane = i / (OW * OH * OD);
    long long d0 = od * sd - pd, h0 = oh * sh - ph, w0 = ow * sw - pw;
    long long d1 = min(d0 + kd, D), h1 = min(h0 + kh, H), w1 = min(w0 + kw, W);
    d0 = max(d0, 0LL); h0 = max(h0, 0LL); w0 = max(w0, 0LL);
    const long long base = plane * D * H * W;
'''

# An input's (plane, d, h, w) and the range of outputs whose windows hold it.
_INPUT_OUTPUTS = '''
    long long w = i % W, h = (i / W) % H, d = (i / (W * H)) % D;
    long long plane = i / (W * H * D);
    long long od0 = mxl_first_out(d, kd, sd, pd), od1 = mxl_last_out(d, sd, pd, OD);
    long long oh0 = mxl_first_out(h, kh, sh, ph), oh1 = mxl_last_out(h, sh, ph, OH);
    long long ow0 = mxl_first_out(w, kw, sw, pw), ow1 = mxl_last_out(w, sw, pw, OW);
    const long long out_base = plane * OD * OH * OW;
'''

# The loops of a forward over the input elements of its window (after
# _OUTPUT_WINDOW), and of a backward over the outputs holding its element
# (after _INPUT_OUTPUTS); the kernel's statement for each one follows.
_EACH_IN_WINDOW = '''
    for (long long d = d0; d < d1; ++d)
        for (long long h = h0; h < h1; ++h)
            for (long long w = w0; w < w1; ++w)'''
_EACH_OUTPUT = '''
    for (long long od = od0; od < od1; ++od)
        for (long long oh = oh0; oh < oh1; ++oh)
            for (long long ow = ow0; ow < ow1; ++ow)'''


def _kernel(name, inputs, outputs, body):
    import cupy
    return cupy.ElementwiseKernel(inputs + ', ' + _GEOMETRY, outputs, body,
                                  'mxlearn_pool_' + name, preamble=_PREAMBLE)


@functools.cache
def _max_forward():
    return _kernel('max_forward', 'raw T x, T lowest', 'T y, int32 arg', _OUTPUT_WINDOW + '''
    T best = lowest;
    long long best_i = -1;''' + _EACH_IN_WINDOW + ''' {
                long long at = (d * H + h) * W + w;
                T v = x[base + at];
                // Strictly greater: the first largest wins ties, NaN never wins.
                if (v > best) { best = v; best_i = at; }
            }
    y = best;
    arg = (int)best_i;
    ''')


@functools.cache
def _sum_forward():
    return _kernel('sum_forward', 'raw T x, int32 divisor', 'T y', _OUTPUT_WINDOW + '''
    double total = 0;''' + _EACH_IN_WINDOW + '''
                total += (double)x[base + (d * H + h) * W + w];
    y = (T)(total * mxl_scale(od, oh, ow, D, H, W, kd, kh, kw, sd, sh, sw, pd, ph, pw,
                              divisor));
    ''')


@functools.cache
def _max_backward():
    return _kernel('max_backward', 'raw T dy, raw int32 arg', 'T dx', _INPUT_OUTPUTS + '''
    const long long at = (d * H + h) * W + w;
    T total = 0;''' + _EACH_OUTPUT + ''' {
                long long q = out_base + (od * OH + oh) * OW + ow;
                if (arg[q] == at) total += dy[q];
            }
    dx = total;
    ''')


@functools.cache
def _sum_backward():
    return _kernel('sum_backward', 'raw T dy, int32 divisor', 'T dx', _INPUT_OUTPUTS + '''
    double total = 0;''' + _EACH_OUTPUT + '''
                total += (double)dy[out_base + (od * OH + oh) * OW + ow]
                         * mxl_scale(od, oh, ow, D, H, W, kd, kh, kw, sd, sh, sw,
                                     pd, ph, pw, divisor);
    dx = (T)total;
    ''')


def _geometry(size, out, kernel, stride, pad):
    return tuple(size) + tuple(out) + tuple(kernel) + tuple(stride) + tuple(pad)


def max_forward(x, out_size, kernel, stride, pad):
    """Max pooling of planes ``x`` (P, D, H, W): ``(out, argmax)`` of shape (P,) + out_size.

    ``argmax`` holds the flat in-plane index ``(d*H + h)*W + w`` of each
    window's first largest element (-1 for an empty window).
    """
    import cupy
    shape = x.shape[:1] + tuple(out_size)
    out = cupy.empty(shape, dtype=x.dtype)
    arg = cupy.empty(shape, dtype=numpy.int32)
    if out.size:
        _max_forward()(cupy.ascontiguousarray(x), x.dtype.type(numpy.finfo(x.dtype).min),
                       *_geometry(x.shape[1:], out_size, kernel, stride, pad), out, arg)
    return out, arg


def sum_forward(x, out_size, kernel, stride, pad, divisor):
    """Sum (``divisor`` 0) or average (1, 2) pooling of planes ``x`` (P, D, H, W)."""
    import cupy
    out = cupy.empty(x.shape[:1] + tuple(out_size), dtype=x.dtype)
    if out.size:
        _sum_forward()(cupy.ascontiguousarray(x), divisor,
                       *_geometry(x.shape[1:], out_size, kernel, stride, pad), out)
    return out


def max_backward(grad, argmax, in_size, kernel, stride, pad):
    """The input gradient (P,) + in_size of max pooling: ``grad`` added at ``argmax``."""
    import cupy
    dx = cupy.empty(grad.shape[:1] + tuple(in_size), dtype=grad.dtype)
    if dx.size:
        _max_backward()(cupy.ascontiguousarray(grad),
                        cupy.ascontiguousarray(argmax, dtype=numpy.int32),
                        *_geometry(in_size, grad.shape[1:], kernel, stride, pad), dx)
    return dx


def sum_backward(grad, in_size, kernel, stride, pad, divisor):
    """The input gradient (P,) + in_size of sum or average pooling."""
    import cupy
    dx = cupy.empty(grad.shape[:1] + tuple(in_size), dtype=grad.dtype)
    if dx.size:
        _sum_backward()(cupy.ascontiguousarray(grad), divisor,
                        *_geometry(in_size, grad.shape[1:], kernel, stride, pad), dx)
    return dx
