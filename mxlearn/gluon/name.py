"""Automatic names: the counters behind ``dense0_``, ``dense1_``, ``conv0_``, ...

A Block created outside any ``name_scope`` asks the current ``NameManager``
for a name from its hint (the class name in lower case): the first Dense is
``dense0``, the next ``dense1``, and so on, per thread. Inside a parent's
``with self.name_scope():`` the parent counts its own children instead (see
``mxlearn.gluon.block``), so a model built twice gets the same inner names.

``with NameManager():`` starts fresh counters for the code inside it;
``with Prefix('net_'):`` also puts a prefix in front of every name handed
out (the symbolic API names its nodes through the same managers).

Examples
--------
>>> from mxlearn.gluon.name import NameManager, Prefix
>>> with NameManager() as names:
...     names.get(None, 'dense'), names.get(None, 'dense'), names.get('fc', 'dense')
('dense0', 'dense1', 'fc')
>>> with Prefix('net_') as names:
...     names.get(None, 'conv')
'net_conv0'
"""
import threading

__all__ = ['NameManager', 'Prefix', 'current']

_state = threading.local()


def current():
    """The NameManager in charge on this thread (created on first use).

    Examples
    --------
    >>> from mxlearn.gluon.name import current, NameManager
    >>> isinstance(current(), NameManager)
    True
    """
    manager = getattr(_state, 'manager', None)
    if manager is None:
        manager = _state.manager = NameManager()
    return manager


class NameManager:
    """Hands out names: the given name, or the hint followed by a per-hint count.

    Use it as a context manager to run code with fresh counters; the previous
    manager (and its counts) comes back on exit.

    Examples
    --------
    >>> from mxlearn.gluon.name import NameManager
    >>> names = NameManager()
    >>> [names.get(None, 'pool') for _ in range(2)]
    ['pool0', 'pool1']
    """

    def __init__(self):
        self._counter = {}
        self._old_manager = None

    def get(self, name, hint):
        """The canonical name: ``name`` if given, else ``hint`` and its next count.

        Parameters
        ----------
        name : str or None
            A name chosen by the user; it is returned unchanged.
        hint : str
            What the object is (``'dense'``), used to make a name.

        Returns
        -------
        str

        Examples
        --------
        >>> from mxlearn.gluon.name import NameManager
        >>> NameManager().get(None, 'conv')
        'conv0'
        """
        if name:
            return name
        count = self._counter.get(hint, 0)
        self._counter[hint] = count + 1
        return '%s%d' % (hint, count)

    def __enter__(self):
        self._old_manager = current()
        _state.manager = self
        return self

    def __exit__(self, ptype, value, trace):
        _state.manager = self._old_manager
        self._old_manager = None


class Prefix(NameManager):
    """A NameManager that puts ``prefix`` in front of every name it hands out.

    Parameters
    ----------
    prefix : str

    Examples
    --------
    >>> from mxlearn.gluon.name import Prefix
    >>> Prefix('mynet_').get('fc1', 'fullyconnected')
    'mynet_fc1'
    """

    def __init__(self, prefix):
        super().__init__()
        self._prefix = prefix

    def get(self, name, hint):
        return self._prefix + super().get(name, hint)
