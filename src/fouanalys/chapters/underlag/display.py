"""Chapter 01, *Underlag och datakvalitet*: what went in, what validation found, how much data.

Pure functions over the manifest and the processed (typed) frames. Each returns a tidy frame
(for plotting and tests) or a display frame with Swedish column labels (for the report); the
docstrings list the columns. Nothing here reads or writes files or draws.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath

import numpy as np
import pandas as pd

from fouanalys.codebook import Codebook, load_codebook
from fouanalys.config import DISCLOSURE_THRESHOLD
from fouanalys.disclosure import protect_line, small, suppress
from fouanalys.exceptions import FouanalysError
from fouanalys.present.labels import (
    KIND_SHORT,
    TOO_FEW_LABEL,
    grade_label,
    input_label,
    processed_table_label,
)
from fouanalys.present.text import (
    DASH,
    MISSING,
    UNKNOWN,
    fewer_than,
    format_number,
    format_share,
    format_too_few,
    is_missing,
    join_words,
)
from fouanalys.response import unserious

#: The input table's column of the municipality's rows in each file.
OWN_ROWS = "Kommunens rader"
#: Order in which the inputs are listed.
_INPUT_ORDER = ("enkat", "elever", "insatser", "befolkning", "kolada")


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
    """The raw inputs the municipality's tables were made from, one row per file.

    ``manifest``: :func:`fouanalys.ingest.catalog.municipality_manifest`, whose ``rows`` are
    the municipality's rows of each file (the shared files and its own mapping rounds).
    Columns (Swedish display labels): ``Underlag`` (what the file is), ``Fil`` (file name),
    ``Kommunens rader`` (Int64), ``Format/Kodning`` (format, text encoding and separator as
    detected; "okänt" when unknown). The files' checksums are in the provenance block at the
    end of every chapter and report, so they are printed once.
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
                "Underlag": input_label(name),
                "Fil": str(meta.get("file") or PurePath(str(path)).name),
                OWN_ROWS: meta.get("rows"),
                "Format/Kodning": _format_label(meta),
            }
        )
    frame = pd.DataFrame(rows, columns=["Underlag", "Fil", OWN_ROWS, "Format/Kodning"])
    frame[OWN_ROWS] = frame[OWN_ROWS].astype("Int64")
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


def validation_summary(manifest: Mapping[str, object]) -> pd.DataFrame:
    """The validation outcome and provenance of the processed tables, as label/value rows.

    Columns: ``Uppgift`` (what) and ``Värde`` (its value, as text). Rows: the validation result,
    the number of problems, the package and codebook versions, whether the data are synthetic,
    and the processed tables. Nothing that changes with another municipality's data (when the
    tables were made, the data version, whole tables' rows): those are in the provenance block
    and on the validation page, and the chapter stays as it was when only another
    municipality's data change (``manifest`` is
    :func:`fouanalys.ingest.catalog.municipality_manifest`).
    """
    validation: Mapping[str, object] = manifest.get("validation") or {}  # type: ignore[assignment]
    problems = list(validation.get("problems") or [])  # type: ignore[arg-type]
    ok = bool(validation.get("ok", not problems))
    tables: Mapping[str, Mapping[str, object]] = manifest.get("tables") or {}  # type: ignore[assignment]
    table_text = ", ".join(processed_table_label(name) for name in tables)
    rows = [
        ("Validering", "godkänd" if ok else "underkänd"),
        ("Antal problem", str(len(problems))),
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


# --- who answered: response rate, exclusions, missing answers -----------------------------

#: The counts of :func:`response_rates`, in the order the table shows them; the last is the
#: sum of the others (respondents = excluded + kept).
_RESPONSE_COUNTS = ("excluded", "kept", "respondents")
#: The columns of :func:`response_rate_table` that need the enrolment file.
_RATE_COLUMNS = ("Elever", "Svarsfrekvens")


def analysed_respondents(enkat: pd.DataFrame, codebook: Codebook | None = None) -> pd.DataFrame:
    """The survey's respondents that the analysis keeps: those the codebook's rules do not
    exclude as not serious (:func:`fouanalys.response.unserious`), as the processing keeps them
    before scoring. Rows and columns as ``enkat``."""
    codebook = codebook or load_codebook()
    return enkat.loc[~unserious(enkat, codebook)["unserious"]]


def response_rates(
    response: pd.DataFrame,
    municipality_code: str,
    counts: pd.DataFrame | None = None,
    codebook: Codebook | None = None,
    threshold: int = DISCLOSURE_THRESHOLD,
) -> pd.DataFrame:
    """One municipality's rows of the processed ``response`` table, with disclosure control.

    Per year, the grades and all grades × excluded, kept and respondents form one table with
    margins both ways (respondents = excluded + kept, all grades = the sum of the grades),
    protected by :func:`fouanalys.disclosure.suppress`: a count of 1 to threshold − 1 is not
    published, nor a count from which one could be worked out. The kept respondents are
    published elsewhere (every share rests on them, and ``counts``, :func:`response_counts` of
    the analysed respondents, prints them by grade), so a grade's kept count is known and never
    the cell hidden to protect another: a small excluded count hides the respondents instead.
    A grade whose kept respondents ``counts`` leaves unpublished (or that is a small group)
    stays unpublished here, and the all-grades kept count is hidden when it would give it
    away. Rows must come grades first and all grades last within a year, as
    :func:`fouanalys.response.response_table` orders them.

    Columns: ``year`` (Int64), ``grade`` (grade id or the all-grades label), ``enrolled``,
    ``respondents``, ``excluded``, ``kept`` (Int64), ``response_rate`` (Float64, kept /
    enrolled), and for each count X ``X_suppressed`` (bool). A suppressed count keeps its value
    here (its display shows "färre än 5" or "–"); the rate of a grade whose kept respondents
    are suppressed is <NA>. Rows in the table's order (year, grades, all grades).
    """
    codebook = codebook or load_codebook()
    rows = response.loc[response["municipality_code"] == municipality_code].copy()
    hidden_kept = _hidden_counts(counts, codebook)
    kept = _RESPONSE_COUNTS.index("kept")
    masks = []
    for year, block in rows.groupby("year", sort=False):
        cells = block[list(_RESPONSE_COUNTS)].to_numpy(dtype=float)
        primary = small(cells, threshold)
        primary[:, kept] |= [(int(year), g) in hidden_kept for g in block["grade"]]
        known = cells == 0
        # a grade's kept respondents are printed by the counts table (the total is not)
        known[:-1, kept] |= ~primary[:-1, kept]
        masks.append(suppress(cells, threshold, primary=primary, known=known))
    columns = ["year", "grade", "enrolled", *_RESPONSE_COUNTS[::-1], "response_rate"]
    out = rows[columns].reset_index(drop=True)
    out["year"] = out["year"].astype("Int64")
    mask = np.vstack(masks) if masks else np.zeros((0, len(_RESPONSE_COUNTS)), dtype=bool)
    for j, name in enumerate(_RESPONSE_COUNTS):
        out[f"{name}_suppressed"] = mask[:, j].astype(bool)
    out["response_rate"] = out["response_rate"].astype("Float64").mask(out["kept_suppressed"])
    return out


def _hidden_counts(counts: pd.DataFrame | None, codebook: Codebook) -> set[tuple[int, str]]:
    """(year, grade) whose all-sexes count :func:`response_counts` leaves unpublished."""
    if counts is None or counts.empty:
        return set()
    hidden = counts.loc[(counts["kon"] == codebook.survey.all_label) & counts["suppressed"]]
    return {(int(y), str(g)) for y, g in zip(hidden["ar"], hidden["arskurs"], strict=True)}


def _protected_count(value: object, hidden: bool, threshold: int) -> str:
    """A count as a table cell: the number, "färre än 5" for a small group, "–" for a count
    hidden so that another cannot be worked out."""
    if not hidden:
        return format_number(value)
    return fewer_than(threshold) if small(np.array([float(value)]), threshold)[0] else DASH


def response_rate_table(
    rates: pd.DataFrame, codebook: Codebook | None = None, threshold: int = DISCLOSURE_THRESHOLD
) -> pd.DataFrame:
    """:func:`response_rates` as a display frame, one row per year and grade.

    Columns: ``År``, ``Årskurs`` (grade label; "Båda årskurserna" for all grades),
    ``Elever`` (enrolled; "saknas" without a row in the enrolment file), ``Svarande``,
    ``Uteslutna`` (excluded as not serious), ``Med i analysen`` (kept), ``Svarsfrekvens``
    (kept / enrolled, "79 %"). A suppressed count shows "färre än 5" when it is a small
    group and "–" when it is hidden so that another cannot be worked out. Without any
    enrolment for the municipality the columns ``Elever`` and ``Svarsfrekvens`` are left out.
    """
    codebook = codebook or load_codebook()
    with_rate = bool(rates["enrolled"].notna().any())
    rows = []
    for r in rates.itertuples(index=False):
        row = {"År": str(r.year), "Årskurs": grade_label(r.grade, codebook)}
        if with_rate:
            row["Elever"] = MISSING if is_missing(r.enrolled) else format_number(r.enrolled)
        row["Svarande"] = _protected_count(r.respondents, r.respondents_suppressed, threshold)
        row["Uteslutna"] = _protected_count(r.excluded, r.excluded_suppressed, threshold)
        row["Med i analysen"] = _protected_count(r.kept, r.kept_suppressed, threshold)
        if with_rate:
            row["Svarsfrekvens"] = _rate_text(r.response_rate, r.enrolled, r.kept_suppressed)
        rows.append(row)
    columns = ["År", "Årskurs", "Elever", "Svarande", "Uteslutna", "Med i analysen"]
    columns = [c for c in [*columns, "Svarsfrekvens"] if with_rate or c not in _RATE_COLUMNS]
    return pd.DataFrame(rows, columns=columns)


def response_rate_note(shown: pd.DataFrame) -> str:
    """The note under :func:`response_rate_table`'s frame ``shown``: what each column counts
    (the rate only when the table has it)."""
    note = (
        "Svarande: alla som besvarade enkäten. Uteslutna: svar som inte räknas enligt regeln "
        "nedan. Med i analysen: svarande minus uteslutna, som i tabellen ovan."
    )
    if "Svarsfrekvens" in shown.columns:
        note += " Svarsfrekvens: med i analysen delat med inskrivna elever."
    return note


def response_rate_legend(
    enrolment_file: str | None, threshold: int = DISCLOSURE_THRESHOLD
) -> dict[str, str]:
    """What "färre än 5", "–" and "saknas" mean in :func:`response_rate_table` (a table's
    ``legend``: each is shown only when a cell uses it)."""
    return {
        fewer_than(threshold): (
            f"färre än {threshold} = mellan 1 och {threshold - 1}; det exakta antalet visas inte."
        ),
        DASH: (
            f"– = visas inte: annars skulle ett antal under {threshold} kunna räknas fram ur de "
            "andra talen."
        ),
        MISSING: (
            f"saknas = {enrolment_file or 'filen med inskrivna elever'} har ingen rad för året "
            "och årskursen."
        ),
    }


def _rate_text(rate: object, enrolled: object, hidden: bool) -> str:
    """A response rate as a cell: "saknas" without enrolled pupils, "–" when the kept
    respondents are not published (the rate times the enrolled pupils would give them), else
    "79 %"."""
    if is_missing(enrolled) or enrolled == 0:
        return MISSING
    return DASH if hidden else format_share(rate)


def response_rate_text(
    rates: pd.DataFrame, municipality_name: str, enrolment_file: str | None
) -> str:
    """What the response rate is, or why it cannot be computed (Markdown, Swedish).

    ``enrolment_file`` is the name of the enrolment file read (the manifest's ``elever``
    input), None when there was none.
    """
    if enrolment_file is None:
        return (
            "Svarsfrekvensen kan inte räknas ut: underlaget har ingen fil med antalet inskrivna "
            "elever per kommun, år och årskurs (`elever.csv`). Med den filen i datamappen visar "
            "tabellen också hur stor andel av eleverna som svarade."
        )
    if not rates["enrolled"].notna().any():
        return (
            f"Svarsfrekvensen kan inte räknas ut: `{enrolment_file}` har inga rader för "
            f"{municipality_name} de år enkäten gjordes."
        )
    return (
        "**Svarsfrekvensen** är andelen av de inskrivna eleverna vars svar är med i analysen: "
        f"antalet med i analysen delat med antalet elever i `{enrolment_file}`. Svar som togs "
        "bort räknas inte, för frekvensen ska visa hur stor del av eleverna som rapportens "
        "resultat bygger på."
    )


def unserious_rule_text(codebook: Codebook | None = None) -> str:
    """The codebook's rule for answers excluded as not serious, in plain Swedish (Markdown).

    Names the answers and thresholds of each rule the codebook has; says that nobody is
    excluded when it has none.
    """
    codebook = codebook or load_codebook()
    rules = codebook.unserious
    straight = rules.straight_lining if rules else None
    implausible = rules.implausible_offending if rules else None
    if straight is None and implausible is None:
        return (
            "**Svar som inte räknas.** Kodboken har ingen regel för oseriösa svar, så alla svar "
            "räknas."
        )
    cases = []
    if straight is not None:
        answers = codebook.answer_scales[straight.scale]
        extremes = [f"”{answers[c - 1]}”" for c in straight.codes]
        either = (
            extremes[0] if len(extremes) == 1 else "antingen " + join_words(extremes, " eller ")
        )
        cases.append(
            f"har svarat på minst {format_number(straight.min_answered)} av de "
            f"{format_number(len(codebook.scale_items(straight.scale)))} påståendena med "
            f"svarsalternativen från ”{answers[0]}” till ”{answers[-1]}” och gett samma "
            f"ytterlighetssvar på alla, {either}. Påståendena blandar positiva och negativa, "
            "så den som instämmer helt i alla, eller tar helt avstånd från alla, säger emot "
            "sig själv"
        )
    if implausible is not None:
        answers = codebook.answer_scales[implausible.scale]
        cases.append(
            f"har svarat ”{answers[implausible.code - 1]}” på minst "
            f"{format_number(implausible.min_items)} av de "
            f"{format_number(len(codebook.scale_items(implausible.scale)))} frågorna om brott"
        )
    listed = "\n".join(
        f"- {case}{'; eller' if i < len(cases) - 1 else '.'}" for i, case in enumerate(cases)
    )
    return (
        "**Svar som inte räknas.** Några svar kan inte vara allvarligt menade. De tas bort "
        "innan indexen räknas, så de ingår inte i någon andel i rapporten; i tabellen ovan "
        "räknas de bland de svarande och som uteslutna. Ett svar tas bort när eleven\n\n"
        f"{listed}\n\n"
        "Vissa enkäter frågar om en påhittad drog för att hitta sådana svar; "
        "Stockholmsenkäten har ingen sådan fråga. Regeln och gränserna är arbetsbänkens egna."
    )


def latest_year(prevalence: pd.DataFrame, municipality_code: str) -> int | None:
    """The latest survey year with prevalence rows for the municipality (None: none)."""
    years = prevalence.loc[prevalence["municipality_code"] == municipality_code, "year"]
    return int(years.max()) if len(years.dropna()) else None


def too_few_answers(
    prevalence: pd.DataFrame,
    municipality_code: str,
    year: int,
    codebook: Codebook | None = None,
    threshold: int = DISCLOSURE_THRESHOLD,
) -> pd.DataFrame:
    """Internal missingness per index: the share of all kept respondents of the municipality
    and year (all grades, all sexes) who answered too few of an index's items to get a value.

    Columns: ``Index`` (label), ``Slag`` (Risk, Skydd, Utfall), ``Krävs`` ("5 av 9 frågor":
    the answered items an index needs), ``För få svar`` (missing / (n + missing) of the
    ``prevalence`` cell, "3 %"). A cell the prevalence table suppresses shows "–"; when 1 to
    threshold − 1 respondents lack a value (a small group), the share shows only as "under
    N %", N the share that ``threshold`` respondents would be, rounded up. Indices in codebook
    order.
    """
    codebook = codebook or load_codebook()
    all_label = codebook.survey.all_label
    cells = prevalence.loc[
        (prevalence["municipality_code"] == municipality_code)
        & (prevalence["year"] == int(year))
        & (prevalence["grade"] == all_label)
        & (prevalence["sex"] == all_label)
    ].set_index("factor")
    rows = []
    for index in codebook.indices:
        if index.id not in cells.index:
            continue
        n_items = len(index.items)
        rows.append(
            {
                "Index": index.label,
                "Slag": KIND_SHORT[index.kind],
                "Krävs": f"{index.min_answered} av {n_items} {_items_word(n_items)}",
                TOO_FEW_LABEL: _too_few_text(cells.loc[index.id], threshold),
            }
        )
    return pd.DataFrame(rows, columns=["Index", "Slag", "Krävs", TOO_FEW_LABEL])


def _items_word(n: int) -> str:
    """The word for survey items after a count of ``n``: fråga or frågor."""
    return "fråga" if n == 1 else "frågor"


def _too_few_text(cell: pd.Series, threshold: int) -> str:
    """The share of a prevalence cell's respondents without a value, protected (see
    :func:`too_few_answers`, :func:`fouanalys.present.text.format_too_few`)."""
    if bool(cell["suppressed"]) or is_missing(cell["n"]) or is_missing(cell["missing"]):
        return DASH
    return format_too_few(cell["missing"], int(cell["n"]) + int(cell["missing"]), threshold)
