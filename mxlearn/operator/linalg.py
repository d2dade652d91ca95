"""Matrix products: dot, batch_dot, and linalg.gemm2 / linalg.gemm.

``dot`` follows MXNet's N-d rule: it contracts the last axis of ``lhs`` with
the first axis of ``rhs`` (``transpose_a`` contracts lhs's *first* axis
instead, ``transpose_b`` rhs's *last* axis). Internally both operands are
viewed as matrices, which for contiguous arrays is free, and multiplied with
one BLAS call; transposes are views passed to BLAS, never copies.

Every gradient here is again a product of the same family with other
transpose flags, so second-order gradients come for free.
"""
import math

from ..base import MXNetError
from .registry import register
from .shapes import check_axis


def matmul_grads(mm, a, b, g, transpose_a, transpose_b):
    """The gradients of ``op(a) @ op(b)`` given the output gradient ``g``.

    ``mm(x, y, transpose_a, transpose_b)`` is the product to use (``F.dot``,
    ``F.batch_dot`` or ``F._linalg_gemm2``); ``op`` transposes where asked.
    """
    if not transpose_a and not transpose_b:
        return mm(g, b, False, True), mm(a, g, True, False)
    if transpose_a and not transpose_b:
        return mm(b, g, False, True), mm(a, g, False, False)
    if not transpose_a and transpose_b:
        return mm(g, b, False, False), mm(g, a, True, False)
    return mm(b, g, True, True), mm(g, a, True, True)


# ---------------------------------------------------------------------- dot --

def _side(name, ndim, transposed):
    if ndim == 1:
        return '%s (a vector) has' % name
    return '%s%s has' % (name, ' (transposed)' if transposed else '')


def _dot_shape(in_shapes, transpose_a=False, transpose_b=False, forward_stype=None):
    lshape, rshape = (tuple(s) for s in in_shapes)
    if len(lshape) == 1 and len(rshape) == 1:
        if transpose_a or transpose_b:
            raise MXNetError('cannot transpose a vector: transpose_a and transpose_b need '
                             'an operand of 2 or more dimensions')
        if lshape[0] != rshape[0]:
            raise MXNetError('inner dimensions do not match: lhs (a vector) has %d elements '
                             'but rhs (a vector) has %d (expected lhs.shape[0] == '
                             'rhs.shape[0])' % (lshape[0], rshape[0]))
        return [(1,)]
    # A transpose flag on a vector operand is ignored, as MXNet does.
    ta = transpose_a and len(lshape) > 1
    tb = transpose_b and len(rshape) > 1
    lk, rk = (0 if ta else -1), (-1 if tb else 0)
    if lshape[lk] != rshape[rk]:
        raise MXNetError(
            'inner dimensions do not match: %s %d %s but %s %d %s (expected '
            'lhs.shape[%d] == rhs.shape[%d])' % (
                _side('lhs', len(lshape), ta), lshape[lk],
                'elements' if len(lshape) == 1 else 'columns',
                _side('rhs', len(rshape), tb), rshape[rk],
                'elements' if len(rshape) == 1 else 'rows', lk, rk))
    free_l = lshape[1:] if ta else lshape[:-1]
    free_r = rshape[:-1] if tb else rshape[1:]
    return [free_l + free_r or (1,)]


def _matrix_shape(shape, contract_first):
    """The 2-d view of an N-d operand with its contracted axis first or last."""
    if contract_first:
        return (shape[0], math.prod(shape[1:]))
    return (math.prod(shape[:-1]), shape[-1])


def _grad_dot(F, inputs, outputs, ograds, transpose_a=False, transpose_b=False,
              forward_stype=None):
    lhs, rhs = inputs
    g = ograds[0]

    def mm(x, y, ta, tb):
        return F.dot(x, y, transpose_a=ta, transpose_b=tb)

    if lhs.ndim == 2 and rhs.ndim == 2:
        return matmul_grads(mm, lhs, rhs, g, transpose_a, transpose_b)
    if lhs.size == 0 or rhs.size == 0 or g.size == 0:
        # An empty factor or product: every term of each gradient sum is absent.
        return F.zeros_like(lhs), F.zeros_like(rhs)
    ta = transpose_a and lhs.ndim > 1
    tb = transpose_b and rhs.ndim > 1
    # A vector lhs is a 1 x k row, a vector rhs a k x 1 column.
    a = F.reshape(lhs, shape=_matrix_shape(lhs.shape, ta) if lhs.ndim > 1 else (1, lhs.size))
    b = F.reshape(rhs, shape=_matrix_shape(rhs.shape, not tb) if rhs.ndim > 1
                  else (rhs.size, 1))
    rows = a.shape[1] if ta else a.shape[0]
    cols = b.shape[0] if tb else b.shape[1]
    da, db = matmul_grads(mm, a, b, F.reshape(g, shape=(rows, cols)), ta, tb)
    return F.reshape_like(da, lhs), F.reshape_like(db, rhs)


@register('dot', gradient=_grad_dot, infer_shape=_dot_shape)
def dot(xp, lhs, rhs, *, transpose_a=False, transpose_b=False, forward_stype=None):
    """Matrix product, generalised to N-d arrays as in MXNet.

    For 2-d arrays, ``op(lhs) @ op(rhs)`` where ``op`` transposes when the flag
    is set. For N-d arrays the last axis of ``lhs`` is contracted with the
    first axis of ``rhs``: ``(a..., k) x (k, b...) -> (a..., b...)``;
    ``transpose_a`` contracts lhs's first axis instead and ``transpose_b``
    rhs's last axis. Two vectors give their inner product, with shape ``(1,)``.

    Parameters
    ----------
    lhs, rhs : NDArray
    transpose_a, transpose_b : bool, default False
    forward_stype : None
        Accepted for compatibility; mxlearn's arrays are all dense.

    Returns
    -------
    NDArray

    Notes
    -----
    Unlike MXNet, integer arrays are accepted too (MXNet rejects them on the CPU).

    Examples
    --------
    >>> import mxlearn as mx
    >>> a = mx.nd.array([[1, 2], [3, 4]])
    >>> mx.nd.dot(a, a).asnumpy()
    array([[ 7., 10.],
           [15., 22.]], dtype=float32)
    >>> mx.nd.dot(a, a, transpose_a=True).asnumpy()
    array([[10., 14.],
           [14., 20.]], dtype=float32)
    >>> mx.nd.dot(mx.nd.ones_like(a[0]), a[0]).asnumpy()
    array([3.], dtype=float32)
    """
    if lhs.ndim == 2 and rhs.ndim == 2:
        # The common case goes straight to BLAS; .T is a view that BLAS reads
        # as a transposed operand, so nothing is copied.
        return xp.dot(lhs.T if transpose_a else lhs, rhs.T if transpose_b else rhs)
    out_shape = _dot_shape([lhs.shape, rhs.shape], transpose_a, transpose_b)[0]
    if lhs.ndim == 1 and rhs.ndim == 1:
        return xp.dot(lhs, rhs).reshape(out_shape)
    ta = transpose_a and lhs.ndim > 1
    tb = transpose_b and rhs.ndim > 1
    a = lhs.reshape(_matrix_shape(lhs.shape, ta)) if lhs.ndim > 1 else lhs
    b = rhs.reshape(_matrix_shape(rhs.shape, not tb)) if rhs.ndim > 1 else rhs
    return xp.dot(a.T if ta else a, b.T if tb else b).reshape(out_shape)


# ---------------------------------------------------------------- batch_dot --

def _batch_dot_shape(in_shapes, transpose_a=False, transpose_b=False, forward_stype=None):
    lshape, rshape = (tuple(s) for s in in_shapes)
    if len(lshape) < 3 or len(lshape) != len(rshape):
        raise MXNetError('batch_dot needs two arrays with the same number (3 or more) of '
                         'dimensions, got shapes %s and %s' % (lshape, rshape))
    if lshape[:-2] != rshape[:-2]:
        raise MXNetError('batch dimensions do not match: lhs has batch shape %s but rhs has '
                         '%s (expected equal leading dimensions; batch_dot does not '
                         'broadcast)' % (lshape[:-2], rshape[:-2]))
    lk, rk = (-2 if transpose_a else -1), (-1 if transpose_b else -2)
    if lshape[lk] != rshape[rk]:
        raise MXNetError('inner dimensions do not match: %s %d columns but %s %d rows '
                         '(expected lhs.shape[%d] == rhs.shape[%d])'
                         % (_side('lhs', 2, transpose_a), lshape[lk],
                            _side('rhs', 2, transpose_b), rshape[rk], lk, rk))
    rows = lshape[-1] if transpose_a else lshape[-2]
    cols = rshape[-2] if transpose_b else rshape[-1]
    return [lshape[:-2] + (rows, cols)]


def _grad_batch_dot(F, inputs, outputs, ograds, transpose_a=False, transpose_b=False,
                    forward_stype=None):
    def mm(x, y, ta, tb):
        return F.batch_dot(x, y, transpose_a=ta, transpose_b=tb)
    return matmul_grads(mm, inputs[0], inputs[1], ograds[0], transpose_a, transpose_b)


@register('batch_dot', gradient=_grad_batch_dot, infer_shape=_batch_dot_shape)
def batch_dot(xp, lhs, rhs, *, transpose_a=False, transpose_b=False, forward_stype=None):
    """Batched matrix product over the last two axes.

    ``lhs`` of shape ``(B..., m, k)`` and ``rhs`` of shape ``(B..., k, n)`` give
    ``(B..., m, n)``; the transpose flags swap the last two axes of an operand.
    The batch dimensions must be equal (there is no broadcasting).

    Parameters
    ----------
    lhs, rhs : NDArray
        Arrays of 3 or more dimensions.
    transpose_a, transpose_b : bool, default False
    forward_stype : None
        Accepted for compatibility.

    Returns
    -------
    NDArray

    Examples
    --------
    >>> import mxlearn as mx
    >>> a = mx.nd.array([[[1, 2], [3, 4]], [[1, 0], [0, 1]]])
    >>> mx.nd.batch_dot(a, a).asnumpy()
    array([[[ 7., 10.],
            [15., 22.]],
    <BLANKLINE>
           [[ 1.,  0.],
            [ 0.,  1.]]], dtype=float32)
    """
    _batch_dot_shape([lhs.shape, rhs.shape], transpose_a, transpose_b)
    a = xp.swapaxes(lhs, -1, -2) if transpose_a else lhs
    b = xp.swapaxes(rhs, -1, -2) if transpose_b else rhs
    return xp.matmul(a, b)


# ------------------------------------------------------------ linalg.gemm2 --

def _gemm_layout(shape_a, shape_b, transpose_a, transpose_b, axis):
    """Check two operands of gemm2/gemm; return (row axis, output shape)."""
    shape_a, shape_b = tuple(shape_a), tuple(shape_b)
    ndim = len(shape_a)
    if ndim < 2 or len(shape_b) != ndim:
        raise MXNetError('linalg.gemm2 needs two arrays with the same number (2 or more) of '
                         'dimensions, got shapes %s and %s' % (shape_a, shape_b))
    row = check_axis(axis, ndim)
    if row == ndim - 1:
        raise MXNetError('axis %d is the column axis; expected the row axis, any axis but '
                         'the last' % (axis,))
    batch = [i for i in range(ndim - 1) if i != row]
    if any(shape_a[i] != shape_b[i] for i in batch):
        raise MXNetError('batch dimensions do not match: shapes %s and %s must be equal '
                         'except on the row axis %d and the last axis'
                         % (shape_a, shape_b, row))
    ka = shape_a[row] if transpose_a else shape_a[-1]
    kb = shape_b[-1] if transpose_b else shape_b[row]
    if ka != kb:
        raise MXNetError('inner dimensions do not match: %s %d columns but %s %d rows '
                         '(expected A.shape[%d] == B.shape[%d])'
                         % (_side('A', 2, transpose_a), ka, _side('B', 2, transpose_b), kb,
                            row if transpose_a else -1, -1 if transpose_b else row))
    out = list(shape_a)
    out[row] = shape_a[-1] if transpose_a else shape_a[row]
    out[-1] = shape_b[row] if transpose_b else shape_b[-1]
    return row, tuple(out)


def _check_float(name, *arrays):
    for x in arrays:
        if x.dtype.kind != 'f':
            raise MXNetError('%s supports floating-point arrays only, got %s; convert with '
                             'astype("float32")' % (name, x.dtype))


def _gemm2_compute(xp, a, b, transpose_a, transpose_b, alpha, axis):
    row, _ = _gemm_layout(a.shape, b.shape, transpose_a, transpose_b, axis)
    last = a.ndim - 2
    if row != last:
        a, b = xp.moveaxis(a, row, last), xp.moveaxis(b, row, last)
    out = xp.matmul(xp.swapaxes(a, -1, -2) if transpose_a else a,
                    xp.swapaxes(b, -1, -2) if transpose_b else b)
    if alpha != 1:
        out *= out.dtype.type(alpha)
    # Results are contiguous like every other array, so later reshapes are views.
    return xp.ascontiguousarray(xp.moveaxis(out, last, row)) if row != last else out


def _grad_gemm2(F, inputs, outputs, ograds, transpose_a=False, transpose_b=False,
                alpha=1.0, axis=-2):
    def mm(x, y, ta, tb):
        return F._linalg_gemm2(x, y, transpose_a=ta, transpose_b=tb, alpha=alpha, axis=axis)
    return matmul_grads(mm, inputs[0], inputs[1], ograds[0], transpose_a, transpose_b)


@register('_linalg_gemm2', gradient=_grad_gemm2,
          infer_shape=lambda shapes, transpose_a=False, transpose_b=False, alpha=1.0, axis=-2:
          [_gemm_layout(shapes[0], shapes[1], transpose_a, transpose_b, axis)[1]])
def linalg_gemm2(xp, A, B, *, transpose_a=False, transpose_b=False, alpha=1.0, axis=-2):
    """``alpha * op(A) @ op(B)``, batched over the leading axes (``mx.nd.linalg.gemm2``).

    The matrices are the last two axes by default; ``axis`` names another axis
    to use as the row axis (the column axis is always the last one), and the
    result keeps that layout. The other axes are batch axes and must be equal.

    Parameters
    ----------
    A, B : NDArray
        Floating-point arrays with the same number (2 or more) of dimensions.
    transpose_a, transpose_b : bool, default False
    alpha : float, default 1.0
    axis : int, default -2
        The row axis.

    Returns
    -------
    NDArray

    Examples
    --------
    >>> import mxlearn as mx
    >>> a = mx.nd.array([[1, 2], [3, 4]])
    >>> mx.nd.linalg.gemm2(a, a, transpose_b=True, alpha=0.5).asnumpy()
    array([[ 2.5,  5.5],
           [ 5.5, 12.5]], dtype=float32)
    """
    _check_float('linalg.gemm2', A, B)
    return _gemm2_compute(xp, A, B, transpose_a, transpose_b, alpha, axis)


def _gemm_shape(shapes, transpose_a=False, transpose_b=False, alpha=1.0, beta=1.0, axis=-2):
    out = _gemm_layout(shapes[0], shapes[1], transpose_a, transpose_b, axis)[1]
    if tuple(shapes[2]) != out:
        raise MXNetError('C has shape %s; expected the shape of op(A) @ op(B), %s (C is not '
                         'broadcast)' % (tuple(shapes[2]), out))
    return [out]


def _grad_gemm(F, inputs, outputs, ograds, transpose_a=False, transpose_b=False,
               alpha=1.0, beta=1.0, axis=-2):
    da, db = _grad_gemm2(F, inputs[:2], outputs, ograds, transpose_a, transpose_b,
                         alpha, axis)
    return da, db, ograds[0] * beta


@register('_linalg_gemm', gradient=_grad_gemm, infer_shape=_gemm_shape)
def linalg_gemm(xp, A, B, C, *, transpose_a=False, transpose_b=False, alpha=1.0, beta=1.0,
                axis=-2):
    """``alpha * op(A) @ op(B) + beta * C``, batched (``mx.nd.linalg.gemm``).

    ``C`` must have exactly the shape of the product. The layout rules are
    those of :func:`linalg_gemm2`.

    Parameters
    ----------
    A, B, C : NDArray
        Floating-point arrays with the same number (2 or more) of dimensions.
    transpose_a, transpose_b : bool, default False
    alpha, beta : float, default 1.0
    axis : int, default -2
        The row axis.

    Returns
    -------
    NDArray

    Examples
    --------
    >>> import mxlearn as mx
    >>> a = mx.nd.array([[1, 2], [3, 4]])
    >>> mx.nd.linalg.gemm(a, a, a, alpha=1, beta=-1).asnumpy()
    array([[ 6.,  8.],
           [12., 18.]], dtype=float32)
    """
    _check_float('linalg.gemm', A, B, C)
    _gemm_shape([A.shape, B.shape, C.shape], transpose_a, transpose_b, alpha, beta, axis)
    out = _gemm2_compute(xp, A, B, transpose_a, transpose_b, alpha, axis)
    if beta != 0:
        out += C * C.dtype.type(beta) if beta != 1 else C
    return out
