"""Tests for fouanalys.network: the threshold cascade and the removal experiment.

The cascade is checked against hand-worked small graphs (a path, a star, cliques at thresholds
that need the exact share, isolated nodes) and against NDlib's ``ThresholdModel`` — an
independent, node-by-node Python implementation — on random graphs of a few hundred to 2 000
nodes and on many tiny ones (directed, multigraphs, self-loops), final state and every round.
"""

from __future__ import annotations

import math
import re
from unittest import mock

import ndlib.models.epidemics as ep
import ndlib.models.ModelConfig as mc
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fouanalys import network
from fouanalys.chapters.natverk import removal_sentence
from fouanalys.exceptions import FouanalysError, NetworkModelError
from fouanalys.network import (
    CENTRALITIES,
    REMOVAL_COLUMNS,
    SUMMARY_COLUMNS,
    adjacency_matrix,
    block_model_adjacency,
    cascade_rounds,
    removal_experiment,
    removal_summary,
    threshold_cascade,
)

# --- the reference: NDlib --------------------------------------------------------------------


def ndlib_rounds(graph: nx.Graph, thresholds: dict, seeds: list) -> dict:
    """{node: round} from NDlib's ThresholdModel run until an iteration changes nothing."""
    model = ep.ThresholdModel(graph)
    config = mc.Configuration()
    config.add_model_initial_configuration("Infected", list(seeds))
    for node in graph.nodes:
        config.add_node_configuration("threshold", node, thresholds[node])
    model.set_initial_status(config)
    first = model.iteration()
    rounds = {node: 0 for node, status in first["status"].items() if status == 1}
    step = 0
    while True:
        step += 1
        changed = model.iteration()["status"]
        if not changed:
            return rounds
        assert set(changed.values()) == {1}  # nodes only ever activate
        rounds.update(dict.fromkeys(changed, step))


def mixed_thresholds(graph: nx.Graph, rng: np.random.Generator) -> dict:
    """Thresholds 0, 1, k/degree (exactly on a share a node can reach) and uniform draws."""
    neighbours = adjacency_matrix(graph)[0]
    degree = np.diff(neighbours.indptr)
    kind = rng.choice(4, size=len(degree), p=[0.05, 0.05, 0.3, 0.6])
    share = rng.integers(0, degree + 1) / np.maximum(degree, 1)
    values = np.select(
        [kind == 0, kind == 1, kind == 2], [0.0, 1.0, share], rng.uniform(0.05, 0.45, len(degree))
    )
    return dict(zip(graph.nodes, values.tolist(), strict=True))


def assert_same_as_ndlib(graph: nx.Graph, thresholds: dict, seeds: list) -> dict:
    ours = threshold_cascade(graph, thresholds, seeds)
    theirs = ndlib_rounds(graph, thresholds, seeds)
    assert set(ours) == set(theirs)  # the final state
    assert ours == theirs  # and the round in which each node activated
    return ours


# --- hand-worked graphs ----------------------------------------------------------------------


def test_path_spreads_one_step_a_round():
    path = nx.path_graph(5)
    assert threshold_cascade(path, 0.5, [0]) == {0: 0, 1: 1, 2: 2, 3: 3, 4: 4}


def test_path_stops_at_a_node_whose_share_falls_short():
    path = nx.path_graph(5)
    thresholds = {node: 0.5 for node in path}
    thresholds[2] = 0.6  # two neighbours, one active: 0.5 < 0.6
    assert threshold_cascade(path, thresholds, [0]) == {0: 0, 1: 1}


def test_result_is_ordered_by_round():
    path = nx.path_graph(5)
    assert list(threshold_cascade(path, 0.5, [4, 0])) == [0, 4, 1, 3, 2]


def test_star_from_the_centre_reaches_every_leaf_in_round_one():
    star = nx.star_graph(6)  # centre 0, leaves 1..6
    assert threshold_cascade(star, 1.0, [0]) == {0: 0, **dict.fromkeys(range(1, 7), 1)}


@pytest.mark.parametrize("leaves", [3, 6, 7, 10])
def test_star_from_a_leaf_needs_the_centre_at_exactly_one_over_n(leaves):
    star = nx.star_graph(leaves)
    thresholds = {node: 1.0 for node in star}
    thresholds[0] = 1 / leaves  # one active neighbour of n: share 1/n, exactly
    expected = {1: 0, 0: 1, **dict.fromkeys(range(2, leaves + 1), 2)}
    assert threshold_cascade(star, thresholds, [1]) == expected
    thresholds[0] = math.nextafter(1 / leaves, 1.0)
    assert threshold_cascade(star, thresholds, [1]) == {1: 0}


@pytest.mark.parametrize(("size", "seeds", "share"), [(4, 1, 1 / 3), (4, 2, 2 / 3), (7, 4, 2 / 3)])
def test_clique_at_a_threshold_of_exactly_the_share(size, seeds, share):
    clique = nx.complete_graph(size)
    everyone = {n: (0 if n < seeds else 1) for n in clique}
    assert threshold_cascade(clique, share, list(range(seeds))) == everyone
    assert threshold_cascade(clique, math.nextafter(share, 1.0), list(range(seeds))) == {
        n: 0 for n in range(seeds)
    }


def test_clique_share_is_an_integer_count_over_the_degree():
    """3 of 10 neighbours is 3/10 = 0.3, not 0.1 + 0.1 + 0.1 = 0.30000000000000004.

    Summing a row-normalised matrix would activate nobody at the threshold 0.3 and everybody at
    0.1 + 0.1 + 0.1; NDlib (and the contract) divide the count by the degree.
    """
    clique = nx.complete_graph(11)  # 10 neighbours each
    seeds = [0, 1, 2]
    summed = 0.1 + 0.1 + 0.1
    assert summed != 0.3
    assert len(threshold_cascade(clique, 0.3, seeds)) == 11
    assert threshold_cascade(clique, summed, seeds) == {0: 0, 1: 0, 2: 0}
    assert_same_as_ndlib(clique, dict.fromkeys(clique, 0.3), seeds)
    assert_same_as_ndlib(clique, dict.fromkeys(clique, summed), seeds)


def test_isolated_nodes_never_activate_even_at_threshold_zero():
    graph = nx.path_graph(3)
    graph.add_nodes_from(["ensam", "också ensam"])
    result = threshold_cascade(graph, 0.0, [0])
    assert result == {0: 0, 1: 1, 2: 1}  # threshold 0 with neighbours: round 1
    assert "ensam" not in result and "också ensam" not in result


def test_an_isolated_seed_stays_active_and_spreads_nowhere():
    graph = nx.path_graph(3)
    graph.add_node("ensam")
    assert threshold_cascade(graph, 0.5, ["ensam"]) == {"ensam": 0}


def test_threshold_zero_fires_in_round_one_without_any_seed():
    path = nx.path_graph(4)
    thresholds = {0: 0.0, 1: 0.5, 2: 0.5, 3: 1.0}
    assert threshold_cascade(path, thresholds, []) == {0: 1, 1: 2, 2: 3, 3: 4}
    assert_same_as_ndlib(path, thresholds, [])


def test_directed_graph_listens_to_predecessors():
    chain = nx.DiGraph([(0, 1), (1, 2), (3, 2)])  # 2 hears 1 and 3; nobody hears 2
    assert threshold_cascade(chain, 0.5, [0]) == {0: 0, 1: 1, 2: 2}
    assert threshold_cascade(chain, 0.6, [0]) == {0: 0, 1: 1}
    assert threshold_cascade(chain, 0.5, [2]) == {2: 0}


def test_parallel_edges_count_once_and_a_self_loop_is_a_neighbour():
    multi = nx.MultiGraph([(0, 1), (0, 1), (0, 1), (1, 2)])
    assert threshold_cascade(multi, 0.5, [0]) == {0: 0, 1: 1, 2: 2}  # 1 has 2 neighbours
    loop = nx.Graph([(0, 1), (1, 1)])  # 1's neighbours: 0 and itself
    assert threshold_cascade(loop, 0.5, [0]) == {0: 0, 1: 1}
    assert threshold_cascade(loop, 0.6, [0]) == {0: 0}
    assert_same_as_ndlib(loop, {0: 0.6, 1: 0.6}, [0])


def test_node_labels_of_any_hashable_kind():
    graph = nx.Graph([("Ali", ("B", 2)), (("B", 2), 3.5)])
    assert threshold_cascade(graph, 0.5, ["Ali"]) == {"Ali": 0, ("B", 2): 1, 3.5: 2}
    shuffled = nx.Graph()
    shuffled.add_nodes_from([2, 0, 1])  # integer labels, not in position order
    shuffled.add_edges_from([(0, 1), (1, 2)])
    assert threshold_cascade(shuffled, 0.5, [0]) == {0: 0, 1: 1, 2: 2}


def test_thresholds_may_be_a_series():
    path = nx.path_graph(4)
    thresholds = pd.Series({0: 0.5, 1: 0.5, 2: 0.6, 3: 0.5})
    assert threshold_cascade(path, thresholds, [0]) == {0: 0, 1: 1}


# --- the array core ----------------------------------------------------------------------------


def test_adjacency_matrix_rows_list_neighbours_or_predecessors():
    directed = nx.MultiDiGraph([("a", "b"), ("a", "b"), ("c", "b"), ("b", "b")])
    matrix, nodes = adjacency_matrix(directed)
    assert nodes == ["a", "b", "c"]
    assert matrix.toarray().tolist() == [[0, 0, 0], [1, 1, 1], [0, 0, 0]]
    undirected, _ = adjacency_matrix(nx.Graph([(0, 1), (1, 2), (2, 2)]))
    assert undirected.toarray().tolist() == [[0, 1, 0], [1, 0, 1], [0, 1, 1]]


def test_cascade_rounds_on_arrays_matches_the_graph_version():
    rng = np.random.default_rng(5)
    graph = nx.gnp_random_graph(300, 0.02, seed=5)
    thresholds = mixed_thresholds(graph, rng)
    seeds = [0, 1, 2, 3, 4, 5]
    matrix, nodes = adjacency_matrix(graph)
    theta = np.array([thresholds[n] for n in nodes])
    mask = np.isin(nodes, seeds)
    rounds = cascade_rounds(matrix, theta, mask)
    expected = threshold_cascade(graph, thresholds, seeds)
    assert {nodes[i]: int(r) for i, r in enumerate(rounds) if r >= 0} == expected
    assert (rounds >= -1).all() and rounds.dtype.kind == "i"
    # Weights and a dense matrix: any non-zero entry is one neighbour.
    weighted = matrix.toarray() * rng.integers(1, 5, matrix.shape)
    assert np.array_equal(cascade_rounds(weighted, theta, mask), rounds)


def test_cascade_rounds_checks_its_arrays():
    matrix = sp.csr_array(np.array([[0, 1], [1, 0]]))
    with pytest.raises(NetworkModelError, match="kvadratisk"):
        cascade_rounds(sp.csr_array(np.ones((2, 3))), np.zeros(2), np.zeros(2, bool))
    with pytest.raises(NetworkModelError, match="formerna"):
        cascade_rounds(matrix, np.zeros(3), np.zeros(2, bool))
    with pytest.raises(NetworkModelError, match="boolesk"):
        cascade_rounds(matrix, np.zeros(2), np.array([1, 0]))
    with pytest.raises(NetworkModelError, match=r"plats 1 är 1\.5;"):
        cascade_rounds(matrix, np.array([0.5, 1.5]), np.zeros(2, bool))
    with pytest.raises(NetworkModelError, match=r"plats 0 är nan \(och 1 nod till\)"):
        cascade_rounds(matrix, np.array([np.nan, -1.0]), np.zeros(2, bool))


# --- against NDlib -----------------------------------------------------------------------------


def _block_graph(rng: np.random.Generator) -> nx.Graph:
    sizes = [300, 250, 200, 250]
    p = np.full((4, 4), 0.002)
    np.fill_diagonal(p, 0.03)
    return nx.from_scipy_sparse_array(block_model_adjacency(sizes, p, rng))


def _with_isolated(rng: np.random.Generator) -> nx.Graph:
    graph = nx.gnp_random_graph(400, 0.012, seed=int(rng.integers(1 << 30)))
    graph.add_nodes_from(range(400, 440))  # isolated, some of them seeds below
    return graph


GRAPHS = {
    "erdos_renyi_2000": lambda rng: nx.gnp_random_graph(
        2000, 0.004, seed=int(rng.integers(1 << 30))
    ),
    "block_model_1000": _block_graph,
    "directed_800": lambda rng: nx.gnp_random_graph(
        800, 0.008, seed=int(rng.integers(1 << 30)), directed=True
    ),
    "isolated_nodes_440": _with_isolated,
    "clustered_small_world_600": lambda rng: nx.connected_watts_strogatz_graph(
        600, 8, 0.1, seed=int(rng.integers(1 << 30))
    ),
}


@pytest.mark.parametrize("name", GRAPHS)
@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("read_all", [network.READ_ALL_SHARE, 0.0, 1.0])
def test_same_as_ndlib_on_random_graphs(name, seed, read_all, monkeypatch):
    """Also when the graph is read whole at once (0.0) or row by row to the end (1.0)."""
    monkeypatch.setattr(network, "READ_ALL_SHARE", read_all)
    rng = np.random.default_rng([seed, len(name)])
    graph = GRAPHS[name](rng)
    thresholds = mixed_thresholds(graph, rng)
    nodes = list(graph.nodes)
    seeds = rng.choice(nodes, size=max(3, len(nodes) // 50), replace=False).tolist()
    if name == "isolated_nodes_440":
        seeds += [400, 401]
    ours = assert_same_as_ndlib(graph, thresholds, seeds)
    # The check is not vacuous: something spread, over more than one round, but not everywhere.
    assert len(ours) > len(set(seeds)) and max(ours.values()) >= 2
    # Given the graph's neighbour matrix and node list instead, the same rounds.
    matrix, nodes = adjacency_matrix(graph)
    assert threshold_cascade(matrix, thresholds, seeds, nodes) == ours


@st.composite
def tiny_cases(draw):
    n = draw(st.integers(1, 9))
    directed = draw(st.booleans())
    multi = draw(st.booleans())
    graph = {
        (False, False): nx.Graph,
        (True, False): nx.DiGraph,
        (False, True): nx.MultiGraph,
        (True, True): nx.MultiDiGraph,
    }[directed, multi]()
    graph.add_nodes_from(range(n))
    pair = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
    graph.add_edges_from(draw(st.lists(pair, min_size=1, max_size=3 * n)))
    share = st.integers(1, 4).flatmap(lambda d: st.integers(0, d).map(lambda k: k / d))
    value = st.one_of(st.sampled_from([0.0, 1.0]), share, st.floats(0, 1))
    thresholds = {node: draw(value) for node in graph.nodes}
    seeds = draw(st.lists(st.integers(0, n - 1), max_size=n, unique=True))
    return graph, thresholds, seeds


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_cases())
def test_same_as_ndlib_on_tiny_graphs(case):
    graph, thresholds, seeds = case
    ours = assert_same_as_ndlib(graph, thresholds, seeds)
    assert threshold_cascade(graph, thresholds, seeds) == ours  # kept, if it was read whole
    graph.__networkx_cache__.clear()
    with mock.patch.object(network, "READ_ALL_SHARE", 1.0):  # row by row to the end
        assert threshold_cascade(graph, thresholds, seeds) == ours
    matrix, nodes = adjacency_matrix(graph)
    assert threshold_cascade(matrix, thresholds, seeds, nodes) == ours


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_cases(), st.data())
def test_a_changed_graph_is_read_again(case, data):
    """A whole read kept with the graph is dropped when the graph changes, whatever the change."""
    graph, thresholds, seeds = case
    adjacency_matrix(graph)  # reads the graph whole, and keeps the read
    assert network.CACHE_KEY in graph.__networkx_cache__
    nodes = list(graph.nodes)
    change = data.draw(st.sampled_from(["add_edge", "remove_edge", "remove_node", "add_node"]))
    if change == "add_edge":
        graph.add_edge(data.draw(st.sampled_from(nodes)), data.draw(st.sampled_from(nodes)))
    elif change == "remove_edge":
        graph.remove_edge(*data.draw(st.sampled_from(list(graph.edges)))[:2])
    elif change == "remove_node":
        gone = data.draw(st.sampled_from(nodes))
        graph.remove_node(gone)
        seeds = [seed for seed in seeds if seed != gone]
    else:
        graph.add_edge(nodes[0], "ny")  # a new node, labelled unlike the others
        thresholds["ny"] = 0.0
    if graph.number_of_edges():
        assert_same_as_ndlib(graph, thresholds, seeds)


class _CountedRow(dict):
    """A neighbour dictionary that counts how often it is read through."""

    reads = 0

    def __iter__(self):
        _CountedRow.reads += 1
        return super().__iter__()


class _CountedGraph(nx.Graph):
    adjlist_inner_dict_factory = _CountedRow


def test_a_cascade_that_stays_small_reads_only_the_rows_it_reaches():
    """A seeded triangle and its tail beside a ring of 2 000 nobody reaches: 4 rows are read.

    Reading the graph is most of a small cascade's cost, so a cascade that dies out early costs
    what it reaches, not the size of the graph.
    """
    graph = _CountedGraph([(0, 1), (1, 2), (2, 0), (2, 3)])
    graph.add_edges_from(nx.cycle_graph(range(4, 2004)).edges)
    graph.add_edge(3, 4)
    thresholds = dict.fromkeys(graph, 0.5)
    thresholds[4] = 0.6  # 3 active of 4's three neighbours: 1/3 < 0.6
    _CountedRow.reads = 0
    assert threshold_cascade(graph, thresholds, [0]) == {0: 0, 1: 1, 2: 2, 3: 3}
    assert _CountedRow.reads <= 4
    # The same graph read whole (the removal experiment) gives the same cascade.
    assert adjacency_matrix(graph)[0].nnz == 2 * graph.number_of_edges()
    assert _CountedRow.reads > 2000


def test_a_graph_read_whole_is_kept_until_the_graph_changes():
    """The second cascade on an unchanged graph reads no row; after a change, it reads again."""
    graph = _CountedGraph()
    graph.add_edges_from(nx.cycle_graph(300).edges)
    graph.add_edge(5, 150)
    thresholds = dict.fromkeys(graph, 0.3)
    _CountedRow.reads = 0
    first = threshold_cascade(graph, thresholds, [0])
    assert len(first) == 300 and _CountedRow.reads >= 300  # spread everywhere: read whole
    _CountedRow.reads = 0
    again = threshold_cascade(graph, thresholds, [0])
    other = threshold_cascade(graph, 0.4, [0, 1])
    matrix, _ = adjacency_matrix(graph)
    assert _CountedRow.reads == 0
    assert again == first and matrix.nnz == 602
    assert other == threshold_cascade(graph.copy(), 0.4, [0, 1])
    graph.remove_edge(0, 1)
    _CountedRow.reads = 0
    after = assert_same_as_ndlib(graph, thresholds, [0])
    assert _CountedRow.reads > 0 and after != first


def test_labels_self_loops_isolated_nodes_and_direction_kept_alike():
    """Graphs whose labels are not positions, with self-loops and isolated nodes, directed or
    not: the kept read gives NDlib's rounds again, and ``adjacency_matrix`` hands out copies."""
    rng = np.random.default_rng(12)
    for cls in (nx.Graph, nx.DiGraph, nx.MultiGraph):
        base = nx.gnp_random_graph(120, 0.04, seed=12, directed=cls is nx.DiGraph)
        graph = cls()
        order = rng.permutation(140).tolist()  # unordered labels, 20 of them isolated
        label = {i: (f"n{i}" if i % 3 else (i, "t")) for i in range(140)}
        graph.add_nodes_from(label[i] for i in order)
        graph.add_edges_from((label[u], label[v]) for u, v in base.edges)
        graph.add_edges_from((label[i], label[i]) for i in range(0, 120, 7))  # self-loops
        thresholds = mixed_thresholds(graph, rng)
        seeds = [label[i] for i in range(0, 120, 10)] + [label[130]]
        with mock.patch.object(network, "READ_ALL_SHARE", 0.0):
            ours = assert_same_as_ndlib(graph, thresholds, seeds)
        assert network.CACHE_KEY in graph.__networkx_cache__
        assert len(ours) > len(seeds)
        matrix, nodes = adjacency_matrix(graph)
        matrix.indices[:] = 0  # the caller's copies: the kept read is untouched
        nodes.reverse()
        assert threshold_cascade(graph, thresholds, seeds) == ours


def test_views_frozen_graphs_and_caching_off_keep_nothing(monkeypatch):
    """A view's graph can change under it, so neither a view nor a frozen graph keeps a read;
    nor does any graph when networkx's caching is off or the graph's cache is None."""
    graph = nx.cycle_graph(100)
    view = graph.subgraph(range(60))
    assert threshold_cascade(view, 0.5, [0]) == threshold_cascade(nx.Graph(view), 0.5, [0])
    assert network.CACHE_KEY not in view.__networkx_cache__
    graph.remove_edge(20, 21)  # seen through the view
    assert threshold_cascade(view, 0.5, [0]) == threshold_cascade(nx.Graph(view), 0.5, [0])
    assert max(threshold_cascade(view, 0.5, [0]).values()) == 20
    frozen = nx.freeze(nx.path_graph(10))
    threshold_cascade(frozen, 0.5, [0])
    assert network.CACHE_KEY not in frozen.__networkx_cache__
    plain = nx.path_graph(10)
    plain.__networkx_cache__ = None
    assert threshold_cascade(plain, 0.5, [0]) == dict(zip(range(10), range(10), strict=True))
    monkeypatch.setattr(nx.config, "cache_converted_graphs", False)
    off = nx.path_graph(10)
    adjacency_matrix(off)
    assert network.CACHE_KEY not in off.__networkx_cache__


class _AdjacencyReversed(nx.Graph):
    """A graph whose adjacency() lists the nodes in the reverse of their order."""

    def adjacency(self):
        return reversed(list(super().adjacency()))


def test_rows_follow_the_node_order_when_the_adjacency_does_not():
    rng = np.random.default_rng(4)
    graph = _AdjacencyReversed(nx.gnp_random_graph(200, 0.03, seed=4).edges)
    thresholds = mixed_thresholds(graph, rng)
    ours = assert_same_as_ndlib(graph, thresholds, [0, 1, 2, 3])
    assert len(ours) > 4
    matrix, nodes = adjacency_matrix(graph)
    assert nodes == list(graph.nodes)
    assert (matrix != nx.to_scipy_sparse_array(graph, nodelist=nodes, weight=None)).nnz == 0


def test_a_block_model_matrix_is_a_graph_numbered_by_its_rows():
    """The matrix block_model_adjacency draws, without networkx: nodes are its rows 0..n-1."""
    rng = np.random.default_rng(8)
    matrix = block_model_adjacency([300, 300], np.array([[0.03, 0.002], [0.002, 0.03]]), rng)
    graph = nx.from_scipy_sparse_array(matrix)
    thresholds = mixed_thresholds(graph, rng)
    seeds = rng.choice(600, size=12, replace=False).tolist()
    ours = assert_same_as_ndlib(graph, thresholds, seeds)
    assert len(ours) > 12
    assert threshold_cascade(matrix, thresholds, seeds) == ours
    assert threshold_cascade(matrix.toarray(), thresholds, seeds) == ours  # dense, too
    assert threshold_cascade(matrix * 5, thresholds, seeds) == ours  # weights do not count


def test_a_matrix_takes_its_labels_from_nodes():
    path = sp.csr_array(nx.to_scipy_sparse_array(nx.path_graph(3)))
    named = threshold_cascade(
        path, {"Ali": 0.5, "Bo": 0.5, "Cy": 0.5}, ["Ali"], ["Ali", "Bo", "Cy"]
    )
    assert named == {"Ali": 0, "Bo": 1, "Cy": 2}
    with pytest.raises(NetworkModelError, match="3 rader men 2 nodnamn"):
        threshold_cascade(path, 0.5, ["Ali"], ["Ali", "Bo"])
    with pytest.raises(NetworkModelError, match="'Bo' förekommer mer än en gång"):
        threshold_cascade(path, 0.5, ["Ali"], ["Ali", "Bo", "Bo"])
    with pytest.raises(NetworkModelError, match="gå att slå upp"):
        threshold_cascade(path, 0.5, ["Ali"], ["Ali", ["Bo"], "Cy"])
    with pytest.raises(NetworkModelError, match="Startnoden 'Ali' finns inte"):
        threshold_cascade(path, 0.5, ["Ali"])  # without names the rows are 0, 1, 2
    # A seed equal to a row number is that row, as a node equal to a graph's node is that node.
    assert threshold_cascade(path, 0.5, [0.0]) == {0: 0, 1: 1, 2: 2}
    assert threshold_cascade(nx.path_graph(3), 0.5, [True]) == {1: 0, 0: 1, 2: 1}
    assert threshold_cascade(path, 0.5, [True]) == {1: 0, 0: 1, 2: 1}
    with pytest.raises(NetworkModelError, match="kvadratisk"):
        threshold_cascade(sp.csr_array(np.ones((2, 3))), 0.5, [0])
    with pytest.raises(NetworkModelError, match="bara tillsammans med en grannmatris"):
        threshold_cascade(nx.path_graph(3), 0.5, [0], [0, 1, 2])


# --- bad input -----------------------------------------------------------------------------------


def test_graph_without_edges_or_nodes_is_refused():
    no_edges = nx.Graph()
    no_edges.add_nodes_from([1, 2, 3])
    with pytest.raises(NetworkModelError, match="Grafen har inga kanter"):
        threshold_cascade(no_edges, 0.5, [1])
    with pytest.raises(NetworkModelError, match="Grafen har inga noder"):
        threshold_cascade(nx.Graph(), 0.5, [])
    with pytest.raises(NetworkModelError, match="networkx-graf"):
        threshold_cascade({1: [2]}, 0.5, [1])


@pytest.mark.parametrize("bad", [1.5, -0.1, float("nan"), float("inf")])
def test_threshold_outside_zero_one_names_node_and_value(bad):
    graph = nx.Graph([("Kim", "Sam"), ("Sam", "Alva")])
    with pytest.raises(NetworkModelError, match=r"'Sam' är (1\.5|-0\.1|nan|inf)") as err:
        threshold_cascade(graph, {"Kim": 0.2, "Sam": bad, "Alva": 0.3}, ["Kim"])
    assert isinstance(err.value, FouanalysError)
    assert "mellan 0 och 1" in str(err.value)
    with pytest.raises(NetworkModelError, match="mellan 0 och 1"):
        threshold_cascade(graph, bad, ["Kim"])


def test_threshold_that_is_not_a_number_is_named():
    graph = nx.Graph([("Kim", "Sam")])
    with pytest.raises(NetworkModelError, match=r"'Sam' är '0\.5', inte ett tal"):
        threshold_cascade(graph, {"Kim": 0.2, "Sam": "0.5"}, ["Kim"])
    with pytest.raises(NetworkModelError, match="'Sam' är None"):
        threshold_cascade(graph, {"Kim": 0.2, "Sam": None}, ["Kim"])
    with pytest.raises(NetworkModelError, match="mappning"):
        threshold_cascade(graph, [0.2, 0.3], ["Kim"])


def test_node_without_threshold_is_named():
    graph = nx.path_graph(4)
    with pytest.raises(NetworkModelError, match=r"Noden 2 \(och 1 nod till\) saknar tröskel"):
        threshold_cascade(graph, {0: 0.5, 1: 0.5}, [0])


def test_seed_not_in_the_graph_is_named():
    graph = nx.path_graph(4)
    with pytest.raises(NetworkModelError, match="Startnoden 'Saga' finns inte i grafen"):
        threshold_cascade(graph, 0.5, [0, "Saga"])
    with pytest.raises(NetworkModelError, match=r"Startnoden \[1\] finns inte"):
        threshold_cascade(graph, 0.5, [[1]])  # unhashable
    with pytest.raises(NetworkModelError, match="samling noder"):
        threshold_cascade(graph, 0.5, 0)


def test_seeds_as_numpy_integers_or_floats_are_the_nodes_they_equal():
    """rng.choice gives numpy integers: each is looked up as its position at once (a range's
    index() would scan every node for one); outside 0..n-1 it is named, as an int would be."""
    graph = nx.path_graph(4)
    expected = threshold_cascade(graph, 0.5, [0, 3])
    assert threshold_cascade(graph, 0.5, np.array([0, 3])) == expected
    assert threshold_cascade(graph, 0.5, [np.int32(0), 3.0]) == expected
    for outside in (np.int64(4), np.int64(-1), -1, 3.5):
        named = re.escape(f"Startnoden {outside!r} finns inte")
        with pytest.raises(NetworkModelError, match=named):
            threshold_cascade(graph, 0.5, [0, outside])


# --- which positions matter ------------------------------------------------------------------


def bridged_clusters() -> tuple[nx.Graph, dict, list]:
    """A seeded clique 0..4, a bridge 5 from 4 to 6, and a clique 6..25 the cascade reaches only
    through the bridge. Full cascade: 2, 3, 4, the bridge and the 20 in the far clique (24)."""
    graph = nx.complete_graph(5)
    graph.add_edges_from([(4, 5), (5, 6)])
    graph.add_edges_from(nx.complete_graph(range(6, 26)).edges)
    thresholds = {node: (0.3 if node <= 5 else 0.05) for node in graph}
    return graph, thresholds, [0, 1]


def test_bridged_clusters_as_worked_by_hand():
    graph, thresholds, seeds = bridged_clusters()
    rounds = threshold_cascade(graph, thresholds, seeds)
    assert len(rounds) - len(seeds) == 24
    assert rounds[5] == 2 and rounds[6] == 3 and rounds[25] == 4


def test_removing_the_most_central_node_stops_the_cascade_random_removal_does_not():
    graph, thresholds, seeds = bridged_clusters()
    rng = np.random.default_rng(11)
    frame = removal_experiment(graph, thresholds, seeds, [0, 1], rng, n_random=40)
    assert list(frame.columns) == REMOVAL_COLUMNS
    assert len(frame) == 2 * (1 + 40)
    assert frame.groupby(["strategy", "removed"]).size().to_dict() == {
        ("central", 0): 1,
        ("central", 1): 1,
        ("random", 0): 40,
        ("random", 1): 40,
    }
    central = frame[frame.strategy == "central"].set_index("removed")
    assert central.loc[0, "cascade_size"] == 24
    # Betweenness puts 6 (or the bridge) first; without it the far clique is never reached.
    assert central.loc[1, "cascade_size"] <= 4
    assert central.loc[1, "final_share"] == pytest.approx((central.loc[1, "cascade_size"] + 2) / 25)
    random = frame[(frame.strategy == "random") & (frame.removed == 1)]
    assert random.cascade_size.mean() > 18
    assert (random.cascade_size == 23).mean() > 0.6  # most random picks cost one node only
    assert (frame[frame.removed == 0].cascade_size == 24).all()
    assert (frame.replicate[frame.strategy == "central"] == 0).all()
    assert sorted(random.replicate) == list(range(40))


def test_removal_by_mask_equals_the_cascade_on_the_smaller_graph():
    rng = np.random.default_rng(3)
    graph = nx.connected_watts_strogatz_graph(200, 6, 0.1, seed=3)
    thresholds = mixed_thresholds(graph, rng)
    seeds = list(range(0, 200, 40))
    for centrality in ("betweenness", "degree", "eigenvector"):
        frame = removal_experiment(
            graph, thresholds, seeds, [10], rng, n_random=0, centrality=centrality
        )
        scores = {
            "betweenness": nx.betweenness_centrality,
            "degree": nx.degree_centrality,
            "eigenvector": nx.eigenvector_centrality_numpy,
        }[centrality](graph)
        candidates = [n for n in graph if n not in seeds]
        top = sorted(candidates, key=lambda n: -scores[n])[:10]
        smaller = graph.subgraph([n for n in graph if n not in top])
        rounds = threshold_cascade(smaller, thresholds, seeds)
        assert frame.cascade_size.tolist() == [len(rounds) - len(seeds)]
        assert frame.final_share.tolist() == [pytest.approx(len(rounds) / 190)]


def test_eigenvector_centrality_on_a_disconnected_graph_uses_its_largest_component():
    graph, thresholds, seeds = bridged_clusters()
    graph.add_edge("a", "b")  # a separate pair, and an isolated node
    graph.add_node("ensam")
    thresholds.update({"a": 0.5, "b": 0.5, "ensam": 0.0})
    with pytest.raises(nx.AmbiguousSolution):
        nx.eigenvector_centrality_numpy(graph)
    frame = removal_experiment(
        graph, thresholds, seeds, [3], np.random.default_rng(0), 0, centrality="eigenvector"
    )
    scores = nx.eigenvector_centrality_numpy(graph.subgraph(range(26)))
    top = sorted((n for n in range(2, 26)), key=lambda n: -scores[n])[:3]
    rounds = threshold_cascade(graph.subgraph(set(graph) - set(top)), thresholds, seeds)
    assert frame.cascade_size.tolist() == [len(rounds) - 2]


@pytest.mark.parametrize("centrality", CENTRALITIES)
def test_removal_experiment_from_a_matrix_equals_the_graph_made_from_it(centrality):
    """A symmetric block-model matrix (500 nodes: betweenness sampled), a directed graph's
    neighbour matrix and a matrix with named rows give the graph's frame, row for row."""
    rng = np.random.default_rng(21)
    matrix = block_model_adjacency([250, 250], np.array([[0.03, 0.003], [0.003, 0.03]]), rng)
    graph = nx.from_scipy_sparse_array(matrix)
    directed = nx.DiGraph()
    directed.add_nodes_from(range(150))
    directed.add_edges_from(sorted(nx.gnp_random_graph(150, 0.04, seed=21, directed=True).edges))
    named = nx.relabel_nodes(directed, {i: f"ung {i}" for i in range(150)})
    for whole, nodes in ((graph, None), (directed, None), (named, list(named.nodes))):
        thresholds = mixed_thresholds(whole, rng)
        seeds = list(whole.nodes)[:: len(whole) // 8]
        args = (thresholds, seeds, [0, 5, 20])
        expected = removal_experiment(whole, *args, np.random.default_rng(1), 4, centrality)
        neighbours = adjacency_matrix(whole)[0]
        frame = removal_experiment(
            neighbours, *args, np.random.default_rng(1), 4, centrality, nodes=nodes
        )
        pd.testing.assert_frame_equal(frame, expected)
        assert expected.cascade_size.max() > 0
    # The drawn matrix as is, as recruitment.structure_experiment passes it.
    trio = (mixed_thresholds(graph, rng), [0, 100, 300], [0, 3])
    pd.testing.assert_frame_equal(
        removal_experiment(matrix, *trio, np.random.default_rng(2), 3, centrality),
        removal_experiment(graph, *trio, np.random.default_rng(2), 3, centrality),
    )
    with pytest.raises(NetworkModelError, match="bara tillsammans med en grannmatris"):
        removal_experiment(graph, *trio, np.random.default_rng(2), nodes=list(graph.nodes))


def test_removal_experiment_is_reproducible():
    graph, thresholds, seeds = bridged_clusters()
    one = removal_experiment(graph, thresholds, seeds, [1, 3], np.random.default_rng(4), 10)
    two = removal_experiment(graph, thresholds, seeds, [1, 3], np.random.default_rng(4), 10)
    other = removal_experiment(graph, thresholds, seeds, [1, 3], np.random.default_rng(5), 10)
    pd.testing.assert_frame_equal(one, two)
    central = one.strategy == "central"
    pd.testing.assert_frame_equal(one[central], other[central])
    assert not one[~central].equals(other[~central])


def test_removal_experiment_candidates_and_bad_input():
    graph, thresholds, seeds = bridged_clusters()
    rng = np.random.default_rng(0)
    only_far = list(range(10, 26))  # removing any one of these costs exactly that node
    frame = removal_experiment(graph, thresholds, seeds, [2], rng, 5, candidates=only_far)
    assert (frame.cascade_size == 22).all()
    with pytest.raises(NetworkModelError, match=r"\(17\).*kandidater \(16\)"):
        removal_experiment(graph, thresholds, seeds, [17], rng, candidates=only_far)
    with pytest.raises(NetworkModelError, match="Kandidaten 'x' finns inte"):
        removal_experiment(graph, thresholds, seeds, [1], rng, candidates=["x"])
    with pytest.raises(NetworkModelError, match="Okänt centralitetsmått 'closeness'"):
        removal_experiment(graph, thresholds, seeds, [1], rng, centrality="closeness")
    with pytest.raises(NetworkModelError, match=r"\(1\.5\)"):
        removal_experiment(graph, thresholds, seeds, [1.5], rng)


def test_summary_and_sentence():
    graph, thresholds, seeds = bridged_clusters()
    frame = removal_experiment(graph, thresholds, seeds, [0, 1], np.random.default_rng(11), 40)
    summary = removal_summary(frame)
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert summary[["strategy", "removed", "runs"]].values.tolist() == [
        ["central", 0, 1],
        ["central", 1, 1],
        ["random", 0, 40],
        ["random", 1, 40],
    ]
    random = frame[(frame.strategy == "random") & (frame.removed == 1)].cascade_size
    row = summary.iloc[3]
    assert row.cascade_mean == pytest.approx(random.mean())
    assert row.cascade_p5 == pytest.approx(np.percentile(random, 5))
    assert row.cascade_p95 == pytest.approx(np.percentile(random, 95))
    central = int(frame[(frame.strategy == "central") & (frame.removed == 1)].cascade_size.iloc[0])
    sentence = removal_sentence(summary)
    assert sentence.startswith(
        "Om den mest centrala ungdomen nås och inte längre deltar i nätverket,"
    )
    assert f"minskar kaskaden från 24 till {central} personer utöver startgruppen" in sentence
    spread = f"{np.percentile(random, 5):.0f}–{np.percentile(random, 95):.0f}"
    assert f"mot i genomsnitt {round(random.mean())} " in sentence
    assert f"(90\u00a0% av slumpdragningarna gav {spread})" in sentence
    assert "om en slumpvis vald ungdom nås." in sentence

    many = summary.assign(removed=summary.removed * 20)  # as if k were 0 and 20
    assert "Om de 20 mest centrala ungdomarna nås" in removal_sentence(many)
    no_base = summary[summary.removed == 1]
    assert f"når kaskaden {central} personer" in removal_sentence(no_base)
    one = summary.assign(cascade_mean=np.where(summary.removed == 1, 1.0, 3.0))
    assert "från 3 till 1 person utöver startgruppen" in removal_sentence(one)
    with pytest.raises(NetworkModelError, match="tom"):
        removal_sentence(summary.iloc[0:0])


def _networkx_betweenness(graph, rng: np.random.Generator) -> dict:
    """networkx's own betweenness, with the sources it would draw as the experiment does."""
    from fouanalys.network import BETWEENNESS_SAMPLE

    if len(graph) <= BETWEENNESS_SAMPLE:
        return nx.betweenness_centrality(graph)
    seed = int(rng.integers(2**32))
    return nx.betweenness_centrality(graph, k=BETWEENNESS_SAMPLE, seed=seed)


@pytest.mark.parametrize("trial", range(12))
def test_betweenness_from_the_rows_equals_networkx(trial):
    """Exact (≤ 300 nodes) and sampled betweenness, on undirected and directed graphs with
    self-loops, isolated nodes, several components and labels that are not positions: the
    same scores as networkx to the last bits and the same ranking, which is all the removal
    experiment uses."""
    from fouanalys.network import _betweenness_scores, _rows_of

    n = [2, 3, 40, 299, 301, 700][trial % 6]
    graph = nx.gnp_random_graph(n, 4 / n, seed=trial, directed=trial % 2 == 1)
    graph.add_edges_from([(0, 0), (n - 1, n - 1)])
    graph.add_node("ensam")
    labels = {v: f"ung {(7919 * i) % 10007:05d}" for i, v in enumerate(graph)}  # not in order
    graph = nx.relabel_nodes(graph, labels)
    rows = _rows_of(graph, None)
    ours = _betweenness_scores(graph, rows.nodes, rows.matrix(), np.random.default_rng(trial))
    theirs = _networkx_betweenness(graph, np.random.default_rng(trial))
    expected = np.array([theirs[node] for node in rows.nodes])
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-15)
    assert np.array_equal(np.argsort(-ours, kind="stable"), np.argsort(-expected, kind="stable"))
    assert expected.max() > 0 or n <= 3


def test_betweenness_of_a_multigraph_is_networkx_own():
    from fouanalys.network import _betweenness_scores, _rows_of

    graph = nx.MultiGraph(nx.path_graph(5))
    graph.add_edge(1, 2)  # a second edge between 1 and 2
    rows = _rows_of(graph, None)
    ours = _betweenness_scores(graph, rows.nodes, rows.matrix(), np.random.default_rng(0))
    assert ours.tolist() == [nx.betweenness_centrality(graph)[v] for v in rows.nodes]


def test_betweenness_is_the_same_searched_one_source_at_a_time(monkeypatch):
    """On a large graph the sources are searched fewer at a time (memory); the scores stay."""
    from fouanalys import network
    from fouanalys.network import _betweenness_scores, _rows_of

    graph = nx.gnp_random_graph(400, 0.01, seed=4)
    rows = _rows_of(graph, None)
    together = _betweenness_scores(graph, rows.nodes, rows.matrix(), np.random.default_rng(4))
    monkeypatch.setattr(network, "_ENTRIES_AT_ONCE", 1)
    alone = _betweenness_scores(graph, rows.nodes, rows.matrix(), np.random.default_rng(4))
    np.testing.assert_allclose(alone, together, rtol=1e-12, atol=1e-15)
    assert together.max() > 0
