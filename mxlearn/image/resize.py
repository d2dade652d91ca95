"""Resizing images: each interpolation method is a matrix, resizing is two products.

Resizing an (H, W) image to (h, w) mixes the rows with an (h, H) matrix and
then the columns with a (w, W) matrix: ``out = A_h @ img @ A_w.T`` for every
channel. Row ``i`` of ``A_h`` holds the weights with which source rows make
output row ``i``. The methods differ only in those weights; they follow
OpenCV's ``cv::resize``, which MXNet uses, with the pixel centres aligned
(output pixel ``i`` sits at source coordinate ``(i + 0.5) * H / h - 0.5``):

====== ================ ===========================================
interp name             weights
====== ================ ===========================================
0      nearest          the source pixel ``floor(i * H / h)``
1      bilinear         the two neighbours, by distance
2      bicubic          four neighbours, Keys' cubic with a = -0.75
3      area             shrinking: each source pixel by the fraction
                        of it the output pixel covers (a box
                        average); enlarging: OpenCV's sharp bilinear
4      lanczos          eight neighbours, ``sinc(x) sinc(x / 4)``
9      auto             bicubic to enlarge, area to shrink, else bilinear
10     random           one of 0-4 at random
====== ================ ===========================================

Neighbours past the border repeat the edge pixel. uint8 images are computed
in float32 and rounded half up; OpenCV uses fixed-point weights, so a value
can differ from MXNet's by one level.

Examples
--------
>>> import numpy as np
>>> interp_matrix(4, 2, 1)
array([[0.5, 0.5, 0. , 0. ],
       [0. , 0. , 0.5, 0.5]])
"""
import numpy as np

from .._ext.core import NDArrayBase, new_ndarray
from ..base import MXNetError
from ..context import cpu
from ..ndarray.ndarray import array
from ..operator.random import generator

__all__ = ['imresize', 'resize_short', 'interp_matrix', 'resize_array', 'scale_down']


def get_interp_method(interp, sizes=()):
    """The concrete method (0-4) for ``interp``; ``sizes`` = (old_h, old_w, new_h, new_w).

    Examples
    --------
    >>> get_interp_method(9, (10, 10, 20, 20)), get_interp_method(9, (10, 10, 5, 5))
    (2, 3)
    """
    if interp == 9:
        if not sizes:
            return 2
        oh, ow, nh, nw = sizes
        if nh > oh and nw > ow:
            return 2
        if nh < oh and nw < ow:
            return 3
        return 1
    if interp == 10:
        return int(generator(cpu()).integers(0, 5))
    if interp not in (0, 1, 2, 3, 4):
        raise MXNetError('Unknown interp method %r: expected 0 (nearest), 1 (bilinear), '
                         '2 (bicubic), 3 (area), 4 (lanczos), 9 (auto) or 10 (random)'
                         % (interp,))
    return interp


def _cubic(t, a=-0.75):
    t = np.abs(t)
    return np.where(t <= 1, ((a + 2) * t - (a + 3)) * t * t + 1,
                    np.where(t < 2, a * (((t - 5) * t + 8) * t - 4), 0.0))


def _lanczos4(t):
    return np.where(np.abs(t) < 4, np.sinc(t) * np.sinc(t / 4), 0.0)


def _taps(in_size, out_size, kernel, support):
    """Weights of ``2 * support`` neighbours around each centred source coordinate."""
    src = (np.arange(out_size) + 0.5) * (in_size / out_size) - 0.5
    base = np.floor(src).astype(np.int64)
    offsets = np.arange(1 - support, support + 1)
    idx = base[:, None] + offsets[None, :]
    weights = kernel(src[:, None] - idx)
    weights /= weights.sum(axis=1, keepdims=True)
    return idx, weights


def _scatter(in_size, idx, weights):
    mat = np.zeros((idx.shape[0], in_size))
    rows = np.repeat(np.arange(idx.shape[0]), idx.shape[1])
    np.add.at(mat, (rows, np.clip(idx, 0, in_size - 1).ravel()), weights.ravel())
    return mat


def _linear(in_size, out_size):
    src = (np.arange(out_size) + 0.5) * (in_size / out_size) - 0.5
    src = np.clip(src, 0, in_size - 1)
    base = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    frac = src - base
    idx = np.stack([base, base + 1], axis=1)
    return _scatter(in_size, idx, np.stack([1 - frac, frac], axis=1))


def _area(in_size, out_size, box):
    scale = in_size / out_size
    if box:
        # Output pixel i covers [i * scale, (i + 1) * scale) of the source.
        lo = np.arange(out_size)[:, None] * scale
        left = np.arange(in_size)[None, :]
        overlap = np.clip(np.minimum(lo + scale, left + 1) - np.maximum(lo, left), 0, None)
        return overlap / scale
    # Not shrinking both axes: OpenCV gives each output pixel the source pixel
    # under its left edge, blended with the next one only across a boundary.
    dst = np.arange(out_size)
    base = np.floor(dst * scale).astype(np.int64)
    frac = (dst + 1) - (base + 1) / scale
    frac = np.where(frac <= 0, 0.0, frac - np.floor(frac))
    idx = np.stack([base, base + 1], axis=1)
    return _scatter(in_size, idx, np.stack([1 - frac, frac], axis=1))


def interp_matrix(in_size, out_size, interp, box=None):
    """The (out_size, in_size) matrix that resizes one axis with method ``interp`` (0-4).

    ``box`` says whether area interpolation (3) averages boxes; OpenCV does so
    only when neither axis grows, so the default, ``in_size >= out_size``, is
    right for a single axis.

    Examples
    --------
    >>> interp_matrix(2, 4, 0)
    array([[1., 0.],
           [1., 0.],
           [0., 1.],
           [0., 1.]])
    """
    if interp == 0:
        src = np.minimum(np.floor(np.arange(out_size) * (in_size / out_size)).astype(np.int64),
                         in_size - 1)
        mat = np.zeros((out_size, in_size))
        mat[np.arange(out_size), src] = 1.0
        return mat
    if interp == 1:
        return _linear(in_size, out_size)
    if interp == 2:
        return _scatter(in_size, *_taps(in_size, out_size, _cubic, 2))
    if interp == 3:
        return _area(in_size, out_size, in_size >= out_size if box is None else box)
    return _scatter(in_size, *_taps(in_size, out_size, _lanczos4, 4))


def resize_array(data, w, h, interp, xp=np):
    """Resize a raw (..., H, W, C) array to (..., h, w, C); the dtype is kept.

    Examples
    --------
    >>> img = np.arange(8, dtype=np.uint8).reshape(2, 4, 1) * 10
    >>> resize_array(img, 2, 1, 1)[..., 0]
    array([[25, 45]], dtype=uint8)
    """
    if data.ndim < 3:
        raise MXNetError('resize: expected an image (H, W, C) or a batch (N, H, W, C), got '
                         'shape %s' % (data.shape,))
    if w <= 0 or h <= 0:
        raise MXNetError('resize: the output size must be positive, got width %d height %d'
                         % (w, h))
    in_h, in_w = data.shape[-3], data.shape[-2]
    interp = get_interp_method(interp, (in_h, in_w, h, w))
    integer = data.dtype.kind in 'ui'
    compute = np.float64 if data.dtype == np.float64 else np.float32
    box = in_h >= h and in_w >= w
    mat_h = xp.asarray(interp_matrix(in_h, h, interp, box), dtype=compute)
    mat_w = xp.asarray(interp_matrix(in_w, w, interp, box), dtype=compute)
    x = data.astype(compute)
    lead = x.shape[:-3]
    c = x.shape[-1]
    x = x.reshape((-1, in_h, in_w * c))
    x = _resize_columns(xp.matmul(mat_h, x).reshape((-1, h, in_w, c)), mat_w, xp)
    x = x.reshape(lead + (h, w, c))
    if integer:
        info = np.iinfo(data.dtype)
        x = xp.clip(xp.floor(x + 0.5), info.min, info.max)
    return x.astype(data.dtype)


def _resize_columns(x, mat_w, xp):
    """(B, h, W, C) -> (B, h, w, C) with the (w, W) matrix."""
    b, h, in_w, c = x.shape
    cols = x.transpose(0, 1, 3, 2).reshape(b * h * c, in_w)
    out = xp.matmul(cols, mat_w.T)
    return out.reshape(b, h, c, -1).transpose(0, 1, 3, 2)


def imresize(src, w, h, interp=1):
    """Resize an image (H, W, C) NDArray to width ``w`` and height ``h``.

    Parameters
    ----------
    src : NDArray
        An image (H, W, C), or a batch (N, H, W, C); any dtype (kept).
    w, h : int
        The output width and height.
    interp : int, default 1
        0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 lanczos, 9 auto,
        10 random (see the module docstring).

    Returns
    -------
    NDArray
        Of shape (h, w, C).

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.image
    >>> img = mx.nd.zeros((4, 6, 3), dtype='uint8')
    >>> mx.image.imresize(img, 3, 2).shape
    (2, 3, 3)
    """
    src = _as_ndarray(src)
    return new_ndarray(resize_array(src._data, w, h, interp, src.context.xp), src.context)


def scale_down(src_size, size):
    """Shrink ``size`` = (w, h), keeping its aspect ratio, to fit in ``src_size`` = (w, h).

    Examples
    --------
    >>> scale_down((640, 480), (720, 120))
    (640, 106)
    """
    w, h = size
    sw, sh = src_size
    if sh < h:
        w, h = float(w * sh) / h, sh
    if sw < w:
        w, h = sw, float(h * sw) / w
    return int(w), int(h)


def resize_short(src, size, interp=2):
    """Resize so that the shorter edge is ``size``, keeping the aspect ratio.

    The longer edge becomes ``size * long // short`` (rounded down).

    Parameters
    ----------
    src : NDArray
        An image (H, W, C).
    size : int
    interp : int, default 2
        As in ``imresize``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.image
    >>> mx.image.resize_short(mx.nd.zeros((5, 7, 3), dtype='uint8'), 3).shape
    (3, 4, 3)
    """
    src = _as_ndarray(src)
    h, w = src.shape[0], src.shape[1]
    if h > w:
        new_h, new_w = size * h // w, size
    else:
        new_h, new_w = size, size * w // h
    return imresize(src, new_w, new_h, interp=get_interp_method(interp, (h, w, new_h, new_w)))


def _as_ndarray(x):
    if isinstance(x, NDArrayBase):
        return x
    if isinstance(x, np.ndarray):
        return array(x, dtype=x.dtype)
    raise MXNetError('expected an image as an NDArray (H, W, C), got %s' % type(x).__name__)
