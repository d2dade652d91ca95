"""GraphView: a symbol graph drawn with each node's shape, value and gradient."""
import base64

import numpy as np
import pytest

import mxlearn as mx
from mxlearn import autograd, nd
from mxlearn.base import MXNetError
from mxlearn.test_utils import assert_almost_equal
from mxlearn.widgets import GraphView

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def two_layers():
    """loss = sum(fc2(relu(fc1(x))) ** 2), a small network with a scalar output."""
    x = mx.sym.var('x')
    h = mx.sym.relu(mx.sym.FullyConnected(x, num_hidden=5, name='fc1'), name='act')
    out = mx.sym.FullyConnected(h, num_hidden=3, name='fc2')
    return mx.sym.sum(mx.sym.square(out, name='sq'), name='loss')


def arrays(rng):
    return dict(x=rng.randn(4, 6), fc1_weight=rng.randn(5, 6), fc1_bias=rng.randn(5),
                fc2_weight=rng.randn(3, 5), fc2_bias=rng.randn(3))


def test_builds_with_shapes_before_a_run():
    view = GraphView(two_layers(), shape={'x': (4, 6)})
    assert view.shape('fc1') == (4, 5) and view.shape('fc2_output') == (4, 3)
    assert view.shape('fc1_weight') == (5, 6) and view.shape('loss') == (1,)
    assert view.value('fc1') is None and view.grad('x') is None
    assert view.selected[0].name == 'loss'  # the output is chosen first
    title, body = view._label(view.selected[0].inputs[0][0])
    assert title == 'sq' and '(4, 3)' in body and 'val' not in body
    assert bytes(view.image.value).startswith(PNG_MAGIC)
    assert repr(view) == '<GraphView: 10 nodes, not run>'
    unknown = GraphView(two_layers())  # no shapes: drawn all the same
    assert unknown.shape('fc1') is None and 'shape ?' in unknown._label(
        unknown._entry('fc1')[0])[1]


def test_values_and_gradients_equal_autograd_and_the_maths():
    rng = np.random.RandomState(0)
    given = arrays(rng)
    view = GraphView(two_layers(), node='act')
    view.run(**given)
    # the same network imperatively, under autograd
    nds = {k: nd.array(v, dtype='float64') for k, v in given.items()}
    for a in nds.values():
        a.attach_grad()
    with autograd.record():
        h = nd.relu(nd.FullyConnected(nds['x'], nds['fc1_weight'], nds['fc1_bias'],
                                      num_hidden=5))
        out = nd.FullyConnected(h, nds['fc2_weight'], nds['fc2_bias'], num_hidden=3)
        loss = nd.sum(nd.square(out))
    loss.backward()
    assert_almost_equal(view.value('act'), h.asnumpy(), rtol=1e-12)
    assert_almost_equal(view.value('loss'), loss.asnumpy(), rtol=1e-12)
    for name in given:
        assert_almost_equal(view.grad(name), nds[name].grad.asnumpy(), rtol=1e-10)
    # intermediate gradients, which backward() does not keep, from the chain rule
    d_out = 2 * out.asnumpy()
    d_h = d_out @ given['fc2_weight']
    assert_almost_equal(view.grad('fc2'), d_out, rtol=1e-12)
    assert_almost_equal(view.grad('act'), d_h, rtol=1e-12)
    assert_almost_equal(view.grad('fc1'), d_h * (h.asnumpy() > 0), rtol=1e-12)
    assert view.grad('loss').tolist() == [1.0]
    assert view.value('x').dtype == np.float64
    title, body = view._label(view._entry('act')[0])
    assert 'val ' in body and 'grad ' in body and '(4, 5)' in body
    assert repr(view) == '<GraphView: 10 nodes, ran>'


def test_selection_redraws_the_picture():
    view = GraphView(two_layers(), shape={'x': (4, 6)})
    before = bytes(view.image.value)
    view.select('fc1_weight')
    assert view.selected[0].name == 'fc1_weight' and view.image.value != before
    view.run(**arrays(np.random.RandomState(1)))
    ran = bytes(view.image.value)
    view.controls['node'].value = view.entries.index(view._entry('act_output'))
    assert view.selected[0].name == 'act' and view.image.value != ran
    with pytest.raises(MXNetError, match="no node or output named 'nope'"):
        view.select('nope')
    bundle = view._repr_mimebundle_()
    assert base64.b64decode(bundle['image/png']) == view.image.value


def test_a_group_sums_the_gradients_of_its_outputs_and_takes_head_grads():
    x, w = mx.sym.var('x'), mx.sym.var('w')
    parts = mx.sym.split(x, num_outputs=2, name='s')
    g = mx.sym.Group([parts[0] * w, mx.sym.exp(parts[0], name='e'), w])
    xv, wv = np.array([[0.5, -1.0]]), np.array([[2.0]])
    view = GraphView(g, node='s_output1')
    view.run(x=xv, w=wv)
    # d/dx0 of (x0 * w + exp(x0)) with ones flowing in; x1 reaches no output
    assert_almost_equal(view.grad('x'), np.array([[2.0 + np.exp(0.5), 0.0]]))
    assert view.grad('s_output1') is None
    assert_almost_equal(view.grad('w'), np.array([[0.5 + 1.0]]))  # x0, plus w itself
    assert view.value('s_output1').tolist() == [[-1.0]]
    view.run(head_grads=[nd.array([[g]], dtype='float64') for g in (3.0, 0.0, 0.0)],
             x=xv, w=wv)
    assert_almost_equal(view.grad('x'), np.array([[6.0, 0.0]]))
    with pytest.raises(MXNetError, match='2 head_grads given for 3 outputs'):
        view.run(head_grads=[nd.ones((1, 1))] * 2, x=xv, w=wv)


def test_run_copies_its_inputs_and_says_what_is_missing():
    x = mx.sym.var('x')
    net = mx.sym.BatchNorm(x, fix_gamma=False, name='bn')
    values = dict(x=nd.array([[1.0, 2.0], [3.0, 5.0]]), bn_gamma=nd.ones((2,)),
                  bn_beta=nd.zeros((2,)), bn_moving_mean=nd.zeros((2,)),
                  bn_moving_var=nd.ones((2,)))
    view = GraphView(net)
    view.run(**values)  # training mode updates the moving statistics of a copy
    assert values['bn_moving_mean'].asnumpy().tolist() == [0.0, 0.0]
    assert_almost_equal(view.value('bn'), np.array([[-1.0, -1.0], [1.0, 1.0]]), atol=1e-3)
    with pytest.raises(MXNetError, match='missing: bn_moving_var; not inputs: y'):
        view.run(y=nd.ones((1,)), **{k: v for k, v in values.items() if k != 'bn_moving_var'})


def test_an_executor_is_run_on_copies_of_its_arrays():
    rng = np.random.RandomState(2)
    given = {k: nd.array(v) for k, v in arrays(rng).items()}
    exe = two_layers().bind(mx.cpu(), given, args_grad={k: nd.zeros(v.shape)
                                                       for k, v in given.items()})
    exe.forward(is_train=True)
    exe.backward()
    view = GraphView(exe, node='fc2')
    assert view.shape('act') == (4, 5) and repr(view) == '<GraphView: 10 nodes, ran>'
    assert_almost_equal(view.value('loss'), exe.outputs[0].asnumpy(), rtol=1e-6)
    for name, g in exe.grad_dict.items():
        assert_almost_equal(view.grad(name), g.asnumpy(), rtol=1e-5, atol=1e-6)
    assert view.value('x') is not None and view.grad('fc2') is not None


def test_an_autograd_recording_is_drawn_through_get_symbol():
    x = nd.array([[0.5, -1.0, 2.0]]); x.attach_grad()
    w = nd.array([[1.0, 2.0, -0.5]])
    with autograd.record():
        z = nd.tanh(x * w)
        y = (z * z).sum()
    view = GraphView(y, names={'x': x})
    assert view.symbol.list_arguments() == ['x', 'var0']
    y.backward()
    assert_almost_equal(view.grad('x'), x.grad.asnumpy(), rtol=1e-6)
    assert_almost_equal(view.value('var0'), w.asnumpy())
    zn = np.tanh(x.asnumpy() * w.asnumpy())
    assert_almost_equal(view.value('tanh0'), zn, rtol=1e-6)
    assert_almost_equal(view.grad('tanh0'), 2 * zn, rtol=1e-6)
    # a dropout mask is a hidden output: run again, not listed, the gradient follows it
    with autograd.record():
        y = nd.Dropout(x, p=0.5).sum()
    view = GraphView(y)
    assert [n.name for n, _ in view.entries] == ['var0', 'dropout0', 'sum0']
    kept = view.value('dropout0') != 0
    assert_almost_equal(view.grad('var0'), 2.0 * kept)


def test_hidden_weights_size_limit_and_bad_sources():
    assert len(GraphView(two_layers(), hide_weights=True)._vertices) == 6
    with pytest.raises(MXNetError, match='at most 4'):
        GraphView(two_layers(), max_nodes=4)
    with pytest.raises(MXNetError, match='shows a Symbol, an Executor or a recorded NDArray'):
        GraphView('net')


def test_reachable_from_the_package():
    assert mx.widgets.GraphView is GraphView
