"""Who answered: the unserious rule on hand-made rows, and the response table against an
independent count from the example's raw files."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
from support import example_tables

from fouanalys import config
from fouanalys.codebook import load_codebook
from fouanalys.ingest import readers
from fouanalys.response import RESPONSE_COLUMNS, response_table, unserious

CB = load_codebook()
#: The scored items by answer scale, read straight from the codebook's indices.
STATEMENTS = list(
    dict.fromkeys(it.id for ix in CB.indices for it in ix.items if it.scale == "instammer")
)
OFFENCES = list(
    dict.fromkeys(it.id for ix in CB.indices for it in ix.items if it.scale == "brott_antal")
)


def test_the_codebook_states_the_rule_with_its_parameters():
    rule = CB.unserious
    assert (rule.straight_lining.scale, rule.straight_lining.min_answered) == ("instammer", 20)
    assert rule.straight_lining.codes == [1, 4]
    assert (rule.implausible_offending.scale, rule.implausible_offending.code) == (
        "brott_antal",
        5,
    )
    assert rule.implausible_offending.min_items == 8
    assert len(STATEMENTS) == 39 and len(OFFENCES) == 11
    assert CB.scale_items("instammer") == STATEMENTS


def _rows(*answers: dict[str, int]) -> pd.DataFrame:
    """A typed survey frame: one row per dict of item → code, every other item blank."""
    items = CB.survey_items()
    frame = pd.DataFrame(
        [{item: row.get(item) for item in items} for row in answers], columns=items
    )
    return frame.astype("Int64")


def _same(code: int, n: int, items: list[str] = STATEMENTS) -> dict[str, int]:
    return dict.fromkeys(items[:n], code)


@pytest.mark.parametrize(
    ("answers", "straight", "offending"),
    [
        (_same(1, 20), True, False),  # the boundary: 20 statements, all "Stämmer mycket bra"
        (_same(4, 20), True, False),  # all "Stämmer mycket dåligt"
        (_same(1, 19), False, False),  # one statement short
        (_same(4, 39), True, False),  # every statement
        (_same(2, 39), False, False),  # the same answer, but not an extreme one
        (_same(3, 39), False, False),
        (_same(1, 19) | {STATEMENTS[19]: 4}, False, False),  # both extremes: not the same
        (_same(1, 25) | {STATEMENTS[25]: 2}, False, False),  # one other answer
        (_same(5, 8, OFFENCES), False, True),  # the boundary: 8 offences "Mer än 10 gånger"
        (_same(5, 7, OFFENCES), False, False),  # one short
        (_same(5, 7, OFFENCES) | {OFFENCES[7]: 4}, False, False),  # 6-10 times is not the top
        (_same(5, 11, OFFENCES), False, True),
        (_same(1, 20) | _same(5, 8, OFFENCES), True, True),  # both rules
        ({}, False, False),  # nothing answered
    ],
)
def test_each_rule_and_its_boundary(answers, straight, offending):
    got = unserious(_rows(answers), CB)
    assert list(got.columns) == ["straight_lining", "implausible_offending", "unserious"]
    assert got.iloc[0].tolist() == [straight, offending, straight or offending]


def test_mixed_answers_are_not_flagged_and_blanks_are_no_answer():
    rng = np.random.default_rng(1)
    mixed = [
        dict(zip(STATEMENTS, rng.integers(1, 5, len(STATEMENTS)).tolist(), strict=True))
        | dict(zip(OFFENCES, rng.integers(1, 6, len(OFFENCES)).tolist(), strict=True))
        for _ in range(200)
    ]
    assert not unserious(_rows(*mixed), CB)["unserious"].any()
    # 20 extreme answers among blanks count, and the flags follow the frame's index
    frame = _rows(_same(4, 20) | dict.fromkeys(STATEMENTS[20:], None), _same(2, 3))
    frame.index = [10, 11]
    got = unserious(frame, CB)
    assert got["unserious"].to_dict() == {10: True, 11: False}


def test_absent_item_columns_are_not_answers_and_no_rule_flags_nobody():
    frame = _rows(_same(1, 39)).drop(columns=STATEMENTS[:20])  # 19 statements left
    assert not unserious(frame, CB)["straight_lining"].iloc[0]
    without = CB.model_copy(update={"unserious": None})
    assert not unserious(_rows(_same(1, 39), _same(5, 11, OFFENCES)), without).any().any()


# --- the response table against an independent count from the raw files ---------------------


def _raw_unserious(raw: pd.DataFrame) -> pd.Series:
    """The rule as the codebook states it, on the raw survey text (blank = no answer)."""
    statements = raw[STATEMENTS].apply(pd.to_numeric, errors="coerce")
    answered = statements.notna().sum(axis=1)
    lowest, highest = statements.min(axis=1), statements.max(axis=1)
    straight = (answered >= 20) & (lowest == highest) & lowest.isin([1, 4])
    offences = raw[OFFENCES].apply(pd.to_numeric, errors="coerce")
    return straight | ((offences == 5).sum(axis=1) >= 8)


@pytest.fixture(scope="module")
def raw() -> dict[str, pd.DataFrame]:
    with gzip.open(config.EXAMPLE_DATA_DIR / "enkat.csv.gz", "rt", encoding="utf-8") as fh:
        enkat = pd.read_csv(fh, dtype=str, keep_default_na=False)
    elever = pd.read_csv(config.EXAMPLE_DATA_DIR / "elever.csv", dtype={"kommunkod": str})
    return {"enkat": enkat, "elever": elever}


@pytest.fixture(scope="module")
def typed() -> dict[str, pd.DataFrame]:
    out = {}
    for name in ("enkat", "elever"):
        path = readers.find_input(config.EXAMPLE_DATA_DIR, name)
        out[name] = readers.to_typed(readers.read_raw(path, name, CB), name, CB)
    return out


def test_response_table_equals_an_independent_count(raw, typed):
    got = response_table(typed["enkat"], unserious(typed["enkat"], CB), CB, typed["elever"])
    assert list(got.columns) == list(RESPONSE_COLUMNS)
    enkat = raw["enkat"]
    codes = {m.name: m.code for m in CB.municipalities}
    counted = pd.DataFrame(
        {
            "municipality_code": enkat["Hemkommun"].map(codes),
            "year": enkat["ar"].astype(int),
            "grade": enkat["ARSKURS"],
            "excluded": _raw_unserious(enkat).astype(int),
        }
    )
    per_grade = counted.groupby(["municipality_code", "year", "grade"]).agg(
        respondents=("excluded", "size"), excluded=("excluded", "sum")
    )
    enrolled = raw["elever"].set_index(["kommunkod", "ar", "arskurs"])["antal"]
    grades = got.loc[got["grade"] != "Alla"].set_index(["municipality_code", "year", "grade"])
    assert len(grades) == len(per_grade) == len(enrolled) == 8 * 4 * 2
    for key, row in per_grade.iterrows():
        mine = grades.loc[key]
        kept = row["respondents"] - row["excluded"]
        assert (mine["respondents"], mine["excluded"], mine["kept"]) == (
            row["respondents"],
            row["excluded"],
            kept,
        ), key
        assert mine["enrolled"] == enrolled[key]
        assert mine["response_rate"] == pytest.approx(kept / enrolled[key])
    totals = got.loc[got["grade"] == "Alla"].set_index(["municipality_code", "year"])
    summed = per_grade.groupby(level=[0, 1]).sum()
    enrolled_sum = enrolled.groupby(level=[0, 1]).sum()
    for key, row in summed.iterrows():
        mine = totals.loc[key]
        assert (mine["respondents"], mine["excluded"]) == (row["respondents"], row["excluded"])
        assert mine["enrolled"] == enrolled_sum[key]
        kept = row["respondents"] - row["excluded"]
        assert mine["response_rate"] == pytest.approx(kept / enrolled_sum[key])
    # the example has respondents for the rule to find, by each of its two patterns
    assert got.loc[got["grade"] == "Alla", "straight_lining"].sum() > 0
    assert got.loc[got["grade"] == "Alla", "implausible_offending"].sum() > 0
    assert int(got.loc[got["grade"] == "Alla", "excluded"].sum()) == int(counted["excluded"].sum())


def test_without_enrolment_the_rate_is_absent_and_a_missing_grade_leaves_the_total_open(typed):
    flags = unserious(typed["enkat"], CB)
    none = response_table(typed["enkat"], flags, CB)
    assert none["enrolled"].isna().all() and none["response_rate"].isna().all()
    assert none["respondents"].sum() == 2 * len(typed["enkat"])  # grades and their total
    elever = typed["elever"]
    lacking = elever.loc[~((elever["kommunkod"] == "0123") & (elever["arskurs"] == "Gy 2"))]
    got = response_table(typed["enkat"], flags, CB, lacking).set_index(
        ["municipality_code", "year", "grade"]
    )
    assert pd.isna(got.loc[("0123", 2024, "Gy 2"), "enrolled"])
    assert pd.isna(got.loc[("0123", 2024, "Alla"), "response_rate"])
    assert not pd.isna(got.loc[("0123", 2024, "Åk 9"), "response_rate"])


def test_a_grade_without_respondents_is_a_row_of_zeros():
    enkat = pd.DataFrame(
        {"ar": [2024] * 6, "kommunkod": ["0123"] * 6, "arskurs": ["Åk 9"] * 6, "kon": None}
    )
    enkat["ar"] = enkat["ar"].astype("Int64")
    elever = pd.DataFrame(
        {"kommunkod": ["0123", "0123"], "ar": [2024, 2024], "arskurs": ["Åk 9", "Gy 2"]}
    ).assign(antal=pd.array([10, 8], dtype="Int64"))
    got = response_table(enkat, unserious(enkat, CB), CB, elever)
    assert got["grade"].tolist() == ["Åk 9", "Gy 2", "Alla"]
    assert got["respondents"].tolist() == [6, 0, 6]
    assert got["enrolled"].tolist() == [10, 8, 18]
    assert got["response_rate"].tolist() == pytest.approx([0.6, 0.0, 6 / 18])


# --- excluded respondents leave the scored data ------------------------------------------------


@pytest.fixture(scope="module")
def example() -> dict[str, pd.DataFrame]:
    return example_tables(CB)


def test_excluded_respondents_are_not_in_the_prevalence_n(example):
    response, prevalence = example["response"], example["prevalence"]
    assert response["excluded"].sum() > 0
    everyone = prevalence.loc[
        (prevalence["grade"] == "Alla")
        & (prevalence["sex"] == "Alla")
        & (prevalence["municipality_code"] != CB.region.code)
    ]
    scored = (everyone["n"] + everyone["missing"]).groupby(
        [everyone["municipality_code"], everyone["year"]]
    )
    totals = response.loc[response["grade"] == "Alla"].set_index(["municipality_code", "year"])
    for key, base in scored:
        assert set(base) == {totals.loc[key, "kept"]}, key  # every index: the kept ones
    assert (totals["kept"] < totals["respondents"]).any()
