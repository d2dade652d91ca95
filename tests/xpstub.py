"""A stand-in for CuPy, built on numpy, to run mxlearn's GPU code paths on a CPU.

Installed as the modules ``cupy`` and ``cupyx`` (see :func:`installed`), it
makes ``mx.gpu(0)`` a device whose arrays are :class:`StubArray`: numpy
arrays in a wrapper that keeps CuPy's rules about mixing with numpy, so that
a test run on it fails where the same code would fail on a real GPU:

- no implicit conversion to numpy: ``numpy.asarray(a)``, ``numpy.array(a)``
  and every numpy function CuPy does not implement raise TypeError, as they
  do on a ``cupy.ndarray`` (``a.get()`` and ``cupy.asnumpy(a)`` are the ways
  out; numpy functions CuPy *does* implement dispatch to it, as with CuPy's
  ``__array_function__``);
- no numpy arrays as operands: ``a + numpy_array`` and ``cupy.f(numpy_array)``
  raise TypeError (``cupy.asarray``/``array``/``asanyarray`` excepted), which
  catches a numpy temporary created on the GPU path (``numpy.zeros``,
  ``numpy.arange``, a numpy index table);
- only what CuPy has: module functions missing from CuPy (``NOT_IN_CUPY``,
  read from CuPy 14.2) and ``ndarray`` attributes missing from
  ``cupy.ndarray`` (``ctypes``, ``resize``, ``setflags``, ...) raise
  AttributeError;
- reductions and integer indexing give 0-d arrays, not numpy scalars;
- ``sort`` and ``argsort`` are stable, as CuPy's always are.

The module is *not* named ``cupy`` (``mxlearn.gpu_kernels.is_cupy`` is False for it),
so the operators take their portable ``xp`` reference paths rather than the
CUDA kernels of ``mxlearn.gpu_kernels``: the stub tests that every ``xp`` path is
CuPy-clean and that the device plumbing (contexts, transfers, per-device
random generators, save and load) works; the kernels themselves need a GPU.
"""
import contextlib
import sys
import types

import numpy

# numpy functions and types that CuPy 14.2 does not have (from comparing the
# two namespaces); calling one on the GPU path fails there.
NOT_IN_CUPY = frozenset('''
    asmatrix block bmat busday_count busday_offset busdaycalendar bytes_ character
    clongdouble complex256 datetime64 datetime_as_string datetime_data einsum_path errstate
    flexible float128 frompyfunc fromregex geomspace get_include getbufsize geterr
    geterrcall histogram_bin_edges info insert is_busday isnat longdouble matrix matvec
    memmap nanpercentile nanquantile ndenumerate nditer nested_iters object_ polyder
    polydiv polyint recarray record setbufsize seterr seterrcall show_runtime spacing str_
    test timedelta64 unstack vecdot vecmat void
'''.split())

# The public attributes of cupy.ndarray (CuPy 14.2) that numpy's ndarray shares.
NDARRAY_ATTRS = frozenset('''
    T all any argmax argmin argpartition argsort astype base byteswap choose clip compress
    conj conjugate copy cumprod cumsum diagonal dot dtype dump dumps fill flags flat flatten
    imag item itemsize mT max mean min nbytes ndim nonzero partition prod ptp put ravel real
    repeat reshape round searchsorted shape size sort squeeze std strides sum swapaxes take
    tobytes tofile tolist trace transpose var view
'''.split())

# CuPy functions that accept numpy arrays (they copy them to the device).
_ACCEPT_NUMPY = frozenset(['asarray', 'array', 'asanyarray'])

# CuPy sorts stably whatever ``kind`` says (numpy's default quicksort does not).
_STABLE = frozenset(['sort', 'argsort'])


def _unwrap(x, accept_numpy=False):
    if type(x) is StubArray:
        return x._a
    if isinstance(x, numpy.ndarray) and not accept_numpy:
        raise TypeError('Unsupported type %r (a numpy array where CuPy needs a '
                        'cupy.ndarray)' % (type(x),))
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v, accept_numpy) for v in x)
    return x


def _wrap(r):
    if isinstance(r, numpy.ndarray):
        return StubArray(r)
    if isinstance(r, numpy.generic):
        return StubArray(numpy.asarray(r))
    if isinstance(r, (tuple, list)):
        return type(r)(_wrap(v) for v in r)
    return r


def _call(fn, args, kwargs, accept_numpy=False):
    args = _unwrap(args, accept_numpy)
    kwargs = {k: _unwrap(v, accept_numpy) for k, v in kwargs.items()}
    return _wrap(fn(*args, **kwargs))


def _binary(ufunc, reflected=False):
    def op(self, other):
        if isinstance(other, numpy.ndarray):
            return NotImplemented
        return _call(ufunc, (other, self) if reflected else (self, other), {})
    return op


def _inplace(ufunc):
    def op(self, other):
        ufunc(self._a, _unwrap(other), out=self._a)
        return self
    return op


class StubArray:
    """A numpy array behaving, towards numpy, like a ``cupy.ndarray``."""
    __slots__ = ('_a',)
    __hash__ = None

    def __init__(self, a):
        self._a = a

    def __array__(self, dtype=None, copy=None):
        raise TypeError('Implicit conversion to a NumPy array is not allowed. Please use '
                        '`.get()` to construct a NumPy array explicitly.')

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if any(isinstance(x, numpy.ndarray) for x in inputs):
            return NotImplemented
        return _call(getattr(ufunc, method), inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if func.__name__ in NOT_IN_CUPY:
            return NotImplemented
        home = cupy.linalg if 'linalg' in (func.__module__ or '') else cupy
        stub = getattr(home, func.__name__, None)
        if stub is None:
            return NotImplemented
        return stub(*args, **kwargs)

    def __getattr__(self, name):
        if name not in NDARRAY_ATTRS:
            raise AttributeError("'cupy.ndarray' object has no attribute %r" % name)
        value = getattr(self._a, name)
        if name in _STABLE:
            return lambda axis=-1, kind=None: _call(value, (axis,), {'kind': 'stable'})
        if callable(value):
            return lambda *args, **kwargs: _call(value, args, kwargs)
        return _wrap(value) if name in ('T', 'mT', 'real', 'imag', 'base') else value

    # CuPy's own methods
    def get(self, stream=None, order='C', out=None):
        """A numpy copy (the device-to-host transfer)."""
        return numpy.array(self._a, copy=True, order=order)

    def set(self, arr):
        self._a[...] = arr

    @property
    def device(self):
        return cuda.Device(0)

    def __getitem__(self, key):
        return _wrap(self._a[_unwrap(key, accept_numpy=True)])

    def __setitem__(self, key, value):
        self._a[_unwrap(key, accept_numpy=True)] = _unwrap(value, accept_numpy=True)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (_wrap(row) for row in self._a)

    def __repr__(self):
        return 'array(%s, device=stub)' % (numpy.array2string(self._a),)

    def __bool__(self):
        return bool(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __index__(self):
        return self._a.__index__()

    def __complex__(self):
        return complex(self._a)

    def __format__(self, spec):
        return format(self._a, spec)

    def __copy__(self):
        return StubArray(self._a.copy())

    def __deepcopy__(self, memo):
        return StubArray(self._a.copy())

    def __reduce__(self):
        return StubArray, (self._a,)

    def __neg__(self):
        return StubArray(-self._a)

    def __pos__(self):
        return StubArray(+self._a)

    def __abs__(self):
        return StubArray(abs(self._a))

    def __invert__(self):
        return StubArray(~self._a)


for _name, _ufunc in (('add', numpy.add), ('sub', numpy.subtract), ('mul', numpy.multiply),
                      ('truediv', numpy.true_divide), ('floordiv', numpy.floor_divide),
                      ('mod', numpy.remainder), ('pow', numpy.power),
                      ('matmul', numpy.matmul), ('and', numpy.bitwise_and),
                      ('or', numpy.bitwise_or), ('xor', numpy.bitwise_xor),
                      ('lshift', numpy.left_shift), ('rshift', numpy.right_shift)):
    setattr(StubArray, '__%s__' % _name, _binary(_ufunc))
    setattr(StubArray, '__r%s__' % _name, _binary(_ufunc, reflected=True))
    setattr(StubArray, '__i%s__' % _name, _inplace(_ufunc))
for _name, _ufunc in (('eq', numpy.equal), ('ne', numpy.not_equal), ('lt', numpy.less),
                      ('le', numpy.less_equal), ('gt', numpy.greater),
                      ('ge', numpy.greater_equal)):
    setattr(StubArray, '__%s__' % _name, _binary(_ufunc))


class _Ufunc:
    """A numpy ufunc taking and giving StubArrays."""

    def __init__(self, ufunc):
        self._u = ufunc
        self.__name__ = ufunc.__name__
        self.nin, self.nout, self.nargs = ufunc.nin, ufunc.nout, ufunc.nargs

    def __call__(self, *args, **kwargs):
        return _call(self._u, args, kwargs)

    def __getattr__(self, method):
        if method not in ('reduce', 'accumulate', 'reduceat', 'outer', 'at'):
            raise AttributeError(method)
        fn = getattr(self._u, method)
        return lambda *args, **kwargs: _call(fn, args, kwargs)


class _Namespace(types.ModuleType):
    """A module whose attributes are ``source``'s, wrapped to take and give StubArrays."""

    def __init__(self, name, source, excluded=frozenset(), allowed=None):
        super().__init__(name)
        self._source, self._excluded, self._allowed = source, excluded, allowed

    def __getattr__(self, name):
        if name.startswith('__') or name in self._excluded or (
                self._allowed is not None and name not in self._allowed):
            raise AttributeError('module %r has no attribute %r' % (self.__name__, name))
        obj = getattr(self._source, name)
        if isinstance(obj, numpy.ufunc):
            obj = _Ufunc(obj)
        elif name in _STABLE:
            fn = obj
            obj = lambda a, axis=-1, kind=None: _call(fn, (a, axis), {'kind': 'stable'})  # noqa
        elif callable(obj) and not isinstance(obj, type):
            fn, accept = obj, name in _ACCEPT_NUMPY
            obj = lambda *args, **kwargs: _call(fn, args, kwargs, accept)  # noqa: E731
            obj.__name__ = name
        setattr(self, name, obj)
        return obj


# ------------------------------------------------------------- cupy.cuda --

class _Device:
    def __init__(self, device=0):
        self.id = int(device)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def synchronize(self):
        pass

    compute_capability = '90'


class _Stream:
    def synchronize(self):
        pass


class _MemoryPool:
    def free_all_blocks(self):
        pass

    def used_bytes(self):
        return 0


cuda = types.SimpleNamespace(
    Device=_Device,
    Stream=types.SimpleNamespace(null=_Stream()),
    runtime=types.SimpleNamespace(getDeviceCount=lambda: 1),
)


class _RandomState:
    """cupy.random.RandomState over numpy's, giving StubArrays (float64 unless ``dtype``)."""

    def __init__(self, seed=None):
        self._rs = numpy.random.RandomState(seed % (1 << 32) if seed is not None else None)

    def __getattr__(self, name):
        fn = getattr(self._rs, name)

        def draw(*args, dtype=None, **kwargs):
            out = fn(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()})
            out = numpy.asarray(out)
            return StubArray(out if dtype is None else out.astype(dtype))
        return draw


# ---------------------------------------------------------- the modules --

cupy = _Namespace('xpstub', numpy, excluded=NOT_IN_CUPY)
cupy.ndarray = StubArray
cupy.cuda = cuda
cupy.linalg = _Namespace('xpstub.linalg', numpy.linalg, allowed=frozenset(
    'cholesky cond det eig eigh eigvals eigvalsh inv lstsq matrix_power matrix_rank norm '
    'pinv qr slogdet solve svd tensorinv tensorsolve LinAlgError'.split()))
cupy.random = types.SimpleNamespace(RandomState=_RandomState)
cupy.get_default_memory_pool = _MemoryPool
cupy.asnumpy = lambda a, stream=None: a.get() if isinstance(a, StubArray) else numpy.asarray(a)
cupy.get_array_module = lambda *arrays: cupy if any(
    isinstance(a, StubArray) for a in arrays) else numpy


def _scatter_add(a, slices, value):
    numpy.add.at(a._a, _unwrap(slices, accept_numpy=True), _unwrap(value))


def _special():
    from mxlearn._ext import special

    def wrapped(name):
        return lambda *args: _call(getattr(special, name), args, {})
    names = ('erf', 'erfinv', 'gamma', 'gammaln', 'digamma')
    module = types.SimpleNamespace(**{n: wrapped(n) for n in names})
    module.polygamma = lambda n, x: _call(special.trigamma, (x,), {}) if n == 1 else None
    return module


cupyx = types.ModuleType('xpstubx')
cupyx.scatter_add = _scatter_add
cupyx.scipy = types.SimpleNamespace(special=None)


@contextlib.contextmanager
def installed():
    """Make ``import cupy`` / ``import cupyx`` give the stub inside the block.

    Afterwards the modules are removed again and the random generators of GPU
    contexts forgotten, so that nothing of the stub outlives the block.
    """
    from mxlearn.operator import random as op_random
    cupyx.scipy.special = _special()
    saved = {n: sys.modules.get(n) for n in ('cupy', 'cupyx', 'cupyx.scipy',
                                            'cupyx.scipy.special')}
    sys.modules.update({'cupy': cupy, 'cupyx': cupyx, 'cupyx.scipy': cupyx.scipy,
                        'cupyx.scipy.special': cupyx.scipy.special})
    try:
        yield cupy
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        for ctx in [c for c in op_random._GENERATORS if c.device_type == 'gpu']:
            del op_random._GENERATORS[ctx]


def real_cupy_available():
    """Whether a real CuPy can be imported (then the stub is not used)."""
    try:
        import cupy as real  # noqa: F401
    except ImportError:
        return False
    return real is not cupy
