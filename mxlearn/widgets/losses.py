"""Loss functions plotted against the prediction, with their derivatives."""
import numpy as np

from .. import ndarray as nd
from .curves import Curve, CurveExplorer


def _huber(p, target, rho):
    # gluon.loss.HuberLoss: (p-y)^2 / (2 rho) near the target, |p-y| - rho/2 beyond.
    a = nd.abs(p - target)
    m = nd.minimum(a, rho)
    return (0.5 * m * m + rho * (a - m)) / rho


def _softmax_ce(z0, label, z1, z2, classes):
    # The logits of one example are (z0, z1[, z2]); only z0 moves along the x axis.
    n = z0.shape[0]
    others = nd.array(np.tile([z1, z2][:classes - 1], (n, 1)), dtype=z0.dtype)
    logits = nd.concat(z0.reshape((n, 1)), others, dim=1)
    labels = nd.full((n,), label, dtype=z0.dtype)
    return -nd.pick(nd.log_softmax(logits, axis=1), labels, axis=1)


#: Loss name -> :class:`~mxlearn.widgets.curves.Curve` of the prediction.
LOSSES = {
    'mse': Curve(lambda p, target: 0.5 * (p - target) ** 2, r'$\frac{1}{2}(p - y)^2$',
                 params={'target': (0.0, -3.0, 3.0, 0.05)}, xlabel='prediction p'),
    'l1': Curve(lambda p, target: nd.abs(p - target), r'$|p - y|$',
                params={'target': (0.0, -3.0, 3.0, 0.05)}, xlabel='prediction p'),
    'huber': Curve(_huber, r'$\frac{(p-y)^2}{2\rho}$ if $|p-y|<\rho$ else $|p-y|-\frac{\rho}{2}$',
                   params={'target': (0.0, -3.0, 3.0, 0.05), 'rho': (1.0, 0.1, 3.0, 0.05)},
                   xlabel='prediction p'),
    'softmax ce': Curve(_softmax_ce, r'$-\log\ \mathrm{softmax}(z)_{label}$',
                        params={'label': (0, 0, 2), 'z1': (1.0, -4.0, 4.0, 0.1),
                                'z2': (-1.0, -4.0, 4.0, 0.1), 'classes': (3, 2, 3)},
                        xlabel='logit $z_0$ of class 0'),
    'binary ce': Curve(lambda s, target_prob: nd.log1p(nd.exp(s)) - target_prob * s,
                       r'$-y \log\sigma(s) - (1-y)\log(1-\sigma(s))$',
                       params={'target_prob': (1.0, 0.0, 1.0, 0.05)},
                       xlabel=r'logit s  (prediction $\sigma(s)$)'),
}


class LossExplorer(CurveExplorer):
    """A loss and its derivative with respect to the prediction (by autograd), with sliders.

    * ``mse``: ``(p - y)^2 / 2`` (what ``gluon.loss.L2Loss`` computes), slider ``target``;
    * ``l1``: ``|p - y|``;
    * ``huber``: quadratic within ``rho`` of the target, linear beyond;
    * ``softmax ce``: softmax cross-entropy of one example with 2 or 3 classes,
      as a function of the logit ``z0`` of class 0; sliders for the true
      ``label``, the other logits ``z1``, ``z2`` and the number of ``classes``;
    * ``binary ce``: sigmoid binary cross-entropy as a function of the logit
      ``s``, for a target probability ``target_prob``.

    Parameters
    ----------
    loss : str
        One of :data:`LOSSES`.
    x_range : (float, float)
    x0 : float
        Where the tangent is drawn.
    **params
        Initial parameter values (``target=1.0``, ``label=2``, ...).

    Examples
    --------
    >>> w = LossExplorer('mse', target=1.0, x0=3.0)
    >>> w.curve_data['dy0']
    2.0
    >>> w.controls['classes'].layout.display
    'none'
    """

    def __init__(self, loss='mse', x_range=(-4.0, 4.0), x0=1.0, **params):
        super().__init__(LOSSES, loss, x_range, x0, choice='loss', **params)

    def controls_changed(self, change):
        super().controls_changed(change)
        # The true label must be one of the classes; z2 only exists with 3.
        if self.values['loss'] == 'softmax ce':
            classes = self.values['classes']
            self.controls['label'].max = classes - 1
            self.show_control('z2', classes == 3)
