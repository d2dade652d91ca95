"""Elementwise operators: arithmetic with broadcasting, scalars, comparisons, unary math.

Every gradient here is written with ``F`` operators only, so each of them can be
differentiated again (``autograd.grad(..., create_graph=True)``).
"""
import math

from ..base import MXNetError
from .registry import register
from .shapes import broadcast_shape, same_shape


# --------------------------------------------------------------- broadcasting --

def sum_to_shape(xp, data, shape):
    """Sum ``data`` over the axes along which ``shape`` was broadcast to it."""
    shape = tuple(shape)
    if data.shape == shape:
        return data
    extra = data.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, s in enumerate(shape) if s == 1 and data.shape[i + extra] != 1)
    out = data.sum(axis=axes, keepdims=True) if axes else data
    return out.reshape(shape)


def unbroadcast(F, grad, like):
    """The gradient ``grad`` of a broadcast result, summed back to ``like``'s shape."""
    if grad.shape == like.shape:
        return grad
    return F._unbroadcast(grad, like)


@register('_unbroadcast',
          gradient=lambda F, i, o, g: (F.broadcast_like(g[0], i[0]), None),
          infer_shape=lambda shapes: [tuple(shapes[1])])
def _unbroadcast_forward(xp, data, like):
    """Sum ``data`` down to the shape of ``like`` (the adjoint of broadcasting)."""
    return sum_to_shape(xp, data, like.shape)


def _broadcast_like_shape(shapes, lhs_axes=None, rhs_axes=None):
    lhs, rhs = shapes
    if lhs_axes is None:
        if len(lhs) != len(rhs) or any(a != b and a != 1 for a, b in zip(lhs, rhs)):
            raise MXNetError('cannot broadcast shape %s like %s; expected the same number '
                             'of axes, each equal or 1' % (tuple(lhs), tuple(rhs)))
        return [tuple(rhs)]
    out = list(lhs)
    for la, ra in zip(lhs_axes, rhs_axes):
        if lhs[la] != 1:
            raise MXNetError('broadcast_like: lhs axis %d has size %d; expected 1' % (la, lhs[la]))
        out[la] = rhs[ra]
    return [tuple(out)]


@register('broadcast_like',
          gradient=lambda F, i, o, g, **a: (unbroadcast(F, g[0], i[0]), None),
          infer_shape=_broadcast_like_shape, same_dtype=False)
def broadcast_like(xp, lhs, rhs, *, lhs_axes=None, rhs_axes=None):
    """Broadcast ``lhs`` to the shape of ``rhs`` (or along the given axes only).

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.broadcast_like(mx.nd.ones((1, 3)), mx.nd.zeros((2, 3))).shape
    (2, 3)
    """
    shape = _broadcast_like_shape([lhs.shape, rhs.shape], lhs_axes, rhs_axes)[0]
    return xp.broadcast_to(lhs, shape).copy()


# ------------------------------------------------------ binary, array x array --

def _binary(name, ufunc, gradient, doc, aliases=(), keep_dtype=False, differentiable=True):
    def forward(xp, lhs, rhs):
        out = getattr(xp, ufunc)(lhs, rhs)
        return out.astype(lhs.dtype) if out.dtype != lhs.dtype else out
    forward.__name__ = name
    forward.__doc__ = doc
    # Only ops whose numpy result can change dtype (comparisons give bool,
    # integer division gives float) pay for the dtype check on the fast path.
    register(name, gradient=gradient, infer_shape=broadcast_shape, ufunc=ufunc,
             keep_dtype=keep_dtype, aliases=aliases, differentiable=differentiable)(forward)


def _grad_div(F, i, o, g):
    lhs, rhs = i
    return unbroadcast(F, g[0] / rhs, lhs), unbroadcast(F, -g[0] * o[0] / rhs, rhs)


def _grad_power(F, i, o, g):
    lhs, rhs = i
    return (unbroadcast(F, g[0] * rhs * lhs ** (rhs - 1), lhs),
            unbroadcast(F, g[0] * o[0] * F.log(lhs), rhs))


def _grad_maximum(F, i, o, g):
    lhs, rhs = i
    mask = lhs >= rhs
    return unbroadcast(F, g[0] * mask, lhs), unbroadcast(F, g[0] * (1 - mask), rhs)


def _grad_minimum(F, i, o, g):
    lhs, rhs = i
    mask = lhs <= rhs
    return unbroadcast(F, g[0] * mask, lhs), unbroadcast(F, g[0] * (1 - mask), rhs)


_EXAMPLE = """

Examples
--------
>>> import mxlearn as mx
>>> a = mx.nd.array([[1, 2, 3]])
>>> b = mx.nd.array([[10], [20]])
>>> mx.nd.{name}(a, b).shape
(2, 3)
"""

for _name, _ufunc, _grad, _doc, _aliases in [
    ('broadcast_add', 'add',
     lambda F, i, o, g: (unbroadcast(F, g[0], i[0]), unbroadcast(F, g[0], i[1])),
     'lhs + rhs, with broadcasting.', ('elemwise_add', '_plus', '_add', 'broadcast_plus')),
    ('broadcast_sub', 'subtract',
     lambda F, i, o, g: (unbroadcast(F, g[0], i[0]), unbroadcast(F, -g[0], i[1])),
     'lhs - rhs, with broadcasting.', ('elemwise_sub', '_minus', '_sub', 'broadcast_minus')),
    ('broadcast_mul', 'multiply',
     lambda F, i, o, g: (unbroadcast(F, g[0] * i[1], i[0]), unbroadcast(F, g[0] * i[0], i[1])),
     'lhs * rhs, with broadcasting.', ('elemwise_mul', '_mul')),
    ('broadcast_div', 'true_divide', _grad_div,
     'lhs / rhs, with broadcasting.', ('elemwise_div', '_div')),
    ('broadcast_mod', 'mod',
     lambda F, i, o, g: (unbroadcast(F, g[0], i[0]),
                         unbroadcast(F, -g[0] * F.floor(i[0] / i[1]), i[1])),
     'lhs modulo rhs (the sign of rhs), with broadcasting.', ('_mod',)),
    ('broadcast_power', 'power', _grad_power,
     'lhs ** rhs, with broadcasting.', ('_power',)),
    ('broadcast_maximum', 'maximum', _grad_maximum,
     'Elementwise maximum, with broadcasting.', ('_maximum',)),
    ('broadcast_minimum', 'minimum', _grad_minimum,
     'Elementwise minimum, with broadcasting.', ('_minimum',)),
    ('broadcast_hypot', 'hypot',
     lambda F, i, o, g: (unbroadcast(F, g[0] * i[0] / o[0], i[0]),
                         unbroadcast(F, g[0] * i[1] / o[0], i[1])),
     'sqrt(lhs**2 + rhs**2), with broadcasting.', ('_hypot',)),
]:
    _binary(_name, _ufunc, _grad, _doc + _EXAMPLE.format(name=_name), _aliases,
            keep_dtype=_ufunc in ('true_divide', 'power'))

for _name, _ufunc, _sym in [
    ('broadcast_equal', 'equal', '=='), ('broadcast_not_equal', 'not_equal', '!='),
    ('broadcast_greater', 'greater', '>'), ('broadcast_greater_equal', 'greater_equal', '>='),
    ('broadcast_lesser', 'less', '<'), ('broadcast_lesser_equal', 'less_equal', '<='),
    ('broadcast_logical_and', 'logical_and', 'and'), ('broadcast_logical_or', 'logical_or', 'or'),
    ('broadcast_logical_xor', 'logical_xor', 'xor'),
]:
    _binary(_name, _ufunc, None,
            'lhs %s rhs as 1 or 0 in the input dtype, with broadcasting.%s'
            % (_sym, _EXAMPLE.format(name=_name)),
            aliases=('_' + _name[len('broadcast_'):],), keep_dtype=True, differentiable=False)


# ----------------------------------------------------- binary, array x scalar --

def _scalar(name, ufunc, gradient, doc, reflected=False, differentiable=True):
    def forward(xp, data, *, scalar=1.0):
        if data.dtype.kind != 'f' and isinstance(scalar, float):
            scalar = int(scalar)  # MXNet casts the scalar to an integer array's dtype
        fn = getattr(xp, ufunc)
        out = fn(scalar, data) if reflected else fn(data, scalar)
        return out.astype(data.dtype) if out.dtype != data.dtype else out
    forward.__name__ = name
    forward.__doc__ = (doc + '\n\nThe result keeps the dtype of ``data``.\n\nExamples\n'
                       '--------\n>>> import mxlearn as mx\n>>> mx.nd.%s(mx.nd.array([1, 2]), '
                       'scalar=2).shape\n(2,)\n' % name)
    register(name, gradient=gradient, infer_shape=same_shape, ufunc=ufunc,
             reflected=reflected, differentiable=differentiable)(forward)


for _name, _ufunc, _grad, _doc, _refl in [
    ('_plus_scalar', 'add', lambda F, i, o, g, scalar: (g[0],), 'data + scalar', False),
    ('_minus_scalar', 'subtract', lambda F, i, o, g, scalar: (g[0],), 'data - scalar', False),
    ('_rminus_scalar', 'subtract', lambda F, i, o, g, scalar: (-g[0],), 'scalar - data', True),
    ('_mul_scalar', 'multiply', lambda F, i, o, g, scalar: (g[0] * scalar,), 'data * scalar', False),
    ('_div_scalar', 'true_divide', lambda F, i, o, g, scalar: (g[0] / scalar,), 'data / scalar', False),
    ('_rdiv_scalar', 'true_divide',
     lambda F, i, o, g, scalar: (-g[0] * o[0] / i[0],), 'scalar / data', True),
    ('_mod_scalar', 'mod', lambda F, i, o, g, scalar: (g[0],), 'data % scalar', False),
    ('_rmod_scalar', 'mod',
     lambda F, i, o, g, scalar: (-g[0] * F.floor(scalar / i[0]),), 'scalar % data', True),
    ('_power_scalar', 'power',
     lambda F, i, o, g, scalar: (g[0] * scalar * i[0] ** (scalar - 1),), 'data ** scalar', False),
    ('_rpower_scalar', 'power',
     lambda F, i, o, g, scalar: (g[0] * o[0] * math.log(scalar),), 'scalar ** data', True),
    ('_maximum_scalar', 'maximum',
     lambda F, i, o, g, scalar: (g[0] * (i[0] >= scalar),), 'max(data, scalar)', False),
    ('_minimum_scalar', 'minimum',
     lambda F, i, o, g, scalar: (g[0] * (i[0] <= scalar),), 'min(data, scalar)', False),
    ('_hypot_scalar', 'hypot',
     lambda F, i, o, g, scalar: (g[0] * i[0] / o[0],), 'sqrt(data**2 + scalar**2)', False),
]:
    _scalar(_name, _ufunc, _grad, _doc, _refl)

for _name, _ufunc, _sym in [
    ('_equal_scalar', 'equal', '=='), ('_not_equal_scalar', 'not_equal', '!='),
    ('_greater_scalar', 'greater', '>'), ('_greater_equal_scalar', 'greater_equal', '>='),
    ('_lesser_scalar', 'less', '<'), ('_lesser_equal_scalar', 'less_equal', '<='),
    ('_logical_and_scalar', 'logical_and', 'and'), ('_logical_or_scalar', 'logical_or', 'or'),
    ('_logical_xor_scalar', 'logical_xor', 'xor'),
]:
    _scalar(_name, _ufunc, None, 'data %s scalar as 1 or 0' % _sym, differentiable=False)

# ``scalar < data`` is ``data > scalar``: the reflected comparisons reuse these.
REFLECTED_COMPARISONS = {'_greater_scalar': '_lesser_scalar',
                         '_greater_equal_scalar': '_lesser_equal_scalar',
                         '_lesser_scalar': '_greater_scalar',
                         '_lesser_equal_scalar': '_greater_equal_scalar'}


# ------------------------------------------------------------------- unary --

def _unary(name, compute, gradient, doc, aliases=(), differentiable=True, float_only=False):
    def forward(xp, data):
        if float_only and data.dtype.kind not in 'fc':
            raise MXNetError('expected a floating-point input, got %s' % data.dtype)
        out = compute(xp, data)
        return out.astype(data.dtype) if out.dtype != data.dtype else out
    forward.__name__ = name
    forward.__doc__ = (doc + '\n\nExamples\n--------\n>>> import mxlearn as mx\n'
                       '>>> mx.nd.%s(mx.nd.array([0.5, 0.25])).shape\n(2,)\n' % name)
    register(name, gradient=gradient, infer_shape=same_shape, aliases=aliases,
             differentiable=differentiable)(forward)


def _zero_grad(F, i, o, g):
    return (F.zeros_like(i[0]),)


def _special(xp):
    from ..backend import special_functions
    return special_functions(xp)


LN2 = math.log(2.0)
LN10 = math.log(10.0)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0

for _name, _compute, _grad, _doc in [
    ('negative', lambda xp, x: xp.negative(x), lambda F, i, o, g: (-g[0],), 'Elementwise -x.'),
    ('abs', lambda xp, x: xp.abs(x), lambda F, i, o, g: (g[0] * F.sign(i[0]),), 'Elementwise |x|.'),
    ('exp', lambda xp, x: xp.exp(x), lambda F, i, o, g: (g[0] * o[0],), 'Elementwise e**x.'),
    ('expm1', lambda xp, x: xp.expm1(x), lambda F, i, o, g: (g[0] * (o[0] + 1),),
     'Elementwise e**x - 1, accurate for small x.'),
    ('log', lambda xp, x: xp.log(x), lambda F, i, o, g: (g[0] / i[0],), 'Natural logarithm.'),
    ('log1p', lambda xp, x: xp.log1p(x), lambda F, i, o, g: (g[0] / (i[0] + 1),),
     'log(1 + x), accurate for small x.'),
    ('log2', lambda xp, x: xp.log2(x), lambda F, i, o, g: (g[0] / (i[0] * LN2),), 'Base-2 logarithm.'),
    ('log10', lambda xp, x: xp.log10(x), lambda F, i, o, g: (g[0] / (i[0] * LN10),),
     'Base-10 logarithm.'),
    ('sqrt', lambda xp, x: xp.sqrt(x), lambda F, i, o, g: (g[0] * 0.5 / o[0],), 'Square root.'),
    ('rsqrt', lambda xp, x: 1 / xp.sqrt(x),
     lambda F, i, o, g: (g[0] * -0.5 * o[0] / i[0],), '1 / sqrt(x).'),
    ('cbrt', lambda xp, x: xp.cbrt(x),
     lambda F, i, o, g: (g[0] / (3 * o[0] * o[0]),), 'Cube root.'),
    ('rcbrt', lambda xp, x: 1 / xp.cbrt(x),
     lambda F, i, o, g: (g[0] * (-1.0 / 3) * o[0] / i[0],), '1 / cbrt(x).'),
    ('square', lambda xp, x: xp.square(x), lambda F, i, o, g: (g[0] * 2 * i[0],), 'x * x.'),
    ('reciprocal', lambda xp, x: 1 / x, lambda F, i, o, g: (-g[0] * o[0] * o[0],), '1 / x.'),
    ('sin', lambda xp, x: xp.sin(x), lambda F, i, o, g: (g[0] * F.cos(i[0]),), 'Sine.'),
    ('cos', lambda xp, x: xp.cos(x), lambda F, i, o, g: (-g[0] * F.sin(i[0]),), 'Cosine.'),
    ('tan', lambda xp, x: xp.tan(x), lambda F, i, o, g: (g[0] * (1 + o[0] * o[0]),), 'Tangent.'),
    ('arcsin', lambda xp, x: xp.arcsin(x),
     lambda F, i, o, g: (g[0] * F.rsqrt(1 - i[0] * i[0]),), 'Inverse sine.'),
    ('arccos', lambda xp, x: xp.arccos(x),
     lambda F, i, o, g: (-g[0] * F.rsqrt(1 - i[0] * i[0]),), 'Inverse cosine.'),
    ('arctan', lambda xp, x: xp.arctan(x),
     lambda F, i, o, g: (g[0] / (1 + i[0] * i[0]),), 'Inverse tangent.'),
    ('sinh', lambda xp, x: xp.sinh(x), lambda F, i, o, g: (g[0] * F.cosh(i[0]),), 'Hyperbolic sine.'),
    ('cosh', lambda xp, x: xp.cosh(x), lambda F, i, o, g: (g[0] * F.sinh(i[0]),),
     'Hyperbolic cosine.'),
    ('tanh', lambda xp, x: xp.tanh(x), lambda F, i, o, g: (g[0] * (1 - o[0] * o[0]),),
     'Hyperbolic tangent.'),
    ('arcsinh', lambda xp, x: xp.arcsinh(x),
     lambda F, i, o, g: (g[0] * F.rsqrt(i[0] * i[0] + 1),), 'Inverse hyperbolic sine.'),
    ('arccosh', lambda xp, x: xp.arccosh(x),
     lambda F, i, o, g: (g[0] * F.rsqrt(i[0] * i[0] - 1),), 'Inverse hyperbolic cosine.'),
    ('arctanh', lambda xp, x: xp.arctanh(x),
     lambda F, i, o, g: (g[0] / (1 - i[0] * i[0]),), 'Inverse hyperbolic tangent.'),
    ('degrees', lambda xp, x: xp.degrees(x),
     lambda F, i, o, g: (g[0] * (180 / math.pi),), 'Radians to degrees.'),
    ('radians', lambda xp, x: xp.radians(x),
     lambda F, i, o, g: (g[0] * (math.pi / 180),), 'Degrees to radians.'),
    ('relu', lambda xp, x: xp.maximum(x, 0), lambda F, i, o, g: (g[0] * (i[0] > 0),),
     'Rectified linear unit, max(x, 0).'),
    ('sigmoid', lambda xp, x: 1 / (1 + xp.exp(-x)),
     lambda F, i, o, g: (g[0] * o[0] * (1 - o[0]),), 'Logistic sigmoid, 1 / (1 + e**-x).'),
    ('softsign', lambda xp, x: x / (1 + xp.abs(x)),
     lambda F, i, o, g: (g[0] / F.square(1 + F.abs(i[0])),), 'x / (1 + |x|).'),
    ('erf', lambda xp, x: _special(xp).erf(x),
     lambda F, i, o, g: (g[0] * TWO_OVER_SQRT_PI * F.exp(-i[0] * i[0]),), 'The error function.'),
    ('erfinv', lambda xp, x: _special(xp).erfinv(x),
     lambda F, i, o, g: (g[0] * SQRT_PI_OVER_TWO * F.exp(o[0] * o[0]),),
     'The inverse of the error function.'),
    ('gamma', lambda xp, x: _special(xp).gamma(x),
     lambda F, i, o, g: (g[0] * o[0] * F.digamma(i[0]),), 'The gamma function.'),
    ('gammaln', lambda xp, x: _special(xp).gammaln(x),
     lambda F, i, o, g: (g[0] * F.digamma(i[0]),), 'log |gamma(x)|.'),
    ('digamma', lambda xp, x: _special(xp).digamma(x),
     lambda F, i, o, g: (g[0] * F.trigamma(i[0]),), 'The derivative of gammaln.'),
]:
    _unary(_name, _compute, _grad, _doc)

# Piecewise-constant functions: their gradient is zero almost everywhere.
for _name, _compute, _doc in [
    ('sign', lambda xp, x: xp.sign(x), 'The sign of x: -1, 0 or 1.'),
    ('floor', lambda xp, x: xp.floor(x), 'Round down.'),
    ('ceil', lambda xp, x: xp.ceil(x), 'Round up.'),
    ('round', lambda xp, x: xp.where(x >= 0, xp.floor(x + 0.5), xp.ceil(x - 0.5)),
     'Round half away from zero, as MXNet does.'),
    ('rint', lambda xp, x: xp.rint(x), 'Round half to even.'),
    ('trunc', lambda xp, x: xp.trunc(x), 'Round toward zero.'),
    ('fix', lambda xp, x: xp.trunc(x), 'Round toward zero.'),
]:
    _unary(_name, _compute, _zero_grad, _doc)

_unary('logical_not', lambda xp, x: xp.logical_not(x), None,
       'Logical not, as 1 or 0 in the input dtype.', differentiable=False)


def _trigamma_grad(F, i, o, g):
    raise MXNetError('trigamma: derivatives of order above two of gamma/gammaln '
                     'are not implemented')


_unary('trigamma', lambda xp, x: _special(xp).trigamma(x), _trigamma_grad,
       'The derivative of digamma.')


@register('zeros_like', gradient=lambda F, i, o, g: (F.zeros_like(i[0]),),
          infer_shape=same_shape)
def zeros_like(xp, data):
    """An array of zeros with the shape and dtype of ``data``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.zeros_like(mx.nd.ones((2,))).asnumpy()
    array([0., 0.], dtype=float32)
    """
    return xp.zeros_like(data)


@register('ones_like', gradient=lambda F, i, o, g: (F.zeros_like(i[0]),),
          infer_shape=same_shape)
def ones_like(xp, data):
    """An array of ones with the shape and dtype of ``data``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.ones_like(mx.nd.zeros((2,))).asnumpy()
    array([1., 1.], dtype=float32)
    """
    return xp.ones_like(data)


@register('_copy', gradient=lambda F, i, o, g: (g[0],), infer_shape=same_shape,
          aliases=('identity',))
def copy(xp, data):
    """A copy of ``data``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.identity(mx.nd.ones((2,))).shape
    (2,)
    """
    return data.copy()


@register('clip', gradient=lambda F, i, o, g, a_min, a_max:
          (g[0] * (i[0] >= a_min) * (i[0] <= a_max),), infer_shape=same_shape)
def clip(xp, data, *, a_min=None, a_max=None):
    """Limit the values of ``data`` to ``[a_min, a_max]``.

    The gradient passes where ``a_min <= x <= a_max`` and is zero elsewhere.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.clip(mx.nd.array([-2, 0.5, 3]), a_min=-1, a_max=1).asnumpy()
    array([-1. ,  0.5,  1. ], dtype=float32)
    """
    if a_min is None or a_max is None:
        raise MXNetError('clip needs both a_min and a_max')
    if a_min > a_max:
        raise MXNetError('clip: a_min (%r) must not exceed a_max (%r)' % (a_min, a_max))
    out = xp.clip(data, a_min, a_max)
    return out.astype(data.dtype) if out.dtype != data.dtype else out


def _cast_grad(F, inputs, outputs, ograds, dtype):
    return (F.Cast(ograds[0], dtype=inputs[0].dtype),)


@register('Cast', gradient=_cast_grad, infer_shape=same_shape,
          infer_type=lambda dtypes, dtype: [dtype], aliases=('cast',))
def cast(xp, data, *, dtype='float32'):
    """Convert ``data`` to ``dtype``; the gradient is converted back.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.Cast(mx.nd.array([1.5]), dtype='int32').asnumpy()
    array([1], dtype=int32)
    """
    return data.astype(dtype)
