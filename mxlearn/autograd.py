"""Automatic differentiation with MXNet 1.x's API.

Under ``record()`` every operator applied to an array that needs a gradient is
put on a tape (``mxlearn._ext.core.Node``). ``backward`` walks the tape in
reverse topological order and applies each operator's gradient rule from the
registry. Those rules are themselves written with recordable operators, so
``grad(..., create_graph=True)`` gives higher-order gradients.
"""
from ._ext import core
from ._ext.core import NDArrayBase, is_recording, is_training, set_recording, set_training
from .base import MXNetError

__all__ = ['record', 'pause', 'train_mode', 'predict_mode', 'is_recording',
           'is_training', 'set_recording', 'set_training', 'mark_variables',
           'backward', 'grad', 'get_symbol', 'Function']


class _RecordingStateScope:
    """Set the recording and training flags for a ``with`` block, then restore them."""

    def __init__(self, is_record, train_mode):
        self._enter_record = is_record
        self._enter_train = train_mode
        self._prev_record = None
        self._prev_train = None

    def __enter__(self):
        if self._enter_record is not None:
            self._prev_record = set_recording(self._enter_record)
        if self._enter_train is not None:
            self._prev_train = set_training(self._enter_train)
        return self

    def __exit__(self, *exc):
        if self._enter_record is not None:
            set_recording(self._prev_record)
        if self._enter_train is not None:
            set_training(self._prev_train)


def record(train_mode=True):
    """Record operations for gradient computation inside a ``with`` block.

    Parameters
    ----------
    train_mode : bool
        Also switch operators to training mode (Dropout active, BatchNorm on batch stats).

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([1.0, 2.0])
    >>> x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = (x * x).sum()
    >>> y.backward()
    >>> x.grad.asnumpy()
    array([2., 4.], dtype=float32)
    """
    return _RecordingStateScope(True, train_mode)


def pause(train_mode=False):
    """Stop recording inside a ``with`` block (e.g. for metrics during training).

    Examples
    --------
    >>> import mxlearn as mx
    >>> with mx.autograd.record():
    ...     with mx.autograd.pause():
    ...         print(mx.autograd.is_recording())
    False
    """
    return _RecordingStateScope(False, train_mode)


def train_mode():
    """Run operators in training mode inside a ``with`` block, without recording.

    Examples
    --------
    >>> import mxlearn as mx
    >>> with mx.autograd.train_mode():
    ...     print(mx.autograd.is_training())
    True
    """
    return _RecordingStateScope(None, True)


def predict_mode():
    """Run operators in inference mode inside a ``with`` block.

    Examples
    --------
    >>> import mxlearn as mx
    >>> with mx.autograd.record():
    ...     with mx.autograd.predict_mode():
    ...         print(mx.autograd.is_training())
    False
    """
    return _RecordingStateScope(None, False)


_GRAD_REQ = {'null': 0, 'write': 1, 'add': 2}


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def mark_variables(variables, gradients, grad_reqs='write'):
    """Make ``variables`` autograd variables with the given gradient buffers.

    Parameters
    ----------
    variables : NDArray or list of NDArray
    gradients : NDArray or list of NDArray
        Buffers of the same shapes that receive the gradients.
    grad_reqs : str or list of str
        'write', 'add' or 'null' for each variable.

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([1.0]); g = mx.nd.zeros((1,))
    >>> mx.autograd.mark_variables(x, g)
    >>> with mx.autograd.record():
    ...     y = 3 * x
    >>> y.backward()
    >>> g.asscalar()
    3.0
    """
    variables, gradients = _as_list(variables), _as_list(gradients)
    reqs = [grad_reqs] * len(variables) if isinstance(grad_reqs, str) else list(grad_reqs)
    if not len(variables) == len(gradients) == len(reqs):
        raise MXNetError('mark_variables: got %d variables, %d gradients and %d grad_reqs'
                         % (len(variables), len(gradients), len(reqs)))
    for v, g, req in zip(variables, gradients, reqs):
        if req not in _GRAD_REQ:
            raise MXNetError("mark_variables: grad_req must be 'write', 'add' or 'null', "
                             "got %r" % (req,))
        if g.shape != v.shape:
            raise MXNetError('mark_variables: gradient shape %s does not match the '
                             'variable shape %s' % (g.shape, v.shape))
        v._grad, v._grad_req, v._node = g, _GRAD_REQ[req], None


def _check_heads(heads, head_grads):
    heads = _as_list(heads)
    if head_grads is None:
        head_grads = [None] * len(heads)
    else:
        head_grads = _as_list(head_grads)
    for h in heads:
        if not isinstance(h, NDArrayBase):
            raise MXNetError('backward: heads must be NDArrays, got %s' % type(h).__name__)
    return heads, head_grads


def backward(heads, head_grads=None, retain_graph=False, train_mode=True):
    """Compute the gradients of ``heads`` into the variables' ``.grad`` buffers.

    Parameters
    ----------
    heads : NDArray or list of NDArray
    head_grads : NDArray or list of (NDArray or None), optional
        Gradients flowing into each head; ones where omitted.
    retain_graph : bool
        Keep the recorded graph for another backward.
    train_mode : bool

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([2.0]); x.attach_grad()
    >>> with mx.autograd.record():
    ...     a = x * 3
    ...     b = x * x
    >>> mx.autograd.backward([a, b])
    >>> x.grad.asscalar()
    7.0
    """
    heads, head_grads = _check_heads(heads, head_grads)
    core.backward(heads, head_grads, retain_graph, train_mode)


def grad(heads, variables, head_grads=None, retain_graph=None, create_graph=False,
         train_mode=True):
    """Return the gradients of ``heads`` with respect to ``variables``.

    Nothing is written into ``.grad``. With ``create_graph=True`` the returned
    gradients are recorded too, so they can be differentiated again.

    Parameters
    ----------
    heads : NDArray or list of NDArray
    variables : NDArray or list of NDArray
        Arrays marked with ``attach_grad``.
    head_grads : NDArray or list, optional
    retain_graph : bool, optional
        Defaults to ``create_graph``.
    create_graph : bool
    train_mode : bool

    Returns
    -------
    list of NDArray
        One gradient per variable (a list even for a single variable, as in MXNet).

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([2.0]); x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = x ** 3
    ...     dy = mx.autograd.grad(y, [x], create_graph=True)[0]
    >>> dy.asscalar()
    12.0
    >>> dy.backward()
    >>> x.grad.asscalar()
    12.0
    """
    heads, head_grads = _check_heads(heads, head_grads)
    variables = _as_list(variables)
    for i, v in enumerate(variables):
        if not isinstance(v, NDArrayBase) or v._grad_req == 0 or v._node is not None:
            raise MXNetError('grad: variables[%d] is not an autograd variable; call '
                             'attach_grad() on it before recording' % i)
    if retain_graph is None:
        retain_graph = create_graph
    return core.backward(heads, head_grads, retain_graph, train_mode,
                         variables, create_graph)


def get_symbol(x, names=None):
    """The recorded history of ``x`` as a Symbol (the graph that computed it).

    Every recorded operation becomes a node with the same operator and
    attributes; every array the recording started from (a variable, a
    constant) becomes a variable, named by ``names`` or ``var0``, ``var1``,
    ... in the order they are met. Record again, or pass ``retain_graph=True``
    to ``backward``, to call this after a backward pass.

    Parameters
    ----------
    x : NDArray or list of NDArray
        Arrays computed under ``autograd.record()`` (a list gives a group).
    names : dict of str to NDArray, optional
        Names for input arrays, e.g. ``{'data': x, 'w': w}``.

    Returns
    -------
    Symbol

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([1.0, 2.0]); x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = mx.nd.relu(x * 2)
    >>> s = mx.autograd.get_symbol(y, names={'x': x})
    >>> s.list_arguments(), [n.op_name for n in s._nodes()]
    (['x'], ['null', '_mul_scalar', 'relu'])
    >>> s.eval(x=x)[0].asnumpy()
    array([2., 4.], dtype=float32)
    """
    from .executor.from_tape import NodeNamer, convert
    from .symbol.symbol import Symbol, Variable
    heads = list(x) if isinstance(x, (list, tuple)) else [x]
    for i, h in enumerate(heads):
        if not isinstance(h, NDArrayBase):
            raise MXNetError('get_symbol: expected NDArrays, got %s' % type(h).__name__)
    names = dict(names or {})
    for name, array in names.items():
        if not isinstance(array, NDArrayBase):
            raise MXNetError('get_symbol: names[%r] must be an NDArray, got %s'
                             % (name, type(array).__name__))
    given = {id(a): n for n, a in names.items()}
    counter = [0]

    def make_leaf(array):
        name = given.get(id(array))
        while name is None or name in names and id(array) not in given:
            name, counter[0] = 'var%d' % counter[0], counter[0] + 1
        return Variable(name)._outputs[0]

    namer = NodeNamer()
    entries = convert(heads, {}, {}, make_leaf, lambda node: namer.next(node.op.name))
    return Symbol(entries)


class Function:
    """A differentiable operation with a hand-written backward.

    Subclass it and define ``forward`` and ``backward`` on NDArrays; call
    ``save_for_backward`` in ``forward`` to keep what ``backward`` needs.

    Examples
    --------
    >>> import mxlearn as mx
    >>> class Sigmoid(mx.autograd.Function):
    ...     def forward(self, x):
    ...         y = 1 / (1 + mx.nd.exp(-x))
    ...         self.save_for_backward(y)
    ...         return y
    ...     def backward(self, dy):
    ...         y, = self.saved_tensors
    ...         return dy * y * (1 - y)
    >>> x = mx.nd.array([0.0]); x.attach_grad()
    >>> with mx.autograd.record():
    ...     z = Sigmoid()(x)
    >>> z.backward()
    >>> x.grad.asscalar()
    0.25
    """

    def __init__(self):
        self._used = False
        self.saved_tensors = ()

    def save_for_backward(self, *args):
        """Keep ``args`` in ``self.saved_tensors`` for ``backward``."""
        self.saved_tensors = args

    def forward(self, *inputs):
        """Compute the outputs from NDArray inputs (override this)."""
        raise NotImplementedError

    def backward(self, *output_grads):
        """Return the gradient of each input from the outputs' gradients (override this)."""
        raise NotImplementedError

    def __call__(self, *inputs):
        if self._used:
            raise MXNetError('each autograd.Function instance can be called only once; '
                             'create a new instance for each call')
        self._used = True
        for i, x in enumerate(inputs):
            if not isinstance(x, NDArrayBase):
                raise MXNetError('%s: input %d is a %s; autograd.Function takes NDArrays '
                                 'only (pass constants through __init__)'
                                 % (type(self).__name__, i, type(x).__name__))
        with pause(train_mode=is_training()):
            outputs = self.forward(*inputs)
        single = isinstance(outputs, NDArrayBase)
        outs = [outputs] if single else list(outputs)
        if is_recording() and any(isinstance(x, NDArrayBase) and
                                  (x._node is not None or x._grad_req) for x in inputs):
            func = self

            def gradient(F, node_inputs, node_outputs, ograds):
                with pause(train_mode=is_training()):
                    grads = func.backward(*ograds)
                grads = [grads] if isinstance(grads, NDArrayBase) else list(grads)
                if len(grads) != len(node_inputs):
                    raise MXNetError('%s.backward returned %d gradients for %d inputs'
                                     % (type(func).__name__, len(grads), len(node_inputs)))
                return grads

            op = core.Op(type(self).__name__, None, gradient=gradient)
            fresh = [o.detach() for o in outs]
            core.record_op(op, tuple(inputs), None, fresh)
            outs = fresh
        return outs[0] if single else outs
