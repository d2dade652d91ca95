"""Vision datasets: MNIST/Fashion-MNIST from MXLEARN_DATA, downloads from a local HTTP
server (good, corrupted, flaky, offline), CIFAR binary files, image folders."""
import collections
import gzip
import hashlib
import http.server
import os
import pathlib
import struct
import threading

import numpy as np
import pytest

import mxlearn as mx
from mxlearn import nd
from mxlearn.base import MXNetError
from mxlearn.gluon.data import DataLoader
from mxlearn.gluon.data.batchify import default_batchify_fn
from mxlearn.gluon.data.vision import (CIFAR10, CIFAR100, MNIST, FashionMNIST,
                                       ImageFolderDataset, transforms)
from mxlearn.gluon.utils import download

REPO = pathlib.Path(__file__).resolve().parents[1]
DATA = pathlib.Path(os.environ.get('MXLEARN_DATA') or REPO.parent / 'shared' / 'data')
needs_data = pytest.mark.skipif(not (DATA / 'mnist').is_dir(),
                                reason='MNIST files not found (set MXLEARN_DATA)')

MNIST_TEST_FILES = ('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz')


@pytest.fixture
def data_env(monkeypatch):
    monkeypatch.setenv('MXLEARN_DATA', str(DATA))


def read_idx_reference(path):
    with gzip.open(path) as f:
        raw = f.read()
    magic, = struct.unpack('>I', raw[:4])
    ndim = magic & 0xff
    dims = struct.unpack('>%dI' % ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw[4 + 4 * ndim:], np.uint8).reshape(dims)


# -------------------------------------------------- MNIST from MXLEARN_DATA --

@needs_data
@pytest.mark.parametrize('cls, folder', [(MNIST, 'mnist'), (FashionMNIST, 'fashion-mnist')])
def test_test_sets_from_mxlearn_data(data_env, cls, folder):
    ds = cls(train=False)
    assert len(ds) == 10000
    image, label = ds[7]
    assert isinstance(image, nd.NDArray) and image.shape == (28, 28, 1)
    assert image.dtype == np.uint8 and type(label) is np.int32
    want = read_idx_reference(DATA / folder / 't10k-images-idx3-ubyte.gz')
    np.testing.assert_array_equal(image.asnumpy()[..., 0], want[7])
    labels = read_idx_reference(DATA / folder / 't10k-labels-idx1-ubyte.gz')
    assert label == labels[7]
    if cls is FashionMNIST:
        assert collections.Counter(ds._label.tolist()) == {k: 1000 for k in range(10)}


@needs_data
def test_mnist_train_counts(data_env):
    ds = MNIST(train=True)
    counts = np.bincount(ds._label, minlength=10).tolist()
    assert counts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


@needs_data
def test_mnist_batches(data_env):
    ds = FashionMNIST(train=False)
    loader = DataLoader(ds.transform_first(transforms.ToTensor()), batch_size=128)
    x, y = next(iter(loader))
    assert x.shape == (128, 1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int32
    slow = default_batchify_fn([(transforms.ToTensor()(ds[i][0]), ds[i][1])
                                for i in range(128)])
    np.testing.assert_array_equal(x.asnumpy(), slow[0].asnumpy())
    np.testing.assert_array_equal(y.asnumpy(), slow[1].asnumpy())
    assert float(x.max().asscalar()) <= 1.0
    raw_x, raw_y = next(iter(DataLoader(ds, batch_size=4)))
    assert raw_x.dtype == np.uint8 and raw_x.shape == (4, 28, 28, 1)


def test_root_is_the_folder_of_the_files(tmp_path, monkeypatch):
    # root names the folder holding the files; nothing to download is an error
    # that says which files to put where.
    monkeypatch.setenv('MXLEARN_DATASET_URL', 'http://127.0.0.1:9/')
    with pytest.raises(MXNetError) as info:
        MNIST(root=str(tmp_path), train=False)
    msg = str(info.value)
    for name in MNIST_TEST_FILES:
        assert name in msg
    assert str(tmp_path) in msg and 'is missing' in msg and 'MXLEARN_DATA' in msg
    assert os.listdir(tmp_path) == []


def test_default_folder_uses_mxlearn_data(tmp_path, monkeypatch):
    monkeypatch.setenv('MXLEARN_DATASET_URL', 'http://127.0.0.1:9/')
    monkeypatch.setenv('MXLEARN_DATA', str(tmp_path))
    with pytest.raises(MXNetError, match=str(tmp_path / 'fashion-mnist')):
        FashionMNIST(train=False)


# ------------------------------------------------------ local HTTP server --

class Server:
    """Serves ``files`` (URL path -> bytes); ``failures[path]`` first answers 503."""

    def __init__(self):
        self.files, self.failures, self.requests = {}, collections.Counter(), []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                owner.requests.append(self.path)
                if owner.failures[self.path] > 0:
                    owner.failures[self.path] -= 1
                    self.send_error(503)
                    return
                body = owner.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:%d/' % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(monkeypatch):
    s = Server()
    monkeypatch.setenv('MXLEARN_DATASET_URL', s.url)
    yield s
    s.close()


def serve_mnist_test_set(server, corrupt=None):
    for name in MNIST_TEST_FILES:
        body = (DATA / 'mnist' / name).read_bytes()
        if name == corrupt:
            body = body[:100] + bytes([body[100] ^ 0xff]) + body[101:]
        server.files['/gluon/dataset/mnist/' + name] = body


@needs_data
def test_dataset_download_verifies_and_loads(server, tmp_path, capsys):
    serve_mnist_test_set(server)
    root = tmp_path / 'mnist'
    ds = MNIST(root=str(root), train=False)
    assert len(ds) == 10000 and ds[0][0].shape == (28, 28, 1)
    assert sorted(os.listdir(root)) == sorted(MNIST_TEST_FILES)
    for name in MNIST_TEST_FILES:
        assert (root / name).read_bytes() == (DATA / 'mnist' / name).read_bytes()
    assert 'Downloading' in capsys.readouterr().out
    # Present and verified: nothing is downloaded again.
    before = len(server.requests)
    MNIST(root=str(root), train=False)
    assert len(server.requests) == before


@needs_data
def test_corrupted_download_leaves_nothing(server, tmp_path):
    serve_mnist_test_set(server, corrupt='t10k-labels-idx1-ubyte.gz')
    root = tmp_path / 'mnist'
    with pytest.raises(MXNetError, match='SHA-1') as info:
        MNIST(root=str(root), train=False)
    assert 't10k-labels-idx1-ubyte.gz is missing' in str(info.value)
    # The good file stays; the corrupted one (and any temporary file) does not.
    assert os.listdir(root) == ['t10k-images-idx3-ubyte.gz']


@needs_data
def test_corrupted_local_file_is_replaced(server, tmp_path):
    serve_mnist_test_set(server)
    root = tmp_path / 'mnist'
    root.mkdir()
    (root / 't10k-labels-idx1-ubyte.gz').write_bytes(b'garbage')
    ds = MNIST(root=str(root), train=False)
    assert ds[0][1] == read_idx_reference(DATA / 'mnist' / 't10k-labels-idx1-ubyte.gz')[0]


def test_download_retries_after_server_errors(server, tmp_path):
    body = b'x' * 1000
    server.files['/f.bin'] = body
    sha1 = hashlib.sha1(body).hexdigest()
    server.failures['/f.bin'] = 2
    out = download(server.url + 'f.bin', path=str(tmp_path), sha1_hash=sha1, retries=2)
    assert pathlib.Path(out).read_bytes() == body
    assert server.requests.count('/f.bin') == 3
    server.failures['/f.bin'] = 2
    with pytest.raises(MXNetError, match='2 attempts.*503'):
        download(server.url + 'f.bin', path=str(tmp_path / 'g.bin'), retries=1)
    assert sorted(os.listdir(tmp_path)) == ['f.bin']


def test_download_rejects_wrong_hash(server, tmp_path):
    server.files['/f.bin'] = b'payload'
    with pytest.raises(MXNetError, match='SHA-1.*Nothing was saved'):
        download(server.url + 'f.bin', path=str(tmp_path), sha1_hash='0' * 40, retries=0)
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------------ CIFAR --

def write_cifar(folder, names, records, label_bytes, seed=0):
    rng = np.random.RandomState(seed)
    table = []
    for name in names:
        raw = rng.randint(0, 256, (records, label_bytes + 3072)).astype(np.uint8)
        raw[:, :label_bytes] %= 10
        (folder / name).write_bytes(raw.tobytes())
        table.append((name, hashlib.sha1(raw.tobytes()).hexdigest()))
    return table


def test_cifar10_reads_binary_batches(tmp_path, monkeypatch):
    sub = tmp_path / 'cifar-10-batches-bin'
    sub.mkdir()
    names = ['data_batch_%d.bin' % i for i in range(1, 6)]
    monkeypatch.setattr(CIFAR10, '_train_files', write_cifar(sub, names, 3, 1))
    monkeypatch.setattr(CIFAR10, '_test_files', write_cifar(tmp_path, ['test_batch.bin'], 4, 1))
    train = CIFAR10(root=str(tmp_path))
    test = CIFAR10(root=str(tmp_path), train=False)
    assert len(train) == 15 and len(test) == 4
    raw = np.fromfile(sub / 'data_batch_2.bin', np.uint8).reshape(3, 3073)
    image, label = train[4]
    assert image.shape == (32, 32, 3) and image.dtype == np.uint8
    assert type(label) is np.int32 and label == raw[1, 0]
    # Stored channel-major (R plane, G plane, B plane); samples are (H, W, C).
    np.testing.assert_array_equal(image.asnumpy()[:, :, 1], raw[1, 1 + 1024:1 + 2048]
                                  .reshape(32, 32))


def test_cifar100_fine_and_coarse_labels(tmp_path, monkeypatch):
    monkeypatch.setattr(CIFAR100, '_test_files', write_cifar(tmp_path, ['test.bin'], 5, 2))
    raw = np.fromfile(tmp_path / 'test.bin', np.uint8).reshape(5, 3074)
    coarse = CIFAR100(root=str(tmp_path), train=False)
    fine = CIFAR100(root=str(tmp_path), train=False, fine_label=True)
    assert [int(coarse[i][1]) for i in range(5)] == raw[:, 0].tolist()
    assert [int(fine[i][1]) for i in range(5)] == raw[:, 1].tolist()


def test_image_folder_dataset(tmp_path):
    image_mod = pytest.importorskip('PIL.Image')
    for cls, value in (('cat', 10), ('dog', 200)):
        (tmp_path / cls).mkdir()
        image_mod.fromarray(np.full((3, 4, 3), value, np.uint8)).save(tmp_path / cls / 'a.png')
    (tmp_path / 'dog' / 'notes.txt').write_text('not an image')
    with pytest.warns(UserWarning, match='Ignoring'):
        ds = ImageFolderDataset(str(tmp_path))
    assert ds.synsets == ['cat', 'dog'] and len(ds) == 2
    img, label = ds[1]
    assert label == 1 and img.shape == (3, 4, 3) and int(img[0, 0, 0].asscalar()) == 200
    with pytest.warns(UserWarning, match='Ignoring'):
        gray = ImageFolderDataset(str(tmp_path), flag=0, transform=lambda x, y: (x, y + 1))
    assert gray[0][0].shape == (3, 4, 1) and gray[0][1] == 1
    assert mx.nd.NDArray is type(gray[0][0])
