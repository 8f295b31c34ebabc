"""Benchmark: scoring every codebook index for a county-sized survey (issue 19: 1 000 000
respondents in under 10 s and under 2 GB on 2 cores).

Run from the repository root::

    .venv/bin/python benchmarks/score_indices.py [--respondents 1000000] [--seed 1]

Data: a typed survey frame as the readers hand it to scoring (``ar``, ``kommunkod``,
``arskurs``, ``kon`` and every scored item as a nullable integer column, 5 % unanswered),
answers drawn uniformly over each item's codes. What is timed is
``fouanalys.scoring.score_indices``: every index of the codebook, the Rasch ones by Warm's
estimate (``pcm_wle``) and the others by mean or count. Peak memory is the process's peak
resident set (``ru_maxrss``) after scoring, and, separately, the peak of Python allocations
during scoring (``tracemalloc``), so the frame itself is not counted twice.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd

from fouanalys.codebook import load_codebook
from fouanalys.scoring import score_indices

#: Issue 19's targets.
TARGET_SECONDS, TARGET_GB = 10.0, 2.0


def survey(n: int, seed: int) -> pd.DataFrame:
    cb = load_codebook()
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "ar": np.full(n, 2024, dtype=np.int64),
            "kommunkod": pd.Categorical(rng.choice(cb.municipality_codes, n)),
            "arskurs": pd.Categorical(rng.choice([g.id for g in cb.survey.grades], n)),
            "kon": pd.Categorical(rng.choice([s.id for s in cb.survey.sexes], n)),
        }
    )
    for item, levels in cb.item_levels().items():
        codes = rng.integers(1, levels + 1, n).astype(np.int8)
        frame[item] = pd.arrays.IntegerArray(codes, rng.random(n) < 0.05)
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--respondents", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    cb = load_codebook()
    frame = survey(args.respondents, args.seed)
    rasch = sum(i.scoring == "rasch" for i in cb.indices)
    people = f"{args.respondents:,}".replace(",", " ")
    print(f"{people} svarande, {len(cb.indices)} index ({rasch} Rasch), "
          f"{len(cb.item_levels())} frågor")  # fmt: skip
    tracemalloc.start()
    start = time.perf_counter()
    scores = score_indices(frame, cb)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB -> GiB
    print(f"score_indices: {seconds:.2f} s (mål under {TARGET_SECONDS:g} s)")
    print(f"minne under poängsättningen (tracemalloc, topp): {peak / 1024**3:.2f} GB")
    print(f"processens högsta minne (ru_maxrss, med data): {rss:.2f} GB "
          f"(mål under {TARGET_GB:g} GB)")  # fmt: skip
    print(
        f"{len(scores.columns)} kolumner; andel utan värde (för få svar), första Rasch-index: "
        f"{scores[next(i.id for i in cb.indices if i.scoring == 'rasch')].isna().mean():.4f}"
    )
    ok = seconds < TARGET_SECONDS and rss < TARGET_GB
    print("Målet nås." if ok else "Målet nås inte.")


if __name__ == "__main__":
    main()
