"""The optimizer playground and the training dashboard, without a browser or a kernel."""
import base64
import collections

import numpy as np
import pytest

import mxlearn as mx
from mxlearn.base import MXNetError
from mxlearn.test_utils import assert_almost_equal
from mxlearn.widgets import OptimizerPlayground, TrainingDashboard
from mxlearn.widgets import dashboard
from mxlearn.widgets.optimizer_playground import SURFACES, descend, make_optimizer

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
BOWL_CURVATURE = np.array([0.2, 4.0])     # f = 0.1 x^2 + 2 y^2: the gradient is (0.2 x, 4 y)


def bowl_gradient(w):
    return BOWL_CURVATURE * w


def assert_static_picture(widget):
    assert bytes(widget.image.value).startswith(PNG_MAGIC)
    bundle = widget._repr_mimebundle_()
    assert base64.b64decode(bundle['image/png']) == widget.image.value
    assert 'application/vnd.jupyter.widget-view+json' in bundle


# ------------------------------------------------------------- playground --

@pytest.fixture(scope='module')
def bowl():
    """A playground on the bowl with SGD, momentum and Adam, 25 steps from (-5, -2)."""
    return OptimizerPlayground('bowl', optimizers=('sgd', 'momentum', 'adam'), steps=25,
                               lrs=dict(sgd=0.3, momentum=0.05, adam=0.2),
                               momentum=0.8, beta1=0.85, beta2=0.99)


def test_sgd_on_the_bowl_is_the_hand_computed_iteration(bowl):
    # w_{t+1} = w_t - lr * grad = (1 - lr * curvature) * w_t, coordinate by coordinate
    t = np.arange(26)[:, None]
    expected = np.array([-5.0, -2.0]) * (1 - 0.3 * BOWL_CURVATURE) ** t
    assert bowl.trajectories['sgd'].shape == (26, 2)
    assert_almost_equal(bowl.trajectories['sgd'], expected, rtol=1e-12, atol=1e-14)
    f = 0.1 * expected[:, 0] ** 2 + 2 * expected[:, 1] ** 2
    assert_almost_equal(bowl.losses['sgd'], f, rtol=1e-12, atol=1e-14)


def test_momentum_on_the_bowl_follows_mxnet_s_rule(bowl):
    w, v, path = np.array([-5.0, -2.0]), np.zeros(2), [np.array([-5.0, -2.0])]
    for _ in range(25):
        v = 0.8 * v - 0.05 * bowl_gradient(w)
        w = w + v
        path.append(w)
    assert_almost_equal(bowl.trajectories['momentum'], np.array(path), rtol=1e-12, atol=1e-14)


def test_adam_on_the_bowl_follows_mx_optimizer_adam_s_formula(bowl):
    # MXNet folds both bias corrections into the learning rate; epsilon is not corrected.
    lr, b1, b2, eps = 0.2, 0.85, 0.99, 1e-8
    w, m, v, path = np.array([-5.0, -2.0]), np.zeros(2), np.zeros(2), [np.array([-5.0, -2.0])]
    for t in range(1, 26):
        g = bowl_gradient(w)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
        path.append(w)
    assert_almost_equal(bowl.trajectories['adam'], np.array(path), rtol=1e-10, atol=1e-12)


def test_descend_uses_autograd_gradients_of_the_surface():
    # One SGD step of size lr on Rosenbrock moves by -lr * the analytic gradient.
    x, y = -1.2, 1.0
    grad = np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
    path, losses = descend(SURFACES['rosenbrock'].fn, make_optimizer('sgd', 1e-3), (x, y), 1)
    assert_almost_equal(path[1], np.array([x, y]) - 1e-3 * grad, rtol=1e-12)
    assert losses[0] == pytest.approx((1 - x) ** 2 + 100 * (y - x * x) ** 2)


def test_a_slider_change_recomputes_the_trajectories():
    w = OptimizerPlayground('bowl', optimizers=('sgd',), steps=10)
    before, picture = w.trajectories['sgd'].copy(), bytes(w.image.value)
    w.controls['lr_sgd'].value = 0.05
    assert not np.allclose(w.trajectories['sgd'], before)
    assert w.image.value != picture
    with w.hold():
        w.controls['steps'].value = 15
        w.controls['x0'].value = 1.0
    assert w.trajectories['sgd'].shape == (16, 2)
    assert tuple(w.trajectories['sgd'][0]) == (1.0, -2.0)


def test_the_surface_choice_resets_start_and_learning_rates():
    w = OptimizerPlayground('bowl', optimizers=('sgd',), steps=5)
    w.controls['surface'].value = 'rosenbrock'
    s = SURFACES['rosenbrock']
    assert (w.values['x0'], w.values['y0']) == pytest.approx(s.start)
    assert w.controls['x0'].min == s.x_range[0] and w.controls['y0'].max == s.y_range[1]
    assert w.values['lr_sgd'] == pytest.approx(s.lrs['sgd'])
    assert tuple(w.trajectories['sgd'][0]) == pytest.approx(s.start)


def test_settings_are_shown_only_for_the_optimizers_that_use_them():
    w = OptimizerPlayground('saddle', optimizers=('sgd',), steps=5)
    hidden = {n for n, c in w.controls.items() if c.layout.display == 'none'}
    assert {'momentum', 'beta1', 'beta2', 'gamma1', 'lr_adam'} <= hidden
    assert 'lr_sgd' not in hidden
    w.controls['optimizers'].value = ('nag', 'adam')
    assert set(w.trajectories) == {'nag', 'adam'}
    for name in ('momentum', 'beta1', 'beta2', 'lr_nag', 'lr_adam'):
        assert w.controls[name].layout.display is None, name
    assert w.controls['lr_sgd'].layout.display == 'none'
    assert_static_picture(w)


def test_a_diverging_run_stops_with_nan():
    w = OptimizerPlayground('bowl', optimizers=('sgd',), steps=400, lrs=dict(sgd=10.0))
    path = w.trajectories['sgd']
    assert np.isnan(path[-1]).all() and np.isfinite(path[0]).all()


def test_unknown_names_fail_clearly():
    with pytest.raises(MXNetError, match='unknown surface'):
        OptimizerPlayground('himmelblau')
    with pytest.raises(MXNetError, match='unknown optimizer'):
        OptimizerPlayground('bowl', optimizers=('sgd', 'lbfgs'))
    with pytest.raises(TypeError, match='unknown settings'):
        OptimizerPlayground('bowl', rho=0.5)


# -------------------------------------------------------------- dashboard --

class FakeClock:
    """Stands in for the time module: ``perf_counter`` is whatever the test sets."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(dashboard, 'time', fake)
    return fake


def test_the_dashboard_records_values_progress_and_speed(clock):
    dash = TrainingDashboard(total=20, title='test')
    dash.draw = lambda: None              # only the bookkeeping is tested here
    for i in range(10):
        clock.now += 0.5
        dash.update(epoch=0, batch=i, samples=50, loss=mx.nd.array([1.0 / (i + 1)]),
                    accuracy=np.float32(0.1 * i))
    assert dash.batches == 10 and dash.samples == 500
    assert dash.progress.value == 10 and dash.progress.max == 20
    assert [v for _, v, _ in dash.history['loss', 'train']][-1] == pytest.approx(0.1)
    # 450 samples over the 4.5 s since the first update; 10 batches left at 0.5 s each
    text = dash.status_text()
    assert '100 samples/s' in text and 'ETA 5 s' in text and 'batch 10 / 20' in text


def test_epochs_advance_and_epoch_end_values_are_marked(clock):
    dash = TrainingDashboard(metrics=('loss',))
    for epoch in range(2):
        for i in range(0, 6, 2):          # called every other batch
            dash.update(epoch=epoch, batch=i, samples=8, loss=1.0)
        dash.epoch_end(loss=0.5, val_loss=0.7, val_accuracy=0.9)
    # 5 batches in the first epoch (indices 0..4 seen), the second starts after them
    assert dash.batches == 10 and dash.samples == 8 * 10
    assert dash.epoch_ends == [(5, 0), (10, 1)]
    assert dash.history['loss', 'validation'] == [(5, 0.7, True), (10, 0.7, True)]
    assert dash.metrics == ['loss', 'accuracy']      # a panel for the new name
    # without epoch numbers, the update after an epoch_end starts the next epoch
    dash.update(loss=2.0)
    assert dash.epoch == 2 and dash.batches == 11


def test_redraws_are_throttled_but_always_happen_at_epoch_end(clock):
    dash = TrainingDashboard(min_interval=0.25)
    dash.draw = lambda: None              # an empty picture: only the throttle is tested
    assert dash.redraws == 1
    for i in range(40):                   # 10 updates a second for 4 seconds
        clock.now += 0.1
        dash.update(batch=i, loss=1.0)
    assert 10 <= dash.redraws - 1 <= 16   # about 4 a second, not 40
    count = dash.redraws
    dash.epoch_end(val_loss=0.5)
    assert dash.redraws == count + 1


def test_the_dashboard_draws_every_panel():
    dash = TrainingDashboard(metrics=('loss', 'accuracy'), title='run 1')
    dash.update(epoch=0, batch=0, loss=2.0, accuracy=0.1)
    dash.epoch_end(loss=1.0, val_loss=1.2, val_top5=0.5)
    assert [ax.get_title() for ax in dash.figure.axes] == ['loss', 'accuracy', 'top5']
    assert dash.figure._suptitle.get_text().startswith('run 1\nepoch 1')
    assert_static_picture(dash)


def test_the_progress_line_is_throttled_too(clock):
    dash = TrainingDashboard(total=100, min_interval=10.0)
    moves = []
    dash.progress.observe(lambda change: moves.append(change['new']), names='value')
    for i in range(50):                   # 100 batches a second for half a second
        clock.now += 0.01
        dash.update(batch=i, samples=10)
    assert 3 <= len(moves) <= 7           # one message to the browser every ~0.1 s
    dash.epoch_end()
    assert dash.progress.value == 50


def test_slow_redraws_are_spaced_out(clock):
    dash = TrainingDashboard(min_interval=0.0)
    dash._draw_cost = 1.0                 # pretend that drawing takes a second
    for i in range(5):
        clock.now += 0.5
        dash.update(batch=i, loss=1.0)
    assert dash.redraws == 1              # not before 3 s have passed
    clock.now += 0.5
    dash.update(batch=5, loss=1.0)
    assert dash.redraws == 2


BatchEndParam = collections.namedtuple('BatchEndParam', ['epoch', 'nbatch', 'eval_metric',
                                                         'locals'])


class FakeMetric:
    def __init__(self, **values):
        self.values = values

    def get_name_value(self):
        return list(self.values.items())


class FakeBatch:
    def __init__(self, size):
        self.data = [mx.nd.zeros((size, 3))]


def test_module_fit_callbacks():
    dash = TrainingDashboard(metrics=('accuracy',), total=8)
    for epoch in range(2):
        for nbatch in range(4):
            param = BatchEndParam(epoch, nbatch, FakeMetric(**{'accuracy': 0.5 + 0.1 * nbatch,
                                                               'cross-entropy': 1.0}),
                                  {'data_batch': FakeBatch(16)})
            dash(param)
        dash.epoch_end_callback(epoch, None, {}, {})
        dash.eval_end_callback(BatchEndParam(epoch, 4, FakeMetric(accuracy=0.75), {}))
    assert dash.batches == 8 and dash.samples == 128 and dash.epoch == 1
    assert dash.metrics == ['accuracy', 'cross-entropy']
    assert dash.history['accuracy', 'validation'] == [(4, 0.75, True), (8, 0.75, True)]
    assert dash.epoch_ends == [(4, 0), (8, 1)]
    dash.batch_end_callback(BatchEndParam(2, 0, None, None))   # no metric, no locals
    assert dash.batches == 9


def test_show_samples_adds_a_row_of_images():
    dash = TrainingDashboard()
    before = dash.figure.get_size_inches()[1]
    images = mx.nd.array(np.random.RandomState(0).rand(12, 1, 8, 8))
    scores = np.eye(3)[[0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]]
    dash.show_samples(images, mx.nd.array([0, 1, 2] * 4), scores, classes=['a', 'b', 'c'])
    assert dash.figure.get_size_inches()[1] > before
    titles = [ax.get_title() for ax in dash.figure.axes if ax.images]
    assert len(titles) == 10 and titles[:3] == ['a', 'b', 'c']
    with pytest.raises(ValueError, match='show_samples expects images'):
        dash.show_samples(np.zeros((3, 4)), [0], [0])


class FakeHandle:
    def __init__(self):
        self.bundles = []

    def update(self, bundle, raw):
        self.bundles.append(bundle)


def test_the_static_copy_in_the_notebook_follows_the_final_state(monkeypatch):
    import IPython.display
    handle = FakeHandle()
    shown = []
    monkeypatch.setattr(IPython.display, 'display',
                        lambda bundle, raw, display_id: shown.append(bundle) or handle)
    dash = TrainingDashboard(total=2)
    dash._ipython_display_()
    assert base64.b64decode(shown[0]['image/png']) == dash.image.value
    dash.update(batch=0, loss=1.0)
    assert handle.bundles == []           # between epochs only the live view changes
    dash.epoch_end(val_loss=0.5)
    assert base64.b64decode(handle.bundles[-1]['image/png']) == dash.image.value
