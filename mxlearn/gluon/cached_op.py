"""CachedOp: the traced graph of a hybridized block, run as one operation.

``HybridBlock.hybridize()`` turns the block's ``hybrid_forward`` into a
Symbol once; a ``CachedOp`` runs that Symbol on NDArrays, as MXNet's
``CachedOp`` does:

- it binds one ``GraphProgram`` of the executor (``mxlearn.executor``) per
  combination of input shapes, dtypes, context and needed gradients, and
  reuses it for every later call with the same ones;
- each call feeds the program the data arrays and the Parameters' arrays
  (``sources`` says which graph input reads which) and runs its forward in
  training mode when ``autograd.is_training()``;
- under ``autograd.record()`` the whole graph becomes ONE node on the tape,
  an operator made for this CachedOp whose gradient rule runs the program's
  backward: ``loss.backward()`` then fills the gradients of the Parameters
  and inputs exactly as the imperative run would.

The program computes only the gradients someone will read: those of inputs
that are autograd variables (Parameters with ``grad_req`` other than
``'null'``, arrays after ``attach_grad``) or results of recorded operations.
The first layer of a network therefore does not compute the gradient of the
batch it is fed, as in the imperative run.

Examples
--------
>>> import mxlearn as mx
>>> from mxlearn.gluon.cached_op import CachedOp
>>> x = mx.sym.var('x')
>>> op = CachedOp(mx.sym.relu(x) * 2, [0])
>>> a = mx.nd.array([-1, 3])
>>> a.attach_grad()
>>> with mx.autograd.record():
...     y, = op([a], mx.cpu())
>>> y.backward()
>>> y.asnumpy(), a.grad.asnumpy()
(array([0., 6.], dtype=float32), array([0., 2.], dtype=float32))
"""
from .._ext.core import Op, is_recording, is_training, record_op
from ..base import MXNetError
from ..operator.registry import needs_grad

__all__ = ['CachedOp']


class CachedOp:
    """Run ``symbol`` on NDArrays through the executor, as one recorded operation.

    Parameters
    ----------
    symbol : Symbol
        The graph (a group for several outputs).
    sources : list
        One entry per ``symbol.list_inputs()``, in that order: the position
        (int) of the data array that feeds the input, or the Parameter whose
        data (on the call's context) does.
    flags : list of (str, value), optional
        ``hybridize()``'s flags; with ``static_shape`` only the latest
        program is kept.

    Examples
    --------
    >>> import mxlearn as mx
    >>> from mxlearn.gluon.cached_op import CachedOp
    >>> op = CachedOp(mx.sym.var('a') + mx.sym.var('b'), [0, 1])
    >>> op([mx.nd.ones((2,)), mx.nd.ones((2,))], mx.cpu())[0].asnumpy()
    array([2., 2.], dtype=float32)
    >>> len(op.programs)
    1
    """

    def __init__(self, symbol, sources, flags=()):
        self.symbol = symbol
        self._names = symbol.list_inputs()
        if len(sources) != len(self._names):
            raise MXNetError('CachedOp: %d sources for the %d inputs of the graph (%s)'
                             % (len(sources), len(self._names), ', '.join(self._names)))
        self._sources = list(sources)
        aux = set(symbol.list_auxiliary_states())
        self._is_aux = [name in aux for name in self._names]
        self._static_shape = bool(dict(flags).get('static_shape'))
        self._programs = {}
        # One operator per graph: the tape node of every call refers to it,
        # and its gradient rule gets that call's program and state as attributes.
        self._op = Op('_CachedOp', None, gradient=self._gradient)

    @property
    def programs(self):
        """The bound programs, by (context, needed gradients, input shapes and dtypes)."""
        return dict(self._programs)

    def __call__(self, data, ctx):
        """Run the graph on the data arrays ``data`` (in order) on context ``ctx``.

        Returns
        -------
        list of NDArray
            The outputs; recorded as one operation under ``autograd.record()``.
        """
        arrays = [data[s] if type(s) is int else s.data(ctx) for s in self._sources]
        wanted = None
        if is_recording():
            wanted = tuple([not aux and needs_grad(a) for a, aux in zip(arrays, self._is_aux)])
            if not any(wanted):
                wanted = None
        key = (ctx, wanted, tuple([(a.shape, a.dtype) for a in arrays]))
        program = self._programs.get(key)
        if program is None:
            program = self._bind(key, arrays, wanted, ctx)
        train = is_training()
        # Recording in prediction mode still needs what the backward pass reads.
        outputs, state = program.run_forward(dict(zip(self._names, arrays)), train,
                                             keep_internals=wanted is not None and not train)
        if wanted is None:
            return list(outputs)
        # Fresh handles: an output may be an input itself (an identity graph),
        # whose place on the tape must not change.
        outputs = [o.detach() for o in outputs]
        record_op(self._op, tuple(arrays), {'program': program, 'state': state}, outputs)
        return outputs

    def _bind(self, key, arrays, wanted, ctx):
        from ..executor import GraphProgram
        shapes = {name: a.shape for name, a in zip(self._names, arrays)}
        dtypes = {name: a.dtype for name, a in zip(self._names, arrays)}
        grad_names = [] if wanted is None else [n for n, w in zip(self._names, wanted) if w]
        program = GraphProgram(self.symbol, shapes, dtypes, grad_names, ctx,
                               values=dict(zip(self._names, arrays)))
        if self._static_shape:
            self._programs.clear()
        self._programs[key] = program
        return program

    def _gradient(self, F, inputs, outputs, ograds, program, state):
        if is_recording():
            raise MXNetError('a hybridized block cannot be differentiated twice '
                             '(create_graph=True): its backward runs as one compiled graph. '
                             'Call hybridize(active=False) for higher-order gradients')
        grads = program.run_backward(state, list(ograds))
        return [grads.get(name) for name in self._names]
