"""How common the survey's risk and protective factors are, against the rest of the region, and
how they go with criminality, with 95 % intervals and disclosure control.

Intervals (vectorised over numpy arrays; scalars in, floats out):

- :func:`wilson_interval` — Wilson score interval for a proportion (accepts non-integer counts,
  so that a weighted share can use Kish's effective sample size).
- :func:`newcombe_interval` — Newcombe (1998) method 10, the hybrid score interval for a
  difference of two independent proportions, built from the two Wilson intervals.
- :func:`risk_ratio_interval` — Katz log interval for a risk ratio; :func:`attributable_fraction`
  — Levin's population attributable fraction; :func:`kish_effective_n`.

Tables (pure: a respondent scores frame and the codebook in, a tidy frame out):
:func:`prevalence_table`, :func:`priorities_table`, :func:`association_table`. Each counts
respondents once per (year, municipality, grade, sex, factor) with ``np.bincount``, derives the
all-sexes and all-grades margins and the region (the eight municipalities pooled) by summing those
counts, and computes every interval on whole arrays. Disclosure control is in
:mod:`fouanalys.disclosure`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from fouanalys.codebook import Codebook, Index
from fouanalys.config import DISCLOSURE_THRESHOLD
from fouanalys.disclosure import remainder, small, suppress, suppress_with_remainder
from fouanalys.exceptions import FouanalysError, InvalidArgumentError

log = logging.getLogger("fouanalys")

#: Label of the all-grades and all-sexes rows (the codebook's ``survey.all_label``).
ALL = "Alla"

#: Name of the optional survey-weight column in the scores frame.
WEIGHT_COLUMN = "vikt"

#: What identifies a cell of every survey table, and the factor's labels that follow it.
_CELL_KEY = ["municipality_code", "year", "grade", "sex", "factor"]
_LABELS = ["domain", "kind"]
_INTERVAL = ["ci_low", "ci_high"]
#: The priorities' comparison with the rest of the region (NA where it is not published).
_REFERENCE_COLUMNS = [
    "reference_share",
    "reference_ci_low",
    "reference_ci_high",
    "difference",
    "diff_low",
    "diff_high",
]
_CHANGE_COLUMNS = ["change", "change_low", "change_high"]

PREVALENCE_COLUMNS = [
    *_CELL_KEY,
    *_LABELS,
    *("n", "cases", "missing", "share", "n_eff"),
    *_INTERVAL,
    "suppressed",
]
PRIORITY_COLUMNS = [
    *_CELL_KEY,
    *_LABELS,
    "share",
    *_INTERVAL,
    *_REFERENCE_COLUMNS,
    *("elevated", "rank", "previous_year"),
    *_CHANGE_COLUMNS,
    "suppressed",
]
ASSOCIATION_COLUMNS = [
    *_CELL_KEY,
    *("n_exposed", "cases_exposed", "n_unexposed", "cases_unexposed"),
    *("share_exposed", "share_unexposed", "risk_ratio", "rr_low", "rr_high"),
    *("paf", "paf_low", "paf_high"),
    "suppressed",
]


# --- intervals ----------------------------------------------------------------------------------
def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise InvalidArgumentError(
            f"confidence must lie strictly between 0 and 1, got {confidence!r}"
        )
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def _out(x: np.ndarray) -> float | np.ndarray:
    return float(x) if np.ndim(x) == 0 else x


def _wilson(cases, n, z: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(p, low, high) as arrays; p clipped to 0..1, NaN where n is not positive."""
    cases = np.asarray(cases, dtype=float)
    n = np.asarray(n, dtype=float)
    z2 = z * z
    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.where(n > 0, n, np.nan)
        p = np.clip(cases / n, 0.0, 1.0)
        denom = 1.0 + z2 / n
        centre = (p + z2 / (2.0 * n)) / denom
        half = z * np.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom
        low = np.where(p <= 0.0, 0.0, np.clip(centre - half, 0.0, 1.0))
        high = np.where(p >= 1.0, 1.0, np.clip(centre + half, 0.0, 1.0))
    nan = np.isnan(p)
    return p, np.where(nan, np.nan, low), np.where(nan, np.nan, high)


def wilson_interval(cases, n, confidence: float = 0.95):
    """Wilson score interval for the proportion ``cases / n``.

    Works elementwise on scalars or numpy arrays (broadcast together); ``cases`` and ``n`` need
    not be integers (a weighted share times Kish's effective n, over that n). Returns ``(low,
    high)``: floats for scalar input, arrays otherwise; NaN where ``n`` is 0.
    """
    _, low, high = _wilson(cases, n, _z(confidence))
    return _out(low), _out(high)


def newcombe_interval(cases1, n1, cases2, n2, confidence: float = 0.95):
    """Interval for the difference ``cases1/n1 − cases2/n2`` of two independent proportions.

    Newcombe (1998), method 10 (hybrid score): with Wilson limits (l1, u1) and (l2, u2),
    ``low = d − sqrt((p1 − l1)² + (u2 − p2)²)`` and ``high = d + sqrt((u1 − p1)² + (p2 − l2)²)``.
    Vectorised like :func:`wilson_interval`; NaN where either n is 0.
    """
    z = _z(confidence)
    p1, l1, u1 = _wilson(cases1, n1, z)
    p2, l2, u2 = _wilson(cases2, n2, z)
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return _out(low), _out(high)


def kish_effective_n(weights, groups=None):
    """Kish's effective sample size ``(Σw)² / Σw²``.

    Without ``groups``: one float for the whole array of weights (NaN when all are zero). With
    ``groups`` (an array of group labels as long as ``weights``): a Series indexed by group.
    """
    w = np.asarray(weights, dtype=float)
    if groups is None:
        total, squares = w.sum(), (w * w).sum()
        return float(total * total / squares) if squares > 0 else float("nan")
    sums = pd.DataFrame({"g": np.asarray(groups), "w": w, "w2": w * w}).groupby("g")[["w", "w2"]]
    sums = sums.sum()
    return (sums["w"] ** 2 / sums["w2"]).rename("n_eff")


def risk_ratio(a, n1, c, n0):
    """Risk ratio ``(a/n1) / (c/n0)``; NaN where it is undefined (c = 0 or an n = 0)."""
    a, n1, c, n0 = (np.asarray(x, dtype=float) for x in (a, n1, c, n0))
    with np.errstate(invalid="ignore", divide="ignore"):
        rr = (a / n1) / (c / n0)
    return _out(np.where(np.isfinite(rr), rr, np.nan))


def risk_ratio_interval(a, n1, c, n0, confidence: float = 0.95):
    """Katz log interval for the risk ratio of ``a`` cases in ``n1`` exposed and ``c`` in ``n0``.

    ``exp(log RR ± z·sqrt(1/a − 1/n1 + 1/c − 1/n0))``. Where one of the four cells (a, n1 − a,
    c, n0 − c) is 0, 0.5 is added to each of the four (Haldane–Anscombe), for the interval
    only. (statsmodels' ``Table2x2(shift_zeros=True)`` instead replaces only the zero cells by
    0.5, which gives a different interval there.) Counts may be non-integer
    (effective counts under weights). Returns ``(low, high)``; NaN where an n is 0.
    """
    z = _z(confidence)
    a, n1, c, n0 = (np.asarray(x, dtype=float) for x in (a, n1, c, n0))
    b, d = n1 - a, n0 - c
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    shift = np.where(zero, 0.5, 0.0)
    a, b, c, d = a + shift, b + shift, c + shift, d + shift
    with np.errstate(invalid="ignore", divide="ignore"):
        log_rr = np.log(a / (a + b)) - np.log(c / (c + d))
        se = np.sqrt(1.0 / a - 1.0 / (a + b) + 1.0 / c - 1.0 / (c + d))
        low, high = np.exp(log_rr - z * se), np.exp(log_rr + z * se)
    empty = ~((n1 > 0) & (n0 > 0))
    return _out(np.where(empty, np.nan, low)), _out(np.where(empty, np.nan, high))


def attributable_fraction(rr, p_exposed):
    """Levin's population attributable fraction ``p(RR − 1) / (1 + p(RR − 1))``.

    ``p_exposed`` is the share of the population exposed. Increasing in RR, so substituting the
    bounds of an RR interval gives an (approximate) interval for the fraction.
    """
    rr = np.asarray(rr, dtype=float)
    p = np.asarray(p_exposed, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        excess = p * (rr - 1.0)
        return _out(excess / (1.0 + excess))


# --- counting ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Layout:
    """Axes of the count arrays: (factor, year, municipality + region, grade + all, sex)."""

    years: np.ndarray  # (Y,) int
    municipalities: np.ndarray  # (M + 1,) codes, the region last
    grades: np.ndarray  # (G + 1,) ids, "Alla" last
    sexes: np.ndarray  # (3,) Pojke, Flicka, "Alla"
    present: np.ndarray  # (Y, M + 1) bool: respondents there that year (the region: any)


@dataclass(frozen=True)
class _Encoded:
    layout: _Layout
    cell: np.ndarray  # per respondent: ((year·M + municipality)·G + grade)·3 + sex (2 = other)
    weights: np.ndarray | None


def _lookup(values: pd.Series, categories: list[str]) -> np.ndarray:
    """Position of each value in ``categories``; −1 for other values and NA.

    Factorising first and looking up only the distinct values is much faster on a million
    Arrow-backed strings than looking every value up.
    """
    codes, uniques = pd.factorize(values)
    positions = np.append(pd.Index(categories).get_indexer(uniques), -1).astype(np.int64)
    return positions[codes]  # code −1 (NA) picks the appended −1


def _codes(values: pd.Series, categories: list[str], column: str) -> np.ndarray:
    codes = _lookup(values, categories)
    bad = codes < 0
    if bad.any():
        shown = ", ".join(repr(v) for v in pd.unique(values[bad])[:5])
        raise FouanalysError(
            f"Kolumnen '{column}' har {int(bad.sum())} värden som kodboken inte känner till "
            f"({shown}); förväntat: {', '.join(categories)}. "
            "Läs in enkäten med fouanalys.ingest.readers."
        )
    return codes


def _require(scores: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in scores.columns]
    if missing:
        raise FouanalysError(
            f"Indexpoängen saknar kolumnerna {', '.join(missing)}; räkna fram dem med "
            "fouanalys.scoring.score_indices."
        )


def _encode(scores: pd.DataFrame, cb: Codebook) -> _Encoded:
    _require(scores, ["ar", "kommunkod", "arskurs", "kon"])
    munis = cb.municipality_codes
    grades = [g.id for g in cb.survey.grades]
    sexes = [s.id for s in cb.survey.sexes][:2]
    all_label = cb.survey.all_label
    if scores["ar"].isna().any():
        raise FouanalysError("Kolumnen 'ar' (enkätår) saknar värde för några respondenter.")
    year = scores["ar"].to_numpy(dtype=np.int64)
    codes, uniques = pd.factorize(year)  # hashing: faster than np.unique's sort
    order = np.argsort(uniques)
    years = np.asarray(uniques)[order].astype(np.int64)
    year_idx = np.argsort(order)[codes].astype(np.int64)
    muni_idx = _codes(scores["kommunkod"], munis, "kommunkod")
    grade_idx = _codes(scores["arskurs"], grades, "arskurs")
    sex_idx = _lookup(scores["kon"], sexes)
    sex_idx[sex_idx < 0] = 2
    m, g = len(munis), len(grades)
    cell = ((year_idx * m + muni_idx) * g + grade_idx) * 3 + sex_idx

    weights = None
    if WEIGHT_COLUMN in scores.columns:
        weights = scores[WEIGHT_COLUMN].to_numpy(dtype=float, na_value=np.nan)
        bad = ~(weights >= 0)
        if bad.any():
            raise FouanalysError(
                f"Kolumnen '{WEIGHT_COLUMN}' (vikt) saknar värde eller är negativ för "
                f"{int(bad.sum())} respondenter; varje respondent behöver en vikt ≥ 0."
            )

    size = len(years) * m * g * 3
    people = np.bincount(cell, minlength=size).reshape(len(years), m, g * 3).sum(axis=2)
    present = np.concatenate([people > 0, np.ones((len(years), 1), bool)], axis=1)
    layout = _Layout(
        years=years,
        municipalities=np.array([*munis, cb.region.code], dtype=object),
        grades=np.array([*grades, all_label], dtype=object),
        sexes=np.array([*sexes, all_label], dtype=object),
        present=present,
    )
    return _Encoded(layout=layout, cell=cell, weights=weights)


def _flag(scores: pd.DataFrame, column: str) -> np.ndarray:
    """A factor flag as int8: 1 above the cut-point, 0 not, −1 missing."""
    s = scores[column]
    if not isinstance(s.dtype, pd.BooleanDtype):
        s = s.astype("boolean")
    return s.to_numpy(dtype=np.int8, na_value=-1)


def _add_margins(a: np.ndarray, sex: bool = True) -> np.ndarray:
    """Append the all-sexes (sum of all three sex codes), all-grades and region margins.

    Input (..., M, G, 3) with sex codes Pojke, Flicka, other/blank (or (..., M, G) with
    ``sex=False``); output (..., M + 1, G + 1, 3) with sexes Pojke, Flicka, all.
    """
    if sex:
        a = np.concatenate([a[..., :2], a.sum(axis=-1, keepdims=True)], axis=-1)
    g_ax, m_ax = (-2, -3) if sex else (-1, -2)
    a = np.concatenate([a, a.sum(axis=g_ax, keepdims=True)], axis=g_ax)
    return np.concatenate([a, a.sum(axis=m_ax, keepdims=True)], axis=m_ax)


@dataclass(frozen=True)
class _Cells:
    """Prevalence per cell, arrays of shape (factor, year, municipality+1, grade+1, sex)."""

    layout: _Layout
    factors: list[Index]
    n: np.ndarray
    cases: np.ndarray
    missing: np.ndarray
    sw: np.ndarray  # Σw over respondents with the index (= n without weights)
    swy: np.ndarray  # Σw over those above the cut-point (= cases)
    sw2: np.ndarray  # Σw² (= n)
    #: Rasch indices: respondents (Σw) at the middle level, and at the level that is neither
    #: the middle nor the flag's (risk: låg, protective: hög); 0 for other indices.
    middle: np.ndarray
    other: np.ndarray
    sw_middle: np.ndarray
    sw_other: np.ndarray
    share: np.ndarray
    n_eff: np.ndarray
    low: np.ndarray
    high: np.ndarray
    suppressed: np.ndarray


def _prevalence_cells(
    scores: pd.DataFrame, cb: Codebook, threshold: int, confidence: float
) -> _Cells:
    factors = list(cb.indices)
    _require(scores, [f.id for f in factors])
    enc = _encode(scores, cb)
    lay = enc.layout
    y, m, g = len(lay.years), len(lay.municipalities) - 1, len(lay.grades) - 1
    size = y * m * g * 3
    people = np.bincount(enc.cell, minlength=size)
    keys = ["n", "cases", "middle", "other"]
    if enc.weights is not None:
        keys += ["sw", "swy", "sw2", "sw_middle", "sw_other"]
    raw = {k: np.zeros((len(factors), size)) for k in keys}
    for i, factor in enumerate(factors):
        flag = _flag(scores, factor.id)
        valid, above = flag >= 0, flag == 1
        raw["n"][i] = np.bincount(enc.cell[valid], minlength=size)
        raw["cases"][i] = np.bincount(enc.cell[above], minlength=size)
        if factor.scoring == "rasch":
            _require(scores, [f"{factor.id}_level"])
            level = scores[f"{factor.id}_level"].to_numpy(dtype=np.int8, na_value=-1)
            middle, other = level == 1, level == (2 if factor.kind == "protective" else 0)
            raw["middle"][i] = np.bincount(enc.cell[middle], minlength=size)
            raw["other"][i] = np.bincount(enc.cell[other], minlength=size)
            if enc.weights is not None:
                w = enc.weights
                raw["sw_middle"][i] = np.bincount(enc.cell, np.where(middle, w, 0.0), size)
                raw["sw_other"][i] = np.bincount(enc.cell, np.where(other, w, 0.0), size)
        if enc.weights is not None:
            w = enc.weights
            raw["sw"][i] = np.bincount(enc.cell, weights=np.where(valid, w, 0.0), minlength=size)
            raw["swy"][i] = np.bincount(enc.cell, weights=np.where(above, w, 0.0), minlength=size)
            raw["sw2"][i] = np.bincount(
                enc.cell, weights=np.where(valid, w * w, 0.0), minlength=size
            )
    shape = (len(factors), y, m, g, 3)
    full = {k: _add_margins(v.reshape(shape)) for k, v in raw.items()}
    missing = _add_margins(np.broadcast_to(people, (len(factors), size)).reshape(shape)) - full["n"]
    if enc.weights is None:
        full["sw"], full["swy"], full["sw2"] = full["n"], full["cases"], full["n"]
        full["sw_middle"], full["sw_other"] = full["middle"], full["other"]

    with np.errstate(invalid="ignore", divide="ignore"):
        share = full["swy"] / full["sw"]
        n_eff = full["sw"] ** 2 / full["sw2"]
    p, low, high = _wilson(share * n_eff, n_eff, _z(confidence))
    # every count a reader can work out from a published row: n, cases, n − cases and, for a
    # Rasch index, each of its three levels
    suppressed = _suppress_per_year(
        [full["n"], full["cases"], full["n"] - full["cases"], full["middle"], full["other"]],
        threshold,
    )
    return _Cells(
        layout=lay,
        factors=factors,
        n=full["n"],
        cases=full["cases"],
        missing=missing,
        sw=full["sw"],
        swy=full["swy"],
        sw2=full["sw2"],
        middle=full["middle"],
        other=full["other"],
        sw_middle=full["sw_middle"],
        sw_other=full["sw_other"],
        share=np.where(np.isnan(p), np.nan, share),
        n_eff=n_eff,
        low=low,
        high=high,
        suppressed=suppressed,
    )


def _suppress_per_year(
    counts: Sequence[np.ndarray],
    threshold: int,
    primary: np.ndarray | None = None,
    *,
    sex: bool = True,
) -> np.ndarray:
    """Suppression masks for (factor, year, …) counts: one table per factor and year.

    ``counts[0]`` is the number of respondents each cell rests on (it decides which cell a
    complementary suppression takes); every array in ``counts`` is a count a reader can work
    out from the published row (n, cases, n − cases, …). Primary: ``counts[0]`` below the
    threshold, or any count a small group (1 to threshold − 1; 0 is no group), or ``primary``.
    With ``sex`` the last axis is Pojke, Flicka, Alla, and the remainder (other and blank sex)
    is protected as a published cell: small in any of ``counts`` means primary
    (:func:`fouanalys.disclosure.suppress_with_remainder`).
    """
    total = counts[0]
    first = total < threshold
    for c in counts[1:]:
        first = first | small(c, threshold)
    if sex:
        # All minus one sex is the other sex together with the other-or-blank remainder: a
        # group a reader gets by subtraction, even when both of its parts are hidden. When it
        # is small, the sex subtracted is hidden too (the exact check below then keeps it
        # unrecoverable, so the difference cannot be formed another way either).
        first = first.copy()
        for c in counts:
            for own in (0, 1):
                first[..., own] |= small(c[..., 2] - c[..., own], threshold)
    if primary is not None:
        first = first | primary
    suppressed = np.empty(total.shape, dtype=bool)
    for f in range(total.shape[0]):
        for t in range(total.shape[1]):
            if sex:
                rest_small = np.zeros(total.shape[2:-1], dtype=bool)
                for c in counts:
                    rest_small |= small(remainder(c[f, t]), threshold)
                suppressed[f, t] = suppress_with_remainder(
                    total[f, t], threshold, primary=first[f, t], remainder_primary=rest_small
                )
            else:
                suppressed[f, t] = suppress(total[f, t], threshold, primary=first[f, t])
    return suppressed


# --- tidy output -------------------------------------------------------------------------------
def _key_columns(flat: dict) -> dict[str, np.ndarray]:
    """The key and label columns every table starts with, typed and in order."""
    return {
        "municipality_code": flat["municipality_code"].astype(str),
        "year": flat["year"].astype(np.int64),
        **{k: flat[k].astype(str) for k in ("grade", "sex", "factor", "domain", "kind")},
    }


def _int(values: np.ndarray, na: np.ndarray) -> pd.arrays.IntegerArray:
    clean = np.where(na, 0, np.nan_to_num(values)).astype(np.int64)
    return pd.arrays.IntegerArray(clean, np.asarray(na, dtype=bool).copy())


def _float(values: np.ndarray, na: np.ndarray) -> np.ndarray:
    return np.where(na, np.nan, values).astype(float)


def _floats(flat: dict, names: Sequence[str], na: np.ndarray) -> dict[str, np.ndarray]:
    """Float columns ``names`` of ``flat``, in that order, NaN where ``na``."""
    return {k: _float(flat[k], na) for k in names}


def _flatten(arrays: dict[str, np.ndarray], keep: np.ndarray, order: tuple[int, ...]) -> dict:
    """Reorder every (broadcastable) array's axes by ``order`` and keep the cells in ``keep``."""
    shape = keep.shape
    return {
        k: np.broadcast_to(v, shape).transpose(order)[keep.transpose(order)]
        for k, v in arrays.items()
    }


def _keys(lay: _Layout, factors: list[Index], shape: tuple[int, ...], region: bool) -> dict:
    """Label arrays broadcastable to (factor, year, municipality, grade[, sex])."""
    munis = lay.municipalities if region else lay.municipalities[:-1]
    keys = {
        "municipality_code": munis[None, None, :, None],
        "year": lay.years[None, :, None, None],
        "grade": lay.grades[None, None, None, :],
        "factor": np.array([f.id for f in factors], dtype=object)[:, None, None, None],
        "domain": np.array([f.domain for f in factors], dtype=object)[:, None, None, None],
        "kind": np.array([f.kind for f in factors], dtype=object)[:, None, None, None],
    }
    if len(shape) == 5:
        keys = {k: v[..., None] for k, v in keys.items()}
        keys["sex"] = lay.sexes[None, None, None, None, :]
    return keys


def _rows(
    lay: _Layout, factors: list[Index], values: dict, shape: tuple[int, ...], region: bool
) -> dict:
    present = lay.present if region else lay.present[:, :-1]
    keep = np.broadcast_to(
        present[None, :, :, None, None] if len(shape) == 5 else present[None, :, :, None], shape
    )
    order = (2, 1, 3, 4, 0) if len(shape) == 5 else (2, 1, 3, 0)
    return _flatten({**_keys(lay, factors, shape, region), **values}, keep, order)


def prevalence_table(
    scores: pd.DataFrame,
    codebook: Codebook,
    threshold: int = DISCLOSURE_THRESHOLD,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Share above each index's cut-point per municipality, year, grade and sex, with intervals.

    ``scores`` is the respondent scores frame of :func:`fouanalys.scoring.score_indices`
    (``ar, kommunkod, arskurs, kon``, optional ``vikt``, and one boolean flag column per codebook
    index). Rows: every municipality with respondents that year, plus the region (all eight
    pooled, code ``codebook.region.code``), × grade (each grade and "Alla") × sex (Pojke, Flicka,
    "Alla"; "Alla" includes other and blank sex) × every index, incl. the outcome.

    Columns: ``municipality_code, year, grade, sex, factor, domain, kind``; ``n`` (respondents
    with the index), ``cases`` (above the cut-point, unweighted), ``missing`` (respondents whose
    index is missing) — Int64; ``share`` (cases/n, or with weights Σw·y/Σw), ``n_eff`` (n, or
    Kish's (Σw)²/Σw²), ``ci_low, ci_high`` (Wilson on share·n_eff of n_eff) — float;
    ``suppressed`` (bool). Suppressed rows publish no numbers (all NA). Disclosure control (one
    table per year and index: municipality + region × grade + all × sex + all, see
    :func:`fouanalys.disclosure.suppress_with_remainder`): a row is suppressed when n is below
    the threshold or when ``cases`` or ``n − cases`` is a small group (1 to threshold − 1: a
    share with n beside it tells the reader both); the other-sex remainder (Alla − Pojke −
    Flicka) of n, cases and n − cases is protected the same way; then complementary suppression.
    A count of 0 is not a group: a share of 0 % or 100 % on n ≥ threshold is published.
    """
    cells = _prevalence_cells(scores, codebook, threshold, confidence)
    sup = cells.suppressed
    flat = _rows(
        cells.layout,
        cells.factors,
        {
            "n": cells.n,
            "cases": cells.cases,
            "missing": cells.missing,
            "share": cells.share,
            "n_eff": cells.n_eff,
            "ci_low": cells.low,
            "ci_high": cells.high,
            "suppressed": sup,
        },
        sup.shape,
        region=True,
    )
    na = flat["suppressed"]
    out = pd.DataFrame(
        {
            **_key_columns(flat),
            **{k: _int(flat[k], na) for k in ("n", "cases", "missing")},
            **_floats(flat, ("share", "n_eff", "ci_low", "ci_high"), na),
            "suppressed": na.astype(bool),
        }
    )
    log.debug("prevalence: %d rows, %d suppressed", len(out), int(na.sum()))
    return out


#: Columns of :func:`levels_table`.
LEVEL_COLUMNS = [
    *_CELL_KEY,
    *_LABELS,
    *("level", "n", "count", "share"),
    *_INTERVAL,
    *("respondents", "too_few", "too_few_share"),
    "suppressed",
]


def levels_table(
    scores: pd.DataFrame,
    codebook: Codebook,
    threshold: int = DISCLOSURE_THRESHOLD,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """The three levels of each ``rasch`` index, per municipality (and the region), year,
    grade and sex, as RISE's *Data i Dialog* reports them.

    One row per cell and level (``level`` 0, 1, 2: for a risk index låg, något förhöjd,
    förhöjd risk; for a protective index låg, medelhög, hög skyddsnivå). Columns as
    :data:`LEVEL_COLUMNS`: ``n`` respondents with a score (the denominator, as in
    :func:`prevalence_table`), ``count`` at the level, ``share`` (count/n, or with weights
    Σw at the level/Σw) and its Wilson interval on Kish's effective n; ``respondents`` (all in
    the cell), ``too_few`` (respondents without a score: fewer answered items than the index
    needs) and ``too_few_share`` (too_few/respondents); ``suppressed``.

    The flag of :func:`prevalence_table` is a level or two of these, so the share at
    "förhöjd risk" (risk) and 1 − the share at "låg skyddsnivå" (protective) equal its
    ``share`` to the digit, and a cell is suppressed here exactly when it is there: that
    suppression already protects every level's count.
    """
    cells = _prevalence_cells(scores, codebook, threshold, confidence)
    sel = [i for i, f in enumerate(cells.factors) if f.scoring == "rasch"]
    factors = [cells.factors[i] for i in sel]
    protective = np.array([f.kind == "protective" for f in factors])[:, None, None, None, None]
    names = ("n", "cases", "middle", "other", "sw", "swy", "sw_middle", "sw_other", "missing")
    pick = {k: getattr(cells, k)[sel] for k in names}
    n, missing, sup = pick["n"], pick["missing"], cells.suppressed[sel]
    n_eff = cells.n_eff[sel]
    # levels 0, 1, 2: the flag counts level 2 (risk) or levels 1 and 2 (protective)
    top = np.where(protective, pick["other"], pick["cases"])
    bottom = np.where(protective, n - pick["cases"], pick["other"])
    sw_top = np.where(protective, pick["sw_other"], pick["swy"])
    sw_bottom = np.where(protective, pick["sw"] - pick["swy"], pick["sw_other"])
    frames = []
    for level, (count, sw_level) in enumerate(
        ((bottom, sw_bottom), (pick["middle"], pick["sw_middle"]), (top, sw_top))
    ):
        with np.errstate(invalid="ignore", divide="ignore"):
            share = sw_level / pick["sw"]
            too_few_share = missing / (n + missing)
        p, low, high = _wilson(share * n_eff, n_eff, _z(confidence))
        flat = _rows(
            cells.layout,
            factors,
            {
                "n": n,
                "count": count,
                "share": np.where(np.isnan(p), np.nan, share),
                "ci_low": low,
                "ci_high": high,
                "respondents": n + missing,
                "too_few": missing,
                "too_few_share": too_few_share,
                "suppressed": sup,
            },
            sup.shape,
            region=True,
        )
        na = flat["suppressed"]
        frames.append(
            pd.DataFrame(
                {
                    **_key_columns(flat),
                    "level": np.full(len(na), level, dtype=np.int64),
                    **{k: _int(flat[k], na) for k in ("n", "count")},
                    **_floats(flat, ("share", "ci_low", "ci_high"), na),
                    **{k: _int(flat[k], na) for k in ("respondents", "too_few")},
                    "too_few_share": _float(flat["too_few_share"], na),
                    "suppressed": na.astype(bool),
                }
            )
        )
    key = ["municipality_code", "year", "grade", "sex", "factor", "level"]
    out = pd.concat(frames, ignore_index=True)
    order = {f.id: i for i, f in enumerate(factors)}
    out = out.sort_values(key, key=lambda c: c.map(order) if c.name == "factor" else c)
    return out[LEVEL_COLUMNS].reset_index(drop=True)


def _previous(present: np.ndarray) -> np.ndarray:
    """Per (year, municipality), the index of the latest earlier year with respondents, or −1."""
    idx = np.where(present, np.arange(present.shape[0])[:, None], -1)
    latest = np.maximum.accumulate(idx, axis=0)
    return np.vstack([np.full((1, present.shape[1]), -1), latest])[: present.shape[0]]


def priorities_table(
    scores: pd.DataFrame,
    codebook: Codebook,
    threshold: int = DISCLOSURE_THRESHOLD,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Each municipality against the rest of the region, per year, grade, sex and factor.

    Risk and protective indices only, municipalities only. The reference is the rest of the
    region — the other municipalities pooled, never the municipality itself — obtained by
    subtracting the municipality's counts (and weight sums) from the region's.

    Columns: ``municipality_code, year, grade, sex, factor, domain, kind``; ``share, ci_low,
    ci_high`` (as in :func:`prevalence_table`); ``reference_share, reference_ci_low,
    reference_ci_high`` (rest of region, Wilson); ``difference`` (share − reference_share),
    ``diff_low, diff_high`` (Newcombe hybrid score); ``elevated`` (bool: risk factor with
    diff_low > 0, protective factor with diff_high < 0); ``rank`` (Int64, 1 = highest priority
    within municipality × year × grade × sex: risk factors by difference descending and
    protective ones by difference ascending, in one ranking; ties in codebook order);
    ``previous_year`` (Int64: the latest earlier year with respondents in the municipality);
    ``change, change_low, change_high`` (share now − share then, Newcombe; NA without a previous
    year or when either cell is suppressed); ``suppressed`` (bool).

    Disclosure: a row is suppressed, all numbers (``previous_year`` too) NA and ``elevated``
    False, when its municipality cell is suppressed in the prevalence table: its reference would
    otherwise give the hidden cell away (municipality = region − rest of region). The reference,
    difference, ``elevated`` and ``rank`` are also left out (NA, False) on an unsuppressed row
    when the region cell is suppressed (the reference plus the published municipality cell would
    give the region away) or when the rest of the region rests on fewer respondents than the
    threshold. For a published municipality cell and a published region cell, the rest of the
    region is their difference and reveals nothing new.
    """
    cells = _prevalence_cells(scores, codebook, threshold, confidence)
    lay = cells.layout
    sel = [i for i, f in enumerate(cells.factors) if f.kind in ("risk", "protective")]
    factors = [cells.factors[i] for i in sel]
    m = len(lay.municipalities) - 1
    share, neff = cells.share[sel][:, :, :m], cells.n_eff[sel][:, :, :m]
    sup = cells.suppressed[sel][:, :, :m]
    values = {
        "share": share,
        "ci_low": cells.low[sel][:, :, :m],
        "ci_high": cells.high[sel][:, :, :m],
        **_reference(cells, sel, threshold, confidence),
    }
    values.update(_ranking(factors, values))
    values.update(_change(lay, share, neff, sup, confidence))
    values["suppressed"] = sup
    flat = _rows(lay, factors, values, sup.shape, region=False)
    na, no_ref, no_change = flat["suppressed"], flat["no_ref"], flat["no_change"]
    return pd.DataFrame(
        {
            **_key_columns(flat),
            **_floats(flat, ["share", *_INTERVAL], na),
            **_floats(flat, _REFERENCE_COLUMNS, no_ref),
            "elevated": flat["elevated"].astype(bool),
            "rank": _int(flat["rank"], no_ref),
            "previous_year": _int(flat["previous_year"], flat["no_previous"] | na),
            **_floats(flat, _CHANGE_COLUMNS, no_change),
            "suppressed": na.astype(bool),
        }
    )


def _reference(cells: _Cells, sel: list[int], threshold: int, confidence: float) -> dict:
    """Each municipality cell against the rest of the region (region minus the municipality).

    Returns ``reference_share``, ``reference_ci_low/high`` (Wilson), ``difference`` and
    ``diff_low/high`` (Newcombe), and ``no_ref``: cells whose reference is not published
    (the cell or its region cell suppressed, too few respondents in the rest of the region, or
    a small group above or below the cut-point there).
    """
    m = len(cells.layout.municipalities) - 1

    def muni(a: np.ndarray) -> np.ndarray:
        return a[sel][:, :, :m]

    def region(a: np.ndarray) -> np.ndarray:
        return a[sel][:, :, m:]

    share, neff, sup = muni(cells.share), muni(cells.n_eff), muni(cells.suppressed)
    rest_n = region(cells.n) - muni(cells.n)
    rest_sw = region(cells.sw) - muni(cells.sw)
    rest_swy = region(cells.swy) - muni(cells.swy)
    rest_sw2 = region(cells.sw2) - muni(cells.sw2)
    with np.errstate(invalid="ignore", divide="ignore"):
        ref_share = np.clip(rest_swy / rest_sw, 0.0, 1.0)
        ref_neff = rest_sw**2 / rest_sw2
    _, ref_low, ref_high = _wilson(ref_share * ref_neff, ref_neff, _z(confidence))
    diff_low, diff_high = newcombe_interval(
        share * neff, neff, ref_share * ref_neff, ref_neff, confidence
    )
    rest_cases = region(cells.cases) - muni(cells.cases)
    no_ref = sup | region(cells.suppressed) | (rest_n < threshold) | np.isnan(ref_share)
    # the reference share times the rest's n (region n − municipality n) gives its counts
    no_ref |= small(rest_cases, threshold) | small(rest_n - rest_cases, threshold)
    return {
        "reference_share": ref_share,
        "reference_ci_low": ref_low,
        "reference_ci_high": ref_high,
        "difference": np.where(no_ref, np.nan, share - ref_share),
        "diff_low": np.where(no_ref, np.nan, diff_low),
        "diff_high": np.where(no_ref, np.nan, diff_high),
        "no_ref": no_ref,
    }


def _ranking(factors: list[Index], ref: dict) -> dict:
    """``elevated`` and ``rank`` within municipality × year × grade × sex (1 = highest priority).

    Risk factors rank by difference descending, protective ones ascending, in one ranking; ties
    keep codebook order.
    """
    kind = np.array([f.kind for f in factors], dtype=object)[:, None, None, None, None]
    risk = kind == "risk"
    elevated = np.where(risk, ref["diff_low"] > 0, ref["diff_high"] < 0) & ~ref["no_ref"]
    key = np.where(risk, ref["difference"], -ref["difference"])
    order = np.argsort(np.where(np.isnan(key), np.inf, -key), axis=0, kind="stable")
    rank = np.empty(order.shape, dtype=np.int64)
    np.put_along_axis(
        rank,
        order,
        np.broadcast_to(np.arange(1, len(factors) + 1)[:, None, None, None, None], order.shape),
        axis=0,
    )
    return {"elevated": elevated, "rank": rank}


def _change(
    lay: _Layout, share: np.ndarray, neff: np.ndarray, sup: np.ndarray, confidence: float
) -> dict:
    """The change since the latest earlier year with respondents (Newcombe interval).

    ``no_previous`` marks cells without such a year, ``no_change`` also those where either
    cell is suppressed.
    """
    m = len(lay.municipalities) - 1
    prev = _previous(lay.present[:, :m])  # (Y, M)
    prev_idx = np.broadcast_to(np.maximum(prev, 0)[None, :, :, None, None], share.shape)
    prev_share = np.take_along_axis(share, prev_idx, axis=1)
    prev_neff = np.take_along_axis(neff, prev_idx, axis=1)
    prev_sup = np.take_along_axis(sup, prev_idx, axis=1)
    change_low, change_high = newcombe_interval(
        share * neff, neff, prev_share * prev_neff, prev_neff, confidence
    )
    return {
        "previous_year": np.where(prev >= 0, lay.years[np.maximum(prev, 0)], 0)[
            None, :, :, None, None
        ],
        "no_previous": (prev < 0)[None, :, :, None, None],
        "change": share - prev_share,
        "change_low": change_low,
        "change_high": change_high,
        "no_change": sup | prev_sup | (prev < 0)[None, :, :, None, None],
    }


def association_table(
    scores: pd.DataFrame,
    codebook: Codebook,
    threshold: int = DISCLOSURE_THRESHOLD,
    confidence: float = 0.95,
    outcome: str | None = None,
) -> pd.DataFrame:
    """How each risk factor goes with an outcome index, as a risk ratio.

    ``outcome`` is any codebook index of kind "outcome" (default
    :attr:`Codebook.primary_outcome`, self-reported offending; the others are drinking,
    drugs, tobacco, gambling, violence, victimisation, bullying and psychosomatic complaints).
    Per municipality (and the region), year, grade (each grade and "Alla"), sex "Alla" and risk
    index: among respondents with both the factor flag and the outcome flag non-missing, the
    outcome share among those above the cut-point (exposed)
    and below it (unexposed). An association in a cross-section, not a cause.

    Columns: ``municipality_code, year, grade, sex, factor``; ``n_exposed, cases_exposed,
    n_unexposed, cases_unexposed`` (Int64, unweighted); ``share_exposed, share_unexposed``
    (outcome shares; weighted with ``vikt`` when present); ``risk_ratio`` (share_exposed /
    share_unexposed; NA when share_unexposed is 0), ``rr_low, rr_high`` (Katz log interval; with
    weights on Kish-effective counts; when one of the four cells is 0, 0.5 is added to each cell
    for the interval only (Haldane), so the interval exists even where the point estimate is
    NA); ``paf, paf_low, paf_high`` (Levin's population attributable fraction with p = the share
    of the group exposed; the interval substitutes the RR bounds into Levin's formula, which is
    approximate: it ignores the uncertainty in p); ``suppressed`` (bool).

    Disclosure: primary suppression where n_exposed or n_unexposed is below the threshold, or
    where cases or non-cases among the exposed or the unexposed are a small group (1 to
    threshold − 1); then
    complementary suppression on the table municipality + region × grade + all per year and
    factor (all four counts are additive along both dimensions, so one mask protects them all).
    Can the hidden counts be recovered from the prevalence table? Its ``cases`` and ``n − cases``
    for the factor count the exposed and unexposed among respondents with the *factor*
    non-missing, not with both flags non-missing, so they match n_exposed and n_unexposed only
    where nobody lacks the outcome. Those denominators are counts of a factor, which the
    prevalence table publishes by design (its threshold is on n). What suppression here protects
    is the outcome split of a small group (cases_exposed against cases_unexposed): the prevalence
    table publishes only its sum (the outcome's cases), so the split is not recoverable from it.
    Suppressed rows publish no numbers (all NA).
    """
    factors_all = list(codebook.indices)
    outcomes = [f for f in factors_all if f.kind == "outcome"]
    risks = [f for f in factors_all if f.kind == "risk"]
    if not outcomes:
        raise FouanalysError("Kodboken har inget utfallsindex (kind: outcome).")
    if outcome is not None:
        outcomes = [f for f in outcomes if f.id == outcome]
        if not outcomes:
            raise InvalidArgumentError(
                f"'{outcome}' är inget utfallsindex i kodboken; utfallen är "
                f"{', '.join(codebook.outcomes())}."
            )
    _require(scores, [f.id for f in [*risks, outcomes[0]]])
    enc = _encode(scores, codebook)
    lay = enc.layout
    c, sw, sw2 = _exposure_counts(scores, enc, risks, outcomes[0])
    n_exp, cases_exp = c[..., 2] + c[..., 3], c[..., 3]
    n_unexp, cases_unexp = c[..., 0] + c[..., 1], c[..., 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        w_exp, w_unexp = sw[..., 2] + sw[..., 3], sw[..., 0] + sw[..., 1]
        share_exp, share_unexp = sw[..., 3] / w_exp, sw[..., 1] / w_unexp
        neff_exp = w_exp**2 / (sw2[..., 2] + sw2[..., 3])
        neff_unexp = w_unexp**2 / (sw2[..., 0] + sw2[..., 1])
        p_exposed = w_exp / (w_exp + w_unexp)
    rr = risk_ratio(share_exp * neff_exp, neff_exp, share_unexp * neff_unexp, neff_unexp)
    rr_low, rr_high = risk_ratio_interval(
        share_exp * neff_exp, neff_exp, share_unexp * neff_unexp, neff_unexp, confidence
    )

    sup = _suppress_per_year(
        [n_exp + n_unexp, cases_exp, n_exp - cases_exp, cases_unexp, n_unexp - cases_unexp],
        threshold,
        primary=(n_exp < threshold) | (n_unexp < threshold),
        sex=False,
    )
    values = {
        "n_exposed": n_exp,
        "cases_exposed": cases_exp,
        "n_unexposed": n_unexp,
        "cases_unexposed": cases_unexp,
        "share_exposed": share_exp,
        "share_unexposed": share_unexp,
        "risk_ratio": rr,
        "rr_low": rr_low,
        "rr_high": rr_high,
        "paf": attributable_fraction(rr, p_exposed),
        "paf_low": attributable_fraction(rr_low, p_exposed),
        "paf_high": attributable_fraction(rr_high, p_exposed),
        "suppressed": sup,
    }
    return _association_frame(_rows(lay, risks, values, sup.shape, region=True), codebook)


def _exposure_counts(
    scores: pd.DataFrame, enc: _Encoded, risks: list[Index], outcome: Index
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts, weight sums and squared weight sums per (factor, year, municipality + region,
    grade + all, slot): slot = 2·factor flag + outcome flag, among respondents with both flags.

    Without weights the sums are the counts.
    """
    lay = enc.layout
    y, m, g = len(lay.years), len(lay.municipalities) - 1, len(lay.grades) - 1
    size = y * m * g
    cell = enc.cell // 3
    out_flag = _flag(scores, outcome.id)
    counts = np.empty((len(risks), size * 4))
    sums = np.empty((len(risks), size * 4))
    squares = np.empty((len(risks), size * 4))
    for i, factor in enumerate(risks):
        flag = _flag(scores, factor.id)
        both = (flag >= 0) & (out_flag >= 0)
        slot = cell[both] * 4 + 2 * flag[both] + out_flag[both]
        counts[i] = np.bincount(slot, minlength=size * 4)
        if enc.weights is not None:
            w = enc.weights[both]
            sums[i] = np.bincount(slot, weights=w, minlength=size * 4)
            squares[i] = np.bincount(slot, weights=w * w, minlength=size * 4)
    shape = (len(risks), y, m, g, 4)

    def margins(a: np.ndarray) -> np.ndarray:
        return np.moveaxis(_add_margins(np.moveaxis(a.reshape(shape), -1, 1), sex=False), 1, -1)

    c = margins(counts)
    sw, sw2 = (c, c) if enc.weights is None else (margins(sums), margins(squares))
    return c, sw, sw2


def _association_frame(flat: dict, codebook: Codebook) -> pd.DataFrame:
    """The tidy association table from its flattened cells (suppressed rows all NA)."""
    na = flat["suppressed"]
    out = {
        "municipality_code": flat["municipality_code"].astype(str),
        "year": flat["year"].astype(np.int64),
        "grade": flat["grade"].astype(str),
        "sex": np.full(len(na), codebook.survey.all_label),
        "factor": flat["factor"].astype(str),
    }
    for k in ("n_exposed", "cases_exposed", "n_unexposed", "cases_unexposed"):
        out[k] = _int(flat[k], na)
    for k in ASSOCIATION_COLUMNS[9:-1]:
        out[k] = _float(flat[k], na | np.isnan(flat[k].astype(float)))
    out["suppressed"] = na.astype(bool)
    return pd.DataFrame(out)
