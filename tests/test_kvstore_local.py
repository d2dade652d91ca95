"""mx.kv local and device: push/pull semantics, updaters, row_sparse_pull, 2-bit compression."""
import doctest

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mxlearn as mx
import mxlearn.kvstore as kvstore
import mxlearn.optimizer
from mxlearn import nd
from mxlearn.base import MXNetError
from mxlearn.kvstore import compression
from mxlearn.kvstore.base import reduce_sum
from mxlearn.test_utils import assert_almost_equal

CTXS = [mx.cpu(0), mx.cpu(1), mx.cpu(2)]


def pulled(kv, key, shape, ctx=None):
    out = nd.zeros(shape, ctx=ctx)
    kv.pull(key, out=out)
    return out.asnumpy()


# ------------------------------------------------------- 2-bit compression --

def quantize_by_hand(grad, residual, t):
    """MXNet's rule one element at a time: the reference the kernels must match."""
    sent = np.zeros_like(grad)
    for i in range(grad.size):
        residual[i] += grad[i]
        if residual[i] >= t:
            sent[i] = t
            residual[i] -= t
        elif residual[i] <= -t:
            sent[i] = -t
            residual[i] += t
    return sent


def pack_by_hand(sent, t):
    """16 values a 32-bit word; value j of a word in byte j // 4, bits 6 - 2 (j % 4)."""
    nbytes = 4 * (-(-sent.size // 16))
    data = bytearray(nbytes)
    for i, v in enumerate(sent):
        code = 3 if v == t else 2 if v == -t else 0
        data[i // 4] |= code << (6 - 2 * (i % 4))
    return np.frombuffer(bytes(data), dtype=np.uint32)


def test_two_bit_packing_layout():
    t = np.float32(0.5)
    grad = np.array([1.0, -1.0, 0.2, 0.7] + [0.0] * 12 + [-0.9], dtype=np.float32)
    residual = np.zeros(grad.size, dtype=np.float32)
    words = compression.quantize_2bit(grad, residual, t)
    # byte 0 holds +t, -t, 0, +t from the high bits down: 11 10 00 11
    assert words.dtype == np.uint32 and words.size == 2
    assert words.view(np.uint8)[0] == 0b11100011
    assert words.view(np.uint8)[4] == 0b10000000       # value 16: -t, then padding
    assert_almost_equal(residual[:4], [0.5, -0.5, 0.2, 0.2], rtol=1e-6)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('size', [1, 15, 16, 33, 5000])
def test_two_bit_matches_hand_reference_over_pushes(dtype, size):
    rng = np.random.RandomState(size)
    t = 0.4
    comp = compression.TwoBitCompression(threshold=t)
    residual = np.zeros(size, dtype=dtype)
    for _ in range(3):                  # the residual carries over between pushes
        grad = rng.normal(0, 0.5, size).astype(dtype)
        expected = quantize_by_hand(grad, residual, dtype(t))
        packed = comp.compress('w', grad)
        assert packed.dtype == np.uint32 and packed.nbytes == comp.packed_nbytes(size)
        np.testing.assert_array_equal(packed, pack_by_hand(expected, dtype(t)))
        np.testing.assert_array_equal(comp.residual('w'), residual)
        np.testing.assert_array_equal(comp.decompress(packed, (size,), dtype), expected)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_two_bit_kernels_match_numpy_reference(dtype):
    rng = np.random.RandomState(0)
    for size in (0, 3, 4097, 70001):      # several chunks, a partial last one
        grad = rng.normal(0, 1, size).astype(dtype)
        r_kernel = rng.normal(0, 0.3, size).astype(dtype)
        r_reference = r_kernel.copy()
        packed = compression.quantize_2bit(grad, r_kernel, 0.5)
        reference = compression._quantize_2bit_reference(np, grad, r_reference, 0.5)
        np.testing.assert_array_equal(packed, reference)
        np.testing.assert_array_equal(r_kernel, r_reference)
        np.testing.assert_array_equal(
            compression.dequantize_2bit(packed, size, 0.5, dtype),
            compression._dequantize_2bit_reference(np, packed, size, 0.5, dtype))


@pytest.mark.parametrize('dtype', [np.float16, np.float32])
def test_decompress_adds_to_a_sum(dtype):
    comp = compression.TwoBitCompression(0.5)
    total = np.full((2, 2), 10, dtype=dtype)
    for key in ('a', 'b'):       # two senders
        packed = comp.compress(key, np.array([[1, -1], [0.1, 0.6]], dtype=dtype))
        assert comp.decompress(packed, (2, 2), dtype, add_to=total) is total
    np.testing.assert_array_equal(total, [[11, 9], [10, 11]])
    with pytest.raises(MXNetError, match='add_to must be C-contiguous of shape'):
        comp.decompress(packed, (2, 2), dtype, add_to=total.T)


def test_kernel_module_examples():
    from mxlearn._ext import kvstore_compression
    assert doctest.testmod(kvstore_compression).failed == 0


def test_two_bit_float16_uses_reference():
    comp = compression.TwoBitCompression(0.5)
    grad = np.array([0.75, -0.25, -0.5], dtype=np.float16)
    out = comp.decompress(comp.compress(0, grad), (3,), np.float16)
    assert out.dtype == np.float16
    np.testing.assert_array_equal(out, [0.5, 0.0, -0.5])
    np.testing.assert_array_equal(comp.residual(0), np.array([0.25, -0.25, 0.0], np.float16))


def test_compression_parameters():
    assert compression.create_compression({'type': '2bit'}).threshold == 0.5
    assert compression.create_compression({'type': '2Bit', 'threshold': 2}).get_params() == \
        {'type': '2bit', 'threshold': 2.0}
    for params, match in (({'threshold': 0.5}, "with a 'type'"),
                          ({'type': '1bit'}, "only '2bit'"),
                          ({'type': '2bit', 'threshold': 0}, 'threshold > 0'),
                          ({'type': '2bit', 'thresold': 1}, 'unknown parameters')):
        with pytest.raises(MXNetError, match=match):
            compression.create_compression(params)
    comp = compression.TwoBitCompression()
    comp.compress('k', np.zeros(4, np.float32))
    with pytest.raises(MXNetError, match="key 'k': got 5 values of float32"):
        comp.compress('k', np.zeros(5, np.float32))
    with pytest.raises(MXNetError, match='need 2 packed words'):
        compression.dequantize_2bit(np.zeros(1, np.uint32), 17, 0.5)


# ---------------------------------------------------------- basic semantics --

def test_create_and_properties():
    for name in ('local', 'device', 'Local'):
        kv = kvstore.create(name)
        assert (kv.type, kv.rank, kv.num_workers) == (name.lower(), 0, 1)
        assert kv.is_capable('optimizer')
    with pytest.raises(MXNetError, match="unknown KVStore type 'nccl'"):
        kvstore.create('nccl')
    with pytest.raises(MXNetError, match='must be a string'):
        kvstore.create(3)
    with pytest.raises(MXNetError, match='unknown KVStore capability'):
        kvstore.create().is_capable('teleport')


@pytest.mark.parametrize('name', ['local', 'device'])
def test_push_sums_and_replaces_without_updater(name):
    kv = kvstore.create(name)
    kv.init(3, nd.ones((2, 3)))
    assert_almost_equal(pulled(kv, 3, (2, 3)), np.ones((2, 3)))
    kv.push(3, [nd.ones((2, 3), ctx=c) * (i + 1) for i, c in enumerate(CTXS)])
    assert_almost_equal(pulled(kv, 3, (2, 3)), np.full((2, 3), 6.0))   # 1+2+3, not 1+6
    kv.push(3, nd.ones((2, 3)) * 8)
    assert_almost_equal(pulled(kv, 3, (2, 3), ctx=mx.cpu(2)), np.full((2, 3), 8.0))


def test_pushed_arrays_are_not_aliased():
    kv = kvstore.create('device')
    value = nd.ones((2,))
    kv.init('a', value)
    value += 1
    pushed = nd.ones((2,)) * 5
    kv.push('a', pushed)
    pushed += 1
    assert_almost_equal(pulled(kv, 'a', (2,)), [5.0, 5.0])


def test_lists_of_keys():
    kv = kvstore.create('local')
    kv.init(['a', 'b'], [nd.ones((2,)), nd.ones((3,))])
    kv.push(['a', 'b'], [[nd.ones((2,)), nd.ones((2,), ctx=mx.cpu(1))], nd.ones((3,)) * 5])
    outs = [[nd.zeros((2,)), nd.zeros((2,), ctx=mx.cpu(1))], nd.zeros((3,))]
    kv.pull(['a', 'b'], out=outs)
    for out in outs[0]:
        assert_almost_equal(out, [2.0, 2.0])
    assert outs[0][1].context == mx.cpu(1)
    assert_almost_equal(outs[1], [5.0] * 3)


@settings(max_examples=20, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       devices=st.integers(1, 3), seed=st.integers(0, 1000))
def test_pushpull_is_an_allreduce(shape, devices, seed):
    rng = np.random.RandomState(seed)
    grads = [rng.uniform(-1, 1, shape).astype(np.float32) for _ in range(devices)]
    kv = kvstore.create('device')
    kv.init(0, nd.zeros(shape))
    arrays = [nd.array(g, ctx=c) for g, c in zip(grads, CTXS)]
    kv.pushpull(0, arrays)
    for arr, ctx in zip(arrays, CTXS):
        assert arr.context == ctx
        assert_almost_equal(arr, sum(grads), rtol=1e-5, atol=1e-6)


def test_pushpull_into_out():
    kv = kvstore.create('local')
    kv.init(0, nd.zeros((2,)))
    out, grads = nd.zeros((2,)), [nd.ones((2,)), nd.ones((2,)) * 3]
    kv.pushpull(0, grads, out=out)
    assert_almost_equal(out, [4.0, 4.0])
    assert_almost_equal(grads[1], [3.0, 3.0])           # the pushed values are untouched
    assert_almost_equal(pulled(kv, 0, (2,)), [4.0, 4.0])


def test_broadcast():
    kv = kvstore.create('device')
    outs = [nd.zeros((2,), ctx=c) for c in CTXS]
    kv.broadcast('w', nd.array([7, 8]), out=outs)
    for out in outs:
        assert_almost_equal(out, [7.0, 8.0])
    with pytest.raises(MXNetError, match="key 'w': the key was already initialized"):
        kv.broadcast('w', nd.array([1, 2]), out=outs)


# ------------------------------------------------------------------ errors --

def test_clear_errors():
    kv = kvstore.create('local')
    kv.init(3, nd.ones((2, 3)))
    with pytest.raises(MXNetError, match='key 3: the key was already initialized'):
        kv.init(3, nd.ones((2, 3)))
    with pytest.raises(MXNetError, match="key 'a' is a str, but this store uses int keys"):
        kv.init('a', nd.ones((1,)))
    with pytest.raises(MXNetError, match='keys must be int or str'):
        kv.push(1.5, nd.ones((1,)))
    with pytest.raises(MXNetError, match='pull of key 9: the key has not been initialized'):
        kv.pull(9, out=nd.zeros((1,)))
    with pytest.raises(MXNetError, match='push of key 9: the key has not been initialized'):
        kv.push(9, nd.zeros((1,)))
    with pytest.raises(MXNetError, match=r'push of key 3: value 1 is an array of shape \(3, 3\) '
                                         r'and dtype float32 on cpu\(0\), but the key was '
                                         r'initialized with shape \(2, 3\) and dtype float32'):
        kv.push(3, [nd.ones((2, 3)), nd.ones((3, 3))])
    with pytest.raises(MXNetError, match='output is an array of shape .* dtype float64'):
        kv.pull(3, out=nd.zeros((2, 3), dtype='float64'))
    with pytest.raises(MXNetError, match='values must be NDArrays, got a ndarray'):
        kv.push(3, np.ones((2, 3)))
    with pytest.raises(MXNetError, match='2 keys need a list of 2 values'):
        kv.push([3, 4], nd.ones((2, 3)))
    with pytest.raises(MXNetError, match='takes one NDArray per key'):
        kv.init(5, [nd.ones((1,)), nd.ones((1,))])
    with pytest.raises(MXNetError, match='pull needs out='):
        kv.pull(3)
    with pytest.raises(MXNetError, match="not supported by the 'local' KVStore"):
        kv.set_gradient_compression({'type': '2bit'})
    with pytest.raises(MXNetError, match='expects an mx.optimizer.Optimizer'):
        kv.set_optimizer('sgd')
    with pytest.raises(MXNetError, match='has no optimizer of its own'):
        kv.save_optimizer_states('unused')


# --------------------------------------------------------------- updaters --

def test_updater_gets_key_sum_and_stored():
    calls = []

    def updater(key, pushed, stored):
        calls.append((key, pushed.asnumpy().copy(), stored.asnumpy().copy()))
        stored += 2 * pushed

    kv = kvstore.create('local')
    kv.init('w', nd.ones((2,)) * 100)
    kv._set_updater(updater)
    kv.push('w', [nd.ones((2,)), nd.ones((2,), ctx=mx.cpu(1)) * 3])
    assert calls[0][0] == 'w'
    assert_almost_equal(calls[0][1], [4.0, 4.0])
    assert_almost_equal(calls[0][2], [100.0, 100.0])
    assert_almost_equal(pulled(kv, 'w', (2,)), [108.0, 108.0])


@pytest.mark.parametrize('name', ['local', 'device'])
def test_set_optimizer_runs_it_on_pushes(name):
    kv = kvstore.create(name)
    w0 = np.array([1.0, -2.0], dtype=np.float32)
    kv.init(0, nd.array(w0, ctx=mx.cpu(1)))
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
    w, mom = w0.copy(), np.zeros(2, np.float32)
    for g in ([1.0, 1.0], [0.5, -2.0]):
        kv.push(0, [nd.array(g, ctx=mx.cpu(1)) / 2, nd.array(g, ctx=mx.cpu(2)) / 2])
        mom = 0.9 * mom - 0.1 * np.array(g)
        w = w + mom
        assert_almost_equal(pulled(kv, 0, (2,)), w, rtol=1e-6)
    # where the update ran: 'local' on the CPU, 'device' on the first pushing device
    assert kv._store[0].context == (mx.cpu(0) if name == 'local' else mx.cpu(1))


def test_optimizer_states_save_and_load(tmp_path):
    path = str(tmp_path / 'kv.states')

    def run(kv, grads):
        for g in grads:
            kv.push('w', nd.array(g))

    grads = [[1.0, -1.0], [0.3, 0.2], [2.0, 0.0]]
    kv = kvstore.create('local')
    kv.init('w', nd.ones((2,)))
    kv.set_optimizer(mx.optimizer.Adam(learning_rate=0.1))
    run(kv, grads[:1])
    kv.save_optimizer_states(path, dump_optimizer=True)
    saved = pulled(kv, 'w', (2,))
    run(kv, grads[1:])

    resumed = kvstore.create('local')
    resumed.init('w', nd.array(saved))
    resumed.set_optimizer(mx.optimizer.SGD(learning_rate=9.0))
    resumed.load_optimizer_states(path)
    assert type(resumed._updater.optimizer).__name__ == 'Adam'
    run(resumed, grads[1:])
    assert_almost_equal(pulled(resumed, 'w', (2,)), pulled(kv, 'w', (2,)), rtol=1e-6)
    assert [p.name for p in tmp_path.iterdir()] == ['kv.states']


# --------------------------------------------------------- row_sparse_pull --

def test_row_sparse_pull():
    kv = kvstore.create('local')
    value = np.arange(12, dtype=np.float32).reshape(4, 3)
    kv.init(0, nd.array(value))

    def expected(rows):
        out = np.zeros_like(value)
        out[rows] = value[rows]
        return out

    out = nd.ones((4, 3))
    kv.row_sparse_pull(0, out=out, row_ids=nd.array([2, 0, 2], dtype='int64'))
    assert_almost_equal(out, expected([0, 2]))
    outs = [nd.ones((4, 3)), nd.ones((4, 3), ctx=mx.cpu(1))]
    kv.row_sparse_pull(0, out=outs, row_ids=[nd.array([1]), nd.array([3])])
    assert_almost_equal(outs[0], expected([1]))
    assert_almost_equal(outs[1], expected([3]))
    kv.row_sparse_pull(0, out=outs, row_ids=nd.array([1]))     # one row_ids for all
    assert_almost_equal(outs[1], expected([1]))
    with pytest.raises(MXNetError, match=r'row_ids must be integers in \[0, 4\)'):
        kv.row_sparse_pull(0, out=out, row_ids=nd.array([4]))
    with pytest.raises(MXNetError, match='got 3 row_ids for 2 outputs'):
        kv.row_sparse_pull(0, out=outs, row_ids=[nd.array([1])] * 3)


# --------------------------------------------------- compression in 'device' --

def test_device_compression_residual_per_device():
    t = np.float32(0.5)
    kv = kvstore.create('device')
    kv.set_gradient_compression({'type': '2bit', 'threshold': t})
    kv.init(0, nd.zeros((5,)))
    g = np.array([0.3, 0.6, -0.7, 1.2, -0.2], dtype=np.float32)
    residuals = [np.zeros(5, np.float32), np.zeros(5, np.float32)]
    for devices in (2, 2, 1, 2):        # a push from one device uses the first residual
        kv.push(0, [nd.array(g, ctx=c) for c in CTXS[:devices]])
        expected = sum(quantize_by_hand(g, residuals[i], t) for i in range(devices))
        assert_almost_equal(pulled(kv, 0, (5,)), expected)


def test_reduce_sum_copies():
    a = nd.ones((2,))
    total = reduce_sum([a], mx.cpu(0))
    assert total is not a
    total += 1
    assert_almost_equal(a, [1.0, 1.0])


# --------------------------------------------------------- choosing a store --

def test_create_kvstore_rules(monkeypatch):
    big = nd.zeros((1,))
    assert kvstore._create_kvstore(None, 2, {}) == (None, False)
    assert kvstore._create_kvstore('local', 1, {}) == (None, False)
    kv, update = kvstore._create_kvstore('local', 2, {'w': big})
    assert kv.type == 'local' and update
    own = kvstore.create('device')
    assert kvstore._create_kvstore(own, 1, {}) == (own, True)
    monkeypatch.setenv('MXNET_UPDATE_ON_KVSTORE', '0')
    assert not kvstore._create_kvstore('device', 2, {})[1]
    monkeypatch.setattr(kvstore, '_LOCAL_UPDATE_MAX_SIZE', 0)
    monkeypatch.setenv('MXNET_UPDATE_ON_KVSTORE', '1')
    assert not kvstore._create_kvstore('local', 2, {'w': big})[1]
    with pytest.raises(MXNetError, match='kvstore must be a KVStore, a str or None'):
        kvstore._create_kvstore(object(), 2, {})


def test_register_custom_store():
    @kvstore.KVStoreBase.register
    class EchoStore(kvstore.KVStoreBase):
        def __init__(self):
            super().__init__('echostore')
            self.log = []

        def _init(self, key, value):
            self.log.append(('init', key))

        def _push(self, key, values):
            self.log.append(('push', key, len(values)))

        def _pull(self, key, outs):
            for out in outs:
                out[:] = 1

    try:
        kv = kvstore.create('EchoStore')
        kv.init([1, 2], [nd.zeros((1,)), nd.zeros((1,))])
        kv.push(2, [nd.zeros((1,))] * 2)
        assert kv.log == [('init', 1), ('init', 2), ('push', 2, 2)]
        assert pulled(kv, 1, (1,)) == 1
    finally:
        del kvstore.KVStoreBase.kv_registry['echostore']
