"""Emulate Binder's build of the course and open a chapter in what it built.

repo2docker installs ``binder/requirements.txt`` into a fresh environment, runs
``binder/postBuild`` from the repository root and starts JupyterLab. This test does
the same in a fresh virtual environment with a copy of the repository (the files git
would commit: tracked and untracked-but-not-ignored, no build products), then
executes chapter 00 with that environment's kernel. pip reaches the package index
(its cache is reused); the datasets come from ``MXLEARN_DATA`` through
``MXLEARN_DATA_MIRROR``, so nothing else is downloaded.

Compiling the extension in a fresh environment takes minutes (about 3 on two idle
cores, 7-8 on a busy machine), so the test runs only when ``MXLEARN_TEST_BINDER=1``
(.ci/run sets it); otherwise it is skipped with that reason.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
DATA = pathlib.Path(os.environ.get('MXLEARN_DATA') or REPO.parent / 'shared' / 'data')
CHAPTER = 'chapters/00_welcome.ipynb'
#: Output of an extra one-cell notebook: which interpreter and mxlearn the kernel ran.
PROBE = ('import sys, mxlearn, mxlearn._ext.core\n'
         'print(sys.prefix)\nprint(mxlearn.__file__)')

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get('MXLEARN_TEST_BINDER') != '1',
                       reason='the Binder build takes minutes: set MXLEARN_TEST_BINDER=1 '
                              '(.ci/run does)'),
]


def repository_files():
    """The files of the checkout that a commit would hold, relative to REPO."""
    try:
        out = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others',
                              '--exclude-standard'], cwd=REPO, capture_output=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip('not a git checkout: cannot tell which files Binder would see')
    return [p for p in out.decode().split('\0') if p and (REPO / p).is_file()]


def run(cmd, cwd, env, timeout):
    """Run ``cmd`` and return its output (stdout and stderr); on failure, fail with it."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, '%s failed (exit %d):\n%s\n%s' % (
        ' '.join(map(str, cmd)), proc.returncode, proc.stdout[-4000:], proc.stderr[-4000:])
    print('%-60s %6.1f s' % (' '.join(map(str, cmd))[:60], time.perf_counter() - start))
    return proc.stdout + proc.stderr


def probe_notebook(path):
    nb = {'cells': [{'cell_type': 'code', 'execution_count': None, 'id': 'probe',
                     'metadata': {}, 'outputs': [], 'source': PROBE}],
          'metadata': {'kernelspec': {'name': 'python3', 'display_name': 'Python 3',
                                      'language': 'python'}},
          'nbformat': 4, 'nbformat_minor': 5}
    path.write_text(json.dumps(nb))


def outputs(path):
    nb = json.loads(path.read_text())
    return [o for c in nb['cells'] if c['cell_type'] == 'code' for o in c['outputs']]


def test_binder_build_opens_a_chapter(tmp_path):
    if not (DATA / 'mnist').is_dir():
        pytest.skip('no MNIST files in %s (set MXLEARN_DATA)' % DATA)
    repo = tmp_path / 'repo'
    for rel in repository_files():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, repo / rel)

    venv = tmp_path / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True)
    bin_dir = venv / 'bin'
    python = str(bin_dir / 'python')
    env = {k: v for k, v in os.environ.items() if not k.startswith('JUPYTER')
           and k not in ('PYTHONPATH', 'PYTHONHOME', 'MXLEARN_DATA')}
    env.update(PATH=str(bin_dir) + os.pathsep + env.get('PATH', ''), VIRTUAL_ENV=str(venv),
               # Where Binder would have ~/.mxlearn/datasets; filled from the local copy.
               MXLEARN_DATA=str(tmp_path / 'datasets'), MXLEARN_DATA_MIRROR=str(DATA),
               # Jupyter state of this build only (kernelspecs, config, runtime files).
               JUPYTER_CONFIG_DIR=str(tmp_path / 'jupyter' / 'config'),
               JUPYTER_DATA_DIR=str(tmp_path / 'jupyter' / 'data'),
               JUPYTER_RUNTIME_DIR=str(tmp_path / 'jupyter' / 'runtime'),
               IPYTHONDIR=str(tmp_path / 'ipython'), MPLCONFIGDIR=str(tmp_path / 'mpl'))

    run([python, '-m', 'pip', 'install', '-q', '-r', 'binder/requirements.txt'], repo, env, 900)
    run(['bash', 'binder/postBuild'], repo, env, 1200)
    assert sorted(p.name for p in (tmp_path / 'datasets' / 'mnist').iterdir()) == [
        't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz',
        'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz']
    extensions = run([python, '-m', 'jupyter', 'labextension', 'list'], repo, env, 120)
    assert '@jupyter-widgets/jupyterlab-manager' in extensions

    probe_notebook(repo / 'chapters' / 'probe.ipynb')
    for name in ('probe.ipynb', pathlib.Path(CHAPTER).name):
        run([python, '-m', 'jupyter', 'nbconvert', '--to', 'notebook', '--execute',
             '--ExecutePreprocessor.timeout=300', '--output-dir', str(tmp_path / 'out'),
             name], repo / 'chapters', env, 600)
    prefix, module = ''.join(outputs(tmp_path / 'out' / 'probe.ipynb')[0]['text']).split()
    assert pathlib.Path(prefix).resolve() == venv.resolve(), 'the kernel ran outside the venv'
    assert pathlib.Path(module).resolve().is_relative_to(repo.resolve()), (
        'the kernel imported another mxlearn: %s' % module)
    ran = outputs(tmp_path / 'out' / pathlib.Path(CHAPTER).name)
    assert ran and not [o for o in ran if o['output_type'] == 'error']
