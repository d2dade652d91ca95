"""``mx.gluon.data.vision``: image datasets and transforms.

Examples
--------
>>> from mxlearn.gluon.data import vision
>>> vision.transforms.ToTensor()
ToTensor()
"""
from .datasets import CIFAR10, CIFAR100, MNIST, FashionMNIST, ImageFolderDataset
from . import datasets, transforms

__all__ = ['MNIST', 'FashionMNIST', 'CIFAR10', 'CIFAR100', 'ImageFolderDataset', 'datasets',
           'transforms']
