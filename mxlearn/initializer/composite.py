"""Initializers that choose another per array: Mixed (by name pattern) and Load (from a file).

Unlike MXNet's, both are ``Initializer`` subclasses, so a Gluon
``net.initialize(mx.init.Mixed(...))`` or ``initialize(mx.init.Load(...))``
works too: an ``__init__`` attribute that names the Mixed or Load itself is
dropped before the array is handed on, and the chosen initializer applies its
own rules by name.
"""
import json
import logging
import re

from .. import ndarray as nd
from ..base import MXNetError
from .base import InitDesc, Initializer, _check_array, create, register

__all__ = ['Mixed', 'Load']


def _without_init(desc):
    """``desc`` minus the ``__init__`` attribute that chose the current initializer."""
    if not isinstance(desc, InitDesc):
        return desc
    attrs = {k: v for k, v in desc.attrs.items() if k != '__init__'}
    return InitDesc(str(desc), attrs, desc.global_init)


def _called_for_itself(desc, init):
    return isinstance(desc, InitDesc) and desc.attrs.get('__init__') is init


@register
class Mixed(Initializer):
    """Pick the initializer of the first pattern that matches the array's name.

    Patterns are regular expressions matched at the start of the name
    (``re.match``), so ``'.*bias'`` matches ``'fc1_bias'`` but ``'bias'``
    does not. End with ``'.*'`` to give every other array a default. The
    chosen initializer still applies its rules by name: ``One`` fills a
    ``*weight`` with ones but a ``*bias`` with zeros.

    Parameters
    ----------
    patterns : list of str
        Regular expressions, tried in order.
    initializers : list of Initializer or str
        One per pattern (a name such as ``'zeros'`` is passed to ``create``).

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.initializer
    >>> init = mx.initializer.Mixed(['conv.*', '.*'], ['ones', mx.initializer.Constant(2)])
    >>> c, w = mx.nd.zeros((2,)), mx.nd.zeros((2,))
    >>> init(mx.initializer.InitDesc('conv1_weight'), c)
    >>> init(mx.initializer.InitDesc('fc_weight'), w)
    >>> c.asnumpy().tolist(), w.asnumpy().tolist()
    ([1.0, 1.0], [2.0, 2.0])
    """

    def __init__(self, patterns, initializers):
        patterns, initializers = list(patterns), [create(i) for i in initializers]
        if len(patterns) != len(initializers):
            raise MXNetError('Mixed: %d patterns but %d initializers; give one initializer '
                             'per pattern' % (len(patterns), len(initializers)))
        super().__init__(patterns=patterns, initializers=initializers)
        self.map = [(re.compile(p), i) for p, i in zip(patterns, initializers)]

    def dumps(self):
        """JSON that ``create`` reads back (every initializer must have ``dumps``).

        Returns
        -------
        str

        Examples
        --------
        >>> import mxlearn.initializer as init
        >>> m = init.Mixed(['.*'], [init.One()])
        >>> init.create(m.dumps()) == m
        True
        """
        kwargs = dict(self._kwargs, initializers=[i.dumps() for i in self._kwargs['initializers']])
        return json.dumps([type(self).__name__.lower(), kwargs])

    def __call__(self, desc, arr):
        _check_array(arr)
        if _called_for_itself(desc, self):
            desc = _without_init(desc)
        for pattern, init in self.map:
            if pattern.match(desc):
                init(desc, arr)
                return
        raise MXNetError('Parameter name %s did not match any pattern of Mixed (%s); add a '
                         '".*" pattern at the end with a default initializer'
                         % (desc, ', '.join(repr(p.pattern) for p, _ in self.map)))

    def _init_weight(self, desc, arr):
        self(_without_init(desc), arr)


class Load(Initializer):
    """Copy arrays from a saved file or a dict, by name; ``default_init`` fills the rest.

    Names saved by ``Module`` carry an ``arg:`` or ``aux:`` prefix; it is
    dropped, so ``'arg:fc1_weight'`` initializes ``fc1_weight``.

    Parameters
    ----------
    param : str or dict of str to NDArray
        A file written by ``mx.nd.save`` (a dict of arrays) or the dict itself.
    default_init : Initializer or str, optional
        For names not in ``param``; without it they are an error.
    verbose : bool, default False
        Log, for every array, whether it was loaded or initialized by default.

    Notes
    -----
    A Load holds arrays, so it has no ``dumps()`` and is not registered by
    name; two Loads are equal only if they are the same object.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.initializer
    >>> init = mx.initializer.Load({'arg:fc_weight': mx.nd.array([1, 2])}, default_init='zeros')
    >>> w, b = mx.nd.zeros((2,)), mx.nd.ones((2,))
    >>> init(mx.initializer.InitDesc('fc_weight'), w)
    >>> init(mx.initializer.InitDesc('fc_bias'), b)
    >>> w.asnumpy().tolist(), b.asnumpy().tolist()
    ([1.0, 2.0], [0.0, 0.0])
    """

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __init__(self, param, default_init=None, verbose=False):
        super().__init__()
        if isinstance(param, str):
            param = nd.load(param)
        if not isinstance(param, dict):
            raise MXNetError('Load needs named arrays (a dict, or a file saved from one), got '
                             '%s' % type(param).__name__)
        self.param = {(k[4:] if k.startswith(('arg:', 'aux:')) else k):
                      (v if isinstance(v, nd.NDArray) else nd.array(v))
                      for k, v in param.items()}
        self.default_init = create(default_init) if isinstance(default_init, str) \
            else default_init
        self.verbose = verbose

    def __repr__(self):
        return 'Load(<%d arrays>, default_init=%r)' % (len(self.param), self.default_init)

    def dumps(self):
        raise MXNetError('Load holds arrays and cannot be written as JSON; save the arrays '
                         'with mx.nd.save and pass the file name to Load instead')

    def __call__(self, desc, arr):
        _check_array(arr)
        if _called_for_itself(desc, self):
            desc = _without_init(desc)
        source = self.param.get(str(desc))
        if source is not None:
            if source.shape != arr.shape:
                raise MXNetError('Parameter %s cannot be initialized from loading: shape '
                                 'mismatch, target %s vs loaded %s'
                                 % (desc, arr.shape, source.shape))
            source.copyto(arr)
            how = 'loading'
        else:
            if self.default_init is None:
                raise MXNetError('Cannot initialize %s: it is not among the loaded arrays and '
                                 'no default_init was given' % (desc,))
            self.default_init(desc, arr)
            how = 'default'
        if self.verbose:
            logging.info('Initialized %s by %s', desc, how)

    def _init_weight(self, desc, arr):
        self(_without_init(desc), arr)
