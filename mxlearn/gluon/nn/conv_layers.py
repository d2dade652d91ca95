"""Convolution and pooling layers: Conv1D/2D, Conv2DTranspose and the pools.

A convolution layer owns ``weight`` and (by default) ``bias`` and calls the
Convolution or Deconvolution operator; a pooling layer has no parameters and
calls Pooling. Integer arguments (``kernel_size=3``, ``strides=2``) stand for
the same value along every spatial axis.

Weight shapes, with ``g`` groups:

- Conv: ``(channels, in_channels / g) + kernel_size``
- ConvTranspose: ``(in_channels, channels / g) + kernel_size``

``in_channels=0`` leaves that size to the first forward pass.
"""
import numbers

from ...base import MXNetError
from ..block import HybridBlock
from .activations import Activation

__all__ = ['Conv1D', 'Conv2D', 'Conv1DTranspose', 'Conv2DTranspose', 'MaxPool1D',
           'MaxPool2D', 'MaxPool3D', 'AvgPool1D', 'AvgPool2D', 'AvgPool3D', 'GlobalMaxPool1D',
           'GlobalMaxPool2D', 'GlobalMaxPool3D', 'GlobalAvgPool1D', 'GlobalAvgPool2D',
           'GlobalAvgPool3D', 'ReflectionPad2D']

_CHANNELS_FIRST = {1: 'NCW', 2: 'NCHW'}
_POOL_LAYOUTS = {1: ('NCW', 'NWC'), 2: ('NCHW', 'NHWC'), 3: ('NCDHW', 'NDHWC')}


def _tuple(value, ndim, name):
    """``value`` as a tuple of ``ndim`` ints (an int is repeated)."""
    if isinstance(value, numbers.Integral):
        return (int(value),) * ndim
    value = tuple(value)
    if len(value) != ndim:
        raise MXNetError('%s must be an int or a list of %d ints, got %r' % (name, ndim, value))
    return value


def _check_layout(cls, layout, allowed):
    if layout not in allowed:
        raise MXNetError('%s: layout=%r is not supported; expected %s' % (
            cls.__name__, layout, ' or '.join(repr(a) for a in allowed)))


class _Conv(HybridBlock):
    """The shared body of the convolution layers (``op_name`` picks the operator)."""

    def __init__(self, channels, kernel_size, strides, padding, dilation, groups, layout,
                 in_channels=0, activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer='zeros', op_name='Convolution', adj=None, prefix=None,
                 params=None):
        super().__init__(prefix=prefix, params=params)
        ndim = len(kernel_size)
        _check_layout(type(self), layout, (_CHANNELS_FIRST[ndim],))
        if channels % groups or in_channels % groups:
            raise MXNetError('%s: channels (%d) and in_channels (%d) must be multiples of '
                             'groups (%d)' % (type(self).__name__, channels, in_channels,
                                              groups))
        with self.name_scope():
            self._channels = channels
            self._in_channels = in_channels
            self._op_name = op_name
            self._kwargs = {'kernel': kernel_size, 'stride': _tuple(strides, ndim, 'strides'),
                            'dilate': _tuple(dilation, ndim, 'dilation'),
                            'pad': _tuple(padding, ndim, 'padding'), 'num_filter': channels,
                            'num_group': groups, 'no_bias': not use_bias, 'layout': layout}
            if adj is not None:
                self._kwargs['adj'] = adj
            self.weight = self.params.get('weight', shape=self._weight_shape(in_channels),
                                          init=weight_initializer, allow_deferred_init=True)
            self.bias = None
            if use_bias:
                self.bias = self.params.get('bias', shape=(channels,), init=bias_initializer,
                                            allow_deferred_init=True)
            self.act = None
            if activation is not None:
                self.act = Activation(activation, prefix=activation + '_')

    def _weight_shape(self, in_channels):
        groups, kernel = self._kwargs['num_group'], self._kwargs['kernel']
        if self._op_name == 'Deconvolution':
            return (in_channels, self._channels // groups) + kernel
        return (self._channels, in_channels // groups) + kernel

    def infer_shape(self, x, *args):
        in_channels = x.shape[1]
        groups = self._kwargs['num_group']
        if in_channels % groups:
            raise MXNetError('%s: the input has %d channels (axis 1 of shape %s), which '
                             'groups=%d does not divide' % (type(self).__name__, in_channels,
                                                            x.shape, groups))
        self.weight.shape = self._weight_shape(in_channels)

    def _alias(self):
        return 'conv'

    def hybrid_forward(self, F, x, weight, bias=None):
        out = getattr(F, self._op_name)(x, weight, bias, name='fwd', **self._kwargs)
        return out if self.act is None else self.act(out)

    def _mapping(self):
        shape = self.weight.shape
        return '%s -> %s' % (shape[1] or None, shape[0])

    def __repr__(self):
        kw = self._kwargs
        ndim = len(kw['kernel'])
        parts = ['%s' % self._mapping(), 'kernel_size=%s' % (kw['kernel'],),
                 'stride=%s' % (kw['stride'],)]
        if kw['pad'] != (0,) * ndim:
            parts.append('padding=%s' % (kw['pad'],))
        if kw['dilate'] != (1,) * ndim:
            parts.append('dilation=%s' % (kw['dilate'],))
        if kw.get('adj', (0,) * ndim) != (0,) * ndim:
            parts.append('output_padding=%s' % (kw['adj'],))
        if kw['num_group'] != 1:
            parts.append('groups=%s' % kw['num_group'])
        if self.bias is None:
            parts.append('bias=False')
        if self.act is not None:
            parts.append('%s' % self.act)
        return '%s(%s)' % (type(self).__name__, ', '.join(parts))


class _ConvTranspose(_Conv):
    """The shared body of the transposed convolutions."""

    def _mapping(self):
        return '%s -> %s' % (self.weight.shape[0] or None, self._channels)


_CONV_DOC = """{what}

    Parameters
    ----------
    channels : int
        The number of output channels (filters).
    kernel_size : int or tuple of {n} int
    strides : int or tuple of {n} int, default 1
    padding : int or tuple of {n} int, default 0
        Zeros added on both sides of each spatial axis{pad_note}.{extra}
    dilation : int or tuple of {n} int, default 1
        The spacing between kernel taps.
    groups : int, default 1
        Split the input and output channels into ``groups`` independent
        convolutions (``groups = in_channels`` is a depthwise convolution).
    layout : str, default '{layout}'
        Only '{layout}' is supported.
    activation : str, optional
        Applied to the output (see :class:`Activation`).
    use_bias : bool, default True
    weight_initializer, bias_initializer : str or Initializer
        The global initializer and 'zeros' by default.
    in_channels : int, default 0
        The number of input channels; 0 infers it at the first forward pass.
    prefix, params
        See :class:`~mxlearn.gluon.Block`.

    Examples
    --------
    >>> import mxlearn as mx
    >>> layer = mx.gluon.nn.{name}({example_args})
    >>> layer.initialize()
    >>> layer(mx.nd.ones({example_input})).shape
    {example_shape}
    """

_OUTPUT_PADDING = """
    output_padding : int or tuple of {n} int, default 0
        Extra rows/columns at the end of each output axis (each smaller than
        the stride), to reach sizes the stride skips."""


def _conv_doc(name, what, n, layout, transpose, example_args, example_input, example_shape):
    return _CONV_DOC.format(
        what=what, n=n, layout=layout, name=name, example_args=example_args,
        example_input=example_input, example_shape=example_shape,
        pad_note=' of the output' if transpose else '',
        extra=_OUTPUT_PADDING.format(n=n) if transpose else '')


class Conv1D(_Conv):
    def __init__(self, channels, kernel_size, strides=1, padding=0, dilation=1, groups=1,
                 layout='NCW', activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer='zeros', in_channels=0, **kwargs):
        super().__init__(channels, _tuple(kernel_size, 1, 'kernel_size'), strides, padding,
                         dilation, groups, layout, in_channels, activation, use_bias,
                         weight_initializer, bias_initializer, 'Convolution', **kwargs)


class Conv2D(_Conv):
    def __init__(self, channels, kernel_size, strides=(1, 1), padding=(0, 0),
                 dilation=(1, 1), groups=1, layout='NCHW', activation=None, use_bias=True,
                 weight_initializer=None, bias_initializer='zeros', in_channels=0, **kwargs):
        super().__init__(channels, _tuple(kernel_size, 2, 'kernel_size'), strides, padding,
                         dilation, groups, layout, in_channels, activation, use_bias,
                         weight_initializer, bias_initializer, 'Convolution', **kwargs)


class Conv1DTranspose(_ConvTranspose):
    def __init__(self, channels, kernel_size, strides=1, padding=0, output_padding=0,
                 dilation=1, groups=1, layout='NCW', activation=None, use_bias=True,
                 weight_initializer=None, bias_initializer='zeros', in_channels=0, **kwargs):
        super().__init__(channels, _tuple(kernel_size, 1, 'kernel_size'), strides, padding,
                         dilation, groups, layout, in_channels, activation, use_bias,
                         weight_initializer, bias_initializer, 'Deconvolution',
                         adj=_tuple(output_padding, 1, 'output_padding'), **kwargs)
        self.outpad = self._kwargs['adj']


class Conv2DTranspose(_ConvTranspose):
    def __init__(self, channels, kernel_size, strides=(1, 1), padding=(0, 0),
                 output_padding=(0, 0), dilation=(1, 1), groups=1, layout='NCHW',
                 activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer='zeros', in_channels=0, **kwargs):
        super().__init__(channels, _tuple(kernel_size, 2, 'kernel_size'), strides, padding,
                         dilation, groups, layout, in_channels, activation, use_bias,
                         weight_initializer, bias_initializer, 'Deconvolution',
                         adj=_tuple(output_padding, 2, 'output_padding'), **kwargs)
        self.outpad = self._kwargs['adj']


Conv1D.__doc__ = _conv_doc(
    'Conv1D', '1-D convolution over the last axis of an (N, C, W) input.', 1, 'NCW', False,
    '4, 3', '(2, 1, 10)', '(2, 4, 8)')
Conv2D.__doc__ = _conv_doc(
    'Conv2D', '2-D convolution over the last two axes of an (N, C, H, W) input.', 2, 'NCHW',
    False, '6, kernel_size=5, padding=2', '(1, 1, 28, 28)', '(1, 6, 28, 28)')
Conv1DTranspose.__doc__ = _conv_doc(
    'Conv1DTranspose', '1-D transposed convolution (the gradient of Conv1D), which '
    'upsamples: the output width is\n    ``(w - 1) * strides - 2 * padding + dilation * '
    '(kernel_size - 1) + 1 + output_padding``.', 1, 'NCW', True,
    '2, 3, strides=2', '(1, 1, 5)', '(1, 2, 11)')
Conv2DTranspose.__doc__ = _conv_doc(
    'Conv2DTranspose', '2-D transposed convolution (the gradient of Conv2D), which '
    'upsamples: each output axis has\n    ``(n - 1) * strides - 2 * padding + dilation * '
    '(kernel_size - 1) + 1 + output_padding`` entries.', 2, 'NCHW', True,
    '3, 4, strides=2, padding=1', '(1, 8, 7, 7)', '(1, 3, 14, 14)')


class _Pooling(HybridBlock):
    """The shared body of the pooling layers."""

    def __init__(self, pool_size, strides, padding, ceil_mode, global_pool, pool_type,
                 layout, count_include_pad=None, **kwargs):
        super().__init__(**kwargs)
        ndim = len(pool_size)
        _check_layout(type(self), layout, _POOL_LAYOUTS[ndim])
        self._kwargs = {'kernel': pool_size,
                        'stride': _tuple(pool_size if strides is None else strides, ndim,
                                         'strides'),
                        'pad': _tuple(padding, ndim, 'padding'), 'global_pool': global_pool,
                        'pool_type': pool_type, 'layout': layout,
                        'pooling_convention': 'full' if ceil_mode else 'valid'}
        if count_include_pad is not None:
            self._kwargs['count_include_pad'] = count_include_pad

    def _alias(self):
        return 'pool'

    def hybrid_forward(self, F, x):
        return F.Pooling(x, name='fwd', **self._kwargs)

    def __repr__(self):
        kw = self._kwargs
        return ('%s(size=%s, stride=%s, padding=%s, ceil_mode=%s, global_pool=%s, '
                'pool_type=%s, layout=%s)' % (
                    type(self).__name__, kw['kernel'], kw['stride'], kw['pad'],
                    kw['pooling_convention'] == 'full', kw['global_pool'], kw['pool_type'],
                    kw['layout']))


_POOL_DOC = """{what}

    Parameters
    ----------
    pool_size : int or tuple of {n} int, default {size}
        The window.
    strides : int or tuple of {n} int, optional
        The step between windows; ``pool_size`` by default.
    padding : int or tuple of {n} int, default 0
        Added on both sides of each spatial axis{pad_value}.
    layout : str, default '{layout}'
        '{layout}' or the channels-last '{last}'.
    ceil_mode : bool, default False
        Round the number of windows up (MXNet's ``pooling_convention='full'``),
        so a partial window at the end still gives an output.{extra}

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.gluon.nn.{name}()(mx.nd.ones({example_input})).shape
    {example_shape}
    """

_COUNT_INCLUDE_PAD = """
    count_include_pad : bool, default True
        Whether padded zeros count in each window's average."""

_GLOBAL_DOC = """{what} of each channel over all its positions.

    Parameters
    ----------
    layout : str, default '{layout}'
        '{layout}' or the channels-last '{last}'.

    Examples
    --------
    >>> import mxlearn as mx
    >>> mx.gluon.nn.{name}()(mx.nd.ones({example_input})).shape
    {example_shape}
    """


def _pool_doc(name, n, avg):
    layout, last = _POOL_LAYOUTS[n]
    return _POOL_DOC.format(
        what='%s pooling over %d spatial ax%s.' % ('Average' if avg else 'Max', n,
                                                   'is' if n == 1 else 'es'),
        n=n, size=2 if n == 1 else (2,) * n, layout=layout, last=last, name=name,
        pad_value=' (zeros)' if avg else ' (ignored by the maximum)',
        extra=_COUNT_INCLUDE_PAD if avg else '', example_input=(2, 3) + (8,) * n,
        example_shape=(2, 3) + (4,) * n)


def _global_doc(name, n, avg):
    layout, last = _POOL_LAYOUTS[n]
    return _GLOBAL_DOC.format(what='The %s' % ('average' if avg else 'maximum'),
                              layout=layout, last=last, name=name,
                              example_input=(2, 3) + (8,) * n,
                              example_shape=(2, 3) + (1,) * n)


class MaxPool1D(_Pooling):
    def __init__(self, pool_size=2, strides=None, padding=0, layout='NCW', ceil_mode=False,
                 **kwargs):
        super().__init__(_tuple(pool_size, 1, 'pool_size'), strides, padding, ceil_mode,
                         False, 'max', layout, **kwargs)


class MaxPool2D(_Pooling):
    def __init__(self, pool_size=(2, 2), strides=None, padding=0, layout='NCHW',
                 ceil_mode=False, **kwargs):
        super().__init__(_tuple(pool_size, 2, 'pool_size'), strides, padding, ceil_mode,
                         False, 'max', layout, **kwargs)


class AvgPool1D(_Pooling):
    def __init__(self, pool_size=2, strides=None, padding=0, layout='NCW', ceil_mode=False,
                 count_include_pad=True, **kwargs):
        super().__init__(_tuple(pool_size, 1, 'pool_size'), strides, padding, ceil_mode,
                         False, 'avg', layout, count_include_pad, **kwargs)


class AvgPool2D(_Pooling):
    def __init__(self, pool_size=(2, 2), strides=None, padding=0, ceil_mode=False,
                 layout='NCHW', count_include_pad=True, **kwargs):
        super().__init__(_tuple(pool_size, 2, 'pool_size'), strides, padding, ceil_mode,
                         False, 'avg', layout, count_include_pad, **kwargs)


class MaxPool3D(_Pooling):
    def __init__(self, pool_size=(2, 2, 2), strides=None, padding=0, ceil_mode=False,
                 layout='NCDHW', **kwargs):
        super().__init__(_tuple(pool_size, 3, 'pool_size'), strides, padding, ceil_mode,
                         False, 'max', layout, **kwargs)


class AvgPool3D(_Pooling):
    def __init__(self, pool_size=(2, 2, 2), strides=None, padding=0, ceil_mode=False,
                 layout='NCDHW', count_include_pad=True, **kwargs):
        super().__init__(_tuple(pool_size, 3, 'pool_size'), strides, padding, ceil_mode,
                         False, 'avg', layout, count_include_pad, **kwargs)


class GlobalMaxPool1D(_Pooling):
    def __init__(self, layout='NCW', **kwargs):
        super().__init__((1,), None, 0, True, True, 'max', layout, **kwargs)


class GlobalMaxPool2D(_Pooling):
    def __init__(self, layout='NCHW', **kwargs):
        super().__init__((1, 1), None, 0, True, True, 'max', layout, **kwargs)


class GlobalMaxPool3D(_Pooling):
    def __init__(self, layout='NCDHW', **kwargs):
        super().__init__((1, 1, 1), None, 0, True, True, 'max', layout, **kwargs)


class GlobalAvgPool1D(_Pooling):
    def __init__(self, layout='NCW', **kwargs):
        super().__init__((1,), None, 0, True, True, 'avg', layout, **kwargs)


class GlobalAvgPool2D(_Pooling):
    def __init__(self, layout='NCHW', **kwargs):
        super().__init__((1, 1), None, 0, True, True, 'avg', layout, **kwargs)


class GlobalAvgPool3D(_Pooling):
    def __init__(self, layout='NCDHW', **kwargs):
        super().__init__((1, 1, 1), None, 0, True, True, 'avg', layout, **kwargs)


for _cls in (MaxPool1D, MaxPool2D, MaxPool3D, AvgPool1D, AvgPool2D, AvgPool3D):
    _cls.__doc__ = _pool_doc(_cls.__name__, int(_cls.__name__[-2]),
                             avg=_cls.__name__.startswith('Avg'))
for _cls in (GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D, GlobalAvgPool1D,
             GlobalAvgPool2D, GlobalAvgPool3D):
    _cls.__doc__ = _global_doc(_cls.__name__, int(_cls.__name__[-2]),
                               avg='Avg' in _cls.__name__)
del _cls


class ReflectionPad2D(HybridBlock):
    """Pad the last two axes of an (N, C, H, W) input by reflection at the borders.

    Parameters
    ----------
    padding : int or tuple of 8 int, default 0
        An int pads each side of H and W by that much; a tuple is the
        ``pad_width`` of :func:`mxlearn.ndarray.pad` (two entries per axis).

    Examples
    --------
    >>> import mxlearn as mx
    >>> x = mx.nd.array([[[[1, 2, 3]]]])
    >>> mx.gluon.nn.ReflectionPad2D((0, 0, 0, 0, 0, 0, 1, 1))(x).asnumpy()
    array([[[[2., 1., 2., 3., 2.]]]], dtype=float32)
    """

    def __init__(self, padding=0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(padding, numbers.Integral):
            padding = (0, 0, 0, 0, padding, padding, padding, padding)
        padding = tuple(padding)
        if len(padding) != 8:
            raise MXNetError('ReflectionPad2D: padding must be an int or 8 ints (two per '
                             'axis of NCHW data), got %r' % (padding,))
        self._padding = padding

    def hybrid_forward(self, F, x):
        return F.pad(x, mode='reflect', pad_width=self._padding)
