"""Benchmark: the linear-threshold cascade against NDlib's ThresholdModel, same graph, same run.

Run from the repository root::

    .venv/bin/python benchmarks/network_vs_ndlib.py [--nodes 20000] [--seed 1] [--repeat 5]
        [--ndlib-repeat 1] [--clock wall|cpu]

Graph: a clustered stochastic block model (``fouanalys.network.block_model_adjacency``, turned
into a networkx graph with ``networkx.from_scipy_sparse_array``): ``--blocks`` equal blocks,
mean degree ``--degree`` of which four fifths inside the own block. Seeds: ``--seed-share`` of
the nodes, drawn once. Thresholds: one uniform draw ``u`` per node, scaled to each range of
``--thresholds`` (``lo + (hi - lo) * u``); a tenth of the nodes get their threshold rounded up to
a share they can reach exactly (``ceil(t * degree) / degree``), where a float slip would show.
Each range is one scenario on the same graph and seeds: how far and for how many rounds the
cascade runs decides how long NDlib takes, so the ratio is given per scenario.

Ours, best of ``--repeat`` each: ``threshold_cascade(graph, thresholds, seeds)``, the whole
public call from the networkx graph, first call on the graph (the graph's ``__networkx_cache__``
emptied before each repeat, so every repeat reads networkx's dictionaries, which is most of the
time of a cascade that spreads); the same call again on the unchanged graph ("again": a graph
read whole is kept in its cache); ``threshold_cascade(matrix, thresholds, seeds)``, the same call
given the sparse matrix the graph was made from (``block_model_adjacency``'s, nodes numbered by
row, as ``from_scipy_sparse_array`` numbers them); and, apart, the engine alone
(``cascade_rounds`` on arrays built once), as a removal experiment uses it.

NDlib (6.0.1): ``ThresholdModel`` configured with every node's threshold and the seeds as
``Infected``, then ``iteration()`` until one changes nothing; timed from the graph to the
final state (model, configuration and iterations), best of ``--ndlib-repeat`` (default once; on
a shared machine a single long run is easily slowed, which flatters the ratio). Both must agree
on the final active set and on the round in which every node activated; the script exits 1 if
they do not. ``--clock cpu`` times both with the thread's CPU time instead of the wall clock,
which a loaded machine disturbs less.
"""

from __future__ import annotations

import argparse
import sys
import time

import ndlib.models.epidemics as ep
import ndlib.models.ModelConfig as mc
import networkx as nx
import numpy as np
import scipy.sparse as sp

from fouanalys.network import (
    adjacency_matrix,
    block_model_adjacency,
    cascade_rounds,
    threshold_cascade,
)

#: The issue's speed target: this many times faster than NDlib.
TARGET = 20
#: What a timing reads: wall-clock time, or the CPU time of this thread (time it waits for a
#: core on a shared machine not counted, for NDlib's long runs and our short ones alike).
CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}


# --- data ----------------------------------------------------------------------------------------
def make_graph(
    nodes: int, blocks: int, degree: float, rng: np.random.Generator
) -> tuple[sp.csr_array, nx.Graph]:
    """A clustered block model (``blocks`` equal blocks, mean degree ``degree``, 4/5 inside):
    the sparse matrix drawn and the networkx graph made from it."""
    sizes = np.full(blocks, nodes // blocks)
    sizes[: nodes % blocks] += 1
    size = nodes / blocks
    p = np.full((blocks, blocks), 0.2 * degree / (nodes - size))
    np.fill_diagonal(p, 0.8 * degree / (size - 1))
    matrix = block_model_adjacency(sizes, p, rng)
    return matrix, nx.from_scipy_sparse_array(matrix)


def make_thresholds(
    graph: nx.Graph, low: float, high: float, u: np.ndarray, exact: np.ndarray
) -> dict:
    """``low + (high - low) * u``; where ``exact``, rounded up to a reachable share k/degree."""
    degree = np.array([graph.degree(node) for node in graph.nodes])
    theta = low + (high - low) * u
    snap = exact & (degree > 0)
    theta[snap] = np.ceil(theta[snap] * degree[snap]) / degree[snap]
    return dict(zip(graph.nodes, theta.tolist(), strict=True))


# --- the two ways --------------------------------------------------------------------------------
def ndlib_rounds(
    graph: nx.Graph, thresholds: dict, seeds: list, clock=time.perf_counter
) -> tuple[dict, float, float]:
    """NDlib's {node: round}, its set-up time and its iteration time (seconds)."""
    t0 = clock()
    model = ep.ThresholdModel(graph)
    config = mc.Configuration()
    config.add_model_initial_configuration("Infected", seeds)
    for node in graph.nodes:
        config.add_node_configuration("threshold", node, thresholds[node])
    model.set_initial_status(config)
    t1 = clock()
    first = model.iteration()
    rounds = {node: 0 for node, status in first["status"].items() if status == 1}
    step = 0
    while True:
        step += 1
        changed = model.iteration()["status"]
        if not changed:
            break
        rounds.update(dict.fromkeys(changed, step))
    t2 = clock()
    return rounds, t1 - t0, t2 - t1


def best_of(repeat: int, call, before=None, clock=time.perf_counter) -> tuple[float, object]:
    """The shortest of ``repeat`` timed calls and the last result; ``before`` runs untimed."""
    times, result = [], None
    for _ in range(repeat):
        if before is not None:
            before()
        t0 = clock()
        result = call()
        times.append(clock() - t0)
    return min(times), result


def verdict(name: str, ratios: list[float]) -> str:
    """One line: whether ``name`` is at least TARGET× NDlib in every scenario."""
    met = sum(ratio >= TARGET for ratio in ratios)
    spread = f"{min(ratios):.0f}–{max(ratios):.0f}" if len(ratios) > 1 else f"{ratios[0]:.0f}"
    word = "MET" if met == len(ratios) else "NOT MET"
    return (
        f"{word:>7}: ≥ {TARGET}× NDlib {name}: in {met} of {len(ratios)} scenarios "
        f"(speed-up {spread}×)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--ndlib-repeat", type=int, default=1)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall")
    parser.add_argument("--blocks", type=int, default=40)
    parser.add_argument("--degree", type=float, default=10.0)
    parser.add_argument("--seed-share", type=float, default=0.01)
    parser.add_argument(
        "--thresholds",
        default="0.08-0.30,0.10-0.30,0.12-0.30,0.14-0.30",
        help="comma-separated threshold ranges lo-hi, one scenario each",
    )
    args = parser.parse_args()
    clock = CLOCKS[args.clock]
    ranges = [tuple(float(x) for x in part.split("-")) for part in args.thresholds.split(",")]

    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    drawn, graph = make_graph(args.nodes, args.blocks, args.degree, rng)
    nodes = list(graph.nodes)
    seeds = rng.choice(nodes, size=max(1, round(args.seed_share * len(nodes))), replace=False)
    seeds = seeds.tolist()
    u = rng.random(len(nodes))
    exact = rng.random(len(nodes)) < 0.1
    print(
        f"{graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} edges (mean degree "
        f"{2 * graph.number_of_edges() / graph.number_of_nodes():.1f}), {args.blocks} blocks, "
        f"{len(seeds)} seeds (graph made in {time.perf_counter() - t0:.1f} s)"
    )
    matrix, order = adjacency_matrix(graph)
    seed_mask = np.isin(np.asarray(order), seeds)

    print()
    header = (
        f"{'thresholds':>12}{'active':>8}{'rounds':>8}{'NDlib (s)':>11}{'graph (s)':>11}"
        f"{'ratio':>7}{'again (s)':>11}{'ratio':>7}{'matrix (s)':>12}{'ratio':>7}"
        f"{'engine (s)':>12}{'ratio':>7}"
    )
    print(header)
    ratios, again_ratios, matrix_ratios, failed = [], [], [], False
    for low, high in ranges:
        thresholds = make_thresholds(graph, low, high, u, exact)
        theta = np.array([thresholds[node] for node in order])
        ours_s, ours = best_of(
            args.repeat,
            lambda t=thresholds: threshold_cascade(graph, t, seeds),
            graph.__networkx_cache__.clear,  # a first call: nothing kept from the last one
            clock,
        )
        threshold_cascade(graph, thresholds, seeds)  # a call that may keep its read
        again_s, again = best_of(
            args.repeat, lambda t=thresholds: threshold_cascade(graph, t, seeds), clock=clock
        )
        drawn_s, from_matrix = best_of(
            args.repeat, lambda t=thresholds: threshold_cascade(drawn, t, seeds), clock=clock
        )
        engine_s, rounds = best_of(
            args.repeat, lambda th=theta: cascade_rounds(matrix, th, seed_mask), clock=clock
        )
        ndlib_s = np.inf
        for _ in range(args.ndlib_repeat):
            theirs, setup_s, iterate_s = ndlib_rounds(graph, thresholds, seeds, clock)
            ndlib_s = min(ndlib_s, setup_s + iterate_s)
        engine = {order[i]: int(r) for i, r in enumerate(rounds) if r >= 0}
        same = set(ours) == set(theirs) and ours == theirs == again == from_matrix == engine
        failed |= not same
        ratios.append(ndlib_s / ours_s)
        again_ratios.append(ndlib_s / again_s)
        matrix_ratios.append(ndlib_s / drawn_s)
        print(
            f"{f'{low:.2f}–{high:.2f}':>12}{len(ours):8,d}{max(ours.values()):8d}{ndlib_s:11.2f}"
            f"{ours_s:11.4f}{ndlib_s / ours_s:6.0f}×{again_s:11.4f}{ndlib_s / again_s:6.0f}×"
            f"{drawn_s:12.4f}{ndlib_s / drawn_s:6.0f}×{engine_s:12.4f}{ndlib_s / engine_s:6.0f}×"
            + ("" if same else "   DIFFERENT FROM NDlib")
        )
    print()
    print(
        f"threshold_cascade from the networkx graph, first call (graph) and again on the "
        f"unchanged graph (again), and from the matrix it was made from (matrix), best of "
        f"{args.repeat}; engine: cascade_rounds on arrays built once; NDlib: set-up and "
        "iterations, "
        + ("once" if args.ndlib_repeat == 1 else f"best of {args.ndlib_repeat}")
        + f"; {'CPU' if args.clock == 'cpu' else 'wall-clock'} time"
    )
    if failed:
        print("FAILED: the final state differs from NDlib's", file=sys.stderr)
        sys.exit(1)
    print(
        "same final active set and same activation round for every node as NDlib in every scenario"
    )
    print(verdict("from the graph (first call)", ratios))
    print(verdict("from the graph (again, read kept)", again_ratios))
    print(verdict("from the matrix", matrix_ratios))


if __name__ == "__main__":
    main()
