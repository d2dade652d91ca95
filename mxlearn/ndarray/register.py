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
    function.__module__ = 'mxlearn.ndarray'
    return function


def populate(namespace, ops):
    """Add one function per registered operator name to ``namespace`` (a dict)."""
    for name, op in ops.items():
        if name not in namespace:
            namespace[name] = make_function(op, name)
