"""``mx.viz``: a network drawn with graphviz, and summed up as a table.

:func:`plot_network` turns a Symbol into a ``graphviz.Digraph`` in MXNet's
look: data at the bottom, one box per operator coloured by its family
(layers, activations, normalization, pooling, reshaping, softmax), a short
label with the attributes that matter (``Convolution\\n5x5/1, 20``), and, when
input shapes are given, every edge labelled with the shape flowing along it
(the batch dimension left out). The learned parameters are hidden by default:
they would double the number of boxes without saying much.

:func:`print_summary` prints the Keras-style table MXNet prints: each layer,
its output shape, its number of parameters and the layers it reads.

Both walk the same graph the executor runs, and take their shapes from
``Symbol.infer_shape``.
"""
import shutil
import warnings

import numpy

from .base import MXNetError
from .symbol import Symbol

__all__ = ['plot_network', 'print_summary', 'looks_like_weight', 'op_color']

# MXNet's palette (ColorBrewer Set3), one colour per family of operators.
_PALETTE = ('#8dd3c7', '#fb8072', '#ffffb3', '#bebada', '#80b1d3', '#fdb462', '#b3de69',
            '#fccde5')
_FAMILIES = {
    'input': 0,
    'FullyConnected': 1, 'Convolution': 1, 'Deconvolution': 1,
    'Activation': 2, 'LeakyReLU': 2, 'relu': 2, 'sigmoid': 2, 'tanh': 2, 'softsign': 2,
    'BatchNorm': 3, 'LayerNorm': 3, 'InstanceNorm': 3,
    'Pooling': 4,
    'Concat': 5, 'Flatten': 5, 'Reshape': 5, 'transpose': 5, 'expand_dims': 5,
    'softmax': 6, 'log_softmax': 6,
}
# Suffixes of the variables a layer creates for itself (MXNet's naming).
_WEIGHT_SUFFIXES = ('_weight', '_bias', '_beta', '_gamma', '_moving_var', '_moving_mean',
                    '_running_var', '_running_mean')


def looks_like_weight(name):
    """Whether a variable named ``name`` is a layer's parameter or auxiliary state.

    Examples
    --------
    >>> looks_like_weight('fc1_weight'), looks_like_weight('data')
    (True, False)
    """
    return name.endswith(_WEIGHT_SUFFIXES)


def op_color(op_name):
    """The fill colour of a node of operator ``op_name`` (``None`` for a variable).

    Examples
    --------
    >>> op_color(None), op_color('Convolution'), op_color('elemwise_add')
    ('#8dd3c7', '#fb8072', '#fccde5')
    """
    return _PALETTE[_FAMILIES.get('input' if op_name is None else op_name, 7)]


def _dims(shape, sep='x'):
    """``shape`` without its batch dimension, as ``'20x24x24'`` (``''`` for a vector)."""
    return sep.join(str(d) for d in shape[1:])


def _op_label(node):
    """MXNet's box text: the operator and its main attributes, or the node's name."""
    op = node.op.name
    attrs = dict(node.op.defaults or {}, **node.attrs)
    given = node.attrs
    if op in ('Convolution', 'Deconvolution'):
        stride = 'x'.join(str(s) for s in given['stride']) if given.get('stride') else '1'
        kernel = 'x'.join(str(k) for k in attrs['kernel'])
        return '%s\n%s/%s, %s' % (node.op_name, kernel, stride, attrs['num_filter'])
    if op == 'FullyConnected':
        return '%s\n%s' % (node.op_name, attrs['num_hidden'])
    if op in ('Activation', 'LeakyReLU'):
        return '%s\n%s' % (node.op_name, attrs['act_type'])
    if op == 'Pooling':
        if attrs.get('global_pool'):
            return '%s\n%s, global' % (node.op_name, attrs['pool_type'])
        stride = 'x'.join(str(s) for s in given['stride']) if given.get('stride') else '1'
        kernel = 'x'.join(str(k) for k in attrs['kernel'])
        return '%s\n%s, %s/%s' % (node.op_name, attrs['pool_type'], kernel, stride)
    return node.name


def _entry_shapes(symbol, shape, what):
    """Every output of every node of ``symbol`` -> its shape, from the input ``shape`` dict."""
    internals = symbol.get_internals()
    args, outs, _ = internals.infer_shape_partial(**shape)
    unknown = [name for name, s in zip(internals.list_arguments(), args) if not s]
    if unknown:
        raise MXNetError('%s: the shapes given (shape=%s) do not determine those of %s; give '
                         'the shapes of the data inputs in shape=' % (what, shape,
                                                                     ', '.join(unknown)))
    return dict(zip(internals._outputs, outs))


def _entry_dtypes(symbol, dtype):
    internals = symbol.get_internals()
    _, outs, _ = internals.infer_type(**dtype)
    if outs is None:
        raise MXNetError('plot_network: the dtypes given (%s) do not determine those of '
                         'every node' % dtype)
    return {e: numpy.dtype(t).name for e, t in zip(internals._outputs, outs)}


def _import_graphviz():
    try:
        import graphviz
    except ImportError:
        raise ImportError('mx.viz.plot_network draws with the graphviz package: '
                          '`pip install graphviz`, and install the Graphviz `dot` program '
                          '(e.g. `apt install graphviz`, `conda install graphviz` or '
                          '`brew install graphviz`) to render the drawing') from None
    if shutil.which('dot') is None:
        warnings.warn('the Graphviz `dot` program is not on the PATH: the graph is built '
                      '(see its .source) but cannot be rendered. Install it with e.g. '
                      '`apt install graphviz`, `conda install graphviz` or '
                      '`brew install graphviz`', stacklevel=3)
    return graphviz


def plot_network(symbol, title='plot', save_format='pdf', shape=None, dtype=None,
                 node_attrs={}, hide_weights=True):  # noqa: B006 (MXNet's signature)
    """Draw ``symbol`` as a graphviz ``Digraph`` (shown inline by Jupyter).

    Parameters
    ----------
    symbol : Symbol
        The network; a group draws all its outputs.
    title : str
        The name of the graph (and of the file ``render`` writes).
    save_format : str
        The format ``render`` writes (``'pdf'``, ``'png'``, ``'svg'`` ...).
    shape : dict of str to tuple, optional
        Shapes of the inputs; every edge is then labelled with the shape of the
        array flowing along it, batch dimension left out.
    dtype : dict of str to dtype, optional
        Dtypes of the inputs; every edge label then ends with ``(float32)``.
    node_attrs : dict of str to str
        Graphviz attributes of the operator boxes (``{'shape': 'oval'}``), added
        to the defaults (box, filled, 1.3 x 0.8034 inches).
    hide_weights : bool
        Leave out the variables that look like a layer's parameters
        (``*_weight``, ``*_bias``, ``*_gamma``, ``*_beta``, moving statistics).

    Returns
    -------
    graphviz.Digraph
        ``.source`` is the dot text; ``.render()`` writes a file; in Jupyter
        the graph is drawn (this needs the Graphviz ``dot`` program).

    Examples
    --------
    >>> import mxlearn as mx
    >>> net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=8, name='fc')
    >>> dot = plot_network(net, shape={'data': (2, 5)})
    >>> print(dot.source.splitlines()[-2].strip())
    fc -> data [label=5 arrowtail=open dir=back]
    """
    if not isinstance(symbol, Symbol):
        raise MXNetError('plot_network needs a Symbol, got %s' % type(symbol).__name__)
    graphviz = _import_graphviz()
    shapes = _entry_shapes(symbol, shape, 'plot_network') if shape is not None else None
    dtypes = _entry_dtypes(symbol, dtype) if dtype is not None else None
    # MXNet's box size, as a minimum: fixed-size boxes cut long labels
    # ("FullyConnected", backward nodes) and make dot print warnings.
    box = dict(shape='box', fixedsize='false', width='1.3', height='0.8034', style='filled')
    box.update(node_attrs)
    dot = graphviz.Digraph(name=title, format=save_format)
    nodes = symbol._nodes()
    hidden = {id(n) for n in nodes if n.op is None and hide_weights and
              looks_like_weight(n.name)}
    for node in nodes:
        if id(node) in hidden:
            continue
        attrs = dict(box)
        if node.op is None:
            # Inputs are ovals, whatever the boxes look like: they are data, not work.
            attrs.update(shape='oval', fillcolor=op_color(None))
            dot.node(node.name, label=node.name, **attrs)
        else:
            attrs['fillcolor'] = op_color(node.op.name)
            dot.node(node.name, label=_op_label(node), **attrs)
    for node in nodes:
        for entry in node.inputs if node.op is not None else ():
            if id(entry[0]) in hidden:
                continue
            label = _dims(shapes[entry]) if shapes is not None else ''
            if dtypes is not None:
                label += '(%s)' % dtypes[entry]
            # Drawn from the consumer back to its input, so that data sits at the bottom.
            dot.edge(node.name, entry[0].name, label=label, dir='back', arrowtail='open')
    return dot


def _row(fields, stops):
    """Fields left-aligned in columns ending at ``stops``, each cut to fit its column."""
    line = ''
    for field, stop in zip(fields, stops):
        line = (line + str(field))[:stop].ljust(stop)
    return line


def print_summary(symbol, shape=None, line_length=120,
                  positions=[.44, .64, .74, 1.]):  # noqa: B006 (MXNet's signature)
    """Print a table of the layers of ``symbol``: output shape, parameters, inputs.

    A row per operator and per data input (variables that are neither a
    layer's parameters nor a ``*_label``). *Param #* counts the learned
    parameters a layer reads (its weight, bias, gamma, beta: not the moving
    statistics, which are not learned), each parameter once.

    Parameters
    ----------
    symbol : Symbol
    shape : dict of str to tuple, optional
        Shapes of the inputs. Without them the output shapes are left blank
        and only parameters whose shapes are known by themselves (a
        ``Variable(shape=...)``) are counted.
    line_length : int
        Width of the table in characters.
    positions : list of float or int
        Where the four columns end: fractions of ``line_length``, or
        character positions if the last one is greater than 1.

    Examples
    --------
    >>> import mxlearn as mx
    >>> net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=8, name='fc')
    >>> print_summary(net, shape={'data': (2, 5)},
    ...               line_length=80)  # doctest: +NORMALIZE_WHITESPACE
    ________________________________________________________________________________
    Layer (type)                       Output Shape    Param # Previous Layer
    ================================================================================
    data(null)                         5               0
    ________________________________________________________________________________
    fc(FullyConnected)                 8               48      data
    ================================================================================
    Total params: 48
    ________________________________________________________________________________
    """
    if not isinstance(symbol, Symbol):
        raise MXNetError('print_summary needs a Symbol, got %s' % type(symbol).__name__)
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    if shape is not None:
        shapes = _entry_shapes(symbol, shape, 'print_summary')
    else:
        internals = symbol.get_internals()
        shapes = dict(zip(internals._outputs, internals.infer_shape_partial()[1]))
    aux = {id(n) for n in symbol._variables()[1]}

    def shown(node):
        return node.op is not None or not (looks_like_weight(node.name) or
                                           node.name.endswith('_label'))
    rows = [n for n in symbol._nodes() if shown(n)]
    counted, total = set(), 0
    print('_' * line_length)
    print(_row(['Layer (type)', 'Output Shape', 'Param #', 'Previous Layer'], positions))
    print('=' * line_length)
    for k, node in enumerate(rows):
        params = 0
        for src, _ in node.inputs:
            if (src.op is None and id(src) not in aux and id(src) not in counted and
                    looks_like_weight(src.name) and shapes.get((src, 0))):
                counted.add(id(src))
                params += int(numpy.prod(shapes[(src, 0)]))
        total += params
        outs = [shapes.get((node, i)) for i in range(len(node.outputs))]
        out_text = ', '.join(_dims(s) for s in outs if s)
        previous = [src.name for src, _ in node.inputs if shown(src)]
        print(_row(['%s(%s)' % (node.name, node.op_name), out_text, params,
                    previous[0] if previous else ''], positions))
        for name in previous[1:]:
            print(_row(['', '', '', name], positions))
        print(('=' if k == len(rows) - 1 else '_') * line_length)
    print('Total params: %d' % total)
    print('_' * line_length)
