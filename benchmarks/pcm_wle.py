"""Benchmark: Warm's weighted likelihood estimates under the partial credit model for a survey
index, ``fouanalys.scoring.pcm_wle`` against a loop that solves one respondent at a time with
scipy, in the same run (issue 19: at least 100× faster).

Run from the repository root::

    .venv/bin/python benchmarks/pcm_wle.py [--respondents 20000] [--seed 1]

Data: RISE's published item thresholds of the index Utagerande (9 items, 3 thresholds each;
``../shared/data/did/item_parameters.csv``, CC BY 4.0) when that file is beside the checkout,
else the same shape drawn at random; responses drawn uniformly over each item's categories with
10 % unanswered, theta range (−4, 4).

Peer, the straightforward way: for each respondent, ``scipy.optimize.brentq`` on Warm's
estimating equation Σ(x − E) + J/(2I) = 0 within the range (numpy over that respondent's items,
the range's end when the root lies beyond it), as ``catR::thetaEst`` is called once per
respondent. Ours solves every distinct pattern of answered items and raw score together.
Both results are compared (largest absolute difference).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from fouanalys.scoring import pcm_wle

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "did" / "item_parameters.csv"


def thresholds(rng: np.random.Generator) -> tuple[np.ndarray, str]:
    if SHARED.is_file():
        import pandas as pd

        table = pd.read_csv(SHARED)
        rows = table.loc[table["Index"] == "Utagerande"]
        return rows[[f"Threshold.{i}" for i in range(1, 5)]].to_numpy(float), "RISE, Utagerande"
    return np.sort(rng.normal(0, 1.2, (9, 3)), axis=1), "slumpade (RISE:s fil saknas)"


def peer(x: np.ndarray, delta: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    from scipy.optimize import brentq

    out = np.full(len(x), np.nan)
    for i, row in enumerate(x):
        answered = ~np.isnan(row)
        if not answered.any():
            continue
        d = delta[answered]
        top = (~np.isnan(d)).sum(axis=1)
        cum = np.concatenate([np.zeros((len(d), 1)), np.cumsum(np.nan_to_num(d), axis=1)], 1)
        k = np.arange(cum.shape[1], dtype=float)
        absent = np.where(k[None, :] <= top[:, None], 0.0, -np.inf)
        score = row[answered].sum()

        def f(theta: float, cum=cum, k=k, absent=absent, score=score) -> float:
            logits = theta * k - cum + absent
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            mean = p @ k
            c = k - mean[:, None]
            info = (p * c**2).sum()
            return score - mean.sum() + (p * c**3).sum() / (2 * info)

        lo, hi = f(bounds[0]), f(bounds[1])
        if lo <= 0:
            out[i] = bounds[0]
        elif hi >= 0:
            out[i] = bounds[1]
        else:
            out[i] = brentq(f, *bounds, xtol=1e-10)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--respondents", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    delta, source = thresholds(rng)
    top = (~np.isnan(delta)).sum(axis=1)
    x = np.floor(rng.random((args.respondents, len(delta))) * (top + 1))
    x[rng.random(x.shape) < 0.10] = np.nan
    bounds = (-4.0, 4.0)

    start = time.perf_counter()
    ours = pcm_wle(x, delta, theta_range=bounds)
    t_ours = time.perf_counter() - start
    start = time.perf_counter()
    theirs = peer(x, delta, bounds)
    t_peer = time.perf_counter() - start

    print(f"Trösklar: {source}; {args.respondents} svarande, {len(delta)} frågor")
    print(f"fouanalys.scoring.pcm_wle: {t_ours:8.3f} s")
    print(f"scipy brentq per svarande: {t_peer:8.3f} s")
    print(f"snabbare: {t_peer / t_ours:6.0f}× (mål: minst 100×)")
    print(f"största skillnad i theta: {np.nanmax(np.abs(ours - theirs)):.2e}")


if __name__ == "__main__":
    main()
