"""Executor: a Symbol bound to arrays, with MXNet 1.x's API.

``Symbol.bind`` and ``Symbol.simple_bind`` create one. It owns the arrays (the
arguments, their gradient buffers, the auxiliary states) and leaves the
running to a :class:`~mxlearn.executor.program.GraphProgram` compiled for
their shapes and dtypes: ``forward`` runs the forward part of the training
graph, ``backward`` the gradient part, and the gradients land in
``grad_arrays`` as each argument's ``grad_req`` says ('write' overwrites,
'add' accumulates, 'null' computes nothing).

For looking inside: ``graph`` (the optimized training graph that runs),
``unoptimized_graph``, ``memory_plan``, and, after a run with
``keep_internals=True``, ``internal_values()``.
"""
import numpy

from .._ext.core import Context, NDArrayBase, new_ndarray
from ..base import MXNetError
from .program import GraphProgram, _infer, default_optimize

_GRAD_REQS = ('write', 'add', 'null')


class Executor:
    """Run a Symbol forward and backward on bound arrays (create with ``Symbol.bind``).

    Parameters
    ----------
    symbol : Symbol
    ctx : Context
    args : list or dict of NDArray
        The arguments, in ``symbol.list_arguments()`` order or by name.
    args_grad : list or dict of NDArray, optional
        Gradient buffers (an argument without one gets no gradient).
    grad_req : str, list or dict
        'write', 'add' or 'null', for all arguments or each (by position or
        name; names left out of a dict are 'null').
    aux_states : list or dict of NDArray, optional
        Required when the symbol has auxiliary states.
    optimize : bool, optional
        Run the graph passes before running (default True; the environment
        variable ``MXLEARN_OPTIMIZE_GRAPH=0`` turns them off). Results are
        the same either way.
    keep_internals : bool
        Keep every intermediate value of the last forward and backward pass,
        for :meth:`internal_values` (costs memory: nothing is released early).

    Attributes
    ----------
    outputs : list of NDArray
        The outputs of the last forward pass: the same NDArrays after each
        pass (a reference kept from an earlier pass shows the new values;
        ``copy()`` one to keep it).
    arg_arrays, grad_arrays, aux_arrays : list of NDArray
        ``grad_arrays`` holds None for arguments without a gradient buffer.
    keep_internals : bool
        Can be switched on or off between runs.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x, w = mx.sym.var('x'), mx.sym.var('w')
    >>> exe = (x * w).simple_bind(mx.cpu(), x=(2,), w=(2,))
    >>> exe.arg_dict['w'][:] = 3
    >>> exe.forward(is_train=True, x=mx.nd.array([1, 2]))[0].asnumpy()
    array([3., 6.], dtype=float32)
    >>> exe.backward(mx.nd.ones((2,)))
    >>> exe.grad_dict['w'].asnumpy()
    array([1., 2.], dtype=float32)
    """

    def __init__(self, symbol, ctx, args, args_grad=None, grad_req='write', aux_states=None,
                 optimize=None, keep_internals=False, _programs=None):
        if not isinstance(ctx, Context):
            raise MXNetError('bind: ctx must be a Context such as mx.cpu(), got %r' % (ctx,))
        self._symbol, self._ctx = symbol, ctx
        arg_names = symbol.list_arguments()
        aux_names = symbol.list_auxiliary_states()
        self._arg_names, self._aux_names = arg_names, aux_names
        self._output_names = symbol.list_outputs()
        self.arg_arrays = _arrays(args, arg_names, 'args', ctx)
        self.aux_arrays = _arrays(aux_states, aux_names, 'aux_states', ctx)
        self.grad_arrays = (_arrays(args_grad, arg_names, 'args_grad', ctx, required=False)
                            if args_grad is not None else [None] * len(arg_names))
        self._grad_req = _grad_reqs(grad_req, arg_names)
        _check_shapes(symbol, arg_names + aux_names, self.arg_arrays + self.aux_arrays)
        for name, a, g in zip(arg_names, self.arg_arrays, self.grad_arrays):
            if g is not None and g.shape != a.shape:
                raise MXNetError('bind: the gradient buffer of %r has shape %s; expected %s, '
                                 'the shape of the argument' % (name, g.shape, a.shape))
        self._optimize = default_optimize() if optimize is None else bool(optimize)
        self.keep_internals = keep_internals
        self._values = dict(zip(arg_names, self.arg_arrays))
        self._values.update(zip(aux_names, self.aux_arrays))
        self._grad_targets = [(n, g, r == 'add') for n, g, r in
                              zip(arg_names, self.grad_arrays, self._grad_req)
                              if g is not None and r != 'null']
        self._programs = {} if _programs is None else _programs
        self._monitor = None
        self._program = self._get_program()
        self.outputs = [new_ndarray(ctx.xp.zeros(s, dtype=d), ctx) for s, d in
                        zip(self._program.out_shapes, self._program.out_dtypes)]
        self._state, self._trained, self._ran = None, False, False

    def _get_program(self):
        names = self._arg_names + self._aux_names
        arrays = self.arg_arrays + self.aux_arrays
        grad_names = tuple(n for n, _, _ in self._grad_targets)
        # a monitor sees every node of the graph as written: no fused nodes
        optimize = self._optimize and self._monitor is None
        key = (tuple(a.shape for a in arrays), tuple(numpy.dtype(a.dtype) for a in arrays),
               grad_names, optimize)
        program = self._programs.get(key)
        if program is None:
            program = self._programs[key] = GraphProgram(
                self._symbol, {n: a.shape for n, a in zip(names, arrays)},
                {n: a.dtype for n, a in zip(names, arrays)}, grad_names, self._ctx,
                optimize=optimize, values=self._values)
        return program

    # --- running -----------------------------------------------------------

    def forward(self, is_train=False, **kwargs):
        """Run the forward pass and return ``outputs``.

        Parameters
        ----------
        is_train : bool
            Training mode (Dropout drops, BatchNorm uses and updates batch
            statistics); needed before :meth:`backward`.
        **kwargs
            New values for arguments, copied into ``arg_dict`` first.

        Returns
        -------
        list of NDArray
        """
        for name, value in kwargs.items():
            dst = self._values.get(name) if name in self._arg_names else None
            if dst is None:
                raise MXNetError('forward: %r is not an argument of the graph; its arguments '
                                 'are %s' % (name, ', '.join(self._arg_names)))
            shape = tuple(getattr(value, 'shape', numpy.shape(value)))
            if shape != dst.shape:
                raise MXNetError('forward: %r has shape %s; the executor was bound with %s '
                                 '(use reshape() for new shapes)' % (name, shape, dst.shape))
            dst[:] = value
        outputs, self._state = self._program.run_forward(
            self._values, bool(is_train), self.keep_internals, self._monitor)
        # As in MXNet, ``outputs`` are the same NDArrays after every pass,
        # holding the latest values (their buffers are swapped, not copied).
        for mine, new in zip(self.outputs, outputs):
            mine._data = new._data
        self._trained, self._ran = bool(is_train), True
        return self.outputs

    def backward(self, out_grads=None, is_train=True):
        """Compute the gradients into ``grad_arrays`` (after ``forward(is_train=True)``).

        Parameters
        ----------
        out_grads : NDArray, list or dict of NDArray, optional
            The gradient arriving at each output (by position or output
            name); ones where left out. Loss outputs such as SoftmaxOutput
            ignore it.
        is_train : bool
            Accepted for compatibility; the backward pass is that of training.
        """
        if not self._trained:
            raise MXNetError('backward: call forward(is_train=True) before backward(); %s'
                             % ('the last forward pass ran in inference mode' if self._ran
                                else 'forward has not run yet'))
        heads = _head_grads(out_grads, self._output_names)
        grads = self._program.run_backward(self._state, heads, self.keep_internals,
                                           self._monitor)
        for name, buffer, add in self._grad_targets:
            if add:
                buffer._data += grads[name]._data
            else:
                buffer._data[...] = grads[name]._data

    def set_monitor_callback(self, callback, monitor_all=False):
        """Call ``callback(name, array)`` with every value the graph computes.

        Parameters
        ----------
        callback : callable or None
            Called during ``forward`` and ``backward`` with each node's output
            name (``fc1_output``, ``fc1_backward_...``) and a copy of the value
            as an NDArray (MXNet passes a raw handle instead). None removes it.
        monitor_all : bool
            Also call it with each node's inputs before the node runs, named
            ``<node>_<input>`` (``fc1_data``, ``fc1_weight``).

        Notes
        -----
        While a callback is installed the executor runs the graph without the
        graph passes, so that every node of the symbol is seen under its name.
        See ``mx.monitor.Monitor`` for the usual statistics.

        Examples
        --------
        >>> import mxlearn as mx
        >>> y = mx.sym.relu(mx.sym.elemwise_sub(mx.sym.var('x'), mx.sym.var('b'), name='s'),
        ...                 name='r')
        >>> exe = y.simple_bind(mx.cpu(), x=(2,), b=(2,))
        >>> seen = []
        >>> exe.set_monitor_callback(lambda name, arr: seen.append(name))
        >>> _ = exe.forward()
        >>> seen
        ['s_output', 'r_output']
        """
        if callback is not None and not callable(callback):
            raise MXNetError('set_monitor_callback: callback must be callable, got %r'
                             % (callback,))
        self._monitor = None if callback is None else (callback, bool(monitor_all))
        program = self._get_program()
        if program is not self._program:
            self._program, self._state, self._trained = program, None, False

    def debug_str(self):
        """A text listing of the graph that runs (forward and gradient nodes) and its memory.

        Examples
        --------
        >>> import mxlearn as mx
        >>> exe = mx.sym.relu(mx.sym.var('x'), name='r').simple_bind(mx.cpu(), x=(2,))
        >>> print(exe.debug_str().splitlines()[0])
        Symbol Outputs:
        """
        from ..symbol.symbol import _debug_str
        plan = self._program.memory_plan
        text = _debug_str(self._program.graph)
        return text + ('Total %d MB allocated\nMemory plan: %d bytes for the intermediate '
                       'values (%d without planning, %.0f%% saved), %d bytes of outputs\n'
                       % (plan.planned_bytes >> 20, plan.planned_bytes, plan.naive_bytes,
                          100 * plan.saved_fraction, plan.output_bytes))

    # --- arrays by name ----------------------------------------------------

    @property
    def arg_dict(self):
        """``{argument name: NDArray}``."""
        return dict(zip(self._arg_names, self.arg_arrays))

    @property
    def grad_dict(self):
        """``{argument name: gradient NDArray or None}``."""
        return dict(zip(self._arg_names, self.grad_arrays))

    @property
    def aux_dict(self):
        """``{auxiliary state name: NDArray}``."""
        return dict(zip(self._aux_names, self.aux_arrays))

    @property
    def output_dict(self):
        """``{output name: NDArray}`` of the last forward pass."""
        return dict(zip(self._output_names, self.outputs))

    # --- looking inside ----------------------------------------------------

    @property
    def graph(self):
        """The training graph that runs (forward outputs, then gradients), after the passes."""
        return self._program.graph

    @property
    def unoptimized_graph(self):
        """The training graph before the graph passes."""
        return self._program.unoptimized_graph

    @property
    def memory_plan(self):
        """The memory plan of :attr:`graph` (``passes.plan_memory``)."""
        return self._program.memory_plan

    @property
    def program(self):
        """The :class:`GraphProgram` running this executor's graph."""
        return self._program

    def internal_values(self):
        """Every value of the last run, ``{entry name: NDArray}``, by :attr:`graph`'s names.

        Names are those of ``graph.get_internals().list_outputs()``: a
        forward node's ``fc1_output``, a gradient node's
        ``fc1_backward_dot_output``, a hidden output ``drop_hidden1``, the
        inputs by name. Set ``keep_internals=True`` before the run to get all
        of them; otherwise only the values kept for backward are there.

        Examples
        --------
        >>> import mxlearn as mx
        >>> y = mx.sym.relu(mx.sym.var('x') - 1, name='r')
        >>> exe = y.simple_bind(mx.cpu(), x=(2,), keep_internals=True)
        >>> _ = exe.forward(is_train=True, x=mx.nd.array([0.0, 3.0]))
        >>> exe.backward()
        >>> values = exe.internal_values()
        >>> values['r_output'].asnumpy(), values['x'].asnumpy()
        (array([0., 2.], dtype=float32), array([0., 3.], dtype=float32))
        """
        return self._program.internal_values(self._state)

    # --- parameters and shapes ---------------------------------------------

    def copy_params_from(self, arg_params, aux_params=None, allow_extra_params=False):
        """Copy parameter values into the bound arrays.

        Parameters
        ----------
        arg_params : dict of str to NDArray
        aux_params : dict of str to NDArray, optional
        allow_extra_params : bool
            Ignore names that are not arguments (auxiliary states) instead
            of raising an error.
        """
        for params, target, what in ((arg_params, self.arg_dict, 'argument'),
                                     (aux_params or {}, self.aux_dict, 'auxiliary state')):
            for name, value in params.items():
                dst = target.get(name)
                if dst is None:
                    if allow_extra_params:
                        continue
                    raise MXNetError('copy_params_from: %r is not an %s of the graph (%s); '
                                     'pass allow_extra_params=True to skip it'
                                     % (name, what, ', '.join(target) or 'none'))
                if tuple(value.shape) != dst.shape:
                    raise MXNetError('copy_params_from: %r has shape %s; the bound array has '
                                     '%s' % (name, tuple(value.shape), dst.shape))
                if hasattr(value, 'copyto'):
                    value.copyto(dst)     # from any device, as MXNet copies
                else:
                    dst[:] = value

    def reshape(self, partial_shaping=False, allow_up_sizing=False, **kwargs):
        """A new executor for new input shapes, sharing the arrays whose shapes stay.

        Parameters
        ----------
        partial_shaping : bool
            Allow arguments not given in ``kwargs`` to change shape.
        allow_up_sizing : bool
            Allow an array to grow (a new one is allocated).
        **kwargs
            New shapes by argument name.

        Returns
        -------
        Executor

        Examples
        --------
        >>> import mxlearn as mx
        >>> y = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2, name='fc')
        >>> exe = y.simple_bind(mx.cpu(), data=(8, 3))
        >>> small = exe.reshape(data=(4, 3))
        >>> small.outputs[0].shape, small.arg_dict['fc_weight'] is exe.arg_dict['fc_weight']
        ((4, 2), True)
        """
        shapes, _ = _infer(self._symbol, kwargs, {})
        new = {}
        for name, old in list(zip(self._arg_names, self.arg_arrays)) + \
                list(zip(self._aux_names, self.aux_arrays)):
            shape = tuple(shapes[name])
            if shape == old.shape:
                continue
            if name not in kwargs and not partial_shaping:
                raise MXNetError('reshape: the shape of %r would change from %s to %s although '
                                 'it was not given; pass partial_shaping=True if that is meant'
                                 % (name, old.shape, shape))
            if int(numpy.prod(shape)) > old.size and not allow_up_sizing:
                raise MXNetError('reshape: %r would grow from %s to %s; pass '
                                 'allow_up_sizing=True to allocate larger arrays (or bind '
                                 'the large executor first and reshape down)'
                                 % (name, old.shape, shape))
            new[name] = shape

        def resized(names, arrays):
            return [a if a is None or n not in new else
                    new_ndarray(self._ctx.xp.zeros(new[n], dtype=a.dtype), self._ctx)
                    for n, a in zip(names, arrays)]
        return Executor(self._symbol, self._ctx, resized(self._arg_names, self.arg_arrays),
                        resized(self._arg_names, self.grad_arrays), self._grad_req,
                        resized(self._aux_names, self.aux_arrays), optimize=self._optimize,
                        keep_internals=self.keep_internals, _programs=self._programs)

    def __repr__(self):
        return '<Executor %s on %s>' % (', '.join(self._output_names), self._ctx)


def simple_bind(symbol, ctx, grad_req, type_dict, stype_dict, kwargs):
    """``Symbol.simple_bind``: allocate zeros for every array, then bind them."""
    options = {k: kwargs.pop(k) for k in ('optimize', 'keep_internals') if k in kwargs}
    if stype_dict and any(s != 'default' for s in stype_dict.values()):
        raise MXNetError('simple_bind: mxlearn has dense storage only; stype_dict asks for %s'
                         % (stype_dict,))
    if not isinstance(ctx, Context):
        raise MXNetError('simple_bind: ctx must be a Context such as mx.cpu(), got %r'
                         % (ctx,))
    shapes, dtypes = _infer(symbol, kwargs, type_dict or {})
    arg_names = symbol.list_arguments()
    reqs = _grad_reqs(grad_req, arg_names)
    xp = ctx.xp

    def zeros(name):
        return new_ndarray(xp.zeros(shapes[name], dtype=dtypes[name]), ctx)
    args = [zeros(n) for n in arg_names]
    grads = [zeros(n) if r != 'null' else None for n, r in zip(arg_names, reqs)]
    aux = [zeros(n) for n in symbol.list_auxiliary_states()]
    return Executor(symbol, ctx, args, grads, reqs, aux, **options)


def _arrays(given, names, what, ctx, required=True):
    """The arrays of ``given`` (list or dict) in the order of ``names``."""
    if given is None:
        given = {}
    if isinstance(given, dict):
        missing = [n for n in names if given.get(n) is None]
        if missing and required:
            raise MXNetError('bind: %s has no array for %s (the graph needs %s)'
                             % (what, ', '.join(repr(n) for n in missing), ', '.join(names)))
        arrays = [given.get(n) for n in names]
    elif isinstance(given, (list, tuple)):
        if len(given) != len(names):
            raise MXNetError('bind: %s has %d arrays for the %d names %s'
                             % (what, len(given), len(names), ', '.join(names)))
        arrays = list(given)
    else:
        raise MXNetError('bind: %s must be a list or a dict of NDArrays, got %s'
                         % (what, type(given).__name__))
    for name, a in zip(names, arrays):
        if a is None:
            if required:
                raise MXNetError('bind: %s has None for %r' % (what, name))
            continue
        if not isinstance(a, NDArrayBase):
            raise MXNetError('bind: %s[%r] must be an NDArray, got %s'
                             % (what, name, type(a).__name__))
        if a.context != ctx:
            raise MXNetError('bind: %s[%r] is on %s but the executor runs on %s; move it '
                             'with as_in_context()' % (what, name, a.context, ctx))
    return arrays


def _grad_reqs(grad_req, names):
    if isinstance(grad_req, str):
        reqs = [grad_req] * len(names)
    elif isinstance(grad_req, dict):
        unknown = [k for k in grad_req if k not in names]
        if unknown:
            raise MXNetError('bind: grad_req names %s, which %s not an argument; the '
                             'arguments are %s' % (unknown, 'is' if len(unknown) == 1
                                                   else 'are', ', '.join(names)))
        reqs = [grad_req.get(n, 'null') for n in names]
    elif isinstance(grad_req, (list, tuple)):
        if len(grad_req) != len(names):
            raise MXNetError('bind: grad_req has %d entries for the %d arguments %s'
                             % (len(grad_req), len(names), ', '.join(names)))
        reqs = list(grad_req)
    else:
        raise MXNetError("bind: grad_req must be 'write', 'add' or 'null', or a list or "
                         "dict of them; got %r" % (grad_req,))
    for name, r in zip(names, reqs):
        if r not in _GRAD_REQS:
            raise MXNetError("bind: grad_req of %r is %r; expected 'write', 'add' or 'null'"
                             % (name, r))
    return reqs


def _check_shapes(symbol, names, arrays):
    """Check the bound shapes with shape inference, naming the argument at fault."""
    shapes = {n: a.shape for n, a in zip(names, arrays)}
    try:
        symbol.infer_shape_partial(**shapes)
        return
    except MXNetError as error:
        original = error
    for name in names:
        others = {k: v for k, v in shapes.items() if k != name}
        try:
            args, _, aux = symbol.infer_shape_partial(**others)
        except MXNetError:
            continue
        wanted = dict(zip(symbol.list_arguments() + symbol.list_auxiliary_states(),
                          args + aux)).get(name)
        if wanted and tuple(wanted) != tuple(shapes[name]):
            raise MXNetError('bind: %r has shape %s, but the graph needs %s there (inferred '
                             'from the other arrays)' % (name, tuple(shapes[name]),
                                                        tuple(wanted))) from None
    raise original


def _head_grads(out_grads, names):
    if out_grads is None:
        return None
    if isinstance(out_grads, NDArrayBase):
        out_grads = [out_grads]
    if isinstance(out_grads, dict):
        unknown = [k for k in out_grads if k not in names]
        if unknown:
            raise MXNetError('backward: out_grads names %s, which %s not an output; the '
                             'outputs are %s' % (unknown, 'is' if len(unknown) == 1 else 'are',
                                                 ', '.join(names)))
        return [out_grads.get(n) for n in names]
    out_grads = list(out_grads)
    if len(out_grads) != len(names):
        raise MXNetError('backward: %d out_grads given for the %d outputs %s'
                         % (len(out_grads), len(names), ', '.join(names)))
    for name, g in zip(names, out_grads):
        if g is not None and not isinstance(g, NDArrayBase):
            raise MXNetError('backward: the gradient of %r must be an NDArray, got %s'
                             % (name, type(g).__name__))
    return out_grads
