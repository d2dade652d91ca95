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
``F`` is the operator namespace (``mx.nd`` when it runs imperatively,
``mx.sym`` when it is traced, see "Hybridization" below) and ``params``
holds, by attribute name, the NDArray of every Parameter assigned as an
attribute of the block (``self.weight = self.params.get('weight', ...)``
arrives as ``weight=``), on the context of the first input; when traced,
the Parameter's variable instead.

Layers whose weight shape depends on the input (``Dense`` without
``in_units``, ``Conv2D`` without ``in_channels``, ``BatchNorm``...) create
their Parameters with 0 for the unknown dimensions and
``allow_deferred_init=True``. MXNet fills them in by symbolic shape
inference; mxlearn's layers do it eagerly, through one hook whose default
implementation is MXNet's symbolic inference:

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
    calls ``hybrid_forward``. The default implementation traces the block
    (``hybrid_forward`` with ``F = mx.sym``) and runs the graph's shape
    inference with the inputs' shapes; it raises when some of the block's
    own Parameters stay unknown (operators such as ``dot`` or ``*`` do not
    tell the shapes of their operands). Any exception the hook raises is
    reported as an ``MXNetError`` "Deferred initialization failed because
    shape cannot be inferred. ...". A block that holds no deferred Parameter of its own
    (a container such as HybridSequential) needs no ``infer_shape``: each
    child resolves its own Parameters in its own forward.

Plain Blocks have no such hook, as in MXNet: reading a deferred Parameter
in ``Block.forward`` raises ``DeferredInitializationError``.

Hybridization
-------------
``hybridize()`` switches a HybridBlock (and its descendants) to symbolic
execution. Its next call traces ``hybrid_forward`` with ``F = mx.sym``: the
inputs become variables ``data`` (``data0``, ``data1``, ... for several),
each Parameter the variable of its name (``dense0_weight``), and child
HybridBlocks, called with Symbols, add their own nodes inline. The traced
graph is cached (``_cached_graph``) and run by a ``CachedOp``
(``mxlearn.gluon.cached_op``): the executor's program for the inputs'
shapes, recorded on the autograd tape as ONE operation whose gradient runs
the program's backward, as MXNet's CachedOp does. ``export`` writes that
graph and the Parameters in MXNet's files.

Deferred Parameters of a hybridized block get their shapes from the graph
(``Symbol.infer_shape_partial`` with the inputs' shapes); what the graph
cannot tell (an operator without a rule for its parameters' shapes) comes
from one imperative, non-training run of the block, through the layers'
``infer_shape`` hooks. The default ``infer_shape`` hook itself traces the
block and asks the graph, as MXNet's does.

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

from .. import autograd
from .. import ndarray as nd
from ..base import MXNetError
from ..ndarray import NDArray
from . import name as _name
from .parameter import (DeferredInitializationError, Parameter, ParameterDict,
                        _brief_print_list, _indent, shape_is_known)

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
            if isinstance(block, HybridBlock) and block._active:
                raise MXNetError('"%s" must not be hybridized to print summary.' % block.name)
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


def _flatten(args):
    """The items of nested lists ``args``, and the format that ``_regroup`` undoes.

    A format is 0 for one item (an NDArray, or a Symbol with one output),
    the number of outputs for a Symbol group, -1 for None, and a list of
    formats for a list or tuple.

    Examples
    --------
    >>> _flatten([1, [2, 3], None])
    ([1, 2, 3, None], [0, [0, 0], -1])
    """
    if isinstance(args, (list, tuple)):
        flat, fmt = [], []
        for arg in args:
            items, sub = _flatten(arg)
            flat.extend(items)
            fmt.append(sub)
        return flat, fmt
    if args is None:
        return [None], -1
    count = len(args) if hasattr(args, 'list_outputs') else 1
    return [args], count if count > 1 else 0


def _regroup(flat, fmt):
    """Nest the items of ``flat`` as ``fmt`` (from ``_flatten``) says.

    Examples
    --------
    >>> _regroup([1, 2, 3, None], [0, [0, 0], -1])
    [1, [2, 3], None]
    """
    def take(items, fmt):
        if isinstance(fmt, list):
            out = []
            for sub in fmt:
                value, items = take(items, sub)
                out.append(value)
            return out, items
        if fmt == -1:
            return None, items
        if fmt == 0:
            return items[0], items[1:]
        return list(items[:fmt]), items[fmt:]
    return take(list(flat), fmt)[0]


def _is_deferred(param):
    """Whether ``param`` waits for its shape to be initialized."""
    try:
        param.list_data()
    except DeferredInitializationError:
        return True
    return False


def _param_var(param):
    """The variable standing for ``param`` in a traced graph.

    A shape with unknown (0) dimensions is left out of the variable, so that
    shape inference on the graph fills it in from the data.
    """
    if shape_is_known(param.shape):
        return param.var()
    from .. import symbol
    return symbol.var(param.name, dtype=param.dtype, lr_mult=param.lr_mult,
                      wd_mult=param.wd_mult, init=param.init, stype=param.stype)


class _Imperative(threading.local):
    """Whether hybridized blocks run imperatively for now (see ``_infer_deferred``)."""
    active = False


_IMPERATIVE = _Imperative()


class HybridBlock(Block):
    """A Block written once for both front-ends: define ``hybrid_forward(F, x, ...)``.

    ``forward`` calls ``hybrid_forward(mx.nd, x, *args, **params)`` with
    the block's attribute Parameters on the input's context, after resolving
    deferred initialization through ``infer_shape`` (see the module
    docstring for that contract). Children must be HybridBlocks too.

    After ``hybridize()``, calls run the graph traced from
    ``hybrid_forward(mx.sym, ...)`` instead (see "Hybridization" in the
    module docstring); called with Symbols, the block adds its nodes to the
    caller's graph.

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
    >>> block = Affine(prefix='affine_')
    >>> block.initialize()
    >>> block(mx.nd.array([[1, 2]])).asnumpy()
    array([[2., 3.]], dtype=float32)
    >>> block.hybridize()
    >>> block(mx.nd.array([[1, 2]])).asnumpy()
    array([[2., 3.]], dtype=float32)
    >>> block(mx.sym.var('data')).list_arguments()
    ['data', 'affine_scale']
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._active = False
        self._flags = []
        self._clear_cached_op()

    def _clear_cached_op(self):
        """Forget the traced graph and its programs (the next call traces again)."""
        self._cached_graph = ()
        self._cached_op = None
        self._in_format = None
        self._out_format = None

    def register_child(self, block, name=None):
        if not isinstance(block, HybridBlock):
            raise MXNetError(
                'Children of HybridBlock must also be HybridBlock, but %s has type %s. If you '
                'are using Sequential, please try HybridSequential instead.'
                % (block, type(block)))
        super().register_child(block, name)
        self._clear_cached_op()

    def hybridize(self, active=True, backend=None, clear=True, static_alloc=False,
                  static_shape=False, inline_limit=2, forward_bulk_size=None,
                  backward_bulk_size=None, **kwargs):
        """Run this block and its descendants as a traced graph (or not, ``active=False``).

        The next call traces ``hybrid_forward`` with ``F = mx.sym`` and
        caches the graph; every call runs it with the executor, binding a
        program for each new combination of input shapes and dtypes.

        Parameters
        ----------
        active : bool, default True
        backend : None
            Subgraph backends (MXNet's partitioning API) do not exist in
            mxlearn; anything but None is an error.
        clear : bool, default True
            Forget the graph traced before (flags and children may have changed).
        static_alloc : bool, default False
            Accepted for MXNet compatibility (the executor plans memory anyway).
        static_shape : bool, default False
            The input shapes do not change: keep only the latest program
            instead of one per input shape.
        inline_limit : int, default 2
        forward_bulk_size, backward_bulk_size : int, optional
            Accepted for MXNet compatibility.
        **kwargs
            Backend options (ignored).

        Examples
        --------
        >>> import mxlearn as mx
        >>> from mxlearn.gluon.nn.sequential import HybridSequential, HybridLambda
        >>> net = HybridSequential(prefix='net_')
        >>> with net.name_scope():
        ...     net.add(HybridLambda('relu'))
        >>> net.hybridize(static_alloc=True)
        >>> net._active, net[0]._active
        (True, True)
        >>> net(mx.nd.array([-1, 2])).asnumpy()
        array([0., 2.], dtype=float32)
        >>> net._cached_graph[1].list_outputs()
        ['net_hybridlambda0_relu0_output']
        """
        if backend is not None:
            raise MXNetError('hybridize(backend=%r): mxlearn has no subgraph backends; '
                             'leave backend=None' % (backend,))
        self._active = active
        self._flags = [('static_alloc', static_alloc), ('static_shape', static_shape),
                       ('inline_limit', inline_limit)]
        if forward_bulk_size is not None:
            self._flags.append(('forward_bulk_size', forward_bulk_size))
        if backward_bulk_size is not None:
            self._flags.append(('backward_bulk_size', backward_bulk_size))
        if clear:
            self._clear_cached_op()
        if active and (self._forward_hooks or self._forward_pre_hooks):
            warnings.warn('"%s" is being hybridized while still having forward hook/pre-hook. '
                          'If "%s" is a child of HybridBlock, the hooks will not take effect.'
                          % (self.name, self.name), stacklevel=2)
        super().hybridize(active, static_alloc=static_alloc, static_shape=static_shape,
                          inline_limit=inline_limit, forward_bulk_size=forward_bulk_size,
                          backward_bulk_size=backward_bulk_size)

    def cast(self, dtype):
        self._clear_cached_op()
        super().cast(dtype)

    def infer_shape(self, *args):
        """Complete the unknown dimensions of this block's deferred Parameters from ``args``.

        The hook of deferred initialization (see the module docstring). By
        default it traces the block and runs shape inference on the graph
        with the shapes of ``args``, as MXNet does; layers whose Parameters
        feed operators the graph cannot infer backwards (``dot``, ``*``)
        override it and set the shapes themselves.

        Raises
        ------
        MXNetError
            If some of this block's own Parameters stay unknown.
        """
        cause = None
        try:
            self._infer_param_shapes(*args)
        except Exception as e:   # an untraceable hybrid_forward, a shape conflict
            cause = e
        unknown = [p for p in self.params.values() if not shape_is_known(p.shape)]
        if unknown:
            raise MXNetError(
                '%s has Parameters of unknown shape (%s) that shape inference on its graph '
                'could not determine%s; give their full shapes, or override '
                'infer_shape(self, *args) to set them from the inputs' % (
                    type(self).__name__, ', '.join('%s %s' % (p.name, p.shape) for p in unknown),
                    ' (%s)' % cause if cause is not None else '')) from cause

    def infer_type(self, *args):
        """Set the dtypes of this block's Parameters to those the graph infers from ``args``.

        Examples
        --------
        >>> import mxlearn as mx
        >>> net = mx.gluon.nn.Dense(2, in_units=3)
        >>> net.infer_type(mx.nd.ones((1, 3)))
        >>> net.weight.dtype
        <class 'numpy.float32'>
        """
        data, out = self._get_graph(*args)
        real = [a for a in _flatten(args)[0] if a is not None]
        arg_types, _, aux_types = out.infer_type(**{s.name: a.dtype for s, a in zip(data, real)})
        if arg_types is None:
            raise MXNetError('%s: the dtypes of the inputs (%s) do not determine those of the '
                             'Parameters' % (self.name, ', '.join(str(a.dtype) for a in real)))
        inferred = dict(zip(out.list_arguments() + out.list_auxiliary_states(),
                            arg_types + aux_types))
        for param in self.collect_params().values():
            if param.name in inferred:
                param.dtype = inferred[param.name]

    def _infer_param_shapes(self, *args):
        """Set the unknown Parameter shapes that the traced graph determines from ``args``."""
        data, out = self._get_graph(*args)
        real = [a for a in _flatten(args)[0] if a is not None]
        arg_shapes, _, aux_shapes = out.infer_shape_partial(
            **{s.name: a.shape for s, a in zip(data, real)})
        inferred = dict(zip(out.list_arguments() + out.list_auxiliary_states(),
                            arg_shapes + aux_shapes))
        for param in self.collect_params().values():
            shape = inferred.get(param.name)
            # () is how the graph says "unknown"
            if shape and shape_is_known(shape) and not shape_is_known(param.shape):
                param.shape = shape

    def _deferred_infer_shape(self, *args):
        try:
            self.infer_shape(*args)
        except Exception as e:
            raise MXNetError('Deferred initialization failed because shape cannot be '
                             'inferred. %s' % e) from e

    def forward(self, x, *args):
        """Run the block on NDArrays (imperatively, or the cached graph once hybridized).

        With Symbols instead, return the Symbol(s) of ``hybrid_forward(mx.sym, ...)``.
        """
        ctx = x.context if isinstance(x, NDArray) else _first_context((x,) + args)
        if ctx is None:
            if any(hasattr(a, 'list_outputs') for a in _flatten((x,) + args)[0]):
                return self._symbolic_forward(x, *args)
            raise MXNetError('In HybridBlock, there must be one NDArray in the input (or '
                             'Symbols, to build a graph), got %s'
                             % ', '.join(type(a).__name__ for a in (x,) + args))
        with ctx:
            if self._active and not _IMPERATIVE.active:
                return self._call_cached_op(ctx, x, *args)
            try:
                params = {k: v.data(ctx) for k, v in self._reg_params.items()}
            except DeferredInitializationError:
                self._deferred_infer_shape(x, *args)
                for param in self.params.values():
                    param._finish_deferred_init()
                params = {k: v.data(ctx) for k, v in self._reg_params.items()}
            return self.hybrid_forward(nd, x, *args, **params)

    def _symbolic_forward(self, *args):
        from .. import symbol
        params = {k: _param_var(v) for k, v in self._reg_params.items()}
        with self.name_scope():
            return self.hybrid_forward(symbol, *args, **params)

    def hybrid_forward(self, F, x, *args, **kwargs):
        """The computation, with operators from ``F`` (``mx.nd`` or ``mx.sym``)."""
        raise NotImplementedError

    # --- the cached graph --------------------------------------------------

    def _get_graph(self, *args):
        """``(input variables, output Symbol)``: ``hybrid_forward`` traced once and cached."""
        if not self._cached_graph:
            from .. import symbol
            flat, in_format = _flatten(args)
            count = sum(a is not None for a in flat)
            if not count:
                raise MXNetError('HybridBlock %s: all inputs are None; at least one must be '
                                 'an NDArray' % self.name)
            names = iter(['data'] if count == 1 else ['data%d' % i for i in range(count)])
            inputs = [None if a is None else symbol.var(next(names)) for a in flat]
            out = self._symbolic_forward(*_regroup(inputs, in_format))
            outputs, out_format = _flatten(out)
            if not all(hasattr(o, 'list_outputs') for o in outputs):
                raise MXNetError('%s.hybrid_forward must return Symbols (or lists of them) '
                                 'when F is mx.sym, got %s' % (type(self).__name__, ', '.join(
                                     type(o).__name__ for o in outputs)))
            self._in_format, self._out_format = in_format, out_format
            self._cached_graph = ([i for i in inputs if i is not None],
                                  symbol.Group(outputs))
        return self._cached_graph

    def _build_cache(self, *args):
        """Trace the graph, finish deferred initialization and make the CachedOp."""
        from .cached_op import CachedOp
        data, out = self._get_graph(*args)
        data_index = {s.name: i for i, s in enumerate(data)}
        params = {p.name: p for p in self.collect_params().values()}
        inputs = out.list_inputs()
        unknown = [n for n in inputs if n not in params and n not in data_index]
        if unknown:
            raise MXNetError('Unknown input to HybridBlock %s: %s is neither an input nor a '
                             'Parameter of the block' % (self.name, ', '.join(unknown)))
        unused = [str(i) for n, i in data_index.items() if n not in inputs]
        if unused:
            warnings.warn('The %s-th input to HybridBlock is not used by any computation. Is '
                          'this intended?' % ', '.join(unused), stacklevel=4)
        unused = [n for n in params if n not in inputs]
        if unused:
            warnings.warn('Parameter %s is not used by any computation. Is this intended?'
                          % ', '.join(unused), stacklevel=4)
        pending = [params[n] for n in inputs if n in params and _is_deferred(params[n])]
        if pending:
            self._infer_deferred(pending, args)
        sources = [data_index[n] if n in data_index else params[n] for n in inputs]
        self._cached_op = CachedOp(out, sources, self._flags)

    def _infer_deferred(self, pending, args):
        """Give the deferred Parameters ``pending`` their shapes, then their values."""
        self._infer_param_shapes(*args)
        if not all(shape_is_known(p.shape) for p in pending):
            # The graph cannot tell: one imperative, non-training run lets each
            # layer's infer_shape hook set its own Parameters from its input.
            previous = _IMPERATIVE.active
            _IMPERATIVE.active = True
            try:
                with autograd.pause(train_mode=False):
                    self.forward(*args)
            finally:
                _IMPERATIVE.active = previous
        for param in pending:
            param._finish_deferred_init()

    def _call_cached_op(self, ctx, *args):
        if self._cached_op is None:
            self._build_cache(*args)
        flat, in_format = _flatten(args)
        if in_format != self._in_format:
            raise MXNetError('The argument structure of HybridBlock %s does not match the '
                             'cached version. Stored format = %s, input format = %s'
                             % (self.name, self._in_format, in_format))
        out = self._cached_op([a for a in flat if a is not None], ctx)
        return _regroup(out, self._out_format)

    def export(self, path, epoch=0, remove_amp_cast=True):
        """Save the traced graph and the Parameters for ``SymbolBlock.imports`` or MXNet.

        Writes ``path-symbol.json`` (the graph in MXNet's JSON format) and
        ``path-%04d.params`` (``epoch``), whose keys are ``arg:<name>`` for
        learned Parameters and ``aux:<name>`` for auxiliary states (BatchNorm's
        running statistics), as MXNet's ``export`` does. Each file is written
        whole or not at all. The inputs are named ``data`` (``data0``,
        ``data1``, ... for several).

        Parameters
        ----------
        path : str
        epoch : int, default 0
        remove_amp_cast : bool, default True
            Accepted for MXNet compatibility (mxlearn inserts no amp_cast).

        Raises
        ------
        MXNetError
            If the block has not been hybridized and run once.

        Examples
        --------
        >>> import os, tempfile
        >>> import mxlearn as mx
        >>> net = mx.gluon.nn.Dense(2, in_units=3, prefix='fc_')
        >>> net.initialize()
        >>> net.hybridize()
        >>> _ = net(mx.nd.ones((1, 3)))
        >>> path = os.path.join(tempfile.mkdtemp(), 'fc')
        >>> net.export(path)
        >>> sorted(mx.nd.load(path + '-0000.params'))
        ['arg:fc_bias', 'arg:fc_weight']
        >>> mx.sym.load(path + '-symbol.json').list_arguments()
        ['data', 'fc_weight', 'fc_bias']
        """
        if not self._cached_graph:
            raise MXNetError('Please first call block.hybridize() and then run forward with '
                             'this block at least once before calling export.')
        sym = self._cached_graph[1]
        kinds = dict.fromkeys(sym.list_arguments(), 'arg')
        kinds.update(dict.fromkeys(sym.list_auxiliary_states(), 'aux'))
        arrays = {'%s:%s' % (kinds[p.name], p.name): p._reduce()
                  for p in self.collect_params().values() if p.name in kinds}
        nd.save('%s-%04d.params' % (path, epoch), arrays)
        sym.save('%s-symbol.json' % path)
