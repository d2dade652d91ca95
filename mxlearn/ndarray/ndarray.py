"""The NDArray: MXNet's n-dimensional array, with its methods.

The state (data, context, place on the autograd tape) and the Python operators
live in the compiled base class ``mxlearn._ext.core.NDArrayBase``; this file adds
the readable methods. Every computation goes through an operator of the
registry, so it is recorded by autograd and fails with the same clear errors.
"""
import numpy as np

from .._ext import core
from .._ext.core import NDArrayBase, invoke
from ..base import MXNetError
from ..context import Context, current_context

_GRAD_REQ = {'null': 0, 'write': 1, 'add': 2}
_nd = None   # the mx.nd namespace, bound at the end of mxlearn.ndarray's import


def np_dtype(dtype, default=np.float32):
    """Normalise a dtype given as a string, numpy type or dtype to ``numpy.dtype``.

    Examples
    --------
    >>> np_dtype('float16')
    dtype('float16')
    """
    if dtype is None:
        return np.dtype(default)
    try:
        return np.dtype(dtype)
    except TypeError:
        raise MXNetError('unknown dtype %r' % (dtype,)) from None


def _to_numpy(data):
    return data if isinstance(data, np.ndarray) else data.get()


def _index_key(key, xp):
    """Translate an MXNet index (ints, slices, None, ..., NDArrays, lists) for ``xp``."""
    def convert(k):
        if isinstance(k, NDArrayBase):
            return k._data.astype('int64')
        if isinstance(k, (list, np.ndarray)):
            return xp.asarray(k).astype('int64') if not isinstance(k, np.ndarray) or \
                k.dtype != bool else xp.asarray(k)
        return k
    if isinstance(key, tuple):
        return tuple(convert(k) for k in key)
    return convert(key)


def _is_view_key(key):
    # MXNet returns a view only for a contiguous block along the first axis:
    # an integer or a step-1 slice there, and nothing on the other axes.
    if isinstance(key, tuple):
        if len(key) != 1:
            return False
        key = key[0]
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        return True
    return isinstance(key, slice) and key.step in (None, 1)


class NDArray(NDArrayBase):
    """An n-dimensional array on a device, as in Apache MXNet 1.x.

    Create one with ``mx.nd.array``, ``mx.nd.zeros`` and friends rather than
    with this class. Arithmetic broadcasts, comparisons give 1/0 in the input
    dtype, and no result is 0-dimensional: a full reduction has shape ``(1,)``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[1, 2, 3], [4, 5, 6]])
    >>> x
    <BLANKLINE>
    [[1. 2. 3.]
     [4. 5. 6.]]
    <NDArray 2x3 @cpu(0)>
    >>> (x * 2 + 1).sum().asscalar()
    48.0
    """
    __slots__ = ()

    # ---------------------------------------------------------- inspection --
    @property
    def T(self):
        """The transpose (axes reversed); a 1-d array is its own transpose, as in MXNet."""
        if self.ndim < 2:
            return self
        return self.transpose()

    @property
    def stype(self):
        """Storage type; mxlearn arrays are always 'default' (dense)."""
        return 'default'

    @property
    def handle(self):
        """The underlying device array (numpy or CuPy); MXNet's C handle stands here."""
        return self._data

    def __repr__(self):
        shape = 'x'.join(str(d) for d in self.shape)
        return '\n%s\n<%s %s @%s>' % (self.asnumpy(), type(self).__name__, shape, self.context)

    def __str__(self):
        return self.__repr__()

    def __len__(self):
        return self.shape[0]

    def __iter__(self):
        for i in range(self.shape[0]):
            yield self[i]

    def __bool__(self):
        size = self.size
        if size == 1:
            return bool(self._data.reshape(-1)[0])
        if size == 0:
            return False
        raise ValueError('The truth value of an NDArray with multiple elements '
                         'is ambiguous.')

    def __float__(self):
        return float(self.asscalar())

    def __int__(self):
        return int(self.asscalar())

    def __array__(self, dtype=None, copy=None):
        out = self.asnumpy()
        return out if dtype is None else out.astype(dtype)

    def __reduce__(self):
        return (_rebuild, (self.asnumpy(), self.context))

    # ------------------------------------------------------- conversions --
    def asnumpy(self):
        """A numpy copy of the array.

        Examples
        --------
        >>> import mxlearn as mx
        >>> mx.nd.ones((2,)).asnumpy()
        array([1., 1.], dtype=float32)
        """
        return np.array(_to_numpy(self._data), copy=True)

    def asscalar(self):
        """The value of a one-element array as a numpy scalar.

        Examples
        --------
        >>> import mxlearn as mx
        >>> mx.nd.array([3]).asscalar()
        3.0
        """
        if self.size != 1:
            raise MXNetError('asscalar: the array has shape %s; expected exactly one '
                             'element' % (self.shape,))
        return _to_numpy(self._data).reshape(-1)[0]

    def astype(self, dtype, copy=True):
        """A copy converted to ``dtype`` (or self when ``copy=False`` and unchanged).

        Examples
        --------
        >>> import mxlearn as mx
        >>> mx.nd.array([1.7]).astype('int32').asnumpy()
        array([1], dtype=int32)
        """
        dtype = np_dtype(dtype)
        if not copy and self._data.dtype == dtype:
            return self
        return _nd.Cast(self, dtype=dtype)

    def copy(self):
        """A copy on the same context.

        Examples
        --------
        >>> import mxlearn as mx
        >>> mx.nd.ones((2,)).copy().shape
        (2,)
        """
        return _nd._copy(self)

    def copyto(self, other):
        """Copy into NDArray ``other`` (returns it) or onto Context ``other`` (returns a new array).

        Examples
        --------
        >>> import mxlearn as mx
        >>> mx.nd.ones((2,)).copyto(mx.cpu(1)).context
        cpu(1)
        """
        if isinstance(other, NDArrayBase):
            if other is self:
                return other
            if other.shape != self.shape:
                raise MXNetError('copyto: cannot copy an array of shape %s into one of '
                                 'shape %s' % (self.shape, other.shape))
            src = self if other.context == self.context else self.copyto(other.context)
            other._data[...] = src._data
            return other
        if isinstance(other, Context):
            from ..backend import transfer
            out = core.new_ndarray(transfer(self._data, self.context, other), other)
            if core.is_recording() and (self._node is not None or self._grad_req):
                core.record_op(_COPY_TO_OP, (self,), None, [out])
            return out
        raise MXNetError('copyto: expected an NDArray or a Context, got %s'
                         % type(other).__name__)

    def as_in_context(self, context):
        """This array on ``context``: itself if it is already there, else a copy.

        Examples
        --------
        >>> import mxlearn as mx
        >>> x = mx.nd.ones((2,))
        >>> x.as_in_context(mx.cpu(0)) is x
        True
        """
        if self.context == context:
            return self
        return self.copyto(context)

    as_in_ctx = as_in_context

    def tostype(self, stype):
        """Storage conversion; only 'default' (dense) exists in mxlearn."""
        if stype != 'default':
            raise MXNetError('tostype: mxlearn stores every array densely; %r is not '
                             'supported' % (stype,))
        return self

    def wait_to_read(self):
        """Block until the array is computed (mxlearn runs synchronously, so at once)."""
        from ..backend import synchronize
        synchronize(self.context)

    def wait_to_write(self):
        """Block until pending writes finish (at once: execution is synchronous)."""
        self.wait_to_read()

    # ------------------------------------------------------------ shapes --
    def reshape(self, *shape, **kwargs):
        """The array with a new shape, using MXNet's special values.

        ``0`` copies a dimension, ``-1`` infers one, ``-2`` copies the rest,
        ``-3`` merges two, ``-4`` splits one; ``reverse=True`` reads the shapes
        right to left.

        Examples
        --------
        >>> import mxlearn as mx
        >>> mx.nd.zeros((2, 3, 4)).reshape(-3, 0).shape
        (6, 4)
        >>> mx.nd.zeros((2, 3, 4)).reshape((4, -1)).shape
        (4, 6)
        """
        if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = tuple(shape[0])
        if 'shape' in kwargs:
            if shape:
                raise MXNetError('reshape: shape given both positionally and by keyword')
            shape = tuple(kwargs.pop('shape'))
        reverse = kwargs.pop('reverse', False)
        if kwargs:
            raise MXNetError('reshape: unknown arguments %s' % sorted(kwargs))
        return _nd.reshape(self, shape=shape, reverse=reverse)

    def reshape_like(self, other):
        """The array reshaped to ``other``'s shape."""
        return _nd.reshape_like(self, other)

    def transpose(self, *axes):
        """Permute the axes (reverse them when none are given)."""
        if len(axes) == 1 and isinstance(axes[0], (list, tuple)):
            axes = tuple(axes[0])
        return _nd.transpose(self, axes=axes)

    def broadcast_to(self, shape):
        """Broadcast to ``shape`` (MXNet's 0 keeps a dimension)."""
        return _nd.broadcast_to(self, shape=shape)

    def attach_grad(self, grad_req='write', stype=None):
        """Allocate a gradient buffer and make this array an autograd variable.

        Parameters
        ----------
        grad_req : {'write', 'add', 'null'}
            Whether backward overwrites ``.grad``, adds to it, or skips it.

        Examples
        --------
        >>> import mxlearn as mx
        >>> x = mx.nd.array([1, 2])
        >>> x.attach_grad()
        >>> with mx.autograd.record():
        ...     y = (x * x).sum()
        >>> y.backward()
        >>> x.grad.asnumpy()
        array([2., 4.], dtype=float32)
        """
        if grad_req not in _GRAD_REQ:
            raise MXNetError("attach_grad: grad_req must be 'write', 'add' or 'null', "
                             "got %r" % (grad_req,))
        if stype not in (None, 'default'):
            raise MXNetError('attach_grad: only dense (default) gradients are supported')
        self._grad = core.new_ndarray(self.context.xp.zeros_like(self._data), self.context)
        self._grad_req = _GRAD_REQ[grad_req]
        self._node = None

    def detach(self):
        """The same data, cut from the autograd graph (a constant to backward)."""
        return core.new_ndarray(self._data, self.context)

    def backward(self, out_grad=None, retain_graph=False, train_mode=True):
        """Backpropagate from this array into the ``.grad`` of the variables.

        Parameters
        ----------
        out_grad : NDArray, optional
            The head gradient; ones when omitted.
        retain_graph : bool
            Keep the graph so that backward can run through it again.
        train_mode : bool
            Run gradient rules in training mode.

        Examples
        --------
        >>> import mxlearn as mx
        >>> x = mx.nd.array([3.0])
        >>> x.attach_grad()
        >>> with mx.autograd.record():
        ...     y = x ** 2
        >>> y.backward()
        >>> x.grad.asscalar()
        6.0
        """
        core.backward([self], [out_grad], retain_graph, train_mode)

    # ---------------------------------------------------------- indexing --
    def __getitem__(self, key):
        xp = self.context.xp
        if isinstance(key, NDArrayBase) and key.dtype == np.bool_:
            raise MXNetError('boolean NDArray indexing is not supported; use '
                             'nd.contrib.boolean_mask or where()')
        key = _index_key(key, xp)
        return _nd._index(self, key=key, view=_is_view_key(key))

    def __setitem__(self, key, value):
        if core.is_recording() and (self._node is not None or self._grad_req):
            raise MXNetError(
                'cannot assign into an array (shape %s) that is part of a recorded '
                'graph; compute a new array instead, or assign outside '
                'autograd.record()' % (self.shape,))
        xp = self.context.xp
        if isinstance(value, NDArrayBase):
            if value.context != self.context:
                raise MXNetError('cannot assign an array on %s into one on %s; move it '
                                 'with as_in_context() first' % (value.context, self.context))
            value = value._data
        elif isinstance(value, (list, tuple, np.ndarray)):
            value = xp.asarray(value)
        try:
            self._data[_index_key(key, xp)] = value
        except (ValueError, IndexError, TypeError) as e:
            vshape = getattr(value, 'shape', ())
            raise MXNetError('cannot assign a value of shape %s into index %r of an array '
                             'of shape %s: %s' % (vshape, key, self.shape, e)) from None


def _rebuild(data, ctx):
    return array(data, ctx=ctx, dtype=data.dtype)


def _copyto_gradient(F, inputs, outputs, ograds):
    return (ograds[0].as_in_context(inputs[0].context),)


_COPY_TO_OP = core.Op('_copyto', None, gradient=_copyto_gradient)


def array(source_array, ctx=None, dtype=None):
    """Create an NDArray from any array-like: a list, a numpy array, an NDArray.

    As in MXNet 1.x, the dtype is float32 unless given (or unless the source is
    an NDArray, whose dtype is kept).

    Parameters
    ----------
    source_array : array_like
    ctx : Context, optional
        Defaults to the current context.
    dtype : str or numpy dtype, optional

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.array([1, 2, 3]).dtype
    <class 'numpy.float32'>
    >>> mx.nd.array([[1, 2]], dtype='int32').shape
    (1, 2)
    """
    ctx = current_context() if ctx is None else ctx
    if isinstance(source_array, NDArrayBase):
        dtype = source_array.dtype if dtype is None else dtype
        source_array = source_array.asnumpy()
    dtype = np_dtype(dtype)
    try:
        data = np.array(source_array, dtype=dtype)
    except (ValueError, TypeError) as e:
        raise MXNetError('array: cannot convert %s to an array of %s: %s'
                         % (type(source_array).__name__, dtype, e)) from None
    if data.ndim == 0:
        data = data.reshape(1)
    xp = ctx.xp
    if xp is not np:
        data = xp.asarray(data)
    return core.new_ndarray(data, ctx)


def empty(shape, ctx=None, dtype=None):
    """An uninitialised array (mxlearn fills it with zeros, so results are reproducible).

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.empty((2, 3)).shape
    (2, 3)
    """
    return _nd.zeros(shape, ctx=ctx, dtype=dtype)


def waitall():
    """Wait for all pending computation (execution is synchronous, so this returns at once
    on the CPU and synchronises the GPU).

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.nd.waitall()
    """
    from ..backend import synchronize
    synchronize(None)
