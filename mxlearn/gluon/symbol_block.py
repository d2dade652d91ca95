"""SymbolBlock: a Gluon Block made from a Symbol, such as a model exported by MXNet.

``SymbolBlock(outputs, inputs, params)`` wraps a graph: the variables
listed in ``inputs`` are the block's inputs, every other variable becomes a
Parameter (auxiliary states, BatchNorm's moving statistics, with
``grad_req='null'``). The block always runs its graph through a
``CachedOp`` (``mxlearn.gluon.cached_op``), so it trains like any
hybridized block: its Parameters are in ``collect_params()`` and receive
gradients.

``SymbolBlock.imports(symbol_file, input_names, param_file)`` loads the
files written by ``HybridBlock.export`` (here or in MXNet 1.9.1) or by
``Module.save_checkpoint``.

Examples
--------
>>> import mxlearn as mx
>>> data = mx.sym.var('data')
>>> out = mx.sym.FullyConnected(data, num_hidden=2, name='fc')
>>> block = mx.gluon.SymbolBlock(out, data)
>>> sorted(block.collect_params().keys())
['fc_bias', 'fc_weight']
>>> block.initialize(mx.init.One())
>>> block(mx.nd.ones((1, 3))).asnumpy()
array([[4., 4.]], dtype=float32)
"""
import numpy

from .. import symbol
from ..base import MXNetError
from .block import HybridBlock, _first_context, _flatten, _regroup
from .parameter import ParameterDict

__all__ = ['SymbolBlock']


def _common_prefix(names):
    """The longest string every name in ``names`` starts with."""
    if not names:
        return ''
    first, last = min(names), max(names)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]


def _compose(graph, replacements):
    """``graph`` with its variables named in ``replacements`` replaced by those Symbols.

    The nodes that do not depend on a replaced variable are shared with
    ``graph``; the others are copied (a Symbol is never changed in place).
    """
    from ..symbol.symbol import Symbol, _Node
    entries = {}
    for node in graph._nodes():
        if node.op is None:
            if node.name in replacements:
                entries[(id(node), 0)] = replacements[node.name]._outputs[0]
            continue
        inputs = [entries.get((id(src), i), (src, i)) for src, i in node.inputs]
        if inputs != list(node.inputs):
            copy = _Node(node.op, node.op_name, node.name, node.attrs, node.user_attrs, inputs)
            for i in range(len(node.outputs)):
                entries[(id(node), i)] = (copy, i)
    return Symbol([entries.get((id(n), i), (n, i)) for n, i in graph._outputs])


class SymbolBlock(HybridBlock):
    """A Block that runs a Symbol: ``outputs`` computed from the variables ``inputs``.

    Parameters
    ----------
    outputs : Symbol or list of Symbol
        The outputs (several Symbols, or a group, give several outputs).
    inputs : Symbol or list of Symbol
        The variables that are the block's inputs, in call order.
    params : ParameterDict, optional
        Parameters to use for the graph's other variables, found by name
        (to share them with the block the graph came from); the others are
        created, with shapes left to the first forward (deferred
        initialization from the graph's shape inference).

    Examples
    --------
    Reuse the hidden layer of a network as a feature extractor, sharing its
    Parameters:

    >>> import mxlearn as mx
    >>> net = mx.gluon.nn.HybridSequential(prefix='net_')
    >>> with net.name_scope():
    ...     net.add(mx.gluon.nn.Dense(4, activation='relu'), mx.gluon.nn.Dense(2))
    >>> net.initialize()
    >>> data = mx.sym.var('data')
    >>> hidden = net(data).get_internals()['net_dense0_relu_fwd_output']
    >>> features = mx.gluon.SymbolBlock(hidden, data, params=net.collect_params())
    >>> features(mx.nd.ones((3, 5))).shape
    (3, 4)
    """

    def __init__(self, outputs, inputs, params=None):
        super().__init__(prefix=None, params=None)
        self._prefix = ''
        self._params = ParameterDict('', params)
        if isinstance(inputs, symbol.Symbol) and len(inputs) == 1:
            inputs = [inputs]
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            outputs = outputs[0]
        syms, self._in_format = _flatten(inputs)
        outs, self._out_format = _flatten(outputs)
        for sym in syms:
            if not isinstance(sym, symbol.Symbol) or len(sym) != 1 or \
                    sym.get_children() is not None:
                raise MXNetError('SymbolBlock: the inputs must be variables (mx.sym.var), but '
                                 '%s is not' % (sym,))
        for out in outs:
            for node in out.get_internals():
                if node.attr('__storage_type__') == '1':
                    raise MXNetError("SymbolBlock doesn't support Parameter '%s' because its "
                                     "storage type is 'row_sparse'." % node.name)
        out = symbol.Group(outs)
        input_names = {s.name for s in syms}
        arg_types, aux_types = self._param_dtypes(out, syms)
        for name, dtype in zip(out.list_arguments(), arg_types):
            if name not in input_names:
                self.params.get(name, allow_deferred_init=True, dtype=dtype)
        for name, dtype in zip(out.list_auxiliary_states(), aux_types):
            if name not in input_names:
                self.params.get(name, grad_req='null', allow_deferred_init=True, dtype=dtype)
        self._cached_graph = syms, out
        start = len(_common_prefix(list(self._params.keys())))
        self._reg_params = {key[start:]: value for key, value in self._params.items()}

    @staticmethod
    def _param_dtypes(out, inputs):
        """The dtypes of the graph's arguments and auxiliary states (float32 when unknown)."""
        given = {s.name: numpy.float32 for s in inputs if s.attr('__dtype__') is None}
        try:
            arg_types, _, aux_types = out.infer_type(**given)
        except MXNetError:
            arg_types = aux_types = None
        if arg_types is None:
            return ([numpy.float32] * len(out.list_arguments()),
                    [numpy.float32] * len(out.list_auxiliary_states()))
        return arg_types, aux_types

    @staticmethod
    def imports(symbol_file, input_names, param_file=None, ctx=None, allow_missing=False,
                ignore_extra=False):
        """Load a model saved by ``HybridBlock.export`` or ``Module.save_checkpoint``.

        Parameters
        ----------
        symbol_file : str
            The ``*-symbol.json`` file.
        input_names : str or list of str
            The names of the graph's input variables (``'data'``).
        param_file : str, optional
            The ``*.params`` file (keys ``arg:<name>`` and ``aux:<name>``);
            without it the Parameters are left to ``initialize``.
        ctx : Context or list of Context, optional
            Where to put the loaded Parameters.
        allow_missing : bool, default False
            Leave Parameters that the file lacks uninitialized (else an error).
        ignore_extra : bool, default False
            Skip values of the file that the graph does not use (else an error).

        Returns
        -------
        SymbolBlock
            Its Parameters take the dtypes saved in the file.

        Examples
        --------
        >>> import os, tempfile
        >>> import mxlearn as mx
        >>> net = mx.gluon.nn.Dense(2, in_units=3, prefix='fc_')
        >>> net.initialize()
        >>> net.hybridize()
        >>> x = mx.nd.ones((1, 3))
        >>> y = net(x)
        >>> path = os.path.join(tempfile.mkdtemp(), 'fc')
        >>> net.export(path)
        >>> loaded = mx.gluon.SymbolBlock.imports(path + '-symbol.json', ['data'],
        ...                                       path + '-0000.params')
        >>> bool((loaded(x) == y).min())
        True
        """
        sym = symbol.load(symbol_file)
        if isinstance(input_names, str):
            input_names = [input_names]
        inputs = [symbol.var(name) for name in input_names]
        block = SymbolBlock(sym, inputs)
        if param_file is not None:
            block.collect_params().load(param_file, ctx, allow_missing, ignore_extra,
                                        cast_dtype=True, dtype_source='saved')
        return block

    def reset_ctx(self, ctx):
        """Move every Parameter to ``ctx`` (a Context or a list of them), keeping its value.

        Examples
        --------
        >>> import mxlearn as mx
        >>> data = mx.sym.var('data')
        >>> block = mx.gluon.SymbolBlock(mx.sym.FullyConnected(data, num_hidden=2), data)
        >>> block.initialize()
        >>> block.reset_ctx(mx.cpu(1))
        >>> block(mx.nd.ones((1, 3), ctx=mx.cpu(1))).context
        cpu(1)
        """
        self.collect_params().reset_ctx(ctx)

    def __repr__(self):
        inputs, out = self._cached_graph
        return '%s(\n%s : %d -> %d\n)' % (type(self).__name__, out, len(inputs),
                                         len(out.list_outputs()))

    def forward(self, x, *args):
        """Run the graph on NDArrays, or compose it onto Symbols (a bigger graph)."""
        if not isinstance(x, symbol.Symbol):
            ctx = _first_context((x,) + args)
            if ctx is None:
                raise MXNetError('SymbolBlock: the inputs must be NDArrays or Symbols, got %s'
                                 % ', '.join(type(a).__name__ for a in (x,) + args))
            # hybridized or not, a SymbolBlock runs its graph
            with ctx:
                return self._call_cached_op(ctx, x, *args)
        syms, in_format = _flatten([x] + list(args))
        if in_format != self._in_format:
            raise MXNetError('SymbolBlock: the inputs are structured as %s, not as %s'
                             % (in_format, self._in_format))
        inputs, out = self._cached_graph
        composed = _compose(out, {v.name: s for v, s in zip(inputs, syms)})
        return _regroup(list(composed), self._out_format)

    def _clear_cached_op(self):
        graph = getattr(self, '_cached_graph', ())
        formats = getattr(self, '_in_format', None), getattr(self, '_out_format', None)
        super()._clear_cached_op()
        self._cached_graph = graph
        self._in_format, self._out_format = formats

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise MXNetError('SymbolBlock runs its graph; it has no hybrid_forward')
