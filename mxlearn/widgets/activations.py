"""The activation functions of MXNet, plotted with their derivatives."""
import math

from .. import ndarray as nd
from .curves import Curve, CurveExplorer

#: Activation name (MXNet's ``act_type`` names) -> :class:`~mxlearn.widgets.curves.Curve`,
#: each written with elementwise ``mx.nd`` operations.
ACTIVATIONS = {
    'relu': Curve(nd.relu, r'$\max(0,\ x)$'),
    'sigmoid': Curve(nd.sigmoid, r'$1 / (1 + e^{-x})$'),
    'tanh': Curve(nd.tanh, r'$\tanh(x)$'),
    'softrelu': Curve(lambda x: nd.log1p(nd.exp(x)), r'$\log(1 + e^{x})$'),
    'softsign': Curve(nd.softsign, r'$x / (1 + |x|)$'),
    # max(x, slope x) for slope <= 1, written so that autograd sees two relus
    'leaky': Curve(lambda x, slope: nd.relu(x) - slope * nd.relu(-x),
                   r'$\max(x,\ a x)$', params={'slope': (0.25, 0.0, 1.0, 0.01)}),
    'elu': Curve(lambda x, alpha: nd.relu(x) + alpha * (nd.exp(nd.minimum(x, 0.0)) - 1),
                 r'$x$ if $x>0$ else $\alpha (e^{x} - 1)$',
                 params={'alpha': (1.0, 0.1, 3.0, 0.05)}),
    'gelu': Curve(lambda x: 0.5 * x * (1 + nd.erf(x / math.sqrt(2))),
                  r'$x\,\Phi(x)$'),
}


class ActivationExplorer(CurveExplorer):
    """An activation function and its derivative (computed by autograd), with sliders.

    Pick the activation in the dropdown; the left plot shows it with its
    tangent at ``x0``, the right one its derivative. Leaky ReLU has a ``slope``
    and ELU an ``alpha`` slider.

    Parameters
    ----------
    activation : str
        One of :data:`ACTIVATIONS`: relu, sigmoid, tanh, softrelu, softsign,
        leaky, elu, gelu.
    x_range : (float, float)
    x0 : float
        Where the tangent is drawn.
    **params
        Initial ``slope`` (leaky) or ``alpha`` (elu).

    Examples
    --------
    >>> w = ActivationExplorer('sigmoid', x0=0.0)
    >>> round(w.curve_data['dy0'], 4)
    0.25
    >>> w.controls['activation'].options[:3]
    ('relu', 'sigmoid', 'tanh')
    """

    def __init__(self, activation='relu', x_range=(-4.0, 4.0), x0=1.0, **params):
        super().__init__(ACTIVATIONS, activation, x_range, x0, choice='activation', **params)
