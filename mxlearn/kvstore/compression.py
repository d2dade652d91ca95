"""2-bit gradient compression with error feedback, as MXNet's ``{'type': '2bit'}``.

Each gradient value is sent as one of three levels, ``-t``, ``0`` or ``+t``
(``t`` is the threshold), in 2 bits: 16 values per 32-bit word, 1/16 of the
float32 bytes. What rounding throws away is not lost: the sender keeps, per
key, a **residual** that is added to the next gradient of that key before it
is quantised (error feedback), so every part of a gradient is sent eventually.

For each element, with ``r`` the residual (initially 0)::

    r += grad
    if r >= t:    send +t, r -= t
    elif r <= -t: send -t, r += t
    else:         send 0

The arithmetic is done in the gradient's dtype, in this order, as MXNet does.

The packed layout is MXNet's: word ``w`` holds values ``16 w ... 16 w + 15``;
value ``16 w + j`` is in byte ``j // 4`` of the word (in memory order), in the
two bits ``6 - 2 (j % 4)`` (the first value of a byte is in its high bits).
``11`` means ``+t``, ``10`` means ``-t``, ``00`` means 0; a partial last word
is padded with zeros.

``quantize_2bit``/``dequantize_2bit`` work on raw numpy (or CuPy) arrays; on
the CPU they run the single-pass kernels of ``mxlearn._ext.kvstore_compression``
and elsewhere the ``xp`` references below, which the tests compare them with.
``TwoBitCompression`` keeps the residuals, per key, on the sending side.

Examples
--------
>>> import numpy as np
>>> from mxlearn.kvstore.compression import TwoBitCompression
>>> comp = TwoBitCompression(threshold=0.5)
>>> packed = comp.compress('w', np.array([0.3, 0.6, -0.7, 1.2], dtype=np.float32))
>>> packed.nbytes
4
>>> comp.decompress(packed, (4,), np.float32)
array([ 0. ,  0.5, -0.5,  0.5], dtype=float32)
>>> comp.residual('w').round(2)
array([ 0.3,  0.1, -0.2,  0.7], dtype=float32)
"""
import numpy

from ..base import MXNetError

__all__ = ['TwoBitCompression', 'create_compression', 'quantize_2bit', 'dequantize_2bit',
           'packed_words']

VALUES_PER_WORD = 16
# Bit shift of the 4 values of a byte, first value in the high bits.
_SHIFTS = (6, 4, 2, 0)
_POS, _NEG = 3, 2


def packed_words(size):
    """The number of 32-bit words that hold ``size`` values.

    Examples
    --------
    >>> packed_words(16), packed_words(17), packed_words(0)
    (1, 2, 0)
    """
    return -(-size // VALUES_PER_WORD)


def _array_module(arr):
    return numpy if isinstance(arr, numpy.ndarray) else __import__('cupy')


def _kernels():
    # A missing build must not break ``import mxlearn``: the reference works.
    try:
        from .._ext import kvstore_compression
    except ImportError:
        return None
    return kvstore_compression


_KERNEL_DTYPES = (numpy.float32, numpy.float64)


def _quantize_2bit_reference(xp, grad, residual, threshold):
    """``quantize_2bit`` with whole-array ``xp`` operations (numpy or CuPy)."""
    t = residual.dtype.type(threshold)
    residual += grad.reshape(-1)
    pos = residual >= t
    neg = residual <= -t
    residual -= xp.where(pos, t, residual.dtype.type(0))
    residual += xp.where(neg, t, residual.dtype.type(0))
    codes = xp.zeros(packed_words(residual.size) * VALUES_PER_WORD, dtype=xp.uint8)
    codes[:residual.size] = pos * xp.uint8(_POS) + neg * xp.uint8(_NEG)
    codes = codes.reshape(-1, 4)
    packed = codes[:, 0] << 6 | codes[:, 1] << 4 | codes[:, 2] << 2 | codes[:, 3]
    return packed.view(xp.uint32)


def _dequantize_2bit_reference(xp, packed, size, threshold, dtype):
    """``dequantize_2bit`` with whole-array ``xp`` operations (numpy or CuPy)."""
    shifts = xp.asarray(_SHIFTS, dtype=xp.uint8)
    codes = (packed.view(xp.uint8)[:, None] >> shifts) & xp.uint8(3)
    codes = codes.reshape(-1)[:size]
    t = numpy.dtype(dtype).type(threshold)
    zero = numpy.dtype(dtype).type(0)
    return xp.where(codes == _POS, t, xp.where(codes == _NEG, -t, zero)).astype(dtype)


def quantize_2bit(grad, residual, threshold):
    """Quantise ``grad`` plus ``residual`` to 2 bits a value; ``residual`` is updated in place.

    Parameters
    ----------
    grad : numpy.ndarray or cupy.ndarray
        The gradient, any shape; its dtype is the residual's.
    residual : numpy.ndarray or cupy.ndarray
        1-d, ``grad.size`` elements, C-contiguous: what earlier calls did not send.
    threshold : float
        The level ``t`` > 0.

    Returns
    -------
    numpy.ndarray or cupy.ndarray
        ``packed_words(grad.size)`` uint32 words (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> residual = np.zeros(3, dtype=np.float32)
    >>> words = quantize_2bit(np.array([1.0, -1.0, 0.2], dtype=np.float32), residual, 0.5)
    >>> hex(int(words[0])), residual
    ('0xe0', array([ 0.5, -0.5,  0.2], dtype=float32))
    """
    xp = _array_module(residual)
    kernels = _kernels()
    if xp is numpy and kernels is not None and residual.dtype.type in _KERNEL_DTYPES:
        packed = numpy.empty(packed_words(residual.size), dtype=numpy.uint32)
        kernels.quantize_2bit(numpy.ascontiguousarray(grad, dtype=residual.dtype).reshape(-1),
                              residual, packed.view(numpy.uint8), threshold)
        return packed
    return _quantize_2bit_reference(xp, grad, residual, threshold)


def dequantize_2bit(packed, size, threshold, dtype=numpy.float32, add_to=None):
    """The ``size`` values ``{-t, 0, +t}`` that ``packed`` holds, as a 1-d array.

    Parameters
    ----------
    packed : numpy.ndarray or cupy.ndarray
        uint32 words from ``quantize_2bit``.
    size : int
    threshold : float
    dtype : numpy dtype, default float32
    add_to : numpy.ndarray or cupy.ndarray, optional
        A 1-d C-contiguous array of ``size`` values to add the values to (in
        place; it is returned): how a receiver sums several senders' pushes.

    Examples
    --------
    >>> import numpy as np
    >>> dequantize_2bit(np.array([0xe0], dtype=np.uint32), 3, 0.5)
    array([ 0.5, -0.5,  0. ], dtype=float32)
    >>> total = np.ones(3, dtype=np.float32)
    >>> dequantize_2bit(np.array([0xe0], dtype=np.uint32), 3, 0.5, add_to=total)
    array([1.5, 0.5, 1. ], dtype=float32)
    """
    if packed.size < packed_words(size):
        raise MXNetError('dequantize_2bit: %d values need %d packed words, got %d'
                         % (size, packed_words(size), packed.size))
    if add_to is not None:
        dtype = add_to.dtype
        if add_to.shape != (size,) or not add_to.flags.c_contiguous:
            raise MXNetError('dequantize_2bit: add_to must be 1-d and C-contiguous with %d '
                             'values, got shape %s' % (size, add_to.shape))
    xp = _array_module(packed)
    kernels = _kernels()
    dtype = numpy.dtype(dtype)
    if xp is numpy and kernels is not None and dtype.type in _KERNEL_DTYPES:
        out = numpy.empty(size, dtype=dtype) if add_to is None else add_to
        kernels.dequantize_2bit(numpy.ascontiguousarray(packed).view(numpy.uint8), out,
                                threshold, add_to is not None)
        return out
    values = _dequantize_2bit_reference(xp, packed, size, threshold, dtype)
    if add_to is None:
        return values
    add_to += values
    return add_to


class TwoBitCompression:
    """2-bit quantisation with a residual per key, kept on the sender.

    Parameters
    ----------
    threshold : float, default 0.5
        The level ``t``: values are sent as ``-t``, ``0`` or ``+t``.

    Examples
    --------
    >>> import numpy as np
    >>> comp = TwoBitCompression(0.5)
    >>> g = np.array([0.3, -0.3], dtype=np.float32)
    >>> [comp.decompress(comp.compress(0, g), (2,), np.float32) for _ in range(2)]
    [array([0., 0.], dtype=float32), array([ 0.5, -0.5], dtype=float32)]
    >>> comp.packed_nbytes(1000000)
    250000
    """
    type = '2bit'

    def __init__(self, threshold=0.5):
        threshold = float(threshold)
        if not threshold > 0:
            raise MXNetError('2bit gradient compression needs a threshold > 0, got %r'
                             % (threshold,))
        self.threshold = threshold
        self._residuals = {}

    def __repr__(self):
        return 'TwoBitCompression(threshold=%g)' % self.threshold

    def get_params(self):
        """The parameters as ``set_gradient_compression`` takes them."""
        return {'type': self.type, 'threshold': self.threshold}

    def residual(self, key):
        """The residual (raw 1-d array) kept for ``key``; None before its first compress."""
        return self._residuals.get(key)

    def compress(self, key, grad):
        """``grad`` (NDArray or raw array) plus the key's residual, packed; updates the residual.

        Returns
        -------
        numpy.ndarray or cupy.ndarray
            ``packed_words(grad.size)`` uint32 words on the gradient's device.
        """
        data = getattr(grad, '_data', grad)
        residual = self._residuals.get(key)
        if residual is None:
            xp = _array_module(data)
            residual = self._residuals[key] = xp.zeros(data.size, dtype=data.dtype)
        elif residual.size != data.size or residual.dtype != data.dtype:
            raise MXNetError('gradient compression of key %r: got %d values of %s, but its '
                             'residual holds %d values of %s (a key must keep its size and '
                             'dtype)' % (key, data.size, data.dtype, residual.size,
                                         residual.dtype))
        return quantize_2bit(data, residual, self.threshold)

    def decompress(self, packed, shape, dtype, add_to=None):
        """The array of ``shape`` and ``dtype`` that ``packed`` holds (raw numpy or CuPy).

        With ``add_to`` (a C-contiguous raw array of ``shape``) the values are
        added to it in place, and it is returned.
        """
        size = int(numpy.prod(shape, dtype=numpy.int64))
        if add_to is None:
            return dequantize_2bit(packed, size, self.threshold, dtype).reshape(shape)
        if add_to.shape != tuple(shape) or not add_to.flags.c_contiguous:
            raise MXNetError('decompress: add_to must be C-contiguous of shape %s, got %s'
                             % (tuple(shape), add_to.shape))
        dequantize_2bit(packed, size, self.threshold, add_to=add_to.reshape(-1))
        return add_to

    @staticmethod
    def packed_nbytes(size):
        """Bytes of the packed form of ``size`` values (4 per 16 values)."""
        return 4 * packed_words(size)


def create_compression(params):
    """The compression that ``set_gradient_compression(params)`` asks for.

    Parameters
    ----------
    params : dict
        ``{'type': '2bit', 'threshold': 0.5}``; ``threshold`` is optional
        (0.5).

    Examples
    --------
    >>> create_compression({'type': '2bit', 'threshold': 1})
    TwoBitCompression(threshold=1)
    """
    if not isinstance(params, dict) or 'type' not in params:
        raise MXNetError("gradient compression parameters must be a dict with a 'type', "
                         "e.g. {'type': '2bit', 'threshold': 0.5}; got %r" % (params,))
    params = dict(params)
    kind = str(params.pop('type')).lower()
    if kind != '2bit':
        raise MXNetError("unknown gradient compression type %r: only '2bit' is supported"
                         % (kind,))
    unknown = set(params) - {'threshold'}
    if unknown:
        raise MXNetError('unknown parameters for 2bit gradient compression: %s (only '
                         "'threshold')" % ', '.join(sorted(unknown)))
    return TwoBitCompression(**params)
