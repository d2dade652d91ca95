"""Generate the ``mx.nd`` functions from the operator registry."""
import inspect

from .._ext.core import invoke


def _assign_out(result, out):
    """Write ``result`` into the ``out=`` array(s) given by the caller and return them."""
    results = result if isinstance(result, list) else [result]
    outs = out if isinstance(out, (list, tuple)) else [out]
    for r, o in zip(results, outs):
        if o.shape != r.shape:
            from ..base import MXNetError
            raise MXNetError('out= has shape %s but the result has shape %s'
                             % (o.shape, r.shape))
        o._data[...] = r._data
        if r._node is not None:
            o._node, o._oidx = r._node, r._oidx
    return out


def _signature(op):
    params = []
    if op.num_inputs < 0:
        params.append(inspect.Parameter(op.arg_names[0], inspect.Parameter.VAR_POSITIONAL))
    else:
        params += [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD)
                   for n in op.arg_names]
    kind = (inspect.Parameter.KEYWORD_ONLY if op.num_inputs < 0
            else inspect.Parameter.POSITIONAL_OR_KEYWORD)
    for k, v in (op.defaults or {}).items():
        params.append(inspect.Parameter(k, kind, default=v))
    if op.needs_ctx:
        params.append(inspect.Parameter('ctx', inspect.Parameter.KEYWORD_ONLY, default=None))
    params.append(inspect.Parameter('out', inspect.Parameter.KEYWORD_ONLY, default=None))
    params.append(inspect.Parameter('name', inspect.Parameter.KEYWORD_ONLY, default=None))
    return inspect.Signature(params)


def make_function(op, name):
    """The ``mx.nd`` function of operator ``op``, published under ``name``.

    Calls with exactly the op's inputs go straight to the compiled dispatcher;
    anything else (attributes, ``out=``, keywords) goes through the op's parser.
    """
    n = op.num_inputs
    parse = op.parser

    def function(*args, **kwargs):
        if not kwargs and len(args) == n:
            return invoke(op, args, None)
        inputs, attrs, out, ctx = parse(args, kwargs)
        result = invoke(op, inputs, attrs, ctx)
        return result if out is None else _assign_out(result, out)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = op.doc
    function.__signature__ = _signature(op)
    # Point at the operator's definition: help() then says where to read it,
    # and its docstring example is collected once, with the operator.
    function.__module__ = getattr(op.forward, '__module__', 'mxlearn.ndarray')
    return function


def populate(namespace, ops):
    """Add one function per registered operator name to ``namespace`` (a dict)."""
    for name, op in ops.items():
        if name not in namespace:
            namespace[name] = make_function(op, name)


# MXNet's fluent methods: ``x.sum(axis=1)`` is ``mx.nd.sum(x, axis=1)``.
FLUENT_METHODS = (
    'zeros_like', 'ones_like', 'broadcast_axes', 'broadcast_like', 'repeat', 'pad',
    'swapaxes', 'split', 'slice', 'slice_axis', 'slice_like', 'take', 'one_hot', 'pick',
    'sort', 'topk', 'argsort', 'argmax', 'argmin', 'clip', 'abs', 'sign', 'flatten',
    'shape_array', 'size_array', 'expand_dims', 'tile', 'flip', 'diag', 'sum', 'nansum',
    'prod', 'nanprod', 'mean', 'max', 'min', 'norm', 'round', 'rint', 'fix', 'floor',
    'ceil', 'trunc', 'sin', 'cos', 'tan', 'arcsin', 'arccos', 'arctan', 'degrees',
    'radians', 'sinh', 'cosh', 'tanh', 'arcsinh', 'arccosh', 'arctanh', 'exp', 'expm1',
    'log', 'log10', 'log2', 'log1p', 'sqrt', 'rsqrt', 'cbrt', 'rcbrt', 'square',
    'reciprocal', 'relu', 'sigmoid', 'softmax', 'log_softmax', 'softmin', 'squeeze',
    'erf', 'erfinv', 'gamma', 'gammaln', 'digamma', 'moveaxis')


def attach_methods(cls, namespace, names=FLUENT_METHODS):
    """Give ``cls`` a method for each name in ``names`` that ``namespace`` defines."""
    for name in names:
        function = namespace.get(name)
        if function is None or name in cls.__dict__:
            continue

        def method(self, *args, _function=function, **kwargs):
            return _function(self, *args, **kwargs)
        method.__name__ = method.__qualname__ = name
        method.__doc__ = 'Fluent form of ``mx.nd.%s(self, ...)``.\n\n%s' % (
            name, function.__doc__ or '')
        setattr(cls, name, method)
