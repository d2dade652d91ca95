"""Batch normalization on the GPU: per-channel statistics, then one affine pass.

The twins of ``ext/batchnorm.pyx`` (and of ``_batchnorm_reference`` /
``_batchnorm_backward_reference`` in ``mxlearn.operator.normalization``), on
data viewed as a C-contiguous ``(outer, C, inner)`` array, with float32 or
float64 data and parameters of the same dtype.

Each direction is two kernels:

1. a RawKernel with one thread block per channel, which sums over the
   channel's ``outer * inner`` values (block reduction in shared memory, in
   double precision, around the channel's first value to avoid cancellation)
   and turns the sums into per-channel coefficients;
2. an ElementwiseKernel that applies them to every element:
   ``out = a[c] * x + b[c]`` forward, ``dx = A[c] * dy + B[c] * x + D[c]``
   backward.

In the forward pass, training mode uses the batch's mean and biased variance
and moves the moving statistics towards them in place; otherwise the moving
statistics are used. The backward pass differentiates through the batch
statistics when ``batch_stats`` is set:
``dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat))``.
"""
import functools

import numpy

__all__ = ['forward', 'backward']

_THREADS = 256

_CHANNEL_KERNELS = r'''
// The sum of v over the block (every thread gets it); shared holds blockDim.x doubles.
__device__ double block_sum(double v, double* shared) {
    shared[threadIdx.x] = v;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) shared[threadIdx.x] += shared[threadIdx.x + half];
        __syncthreads();
    }
    double total = shared[0];
    __syncthreads();
    return total;
}

// Offset of the j-th value of channel c in an (outer, C, inner) array.
__device__ long long at(long long j, long long c, long long C, long long inner) {
    return ((j / inner) * C + c) * inner + j % inner;
}

template <typename T>
__global__ void bn_forward_channels(const T* x, const T* gamma, const T* beta,
                                    T* moving_mean, T* moving_var, T* mean_out, T* invstd_out,
                                    double* a, double* b, long long C, long long inner,
                                    long long n, double eps, double momentum, int training) {
    __shared__ double shared[256];
    const long long c = blockIdx.x;
    double mean = (double)moving_mean[c], var = (double)moving_var[c];
    if (training) {
        const double shift = (double)x[at(0, c, C, inner)];
        double s1 = 0.0, s2 = 0.0;
        for (long long j = threadIdx.x; j < n; j += blockDim.x) {
            double v = (double)x[at(j, c, C, inner)] - shift;
            s1 += v;
            s2 += v * v;
        }
        s1 = block_sum(s1, shared) / n;
        s2 = block_sum(s2, shared) / n;
        mean = shift + s1;
        var = fmax(s2 - s1 * s1, 0.0);
    }
    if (threadIdx.x == 0) {
        if (training) {
            moving_mean[c] = (T)(moving_mean[c] * momentum + mean * (1.0 - momentum));
            moving_var[c] = (T)(moving_var[c] * momentum + var * (1.0 - momentum));
        }
        const double invstd = 1.0 / sqrt(var + eps);
        mean_out[c] = (T)mean;
        invstd_out[c] = (T)invstd;
        a[c] = (double)gamma[c] * invstd;
        b[c] = (double)beta[c] - mean * a[c];
    }
}

template <typename T>
__global__ void bn_backward_channels(const T* dy, const T* x, const T* gamma,
                                     const T* moving_mean, const T* moving_var,
                                     T* dgamma, T* dbeta, double* A, double* B, double* D,
                                     long long C, long long inner, long long n, double eps,
                                     int batch_stats) {
    __shared__ double shared[256];
    const long long c = blockIdx.x;
    const double shift = batch_stats ? (double)x[at(0, c, C, inner)] : (double)moving_mean[c];
    double sdy = 0.0, sdyx = 0.0, sx = 0.0, sxx = 0.0;
    for (long long j = threadIdx.x; j < n; j += blockDim.x) {
        const long long k = at(j, c, C, inner);
        const double g = (double)dy[k], v = (double)x[k] - shift;
        sdy += g;
        sdyx += g * v;
        sx += v;
        sxx += v * v;
    }
    sdy = block_sum(sdy, shared);
    sdyx = block_sum(sdyx, shared);
    sx = block_sum(sx, shared) / n;
    sxx = block_sum(sxx, shared) / n;
    if (threadIdx.x == 0) {
        const double mean = batch_stats ? shift + sx : shift;
        const double var = batch_stats ? fmax(sxx - sx * sx, 0.0) : (double)moving_var[c];
        const double invstd = 1.0 / sqrt(var + eps);
        const double dg = invstd * (sdyx - (mean - shift) * sdy);
        const double scale = (double)gamma[c] * invstd;
        dgamma[c] = (T)dg;
        dbeta[c] = (T)sdy;
        A[c] = scale;
        B[c] = batch_stats ? -scale * invstd * dg / n : 0.0;
        D[c] = batch_stats ? -scale * sdy / n - B[c] * mean : 0.0;
    }
}
'''

_SUFFIX = {numpy.dtype(numpy.float32): '<float>', numpy.dtype(numpy.float64): '<double>'}


@functools.cache
def _channel_module():
    import cupy
    names = tuple(k + s for k in ('bn_forward_channels', 'bn_backward_channels')
                  for s in _SUFFIX.values())
    return cupy.RawModule(code=_CHANNEL_KERNELS, name_expressions=names)


@functools.cache
def _affine_kernel():
    import cupy
    return cupy.ElementwiseKernel(
        'T x, raw float64 a, raw float64 b, int64 C, int64 inner', 'T y',
        'long long c = (i / inner) % C; y = (T)(a[c] * x + b[c]);',
        'mxlearn_bn_affine')


@functools.cache
def _input_grad_kernel():
    import cupy
    return cupy.ElementwiseKernel(
        'T dy, T x, raw float64 A, raw float64 B, raw float64 D, int64 C, int64 inner', 'T dx',
        'long long c = (i / inner) % C; dx = (T)(A[c] * dy + B[c] * x + D[c]);',
        'mxlearn_bn_input_grad')


def _launch(name, dtype, channels, args):
    kernel = _channel_module().get_function(name + _SUFFIX[dtype])
    kernel((channels,), (_THREADS,), args)


def forward(x3, gamma, beta, moving_mean, moving_var, eps, momentum, training):
    """``(out, mean, invstd)`` of batch normalization of ``x3`` (outer, C, inner).

    In training the moving statistics are updated in place. All arrays are
    CuPy arrays of one dtype, float32 or float64.
    """
    import cupy
    x3 = cupy.ascontiguousarray(x3)
    outer, channels, inner = x3.shape
    mean, invstd = cupy.empty_like(gamma), cupy.empty_like(gamma)
    a, b = cupy.empty(channels, numpy.float64), cupy.empty(channels, numpy.float64)
    out = cupy.empty_like(x3)
    if channels:
        _launch('bn_forward_channels', x3.dtype, channels, (
            x3, cupy.ascontiguousarray(gamma), cupy.ascontiguousarray(beta), moving_mean,
            moving_var, mean, invstd, a, b, numpy.int64(channels), numpy.int64(inner),
            numpy.int64(outer * inner), numpy.float64(eps), numpy.float64(momentum),
            numpy.int32(bool(training))))
    if out.size:
        _affine_kernel()(x3, a, b, channels, inner, out)
    return out, mean, invstd


def backward(dy3, x3, gamma, moving_mean, moving_var, eps, batch_stats):
    """``(dx, dgamma, dbeta)`` of batch normalization for the out-gradient ``dy3``.

    ``x3`` must hold at least one value per channel (the caller handles an
    empty batch).
    """
    import cupy
    x3, dy3 = cupy.ascontiguousarray(x3), cupy.ascontiguousarray(dy3)
    outer, channels, inner = x3.shape
    dgamma, dbeta = cupy.empty_like(gamma), cupy.empty_like(gamma)
    coef = cupy.empty((3, channels), numpy.float64)
    _launch('bn_backward_channels', x3.dtype, channels, (
        dy3, x3, cupy.ascontiguousarray(gamma), cupy.ascontiguousarray(moving_mean),
        cupy.ascontiguousarray(moving_var), dgamma, dbeta, coef[0], coef[1], coef[2],
        numpy.int64(channels), numpy.int64(inner), numpy.int64(outer * inner),
        numpy.float64(eps), numpy.int32(bool(batch_stats))))
    dx = cupy.empty_like(x3)
    _input_grad_kernel()(dy3, x3, coef[0], coef[1], coef[2], channels, inner, dx)
    return dx, dgamma, dbeta
