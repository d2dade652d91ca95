"""Reading images: ``imread`` and ``imdecode`` (PNG, JPEG, ... through Pillow).

MXNet decodes with OpenCV; mxlearn uses Pillow, imported only when an image
is decoded (it is not a dependency of mxlearn: ``pip install pillow``; it comes
with matplotlib). The result is MXNet's: an (H, W, 3) uint8 NDArray in RGB
order, or (H, W, 1) for ``flag=0`` (grayscale, with Pillow's weights, which can
differ from OpenCV's by one level), on ``cpu(0)``.

Examples
--------
>>> import io
>>> import numpy as np
>>> from PIL import Image
>>> import mxlearn as mx
>>> import mxlearn.image
>>> buf = io.BytesIO()
>>> Image.fromarray(np.full((2, 3, 3), 200, np.uint8)).save(buf, format='PNG')
>>> img = mx.image.imdecode(buf.getvalue())
>>> img.shape, img.dtype.__name__, int(img[0, 0, 0].asscalar())
((2, 3, 3), 'uint8', 200)
"""
import io
import os

import numpy as np

from .._ext.core import NDArrayBase, new_ndarray
from ..base import MXNetError
from ..context import cpu

__all__ = ['imdecode', 'imread']


def _pil_image():
    try:
        from PIL import Image
    except ImportError:
        raise MXNetError('mx.image needs Pillow to decode images, and it is not installed: '
                         'pip install pillow') from None
    return Image


def imdecode(buf, flag=1, to_rgb=1, out=None):
    """Decode an image file's bytes into an (H, W, C) uint8 NDArray.

    Parameters
    ----------
    buf : bytes, bytearray or numpy.ndarray of uint8
        The content of an image file.
    flag : int, default 1
        1 for three colour channels, 0 for one grayscale channel.
    to_rgb : int, default 1
        1 for RGB order (MXNet's), 0 for BGR (OpenCV's).
    out : NDArray, optional
        Write the image into this array (its shape must match) and return it.

    Raises
    ------
    MXNetError
        If Pillow is missing or the bytes are not an image it can read.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from PIL import Image
    >>> buf = io.BytesIO()
    >>> Image.fromarray(np.zeros((4, 5, 3), np.uint8)).save(buf, format='PNG')
    >>> imdecode(buf.getvalue(), flag=0).shape
    (4, 5, 1)
    """
    if isinstance(buf, np.ndarray):
        buf = buf.tobytes()
    if not isinstance(buf, (bytes, bytearray, memoryview)):
        raise MXNetError('imdecode: expected the bytes of an image file, got %s'
                         % type(buf).__name__)
    image_cls = _pil_image()
    try:
        with image_cls.open(io.BytesIO(buf)) as img:
            img = img.convert('RGB' if flag else 'L')
            data = np.asarray(img, dtype=np.uint8)
    except Exception as e:
        raise MXNetError('imdecode: cannot decode the %d bytes given as an image (%s: %s)'
                         % (len(buf), type(e).__name__, e)) from None
    if flag:
        if not to_rgb:
            data = data[:, :, ::-1]
    else:
        data = data[:, :, None]
    data = np.ascontiguousarray(data)
    if out is not None:
        if not isinstance(out, NDArrayBase) or out.shape != data.shape:
            raise MXNetError('imdecode: out must be an NDArray of shape %s' % (data.shape,))
        out[:] = data
        return out
    return new_ndarray(data, cpu())


def imread(filename, flag=1, to_rgb=True, out=None):
    """Read an image file into an (H, W, C) uint8 NDArray (see ``imdecode``).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> path = os.path.join(tempfile.mkdtemp(), 'a.png')
    >>> Image.fromarray(np.zeros((4, 5, 3), np.uint8)).save(path)
    >>> imread(path).shape
    (4, 5, 3)
    """
    path = os.path.expanduser(os.fspath(filename))
    if not os.path.isfile(path):
        raise MXNetError("imread: '%s' couldn't be opened: no such file" % (path,))
    with open(path, 'rb') as f:
        buf = f.read()
    return imdecode(buf, flag=flag, to_rgb=int(bool(to_rgb)), out=out)
