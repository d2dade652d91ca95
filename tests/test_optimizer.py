"""mx.optimizer: every optimizer against its update rule in numpy, and the machinery
around them (multipliers, step counts, multi-precision, Updater, registry)."""
import math
import pickle

import numpy as np
import pytest

import mxlearn as mx
import mxlearn.lr_scheduler
import mxlearn.optimizer
from mxlearn import nd
from mxlearn.base import MXNetError
from mxlearn.test_utils import assert_almost_equal

NAMES = {0: 'fc_weight', 1: 'fc_bias', 2: 'bn_gamma'}
SHAPES = [(4, 3), (3,), (5,)]
STEPS = 4
COMMON = dict(wd=0.03, rescale_grad=0.5, param_idx2name=NAMES)


def problem(seed=0, dtype=np.float32):
    rs = np.random.RandomState(seed)
    weights = [rs.uniform(-1, 1, s).astype(dtype) for s in SHAPES]
    grads = [[rs.uniform(-2, 2, s).astype(dtype) for s in SHAPES] for _ in range(STEPS)]
    return weights, grads


def run_optimizer(opt, weights, grads, dtype=None):
    """STEPS updates of all parameters through an Updater; returns it and the weights."""
    updater = mx.optimizer.get_updater(opt)
    ws = [nd.array(w, dtype=dtype or w.dtype) for w in weights]
    for step in grads:
        updater([0, 1, 2], [nd.array(g, dtype=dtype or g.dtype) for g in step], ws)
    return updater, [w.asnumpy() for w in ws]


def clip(x, c):
    return np.clip(x, -c, c) if c is not None else x


# ------------------------------------------------ the rules in numpy --
# rule(w, g, s, t, lr, wd, shared, **hyper) -> new w; ``s`` holds the parameter's
# state (float64), ``shared`` what an optimizer keeps for all parameters.

def sgd(w, g, s, t, lr, wd, shared, momentum=0.0, rescale_grad=1, clip_gradient=None):
    step = -lr * (clip(rescale_grad * g, clip_gradient) + wd * w)
    if momentum:
        s['mom'] = momentum * s.get('mom', 0) + step
        step = s['mom']
    return w + step


def nag(w, g, s, t, lr, wd, shared, momentum=0.0, rescale_grad=1, clip_gradient=None):
    g = clip(rescale_grad * g, clip_gradient) + wd * w
    s['mom'] = momentum * s.get('mom', 0) - lr * g
    return w + momentum * s['mom'] - lr * g


def signum(w, g, s, t, lr, wd, shared, momentum=0.9, wd_lh=0.0, rescale_grad=1,
           clip_gradient=None):
    if not momentum:
        return (1 - lr * wd) * w - lr * np.sign(g)
    g = clip(rescale_grad * g, clip_gradient) + wd * w
    s['mom'] = momentum * s.get('mom', 0) - (1 - momentum) * g
    return (1 - lr * wd_lh) * w + lr * np.sign(s['mom'])


def adam(w, g, s, t, lr, wd, shared, beta1=0.9, beta2=0.999, epsilon=1e-8, rescale_grad=1,
         clip_gradient=None):
    g = clip(rescale_grad * g + wd * w, clip_gradient)
    s['m'] = beta1 * s.get('m', 0) + (1 - beta1) * g
    s['v'] = beta2 * s.get('v', 0) + (1 - beta2) * g * g
    lr_t = lr * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    return w - lr_t * s['m'] / (np.sqrt(s['v']) + epsilon)


def adamax(w, g, s, t, lr, wd, shared, beta1=0.9, beta2=0.999, rescale_grad=1,
           clip_gradient=None):
    g = clip(rescale_grad * g + wd * w, clip_gradient)
    s['m'] = beta1 * s.get('m', 0) + (1 - beta1) * g
    s['u'] = np.maximum(beta2 * s.get('u', 0), np.abs(g))
    return w - lr / (1 - beta1 ** t) * s['m'] / s['u']


def nadam(w, g, s, t, lr, wd, shared, beta1=0.9, beta2=0.999, epsilon=1e-8,
          schedule_decay=0.004, rescale_grad=1, clip_gradient=None):
    g = clip(rescale_grad * g + wd * w, clip_gradient)
    mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * schedule_decay))
    mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * schedule_decay))
    shared['m_schedule'] = shared.get('m_schedule', 1.0) * mu_t     # one for all parameters
    s['m'] = beta1 * s.get('m', 0) + (1 - beta1) * g
    s['v'] = beta2 * s.get('v', 0) + (1 - beta2) * g * g
    m_bar = ((1 - mu_t) * g / (1 - shared['m_schedule'])
             + mu_next * s['m'] / (1 - shared['m_schedule'] * mu_next))
    return w - lr * m_bar / (np.sqrt(s['v'] / (1 - beta2 ** t)) + epsilon)


def adagrad(w, g, s, t, lr, wd, shared, eps=1e-7, rescale_grad=1, clip_gradient=None):
    g = clip(rescale_grad * g, clip_gradient)
    s['h'] = s.get('h', 0) + g * g
    return w - lr * (g / np.sqrt(s['h'] + eps) + wd * w)


def adadelta(w, g, s, t, lr, wd, shared, rho=0.9, epsilon=1e-5, rescale_grad=1,
             clip_gradient=None):
    g = clip(rescale_grad * g, clip_gradient)
    s['acc_g'] = rho * s.get('acc_g', 0) + (1 - rho) * g * g
    delta = np.sqrt(s.get('acc_d', 0) + epsilon) / np.sqrt(s['acc_g'] + epsilon) * g
    s['acc_d'] = rho * s.get('acc_d', 0) + (1 - rho) * delta * delta
    return w - (delta + wd * w)


def rmsprop(w, g, s, t, lr, wd, shared, gamma1=0.9, gamma2=0.9, epsilon=1e-8,
            centered=False, clip_weights=None, rescale_grad=1, clip_gradient=None):
    g = clip(rescale_grad * g + wd * w, clip_gradient)
    s['n'] = (1 - gamma1) * g * g + gamma1 * s.get('n', 0)
    if centered:
        s['avg'] = (1 - gamma1) * g + gamma1 * s.get('avg', 0)
        s['delta'] = gamma2 * s.get('delta', 0) - lr * g / np.sqrt(
            s['n'] - s['avg'] ** 2 + epsilon)
        w = w + s['delta']
    else:
        w = w - lr * g / np.sqrt(s['n'] + epsilon)
    return clip(w, clip_weights)


def ftml(w, g, s, t, lr, wd, shared, beta1=0.6, beta2=0.999, epsilon=1e-8, rescale_grad=1,
         clip_gradient=None):
    g = clip(rescale_grad * g + wd * w, clip_gradient)
    s['v'] = beta2 * s.get('v', 0) + (1 - beta2) * g * g
    d_t = (1 - beta1 ** t) / lr * (np.sqrt(s['v'] / (1 - beta2 ** t)) + epsilon)
    s['z'] = beta1 * s.get('z', 0) + (1 - beta1) * g - (d_t - beta1 * s.get('d', 0)) * w
    s['d'] = d_t
    return -s['z'] / d_t


def ftrl(w, g, s, t, lr, wd, shared, lamda1=0.01, beta=1, rescale_grad=1,
         clip_gradient=None):
    g = clip(rescale_grad * g, clip_gradient)
    n = s.get('n', 0)
    s['z'] = s.get('z', 0) + g - (np.sqrt(n + g * g) - np.sqrt(n)) * w / lr
    s['n'] = n + g * g
    z = s['z']
    return (np.sign(z) * lamda1 - z) / ((beta + np.sqrt(s['n'])) / lr + wd) * (np.abs(z) > lamda1)


def lamb(w, g, s, t, lr, wd, shared, beta1=0.9, beta2=0.999, epsilon=1e-6,
         lower_bound=None, upper_bound=None, bias_correction=True, rescale_grad=1,
         clip_gradient=None):
    g = clip(rescale_grad * g, clip_gradient)
    s['m'] = beta1 * s.get('m', 0) + (1 - beta1) * g
    s['v'] = beta2 * s.get('v', 0) + (1 - beta2) * g * g
    m, v = s['m'], s['v']
    if bias_correction:
        m, v = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    r = m / (np.sqrt(v) + epsilon) + wd * w
    r1, r2 = np.linalg.norm(w), np.linalg.norm(r)
    if lower_bound:
        r1 = max(r1, lower_bound)
    if upper_bound:
        r1 = min(r1, upper_bound)
    trust = r1 / r2 if r1 > 0 and r2 > 0 else 1.0
    return w - lr * trust * r


def lars(w, g, s, t, lr, wd, shared, name, momentum=0.0, eta=0.001, eps=0, rescale_grad=1,
         clip_gradient=None):
    if not name.endswith(('gamma', 'beta', 'bias')):
        w_norm, g_norm = np.linalg.norm(w), np.linalg.norm(rescale_grad * g)
        if w_norm > 0 and g_norm > 0:
            lr = lr * eta * w_norm / (g_norm + wd * w_norm + eps)
    return sgd(w, g, s, t, lr, wd, shared, momentum, rescale_grad, clip_gradient)


def dcasgd(w, g, s, t, lr, wd, shared, momentum=0.0, lamda=0.04, rescale_grad=1,
           clip_gradient=None):
    g = clip(rescale_grad * g, clip_gradient)
    previous = s.get('previous', shared['w0'])
    step = -lr * (g + wd * w + lamda * g * g * (w - previous))
    if momentum:
        s['mom'] = momentum * s.get('mom', 0) + step
        step = s['mom']
    s['previous'] = w
    return w + step


def run_reference(rule, hyper, weights, grads, lr, wd, lr_mult, wd_mult, lr_at=None):
    """The rule applied in float64, parameter by parameter in index order, STEPS times."""
    ws = [w.astype(np.float64) for w in weights]
    states, shared = [{} for _ in ws], {}
    for t in range(1, STEPS + 1):
        base_lr = lr_at(t) if lr_at else lr
        for i in range(len(ws)):
            extra = {'name': NAMES[i]} if rule is lars else {}
            shared['w0'] = weights[i].astype(np.float64)
            ws[i] = rule(ws[i], grads[t - 1][i].astype(np.float64), states[i], t,
                         base_lr * lr_mult[i], wd * wd_mult[i], shared, **hyper, **extra)
    return ws, states


# name, optimizer kwargs (besides COMMON), rule, hyper-parameters the rule needs
CASES = [
    ('sgd', dict(learning_rate=0.1, clip_gradient=0.4), sgd, {}),
    ('sgd', dict(learning_rate=0.1, momentum=0.9, clip_gradient=0.4), sgd, {'momentum': 0.9}),
    ('nag', dict(learning_rate=0.1, momentum=0.9, clip_gradient=0.6), nag, {'momentum': 0.9}),
    ('nag', dict(learning_rate=0.1), nag, {}),
    ('signum', dict(learning_rate=0.05, momentum=0.8, wd_lh=0.01), signum,
     {'momentum': 0.8, 'wd_lh': 0.01}),
    ('signum', dict(learning_rate=0.05, momentum=0.0), signum, {'momentum': 0.0}),
    ('adam', dict(learning_rate=0.05, beta1=0.8, clip_gradient=0.5), adam, {'beta1': 0.8}),
    ('adamax', dict(learning_rate=0.05, clip_gradient=0.5), adamax, {}),
    ('nadam', dict(learning_rate=0.05, clip_gradient=0.5), nadam, {}),
    ('adagrad', dict(learning_rate=0.05, clip_gradient=0.5, eps=1e-6), adagrad, {'eps': 1e-6}),
    ('adadelta', dict(rho=0.8, clip_gradient=0.5), adadelta, {'rho': 0.8}),
    ('rmsprop', dict(learning_rate=0.05, clip_gradient=0.5, clip_weights=0.9), rmsprop,
     {'clip_weights': 0.9}),
    ('rmsprop', dict(learning_rate=0.05, centered=True, gamma1=0.8, gamma2=0.7,
                     clip_weights=1.2), rmsprop,
     {'centered': True, 'gamma1': 0.8, 'gamma2': 0.7, 'clip_weights': 1.2}),
    ('ftml', dict(learning_rate=0.05, clip_gradient=0.5), ftml, {}),
    ('ftrl', dict(learning_rate=0.5, lamda1=0.02, beta=0.5, clip_gradient=0.5), ftrl,
     {'lamda1': 0.02, 'beta': 0.5}),
    ('lamb', dict(learning_rate=0.05, clip_gradient=0.5), lamb, {}),
    ('lamb', dict(learning_rate=0.05, bias_correction=False, lower_bound=0.5,
                  upper_bound=2.0), lamb,
     {'bias_correction': False, 'lower_bound': 0.5, 'upper_bound': 2.0}),
    ('lars', dict(learning_rate=0.1, momentum=0.9, eta=0.5, eps=1e-3), lars,
     {'momentum': 0.9, 'eta': 0.5, 'eps': 1e-3}),
    ('dcasgd', dict(learning_rate=0.1, lamda=0.1, clip_gradient=0.5), dcasgd, {'lamda': 0.1}),
    ('dcasgd', dict(learning_rate=0.1, momentum=0.9), dcasgd, {'momentum': 0.9}),
]
# Named parameters: only *_weight and *_gamma are decayed (LARS: only *_weight).
WD_MULT = [1.0, 0.0, 1.0]
LR_MULT = [1.0, 1.0, 0.5]


@pytest.mark.parametrize('name,kwargs,rule,hyper', CASES,
                         ids=['%s-%d' % (c[0], i) for i, c in enumerate(CASES)])
def test_optimizer_follows_its_rule(name, kwargs, rule, hyper):
    weights, grads = problem()
    opt = mx.optimizer.create(name, **COMMON, **kwargs)
    opt.set_lr_mult({2: 0.5})
    _, got = run_optimizer(opt, weights, grads)
    wd_mult = [1.0, 0.0, 0.0] if name == 'lars' else WD_MULT
    lr = opt.lr
    hyper = dict(hyper, rescale_grad=0.5)
    if 'clip_gradient' in kwargs:
        hyper['clip_gradient'] = kwargs['clip_gradient']
    want, _ = run_reference(rule, hyper, weights, grads, lr, 0.03, LR_MULT, wd_mult)
    for i, (g, w) in enumerate(zip(got, want)):
        assert_almost_equal(g, w, rtol=1e-4, atol=1e-5, names=('%s[%d]' % (name, i), 'rule'))
    assert opt.num_update == STEPS


def test_learning_rate_schedule_drives_the_steps():
    weights, grads = problem(1)
    sched = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=0.2)
    opt = mx.optimizer.SGD(momentum=0.5, lr_scheduler=sched, **COMMON)
    _, got = run_optimizer(opt, weights, grads)
    want, _ = run_reference(sgd, dict(momentum=0.5, rescale_grad=0.5), weights, grads, None,
                            0.03, [1.0] * 3, WD_MULT, lr_at=lambda t: 0.2 * 0.5 ** ((t - 1) // 2))
    for g, w in zip(got, want):
        assert_almost_equal(g, w, rtol=1e-5, atol=1e-6)
    assert opt.learning_rate == 0.1


@pytest.mark.parametrize('name,kwargs,rule,hyper', [
    ('sgd', dict(learning_rate=0.1, momentum=0.9), sgd, {'momentum': 0.9}),
    ('sgd', dict(learning_rate=0.1), sgd, {}),
    ('adam', dict(learning_rate=0.01), adam, {}),
    ('nag', dict(learning_rate=0.1, momentum=0.9), nag, {'momentum': 0.9}),
    ('lamb', dict(learning_rate=0.01), lamb, {}),
], ids=['sgd_mom', 'sgd', 'adam', 'nag', 'lamb'])
def test_multi_precision_updates_a_float32_master_copy(name, kwargs, rule, hyper):
    weights, grads = problem(2, dtype=np.float16)
    opt = mx.optimizer.create(name, multi_precision=True, **COMMON, **kwargs)
    updater, got = run_optimizer(opt, weights, grads)
    want, _ = run_reference(rule, dict(hyper, rescale_grad=0.5), weights, grads, opt.lr,
                            0.03, [1.0] * 3, WD_MULT)
    for i in range(3):
        state = updater.states[i]
        # SGD-like optimizers keep (momentum, weight32); the others (weight32, state)
        master = state[1] if name in ('sgd', 'nag') else state[0]
        assert master.dtype == np.float32 and got[i].dtype == np.float16
        assert_almost_equal(master.asnumpy(), want[i], rtol=1e-5, atol=1e-5)
        assert np.array_equal(got[i], master.asnumpy().astype(np.float16))


def test_float16_without_multi_precision_warns():
    with pytest.warns(UserWarning, match='multi_precision=True'):
        mx.optimizer.SGD(momentum=0.9).create_state_multi_precision(0, nd.ones(2, dtype='float16'))


def test_sgld_adds_gaussian_noise():
    lr, wd = 0.01, 0.1
    w0, g0 = np.array([1.0, -2.0, 0.5], np.float32), np.array([0.5, 1.0, -1.0], np.float32)
    opt = mx.optimizer.SGLD(learning_rate=lr, wd=wd, rescale_grad=2.0, clip_gradient=1.5)
    w = nd.array(w0)
    mx.random.seed(11)
    opt.update(0, w, nd.array(g0), opt.create_state(0, w))
    mx.random.seed(11)
    noise = nd.random.normal(0, math.sqrt(lr), shape=3).asnumpy()
    want = w0 - lr / 2 * (np.clip(2 * g0, -1.5, 1.5) + wd * w0) + noise
    assert_almost_equal(w.asnumpy(), want, rtol=1e-5, atol=1e-6)


def test_lars_corrects_momentum_when_the_schedule_changes():
    sched = mx.lr_scheduler.MultiFactorScheduler(step=[1], factor=0.5, base_lr=0.2)
    opt = mx.optimizer.LARS(momentum=0.9, lr_scheduler=sched, param_idx2name={0: 'fc_bias'})
    w, g = nd.array([1.0, 2.0]), nd.array([0.5, -0.5])
    mom = opt.create_state(0, w)
    opt.update(0, w, g, mom)                 # lr 0.2: mom = -0.2 g
    opt.update(0, w, g, mom)                 # lr 0.1: momentum 0.9 * 0.1 / 0.2
    assert_almost_equal(mom.asnumpy(), 0.45 * -0.2 * g.asnumpy() - 0.1 * g.asnumpy())


# ----------------------------------------------- multipliers and counts --

class Param:
    """A stand-in for gluon.Parameter: the optimizer only reads the multipliers."""

    def __init__(self, lr_mult, wd_mult):
        self.lr_mult, self.wd_mult = lr_mult, wd_mult


class Sym:
    """A stand-in for a Symbol with per-argument attributes."""

    def attr_dict(self):
        return {'fc_weight': {'__lr_mult__': '3'}, 'fc_bias': {'__wd_mult__': '2'}}

    def list_arguments(self):
        return ['data', 'fc_weight', 'fc_bias']


def test_learning_rate_and_weight_decay_multipliers():
    opt = mx.optimizer.SGD(learning_rate=0.1, wd=0.01, param_idx2name=NAMES,
                           param_dict={1: Param(lr_mult=2.0, wd_mult=0.5)})
    # naming rule: weights and gammas are decayed, biases (and betas) are not
    assert opt.wd_mult == {'fc_bias': 0.0}
    assert opt._get_wd(0) == 0.01 and opt._get_wd(2) == 0.01
    assert (opt._get_lr(1), opt._get_wd(1)) == (0.2, 0.005)    # param_dict comes first
    opt.set_lr_mult({'fc_weight': 0.5, 2: 3.0})                 # by name and by index
    assert (opt._get_lr(0), opt._get_lr(2)) == (0.05, pytest.approx(0.3))
    opt.set_wd_mult({'bn_gamma': 0.0})
    assert opt._get_wd(2) == 0.0 and opt.wd_mult['fc_bias'] == 0.0
    lars = mx.optimizer.LARS(param_idx2name=NAMES)
    assert lars.wd_mult == {'fc_bias': 0.0, 'bn_gamma': 0.0}
    from_sym = mx.optimizer.SGD(sym=Sym(), param_idx2name={0: 'fc_weight', 1: 'fc_bias'})
    assert from_sym.lr_mult == {'fc_weight': 3.0}
    assert from_sym.wd_mult == {'fc_bias': 2.0}


def test_update_counts_per_index_and_per_device():
    opt = mx.optimizer.Adam(begin_num_update=10)
    updater = mx.optimizer.get_updater(opt)
    w0, w1 = nd.ones(2), nd.ones(2, ctx=mx.cpu(1))
    updater(0, nd.ones(2), w0)
    updater(0, nd.ones(2), w0)
    updater(1, nd.ones(2), w0)
    assert opt._index_update_count == {0: 12, 1: 11} and opt.num_update == 12
    # a Trainer keeps one Updater per device, sharing the optimizer: counts are per device
    mx.optimizer.get_updater(opt)(0, nd.ones(2, ctx=mx.cpu(1)), w1)
    assert opt._index_update_count == {0: 11}
    assert opt._all_index_update_counts[0] == {0: 12, 1: 11}
    assert opt.num_update == 12


def test_learning_rate_property_and_setter():
    opt = mx.optimizer.SGD(learning_rate=0.2)
    assert opt.learning_rate == 0.2
    opt.set_learning_rate(0.05)
    assert opt.learning_rate == 0.05 and opt.lr == 0.05
    assert mx.optimizer.SGD().learning_rate == 0.01
    sched = mx.lr_scheduler.FactorScheduler(step=1, factor=0.5, base_lr=1.0)
    opt = mx.optimizer.SGD(lr_scheduler=sched)
    opt.num_update = 3
    assert opt.learning_rate == 0.25
    with pytest.raises(MXNetError, match='LRScheduler of the optimizer has already'):
        opt.set_learning_rate(0.1)
    with pytest.warns(UserWarning, match='overwritten'):
        opt = mx.optimizer.SGD(learning_rate=0.3,
                               lr_scheduler=mx.lr_scheduler.FactorScheduler(step=5))
    assert opt.lr_scheduler.base_lr == 0.3


# ------------------------------------------------- registry and Updater --

def test_create_and_register():
    assert type(mx.optimizer.create('SGD', momentum=0.9)) is mx.optimizer.SGD
    assert type(mx.optimizer.Optimizer.create_optimizer('rmsprop')) is mx.optimizer.RMSProp
    for name in ('sgd', 'nag', 'signum', 'sgld', 'dcasgd', 'adam', 'adamax', 'nadam',
                 'adagrad', 'adadelta', 'rmsprop', 'ftml', 'ftrl', 'lamb', 'lars'):
        assert name in mx.optimizer.Optimizer.opt_registry
    with pytest.raises(MXNetError, match='Cannot find optimizer nosuch'):
        mx.optimizer.create('nosuch')

    @mx.optimizer.register
    class HalfStep(mx.optimizer.Optimizer):
        def update(self, index, weight, grad, state):
            self._update_count(index)
            weight[:] = weight - 0.5 * self._get_lr(index) * grad

    try:
        w = nd.array([1.0])
        mx.optimizer.get_updater(mx.optimizer.create('halfstep', learning_rate=1.0))(
            0, nd.array([1.0]), w)
        assert w.asscalar() == 0.5
        with pytest.warns(UserWarning, match='is overriding existing optimizer'):
            mx.optimizer.register(HalfStep)
    finally:
        del mx.optimizer.Optimizer.opt_registry['halfstep']


def test_updater_states_save_and_load():
    weights, grads = problem(3)
    full = mx.optimizer.get_updater(mx.optimizer.Adam(learning_rate=0.05, **COMMON))
    ws = [nd.array(w) for w in weights]
    for step in grads[:2]:
        full([0, 1, 2], [nd.array(g) for g in step], ws)
    saved, saved_all = full.get_states(), full.get_states(dump_optimizer=True)
    weights_mid = [w.asnumpy() for w in ws]
    for step in grads[2:]:
        full([0, 1, 2], [nd.array(g) for g in step], ws)
    # a new updater with the saved states *and* optimizer continues identically
    resumed = mx.optimizer.get_updater(mx.optimizer.SGD())
    resumed.set_states(saved_all)
    assert isinstance(resumed.optimizer, mx.optimizer.Adam)
    assert resumed.optimizer.num_update == 2
    ws2 = [nd.array(w) for w in weights_mid]
    for step in grads[2:]:
        resumed([0, 1, 2], [nd.array(g) for g in step], ws2)
    for a, b in zip(ws, ws2):
        assert np.array_equal(a.asnumpy(), b.asnumpy())
    # states alone: the optimizer stays; the states are the saved arrays
    only = mx.optimizer.get_updater(mx.optimizer.Adam())
    only.set_states(saved)
    assert sorted(only.states) == [0, 1, 2] and only.states_synced == {0: False, 1: False,
                                                                        2: False}
    assert np.array_equal(only.states[0][0].asnumpy(), pickle.loads(saved)[0][0].asnumpy())


def test_updater_moves_loaded_states_to_the_weights_device():
    updater = mx.optimizer.get_updater(mx.optimizer.SGD(momentum=0.9))
    updater(0, nd.ones(2), nd.ones(2))
    moved = mx.optimizer.get_updater(mx.optimizer.SGD(momentum=0.9))
    moved.set_states(updater.get_states())
    w = nd.ones(2, ctx=mx.cpu(1))
    moved(0, nd.ones(2, ctx=mx.cpu(1)), w)
    assert moved.states[0].context == mx.cpu(1) and moved.states_synced[0]
    assert moved.sync_state_context([None, (nd.ones(1),)], mx.cpu(2))[1][0].context == mx.cpu(2)


def test_pickled_optimizer_leaves_param_dict_behind():
    opt = mx.optimizer.SGD(param_dict={0: Param(2.0, 1.0)}, momentum=0.9)
    copy = pickle.loads(pickle.dumps(opt))
    assert copy.param_dict == {} and copy.momentum == 0.9 and opt.param_dict


def test_optimizer_errors():
    with pytest.raises(MXNetError, match='param_idx2name should be a dict'):
        mx.optimizer.SGD(param_idx2name=['fc_weight'])
    with pytest.raises(NotImplementedError):
        mx.optimizer.Optimizer().update(0, nd.ones(1), nd.ones(1), None)
