"""mx.io: DataDesc, DataBatch, DataIter, NDArrayIter, CSVIter, MNISTIter, ResizeIter,
PrefetchingIter."""
import gzip
import os
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mxlearn as mx
import mxlearn.io as mio
from mxlearn.base import MXNetError


def _epoch(it):
    """Every batch of one epoch as (data rows, label rows, pad), then reset."""
    out = [(b.data[0].asnumpy()[:, 0].astype(int).tolist(),
            b.label[0].asnumpy().astype(int).tolist(), b.pad) for b in it]
    it.reset()
    return out


def _column(n):
    return np.arange(n, dtype=np.float32).reshape(n, 1)


# ------------------------------------------------------------- DataDesc/Batch --
def test_datadesc_is_a_name_shape_tuple_with_dtype_and_layout():
    d = mio.DataDesc('data', (4, 3), np.int32, 'NC')
    name, shape = d
    assert (name, shape, d.dtype, d.layout) == ('data', (4, 3), np.int32, 'NC')
    assert d == ('data', (4, 3))
    assert repr(d) == "DataDesc[data,(4, 3),<class 'numpy.int32'>,NC]"
    assert mio.DataDesc('x', (1,)).dtype is np.float32
    assert mio.DataDesc.get_batch_axis('TNC') == 1
    assert mio.DataDesc.get_batch_axis('TC') == -1
    descs = mio.DataDesc.get_list([('a', (1,)), ('b', (2,))], [('b', np.int8), ('a', np.uint8)])
    assert [(x.name, x.dtype) for x in descs] == [('a', np.uint8), ('b', np.int8)]
    assert mio.DataDesc.get_list([('a', (1,))], None)[0].dtype is np.float32


def test_databatch_fields_and_str():
    b = mio.DataBatch([mx.nd.zeros((2, 3))], [mx.nd.zeros((2,))], pad=1, index=np.arange(2),
                      bucket_key=5, provide_data=[mio.DataDesc('data', (2, 3))])
    assert (b.pad, b.bucket_key, b.provide_label) == (1, 5, None)
    assert str(b) == 'DataBatch: data shapes: [(2, 3)] label shapes: [(2,)]'
    assert str(mio.DataBatch([mx.nd.zeros((1,))])).endswith('label shapes: None')
    with pytest.raises(TypeError, match='list of arrays'):
        mio.DataBatch(mx.nd.zeros((2,)))


def test_dataiter_default_next_assembles_the_getters():
    class Two(mio.DataIter):
        def __init__(self):
            super().__init__(batch_size=3)
            self.i = 0

        def iter_next(self):
            self.i += 1
            return self.i <= 2

        def getdata(self):
            return [mx.nd.full((3,), self.i)]

    it = Two()
    assert iter(it) is it and it.batch_size == 3
    batches = list(it)
    assert [b.data[0].asnumpy()[0] for b in batches] == [1, 2]
    assert (batches[0].label, batches[0].pad, batches[0].index) == (None, 0, None)
    with pytest.raises(NotImplementedError, match='iter_next'):
        mio.DataIter().next()


# ---------------------------------------------------------------- NDArrayIter --
def test_ndarrayiter_pad_wraps_from_the_start():
    it = mio.NDArrayIter(_column(10), np.arange(10), batch_size=4)
    expected = [([0, 1, 2, 3], [0, 1, 2, 3], 0), ([4, 5, 6, 7], [4, 5, 6, 7], 0),
                ([8, 9, 0, 1], [8, 9, 0, 1], 2)]
    assert _epoch(it) == expected
    assert _epoch(it) == expected


def test_ndarrayiter_discard_drops_the_incomplete_batch():
    it = mio.NDArrayIter(_column(10), np.arange(10), batch_size=4, last_batch_handle='discard')
    assert [b[0] for b in _epoch(it)] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(_epoch(it)) == 2


def test_ndarrayiter_roll_over_carries_the_leftover_into_the_next_epoch():
    it = mio.NDArrayIter(_column(10), np.arange(10), batch_size=3,
                         last_batch_handle='roll_over')
    epochs = [_epoch(it) for _ in range(4)]
    assert [[b[0] for b in e] for e in epochs] == [
        [[0, 1, 2], [3, 4, 5], [6, 7, 8]],
        [[9, 0, 1], [2, 3, 4], [5, 6, 7]],          # 1 carried sample, then 3 batches
        [[8, 9, 0], [1, 2, 3], [4, 5, 6], [7, 8, 9]],  # 2 carried: 12 samples, 4 batches
        [[0, 1, 2], [3, 4, 5], [6, 7, 8]]]
    # The first batch's pad counts the carried samples, as in MXNet.
    assert [e[0][2] for e in epochs] == [0, 1, 2, 0]
    assert all(b[0] == b[1] for e in epochs for b in e)


def test_ndarrayiter_hard_reset_forgets_the_carried_samples():
    it = mio.NDArrayIter(_column(5), batch_size=2, last_batch_handle='roll_over')
    assert len(list(it)) == 2
    it.hard_reset()
    assert next(it).data[0].asnumpy()[:, 0].tolist() == [0, 1]


def _stream_reference(n, b, mode, epochs):
    """The batches (sample ids, pad) that MXNet's rules give, computed from positions."""
    out, carry = [], 0
    for _ in range(epochs):
        if mode == 'pad':
            k = -(-n // b)
            out.append([([(i * b + j) % n for j in range(b)], max(0, (i + 1) * b - n))
                        for i in range(k)])
        elif mode == 'discard':
            out.append([(list(range(i * b, i * b + b)), 0) for i in range(n // b)])
        else:
            stream = list(range(n - carry, n)) + list(range(n))
            k = len(stream) // b
            out.append([(stream[i * b:i * b + b], carry if i == 0 else 0) for i in range(k)])
            carry = len(stream) - k * b
    return out


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 30), b=st.integers(1, 12),
       mode=st.sampled_from(['pad', 'discard', 'roll_over']))
def test_ndarrayiter_batches_follow_mxnet_rules(n, b, mode):
    if mode == 'roll_over':
        b = min(b, n)
    it = mio.NDArrayIter({'x': _column(n), 'y': _column(n) * 2}, np.arange(n) * 10,
                         batch_size=b, last_batch_handle=mode)
    assert it.provide_data[0].shape == (b, 1)
    got = []
    for _ in range(3):
        epoch = []
        for batch in it:
            x, y = (a.asnumpy()[:, 0] for a in batch.data)
            assert batch.data[0].shape[0] == b
            np.testing.assert_array_equal(y, 2 * x)
            np.testing.assert_array_equal(batch.label[0].asnumpy(), 10 * x)
            epoch.append((x.astype(int).tolist(), batch.pad))
        it.reset()
        got.append(epoch)
    assert got == _stream_reference(n, b, mode, 3)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 25), b=st.integers(1, 8),
       mode=st.sampled_from(['pad', 'discard', 'roll_over']), seed=st.integers(0, 2 ** 16))
def test_ndarrayiter_shuffle_is_a_permutation_per_epoch(n, b, mode, seed):
    if mode == 'roll_over':
        b = min(b, n)
    np.random.seed(seed)
    it = mio.NDArrayIter(_column(n), np.arange(n), batch_size=b, shuffle=True,
                         last_batch_handle=mode)
    stream = []
    for _ in range(3):
        epoch = _epoch(it)
        assert all(rows == labels for rows, labels, _ in epoch)
        ids = [i for rows, _, pad in epoch for i in rows]
        if mode == 'pad':
            # Each epoch shows every sample once, then pads with its first samples.
            pad = epoch[-1][2]
            assert sorted(ids[:n]) == list(range(n)) and ids[n:] == ids[:pad]
        elif mode == 'discard':
            assert len(ids) == n // b * b and len(set(ids)) == len(ids)
        stream += ids
    if mode == 'roll_over':
        # The samples form one stream: each run of n is a permutation of them all.
        for start in range(0, len(stream) - n + 1, n):
            assert sorted(stream[start:start + n]) == list(range(n))


def test_ndarrayiter_shuffle_follows_numpy_seed():
    def two_epochs():
        np.random.seed(3)
        it = mio.NDArrayIter(_column(20), np.arange(20), batch_size=20, shuffle=True)
        return [rows for rows, _, _ in _epoch(it) + _epoch(it)]
    first, second = two_epochs()
    assert [first, second] == two_epochs()
    assert first != list(range(20)) and first != second


def test_ndarrayiter_names_order_and_dtypes():
    x = mx.nd.array(np.ones((6, 2)), dtype='float16')
    it = mio.NDArrayIter({'b': x, 'a': np.zeros((6, 3), dtype=np.int32)},
                         [np.zeros(6), np.ones((6, 4))], batch_size=4)
    assert [(d.name, d.shape, d.dtype) for d in it.provide_data] == [
        ('a', (4, 3), np.float32), ('b', (4, 2), np.float16)]
    assert [(d.name, d.shape) for d in it.provide_label] == [
        ('_0_softmax_label', (4,)), ('_1_softmax_label', (4, 4))]
    batch = next(it)
    assert [a.shape for a in batch.data + batch.label] == [(4, 3), (4, 2), (4,), (4, 4)]
    assert batch.data[1].dtype == np.float16
    one = mio.NDArrayIter([np.zeros((3, 1))], batch_size=2, data_name='img')
    assert [d.name for d in one.provide_data] == ['img'] and one.provide_label == []
    assert next(one).label == []


def test_ndarrayiter_layout_picks_the_batch_axis():
    seq = np.arange(5 * 6 * 2, dtype=np.float32).reshape(5, 6, 2)   # T=5, N=6, C=2
    it = mio.NDArrayIter(seq, batch_size=4, layout='TNC')
    assert it.provide_data[0].shape == (5, 4, 2)
    batches = list(it)
    np.testing.assert_array_equal(batches[0].data[0].asnumpy(), seq[:, :4])
    np.testing.assert_array_equal(batches[1].data[0].asnumpy(), seq[:, [4, 5, 0, 1]])


def test_ndarrayiter_manual_protocol():
    it = mio.NDArrayIter(_column(3), batch_size=2)
    assert it.iter_next()
    assert it.getdata()[0].asnumpy()[:, 0].tolist() == [0, 1] and it.getpad() == 0
    assert it.iter_next() and it.getpad() == 1
    assert not it.iter_next()
    with pytest.raises(MXNetError, match='reset'):
        it.getdata()


def test_ndarrayiter_unshuffled_batches_are_views():
    x = np.zeros((4, 2), dtype=np.float32)
    it = mio.NDArrayIter(x, batch_size=2)
    source = it.data[0][1]
    next(it).data[0][:] = 7
    assert source.asnumpy()[:2].min() == 7 and source.asnumpy()[2:].max() == 0


@pytest.mark.parametrize('kwargs, match', [
    (dict(data=None), 'needs data'),
    (dict(data=np.zeros((3, 1)), batch_size=0), 'batch_size'),
    (dict(data=np.zeros((3, 1)), last_batch_handle='keep'), 'last_batch_handle'),
    (dict(data=np.zeros((3, 1)), label=np.zeros(4)), 'same number of samples'),
    (dict(data=np.zeros((0, 1))), 'no samples'),
    (dict(data=np.zeros((3, 1)), layout='TC'), 'batch axis'),
    (dict(data='abc'), 'must be an NDArray'),
])
def test_ndarrayiter_errors(kwargs, match):
    with pytest.raises(MXNetError, match=match):
        mio.NDArrayIter(**kwargs)


# -------------------------------------------------------------------- CSVIter --
def _write_csv(path, rows):
    np.savetxt(path, np.asarray(rows), delimiter=',', fmt='%g')
    return str(path)


def _csv_reference(n, b, round_batch, epochs):
    """Sample ids and pads per epoch: a stream round the data, or restarts with the
    previous batch's rows as filler."""
    out, start = [], 0
    for _ in range(epochs):
        epoch, p = [], (start if round_batch else 0)
        while p < n:
            if round_batch:
                ids = [(p + j) % n for j in range(b)]
            else:
                ids = [p + j if p + j < n else p + j - b for j in range(b)]
            epoch.append((ids, max(0, p + b - n)))
            p += b
        start = p - n
        out.append(epoch)
    return out


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 12), b=st.integers(1, 12), round_batch=st.booleans())
def test_csviter_batches(tmp_path_factory, n, b, round_batch):
    b = min(b, n)
    folder = tmp_path_factory.mktemp('csv')
    data = _write_csv(folder / 'd.csv', np.arange(2 * n).reshape(n, 2))
    label = _write_csv(folder / 'l.csv', np.arange(n) * 10)
    it = mio.CSVIter(data_csv=data, data_shape=(2,), label_csv=label, batch_size=b,
                     round_batch=round_batch)
    got = []
    for _ in range(3):
        epoch = []
        for batch in it:
            x = batch.data[0].asnumpy()
            ids = (x[:, 0] // 2).astype(int).tolist()
            np.testing.assert_array_equal(x[:, 1], x[:, 0] + 1)
            np.testing.assert_array_equal(batch.label[0].asnumpy(), np.array(ids) * 10)
            assert batch.index.tolist() == ids
            epoch.append((ids, batch.pad))
        it.reset()
        got.append(epoch)
    assert got == _csv_reference(n, b, round_batch, 3)


def test_csviter_shapes_dtypes_folder_and_default_labels(tmp_path):
    folder = tmp_path / 'parts'
    folder.mkdir()
    _write_csv(folder / 'a.csv', [[1, 2, 3, 4]])
    _write_csv(folder / 'b.csv', [[5, 6, 7, 8], [9, 10, 11, 12]])
    it = mio.CSVIter(data_csv=str(folder), data_shape=(2, 2), batch_size=3, dtype='int32')
    assert it.provide_data == [('data', (3, 2, 2))] and it.provide_data[0].dtype is np.int32
    batch = next(it)
    np.testing.assert_array_equal(batch.data[0].asnumpy(), np.arange(1, 13).reshape(3, 2, 2))
    assert batch.label[0].shape == (3,) and batch.label[0].asnumpy().max() == 0
    labels = _write_csv(tmp_path / 'l.csv', [[1, 2], [3, 4], [5, 6]])
    it = mio.CSVIter(str(folder), (4,), label_csv=labels, label_shape=(2,), batch_size=3)
    assert it.provide_label[0].shape == (3, 2)
    np.testing.assert_array_equal(next(it).label[0].asnumpy(), [[1, 2], [3, 4], [5, 6]])


def test_csviter_errors(tmp_path):
    data = _write_csv(tmp_path / 'd.csv', np.ones((3, 2)))
    with pytest.raises(MXNetError, match='the data shape \\(3,\\) needs 3'):
        mio.CSVIter(data, (3,), batch_size=1)
    with pytest.raises(MXNetError, match='fewer than batch_size'):
        mio.CSVIter(data, (2,), batch_size=4)
    with pytest.raises(MXNetError, match='does not exist'):
        mio.CSVIter(str(tmp_path / 'none.csv'), (2,), batch_size=1)
    labels = _write_csv(tmp_path / 'l.csv', np.ones(2))
    with pytest.raises(MXNetError, match='has 3 rows but'):
        mio.CSVIter(data, (2,), label_csv=labels, batch_size=1)


# ------------------------------------------------------------------ MNISTIter --
MNIST = pathlib.Path(os.environ.get('MXLEARN_DATA') or
                     pathlib.Path(__file__).resolve().parents[2] / 'shared' / 'data') / 'mnist'
needs_mnist = pytest.mark.skipif(not (MNIST / 't10k-images-idx3-ubyte.gz').exists(),
                                 reason='MNIST files not found (set MXLEARN_DATA)')


def _mnist_test_set():
    with gzip.open(MNIST / 't10k-images-idx3-ubyte.gz') as f:
        images = np.frombuffer(f.read()[16:], np.uint8).reshape(-1, 28, 28)
    with gzip.open(MNIST / 't10k-labels-idx1-ubyte.gz') as f:
        labels = np.frombuffer(f.read()[8:], np.uint8)
    return images, labels


@needs_mnist
def test_mnistiter_reads_the_idx_files_in_order():
    images, labels = _mnist_test_set()
    it = mio.MNISTIter(image=str(MNIST / 't10k-images-idx3-ubyte.gz'),
                       label=str(MNIST / 't10k-labels-idx1-ubyte.gz'),
                       batch_size=128, shuffle=False, silent=True)
    assert it.provide_data == [('data', (128, 1, 28, 28))]
    assert it.provide_label == [('softmax_label', (128,))]
    batches = list(it)
    assert len(batches) == 10000 // 128 and all(b.pad == 0 for b in batches)
    np.testing.assert_array_equal(batches[1].data[0].asnumpy()[:, 0] * 256,
                                  images[128:256])
    np.testing.assert_array_equal(batches[-1].label[0].asnumpy(), labels[9856:9984])
    it.reset()
    assert len(list(it)) == 78


@needs_mnist
def test_mnistiter_shuffles_once_with_seed_and_splits_into_parts(monkeypatch):
    images, labels = _mnist_test_set()
    # Found by name in $MXLEARN_DATA/mnist, as MXNet's default paths are relative names.
    monkeypatch.setenv('MXLEARN_DATA', str(MNIST.parent))
    monkeypatch.chdir(MNIST.parent)

    def part(**kwargs):
        it = mio.MNISTIter(image='t10k-images-idx3-ubyte', label='t10k-labels-idx1-ubyte',
                           batch_size=100, flat=True, silent=True, num_parts=3, part_index=1,
                           **kwargs)
        return it, [(b.data[0].asnumpy(), b.label[0].asnumpy()) for b in it]

    it, ordered = part(shuffle=False)
    assert ordered[0][0].shape == (100, 784) and len(ordered) == 33
    np.testing.assert_array_equal(ordered[0][1], labels[3333:3433])
    it, first = part(shuffle=True, seed=5)
    it.reset()
    again = [b.label[0].asnumpy() for b in it]
    assert all((a[1] == b).all() for a, b in zip(first, again))    # the same every epoch
    shown = np.concatenate([x for x, _ in first]) * 256
    order = [int(np.flatnonzero((images[3333:6666].reshape(-1, 784) == row).all(1))[0])
             for row in shown[:5]]
    assert order != list(range(5))
    np.testing.assert_array_equal(np.concatenate([y for _, y in first])[:5],
                                  labels[3333:6666][order])
    _, other = part(shuffle=True, seed=6)
    assert not (other[0][1] == first[0][1]).all()


def test_mnistiter_errors(tmp_path):
    with pytest.raises(MXNetError, match='part_index'):
        mio.MNISTIter(num_parts=2, part_index=2)
    with pytest.raises(MXNetError, match='no MNIST file'):
        mio.MNISTIter(image=str(tmp_path / 'missing'), label=str(tmp_path / 'missing'))
    labels = tmp_path / 'labels'
    labels.write_bytes(b'\x00\x00\x08\x01\x00\x00\x00\x02\x07')
    with pytest.raises(MXNetError, match='is not an IDX file'):
        mio.MNISTIter(image=str(labels), label=str(labels))


def test_mnistiter_reads_uncompressed_idx_files(tmp_path):
    images, labels = tmp_path / 'images', tmp_path / 'labels'
    images.write_bytes(b'\x00\x00\x08\x03' + (2).to_bytes(4, 'big') * 1
                       + (28).to_bytes(4, 'big') * 2 + bytes(range(256)) * 6 + bytes(32))
    labels.write_bytes(b'\x00\x00\x08\x01\x00\x00\x00\x02\x07\x03')
    batch = next(iter(mio.MNISTIter(image=str(images), label=str(labels), batch_size=2,
                                    flat=True, shuffle=False, silent=True)))
    assert batch.label[0].asnumpy().tolist() == [7, 3]
    assert np.allclose(batch.data[0].asnumpy()[0, :256], np.arange(256) / 256)


# ----------------------------------------------------------------- ResizeIter --
def test_resizeiter_shortens_and_lengthens_epochs():
    inner = mio.NDArrayIter(_column(6), np.arange(6), batch_size=2)
    assert [b[0] for b in _epoch(mio.ResizeIter(inner, 5))] == [
        [0, 1], [2, 3], [4, 5], [0, 1], [2, 3]]
    # Without reset_internal, each epoch goes on where the inner iterator stopped.
    it = mio.ResizeIter(inner, 2, reset_internal=False)
    assert it.provide_data == inner.provide_data and it.batch_size == 2
    assert [b[0] for b in _epoch(it)] == [[0, 1], [2, 3]]
    assert [b[0] for b in _epoch(it)] == [[4, 5], [0, 1]]
    assert list(mio.ResizeIter(inner, 0)) == []


# ------------------------------------------------------------ PrefetchingIter --
def test_prefetchingiter_joins_and_renames_iterators():
    a = mio.NDArrayIter(_column(5), np.arange(5), batch_size=2)
    b = mio.NDArrayIter(_column(5) * 10, batch_size=2)
    it = mio.PrefetchingIter([a, b], rename_data=[{'data': 'a'}, {'data': 'b'}])
    assert [(d.name, d.shape) for d in it.provide_data] == [('a', (2, 1)), ('b', (2, 1))]
    assert [d.name for d in it.provide_label] == ['softmax_label']
    for _ in range(2):
        batches = list(it)
        assert [b.pad for b in batches] == [0, 0, 1]
        for batch in batches:
            x, y = (d.asnumpy() for d in batch.data)
            np.testing.assert_array_equal(y, 10 * x)
            np.testing.assert_array_equal(batch.label[0].asnumpy(), x[:, 0])
            assert batch.provide_data == it.provide_data
        assert not it.iter_next()
        it.reset()
    it.close()
    assert not any(w.thread.is_alive() for w in it._workers)
    with pytest.raises(MXNetError, match='closed'):
        it.reset()


def test_prefetchingiter_reset_mid_epoch_and_threads_stop_when_collected():
    import gc
    it = mio.PrefetchingIter(mio.NDArrayIter(_column(6), batch_size=2))
    assert next(it).data[0].asnumpy()[0, 0] == 0
    it.reset()
    assert [b.data[0].asnumpy()[0, 0] for b in it] == [0, 2, 4]
    threads = [w.thread for w in it._workers]
    del it
    gc.collect()
    for t in threads:
        t.join(timeout=5)
    assert not any(t.is_alive() for t in threads)


def test_prefetchingiter_errors_reach_the_consumer():
    class Broken(mio.DataIter):
        provide_data = [mio.DataDesc('data', (1,))]
        provide_label = []

        def next(self):
            raise ValueError('disk on fire')

    it = mio.PrefetchingIter(Broken(1))
    with pytest.raises(ValueError, match='disk on fire'):
        next(it)
    it.close()
    short = mio.NDArrayIter(_column(2), batch_size=2)
    long = mio.NDArrayIter(_column(4), batch_size=2)
    it = mio.PrefetchingIter([short, long])
    next(it)
    with pytest.raises(MXNetError, match='ran out at different batches'):
        next(it)
    it.close()
    padded = mio.NDArrayIter(_column(3), batch_size=2)
    it = mio.PrefetchingIter([padded, mio.NDArrayIter(_column(4), batch_size=2)])
    next(it)
    with pytest.raises(MXNetError, match='padded their batches differently'):
        next(it)
    it.close()
    with pytest.raises(MXNetError, match='one dict per iterator'):
        mio.PrefetchingIter([short, long], rename_data=[{}])
