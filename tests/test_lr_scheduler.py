"""mx.lr_scheduler: the rate at chosen steps, warm-up, statefulness, errors."""
import math

import pytest

import mxlearn as mx
import mxlearn.lr_scheduler
from mxlearn.base import MXNetError

L = mx.lr_scheduler


def rates(scheduler, steps):
    return [scheduler(n) for n in steps]


def test_factor_scheduler():
    s = L.FactorScheduler(step=3, factor=0.5, base_lr=1.0)
    # the rate changes after every `step` updates: at 4, 7, 10, ...
    assert rates(s, range(1, 11)) == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]
    assert s.count == 9
    floor = L.FactorScheduler(step=1, factor=0.1, stop_factor_lr=1e-3, base_lr=1.0)
    assert rates(floor, [1, 2, 3, 4, 5]) == pytest.approx([1, 0.1, 0.01, 1e-3, 1e-3])


def test_factor_scheduler_catches_up_and_logs(caplog):
    s = L.FactorScheduler(step=10, factor=0.5, base_lr=1.0)
    with caplog.at_level('INFO'):
        assert s(35) == 0.125          # resuming at update 35 applies three changes at once
    assert 'Update[35]: Change learning rate to 1.25000e-01' in caplog.text
    assert s(20) == 0.125              # stateful: it does not go back


def test_multifactor_scheduler():
    s = L.MultiFactorScheduler(step=[2, 5, 6], factor=0.1, base_lr=1.0)
    assert rates(s, range(1, 9)) == pytest.approx([1, 1, 0.1, 0.1, 0.1, 0.01, 1e-3, 1e-3])
    assert s.cur_step_ind == 3 and s.count == 6


@pytest.mark.parametrize('pwr', [1, 2, 0.5])
def test_poly_scheduler(pwr):
    s = L.PolyScheduler(max_update=10, base_lr=0.5, pwr=pwr, final_lr=0.1)
    for n in (0, 3, 7, 10):
        assert s(n) == pytest.approx(0.1 + 0.4 * (1 - n / 10) ** pwr)
    assert s(15) == pytest.approx(0.1)


def test_cosine_scheduler():
    s = L.CosineScheduler(max_update=8, base_lr=1.0, final_lr=0.2)
    for n in (0, 2, 4, 8):
        assert s(n) == pytest.approx(0.2 + 0.8 * (1 + math.cos(math.pi * n / 8)) / 2)
    assert s(100) == pytest.approx(0.2)        # past max_update: the final rate
    assert s(4) == pytest.approx(0.6)


@pytest.mark.parametrize('make', [
    lambda **w: L.FactorScheduler(step=100, base_lr=0.8, **w),
    lambda **w: L.MultiFactorScheduler(step=[100], base_lr=0.8, **w),
    lambda **w: L.PolyScheduler(max_update=100, base_lr=0.8, **w),
    lambda **w: L.CosineScheduler(max_update=100, base_lr=0.8, **w),
], ids=['factor', 'multifactor', 'poly', 'cosine'])
def test_warmup(make):
    linear = make(warmup_steps=4, warmup_begin_lr=0.4)
    assert rates(linear, [0, 1, 2, 3]) == pytest.approx([0.4, 0.5, 0.6, 0.7])
    assert linear(4) == pytest.approx(0.8)
    constant = make(warmup_steps=3, warmup_begin_lr=0.1, warmup_mode='constant')
    assert rates(constant, [0, 2]) == [0.1, 0.1] and constant(3) == pytest.approx(0.8)


def test_decay_starts_after_the_warmup():
    s = L.PolyScheduler(max_update=12, base_lr=1.0, pwr=1, warmup_steps=4)
    assert rates(s, [3, 4, 8, 12]) == pytest.approx([0.75, 1.0, 0.5, 0.0])
    # FactorScheduler counts its steps from update 0, warm-up included
    s = L.FactorScheduler(step=2, factor=0.5, base_lr=1.0, warmup_steps=3)
    assert rates(s, [2, 3, 4, 5]) == pytest.approx([2 / 3, 0.5, 0.5, 0.25])


def test_scheduler_errors():
    with pytest.raises(MXNetError, match='higher than warmup_begin_lr'):
        L.LRScheduler(base_lr=0.1, warmup_begin_lr=0.2)
    with pytest.raises(MXNetError, match='positive or 0'):
        L.LRScheduler(warmup_steps=-1)
    with pytest.raises(MXNetError, match='linear and constant'):
        L.LRScheduler(warmup_mode='cosine')
    with pytest.raises(MXNetError, match='greater or equal than 1'):
        L.FactorScheduler(step=0)
    with pytest.raises(MXNetError, match='no more than 1'):
        L.FactorScheduler(step=1, factor=2)
    with pytest.raises(MXNetError, match='increasing'):
        L.MultiFactorScheduler(step=[5, 3])
    with pytest.raises(MXNetError, match='non-empty list'):
        L.MultiFactorScheduler(step=5)
    with pytest.raises(MXNetError, match='strictly positive'):
        L.CosineScheduler(max_update=0)
    with pytest.raises(MXNetError, match='must be an int'):
        L.PolyScheduler(max_update=10.0)
    with pytest.raises(NotImplementedError):
        L.LRScheduler()(1)
