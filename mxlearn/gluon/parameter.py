"""Gluon Parameters: the weights of Blocks, with their gradients, on one or more devices.

A ``Parameter`` is a named weight. ``initialize(ctx=...)`` makes one NDArray
copy of it per context (``data(ctx)``), each an autograd variable with its own
gradient buffer (``grad(ctx)``) unless ``grad_req`` is ``'null'``. The copies
are independent; a ``Trainer`` keeps them equal by updating each with the
gradients summed over all contexts.

Unknown dimensions are written as 0 in ``shape`` (``(64, 0)`` for a Dense
layer that has not seen its input yet). Initializing such a Parameter with
``allow_deferred_init=True`` only records what to do (the initializer and the
contexts); the layer fills in the shape at its first forward
(``param.shape = (64, 784)``) and calls ``_finish_deferred_init()``, which
creates the arrays. Until then ``data()`` raises
``DeferredInitializationError``.

Initial values come from ``mx.init``: the initializer given to the
Parameter (``init=``) wins over the one given to ``initialize`` (the
"default"). Values are drawn once, on ``cpu(0)``, and copied to every context,
so all copies start equal.

A ``ParameterDict`` is an ordered name -> Parameter mapping with a prefix;
``Block.params`` and ``Block.collect_params()`` are ParameterDicts.

Examples
--------
>>> import mxlearn as mx
>>> from mxlearn.gluon.parameter import Parameter
>>> w = Parameter('fc_weight', shape=(2, 3), init=mx.initializer.One())
>>> w.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
>>> w.data(mx.cpu(1))
<BLANKLINE>
[[1. 1. 1.]
 [1. 1. 1.]]
<NDArray 2x3 @cpu(1)>
>>> [g.context for g in w.list_grad()]
[cpu(0), cpu(1)]
"""
import re
import warnings
from collections import OrderedDict

import numpy as np

from .. import autograd, initializer
from .. import ndarray as nd
from ..base import MXNetError
from ..context import Context, cpu, current_context
from ..ndarray.ndarray import np_dtype

__all__ = ['DeferredInitializationError', 'Parameter', 'Constant', 'ParameterDict',
           'shape_is_known']

_GRAD_REQS = ('write', 'add', 'null')
_STYPES = ('default', 'row_sparse', 'csr')
# The "every context" request of _check_and_get.
_ALL = object()
_NAMING_HELP = ('For more info on naming, please see '
                'https://mxnet.apache.org/api/python/docs/tutorials/packages/gluon/blocks/'
                'naming.html')


class DeferredInitializationError(MXNetError):
    """A Parameter's data was asked for before its deferred initialization ran.

    Examples
    --------
    >>> import mxlearn as mx
    >>> from mxlearn.gluon.parameter import Parameter, DeferredInitializationError
    >>> w = Parameter('w', shape=(3, 0), allow_deferred_init=True)
    >>> w.initialize()
    >>> try:
    ...     w.data()
    ... except DeferredInitializationError:
    ...     print('not yet')
    not yet
    """


def shape_is_known(shape):
    """Whether ``shape`` is given and has no unknown (0) dimension.

    Examples
    --------
    >>> from mxlearn.gluon.parameter import shape_is_known
    >>> shape_is_known((2, 3)), shape_is_known((2, 0)), shape_is_known(None)
    (True, False, False)
    """
    return shape is not None and all(d > 0 for d in shape)


def _as_shape(shape):
    if shape is None:
        return None
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def _ctx_list(ctx):
    if ctx is None:
        return [current_context()]
    if isinstance(ctx, Context):
        return [ctx]
    return list(ctx)


def _indent(text, spaces):
    """Indent every line of ``text`` but the first by ``spaces`` (for nested reprs)."""
    return text.replace('\n', '\n' + ' ' * spaces)


def _brief_print_list(names, limit=7):
    """Quote at most ``limit`` names, eliding the middle of longer lists."""
    names = list(names)
    if len(names) > limit:
        return '%s, ..., %s' % (_brief_print_list(names[:limit // 2], limit),
                                _brief_print_list(names[-(limit // 2):], limit))
    return ', '.join("'%s'" % n for n in names)


class Parameter:
    """A weight of a Block: one NDArray per context, with gradient buffers.

    Parameters
    ----------
    name : str
        The full name (``'dense0_weight'``); blocks make it from their prefix.
    grad_req : {'write', 'add', 'null'}, default 'write'
        Whether backward overwrites the gradient, adds to it (call
        ``zero_grad()`` yourself), or computes none (no buffer is kept).
    shape : int or tuple of int, optional
        The shape; 0 marks a dimension that is not known yet.
    dtype : str or numpy dtype, default numpy.float32
    lr_mult, wd_mult : float, default 1.0
        Multipliers of the optimizer's learning rate and weight decay.
    init : Initializer or str, optional
        How to initialize; wins over the default given to ``initialize``.
    allow_deferred_init : bool, default False
        Allow ``initialize`` with an unknown shape, completing it at the
        first forward.
    differentiable : bool, default True
        False forces ``grad_req`` to ``'null'``.
    stype, grad_stype : {'default', 'row_sparse', 'csr'}, default 'default'
        Storage types of the data and gradient. mxlearn stores everything
        densely; a ``'row_sparse'`` Parameter is read with
        ``row_sparse_data``, which returns the whole dense array.

    Examples
    --------
    >>> import mxlearn as mx
    >>> from mxlearn.gluon.parameter import Parameter
    >>> b = Parameter('fc_bias', shape=3, init='zeros')
    >>> b
    Parameter fc_bias (shape=(3,), dtype=<class 'numpy.float32'>)
    >>> b.initialize()
    >>> with mx.autograd.record():
    ...     y = (b.data() * 2).sum()
    >>> y.backward()
    >>> b.grad().asnumpy()
    array([2., 2., 2.], dtype=float32)
    """

    def __init__(self, name, grad_req='write', shape=None, dtype=np.float32,
                 lr_mult=1.0, wd_mult=1.0, init=None, allow_deferred_init=False,
                 differentiable=True, stype='default', grad_stype='default'):
        self._var = None
        self._data = None
        self._grad = None
        self._ctx_list = None
        self._ctx_index = None
        # (init, contexts, default_init, data to load) while initialization waits
        self._deferred_init = ()
        # The Trainer that updates this Parameter (a weak reference): a new
        # value must reach the copy its KVStore keeps when the store runs
        # the optimizer, or the next step would bring the old one back.
        self._trainer = None
        self._differentiable = differentiable
        self._allow_deferred_init = allow_deferred_init
        self._grad_req = None
        self._shape = _as_shape(shape)
        self.name = name
        self._dtype = dtype
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult
        self.grad_req = grad_req
        self.init = init
        for what, value in (('stype', stype), ('grad_stype', grad_stype)):
            if value not in _STYPES:
                raise MXNetError("%s for Parameter '%s' must be one of 'default', "
                                 "'row_sparse', or 'csr', but got '%s'" % (what, name, value))
        self._stype = stype
        self._grad_stype = grad_stype

    def __repr__(self):
        return 'Parameter %s (shape=%s, dtype=%s)' % (self.name, self.shape, self.dtype)

    # ------------------------------------------------------- attributes --
    @property
    def grad_req(self):
        """``'write'``, ``'add'`` or ``'null'``; setting ``'null'`` drops the gradients."""
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req):
        if req not in _GRAD_REQS:
            raise MXNetError("grad_req must be one of 'write', 'add', or 'null', but got "
                             "'%s'" % (req,))
        if not self._differentiable:
            req = 'null'
        if self._grad_req == req:
            return
        self._grad_req = req
        if req == 'null' and self._grad is not None:
            self._grad = None
            # detached copies share the memory but are no longer variables
            self._data = [d.detach() for d in self._data]
        elif self._data is not None:
            self._init_grad()

    @property
    def dtype(self):
        """The element type; setting it casts the data (see ``cast``)."""
        return self._dtype

    @dtype.setter
    def dtype(self, dtype):
        self.cast(dtype)

    @property
    def shape(self):
        """The shape, with 0 for dimensions not known yet (None if not given at all).

        It can be set to a shape that fills in unknown dimensions, never one
        that changes a known dimension.
        """
        return self._shape

    @shape.setter
    def shape(self, new_shape):
        new_shape = _as_shape(new_shape)
        if self._shape is not None and not (
                len(self._shape) == len(new_shape)
                and all(old in (0, new) for new, old in zip(new_shape, self._shape))):
            raise MXNetError("Expected shape %s is incompatible with given shape %s for "
                             "Parameter '%s'." % (new_shape, self._shape, self.name))
        self._shape = new_shape

    @property
    def stype(self):
        """The storage type of the data."""
        return self._stype

    @property
    def grad_stype(self):
        """The storage type of the gradient."""
        return self._grad_stype

    # --------------------------------------------------- initialization --
    def initialize(self, init=None, ctx=None, default_init=None, force_reinit=False):
        """Create the data (and gradient) arrays, one copy per context.

        Parameters
        ----------
        init : Initializer or str, optional
            Overrides both ``self.init`` and ``default_init``.
        ctx : Context or list of Context, optional
            Where to keep copies; the current context by default.
        default_init : Initializer or str, default mx.init.Uniform()
            Used when neither ``init`` nor ``self.init`` is given.
        force_reinit : bool, default False
            Re-initialize an initialized Parameter (else a warning, no change).

        Raises
        ------
        MXNetError
            If the shape is unknown and ``allow_deferred_init`` is False.

        Examples
        --------
        >>> import mxlearn as mx
        >>> from mxlearn.gluon.parameter import Parameter
        >>> w = Parameter('w', shape=(2,))
        >>> w.initialize(init=mx.initializer.Constant(3))
        >>> w.data().asnumpy()
        array([3., 3.], dtype=float32)
        """
        if self._data is not None and not force_reinit:
            warnings.warn("Parameter '%s' is already initialized, ignoring. Set "
                          "force_reinit=True to re-initialize." % self.name, stacklevel=2)
            return
        self._data = self._grad = None
        if default_init is None:
            default_init = initializer.Uniform()
        if init is None:
            init = default_init if self.init is None else self.init
        ctx = _ctx_list(ctx)
        self._deferred_init = (init, ctx, default_init, None)
        if shape_is_known(self.shape):
            self._finish_deferred_init()
        elif not self._allow_deferred_init:
            self._deferred_init = ()
            raise MXNetError("Cannot initialize Parameter '%s' because it has invalid "
                             "shape: %s." % (self.name, self.shape))

    def _finish_deferred_init(self):
        """Create the arrays of a deferred Parameter, now that its shape is known.

        Layers call this after setting the full shape (see the contract in
        ``mxlearn.gluon.block``); it does nothing if nothing is deferred.
        """
        if not self._deferred_init:
            return
        init, ctx, default_init, data = self._deferred_init
        if not shape_is_known(self.shape):
            raise MXNetError("Cannot initialize Parameter '%s' because it has invalid "
                             "shape: %s. Please specify in_units, in_channels, etc for "
                             "`Block`s." % (self.name, self.shape))
        self._deferred_init = ()
        if data is None:
            with autograd.pause():
                data = nd.zeros(shape=self.shape, dtype=np_dtype(self.dtype), ctx=cpu())
                initializer.create(default_init)(
                    initializer.InitDesc(self.name, {'__init__': init}), data)
        self._init_impl(data, ctx)

    def _init_impl(self, data, ctx_list):
        """Keep a copy of ``data`` on each context and attach gradient buffers."""
        self._ctx_list = list(ctx_list)
        self._ctx_index = {c: i for i, c in enumerate(self._ctx_list)}
        with autograd.pause():
            self._data = [data.copyto(c) for c in self._ctx_list]
        self._init_grad()

    def _init_grad(self):
        if self.grad_req == 'null':
            self._grad = None
            return
        self._grad = [nd.zeros(shape=d.shape, dtype=d.dtype, ctx=d.context)
                      for d in self._data]
        autograd.mark_variables(self._data, self._grad, self.grad_req)

    def _load_init(self, data, ctx, cast_dtype=False, dtype_source='current'):
        """(Re)initialize from the loaded NDArray ``data`` (used by ``load``).

        Unknown dimensions of the shape are taken from ``data``; a different
        dtype is an error unless ``cast_dtype``, where ``dtype_source`` says
        whether the Parameter's dtype (``'current'``) or the file's
        (``'saved'``) wins.
        """
        if cast_dtype and dtype_source not in ('current', 'saved'):
            raise MXNetError("dtype_source must be 'current' or 'saved', got %r"
                             % (dtype_source,))
        if self.shape:
            if len(self.shape) != len(data.shape) or any(
                    mine not in (0, saved) for mine, saved in zip(self.shape, data.shape)):
                raise MXNetError("Failed loading Parameter '%s' from saved params: shape "
                                 "incompatible expected %s vs saved %s"
                                 % (self.name, self.shape, data.shape))
            self.shape = data.shape
        if self.dtype is not None and np_dtype(self.dtype) != np.dtype(data.dtype):
            if not cast_dtype:
                raise MXNetError("Failed loading Parameter '%s' from saved params: dtype "
                                 "incompatible expected %s vs saved %s. Set cast_dtype=True "
                                 "to cast the dtype of saved params."
                                 % (self.name, np_dtype(self.dtype), np.dtype(data.dtype)))
            if dtype_source == 'current':
                data = data.astype(self.dtype)
            else:
                self.dtype = data.dtype
        ctx = None if ctx is None else _ctx_list(ctx)
        if self._data is None:
            if self._deferred_init:
                if ctx is not None and set(ctx) != set(self._deferred_init[1]):
                    raise MXNetError("Failed to load Parameter '%s' on %s because it was "
                                     "previous initialized on %s."
                                     % (self.name, ctx, self.list_ctx()))
                ctx = self._deferred_init[1]
            elif ctx is None:
                ctx = [cpu()]
            self._init_impl(data, ctx)
        else:
            if ctx is not None and set(ctx) != set(self.list_ctx()):
                raise MXNetError("Failed to load Parameter '%s' on %s because it was "
                                 "previous initialized on %s."
                                 % (self.name, ctx, self.list_ctx()))
            self.set_data(data)
        self._deferred_init = ()

    def reset_ctx(self, ctx):
        """Move the Parameter to other context(s), keeping its value.

        Several copies are averaged first; gradients restart at zero.

        Parameters
        ----------
        ctx : Context or list of Context, optional
            The current context by default.

        Examples
        --------
        >>> import mxlearn as mx
        >>> from mxlearn.gluon.parameter import Parameter
        >>> w = Parameter('w', shape=(1,), init='ones')
        >>> w.initialize()
        >>> w.reset_ctx([mx.cpu(1), mx.cpu(2)])
        >>> w.list_ctx()
        [cpu(1), cpu(2)]
        """
        ctx = _ctx_list(ctx)
        if self._data:
            self._init_impl(self._reduce(), ctx)
            self._refresh_trainer()
        elif self._deferred_init:
            init, _, default_init, data = self._deferred_init
            self._deferred_init = (init, ctx, default_init, data)
        else:
            raise MXNetError("Cannot reset context for Parameter '%s' because it has not "
                             "been initialized." % self.name)

    # ------------------------------------------------------------ access --
    def _check_and_get(self, arr_list, ctx):
        if arr_list is not None:
            if ctx is _ALL:
                return arr_list
            if ctx is None:
                if len(arr_list) == 1:
                    return arr_list[0]
                ctx = current_context()
            idx = self._ctx_index.get(ctx)
            if idx is not None:
                return arr_list[idx]
            raise MXNetError("Parameter '%s' was not initialized on context %s. It was only "
                             "initialized on %s." % (self.name, ctx, self._ctx_list))
        if self._deferred_init:
            raise DeferredInitializationError(
                "Parameter '%s' has not been initialized yet because initialization was "
                "deferred. Actual initialization happens during the first forward pass. "
                "Please pass one batch of data through the network before accessing "
                "Parameters. You can also avoid deferred initialization by specifying "
                "in_units, num_features, etc., for network layers." % self.name)
        raise MXNetError(
            "Parameter '%s' has not been initialized. Note that you should initialize "
            "parameters and create Trainer with Block.collect_params() instead of "
            "Block.params because the later does not include Parameters of nested child "
            "Blocks" % self.name)

    def _check_dense(self, method):
        if self._stype != 'default':
            raise MXNetError("Cannot read Parameter '%s' via %s() because its storage type "
                             "is %s. Please use row_sparse_data() instead."
                             % (self.name, method, self._stype))

    def data(self, ctx=None):
        """The copy on ``ctx`` (the only copy, or the current context's, by default).

        Raises
        ------
        DeferredInitializationError
            If initialization waits for the first forward.
        MXNetError
            If the Parameter is not initialized, or not on ``ctx``.

        Examples
        --------
        >>> import mxlearn as mx
        >>> from mxlearn.gluon.parameter import Parameter
        >>> w = Parameter('w', shape=(2,), init='ones')
        >>> w.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
        >>> w.data(mx.cpu(1)).context
        cpu(1)
        >>> with mx.cpu(1):
        ...     print(w.data().context)
        cpu(1)
        """
        self._check_dense('data')
        return self._check_and_get(self._data, ctx)

    def list_data(self):
        """The copies on all contexts, in the order of ``list_ctx()``.

        Examples
        --------
        >>> import mxlearn as mx
        >>> from mxlearn.gluon.parameter import Parameter
        >>> w = Parameter('w', shape=(1,))
        >>> w.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
        >>> [d.context for d in w.list_data()]
        [cpu(0), cpu(1)]
        """
        self._check_dense('list_data')
        return self._check_and_get(self._data, _ALL)

    def row_sparse_data(self, row_id):
        """The copy on ``row_id``'s context of a ``'row_sparse'`` Parameter.

        mxlearn stores it densely, so all rows are returned, not only ``row_id``'s.

        Examples
        --------
        >>> import mxlearn as mx
        >>> from mxlearn.gluon.parameter import Parameter
        >>> emb = Parameter('emb', shape=(3, 2), stype='row_sparse', init='zeros')
        >>> emb.initialize()
        >>> emb.row_sparse_data(mx.nd.array([0, 2])).shape
        (3, 2)
        """
        self._check_row_sparse('row_sparse_data')
        return self._check_and_get(self._data, row_id.context)

    def list_row_sparse_data(self, row_id):
        """The copies on all contexts of a ``'row_sparse'`` Parameter (dense, all rows)."""
        self._check_row_sparse('list_row_sparse_data')
        return self._check_and_get(self._data, _ALL)

    def _check_row_sparse(self, method):
        if self._stype != 'row_sparse':
            raise MXNetError("Cannot return a copy of Parameter '%s' via %s() because its "
                             "storage type is %s. Please use data() instead."
                             % (self.name, method, self._stype))

    def grad(self, ctx=None):
        """The gradient buffer on ``ctx`` (chosen as in ``data``).

        Raises
        ------
        MXNetError
            If ``grad_req`` is ``'null'`` (no gradient is kept).

        Examples
        --------
        >>> import mxlearn as mx
        >>> from mxlearn.gluon.parameter import Parameter
        >>> w = Parameter('w', shape=(2,), init='ones')
        >>> w.initialize()
        >>> with mx.autograd.record():
        ...     y = (3 * w.data()).sum()
        >>> y.backward()
        >>> w.grad().asnumpy()
        array([3., 3.], dtype=float32)
        """
        self._check_has_grad()
        return self._check_and_get(self._grad, ctx)

    def list_grad(self):
        """The gradient buffers on all contexts, in the order of ``list_ctx()``.

        Examples
        --------
        >>> import mxlearn as mx
        >>> from mxlearn.gluon.parameter import Parameter
        >>> w = Parameter('w', shape=(1,))
        >>> w.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
        >>> [g.context for g in w.list_grad()]
        [cpu(0), cpu(1)]
        """
        self._check_has_grad()
        return self._check_and_get(self._grad, _ALL)

    def _check_has_grad(self):
        if self._data is not None and self._grad is None:
            raise MXNetError("Cannot get gradient array for Parameter '%s' because "
                             "grad_req='null'" % self.name)

    def list_ctx(self):
        """The contexts the Parameter is (or, when deferred, will be) initialized on.

        Examples
        --------
        >>> import mxlearn as mx
        >>> from mxlearn.gluon.parameter import Parameter
        >>> w = Parameter('w', shape=(4, 0), allow_deferred_init=True)
        >>> w.initialize(ctx=mx.cpu(1))
        >>> w.list_ctx()
        [cpu(1)]
        """
        if self._data is None:
            if self._deferred_init:
                return self._deferred_init[1]
            raise MXNetError("Parameter '%s' has not been initialized" % self.name)
        return self._ctx_list

    def set_data(self, data):
        """Set the value on every context (before a deferred init: the value it will get).

        Parameters
        ----------
        data : NDArray or array_like
            Its shape must agree with the known dimensions of ``shape``.

        Examples
        --------
        >>> import mxlearn as mx
        >>> from mxlearn.gluon.parameter import Parameter
        >>> w = Parameter('w', shape=(2,))
        >>> w.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
        >>> w.set_data(mx.nd.array([4, 5]))
        >>> w.data(mx.cpu(1)).asnumpy()
        array([4., 5.], dtype=float32)
        """
        if not isinstance(data, nd.NDArray):
            data = nd.array(data, dtype=np_dtype(self.dtype))
        self.shape = data.shape
        if self._data is None:
            if not self._deferred_init:
                raise MXNetError("Parameter '%s' has not been initialized" % self.name)
            self._deferred_init = self._deferred_init[:3] + (data,)
            return
        for arr in self._check_and_get(self._data, _ALL):
            data.copyto(arr)
        self._refresh_trainer()

    def _set_trainer(self, trainer):
        """Remember (weakly) the Trainer whose KVStore keeps a copy of this value."""
        import weakref
        self._trainer = weakref.ref(trainer)

    def _refresh_trainer(self):
        """After a new value: make the Trainer re-create a KVStore that holds the old one."""
        trainer = self._trainer() if self._trainer is not None else None
        if trainer is not None and trainer._kv_initialized and trainer._update_on_kvstore \
                and self not in trainer._params_to_init:
            trainer._reset_kvstore()

    def zero_grad(self):
        """Set the gradient buffers to 0 (nothing to do without gradients).

        Needed between steps with ``grad_req='add'``, where backward adds up.

        Examples
        --------
        >>> from mxlearn.gluon.parameter import Parameter
        >>> w = Parameter('w', shape=(2,), grad_req='add')
        >>> w.initialize()
        >>> w.grad()[:] = 5
        >>> w.zero_grad()
        >>> w.grad().asnumpy()
        array([0., 0.], dtype=float32)
        """
        if self._grad is None:
            return
        for g in self._grad:
            g[:] = 0

    def _reduce(self):
        """The value as one array on ``cpu(0)``: the mean of the copies."""
        copies = self._check_and_get(self._data, _ALL)
        with autograd.pause():
            total = copies[0].copyto(cpu())
            for other in copies[1:]:
                total = total + other.copyto(cpu())
            if len(copies) > 1:
                total = total / len(copies)
        return total

    def var(self):
        """The symbol (``mx.sym.var``) standing for this Parameter in a graph (made once).

        It carries the name, shape, dtype, multipliers and initializer, as
        they are at the first call.

        Examples
        --------
        >>> from mxlearn.gluon.parameter import Parameter
        >>> Parameter('fc_weight', shape=(3, 4)).var().attr('__shape__')
        '(3, 4)'
        """
        if self._var is None:
            from .. import symbol
            self._var = symbol.var(self.name, shape=self.shape, dtype=self.dtype,
                                   lr_mult=self.lr_mult, wd_mult=self.wd_mult, init=self.init,
                                   stype=self._stype)
        return self._var

    def cast(self, dtype):
        """Convert the data and gradients to ``dtype`` (new arrays, same values).

        Examples
        --------
        >>> from mxlearn.gluon.parameter import Parameter
        >>> w = Parameter('w', shape=(2,), init='ones')
        >>> w.initialize()
        >>> w.cast('float64')
        >>> w.data().dtype, w.grad().dtype
        (<class 'numpy.float64'>, <class 'numpy.float64'>)
        """
        self._dtype = dtype
        if self._data is None:
            return
        with autograd.pause():
            self._data = [d.astype(dtype) for d in self._data]
            if self._grad is None:
                return
            self._grad = [g.astype(dtype) for g in self._grad]
        autograd.mark_variables(self._data, self._grad, self.grad_req)


class Constant(Parameter):
    """A Parameter holding a fixed value: no gradient, ignored by Trainers.

    Its value can still be changed with ``set_data``.

    Parameters
    ----------
    name : str
    value : array_like or NDArray

    Examples
    --------
    >>> from mxlearn.gluon.parameter import Constant
    >>> c = Constant('scale', [[1, 2], [3, 4]])
    >>> c
    Constant scale (shape=(2, 2), dtype=<class 'numpy.float32'>)
    >>> c.initialize()
    >>> c.data().asnumpy().tolist(), c.grad_req
    ([[1.0, 2.0], [3.0, 4.0]], 'null')
    """

    def __init__(self, name, value):
        if not isinstance(value, nd.NDArray):
            value = nd.array(value)
        self.value = value
        super().__init__(name, grad_req='null', shape=value.shape, dtype=value.dtype,
                         init=initializer.Constant(value))

    def __repr__(self):
        return 'Constant %s (shape=%s, dtype=%s)' % (self.name, self.shape, self.dtype)

    @property
    def grad_req(self):
        """Always ``'null'``."""
        return 'null'

    @grad_req.setter
    def grad_req(self, req):
        if req != 'null':
            warnings.warn('Constant parameter "%s" does not support grad_req other than '
                          '"null", and new value "%s" is ignored.' % (self.name, req))


def _merge_shapes(wanted, stored):
    """The shape agreeing with both (0 is unknown), or None if they conflict."""
    if len(wanted) != len(stored):
        return None
    merged = []
    for a, b in zip(wanted, stored):
        if a and b and a != b:
            return None
        merged.append(a or b)
    return tuple(merged)


class ParameterDict:
    """An ordered dictionary of Parameters whose new entries get names ``prefix + name``.

    Parameters
    ----------
    prefix : str, default ''
        Put in front of the names of the Parameters ``get`` creates.
    shared : ParameterDict, optional
        ``get`` looks a name up here before creating a Parameter: how Blocks
        share weights (``Dense(..., params=other.collect_params())``).

    Examples
    --------
    >>> from mxlearn.gluon.parameter import ParameterDict
    >>> params = ParameterDict('net_')
    >>> w = params.get('weight', shape=(2, 0))
    >>> params.get('weight', shape=(0, 3)) is w, w.shape
    (True, (2, 3))
    >>> params
    net_ (
      Parameter net_weight (shape=(2, 3), dtype=<class 'numpy.float32'>)
    )
    """

    def __init__(self, prefix='', shared=None):
        self._prefix = prefix
        self._params = OrderedDict()
        self._shared = shared

    def __repr__(self):
        name = self._prefix + ' ' if self._prefix else ''
        content = '\n'.join(_indent('  %r' % v, 2) for v in self.values())
        return '%s(\n%s\n)' % (name, content)

    def __getitem__(self, key):
        return self._params[key]

    def __iter__(self):
        return iter(self._params)

    def __contains__(self, key):
        return key in self._params

    def __len__(self):
        return len(self._params)

    def items(self):
        """The (name, Parameter) pairs, in insertion order."""
        return self._params.items()

    def keys(self):
        """The full names, in insertion order."""
        return self._params.keys()

    def values(self):
        """The Parameters, in insertion order."""
        return self._params.values()

    @property
    def prefix(self):
        """What ``get`` puts in front of names."""
        return self._prefix

    def _get_impl(self, name):
        if name in self._params:
            return self._params[name]
        if self._shared is not None and name in self._shared._params:
            self._params[name] = self._shared._params[name]
            return self._params[name]
        return None

    def get(self, name, **kwargs):
        """The Parameter ``prefix + name``: found here, in ``shared``, or created.

        Parameters
        ----------
        name : str
            The name without this dict's prefix.
        **kwargs
            Arguments of ``Parameter`` for a new one. For an existing one,
            each must agree with what is stored: a shape may fill in unknown
            (0) dimensions, and attributes not set yet are set.

        Returns
        -------
        Parameter

        Raises
        ------
        MXNetError
            If an argument disagrees with the existing Parameter.
        """
        name = self._prefix + name
        param = self._get_impl(name)
        if param is None:
            param = Parameter(name, **kwargs)
            self._params[name] = param
            return param
        for key, value in kwargs.items():
            existing = getattr(param, key, None)
            if existing is None:
                setattr(param, key, value)
                continue
            if key == 'shape':
                merged = _merge_shapes(_as_shape(value), existing)
                if merged is not None:
                    param._shape = merged
                    continue
            elif key == 'dtype' and np.dtype(value) == np.dtype(existing):
                continue
            if value is not None and value != existing:
                raise MXNetError("Cannot retrieve Parameter '%s' because desired attribute "
                                 "does not match with stored for attribute '%s': desired "
                                 "'%s' vs stored '%s'." % (name, key, value, existing))
        return param

    def get_constant(self, name, value=None):
        """The Constant ``prefix + name``: found here, in ``shared``, or created from ``value``.

        Examples
        --------
        >>> from mxlearn.gluon.parameter import ParameterDict
        >>> params = ParameterDict('blk_')
        >>> params.get_constant('eye', [[1, 0], [0, 1]]).name
        'blk_eye'
        """
        name = self._prefix + name
        param = self._get_impl(name)
        if param is None:
            if value is None:
                raise MXNetError("No constant named '%s'. Please specify value if you want "
                                 "to create a new constant." % name)
            param = Constant(name, value)
            self._params[name] = param
        elif value is not None:
            if not isinstance(param, Constant):
                raise MXNetError("Parameter '%s' already exists but it is not a constant."
                                 % name)
            value = value.asnumpy() if isinstance(value, nd.NDArray) else np.asarray(value)
            if param.shape != value.shape or not (param.value.asnumpy() == value).all():
                raise MXNetError("Constant '%s' already exists but it's value doesn't match "
                                 "new value" % name)
        return param

    def update(self, other):
        """Add the Parameters of ``other`` (a ParameterDict or dict); names must not clash.

        Examples
        --------
        >>> from mxlearn.gluon.parameter import ParameterDict
        >>> a, b = ParameterDict('a_'), ParameterDict('b_')
        >>> _ = a.get('w', shape=(1,)); _ = b.get('w', shape=(1,))
        >>> a.update(b)
        >>> list(a.keys())
        ['a_w', 'b_w']
        """
        for key, value in other.items():
            if key in self._params and self._params[key] is not value:
                raise MXNetError("Cannot update self with other because they have different "
                                 "Parameters with the same name '%s'" % key)
        for key, value in other.items():
            self._params[key] = value

    def initialize(self, init=None, ctx=None, verbose=False, force_reinit=False):
        """Initialize every Parameter (see ``Parameter.initialize``).

        Parameters
        ----------
        init : Initializer, default mx.init.Uniform()
            The default initializer; a Parameter's own ``init`` wins.
        ctx : Context or list of Context, optional
        verbose : bool, default False
            Log what each Parameter is initialized with.
        force_reinit : bool, default False

        Examples
        --------
        >>> import mxlearn as mx
        >>> from mxlearn.gluon.parameter import ParameterDict
        >>> params = ParameterDict()
        >>> _ = params.get('w', shape=(2,)); _ = params.get('b', shape=(2,), init='zeros')
        >>> params.initialize(mx.initializer.One())
        >>> [p.data().asnumpy().tolist() for p in params.values()]
        [[1.0, 1.0], [0.0, 0.0]]
        """
        if init is None:
            init = initializer.Uniform()
        if verbose:
            init.set_verbosity(verbose=verbose)
        for param in self.values():
            param.initialize(None, ctx, init, force_reinit=force_reinit)

    def zero_grad(self):
        """Set every gradient buffer to 0 (see ``Parameter.zero_grad``)."""
        for param in self.values():
            param.zero_grad()

    def reset_ctx(self, ctx):
        """Move every Parameter to other context(s) (see ``Parameter.reset_ctx``)."""
        for param in self.values():
            param.reset_ctx(ctx)

    def list_ctx(self):
        """All contexts any Parameter is initialized on.

        Examples
        --------
        >>> import mxlearn as mx
        >>> from mxlearn.gluon.parameter import ParameterDict
        >>> params = ParameterDict()
        >>> _ = params.get('w', shape=(1,))
        >>> params.initialize(ctx=[mx.cpu(0), mx.cpu(2)])
        >>> params.list_ctx()
        [cpu(0), cpu(2)]
        """
        contexts = []
        for param in self.values():
            contexts.extend(c for c in param.list_ctx() if c not in contexts)
        return contexts

    def setattr(self, name, value):
        """Set an attribute on every Parameter (``setattr('grad_req', 'null')``).

        Examples
        --------
        >>> from mxlearn.gluon.parameter import ParameterDict
        >>> params = ParameterDict()
        >>> _ = params.get('a', shape=(1,)); _ = params.get('b', shape=(1,))
        >>> params.setattr('lr_mult', 0.5)
        >>> [p.lr_mult for p in params.values()]
        [0.5, 0.5]
        """
        for param in self.values():
            setattr(param, name, value)

    def save(self, filename, strip_prefix=''):
        """Save the values to ``filename`` (MXNet's NDArray format), keyed by name.

        Parameters
        ----------
        filename : str
        strip_prefix : str, default ''
            Removed from the start of every name; each name must start with it.

        Examples
        --------
        >>> import os, tempfile
        >>> import mxlearn as mx
        >>> from mxlearn.gluon.parameter import ParameterDict
        >>> params = ParameterDict('net_')
        >>> _ = params.get('w', shape=(2,), init='ones')
        >>> params.initialize()
        >>> path = os.path.join(tempfile.mkdtemp(), 'net.params')
        >>> params.save(path, strip_prefix='net_')
        >>> list(mx.nd.load(path))
        ['w']
        >>> other = ParameterDict('net_')
        >>> _ = other.get('w', shape=(2,))
        >>> other.load(path, restore_prefix='net_')
        >>> other['net_w'].data().asnumpy()
        array([1., 1.], dtype=float32)
        """
        arrays = {}
        for param in self.values():
            if not param.name.startswith(strip_prefix):
                raise MXNetError(
                    "Prefix '%s' is to be striped before saving, but Parameter's name '%s' "
                    "does not start with '%s'. this may be due to your Block shares "
                    "parameters from other Blocks or you forgot to use 'with name_scope()' "
                    "when creating child blocks. %s"
                    % (strip_prefix, param.name, strip_prefix, _NAMING_HELP))
            arrays[param.name[len(strip_prefix):]] = param._reduce()
        nd.save(filename, arrays)

    def load(self, filename, ctx=None, allow_missing=False, ignore_extra=False,
             restore_prefix='', cast_dtype=False, dtype_source='current'):
        """Load values saved by ``save`` (or ``mx.nd.save`` of a dict) from ``filename``.

        Parameters
        ----------
        filename : str
        ctx : Context or list of Context, optional
            Where to initialize Parameters that are not initialized yet.
        allow_missing : bool, default False
            Leave Parameters missing from the file as they are.
        ignore_extra : bool, default False
            Skip names in the file that are not in this dict.
        restore_prefix : str, default ''
            Put in front of every name read from the file.
        cast_dtype : bool, default False
            Convert values whose dtype differs (else an error).
        dtype_source : {'current', 'saved'}, default 'current'
            With ``cast_dtype``, whose dtype wins.

        Raises
        ------
        MXNetError
            On a missing or extra name, or a shape or dtype that does not fit.
        """
        if restore_prefix:
            for name in self.keys():
                if not name.startswith(restore_prefix):
                    raise MXNetError("restore_prefix is '%s' but Parameters name '%s' does "
                                     "not start with '%s'. %s"
                                     % (restore_prefix, name, restore_prefix, _NAMING_HELP))
        self.load_dict(nd.load(filename), ctx, allow_missing, ignore_extra, restore_prefix,
                       filename, cast_dtype, dtype_source)

    def load_dict(self, param_dict, ctx=None, allow_missing=False, ignore_extra=False,
                  restore_prefix='', filename=None, cast_dtype=False,
                  dtype_source='current'):
        """Load values from a dict of name -> NDArray (``'arg:'``/``'aux:'`` prefixes dropped).

        The arguments are those of ``load``; ``filename`` only names the
        source in error messages.

        Examples
        --------
        >>> import mxlearn as mx
        >>> from mxlearn.gluon.parameter import ParameterDict
        >>> params = ParameterDict()
        >>> _ = params.get('fc_bias', shape=(1,))
        >>> params.load_dict({'arg:fc_bias': mx.nd.array([0.5])})
        >>> params['fc_bias'].data().asscalar()
        0.5
        """
        loaded = {restore_prefix + re.sub('^(arg|aux):', '', k): v
                  for k, v in param_dict.items()}
        source = 'file: %s' % filename if filename else 'param_dict'
        if not allow_missing:
            for name in self.keys():
                if name not in loaded:
                    raise MXNetError(
                        "Parameter '%s' is missing in %s, which contains parameters: %s. "
                        "Please make sure source and target networks have the same prefix. %s"
                        % (name[len(restore_prefix):], source,
                           _brief_print_list(loaded.keys()), _NAMING_HELP))
        for name, value in loaded.items():
            if name not in self._params:
                if not ignore_extra:
                    raise MXNetError(
                        "Parameter '%s' loaded from %s is not present in ParameterDict, "
                        "choices are: %s. Set ignore_extra to True to ignore. Please make "
                        "sure source and target networks have the same prefix. %s"
                        % (name[len(restore_prefix):], source,
                           _brief_print_list(self._params.keys()), _NAMING_HELP))
                continue
            self._params[name]._load_init(value, ctx, cast_dtype=cast_dtype,
                                          dtype_source=dtype_source)
