"""KVStoreTimeline: traces of pushes and pulls drawn per worker, without a browser or a kernel.

Most tests draw hand-made traces (``(start, end, op, key, nbytes)``, seconds),
so that every bar and every number can be predicted; one runs a real
2-worker job and draws what its stores recorded.
"""
import base64
import shutil

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from mxlearn.base import MXNetError
from mxlearn.widgets import KVStoreTimeline
from mxlearn.widgets.kvstore import ALL_KEYS, busy_time, timeline_events

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
T0 = 1000.0     # seconds: the traces' clock is time.time()


def job(offset=0.0):
    """Two workers, two steps each: push keys 0 and 1 together, then pull them together."""
    traces = []
    for worker in range(2):
        t = T0 + offset + 0.001 * worker
        trace = []
        for step in range(2):
            base = t + 0.010 * step
            trace += [(base, base + 0.002, 'push', 0, 400), (base + 0.0005, base + 0.002,
                                                             'push', 1, 40),
                      (base + 0.003, base + 0.006, 'pull', 0, 400),
                      (base + 0.003, base + 0.006, 'pull', 1, 40)]
        traces.append(trace)
    return traces


def assert_bars(bars, expected):
    """``bars`` (a list of (start, width)) are ``expected``, to float rounding of the ms."""
    assert np.allclose(np.reshape(bars, (-1, 2)), np.reshape(expected, (-1, 2)),
                       rtol=0, atol=1e-6), bars


def assert_static_picture(widget):
    assert bytes(widget.image.value).startswith(PNG_MAGIC)
    bundle = widget._repr_mimebundle_()
    assert base64.b64decode(bundle['image/png']) == widget.image.value
    assert 'application/vnd.jupyter.widget-view+json' in bundle


def test_events_are_in_milliseconds_since_the_origin():
    ev = timeline_events([(T0 + 0.5, T0 + 0.75, 'pull', 'w', 8)], origin=T0)
    assert ev['start'].tolist() == [500.0]
    assert ev['end'].tolist() == [750.0]
    assert ev['op'].tolist() == ['pull'] and ev['key'].tolist() == ['w']
    assert ev['nbytes'].tolist() == [8]


def test_busy_time_counts_overlapping_calls_once():
    assert busy_time([0, 1, 5], [2, 3, 6]) == 4.0
    assert busy_time([0, 0.5], [3, 1]) == 3.0          # one call inside another
    assert busy_time([2, 0], [3, 1]) == 2.0            # any order


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 10)), max_size=12))
def test_busy_time_is_the_length_of_the_union(intervals):
    start = [s for s, _ in intervals]
    end = [s + length for s, length in intervals]
    covered = np.zeros(60, dtype=bool)
    for s, e in zip(start, end):
        covered[s:e] = True
    assert busy_time(start, end) == covered.sum()


def test_one_lane_per_worker_with_every_call_as_a_bar():
    w = KVStoreTimeline(job())
    assert list(w.runs) == ['']
    for worker in range(2):
        # worker 1 starts 1 ms after worker 0: times count from the job's first call
        first = 1.0 * worker
        assert_bars(w.bars[('', worker, 'push')],
                    [(first, 2.0), (first + 0.5, 1.5), (first + 10, 2.0), (first + 10.5, 1.5)])
        assert len(w.bars[('', worker, 'pull')]) == 4
        assert ('', worker, 'pushpull') not in w.bars      # no row for an op never used
    ax = w.figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ['worker 0', 'worker 1']
    assert_static_picture(w)


def test_summary_per_worker():
    w = KVStoreTimeline(job())
    stats = w.summary[('', 1)]
    assert stats['calls'] == 8
    assert stats['nbytes'] == 2 * (400 + 40 + 400 + 40)
    # each step: pushes over [0, 2] ms and pulls over [3, 6] ms, two steps
    assert stats['busy_ms'] == pytest.approx(10.0)
    assert stats['span_ms'] == pytest.approx(16.0)


def test_the_key_selector_filters_the_bars_and_the_summary():
    w = KVStoreTimeline(job(), key_names={0: 'weight', 1: 'bias'})
    labels = [label for label, _ in w.controls['key'].options]
    assert labels == ['all keys', 'weight', 'bias']
    assert w.values['key'] is ALL_KEYS
    w.controls['key'].value = 1
    assert_bars(w.bars[('', 0, 'push')], [(0.5, 1.5), (10.5, 1.5)])
    assert w.summary[('', 0)]['nbytes'] == 2 * (40 + 40)
    assert repr(w) == '<KVStoreTimeline: 1 job(s), key 1>'


def test_the_window_sets_the_time_axis_and_drops_calls_outside_it():
    w = KVStoreTimeline(job(), key=0, window=(9.0, 14.0))
    assert w.figure.axes[0].get_xlim() == pytest.approx((9.0, 14.0))
    # worker 0's second step only: push [10, 12] and pull [13, 16]
    assert_bars(w.bars[('', 0, 'push')], [(10.0, 2.0)])
    assert_bars(w.bars[('', 0, 'pull')], [(13.0, 3.0)])
    w.controls['window'].value = (0.0, 5.0)
    assert w.figure.axes[0].get_xlim() == pytest.approx((0.0, 5.0))
    assert_bars(w.bars[('', 0, 'push')], [(0.0, 2.0)])


def test_very_short_calls_stay_visible():
    trace = [[(T0, T0 + 1e-6, 'push', 'w', 4), (T0 + 0.001, T0 + 0.1, 'pull', 'w', 4)]]
    w = KVStoreTimeline(trace)
    (start, width), = w.bars[('', 0, 'push')]
    assert start == 0.0 and width == pytest.approx(0.002 * 100.0)


def test_several_jobs_are_drawn_one_above_the_other_from_their_own_start():
    w = KVStoreTimeline({'dist_sync': job(), 'dist_async': job(offset=50.0),
                         'pushpull': [[(T0, T0 + 0.004, 'pushpull', 0, 800)]]},
                        title='three jobs')
    assert len(w.figure.axes) == 3
    assert [ax.get_title(loc='left') for ax in w.figure.axes] == ['dist_sync', 'dist_async',
                                                                  'pushpull']
    assert_bars(w.bars[('dist_async', 0, 'push')], w.bars[('dist_sync', 0, 'push')])
    assert_bars(w.bars[('pushpull', 0, 'pushpull')], [(0.0, 4.0)])
    assert w.summary[('pushpull', 0)]['calls'] == 1
    assert_static_picture(w)


def test_str_and_int_keys_are_listed_in_order():
    traces = [[(T0, T0 + 0.001, 'push', 'b', 4), (T0, T0 + 0.001, 'push', 'a', 4)]]
    w = KVStoreTimeline(traces, key='b')
    assert [v for _, v in w.controls['key'].options][1:] == ['a', 'b']
    assert w.summary[('', 0)]['calls'] == 1


@pytest.mark.parametrize('traces, kwargs, match', [
    ([None, []], {}, 'worker 0 recorded no trace'),
    ([[(T0, T0 + 1, 'send', 0, 4)]], {}, 'op one of push, pull, pushpull'),
    ([[(T0, T0 + 1, 'push', 0)]], {}, r'\(start, end, op, key, nbytes\)'),
    ({}, {}, 'at least one job'),
    ([], {}, 'one trace per worker'),
    (job(), {'key': 7}, 'key 7 is not in the traces'),
    (job(), {'window': (100.0, 200.0)}, 'inside the traces'),
    (job(), {'window': (5.0, 5.0)}, 'start < end'),
])
def test_bad_input_is_refused_with_a_clear_message(traces, kwargs, match):
    with pytest.raises(MXNetError, match=match):
        KVStoreTimeline(traces, **kwargs)


@pytest.mark.dist
@pytest.mark.skipif(shutil.which('mpiexec') is None, reason='needs mpi4py and mpiexec')
def test_the_traces_of_a_real_job():
    pytest.importorskip('mpi4py')
    from mxlearn.kvstore.spawn import run_distributed
    results, traces = run_distributed(_two_steps, num_workers=2, num_servers=1,
                                      mode='dist_sync', trace=True, timeout=120,
                                      output=lambda line: None)
    assert results == [[3.0, 3.0]] * 2         # 1 + 2, pushed by the two workers
    w = KVStoreTimeline(traces, key='w')
    for worker in range(2):
        assert len(w.bars[('', worker, 'push')]) == 2
        assert len(w.bars[('', worker, 'pull')]) == 2
        assert w.summary[('', worker)]['nbytes'] == 4 * 2 * 4   # 2 floats, 4 calls
    # a dist_sync pull ends after every worker's push of its round has started
    pushes = sorted(ev[0] for trace in traces for ev in trace if ev[2] == 'push')
    last_pull_end = max(ev[1] for trace in traces for ev in trace if ev[2] == 'pull')
    assert last_pull_end >= pushes[-1]
    assert_static_picture(w)


def _two_steps(kv):
    import mxlearn as mx
    kv.init('w', mx.nd.zeros(2))
    out = mx.nd.zeros(2)
    for _ in range(2):
        kv.push('w', mx.nd.ones(2) * (kv.rank + 1))     # no updater: the value is the sum
        kv.pull('w', out=out)
    return out.asnumpy().tolist()
