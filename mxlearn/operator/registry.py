"""The operator registry: every operator is defined here once.

An operator is a forward function written against an array module ``xp``
(numpy on the CPU, CuPy on the GPU), registered with its gradient rule and its
shape inference::

    @register('exp', gradient=lambda F, inputs, outputs, ograds: (ograds[0] * outputs[0],),
              infer_shape=same_shape)
    def exp(xp, data):
        '''Elementwise e**x.'''
        return xp.exp(data)

The forward's signature *is* the operator's signature: the positional
parameters after ``xp`` are the NDArray inputs (``*data`` for a variable number),
keyword-only parameters are attributes with their defaults. ``mx.nd.exp``,
``NDArray.exp`` and (later) ``mx.sym.exp`` are all generated from it.

Conventions a forward keeps:
- it receives and returns raw arrays of ``xp`` (never NDArrays), at least 1-d
  (MXNet 1.x has no 0-d arrays: a full reduction has shape ``(1,)``);
- it returns one array, or a tuple of arrays for several outputs;
- it uses only functions that numpy and CuPy share, or a kernel chosen by
  ``xp`` (``mxlearn.backend``), so that the GPU backend needs nothing new here.

A gradient rule ``gradient(F, inputs, outputs, ograds, **attrs)`` receives
NDArrays and returns one gradient per input (None where there is none). It is
written with the operators of the namespace ``F`` (``mx.nd``), so that under
``autograd.grad(create_graph=True)`` it is itself recorded, which gives
higher-order gradients without writing anything twice.

``infer_shape(in_shapes, **attrs)`` returns the list of output shapes, and
raises MXNetError saying what was expected when the input shapes are invalid.
``infer_type(in_dtypes, **attrs)`` returns the list of output dtypes. Both
serve symbolic shape inference and the error messages of eager calls.
"""
import inspect

from .._ext.core import Context, Op
from ..base import MXNetError

OPS = {}


def register(name, *, gradient=None, infer_shape=None, infer_type=None,
             ufunc=None, keep_dtype=False, same_dtype=True, reflected=False,
             aliases=(), differentiable=True, num_visible=None):
    """Register an operator whose forward is the decorated function.

    Parameters
    ----------
    name : str
        The MXNet name of the operator (``broadcast_add``, ``dot``, ...).
    gradient : callable, optional
        ``gradient(F, inputs, outputs, ograds, **attrs) -> sequence`` with one
        NDArray or None per input. Leave it out for operators without a
        gradient (comparisons, argmax, random numbers): their outputs are
        constants to autograd.
    infer_shape, infer_type : callable, optional
        Shape and dtype inference (see the module docstring). Without
        ``infer_type`` the output has the dtype of the first input.
    ufunc : str, optional
        For binary elementwise ops: the name of the array module's function
        that is the whole forward (``'add'``). The dispatcher then calls it
        directly, which keeps ``a + b`` fast.
    keep_dtype : bool
        Cast the ufunc's result back to the input dtype (comparisons give 0/1
        in the input dtype, as MXNet does).
    same_dtype : bool
        Reject inputs of different dtypes with a clear error.
    reflected : bool
        For scalar ops: the ufunc is called as ``ufunc(scalar, x)``.
    aliases : tuple of str
        Other names under which the operator is exported.
    num_visible : int, optional
        For a forward returning a tuple: how many leading outputs the caller
        sees. The rest (a pooling argmax, a dropout mask, a batch's mean) are
        kept on the tape for the gradient rule, which receives every output
        and None as the out-gradient of each hidden one. ``infer_shape``
        returns the shapes of all outputs.

    Returns
    -------
    callable
        A decorator that registers the forward and returns it unchanged.

    Examples
    --------
    >>> from mxlearn.operator.registry import register, OPS
    >>> @register('_demo_twice', gradient=lambda F, i, o, g: (g[0] * 2,))
    ... def twice(xp, data):
    ...     return data * 2
    >>> OPS['_demo_twice'].name
    '_demo_twice'
    """
    def decorate(forward):
        sig = inspect.signature(forward)
        params = list(sig.parameters.values())[1:]
        arg_names, defaults, variadic, needs_ctx = [], {}, False, False
        n_required = None
        for p in params:
            if p.kind is p.VAR_POSITIONAL:
                variadic = True
                arg_names.append(p.name)
            elif p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                if p.default is None:
                    if n_required is None:
                        n_required = len(arg_names)
                elif n_required is not None:
                    raise TypeError('%s: optional input %r must come after the required ones'
                                    % (name, arg_names[-1]))
                arg_names.append(p.name)
            elif p.kind is p.KEYWORD_ONLY:
                if p.name == 'ctx':
                    needs_ctx = True
                    continue
                if p.default is p.empty:
                    raise TypeError('%s: attribute %r needs a default' % (name, p.name))
                defaults[p.name] = p.default
        op = Op(name, forward,
                gradient=gradient if differentiable else None,
                infer_shape=infer_shape, infer_type=infer_type,
                arg_names=arg_names, defaults=defaults or None,
                num_inputs=-1 if variadic else len(arg_names),
                same_dtype=same_dtype, needs_ctx=needs_ctx,
                keep_dtype=keep_dtype, ufunc=ufunc, reflected=reflected,
                doc=inspect.getdoc(forward) or '',
                num_visible=-1 if num_visible is None else num_visible)
        op.parser = _make_parser(op, list(defaults),
                                 len(arg_names) if n_required is None else n_required)
        for n in (name,) + tuple(aliases):
            if n in OPS:
                raise ValueError('operator %r registered twice' % n)
            OPS[n] = op
        return forward
    return decorate


def needs_grad(x):
    """Whether a gradient for input ``x`` can be used by anyone.

    An input that is neither a variable (``attach_grad``) nor computed on the
    tape is a constant, such as the batch fed to a network's first layer: its
    gradient (a whole GEMM in FullyConnected or a col2im in Convolution)
    would be thrown away, so a gradient rule may return None for it.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.ones((2,))
    >>> from mxlearn.operator.registry import needs_grad
    >>> needs_grad(x)
    False
    >>> x.attach_grad()
    >>> needs_grad(x)
    True
    """
    return getattr(x, '_node', True) is not None or x._grad_req != 0


def second_order_unsupported(name):
    """The gradient rule of a backward operator that is not differentiated again.

    Registering it (instead of no gradient at all) makes a second-order
    gradient through ``name`` fail loudly rather than come out as zero.

    Examples
    --------
    >>> rule = second_order_unsupported('_backward_Demo')
    >>> rule(None, (), (), ())
    Traceback (most recent call last):
    ...
    mxlearn.base.MXNetError: the gradient of _backward_Demo is not implemented, so second-order gradients through it are not available
    """
    def gradient(F, inputs, outputs, ograds, **attrs):
        raise MXNetError('the gradient of %s is not implemented, so second-order '
                         'gradients through it are not available' % name)
    return gradient


def get_op(name):
    """Return the registered operator called ``name``.

    Examples
    --------
    >>> from mxlearn.operator import get_op
    >>> get_op('broadcast_add').arg_names
    ('lhs', 'rhs')
    """
    try:
        return OPS[name]
    except KeyError:
        raise MXNetError('no operator named %r is registered' % (name,)) from None


def _make_parser(op, attr_names, n_required):
    """Build the slow-path argument parser of ``op``'s generated functions.

    It maps ``f(*args, **kwargs)`` in MXNet's calling conventions (inputs
    first, then attributes positionally or by keyword; ``out=``, ``name=``,
    ``ctx=``) to ``(inputs, attrs, out, ctx)``. Inputs after the first
    ``n_required`` are optional (a forward parameter defaulting to None, like
    FullyConnected's ``bias``): left out, the forward is called without them.
    """
    variadic = op.num_inputs < 0
    input_names = [] if variadic else list(op.arg_names)
    ignored = {'name', 'num_args', 'attr'}

    def parse(args, kwargs):
        kwargs = dict(kwargs)
        out = kwargs.pop('out', None)
        ctx = kwargs.pop('ctx', None)
        if ctx is not None and not op.needs_ctx and op.num_inputs != 0:
            raise MXNetError('Operator %s: ctx= is only accepted by operators that '
                             'create arrays; use as_in_context() instead' % op.name)
        for k in ignored:
            kwargs.pop(k, None)
        if variadic:
            inputs = [a for a in args if not _is_attr_value(a)]
            if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
                inputs = list(inputs[0])
            rest = list(args[len(inputs):]) if len(inputs) == len(args) else [
                a for a in args if _is_attr_value(a)]
            for k in list(kwargs):
                if k in op.arg_names:
                    value = kwargs.pop(k)
                    inputs.extend(value if isinstance(value, (list, tuple)) else [value])
        else:
            n = len(input_names)
            inputs = list(args[:n])
            rest = list(args[n:])
            while len(inputs) > n_required and inputs[-1] is None:
                inputs.pop()
            for i in range(len(inputs), n):
                key = input_names[i]
                value = kwargs.pop(key, None)
                if value is None:
                    if i < n_required:
                        raise MXNetError('Operator %s: missing input %r (inputs: %s)'
                                         % (op.name, key, ', '.join(input_names)))
                    later = [k for k in input_names[i + 1:] if kwargs.pop(k, None) is not None]
                    if later:
                        raise MXNetError('Operator %s: input %r is given but %r, before it, '
                                         'is not' % (op.name, later[0], key))
                    break
                inputs.append(value)
        if op.needs_ctx and ctx is None:
            # MXNet's creation functions take the context positionally too:
            # ``nd.zeros(shape, ctx, dtype)``.
            for i, a in enumerate(rest):
                if isinstance(a, Context):
                    ctx = rest.pop(i)
                    break
        if len(rest) > len(attr_names):
            raise MXNetError('Operator %s: too many positional arguments (%d given; '
                             'inputs: %s; attributes: %s)' % (
                                 op.name, len(args), ', '.join(op.arg_names),
                                 ', '.join(attr_names) or 'none'))
        attrs = dict(zip(attr_names, rest))
        for k, v in kwargs.items():
            if k not in op.defaults if op.defaults else True:
                raise MXNetError('Operator %s: unknown argument %r; its attributes are: %s'
                                 % (op.name, k, ', '.join(attr_names) or 'none'))
            if k in attrs:
                raise MXNetError('Operator %s: argument %r given twice' % (op.name, k))
            attrs[k] = v
        return tuple(inputs), attrs, out, ctx

    return parse


def _is_attr_value(a):
    from .._ext.core import NDArrayBase
    if isinstance(a, NDArrayBase):
        return False
    if isinstance(a, (list, tuple)) and a and all(isinstance(x, NDArrayBase) for x in a):
        return False
    return True
