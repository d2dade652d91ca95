"""Tests of mx.nd.save / mx.nd.load / mx.nd.load_frombuffer (mxlearn.ndarray.utils).

The fixtures were written by Apache MXNet 1.9.1 (tests/fixtures/make_params_fixture.py).
"""
import json
import pathlib

import numpy as np
import pytest

import mxlearn as mx
from mxlearn._ext import core
from mxlearn.base import MXNetError
from mxlearn.ndarray.utils import load, load_frombuffer, save

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "mxnet_params_expected.json").read_text())["files"]


def _check_same(got, want):
    assert isinstance(got, mx.nd.NDArray)
    assert got.context == mx.cpu(0)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got.asnumpy(), want.asnumpy())


def test_round_trip_list(tmp_path):
    arrays = [mx.nd.array([[1, 2, 3], [4, 5, 6]]),
              mx.nd.array([1.5], dtype='float64'),
              mx.nd.array([0.5, -2], dtype='float16'),
              mx.nd.array([[1, 2]], dtype='int32'),
              mx.nd.array([-1, 7], dtype='int8'),
              mx.nd.array([255], dtype='uint8'),
              mx.nd.array([2 ** 40], dtype='int64'),
              mx.nd.array([True, False], dtype='bool'),
              mx.nd.array(np.zeros((2, 0, 3)))]
    path = tmp_path / 'list.nd'
    save(str(path), arrays)
    loaded = load(str(path))
    assert isinstance(loaded, list) and len(loaded) == len(arrays)
    for got, want in zip(loaded, arrays):
        _check_same(got, want)


def test_round_trip_dict_and_pathlike(tmp_path):
    data = {'net.weight': mx.nd.array(np.random.randn(3, 4)),
            'net.bias': mx.nd.array(np.random.randn(4)),
            'ünïcode': mx.nd.array([1], dtype='int64')}
    path = tmp_path / 'net.params'
    save(path, data)
    loaded = load(path)
    assert isinstance(loaded, dict) and list(loaded) == list(data)
    for k in data:
        _check_same(loaded[k], data[k])


def test_single_ndarray_is_saved_as_a_list(tmp_path):
    path = str(tmp_path / 'one.nd')
    save(path, mx.nd.array([3, 4]))
    loaded = load(path)
    assert isinstance(loaded, list) and len(loaded) == 1
    _check_same(loaded[0], mx.nd.array([3, 4]))


def test_empty_list_and_dict(tmp_path):
    path = str(tmp_path / 'empty.nd')
    save(path, [])
    assert load(path) == []
    save(path, {})
    assert load(path) == []


def test_arrays_from_other_devices_load_on_cpu0(tmp_path):
    path = str(tmp_path / 'dev.nd')
    x = mx.nd.array([1, 2], ctx=mx.cpu(3))
    # a non-contiguous (transposed) buffer is written in C order
    t = core.new_ndarray(np.array([[1, 2], [3, 4]], np.float32).T, mx.cpu(0))
    save(path, {'x': x, 't': t})
    loaded = load(path)
    assert loaded['x'].context == mx.cpu(0)
    np.testing.assert_array_equal(loaded['t'].asnumpy(), [[1, 3], [2, 4]])


def test_loaded_arrays_are_independent_and_writable(tmp_path):
    path = str(tmp_path / 'w.nd')
    x = mx.nd.array([1, 2])
    save(path, [x])
    y = load(path)[0]
    y[0] = 10
    assert x.asnumpy()[0] == 1
    assert (y * 2).asnumpy().tolist() == [20, 4]


def test_load_frombuffer(tmp_path):
    path = tmp_path / 'b.nd'
    save(str(path), {'a': mx.nd.array([1, 2])})
    buf = path.read_bytes()
    for b in (buf, bytearray(buf), memoryview(buf)):
        loaded = load_frombuffer(b)
        _check_same(loaded['a'], mx.nd.array([1, 2]))
    with pytest.raises(MXNetError):
        load_frombuffer('not bytes')
    with pytest.raises(MXNetError, match='magic'):
        load_frombuffer(b'\0' * 40)


@pytest.mark.parametrize('fname', ['mxnet_dict.params', 'mxnet_list.params'])
def test_load_files_written_by_mxnet(fname):
    spec = EXPECTED[fname]
    for loaded in (load(str(FIXTURES / fname)),
                   load_frombuffer((FIXTURES / fname).read_bytes())):
        if spec['kind'] == 'dict':
            assert isinstance(loaded, dict)
            assert list(loaded) == [a['name'] for a in spec['arrays']]
            items = list(loaded.values())
        else:
            assert isinstance(loaded, list)
            items = loaded
        assert len(items) == len(spec['arrays'])
        for got, want in zip(items, spec['arrays']):
            assert got.context == mx.cpu(0)
            assert got.dtype == np.dtype(want['dtype']).type
            assert got.shape == tuple(want['shape'])
            expected = np.array(want['values'], dtype=want['dtype']).reshape(want['shape'])
            np.testing.assert_array_equal(got.asnumpy(), expected)


def test_numpy_semantics_file_with_0d_array_is_refused_clearly():
    with pytest.raises(MXNetError, match="'scalar'.*0-dimensional"):
        load(str(FIXTURES / 'mxnet_np.params'))


def test_save_rejects_wrong_types(tmp_path):
    path = str(tmp_path / 'bad.nd')
    with pytest.raises(MXNetError, match='dict keys must be strings'):
        save(path, {1: mx.nd.array([1])})
    with pytest.raises(MXNetError, match="got ndarray for key 'a'"):
        save(path, {'a': np.ones(2)})
    with pytest.raises(MXNetError, match='got int at index 1'):
        save(path, [mx.nd.array([1]), 2])
    with pytest.raises(MXNetError, match='data must be'):
        save(path, np.ones(2))
    with pytest.raises(MXNetError, match='fname'):
        save(3, [mx.nd.array([1])])
    with pytest.raises(MXNetError, match='uint32'):
        save(path, [mx.nd.array([1], dtype='uint32')])
    assert not (tmp_path / 'bad.nd').exists()


def test_load_errors(tmp_path):
    with pytest.raises(MXNetError, match='cannot read'):
        load(str(tmp_path / 'missing.nd'))
    with pytest.raises(MXNetError, match='fname'):
        load(None)
    path = tmp_path / 'trunc.nd'
    save(str(path), [mx.nd.array([1, 2, 3])])
    path.write_bytes(path.read_bytes()[:-12])
    with pytest.raises(MXNetError, match='trunc'):
        load(str(path))


def test_failed_save_keeps_the_old_file(tmp_path):
    path = str(tmp_path / 'keep.nd')
    save(path, [mx.nd.array([1, 2])])
    with pytest.raises(MXNetError):
        save(path, [mx.nd.array([1], dtype='uint32')])
    _check_same(load(path)[0], mx.nd.array([1, 2]))
