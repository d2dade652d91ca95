"""``mx.nd.add``, ``maximum``, ``equal``, ...: binary functions that accept scalars.

MXNet exposes these as Python functions that pick the array-array operator
(``broadcast_add``) or the array-scalar one (``_plus_scalar``) from their
arguments; they are thin, so the registry keeps the single definition.
"""
import numbers

from .._ext.core import NDArrayBase, invoke
from ..base import MXNetError
from ..operator import get_op

_TABLE = {
    # name: (array op, scalar op, reflected scalar op, python fallback)
    'add': ('broadcast_add', '_plus_scalar', '_plus_scalar', lambda a, b: a + b),
    'subtract': ('broadcast_sub', '_minus_scalar', '_rminus_scalar', lambda a, b: a - b),
    'multiply': ('broadcast_mul', '_mul_scalar', '_mul_scalar', lambda a, b: a * b),
    'divide': ('broadcast_div', '_div_scalar', '_rdiv_scalar', lambda a, b: a / b),
    'modulo': ('broadcast_mod', '_mod_scalar', '_rmod_scalar', lambda a, b: a % b),
    'power': ('broadcast_power', '_power_scalar', '_rpower_scalar', lambda a, b: a ** b),
    'maximum': ('broadcast_maximum', '_maximum_scalar', '_maximum_scalar', max),
    'minimum': ('broadcast_minimum', '_minimum_scalar', '_minimum_scalar', min),
    'hypot': ('broadcast_hypot', '_hypot_scalar', '_hypot_scalar',
              lambda a, b: (a * a + b * b) ** 0.5),
    'equal': ('broadcast_equal', '_equal_scalar', '_equal_scalar', lambda a, b: float(a == b)),
    'not_equal': ('broadcast_not_equal', '_not_equal_scalar', '_not_equal_scalar',
                  lambda a, b: float(a != b)),
    'greater': ('broadcast_greater', '_greater_scalar', '_lesser_scalar',
                lambda a, b: float(a > b)),
    'greater_equal': ('broadcast_greater_equal', '_greater_equal_scalar',
                      '_lesser_equal_scalar', lambda a, b: float(a >= b)),
    'lesser': ('broadcast_lesser', '_lesser_scalar', '_greater_scalar',
               lambda a, b: float(a < b)),
    'lesser_equal': ('broadcast_lesser_equal', '_lesser_equal_scalar',
                     '_greater_equal_scalar', lambda a, b: float(a <= b)),
    'logical_and': ('broadcast_logical_and', '_logical_and_scalar', '_logical_and_scalar',
                    lambda a, b: float(bool(a) and bool(b))),
    'logical_or': ('broadcast_logical_or', '_logical_or_scalar', '_logical_or_scalar',
                   lambda a, b: float(bool(a) or bool(b))),
    'logical_xor': ('broadcast_logical_xor', '_logical_xor_scalar', '_logical_xor_scalar',
                    lambda a, b: float(bool(a) != bool(b))),
}


def _make(name, array_op, scalar_op, rscalar_op, fallback):
    ops = get_op(array_op), get_op(scalar_op), get_op(rscalar_op)

    def function(lhs, rhs):
        if isinstance(lhs, NDArrayBase):
            if isinstance(rhs, NDArrayBase):
                return invoke(ops[0], (lhs, rhs), None)
            if isinstance(rhs, numbers.Number):
                return invoke(ops[1], (lhs,), {'scalar': rhs})
        elif isinstance(rhs, NDArrayBase):
            if isinstance(lhs, numbers.Number):
                return invoke(ops[2], (rhs,), {'scalar': lhs})
        elif isinstance(lhs, numbers.Number) and isinstance(rhs, numbers.Number):
            return fallback(lhs, rhs)
        raise MXNetError('%s: expected NDArrays or numbers, got %s and %s'
                         % (name, type(lhs).__name__, type(rhs).__name__))

    function.__name__ = function.__qualname__ = name
    function.__module__ = 'mxlearn.ndarray'
    function.__doc__ = (
        'Elementwise ``%s`` of two NDArrays (with broadcasting) or of an NDArray and '
        'a number.\n\nParameters\n----------\nlhs, rhs : NDArray or number\n\nReturns\n'
        '-------\nNDArray\n\nExamples\n--------\n>>> import mxlearn as mx\n>>> mx.nd.%s('
        'mx.nd.array([1, 2]), 2).shape\n(2,)\n' % (name, name))
    return function


FUNCTIONS = {name: _make(name, *spec) for name, spec in _TABLE.items()}
