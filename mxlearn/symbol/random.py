"""``mx.sym.random``: random-sampling nodes, with the signatures of ``mx.nd.random``.

With numbers as parameters a node of ``_random_<dist>`` draws ``shape``
samples; with Symbols as parameters, ``_sample_<dist>`` draws ``shape``
samples per element of them. A new sample is drawn on every forward pass.

Examples
--------
>>> import mxlearn as mx
>>> y = mx.sym.random.uniform(0, 1, shape=(2, 3))
>>> y.infer_shape()[1]
[(2, 3)]
"""
from ..base import MXNetError
from ..operator import OPS
from .symbol import Symbol, _create

__all__ = ['uniform', 'normal', 'randn', 'randint', 'exponential', 'gamma', 'poisson',
           'negative_binomial', 'generalized_negative_binomial', 'multinomial', 'shuffle']


def _draw(dist, names, params, shape, dtype, kwargs):
    name, attr = kwargs.pop('name', None), kwargs.pop('attr', None)
    if kwargs:
        raise MXNetError('random.%s: unknown argument(s) %s' % (dist, ', '.join(sorted(kwargs))))
    symbols = [p for p in params if isinstance(p, Symbol)]
    if not symbols:
        op = '_random_' + dist
        attrs = dict(zip(names, params), shape=shape, dtype=dtype)
        return _create(OPS[op], op, [], {k: v for k, v in attrs.items() if v is not None},
                       name, attr)
    if len(symbols) != len(params):
        raise MXNetError('random.%s: the parameters %s must be all Symbols or all numbers'
                         % (dist, ', '.join(names)))
    op = '_sample_' + dist
    attrs = {k: v for k, v in (('shape', shape), ('dtype', dtype)) if v is not None}
    return _create(OPS[op], op, list(params), attrs, name, attr)


def _distribution(dist, names, defaults):
    def function(*params, shape=None, dtype=None, **kwargs):
        if len(params) > len(names):
            raise MXNetError('random.%s takes %d parameters (%s), got %d'
                             % (dist, len(names), ', '.join(names), len(params)))
        values = list(params) + [kwargs.pop(n, d) for n, d in
                                 zip(names[len(params):], defaults[len(params):])]
        return _draw(dist, names, values, shape, dtype, kwargs)
    function.__name__ = function.__qualname__ = dist
    function.__doc__ = (
        'Samples of the %s distribution (parameters %s; numbers or Symbols).\n\n'
        'Parameters\n----------\n%s : float or Symbol\nshape : tuple of int, optional\n'
        'dtype : str, optional\nname : str, optional\n\nReturns\n-------\nSymbol\n\n'
        'Examples\n--------\n>>> import mxlearn as mx\n'
        '>>> mx.sym.random.%s(shape=(4,)).infer_shape()[1]\n[(4,)]\n'
        % (dist, ', '.join(names), ', '.join(names), dist))
    return function


uniform = _distribution('uniform', ('low', 'high'), (0.0, 1.0))
normal = _distribution('normal', ('loc', 'scale'), (0.0, 1.0))
gamma = _distribution('gamma', ('alpha', 'beta'), (1.0, 1.0))
poisson = _distribution('poisson', ('lam',), (1.0,))
negative_binomial = _distribution('negative_binomial', ('k', 'p'), (1, 1.0))
generalized_negative_binomial = _distribution('generalized_negative_binomial',
                                              ('mu', 'alpha'), (1.0, 1.0))


def exponential(scale=1, shape=None, dtype=None, **kwargs):
    """Exponential samples with mean ``scale`` (rate ``1 / scale``), as in MXNet.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.sym.random.exponential(2, shape=(3,)).list_attr()['lam']
    '0.5'
    """
    return _draw('exponential', ('lam',), [1.0 / scale], shape, dtype, kwargs)


def randn(*shape, loc=0.0, scale=1.0, dtype=None, **kwargs):
    """Normal samples with the shape given as separate arguments.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.sym.random.randn(2, 3).infer_shape()[1]
    [(2, 3)]
    """
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return _draw('normal', ('loc', 'scale'), [loc, scale], shape or None, dtype, kwargs)


def randint(low, high, shape=None, dtype=None, **kwargs):
    """Random integers in ``[low, high)``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.sym.random.randint(0, 5, shape=(3,)).infer_type()[1]
    [<class 'numpy.int32'>]
    """
    return _draw('randint', ('low', 'high'), [low, high], shape, dtype, kwargs)


def multinomial(data, shape=None, get_prob=False, dtype='int32', **kwargs):
    """Indices drawn from the categorical distributions in the last axis of ``data``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> y = mx.sym.random.multinomial(mx.sym.var('p'), shape=2)
    >>> y.infer_shape(p=(4, 3))[1]
    [(4, 2)]
    """
    name, attr = kwargs.pop('name', None), kwargs.pop('attr', None)
    attrs = {'get_prob': get_prob, 'dtype': dtype}
    if shape is not None:
        attrs['shape'] = shape
    return _create(OPS['_sample_multinomial'], '_sample_multinomial', {'data': data}, attrs,
                   name, attr)


def shuffle(data, **kwargs):
    """``data`` with its first axis randomly permuted.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.sym.random.shuffle(mx.sym.var('x')).infer_shape(x=(4, 2))[1]
    [(4, 2)]
    """
    return _create(OPS['_shuffle'], '_shuffle', {'data': data}, {}, kwargs.pop('name', None),
                   kwargs.pop('attr', None))
