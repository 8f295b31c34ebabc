"""Processed tables: validated raw inputs written atomically as Parquet, with a manifest.

``process()`` is the only writer of ``data/processed``. Every table is first written to a
staging folder beside its destination, then moved into place with ``os.replace`` (atomic on one
file system); the manifest goes last, so a reader that finds a manifest finds the tables it
describes. If validation fails nothing is written and the previous tables stay as they were.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from fouanalys import __version__
from fouanalys.codebook import Codebook, load_codebook
from fouanalys.config import (
    DISCLOSURE_THRESHOLD,
    MANIFEST_FILE,
    is_synthetic,
    processed_data_dir,
    require_data_dir,
    validation_report_dir,
)
from fouanalys.exceptions import DataValidationError, FouanalysError
from fouanalys.ingest.catalog import sha256_file
from fouanalys.ingest.rounds import BASE_ROUND

log = logging.getLogger("fouanalys")

#: Tables the build writes from the raw inputs (kolada and elever only when the input exists).
INPUT_TABLES = ("enkat", "insatser", "befolkning", "kolada", "elever")


def data_version(inputs: Mapping[str, Mapping[str, object]]) -> str:
    """A short id for one version of the raw data: a hash over the input files' hashes."""
    joined = "".join(f"{name}:{meta['sha256']};" for name, meta in sorted(inputs.items()))
    return hashlib.sha256(joined.encode()).hexdigest()[:12]


def process(
    data_dir: Path,
    processed_dir: Path | None = None,
    codebook: Codebook | None = None,
    report_dir: Path | None = None,
) -> dict:
    """Validate ``data_dir`` and write its typed tables and manifest to ``processed_dir``.

    The validation page goes to ``report_dir``, by default
    :func:`fouanalys.config.validation_report_dir` (the build's page only for the default data).

    Returns the manifest. Raises :class:`DataValidationError` (nothing written) when the
    inputs are invalid.
    """
    from fouanalys.ingest.validation import validate_data_dir  # imports Great Expectations: slow

    require_data_dir(Path(data_dir))
    processed_dir = Path(processed_dir or processed_data_dir())
    codebook = codebook or load_codebook()
    report_dir = Path(report_dir or validation_report_dir(data_dir))
    report, frames = validate_data_dir(Path(data_dir), codebook=codebook, report_dir=report_dir)
    if not report.ok:
        raise DataValidationError(report.problems, report_path=str(report_dir / "index.html"))

    # The answers as Int8 while the tables are derived (the copies scoring makes cost 2 bytes
    # a cell, not 9); the stored survey keeps its typed dtypes.
    typed_dtypes = frames["enkat"].dtypes
    frames["enkat"] = narrow_answers(frames["enkat"], codebook)
    frames = dict(frames) | derived_tables(frames, codebook)
    frames["enkat"] = frames["enkat"].astype(typed_dtypes.to_dict())
    inputs = {name: dict(meta) for name, meta in report.files.items()}
    from fouanalys.ingest.catalog import processing_hash, slice_hashes

    manifest: dict = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "package_version": __version__,
        "codebook_version": codebook.version,
        "data_dir": str(Path(data_dir).resolve()),
        "synthetic": is_synthetic(Path(data_dir)),
        "data_version": data_version(inputs),
        "inputs": inputs,
        "validation": {"ok": True, "problems": [], "report": str(report_dir / "index.html")},
        "disclosure_threshold": DISCLOSURE_THRESHOLD,
        "tables": {},
        # For incremental builds: the code that made the tables, and a hash of every table and
        # of each municipality's rows in it (see fouanalys.build.cache).
        "processing_hash": processing_hash(),
        "slices": {name: slice_hashes(frame) for name, frame in frames.items()},
    }
    write_tables(frames, processed_dir, manifest)
    return manifest


def derived_tables(
    frames: dict[str, pd.DataFrame], codebook: Codebook, threshold: int = DISCLOSURE_THRESHOLD
) -> dict[str, pd.DataFrame]:
    """The aggregate tables: who answered (``response``, :mod:`fouanalys.response`: enrolled
    pupils, respondents, those excluded as not serious and the response rate), survey
    prevalence, the three levels of the Rasch indices
    (``levels``, as Data i Dialog reports them), priorities, the prioritised factors
    (``priority_factors``, :mod:`fouanalys.priority`) and associations (with offending, and in
    ``outcome_associations`` with every outcome index, column ``outcome``), the inventory's
    coverage along the life course with its gaps against the prioritised factors, and from the
    knowledge base (:mod:`fouanalys.knowledge`) its approaches (``approaches``), the
    interventions linked to them (``approach_links``) and the approaches that fit each gap
    (``gap_approaches``), and the need against capacity at the surveyed ages
    (``need_capacity``, :mod:`fouanalys.need`), the research RISE's table gives for each
    factor (``factor_research``, :mod:`fouanalys.research`), the answers to Data i Dialog's
    quality questions over the ongoing interventions per level (``quality_profile``,
    :mod:`fouanalys.quality`), and for municipalities with two or more mapping rounds what
    changed since the previous one (:func:`round_tables`), and with Kolada's figures every
    municipality's place among the others per KPI and year (``kolada_places``,
    :func:`fouanalys.keyfigures.kolada_places`).

    Respondents the codebook's rules exclude as not serious (:func:`fouanalys.response.unserious`)
    are left out before any index is scored, so every table made from the scores counts only
    the kept ones; ``response`` counts them. Computed in memory from the typed inputs before
    anything is written, so a failure leaves the processed folder as it was. Every published
    survey cell respects the disclosure threshold.
    """
    from fouanalys.coverage import coverage_tables, place_on_life_course
    from fouanalys.knowledge import gap_approaches, link_interventions, load_knowledge
    from fouanalys.need import need_capacity
    from fouanalys.prevalence import (
        association_table,
        levels_table,
        prevalence_table,
        priorities_table,
    )
    from fouanalys.priority import priority_factors
    from fouanalys.quality import quality_profile
    from fouanalys.research import load_factor_research
    from fouanalys.response import response_table, unserious
    from fouanalys.scoring import score_indices

    enkat = frames["enkat"]
    flags = unserious(enkat, codebook)
    scores = score_indices(enkat.loc[~flags["unserious"]].reset_index(drop=True), codebook)
    priorities = priorities_table(scores, codebook, threshold=threshold)
    prioritised = priority_factors(priorities, codebook)
    coverage = coverage_tables(frames["insatser"], frames["befolkning"], prioritised, codebook)
    approaches = load_knowledge(codebook=codebook)
    links = link_interventions(frames["insatser"], approaches)
    prevalence = prevalence_table(scores, codebook, threshold=threshold)
    places = {}
    if "kolada" in frames:
        from fouanalys.keyfigures import kolada_places

        places["kolada_places"] = kolada_places(frames["kolada"], frames["befolkning"], codebook)
    return {
        **round_tables(frames, prioritised, coverage["gaps"], codebook),
        **places,
        "response": response_table(enkat, flags, codebook, frames.get("elever")),
        "prevalence": prevalence,
        "levels": levels_table(scores, codebook, threshold=threshold),
        "priorities": priorities,
        "priority_factors": prioritised,
        "associations": association_table(scores, codebook, threshold=threshold),
        "outcome_associations": pd.concat(
            [
                association_table(scores, codebook, threshold=threshold, outcome=o).assign(
                    outcome=o
                )
                for o in codebook.outcomes()
            ],
            ignore_index=True,
        ),
        **coverage,
        "approaches": approaches,
        "approach_links": links,
        "gap_approaches": gap_approaches(coverage["gaps"], approaches, codebook, links),
        "factor_research": load_factor_research(codebook=codebook),
        "need_capacity": need_capacity(
            coverage["gaps"], prevalence, frames["befolkning"], frames["insatser"], codebook
        ),
        "quality_profile": quality_profile(
            frames["insatser"],
            place_on_life_course(frames["insatser"], frames["befolkning"], codebook),
            codebook,
        ),
    }


def narrow_answers(enkat: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """The typed survey with its answer columns (the codebook's survey items) as ``Int8``
    where their codes fit, other columns as they were.

    Answer codes are small (1 to an item's number of answers), so the survey and every copy
    made of it cost 2 bytes a cell instead of ``Int64``'s 9. Scoring and the exclusion rules
    read the answers as floats, so their results are the same.
    """
    items = set(codebook.survey_items())
    narrowed = {c: "Int8" for c in enkat.columns if c in items and _fits_int8(enkat[c])}
    return enkat.astype(narrowed) if narrowed else enkat


def _fits_int8(values: pd.Series) -> bool:
    """True for an integer column whose values all lie within Int8 (−128..127)."""
    if not pd.api.types.is_integer_dtype(values.dtype):
        return False
    low, high = values.min(), values.max()
    return bool(pd.isna(low) or (low >= -128 and high <= 127))


def round_tables(
    frames: dict[str, pd.DataFrame],
    prioritised: pd.DataFrame,
    gaps: pd.DataFrame,
    codebook: Codebook,
) -> dict[str, pd.DataFrame]:
    """What changed since each municipality's previous mapping round
    (:mod:`fouanalys.inventory_changes`): the rounds compared (``compared_rounds``), the
    interventions new, ended or changed (``intervention_changes``) and the gap map before and
    after (``gap_changes``, the previous round's gaps computed by the same rule)."""
    from fouanalys.coverage import coverage_tables
    from fouanalys.inventory_changes import (
        compared_rounds,
        gap_changes,
        intervention_changes,
        previous_inventory,
    )

    rounds = frames.get("insatser_rounds")
    if rounds is None:  # typed frames made before rounds existed: the inventory is one round
        rounds = frames["insatser"].assign(round_id=BASE_ROUND, round_order=0)
    previous = previous_inventory(rounds)
    previous_gaps = gaps.iloc[0:0]
    if len(previous):  # gap_table has a row for every municipality: keep the compared ones
        every = coverage_tables(previous, frames["befolkning"], prioritised, codebook)["gaps"]
        previous_gaps = every.loc[every["municipality_code"].isin(set(previous["kommunkod"]))]
    return {
        "compared_rounds": compared_rounds(rounds),
        "intervention_changes": intervention_changes(rounds),
        "gap_changes": gap_changes(previous_gaps, gaps),
    }


#: A table with at least this many rows, stored municipality by municipality, is written with
#: one row group per municipality (:func:`write_parquet`).
ROW_GROUPS_FROM = 10_000


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as Parquet, rows in their order. A large table whose rows come
    municipality by municipality (the survey) gets one row group per municipality: a chapter's
    read of its own rows (:func:`load_table`) then skips the others' by the groups' statistics
    instead of decoding the whole file, so it costs the same at 8 municipalities as at 100."""
    from fouanalys.ingest.catalog import municipality_column

    column = municipality_column(frame.columns)
    if column is None or len(frame) < ROW_GROUPS_FROM:
        frame.to_parquet(path, index=False)
        return
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    codes = frame[column].astype(str).to_numpy()
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    if len(starts) != len(set(codes)):  # interleaved: groups would not separate them
        frame.to_parquet(path, index=False)
        return
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with pq.ParquetWriter(path, table.schema) as writer:
        for start, end in zip(starts, [*starts[1:], len(frame)], strict=True):
            writer.write_table(table.slice(start, end - start))


def write_tables(frames: Mapping[str, pd.DataFrame], processed_dir: Path, manifest: dict) -> None:
    """Write every frame as ``<name>.parquet`` and then the manifest, each file atomically."""
    processed_dir = Path(processed_dir)
    processed_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=processed_dir))
    try:
        for name, frame in frames.items():
            target = staging / f"{name}.parquet"
            write_parquet(frame, target)
            manifest["tables"][name] = {
                "file": target.name,
                "rows": len(frame),
                "bytes": target.stat().st_size,
                "sha256": sha256_file(target),
            }
        (staging / MANIFEST_FILE).write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8"
        )
        # Tables first, manifest last: a manifest always describes tables that are in place.
        for name in frames:
            os.replace(staging / f"{name}.parquet", processed_dir / f"{name}.parquet")
        for stale in INPUT_TABLES:
            if stale not in frames and (processed_dir / f"{stale}.parquet").exists():
                (processed_dir / f"{stale}.parquet").unlink()
        os.replace(staging / MANIFEST_FILE, processed_dir / MANIFEST_FILE)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("Skrev %d bearbetade tabeller till %s", len(frames), processed_dir)


def load_manifest(processed_dir: Path | None = None) -> dict:
    """Read the manifest of the processed tables, with a clear error when there is none."""
    processed_dir = Path(processed_dir or processed_data_dir())
    path = processed_dir / MANIFEST_FILE
    if not path.is_file():
        raise FouanalysError(
            f"Det finns inga bearbetade tabeller i {processed_dir} (saknar {MANIFEST_FILE}). "
            "Kör 'fouanalys build' (eller 'make build') först."
        )
    return json.loads(path.read_text(encoding="utf-8"))


def load_table(
    name: str,
    processed_dir: Path | None = None,
    municipality: str | None = None,
    reference: bool = False,
) -> pd.DataFrame:
    """Read one processed table, e.g. ``load_table("insatser")``.

    With ``municipality`` (a code), only that municipality's rows (its ``kommunkod``,
    ``municipality_code`` or ``municipality_id``), filtered as the file is read: a chapter that
    needs its own rows reads the same amount however many municipalities the tables hold (the
    whole of them would cost every chapter time and memory in proportion to the region). With
    ``reference`` also the rows of the areas it is compared with
    (:attr:`~fouanalys.codebook.Codebook.reference_codes`: the region, the county, the
    country). These are the rows a chapter's content key covers for a table it reads as
    ``own`` (:mod:`fouanalys.build.cache`). The rows come in file order, on a new index.
    """
    from fouanalys.ingest.catalog import municipality_column

    processed_dir = Path(processed_dir or processed_data_dir())
    path = processed_dir / f"{name}.parquet"
    if not path.is_file():
        raise FouanalysError(
            f"Tabellen {path.name} saknas i {processed_dir}. Kör 'fouanalys build' först."
        )
    if municipality is None:
        return pd.read_parquet(path)
    import pyarrow.parquet as pq

    column = municipality_column(pq.read_schema(path).names)
    if column is None:
        raise FouanalysError(
            f"Tabellen {path.name} har ingen kolumn med kommunkod, så den kan inte läsas för en "
            f"kommun ({municipality}); läs hela tabellen."
        )
    codes = [str(municipality)]
    if reference:
        codes += [c for c in load_codebook().reference_codes if c not in codes]
    try:
        return pd.read_parquet(path, filters=[(column, "in", codes)])
    except (TypeError, ValueError, NotImplementedError):  # e.g. an empty table's null column
        whole = pd.read_parquet(path)
        return whole.loc[whole[column].astype(str).isin(codes)].reset_index(drop=True)
