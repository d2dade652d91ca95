"""``mx.widgets``: ipywidgets + matplotlib views of what happens inside mxlearn.

Every widget is a :class:`FigureWidget`: controls (sliders, dropdowns) above a
matplotlib picture that redraws when they change, and a static copy of the
picture in the notebook output, so that a notebook read without a kernel
(GitHub, nbviewer, nbval) still shows it.

* :class:`TapeView` draws an autograd recording with every node's value and
  gradient, and replays the backward pass step by step;
* :class:`ActivationExplorer` and :class:`LossExplorer` plot a function and its
  derivative computed by autograd;
* :class:`BroadcastView` draws how two shapes broadcast.

The shared pieces for new widgets: :mod:`.base` (the figure widget),
:mod:`.controls` (sliders, dropdowns, a shape input), :mod:`.dag` (a layered
graph layout drawn with matplotlib) and :mod:`.curves` (a function explorer).
"""
from .activations import ACTIVATIONS, ActivationExplorer
from .base import DPI, FigureWidget, short_value
from .broadcast import BroadcastView
from .curves import Curve, CurveExplorer
from .losses import LOSSES, LossExplorer
from .tape import TapeView, replay_backward, walk_tape

__all__ = ['FigureWidget', 'TapeView', 'ActivationExplorer', 'LossExplorer', 'BroadcastView',
           'Curve', 'CurveExplorer', 'ACTIVATIONS', 'LOSSES', 'replay_backward', 'walk_tape',
           'short_value', 'DPI']
from .optimizer_playground import OptimizerPlayground
from .dashboard import TrainingDashboard
from .graph import GraphView

__all__ += ['OptimizerPlayground', 'TrainingDashboard', 'GraphView']
from .kvstore import KVStoreTimeline

__all__ += ['KVStoreTimeline']
