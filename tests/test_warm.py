"""Warm kernels (:mod:`fouanalys.build.warm`): a chapter run in a kernel that ran other chapters
before gives the same executed notebook as in a kernel of its own, and a kernel that failed is
replaced.
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

import nbformat
import psutil
import pytest

from fouanalys.build import warm
from fouanalys.build.runner import Task, execute_task, plan_tasks, run_tasks
from fouanalys.chapters import registry
from fouanalys.codebook import load_codebook
from fouanalys.config import EXAMPLE_DATA_DIR
from fouanalys.ingest.processing import load_manifest

#: The entries of the proof: every municipality entry, the region's chapter and two of its
#: theme decks (one notebook, two parameters).
ENTRIES = (*registry.entry_ids("municipality"), "06_region", "tema_forebygga", "tema_luckor")


@pytest.fixture(autouse=True)
def no_warm_kernel_left():
    """Each test starts and ends without a warm kernel in this process."""
    warm.retire()
    yield
    warm.retire()


def outputs(path: Path) -> list[tuple]:
    """What a reader sees of an executed notebook, per cell: its source, execution count and
    outputs (text, HTML, Markdown, image data, errors), without papermill's timings."""
    nb = nbformat.read(path, as_version=4)
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        shown = [
            {k: v for k, v in out.items() if k != "transient"} for out in cell.get("outputs", [])
        ]
        cells.append((cell.source, cell.execution_count, shown))
    return cells


def run_all(tasks: list[Task], folder: Path, warm_kernel: bool) -> dict[tuple, list]:
    """Each task executed in turn (no export) into ``folder``: its outputs by task."""
    found = {}
    for i, task in enumerate(tasks):
        workdir = folder / f"{i:02d}"
        workdir.mkdir(parents=True)
        result, made = execute_task(task, workdir, warm=warm_kernel)
        assert result.status == "ok", (task.municipality_code, task.chapter_id, result.error)
        found[(task.municipality_code, task.chapter_id)] = outputs(made["ipynb"])
    return found


def assert_same(cold: dict[tuple, list], found: dict[tuple, list], run: str) -> None:
    """Every cold-run notebook equals ``run``'s, code cell by code cell."""
    for key, cells in cold.items():
        assert len(found[key]) == len(cells), (run, key)
        for i, (expected, got) in enumerate(zip(cells, found[key], strict=True)):
            assert got == expected, f"{run}, {key}, code cell {i}: {got!r:.600}"


@pytest.mark.slow
def test_chapters_in_a_warm_kernel_equal_chapters_in_a_kernel_of_their_own(full_build, tmp_path):
    """One municipality's entries and the region's (:data:`ENTRIES`), each run here in a kernel
    of its own (cold), are the same executed notebooks, cell by cell (source, execution count,
    text, HTML, images), as

    - the test run's full build (``full_build``), where they ran in build order in the warm
      kernels of its two worker processes, each kernel having run another municipality's
      entries first (the compared municipality is the second: its entries are the build's
      tasks 7–12, so neither worker's kernel, replaced after
      :data:`~fouanalys.build.warm.CHAPTERS_PER_KERNEL` chapters or a failed one, can start
      on one of them; the build failed none);
    - all of them run here in one warm kernel in the reverse order, after another
      municipality's entry: each chapter after the ones that follow it in the build.

    The cold runs read the full build's processed tables, so that their parameters are the
    build's too. The full build's warm run replaces the test's own run of the other
    municipality's six entries before the compared ones, which it proved the same way.
    """
    summary, root = full_build
    assert summary.ok, [(r.municipality_code, r.chapter_id, r.error) for r in summary.failed]
    processed = root / "processed"
    codebook = load_codebook()
    other, second = codebook.municipality_codes[:2]
    tasks = plan_tasks(
        [other, second],
        load_manifest(processed),
        codebook,
        EXAMPLE_DATA_DIR,
        processed,
        tmp_path / "r",
        chapters=ENTRIES,
        formats=(),
    )
    assert len(tasks) == 2 * len(registry.entry_ids("municipality")) + 3
    compared = [t for t in tasks if t.municipality_code != other]
    cold = run_all(compared, tmp_path / "cold", warm_kernel=False)
    assert warm._kernel is None  # the cold runs started no warm kernel

    built = {(r.municipality_code, r.chapter_id): r for r in summary.results}
    order = list(built)
    assert [order.index(key) for key in cold][:6] == list(range(6, 12))  # the build's tasks 7–12
    assert all(not built[key].cached for key in cold)  # executed by this build
    assert_same(cold, {key: outputs(Path(built[key].notebook)) for key in cold}, "full build")

    before = [t for t in tasks if t.municipality_code == other][-1:]
    found = run_all(before + compared[::-1], tmp_path / "warm", warm_kernel=True)
    assert warm._kernel is not None and warm._kernel.chapters == len(compared) + 1  # one kernel
    assert_same(cold, found, "reverse order")


def tiny_task(folder: Path, name: str, cells: list[str], timeout: int = 60) -> Task:
    """A task for a small notebook with a parameters cell and ``cells`` in ``folder``."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 0", metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {"name": "fouanalys", "language": "python", "display_name": "x"}
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return Task(
        municipality_code="0123",
        municipality_name="Test",
        chapter_id=name,
        notebook=path,
        output=folder / "out" / f"{name}.ipynb",
        parameters={"x": 1},
        metadata={"chapter_title": name, "cell_timeout": timeout},
        formats=(),
    )


#: Leaves behind everything the reset puts back.
LITTER = [
    "%matplotlib inline\nimport os, random, sys, warnings\nimport numpy as np\n"
    "import matplotlib, matplotlib.pyplot as plt\n"
    "from fouanalys.codebook import _load_default, load_codebook\nload_codebook()",
    "secret = 42\nos.environ['FOUANALYS_WARM_LEAK'] = '1'\nos.chdir('/')\n"
    "sys.path.insert(0, '/nowhere')\nmatplotlib.rcParams['lines.linewidth'] = 9\n"
    "warnings.simplefilter('error')\nplt.figure()\nrandom.random(); np.random.rand()",
]

#: Shows everything the reset puts back.
LOOK = [
    "%matplotlib inline\nimport os, random, sys, warnings\nimport numpy as np\n"
    "import matplotlib, matplotlib.pyplot as plt\nfrom fouanalys.codebook import _load_default",
    "print(sorted(n for n in dir() if not n.startswith('_')))\nprint(os.getcwd())\n"
    "print(os.environ.get('FOUANALYS_WARM_LEAK'), '/nowhere' in sys.path)\n"
    "print(matplotlib.rcParams['lines.linewidth'], plt.get_fignums())\n"
    "print([f for f in warnings.filters if f[0] == 'error'])\n"
    "print(_load_default.cache_info().currsize)",
    "print(random.random(), np.random.rand())",
]


def test_what_a_chapter_leaves_in_the_kernel_is_gone_for_the_next(tmp_path):
    (tmp_path / "out").mkdir()
    litter = tiny_task(tmp_path, "litter", LITTER)
    look = tiny_task(tmp_path, "look", LOOK)
    assert execute_task(look, tmp_path / "out")[0].status == "ok"
    cold_cells = outputs(tmp_path / "out" / "look.ipynb")
    seen = []
    for name in ("first", "after"):
        if name == "after":
            assert execute_task(litter, tmp_path / "out", warm=True)[0].status == "ok"
        (tmp_path / name).mkdir()
        result, made = execute_task(look, tmp_path / name, warm=True)
        assert result.status == "ok", result.error
        seen.append(outputs(made["ipynb"]))
    first, after = seen
    assert after == first  # the random states too
    assert after[:-1] == cold_cells[:-1]  # all but the random draws, which a cold kernel seeds
    assert [count for _, count, _ in after] == [1, 2, 3, 4, 5]  # injected parameters first
    assert "secret" not in str(after) and str(tmp_path) in str(after)


def test_a_client_asking_for_the_kernel_info_draws_nothing_from_the_random_state(tmp_path):
    """nbclient asks a kernel for its info before a chapter, and again each second while no
    reply comes (so more often on a loaded machine); IPython's reply carries a banner with a
    tip drawn from Python's global random generator. The warm kernel shows no tip, so what a
    chapter draws does not depend on how many times it was asked."""
    kernel = warm.kernel_for_chapter(tmp_path)
    try:

        def draw(asks: int) -> str:
            kernel.run(warm.RESET.format(cwd=str(tmp_path)), warm.RESET_TIMEOUT)
            for _ in range(asks):
                assert kernel.kc.kernel_info(reply=True, timeout=60)["content"]["status"] == "ok"
            shown = []
            kernel.kc.execute_interactive(
                "import random; print(random.random())",
                timeout=60,
                output_hook=lambda msg: shown.append(msg["content"].get("text", "")),
            )
            return "".join(shown)

        assert draw(0) == draw(3) != ""
    finally:
        warm.retire()


def test_a_failed_dead_or_stuck_kernel_is_replaced_and_the_chapter_reported(tmp_path):
    (tmp_path / "out").mkdir()
    ok = tiny_task(tmp_path, "ok", ["print('klar')"])
    failing = tiny_task(tmp_path, "failing", ["y = 1", "1 / 0"])
    dying = tiny_task(tmp_path, "dying", ["import os; os._exit(1)"])
    stuck = tiny_task(tmp_path, "stuck", ["import time; time.sleep(60)"], timeout=2)
    assert execute_task(ok, tmp_path / "out", warm=True)[0].status == "ok"
    first = warm._kernel
    for task, said in ((failing, "ZeroDivisionError"), (dying, "Dead"), (stuck, "gränsen 2 s")):
        result, made = execute_task(task, tmp_path / "out", warm=True)
        assert result.status == "failed" and said in result.error, result.error
        assert warm._kernel is None  # retired
        assert not first.alive()
        again, _ = execute_task(ok, tmp_path / "out", warm=True)
        assert again.status == "ok", again.error
        assert warm._kernel is not first
        first = warm._kernel
    assert result.cell is None and "ipynb" in made  # the stuck chapter's notebook is kept


def kernels_marked(mark: str) -> list[psutil.Process]:
    """Running Jupyter kernels with ``mark`` in their environment."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        with contextlib.suppress(psutil.Error):
            if "ipykernel_launcher" not in " ".join(proc.info["cmdline"] or []):
                continue
            if proc.info["status"] != psutil.STATUS_ZOMBIE and mark in proc.environ():
                found.append(proc)
    return found


@pytest.mark.parametrize("jobs", [1, 2])
def test_no_warm_kernel_outlives_the_chapters(tmp_path, monkeypatch, jobs):
    mark = f"FOUANALYS_TEST_WARM_{uuid.uuid4().hex}"
    monkeypatch.setenv(mark, "1")
    tasks = [tiny_task(tmp_path, f"nb{i}", ["import os", "os.getpid()"]) for i in range(3)]
    (tmp_path / "out").mkdir()
    results = run_tasks(tasks, jobs, progress=False)
    assert [r.status for r in results] == ["ok"] * 3
    pids = {nbformat.read(t.output, 4).cells[-1].outputs[0]["data"]["text/plain"] for t in tasks}
    assert len(pids) < 3  # kernels were reused
    assert kernels_marked(mark) == []
