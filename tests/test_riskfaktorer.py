"""Chapter 02, Riskfaktorer: number formats, sentences, display frames and the notebook."""

from __future__ import annotations

import math
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from support import example_tables, run_chapter, synthetic_manifest

from fouanalys import config
from fouanalys.chapters import riskfaktorer as rf
from fouanalys.codebook import load_codebook
from fouanalys.config import NOTEBOOKS_DIR
from fouanalys.exceptions import FouanalysError
from fouanalys.present import labels, tables
from fouanalys.present import text as fa_text
from fouanalys.priority import priority_factors

CHAPTER = NOTEBOOKS_DIR / "02_riskfaktorer.ipynb"
NB = "\u00a0"  # no-break space
WJ = "\u2060"  # word joiner: display tables keep "(27–35)" on one line
CB = load_codebook()
RISK = [i.id for i in CB.indices if i.kind == "risk"]
PROTECTIVE = [i.id for i in CB.indices if i.kind == "protective"]
KIND = {i.id: i.kind for i in CB.indices}
DOMAIN = {i.id: i.domain for i in CB.indices}
GRADES = ["Åk 9", "Gy 2", "Alla"]
SEXES = ["Pojke", "Flicka", "Alla"]

EXAMPLE = (
    "Bland flickor i gymnasiet år 2 är impulsivitet och normbrytande attityder vanligare än i "
    "övriga regionen: 31\u00a0% (27–35) mot 22\u00a0% (21–23)."
)


# --- hand-made frames in the contract shapes --------------------------------------------------


def prio_row(factor: str = "impulsivitet", **kw) -> dict:
    """One priorities row (contract columns), not elevated, published, by default."""
    row = {
        "municipality_code": "0123",
        "year": 2024,
        "grade": "Alla",
        "sex": "Alla",
        "factor": factor,
        "domain": DOMAIN[factor],
        "kind": KIND[factor],
        "share": 0.20,
        "ci_low": 0.18,
        "ci_high": 0.22,
        "reference_share": 0.19,
        "reference_ci_low": 0.18,
        "reference_ci_high": 0.20,
        "difference": 0.01,
        "diff_low": -0.01,
        "diff_high": 0.03,
        "elevated": False,
        "rank": 5,
        "previous_year": 2022,
        "change": 0.02,
        "change_low": -0.01,
        "change_high": 0.05,
        "suppressed": False,
    }
    row.update(kw)
    return row


def priorities_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col in ("rank", "previous_year"):
        frame[col] = frame[col].astype("Int64")
    frame["year"] = frame["year"].astype(int)
    return frame


def suppress(row: dict) -> dict:
    """A row as the contract publishes it when suppressed: every number NA."""
    for col in (
        "share",
        "ci_low",
        "ci_high",
        "reference_share",
        "reference_ci_low",
        "reference_ci_high",
        "difference",
        "diff_low",
        "diff_high",
        "change",
        "change_low",
        "change_high",
    ):
        row[col] = np.nan
    row.update(rank=pd.NA, elevated=False, suppressed=True)
    return row


def make_prevalence(years=(2022, 2024), codes=("0123", "0114", "NV")) -> pd.DataFrame:
    """A full prevalence frame with deterministic shares; one cell of 0123 suppressed."""
    rows = []
    for code in codes:
        for year in years:
            for grade in GRADES:
                for sex in SEXES:
                    for k, idx in enumerate(CB.indices):
                        n = 400 if code == "NV" else 100
                        cases = 10 + 3 * k + (year - 2020) + len(grade) + len(sex)
                        rows.append(
                            {
                                "municipality_code": code,
                                "year": year,
                                "grade": grade,
                                "sex": sex,
                                "factor": idx.id,
                                "domain": idx.domain,
                                "kind": idx.kind,
                                "n": n,
                                "cases": cases,
                                "missing": 3,
                                "share": cases / n,
                                "n_eff": float(n),
                                "ci_low": cases / n - 0.05,
                                "ci_high": cases / n + 0.05,
                                "suppressed": False,
                            }
                        )
    frame = pd.DataFrame(rows)
    hide = (
        (frame["municipality_code"] == "0123")
        & (frame["year"] == years[-1])
        & (frame["grade"] == "Gy 2")
        & (frame["sex"] == "Flicka")
        & (frame["factor"] == "skolmisslyckande")
    )
    frame.loc[hide, "suppressed"] = True
    for col in ("n", "cases", "missing"):
        frame[col] = frame[col].astype("Int64").mask(frame["suppressed"])
    for col in ("share", "n_eff", "ci_low", "ci_high"):
        frame[col] = frame[col].mask(frame["suppressed"])
    return frame


def make_priorities(prevalence: pd.DataFrame, kommunkod: str = "0123") -> pd.DataFrame:
    own = prevalence.loc[
        (prevalence["municipality_code"] == kommunkod)
        & prevalence["kind"].isin(["risk", "protective"])
    ]
    rows = []
    for r in own.itertuples(index=False):
        row = prio_row(
            r.factor,
            municipality_code=kommunkod,
            year=r.year,
            grade=r.grade,
            sex=r.sex,
            share=r.share,
            ci_low=r.ci_low,
            ci_high=r.ci_high,
            reference_share=0.5 if r.kind == "protective" else 0.1,
            reference_ci_low=0.45 if r.kind == "protective" else 0.08,
            reference_ci_high=0.55 if r.kind == "protective" else 0.12,
        )
        rows.append(suppress(row) if r.suppressed else row)
    return priorities_frame(rows)


def make_associations() -> pd.DataFrame:
    rows = []
    for code in ("0123", "NV"):
        for k, factor in enumerate(RISK):
            rows.append(
                {
                    "municipality_code": code,
                    "year": 2024,
                    "grade": "Alla",
                    "sex": "Alla",
                    "factor": factor,
                    "n_exposed": 50,
                    "cases_exposed": 20,
                    "n_unexposed": 150,
                    "cases_unexposed": 15,
                    "share_exposed": 0.4,
                    "share_unexposed": 0.1,
                    "risk_ratio": 4.0 - 0.5 * k,
                    "rr_low": 2.5 - 0.3 * k,
                    "rr_high": 6.4 - 0.5 * k,
                    "paf": 0.43,
                    "paf_low": 0.27,
                    "paf_high": 0.58,
                    "suppressed": False,
                }
            )
    frame = pd.DataFrame(rows)
    hide = (frame["municipality_code"] == "0123") & (frame["factor"] == "narsamhalle_brister")
    numbers = [c for c in frame.columns if c not in ("municipality_code", "year", "grade", "sex")]
    numbers = [c for c in numbers if c not in ("factor", "suppressed")]
    frame.loc[hide, numbers] = np.nan
    frame.loc[hide, "suppressed"] = True
    for col in ("n_exposed", "cases_exposed", "n_unexposed", "cases_unexposed"):
        frame[col] = frame[col].astype("Int64")
    return frame


# --- formatting -------------------------------------------------------------------------------


def test_format_share():
    assert fa_text.format_share(0.312) == f"31{NB}%"
    assert fa_text.format_share(0.145) == f"15{NB}%"  # half up, on the number as written
    assert fa_text.format_share(0.3125, decimals=1) == f"31,3{NB}%"
    assert fa_text.format_share(0.0) == f"0{NB}%"
    assert fa_text.format_share(1.0) == f"100{NB}%"
    assert fa_text.format_share(-0.05) == f"\u22125{NB}%"
    for missing in (None, np.nan, pd.NA, float("nan")):
        assert fa_text.format_share(missing) == "–"


def test_format_interval():
    assert fa_text.format_interval(0.27, 0.35) == "(27–35)"
    assert fa_text.format_interval(0.2704, 0.3496, decimals=1) == "(27,0–35,0)"
    assert fa_text.format_interval(-0.02, 0.08) == f"(\u22122{NB}till{NB}8)"
    assert fa_text.format_interval(-0.004, 0.08) == "(0–8)"  # no "−0"
    assert fa_text.format_interval(1.94, 3.04, decimals=1, scale=1) == "(1,9–3,0)"
    assert fa_text.format_interval(np.nan, 0.3) == "–"
    assert fa_text.format_interval(0.2, pd.NA) == "–"


def test_format_compound_cells():
    assert fa_text.format_share_ci(0.31, 0.27, 0.35) == f"31{NB}% (27–35)"
    assert fa_text.format_share_ci(np.nan, 0.27, 0.35) == "–"
    assert fa_text.format_difference(0.09, 0.04, 0.14) == "+9 (4–14)"
    assert fa_text.format_difference(-0.05, -0.07, -0.02) == f"\u22125 (\u22127{NB}till{NB}\u22122)"
    assert fa_text.format_difference(0.001, -0.02, 0.02) == f"0 (\u22122{NB}till{NB}2)"
    assert fa_text.format_difference(pd.NA, 0.0, 0.1) == "–"
    assert fa_text.format_ratio(2.44, 1.94, 3.04) == "2,4 (1,9–3,0)"
    assert fa_text.format_ratio(math.inf, 1.0, 2.0) == "–"
    assert fa_text.format_number(2.25, 1) == "2,3"
    assert fa_text.format_number(3, signed=True) == "+3"


def test_unbroken_keeps_intervals_together():
    frame = pd.DataFrame(
        {
            "a": ["31\u00a0% (27–35)", "–", "Faktor – text"],
            "b": [f"\u22125 (\u22127{NB}till{NB}\u22122)", "2,0 (1,2–∞)", "+3 (1–\u22121)"],
            "n": [1, 2, 3],
        }
    )
    out = tables.unbroken(frame)
    assert list(out["a"]) == [f"31\u00a0% (27–{WJ}35)", "–", "Faktor – text"]
    assert list(out["b"]) == [frame["b"][0], f"2,0 (1,2–{WJ}∞)", f"+3 (1–{WJ}\u22121)"]
    assert list(out["n"]) == [1, 2, 3]
    assert frame["a"].iloc[0] == "31\u00a0% (27–35)"  # the input is not changed


def test_group_phrases():
    assert labels.group_phrase("Åk 9", "Pojke", CB) == "Bland pojkar i årskurs 9"
    assert labels.group_phrase("Åk 9", "Alla", CB) == "Bland alla elever i årskurs 9"
    assert labels.group_phrase("Alla", "Flicka", CB) == "Bland flickor i båda årskurserna"
    assert labels.group_phrase("Alla", "Alla", CB) == "Bland alla elever"
    assert labels.group_phrase("Gy 2", "Flicka", CB) == "Bland flickor i gymnasiet år 2"
    assert labels.group_label("Gy 2", "Flicka", CB) == "Flickor, gymnasiet år 2"
    assert labels.group_label("Alla", "Alla", CB) == "Alla elever"


# --- priority sentences -----------------------------------------------------------------------


def elevated_example(**kw) -> dict:
    values = {
        "grade": "Gy 2",
        "sex": "Flicka",
        "share": 0.31,
        "ci_low": 0.27,
        "ci_high": 0.35,
        "reference_share": 0.22,
        "reference_ci_low": 0.21,
        "reference_ci_high": 0.23,
        "difference": 0.09,
        "diff_low": 0.04,
        "diff_high": 0.14,
        "elevated": True,
        "rank": 1,
    }
    values.update(kw)
    return prio_row("impulsivitet", **values)


def sentences_of(prio: pd.DataFrame, year: int = 2024, **kw) -> list[str]:
    """Chapter 02's sentences, with the prioritised set from the one rule."""
    return rf.priority_sentences(prio, priority_factors(prio, CB), CB, "0123", year, **kw)


def test_priority_sentence_exact():
    prio = priorities_frame([elevated_example(), prio_row("kamrater_normbrott", rank=2)])
    assert sentences_of(prio) == [EXAMPLE]


def test_priority_sentence_protective():
    prio = priorities_frame(
        [
            prio_row(
                "foraldrastod",
                grade="Åk 9",
                sex="Pojke",
                share=0.48,
                ci_low=0.44,
                ci_high=0.52,
                reference_share=0.56,
                reference_ci_low=0.55,
                reference_ci_high=0.57,
                difference=-0.08,
                diff_low=-0.12,
                diff_high=-0.04,
                elevated=True,
                rank=1,
            )
        ]
    )
    assert sentences_of(prio) == [
        "Bland pojkar i årskurs 9 är stöd och värme från föräldrar ovanligare än i övriga "
        f"regionen: 48{NB}% (44–52) mot 56{NB}% (55–57)."
    ]


def test_priority_sentences_ordered_by_rank():
    prio = priorities_frame(
        [
            prio_row("impulsivitet", elevated=True, rank=3, difference=0.09),
            prio_row("skolanknytning", elevated=True, rank=1, difference=-0.02),
            prio_row("kamrater_normbrott", elevated=True, rank=2, difference=0.05),
            prio_row("bristande_tillsyn", elevated=False, rank=4),
        ]
    )
    sentences = sentences_of(prio)
    assert len(sentences) == 3
    assert "positivt skolklimat ovanligare" in sentences[0]
    assert "kamrater med normbrytande beteende vanligare" in sentences[1]
    assert "impulsivitet och normbrytande attityder vanligare" in sentences[2]
    limited = sentences_of(prio, limit=1)
    assert len(limited) == 2 and "positivt skolklimat" in limited[0]
    assert limited[1] == (
        "Ytterligare 2 faktorer är prioriterade och redovisas under Prioriterade faktorer."
    )


def test_priority_sentences_one_per_factor_with_other_groups():
    prio = priorities_frame(
        [
            elevated_example(),  # girls, Gy 2, rank 1
            elevated_example(grade="Alla", sex="Alla", rank=2, share=0.25),
            elevated_example(grade="Åk 9", sex="Pojke", rank=1),
            prio_row("impulsivitet", grade="Åk 9", sex="Alla"),
        ]
    )
    sentences = sentences_of(prio)
    assert len(sentences) == 1
    assert sentences[0].startswith("Bland alla elever är impulsivitet")  # broadest group
    assert sentences[0].endswith(
        "Skillnaden finns också bland pojkar i årskurs 9 och flickor i gymnasiet år 2."
    )


def test_a_group_does_not_prioritise_a_factor_better_off_overall():
    """The rule: one group standing out does not make a factor prioritised when all students
    together are statistically certainly better off."""
    prio = priorities_frame(
        [
            prio_row("impulsivitet", difference=-0.05, diff_low=-0.08, diff_high=-0.02),
            elevated_example(),  # girls in Gy 2 stand out
        ]
    )
    (sentence,) = sentences_of(prio)
    assert sentence.startswith("Järfälla har ingen prioriterad risk- eller skyddsfaktor år 2024")
    assert "till kommunens fördel" in sentence


def test_suppressed_rows_never_give_a_sentence():
    hidden = suppress(elevated_example())
    hidden["elevated"] = True  # even if a producer left the flag on
    prio = priorities_frame([hidden, prio_row("kamrater_normbrott")])
    (sentence,) = sentences_of(prio)
    assert "impulsivitet" not in sentence
    assert sentence.startswith("Järfälla har ingen prioriterad risk- eller skyddsfaktor år 2024")
    assert "statistiska osäkerheten" in sentence


def test_priority_sentences_when_nothing_stands_out():
    favourable = prio_row("impulsivitet", difference=-0.05, diff_low=-0.08, diff_high=-0.02)
    (sentence,) = sentences_of(priorities_frame([favourable]))
    assert "till kommunens fördel" in sentence
    all_hidden = priorities_frame([suppress(prio_row("impulsivitet"))])
    (sentence,) = sentences_of(all_hidden)
    assert "för litet" in sentence
    (sentence,) = sentences_of(priorities_frame([prio_row()]), year=2020)
    assert sentence == "Det finns inga jämförelser med övriga regionen för Järfälla år 2020."


# --- display frames ---------------------------------------------------------------------------


def test_survey_year():
    prev = make_prevalence(years=(2020, 2024))
    assert rf.survey_year(prev, "0123") == 2024
    assert rf.survey_year(prev, "0123", None) == 2024
    assert rf.survey_year(prev, "0123", 2020) == 2020
    with pytest.raises(FouanalysError, match="2022"):
        rf.survey_year(prev, "0123", 2022)
    with pytest.raises(FouanalysError, match="0191"):
        rf.survey_year(prev, "0191")
    assert rf.grades(prev, "0123", 2024, CB) == ["Åk 9", "Gy 2"]


def test_profile_frame():
    prev = make_prevalence()
    prio = make_priorities(prev)
    profile = rf.profile_frame(prev, prio, "0123", 2024, "Gy 2", CB)
    assert list(profile.columns[:7]) == [
        "municipality_code",
        "municipality_name",
        "year",
        "grade",
        "grade_label",
        "sex",
        "sex_label",
    ]
    for col in ("share", "ci_low", "ci_high", "suppressed", "reference_share", "elevated"):
        assert col in profile.columns
    assert len(profile) == (len(RISK) + len(PROTECTIVE)) * 3
    kinds = list(dict.fromkeys(profile["kind"]))
    assert kinds == ["risk", "protective"]  # risk first; the outcome is not in the profile
    # all students first, as the chapter's text and tables describe them, then each sex
    assert list(profile["sex"][:3]) == ["Alla", "Pojke", "Flicka"]
    assert list(profile["sex_label"][:3]) == ["Alla elever", "Pojkar", "Flickor"]
    assert set(profile["grade_label"]) == {"Gymnasiet år 2"}
    hidden = profile.loc[profile["suppressed"]]
    assert list(zip(hidden["factor"], hidden["sex"], strict=True)) == [
        ("skolmisslyckande", "Flicka")
    ]
    assert hidden["share"].isna().all() and hidden["reference_share"].isna().all()
    shown = profile.loc[~profile["suppressed"]]
    assert shown["share"].notna().all()
    assert set(shown.loc[shown["kind"] == "risk", "reference_share"]) == {0.1}
    with pytest.raises(FouanalysError, match="2019"):
        rf.profile_frame(prev, prio, "0123", 2019, None, CB)


def test_priority_table():
    prio = priorities_frame(
        [
            elevated_example(grade="Alla", sex="Alla", rank=2),
            prio_row("skolanknytning", rank=1, elevated=True, difference=-0.1),
            suppress(prio_row("kamrater_normbrott")),
            prio_row("foraldrastod", rank=3),
            elevated_example(),  # girls, Gy 2: not in the all-students table
        ]
    )
    assert "Prioriterad" not in rf.priority_table(prio, CB, "0123", 2024).columns  # no table given
    table = rf.priority_table(prio, CB, "0123", 2024, priority_factors=priority_factors(prio, CB))
    assert list(table.columns) == [
        "Rang",
        "Faktor",
        "Typ",
        "Järfälla",
        "Övriga regionen",
        "Skillnad",
        "Förändring sedan 2022",
        "Prioriterad",
    ]
    assert list(table["Rang"]) == ["1", "2", "3", "–"]  # suppressed last
    assert list(table["Faktor"])[:2] == ["Positivt skolklimat", CB.index("impulsivitet").label]
    assert table.iloc[1]["Järfälla"] == f"31{NB}% (27–{WJ}35)"
    assert table.iloc[1]["Skillnad"] == f"+9 (4–{WJ}14)"
    # Prioriterad is the table's: impulsivitet and skolklimat stand out (skolklimat for all
    # students, impulsivitet for all students and for girls in Gy 2)
    assert list(table["Prioriterad"]) == ["ja", "ja", "", ""]
    assert (table.iloc[3, 3:7] == "–").all()
    groups = rf.priority_table(prio, CB, "0123", 2024, grade="*", sex="*", elevated_only=True)
    assert list(groups.columns) == [
        "Grupp",
        "Faktor",
        "Typ",
        "Järfälla",
        "Övriga regionen",
        "Skillnad",
    ]
    # each factor's rows together, factors by their best rank (ties: codebook order)
    assert list(groups["Grupp"]) == ["Alla elever", "Flickor, gymnasiet år 2", "Alla elever"]
    assert list(groups["Faktor"]) == [
        CB.index("impulsivitet").label,
        CB.index("impulsivitet").label,
        "Positivt skolklimat",
    ]


def test_differences_agree_with_the_printed_shares():
    """Järfälla's "50 % mot 54 %" printed "−5" beside them (the unrounded −4,7); every table
    now prints the difference of the printed shares: −4."""
    row = prio_row(
        "skolanknytning",
        share=0.497251,
        ci_low=0.473,
        ci_high=0.521,
        reference_share=0.544,
        reference_ci_low=0.53,
        reference_ci_high=0.56,
        difference=0.497251 - 0.544,
        diff_low=-0.073,
        diff_high=-0.02,
        elevated=True,
        rank=1,
        change=0.497251 - 0.4849,  # 48 % in 2022 (48,49 %): printed change +2, not +1,2
    )
    table = rf.priority_table(priorities_frame([row]), CB, "0123", 2024)
    first = table.iloc[0]
    assert first["Järfälla"].startswith(f"50{NB}%")
    assert first["Övriga regionen"].startswith(f"54{NB}%")
    assert first["Skillnad"] == f"\u22124 (\u22127{NB}till{NB}\u22122)"
    matrix = rf.priority_matrix(priorities_frame([row]), CB, "0123", 2024)
    cell = matrix.loc[matrix["Faktor"] == "Positivt skolklimat", "Alla elever"].iloc[0]
    assert cell == "\u22124*"
    # the change in the priority table equals the change in the trend table, and both equal
    # the difference of the trend table's printed shares
    prev = make_prevalence(years=(2022, 2024))
    mask = (
        (prev["municipality_code"] == "0123")
        & (prev["grade"] == "Alla")
        & (prev["sex"] == "Alla")
        & (prev["factor"] == "skolanknytning")
    )
    prev.loc[mask & (prev["year"] == 2024), "share"] = 0.497251
    prev.loc[mask & (prev["year"] == 2022), "share"] = 0.4849
    trend = rf.trend_table(
        rf.trend_frame(prev, priorities_frame([row]), "0123", CB), priorities_frame([row]), CB
    )
    line = trend.loc[trend["Faktor"] == "Positivt skolklimat"].iloc[0]
    assert (line["2022"], line["2024"]) == (f"48{NB}%", f"50{NB}%")
    assert line["Förändring sedan 2022"].split(" ")[0] == "+2"
    assert first["Förändring sedan 2022"].split(" ")[0] == "+2"


def test_priority_matrix():
    prio = priorities_frame(
        [
            elevated_example(),
            prio_row("impulsivitet", difference=0.014),
            suppress(prio_row("impulsivitet", grade="Åk 9", sex="Pojke")),
        ]
    )
    matrix = rf.priority_matrix(prio, CB, "0123", 2024)
    assert list(matrix.columns) == [
        "Faktor",
        "Alla elever",
        "Pojkar",
        "Flickor",
        f"Åk{NB}9",
        f"Gy{NB}2",
        f"Åk{NB}9, pojkar",
        f"Åk{NB}9, flickor",
        f"Gy{NB}2, pojkar",
        f"Gy{NB}2, flickor",
    ]
    assert len(matrix) == len(RISK) + len(PROTECTIVE)
    first = matrix.iloc[0]
    assert first["Faktor"] == CB.index("impulsivitet").label
    assert first["Alla elever"] == "+1"
    assert first[f"Gy{NB}2, flickor"] == "+9*"
    assert first[f"Åk{NB}9, pojkar"] == "–"
    assert first["Pojkar"] == ""


def test_trend_frame_and_table():
    prev = make_prevalence(years=(2020, 2022, 2024))
    prio = make_priorities(prev)
    trend = rf.trend_frame(prev, prio, "0123", CB, grade="Gy 2", sex="Flicka")
    assert set(trend["area"]) == {"municipality", "rest"}
    assert sorted(trend["year"].unique()) == [2020, 2022, 2024]
    # the factors and offending (the primary outcome) for the municipality, the compared ones
    # (not the outcome) for the rest; the other outcomes are in the chapter's outcome table
    assert len(trend) == (len(RISK) + len(PROTECTIVE) + 1 + len(RISK) + len(PROTECTIVE)) * 3
    assert set(trend.loc[trend["kind"] == "outcome", "factor"]) == {CB.primary_outcome}
    assert set(trend["area_label"]) == {"Järfälla", "Övriga regionen"}
    assert set(trend.loc[trend["area"] == "rest", "kind"]) == {"risk", "protective"}
    # the rest of the region is the priorities table's reference, not the region's prevalence
    rest = trend.loc[(trend["area"] == "rest") & ~trend["suppressed"]]
    assert set(rest.loc[rest["kind"] == "risk", "share"]) == {0.1}
    assert set(rest.loc[rest["kind"] == "protective", "ci_high"]) == {0.55}
    hidden = trend.loc[trend["suppressed"]]
    # the suppressed cell hides the municipality's share and, with it, the reference
    assert list(hidden["factor"]) == ["skolmisslyckande"] * 2
    assert hidden["share"].isna().all() and set(hidden["area"]) == {"municipality", "rest"}
    table = rf.trend_table(trend, prio, CB)
    assert list(table.columns) == [
        "Faktor",
        "Typ",
        "2020",
        "2022",
        "2024",
        "Förändring sedan 2022",
    ]
    row = table.loc[table["Faktor"] == CB.index("skolmisslyckande").label].iloc[0]
    assert row["2024"] == "–" and row["Förändring sedan 2022"] == "–"
    assert row["2020"].endswith(f"{NB}%")
    assert table.iloc[-1]["Typ"] == "Utfall"
    # the outcome has no change computed: a word, not the dash that means suppressed
    assert table.iloc[-1]["Förändring sedan 2022"] == "ej tillämpligt"


def test_association_display():
    table = rf.association_display(make_associations(), "0123", 2024, CB)
    assert list(table.columns) == [
        "Riskfaktor",
        "Brott bland dem över",
        "Brott bland övriga",
        "Relativ risk",
        "Tillskrivbar andel",
    ]
    assert len(table) == len(RISK)
    first = table.iloc[0]
    assert first["Relativ risk"] == f"4,0 (2,5–{WJ}6,4)"
    assert first["Tillskrivbar andel"] == f"43{NB}% (27–{WJ}58)"
    hidden = table.loc[table["Riskfaktor"] == CB.index("narsamhalle_brister").label].iloc[0]
    assert (hidden.iloc[1:] == "–").all()
    frame = rf.association_frame(make_associations(), "0123", 2024, CB)
    assert set(frame["area"]) == {"municipality", "region"}
    assert frame.loc[frame["area"] == "region", "suppressed"].eq(False).all()


def test_index_table():
    table = rf.index_table(CB)
    assert len(table) == len(CB.indices)
    assert list(table.columns) == [
        "Faktor",
        "Område",
        "Typ",
        "Mått",
        "Frågor",
        "Gränsvärde",
        "Minst besvarade",
    ]
    by_factor = table.set_index("Faktor")
    first = by_factor.loc[CB.index("impulsivitet").label]
    assert first["Mått"] == "Data i Dialog (Rasch)" and first["Minst besvarade"] == "5"
    assert first["Gränsvärde"].startswith("förhöjd risk: de 10\u00a0% högsta")
    school = by_factor.loc[CB.index("skolanknytning").label]
    assert school["Gränsvärde"].startswith("låg skyddsnivå: de 15\u00a0% lägsta")
    peers = by_factor.loc[CB.index("kamrater_normbrott").label]
    assert peers["Mått"] == "Eget (medelvärde)"
    assert peers["Gränsvärde"] == "medelvärde minst 0,34 på skalan 0–1"
    assert table.iloc[-1]["Typ"] == "Utfall"
    # count indices name the answers that count, from the codebook's answer scales
    crime = by_factor.loc[CB.index("kriminalitet").label]
    assert (
        crime["Gränsvärde"] == "minst 1 av 11 frågor där eleven svarat något annat än ”Ingen gång”"
    )
    drink = by_factor.loc[CB.index("alkohol").label]
    assert drink["Gränsvärde"] == (
        "eleven har svarat ”Någon gång i månaden”, ”Ett par gånger i månaden” eller ”Någon gång "
        "i veckan”"
    )
    assert by_factor.loc[CB.index("psykisk_ohalsa").label, "Mått"] == "Data i Dialog (Rasch)"


# --- the notebook -----------------------------------------------------------------------------


def test_committed_notebook_is_clean():
    nb = nbformat.read(CHAPTER, as_version=4)
    assert nb.cells[0].cell_type == "markdown"
    assert nb.cells[0].source.strip() == "# Riskfaktorer"
    assert "chapter-title" in nb.cells[0].metadata.get("tags", [])
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    params = code[0]
    assert "parameters" in params.metadata.get("tags", [])
    for name in ("municipality", "data_dir", "processed_dir", "seed", "year"):
        assert re.search(rf"^{name} = ", params.source, re.MULTILINE)
    for line in params.source.splitlines():  # papermill chokes on "=" in comments
        assert "=" not in line.partition("#")[2]
    source = "\n".join(c.source for c in code)
    assert not re.search(r"^\s*(def|class) ", source, re.MULTILINE)
    assert "print(" not in source
    for table in ("prevalence", "priorities", "associations"):
        assert f'egna("{table}")' in source  # its own rows and the region's


def _small_processed_dir(out: Path) -> dict[str, pd.DataFrame]:
    """Typed survey answers for three municipalities and two years, and the derived tables.

    Järfälla's Gy 2 in 2024 has seven respondents, so its cells by sex are suppressed.
    """
    from fouanalys.ingest.processing import write_tables
    from fouanalys.prevalence import (
        association_table,
        levels_table,
        prevalence_table,
        priorities_table,
    )
    from fouanalys.scoring import score_indices

    rng = np.random.default_rng(11)
    records = []
    for kod in ("0123", "0114", "0125"):
        for ar in (2022, 2024):
            for ak in ("Åk 9", "Gy 2"):
                # one tiny group, so that suppressed cells reach the tables and figures
                n = 7 if (kod, ar, ak) == ("0123", 2024, "Gy 2") else int(rng.integers(40, 60))
                for kon in rng.choice(np.array(["Pojke", "Flicka", None], dtype=object), n):
                    records.append({"ar": ar, "kommunkod": kod, "arskurs": ak, "kon": kon})
    enkat = pd.DataFrame(records).astype({"ar": "Int64"})
    for item, levels in CB.item_levels().items():
        enkat[item] = pd.array(rng.integers(1, min(levels, 4) + 1, len(enkat)), dtype="Int64")
    scores = score_indices(enkat, CB)
    priorities = priorities_table(scores, CB)
    frames = {
        "enkat": enkat,
        "prevalence": prevalence_table(scores, CB),
        "levels": levels_table(scores, CB),
        "priorities": priorities,
        "priority_factors": priority_factors(priorities, CB),
        "associations": association_table(scores, CB),
    }
    write_tables(frames, out, synthetic_manifest(CB))
    return frames


@pytest.mark.slow
def test_notebook_executes(tmp_path):

    frames = _small_processed_dir(tmp_path / "processed")
    prev = frames["prevalence"]
    tiny = (
        (prev["municipality_code"] == "0123") & (prev["year"] == 2024) & (prev["grade"] == "Gy 2")
    )
    assert prev.loc[tiny & (prev["sex"] != "Alla"), "suppressed"].any()  # the case is exercised
    run = run_chapter(
        CHAPTER,
        tmp_path / "02_riskfaktorer.ipynb",
        municipality="Järfälla",
        processed_dir=str(tmp_path / "processed"),
    )
    assert run.figures == 6  # profile, two grades, Data i Dialog levels, trend, association
    text = run.text
    assert "Syntetiska exempeldata" in text
    assert "Järfälla" in text and "2024" in text
    assert "Relativ risk" in text and "Index och gränsvärden" in text
    assert "<td>–</td>" in text  # suppressed cells shown as a dash


@pytest.fixture(scope="module")
def example() -> dict[str, pd.DataFrame]:
    return example_tables(CB)


def hand_count(
    factor: str, municipality: str = "Järfälla", year: int = 2024
) -> tuple[int, int, int]:
    """(respondents, n with the index, cases above the cut-point), counted by hand from the raw
    example file: reversed items, the mean of the answered items on 0..1, at least
    ``min_answered`` answers. Respondents the codebook's ``unserious`` rule excludes (one
    extreme answer to 20 or more agree/disagree statements, or "Mer än 10 gånger" to 8 or more
    offences) are not counted, as the analysis leaves them out."""
    from fouanalys.config import EXAMPLE_DATA_DIR

    raw = pd.read_csv(EXAMPLE_DATA_DIR / "enkat.csv.gz", dtype=str, keep_default_na=False)
    rows = raw.loc[(raw["Hemkommun"] == municipality) & (raw["ar"] == str(year))]
    statements = rows[CB.scale_items("instammer")].replace("", None).astype(float)
    offences = rows[CB.scale_items("brott_antal")].replace("", None).astype(float)
    straight = (statements.notna().sum(axis=1) >= 20) & (statements.nunique(axis=1) == 1)
    straight &= statements.min(axis=1).isin([1, 4])
    rows = rows.loc[~(straight | ((offences == 5).sum(axis=1) >= 8))]
    index = CB.index(factor)
    assert index.scoring == "mean"
    counted = n = cases = 0
    for _, row in rows.iterrows():
        counted += 1
        values = []
        for item in index.items:
            text = row[item.id].strip()
            if text:
                code = int(text)
                values.append(index.levels + 1 - code if item.reverse else code)
        if len(values) < index.min_answered:
            continue
        n += 1
        score = sum((v - 1) / (index.levels - 1) for v in values) / len(values)
        cases += score >= index.cut_point - 1e-9
    return counted, n, cases


def test_one_denominator_in_text_tables_and_figure(example):
    """Järfälla 2024, all students, "Kamrater med normbrytande beteende" (a mean-scored
    index): the profile table, the trend table and the method text print the same share and n,
    and they equal a count from the raw file; the association table prints no second share."""
    factor = "kamrater_normbrott"
    respondents, n, cases = hand_count(factor)
    share = fa_text.format_share(cases / n)
    prevalence, priorities = example["prevalence"], example["priorities"]
    label = CB.index(factor).label
    table = rf.priority_table(priorities, CB, "0123", 2024)
    assert table.loc[table["Faktor"] == label, "Järfälla"].iloc[0].startswith(share)
    trend = rf.trend_table(rf.trend_frame(prevalence, priorities, "0123", CB), priorities, CB)
    assert trend.loc[trend["Faktor"] == label, "2024"].iloc[0] == share
    sentence = rf.denominator_sentence(prevalence, "0123", 2024, CB)
    assert f"är {fa_text.format_number(respondents)} elevers svar med i analysen" in sentence
    own = prevalence.loc[
        (prevalence["municipality_code"] == "0123")
        & (prevalence["year"] == 2024)
        & (prevalence["grade"] == "Alla")
        & (prevalence["sex"] == "Alla")
    ]
    low, high = int(own["n"].min()), int(own["n"].max())
    assert low <= n <= high
    assert f"mellan {fa_text.format_number(low)} och {fa_text.format_number(high)}" in sentence
    associations = rf.association_display(example["associations"], "0123", 2024, CB)
    assert not any("gränsvärdet" in c for c in associations.columns)
    profile = rf.profile_frame(prevalence, priorities, "0123", 2024, codebook=CB)
    everyone = profile.loc[(profile["factor"] == factor) & (profile["sex"] == "Alla")]
    assert fa_text.format_share(everyone["share"].iloc[0]) == share
    # the figure draws that share: the all-students bar of the factor, in percent
    bars = _profile_bars(rf.ctc_profile_figure(profile), "Alla")
    assert fa_text.format_share(bars[label] / 100) == share
    assert bars[label] == pytest.approx(100 * cases / n)


def _profile_bars(fig, sex: str) -> dict[str, float]:
    """The drawn width (percent) of each factor's bar for ``sex``, by factor label, read from
    the figure's artists (bars tagged ``gid="bar-<sex>"``, y tick labels in axis order)."""
    widths = {}
    for ax in fig.axes:
        bars = sorted(
            (p for p in ax.patches if p.get_gid() == f"bar-{sex}"),
            key=lambda b: b.get_y() + b.get_height() / 2,
        )
        ticks = sorted(ax.get_yticklabels(), key=lambda t: t.get_position()[1])
        assert len(bars) == len(ticks)
        for bar, tick in zip(bars, ticks, strict=True):
            widths[tick.get_text().replace("\n", " ")] = bar.get_width()
    return widths


def test_profile_figure_draws_all_students_against_the_rest_of_the_region(example):
    """Figur 5: the chapter's text is about all students, so the profile draws their bars, and
    they equal the prevalence table's all-students rows (read here directly, not through
    ``profile_frame``); the black mark on each bar is the priorities table's rest of the region
    for the same group, as the priority table prints it; the legend names both."""
    prevalence, priorities = example["prevalence"], example["priorities"]
    profile = rf.profile_frame(prevalence, priorities, "0123", 2024, codebook=CB)
    fig = rf.ctc_profile_figure(profile)
    key = (
        (prevalence["municipality_code"] == "0123")
        & (prevalence["year"] == 2024)
        & (prevalence["grade"] == "Alla")
        & (prevalence["sex"] == "Alla")
    )
    rows = prevalence.loc[key].set_index("factor")
    labels = {i.id: i.label for i in CB.indices}
    bars = _profile_bars(fig, "Alla")
    expected = {labels[f]: 100 * float(rows.at[f, "share"]) for f in RISK + PROTECTIVE}
    assert bars == pytest.approx(expected)
    assert not rows.loc[RISK + PROTECTIVE, "suppressed"].any()  # every bar is a real one
    # the reference marks over the all-students bars are the table's "Övriga regionen"
    table = rf.priority_table(priorities, CB, "0123", 2024).set_index("Faktor")
    reference = priorities.loc[
        (priorities["municipality_code"] == "0123")
        & (priorities["year"] == 2024)
        & (priorities["grade"] == "Alla")
        & (priorities["sex"] == "Alla")
    ].set_index("factor")["reference_share"]
    by_label = {labels[f]: 100 * float(v) for f, v in reference.items()}
    for ax in fig.axes:
        marks = [c for c in ax.collections if c.get_gid() == "reference"]
        segments = [seg for c in marks for seg in c.get_segments()]
        alla = [p for p in ax.patches if p.get_gid() == "bar-Alla"]
        ticks = sorted(ax.get_yticklabels(), key=lambda t: t.get_position()[1])
        for bar, tick in zip(sorted(alla, key=lambda b: b.get_y()), ticks, strict=True):
            centre = bar.get_y() + bar.get_height() / 2
            (x,) = {seg[0][0] for seg in segments if seg[0][1] < centre < seg[1][1]}
            label = tick.get_text().replace("\n", " ")
            assert x == pytest.approx(by_label[label])
            assert table.at[label, "Övriga regionen"].startswith(fa_text.format_share(x / 100))
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[:4] == ["Alla elever", "Pojkar", "Flickor", "Övriga regionen"]


def test_trend_figure_compares_with_the_rest_of_the_region(example):
    """Figur 8: the dashed line of each factor's panel is the priorities table's
    ``reference_share`` for every year (the rest of the region, as the tables print it), not
    the whole region's prevalence; the legend says "Övriga regionen"; the outcome, which the
    priorities table does not compare, draws Järfälla alone and its title says so."""
    prevalence, priorities = example["prevalence"], example["priorities"]
    fig = rf.trend_figure(prevalence, priorities, "0123", CB)
    reference = priorities.loc[
        (priorities["municipality_code"] == "0123")
        & (priorities["grade"] == "Alla")
        & (priorities["sex"] == "Alla")
    ]
    region = prevalence.loc[
        (prevalence["municipality_code"] == CB.region.code)
        & (prevalence["grade"] == "Alla")
        & (prevalence["sex"] == "Alla")
    ]
    labels = {i.label: i for i in CB.indices}
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == len(RISK) + len(PROTECTIVE) + 1  # the factors and offending
    for ax in panels:
        title = ax.get_title(loc="left").replace("\n", " ")
        lines = {ln.get_gid(): ln for ln in ax.get_lines()}
        if title == f"{CB.index('kriminalitet').label} (bara Järfälla)":
            assert set(lines) == {"line-municipality"}
            continue
        factor = labels[title].id
        rest = lines["line-rest"]
        expected = reference.loc[reference["factor"] == factor].sort_values("year")
        assert list(rest.get_xdata()) == list(expected["year"])
        assert list(rest.get_ydata()) == pytest.approx(list(expected["reference_share"] * 100))
        whole = region.loc[region["factor"] == factor].sort_values("year")["share"] * 100
        assert list(rest.get_ydata()) != pytest.approx(list(whole))  # not the whole region
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[:2] == ["Järfälla", "Övriga regionen"]


def test_chapter_text_never_compares_with_the_whole_region():
    """The profile and trend sections, figures and captions say "övriga regionen", the
    comparison the tables make; "hela regionen" is left only where the association figure
    shows the whole region as a larger base for its risk ratios."""
    nb = nbformat.read(CHAPTER, as_version=4)
    sections: dict[str, str] = {}
    heading = ""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            heading = cell.source.splitlines()[0]
        sections[heading] = sections.get(heading, "") + "\n" + cell.source
    for heading, text in sections.items():
        if heading != "## Vad hänger ihop med brottslighet?":
            assert "hela regionen" not in text, heading
    for heading in ("## Riskprofil", "## Utveckling över tid"):
        assert "övriga regionen" in sections[heading]


def test_attributable_fractions_carry_a_sentence_that_they_cannot_be_added():
    """The sentence's sum is the sum of the percentages the table prints (added up here from
    the printed cells), and it says the fractions overlap."""
    from fouanalys.ingest import readers
    from fouanalys.prevalence import association_table
    from fouanalys.scoring import score_indices

    path = readers.find_input(config.EXAMPLE_DATA_DIR, "enkat")
    enkat = readers.to_typed(readers.read_raw(path, "enkat", CB), "enkat", CB)
    associations = association_table(score_indices(enkat, CB), CB)
    shown = rf.association_display(associations, "0123", 2024, CB)["Tillskrivbar andel"]
    printed = [int(cell.split("\u00a0")[0]) for cell in shown if cell != "–"]
    assert len(printed) >= 2
    sentence = rf.paf_overlap_sentence(associations, "0123", 2024, CB)
    assert f"Tillsammans blir de {sum(printed)}\u00a0%" in sentence
    assert "kan inte läggas ihop" in sentence and "överlappar" in sentence
    one = associations.loc[associations["factor"] == associations["factor"].iloc[0]]
    assert rf.paf_overlap_sentence(one, "0123", 2024, CB) == ""  # nothing to add up


def test_outcome_table_prints_the_prevalence_rows(example):
    """Every outcome, offending first, for all students and the broad groups: each cell is
    the prevalence table's share and interval for that group, read here directly."""
    prevalence = example["prevalence"]
    table = rf.outcome_table(prevalence, CB, "0123", 2024)
    headers = ["Utfall", "Alla elever", "Pojkar", "Flickor", "Åk\u00a09", "Gy\u00a02"]
    assert list(table.columns) == headers
    assert table["Utfall"].tolist() == [CB.index(o).label for o in CB.outcomes()]
    groups = {
        "Alla elever": ("Alla", "Alla"),
        "Pojkar": ("Alla", "Pojke"),
        "Flickor": ("Alla", "Flicka"),
        "Åk\u00a09": ("Åk 9", "Alla"),
        "Gy\u00a02": ("Gy 2", "Alla"),
    }
    own = prevalence[(prevalence["municipality_code"] == "0123") & (prevalence["year"] == 2024)]
    for outcome, (_, row) in zip(CB.outcomes(), table.iterrows(), strict=True):
        for header, (grade, sex) in groups.items():
            r = own[(own["grade"] == grade) & (own["sex"] == sex) & (own["factor"] == outcome)]
            r = r.iloc[0]
            if r["suppressed"]:
                assert row[header] == "–"
            else:
                low, high = round(100 * r["ci_low"]), round(100 * r["ci_high"])
                assert row[header].startswith(f"{round(100 * r['share'])}\u00a0% ({low}–")
                assert row[header].endswith(f"{high})")


def test_level_figure_draws_the_levels_table(example):
    """Each Rasch index's bar: its three segments are the levels table's shares (read here
    directly), protective indices drawn from hög to låg, so red is always the worrying end."""
    from matplotlib.colors import to_hex

    from fouanalys.chapters.riskfaktorer.figures import LEVEL_COLORS

    levels = example["levels"]
    fig = rf.level_figure(levels, CB, "0123", 2024)
    own = levels[(levels["municipality_code"] == "0123") & (levels["year"] == 2024)
                 & (levels["grade"] == "Alla") & (levels["sex"] == "Alla")]  # fmt: skip
    bars = {p.get_gid(): p for p in fig.axes[0].patches if p.get_gid()}
    rasch = [i for i in CB.indices if i.scoring == "rasch"]
    assert {g.rsplit("-", 2)[1] for g in bars} <= {i.id for i in rasch}
    for index in rasch:
        rows = own[own["factor"] == index.id].set_index("level")
        if rows["suppressed"].any():
            continue
        for level in (0, 1, 2):
            bar = bars[f"level-{index.id}-{level}"]
            assert bar.get_width() == pytest.approx(100 * rows.loc[level, "share"])
        worst = 0 if index.kind == "protective" else 2
        assert to_hex(bars[f"level-{index.id}-{worst}"].get_facecolor()) == LEVEL_COLORS[2]
