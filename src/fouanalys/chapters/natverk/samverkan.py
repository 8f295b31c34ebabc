"""The municipality's collaboration network (*samverkan*), from the inventory of interventions.

Pure functions over the typed ``insatser`` frame: a :mod:`networkx` graph of the actors who run
the municipality's ongoing interventions, tidy frames and measures computed from it, display
frames with Swedish headers, and plain Swedish sentences for chapter 05 (*Nätverksdynamik och
samverkan*) and the regional overview. The drawings are in :mod:`fouanalys.chapters.natverk.figures`
(``collaboration_figure``, ``collaboration_comparison_figure``).

Decisions (the chapter's text relies on them):

- Only ongoing interventions (``status == "pågående"``) count, as in the coverage tables.
- An intervention's actors are its ``huvudman`` plus its ``samverkan`` partners, without
  repeats (a partner equal to the huvudman is ignored). Every pair of an intervention's actors
  is linked, since they work together in it; an edge's ``weight`` is the number of ongoing
  interventions the pair shares.
- Nodes are the codebook actors that take part in at least one ongoing intervention of the
  municipality, as huvudman or partner, in codebook order. An *isolated* actor is a node
  without links: it runs its interventions alone. SSPF actors (codebook ``sspf: true``) that
  take part in nothing are reported apart, as missing from the inventory.
- Density is :func:`networkx.density` of the unweighted graph, 2L / n(n − 1), 0 for n < 2.
- Centrality: degree centrality (:func:`networkx.degree_centrality`, set to 0 for a graph of
  one actor, where networkx says 1), weighted degree (the sum of the actor's edge weights:
  its joint interventions counted once per partner) and betweenness centrality on the
  *unweighted* graph (normalised). The most central actor has the highest degree centrality,
  ties broken by weighted degree, then by codebook order; a graph without links has none.
- The SSPF core (skola, socialtjänst, polis, fritid) is fully linked when every pair of SSPF
  actors shares at least one ongoing intervention.

Every actor id in the municipality's rows (any status) must be a codebook actor; an unknown
one raises :class:`~fouanalys.exceptions.NetworkModelError` naming the municipality, the
intervention and the actor, with the closest codebook id as a suggestion.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx
import pandas as pd

from fouanalys.codebook import Codebook
from fouanalys.collaboration import actor_table, collaboration_edges, ranked_actors
from fouanalys.present.text import (
    MISSING,
    format_number,
    is_missing,
    join_words,
    markdown_safe,
    number_word,
    plural,
)

#: Joins the two labels of an actor pair in text: "Skola–Polis".
PAIR_JOIN = "–"
#: Numeric columns of :func:`actor_display_table` and :func:`edge_display_table`
#: (for ``table(..., numeric=...)``, which right-aligns them).
ACTOR_TABLE_NUMERIC = (
    "Pågående insatser",
    "Samverkanspartner",
    "Samverkan totalt",
    "Gradcentralitet",
    "Mellancentralitet",
)
EDGE_TABLE_NUMERIC = ("Gemensamma pågående insatser",)
#: Note for :func:`actor_display_table` (explains the columns a reader may not know).
ACTOR_TABLE_NOTE = (
    "Samverkanspartner: antal andra aktörer som aktören har minst en gemensam pågående insats "
    "med. Samverkan totalt: gemensamma pågående insatser summerade över alla partner (en insats "
    "med tre partner räknas tre gånger). Gradcentralitet: andelen av nätverkets övriga aktörer "
    "som är partner (0–1). Mellancentralitet: hur ofta aktören ligger på den kortaste vägen "
    "mellan två andra aktörer (0–1, utan hänsyn till länkarnas vikt)."
)
# --- helpers ---------------------------------------------------------------------------------


def actor_display_table(graph: nx.Graph, codebook: Codebook | None = None) -> pd.DataFrame:
    """The actors of the network as a display frame, most central first.

    Columns (text): ``Aktör``, ``SSPF`` ("ja" or ""), ``Pågående insatser``,
    ``Samverkanspartner``, ``Samverkan totalt``, ``Gradcentralitet`` and ``Mellancentralitet``
    (two decimals, decimal comma). Rows ordered as the most-central rule: degree centrality,
    then weighted degree, then codebook order. Show it with
    ``table(df, caption, note=ACTOR_TABLE_NOTE, numeric=ACTOR_TABLE_NUMERIC)``.
    """
    table = ranked_actors(actor_table(graph, codebook))
    out = pd.DataFrame(
        {
            "Aktör": table["label"],
            "SSPF": ["ja" if s else "" for s in table["sspf"]],
            "Pågående insatser": [str(v) for v in table["interventions"]],
            "Samverkanspartner": [str(v) for v in table["partners"]],
            "Samverkan totalt": [str(v) for v in table["joint"]],
            "Gradcentralitet": [format_number(v, 2) for v in table["degree_centrality"]],
            "Mellancentralitet": [format_number(v, 2) for v in table["betweenness"]],
        },
        dtype=object,
    )
    return out.reset_index(drop=True)


def edge_display_table(
    graph: nx.Graph, codebook: Codebook | None = None, top: int | None = None
) -> pd.DataFrame:
    """The links as a display frame, strongest first (the ``top`` strongest when given).

    Columns (text): ``Aktörer`` ("Skola–Polis") and ``Gemensamma pågående insatser``.
    """
    edges = collaboration_edges(graph, codebook)
    if top is not None:
        edges = edges.head(top)
    return pd.DataFrame(
        {
            "Aktörer": [
                f"{a}{PAIR_JOIN}{b}"
                for a, b in zip(edges["label_a"], edges["label_b"], strict=True)
            ],
            "Gemensamma pågående insatser": [str(w) for w in edges["weight"]],
        },
        dtype=object,
    )


# --- sentences ------------------------------------------------------------------------------


def _pairs_text(pairs: Iterable[tuple[str, str]]) -> str:
    return join_words([f"{a}{PAIR_JOIN}{b}" for a, b in pairs])


def _sspf_sentence(m: dict) -> str:
    total, linked = m["sspf_pairs"], m["sspf_links"]
    present = set(m["sspf_present"])
    n_sspf = len(m["sspf_present"]) + len(m["sspf_missing"])
    if m["sspf_complete"]:
        text = (
            f"Alla {number_word(n_sspf)} SSPF-aktörer samverkar parvis i minst en pågående insats"
        )
        weakest, least = m.get("sspf_weakest_pairs") or [], m.get("sspf_weakest_shared", 0)
        if weakest and len(weakest) < total:
            each = " var" if len(weakest) > 1 else ""
            text += (
                f"; svagast är {_pairs_text(weakest)} med "
                f"{plural(least, 'gemensam insats', 'gemensamma insatser')}{each}"
            )
        return text + "."
    among_present = [p for p in m["sspf_missing_pairs"] if p[0] in present and p[1] in present]
    count = "inget" if linked == 0 else str(linked)
    core = f"{count} av SSPF-kärnans {number_word(total)} par samverkar"
    if m["sspf_missing"]:
        text = (
            f"SSPF-kärnan är inte komplett: {join_words(m['sspf_missing'])} deltar inte i någon "
            f"pågående insats, och {core}"
        )
        if among_present:
            text += f"; även {_pairs_text(among_present)} saknar gemensam insats"
        return text + "."
    return (
        f"{core[0].upper()}{core[1:]}; {_pairs_text(among_present)} har ingen gemensam "
        "pågående insats."
    )


def collaboration_sentences(measures: dict, municipality_name: str) -> list[str]:
    """Two to four plain Swedish sentences on the network, from :func:`collaboration_measures`.

    1. Its size: "Samverkan i Järfälla binder ihop 9 aktörer med 17 samverkanslänkar (täthet
       0,47)", with how many ongoing interventions are run jointly when the measures say.
    2. The SSPF core: fully linked, or how many of its pairs are and which are missing, and
       which SSPF actors take part in no ongoing intervention.
    3. The isolated actors, named (when there are any).
    4. The most central actor and its number of partners (when there are links).

    With no ongoing intervention, or a single actor, fewer sentences say so. Numbers use a
    decimal comma; sentences are HTML-escaped for Markdown.
    """
    m = measures
    name = municipality_name
    actors, links = m["actors"], m["links"]
    if actors == 0:
        return [
            markdown_safe(
                f"{name} har inga pågående insatser i kartläggningen, så det finns inget "
                "samverkansnätverk att beskriva."
            ),
            markdown_safe(
                f"Ingen av SSPF-aktörerna ({join_words(m['sspf_missing']).lower()}) deltar i "
                "någon pågående insats."
            ),
        ]
    joint = m.get("joint_interventions")
    total = m.get("interventions")
    if actors == 1:
        only = m["isolated"][0] if m["isolated"] else ""
        first = f"I {name} drivs alla pågående insatser av en enda aktör, {only}, utan samverkan."
    elif links == 0:
        first = (
            f"I {name} driver {actors} aktörer pågående insatser, men ingen insats görs i "
            "samverkan mellan dem."
        )
    else:
        first = (
            f"Samverkan i {name} binder ihop {actors} aktörer med "
            f"{plural(links, 'samverkanslänk', 'samverkanslänkar')} "
            f"(täthet {format_density(m['density'])})"
        )
        if joint is not None and total:
            if total == 1:
                first += "; den enda pågående insatsen drivs av flera aktörer tillsammans"
            elif joint == total:
                first += f"; alla {total} pågående insatser drivs av flera aktörer tillsammans"
            else:
                first += (
                    f"; {joint} av de {total} pågående insatserna drivs av flera aktörer "
                    "tillsammans"
                )
        first += "."
    sentences = [first, _sspf_sentence(m)]
    if m["isolated"] and actors > 1:
        sentences.append(
            f"{join_words(m['isolated'])} driver pågående insatser på egen hand, "
            "utan samverkanspartner."
        )
    if m["most_central"] is not None:
        others = actors - 1
        partners = m["most_central_partners"]
        if others == 1:
            tail = "den enda andra aktören"
        elif partners == others:
            tail = f"alla {others} andra aktörer"
        else:
            tail = f"{partners} av de {others} andra aktörerna"
        sentences.append(
            f"Mest central är {m['most_central']}, som har gemensamma insatser med {tail}."
        )
    return [markdown_safe(s) for s in sentences]


def format_density(value: object) -> str:
    """A density with two decimals and a decimal comma (``"0,47"``), "saknas" when missing
    ("–" is kept for suppressed values)."""
    return MISSING if is_missing(value) else format_number(value, 2)
