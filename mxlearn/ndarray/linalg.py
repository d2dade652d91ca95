"""``mx.nd.linalg``: the linear-algebra operators under their short names.

The registry names them ``_linalg_<name>`` (as MXNet does); this namespace
publishes each one as ``<name>`` (``mx.nd.linalg.gemm2`` is ``_linalg_gemm2``),
generated like every other ``mx.nd`` function.
"""
from ..operator import OPS as _OPS
from .register import make_function as _make_function

_PREFIX = '_linalg_'

__all__ = []
for _name, _op in sorted(_OPS.items()):
    if _name.startswith(_PREFIX):
        _short = _name[len(_PREFIX):]
        globals()[_short] = _make_function(_op, _short)
        __all__.append(_short)
