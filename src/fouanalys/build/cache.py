"""Content keys for incremental builds: what each build step reads, hashed.

A chapter task is keyed by the hashes of everything it reads: the chapter notebook, the code
its output depends on (:func:`chapter_code_hash`: processing code, presentation layer, export
templates and the chapter packages the registry lists for it), its papermill
parameters other than folder paths and export formats, and the rows of the processed tables
it uses — for most tables only the municipality's own rows, so that new rows for one
municipality leave the others' chapters alone. Keys hold content hashes and relative names,
never a folder's absolute path. The key is stored beside the chapter's outputs
(``<chapter>.key.json``) only after the notebook, HTML and PDF are in place, with each file's
size and sha256, so an interrupted build leaves every finished chapter usable, the next build
completes the rest, and a chapter file deleted or damaged since is made again.

The processing step is keyed by the raw input files' hashes and the processing hash
(:func:`fouanalys.ingest.catalog.processing_hash`: codebook, analysis modules, ingest/): when
neither changed and the processed tables are in place, the build skips validation and
processing. A change to presentation or chapter code never re-runs them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path

from fouanalys.chapters.registry import READ_ALL, READ_OWN, chapter
from fouanalys.config import MANIFEST_FILE, is_synthetic
from fouanalys.exceptions import BuildError
from fouanalys.ingest.catalog import (
    code_hash,
    municipality_manifest,
    processing_hash,
    sha256_bytes,
    sha256_file,
)
from fouanalys.ingest.files import atomic_write
from fouanalys.ingest.rounds import ROUNDS_FOLDER, find_rounds

log = logging.getLogger("fouanalys")

# pandas is imported only where a frame is hashed: the no-change rebuild never needs it.

KEY_SUFFIX = ".key.json"
#: Papermill parameters that are folder paths, left out of content keys.
PATH_PARAMETERS = ("data_dir", "processed_dir")
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
    reference_codes: tuple[str, ...] = (),
) -> str | None:
    """The content key of one chapter task, or None when the manifest lacks slice hashes (a
    processed folder from an older version: then the task always runs).

    A table the chapter reads as its own (``READ_OWN``) is keyed by the municipality's rows and
    those of ``reference_codes`` (the region, the county, the country: what
    ``load_table(..., reference=True)`` adds), because a chapter compares the municipality with
    them: a change to another municipality's survey that moves the region's figures re-runs
    the chapters that print them. A table read strictly by its own rows (``READ_ROWS``) is
    keyed by those alone. The manifest read as its own is keyed by what a municipality's
    chapter may show of it (:func:`~fouanalys.ingest.catalog.municipality_manifest`), read
    whole by the raw files' hashes."""
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
                inputs = manifest.get("inputs", {})
                data[table] = (
                    {name: meta.get("sha256") for name, meta in inputs.items()}
                    if scope == READ_ALL
                    else municipality_manifest(manifest, municipality_code)
                )
                continue
            hashes = slices.get(table, {})
            if scope == READ_ALL:
                data[table] = hashes.get("all")
            else:
                codes = (municipality_code, *(reference_codes if scope == READ_OWN else ()))
                data[table] = {code: hashes[code] for code in codes if code in hashes}
    payload = {
        "notebook": sha256_file(Path(notebook)),
        "code": chapter_code_hash(chapter_id),
        # The folders' paths are not content: the tables' slices above stand for what is in
        # them, so moving a folder keeps every chapter.
        "parameters": {k: parameters[k] for k in sorted(parameters) if k not in PATH_PARAMETERS},
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


def output_files(output: Path, formats: tuple[str, ...]) -> dict[str, Path]:
    """A chapter's files by format: its executed notebook and each exported format."""
    output = Path(output)
    return {"ipynb": output} | {fmt: output.with_suffix(f".{fmt}") for fmt in formats}


def file_stamps(files: Mapping[str, Path]) -> dict[str, dict]:
    """Size and sha256 of each file, for a key record."""
    return {
        name: {"bytes": Path(path).stat().st_size, "sha256": sha256_file(Path(path))}
        for name, path in files.items()
    }


def stamps_match(files: Mapping[str, Path], stamps: Mapping[str, Mapping] | None) -> bool:
    """Whether every file is the one recorded: same size and sha256 (hashing a build's
    outputs, about 140 MB, takes a tenth of a second). A missing, truncated or altered file
    does not match; a record without stamps (an older build) matches nothing."""
    if not stamps:
        return False
    for name, path in files.items():
        recorded = stamps.get(name)
        try:
            size = Path(path).stat().st_size
        except OSError:
            return False
        if recorded is None or size != recorded.get("bytes"):
            return False
        if sha256_file(Path(path)) != recorded.get("sha256"):
            return False
    return True


def is_fresh(output: Path, key: str | None, formats: tuple[str, ...]) -> dict | None:
    """The stored record when the chapter's outputs are the ones built with ``key``: each
    file in place and unchanged since (:func:`stamps_match`)."""
    if key is None:
        return None
    record = read_key(output)
    if not record or record.get("key") != key:
        return None
    if not stamps_match(output_files(output, formats), record.get("files")):
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
    table it lists in place with its recorded size and sha256 (:func:`damaged_tables`; a
    damaged one is named in the log). Where the folders lie plays no part: moving the data or
    the processed folder keeps the tables. Reads only file bytes and JSON, so a rebuild with
    nothing changed imports neither pandas nor Great Expectations.
    """
    path = Path(processed_dir) / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("processing_hash") != processing_hash() or not manifest.get("slices"):
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
    damaged = damaged_tables(processed_dir, manifest)
    if damaged:
        log.warning(
            "%s i %s stämmer inte med manifestet (saknas, har fel storlek eller fel "
            "kontrollsumma); validerar och bearbetar om rådata.",
            ", ".join(damaged),
            processed_dir,
        )
        return None
    return manifest


def damaged_tables(processed_dir: Path, manifest: Mapping) -> list[str]:
    """The processed tables the manifest lists that are missing or not the files it describes
    (size and sha256): a truncated copy, a disk fault, an edit by hand."""
    damaged = []
    for meta in manifest.get("tables", {}).values():
        path = Path(processed_dir) / meta["file"]
        try:
            size = path.stat().st_size
        except OSError:
            damaged.append(meta["file"])
            continue
        if meta.get("bytes", size) != size or sha256_file(path) != meta.get("sha256"):
            damaged.append(meta["file"])
    return damaged


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
