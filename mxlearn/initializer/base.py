"""The Initializer base class, InitDesc, and the registry of initializers by name.

An initializer is called as ``init(desc, arr)`` and fills the NDArray ``arr``
in place. What it writes depends on ``desc``:

- an ``InitDesc`` whose ``attrs`` hold ``'__init__'`` (an initializer, its
  name, or its ``dumps()`` JSON): that initializer's ``_init_weight`` fills
  ``arr``, whatever the name. Gluon Parameters always pass one;
- otherwise the end of the name decides: ``weight`` -> ``_init_weight``
  (what the subclass defines), ``bias`` -> 0, ``gamma`` -> 1, ``beta`` -> 0,
  ``min`` -> 0, ``max`` -> 1; any other name is an error;
- a plain ``str`` instead of an ``InitDesc`` is MXNet's deprecated form; it
  also knows ``moving_mean``/``moving_inv_var``/``moving_avg`` -> 0,
  ``moving_var`` -> 1, ``upsampling*`` -> bilinear and ``stn_loc*``.
"""
import json
import logging
import math
import warnings

import numpy

from .. import ndarray as nd
from ..base import MXNetError, register_class

__all__ = ['InitDesc', 'Initializer', 'register', 'alias', 'create']


class InitDesc(str):
    """The name of an array to initialize, with the attributes that steer it.

    Parameters
    ----------
    name : str
        The parameter's name (``'dense0_weight'``).
    attrs : dict, optional
        Attributes; ``attrs['__init__']`` names the initializer to use for
        this array, overriding the rules by name.
    global_init : Initializer, optional
        The initializer in charge of the whole model; set to the called
        initializer when None.

    Examples
    --------
    >>> import mxlearn.initializer as init
    >>> d = init.InitDesc('fc1_bias', {'__init__': 'ones'})
    >>> d, d.endswith('bias'), d.attrs
    ('fc1_bias', True, {'__init__': 'ones'})
    """

    def __new__(cls, name, attrs=None, global_init=None):
        desc = super().__new__(cls, name)
        desc.attrs = attrs or {}
        desc.global_init = global_init
        return desc


def _check_array(arr):
    if not isinstance(arr, nd.NDArray):
        raise MXNetError('an initializer fills an NDArray in place, got %s; wrap it with '
                         'mx.nd.array(...)' % type(arr).__name__)


def _norm_per_element(arr):
    """The default statistic of ``set_verbosity``: ``norm(arr) / sqrt(arr.size)``."""
    return str(nd.norm(arr).asscalar() / math.sqrt(max(arr.size, 1)))


def bilinear_kernel(shape):
    """The weights of a bilinear up-sampling filter, broadcast to ``shape``.

    Every (output, input) channel pair gets the same ``(height, width)`` tent
    filter ``(1 - |x / f - c|) * (1 - |y / f - c|)`` with ``f = ceil(width / 2)``
    and ``c = (2f - 1 - f % 2) / (2f)``, as MXNet computes it (``f`` comes from
    the width for both axes).

    Parameters
    ----------
    shape : tuple of 4 ints
        ``(out_channels, in_channels, height, width)``.

    Returns
    -------
    numpy.ndarray
        float32, of ``shape``.

    Examples
    --------
    >>> from mxlearn.initializer.base import bilinear_kernel
    >>> bilinear_kernel((1, 1, 4, 4))[0, 0, 0]
    array([0.0625, 0.1875, 0.1875, 0.0625], dtype=float32)
    """
    if len(shape) != 4:
        raise MXNetError('a bilinear kernel needs a 4-D weight (out_channels, in_channels, '
                         'height, width), got shape %s' % (tuple(shape),))
    f = math.ceil(shape[3] / 2.0)
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    wx = 1 - numpy.abs(numpy.arange(shape[3]) / f - c)
    wy = 1 - numpy.abs(numpy.arange(shape[2]) / f - c)
    return numpy.broadcast_to(numpy.outer(wy, wx), shape).astype(numpy.float32)


class Initializer:
    """The base class of initializers: the dispatch by name, ``dumps`` and verbosity.

    A subclass defines ``_init_weight(self, desc, arr)`` and passes its
    constructor arguments to ``super().__init__(**kwargs)``, so that
    ``dumps()`` and ``==`` know them; register it with ``@register`` to make
    it available by name (``init='myinit'``).

    Parameters
    ----------
    **kwargs
        The constructor arguments, kept for ``dumps()`` and comparison.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.initializer
    >>> @mx.initializer.register
    ... class Halves(mx.initializer.Initializer):
    ...     def _init_weight(self, desc, arr):
    ...         arr[:] = 0.5
    >>> w = mx.nd.zeros((2,))
    >>> mx.initializer.create('halves')(mx.initializer.InitDesc('fc_weight'), w)
    >>> w.asnumpy()
    array([0.5, 0.5], dtype=float32)
    """

    def __init__(self, **kwargs):
        self._kwargs = kwargs
        self._verbose = False
        self._print_func = None

    def set_verbosity(self, verbose=False, print_func=None):
        """Log a statistic of every array this initializer fills (at INFO level).

        Parameters
        ----------
        verbose : bool
            Switch the logging on or off.
        print_func : callable, optional
            ``print_func(arr) -> str``; by default ``norm(arr) / sqrt(arr.size)``.

        Returns
        -------
        Initializer
            ``self``, so that calls chain.

        Examples
        --------
        >>> import mxlearn.initializer as init
        >>> init.One().set_verbosity(True)._verbose
        True
        """
        self._verbose = verbose
        self._print_func = print_func or _norm_per_element
        return self

    def _verbose_print(self, desc, how, arr):
        if self._verbose and self._print_func:
            logging.info('Initialized %s as %s: %s', desc, how, self._print_func(arr))

    def dumps(self):
        """The initializer as JSON, ``[name, kwargs]``; ``create`` reads it back.

        Returns
        -------
        str

        Examples
        --------
        >>> import mxlearn.initializer as init
        >>> init.Normal(0.5).dumps()
        '["normal", {"sigma": 0.5}]'
        >>> init.create(init.Normal(0.5).dumps()) == init.Normal(0.5)
        True
        """
        return json.dumps([type(self).__name__.lower(), self._kwargs])

    def __eq__(self, other):
        if not isinstance(other, Initializer):
            return NotImplemented
        return type(self) is type(other) and self._kwargs == other._kwargs

    def __repr__(self):
        args = ', '.join('%s=%r' % kv for kv in self._kwargs.items())
        return '%s(%s)' % (type(self).__name__, args)

    def __call__(self, desc, arr):
        """Fill ``arr`` in place, as the rules for ``desc`` say (see the module docstring)."""
        _check_array(arr)
        if not isinstance(desc, InitDesc):
            self._legacy_init(desc, arr)
            return
        if desc.global_init is None:
            desc.global_init = self
        chosen = desc.attrs.get('__init__', '')
        if chosen:
            create(chosen)._init_weight(desc, arr)
            self._verbose_print(desc, chosen, arr)
            return
        for suffix, method in (('weight', self._init_weight), ('bias', self._init_bias),
                               ('gamma', self._init_gamma), ('beta', self._init_beta),
                               ('min', self._init_zero), ('max', self._init_one)):
            if desc.endswith(suffix):
                method(desc, arr)
                self._verbose_print(desc, suffix, arr)
                return
        self._init_default(desc, arr)

    def _legacy_init(self, name, arr):
        warnings.warn('calling an initializer with a plain name string is deprecated; '
                      'pass mx.init.InitDesc(name) instead', DeprecationWarning, stacklevel=3)
        if not isinstance(name, str):
            raise MXNetError('the name of the array to initialize must be a str or an '
                             'InitDesc, got %s' % type(name).__name__)
        if name.startswith('upsampling'):
            self._init_bilinear(name, arr)
        elif name.startswith('stn_loc') and name.endswith('weight'):
            self._init_zero(name, arr)
        elif name.startswith('stn_loc') and name.endswith('bias'):
            self._init_loc_bias(name, arr)
        else:
            for suffix, method in (
                    ('bias', self._init_bias), ('gamma', self._init_gamma),
                    ('beta', self._init_beta), ('weight', self._init_weight),
                    ('moving_mean', self._init_zero), ('moving_var', self._init_one),
                    ('moving_inv_var', self._init_zero), ('moving_avg', self._init_zero),
                    ('min', self._init_zero), ('max', self._init_one)):
                if name.endswith(suffix):
                    method(name, arr)
                    return
            self._init_default(name, arr)

    def _init_bilinear(self, _, arr):
        arr[:] = bilinear_kernel(arr.shape)

    def _init_loc_bias(self, name, arr):
        # The identity affine transform of a spatial transformer's localisation net.
        if arr.shape != (6,):
            raise MXNetError('%s: a spatial-transformer location bias has shape (6,), got %s'
                             % (name, arr.shape))
        arr[:] = numpy.array([1.0, 0, 0, 0, 1.0, 0])

    def _init_zero(self, _, arr):
        arr[:] = 0.0

    def _init_one(self, _, arr):
        arr[:] = 1.0

    def _init_bias(self, _, arr):
        arr[:] = 0.0

    def _init_gamma(self, _, arr):
        arr[:] = 1.0

    def _init_beta(self, _, arr):
        arr[:] = 0.0

    def _init_weight(self, desc, arr):
        raise NotImplementedError('%s must define _init_weight(desc, arr)' % type(self).__name__)

    def _init_default(self, name, _):
        raise MXNetError(
            'Unknown initialization pattern for %s. Default initialization is limited to '
            'names ending in "weight", "bias" (0), "gamma" (1), "beta" (0), "min" (0) and '
            '"max" (1); give this array its own initializer (Parameter(init=...), '
            'mx.sym.Variable(init=...) or InitDesc(name, {"__init__": ...}))' % name)


_REGISTRY = {}


def _register(klass, name):
    return register_class(_REGISTRY, klass, name, Initializer, 'initializer',
                          'mx.init.Initializer')


def register(klass):
    """Class decorator: make an Initializer subclass available by its lowercase name.

    Parameters
    ----------
    klass : type
        A subclass of ``Initializer``.

    Returns
    -------
    type
        ``klass``, unchanged.

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.initializer
    >>> @mx.initializer.register
    ... class Sevens(mx.initializer.Initializer):
    ...     def _init_weight(self, desc, arr):
    ...         arr[:] = 7
    >>> mx.initializer.create('sevens')
    Sevens()
    """
    return _register(klass, klass.__name__)


def alias(*aliases):
    """Class decorator: register an Initializer subclass under extra names too.

    Parameters
    ----------
    *aliases : str
        The extra names.

    Returns
    -------
    callable
        The decorator.

    Examples
    --------
    >>> import mxlearn.initializer as init
    >>> init.create('zeros') == init.Zero()
    True
    """
    def decorate(klass):
        for name in aliases:
            _register(klass, name)
        return klass
    return decorate


def create(*args, **kwargs):
    """An initializer from a name, a ``dumps()`` string, a config dict or an instance.

    Parameters
    ----------
    initializer : str, dict or Initializer
        A registered name (any case: ``'xavier'``, ``'zeros'``), the JSON of
        ``dumps()``, a dict with an ``'initializer'`` key and the constructor
        arguments, or an instance (returned as it is).
    *args, **kwargs
        Constructor arguments, with a name.

    Returns
    -------
    Initializer

    Examples
    --------
    >>> import mxlearn.initializer as init
    >>> init.create('Xavier', magnitude=2)
    Xavier(rnd_type='uniform', factor_type='avg', magnitude=2)
    >>> init.create('["constant", {"value": 3}]')
    Constant(value=3)
    """
    if args:
        spec, args = args[0], args[1:]
    elif 'initializer' in kwargs:
        spec = kwargs.pop('initializer',
                          'mx.init.Initializer')
    else:
        raise MXNetError('create() needs an initializer: a name, a JSON string or an instance')
    if isinstance(spec, Initializer):
        if args or kwargs:
            raise MXNetError('%r is already an initializer; create() takes no further '
                             'arguments with it' % (spec,))
        return spec
    if isinstance(spec, dict):
        return create(*args, **spec, **kwargs)
    if not isinstance(spec, str):
        raise MXNetError('an initializer is given as a name, JSON string, dict or '
                         'Initializer, got %s' % type(spec).__name__)
    if spec.startswith('[') or spec.startswith('{'):
        if args or kwargs:
            raise MXNetError('create(%r) takes no further arguments' % (spec,))
        config = json.loads(spec)
        return create(**config) if isinstance(config, dict) else create(config[0], **config[1])
    klass = _REGISTRY.get(spec.lower())
    if klass is None:
        raise MXNetError('unknown initializer %r; the registered ones are %s (register a '
                         'custom one with @mx.init.register)'
                         % (spec, ', '.join(sorted(_REGISTRY))))
    return klass(*args, **kwargs)
