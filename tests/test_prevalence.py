"""Tests for fouanalys.prevalence: intervals against independent implementations, and the
prevalence, priorities and association tables on small hand-made score frames.

References: statsmodels' ``proportion_confint(method="wilson")`` and ``Table2x2`` for the Wilson
and Katz intervals; a scalar Newcombe written here from the paper's formulas (Wilson limits in
their closed quadratic-root form); Newcombe (1998) Table II, method 10; hand arithmetic.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.proportion import proportion_confint
from support import unit_rows_fixed

from fouanalys.codebook import load_codebook
from fouanalys.exceptions import FouanalysError, InvalidArgumentError
from fouanalys.prevalence import (
    ALL,
    ASSOCIATION_COLUMNS,
    PREVALENCE_COLUMNS,
    PRIORITY_COLUMNS,
    association_table,
    attributable_fraction,
    kish_effective_n,
    newcombe_interval,
    prevalence_table,
    priorities_table,
    risk_ratio,
    risk_ratio_interval,
    wilson_interval,
)

CB = load_codebook()
FACTORS = [i.id for i in CB.indices]
RISK = [i.id for i in CB.indices if i.kind == "risk"]
PROTECTIVE = [i.id for i in CB.indices if i.kind == "protective"]
OUTCOME = next(i.id for i in CB.indices if i.kind == "outcome")
M1, M2, M3 = CB.municipality_codes[:3]
REGION = CB.region.code
Z = 1.959963984540054


# --- frame builder -------------------------------------------------------------------------------
def block(year, muni, grade, sex, n, share=0.0, missing=0, flags=None, vikt=None) -> pd.DataFrame:
    """``n`` respondents; for every index the first round(share·n) are above the cut-point and the
    last ``missing`` have the index missing, unless ``flags`` gives a factor its own list."""
    k = round(share * n)
    default = [True] * k + [False] * (n - k - missing) + [None] * missing
    data = {
        "ar": pd.array([year] * n, dtype="Int64"),
        "kommunkod": [muni] * n,
        "arskurs": [grade] * n,
        "kon": pd.array([sex] * n, dtype="str"),
    }
    if vikt is not None:
        data["vikt"] = pd.array(vikt, dtype="Float64")
    for f in FACTORS:
        data[f] = pd.array((flags or {}).get(f, default), dtype="boolean")
        index = CB.index(f)
        if index.scoring == "rasch":  # the level behind the flag: the top (risk) or the middle
            above = 1 if index.kind == "protective" else 2
            data[f"{f}_level"] = pd.array(
                [None if v is None else (above if v else 0) for v in (flags or {}).get(f, default)],
                dtype="Int8",
            )
    return pd.DataFrame(data)


def frame(*blocks: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(blocks, ignore_index=True)


def cell(table, muni, year, grade, sex, factor, sex_col=True):
    q = (
        (table.municipality_code == muni)
        & (table.year == year)
        & (table.grade == grade)
        & (table.factor == factor)
    )
    if sex_col:
        q &= table.sex == sex
    rows = table[q]
    assert len(rows) == 1, (muni, year, grade, sex, factor, len(rows))
    return rows.iloc[0]


# --- Wilson --------------------------------------------------------------------------------------
def test_wilson_matches_statsmodels_over_many_random_counts():
    rng = np.random.default_rng(1)
    n = rng.integers(1, 2000, size=3000)
    cases = np.floor(rng.random(3000) * (n + 1)).astype(int)
    cases[:200], cases[200:400] = 0, n[200:400]  # include both edges
    low, high = wilson_interval(cases, n)
    ref_low, ref_high = proportion_confint(cases, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose(low, ref_low, rtol=0, atol=1e-12)
    np.testing.assert_allclose(high, ref_high, rtol=0, atol=1e-12)
    low90, high90 = wilson_interval(cases, n, confidence=0.9)
    ref90 = proportion_confint(cases, n, alpha=0.1, method="wilson")
    np.testing.assert_allclose(low90, ref90[0], atol=1e-12)
    np.testing.assert_allclose(high90, ref90[1], atol=1e-12)


def test_wilson_scalars_edges_and_non_integer_counts():
    low, high = wilson_interval(0, 10)
    assert isinstance(low, float) and low == 0.0 and high == pytest.approx(0.2775328, abs=1e-6)
    assert wilson_interval(10, 10)[1] == 1.0
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
    ref = proportion_confint(3.5, 10.2, method="wilson")
    assert wilson_interval(3.5, 10.2) == pytest.approx(ref, abs=1e-12)
    lows, _ = wilson_interval(np.array([1, 0]), np.array([4, 0]))
    assert isinstance(lows, np.ndarray) and np.isnan(lows[1])
    with pytest.raises(ValueError):
        wilson_interval(1, 2, confidence=1.5)


# --- Newcombe ------------------------------------------------------------------------------------
def _wilson_roots(x: float, n: float) -> tuple[float, float]:
    """Wilson limits as the roots of the score quadratic (Newcombe 1998, eq. for method 3)."""
    p = x / n
    root = Z * math.sqrt(Z * Z + 4 * n * p * (1 - p))
    return (
        (2 * n * p + Z * Z - root) / (2 * (n + Z * Z)),
        (2 * n * p + Z * Z + root) / (2 * (n + Z * Z)),
    )


def newcombe_by_hand(x1, n1, x2, n2):
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = _wilson_roots(x1, n1)
    l2, u2 = _wilson_roots(x2, n2)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt(
        (u1 - p1) ** 2 + (p2 - l2) ** 2
    )


def test_newcombe_matches_an_independent_scalar_implementation():
    rng = np.random.default_rng(2)
    n1, n2 = rng.integers(1, 500, 500), rng.integers(1, 500, 500)
    x1 = np.floor(rng.random(500) * (n1 + 1)).astype(int)
    x2 = np.floor(rng.random(500) * (n2 + 1)).astype(int)
    x1[:20], x2[20:40] = 0, n2[20:40]
    low, high = newcombe_interval(x1, n1, x2, n2)
    ref = np.array([newcombe_by_hand(*args) for args in zip(x1, n1, x2, n2, strict=True)])
    np.testing.assert_allclose(low, ref[:, 0], atol=1e-12)
    np.testing.assert_allclose(high, ref[:, 1], atol=1e-12)


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "low", "high"),
    [
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (6, 7, 2, 7, 0.0582, 0.8062),
        (5, 56, 0, 29, -0.0381, 0.1926),
        (0, 10, 0, 20, -0.1611, 0.2775),
        (0, 10, 0, 10, -0.2775, 0.2775),
        (10, 10, 0, 20, 0.6791, 1.0000),
        (10, 10, 0, 10, 0.6075, 1.0000),
    ],
)
def test_newcombe_1998_table_ii_method_10(x1, n1, x2, n2, low, high):
    got = newcombe_interval(x1, n1, x2, n2)
    assert isinstance(got[0], float)
    assert round(got[0], 4) == low and round(got[1], 4) == high


# --- risk ratio, PAF, Kish -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "n1", "c", "n0"), [(10, 20, 5, 40), (3, 50, 12, 60), (7, 7, 1, 30), (0, 15, 4, 20)]
)
def test_risk_ratio_interval_matches_statsmodels(a, n1, c, n0):
    cells = np.array([[a, n1 - a], [c, n0 - c]], dtype=float)
    if (cells == 0).any():
        cells += 0.5  # Haldane-Anscombe: every cell (statsmodels' own shift replaces zeros only)
    table = Table2x2(cells, shift_zeros=False)
    low, high = risk_ratio_interval(a, n1, c, n0)
    ref_low, ref_high = table.riskratio_confint(alpha=0.05)
    assert (low, high) == pytest.approx((ref_low, ref_high), rel=1e-10)
    if 0 not in (a, n1 - a, c, n0 - c):
        assert risk_ratio(a, n1, c, n0) == pytest.approx(table.riskratio, rel=1e-12)


def test_risk_ratio_by_hand_and_undefined_cases():
    assert risk_ratio(10, 20, 5, 40) == pytest.approx(4.0)
    se = math.sqrt(1 / 10 - 1 / 20 + 1 / 5 - 1 / 40)
    low, high = risk_ratio_interval(10, 20, 5, 40)
    assert low == pytest.approx(4 * math.exp(-Z * se)) and high == pytest.approx(
        4 * math.exp(Z * se)
    )
    assert math.isnan(risk_ratio(3, 10, 0, 10))  # infinite: no cases among the unexposed
    assert risk_ratio(0, 10, 3, 10) == 0.0
    low, high = risk_ratio_interval(3, 10, 0, 10)  # Haldane: still an interval
    assert 0 < low < high < math.inf
    assert all(math.isnan(x) for x in risk_ratio_interval(0, 0, 3, 10))


def test_attributable_fraction_by_hand():
    assert attributable_fraction(2.0, 0.25) == pytest.approx(0.25 / 1.25)
    assert attributable_fraction(1.0, 0.4) == 0.0
    assert attributable_fraction(0.5, 0.5) == pytest.approx(-0.25 / 0.75)
    np.testing.assert_allclose(attributable_fraction(np.array([3.0, 4.0]), 0.5), [0.5, 0.6])


def test_kish_effective_n():
    assert kish_effective_n([1, 2, 3]) == pytest.approx(36 / 14)
    assert kish_effective_n(np.ones(17)) == pytest.approx(17)
    grouped = kish_effective_n([1, 2, 3, 2, 2], groups=["a", "a", "a", "b", "b"])
    assert grouped["a"] == pytest.approx(36 / 14) and grouped["b"] == pytest.approx(2)


# --- prevalence table ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small():
    """Two municipalities in 2020, one of them again in 2022."""
    return frame(
        *_small_blocks(),
        block(2022, M1, "Åk 9", "Pojke", 40, share=0.1),
        block(2022, M1, "Åk 9", "Flicka", 40, share=0.1),
        block(2022, M1, "Gy 2", "Pojke", 40, share=0.1),
        block(2022, M1, "Gy 2", "Flicka", 40, share=0.1),
    )


@pytest.fixture(scope="module")
def small_prev(small):
    """Without disclosure control (threshold 1): the tests of counts and intervals read every cell;
    the suppression tests below use the default threshold."""
    return prevalence_table(small, CB, threshold=1)


def test_prevalence_columns_and_grid(small_prev):
    t = small_prev
    assert list(t.columns) == PREVALENCE_COLUMNS
    assert str(t["n"].dtype) == "Int64" and t["suppressed"].dtype == bool
    # 2020: two municipalities + region; 2022: one + region; × 3 grades × 3 sexes × factors.
    assert len(t) == (3 + 2) * 3 * 3 * len(FACTORS)
    assert set(t.municipality_code) == {M1, M2, REGION}
    assert set(t.grade) == {"Åk 9", "Gy 2", ALL} and set(t.sex) == {"Pojke", "Flicka", ALL}
    assert set(t.factor) == set(FACTORS)
    assert not t.duplicated(["municipality_code", "year", "grade", "sex", "factor"]).any()
    assert cell(t, M1, 2020, "Åk 9", "Pojke", OUTCOME).kind == "outcome"


def test_prevalence_exact_counts_and_wilson(small_prev):
    c = cell(small_prev, M1, 2020, "Åk 9", "Pojke", "impulsivitet")
    assert (c.n, c.cases, c.missing) == (18, 8, 2)
    assert c.share == pytest.approx(8 / 18) and c.n_eff == 18
    assert (c.ci_low, c.ci_high) == pytest.approx(proportion_confint(8, 18, method="wilson"))
    # All sexes include the three respondents of blank sex.
    c = cell(small_prev, M1, 2020, "Åk 9", ALL, "impulsivitet")
    assert (c.n, c.cases, c.missing) == (18 + 30 + 3, 8 + 6 + 1, 2)
    c = cell(small_prev, M1, 2020, ALL, ALL, "impulsivitet")
    assert (c.n, c.cases, c.missing) == (51 + 25 + 24, 15 + 5 + 10, 3)


def test_margins_are_sums_and_region_pools_the_municipalities(small_prev):
    t = small_prev.set_index(["municipality_code", "year", "grade", "sex", "factor"]).sort_index()
    for col in ("n", "cases", "missing"):
        v = t[col].astype(float)
        for muni in (M1, M2, REGION):
            for grade in ("Åk 9", "Gy 2", ALL):
                parts = v.loc[(muni, 2020, grade, "Pojke")] + v.loc[(muni, 2020, grade, "Flicka")]
                assert (v.loc[(muni, 2020, grade, ALL)] >= parts).all()
            for sex in ("Pojke", "Flicka", ALL):
                assert v.loc[(muni, 2020, ALL, sex)].equals(
                    v.loc[(muni, 2020, "Åk 9", sex)] + v.loc[(muni, 2020, "Gy 2", sex)]
                )
        for grade in ("Åk 9", "Gy 2", ALL):
            for sex in ("Pojke", "Flicka", ALL):
                assert v.loc[(REGION, 2020, grade, sex)].equals(
                    v.loc[(M1, 2020, grade, sex)] + v.loc[(M2, 2020, grade, sex)]
                )
        # 2022: only one municipality, so the region is that municipality.
        assert v.xs(2022, level="year").xs(REGION).equals(v.xs(2022, level="year").xs(M1))


def test_prevalence_suppresses_small_cells_and_their_partners(small):
    t = prevalence_table(small, CB)
    # The 3 of blank sex in M1 Åk 9 are a published cell (Alla − Pojke − Flicka): never all
    # three of that line published, for any factor.
    line = t[(t.municipality_code == M1) & (t.year == 2020) & (t.grade == "Åk 9")]
    assert line.groupby("factor")["suppressed"].any().all()
    assert_no_small_group_published(t, 5)
    # Raise the threshold so M1 Åk 9 Pojke (n = 18) is primary for impulsivitet.
    t = prevalence_table(frame(*_small_blocks()), CB, threshold=19)
    c = cell(t, M1, 2020, "Åk 9", "Pojke", "impulsivitet")
    assert c.suppressed and pd.isna(c.n) and math.isnan(c.share) and math.isnan(c.ci_low)
    published = t[~t.suppressed]
    assert (published.n >= 19).all()
    assert t[t.suppressed].drop(columns=[*PREVALENCE_COLUMNS[:7], "suppressed"]).isna().all().all()


def assert_no_small_group_published(t: pd.DataFrame, threshold: int) -> None:
    """No published n, cases, n − cases, nor other-sex remainder of them, is a group of 1..t−1."""
    pub = t[~t.suppressed]
    for counts in (pub.n, pub.cases, pub.n - pub.cases):
        c = counts.astype(int)
        assert not ((c > 0) & (c < threshold)).any()
    key = ["municipality_code", "year", "grade", "factor"]
    wide = t.assign(non=t.n - t.cases).pivot_table(
        index=key, columns="sex", values=["n", "cases", "non"], aggfunc="first", dropna=False
    )
    for col in ("n", "cases", "non"):
        rest = wide[(col, ALL)] - wide[(col, "Pojke")] - wide[(col, "Flicka")]
        rest = rest.dropna()  # NA: some cell of the line suppressed
        assert not ((rest > 0) & (rest < threshold)).any(), col


def test_small_counts_above_or_below_the_cut_point_are_suppressed():
    # 2 of 99 above the cut-point: '2 %' with n = 99 beside it tells the reader two answered so.
    blocks = [
        block(2020, M1, "Åk 9", "Pojke", 99, share=2 / 99),
        block(2020, M1, "Åk 9", "Flicka", 60, share=0.5),
        block(2020, M1, "Gy 2", "Pojke", 50, share=47 / 50),  # 3 below the cut-point
        block(2020, M1, "Gy 2", "Flicka", 60, share=0.5),
        block(2020, M2, "Åk 9", "Pojke", 40, share=0.5),
        block(2020, M2, "Åk 9", "Flicka", 40, share=0.25),
        block(2020, M2, "Gy 2", "Pojke", 30, share=0.3),
        block(2020, M2, "Gy 2", "Flicka", 30, share=0.0),
    ]
    t = prevalence_table(frame(*blocks), CB)
    assert cell(t, M1, 2020, "Åk 9", "Pojke", "impulsivitet").suppressed
    assert cell(t, M1, 2020, "Gy 2", "Pojke", "impulsivitet").suppressed
    assert_no_small_group_published(t, 5)
    # a share of 0 % on n ≥ 5 is no small group: published
    zero = [block(2020, M1, g, s, 40, share=0.5) for g in ("Åk 9", "Gy 2") for s in SEXES[:2]]
    zero[0] = block(2020, M1, "Åk 9", "Pojke", 40, share=0.0)
    t = prevalence_table(frame(*zero), CB)
    assert not t.suppressed.any()
    assert cell(t, M1, 2020, "Åk 9", "Pojke", "impulsivitet").share == 0


def _small_blocks():
    return [
        block(2020, M1, "Åk 9", "Pojke", 20, share=0.4, missing=2),
        block(2020, M1, "Åk 9", "Flicka", 30, share=0.2),
        block(2020, M1, "Åk 9", None, 3, share=1 / 3),
        block(2020, M1, "Gy 2", "Pojke", 25, share=0.2),
        block(2020, M1, "Gy 2", "Flicka", 25, share=0.4, missing=1),
        block(2020, M2, "Åk 9", "Pojke", 40, share=0.5),
        block(2020, M2, "Åk 9", "Flicka", 40, share=0.25),
        block(2020, M2, "Gy 2", "Pojke", 30, share=0.3),
        block(2020, M2, "Gy 2", "Flicka", 30, share=0.1),
    ]


def test_weighted_share_uses_kish_effective_n():
    w = [1.0, 2.0, 3.0, 1.0, 1.0, 2.0, 2.0, 4.0]
    flags = [True, True, False, False, False, True, None, False]
    t = prevalence_table(
        frame(block(2020, M1, "Åk 9", "Pojke", 8, flags={"impulsivitet": flags}, vikt=w)),
        CB,
        threshold=1,
    )
    c = cell(t, M1, 2020, "Åk 9", "Pojke", "impulsivitet")
    wv = np.array([x for x, f in zip(w, flags, strict=True) if f is not None])
    yv = np.array([f for f in flags if f is not None], dtype=float)
    share = (wv * yv).sum() / wv.sum()
    n_eff = wv.sum() ** 2 / (wv**2).sum()
    assert (c.n, c.cases, c.missing) == (7, 3, 1)  # unweighted counts
    assert c.share == pytest.approx(share) and c.n_eff == pytest.approx(n_eff)
    ref = proportion_confint(share * n_eff, n_eff, method="wilson")
    assert (c.ci_low, c.ci_high) == pytest.approx(ref, abs=1e-12)


def test_bad_input_is_explained():
    bad = block(2020, "9999", "Åk 9", "Pojke", 3)
    with pytest.raises(FouanalysError, match="kommunkod"):
        prevalence_table(bad, CB)
    with pytest.raises(FouanalysError, match="impulsivitet"):
        prevalence_table(block(2020, M1, "Åk 9", "Pojke", 3).drop(columns="impulsivitet"), CB)
    weighted = block(2020, M1, "Åk 9", "Pojke", 2, vikt=[1.0, None])
    with pytest.raises(FouanalysError, match="vikt"):
        prevalence_table(weighted, CB)


# --- priorities ----------------------------------------------------------------------------------
def test_rest_of_region_excludes_the_municipality():
    f = frame(
        block(2020, M1, "Åk 9", "Pojke", 100, share=0.5),
        block(2020, M2, "Åk 9", "Pojke", 100, share=0.2),
        block(2020, M3, "Åk 9", "Pojke", 50, share=0.1),
    )
    p = priorities_table(f, CB, threshold=1)
    assert list(p.columns) == PRIORITY_COLUMNS
    assert set(p.municipality_code) == {M1, M2, M3}  # never the region
    assert set(p.factor) == set(RISK + PROTECTIVE)
    c = cell(p, M1, 2020, "Åk 9", "Pojke", "impulsivitet")
    assert c.share == pytest.approx(0.5)
    assert c.reference_share == pytest.approx(25 / 150)  # M2 and M3 pooled, not M1
    assert (c.reference_ci_low, c.reference_ci_high) == pytest.approx(
        proportion_confint(25, 150, method="wilson")
    )
    assert c.difference == pytest.approx(0.5 - 25 / 150)
    assert (c.diff_low, c.diff_high) == pytest.approx(newcombe_by_hand(50, 100, 25, 150), abs=1e-12)
    c3 = cell(p, M3, 2020, "Åk 9", "Pojke", "impulsivitet")
    assert c3.reference_share == pytest.approx(70 / 200)


def test_elevated_and_rank():
    # M1 against M2: impulsivitet much higher (risk, elevated), skolmisslyckande a little higher
    # (not significant), foraldrastod much lower (protective, elevated), skolanknytning higher
    # (protective, favourable).
    def flags(shares, n):
        return {f: [True] * round(s * n) + [False] * (n - round(s * n)) for f, s in shares.items()}

    base = dict.fromkeys(FACTORS, 0.3)
    m1 = {
        **base,
        "impulsivitet": 0.6,
        "skolmisslyckande": 0.33,
        "foraldrastod": 0.1,
        "skolanknytning": 0.5,
    }
    f = frame(
        block(2020, M1, "Gy 2", "Flicka", 200, flags=flags(m1, 200)),
        block(2020, M2, "Gy 2", "Flicka", 200, flags=flags(base, 200)),
    )
    p = priorities_table(f, CB, threshold=5)
    g = p[(p.municipality_code == M1) & (p.grade == "Gy 2") & (p.sex == "Flicka")]
    g = g.set_index("factor")
    assert g.loc["impulsivitet", "elevated"] and g.loc["impulsivitet", "diff_low"] > 0
    assert g.loc["foraldrastod", "elevated"] and g.loc["foraldrastod", "diff_high"] < 0
    assert not g.loc["skolmisslyckande", "elevated"]
    assert not g.loc["skolanknytning", "elevated"]
    # Priority key: risk difference, protective −difference: imp 0.3, foraldrastod 0.2,
    # skolmisslyckande 0.03, the rest 0, skolanknytning −0.2.
    assert g.loc["impulsivitet", "rank"] == 1
    assert g.loc["foraldrastod", "rank"] == 2
    assert g.loc["skolmisslyckande", "rank"] == 3
    assert g.loc["skolanknytning", "rank"] == len(RISK + PROTECTIVE)
    assert sorted(g["rank"].tolist()) == list(range(1, len(RISK + PROTECTIVE) + 1))


def test_change_since_the_previous_survey():
    f = frame(
        block(2018, M1, "Åk 9", "Pojke", 60, share=0.5),
        block(2018, M2, "Åk 9", "Pojke", 60, share=0.5),
        block(2020, M2, "Åk 9", "Pojke", 60, share=0.4),  # M1 did not take part in 2020
        block(2022, M1, "Åk 9", "Pojke", 80, share=0.25),
        block(2022, M2, "Åk 9", "Pojke", 60, share=0.3),
    )
    p = priorities_table(f, CB, threshold=5)
    first = cell(p, M1, 2018, "Åk 9", "Pojke", "impulsivitet")
    assert pd.isna(first.previous_year) and math.isnan(first.change)
    c = cell(p, M1, 2022, "Åk 9", "Pojke", "impulsivitet")
    assert c.previous_year == 2018  # the municipality's own previous survey
    assert c.change == pytest.approx(0.25 - 0.5)
    assert (c.change_low, c.change_high) == pytest.approx(newcombe_by_hand(20, 80, 30, 60))
    c2 = cell(p, M2, 2022, "Åk 9", "Pojke", "impulsivitet")
    assert c2.previous_year == 2020 and c2.change == pytest.approx(0.3 - 0.4)


def test_suppressed_municipality_cell_publishes_no_reference():
    f = frame(
        block(2020, M1, "Åk 9", "Pojke", 3, share=1 / 3),
        block(2020, M1, "Åk 9", "Flicka", 30, share=0.2),
        block(2020, M1, "Gy 2", "Pojke", 30, share=0.2),
        block(2020, M1, "Gy 2", "Flicka", 30, share=0.2),
        block(2020, M2, "Åk 9", "Pojke", 30, share=0.4),
        block(2020, M2, "Åk 9", "Flicka", 30, share=0.2),
        block(2020, M2, "Gy 2", "Pojke", 30, share=0.2),
        block(2020, M2, "Gy 2", "Flicka", 30, share=0.2),
    )
    prev = prevalence_table(f, CB)
    p = priorities_table(f, CB)
    merged = p.merge(
        prev[["municipality_code", "year", "grade", "sex", "factor", "suppressed"]],
        on=["municipality_code", "year", "grade", "sex", "factor"],
        suffixes=("", "_prev"),
    )
    assert len(merged) == len(p)
    assert (merged.suppressed == merged.suppressed_prev).all()
    hidden = p[p.suppressed]
    assert len(hidden) > 0
    numeric = [c for c in PRIORITY_COLUMNS[7:] if c not in ("elevated", "suppressed")]
    assert hidden[numeric].isna().all().all()
    assert not hidden.elevated.any()
    # Region (published) − rest of region would give M1 back: so no reference for M1 Åk 9 Pojke.
    assert cell(p, M1, 2020, "Åk 9", "Pojke", "impulsivitet").suppressed


# --- associations --------------------------------------------------------------------------------
def test_association_by_hand():
    # Exposed: 20, 10 with the outcome; unexposed: 40, 5 with it; 4 lack the outcome.
    imp = [True] * 20 + [False] * 40 + [True] * 4
    out = [True] * 10 + [False] * 10 + [True] * 5 + [False] * 35 + [None] * 4
    f = frame(block(2020, M1, "Åk 9", "Pojke", 64, flags={"impulsivitet": imp, OUTCOME: out}))
    a = association_table(f, CB, threshold=5)
    assert list(a.columns) == ASSOCIATION_COLUMNS
    assert set(a.factor) == set(RISK) and set(a.sex) == {ALL}
    assert set(a.municipality_code) == {M1, REGION}
    c = cell(a, M1, 2020, "Åk 9", ALL, "impulsivitet")
    assert (c.n_exposed, c.cases_exposed, c.n_unexposed, c.cases_unexposed) == (20, 10, 40, 5)
    assert (c.share_exposed, c.share_unexposed) == (0.5, 0.125)
    assert c.risk_ratio == pytest.approx(4.0)
    ref = Table2x2(np.array([[10, 10], [5, 35]])).riskratio_confint()
    assert (c.rr_low, c.rr_high) == pytest.approx(ref, rel=1e-10)
    p = 20 / 60
    assert c.paf == pytest.approx(p * 3 / (1 + p * 3))
    assert c.paf_low == pytest.approx(p * (ref[0] - 1) / (1 + p * (ref[0] - 1)))
    assert not c.suppressed
    # The Gy 2 cell has nobody; the all-grades cell equals Åk 9.
    assert cell(a, M1, 2020, "Gy 2", ALL, "impulsivitet").suppressed
    assert cell(a, M1, 2020, ALL, ALL, "impulsivitet").n_exposed == 20


def test_association_with_another_outcome_by_hand():
    """The same counts with drinking as the outcome (offending all False): the table follows
    the outcome named, and an index that is not an outcome is a clear error."""
    imp = [True] * 20 + [False] * 40 + [True] * 4
    drink = [True] * 10 + [False] * 10 + [True] * 5 + [False] * 35 + [None] * 4
    flags = {"impulsivitet": imp, "alkohol": drink, OUTCOME: [False] * 64}
    f = frame(block(2020, M1, "Åk 9", "Pojke", 64, flags=flags))
    a = association_table(f, CB, threshold=5, outcome="alkohol")
    c = cell(a, M1, 2020, "Åk 9", ALL, "impulsivitet")
    assert (c.n_exposed, c.cases_exposed, c.n_unexposed, c.cases_unexposed) == (20, 10, 40, 5)
    assert c.risk_ratio == pytest.approx(4.0)
    crime = cell(association_table(f, CB, threshold=5), M1, 2020, "Åk 9", ALL, "impulsivitet")
    assert (crime.cases_exposed, crime.cases_unexposed) == (0, 0)  # offending, by default
    assert CB.outcomes()[0] == OUTCOME == CB.primary_outcome
    with pytest.raises(InvalidArgumentError, match="inget utfallsindex.*kriminalitet, alkohol"):
        association_table(f, CB, outcome="impulsivitet")


def test_association_suppression():
    imp = [True] * 4 + [False] * 40
    out = [True] * 2 + [False] * 42
    f = frame(
        block(2020, M1, "Åk 9", "Pojke", 44, flags={"impulsivitet": imp, OUTCOME: out}),
        block(2020, M2, "Åk 9", "Pojke", 50, share=0.3),
        block(2020, M3, "Åk 9", "Pojke", 60, share=0.3),
    )
    a = association_table(f, CB, threshold=5)
    c = cell(a, M1, 2020, "Åk 9", ALL, "impulsivitet")
    assert c.suppressed and pd.isna(c.n_exposed) and math.isnan(c.risk_ratio)
    assert a[a.suppressed].iloc[:, 5:-1].isna().all().all()
    # M1's all-grades cell equals its Åk 9 cell (no Gy 2): it goes too. In M2 and M3 nobody
    # unexposed has the outcome, so the region's unexposed cases are M1's 2: a small group,
    # primary there as well (and M1 cannot be had back as region − the rest).
    assert cell(a, M1, 2020, ALL, ALL, "impulsivitet").suppressed
    region = cell(a, REGION, 2020, "Åk 9", ALL, "impulsivitet")
    assert region.suppressed
    assert not cell(a, M3, 2020, "Åk 9", ALL, "impulsivitet").suppressed
    published = a[~a.suppressed]
    assert (published.n_exposed >= 5).all() and (published.n_unexposed >= 5).all()


def test_association_undefined_ratio_keeps_its_interval():
    imp = [True] * 10 + [False] * 40
    out = [True] * 5 + [False] * 45
    f = frame(block(2020, M1, "Åk 9", "Pojke", 50, flags={"impulsivitet": imp, OUTCOME: out}))
    c = cell(association_table(f, CB), M1, 2020, "Åk 9", ALL, "impulsivitet")
    assert not c.suppressed and c.share_unexposed == 0
    assert math.isnan(c.risk_ratio) and math.isnan(c.paf)  # no outcome among the unexposed
    ref = Table2x2(np.array([[5.5, 5.5], [0.5, 40.5]]), shift_zeros=False).riskratio_confint()
    assert (c.rr_low, c.rr_high) == pytest.approx(ref)  # Haldane-Anscombe


# --- properties over random tables ---------------------------------------------------------------
SEXES = ["Pojke", "Flicka", None]


def respondents(counts: np.ndarray, rng: np.random.Generator, years=(2020,)) -> pd.DataFrame:
    """Respondents from base counts (year, municipality, grade, sex incl. blank), random flags."""
    y, m, g, s = np.indices(counts.shape).reshape(4, -1).repeat(counts.ravel(), axis=1)
    n = len(y)
    f = pd.DataFrame(
        {
            "ar": pd.array(np.asarray(years)[y], dtype="Int64"),
            "kommunkod": np.asarray(CB.municipality_codes)[m],
            "arskurs": np.array(["Åk 9", "Gy 2"])[g],
            "kon": pd.array(np.array(SEXES, dtype=object)[s], dtype="str"),
        }
    )
    for factor in FACTORS:
        v = pd.array(rng.random(n) < rng.uniform(0.1, 0.6), dtype="boolean")
        v[rng.random(n) < 0.1] = pd.NA
        f[factor] = v
        index = CB.index(factor)
        if index.scoring == "rasch":  # the flag's level, and the middle level at random
            split = rng.random(n) < 0.5
            flag = v.to_numpy(dtype=bool, na_value=False)
            if index.kind == "protective":
                level = np.where(flag, np.where(split, 1, 2), 0)
            else:
                level = np.where(flag, 2, np.where(split, 1, 0))
            f[f"{factor}_level"] = pd.arrays.IntegerArray(level.astype(np.int8), v.isna())
    return f


def exposed(unknown: np.ndarray) -> np.ndarray:
    """Independent exact row-space test: which unknown cells the margin relations fix.

    Along every axis the last position is the margin of the others (plus a known remainder).
    """
    shape = unknown.shape
    idx = np.arange(unknown.size).reshape(shape)
    rows = []
    for ax in range(len(shape)):
        lines = np.moveaxis(idx, ax, 0)
        for pos in np.ndindex(lines.shape[1:]):
            line = lines[(slice(None), *pos)]
            rows.append((line[-1], line[:-1]))
    a = np.zeros((len(rows), unknown.size), dtype=np.int64)
    for r, (total, parts) in enumerate(rows):
        a[r, total], a[r, parts] = 1, -1
    cols = np.flatnonzero(unknown.ravel())
    out = np.zeros(unknown.size, bool)
    if cols.size:
        out[cols] = unit_rows_fixed(a[:, cols])
    return out.reshape(shape)


def margins(base: np.ndarray, sex: bool = True) -> np.ndarray:
    """(8, 2[, 3]) base counts -> (9, 3[, 3]) with all-sexes, all-grades and region margins."""
    n = np.concatenate([base[..., :2], base.sum(-1, keepdims=True)], -1) if sex else base
    n = np.concatenate([n, n.sum(1, keepdims=True)], 1)
    return np.concatenate([n, n.sum(0, keepdims=True)], 0)


def assert_nothing_recoverable(
    sup: np.ndarray, n: np.ndarray, label, other=None, threshold: int = 0
) -> None:
    """No suppressed cell recoverable; with ``other`` (the blank-sex remainder with margins, an
    array of shape ``n.shape[:-1]``) the remainder is an unknown part of each sex line unless
    empty, and no small remainder (1–4 … below the threshold) may be recoverable either."""
    guarded = sup
    if other is not None:
        small_other = (other > 0) & (other < threshold)
        n = np.concatenate([n[..., :2], other[..., None], n[..., 2:]], axis=-1)
        guarded = np.concatenate([sup[..., :2], small_other[..., None], sup[..., 2:]], axis=-1)
        sup = np.concatenate([sup[..., :2], (other > 0)[..., None], sup[..., 2:]], axis=-1)
    known = n == 0
    known |= exposed(~known)  # fixed by the empty cells alone
    assert not (exposed(sup & ~known) & guarded).any(), label


@st.composite
def survey_counts(draw):
    small = st.sampled_from([0, 0, 1, 2, 3, 4, 6, 9, 15])
    counts = draw(st.lists(small, min_size=2 * 8 * 2 * 3, max_size=2 * 8 * 2 * 3))
    return np.array(counts).reshape(2, 8, 2, 3), draw(st.integers(0, 2**32 - 1))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(survey_counts(), st.integers(2, 6))
def test_property_tables_disclosure_and_intervals(case, threshold):
    counts, seed = case
    f = respondents(counts, np.random.default_rng(seed), years=(2020, 2022))
    t = prevalence_table(f, CB, threshold=threshold)
    published = t[~t.suppressed]
    assert (published.n >= threshold).all()
    assert ((published.ci_low <= published.share) & (published.share <= published.ci_high)).all()
    assert published.share.between(0, 1).all()

    for counts in (published.cases, published.n - published.cases):
        assert not counts.astype(int).between(1, threshold - 1).any()

    # The attacker's view: published n, plus empty cells; the blank-sex remainders are unknown
    # parts of the sex lines (a remainder is a published cell: never a small one recoverable).
    munis = [*CB.municipality_codes, REGION]
    grades, sexes = ["Åk 9", "Gy 2", ALL], ["Pojke", "Flicka", ALL]
    full = pd.MultiIndex.from_product([munis, grades, sexes])
    codes = {m: i for i, m in enumerate(CB.municipality_codes)}
    for (year, factor), g in t.groupby(["year", "factor"]):
        g = g.set_index(["municipality_code", "grade", "sex"]).reindex(full)
        sup = g.suppressed.fillna(True).to_numpy(bool).reshape(9, 3, 3)  # absent municipality
        sub = f[(f.ar == year) & f[factor].notna()]
        base = np.zeros((8, 2, 3))
        np.add.at(
            base,
            (
                sub.kommunkod.map(codes).to_numpy(int),
                (sub.arskurs == "Gy 2").to_numpy(int),
                sub.kon.map({"Pojke": 0, "Flicka": 1}).fillna(2).to_numpy(int),
            ),
            1,
        )
        n = margins(base)
        published_n = g.n.to_numpy(dtype=float, na_value=np.nan).reshape(9, 3, 3)
        np.testing.assert_array_equal(published_n[~sup], n[~sup])
        other = margins(base[..., 2], sex=False)
        assert_nothing_recoverable(sup, n, (year, factor), other, threshold)

    # Priorities: the same suppression as the municipality cells; estimates inside intervals.
    p = priorities_table(f, CB, threshold=threshold)
    keys = ["municipality_code", "year", "grade", "sex", "factor"]
    both = p.merge(t[[*keys, "suppressed"]], on=keys, suffixes=("", "_prev"), validate="1:1")
    assert len(both) == len(p)
    assert (both.suppressed == both.suppressed_prev).all()
    ok = p.dropna(subset=["difference"])
    assert ((ok.diff_low <= ok.difference) & (ok.difference <= ok.diff_high)).all()
    assert ok.reference_share.between(ok.reference_ci_low, ok.reference_ci_high).all()
    ch = p.dropna(subset=["change"])
    assert ((ch.change_low <= ch.change) & (ch.change <= ch.change_high)).all()

    # Associations: published cells rest on enough exposed and unexposed; nothing recoverable.
    a = association_table(f, CB, threshold=threshold)
    published = a[~a.suppressed]
    assert (published.n_exposed >= threshold).all() and (published.n_unexposed >= threshold).all()
    for (year, factor), g in a.groupby(["year", "factor"]):
        sup = (
            g.set_index(["municipality_code", "grade"])
            .reindex(pd.MultiIndex.from_product([munis, grades]))
            .suppressed.fillna(True)
            .to_numpy(bool)
            .reshape(9, 3)
        )
        sub = f[(f.ar == year) & f[factor].notna() & f[OUTCOME].notna()]
        base = np.zeros((8, 2))
        where = (sub.kommunkod.map(codes).to_numpy(int), (sub.arskurs == "Gy 2").to_numpy(int))
        np.add.at(base, where, 1)
        assert_nothing_recoverable(sup, margins(base, sex=False), ("association", year, factor))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 60), st.integers(0, 60), st.integers(1, 60), st.integers(0, 60))
def test_property_pooling_two_municipalities_gives_the_count_weighted_share(n1, k1, n2, k2):
    k1, k2 = min(k1, n1), min(k2, n2)
    flags1 = {f: [True] * k1 + [False] * (n1 - k1) for f in FACTORS}
    flags2 = {f: [True] * k2 + [False] * (n2 - k2) for f in FACTORS}
    f = frame(
        block(2020, M1, "Åk 9", "Pojke", n1, flags=flags1),
        block(2020, M2, "Åk 9", "Pojke", n2, flags=flags2),
    )
    t = prevalence_table(f, CB, threshold=1)
    a = cell(t, M1, 2020, "Åk 9", "Pojke", "impulsivitet")
    b = cell(t, M2, 2020, "Åk 9", "Pojke", "impulsivitet")
    r = cell(t, REGION, 2020, "Åk 9", "Pojke", "impulsivitet")
    assert r.n == a.n + b.n and r.cases == a.cases + b.cases
    assert r.share == pytest.approx((a.n * a.share + b.n * b.share) / (a.n + b.n), abs=1e-12)
    p = priorities_table(f, CB, threshold=1)
    assert cell(p, M1, 2020, "Åk 9", "Pojke", "impulsivitet").reference_share == pytest.approx(
        k2 / n2
    )


def test_tables_on_a_survey_sized_frame_are_quick():
    import time

    rng = np.random.default_rng(5)
    counts = rng.integers(0, 60, size=(4, 8, 2, 3))
    f = respondents(counts, rng, years=(2018, 2020, 2022, 2024))
    start = time.perf_counter()
    prevalence_table(f, CB)
    priorities_table(f, CB)
    association_table(f, CB)
    assert time.perf_counter() - start < 5


# --- the three levels of the Rasch indices -------------------------------------------------------
def test_levels_table_counts_every_level_and_agrees_with_prevalence():
    """Levels counted here with pandas from a scored frame, against levels_table; the flag's
    share in prevalence_table is the top level (risk) or 1 − the bottom level (protective)."""
    from fouanalys.prevalence import LEVEL_COLUMNS, levels_table
    from fouanalys.scoring import score_indices

    rng = np.random.default_rng(4)
    n = 3000
    enkat = pd.DataFrame(
        {
            "ar": pd.array([2024] * n, dtype="Int64"),
            "kommunkod": rng.choice([M1, M2, M3], n),
            "arskurs": rng.choice(["Åk 9", "Gy 2"], n),
            "kon": rng.choice(["Pojke", "Flicka", "Annat"], n, p=[0.49, 0.49, 0.02]),
        }
    )
    levels = CB.item_levels()
    for item in CB.survey_items():
        codes = rng.integers(1, levels[item] + 1, n).astype(float)
        codes[rng.random(n) < 0.3] = np.nan  # many blanks: some respondents get no score
        enkat[item] = pd.array(codes, dtype="Int64")
    scores = score_indices(enkat, CB)
    table = levels_table(scores, CB)
    prevalence = prevalence_table(scores, CB)
    assert list(table.columns) == LEVEL_COLUMNS
    rasch = [i for i in CB.indices if i.scoring == "rasch"]
    assert set(table["factor"]) == {i.id for i in rasch}
    compared = 0
    for index in rasch:
        for muni in (M1, REGION):
            rows = scores if muni == REGION else scores[scores["kommunkod"] == muni]
            boys = rows[rows["kon"] == "Pojke"]
            for sex, part in (("Alla", rows), ("Pojke", boys)):
                got = table[(table["municipality_code"] == muni) & (table["grade"] == "Alla")
                            & (table["sex"] == sex) & (table["factor"] == index.id)]  # fmt: skip
                level = part[f"{index.id}_level"]
                counts = level.value_counts()
                scored = int(level.notna().sum())
                for _, row in got.iterrows():
                    if row["suppressed"]:  # a small level or remainder somewhere: all hidden
                        assert got["share"].isna().all() and got["count"].isna().all()
                        continue
                    compared += 1
                    assert row["count"] == counts.get(row["level"], 0)
                    assert row["n"] == scored and row["respondents"] == len(part)
                    assert row["too_few"] == len(part) - scored
                    assert row["share"] == pytest.approx(counts.get(row["level"], 0) / scored)
                    low, high = proportion_confint(counts.get(row["level"], 0), scored,
                                                   method="wilson")  # fmt: skip
                    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
                flag = cell(prevalence, muni, 2024, "Alla", sex, index.id)
                assert flag["suppressed"] == got["suppressed"].all()
                if flag["suppressed"]:
                    continue
                top = got.set_index("level")["share"]
                expected = 1 - top[0] if index.kind == "protective" else top[2]
                assert flag["share"] == pytest.approx(expected, abs=1e-12)
    assert compared >= 3 * len(rasch) * 3  # most cells are published and compared


def test_a_small_middle_level_suppresses_the_cell():
    """Seven respondents at the middle level of 40 is published, three is not: a level's count
    is a group like the flag's cases."""
    from fouanalys.prevalence import levels_table

    factor = next(i.id for i in CB.indices if i.scoring == "rasch" and i.kind == "risk")

    def scores(middle: int):
        out = frame(block(2024, M1, "Åk 9", "Pojke", 40, share=0.25),
                    block(2024, M2, "Åk 9", "Pojke", 60, share=0.25))  # fmt: skip
        rows = out.index[(out["kommunkod"] == M1) & ~out[factor].astype(bool)][:middle]
        out.loc[rows, f"{factor}_level"] = 1
        return out

    for middle, hidden in ((7, False), (3, True)):
        table = levels_table(scores(middle), CB)
        row = table[(table["municipality_code"] == M1) & (table["grade"] == "Åk 9")
                    & (table["sex"] == "Pojke") & (table["factor"] == factor)]  # fmt: skip
        assert row["suppressed"].all() == hidden
        prev = prevalence_table(scores(middle), CB)
        assert cell(prev, M1, 2024, "Åk 9", "Pojke", factor)["suppressed"] == hidden


def test_all_minus_boys_is_not_a_small_group():
    """Three girls and one pupil of blank sex, all four above the cut-point: each part is
    hidden, and so is the boys' cell, since all pupils minus the boys would give the group of
    four (and that they are all above the cut-point)."""
    factor = "foraldrastod"
    boys = block(2024, M1, "Gy 2", "Pojke", 40, share=0.5)
    girls = block(2024, M1, "Gy 2", "Flicka", 3, share=1.0)
    blank = block(2024, M1, "Gy 2", None, 1, share=1.0)
    other = block(2024, M2, "Gy 2", "Pojke", 60, share=0.5)
    more = block(2024, M2, "Gy 2", "Flicka", 60, share=0.5)
    table = prevalence_table(frame(boys, girls, blank, other, more), CB)
    assert cell(table, M1, 2024, "Gy 2", "Flicka", factor)["suppressed"]
    assert cell(table, M1, 2024, "Gy 2", "Pojke", factor)["suppressed"]
    # nobody in Åk 9: the boys of all grades are the Gy 2 boys, and are hidden as well
    assert cell(table, M1, 2024, ALL, "Pojke", factor)["suppressed"]
