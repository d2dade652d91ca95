"""Image transforms for ``Dataset.transform_first``: callables on (H, W, C) NDArrays.

Each transform is an object called as ``t(x)`` (its ``forward``). The usual
pipeline turns a uint8 (H, W, C) image into a normalised float32 (C, H, W)
tensor::

    transforms.Compose([transforms.Resize(224), transforms.ToTensor(),
                        transforms.Normalize(0.5, 0.25)])

Transforms marked ``_batchable`` (``Cast``, ``ToTensor``, ``Normalize``,
``Resize``, ``CropResize`` and a ``Compose`` of only those) give the same result on a batch
(N, ...) as on each of its samples, so the DataLoader applies them to whole
batches (see ``mxlearn.gluon.data.dataset``). The random transforms draw from
mxlearn's CPU generator, so ``mx.random.seed`` makes them reproducible.

In MXNet these are Gluon (Hybrid)Blocks; here they are plain callables with
the same constructor arguments and results.

Examples
--------
>>> import mxlearn as mx
>>> from mxlearn.gluon.data.vision import transforms
>>> img = mx.nd.full((4, 6, 3), 255, dtype='uint8')
>>> t = transforms.Compose([transforms.Resize((3, 2)), transforms.ToTensor()])
>>> out = t(img)
>>> out.shape, out.dtype.__name__, float(out.max().asscalar())
((3, 2, 3), 'float32', 1.0)
"""
import numbers

import numpy as np

from ...._ext.core import new_ndarray
from ....base import MXNetError
from ....context import cpu
from ....ndarray.ndarray import np_dtype
from ....operator.random import generator
from .... import image
from ....image.resize import _as_ndarray, resize_array

__all__ = ['Compose', 'Cast', 'ToTensor', 'Normalize', 'RandomFlipLeftRight',
           'RandomFlipTopBottom', 'CenterCrop', 'RandomResizedCrop', 'Resize', 'CropResize',
           'RandomBrightness', 'RandomContrast', 'RandomSaturation', 'RandomHue',
           'RandomLighting', 'RandomColorJitter']


class Transform:
    """The base class: ``t(x)`` calls ``t.forward(x)``."""

    _batchable = False

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        raise NotImplementedError

    def _args(self):
        return ''

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__, self._args())


def _image(x, name, ndims=(3,)):
    """``x`` as an NDArray, checked to be an image (or a batch when 4 is in ``ndims``)."""
    x = _as_ndarray(x)
    if x.ndim not in ndims:
        want = ' or '.join({3: '(H, W, C)', 4: 'a batch (N, H, W, C)'}[n] for n in ndims)
        raise MXNetError('%s: expected an image %s, got shape %s' % (name, want, x.shape))
    return x


def _on_raw(x, fn):
    return new_ndarray(fn(x._data), x.context)


class Compose(Transform):
    """Apply ``transforms`` one after the other.

    Parameters
    ----------
    transforms : list of callables

    Examples
    --------
    >>> c = Compose([Cast('float64'), Normalize(1.0, 2.0)])
    >>> len(c), c[0]
    (2, Cast(dtype='float64'))
    """

    def __init__(self, transforms):
        self._transforms = list(transforms)
        self._batchable = all(getattr(t, '_batchable', False) for t in self._transforms)

    def __getitem__(self, i):
        return self._transforms[i]

    def __len__(self):
        return len(self._transforms)

    def forward(self, x):
        for t in self._transforms:
            x = t(x)
        return x

    def __repr__(self):
        return 'Compose(\n%s\n)' % '\n'.join('  (%d): %r' % (i, t)
                                              for i, t in enumerate(self._transforms))


class Cast(Transform):
    """Convert to ``dtype``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> Cast()(mx.nd.zeros((2,), dtype='uint8')).dtype.__name__
    'float32'
    """

    _batchable = True

    def __init__(self, dtype='float32'):
        self._dtype = dtype

    def forward(self, x):
        return _as_ndarray(x).astype(self._dtype)

    def _args(self):
        return 'dtype=%r' % (np_dtype(self._dtype).name,)


class ToTensor(Transform):
    """(H, W, C) in [0, 255] to float32 (C, H, W) in [0, 1]; batches (N, H, W, C) too.

    The values are divided by 255 whatever the input dtype.

    Examples
    --------
    >>> import mxlearn as mx
    >>> out = ToTensor()(mx.nd.full((2, 3, 1), 51, dtype='uint8'))
    >>> out.shape, round(float(out[0, 0, 0].asscalar()), 4)
    ((1, 2, 3), 0.2)
    """

    _batchable = True

    def forward(self, x):
        x = _image(x, 'ToTensor', (3, 4))
        axes = (2, 0, 1) if x.ndim == 3 else (0, 3, 1, 2)
        return _on_raw(x, lambda d: d.transpose(axes).astype(np.float32) / np.float32(255))


class Normalize(Transform):
    """``(x - mean) / std`` per channel of a (C, H, W) tensor or (N, C, H, W) batch.

    Parameters
    ----------
    mean : float or tuple of floats, default 0.0
        One value for all channels, or one per channel.
    std : float or tuple of floats, default 1.0

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.ones((2, 1, 1))
    >>> Normalize(mean=(0, 1), std=(2, 1))(x).asnumpy().ravel().tolist()
    [0.5, 0.0]
    """

    _batchable = True

    def __init__(self, mean=0.0, std=1.0):
        self._mean = mean
        self._std = std

    def forward(self, x):
        x = _as_ndarray(x)
        if x.ndim not in (3, 4):
            raise MXNetError('Normalize: expected a tensor (C, H, W) or a batch (N, C, H, W), '
                             'got shape %s' % (x.shape,))
        channels = x.shape[-3]
        xp = x.context.xp
        dtype = x.dtype if np.dtype(x.dtype).kind == 'f' else np.float32
        stats = []
        for name, value in (('mean', self._mean), ('std', self._std)):
            v = np.asarray(value, dtype=np.float64).reshape(-1)
            if v.size not in (1, channels):
                raise MXNetError('Normalize: %s must have either 1 or %d elements for input '
                                 'of shape %s, but got %s' % (name, channels, x.shape,
                                                              list(v)))
            stats.append(xp.asarray(v.astype(dtype).reshape(-1, 1, 1)))
        mean, std = stats
        return _on_raw(x, lambda d: ((d.astype(dtype) - mean) / std).astype(dtype))

    def _args(self):
        return 'mean=%r, std=%r' % (self._mean, self._std)


class _RandomFlip(Transform):
    _axis = None

    def forward(self, x):
        x = _image(x, type(self).__name__)
        if generator(cpu()).random() < 0.5:
            xp = x.context.xp
            return _on_raw(x, lambda d: xp.ascontiguousarray(xp.flip(d, axis=self._axis)))
        return x.copy()


class RandomFlipLeftRight(_RandomFlip):
    """Flip an (H, W, C) image left to right with probability 0.5.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.random.seed(1)
    >>> x = mx.nd.array([[[1], [2]]])
    >>> sorted(tuple(RandomFlipLeftRight()(x).asnumpy().ravel()) for _ in range(8))[::7]
    [(1.0, 2.0), (2.0, 1.0)]
    """
    _axis = 1


class RandomFlipTopBottom(_RandomFlip):
    """Flip an (H, W, C) image top to bottom with probability 0.5."""
    _axis = 0


class CenterCrop(Transform):
    """Crop the centre (resizing if the image is smaller), as ``mx.image.center_crop``.

    Parameters
    ----------
    size : int or tuple of (W, H)
    interpolation : int, default 1

    Examples
    --------
    >>> import mxlearn as mx
    >>> CenterCrop((4, 2))(mx.nd.zeros((6, 6, 3))).shape
    (2, 4, 3)
    """

    def __init__(self, size, interpolation=1):
        self._size = (size, size) if isinstance(size, numbers.Number) else tuple(size)
        self._interpolation = interpolation

    def forward(self, x):
        return image.center_crop(_image(x, 'CenterCrop'), self._size, self._interpolation)[0]

    def _args(self):
        return 'size=%r, interpolation=%r' % (self._size, self._interpolation)


class RandomResizedCrop(Transform):
    """Crop a random area and aspect ratio, resize to ``size`` (``image.random_size_crop``).

    Parameters
    ----------
    size : int or tuple of (W, H)
    scale : tuple of two floats, default (0.08, 1.0)
        The range of the crop's area, as a fraction of the image's.
    ratio : tuple of two floats, default (3/4, 4/3)
        The range of the crop's aspect ratio.
    interpolation : int, default 1

    Examples
    --------
    >>> import mxlearn as mx
    >>> RandomResizedCrop(5)(mx.nd.zeros((10, 12, 3), dtype='uint8')).shape
    (5, 5, 3)
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=1):
        self._size = (size, size) if isinstance(size, numbers.Number) else tuple(size)
        self._scale = scale
        self._ratio = ratio
        self._interpolation = interpolation

    def forward(self, x):
        return image.random_size_crop(_image(x, 'RandomResizedCrop'), self._size,
                                      self._scale, self._ratio, self._interpolation)[0]

    def _args(self):
        return 'size=%r, scale=%r, ratio=%r' % (self._size, self._scale, self._ratio)


class Resize(Transform):
    """Resize an (H, W, C) image or an (N, H, W, C) batch.

    Parameters
    ----------
    size : int or tuple of (W, H)
        An int gives a square, or with ``keep_ratio`` the length of the
        shorter edge (the other is scaled and rounded down).
    keep_ratio : bool, default False
    interpolation : int, default 1
        As in ``mx.image.imresize`` (1 is bilinear).

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.zeros((4, 6, 3), dtype='uint8')
    >>> Resize(3)(x).shape, Resize(3, keep_ratio=True)(x).shape, Resize((5, 2))(x).shape
    ((3, 3, 3), (3, 4, 3), (2, 5, 3))
    """

    _batchable = True

    def __init__(self, size, keep_ratio=False, interpolation=1):
        self._size = size
        self._keep = keep_ratio
        self._interpolation = interpolation

    def forward(self, x):
        x = _image(x, 'Resize', (3, 4))
        h, w = x.shape[-3], x.shape[-2]
        if isinstance(self._size, numbers.Number):
            size = int(self._size)
            if not self._keep:
                new_w = new_h = size
            elif h > w:
                new_w, new_h = size, int(h * size / w)
            else:
                new_w, new_h = int(w * size / h), size
        else:
            new_w, new_h = self._size
        xp = x.context.xp
        return _on_raw(x, lambda d: resize_array(d, new_w, new_h, self._interpolation, xp))

    def _args(self):
        return 'size=%r, keep_ratio=%r, interpolation=%r' % (self._size, self._keep,
                                                             self._interpolation)


class CropResize(Transform):
    """Crop the region (x, y, width, height) and optionally resize it to ``size``.

    Works on an (H, W, C) image or an (N, H, W, C) batch.

    Examples
    --------
    >>> import mxlearn as mx
    >>> CropResize(0, 0, 3, 2, size=(6, 4))(mx.nd.zeros((2, 5, 5, 3))).shape
    (2, 4, 6, 3)
    """

    _batchable = True

    def __init__(self, x, y, width, height, size=None, interpolation=None):
        self._box = (x, y, width, height)
        self._size = (size, size) if isinstance(size, numbers.Number) else size
        self._interpolation = 1 if interpolation is None else interpolation

    def forward(self, x):
        x = _image(x, 'CropResize', (3, 4))
        x0, y0, w, h = self._box
        if x0 < 0 or y0 < 0 or x0 + w > x.shape[-2] or y0 + h > x.shape[-3]:
            raise MXNetError('CropResize: the region %s is not inside the image of shape %s'
                             % (self._box, x.shape))
        out = _on_raw(x, lambda d: d[..., y0:y0 + h, x0:x0 + w, :].copy())
        if self._size:
            xp = x.context.xp
            out = _on_raw(out, lambda d: resize_array(d, self._size[0], self._size[1],
                                                      self._interpolation, xp))
        return out


# ------------------------------------------------------- colour jitter --
# On float (H, W, C) RGB images, as MXNet's: each draws a factor uniformly
# from [max(0, 1 - amount), 1 + amount] and blends the image with a reference.

_GRAY = np.array([0.299, 0.587, 0.114])


def _blend(x, factor, reference):
    return _on_raw(x, lambda d: (d * factor + reference(d) * (1 - factor)).astype(d.dtype))


class _RandomFactor(Transform):
    def __init__(self, amount):
        self._amount = amount

    def _factor(self):
        return generator(cpu()).uniform(max(0.0, 1 - self._amount), 1 + self._amount)

    def _args(self):
        return '%r' % (self._amount,)


class RandomBrightness(_RandomFactor):
    """Scale the pixel values by a random factor (blend with black).

    Examples
    --------
    >>> import mxlearn as mx
    >>> RandomBrightness(0.0)(mx.nd.ones((1, 1, 3))).asnumpy().ravel().tolist()
    [1.0, 1.0, 1.0]
    """

    def forward(self, x):
        return _blend(_image(x, 'RandomBrightness'), self._factor(), lambda d: 0)


class RandomContrast(_RandomFactor):
    """Blend with the image's mean gray level by a random factor."""

    def forward(self, x):
        x = _image(x, 'RandomContrast')
        xp = x.context.xp
        return _blend(x, self._factor(),
                      lambda d: (d @ xp.asarray(_GRAY, dtype=d.dtype)).mean())


class RandomSaturation(_RandomFactor):
    """Blend each pixel with its own gray level by a random factor."""

    def forward(self, x):
        x = _image(x, 'RandomSaturation')
        xp = x.context.xp
        return _blend(x, self._factor(),
                      lambda d: (d @ xp.asarray(_GRAY, dtype=d.dtype))[..., None])


def _rotate_hue(d, turn, xp):
    """Rotate the HSV hue of RGB pixels (..., 3) by ``turn`` of a full circle."""
    r, g, b = d[..., 0], d[..., 1], d[..., 2]
    v = d.max(axis=-1)
    delta = v - d.min(axis=-1)
    safe = xp.where(delta > 0, delta, 1)
    hue = xp.where(v == r, (g - b) / safe, xp.where(v == g, 2 + (b - r) / safe,
                                                    4 + (r - g) / safe))
    hue = ((hue / 6 + turn) % 1.0) * 6
    # Each channel of an HSV colour is v - delta * clip(k, 0, 1) with
    # k = min(m, 4 - m) for m = (n + hue) mod 6 and n = 5, 3, 1 for R, G, B.
    out = []
    for n in (5, 3, 1):
        m = (n + hue) % 6
        out.append(v - delta * xp.clip(xp.minimum(m, 4 - m), 0, 1))
    return xp.stack(out, axis=-1).astype(d.dtype)


class RandomHue(_RandomFactor):
    """Rotate the hue (in HSV) by a random fraction of the colour circle.

    As in MXNet the factor is drawn from [max(0, 1 - hue), 1 + hue] and the
    hue turns by that many full circles (so 1 leaves the colours unchanged).

    Examples
    --------
    >>> import mxlearn as mx
    >>> RandomHue(0.0)(mx.nd.array([[[200, 50, 50]]])).asnumpy().round().ravel().tolist()
    [200.0, 50.0, 50.0]
    """

    def forward(self, x):
        x = _image(x, 'RandomHue')
        if x.shape[-1] != 3:
            raise MXNetError('RandomHue: expected 3 (RGB) channels, got shape %s' % (x.shape,))
        turn = self._factor()
        xp = x.context.xp
        return _on_raw(x, lambda d: _rotate_hue(d.astype(np.float32), turn, xp).astype(d.dtype))


class RandomColorJitter(Transform):
    """Random brightness, contrast, saturation and hue, applied in a random order.

    Parameters
    ----------
    brightness, contrast, saturation, hue : float, default 0
        The amounts of ``RandomBrightness`` etc.; 0 leaves that one out.
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self._parts = [t for t, amount in ((RandomBrightness(brightness), brightness),
                                           (RandomContrast(contrast), contrast),
                                           (RandomSaturation(saturation), saturation),
                                           (RandomHue(hue), hue))
                       if amount > 0]

    def forward(self, x):
        for i in generator(cpu()).permutation(len(self._parts)):
            x = self._parts[i](x)
        return x


class RandomLighting(Transform):
    """AlexNet's PCA lighting noise: add ``eigvec @ (alpha * eigval)`` to every pixel.

    ``alpha`` is drawn per channel from N(0, ``alpha``); the eigenvectors and
    eigenvalues are AlexNet's (of ImageNet's RGB covariance, on a 0-255 scale).
    """

    _EIGVAL = np.array([55.46, 4.794, 1.148])
    _EIGVEC = np.array([[-0.5675, 0.7192, 0.4009],
                        [-0.5808, -0.0045, -0.8140],
                        [-0.5836, -0.6948, 0.4203]])

    def __init__(self, alpha):
        self._alpha = alpha

    def forward(self, x):
        x = _image(x, 'RandomLighting')
        alpha = generator(cpu()).normal(0, self._alpha, size=3)
        shift = self._EIGVEC @ (alpha * self._EIGVAL)
        xp = x.context.xp
        return _on_raw(x, lambda d: (d + xp.asarray(shift, dtype=d.dtype)).astype(d.dtype))

    def _args(self):
        return '%r' % (self._alpha,)
