"""``mx.AttrScope``: attributes given to every symbol created inside a ``with`` block.

MXNet uses scoped attributes for model parallelism (``ctx_group``) and for
notes of the user's own. A few keys are *hidden*: MXNet stores them as
``__key__`` (``lr_mult`` becomes ``__lr_mult__``) and lists them under both
names; :func:`hidden_key` and :func:`listed` do that mapping for ``mx.sym``.

Examples
--------
>>> import mxlearn as mx
>>> from mxlearn.attribute import AttrScope
>>> with AttrScope(ctx_group='dev1'):
...     x = mx.sym.var('x')
>>> x.attr('ctx_group'), x.attr('__ctx_group__')
('dev1', 'dev1')
"""
import threading

from .base import MXNetError

__all__ = ['AttrScope']

HIDDEN_KEYS = ('ctx_group', 'lr_mult', 'wd_mult', 'force_mirroring', 'mirror_stage',
               'profiler_scope')

_state = threading.local()


def hidden_key(key):
    """The key under which an attribute is stored: ``__key__`` for the hidden keys.

    Examples
    --------
    >>> hidden_key('lr_mult'), hidden_key('mood')
    ('__lr_mult__', 'mood')
    """
    return '__%s__' % key if key in HIDDEN_KEYS else key


def listed(attrs):
    """``attrs`` as MXNet lists them: each hidden ``__key__`` also under ``key``.

    Examples
    --------
    >>> listed({'__lr_mult__': '2', '__shape__': '(2,)'})
    {'__lr_mult__': '2', 'lr_mult': '2', '__shape__': '(2,)'}
    """
    out = {}
    for key, value in attrs.items():
        out[key] = value
        if key.startswith('__') and key.endswith('__') and key[2:-2] in HIDDEN_KEYS:
            out[key[2:-2]] = value
    return out


def check_strings(attrs, what):
    """``attrs`` with hidden keys mapped, after checking every value is a str.

    Examples
    --------
    >>> check_strings({'ctx_group': 'a'}, 'attr')
    {'__ctx_group__': 'a'}
    """
    out = {}
    for key, value in (attrs or {}).items():
        if not isinstance(value, str):
            raise MXNetError('%s: attribute values must be strings; %r is %r'
                             % (what, key, value))
        out[hidden_key(key)] = value
    return out


class AttrScope:
    """Attributes for the symbols created in a ``with`` block (scopes nest).

    Parameters
    ----------
    **kwargs : str
        The attributes, with string values.

    Examples
    --------
    >>> import mxlearn as mx
    >>> with AttrScope(group='a'):
    ...     with AttrScope(stage='1'):
    ...         y = mx.sym.relu(mx.sym.var('x'), name='r')
    >>> sorted(y.list_attr().items())
    [('group', 'a'), ('stage', '1')]
    """

    def __init__(self, **kwargs):
        self._attr = check_strings(kwargs, 'AttrScope')
        self._old = None

    def get(self, attr):
        """The scope's attributes updated with ``attr`` (a dict, or None).

        Examples
        --------
        >>> AttrScope(a='1').get({'b': '2'})
        {'a': '1', 'b': '2'}
        """
        if not self._attr:
            return dict(attr) if attr else {}
        out = dict(self._attr)
        out.update(attr or {})
        return out

    def __enter__(self):
        self._old = current()
        merged = dict(self._old._attr)
        merged.update(self._attr)
        self._attr = merged
        _state.scope = self
        return self

    def __exit__(self, *exc):
        _state.scope = self._old


def current():
    """The AttrScope in force on this thread (an empty one outside any ``with``).

    Examples
    --------
    >>> current().get(None)
    {}
    """
    scope = getattr(_state, 'scope', None)
    if scope is None:
        scope = _state.scope = AttrScope()
    return scope
