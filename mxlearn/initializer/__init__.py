"""``mx.init`` (also ``mx.initializer``): how parameters get their first values.

An initializer fills an NDArray in place when called as ``init(desc, arr)``.
``desc`` is an ``InitDesc``: the parameter's name, with attributes. The rules,
as in MXNet 1.x:

- ``desc.attrs['__init__']`` (set by Gluon for every Parameter, and by
  ``mx.sym.Variable(init=...)``) names the initializer that fills the array,
  whatever its name;
- otherwise the name's ending decides: ``*weight`` gets the initializer's own
  rule (Xavier, Normal, ...), ``*bias`` and ``*beta`` 0, ``*gamma`` 1,
  ``*min`` 0, ``*max`` 1, and anything else is an error that says so.

Initializers are registered by lowercase class name (``create('xavier')``,
``init='normal'`` in Gluon) and serialize with ``dumps()``; subclass
``Initializer``, define ``_init_weight`` and decorate with ``@register`` for a
custom one. Random initializers draw from ``mx.random`` on the array's device,
so ``mx.random.seed`` makes them reproducible.

Modules: ``base`` (the dispatch and the registry), ``fill`` (fixed values),
``sampled`` (random ones), ``composite`` (``Mixed`` and ``Load``).

Examples
--------
>>> import mxlearn as mx
>>> import mxlearn.initializer
>>> w, b = mx.nd.zeros((2, 3)), mx.nd.ones((2,))
>>> init = mx.initializer.Constant(0.5)
>>> init(mx.initializer.InitDesc('fc_weight'), w)
>>> init(mx.initializer.InitDesc('fc_bias'), b)
>>> w.asnumpy()[0].tolist(), b.asnumpy().tolist()
([0.5, 0.5, 0.5], [0.0, 0.0])
"""
from .base import InitDesc, Initializer, alias, create, register
from .fill import Bilinear, Constant, LSTMBias, One, Zero
from .sampled import MSRAPrelu, Normal, Orthogonal, Uniform, Xavier
from .composite import Load, Mixed

__all__ = ['InitDesc', 'Initializer', 'register', 'alias', 'create',
           'Zero', 'One', 'Constant', 'Bilinear', 'LSTMBias',
           'Uniform', 'Normal', 'Xavier', 'MSRAPrelu', 'Orthogonal',
           'Mixed', 'Load']
