"""The collaboration network of a municipality's actors, from its ongoing interventions."""

from __future__ import annotations

import difflib
import itertools

import networkx as nx
import pandas as pd

from fouanalys.codebook import Codebook, load_codebook, normalize_key, split_codes
from fouanalys.exceptions import NetworkModelError

ONGOING = "pågående"


def _suggestion(value: str, known: list[str]) -> str | None:
    """The codebook id closest to ``value``: same folded spelling first, then difflib."""
    folded = normalize_key(value)
    for k in known:
        if normalize_key(k) == folded:
            return k
    close = difflib.get_close_matches(value.lower(), known, n=1, cutoff=0.5)
    if not close:
        close = difflib.get_close_matches(folded, [normalize_key(k) for k in known], 1, 0.5)
        close = [k for k in known if close and normalize_key(k) == close[0]]
    return close[0] if close else None


def _blank(value: object) -> bool:
    """Whether an inventory cell is empty (None, NaN or pandas' NA)."""
    return value is None or bool(pd.isna(value))


def _actors_of(row) -> list[str]:
    """The actors of one intervention row: huvudman first, then partners, without repeats."""
    actors = [] if _blank(row.huvudman) else [str(row.huvudman).strip()]
    actors += split_codes(row.samverkan)
    return list(dict.fromkeys(a for a in actors if a))


def _check_actors(
    rows: pd.DataFrame, name: str, municipality_code: str, codebook: Codebook
) -> None:
    """Raise NetworkModelError listing every unknown or missing actor in ``rows``."""
    known = codebook.ids("actors")
    known_set = set(known)
    problems = []
    for row in rows.itertuples(index=False):
        if _blank(row.huvudman) or not str(row.huvudman).strip():
            problems.append(f"insatsen '{row.insats}' saknar huvudman (kolumnen huvudman)")
        for column in ("huvudman", "samverkan"):
            value = getattr(row, column)
            ids = [] if _blank(value) else split_codes(value)
            for actor in ids:
                if actor in known_set:
                    continue
                hint = _suggestion(actor, known)
                tip = f" Menade du '{hint}'?" if hint else ""
                problems.append(
                    f"insatsen '{row.insats}' anger okänd aktör '{actor}' i kolumnen {column}.{tip}"
                )
    if problems:
        shown = "\n".join(f"  - {p}" for p in problems[:10])
        more = f"\n  (och {len(problems) - 10} till)" if len(problems) > 10 else ""
        raise NetworkModelError(
            f"Samverkansnätverket för {name} ({municipality_code}) kan inte byggas:\n"
            f"{shown}{more}\n"
            f"Rätta kartläggningen (insatser). Kända aktörer: {', '.join(known)}."
        )


def _sspf_ids(codebook: Codebook) -> list[str]:
    return [a.id for a in codebook.actors if a.sspf]


#: How :func:`regional_collaboration` writes a pair of actor ids, and separates pairs.
ID_PAIR_JOIN = "|"
PAIR_SEPARATOR = ";"


def split_pairs(text: object) -> list[tuple[str, str]]:
    """The actor-id pairs of a ``sspf_missing`` cell of :func:`regional_collaboration`."""
    if _blank(text) or not str(text).strip():
        return []
    pairs = [p.split(ID_PAIR_JOIN) for p in str(text).split(PAIR_SEPARATOR)]
    return [(a, b) for a, b in pairs]


def _missing_sspf_pairs(graph: nx.Graph, codebook: Codebook) -> list[tuple[str, str]]:
    """The SSPF actor pairs (codebook order) that share no ongoing intervention."""
    return [
        (a, b)
        for a, b in itertools.combinations(_sspf_ids(codebook), 2)
        if not graph.has_edge(a, b)
    ]


# --- the graph ------------------------------------------------------------------------------


def collaboration_graph(
    insatser: pd.DataFrame, municipality_code: str, codebook: Codebook | None = None
) -> nx.Graph:
    """The municipality's collaboration network from its ongoing interventions.

    Nodes are codebook actor ids, added in codebook order, for the actors that take part in at
    least one ongoing intervention (as huvudman or partner). Node attributes: ``label``
    (Swedish), ``sspf`` (bool) and ``interventions`` (number of ongoing interventions the actor
    takes part in). Every pair of actors of an intervention is linked; the edge attribute
    ``weight`` is the number of ongoing interventions the pair shares. Graph attributes:
    ``municipality_code``, ``municipality`` (name), ``interventions`` (ongoing interventions) and
    ``joint_interventions`` (those with more than one actor).

    Raises NetworkModelError when a row of the municipality (any status) names an actor the
    codebook does not know, or has no huvudman.
    """
    codebook = codebook or load_codebook()
    name = codebook.municipality_name(municipality_code)
    rows = insatser.loc[insatser["kommunkod"] == municipality_code]
    _check_actors(rows, name, municipality_code, codebook)
    ongoing = rows.loc[rows["status"] == ONGOING]

    count: dict[str, int] = {}
    weights: dict[tuple[str, str], int] = {}
    order = {a: i for i, a in enumerate(codebook.ids("actors"))}
    joint = 0
    for row in ongoing.itertuples(index=False):
        actors = sorted(_actors_of(row), key=order.__getitem__)
        joint += len(actors) > 1
        for a in actors:
            count[a] = count.get(a, 0) + 1
        for pair in itertools.combinations(actors, 2):
            weights[pair] = weights.get(pair, 0) + 1

    graph = nx.Graph(
        municipality_code=municipality_code,
        municipality=name,
        interventions=len(ongoing),
        joint_interventions=joint,
    )
    for actor in codebook.actors:
        if actor.id in count:
            graph.add_node(
                actor.id, label=actor.label, sspf=actor.sspf, interventions=count[actor.id]
            )
    for (a, b), w in sorted(weights.items(), key=lambda kv: (order[kv[0][0]], order[kv[0][1]])):
        graph.add_edge(a, b, weight=w)
    return graph


def _order(graph: nx.Graph, codebook: Codebook | None = None) -> dict[str, int]:
    """Position of each node: codebook order when given, else the graph's node order."""
    ids = codebook.ids("actors") if codebook is not None else list(graph.nodes)
    position = {a: i for i, a in enumerate(ids)}
    tail = len(position)
    return {n: position.get(n, tail + i) for i, n in enumerate(graph.nodes)}


def _label(graph: nx.Graph, node: str) -> str:
    return str(graph.nodes[node].get("label", node))


# --- tidy frames ----------------------------------------------------------------------------


def collaboration_edges(graph: nx.Graph, codebook: Codebook | None = None) -> pd.DataFrame:
    """The links of the network, strongest first.

    Columns: ``actor_a``, ``actor_b`` (ids, ``actor_a`` first in codebook order), ``label_a``,
    ``label_b`` (Swedish labels) and ``weight`` (ongoing interventions the pair shares). Sorted
    by weight, descending, then by codebook order of ``actor_a`` and ``actor_b`` (the graph's
    node order, which :func:`collaboration_graph` makes the codebook's, unless ``codebook`` is
    given).
    """
    order = _order(graph, codebook)
    records = []
    for a, b, w in graph.edges(data="weight", default=1):
        if order[b] < order[a]:
            a, b = b, a
        records.append((a, b, _label(graph, a), _label(graph, b), int(w)))
    records.sort(key=lambda r: (-r[4], order[r[0]], order[r[1]]))
    frame = pd.DataFrame(records, columns=["actor_a", "actor_b", "label_a", "label_b", "weight"])
    return frame.astype({"weight": "int64"})


def _degree_centrality(graph: nx.Graph) -> dict[str, float]:
    """networkx's degree centrality, but 0 (not 1) for the lone actor of a one-node graph."""
    if graph.number_of_nodes() <= 1:
        return dict.fromkeys(graph.nodes, 0.0)
    return nx.degree_centrality(graph)


def actor_table(graph: nx.Graph, codebook: Codebook | None = None) -> pd.DataFrame:
    """One row per actor in the network, in codebook order.

    Columns: ``actor`` (id), ``label``, ``sspf`` (bool), ``interventions`` (ongoing
    interventions it takes part in), ``partners`` (degree: actors it shares at least one
    ongoing intervention with), ``joint`` (weighted degree: shared interventions summed over
    its partners), ``degree_centrality`` (partners / (actors − 1); 0 in a one-actor network)
    and ``betweenness`` (normalised betweenness centrality on the unweighted graph).
    """
    codebook = codebook or load_codebook()
    order = _order(graph, codebook)
    degree = _degree_centrality(graph)
    between = nx.betweenness_centrality(graph, weight=None, normalized=True)
    records = [
        {
            "actor": n,
            "label": _label(graph, n),
            "sspf": bool(graph.nodes[n].get("sspf", False)),
            "interventions": int(graph.nodes[n].get("interventions", 0)),
            "partners": int(graph.degree(n)),
            "joint": int(graph.degree(n, weight="weight")),
            "degree_centrality": float(degree[n]),
            "betweenness": float(between[n]),
        }
        for n in sorted(graph.nodes, key=order.__getitem__)
    ]
    columns = [
        "actor",
        "label",
        "sspf",
        "interventions",
        "partners",
        "joint",
        "degree_centrality",
        "betweenness",
    ]
    frame = pd.DataFrame(records, columns=columns)
    return frame.astype(
        {
            "sspf": bool,
            "interventions": "int64",
            "partners": "int64",
            "joint": "int64",
            "degree_centrality": float,
            "betweenness": float,
        }
    )


def ranked_actors(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`actor_table` rows, most central first: degree centrality, then weighted degree
    (``joint``), then the table's own (codebook) order — the rule "most central" means."""
    return table.sort_values(["degree_centrality", "joint"], ascending=False, kind="stable")


# --- measures -------------------------------------------------------------------------------


def collaboration_measures(graph: nx.Graph, codebook: Codebook | None = None) -> dict:
    """The network's summary measures, as a dict.

    Keys: ``actors`` (nodes), ``links`` (edges), ``density`` (unweighted, 0 for fewer than two
    actors), ``isolated`` (labels of actors without links, codebook order), ``sspf_present``
    and ``sspf_missing`` (labels of the SSPF actors in the network and of those in no ongoing
    intervention), ``sspf_pairs`` (pairs among the codebook's SSPF actors: 6),
    ``sspf_links`` (those pairs that share an ongoing intervention), ``sspf_complete``
    (every pair does), ``sspf_missing_pairs`` (the other pairs, as ``(label, label)`` tuples
    in codebook order), ``sspf_weakest_pairs`` and ``sspf_weakest_shared`` (the linked SSPF
    pairs sharing the fewest ongoing interventions, and that number; [] and 0 when no pair
    is linked), ``most_central`` (label, or None when there are no links),
    ``most_central_partners`` (its number of partners, 0 when none), ``interventions`` and
    ``joint_interventions`` (ongoing interventions, and those run by more than one actor;
    None when the graph does not carry them).
    """
    codebook = codebook or load_codebook()
    order = _order(graph, codebook)
    nodes = sorted(graph.nodes, key=order.__getitem__)
    labels = codebook.labels("actors")
    sspf = _sspf_ids(codebook)
    pairs = list(itertools.combinations(sspf, 2))
    linked = [(a, b) for a, b in pairs if graph.has_edge(a, b)]
    missing_pairs = [(labels[a], labels[b]) for a, b in pairs if not graph.has_edge(a, b)]
    weights = {(a, b): int(graph.edges[a, b].get("weight", 1)) for a, b in linked}
    least = min(weights.values(), default=0)
    weakest = [(labels[a], labels[b]) for (a, b), w in weights.items() if w == least]
    table = actor_table(graph, codebook)
    top = ranked_actors(table).head(1)
    has_links = graph.number_of_edges() > 0
    return {
        "actors": graph.number_of_nodes(),
        "links": graph.number_of_edges(),
        "density": float(nx.density(graph)) if graph.number_of_nodes() > 1 else 0.0,
        "isolated": [_label(graph, n) for n in nodes if graph.degree(n) == 0],
        "sspf_present": [labels[a] for a in sspf if a in graph],
        "sspf_missing": [labels[a] for a in sspf if a not in graph],
        "sspf_pairs": len(pairs),
        "sspf_links": len(linked),
        "sspf_complete": bool(pairs) and len(linked) == len(pairs),
        "sspf_missing_pairs": missing_pairs,
        "sspf_weakest_pairs": weakest,
        "sspf_weakest_shared": least,
        "most_central": str(top["label"].iloc[0]) if has_links else None,
        "most_central_partners": int(top["partners"].iloc[0]) if has_links else 0,
        "interventions": graph.graph.get("interventions"),
        "joint_interventions": graph.graph.get("joint_interventions"),
    }


def regional_collaboration(
    insatser: pd.DataFrame, codebook: Codebook | None = None
) -> pd.DataFrame:
    """The collaboration measures of every codebook municipality, one row each (codebook order).

    Columns: ``municipality_code``, ``municipality`` (name), ``interventions`` (ongoing),
    ``actors``, ``links``, ``density``, ``isolated`` (number of isolated actors),
    ``sspf_links``, ``sspf_pairs``, ``sspf_complete``, ``sspf_missing`` (the SSPF pairs without
    a shared ongoing intervention as actor ids, ``"polis|fritid;skola|fritid"``, empty when
    none; :func:`split_pairs` reads it) and ``most_central`` (label, <NA> when the network has
    no links). A municipality without ongoing interventions gets zeros, density
    0, ``sspf_complete`` False and no most central actor.
    """
    codebook = codebook or load_codebook()
    records = []
    for m in codebook.municipalities:
        graph = collaboration_graph(insatser, m.code, codebook)
        measures = collaboration_measures(graph, codebook)
        records.append(
            {
                "municipality_code": m.code,
                "municipality": m.name,
                "interventions": measures["interventions"],
                "actors": measures["actors"],
                "links": measures["links"],
                "density": measures["density"],
                "isolated": len(measures["isolated"]),
                "sspf_links": measures["sspf_links"],
                "sspf_pairs": measures["sspf_pairs"],
                "sspf_complete": measures["sspf_complete"],
                "sspf_missing": PAIR_SEPARATOR.join(
                    f"{a}{ID_PAIR_JOIN}{b}" for a, b in _missing_sspf_pairs(graph, codebook)
                ),
                "most_central": measures["most_central"],
            }
        )
    frame = pd.DataFrame(records)
    return frame.astype(
        {
            "municipality_code": "str",
            "municipality": "str",
            "interventions": "int64",
            "actors": "int64",
            "links": "int64",
            "density": "float64",
            "isolated": "int64",
            "sspf_links": "int64",
            "sspf_pairs": "int64",
            "sspf_complete": "bool",
            "sspf_missing": "str",
            "most_central": "str",
        }
    )


def sspf_pairs(insatser: pd.DataFrame, codebook: Codebook | None = None) -> pd.DataFrame:
    """The SSPF collaboration part by part: one row per municipality and pair of SSPF actors.

    Columns: ``municipality_code``, ``actor_a``, ``actor_b`` (codebook ids, in codebook order)
    and ``shared`` (ongoing interventions the pair runs together; 0 when the pair has none, the
    part of SSPF that is missing). Municipalities and pairs in codebook order: with the four
    SSPF actors, six pairs per municipality.
    """
    codebook = codebook or load_codebook()
    pairs = list(itertools.combinations(_sspf_ids(codebook), 2))
    records = []
    for m in codebook.municipalities:
        graph = collaboration_graph(insatser, m.code, codebook)
        for a, b in pairs:
            shared = int(graph.edges[a, b]["weight"]) if graph.has_edge(a, b) else 0
            records.append((m.code, a, b, shared))
    frame = pd.DataFrame(records, columns=["municipality_code", "actor_a", "actor_b", "shared"])
    return frame.astype({"municipality_code": "str", "shared": "int64"})
