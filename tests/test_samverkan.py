"""The collaboration network (samverkan): graph, measures against hand-computed values, figures."""

from __future__ import annotations

from fractions import Fraction
from io import BytesIO

import networkx as nx
import pandas as pd
import pytest
from matplotlib.figure import Figure
from support import insatser_frame, intervention

from fouanalys import collaboration, config
from fouanalys.chapters import natverk as s
from fouanalys.codebook import load_codebook
from fouanalys.exceptions import NetworkModelError
from fouanalys.ingest import readers
from fouanalys.present import tables

CB = load_codebook()
SSPF = ["skola", "socialtjänst", "polis", "fritid"]


@pytest.fixture(scope="module")
def inventory() -> pd.DataFrame:
    """Hand-made inventory.

    Järfälla (0123), ongoing: A skola+socialtjänst+polis, B socialtjänst+fritid (partner
    repeated and equal to the huvudman), C polis+skola, D fältgrupp alone; not counted: E
    (planned, skola+fritid) and F (ended, bostadsbolag+polis).
    Upplands Väsby (0114): G skola+socialtjänst+polis+fritid, H socialtjänst+polis; planned I
    region+skola. Upplands-Bro (0139): J elevhälsa alone. The other municipalities: nothing.
    """
    return insatser_frame(
        [
            intervention("A", huvudman="skola", samverkan="socialtjänst;polis"),
            intervention("B", huvudman="socialtjänst", samverkan="fritid;socialtjänst;fritid"),
            intervention("C", huvudman="polis", samverkan="skola"),
            intervention("D", huvudman="fältgrupp", samverkan=""),
            intervention("E", huvudman="skola", samverkan="fritid", status="planerad"),
            intervention("F", huvudman="bostadsbolag", samverkan="polis", status="avslutad"),
            intervention(
                "G", kommunkod="0114", huvudman="skola", samverkan="socialtjänst;polis;fritid"
            ),
            intervention("H", kommunkod="0114", huvudman="socialtjänst", samverkan="polis"),
            intervention(
                "I", kommunkod="0114", huvudman="region", samverkan="skola", status="planerad"
            ),
            intervention("J", kommunkod="0139", huvudman="elevhälsa", samverkan=pd.NA),
        ]
    )


@pytest.fixture(scope="module")
def jarfalla(inventory) -> nx.Graph:
    return collaboration.collaboration_graph(inventory, "0123", CB)


@pytest.fixture(scope="module")
def vasby(inventory) -> nx.Graph:
    return collaboration.collaboration_graph(inventory, "0114", CB)


@pytest.fixture(scope="module")
def bro(inventory) -> nx.Graph:
    return collaboration.collaboration_graph(inventory, "0139", CB)


@pytest.fixture(scope="module")
def ekero(inventory) -> nx.Graph:
    return collaboration.collaboration_graph(inventory, "0125", CB)


# --- the graph ------------------------------------------------------------------------------


def test_graph_nodes_in_codebook_order_with_attributes(jarfalla):
    assert list(jarfalla.nodes) == ["skola", "socialtjänst", "polis", "fritid", "fältgrupp"]
    assert {n: d["interventions"] for n, d in jarfalla.nodes(data=True)} == {
        "skola": 2,
        "socialtjänst": 2,
        "polis": 2,
        "fritid": 1,
        "fältgrupp": 1,
    }
    assert jarfalla.nodes["polis"]["label"] == "Polis"
    assert jarfalla.nodes["polis"]["sspf"] is True
    assert jarfalla.nodes["fältgrupp"]["sspf"] is False
    # the ended intervention's huvudman and the planned one's pair do not count
    assert "bostadsbolag" not in jarfalla
    assert not jarfalla.has_edge("skola", "fritid")
    assert jarfalla.graph["interventions"] == 4
    assert jarfalla.graph["joint_interventions"] == 3
    assert jarfalla.graph["municipality"] == "Järfälla"


def test_edges_weights_and_order(jarfalla):
    edges = collaboration.collaboration_edges(jarfalla)
    assert list(edges.columns) == ["actor_a", "actor_b", "label_a", "label_b", "weight"]
    assert list(edges.itertuples(index=False, name=None)) == [
        ("skola", "polis", "Skola", "Polis", 2),
        ("skola", "socialtjänst", "Skola", "Socialtjänst", 1),
        ("socialtjänst", "polis", "Socialtjänst", "Polis", 1),
        ("socialtjänst", "fritid", "Socialtjänst", "Fritid", 1),
    ]
    assert edges["weight"].dtype == "int64"


def test_actor_table_hand_computed(jarfalla):
    table = collaboration.actor_table(jarfalla, CB).set_index("actor")
    assert list(table.index) == ["skola", "socialtjänst", "polis", "fritid", "fältgrupp"]
    assert table["partners"].to_dict() == {
        "skola": 2,
        "socialtjänst": 3,
        "polis": 2,
        "fritid": 1,
        "fältgrupp": 0,
    }
    assert table["joint"].to_dict() == {
        "skola": 3,
        "socialtjänst": 3,
        "polis": 3,
        "fritid": 1,
        "fältgrupp": 0,
    }
    # degree / (n − 1), n = 5
    assert table["degree_centrality"].to_dict() == pytest.approx(
        {"skola": 0.5, "socialtjänst": 0.75, "polis": 0.5, "fritid": 0.25, "fältgrupp": 0.0}
    )
    # socialtjänst lies on the only shortest paths fritid–skola and fritid–polis:
    # 2 pairs / ((n − 1)(n − 2) / 2) = 2 / 6
    assert table["betweenness"].to_dict() == pytest.approx(
        {"skola": 0, "socialtjänst": 1 / 3, "polis": 0, "fritid": 0, "fältgrupp": 0}
    )
    assert table["sspf"].tolist() == [True, True, True, True, False]


def test_measures_incomplete_core(jarfalla):
    m = collaboration.collaboration_measures(jarfalla, CB)
    assert m["actors"] == 5
    assert m["links"] == 4
    assert Fraction(m["density"]).limit_denominator(100) == Fraction(2 * 4, 5 * 4)
    assert m["isolated"] == ["Fältgrupp"]
    assert m["sspf_present"] == ["Skola", "Socialtjänst", "Polis", "Fritid"]
    assert m["sspf_missing"] == []
    assert m["sspf_pairs"] == 6
    assert m["sspf_links"] == 4
    assert m["sspf_complete"] is False
    assert m["sspf_missing_pairs"] == [("Skola", "Fritid"), ("Polis", "Fritid")]
    assert m["most_central"] == "Socialtjänst"
    assert m["most_central_partners"] == 3


def test_measures_complete_core_and_tie_breaks(vasby):
    # edges: skola–socialtjänst, skola–polis, skola–fritid, socialtjänst–fritid, polis–fritid
    # once; socialtjänst–polis twice. All degree centralities are 1; socialtjänst and polis
    # have the largest weighted degree (4), socialtjänst comes first in the codebook.
    m = collaboration.collaboration_measures(vasby, CB)
    assert list(vasby.nodes) == SSPF
    assert vasby["socialtjänst"]["polis"]["weight"] == 2
    assert m["actors"] == 4 and m["links"] == 6
    assert m["density"] == 1.0
    assert m["sspf_links"] == 6
    assert m["sspf_complete"] is True
    assert m["sspf_missing_pairs"] == []
    assert m["sspf_weakest_shared"] == 1 and len(m["sspf_weakest_pairs"]) == 5
    assert ("Socialtjänst", "Polis") not in m["sspf_weakest_pairs"]
    assert m["isolated"] == []
    assert m["most_central"] == "Socialtjänst"
    table = collaboration.actor_table(vasby, CB).set_index("actor")
    assert table["joint"].to_dict() == {"skola": 3, "socialtjänst": 4, "polis": 4, "fritid": 3}
    assert "region" not in vasby  # only in a planned intervention


def test_most_central_prefers_weighted_degree_over_codebook_order():
    frame = insatser_frame(
        [
            intervention("X", huvudman="skola", samverkan="fritid"),
            intervention("Y", huvudman="polis", samverkan="fritid"),
            intervention("Z", huvudman="polis", samverkan="fritid"),
        ]
    )
    m = collaboration.collaboration_measures(
        collaboration.collaboration_graph(frame, "0123", CB), CB
    )
    # fritid: 2 partners; skola, polis: 1 each, polis with weight 2 > skola's 1
    assert m["most_central"] == "Fritid"
    table = s.actor_display_table(collaboration.collaboration_graph(frame, "0123", CB), CB)
    assert table["Aktör"].tolist() == ["Fritid", "Polis", "Skola"]


def test_single_actor_network(bro):
    m = collaboration.collaboration_measures(bro, CB)
    assert m["actors"] == 1 and m["links"] == 0
    assert m["density"] == 0.0
    assert m["isolated"] == ["Elevhälsa"]
    assert m["sspf_missing"] == ["Skola", "Socialtjänst", "Polis", "Fritid"]
    assert m["sspf_links"] == 0 and m["sspf_complete"] is False
    assert m["most_central"] is None
    # networkx says 1 for a lone node; a lone actor has no partners, so 0
    assert collaboration.actor_table(bro, CB)["degree_centrality"].tolist() == [0.0]


def test_empty_network(ekero):
    assert ekero.number_of_nodes() == 0
    m = collaboration.collaboration_measures(ekero, CB)
    assert (m["actors"], m["links"], m["density"], m["sspf_links"]) == (0, 0, 0.0, 0)
    assert m["most_central"] is None
    assert len(m["sspf_missing_pairs"]) == 6
    assert collaboration.collaboration_edges(ekero).empty
    assert list(collaboration.actor_table(ekero, CB).columns) == [
        "actor",
        "label",
        "sspf",
        "interventions",
        "partners",
        "joint",
        "degree_centrality",
        "betweenness",
    ]


# --- display tables and sentences -----------------------------------------------------------


def test_actor_display_table(jarfalla):
    table = s.actor_display_table(jarfalla, CB)
    assert list(table.columns) == [
        "Aktör",
        "SSPF",
        "Pågående insatser",
        "Samverkanspartner",
        "Samverkan totalt",
        "Gradcentralitet",
        "Mellancentralitet",
    ]
    assert set(s.ACTOR_TABLE_NUMERIC) <= set(table.columns)
    assert table["Aktör"].tolist() == ["Socialtjänst", "Skola", "Polis", "Fritid", "Fältgrupp"]
    first = table.iloc[0].tolist()
    assert first == ["Socialtjänst", "ja", "2", "3", "3", "0,75", "0,33"]
    assert table.iloc[-1]["SSPF"] == ""
    html = tables.table(table, "Aktörer", numeric=s.ACTOR_TABLE_NUMERIC)._repr_html_()
    assert "0,75" in html and "Socialtjänst" in html


def test_edge_display_table(jarfalla):
    table = s.edge_display_table(jarfalla, CB, top=2)
    assert table.to_dict("list") == {
        "Aktörer": ["Skola–Polis", "Skola–Socialtjänst"],
        "Gemensamma pågående insatser": ["2", "1"],
    }


def test_sentences_incomplete_core(jarfalla):
    text = s.collaboration_sentences(collaboration.collaboration_measures(jarfalla, CB), "Järfälla")
    assert text == [
        "Samverkan i Järfälla binder ihop 5 aktörer med 4 samverkanslänkar (täthet 0,40); "
        "3 av de 4 pågående insatserna drivs av flera aktörer tillsammans.",
        "4 av SSPF-kärnans sex par samverkar; Skola–Fritid och Polis–Fritid har ingen "
        "gemensam pågående insats.",
        "Fältgrupp driver pågående insatser på egen hand, utan samverkanspartner.",
        "Mest central är Socialtjänst, som har gemensamma insatser med 3 av de 4 andra aktörerna.",
    ]


def test_sentences_complete_core(vasby):
    text = s.collaboration_sentences(
        collaboration.collaboration_measures(vasby, CB), "Upplands Väsby"
    )
    assert text[0] == (
        "Samverkan i Upplands Väsby binder ihop 4 aktörer med 6 samverkanslänkar (täthet "
        "1,00); alla 2 pågående insatser drivs av flera aktörer tillsammans."
    )
    # by hand: G links all six pairs once, H adds socialtjänst–polis: the other five are weakest
    assert text[1] == (
        "Alla fyra SSPF-aktörer samverkar parvis i minst en pågående insats; svagast är "
        "Skola–Socialtjänst, Skola–Polis, Skola–Fritid, Socialtjänst–Fritid och Polis–Fritid "
        "med 1 gemensam insats var."
    )
    assert text[2] == (
        "Mest central är Socialtjänst, som har gemensamma insatser med alla 3 andra aktörer."
    )
    assert len(text) == 3


@pytest.mark.parametrize("code", ["0139", "0125"])
def test_sentences_small_networks(inventory, code):
    m = collaboration.collaboration_measures(
        collaboration.collaboration_graph(inventory, code, CB), CB
    )
    name = CB.municipality_name(code)
    text = s.collaboration_sentences(m, name)
    assert 2 <= len(text) <= 4
    assert name in text[0]
    joined = " ".join(text)
    if code == "0139":
        assert "en enda aktör, Elevhälsa" in joined
        assert "Skola, Socialtjänst, Polis och Fritid deltar inte" in joined
        assert "inget av SSPF-kärnans sex par samverkar" in joined
    else:
        assert "inga pågående insatser" in joined


def test_sentences_missing_sspf_actor_and_pairs():
    frame = insatser_frame(
        [
            intervention("X", huvudman="skola", samverkan="socialtjänst;elevhälsa"),
            intervention("Y", huvudman="fritid", samverkan="elevhälsa"),
        ]
    )
    m = collaboration.collaboration_measures(
        collaboration.collaboration_graph(frame, "0123", CB), CB
    )
    assert m["sspf_missing"] == ["Polis"]
    assert m["sspf_links"] == 1
    text = s.collaboration_sentences(m, "Järfälla")
    assert text[1] == (
        "SSPF-kärnan är inte komplett: Polis deltar inte i någon pågående insats, och 1 av "
        "SSPF-kärnans sex par samverkar; även Skola–Fritid och Socialtjänst–Fritid saknar "
        "gemensam insats."
    )


# --- regional comparison --------------------------------------------------------------------


def test_regional_collaboration(inventory):
    frame = collaboration.regional_collaboration(inventory, CB)
    assert frame["municipality_code"].tolist() == CB.municipality_codes
    assert {
        "municipality_code",
        "municipality",
        "actors",
        "links",
        "density",
        "isolated",
        "sspf_links",
        "sspf_complete",
        "most_central",
    } <= set(frame.columns)
    rows = frame.set_index("municipality_code")
    assert rows.loc["0123", ["actors", "links", "isolated", "sspf_links"]].tolist() == [5, 4, 1, 4]
    assert rows.loc["0123", "density"] == pytest.approx(0.4)
    assert not rows.loc["0123", "sspf_complete"]
    assert rows.loc["0123", "most_central"] == "Socialtjänst"
    assert rows.loc["0114", ["actors", "links", "sspf_links"]].tolist() == [4, 6, 6]
    assert rows.loc["0114", "sspf_complete"]
    assert rows.loc["0139", ["actors", "links", "isolated"]].tolist() == [1, 0, 1]
    assert pd.isna(rows.loc["0139", "most_central"])
    empty = rows.loc["0125"]
    assert empty[["interventions", "actors", "links", "isolated", "sspf_links"]].tolist() == [0] * 5
    assert empty["density"] == 0.0 and not empty["sspf_complete"]
    assert pd.isna(empty["most_central"])
    assert rows.loc["0125", "municipality"] == "Ekerö"


# --- bad input ------------------------------------------------------------------------------


def test_unknown_partner_names_municipality_intervention_actor_and_suggestion(inventory):
    bad = pd.concat(
        [inventory, insatser_frame([intervention("Trygg skolväg", samverkan="skola;polisen")])],
        ignore_index=True,
    )
    with pytest.raises(NetworkModelError) as err:
        collaboration.collaboration_graph(bad, "0123", CB)
    message = str(err.value)
    assert "Järfälla" in message and "0123" in message
    assert "Trygg skolväg" in message
    assert "'polisen'" in message
    assert "Menade du 'polis'?" in message
    assert "samverkan" in message
    # other municipalities are not affected by Järfälla's error
    assert collaboration.collaboration_graph(bad, "0114", CB).number_of_nodes() == 4
    with pytest.raises(NetworkModelError):
        collaboration.regional_collaboration(bad, CB)


def test_unknown_huvudman_folded_spelling_suggests_codebook_id():
    frame = insatser_frame([intervention("Stöd", huvudman="Socialtjanst", status="planerad")])
    with pytest.raises(NetworkModelError, match="Menade du 'socialtjänst'") as err:
        collaboration.collaboration_graph(frame, "0123", CB)
    assert "huvudman" in str(err.value) and "'Socialtjanst'" in str(err.value)


def test_unknown_actor_without_close_match_lists_known_actors():
    frame = insatser_frame([intervention("Q", samverkan="xyzzy")])
    with pytest.raises(NetworkModelError) as err:
        collaboration.collaboration_graph(frame, "0123", CB)
    assert "Menade du" not in str(err.value)
    assert "Kända aktörer: skola, socialtjänst" in str(err.value)


# --- figures --------------------------------------------------------------------------------


def _texts(fig: Figure, gid: str) -> list:
    return [t for ax in fig.axes for t in ax.texts if t.get_gid() == gid]


def _lines(fig: Figure, gid: str) -> list:
    return [ln for ax in fig.axes for ln in ax.lines if ln.get_gid() == gid]


def _cells(fig: Figure, gid: str) -> dict[tuple[int, int], str]:
    """The texts of a matrix figure's cells with ``gid``, by (row, column)."""
    return {
        (round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
        for t in _texts(fig, gid)
    }


def test_collaboration_figure_is_a_matrix_of_who_works_with_whom(jarfalla):
    fig = s.collaboration_figure(jarfalla, CB)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows == ["1 Skola", "2 Socialtjänst", "3 Polis", "4 Fritid", "5 Fältgrupp"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3", "4", "5"]
    # by hand: A skola+socialtjänst+polis, B socialtjänst+fritid, C polis+skola, D fältgrupp
    expected = {(0, 1): "1", (0, 2): "2", (1, 2): "1", (1, 3): "1"}
    expected |= {(j, i): w for (i, j), w in expected.items()}  # a row reads every partner
    assert _cells(fig, "shared") == expected
    missing = {(0, 3), (3, 0), (2, 3), (3, 2)}  # skola–fritid and polis–fritid
    assert _cells(fig, "sspf-missing") == dict.fromkeys(missing, "saknas")
    # the diagonal: ongoing interventions each actor takes part in
    assert _cells(fig, "diagonal") == {
        (0, 0): "2",
        (1, 1): "2",
        (2, 2): "2",
        (3, 3): "1",
        (4, 4): "1",
    }
    frame = [p for p in ax.patches if p.get_gid() == "sspf-block"]
    assert len(frame) == 1 and (frame[0].get_width(), frame[0].get_height()) == (4, 4)
    bold = {t.get_text(): t.get_fontweight() for t in ax.get_yticklabels()}
    assert bold["1 Skola"] == "bold" and bold["5 Fältgrupp"] == "normal"
    absent = [a.label for a in CB.actors][5:]
    assert all(label in fig.get_supxlabel().replace("\n", " ") for label in absent[:1])
    assert "Järfälla" in fig._suptitle.get_text()


@pytest.mark.parametrize("code, rows", [("0125", 0), ("0139", 1)])
def test_collaboration_figure_empty_and_single_actor(inventory, code, rows):
    graph = collaboration.collaboration_graph(inventory, code, CB)
    fig = s.collaboration_figure(graph, CB)
    assert len(_texts(fig, "diagonal")) == rows
    assert not _texts(fig, "shared")
    assert len(_texts(fig, "empty")) == (1 if rows == 0 else 0)
    fig.savefig(BytesIO(), format="png")  # draws without error


def test_comparison_figure(inventory):
    regional = collaboration.regional_collaboration(inventory, CB)
    fig = s.collaboration_comparison_figure(regional, "0123")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2
    current = [p for ax in fig.axes for p in ax.patches if p.get_gid() == "bar-current"]
    others = [p for ax in fig.axes for p in ax.patches if p.get_gid() == "bar-other"]
    assert len(current) == 2 and len(others) == 2 * (len(CB.municipalities) - 1)
    # Järfälla: 5 actors, 4 of 10 possible links
    assert [b.get_width() for b in current] == pytest.approx([5, 0.4])
    # the mean of the municipalities with interventions, by hand: Järfälla 5 actors and
    # density 0,4; Upplands Väsby 4 and 1 (all six pairs); Upplands-Bro 1 and 0
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles == ["Aktörer i nätverket\n(medel 3,3)", "Täthet (0–1)\n(medel 0,47)"]
    assert not [ln for ax in fig.axes for ln in ax.lines if ln.get_gid() == "mean"]
    ticks = {t.get_text(): t.get_fontweight() for t in fig.axes[0].get_yticklabels()}
    assert ticks["Järfälla"] == "bold" and ticks["Solna"] == "normal"
    values = [t.get_text() for t in _texts(fig, "value")]
    assert "0,40" in values and values.count("inga insatser") == 2 * 5
    assert s.collaboration_comparison_figure(regional) is not None
    with pytest.raises(NetworkModelError, match="9999"):
        s.collaboration_comparison_figure(regional, "9999")


def test_sspf_pairs_and_their_figure(inventory):
    pairs = collaboration.sspf_pairs(inventory, CB)
    assert len(pairs) == 6 * len(CB.municipalities)
    shared = pairs.set_index(["municipality_code", "actor_a", "actor_b"])["shared"]
    # by hand: Järfälla A (skola, socialtjänst, polis), B (socialtjänst, fritid), C (polis,
    # skola); Upplands Väsby G (all four) and H (socialtjänst, polis)
    assert shared["0123"].to_dict() == {
        ("skola", "socialtjänst"): 1,
        ("skola", "polis"): 2,
        ("skola", "fritid"): 0,
        ("socialtjänst", "polis"): 1,
        ("socialtjänst", "fritid"): 1,
        ("polis", "fritid"): 0,
    }
    assert shared["0114"].tolist() == [1, 1, 1, 2, 1, 1]
    assert (shared["0125"] == 0).all()
    regional = collaboration.regional_collaboration(inventory, CB).set_index("municipality_code")
    assert collaboration.split_pairs(regional.loc["0123", "sspf_missing"]) == [
        ("skola", "fritid"),
        ("polis", "fritid"),
    ]
    assert regional.loc["0114", "sspf_missing"] == ""

    fig = s.sspf_pair_figure(pairs, CB, "0123")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "Skola–\nSocialtjänst",
        "Skola–\nPolis",
        "Skola–\nFritid",
        "Socialtjänst–\nPolis",
        "Socialtjänst–\nFritid",
        "Polis–\nFritid",
    ]
    cells = _cells(fig, "shared")
    row = [m.code for m in CB.municipalities].index("0123")
    assert {j: cells.get((row, j)) for j in range(6)} == {
        0: "1",
        1: "2",
        2: None,
        3: "1",
        4: "1",
        5: None,
    }
    missing = _cells(fig, "sspf-missing")
    assert missing[(row, 2)] == missing[(row, 5)] == "saknas"
    assert len(missing) == 2 + 6 * (len(CB.municipalities) - 2)  # Väsby has every pair
    frame = [p for p in ax.patches if p.get_gid() == "current"]
    assert len(frame) == 1 and frame[0].get_y() == pytest.approx(row - 0.5)
    with pytest.raises(NetworkModelError, match="9999"):
        s.sspf_pair_figure(pairs, CB, "9999")


# --- the example data -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def example() -> pd.DataFrame:
    path = readers.find_input(config.EXAMPLE_DATA_DIR, "insatser")
    return readers.to_typed(readers.read_raw(path, "insatser", CB), "insatser", CB)


def _pair_counts(insatser: pd.DataFrame, kommunkod: str) -> dict[tuple[str, str], int]:
    """Shared ongoing interventions per actor pair, by pandas alone (independent of the graph)."""
    rows = insatser.loc[(insatser["kommunkod"] == kommunkod) & (insatser["status"] == "pågående")]
    long = pd.concat(
        [
            rows[["insats", "huvudman"]].rename(columns={"huvudman": "actor"}),
            rows.assign(actor=rows["samverkan"].str.split(";"))
            .explode("actor")[["insats", "actor"]]
            .dropna(),
        ]
    )
    long = long.loc[long["actor"].str.strip() != ""].drop_duplicates()
    pairs = long.merge(long, on="insats").query("actor_x < actor_y")
    counts = pairs.groupby(["actor_x", "actor_y"]).size()
    return {tuple(k): int(v) for k, v in counts.items()}


@pytest.mark.parametrize("code", CB.municipality_codes)
def test_example_every_municipality(example, code):
    graph = collaboration.collaboration_graph(example, code, CB)
    edges = collaboration.collaboration_edges(graph)
    got = {tuple(sorted((a, b))): w for a, b, w in edges[["actor_a", "actor_b", "weight"]].values}
    assert got == _pair_counts(example, code)
    m = collaboration.collaboration_measures(graph, CB)
    n = m["actors"]
    assert n > 0
    assert m["density"] == pytest.approx(2 * m["links"] / (n * (n - 1)))
    table = collaboration.actor_table(graph, CB)
    assert table["partners"].sum() == 2 * m["links"]
    assert table["joint"].sum() == 2 * edges["weight"].sum()
    assert 0 <= m["sspf_links"] <= 6
    assert m["sspf_complete"] == (m["sspf_links"] == 6)
    text = s.collaboration_sentences(m, CB.municipality_name(code))
    assert 2 <= len(text) <= 4
    assert all("," in t or "." in t for t in text)


def test_example_regional_and_figures(example):
    regional = collaboration.regional_collaboration(example, CB)
    assert len(regional) == len(CB.municipalities)
    assert (regional["actors"] > 0).all()
    assert regional["density"].between(0, 1).all()
    graph = collaboration.collaboration_graph(example, "0123", CB)
    fig = s.collaboration_figure(graph, CB)
    ids = [a.id for a in CB.actors if a.id in graph]
    cells = _cells(fig, "shared")
    # every cell is the pair's count of shared ongoing interventions, by pandas alone
    by_hand = _pair_counts(example, "0123")
    expected = {}
    for (a, b), w in by_hand.items():
        i, j = ids.index(a), ids.index(b)
        expected[(i, j)] = expected[(j, i)] = str(w)
    assert cells == expected
    assert isinstance(s.collaboration_comparison_figure(regional, "0123"), Figure)
    # the SSPF parts, by pandas alone, for every municipality
    pairs = collaboration.sspf_pairs(example, CB)
    for code in CB.municipality_codes:
        counts = _pair_counts(example, code)
        part = pairs.loc[pairs["municipality_code"] == code]
        for a, b, n in part[["actor_a", "actor_b", "shared"]].itertuples(index=False):
            assert n == counts.get(tuple(sorted((a, b))), 0), (code, a, b)
    assert isinstance(s.sspf_pair_figure(pairs, CB, "0123"), Figure)
