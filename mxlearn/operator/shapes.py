"""Shape inference helpers shared by the operator definitions."""
import numbers

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


def check_axis(axis, ndim, what='axis'):
    """``axis`` (possibly negative) mapped into ``[0, ndim)``, or a clear MXNetError.

    Examples
    --------
    >>> check_axis(-1, 3)
    2
    """
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise MXNetError('%s must be a single integer here, got %r' % (what, axis))
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise MXNetError('%s %d is out of range for an array of %d dimensions '
                         '(expected %d <= %s < %d)' % (what, axis, ndim, -ndim, what, ndim))
    return axis % ndim
