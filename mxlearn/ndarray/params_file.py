"""Read and write Apache MXNet's binary NDArray file format in pure numpy.

This is the format of ``mx.nd.save`` / ``mx.nd.load`` and of Gluon ``.params``
files.  Everything is little-endian; the layout below was worked out by saving
files with MXNet 1.9.1, dumping their bytes, and checking that MXNet loads
files that were built by hand::

    file    := uint64 0x112                  list magic
               uint64 reserved               written as 0, ignored when read
               uint64 count                  number of arrays
               record * count
               uint64 name_count             0 (saved from a list) or count
               name * name_count
    name    := uint64 length, then length bytes of UTF-8

    record (V2, magic 0xF993FAC9, MXNet's default; V3, magic 0xF993FACA,
    written under numpy-shape semantics, e.g. by ``mx.npx.save``):
               uint32 magic
               int32  storage type           0 = dense (1 row_sparse, 2 csr)
               uint32 ndim, then int64 * ndim dims
               int32  dev_type, int32 dev_id (1, 0 = cpu(0))
               int32  type flag              see ``_FLAG_TO_DTYPE``
               raw element data, C order, prod(dims) * itemsize bytes

    In V2 ``ndim == 0`` marks a "none" array (nothing follows the shape); in
    V3 ``ndim == 0`` is a 0-d array holding one element.  V2 can hold
    zero-size shapes such as ``(2, 0, 3)``.

    record (V1, magic 0xF993FAC8): uint32 magic, uint32 ndim, int64 dims,
    context, type flag, data (no storage type).
    record (legacy, no magic): uint32 ndim, uint32 dims, context, type flag,
    data; the uint32 that would hold the magic is the ndim.

MXNet refuses to load V3 records unless numpy-shape semantics are on, and V2
records while they are on for the current thread only (``mx.npx.set_np()``),
so a file keeps to one version: :func:`write_params`
writes V2 unless a 0-d array forces V3.
"""

import os
import stat
import struct
import tempfile
from collections.abc import Mapping

import numpy as np

from ..base import MXNetError

__all__ = ["write_params", "read_params", "read_params_bytes"]

_LIST_MAGIC = 0x112
_V1_MAGIC = 0xF993FAC8
_V2_MAGIC = 0xF993FAC9
_V3_MAGIC = 0xF993FACA
# Legacy records have no magic: the first uint32 is the ndim.  Anything
# larger than this is reported as a bad magic rather than read as an ndim.
_LEGACY_MAX_NDIM = 32

_CPU_DEV_TYPE = 1
_DENSE = 0
_STORAGE_NAMES = {-1: "undefined", 0: "default (dense)", 1: "row_sparse", 2: "csr"}

# mshadow type flags supported by MXNet 1.9.1 NDArrays.
_FLAG_TO_DTYPE = {
    0: np.dtype("<f4"),
    1: np.dtype("<f8"),
    2: np.dtype("<f2"),
    3: np.dtype("u1"),
    4: np.dtype("<i4"),
    5: np.dtype("i1"),
    6: np.dtype("<i8"),
    7: np.dtype("?"),
}
_UNSUPPORTED_FLAGS = {8: "int16", 9: "uint16", 10: "uint32", 11: "uint64", 12: "bfloat16"}

_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")
_U64 = struct.Struct("<Q")


def _flag_for_dtype(dtype):
    """Return the type flag for ``dtype`` or ``None`` when MXNet has none."""
    for flag, candidate in _FLAG_TO_DTYPE.items():
        if dtype.kind == candidate.kind and dtype.itemsize == candidate.itemsize:
            return flag
    return None


def _supported_dtype_names():
    return ", ".join(str(d.newbyteorder("=")) for d in _FLAG_TO_DTYPE.values())


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------

def _prepare(arrays, names):
    """Validate the inputs; return ``(arrays, flags, encoded_names)``."""
    if isinstance(arrays, Mapping):
        if names is not None:
            raise MXNetError("write_params: pass either a dict of arrays or "
                             "a list of arrays with names=, not both")
        names = list(arrays.keys())
        arrays = list(arrays.values())
    elif isinstance(arrays, (str, bytes)) or not hasattr(arrays, "__len__"):
        raise MXNetError("write_params: arrays must be a list of arrays, got %s"
                         % type(arrays).__name__)
    prepared, flags = [], []
    for i, arr in enumerate(arrays):
        arr = np.asarray(arr)
        flag = _flag_for_dtype(arr.dtype)
        if flag is None:
            raise MXNetError(
                "write_params: array %d has dtype %s, which the MXNet NDArray "
                "format cannot store; supported dtypes are %s"
                % (i, arr.dtype, _supported_dtype_names()))
        # Little-endian and C-contiguous, copying only where needed (not
        # np.ascontiguousarray: before numpy 2 it turns 0-d arrays into 1-d).
        prepared.append(arr.astype(_FLAG_TO_DTYPE[flag], order="C", copy=False))
        flags.append(flag)
    encoded = []
    if names is not None:
        if isinstance(names, (str, bytes)):
            raise MXNetError("write_params: names must be a list of str, got %s"
                             % type(names).__name__)
        names = list(names)
        if len(names) != len(prepared):
            raise MXNetError("write_params: got %d arrays but %d names"
                             % (len(prepared), len(names)))
        seen = set()
        for name in names:
            if not isinstance(name, str):
                raise MXNetError("write_params: names must be str, got %r" % (name,))
            if name in seen:
                raise MXNetError("write_params: duplicate name %r" % name)
            seen.add(name)
            encoded.append(name.encode("utf-8"))
    return prepared, flags, encoded


def _record_header(magic, arr, flag):
    parts = [_U32.pack(magic), _I32.pack(_DENSE), _U32.pack(arr.ndim)]
    parts.append(struct.pack("<%dq" % arr.ndim, *arr.shape))
    parts.append(struct.pack("<iii", _CPU_DEV_TYPE, 0, flag))
    return b"".join(parts)


def _chunks(arrays, flags, names, np_shape):
    """Yield the file's bytes piece by piece (array data is not copied)."""
    magic = _V3_MAGIC if np_shape else _V2_MAGIC
    yield struct.pack("<QQQ", _LIST_MAGIC, 0, len(arrays))
    for arr, flag in zip(arrays, flags):
        yield _record_header(magic, arr, flag)
        if arr.size:
            yield memoryview(arr).cast("B")
    yield _U64.pack(len(names))
    for name in names:
        yield _U64.pack(len(name))
        yield name


def _umask():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_params(fname, arrays, names=None, np_shape=None):
    """Save dense arrays to ``fname`` in MXNet's binary NDArray format.

    The file is written to a temporary file in the same directory and then
    moved into place, so ``fname`` is either left as it was or replaced whole.

    Parameters
    ----------
    fname : str or os.PathLike
        Path of the file to write.
    arrays : list of numpy.ndarray or dict of str to numpy.ndarray
        Dense arrays of dtype float32, float64, float16, uint8, int8, int32,
        int64 or bool.  A dict is the same as ``list(arrays.values())`` with
        ``names=list(arrays.keys())``.
    names : list of str, optional
        One unique name per array, as ``mx.nd.save`` writes for a dict.
        ``None`` (the default) saves an unnamed list.
    np_shape : bool, optional
        ``False`` writes V2 records (what MXNet writes by default), ``True``
        writes V3 records (what MXNet writes under numpy-shape semantics, e.g.
        ``mx.npx.save``).  ``None`` (the default) writes V2 unless an array is
        0-d, which only V3 can hold.

    Raises
    ------
    MXNetError
        If a dtype is not supported, the names do not match the arrays,
        ``np_shape=False`` is asked for with a 0-d array, or writing fails.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from mxlearn.ndarray.params_file import write_params, read_params
    >>> path = os.path.join(tempfile.mkdtemp(), "net.params")
    >>> write_params(path, [np.ones((2, 3), np.float32)], names=["weight"])
    >>> arrays, names = read_params(path)
    >>> names, arrays[0].shape
    (['weight'], (2, 3))
    """
    prepared, flags, encoded = _prepare(arrays, names)
    has_0d = any(arr.ndim == 0 for arr in prepared)
    if np_shape is None:
        np_shape = has_0d
    elif not np_shape and has_0d:
        raise MXNetError("write_params: 0-d arrays need np_shape=True (V3 records); "
                         "V2 records read ndim 0 as a 'none' array")
    fname = os.fspath(fname)
    directory = os.path.dirname(os.path.abspath(fname))
    try:
        fd, tmp = tempfile.mkstemp(dir=directory,
                                   prefix=os.path.basename(fname) + ".tmp")
    except OSError as e:
        raise MXNetError("write_params: cannot create a temporary file in %r: %s"
                         % (directory, e)) from e
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in _chunks(prepared, flags, encoded, np_shape):
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        try:
            mode = stat.S_IMODE(os.stat(fname).st_mode)
        except OSError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, fname)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise MXNetError("write_params: cannot write %r: %s" % (fname, e)) from e
        raise


# --------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------

class _Reader:
    """Cursor over a byte buffer that reports errors with the byte offset."""

    def __init__(self, buf, source):
        self.buf = memoryview(buf).cast("B")
        self.pos = 0
        self.source = source

    def fail(self, offset, message):
        raise MXNetError("%s: at byte offset %d: %s" % (self.source, offset, message))

    def take(self, nbytes, what):
        start = self.pos
        left = len(self.buf) - start
        if nbytes > left:
            self.fail(start, "truncated file: expected %d bytes for %s, found %d"
                      % (nbytes, what, left))
        self.pos = start + nbytes
        return self.buf[start:self.pos]

    def unpack(self, fmt, what):
        return fmt.unpack(self.take(fmt.size, what))[0]

    def dims(self, ndim, code, size, what):
        start = self.pos
        shape = struct.unpack("<%d%s" % (ndim, code), self.take(ndim * size, what))
        for i, d in enumerate(shape):
            if d < 0:
                self.fail(start + i * size,
                          "expected a non-negative dimension in %s, found %d" % (what, d))
        return tuple(shape)


def _read_record(r, index):
    start = r.pos
    what = "array %d" % index
    magic = r.unpack(_U32, "the magic number of " + what)
    if magic in (_V2_MAGIC, _V3_MAGIC):
        stype_at = r.pos
        stype = r.unpack(_I32, "the storage type of " + what)
        if stype != _DENSE:
            r.fail(stype_at, "expected storage type 0 (dense) for %s, found %d (%s); "
                   "only dense arrays are supported"
                   % (what, stype, _STORAGE_NAMES.get(stype, "unknown")))
        ndim_at = r.pos
        ndim = r.unpack(_U32, "the ndim of " + what)
        shape = r.dims(ndim, "q", 8, "the shape of " + what)
        if ndim == 0 and magic == _V2_MAGIC:
            r.fail(ndim_at, "expected ndim >= 1 in V2 record %s, found 0 (a 'none' "
                   "array with no data, which is not supported)" % what)
    elif magic == _V1_MAGIC or magic <= _LEGACY_MAX_NDIM:
        version = "V1" if magic == _V1_MAGIC else "legacy"
        ndim_at = start
        if magic == _V1_MAGIC:
            ndim_at = r.pos
            ndim = r.unpack(_U32, "the ndim of " + what)
            shape = r.dims(ndim, "q", 8, "the shape of " + what)
        else:
            ndim = magic
            shape = r.dims(ndim, "I", 4, "the shape of " + what)
        if ndim == 0:
            r.fail(ndim_at, "expected ndim >= 1 in %s record %s, found 0 (unknown "
                   "shape, not supported)" % (version, what))
    else:
        r.fail(start, "expected an NDArray magic number (0x%X for V2, 0x%X for V3, "
               "0x%X for V1, or a legacy ndim <= %d) for %s, found 0x%X"
               % (_V2_MAGIC, _V3_MAGIC, _V1_MAGIC, _LEGACY_MAX_NDIM, what, magic))
    r.take(8, "the context (dev_type, dev_id) of " + what)
    flag_at = r.pos
    flag = r.unpack(_I32, "the type flag of " + what)
    dtype = _FLAG_TO_DTYPE.get(flag)
    if dtype is None:
        r.fail(flag_at, "expected a type flag in 0..7 (%s) for %s, found %d%s"
               % (_supported_dtype_names(), what, flag,
                  " (%s, not supported)" % _UNSUPPORTED_FLAGS[flag]
                  if flag in _UNSUPPORTED_FLAGS else ""))
    count = 1
    for d in shape:
        count *= d
    data = r.take(count * dtype.itemsize, "the %s data of %s with shape %s"
                  % (dtype.newbyteorder("="), what, shape))
    arr = np.frombuffer(data, dtype=dtype).reshape(shape)
    return arr.astype(dtype.newbyteorder("="), copy=True)


def read_params_bytes(buf, source="<bytes>"):
    """Parse the bytes of an MXNet NDArray file.

    Parameters
    ----------
    buf : bytes-like
        The whole content of the file.
    source : str, optional
        How error messages refer to the data (:func:`read_params` passes the
        file name).

    Returns
    -------
    arrays : list of numpy.ndarray
        The arrays in file order, each a writable native-byte-order copy.
    names : list of str
        The name of each array, or an empty list when the file was saved from
        a list.

    Raises
    ------
    MXNetError
        If the data is truncated, has a wrong magic number, a sparse array,
        an unsupported type flag, or bytes after the end; the message names
        the source, the byte offset, and what was expected and found.

    Examples
    --------
    >>> import struct
    >>> from mxlearn.ndarray.params_file import read_params_bytes
    >>> buf = (struct.pack("<QQQ", 0x112, 0, 1)
    ...        + struct.pack("<IiIq", 0xF993FAC9, 0, 1, 2)  # dense, shape (2,)
    ...        + struct.pack("<iii", 1, 0, 4)                # cpu(0), int32
    ...        + struct.pack("<2i", 7, 8)                    # data
    ...        + struct.pack("<Q", 0))                       # no names
    >>> arrays, names = read_params_bytes(buf)
    >>> arrays[0].tolist(), names
    ([7, 8], [])
    """
    r = _Reader(buf, source)
    header = r.unpack(_U64, "the list magic number")
    if header != _LIST_MAGIC:
        r.fail(0, "expected the NDArray list magic number 0x%X, found 0x%X; "
               "this is not an MXNet NDArray file" % (_LIST_MAGIC, header))
    r.unpack(_U64, "the reserved field")
    count_at = r.pos
    count = r.unpack(_U64, "the array count")
    if count * 4 > len(r.buf) - r.pos:
        r.fail(count_at, "truncated file: the header announces %d arrays but only "
               "%d bytes follow" % (count, len(r.buf) - r.pos))
    arrays = [_read_record(r, i) for i in range(count)]
    names_at = r.pos
    name_count = r.unpack(_U64, "the name count")
    if name_count not in (0, count):
        r.fail(names_at, "expected a name count of 0 or %d (the array count), found %d"
               % (count, name_count))
    names = []
    for i in range(name_count):
        length = r.unpack(_U64, "the length of name %d" % i)
        at = r.pos
        raw = r.take(length, "name %d" % i)
        try:
            names.append(bytes(raw).decode("utf-8"))
        except UnicodeDecodeError as e:
            r.fail(at, "expected name %d to be UTF-8: %s" % (i, e))
    if r.pos != len(r.buf):
        r.fail(r.pos, "expected the end of the file, found %d more bytes"
               % (len(r.buf) - r.pos))
    return arrays, names


def read_params(fname):
    """Load the arrays saved in an MXNet NDArray file (``mx.nd.save``, ``.params``).

    Parameters
    ----------
    fname : str or os.PathLike
        Path of the file to read.

    Returns
    -------
    arrays : list of numpy.ndarray
        The arrays in file order.
    names : list of str
        The name of each array, or an empty list when the file was saved from
        a list.

    Raises
    ------
    MXNetError
        If the file cannot be read or is not a valid dense NDArray file; see
        :func:`read_params_bytes`.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from mxlearn.ndarray.params_file import write_params, read_params
    >>> path = os.path.join(tempfile.mkdtemp(), "list.nd")
    >>> write_params(path, [np.arange(3, dtype=np.int64)])
    >>> arrays, names = read_params(path)
    >>> arrays[0].tolist(), names
    ([0, 1, 2], [])
    """
    fname = os.fspath(fname)
    try:
        with open(fname, "rb") as f:
            buf = f.read()
    except OSError as e:
        raise MXNetError("read_params: cannot read %r: %s" % (fname, e)) from e
    return read_params_bytes(buf, source=repr(fname))
