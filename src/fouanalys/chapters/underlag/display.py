"""Chapter 01, *Underlag och datakvalitet*: what went in, what validation found, how much data.

Pure functions over the manifest and the processed (typed) frames. Each returns a tidy frame
(for plotting and tests) or a display frame with Swedish column labels (for the report); the
docstrings list the columns. Nothing here reads or writes files or draws.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import PurePath

import numpy as np
import pandas as pd

from fouanalys.codebook import Codebook, load_codebook
from fouanalys.config import DISCLOSURE_THRESHOLD
from fouanalys.disclosure import protect_line
from fouanalys.exceptions import FouanalysError
from fouanalys.present.labels import INPUT_LABELS, processed_table_label
from fouanalys.present.text import DASH, MISSING, UNKNOWN, format_number

#: Order in which the inputs are listed.
_INPUT_ORDER = ("enkat", "insatser", "befolkning", "kolada")


_FORMAT_LABELS = {
    ".csv": "CSV",
    ".gz": "CSV (gzip)",
    ".xlsx": "Excel (xlsx)",
}


_ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf8": "UTF-8",
    "utf-8-sig": "UTF-8 med BOM",
    "cp1252": "Windows-1252",
    "windows-1252": "Windows-1252",
    "latin-1": "Latin-1",
    "iso-8859-1": "Latin-1",
}


def _format_label(meta: Mapping[str, object]) -> str:
    """'CSV (gzip), Windows-1252, avgränsare ';'' style description of one input file."""
    parts: list[str] = []
    path = str(meta.get("path") or meta.get("file") or "").lower()
    fmt = str(meta.get("format") or "").strip()
    if fmt:
        label = {"csv": "CSV", "xlsx": "Excel (xlsx)"}.get(fmt.lower(), fmt)
        if path.endswith(".gz") and "gz" not in label.lower():
            label += " (gzip)"
        parts.append(label)
    elif PurePath(path).suffix in _FORMAT_LABELS:
        parts.append(_FORMAT_LABELS[PurePath(path).suffix])
    if meta.get("encoding"):
        encoding = str(meta["encoding"])
        parts.append(_ENCODING_LABELS.get(encoding.lower(), encoding))
    for key in ("delimiter", "sep", "separator"):
        if meta.get(key):
            parts.append(f"avgränsare '{meta[key]}'")
            break
    if meta.get("decimal") and meta.get("decimal") != ".":
        parts.append("decimalkomma" if meta["decimal"] == "," else f"decimal '{meta['decimal']}'")
    return ", ".join(parts) if parts else UNKNOWN


def input_summary(manifest: Mapping[str, object]) -> pd.DataFrame:
    """The raw inputs the processed tables were made from, one row per file.

    Columns (Swedish display labels):
    ``Underlag`` (what the file is), ``Fil`` (file name), ``Rader`` (data rows read, Int64),
    ``Format/Kodning`` (format, text encoding and separator as detected; "okänt" when unknown).
    The files' checksums are in the provenance block at the end of every chapter and report,
    so they are printed once.
    """
    inputs: Mapping[str, Mapping[str, object]] = manifest.get("inputs") or {}  # type: ignore[assignment]
    names = [n for n in _INPUT_ORDER if n in inputs] + sorted(
        n for n in inputs if n not in _INPUT_ORDER
    )
    rows = []
    for name in names:
        meta = inputs[name]
        path = meta.get("path") or meta.get("file") or name
        rows.append(
            {
                "Underlag": INPUT_LABELS.get(name, name),
                "Fil": PurePath(str(path)).name,
                "Rader": meta.get("rows"),
                "Format/Kodning": _format_label(meta),
            }
        )
    frame = pd.DataFrame(rows, columns=["Underlag", "Fil", "Rader", "Format/Kodning"])
    frame["Rader"] = frame["Rader"].astype("Int64")
    return frame


def _problem_text(problem: object) -> dict[str, str]:
    if isinstance(problem, Mapping):
        rows = problem.get("rows") or ()
        return {
            "Fil": str(problem.get("file") or ""),
            "Kolumn": str(problem.get("column") or ""),
            "Rader": ", ".join(str(r) for r in list(rows)[:10]),
            "Problem": str(problem.get("message") or ""),
        }
    return {"Fil": "", "Kolumn": "", "Rader": "", "Problem": str(problem)}


def _timestamp(value: object) -> str:
    """ISO timestamp as 'YYYY-MM-DD HH:MM UTC' (the text unchanged when it does not parse)."""
    if not value:
        return MISSING
    try:
        stamp = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if stamp.tzinfo is not None:
        return stamp.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return stamp.strftime("%Y-%m-%d %H:%M")


def validation_summary(manifest: Mapping[str, object]) -> pd.DataFrame:
    """The validation outcome and provenance of the processed tables, as label/value rows.

    Columns: ``Uppgift`` (what) and ``Värde`` (its value, as text). Rows: the validation result,
    the number of problems, when the tables were made, the data version, the package and
    codebook versions, whether the data are synthetic, and the processed tables with their rows.
    """
    validation: Mapping[str, object] = manifest.get("validation") or {}  # type: ignore[assignment]
    problems = list(validation.get("problems") or [])  # type: ignore[arg-type]
    ok = bool(validation.get("ok", not problems))
    tables: Mapping[str, Mapping[str, object]] = manifest.get("tables") or {}  # type: ignore[assignment]
    table_text = ", ".join(
        f"{processed_table_label(name)} ({format_number(int(meta.get('rows', 0)))} rader)"
        for name, meta in tables.items()
    )
    rows = [
        ("Validering", "godkänd" if ok else "underkänd"),
        ("Antal problem", str(len(problems))),
        ("Bearbetad", _timestamp(manifest.get("created"))),
        ("Dataversion", str(manifest.get("data_version") or MISSING)),
        ("Paketversion (fouanalys)", str(manifest.get("package_version") or MISSING)),
        ("Kodboksversion", str(manifest.get("codebook_version") or MISSING)),
        ("Syntetiska exempeldata", "ja" if manifest.get("synthetic") else "nej"),
        ("Bearbetade tabeller", table_text or MISSING),
    ]
    return pd.DataFrame(rows, columns=["Uppgift", "Värde"])


def validation_problems(manifest: Mapping[str, object]) -> pd.DataFrame:
    """Problems validation recorded in the manifest (usually none: invalid data stop the build).

    Columns: ``Fil``, ``Kolumn``, ``Rader`` (spreadsheet row numbers, at most ten), ``Problem``.
    """
    validation: Mapping[str, object] = manifest.get("validation") or {}  # type: ignore[assignment]
    problems = list(validation.get("problems") or [])  # type: ignore[arg-type]
    return pd.DataFrame(
        [_problem_text(p) for p in problems], columns=["Fil", "Kolumn", "Rader", "Problem"]
    )


def validation_text(manifest: Mapping[str, object]) -> str:
    """One Swedish sentence (Markdown) on the validation outcome."""
    validation: Mapping[str, object] = manifest.get("validation") or {}  # type: ignore[assignment]
    problems = list(validation.get("problems") or [])  # type: ignore[arg-type]
    n_inputs = len(manifest.get("inputs") or {})  # type: ignore[arg-type]
    if validation.get("ok", not problems) and not problems:
        return (
            f"Alla {n_inputs} indatafiler klarade valideringen: rätt kolumner, giltiga koder "
            "enligt kodboken, tillåtna värden och inga dubbletter av nycklar."
        )
    return (
        f"Valideringen hittade **{len(problems)} problem** i indata; se tabellen nedan och "
        "valideringsrapporten."
    )


def _grade_order(codebook: Codebook) -> list[str]:
    return [g.id for g in codebook.survey.grades]


def response_counts(
    enkat: pd.DataFrame,
    municipality_code: str,
    threshold: int = DISCLOSURE_THRESHOLD,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """Respondents per survey year, grade and sex in one municipality, with disclosure control.

    Columns: ``ar`` (Int64), ``arskurs`` (grade id), ``kon`` (sex id, or the codebook's
    all-sexes label ``"Alla"``), ``n`` (respondents, Int64; <NA> when suppressed) and
    ``suppressed`` (bool).

    One row per year and grade present in the municipality's data, times both sexes and
    ``"Alla"``. Respondents with a blank or other sex count in ``"Alla"`` only, so ``"Alla"`` is
    the true total of the grade. Each year and grade is one line Pojke + Flicka + remainder =
    Alla, protected by :func:`fouanalys.disclosure.protect_line`: a count below ``threshold``
    is suppressed, and so is a cell from which a suppressed count, or a remainder (Alla −
    Pojke − Flicka) of 1 to threshold − 1, could be worked out by subtraction; and no
    difference of printed numbers (Alla − Pojke, Alla − Flicka, Alla − both) is such a group.
    Rows are ordered by year, grade (codebook order), sex.
    """
    codebook = codebook or load_codebook()
    all_label = codebook.survey.all_label
    sexes = [s.id for s in codebook.survey.sexes]
    columns = ["ar", "arskurs", "kon", "n", "suppressed"]
    data = enkat.loc[enkat["kommunkod"] == municipality_code, ["ar", "arskurs", "kon"]]
    if data.empty:
        frame = pd.DataFrame(columns=columns)
        return frame.astype(
            {"ar": "Int64", "arskurs": object, "kon": object, "n": "Int64", "suppressed": bool}
        )

    groups = data[["ar", "arskurs"]].drop_duplicates()
    by_sex = data.dropna(subset=["kon"]).groupby(["ar", "arskurs", "kon"]).size()
    totals = data.groupby(["ar", "arskurs"]).size()
    grade_rank = {g: i for i, g in enumerate(_grade_order(codebook))}
    groups = groups.assign(_rank=groups["arskurs"].map(grade_rank).fillna(len(grade_rank)))
    groups = groups.sort_values(["ar", "_rank", "arskurs"])

    rows = []
    for ar, arskurs in zip(groups["ar"], groups["arskurs"], strict=True):
        counts = [int(by_sex.get((ar, arskurs, s), 0)) for s in sexes]
        total = int(totals.get((ar, arskurs), 0))
        # one line Pojke, Flicka, Alla; the remainder (other and blank sex) is a published cell
        mask = protect_line(np.array([*counts, total]), threshold)
        for s, n, hidden in zip(sexes, counts, mask[:-1], strict=True):
            rows.append((ar, arskurs, s, n, bool(hidden)))
        rows.append((ar, arskurs, all_label, total, bool(mask[-1])))

    frame = pd.DataFrame(rows, columns=columns)
    frame["ar"] = frame["ar"].astype("Int64")
    frame["n"] = frame["n"].astype("Int64").mask(frame["suppressed"])
    frame["suppressed"] = frame["suppressed"].astype(bool)
    return frame.reset_index(drop=True)


def response_counts_table(counts: pd.DataFrame, codebook: Codebook | None = None) -> pd.DataFrame:
    """``response_counts`` as a display frame, one row per year and grade.

    Columns: ``År``, ``Årskurs`` (grade label), then one column per sex label (``Pojkar``,
    ``Flickor``) and ``Alla``; suppressed counts show as ``"–"``.
    """
    codebook = codebook or load_codebook()
    all_label = codebook.survey.all_label
    sex_labels = {s.id: s.label for s in codebook.survey.sexes}
    grade_labels = {g.id: g.label for g in codebook.survey.grades}
    sex_cols = [*sex_labels.values(), all_label]
    if counts.empty:
        return pd.DataFrame(columns=["År", "Årskurs", *sex_cols])
    shown = counts.assign(
        text=[
            DASH if sup else format_number(n)
            for n, sup in zip(counts["n"], counts["suppressed"], strict=True)
        ],
        kon_label=counts["kon"].map(lambda k: sex_labels.get(k, k)),
    )
    wide = shown.pivot(index=["ar", "arskurs"], columns="kon_label", values="text")
    wide = wide.reindex(columns=sex_cols).reset_index()
    # keep the order response_counts gave (year, then codebook grade order)
    order = counts[["ar", "arskurs"]].drop_duplicates()
    wide = order.merge(wide, on=["ar", "arskurs"], how="left")
    wide["arskurs"] = wide["arskurs"].map(lambda g: grade_labels.get(g, g))
    wide["ar"] = wide["ar"].astype(str)  # a year, not a number to format with separators
    wide = wide.rename(columns={"ar": "År", "arskurs": "Årskurs"})
    wide.columns.name = None
    return wide.reset_index(drop=True)


def inventory_by_level(
    insatser: pd.DataFrame, municipality_code: str, codebook: Codebook | None = None
) -> pd.DataFrame:
    """Number of interventions in one municipality per prevention level and status.

    Columns: ``Nivå`` (level label, in codebook order; every level present even when it has no
    intervention), one Int64 column per status label (``Pågående``, ``Planerad``,
    ``Avslutad``) and ``Totalt``.
    """
    codebook = codebook or load_codebook()
    level_labels = codebook.labels("levels")
    status_labels = codebook.labels("statuses")
    data = insatser.loc[insatser["kommunkod"] == municipality_code]
    counts = (
        data.groupby(["niva", "status"]).size().unstack("status")
        if not data.empty
        else pd.DataFrame()
    )
    counts = counts.reindex(index=list(level_labels), columns=list(status_labels)).fillna(0)
    counts = counts.astype("Int64")
    counts["Totalt"] = counts.sum(axis=1).astype("Int64")
    counts = counts.rename(columns=status_labels)
    counts.insert(0, "Nivå", [level_labels[i] for i in counts.index])
    counts.columns.name = None
    return counts.reset_index(drop=True)


def population_pyramid(
    befolkning: pd.DataFrame,
    municipality_code: str,
    year: int | None = None,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """Population aged 0–25 by age and sex in one municipality and year (latest by default).

    Columns: ``ar`` (Int64), ``alder`` (Int64, 0–25, every age present), ``kon`` (sex id, both
    sexes present for every age) and ``antal`` (Int64; 0 where the input has no row).
    Raises :class:`FouanalysError` when the municipality (or the year) has no population rows.
    """
    codebook = codebook or load_codebook()
    sexes = [s.id for s in codebook.survey.sexes]
    data = befolkning.loc[befolkning["kommunkod"] == municipality_code]
    if data.empty:
        raise FouanalysError(
            f"Befolkningstabellen har inga rader för kommun {municipality_code}. Kontrollera "
            "kommunkoden i befolkningsfilen."
        )
    years = sorted(int(y) for y in data["ar"].dropna().unique())
    if year is None:
        year = years[-1]
    elif int(year) not in years:
        raise FouanalysError(
            f"Befolkningstabellen har inga rader för år {year} i kommun {municipality_code}. "
            f"Tillgängliga år: {', '.join(map(str, years))}."
        )
    data = data.loc[data["ar"] == year]
    summed = data.groupby(["alder", "kon"])["antal"].sum()
    index = pd.MultiIndex.from_product([range(26), sexes], names=["alder", "kon"])
    frame = summed.reindex(index, fill_value=0).reset_index()
    frame.insert(0, "ar", int(year))
    return frame.astype({"ar": "Int64", "alder": "Int64", "antal": "Int64"})
