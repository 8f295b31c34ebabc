"""Helpers shared by several test modules (imported as ``from support import …``)."""

from __future__ import annotations

import os
import pickle
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import pytest
from filelock import FileLock

from fouanalys.codebook import Codebook

PRIME = 2_147_483_647  # 2**31 − 1: products of two residues fit in int64


def unit_rows_fixed(a: np.ndarray) -> np.ndarray:
    """Exact test (integer elimination modulo a large prime, so no rounding): which columns x_j
    of ``a @ x = b`` are fixed, i.e. whose unit vector lies in the row space of ``a``.

    In the reduced row echelon form that holds iff some row equals the unit vector.
    """
    m = np.asarray(a, dtype=np.int64) % PRIME
    rows, cols = m.shape
    r = 0
    for c in range(cols):
        if r == rows:
            break
        nonzero = np.flatnonzero(m[r:, c])
        if nonzero.size == 0:
            continue
        p = r + nonzero[0]
        m[[r, p]] = m[[p, r]]
        m[r] = (m[r] * pow(int(m[r, c]), PRIME - 2, PRIME)) % PRIME
        others = np.flatnonzero(m[:, c])
        others = others[others != r]
        m[others] = (m[others] - (m[others, c][:, None] * m[r][None, :]) % PRIME) % PRIME
        r += 1
    reduced = m[:r]
    single = (reduced != 0).sum(axis=1) == 1
    fixed = np.zeros(cols, dtype=bool)
    fixed[np.argmax(reduced[single] != 0, axis=1)] = True
    return fixed


def synthetic_manifest(codebook: Codebook) -> dict:
    """A manifest like the build writes, for a processed folder made by hand in a test."""
    return {
        "created": "2026-11-26T09:00:00+00:00",
        "package_version": "0.1.0",
        "codebook_version": codebook.version,
        "synthetic": True,
        "data_version": "feedc0ffee12",
        "inputs": {},
        "validation": {"ok": True, "problems": []},
        "tables": {},
    }


def intervention(name: str, **kw) -> dict:
    """One typed insatser row (Järfälla, ongoing, ages 0–5 unless ``kw`` says otherwise)."""
    row = {
        "kommunkod": "0123",
        "insats": name,
        "huvudman": "socialtjänst",
        "niva": "förebygga",
        "inriktning": "universell",
        "alder_fran": 0,
        "alder_till": 5,
        "faktorer": "foraldrastod",
        "push_pull": "",
        "kunskapslage": "kunskapsbaserad",
        "deltagare_per_ar": 100,
        "samverkan": "",
        "status": "pågående",
        "kommentar": "",
    }
    row.update(kw)
    return row


def insatser_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows from :func:`intervention` as a typed insatser frame."""
    frame = pd.DataFrame(rows)
    for col in ("alder_fran", "alder_till", "deltagare_per_ar"):
        frame[col] = frame[col].astype("Int64")
    return frame


@dataclass(frozen=True)
class ExecutedChapter:
    """What a chapter notebook showed when executed: its cells, outputs, and displayed text."""

    notebook: object  # nbformat.NotebookNode
    outputs: list
    data: list[dict]
    text: str

    @property
    def figures(self) -> int:
        return sum("image/png" in d for d in self.data)


def run_chapter(notebook: Path, out: Path, **parameters) -> ExecutedChapter:
    """Execute a chapter notebook with papermill on the plain ``python3`` kernel and assert it
    showed no error, stream or bare result (a report shows only displayed Markdown, HTML and
    figures), and no figure with cut or overlapping text (``present.figures.layout_faults``)."""
    import nbformat
    import papermill as pm

    pm.execute_notebook(
        str(notebook), str(out), parameters=parameters, kernel_name="python3", progress_bar=False
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    stray = [o for o in outputs if o.output_type in ("error", "stream", "execute_result")]
    assert not stray, stray
    # every figure at its print size: no text cut at its edge or drawn over another
    meta = [o.get("metadata", {}).get("fouanalys", {}) for o in outputs]
    faults = [(m.get("caption"), f) for m in meta for f in m.get("layout_faults", [])]
    assert not faults, faults
    data = [o.get("data", {}) for o in outputs]
    text = "\n".join(d.get("text/markdown", "") + d.get("text/html", "") for d in data)
    return ExecutedChapter(nb, outputs, data, text)


def example_tables(codebook: Codebook, kolada: bool = False) -> dict[str, pd.DataFrame]:
    """The embedded example's typed and derived tables, as the build makes them (without GX);
    with ``kolada`` also Kolada's figures and the places made from them."""
    from fouanalys import config
    from fouanalys.ingest import readers
    from fouanalys.ingest.processing import derived_tables

    frames = {}
    for name in ("enkat", "insatser", "befolkning", "elever", *(("kolada",) if kolada else ())):
        path = readers.find_input(config.EXAMPLE_DATA_DIR, name)
        frames[name] = readers.to_typed(readers.read_raw(path, name, codebook), name, codebook)
    return frames | derived_tables(frames, codebook)


def write_example_processed(processed_dir: Path, codebook: Codebook) -> Path:
    """A processed folder of the example's tables with a synthetic manifest."""
    from fouanalys.ingest.processing import write_tables

    write_tables(example_tables(codebook), processed_dir, synthetic_manifest(codebook))
    return processed_dir


# --- stand-in chapter notebooks for tests of the build's mechanics --------------------------


def real_parameters_cell(chapter_id: str) -> str:
    """The source of the real notebook's cell tagged ``parameters`` for a registry entry."""
    import nbformat

    from fouanalys.chapters import registry
    from fouanalys.config import NOTEBOOKS_DIR

    nb = nbformat.read(NOTEBOOKS_DIR / registry.notebook_file(chapter_id), as_version=4)
    [cell] = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    return cell.source


def _reads_cell(chapter_id: str) -> str:
    """Code that loads every processed table the entry's registry ``reads`` names (the
    municipality's own rows where it reads only those; for a notebook that serves several
    entries, what any of them reads) and shows each one's row count, so that a change in
    what the chapter reads changes what it shows."""
    from fouanalys.chapters import registry

    notebook = registry.notebook_file(chapter_id)
    reads: dict[str, str] = {}
    for entry in registry.entry_ids():  # one notebook may serve several entries
        if registry.notebook_file(entry) == notebook:
            reads |= {t: how for t, how in registry.chapter(entry).reads.items()}
    reads.pop("manifest", None)  # the raw files' facts, not a table
    return (
        "from IPython.display import Markdown, display\n"
        "from fouanalys.ingest.processing import load_table\n"
        "shown = []\n"
        f"for name, how in {reads!r}.items():\n"
        "    rows = load_table(name, processed_dir)\n"
        "    if how != 'all' and 'kommunkod' in rows.columns:\n"
        "        rows = rows[rows['kommunkod'] == municipality]\n"
        "    shown.append(f'{name}: {len(rows)} rader')\n"
        "display(Markdown('\\n\\n'.join(shown)))\n"
    )


FIGURE_CELL = (
    "import io\nimport matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
    "from IPython.display import Image, display\n"
    "fig, ax = plt.subplots(figsize=(2, 1.5))\nax.bar(['a', 'b'], [1, 2])\n"
    "buf = io.BytesIO()\nfig.savefig(buf, format='png', dpi=50)\nplt.close(fig)\n"
    "display(Image(buf.getvalue()))\n"
)


def stand_in_notebook(
    chapter_id: str,
    body: str = "",
    stall_while: Path | None = None,
    figure: bool = False,
    title: str | None = None,
):
    """A small notebook standing in for a registry entry's chapter or deck, for tests of the
    build's mechanics (caching, locks, signals, leftovers) rather than of a chapter's content.

    It has the real notebook's parameters cell (so the runner's parameter check and papermill's
    injection work as for the real one), a title in Markdown (the entry's, or ``title``), a
    cell reading what the registry says the entry reads, ``body`` (extra code, run after the
    reads), a cell that waits while
    the file ``stall_while`` exists, having touched ``<stall_while>.running`` (so a test
    waits for that file to catch a chapter executing, instead of sleeping a while), and
    with ``figure`` a tiny PNG figure. A deck's cells are slides.
    """
    import nbformat

    from fouanalys.chapters import registry

    params = nbformat.v4.new_code_cell(real_parameters_cell(chapter_id))
    params.metadata["tags"] = ["parameters"]
    cells = [nbformat.v4.new_markdown_cell(f"# {title or registry.title(chapter_id)}"), params]
    code = _reads_cell(chapter_id) + body
    cells.append(nbformat.v4.new_code_cell(code))
    if stall_while is not None:
        cells.append(
            nbformat.v4.new_code_cell(
                "import time\nfrom pathlib import Path\n"
                f"Path({str(stall_while)!r} + '.running').touch()\n"
                f"while Path({str(stall_while)!r}).exists():\n    time.sleep(0.1)\n"
            )
        )
    if figure:
        cells.append(nbformat.v4.new_code_cell(FIGURE_CELL))
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    if registry.kind(chapter_id) == "deck":
        for cell in nb.cells:
            cell.metadata["slideshow"] = {"slide_type": "slide"}
        params.metadata["slideshow"] = {"slide_type": "skip"}
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def write_stand_ins(notebooks_dir: Path, chapters, **kw) -> Path:
    """Stand-in notebooks (:func:`stand_in_notebook`, ``kw`` for each) for ``chapters``, under
    the file names the registry gives them, in ``notebooks_dir``."""
    import nbformat

    from fouanalys.chapters import registry

    notebooks_dir.mkdir(parents=True, exist_ok=True)
    for chapter_id in chapters:
        path = notebooks_dir / registry.notebook_file(chapter_id)
        nbformat.write(stand_in_notebook(chapter_id, **kw), path)
    return notebooks_dir


T = TypeVar("T")


def once_per_run(tmp_path_factory, name: str, make: Callable[[Path], T]) -> T:
    """``make(folder)`` run once per test run, its (picklable) value shared by every worker
    and every test module that asks.

    The first to ask makes the value in the run's temporary folder under a file lock, and
    pickles it beside; the others wait for the lock and read the same folder and value
    (pytest-xdist's documented pattern). Under xdist that folder is the parent of the workers'
    own, each worker being a process with its own session fixtures; without xdist it is the
    run's own, where a session fixture that several modules import (each its own definition)
    still finds the first module's value. A failure is recorded too, so that the others fail
    with its traceback instead of making it again.
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    value_file, failure_file = shared / f"{name}.pickle", shared / f"{name}.failed"
    with FileLock(shared / f"{name}.lock"):
        if value_file.exists():
            return pickle.loads(value_file.read_bytes())
        if failure_file.exists():
            pytest.fail(
                f"{name} failed in another worker:\n{failure_file.read_text(encoding='utf-8')}",
                pytrace=False,
            )
        folder = shared / name
        folder.mkdir()
        try:
            value = make(folder)
        except Exception:
            failure_file.write_text(traceback.format_exc(), encoding="utf-8")
            raise
        value_file.write_bytes(pickle.dumps(value))
        return value


@pytest.fixture(scope="session")
def prepared(tmp_path_factory) -> tuple[Path, Path]:
    """The example data and its processed tables, made once per test run (a test module uses
    it by importing it: ``from support import prepared``); see :func:`prepared_example`."""
    return prepared_example(tmp_path_factory)


def prepared_example(tmp_path_factory) -> tuple[Path, Path]:
    """A copy of the example data and its processed tables, made once per test run and shared
    by every worker (:func:`once_per_run`): ``(data_dir, processed_dir)``, read only; copy them
    with :func:`copy_prepared`."""

    def make(root: Path) -> tuple[Path, Path]:
        import shutil

        from fouanalys.config import EXAMPLE_DATA_DIR
        from fouanalys.ingest.processing import process

        shutil.copytree(EXAMPLE_DATA_DIR, root / "data")
        process(root / "data", root / "processed", report_dir=root / "validation")
        return root / "data", root / "processed"

    return once_per_run(tmp_path_factory, "prepared-example", make)


def copy_prepared(prepared: tuple[Path, Path], to: Path) -> tuple[Path, Path]:
    """Copies of the prepared example's data and processed folders under ``to``, as
    ``(to / "data", to / "processed")``: a build there finds the tables current and goes
    straight to the chapters; a test that changes the data makes them again."""
    import shutil

    data, processed = prepared
    shutil.copytree(data, to / "data")
    shutil.copytree(processed, to / "processed")
    return to / "data", to / "processed"
