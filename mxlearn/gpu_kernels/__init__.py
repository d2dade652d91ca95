"""CUDA kernels of the GPU backend, written with CuPy (one module per family).

On the GPU an operator's forward receives CuPy arrays and ``xp`` is the
``cupy`` module. Most operators need nothing more: their ``xp`` code runs as
CuPy's own elementwise and reduction kernels, and ``xp.matmul`` is a cuBLAS
GEMM. The families whose CPU version is a compiled kernel (``ext/*.pyx``, one
fused loop instead of many numpy passes) have a CUDA counterpart here, so that
the GPU, too, runs one kernel where the CPU runs one loop:

=================  ===================================  =============================
module             kernels                              CPU twin
=================  ===================================  =============================
``conv``           im2col, col2im (GEMM: cuBLAS)        ``ext/conv.pyx``
``pooling``        max / sum / avg, forward, backward   ``ext/pooling.pyx``
``softmax_ce``     fused softmax + cross-entropy        ``ext/softmax_ce.pyx``
``batchnorm``      per-channel moments, affine, dx      ``ext/batchnorm.pyx``
``embedding``      row scatter-add of the gradient      ``ext/embedding.pyx``
``optimizer``      SGD, momentum, Adam, RMSProp, ...    ``ext/optimizer.pyx``
=================  ===================================  =============================

Each kernel sits beside the readable numpy/CuPy reference it must agree with
(``mxlearn.operator.*``), and the GPU tests compare the two. CuPy compiles a
kernel the first time it is launched (and caches the binary on disk), so each
is built lazily by a ``functools.cache``-d factory. The operators import
the kernel modules only when ``xp`` is CuPy, and this package itself imports
nothing but numpy, so ``import mxlearn`` never imports CuPy.
"""
import numpy

__all__ = ['is_cupy', 'FLOAT_DTYPES']

FLOAT_DTYPES = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))


def is_cupy(xp):
    """Whether the array module ``xp`` is CuPy (so that the CUDA kernels apply).

    The operators ask this before they import a module of this package, so
    the CPU path never imports CuPy.

    Examples
    --------
    >>> import numpy
    >>> is_cupy(numpy)
    False
    """
    return xp is not numpy and getattr(xp, '__name__', None) == 'cupy'


def launches_kernels(xp, *arrays):
    """Whether ``xp`` is CuPy and every array is float32 or float64 (the kernels' dtypes).

    Examples
    --------
    >>> import numpy
    >>> launches_kernels(numpy, numpy.zeros(2))
    False
    """
    return is_cupy(xp) and all(a.dtype in FLOAT_DTYPES for a in arrays)
