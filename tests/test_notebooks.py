"""Each committed chapter is a clean, complete run: the checks nbval does not make.

nbval (configured in pyproject.toml) re-runs every notebook in chapters/; these
tests read the committed files themselves: executed top to bottom in one kernel, no
errors stored, a python3 kernel, small enough to review, and written as a lesson
(prose and an Exercises section). tools/run_chapters.py produces such a file.
"""
import pathlib
import re

import nbformat
import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
CHAPTERS = sorted((REPO / 'chapters').glob('*.ipynb'))
MAX_BYTES = 1_500_000


@pytest.fixture(params=CHAPTERS, ids=[p.name for p in CHAPTERS])
def chapter(request):
    return request.param, nbformat.read(request.param, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == 'code']


def markdown(nb):
    return '\n'.join(c.source for c in nb.cells if c.cell_type == 'markdown')


def test_there_are_chapters():
    assert [p.name for p in CHAPTERS][:2] == ['00_welcome.ipynb', '01_ndarray.ipynb']


def test_chapter_names_are_numbered():
    for path in CHAPTERS:
        assert re.fullmatch(r'\d\d_[a-z0-9_]+\.ipynb', path.name), path.name


def test_valid_nbformat(chapter):
    _, nb = chapter
    nbformat.validate(nb)


def test_python3_kernel(chapter):
    _, nb = chapter
    assert nb.metadata.get('kernelspec', {}).get('name') == 'python3'


def test_executed_in_order(chapter):
    path, nb = chapter
    counts = [c.execution_count for c in code_cells(nb) if c.source.strip()]
    assert counts, '%s has no code' % path.name
    assert counts == list(range(1, len(counts) + 1)), (
        '%s was not run top to bottom in one fresh kernel (execution counts %s); '
        're-run it with: python tools/run_chapters.py %s'
        % (path.name, counts, path.relative_to(REPO)))


def test_no_errors_stored(chapter):
    path, nb = chapter
    for i, cell in enumerate(code_cells(nb)):
        errors = [o for o in cell.outputs if o.output_type == 'error']
        assert not errors, '%s: code cell %d stored an error: %s: %s' % (
            path.name, i + 1, errors[0].ename, errors[0].evalue)


def test_size(chapter):
    path, _ = chapter
    size = path.stat().st_size
    assert size < MAX_BYTES, '%s is %.2f MB with outputs; keep it under %.1f MB' % (
        path.name, size / 1e6, MAX_BYTES / 1e6)


def test_is_a_lesson(chapter):
    path, nb = chapter
    prose = markdown(nb)
    assert len(re.findall(r'\w+', prose)) >= 300, '%s has little prose' % path.name
    assert nb.cells[0].cell_type == 'markdown' and nb.cells[0].source.startswith('# '), (
        '%s should open with a markdown title' % path.name)
    assert re.search(r'^#+ .*Exercises', prose, re.MULTILINE), (
        '%s has no "Exercises" section' % path.name)


def test_readme_lists_every_chapter():
    readme = (REPO / 'README.md').read_text()
    for path in CHAPTERS:
        assert path.name in readme, 'README.md does not list %s' % path.name
