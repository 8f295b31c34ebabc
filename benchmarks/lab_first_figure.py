"""Benchmark: seconds from "Run All" to the first figure of each chapter in JupyterLab.

Run from the repository root (needs Debian's ``chromium``, as the browser test does)::

    .venv/bin/python benchmarks/lab_first_figure.py [--repeat 3] [--chapters 01_underlag,...]

A researcher's session, driven through a real browser: JupyterLab is started as ``make lab``
starts it (:mod:`fouanalys.build.lab`) over a copy of ``notebooks/``, with processed tables of
the example data made first (``FOUANALYS_PROCESSED_DIR``), so a notebook does not validate and
process on its first run. For each chapter the notebook is opened with its outputs cleared and
its kernel idle, ``notebook:run-all-cells`` is sent and the clock runs until the first
``image/png`` output reaches the notebook's model, as the browser shows it. Two cases: *re-run*,
in the kernel that already ran the notebook (JupyterLab keeps a notebook's session, so the
stack is imported: a researcher who changed a parameter and runs all again), and *fresh
kernel*, the kernel restarted first and its start and the first cell's imports timed too (the
first run after opening the notebook). The machine is warm: one untimed run of each chapter
comes first (file caches, matplotlib's font cache, compiled bytecode). Best and median of
``--repeat`` runs.

Target (issue 23): the first figure within 5 s of running all cells on a warm machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ("01_underlag", "02_riskfaktorer", "03_insatser", "04_kunskapslaget", "05_natverk")
TARGET = 5.0

#: Milliseconds since the page's origin when the open notebook's model first holds a PNG
#: (-1 when a cell failed first).
FIRST_FIGURE = """() => {
  const panel = window.jupyterapp?.shell?.currentWidget;
  const cells = panel?.content?.model ? Array.from(panel.content.model.cells) : [];
  const outputs = cells.filter(c => c.type === 'code').flatMap(c => c.outputs.toJSON());
  if (outputs.some(o => o.output_type === 'error')) return -1;
  return outputs.some(o => o.data && o.data['image/png']) ? performance.now() : null;
}"""
KERNEL_IDLE = """() => {
  const panel = window.jupyterapp?.shell?.currentWidget;
  return panel?.sessionContext?.session?.kernel?.status === 'idle';
}"""


def start_lab(work: Path) -> tuple[subprocess.Popen, str]:
    """JupyterLab over a copy of the notebooks, reading freshly processed example tables."""
    from fouanalys import config
    from fouanalys.build import lab
    from fouanalys.ingest.processing import process

    processed = work / "processed"
    process(config.EXAMPLE_DATA_DIR, processed, report_dir=work / "validation")
    shutil.copytree(config.NOTEBOOKS_DIR, work / "notebooks")
    settings = work / "jupyter" / "user-settings"
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}), encoding="utf-8")
    env = os.environ | {
        config.PROCESSED_DIR_ENV: str(processed),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(work / "jupyter" / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(work / "jupyter" / "runtime"),
    }
    port, token = lab.free_port(0), "bench-" + os.urandom(8).hex()
    args = lab.lab_arguments(
        work / "notebooks",
        port,
        token,
        notebook_dir="",
        as_root=os.geteuid() == 0,
        settings_dir=lab.prepare_lab(),
    )
    args.append("--LabApp.expose_app_in_browser=True")
    log = (work / "lab.log").open("w", encoding="utf-8")
    server = subprocess.Popen(
        lab.lab_command(args), env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work
    )
    base = f"http://{lab.HOST}:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit(f"JupyterLab did not start; see {work / 'lab.log'}")
            time.sleep(0.3)
    return server, f"{base}/lab/tree/{{}}.ipynb?token={token}"


def measure(url: str, chapter: str, browser, restart: bool) -> float:
    """Open ``chapter`` with an idle kernel and its outputs cleared; seconds from Run All (or
    from restarting the kernel, then Run All) to the first PNG in the notebook's model."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(300_000)
    try:
        page.goto(url.format(chapter))
        page.wait_for_function(KERNEL_IDLE, polling=100)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        sent = page.evaluate(
            """async (restart) => {
              const app = window.jupyterapp;
              const t0 = performance.now();
              if (restart) {
                await app.shell.currentWidget.sessionContext.session.kernel.restart();
              }
              app.commands.execute('notebook:run-all-cells');
              return t0;
            }""",
            restart,
        )
        seen = page.wait_for_function(FIRST_FIGURE, polling=50).json_value()
        if seen < 0:
            sys.exit(f"{chapter}: a cell failed in JupyterLab before the first figure")
        page.wait_for_function(KERNEL_IDLE, polling=200)  # let the run finish before closing
        return (seen - sent) / 1000
    finally:
        page.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chapters", default=",".join(CHAPTERS))
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    chapters = args.chapters.split(",")
    work = Path(tempfile.mkdtemp(prefix="fouanalys-lab-bench-"))
    server, url = start_lab(work)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
            )
            for chapter in chapters:  # warm-up, untimed
                print(f"  warming up: {chapter}", file=sys.stderr)
                measure(url, chapter, browser, restart=False)
            print(f"{os.cpu_count()} cores; seconds from Run All to the first figure")
            print(f"{'chapter':18} {'re-run: best':>18} {'median':>7}   "
                  f"{'fresh kernel: best':>20} {'median':>7}")  # fmt: skip
            worst = worst_fresh = 0.0
            for chapter in chapters:
                warm = [measure(url, chapter, browser, False) for _ in range(args.repeat)]
                cold = [measure(url, chapter, browser, True) for _ in range(args.repeat)]
                worst = max(worst, statistics.median(warm))
                worst_fresh = max(worst_fresh, statistics.median(cold))
                print(f"{chapter:18} {min(warm):18.2f} {statistics.median(warm):7.2f}   "
                      f"{min(cold):20.2f} {statistics.median(cold):7.2f}")  # fmt: skip
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    for name, seconds in (("re-run", worst), ("fresh kernel", worst_fresh)):
        verdict = "met" if seconds <= TARGET else "MISSED"
        print(f"slowest median, {name}: {seconds:.2f} s   target ≤ {TARGET:.0f} s: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
