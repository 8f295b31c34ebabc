"""Content hashes of what a build reads: raw files, processed tables and the package's code.

The build cache (:mod:`fouanalys.build.cache`) keys every step by these hashes. The code is
hashed in layers, so that a change reaches only the steps it can affect:

- :func:`processing_hash` covers the codebook, the analysis modules at the top of the package
  and ``ingest/``: what turns raw files into processed tables. The manifest records it, and a
  processed folder stays current while it is unchanged.
- :func:`code_hash` of presentation and chapter folders covers what turns processed tables into
  a chapter; changing only those re-runs chapters, never validation or processing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from fouanalys.config import PACKAGE_DIR, codebook_path

#: Top-level modules of the package that are not analysis: the command line and the notebooks'
#: entry. Everything else at the top is analysis, and feeds the processed tables.
NOT_ANALYSIS = ("cli.py", "workbench.py", "__main__.py")
#: Columns that name the municipality of a row, by table kind.
MUNICIPALITY_COLUMNS = ("municipality_code", "kommunkod", "municipality_id")


def sha256_bytes(data: bytes) -> str:
    """The hex sha256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _source_files(parts: Iterable[str]) -> list[Path]:
    """The files under the package paths ``parts`` (files or folders), caches left out."""
    files: list[Path] = []
    for part in parts:
        path = PACKAGE_DIR / part
        found = [path] if path.is_file() else sorted(path.rglob("*"))
        files += [
            p for p in found if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        ]
    return files


@cache
def code_hash(parts: tuple[str, ...]) -> str:
    """One hash over the package files under ``parts`` (paths relative to the package)."""
    digest = hashlib.sha256()
    for path in _source_files(parts):
        digest.update(str(path.relative_to(PACKAGE_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def analysis_parts() -> tuple[str, ...]:
    """The package paths that make the processed tables: analysis modules, ingest/, data/."""
    top = sorted(p.name for p in PACKAGE_DIR.glob("*.py") if p.name not in NOT_ANALYSIS)
    return (*top, "ingest", "data")


def processing_hash() -> str:
    """The hash the processed tables depend on: analysis and ingest code and the codebook in
    use (``$FOUANALYS_CODEBOOK`` may point outside the package)."""
    digest = hashlib.sha256(code_hash(analysis_parts()).encode())
    digest.update(Path(codebook_path()).read_bytes())
    return digest.hexdigest()


def frame_hash(frame) -> str:
    """A content hash of a frame: its columns, dtypes and every value, row order included."""
    import pandas as pd

    digest = hashlib.sha256()
    digest.update(
        json.dumps([list(map(str, frame.columns)), list(map(str, frame.dtypes))]).encode()
    )
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def municipality_column(columns: Iterable[str]) -> str | None:
    """The column of ``columns`` that holds municipality codes (:data:`MUNICIPALITY_COLUMNS`),
    or None."""
    names = set(columns)
    return next((c for c in MUNICIPALITY_COLUMNS if c in names), None)


def municipality_rows(frame) -> dict[str, int]:
    """Rows per municipality code of a table with a municipality column (county and country
    rows of Kolada under their ids); empty without such a column."""
    column = municipality_column(frame.columns)
    if column is None:
        return {}
    counts = frame[column].astype(str).value_counts(sort=False)
    return {str(code): int(n) for code, n in sorted(counts.items())}


#: The raw inputs' facts a municipality's chapter shows (with its own rows): never the file's
#: hash, path or whole row count, which change with any municipality's data.
_SHOWN_INPUT_FACTS = ("file", "format", "encoding", "delimiter", "sep", "separator", "decimal")


def municipality_manifest(manifest: Mapping, municipality_code: str) -> dict:
    """What a municipality's chapter may show of the manifest, and so what its content key
    covers (:mod:`fouanalys.build.cache`): the validation outcome, the package and codebook
    versions, whether the data are synthetic, which tables there are, and per raw input (the
    shared files and the municipality's own mapping rounds) its name, format and encoding with
    ``rows``: the municipality's rows in it.

    Left out, because another municipality's data change them: the files' hashes and whole row
    counts, the data version, when the tables were made, and other municipalities' rounds. The
    chapter reads this, not the whole manifest, so it cannot print what its key does not cover.
    """
    inputs = {}
    for name, meta in (manifest.get("inputs") or {}).items():
        own = (meta.get("municipality_rows") or {}).get(municipality_code)
        if name.startswith("kartlaggning/") and own is None:
            continue  # another municipality's mapping round
        facts = {k: meta[k] for k in _SHOWN_INPUT_FACTS if k in meta}
        inputs[name] = facts | {"rows": own or 0}
    validation = manifest.get("validation") or {}
    return {
        "municipality_code": municipality_code,
        "synthetic": bool(manifest.get("synthetic")),
        "package_version": manifest.get("package_version"),
        "codebook_version": manifest.get("codebook_version"),
        "disclosure_threshold": manifest.get("disclosure_threshold"),
        "validation": {
            "ok": bool(validation.get("ok", True)),
            "problems": list(validation.get("problems") or []),
        },
        "tables": {name: {} for name in manifest.get("tables") or {}},
        "inputs": inputs,
    }


def slice_hashes(frame) -> dict[str, str]:
    """``{"all": hash of the table}`` plus one hash per municipality's rows, when the table has
    a municipality column."""
    out = {"all": frame_hash(frame)}
    column = municipality_column(frame.columns)
    if column is not None:
        for code, rows in frame.groupby(column, sort=True, dropna=True):
            out[str(code)] = frame_hash(rows)
    return out
