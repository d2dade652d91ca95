"""A chapter in a real JupyterLab, driven by headless Chromium: run it, move a slider.

The test starts JupyterLab on 127.0.0.1 (a free port, a random token, its own
config and runtime folders) serving a copy of chapter 01 with its outputs and
widget state cleared, so everything on the page comes from the live kernel. It
opens the notebook in Debian's Chromium through Playwright (never a downloaded
browser), runs all cells from the Run menu, waits for the BroadcastView widget,
moves its first slider with the keyboard, and checks that the widget's status
line and picture changed. Screenshots go to ``$MXLEARN_TEST_ARTIFACTS`` if set,
else to the test's temporary folder (the path is printed).

It is skipped, with a warning, only where /usr/bin/chromium or Playwright for
Python is missing (.ci/run installs both).
"""
import json
import os
import pathlib
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
CHAPTER = REPO / 'chapters' / '01_ndarray.ipynb'
CHROMIUM = '/usr/bin/chromium'
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync']
WIDGET = '.mxlearn-BroadcastView'
#: Seconds to wait for the server, the kernel, and the whole chapter to run.
TIMEOUT = 120

pytestmark = pytest.mark.slow


def skip_loudly(reason):
    warnings.warn('test_browser SKIPPED: %s' % reason)
    pytest.skip(reason)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def fresh_copy(src, dest):
    """The notebook without outputs, execution counts or saved widget state."""
    nb = json.loads(src.read_text())
    nb['metadata'].pop('widgets', None)
    for cell in nb['cells']:
        if cell['cell_type'] == 'code':
            cell['outputs'], cell['execution_count'] = [], None
    dest.write_text(json.dumps(nb))


def wait_until(ready, message, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, message
        time.sleep(0.5)


def kernel_states(url, token):
    """The execution state of every kernel the server runs."""
    with urllib.request.urlopen('%s/api/kernels?token=%s' % (url, token), timeout=5) as r:
        return [k['execution_state'] for k in json.load(r)]


@pytest.fixture
def playwright_api():
    """Playwright's sync API, or a loud skip where it or Chromium is missing."""
    if not os.path.exists(CHROMIUM):
        skip_loudly('%s is missing (Debian: apt-get install chromium)' % CHROMIUM)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_loudly('Playwright for Python is not installed (pip install playwright)')
    with sync_playwright() as p:
        yield p


@pytest.fixture
def lab(tmp_path):
    """A running JupyterLab serving a fresh copy of the chapter; yields (url, token)."""
    root = tmp_path / 'root'
    root.mkdir()
    fresh_copy(CHAPTER, root / CHAPTER.name)
    # Start the notebook's kernel without asking, and fetch no news.
    for plugin, settings in (('notebook-extension/tracker', {'autoStartDefaultKernel': True}),
                             ('apputils-extension/notification', {'fetchNews': 'false'})):
        path = tmp_path / 'config' / 'lab' / 'user-settings' / '@jupyterlab' / (
            plugin + '.jupyterlab-settings')
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ,
               JUPYTER_CONFIG_DIR=str(tmp_path / 'config'),
               JUPYTER_RUNTIME_DIR=str(tmp_path / 'runtime'),
               JUPYTER_DATA_DIR=str(tmp_path / 'data'),
               MPLCONFIGDIR=str(tmp_path / 'mpl'),
               PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get('PYTHONPATH'))
                                          if p))
    env['MXLEARN_DATA'] = env.get('MXLEARN_DATA') or str(REPO.parent / 'shared' / 'data')
    cmd = [sys.executable, '-m', 'jupyter', 'lab', '--no-browser', '--ip=127.0.0.1',
           '--port=%d' % port, '--ServerApp.port_retries=0',
           '--IdentityProvider.token=%s' % token, '--ServerApp.root_dir=%s' % root,
           # Nothing from the network: no news, no update check, no extension index.
           '--LabApp.news_url=None', '--LabApp.extension_manager=readonly',
           '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate']
    if hasattr(os, 'geteuid') and os.geteuid() == 0:
        cmd.append('--allow-root')          # CI containers run as root
    log = open(tmp_path / 'jupyterlab.log', 'w')
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = 'http://127.0.0.1:%d' % port
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                urllib.request.urlopen('%s/api/status?token=%s' % (url, token), timeout=5)
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, 'JupyterLab exited:\n' + (
                    tmp_path / 'jupyterlab.log').read_text()[-3000:]
                assert time.monotonic() < deadline, 'JupyterLab did not start'
                time.sleep(0.5)
        yield url, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_run_chapter_and_move_a_slider(playwright_api, lab, tmp_path):
    shots = pathlib.Path(os.environ.get('MXLEARN_TEST_ARTIFACTS') or tmp_path / 'artifacts')
    shots.mkdir(parents=True, exist_ok=True)
    url, token = lab
    browser = playwright_api.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
    page = browser.new_page(viewport={'width': 1400, 'height': 1000})
    try:
        page.set_default_timeout(TIMEOUT * 1000)
        page.goto('%s/lab/tree/%s?token=%s' % (url, CHAPTER.name, token))
        page.wait_for_selector('.jp-NotebookPanel .jp-Cell')
        # The page shows "Idle" before a kernel exists; ask the server instead.
        wait_until(lambda: kernel_states(url, token) == ['idle'], 'the kernel did not start')
        page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]')

        page.click('.lm-MenuBar-item:has-text("Run")')
        page.click('.lm-Menu-item[data-command="runmenu:run-all"]')
        widget = page.locator(WIDGET)
        # 'attached', not 'visible': JupyterLab does not render cells far off screen.
        widget.wait_for(state='attached')
        # Every cell has run when the last one has an execution count.
        page.wait_for_function(
            '() => { const p = [...document.querySelectorAll('
            '".jp-CodeCell .jp-InputPrompt")]; '
            'return p.length > 0 && /\\[\\d+\\]/.test(p[p.length - 1].textContent); }')
        wait_until(lambda: kernel_states(url, token) == ['idle'], 'the chapter did not finish')
        errors = page.locator('.jp-OutputArea-output[data-mime-type='
                              '"application/vnd.jupyter.stderr"]:has-text("Traceback")')
        assert errors.count() == 0, errors.first.inner_text()

        widget.scroll_into_view_if_needed()
        status = widget.locator('.widget-html').last
        image = widget.locator('img').first
        before_text, before_src = status.text_content(), image.get_attribute('src')
        before_png = image.screenshot()
        assert '(3, 4)' in before_text, before_text
        page.screenshot(path=str(shots / 'broadcast_before.png'))

        handle = widget.locator('.widget-slider [role="slider"]').first
        handle.focus()
        handle.press('ArrowRight')          # A: axis 0 from 3 to 4
        page.wait_for_function(
            '([sel, old]) => { const s = document.querySelectorAll(sel); '
            'return s.length && s[s.length - 1].textContent !== old; }',
            arg=['%s .widget-html' % WIDGET, before_text])
        page.wait_for_function('([sel, old]) => document.querySelector(sel).src !== old',
                               arg=['%s img' % WIDGET, before_src])
        after_text = status.text_content()
        assert '(4, 4)' in after_text, after_text
        assert image.screenshot() != before_png
        page.screenshot(path=str(shots / 'broadcast_after.png'))
    except Exception:
        page.screenshot(path=str(shots / 'failure.png'), full_page=True)
        print('prompts:', page.locator('.jp-InputPrompt').all_inner_texts())
        raise
    finally:
        print('screenshots in', shots)
        browser.close()
