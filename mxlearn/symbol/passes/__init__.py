"""Graph passes: functions from a Symbol to a new, equivalent Symbol, and memory planning.

Each pass is pure (its input is never changed) and keeps the names of the
variables and of the outputs, so a learner can apply them one at a time and
look at the result (``describe(before, after)`` lists what changed)::

    eliminate_dead_code(sym, keep=None)     drop what the kept outputs do not need
    eliminate_common_subexpressions(sym)    compute each distinct value once
    fuse_elementwise(sym)                   elementwise chains -> one compiled kernel
    optimize(sym)                           the three, in this order
    plan_memory(sym, shapes, dtypes=None)   buffers, reuse and in-place: a MemoryPlan

The executor (``mxlearn.executor``) runs ``optimize`` on its training graph and
frees values as ``plan_memory(...).free_after`` says.
"""
from .cse import eliminate_common_subexpressions
from .dce import eliminate_dead_code
from .describe import GraphDiff, describe
from .fusion import find_groups, fuse_elementwise
from .graph import side_effect
from .memory import MemoryPlan, plan_memory


def optimize(sym):
    """Dead-code elimination, common-subexpression elimination, then elementwise fusion.

    Examples
    --------
    >>> from mxlearn import symbol as sym
    >>> x = sym.var('x')
    >>> y = sym.tanh(sym.exp(x) + sym.exp(x), name='t')
    >>> optimize(y).attr('program')
    'r0 = exp(x0); r1 = elemwise_add(r0, r0); r2 = tanh(r1)'
    """
    return fuse_elementwise(eliminate_common_subexpressions(eliminate_dead_code(sym)))


__all__ = ['GraphDiff', 'MemoryPlan', 'describe', 'eliminate_common_subexpressions',
           'eliminate_dead_code', 'find_groups', 'fuse_elementwise', 'optimize',
           'plan_memory', 'side_effect']
