"""JupyterLab in a real browser: open a chapter, run all cells, see figures and no errors.

Starts ``jupyter lab`` with :func:`fouanalys.build.lab.isolated_lab` (as ``make lab`` does, on a
free loopback port, apart from the user's Jupyter state) over a copy of ``notebooks/`` (so
nothing is saved into the committed notebooks) and a processed folder of the example data,
then drives Debian's headless Chromium through Playwright. The
browser comes from the system and is never downloaded: without it the test is skipped, or
fails when ``CI=true``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import write_example_processed

from fouanalys import config
from fouanalys.build import lab

CHAPTER = "01_underlag.ipynb"
INSTALL_HINT = "installera med 'sudo apt-get install -y chromium'"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 30.0
RUN_TIMEOUT_MS = 45_000

pytestmark = pytest.mark.slow

#: The open notebook as the JupyterLab model sees it (complete, unlike the windowed DOM).
NOTEBOOK_STATE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel?.sessionContext?.session?.kernel;
  if (!panel?.content?.model || !kernel) return null;
  const cells = Array.from(panel.content.model.cells)
    .filter(c => c.type === 'code')
    .map(c => ({count: c.executionCount, outputs: c.outputs.toJSON()}));
  return {kernel: kernel.name, status: kernel.status, cells};
}"""

#: True once every code cell ran (or one failed, which stops Run All) and the kernel is idle.
RUN_FINISHED = (
    "() => {\n  const state = ("
    + NOTEBOOK_STATE
    + """)();
  if (!state || state.status !== 'idle' || state.cells.length === 0) return false;
  const failed = state.cells.some(c => c.outputs.some(o => o.output_type === 'error'));
  return failed || state.cells.every(c => c.count !== null);
}"""
)


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: webbläsartestet måste köras)")
    pytest.skip(reason)


def _chromium() -> str:
    path = shutil.which("chromium") or next(
        (p for p in ("/usr/bin/chromium",) if Path(p).is_file()), None
    )
    if path is None:
        _missing(f"Chromium saknas: {INSTALL_HINT}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("Python-paketet playwright saknas: kör 'make setup' (ingår i dev-gruppen)")
    return path


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*.ipynb")}


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex((lab.HOST, port)) == 0


@pytest.fixture
def chromium() -> str:
    return _chromium()


@pytest.fixture
def lab_server(tmp_path: Path, codebook, chromium: str) -> Iterator[lab.LabServer]:
    """JupyterLab on a free port over a copy of the notebooks, reading example tables."""
    processed = write_example_processed(tmp_path / "processed", codebook)
    root = tmp_path / "notebooks"
    shutil.copytree(config.NOTEBOOKS_DIR, root)
    with lab.isolated_lab(root, processed, tmp_path, start_timeout=SERVER_START_TIMEOUT) as server:
        assert server.runtime_dir.is_relative_to(tmp_path)
        yield server
    assert server.process.returncode is not None
    assert not _port_open(server.port), "servern lyssnar fortfarande efter att ha stoppats"
    # the server shut its kernel down (a kernel's connection file goes with it)
    assert not list(server.runtime_dir.glob("kernel-*.json"))


def test_chapter_runs_in_jupyterlab(
    lab_server: lab.LabServer, chromium: str, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    committed = _digest(config.NOTEBOOKS_DIR)
    # the token is required: the API refuses a request without it
    assert lab.http_status(f"http://{lab.HOST}:{lab_server.port}/api/status") == 403

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_ARGS,
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(RUN_TIMEOUT_MS)
            page.goto(lab_server.url(f"lab/tree/{CHAPTER}"))
            page.wait_for_function(f"() => (({NOTEBOOK_STATE})())?.status === 'idle'")
            page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]')
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            page.wait_for_function(RUN_FINISHED, polling=250)
            page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]')
            state = page.evaluate(NOTEBOOK_STATE)
            kernel_files = list(lab_server.runtime_dir.glob("kernel-*.json"))
            stderr = page.locator(
                '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
            )
            errors = [text[:500] for text in stderr.all_inner_texts()]
            figures = page.locator('.jp-RenderedImage img[src^="data:image/png"]')
            n_figures = figures.count()
            if n_figures:  # show the first figure in the screenshot
                figures.first.scroll_into_view_if_needed()
                figures.first.wait_for(state="visible")
            toasts = page.locator(".Toastify__toast, .jp-Notification-Toast-default")
            toast_texts = toasts.all_inner_texts()
            body = page.inner_text("#main")
            page.screenshot(path=tmp_path / "lab.png", full_page=True)
        finally:
            browser.close()

    outputs = [o for cell in state["cells"] for o in cell["outputs"]]
    failed = [o for o in outputs if o["output_type"] == "error"]
    assert not failed, "\n".join(f"{o['ename']}: {o['evalue']}" for o in failed)
    assert not errors, errors
    assert state["kernel"] == config.KERNEL_NAME
    assert len(kernel_files) == 1, kernel_files  # gone once the server stops (the fixture)
    assert all(cell["count"] is not None for cell in state["cells"]), state["cells"]
    assert not [o for o in outputs if o["output_type"] == "stream" and o["name"] == "stderr"]
    # a figure was drawn by the kernel and rendered by the browser
    assert n_figures >= 1
    assert sum("image/png" in o.get("data", {}) for o in outputs) == n_figures
    # the kernel read the example tables of FOUANALYS_PROCESSED_DIR (marked synthetic)
    assert config.SYNTHETIC_BANNER in body
    # no "receive official Jupyter news?" toast (nor any other notification)
    assert not toast_texts, toast_texts
    assert (tmp_path / "lab.png").stat().st_size > 10_000
    assert _digest(config.NOTEBOOKS_DIR) == committed
