"""gluon.utils: split_data, split_and_load, clip_global_norm, check_sha1, download."""
import hashlib
import os
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mxlearn as mx
from mxlearn import nd
from mxlearn.base import MXNetError
from mxlearn.gluon import utils
from mxlearn.gluon.utils import (check_sha1, clip_global_norm, download, split_and_load,
                                 split_data)

SETTINGS = settings(max_examples=25, deadline=None)


@SETTINGS
@given(size=st.integers(0, 12), num_slice=st.integers(1, 5), axis=st.integers(0, 1))
def test_split_data_uneven(size, num_slice, axis):
    shape = (size, 3) if axis == 0 else (2, size)
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    parts = split_data(nd.array(x), num_slice, batch_axis=axis, even_split=False)
    assert len(parts) == num_slice
    sizes = [p.shape[axis] for p in parts]
    assert sizes == sorted(sizes, reverse=True) and max(sizes) - min(sizes) <= 1
    np.testing.assert_array_equal(np.concatenate([p.asnumpy() for p in parts], axis=axis), x)


def test_split_data_even_error():
    with pytest.raises(ValueError, match='cannot be evenly split into 4 slices'):
        split_data(nd.zeros((6, 2)), 4)
    assert [p.shape for p in split_data(nd.zeros((6, 2)), 3)] == [(2, 2)] * 3


def test_split_and_load_places_slices():
    x = np.arange(12).reshape(6, 2)
    ctxs = [mx.cpu(0), mx.cpu(1), mx.cpu(2)]
    parts = split_and_load(x, ctxs)
    assert [p.context for p in parts] == ctxs
    np.testing.assert_array_equal(np.concatenate([p.asnumpy() for p in parts]), x)
    single = split_and_load(nd.array(x), [mx.cpu(1)])
    assert len(single) == 1 and single[0].context == mx.cpu(1) and single[0].shape == (6, 2)
    cols = split_and_load(nd.array(x), ctxs[:2], batch_axis=1)
    assert [p.shape for p in cols] == [(6, 1), (6, 1)]


def test_clip_global_norm_matches_formula():
    rng = np.random.RandomState(0)
    arrays = [rng.randn(3, 4).astype(np.float32), rng.randn(5).astype(np.float32)]
    norm = np.sqrt(sum((a.astype(np.float64) ** 2).sum() for a in arrays))
    nds = [nd.array(arrays[0]), nd.array(arrays[1], ctx=mx.cpu(1))]
    total = clip_global_norm(nds, 1.0)
    assert isinstance(total, np.float32) and total == pytest.approx(norm, rel=1e-5)
    for got, a in zip(nds, arrays):
        np.testing.assert_allclose(got.asnumpy(), a / (norm + 1e-8), rtol=1e-5)
    assert nds[1].context == mx.cpu(1)
    # Below the bound nothing changes; without the check the norm is an NDArray.
    small = [nd.array([0.3, 0.4])]
    out = clip_global_norm(small, 1.0, check_isfinite=False)
    assert isinstance(out, nd.NDArray) and out.shape == (1,)
    np.testing.assert_allclose(small[0].asnumpy(), [0.3, 0.4], rtol=1e-6)


def test_clip_global_norm_warns_on_nan():
    with pytest.warns(UserWarning, match='nan or inf is detected'):
        clip_global_norm([nd.array([np.nan, 1.0])], 1.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        clip_global_norm([nd.array([np.inf])], 1.0, check_isfinite=False)
    assert not [w for w in caught if 'nan or inf' in str(w.message)]
    with pytest.raises(MXNetError, match='non-empty'):
        clip_global_norm([], 1.0)


def test_check_sha1(tmp_path):
    path = tmp_path / 'f'
    path.write_bytes(b'abc' * 1000)
    digest = hashlib.sha1(b'abc' * 1000).hexdigest()
    assert check_sha1(str(path), digest)
    assert not check_sha1(str(path), '0' * 40)


def test_download_file_url(tmp_path, capsys):
    src = tmp_path / 'src' / 'data.bin'
    src.parent.mkdir()
    src.write_bytes(b'content')
    digest = hashlib.sha1(b'content').hexdigest()
    out_dir = tmp_path / 'out'
    out_dir.mkdir()
    got = download(src.as_uri(), path=str(out_dir), sha1_hash=digest)
    assert got == str(out_dir / 'data.bin') and (out_dir / 'data.bin').read_bytes() == b'content'
    assert 'Downloading' in capsys.readouterr().out
    # An existing file with the right hash is kept; a wrong one is fetched again.
    download(src.as_uri(), path=str(out_dir), sha1_hash=digest)
    assert capsys.readouterr().out == ''
    (out_dir / 'data.bin').write_bytes(b'stale')
    download(src.as_uri(), path=str(out_dir), sha1_hash=digest)
    assert (out_dir / 'data.bin').read_bytes() == b'content'
    # overwrite=True fetches even a good file; path may name the file itself.
    target = tmp_path / 'named.bin'
    download(src.as_uri(), path=str(target))
    src.write_bytes(b'new')
    download(src.as_uri(), path=str(target), overwrite=True)
    assert target.read_bytes() == b'new'
    assert sorted(os.listdir(out_dir)) == ['data.bin']


def test_download_failures_leave_nothing(tmp_path):
    missing = (tmp_path / 'nope.bin').as_uri()
    out = tmp_path / 'out'
    with pytest.raises(MXNetError, match=r'3 attempts.*Nothing was saved'):
        download(missing, path=str(out / 'x.bin'), retries=2)
    assert os.listdir(out) == []
    with pytest.raises(MXNetError, match='retries'):
        download(missing, path=str(out), retries=-1)
    with pytest.raises(MXNetError, match='file name'):
        download('http://127.0.0.1/dir/')


def test_repo_url_from_environment(monkeypatch):
    monkeypatch.delenv('MXLEARN_DATASET_URL', raising=False)
    monkeypatch.setenv('MXNET_GLUON_REPO', 'http://mirror.example/repo')
    assert utils._get_repo_file_url('gluon/dataset/mnist', 'a.gz') == \
        'http://mirror.example/repo/gluon/dataset/mnist/a.gz'
    monkeypatch.setenv('MXLEARN_DATASET_URL', 'http://127.0.0.1:8000/')
    assert utils._get_repo_url() == 'http://127.0.0.1:8000/'
