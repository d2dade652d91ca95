"""nbval settings for the course notebooks.

The kernels nbval starts inherit this process's environment, so they read the
datasets from ``MXLEARN_DATA`` (the shared folder beside the checkout unless it is
set: nothing is downloaded) and import the mxlearn of this checkout.
"""
import os
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent

if not os.environ.get('MXLEARN_DATA'):
    os.environ['MXLEARN_DATA'] = str(REPO.parent / 'shared' / 'data')
os.environ['PYTHONPATH'] = os.pathsep.join(
    p for p in (str(REPO), os.environ.get('PYTHONPATH')) if p)


def pytest_configure(config):
    # nbval opens the sanitizer relative to the working directory; make the
    # configured path work from anywhere, and use ours when none is given.
    option = config.option
    if not hasattr(option, 'nbval_sanitize_with'):
        return
    path = option.nbval_sanitize_with
    if path is None:
        option.nbval_sanitize_with = str(HERE / 'nbval_sanitize.cfg')
    elif not os.path.isabs(path) and not os.path.exists(path):
        option.nbval_sanitize_with = str(config.rootpath / path)
