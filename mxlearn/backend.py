"""Which array library serves which device.

The CPU uses numpy (plus the compiled kernels of ``mxlearn._ext``); the GPU uses
CuPy, imported only when a GPU context is first used, so that mxlearn imports
fast and works where CuPy is absent.
"""
import numpy

from .base import MXNetError


def array_module(ctx):
    """The array module (numpy or cupy) for Context ``ctx``.

    Raises
    ------
    MXNetError
        For a GPU context when CuPy is not installed or the GPU does not exist.

    Examples
    --------
    >>> import mxlearn as mx
    >>> array_module(mx.cpu()).__name__
    'numpy'
    """
    if ctx.device_type != 'gpu':
        return numpy
    try:
        import cupy
    except ImportError:
        raise MXNetError(
            '%s is not available: CuPy is not installed, so mxlearn runs on the CPU '
            'only. Install the GPU extra (pip install "mxlearn[gpu]") on a machine '
            'with an NVIDIA GPU, or use mx.cpu().' % (ctx,)) from None
    count = num_gpus()
    if ctx.device_id >= count:
        raise MXNetError('%s is not available: this machine has %d GPU(s)'
                         % (ctx, count))
    return cupy


def num_gpus():
    """Number of GPUs CuPy can see (0 without CuPy)."""
    try:
        import cupy
    except ImportError:
        return 0
    try:
        return cupy.cuda.runtime.getDeviceCount()
    except Exception:
        return 0


def empty_cache(ctx):
    """Return cached device memory to the driver (GPU only)."""
    if ctx.device_type == 'gpu':
        array_module(ctx).get_default_memory_pool().free_all_blocks()


def special_functions(xp):
    """A namespace with erf, erfinv, gamma, gammaln, digamma, trigamma for ``xp``.

    numpy has none of them, so the CPU uses the compiled kernels in
    ``mxlearn._ext.special``; the GPU uses ``cupyx.scipy.special``.
    """
    if xp is numpy:
        from ._ext import special
        return special
    import cupyx.scipy.special as sp

    class _Cupy:
        erf, erfinv, gamma, gammaln, digamma = sp.erf, sp.erfinv, sp.gamma, sp.gammaln, sp.digamma

        @staticmethod
        def trigamma(x):
            return sp.polygamma(1, x)
    return _Cupy


def transfer(data, src, dst):
    """Copy a device array from Context ``src`` to Context ``dst``."""
    if src.device_type != 'gpu' and dst.device_type != 'gpu':
        return data.copy()
    xp = array_module(dst if dst.device_type == 'gpu' else src)
    if dst.device_type != 'gpu':
        return xp.asnumpy(data)
    with xp.cuda.Device(dst.device_id):
        return xp.array(data, copy=True)


def synchronize(ctx):
    """Wait for the device of ``ctx`` (every GPU when None) to finish its work."""
    if ctx is not None and ctx.device_type != 'gpu':
        return
    if ctx is None and num_gpus() == 0:
        return
    import cupy
    ids = range(num_gpus()) if ctx is None else [ctx.device_id]
    for i in ids:
        with cupy.cuda.Device(i):
            cupy.cuda.Stream.null.synchronize()


def scatter_add(xp, out, key, values):
    """``out[key] += values`` where repeated indices in ``key`` add up (unbuffered)."""
    if xp is numpy:
        numpy.add.at(out, key, values)
    else:
        import cupyx
        cupyx.scatter_add(out, key, values)


# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def tune_allocator(mmap_threshold=256 << 20, trim_threshold=1 << 30):
    """Keep freed array buffers in the heap instead of returning them to the OS.

    A training step allocates and frees the same few-megabyte buffers again
    and again. By default glibc serves each of them with a fresh ``mmap`` and
    gives it back on ``free``, so every step pays thousands of page faults
    (about a third of a LeNet step on 2 cores). Raising the mmap and trim
    thresholds lets the buffers be reused. The cost is that the process keeps
    its peak memory. Called once at import on Linux with glibc; set the
    environment variable ``MXLEARN_TUNE_MALLOC=0`` to leave the allocator alone.

    Returns
    -------
    bool
        Whether the allocator was tuned.

    Examples
    --------
    >>> from mxlearn.backend import tune_allocator
    >>> tune_allocator() in (True, False)
    True
    """
    import os
    import sys
    if sys.platform != 'linux' or os.environ.get('MXLEARN_TUNE_MALLOC', '1') == '0':
        return False
    import ctypes
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):   # not glibc (musl, ...)
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold))
                and mallopt(_M_TRIM_THRESHOLD, int(trim_threshold)))
