"""``mx.random``: seeding, and the samplers of ``mx.nd.random`` under shorter names.

Every device has its own random generator (see ``mxlearn.operator.random``):
a stream per Context, derived from the global seed and the device, so that
``cpu(0)`` and ``cpu(1)`` (or two GPUs) draw different numbers and each is
reproducible. At import the seed comes from the operating system, so two
runs differ until ``seed`` is called.

Examples
--------
>>> import mxlearn as mx
>>> import mxlearn.random
>>> mx.random.seed(42)
>>> a = mx.random.uniform(shape=3).asnumpy()
>>> mx.random.seed(42)
>>> bool((a == mx.random.uniform(shape=3).asnumpy()).all())
True
"""
from .ndarray.random import (exponential, gamma, generalized_negative_binomial,
                             multinomial, negative_binomial, normal, poisson, randint,
                             randn, shuffle, uniform)
from .operator.random import seed as _seed

__all__ = ['seed', 'uniform', 'normal', 'randn', 'randint', 'exponential', 'gamma',
           'poisson', 'negative_binomial', 'generalized_negative_binomial', 'multinomial',
           'shuffle']


def seed(seed_state, ctx='all'):
    """Seed the random number generators.

    Parameters
    ----------
    seed_state : int
        The seed; any integer, negative or large, is accepted. Other types
        raise ValueError.
    ctx : Context or 'all', default 'all'
        'all' seeds every device, the ones used later included; a Context (or
        a device name such as 'cpu') seeds that device only.

    Notes
    -----
    Each device draws from its own stream, derived from ``(seed_state,
    device type, device id)``: after ``seed(n)`` every device's sequence is
    fixed, and ``seed(n, ctx=c)`` restarts ``c``'s sequence exactly as
    ``seed(n)`` would. (In MXNet 1.x all CPU contexts share one stream.)

    Examples
    --------
    >>> import mxlearn as mx
    >>> import mxlearn.random
    >>> mx.random.seed(7)
    >>> a = mx.nd.random.normal(shape=2, ctx=mx.cpu(1)).asnumpy()
    >>> mx.random.seed(7, ctx=mx.cpu(1))
    >>> bool((a == mx.nd.random.normal(shape=2, ctx=mx.cpu(1)).asnumpy()).all())
    True
    """
    _seed(seed_state, ctx)
