"""Colour normalisation: subtract a per-channel mean, divide by a standard deviation."""

__all__ = ['color_normalize']


def color_normalize(src, mean, std=None):
    """``(src - mean) / std``, in place on ``src`` as in MXNet, and return ``src``.

    Parameters
    ----------
    src : NDArray
        A float image (H, W, C).
    mean : NDArray or float, or None
        Broadcast against ``src`` (an NDArray of shape (C,) for per-channel means).
    std : NDArray or float, optional

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.image
    >>> img = mx.nd.ones((1, 1, 3)) * 10
    >>> mx.image.color_normalize(img, mx.nd.array([1, 2, 3]), mx.nd.array([3, 4, 7])).asnumpy()
    array([[[3., 2., 1.]]], dtype=float32)
    """
    if mean is not None:
        src -= mean
    if std is not None:
        src /= std
    return src
