"""gluon.data: datasets, samplers, batchify, DataLoader (in process, worker processes, threads)."""
import gc
import multiprocessing
import os
import signal
import time

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mxlearn as mx
from mxlearn import nd
from mxlearn.base import MXNetError
from mxlearn.gluon import data as gdata
from mxlearn.gluon.data import (ArrayDataset, BatchSampler, DataLoader, RandomSampler,
                                SequentialSampler, SimpleDataset)
from mxlearn.gluon.data import workers
from mxlearn.gluon.data.batchify import default_batchify_fn, make_batch
from mxlearn.gluon.data.vision import transforms

SETTINGS = settings(max_examples=25, deadline=None)


def as_lists(batches):
    """Batches (NDArrays or lists of them) as nested Python lists, for comparisons."""
    out = []
    for b in batches:
        if isinstance(b, list):
            out.append([x.asnumpy().tolist() for x in b])
        else:
            out.append(b.asnumpy().tolist())
    return out


# ---------------------------------------------------------------- datasets --

def test_array_dataset_samples():
    x = np.arange(12, dtype='float32').reshape(4, 3)
    y = nd.array([0, 1, 2, 3])
    ds = ArrayDataset(x, y, [10, 11, 12, 13])
    a, b, c = ds[2]
    assert a.tolist() == [6, 7, 8] and c == 12
    # A 1-d NDArray is kept as numpy, so its samples are numpy scalars (as in MXNet).
    assert isinstance(b, np.float32) and b == 2
    assert len(ds) == 4
    single = ArrayDataset(nd.array(x))
    assert isinstance(single[1], nd.NDArray) and single[1].shape == (3,)


def test_array_dataset_errors():
    with pytest.raises(MXNetError, match='at least one'):
        ArrayDataset()
    with pytest.raises(MXNetError, match='same length.*array 1 has 2'):
        ArrayDataset(np.zeros(3), np.zeros(2))


def test_transform_lazy_and_eager():
    calls = []

    def double(x, y):
        calls.append(x)
        return x * 2, y

    ds = SimpleDataset([(1, 'a'), (2, 'b')])
    lazy = ds.transform(double)
    assert calls == [] and lazy[1] == (4, 'b') and calls == [2]
    eager = ds.transform(double, lazy=False)
    assert calls == [2, 1, 2] and eager[0] == (2, 'a') and len(calls) == 3
    assert ds.transform_first(lambda v: -v)[0] == (-1, 'a')
    assert SimpleDataset([3, 4]).transform_first(lambda v: v + 1)[1] == 5


def test_filter_shard_take_sample():
    ds = SimpleDataset(list(range(10)))
    assert list(ds.filter(lambda v: v % 3 == 0)) == [0, 3, 6, 9]
    shards = [list(ds.shard(3, i)) for i in range(3)]
    assert shards == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert list(ds.take(3)) == [0, 1, 2] and len(ds.take(None)) == 10
    assert len(ds.take(100)) == 10
    assert list(ds.sample(SequentialSampler(2, start=7))) == [7, 8]
    with pytest.raises(TypeError, match='Sampler'):
        ds.sample([1, 2])
    with pytest.raises(MXNetError, match='index'):
        ds.shard(2, 2)


@SETTINGS
@given(n=st.integers(0, 30), shards=st.integers(1, 7))
def test_shards_partition_the_dataset(n, shards):
    ds = SimpleDataset(list(range(n)))
    parts = [list(ds.shard(shards, i)) for i in range(shards)]
    assert sum(parts, []) == list(range(n))
    assert max(map(len, parts)) - min(map(len, parts)) <= 1


# ---------------------------------------------------------------- samplers --

def test_sequential_and_random_sampler():
    assert list(SequentialSampler(3, start=2)) == [2, 3, 4]
    mx.random.seed(5)
    first = list(RandomSampler(20))
    mx.random.seed(5)
    assert list(RandomSampler(20)) == first
    assert sorted(first) == list(range(20)) and first != list(range(20))
    assert all(type(i) is int for i in first)


@pytest.mark.parametrize('mode, epochs, lengths', [
    ('keep', [[[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]] * 2, [4, 4]),
    ('discard', [[[0, 1, 2], [3, 4, 5], [6, 7, 8]]] * 2, [3, 3]),
    ('rollover', [[[0, 1, 2], [3, 4, 5], [6, 7, 8]],
                  [[9, 0, 1], [2, 3, 4], [5, 6, 7]]], [3, 3]),
])
def test_batch_sampler_last_batch(mode, epochs, lengths):
    b = BatchSampler(SequentialSampler(10), 3, mode)
    for want, n in zip(epochs, lengths):
        assert len(b) == n
        assert list(b) == want
    if mode == 'rollover':
        # Two samples carried over: the third epoch starts with them.
        assert len(b) == 4 and list(b)[0] == [8, 9, 0]


def test_batch_sampler_bad_mode():
    with pytest.raises(ValueError, match="'keep', 'discard', or 'rollover'"):
        list(BatchSampler(SequentialSampler(3), 2, 'drop'))


# ---------------------------------------------------------------- batchify --

def test_default_batchify_types():
    x, y = default_batchify_fn([(nd.ones((2,)), 1), (nd.zeros((2,)), 2)])
    assert x.shape == (2, 2) and y.dtype == np.int64 and y.asnumpy().tolist() == [1, 2]
    assert default_batchify_fn([0.5, 1.5]).dtype == np.float64
    assert default_batchify_fn([np.int32(1), np.int32(2)]).dtype == np.int32
    u = default_batchify_fn([nd.array([1], dtype='uint8')] * 3)
    assert u.dtype == np.uint8 and u.shape == (3, 1)
    nested = default_batchify_fn([(1, (2, 3.0)), (4, (5, 6.0))])
    assert nested[0].asnumpy().tolist() == [1, 4]
    assert nested[1][1].asnumpy().tolist() == [3.0, 6.0]


def test_default_batchify_shape_error():
    with pytest.raises(MXNetError, match=r'different shapes \(2,\), \(3,\)'):
        default_batchify_fn([nd.ones((2,)), nd.ones((3,))])
    with pytest.raises(MXNetError, match='different shapes'):
        default_batchify_fn([np.ones(2), np.ones(3)])


def numpy_dataset(n=23):
    rng = np.random.RandomState(0)
    return rng.randint(0, 256, (n, 4, 5, 3)).astype(np.uint8), rng.randint(0, 10, n).astype(
        np.int32)


@pytest.mark.parametrize('wrap', ['numpy', 'ndarray'])
def test_fast_path_matches_sample_by_sample(wrap):
    images, labels = numpy_dataset()
    if wrap == 'ndarray':
        images, labels = nd.array(images, dtype='uint8'), nd.array(labels, dtype='int32')
    ds = ArrayDataset(images, labels)
    idx = [5, 0, 22, 5]
    slow = default_batchify_fn([ds[i] for i in idx])
    for view in (ds, ds.take(23), ds.shard(1, 0)):
        fast = make_batch(view, idx)
        assert as_lists([fast]) == as_lists([slow])
        assert [f.dtype for f in fast] == [s.dtype for s in slow]
    t = transforms.Compose([transforms.Resize(3), transforms.ToTensor(),
                            transforms.Normalize(0.5, 0.25)])
    fast = make_batch(ds.transform_first(t), idx)
    slow = default_batchify_fn([ds.transform_first(lambda v: t(v))[i] for i in idx])
    np.testing.assert_allclose(fast[0].asnumpy(), slow[0].asnumpy(), rtol=1e-6, atol=1e-6)
    assert fast[0].shape == (4, 3, 3, 3) and fast[1].dtype == np.int32


def test_fast_path_of_raw_arrays():
    # A 1-d NDArray used as a dataset gives samples of shape (1,): batches (N, 1).
    assert DataLoader(nd.array([1, 2, 3]), batch_size=2).__iter__().__next__().shape == (2, 1)
    assert next(iter(DataLoader(np.arange(5), batch_size=2))).shape == (2,)
    batch = next(iter(DataLoader(SimpleDataset(np.arange(6).reshape(3, 2)), batch_size=3)))
    assert batch.asnumpy().tolist() == [[0, 1], [2, 3], [4, 5]]


# -------------------------------------------------------------- DataLoader --

def test_dataloader_order_and_last_batch():
    ds = ArrayDataset(np.arange(10, dtype='float32'), np.arange(10) * 10)
    keep = DataLoader(ds, batch_size=4)
    assert len(keep) == 3
    assert [b[0].asnumpy().tolist() for b in keep] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    discard = DataLoader(ds, batch_size=4, last_batch='discard')
    assert [b[1].asnumpy().tolist() for b in discard] == [[0, 10, 20, 30], [40, 50, 60, 70]]
    roll = DataLoader(np.arange(10), batch_size=4, last_batch='rollover')
    assert as_lists(roll) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert as_lists(roll) == [[8, 9, 0, 1], [2, 3, 4, 5], [6, 7, 8, 9]]


def test_dataloader_shuffle_is_seeded():
    ds = np.arange(50)
    mx.random.seed(11)
    a = as_lists(DataLoader(ds, batch_size=7, shuffle=True))
    b = as_lists(DataLoader(ds, batch_size=7, shuffle=True))
    mx.random.seed(11)
    assert as_lists(DataLoader(ds, batch_size=7, shuffle=True)) == a
    assert a != b and sorted(sum(a, [])) == list(range(50))


def test_dataloader_argument_errors():
    with pytest.raises(ValueError, match='batch_size must be specified'):
        DataLoader(np.arange(4))
    with pytest.raises(ValueError, match='shuffle must not be specified'):
        DataLoader(np.arange(4), 2, shuffle=True, sampler=SequentialSampler(4))
    bs = BatchSampler(SequentialSampler(4), 2)
    with pytest.raises(ValueError, match='must not be specified if batch_sampler'):
        DataLoader(np.arange(4), batch_size=2, batch_sampler=bs)
    with pytest.raises(ValueError, match='timeout must be positive'):
        DataLoader(np.arange(4), 2, timeout=0)
    assert as_lists(DataLoader(np.arange(4), batch_sampler=bs)) == [[0, 1], [2, 3]]


def test_dataloader_custom_batchify_pin_memory_and_auto_reload():
    loader = DataLoader(np.arange(6), batch_size=3, batchify_fn=lambda s: sum(s))
    assert list(loader) == [3, 12]
    pinned = next(iter(DataLoader(np.arange(6), batch_size=3, pin_memory=True)))
    assert pinned.context == mx.cpu_pinned(0)
    auto = DataLoader(np.arange(4), batch_size=2, auto_reload=True)
    assert as_lists(auto) == as_lists(auto) == [[0, 1], [2, 3]]


# ----------------------------------------------------------- worker pools --

class SlowAt(gdata.Dataset):
    """Samples i * 10; sample ``at`` sleeps, raises, or kills its worker."""

    def __init__(self, n, at=None, action=None):
        self._n, self._at, self._action = n, at, action

    def __len__(self):
        return self._n

    def __getitem__(self, i):
        if i == self._at:
            if self._action == 'sleep':
                time.sleep(30)
            elif self._action == 'raise':
                raise ValueError('bad sample %d' % i)
            elif self._action == 'kill':
                os.kill(os.getpid(), signal.SIGKILL)
        return np.float32(i * 10), i


class RandomSamples(gdata.Dataset):
    """Sample i is (i, a draw from numpy's global generator, one from mxlearn's)."""

    def __len__(self):
        return 12

    def __getitem__(self, i):
        return i, np.random.rand(), float(mx.nd.random.uniform().asscalar())


def test_workers_give_the_same_batches():
    images, labels = numpy_dataset(37)
    fast = ArrayDataset(images, labels).transform_first(transforms.ToTensor())
    slow = ArrayDataset(images, labels).transform_first(lambda x: x.astype('float32') / 255)
    for ds in (fast, slow):
        mx.random.seed(3)
        want = as_lists(DataLoader(ds, batch_size=5, shuffle=True, last_batch='discard'))
        mx.random.seed(3)
        got = as_lists(DataLoader(ds, batch_size=5, shuffle=True, last_batch='discard',
                                  num_workers=2))
        assert got == want
        mx.random.seed(3)
        threads = DataLoader(ds, batch_size=5, shuffle=True, last_batch='discard',
                             num_workers=2, thread_pool=True)
        assert as_lists(threads) == want


def test_workers_are_real_processes_and_stop():
    loader = DataLoader(SlowAt(8), batch_size=2, num_workers=2, prefetch=0)
    it = iter(loader)
    first = next(it)
    procs = it.gi_frame.f_locals['epoch']._procs
    assert len(procs) == 2 and all(p.is_alive() for p in procs)
    assert {p.pid for p in procs}.isdisjoint({os.getpid()})
    assert first[1].asnumpy().tolist() == [0, 1]
    assert len(list(it)) == 3
    assert not any(p.is_alive() for p in procs)
    # Leaving an epoch early: the workers stop when the iterator is collected.
    it = iter(loader)
    next(it)
    procs = it.gi_frame.f_locals['epoch']._procs
    del it
    gc.collect()
    for p in procs:
        p.join(timeout=5)
    assert not any(p.is_alive() for p in procs)


def test_worker_seeds_are_reproducible_and_distinct():
    def run():
        mx.random.seed(21)
        return [np.concatenate([b.asnumpy() for b in batch[1:]])
                for batch in DataLoader(RandomSamples(), batch_size=3, num_workers=2)]
    a, b = run(), run()
    assert all((x == y).all() for x, y in zip(a, b))
    draws = np.concatenate(a)
    assert len(np.unique(draws)) == len(draws)


def test_worker_exception_is_raised_with_its_traceback():
    loader = DataLoader(SlowAt(10, at=5, action='raise'), batch_size=2, num_workers=2)
    with pytest.raises(ValueError, match='bad sample 5') as info:
        list(loader)
    cause = str(info.value.__cause__)
    assert 'Traceback' in cause and '__getitem__' in cause


def test_worker_timeout():
    loader = DataLoader(SlowAt(6, at=0, action='sleep'), batch_size=2, num_workers=1,
                        timeout=0.5)
    it = iter(loader)
    start = time.time()
    with pytest.raises(workers.DataLoaderTimeoutError, match='timeout=0.5') as info:
        next(it)
    assert time.time() - start < 10
    assert isinstance(info.value, multiprocessing.TimeoutError)
    assert isinstance(info.value, MXNetError)


def test_worker_death_is_reported():
    loader = DataLoader(SlowAt(6, at=3, action='kill'), batch_size=2, num_workers=1)
    with pytest.raises(MXNetError, match='exited unexpectedly.*signal 9.*memory'):
        list(loader)


def test_spawn_start_method(monkeypatch):
    monkeypatch.setattr(workers, 'START_METHOD', 'spawn')
    ds = ArrayDataset(np.arange(6, dtype='float32'), np.arange(6))
    got = as_lists(DataLoader(ds, batch_size=4, num_workers=1))
    assert got == as_lists(DataLoader(ds, batch_size=4))
    unpicklable = ds.transform_first(lambda x: x)
    with pytest.raises(MXNetError, match='picklable'):
        list(DataLoader(unpicklable, batch_size=4, num_workers=1))
