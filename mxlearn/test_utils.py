"""Tools for testing code written with mxlearn (``mx.test_utils``).

The names and signatures follow Apache MXNet 1.x's ``mxnet.test_utils``, so
tests written for MXNet run unchanged:

* comparing arrays with tolerances chosen by dtype (:func:`assert_almost_equal`,
  :func:`almost_equal`, :func:`same`);
* checking a gradient rule against finite differences
  (:func:`check_numeric_gradient`);
* random inputs (:func:`random_arrays`, :func:`rand_ndarray`, :func:`rand_shape_nd`);
* the default context and dtype, and temporary environment variables.

Failures raise ``AssertionError`` with a message that says how far apart the
arrays are, where, and what both sides hold there, so that a learner can see at
once what went wrong.
"""
import contextlib
import inspect
import os

import numpy as np

from . import autograd
from ._ext.core import NDArrayBase
from .base import MXNetError
from .context import Context, current_context, set_base_context

__all__ = ['default_context', 'set_default_context', 'default_dtype',
           'default_rtols', 'default_atols', 'default_numeric_eps', 'get_rtol',
           'get_atol', 'get_tols', 'get_tolerance', 'assert_almost_equal',
           'almost_equal', 'assert_almost_equal_ignore_nan', 'assert_allclose',
           'same', 'same_array', 'assert_exception', 'check_numeric_gradient',
           'check_symbolic_forward', 'check_symbolic_backward', 'numeric_grad',
           'random_arrays', 'random_uniform_arrays', 'rand_ndarray',
           'rand_shape_2d', 'rand_shape_3d', 'rand_shape_nd', 'environment',
           'simple_forward', 'check_speed', 'get_mnist', 'get_mnist_iterator']


# ----------------------------------------------------------- defaults --

def default_context():
    """The context tests run on: the current default context (``cpu(0)`` unless changed).

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.test_utils.default_context()
    cpu(0)
    """
    return current_context()


def set_default_context(ctx):
    """Make ``ctx`` the global default context (what arrays are created on).

    As in MXNet this changes the default for all later code, not only for
    tests; it does not affect code inside a ``with ctx:`` block.

    Parameters
    ----------
    ctx : Context

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.test_utils.set_default_context(mx.cpu(1))
    >>> mx.nd.array([1]).context
    cpu(1)
    >>> mx.test_utils.set_default_context(mx.cpu(0))
    """
    if not isinstance(ctx, Context):
        raise MXNetError('set_default_context: expected a Context such as mx.cpu(0), '
                         'got %s' % type(ctx).__name__)
    set_base_context(ctx)


def default_dtype():
    """The dtype of test inputs: ``numpy.float32``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.test_utils.default_dtype()
    <class 'numpy.float32'>
    """
    return np.float32


_INT_DTYPES = (np.dtype(np.bool_), np.dtype(np.int8), np.dtype(np.uint8),
               np.dtype(np.int32), np.dtype(np.uint32), np.dtype(np.int64),
               np.dtype(np.uint64))


def default_rtols():
    """Default relative tolerance for each dtype (a dict numpy dtype -> float).

    Examples
    --------
    >>> import numpy as np
    >>> import mxlearn as mx
    >>> mx.test_utils.default_rtols()[np.dtype(np.float32)]
    0.0001
    """
    tols = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 1e-4,
            np.dtype(np.float64): 1e-5}
    tols.update((d, 0) for d in _INT_DTYPES)
    return tols


def default_atols():
    """Default absolute tolerance for each dtype (a dict numpy dtype -> float).

    Examples
    --------
    >>> import numpy as np
    >>> import mxlearn as mx
    >>> mx.test_utils.default_atols()[np.dtype(np.float16)]
    0.1
    """
    tols = {np.dtype(np.float16): 1e-1, np.dtype(np.float32): 1e-3,
            np.dtype(np.float64): 1e-20}
    tols.update((d, 0) for d in _INT_DTYPES)
    return tols


def default_numeric_eps():
    """Default finite-difference step for each floating dtype (powers of two).

    Examples
    --------
    >>> import numpy as np
    >>> import mxlearn as mx
    >>> mx.test_utils.default_numeric_eps()[np.dtype(np.float32)] == 2.0 ** -9
    True
    """
    return {np.dtype(np.float16): 2.0 ** -6, np.dtype(np.float32): 2.0 ** -9,
            np.dtype(np.float64): 2.0 ** -14}


def _dtype_of(x):
    """The numpy dtype of an NDArray, numpy array or Python number (float64 for floats)."""
    if isinstance(x, NDArrayBase):
        return np.dtype(x.dtype)
    if isinstance(x, (np.ndarray, np.generic)):
        return x.dtype
    return np.asarray(x).dtype


def get_tolerance(x, tol, default_tol):
    """``tol`` if given, else the default for ``x``'s dtype (``x`` may be a dtype).

    Parameters
    ----------
    x : NDArray, numpy array, number or dtype
    tol : float or None
    default_tol : dict
        dtype -> tolerance, such as :func:`default_rtols`.

    Examples
    --------
    >>> import numpy as np
    >>> import mxlearn as mx
    >>> tu = mx.test_utils
    >>> tu.get_tolerance(np.float16, None, tu.default_atols())
    0.1
    >>> tu.get_tolerance(np.float16, 0.5, tu.default_atols())
    0.5
    """
    if tol is not None:
        return tol
    if isinstance(x, (type, np.dtype, str)):
        dtype = np.dtype(x)
    else:
        dtype = _dtype_of(x)
    if dtype not in default_tol:
        raise MXNetError('no default tolerance for dtype %s; pass rtol/atol explicitly'
                         % (dtype,))
    return default_tol[dtype]


def get_rtol(rtol=None, dtype=np.dtype(np.float64)):
    """``rtol`` if given, else the default relative tolerance of ``dtype``.

    Examples
    --------
    >>> import numpy as np
    >>> import mxlearn as mx
    >>> mx.test_utils.get_rtol(None, np.float32)
    0.0001
    """
    return get_tolerance(dtype, rtol, default_rtols())


def get_atol(atol=None, dtype=np.dtype(np.float64)):
    """``atol`` if given, else the default absolute tolerance of ``dtype``.

    Examples
    --------
    >>> import numpy as np
    >>> import mxlearn as mx
    >>> mx.test_utils.get_atol(None, np.float32)
    0.001
    """
    return get_tolerance(dtype, atol, default_atols())


def get_tols(x, y, rtol, atol):
    """The ``(rtol, atol)`` for comparing ``x`` and ``y``: the looser default of the two.

    Examples
    --------
    >>> import numpy as np
    >>> import mxlearn as mx
    >>> mx.test_utils.get_tols(np.ones(2, np.float16), 1.0, None, None)
    (0.01, 0.1)
    """
    if rtol is None:
        rtol = max(get_tolerance(x, None, default_rtols()),
                   get_tolerance(y, None, default_rtols()))
    if atol is None:
        atol = max(get_tolerance(x, None, default_atols()),
                   get_tolerance(y, None, default_atols()))
    return rtol, atol


# ------------------------------------------------------------ comparing --

def _as_numpy(x, name='a'):
    if isinstance(x, NDArrayBase):
        return x.asnumpy()
    if isinstance(x, np.ndarray):
        return x
    try:
        return np.asarray(x)
    except Exception:
        raise MXNetError('cannot compare %s of type %s: expected an NDArray, a numpy '
                         'array or a number' % (name, type(x).__name__)) from None


def _shapes_compatible(a, b, use_broadcast):
    if a.shape == b.shape:
        return True
    if not use_broadcast:
        return False
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        return False
    return True


def _violation(a, b, rtol, atol, equal_nan):
    """Elementwise ``|a - b| / (atol + rtol * |b|)`` in float64; > 1 means a mismatch."""
    a64 = a.astype(np.float64)
    b64 = b.astype(np.float64)
    with np.errstate(invalid='ignore', divide='ignore', over='ignore'):
        err = np.abs(a64 - b64)
        tol = atol + rtol * np.abs(b64)
        ratio = np.where(tol > 0, err / np.where(tol > 0, tol, 1), np.where(err > 0, np.inf, 0))
        a_inf, b_inf = np.isinf(a64), np.isinf(b64)
        same_inf = a_inf & b_inf & (np.sign(a64) == np.sign(b64))
        ratio = np.where(a_inf | b_inf, np.where(same_inf, 0.0, np.inf), ratio)
        a_nan, b_nan = np.isnan(a64), np.isnan(b64)
        if equal_nan:
            ratio = np.where(a_nan & b_nan, 0.0, ratio)
        ratio = np.where((a_nan | b_nan) & ~(equal_nan & a_nan & b_nan), np.inf, ratio)
    return ratio, err


def _index(flat_index, shape):
    return tuple(int(i) for i in np.unravel_index(int(flat_index), shape))


def _fmt(v):
    v = np.asarray(v)
    if v.dtype.kind in 'fc':
        return '%.8g' % v
    return str(v.item() if v.ndim == 0 else v)


def assert_almost_equal(a, b, rtol=None, atol=None, names=('a', 'b'), equal_nan=False,
                        use_broadcast=True, mismatches=(10, 10)):
    """Check that ``a`` and ``b`` are equal up to ``|a - b| <= atol + rtol * |b|``.

    Parameters
    ----------
    a, b : NDArray, numpy.ndarray or number
        The actual and the expected values (``b`` sets the relative scale).
    rtol, atol : float, optional
        Relative and absolute tolerances. By default each is the looser of the
        defaults for the dtypes of ``a`` and ``b`` (see :func:`default_rtols`):
        float32 1e-4 / 1e-3, float16 1e-2 / 1e-1, float64 1e-5 / 1e-20,
        integers and bool exact. A Python number counts as float64.
    names : tuple of two str
        How the message names ``a`` and ``b``.
    equal_nan : bool
        Whether NaNs in the same places count as equal.
    use_broadcast : bool
        Allow shapes that broadcast to each other; otherwise they must be equal.
    mismatches : tuple of two int
        The message lists up to ``mismatches[0]`` of the worst mismatching
        elements (``mismatches[1]`` is accepted for MXNet compatibility).

    Raises
    ------
    AssertionError
        Naming the largest error, where it is, both values there, the
        tolerances, and how many elements are out of tolerance.

    Examples
    --------
    >>> import mxlearn as mx
    >>> from mxlearn.test_utils import assert_almost_equal
    >>> assert_almost_equal(mx.nd.array([1.0, 2.0]), [1.0005, 2.0])
    >>> try:
    ...     assert_almost_equal(mx.nd.array([1.0, 2.0]), [1.0, 2.5], names=('y', 'expected'))
    ... except AssertionError as e:
    ...     print(str(e).splitlines()[0])
    y and expected differ: 1 of 2 elements (50.0%) are out of tolerance (rtol=0.0001, atol=0.001)
    """
    rtol, atol = get_tols(a, b, rtol, atol)
    an, bn = _as_numpy(a, names[0]), _as_numpy(b, names[1])
    if not _shapes_compatible(an, bn, use_broadcast):
        raise AssertionError('%s and %s have different shapes: %s.shape = %s and %s.shape '
                             '= %s%s' % (names[0], names[1], names[0], an.shape, names[1],
                                         bn.shape, '' if use_broadcast else
                                         ' (use_broadcast=False needs equal shapes)'))
    if an.shape != bn.shape:
        an, bn = np.broadcast_arrays(an, bn)
    if an.size == 0:
        return
    if an.dtype == np.bool_ or bn.dtype == np.bool_:
        an, bn = an.astype(np.int64), bn.astype(np.int64)
    ratio, err = _violation(an, bn, rtol, atol, equal_nan)
    bad = ratio > 1
    nbad = int(np.count_nonzero(bad))
    if nbad == 0:
        return
    # Rank by how far out of tolerance (ties, up to rounding, by absolute error).
    flat = np.where(np.isnan(ratio), np.inf, ratio).ravel()
    order = np.lexsort((-np.nan_to_num(err.ravel(), nan=np.inf),
                        -flat.astype(np.float32)))
    worst = _index(order[0], an.shape)
    lines = ['%s and %s differ: %d of %d elements (%.1f%%) are out of tolerance '
             '(rtol=%g, atol=%g)' % (names[0], names[1], nbad, an.size,
                                     100.0 * nbad / an.size, rtol, atol),
             'largest error at index %s: %s=%s, %s=%s, |%s-%s|=%s (tolerance there %s)'
             % (worst, names[0], _fmt(an[worst]), names[1], _fmt(bn[worst]), names[0],
                names[1], _fmt(err[worst]),
                _fmt(atol + rtol * abs(float(bn[worst])) if bn.dtype.kind != 'c'
                     else atol))]
    nshow = max(0, int(mismatches[0]))
    if nbad > 1 and nshow > 0:
        order = order[:min(nshow, nbad)]
        lines.append('worst mismatches (index: %s, %s):' % tuple(names))
        for k in order:
            idx = _index(k, an.shape)
            lines.append('  %s: %s, %s' % (idx, _fmt(an[idx]), _fmt(bn[idx])))
        if nbad > len(order):
            lines.append('  ... and %d more' % (nbad - len(order)))
    if an.size <= 20:
        lines.append('%s = %s' % (names[0], np.array2string(an, precision=8)))
        lines.append('%s = %s' % (names[1], np.array2string(bn, precision=8)))
    raise AssertionError('\n'.join(lines))


def almost_equal(a, b, rtol=None, atol=None, equal_nan=False, use_broadcast=True):
    """Whether ``a`` and ``b`` are equal up to ``|a - b| <= atol + rtol * |b|``.

    Unlike :func:`assert_almost_equal`, the default tolerances are float64's
    (``rtol=1e-5``, ``atol=1e-20``) whatever the dtypes, as in MXNet.

    Parameters
    ----------
    a, b : NDArray, numpy.ndarray or number
    rtol, atol : float, optional
    equal_nan : bool
    use_broadcast : bool
        If False, different shapes give False.

    Examples
    --------
    >>> import numpy as np
    >>> from mxlearn.test_utils import almost_equal
    >>> almost_equal(np.array([1.0]), np.array([1.000009]))
    True
    >>> almost_equal(np.array([1.0]), np.array([1.0009]))
    False
    """
    rtol = get_rtol(rtol)
    atol = get_atol(atol)
    an, bn = _as_numpy(a, 'a'), _as_numpy(b, 'b')
    if not _shapes_compatible(an, bn, use_broadcast):
        return False
    if an.dtype == np.bool_ or bn.dtype == np.bool_:
        an, bn = an.astype(np.int64), bn.astype(np.int64)
    ratio, _ = _violation(an, bn, rtol, atol, equal_nan)
    return bool(np.all(ratio <= 1))


def assert_almost_equal_ignore_nan(a, b, rtol=None, atol=None, names=('a', 'b')):
    """:func:`assert_almost_equal` that skips positions where ``a`` or ``b`` is NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from mxlearn.test_utils import assert_almost_equal_ignore_nan
    >>> assert_almost_equal_ignore_nan(np.array([1.0, np.nan]), np.array([1.0, 5.0]))
    """
    an = np.array(_as_numpy(a, names[0]), copy=True)
    bn = np.array(_as_numpy(b, names[1]), copy=True)
    if an.shape != bn.shape:
        an, bn = (np.array(x) for x in np.broadcast_arrays(an, bn))
    if an.dtype.kind in 'fc' or bn.dtype.kind in 'fc':
        nan = np.isnan(an) | np.isnan(bn)
        if an.dtype.kind in 'fc':
            an[nan] = 0
        if bn.dtype.kind in 'fc':
            bn[nan] = 0
    rtol, atol = get_tols(a, b, rtol, atol)
    assert_almost_equal(an, bn, rtol=rtol, atol=atol, names=names)


def assert_allclose(a, b, rtol=1e-07, atol=0, equal_nan=True):
    """Like ``numpy.testing.assert_allclose``, accepting NDArrays too.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.test_utils.assert_allclose(mx.nd.array([1, 2]), [1, 2])
    """
    assert_almost_equal(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def same(a, b):
    """Whether ``a`` and ``b`` have the same shape and exactly the same values.

    Examples
    --------
    >>> import mxlearn as mx
    >>> from mxlearn.test_utils import same
    >>> same(mx.nd.array([1, 2]), [1, 2])
    True
    >>> same(mx.nd.array([1, 2]), [1, 3])
    False
    """
    return bool(np.array_equal(_as_numpy(a, 'a'), _as_numpy(b, 'b')))


def same_array(array1, array2):
    """Whether two NDArrays share the same memory (writing one changes the other).

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([1, 2])
    >>> mx.test_utils.same_array(x, x), mx.test_utils.same_array(x, x.copy())
    (True, False)
    """
    for name, x in (('array1', array1), ('array2', array2)):
        if not isinstance(x, NDArrayBase):
            raise MXNetError('same_array: %s must be an NDArray, got %s'
                             % (name, type(x).__name__))
    if array1.shape != array2.shape or array1.context != array2.context:
        return False
    xp = array1.context.xp
    return bool(xp.shares_memory(array1._data, array2._data))


def assert_exception(f, exception_type, *args, **kwargs):
    """Check that ``f(*args, **kwargs)`` raises ``exception_type``.

    Examples
    --------
    >>> from mxlearn.test_utils import assert_exception
    >>> assert_exception(int, ValueError, 'not a number')
    >>> try:
    ...     assert_exception(int, ValueError, '12')
    ... except AssertionError as e:
    ...     print(e)
    int did not raise ValueError (it returned 12)
    """
    try:
        result = f(*args, **kwargs)
    except exception_type:
        return
    name = getattr(f, '__name__', repr(f))
    etype = (exception_type.__name__ if isinstance(exception_type, type)
             else ' or '.join(t.__name__ for t in exception_type))
    raise AssertionError('%s did not raise %s (it returned %r)' % (name, etype, result))


# ------------------------------------------------------ gradient checks --

def _callable_arg_names(fn, count):
    """The names of the first ``count`` positional parameters of ``fn`` (None if unknown)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    names = [p.name for p in params
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.VAR_POSITIONAL for p in params) and len(names) < count:
        names += ['arg%d' % i for i in range(len(names), count)]
    return names[:count] if len(names) >= count else None


def _parse_callable_location(fn, location):
    """Names and numpy values of a callable's inputs from a list or dict ``location``."""
    if isinstance(location, dict):
        names = list(location)
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            raise MXNetError('check_numeric_gradient: cannot read the parameter names of '
                             '%r to match the dict location; pass location as a list in '
                             'argument order' % (fn,)) from None
        positional = [n for n, p in params.items()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        missing = [n for n in positional if n not in location
                   and params[n].default is inspect.Parameter.empty]
        unknown = [n for n in names if n not in params]
        if missing or unknown:
            raise MXNetError('check_numeric_gradient: the location dict has keys %s but the '
                             'function takes %s%s%s' % (
                                 names, positional,
                                 '; missing %s' % missing if missing else '',
                                 '; unknown %s' % unknown if unknown else ''))
        ordered = [n for n in positional if n in location]
        ordered += [n for n in names if n not in ordered]
        return ordered, [location[n] for n in ordered], True
    if isinstance(location, (list, tuple)):
        values = list(location)
    else:
        values = [location]
    names = _callable_arg_names(fn, len(values))
    if names is None:
        names = ['input %d' % i for i in range(len(values))]
    return names, values, False


def _grad_node_names(grad_nodes, names):
    if grad_nodes is None:
        return list(names)
    if isinstance(grad_nodes, (str, int)):
        grad_nodes = [grad_nodes]
    if isinstance(grad_nodes, dict):   # name -> grad_req: 'null' ones get no gradient
        grad_nodes = [g for g, req in grad_nodes.items() if req != 'null']
    chosen = []
    for g in list(grad_nodes):   # names or positions
        if isinstance(g, (int, np.integer)) and not isinstance(g, bool):
            if not 0 <= g < len(names):
                raise MXNetError('check_numeric_gradient: grad_nodes index %d is out of '
                                 'range for %d inputs' % (g, len(names)))
            chosen.append(names[g])
        elif g in names:
            chosen.append(g)
        else:
            raise MXNetError('check_numeric_gradient: grad_nodes names %r, which is not an '
                             'input; the inputs are %s' % (g, names))
    return chosen


def _outputs_list(out, what):
    outs = [out] if isinstance(out, NDArrayBase) else out
    if not isinstance(outs, (list, tuple)) or not outs or \
            not all(isinstance(o, NDArrayBase) for o in outs):
        raise MXNetError('check_numeric_gradient: %s must return an NDArray or a list of '
                         'NDArrays, got %s' % (what, type(out).__name__))
    return list(outs)


def _call(fn, arrays, names, by_name):
    if by_name:
        return fn(**dict(zip(names, arrays)))
    return fn(*arrays)


def numeric_grad(fn, location, eps=1e-4, projections=None, use_forward_train=True,
                 ctx=None, grad_names=None):
    """Central-difference gradient of ``sum_k sum(fn(*x)[k] * projections[k])`` in float64.

    Every input is copied to float64 and ``fn`` is evaluated on those copies,
    so the only errors are the truncation error of the difference quotient
    (about ``eps**2``) and float64 rounding.

    Parameters
    ----------
    fn : callable
        Takes NDArrays, returns an NDArray or a list of NDArrays.
    location : list of numpy.ndarray or dict of str to numpy.ndarray
        Where to take the gradient (a dict is passed to ``fn`` by keyword).
    eps : float
        The step: ``(f(x + eps) - f(x - eps)) / (2 eps)`` for each element.
    projections : list of numpy.ndarray, optional
        One weight array per output; ones by default.
    use_forward_train : bool
        Evaluate ``fn`` in training mode (``autograd.is_training()``).
    ctx : Context, optional
    grad_names : list, optional
        Which inputs (names or positions) to differentiate; all by default.

    Returns
    -------
    dict of str to numpy.ndarray (float64)
        The gradient for each differentiated input.

    Examples
    --------
    >>> import numpy as np
    >>> import mxlearn as mx
    >>> g = mx.test_utils.numeric_grad(lambda x: x * x, [np.array([3.0])])
    >>> round(float(g['x'][0]), 6)
    6.0
    """
    ctx = default_context() if ctx is None else ctx
    names, values, by_name = _parse_callable_location(fn, location)
    values = [np.array(_as_numpy(v), dtype=np.float64) for v in values]
    targets = _grad_node_names(grad_names, names)
    from .ndarray.ndarray import array

    def objective(vals):
        arrays = [array(v, ctx=ctx, dtype=np.float64) for v in vals]
        with autograd.pause(train_mode=use_forward_train):
            outs = _outputs_list(_call(fn, arrays, names, by_name), 'the function')
        total = 0.0
        for k, o in enumerate(outs):
            o = o.asnumpy().astype(np.float64)
            if projections is None:
                total += float(np.sum(o))
            else:
                total += float(np.sum(o * projections[k]))
        return total

    grads = {}
    for name in targets:
        i = names.index(name)
        base = values[i]
        g = np.zeros(base.shape, dtype=np.float64)
        flat = base.reshape(-1)
        gflat = g.reshape(-1)
        for j in range(flat.size):
            old = flat[j]
            flat[j] = old + eps
            f_plus = objective(values)
            flat[j] = old - eps
            f_minus = objective(values)
            flat[j] = old
            gflat[j] = (f_plus - f_minus) / (2 * eps)
        grads[name] = g
    return grads


def check_numeric_gradient(sym, location, aux_states=None, numeric_eps=None, rtol=None,
                           atol=None, grad_nodes=None, use_forward_train=True, ctx=None,
                           grad_stype_dict=None, dtype=np.float32):
    """Check a gradient computed by autograd against finite differences.

    The outputs are reduced to one number, ``L = sum_k sum(out_k * P_k)`` with
    fixed random projections ``P_k`` (values in ``[0.1, 1.1)``), so that every
    element of every output matters. The gradient of ``L`` with respect to each
    checked input is then computed twice:

    * analytically, with ``mx.autograd`` (the gradient rules under test), on
      inputs of ``dtype``;
    * numerically, by central differences ``(L(x + eps) - L(x - eps)) / (2 eps)``
      for each element, evaluating ``sym`` on **float64 copies** of the inputs.
      Doing the differences in float64 removes the rounding noise that makes
      float32 finite differences unreliable, so float32 gradient rules are
      checked accurately at float32's default tolerances.

    Parameters
    ----------
    sym : callable or Symbol
        A function taking one NDArray per input and returning an NDArray or a
        list of NDArrays, e.g. ``lambda x, w: mx.nd.tanh(x * w)``. It must work
        for float64 inputs too (create any constants with ``dtype=x.dtype``).
        Or a Symbol: its analytic gradient then comes from an executor
        (``bind``, ``forward``, ``backward``: the symbolic backward graph),
        and the finite differences from ``Symbol.eval`` in float64.
    location : list of (numpy.ndarray or NDArray), or dict of str to array
        The point where gradients are checked: one array per input in order,
        or a dict whose keys are ``sym``'s parameter names (passed by keyword);
        for a Symbol, one array per argument (``list_arguments()`` order) or a
        dict by argument name. Values are converted to ``dtype``.
    aux_states : list or dict of arrays, optional
        A Symbol's auxiliary states (BatchNorm's moving statistics); must be
        None for a callable.
    numeric_eps : float, optional
        The finite-difference step; by default 2**-9 for float32, 2**-14 for
        float64 and 2**-6 for float16.
    rtol, atol : float, optional
        Tolerances of the comparison; by default those of ``dtype`` (see
        :func:`assert_almost_equal`).
    grad_nodes : list of str or int, or dict of str to grad_req, optional
        The inputs (parameter names or positions) to check; all by default.
        The others are constants. In a dict, inputs whose grad_req is
        'null' are constants too ('write' and 'add' are both checked).
    use_forward_train : bool
        Run ``sym`` in training mode (matters for Dropout and BatchNorm).
    ctx : Context, optional
        Where to compute; the default context otherwise.
    grad_stype_dict : dict, optional
        Gradient storage types; only 'default' (dense) exists in mxlearn.
    dtype : {numpy.float32, numpy.float64, numpy.float16}
        The dtype of the inputs for the analytic gradient.

    Raises
    ------
    AssertionError
        When a gradient differs; the message names the input.
    MXNetError
        For invalid arguments.

    Examples
    --------
    >>> import numpy as np
    >>> import mxlearn as mx
    >>> from mxlearn.test_utils import check_numeric_gradient
    >>> x = np.random.uniform(-1, 1, (3, 4))
    >>> check_numeric_gradient(lambda x: mx.nd.tanh(x) * x, [x])
    >>> check_numeric_gradient(lambda a, b: a * b + a, {'a': x, 'b': x + 1},
    ...                        grad_nodes=['b'])
    >>> check_numeric_gradient(mx.sym.tanh(mx.sym.var('x')), [x])
    """
    from .symbol.symbol import Symbol
    is_symbol = isinstance(sym, Symbol)
    if not is_symbol and not callable(sym):
        raise MXNetError('check_numeric_gradient: expected a Symbol or a function of '
                         'NDArrays (e.g. lambda x: mx.nd.tanh(x)), got %s'
                         % type(sym).__name__)
    if aux_states and not is_symbol:
        raise MXNetError('check_numeric_gradient: aux_states apply to Symbols only; a '
                         'function should take every array it needs as an input (list '
                         'non-differentiated ones outside grad_nodes)')
    if grad_stype_dict and any(s != 'default' for s in grad_stype_dict.values()):
        raise MXNetError('check_numeric_gradient: mxlearn has dense gradients only; '
                         'grad_stype_dict asks for %s' % (grad_stype_dict,))
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)):
        raise MXNetError('check_numeric_gradient: dtype must be float16, float32 or '
                         'float64, got %s' % (dtype,))
    ctx = default_context() if ctx is None else ctx
    eps = get_tolerance(dtype, numeric_eps, default_numeric_eps())
    if eps <= 0:
        raise MXNetError('check_numeric_gradient: numeric_eps must be > 0, got %r' % (eps,))
    if is_symbol:
        return _check_symbol_gradient(sym, location, aux_states, eps, rtol, atol, grad_nodes,
                                      use_forward_train, ctx, dtype)

    names, values, by_name = _parse_callable_location(sym, location)
    values = [np.array(_as_numpy(v, n), dtype=dtype) for n, v in zip(names, values)]
    targets = _grad_node_names(grad_nodes, names)
    if isinstance(location, dict):
        location_np = dict(zip(names, values))
    else:
        location_np = values

    # Analytic gradients: record sym on `dtype` inputs, backward with the
    # projections as head gradients (that is the gradient of L).
    from .ndarray.ndarray import array
    arrays = [array(v, ctx=ctx, dtype=dtype) for v in values]
    for n, a in zip(names, arrays):
        if n in targets:
            a.attach_grad()
    with autograd.record(train_mode=use_forward_train):
        outs = _outputs_list(_call(sym, arrays, names, by_name), 'sym')
    projections = [(np.random.rand(*o.shape) + 0.1).astype(np.dtype(o.dtype))
                   if np.dtype(o.dtype).kind == 'f' else
                   (np.random.rand(*o.shape) + 0.1) for o in outs]
    heads, head_grads = [], []
    for o, p in zip(outs, projections):
        if np.dtype(o.dtype).kind != 'f':
            continue   # integer outputs carry no gradient
        if o._node is None and not o._grad_req:
            continue   # does not depend on any checked input
        heads.append(o)
        head_grads.append(array(p, ctx=o.context, dtype=o.dtype))
    if heads:
        autograd.backward(heads, head_grads, train_mode=use_forward_train)

    numeric = numeric_grad(sym, location_np, eps=eps,
                           projections=[p.astype(np.float64) for p in projections],
                           use_forward_train=use_forward_train, ctx=ctx, grad_names=targets)
    for n, a in zip(names, arrays):
        if n not in targets:
            continue
        analytic = a.grad
        try:
            assert_almost_equal(numeric[n], analytic.asnumpy(), rtol=rtol, atol=atol,
                                names=('numeric', 'autograd'))
        except AssertionError as e:
            raise AssertionError('check_numeric_gradient: the gradient with respect to '
                                 'input %r (shape %s, %s, eps=%g) does not match finite '
                                 'differences:\n%s' % (n, a.shape, dtype, eps, e)) from None


def _symbol_values(sym, given, names, what):
    """``given`` (a list in ``names`` order, or a dict) as a dict by name, checked."""
    if given is None:
        given = {}
    if isinstance(given, dict):
        if set(given) != set(names):
            raise MXNetError('%s has the names %s; the symbol needs exactly %s'
                             % (what, sorted(given), names))
        return {n: given[n] for n in names}
    values = list(given) if isinstance(given, (list, tuple)) else [given]
    if len(values) != len(names):
        raise MXNetError('%s has %d arrays for the %d names %s'
                         % (what, len(values), len(names), names))
    return dict(zip(names, values))


def _symbol_arrays(sym, location, aux_states, ctx, dtype, what):
    """``sym``'s arguments and auxiliary states as NDArrays ('asnumpy': keep each dtype)."""
    from .ndarray.ndarray import array

    def convert(values):
        return {n: array(v, ctx=ctx, dtype=None if dtype == 'asnumpy' else dtype)
                if not isinstance(v, NDArrayBase) or dtype != 'asnumpy' else v
                for n, v in values.items()}
    return (convert(_symbol_values(sym, location, sym.list_arguments(), what + ': location')),
            convert(_symbol_values(sym, aux_states, sym.list_auxiliary_states(),
                                   what + ': aux_states')))


def _check_symbol_gradient(sym, location, aux_states, eps, rtol, atol, grad_nodes,
                           use_forward_train, ctx, dtype):
    """check_numeric_gradient for a Symbol: executor backward against finite differences."""
    from .ndarray.ndarray import array
    what = 'check_numeric_gradient'
    args, aux = _symbol_arrays(sym, location, aux_states, ctx, dtype, what)
    names = list(args)
    targets = _grad_node_names(grad_nodes, names)
    reqs = dict.fromkeys(targets, 'write')
    location64 = {n: a.asnumpy().astype(np.float64) for n, a in args.items()}
    aux64 = {n: a.asnumpy().astype(np.float64) for n, a in aux.items()}
    grads = {n: array(np.zeros(args[n].shape), ctx=ctx, dtype=args[n].dtype) for n in targets}
    exe = sym.bind(ctx, args, args_grad=grads, grad_req=reqs, aux_states=aux)
    outs = exe.forward(is_train=use_forward_train)
    projections = [np.random.rand(*o.shape) + 0.1 for o in outs]
    exe.backward([array(p, ctx=ctx, dtype=o.dtype) for p, o in zip(projections, outs)])

    def run(**kwargs):
        states = {n: array(v, ctx=ctx, dtype=np.float64) for n, v in aux64.items()}
        return sym.eval(ctx=ctx, **kwargs, **states)
    run.__signature__ = inspect.Signature(
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names])
    numeric = numeric_grad(run, location64, eps=eps, projections=projections,
                           use_forward_train=use_forward_train, ctx=ctx, grad_names=targets)
    for n in targets:
        try:
            assert_almost_equal(numeric[n], grads[n].asnumpy(), rtol=rtol, atol=atol,
                                names=('numeric', 'executor'))
        except AssertionError as e:
            raise AssertionError('check_numeric_gradient: the gradient with respect to '
                                 'argument %r (shape %s, %s, eps=%g) does not match finite '
                                 'differences:\n%s' % (n, args[n].shape, dtype, eps, e)) from None


def check_symbolic_forward(sym, location, expected, rtol=None, atol=None, aux_states=None,
                           ctx=None, equal_nan=False, dtype=np.float32):
    """Check the outputs of a Symbol's forward pass (in inference mode) against ``expected``.

    Parameters
    ----------
    sym : Symbol
    location : list or dict of arrays
        The arguments, in ``sym.list_arguments()`` order or by name.
    expected : list or dict of arrays
        The outputs, in order or by ``sym.list_outputs()`` name.
    rtol, atol : float, optional
    aux_states : list or dict of arrays, optional
    ctx : Context, optional
    equal_nan : bool
    dtype : numpy dtype or 'asnumpy'
        The dtype of the arguments ('asnumpy': each array keeps its own).

    Returns
    -------
    list of NDArray
        The outputs.

    Examples
    --------
    >>> import numpy as np
    >>> import mxlearn as mx
    >>> x = np.array([[1.0, -2.0]])
    >>> _ = check_symbolic_forward(mx.sym.relu(mx.sym.var('x')), [x], [np.maximum(x, 0)])
    """
    ctx = default_context() if ctx is None else ctx
    args, aux = _symbol_arrays(sym, location, aux_states, ctx, dtype, 'check_symbolic_forward')
    names = sym.list_outputs()
    expected = _symbol_values(sym, expected, names, 'check_symbolic_forward: expected')
    exe = sym.bind(ctx, args, aux_states=aux)
    outputs = exe.forward(is_train=False)
    for name, out in zip(names, outputs):
        assert_almost_equal(out, expected[name], rtol, atol,
                            names=('FORWARD_%s' % name, 'EXPECTED_%s' % name),
                            equal_nan=equal_nan)
    return outputs


def check_symbolic_backward(sym, location, out_grads, expected, rtol=None, atol=None,
                            aux_states=None, grad_req='write', ctx=None, grad_stypes=None,
                            equal_nan=False, dtype=np.float32):
    """Check the gradients of a Symbol's backward pass against ``expected``.

    The gradient buffers start with random values, so that 'add' (which
    must add to them) and 'null' (which must leave them alone) are checked too.

    Parameters
    ----------
    sym : Symbol
    location : list or dict of arrays
        The arguments, in ``sym.list_arguments()`` order or by name.
    out_grads : list or dict of arrays, or None
        The gradient arriving at each output (ones when None).
    expected : list or dict of arrays
        The gradient of each argument, in order or by name (a shorter list
        checks the first arguments only).
    rtol, atol : float, optional
    aux_states : list or dict of arrays, optional
    grad_req : str, list or dict
        'write', 'add' or 'null', for all arguments or each.
    ctx : Context, optional
    grad_stypes : dict, optional
        Only dense ('default') gradients exist in mxlearn.
    equal_nan : bool
    dtype : numpy dtype or 'asnumpy'

    Returns
    -------
    dict of str to NDArray
        The gradient buffers by argument name.

    Examples
    --------
    >>> import numpy as np
    >>> import mxlearn as mx
    >>> a, b = mx.sym.var('a'), mx.sym.var('b')
    >>> x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    >>> _ = check_symbolic_backward(a * b, [x, y], [np.ones(2)], [y, x])
    """
    from .ndarray.ndarray import array
    if grad_stypes and any(s not in (None, 'default') for s in grad_stypes.values()):
        raise MXNetError('check_symbolic_backward: mxlearn has dense gradients only; '
                         'grad_stypes asks for %s' % (grad_stypes,))
    ctx = default_context() if ctx is None else ctx
    what = 'check_symbolic_backward'
    args, aux = _symbol_arrays(sym, location, aux_states, ctx, dtype, what)
    arg_names = list(args)
    if isinstance(expected, (list, tuple)):
        expected = dict(zip(arg_names, expected))
    if isinstance(grad_req, str):
        grad_req = dict.fromkeys(arg_names, grad_req)
    elif isinstance(grad_req, (list, tuple)):
        grad_req = dict(zip(arg_names, grad_req))
    rng = np.random.RandomState(0)
    start = {n: rng.normal(size=args[n].shape) for n in expected}
    grads = {n: array(v, ctx=ctx, dtype=args[n].dtype) for n, v in start.items()}
    start = {n: g.asnumpy() for n, g in grads.items()}
    exe = sym.bind(ctx, args, args_grad=grads, grad_req=grad_req, aux_states=aux)
    outs = exe.forward(is_train=True)
    if out_grads is not None:
        out_names = sym.list_outputs()
        given = _symbol_values(sym, out_grads, out_names, what + ': out_grads')
        out_grads = [array(given[n], ctx=ctx, dtype=o.dtype)
                     if not isinstance(given[n], NDArrayBase) else given[n]
                     for n, o in zip(out_names, outs)]
    exe.backward(out_grads)
    for name, want in expected.items():
        req = grad_req.get(name, 'null')
        got = grads[name].asnumpy()
        if req == 'add':
            got = got - start[name]
        elif req == 'null':
            want = start[name]
        assert_almost_equal(got, want, rtol, atol,
                            names=('BACKWARD_%s' % name, 'EXPECTED_%s' % name),
                            equal_nan=equal_nan)
    return grads


# ------------------------------------------------------- random inputs --

def random_arrays(*shapes):
    """Standard-normal float32 numpy arrays, one per shape (a single array for one shape).

    Examples
    --------
    >>> from mxlearn.test_utils import random_arrays
    >>> random_arrays((2, 3)).shape
    (2, 3)
    >>> [a.shape for a in random_arrays((2,), (1, 4))]
    [(2,), (1, 4)]
    """
    arrays = [np.array(np.random.randn(*s), dtype=default_dtype()) for s in shapes]
    if len(arrays) == 1:
        return arrays[0]
    return arrays


def random_uniform_arrays(*shapes, **kwargs):
    """Uniform numpy arrays on ``[low, high)`` (keywords ``low=0``, ``high=1``, ``dtype``).

    Examples
    --------
    >>> from mxlearn.test_utils import random_uniform_arrays
    >>> a = random_uniform_arrays((100,), low=2, high=3)
    >>> bool(a.min() >= 2 and a.max() < 3)
    True
    """
    low = kwargs.pop('low', 0.0)
    high = kwargs.pop('high', 1.0)
    dtype = kwargs.pop('dtype', default_dtype())
    if kwargs:
        raise MXNetError('random_uniform_arrays: unknown arguments %s' % sorted(kwargs))
    arrays = [np.random.uniform(low, high, size=s).astype(dtype) for s in shapes]
    return arrays[0] if len(arrays) == 1 else arrays


def rand_ndarray(shape, stype='default', density=None, dtype=None, modifier_func=None,
                 shuffle_csr_indices=False, distribution=None, ctx=None):
    """A dense NDArray of standard-normal values (float32 unless ``dtype`` is given).

    Parameters
    ----------
    shape : tuple of int
    stype : {'default'}
        mxlearn stores arrays densely; 'row_sparse' and 'csr' raise MXNetError.
    density, modifier_func, shuffle_csr_indices, distribution
        Options of sparse arrays, unused for dense ones.
    dtype : str or numpy dtype, optional
    ctx : Context, optional

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.test_utils.rand_ndarray((2, 3), dtype='float64')
    >>> x.shape, x.dtype
    ((2, 3), <class 'numpy.float64'>)
    """
    if stype != 'default':
        raise MXNetError('rand_ndarray: stype %r is not supported; mxlearn stores every '
                         "array densely (stype='default')" % (stype,))
    from .ndarray.ndarray import array
    ctx = default_context() if ctx is None else ctx
    return array(random_arrays(tuple(shape)), ctx=ctx, dtype=dtype)


def rand_shape_nd(num_dim, dim=10, allow_zero_size=False):
    """A random shape of ``num_dim`` dimensions, each in ``1..dim`` (``0..dim`` if allowed).

    Uses numpy's global random generator, so ``np.random.seed`` fixes it.

    Examples
    --------
    >>> from mxlearn.test_utils import rand_shape_nd
    >>> s = rand_shape_nd(4, dim=3)
    >>> len(s), all(1 <= d <= 3 for d in s)
    (4, True)
    """
    low = 0 if allow_zero_size else 1
    return tuple(int(d) for d in np.random.randint(low, dim + 1, size=num_dim))


def rand_shape_2d(dim0=10, dim1=10, allow_zero_size=False):
    """A random 2-d shape with dimensions in ``1..dim0`` and ``1..dim1``.

    Examples
    --------
    >>> from mxlearn.test_utils import rand_shape_2d
    >>> len(rand_shape_2d())
    2
    """
    low = 0 if allow_zero_size else 1
    return int(np.random.randint(low, dim0 + 1)), int(np.random.randint(low, dim1 + 1))


def rand_shape_3d(dim0=10, dim1=10, dim2=10, allow_zero_size=False):
    """A random 3-d shape with dimensions in ``1..dim0``, ``1..dim1``, ``1..dim2``.

    Examples
    --------
    >>> from mxlearn.test_utils import rand_shape_3d
    >>> len(rand_shape_3d(2, 2, 2))
    3
    """
    low = 0 if allow_zero_size else 1
    return (int(np.random.randint(low, dim0 + 1)), int(np.random.randint(low, dim1 + 1)),
            int(np.random.randint(low, dim2 + 1)))


# ---------------------------------------------------------- environment --

@contextlib.contextmanager
def environment(*args):
    """Set environment variables inside a ``with`` block and restore them after.

    Call it as ``environment('NAME', 'value')`` or ``environment({'A': '1',
    'B': None})``; a value of None unsets the variable.

    Examples
    --------
    >>> import os
    >>> from mxlearn.test_utils import environment
    >>> with environment('MXLEARN_DEMO_VAR', '1'):
    ...     print(os.environ['MXLEARN_DEMO_VAR'])
    1
    >>> 'MXLEARN_DEMO_VAR' in os.environ
    False
    """
    if len(args) == 2 and isinstance(args[0], str):
        updates = {args[0]: args[1]}
    elif len(args) == 1 and isinstance(args[0], dict):
        updates = dict(args[0])
    else:
        raise MXNetError("environment: expected ('NAME', value) or a dict {name: value}, "
                         "got %r" % (args,))
    for k, v in updates.items():
        if not isinstance(k, str) or not (v is None or isinstance(v, str)):
            raise MXNetError('environment: names and values must be strings (or None to '
                             'unset), got %r: %r' % (k, v))
    saved = {k: os.environ.get(k) for k in updates}

    def apply(values):
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    apply(updates)
    try:
        yield
    finally:
        from .ndarray.ndarray import waitall
        waitall()
        apply(saved)


# ------------------------------------------------------- symbols, data --

def simple_forward(sym, ctx=None, is_train=False, **inputs):
    """Run ``sym`` forward on numpy ``inputs`` (by argument name); return numpy output(s).

    Returns
    -------
    numpy.ndarray, or a list of them for several outputs

    Examples
    --------
    >>> import numpy as np
    >>> import mxlearn as mx
    >>> from mxlearn.test_utils import simple_forward
    >>> simple_forward(mx.sym.var('x') * 2, x=np.array([1.0, 2.0]))
    array([2., 4.], dtype=float32)
    """
    from .ndarray import array
    ctx = ctx or default_context()
    exe = sym.bind(ctx, {k: array(v, ctx=ctx) for k, v in inputs.items()})
    outputs = [o.asnumpy() for o in exe.forward(is_train=is_train)]
    return outputs[0] if len(outputs) == 1 else outputs


def check_speed(sym, location=None, ctx=None, N=20, grad_req=None, typ='whole', **kwargs):
    """Seconds per run of ``sym`` forward (``typ='forward'``) or forward and backward.

    Parameters
    ----------
    sym : Symbol
    location : dict of str to NDArray or numpy array, optional
        Input values; random normal ones of the shapes in ``kwargs`` otherwise.
    ctx : Context, optional
    N : int
        Runs timed, after one run not timed.
    grad_req : str or dict, optional
        'write' by default.
    typ : {'whole', 'forward'}
    **kwargs
        Argument shapes, as for ``simple_bind``.

    Returns
    -------
    float

    Examples
    --------
    >>> import mxlearn as mx
    >>> from mxlearn.test_utils import check_speed
    >>> y = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=8)
    >>> check_speed(y, N=2, data=(4, 5)) > 0
    True
    """
    import time
    from .ndarray import array
    if typ not in ('whole', 'forward'):
        raise MXNetError("check_speed: typ must be 'whole' or 'forward', got %r" % (typ,))
    ctx = ctx or default_context()
    exe = sym.simple_bind(ctx, grad_req=grad_req or 'write', **kwargs)
    if location is None:
        location = {name: np.random.normal(size=arr.shape)
                    for name, arr in exe.arg_dict.items()}
    for name, value in location.items():
        exe.arg_dict[name][:] = value if isinstance(value, NDArrayBase) else array(value)

    def run():
        outputs = exe.forward(is_train=typ == 'whole')
        if typ == 'whole':
            exe.backward([o.ones_like() for o in outputs])
        for g in exe.grad_arrays if typ == 'whole' else outputs:
            if g is not None:
                g.wait_to_read()
    run()
    start = time.perf_counter()
    for _ in range(N):
        run()
    return (time.perf_counter() - start) / N


def _mnist_files(path):
    """The folder holding the four MNIST files (downloaded if missing, as the dataset does)."""
    from .gluon.data.vision.datasets import MNIST
    from .gluon.data.vision.files import dataset_folder, ensure_files, repo_urls
    folder = dataset_folder(path, MNIST._namespace)
    ensure_files(MNIST._title, MNIST._namespace, folder, sorted(MNIST._files.items()),
                 repo_urls(MNIST._namespace, MNIST._fallback_url))
    return folder


def get_mnist(path=None):
    """The MNIST digits as numpy arrays, as MXNet's tutorials load them.

    Parameters
    ----------
    path : str, optional
        The folder of the four ``*-ubyte.gz`` files; by default that of
        ``gluon.data.vision.MNIST`` (``$MXLEARN_DATA/mnist``...). Missing
        files are downloaded there.

    Returns
    -------
    dict
        ``train_data`` (60000, 1, 28, 28) and ``test_data`` (10000, 1, 28, 28):
        float32 in [0, 1] (the bytes divided by 255); ``train_label`` and
        ``test_label``: int8 digits.

    Examples
    --------
    >>> from mxlearn.test_utils import get_mnist
    >>> mnist = get_mnist()                             # doctest: +SKIP
    >>> mnist['train_data'].shape, mnist['test_label'][:3]  # doctest: +SKIP
    ((60000, 1, 28, 28), array([7, 2, 1], dtype=int8))
    """
    import os
    from .gluon.data.vision.datasets import _read_idx
    folder = _mnist_files(path)
    out = {}
    for part, prefix in (('train', 'train'), ('test', 't10k')):
        images = _read_idx(os.path.join(folder, '%s-images-idx3-ubyte.gz' % prefix), 2051, 3)
        labels = _read_idx(os.path.join(folder, '%s-labels-idx1-ubyte.gz' % prefix), 2049, 1)
        out[part + '_data'] = (images[:, None] / np.float32(255)).astype(np.float32)
        out[part + '_label'] = labels.astype(np.int8)
    return out


def get_mnist_iterator(batch_size, input_shape, num_parts=1, part_index=0):
    """Training and validation ``MNISTIter`` s over the MNIST files.

    Parameters
    ----------
    batch_size : int
    input_shape : tuple
        ``(1, 28, 28)`` for images, ``(784,)`` for flat rows.
    num_parts, part_index : int
        Read only part ``part_index`` of ``num_parts`` (one per worker).

    Returns
    -------
    (MNISTIter, MNISTIter)

    Examples
    --------
    >>> from mxlearn.test_utils import get_mnist_iterator
    >>> train, val = get_mnist_iterator(100, (784,))   # doctest: +SKIP
    >>> train.provide_data[0].shape                    # doctest: +SKIP
    (100, 784)
    """
    import os
    from .io import MNISTIter
    folder = _mnist_files(None)
    flat = len(input_shape) != 3

    def make(prefix, shuffle):
        return MNISTIter(image=os.path.join(folder, '%s-images-idx3-ubyte.gz' % prefix),
                         label=os.path.join(folder, '%s-labels-idx1-ubyte.gz' % prefix),
                         batch_size=batch_size, shuffle=shuffle, flat=flat,
                         num_parts=num_parts, part_index=part_index)
    return make('train', True), make('t10k', False)
