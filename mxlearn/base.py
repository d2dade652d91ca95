"""Errors and small shared definitions used by every layer of mxlearn."""


class MXNetError(Exception):
    """The error mxlearn raises for invalid use of its API.

    Messages name the operator, the shapes and dtypes of its inputs and what was
    expected, so that a learner can fix the calling line without a debugger.

    Examples
    --------
    >>> import mxlearn as mx
    >>> try:
    ...     mx.nd.ones((2, 3)) + mx.nd.ones((4, 5))
    ... except mx.MXNetError as e:
    ...     print(type(e).__name__)
    MXNetError
    """
