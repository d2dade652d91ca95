"""Fused optimizer updates on the GPU: one CuPy ElementwiseKernel per update rule.

The twins of ``ext/optimizer.pyx``: each kernel reads the gradient, the
weight and the states once and writes the weight and the states once, where
the ``xp`` reference (``mxlearn.operator.optimizer_updates``) launches about
ten CuPy kernels, each a full pass over memory. Every function here has the
signature of its CPU kernel (the arrays, then the attributes by keyword) and
updates its arrays in place; the arrays may have any shape, all the same.

In the kernels, the output parameters (the weight and the states) are read
as well as written: a CuPy ElementwiseKernel passes them by reference. The
scalar attributes are typed ``T``, the arrays' dtype, as in the CPU kernels
(``real``); ``mp_*`` kernels compute in float32 on the master weight.
Clipping is off for a negative bound, as in MXNet.
"""
import functools

__all__ = ['UPDATES']

# Shared by every kernel: clip(x) to [-bound, bound] unless bound < 0.
_PREAMBLE = '''
template <typename T> __device__ T mxl_clip(T x, T bound) {
    return bound < 0 ? x : (x > bound ? bound : (x < -bound ? -bound : x));
}
'''


def _kernel(name, inputs, outputs, body):
    import cupy
    return cupy.ElementwiseKernel(inputs, outputs, body, 'mxlearn_' + name,
                                  preamble=_PREAMBLE)


@functools.cache
def _sgd():
    return _kernel('sgd', 'T grad, T decay, T lr, T rescale, T bound', 'T weight',
                   'weight = decay * weight - lr * mxl_clip(grad * rescale, bound);')


@functools.cache
def _sgd_mom():
    return _kernel('sgd_mom', 'T grad, T momentum, T lr, T lr_wd, T rescale, T bound',
                   'T weight, T mom',
                   '''T m = momentum * mom - lr_wd * weight - lr * mxl_clip(grad * rescale, bound);
                      mom = m;
                      weight = weight + m;''')


@functools.cache
def _mp_sgd():
    return _kernel('mp_sgd',
                   'float16 grad, float32 decay, float32 lr, float32 rescale, float32 bound',
                   'float16 weight, float32 weight32',
                   '''float w = decay * weight32 - lr * mxl_clip((float)grad * rescale, bound);
                      weight32 = w;
                      weight = (float16)w;''')


@functools.cache
def _mp_sgd_mom():
    return _kernel('mp_sgd_mom',
                   'float16 grad, float32 momentum, float32 lr, float32 lr_wd, '
                   'float32 rescale, float32 bound',
                   'float16 weight, float32 mom, float32 weight32',
                   '''float m = momentum * mom - lr_wd * weight32
                                - lr * mxl_clip((float)grad * rescale, bound);
                      mom = m;
                      float w = weight32 + m;
                      weight32 = w;
                      weight = (float16)w;''')


@functools.cache
def _adam():
    return _kernel('adam',
                   'T grad, T lr, T beta1, T beta2, T eps, T wd, T rescale, T bound',
                   'T weight, T mean, T var',
                   '''T g = mxl_clip(grad * rescale + wd * weight, bound);
                      T m = beta1 * mean + (1 - beta1) * g;
                      T v = beta2 * var + (1 - beta2) * g * g;
                      mean = m;
                      var = v;
                      weight = weight - lr * m / (sqrt(v) + eps);''')


@functools.cache
def _rmsprop():
    return _kernel('rmsprop',
                   'T grad, T lr, T gamma1, T eps, T wd, T rescale, T bound, T wbound',
                   'T weight, T n',
                   '''T g = mxl_clip(grad * rescale + wd * weight, bound);
                      T ni = (1 - gamma1) * g * g + gamma1 * n;
                      n = ni;
                      weight = mxl_clip(weight - lr * g / sqrt(ni + eps), wbound);''')


@functools.cache
def _rmspropalex():
    return _kernel('rmspropalex',
                   'T grad, T lr, T gamma1, T gamma2, T eps, T wd, T rescale, T bound, '
                   'T wbound',
                   'T weight, T n, T g_avg, T delta',
                   '''T g = mxl_clip(grad * rescale + wd * weight, bound);
                      T ni = (1 - gamma1) * g * g + gamma1 * n;
                      T ai = (1 - gamma1) * g + gamma1 * g_avg;
                      T di = gamma2 * delta - lr * g / sqrt(ni - ai * ai + eps);
                      n = ni;
                      g_avg = ai;
                      delta = di;
                      weight = mxl_clip(weight + di, wbound);''')


def _scalar(dtype, value):
    # A numpy scalar of the arrays' dtype: CuPy then binds ``T`` to it exactly.
    return dtype.type(value)


def sgd_update(weight, grad, *, lr, wd, rescale_grad, clip_gradient):
    """``weight = (1 - lr*wd) * weight - lr * clip(rescale_grad * grad)``, in place."""
    s = functools.partial(_scalar, weight.dtype)
    _sgd()(grad, s(1.0 - lr * wd), s(lr), s(rescale_grad), s(clip_gradient), weight)


def sgd_mom_update(weight, grad, mom, *, lr, momentum, wd, rescale_grad, clip_gradient):
    """``mom = momentum*mom - lr*wd*weight - lr*clip(rescale_grad*grad); weight += mom``."""
    s = functools.partial(_scalar, weight.dtype)
    _sgd_mom()(grad, s(momentum), s(lr), s(lr * wd), s(rescale_grad), s(clip_gradient),
               weight, mom)


def mp_sgd_update(weight, grad, weight32, *, lr, wd, rescale_grad, clip_gradient):
    """``sgd_update`` on the float32 ``weight32``, then ``weight = float16(weight32)``."""
    s = functools.partial(_scalar, weight32.dtype)
    _mp_sgd()(grad, s(1.0 - lr * wd), s(lr), s(rescale_grad), s(clip_gradient),
              weight, weight32)


def mp_sgd_mom_update(weight, grad, mom, weight32, *, lr, momentum, wd, rescale_grad,
                      clip_gradient):
    """``sgd_mom_update`` on the float32 ``weight32``, then ``weight = float16(weight32)``."""
    s = functools.partial(_scalar, weight32.dtype)
    _mp_sgd_mom()(grad, s(momentum), s(lr), s(lr * wd), s(rescale_grad), s(clip_gradient),
                  weight, mom, weight32)


def adam_update(weight, grad, mean, var, *, lr, beta1, beta2, epsilon, wd, rescale_grad,
                clip_gradient):
    """One Adam step (no bias correction, as MXNet's ``adam_update``), in place."""
    s = functools.partial(_scalar, weight.dtype)
    _adam()(grad, s(lr), s(beta1), s(beta2), s(epsilon), s(wd), s(rescale_grad),
            s(clip_gradient), weight, mean, var)


def rmsprop_update(weight, grad, n, *, lr, gamma1, epsilon, wd, rescale_grad, clip_gradient,
                   clip_weights):
    """One RMSProp step (Tieleman & Hinton), in place."""
    s = functools.partial(_scalar, weight.dtype)
    _rmsprop()(grad, s(lr), s(gamma1), s(epsilon), s(wd), s(rescale_grad), s(clip_gradient),
               s(clip_weights), weight, n)


def rmspropalex_update(weight, grad, n, g_avg, delta, *, lr, gamma1, gamma2, epsilon, wd,
                       rescale_grad, clip_gradient, clip_weights):
    """One centered RMSProp step (Graves 2013), in place."""
    s = functools.partial(_scalar, weight.dtype)
    _rmspropalex()(grad, s(lr), s(gamma1), s(gamma2), s(epsilon), s(wd), s(rescale_grad),
                   s(clip_gradient), s(clip_weights), weight, n, g_avg, delta)


# op name -> the update function, for mxlearn.operator.optimizer_updates.
UPDATES = {
    'sgd_update': sgd_update,
    'sgd_mom_update': sgd_mom_update,
    'mp_sgd_update': mp_sgd_update,
    'mp_sgd_mom_update': mp_sgd_mom_update,
    'adam_update': adam_update,
    'rmsprop_update': rmsprop_update,
    'rmspropalex_update': rmspropalex_update,
}
