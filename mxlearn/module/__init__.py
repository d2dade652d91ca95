"""``mx.mod`` (also ``mx.module``): train a Symbol batch by batch, MXNet 1.x's Module API.

- ``BaseModule``: the loops (``fit``, ``score``, ``predict``, ``iter_predict``);
- ``Module``: a Symbol with its executors, parameters and optimizer;
- ``DataParallelExecutorGroup`` (in ``executor_group``): one executor per
  device, each on its slice of the batch.

Examples
--------
>>> import mxlearn as mx
>>> from mxlearn import module
>>> net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=3,
...                                                  name='fc'), name='softmax')
>>> mod = module.Module(net)
>>> mod.data_names, mod.label_names, mod.output_names
(['data'], ['softmax_label'], ['softmax_output'])
"""
from .base_module import BaseModule
from .module import Module

__all__ = ['BaseModule', 'Module']
