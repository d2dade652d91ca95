"""Dead-code elimination: keep only what the wanted outputs need."""
from ...base import MXNetError
from ..symbol import Symbol
from .graph import rebuild


def eliminate_dead_code(sym, keep=None):
    """The graph of the outputs in ``keep``, without the nodes none of them needs.

    A node is live if a kept output reads it, directly or through other live
    nodes; every other node (and a variable only dead nodes read) is dropped.
    A training graph, for example, computes the gradients of every argument;
    when some are not wanted (``grad_req='null'``), keeping only the others
    drops the backward nodes that only served them.

    Parameters
    ----------
    sym : Symbol
    keep : list of int or str, optional
        The outputs to keep, by position or by name (as in
        ``sym.list_outputs()``), in the order wanted. Default: all of them,
        which only copies the graph, since a Symbol reaches nothing dead.

    Returns
    -------
    Symbol
        A new graph (``sym`` is not changed), with the kept outputs in order
        and the names of every node unchanged.

    Examples
    --------
    >>> from mxlearn import symbol as sym
    >>> x = sym.var('x')
    >>> a = sym.exp(sym.relu(x, name='r'), name='e')
    >>> b = sym.tanh(x, name='t')
    >>> both = sym.Group([a, b])
    >>> eliminate_dead_code(both, keep=['t_output']).get_internals().list_outputs()
    ['x', 't_output']
    """
    outputs = sym._outputs
    if keep is not None:
        names = sym.list_outputs()
        chosen = []
        for k in keep:
            if isinstance(k, str):
                if k not in names:
                    raise MXNetError('eliminate_dead_code: no output named %r; the outputs '
                                     'are %s' % (k, names))
                k = names.index(k)
            if not -len(outputs) <= k < len(outputs):
                raise MXNetError('eliminate_dead_code: output %d is out of range for %d '
                                 'outputs' % (k, len(outputs)))
            chosen.append(outputs[k])
        if not chosen:
            raise MXNetError('eliminate_dead_code: keep= names no output; a graph needs one')
        outputs = chosen
    return rebuild(Symbol(outputs))
