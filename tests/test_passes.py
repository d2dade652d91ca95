"""Graph passes (DCE, CSE, elementwise fusion, memory planning) and the fusion kernel."""
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mxlearn as mx
from mxlearn import autograd, nd
from mxlearn import symbol as sym
from mxlearn._ext import fusion as kernel
from mxlearn.base import MXNetError
from mxlearn.operator.fused_elemwise import (compile_program, format_program, fused_elemwise,
                                             fused_reference, kernel_steps, parse_program)
from mxlearn.symbol import passes
from mxlearn.test_utils import assert_almost_equal, check_numeric_gradient

SETTINGS = settings(max_examples=25, deadline=None)
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-14)}


def op_count(s):
    return sum(n.op is not None for n in s._nodes())


def ops_of(s):
    return sorted(n.op_name for n in s._nodes() if n.op is not None)


# ------------------------------------------------------------- the kernel --

# Input ranges where each operator is defined (and not too steep to compare).
DOMAIN = {'log': (0.1, 5), 'log2': (0.1, 5), 'log10': (0.1, 5), 'sqrt': (0.1, 5),
          'rsqrt': (0.1, 5), 'log1p': (-0.5, 5), 'arcsin': (-0.9, 0.9),
          'arccos': (-0.9, 0.9), 'arctanh': (-0.9, 0.9), 'arccosh': (1.1, 5),
          'tan': (-1.2, 1.2), 'exp': (-30, 30), 'expm1': (-30, 30), 'sinh': (-10, 10),
          'cosh': (-10, 10), 'reciprocal': (0.2, 5), 'rcbrt': (0.2, 5)}
UNARY = ['negative', 'abs', 'exp', 'expm1', 'log', 'log1p', 'log2', 'log10', 'sqrt', 'rsqrt',
         'cbrt', 'rcbrt', 'square', 'reciprocal', 'sin', 'cos', 'tan', 'arcsin', 'arccos',
         'arctan', 'sinh', 'cosh', 'tanh', 'arcsinh', 'arccosh', 'arctanh', 'relu', 'sigmoid',
         'softsign', 'sign', 'floor', 'ceil', 'round', 'rint', 'trunc', 'fix', 'logical_not',
         'degrees', 'radians', '_copy']


def values(dtype, n=3001, low=-4.0, high=4.0, seed=0):
    """Random values with exact halves, zeros and repeats among them (rounding, ties)."""
    x = np.random.RandomState(seed).uniform(low, high, n)
    x[::7] = np.clip(np.round(x[::7] * 2) / 2, low, high)
    x[::11] = 0 if low <= 0 <= high else low
    return x.astype(dtype)


def run_both(text, inputs):
    """The kernel's result (asserting it ran) and the reference's."""
    assert parse_program(text).code is not None, 'the kernel cannot run %r' % text
    return fused_elemwise(np, *inputs, program=text), fused_reference(np, text, inputs)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('name', UNARY)
def test_kernel_unary_matches_reference(name, dtype):
    x = values(dtype, *((3001,) + DOMAIN.get(name, (-4.0, 4.0))))
    got, want = run_both('r0 = %s(x0)' % name, [x])
    assert got.dtype == want.dtype == dtype
    assert_almost_equal(got, want, **TOL[dtype])


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('act', ['relu', 'sigmoid', 'tanh', 'softrelu', 'softsign'])
def test_kernel_activation_matches_reference(act, dtype):
    x = values(dtype, 3001, -40, 40)
    got, want = run_both('r0 = Activation(x0, act_type=%s)' % act, [x])
    assert_almost_equal(got, want, **TOL[dtype])


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('name', ['elemwise_add', 'elemwise_sub', 'elemwise_mul', 'elemwise_div',
                                  '_power', 'broadcast_maximum', 'broadcast_minimum', '_hypot',
                                  'broadcast_equal', 'broadcast_not_equal', 'broadcast_greater',
                                  'broadcast_greater_equal', 'broadcast_lesser',
                                  'broadcast_lesser_equal'])
def test_kernel_binary_matches_reference(name, dtype):
    positive = name in ('_power', 'elemwise_div')
    a = values(dtype, 3001, 0.2 if positive else -3, 3, seed=1)
    b = values(dtype, 3001, 0.2 if name == 'elemwise_div' else -2, 2, seed=2)
    b[::5] = a[::5]  # ties for the comparisons
    got, want = run_both('r0 = %s(x0, x1)' % name, [a, b])
    assert_almost_equal(got, want, **TOL[dtype])


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('name, scalar', [
    ('_plus_scalar', 1.5), ('_minus_scalar', 0.25), ('_rminus_scalar', 2), ('_mul_scalar', -3),
    ('_div_scalar', 7.0), ('_rdiv_scalar', 2.0), ('_power_scalar', 3), ('_power_scalar', 0.5),
    ('_rpower_scalar', 2.0), ('_maximum_scalar', 0.5), ('_minimum_scalar', -0.5),
    ('_hypot_scalar', 2.0), ('_equal_scalar', 0.5), ('_not_equal_scalar', 0.5),
    ('_greater_scalar', 0), ('_greater_equal_scalar', 0.5), ('_lesser_scalar', 0.5),
    ('_lesser_equal_scalar', -1)])
def test_kernel_scalar_matches_reference(name, scalar, dtype):
    x = values(dtype, 3001, 0.2 if name in ('_rdiv_scalar', '_power_scalar') else -3, 3)
    got, want = run_both('r0 = %s(x0, scalar=%r)' % (name, scalar), [x])
    assert_almost_equal(got, want, **TOL[dtype])


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_kernel_special_values_like_numpy(dtype):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -1e-30, 88.7, 88.8, -87.4, -104,
                  709.7, 709.8, -745.1, -746, 0.25, -0.25, 20, -20], dtype=dtype)
    for text in ('r0 = exp(x0)', 'r0 = tanh(x0)', 'r0 = sigmoid(x0)', 'r0 = relu(x0)',
                 'r0 = sign(x0)', 'r0 = _maximum_scalar(x0, scalar=0)',
                 'r0 = Activation(x0, act_type=softrelu)'):
        with np.errstate(all='ignore'):
            got, want = run_both(text, [x])
        assert_almost_equal(got, want, equal_nan=True, **TOL[dtype])
    with np.errstate(all='ignore'):
        got, want = run_both('r0 = broadcast_minimum(x0, x1)', [x, x[::-1].copy()])
    assert_almost_equal(got, want, equal_nan=True)


@st.composite
def programs(draw):
    """Random programs over 1-3 inputs, reading earlier values more than once."""
    n_in = draw(st.integers(1, 3))
    unary = ['tanh', 'sigmoid', 'relu', 'negative', 'softsign', 'abs', 'exp']
    binary = ['elemwise_add', 'elemwise_mul', 'elemwise_sub', 'broadcast_maximum']
    instructions = []
    for k in range(draw(st.integers(1, 8))):
        operand = st.integers(0, n_in + k - 1)
        kind = draw(st.sampled_from(['unary', 'binary', 'scalar', 'clip']))
        if kind == 'unary':
            instructions.append((draw(st.sampled_from(unary)), [draw(operand)], {}))
        elif kind == 'binary':
            instructions.append((draw(st.sampled_from(binary)),
                                 [draw(operand), draw(operand)], {}))
        elif kind == 'scalar':
            name = draw(st.sampled_from(['_mul_scalar', '_plus_scalar', '_rminus_scalar']))
            scalar = draw(st.sampled_from([0.5, -2, 1.0]))
            instructions.append((name, [draw(operand)], {'scalar': scalar}))
        else:
            instructions.append(('clip', [draw(operand)], {'a_min': -1.0, 'a_max': 2.0}))
    return format_program(instructions, n_in), n_in


@SETTINGS
@given(program=programs(), n=st.sampled_from([1, 511, 512, 1500, 300001]),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 100))
def test_kernel_random_programs_match_reference(program, n, dtype, seed):
    text, n_in = program
    inputs = [values(dtype, n, -2, 2, seed + k) for k in range(n_in)]
    if parse_program(text).n_inputs < n_in:  # an input no instruction reads
        return
    got, want = run_both(text, inputs)
    assert_almost_equal(got, want, **TOL[dtype])


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_kernel_in_threads_matches_reference(dtype):
    # above PARALLEL_THRESHOLD (2M elements) tasks run in OpenMP threads
    n = (1 << 21) + 777
    text = 'r0 = tanh(x0); r1 = elemwise_mul(r0, x1); r2 = _plus_scalar(r1, scalar=1)'
    x, y = values(dtype, n, -3, 3, 5), values(dtype, n, -3, 3, 6)
    got, want = run_both(text, [x, y])
    assert_almost_equal(got, want, **TOL[dtype])


def test_kernel_writes_over_an_input():
    x = values(np.float32, 5000)
    want = fused_reference(np, 'r0 = tanh(x0); r1 = elemwise_mul(r0, x0)', [x])
    code, consts, n_scratch = compile_program('r0 = tanh(x0); r1 = elemwise_mul(r0, x0)')
    kernel.run(x, [x], code, consts, n_scratch)
    assert_almost_equal(x, want, rtol=1e-6, atol=1e-7)


def test_register_allocation_reuses_registers():
    text = 'r0 = exp(x0); r1 = tanh(r0); r2 = sigmoid(r1); r3 = relu(r2); r4 = negative(r3)'
    code, consts, n_scratch = compile_program(text)
    assert n_scratch == 1 and len(consts) == 0
    assert code[-1, 1] == -1  # the last instruction writes the output
    # a value read at the end keeps its register: two are needed
    assert compile_program('r0 = exp(x0); r1 = tanh(r0); r2 = elemwise_add(r1, r0)')[2] == 2


def test_kernel_steps_and_fallbacks():
    assert kernel_steps('elemwise_add', {}) == [('add', 0, 1)]
    assert kernel_steps('_rdiv_scalar', {'scalar': 2}) == [('div', 2.0, 0)]
    assert kernel_steps('Activation', {'act_type': 'softrelu'}) == [('softrelu', 0, None)]
    assert kernel_steps('Activation', {'act_type': 'gelu'}) is None
    assert kernel_steps('clip', {'a_min': 2, 'a_max': 1}) is None
    assert kernel_steps('erf', {}) is None
    # a program the kernel cannot run still runs, with the registry forwards
    p = parse_program('r0 = erf(x0); r1 = exp(r0)')
    assert p.code is None
    x = np.linspace(-1, 1, 7)
    assert_almost_equal(fused_elemwise(np, x, program=p.text), np.exp(mx.nd.erf(
        mx.nd.array(x, dtype='float64')).asnumpy()))
    # inputs that broadcast, integers and float16 take the reference too
    text = 'r0 = broadcast_add(x0, x1); r1 = relu(r0)'
    a, b = np.ones((3, 1), np.float32), -np.arange(4, dtype=np.float32)
    assert_almost_equal(fused_elemwise(np, a, b, program=text), np.maximum(a + b, 0))
    i = np.arange(-3, 3, dtype=np.int32)
    assert fused_elemwise(np, i, program='r0 = _mul_scalar(x0, scalar=2); r1 = relu(r0)').dtype \
        == np.int32
    h = np.linspace(-1, 1, 5).astype(np.float16)
    out = fused_elemwise(np, h, program='r0 = tanh(x0); r1 = _mul_scalar(r0, scalar=2)')
    assert out.dtype == np.float16
    assert_almost_equal(out, np.tanh(h) * 2)


def test_program_errors():
    with pytest.raises(MXNetError, match='not of the form'):
        parse_program('exp(x0)')
    with pytest.raises(MXNetError, match='not a registered operator'):
        parse_program('r0 = nosuchop(x0)')
    with pytest.raises(MXNetError, match='r<j> with j < 1'):
        parse_program('r0 = exp(x0); r1 = exp(r1)')
    with pytest.raises(MXNetError, match='empty'):
        parse_program('')
    with pytest.raises(MXNetError, match='reads 2 inputs'):
        nd._fused_elemwise(nd.ones((2,)), program='r0 = elemwise_add(x0, x1)')
    code = np.array([[kernel.OPCODES['exp'], -1, 5, -1]], dtype=np.int32)
    with pytest.raises(ValueError, match='slot is out of range'):
        kernel.run(np.zeros(3), [np.zeros(3)], code, np.zeros(0), 0)
    with pytest.raises(ValueError, match='unknown opcode'):
        kernel.run(np.zeros(3), [np.zeros(3)], np.array([[999, -1, 0, -1]], np.int32),
                   np.zeros(0), 0)


def test_program_text_round_trip():
    instructions = [('elemwise_mul', [0, 1], {}), ('_plus_scalar', [2], {'scalar': 1.5}),
                    ('Activation', [3], {'act_type': 'tanh'}), ('clip', [4], {'a_min': -1.0,
                                                                             'a_max': 1.0})]
    text = format_program(instructions, 2)
    assert text == ('r0 = elemwise_mul(x0, x1); r1 = _plus_scalar(r0, scalar=1.5); '
                    'r2 = Activation(r1, act_type=tanh); r3 = clip(r2, a_max=1.0, a_min=-1.0)')
    parsed = parse_program(text)
    assert parsed.n_inputs == 2 and parsed.instructions == instructions


# ------------------------------------------------------- its gradient rule --

PROGRAM = ('r0 = elemwise_mul(x0, x1); r1 = _plus_scalar(r0, scalar=0.5); r2 = tanh(r1); '
           'r3 = elemwise_mul(r2, x0); r4 = broadcast_maximum(r3, x1)')


def unfused(x0, x1, F=nd):
    r3 = F.tanh(x0 * x1 + 0.5) * x0
    return F.broadcast_maximum(r3, x1)


def test_fused_gradient_numeric():
    rng = np.random.RandomState(0)
    check_numeric_gradient(lambda a, b: nd._fused_elemwise(a, b, program=PROGRAM),
                           [rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (3, 4))])


def test_fused_gradient_matches_unfused_first_and_second_order():
    rng = np.random.RandomState(1)
    results = []
    for f in (lambda a, b: nd._fused_elemwise(a, b, program=PROGRAM), unfused):
        a = nd.array(rng.uniform(-1, 1, (2, 5)), dtype='float64')
        b = nd.array(rng.uniform(-1, 1, (2, 5)), dtype='float64')
        rng.seed(1)
        a.attach_grad()
        b.attach_grad()
        with autograd.record():
            y = f(a, b)
            ga, = autograd.grad(y, [a], create_graph=True)
            z = (ga * ga).sum()
        z.backward()
        results.append((y.asnumpy(), ga.asnumpy(), b.grad.asnumpy()))
    for got, want in zip(*results):
        assert_almost_equal(got, want, rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------- DCE and CSE --

def test_dce_keeps_what_the_chosen_outputs_need():
    x, w = sym.var('x'), sym.var('w')
    a = sym.exp(sym.relu(x, name='r'), name='e')
    b = sym.FullyConnected(x, weight=w, num_hidden=2, no_bias=True, name='fc')
    c = sym.tanh(a, name='t')
    group = sym.Group([a, b, c])
    assert op_count(passes.eliminate_dead_code(group)) == 4
    kept = passes.eliminate_dead_code(group, keep=['t_output', 0])
    assert kept.list_outputs() == ['t_output', 'e_output']
    assert ops_of(kept) == ['exp', 'relu', 'tanh'] and kept.list_arguments() == ['x']
    only_fc = passes.eliminate_dead_code(group, keep=[1])
    assert ops_of(only_fc) == ['FullyConnected'] and only_fc.list_arguments() == ['x', 'w']
    assert op_count(group) == 4  # unchanged
    with pytest.raises(MXNetError, match='no output named'):
        passes.eliminate_dead_code(group, keep=['nope'])
    with pytest.raises(MXNetError, match='out of range'):
        passes.eliminate_dead_code(group, keep=[3])


def test_cse_merges_repeated_subgraphs_and_commutes():
    x, y = sym.var('x'), sym.var('y')
    left = sym.tanh(sym.elemwise_mul(x, y, name='m1'), name='t1')
    right = sym.tanh(sym.elemwise_mul(y, x, name='m2'), name='t2')
    s = sym.elemwise_add(left, right, name='s')
    merged = passes.eliminate_common_subexpressions(s)
    assert ops_of(merged) == ['elemwise_add', 'elemwise_mul', 'tanh']
    assert [n.name for n in merged._nodes() if n.op] == ['m1', 't1', 's']
    # sub is not commutative; different attributes differ
    parts = [sym.elemwise_sub(x, y), sym.elemwise_sub(y, x), x * 2, x * 2.5, x * 2]
    total = parts[0] + parts[1] + parts[2] + parts[3] + parts[4]
    assert op_count(total) == 9
    assert op_count(passes.eliminate_common_subexpressions(total)) == 8


def test_cse_keeps_output_names():
    x = sym.var('x')
    g = sym.Group([sym.exp(x, name='a'), sym.exp(x, name='b'),
                   sym.relu(sym.exp(x, name='c'), name='r')])
    merged = passes.eliminate_common_subexpressions(g)
    assert merged.list_outputs() == g.list_outputs()
    assert op_count(merged) == 3  # a and b are outputs; c merges into a
    assert merged._outputs[2][0].inputs[0][0] is merged._outputs[0][0]


@pytest.mark.parametrize('make', [
    lambda x: sym.Dropout(x, p=0.5),
    lambda x: sym.random_uniform(shape=(2, 3)) + x,
    lambda x: sym.LeakyReLU(x, act_type='rrelu'),
    lambda x: sym.BatchNorm(x, name='bn'),
], ids=['Dropout', 'random_uniform', 'rrelu', 'BatchNorm'])
def test_cse_never_merges_side_effects(make):
    x = sym.var('x')
    first, second = make(x), make(x)
    if first.list_arguments() != second.list_arguments():  # BatchNorm: share the parameters
        second = sym.BatchNorm(x, name='bn')
    g = sym.Group([first, second])
    merged = passes.eliminate_common_subexpressions(g)
    assert op_count(merged) == op_count(g)
    assert passes.side_effect([n for n in g._nodes() if n.op is not None][0]) is not None


def test_cse_merges_dropout_readers_and_identical_random_consumers():
    x = sym.var('x')
    d = sym.Dropout(x, p=0.5, name='d')
    g = sym.relu(d, name='r1') + sym.relu(d, name='r2')
    assert ops_of(passes.eliminate_common_subexpressions(g)) == ['Dropout', 'elemwise_add',
                                                                 'relu']


# ----------------------------------------------------------------- fusion --

def test_fusion_groups_and_boundaries():
    x, y = sym.var('x'), sym.var('y')
    e = sym.exp(x, name='e')
    t = sym.tanh(e * y, name='t')          # e is also read by fc: a group boundary
    fc = sym.FullyConnected(e, num_hidden=3, name='fc')
    out = sym.sigmoid(t + 1, name='s')
    g = sym.Group([out, fc])
    fused = passes.fuse_elementwise(g)
    assert fused.list_outputs() == g.list_outputs()
    assert ops_of(fused) == ['FullyConnected', '_fused_elemwise', 'exp']
    node = fused._outputs[0][0]
    assert node.name == 's'
    assert node.attrs['program'] == ('r0 = elemwise_mul(x0, x1); r1 = tanh(r0); '
                                     'r2 = _plus_scalar(r1, scalar=1); r3 = sigmoid(r2)')
    assert [src.name for src, _ in node.inputs] == ['e', 'y']
    # an output in the middle of a chain stays an output
    chain = sym.Group([sym.relu(x, name='a'), sym.tanh(sym.relu(x, name='a2'), name='b')])
    assert ops_of(passes.fuse_elementwise(chain)) == ['_fused_elemwise', 'relu']
    mid = sym.relu(x, name='m')
    g2 = sym.Group([mid, sym.exp(sym.tanh(mid))])
    assert ops_of(passes.fuse_elementwise(g2)) == ['_fused_elemwise', 'relu']


def test_fused_graph_saves_and_loads():
    x, y = sym.var('x'), sym.var('y')
    g = sym.clip(sym.Activation(x * y - 0.5, act_type='sigmoid'), a_min=0.2, a_max=0.7, name='c')
    fused = passes.fuse_elementwise(g)
    entry = json.loads(fused.tojson())['nodes'][-1]
    assert entry['op'] == '_fused_elemwise' and entry['attrs']['num_args'] == '2'
    loaded = sym.load_json(fused.tojson())
    args = {'x': nd.array(values(np.float32, 12).reshape(3, 4)),
            'y': nd.array(values(np.float32, 12, seed=3).reshape(3, 4))}
    assert_almost_equal(loaded.eval(**args)[0], g.eval(**args)[0], rtol=1e-6, atol=1e-7)
    assert loaded.infer_shape(x=(3, 4), y=(3, 4))[1] == [(3, 4)]


def test_describe_lists_the_changes():
    x = sym.var('x')
    g = sym.tanh(sym.exp(x, name='e') + sym.exp(x, name='e2'), name='t')
    cse = passes.eliminate_common_subexpressions(g)
    diff = passes.describe(g, cse)
    assert (diff.before, diff.after) == (4, 3) and diff.removed == [('e2', 'exp', '')]
    text = repr(passes.describe(cse, passes.fuse_elementwise(cse)))
    assert '+ t (_fused_elemwise): r0 = exp(x0)' in text and '- e (exp)' in text
    assert '<pre>' in diff._repr_html_()


# --------------------------------------------- passes preserve the results --

@st.composite
def graphs(draw):
    """Small random graphs of elementwise, broadcast and FullyConnected nodes on (3, 4)."""
    x, y, b = sym.var('x'), sym.var('y'), sym.var('b')
    made = [x, y]
    for k in range(draw(st.integers(1, 9))):
        a = draw(st.sampled_from(made))
        kind = draw(st.sampled_from(['unary', 'act', 'scalar', 'binary', 'bias', 'fc', 'twice',
                                     'clip']))
        if kind == 'unary':
            v = getattr(sym, draw(st.sampled_from(['tanh', 'sigmoid', 'relu', 'negative',
                                                   'softsign', 'abs'])))(a)
        elif kind == 'act':
            v = sym.Activation(a, act_type=draw(st.sampled_from(['relu', 'tanh', 'softrelu'])))
        elif kind == 'scalar':
            v = draw(st.sampled_from([lambda s: s * 0.5, lambda s: s + 1, lambda s: 1 - s,
                                      lambda s: s / 2]))(a)
        elif kind == 'binary':
            other = draw(st.sampled_from(made))
            v = draw(st.sampled_from([sym.elemwise_add, sym.elemwise_mul, sym.elemwise_sub,
                                      sym.broadcast_maximum]))(a, other)
        elif kind == 'bias':
            v = sym.broadcast_add(a, b)       # (3, 4) + (4,): the kernel's fallback
        elif kind == 'fc':
            v = sym.FullyConnected(a, num_hidden=4, name='fc%d' % k)
        elif kind == 'twice':                 # the same node twice: work for CSE
            v = sym.tanh(a) * sym.tanh(a)
        else:
            v = sym.clip(a, a_min=-0.5, a_max=0.8)
        made.append(v)
    extra = draw(st.lists(st.integers(2, len(made) - 1), max_size=2)) if len(made) > 2 else []
    return sym.Group([made[-1]] + [made[i] for i in extra])


SHAPES = {'x': (3, 4), 'y': (3, 4), 'b': (4,)}


def bind_values(g, seed):
    rng = np.random.RandomState(seed)
    known = {k: v for k, v in SHAPES.items() if k in g.list_arguments()}
    shapes = dict(zip(g.list_arguments(), g.infer_shape_partial(**known)[0]))
    return {name: nd.array(rng.uniform(-1, 1, shape)) for name, shape in shapes.items()}


@SETTINGS
@given(g=graphs(), seed=st.integers(0, 1000))
def test_every_pass_preserves_results(g, seed):
    args = bind_values(g, seed)
    before_json = g.tojson()
    want = [o.asnumpy() for o in g.eval(**args)]
    for apply in (passes.eliminate_dead_code, passes.eliminate_common_subexpressions,
                  passes.fuse_elementwise, passes.optimize):
        out = apply(g)
        assert out.list_outputs() == g.list_outputs()
        assert out.list_arguments() == g.list_arguments(), apply.__name__
        for got, expected in zip(out.eval(**args), want):
            assert_almost_equal(got, expected, rtol=1e-5, atol=1e-6)
    assert g.tojson() == before_json  # no pass changed its input
    optimized = passes.optimize(g)
    assert op_count(optimized) <= op_count(g)
    plan = passes.plan_memory(optimized, SHAPES)
    assert plan.planned_bytes <= plan.naive_bytes


# ------------------------------------------------------ memory planning --

def test_plan_of_a_chain_by_hand():
    # x (4, 8) -> fc1 (4, 16) -> fc2 (4, 16) -> fc3 (4, 16) -> fc4 (4, 8), float32.
    # fc1's value (256 B) dies at fc2, which cannot overwrite it; fc2's value
    # needs a second buffer, fc3's takes the first back; fc4 is the output.
    h = sym.var('x')
    for k, n in enumerate([16, 16, 16, 8]):
        h = sym.FullyConnected(h, num_hidden=n, name='fc%d' % (k + 1))
    plan = passes.plan_memory(h, {'x': (4, 8)})
    assert [e['name'] for e in plan.entries] == ['fc1_output', 'fc2_output', 'fc3_output',
                                                  'fc4_output']
    assert [e['bytes'] for e in plan.entries] == [256, 256, 256, 128]
    assert [e['how'] for e in plan.entries] == ['new', 'new', 'reuse', 'output']
    assert [e['buffer'] for e in plan.entries] == [0, 1, 0, None]
    assert (plan.naive_bytes, plan.planned_bytes, plan.output_bytes) == (768, 512, 128)
    assert plan.saved_fraction == pytest.approx(1 / 3)
    freed = {n.name: [e[0].name for e in f] for n, f in zip(plan.nodes, plan.free_after) if f}
    assert freed == {'fc2': ['fc1'], 'fc3': ['fc2'], 'fc4': ['fc3']}
    assert plan.inplace == []
    # float64 doubles every number
    plan64 = passes.plan_memory(h, {'x': (4, 8)}, {'x': 'float64'})
    assert (plan64.naive_bytes, plan64.planned_bytes) == (1536, 1024)


def test_plan_in_place():
    # relu and exp overwrite their input, whose last reader they are
    x = sym.var('x')
    fc = sym.FullyConnected(x, num_hidden=32, name='big')
    y = sym.FullyConnected(sym.exp(sym.relu(fc, name='r'), name='e'), num_hidden=4, name='out')
    plan = passes.plan_memory(y, {'x': (2, 5)})
    assert [(e['name'], e['how'], e['buffer']) for e in plan.entries] == [
        ('big_output', 'new', 0), ('r_output', 'in place', 0), ('e_output', 'in place', 0),
        ('out_output', 'output', None)]
    assert [(i[0].name, o[0].name) for i, o in plan.inplace] == [('big', 'r'), ('r', 'e')]
    assert (plan.naive_bytes, plan.planned_bytes) == (768, 256)
    # not when the input is read later, or is a variable
    z = sym.Group([sym.relu(fc, name='r2'), fc])
    assert [e['how'] for e in passes.plan_memory(z, {'x': (2, 5)}).entries] == ['output'] * 2
    w = sym.FullyConnected(sym.relu(fc, name='r3') + fc, num_hidden=2)
    assert [e['how'] for e in passes.plan_memory(w, {'x': (2, 5)}).entries] == [
        'new', 'new', 'in place', 'output']
    assert [e['how'] for e in passes.plan_memory(sym.relu(x) * 2, {'x': (2, 5)}).entries] == [
        'new', 'output']


def test_plan_best_fit():
    # a (256 B) and b (128 B) die at cat (384 B, a new buffer); then d (64 B)
    # takes the smallest free buffer that fits, b's, and e (160 B) a's.
    x = sym.var('x')
    a = sym.FullyConnected(x, num_hidden=32, name='a')
    b = sym.FullyConnected(x, num_hidden=16, name='b')
    d = sym.FullyConnected(sym.Concat(a, b, dim=1, name='cat'), num_hidden=8, name='d')
    f = sym.FullyConnected(sym.FullyConnected(d, num_hidden=20, name='e'), num_hidden=2,
                           name='f')
    plan = passes.plan_memory(f, {'x': (2, 5)})
    assert [(e['name'], e['bytes'], e['how'], e['buffer']) for e in plan.entries] == [
        ('a_output', 256, 'new', 0), ('b_output', 128, 'new', 1),
        ('cat_output', 384, 'new', 2), ('d_output', 64, 'reuse', 1),
        ('e_output', 160, 'reuse', 0), ('f_output', 16, 'output', None)]
    assert plan.buffers == [256, 128, 384]
    assert (plan.naive_bytes, plan.planned_bytes, plan.output_bytes) == (992, 768, 16)


def test_plan_summary_and_html():
    x = sym.var('x')
    y = sym.FullyConnected(sym.tanh(sym.FullyConnected(x, num_hidden=4, name='a'), name='t'),
                           num_hidden=2, name='b')
    plan = passes.plan_memory(y, {'x': (2, 3)})
    text = plan.summary()
    assert 't_output' in text and 'in place' in text and '50.0% saved' in text
    assert text.splitlines()[0].split() == ['value', 'operator', 'shape', 'dtype', 'bytes',
                                            'buffer', 'how']
    html = plan._repr_html_()
    assert html.startswith('<table>') and '<td>t_output</td>' in html
    assert 'planned 32 B' in repr(plan)


def test_plan_errors():
    y = sym.FullyConnected(sym.var('x'), num_hidden=3)
    with pytest.raises(MXNetError, match='do not determine'):
        passes.plan_memory(y, {})


def mlp(layers, hidden=256, classes=10):
    h = sym.var('data')
    for k in range(layers - 1):
        h = sym.Activation(sym.FullyConnected(h, num_hidden=hidden, name='fc%d' % k),
                           act_type='relu', name='relu%d' % k)
    return sym.SoftmaxOutput(sym.FullyConnected(h, num_hidden=classes, name='fc%d' % (layers - 1)),
                             name='softmax')


def test_forward_mlp_plan_saves_most():
    plan = passes.plan_memory(mlp(10), {'data': (128, 784)})
    # in place activations and two alternating buffers for the FC outputs
    assert len(plan.buffers) == 2
    assert plan.saved_fraction > 0.85


def test_training_mlp_plan_saves_at_least_40_percent():
    net = mlp(10)
    if not hasattr(net, 'simple_bind'):
        pytest.skip('the executor (Symbol.simple_bind) is not available')
    ex = net.simple_bind(mx.cpu(), data=(128, 784))
    training = ex.unoptimized_graph
    shapes = {k: v.shape for k, v in ex.arg_dict.items()}
    for graph in (training, passes.optimize(training)):
        inputs = set(graph.list_inputs())
        plan = passes.plan_memory(graph, {k: v for k, v in shapes.items() if k in inputs})
        assert plan.saved_fraction >= 0.40, plan
    assert math.isclose(ex.memory_plan.saved_fraction, plan.saved_fraction)
