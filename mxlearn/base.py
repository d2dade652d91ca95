"""Errors and small shared definitions used by every layer of mxlearn."""


class MXNetError(Exception):
    """The error mxlearn raises for invalid use of its API.

    Messages name the operator, the shapes and dtypes of its inputs and what was
    expected, so that a learner can fix the calling line without a debugger.

    Examples
    --------
    >>> import mxlearn as mx
    >>> try:
    ...     mx.nd.ones((2, 3)) + mx.nd.ones((4, 5))
    ... except mx.MXNetError as e:
    ...     print(type(e).__name__)
    MXNetError
    """


def register_class(registry, klass, name, base, kind, base_label):
    """Put ``klass`` (a subclass of ``base``) into ``registry`` under ``name.lower()``.

    The one lookup-by-name scheme of ``mx.init.register`` and
    ``mx.metric.register``: registering a different class under a taken name
    replaces it with a warning.

    Examples
    --------
    >>> registry = {}
    >>> register_class(registry, ValueError, 'Bad', Exception, 'error', 'Exception').__name__
    'ValueError'
    >>> sorted(registry)
    ['bad']
    """
    import warnings
    if not (isinstance(klass, type) and issubclass(klass, base)):
        raise MXNetError('only subclasses of %s can be registered, got %r'
                         % (base_label, klass))
    name = name.lower()
    previous = registry.get(name)
    if previous is not None and previous is not klass:
        warnings.warn('%s %r: %s.%s replaces %s.%s' % (
            kind, name, klass.__module__, klass.__name__, previous.__module__,
            previous.__name__), UserWarning, stacklevel=4)
    registry[name] = klass
    return klass
