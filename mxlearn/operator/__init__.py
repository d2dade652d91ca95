"""The operator registry: every operator of mxlearn, defined once.

Importing this package registers all operators; ``OPS`` maps names to them.
"""
from .registry import OPS, get_op, register
# Registration happens when these modules are imported.
from . import elemwise, indexing  # noqa: F401

__all__ = ['OPS', 'get_op', 'register']
