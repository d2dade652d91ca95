"""The pushes and pulls of the workers of a KVStore over time: one lane per worker.

A distributed store records its traffic when ``MXLEARN_KV_TRACE=1`` (what
``run_distributed(..., trace=True)`` sets): ``kv.trace`` is a list of
``(start, end, op, key, nbytes)``, one per key of each ``push``, ``pull`` or
``pushpull`` call, with ``time.time()`` seconds. :class:`KVStoreTimeline`
draws the traces of all the workers of a job, or of several jobs one above the
other, so that where a worker waits (a ``dist_sync`` pull held until every
worker has pushed) and where it computes (the gaps) can be seen.
"""
import numpy as np
from matplotlib.patches import Patch

from ..base import MXNetError
from .base import FigureWidget
from .controls import dropdown, range_slider
from .dashboard import compact_png

__all__ = ['KVStoreTimeline', 'ALL_KEYS', 'OPS', 'timeline_events', 'busy_time']

#: The operations a trace holds, in the order of the rows of a worker's lane.
OPS = ('push', 'pull', 'pushpull')
_COLORS = {'push': '#1f77b4', 'pull': '#ff7f0e', 'pushpull': '#2ca02c'}
# A call shorter than this fraction of the window is drawn this wide, so that
# the microsecond pushes of small keys stay visible beside long pulls.
_MIN_WIDTH = 0.002


class _AllKeys:
    """The key selector's choice that shows every key."""

    def __repr__(self):
        return 'ALL_KEYS'


#: Select every key (the default of the key selector).
ALL_KEYS = _AllKeys()


def timeline_events(trace, origin):
    """One worker's trace as arrays, times in milliseconds after ``origin`` (seconds).

    Parameters
    ----------
    trace : list of (start, end, op, key, nbytes)
        As a distributed KVStore records it in ``kv.trace``.
    origin : float
        The time (seconds) that becomes 0.

    Returns
    -------
    dict
        ``start``, ``end`` (float ms), ``op`` (str), ``key`` (object) and
        ``nbytes`` (int) arrays, one entry per call, in the trace's order.

    Examples
    --------
    >>> ev = timeline_events([(10.0, 10.002, 'push', 'w', 400)], origin=10.0)
    >>> ev['start'].tolist(), ev['end'].round(6).tolist(), ev['op'].tolist()
    ([0.0], [2.0], ['push'])
    """
    rows = list(trace)
    for row in rows:
        if len(row) != 5 or row[2] not in OPS:
            raise MXNetError('a KVStore trace entry is (start, end, op, key, nbytes) with op '
                             'one of %s, got %r' % (', '.join(OPS), row))
    keys = np.empty(len(rows), dtype=object)
    keys[:] = [row[3] for row in rows]
    return {'start': np.array([(r[0] - origin) * 1e3 for r in rows], dtype=np.float64),
            'end': np.array([(r[1] - origin) * 1e3 for r in rows], dtype=np.float64),
            'op': np.array([r[2] for r in rows], dtype=object),
            'key': keys,
            'nbytes': np.array([r[4] for r in rows], dtype=np.int64)}


def busy_time(start, end):
    """Total length of the union of the intervals ``[start[i], end[i]]``.

    The keys of one list call are in flight together: their intervals
    overlap, and the time spent in the store counts once.

    Examples
    --------
    >>> busy_time([0, 1, 5], [2, 3, 6])
    4.0
    >>> busy_time([], [])
    0.0
    """
    order = np.argsort(start, kind='stable')
    total, cur_lo, cur_hi = 0.0, None, None
    for lo, hi in zip(np.asarray(start, dtype=float)[order], np.asarray(end, dtype=float)[order]):
        if cur_hi is None or lo > cur_hi:
            if cur_hi is not None:
                total += cur_hi - cur_lo
            cur_lo, cur_hi = lo, hi
        else:
            cur_hi = max(cur_hi, hi)
    if cur_hi is not None:
        total += cur_hi - cur_lo
    return float(total)


def _runs(traces):
    """``{run name: [per-worker events]}`` from one job's traces or a dict of them."""
    named = traces if isinstance(traces, dict) else {'': traces}
    if not named:
        raise MXNetError('KVStoreTimeline needs the traces of at least one job')
    runs = {}
    for name, job in named.items():
        if not isinstance(job, (list, tuple)) or not job:
            raise MXNetError('the traces of a job are a list with one trace per worker (what '
                             'run_distributed(..., trace=True) returns), got %r' % (job,))
        for rank, trace in enumerate(job):
            if trace is None:
                raise MXNetError('worker %d recorded no trace: run the job with '
                                 'run_distributed(..., trace=True) (MXLEARN_KV_TRACE=1)' % rank)
        starts = [row[0] for trace in job for row in trace]
        origin = min(starts) if starts else 0.0
        runs[name] = [timeline_events(trace, origin) for trace in job]
    return runs


class KVStoreTimeline(FigureWidget):
    """The calls of each worker to a KVStore over time, with a key selector and a time window.

    Each worker has a lane with a row per operation (push, pull, pushpull);
    each call is a bar from its start to its end, in milliseconds since the
    job's first call. The right margin sums up each worker: its calls, the
    bytes it moved, and the part of the time it spent inside the store.

    Parameters
    ----------
    traces : list, or dict of str to list
        One job's traces, ``traces[r]`` being worker ``r``'s list of
        ``(start, end, op, key, nbytes)`` (``run_distributed(...,
        trace=True)`` returns them), or several jobs by name (drawn one above
        the other, each from its own first call).
    key : int or str, optional
        Show only this key's calls (default: every key).
    window : (float, float), optional
        The time interval shown, in ms (default: everything).
    key_names : dict, optional
        Key -> label for the key selector (e.g. parameter names).
    title : str, optional

    Attributes
    ----------
    runs : dict
        Job name -> list, per worker, of the arrays of :func:`timeline_events`.
    bars : dict
        ``(job, worker, op)`` -> ``[(start, width), ...]`` of the last picture.
    summary : dict
        ``(job, worker)`` -> ``{'calls', 'nbytes', 'busy_ms', 'span_ms'}`` for
        the selected key, over the whole job.

    Examples
    --------
    >>> trace = [[(0.0, 0.001, 'push', 0, 40), (0.001, 0.004, 'pull', 0, 40)],
    ...          [(0.0005, 0.001, 'push', 0, 40), (0.001, 0.004, 'pull', 0, 40)]]
    >>> w = KVStoreTimeline(trace)
    >>> sorted(w.bars)[:2]
    [('', 0, 'pull'), ('', 0, 'push')]
    >>> w.summary[('', 1)]['calls'], w.summary[('', 1)]['nbytes']
    (2, 80)
    """

    def __init__(self, traces, key=None, window=None, key_names=None, title=None):
        self.runs = _runs(traces)
        self.title = title
        self.bars = {}
        self.summary = {}
        key_names = dict(key_names or {})
        keys = []
        for job in self.runs.values():
            for events in job:
                for k in events['key']:
                    if k not in keys:
                        keys.append(k)
        keys.sort(key=lambda k: (isinstance(k, str), k))
        if key is not None and key not in keys:
            raise MXNetError('KVStoreTimeline: key %r is not in the traces (keys: %s)'
                             % (key, ', '.join(map(repr, keys))))
        lanes = max(len(job) for job in self.runs.values())
        super().__init__(figsize=(9.0, 0.6 + 0.55 * lanes * len(self.runs)
                                  + 0.35 * len(self.runs)))
        options = [('all keys', ALL_KEYS)] + [(str(key_names.get(k, k)), k) for k in keys]
        self.add_control('key', dropdown('key', options, ALL_KEYS if key is None else key))
        end = max([float(ev['end'].max()) for job in self.runs.values() for ev in job
                   if len(ev['end'])] or [1.0])
        end = max(end, 1e-3)
        lo, hi = (0.0, end) if window is None else (float(window[0]), float(window[1]))
        lo, hi = max(lo, 0.0), min(hi, end)
        if not lo < hi:
            raise MXNetError('KVStoreTimeline: window must be (start, end) in ms with start < '
                             'end, inside the traces (0 to %.3g ms), got %r' % (end, window))
        slider = range_slider('window (ms)', (lo, hi), 0.0, end)
        self.add_control('window', slider)
        self.redraw()

    def _selected(self, events):
        key = self.values['key']
        if key is ALL_KEYS:
            return np.ones(len(events['key']), dtype=bool)
        return np.array([k == key for k in events['key']], dtype=bool)

    def draw(self):
        lo, hi = self.values['window']
        hi = max(hi, lo + 1e-6)
        min_width = _MIN_WIDTH * (hi - lo)
        self.bars, self.summary = {}, {}
        names = list(self.runs)
        axes = []
        for i, name in enumerate(names):
            ax = self.figure.add_subplot(len(names), 1, i + 1,
                                         sharex=axes[0] if axes else None)
            axes.append(ax)
            self._draw_run(ax, name, lo, hi, min_width)
        for ax in axes:
            ax.set_xlim(lo, hi)
            ax.tick_params(labelsize=7)
        axes[-1].set_xlabel("time since the job's first call (ms)", fontsize=8)
        used = [op for op in OPS
                if any((ev['op'] == op).any() for job in self.runs.values() for ev in job)]
        self.figure.legend(handles=[Patch(color=_COLORS[op], label=op) for op in used],
                           fontsize=7, loc='upper right', ncol=len(used), frameon=False,
                           bbox_to_anchor=(0.99, 1.0))
        if self.title:
            self.figure.suptitle(self.title, fontsize=9, x=0.09, y=0.99, ha='left')
        inch = 1.0 / self.figure.get_figheight()
        self.figure.subplots_adjust(left=0.09, right=0.74,
                                    top=1 - (0.6 if self.title else 0.4) * inch,
                                    bottom=0.45 * inch, hspace=0.35 / 0.55 / max(
                                        len(job) for job in self.runs.values()) + 0.2)

    def _draw_run(self, ax, name, lo, hi, min_width):
        job = self.runs[name]
        rows = [op for op in OPS if any((ev['op'] == op).any() for ev in job)] or ['push']
        height = 0.8 / len(rows)
        for worker, events in enumerate(job):
            chosen = self._selected(events)
            # The y axis points down: row 0 (push) is the top of the lane.
            top = worker - 0.4
            for r, op in enumerate(rows):
                pick = chosen & (events['op'] == op)
                start, end = events['start'][pick], events['end'][pick]
                spans = [(s, max(e - s, min_width)) for s, e in zip(start, end)
                         if e >= lo and s <= hi]
                self.bars[(name, worker, op)] = spans
                if spans:
                    ax.broken_barh(spans, (top + (r + 0.05) * height, height * 0.9),
                                   facecolors=_COLORS[op], linewidth=0)
            span = float(events['end'].max() - events['start'].min()) if len(chosen) else 0.0
            busy = busy_time(events['start'][chosen], events['end'][chosen])
            stats = {'calls': int(chosen.sum()), 'nbytes': int(events['nbytes'][chosen].sum()),
                     'busy_ms': busy, 'span_ms': span}
            self.summary[(name, worker)] = stats
            ax.text(1.01, worker, '%d calls · %s · %.0f%% in the store'
                    % (stats['calls'], _format_bytes(stats['nbytes']),
                       100 * busy / span if span else 0.0),
                    transform=ax.get_yaxis_transform(), fontsize=7, va='center')
        ax.set_ylim(len(job) - 0.5, -0.5)
        ax.set_yticks(range(len(job)))
        ax.set_yticklabels(['worker %d' % w for w in range(len(job))], fontsize=7)
        ax.grid(axis='x', alpha=0.3)
        if name:
            ax.set_title(name, fontsize=8, loc='left')

    def png(self):
        return compact_png(self.figure)

    def __repr__(self):
        key = self.values['key']
        return '<KVStoreTimeline: %d job(s), %s>' % (
            len(self.runs), 'all keys' if key is ALL_KEYS else 'key %r' % (key,))


def _format_bytes(n):
    """``1536`` -> ``'1.5 kB'``.

    Examples
    --------
    >>> _format_bytes(512), _format_bytes(1536), _format_bytes(2_500_000)
    ('512 B', '1.5 kB', '2.5 MB')
    """
    for unit, size in (('MB', 1e6), ('kB', 1e3)):
        if n >= size:
            return '%.1f %s' % (n / size, unit)
    return '%d B' % n
