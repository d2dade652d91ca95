"""Tests of mxlearn.ndarray.params_file, MXNet's binary NDArray file format.

The fixtures under tests/fixtures/ were written by real MXNet 1.9.1 with
tests/fixtures/make_params_fixture.py; these tests do not need MXNet.
"""

import json
import os
import pathlib
import stat
import struct

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from mxlearn.base import MXNetError
from mxlearn.ndarray import params_file
from mxlearn.ndarray.params_file import read_params, read_params_bytes, write_params

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "mxnet_params_expected.json").read_text())["files"]

DTYPES = ["float32", "float64", "float16", "uint8", "int8", "int32", "int64", "bool"]
FLAGS = {"float32": 0, "float64": 1, "float16": 2, "uint8": 3, "int32": 4,
         "int8": 5, "int64": 6, "bool": 7}
V1, V2, V3 = 0xF993FAC8, 0xF993FAC9, 0xF993FACA


def _sample(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype.startswith("float"):
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)


def _same(got, want):
    """Same dtype, shape and bits (so NaNs compare equal)."""
    want = np.asarray(want)
    return (got.dtype == want.dtype and got.shape == want.shape
            and got.tobytes() == want.tobytes())


# ---- hand-built files -----------------------------------------------------

def _file(records, names=(), count=None):
    head = struct.pack("<QQQ", 0x112, 0, len(records) if count is None else count)
    tail = struct.pack("<Q", len(names))
    for name in names:
        raw = name.encode("utf-8")
        tail += struct.pack("<Q", len(raw)) + raw
    return head + b"".join(records) + tail


def _record(shape, flag=0, data=b"", magic=V2, stype=0):
    out = struct.pack("<IiI", magic, stype, len(shape))
    out += struct.pack("<%dq" % len(shape), *shape)
    return out + struct.pack("<iii", 1, 0, flag) + data


# ---- round trips ----------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1,), (0,), (2, 0, 3), (2, 3, 4), (5,), (3, 2), ()])
def test_round_trip_each_dtype_and_shape(tmp_path, dtype, shape):
    arr = _sample(dtype, shape)
    path = tmp_path / "a.params"
    write_params(path, [arr], names=["x"])
    arrays, names = read_params(path)
    assert names == ["x"]
    assert len(arrays) == 1 and _same(arrays[0], arr)


@settings(deadline=None, max_examples=150)
@given(st.lists(hnp.arrays(dtype=st.sampled_from([np.dtype(d) for d in DTYPES]),
                           shape=hnp.array_shapes(min_dims=0, max_dims=4,
                                                  min_side=0, max_side=4)),
                max_size=4),
       st.booleans(), st.data())
def test_round_trip_hypothesis(tmp_path_factory, arrays, named, data):
    names = None
    if named:
        names = data.draw(st.lists(st.text(max_size=8), min_size=len(arrays),
                                   max_size=len(arrays), unique=True))
    path = tmp_path_factory.mktemp("rt") / "h.params"
    write_params(path, arrays, names=names)
    got, got_names = read_params(path)
    assert got_names == (names or [])
    assert len(got) == len(arrays)
    for g, a in zip(got, arrays):
        assert _same(g, a)
    # reading the bytes directly gives the same thing
    again, again_names = read_params_bytes(path.read_bytes())
    assert again_names == got_names
    assert all(_same(x, y) for x, y in zip(again, got))


def test_list_versus_dict(tmp_path):
    arrays = [np.arange(3, dtype=np.int32), np.ones((2, 2), np.float64)]
    write_params(tmp_path / "list", arrays)
    got, names = read_params(tmp_path / "list")
    assert names == [] and all(_same(g, a) for g, a in zip(got, arrays))

    write_params(tmp_path / "dict", arrays, names=["a", "b"])
    got, names = read_params(tmp_path / "dict")
    assert names == ["a", "b"] and all(_same(g, a) for g, a in zip(got, arrays))

    write_params(tmp_path / "mapping", {"a": arrays[0], "b": arrays[1]})
    assert (tmp_path / "mapping").read_bytes() == (tmp_path / "dict").read_bytes()


def test_empty_list(tmp_path):
    write_params(tmp_path / "e", [])
    assert read_params(str(tmp_path / "e")) == ([], [])
    assert (tmp_path / "e").read_bytes() == struct.pack("<QQQQ", 0x112, 0, 0, 0)


def test_byte_layout_matches_mxnet(tmp_path):
    """The exact bytes mx.nd.save writes for {'ab': int32 [[1, 2], [3, 4]]}."""
    write_params(tmp_path / "f", [np.array([[1, 2], [3, 4]], np.int32)], names=["ab"])
    want = _file([_record((2, 2), FLAGS["int32"], struct.pack("<4i", 1, 2, 3, 4))],
                 names=["ab"])
    assert (tmp_path / "f").read_bytes() == want


def test_version_choice(tmp_path):
    path = tmp_path / "v"
    write_params(path, [np.zeros((2, 0, 3), np.float32)])
    assert struct.unpack_from("<I", path.read_bytes(), 24)[0] == V2
    write_params(path, [np.ones(2, np.float32), np.float32(1.5)])  # 0-d needs V3
    buf = path.read_bytes()
    assert struct.unpack_from("<I", buf, 24)[0] == V3
    assert buf.count(struct.pack("<I", V3)) == 2  # the whole file is V3
    write_params(path, [np.ones(2, np.float32)], np_shape=True)
    assert struct.unpack_from("<I", path.read_bytes(), 24)[0] == V3
    with pytest.raises(MXNetError, match="np_shape"):
        write_params(path, [np.float32(1.5)], np_shape=False)


def test_zero_d_v3_layout(tmp_path):
    write_params(tmp_path / "s", [np.array(-3.75, np.float32)])
    assert (tmp_path / "s").read_bytes() == _file(
        [_record((), 0, struct.pack("<f", -3.75), magic=V3)])


def test_non_native_and_non_contiguous_inputs(tmp_path):
    big_endian = np.arange(6, dtype=">i4").reshape(2, 3)
    strided = np.arange(24, dtype=np.float64).reshape(4, 6)[::2, ::3]
    fortran = np.asfortranarray(np.arange(6, dtype=np.int8).reshape(2, 3))
    write_params(tmp_path / "n", [big_endian, strided, fortran, [1.0, 2.0]])
    got, _ = read_params(tmp_path / "n")
    assert _same(got[0], big_endian.astype("<i4"))
    assert _same(got[1], np.ascontiguousarray(strided))
    assert _same(got[2], np.ascontiguousarray(fortran))
    assert _same(got[3], np.array([1.0, 2.0]))


def test_loaded_arrays_are_writable(tmp_path):
    write_params(tmp_path / "w", [np.zeros(3, np.float32)])
    (arr,), _ = read_params(tmp_path / "w")
    arr[0] = 1.0
    assert arr.flags.writeable and arr.flags.c_contiguous


def test_names_utf8_and_empty(tmp_path):
    names = ["é/ünï", "", "net.0.weight"]
    write_params(tmp_path / "u", [np.ones(1, np.float32)] * 3, names=names)
    assert read_params(tmp_path / "u")[1] == names


# ---- files written by MXNet 1.9.1 ------------------------------------------

@pytest.mark.parametrize("fname", sorted(EXPECTED))
def test_loads_mxnet_fixture(fname):
    desc = EXPECTED[fname]
    arrays, names = read_params(FIXTURES / fname)
    if desc["kind"] == "list":
        assert names == []
    else:
        assert names == [entry["name"] for entry in desc["arrays"]]
    assert len(arrays) == len(desc["arrays"])
    for arr, entry in zip(arrays, desc["arrays"]):
        want = np.array(entry["values"], dtype=entry["dtype"]).reshape(entry["shape"])
        assert _same(arr, want), entry


def test_fixture_versions():
    assert struct.unpack_from("<I", (FIXTURES / "mxnet_dict.params").read_bytes(), 24)[0] == V2
    assert struct.unpack_from("<I", (FIXTURES / "mxnet_np.params").read_bytes(), 24)[0] == V3


@pytest.mark.parametrize("fname", sorted(EXPECTED))
def test_rewriting_mxnet_fixture_is_byte_identical(tmp_path, fname):
    arrays, names = read_params(FIXTURES / fname)
    is_v3 = struct.unpack_from("<I", (FIXTURES / fname).read_bytes(), 24)[0] == V3
    write_params(tmp_path / "copy", arrays, names=names or None, np_shape=is_v3)
    assert (tmp_path / "copy").read_bytes() == (FIXTURES / fname).read_bytes()


def test_reads_v1_and_legacy_records():
    v1 = struct.pack("<II", V1, 2) + struct.pack("<2q", 1, 2) + struct.pack("<iii", 1, 0, 0)
    v1 += struct.pack("<2f", 1.5, 2.5)
    legacy = struct.pack("<I", 2) + struct.pack("<2I", 2, 1) + struct.pack("<iii", 1, 0, 4)
    legacy += struct.pack("<2i", 7, 8)
    arrays, names = read_params_bytes(_file([v1, legacy], names=["a", "b"]))
    assert names == ["a", "b"]
    assert _same(arrays[0], np.array([[1.5, 2.5]], np.float32))
    assert _same(arrays[1], np.array([[7], [8]], np.int32))


def test_any_context_is_loaded_on_cpu():
    rec = _record((1,), 0, struct.pack("<f", 3.0)).replace(
        struct.pack("<iii", 1, 0, 0), struct.pack("<iii", 2, 3, 0))  # gpu(3)
    arrays, _ = read_params_bytes(_file([rec]))
    assert _same(arrays[0], np.array([3.0], np.float32))


# ---- malformed files -------------------------------------------------------

def _truncation_sources(tmp_path):
    write_params(tmp_path / "ours.params",
                 [_sample(d, (2, 3)) for d in DTYPES] + [np.float64(2.0)],
                 names=[*DTYPES, "scalar"])
    return [FIXTURES / f for f in sorted(EXPECTED)] + [tmp_path / "ours.params"]


def test_truncated_files_raise_at_every_cut(tmp_path):
    for src in _truncation_sources(tmp_path):
        buf = src.read_bytes()
        cut_file = tmp_path / "cut.params"
        for cut in range(len(buf)):
            cut_file.write_bytes(buf[:cut])
            with pytest.raises(MXNetError) as info:
                read_params(cut_file)
            msg = str(info.value)
            assert "cut.params" in msg and "byte offset" in msg, msg
            assert "truncated" in msg, msg


def test_truncation_message_details():
    buf = _file([_record((4,), 0, b"\0" * 16)])
    with pytest.raises(MXNetError) as info:
        read_params_bytes(buf[:54])
    msg = str(info.value)
    assert "<bytes>: at byte offset 52" in msg
    assert "expected 4 bytes for the type flag of array 0, found 2" in msg


def test_wrong_list_magic(tmp_path):
    path = tmp_path / "bad.params"
    path.write_bytes(struct.pack("<QQQQ", 0x113, 0, 0, 0))
    with pytest.raises(MXNetError, match=r"bad\.params.*offset 0.*0x112.*found 0x113"):
        read_params(path)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    with pytest.raises(MXNetError, match="not an MXNet NDArray file"):
        read_params(path)


def test_wrong_record_magic():
    buf = _file([_record((1,), 0, b"\0" * 4, magic=0xDEADBEEF)])
    with pytest.raises(MXNetError, match=r"offset 24: expected an NDArray magic.*0xDEADBEEF"):
        read_params_bytes(buf)


@pytest.mark.parametrize("stype,label", [(1, "row_sparse"), (2, "csr"), (-1, "undefined")])
def test_sparse_storage_rejected(stype, label):
    buf = _file([_record((1,), 0, b"\0" * 4, stype=stype)])
    with pytest.raises(MXNetError, match=r"offset 28: expected storage type 0.*found %d \(%s\)"
                       % (stype, label)):
        read_params_bytes(buf)


def test_mxnet_csr_header_rejected():
    """The start of what mx.nd.save writes for a 2x2 csr array."""
    buf = struct.pack("<QQQ", 0x112, 0, 1) + struct.pack("<Ii", V2, 2) + b"\0" * 40
    with pytest.raises(MXNetError, match="csr"):
        read_params_bytes(buf)


@pytest.mark.parametrize("flag,label", [(12, "bfloat16"), (8, "int16"), (99, ""), (-1, "")])
def test_unsupported_type_flag(flag, label):
    buf = _file([_record((1,), flag, b"\0" * 8)])
    with pytest.raises(MXNetError, match=r"offset 52: expected a type flag.*found %d" % flag) as info:
        read_params_bytes(buf)
    assert label in str(info.value)


def test_v2_none_record_rejected():
    none = struct.pack("<IiI", V2, 0, 0)  # V2 ndim 0: nothing follows the shape
    with pytest.raises(MXNetError, match="offset 32.*'none' array"):
        read_params_bytes(_file([none]))


def test_negative_dimension_rejected():
    with pytest.raises(MXNetError, match="non-negative dimension.*found -1"):
        read_params_bytes(_file([_record((-1,))]))


def test_trailing_garbage(tmp_path):
    path = tmp_path / "t.params"
    write_params(path, [np.ones(2, np.float32)], names=["a"])
    good = path.read_bytes()
    path.write_bytes(good + b"xyz")
    with pytest.raises(MXNetError, match=r"t\.params.*offset %d.*end of the file.*3 more bytes"
                       % len(good)):
        read_params(path)


def test_name_count_mismatch():
    buf = _file([_record((1,), 0, b"\0" * 4)], names=["a", "b"])
    with pytest.raises(MXNetError, match="name count of 0 or 1.*found 2"):
        read_params_bytes(buf)


def test_huge_counts_do_not_allocate():
    buf = _file([], count=2 ** 62)
    with pytest.raises(MXNetError, match="truncated"):
        read_params_bytes(buf)
    buf = _file([_record((2 ** 40, 2 ** 20), 1)])
    with pytest.raises(MXNetError, match="truncated"):
        read_params_bytes(buf)


def test_bad_utf8_name():
    rec = _record((1,), 0, b"\0" * 4)
    buf = struct.pack("<QQQ", 0x112, 0, 1) + rec + struct.pack("<QQ", 1, 2) + b"\xff\xfe"
    with pytest.raises(MXNetError, match="UTF-8"):
        read_params_bytes(buf)


def test_missing_file(tmp_path):
    with pytest.raises(MXNetError, match="cannot read"):
        read_params(tmp_path / "nope.params")


# ---- writing errors and atomicity -------------------------------------------

def _dir_listing(path):
    return sorted(p.name for p in path.iterdir())


def test_unsupported_dtype_leaves_existing_file(tmp_path):
    path = tmp_path / "model.params"
    write_params(path, [np.ones(3, np.float32)], names=["w"])
    before = path.read_bytes()
    with pytest.raises(MXNetError, match="complex64"):
        write_params(path, [np.ones(2, np.float32), np.ones(2, np.complex64)], names=["a", "b"])
    assert path.read_bytes() == before
    assert _dir_listing(tmp_path) == ["model.params"]


@pytest.mark.parametrize("bad", [np.array(["a"]), np.array([1], dtype=object),
                                 np.array([1], dtype=np.uint16)])
def test_other_unsupported_dtypes(tmp_path, bad):
    with pytest.raises(MXNetError, match=str(bad.dtype)):
        write_params(tmp_path / "x", [bad])
    assert _dir_listing(tmp_path) == []


def test_failure_mid_write_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "model.params"
    write_params(path, [np.ones(3, np.float32)])
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(params_file.os, "replace", broken_replace)
    with pytest.raises(MXNetError, match="No space left"):
        write_params(path, [np.zeros(5, np.int64)])
    assert path.read_bytes() == before
    assert _dir_listing(tmp_path) == ["model.params"]


def test_interrupt_mid_write_cleans_up(tmp_path, monkeypatch):
    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(params_file.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_params(tmp_path / "m", [np.zeros(5, np.int64)])
    assert _dir_listing(tmp_path) == []


def test_unwritable_directory(tmp_path):
    with pytest.raises(MXNetError, match="temporary file"):
        write_params(tmp_path / "missing" / "m.params", [np.zeros(1)])


def test_new_file_mode_follows_umask(tmp_path):
    write_params(tmp_path / "m", [np.zeros(1)])
    (tmp_path / "ref").write_bytes(b"")
    mode = stat.S_IMODE(os.stat(tmp_path / "m").st_mode)
    assert mode == stat.S_IMODE(os.stat(tmp_path / "ref").st_mode)


@pytest.mark.parametrize("names,match", [
    (["a"], "2 arrays but 1 names"),
    (["a", "a"], "duplicate name"),
    (["a", 3], "names must be str"),
    ("ab", "list of str"),
])
def test_bad_names(tmp_path, names, match):
    with pytest.raises(MXNetError, match=match):
        write_params(tmp_path / "n", [np.zeros(1), np.zeros(2)], names=names)
    assert _dir_listing(tmp_path) == []


def test_dict_and_names_together(tmp_path):
    with pytest.raises(MXNetError, match="not both"):
        write_params(tmp_path / "n", {"a": np.zeros(1)}, names=["a"])
