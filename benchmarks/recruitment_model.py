"""Benchmark: one run of the recruitment model with 100 000 young people over 120 months.

Run from the repository root::

    .venv/bin/python benchmarks/recruitment_model.py [--people 100000] [--months 120] [--repeat 3]

Inputs: the embedded example's tables for one municipality (risk profile from its survey,
levers from its inventory), read with the package's readers, with the population aged 12–20
scaled up to ``--people`` in the same age and sex proportions. Times the population and network
draw (:func:`fouanalys.recruitment.build_population`) and the simulation
(:func:`fouanalys.recruitment.simulate`) separately, and the five scenarios of chapter 05 in one
stacked simulation (:func:`fouanalys.recruitment.simulate_scenarios`); best of ``--repeat``.
Target: one run (network and simulation together) under 5 s. Exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from fouanalys import config
from fouanalys import recruitment as rec
from fouanalys.codebook import load_codebook
from fouanalys.ingest import readers
from fouanalys.ingest.processing import derived_tables

TARGET_SECONDS = 5.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--municipality", default="0123")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    cb = load_codebook()
    t0 = time.perf_counter()
    frames = {
        name: readers.to_typed(
            readers.read_raw(readers.find_input(config.EXAMPLE_DATA_DIR, name), name, cb), name, cb
        )
        for name in ("enkat", "insatser", "befolkning")
    }
    tables = frames | derived_tables(frames, cb)
    inputs = rec.model_inputs(tables, args.municipality, cb)
    counts = np.rint(inputs.counts * args.people / inputs.counts.sum()).astype(np.int64)
    params = rec.model_parameters({"manader": args.months, "utfall_manader": min(60, args.months)})
    print(
        f"inputs from the example data for {cb.municipality_name(args.municipality)} in "
        f"{time.perf_counter() - t0:.1f} s; {counts.sum():,} young people, {args.months} months"
    )

    scaled = rec.ModelInputs(args.municipality, inputs.profile, counts, inputs.levers)
    lever_sets = [rec.scenario_levers(scaled, sc, params) for sc in rec.SCENARIOS]
    builds, sims, stacked = [], [], []
    for r in range(args.repeat):
        t = time.perf_counter()
        pop = rec.build_population(
            counts, inputs.profile, params, np.random.default_rng([args.seed, r])
        )
        builds.append(time.perf_counter() - t)
        t = time.perf_counter()
        run = rec.simulate(
            pop, inputs.profile, inputs.levers, params, np.random.default_rng([args.seed, r, 1])
        )
        sims.append(time.perf_counter() - t)
        t = time.perf_counter()
        rec.simulate_scenarios(
            pop, inputs.profile, lever_sets, params, np.random.default_rng([args.seed, r, 1])
        )
        stacked.append(time.perf_counter() - t)
    total = [b + s for b, s in zip(builds, sims, strict=True)]
    edges = pop.adjacency.nnz // 2
    print(f"network: {edges:,} edges (mean degree {2 * edges / len(pop.sex):.1f})")
    print(
        f"last run: {run.recruited:,} recruited, {run.exits:,} exits, {run.harmed:,} harmed, "
        f"{run.counts[-1, rec.IN_NETWORK]:,} in the network at the end"
    )
    print(f"{'':30}{'best (s)':>10}{'all runs (s)':>30}")
    for name, times in [
        ("population + network", builds),
        ("simulation", sims),
        ("one run, together", total),
        (f"{len(lever_sets)} scenarios in one simulation", stacked),
    ]:
        print(f"{name:30}{min(times):>10.2f}{', '.join(f'{x:.2f}' for x in times):>30}")
    ok = min(total) < TARGET_SECONDS
    print(f"target: one run under {TARGET_SECONDS:g} s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
