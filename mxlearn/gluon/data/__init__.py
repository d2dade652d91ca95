"""``mx.gluon.data``: datasets, samplers and the DataLoader that batches them.

A ``Dataset`` gives samples by index; a ``Sampler`` gives the order of the
indices; the ``DataLoader`` groups them into batches, builds each batch
(here or in worker processes) and stacks it into NDArrays.
``mx.gluon.data.vision`` has the image datasets (MNIST, Fashion-MNIST,
CIFAR) and transforms.

Examples
--------
>>> import numpy as np
>>> from mxlearn.gluon import data
>>> ds = data.ArrayDataset(np.zeros((6, 2), 'float32'), np.arange(6))
>>> [y.asnumpy().tolist() for _, y in data.DataLoader(ds, batch_size=4)]
[[0, 1, 2, 3], [4, 5]]
"""
from .dataset import ArrayDataset, Dataset, SimpleDataset
from .sampler import BatchSampler, FilterSampler, RandomSampler, Sampler, SequentialSampler
from .dataloader import DataLoader
from . import batchify, dataloader, dataset, sampler, vision

__all__ = ['ArrayDataset', 'BatchSampler', 'DataLoader', 'Dataset', 'FilterSampler',
           'RandomSampler', 'Sampler', 'SequentialSampler', 'SimpleDataset', 'vision']
