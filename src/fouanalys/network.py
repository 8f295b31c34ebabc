"""A vectorised engine for discrete-time state models on graphs.

networkx builds and analyses graphs; the dynamics run on a scipy.sparse adjacency matrix with
numpy arrays of states, so one step is a sparse matrix-vector product and a few array
operations, never a Python loop over nodes. Random draws always come from an explicit
``numpy.random.Generator``.

The linear-threshold cascade (:func:`threshold_cascade`) is the classic model of peer-driven
recruitment and the engine's check: it gives exactly the final state of NDlib's
``ThresholdModel`` (synchronous rounds; a node's neighbours are its distinct neighbours, its
predecessors in a directed graph; the active share is an integer count over an integer degree,
compared with ``>=``). :func:`removal_experiment` asks which positions matter: how much the
cascade shrinks when the most central members are taken out, against as many random ones.
"""

from __future__ import annotations

import itertools
import logging
import numbers
import operator
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import ArpackNoConvergence

from fouanalys.exceptions import NetworkModelError

log = logging.getLogger("fouanalys")

#: Centrality measures :func:`removal_experiment` can rank nodes by.
CENTRALITIES = ("betweenness", "degree", "eigenvector")
#: Above this many nodes betweenness is estimated from this many sampled sources.
BETWEENNESS_SAMPLE = 300
#: Once a cascade has reached this share of the nodes, it reads the whole graph in one pass.
READ_ALL_SHARE = 1 / 16
#: Where a whole read of a graph's rows is kept, in the graph's ``__networkx_cache__``.
CACHE_KEY = "fouanalys.network.rows"
#: Columns of :func:`removal_experiment`'s frame.
REMOVAL_COLUMNS = ["strategy", "removed", "replicate", "cascade_size", "final_share"]
#: Columns of :func:`removal_summary`'s frame.
SUMMARY_COLUMNS = [
    "strategy",
    "removed",
    "runs",
    "cascade_mean",
    "cascade_p5",
    "cascade_p95",
    "final_share_mean",
]


def _upper_pairs(n: int, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the ``index``-th pairs (i < j) of ``n`` nodes, in row-major order."""
    index = index.astype(np.int64)
    total = n * (n - 1) // 2
    # Pairs are numbered row by row; count from the end, where the rows are short.
    back = total - 1 - index
    k = ((np.sqrt(8.0 * back + 1.0) - 1.0) / 2.0).astype(np.int64)
    # Guard against rounding at exact triangular numbers.
    k += ((k + 1) * (k + 2) // 2 <= back).astype(np.int64)
    k -= (k * (k + 1) // 2 > back).astype(np.int64)
    row = n - 2 - k
    col = row + 1 + (index - (total - (k + 1) * (k + 2) // 2))
    return row, col


def block_model_adjacency(
    sizes: np.ndarray | list[int],
    probabilities: np.ndarray,
    rng: np.random.Generator,
) -> sp.csr_array:
    """A stochastic block model drawn directly as a sparse symmetric 0/1 matrix.

    ``sizes[b]`` nodes in block ``b`` (nodes numbered block by block); each pair of nodes in
    blocks ``a`` and ``b`` is linked independently with probability ``probabilities[a, b]``
    (symmetric). Same distribution as ``networkx.stochastic_block_model`` without self-loops, but
    each block pair costs one binomial draw and one sample of edge indices, so 100 000 nodes take
    a fraction of a second. Block pairs with probability 0 are skipped.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    p = np.asarray(probabilities, dtype=float)
    if p.shape != (len(sizes), len(sizes)) or not np.allclose(p, p.T):
        raise NetworkModelError(
            "Blockmodellens sannolikhetsmatris måste vara kvadratisk och symmetrisk, med en rad "
            f"per block ({len(sizes)} block); fick formen {p.shape}."
        )
    if np.any((p < 0) | (p > 1)) or np.any(np.isnan(p)):
        raise NetworkModelError("Blockmodellens sannolikheter måste ligga mellan 0 och 1.")
    starts = np.concatenate([[0], np.cumsum(sizes)])
    rows, cols = [], []
    for a, b in zip(*np.nonzero(np.triu(p)), strict=True):
        na, nb = sizes[a], sizes[b]
        pairs = na * (na - 1) // 2 if a == b else na * nb
        if pairs == 0:
            continue
        k = rng.binomial(pairs, p[a, b])
        if k == 0:
            continue
        index = rng.choice(pairs, size=k, replace=False)
        if a == b:
            i, j = _upper_pairs(int(na), index)
        else:
            i, j = np.divmod(index, nb)
        rows.append(i + starts[a])
        cols.append(j + starts[b])
    n = int(starts[-1])
    if not rows:
        return sp.csr_array((n, n), dtype=np.int8)
    i = np.concatenate(rows)
    j = np.concatenate(cols)
    data = np.ones(2 * len(i), dtype=np.int8)
    return sp.csr_array((data, (np.concatenate([i, j]), np.concatenate([j, i]))), shape=(n, n))


# --- graphs to arrays ----------------------------------------------------------------------------


def adjacency_matrix(graph: nx.Graph) -> tuple[sp.csr_array, list]:
    """The graph's 0/1 neighbour matrix and its node order (``list(graph.nodes)``).

    Row ``u`` marks the nodes whose state ``u`` looks at: its neighbours in an undirected graph,
    its predecessors in a directed one, so ``A @ active`` counts each node's active neighbours.
    Parallel edges of a multigraph count once and weights are ignored; a self-loop makes a node
    its own neighbour. This is how NDlib's ``ThresholdModel`` sees a graph.
    """
    outgoing, nodes = _outgoing_matrix(graph)
    if graph.is_directed():
        return sp.csr_array(outgoing.T), nodes
    return outgoing, nodes


def _outgoing_matrix(graph: nx.Graph) -> tuple[sp.csr_array, list]:
    """0/1 matrix whose row ``v`` marks the nodes that count ``v`` among their neighbours.

    That is ``v``'s neighbours (undirected) or successors (directed): the transpose of
    :func:`adjacency_matrix`, read straight from networkx's adjacency dictionaries (one entry
    per distinct neighbour, in node order), so no edge list is built or deduplicated.
    """
    rows = _graph_rows(graph)
    return rows.matrix(), list(rows.nodes)


def _graph_cache(graph: nx.Graph) -> dict | None:
    """The graph's ``__networkx_cache__``, where a whole read of its rows may be kept, or None.

    networkx empties that dictionary whenever the graph changes through its methods (nodes or
    edges added or removed), as it does for the graphs its backends convert, so a read kept
    there is the graph as it stands. Frozen graphs (views among them) keep nothing: the graph a
    view shows can change without emptying the view's cache. Nothing is kept when
    ``networkx.config.cache_converted_graphs`` is off or the graph's cache is set to None.
    """
    if not nx.config.cache_converted_graphs or nx.is_frozen(graph):
        return None
    cache = getattr(graph, "__networkx_cache__", None)
    return cache if isinstance(cache, dict) else None


def _rows_of(graph: Any, nodes: Sequence[Hashable] | None) -> _GraphRows | _ReadRows:
    """The rows of a networkx graph, or of a neighbour matrix whose rows ``nodes`` names."""
    if sp.issparse(graph) or isinstance(graph, np.ndarray):
        return _MatrixRows(graph, nodes)
    if nodes is not None:
        raise NetworkModelError(
            "Nodnamn (nodes) anges bara tillsammans med en grannmatris; en networkx-graf har "
            "redan sina noder."
        )
    return _graph_rows(graph)


def _graph_rows(graph: nx.Graph) -> _GraphRows | _ReadRows:
    """The graph's rows: as kept from an earlier whole read of the unchanged graph, or to read."""
    if not isinstance(graph, nx.Graph):
        raise NetworkModelError(
            f"Väntade en networkx-graf, fick {type(graph).__name__}. Bygg grafen med "
            "networkx (till exempel networkx.Graph eller networkx.from_scipy_sparse_array)."
        )
    cache = _graph_cache(graph)
    kept = cache.get(CACHE_KEY) if cache is not None else None
    return kept if isinstance(kept, _ReadRows) else _GraphRows(graph, cache)


class _GraphRows:
    """A networkx graph's adjacency dictionaries, read into positions only where asked.

    ``rows[v]`` is networkx's own dictionary of the nodes that count node ``v`` (at position
    ``v`` of ``nodes``) among their neighbours: ``v``'s neighbours, or its successors in a
    directed graph; one key per distinct neighbour. Turning keys into positions costs a Python
    step per entry, so a cascade that reaches few nodes reads only their rows
    (:meth:`listeners`). A whole read is kept in ``cache`` (the graph's, see
    :func:`_graph_cache`) when there is one, so the next call on the unchanged graph reads
    nothing.
    """

    def __init__(self, graph: nx.Graph, cache: dict | None = None) -> None:
        self.graph = graph
        self._cache = cache
        self.nodes = list(graph.nodes)
        adjacency = dict(graph.adjacency())
        # networkx keeps its node and adjacency dictionaries in the same order; where it does,
        # the rows are the adjacency's values as they stand, with no lookup per node.
        if list(adjacency) == self.nodes:
            self.rows = list(adjacency.values())
        else:
            self.rows = list(map(adjacency.__getitem__, self.nodes))
        n = len(self.nodes)
        #: Each row's number of entries (distinct neighbours, or successors if directed).
        self.lengths = np.fromiter(map(len, self.rows), dtype=np.int64, count=n)
        #: Whether node labels must be looked up: they are not already the positions 0..n-1.
        self.relabel = self.nodes != list(range(n))
        self.index: Mapping[Hashable, int] | _Positions = (
            dict(zip(self.nodes, range(n), strict=True)) if self.relabel else _Positions(n)
        )
        self._read = np.zeros(n, dtype=bool)  # rows a cascade has asked for
        self._outgoing: tuple[np.ndarray, np.ndarray] | None = None  # indptr, indices
        self._degree: np.ndarray | None = None

    def degree(self) -> np.ndarray:
        """Each node's number of distinct neighbours (predecessors, if directed)."""
        if self._degree is None:
            self._degree = self.lengths
            if self.graph.is_directed():
                incoming = map(self.graph.pred.__getitem__, self.nodes)
                self._degree = np.fromiter(
                    map(len, incoming), dtype=np.int64, count=len(self.nodes)
                )
        return self._degree

    def positions(self, picked: list[Mapping], count: int | None = None) -> np.ndarray:
        """Positions of the nodes listed in the rows ``picked`` (``count`` in all), row by row."""
        keys = itertools.chain.from_iterable(picked)
        if self.relabel:
            keys = map(self.index.__getitem__, keys)
        if count is None:
            count = sum(map(len, picked))
        return np.fromiter(keys, dtype=np.int64, count=count)

    def listeners(self, chosen: np.ndarray) -> np.ndarray:
        """``positions(chosen)`` for a cascade, which asks for each row at most once.

        Rows are read one by one while few have been asked for. Read out of node order, a row
        costs about twice what it does in one pass in order (the dictionaries lie in memory in
        node order), so once a cascade has asked for :data:`READ_ALL_SHARE` of the rows it is
        likely to spread and every row not yet asked for is read in one pass (every row, if the
        read is to be kept).
        """
        if self._outgoing is None:
            if np.count_nonzero(self._read) + chosen.size <= READ_ALL_SHARE * len(self.nodes):
                self._read[chosen] = True
                return self.positions(list(map(self.rows.__getitem__, chosen.tolist())))
            if self._cache is None:
                self._outgoing = self.entries(skip=self._read)
            else:
                self._outgoing = self._keep(*self.entries())
        return _row_entries(*self._outgoing, chosen)

    def entries(self, skip: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """CSR ``indptr`` and ``indices`` of the rows, in one pass; rows ``skip`` left empty."""
        lengths, rows = self.lengths, self.rows
        if skip is not None and skip.any():
            lengths = np.where(skip, 0, lengths)
            rows = list(itertools.compress(rows, (~skip).tolist()))
        indptr = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        return indptr, self.positions(rows, int(indptr[-1]))

    def _keep(self, indptr: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Keep a whole read in the graph's cache; returns it."""
        if self._cache is not None:
            rows = _ReadRows(self.nodes, self.index, self.degree(), indptr, indices)
            self._cache[CACHE_KEY] = rows
        return indptr, indices

    def matrix(self) -> sp.csr_array:
        """The 0/1 int32 CSR matrix whose row ``v`` marks ``rows[v]``."""
        return _csr(*self._keep(*self.entries()))


def _csr(indptr: np.ndarray, indices: np.ndarray) -> sp.csr_array:
    """A 0/1 int32 CSR matrix of its own copies of ``indptr`` and ``indices``."""
    n = len(indptr) - 1
    data = np.ones(len(indices), dtype=np.int32)
    return sp.csr_array((data, indices.copy(), indptr.copy()), shape=(n, n))


class _ReadRows:
    """Rows read whole into positions: CSR arrays, one row per node, and the nodes' labels.

    Row ``v`` lists the nodes that count node ``v`` (``nodes[v]``) among their neighbours, as
    :class:`_GraphRows` reads them. Nothing here is changed once made, so a graph's cache may
    hold it and every call on the graph share it.
    """

    def __init__(
        self,
        nodes: Sequence[Hashable],
        index: Mapping[Hashable, int] | _Positions,
        degree: np.ndarray,
        indptr: np.ndarray,
        indices: np.ndarray,
    ) -> None:
        self.nodes = nodes
        self.index = index
        self._degree = degree
        self._indptr = indptr
        self._indices = indices
        for array in (degree, indptr, indices):
            array.flags.writeable = False

    def degree(self) -> np.ndarray:
        """Each node's number of neighbours."""
        return self._degree

    def listeners(self, chosen: np.ndarray) -> np.ndarray:
        """Positions of the nodes that count each of ``chosen`` as a neighbour, concatenated."""
        return _row_entries(self._indptr, self._indices, chosen)

    def matrix(self) -> sp.csr_array:
        """The 0/1 int32 CSR matrix of the rows (its own copy)."""
        return _csr(self._indptr, self._indices)


class _Positions:
    """Node → position for nodes that are their positions 0..n-1, without building a dict."""

    def __init__(self, n: int) -> None:
        self._range = range(n)

    def __getitem__(self, node: Hashable) -> int:
        try:  # an integer of any type (int, numpy's) is its own position, if in range
            position = operator.index(node)
        except TypeError:  # anything else equal to a position (1.0) is found as a dict would
            try:
                return self._range.index(node)
            except ValueError:
                raise KeyError(node) from None
        if not 0 <= position < len(self._range):
            raise KeyError(node)
        return position


def _label_index(labels: list, n: int) -> dict[Hashable, int]:
    """Label → row for ``n`` rows named once each by ``labels``; errors say what is wrong."""
    if len(labels) != n:
        raise NetworkModelError(
            f"Grannmatrisen har {n} rader men {len(labels)} nodnamn; ange ett namn per rad, i "
            "radernas ordning."
        )
    try:
        index = dict(zip(labels, range(n), strict=True))
    except TypeError as exc:
        raise NetworkModelError(
            f"Nodnamnen måste gå att slå upp (tal, text eller tupler): {exc}."
        ) from exc
    if len(index) != n:
        twice = next(label for i, label in enumerate(labels) if index[label] != i)
        raise NetworkModelError(
            f"Nodnamnet {twice!r} förekommer mer än en gång; varje rad i grannmatrisen behöver "
            "ett eget namn."
        )
    return index


class _MatrixRows(_ReadRows):
    """A neighbour matrix with a label per row, read as :class:`_GraphRows` reads a graph.

    ``adjacency[u, v] != 0`` makes ``v`` a neighbour of ``u`` (as :func:`adjacency_matrix`
    builds it); ``nodes`` names the rows (default: their positions 0..n-1, as
    ``networkx.from_scipy_sparse_array`` numbers them). The rows are positions already, so
    nothing is read from Python objects: the cost is two passes over the matrix in C.
    """

    def __init__(self, adjacency: Any, nodes: Iterable[Hashable] | None) -> None:
        matrix = _binary_csr(adjacency)
        n = matrix.shape[0]
        labels: Sequence[Hashable] = range(n)
        index: Mapping[Hashable, int] | _Positions = _Positions(n)
        if nodes is not None:
            labels = list(nodes)
            index = _label_index(labels, n)
        outgoing = sp.csr_array(matrix.T)
        super().__init__(labels, index, np.diff(matrix.indptr), outgoing.indptr, outgoing.indices)
        self._matrix = matrix

    def graph(self) -> nx.Graph:
        """The networkx graph this is the neighbour matrix of, for what networkx computes.

        Undirected if the matrix is symmetric, else directed with an edge from each neighbour
        (as :func:`adjacency_matrix` reads a directed graph); every edge of weight 1; nodes
        named as the rows, in row order.
        """
        matrix = self._matrix  # in sorted order, as its transpose is: equal if symmetric
        symmetric = np.array_equal(matrix.indptr, self._indptr) and np.array_equal(
            matrix.indices, self._indices
        )
        create = nx.Graph if symmetric else nx.DiGraph
        graph = nx.from_scipy_sparse_array(self.matrix(), create_using=create)
        if isinstance(self.nodes, range):
            return graph
        return nx.relabel_nodes(graph, dict(enumerate(self.nodes)))


def _row_entries(indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``matrix[rows].indices`` of the CSR arrays ``indptr``, ``indices`` without building a
    matrix: the rows' column positions, in turn.

    A cascade asks for a few rows per round; scipy's row indexing costs more per call than
    this gather does at that size.
    """
    starts = indptr[rows]
    lengths = indptr[rows + 1] - starts
    ends = np.cumsum(lengths)
    if not ends.size:
        return indices[:0]
    return indices[np.repeat(starts - ends + lengths, lengths) + np.arange(ends[-1])]


def _binary_csr(adjacency: Any) -> sp.csr_array:
    """``adjacency`` as a square 0/1 int32 CSR array without stored zeros."""
    try:
        matrix = sp.csr_array(adjacency)
    except (TypeError, ValueError) as exc:
        raise NetworkModelError(
            f"Grannmatrisen kunde inte läsas som en gles matris: {exc}"
        ) from exc
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise NetworkModelError(
            f"Grannmatrisen måste vara kvadratisk (en rad och en kolumn per nod); fick formen "
            f"{matrix.shape}."
        )
    matrix = (matrix != 0).astype(np.int32)
    matrix.sum_duplicates()
    return sp.csr_array(matrix)


def _and_more(count: int) -> str:
    """`` (och 3 noder till)`` after the first node named, or nothing."""
    if count <= 0:
        return ""
    return f" (och {count} {'nod' if count == 1 else 'noder'} till)"


def _check_threshold_array(thresholds: np.ndarray, labels: Sequence | None = None) -> None:
    """Raise naming the first node whose threshold is outside [0, 1] or not a number."""
    bad = np.flatnonzero(~((thresholds >= 0) & (thresholds <= 1)))
    if bad.size:
        i = int(bad[0])
        who = f"noden {labels[i]!r}" if labels is not None else f"noden på plats {i}"
        more = _and_more(bad.size - 1)
        value = float(thresholds[i])
        raise NetworkModelError(
            f"Tröskeln för {who} är {value!r}{more}; en tröskel är en andel av grannarna och "
            "måste ligga mellan 0 och 1."
        )


# --- the cascade ---------------------------------------------------------------------------------


def _cascade(
    listeners: Callable[[np.ndarray], np.ndarray],
    degree: np.ndarray,
    thresholds: np.ndarray,
    seed_mask: np.ndarray,
    blocked: np.ndarray | None = None,
) -> np.ndarray:
    """Activation rounds (-1 = never) of the synchronous threshold cascade; no checks.

    ``listeners(nodes)`` gives the positions of the nodes that count each of ``nodes`` as a
    neighbour, concatenated (the rows of the transposed neighbour matrix); ``degree`` is each
    node's number of neighbours. ``blocked`` nodes are out of the graph: they never activate,
    and ``degree`` must already leave them out.

    Each round adds the rows of the nodes activated in the previous round to the running
    counts of active neighbours, so the whole cascade costs one pass over the edges, or less:
    a node's row is read when it activates, and not at all once nobody is left waiting. After
    round 1 only nodes whose count just changed can cross their threshold.
    """
    n = len(degree)
    rounds = np.full(n, -1, dtype=np.int64)
    active = seed_mask.astype(bool, copy=True)
    if blocked is not None:
        active &= ~blocked
    rounds[active] = 0
    waiting = ~active & (degree > 0)  # nodes without neighbours never activate
    if blocked is not None:
        waiting &= ~blocked
    counts = np.zeros(n, dtype=np.int64)
    new = np.flatnonzero(active)
    check = np.flatnonzero(waiting)  # round 1: every waiting node (thresholds of 0 fire)
    left = check.size
    step = 0
    while left:
        if new.size:  # empty only before round 1, when there are no seeds
            gained = np.bincount(listeners(new), minlength=n)
            counts += gained
            if step:
                touched = np.flatnonzero(gained)
                check = touched[waiting[touched]]
        # An integer count over an integer degree: the same float64 as Python's int / int.
        share = counts[check] / degree[check]
        new = check[share >= thresholds[check]]
        if not new.size:
            break
        step += 1
        rounds[new] = step
        waiting[new] = False
        left -= new.size
    return rounds


def cascade_rounds(
    adjacency: sp.sparray | sp.spmatrix | np.ndarray,
    thresholds: np.ndarray,
    seed_mask: np.ndarray,
) -> np.ndarray:
    """The synchronous linear-threshold cascade on arrays: activation round per node, -1 never.

    ``adjacency[u, v] != 0`` makes ``v`` a neighbour of ``u`` (as :func:`adjacency_matrix`
    builds it); ``thresholds`` (floats in [0, 1]) and ``seed_mask`` (bool) have one entry per
    row. Seeds are active in round 0; a node inactive after round t becomes active in round t+1
    when the share of its neighbours active after round t is at least its threshold; a node
    without neighbours never activates. The loop runs over rounds, until one activates nobody.
    """
    rows = _MatrixRows(adjacency, None)
    n = len(rows.nodes)
    theta = np.asarray(thresholds, dtype=float)
    seeds = np.asarray(seed_mask)
    if theta.shape != (n,) or seeds.shape != (n,):
        raise NetworkModelError(
            f"Trösklar och startnoder behövs för var och en av grannmatrisens {n} noder; fick "
            f"formerna {theta.shape} och {seeds.shape}."
        )
    if seeds.dtype != bool:
        raise NetworkModelError(
            f"Startnoderna ska anges som en boolesk mask (True = startnod); fick {seeds.dtype}."
        )
    _check_threshold_array(theta)
    return _cascade(rows.listeners, rows.degree(), theta, seeds)


def _threshold_values(nodes: Sequence, thresholds: float | Mapping[Hashable, float]) -> np.ndarray:
    """One float threshold per node, checked; errors name the node."""
    if isinstance(thresholds, numbers.Real) and not isinstance(thresholds, bool):
        theta = np.full(len(nodes), float(thresholds))
        if not 0 <= float(thresholds) <= 1:
            raise NetworkModelError(
                f"Tröskeln är {thresholds!r}; en tröskel är en andel av grannarna och måste "
                "ligga mellan 0 och 1."
            )
        return theta
    if not isinstance(thresholds, (Mapping, pd.Series)):
        raise NetworkModelError(
            "Trösklarna anges som ett tal mellan 0 och 1 för alla noder eller som en mappning "
            f"nod → tröskel; fick {type(thresholds).__name__}."
        )
    try:
        values = list(map(thresholds.__getitem__, nodes))
    except KeyError:
        missing = [node for node in nodes if node not in thresholds]
        more = _and_more(len(missing) - 1)
        raise NetworkModelError(
            f"Noden {missing[0]!r}{more} saknar tröskel; ange en tröskel mellan 0 och 1 för "
            "varje nod i grafen."
        ) from None
    theta = np.asarray(values)
    if theta.dtype.kind not in "iuf":  # anything but plain numbers: name the first offender
        for node, value in zip(nodes, values, strict=True):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise NetworkModelError(
                    f"Tröskeln för noden {node!r} är {value!r}, inte ett tal; en tröskel måste "
                    "vara ett tal mellan 0 och 1."
                )
    theta = theta.astype(float)
    if theta.shape != (len(nodes),):
        raise NetworkModelError("Varje nods tröskel måste vara ett enda tal mellan 0 och 1.")
    _check_threshold_array(theta, nodes)
    return theta


def _seed_mask(
    nodes: Sequence, index: Mapping[Hashable, int] | _Positions, seeds: Iterable[Hashable]
) -> np.ndarray:
    """A boolean mask of the seeds over ``nodes``; a seed not in the graph is named."""
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Iterable):
        raise NetworkModelError(
            f"Startnoderna anges som en samling noder (lista eller mängd); fick {seeds!r}."
        )
    mask = np.zeros(len(nodes), dtype=bool)
    for seed in seeds:
        try:
            mask[index[seed]] = True
        except (KeyError, TypeError):
            raise NetworkModelError(
                f"Startnoden {seed!r} finns inte i grafen; startnoderna måste vara noder i grafen."
            ) from None
    return mask


def _prepare(
    rows: _GraphRows | _ReadRows,
    thresholds: float | Mapping[Hashable, float],
    seeds: Iterable[Hashable],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Degrees, thresholds and seed mask of a checked graph; no row read yet."""
    if not rows.nodes:
        raise NetworkModelError(
            "Grafen har inga noder: en tröskelkaskad behöver en graf med noder och kanter."
        )
    degree = rows.degree()
    if not degree.any():
        raise NetworkModelError(
            f"Grafen har inga kanter ({len(rows.nodes)} noder utan grannar): ingen kan påverkas "
            "av någon annan, så det finns ingen kaskad att räkna på."
        )
    theta = _threshold_values(rows.nodes, thresholds)
    mask = _seed_mask(rows.nodes, rows.index, seeds)
    return degree, theta, mask


def threshold_cascade(
    graph: nx.Graph | sp.sparray | sp.spmatrix | np.ndarray,
    thresholds: float | Mapping[Hashable, float],
    seeds: Iterable[Hashable],
    nodes: Sequence[Hashable] | None = None,
) -> dict[Hashable, int]:
    """The deterministic linear-threshold cascade: the round in which each node activated.

    Synchronous rounds: the seeds are active in round 0; a node inactive after round t becomes
    active in round t+1 when the share of its neighbours active after round t is at least its
    threshold; a node without neighbours never activates. Neighbours are distinct (parallel
    edges and weights do not count; a self-loop makes a node its own neighbour) and, in a
    directed graph, the node's predecessors. ``thresholds`` is one number for every node or a
    mapping node → threshold covering every node; each in [0, 1].

    ``graph`` is a networkx graph, or its neighbour matrix when one is at hand (as
    :func:`block_model_adjacency` draws it or :func:`adjacency_matrix` builds it): a scipy
    sparse (or numpy) matrix whose row ``u`` is non-zero at ``u``'s neighbours, with ``nodes``
    naming its rows (default: 0..n-1, as ``networkx.from_scipy_sparse_array`` numbers them).
    Both give the same result; the matrix skips reading networkx's dictionaries, which is most
    of the time of a cascade that spreads through a large graph. From a graph, a cascade that
    reaches few nodes reads only their neighbours, and a graph read whole is kept in its
    ``__networkx_cache__`` (which networkx empties when the graph changes; see
    :func:`_graph_cache`), so the next call on the unchanged graph reads nothing.

    Returns ``{node: round}`` for every node that ever activates (seeds with round 0), ordered
    by round and then by the graph's node order. Its keys are exactly the nodes NDlib's
    ``ThresholdModel`` has infected when it stops changing on the same graph, thresholds and
    seeds, and each round's new nodes are its iteration's changes.

    Raises :class:`NetworkModelError` for a graph without nodes or edges, a threshold outside
    [0, 1] or not a number, a node without a threshold, a seed that is not in the graph, or
    ``nodes`` that do not name the matrix's rows once each.
    """
    rows = _rows_of(graph, nodes)
    degree, theta, mask = _prepare(rows, thresholds, seeds)
    rounds = _cascade(rows.listeners, degree, theta, mask)
    reached = np.flatnonzero(rounds >= 0)
    key = rounds[reached]
    if key.size and key.max() < 2**15:  # numpy sorts 16-bit integers stably by radix, in O(n)
        key = key.astype(np.int16)
    reached = reached[np.argsort(key, kind="stable")]
    labels = reached.tolist()
    if not isinstance(rows.nodes, range):  # a matrix's rows 0..n-1 are their own labels
        labels = map(rows.nodes.__getitem__, labels)
    return dict(zip(labels, rounds[reached].tolist(), strict=True))


# --- which positions matter ----------------------------------------------------------------------


def _eigenvector_scores(graph: nx.Graph) -> dict:
    """Eigenvector centrality; in a disconnected graph, that of its largest component, 0 elsewhere.

    networkx refuses disconnected graphs (the leading eigenvector is then not unique). Ranking
    within the component with the most nodes (weakly connected, if directed) keeps the measure
    about the network most members belong to; nodes outside it, isolated ones included, score 0.
    """
    connected = nx.is_weakly_connected if graph.is_directed() else nx.is_connected
    if connected(graph):
        return nx.eigenvector_centrality_numpy(graph)
    components = (
        nx.weakly_connected_components(graph)
        if graph.is_directed()
        else nx.connected_components(graph)
    )
    largest = max(components, key=len)
    scores = dict.fromkeys(graph.nodes, 0.0)
    if len(largest) > 1:
        scores.update(nx.eigenvector_centrality_numpy(graph.subgraph(largest)))
    return scores


#: Sources whose breadth-first searches :func:`_betweenness` runs side by side, at most, and
#: the most entries (nodes plus neighbour entries, times the sources) searched at once: a few
#: arrays of that length, about 200 MB at the most, whatever the size of the graph.
_SOURCES_AT_ONCE = 64
_ENTRIES_AT_ONCE = 4_000_000


def _betweenness(indptr: np.ndarray, indices: np.ndarray, sources: Sequence[int]) -> np.ndarray:
    """Unnormalised shortest-path betweenness of every node, summed over ``sources``.

    Brandes' algorithm as networkx's ``betweenness_centrality`` runs it (breadth first from
    each source along the CSR rows ``indptr``/``indices``, row ``v`` the nodes ``v`` leads to;
    pair dependencies accumulated back from the farthest level; a source's own dependency not
    counted), a level at a time over arrays instead of a node at a time over dicts, with up
    to :data:`_SOURCES_AT_ONCE` sources (fewer on a large graph, :data:`_ENTRIES_AT_ONCE`)
    searched together as copies of the graph side by side (node ``v`` of the ``i``-th copy at
    position ``i * n + v``). Path counts are exact; the
    sums differ from networkx's only by the order of adding.
    """
    n = len(indptr) - 1
    between = np.zeros(n)
    sources = np.asarray(sources, dtype=np.int64)
    at_once = max(1, min(_SOURCES_AT_ONCE, _ENTRIES_AT_ONCE // max(1, n + len(indices))))
    for chunk in np.array_split(sources, max(1, -(-len(sources) // at_once))):
        size = len(chunk) * n
        frontier = np.arange(len(chunk)) * n + chunk  # positions in the side-by-side copies
        distance = np.full(size, -1, dtype=np.int64)
        distance[frontier] = 0
        sigma = np.zeros(size)
        sigma[frontier] = 1.0
        levels = []  # per level: the shortest-path edges (from, to) into the next level
        depth = 0
        while frontier.size:
            node = frontier % n
            lengths = indptr[node + 1] - indptr[node]
            tails = np.repeat(frontier, lengths)
            heads = np.repeat(frontier - node, lengths) + _row_entries(indptr, indices, node)
            fresh = heads[distance[heads] < 0]
            distance[fresh] = depth + 1
            onward = distance[heads] == depth + 1
            tails, heads = tails[onward], heads[onward]
            sigma += np.bincount(heads, weights=sigma[tails], minlength=size)
            levels.append((tails, heads))
            frontier = np.unique(fresh)
            depth += 1
        delta = np.zeros(size)
        for tails, heads in reversed(levels):
            delta += np.bincount(
                tails, weights=sigma[tails] * (1.0 + delta[heads]) / sigma[heads], minlength=size
            )
        delta[np.arange(len(chunk)) * n + chunk] = 0.0
        between += delta.reshape(len(chunk), n).sum(axis=0)
    return between


def _betweenness_scores(
    graph: nx.Graph, nodes: Sequence[Hashable], matrix: sp.csr_array, rng: np.random.Generator
) -> np.ndarray:
    """Normalised betweenness per node, as ``networkx.betweenness_centrality`` gives it:
    exact up to :data:`BETWEENNESS_SAMPLE` nodes, above that from that many sources, which
    networkx would draw (``random.Random(seed).sample``, ``seed`` drawn from ``rng``), and
    rescaled as networkx rescales. A multigraph goes to networkx itself."""
    import random

    n = len(nodes)
    sampled = n > BETWEENNESS_SAMPLE
    seed = int(rng.integers(2**32)) if sampled else None
    if graph.is_multigraph():
        k = BETWEENNESS_SAMPLE if sampled else None
        scores = nx.betweenness_centrality(graph, k=k, seed=seed)
        return np.array([scores[node] for node in nodes], dtype=float)
    if not sampled:
        between = _betweenness(matrix.indptr, matrix.indices, range(n))
        return between * (1 / ((n - 1) * (n - 2))) if n > 2 else between
    sources = random.Random(seed).sample(range(n), BETWEENNESS_SAMPLE)
    between = _betweenness(matrix.indptr, matrix.indices, sources)
    k, pairs = BETWEENNESS_SAMPLE, n - 1
    scale = np.full(n, 1 / (k * (pairs - 1)))
    scale[sources] = 1 / ((k - 1) * (pairs - 1))
    return between * scale


def _centrality_scores(
    graph: nx.Graph,
    nodes: Sequence[Hashable],
    matrix: sp.csr_array,
    centrality: str,
    rng: np.random.Generator,
) -> np.ndarray:
    """One centrality score per node (in ``nodes`` order), as networkx computes it on
    ``graph``; betweenness from ``matrix``, the graph's rows (row ``v`` the nodes ``v`` leads
    to), by :func:`_betweenness_scores`."""
    try:
        if centrality == "betweenness":
            return _betweenness_scores(graph, nodes, matrix, rng)
        if centrality == "degree":
            scores = nx.degree_centrality(graph)
        elif centrality == "eigenvector":
            scores = _eigenvector_scores(graph)
        else:
            raise NetworkModelError(
                f"Okänt centralitetsmått {centrality!r}; välj ett av {', '.join(CENTRALITIES)}."
            )
    except (nx.NetworkXException, ArithmeticError, ArpackNoConvergence) as exc:
        raise NetworkModelError(
            f"Centraliteten ({centrality}) kunde inte beräknas för grafen: {exc}. Välj ett annat "
            "mått, till exempel 'degree'."
        ) from exc
    return np.array([scores[node] for node in nodes], dtype=float)


def removal_experiment(
    graph: nx.Graph | sp.sparray | sp.spmatrix | np.ndarray,
    thresholds: float | Mapping[Hashable, float],
    seeds: Iterable[Hashable],
    removed: Sequence[int],
    rng: np.random.Generator,
    n_random: int = 20,
    centrality: str = "betweenness",
    candidates: Iterable[Hashable] | None = None,
    nodes: Sequence[Hashable] | None = None,
) -> pd.DataFrame:
    """Cascade size after taking out the k most central members, against k random ones.

    For each ``k`` in ``removed``: the ``k`` candidates ranked highest by ``centrality``, and,
    separately, ``n_random`` sets of ``k`` candidates drawn at random with ``rng``, are taken out
    of the graph (with their edges, so their neighbours have fewer neighbours) and the threshold
    cascade (:func:`threshold_cascade`) runs on what remains. ``candidates`` defaults to every
    node that is not a seed; a removed seed is no longer a seed.

    Centrality is computed once, on the whole graph, as networkx computes it: ``"betweenness"``
    (exact up to ``BETWEENNESS_SAMPLE`` nodes, above that estimated from that many sources drawn
    with ``rng``, as networkx would draw them; Brandes' algorithm on the rows' arrays,
    :func:`_betweenness`, the same scores up to the order of adding), ``"degree"`` or
    ``"eigenvector"`` (within the largest component when the graph
    is disconnected). Ties keep the graph's node order.

    Returns one row per run:

    - ``strategy`` — ``"central"`` (the k most central) or ``"random"``;
    - ``removed`` — k;
    - ``replicate`` — 0 for ``"central"``, 0..n_random-1 for ``"random"``;
    - ``cascade_size`` — nodes activated after round 0 (the seeds not counted);
    - ``final_share`` — share of the remaining nodes active at the end, seeds included.

    The central rows are the same on every call unless betweenness is sampled (graphs of more
    than ``BETWEENNESS_SAMPLE`` nodes); the random rows are the same for a generator in the same
    state. The removals work on the adjacency matrix by mask; no graph is rebuilt.

    ``graph`` is a networkx graph or, as for :func:`threshold_cascade`, its neighbour matrix
    with ``nodes`` naming the rows (default 0..n-1). From a matrix, the centrality is that of
    the networkx graph it is the neighbour matrix of (undirected if it is symmetric, every edge
    of weight 1), so a matrix ``A`` gives the same frame as ``networkx.from_scipy_sparse_array(A)``
    for a symmetric 0/1 ``A`` in sorted order; the cascades skip reading the graph back.
    """
    rows = _rows_of(graph, nodes)
    degree, theta, seed_mask = _prepare(rows, thresholds, seeds)
    if isinstance(rows, _MatrixRows):
        graph = rows.graph()  # for the centrality only
    nodes = rows.nodes
    n = len(nodes)
    outgoing = rows.matrix()  # every run reads rows again: read them all once
    adjacency = sp.csr_array(outgoing.T)
    pool = _candidate_pool(nodes, seed_mask, candidates)
    ks = _removal_counts(removed, len(pool), n_random, centrality)
    scores = _centrality_scores(graph, nodes, outgoing, centrality, rng)
    ranked = pool[np.argsort(-scores[pool], kind="stable")]

    def run(strategy: str, k: int, replicate: int, out: np.ndarray) -> dict:
        blocked = np.zeros(n, dtype=bool)
        blocked[out] = True
        # Neighbours that are taken out no longer count in a node's degree.
        remaining_degree = degree - adjacency @ blocked.astype(np.int64)
        rounds = _cascade(
            lambda new: _row_entries(outgoing.indptr, outgoing.indices, new),
            remaining_degree,
            theta,
            seed_mask,
            blocked,
        )
        return {
            "strategy": strategy,
            "removed": k,
            "replicate": replicate,
            "cascade_size": int(np.count_nonzero(rounds > 0)),
            "final_share": float(np.count_nonzero(rounds >= 0) / (n - k)) if n > k else np.nan,
        }

    rows = []
    for k in ks:
        rows.append(run("central", k, 0, ranked[:k]))
        for replicate in range(int(n_random)):
            rows.append(run("random", k, replicate, rng.choice(pool, size=k, replace=False)))
    log.debug("removal_experiment: %d runs on %d nodes (%s centrality)", len(rows), n, centrality)
    frame = pd.DataFrame(rows, columns=REMOVAL_COLUMNS)
    return frame.astype(
        {"removed": "int64", "replicate": "int64", "cascade_size": "int64", "final_share": float}
    )


def _candidate_pool(
    nodes: Sequence[Hashable], seed_mask: np.ndarray, candidates: Iterable[Hashable] | None
) -> np.ndarray:
    """Positions of the nodes that may be taken out (default: every non-seed), in given order."""
    if candidates is None:
        return np.flatnonzero(~seed_mask)
    index = {node: i for i, node in enumerate(nodes)}
    pool_list: list[int] = []
    for node in candidates:
        if node not in index:
            raise NetworkModelError(
                f"Kandidaten {node!r} finns inte i grafen; bara noder i grafen kan tas bort."
            )
        pool_list.append(index[node])
    return np.array(list(dict.fromkeys(pool_list)), dtype=np.int64)


def _removal_counts(
    removed: Sequence[int], n_pool: int, n_random: int, centrality: str
) -> list[int]:
    """The checked numbers of members to take out; also checks ``n_random`` and ``centrality``."""
    ks = []
    for k in removed:
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 0 <= k <= n_pool:
            raise NetworkModelError(
                f"Antalet att ta bort ({k!r}) måste vara ett heltal mellan 0 och antalet "
                f"kandidater ({n_pool})."
            )
        ks.append(int(k))
    if isinstance(n_random, bool) or not isinstance(n_random, numbers.Integral) or n_random < 0:
        raise NetworkModelError(
            f"Antalet slumpdragningar (n_random={n_random!r}) måste vara ett heltal ≥ 0."
        )
    if centrality not in CENTRALITIES:
        raise NetworkModelError(
            f"Okänt centralitetsmått {centrality!r}; välj ett av {', '.join(CENTRALITIES)}."
        )
    return ks


def removal_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per strategy and number removed: the cascade size's mean and 5th/95th percentiles.

    ``frame`` is :func:`removal_experiment`'s. Returns one row per (strategy, removed), central
    before random and k ascending:

    - ``strategy``, ``removed`` — as in ``frame``;
    - ``runs`` — number of runs;
    - ``cascade_mean``, ``cascade_p5``, ``cascade_p95`` — mean, 5th and 95th percentile
      (numpy's linear interpolation) of ``cascade_size``;
    - ``final_share_mean`` — mean ``final_share``.
    """
    missing = [c for c in REMOVAL_COLUMNS if c not in frame.columns]
    if missing:
        raise NetworkModelError(
            f"Tabellen saknar kolumnerna {', '.join(missing)}; den ska komma från "
            "removal_experiment."
        )
    rows = []
    for (strategy, k), group in frame.groupby(["strategy", "removed"], sort=True):
        sizes = group["cascade_size"].to_numpy(float)
        rows.append(
            {
                "strategy": strategy,
                "removed": int(k),
                "runs": len(group),
                "cascade_mean": float(sizes.mean()),
                "cascade_p5": float(np.percentile(sizes, 5)),
                "cascade_p95": float(np.percentile(sizes, 95)),
                "final_share_mean": float(group["final_share"].mean()),
            }
        )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
