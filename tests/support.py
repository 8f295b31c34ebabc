"""Helpers shared by several test modules (imported as ``from support import …``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

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


def example_tables(codebook: Codebook) -> dict[str, pd.DataFrame]:
    """The embedded example's typed and derived tables, as the build makes them (without GX)."""
    from fouanalys import config
    from fouanalys.ingest import readers
    from fouanalys.ingest.processing import derived_tables

    frames = {}
    for name in ("enkat", "insatser", "befolkning", "elever"):
        path = readers.find_input(config.EXAMPLE_DATA_DIR, name)
        frames[name] = readers.to_typed(readers.read_raw(path, name, codebook), name, codebook)
    return frames | derived_tables(frames, codebook)


def write_example_processed(processed_dir: Path, codebook: Codebook) -> Path:
    """A processed folder of the example's tables with a synthetic manifest."""
    from fouanalys.ingest.processing import write_tables

    write_tables(example_tables(codebook), processed_dir, synthetic_manifest(codebook))
    return processed_dir
