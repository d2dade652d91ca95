"""MXNet's fused optimizer-update operators: sgd_update, adam_update, rmsprop_update, ...

Each operator applies one step of an update rule to a weight, given its
gradient and the optimizer's state arrays, as ``mx.optimizer`` does for every
parameter. They follow MXNet's conventions:

- the **states** (``mom``, ``mean``, ``var``, ``n``, ...) are updated in place;
- the **new weight** is the result; ``out=weight`` writes it back into the
  weight, which is how ``mx.optimizer`` calls them. Without ``out`` the
  weight is left unchanged;
- ``rescale_grad`` multiplies the gradient first; ``clip_gradient`` (and
  ``clip_weights``) below 0 means no clipping, and any value ``>= 0`` clips to
  ``[-c, c]`` (0 clips everything to 0, as MXNet's kernels do);
- ``wd`` is weight decay (L2): ``wd * weight`` joins the gradient;
- ``lazy_update`` is accepted and has no effect (mxlearn arrays are dense);
- ``mp_*`` variants take float16 ``weight`` and ``grad`` with a float32 master
  copy ``weight32`` (and float32 states): the step is computed on ``weight32``
  and the result rounded to float16;
- they have no gradient: an update is not differentiated.

Every rule has a readable ``xp`` reference here (``_sgd_mom_reference`` ...),
which serves CuPy and is what the tests compare the compiled kernels with. On
the CPU, ``sgd(_mom)``, ``mp_sgd(_mom)``, ``adam``, ``rmsprop`` and
``rmspropalex`` run single-pass kernels from ``mxlearn._ext.optimizer``, which
read and write each array once instead of once per numpy operation; on the
GPU the same updates are single CUDA kernels (``mxlearn.gpu_kernels.optimizer``).

:func:`fused_update` runs an update with the result written straight into the
weight (what ``out=weight`` means, without the intermediate copy); the
optimizers use it.
"""
import numpy

from .._ext import optimizer as _kernels
from ..base import MXNetError
from ..gpu_kernels import is_cupy
from .errors import operator_error
from .registry import OPS, register

# op name -> (reference rule, compiled kernel or None)
_RULES = {}


def _rule(name, kernel=None):
    def decorate(reference):
        _RULES[name] = (reference, kernel)
        return reference
    return decorate


# ------------------------------------------------------------ checking --

def _required(attrs, *names):
    for name in names:
        if attrs.get(name) is None:
            raise MXNetError('the attribute %r is required (e.g. %s=0.01)' % (name, name))


def _update_shapes(in_shapes, **attrs):
    """Every input has the weight's shape; so has the result."""
    return _checked_shapes(in_shapes, scalar_inputs=())


def _lamb_phase2_shapes(in_shapes, **attrs):
    # r1 and r2 (inputs 2 and 3) are the norms, one element each.
    return _checked_shapes(in_shapes, scalar_inputs=(2, 3))


def _checked_shapes(in_shapes, scalar_inputs):
    weight = tuple(in_shapes[0])
    for i, shape in enumerate(in_shapes[1:], 1):
        want = (1,) if i in scalar_inputs else weight
        if tuple(shape) != want:
            raise MXNetError('input %d has shape %s; expected %s (%s)' % (
                i, tuple(shape), want,
                'a norm, one element' if i in scalar_inputs else "the weight's shape"))
    return [weight]


def _float32_type(in_dtypes, **attrs):
    return [numpy.dtype(numpy.float32)]


def _check_arrays(name, arrays):
    """Shapes and dtypes of the raw input arrays of update ``name``."""
    weight = arrays[0]
    if name in ('lamb_update_phase2', 'mp_lamb_update_phase2'):
        _lamb_phase2_shapes([a.shape for a in arrays])
    elif any(a.shape != weight.shape for a in arrays):
        _update_shapes([a.shape for a in arrays])
    if name.startswith('mp_'):
        # weight and grad share the low precision; the rest is float32 (in
        # mp_lamb_update_phase2 the second input is phase 1's float32 result).
        low = 1 if name == 'mp_lamb_update_phase2' else 2
        if low == 2 and arrays[1].dtype != weight.dtype:
            raise MXNetError('grad must have the dtype of weight (%s), got %s'
                             % (weight.dtype, arrays[1].dtype))
        if any(a.dtype != numpy.float32 for a in arrays[low:]):
            raise MXNetError('the states and weight32 of a multi-precision update must '
                             'be float32, got %s' % ([a.dtype.name for a in arrays[low:]],))
    elif any(a.dtype != weight.dtype for a in arrays):
        raise MXNetError('inputs have different dtypes; expected all %s (use astype() '
                         'to convert)' % (weight.dtype,))
    if weight.dtype.kind != 'f':
        raise MXNetError('optimizer updates work on floating-point arrays, got %s'
                         % (weight.dtype,))


# ------------------------------------------------------------ dispatch --

def _kernel_applies(name, xp, arrays):
    # (CUDA elementwise kernels take any layout; the CPU ones need flat arrays.)
    if xp is not numpy and not is_cupy(xp):
        return False
    if xp is numpy and not all(a.flags.c_contiguous for a in arrays):
        return False
    if name.startswith('mp_'):
        return arrays[0].dtype == numpy.float16
    return arrays[0].dtype in (numpy.float32, numpy.float64)


def _run(name, xp, arrays, attrs):
    """Apply update ``name`` in place on raw ``arrays`` (weight first).

    ``attrs`` is the caller's own dict (``lazy_update`` is removed from it).
    """
    reference, kernel = _RULES[name]
    if attrs.get('lr', 0) is None or attrs.get('t', 0) is None:
        _required(attrs, 'lr', 't')
    attrs.pop('lazy_update', None)
    if kernel is not None and _kernel_applies(name, xp, arrays):
        if xp is numpy:
            flat = [a if a.ndim == 1 else a.reshape(-1) for a in arrays]
            if name.startswith('mp_'):
                flat[0], flat[1] = flat[0].view(numpy.uint16), flat[1].view(numpy.uint16)
            kernel(*flat, **attrs)
        else:
            from ..gpu_kernels.optimizer import UPDATES
            UPDATES[name](*arrays, **attrs)
    else:
        reference(xp, *arrays, **attrs)


def _new_weight(name, xp, weight, others, attrs):
    """The forward of an update op: the new weight in a new array."""
    _check_arrays(name, (weight,) + others)
    # mp_* ops only write the float16 weight (from weight32); the others
    # update a copy of it in place.
    new = xp.empty_like(weight) if name.startswith('mp_') else weight.copy()
    _run(name, xp, (new,) + others, attrs)
    return new


def fused_update(name, weight, *inputs, **attrs):
    """Run update operator ``name`` writing the new weight into ``weight`` itself.

    This is ``mx.nd.<name>(weight, *inputs, out=weight, **attrs)`` without the
    intermediate array that ``out=`` copies from: for a large parameter the
    step stays a single pass over memory.

    Parameters
    ----------
    name : str
        One of the update operators (``'sgd_mom_update'``, ``'adam_update'``, ...).
    weight : NDArray
        Updated in place.
    *inputs : NDArray
        The operator's other inputs (gradient, states), in its order.
    **attrs
        The operator's attributes (``lr``, ``wd``, ...).

    Returns
    -------
    NDArray
        ``weight``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> w, g, mom = mx.nd.ones(2), mx.nd.ones(2), mx.nd.zeros(2)
    >>> _ = fused_update('sgd_mom_update', w, g, mom, lr=0.1, momentum=0.9)
    >>> w.asnumpy(), mom.asnumpy()
    (array([0.9, 0.9], dtype=float32), array([-0.1, -0.1], dtype=float32))
    """
    if name not in _RULES:
        raise MXNetError('%r is not an update operator that returns the new weight; '
                         'expected one of: %s' % (name, ', '.join(sorted(_RULES))))
    op = OPS[name]
    nds = (weight,) + inputs
    if not attrs.keys() <= op.defaults.keys():
        raise MXNetError('Operator %s: unknown argument %r; its attributes are: %s'
                         % (name, sorted(attrs.keys() - op.defaults.keys())[0],
                            ', '.join(op.defaults)))
    try:
        ctx = weight.context
        if any(x.context != ctx for x in inputs):
            raise MXNetError('inputs are on different devices; move them with '
                             'as_in_context() first')
        arrays = tuple([x._data for x in nds])
        _check_arrays(name, arrays)
        _run(name, ctx.xp, arrays, {**op.defaults, **attrs})
    except Exception as e:
        raise operator_error(op, nds, attrs, e) from (None if isinstance(e, MXNetError) else e)
    return weight


# ---------------------------------------------------- reference rules --
# Each updates its arrays in place: the weight first, then the states.

def _clip(xp, x, bound):
    return xp.clip(x, -bound, bound) if bound >= 0 else x


def _scaled(xp, grad, rescale_grad, clip_gradient):
    """``clip(rescale_grad * grad)``: the gradient as the update rules see it."""
    return _clip(xp, grad * rescale_grad, clip_gradient)


@_rule('sgd_update', _kernels.sgd_update)
def _sgd_reference(xp, weight, grad, *, lr, wd, rescale_grad, clip_gradient):
    g = _scaled(xp, grad, rescale_grad, clip_gradient)
    weight[...] = weight * (1.0 - lr * wd) - lr * g


@_rule('sgd_mom_update', _kernels.sgd_mom_update)
def _sgd_mom_reference(xp, weight, grad, mom, *, lr, momentum, wd, rescale_grad,
                       clip_gradient):
    g = _scaled(xp, grad, rescale_grad, clip_gradient)
    mom[...] = momentum * mom - (lr * wd) * weight - lr * g
    weight += mom


@_rule('mp_sgd_update', _kernels.mp_sgd_update)
def _mp_sgd_reference(xp, weight, grad, weight32, **attrs):
    _sgd_reference(xp, weight32, grad.astype(numpy.float32), **attrs)
    weight[...] = weight32


@_rule('mp_sgd_mom_update', _kernels.mp_sgd_mom_update)
def _mp_sgd_mom_reference(xp, weight, grad, mom, weight32, **attrs):
    _sgd_mom_reference(xp, weight32, grad.astype(numpy.float32), mom, **attrs)
    weight[...] = weight32


@_rule('nag_mom_update')
def _nag_mom_reference(xp, weight, grad, mom, *, lr, momentum, wd, rescale_grad,
                       clip_gradient):
    g = _scaled(xp, grad, rescale_grad, clip_gradient) + wd * weight
    mom[...] = momentum * mom - lr * g
    weight += momentum * mom - lr * g


@_rule('mp_nag_mom_update')
def _mp_nag_mom_reference(xp, weight, grad, mom, weight32, **attrs):
    _nag_mom_reference(xp, weight32, grad.astype(numpy.float32), mom, **attrs)
    weight[...] = weight32


@_rule('signsgd_update')
def _signsgd_reference(xp, weight, grad, *, lr, wd, rescale_grad, clip_gradient):
    # The sign ignores rescaling and clipping, as in MXNet.
    weight[...] = weight * (1.0 - lr * wd) - lr * xp.sign(grad)


@_rule('signum_update')
def _signum_reference(xp, weight, grad, mom, *, lr, momentum, wd, rescale_grad,
                      clip_gradient, wd_lh):
    # mom averages the *negative* gradient, so the step adds sign(mom).
    g = _scaled(xp, grad, rescale_grad, clip_gradient) + wd * weight
    mom[...] = momentum * mom - (1.0 - momentum) * g
    weight[...] = weight * (1.0 - lr * wd_lh) + lr * xp.sign(mom)


@_rule('adam_update', _kernels.adam_update)
def _adam_reference(xp, weight, grad, mean, var, *, lr, beta1, beta2, epsilon, wd,
                    rescale_grad, clip_gradient):
    g = _clip(xp, grad * rescale_grad + wd * weight, clip_gradient)
    mean[...] = beta1 * mean + (1.0 - beta1) * g
    var[...] = beta2 * var + (1.0 - beta2) * g * g
    weight -= lr * mean / (xp.sqrt(var) + epsilon)


@_rule('rmsprop_update', _kernels.rmsprop_update)
def _rmsprop_reference(xp, weight, grad, n, *, lr, gamma1, epsilon, wd, rescale_grad,
                       clip_gradient, clip_weights):
    g = _clip(xp, grad * rescale_grad + wd * weight, clip_gradient)
    n[...] = (1.0 - gamma1) * g * g + gamma1 * n
    weight[...] = _clip(xp, weight - lr * g / xp.sqrt(n + epsilon), clip_weights)


@_rule('rmspropalex_update', _kernels.rmspropalex_update)
def _rmspropalex_reference(xp, weight, grad, n, g_avg, delta, *, lr, gamma1, gamma2,
                           epsilon, wd, rescale_grad, clip_gradient, clip_weights):
    g = _clip(xp, grad * rescale_grad + wd * weight, clip_gradient)
    n[...] = (1.0 - gamma1) * g * g + gamma1 * n
    g_avg[...] = (1.0 - gamma1) * g + gamma1 * g_avg
    delta[...] = gamma2 * delta - lr * g / xp.sqrt(n - g_avg * g_avg + epsilon)
    weight[...] = _clip(xp, weight + delta, clip_weights)


@_rule('ftrl_update')
def _ftrl_reference(xp, weight, grad, z, n, *, lr, lamda1, beta, wd, rescale_grad,
                    clip_gradient):
    g = _scaled(xp, grad, rescale_grad, clip_gradient)
    z += g - (xp.sqrt(n + g * g) - xp.sqrt(n)) * weight / lr
    n += g * g
    weight[...] = ((xp.sign(z) * lamda1 - z) / ((beta + xp.sqrt(n)) / lr + wd)
                   * (xp.abs(z) > lamda1))


@_rule('ftml_update')
def _ftml_reference(xp, weight, grad, d, v, z, *, lr, beta1, beta2, epsilon, t, wd,
                    rescale_grad, clip_grad):
    g = _clip(xp, grad * rescale_grad + wd * weight, clip_grad)
    v[...] = beta2 * v + (1.0 - beta2) * g * g
    d_t = (1.0 - beta1 ** t) / lr * (xp.sqrt(v / (1.0 - beta2 ** t)) + epsilon)
    z[...] = beta1 * z + (1.0 - beta1) * g - (d_t - beta1 * d) * weight
    d[...] = d_t
    weight[...] = -z / d_t


def _lamb_direction(xp, weight, grad, mean, var, beta1, beta2, epsilon, t,
                    bias_correction, wd, rescale_grad, clip_gradient):
    """LAMB's phase 1: update the moments, return Adam's direction plus ``wd * weight``."""
    g = _scaled(xp, grad, rescale_grad, clip_gradient)
    mean[...] = beta1 * mean + (1.0 - beta1) * g
    var[...] = beta2 * var + (1.0 - beta2) * g * g
    if bias_correction:
        m_hat, v_hat = mean / (1.0 - beta1 ** t), var / (1.0 - beta2 ** t)
    else:
        m_hat, v_hat = mean, var
    return m_hat / (xp.sqrt(v_hat) + epsilon) + wd * weight


@_rule('lamb_update_phase2')
def _lamb_step(xp, weight, g, r1, r2, *, lr, lower_bound, upper_bound):
    """LAMB's phase 2: ``weight -= lr * r1 / r2 * g`` (plain ``lr`` if a norm is 0)."""
    if lower_bound >= 0:
        r1 = xp.maximum(r1, lower_bound)
    if upper_bound >= 0:
        r1 = xp.minimum(r1, upper_bound)
    # Kept as arrays: no transfer to the host on a GPU.
    trust = xp.where((r1 == 0) | (r2 == 0), 1.0, r1 / xp.where(r2 == 0, 1.0, r2))
    weight -= (lr * trust).astype(weight.dtype) * g



@_rule('mp_lamb_update_phase2')
def _mp_lamb_step(xp, weight, g, r1, r2, weight32, **attrs):
    _lamb_step(xp, weight32, g, r1, r2, **attrs)
    weight[...] = weight32


# ------------------------------------------------------------ operators --

_COMMON = """wd : float, default 0
        Weight decay: ``wd * weight`` is added to the gradient.
    rescale_grad : float, default 1
        Multiplies the gradient first (often ``1 / batch_size``).
    clip_gradient : float, default -1
        Clip the (rescaled) gradient to ``[-clip_gradient, clip_gradient]``;
        negative: no clipping."""

_RETURNS = """Returns
    -------
    NDArray
        The new weight (write it back with ``out=weight``)."""


def _doc(forward):
    forward.__doc__ = forward.__doc__.replace('{common}', _COMMON).replace(
        '{returns}', _RETURNS)
    return forward


def _update_op(name, *, infer_shape=_update_shapes, infer_type=None, same_dtype=True):
    return register(name, infer_shape=infer_shape, infer_type=infer_type,
                    same_dtype=same_dtype and not name.startswith('mp_'))


@_update_op('sgd_update')
@_doc
def sgd_update(xp, weight, grad, *, lr=None, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0,
               lazy_update=True):
    """Plain SGD: ``weight = weight - lr * (clip(rescale_grad * grad) + wd * weight)``.

    Parameters
    ----------
    weight, grad : NDArray
    lr : float
        Learning rate (required).
    {common}
    lazy_update : bool
        Accepted for compatibility; mxlearn arrays are dense.

    {returns}

    Examples
    --------
    >>> import mxlearn as mx
    >>> w = mx.nd.array([1.0, 2.0])
    >>> _ = mx.nd.sgd_update(w, mx.nd.array([1.0, -1.0]), lr=0.5, out=w)
    >>> w.asnumpy()
    array([0.5, 2.5], dtype=float32)
    """
    return _new_weight('sgd_update', xp, weight, (grad,), dict(
        lr=lr, wd=wd, rescale_grad=rescale_grad, clip_gradient=clip_gradient))


@_update_op('sgd_mom_update')
@_doc
def sgd_mom_update(xp, weight, grad, mom, *, lr=None, momentum=0.0, wd=0.0,
                   rescale_grad=1.0, clip_gradient=-1.0, lazy_update=True):
    """SGD with momentum; ``mom`` is updated in place.

    ``mom = momentum * mom - lr * (clip(rescale_grad * grad) + wd * weight)``,
    then ``weight = weight + mom``.

    Parameters
    ----------
    weight, grad, mom : NDArray
    lr : float
        Learning rate (required).
    momentum : float, default 0
        Decay of the momentum.
    {common}
    lazy_update : bool
        Accepted for compatibility; mxlearn arrays are dense.

    {returns}

    Examples
    --------
    >>> import mxlearn as mx
    >>> w, mom = mx.nd.array([1.0]), mx.nd.array([0.5])
    >>> mx.nd.sgd_mom_update(w, mx.nd.array([1.0]), mom, lr=0.1, momentum=0.9).asnumpy()
    array([1.35], dtype=float32)
    >>> mom.asnumpy()
    array([0.35], dtype=float32)
    """
    return _new_weight('sgd_mom_update', xp, weight, (grad, mom), dict(
        lr=lr, momentum=momentum, wd=wd, rescale_grad=rescale_grad,
        clip_gradient=clip_gradient))


@_update_op('mp_sgd_update')
@_doc
def mp_sgd_update(xp, weight, grad, weight32, *, lr=None, wd=0.0, rescale_grad=1.0,
                  clip_gradient=-1.0, lazy_update=True):
    """``sgd_update`` in float32 on the master copy ``weight32`` (updated in place).

    Parameters
    ----------
    weight, grad : NDArray
        Usually float16.
    weight32 : NDArray
        float32 master copy of the weight.
    lr : float
        Learning rate (required).
    {common}
    lazy_update : bool
        Accepted for compatibility.

    Returns
    -------
    NDArray
        ``weight32`` rounded to the weight's dtype.

    Examples
    --------
    >>> import mxlearn as mx
    >>> w32 = mx.nd.array([1.0])
    >>> w = mx.nd.mp_sgd_update(w32.astype('float16'), mx.nd.array([1], dtype='float16'),
    ...                         w32, lr=1e-4)
    >>> w.dtype.__name__, w32.asnumpy()
    ('float16', array([0.9999], dtype=float32))
    """
    return _new_weight('mp_sgd_update', xp, weight, (grad, weight32), dict(
        lr=lr, wd=wd, rescale_grad=rescale_grad, clip_gradient=clip_gradient))


@_update_op('mp_sgd_mom_update')
@_doc
def mp_sgd_mom_update(xp, weight, grad, mom, weight32, *, lr=None, momentum=0.0, wd=0.0,
                      rescale_grad=1.0, clip_gradient=-1.0, lazy_update=True):
    """``sgd_mom_update`` in float32 on ``weight32`` and the float32 ``mom``.

    Parameters
    ----------
    weight, grad : NDArray
        Usually float16.
    mom, weight32 : NDArray
        float32 momentum and master weight, updated in place.
    lr : float
        Learning rate (required).
    momentum : float, default 0
    {common}
    lazy_update : bool
        Accepted for compatibility.

    Returns
    -------
    NDArray
        ``weight32`` rounded to the weight's dtype.

    Examples
    --------
    >>> import mxlearn as mx
    >>> w32, mom = mx.nd.array([1.0]), mx.nd.zeros(1)
    >>> w = mx.nd.mp_sgd_mom_update(w32.astype('float16'), mx.nd.ones(1, dtype='float16'),
    ...                             mom, w32, lr=0.5, momentum=0.9)
    >>> w.asnumpy(), mom.asnumpy()
    (array([0.5], dtype=float16), array([-0.5], dtype=float32))
    """
    return _new_weight('mp_sgd_mom_update', xp, weight, (grad, mom, weight32), dict(
        lr=lr, momentum=momentum, wd=wd, rescale_grad=rescale_grad,
        clip_gradient=clip_gradient))


@_update_op('nag_mom_update')
@_doc
def nag_mom_update(xp, weight, grad, mom, *, lr=None, momentum=0.0, wd=0.0,
                   rescale_grad=1.0, clip_gradient=-1.0):
    """Nesterov momentum; ``mom`` is updated in place.

    With ``g = clip(rescale_grad * grad) + wd * weight``:
    ``mom = momentum * mom - lr * g`` and ``weight = weight + momentum * mom - lr * g``
    (the step looks ahead along the new momentum).

    (MXNet 1.9.1's kernel, called with ``out=weight`` as its optimizer does,
    computes the stored ``mom`` from the already updated weight when
    ``wd > 0``; mxlearn keeps the rule above.)

    Parameters
    ----------
    weight, grad, mom : NDArray
    lr : float
        Learning rate (required).
    momentum : float, default 0
    {common}

    {returns}

    Examples
    --------
    >>> import mxlearn as mx
    >>> mom = mx.nd.zeros(1)
    >>> mx.nd.nag_mom_update(mx.nd.ones(1), mx.nd.ones(1), mom, lr=0.1,
    ...                      momentum=0.5).asnumpy()
    array([0.85], dtype=float32)
    """
    return _new_weight('nag_mom_update', xp, weight, (grad, mom), dict(
        lr=lr, momentum=momentum, wd=wd, rescale_grad=rescale_grad,
        clip_gradient=clip_gradient))


@_update_op('mp_nag_mom_update')
@_doc
def mp_nag_mom_update(xp, weight, grad, mom, weight32, *, lr=None, momentum=0.0, wd=0.0,
                      rescale_grad=1.0, clip_gradient=-1.0):
    """``nag_mom_update`` in float32 on ``weight32`` and the float32 ``mom``.

    Parameters
    ----------
    weight, grad : NDArray
        Usually float16.
    mom, weight32 : NDArray
        float32 momentum and master weight, updated in place.
    lr : float
        Learning rate (required).
    momentum : float, default 0
    {common}

    Returns
    -------
    NDArray
        ``weight32`` rounded to the weight's dtype.

    Examples
    --------
    >>> import mxlearn as mx
    >>> w32 = mx.nd.ones(1)
    >>> mx.nd.mp_nag_mom_update(w32.astype('float16'), mx.nd.ones(1, dtype='float16'),
    ...                         mx.nd.zeros(1), w32, lr=0.5).asnumpy()
    array([0.5], dtype=float16)
    """
    return _new_weight('mp_nag_mom_update', xp, weight, (grad, mom, weight32), dict(
        lr=lr, momentum=momentum, wd=wd, rescale_grad=rescale_grad,
        clip_gradient=clip_gradient))


@_update_op('signsgd_update')
@_doc
def signsgd_update(xp, weight, grad, *, lr=None, wd=0.0, rescale_grad=1.0,
                   clip_gradient=-1.0):
    """signSGD: ``weight = (1 - lr * wd) * weight - lr * sign(grad)``.

    Parameters
    ----------
    weight, grad : NDArray
    lr : float
        Learning rate (required).
    {common}
        (``rescale_grad`` and ``clip_gradient`` cannot change a sign and are
        ignored, as in MXNet.)

    {returns}

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.signsgd_update(mx.nd.zeros(2), mx.nd.array([3, -0.1]), lr=0.1).asnumpy()
    array([-0.1,  0.1], dtype=float32)
    """
    return _new_weight('signsgd_update', xp, weight, (grad,), dict(
        lr=lr, wd=wd, rescale_grad=rescale_grad, clip_gradient=clip_gradient))


@_update_op('signum_update')
@_doc
def signum_update(xp, weight, grad, mom, *, lr=None, momentum=0.0, wd=0.0,
                  rescale_grad=1.0, clip_gradient=-1.0, wd_lh=0.0):
    """Signum: the sign of a momentum average of the gradient; ``mom`` in place.

    With ``g = clip(rescale_grad * grad) + wd * weight``:
    ``mom = momentum * mom - (1 - momentum) * g`` (an average of ``-g``) and
    ``weight = (1 - lr * wd_lh) * weight + lr * sign(mom)``.

    Parameters
    ----------
    weight, grad, mom : NDArray
    lr : float
        Learning rate (required).
    momentum : float, default 0
    {common}
    wd_lh : float, default 0
        Decoupled weight decay, applied to the weight directly.

    {returns}

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.signum_update(mx.nd.zeros(2), mx.nd.array([3, -0.1]), mx.nd.zeros(2),
    ...                     lr=0.1, momentum=0.9).asnumpy()
    array([-0.1,  0.1], dtype=float32)
    """
    return _new_weight('signum_update', xp, weight, (grad, mom), dict(
        lr=lr, momentum=momentum, wd=wd, rescale_grad=rescale_grad,
        clip_gradient=clip_gradient, wd_lh=wd_lh))


@_update_op('adam_update')
@_doc
def adam_update(xp, weight, grad, mean, var, *, lr=None, beta1=0.9, beta2=0.999,
                epsilon=1e-8, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0,
                lazy_update=True):
    """One Adam step; ``mean`` and ``var`` are updated in place.

    With ``g = clip(rescale_grad * grad + wd * weight)``:
    ``mean = beta1 * mean + (1 - beta1) * g``,
    ``var = beta2 * var + (1 - beta2) * g**2``,
    ``weight = weight - lr * mean / (sqrt(var) + epsilon)``.
    There is no bias correction here: ``mx.optimizer.Adam`` folds it into
    ``lr``. Note that the clipping comes after weight decay.

    Parameters
    ----------
    weight, grad, mean, var : NDArray
    lr : float
        Learning rate (required).
    beta1, beta2 : float, default 0.9, 0.999
        Decay rates of the first and second moments.
    epsilon : float, default 1e-8
    {common}
    lazy_update : bool
        Accepted for compatibility; mxlearn arrays are dense.

    {returns}

    Examples
    --------
    >>> import mxlearn as mx
    >>> mean, var = mx.nd.zeros(1), mx.nd.zeros(1)
    >>> w = mx.nd.adam_update(mx.nd.ones(1), mx.nd.array([2.0]), mean, var, lr=0.1)
    >>> mean.asnumpy().round(6), var.asnumpy().round(6)
    (array([0.2], dtype=float32), array([0.004], dtype=float32))
    """
    return _new_weight('adam_update', xp, weight, (grad, mean, var), dict(
        lr=lr, beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd,
        rescale_grad=rescale_grad, clip_gradient=clip_gradient))


@_update_op('rmsprop_update')
@_doc
def rmsprop_update(xp, weight, grad, n, *, lr=None, gamma1=0.95, epsilon=1e-8, wd=0.0,
                   rescale_grad=1.0, clip_gradient=-1.0, clip_weights=-1.0):
    """RMSProp (Tieleman & Hinton); ``n`` is updated in place.

    With ``g = clip(rescale_grad * grad + wd * weight)``:
    ``n = (1 - gamma1) * g**2 + gamma1 * n`` and
    ``weight = weight - lr * g / sqrt(n + epsilon)``.

    Parameters
    ----------
    weight, grad, n : NDArray
    lr : float
        Learning rate (required).
    gamma1 : float, default 0.95
        Decay of the average of squared gradients.
    epsilon : float, default 1e-8
    {common}
    clip_weights : float, default -1
        Clip the new weight to ``[-clip_weights, clip_weights]``; negative: no clipping.

    {returns}

    Examples
    --------
    >>> import mxlearn as mx
    >>> n = mx.nd.zeros(1)
    >>> mx.nd.rmsprop_update(mx.nd.ones(1), mx.nd.array([2.0]), n, lr=0.1,
    ...                      gamma1=0.75).asnumpy()
    array([0.8], dtype=float32)
    """
    return _new_weight('rmsprop_update', xp, weight, (grad, n), dict(
        lr=lr, gamma1=gamma1, epsilon=epsilon, wd=wd, rescale_grad=rescale_grad,
        clip_gradient=clip_gradient, clip_weights=clip_weights))


@_update_op('rmspropalex_update')
@_doc
def rmspropalex_update(xp, weight, grad, n, g, delta, *, lr=None, gamma1=0.95, gamma2=0.9,
                       epsilon=1e-8, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0,
                       clip_weights=-1.0):
    """Centered RMSProp (Graves, 2013); ``n``, ``g`` and ``delta`` in place.

    With ``grad' = clip(rescale_grad * grad + wd * weight)``:
    ``n = (1 - gamma1) * grad'**2 + gamma1 * n``,
    ``g = (1 - gamma1) * grad' + gamma1 * g``,
    ``delta = gamma2 * delta - lr * grad' / sqrt(n - g**2 + epsilon)``,
    ``weight = weight + delta``.

    Parameters
    ----------
    weight, grad, n, g, delta : NDArray
    lr : float
        Learning rate (required).
    gamma1 : float, default 0.95
        Decay of the gradient averages.
    gamma2 : float, default 0.9
        Momentum of ``delta``.
    epsilon : float, default 1e-8
    {common}
    clip_weights : float, default -1
        Clip the new weight; negative: no clipping.

    {returns}

    Examples
    --------
    >>> import mxlearn as mx
    >>> n, g, delta = mx.nd.zeros(1), mx.nd.zeros(1), mx.nd.zeros(1)
    >>> w = mx.nd.rmspropalex_update(mx.nd.ones(1), mx.nd.array([2.0]), n, g, delta,
    ...                              lr=0.1, gamma1=0.5)
    >>> n.asnumpy(), g.asnumpy()
    (array([2.], dtype=float32), array([1.], dtype=float32))
    """
    return _new_weight('rmspropalex_update', xp, weight, (grad, n, g, delta), dict(
        lr=lr, gamma1=gamma1, gamma2=gamma2, epsilon=epsilon, wd=wd,
        rescale_grad=rescale_grad, clip_gradient=clip_gradient, clip_weights=clip_weights))


@_update_op('ftrl_update')
@_doc
def ftrl_update(xp, weight, grad, z, n, *, lr=None, lamda1=0.01, beta=1.0, wd=0.0,
                rescale_grad=1.0, clip_gradient=-1.0):
    """FTRL-proximal; ``z`` and ``n`` are updated in place.

    With ``g = clip(rescale_grad * grad)``:
    ``z += g - (sqrt(n + g**2) - sqrt(n)) * weight / lr``, ``n += g**2``,
    ``weight = (sign(z) * lamda1 - z) / ((beta + sqrt(n)) / lr + wd)`` where
    ``|z| > lamda1``, else 0 (L1 regularization makes weights exactly zero).

    Parameters
    ----------
    weight, grad, z, n : NDArray
    lr : float
        Learning rate (required).
    lamda1 : float, default 0.01
        L1 regularization strength.
    beta : float, default 1
    {common}

    {returns}

    Examples
    --------
    >>> import mxlearn as mx
    >>> z, n = mx.nd.zeros(2), mx.nd.zeros(2)
    >>> mx.nd.ftrl_update(mx.nd.zeros(2), mx.nd.array([1.0, 0.001]), z, n,
    ...                   lr=0.1).asnumpy()
    array([-0.0495,  0.    ], dtype=float32)
    """
    return _new_weight('ftrl_update', xp, weight, (grad, z, n), dict(
        lr=lr, lamda1=lamda1, beta=beta, wd=wd, rescale_grad=rescale_grad,
        clip_gradient=clip_gradient))


@_update_op('ftml_update')
@_doc
def ftml_update(xp, weight, grad, d, v, z, *, lr=None, beta1=0.6, beta2=0.999,
                epsilon=1e-8, t=None, wd=0.0, rescale_grad=1.0, clip_grad=-1.0):
    """FTML (Follow the Moving Leader); ``d``, ``v`` and ``z`` in place.

    With ``g = clip(rescale_grad * grad + wd * weight)`` at step ``t``:
    ``v = beta2 * v + (1 - beta2) * g**2``,
    ``d_t = (1 - beta1**t) / lr * (sqrt(v / (1 - beta2**t)) + epsilon)``,
    ``z = beta1 * z + (1 - beta1) * g - (d_t - beta1 * d) * weight``,
    ``d = d_t`` and ``weight = -z / d_t``.

    Parameters
    ----------
    weight, grad, d, v, z : NDArray
    lr : float
        Learning rate (required).
    beta1, beta2 : float, default 0.6, 0.999
    epsilon : float, default 1e-8
    t : int
        The number of this update, from 1 (required).
    wd, rescale_grad : float
        As in the other updates.
    clip_grad : float, default -1
        Clip the gradient (after weight decay); negative: no clipping.

    {returns}

    Examples
    --------
    >>> import mxlearn as mx
    >>> d, v, z = mx.nd.zeros(1), mx.nd.zeros(1), mx.nd.zeros(1)
    >>> mx.nd.ftml_update(mx.nd.ones(1), mx.nd.array([2.0]), d, v, z, lr=0.5, t=1,
    ...                   epsilon=0).asnumpy()
    array([0.5], dtype=float32)
    """
    return _new_weight('ftml_update', xp, weight, (grad, d, v, z), dict(
        lr=lr, beta1=beta1, beta2=beta2, epsilon=epsilon, t=t, wd=wd,
        rescale_grad=rescale_grad, clip_grad=clip_grad))


def _lamb_phase1_attrs(beta1, beta2, epsilon, t, bias_correction, wd, rescale_grad,
                       clip_gradient):
    attrs = dict(beta1=beta1, beta2=beta2, epsilon=epsilon, t=t,
                 bias_correction=bias_correction, wd=wd, rescale_grad=rescale_grad,
                 clip_gradient=clip_gradient)
    _required(attrs, 't', 'wd')
    return attrs


@register('lamb_update_phase1', infer_shape=_update_shapes)
def lamb_update_phase1(xp, weight, grad, mean, var, *, beta1=0.9, beta2=0.999,
                       epsilon=1e-6, t=None, bias_correction=True, wd=None,
                       rescale_grad=1.0, clip_gradient=-1.0):
    """LAMB, phase 1: update ``mean`` and ``var`` in place, return the direction ``g``.

    With ``grad' = clip(rescale_grad * grad)``, the moments are updated as in
    Adam, and ``g = m_hat / (sqrt(v_hat) + epsilon) + wd * weight``, where
    ``m_hat, v_hat`` are the bias-corrected moments (``bias_correction=True``)
    or the moments themselves. Phase 2 (``lamb_update_phase2``) scales the
    step by the trust ratio ``||weight|| / ||g||``.

    Parameters
    ----------
    weight, grad, mean, var : NDArray
    beta1, beta2 : float, default 0.9, 0.999
    epsilon : float, default 1e-6
    t : int
        The number of this update, from 1 (required).
    bias_correction : bool, default True
    wd : float
        Weight decay (required).
    rescale_grad : float, default 1
    clip_gradient : float, default -1
        Negative: no clipping.

    Returns
    -------
    NDArray
        ``g``, with the weight's shape and dtype.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mean, var = mx.nd.zeros(1), mx.nd.zeros(1)
    >>> g = mx.nd.lamb_update_phase1(mx.nd.ones(1), mx.nd.array([4.0]), mean, var, t=1,
    ...                              wd=0.5, epsilon=0)
    >>> g.asnumpy()
    array([1.5], dtype=float32)
    """
    attrs = _lamb_phase1_attrs(beta1, beta2, epsilon, t, bias_correction, wd, rescale_grad,
                               clip_gradient)
    _check_arrays('lamb_update_phase1', (weight, grad, mean, var))
    return _lamb_direction(xp, weight, grad, mean, var, **attrs)


@register('mp_lamb_update_phase1', infer_shape=_update_shapes, infer_type=_float32_type,
          same_dtype=False)
def mp_lamb_update_phase1(xp, weight, grad, mean, var, weight32, *, beta1=0.9, beta2=0.999,
                          epsilon=1e-6, t=None, bias_correction=True, wd=None,
                          rescale_grad=1.0, clip_gradient=-1.0):
    """``lamb_update_phase1`` in float32, with ``wd`` applied to the master weight.

    Parameters
    ----------
    weight, grad : NDArray
        Usually float16.
    mean, var, weight32 : NDArray
        float32 moments (updated in place) and master weight.
    beta1, beta2, epsilon, t, bias_correction, wd, rescale_grad, clip_gradient
        As in ``lamb_update_phase1``.

    Returns
    -------
    NDArray
        The float32 direction ``g``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> w32 = mx.nd.ones(1)
    >>> mx.nd.mp_lamb_update_phase1(w32.astype('float16'), mx.nd.ones(1, dtype='float16'),
    ...                             mx.nd.zeros(1), mx.nd.zeros(1), w32, t=1, wd=0,
    ...                             epsilon=0).asnumpy()
    array([1.], dtype=float32)
    """
    attrs = _lamb_phase1_attrs(beta1, beta2, epsilon, t, bias_correction, wd, rescale_grad,
                               clip_gradient)
    _check_arrays('mp_lamb_update_phase1', (weight, grad, mean, var, weight32))
    return _lamb_direction(xp, weight32, grad.astype(numpy.float32), mean, var, **attrs)


@register('lamb_update_phase2', infer_shape=_lamb_phase2_shapes)
@_doc
def lamb_update_phase2(xp, weight, g, r1, r2, *, lr=None, lower_bound=-1.0,
                       upper_bound=-1.0):
    """LAMB, phase 2: ``weight - lr * r1 / r2 * g`` (``weight - lr * g`` if a norm is 0).

    Parameters
    ----------
    weight, g : NDArray
        The weight and phase 1's direction.
    r1, r2 : NDArray
        ``weight.norm()`` and ``g.norm()``, one element each.
    lr : float
        Learning rate (required).
    lower_bound, upper_bound : float, default -1
        Clamp ``r1`` from below / above; negative: no bound.

    {returns}

    Examples
    --------
    >>> import mxlearn as mx
    >>> w, g = mx.nd.array([3.0, 4.0]), mx.nd.array([1.0, 0.0])
    >>> mx.nd.lamb_update_phase2(w, g, w.norm(), g.norm(), lr=0.1).asnumpy()
    array([2.5, 4. ], dtype=float32)
    """
    return _new_weight('lamb_update_phase2', xp, weight, (g, r1, r2), dict(
        lr=lr, lower_bound=lower_bound, upper_bound=upper_bound))


@register('mp_lamb_update_phase2', infer_shape=_lamb_phase2_shapes, same_dtype=False)
def mp_lamb_update_phase2(xp, weight, g, r1, r2, weight32, *, lr=None, lower_bound=-1.0,
                          upper_bound=-1.0):
    """``lamb_update_phase2`` on the float32 master ``weight32`` (updated in place).

    Parameters
    ----------
    weight : NDArray
        Usually float16.
    g, r1, r2, weight32 : NDArray
        float32 direction, norms and master weight.
    lr, lower_bound, upper_bound : float
        As in ``lamb_update_phase2``.

    Returns
    -------
    NDArray
        ``weight32`` rounded to the weight's dtype.

    Examples
    --------
    >>> import mxlearn as mx
    >>> w32, g = mx.nd.array([3.0, 4.0]), mx.nd.array([1.0, 0.0])
    >>> mx.nd.mp_lamb_update_phase2(w32.astype('float16'), g, w32.norm(), g.norm(), w32,
    ...                             lr=0.1).asnumpy()
    array([2.5, 4. ], dtype=float16)
    """
    return _new_weight('mp_lamb_update_phase2', xp, weight, (g, r1, r2, weight32), dict(
        lr=lr, lower_bound=lower_bound, upper_bound=upper_bound))

