"""mxlearn: learn how a deep-learning framework works by using one.

``import mxlearn as mx`` and run Apache MXNet 1.x code: ``mx.nd``,
``mx.autograd``, contexts, and (as the course grows) Symbol, Module, Gluon and
the KVStore. See ``chapters/`` for the course.
"""
import os as _os

# The compiled kernels' OpenMP threads and numpy's BLAS threads take turns on
# the same few cores. Spinning OpenMP threads (libgomp's default) starve the
# BLAS threads that run next: a LeNet step went from 11 ms to 30-50 ms on two
# cores. Sleeping waiters cost microseconds instead. Must be set before
# libgomp loads with the first extension module; a user's setting wins.
_os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')

from .base import MXNetError  # noqa: E402
from .backend import tune_allocator as _tune_allocator
from . import base, context
from .context import Context, cpu, gpu, cpu_pinned, current_context
from . import ndarray
from . import ndarray as nd
from . import autograd, random, test_utils
from . import optimizer, lr_scheduler
from . import initializer, metric
from . import kvstore
from . import kvstore as kv
from . import initializer as init
from . import symbol
from . import symbol as sym
from . import attribute, monitor
from .attribute import AttrScope
from . import visualization
from . import visualization as viz
from . import gluon
from . import io
from . import callback
from . import model
from . import module
from . import module as mod
from . import image
from . import image as img
from . import contrib

__version__ = '0.1.0'
_tune_allocator()

# Imported on first use: widgets pull in ipywidgets and matplotlib, and the
# executor its graph passes, which would slow down ``import mxlearn`` for
# everyone who does not use them.
_LAZY = ('widgets', 'executor')


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return importlib.import_module('.' + name, __name__)
    raise AttributeError('module %r has no attribute %r' % (__name__, name))
