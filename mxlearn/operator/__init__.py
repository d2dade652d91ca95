"""The operator registry: every operator of mxlearn, defined once.

Each module of this package defines a family of operators with
``registry.register``; importing the package imports them all, so that adding
a family is adding a file. ``OPS`` maps every name (and alias) to its ``Op``.
"""
import importlib
import pkgutil

from .registry import OPS, get_op, register

_HELPERS = {'registry', 'errors', 'shapes'}
for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _module not in _HELPERS:
        importlib.import_module('.' + _module, __name__)

__all__ = ['OPS', 'get_op', 'register']
