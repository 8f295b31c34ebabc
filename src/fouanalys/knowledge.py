"""The knowledge base: prevention approaches, what they target and what is known of their effect.

``src/fouanalys/data/kunskapslage.csv`` ships with the package: one row per approach (mentoring,
family therapy, Scared Straight, …) with its level, ages, the codebook factors it targets, its
published effect and the quality of that evidence, what Swedish sources say, its cost, whether
evidence shows it increases offending, named programmes and the sources the figures were read
in. It is checked when loaded, as the codebook is: every problem is listed with its file,
column and row (a spreadsheet's row number, the header being row 1), and a broken file raises
:class:`~fouanalys.exceptions.KnowledgeBaseError` instead of reaching a report.

The file holds codes and numbers (level and factor ids, effect and cost levels); a chapter
words them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from fouanalys.codebook import Codebook, load_codebook
from fouanalys.coverage import ONGOING, stage_covers
from fouanalys.exceptions import FouanalysError, KnowledgeBaseError, Problem

#: The columns of the knowledge base, in order.
COLUMNS = (
    "approach_id",
    "namn",
    "name_en",
    "niva",
    "alder_fran",
    "alder_till",
    "faktorer",
    "effekt",
    "effekt_procent",
    "utfall",
    "evidens",
    "underlag",
    "svensk_evidens",
    "kostnad",
    "skadlig",
    "program",
    "kallor",
    "hamtad",
)
#: Columns that may be empty; every other column needs a value in every row.
OPTIONAL = ("effekt_procent", "program")
#: How large an effect the source reports on offending or violence.
EFFECT_LEVELS = ("ingen", "låg", "måttlig", "hög", "okänd")
#: What the effect estimate rests on, read from the source (``evidens`` says it in words): a
#: systematic review or meta-analysis of controlled studies; a few controlled studies (one to
#: six, or a review the source calls very limited); or no controlled study (observational
#: studies, a feasibility study, or no evaluation of effect).
EVIDENCE_BASES = ("översikt", "få studier", "svagt")
#: The source's cost rating.
COST_LEVELS = ("låg", "måttlig", "hög", "okänd")
#: Separator of the list columns (niva, faktorer, program, kallor).
SEPARATOR = ";"
#: Ages an approach may be for: the life course the project maps.
MIN_AGE, MAX_AGE = 0, 25

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_URL = re.compile(r"^https?://\S+$")


def knowledge_path() -> Path:
    """The packaged knowledge base."""
    return Path(__file__).parent / "data" / "kunskapslage.csv"


def split(value: object) -> list[str]:
    """The items of a list column (``"a; b"`` → ``["a", "b"]``), blanks dropped."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return []
    return [part.strip() for part in str(value).split(SEPARATOR) if part.strip()]


def _int(text: str) -> int | None:
    return int(text) if re.fullmatch(r"\d{1,3}", text.strip()) else None


def _number(text: str) -> float | None:
    try:
        return float(text.strip().replace(",", ".").replace("\u2212", "-"))
    except ValueError:
        return None


def _check_row(row: dict[str, str], codebook: Codebook) -> list[tuple[str, str, str, str]]:
    """(column, message, value, expected) for every problem of one row."""
    levels = codebook.ids("levels")
    factors = [i.id for i in codebook.indices if i.kind != "outcome"]
    out = []
    for column in COLUMNS:
        if column not in OPTIONAL and not row[column].strip():
            out.append((column, "värde saknas", "", "ett värde"))
    approach = row["approach_id"].strip()
    if approach and not _ID.match(approach):
        out.append(("approach_id", "ogiltigt id", approach, "små bokstäver a–z, siffror och _"))
    for level in split(row["niva"]):
        if level not in levels:
            out.append(("niva", "okänd nivå", level, ", ".join(levels)))
    ages = {c: _int(row[c]) for c in ("alder_fran", "alder_till")}
    for column, age in ages.items():
        if row[column].strip() and (age is None or not MIN_AGE <= age <= MAX_AGE):
            out.append((column, "ogiltig ålder", row[column], f"heltal {MIN_AGE}–{MAX_AGE}"))
    if None not in ages.values() and ages["alder_fran"] > ages["alder_till"]:
        span = f"{row['alder_fran']}–{row['alder_till']}"
        out.append(("alder_till", "slutar före alder_fran", span, "alder_fran ≤ alder_till"))
    for factor in split(row["faktorer"]):
        if factor not in factors:
            out.append(("faktorer", "okänd faktor", factor, ", ".join(factors)))
    if row["effekt"].strip() and row["effekt"].strip() not in EFFECT_LEVELS:
        out.append(("effekt", "okänd effektnivå", row["effekt"], ", ".join(EFFECT_LEVELS)))
    if row["effekt_procent"].strip() and _number(row["effekt_procent"]) is None:
        out.append(("effekt_procent", "inte ett tal", row["effekt_procent"], "t.ex. -21"))
    if row["underlag"].strip() and row["underlag"].strip() not in EVIDENCE_BASES:
        out.append(("underlag", "okänt underlag", row["underlag"], ", ".join(EVIDENCE_BASES)))
    if row["kostnad"].strip() and row["kostnad"].strip() not in COST_LEVELS:
        out.append(("kostnad", "okänd kostnadsnivå", row["kostnad"], ", ".join(COST_LEVELS)))
    if row["skadlig"].strip() and row["skadlig"].strip().lower() not in ("true", "false"):
        out.append(("skadlig", "inte sant eller falskt", row["skadlig"], "true eller false"))
    for url in split(row["kallor"]):
        if not _URL.match(url):
            out.append(("kallor", "inte en webbadress", url, "http:// eller https://"))
    try:
        if row["hamtad"].strip():
            date.fromisoformat(row["hamtad"].strip())
    except ValueError:
        out.append(("hamtad", "inte ett datum", row["hamtad"], "ÅÅÅÅ-MM-DD"))
    return out


def _problems(raw: pd.DataFrame, name: str, codebook: Codebook) -> list[Problem]:
    """Every problem of the file, grouped by column, message and value, with their rows."""
    found: dict[tuple[str, str, str, str], list[int]] = {}
    for i, row in enumerate(raw.to_dict("records")):
        for problem in _check_row(row, codebook):
            found.setdefault(problem, []).append(i + 2)
    ids = raw["approach_id"].str.strip()
    for approach in ids[ids.duplicated() & (ids != "")].unique():
        rows = [i + 2 for i in ids.index[ids == approach]]
        found[("approach_id", "samma id på flera rader", approach, "ett id per rad")] = rows
    return grouped_problems(found, name)


def grouped_problems(found: dict[tuple[str, str, str, str], list[int]], name: str) -> list[Problem]:
    """Problems of file ``name`` from (column, message, value, expected) → spreadsheet rows."""
    return [
        Problem(
            file=name,
            column=column,
            message=message,
            rows=tuple(rows),
            values=(value,) if value else (),
            expected=expected,
        )
        for (column, message, value, expected), rows in found.items()
    ]


def _typed(raw: pd.DataFrame) -> pd.DataFrame:
    frame = raw.apply(lambda col: col.str.strip())
    frame["alder_fran"] = frame["alder_fran"].astype("int64")
    frame["alder_till"] = frame["alder_till"].astype("int64")
    frame["effekt_procent"] = pd.array(
        [_number(v) if v else None for v in frame["effekt_procent"]], dtype="Float64"
    )
    frame["skadlig"] = frame["skadlig"].str.lower().eq("true")
    return frame


def load_knowledge(
    path: Path | str | None = None, codebook: Codebook | None = None
) -> pd.DataFrame:
    """The knowledge base (the packaged one unless ``path`` is given), checked and typed.

    Columns as :data:`COLUMNS`: text, except ``alder_fran`` and ``alder_till`` (int),
    ``effekt_procent`` (Float64, <NA> when the source gives no percentage) and ``skadlig``
    (bool). List columns stay ``;``-separated text; :func:`split` reads them.

    Raises KnowledgeBaseError listing every problem (file, column, rows, value, what was
    expected) when the file is missing, lacks columns or has invalid values.
    """
    codebook = codebook or load_codebook()
    path = knowledge_path() if path is None else Path(path)
    raw = read_checked(
        path, COLUMNS, lambda frame: _problems(frame, path.name, codebook), KnowledgeBaseError,
        "Kunskapsbasen",
    )  # fmt: skip
    return _typed(raw)


def read_checked(
    path: Path,
    columns: tuple[str, ...],
    check: Callable[[pd.DataFrame], list[Problem]],
    error: type[FouanalysError],
    subject: str,
) -> pd.DataFrame:
    """A packaged CSV table (UTF-8, all text) with ``columns``, checked by ``check``: raises
    ``error`` naming ``subject`` ("Kunskapsbasen") when the file is missing or unreadable,
    lacks a column, or ``check`` finds problems (the first 20 listed, the rest counted)."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError as exc:
        raise error(f"{subject} saknas: {path}") from exc
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise error(f"{subject} {path.name} kan inte läsas som CSV i UTF-8: {exc}") from exc
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise error(
            f"{subject} {path.name} saknar kolumnerna {', '.join(missing)} "
            f"(förväntade kolumner: {', '.join(columns)})."
        )
    raw = raw[list(columns)]
    problems = check(raw)
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems[:20])
        more = f"\n  (och {len(problems) - 20} till)" if len(problems) > 20 else ""
        raise error(f"{subject} {path.name} har {len(problems)} fel:\n{listed}{more}")
    return raw


#: The gap statuses an approach is sought for (:func:`fouanalys.coverage.gap_table`).
GAP_STATUSES = ("saknas", "tunn", "okänd")
#: Columns of :func:`gap_approaches`.
GAP_APPROACH_COLUMNS = [
    "municipality_code",
    "year",
    "factor",
    "stage",
    "status",
    "approach_id",
    "niva",
    "effekt",
    "in_use",
    "own_interventions",
]
#: How an intervention was linked to an approach: its ``metod`` cell, or a programme name.
BY_METOD, BY_PROGRAM = "metod", "program"
#: Columns of :func:`link_interventions`.
LINK_COLUMNS = [
    "municipality_code",
    "intervention",
    "status",
    "approach_id",
    "linked_by",
    "program",
]
#: Separator of the intervention names in ``own_interventions``.
NAME_JOIN = ";"


def _program_pattern(program: str) -> re.Pattern[str]:
    """A programme name as a whole word or phrase, any case ("MST" in "MST – …", not "MSTX")."""
    return re.compile(rf"(?<!\w){re.escape(program)}(?!\w)", re.IGNORECASE)


def link_interventions(insatser: pd.DataFrame, approaches: pd.DataFrame) -> pd.DataFrame:
    """Each intervention of the inventory linked to the approach it applies.

    An intervention whose ``metod`` names an approach (validated against the knowledge base
    when read) is linked to it alone, ``linked_by = "metod"``. One with a blank ``metod`` is
    linked to every approach one of whose programmes (``program``) its name contains as a
    whole word, any case, ``linked_by = "program"`` with the programme matched; e.g. "MST –
    multisystemisk terapi" to ``mst`` by "MST". An intervention matching nothing has no row.

    Columns :data:`LINK_COLUMNS` (str), in the inventory's order and, for one intervention,
    the knowledge base's order.
    """
    metod = insatser["metod"] if "metod" in insatser else pd.Series("", index=insatser.index)
    metod = metod.fillna("").astype(str).str.strip()
    programs = [
        (approach, program, _program_pattern(program))
        for approach, listed in zip(approaches["approach_id"], approaches["program"], strict=True)
        for program in split(listed)
    ]
    rows = []
    for row, method in zip(insatser.itertuples(index=False), metod, strict=True):
        base = (str(row.kommunkod), str(row.insats), str(row.status))
        if method:
            rows.append((*base, method, BY_METOD, ""))
            continue
        matched: dict[str, str] = {}
        for approach, program, pattern in programs:
            if approach not in matched and pattern.search(str(row.insats)):
                matched[approach] = program
        rows.extend((*base, approach, BY_PROGRAM, program) for approach, program in matched.items())
    return pd.DataFrame(rows, columns=LINK_COLUMNS).astype("str")


def approach_stages(approaches: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Every approach with each life stage its ages cover, by the gap map's rule
    (:func:`fouanalys.coverage.stage_covers`): columns ``approach_id`` and ``stage``."""
    stages = codebook.life_stages
    covers = stage_covers(
        approaches["alder_fran"].to_numpy(),
        approaches["alder_till"].to_numpy(),
        np.array([s.age_from for s in stages]),
        np.array([s.age_to for s in stages]),
    )
    rows, cols = np.nonzero(covers)
    return pd.DataFrame(
        {
            "approach_id": approaches["approach_id"].to_numpy()[rows],
            "stage": [stages[j].id for j in cols],
        }
    )


def gap_approaches(
    gaps: pd.DataFrame,
    approaches: pd.DataFrame,
    codebook: Codebook | None = None,
    links: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The approaches that fit each gap of a prioritised factor, and which the municipality
    already runs.

    For every row of ``gaps`` (:func:`fouanalys.coverage.gap_table`) whose status is
    ``saknas``, ``tunn`` or ``okänd``: every approach of ``approaches``
    (:func:`load_knowledge`) that targets the factor, whose ages cover the stage by the gap
    map's rule, and that is not harmful, whatever its level. ``own_interventions`` names the
    municipality's ongoing interventions that ``links`` (:func:`link_interventions`) ties to
    the approach, whatever factor or ages they list (:data:`NAME_JOIN`-joined, "" when
    none), and ``in_use`` counts them. Columns :data:`GAP_APPROACH_COLUMNS` (``niva`` and
    ``effekt`` as the knowledge base has them), ordered as ``gaps`` and, within a gap, by the
    knowledge base's order.
    """
    codebook = codebook or load_codebook()
    links = pd.DataFrame(columns=LINK_COLUMNS) if links is None else links
    usable = approaches.loc[~approaches["skadlig"].astype(bool)].reset_index(drop=True)
    pairs = zip(usable["approach_id"], usable["faktorer"], strict=True)
    targets = pd.DataFrame(
        [(a, f) for a, fs in pairs for f in split(fs)], columns=["approach_id", "factor"]
    )
    fits = targets.merge(approach_stages(usable, codebook), on="approach_id")
    fits = fits.merge(usable[["approach_id", "niva", "effekt"]], on="approach_id")
    fits["order"] = fits["approach_id"].map({a: i for i, a in enumerate(usable["approach_id"])})
    open_gaps = gaps.loc[gaps["status"].isin(GAP_STATUSES)].reset_index(drop=True)
    open_gaps = open_gaps.assign(gap=range(len(open_gaps)))
    out = open_gaps.merge(fits, on=["factor", "stage"]).sort_values(["gap", "order"])
    running = links.loc[links["status"] == ONGOING].groupby(
        ["municipality_code", "approach_id"], sort=False
    )["intervention"]
    own = running.agg(lambda names: NAME_JOIN.join(dict.fromkeys(names))).rename(
        "own_interventions"
    )
    count = running.nunique().rename("in_use")
    out = out.merge(own, on=["municipality_code", "approach_id"], how="left")
    out = out.merge(count, on=["municipality_code", "approach_id"], how="left")
    out["own_interventions"] = out["own_interventions"].fillna("")
    out["in_use"] = out["in_use"].fillna(0)
    frame = out[GAP_APPROACH_COLUMNS].reset_index(drop=True)
    return frame.astype(
        {"municipality_code": "str", "year": "int64", "in_use": "int64", "own_interventions": "str"}
    )
