"""Saving and loading NDArrays: ``mx.nd.save``, ``mx.nd.load``, ``mx.nd.load_frombuffer``.

Files are in Apache MXNet's binary NDArray format (see ``params_file``), so
files written here load in MXNet and the other way round. Saving is atomic:
the file is written under a temporary name and moved into place.
"""
import os

import numpy as np

from .._ext import core
from .._ext.core import NDArrayBase
from ..base import MXNetError
from ..context import cpu
from . import params_file

__all__ = ['save', 'load', 'load_frombuffer']


def _host(x):
    data = x._data
    return data if isinstance(data, np.ndarray) else x.asnumpy()


def _describe(x):
    if isinstance(x, NDArrayBase):
        return 'NDArray'
    return type(x).__name__


def save(fname, data):
    """Save an NDArray, a list of NDArrays or a dict of str to NDArray to ``fname``.

    The file uses MXNet's binary format: it loads with ``mx.nd.load`` here and
    in Apache MXNet (Gluon's ``.params`` files are such dicts). Arrays on any
    device are saved; loading puts them on ``cpu(0)``.

    Parameters
    ----------
    fname : str or os.PathLike
        The file to write (replaced whole, or left as it was if saving fails).
    data : NDArray, list of NDArray or dict of str to NDArray
        A single NDArray is saved as a list of one.

    Raises
    ------
    MXNetError
        If ``data`` is of another type, a dict key is not a string, a dtype
        cannot be saved, or the file cannot be written.

    Examples
    --------
    >>> import os, tempfile
    >>> import mxlearn as mx
    >>> from mxlearn.ndarray.utils import save, load
    >>> path = os.path.join(tempfile.mkdtemp(), 'weights.params')
    >>> save(path, {'w': mx.nd.array([[1, 2], [3, 4]]), 'b': mx.nd.array([0.5])})
    >>> loaded = load(path)
    >>> sorted(loaded), loaded['w'].shape
    (['b', 'w'], (2, 2))
    """
    if isinstance(data, NDArrayBase):
        data = [data]
    if isinstance(data, dict):
        names, arrays = [], []
        for k, v in data.items():
            if not isinstance(k, str):
                raise MXNetError('save: dict keys must be strings (the names of the '
                                 'arrays), got key %r of type %s' % (k, type(k).__name__))
            if not isinstance(v, NDArrayBase):
                raise MXNetError('save: dict values must be NDArrays, got %s for key %r'
                                 % (_describe(v), k))
            names.append(k)
            arrays.append(_host(v))
    elif isinstance(data, (list, tuple)):
        names, arrays = None, []
        for i, v in enumerate(data):
            if not isinstance(v, NDArrayBase):
                raise MXNetError('save: list items must be NDArrays, got %s at index %d'
                                 % (_describe(v), i))
            arrays.append(_host(v))
    else:
        raise MXNetError('save: data must be an NDArray, a list of NDArrays or a dict '
                         'of str to NDArray, got %s' % type(data).__name__)
    if not isinstance(fname, (str, bytes, os.PathLike)):
        raise MXNetError('save: fname must be a file name, got %s' % type(fname).__name__)
    params_file.write_params(fname, arrays, names=names, np_shape=False)


def _wrap(arrays, names, source):
    ctx = cpu(0)
    out = []
    for i, a in enumerate(arrays):
        if a.ndim == 0:
            which = repr(names[i]) if names else 'number %d' % i
            raise MXNetError(
                'load: array %s in %s is 0-dimensional (the file was saved with numpy '
                'shape semantics, e.g. by mx.npx.save); mx.nd arrays have at least one '
                'dimension, so it cannot be loaded with mx.nd.load' % (which, source))
        out.append(core.new_ndarray(a, ctx))
    if names:
        return dict(zip(names, out))
    return out


def load(fname):
    """Load the NDArrays saved in an MXNet NDArray file (``mx.nd.save``, ``.params``).

    Parameters
    ----------
    fname : str or os.PathLike

    Returns
    -------
    list of NDArray or dict of str to NDArray
        A dict if the file holds names (it was saved from a dict), else a list;
        every array is on ``cpu(0)``.

    Raises
    ------
    MXNetError
        If the file cannot be read or is not a valid NDArray file; the message
        says where in the file and what was expected.

    Examples
    --------
    >>> import os, tempfile
    >>> import mxlearn as mx
    >>> from mxlearn.ndarray.utils import save, load
    >>> path = os.path.join(tempfile.mkdtemp(), 'list.nd')
    >>> save(path, [mx.nd.array([1, 2, 3]), mx.nd.array([[1]], dtype='int32')])
    >>> [(a.shape, a.dtype.__name__) for a in load(path)]
    [((3,), 'float32'), ((1, 1), 'int32')]
    """
    if not isinstance(fname, (str, bytes, os.PathLike)):
        raise MXNetError('load: fname must be a file name, got %s' % type(fname).__name__)
    arrays, names = params_file.read_params(fname)
    return _wrap(arrays, names, repr(os.fspath(fname)))


def load_frombuffer(buf):
    """Load NDArrays from the bytes of an MXNet NDArray file.

    Parameters
    ----------
    buf : bytes, bytearray or memoryview

    Returns
    -------
    list of NDArray or dict of str to NDArray
        As :func:`load`.

    Examples
    --------
    >>> import os, tempfile
    >>> import mxlearn as mx
    >>> from mxlearn.ndarray.utils import save, load_frombuffer
    >>> path = os.path.join(tempfile.mkdtemp(), 'x.nd')
    >>> save(path, {'x': mx.nd.array([7])})
    >>> with open(path, 'rb') as f:
    ...     print(load_frombuffer(f.read())['x'].asscalar())
    7.0
    """
    if not isinstance(buf, (bytes, bytearray, memoryview)):
        raise MXNetError('load_frombuffer: expected bytes, got %s' % type(buf).__name__)
    arrays, names = params_file.read_params_bytes(buf)
    return _wrap(arrays, names, '<buffer>')
