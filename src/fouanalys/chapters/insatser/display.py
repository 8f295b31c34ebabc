"""Chapter 03, *Insatser längs livsförloppet*: display frames and sentences for the chapter.

Pure functions over the typed ``insatser`` frame and the processed coverage tables
(``coverage``, ``factor_coverage``, ``targeting_coverage``, ``knowledge_profile`` and ``gaps``;
their columns are fixed in the coverage module's contract) and the answers to Data i
Dialog's quality questions (``quality_profile``, :mod:`fouanalys.quality`). Each function
returns a tidy frame for a figure (``*_frame``, ``*_cells``), a display frame with Swedish
column labels and text cells for the report (``*_table``), or plain Swedish sentences. Nothing
here reads files, computes coverage afresh or draws.

Only ongoing (*pågående*) interventions count as coverage; planned ones are shown apart and
ended ones are only listed. A participant count that is not given is *okänt*, and a reach
that rests on one is *okänd*: never zero.

No small group is published: a participant count of 1–4 a year reads *färre än 5*
(:func:`fouanalys.present.text.format_participants`). A sum that holds such a count is printed
without it, as a lower bound ("minst 340"), so that it cannot be taken from the published
counts to get the small one back; a reach that rests on fewer than 5 participants, or holds
such an intervention, reads "under X" (X the reach 5 participants would give, so reach ×
population / 1 000 does not give the count back) or, when other interventions carry at least
5, "≥" the reach without it (:func:`protected_reach`).

Free text from the inventory (names, comments) reaches the report only through display frames,
which :func:`fouanalys.present.tables.table` escapes; sentences meant for Markdown hold codebook
labels
and numbers only, and are HTML-escaped all the same.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import pandas as pd

from fouanalys.chapters.riskfaktorer.display import factor_frame
from fouanalys.codebook import Codebook, load_codebook
from fouanalys.config import DISCLOSURE_THRESHOLD
from fouanalys.coverage import THIN_REACH_PER_1000
from fouanalys.present.labels import (
    GAP_STATUS_LABELS,
    PRIORITISED,
    QUALITY_CODE_LABELS,
    age_span,
    stage_label,
    stage_phrase,
)
from fouanalys.present.tables import unbroken
from fouanalys.present.text import (
    DASH,
    FEW,
    MISSING,
    NBSP,
    NOT_APPLICABLE,
    UNKNOWN_REACH,
    few_reach_limit,
    format_number,
    format_participants,
    format_reach,
    format_reach_under,
    format_share,
    is_missing,
    join_words,
    lower_first,
    markdown_safe,
    number_word,
    plural,
)
from fouanalys.priority import prioritised
from fouanalys.quality import KNOWLEDGE_ITEM, NOT_ANSWERED, TOTAL_LEVEL

ONGOING = "pågående"
PLANNED = "planerad"
ENDED = "avslutad"
#: A participant count that the inventory does not give.
#: Gap statuses that are gaps, in the order the gap list gives them ("finns" is none).
GAP_ORDER = ("saknas", "tunn", "okänd")
#: The knowledge level the summary counts as evidence-based.
EVIDENCE = "evidensbaserad"


# --- selecting ------------------------------------------------------------------------------


def municipality_inventory(insatser: pd.DataFrame, municipality_code: str) -> pd.DataFrame:
    """The municipality's rows of the typed ``insatser`` frame (same columns), index reset."""
    return insatser.loc[insatser["kommunkod"] == municipality_code].reset_index(drop=True)


def _ordered(rows: pd.DataFrame, codebook: Codebook, by_status: bool = True) -> pd.DataFrame:
    """Rows by status (codebook order), level, first age, last age and name."""
    status = {s: i for i, s in enumerate(codebook.ids("statuses"))}
    level = {s: i for i, s in enumerate(codebook.ids("levels"))}
    keyed = rows.assign(
        _status=rows["status"].map(status).fillna(len(status)) if by_status else 0,
        _level=rows["niva"].map(level).fillna(len(level)),
        _from=rows["alder_fran"].astype("Float64").fillna(math.inf),
        _to=rows["alder_till"].astype("Float64").fillna(math.inf),
        _name=rows["insats"].astype(str).str.casefold(),
    )
    keys = ["_status", "_level", "_from", "_to", "_name"]
    return keyed.sort_values(keys, kind="stable").drop(columns=keys).reset_index(drop=True)


def _ids(text: object) -> list[str]:
    """The ids of a ``;``-joined cell, without blanks."""
    if is_missing(text):
        return []
    return [part.strip() for part in str(text).split(";") if part.strip()]


# --- summary --------------------------------------------------------------------------------


def status_counts(
    insatser: pd.DataFrame, municipality_code: str, codebook: Codebook | None = None
) -> dict[str, int]:
    """Number of interventions per status id (codebook order, every status present)."""
    codebook = codebook or load_codebook()
    rows = municipality_inventory(insatser, municipality_code)
    counts = rows["status"].value_counts()
    return {s: int(counts.get(s, 0)) for s in codebook.ids("statuses")}


def evidence_share(insatser: pd.DataFrame, municipality_code: str) -> float:
    """Share (0..1) of the ongoing interventions that are evidence-based; NaN when none."""
    rows = municipality_inventory(insatser, municipality_code)
    ongoing = rows.loc[rows["status"] == ONGOING]
    if ongoing.empty:
        return math.nan
    return float((ongoing["kunskapslage"] == EVIDENCE).mean())


def summary_sentences(
    insatser: pd.DataFrame,
    municipality_code: str,
    codebook: Codebook | None = None,
    knowledge_profile: pd.DataFrame | None = None,
) -> list[str]:
    """Plain Swedish sentences on the size and make-up of the municipality's inventory.

    1. How many interventions, by status: "Kartläggningen för Järfälla tar upp 38 insatser:
       30 pågående, 5 planerade och 3 avslutade."
    2. How many of the ongoing ones are evidence-based, with the share; with
       ``knowledge_profile``, also their share of the known participants.
    3. How many ongoing interventions give no participant count (their reach is unknown).

    With no interventions at all the list holds one sentence saying so. Sentences are
    HTML-escaped for Markdown.
    """
    codebook = codebook or load_codebook()
    name = codebook.municipality_name(municipality_code)
    counts = status_counts(insatser, municipality_code, codebook)
    total = sum(counts.values())
    if total == 0:
        return [markdown_safe(f"Kartläggningen för {name} innehåller inga insatser.")]
    words = {ONGOING: ("pågående", "pågående"), PLANNED: ("planerad", "planerade")}
    words[ENDED] = ("avslutad", "avslutade")
    present = [s for s, n in counts.items() if n > 0]
    what = f"Kartläggningen för {name} tar upp {plural(total, 'insats', 'insatser')}"
    if len(present) == 1:
        word = words.get(present[0], (present[0], present[0]))
        tail = f", som är {word[0]}" if total == 1 else f", alla {word[1]}"
        sentences = [f"{what}{tail}."]
    else:
        parts = [plural(counts[s], *words.get(s, (s, s))) for s in present]
        sentences = [f"{what}: {join_words(parts)}."]
    rows = municipality_inventory(insatser, municipality_code)
    ongoing = rows.loc[rows["status"] == ONGOING]
    n_ongoing = len(ongoing)
    if n_ongoing == 0:
        sentences.append("Ingen insats är pågående, så kommunen har i dag ingen täckning.")
        return [markdown_safe(t) for t in sentences]
    n_evidence = int((ongoing["kunskapslage"] == EVIDENCE).sum())
    if n_ongoing == 1:
        text = (
            "Den pågående insatsen är evidensbaserad"
            if n_evidence
            else "Den pågående insatsen är inte evidensbaserad"
        )
    elif n_evidence == 0:
        text = f"Ingen av de {n_ongoing} pågående insatserna är evidensbaserad"
    else:
        adjective = "evidensbaserad" if n_evidence == 1 else "evidensbaserade"
        text = (
            f"{n_evidence} av de {n_ongoing} pågående insatserna "
            f"({format_share(n_evidence / n_ongoing)}) är {adjective}"
        )
    reach = _evidence_reach(knowledge_profile, municipality_code) if n_evidence else None
    if reach is not None:
        text += (
            f" och står för {format_share(reach)} av deltagarna i de insatser som anger "
            "antal deltagare"
        )
    sentences.append(text + ".")
    unknown = int(ongoing["deltagare_per_ar"].isna().sum())
    if unknown:
        if unknown == n_ongoing:
            sentences.append(
                "Ingen av de pågående insatserna anger hur många de når per år, så "
                "räckvidden är okänd."
            )
        else:
            sentences.append(
                f"{plural(unknown, 'pågående insats', 'pågående insatser')} anger inte hur "
                f"många de{'n' if unknown == 1 else ''} når per år; "
                f"{'dess' if unknown == 1 else 'deras'} räckvidd redovisas som okänd, "
                "inte som noll."
            )
    return [markdown_safe(t) for t in sentences]


def _evidence_reach(knowledge_profile: pd.DataFrame | None, municipality_code: str) -> float | None:
    """Share of the known participants that are in evidence-based interventions, or None."""
    if knowledge_profile is None or knowledge_profile.empty:
        return None
    rows = knowledge_profile.loc[
        (knowledge_profile["municipality_code"] == municipality_code)
        & (knowledge_profile["knowledge"] == EVIDENCE)
    ]
    if rows.empty or is_missing(rows["share_of_reach"].iloc[0]):
        return None
    return float(rows["share_of_reach"].iloc[0])


# --- method ---------------------------------------------------------------------------------


def population_year(befolkning: pd.DataFrame, municipality_code: str) -> int | None:
    """The population year the coverage tables use: the municipality's latest (None if none)."""
    years = befolkning.loc[befolkning["kommunkod"] == municipality_code, "ar"].dropna()
    return int(years.max()) if len(years) else None


def stage_table(
    coverage: pd.DataFrame, municipality_code: str, codebook: Codebook | None = None
) -> pd.DataFrame:
    """The life stages with their ages and population, as a display frame.

    One row per life stage (by age). Columns (text): ``Livsskede``, ``Ålder`` ("13–15 år")
    and ``Invånare`` (the stage's population in ``coverage``; "–" when missing).
    """
    codebook = codebook or load_codebook()
    rows = coverage.loc[coverage["municipality_code"] == municipality_code]
    population = rows.drop_duplicates("stage").set_index("stage")["population"]
    stages = sorted(codebook.life_stages, key=lambda s: s.age_from)
    return pd.DataFrame(
        {
            "Livsskede": [s.label for s in stages],
            "Ålder": [age_span(s.age_from, s.age_to) for s in stages],
            "Invånare": [format_number(population.get(s.id)) for s in stages],
        },
        dtype=object,
    ).pipe(unbroken)


# --- the inventory --------------------------------------------------------------------------


def inventory_table(
    insatser: pd.DataFrame,
    municipality_code: str,
    codebook: Codebook | None = None,
    status: str | None = None,
    compact: bool = False,
) -> pd.DataFrame:
    """The municipality's interventions (ongoing, planned and ended) as a display frame.

    Rows: ongoing first, then planned, then ended (codebook order), each by level, first age,
    last age and name; with ``status`` (a status id) only that status. Columns (text):
    ``Insats``, ``Huvudman`` (actor label), ``Nivå``, ``Inriktning``, ``Ålder`` ("13–15 år",
    kept on one line by a word joiner after the dash and a no-break space), ``Faktorer``
    (index labels, comma-separated), ``Kunskapsläge``, ``Deltagare/år`` ("okänt" when not
    given) and ``Status`` (left out when ``status`` is given).

    ``compact`` (for a printed page) leaves out ``Faktorer`` (see :func:`factor_table`) and
    joins level and targeting in one column ``Nivå, inriktning`` ("Förebygga, universell").
    Names are left as written: :func:`fouanalys.present.tables.table` escapes them.
    """
    codebook = codebook or load_codebook()
    rows = _ordered(municipality_inventory(insatser, municipality_code), codebook)
    if status is not None:
        rows = rows.loc[rows["status"] == status].reset_index(drop=True)
    actors = codebook.labels("actors")
    levels = codebook.labels("levels")
    targeting = codebook.labels("targeting")
    knowledge = codebook.labels("knowledge_levels")
    statuses = codebook.labels("statuses")
    factors = codebook.labels("indices")
    level = [levels.get(v, v) for v in rows["niva"]]
    aim = [targeting.get(v, v) for v in rows["inriktning"]]
    columns: dict[str, list[str]] = {
        "Insats": rows["insats"].astype(str).tolist(),
        "Huvudman": [actors.get(a, a) for a in rows["huvudman"]],
    }
    if compact:
        columns["Nivå, inriktning"] = [
            f"{lv}, {t.lower()}" for lv, t in zip(level, aim, strict=True)
        ]
    else:
        columns["Nivå"] = level
        columns["Inriktning"] = aim
    columns["Ålder"] = [
        age_span(a, b) for a, b in zip(rows["alder_fran"], rows["alder_till"], strict=True)
    ]
    if not compact:
        columns["Faktorer"] = [
            ", ".join(factors.get(f, f) for f in _ids(v)) for v in rows["faktorer"]
        ]
    columns["Kunskapsläge"] = [knowledge.get(v, v) for v in rows["kunskapslage"]]
    columns["Deltagare/år"] = [format_participants(v) for v in rows["deltagare_per_ar"]]
    if status is None:
        columns["Status"] = [statuses.get(v, v) for v in rows["status"]]
    return unbroken(pd.DataFrame(columns, dtype=object))


#: Captions of the inventory's parts, by status id.
INVENTORY_CAPTIONS = {
    ONGOING: "Pågående insatser",
    PLANNED: "Planerade insatser",
    ENDED: "Avslutade insatser",
}


def inventory_sections(
    insatser: pd.DataFrame, municipality_code: str, codebook: Codebook | None = None
) -> list[tuple[str, pd.DataFrame]]:
    """The inventory split by status, for the printed chapter: ``[(caption, table), ...]``.

    One compact :func:`inventory_table` per status that has interventions (codebook order),
    captioned "Pågående insatser (29)", "Planerade insatser (5)", "Avslutade insatser (4)".
    """
    codebook = codebook or load_codebook()
    statuses = codebook.labels("statuses")
    out = []
    for status in statuses:
        table = inventory_table(insatser, municipality_code, codebook, status=status, compact=True)
        if len(table):
            caption = INVENTORY_CAPTIONS.get(status, f"{statuses[status]} insatser")
            out.append((f"{caption} ({len(table)})", table))
    return out


def factor_table(
    insatser: pd.DataFrame, municipality_code: str, codebook: Codebook | None = None
) -> pd.DataFrame:
    """What each intervention says it addresses, as a display frame.

    Rows in the order of :func:`inventory_table`. Columns (text): ``Insats``, ``Status``,
    ``Risk- och skyddsfaktorer`` (index labels) and ``Push- och pullfaktorer`` (labels;
    "saknas" when the inventory names none). Ids not in the codebook are shown as written.
    """
    codebook = codebook or load_codebook()
    rows = _ordered(municipality_inventory(insatser, municipality_code), codebook)
    statuses = codebook.labels("statuses")
    factors = codebook.labels("indices")
    push_pull = codebook.labels("push_pull")
    return pd.DataFrame(
        {
            "Insats": rows["insats"].astype(str).tolist(),
            "Status": [statuses.get(v, v) for v in rows["status"]],
            "Risk- och skyddsfaktorer": [
                ", ".join(factors.get(f, f) for f in _ids(v)) or MISSING for v in rows["faktorer"]
            ],
            "Push- och pullfaktorer": [
                ", ".join(push_pull.get(f, f) for f in _ids(v)) or MISSING
                for v in rows["push_pull"]
            ],
        },
        dtype=object,
    )


def comment_table(
    insatser: pd.DataFrame, municipality_code: str, codebook: Codebook | None = None
) -> pd.DataFrame:
    """The inventory's comments: ``Insats`` and ``Kommentar``, only rows with a comment.

    Rows in the order of :func:`inventory_table`; the text is left as written (the table
    escapes it).
    """
    codebook = codebook or load_codebook()
    rows = _ordered(municipality_inventory(insatser, municipality_code), codebook)
    comment = rows["kommentar"].fillna("").astype(str).str.strip()
    rows = rows.loc[comment != ""]
    return pd.DataFrame(
        {"Insats": rows["insats"].astype(str).tolist(), "Kommentar": comment[comment != ""]},
        dtype=object,
    ).reset_index(drop=True)


# --- the life course ------------------------------------------------------------------------


def life_course_frame(
    insatser: pd.DataFrame, municipality_code: str, codebook: Codebook | None = None
) -> pd.DataFrame:
    """The interventions of the life-course figure: ongoing and planned, one row each.

    Ended interventions are left out (they are listed in the inventory). Rows: by level
    (codebook order), then first age, last age and name. Columns: ``insats``, ``level``,
    ``level_label``, ``targeting``, ``targeting_label``, ``knowledge``, ``knowledge_label``,
    ``status``, ``planned`` (bool), ``age_from``, ``age_to`` (int), ``start`` (= age_from) and
    ``end`` (= age_to + 1: the bar covers every year of its last age), ``participants`` (Int64,
    NA when not given).
    """
    codebook = codebook or load_codebook()
    rows = municipality_inventory(insatser, municipality_code)
    rows = rows.loc[rows["status"].isin([ONGOING, PLANNED])]
    rows = _ordered(rows, codebook, by_status=False)
    levels = codebook.labels("levels")
    targeting = codebook.labels("targeting")
    knowledge = codebook.labels("knowledge_levels")
    frame = pd.DataFrame(
        {
            "insats": rows["insats"].astype(str),
            "level": rows["niva"],
            "level_label": [levels.get(v, v) for v in rows["niva"]],
            "targeting": rows["inriktning"],
            "targeting_label": [targeting.get(v, v) for v in rows["inriktning"]],
            "knowledge": rows["kunskapslage"],
            "knowledge_label": [knowledge.get(v, v) for v in rows["kunskapslage"]],
            "status": rows["status"],
            "planned": rows["status"] == PLANNED,
            "age_from": rows["alder_fran"].astype(int),
            "age_to": rows["alder_till"].astype(int),
            "participants": rows["deltagare_per_ar"].astype("Int64"),
        }
    )
    frame["start"] = frame["age_from"]
    frame["end"] = frame["age_to"] + 1
    columns = [
        "insats",
        "level",
        "level_label",
        "targeting",
        "targeting_label",
        "knowledge",
        "knowledge_label",
        "status",
        "planned",
        "age_from",
        "age_to",
        "start",
        "end",
        "participants",
    ]
    return frame[columns].reset_index(drop=True)


# --- coverage cells -------------------------------------------------------------------------


def _cell_state(interventions: int, reach: object, complete: bool) -> str:
    if interventions == 0:
        return "empty"
    if is_missing(reach):
        return "unknown"
    return "known" if complete else "partial"


def protected_reach(
    state: str,
    reach: object,
    population: object = math.nan,
    participants: object = math.nan,
    few_interventions: object = 0,
    few_participants: object = 0.0,
) -> tuple[str, float, bool]:
    """A coverage cell's reach as printed, protected: ``(text, shown, coarse)``.

    ``text``: "0" (empty), "okänd" (unknown), "≥12" (a lower bound: some intervention gives no
    count) or "12" — unless the reach rests on a small group. Then (``coarse`` True):

    - the cell's known participants are 1–4 (no intervention of 1–4 in it): "under X", X the
      reach that 5 participants would give in the stage's ``population``;
    - it holds ``few_interventions`` reporting 1–4 a year (``few_participants`` of its
      participants): "≥" the reach of the others when they carry at least 5, else "under X"
      with X the reach of 5 participants for each such intervention (and 5 more for the
      others' part);
    - a lower bound (state "partial") that would have to read "under X" is "–" (not shown).

    ``shown``: the number a figure's colour uses (the lower bound, X, or the reach).
    """
    if state == "empty":
        return "0", 0.0, False
    if state == "unknown" or is_missing(reach):
        return UNKNOWN_REACH, math.nan, False
    reach = float(reach)
    few = 0 if is_missing(few_interventions) else int(few_interventions)
    known = math.inf  # participants unknown to this function: nothing to coarsen
    if not is_missing(participants):
        known = float(participants)
    elif not is_missing(population) and float(population) > 0:
        known = reach * float(population) / 1000
    others = known - (0.0 if is_missing(few_participants) else float(few_participants))
    prefix = "≥" if state == "partial" else ""
    if few and others >= DISCLOSURE_THRESHOLD:
        shown = reach * others / known if math.isfinite(known) else reach
        return f"≥{format_reach(shown)}", shown, True
    if few or 0 < known < DISCLOSURE_THRESHOLD:
        if prefix:
            return DASH, math.nan, True
        people = DISCLOSURE_THRESHOLD * (max(few, 1) + (1 if few and others > 0 else 0))
        limit = few_reach_limit(population, people)
        return format_reach_under(limit), limit, True
    return f"{prefix}{format_reach(reach)}", reach, False


def reach_text(state: str, reach: object, **protect: object) -> str:
    """A coverage cell's reach as printed: "0", "okänd", "≥12" (partly known) or "12"; with
    ``population``, ``participants``, ``few_interventions`` and ``few_participants``
    protected as :func:`protected_reach` says ("under 2,1", "≥12")."""
    return protected_reach(state, reach, **protect)[0]  # type: ignore[arg-type]


def coverage_cells(
    coverage: pd.DataFrame, municipality_code: str, codebook: Codebook | None = None
) -> pd.DataFrame:
    """The stage × level grid of ``coverage`` for one municipality, with the text of each cell.

    One row per level (codebook order) and life stage (by age). Columns: ``level``,
    ``level_label``, ``stage``, ``stage_label`` (name only), ``interventions``, ``planned``
    (int), ``participants``, ``reach_per_1000`` (float, NaN when unknown), ``reach_complete``
    (bool), ``state`` ("empty": no ongoing intervention; "unknown": interventions, none with a
    participant count; "partial": some without, so the reach is a lower bound; "known"),
    ``population`` (float), ``few_interventions`` (int: ongoing ones reporting 1–4
    participants a year), ``few_participants`` (float: their part of ``participants``),
    ``reach_text`` ("0", "okänd", "≥12", "12", or coarse: "under 2,1",
    see :func:`protected_reach`), ``reach_shown`` (float: the number behind the text, for a
    figure's colour), ``coarse`` (bool: the reach is printed coarsely to protect a small group)
    and ``count_text`` ("4 insatser", "1 insats", "inga insatser").
    """
    codebook = codebook or load_codebook()
    return _cells(coverage, municipality_code, codebook, "level", codebook.ids("levels"))


def _cells(
    table: pd.DataFrame, municipality_code: str, codebook: Codebook, key: str, keys: list[str]
) -> pd.DataFrame:
    stages = [s.id for s in sorted(codebook.life_stages, key=lambda s: s.age_from)]
    rows = table.loc[table["municipality_code"] == municipality_code].set_index([key, "stage"])
    records = []
    for k in keys:
        for stage in stages:
            row = rows.loc[(k, stage)] if (k, stage) in rows.index else None
            if isinstance(row, pd.DataFrame):
                row = row.iloc[0]
            n = 0 if row is None or is_missing(row["interventions"]) else int(row["interventions"])
            planned = 0 if row is None or is_missing(row["planned"]) else int(row["planned"])
            reach = math.nan if row is None else row["reach_per_1000"]
            reach = math.nan if is_missing(reach) else float(reach)
            participants = math.nan if row is None else row["participants"]
            participants = math.nan if is_missing(participants) else float(participants)
            complete = (
                True
                if row is None or is_missing(row["reach_complete"])
                else bool(row["reach_complete"])
            )
            state = _cell_state(n, reach, complete)
            population = math.nan if row is None else row.get("population", math.nan)
            population = math.nan if is_missing(population) else float(population)
            few = 0 if row is None else row.get("few_interventions", 0)
            few = 0 if is_missing(few) else int(few)
            few_p = 0.0 if row is None else row.get("few_participants", 0.0)
            text, shown, coarse = protected_reach(
                state, reach, population, participants, few, few_p
            )
            records.append(
                {
                    key: k,
                    "stage": stage,
                    "stage_label": stage_label(stage, codebook, ages=False),
                    "interventions": n,
                    "planned": planned,
                    "participants": participants,
                    "reach_per_1000": reach,
                    "reach_complete": complete,
                    "state": state,
                    "population": population,
                    "few_interventions": few,
                    "few_participants": 0.0 if is_missing(few_p) else float(few_p),
                    "reach_text": text,
                    "reach_shown": shown,
                    "coarse": coarse,
                    "count_text": plural(n, "insats", "insatser") if n else "inga insatser",
                }
            )
    frame = pd.DataFrame(records)
    if key == "level":
        labels = codebook.labels("levels")
        frame.insert(1, "level_label", frame["level"].map(lambda v: labels.get(v, v)))
    return frame


def gap_factors(gaps: pd.DataFrame, municipality_code: str) -> list[str]:
    """The municipality's priority factors (those in the gap table), best rank first."""
    rows = gaps.loc[gaps["municipality_code"] == municipality_code]
    if rows.empty:
        return []
    rank = rows.groupby("factor", sort=False)["rank"].min().astype("Float64").fillna(math.inf)
    return list(rank.sort_values(kind="stable").index)


def factor_cells(
    factor_coverage: pd.DataFrame,
    gaps: pd.DataFrame,
    municipality_code: str,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """The factor × stage grid of ``factor_coverage`` for one municipality, for the heatmap.

    One row per risk or protective factor (risk first, by domain, as in chapter 02) and life
    stage. Columns as :func:`coverage_cells` with ``factor`` for ``level`` (and no level
    label), plus ``label`` (factor label), ``kind``, ``applicable`` (bool: the codebook says
    the factor can be addressed at that stage), ``priority`` (bool: the factor is in the gap
    table) and ``gap`` (the gap status of the cell, "saknas", "tunn" or "" when none).
    """

    codebook = codebook or load_codebook()
    factors = factor_frame(codebook)
    frame = _cells(factor_coverage, municipality_code, codebook, "factor", list(factors["factor"]))
    info = factors.set_index("factor")
    frame.insert(1, "label", frame["factor"].map(info["label"]))
    frame.insert(2, "kind", frame["factor"].map(info["kind"]))
    stages = {i.id: set(i.stages) for i in codebook.indices}
    frame["applicable"] = [
        s in stages.get(f, set()) for f, s in zip(frame["factor"], frame["stage"], strict=True)
    ]
    own = gaps.loc[gaps["municipality_code"] == municipality_code]
    frame["priority"] = frame["factor"].isin(set(own["factor"]))
    status = {
        (f, s): st for f, s, st in zip(own["factor"], own["stage"], own["status"], strict=True)
    }
    frame["gap"] = [
        status.get((f, s), "") if status.get((f, s), "") in GAP_ORDER else ""
        for f, s in zip(frame["factor"], frame["stage"], strict=True)
    ]
    return frame


# --- gaps -----------------------------------------------------------------------------------


def _count_phrase(n: int) -> str:
    return f"{number_word(n)} pågående {'insats' if n == 1 else 'insatser'}"


def gap_sentence(row: Mapping | pd.Series, codebook: Codebook) -> str:
    """The plain Swedish sentence for one row of the gap table (status "saknas", "tunn" or
    "okänd"); "" for "finns". ``row``: a row of :func:`fouanalys.coverage.gap_table`."""
    status = row["status"]
    if status not in GAP_ORDER:
        return ""
    label = codebook.labels("indices").get(row["factor"], row["factor"])
    subject = f"{label[:1].upper()}{label[1:]} är {PRIORITISED}"
    verb = "stärker den" if row["kind"] == "protective" else "riktar sig mot den"
    stage = stage_phrase(row["stage"], codebook)
    if status == "saknas":
        return f"{subject}, men ingen pågående insats {verb} för {stage} (saknas)."
    n = int(row["interventions"])
    limit = f"{format_number(THIN_REACH_PER_1000)} per 1{NBSP}000"
    if status == "tunn":
        reach = _gap_reach(row, "known")
        return (
            f"{subject}, men {_count_phrase(n)} {verb} för {stage} och når {reach} per "
            f"1{NBSP}000 invånare, under {limit} (tunn)."
        )
    unknown = int(row["unknown_reach"])
    known = row["reach_per_1000"]
    without = "ingen av dem anger" if unknown == n else f"{number_word(unknown)} av dem anger inte"
    reach = (
        ""
        if is_missing(known)
        else f"; de övriga når {_gap_reach(row, 'known')} per 1{NBSP}000 invånare"
    )
    return (
        f"{subject}, och {_count_phrase(n)} {verb} för {stage}, men {without} antal "
        f"deltagare{reach}: om räckvidden når {limit} är okänt (okänd)."
    )


def _gap_reach(row: Mapping | pd.Series, state: str) -> str:
    """A gap row's known reach in words, protected like a coverage cell ("minst 12",
    "under 2,1"); the population is the one the reach was computed on."""
    reach, participants = row["reach_per_1000"], row.get("participants", math.nan)
    population = (
        1000 * float(participants) / float(reach)
        if not is_missing(reach) and not is_missing(participants) and float(reach) > 0
        else math.nan
    )
    text = reach_text(
        state,
        reach,
        population=population,
        participants=participants,
        few_interventions=row.get("few_interventions", 0),
        few_participants=row.get("few_participants", 0.0),
    )
    return f"minst {text[1:]}" if text.startswith("≥") else text


def _gap_rows(
    gaps: pd.DataFrame, municipality_code: str | None, codebook: Codebook
) -> pd.DataFrame:
    rows = (
        gaps
        if municipality_code is None
        else gaps.loc[gaps["municipality_code"] == municipality_code]
    )
    rows = rows.loc[rows["status"].isin(GAP_ORDER)]
    stage_order = {
        s.id: i for i, s in enumerate(sorted(codebook.life_stages, key=lambda s: s.age_from))
    }
    factor_order = {i.id: n for n, i in enumerate(codebook.indices)}
    keyed = rows.assign(
        _status=rows["status"].map({s: i for i, s in enumerate(GAP_ORDER)}),
        _rank=rows["rank"].astype("Float64").fillna(math.inf).astype(float),
        _factor=rows["factor"].map(factor_order).fillna(len(factor_order)),
        _stage=rows["stage"].map(stage_order).fillna(len(stage_order)),
    )
    keys = ["_status", "_rank", "_factor", "_stage"]
    return keyed.sort_values(keys, kind="stable").drop(columns=keys)


def gap_list(
    gaps: pd.DataFrame,
    municipality_code: str | None = None,
    codebook: Codebook | None = None,
    limit: int | None = None,
) -> list[str]:
    """The gaps as plain Swedish sentences (:func:`gap_sentence`), most serious first.

    Cells with no ongoing intervention ("saknas") come first, then thin ("tunn") and unknown
    ("okänd") ones; within each, by the factor's rank (1 first), then factor (codebook order),
    then life stage. With ``limit``, at most that many sentences and then one saying how many
    more there are. When there are no gaps, one sentence says so. Sentences are HTML-escaped
    for Markdown.
    """
    codebook = codebook or load_codebook()
    rows = _gap_rows(gaps, municipality_code, codebook)
    if rows.empty:
        own = (
            gaps
            if municipality_code is None
            else gaps.loc[gaps["municipality_code"] == municipality_code]
        )
        if own.empty:
            return [f"Det finns inga {PRIORITISED}e faktorer att jämföra insatserna med."]
        return [
            f"Varje {PRIORITISED} faktor når minst {format_number(THIN_REACH_PER_1000)} per "
            f"1{NBSP}000 invånare med pågående insatser i alla åldersgrupper där den kan "
            "påverkas."
        ]
    sentences = [markdown_safe(gap_sentence(r, codebook)) for r in rows.to_dict("records")]
    if limit is not None and len(sentences) > limit:
        rest = len(sentences) - limit
        sentences = sentences[:limit]
        sentences.append(f"Ytterligare {plural(rest, 'lucka', 'luckor')} redovisas under Luckor.")
    return sentences


def gap_counts(gaps: pd.DataFrame, municipality_code: str | None = None) -> dict[str, int]:
    """How many prioritised factor × stage cells have each status (all four, zeros too)."""
    own = (
        gaps
        if municipality_code is None
        else gaps.loc[gaps["municipality_code"] == municipality_code]
    )
    counts = own["status"].value_counts()
    return {status: int(counts.get(status, 0)) for status in GAP_STATUS_LABELS}


def priority_year(priority_table: pd.DataFrame, municipality_code: str) -> int | None:
    """The survey year the municipality's priorities (and so its gaps) are from: its latest."""
    years = priority_table.loc[priority_table["municipality_code"] == municipality_code, "year"]
    return int(years.max()) if len(years) else None


def no_priority_sentence(municipality_code: str, year: int | None, codebook: Codebook) -> str:
    """The plain statement for a municipality without a prioritised factor."""
    name = codebook.municipality_name(municipality_code)
    when = f" år {int(year)}" if year is not None else ""
    return (
        f"{name} har ingen {PRIORITISED} risk- eller skyddsfaktor{when}: ingen faktor ligger "
        "statistiskt säkert sämre till än i övriga regionen, för alla elever eller för någon "
        "grupp efter kön och årskurs. Insatserna jämförs därför inte med några prioriteringar."
    )


def finding_line(
    priority_factors: pd.DataFrame,
    gaps: pd.DataFrame,
    municipality_code: str,
    codebook: Codebook | None = None,
) -> str:
    """One plain line for the index page: the prioritised factors and the gaps they have.

    "Prioriterade faktorer 2024: impulsivitet och normbrytande attityder; positivt
    skolklimat. Luckor längs livsförloppet: 1 saknas, 3 tunn, 1 okänd." From the same tables
    the chapters read (``priority_factors.parquet``, ``gaps.parquet``).
    """
    codebook = codebook or load_codebook()
    year = priority_year(priority_factors, municipality_code)
    if year is None:
        return ""
    chosen = prioritised(priority_factors, municipality_code, year)
    if chosen.empty:
        return f"Ingen {PRIORITISED} risk- eller skyddsfaktor {year}."
    labels = codebook.labels("indices")
    # factor names hold "och" themselves: semicolons keep them apart
    names = "; ".join(lower_first(labels.get(f, f)) for f in chosen["factor"])
    counts = gap_counts(gaps, municipality_code)
    found = [f"{format_number(counts[s])} {GAP_STATUS_LABELS[s]}" for s in GAP_ORDER if counts[s]]
    gaps_text = ", ".join(found) if found else "inga"
    title = f"{PRIORITISED.capitalize()}{'e faktorer' if len(chosen) > 1 else ' faktor'}"
    return f"{title} {year}: {names}. Luckor längs livsförloppet: {gaps_text}."


def gap_summary(
    gaps: pd.DataFrame,
    municipality_code: str,
    codebook: Codebook | None = None,
    year: int | None = None,
) -> str:
    """One or two sentences counting the gaps among the prioritised factor × stage cells.

    "För de 3 prioriterade faktorerna finns 11 kombinationer av faktor och åldersgrupp där
    faktorn kan påverkas. I 2 saknas pågående insatser, i 1 är täckningen tunn och i 3 är
    räckvidden okänd." A municipality without a prioritised factor is told so plainly.
    """
    codebook = codebook or load_codebook()
    own = gaps.loc[gaps["municipality_code"] == municipality_code]
    if own.empty:
        return no_priority_sentence(municipality_code, year, codebook)
    factors = own["factor"].nunique()
    cells = len(own)
    counts = gap_counts(own)
    who = (
        f"den {PRIORITISED}e faktorn"
        if factors == 1
        else f"de {number_word(factors)} {PRIORITISED}e faktorerna"
    )
    opening = (
        f"För {who} finns {plural(cells, 'kombination', 'kombinationer')} av faktor och "
        "åldersgrupp där faktorn kan påverkas."
    )
    parts = []
    if counts["saknas"]:
        parts.append(f"i {format_number(counts['saknas'])} saknas pågående insatser")
    if counts["tunn"]:
        parts.append(f"i {format_number(counts['tunn'])} är täckningen tunn")
    if counts["okänd"]:
        parts.append(f"i {format_number(counts['okänd'])} är räckvidden okänd")
    if counts["finns"]:
        parts.append(
            f"i {format_number(counts['finns'])} når insatserna minst "
            f"{format_number(THIN_REACH_PER_1000)} per 1{NBSP}000 invånare"
        )
    text = join_words(parts)
    return f"{opening} {text[:1].upper()}{text[1:]}."


# --- targeting and knowledge ----------------------------------------------------------------


def pyramid_frame(
    insatser: pd.DataFrame,
    municipality_code: str,
    codebook: Codebook | None = None,
    targeting_coverage: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The prevention pyramid: ongoing interventions per targeting, universal first.

    One row per targeting (codebook order: universell, selektiv, indikerad). Columns:
    ``targeting``, ``targeting_label``, ``interventions`` (ongoing, each counted once),
    ``planned``, ``with_participants``, ``without_participants`` (int), ``participants``
    (float: the known participants a year, NaN when none is known), ``population`` (float:
    inhabitants 0–25 from ``targeting_coverage``'s stage populations, NaN without it),
    ``reach_per_1000`` (1 000 × participants / population, NaN when either is missing),
    ``few_interventions`` (int: ongoing ones reporting 1–4 participants a year),
    ``participants_text`` (the known participants as printed: "340", or without the small
    counts "minst 336" / "färre än 5") and ``reach_text`` (as :func:`protected_reach`).
    """
    codebook = codebook or load_codebook()
    rows = municipality_inventory(insatser, municipality_code)
    population = math.nan
    if targeting_coverage is not None:
        own = targeting_coverage.loc[targeting_coverage["municipality_code"] == municipality_code]
        if not own.empty:
            population = float(own.drop_duplicates("stage")["population"].astype(float).sum())
    labels = codebook.labels("targeting")
    records = []
    for t in codebook.ids("targeting"):
        mine = rows.loc[rows["inriktning"] == t]
        ongoing = mine.loc[mine["status"] == ONGOING]
        known = ongoing["deltagare_per_ar"].dropna().astype(float)
        participants = float(known.sum()) if len(known) else math.nan
        reach = (
            1000 * participants / population
            if not math.isnan(participants) and population and not math.isnan(population)
            else math.nan
        )
        few = known[(known > 0) & (known < DISCLOSURE_THRESHOLD)]
        shown_participants = (
            format_participants(participants - float(few.sum()), few=len(few))
            if len(few)
            else format_participants(participants)
        )
        state = _cell_state(len(ongoing), reach, True)
        records.append(
            {
                "targeting": t,
                "targeting_label": labels[t],
                "interventions": len(ongoing),
                "planned": int((mine["status"] == PLANNED).sum()),
                "with_participants": len(known),
                "without_participants": len(ongoing) - len(known),
                "participants": participants,
                "population": population,
                "reach_per_1000": reach,
                "few_interventions": len(few),
                "participants_text": shown_participants,
                "reach_text": reach_text(
                    state,
                    reach,
                    population=population,
                    participants=participants,
                    few_interventions=len(few),
                    few_participants=float(few.sum()),
                ),
            }
        )
    return pd.DataFrame(records)


def _share_or_not_applicable(share: object) -> str:
    """A share, or "ej tillämpligt" where there is nothing to take a share of."""
    return NOT_APPLICABLE if is_missing(share) else format_share(share)


def knowledge_table(
    knowledge_profile: pd.DataFrame, municipality_code: str, codebook: Codebook | None = None
) -> pd.DataFrame:
    """The ongoing interventions by knowledge level, as a display frame.

    One row per knowledge level (codebook order: evidensbaserad, kunskapsbaserad, lovande, ej
    bedömd). Columns (text): ``Kunskapsläge``, ``Pågående insatser``, ``Andel av insatserna``,
    ``Deltagare per år`` (known participants; "okänt" when none of the level's interventions
    gives a count, "0" when it has none; without the counts of 1–4, "minst 336" or "färre än
    5", when the level has such an intervention) and ``Andel av deltagarna`` (share of all known
    participants). Shares are "ej tillämpligt" where the profile has none: no ongoing
    intervention at all, or no known participants (nothing is suppressed here, so no "–").
    """
    codebook = codebook or load_codebook()
    rows = knowledge_profile.loc[knowledge_profile["municipality_code"] == municipality_code]
    rows = rows.set_index("knowledge")
    out = []
    for k, label in codebook.labels("knowledge_levels").items():
        row = rows.loc[k] if k in rows.index else None
        n = 0 if row is None or is_missing(row["interventions"]) else int(row["interventions"])
        share = math.nan if row is None else row["share_of_interventions"]
        participants = math.nan if row is None else row["participants"]
        reach = math.nan if row is None else row["share_of_reach"]
        few = 0 if row is None else row.get("few_interventions", 0)
        few = 0 if is_missing(few) else int(few)
        if few:
            participants = float(participants) - float(row.get("few_participants", 0.0))
        out.append(
            {
                "Kunskapsläge": label,
                "Pågående insatser": str(n),
                "Andel av insatserna": _share_or_not_applicable(share),
                "Deltagare per år": "0" if n == 0 else format_participants(participants, few),
                "Andel av deltagarna": _share_or_not_applicable(reach),
            }
        )
    return pd.DataFrame(out, dtype=object)


def small_group_rule() -> str:
    """The method paragraph on how chapter 03 protects small groups (Markdown)."""
    t = format_number(DISCLOSURE_THRESHOLD)
    return (
        f"**Små grupper.** Ett antal deltagare på 1–{format_number(DISCLOSURE_THRESHOLD - 1)} "
        f"per år redovisas som *färre än {t}*: i insatser för små grupper, som "
        "avhopparverksamhet, kan ett exakt tal peka ut enskilda. En summa som innehåller ett "
        f"sådant antal redovisas utan det, som *minst* summan av de övriga (eller *färre än {t}* "
        "när inget annat finns), så att antalet inte kan räknas fram som summan minus de andra "
        f"insatserna. En räckvidd som vilar på färre än {t} deltagare redovisas som *under* den "
        f"räckvidd som {t} deltagare skulle ge, så att räckvidd × invånare / 1 000 inte ger "
        "antalet; finns det i rutan en sådan insats och andra som tillsammans når minst "
        f"{t}, redovisas räckvidden utan den, som en nedre gräns (**≥**). En nedre gräns som "
        "skulle behöva skrivas som *under* visas inte (**–**)."
    )


def small_group_legend() -> dict[str, str]:
    """Legend entries for a table that may show a protected participant count."""
    return {
        FEW: f"{FEW} = 1–{format_number(DISCLOSURE_THRESHOLD - 1)} deltagare per år; ett så "
        "litet antal redovisas inte exakt.",
    }


def knowledge_note(table: pd.DataFrame) -> str:
    """The knowledge table's note; it says what "minst" means when a cell uses it."""
    note = "Andel av deltagarna räknas bara på de insatser som anger antal deltagare."
    texts = [str(v) for v in table.to_numpy().ravel()]
    if any(re.match(r"minst\s", v) for v in texts):  # "minst 336", its space a no-break one
        note += (
            f" minst = summan utan insatser med färre än {format_number(DISCLOSURE_THRESHOLD)} "
            "deltagare per år."
        )
    return note


# --- push and pull factors ------------------------------------------------------------------


def push_pull_summary(
    insatser: pd.DataFrame, municipality_code: str, codebook: Codebook | None = None
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The push and pull factors the ongoing interventions address, and those they do not.

    Returns ``(addressed, not_addressed)``, each a dict from kind ("push", "pull", codebook
    order) to the factors' Swedish labels in codebook order. Only ongoing interventions
    count; ids that are not in the codebook are ignored.
    """
    codebook = codebook or load_codebook()
    rows = municipality_inventory(insatser, municipality_code)
    named = {i for v in rows.loc[rows["status"] == ONGOING, "push_pull"] for i in _ids(v)}
    kinds = codebook.ids("push_pull_kinds")
    addressed: dict[str, list[str]] = {k: [] for k in kinds}
    not_addressed: dict[str, list[str]] = {k: [] for k in kinds}
    for factor in codebook.push_pull:
        target = addressed if factor.id in named else not_addressed
        target.setdefault(factor.kind, []).append(factor.label)
    return addressed, not_addressed


def push_pull_planned(
    insatser: pd.DataFrame, municipality_code: str, codebook: Codebook | None = None
) -> list[str]:
    """Labels of push/pull factors only planned interventions address (codebook order)."""
    codebook = codebook or load_codebook()
    rows = municipality_inventory(insatser, municipality_code)
    ongoing = {i for v in rows.loc[rows["status"] == ONGOING, "push_pull"] for i in _ids(v)}
    planned = {i for v in rows.loc[rows["status"] == PLANNED, "push_pull"] for i in _ids(v)}
    return [f.label for f in codebook.push_pull if f.id in planned - ongoing]


_KIND_WORDS = {"push": "Pushfaktorer", "pull": "Pullfaktorer"}


def push_pull_sentences(
    insatser: pd.DataFrame, municipality_code: str, codebook: Codebook | None = None
) -> list[str]:
    """Markdown lines on the push and pull factors, addressed and not, for the chapter.

    Per kind (push, then pull): "**Pushfaktorer som minst en pågående insats tar upp (3 av
    9):** dåliga framtidsutsikter, utbildning och tillgång till arbetsmarknaden." and "**…
    som ingen pågående insats tar upp (6):** …" (or that every one is addressed); then, when
    planned interventions would add some, a line naming them. Inside a sentence a factor's
    name starts in lower case, as risk factors' names do (:func:`lower_first`, which keeps an
    opening abbreviation); tables keep the codebook's capitalised labels.
    """
    codebook = codebook or load_codebook()
    addressed, not_addressed = push_pull_summary(insatser, municipality_code, codebook)
    lines = []
    for kind in codebook.ids("push_pull_kinds"):
        word = _KIND_WORDS.get(kind, kind)
        yes = [lower_first(label) for label in addressed.get(kind, [])]
        no = [lower_first(label) for label in not_addressed.get(kind, [])]
        total = len(yes) + len(no)
        if yes:
            lines.append(
                f"**{word} som minst en pågående insats tar upp ({len(yes)} av {total}):** "
                f"{join_words(yes)}."
            )
        else:
            lines.append(f"**{word}:** ingen pågående insats tar upp någon av dem.")
        if no and yes:
            lines.append(
                f"**{word} som ingen pågående insats tar upp ({len(no)}):** {join_words(no)}."
            )
        elif yes:
            lines.append(f"**{word}:** alla tas upp av minst en pågående insats.")
    planned = [
        lower_first(label) for label in push_pull_planned(insatser, municipality_code, codebook)
    ]
    if planned:
        lines.append(f"**Bara i planerade insatser:** {join_words(planned)}.")
    return [markdown_safe(line) for line in lines]


# --- quality questions (Data i Dialog, step 2) ----------------------------------------------

#: The knowledge levels the quality section counts as resting on evidence or knowledge.
WELL_FOUNDED = ("evidensbaserad", "kunskapsbaserad")
#: The answers a share of the section is about, and the question its sentences single out.
YES, PARTLY = "ja", "delvis"
RESULTS_QUESTION = "uppfoljning_resultat"


def _quality_rows(
    quality_profile: pd.DataFrame, municipality_code: str
) -> dict[tuple[str, str, str], int]:
    """The municipality's counts by (level, question, answer)."""
    rows = quality_profile.loc[quality_profile["municipality_code"] == municipality_code]
    return {
        (lv, q, a): 0 if is_missing(n) else int(n)
        for lv, q, a, n in rows[["level", "question", "answer", "interventions"]].itertuples(
            index=False
        )
    }


def _level_labels(codebook: Codebook) -> dict[str, str]:
    """The levels of the quality profile (codebook order, then all levels) with their labels."""
    return codebook.labels("levels") | {TOTAL_LEVEL: QUALITY_CODE_LABELS[TOTAL_LEVEL]}


def quality_levels(
    quality_profile: pd.DataFrame, municipality_code: str, codebook: Codebook | None = None
) -> pd.DataFrame:
    """Per prevention level (codebook order, then all levels): the ongoing interventions and how
    many rest on evidence or knowledge.

    From the quality profile's knowledge item, the knowledge profile's set of interventions
    (so the all-levels row gives the knowledge table's numbers). Columns: ``level``,
    ``level_label`` (str), ``ongoing``, ``well_founded`` (int: evidence- or knowledge-based),
    ``well_founded_share`` (float, NaN without ongoing interventions) and
    ``well_founded_text`` ("7 av 9 (78 %)", "inga pågående insatser").
    """
    codebook = codebook or load_codebook()
    counts = _quality_rows(quality_profile, municipality_code)
    records = []
    for level, label in _level_labels(codebook).items():
        per = {
            k: counts.get((level, KNOWLEDGE_ITEM, k), 0) for k in codebook.ids("knowledge_levels")
        }
        ongoing = sum(per.values())
        well = sum(per.get(k, 0) for k in WELL_FOUNDED)
        share = well / ongoing if ongoing else math.nan
        records.append(
            {
                "level": level,
                "level_label": label,
                "ongoing": ongoing,
                "well_founded": well,
                "well_founded_share": share,
                "well_founded_text": (
                    f"{format_number(well)} av {format_number(ongoing)} ({format_share(share)})"
                    if ongoing
                    else "inga pågående insatser"
                ),
            }
        )
    return pd.DataFrame(records)


def quality_frame(
    quality_profile: pd.DataFrame, municipality_code: str, codebook: Codebook | None = None
) -> pd.DataFrame:
    """The answers to the quality questions per level and question, for the figure and table.

    One row per level (codebook order, then all levels) × question (codebook order) × answer
    (codebook order, then not answered). Columns: ``level``, ``level_label``, ``question``,
    ``question_label``, ``answer``, ``answer_label`` (str), ``interventions`` (int: ongoing ones
    with this answer), ``ongoing`` (int: the level's ongoing interventions) and ``share``
    (float: of them; NaN when the level has none).
    """
    codebook = codebook or load_codebook()
    counts = _quality_rows(quality_profile, municipality_code)
    questions = codebook.labels("quality_questions")
    answers = codebook.labels("quality_answers") | {NOT_ANSWERED: QUALITY_CODE_LABELS[NOT_ANSWERED]}
    records = []
    for level, level_label in _level_labels(codebook).items():
        for q, q_label in questions.items():
            per = {a: counts.get((level, q, a), 0) for a in answers}
            ongoing = sum(per.values())
            for a, a_label in answers.items():
                records.append(
                    {
                        "level": level,
                        "level_label": level_label,
                        "question": q,
                        "question_label": q_label,
                        "answer": a,
                        "answer_label": a_label,
                        "interventions": per[a],
                        "ongoing": ongoing,
                        "share": per[a] / ongoing if ongoing else math.nan,
                    }
                )
    return pd.DataFrame(records)


def has_quality_answers(quality_profile: pd.DataFrame, municipality_code: str) -> bool:
    """Whether any ongoing intervention of the municipality answered any quality question."""
    rows = quality_profile.loc[
        (quality_profile["municipality_code"] == municipality_code)
        & (quality_profile["level"] == TOTAL_LEVEL)
        & (quality_profile["question"] != KNOWLEDGE_ITEM)
        & (quality_profile["answer"] != NOT_ANSWERED)
    ]
    return bool(rows["interventions"].fillna(0).astype(int).sum() > 0)


def answer_shares_text(yes: object, partly: object) -> str:
    """The shares answering "ja" and "delvis", each kept on one line: "ja 43 % · delvis 21 %";
    "" for a level without ongoing interventions (nothing to take a share of)."""
    if is_missing(yes) or is_missing(partly):
        return ""
    return f"ja{NBSP}{format_share(yes)} · delvis{NBSP}{format_share(partly)}"


def quality_question_list(codebook: Codebook | None = None) -> str:
    """The quality questions as a Markdown list, from the codebook: "- **Skriftliga mål:** har
    insatsen skriftliga mål?"."""
    codebook = codebook or load_codebook()
    return "\n".join(
        f"- **{q.label}:** {lower_first(q.description or q.label)}"
        for q in codebook.quality_questions
    )


def _question_phrase(label: str) -> str:
    """ "frågan om uppföljning av resultat" """
    return f"frågan om {lower_first(label)}"


def _questions_phrase(rows: pd.DataFrame) -> str:
    """Questions with one share of "ja", in order: "frågan om ansvarig organisation (75 %)",
    or for a tie "frågorna om långsiktig finansiering och uppföljning av resultat (33 %
    vardera)"."""
    labels = [lower_first(label) for label in rows["question_label"]]
    share = format_share(rows["share"].iloc[0])
    if len(labels) == 1:
        return f"frågan om {labels[0]} ({share})"
    return f"frågorna om {join_words(labels)} ({share} vardera)"


def _answers_at(frame: pd.DataFrame, level: str, question: str) -> tuple[dict[str, int], int]:
    """The counts by answer of one level and question, and the level's ongoing interventions."""
    rows = frame.loc[(frame["level"] == level) & (frame["question"] == question)]
    counts = dict(zip(rows["answer"], rows["interventions"].astype(int), strict=True))
    return counts, int(rows["ongoing"].iloc[0]) if len(rows) else 0


def _results_sentence(frame: pd.DataFrame, codebook: Codebook) -> str:
    """How many ongoing interventions answer "ja" and "delvis" to the results question, and
    the level with the lowest share of "ja" (when the levels with ongoing work differ)."""
    label = codebook.labels("quality_questions").get(RESULTS_QUESTION, RESULTS_QUESTION)
    question = _question_phrase(label)
    counts, ongoing = _answers_at(frame, TOTAL_LEVEL, RESULTS_QUESTION)
    yes, partly = counts.get(YES, 0), counts.get(PARTLY, 0)
    if ongoing == 1:
        answered = next((a for a, n in counts.items() if n and a != NOT_ANSWERED), None)
        if answered is None:
            return f"Den enda pågående insatsen har inte besvarat {question}."
        word = codebook.labels("quality_answers").get(answered, answered).lower()
        return f"Den enda pågående insatsen svarar {word} på {question}."
    who = format_number(yes) if yes else "ingen"
    text = (
        f"På {question} svarar {who} av de {format_number(ongoing)} pågående insatserna ja "
        f"({format_share(yes / ongoing)})"
    )
    if partly:
        text += f" och {format_number(partly)} delvis"
    shares = []
    for level in codebook.ids("levels"):
        level_counts, n = _answers_at(frame, level, RESULTS_QUESTION)
        if n:
            shares.append((level_counts.get(YES, 0) / n, level, level_counts.get(YES, 0), n))
    if len({share for share, *_ in shares}) > 1:
        _, level, y, n = min(shares, key=lambda s: s[0])  # a tie: the first level
        name = codebook.labels("levels")[level].lower()
        text += f"; lägst andel ja har nivån {name}, {format_number(y)} av {format_number(n)}"
    return text + "."


def quality_missing_sentence(
    quality_profile: pd.DataFrame, municipality_code: str, codebook: Codebook | None = None
) -> str:
    """The section's one sentence in place of its figure and table, when the municipality has
    no ongoing intervention, or none of them answered any question (an inventory without the
    quality columns, or with them empty). HTML-escaped for Markdown."""
    codebook = codebook or load_codebook()
    name = codebook.municipality_name(municipality_code)
    levels = quality_levels(quality_profile, municipality_code, codebook).set_index("level")
    if not int(levels.at[TOTAL_LEVEL, "ongoing"]):
        return markdown_safe(f"{name} har inga pågående insatser, så det finns inga svar att visa.")
    return markdown_safe(
        f"Kartläggningen för {name} har inga svar på de fem frågorna för de pågående "
        "insatserna, så avsnittet har inget att visa."
    )


def quality_summary(
    quality_profile: pd.DataFrame, municipality_code: str, codebook: Codebook | None = None
) -> list[str]:
    """The chapter summary's sentence on following up results: "På frågan om uppföljning av
    resultat svarar 3 av de 20 pågående insatserna ja (15 %) och 4 delvis; lägst andel ja har
    nivån förebygga, 1 av 9." An empty list without ongoing interventions or answers.
    HTML-escaped for Markdown."""
    codebook = codebook or load_codebook()
    if not has_quality_answers(quality_profile, municipality_code):
        return []
    frame = quality_frame(quality_profile, municipality_code, codebook)
    return [markdown_safe(_results_sentence(frame, codebook))]


def _reach_sentence(
    quality_profile: pd.DataFrame, municipality_code: str, codebook: Codebook
) -> str | None:
    """The share of the known participants that are in interventions answering "ja" to the
    results question ("under 1 %" for a share above 0 that would print as "0 %"), or that it is
    unknown when none of them gives a count; None when none answers "ja" or no ongoing
    intervention gives a count."""
    rows = quality_profile.loc[
        (quality_profile["municipality_code"] == municipality_code)
        & (quality_profile["level"] == TOTAL_LEVEL)
        & (quality_profile["question"] == RESULTS_QUESTION)
    ].set_index("answer")
    if rows.empty or YES not in rows.index or not int(rows.at[YES, "interventions"]):
        return None
    known = int(rows["with_participants"].fillna(0).sum())
    share = rows.at[YES, "share_of_reach"]
    if known == 0 or is_missing(share):
        return None
    label = codebook.labels("quality_questions").get(RESULTS_QUESTION, RESULTS_QUESTION)
    if not int(rows.at[YES, "with_participants"]):
        return (
            "Räknat i deltagare går andelen inte att ange: ingen av de insatser som svarar ja "
            f"på {_question_phrase(label)} anger antal deltagare."
        )
    which = (
        "den enda pågående insats" if known == 1 else f"de {format_number(known)} pågående insatser"
    )
    shown = format_share(share)
    if float(share) > 0 and shown == format_share(0):
        shown = f"under{NBSP}{format_share(0.01)}"
    return (
        f"Räknat i deltagare i stället för i insatser når de insatser som svarar ja på "
        f"{_question_phrase(label)} {shown} av deltagarna per år; där ingår "
        f"bara {which} som anger antal deltagare."
    )


def quality_basis(
    quality_profile: pd.DataFrame, municipality_code: str, codebook: Codebook | None = None
) -> str:
    """What the section's shares are taken over, and how many answers were left blank: "Andelarna
    räknas på de 20 pågående insatserna, samma som i tabellen över kunskapsläge, och efter antal
    insatser, inte efter deltagare: en liten insats väger lika mycket som en stor. 13 av de 100
    svaren saknas, eftersom frågan lämnades tom; de redovisas som *ej besvarad*." (Markdown,
    HTML-escaped; for a municipality with answers, see :func:`has_quality_answers`.)"""
    codebook = codebook or load_codebook()
    frame = quality_frame(quality_profile, municipality_code, codebook)
    total = frame.loc[frame["level"] == TOTAL_LEVEL]
    ongoing = int(total["ongoing"].max()) if len(total) else 0
    which = (
        "den pågående insatsen"
        if ongoing == 1
        else f"de {format_number(ongoing)} pågående insatserna"
    )
    text = (
        f"Andelarna räknas på {which}, samma som i tabellen över kunskapsläge, och efter antal "
        "insatser, inte efter deltagare: en liten insats väger lika mycket som en stor."
    )
    n_blank = int(total.loc[total["answer"] == NOT_ANSWERED, "interventions"].sum())
    n_answers = ongoing * total["question"].nunique()
    if n_blank:
        text += (
            f" {format_number(n_blank)} av de {format_number(n_answers)} svaren saknas, "
            "eftersom frågan lämnades tom; de redovisas som "
            f"*{QUALITY_CODE_LABELS[NOT_ANSWERED].lower()}*."
        )
    else:
        text += " Alla pågående insatser har besvarat alla frågorna."
    return markdown_safe(text)


def quality_sentences(
    quality_profile: pd.DataFrame, municipality_code: str, codebook: Codebook | None = None
) -> list[str]:
    """The section's findings, for a list (Markdown, HTML-escaped): the results question
    (:func:`quality_summary`'s sentence), the questions with the most and the fewest "ja", and
    the share of the known participants in interventions answering "ja" to the results
    question. Empty without answers (the section then shows
    :func:`quality_missing_sentence`)."""
    codebook = codebook or load_codebook()
    if not has_quality_answers(quality_profile, municipality_code):
        return []
    frame = quality_frame(quality_profile, municipality_code, codebook)
    sentences = [_results_sentence(frame, codebook)]
    total = frame.loc[(frame["level"] == TOTAL_LEVEL) & (frame["answer"] == YES)]
    if int(total["ongoing"].max()) > 1 and total["share"].nunique() > 1:
        most = total.loc[total["interventions"] == total["interventions"].max()]
        least = total.loc[total["interventions"] == total["interventions"].min()]
        sentences.append(
            f"Flest ja får {_questions_phrase(most)}, minst {_questions_phrase(least)}."
        )
    reach = _reach_sentence(quality_profile, municipality_code, codebook)
    if reach:
        sentences.append(reach)
    return [markdown_safe(t) for t in sentences]


def quality_table(
    quality_profile: pd.DataFrame, municipality_code: str, codebook: Codebook | None = None
) -> pd.DataFrame:
    """The counts behind the quality figure, as a display frame.

    One row per level (codebook order, then all levels) × question (codebook order), the
    level named on every row (a page break inside the table loses nothing). Columns (text):
    ``Nivå``, ``Fråga``, one per answer (``Ja``, ``Delvis``, ``Nej``, ``Vet ej``, ``Ej
    besvarad``: ongoing interventions with that answer) and ``Summa`` (the level's ongoing
    interventions, which the answers add up to). Counts of interventions, not of people:
    nothing here is a small group.
    """
    codebook = codebook or load_codebook()
    frame = quality_frame(quality_profile, municipality_code, codebook)
    answers = list(dict.fromkeys(frame["answer_label"]))
    records = []
    for _key, rows in frame.groupby(["level", "question"], sort=False):
        record = {"Nivå": rows["level_label"].iloc[0], "Fråga": rows["question_label"].iloc[0]}
        record |= {
            label: format_number(n)
            for label, n in zip(rows["answer_label"], rows["interventions"], strict=True)
        }
        record["Summa"] = format_number(rows["ongoing"].iloc[0])
        records.append(record)
    return pd.DataFrame(records, columns=["Nivå", "Fråga", *answers, "Summa"])
