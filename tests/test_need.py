"""Need against capacity: a hand-made case worked out by hand, and the example data against an
independent recomputation with plain pandas and loops."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from support import example_tables, insatser_frame, intervention

from fouanalys.codebook import load_codebook
from fouanalys.coverage import place_on_ages, place_on_life_course
from fouanalys.need import NEED_COLUMNS, need_capacity

CB = load_codebook()
JARFALLA = "0123"


# --- a hand-made municipality -----------------------------------------------------------------
#
# Population (both sexes): 100 at every age 0–25 in 2023, except 120 at age 15 (70 + 50) and 80
# at age 17 (40 + 40); 90 at every age in 2022. The survey year is 2024, which has no
# population rows, so 2023 is used.
#
# Survey (all sexes, 2024): impulsivitet (risk) Åk 9 0.25 (0.20–0.30), Gy 2 0.10 (0.05–0.15);
# skolanknytning (protective) Åk 9 0.60 (0.50–0.70), so 0.40 (0.30–0.50) lack it.
#
# Interventions (Järfälla, ongoing unless said):
#   A 13–17, 90 a year, impulsivitet: covers 13–15 and 16–18 (2 of 3 years); its covered ages
#     13..17 hold 100 + 100 + 120 + 100 + 80 = 500, so age 15 gets 90·120/500 = 21.6 and
#     age 17 gets 90·80/500 = 14.4.
#   B 14–16, no count, impulsivitet and skolanknytning: covers 13–15 (2 of 3), not 16–18 (1 of
#     3); reaches age 15 with an unknown number.
#   C 15–15, 3 a year (a small group), skolanknytning: inside 13–15, all 3 at age 15.
#   D 13–17, 50 a year, impulsivitet, planned: not counted.
#   E 10–14, 40 a year, impulsivitet: covers 13–15 but does not reach age 15.


def _pop(age: int, year: int) -> int:
    if year == 2022:
        return 90
    return {15: 120, 17: 80}.get(age, 100)


def hand_befolkning() -> pd.DataFrame:
    rows = []
    for year in (2022, 2023):
        for age in range(26):
            boys = {15: 70, 17: 40}.get(age, _pop(age, year) // 2)
            rows.append((JARFALLA, year, age, "Pojke", boys))
            rows.append((JARFALLA, year, age, "Flicka", _pop(age, year) - boys))
    frame = pd.DataFrame(rows, columns=["kommunkod", "ar", "alder", "kon", "antal"])
    return frame.astype({"ar": "Int64", "alder": "Int64", "antal": "Int64"})


def hand_insatser() -> pd.DataFrame:
    return insatser_frame(
        [
            intervention("A", alder_fran=13, alder_till=17, deltagare_per_ar=90,
                         faktorer="impulsivitet"),
            intervention("B", alder_fran=14, alder_till=16, deltagare_per_ar=None,
                         faktorer="impulsivitet;skolanknytning"),
            intervention("C", alder_fran=15, alder_till=15, deltagare_per_ar=3,
                         faktorer="skolanknytning"),
            intervention("D", alder_fran=13, alder_till=17, deltagare_per_ar=50,
                         faktorer="impulsivitet", status="planerad"),
            intervention("E", alder_fran=10, alder_till=14, deltagare_per_ar=40,
                         faktorer="impulsivitet"),
        ]
    )  # fmt: skip


def prevalence_row(factor, grade, share, low, high, *, sex="Alla", year=2024, suppressed=False):
    return {
        "municipality_code": JARFALLA,
        "year": year,
        "grade": grade,
        "sex": sex,
        "factor": factor,
        "share": share,
        "ci_low": low,
        "ci_high": high,
        "suppressed": suppressed,
    }


def hand_prevalence(extra: list[dict] | None = None) -> pd.DataFrame:
    rows = [
        prevalence_row("impulsivitet", "Åk 9", 0.25, 0.20, 0.30),
        prevalence_row("impulsivitet", "Gy 2", 0.10, 0.05, 0.15),
        prevalence_row("skolanknytning", "Åk 9", 0.60, 0.50, 0.70),
        # other sexes, grades and years: not used
        prevalence_row("impulsivitet", "Åk 9", 0.90, 0.85, 0.95, sex="Pojke"),
        prevalence_row("impulsivitet", "Alla", 0.80, 0.75, 0.85),
        prevalence_row("impulsivitet", "Åk 9", 0.70, 0.65, 0.75, year=2022),
        *(extra or []),
    ]
    return pd.DataFrame(rows).astype({"year": "int64", "suppressed": bool})


def hand_gaps(rows: list[tuple] | None = None) -> pd.DataFrame:
    rows = rows or [
        ("impulsivitet", "risk", "6-12", 1),
        ("impulsivitet", "risk", "13-15", 1),
        ("impulsivitet", "risk", "16-18", 1),
        ("skolanknytning", "protective", "13-15", 2),
    ]
    frame = pd.DataFrame(
        [(JARFALLA, 2024, *r) for r in rows],
        columns=["municipality_code", "year", "factor", "kind", "stage", "rank"],
    )
    return frame.astype({"year": "int64", "rank": "Int64"})


@pytest.fixture(scope="module")
def hand_table() -> pd.DataFrame:
    return need_capacity(hand_gaps(), hand_prevalence(), hand_befolkning(), hand_insatser(), CB)


@pytest.fixture(scope="module")
def hand(hand_table) -> pd.DataFrame:
    return hand_table.set_index(["factor", "stage"])


def test_columns_and_order(hand_table):
    table = hand_table
    assert list(table.columns) == NEED_COLUMNS
    assert list(zip(table["factor"], table["stage"], strict=True)) == [
        ("impulsivitet", "6-12"),
        ("impulsivitet", "13-15"),
        ("impulsivitet", "16-18"),
        ("skolanknytning", "13-15"),
    ]
    assert str(table["age"].dtype) == "Int64"
    for col in ("need", "need_low", "need_high", "capacity", "share"):
        assert str(table[col].dtype) == "Float64"
    for col in ("interventions", "unknown_capacity", "population", "population_year"):
        assert str(table[col].dtype) == "Int64"


def test_risk_factor_by_hand(hand):
    row = hand.loc[("impulsivitet", "13-15")]
    assert (row["grade"], row["age"]) == ("Åk 9", 15)
    assert (row["population_year"], row["population"]) == (2023, 120)
    assert (row["share"], row["share_low"], row["share_high"]) == pytest.approx((0.25, 0.2, 0.3))
    assert row["need"] == pytest.approx(30.0)
    assert row["need_low"] == pytest.approx(24.0)
    assert row["need_high"] == pytest.approx(36.0)
    # A puts 21.6 at age 15; B reaches it without a count; E stops at 14; D is planned
    assert row["capacity"] == pytest.approx(21.6)
    assert (row["interventions"], row["unknown_capacity"]) == (2, 1)
    assert (row["few_interventions"], row["few_participants"]) == (0, 0.0)

    row = hand.loc[("impulsivitet", "16-18")]
    assert (row["grade"], row["age"], row["population"]) == ("Gy 2", 17, 80)
    assert (row["need"], row["need_low"], row["need_high"]) == pytest.approx((8.0, 4.0, 12.0))
    assert row["capacity"] == pytest.approx(14.4)
    assert (row["interventions"], row["unknown_capacity"]) == (1, 0)


def test_protective_factor_is_mirrored(hand):
    row = hand.loc[("skolanknytning", "13-15")]
    # 0.60 (0.50–0.70) have the protection: 0.40 (0.30–0.50) lack it
    assert (row["share"], row["share_low"], row["share_high"]) == pytest.approx((0.4, 0.3, 0.5))
    assert (row["need"], row["need_low"], row["need_high"]) == pytest.approx((48.0, 36.0, 60.0))
    # C gives all 3 at age 15 (a small group); B reaches it without a count
    assert row["capacity"] == pytest.approx(3.0)
    assert (row["interventions"], row["unknown_capacity"]) == (2, 1)
    assert (row["few_interventions"], row["few_participants"]) == (1, 3.0)


def test_stage_without_surveyed_ages_has_no_estimate(hand):
    row = hand.loc[("impulsivitet", "6-12")]
    assert pd.isna(row["age"]) and pd.isna(row["grade"])
    for col in NEED_COLUMNS[NEED_COLUMNS.index("population_year") :]:
        assert pd.isna(row[col]), col


def test_suppressed_share_gives_no_estimate():
    gaps = hand_gaps(
        [("kamrater_normbrott", "risk", "13-15", 1), ("impulsivitet", "risk", "16-18", 2)]
    )
    prevalence = hand_prevalence(
        [
            # suppressed, as the prevalence table writes it (share NaN) …
            prevalence_row("kamrater_normbrott", "Åk 9", math.nan, math.nan, math.nan,
                           suppressed=True),
        ]
    )  # fmt: skip
    # … and a share that is there but flagged: not used either
    prevalence.loc[
        (prevalence["grade"] == "Gy 2") & (prevalence["factor"] == "impulsivitet"), "suppressed"
    ] = True
    table = need_capacity(gaps, prevalence, hand_befolkning(), hand_insatser(), CB)
    assert table["age"].tolist() == [15, 17]
    assert table["population"].tolist() == [120, 80]
    for col in ("share", "share_low", "share_high", "need", "need_low", "need_high"):
        assert table[col].isna().all(), col


def test_population_year_is_the_survey_year_or_the_latest_earlier():
    gaps = pd.concat(
        [
            hand_gaps([("impulsivitet", "risk", "13-15", 1)]).assign(year=y)
            for y in (2022, 2024, 2021)
        ]
    )
    table = need_capacity(gaps, hand_prevalence(), hand_befolkning(), hand_insatser(), CB)
    assert table["population_year"].tolist() == [2022, 2023, pd.NA]
    assert table["population"].tolist() == [90, 120, pd.NA]
    # 2022's share is 0.70; 2021 has neither population nor share
    assert table["need"].iloc[0] == pytest.approx(63.0)
    assert table["need"].iloc[1:].isna().tolist() == [False, True]


def test_no_gaps_gives_an_empty_table():
    table = need_capacity(
        hand_gaps().iloc[:0], hand_prevalence(), hand_befolkning(), hand_insatser(), CB
    )
    assert table.empty and list(table.columns) == NEED_COLUMNS


# --- the example data -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example() -> dict:
    tables = example_tables(CB)
    tables["need"] = need_capacity(
        tables["gaps"], tables["prevalence"], tables["befolkning"], tables["insatser"], CB
    )
    return tables


def test_example_need_against_plain_pandas(example):
    need = example["need"]
    risk = {i.id for i in CB.indices if i.kind == "risk"}
    candidates = need.loc[
        need["factor"].isin(risk) & (need["stage"] == "16-18") & need["need"].notna()
    ]
    row = candidates.sort_values(["municipality_code", "factor"]).iloc[0]
    code, factor, year = row["municipality_code"], row["factor"], int(row["year"])
    p = example["prevalence"]
    cell = p.loc[
        (p["municipality_code"] == code)
        & (p["year"] == year)
        & (p["grade"] == "Gy 2")
        & (p["sex"] == "Alla")
        & (p["factor"] == factor)
    ].iloc[0]
    b = example["befolkning"]
    b = b.loc[(b["kommunkod"] == code) & (b["alder"] == 17) & (b["ar"] <= year)]
    pop_year = b["ar"].max()
    pop = b.loc[b["ar"] == pop_year, "antal"].sum()
    assert (row["age"], row["population_year"], row["population"]) == (17, pop_year, pop)
    assert row["need"] == pytest.approx(pop * cell["share"])
    assert row["need_low"] == pytest.approx(pop * cell["ci_low"])
    assert row["need_high"] == pytest.approx(pop * cell["ci_high"])


def _covers(age_from: int, age_to: int, lo: int, hi: int) -> bool:
    years = len(set(range(age_from, age_to + 1)) & set(range(lo, hi + 1)))
    return years > 0 and (2 * years >= hi - lo + 1 or (lo <= age_from and age_to <= hi))


def test_example_capacity_against_a_loop(example):
    """Capacity at each surveyed age, by a loop over the interventions and single ages."""
    b = example["befolkning"]
    latest = b.loc[b["ar"] == b.groupby("kommunkod")["ar"].transform("max")]
    pop = latest.groupby(["kommunkod", "alder"])["antal"].sum().to_dict()
    stages = [(s.age_from, s.age_to) for s in CB.life_stages]
    checked = 0
    for row in example["need"].dropna(subset=["age"]).itertuples(index=False):
        total, n, unknown = 0.0, 0, 0
        for ins in example["insatser"].itertuples(index=False):
            if (ins.kommunkod, ins.status) != (row.municipality_code, "pågående"):
                continue
            if row.factor not in str(ins.faktorer).split(";"):
                continue
            covered = [
                a
                for lo, hi in stages
                if _covers(ins.alder_fran, ins.alder_till, lo, hi)
                for a in range(max(lo, ins.alder_fran), min(hi, ins.alder_till) + 1)
            ]
            if row.age not in covered:
                continue
            n += 1
            if pd.isna(ins.deltagare_per_ar):
                unknown += 1
                continue
            covered_pop = sum(pop.get((row.municipality_code, a), 0) for a in covered)
            total += (
                ins.deltagare_per_ar * pop.get((row.municipality_code, row.age), 0) / covered_pop
            )
        assert (row.interventions, row.unknown_capacity) == (n, unknown)
        if n == unknown:
            assert pd.isna(row.capacity)
        else:
            assert row.capacity == pytest.approx(total)
        checked += 1
    assert checked > 20


def test_capacity_over_all_ages_sums_back_to_participants(example):
    insatser, befolkning = example["insatser"], example["befolkning"]
    placed = place_on_life_course(insatser, befolkning, CB)
    ages = place_on_ages(placed, befolkning)
    per_stage = ages.groupby(["municipality_code", "intervention", "stage"], sort=False)[
        "participants"
    ].sum(min_count=1)
    stage_rows = placed.set_index(["municipality_code", "intervention", "stage"])["participants"]
    pd.testing.assert_series_equal(
        per_stage.astype(float), stage_rows.astype(float), check_names=False, check_index=False
    )
    summed = ages.groupby(["municipality_code", "intervention"])["participants"].sum(min_count=1)
    given = insatser.set_index(["kommunkod", "insats"])["deltagare_per_ar"]
    given = given.rename_axis(["municipality_code", "intervention"]).reindex(summed.index)
    known = given.notna()
    assert known.sum() > 100
    assert summed[known].astype(float).to_numpy() == pytest.approx(
        given[known].astype(float).to_numpy()
    )
    assert summed[~known].isna().all()
