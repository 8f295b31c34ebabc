"""Index scores per respondent, checked against respondents scored by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fouanalys.codebook import Index, Item
from fouanalys.exceptions import FouanalysError
from fouanalys.scoring import score_index, score_indices

# A mean-scored index (the workbench's own measure, kept for what RISE has not calibrated):
# 10 items on a 4-point scale, all reversed except f66m; at least 6 answered; flagged when the
# mean item score (0..1) is at least 0.60.
IMPULS = ["f66a", "f66b", "f66c", "f66e", "f66g", "f66i", "f66m", "f66n", "f66q", "f66t"]
MEAN_INDEX = Index(
    id="impulsivitet",
    label="Impulsivitet",
    domain="individ",
    kind="risk",
    scoring="mean",
    levels=4,
    min_answered=6,
    cut_point=0.60,
    stages=["13-15"],
    items=[Item(id=i, label=i, reverse=i != "f66m") for i in IMPULS],
)
# kriminalitet: 11 items on a 5-point scale (1 = never); count of items answered 2 or more;
# flagged at 1 or more; at least 8 answered.
KRIM = ["f75a", "f75b", "f75c", "f75f", "f75g", "f75l", "f75n", "f75o", "f75q", "f75r", "f75s"]


def _frame(rows: dict[str, list], columns: list[str]) -> pd.DataFrame:
    data = {c: pd.array([r[i] for r in rows.values()], dtype="Int64") for i, c in
            enumerate(columns)}  # fmt: skip
    return pd.DataFrame(data, index=list(rows))


def test_index_codebook_is_what_these_hand_computations_assume(codebook):
    krim = codebook.index("kriminalitet")
    assert [i.id for i in krim.items] == KRIM
    assert (krim.levels, krim.item_threshold, krim.cut_point, krim.min_answered) == (5, 2, 1, 8)


def test_mean_scoring_with_reversed_items_and_minimum_answered():
    na = None
    rows = {
        # all "stämmer mycket bra" (1): reversed items score 1, f66m scores 0 -> 9/10
        "agrees": [1] * 10,
        # all "stämmer mycket dåligt" (4): reversed items 0, f66m 1 -> 1/10
        "disagrees": [4] * 10,
        # six reversed items at 1 (score 1), f66m at 1 (score 0), three at 4 (score 0): 6/10
        "at_cut": [1, 1, 1, 1, 1, 1, 1, 4, 4, 4],
        # items score 1, 1, 1, 1, 2/3, 0, 0 (f66m=1), 0, 0, 0 ... mean 14/30 < 0.6
        "below": [1, 1, 1, 1, 2, 4, 1, 4, 4, 4],
        # only five answered: no score
        "too_few": [1, 1, 1, 1, 1, na, na, na, na, na],
        # exactly six answered, one of them f66m=4 (score 1): (5*1 + 1)/6 = 1
        "six": [1, 1, 1, 1, 1, na, 4, na, na, na],
    }
    out = score_index(_frame(rows, IMPULS), MEAN_INDEX)
    expected_score = {"agrees": 0.9, "disagrees": 0.1, "at_cut": 0.6, "below": 14 / 30,
                      "too_few": np.nan, "six": 1.0}  # fmt: skip
    for who, score in expected_score.items():
        got = out.at[who, "impulsivitet_score"]
        if np.isnan(score):
            assert pd.isna(got)
        else:
            assert got == pytest.approx(score)
    assert out["impulsivitet"].tolist() == [True, False, True, False, pd.NA, True]
    assert out["impulsivitet_answered"].tolist() == [10, 10, 10, 10, 5, 6]


def test_count_scoring(codebook):
    na = None
    rows = {
        "never": [1] * 11,
        "once_shoplifted": [2] + [1] * 10,
        "many": [5, 3, 1, 1, 1, 1, 1, 1, 1, 2, 1],
        "seven_answered": [5] * 7 + [na] * 4,
        "eight_answered_never": [1] * 8 + [na] * 3,
    }
    out = score_index(_frame(rows, KRIM), codebook.index("kriminalitet"))
    assert out["kriminalitet_score"].tolist() == [0, 1, 3, pd.NA, 0]
    assert out["kriminalitet"].tolist() == [False, True, True, pd.NA, False]


def test_score_indices_keeps_respondent_columns_and_weights(codebook):
    n = 3
    frame = pd.DataFrame(
        {
            "ar": pd.array([2024] * n, dtype="Int64"),
            "kommunkod": ["0123", "0184", "0191"],
            "arskurs": ["Åk 9", "Gy 2", "Åk 9"],
            "kon": ["Pojke", None, "Flicka"],
            "vikt": pd.array([1.0, 2.5, 0.5], dtype="Float64"),
        }
    )
    for item in codebook.survey_items():
        frame[item] = pd.array([1, 2, None], dtype="Int64")
    out = score_indices(frame, codebook)
    assert list(out.columns[:5]) == ["ar", "kommunkod", "arskurs", "kon", "vikt"]
    for index in codebook.indices:
        assert str(out[index.id].dtype) == "boolean"
        assert out[index.id].isna().tolist() == [False, False, True]  # third answered nothing
    rasch = [i for i in codebook.indices if i.scoring == "rasch"]
    assert len(rasch) == 7  # Data i Dialog's seven indices
    for index in rasch:
        assert str(out[f"{index.id}_level"].dtype) == "Int8"
    assert len(out.columns) == 5 + 3 * len(codebook.indices) + len(rasch)


def test_missing_item_column_is_a_clear_error(codebook):
    frame = pd.DataFrame({"f66c": pd.array([1], dtype="Int64")})
    with pytest.raises(FouanalysError, match="f66d"):
        score_index(frame, codebook.index("impulsivitet"))


# --- Warm's weighted likelihood estimate under the partial credit model ------------------------


def _weighted_likelihood_max(row: np.ndarray, thresholds: np.ndarray, bounds) -> float:
    """Warm's estimate found another way: the maximum of log L(θ) + ½ log I(θ), by a bounded
    scalar search on one respondent, item by item in plain Python."""
    from scipy.optimize import minimize_scalar

    def minus(theta: float) -> float:
        log_l, info = 0.0, 0.0
        for x, delta in zip(row, thresholds, strict=True):
            if np.isnan(x):
                continue
            steps = delta[~np.isnan(delta)]
            k = np.arange(len(steps) + 1)
            logits = theta * k - np.concatenate([[0.0], np.cumsum(steps)])
            p = np.exp(logits - logits.max())
            p /= p.sum()
            log_l += np.log(p[int(x)])
            info += (p * (k - (p * k).sum()) ** 2).sum()
        return -(log_l + 0.5 * np.log(info))

    found = minimize_scalar(minus, bounds=bounds, method="bounded", options={"xatol": 1e-10})
    return float(found.x)


#: Three items: two with three thresholds, one with two (its third category merged away).
_THRESHOLDS = np.array([[-1.0, 0.2, 1.5], [-0.5, 0.5, np.nan], [-2.0, -0.3, 0.9]])


def test_pcm_wle_agrees_with_maximising_the_weighted_likelihood():
    from fouanalys.scoring import pcm_wle

    rng = np.random.default_rng(7)
    top = np.array([3, 2, 3])
    x = np.floor(rng.random((300, 3)) * (top + 1))
    x[rng.random(x.shape) < 0.15] = np.nan
    got = pcm_wle(x, _THRESHOLDS, theta_range=(-6.0, 6.0))
    for i in range(60):
        if np.isnan(x[i]).all():
            assert np.isnan(got[i])
            continue
        assert got[i] == pytest.approx(_weighted_likelihood_max(x[i], _THRESHOLDS, (-6, 6)),
                                       abs=1e-6)  # fmt: skip


def test_pcm_wle_range_ends_minimum_answers_and_errors():
    from fouanalys.scoring import pcm_wle

    lowest, highest = [0.0, 0.0, 0.0], [3.0, 2.0, 3.0]
    x = np.array([lowest, highest, [1.0, np.nan, np.nan], [np.nan] * 3])
    narrow = pcm_wle(x, _THRESHOLDS, theta_range=(-1.0, 1.0))
    assert narrow[0] == -1.0 and narrow[1] == 1.0  # beyond the range: its ends
    wide = pcm_wle(x, _THRESHOLDS, theta_range=(-10.0, 10.0))
    # the extreme patterns have finite estimates, found as the weighted likelihood's maximum
    assert wide[0] == pytest.approx(_weighted_likelihood_max(x[0], _THRESHOLDS, (-10, 10)),
                                    abs=1e-6)  # fmt: skip
    assert -10 < wide[0] < -1 and 1 < wide[1] < 10
    assert np.isnan(wide[3])
    assert np.isnan(pcm_wle(x, _THRESHOLDS, min_answered=2)[2])
    # the same answered items and raw score give the same estimate, whatever the answers
    pair = pcm_wle(np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 2.0]]), _THRESHOLDS)
    assert pair[0] == pair[1]
    with pytest.raises(FouanalysError, match="inte en kategori 0–2"):
        pcm_wle(np.array([[0.0, 3.0, 0.0]]), _THRESHOLDS)
    with pytest.raises(FouanalysError, match="passar inte ihop"):
        pcm_wle(np.zeros((2, 2)), _THRESHOLDS)


def test_pcm_wle_with_many_items_groups_patterns_the_same_way():
    """An index of 51 items (beyond one integer's bits per pattern) gives the weighted
    likelihood's maximum too."""
    from fouanalys.scoring import pcm_wle

    many = np.tile(_THRESHOLDS, (17, 1))
    rng = np.random.default_rng(3)
    top = np.tile([3, 2, 3], 17)
    x = np.floor(rng.random((40, len(many))) * (top + 1))
    x[rng.random(x.shape) < 0.1] = np.nan
    got = pcm_wle(x, many, theta_range=(-6.0, 6.0))
    for i in range(5):
        assert got[i] == pytest.approx(_weighted_likelihood_max(x[i], many, (-6, 6)), abs=1e-6)


def test_pcm_wle_on_a_hand_worked_example_of_two_items():
    """Two dichotomous items with threshold a, both answered 1: with P = P(X = 1), Warm's
    equation is 2 − 2P + J/(2I) = 0 with I = 2P(1 − P) and J = 2P(1 − P)(1 − 2P), i.e.
    2.5 − 3P = 0, so P = 5/6 and θ = a + ln 5; both 0 gives a − ln 5, one of each a."""
    from fouanalys.scoring import pcm_wle

    for a in (0.0, -0.7, 1.3):
        delta = np.array([[a], [a]])
        got = pcm_wle(np.array([[1.0, 1.0], [0.0, 0.0], [1.0, 0.0]]), delta)
        assert got == pytest.approx([a + np.log(5), a - np.log(5), a], abs=1e-9)


# --- the codebook's Rasch indices, scored as RISE's Data i Dialog does -------------------------


def _warm_root(categories: list[float], thresholds: list[list[float]]) -> float:
    """Warm's estimate of one respondent by a plain root-finder on his estimating equation
    Σ(x − E) + J/(2I) = 0 (brentq within −4..4, the range's end when the root lies beyond)."""
    from scipy.optimize import brentq

    def equation(theta: float) -> float:
        total, info, third = 0.0, 0.0, 0.0
        for x, steps in zip(categories, thresholds, strict=True):
            if np.isnan(x):
                continue
            k = np.arange(len(steps) + 1)
            p = np.exp(theta * k - np.concatenate([[0.0], np.cumsum(steps)]))
            p /= p.sum()
            mean = (p * k).sum()
            total += x - mean
            info += (p * (k - mean) ** 2).sum()
            third += (p * (k - mean) ** 3).sum()
        return total + third / (2 * info)

    if equation(-4.0) <= 0:
        return -4.0
    if equation(4.0) >= 0:
        return 4.0
    return brentq(equation, -4.0, 4.0, xtol=1e-12)


def _rise_parameters(shared_data, index: str) -> dict[str, list[float]]:
    import csv

    with open(shared_data / "did" / "item_parameters.csv", encoding="utf-8") as fh:
        rows = [row for row in csv.DictReader(fh) if row["Index"] == index]
    columns = [f"Threshold.{k}" for k in range(1, 5)]
    return {row["itemnr"]: [float(row[c]) for c in columns if row[c] != "NA"] for row in rows}


def _rise_cuts(shared_data, kind: str, index: str) -> tuple[float, float]:
    frame = pd.read_csv(shared_data / "did" / f"cutpoints_{kind}_2024-09-23.csv")
    return float(frame[index].iloc[0]), float(frame[index].iloc[1])


def test_rasch_index_agrees_with_rise_material_scored_independently(codebook, shared_data):
    """Utagerande (our impulsivitet) on RISE's own thresholds and cut-points, read from RISE's
    files here: every f66 item is a negative statement, coded as RISE's 02_recoding.R does
    (stämmer mycket bra = 3 … stämmer mycket dåligt = 0); the estimate rounded to three
    decimals; levels at or above each cut-point; fewer than 5 answers: no score."""
    params = _rise_parameters(shared_data, "Utagerande")
    cuts = _rise_cuts(shared_data, "risk", "Utagerande")
    index = codebook.index("impulsivitet")
    items = [item.id for item in index.items]
    assert sorted(items) == sorted(params)
    rng = np.random.default_rng(11)
    codes = rng.integers(1, 5, size=(400, len(items))).astype(float)
    codes[rng.random(codes.shape) < 0.25] = np.nan
    codes[:3] = [[1] * 9, [4] * 9, [1, 1, 1, 1, np.nan, np.nan, np.nan, np.nan, np.nan]]
    frame = pd.DataFrame({c: pd.array(codes[:, j], dtype="Int64") for j, c in enumerate(items)})
    out = score_index(frame, index)
    for i in range(len(codes)):
        answered = ~np.isnan(codes[i])
        if answered.sum() < 5:
            assert pd.isna(out.at[i, "impulsivitet_score"]) and pd.isna(out.at[i, "impulsivitet"])
            continue
        categories = [4.0 - c for c in codes[i]]  # code 1 (stämmer mycket bra) is category 3
        theta = round(_warm_root(categories, [params[c] for c in items]), 3)
        assert out.at[i, "impulsivitet_score"] == pytest.approx(theta, abs=1e-4)
        level = int(theta >= cuts[0]) + int(theta >= cuts[1])
        assert out.at[i, "impulsivitet_level"] == level
        assert out.at[i, "impulsivitet"] == (level == 2)
    assert out.at[0, "impulsivitet_score"] == 4.0  # all "stämmer mycket bra": the range's end
    assert out.at[1, "impulsivitet_score"] == -4.0
    assert pd.isna(out.at[2, "impulsivitet_level"])


def test_protective_rasch_index_is_reversed_with_merged_categories(codebook, shared_data):
    """SkolaPositiv (our skolanknytning): positive statements (stämmer mycket bra = 0), f54a
    and f54b with categories 2 and 3 merged (RISE's 02b script: 3=2), theta reversed; the flag
    is "not låg skyddsnivå" (at or above the 15th-percentile cut)."""
    params = _rise_parameters(shared_data, "SkolaPositiv")
    cuts = _rise_cuts(shared_data, "protective", "SkolaPositiv")
    index = codebook.index("skolanknytning")
    items = [item.id for item in index.items]
    rng = np.random.default_rng(5)
    codes = rng.integers(1, 5, size=(300, len(items))).astype(float)
    codes[rng.random(codes.shape) < 0.2] = np.nan
    frame = pd.DataFrame({c: pd.array(codes[:, j], dtype="Int64") for j, c in enumerate(items)})
    out = score_index(frame, index)
    merged = {"f54a", "f54b"}
    for i in range(len(codes)):
        if (~np.isnan(codes[i])).sum() < 5:
            continue
        categories = [min(c - 1, 2) if item in merged else c - 1
                      for c, item in zip(codes[i], items, strict=True)]  # fmt: skip
        theta = -round(_warm_root(categories, [params[c] for c in items]), 3)
        assert out.at[i, "skolanknytning_score"] == pytest.approx(theta, abs=1e-4)
        level = int(theta >= cuts[0]) + int(theta >= cuts[1])
        assert out.at[i, "skolanknytning_level"] == level
        assert out.at[i, "skolanknytning"] == (level >= 1)


def test_codebook_carries_rise_parameters_and_2024_cut_points(codebook, shared_data):
    """Every Rasch item's thresholds are RISE's (2024-01-23) to four decimals, and the
    cut-points are the 2024-09-23 ones, not the 2023-05-07 ones."""
    sources = {"impulsivitet": "Utagerande", "skolmisslyckande": "SkolaNegativ",
               "bristande_tillsyn": "Parenting", "narsamhalle_brister": "Community",
               "skolanknytning": "SkolaPositiv", "valbefinnande": "Wellbeing",
               "psykisk_ohalsa": "PsykSomBesv"}  # fmt: skip
    for index_id, source in sources.items():
        index = codebook.index(index_id)
        assert index.source == source and index.min_answered == 5
        params = _rise_parameters(shared_data, source)
        assert sorted(item.id for item in index.items) == sorted(params)
        for item in index.items:
            assert item.thresholds == pytest.approx(params[item.id], abs=5e-5)
            assert max(c for c in item.categories if c is not None) == len(params[item.id])
        kind = "protective" if index.kind == "protective" else "risk"
        assert index.cut_points == _rise_cuts(shared_data, kind, source)
    old = pd.read_csv(shared_data / "stockholmsenkaten" / "rise_risk_cutpoints.csv")
    assert codebook.index("impulsivitet").cut_points[0] != pytest.approx(old["Utagerande"][0])


def test_an_answer_code_beyond_the_items_answers_is_a_clear_error(codebook):
    index = codebook.index("impulsivitet")
    frame = pd.DataFrame({item.id: pd.array([1, 5], dtype="Int64") for item in index.items})
    with pytest.raises(FouanalysError, match=r"f66c.*svarskoden 5 hos 1 svarande.*1–4"):
        score_index(frame, index)
