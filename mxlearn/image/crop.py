"""Cropping images: a fixed region, the centre, a random region, a random size.

Every crop takes an (H, W, C) NDArray, cuts the region ``x0 <= x < x0 + w``,
``y0 <= y < y0 + h`` and, when a ``size`` = (width, height) is given that
differs from the region, resizes it (see ``mxlearn.image.resize``). The
random crops draw from mxlearn's CPU generator (``mx.random.seed``).

Examples
--------
>>> import mxlearn as mx
>>> import mxlearn.image
>>> img = mx.nd.zeros((4, 6, 3), dtype='uint8')
>>> out, region = mx.image.center_crop(img, (4, 2))
>>> out.shape, region
((2, 4, 3), (1, 1, 4, 2))
"""
import math

from .._ext.core import new_ndarray
from ..base import MXNetError
from ..context import cpu
from ..operator.random import generator
from .resize import _as_ndarray, get_interp_method, imresize, scale_down

__all__ = ['fixed_crop', 'center_crop', 'random_crop', 'random_size_crop']


def fixed_crop(src, x0, y0, w, h, size=None, interp=2):
    """The region at (``x0``, ``y0``) of width ``w`` and height ``h``, resized to ``size``.

    Parameters
    ----------
    src : NDArray
        An image (H, W, C).
    x0, y0 : int
        The top-left corner.
    w, h : int
        The region's width and height.
    size : tuple of (width, height), optional
        Resize the region to this size.
    interp : int, default 2
        The resizing method (see ``imresize``).

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.image
    >>> img = mx.nd.arange(12).reshape((3, 4, 1))
    >>> mx.image.fixed_crop(img, 1, 0, 2, 2)[..., 0].asnumpy()
    array([[1., 2.],
           [5., 6.]], dtype=float32)
    """
    src = _as_ndarray(src)
    if src.ndim != 3:
        raise MXNetError('fixed_crop: expected an image of shape (H, W, C), got shape %s'
                         % (src.shape,))
    height, width = src.shape[:2]
    if x0 < 0 or y0 < 0 or w <= 0 or h <= 0 or x0 + w > width or y0 + h > height:
        raise MXNetError('fixed_crop: the region x0=%d, y0=%d, w=%d, h=%d is not inside the '
                         'image of shape %s (H, W, C)' % (x0, y0, w, h, src.shape))
    out = new_ndarray(src._data[y0:y0 + h, x0:x0 + w].copy(), src.context)
    if size is not None and (w, h) != tuple(size):
        out = imresize(out, size[0], size[1],
                       interp=get_interp_method(interp, (h, w, size[1], size[0])))
    return out


def center_crop(src, size, interp=2):
    """Crop the largest region of ``size``'s aspect ratio from the centre, resize to ``size``.

    Parameters
    ----------
    src : NDArray
        An image (H, W, C).
    size : tuple of (width, height)
    interp : int, default 2

    Returns
    -------
    NDArray
        The (height, width, C) crop.
    tuple
        The region cut: (x0, y0, w, h).

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.image
    >>> out, region = mx.image.center_crop(mx.nd.zeros((4, 6, 3)), (10, 10))
    >>> out.shape, region
    ((10, 10, 3), (1, 0, 4, 4))
    """
    src = _as_ndarray(src)
    h, w = src.shape[:2]
    new_w, new_h = scale_down((w, h), size)
    x0 = int((w - new_w) / 2)
    y0 = int((h - new_h) / 2)
    out = fixed_crop(src, x0, y0, new_w, new_h, size, interp)
    return out, (x0, y0, new_w, new_h)


def random_crop(src, size, interp=2):
    """Crop a random region of ``size`` (scaled down to fit) and resize it to ``size``.

    Returns
    -------
    NDArray
        The crop.
    tuple
        The region cut: (x0, y0, w, h).

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.image
    >>> out, (x0, y0, w, h) = mx.image.random_crop(mx.nd.zeros((4, 6, 3)), (4, 2))
    >>> out.shape, (w, h), 0 <= x0 <= 2 and 0 <= y0 <= 2
    ((2, 4, 3), (4, 2), True)
    """
    src = _as_ndarray(src)
    h, w = src.shape[:2]
    new_w, new_h = scale_down((w, h), size)
    rng = generator(cpu())
    x0 = int(rng.integers(0, w - new_w + 1))
    y0 = int(rng.integers(0, h - new_h + 1))
    out = fixed_crop(src, x0, y0, new_w, new_h, size, interp)
    return out, (x0, y0, new_w, new_h)


def random_size_crop(src, size, area, ratio, interp=2, **kwargs):
    """Crop a region of random area and aspect ratio, then resize it to ``size``.

    The region's area is a uniform fraction in ``area`` of the image's, its
    aspect ratio (w / h) log-uniform in ``ratio``; up to ten draws are tried
    for a region that fits, after which the centre crop is used (the
    "Inception" crop).

    Parameters
    ----------
    src : NDArray
        An image (H, W, C).
    size : tuple of (width, height)
    area : float or tuple of (min, max)
        A float means (area, 1.0). ``min_area=`` is accepted as an old name.
    ratio : tuple of (min, max)
    interp : int, default 2

    Returns
    -------
    NDArray
        The crop.
    tuple
        The region cut: (x0, y0, w, h).

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.image
    >>> out, _ = mx.image.random_size_crop(mx.nd.zeros((8, 8, 3)), (4, 4), 0.5, (0.75, 1.33))
    >>> out.shape
    (4, 4, 3)
    """
    src = _as_ndarray(src)
    h, w = src.shape[:2]
    if 'min_area' in kwargs:
        area = kwargs.pop('min_area')
    if kwargs:
        raise MXNetError('random_size_crop: unknown arguments %s' % sorted(kwargs))
    if not isinstance(area, (tuple, list)):
        area = (area, 1.0)
    rng = generator(cpu())
    log_lo, log_hi = math.log(ratio[0]), math.log(ratio[1])
    for _ in range(10):
        target = rng.uniform(area[0], area[1]) * h * w
        aspect = math.exp(rng.uniform(log_lo, log_hi))
        new_w = int(round(math.sqrt(target * aspect)))
        new_h = int(round(math.sqrt(target / aspect)))
        if 0 < new_w <= w and 0 < new_h <= h:
            x0 = int(rng.integers(0, w - new_w + 1))
            y0 = int(rng.integers(0, h - new_h + 1))
            return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)
    return center_crop(src, size, interp)
