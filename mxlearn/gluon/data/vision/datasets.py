"""Image datasets: MNIST, Fashion-MNIST, CIFAR-10/100 and a folder of images.

The MNIST-style and CIFAR datasets read their original files (see
``mxlearn.gluon.data.vision.files`` for where they are looked for and how
missing ones are downloaded) into memory once, as numpy arrays. A sample is
what MXNet gives: ``(image, label)`` with the image a uint8 NDArray of shape
(H, W, C) -- (28, 28, 1) for MNIST, (32, 32, 3) for CIFAR -- and the label a
``numpy.int32`` scalar, so the DataLoader batches labels as int32. Without a
``transform`` the DataLoader batches them with one fancy index; with
``transform_first`` of a batchable transform (``ToTensor``...) as well.

Examples
--------
>>> import os
>>> from mxlearn.gluon.data.vision import MNIST
>>> MNIST(root=os.environ['MXLEARN_DATA'] + '/mnist', train=False)[0][0].shape  # doctest: +SKIP
(28, 28, 1)
"""
import os
import struct
import warnings

import numpy as np

from ...._ext.core import new_ndarray
from ....base import MXNetError
from ....context import cpu
from ....ndarray.ndarray import array
from ..dataset import Dataset, _take
from .files import _verified, dataset_folder, ensure_files, repo_urls

__all__ = ['MNIST', 'FashionMNIST', 'CIFAR10', 'CIFAR100', 'ImageFolderDataset']


class _DownloadedDataset(Dataset):
    """Images and labels loaded into memory by ``_get_data``."""

    def __init__(self, root, transform):
        self._transform = transform
        self._data = None     # NDArray (N, H, W, C) uint8
        self._label = None    # numpy (N,) int32
        self._root = dataset_folder(root, self._namespace)
        self._get_data()

    def __getitem__(self, idx):
        if self._transform is not None:
            return self._transform(self._data[idx], self._label[idx])
        return self._data[idx], self._label[idx]

    def __len__(self):
        return len(self._label)

    def _fetch_batch(self, indices):
        if self._transform is not None:
            return NotImplemented
        labels = self._label[np.asarray(indices, dtype=np.int64)]
        return [_take(self._data, indices), array(labels, dtype=labels.dtype)]

    def _get_data(self):
        raise NotImplementedError


def _read_idx(path, magic, ndim):
    """The uint8 array in an IDX file (gzip-compressed or not, big-endian header).

    The values are decompressed straight into the array: no copy of the
    47 MB of MNIST's training images is made. Uncompressed files (as some
    tutorials unpack them) are recognised by the missing gzip magic bytes.
    """
    import gzip
    with open(path, 'rb') as probe:
        compressed = probe.read(2) == b'\x1f\x8b'
    with (gzip.open if compressed else open)(path, 'rb') as f:
        header = f.read(4 * (1 + ndim))
        if len(header) < 4 * (1 + ndim):
            raise MXNetError('%s is not an IDX file: it has only %d bytes'
                             % (path, len(header)))
        fields = struct.unpack('>%dI' % (1 + ndim), header)
        if fields[0] != magic:
            raise MXNetError('%s is not an IDX file of %d dimension(s): magic number %d, '
                             'expected %d' % (path, ndim, fields[0], magic))
        data = np.empty(fields[1:], dtype=np.uint8)
        got = f.readinto(memoryview(data).cast('B'))
        if got != data.size or f.read(1):
            raise MXNetError('%s does not hold the %d values of shape %s its header '
                             'announces' % (path, data.size, fields[1:]))
    return data


class MNIST(_DownloadedDataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images of 28x28.

    Parameters
    ----------
    root : str, optional
        The folder holding ``train-images-idx3-ubyte.gz``,
        ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz`` and
        ``t10k-labels-idx1-ubyte.gz``; by default ``$MXLEARN_DATA/mnist``,
        else ``~/.mxlearn/datasets/mnist``. Missing files are downloaded.
    train : bool, default True
        The training set, or the test set.
    transform : callable, optional
        ``transform(image, label)`` returning the new sample.

    Examples
    --------
    >>> mnist = MNIST(train=False)                      # doctest: +SKIP
    >>> image, label = mnist[0]                         # doctest: +SKIP
    >>> image.shape, image.dtype, type(label)           # doctest: +SKIP
    ((28, 28, 1), <class 'numpy.uint8'>, <class 'numpy.int32'>)
    """

    _namespace = 'mnist'
    _title = 'MNIST'
    _fallback_url = None
    _files = {
        'train-images-idx3-ubyte.gz': ('6c95f4b05d2bf285e1bfb0e7960c31bd3b3f8a7d',),
        'train-labels-idx1-ubyte.gz': ('2a80914081dc54586dbdf242f9805a6b8d2a15fc',),
        't10k-images-idx3-ubyte.gz': ('c3a25af1f52dad7f726cce8cacb138654b760d48',),
        't10k-labels-idx1-ubyte.gz': ('763e7fa3757d93b0cdec073cef058b2004252c17',),
    }

    def __init__(self, root=None, train=True, transform=None):
        self._train = train
        super().__init__(root, transform)

    def _get_data(self):
        prefix = 'train' if self._train else 't10k'
        names = ['%s-images-idx3-ubyte.gz' % prefix, '%s-labels-idx1-ubyte.gz' % prefix]
        image_path, label_path = ensure_files(
            self._title, self._namespace, self._root,
            [(n, self._files[n]) for n in names],
            repo_urls(self._namespace, self._fallback_url))
        labels = _read_idx(label_path, 2049, 1).astype(np.int32)
        images = _read_idx(image_path, 2051, 3)
        if len(images) != len(labels):
            raise MXNetError('%s: %s has %d images but %s has %d labels'
                             % (self._title, image_path, len(images), label_path, len(labels)))
        self._data = new_ndarray(images[..., None], cpu())
        self._label = labels


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28 images of 10 kinds of clothing, a drop-in for MNIST.

    The same four file names and parameters as ``MNIST``; the default folder
    is ``$MXLEARN_DATA/fashion-mnist`` (else ``~/.mxlearn/datasets/fashion-mnist``).
    Both the authors' files and MXNet's recompressed copies are accepted.
    """

    _namespace = 'fashion-mnist'
    _title = 'FashionMNIST'
    _fallback_url = ('https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/'
                     'master/data/fashion/')
    _files = {
        'train-images-idx3-ubyte.gz': ('0cf37b0d40ed5169c6b3aba31069a9770ac9043d',
                                       '95978b76b6897f6ca69a25145d01716efb615989'),
        'train-labels-idx1-ubyte.gz': ('236021d52f1e40852b06a4c3008d8de8aef1e40b',
                                       '09814cfef5a041118ceace42f8dae995319d331a'),
        't10k-images-idx3-ubyte.gz': ('626ed6a7c06dd17c0eec72fa3be1740f146a2863',
                                      '5edda96c6d8c36ff915115a0e8136d370a021576'),
        't10k-labels-idx1-ubyte.gz': ('17f9ab60e7257a1620f4ad76bbbaf857c3920701',
                                      '9caad14e1aff9adac77d3744963212d36af15bee'),
    }


class CIFAR10(_DownloadedDataset):
    """CIFAR-10: 50,000 training and 10,000 test colour images of 32x32 in 10 classes.

    Reads the binary version's files (``data_batch_1.bin`` ...
    ``data_batch_5.bin``, ``test_batch.bin``) from ``root`` or its
    ``cifar-10-batches-bin/`` subfolder (the layout of the original archive),
    downloading and extracting ``cifar-10-binary.tar.gz`` when they are missing.

    Parameters
    ----------
    root : str, optional
        Default ``$MXLEARN_DATA/cifar10``, else ``~/.mxlearn/datasets/cifar10``.
    train : bool, default True
    transform : callable, optional
        ``transform(image, label)``.
    """

    _namespace = 'cifar10'
    _title = 'CIFAR10'
    _archive = ('cifar-10-binary.tar.gz', 'fab780a1e191a7eda0f345501ccd62d20f7ed891')
    _subfolder = 'cifar-10-batches-bin'
    _train_files = [('data_batch_1.bin', 'aadd24acce27caa71bf4b10992e9e7b2d74c2540'),
                    ('data_batch_2.bin', 'c0ba65cce70568cd57b4e03e9ac8d2a5367c1795'),
                    ('data_batch_3.bin', '1dd00a74ab1d17a6e7d73e185b69dbf31242f295'),
                    ('data_batch_4.bin', 'aab85764eb3584312d3c7f65fd2fd016e36a258e'),
                    ('data_batch_5.bin', '26e2849e66a845b7f1e4614ae70f4889ae604628')]
    _test_files = [('test_batch.bin', '67eb016db431130d61cd03c7ad570b013799c88c')]
    _label_bytes = 1

    def __init__(self, root=None, train=True, transform=None):
        self._train = train
        super().__init__(root, transform)

    def _label_column(self):
        return 0

    def _find(self, name, sha1):
        for folder in (self._root, os.path.join(self._root, self._subfolder)):
            path = os.path.join(folder, name)
            if _verified(path, (sha1,)):
                return path
        return None

    def _get_data(self):
        files = self._train_files if self._train else self._test_files
        if any(self._find(name, sha1) is None for name, sha1 in files):
            archive, = ensure_files(self._title, self._namespace, self._root,
                                    [(self._archive[0], (self._archive[1],))],
                                    repo_urls(self._namespace))
            import tarfile
            with tarfile.open(archive) as tar:
                if hasattr(tarfile, 'data_filter'):
                    tar.extractall(self._root, filter='data')
                else:
                    tar.extractall(self._root)
        record = self._label_bytes + 3 * 32 * 32
        images, labels = [], []
        for name, sha1 in files:
            path = self._find(name, sha1)
            if path is None:
                raise MXNetError('%s: %s with SHA-1 %s is not in %s or its %s/ subfolder, '
                                 'not even after extracting %s'
                                 % (self._title, name, sha1, self._root, self._subfolder,
                                    self._archive[0]))
            raw = np.fromfile(path, dtype=np.uint8)
            if raw.size % record:
                raise MXNetError('%s: %s has %d bytes, not a whole number of %d-byte records'
                                 % (self._title, path, raw.size, record))
            raw = raw.reshape(-1, record)
            images.append(raw[:, self._label_bytes:].reshape(-1, 3, 32, 32)
                          .transpose(0, 2, 3, 1))
            labels.append(raw[:, self._label_column()].astype(np.int32))
        self._data = new_ndarray(np.ascontiguousarray(np.concatenate(images)), cpu())
        self._label = np.concatenate(labels)


class CIFAR100(CIFAR10):
    """CIFAR-100: like CIFAR-10 with 100 fine classes grouped in 20 coarse ones.

    Parameters
    ----------
    root : str, optional
        Holds ``train.bin`` and ``test.bin`` (or ``cifar-100-binary/`` does).
    fine_label : bool, default False
        Label with the 100 fine classes instead of the 20 coarse ones.
    train : bool, default True
    transform : callable, optional
    """

    _namespace = 'cifar100'
    _title = 'CIFAR100'
    _archive = ('cifar-100-binary.tar.gz', 'a0bb982c76b83111308126cc779a992fa506b90b')
    _subfolder = 'cifar-100-binary'
    _train_files = [('train.bin', 'e207cd2e05b73b1393c74c7f5e7bea451d63e08e')]
    _test_files = [('test.bin', '8fb6623e830365ff53cf14adec797474f5478006')]
    _label_bytes = 2

    def __init__(self, root=None, fine_label=False, train=True, transform=None):
        self._fine_label = fine_label
        super().__init__(root, train, transform)

    def _label_column(self):
        return int(bool(self._fine_label))


class ImageFolderDataset(Dataset):
    """Images in one sub-folder per class: ``root/<class name>/<image>``.

    Classes are numbered in the sorted order of the folder names; images with
    the extensions .jpg, .jpeg and .png are read with ``mx.image.imread``
    (which needs Pillow) when a sample is requested.

    Parameters
    ----------
    root : str
    flag : {0, 1}, default 1
        0 reads images as grayscale (1 channel), 1 as colour (3 channels).
    transform : callable, optional
        ``transform(image, label)``.

    Attributes
    ----------
    synsets : list of str
        The class names; ``synsets[i]`` is the name of label ``i``.
    items : list of (str, int)
        Every image's path and label.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> root = tempfile.mkdtemp()
    >>> for cls in ('cat', 'dog'):
    ...     os.mkdir(os.path.join(root, cls))
    ...     Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(os.path.join(root, cls, 'a.png'))
    >>> ds = ImageFolderDataset(root)
    >>> ds.synsets, len(ds), ds[1][0].shape, ds[1][1]
    (['cat', 'dog'], 2, (2, 2, 3), 1)
    """

    _exts = ('.jpg', '.jpeg', '.png')

    def __init__(self, root, flag=1, transform=None):
        self._root = os.path.expanduser(root)
        self._flag = flag
        self._transform = transform
        self.synsets = []
        self.items = []
        for folder in sorted(os.listdir(self._root)):
            path = os.path.join(self._root, folder)
            if not os.path.isdir(path):
                warnings.warn('Ignoring %s, which is not a directory.' % path, stacklevel=2)
                continue
            label = len(self.synsets)
            self.synsets.append(folder)
            for filename in sorted(os.listdir(path)):
                filename = os.path.join(path, filename)
                ext = os.path.splitext(filename)[1]
                if ext.lower() not in self._exts:
                    warnings.warn('Ignoring %s of type %s. Only support %s'
                                  % (filename, ext, ', '.join(self._exts)))
                    continue
                self.items.append((filename, label))

    def __getitem__(self, idx):
        from .... import image
        img = image.imread(self.items[idx][0], self._flag)
        label = self.items[idx][1]
        if self._transform is not None:
            return self._transform(img, label)
        return img, label

    def __len__(self):
        return len(self.items)
