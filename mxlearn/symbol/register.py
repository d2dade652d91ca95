"""Generate the ``mx.sym`` functions from the operator registry.

The registry knows each operator's inputs, attributes and shape inference.
A graph needs a little more, kept in the small tables below:

- ``AUXILIARY``: inputs that are auxiliary states (updated by the op, not
  learned), with the initializer MXNet records on their variables;
- ``OUTPUT_NAMES``: the visible outputs of multi-output ops (one ``output``
  otherwise; hidden outputs such as a pooling argmax are not listed);
- ``PARAM_SHAPES``: how to infer the shapes of an op's parameters (weights,
  biases, labels) from its data shape, the one direction the registry's
  ``infer_shape`` (inputs to outputs) does not cover.
"""
import inspect
import math

from .._ext.core import NDArrayBase
from ..base import MXNetError

AUXILIARY = {'BatchNorm': {'moving_mean': '["zero", {}]', 'moving_var': '["one", {}]'}}

OUTPUT_NAMES = {
    'split': lambda a: ['output%d' % i for i in range(int(a.get('num_outputs') or 1))],
    'BatchNorm': lambda a: ['output', 'mean', 'var'] if a.get('output_mean_var') else ['output'],
    'LayerNorm': lambda a: ['output', 'mean', 'std'] if a.get('output_mean_var') else ['output'],
    'topk': lambda a: ['output0', 'output1'] if a.get('ret_typ') == 'both' else ['output'],
}


def _channel_axis(attrs):
    layout = attrs.get('layout')
    return -1 if layout and layout.endswith('C') else 1


def _fc_params(data, a):
    features = math.prod(data[1:]) if a['flatten'] else data[-1]
    return {'weight': (a['num_hidden'], features), 'bias': (a['num_hidden'],)}


def _conv_params(data, a):
    kernel, channels = tuple(a['kernel']), data[_channel_axis(a)]
    per_group = channels // a['num_group']
    if _channel_axis(a) == 1:
        weight = (a['num_filter'], per_group) + kernel
    else:
        weight = (a['num_filter'],) + kernel + (per_group,)
    return {'weight': weight, 'bias': (a['num_filter'],)}


def _deconv_params(data, a):
    weight = (data[1], a['num_filter'] // a['num_group']) + tuple(a['kernel'])
    return {'weight': weight, 'bias': (a['num_filter'],)}


def _per_channel(axis_of):
    def rule(data, a):
        shape = (data[axis_of(a) % len(data)],)
        return dict.fromkeys(('gamma', 'beta', 'moving_mean', 'moving_var'), shape)
    return rule


def _softmax_label(data, a):
    if a['multi_output']:
        return {'label': (data[0],) + tuple(data[2:])}
    return {'label': tuple(data[:-1]) if a['preserve_shape'] else (data[0],)}


def _regression_label(data, a):
    # MXNet's convention: one prediction per example, (batch, 1), takes labels (batch,)
    return {'label': (data[0],) if len(data) == 2 and data[1] == 1 else tuple(data)}


# op name -> rule(data_shape, attrs with defaults) -> {input name: shape}
PARAM_SHAPES = {
    'FullyConnected': _fc_params,
    'Convolution': _conv_params,
    'Deconvolution': _deconv_params,
    'BatchNorm': _per_channel(lambda a: a['axis']),
    'LayerNorm': _per_channel(lambda a: a['axis']),
    'InstanceNorm': _per_channel(lambda a: 1),
    'Embedding': lambda data, a: {'weight': (a['input_dim'], a['output_dim'])},
    'LeakyReLU': lambda data, a: {'gamma': (data[1] if len(data) > 1 else data[0],)},
    'SoftmaxOutput': _softmax_label,
    'LinearRegressionOutput': _regression_label,
    'LogisticRegressionOutput': _regression_label,
    'MAERegressionOutput': _regression_label,
}


def output_names(op, attrs):
    """The names of the visible outputs of a node of ``op`` (``['output']`` for most).

    Examples
    --------
    >>> from mxlearn.operator import OPS
    >>> output_names(OPS['split'], {'num_outputs': 2})
    ['output0', 'output1']
    """
    rule = OUTPUT_NAMES.get(op.name)
    return rule(attrs) if rule else ['output']


def optional_inputs(op):
    """The names of ``op``'s optional inputs (forward parameters defaulting to None).

    Examples
    --------
    >>> from mxlearn.operator import OPS
    >>> optional_inputs(OPS['FullyConnected'])
    ('bias',)
    """
    params = list(inspect.signature(op.forward).parameters.values())[1:]
    return tuple(p.name for p in params if p.default is None
                 and p.kind is p.POSITIONAL_OR_KEYWORD)


def wants_input(op, name, attrs):
    """Whether a missing input ``name`` gets an automatic variable.

    Required inputs always do; of the optional ones, a bias unless
    ``no_bias`` and prelu's ``gamma``, as in MXNet.

    Examples
    --------
    >>> from mxlearn.operator import OPS
    >>> wants_input(OPS['FullyConnected'], 'bias', {'no_bias': True})
    False
    """
    if name not in optional_inputs(op):
        return True
    merged = dict(op.defaults or {}, **attrs)
    if name == 'bias' and 'no_bias' in merged:
        return not merged['no_bias']
    return op.name == 'LeakyReLU' and name == 'gamma' and merged.get('act_type') == 'prelu'


def make_function(op, name, create, op_name=None, hint=None):
    """The ``mx.sym`` function of operator ``op``, published under ``name``.

    ``create(op, op_name, inputs, attrs, node_name, user_attrs, hint=hint)``
    builds the node (``inputs`` is a list for variadic ops, else a dict by
    input name); this function only sorts MXNet's calling conventions into
    those parts, reusing the registry's argument parser for the attributes.
    ``op_name`` is the operator name the graph records (``name`` by
    default) and ``hint`` the start of automatic node names (``op_name``
    in lower case by default).
    """
    from .symbol import Symbol
    variadic, published = op.num_inputs < 0, name

    def function(*args, name=None, attr=None, **kwargs):
        # The inputs come first; None in an input's place leaves that
        # (optional) input out, as MXNet's FullyConnected(x, w, None, ...).
        count = 0
        while count < len(args) and (isinstance(args[count], Symbol) or (
                args[count] is None and not variadic and count < len(op.arg_names))):
            count += 1
        symbols, rest = list(args[:count]), args[count:]
        arrays = [a for a in list(rest) + list(kwargs.values()) if isinstance(a, NDArrayBase)]
        if arrays:
            raise MXNetError('mx.sym.%s: got an NDArray of shape %s where a Symbol was '
                             'expected; symbol functions build a graph of Symbols (in '
                             'hybrid_forward, call F.%s so that it works with both)'
                             % (published, arrays[0].shape, published))
        if variadic:
            if not symbols and rest and isinstance(rest[0], (list, tuple)):
                symbols, rest = list(rest[0]), rest[1:]
            keyed = kwargs.pop(op.arg_names[0], None)  # Concat(data=[a, b])
            if keyed is not None:
                symbols += list(keyed) if isinstance(keyed, (list, tuple)) else [keyed]
            attrs = op.parser(tuple(rest), kwargs)[1]
            return create(op, op_name, symbols, attrs, name, attr, hint=hint)
        if count > len(op.arg_names):
            raise MXNetError('Operator %s takes at most %d inputs (%s), got %d symbols'
                             % (op.name, len(op.arg_names), ', '.join(op.arg_names), count))
        given = {k: s for k, s in zip(op.arg_names, symbols) if s is not None}
        for key in op.arg_names:
            value = kwargs.pop(key, None)
            if value is not None and key in given:
                raise MXNetError('Operator %s: input %r given twice' % (op.name, key))
            if value is not None:
                given[key] = value
        # Stand-ins for the inputs let the registry's parser read the
        # positional attributes that follow them.
        attrs = op.parser(tuple(range(len(op.arg_names))) + tuple(rest), kwargs)[1]
        return create(op, op_name, given, attrs, name, attr, hint=hint)

    op_name = op_name or name
    function.__name__ = function.__qualname__ = name
    function.__doc__ = op.doc
    # The docstring's examples are the operator's, collected once with it.
    function.__module__ = getattr(op.forward, '__module__', 'mxlearn.symbol')
    return function
