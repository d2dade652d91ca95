"""Containers and wrappers: ``Sequential``, ``HybridSequential``, ``Lambda``, ``HybridLambda``.

``Sequential`` runs its children one after the other, each on the previous
one's output; ``HybridSequential`` is the same for HybridBlocks. ``Lambda``
and ``HybridLambda`` turn a function (or the name of an ``mx.nd`` operator)
into a Block, to put it in a Sequential.

Examples
--------
>>> import mxlearn as mx
>>> from mxlearn.gluon.nn.sequential import HybridSequential, HybridLambda
>>> net = HybridSequential(prefix='net_')
>>> with net.name_scope():
...     net.add(HybridLambda('relu'), HybridLambda(lambda F, x: x * 2))
>>> net(mx.nd.array([-1, 3])).asnumpy()
array([0., 6.], dtype=float32)
>>> net
HybridSequential(
  (0): HybridLambda(relu)
  (1): HybridLambda(<lambda>)
)
"""
import warnings

from ... import ndarray as nd
from ...base import MXNetError
from ..block import Block, HybridBlock
from ..parameter import _indent

__all__ = ['Sequential', 'HybridSequential', 'Lambda', 'HybridLambda']


class _Stack:
    """What Sequential and HybridSequential share: add, len, indexing and repr."""

    def add(self, *blocks):
        """Append ``blocks`` to the stack, in order.

        Examples
        --------
        >>> from mxlearn.gluon.nn.sequential import Sequential, Lambda
        >>> net = Sequential()
        >>> net.add(Lambda('relu'), Lambda('tanh'))
        >>> net
        Sequential(
          (0): Lambda(relu)
          (1): Lambda(tanh)
        )
        """
        for block in blocks:
            self.register_child(block)

    def __len__(self):
        return len(self._children)

    def __getitem__(self, key):
        layers = list(self._children.values())[key]
        if not isinstance(layers, list):
            return layers
        # a slice: a new container of the same type and prefix holding those layers
        net = type(self)(prefix=self._prefix)
        with net.name_scope():
            net.add(*layers)
        return net

    def __repr__(self):
        lines = ['  (%s): %s' % (key, _indent(repr(block), 2))
                 for key, block in self._children.items()]
        return '%s(\n%s\n)' % (type(self).__name__, '\n'.join(lines))


class Sequential(_Stack, Block):
    """Stack Blocks: the output of each is the input of the next.

    Parameters
    ----------
    prefix : str, optional
    params : ParameterDict, optional
        See ``Block``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> from mxlearn.gluon.nn.sequential import Sequential, Lambda
    >>> net = Sequential()
    >>> net.add(Lambda('exp'), Lambda(lambda x: x + 1))
    >>> net(mx.nd.array([0.0])).asnumpy()
    array([2.], dtype=float32)
    >>> len(net), type(net[:1]).__name__
    (2, 'Sequential')
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def forward(self, x):
        for block in self._children.values():
            x = block(x)
        return x

    def hybridize(self, active=True, **kwargs):
        """Hybridize the children; HybridSequential is the better container for HybridBlocks."""
        if self._children and all(isinstance(c, HybridBlock) for c in self._children.values()):
            warnings.warn("All children of this Sequential layer '%s' are HybridBlocks. "
                          "Consider using HybridSequential for the best performance."
                          % self.prefix, stacklevel=2)
        super().hybridize(active, **kwargs)


class HybridSequential(_Stack, HybridBlock):
    """Stack HybridBlocks: the output of each is the input of the next.

    Parameters
    ----------
    prefix : str, optional
    params : ParameterDict, optional
        See ``Block``.

    Examples
    --------
    >>> import mxlearn as mx
    >>> from mxlearn.gluon.nn.sequential import HybridSequential, HybridLambda
    >>> net = HybridSequential()
    >>> net.add(HybridLambda('square'), HybridLambda('negative'))
    >>> net(mx.nd.array([3.0])).asnumpy()
    array([-9.], dtype=float32)
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def hybrid_forward(self, F, x):
        for block in self._children.values():
            x = block(x)
        return x


def _function_name(function):
    return getattr(function, '__name__', type(function).__name__)


class Lambda(Block):
    """A Block that calls ``function(*inputs)``.

    Parameters
    ----------
    function : str or callable
        The name of an ``mx.nd`` function (``'tanh'``) or any callable.
    prefix : str, optional

    Examples
    --------
    >>> import mxlearn as mx
    >>> from mxlearn.gluon.nn.sequential import Lambda
    >>> block = Lambda('tanh')
    >>> block
    Lambda(tanh)
    >>> block(mx.nd.zeros((1,))).asnumpy()
    array([0.], dtype=float32)
    """

    def __init__(self, function, prefix=None):
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            if not hasattr(nd, function):
                raise MXNetError('Function name %s is not found in ndarray.' % function)
            self._func_impl = getattr(nd, function)
            self._func_name = function
        elif callable(function):
            self._func_impl = function
            self._func_name = _function_name(function)
        else:
            raise MXNetError('Unrecognized function in lambda: %s of type %s'
                             % (function, type(function)))

    def forward(self, *args):
        return self._func_impl(*args)

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__, self._func_name)


class HybridLambda(HybridBlock):
    """A HybridBlock that calls ``function(F, *inputs)``.

    Parameters
    ----------
    function : str or callable
        The name of an operator (``'tanh'``, called as ``F.tanh(*inputs)``)
        or a callable taking ``F`` first (``lambda F, x: F.LeakyReLU(x, slope=0.1)``).
    prefix : str, optional

    Examples
    --------
    >>> import mxlearn as mx
    >>> from mxlearn.gluon.nn.sequential import HybridLambda
    >>> HybridLambda(lambda F, x: F.relu(x) * 2)(mx.nd.array([-1, 1])).asnumpy()
    array([0., 2.], dtype=float32)
    """

    def __init__(self, function, prefix=None):
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            if not hasattr(nd, function):
                raise MXNetError('Function name %s is not found in symbol/ndarray.' % function)
            self._func = lambda F, *args: getattr(F, function)(*args)
            self._func_name = function
        elif callable(function):
            self._func = function
            self._func_name = _function_name(function)
        else:
            raise MXNetError('Unrecognized function in lambda: %s of type %s'
                             % (function, type(function)))

    def hybrid_forward(self, F, x, *args):
        return self._func(F, x, *args)

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__, self._func_name)
