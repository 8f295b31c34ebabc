"""Tests for fouanalys.quality: Data i Dialog's quality questions counted over the ongoing
interventions, per level and over all levels.

The expected counts are made here with plain loops and ``collections.Counter`` over a small
hand-made inventory, not with the package's grouping.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import pandas as pd
import pytest
from support import insatser_frame, intervention

from fouanalys import coverage as cov
from fouanalys import quality
from fouanalys.codebook import load_codebook
from fouanalys.exceptions import FouanalysError

CB = load_codebook()
QUESTIONS = CB.ids("quality_questions")
ANSWERS = [*CB.ids("quality_answers"), "ej besvarad"]
LEVELS = [*CB.ids("levels"), "alla"]
NA = pd.NA
#: Ages 5–6 hold under half of the years of 0–5 and of 6–12 and lie inside neither: the
#: intervention covers no life stage, so the knowledge profile does not count it either.
NO_STAGE = "Övergång förskola–skola"


def answered(**answers) -> dict:
    """Quality columns: the given answers, every other question blank."""
    return {q: answers.get(q, NA) for q in QUESTIONS}


def rows() -> list[dict]:
    """Järfälla's inventory (five ongoing, one planned, one ended, one covering no stage) and
    one ongoing intervention in Upplands Väsby."""
    all_yes = {q: "ja" for q in QUESTIONS}
    return [
        intervention("A", kunskapslage="evidensbaserad", deltagare_per_ar=100,
                     **answered(skriftliga_mal="ja", langsiktig_finansiering="delvis",
                                ansvarig_organisation="ja", uppfoljning_rackvidd="ja",
                                uppfoljning_resultat="nej")),
        intervention("B", alder_fran=6, alder_till=12, deltagare_per_ar=NA,
                     **answered(skriftliga_mal="ja", ansvarig_organisation="ja",
                                uppfoljning_rackvidd="delvis", uppfoljning_resultat="vet ej")),
        intervention("C", niva="förhindra", alder_fran=13, alder_till=18, kunskapslage="lovande",
                     deltagare_per_ar=3, **{**all_yes, "uppfoljning_resultat": NA}),
        intervention("D", niva="riskreducera", alder_fran=15, alder_till=25,
                     kunskapslage="ej bedömd", deltagare_per_ar=40, **answered()),
        intervention("E", niva="förhindra", alder_fran=12, alder_till=17, deltagare_per_ar=60,
                     **answered(skriftliga_mal="nej", uppfoljning_resultat="ja",
                                uppfoljning_rackvidd="ja")),
        intervention("Planerad", status="planerad", deltagare_per_ar=500, **all_yes),
        intervention("Avslutad", niva="förhindra", status="avslutad", alder_fran=13,
                     alder_till=15, deltagare_per_ar=70, **all_yes),
        intervention(NO_STAGE, alder_fran=5, alder_till=6, deltagare_per_ar=30, **all_yes),
        intervention("Väsby", kommunkod="0114", niva="riskreducera", alder_fran=15,
                     alder_till=20, deltagare_per_ar=12,
                     **answered(skriftliga_mal="vet ej", uppfoljning_resultat="delvis")),
    ]  # fmt: skip


def population() -> pd.DataFrame:
    return pd.DataFrame(
        [
            (kod, 2024, alder, kon, 300 + 2 * alder)
            for kod in ("0123", "0114")
            for alder in range(26)
            for kon in ("Pojke", "Flicka")
        ],
        columns=["kommunkod", "ar", "alder", "kon", "antal"],
    ).astype({"ar": "Int64", "alder": "Int64", "antal": "Int64"})


def profile(records: list[dict]) -> pd.DataFrame:
    insatser = insatser_frame(records)
    placed = cov.place_on_life_course(insatser, population(), CB)
    return quality.quality_profile(insatser, placed, CB)


def by_hand(records: list[dict]) -> tuple[Counter, Counter, dict, Counter]:
    """Counts per (municipality, level, question, answer): interventions, those with a
    participant count, their participants, and those reporting 1–4 a year."""
    n, known, few = Counter(), Counter(), Counter()
    participants: dict = defaultdict(float)
    for r in records:
        if r["status"] != "pågående" or r["insats"] == NO_STAGE:
            continue
        for level in (r["niva"], "alla"):
            items = [(q, r.get(q)) for q in QUESTIONS] + [("kunskapslage", r["kunskapslage"])]
            for question, answer in items:
                if answer is None or answer is NA:
                    answer = "ej besvarad"
                key = (r["kommunkod"], level, question, answer)
                n[key] += 1
                if r["deltagare_per_ar"] is not NA:
                    known[key] += 1
                    participants[key] += r["deltagare_per_ar"]
                    few[key] += 0 < r["deltagare_per_ar"] < 5
    return n, known, participants, few


def test_the_profile_counts_what_a_loop_over_the_inventory_counts():
    records = rows()
    got = profile(records)
    n, known, participants, few = by_hand(records)
    assert sum(n.values()) > 0
    for row in got.itertuples(index=False):
        key = (row.municipality_code, row.level, row.question, row.answer)
        assert row.interventions == n[key], key
        assert row.with_participants == known[key], key
        assert row.without_participants == n[key] - known[key], key
        assert row.few_interventions == few[key], key
        if known[key]:
            assert row.participants == pytest.approx(participants[key]), key
        else:
            assert pd.isna(row.participants), key
    # every count by hand is in the profile
    listed = {
        (r.municipality_code, r.level, r.question, r.answer): r.interventions
        for r in got.itertuples(index=False)
    }
    assert {k: v for k, v in listed.items() if v} == dict(n)


def test_shares_are_of_the_level_s_ongoing_interventions_and_known_participants():
    got = (
        profile(rows()).set_index(["municipality_code", "level", "question", "answer"]).sort_index()
    )
    # Järfälla's förebygga: A and B ongoing (the planned one and the no-stage one are not)
    yes = got.loc[("0123", "förebygga", "skriftliga_mal", "ja")]
    assert yes["interventions"] == 2 and yes["share_of_interventions"] == 1.0
    # all levels: A, B, C, D, E; results followed up ("ja") only by E, with 60 of the 203
    # known participants (A 100, C 3, D 40, E 60)
    results = got.loc[("0123", "alla", "uppfoljning_resultat")]
    assert results.loc["ja", "share_of_interventions"] == pytest.approx(1 / 5)
    assert results.loc["ja", "share_of_reach"] == pytest.approx(60 / 203)
    assert results.loc["vet ej", "share_of_reach"] == 0.0  # B gives no count: 0 of them
    assert results["share_of_interventions"].sum() == pytest.approx(1.0)
    # a level with no ongoing intervention has no share to give
    empty = got.loc[("0114", "förebygga", "skriftliga_mal")]
    assert empty["interventions"].sum() == 0
    assert empty["share_of_interventions"].isna().all() and empty["share_of_reach"].isna().all()


def test_blank_answers_and_missing_columns_count_as_not_answered():
    got = (
        profile(rows()).set_index(["municipality_code", "level", "question", "answer"]).sort_index()
    )
    # D left every question blank, C the results question
    assert got.loc[("0123", "riskreducera", "skriftliga_mal", "ej besvarad"), "interventions"] == 1
    assert (
        got.loc[("0123", "förhindra", "uppfoljning_resultat", "ej besvarad"), "interventions"] == 1
    )
    # an inventory without the quality columns (an old file): every answer is "ej besvarad"
    old = [{k: v for k, v in r.items() if k not in QUESTIONS} for r in rows()]
    plain = profile(old)
    asked = plain.loc[plain["question"].isin(QUESTIONS)]
    assert (asked.loc[asked["answer"] != "ej besvarad", "interventions"] == 0).all()
    everything = asked.loc[(asked["level"] == "alla") & (asked["municipality_code"] == "0123")]
    assert everything.groupby("question")["interventions"].sum().eq(5).all()
    assert (everything.loc[everything["answer"] == "ej besvarad", "interventions"] == 5).all()


def test_planned_ended_and_unplaced_interventions_are_left_out():
    records = rows()
    with_them = profile(records)
    ongoing = [r for r in records if r["insats"] not in ("Planerad", "Avslutad", NO_STAGE)]
    without = profile(ongoing)
    pd.testing.assert_frame_equal(with_them, without)
    # they answered "ja" to everything: had they counted, förebygga would have more than two
    yes = with_them.loc[
        (with_them["municipality_code"] == "0123")
        & (with_them["level"] == "förebygga")
        & (with_them["question"] == "uppfoljning_resultat")
        & (with_them["answer"] == "ja"),
        "interventions",
    ]
    assert yes.tolist() == [0]


def test_the_knowledge_item_gives_the_knowledge_profile_s_numbers():
    insatser = insatser_frame(rows())
    placed = cov.place_on_life_course(insatser, population(), CB)
    got = quality.quality_profile(insatser, placed, CB)
    knowledge = cov.knowledge_profile(placed, CB).set_index(["municipality_code", "knowledge"])
    items = got.loc[(got["level"] == "alla") & (got["question"] == "kunskapslage")]
    for row in items.itertuples(index=False):
        expected = knowledge.loc[(row.municipality_code, row.answer)]
        assert row.interventions == expected["interventions"]
        assert row.with_participants == expected["with_participants"]
        if pd.isna(expected["share_of_interventions"]):
            assert pd.isna(row.share_of_interventions)
        else:
            assert row.share_of_interventions == pytest.approx(expected["share_of_interventions"])
    assert items.loc[items["municipality_code"] == "0123", "interventions"].sum() == 5


def test_the_grid_is_complete_and_holds_codes_and_numbers_only():
    got = profile(rows())
    items = len(QUESTIONS) * len(ANSWERS) + len(CB.ids("knowledge_levels"))
    assert len(got) == len(CB.municipality_codes) * len(LEVELS) * items
    assert list(got.columns) == quality.QUALITY_COLUMNS
    assert set(got["level"]) == set(LEVELS)
    assert set(got["question"]) == {*QUESTIONS, "kunskapslage"}
    assert set(got["answer"]) == {*ANSWERS, *CB.ids("knowledge_levels")}
    assert not got.duplicated(["municipality_code", "level", "question", "answer"]).any()
    # within a municipality, level and question the answers add up to its ongoing work
    sums = got.groupby(["municipality_code", "level", "question"])["interventions"].sum()
    assert sums.groupby(level=[0, 1]).nunique().eq(1).all()
    assert sums.loc[("0123", "alla")].eq(5).all() and sums.loc[("0114", "alla")].eq(1).all()


def test_an_answer_the_codebook_does_not_know_is_named():
    records = rows()
    records[0]["uppfoljning_resultat"] = "kanske"
    with pytest.raises(FouanalysError, match="'kanske'.*uppfoljning_resultat.*'A'.*0123"):
        profile(records)


def test_the_example_s_profile_covers_every_ongoing_intervention():
    from support import example_tables

    tables = example_tables(CB)
    got = tables["quality_profile"]
    knowledge = tables["knowledge_profile"]
    ongoing = knowledge.groupby("municipality_code")["interventions"].sum()
    totals = (
        got.loc[got["level"] == "alla"]
        .groupby(["municipality_code", "question"])["interventions"]
        .sum()
    )
    for (code, _question), total in totals.items():
        assert total == ongoing[code]
    # the example answers: most questions answered, results followed up more rarely than reach
    asked = got.loc[(got["level"] == "alla") & got["question"].isin(QUESTIONS)]
    blank = asked.loc[asked["answer"] == "ej besvarad", "interventions"].sum()
    assert 0 < blank / asked["interventions"].sum() < 0.12
    yes = asked.loc[asked["answer"] == "ja"].groupby("question")["interventions"].sum()
    assert yes["uppfoljning_resultat"] < yes["uppfoljning_rackvidd"]
    assert not math.isnan(float(got["share_of_interventions"].max()))
