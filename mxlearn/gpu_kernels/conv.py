"""im2col and col2im on the GPU: the data movement of a convolution.

The twins of ``ext/conv.pyx`` (and of the readable references
``_im2col_reference`` / ``_col2im_reference`` in ``mxlearn.operator.conv``),
with the same layout: for input ``x`` of shape ``(N, C, H, W)`` the matrix
``col`` has shape ``(C*kh*kw, N*OH*OW)``, row ``(c*kh + i)*kw + j`` and column
``(n*OH + oy)*OW + ox`` holding ``x[n, c, oy*sh - ph + i*dh, ox*sw - pw + j*dw]``
(0 in the padding). The matrix products around them are cuBLAS GEMMs
(``cupy.matmul``), called from ``mxlearn.operator.conv`` as on the CPU.

Both kernels are CuPy ElementwiseKernels over their *output*, one thread per
element, reading the other array as ``raw`` (any index):

- ``im2col``: each element of ``col`` decodes its (c, i, j, n, oy, ox) and
  reads one input pixel;
- ``col2im``: each element of ``x`` gathers the entries of ``col`` that were
  read from it, a loop over the kernel taps (i, j) that keeps those whose
  output position ``(h + ph - i*dh) / sh`` is a whole number inside the
  output. No two threads write the same element, so there are no atomics and
  the sum is deterministic.
"""
import functools

__all__ = ['im2col', 'col2im']


@functools.cache
def _im2col_kernel():
    import cupy
    return cupy.ElementwiseKernel(
        'raw T x, int64 C, int64 H, int64 W, int64 OH, int64 OW, int32 kh, int32 kw, '
        'int32 sh, int32 sw, int32 ph, int32 pw, int32 dh, int32 dw, int64 cols',
        'T col',
        '''
        long long column = i % cols, row = i / cols;
        int j = row % kw, tap_i = (row / kw) % kh;
        long long c = row / ((long long)kw * kh);
        long long ox = column % OW, oy = (column / OW) % OH, n = column / (OW * OH);
        long long h = oy * sh - ph + (long long)tap_i * dh;
        long long w = ox * sw - pw + (long long)j * dw;
        col = (h >= 0 && h < H && w >= 0 && w < W) ? x[((n * C + c) * H + h) * W + w] : (T)0;
        ''',
        'mxlearn_im2col')


@functools.cache
def _col2im_kernel():
    import cupy
    return cupy.ElementwiseKernel(
        'raw T col, int64 C, int64 H, int64 W, int64 OH, int64 OW, int32 kh, int32 kw, '
        'int32 sh, int32 sw, int32 ph, int32 pw, int32 dh, int32 dw, int64 cols',
        'T x',
        '''
        long long w = i % W, h = (i / W) % H, c = (i / (W * H)) % C, n = i / (W * H * C);
        T total = 0;
        for (int tap_i = 0; tap_i < kh; ++tap_i) {
            long long y = h + ph - (long long)tap_i * dh;
            if (y < 0 || y % sh != 0 || y / sh >= OH) continue;
            long long oy = y / sh;
            for (int j = 0; j < kw; ++j) {
                long long z = w + pw - (long long)j * dw;
                if (z < 0 || z % sw != 0 || z / sw >= OW) continue;
                long long row = (c * kh + tap_i) * kw + j;
                total += col[row * cols + (n * OH + oy) * OW + z / sw];
            }
        }
        x = total;
        ''',
        'mxlearn_col2im')


def _out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _geometry_args(x_shape, planar):
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = planar
    n, c, h, w = x_shape
    oh, ow = _out_size(h, kh, sh, ph, dh), _out_size(w, kw, sw, pw, dw)
    return (c, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, n * oh * ow)


def im2col(x, planar):
    """The (C*kh*kw, N*OH*OW) patch matrix of a CuPy array ``x`` (N, C, H, W).

    ``planar`` is ``(kernel, stride, pad, dilate)``, each an (h, w) pair, as
    in ``mxlearn.operator.conv``.
    """
    import cupy
    args = _geometry_args(x.shape, planar)
    c, kh, kw, cols = args[0], args[5], args[6], args[-1]
    col = cupy.empty((c * kh * kw, cols), dtype=x.dtype)
    if col.size:
        _im2col_kernel()(cupy.ascontiguousarray(x), *args, col)
    return col


def col2im(col, x_shape, planar):
    """The adjoint of :func:`im2col`: an (N, C, H, W) array with each entry of
    ``col`` added where it was read."""
    import cupy
    x = cupy.empty(x_shape, dtype=col.dtype)
    if x.size:
        _col2im_kernel()(cupy.ascontiguousarray(col), *_geometry_args(x_shape, planar), x)
    return x
