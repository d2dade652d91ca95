"""Where dataset files live, how they are checked, and how missing ones are fetched.

The folder of a dataset ``name`` (e.g. 'mnist', 'fashion-mnist') is

1. the ``root`` argument, when given: the folder holding the files themselves
   (as in MXNet, whose default is ``~/.mxnet/datasets/mnist``);
2. else ``$MXLEARN_DATA/<name>``, so one variable serves every dataset
   (``MXLEARN_DATA=/path/to/shared/data`` holds ``mnist/`` and ``fashion-mnist/``);
3. else ``~/.mxlearn/datasets/<name>``.

A file is accepted when its SHA-1 is one of the known ones for it (MXNet's
mirror, and for Fashion-MNIST also the authors' originals, whose gzip headers
differ). A missing or wrong file is downloaded from the repository
(``MXLEARN_DATASET_URL``, or MXNet's ``MXNET_GLUON_REPO``, else MXNet's
public mirror; then the authors' site when one is known and no URL was set),
through a temporary file that is renamed into place only once verified.
Offline, the error says which files to put in which folder.

Examples
--------
>>> import os
>>> from unittest import mock
>>> dataset_folder('/data/mine', 'mnist')
'/data/mine'
>>> with mock.patch.dict(os.environ, {'MXLEARN_DATA': '/srv/data'}):
...     dataset_folder(None, 'mnist')
'/srv/data/mnist'
"""
import os

from ....base import MXNetError
from ...utils import _fetch, _get_repo_file_url, _sha1

__all__ = ['dataset_folder', 'ensure_files', 'repo_urls']

# (path, size, mtime) of files whose checksum was verified in this process,
# so that building a dataset twice does not hash its files twice.
_VERIFIED = set()


def dataset_folder(root, name):
    """The folder of dataset ``name``: ``root``, else ``$MXLEARN_DATA/name``, else
    ``~/.mxlearn/datasets/name``."""
    if root is not None:
        return os.path.expanduser(os.fspath(root))
    base = os.environ.get('MXLEARN_DATA')
    if base:
        return os.path.join(os.path.expanduser(base), name)
    return os.path.join(os.path.expanduser('~'), '.mxlearn', 'datasets', name)


def _verified(path, sha1s):
    try:
        st = os.stat(path)
    except OSError:
        return False
    key = (os.path.abspath(path), st.st_size, st.st_mtime_ns)
    if key in _VERIFIED:
        return True
    if _sha1(path) in sha1s:
        _VERIFIED.add(key)
        return True
    return False


def ensure_files(title, name, folder, files, urls, retries=2):
    """Make sure every file of ``files`` is in ``folder`` with a known checksum.

    Parameters
    ----------
    title : str
        The dataset's name for messages, e.g. 'MNIST'.
    name : str
        Its folder name under MXLEARN_DATA, e.g. 'mnist'.
    folder : str
    files : list of (filename, tuple of accepted SHA-1 hex digests)
    urls : callable
        ``urls(filename)`` gives the URLs to try, in order.
    retries : int
        Retries per URL.

    Returns
    -------
    list of str
        The paths of the files.

    Raises
    ------
    MXNetError
        If a file is missing or wrong and could not be downloaded: the
        message lists the files, the folder, and the reasons.
    """
    paths, problems = [], []
    for filename, sha1s in files:
        path = os.path.join(folder, filename)
        paths.append(path)
        if _verified(path, sha1s):
            continue
        state = 'is corrupted (unknown checksum)' if os.path.exists(path) else 'is missing'
        errors = []
        for url in urls(filename):
            try:
                _fetch(url, path, tuple(sha1s), retries=retries)
                break
            except MXNetError as e:
                errors.append(str(e))
            except OSError as e:
                errors.append('%s: %s' % (type(e).__name__, e))
        else:
            problems.append((filename, state, errors))
            continue
        _verified(path, sha1s)
    if problems:
        lines = ['  %s %s; %s' % (filename, state, ' | '.join(errors) or 'no URL to try')
                 for filename, state, errors in problems]
        raise MXNetError(
            '%s: the dataset files could not be found or downloaded.\n%s\n'
            'Put the original files %s in the folder %s (or set MXLEARN_DATA to a folder '
            'holding %s/, or pass root= the folder that holds the files; set '
            'MXLEARN_DATASET_URL to download from another mirror).'
            % (title, '\n'.join(lines), ', '.join(f for f, _ in files), folder, name))
    return paths


def repo_urls(namespace, fallback=None):
    """A ``urls`` function for ``ensure_files``: the repository's
    ``gluon/dataset/<namespace>/<file>``, then ``fallback + file`` unless the
    repository URL was set in the environment.

    Examples
    --------
    >>> repo_urls('mnist')('a.gz')[0].endswith('gluon/dataset/mnist/a.gz')
    True
    """
    def urls(filename):
        out = [_get_repo_file_url('gluon/dataset/' + namespace, filename)]
        overridden = os.environ.get('MXLEARN_DATASET_URL') or os.environ.get('MXNET_GLUON_REPO')
        if fallback and not overridden:
            out.append(fallback + filename)
        return out
    return urls
