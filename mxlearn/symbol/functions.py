"""``mx.sym.maximum``, ``power``, ``hypot``...: binary functions that accept numbers.

As in ``mx.nd`` (``ndarray/ufuncs.py``), each picks the symbol-symbol
operator or the symbol-number one from its arguments, and names the node the
way MXNet 1.9.1 does (``_maximum0``, ``_maximumscalar0``).
"""
import numbers

from ..base import MXNetError
from ..operator import OPS

# name: (symbol op, its name hint, scalar op, its hint, reflected scalar op, its hint, numbers)
_TABLE = {
    'maximum': ('_maximum', '_maximum', '_maximum_scalar', '_maximumscalar',
                '_maximum_scalar', '_maximumscalar', max),
    'minimum': ('_minimum', '_minimum', '_minimum_scalar', '_minimumscalar',
                '_minimum_scalar', '_minimumscalar', min),
    'power': ('_power', '_power', '_power_scalar', '_powerscalar',
              '_rpower_scalar', '_rpowerscalar', lambda a, b: a ** b),
    'hypot': ('_hypot', '_hypot', '_hypot_scalar', '_hypotscalar',
              '_hypot_scalar', '_hypotscalar', lambda a, b: (a * a + b * b) ** 0.5),
}


def _make(fname, spec, create):
    from .symbol import Symbol
    op, hint, scalar_op, scalar_hint, rscalar_op, rscalar_hint, on_numbers = spec

    def function(left, right, name=None):
        if isinstance(left, Symbol) and isinstance(right, Symbol):
            return create(OPS[op], op, [left, right], {}, name, None, hint=hint)
        if isinstance(left, Symbol) and isinstance(right, numbers.Number):
            return create(OPS[scalar_op], scalar_op, [left], {'scalar': right}, name, None,
                          hint=scalar_hint)
        if isinstance(right, Symbol) and isinstance(left, numbers.Number):
            return create(OPS[rscalar_op], rscalar_op, [right], {'scalar': left}, name, None,
                          hint=rscalar_hint)
        if isinstance(left, numbers.Number) and isinstance(right, numbers.Number):
            return on_numbers(left, right)
        raise MXNetError('%s: expected Symbols or numbers, got %s and %s'
                         % (fname, type(left).__name__, type(right).__name__))

    function.__name__ = function.__qualname__ = fname
    function.__module__ = 'mxlearn.symbol'
    function.__doc__ = (
        'Elementwise ``%s`` of two Symbols, or of a Symbol and a number.\n\n'
        'Parameters\n----------\nleft, right : Symbol or number\n\nReturns\n-------\n'
        'Symbol (a number when both are numbers)\n\nExamples\n--------\n'
        '>>> import mxlearn as mx\n>>> x = mx.sym.var("x")\n'
        '>>> mx.sym.%s(x, 2).eval(x=mx.nd.array([3.0]))[0].shape\n(1,)\n' % (fname, fname))
    return function


def make_functions(create):
    """``{name: function}`` for ``maximum, minimum, power, pow, hypot``.

    Examples
    --------
    >>> from mxlearn.symbol.symbol import _create
    >>> sorted(make_functions(_create))
    ['hypot', 'maximum', 'minimum', 'pow', 'power']
    """
    out = {name: _make(name, spec, create) for name, spec in _TABLE.items()}
    out['pow'] = out['power']
    return out
