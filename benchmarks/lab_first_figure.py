"""Benchmark: seconds from "Run All" to the first figure of each chapter in JupyterLab.

Run from the repository root (needs Debian's ``chromium``, as the browser test does)::

    .venv/bin/python benchmarks/lab_first_figure.py [--repeat 3] [--chapters 01_underlag,...]

A researcher's session, driven through a real browser: JupyterLab is started as ``make lab``
starts it (:func:`fouanalys.build.lab.isolated_lab`) over a copy of ``notebooks/``, with
processed tables of the example data made first (``FOUANALYS_PROCESSED_DIR``), so a notebook
does not validate and process on its first run. For each chapter a page opens the notebook
alone (a fresh workspace, so no notebook of an earlier page is restored beside it), waits until
that notebook's tab is the current one and its own kernel is connected and idle, clears its
outputs, sends ``notebook:run-all-cells`` to that notebook and times until the first
``image/png`` output reaches its model, as the browser shows it. Two cases: *re-run*, in the
kernel that already ran the notebook (JupyterLab keeps a notebook's session, so the stack is
imported: a researcher who changed a parameter and runs all again), and *fresh kernel*, the
kernel restarted first and its start and the first cell's imports timed too (the first run
after opening the notebook). The machine is warm: one untimed run of each chapter comes first
(file caches, matplotlib's font cache, compiled bytecode). Best and median of ``--repeat``
runs; then where the time of the median run goes, from the kernel's own timestamps of each
cell (JupyterLab's ``recordTiming``): until the first cell starts (the kernel's restart and
connection), the cells before the figure's cell (the first of them imports the stack and loads
the tables), and the figure's cell until its PNG reaches the browser.

Every wait has a time limit and fails naming the chapter and what it waited for.

Target (issue 23): the first figure within 5 s of running all cells on a warm machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

CHAPTERS = ("01_underlag", "02_riskfaktorer", "03_insatser", "04_kunskapslaget", "05_natverk")
TARGET = 5.0
#: Seconds allowed for each wait: the notebook open with its kernel idle, the first figure, the
#: whole run (a kernel restart and the slowest chapter with room to spare on a loaded machine).
OPEN_TIMEOUT, FIGURE_TIMEOUT, RUN_TIMEOUT = 120, 120, 600

#: The notebook panel open on ``path`` (of all panels in the main area, not merely the current).
PANEL = """(path) => {
  const app = window.jupyterapp;
  if (!app) return null;
  return Array.from(app.shell.widgets('main')).find(w => w.context?.path === path) ?? null;
}"""
#: True once the notebook at ``path`` is the current tab, loaded, and its kernel connected, idle.
READY = f"""(path) => {{
  const panel = ({PANEL})(path);
  const kernel = panel?.sessionContext?.session?.kernel;
  return !!panel && window.jupyterapp.shell.currentWidget === panel && panel.context.isReady
    && panel.sessionContext.isReady && kernel?.connectionStatus === 'connected'
    && kernel.status === 'idle';
}}"""
#: Clears the outputs of the notebook at ``path`` (its execution counts and times go too).
CLEAR = f"""async (path) => {{
  const panel = ({PANEL})(path);
  await window.jupyterapp.commands.execute(
    'notebook:clear-all-cell-outputs', {{semanticWidget: panel.id}});
  return Array.from(panel.content.model.cells).every(c => c.type !== 'code'
    || (c.outputs.length === 0 && c.executionCount === null));
}}"""
#: Starts the clock, restarts the kernel when asked, and sends Run All to that notebook.
RUN_ALL = f"""async ([path, restart]) => {{
  const panel = ({PANEL})(path);
  const t0 = performance.now(), epoch = Date.now();
  if (restart) await panel.sessionContext.session.kernel.restart();
  window.jupyterapp.commands.execute('notebook:run-all-cells', {{semanticWidget: panel.id}});
  return [t0, epoch];
}}"""
#: ``performance.now()`` when the notebook's model first holds a PNG, -1 when a cell failed first.
FIRST_FIGURE = f"""(path) => {{
  const panel = ({PANEL})(path);
  const cells = Array.from(panel.content.model.cells).filter(c => c.type === 'code');
  const outputs = cells.flatMap(c => c.outputs.toJSON());
  if (outputs.some(o => o.output_type === 'error')) return -1;
  return outputs.some(o => o.data && o.data['image/png']) ? performance.now() : null;
}}"""
#: True once every code cell ran (or one failed, which stops Run All) and the kernel is idle.
RUN_FINISHED = f"""(path) => {{
  const panel = ({PANEL})(path);
  const cells = Array.from(panel.content.model.cells).filter(c => c.type === 'code');
  const failed = cells.some(c => c.outputs.toJSON().some(o => o.output_type === 'error'));
  return panel.sessionContext.session?.kernel?.status === 'idle'
    && (failed || cells.every(c => c.executionCount !== null));
}}"""
#: Each code cell: its first lines, whether it holds a PNG or an error, and the kernel's
#: timestamps of its execution (ms since the epoch; null when it has not run).
CELLS = f"""(path) => {{
  const panel = ({PANEL})(path);
  return Array.from(panel.content.model.cells).filter(c => c.type === 'code').map(c => {{
    const timing = c.getMetadata('execution') ?? {{}};
    const outputs = c.outputs.toJSON();
    return {{
      source: c.sharedModel.getSource().split('\\n').slice(0, 3).join('\\n'),
      png: outputs.some(o => o.data && o.data['image/png']),
      error: outputs.find(o => o.output_type === 'error') ?? null,
      start: Date.parse(timing['iopub.execute_input']) || null,
      end: Date.parse(timing['shell.execute_reply']) || null,
    }};
  }});
}}"""


class BenchmarkError(Exception):
    """Raised when a wait runs out of time or a chapter fails in JupyterLab."""


@dataclass(frozen=True)
class Run:
    """One timed run: seconds from Run All (or the restart) to the first figure, split up."""

    total: float
    kernel: float  # until the first code cell starts: restart and connection
    before: float  # the cells before the figure's cell (the stack's imports, the tables)
    figure: float  # the figure's cell until its PNG reaches the browser


def _wait(page, chapter: str, script: str, arg, what: str, seconds: float, polling: int = 100):
    """``page.wait_for_function`` that fails naming the chapter and what it waited for."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        return page.wait_for_function(script, arg=arg, polling=polling, timeout=seconds * 1000)
    except PlaywrightTimeout as exc:
        raise BenchmarkError(f"{chapter}: waited {seconds} s for {what}, in vain") from exc


def _failure(chapter: str, cells: list[dict]) -> BenchmarkError:
    index, cell = next((i, c) for i, c in enumerate(cells) if c["error"])
    error = cell["error"]
    return BenchmarkError(
        f"{chapter}: code cell {index} failed in JupyterLab before the first figure: "
        f"{error['ename']}: {error['evalue']}\n{cell['source']}"
    )


def split(t0_epoch: float, seconds: float, cells: list[dict]) -> Run:
    """The run's seconds split at the kernel's timestamps (ms since the epoch) of its cells."""
    first = next(i for i, c in enumerate(cells) if c["png"])
    started, figure_start = cells[0]["start"], cells[first]["start"]
    if started is None or figure_start is None:  # no timing recorded: leave the split open
        return Run(seconds, float("nan"), float("nan"), float("nan"))
    kernel = (started - t0_epoch) / 1000
    before = (figure_start - started) / 1000
    return Run(seconds, kernel, before, seconds - kernel - before)


def measure(server, chapter: str, browser, restart: bool) -> Run:
    """Open ``chapter`` alone with an idle kernel and its outputs cleared; time from Run All
    (or from restarting the kernel, then Run All) to the first PNG in the notebook's model."""
    path = f"{chapter}.ipynb"
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(server.url(f"lab/tree/{path}") + "&reset", timeout=OPEN_TIMEOUT * 1000)
        _wait(page, chapter, READY, path, "its tab with the kernel connected, idle", OPEN_TIMEOUT)
        if not page.evaluate(CLEAR, path):
            raise BenchmarkError(f"{chapter}: outputs still there after clearing them")
        t0, t0_epoch = page.evaluate(RUN_ALL, [path, restart])
        what = "the first figure" + (" after restarting the kernel" if restart else "")
        seen = _wait(page, chapter, FIRST_FIGURE, path, what, FIGURE_TIMEOUT, 50).json_value()
        cells = page.evaluate(CELLS, path)
        if seen < 0:
            raise _failure(chapter, cells)
        # let the run finish, so the next page finds the kernel idle
        _wait(page, chapter, RUN_FINISHED, path, "the run to finish", RUN_TIMEOUT, 250)
        return split(t0_epoch, (seen - t0) / 1000, cells)
    finally:
        page.close()


def _median_run(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda r: r.total)[(len(runs) - 1) // 2]


def bench(chapters: list[str], repeat: int, work: Path) -> dict[str, dict[str, list[Run]]]:
    """Both cases, ``repeat`` times, for each chapter, after one untimed run of each."""
    from playwright.sync_api import sync_playwright

    from fouanalys import config
    from fouanalys.build import lab
    from fouanalys.ingest.processing import process

    processed = work / "processed"
    process(config.EXAMPLE_DATA_DIR, processed, report_dir=work / "validation")
    shutil.copytree(config.NOTEBOOKS_DIR, work / "notebooks")
    timing = {"recordTiming": True}
    results: dict[str, dict[str, list[Run]]] = {}
    with (
        lab.isolated_lab(work / "notebooks", processed, work, notebook_settings=timing) as server,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        try:
            for chapter in chapters:
                print(f"  warming up: {chapter}", file=sys.stderr)
                measure(server, chapter, browser, restart=False)
            for chapter in chapters:
                print(f"  measuring: {chapter}", file=sys.stderr)
                results[chapter] = {
                    "re-run": [measure(server, chapter, browser, False) for _ in range(repeat)],
                    "fresh": [measure(server, chapter, browser, True) for _ in range(repeat)],
                }
        finally:
            browser.close()
    return results


def report(results: dict[str, dict[str, list[Run]]]) -> None:
    """The table of best and median seconds, where the median run's time went, the verdict."""
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end; "
          "seconds from Run All to the first figure")  # fmt: skip
    print(f"{'chapter':18} {'re-run: best':>14} {'median':>7}   "
          f"{'fresh kernel: best':>20} {'median':>7}")  # fmt: skip
    for chapter, cases in results.items():
        warm, cold = [r.total for r in cases["re-run"]], [r.total for r in cases["fresh"]]
        print(f"{chapter:18} {min(warm):14.2f} {statistics.median(warm):7.2f}   "
              f"{min(cold):20.2f} {statistics.median(cold):7.2f}")  # fmt: skip
    print("\nwhere the median run's seconds go: kernel (restart, connection) + cells before the "
          "figure's cell + the figure's cell")  # fmt: skip
    for chapter, cases in results.items():
        parts = []
        for case in ("re-run", "fresh"):
            r = _median_run(cases[case])
            parts.append(f"{case} {r.kernel:.2f} + {r.before:.2f} + {r.figure:.2f}")
        print(f"{chapter:18} " + "   ".join(parts))
    for case, name in (("re-run", "re-run"), ("fresh", "fresh kernel")):
        worst = max(statistics.median(r.total for r in c[case]) for c in results.values())
        verdict = "met" if worst <= TARGET else "MISSED"
        print(f"slowest median, {name}: {worst:.2f} s   target ≤ {TARGET:.0f} s: {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chapters", default=",".join(CHAPTERS))
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="fouanalys-lab-bench-"))
    try:
        results = bench(args.chapters.split(","), args.repeat, work)
    except BenchmarkError as exc:
        sys.exit(f"{exc}\n(JupyterLab's log: {work / 'jupyter-lab.log'}, kept)")
    shutil.rmtree(work, ignore_errors=True)
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
