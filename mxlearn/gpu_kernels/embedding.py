"""The Embedding gradient on the GPU: rows of the output gradient added into a table.

The twin of ``ext/embedding.pyx`` (and of ``embedding_grad_reference`` in
``mxlearn.operator.embedding``): ``out[index[r]] += grad[r]`` for every row
``r`` of ``grad`` (N, D), indices clipped into ``[0, num_rows)`` as the
forward clips them.

One ElementwiseKernel thread per element of ``grad``. Two rows with the same
index add into the same output row, so the addition is an ``atomicAdd``
(float32 and float64 both have one on every GPU CuPy supports); the order of
the additions, and so the last bits of a repeated row, may differ from run
to run.
"""
import functools

__all__ = ['scatter_add_rows']


@functools.cache
def _scatter_kernel():
    import cupy
    return cupy.ElementwiseKernel(
        'T grad, raw int64 index, int64 dim, int64 last', 'raw T out',
        '''
        long long r = index[i / dim];
        r = r < 0 ? 0 : (r > last ? last : r);
        atomicAdd(&out[r * dim + i % dim], grad);
        ''',
        'mxlearn_embedding_scatter_add')


def scatter_add_rows(grad, index, num_rows):
    """``out = zeros((num_rows, D)); out[clip(index[r])] += grad[r]`` for each row ``r``.

    Parameters
    ----------
    grad : cupy.ndarray
        (N, D), float32 or float64.
    index : cupy.ndarray
        N integer indices (made int64).
    num_rows : int

    Returns
    -------
    cupy.ndarray
        (num_rows, D) in grad's dtype.
    """
    import cupy
    out = cupy.zeros((num_rows, grad.shape[1]), dtype=grad.dtype)
    if grad.size:
        _scatter_kernel()(grad, cupy.ascontiguousarray(index, dtype=cupy.int64),
                          grad.shape[1], num_rows - 1, out)
    return out
