"""``MNISTIter``: the MNIST IDX files as batches, as MXNet's C++ iterator gives them.

Images come as float32 in [0, 1) (the bytes divided by 256, as MXNet does),
shaped ``(batch, 1, 28, 28)`` or, with ``flat=True``, ``(batch, 784)``;
labels as float32 ``(batch,)``. The order is shuffled once, when the files
are loaded (with ``seed``), and is the same every epoch; the last incomplete
batch is dropped. ``num_parts``/``part_index`` give each of several workers
its own contiguous share of the samples.

The files are read with the IDX reader of the Gluon MNIST dataset. A path
that does not exist is also looked for with ``.gz`` appended, then under the
same name in the MNIST dataset folder (``$MXLEARN_DATA/mnist``, else
``~/.mxlearn/datasets/mnist``), so MXNet's default paths work wherever the
dataset is.

Examples
--------
>>> it = MNISTIter(image='t10k-images-idx3-ubyte', label='t10k-labels-idx1-ubyte',
...                batch_size=100, flat=True, silent=True)          # doctest: +SKIP
>>> batch = next(it)                                                # doctest: +SKIP
>>> batch.data[0].shape, batch.label[0].shape                       # doctest: +SKIP
((100, 784), (100,))
"""
import logging
import os

import numpy as np

from .._ext.core import new_ndarray
from ..base import MXNetError
from ..context import cpu
from ..gluon.data.vision.datasets import _read_idx
from ..gluon.data.vision.files import dataset_folder
from .ndarray_iter import NDArrayIter

__all__ = ['MNISTIter']

_FLOAT_DTYPES = ('float16', 'float32', 'float64')


def _find(path):
    """The existing file for ``path``: itself, ``path.gz``, or the same name in the
    MNIST dataset folder."""
    folder = dataset_folder(None, 'mnist')
    name = os.path.basename(path)
    tried = [path, path + '.gz', os.path.join(folder, name), os.path.join(folder, name + '.gz')]
    for candidate in tried:
        if os.path.isfile(candidate):
            return candidate
    raise MXNetError('MNISTIter: no MNIST file at %s (looked at %s); '
                     'mx.gluon.data.vision.MNIST() downloads the files into %s'
                     % (path, ', '.join(tried), folder))


def _load(path, magic, ndim):
    return _read_idx(_find(path), magic, ndim)


class MNISTIter(NDArrayIter):
    """Iterate over the MNIST images and labels of two IDX files.

    Parameters
    ----------
    image : str, default './train-images-idx3-ubyte'
    label : str, default './train-labels-idx1-ubyte'
    batch_size : int, default 128
    shuffle : bool, default True
        Shuffle the samples once, at load time.
    flat : bool, default False
        Images as rows of 784 values instead of (1, 28, 28).
    seed : int, default 0
        The seed of the shuffle.
    silent : bool, default False
        Without it, log (``logging.info``) how many images were loaded.
    num_parts, part_index : int, default 1 and 0
        Split the samples into ``num_parts`` contiguous parts of equal size
        and iterate over part ``part_index`` only.
    dtype : str, optional
        A float dtype for the images and labels (default float32).
    data_name, label_name : str, default 'data' and 'softmax_label'
    prefetch_buffer, ctx
        Accepted for compatibility with MXNet's C++ iterator; no effect.
    """

    def __init__(self, image='./train-images-idx3-ubyte', label='./train-labels-idx1-ubyte',
                 batch_size=128, shuffle=True, flat=False, seed=0, silent=False,
                 num_parts=1, part_index=0, prefetch_buffer=4, ctx='gpu', dtype=None,
                 data_name='data', label_name='softmax_label'):
        if not 0 <= part_index < num_parts:
            raise MXNetError('MNISTIter: part_index must be in [0, num_parts=%d), got %r'
                             % (num_parts, part_index))
        if dtype is not None and str(np.dtype(dtype)) not in _FLOAT_DTYPES:
            raise MXNetError('MNISTIter: dtype must be one of %s, got %r'
                             % (_FLOAT_DTYPES, dtype))
        dtype = np.dtype('float32' if dtype is None else dtype)
        images = _load(image, 2051, 3)
        labels = _load(label, 2049, 1)
        if len(images) != len(labels):
            raise MXNetError('MNISTIter: %s has %d images but %s has %d labels'
                             % (image, len(images), label, len(labels)))
        share = len(images) // num_parts
        part = slice(part_index * share, (part_index + 1) * share)
        images, labels = images[part], labels[part]
        if shuffle:
            order = np.random.RandomState(seed).permutation(len(images))
            images, labels = images[order], labels[order]
        shape = (-1, images.shape[1] * images.shape[2]) if flat else \
            (-1, 1) + images.shape[1:]
        # Build the NDArrays directly: no second copy of the 188 MB of float images.
        data = new_ndarray(np.multiply(images.reshape(shape), 1 / 256, dtype=dtype), cpu())
        target = new_ndarray(labels.astype(dtype), cpu())
        if not silent:
            logging.info('MNISTIter: loaded %d images from %s, shuffle=%s, shape=%s',
                         len(images), image, bool(shuffle),
                         (batch_size,) + data.shape[1:])
        super().__init__({data_name: data}, {label_name: target}, batch_size=batch_size,
                         last_batch_handle='discard')
