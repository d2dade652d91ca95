"""``mx.gluon``: Blocks, Parameters, layers, losses, the Trainer and data loading."""
from .parameter import Parameter, Constant, ParameterDict, DeferredInitializationError
from .block import Block, HybridBlock
from .symbol_block import SymbolBlock
from .trainer import Trainer
from . import nn, loss, data, utils, name
