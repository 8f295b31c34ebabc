"""Interventions along the life course: placing, coverage grids, knowledge profile, gaps.

Coverage and reach are checked against an independent recomputation written here as a plain
loop over interventions and single years of age, on the example data and on a small hand-made
inventory whose numbers are also worked out by hand.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from fouanalys import config
from fouanalys import coverage as cov
from fouanalys.chapters.insatser import gap_sentence
from fouanalys.codebook import load_codebook
from fouanalys.exceptions import FouanalysError
from fouanalys.ingest import readers
from fouanalys.priority import priority_factors

CB = load_codebook()
NB = "\u00a0"
STAGES = [(s.id, s.age_from, s.age_to) for s in CB.life_stages]
FACTORS = [i.id for i in CB.indices if i.kind in ("risk", "protective")]
GRID_COLUMNS = ["municipality_code", "stage"]


# --- independent reference: a plain loop ------------------------------------------------------


def _stage_of(age: int) -> str | None:
    for sid, lo, hi in STAGES:
        if lo <= age <= hi:
            return sid
    return None


def _covered_stages(age_from: int, age_to: int) -> set[str]:
    """Stages whose years the span holds at least half of, or that hold the whole span."""
    covered = set()
    for sid, lo, hi in STAGES:
        years = sum(1 for a in range(age_from, age_to + 1) if lo <= a <= hi)
        inside = lo <= age_from and age_to <= hi
        if years and (2 * years >= hi - lo + 1 or inside):
            covered.add(sid)
    return covered


def reference_population(befolkning: pd.DataFrame) -> dict:
    """{municipality: {age: population}} for the latest year, both sexes summed."""
    latest: dict = {}
    for row in befolkning.itertuples(index=False):
        latest[row.kommunkod] = max(latest.get(row.kommunkod, row.ar), row.ar)
    pop: dict = {}
    for row in befolkning.itertuples(index=False):
        if row.ar == latest[row.kommunkod]:
            ages = pop.setdefault(row.kommunkod, {})
            ages[row.alder] = ages.get(row.alder, 0) + row.antal
    return pop


def reference_cells(insatser: pd.DataFrame, befolkning: pd.DataFrame, dim: str) -> tuple:
    """Cells keyed (municipality, stage, value of ``dim``) and stage populations, by loop.

    ``dim`` is "niva", "inriktning" or "faktorer" (one cell per listed risk/protective factor).
    """
    pop = reference_population(befolkning)
    stage_pop = {
        (m, sid): sum(ages.get(a, 0) for a in range(lo, hi + 1))
        for m, ages in pop.items()
        for sid, lo, hi in STAGES
    }
    cells: dict = {}
    for row in insatser.itertuples(index=False):
        if row.status not in ("pågående", "planerad"):
            continue
        ages = pop[row.kommunkod]
        covered = _covered_stages(int(row.alder_fran), int(row.alder_till))
        span = [
            a
            for a in range(int(row.alder_fran), int(row.alder_till) + 1)
            if _stage_of(a) in covered
        ]
        if not span:
            continue
        total = sum(ages.get(a, 0) for a in span)
        per_stage: dict = {}
        for a in span:
            share = ages.get(a, 0) / total if total > 0 else 1 / len(span)
            stage = _stage_of(a)
            per_stage[stage] = per_stage.get(stage, 0.0) + share
        values = (
            [f for f in row.faktorer.split(";") if f in FACTORS]
            if dim == "faktorer"
            else [getattr(row, dim)]
        )
        for value in values:
            for stage, share in per_stage.items():
                c = cells.setdefault(
                    (row.kommunkod, stage, value),
                    {"n": 0, "known": 0, "participants": 0.0, "planned": 0},
                )
                if row.status == "planerad":
                    c["planned"] += 1
                    continue
                c["n"] += 1
                if not pd.isna(row.deltagare_per_ar):
                    c["known"] += 1
                    c["participants"] += int(row.deltagare_per_ar) * share
    return cells, stage_pop


def assert_matches_reference(table, insatser, befolkning, dim, column):
    cells, stage_pop = reference_cells(insatser, befolkning, dim)
    checked = 0
    for row in table.itertuples(index=False):
        key = (row.municipality_code, row.stage, getattr(row, column))
        c = cells.get(key, {"n": 0, "known": 0, "participants": 0.0, "planned": 0})
        pop = stage_pop.get((row.municipality_code, row.stage))
        assert row.interventions == c["n"], key
        assert row.with_participants == c["known"], key
        assert row.without_participants == c["n"] - c["known"], key
        assert row.planned == c["planned"], key
        assert row.reach_complete == (c["known"] == c["n"]), key
        if pop is not None:
            assert row.population == pop, key
        if c["known"] == 0:
            assert pd.isna(row.participants) and pd.isna(row.reach_per_1000), key
        else:
            assert row.participants == pytest.approx(c["participants"], rel=1e-9), key
            assert row.reach_per_1000 == pytest.approx(1000 * c["participants"] / pop), key
            checked += 1
    # every reference cell appears in the grid
    assert set(cells) <= set(
        zip(table["municipality_code"], table["stage"], table[column], strict=True)
    )
    return checked


# --- hand-made inventory ----------------------------------------------------------------------


def _pop_at(age: int) -> int:
    """Hand-made population: 100 per age, 200 at 13–15, none at 18 and 19."""
    if 13 <= age <= 15:
        return 200
    if age in (18, 19):
        return 0
    return 100


def hand_befolkning() -> pd.DataFrame:
    rows = []
    for kommun in ("0114", "0123"):
        for age in range(26):
            boys = _pop_at(age) * 3 // 4
            rows.append((kommun, 2024, age, "Pojke", boys))
            rows.append((kommun, 2024, age, "Flicka", _pop_at(age) - boys))
            rows.append((kommun, 2020, age, "Pojke", 999))  # an older year: ignored
    frame = pd.DataFrame(rows, columns=["kommunkod", "ar", "alder", "kon", "antal"])
    return frame.astype({"ar": "Int64", "alder": "Int64", "antal": "Int64"})


def insats(
    name,
    fran,
    till,
    deltagare,
    *,
    niva="förebygga",
    inriktning="universell",
    kunskap="evidensbaserad",
    faktorer="",
    status="pågående",
    kommun="0114",
) -> dict:
    return {
        "kommunkod": kommun,
        "insats": name,
        "huvudman": "socialtjänst",
        "niva": niva,
        "inriktning": inriktning,
        "alder_fran": fran,
        "alder_till": till,
        "faktorer": faktorer,
        "push_pull": "",
        "kunskapslage": kunskap,
        "deltagare_per_ar": deltagare,
        "samverkan": "",
        "status": status,
        "kommentar": "",
    }


def hand_insatser(rows: list[dict] | None = None) -> pd.DataFrame:
    rows = (
        rows
        if rows is not None
        else [
            # A: 220 participants over ages 10–17; covers 13–15 and 16–18 (2 of 3 years) but
            # not 6–12 (3 of 7 years), so its participants go to ages 13–17 (pop 600 + 200)
            insats("A", 10, 17, 220, faktorer="impulsivitet"),
            # B: no participant count
            insats(
                "B",
                13,
                15,
                None,
                niva="förhindra",
                inriktning="selektiv",
                kunskap="ej bedömd",
                faktorer="skolmisslyckande",
            ),
            # C: shares a cell with A (13–15, förebygga)
            insats(
                "C",
                13,
                14,
                30,
                inriktning="indikerad",
                kunskap="lovande",
                faktorer="impulsivitet;kriminalitet",
            ),
            # D: planned; E: ended
            insats("D", 0, 5, 50, status="planerad", faktorer="foraldrastod"),
            insats(
                "E",
                16,
                18,
                1000,
                niva="riskreducera",
                status="avslutad",
                faktorer="kamrater_normbrott",
            ),
            # F: one age without population, inside 16–18: all its participants there
            insats(
                "F",
                18,
                18,
                10,
                niva="riskreducera",
                inriktning="indikerad",
                kunskap="kunskapsbaserad",
                faktorer="kamrater_normbrott",
            ),
        ]
    )
    frame = pd.DataFrame(rows)
    return frame.astype({"alder_fran": "Int64", "alder_till": "Int64", "deltagare_per_ar": "Int64"})


@pytest.fixture(scope="module")
def hand():
    insatser, befolkning = hand_insatser(), hand_befolkning()
    population = cov.stage_population(befolkning, CB)
    placed = cov.place_on_life_course(insatser, befolkning, CB)
    return {
        "insatser": insatser,
        "befolkning": befolkning,
        "population": population,
        "placed": placed,
        "coverage": cov.coverage_table(placed, CB, population=population),
        "factor": cov.factor_coverage_table(placed, insatser, CB, population=population),
        "targeting": cov.targeting_coverage_table(placed, CB, population=population),
    }


def cell(table: pd.DataFrame, stage: str, value: str, column: str = "level", kommun="0114"):
    rows = table.loc[
        (table["municipality_code"] == kommun)
        & (table["stage"] == stage)
        & (table[column] == value)
    ]
    assert len(rows) == 1
    return rows.iloc[0]


def test_stage_population_uses_latest_year_both_sexes(hand):
    pop = hand["population"].set_index(["municipality_code", "stage"])["population"]
    assert pop[("0114", "0-5")] == 600
    assert pop[("0114", "6-12")] == 700
    assert pop[("0114", "13-15")] == 600
    assert pop[("0114", "16-18")] == 200
    assert pop[("0114", "19-25")] == 600
    assert set(hand["population"]["year"]) == {2024}


def test_place_spreads_participants_by_population(hand):
    placed = hand["placed"]
    a = placed.loc[placed["intervention"] == "A"]
    assert a["stage"].tolist() == ["13-15", "16-18"]  # 10–12 is 3 of 6–12's 7 years
    assert a["overlap_from"].tolist() == [13, 16]
    assert a["overlap_to"].tolist() == [15, 17]
    assert a["participants"].tolist() == pytest.approx([220 * 600 / 800, 220 * 200 / 800])
    assert a["population_stage"].tolist() == [600, 200]
    assert set(a["age_from"]) == {10} and set(a["age_to"]) == {17}
    f = placed.loc[placed["intervention"] == "F"]
    assert f["participants"].tolist() == pytest.approx([10.0])  # no population: uniform
    b = placed.loc[placed["intervention"] == "B"]
    assert len(b) == 1 and pd.isna(b["participants"].iloc[0])
    assert set(placed["status"]) == {"pågående", "planerad", "avslutad"}
    assert list(placed.columns) == cov.PLACED_COLUMNS
    assert str(placed["participants"].dtype) == "Float64"
    assert str(placed["population_stage"].dtype) == "Int64"


@pytest.mark.parametrize(
    "span, stages",
    [
        ((12, 17), ["13-15", "16-18"]),  # MST: 1 of 6–12's 7 years is not coverage
        ((0, 1), ["0-5"]),  # made for part of one stage: that stage's
        ((0, 25), ["0-5", "6-12", "13-15", "16-18", "19-25"]),  # every stage whole
        ((3, 8), ["0-5"]),  # 3 of 6 years of 0–5 is half; 3 of 7 years of 6–12 is not
        ((9, 15), ["6-12", "13-15"]),  # 4 of 7 years is more than half
        ((12, 13), []),  # 1 of 7 and 1 of 3 years: no stage is covered
    ],
)
def test_an_intervention_covers_a_stage_only_for_half_its_years(span, stages):
    insatser = hand_insatser([insats("X", *span, 70)])
    placed = cov.place_on_life_course(insatser, hand_befolkning(), CB)
    assert placed["stage"].tolist() == stages
    assert sorted(_covered_stages(*span), key=[s for s, _, _ in STAGES].index) == stages
    if stages:  # every participant lands in a covered stage
        assert placed["participants"].sum() == pytest.approx(70)
    assert cov.MIN_STAGE_SHARE == 0.5


def test_coverage_by_hand(hand):
    table = hand["coverage"]
    assert len(table) == len(CB.municipalities) * len(STAGES) * len(CB.levels)
    # A does not cover 6–12 (3 of 7 years): nothing there
    c = cell(table, "6-12", "förebygga")
    assert (c.interventions, c.population) == (0, 700) and pd.isna(c.participants)
    # two interventions in one cell: A (165) + C (30) over 600
    c = cell(table, "13-15", "förebygga")
    assert c.interventions == 2 and c.participants == pytest.approx(195)
    assert c.reach_per_1000 == pytest.approx(325) and c.reach_complete
    # B gives no participant count: counted, reach unknown, not zero
    c = cell(table, "13-15", "förhindra")
    assert c.interventions == 1 and c.without_participants == 1 and c.with_participants == 0
    assert pd.isna(c.participants) and pd.isna(c.reach_per_1000)
    assert not c.reach_complete
    # planned D only in `planned`; ended E nowhere
    c = cell(table, "0-5", "förebygga")
    assert c.interventions == 0 and c.planned == 1 and pd.isna(c.participants)
    c = cell(table, "16-18", "riskreducera")
    assert c.interventions == 1 and c.participants == pytest.approx(10)  # F only, not E
    assert c.reach_per_1000 == pytest.approx(50)
    assert table["planned"].sum() == 1
    # a municipality without interventions: zeros, unknown reach, population known
    c = cell(table, "13-15", "förebygga", kommun="0123")
    assert c.interventions == 0 and c.population == 600 and pd.isna(c.reach_per_1000)
    c = cell(table, "13-15", "förebygga", kommun="0125")
    assert pd.isna(c.population)
    assert cell(table, "13-15", "förebygga").best_knowledge == "evidensbaserad"
    assert cell(table, "13-15", "förhindra").best_knowledge == "ej bedömd"
    assert pd.isna(cell(table, "0-5", "förebygga").best_knowledge)


def test_grids_have_contract_dtypes_and_order(hand):
    table = hand["coverage"]
    assert list(table.columns) == ["municipality_code", "stage", "level", *cov.CELL_COLUMNS]
    for col in [
        "interventions",
        "with_participants",
        "without_participants",
        "population",
        "planned",
    ]:
        assert str(table[col].dtype) == "Int64", col
    for col in ["participants", "reach_per_1000"]:
        assert str(table[col].dtype) == "Float64", col
    assert table["reach_complete"].dtype == bool
    assert table["stage"].head(6).tolist() == ["0-5"] * 3 + ["6-12"] * 3
    assert table["level"].head(3).tolist() == CB.ids("levels")
    assert table["municipality_code"].iloc[0] == CB.municipality_codes[0]
    again = cov.coverage_table(
        hand["placed"].sample(frac=1, random_state=1), CB, population=hand["population"]
    )
    pd.testing.assert_frame_equal(table, again)


def test_hand_grids_match_loop(hand):
    ins, bef = hand["insatser"], hand["befolkning"]
    assert assert_matches_reference(hand["coverage"], ins, bef, "niva", "level") == 3
    assert assert_matches_reference(hand["targeting"], ins, bef, "inriktning", "targeting")
    assert assert_matches_reference(hand["factor"], ins, bef, "faktorer", "factor")


def test_factor_coverage_by_hand(hand):
    table = hand["factor"]
    assert set(table["factor"]) == set(FACTORS)  # "kriminalitet" (an outcome) is left out
    c = cell(table, "13-15", "impulsivitet", "factor")
    assert c.interventions == 2 and c.reach_per_1000 == pytest.approx(325)
    c = cell(table, "16-18", "kamrater_normbrott", "factor")
    assert c.interventions == 1 and c.reach_per_1000 == pytest.approx(1000 * 10 / 200)
    assert cell(table, "19-25", "kamrater_normbrott", "factor").interventions == 0
    c = cell(table, "0-5", "foraldrastod", "factor")
    assert c.interventions == 0 and c.planned == 1


def test_population_falls_back_to_placed(hand):
    table = cov.coverage_table(hand["placed"], CB)
    assert cell(table, "13-15", "förebygga").population == 600
    assert pd.isna(cell(table, "0-5", "förebygga", kommun="0123").population)
    assert cell(table, "13-15", "förebygga").reach_per_1000 == pytest.approx(325)


def test_knowledge_profile_by_hand(hand):
    prof = cov.knowledge_profile(hand["placed"], CB).set_index(["municipality_code", "knowledge"])
    m = prof.loc["0114"]
    assert m["interventions"].tolist() == [1, 1, 1, 1]  # A, F, C, B (ongoing only)
    assert m["share_of_interventions"].tolist() == pytest.approx([0.25] * 4)
    assert m["participants"].iloc[:3].tolist() == pytest.approx([220, 10, 30])
    assert pd.isna(m.loc["ej bedömd", "participants"])
    assert m["share_of_reach"].tolist() == pytest.approx([220 / 260, 10 / 260, 30 / 260, 0])
    other = prof.loc["0123"]
    assert other["interventions"].sum() == 0
    assert other["share_of_interventions"].isna().all() and other["share_of_reach"].isna().all()
    assert list(prof.index.get_level_values(1)[:4]) == CB.ids("knowledge_levels")


def test_missing_population_names_the_municipality():
    insatser = hand_insatser([insats("X", 6, 12, 10, kommun="0125")])
    with pytest.raises(FouanalysError, match="0125 Ekerö"):
        cov.place_on_life_course(insatser, hand_befolkning(), CB)
    with pytest.raises(FouanalysError, match="9999"):
        cov.place_on_life_course(
            hand_insatser([insats("X", 6, 12, 10, kommun="9999")]), hand_befolkning(), CB
        )


def test_empty_inventory_gives_empty_grid():
    bef = hand_befolkning()
    empty = hand_insatser([insats("X", 6, 12, 10)]).iloc[:0]
    placed = cov.place_on_life_course(empty, bef, CB)
    assert placed.empty and list(placed.columns) == cov.PLACED_COLUMNS
    table = cov.coverage_table(placed, CB, population=cov.stage_population(bef, CB))
    assert len(table) == len(CB.municipalities) * len(STAGES) * len(CB.levels)
    assert table["interventions"].sum() == 0


# --- gaps -------------------------------------------------------------------------------------


def prio(
    factor,
    rank,
    elevated=False,
    *,
    year=2024,
    grade="Alla",
    sex="Alla",
    suppressed=False,
    kommun="0114",
    favourable=False,
) -> dict:
    """A priorities row; ``favourable``: the interval lies wholly on the better side."""
    risk = CB.index(factor).kind == "risk"
    low, high = (0.01, 0.05) if elevated else (-0.02, 0.02)
    if favourable:
        low, high = -0.05, -0.01
    if not risk:
        low, high = -high, -low
    return {
        "municipality_code": kommun,
        "year": year,
        "grade": grade,
        "sex": sex,
        "factor": factor,
        "domain": CB.index(factor).domain,
        "kind": CB.index(factor).kind,
        "share": 0.3,
        "difference": (low + high) / 2,
        "diff_low": low,
        "diff_high": high,
        "elevated": elevated,
        "rank": rank,
        "suppressed": suppressed,
    }


def hand_priorities() -> pd.DataFrame:
    rows = [
        prio("skolmisslyckande", 1, True),
        prio("impulsivitet", 2),  # not elevated for all students …
        prio("impulsivitet", 1, True, grade="Åk 9", sex="Flicka"),  # … but in one group
        prio("kamrater_normbrott", 3, True),
        prio("foraldrastod", 4, True),  # protective, elevated
        prio("skolanknytning", 5),  # nowhere elevated: not prioritised
        prio("narsamhalle_brister", 6, True, suppressed=True),  # suppressed: ignored
        prio("bristande_tillsyn", 8, favourable=True),  # better off overall …
        prio("bristande_tillsyn", 1, True, grade="Åk 9"),  # … so one group does not count
        prio("omradesanknytning", 7),
        prio("omradesanknytning", 1, True, year=2022),  # an older year
    ]
    frame = pd.DataFrame(rows)
    return frame.astype({"year": "int64", "rank": "Int64"})


@pytest.fixture(scope="module")
def gaps(hand):
    return cov.gap_table(hand["factor"], priority_factors(hand_priorities(), CB), CB)


def gap(gaps, factor, stage):
    rows = gaps.loc[(gaps["factor"] == factor) & (gaps["stage"] == stage)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_gap_rows_are_prioritised_factors_by_their_stages(gaps):
    assert list(gaps.columns) == cov.GAP_COLUMNS
    assert set(gaps["municipality_code"]) == {"0114"}
    # impulsivitet counts through one group; bristande_tillsyn does not (better off overall);
    # skolanknytning never stands out; the suppressed row and the older year do not count
    factors = ["skolmisslyckande", "impulsivitet", "kamrater_normbrott", "foraldrastod"]
    assert list(dict.fromkeys(gaps["factor"])) == factors  # by rank
    for f in factors:
        assert gaps.loc[gaps["factor"] == f, "stage"].tolist() == CB.index(f).stages
    assert gaps["rank"].tolist() == sorted(gaps["rank"].tolist())
    assert set(gaps["year"]) == {2024}
    assert str(gaps["rank"].dtype) == "Int64" and str(gaps["unknown_reach"].dtype) == "Int64"
    assert str(gaps["reach_per_1000"].dtype) == "Float64"
    assert set(gaps["status"]) <= set(cov.GAP_STATUSES)


def test_gap_status_and_sentences(gaps):
    def text(row):  # the chapter words the gap table's codes and numbers
        return gap_sentence(row, CB)

    g = gap(gaps, "skolmisslyckande", "6-12")
    assert g.status == "saknas" and g.interventions == 0
    assert text(g) == (
        "Vantrivsel i skolan är prioriterad, men ingen pågående insats "
        "riktar sig mot den för 6–12 år (saknas)."
    )
    g = gap(gaps, "skolmisslyckande", "13-15")  # only B, which gives no participants
    assert g.status == "okänd" and g.unknown_reach == 1 and pd.isna(g.reach_per_1000)
    assert text(g) == (
        "Vantrivsel i skolan är prioriterad, och en pågående insats "
        "riktar sig mot den för 13–15 år, men ingen av dem anger antal deltagare: om "
        f"räckvidden når 20 per 1{NB}000 är okänt (okänd)."
    )
    g = gap(gaps, "impulsivitet", "13-15")  # A + C: 195 of 600
    assert g.status == "finns" and text(g) == "" and g.interventions == 2
    assert g.reach_per_1000 == pytest.approx(325) and g.best_knowledge == "evidensbaserad"
    g = gap(gaps, "impulsivitet", "6-12")  # A reaches only 12-year-olds: no coverage
    assert g.status == "saknas" and g.interventions == 0
    g = gap(gaps, "kamrater_normbrott", "16-18")  # F: 10 of 200
    assert g.status == "finns" and g.reach_per_1000 == pytest.approx(50)
    g = gap(gaps, "foraldrastod", "0-5")  # only the planned D: not coverage
    assert g.status == "saknas" and g.kind == "protective"
    assert text(g) == (
        "Stöd och värme från föräldrar är prioriterad, men ingen pågående insats stärker den "
        "för 0–5 år (saknas)."
    )


def test_gap_thin_and_unknown_follow_the_threshold(hand, monkeypatch):
    from fouanalys.chapters.insatser import display

    monkeypatch.setattr(cov, "THIN_REACH_PER_1000", 60)
    monkeypatch.setattr(display, "THIN_REACH_PER_1000", 60)
    g = cov.gap_table(hand["factor"], priority_factors(hand_priorities(), CB), CB)
    row = gap(g, "kamrater_normbrott", "16-18")  # 50 < 60, every intervention reports
    assert row.status == "tunn" and row.unknown_reach == 0
    assert gap_sentence(row, CB) == (
        "Kamrater med normbrytande beteende är prioriterad, men en pågående insats riktar sig "
        f"mot den för 16–18 år och når 50 per 1{NB}000 invånare, under 60 per 1{NB}000 (tunn)."
    )


def test_gap_status_rules_on_a_grid():
    """Each status from its definition, cell by cell (saknas, tunn, okänd, finns)."""
    cells = pd.DataFrame(
        [
            # stage, interventions, without participants, known reach
            ("6-12", 0, 0, None),  # saknas
            ("13-15", 2, 0, 12.0),  # tunn: all report, under 20
            ("16-18", 2, 1, 12.0),  # okänd: one does not report, known reach under 20
            ("19-25", 3, 2, 25.0),  # finns: known reach at the threshold or above
        ],
        columns=["stage", "interventions", "without_participants", "reach_per_1000"],
    ).assign(
        municipality_code="0114",
        factor="impulsivitet",
        participants=lambda f: f["reach_per_1000"],
        few_interventions=0,
        few_participants=0.0,
        best_knowledge="lovande",
    )
    table = pd.DataFrame([prio("impulsivitet", 1, True)]).astype({"rank": "Int64"})
    g = cov.gap_table(cells, priority_factors(table, CB), CB)
    assert g.set_index("stage")["status"].to_dict() == {
        "6-12": "saknas",
        "13-15": "tunn",
        "16-18": "okänd",
        "19-25": "finns",
    }


def test_gap_year(hand):
    table = priority_factors(hand_priorities(), CB)
    old = cov.gap_table(hand["factor"], table, CB, year=2022)
    assert set(old["factor"]) == {"omradesanknytning"}


# --- regional comparison ----------------------------------------------------------------------


def test_regional_coverage(hand):
    table = hand["coverage"]
    wide = cov.regional_coverage(table, CB)
    assert list(wide.columns) == ["stage", "level", *CB.municipality_codes, CB.region.code]
    assert len(wide) == len(STAGES) * len(CB.levels)
    row = wide.loc[(wide["stage"] == "13-15") & (wide["level"] == "förebygga")].iloc[0]
    assert row["0114"] == pytest.approx(325)
    assert pd.isna(row["0123"])
    # pooled: 195 participants over 600 + 600 inhabitants (0125… have no population)
    assert row[CB.region.code] == pytest.approx(1000 * 195 / 1200)
    counts = cov.regional_coverage(table, CB, value="interventions")
    assert CB.region.code not in counts.columns
    merged = table.loc[table["municipality_code"] == "0114", "interventions"].tolist()
    assert counts["0114"].tolist() == merged


# --- the example data -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example():
    frames = {}
    for name in ("insatser", "befolkning"):
        path = readers.find_input(config.EXAMPLE_DATA_DIR, name)
        frames[name] = readers.to_typed(readers.read_raw(path, name, CB), name, CB)
    population = cov.stage_population(frames["befolkning"], CB)
    placed = cov.place_on_life_course(frames["insatser"], frames["befolkning"], CB)
    return frames | {"placed": placed, "population": population}


@pytest.mark.parametrize(
    "dim, column", [("niva", "level"), ("inriktning", "targeting"), ("faktorer", "factor")]
)
def test_example_grids_match_loop(example, dim, column):
    ins, bef, placed = example["insatser"], example["befolkning"], example["placed"]
    pop = example["population"]
    if column == "level":
        table = cov.coverage_table(placed, CB, population=pop)
    elif column == "targeting":
        table = cov.targeting_coverage_table(placed, CB, population=pop)
    else:
        table = cov.factor_coverage_table(placed, ins, CB, population=pop)
    assert assert_matches_reference(table, ins, bef, dim, column) > 20


def test_example_participants_are_conserved(example):
    ins, placed = example["insatser"], example["placed"]
    total = placed.groupby(["municipality_code", "intervention"])["participants"].sum(min_count=1)
    given = ins.set_index(["kommunkod", "insats"])["deltagare_per_ar"]
    given.index.names = total.index.names
    known = given.dropna()
    assert total.reindex(known.index).astype(float).tolist() == pytest.approx(
        known.astype(float).tolist()
    )
    assert total.reindex(given[given.isna()].index).isna().all()


def test_coverage_tables_bundle(example):
    priorities = pd.DataFrame(
        [prio("skolmisslyckande", 1, True, kommun=k) for k in CB.municipality_codes]
    ).astype({"rank": "Int64"})
    table = priority_factors(priorities, CB)
    tables = cov.coverage_tables(example["insatser"], example["befolkning"], table, CB)
    assert set(tables) == {
        "coverage",
        "factor_coverage",
        "targeting_coverage",
        "knowledge_profile",
        "gaps",
    }
    gaps = tables["gaps"]
    assert len(gaps) == len(CB.municipality_codes) * len(CB.index("skolmisslyckande").stages)
    assert set(gaps["status"]) <= set(cov.GAP_STATUSES)
    assert "text" not in gaps.columns  # codes and numbers only; chapter 03 words them
    codes = {*CB.municipality_codes, *CB.ids("indices"), *CB.ids("life_stages")}
    codes |= {*CB.ids("knowledge_levels"), *cov.GAP_STATUSES, "risk", "protective", "nan"}
    for column in gaps.select_dtypes(include=["object", "string"]).columns:
        assert set(gaps[column].dropna().astype(str)) <= codes, column
    prof = tables["knowledge_profile"]
    shares = prof.groupby("municipality_code")["share_of_interventions"].sum()
    assert shares.tolist() == pytest.approx([1.0] * len(shares))
    for name, table in tables.items():
        assert not math.isnan(len(table)) and len(table) > 0, name


def test_every_gap_row_carries_its_own_cells_figures(example):
    """Each gap row's counts and reach are those of its factor × stage cell (rows are sorted
    after the merge, so a misaligned column would show here)."""
    ranked = {"skolmisslyckande": 3, "impulsivitet": 1, "foraldrastod": 2}  # not in row order
    priorities = pd.DataFrame(
        [prio(f, r, True, kommun=k) for k in reversed(CB.municipality_codes)
         for f, r in ranked.items()]
    ).astype({"rank": "Int64"})  # fmt: skip
    table = priority_factors(priorities, CB)
    tables = cov.coverage_tables(example["insatser"], example["befolkning"], table, CB)
    keys = ["municipality_code", "factor", "stage"]
    merged = tables["gaps"].merge(tables["factor_coverage"], on=keys, suffixes=("", "_cell"))
    assert len(merged) == len(tables["gaps"])
    for column in ("interventions", "participants", "reach_per_1000"):
        pd.testing.assert_series_equal(merged[column], merged[f"{column}_cell"], check_names=False)
    assert (merged["interventions"] > 0).eq(merged["status"] != "saknas").all()


def test_interventions_with_fewer_than_five_participants_are_marked():
    """Counts 1–4 are small groups: the grids give how many and their part of a cell."""
    rows = [
        insats("Stor", 13, 15, 40, niva="riskreducera", kunskap="lovande"),
        insats("Liten", 13, 15, 3, niva="riskreducera", kunskap="lovande"),
        insats("Fem", 13, 15, 5, niva="förhindra"),
        insats("Okänd", 13, 15, None, niva="förhindra"),
    ]
    bef = hand_befolkning()
    placed = cov.place_on_life_course(hand_insatser(rows), bef, CB)
    assert placed.set_index("intervention")["few"].to_dict() == {
        "Stor": False,
        "Liten": True,
        "Fem": False,
        "Okänd": False,
    }
    table = cov.coverage_table(placed, CB, population=cov.stage_population(bef, CB))
    risk = cell(table, "13-15", "riskreducera")
    assert (risk.few_interventions, risk.few_participants, risk.participants) == (1, 3.0, 43.0)
    other = cell(table, "13-15", "förhindra")
    assert (other.few_interventions, other.few_participants) == (0, 0.0)
    prof = cov.knowledge_profile(placed, CB).set_index(["municipality_code", "knowledge"])
    assert prof.loc[("0114", "lovande"), "few_interventions"] == 1
    assert prof.loc[("0114", "lovande"), "few_participants"] == 3.0
    assert prof.loc[("0114", "evidensbaserad"), "few_interventions"] == 0
