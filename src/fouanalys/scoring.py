"""Index scores per respondent, from the codebook's scoring rules.

``rasch`` indices are scored as RISE's *Data i Dialog* scores Stockholmsenkäten: each answer
code becomes RISE's response category, the score is Warm's weighted likelihood estimate of theta
under the partial credit model (:func:`pcm_wle`, rounded to three decimals as RISE rounds it,
reversed for a protective index), and two cut-points make three levels (0, 1, 2: låg, något
förhöjd, förhöjd risk; for a protective index låg, medelhög, hög skyddsnivå). The flag is the
top level of a risk index and "not the lowest level" of a protective one.

``mean`` and ``count`` indices are the workbench's own measures for what RISE has not
calibrated: every answered item is mapped to 0..1 (1 = more of what the index measures;
``reverse`` items flipped), the score is the mean of those (``mean``) or the number of items at
or above ``item_threshold`` (``count``), and the flag says whether it reaches the cut-point.

A respondent with fewer than ``min_answered`` answered items has no score, no level and no flag
(missing, and counted as "för få svar").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fouanalys.codebook import Codebook, Index
from fouanalys.exceptions import FouanalysError

#: Respondent columns carried from the survey into the scores frame.
ID_COLUMNS = ("ar", "kommunkod", "arskurs", "kon")
#: Tolerance for comparing a mean score with its cut-point (mean of thirds, sevenths, ...).
_EPS = 1e-9
#: RISE rounds each estimate to three decimals before comparing it with the cut-points.
RASCH_DECIMALS = 3


def _codes(enkat: pd.DataFrame, index: Index) -> np.ndarray:
    """The index's items' answer codes as a float matrix (respondents × items); blank is NaN."""
    absent = [item.id for item in index.items if item.id not in enkat.columns]
    if absent:
        raise FouanalysError(
            f"Enkätdata saknar kolumnerna {', '.join(absent)} som indexet '{index.id}' behöver."
        )
    return (
        enkat[[item.id for item in index.items]]
        .astype("Float64")
        .to_numpy(dtype=float, na_value=np.nan)
    )


def item_matrix(enkat: pd.DataFrame, index: Index) -> np.ndarray:
    """The index's items as a float matrix (respondents × items), reversed where the codebook
    says so: code ``c`` on an ``n``-code item becomes ``n + 1 - c``; blank is NaN."""
    codes = _codes(enkat, index)
    levels = np.array([index.item_levels(item) for item in index.items], dtype=float)
    reverse = np.array([item.reverse for item in index.items])
    return np.where(reverse, levels + 1 - codes, codes)


def rasch_categories(enkat: pd.DataFrame, index: Index) -> np.ndarray:
    """The index's items as RISE's response categories (respondents × items, NaN: none).

    Raises FouanalysError naming the item, the code and how many respondents gave it when a
    code is not one of the item's answers (the validation gate stops such files earlier).
    """
    codes = _codes(enkat, index)
    out = np.full(codes.shape, np.nan)
    for j, item in enumerate(index.items):
        table = np.array([np.nan if c is None else c for c in item.categories], dtype=float)
        column = codes[:, j]
        answered = ~np.isnan(column)
        position = np.where(answered, column, 1).astype(np.int64) - 1
        bad = answered & ((position < 0) | (position >= len(table)) | (column % 1 != 0))
        if bad.any():
            shown = ", ".join(f"{v:g}" for v in np.unique(column[bad])[:5])
            raise FouanalysError(
                f"Frågan {item.id} (index '{index.id}') har svarskoden {shown} hos "
                f"{int(bad.sum())} svarande; frågan har koderna 1–{len(table)}."
            )
        out[:, j] = np.where(answered, table[np.clip(position, 0, len(table) - 1)], np.nan)
    return out


def rasch_thresholds(index: Index) -> np.ndarray:
    """The index's item thresholds as items × max categories (NaN where an item has fewer)."""
    width = max(len(item.thresholds) for item in index.items)
    out = np.full((len(index.items), width), np.nan)
    for j, item in enumerate(index.items):
        out[j, : len(item.thresholds)] = item.thresholds
    return out


def rasch_levels(score: np.ndarray, cut_points: tuple[float, float]) -> np.ndarray:
    """Level 0, 1 or 2 of each score: how many cut-points it reaches (−1 for no score)."""
    with np.errstate(invalid="ignore"):
        level = (score >= cut_points[0]).astype(np.int8) + (score >= cut_points[1])
    return np.where(np.isnan(score), -1, level).astype(np.int8)


def _score_rasch(
    enkat: pd.DataFrame, index: Index, theta_range: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    cats = rasch_categories(enkat, index)
    answered = np.sum(~np.isnan(cats), axis=1)
    theta = pcm_wle(cats, rasch_thresholds(index), theta_range, index.min_answered)
    theta = np.round(theta, RASCH_DECIMALS)
    if index.kind == "protective":
        theta = -theta  # RISE reverses its protective indices: high = more protection
    level = rasch_levels(theta, index.cut_points)
    flag = level == 2 if index.kind != "protective" else level >= 1
    return theta, flag, answered, level


def score_index(
    enkat: pd.DataFrame, index: Index, theta_range: tuple[float, float] = (-4.0, 4.0)
) -> pd.DataFrame:
    """Score, answered-item count and flag (and, for a ``rasch`` index, level) for one index.

    Returns columns ``<id>`` (boolean flag, <NA> when too few items answered), ``<id>_score``
    (Float64), ``<id>_answered`` (Int64) and, for a ``rasch`` index, ``<id>_level`` (Int8:
    0, 1, 2; <NA> when too few items answered), indexed like ``enkat``.
    """
    level = None
    if index.scoring == "rasch":
        score, flag, answered, level = _score_rasch(enkat, index, theta_range)
        enough = ~np.isnan(score)
    else:
        codes = item_matrix(enkat, index)
        answered = np.sum(~np.isnan(codes), axis=1)
        enough = answered >= index.min_answered
        with np.errstate(invalid="ignore", divide="ignore"):
            if index.scoring == "mean":
                levels = np.array([index.item_levels(item) for item in index.items], dtype=float)
                items = (codes - 1) / (levels - 1)
                score = np.nansum(items, axis=1) / answered
                flag = score >= index.cut_point - _EPS
            else:  # count
                score = np.sum(codes >= index.item_threshold, axis=1).astype(float)
                flag = score >= index.cut_point
    flags = pd.array(flag, dtype="boolean")
    flags[~enough] = pd.NA
    out = {
        index.id: flags,
        f"{index.id}_score": pd.array(np.where(enough, score, np.nan), dtype="Float64"),
        f"{index.id}_answered": pd.array(answered, dtype="Int64"),
    }
    if level is not None:
        out[f"{index.id}_level"] = pd.arrays.IntegerArray(
            np.where(enough, level, 0).astype(np.int8), ~enough
        )
    return pd.DataFrame(out, index=enkat.index)


def score_indices(enkat: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Every codebook index scored for every respondent of a typed survey frame.

    Returns one row per respondent with ``ar, kommunkod, arskurs, kon`` (and ``vikt`` when the
    survey has weights), then for each index id X: ``X`` (boolean flag; <NA> when fewer than
    ``min_answered`` items were answered), ``X_score`` (Float64), ``X_answered`` (Int64) and,
    for a ``rasch`` index, ``X_level`` (Int8). Respondent-level: keep it inside
    ``data/processed``.
    """
    ids = [c for c in (*ID_COLUMNS, "vikt") if c in enkat.columns]
    parts = [enkat[ids]] + [
        score_index(enkat, index, codebook.theta_range) for index in codebook.indices
    ]
    return pd.concat(parts, axis=1)


# --- Rasch scoring as RISE's Data i Dialog does it ----------------------------------------------

#: Newton steps at most, and the step size at which every estimate has converged.
_MAX_STEPS, _TOLERANCE = 100, 1e-10


def _pcm_moments(
    theta: np.ndarray, cumulative: np.ndarray, absent: np.ndarray, answered: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per respondent, summed over answered items, the item score's expected value, variance
    (the test information), third central moment and fourth central moment minus three times
    the squared variance, under the partial credit model."""
    # log P(X = k) up to a constant: k θ − Σ_{j≤k} δ_j; −inf for categories an item lacks
    k = np.arange(cumulative.shape[1], dtype=float)
    logits = theta[:, None, None] * k - cumulative + absent
    logits -= logits.max(axis=2, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=2, keepdims=True)
    p *= answered[:, :, None]  # an unanswered item weighs nothing
    mean = p @ k
    centred = k - mean[:, :, None]
    squared = centred * centred
    var = (p * squared).sum(axis=2)
    third = (p * squared * centred).sum(axis=2)
    fourth = (p * squared * squared).sum(axis=2) - 3 * var * var
    return mean.sum(1), var.sum(1), third.sum(1), fourth.sum(1)


def pcm_wle(
    responses: np.ndarray,
    thresholds: np.ndarray,
    theta_range: tuple[float, float] = (-4.0, 4.0),
    min_answered: int = 1,
) -> np.ndarray:
    """Warm's weighted likelihood estimate of theta under the partial credit model, for every
    respondent at once: the estimator of ``catR::thetaEst(model = "PCM", method = "WL")``,
    which RISE's *Data i Dialog* uses to score Stockholmsenkäten.

    ``responses``: float array respondents × items of response categories 0..m (NaN: not
    answered). ``thresholds``: float array items × max categories of each item's thresholds
    on the logit scale (NaN where an item has fewer categories). Returns one estimate per
    respondent: the root of Warm's estimating equation ``Σ(x − E) + J / (2I) = 0`` (``E``,
    ``I`` the expected score and information, ``J`` the summed third central moments), found
    by bisection within ``theta_range``; a root beyond the range gives the range's end, and a
    respondent with fewer than ``min_answered`` answered items gets NaN. The estimate depends
    only on which items were answered and the raw score, so each such pattern is solved once;
    all patterns together, by Newton steps kept inside a bracket that halves whenever a step
    would leave it, until every step is under 1e-10.

    Raises FouanalysError when the shapes disagree or a response is not one of its item's
    categories.
    """
    x = np.asarray(responses, dtype=float)
    delta = np.asarray(thresholds, dtype=float)
    if x.ndim != 2 or delta.ndim != 2 or x.shape[1] != delta.shape[0]:
        raise FouanalysError(
            f"pcm_wle: svaren ({x.shape}) och trösklarna ({delta.shape}) passar inte ihop: "
            "svaren ska vara respondenter × frågor och trösklarna frågor × kategorier."
        )
    top = (~np.isnan(delta)).sum(axis=1)  # each item's highest category
    answered = ~np.isnan(x)
    filled = np.where(answered, x, 0.0)
    bad = answered & ((filled < 0) | (filled > top[None, :]) | (filled != np.round(filled)))
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise FouanalysError(
            f"pcm_wle: svaret {x[row, col]:g} (respondent {row}, fråga {col}) är inte en "
            f"kategori 0–{top[col]} för frågan; {int(bad.sum())} sådana svar."
        )
    if len(x) == 0:
        return np.empty(0)
    # The estimate depends only on which items were answered and on the raw score (its
    # sufficient statistic under the model): solve each such pattern once.
    score = filled.sum(axis=1)
    if x.shape[1] < 48:  # one integer per pattern: the answered items' bits, then the score
        bits = answered.astype(np.int64) @ (np.int64(1) << np.arange(x.shape[1], dtype=np.int64))
        key = bits * (int(top.sum()) + 1) + score.astype(np.int64)
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        patterns = answered[first], score[first]
    else:
        _, first, inverse = np.unique(
            np.column_stack([answered, score]), axis=0, return_index=True, return_inverse=True
        )
        patterns = answered[first], score[first]
    theta = _solve_wle(*patterns, delta, top, theta_range)
    return np.where(answered.sum(axis=1) >= min_answered, theta[inverse.ravel()], np.nan)


def _solve_wle(
    answered: np.ndarray,
    score: np.ndarray,
    delta: np.ndarray,
    top: np.ndarray,
    theta_range: tuple[float, float],
) -> np.ndarray:
    """Warm's estimate for each row of answered items and raw score (see :func:`pcm_wle`)."""
    # cumulative thresholds Σ_{j≤k} δ_j for k = 0..m (0 for k = 0), and which k exist
    cumulative = np.concatenate(
        [np.zeros((delta.shape[0], 1)), np.cumsum(np.nan_to_num(delta), axis=1)], axis=1
    )
    absent = np.where(np.arange(delta.shape[1] + 1)[None, :] <= top[:, None], 0.0, -np.inf)
    weight = answered.astype(float)

    def equation(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Warm's equation f(θ) = Σ(x − E) + J/(2I) and its slope
        f' = −I + (Σ(μ4 − 3σ⁴))/(2I) − J²/(2I²) (since dI/dθ = J)."""
        mean, info, third, fourth = _pcm_moments(theta, cumulative, absent, weight)
        info = np.maximum(info, 1e-12)  # no answered item: settled, never solved
        slope = -info + fourth / (2 * info) - third * third / (2 * info * info)
        return score - mean + third / (2 * info), slope

    lo = np.full(len(score), float(theta_range[0]))
    hi = np.full(len(score), float(theta_range[1]))
    below = equation(lo)[0] <= 0  # the root lies below the range
    above = equation(hi)[0] >= 0  # or above it
    settled = below | above | ~answered.any(axis=1)  # nothing to solve for
    theta = np.clip(np.zeros(len(score)), lo, hi)
    for _ in range(_MAX_STEPS):
        f, slope = equation(theta)
        # keep the bracket: the equation decreases, so f > 0 means the root is above theta
        lo, hi = np.where(f > 0, theta, lo), np.where(f > 0, hi, theta)
        newton = theta - f / np.minimum(slope, -1e-12)
        inside = (newton >= lo) & (newton <= hi)
        step = np.where(inside, newton, (lo + hi) / 2)
        done = settled | (np.abs(step - theta) < _TOLERANCE)
        theta = step
        if done.all():
            break
    return np.where(below, theta_range[0], np.where(above, theta_range[1], theta))
