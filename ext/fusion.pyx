# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
# distutils: extra_compile_args = -fno-math-errno -fno-trapping-math
"""The CPU kernel of ``_fused_elemwise``: a small program run in one pass over memory.

A chain of elementwise operators run one at a time (``numpy.exp``, then
``numpy.tanh``, ...) reads and writes whole arrays per operator: for a 1M-element
array and five operators, ten passes over 4 MB, most of them out of cache. The
graph pass ``mxlearn.symbol.passes.fuse_elementwise`` turns such a chain into one
program, and this kernel runs it **blockwise**: for each block of ``BLOCK``
elements it runs every instruction on the block, keeping the intermediate
values in a few scratch registers of ``BLOCK`` elements each. Those registers
stay in the L1 cache, so memory sees one read of each input and one write of
the output.

A program is compiled by ``mxlearn.operator.fused_elemwise`` into

- ``code``: one row ``(opcode, dst, a, b)`` per instruction. Operands are
  *slots*: ``0 .. n_in-1`` are the inputs, the next ``len(consts)`` slots are
  registers holding one constant each (filled once per task, so that scalar
  operators take the same loops as array ones), and the rest are scratch
  registers. ``dst`` is a scratch slot, or -1 for the output (the last
  instruction). ``b`` is unused (-1) for unary opcodes.
- ``consts``: the constants, as float64 (rounded to the array dtype when
  the registers are filled, as numpy rounds a Python scalar).

Every opcode is a plain loop over the block, which the C compiler
vectorizes when its body is arithmetic and selects: the arithmetic and
comparison opcodes, and ``exp``, ``tanh`` and ``sigmoid``, written below with
a polynomial instead of a call (within 5 units in the last place of numpy's
results, same infinities, NaNs and subnormals). The ``distutils`` flags above
let the compiler turn ``sqrt`` and branches into vector instructions; neither
changes a result. The other functions call the C library once per element,
in the array's precision (``logf`` for float32).

Large arrays are split into tasks of ``TASK_BLOCKS`` blocks shared between
OpenMP threads (``prange``); each task allocates its own registers.

Examples
--------
>>> import numpy as np
>>> from mxlearn._ext import fusion
>>> x = np.array([0.0, 1.0, 2.0])
>>> out = np.empty(3)
>>> # out = exp(x) * 2: slot 0 is x, slot 1 the constant 2, slot 2 a register
>>> code = np.array([[fusion.OPCODES['exp'], 2, 0, -1],
...                  [fusion.OPCODES['mul'], -1, 2, 1]], dtype=np.int32)
>>> fusion.run(out, [x], code, np.array([2.0]), 1)
>>> out.round(4)
array([ 2.    ,  5.4366, 14.7781])
"""
from cython.parallel cimport prange
from libc.math cimport (acos, acosf, acosh, acoshf, asin, asinf, asinh, asinhf, atan, atanf,
                        atanh, atanhf, cbrt, cbrtf, ceil, ceilf, cos, cosf, cosh, coshf,
                        expm1, expm1f, fabs, fabsf, floor, floorf, hypot, hypotf, log,
                        log10, log10f, log1p, log1pf, log2, log2f, logf, pow, powf, rint,
                        rintf, sin, sinf, sinh, sinhf, sqrt, sqrtf, tan, tanf,
                        trunc, truncf)
from libc.stdlib cimport free, malloc

cdef extern from *:
    """
    #include <math.h>
    #include <stdint.h>

    /* e**x and tanh(x) written with arithmetic and selects only, so that a loop
       calling them vectorizes (the C library's are one call per element).

       e**x: x = n ln2 + r with n an integer and |r| <= ln2/2, so e**x = 2**n e**r.
       n is rounded with the "magic number" 1.5 * 2**mantissa_bits: adding it
       leaves n in the low bits of the sum. ln2 is split in two so that n*ln2_hi
       is exact. e**r is its Taylor series (the first neglected term is below
       the last bit). 2**n is built from exponent bits, as two factors so that
       results down to the subnormals come out right (0x4b400000 and
       0x4338000000000000 are the bits of the magic numbers). */
    static inline float mxl_expf(float x) {
        const float magic = 12582912.0f;
        float t = x * 1.44269504088896341f + magic;
        float n = t - magic;
        float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
        float p = 1.0f / 40320;
        float h = (n * 0.5f + magic) - magic;       /* n = h + (n - h), both small */
        union { float f; int32_t i; } th, tl;
        float y;
        p = p * r + 1.0f / 5040; p = p * r + 1.0f / 720; p = p * r + 1.0f / 120;
        p = p * r + 1.0f / 24; p = p * r + 1.0f / 6; p = p * r + 0.5f;
        p = p * r + 1.0f; p = p * r + 1.0f;
        th.f = h + magic;
        tl.f = (n - h) + magic;
        th.i = (th.i - 0x4b400000 + 127) << 23;
        tl.i = (tl.i - 0x4b400000 + 127) << 23;
        y = p * th.f * tl.f;
        y = x > 88.72283935546875f ? INFINITY : y;
        y = x < -103.97208404541015625f ? 0.0f : y;
        return x != x ? x : y;
    }

    static inline double mxl_exp(double x) {
        const double magic = 6755399441055744.0;
        double t = x * 1.4426950408889634074 + magic;
        double n = t - magic;
        double r = (x - n * 6.93147180369123816490e-01) - n * 1.90821492927058770002e-10;
        double p = 1.0 / 6227020800.0;              /* 1/13! */
        double h = (n * 0.5 + magic) - magic;
        union { double f; int64_t i; } th, tl;
        double y;
        p = p * r + 1.0 / 479001600; p = p * r + 1.0 / 39916800;
        p = p * r + 1.0 / 3628800; p = p * r + 1.0 / 362880; p = p * r + 1.0 / 40320;
        p = p * r + 1.0 / 5040; p = p * r + 1.0 / 720; p = p * r + 1.0 / 120;
        p = p * r + 1.0 / 24; p = p * r + 1.0 / 6; p = p * r + 0.5;
        p = p * r + 1.0; p = p * r + 1.0;
        th.f = h + magic;
        tl.f = (n - h) + magic;
        th.i = (th.i - 0x4338000000000000LL + 1023) << 52;
        tl.i = (tl.i - 0x4338000000000000LL + 1023) << 52;
        y = p * th.f * tl.f;
        y = x > 709.782712893383973 ? INFINITY : y;
        y = x < -745.13321910194122 ? 0.0 : y;
        return x != x ? x : y;
    }

    /* tanh(x) = 1 - 2 / (e**2|x| + 1), with the sign of x; near 0, where
       that difference loses digits, its Taylor series instead. */
    static inline float mxl_tanhf(float x) {
        float a = fabsf(x), x2 = x * x;
        float big = 1.0f - 2.0f / (mxl_expf(2.0f * a) + 1.0f);
        float s = -0.008863235529902197f;
        s = s * x2 + 0.021869488536155203f; s = s * x2 - 0.05396825396825397f;
        s = s * x2 + 0.13333333333333333f; s = s * x2 - 0.3333333333333333f;
        return a < 0.25f ? x + x * x2 * s : copysignf(big, x);
    }

    static inline double mxl_tanh(double x) {
        double a = fabs(x), x2 = x * x;
        double big = 1.0 - 2.0 / (mxl_exp(2.0 * a) + 1.0);
        double s = -3.927832388331683e-05;
        s = s * x2 + 9.691537956929451e-05; s = s * x2 - 0.00023912911424355248;
        s = s * x2 + 0.000590027440945586; s = s * x2 - 0.0014558343870513183;
        s = s * x2 + 0.003592128036572481; s = s * x2 - 0.008863235529902197;
        s = s * x2 + 0.021869488536155203; s = s * x2 - 0.05396825396825397;
        s = s * x2 + 0.13333333333333333; s = s * x2 - 0.3333333333333333;
        return a < 0.25 ? x + x * x2 * s : copysign(big, x);
    }
    """
    float mxl_expf(float x) noexcept nogil
    double mxl_exp(double x) noexcept nogil
    float mxl_tanhf(float x) noexcept nogil
    double mxl_tanh(double x) noexcept nogil

ctypedef fused real:
    float
    double

# Elements per block: a few registers of BLOCK float64 stay inside a 32 KB L1.
cdef Py_ssize_t BLOCK = 512
# Blocks per parallel task, and the size below which threads cost more than
# they save: on a machine shared with other busy processes, a thread that is
# not scheduled stalls the whole loop (measured on 2 busy cores: a 1M-element
# program 2x slower with 2 threads than with one).
cdef Py_ssize_t TASK_BLOCKS = 64
cdef Py_ssize_t PARALLEL_THRESHOLD = 1 << 21

cdef enum Opcode:
    # unary: dst = f(a)
    NEGATIVE, ABS, EXP, EXPM1, LOG, LOG1P, LOG2, LOG10, SQRT, RSQRT, CBRT, RCBRT,
    SQUARE, RECIPROCAL, SIN, COS, TAN, ARCSIN, ARCCOS, ARCTAN, SINH, COSH, TANH,
    ARCSINH, ARCCOSH, ARCTANH, RELU, SIGMOID, SOFTSIGN, SOFTRELU, SIGN, FLOOR, CEIL,
    ROUND, RINT, TRUNC, COPY, LOGICAL_NOT,
    # binary: dst = f(a, b)
    ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM, HYPOT, EQUAL, NOT_EQUAL, GREATER,
    GREATER_EQUAL, LESSER, LESSER_EQUAL,
    NUM_OPCODES

# The opcodes by name, for the compiler in mxlearn.operator.fused_elemwise.
OPCODES = {
    'negative': NEGATIVE, 'abs': ABS, 'exp': EXP, 'expm1': EXPM1, 'log': LOG,
    'log1p': LOG1P, 'log2': LOG2, 'log10': LOG10, 'sqrt': SQRT, 'rsqrt': RSQRT,
    'cbrt': CBRT, 'rcbrt': RCBRT, 'square': SQUARE, 'reciprocal': RECIPROCAL,
    'sin': SIN, 'cos': COS, 'tan': TAN, 'arcsin': ARCSIN, 'arccos': ARCCOS,
    'arctan': ARCTAN, 'sinh': SINH, 'cosh': COSH, 'tanh': TANH, 'arcsinh': ARCSINH,
    'arccosh': ARCCOSH, 'arctanh': ARCTANH, 'relu': RELU, 'sigmoid': SIGMOID,
    'softsign': SOFTSIGN, 'softrelu': SOFTRELU, 'sign': SIGN, 'floor': FLOOR,
    'ceil': CEIL, 'round': ROUND, 'rint': RINT, 'trunc': TRUNC, 'copy': COPY,
    'logical_not': LOGICAL_NOT,
    'add': ADD, 'sub': SUB, 'mul': MUL, 'div': DIV, 'pow': POW, 'maximum': MAXIMUM,
    'minimum': MINIMUM, 'hypot': HYPOT, 'equal': EQUAL, 'not_equal': NOT_EQUAL,
    'greater': GREATER, 'greater_equal': GREATER_EQUAL, 'lesser': LESSER,
    'lesser_equal': LESSER_EQUAL,
}
# Opcodes from ADD on take two operands.
FIRST_BINARY = ADD


# -------------------------------------------- C math in the array's precision --

cdef inline real m_exp(real x) noexcept nogil:
    return mxl_expf(x) if real is float else mxl_exp(x)

cdef inline real m_expm1(real x) noexcept nogil:
    return expm1f(x) if real is float else expm1(x)

cdef inline real m_log(real x) noexcept nogil:
    return logf(x) if real is float else log(x)

cdef inline real m_log1p(real x) noexcept nogil:
    return log1pf(x) if real is float else log1p(x)

cdef inline real m_log2(real x) noexcept nogil:
    return log2f(x) if real is float else log2(x)

cdef inline real m_log10(real x) noexcept nogil:
    return log10f(x) if real is float else log10(x)

cdef inline real m_sqrt(real x) noexcept nogil:
    return sqrtf(x) if real is float else sqrt(x)

cdef inline real m_cbrt(real x) noexcept nogil:
    return cbrtf(x) if real is float else cbrt(x)

cdef inline real m_sin(real x) noexcept nogil:
    return sinf(x) if real is float else sin(x)

cdef inline real m_cos(real x) noexcept nogil:
    return cosf(x) if real is float else cos(x)

cdef inline real m_tan(real x) noexcept nogil:
    return tanf(x) if real is float else tan(x)

cdef inline real m_asin(real x) noexcept nogil:
    return asinf(x) if real is float else asin(x)

cdef inline real m_acos(real x) noexcept nogil:
    return acosf(x) if real is float else acos(x)

cdef inline real m_atan(real x) noexcept nogil:
    return atanf(x) if real is float else atan(x)

cdef inline real m_sinh(real x) noexcept nogil:
    return sinhf(x) if real is float else sinh(x)

cdef inline real m_cosh(real x) noexcept nogil:
    return coshf(x) if real is float else cosh(x)

cdef inline real m_tanh(real x) noexcept nogil:
    return mxl_tanhf(x) if real is float else mxl_tanh(x)

cdef inline real m_asinh(real x) noexcept nogil:
    return asinhf(x) if real is float else asinh(x)

cdef inline real m_acosh(real x) noexcept nogil:
    return acoshf(x) if real is float else acosh(x)

cdef inline real m_atanh(real x) noexcept nogil:
    return atanhf(x) if real is float else atanh(x)

cdef inline real m_fabs(real x) noexcept nogil:
    return fabsf(x) if real is float else fabs(x)

cdef inline real m_floor(real x) noexcept nogil:
    return floorf(x) if real is float else floor(x)

cdef inline real m_ceil(real x) noexcept nogil:
    return ceilf(x) if real is float else ceil(x)

cdef inline real m_rint(real x) noexcept nogil:
    return rintf(x) if real is float else rint(x)

cdef inline real m_trunc(real x) noexcept nogil:
    return truncf(x) if real is float else trunc(x)

cdef inline real m_pow(real x, real y) noexcept nogil:
    return powf(x, y) if real is float else pow(x, y)

cdef inline real m_hypot(real x, real y) noexcept nogil:
    return hypotf(x, y) if real is float else hypot(x, y)


# ------------------------------------------------------------ one opcode --

cdef void unary(int op, real* d, const real* a, Py_ssize_t n) noexcept nogil:
    """``d[j] = f(a[j])`` for ``j < n``; numpy's results, NaN handling included."""
    cdef Py_ssize_t j
    cdef real x
    if op == NEGATIVE:
        for j in range(n):
            d[j] = -a[j]
    elif op == ABS:
        for j in range(n):
            d[j] = m_fabs(a[j])
    elif op == EXP:
        for j in range(n):
            d[j] = m_exp(a[j])
    elif op == EXPM1:
        for j in range(n):
            d[j] = m_expm1(a[j])
    elif op == LOG:
        for j in range(n):
            d[j] = m_log(a[j])
    elif op == LOG1P:
        for j in range(n):
            d[j] = m_log1p(a[j])
    elif op == LOG2:
        for j in range(n):
            d[j] = m_log2(a[j])
    elif op == LOG10:
        for j in range(n):
            d[j] = m_log10(a[j])
    elif op == SQRT:
        for j in range(n):
            d[j] = m_sqrt(a[j])
    elif op == RSQRT:
        for j in range(n):
            d[j] = 1 / m_sqrt(a[j])
    elif op == CBRT:
        for j in range(n):
            d[j] = m_cbrt(a[j])
    elif op == RCBRT:
        for j in range(n):
            d[j] = 1 / m_cbrt(a[j])
    elif op == SQUARE:
        for j in range(n):
            d[j] = a[j] * a[j]
    elif op == RECIPROCAL:
        for j in range(n):
            d[j] = 1 / a[j]
    elif op == SIN:
        for j in range(n):
            d[j] = m_sin(a[j])
    elif op == COS:
        for j in range(n):
            d[j] = m_cos(a[j])
    elif op == TAN:
        for j in range(n):
            d[j] = m_tan(a[j])
    elif op == ARCSIN:
        for j in range(n):
            d[j] = m_asin(a[j])
    elif op == ARCCOS:
        for j in range(n):
            d[j] = m_acos(a[j])
    elif op == ARCTAN:
        for j in range(n):
            d[j] = m_atan(a[j])
    elif op == SINH:
        for j in range(n):
            d[j] = m_sinh(a[j])
    elif op == COSH:
        for j in range(n):
            d[j] = m_cosh(a[j])
    elif op == TANH:
        for j in range(n):
            d[j] = m_tanh(a[j])
    elif op == ARCSINH:
        for j in range(n):
            d[j] = m_asinh(a[j])
    elif op == ARCCOSH:
        for j in range(n):
            d[j] = m_acosh(a[j])
    elif op == ARCTANH:
        for j in range(n):
            d[j] = m_atanh(a[j])
    elif op == RELU:
        for j in range(n):
            x = a[j]
            d[j] = 0 if x < 0 else x       # NaN stays NaN, as numpy.maximum(x, 0)
    elif op == SIGMOID:
        for j in range(n):
            d[j] = 1 / (1 + m_exp(-a[j]))
    elif op == SOFTSIGN:
        for j in range(n):
            d[j] = a[j] / (1 + m_fabs(a[j]))
    elif op == SOFTRELU:
        # log(1 + e**x) = max(x, 0) + log1p(e**-|x|): no overflow for large x
        for j in range(n):
            x = a[j]
            d[j] = (0 if x < 0 else x) + m_log1p(m_exp(-m_fabs(x)))
    elif op == SIGN:
        for j in range(n):
            x = a[j]
            d[j] = 1 if x > 0 else (-1 if x < 0 else x)   # 0 and NaN pass through
    elif op == FLOOR:
        for j in range(n):
            d[j] = m_floor(a[j])
    elif op == CEIL:
        for j in range(n):
            d[j] = m_ceil(a[j])
    elif op == ROUND:
        # half away from zero, computed as mxlearn's numpy reference does
        for j in range(n):
            x = a[j]
            d[j] = m_floor(x + <real>0.5) if x >= 0 else m_ceil(x - <real>0.5)
    elif op == RINT:
        for j in range(n):
            d[j] = m_rint(a[j])
    elif op == TRUNC:
        for j in range(n):
            d[j] = m_trunc(a[j])
    elif op == COPY:
        for j in range(n):
            d[j] = a[j]
    elif op == LOGICAL_NOT:
        for j in range(n):
            d[j] = a[j] == 0


cdef void binary(int op, real* d, const real* a, const real* b, Py_ssize_t n) noexcept nogil:
    """``d[j] = f(a[j], b[j])`` for ``j < n``; comparisons give 1 or 0."""
    cdef Py_ssize_t j
    cdef real x, y
    if op == ADD:
        for j in range(n):
            d[j] = a[j] + b[j]
    elif op == SUB:
        for j in range(n):
            d[j] = a[j] - b[j]
    elif op == MUL:
        for j in range(n):
            d[j] = a[j] * b[j]
    elif op == DIV:
        for j in range(n):
            d[j] = a[j] / b[j]
    elif op == POW:
        for j in range(n):
            d[j] = m_pow(a[j], b[j])
    elif op == MAXIMUM:
        for j in range(n):
            x = a[j]
            y = b[j]
            d[j] = x if (x > y) | (x != x) else y    # a NaN on either side wins
    elif op == MINIMUM:
        for j in range(n):
            x = a[j]
            y = b[j]
            d[j] = x if (x < y) | (x != x) else y
    elif op == HYPOT:
        for j in range(n):
            d[j] = m_hypot(a[j], b[j])
    elif op == EQUAL:
        for j in range(n):
            d[j] = a[j] == b[j]
    elif op == NOT_EQUAL:
        for j in range(n):
            d[j] = a[j] != b[j]
    elif op == GREATER:
        for j in range(n):
            d[j] = a[j] > b[j]
    elif op == GREATER_EQUAL:
        for j in range(n):
            d[j] = a[j] >= b[j]
    elif op == LESSER:
        for j in range(n):
            d[j] = a[j] < b[j]
    elif op == LESSER_EQUAL:
        for j in range(n):
            d[j] = a[j] <= b[j]


# ----------------------------------------------------------------- tasks --

cdef int run_task(real* out, const real** inputs, Py_ssize_t n_in, const int* code,
                  Py_ssize_t n_code, const double* consts, Py_ssize_t n_const,
                  Py_ssize_t n_scratch, Py_ssize_t start, Py_ssize_t stop) noexcept nogil:
    """Run the program on elements ``[start, stop)``, block by block; 1 if out of memory."""
    cdef real* regs = <real*>malloc((n_const + n_scratch) * BLOCK * sizeof(real) + 1)
    cdef Py_ssize_t i, j, s, m, slot
    cdef int op
    cdef real* dst
    cdef const real* operand[2]
    if regs == NULL:
        return 1
    for i in range(n_const):
        for j in range(BLOCK):
            regs[i * BLOCK + j] = <real>consts[i]
    s = start
    while s < stop:
        m = BLOCK if s + BLOCK <= stop else stop - s
        for i in range(n_code):
            op = code[4 * i]
            for j in range(2):
                slot = code[4 * i + 2 + j]
                if slot < n_in:
                    operand[j] = inputs[slot] + s if slot >= 0 else NULL
                else:
                    operand[j] = regs + (slot - n_in) * BLOCK
            slot = code[4 * i + 1]
            dst = out + s if slot < 0 else regs + (slot - n_in) * BLOCK
            if op < ADD:
                unary(op, dst, operand[0], m)
            else:
                binary(op, dst, operand[0], operand[1], m)
        s += m
    free(regs)
    return 0


def run(real[::1] out, list inputs, const int[:, ::1] code, const double[::1] consts,
        Py_ssize_t n_scratch):
    """Run a compiled program over flat, C-contiguous arrays of one dtype.

    Parameters
    ----------
    out : float32 or float64 array, 1-d
        The result; it may be one of ``inputs`` (elementwise programs allow it).
    inputs : list of arrays
        Same dtype and length as ``out``.
    code : int32 array of shape (instructions, 4)
        Rows ``(opcode, dst, a, b)`` (see the module docstring).
    consts : float64 array
        The constants, in slot order after the inputs.
    n_scratch : int
        The number of scratch registers the program uses.
    """
    cdef Py_ssize_t n = out.shape[0], n_in = len(inputs), n_code = code.shape[0]
    cdef Py_ssize_t n_const = consts.shape[0], k, t, task = TASK_BLOCKS * BLOCK
    cdef Py_ssize_t n_tasks = (n + task - 1) // task
    cdef Py_ssize_t n_slots = n_in + n_const + n_scratch
    cdef const real[::1] view
    cdef const real** pointers
    cdef const double* constants = &consts[0] if n_const else NULL
    cdef int failed = 0
    if code.shape[1] != 4:
        raise ValueError('code must have 4 columns (opcode, dst, a, b)')
    for k in range(n_code):
        op, dst, a, b = code[k, 0], code[k, 1], code[k, 2], code[k, 3]
        if not 0 <= op < NUM_OPCODES:
            raise ValueError('instruction %d: unknown opcode %d' % (k, op))
        if (not (dst == -1 or n_in + n_const <= dst < n_slots) or not 0 <= a < n_slots
                or (op >= ADD and not 0 <= b < n_slots)):
            raise ValueError('instruction %d: a slot is out of range (%d inputs, %d '
                             'constants, %d registers)' % (k, n_in, n_const, n_scratch))
    if n == 0 or n_code == 0:
        return
    pointers = <const real**>malloc(max(n_in, 1) * sizeof(real*))
    if pointers == NULL:
        raise MemoryError()
    try:
        for k in range(n_in):
            view = inputs[k]
            if view.shape[0] != n:
                raise ValueError('input %d has %d elements; expected %d'
                                 % (k, view.shape[0], n))
            pointers[k] = &view[0]
        # The views are released at the end, but the arrays stay alive in
        # ``inputs``, so the pointers remain valid while the kernel runs.
        with nogil:
            for t in prange(n_tasks, schedule='static',
                            use_threads_if=n >= PARALLEL_THRESHOLD):
                failed += run_task(&out[0], pointers, n_in, &code[0, 0], n_code, constants,
                                   n_const, n_scratch, t * task, min(n, (t + 1) * task))
    finally:
        free(pointers)
    if failed:
        raise MemoryError('fusion kernel: no memory for the scratch registers')
