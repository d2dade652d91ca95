"""The symbolic executor: run a Symbol's forward and backward graph on bound arrays.

- :class:`Executor` (``executor.py``): what ``Symbol.bind`` and
  ``Symbol.simple_bind`` return, with MXNet 1.x's API.
- :class:`GraphProgram` (``program.py``): the stateless core, a training graph
  compiled into steps; ``run_forward(values, is_train) -> (outputs, state)``
  and ``run_backward(state, head_grads) -> {name: gradient}``.
- ``backward_graph.py``: the training graph (forward and gradients) of a
  Symbol, traced from the operators' gradient rules.
- ``from_tape.py``: an autograd recording as a Symbol (``autograd.get_symbol``).
"""
from .executor import Executor
from .program import GraphProgram

__all__ = ['Executor', 'GraphProgram']
