"""The default batchify function: a list of samples becomes one batch.

- NDArray samples are stacked along a new first axis (on their context);
- tuple samples give a list with one batch per position, built recursively;
- anything else (numpy arrays, numbers) goes through ``numpy.asarray`` and
  becomes an NDArray of the dtype numpy chose: numpy int32 labels stay int32,
  Python ints become int64 and Python floats float64, as in MXNet.

Examples
--------
>>> import mxlearn as mx
>>> from mxlearn.gluon.data.batchify import default_batchify_fn
>>> x, y = default_batchify_fn([(mx.nd.ones((2,)), 0), (mx.nd.zeros((2,)), 1)])
>>> x.shape, y.dtype.__name__
((2, 2), 'int64')
"""
import numpy as np

from ..._ext.core import NDArrayBase, new_ndarray
from ...base import MXNetError
from ...ndarray.ndarray import array

__all__ = ['default_batchify_fn', 'default_mp_batchify_fn', 'make_batch']


def default_batchify_fn(data):
    """Collate a list of samples into a batch (see the module docstring).

    Parameters
    ----------
    data : list
        Samples, all of the same kind and shape.

    Returns
    -------
    NDArray or list
        One NDArray, or a (nested) list of them for tuple samples.

    Raises
    ------
    MXNetError
        If the samples differ in shape, with the shapes found.

    Examples
    --------
    >>> import numpy as np
    >>> default_batchify_fn([np.array([1, 2], dtype='int32'), np.array([3, 4], dtype='int32')])
    <BLANKLINE>
    [[1 2]
     [3 4]]
    <NDArray 2x2 @cpu(0)>
    """
    first = data[0]
    if isinstance(first, NDArrayBase):
        ctx = first.context
        try:
            stacked = ctx.xp.stack([d._data for d in data])
        except ValueError:
            raise MXNetError(_shape_message(data)) from None
        return new_ndarray(stacked, ctx)
    if isinstance(first, tuple):
        return [default_batchify_fn(list(field)) for field in zip(*data)]
    try:
        batch = np.asarray(data)
    except ValueError:
        raise MXNetError(_shape_message(data)) from None
    return array(batch, dtype=batch.dtype)


# MXNet stacks into shared memory in worker processes; here the workers send
# their batches back through a pipe, so both are the same function.
default_mp_batchify_fn = default_batchify_fn


def make_batch(dataset, indices, batchify_fn=None):
    """The batch of the samples ``indices`` of ``dataset``.

    With the default batchify function (``None`` or ``default_batchify_fn``)
    the dataset's ``_fetch_batch`` fast path is tried first (see
    ``mxlearn.gluon.data.dataset``); otherwise, and when it declines, the
    samples are read one by one and batchified.

    Examples
    --------
    >>> import numpy as np
    >>> from mxlearn.gluon.data import ArrayDataset
    >>> make_batch(ArrayDataset(np.arange(5)), [4, 0]).asnumpy().tolist()
    [4, 0]
    """
    if batchify_fn is None or batchify_fn is default_batchify_fn:
        from .dataset import fetch_batch
        batch = fetch_batch(dataset, indices)
        if batch is not NotImplemented:
            return batch
        batchify_fn = default_batchify_fn
    return batchify_fn([dataset[i] for i in indices])


def _shape_message(data):
    shapes = sorted({tuple(np.shape(d)) for d in data})
    return ('default_batchify_fn: cannot stack samples of different shapes %s into a '
            'batch; resize them to one shape in a transform (e.g. transforms.Resize), '
            'or pass a batchify_fn that pads them' % ', '.join(map(str, shapes[:4])))
