"""JupyterLab in a real browser: open a chapter, run all cells, see figures and no errors.

Starts ``jupyter lab`` with :func:`fouanalys.build.lab.lab_arguments` on a free loopback port over a
copy of ``notebooks/`` (so nothing is saved into the committed notebooks) and a processed
folder of the example data, then drives Debian's headless Chromium through Playwright. The
browser comes from the system and is never downloaded: without it the test is skipped, or
fails when ``CI=true``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
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


def _answers(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex((lab.HOST, port)) == 0


@dataclass(frozen=True)
class LabServer:
    process: subprocess.Popen
    port: int
    token: str
    log: Path
    chromium: str

    def url(self, path: str) -> str:
        return f"http://{lab.HOST}:{self.port}/{path.lstrip('/')}?token={self.token}"


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()  # the server shuts its kernels down on SIGTERM
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@pytest.fixture
def lab_server(tmp_path: Path, codebook) -> Iterator[LabServer]:
    """JupyterLab on a free port over a copy of the notebooks, reading example tables."""
    chromium = _chromium()
    processed = write_example_processed(tmp_path / "processed", codebook)
    root = tmp_path / "notebooks"
    shutil.copytree(config.NOTEBOOKS_DIR, root)
    # Isolate the server from the user's Jupyter state; show every cell (no windowing) so the
    # DOM holds all outputs.
    user_settings = tmp_path / "jupyter" / "user-settings"
    tracker = user_settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}), encoding="utf-8")
    env = os.environ | {
        config.PROCESSED_DIR_ENV: str(processed),
        "JUPYTERLAB_SETTINGS_DIR": str(user_settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "jupyter" / "workspaces"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter" / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter" / "runtime"),
        "IPYTHONDIR": str(tmp_path / "jupyter" / "ipython"),
        "GX_ANALYTICS_ENABLED": "false",
    }
    env.pop("MPLBACKEND", None)  # the chapter draws inline, as in a user's session
    settings_dir = lab.prepare_lab()  # exactly what `make lab` does: kernel + no-news override
    port = lab.free_port(0)
    token = "test-" + os.urandom(12).hex()
    args = lab.lab_arguments(
        root, port, token, notebook_dir="", as_root=os.geteuid() == 0, settings_dir=settings_dir
    )
    args.append("--LabApp.expose_app_in_browser=True")  # window.jupyterapp for the test
    log_path = tmp_path / "jupyter-lab.log"
    with log_path.open("w", encoding="utf-8") as log_file:
        process = subprocess.Popen(
            lab.lab_command(args),
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LabServer(process, port, token, log_path, chromium)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while _answers(server.url("api/status")) != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab startade inte:\n{log_path.read_text(encoding='utf-8')}")
            time.sleep(0.2)
        yield server
    finally:
        _stop(process)
    assert process.returncode is not None
    assert not _port_open(port), "servern lyssnar fortfarande efter att ha stoppats"
    # the server shut its kernel down (a kernel's connection file goes with it)
    assert not list((tmp_path / "jupyter" / "runtime").glob("kernel-*.json"))


def test_chapter_runs_in_jupyterlab(lab_server: LabServer, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    committed = _digest(config.NOTEBOOKS_DIR)
    # the token is required: the API refuses a request without it
    assert _answers(f"http://{lab.HOST}:{lab_server.port}/api/status") == 403

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=lab_server.chromium,
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
