"""``mx.optimizer``: the update rules that train a model, as in MXNet 1.x.

``Optimizer`` is the base class (learning rate and its schedule, weight
decay, gradient rescaling and clipping, per-parameter multipliers, step
counting); ``register``/``create`` look optimizers up by name; ``Updater``
applies one to parameters by index and keeps their states.

The optimizers, by family:

- gradient descent: ``SGD`` (momentum), ``NAG``, ``Signum``, ``SGLD``, ``DCASGD``
  (``mxlearn.optimizer.sgd``);
- per-coordinate step sizes: ``Adam``, ``Adamax``, ``Nadam``, ``AdaGrad``,
  ``AdaDelta``, ``RMSProp``, ``FTML``, ``Ftrl`` (``mxlearn.optimizer.adaptive``);
- layer-wise trust ratios: ``LAMB``, ``LARS`` (``mxlearn.optimizer.layerwise``).

Where MXNet uses a fused update operator (``sgd_mom_update``,
``adam_update``, ``rmsprop_update``, ...), so do these, in place on the weight
(see ``mxlearn.operator.optimizer_updates``).

Examples
--------
>>> import mxlearn as mx
>>> import mxlearn.optimizer
>>> sorted(mx.optimizer.Optimizer.opt_registry)[:4]
['adadelta', 'adagrad', 'adam', 'adamax']
"""
from .optimizer import Optimizer, Updater, create, get_updater, register
from .sgd import DCASGD, NAG, SGD, SGLD, Signum
from .adaptive import FTML, AdaDelta, AdaGrad, Adam, Adamax, Ftrl, Nadam, RMSProp
from .layerwise import LAMB, LARS

__all__ = ['Optimizer', 'Updater', 'create', 'get_updater', 'register',
           'SGD', 'NAG', 'Signum', 'SGLD', 'DCASGD',
           'Adam', 'Adamax', 'Nadam', 'AdaGrad', 'AdaDelta', 'RMSProp', 'FTML', 'Ftrl',
           'LAMB', 'LARS']
