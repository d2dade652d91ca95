"""The registry's calling conventions: optional inputs."""
import numpy as np
import pytest

from mxlearn import nd
from mxlearn.base import MXNetError
from mxlearn.ndarray.register import make_function
from mxlearn.operator.registry import OPS, register

if '_test_affine' not in OPS:
    @register('_test_affine')
    def _affine(xp, data, weight, bias=None, *, scale=1.0):
        out = data * weight * scale
        return out if bias is None else out + bias

affine = make_function(OPS['_test_affine'], '_test_affine')


def test_optional_input_can_be_left_out_or_none():
    x, w, b = nd.array([1.0, 2.0]), nd.array([3.0, 4.0]), nd.array([0.5, 0.5])
    np.testing.assert_allclose(affine(x, w).asnumpy(), [3.0, 8.0])
    np.testing.assert_allclose(affine(x, w, None, scale=2.0).asnumpy(), [6.0, 16.0])
    np.testing.assert_allclose(affine(x, w, b).asnumpy(), [3.5, 8.5])
    np.testing.assert_allclose(affine(data=x, weight=w, bias=b).asnumpy(), [3.5, 8.5])
    np.testing.assert_allclose(affine(data=x, weight=w, bias=None).asnumpy(), [3.0, 8.0])


def test_required_input_is_still_required():
    with pytest.raises(MXNetError, match="missing input 'weight'"):
        affine(nd.array([1.0]))
