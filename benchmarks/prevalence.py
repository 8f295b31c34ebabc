"""Benchmark: prevalence + priorities tables from 1 000 000 respondents, against the
straightforward researcher's way, in the same run.

Run from the repository root::

    .venv/bin/python benchmarks/prevalence.py [--respondents 1000000] [--seed 1] [--repeat 3]

Data: a synthetic scores frame in the shape of ``fouanalys.scoring.score_indices`` (``ar``,
``kommunkod``, ``arskurs``, ``kon`` with ~3 % blank, one nullable boolean flag per codebook
index with ~4 % missing), drawn directly with numpy: four survey years, the eight municipalities
in unequal sizes, two grades, factor probabilities that differ by municipality and sex. The
``X_score``/``X_answered`` columns are left out: neither way reads them. (Drawing flags directly
keeps the benchmark about the tables; ``fouanalys.ingest.synthetic`` + scoring would only change how
the same frame is made.)

Ours: ``prevalence_table`` + ``priorities_table`` (each counts with ``np.bincount``, margins by
summing counts, vectorised Wilson/Newcombe, plus disclosure control).

Peer, the straightforward way: the flags melted to long form, then for each of the eight
groupings (municipality or region × grade or all × sex or all) a pandas
``groupby(...).apply`` that calls ``statsmodels.stats.proportion.proportion_confint(method=
"wilson")`` per group; then priorities by a Python loop over the municipality rows with a scalar
Newcombe interval (Wilson limits from statsmodels) against the rest of the region (region counts
minus the municipality's) and against the previous survey, and ranks by ``groupby().rank``. The
peer does no disclosure control, which only flatters it.

Peak memory is measured in fresh subprocesses: the whole process's peak resident set (``VmHWM``
from /proc, else ``ru_maxrss``; it includes Python, the libraries and the 1 M-row frame) and
``tracemalloc``'s peak for the allocations made by the call itself.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

from fouanalys.codebook import Codebook, load_codebook
from fouanalys.prevalence import ALL, prevalence_table, priorities_table

YEARS = (2018, 2020, 2022, 2024)
KEYS = ["municipality_code", "year", "grade", "sex", "factor"]


# --- data ----------------------------------------------------------------------------------------
def make_scores(n: int, seed: int, cb: Codebook) -> pd.DataFrame:
    """A scores frame of ``n`` synthetic respondents (see the module docstring)."""
    rng = np.random.default_rng(seed)
    munis = np.array(cb.municipality_codes)
    size = rng.uniform(0.4, 1.6, len(munis))
    m = rng.choice(len(munis), n, p=size / size.sum())
    sex = rng.choice(3, n, p=[0.485, 0.485, 0.03])
    frame = pd.DataFrame(
        {
            "ar": pd.array(rng.choice(YEARS, n), dtype="Int64"),
            "kommunkod": pd.array(munis[m], dtype="str"),
            "arskurs": pd.array(np.array(["Åk 9", "Gy 2"])[rng.integers(0, 2, n)], dtype="str"),
            "kon": pd.array(np.array(["Pojke", "Flicka", None], dtype=object)[sex], dtype="str"),
        }
    )
    for idx in cb.indices:
        base = rng.uniform(0.1, 0.35)
        p = base * rng.uniform(0.7, 1.4, len(munis))[m] * np.where(sex == 0, 1.15, 0.9)
        flag = pd.array(rng.random(n) < p, dtype="boolean")
        flag[rng.random(n) < 0.04] = pd.NA
        frame[idx.id] = flag
    return frame


# --- ours ----------------------------------------------------------------------------------------
def ours(scores: pd.DataFrame, cb: Codebook) -> tuple[pd.DataFrame, pd.DataFrame]:
    return prevalence_table(scores, cb), priorities_table(scores, cb)


# --- peer: the straightforward way ----------------------------------------------------------------
def _wilson_row(group: pd.DataFrame) -> pd.Series:
    from statsmodels.stats.proportion import proportion_confint

    n = int(group["flag"].count())
    cases = int(group["flag"].sum())
    low, high = proportion_confint(cases, n, alpha=0.05, method="wilson") if n else (np.nan,) * 2
    return pd.Series(
        {
            "n": n,
            "cases": cases,
            "share": cases / n if n else np.nan,
            "ci_low": low,
            "ci_high": high,
        }
    )


def peer_prevalence(scores: pd.DataFrame, cb: Codebook) -> pd.DataFrame:
    factors = [i.id for i in cb.indices]
    long = scores.melt(
        id_vars=["ar", "kommunkod", "arskurs", "kon"],
        value_vars=factors,
        var_name="factor",
        value_name="flag",
    )
    parts = []
    for by_muni in (True, False):
        for by_grade in (True, False):
            for by_sex in (True, False):
                keys = ["ar", "factor"]
                keys += ["kommunkod"] if by_muni else []
                keys += ["arskurs"] if by_grade else []
                keys += ["kon"] if by_sex else []
                res = long.groupby(keys).apply(_wilson_row).reset_index()
                if not by_muni:
                    res["kommunkod"] = cb.region.code
                if not by_grade:
                    res["arskurs"] = ALL
                if not by_sex:
                    res["kon"] = ALL
                parts.append(res)
    out = pd.concat(parts, ignore_index=True).rename(
        columns={"kommunkod": "municipality_code", "ar": "year", "arskurs": "grade", "kon": "sex"}
    )
    return out


def _newcombe_scalar(x1, n1, x2, n2) -> tuple[float, float]:
    from statsmodels.stats.proportion import proportion_confint

    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = proportion_confint(x1, n1, method="wilson")
    l2, u2 = proportion_confint(x2, n2, method="wilson")
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt(
        (u1 - p1) ** 2 + (p2 - l2) ** 2
    )


def peer_priorities(prev: pd.DataFrame, cb: Codebook) -> pd.DataFrame:
    kinds = {i.id: i.kind for i in cb.indices}
    lookup = {
        (r.municipality_code, r.year, r.grade, r.sex, r.factor): (r.n, r.cases)
        for r in prev.itertuples(index=False)
    }
    surveyed = {(k[0], k[1]) for k in lookup}  # (municipality, year) with respondents
    rows = []
    for r in prev.itertuples(index=False):
        if r.municipality_code == cb.region.code or kinds[r.factor] == "outcome":
            continue
        reg_n, reg_cases = lookup[(cb.region.code, r.year, r.grade, r.sex, r.factor)]
        rest_n, rest_cases = reg_n - r.n, reg_cases - r.cases
        low, high = _newcombe_scalar(r.cases, r.n, rest_cases, rest_n)
        diff = r.cases / r.n - rest_cases / rest_n
        earlier = [y for y in YEARS if y < r.year and (r.municipality_code, y) in surveyed]
        change = change_low = change_high = np.nan
        if earlier:
            n0, c0 = lookup[(r.municipality_code, earlier[-1], r.grade, r.sex, r.factor)]
            change = r.cases / r.n - c0 / n0
            change_low, change_high = _newcombe_scalar(r.cases, r.n, c0, n0)
        risk = kinds[r.factor] == "risk"
        rows.append(
            {
                "municipality_code": r.municipality_code,
                "year": r.year,
                "grade": r.grade,
                "sex": r.sex,
                "factor": r.factor,
                "share": r.share,
                "reference_share": rest_cases / rest_n,
                "difference": diff,
                "diff_low": low,
                "diff_high": high,
                "elevated": low > 0 if risk else high < 0,
                "key": diff if risk else -diff,
                "change": change,
                "change_low": change_low,
                "change_high": change_high,
            }
        )
    out = pd.DataFrame(rows)
    out["rank"] = out.groupby(KEYS[:4])["key"].rank(ascending=False, method="first")
    return out


def peer(scores: pd.DataFrame, cb: Codebook) -> tuple[pd.DataFrame, pd.DataFrame]:
    prev = peer_prevalence(scores, cb)
    return prev, peer_priorities(prev, cb)


# --- measuring -----------------------------------------------------------------------------------
def _peak_rss_mb() -> float:
    """This process's peak resident set size in MB.

    Linux's ``ru_maxrss`` survives ``execve`` (a child starts at its parent's high-water mark),
    so read the per-address-space ``VmHWM`` from /proc when there is one.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(which: str, n: int, seed: int) -> None:
    """Run one way in this (fresh) process and print its memory figures as JSON."""
    cb = load_codebook()
    scores = make_scores(n, seed, cb)
    before = _peak_rss_mb()
    tracemalloc.start()
    (ours if which == "ours" else peer)(scores, cb)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    after = _peak_rss_mb()
    print(
        json.dumps(
            {"rss_before_mb": before, "rss_peak_mb": after, "traced_peak_mb": traced_peak / 2**20}
        )
    )


def _memory(which: str, n: int, seed: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", which, "--respondents", str(n), "--seed", str(seed)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _agreement(ours_prev, ours_prio, peer_prev, peer_prio) -> tuple[float, float]:
    """Largest absolute differences in the published prevalence and priority intervals."""
    a = ours_prev[~ours_prev.suppressed].merge(peer_prev, on=KEYS, suffixes=("", "_peer"))
    d_prev = float(
        np.nanmax(
            np.abs(
                a[["ci_low", "ci_high"]].to_numpy(float)
                - a[["ci_low_peer", "ci_high_peer"]].to_numpy(float)
            )
        )
    )
    b = ours_prio[~ours_prio.suppressed].merge(peer_prio, on=KEYS, suffixes=("", "_peer"))
    cols = ["diff_low", "diff_high", "change_low", "change_high"]
    d_prio = float(
        np.nanmax(np.abs(b[cols].to_numpy(float) - b[[c + "_peer" for c in cols]].to_numpy(float)))
    )
    same_rank = (b["rank"].astype(float) == b["rank_peer"]).mean()
    assert len(a) > 0 and len(b) > 0 and same_rank > 0.999, same_rank
    return d_prev, d_prio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", choices=["ours", "peer"])
    parser.add_argument("--no-memory", action="store_true")
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.respondents, args.seed)
        return

    # Memory first, each way in a fresh process, while this one is still small.
    mem = (
        {}
        if args.no_memory
        else {w: _memory(w, args.respondents, args.seed) for w in ("ours", "peer")}
    )
    cb = load_codebook()
    t0 = time.perf_counter()
    scores = make_scores(args.respondents, args.seed, cb)
    print(
        f"{len(scores):,} respondents, {len(cb.indices)} indices, years {YEARS} "
        f"(data made in {time.perf_counter() - t0:.1f} s)"
    )

    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        prev_t0 = time.perf_counter()
        ours_prev = prevalence_table(scores, cb)
        prev_s = time.perf_counter() - prev_t0
        ours_prio = priorities_table(scores, cb)
        times.append((time.perf_counter() - t0, prev_s))
    ours_s = min(t for t, _ in times)
    ours_prev_s = min(p for _, p in times)

    t0 = time.perf_counter()
    peer_prev = peer_prevalence(scores, cb)
    peer_prev_s = time.perf_counter() - t0
    peer_prio = peer_priorities(peer_prev, cb)
    peer_s = time.perf_counter() - t0

    d_prev, d_prio = _agreement(ours_prev, ours_prio, peer_prev, peer_prio)
    print()
    print(f"{'':34}{'ours':>10}{'peer':>10}{'speed-up':>10}")
    print(
        f"{'prevalence_table (s)':34}{ours_prev_s:10.2f}{peer_prev_s:10.2f}"
        f"{peer_prev_s / ours_prev_s:9.0f}×"
    )
    print(f"{'prevalence + priorities (s)':34}{ours_s:10.2f}{peer_s:10.2f}{peer_s / ours_s:9.0f}×")
    if mem:
        for key, label in [
            ("rss_peak_mb", "peak RSS, whole process (MB)"),
            ("traced_peak_mb", "peak allocated by the call (MB)"),
        ]:
            print(f"{label:34}{mem['ours'][key]:10.0f}{mem['peer'][key]:10.0f}")
        print(
            f"{'peak RSS before the call (MB)':34}{mem['ours']['rss_before_mb']:10.0f}"
            f"{mem['peer']['rss_before_mb']:10.0f}"
        )
    print()
    print(
        f"ours: best of {args.repeat} runs ({', '.join(f'{t:.2f}' for t, _ in times)} s); "
        f"{len(ours_prev):,} prevalence rows ({int(ours_prev.suppressed.sum())} suppressed), "
        f"{len(ours_prio):,} priority rows"
    )
    print(
        f"agreement with the peer: max |Δ| prevalence CI {d_prev:.1e}, "
        f"difference/change CI {d_prio:.1e}; ranks identical"
    )


if __name__ == "__main__":
    main()
