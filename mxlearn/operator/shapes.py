"""Shape inference helpers shared by the operator definitions."""
from ..base import MXNetError


def same_shape(in_shapes, **attrs):
    """Elementwise unary operators: the output has the input's shape."""
    return [tuple(in_shapes[0])]


def broadcast_shape(in_shapes, **attrs):
    """Shape of a numpy-style broadcast of all inputs, or a clear error.

    Examples
    --------
    >>> broadcast_shape([(2, 1, 3), (4, 1)])
    [(2, 4, 3)]
    """
    ndim = max(len(s) for s in in_shapes)
    out = []
    for axis in range(-ndim, 0):
        sizes = {s[axis] for s in in_shapes if len(s) >= -axis} - {1}
        if len(sizes) > 1:
            raise MXNetError(
                'shapes %s cannot be broadcast together: axis %d (counting from the '
                'right) has sizes %s; expected equal sizes or 1'
                % (' and '.join(str(tuple(s)) for s in in_shapes), axis,
                   ' vs '.join(str(s[axis]) for s in in_shapes if len(s) >= -axis)))
        out.append(sizes.pop() if sizes else min(
            (s[axis] for s in in_shapes if len(s) >= -axis), default=1))
    return [tuple(out)]


def normalize_axis(axis, ndim, op_name='operator'):
    """Map a possibly negative axis into ``[0, ndim)``, or raise a clear error."""
    if not -ndim <= axis < ndim:
        raise MXNetError('%s: axis %d is out of range for an array of %d dimensions'
                         % (op_name, axis, ndim))
    return axis % ndim


def reduce_axes(axis, ndim, exclude=False, op_name='operator'):
    """The sorted tuple of axes a reduction with MXNet's ``axis``/``exclude`` covers."""
    if axis is None or axis == ():
        axes = tuple(range(ndim))
        return () if exclude else axes
    if isinstance(axis, int):
        axis = (axis,)
    axes = tuple(sorted({normalize_axis(a, ndim, op_name) for a in axis}))
    if exclude:
        axes = tuple(a for a in range(ndim) if a not in axes)
    return axes
