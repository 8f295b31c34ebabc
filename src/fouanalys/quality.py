"""Data i Dialog's quality questions: how much of a municipality's ongoing work has written
goals, long-term funding and a responsible organisation, and follows up its reach and results.

Step 2 of RISE's *Data i Dialog* asks five questions of every intervention in a municipality's
inventory (codebook ``quality_questions``: ``skriftliga_mal``, ``langsiktig_finansiering``,
``ansvarig_organisation``, ``uppfoljning_rackvidd``, ``uppfoljning_resultat``), each answered
with one of ``quality_answers`` (``ja``, ``delvis``, ``nej``, ``vet ej``). The inventory has one
column per question; a blank cell, or a column the file does not have, is
:data:`NOT_ANSWERED`.

:func:`quality_profile` counts the answers over the municipality's *ongoing* interventions,
the same set as the knowledge profile (:func:`fouanalys.coverage.ongoing_interventions`), per
prevention level and over all levels (:data:`TOTAL_LEVEL`). Beside the five questions it
carries the interventions' knowledge level as one more item (:data:`KNOWLEDGE_ITEM`, answers
the codebook's knowledge levels), so that a chapter shows the share of the work that is
followed up beside the share that rests on evidence or knowledge, from one set of
interventions: its ``alla`` rows for that item are the knowledge profile's counts.
Participants follow the coverage module's rules: an intervention without a count is counted
and its participants are unknown (never 0); one reporting 1 to ``DISCLOSURE_THRESHOLD − 1`` a
year is a small group (``few``), whose part of a sum the chapters print coarsely.
"""

from __future__ import annotations

import pandas as pd

from fouanalys.codebook import Codebook
from fouanalys.coverage import ongoing_interventions
from fouanalys.exceptions import FouanalysError

#: The level id of the rows over all prevention levels.
TOTAL_LEVEL = "alla"
#: The answer id of a question left blank (or a column the inventory does not have).
NOT_ANSWERED = "ej besvarad"
#: The item that carries the interventions' knowledge level (``insatser.kunskapslage``).
KNOWLEDGE_ITEM = "kunskapslage"

QUALITY_COLUMNS = [
    "municipality_code",
    "level",
    "question",
    "answer",
    "interventions",
    "with_participants",
    "without_participants",
    "share_of_interventions",
    "participants",
    "share_of_reach",
    "few_interventions",
    "few_participants",
]


def answer_ids(codebook: Codebook) -> list[str]:
    """The answers a quality question is counted by: the codebook's, then not answered."""
    return [*codebook.ids("quality_answers"), NOT_ANSWERED]


def quality_items(codebook: Codebook) -> list[tuple[str, str]]:
    """Every (question, answer) pair of the profile, in order: the codebook's questions with
    :func:`answer_ids`, then :data:`KNOWLEDGE_ITEM` with the codebook's knowledge levels."""
    answers = answer_ids(codebook)
    pairs = [(q, a) for q in codebook.ids("quality_questions") for a in answers]
    return pairs + [(KNOWLEDGE_ITEM, k) for k in codebook.ids("knowledge_levels")]


def _answers(insatser: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Each intervention's answer to every question (:data:`NOT_ANSWERED` for a blank or a
    missing column), keyed by municipality and intervention; an answer the codebook does not
    know raises :class:`FouanalysError` (the validation gate lets none through)."""
    questions = codebook.ids("quality_questions")
    allowed = set(codebook.ids("quality_answers"))
    out = pd.DataFrame(
        {
            "municipality_code": insatser["kommunkod"].astype("str"),
            "intervention": insatser["insats"].astype("str"),
        }
    )
    for q in questions:
        if q not in insatser.columns:
            out[q] = NOT_ANSWERED
            continue
        given = insatser[q].astype("object").where(insatser[q].notna(), None)
        unknown = given.notna() & ~given.isin(allowed)
        if unknown.any():
            first = insatser.loc[unknown].iloc[0]
            raise FouanalysError(
                f"Okänt svar '{given[unknown].iloc[0]}' i kolumnen {q} för insatsen "
                f"'{first['insats']}' i kommun {first['kommunkod']}; svaren är "
                f"{', '.join(sorted(allowed))} eller tomt."
            )
        out[q] = given.fillna(NOT_ANSWERED).astype("str")
    return out.drop_duplicates(["municipality_code", "intervention"])


def quality_profile(
    insatser: pd.DataFrame, placed: pd.DataFrame, codebook: Codebook
) -> pd.DataFrame:
    """The answers to the quality questions over each municipality's ongoing interventions,
    per prevention level and over all levels.

    ``insatser`` is the typed inventory (its quality columns may be missing: not answered),
    ``placed`` the same inventory on the life course
    (:func:`fouanalys.coverage.place_on_life_course`), whose ongoing interventions
    (:func:`fouanalys.coverage.ongoing_interventions`) are counted: each once, whatever
    stages it covers. One row per codebook municipality × level (codebook ``levels``, then
    :data:`TOTAL_LEVEL`) × (question, answer) of :func:`quality_items`, zeros included.

    Columns: ``municipality_code``, ``level``, ``question`` (a quality question id, or
    :data:`KNOWLEDGE_ITEM`), ``answer`` (an answer id or :data:`NOT_ANSWERED`; a knowledge
    level for :data:`KNOWLEDGE_ITEM`) (str); ``interventions`` (Int64: ongoing ones at the level
    with this answer); ``with_participants``, ``without_participants`` (Int64: of those, how
    many give a participant count and how many do not); ``share_of_interventions`` (Float64: of
    the level's ongoing interventions; NA when it has none); ``participants`` (Float64: their
    known participants a year; NA when none gives a count); ``share_of_reach`` (Float64: of the
    level's known participants, 0 when these give none; NA when the level knows none);
    ``few_interventions`` (Int64: of them, how many report 1 to ``DISCLOSURE_THRESHOLD − 1``
    participants a year) and ``few_participants`` (Float64: their part of ``participants``, 0
    when none). Within a municipality, level and question the interventions add up to the
    level's ongoing interventions.
    """
    questions = codebook.ids("quality_questions")
    ongoing = ongoing_interventions(placed).merge(
        _answers(insatser, codebook), on=["municipality_code", "intervention"], how="left"
    )
    for q in questions:
        ongoing[q] = ongoing[q].fillna(NOT_ANSWERED)
    ongoing[KNOWLEDGE_ITEM] = ongoing["knowledge"]
    ongoing["_known"] = ongoing["participants"].notna()
    ongoing["_few_p"] = ongoing["participants"].where(ongoing["few"], 0.0).astype(float)
    both = pd.concat([ongoing, ongoing.assign(level=TOTAL_LEVEL)], ignore_index=True)
    long = both.melt(
        id_vars=["municipality_code", "level", "participants", "_known", "few", "_few_p"],
        value_vars=[*questions, KNOWLEDGE_ITEM],
        var_name="question",
        value_name="answer",
    )
    keys = ["municipality_code", "level", "question", "answer"]
    cells = long.groupby(keys).agg(
        interventions=("few", "size"),
        with_participants=("_known", "sum"),
        participants=("participants", lambda p: p.sum(min_count=1)),
        few_interventions=("few", "sum"),
        few_participants=("_few_p", "sum"),
    )
    levels = [*codebook.ids("levels"), TOTAL_LEVEL]
    grid = pd.MultiIndex.from_tuples(
        [
            (m, lv, q, a)
            for m in codebook.municipality_codes
            for lv in levels
            for q, a in quality_items(codebook)
        ],
        names=keys,
    )
    cells = cells.reindex(grid)
    n = cells["interventions"].fillna(0).astype("int64")
    with_p = cells["with_participants"].fillna(0).astype("int64")
    participants = cells["participants"].astype("Float64")
    per_item = [grid.get_level_values(k) for k in ("municipality_code", "level", "question")]
    n_level = n.groupby(per_item).transform("sum")
    known_level = with_p.groupby(per_item).transform("sum")
    p_level = participants.fillna(0).groupby(per_item).transform("sum")
    out = pd.DataFrame(
        {
            **{k: pd.Series(grid.get_level_values(k), dtype="str") for k in keys},
            "interventions": pd.array(n.to_numpy(), dtype="Int64"),
            "with_participants": pd.array(with_p.to_numpy(), dtype="Int64"),
            "without_participants": pd.array((n - with_p).to_numpy(), dtype="Int64"),
            "share_of_interventions": pd.array(
                (n / n_level.where(n_level > 0)).to_numpy(dtype=float), dtype="Float64"
            ),
            "participants": pd.array(participants.to_numpy(), dtype="Float64"),
            "share_of_reach": pd.array(
                (participants.fillna(0) / p_level.where(known_level > 0)).to_numpy(
                    dtype=float, na_value=float("nan")
                ),
                dtype="Float64",
            ),
            "few_interventions": pd.array(
                cells["few_interventions"].fillna(0).astype("int64").to_numpy(), dtype="Int64"
            ),
            "few_participants": pd.array(
                cells["few_participants"].fillna(0.0).to_numpy(dtype=float), dtype="Float64"
            ),
        }
    )
    return out[QUALITY_COLUMNS]
