"""Content keys for incremental builds: what each build step reads, hashed.

A chapter task is keyed by the hashes of everything it reads: the chapter notebook, the code
its output depends on (:func:`chapter_code_hash`: processing code, presentation layer, export
templates and the chapter packages the registry lists for it), its papermill
parameters and export formats, and the rows of the processed tables it uses — for most tables
only the municipality's own rows, so that new rows for one municipality leave the others'
chapters alone. The key is stored beside the chapter's outputs (``<chapter>.key.json``) only
after the notebook, HTML and PDF are in place, so an interrupted build leaves every finished
chapter usable and the next build completes the rest.

The processing step is keyed by the raw input files' hashes and the processing hash
(:func:`fouanalys.ingest.catalog.processing_hash`: codebook, analysis modules, ingest/): when
neither changed and the processed tables are in place, the build skips validation and
processing. A change to presentation or chapter code never re-runs them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from fouanalys.chapters.registry import READ_ALL, chapter
from fouanalys.config import MANIFEST_FILE, is_synthetic
from fouanalys.exceptions import BuildError
from fouanalys.ingest.catalog import (
    code_hash,
    processing_hash,
    sha256_bytes,
    sha256_file,
)
from fouanalys.ingest.files import atomic_write
from fouanalys.ingest.rounds import ROUNDS_FOLDER, find_rounds

# pandas is imported only where a frame is hashed: the no-change rebuild never needs it.

KEY_SUFFIX = ".key.json"
#: Package paths every chapter's output depends on beyond its own chapter packages: the
#: presentation layer, the registry, the notebooks' views and the export templates.
PRESENTATION_PARTS = (
    "present",
    "chapters/__init__.py",
    "chapters/registry.py",
    "chapters/views.py",
    "workbench.py",
    "build/export.py",
    "build/templates/fouanalys",
)
#: What a seminar deck's output depends on beyond that: the deck exporter, its template and
#: the vendored reveal.js.
DECK_PARTS = ("build/slides.py", "build/templates/fouanalys_deck", "build/templates/reveal")


def chapter_code_hash(chapter_id: str) -> str:
    """The hash of the code one chapter's output depends on: the processing code, the
    presentation layer and the chapter packages the registry lists for it (for a seminar
    deck also the deck exporter, its template and reveal.js). A change to another chapter's
    package leaves this chapter's key alone."""
    try:
        entry = chapter(chapter_id)
        packages, deck = entry.packages, entry.kind == "deck"
    except BuildError:  # a notebook not in the registry: every chapter package
        packages, deck = ("",), False
    parts = (
        *PRESENTATION_PARTS,
        *(DECK_PARTS if deck else ()),
        *(f"chapters/{p}" for p in packages),
    )
    return sha256_bytes((processing_hash() + code_hash(parts)).encode())


def task_key(
    notebook: Path,
    parameters: Mapping[str, object],
    formats: tuple[str, ...],
    manifest: Mapping,
    chapter_id: str,
    municipality_code: str,
) -> str | None:
    """The content key of one chapter task, or None when the manifest lacks slice hashes (a
    processed folder from an older version: then the task always runs)."""
    slices = manifest.get("slices")
    if not slices:
        return None
    try:
        reads = chapter(chapter_id).reads
    except BuildError:
        reads = None
    data: dict[str, object] = {}
    if reads is None:  # unknown chapter: everything it could read
        data = {name: hashes.get("all") for name, hashes in sorted(slices.items())}
        data["manifest"] = manifest.get("data_version")
    else:
        for table, scope in sorted(reads.items()):
            if table == "manifest":
                data[table] = {
                    name: meta.get("sha256") for name, meta in manifest.get("inputs", {}).items()
                }
                continue
            hashes = slices.get(table, {})
            data[table] = hashes.get("all") if scope == READ_ALL else hashes.get(municipality_code)
    payload = {
        "notebook": sha256_file(Path(notebook)),
        "code": chapter_code_hash(chapter_id),
        "parameters": {k: parameters[k] for k in sorted(parameters)},
        "formats": list(formats),
        "data": data,
    }
    return sha256_bytes(json.dumps(payload, sort_keys=True, default=str).encode())


def key_path(output: Path) -> Path:
    """Where the key of the chapter whose notebook is ``output`` is stored."""
    return Path(output).with_suffix(KEY_SUFFIX)


def read_key(output: Path) -> dict | None:
    """The stored key record of a finished chapter, or None."""
    path = key_path(output)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_key(output: Path, record: Mapping) -> None:
    """Store a finished chapter's key record atomically (last step of a task)."""
    atomic_write(key_path(output), json.dumps(dict(record), ensure_ascii=False, indent=1))


def forget_key(output: Path) -> None:
    key_path(output).unlink(missing_ok=True)


def is_fresh(output: Path, key: str | None, formats: tuple[str, ...]) -> dict | None:
    """The stored record when the chapter's outputs exist and were built with ``key``."""
    if key is None:
        return None
    record = read_key(output)
    if not record or record.get("key") != key:
        return None
    paths = [Path(output)] + [Path(output).with_suffix(f".{fmt}") for fmt in formats]
    if not all(p.is_file() for p in paths):
        return None
    return record


#: Raw input names and the file endings the readers accept
#: (see :func:`fouanalys.ingest.readers.find_input`).
RAW_INPUTS = ("enkat", "insatser", "befolkning", "kolada", "elever")
RAW_ENDINGS = (".csv", ".csv.gz", ".xlsx", ".sav")


def _raw_candidates(data_dir: Path, name: str) -> list[Path]:
    return [
        p
        for p in Path(data_dir).iterdir()
        if p.is_file() and any(p.name.lower() == name + end for end in RAW_ENDINGS)
    ]


def current_manifest(data_dir: Path, processed_dir: Path) -> dict | None:
    """The manifest of ``processed_dir`` when it is up to date with ``data_dir``, else None.

    Up to date: made by the same package code (and codebook) from the same raw files (same
    names and sha256, no new candidate file beside them), the same synthetic marker, and every
    table it lists is in place. Then the build skips validation and processing. Reads only
    file bytes and JSON, so a rebuild with nothing changed imports neither pandas nor Great
    Expectations.
    """
    path = Path(processed_dir) / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("processing_hash") != processing_hash() or not manifest.get("slices"):
        return None
    if manifest.get("data_dir") != str(Path(data_dir).resolve()):
        return None
    if bool(manifest.get("synthetic")) != is_synthetic(Path(data_dir)):
        return None
    recorded = manifest.get("inputs", {})
    for name in RAW_INPUTS:
        found = _raw_candidates(data_dir, name)
        meta = recorded.get(name)
        if meta is None:
            if found:
                return None
            continue
        if len(found) != 1 or found[0].name != meta.get("file"):
            return None
        if sha256_file(found[0]) != meta.get("sha256"):
            return None
    if not _rounds_unchanged(data_dir, recorded):
        return None
    for meta in manifest.get("tables", {}).values():
        if not (Path(processed_dir) / meta["file"]).is_file():
            return None
    return manifest


def _rounds_unchanged(data_dir: Path, recorded: Mapping) -> bool:
    """Whether the stored mapping rounds (:mod:`fouanalys.ingest.rounds`) are the ones the
    manifest records, byte for byte, with nothing misnamed beside them."""
    rounds, problems = find_rounds(Path(data_dir))
    if problems:
        return False
    was = {name for name in recorded if name.startswith(ROUNDS_FOLDER + "/")}
    if was != {r.input_name for r in rounds}:
        return False
    return all(sha256_file(r.path) == recorded[r.input_name].get("sha256") for r in rounds)
