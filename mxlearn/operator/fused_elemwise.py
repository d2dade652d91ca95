"""``_fused_elemwise``: a chain of elementwise operators run as one operator.

The graph pass ``mxlearn.symbol.passes.fuse_elementwise`` replaces a group of
elementwise nodes by one node of this operator. Its attribute ``program`` is
the group written out as text, one instruction per original node, in the
order they ran::

    r0 = elemwise_mul(x0, x1); r1 = _plus_scalar(r0, scalar=1.0); r2 = tanh(r1)

``x0, x1, ...`` are the node's inputs, ``rK`` is the value of instruction ``K``
and the last instruction gives the output. Each instruction is a registry
operator with its attributes, written as in MXNet's JSON files; so the
program reads like the graph it came from, and it is an ordinary string
attribute of the node (visible in ``tojson()`` and in graph drawings).

Three ways to run a program, which must agree:

- the **kernel** (``mxlearn._ext.fusion``, CPU, float32/float64, inputs of one
  shape): one pass over memory, blockwise, intermediates in registers that
  stay in cache. :func:`compile_program` lowers the instructions to its
  opcodes;
- the **reference** (:func:`fused_reference`): the registry forwards, one
  instruction at a time, exactly what the unfused graph computes. It runs for
  everything the kernel does not take: CuPy arrays, other dtypes, inputs that
  broadcast (``broadcast_add`` of a ``(3, 1)`` and a ``(1, 4)``: the pass cannot
  always know shapes, so this is decided at run time);
- the **gradient**: the registry gradient rules of the instructions in
  reverse order (a vector-Jacobian product through the program), written with
  ``F`` operators, so that it can be differentiated again.
"""
import functools
import math
import numbers
import re

import numpy

from .._ext import fusion as _kernel
from ..base import MXNetError
from .registry import OPS, register

# --- what the kernel runs ---------------------------------------------------
# Registry operator (canonical name) -> its lowering to kernel steps. A step is
# (opcode, a, b): an operand is an int (the operator's input of that index), a
# float (a constant), 'prev' (the previous step's result) or None (unused).

_UNARY = ('negative', 'abs', 'exp', 'expm1', 'log', 'log1p', 'log2', 'log10', 'sqrt',
          'rsqrt', 'cbrt', 'rcbrt', 'square', 'reciprocal', 'sin', 'cos', 'tan', 'arcsin',
          'arccos', 'arctan', 'sinh', 'cosh', 'tanh', 'arcsinh', 'arccosh', 'arctanh',
          'relu', 'sigmoid', 'softsign', 'sign', 'floor', 'ceil', 'round', 'rint', 'trunc',
          'logical_not')
_RENAMED_UNARY = {'_copy': 'copy', 'fix': 'trunc'}
_SCALED_UNARY = {'degrees': 180.0 / math.pi, 'radians': math.pi / 180.0}
_BINARY = {'broadcast_add': 'add', 'broadcast_sub': 'sub', 'broadcast_mul': 'mul',
           'broadcast_div': 'div', 'broadcast_power': 'pow', 'broadcast_maximum': 'maximum',
           'broadcast_minimum': 'minimum', 'broadcast_hypot': 'hypot',
           'broadcast_equal': 'equal', 'broadcast_not_equal': 'not_equal',
           'broadcast_greater': 'greater', 'broadcast_greater_equal': 'greater_equal',
           'broadcast_lesser': 'lesser', 'broadcast_lesser_equal': 'lesser_equal'}
# scalar operator -> (opcode, whether the scalar is the left operand)
_SCALAR = {'_plus_scalar': ('add', False), '_minus_scalar': ('sub', False),
           '_rminus_scalar': ('sub', True), '_mul_scalar': ('mul', False),
           '_div_scalar': ('div', False), '_rdiv_scalar': ('div', True),
           '_power_scalar': ('pow', False), '_rpower_scalar': ('pow', True),
           '_maximum_scalar': ('maximum', False), '_minimum_scalar': ('minimum', False),
           '_hypot_scalar': ('hypot', False), '_equal_scalar': ('equal', False),
           '_not_equal_scalar': ('not_equal', False), '_greater_scalar': ('greater', False),
           '_greater_equal_scalar': ('greater_equal', False),
           '_lesser_scalar': ('lesser', False), '_lesser_equal_scalar': ('lesser_equal', False)}
_ACTIVATIONS = ('relu', 'sigmoid', 'tanh', 'softrelu', 'softsign')


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def kernel_steps(op_name, attrs):
    """The kernel steps of one registry operator call, or None if the kernel lacks it.

    Parameters
    ----------
    op_name : str
        A registry name (aliases are fine: ``elemwise_add`` is ``broadcast_add``).
    attrs : dict
        The call's attributes.

    Returns
    -------
    list of (opcode, a, b) or None

    Examples
    --------
    >>> kernel_steps('_rminus_scalar', {'scalar': 1.0})
    [('sub', 1.0, 0)]
    >>> kernel_steps('clip', {'a_min': 0, 'a_max': 6})
    [('maximum', 0, 0.0), ('minimum', 'prev', 6.0)]
    >>> kernel_steps('FullyConnected', {}) is None
    True
    """
    op = OPS.get(op_name)
    name = op.name if op is not None else None
    if name in _UNARY or name in _RENAMED_UNARY:
        return None if attrs else [(_RENAMED_UNARY.get(name, name), 0, None)]
    if name in _SCALED_UNARY:
        return None if attrs else [('mul', 0, _SCALED_UNARY[name])]
    if name in _BINARY:
        return None if attrs else [(_BINARY[name], 0, 1)]
    if name in _SCALAR:
        scalar = attrs.get('scalar', op.defaults['scalar'])
        if not _is_number(scalar) or set(attrs) - {'scalar'}:
            return None
        opcode, left = _SCALAR[name]
        return [(opcode, float(scalar), 0) if left else (opcode, 0, float(scalar))]
    if name == 'Activation':
        act = attrs.get('act_type')
        return [(act, 0, None)] if act in _ACTIVATIONS and set(attrs) == {'act_type'} else None
    if name == 'clip':
        lo, hi = attrs.get('a_min'), attrs.get('a_max')
        if not (_is_number(lo) and _is_number(hi)) or lo > hi or set(attrs) - {'a_min', 'a_max'}:
            return None
        return [('maximum', 0, float(lo)), ('minimum', 'prev', float(hi))]
    return None


# --- programs ---------------------------------------------------------------

_INSTRUCTION = re.compile(r'^r(\d+) = ([A-Za-z_]\w*)\((.*)\)$')


class Program:
    """A parsed program: instructions, and the kernel code when the kernel can run it.

    Attributes
    ----------
    text : str
    n_inputs : int
    instructions : list of (op_name, operands, attrs)
        ``operands`` index the values: ``0 .. n_inputs-1`` are the inputs,
        ``n_inputs + K`` is the result of instruction ``K``.
    code, consts, n_scratch
        The kernel's program (see ``mxlearn._ext.fusion``); ``code`` is None
        when an instruction has no kernel lowering.
    """
    __slots__ = ('text', 'n_inputs', 'instructions', 'code', 'consts', 'n_scratch')

    def __repr__(self):
        return '<Program of %d instructions on %d inputs%s>' % (
            len(self.instructions), self.n_inputs, '' if self.code is not None
            else ', reference only')


def format_program(instructions, n_inputs):
    """The text of a program (the inverse of :func:`parse_program`).

    Parameters
    ----------
    instructions : list of (op_name, operands, attrs)
        As in :class:`Program`.
    n_inputs : int

    Examples
    --------
    >>> format_program([('exp', [0], {}), ('_mul_scalar', [1], {'scalar': 2.0})], 1)
    'r0 = exp(x0); r1 = _mul_scalar(r0, scalar=2.0)'
    """
    from ..symbol.json_format import format_value
    lines = []
    for k, (op_name, operands, attrs) in enumerate(instructions):
        args = ['x%d' % i if i < n_inputs else 'r%d' % (i - n_inputs) for i in operands]
        args += ['%s=%s' % (key, format_value(attrs[key])) for key in sorted(attrs)]
        lines.append('r%d = %s(%s)' % (k, op_name, ', '.join(args)))
    return '; '.join(lines)


@functools.lru_cache(maxsize=1024)
def parse_program(text):
    """Parse (and compile, where the kernel can run it) the text of a program.

    Examples
    --------
    >>> p = parse_program('r0 = elemwise_mul(x0, x1); r1 = tanh(r0)')
    >>> p.n_inputs, p.instructions
    (2, [('elemwise_mul', [0, 1], {}), ('tanh', [2], {})])
    """
    from ..symbol.json_format import parse_value
    if not text.strip():
        raise MXNetError('_fused_elemwise: the program is empty')
    parsed, n_inputs = [], 0
    for k, line in enumerate(s.strip() for s in text.split(';')):
        match = _INSTRUCTION.match(line)
        if match is None or int(match.group(1)) != k:
            raise MXNetError('_fused_elemwise: instruction %d, %r, is not of the form '
                             '"r%d = operator(x0, r1, ..., key=value)"' % (k, line, k))
        op_name = match.group(2)
        op = OPS.get(op_name)
        if op is None:
            raise MXNetError('_fused_elemwise: instruction %d uses %r, which is not a '
                             'registered operator' % (k, op_name))
        operands, attrs = [], {}
        for arg in filter(None, (a.strip() for a in match.group(3).split(','))):
            key, eq, value = arg.partition('=')
            if eq:
                attrs[key.strip()] = parse_value(value.strip(), (op.defaults or {}).get(
                    key.strip()))
            elif re.fullmatch(r'x\d+', arg):
                operands.append(('x', int(arg[1:])))
                n_inputs = max(n_inputs, int(arg[1:]) + 1)
            elif re.fullmatch(r'r\d+', arg) and int(arg[1:]) < k:
                operands.append(('r', int(arg[1:])))
            else:
                raise MXNetError('_fused_elemwise: instruction %d reads %r; expected x<i> '
                                 '(an input) or r<j> with j < %d' % (k, arg, k))
        parsed.append((op_name, operands, attrs))
    program = Program()
    program.text, program.n_inputs = text, n_inputs
    program.instructions = [(name, [i if kind == 'x' else n_inputs + i for kind, i in ops],
                             attrs) for name, ops, attrs in parsed]
    program.code = program.consts = program.n_scratch = None
    _compile(program)
    return program


def compile_program(text):
    """The kernel code of a program: ``(code, consts, n_scratch)``, or None.

    Each instruction is lowered to kernel steps (:func:`kernel_steps`); each
    step's result gets a scratch register, reused as soon as its last reader
    has run, and the last step writes the output.

    Examples
    --------
    >>> code, consts, n_scratch = compile_program('r0 = exp(x0); r1 = _mul_scalar(r0, scalar=2)')
    >>> code.tolist(), consts.tolist(), n_scratch
    ([[2, 2, 0, -1], [40, -1, 2, 1]], [2.0], 1)
    """
    program = parse_program(text)
    return None if program.code is None else (program.code, program.consts, program.n_scratch)


def _compile(program):
    n_in = program.n_inputs
    consts, steps, value_step = {}, [], {}
    for k, (op_name, operands, attrs) in enumerate(program.instructions):
        lowered = kernel_steps(op_name, attrs)
        if lowered is None:
            return
        for opcode, *args in lowered:
            refs = []
            for a in args:
                if a is None:
                    refs.append(None)
                elif a == 'prev':
                    refs.append(('step', len(steps) - 1))
                elif isinstance(a, float):
                    refs.append(('const', consts.setdefault(repr(a), (len(consts), a))[0]))
                else:
                    value = operands[a]
                    refs.append(('input', value) if value < n_in
                                else ('step', value_step[value]))
            steps.append((_kernel.OPCODES[opcode], refs))
        value_step[n_in + k] = len(steps) - 1
    last_use = {}
    for s, (_, refs) in enumerate(steps):
        for ref in refs:
            if ref is not None and ref[0] == 'step':
                last_use[ref[1]] = s
    base = n_in + len(consts)
    register_of, free, n_scratch, code = {}, [], 0, []
    for s, (opcode, refs) in enumerate(steps):
        slots = []
        for ref in refs:
            if ref is None:
                slots.append(-1)
            elif ref[0] == 'input':
                slots.append(ref[1])
            elif ref[0] == 'const':
                slots.append(n_in + ref[1])
            else:
                slots.append(base + register_of[ref[1]])
        for ref in refs:  # registers whose last reader is this step are free again
            if ref is not None and ref[0] == 'step' and last_use[ref[1]] == s \
                    and ref[1] in register_of:
                free.append(register_of.pop(ref[1]))
        if s == len(steps) - 1:
            dst = -1
        else:
            if free:
                free.sort()
                reg = free.pop(0)
            else:
                reg, n_scratch = n_scratch, n_scratch + 1
            register_of[s] = reg
            if s not in last_use:  # an unused result frees its register at once
                free.append(register_of.pop(s))
            dst = base + reg
        code.append([opcode, dst, slots[0], slots[1]])
    program.code = numpy.array(code, dtype=numpy.int32)
    program.consts = numpy.array([v for _, v in sorted(consts.values())], dtype=numpy.float64)
    program.n_scratch = n_scratch


# --- running ----------------------------------------------------------------

def fused_reference(xp, program, data):
    """Run ``program`` (text or :class:`Program`) with the registry forwards, one by one.

    Examples
    --------
    >>> import numpy as np
    >>> fused_reference(np, 'r0 = negative(x0); r1 = exp(r0)', [np.zeros(2)])
    array([1., 1.])
    """
    if isinstance(program, str):
        program = parse_program(program)
    values = list(data)
    for op_name, operands, attrs in program.instructions:
        values.append(OPS[op_name].forward(xp, *[values[i] for i in operands], **attrs))
    return values[-1]


def _use_kernel(xp, program, data):
    if xp is not numpy or program.code is None:
        return False
    first = data[0]
    return first.dtype in (numpy.float32, numpy.float64) and all(
        d.dtype == first.dtype and d.shape == first.shape for d in data)


def _check_inputs(program, count):
    if count != program.n_inputs:
        raise MXNetError('_fused_elemwise: the program reads %d inputs (x0..x%d); %d were '
                         'given' % (program.n_inputs, program.n_inputs - 1, count))


def _fused_shape(in_shapes, program=''):
    parsed = parse_program(program)
    _check_inputs(parsed, len(in_shapes))
    shapes = [tuple(s) for s in in_shapes]
    for op_name, operands, attrs in parsed.instructions:
        rule = OPS[op_name].infer_shape
        if rule is None:
            raise MXNetError('_fused_elemwise: %s has no shape inference, so a program '
                             'using it cannot be inferred' % op_name)
        shapes.append(tuple(rule([shapes[i] for i in operands], **attrs)[0]))
    return [shapes[-1]]


def _fused_gradient(F, inputs, outputs, ograds, program=''):
    """Reverse mode through the program with each instruction's registry gradient rule."""
    parsed = parse_program(program)
    n_in = parsed.n_inputs
    values = list(inputs)
    for op_name, operands, attrs in parsed.instructions[:-1]:
        values.append(getattr(F, op_name)(*[values[i] for i in operands], **attrs))
    values.append(outputs[0])
    grads = [None] * len(values)
    grads[-1] = ograds[0]
    for k in reversed(range(len(parsed.instructions))):
        op_name, operands, attrs = parsed.instructions[k]
        rule = OPS[op_name].gradient
        if grads[n_in + k] is None or rule is None:
            continue
        got = rule(F, tuple(values[i] for i in operands), (values[n_in + k],),
                   (grads[n_in + k],), **attrs)
        for i, g in zip(operands, got):
            if g is not None:
                grads[i] = g if grads[i] is None else grads[i] + g
    return grads[:n_in]


@register('_fused_elemwise', gradient=_fused_gradient, infer_shape=_fused_shape)
def fused_elemwise(xp, *data, program=''):
    """Run a program of elementwise operators as one operator (see the module docstring).

    Made by the graph pass ``fuse_elementwise``; callable directly too.

    Parameters
    ----------
    *data : NDArray
        The inputs ``x0, x1, ...`` of the program.
    program : str
        ``'r0 = op(x0, ...); r1 = op(r0, ...); ...'``; the last value is the output.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([0, 1])
    >>> mx.nd._fused_elemwise(x, program='r0 = exp(x0); r1 = _mul_scalar(r0, scalar=2)')
    <BLANKLINE>
    [2.        5.4365635]
    <NDArray 2 @cpu(0)>
    """
    parsed = parse_program(program)
    _check_inputs(parsed, len(data))
    if not _use_kernel(xp, parsed, data):
        return fused_reference(xp, parsed, data)
    out = numpy.empty(data[0].shape, data[0].dtype)
    flat = [numpy.ascontiguousarray(d).reshape(-1) for d in data]
    _kernel.run(out.reshape(-1), flat, parsed.code, parsed.consts, parsed.n_scratch)
    return out
