"""Symbol: a graph of registry operators, built now and run later.

A Symbol is a list of outputs, each ``(node, index)``. A node is a variable
(``op`` None) or an operator applied to the outputs of other nodes, with its
attributes as Python values (``kernel=(3, 3)``) and the user's own attributes
(``__shape__``, ``lr_mult``) as strings, which is how MXNet keeps them.

Examples
--------
>>> from mxlearn import symbol as sym
>>> x = sym.var('x')
>>> y = sym.FullyConnected(x, num_hidden=3, name='fc1')
>>> y.list_arguments()
['x', 'fc1_weight', 'fc1_bias']
>>> y.infer_shape(x=(2, 5))[0]
[(2, 5), (3, 5), (3,)]
"""
import itertools
import os
import tempfile
import warnings

import numpy

from .._ext.core import Op, invoke
from .. import attribute
from ..base import MXNetError
from ..gluon.name import current as _current_names
from ..ndarray.params_file import _FLAG_TO_DTYPE, _flag_for_dtype
from ..operator import OPS
from ..operator.fused_elemwise import kernel_steps
from . import json_format
from .register import AUXILIARY, PARAM_SHAPES, output_names, wants_input

_STORAGE_FLAGS = {'default': 0, 'row_sparse': 1, 'csr': 2}


class _Node:
    """One operation (or variable) of a graph; Symbols point at its outputs."""
    __slots__ = ('op', 'op_name', 'name', 'attrs', 'user_attrs', 'inputs', 'outputs')

    def __init__(self, op, op_name, name, attrs, user_attrs, inputs):
        self.op, self.op_name, self.name = op, op_name, name
        self.attrs = attrs
        self.user_attrs = dict(user_attrs or {})
        self.inputs = inputs
        self.outputs = output_names(op, attrs) if op is not None else ['']

    def all_attrs(self):
        """The node's attributes as MXNet's JSON writes them (strings)."""
        out = {k: json_format.format_value(v) for k, v in self.attrs.items()}
        if self.op is not None and self.op.num_inputs < 0:
            out['num_args'] = str(len(self.inputs))
        out.update(self.user_attrs)
        return out


def _topological(heads):
    """The nodes reachable from ``heads`` in MXNet's order (depth-first, inputs in order)."""
    order, seen = [], set()
    for head, _ in heads:
        stack = [(head, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((n, False) for n, _ in reversed(node.inputs) if id(n) not in seen)
    return order


_NDARRAY_ONLY = ('%s needs a value, and a Symbol has none until its graph runs: it works on '
                 'NDArrays only. (Inside hybrid_forward of a hybridized block F is mx.sym and '
                 'the inputs are Symbols: write the code with F functions, or do not hybridize '
                 'that block.)')


def _ndarray_only(name):
    """A Symbol method that explains why the NDArray method ``name`` is not there."""
    def method(self, *args, **kwargs):
        raise MXNetError(_NDARRAY_ONLY % (name + '()'))
    method.__name__ = method.__qualname__ = name
    method.__doc__ = 'Not available on a Symbol: it has no value until the graph runs.'
    return method


class Symbol:
    """The outputs of a graph of operators (see the module docstring).

    Build one with :func:`var` and the operator functions of ``mx.sym``
    rather than with this constructor.
    """

    def __init__(self, outputs):
        self._outputs = list(outputs)

    # --- structure ---------------------------------------------------------

    @property
    def name(self):
        """The node name of a single-output symbol, None for a group.

        Examples
        --------
        >>> from mxlearn import symbol as sym
        >>> sym.relu(sym.var('x'), name='r').name
        'r'
        >>> sym.split(sym.var('x'), num_outputs=2, name='s').name  # one node
        's'
        """
        node = self._head()
        return None if node is None else node.name

    def _nodes(self):
        return _topological(self._outputs)

    def _variables(self):
        """(arguments, auxiliary states) of the graph, as variable nodes in order."""
        aux = set()
        for node in self._nodes():
            names = AUXILIARY.get(node.op.name, ()) if node.op is not None else ()
            for key, (src, _) in zip(node.op.arg_names if node.op else (), node.inputs):
                if key in names and src.op is None:
                    aux.add(id(src))
        variables = [n for n in self._nodes() if n.op is None]
        return ([n for n in variables if id(n) not in aux],
                [n for n in variables if id(n) in aux])

    def list_arguments(self):
        """The names of the variables the graph reads, except auxiliary states.

        Examples
        --------
        >>> from mxlearn import symbol as sym
        >>> sym.BatchNorm(sym.var('x'), name='bn').list_arguments()
        ['x', 'bn_gamma', 'bn_beta']
        """
        return [n.name for n in self._variables()[0]]

    def list_auxiliary_states(self):
        """The names of the auxiliary states (BatchNorm's moving mean and variance).

        Examples
        --------
        >>> from mxlearn import symbol as sym
        >>> sym.BatchNorm(sym.var('x'), name='bn').list_auxiliary_states()
        ['bn_moving_mean', 'bn_moving_var']
        """
        return [n.name for n in self._variables()[1]]

    def list_inputs(self):
        """The names of all variables, arguments and auxiliary states, in graph order.

        Examples
        --------
        >>> from mxlearn import symbol as sym
        >>> len(sym.BatchNorm(sym.var('x')).list_inputs())
        5
        """
        return [n.name for n in self._nodes() if n.op is None]

    def list_outputs(self):
        """The names of the outputs: ``<node>_output`` (a variable's is its name).

        Examples
        --------
        >>> from mxlearn import symbol as sym
        >>> sym.split(sym.var('x'), num_outputs=2, name='s').list_outputs()
        ['s_output0', 's_output1']
        """
        return [_output_name(node, i) for node, i in self._outputs]

    def __len__(self):
        return len(self._outputs)

    def __iter__(self):
        return (Symbol([o]) for o in self._outputs)

    def __getitem__(self, index):
        """An output by position or by name (as in ``list_outputs``); a group for a slice.

        Examples
        --------
        >>> from mxlearn import symbol as sym
        >>> parts = sym.split(sym.var('x'), num_outputs=3, name='s')
        >>> parts['s_output1'].list_outputs(), parts[1:].list_outputs()
        (['s_output1'], ['s_output1', 's_output2'])
        """
        if isinstance(index, slice):
            outputs = self._outputs[index]
            if not outputs:
                raise MXNetError('the slice %s selects none of the %d outputs'
                                 % (index, len(self)))
            return Symbol(outputs)
        if isinstance(index, str):
            names = self.list_outputs()
            if index not in names:
                raise MXNetError('no output named %r; the outputs are %s' % (index, names))
            index = names.index(index)
        if not -len(self) <= index < len(self):
            raise MXNetError('output index %d is out of range for %d outputs'
                             % (index, len(self)))
        return Symbol([self._outputs[index]])

    def get_internals(self):
        """A group of every output of every node, variables included.

        Examples
        --------
        >>> from mxlearn import symbol as sym
        >>> sym.relu(sym.var('x'), name='r').get_internals().list_outputs()
        ['x', 'r_output']
        """
        return Symbol([(n, i) for n in self._nodes() for i in range(len(n.outputs))])

    def get_children(self):
        """The inputs of this symbol's node, as a group; None for a variable.

        Examples
        --------
        >>> from mxlearn import symbol as sym
        >>> sym.relu(sym.var('x')).get_children().list_outputs()
        ['x']
        """
        node = self._single('get_children')
        return Symbol(node.inputs) if node.inputs else None

    def _single(self, what):
        if len(self._outputs) != 1:
            raise MXNetError('%s needs a symbol with one output; this group has %d'
                             % (what, len(self._outputs)))
        return self._outputs[0][0]

    # --- composition and copies -------------------------------------------

    def __call__(self, *args, **kwargs):
        """A copy of this graph with some inputs replaced by other symbols.

        Parameters
        ----------
        name : str, optional
            A new name for the head node.
        **kwargs : Symbol
            Replacements for the variables of those names (each a Symbol with
            one output). MXNet composes by keyword only.

        Returns
        -------
        Symbol

        Examples
        --------
        >>> from mxlearn import symbol as sym
        >>> fc1 = sym.FullyConnected(sym.var('data'), num_hidden=4, name='fc1')
        >>> fc2 = sym.FullyConnected(sym.var('hidden'), num_hidden=2, name='fc2')
        >>> fc2(hidden=fc1).list_arguments()
        ['data', 'fc1_weight', 'fc1_bias', 'fc2_weight', 'fc2_bias']
        """
        out = self.__copy__()
        out._compose(*args, **kwargs)
        return out

    def _compose(self, *args, **kwargs):
        """Replace inputs of this graph by other symbols, in place (see :meth:`__call__`).

        Examples
        --------
        >>> from mxlearn import symbol as sym
        >>> y = sym.relu(sym.var('x'), name='r')
        >>> y._compose(x=sym.var('a'))
        >>> y.list_arguments()
        ['a']
        """
        name = kwargs.pop('name', None)
        if args:
            raise MXNetError('compose: symbols are composed by keyword only (%d positional '
                             'arguments given); write y(name_of_input=symbol)' % len(args))
        inputs = self.list_inputs()
        for key, value in kwargs.items():
            if key not in inputs:
                raise MXNetError('compose: %r is not an input of this symbol; its inputs are '
                                 '%s' % (key, ', '.join(inputs)))
            if not isinstance(value, Symbol):
                raise MXNetError('compose: %r must be a Symbol, got %s'
                                 % (key, type(value).__name__))
            if len(value) != 1:
                raise MXNetError('compose: %r must have one output; a group of %d was given'
                                 % (key, len(value)))
        replace = {k: v._outputs[0] for k, v in kwargs.items()}
        self._outputs = _copy_graph(self._outputs, replace)
        if name is not None:
            self._outputs[0][0].name = name

    def __copy__(self):
        """A copy of the whole graph (new nodes), so changing one leaves the other.

        Examples
        --------
        >>> import copy
        >>> from mxlearn import symbol as sym
        >>> y = sym.relu(sym.var('x'))
        >>> copy.copy(y).tojson() == y.tojson()
        True
        """
        return Symbol(_copy_graph(self._outputs, {}))

    def __deepcopy__(self, memo):
        return self.__copy__()

    def __reduce__(self):
        # pickled as its JSON, as MXNet does (operators are not picklable)
        return load_json, (self.tojson(),)

    copy = __copy__

    # --- attributes --------------------------------------------------------

    def attr(self, key):
        """The attribute ``key`` of this node as a string, or None (always None for a group).

        The hidden keys (``lr_mult``, ``wd_mult``, ``ctx_group``...) are
        found under either name, as in MXNet.

        Examples
        --------
        >>> from mxlearn import symbol as sym
        >>> w = sym.var('w', lr_mult=2)
        >>> w.attr('__lr_mult__'), w.attr('lr_mult')
        ('2', '2')
        """
        node = self._head()
        return None if node is None else node.all_attrs().get(attribute.hidden_key(key))

    def list_attr(self, recursive=False):
        """This node's attributes, as strings (``{}`` for a group).

        Hidden keys are listed twice, as ``__lr_mult__`` and ``lr_mult``.
        ``recursive=True`` (deprecated in MXNet) lists those of every node
        as ``'node$key'``.

        Examples
        --------
        >>> from mxlearn import symbol as sym
        >>> sym.Activation(sym.var('x'), act_type='relu').list_attr()
        {'act_type': 'relu'}
        """
        if recursive:
            return {'%s$%s' % (name, k): v for name, attrs in self.attr_dict().items()
                    for k, v in attrs.items()}
        node = self._head()
        return {} if node is None else attribute.listed(node.all_attrs())

    def attr_dict(self):
        """The attributes of every node that has some, by node name.

        Examples
        --------
        >>> from mxlearn import symbol as sym
        >>> sym.var('x', shape=(2,)).attr_dict()
        {'x': {'__shape__': '(2,)'}}
        """
        return {n.name: attribute.listed(n.all_attrs()) for n in self._nodes() if n.all_attrs()}

    def _set_attr(self, **kwargs):
        """Set attributes (string values) of this node, in place.

        Examples
        --------
        >>> from mxlearn import symbol as sym
        >>> y = sym.relu(sym.var('x'), name='r')
        >>> y._set_attr(mood='calm')
        >>> y.attr('mood')
        'calm'
        """
        node = self._single('_set_attr')
        for key, value in attribute.check_strings(kwargs, '_set_attr').items():
            if node.op is not None and key in (node.op.defaults or {}):
                raise MXNetError('_set_attr: %r is a parameter of operator %s; create the '
                                 'node with the value instead' % (key, node.op.name))
            node.user_attrs[key] = value

    def _head(self):
        """The one node all outputs come from, or None for a group of several nodes."""
        first = self._outputs[0][0]
        return first if all(n is first for n, _ in self._outputs) else None

    # --- arithmetic --------------------------------------------------------

    def _binary(self, other, names, reflected=False):
        """``self <op> other`` (or ``other <op> self``) with the ops of ``_ARITHMETIC``."""
        if isinstance(other, Symbol):
            lhs, rhs = (other, self) if reflected else (self, other)
            return _create(OPS[names[0]], names[0], [lhs, rhs], {}, None, None, hint=names[1])
        if not isinstance(other, (int, float, numpy.number)):
            return NotImplemented
        return _create(OPS[names[2]], names[2], [self], {'scalar': other}, None, None,
                       hint=names[3])

    def __neg__(self):
        return self.__mul__(-1.0)

    def __abs__(self):
        return _create(OPS['abs'], 'abs', [self], {}, None, None)

    __hash__ = object.__hash__

    def __bool__(self):
        raise MXNetError(_NDARRAY_ONLY % 'bool() (an if or while on a value)')

    asnumpy, asscalar = _ndarray_only('asnumpy'), _ndarray_only('asscalar')
    wait_to_read, as_in_context = _ndarray_only('wait_to_read'), _ndarray_only('as_in_context')
    copyto, attach_grad = _ndarray_only('copyto'), _ndarray_only('attach_grad')
    backward, detach = _ndarray_only('backward'), _ndarray_only('detach')

    def __repr__(self):
        if self.name is not None:
            return '<Symbol %s>' % self.name
        return '<Symbol group [%s]>' % ', '.join(n.name for n, _ in self._outputs)

    def astype(self, dtype):
        """This symbol cast to ``dtype`` (a ``Cast`` node).

        Examples
        --------
        >>> from mxlearn import symbol as sym
        >>> sym.var('x').astype('float16').infer_type(x='float32')[1]
        [<class 'numpy.float16'>]
        """
        dtype = numpy.dtype(dtype).name
        return _create(OPS['Cast'], 'Cast', [self], {'dtype': dtype}, None, None, hint='cast')

    def debug_str(self):
        """A text listing of the graph: outputs, then each variable and operator node.

        Examples
        --------
        >>> from mxlearn import symbol as sym
        >>> lines = sym.relu(sym.var('x'), name='r').debug_str().splitlines()
        >>> lines[:3]
        ['Symbol Outputs:', '\\toutput[0]=r(0)', 'Variable:x']
        >>> lines[-3:]
        ['Op:relu, Name=r', 'Inputs:', '\\targ[0]=x(0) version=0']
        """
        return _debug_str(self)

    # --- inference ---------------------------------------------------------

    def infer_shape(self, *args, **kwargs):
        """Infer the shapes of all arguments, outputs and auxiliary states.

        Parameters
        ----------
        *args, **kwargs : tuple
            Known shapes, by position in ``list_arguments()`` or by name.

        Returns
        -------
        (arg_shapes, out_shapes, aux_shapes)
            Lists of shape tuples, or ``(None, None, None)`` (with a warning
            naming the unknown ones) when the given shapes do not determine
            them all.

        Examples
        --------
        >>> from mxlearn import symbol as sym
        >>> y = sym.Convolution(sym.var('x'), kernel=(3, 3), num_filter=4, name='c')
        >>> y.infer_shape(x=(1, 2, 8, 8))
        ([(1, 2, 8, 8), (4, 2, 3, 3), (4,)], [(1, 4, 6, 6)], [])
        """
        args, outs, aux = self.infer_shape_partial(*args, **kwargs)
        unknown = [n for n, s in zip(self.list_arguments() + self.list_auxiliary_states(),
                                     args + aux) if not _complete(s)]
        if unknown or not all(_complete(s) for s in outs):
            warnings.warn('infer_shape: the shapes given do not determine those of %s; '
                          'give more of them, or use infer_shape_partial'
                          % (', '.join(unknown) or 'the outputs'), stacklevel=2)
            return None, None, None
        return args, outs, aux

    def infer_shape_partial(self, *args, **kwargs):
        """Like :meth:`infer_shape`, but unknown shapes come back as ``()``.

        Examples
        --------
        >>> from mxlearn import symbol as sym
        >>> y = sym.FullyConnected(sym.var('x'), num_hidden=3, name='fc')
        >>> y.infer_shape_partial()
        ([(), (), ()], [()], [])
        >>> y.infer_shape_partial(x=(0, 4))  # batch size unknown: the weights are known
        ([(0, 4), (3, 4), (3,)], [()], [])
        """
        known = self._known(args, kwargs, 'shape')
        shapes, ops = {}, []
        for node in self._nodes():
            if node.op is None:
                given = known.get(node.name)
                if given is None and '__shape__' in node.user_attrs:
                    given = json_format.parse_value(node.user_attrs['__shape__'])
                shapes[(node, 0)] = tuple(given) if given is not None else None
            else:
                ops.append(node)
        # Forward through the graph; then, as MXNet does, what an elementwise
        # node's output or one input says fixes its other inputs (b in a + b),
        # and forward again with that, until nothing new is learnt.
        while True:
            for node in ops:
                for i, shape in enumerate(_infer_node_shapes(node, shapes)):
                    if shape is not None or (node, i) not in shapes:
                        shapes[(node, i)] = shape
            if all(_complete(v) for v in shapes.values()) or not _fill_same_shapes(ops, shapes):
                break
        return self._collect(shapes, ())

    def infer_type(self, *args, **kwargs):
        """Infer the dtypes of all arguments, outputs and auxiliary states.

        Unknown parameter dtypes follow their node's first known input, as
        in MXNet. Returns ``(None, None, None)`` when nothing is known.

        Examples
        --------
        >>> from mxlearn import symbol as sym
        >>> y = sym.FullyConnected(sym.var('x'), num_hidden=3)
        >>> y.infer_type(x='float64')[1]
        [<class 'numpy.float64'>]
        """
        result = self._infer_types(args, kwargs)
        if any(d is None for part in result for d in part):
            return None, None, None
        return tuple([d.type for d in part] for part in result)

    def infer_type_partial(self, *args, **kwargs):
        """Like :meth:`infer_type`, but unknown dtypes come back as None.

        Examples
        --------
        >>> from mxlearn import symbol as sym
        >>> (sym.var('a') + sym.var('b')).infer_type_partial()
        ([None, None], [None], [])
        """
        return tuple([None if d is None else d.type for d in part]
                     for part in self._infer_types(args, kwargs))

    def _infer_types(self, args, kwargs):
        """(args, outputs, aux) as lists of numpy dtypes, None where unknown."""
        known = self._known(args, kwargs, 'dtype')
        dtypes = {}
        for node in self._nodes():
            if node.op is None:
                given = known.get(node.name)
                if given is None and '__dtype__' in node.user_attrs:
                    given = _FLAG_TO_DTYPE[int(node.user_attrs['__dtype__'])]
                dtypes[(node, 0)] = numpy.dtype(given) if given is not None else None
                continue
            for i, dtype in enumerate(_infer_node_types(node, dtypes)):
                dtypes[(node, i)] = dtype
        return self._collect(dtypes, None)

    def _known(self, args, kwargs, what):
        names = self.list_arguments()
        if len(args) > len(names):
            raise MXNetError('infer_%s: %d positional %ss given for %d arguments (%s)'
                             % (what, len(args), what, len(names), ', '.join(names)))
        known = dict(zip(names, args))
        inputs = set(self.list_inputs())
        for key, value in kwargs.items():
            if key not in inputs:
                raise MXNetError('infer_%s: %r is not an input of this symbol; its inputs '
                                 'are %s' % (what, key, ', '.join(sorted(inputs))))
            known[key] = value
        return {k: v for k, v in known.items() if v is not None}

    def _collect(self, values, unknown):
        args, aux = self._variables()

        def get(key):
            value = values.get(key)
            return unknown if value is None else value
        return ([get((n, 0)) for n in args], [get(o) for o in self._outputs],
                [get((n, 0)) for n in aux])

    # --- running and saving ------------------------------------------------

    def eval(self, ctx=None, **kwargs):
        """Run the graph on the NDArrays given by name and return its outputs.

        The operators run one by one through the registry, in graph order:
        a readable reference, not the executor.

        Examples
        --------
        >>> import mxlearn as mx
        >>> from mxlearn import symbol as sym
        >>> (sym.var('a') * 2 + 1).eval(a=mx.nd.ones((2,)))[0].asnumpy()
        array([3., 3.], dtype=float32)
        """
        values = {}
        for node in self._nodes():
            if node.op is None:
                if node.name not in kwargs:
                    raise MXNetError('eval: no value given for input %r' % node.name)
                values[(node, 0)] = kwargs[node.name]
                continue
            inputs = [values[i] for i in node.inputs]
            result = invoke(node.op, tuple(inputs), node.attrs or None, ctx)
            for i, r in enumerate(result if isinstance(result, (list, tuple)) else [result]):
                values[(node, i)] = r
        return [values[o] for o in self._outputs]

    def bind(self, ctx, args, args_grad=None, grad_req='write', aux_states=None,
             group2ctx=None, shared_exec=None, **options):
        """Bind arrays to the graph's arguments and return an Executor that runs it.

        Parameters
        ----------
        ctx : Context
        args : list of NDArray or dict of str to NDArray
            One array per argument (``list_arguments()`` order), or by name.
        args_grad : list or dict of NDArray, optional
            Buffers receiving the gradients; None computes no gradients.
        grad_req : {'write', 'add', 'null'}, or a list or dict of them
            How each gradient is stored (overwritten, accumulated, not computed).
        aux_states : list or dict of NDArray, optional
            The auxiliary states (BatchNorm's moving statistics).
        group2ctx, shared_exec
            Accepted for compatibility with MXNet; one device runs the whole graph.
        **options
            ``optimize`` (run the graph passes, default True) and
            ``keep_internals`` (keep every intermediate value, for
            ``Executor.internal_values``), see :class:`mxlearn.executor.Executor`.

        Returns
        -------
        Executor

        Examples
        --------
        >>> import mxlearn as mx
        >>> x = mx.sym.var('x')
        >>> exe = (x * x).bind(mx.cpu(), {'x': mx.nd.array([3.0])},
        ...                    args_grad={'x': mx.nd.zeros((1,))})
        >>> exe.forward(is_train=True)[0].asnumpy()
        array([9.], dtype=float32)
        >>> exe.backward(mx.nd.ones((1,)))
        >>> exe.grad_dict['x'].asnumpy()
        array([6.], dtype=float32)
        """
        from ..executor import Executor
        return Executor(self, ctx, args, args_grad, grad_req, aux_states, **options)

    def simple_bind(self, ctx, grad_req='write', type_dict=None, stype_dict=None,
                    group2ctx=None, shared_arg_names=None, shared_exec=None,
                    shared_buffer=None, **kwargs):
        """Bind freshly allocated arrays (zeros), given the shapes of some arguments.

        The other shapes come from ``infer_shape``; gradient buffers are
        allocated for every argument whose ``grad_req`` is not ``'null'``.

        Parameters
        ----------
        ctx : Context
        grad_req : {'write', 'add', 'null'}, or a list or dict of them
        type_dict : dict of str to dtype, optional
            Dtypes of some arguments (float32 by default; the rest are inferred).
        stype_dict, group2ctx, shared_arg_names, shared_exec, shared_buffer
            Accepted for compatibility with MXNet (dense storage, one device).
        **kwargs
            Shapes by argument name, e.g. ``data=(128, 784)``; also the options
            ``optimize`` and ``keep_internals`` of :meth:`bind`.

        Returns
        -------
        Executor

        Examples
        --------
        >>> import mxlearn as mx
        >>> y = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=3, name='fc')
        >>> exe = y.simple_bind(mx.cpu(), data=(2, 5))
        >>> exe.arg_dict['fc_weight'].shape, exe.outputs[0].shape
        ((3, 5), (2, 3))
        """
        from ..executor.executor import simple_bind
        return simple_bind(self, ctx, grad_req, type_dict, stype_dict, kwargs)

    def tojson(self):
        """The graph in MXNet's JSON format (``*-symbol.json``).

        Examples
        --------
        >>> from mxlearn import symbol as sym
        >>> import json
        >>> json.loads(sym.relu(sym.var('x')).tojson())['nodes'][1]['op']
        'relu'
        """
        nodes = self._nodes()
        index = {id(n): i for i, n in enumerate(nodes)}
        aux = {id(n) for n in self._variables()[1]}
        entries = [{'op': n.op_name if n.op is not None else 'null', 'name': n.name,
                    'attrs': dict(sorted(n.all_attrs().items())),
                    'num_outputs': len(n.outputs),
                    'inputs': [(index[id(src)], i, int(id(src) in aux))
                               for src, i in n.inputs]} for n in nodes]
        return json_format.dumps(entries, [(index[id(n)], i) for n, i in self._outputs])

    def save(self, fname):
        """Write :meth:`tojson` to ``fname`` (atomically: a reader never sees half a file).

        Examples
        --------
        >>> import os, tempfile
        >>> from mxlearn import symbol as sym
        >>> path = os.path.join(tempfile.mkdtemp(), 'net-symbol.json')
        >>> sym.relu(sym.var('x')).save(path)
        >>> sym.load(path).list_arguments()
        ['x']
        """
        text = self.tojson()
        folder = os.path.dirname(os.path.abspath(fname))
        fd, tmp = tempfile.mkstemp(dir=folder, prefix='.tmp-', suffix='.json')
        try:
            with os.fdopen(fd, 'w') as f:
                f.write(text)
            os.replace(tmp, fname)
        except BaseException:
            os.unlink(tmp)
            raise


# Python operator -> (symbol op, name hint, scalar op, scalar name hint,
# reflected scalar op, its hint): the op and automatic names MXNet 1.9.1 uses.
_ARITHMETIC = {
    'add': ('elemwise_add', '_plus', '_plus_scalar', '_plusscalar', None, None),
    'sub': ('elemwise_sub', '_minus', '_minus_scalar', '_minusscalar',
            '_rminus_scalar', '_rminusscalar'),
    'mul': ('elemwise_mul', '_mul', '_mul_scalar', '_mulscalar', None, None),
    'truediv': ('elemwise_div', '_div', '_div_scalar', '_divscalar',
                '_rdiv_scalar', '_rdivscalar'),
    'mod': ('_mod', '_mod', '_mod_scalar', '_modscalar', '_rmod_scalar', '_rmodscalar'),
    'pow': ('_power', '_power', '_power_scalar', '_powerscalar',
            '_rpower_scalar', '_rpower_scalar'),
    'eq': ('_equal', '_equal', '_equal_scalar', '_equal_scalar', None, None),
    'ne': ('_not_equal', '_not_equal', '_not_equal_scalar', '_not_equal_scalar', None, None),
    'gt': ('_greater', '_greater', '_greater_scalar', '_greater_scalar', None, None),
    'ge': ('_greater_equal', '_greater_equal', '_greater_equal_scalar',
           '_greater_equal_scalar', None, None),
    'lt': ('_lesser', '_lesser', '_lesser_scalar', '_lesser_scalar', None, None),
    'le': ('_lesser_equal', '_lesser_equal', '_lesser_equal_scalar', '_lesser_equal_scalar',
           None, None),
}


def _arithmetic_methods():
    for key, names in _ARITHMETIC.items():
        def method(self, other, _names=names[:4]):
            return self._binary(other, _names)
        setattr(Symbol, '__%s__' % key, method)
        if key in ('add', 'mul'):
            setattr(Symbol, '__r%s__' % key, method)
        elif names[4] is not None:
            def reflected(self, other, _names=names[:2] + names[4:]):
                return self._binary(other, _names, reflected=True)
            setattr(Symbol, '__r%s__' % key, reflected)


_arithmetic_methods()


def _debug_str(symbol):
    """The text of ``Symbol.debug_str`` (also used by ``Executor.debug_str``)."""
    aux = {id(n) for n in symbol._variables()[1]}
    lines = ['Symbol Outputs:']
    lines += ['\toutput[%d]=%s(%d)' % (k, n.name, i) for k, (n, i) in enumerate(symbol._outputs)]
    for node in symbol._nodes():
        if node.op is None:
            lines.append('Variable:%s' % node.name)
            continue
        lines += ['-' * 20, 'Op:%s, Name=%s' % (node.op_name, node.name), 'Inputs:']
        for k, (src, i) in enumerate(node.inputs):
            version = '' if src.op is not None else ' version=%d' % (id(src) in aux)
            lines.append('\targ[%d]=%s(%d)%s' % (k, src.name, i, version))
        attrs = node.all_attrs()
        if attrs:
            lines.append('Attrs:')
            lines += ['\t%s=%s' % kv for kv in attrs.items()]
    return '\n'.join(lines) + '\n'


def _copy_graph(heads, replace):
    """New nodes for the graph of ``heads``; variables named in ``replace`` become its entries."""
    new = {}
    for node in _topological(heads):
        if node.op is None and node.name in replace:
            continue
        copy = _Node(node.op, node.op_name, node.name, dict(node.attrs), node.user_attrs,
                     [replace[src.name] if id(src) not in new else (new[id(src)], i)
                      for src, i in node.inputs])
        copy.outputs = list(node.outputs)
        new[id(node)] = copy
    return [replace[node.name] if id(node) not in new else (new[id(node)], i)
            for node, i in heads]


def _output_name(node, index):
    return node.name if node.op is None else '%s_%s' % (node.name, node.outputs[index])


def _complete(shape):
    return shape is not None and len(shape) > 0 and 0 not in shape


def _describe_inputs(node, values):
    keys = node.op.arg_names if node.op.num_inputs >= 0 else (
        ['data%d' % i for i in range(len(node.inputs))])
    return ', '.join('%s=%s %s' % (k, src.name, values.get((src, i)))
                     for k, (src, i) in zip(keys, node.inputs))


# Operators (registry names) whose first output has the shape of their data input.
_DATA_SHAPED = frozenset((
    'Activation', 'Dropout', 'BatchNorm', 'LayerNorm', 'InstanceNorm', 'LeakyReLU',
    'L2Normalization', 'softmax', 'log_softmax', 'softmin', 'SoftmaxActivation', 'Cast',
    'clip', 'SoftmaxOutput', 'LinearRegressionOutput', 'LogisticRegressionOutput',
    'MAERegressionOutput', 'BlockGrad', 'make_loss', 'MakeLoss', '_copy', 'zeros_like',
    'ones_like'))
# Symbol arithmetic (``a + b``) makes these, which need equal shapes, unlike
# the broadcast_* operators they run as.
_ELEMWISE_BINARY = frozenset(names[0] for names in _ARITHMETIC.values()) | frozenset((
    '_plus', '_minus', '_mul', '_div', '_maximum', '_minimum', '_hypot'))


def _same_shape_entries(node):
    """The entries of ``node`` that must have one shape: inputs and its first output."""
    if node.op_name in _ELEMWISE_BINARY or (len(node.inputs) == 1 and
                                            kernel_steps(node.op_name, node.attrs)):
        return list(node.inputs) + [(node, 0)]
    if node.op.name in _DATA_SHAPED and node.inputs:
        return [node.inputs[0], (node, 0)]
    return ()


def _fill_same_shapes(ops, shapes):
    """Share what is known of the shape among the entries of each elementwise node.

    Partial shapes (0 = unknown dimension) are merged: ``(2, 0)`` and
    ``(0, 3)`` make ``(2, 3)``. Returns True if an entry learnt something.
    """
    changed = False
    for node in reversed(ops):
        linked = _same_shape_entries(node)
        merged = _merge_shapes([shapes.get(e) for e in linked])
        if merged is None:
            continue
        for entry in linked:
            have = shapes.get(entry)
            new = tuple(h or m for h, m in zip(have, merged)) if have else merged
            if new != have:
                shapes[entry] = new
                changed = True
    return changed


def _merge_shapes(shapes):
    """The most that ``shapes`` (partial, or None) say together; None if nothing or a conflict."""
    merged = None
    for shape in shapes:
        if not shape:
            continue
        if merged is None:
            merged = list(shape)
        elif len(shape) != len(merged):
            return None   # the forward pass reports the conflict
        else:
            for i, d in enumerate(shape):
                if merged[i] == 0:
                    merged[i] = d
                elif d not in (0, merged[i]):
                    return None
    return tuple(merged) if merged is not None else None


def _infer_node_shapes(node, shapes):
    """The output shapes of ``node``; fills in its parameters' shapes on the way."""
    rule = PARAM_SHAPES.get(node.op.name)
    data = shapes.get(node.inputs[0]) if node.inputs else None
    if rule is not None and data:
        merged = dict(node.op.defaults or {}, **node.attrs)
        try:
            wanted = rule(data, merged)
        except (TypeError, IndexError, ZeroDivisionError, KeyError) as e:
            raise MXNetError('infer_shape: node %r (%s) cannot derive its parameter shapes '
                             'from data of shape %s and attributes %s (%s)'
                             % (node.name, node.op.name, data, node.attrs, e)) from None
        for key, src in zip(node.op.arg_names, node.inputs):
            have = shapes.get(src)
            if key not in wanted or _complete(have) or not _complete(wanted[key]):
                continue
            # a partial shape (0 = unknown, as Gluon's deferred (8, 0)) must fit
            if have and (len(have) != len(wanted[key]) or
                         any(h not in (0, w) for h, w in zip(have, wanted[key]))):
                raise MXNetError('infer_shape: input %r of node %r (%s) has shape %s, but its '
                                 'data of shape %s needs %s' % (src[0].name, node.name,
                                                                node.op.name, have, data,
                                                                tuple(wanted[key])))
            shapes[src] = tuple(wanted[key])
    in_shapes = [shapes.get(i) for i in node.inputs]
    n_out = len(node.outputs)
    if not all(_complete(s) for s in in_shapes) or node.op.infer_shape is None:
        return [None] * n_out
    try:
        return [tuple(s) for s in node.op.infer_shape(in_shapes, **node.attrs)][:n_out]
    except MXNetError as e:
        raise MXNetError('infer_shape: node %r (operator %s) rejects its input shapes: %s. '
                         'Its inputs: %s' % (node.name, node.op.name, e,
                                             _describe_inputs(node, shapes))) from None


def _infer_node_types(node, dtypes):
    """The output dtypes of ``node``; unknown inputs take its first known input's dtype."""
    known = [dtypes.get(i) for i in node.inputs if dtypes.get(i) is not None]
    for key, src in zip(node.op.arg_names, node.inputs):
        if dtypes.get(src) is None and known:
            dtype = node.attrs.get('dtype', 'float32') if (
                node.op.name == 'Embedding' and key == 'weight') else known[0]
            dtypes[src] = numpy.dtype(dtype)
    in_dtypes = [dtypes.get(i) for i in node.inputs]
    n_out = len(node.outputs)
    if any(d is None for d in in_dtypes):
        return [None] * n_out
    if node.op.infer_type is None:
        return [in_dtypes[0]] * n_out if in_dtypes else [numpy.dtype(numpy.float32)] * n_out
    try:
        return [numpy.dtype(d) for d in node.op.infer_type(in_dtypes, **node.attrs)][:n_out]
    except MXNetError as e:
        raise MXNetError('infer_type: node %r (operator %s) rejects its input dtypes: %s. '
                         'Its inputs: %s' % (node.name, node.op.name, e,
                                             _describe_inputs(node, dtypes))) from None


def _create(op, op_name, inputs, attrs, name, user_attrs, hint=None):
    """A new node of ``op`` on ``inputs`` (a list, or a dict by input name), as a Symbol.

    Missing inputs get automatic variables named ``<node>_<input>``.
    """
    name = _current_names().get(name, hint or op_name.lower())
    user_attrs = attribute.check_strings(attribute.current().get(user_attrs), 'attr=')
    if isinstance(inputs, dict):
        names, listed = op.arg_names, []
        # MXNet copies the node's attributes onto the variables it creates
        inherited = {k: json_format.format_value(v) for k, v in attrs.items()}
        inherited.update(user_attrs)
        for i, key in enumerate(names):
            if key in inputs:
                listed.append(inputs[key])
            elif wants_input(op, key, attrs):
                init = AUXILIARY.get(op.name, {}).get(key)
                own = dict({'__init__': init} if init else {}, **inherited)
                listed.append(Symbol([(_Node(None, 'null', '%s_%s' % (name, key), {}, own,
                                             []), 0)]))
            else:
                later = [k for k in names[i + 1:] if k in inputs]
                if later:
                    raise MXNetError('Operator %s: input %r is given but %r, before it, is '
                                     'not' % (op.name, later[0], key))
                break
        inputs = listed
    entries = []
    for s in inputs:
        if not isinstance(s, Symbol):
            raise MXNetError('Operator %s: inputs must be Symbols, got %s'
                             % (op.name, type(s).__name__))
        if len(s) != 1:
            raise MXNetError('Operator %s: an input must have one output; a group of %d '
                             'was given' % (op.name, len(s)))
        entries.append(s._outputs[0])
    node = _Node(op, op_name, name, attrs, user_attrs, entries)
    return Symbol([(node, i) for i in range(len(node.outputs))])


def Variable(name, attr=None, shape=None, lr_mult=None, wd_mult=None, dtype=None,
             init=None, stype=None, **kwargs):
    """A named input of a graph (data, a label, a weight).

    Parameters
    ----------
    name : str
    attr : dict of str to str, optional
        Extra attributes, kept as given.
    shape : tuple, optional
        The shape, used by ``infer_shape`` (``0`` marks an unknown dimension).
    lr_mult, wd_mult : float, optional
        Multipliers of the learning rate and weight decay of this parameter.
    dtype : str or numpy dtype, optional
    init : Initializer or str, optional
        How to initialize it (an Initializer is stored as its ``dumps()``).
    stype : {'default', 'row_sparse', 'csr'}, optional
    **kwargs
        More attributes, with names of the form ``__key__``.

    Returns
    -------
    Symbol

    Examples
    --------
    >>> from mxlearn import symbol as sym
    >>> sym.Variable('w', shape=(3, 4), dtype='float64').list_attr()
    {'__shape__': '(3, 4)', '__dtype__': '1'}
    """
    if not isinstance(name, str):
        raise MXNetError('a Variable needs a name (a str), got %r' % (name,))
    attrs = attribute.check_strings(attribute.current().get(attr), 'Variable %r' % (name,))
    if shape is not None:
        attrs['__shape__'] = str(tuple(shape))
    if lr_mult is not None:
        attrs['__lr_mult__'] = str(lr_mult)
    if wd_mult is not None:
        attrs['__wd_mult__'] = str(wd_mult)
    if dtype is not None:
        flag = _flag_for_dtype(numpy.dtype(dtype))
        if flag is None:
            raise MXNetError('Variable %r: dtype %s has no MXNet type flag' % (name, dtype))
        attrs['__dtype__'] = str(flag)
    if init is not None:
        attrs['__init__'] = init if isinstance(init, str) else init.dumps()
    if stype is not None:
        if stype not in _STORAGE_FLAGS:
            raise MXNetError('stype must be one of %s, got %r' % (sorted(_STORAGE_FLAGS), stype))
        attrs['__storage_type__'] = str(_STORAGE_FLAGS[stype])
    for key, value in kwargs.items():
        if not (key.startswith('__') and key.endswith('__')):
            raise MXNetError('Variable %r: extra attribute %r must be named __%s__'
                             % (name, key, key.strip('_')))
        attrs[key] = str(value)
    return Symbol([(_Node(None, 'null', name, {}, attrs, []), 0)])


var = Variable


def Group(symbols):
    """One symbol with the outputs of all ``symbols``, in order.

    Examples
    --------
    >>> from mxlearn import symbol as sym
    >>> a, b = sym.var('a'), sym.var('b')
    >>> sym.Group([a, sym.relu(b, name='r')]).list_outputs()
    ['a', 'r_output']
    """
    symbols = list(symbols)
    if not symbols or not all(isinstance(s, Symbol) for s in symbols):
        raise MXNetError('Group needs a non-empty list of Symbols')
    return Symbol([o for s in symbols for o in s._outputs])


class Constant:
    """The value of a constant node: an NDArray baked into a graph.

    Backward graphs need them for arrays a gradient rule creates from
    nothing (zeros for an output that receives no gradient). Each constant
    prints with its own number, so two constants never look alike.
    """
    __slots__ = ('array', 'number')
    _numbers = itertools.count()

    def __init__(self, array):
        self.array = array
        self.number = next(Constant._numbers)

    def __repr__(self):
        return '<constant #%d %s %s>' % (self.number, self.array.shape,
                                         numpy.dtype(self.array.dtype).name)


def _constant_forward(xp, *, value=None):
    return value.array._data


_CONSTANT_OP = Op('_constant', _constant_forward, arg_names=(), defaults={'value': None},
                  num_inputs=0, infer_shape=lambda shapes, value=None: [value.array.shape],
                  infer_type=lambda dtypes, value=None: [numpy.dtype(value.array.dtype)],
                  doc='A constant array held by the graph.')


def constant(value, name=None):
    """A graph node that outputs the NDArray ``value`` (it has no inputs).

    Not an argument of the graph: its value is part of the graph itself.

    Examples
    --------
    >>> import mxlearn as mx
    >>> c = mx.sym.symbol.constant(mx.nd.array([1.0, 2.0]), name='two')
    >>> (c * 2).eval()[0].asnumpy()
    array([2., 4.], dtype=float32)
    >>> c.list_arguments()
    []
    """
    node = _Node(_CONSTANT_OP, '_constant', name or 'constant', {'value': Constant(value)},
                 None, [])
    return Symbol([(node, 0)])


def load_json(json_str):
    """The Symbol of a graph in MXNet's JSON format.

    Operator attributes are read back into Python values with
    ``json_format.parse_value``, guided by each attribute's default.

    Examples
    --------
    >>> from mxlearn import symbol as sym
    >>> y = sym.load_json(sym.Pooling(sym.var('x'), kernel=(2, 2), name='p').tojson())
    >>> y.list_attr()
    {'kernel': '(2, 2)'}
    """
    entries, heads = json_format.loads(json_str)
    nodes = []
    for entry in entries:
        if entry['op'] == 'null':
            nodes.append(_Node(None, 'null', entry['name'], {}, entry['attrs'], []))
            continue
        op = OPS.get(entry['op'])
        if op is None:
            raise MXNetError('node %r uses operator %r, which mxlearn does not have'
                             % (entry['name'], entry['op']))
        defaults = op.defaults or {}
        attrs = {k: json_format.parse_value(v, defaults[k])
                 for k, v in entry['attrs'].items() if k in defaults}
        user = {k: v for k, v in entry['attrs'].items()
                if k not in defaults and k != 'num_args'}
        inputs = [(nodes[nid], idx) for nid, idx in entry['inputs']]
        nodes.append(_Node(op, entry['op'], entry['name'], attrs, user, inputs))
    return Symbol([(nodes[nid], idx) for nid, idx in heads])


def load(fname):
    """Load a Symbol saved with :meth:`Symbol.save` (or by MXNet) from ``fname``.

    Examples
    --------
    >>> import os, tempfile
    >>> from mxlearn import symbol as sym
    >>> path = os.path.join(tempfile.mkdtemp(), 'x-symbol.json')
    >>> sym.var('x').save(path)
    >>> sym.load(path).name
    'x'
    """
    with open(fname) as f:
        return load_json(f.read())
