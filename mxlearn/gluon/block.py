"""Blocks: the building blocks of Gluon models, as in MXNet 1.x.

A ``Block`` is a piece of a model: it owns Parameters (``self.params``, a
``ParameterDict`` named with the block's prefix) and child Blocks, and
computes ``forward(*args)``. Assigning a Block or a Parameter to an attribute
registers it::

    class MLP(gluon.Block):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():           # children named mlp0_dense0_, ...
                self.hidden = nn.Dense(256)   # a registered child
                self.out = nn.Dense(10)

        def forward(self, x):
            return self.out(mx.nd.relu(self.hidden(x)))

Naming: a Block created outside any ``name_scope`` is named from its class
(``dense0_``, ``dense1_``, ... counted per thread by ``gluon.name``); inside
its parent's ``with self.name_scope():`` the parent counts its children, and
their prefixes (and Parameter names) start with the parent's:
``hybridsequential0_dense0_weight``.

``save_parameters``/``load_parameters`` use structural names instead
(``hidden.weight``, ``0.bias``: attribute names and child positions), so a
file loads into any instance of the same architecture whatever its prefixes.

HybridBlock and deferred initialization
---------------------------------------
A ``HybridBlock`` implements ``hybrid_forward(self, F, x, *args, **params)``:
``F`` is the operator namespace (``mx.nd`` here; ``mx.sym`` once the symbolic
API traces hybridized blocks) and ``params`` holds, by attribute name, the
NDArray of every Parameter assigned as an attribute of the block
(``self.weight = self.params.get('weight', ...)`` arrives as ``weight=``),
on the context of the first input.

Layers whose weight shape depends on the input (``Dense`` without
``in_units``, ``Conv2D`` without ``in_channels``, ``BatchNorm``...) create
their Parameters with 0 for the unknown dimensions and
``allow_deferred_init=True``. MXNet fills them in by symbolic shape
inference; mxlearn does it eagerly, through one hook:

``HybridBlock.infer_shape(self, *args)``
    Called by ``HybridBlock.forward`` with the block's inputs (the NDArrays
    of that forward call, exactly as ``hybrid_forward`` receives them after
    ``F``) when reading a Parameter raised ``DeferredInitializationError``,
    i.e. at the first forward after ``initialize``. A layer with deferred
    Parameters overrides it and sets the complete shape of each of its own
    deferred Parameters, e.g. for a Dense layer::

        def infer_shape(self, x, *args):
            in_units = x.shape[-1] if not self._flatten else x.size // x.shape[0]
            self.weight.shape = (self._units, in_units)

    Only the unknown (0) dimensions may change (the shape setter raises
    otherwise). It must not create arrays or initialize anything: after it
    returns, ``forward`` calls ``_finish_deferred_init()`` on every Parameter
    of ``self.params``, which draws the initial values (with the initializer
    recorded by ``initialize``) and puts a copy on every context, and then
    calls ``hybrid_forward``. Any exception it raises (including the default
    implementation's, for a block that does not override it) is reported as
    an ``MXNetError`` "Deferred initialization failed because shape cannot
    be inferred. ...". A block that holds no deferred Parameter of its own
    (a container such as HybridSequential) needs no ``infer_shape``: each
    child resolves its own Parameters in its own forward.

Plain Blocks have no such hook, as in MXNet: reading a deferred Parameter
in ``Block.forward`` raises ``DeferredInitializationError``.

``hybridize()`` records its flags (``_active``, ``_flags``) and recurses into
the children; computation stays imperative until the symbolic API lands.

Examples
--------
>>> import mxlearn as mx
>>> from mxlearn.gluon.block import HybridBlock
>>> class Linear(HybridBlock):
...     def __init__(self, units, **kwargs):
...         super().__init__(**kwargs)
...         self._units = units
...         with self.name_scope():
...             self.weight = self.params.get('weight', shape=(units, 0),
...                                           allow_deferred_init=True)
...     def infer_shape(self, x):
...         self.weight.shape = (self._units, x.shape[1])
...     def hybrid_forward(self, F, x, weight):
...         return F.FullyConnected(x, weight, num_hidden=self._units, no_bias=True)
>>> layer = Linear(2, prefix='linear_')
>>> layer.initialize(mx.initializer.One())
>>> layer(mx.nd.ones((1, 3)))
<BLANKLINE>
[[3. 3.]]
<NDArray 1x2 @cpu(0)>
>>> layer.weight
Parameter linear_weight (shape=(2, 3), dtype=<class 'numpy.float32'>)
"""
import itertools
import re
import threading
import warnings
from collections import OrderedDict

from .. import ndarray as nd
from ..base import MXNetError
from ..ndarray import NDArray
from . import name as _name
from .parameter import (DeferredInitializationError, Parameter, ParameterDict,
                        _brief_print_list, _indent)

__all__ = ['Block', 'HybridBlock', 'HookHandle']


class _BlockScope:
    """The ``name_scope`` of a Block: counts the children created inside it."""
    _current = threading.local()

    def __init__(self, block):
        self._block = block
        self._counter = {}
        self._old_scope = None
        self._name_scope = None

    @staticmethod
    def create(prefix, params, hint):
        """The prefix and ParameterDict of a new Block, from where it is created."""
        current = getattr(_BlockScope._current, 'value', None)
        if current is None:
            if prefix is None:
                prefix = _name.current().get(None, hint) + '_'
            if params is None:
                return prefix, ParameterDict(prefix)
            return prefix, ParameterDict(params.prefix, params)
        if prefix is None:
            count = current._counter.get(hint, 0)
            current._counter[hint] = count + 1
            prefix = '%s%d_' % (hint, count)
        if params is None:
            parent = current._block.params
            params = ParameterDict(parent.prefix + prefix, parent._shared)
        else:
            params = ParameterDict(params.prefix, params)
        return current._block.prefix + prefix, params

    def __enter__(self):
        if self._block._empty_prefix:
            return self
        self._old_scope = getattr(_BlockScope._current, 'value', None)
        _BlockScope._current.value = self
        # Names handed out inside (symbols, later) get the block's prefix too.
        self._name_scope = _name.Prefix(self._block.prefix)
        self._name_scope.__enter__()
        return self

    def __exit__(self, ptype, value, trace):
        if self._block._empty_prefix:
            return
        self._name_scope.__exit__(ptype, value, trace)
        self._name_scope = None
        _BlockScope._current.value = self._old_scope


class HookHandle:
    """What ``register_forward_hook`` returns: ``detach()`` removes the hook.

    It is also a context manager that detaches the hook on exit.

    Examples
    --------
    >>> from mxlearn.gluon.block import HookHandle
    >>> hooks = {}
    >>> handle = HookHandle()
    >>> handle.attach(hooks, print)
    >>> len(hooks)
    1
    >>> handle.detach()
    >>> len(hooks)
    0
    """
    _ids = itertools.count()

    def __init__(self):
        self._hooks = None
        self._id = None

    def attach(self, hooks, hook):
        """Put ``hook`` in the dict ``hooks`` (once per handle)."""
        if self._hooks is not None:
            raise MXNetError('The same handle cannot be attached twice.')
        self._id = next(HookHandle._ids)
        self._hooks = hooks
        hooks[self._id] = hook

    def detach(self):
        """Remove the hook (nothing happens if it is already gone)."""
        if self._hooks is not None:
            self._hooks.pop(self._id, None)

    def __enter__(self):
        return self

    def __exit__(self, ptype, value, trace):
        self.detach()


def _has_unregistered_block(data, children):
    if isinstance(data, (list, tuple)):
        return any(_has_unregistered_block(d, children) for d in data)
    if isinstance(data, dict):
        return any(_has_unregistered_block(d, children) for d in data.values())
    return isinstance(data, Block) and not any(data is c for c in children)


def _shape_str(value):
    """The shapes in (nested lists of) NDArrays, as ``summary`` prints them."""
    def shapes(v):
        if isinstance(v, (list, tuple)):
            return [shapes(x) for x in v]
        return v.shape if isinstance(v, NDArray) else v
    result = shapes(value)
    return str(result)[1:-1] if isinstance(result, list) else str(result)


class Block:
    """The base class of all layers and models; subclass it and define ``forward``.

    Parameters
    ----------
    prefix : str, optional
        The name space of this block: its name and the start of its
        Parameters' names. Made from the class name when not given.
    params : ParameterDict, optional
        Parameters to share: ``get`` finds them there instead of creating
        new ones (``Dense(20, params=dense0.collect_params())``).

    Examples
    --------
    >>> import mxlearn as mx
    >>> from mxlearn.gluon.block import Block
    >>> class Scale(Block):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.factor = self.params.get('factor', shape=(1,), init='ones')
    ...     def forward(self, x):
    ...         return x * self.factor.data(x.context)
    >>> block = Scale(prefix='scale_')
    >>> block.initialize()
    >>> block(mx.nd.array([1, 2])).asnumpy()
    array([1., 2.], dtype=float32)
    >>> list(block.collect_params().keys())
    ['scale_factor']
    """

    def __init__(self, prefix=None, params=None):
        self._empty_prefix = prefix == ''
        self._prefix, self._params = _BlockScope.create(prefix, params, self._alias())
        self._name = self._prefix[:-1] if self._prefix.endswith('_') else self._prefix
        self._scope = _BlockScope(self)
        self._children = OrderedDict()
        self._reg_params = {}
        self._forward_hooks = OrderedDict()
        self._forward_pre_hooks = OrderedDict()

    def __repr__(self):
        lines = ['  (%s): %s' % (key, _indent(repr(block), 2))
                 for key, block in self.__dict__.items() if isinstance(block, Block)]
        return '%s(\n%s\n)' % (type(self).__name__, '\n'.join(lines))

    def __setattr__(self, name, value):
        existing = self.__dict__.get(name)
        if isinstance(existing, (Parameter, Block)) and not isinstance(value, type(existing)):
            raise MXNetError('Changing attribute type for %s from %s to %s is not allowed.'
                             % (name, type(existing), type(value)))
        if isinstance(value, Block):
            self.register_child(value, name)
        elif isinstance(value, Parameter):
            if name in self._reg_params:
                raise MXNetError("Overriding Parameter attribute %s is not allowed. If you "
                                 "want to share parameters between blocks, please set "
                                 "'params' at Block construction instead." % name)
            self._reg_params[name] = value
        super().__setattr__(name, value)

    def _check_container_with_block(self):
        children = list(self._children.values())
        for key, value in self.__dict__.items():
            if key == '_children' or key.startswith('__'):
                continue
            if isinstance(value, (list, tuple, dict)) and \
                    _has_unregistered_block(value, children):
                warnings.warn(
                    '"%s.%s" is an unregistered container with Blocks. Note that Blocks '
                    'inside the list, tuple or dict will not be registered automatically. '
                    'Make sure to register them using register_child() or switching to '
                    'nn.Sequential/nn.HybridSequential instead. '
                    % (type(self).__name__, key), stacklevel=3)

    def _alias(self):
        return type(self).__name__.lower()

    @property
    def prefix(self):
        """The prefix of this block's name and of its Parameters' names (``'dense0_'``)."""
        return self._prefix

    @property
    def name(self):
        """The name: the prefix without its trailing ``'_'``."""
        return self._name

    def name_scope(self):
        """A ``with`` block inside which new child Blocks get names under this block's prefix.

        Examples
        --------
        >>> from mxlearn.gluon.block import Block
        >>> parent = Block(prefix='net_')
        >>> with parent.name_scope():
        ...     child = Block()
        >>> child.prefix
        'net_block0_'
        """
        return self._scope

    @property
    def params(self):
        """This block's own ParameterDict (without its children's Parameters)."""
        return self._params

    def collect_params(self, select=None):
        """A ParameterDict of this block's and all its descendants' Parameters.

        Parameters
        ----------
        select : str, optional
            A regular expression; only Parameters whose full name matches it
            (from the start, ``re.match``) are kept, e.g. ``'.*weight|.*bias'``.

        Returns
        -------
        ParameterDict

        Examples
        --------
        >>> from mxlearn.gluon.block import Block
        >>> net = Block(prefix='net_')
        >>> _ = net.params.get('weight', shape=(1,)); _ = net.params.get('bias', shape=(1,))
        >>> with net.name_scope():
        ...     net.head = Block()
        >>> _ = net.head.params.get('weight', shape=(1,))
        >>> list(net.collect_params().keys())
        ['net_weight', 'net_bias', 'net_block0_weight']
        >>> list(net.collect_params('.*weight').keys())
        ['net_weight', 'net_block0_weight']
        """
        self._check_container_with_block()
        collected = ParameterDict(self._params.prefix)
        if not select:
            collected.update(self.params)
        else:
            pattern = re.compile(select)
            collected.update({name: value for name, value in self.params.items()
                              if pattern.match(name)})
        for child in self._children.values():
            collected.update(child.collect_params(select=select))
        return collected

    def _collect_params_with_prefix(self, prefix=''):
        """Parameters by structural name: attribute names and child keys joined by '.'."""
        if prefix:
            prefix += '.'
        found = {prefix + key: value for key, value in self._reg_params.items()}
        for key, child in self._children.items():
            found.update(child._collect_params_with_prefix(prefix + key))
        return found

    def save_parameters(self, filename, deduplicate=False):
        """Save the Parameters' values to ``filename`` under their structural names.

        The file is MXNet's ``.params`` format (``mx.nd.save`` of a dict with
        keys like ``'0.weight'``, ``'features.1.bias'``): it loads with
        ``load_parameters`` here and in Apache MXNet. Several copies of a
        Parameter (several contexts) are saved as their mean.

        Parameters
        ----------
        filename : str
        deduplicate : bool, default False
            Save a Parameter shared by several blocks once, under one of its names.

        Examples
        --------
        >>> import os, tempfile
        >>> import mxlearn as mx
        >>> from mxlearn.gluon.block import Block
        >>> net = Block()
        >>> net.body = Block()
        >>> net.body.scale = net.body.params.get('scale', shape=(2,), init='ones')
        >>> net.initialize()
        >>> path = os.path.join(tempfile.mkdtemp(), 'net.params')
        >>> net.save_parameters(path)
        >>> list(mx.nd.load(path))
        ['body.scale']
        >>> net.body.scale.set_data(mx.nd.zeros((2,)))
        >>> net.load_parameters(path)
        >>> net.body.scale.data().asnumpy()
        array([1., 1.], dtype=float32)
        """
        params = self._collect_params_with_prefix()
        if deduplicate:
            by_param = {}
            for key, param in params.items():
                by_param.setdefault(param, key)
            params = {key: param for param, key in by_param.items()}
        nd.save(filename, {key: param._reduce() for key, param in params.items()})

    def save_params(self, filename):
        """Deprecated: save under the full Parameter names (use ``save_parameters``)."""
        warnings.warn('save_params is deprecated. Please use save_parameters. Note that if '
                      'you want load from SymbolBlock later, please use export instead.')
        self.collect_params().save(filename, strip_prefix=self.prefix)

    def load_parameters(self, filename, ctx=None, allow_missing=False, ignore_extra=False,
                        cast_dtype=False, dtype_source='current'):
        """Load Parameter values saved by ``save_parameters`` (here or in MXNet).

        Parameters
        ----------
        filename : str
        ctx : Context or list of Context, optional
            Where to initialize Parameters that are not initialized yet
            (``cpu(0)`` by default).
        allow_missing : bool, default False
            Leave Parameters that the file lacks as they are (else an error).
        ignore_extra : bool, default False
            Skip values in the file that belong to no Parameter (else an error).
        cast_dtype : bool, default False
            Convert values whose dtype differs from the Parameter's (else an error).
        dtype_source : {'current', 'saved'}, default 'current'
            With ``cast_dtype``, whose dtype wins.

        Raises
        ------
        MXNetError
            On a missing or extra name, or a shape or dtype that does not fit.
        """
        loaded = nd.load(filename)
        if not isinstance(loaded, dict):
            raise MXNetError("'%s' holds a list of arrays, not the named arrays of a "
                             "parameter file" % (filename,))
        params = self._collect_params_with_prefix()
        if not loaded and not params:
            return
        if not any('.' in key for key in loaded):
            # a file of full Parameter names (save_params, ParameterDict.save)
            self.collect_params().load(filename, ctx, allow_missing, ignore_extra,
                                       self.prefix, cast_dtype=cast_dtype,
                                       dtype_source=dtype_source)
            return
        if not allow_missing:
            # a shared Parameter may have been saved under only one of its names
            names = {}
            for key, param in params.items():
                names.setdefault(param, []).append(key)
            for key, param in params.items():
                if not any(k in loaded for k in names[param]):
                    raise MXNetError(
                        "Parameter '%s' is missing in file '%s', which contains parameters: "
                        "%s. Set allow_missing=True to ignore missing parameters."
                        % (key, filename, _brief_print_list(loaded.keys())))
        for key, value in loaded.items():
            if key in params:
                params[key]._load_init(value, ctx, cast_dtype=cast_dtype,
                                       dtype_source=dtype_source)
            elif not ignore_extra:
                raise MXNetError(
                    "Parameter '%s' loaded from file '%s' is not present in ParameterDict, "
                    "which contains parameters %s. Set ignore_extra=True to ignore. "
                    % (key, filename, _brief_print_list(params.keys())))

    def load_params(self, filename, ctx=None, allow_missing=False, ignore_extra=False):
        """Deprecated: use ``load_parameters``."""
        warnings.warn('load_params is deprecated. Please use load_parameters.')
        self.load_parameters(filename, ctx, allow_missing, ignore_extra)

    def register_child(self, block, name=None):
        """Make ``block`` a child (attributes holding Blocks are registered automatically).

        Parameters
        ----------
        block : Block
        name : str, optional
            Its key; the number of children so far by default.

        Examples
        --------
        >>> from mxlearn.gluon.block import Block
        >>> parent = Block()
        >>> parent.register_child(Block())
        >>> list(parent._children)
        ['0']
        """
        if name is None:
            name = str(len(self._children))
        self._children[name] = block

    def register_forward_pre_hook(self, hook):
        """Call ``hook(block, inputs)`` before every forward; returns a handle to ``detach()``.

        Examples
        --------
        >>> import mxlearn as mx
        >>> from mxlearn.gluon.block import Block
        >>> class Double(Block):
        ...     def forward(self, x):
        ...         return 2 * x
        >>> block = Double()
        >>> handle = block.register_forward_pre_hook(
        ...     lambda blk, inputs: print('in:', inputs[0].shape))
        >>> _ = block(mx.nd.ones((2, 3)))
        in: (2, 3)
        >>> handle.detach()
        >>> _ = block(mx.nd.ones((2, 3)))
        """
        handle = HookHandle()
        handle.attach(self._forward_pre_hooks, hook)
        return handle

    def register_forward_hook(self, hook):
        """Call ``hook(block, inputs, output)`` after every forward; returns a handle.

        Examples
        --------
        >>> import mxlearn as mx
        >>> from mxlearn.gluon.block import Block
        >>> class Double(Block):
        ...     def forward(self, x):
        ...         return 2 * x
        >>> block = Double()
        >>> with block.register_forward_hook(
        ...         lambda blk, inputs, out: print('out:', out.asnumpy())):
        ...     _ = block(mx.nd.ones((2,)))
        out: [2. 2.]
        """
        handle = HookHandle()
        handle.attach(self._forward_hooks, hook)
        return handle

    def apply(self, fn):
        """Call ``fn(block)`` on every descendant (children first) and on self; return self.

        Examples
        --------
        >>> from mxlearn.gluon.block import Block
        >>> parent = Block(prefix='p_')
        >>> parent.child = Block(prefix='c_')
        >>> _ = parent.apply(lambda blk: print(blk.name))
        c
        p
        """
        for child in self._children.values():
            child.apply(fn)
        fn(self)
        return self

    def initialize(self, init=None, ctx=None, verbose=False, force_reinit=False):
        """Initialize the Parameters of this block and its descendants.

        The same as ``self.collect_params().initialize(init, ctx, verbose,
        force_reinit)``; see ``ParameterDict.initialize``.

        Parameters
        ----------
        init : Initializer, default mx.init.Uniform()
            Used for Parameters that have no ``init`` of their own.
        ctx : Context or list of Context, optional
            Keep a copy on each of these contexts (the current one by default).
        verbose : bool, default False
        force_reinit : bool, default False

        Examples
        --------
        >>> import mxlearn as mx
        >>> from mxlearn.gluon.block import Block
        >>> net = Block()
        >>> w = net.params.get('w', shape=(2,))
        >>> net.initialize(mx.initializer.Constant(0.5), ctx=[mx.cpu(0), mx.cpu(1)])
        >>> w.data(mx.cpu(1)).asnumpy()
        array([0.5, 0.5], dtype=float32)
        """
        self.collect_params().initialize(init, ctx, verbose, force_reinit)

    def hybridize(self, active=True, **kwargs):
        """Hybridize the HybridBlock descendants (a plain Block itself stays imperative)."""
        for child in self._children.values():
            child.hybridize(active, **kwargs)

    def cast(self, dtype):
        """Convert the Parameters of this block and its descendants to ``dtype``.

        Examples
        --------
        >>> from mxlearn.gluon.block import Block
        >>> net = Block()
        >>> w = net.params.get('w', shape=(2,))
        >>> net.initialize()
        >>> net.cast('float16')
        >>> w.data().dtype
        <class 'numpy.float16'>
        """
        for child in self._children.values():
            child.cast(dtype)
        for param in self.params.values():
            param.cast(dtype)

    def __call__(self, *args):
        if self._forward_pre_hooks:
            for hook in list(self._forward_pre_hooks.values()):
                hook(self, args)
        out = self.forward(*args)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                hook(self, args, out)
        return out

    def forward(self, *args):
        """The computation; subclasses define it, with NDArrays as positional arguments."""
        raise NotImplementedError

    def summary(self, *inputs):
        """Print a table of each layer's output shape and Parameter count for ``inputs``.

        Runs one forward with ``inputs``; the block must be initialized.
        Sequential containers get no row of their own (their children do).

        Examples
        --------
        >>> import mxlearn as mx
        >>> from mxlearn.gluon.block import Block
        >>> class Scale(Block):
        ...     def __init__(self, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.w = self.params.get('w', shape=(3,))
        ...     def forward(self, x):
        ...         return x * self.w.data()
        >>> net = Scale()
        >>> net.initialize()
        >>> net.summary(mx.nd.ones((2, 3)))  # doctest: +NORMALIZE_WHITESPACE
        --------------------------------------------------------------------------------
                Layer (type)                                Output Shape         Param #
        ================================================================================
                       Input                                      (2, 3)               0
                     Scale-1                                      (2, 3)               3
        ================================================================================
        Parameters in forward computation graph, duplicate included
           Total params: 3
           Trainable params: 3
           Non-trainable params: 0
        Shared params in forward computation graph: 0
        Unique parameters in model: 3
        --------------------------------------------------------------------------------
        """
        from .nn.sequential import HybridSequential, Sequential
        rows = OrderedDict()
        rows['Input'] = (_shape_str(inputs), 0, 0, 0)
        seen = set()

        def record(block, _, outputs):
            total = trainable = shared = 0
            for param in block.params.values():
                size = 1
                for dim in param.shape:
                    size *= dim
                total += size
                trainable += 0 if param.grad_req == 'null' else size
                if param in seen:
                    shared += size
                seen.add(param)
            key = '%s-%d' % (type(block).__name__, len(rows))
            rows[key] = (_shape_str(outputs), total, trainable, shared)

        handles = []

        def add_hook(block):
            if not isinstance(block, (Sequential, HybridSequential)):
                handles.append(block.register_forward_hook(record))

        try:
            self.apply(add_hook)
            self(*inputs)
        finally:
            for handle in handles:
                handle.detach()
        line = '{:>20}  {:>42} {:>15}'
        total = sum(r[1] for r in rows.values())
        trainable = sum(r[2] for r in rows.values())
        shared = sum(r[3] for r in rows.values())
        print('-' * 80)
        print(line.format('Layer (type)', 'Output Shape', 'Param #'))
        print('=' * 80)
        for key, (shape, count, _, _) in rows.items():
            print(line.format(key, shape, count))
        print('=' * 80)
        print('Parameters in forward computation graph, duplicate included')
        print('   Total params: %d' % total)
        print('   Trainable params: %d' % trainable)
        print('   Non-trainable params: %d' % (total - trainable))
        print('Shared params in forward computation graph: %d' % shared)
        print('Unique parameters in model: %d' % (total - shared))
        print('-' * 80)


def _first_context(args):
    """The context of the first NDArray in (nested lists of) ``args``, or None."""
    for arg in args:
        if isinstance(arg, NDArray):
            return arg.context
        if isinstance(arg, (list, tuple)):
            ctx = _first_context(arg)
            if ctx is not None:
                return ctx
    return None


class HybridBlock(Block):
    """A Block written once for both front-ends: define ``hybrid_forward(F, x, ...)``.

    ``forward`` calls ``hybrid_forward(mx.nd, x, *args, **params)`` with
    the block's attribute Parameters on the input's context, after resolving
    deferred initialization through ``infer_shape`` (see the module
    docstring for that contract). Children must be HybridBlocks too.

    Examples
    --------
    >>> import mxlearn as mx
    >>> from mxlearn.gluon.block import HybridBlock
    >>> class Affine(HybridBlock):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         with self.name_scope():
    ...             self.scale = self.params.get('scale', shape=(2,), init='ones')
    ...     def hybrid_forward(self, F, x, scale):
    ...         return F.broadcast_mul(x, scale) + 1
    >>> block = Affine()
    >>> block.initialize()
    >>> block(mx.nd.array([[1, 2]])).asnumpy()
    array([[2., 3.]], dtype=float32)
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._active = False
        self._flags = []

    def register_child(self, block, name=None):
        if not isinstance(block, HybridBlock):
            raise MXNetError(
                'Children of HybridBlock must also be HybridBlock, but %s has type %s. If you '
                'are using Sequential, please try HybridSequential instead.'
                % (block, type(block)))
        super().register_child(block, name)

    def hybridize(self, active=True, backend=None, clear=True, static_alloc=False,
                  static_shape=False, inline_limit=2, forward_bulk_size=None,
                  backward_bulk_size=None, **kwargs):
        """Mark this block and its descendants as hybridized (or not, ``active=False``).

        The flags are recorded for the symbolic API; until it exists the
        computation stays imperative, with the same results.

        Examples
        --------
        >>> from mxlearn.gluon.nn.sequential import HybridSequential, HybridLambda
        >>> net = HybridSequential()
        >>> net.add(HybridLambda('relu'))
        >>> net.hybridize(static_alloc=True)
        >>> net._active, net[0]._active
        (True, True)

        Parameters
        ----------
        active : bool, default True
        backend : str, optional
        clear : bool, default True
        static_alloc, static_shape : bool, default False
        inline_limit : int, default 2
        forward_bulk_size, backward_bulk_size : int, optional
        **kwargs
            Backend options.
        """
        self._active = active
        self._flags = [('static_alloc', static_alloc), ('static_shape', static_shape),
                       ('inline_limit', inline_limit)]
        if forward_bulk_size is not None:
            self._flags.append(('forward_bulk_size', forward_bulk_size))
        if backward_bulk_size is not None:
            self._flags.append(('backward_bulk_size', backward_bulk_size))
        super().hybridize(active, static_alloc=static_alloc, static_shape=static_shape,
                          inline_limit=inline_limit, forward_bulk_size=forward_bulk_size,
                          backward_bulk_size=backward_bulk_size)

    def infer_shape(self, *args):
        """Complete the unknown dimensions of this block's deferred Parameters from ``args``.

        The hook of deferred initialization (see the module docstring):
        layers with deferred Parameters override it. This default cannot
        infer anything and raises.
        """
        raise MXNetError(
            '%s has Parameters of unknown shape (%s) and does not define infer_shape(); '
            'give their full shapes, or override infer_shape(self, *args) to set them '
            'from the inputs' % (type(self).__name__, ', '.join(
                '%s %s' % (p.name, p.shape) for p in self.params.values())))

    def _deferred_infer_shape(self, *args):
        try:
            self.infer_shape(*args)
        except Exception as e:
            raise MXNetError('Deferred initialization failed because shape cannot be '
                             'inferred. %s' % e) from e

    def forward(self, x, *args):
        """Run ``hybrid_forward(mx.nd, x, *args, **params)`` on the context of the inputs."""
        ctx = x.context if isinstance(x, NDArray) else _first_context((x,) + args)
        if ctx is None:
            raise MXNetError('In HybridBlock, there must be one NDArray in the input, got %s'
                             % ', '.join(type(a).__name__ for a in (x,) + args))
        with ctx:
            try:
                params = {k: v.data(ctx) for k, v in self._reg_params.items()}
            except DeferredInitializationError:
                self._deferred_infer_shape(x, *args)
                for param in self.params.values():
                    param._finish_deferred_init()
                params = {k: v.data(ctx) for k, v in self._reg_params.items()}
            return self.hybrid_forward(nd, x, *args, **params)

    def hybrid_forward(self, F, x, *args, **kwargs):
        """The computation, with operators from ``F`` (``mx.nd`` or ``mx.sym``)."""
        raise NotImplementedError

    def export(self, path, epoch=0, remove_amp_cast=True):
        """Save the traced graph and parameters (``path-symbol.json``, ``path-0000.params``).

        Needs the symbolic API, which mxlearn does not have yet.
        """
        raise NotImplementedError(
            'HybridBlock.export() saves the graph traced by hybridize(), which needs the '
            'symbolic API (mx.sym) that mxlearn does not have yet; use save_parameters() '
            'to save the weights')
