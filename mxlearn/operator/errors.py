"""Turning a failed operator call into an error a learner can act on."""
from ..base import MXNetError


def describe_inputs(op, inputs):
    """One line per input: its name in the operator's signature, shape and dtype."""
    names = list(op.arg_names)
    lines = []
    for i, x in enumerate(inputs):
        if op.num_inputs < 0:
            label = '%s[%d]' % (names[0] if names else 'data', i)
        else:
            label = names[i] if i < len(names) else 'input%d' % i
        shape = getattr(x, 'shape', None)
        dtype = getattr(getattr(x, '_data', x), 'dtype', type(x).__name__)
        lines.append('  %s: shape %s, dtype %s' % (label, shape, dtype))
    return lines


def operator_error(op, inputs, attrs, exc):
    """Build the MXNetError raised when operator ``op`` fails on ``inputs``.

    The message says which operator failed, why (from the operator's own shape
    inference when it can tell, else from the array library), and lists every
    input's shape and dtype and the attributes used.

    Examples
    --------
    >>> import mxlearn as mx
    >>> try:
    ...     mx.nd.dot(mx.nd.ones((2, 3)), mx.nd.ones((4, 5)))
    ... except mx.MXNetError as e:
    ...     print(str(e).splitlines()[0])
    Operator dot: inner dimensions do not match: lhs has 3 columns but rhs has 4 rows (expected lhs.shape[-1] == rhs.shape[0])
    """
    reason = None
    if isinstance(exc, MXNetError):
        reason = str(exc)
    elif op.infer_shape is not None:
        try:
            op.infer_shape([x.shape for x in inputs], **(attrs or {}))
        except MXNetError as inferred:
            reason = str(inferred)
        except Exception:
            reason = None
    if reason is None:
        reason = '%s: %s' % (type(exc).__name__, exc)
    lines = ['Operator %s: %s' % (op.name, reason)]
    lines += describe_inputs(op, inputs)
    shown = {k: v for k, v in (attrs or {}).items()
             if not (op.defaults and k in op.defaults and _same(op.defaults[k], v))}
    if shown:
        lines.append('  attributes: ' + ', '.join('%s=%r' % kv for kv in sorted(shown.items())))
    return MXNetError('\n'.join(lines))


def _same(a, b):
    try:
        return bool(a == b)
    except Exception:
        return a is b
