"""``gluon.nn``: the neural-network layers.

Containers (Sequential, HybridSequential, Lambda, HybridLambda), basic
layers (Dense, Dropout, the normalizations, Embedding, Flatten), convolution
and pooling layers, and activation layers. Each is a Block whose Parameters
are named from its prefix (``dense0_weight``, ``conv0_bias``,
``batchnorm0_running_mean``).
"""
from .activations import *  # noqa: F401,F403
from .basic_layers import *  # noqa: F401,F403
from .conv_layers import *  # noqa: F401,F403
from .sequential import *  # noqa: F401,F403
from . import activations, basic_layers, conv_layers, sequential
# MXNet exports the block classes here too: ``class Net(nn.HybridBlock)``.
from ..block import Block, HybridBlock
from ..symbol_block import SymbolBlock

__all__ = (activations.__all__ + basic_layers.__all__ + conv_layers.__all__
           + sequential.__all__ + ['Block', 'HybridBlock', 'SymbolBlock'])
