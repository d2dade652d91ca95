"""Devices: ``mx.cpu(i)``, ``mx.gpu(i)`` and the current default context."""
from ._ext.core import Context, current_context, make_context, set_base_context
from .backend import num_gpus

__all__ = ['Context', 'cpu', 'gpu', 'cpu_pinned', 'current_context', 'num_gpus',
           'set_base_context']


def cpu(device_id=0):
    """The CPU context ``cpu(device_id)``.

    Distinct ids are distinct devices (arrays on them cannot be mixed without a
    copy), so multi-device code runs on one machine.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.cpu(1)
    cpu(1)
    """
    return make_context('cpu', device_id)


def gpu(device_id=0):
    """The GPU context ``gpu(device_id)``.

    Creating it always works; the first array placed on it raises a clear
    MXNetError when CuPy or that GPU is missing.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.gpu(0).device_type
    'gpu'
    """
    return make_context('gpu', device_id)


def cpu_pinned(device_id=0):
    """Page-locked host memory, for fast GPU transfers (plain CPU memory here).

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.cpu_pinned()
    cpu_pinned(0)
    """
    return make_context('cpu_pinned', device_id)
