"""``mx.sym.linalg``: the linear-algebra operators under their short names.

The registry names them ``_linalg_<name>``; ``mx.sym.linalg.gemm2`` is
``_linalg_gemm2``, as in ``mx.nd.linalg``.

Examples
--------
>>> import mxlearn as mx
>>> y = mx.sym.linalg.gemm2(mx.sym.var('a'), mx.sym.var('b'))
>>> y.infer_shape(a=(2, 3), b=(3, 4))[1]
[(2, 4)]
"""
from ..operator import OPS as _OPS
from .register import make_function as _make_function
from .symbol import _create

_PREFIX = '_linalg_'

__all__ = []
for _name, _op in sorted(_OPS.items()):
    if _name.startswith(_PREFIX):
        _short = _name[len(_PREFIX):]
        globals()[_short] = _make_function(_op, _short, _create, op_name=_name, hint=_short)
        __all__.append(_short)
