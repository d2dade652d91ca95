"""Test fixtures shared by the suites: the device a test runs on.

``ctx`` runs a test once per device, inside ``with ctx:`` so that every array
the test creates without an explicit context lands there (a suite opts in
with ``pytestmark = pytest.mark.usefixtures('ctx')``):

- ``cpu``: ``mx.cpu()``, always;
- ``gpu``: ``mx.gpu(0)`` with the ``gpu`` marker; skipped without CuPy or a
  GPU (``pytest -m gpu`` selects only these);
- ``xpstub``: a GPU context served by ``tests/xpstub.py``, a CuPy stand-in
  on numpy that enforces CuPy's rules about mixing with numpy. Opt in with
  the environment variable ``MXLEARN_TEST_XPSTUB=1`` (it doubles the time of
  the suites that use ``ctx``); without a real CuPy it checks, on a CPU,
  that every ``xp`` path would run on CuPy.

A test marked ``cpu_only`` (one about the CPU kernels, or one that spreads
work over several ``mx.cpu(i)``) runs only in the ``cpu`` case.

``gpu_ctx`` is for the tests about GPU contexts themselves
(``tests/test_gpu_*.py``): the real ``mx.gpu(0)`` (``gpu`` marker, skipped
without one) and the stand-in (skipped where a real CuPy is installed), so
they always run somewhere.
"""
import os

import pytest

import mxlearn as mx
import xpstub
from mxlearn.backend import num_gpus
from mxlearn.base import MXNetError

# --doctest-modules would import this file once more as a test module named
# ``conftest``, which clashes with chapters/conftest.py; it holds no doctests.
collect_ignore = ['conftest.py']

_PARAMS = ['cpu', pytest.param('gpu', marks=pytest.mark.gpu)]
if os.environ.get('MXLEARN_TEST_XPSTUB', '0') == '1':
    _PARAMS.append('xpstub')


def pytest_configure(config):
    config.addinivalue_line('markers', 'cpu_only: run only in the cpu case of the ctx '
                                       'fixture (tests/conftest.py)')


@pytest.fixture(params=_PARAMS)
def ctx(request):
    """The device of this run of the test, made the default context."""
    if request.param != 'cpu' and request.node.get_closest_marker('cpu_only'):
        pytest.skip('a test of the CPU backend')
    with _device(request.param) as c:
        yield c


@pytest.fixture(params=[pytest.param('gpu', marks=pytest.mark.gpu), 'xpstub'])
def gpu_ctx(request):
    """A GPU context: the real ``gpu(0)``, or ``gpu(0)`` served by the CuPy stand-in."""
    with _device(request.param) as c:
        yield c


def _device(kind):
    """The context to enter for a fixture case ``kind``: 'cpu', 'gpu' or 'xpstub'.

    Skips the test when the machine has no GPU for the 'gpu' case.
    """
    if kind == 'cpu':
        return mx.cpu()
    if kind == 'gpu':
        if num_gpus() == 0:
            pytest.skip('needs CuPy and a GPU')
        return mx.gpu(0)
    return _stub_context()


class _stub_context:
    """``with`` block: install the stand-in, enter a fresh ``Context('gpu', 0)``.

    A fresh Context (not the shared ``mx.gpu(0)``) keeps the stand-in out of
    the array module cached on ``mx.gpu(0)``; leaving checks that it stayed out.
    """

    def __enter__(self):
        if xpstub.real_cupy_available():
            pytest.skip('a real CuPy is installed: the gpu cases run instead of the stand-in')
        self._installed = xpstub.installed()
        self._installed.__enter__()
        self._ctx = mx.Context('gpu', 0)
        return self._ctx.__enter__()

    def __exit__(self, *exc):
        self._ctx.__exit__(*exc)
        self._installed.__exit__(*exc)
        try:
            module = mx.gpu(0).xp
        except MXNetError:
            return False
        raise AssertionError('the CuPy stand-in leaked into mx.gpu(0) (its array module is '
                             '%r): a test used mx.gpu(0) instead of its ctx' % (module,))
