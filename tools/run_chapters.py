"""Re-execute course notebooks in place, each in a fresh kernel, and report the time.

This is how a chapter is committed: with the outputs of one clean run, top to bottom.

    python tools/run_chapters.py                       # every chapters/*.ipynb
    python tools/run_chapters.py chapters/01_ndarray.ipynb

The kernel is the ``python3`` kernel of the interpreter running this script, started
in the notebook's folder, with ``MXLEARN_DATA`` set (to the shared datasets beside the
checkout unless already set) and this checkout first on ``PYTHONPATH``. A notebook
that raises is reported and left unchanged on disk; the exit status is non-zero if
any failed or took longer than ``--budget`` seconds.
"""
import argparse
import os
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

REPO = pathlib.Path(__file__).resolve().parents[1]
KERNELSPEC = {'name': 'python3', 'display_name': 'Python 3 (ipykernel)',
              'language': 'python'}


def execute(path, timeout):
    """Run the notebook at ``path`` in a fresh kernel and write it back.

    Parameters
    ----------
    path : pathlib.Path
        The notebook.
    timeout : int
        Seconds any one cell may take.

    Returns
    -------
    float
        Wall-clock seconds, kernel start-up included.
    """
    nb = nbformat.read(path, as_version=4)
    nb.metadata['kernelspec'] = dict(KERNELSPEC)
    # No per-cell timestamps: they would make every re-run a diff.
    client = NotebookClient(nb, timeout=timeout, kernel_name='python3', record_timing=False,
                            resources={'metadata': {'path': str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    nbformat.write(nb, path)
    return elapsed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('notebooks', nargs='*', type=pathlib.Path,
                        help='notebooks to run (default: every chapters/*.ipynb)')
    parser.add_argument('--timeout', type=int, default=600, help='seconds per cell')
    parser.add_argument('--budget', type=float, default=60.0,
                        help='seconds a whole chapter should take (default 60)')
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((REPO / 'chapters').glob('*.ipynb'))
    if not os.environ.get('MXLEARN_DATA'):
        os.environ['MXLEARN_DATA'] = str(REPO.parent / 'shared' / 'data')
    os.environ['PYTHONPATH'] = os.pathsep.join(
        p for p in (str(REPO), os.environ.get('PYTHONPATH')) if p)

    failed = False
    for path in paths:
        try:
            elapsed = execute(path.resolve(), args.timeout)
        except CellExecutionError as e:
            failed = True
            print('%s: FAILED (left unchanged)\n%s' % (path, e), file=sys.stderr)
            continue
        over = elapsed > args.budget
        failed |= over
        size = path.stat().st_size / 1e6
        print('%-40s %6.1f s  %5.2f MB%s' % (path, elapsed, size,
                                              '  OVER BUDGET' if over else ''))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
