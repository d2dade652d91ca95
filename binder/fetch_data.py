"""Put MNIST and Fashion-MNIST where the course reads them, checking each file's SHA-256.

Binder's postBuild runs this once, while the image is built (the running notebooks
never download anything). The files go to ``$MXLEARN_DATA/<dataset>/``, or
``~/.mxlearn/datasets/<dataset>/`` when MXLEARN_DATA is unset; files already there
with the right checksum are kept. They come from the public mirrors below, or from
``$MXLEARN_DATA_MIRROR`` (a URL or a local folder laid out as ``<dataset>/<file>``).
The checksums are those of the original files (see the data README of the course).
"""
import hashlib
import os
import pathlib
import shutil
import sys
import tempfile
import urllib.request

MIRRORS = {
    # MXNet's Gluon dataset mirror: byte-identical to LeCun's originals.
    'mnist': 'https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/gluon/dataset/mnist/',
    # The authors' repository (MXNet's mirror holds differently compressed copies).
    'fashion-mnist':
        'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
}

SHA256 = {
    'mnist': {
        'train-images-idx3-ubyte.gz':
            '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609',
        'train-labels-idx1-ubyte.gz':
            '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c',
        't10k-images-idx3-ubyte.gz':
            '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6',
        't10k-labels-idx1-ubyte.gz':
            'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6',
    },
    'fashion-mnist': {
        'train-images-idx3-ubyte.gz':
            '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84',
        'train-labels-idx1-ubyte.gz':
            'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845',
        't10k-images-idx3-ubyte.gz':
            '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073',
        't10k-labels-idx1-ubyte.gz':
            '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5',
    },
}


def sha256(path):
    """The hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def source_of(dataset, name, mirror):
    """Where to get one file: a URL, or a path when ``mirror`` is a local folder."""
    if mirror is None:
        return MIRRORS[dataset] + name
    if '://' in mirror:
        return '%s/%s/%s' % (mirror.rstrip('/'), dataset, name)
    return pathlib.Path(mirror) / dataset / name


def fetch(dest, mirror=None):
    """Make ``dest/<dataset>/<file>`` hold every file, verified; return the files fetched."""
    fetched = []
    for dataset, files in SHA256.items():
        folder = pathlib.Path(dest) / dataset
        folder.mkdir(parents=True, exist_ok=True)
        for name, expected in files.items():
            target = folder / name
            if target.exists() and sha256(target) == expected:
                continue
            src = source_of(dataset, name, mirror)
            # Download beside the target and rename only once verified, so an
            # interrupted or corrupted transfer never leaves a bad file in place.
            fd, tmp = tempfile.mkstemp(dir=folder, suffix='.part')
            os.close(fd)
            try:
                if isinstance(src, pathlib.Path):
                    shutil.copyfile(src, tmp)
                else:
                    with urllib.request.urlopen(src, timeout=60) as r, open(tmp, 'wb') as f:
                        shutil.copyfileobj(r, f)
                got = sha256(tmp)
                if got != expected:
                    raise ValueError('%s has SHA-256 %s, expected %s' % (src, got, expected))
                os.replace(tmp, target)
            finally:
                if os.path.exists(tmp):
                    os.remove(tmp)
            fetched.append(target)
    return fetched


def main():
    dest = os.environ.get('MXLEARN_DATA') or os.path.expanduser('~/.mxlearn/datasets')
    fetched = fetch(dest, os.environ.get('MXLEARN_DATA_MIRROR'))
    print('fetch_data: %d file(s) fetched; MNIST and Fashion-MNIST verified in %s'
          % (len(fetched), dest))


if __name__ == '__main__':
    sys.exit(main())
