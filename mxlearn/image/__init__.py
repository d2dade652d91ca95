"""``mx.image``: reading, resizing and cropping (H, W, C) images as NDArrays.

Decoding uses Pillow, imported on first use; resizing and cropping are numpy
(or CuPy) only, so they work without it.

Examples
--------
>>> import mxlearn as mx
>>> import mxlearn.image
>>> img = mx.nd.zeros((32, 48, 3), dtype='uint8')
>>> mx.image.resize_short(img, 16).shape
(16, 24, 3)
"""
from .color import color_normalize
from .crop import center_crop, fixed_crop, random_crop, random_size_crop
from .io import imdecode, imread
from .resize import imresize, resize_short, scale_down

__all__ = ['imread', 'imdecode', 'imresize', 'resize_short', 'scale_down', 'fixed_crop',
           'center_crop', 'random_crop', 'random_size_crop', 'color_normalize']
