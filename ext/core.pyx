# cython: language_level=3
"""The accelerated core of mxlearn: contexts, the NDArray base type, operator
dispatch and the autograd tape.

Everything an eager operation touches on its way through the framework lives in
this one file, so that it can be read in one sitting and so that the per-op cost
of Python dispatch and recording stays in the low microseconds:

1. ``Context``: a device (``cpu(i)`` or ``gpu(i)``) and the array module (numpy or
   CuPy) that holds its arrays.
2. ``NDArrayBase``: a raw device array, its context, and its place on the tape.
   ``mxlearn.ndarray.NDArray`` subclasses it with the readable methods.
3. ``Op`` and ``invoke``: an operator from the registry (``mxlearn.operator``)
   and the one function that runs any operator on NDArrays and records it.
4. ``Node`` and ``backward``: the autograd tape. A recorded op becomes a Node
   holding its inputs and outputs; backward walks the Nodes in reverse
   topological order and applies each operator's gradient rule.
"""
cimport numpy as cnp
from mxlearn.base import MXNetError

cnp.import_array()

# ---------------------------------------------------------------- contexts --

cdef dict _DEVTYPE_IDS = {'cpu': 1, 'gpu': 2, 'cpu_pinned': 3, 'cpu_shared': 5}
cdef dict _DEVID_TYPES = {1: 'cpu', 2: 'gpu', 3: 'cpu_pinned', 5: 'cpu_shared'}
cdef list _ctx_stack = []
cdef Context _base_ctx = None


cdef class Context:
    """A device on which NDArrays live and operators run.

    Parameters
    ----------
    device_type : {'cpu', 'gpu', 'cpu_pinned', 'cpu_shared'} or Context
    device_id : int, default 0

    Examples
    --------
    >>> import mxlearn as mx
    >>> ctx = mx.Context('cpu', 1)
    >>> ctx
    cpu(1)
    >>> with ctx:
    ...     mx.nd.zeros((2,)).context
    cpu(1)
    """
    cdef readonly str device_type
    cdef readonly int device_id
    cdef object _xp

    devtype2str = _DEVID_TYPES
    devstr2type = _DEVTYPE_IDS

    def __init__(self, device_type, device_id=0):
        if isinstance(device_type, Context):
            self.device_type = (<Context>device_type).device_type
            self.device_id = (<Context>device_type).device_id
            return
        if device_type not in _DEVTYPE_IDS:
            raise MXNetError("unknown device type %r; expected one of %s"
                             % (device_type, sorted(_DEVTYPE_IDS)))
        if device_id < 0:
            raise MXNetError("device_id must be >= 0, got %r" % (device_id,))
        self.device_type = device_type
        self.device_id = device_id

    @property
    def device_typeid(self):
        """MXNet's integer code of the device type (1 cpu, 2 gpu, 3 cpu_pinned)."""
        return _DEVTYPE_IDS[self.device_type]

    @property
    def xp(self):
        """The array module (numpy or cupy) that holds this device's arrays."""
        return self.get_xp()

    cdef object get_xp(self):
        if self._xp is None:
            from mxlearn.backend import array_module
            self._xp = array_module(self)
        return self._xp

    def __eq__(self, other):
        return (isinstance(other, Context)
                and (<Context>other).device_type == self.device_type
                and (<Context>other).device_id == self.device_id)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash((self.device_type, self.device_id))

    def __repr__(self):
        return '%s(%d)' % (self.device_type, self.device_id)

    __str__ = __repr__

    def __enter__(self):
        _ctx_stack.append(self)
        return self

    def __exit__(self, *exc):
        _ctx_stack.pop()

    def __reduce__(self):
        return (Context, (self.device_type, self.device_id))

    def empty_cache(self):
        """Release cached device memory (a no-op on the CPU)."""
        from mxlearn.backend import empty_cache
        empty_cache(self)


cdef dict _ctx_cache = {}


def make_context(str device_type, int device_id):
    """Return the shared Context object for ``(device_type, device_id)``.

    ``mx.cpu(i)`` and ``mx.gpu(i)`` go through here so that equal contexts are
    usually the same object and the dispatch check is a pointer comparison.
    """
    key = (device_type, device_id)
    ctx = _ctx_cache.get(key)
    if ctx is None:
        ctx = Context(device_type, device_id)
        _ctx_cache[key] = ctx
    return ctx


cpdef Context current_context():
    """The context of the innermost ``with ctx:`` block, else the default (cpu(0))."""
    global _base_ctx
    if _ctx_stack:
        return _ctx_stack[-1]
    if _base_ctx is None:
        _base_ctx = make_context('cpu', 0)
    return _base_ctx


def set_base_context(Context ctx):
    """Set the context used outside any ``with ctx:`` block; return the old one."""
    global _base_ctx
    old = current_context()
    _base_ctx = ctx
    return old


# ----------------------------------------------------------- autograd state --

cdef bint _recording = False
cdef bint _training = False


def is_recording():
    """Whether operations are being recorded for autograd."""
    return _recording


def is_training():
    """Whether operators run in training mode (Dropout active, BatchNorm batch stats)."""
    return _training


def set_recording(bint flag):
    """Set the recording flag; return its previous value."""
    global _recording
    prev = _recording
    _recording = flag
    return prev


def set_training(bint flag):
    """Set the training flag; return its previous value."""
    global _training
    prev = _training
    _training = flag
    return prev


# ---------------------------------------------------------------- NDArray --

cdef object _ndarray_cls = None   # mxlearn.ndarray.NDArray, set at import
cdef object _F = None             # the mx.nd namespace gradient rules are written in
cdef dict _EMPTY = {}


def setup(ndarray_cls, namespace):
    """Connect the core to the Python layer: the NDArray class and the ``nd`` namespace."""
    global _ndarray_cls, _F
    _ndarray_cls = ndarray_cls
    _F = namespace


cdef class NDArrayBase:
    """The state of an NDArray: device data, context, and place on the tape.

    ``_data`` is a numpy array (CPU) or CuPy array (GPU) of at least one
    dimension. ``_node``/``_oidx`` say which recorded operation produced it;
    ``_grad``/``_grad_req`` are set by ``attach_grad`` and make it a variable.
    """
    cdef public object _data
    cdef public Context _ctx
    cdef public Node _node
    cdef public Py_ssize_t _oidx
    cdef public object _grad
    cdef public int _grad_req
    # Set when backward writes this array's gradient; gluon.Trainer clears it
    # after an update, so a parameter left out of the last backward is caught.
    cdef public bint _fresh_grad
    cdef object __weakref__

    # Make numpy hand mixed expressions (np_array + nd_array) back to us.
    __array_ufunc__ = None

    @property
    def shape(self):
        """Tuple of array dimensions."""
        return self._data.shape

    @property
    def dtype(self):
        """The element type, as a numpy scalar type (``numpy.float32``), as in MXNet."""
        return self._data.dtype.type

    @property
    def ndim(self):
        """Number of dimensions."""
        return self._data.ndim

    @property
    def size(self):
        """Number of elements."""
        return self._data.size

    @property
    def context(self):
        """The Context the array lives on."""
        return self._ctx

    @property
    def ctx(self):
        """Alias of ``context``."""
        return self._ctx

    @property
    def grad(self):
        """The gradient buffer attached by ``attach_grad`` (None before)."""
        return self._grad

    # Python operators. Each goes through the registry's op for it, so the
    # same forward, gradient and error messages serve nd.broadcast_add and '+'.
    def __add__(self, other):
        return _binary(0, self, other, False)

    def __radd__(self, other):
        return _binary(0, self, other, True)

    def __sub__(self, other):
        return _binary(1, self, other, False)

    def __rsub__(self, other):
        return _binary(1, self, other, True)

    def __mul__(self, other):
        return _binary(2, self, other, False)

    def __rmul__(self, other):
        return _binary(2, self, other, True)

    def __truediv__(self, other):
        return _binary(3, self, other, False)

    def __rtruediv__(self, other):
        return _binary(3, self, other, True)

    def __mod__(self, other):
        return _binary(4, self, other, False)

    def __rmod__(self, other):
        return _binary(4, self, other, True)

    def __pow__(self, other, mod):
        return _binary(5, self, other, False)

    def __rpow__(self, other, mod):
        return _binary(5, self, other, True)

    def __eq__(self, other):
        return _binary(6, self, other, False)

    def __ne__(self, other):
        return _binary(7, self, other, False)

    def __gt__(self, other):
        return _binary(8, self, other, False)

    def __ge__(self, other):
        return _binary(9, self, other, False)

    def __lt__(self, other):
        return _binary(10, self, other, False)

    def __le__(self, other):
        return _binary(11, self, other, False)

    def __iadd__(self, other):
        return _inplace(0, self, other)

    def __isub__(self, other):
        return _inplace(1, self, other)

    def __imul__(self, other):
        return _inplace(2, self, other)

    def __itruediv__(self, other):
        return _inplace(3, self, other)

    def __imod__(self, other):
        return _inplace(4, self, other)

    def __neg__(self):
        return invoke(_op_neg, (self,), None)

    def __pos__(self):
        return self

    def __abs__(self):
        return invoke(_op_abs, (self,), None)

    def __hash__(self):
        return id(self)


cdef inline NDArrayBase wrap(object data, Context ctx):
    cdef NDArrayBase r = NDArrayBase.__new__(_ndarray_cls)
    r._data = data
    r._ctx = ctx
    return r


def new_ndarray(data, Context ctx):
    """Wrap a device array (numpy or CuPy, at least 1-d) as an NDArray on ``ctx``."""
    return wrap(data, ctx)


cdef inline bint needs_grad(NDArrayBase a):
    return a._node is not None or a._grad_req != 0


# ---------------------------------------------------------------- operators --

cdef class Op:
    """An operator of the registry, as the dispatcher sees it.

    Built by ``mxlearn.operator.registry.register``; read its docstring for what
    each field means. ``forward(xp, *arrays, **attrs)`` computes raw arrays,
    ``gradient(F, inputs, outputs, out_grads, **attrs)`` returns one gradient
    (or None) per input, written with the functions of the namespace ``F``.
    """
    cdef readonly str name
    cdef public object forward
    cdef public object gradient
    cdef public object infer_shape
    cdef public object infer_type
    cdef public object parser
    cdef public tuple arg_names
    cdef public dict defaults
    cdef public int num_inputs
    cdef public int num_visible
    cdef public object visible_fn
    cdef public bint same_dtype
    cdef public bint needs_ctx
    cdef public bint keep_dtype
    cdef public bint reflected
    cdef public str ufunc
    cdef public str doc
    cdef object _ufunc_xp
    cdef object _ufunc_fn
    cdef public dict extra

    def __init__(self, name, forward, gradient=None, infer_shape=None,
                 infer_type=None, arg_names=('data',), defaults=None,
                 num_inputs=1, same_dtype=True, needs_ctx=False,
                 keep_dtype=False, ufunc=None, reflected=False, doc='',
                 num_visible=-1):
        self.name = name
        # num_visible: -1 all outputs visible; a callable of the attributes
        # when the count depends on them (BatchNorm's output_mean_var).
        if callable(num_visible):
            self.visible_fn = num_visible
            self.num_visible = -2
        else:
            self.num_visible = num_visible
        self.forward = forward
        self.gradient = gradient
        self.infer_shape = infer_shape
        self.infer_type = infer_type
        self.parser = None
        self.arg_names = tuple(arg_names)
        self.defaults = dict(defaults) if defaults else None
        self.num_inputs = num_inputs
        self.same_dtype = same_dtype
        self.needs_ctx = needs_ctx
        self.keep_dtype = keep_dtype
        self.reflected = reflected
        self.ufunc = ufunc
        self.doc = doc
        self.extra = {}

    def __repr__(self):
        return '<Op %s>' % self.name

    cdef inline object ufunc_for(self, object xp):
        # The array module's function of that name, looked up once per module.
        if xp is not self._ufunc_xp:
            self._ufunc_fn = getattr(xp, self.ufunc)
            self._ufunc_xp = xp
        return self._ufunc_fn


cdef object _op_error(Op op, tuple inputs, dict attrs, object exc):
    from mxlearn.operator.errors import operator_error
    return operator_error(op, inputs, attrs, exc)


cdef inline Context _common_context(Op op, tuple inputs):
    cdef Context ctx = None
    cdef Context c
    for x in inputs:
        if not isinstance(x, NDArrayBase):
            raise MXNetError("Operator %s: expected NDArray inputs, got %s"
                             % (op.name, type(x).__name__))
        c = (<NDArrayBase>x)._ctx
        if ctx is None:
            ctx = c
        elif c is not ctx and not c == ctx:
            raise _op_error(op, inputs, None, MXNetError(
                "inputs are on different devices (%s and %s); move them with "
                "as_in_context() first" % (ctx, c)))
    return ctx


cdef inline void _check_dtypes(Op op, tuple inputs) except *:
    cdef Py_ssize_t i
    if len(inputs) < 2:
        return
    d0 = (<NDArrayBase>inputs[0])._data.dtype
    for i in range(1, len(inputs)):
        d = (<NDArrayBase>inputs[i])._data.dtype
        if d is not d0 and d != d0:
            raise _op_error(op, inputs, None, MXNetError(
                "inputs have different dtypes; expected all %s (use astype() "
                "to convert)" % (d0,)))


cpdef object invoke(Op op, tuple inputs, dict attrs, Context ctx=None):
    """Run ``op`` on NDArray ``inputs`` with ``attrs`` and record it if needed.

    Returns an NDArray, or a list of NDArrays when the op has several outputs.
    Errors from the forward computation become an MXNetError that names the
    operator, every input's shape and dtype, and what was expected.
    """
    cdef Context c = _common_context(op, inputs) if inputs else None
    if c is None:
        c = ctx if ctx is not None else current_context()
    xp = c.get_xp()
    if op.same_dtype:
        _check_dtypes(op, inputs)
    if op.defaults is not None:
        full = dict(op.defaults)
        if attrs:
            full.update(attrs)
        attrs = full
    elif attrs is None:
        attrs = _EMPTY
    datas = tuple([(<NDArrayBase>x)._data for x in inputs])
    try:
        if op.needs_ctx:
            res = op.forward(xp, *datas, ctx=c, **attrs)
        elif attrs:
            res = op.forward(xp, *datas, **attrs)
        else:
            res = op.forward(xp, *datas)
    except MXNetError as e:
        raise _op_error(op, inputs, attrs, e) from None
    except Exception as e:
        raise _op_error(op, inputs, attrs, e) from e
    if type(res) is tuple:
        outs = [wrap(r, c) for r in res]
    else:
        outs = [wrap(res, c)]
    if _recording and op.gradient is not None:
        for x in inputs:
            if needs_grad(<NDArrayBase>x):
                _record(op, inputs, attrs, outs)
                break
    if type(res) is tuple:
        nv = _num_visible(op, attrs)
        if nv < 0:
            return outs
        # Hidden outputs (a pooling argmax, a dropout mask) stay on the tape
        # for the gradient rule; the caller sees only the visible ones.
        if nv == 1:
            return outs[0]
        return outs[:nv]
    return outs[0]


cdef inline int _num_visible(Op op, dict attrs) except? -3:
    if op.num_visible == -2:
        return op.visible_fn(attrs)
    return op.num_visible


# The ops behind Python's operators, set by ``setup_operators``.
cdef list _tensor_ops = [None] * 12
cdef list _scalar_ops = [None] * 12
cdef list _rscalar_ops = [None] * 12
cdef Op _op_neg = None
cdef Op _op_abs = None


def setup_operators(tensor_ops, scalar_ops, rscalar_ops, neg, absolute):
    """Tell the core which registry ops implement ``+ - * / % ** == != > >= < <=``.

    Each argument list is in that order; ``rscalar_ops`` serve ``scalar OP array``.
    """
    global _op_neg, _op_abs
    _tensor_ops[:] = tensor_ops
    _scalar_ops[:] = scalar_ops
    _rscalar_ops[:] = rscalar_ops
    _op_neg = neg
    _op_abs = absolute


cdef inline bint _is_scalar(object x):
    return isinstance(x, (float, int)) or (hasattr(x, 'dtype') and getattr(x, 'ndim', 1) == 0)


cdef object _binary(int k, NDArrayBase a, object b, bint reflected):
    cdef Op op
    if isinstance(b, NDArrayBase):
        op = <Op>_tensor_ops[k]
        if reflected:
            return _invoke_ufunc2(op, <NDArrayBase>b, a)
        return _invoke_ufunc2(op, a, <NDArrayBase>b)
    if _is_scalar(b):
        op = <Op>(_rscalar_ops[k] if reflected else _scalar_ops[k])
        return _invoke_scalar(op, a, b)
    return NotImplemented


cdef object _invoke_ufunc2(Op op, NDArrayBase a, NDArrayBase b):
    # The hot path of ``a + b``: no tuple or dict building unless recording.
    cdef Context c = a._ctx
    if c is not b._ctx and not c == b._ctx:
        return invoke(op, (a, b), None)
    da = a._data
    db = b._data
    if type(da) is cnp.ndarray and type(db) is cnp.ndarray:
        # numpy arrays: compare dtypes through the C struct, not attribute lookups
        if cnp.PyArray_DESCR(<cnp.ndarray>da) is not cnp.PyArray_DESCR(<cnp.ndarray>db):
            if da.dtype != db.dtype:
                _check_dtypes(op, (a, b))
    elif da.dtype != db.dtype:
        _check_dtypes(op, (a, b))
    try:
        if op.ufunc is not None:
            res = op.ufunc_for(c.get_xp())(da, db)
            if op.keep_dtype and res.dtype != da.dtype:
                res = res.astype(da.dtype)
        else:
            res = op.forward(c.get_xp(), da, db)
    except Exception as e:
        raise _op_error(op, (a, b), None, e) from e
    cdef NDArrayBase out = wrap(res, c)
    if _recording and op.gradient is not None and (needs_grad(a) or needs_grad(b)):
        _record(op, (a, b), _EMPTY, [out])
    return out


cdef object _invoke_scalar(Op op, NDArrayBase a, object scalar):
    cdef Context c = a._ctx
    da = a._data
    dt = da.dtype
    if dt.kind != 'f' and isinstance(scalar, float):
        # MXNet casts the scalar to an integer array's dtype before the op.
        scalar = int(scalar)
    try:
        if op.ufunc is not None:
            if op.reflected:
                res = op.ufunc_for(c.get_xp())(scalar, da)
            else:
                res = op.ufunc_for(c.get_xp())(da, scalar)
            if res.dtype is not dt:
                res = res.astype(dt)
        else:
            res = op.forward(c.get_xp(), da, scalar=scalar)
    except Exception as e:
        raise _op_error(op, (a,), {'scalar': scalar}, e) from e
    cdef NDArrayBase out = wrap(res, c)
    if _recording and op.gradient is not None and needs_grad(a):
        _record(op, (a,), {'scalar': scalar}, [out])
    return out


cdef object _inplace(int k, NDArrayBase a, object b):
    if _recording and (needs_grad(a) or (isinstance(b, NDArrayBase) and needs_grad(<NDArrayBase>b))):
        if needs_grad(a):
            raise MXNetError(
                "in-place operations (+=, -=, x[:]=, ...) are not supported on an "
                "array that is part of a recorded graph (shape %s); write y = x + ... "
                "instead, or do it outside autograd.record()" % (a.shape,))
        # The node must see a's old value as its input: a snapshot, since a's
        # buffer is overwritten below and a itself becomes the node's output.
        res = _binary(k, wrap(a._data.copy(), a._ctx), b, False)
        if res is NotImplemented:
            return res
        a._data[...] = (<NDArrayBase>res)._data
        a._node = (<NDArrayBase>res)._node
        a._oidx = (<NDArrayBase>res)._oidx
        return a
    res = _binary(k, a, b, False)
    if res is NotImplemented:
        return res
    if (<NDArrayBase>res)._data.shape != a._data.shape:
        raise MXNetError("in-place operation would change the shape of the left "
                         "operand from %s to %s" % (a.shape, (<NDArrayBase>res).shape))
    a._data[...] = (<NDArrayBase>res)._data
    return a


# ------------------------------------------------------------------- tape --

cdef class Node:
    """One recorded operation: the op, its attributes, inputs and outputs.

    ``inputs`` are the input NDArrays (they carry their own producer Nodes, so
    the Nodes form the graph); ``out_data`` holds the raw output arrays, wrapped
    again on demand, so that a Node never references its output NDArrays and no
    reference cycle keeps memory alive. ``release`` frees both after backward.
    """
    cdef public Op op
    cdef public tuple inputs
    cdef public dict attrs
    cdef public list out_data
    cdef public Context ctx
    cdef public bint freed
    cdef list _ograds
    cdef Py_ssize_t _mark
    cdef object __weakref__

    def outputs(self):
        """The outputs as NDArrays connected to this Node."""
        if self.freed:
            raise MXNetError(_freed_message(self))
        return [_entry(self, i) for i in range(len(self.out_data))]

    def release(self):
        """Drop the saved inputs and outputs (what backward without retain_graph does)."""
        self.inputs = ()
        self.out_data = None
        # attributes may hold saved state too (a hybridized block's forward values)
        self.attrs = _EMPTY
        self.freed = True

    def __repr__(self):
        return '<Node %s%s>' % (self.op.name, ' (freed)' if self.freed else '')


cdef _record(Op op, tuple inputs, dict attrs, list outs):
    cdef Node node = Node.__new__(Node)
    cdef Py_ssize_t i
    node.op = op
    node.inputs = inputs
    node.attrs = attrs
    node.ctx = (<NDArrayBase>outs[0])._ctx
    node.out_data = [(<NDArrayBase>o)._data for o in outs]
    for i in range(len(outs)):
        (<NDArrayBase>outs[i])._node = node
        (<NDArrayBase>outs[i])._oidx = i
    return node


def record_op(Op op, tuple inputs, dict attrs, list outputs):
    """Put an already computed operation on the tape (used by autograd.Function)."""
    for x in inputs + tuple(outputs):
        if not isinstance(x, NDArrayBase):
            raise MXNetError("%s: only NDArrays can be recorded as inputs or outputs, "
                             "got %s" % (op.name, type(x).__name__))
    return _record(op, inputs, attrs or _EMPTY, outputs)


cdef inline NDArrayBase _entry(Node node, Py_ssize_t i):
    cdef NDArrayBase r = wrap(node.out_data[i], node.ctx)
    r._node = node
    r._oidx = i
    return r


cdef str _freed_message(Node node):
    return ("the graph through operator %s was already freed by a previous "
            "backward; pass retain_graph=True to the first backward() to "
            "run backward through it again" % node.op.name)


cdef Py_ssize_t _generation = 0


cdef list _topological_order(list heads, Py_ssize_t gen):
    # Iterative post-order DFS: every Node comes after all Nodes it depends on.
    cdef list order = []
    cdef list stack = []
    cdef list pos = []
    cdef Node node, child
    cdef NDArrayBase h
    cdef Py_ssize_t i
    for h in heads:
        node = h._node
        if node is None or node._mark == gen:
            continue
        node._mark = gen
        stack.append(node)
        pos.append(0)
        while stack:
            node = <Node>stack[-1]
            i = pos[-1]
            if i < len(node.inputs):
                pos[-1] = i + 1
                child = (<NDArrayBase>node.inputs[i])._node
                if child is not None and child._mark != gen:
                    if child.freed:
                        raise MXNetError(_freed_message(child))
                    child._mark = gen
                    stack.append(child)
                    pos.append(0)
            else:
                stack.pop()
                pos.pop()
                order.append(node)
    return order


cdef NDArrayBase _accumulate(object a, NDArrayBase g, bint create_graph):
    if a is None:
        return g
    if create_graph:
        return <NDArrayBase>_binary(0, <NDArrayBase>a, g, False)
    return wrap((<NDArrayBase>a)._data + g._data, g._ctx)


def backward(list heads, list head_grads, bint retain_graph=False,
             bint train_mode=True, list variables=None, bint create_graph=False):
    """Run backpropagation from ``heads``.

    With ``variables=None``, gradients are written (or added, for grad_req
    'add') into the ``.grad`` of every variable reached. Otherwise nothing is
    written and the gradients of ``variables`` are returned as a list (what
    ``autograd.grad`` does); with ``create_graph`` they are themselves recorded.
    """
    global _generation, _recording, _training
    cdef NDArrayBase h, x, g, v
    cdef Node node
    cdef Py_ssize_t i, n
    cdef dict var_grads = {}
    if len(heads) != len(head_grads):
        raise MXNetError("backward: got %d heads but %d head gradients"
                         % (len(heads), len(head_grads)))
    for h in heads:
        if h._node is None and h._grad_req == 0:
            raise MXNetError(
                "cannot differentiate an array (shape %s) that was not computed "
                "under autograd.record() from arrays marked with attach_grad()"
                % (h.shape,))
        if h._node is not None and h._node.freed:
            raise MXNetError(_freed_message(h._node))
    _generation += 1
    order = _topological_order(heads, _generation)
    for node in order:
        node._ograds = [None] * len(node.out_data)
    for i in range(len(heads)):
        h = heads[i]
        hg = head_grads[i]
        if hg is None:
            g = wrap(h._ctx.get_xp().ones_like(h._data), h._ctx)
        else:
            g = <NDArrayBase>hg
            if g._data.shape != h._data.shape:
                raise MXNetError("backward: head gradient shape %s does not match "
                                 "the head's shape %s" % (g.shape, h.shape))
        if h._node is not None:
            h._node._ograds[h._oidx] = _accumulate(h._node._ograds[h._oidx], g, create_graph)
        else:
            var_grads[id(h)] = (h, _accumulate(var_grads.get(id(h), (None, None))[1], g, create_graph))

    prev_rec, prev_train = _recording, _training
    _recording, _training = create_graph, train_mode
    try:
        for node in reversed(order):
            ograds = node._ograds
            node._ograds = None
            n = len(ograds)
            for og in ograds:
                if og is not None:
                    break
            else:
                og = None
            if og is not None:
                outputs = tuple([_entry(node, i) for i in range(n)])
                nv = _num_visible(node.op, node.attrs)
                if nv >= 0:
                    # hidden outputs never receive a gradient: leave them None
                    n = nv
                for i in range(n):
                    if ograds[i] is None:
                        ograds[i] = wrap(node.ctx.get_xp().zeros_like(node.out_data[i]), node.ctx)
                if node.attrs:
                    grads = node.op.gradient(_F, node.inputs, outputs, tuple(ograds), **node.attrs)
                else:
                    grads = node.op.gradient(_F, node.inputs, outputs, tuple(ograds))
                for i in range(len(node.inputs)):
                    gi = grads[i]
                    if gi is None:
                        continue
                    x = node.inputs[i]
                    if x._node is not None:
                        x._node._ograds[x._oidx] = _accumulate(
                            x._node._ograds[x._oidx], <NDArrayBase>gi, create_graph)
                    elif x._grad_req != 0:
                        prev = var_grads.get(id(x))
                        var_grads[id(x)] = (x, _accumulate(
                            None if prev is None else prev[1], <NDArrayBase>gi, create_graph))
            if not retain_graph:
                node.release()
    finally:
        _recording, _training = prev_rec, prev_train

    if variables is not None:
        result = []
        for v in variables:
            entry = var_grads.get(id(v))
            if entry is None:
                result.append(wrap(v._ctx.get_xp().zeros_like(v._data), v._ctx))
            else:
                result.append(entry[1])
        return result
    for v, g in var_grads.values():
        if v._grad is None or v._grad_req == 0:
            continue
        if g._data.shape != v._data.shape:
            raise MXNetError("internal error: gradient of shape %s for a variable "
                             "of shape %s" % (g.shape, v.shape))
        if v._grad_req == 2:
            (<NDArrayBase>v._grad)._data += g._data
            v._fresh_grad = True
        else:
            (<NDArrayBase>v._grad)._data[...] = g._data
            v._fresh_grad = True
    return None
