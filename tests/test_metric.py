"""mx.metric: each metric against hand-computed values over several updates, resets, create."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mxlearn as mx
import mxlearn.metric
from mxlearn.base import MXNetError

M = mx.metric
nd = mx.nd
SETTINGS = settings(max_examples=25, deadline=None)


@pytest.fixture
def registry():
    """Let a test register metrics without leaving them behind."""
    saved = dict(M.base._REGISTRY)
    yield
    M.base._REGISTRY.clear()
    M.base._REGISTRY.update(saved)


def value(metric):
    return metric.get()[1]


def global_value(metric):
    return metric.get_global()[1]


# ----------------------------------------------------------- EvalMetric --

class Count(M.EvalMetric):
    """Counts the prediction arrays; keeps no global sums."""

    def update(self, labels, preds):
        self.sum_metric += 2 * len(preds)
        self.num_inst += len(preds)


def test_eval_metric_base():
    m = Count('count', output_names=['b'], label_names=['y'])
    assert m.get()[0] == 'count' and math.isnan(value(m))
    m.update_dict({'x': 0, 'y': 1}, {'a': 0, 'b': 1})
    assert m.get() == ('count', 2.0) and m.num_inst == 1
    assert m.get_global() == m.get()              # no global sums: get_global is get
    assert m.get_name_value() == [('count', 2.0)] == m.get_global_name_value()
    assert str(m) == "EvalMetric: {'count': 2.0}"
    assert m.get_config() == {'metric': 'Count', 'name': 'count', 'output_names': ['b'],
                              'label_names': ['y']}
    with pytest.raises(NotImplementedError, match='EvalMetric must define update'):
        M.EvalMetric('x').update([], [])


def test_update_dict_picks_named_arrays():
    acc = M.Accuracy(output_names=['out2'], label_names=['lab2'])
    acc.update_dict({'lab1': nd.array([0, 0]), 'lab2': nd.array([1, 1])},
                    {'out1': nd.array([[0, 1], [0, 1]]), 'out2': nd.array([[0, 1], [1, 0]])})
    assert value(acc) == 0.5
    every = M.Accuracy()
    every.update_dict({'a': nd.array([1])}, {'b': nd.array([[0, 1]])})
    assert value(every) == 1.0


def test_check_label_shapes():
    with pytest.raises(MXNetError, match='got 2 labels but 1 predictions'):
        M.Accuracy().update([nd.array([0]), nd.array([1])], [nd.array([[1, 0]])])
    with pytest.raises(MXNetError, match=r'labels of shape \(2,\) do not match predictions of '
                                         r'shape \(3,\)'):
        M.check_label_shapes(np.zeros(2), np.zeros(3), shape=True)


# ------------------------------------------------------- classification --

def test_accuracy_over_batches_with_local_and_global():
    acc = M.Accuracy()
    acc.update([nd.array([0, 1, 1])], [nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])   # 2 / 3
    assert value(acc) == pytest.approx(2 / 3)
    acc.update(nd.array([2, 0]), nd.array([[0.1, 0.2, 0.7], [0.5, 0.4, 0.1]]))      # 2 / 2
    assert value(acc) == pytest.approx(4 / 5) and acc.num_inst == 5
    acc.reset_local()
    assert math.isnan(value(acc)) and global_value(acc) == pytest.approx(4 / 5)
    acc.update(nd.array([1, 1]), nd.array([[1, 0], [0, 1]]))                        # 1 / 2
    assert value(acc) == 0.5 and global_value(acc) == pytest.approx(5 / 7)
    assert acc.global_sum_metric == 5 and acc.global_num_inst == 7
    acc.reset()
    assert math.isnan(value(acc)) and math.isnan(global_value(acc))


def test_accuracy_label_predictions_axis_and_several_outputs():
    acc = M.Accuracy()
    # predictions shaped like the labels are class indices, truncated to int32
    acc.update([nd.array([1, 3, 3])], [nd.array([1, 2.9, 0])])      # 2.9 counts as 2
    assert value(acc) == pytest.approx(1 / 3)
    # the class axis can be elsewhere: (batch, classes, time) scores, (batch, time) labels
    scores = np.zeros((2, 3, 4), dtype=np.float32)
    truth = np.array([[0, 1, 2, 0], [2, 2, 1, 0]])
    scores[np.arange(2)[:, None], truth, np.arange(4)] = 1
    scores[0, 1, 0] = 2                                  # one wrong
    seq = M.Accuracy(axis=1)
    seq.update(nd.array(truth), nd.array(scores))
    assert value(seq) == 7 / 8
    # several outputs are pooled sample by sample; numpy inputs work too
    multi = M.Accuracy()
    multi.update([nd.array([0]), np.array([1, 1, 0])],
                 [nd.array([[1, 0]]), np.array([[0, 1], [1, 0], [1, 0]])])
    assert value(multi) == 3 / 4
    with pytest.raises(MXNetError, match='got 3 labels but 2 predictions'):
        M.Accuracy().update(nd.array([0, 1, 1]), nd.array([[1, 0], [0, 1]]))


@SETTINGS
@given(sizes=st.lists(st.integers(1, 8), min_size=1, max_size=4), classes=st.integers(2, 5),
       seed=st.integers(0, 2 ** 16))
def test_accuracy_matches_numpy(sizes, classes, seed):
    rs = np.random.RandomState(seed)
    acc, hits = M.Accuracy(), 0
    for n in sizes:
        labels, scores = rs.randint(0, classes, n), rs.rand(n, classes)
        acc.update(nd.array(labels), nd.array(scores, dtype='float64'))
        hits += (scores.argmax(1) == labels).sum()
    assert value(acc) == pytest.approx(hits / sum(sizes))


def test_top_k_accuracy():
    scores = nd.array([[0.1, 0.5, 0.4, 0.0],      # order: 1, 2, 0, 3
                       [0.3, 0.2, 0.1, 0.4],      # 3, 0, 1, 2
                       [0.25, 0.35, 0.3, 0.1]])   # 1, 2, 0, 3
    top2 = M.TopKAccuracy(top_k=2)
    top2.update(nd.array([2, 1, 0]), scores)      # hit, miss, miss
    assert top2.get() == ('top_k_accuracy_2', 1 / 3)
    top2.update(nd.array([3]), nd.array([[0, 0.1, 0.2, 0.9]]))
    assert value(top2) == 0.5 and global_value(top2) == 0.5
    top3 = M.create('top_k_acc', top_k=3)
    top3.update(nd.array([2, 1, 0]), scores)      # hit, hit, hit
    assert value(top3) == 1.0
    everything = M.TopKAccuracy(top_k=9)          # more than the classes: all hits
    everything.update(nd.array([3, 2, 0]), scores)
    assert value(everything) == 1.0
    assert M.create(**top3.get_config()).name == 'top_k_accuracy_3'
    with pytest.raises(MXNetError, match='top_k > 1, got 1; use Accuracy'):
        M.TopKAccuracy()
    with pytest.raises(MXNetError, match=r'\(batch, classes\) predictions, got shape \(1, 2, 2\)'):
        top2.update(nd.array([0]), nd.zeros((1, 2, 2)))


def binary(pred_classes):
    """(batch, 2) scores that predict the given classes."""
    pred_classes = np.asarray(pred_classes)
    return nd.array(np.stack([1 - pred_classes, pred_classes], axis=1) * 0.6 + 0.2)


# Two batches. Batch 1: TP=2 FP=1 FN=1 TN=1 -> P=2/3 R=2/3 F1=2/3,
#   MCC=(2*1-1*1)/sqrt(3*3*2*2)=1/6.
# Batch 2: TP=1 FP=0 FN=2 TN=1 -> P=1 R=1/3 F1=1/2, MCC=(1*1-0)/sqrt(1*3*1*3)=1/3.
# Pooled: TP=3 FP=1 FN=3 TN=2 -> P=3/4 R=1/2 F1=3/5, MCC=(6-3)/sqrt(4*6*3*5)=3/sqrt(360).
# Pooled with batch 2 twice: TP=4 FP=1 FN=5 TN=3 -> F1=4/7, MCC=(12-5)/sqrt(5*9*4*8).
BATCH1 = ([1, 1, 1, 0, 0], [1, 1, 0, 1, 0])
BATCH2 = ([1, 1, 1, 0], [1, 0, 0, 0])


@pytest.mark.parametrize('cls, name, batch1, batch2, pooled, regrown', [
    (M.F1, 'f1', 2 / 3, 1 / 2, 3 / 5, 4 / 7),
    (M.MCC, 'mcc', 1 / 6, 1 / 3, 3 / math.sqrt(360), 7 / math.sqrt(1440))])
def test_binary_metrics_macro_and_micro(cls, name, batch1, batch2, pooled, regrown):
    macro, micro = cls(), cls(average='micro')
    for m in (macro, micro):
        for labels, classes in (BATCH1, BATCH2):
            m.update([nd.array(labels)], [binary(classes)])
    assert macro.get() == (name, pytest.approx((batch1 + batch2) / 2))   # mean over batches
    assert micro.get() == (name, pytest.approx(pooled))                  # pooled counts
    assert micro.num_inst == 9
    for m in (macro, micro):
        m.reset_local()
        assert math.isnan(value(m))
        m.update(nd.array(BATCH2[0]), binary(BATCH2[1]))
        assert value(m) == pytest.approx(batch2)
    assert global_value(macro) == pytest.approx((batch1 + 2 * batch2) / 3)
    assert global_value(micro) == pytest.approx(regrown)      # the global counts kept growing
    micro.reset()
    assert math.isnan(global_value(micro))


def test_binary_metric_edge_cases():
    f1 = M.F1()
    f1.update(nd.array([0, 0]), binary([0, 0]))        # no positives at all: F1 counts as 0
    assert value(f1) == 0.0
    mcc = M.MCC()
    mcc.update(nd.array([1, 1]), binary([1, 1]))       # zero factors of the denominator -> 1
    assert value(mcc) == 0.0
    perfect = M.MCC()
    perfect.update(nd.array([[1], [0]]), binary([1, 0]))   # (n, 1) labels are flattened
    assert value(perfect) == 1.0
    with pytest.raises(MXNetError, match=r'only binary classification .* got labels \[0, 1, 2\]'):
        M.F1().update(nd.array([0, 1, 2]), nd.zeros((3, 3)))
    with pytest.raises(MXNetError, match=r'\(batch, 2\) class scores .* got shape \(3,\)'):
        M.MCC().update(nd.array([0, 1, 1]), nd.array([0, 1, 1]))
    with pytest.raises(MXNetError, match="average must be 'macro' or 'micro', got 'weighted'"):
        M.F1(average='weighted')


# ----------------------------------------------------------- regression --

def test_mae_mse_rmse_average_per_batch():
    batches = [([1, 2, 3], [2, 2, 5]),     # errors 1, 0, 2
               ([0], [4])]                 # error 4
    metrics = {'mae': M.MAE(), 'mse': M.MSE(), 'rmse': M.RMSE()}
    for labels, preds in batches:
        for m in metrics.values():
            m.update([nd.array(labels)], [nd.array(preds)])
    assert value(metrics['mae']) == pytest.approx((1 + 4) / 2)            # not 7 / 4
    assert value(metrics['mse']) == pytest.approx((5 / 3 + 16) / 2)
    assert value(metrics['rmse']) == pytest.approx((math.sqrt(5 / 3) + 4) / 2)
    for m in metrics.values():
        assert m.num_inst == 2
        m.reset_local()
        m.update(nd.array([0, 0]), nd.array([3, 4]))
    assert value(metrics['rmse']) == pytest.approx(math.sqrt(12.5))
    assert global_value(metrics['mae']) == pytest.approx((1 + 4 + 3.5) / 3)


def test_regression_shapes():
    m = M.MSE()
    m.update(nd.array([1, 2]), nd.array([[1], [4]]))          # (n,) against (n, 1)
    assert value(m) == 2.0
    wide = M.MAE()
    wide.update(nd.array([[1, 2, 3]]), nd.array([[0, 2, 6]]))
    assert value(wide) == pytest.approx(4 / 3)
    with pytest.raises(MXNetError, match=r'labels of shape \(2, 1\) and predictions of shape '
                                         r'\(3, 1\) do not broadcast'):
        M.MAE().update(nd.array([1, 2]), nd.array([1, 2, 3]))


def test_pearson_correlation():
    b1 = (np.array([1., 2, 3, 4]), np.array([1., 3, 2, 5]))
    b2 = (np.array([0., 1, 5]), np.array([2., 1, 0]))
    macro, micro = M.PearsonCorrelation(), M.create('pearsonr', average='micro')
    for m in (macro, micro):
        for label, pred in (b1, b2):
            m.update([nd.array(label)], [nd.array(pred)])
    r1, r2 = np.corrcoef(*b1)[0, 1], np.corrcoef(*b2)[0, 1]
    pooled = np.corrcoef(np.concatenate([b1[0], b2[0]]), np.concatenate([b1[1], b2[1]]))[0, 1]
    assert value(macro) == pytest.approx((r1 + r2) / 2)
    assert value(micro) == pytest.approx(pooled) == global_value(micro)
    micro.reset_local()
    micro.update(nd.array(b2[0]), nd.array(b2[1]))
    assert value(micro) == pytest.approx(r2) and global_value(micro) != pytest.approx(r2)
    micro.reset()
    assert math.isnan(value(micro)) and math.isnan(global_value(micro))
    with pytest.raises(MXNetError, match=r'labels of shape \(3,\) do not match predictions of '
                                         r'shape \(3, 1\)'):
        macro.update(nd.array([1, 2, 3]), nd.array([[1], [2], [3]]))


@SETTINGS
@given(sizes=st.lists(st.integers(2, 10), min_size=1, max_size=4), seed=st.integers(0, 2 ** 16))
def test_pearson_micro_streams_exactly(sizes, seed):
    rs = np.random.RandomState(seed)
    data = [(rs.randn(n), rs.randn(n)) for n in sizes]
    m = M.PearsonCorrelation(average='micro')
    for label, pred in data:
        m.update(nd.array(label, dtype='float64'), nd.array(pred, dtype='float64'))
    x, y = (np.concatenate(parts) for parts in zip(*data))
    assert value(m) == pytest.approx(np.corrcoef(x, y)[0, 1], abs=1e-9)


# --------------------------------------------------------- probabilities --

def test_cross_entropy_and_nll():
    probs = nd.array([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]])
    for m, name in ((M.CrossEntropy(), 'cross-entropy'), (M.create('nll_loss'), 'nll-loss')):
        m.update(nd.array([0, 1]), probs)
        m.update([nd.array([2])], [nd.array([[0.2, 0.4, 0.4]])])
        expected = -(math.log(0.5) + math.log(0.8) + math.log(0.4)) / 3
        assert m.get() == (name, pytest.approx(expected))
        assert m.num_inst == 3
        m.reset_local()
        m.update(nd.array([1]), nd.array([[1.0, 0.0, 0.0]]))
        assert value(m) == pytest.approx(-math.log(1e-12))       # eps keeps it finite
    assert M.CrossEntropy(eps=0.5).eps == 0.5
    with pytest.raises(MXNetError, match=r'class indices in \[0, 3\), got values from 0.0 to 3.0'):
        M.CrossEntropy().update(nd.array([0, 3]), probs)
    with pytest.raises(MXNetError, match=r'got predictions of shape \(2, 3\) and 3 labels'):
        M.CrossEntropy().update(nd.array([0, 1, 2]), probs)


def test_perplexity():
    p = M.Perplexity(ignore_label=None)
    p.update([nd.array([0, 1, 1])], [nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
    assert p.get() == ('perplexity', pytest.approx(math.exp(-(math.log(0.3) + math.log(0.6)) / 3)))
    p.update(nd.array([0]), nd.array([[0.5, 0.5]]))
    nll = -(math.log(0.3) + math.log(0.6) + math.log(0.5))
    assert value(p) == pytest.approx(math.exp(nll / 4))
    # ignored labels (padding) are left out of the sum and the count
    ignoring = M.Perplexity(ignore_label=-1)
    ignoring.update(nd.array([[0, -1], [1, -1]]),
                    nd.array([[[0.5, 0.5], [0.9, 0.1]], [[0.2, 0.8], [0.3, 0.7]]]))
    assert value(ignoring) == pytest.approx(math.exp(-(math.log(0.5) + math.log(0.8)) / 2))
    assert ignoring.num_inst == 2
    # zero probabilities are clipped at 1e-10
    zero = M.Perplexity(ignore_label=None)
    zero.update(nd.array([1]), nd.array([[1.0, 0.0]]))
    assert value(zero) == pytest.approx(1e10)


def test_perplexity_class_axis():
    rs = np.random.RandomState(0)
    probs = rs.dirichlet(np.ones(3), size=(2, 4)).transpose(0, 2, 1)     # (batch, class, time)
    labels = rs.randint(0, 3, (2, 4))
    picked = np.array([[probs[b, labels[b, t], t] for t in range(4)] for b in range(2)])
    p = M.Perplexity(ignore_label=None, axis=1)
    p.update(nd.array(labels), nd.array(probs, dtype='float64'))
    assert value(p) == pytest.approx(math.exp(-np.log(picked).mean()))
    assert M.create(**p.get_config()).axis == 1
    with pytest.raises(MXNetError, match=r'5 labels for predictions of shape \(2, 4, 3\)'):
        p.update(nd.zeros(5), nd.array(probs))
    with pytest.raises(MXNetError, match='axis 3 is out of range'):
        M.Perplexity(None, axis=3).update(nd.zeros(2), nd.zeros((2, 2)))


# --------------------------------------------- loss, custom, composite --

def test_loss():
    m = M.Loss()
    m.update(None, nd.array([1, 2, 3]))
    m.update([nd.array([0])], [nd.array([[4, 5]]), nd.array([9])])
    assert m.get() == ('loss', pytest.approx(24 / 6))
    m.reset_local()
    assert math.isnan(value(m)) and global_value(m) == pytest.approx(4.0)


def test_custom_metric():
    def mean_abs(label, pred):
        assert isinstance(label, np.ndarray) and isinstance(pred, np.ndarray)
        return float(np.abs(label - pred).mean())
    m = M.CustomMetric(mean_abs)
    m.update([nd.array([1, 2])], [nd.array([2, 2])])
    m.update([nd.array([0])], [nd.array([3])])
    assert m.get() == ('mean_abs', pytest.approx((0.5 + 3) / 2))
    pooled = M.CustomMetric(lambda l, p: ((l != p).sum(), l.size), name='errors')
    pooled.update([nd.array([1, 2]), nd.array([1])], [nd.array([1, 3]), nd.array([0])])
    assert pooled.get() == ('errors', pytest.approx(2 / 3)) and pooled.num_inst == 3
    assert M.CustomMetric(lambda l, p: 0).name == 'custom(<lambda>)'
    rnn = M.CustomMetric(mean_abs, allow_extra_outputs=True)
    rnn.update([nd.array([1])], [nd.array([1]), nd.array([100])])     # the state is ignored
    assert value(rnn) == 0.0
    with pytest.raises(MXNetError, match='got 1 labels but 2 predictions'):
        m.update([nd.array([1])], [nd.array([1]), nd.array([100])])
    with pytest.raises(MXNetError, match='cannot be serialized'):
        m.get_config()
    wrapped = M.np(mean_abs)
    wrapped.update(nd.array([1, 3]), nd.array([1, 1]))
    assert wrapped.get() == ('mean_abs', 1.0)
    assert M.np(mean_abs, name='mae2').name == 'mae2'


def test_composite():
    comp = M.CompositeEvalMetric(['acc', M.F1()])
    comp.add(M.create('ce'))
    preds, labels = nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]]), nd.array([0, 1, 1])
    comp.update([labels], [preds])
    names, values = comp.get()
    assert names == ['accuracy', 'f1', 'cross-entropy']
    assert values[:2] == [pytest.approx(2 / 3), pytest.approx(0.8)]
    assert comp.get_metric(2).name == 'cross-entropy'
    with pytest.raises(MXNetError, match='metric index 3 is out of range: the composite has 3'):
        comp.get_metric(3)
    comp.reset_local()
    comp.update([nd.array([1])], [nd.array([[0.0, 1.0]])])
    assert comp.get()[1][0] == 1.0 and comp.get_global()[1][0] == pytest.approx(3 / 4)
    assert dict(comp.get_global_name_value())['accuracy'] == pytest.approx(3 / 4)
    comp.reset()
    assert all(math.isnan(v) for v in comp.get_global()[1])
    # nested composites flatten
    nested = M.CompositeEvalMetric([comp, 'mse'])
    assert nested.get()[0] == ['accuracy', 'f1', 'cross-entropy', 'mse']
    # get_config round trip
    again = M.create(**comp.get_config())
    assert [type(m) for m in again.metrics] == [M.Accuracy, M.F1, M.CrossEntropy]


def test_composite_update_dict_filters():
    comp = M.CompositeEvalMetric(['acc'], output_names=['good'], label_names=['y'])
    comp.update_dict({'y': nd.array([1]), 'z': nd.array([0])},
                     {'good': nd.array([[0, 1]]), 'bad': nd.array([[1, 0]])})
    assert comp.get() == (['accuracy'], [1.0])


# -------------------------------------------------------------- create --

@pytest.mark.parametrize('name, cls', [
    ('acc', M.Accuracy), ('accuracy', M.Accuracy), ('Accuracy', M.Accuracy),
    ('f1', M.F1), ('mcc', M.MCC), ('mae', M.MAE), ('mse', M.MSE), ('rmse', M.RMSE),
    ('ce', M.CrossEntropy), ('crossentropy', M.CrossEntropy),
    ('nll_loss', M.NegativeLogLikelihood), ('negativeloglikelihood', M.NegativeLogLikelihood),
    ('pearsonr', M.PearsonCorrelation), ('loss', M.Loss), ('composite', M.CompositeEvalMetric)])
def test_create_by_name(name, cls):
    assert type(M.create(name)) is cls


def test_create_other_forms():
    assert type(M.create('top_k_accuracy', top_k=3)) is M.TopKAccuracy
    assert M.create('perplexity', ignore_label=0).ignore_label == 0
    acc = M.Accuracy()
    assert M.create(acc) is acc
    assert M.create(M.MSE).name == 'mse'
    custom = M.create(lambda label, pred: 1.0, name='one')
    assert type(custom) is M.CustomMetric and custom.name == 'one'
    comp = M.create(['acc', M.MAE(), np.sum])
    assert comp.get()[0] == ['accuracy', 'mae', 'sum']
    assert M.create(M.F1(average='micro').get_config()).average == 'micro'
    assert M.create('["accuracy", {"axis": 2}]').axis == 2
    with pytest.raises(MXNetError, match="unknown metric 'auc'; the registered ones are acc, "):
        M.create('auc')
    with pytest.raises(MXNetError, match='already a metric'):
        M.create(acc, axis=2)
    with pytest.raises(MXNetError, match='got int'):
        M.create(3)
    with pytest.raises(MXNetError, match="needs a 'metric' key"):
        M.create({'name': 'acc'})


def test_register_and_alias(registry):
    @M.register
    @M.alias('always_one', 'ONE')
    class AlwaysOne(M.EvalMetric):
        def __init__(self, name='always-one', **kwargs):
            super().__init__(name, has_global_stats=True, **kwargs)

        def update(self, labels, preds):
            self._accumulate(len(preds), len(preds))

    for name in ('alwaysone', 'always_one', 'one'):
        assert type(M.create(name)) is AlwaysOne
    m = M.create(['one', 'acc'])
    m.update([nd.array([0])], [nd.array([[1, 0]])])
    assert m.get() == (['always-one', 'accuracy'], [1.0, 1.0])
    with pytest.warns(UserWarning, match="metric 'one': .*Count replaces .*AlwaysOne"):
        M.alias('one')(Count)
    with pytest.raises(MXNetError, match='only subclasses of mx.metric.EvalMetric'):
        M.register(int)
