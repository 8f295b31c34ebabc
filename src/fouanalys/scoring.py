"""Index scores per respondent, from the codebook's scoring rules.

For each survey index: every answered item is mapped to 0..1 (1 = more of what the index
measures; ``reverse`` items flipped), the respondent's score is the mean of those (``mean``
scoring) or the number of items at or above ``item_threshold`` (``count`` scoring), and the
flag says whether the score reaches the cut-point. A respondent with fewer than
``min_answered`` answered items has no score and no flag (missing, and counted as such).
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


def item_matrix(enkat: pd.DataFrame, index: Index) -> np.ndarray:
    """The index's items as a float matrix (respondents × items), reversed where the codebook
    says so: code ``c`` on a ``levels``-point item becomes ``levels + 1 - c``; blank is NaN."""
    absent = [item.id for item in index.items if item.id not in enkat.columns]
    if absent:
        raise FouanalysError(
            f"Enkätdata saknar kolumnerna {', '.join(absent)} som indexet '{index.id}' behöver."
        )
    codes = (
        enkat[[item.id for item in index.items]]
        .astype("Float64")
        .to_numpy(dtype=float, na_value=np.nan)
    )
    reverse = np.array([item.reverse for item in index.items])
    return np.where(reverse, index.levels + 1 - codes, codes)


def score_index(enkat: pd.DataFrame, index: Index) -> pd.DataFrame:
    """Score, answered-item count and flag for one index.

    Returns columns ``<id>`` (boolean flag, <NA> when too few items answered), ``<id>_score``
    (Float64) and ``<id>_answered`` (Int64), indexed like ``enkat``.
    """
    codes = item_matrix(enkat, index)
    answered = np.sum(~np.isnan(codes), axis=1)
    enough = answered >= index.min_answered
    with np.errstate(invalid="ignore", divide="ignore"):
        if index.scoring == "mean":
            items = (codes - 1) / (index.levels - 1)
            score = np.nansum(items, axis=1) / answered
            flag = score >= index.cut_point - _EPS
        else:  # count
            score = np.sum(codes >= index.item_threshold, axis=1).astype(float)
            flag = score >= index.cut_point
    flags = pd.array(flag, dtype="boolean")
    flags[~enough] = pd.NA
    return pd.DataFrame(
        {
            index.id: flags,
            f"{index.id}_score": pd.array(np.where(enough, score, np.nan), dtype="Float64"),
            f"{index.id}_answered": pd.array(answered, dtype="Int64"),
        },
        index=enkat.index,
    )


def score_indices(enkat: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Every codebook index scored for every respondent of a typed survey frame.

    Returns one row per respondent with ``ar, kommunkod, arskurs, kon`` (and ``vikt`` when the
    survey has weights), then for each index id X: ``X`` (boolean flag: score at or above the
    cut-point; <NA> when fewer than ``min_answered`` items were answered), ``X_score`` (Float64)
    and ``X_answered`` (Int64). Respondent-level: keep it inside ``data/processed``.
    """
    ids = [c for c in (*ID_COLUMNS, "vikt") if c in enkat.columns]
    parts = [enkat[ids]] + [score_index(enkat, index) for index in codebook.indices]
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
