"""``mx.gluon.utils``: data parallelism helpers, gradient clipping, downloads.

- ``split_data`` / ``split_and_load`` cut a batch into one slice per device
  (``mx.cpu(0)`` and ``mx.cpu(1)`` are distinct devices, so this runs on a
  laptop);
- ``clip_global_norm`` rescales gradients in place so that their joint 2-norm
  is at most a bound;
- ``download`` fetches a file with urllib: into a temporary file beside the
  target, checked against a SHA-1 when one is given, then renamed into place,
  so a failed or corrupted download never leaves a file behind.

Examples
--------
>>> import mxlearn as mx
>>> from mxlearn.gluon.utils import split_and_load
>>> parts = split_and_load(mx.nd.arange(6).reshape((3, 2)), [mx.cpu(0), mx.cpu(1)],
...                        even_split=False)
>>> [(p.shape, p.context) for p in parts]
[((2, 2), cpu(0)), ((1, 2), cpu(1))]
"""
import hashlib
import os
import tempfile
import time
import warnings

import numpy as np

from .._ext.core import NDArrayBase
from ..base import MXNetError
from .. import ndarray as nd

__all__ = ['split_data', 'split_and_load', 'clip_global_norm', 'check_sha1', 'download',
           'replace_file']

_DEFAULT_REPO = 'https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/'


def split_data(data, num_slice, batch_axis=0, even_split=True):
    """Split ``data`` into ``num_slice`` slices along ``batch_axis``.

    Parameters
    ----------
    data : NDArray
        A batch.
    num_slice : int
        Number of slices (devices).
    batch_axis : int, default 0
        The axis to split.
    even_split : bool, default True
        Require every slice to have the same size; otherwise the first
        ``size % num_slice`` slices get one element more.

    Returns
    -------
    list of NDArray
        A list even when ``num_slice`` is 1. Slices along axis 0 are views,
        as in MXNet.

    Raises
    ------
    ValueError
        If ``even_split`` and ``num_slice`` does not divide the axis.

    Examples
    --------
    >>> import mxlearn as mx
    >>> [s.shape for s in split_data(mx.nd.zeros((2, 5)), 2, batch_axis=1, even_split=False)]
    [(2, 3), (2, 2)]
    """
    size = data.shape[batch_axis]
    if even_split and size % num_slice != 0:
        raise ValueError(
            'data with shape %s cannot be evenly split into %d slices along axis %d. '
            "Use a batch size that's multiple of %d or set even_split=False to allow "
            'uneven partitioning of data.' % (data.shape, num_slice, batch_axis, num_slice))
    step, extra = divmod(size, num_slice)
    bounds = np.cumsum([0] + [step + 1] * extra + [step] * (num_slice - extra)).tolist()
    if batch_axis == 0:
        return [data[bounds[i]:bounds[i + 1]] for i in range(num_slice)]
    return [nd.slice_axis(data, axis=batch_axis, begin=bounds[i], end=bounds[i + 1])
            for i in range(num_slice)]


def split_and_load(data, ctx_list, batch_axis=0, even_split=True):
    """Split ``data`` into one slice per context and copy each slice there.

    Parameters
    ----------
    data : NDArray or array_like
        A batch (other arrays are converted with ``nd.array`` on the first
        context).
    ctx_list : list of Context
    batch_axis : int, default 0
    even_split : bool, default True
        As in ``split_data``.

    Returns
    -------
    list of NDArray
        Slice ``i`` lives on ``ctx_list[i]``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> [p.context for p in split_and_load([[1, 2], [3, 4]], [mx.cpu(0), mx.cpu(1)])]
    [cpu(0), cpu(1)]
    """
    if not isinstance(data, NDArrayBase):
        data = nd.array(data, ctx=ctx_list[0])
    if len(ctx_list) == 1:
        return [data.as_in_context(ctx_list[0])]
    slices = split_data(data, len(ctx_list), batch_axis, even_split)
    return [s.as_in_context(ctx) for s, ctx in zip(slices, ctx_list)]


def clip_global_norm(arrays, max_norm, check_isfinite=True):
    """Scale ``arrays`` in place so that their joint 2-norm is at most ``max_norm``.

    The joint norm is ``sqrt(sum of squares of every element of every
    array)``; when it exceeds ``max_norm`` every array is multiplied by
    ``max_norm / (norm + 1e-8)``, which keeps the direction of the whole
    gradient.

    Parameters
    ----------
    arrays : list of NDArray
        Usually the gradients of a model's parameters (on any contexts).
    max_norm : float
    check_isfinite : bool, default True
        Check that the norm is finite (warn if not) and return it as a float.

    Returns
    -------
    float or NDArray
        The norm before clipping: a float when ``check_isfinite``, else an
        NDArray of shape (1,) on the first array's context.

    Examples
    --------
    >>> import mxlearn as mx
    >>> g = [mx.nd.array([3.0, 0.0]), mx.nd.array([4.0])]
    >>> round(float(clip_global_norm(g, 1.0)), 4)
    5.0
    >>> [[round(float(v), 4) for v in a.asnumpy()] for a in g]
    [[0.6, 0.0], [0.8]]
    """
    if not arrays:
        raise MXNetError('clip_global_norm: expected a non-empty list of NDArrays')
    ctx = arrays[0].context
    total = None
    for arr in arrays:
        flat = arr.reshape((-1,))
        square = nd.dot(flat, flat).as_in_context(ctx)
        total = square if total is None else total + square
    total_norm = nd.sqrt(total)
    if check_isfinite and not np.isfinite(total_norm.asscalar()):
        warnings.warn(UserWarning('nan or inf is detected. Clipping results will be '
                                  'undefined.'), stacklevel=2)
    scale = nd.minimum(max_norm / (total_norm + 1e-8), 1.0)
    for arr in arrays:
        arr *= scale.as_in_context(arr.context)
    if check_isfinite:
        return total_norm.asscalar()
    return total_norm


def check_sha1(filename, sha1_hash):
    """Whether the SHA-1 of the file's content is ``sha1_hash`` (hex digits).

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'hello.txt')
    >>> with open(path, 'wb') as f:
    ...     _ = f.write(b'hello')
    >>> check_sha1(path, 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d')
    True
    """
    return _sha1(filename) == sha1_hash


def _sha1(filename):
    digest = hashlib.sha1()
    with open(filename, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def replace_file(src, dst):
    """Move ``src`` to ``dst`` atomically (replacing it); ``src`` is removed on failure.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> open(os.path.join(d, 'a'), 'w').close()
    >>> replace_file(os.path.join(d, 'a'), os.path.join(d, 'b'))
    >>> os.listdir(d)
    ['b']
    """
    try:
        os.replace(src, dst)
    except OSError as e:
        try:
            os.remove(src)
        except OSError:
            pass
        raise OSError('Moving downloaded temp file %s to %s failed (%s). Please retry '
                      'the download.' % (src, dst, e)) from None


def download(url, path=None, overwrite=False, sha1_hash=None, retries=5, verify_ssl=True):
    """Download ``url`` to a file and return the file's path.

    Parameters
    ----------
    url : str
    path : str, optional
        The file, or a folder to put it in under the URL's last component
        (the default is that name in the current folder).
    overwrite : bool, default False
        Download even if the file exists.
    sha1_hash : str, optional
        The expected SHA-1 (hex). An existing file with another hash is
        downloaded again; a download with another hash is rejected.
    retries : int, default 5
        Further attempts after a failed one (network error, HTTP error or
        wrong hash).
    verify_ssl : bool, default True
        Check the server's certificate (a warning is given when not).

    Returns
    -------
    str
        The path of the file.

    Raises
    ------
    MXNetError
        When every attempt failed; the message gives the last reason. No
        partial or corrupted file is left behind.

    Examples
    --------
    >>> import os, pathlib, tempfile
    >>> src = pathlib.Path(tempfile.mkdtemp(), 'data.txt')
    >>> _ = src.write_bytes(b'hello')
    >>> out = download(src.as_uri(), path=tempfile.mkdtemp(),
    ...                sha1_hash='aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d')  # doctest: +ELLIPSIS
    Downloading ...data.txt from file:///...data.txt...
    >>> os.path.basename(out)
    'data.txt'
    """
    if path is None:
        fname = url.split('/')[-1]
        if not fname:
            raise MXNetError("download: can't construct a file name from the URL %r; "
                             'set the path option' % (url,))
    else:
        path = os.path.expanduser(path)
        fname = os.path.join(path, url.split('/')[-1]) if os.path.isdir(path) else path
    if retries < 0:
        raise MXNetError("Number of retries should be at least 0, currently it's %d"
                         % retries)
    if not verify_ssl:
        warnings.warn('Unverified HTTPS request is being made (verify_ssl=False). '
                      'Adding certificate verification is strongly advised.')
    if overwrite or not os.path.exists(fname) or \
            (sha1_hash and not check_sha1(fname, sha1_hash)):
        _fetch(url, fname, (sha1_hash,) if sha1_hash else (), retries, verify_ssl)
    return fname


def _fetch(url, fname, sha1_hashes=(), retries=5, verify_ssl=True):
    """Download ``url`` to ``fname`` through a temporary file in the same folder.

    The download is accepted when its SHA-1 is one of ``sha1_hashes`` (any
    hash if empty); then it is renamed to ``fname``. Raises MXNetError after
    ``retries + 1`` failed attempts.
    """
    folder = os.path.dirname(os.path.abspath(fname))
    os.makedirs(folder, exist_ok=True)
    last = None
    for attempt in range(retries + 1):
        if attempt:
            print('download failed due to %s, retrying, %d attempt%s left'
                  % (last, retries + 1 - attempt, 's' if retries - attempt else ''))
            time.sleep(min(0.1 * attempt, 1.0))
        print('Downloading %s from %s...' % (fname, url))
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=os.path.basename(fname) + '.',
                                   suffix='.part')
        try:
            with os.fdopen(fd, 'wb') as out:
                _copy_url(url, out, verify_ssl)
            got = _sha1(tmp)
            if sha1_hashes and got not in sha1_hashes:
                raise MXNetError('the downloaded file has SHA-1 %s, expected %s: the '
                                 'download is corrupted or incomplete, or the file on the '
                                 'server changed' % (got, ' or '.join(sha1_hashes)))
            replace_file(tmp, fname)
            return fname
        except Exception as e:
            last = '%s: %s' % (type(e).__name__, e)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    raise MXNetError('download: could not download %s to %s (%d attempt%s); last error: '
                     '%s. Nothing was saved.' % (url, fname, retries + 1,
                                                 's' if retries else '', last))


def _copy_url(url, out, verify_ssl):
    import shutil
    import ssl
    import urllib.request
    context = None
    if url.startswith('https:') and not verify_ssl:
        context = ssl._create_unverified_context()
    with urllib.request.urlopen(url, timeout=60, context=context) as response:
        shutil.copyfileobj(response, out, 1 << 20)


def _get_repo_url():
    """The base URL of the dataset (and model) repository, ending in '/'.

    ``MXLEARN_DATASET_URL``, else MXNet's ``MXNET_GLUON_REPO``, else MXNet's
    public repository.

    Examples
    --------
    >>> _get_repo_url().endswith('/')
    True
    """
    url = (os.environ.get('MXLEARN_DATASET_URL') or os.environ.get('MXNET_GLUON_REPO')
           or _DEFAULT_REPO)
    return url if url.endswith('/') else url + '/'


def _get_repo_file_url(namespace, filename):
    """The repository URL of ``filename`` in ``namespace`` (e.g. 'gluon/dataset/mnist').

    Examples
    --------
    >>> _get_repo_file_url('gluon/dataset/mnist', 'a.gz').endswith('/gluon/dataset/mnist/a.gz')
    True
    """
    return '%s%s/%s' % (_get_repo_url(), namespace, filename)
