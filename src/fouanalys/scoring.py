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
