"""``mx.model``: checkpoints of a symbolic model, and how Module talks to a KVStore.

A checkpoint is two files, as MXNet writes them:

- ``<prefix>-symbol.json``: the graph (``Symbol.save``);
- ``<prefix>-<epoch:04d>.params``: the parameters in MXNet's NDArray format,
  a dict whose keys say what each array is, ``arg:<name>`` for arguments
  (weights, biases) and ``aux:<name>`` for auxiliary states (BatchNorm's
  moving statistics).

``Module.save_checkpoint(..., save_optimizer_states=True)`` adds
``<prefix>-<epoch:04d>.states``, the optimizer's state (momentum, moments)
as pickled by ``Updater.get_states``. Each file is written atomically: a
reader sees the old file or the new one, never half of one.

Examples
--------
>>> import os, tempfile
>>> import mxlearn as mx
>>> from mxlearn import model
>>> net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2, name='fc')
>>> prefix = os.path.join(tempfile.mkdtemp(), 'net')
>>> model.save_checkpoint(prefix, 3, net, {'fc_weight': mx.nd.ones((2, 4)),
...                                        'fc_bias': mx.nd.zeros(2)}, {})
>>> sorted(os.listdir(os.path.dirname(prefix)))
['net-0003.params', 'net-symbol.json']
>>> symbol, arg_params, aux_params = model.load_checkpoint(prefix, 3)
>>> symbol.list_arguments(), sorted(arg_params), aux_params
(['data', 'fc_weight', 'fc_bias'], ['fc_bias', 'fc_weight'], {})
"""
import logging

from . import ndarray as nd
from . import symbol as sym
from .base import MXNetError
from .callback import BatchEndParam
from .context import cpu
# MXNet keeps this rule here; mxlearn shares it with Gluon's Trainer from mx.kv.
from .kvstore import _create_kvstore  # noqa: F401

__all__ = ['BatchEndParam', 'save_checkpoint', 'load_checkpoint', 'load_params']


def save_checkpoint(prefix, epoch, symbol, arg_params, aux_params, remove_amp_cast=True):
    """Write ``prefix-symbol.json`` and ``prefix-%04d.params`` (see the module docstring).

    Parameters
    ----------
    prefix : str
        Path and name stem of the files.
    epoch : int
        The epoch number in the parameter file's name.
    symbol : Symbol or None
        The graph; None writes the parameters only.
    arg_params, aux_params : dict of str to NDArray
        The arguments and auxiliary states, on any device.
    remove_amp_cast : bool, default True
        MXNet drops its mixed-precision cast nodes before saving; mxlearn
        graphs have none, so the graph is saved as it is.

    Examples
    --------
    >>> import os, tempfile
    >>> import mxlearn as mx
    >>> prefix = os.path.join(tempfile.mkdtemp(), 'm')
    >>> mx.model.save_checkpoint(prefix, 0, None, {'w': mx.nd.ones(2)}, {})
    >>> sorted(mx.nd.load(prefix + '-0000.params'))
    ['arg:w']
    """
    if symbol is not None:
        symbol.save('%s-symbol.json' % prefix)
    fname = '%s-%04d.params' % (prefix, epoch)
    nd.save(fname, _join_params(arg_params, aux_params))
    logging.info('Saved checkpoint to "%s"', fname)


def _join_params(arg_params, aux_params):
    """One dict of CPU arrays keyed ``arg:<name>`` / ``aux:<name>``, as saved in a file."""
    arrays = {'arg:%s' % k: v.as_in_context(cpu()) for k, v in arg_params.items()}
    arrays.update({'aux:%s' % k: v.as_in_context(cpu()) for k, v in aux_params.items()})
    return arrays


def _split_params(arrays, source):
    """``(arg_params, aux_params)`` from a dict keyed ``arg:<name>`` / ``aux:<name>``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> from mxlearn.model import _split_params
    >>> _split_params({'arg:w': mx.nd.ones(1), 'aux:m': mx.nd.zeros(1)}, 'x')[1].keys()
    dict_keys(['m'])
    """
    if isinstance(arrays, list):
        if arrays:
            raise MXNetError('%s holds a list of unnamed arrays; a parameter file has names '
                             'of the form arg:<name> or aux:<name>' % source)
        arrays = {}
    arg_params, aux_params = {}, {}
    for key, value in arrays.items():
        kind, _, name = key.partition(':')
        if kind == 'arg' and name:
            arg_params[name] = value
        elif kind == 'aux' and name:
            aux_params[name] = value
        else:
            raise MXNetError('%s: array name %r is not of the form arg:<name> or aux:<name> '
                             '(is this a Gluon .params file? load it with '
                             'Block.load_parameters)' % (source, key))
    return arg_params, aux_params


def load_params(prefix, epoch):
    """The ``(arg_params, aux_params)`` of ``prefix-%04d.params``.

    Examples
    --------
    >>> import os, tempfile
    >>> import mxlearn as mx
    >>> prefix = os.path.join(tempfile.mkdtemp(), 'm')
    >>> mx.model.save_checkpoint(prefix, 7, None, {'w': mx.nd.ones(2)}, {'s': mx.nd.zeros(1)})
    >>> args, auxs = mx.model.load_params(prefix, 7)
    >>> args['w'].asnumpy(), list(auxs)
    (array([1., 1.], dtype=float32), ['s'])
    """
    fname = '%s-%04d.params' % (prefix, epoch)
    arrays = nd.load(fname)
    if not arrays:
        logging.warning("Params file '%s' is empty", fname)
    return _split_params(arrays, fname)


def load_checkpoint(prefix, epoch):
    """``(symbol, arg_params, aux_params)`` of a checkpoint (see the module docstring).

    Examples
    --------
    >>> import os, tempfile
    >>> import mxlearn as mx
    >>> prefix = os.path.join(tempfile.mkdtemp(), 'm')
    >>> net = mx.sym.relu(mx.sym.var('data'), name='r')
    >>> mx.model.save_checkpoint(prefix, 1, net, {}, {})
    >>> mx.model.load_checkpoint(prefix, 1)[0].list_outputs()
    ['r_output']
    """
    symbol = sym.load('%s-symbol.json' % prefix)
    arg_params, aux_params = load_params(prefix, epoch)
    return symbol, arg_params, aux_params


# --- how Module updates through a KVStore, as in MXNet -----------------------

def _initialize_kvstore(kvstore, param_arrays, arg_params, param_names, update_on_kvstore):
    """Give the KVStore every parameter's first value (and the devices its copy)."""
    for name, on_devices in zip(param_names, param_arrays):
        if update_on_kvstore:
            kvstore.broadcast(name, arg_params[name], out=on_devices)
        else:
            kvstore.init(name, arg_params[name])


def _update_params_on_kvstore(param_arrays, grad_arrays, kvstore, param_names):
    """Push every gradient to the KVStore, which updates; pull the new weights back."""
    for index, (name, weights, grads) in enumerate(zip(param_names, param_arrays, grad_arrays)):
        if grads[0] is not None:
            kvstore.pushpull(name, grads, out=weights, priority=-index)


def _update_params(param_arrays, grad_arrays, updater, num_device, kvstore=None,
                  param_names=None):
    """Update the weights on every device with ``updater``.

    With a KVStore the gradients of all devices are summed first (pushpull
    in place). Each device's copy of parameter ``i`` is updated under index
    ``i * num_device + k``, so that every copy has its own optimizer state.
    The Updater gets one call per device with all its parameters, so an
    optimizer that aggregates updates (SGD) can run several in one step.
    """
    per_device = [([], [], []) for _ in range(num_device)]
    for i, (weights, grads) in enumerate(zip(param_arrays, grad_arrays)):
        if grads[0] is None:
            continue
        if kvstore:
            kvstore.pushpull(param_names[i], grads, priority=-i)
        for k, (w, g) in enumerate(zip(weights, grads)):
            indices, gs, ws = per_device[k]
            indices.append(i * num_device + k)
            gs.append(g)
            ws.append(w)
    for indices, grads, weights in per_device:
        if indices:
            updater(indices, grads, weights)
