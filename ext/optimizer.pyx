# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
# distutils: extra_compile_args = -fno-math-errno -fno-trapping-math
"""Fused optimizer updates for the CPU backend: SGD, SGD with momentum, Adam, RMSProp.

An optimizer step written with numpy makes one pass over memory per
operation: ``g = grad * rescale``, ``g += wd * w``, ``m *= beta1``, ... each
reads and writes whole arrays, about ten passes for Adam. These kernels read
the gradient, the weight and the states once, keep every intermediate value in
registers, and write the weight and the states once. For a large parameter the
step is then limited only by memory bandwidth.

Every kernel updates its arrays **in place** (the weight and the states); the
operators of ``mxlearn.operator.optimizer_updates`` copy the weight first when
the caller wants a new array. Arrays are 1-d, C-contiguous and of one dtype,
float32 or float64 (``mp_*``: float16 weight and gradient, passed as their raw
``uint16`` bits, with float32 master weights and momentum).

Clipping follows MXNet's operators: ``clip_gradient < 0`` turns it off, and
any value ``>= 0`` clips (0 clips every gradient to 0).

The loop over elements is split into chunks of ``CHUNK`` elements; above
``PARALLEL_THRESHOLD`` elements the chunks are shared between OpenMP threads
(``prange``, static schedule). Each chunk is a plain loop over raw pointers,
which the C compiler vectorizes. Two compiler flags (the ``distutils`` line
above) make that possible: ``-fno-math-errno``, because a ``sqrt`` that may set
``errno`` is a function call, not a vector instruction, and
``-fno-trapping-math``, so that the branches of clipping and of the float16
conversions become vector selects. Neither changes a result.

Examples
--------
>>> import numpy as np
>>> from mxlearn._ext import optimizer
>>> w = np.array([1.0, 2.0], dtype=np.float32)
>>> optimizer.sgd_update(w, np.array([10.0, -10.0], dtype=np.float32),
...                      lr=0.1, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0)
>>> w
array([0., 3.], dtype=float32)
"""
from cython.parallel cimport prange
from libc.math cimport sqrt, sqrtf

cdef extern from *:
    """
    #include <math.h>
    #include <stdint.h>
    #include <string.h>

    /* IEEE half <-> single conversion, exact (round to nearest even). Every
       case is computed and the right one selected, without branches, so that
       the compiler can vectorize the loops that call these. */
    static inline float mxl_half_to_float(uint16_t h) {
        uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
        uint32_t magnitude = h & 0x7fffu;
        uint32_t exponent = magnitude >> 10;
        uint32_t normal = (magnitude << 13) + 0x38000000u;    /* rebias 15 -> 127 */
        uint32_t special = (magnitude << 13) | 0x7f800000u;   /* inf, nan */
        float tiny = (float)(h & 0x3ffu) * 5.9604644775390625e-8f;  /* subnormal: m * 2^-24 */
        uint32_t tiny_bits, bits;
        float f;
        memcpy(&tiny_bits, &tiny, 4);
        bits = exponent == 0x1fu ? special : normal;
        bits = exponent == 0 ? tiny_bits : bits;
        bits |= sign;
        memcpy(&f, &bits, 4);
        return f;
    }

    static inline uint16_t mxl_float_to_half(float f) {
        uint32_t x, ax, sign, r, normal, tiny, h;
        float a, shifted;
        memcpy(&x, &f, 4);
        sign = (x >> 16) & 0x8000u;
        ax = x & 0x7fffffffu;
        /* normal half: rebias 127 -> 15 and round the 13 dropped bits to even
           (a carry into the exponent is the correct rounding up) */
        r = ax - 0x38000000u;
        normal = (r + 0x0fffu + ((r >> 13) & 1u)) >> 13;
        /* below 2^-14, a subnormal half: |f| in units of 2^-24, rounded to
           even by the float addition of 2^23; 1024 units, the smallest
           normal half, has the right bits (0x400) too */
        memcpy(&a, &ax, 4);
        shifted = a * 16777216.0f + 8388608.0f;
        memcpy(&tiny, &shifted, 4);
        tiny -= 0x4b000000u;
        h = ax < 0x38800000u ? tiny : normal;
        h = ax >= 0x477ff000u ? 0x7c00u : h;   /* 65520 and above round to inf */
        h = ax > 0x7f800000u ? 0x7e00u : h;    /* nan stays a (quiet) nan */
        return (uint16_t)(sign | h);
    }
    """
    float half_to_float "mxl_half_to_float"(unsigned short h) noexcept nogil
    unsigned short float_to_half "mxl_float_to_half"(float f) noexcept nogil

ctypedef fused real:
    float
    double

# Elements per task, and the size below which threads cost more than they save.
cdef Py_ssize_t CHUNK = 32768
cdef Py_ssize_t PARALLEL_THRESHOLD = 131072


cdef inline real clip(real x, real bound) noexcept nogil:
    return bound if x > bound else (-bound if x < -bound else x)


cdef inline real root(real x) noexcept nogil:
    if real is float:
        return sqrtf(x)
    else:
        return sqrt(x)


# ------------------------------------------------------------- chunks --
# One loop over ``n`` elements starting at the given pointers. ``do_clip`` is
# the same for the whole loop, so the compiler hoists the test out of it.

cdef void sgd_chunk(real* w, const real* g, Py_ssize_t n, real decay, real lr,
                    real rescale, real bound, bint do_clip) noexcept nogil:
    cdef Py_ssize_t i
    cdef real gi
    for i in range(n):
        gi = g[i] * rescale
        if do_clip:
            gi = clip(gi, bound)
        w[i] = decay * w[i] - lr * gi


cdef void sgd_mom_chunk(real* w, const real* g, real* mom, Py_ssize_t n, real momentum,
                        real lr, real lr_wd, real rescale, real bound,
                        bint do_clip) noexcept nogil:
    cdef Py_ssize_t i
    cdef real gi, mi
    for i in range(n):
        gi = g[i] * rescale
        if do_clip:
            gi = clip(gi, bound)
        mi = momentum * mom[i] - lr_wd * w[i] - lr * gi
        mom[i] = mi
        w[i] = w[i] + mi


cdef void mp_sgd_chunk(unsigned short* w16, const unsigned short* g16, float* w32,
                       Py_ssize_t n, float decay, float lr, float rescale, float bound,
                       bint do_clip) noexcept nogil:
    cdef Py_ssize_t i
    cdef float gi, wi
    for i in range(n):
        gi = half_to_float(g16[i]) * rescale
        if do_clip:
            gi = clip(gi, bound)
        wi = decay * w32[i] - lr * gi
        w32[i] = wi
        w16[i] = float_to_half(wi)


cdef void mp_sgd_mom_chunk(unsigned short* w16, const unsigned short* g16, float* mom,
                           float* w32, Py_ssize_t n, float momentum, float lr, float lr_wd,
                           float rescale, float bound, bint do_clip) noexcept nogil:
    cdef Py_ssize_t i
    cdef float gi, mi, wi
    for i in range(n):
        gi = half_to_float(g16[i]) * rescale
        if do_clip:
            gi = clip(gi, bound)
        mi = momentum * mom[i] - lr_wd * w32[i] - lr * gi
        mom[i] = mi
        wi = w32[i] + mi
        w32[i] = wi
        w16[i] = float_to_half(wi)


cdef void adam_chunk(real* w, const real* g, real* mean, real* var, Py_ssize_t n,
                     real lr, real beta1, real beta2, real eps, real wd, real rescale,
                     real bound, bint do_clip) noexcept nogil:
    cdef Py_ssize_t i
    cdef real gi, wi, mi, vi
    cdef real one_minus_beta1 = 1 - beta1
    cdef real one_minus_beta2 = 1 - beta2
    for i in range(n):
        wi = w[i]
        gi = g[i] * rescale + wd * wi
        if do_clip:
            gi = clip(gi, bound)
        mi = beta1 * mean[i] + one_minus_beta1 * gi
        vi = beta2 * var[i] + one_minus_beta2 * gi * gi
        mean[i] = mi
        var[i] = vi
        w[i] = wi - lr * mi / (root(vi) + eps)


cdef void rmsprop_chunk(real* w, const real* g, real* nsq, Py_ssize_t n, real lr,
                        real gamma1, real eps, real wd, real rescale, real bound,
                        bint do_clip, real wbound, bint do_clip_weights) noexcept nogil:
    cdef Py_ssize_t i
    cdef real gi, wi, ni
    cdef real one_minus_gamma1 = 1 - gamma1
    for i in range(n):
        wi = w[i]
        gi = g[i] * rescale + wd * wi
        if do_clip:
            gi = clip(gi, bound)
        ni = one_minus_gamma1 * gi * gi + gamma1 * nsq[i]
        nsq[i] = ni
        wi = wi - lr * gi / root(ni + eps)
        if do_clip_weights:
            wi = clip(wi, wbound)
        w[i] = wi


cdef void rmspropalex_chunk(real* w, const real* g, real* nsq, real* gavg, real* delta,
                            Py_ssize_t n, real lr, real gamma1, real gamma2, real eps,
                            real wd, real rescale, real bound, bint do_clip, real wbound,
                            bint do_clip_weights) noexcept nogil:
    cdef Py_ssize_t i
    cdef real gi, wi, ni, ai, di
    cdef real one_minus_gamma1 = 1 - gamma1
    for i in range(n):
        wi = w[i]
        gi = g[i] * rescale + wd * wi
        if do_clip:
            gi = clip(gi, bound)
        ni = one_minus_gamma1 * gi * gi + gamma1 * nsq[i]
        ai = one_minus_gamma1 * gi + gamma1 * gavg[i]
        di = gamma2 * delta[i] - lr * gi / root(ni - ai * ai + eps)
        nsq[i] = ni
        gavg[i] = ai
        delta[i] = di
        wi = wi + di
        if do_clip_weights:
            wi = clip(wi, wbound)
        w[i] = wi


# ------------------------------------------------------------ kernels --
# Each splits [0, n) into chunks, in parallel when n is large.

cdef inline Py_ssize_t chunk_count(Py_ssize_t n) noexcept nogil:
    return (n + CHUNK - 1) // CHUNK


cdef inline Py_ssize_t chunk_size(Py_ssize_t c, Py_ssize_t n) noexcept nogil:
    return CHUNK if (c + 1) * CHUNK <= n else n - c * CHUNK


def sgd_update(real[::1] weight, const real[::1] grad, *, double lr, double wd,
               double rescale_grad, double clip_gradient):
    """``weight = (1 - lr*wd) * weight - lr * clip(rescale_grad * grad)``, in place."""
    cdef Py_ssize_t n = weight.shape[0], c, s
    cdef real decay = <real>(1.0 - lr * wd)
    cdef bint do_clip = clip_gradient >= 0
    if n == 0:
        return
    with nogil:
        if n < PARALLEL_THRESHOLD:
            sgd_chunk(&weight[0], &grad[0], n, decay, <real>lr, <real>rescale_grad,
                      <real>clip_gradient, do_clip)
        else:
            for c in prange(chunk_count(n), schedule='static'):
                s = c * CHUNK
                sgd_chunk(&weight[s], &grad[s], chunk_size(c, n), decay, <real>lr,
                          <real>rescale_grad, <real>clip_gradient, do_clip)


def sgd_mom_update(real[::1] weight, const real[::1] grad, real[::1] mom, *, double lr,
                   double momentum, double wd, double rescale_grad, double clip_gradient):
    """``mom = momentum*mom - lr*wd*weight - lr*clip(rescale_grad*grad); weight += mom``."""
    cdef Py_ssize_t n = weight.shape[0], c, s
    cdef bint do_clip = clip_gradient >= 0
    if n == 0:
        return
    with nogil:
        if n < PARALLEL_THRESHOLD:
            sgd_mom_chunk(&weight[0], &grad[0], &mom[0], n, <real>momentum, <real>lr,
                          <real>(lr * wd), <real>rescale_grad, <real>clip_gradient, do_clip)
        else:
            for c in prange(chunk_count(n), schedule='static'):
                s = c * CHUNK
                sgd_mom_chunk(&weight[s], &grad[s], &mom[s], chunk_size(c, n),
                              <real>momentum, <real>lr, <real>(lr * wd),
                              <real>rescale_grad, <real>clip_gradient, do_clip)


def mp_sgd_update(unsigned short[::1] weight, const unsigned short[::1] grad,
                  float[::1] weight32, *, double lr, double wd, double rescale_grad,
                  double clip_gradient):
    """``sgd_update`` on the float32 ``weight32``, then ``weight = float16(weight32)``.

    ``weight`` and ``grad`` are float16 arrays viewed as ``uint16``.
    """
    cdef Py_ssize_t n = weight.shape[0], c, s
    cdef float decay = <float>(1.0 - lr * wd)
    cdef bint do_clip = clip_gradient >= 0
    if n == 0:
        return
    with nogil:
        if n < PARALLEL_THRESHOLD:
            mp_sgd_chunk(&weight[0], &grad[0], &weight32[0], n, decay, <float>lr,
                         <float>rescale_grad, <float>clip_gradient, do_clip)
        else:
            for c in prange(chunk_count(n), schedule='static'):
                s = c * CHUNK
                mp_sgd_chunk(&weight[s], &grad[s], &weight32[s], chunk_size(c, n), decay,
                             <float>lr, <float>rescale_grad, <float>clip_gradient, do_clip)


def mp_sgd_mom_update(unsigned short[::1] weight, const unsigned short[::1] grad,
                      float[::1] mom, float[::1] weight32, *, double lr, double momentum,
                      double wd, double rescale_grad, double clip_gradient):
    """``sgd_mom_update`` on the float32 ``weight32``, then ``weight = float16(weight32)``."""
    cdef Py_ssize_t n = weight.shape[0], c, s
    cdef bint do_clip = clip_gradient >= 0
    if n == 0:
        return
    with nogil:
        if n < PARALLEL_THRESHOLD:
            mp_sgd_mom_chunk(&weight[0], &grad[0], &mom[0], &weight32[0], n,
                             <float>momentum, <float>lr, <float>(lr * wd),
                             <float>rescale_grad, <float>clip_gradient, do_clip)
        else:
            for c in prange(chunk_count(n), schedule='static'):
                s = c * CHUNK
                mp_sgd_mom_chunk(&weight[s], &grad[s], &mom[s], &weight32[s],
                                 chunk_size(c, n), <float>momentum, <float>lr,
                                 <float>(lr * wd), <float>rescale_grad,
                                 <float>clip_gradient, do_clip)


def adam_update(real[::1] weight, const real[::1] grad, real[::1] mean, real[::1] var, *,
                double lr, double beta1, double beta2, double epsilon, double wd,
                double rescale_grad, double clip_gradient):
    """One Adam step (MXNet's ``adam_update``: no bias correction), in place.

    ``g = clip(rescale_grad*grad + wd*weight)``, ``mean = beta1*mean + (1-beta1)*g``,
    ``var = beta2*var + (1-beta2)*g**2``, ``weight -= lr*mean/(sqrt(var) + epsilon)``.
    """
    cdef Py_ssize_t n = weight.shape[0], c, s
    cdef bint do_clip = clip_gradient >= 0
    if n == 0:
        return
    with nogil:
        if n < PARALLEL_THRESHOLD:
            adam_chunk(&weight[0], &grad[0], &mean[0], &var[0], n, <real>lr, <real>beta1,
                       <real>beta2, <real>epsilon, <real>wd, <real>rescale_grad,
                       <real>clip_gradient, do_clip)
        else:
            for c in prange(chunk_count(n), schedule='static'):
                s = c * CHUNK
                adam_chunk(&weight[s], &grad[s], &mean[s], &var[s], chunk_size(c, n),
                           <real>lr, <real>beta1, <real>beta2, <real>epsilon, <real>wd,
                           <real>rescale_grad, <real>clip_gradient, do_clip)


def rmsprop_update(real[::1] weight, const real[::1] grad, real[::1] n_sq, *, double lr,
                   double gamma1, double epsilon, double wd, double rescale_grad,
                   double clip_gradient, double clip_weights):
    """One RMSProp step (Tieleman & Hinton), in place.

    ``g = clip(rescale_grad*grad + wd*weight)``, ``n = (1-gamma1)*g**2 + gamma1*n``,
    ``weight = clip_w(weight - lr*g/sqrt(n + epsilon))``.
    """
    cdef Py_ssize_t n = weight.shape[0], c, s
    cdef bint do_clip = clip_gradient >= 0
    cdef bint do_clip_weights = clip_weights >= 0
    if n == 0:
        return
    with nogil:
        if n < PARALLEL_THRESHOLD:
            rmsprop_chunk(&weight[0], &grad[0], &n_sq[0], n, <real>lr, <real>gamma1,
                          <real>epsilon, <real>wd, <real>rescale_grad, <real>clip_gradient,
                          do_clip, <real>clip_weights, do_clip_weights)
        else:
            for c in prange(chunk_count(n), schedule='static'):
                s = c * CHUNK
                rmsprop_chunk(&weight[s], &grad[s], &n_sq[s], chunk_size(c, n), <real>lr,
                              <real>gamma1, <real>epsilon, <real>wd, <real>rescale_grad,
                              <real>clip_gradient, do_clip, <real>clip_weights,
                              do_clip_weights)


def rmspropalex_update(real[::1] weight, const real[::1] grad, real[::1] n_sq,
                       real[::1] g_avg, real[::1] delta, *, double lr, double gamma1,
                       double gamma2, double epsilon, double wd, double rescale_grad,
                       double clip_gradient, double clip_weights):
    """One centered RMSProp step (Graves 2013), in place.

    ``n`` and ``g_avg`` average ``g**2`` and ``g``; ``delta = gamma2*delta -
    lr*g/sqrt(n - g_avg**2 + epsilon)``; ``weight = clip_w(weight + delta)``.
    """
    cdef Py_ssize_t n = weight.shape[0], c, s
    cdef bint do_clip = clip_gradient >= 0
    cdef bint do_clip_weights = clip_weights >= 0
    if n == 0:
        return
    with nogil:
        if n < PARALLEL_THRESHOLD:
            rmspropalex_chunk(&weight[0], &grad[0], &n_sq[0], &g_avg[0], &delta[0], n,
                              <real>lr, <real>gamma1, <real>gamma2, <real>epsilon,
                              <real>wd, <real>rescale_grad, <real>clip_gradient, do_clip,
                              <real>clip_weights, do_clip_weights)
        else:
            for c in prange(chunk_count(n), schedule='static'):
                s = c * CHUNK
                rmspropalex_chunk(&weight[s], &grad[s], &n_sq[s], &g_avg[s], &delta[s],
                                  chunk_size(c, n), <real>lr, <real>gamma1, <real>gamma2,
                                  <real>epsilon, <real>wd, <real>rescale_grad,
                                  <real>clip_gradient, do_clip, <real>clip_weights,
                                  do_clip_weights)
