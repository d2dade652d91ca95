"""mx.widgets without a browser: controls redraw, static pictures, and the maths they show."""
import base64
import math

import ipywidgets
import numpy as np
import pytest

import mxlearn as mx
from mxlearn import autograd, nd
from mxlearn.base import MXNetError
from mxlearn.test_utils import assert_almost_equal
from mxlearn.widgets import (ACTIVATIONS, LOSSES, ActivationExplorer, BroadcastView,
                             FigureWidget, LossExplorer, TapeView, replay_backward)
from mxlearn.widgets.broadcast import explain
from mxlearn.widgets.controls import ShapeInput, parse_shape
from mxlearn.widgets.dag import layered_layout
from mxlearn.widgets.tape import grad_key

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


class Line(FigureWidget):
    """A minimal widget: a line whose slope a slider sets; it counts its draws."""

    def __init__(self):
        super().__init__(figsize=(2, 1.5))
        self.draws = 0
        self.add_control('slope', ipywidgets.FloatSlider(value=1.0, min=0, max=10))
        self.add_control('color', ipywidgets.Dropdown(options=['red', 'blue']))
        self.redraw()

    def draw(self):
        if self.values['slope'] > 5:
            raise ValueError('slope too steep')
        self.draws += 1
        self.figure.add_subplot().plot([0, 1], [0, self.values['slope']],
                                       color=self.values['color'])


# ------------------------------------------------------------------- base --

def test_a_control_change_redraws_the_picture():
    w = Line()
    before = bytes(w.image.value)
    assert before.startswith(PNG_MAGIC)
    w.controls['slope'].value = 2.0
    assert w.draws == 2 and w.image.value != before


def test_hold_redraws_once_for_several_changes():
    w = Line()
    with w.hold():
        w.controls['slope'].value = 3.0
        w.controls['color'].value = 'blue'
        assert w.draws == 1
    assert w.draws == 2


def test_the_mime_bundle_carries_a_static_picture():
    w = Line()
    bundle = w._repr_mimebundle_()
    assert set(bundle) == {'text/plain', 'image/png',
                           'application/vnd.jupyter.widget-view+json'}
    assert base64.b64decode(bundle['image/png']) == w.image.value
    assert bundle['text/plain'] == '<Line>'
    assert 'mxlearn-widget' in w._dom_classes and 'mxlearn-Line' in w._dom_classes


def test_a_failing_redraw_is_shown_under_the_picture_then_cleared():
    w = Line()
    with pytest.raises(ValueError):
        w.controls['slope'].value = 7.0
    assert 'slope too steep' in w.status.value
    w.controls['slope'].value = 1.5
    assert w.status.value == ''


# ------------------------------------------------------- activations, losses --

def _phi(x):
    return np.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def central_difference(curve, x, params, h=1e-5):
    """The derivative from the curve's values alone (no point is within h of a kink)."""
    return (curve.evaluate(x + h, **params)[0] - curve.evaluate(x - h, **params)[0]) / (2 * h)


ACTIVATION_DERIVATIVES = {
    'relu': lambda x, p: (x > 0).astype(float),
    'sigmoid': lambda x, p: _sigmoid(x) * (1 - _sigmoid(x)),
    'tanh': lambda x, p: 1 - np.tanh(x) ** 2,
    'softrelu': lambda x, p: _sigmoid(x),
    'softsign': lambda x, p: 1 / (1 + np.abs(x)) ** 2,
    'leaky': lambda x, p: np.where(x > 0, 1.0, p['slope']),
    'elu': lambda x, p: np.where(x > 0, 1.0, p['alpha'] * np.exp(x)),
    'gelu': lambda x, p: np.vectorize(lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2))))(x)
    + x * _phi(x),
}


@pytest.mark.parametrize('name', sorted(ACTIVATIONS))
def test_activation_derivatives_by_autograd_match_the_maths(name):
    assert set(ACTIVATION_DERIVATIVES) == set(ACTIVATIONS)
    x = np.linspace(-3, 3, 12)  # even count: no point exactly at a kink
    params = {'slope': 0.2, 'alpha': 1.5}
    curve = ACTIVATIONS[name]
    p = {k: params[k] for k in curve.params}
    _, dy = curve.evaluate(x, **p)
    assert_almost_equal(dy, ACTIVATION_DERIVATIVES[name](x, params), rtol=1e-6, atol=1e-8)
    assert_almost_equal(dy, central_difference(curve, x, p), rtol=1e-5, atol=1e-8)


def test_activation_explorer_controls():
    w = ActivationExplorer('relu', x0=2.0)
    assert w.curve_data['dy0'] == 1.0 and w.controls['slope'].layout.display == 'none'
    before = bytes(w.image.value)
    w.controls['activation'].value = 'leaky'
    assert w.controls['slope'].layout.display is None
    assert w.image.value != before
    with w.hold():
        w.controls['x0'].value = -1.0
        w.controls['slope'].value = 0.5
        w.controls['x_range'].value = (-1.0, 2.0)
    assert w.curve_data['dy0'] == pytest.approx(0.5)
    assert w.curve_data['x'][0] == -1.0 and w.curve_data['x'][-1] == 2.0
    with pytest.raises(TypeError, match='unknown parameters'):
        ActivationExplorer(beta=2)


def _softmax0(z0, z1, z2, classes):
    z = np.stack([z0, np.full_like(z0, z1), np.full_like(z0, z2)][:classes], axis=1)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True))[:, 0]


LOSS_DERIVATIVES = {
    'mse': (dict(target=0.7), lambda p, q: p - q['target']),
    'l1': (dict(target=0.7), lambda p, q: np.sign(p - q['target'])),
    'huber': (dict(target=0.7, rho=1.5),
              lambda p, q: np.clip((p - q['target']) / q['rho'], -1, 1)),
    'softmax ce': (dict(label=0, z1=1.0, z2=-0.5, classes=3),
                   lambda z, q: _softmax0(z, q['z1'], q['z2'], 3) - 1),
    'binary ce': (dict(target_prob=0.3), lambda s, q: _sigmoid(s) - q['target_prob']),
}


@pytest.mark.parametrize('name', sorted(LOSSES))
def test_loss_derivatives_by_autograd_match_the_maths(name):
    assert set(LOSS_DERIVATIVES) == set(LOSSES)
    params, derivative = LOSS_DERIVATIVES[name]
    x = np.linspace(-3, 3, 12)
    _, dy = LOSSES[name].evaluate(x, **params)
    assert_almost_equal(dy, derivative(x, params), rtol=1e-6, atol=1e-8)
    assert_almost_equal(dy, central_difference(LOSSES[name], x, params), rtol=1e-5, atol=1e-8)


def test_softmax_ce_value_and_other_labels():
    x = np.array([-1.0, 0.5])
    y, dy = LOSSES['softmax ce'].evaluate(x, label=1, z1=1.0, z2=0.0, classes=2)
    p0 = _softmax0(x, 1.0, 0.0, 2)
    assert_almost_equal(y, -np.log(1 - p0), rtol=1e-6)
    assert_almost_equal(dy, p0, rtol=1e-6)


def test_loss_explorer_ties_the_label_to_the_number_of_classes():
    w = LossExplorer('softmax ce', label=2)
    assert w.controls['z2'].layout.display is None
    w.controls['classes'].value = 2
    assert w.values['label'] == 1 and w.controls['label'].max == 1
    assert w.controls['z2'].layout.display == 'none'
    w.controls['loss'].value = 'mse'
    assert w.controls['label'].layout.display == 'none'
    assert repr(w) == '<LossExplorer: mse>'


# ------------------------------------------------------------------- tape --

def _recording():
    """loss = sum((sigmoid(x * w + b) - x) ** 2), with x used twice."""
    x = nd.array([0.5, -1.0, 2.0]); x.attach_grad()
    w = nd.array([1.5, 0.5, -0.25]); w.attach_grad()
    b = nd.array([0.1, 0.1, 0.1])
    with autograd.record():
        z = x * w + b
        h = nd.sigmoid(z)
        d = h - x
        loss = (d * d).sum()
    return x, w, b, z, h, d, loss


def test_tape_view_gradients_equal_autograd_and_the_chain_rule():
    x, w, b, z, h, d, loss = _recording()
    view = TapeView(loss, names=dict(x=x, w=w, b=b))
    assert [n.op.name for n in view.nodes] == ['broadcast_mul', 'broadcast_add', 'sigmoid',
                                               'broadcast_sub', 'broadcast_mul', 'sum']
    assert len(view.leaves) == 3 and len(view.steps) == 7
    loss.backward()  # frees the recording: the view keeps what it needs
    assert_almost_equal(view.grad(x), x.grad.asnumpy(), rtol=1e-6)
    assert_almost_equal(view.grad(w), w.grad.asnumpy(), rtol=1e-6)
    xn, wn, bn = x.asnumpy(), w.asnumpy(), b.asnumpy()
    hn = _sigmoid(xn * wn + bn)
    dd = 2 * (hn - xn)
    dz = dd * hn * (1 - hn)
    assert_almost_equal(view.grad(d), dd, rtol=1e-6)
    assert_almost_equal(view.grad(h), dd, rtol=1e-6)
    assert_almost_equal(view.grad(z), dz, rtol=1e-5)
    assert_almost_equal(view.grad(x), dz * wn - dd, rtol=1e-5)
    assert view.grad(loss).tolist() == [1.0]
    # step 0 knows only the head gradient; step 1 runs sum's rule, step 2 d * d's
    assert view.grad(d, step=0) is None and view.grad(loss, step=0).tolist() == [1.0]
    assert view.grad(d, step=1) is None
    assert_almost_equal(view.grad(d, step=2), dd, rtol=1e-6)
    view.redraw()  # still draws after backward freed the Nodes


def test_tape_view_step_slider_redraws():
    *_, loss = _recording()
    view = TapeView(loss, step=0)
    before = bytes(view.image.value)
    view.controls['step'].value = 3
    assert view.image.value != before
    assert '6 operations, 3 leaves' in repr(view)


def test_replay_uses_the_head_gradient():
    x = nd.array([1.0, 2.0]); x.attach_grad()
    with autograd.record():
        y = x * x
    steps = replay_backward(y, nd.array([10.0, 1.0]))
    assert steps[-1].grads[grad_key(x)].asnumpy().tolist() == [20.0, 4.0]


def test_tape_view_of_a_freed_recording_says_what_to_do():
    x = nd.array([1.0]); x.attach_grad()
    with autograd.record():
        y = nd.exp(x)
    y.backward()
    with pytest.raises(MXNetError, match='retain_graph=True'):
        TapeView(y)
    with autograd.record():
        y = nd.exp(x)
    y.backward(retain_graph=True)
    assert_almost_equal(TapeView(y).grad(x), x.grad.asnumpy())


def test_tape_view_replays_a_custom_function():
    class Cube(autograd.Function):
        def forward(self, x):
            self.save_for_backward(x)
            return x * x * x

        def backward(self, dy):
            x, = self.saved_tensors
            return 3 * x * x * dy

    x = nd.array([2.0]); x.attach_grad()
    with autograd.record():
        y = Cube()(x) + x
    view = TapeView(y)
    assert [n.op.name for n in view.nodes] == ['Cube', 'broadcast_add']
    assert view.grad(x).tolist() == [13.0]


def test_tape_view_of_a_leaf_and_of_too_big_a_recording():
    x = nd.array([1.0]); x.attach_grad()
    view = TapeView(x)
    assert view.nodes == [] and view.grad(x).tolist() == [1.0]
    with autograd.record():
        y = x
        for _ in range(5):
            y = y * 2
    with pytest.raises(MXNetError, match='at most 3'):
        TapeView(y, max_nodes=3)


def test_layered_layout_places_every_vertex_after_its_inputs():
    inputs = {'mul': ['x', 'w'], 'add': ['mul', 'b'], 'out': ['add', 'x', 'x']}
    vertices = ['x', 'w', 'mul', 'b', 'add', 'out']
    pos, routes = layered_layout(vertices, inputs)
    assert len(set(pos.values())) == len(vertices)
    for v, ins in inputs.items():
        assert all(pos[u][0] < pos[v][0] for u in ins)
    assert pos['b'][0] == pos['add'][0] - 1  # a source sits next to its consumer
    assert [p[0] for p in routes[('x', 'out')]] == [1, 2]
    occupied = set(pos.values())
    assert not any(p in occupied for p in routes[('x', 'out')])


# -------------------------------------------------------------- broadcast --

def test_broadcast_view_result_and_incompatible_message():
    v = BroadcastView((2, 1, 3), (4, 1))
    assert v.result_shape == (2, 4, 3) and v.error is None
    assert '(2, 4, 3)' in v.status.value
    before = bytes(v.image.value)
    v.controls['a'].value = (2, 3)
    assert v.result_shape is None
    assert 'cannot be broadcast' in v.error and 'cannot be broadcast' in v.status.value
    assert v.image.value != before
    # the message is the one mx.nd gives
    with pytest.raises(MXNetError) as info:
        nd.zeros((2, 3)) + nd.zeros((4, 1))
    assert v.error in str(info.value)


def test_broadcast_view_shape_inputs_and_slider():
    v = BroadcastView((3, 1), (4,))
    assert v.result_shape == (3, 4)
    v.controls['b'].text.value = '(2, 1, 1)'
    assert v.result_shape == (2, 3, 1) and len(v.controls['b'].sliders) == 3
    before = bytes(v.image.value)
    v.controls['a'].sliders[1].value = 5
    assert v.values['a'] == (3, 5) and v.result_shape == (2, 3, 5)
    assert v.image.value != before
    v.controls['a'].text.value = 'two by three'
    assert v.values['a'] == (3, 5) and 'not a shape' in v.controls['a'].error.value
    v.controls['a'].value = (1, 2, 3, 4)
    assert v.result_shape == (1, 2, 3, 4)


def test_explain_and_parse_shape():
    lines, result, error = explain((3,), ())
    assert result == (3,) and [bad for _, bad in lines] == [False] * 4
    lines, result, error = explain((2, 3), (3, 3))
    assert result is None and [bad for _, bad in lines] == [False, False, True, False, True]
    assert parse_shape('()') == () and parse_shape('[2 3]') == (2, 3)
    with pytest.raises(MXNetError, match='not a shape'):
        parse_shape('2, -1')
    with pytest.raises(MXNetError, match='non-negative'):
        ShapeInput('A', (2, -1))


def test_widgets_are_reachable_from_the_package():
    assert mx.widgets.TapeView is TapeView and mx.widgets.BroadcastView is BroadcastView
