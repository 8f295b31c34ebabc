"""Chapter 03, Insatser längs livsförloppet: display frames, sentences and the notebook."""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from support import insatser_frame, intervention, run_chapter, synthetic_manifest

from fouanalys.chapters import insatser as k
from fouanalys.codebook import load_codebook
from fouanalys.config import NOTEBOOKS_DIR
from fouanalys.present import labels, tables
from fouanalys.present import text as fa_text

CHAPTER = NOTEBOOKS_DIR / "03_insatser.ipynb"
CB = load_codebook()
NB = "\u00a0"  # no-break space
WJ = "\u2060"  # word joiner
TS = "\u202f"  # narrow no-break space between thousands
STAGES = ["0-5", "6-12", "13-15", "16-18", "19-25"]
LEVELS = ["förebygga", "förhindra", "riskreducera"]
EVIL = "Familjestöd <script>alert(1)</script> & co"


# --- hand-made frames in the contract shapes --------------------------------------------------


@pytest.fixture(scope="module")
def insatser() -> pd.DataFrame:
    """Five interventions in Järfälla (three ongoing, one planned, one ended), one elsewhere."""
    return insatser_frame(
        [
            intervention(
                EVIL,
                huvudman="barnhälsovård",
                faktorer="foraldrastod;bristande_tillsyn",
                kunskapslage="evidensbaserad",
                deltagare_per_ar=200,
                kommentar="Bra & <b>viktig</b>",
            ),
            intervention(
                "Skolprogram",
                huvudman="skola",
                inriktning="selektiv",
                alder_fran=6,
                alder_till=15,
                faktorer="skolmisslyckande",
                push_pull="utbildning;uttrakning",
                deltagare_per_ar=pd.NA,
            ),
            intervention(
                "Avhopp",
                niva="riskreducera",
                inriktning="indikerad",
                alder_fran=15,
                alder_till=25,
                faktorer="kamrater_normbrott",
                push_pull="natverkskontakter;pengar",
                kunskapslage="lovande",
                deltagare_per_ar=10,
            ),
            intervention(
                "Fältare",
                huvudman="fältgrupp",
                niva="förhindra",
                inriktning="selektiv",
                alder_fran=12,
                alder_till=20,
                faktorer="kamrater_normbrott",
                push_pull="identitet",
                kunskapslage="ej bedömd",
                deltagare_per_ar=50,
                status="planerad",
            ),
            intervention(
                "Gammal insats",
                huvudman="skola",
                alder_fran=13,
                alder_till=18,
                faktorer="impulsivitet",
                push_pull="spanning",
                kunskapslage="evidensbaserad",
                deltagare_per_ar=pd.NA,
                status="avslutad",
            ),
            intervention("Annan kommuns insats", kommunkod="0114", push_pull="makt"),
        ]
    )


def grid(dim: str, values: list[str], cells: dict, kommunkod: str = "0123") -> pd.DataFrame:
    """A coverage grid (contract columns) with ``cells[(value, stage)]`` overriding zeros."""
    rows = []
    for value in values:
        for stage in STAGES:
            row = {
                "municipality_code": kommunkod,
                "stage": stage,
                dim: value,
                "interventions": 0,
                "with_participants": 0,
                "without_participants": 0,
                "participants": pd.NA,
                "population": 1000,
                "reach_per_1000": pd.NA,
                "reach_complete": True,
                "planned": 0,
                "best_knowledge": None,
            }
            row.update(cells.get((value, stage), {}))
            rows.append(row)
    frame = pd.DataFrame(rows)
    for col in ("interventions", "with_participants", "without_participants", "population"):
        frame[col] = frame[col].astype("Int64")
    frame["planned"] = frame["planned"].astype("Int64")
    for col in ("participants", "reach_per_1000"):
        frame[col] = frame[col].astype("Float64")
    return frame


def gap_row(factor: str, stage: str, status: str, rank: int, **kw) -> dict:
    row = {
        "municipality_code": "0123",
        "factor": factor,
        "kind": CB.index(factor).kind,
        "year": 2024,
        "stage": stage,
        "rank": rank,
        "interventions": 0 if status == "saknas" else 2,
        "participants": pd.NA,
        "reach_per_1000": pd.NA,
        "unknown_reach": 0,
        "best_knowledge": None,
        "status": status,
    }
    row.update(kw)
    return row


def gaps_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame["rank"] = frame["rank"].astype("Int64")
    return frame


@pytest.fixture(scope="module")
def gaps() -> pd.DataFrame:
    return gaps_frame(
        [
            gap_row("kamrater_normbrott", "13-15", "saknas", 2),
            gap_row("skolmisslyckande", "6-12", "tunn", 1, reach_per_1000=8.04),
            gap_row("kamrater_normbrott", "19-25", "okänd", 2, unknown_reach=2),
            gap_row("skolmisslyckande", "16-18", "saknas", 1),
            gap_row("skolmisslyckande", "13-15", "saknas", 1),
            gap_row("kamrater_normbrott", "16-18", "finns", 2),
            gap_row("impulsivitet", "13-15", "saknas", 1, municipality_code="0114"),
        ]
    )


# --- formatting -------------------------------------------------------------------------------


def test_number_formats():
    assert [fa_text.format_number(v) for v in (0, 2.5, 2393, 12105.4, None)] == [
        "0",
        "3",
        f"2{TS}393",
        f"12{TS}105",
        "–",
    ]
    assert fa_text.format_participants(pd.NA) == "okänt"
    assert fa_text.format_participants(1500) == f"1{TS}500"
    reach = [None, 0, 0.04, 2.54, 9.94, 9.96, 123.5, 1022.4]
    assert [fa_text.format_reach(v) for v in reach] == [
        "okänd",
        "0",
        "<0,1",
        "2,5",
        "9,9",
        "10",
        "124",
        f"1{TS}022",
    ]


def test_ages_and_stages():
    assert labels.age_span(13, 15) == f"13–15{NB}år"
    assert labels.age_span(4, 4) == f"4{NB}år"
    assert labels.age_span(pd.NA, 4) == "okänt"  # unknown ages, not a suppressed value
    assert labels.stage_label("13-15", CB) == f"Högstadium (13–15{NB}år)"
    assert labels.stage_label("0-5", CB, ages=False) == "Förskoleålder"


# --- summary ----------------------------------------------------------------------------------


def test_status_counts_and_evidence_share(insatser):
    assert k.status_counts(insatser, "0123", CB) == {"pågående": 3, "planerad": 1, "avslutad": 1}
    assert k.status_counts(insatser, "0125", CB) == {"pågående": 0, "planerad": 0, "avslutad": 0}
    assert k.evidence_share(insatser, "0123") == pytest.approx(1 / 3)  # the ended one is out
    assert math.isnan(k.evidence_share(insatser, "0125"))


def test_summary_sentences_exact(insatser):
    profile = pd.DataFrame(
        {
            "municipality_code": ["0123", "0123"],
            "knowledge": ["evidensbaserad", "lovande"],
            "interventions": [1, 1],
            "share_of_interventions": [1 / 3, 1 / 3],
            "participants": [200.0, 10.0],
            "share_of_reach": [200 / 210, 10 / 210],
        }
    )
    assert k.summary_sentences(insatser, "0123", CB, profile) == [
        "Kartläggningen för Järfälla tar upp 5 insatser: 3 pågående, 1 planerad och 1 avslutad.",
        f"1 av de 3 pågående insatserna (33{NB}%) är evidensbaserad och står för 95{NB}% av "
        "deltagarna i de insatser som anger antal deltagare.",
        "1 pågående insats anger inte hur många den når per år; dess räckvidd redovisas som "
        "okänd, inte som noll.",
    ]
    # without the knowledge profile the reach half of the sentence is left out
    assert k.summary_sentences(insatser, "0123", CB)[1] == (
        f"1 av de 3 pågående insatserna (33{NB}%) är evidensbaserad."
    )


def test_summary_sentences_edge_cases(insatser):
    assert k.summary_sentences(insatser, "0125", CB) == [
        "Kartläggningen för Ekerö innehåller inga insatser."
    ]
    planned = insatser_frame([intervention("X", kommunkod="0125", status="planerad")])
    assert k.summary_sentences(planned, "0125", CB) == [
        "Kartläggningen för Ekerö tar upp 1 insats, som är planerad.",
        "Ingen insats är pågående, så kommunen har i dag ingen täckning.",
    ]
    unknown = insatser_frame(
        [intervention(n, kommunkod="0125", deltagare_per_ar=pd.NA) for n in ("X", "Y")]
    )
    assert k.summary_sentences(unknown, "0125", CB) == [
        "Kartläggningen för Ekerö tar upp 2 insatser, alla pågående.",
        "Ingen av de 2 pågående insatserna är evidensbaserad.",
        "Ingen av de pågående insatserna anger hur många de når per år, så räckvidden är okänd.",
    ]


# --- the inventory ------------------------------------------------------------------------------


def test_inventory_table_rows_and_columns(insatser):
    table = k.inventory_table(insatser, "0123", CB)
    assert list(table.columns) == [
        "Insats",
        "Huvudman",
        "Nivå",
        "Inriktning",
        "Ålder",
        "Faktorer",
        "Kunskapsläge",
        "Deltagare/år",
        "Status",
    ]
    # ongoing first (by level, then age), then planned, then ended; other municipality out
    assert list(table["Insats"]) == [EVIL, "Skolprogram", "Avhopp", "Fältare", "Gammal insats"]
    assert list(table.iloc[0]) == [
        EVIL,
        "Barnhälsovård (BVC)",
        "Förebygga",
        "Universell",
        f"0–{WJ}5{NB}år",
        "Stöd och värme från föräldrar, Bristande föräldratillsyn och inkonsekvent föräldraskap",
        "Evidensbaserad",
        "200",
        "Pågående",
    ]
    assert list(table.iloc[1])[4:] == [
        f"6–{WJ}15{NB}år",
        "Vantrivsel i skolan",
        "Kunskapsbaserad",
        "okänt",
        "Pågående",
    ]
    assert list(table["Status"]) == ["Pågående"] * 3 + ["Planerad", "Avslutad"]


def test_inventory_sections_are_compact_and_captioned(insatser):
    sections = k.inventory_sections(insatser, "0123", CB)
    assert [caption for caption, _ in sections] == [
        "Pågående insatser (3)",
        "Planerade insatser (1)",
        "Avslutade insatser (1)",
    ]
    ongoing = sections[0][1]
    assert list(ongoing.columns) == [
        "Insats",
        "Huvudman",
        "Nivå, inriktning",
        "Ålder",
        "Kunskapsläge",
        "Deltagare/år",
    ]
    assert list(ongoing["Nivå, inriktning"]) == [
        "Förebygga, universell",
        "Förebygga, selektiv",
        "Riskreducera, indikerad",
    ]
    assert list(sections[1][1]["Insats"]) == ["Fältare"]
    only_ongoing = insatser.loc[insatser["status"] == "pågående"]
    assert [c for c, _ in k.inventory_sections(only_ongoing, "0123", CB)] == [
        "Pågående insatser (3)"
    ]


def test_factor_and_comment_tables(insatser):
    factors = k.factor_table(insatser, "0123", CB)
    assert list(factors.columns) == [
        "Insats",
        "Status",
        "Risk- och skyddsfaktorer",
        "Push- och pullfaktorer",
    ]
    assert factors.iloc[0]["Push- och pullfaktorer"] == "saknas"  # none named: not suppressed
    assert factors.iloc[1]["Push- och pullfaktorer"] == "Utbildning, Uttråkning"
    assert factors.iloc[3]["Status"] == "Planerad"
    comments = k.comment_table(insatser, "0123", CB)
    assert comments.to_dict("list") == {"Insats": [EVIL], "Kommentar": ["Bra & <b>viktig</b>"]}


def test_free_text_is_escaped_in_the_report(insatser):
    for frame in (
        k.inventory_table(insatser, "0123", CB),
        k.inventory_sections(insatser, "0123", CB)[0][1],
        k.factor_table(insatser, "0123", CB),
        k.comment_table(insatser, "0123", CB),
    ):
        html = tables.table(frame, caption="Insatser")._repr_html_()
        assert "<script>" not in html and "<b>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    comments = tables.table(k.comment_table(insatser, "0123", CB))._repr_html_()
    assert "Bra &amp; &lt;b&gt;viktig&lt;/b&gt;" in comments


# --- the life course and the coverage grids -----------------------------------------------------


def test_life_course_frame(insatser):
    frame = k.life_course_frame(insatser, "0123", CB)
    assert list(frame["insats"]) == [EVIL, "Skolprogram", "Fältare", "Avhopp"]  # by level
    assert list(frame["planned"]) == [False, False, True, False]
    assert list(frame["start"]) == [0, 6, 12, 15]
    assert list(frame["end"]) == [6, 16, 21, 26]  # the last age is covered in full
    assert list(frame["targeting_label"]) == ["Universell", "Selektiv", "Selektiv", "Indikerad"]
    assert list(frame["knowledge_label"])[3] == "Lovande"
    assert frame["participants"].isna().tolist() == [False, True, False, False]


COVERAGE_CELLS = {
    ("förebygga", "0-5"): {
        "interventions": 2,
        "with_participants": 2,
        "participants": 150.0,
        "reach_per_1000": 75.0,
    },
    ("förebygga", "6-12"): {
        "interventions": 1,
        "without_participants": 1,
        "reach_complete": False,
    },
    ("förebygga", "13-15"): {
        "interventions": 2,
        "with_participants": 1,
        "without_participants": 1,
        "participants": 12.34,
        "reach_per_1000": 12.34,
        "reach_complete": False,
        "planned": 2,
    },
    ("riskreducera", "19-25"): {"planned": 1},
}


def test_coverage_cells_states_and_texts():
    cells = k.coverage_cells(grid("level", LEVELS, COVERAGE_CELLS), "0123", CB)
    assert len(cells) == 15
    assert list(cells["level"].iloc[::5]) == LEVELS
    assert list(cells["stage"].iloc[:5]) == STAGES
    top = cells.iloc[:3]
    assert list(top["state"]) == ["known", "unknown", "partial"]
    assert list(top["reach_text"]) == ["75", "okänd", "≥12"]
    assert list(top["count_text"]) == ["2 insatser", "1 insats", "2 insatser"]
    assert math.isnan(top["reach_per_1000"].iloc[1])  # unknown, never 0
    empty = cells.iloc[-1]
    assert (empty["state"], empty["reach_text"], empty["count_text"], empty["planned"]) == (
        "empty",
        "0",
        "inga insatser",
        1,
    )
    assert cells.iloc[0]["level_label"] == "Förebygga"
    assert cells.iloc[2]["stage_label"] == "Högstadium"


def test_factor_cells_mark_applicable_priority_and_gaps(gaps):
    factors = [i.id for i in CB.indices if i.kind in ("risk", "protective")]
    table = grid(
        "factor", factors, {("skolmisslyckande", "6-12"): {"interventions": 2, "planned": 0}}
    )
    cells = k.factor_cells(table, gaps, "0123", CB)
    assert len(cells) == len(factors) * 5
    assert list(dict.fromkeys(cells["kind"])) == ["risk", "protective"]
    school = cells.loc[cells["factor"] == "skolmisslyckande"].set_index("stage")
    assert list(school["applicable"]) == [False, True, True, True, False]  # from the codebook
    assert list(school["gap"]) == ["", "tunn", "saknas", "saknas", ""]
    peers = cells.loc[cells["factor"] == "kamrater_normbrott"].set_index("stage")
    assert peers.at["19-25", "gap"] == "okänd" and peers.at["16-18", "gap"] == ""
    assert school.at["6-12", "interventions"] == 2
    assert school["priority"].all()
    priority = set(cells.loc[cells["priority"], "factor"])
    assert priority == {"skolmisslyckande", "kamrater_normbrott"}  # 0114's factor is not here
    assert k.gap_factors(gaps, "0123") == ["skolmisslyckande", "kamrater_normbrott"]


# --- gaps -------------------------------------------------------------------------------------


def test_gap_list_orders_missing_first_then_by_rank(gaps):
    school, peers = "Vantrivsel i skolan", "Kamrater med normbrytande beteende"
    limit = f"20 per 1{NB}000"
    assert k.gap_list(gaps, "0123", CB) == [
        f"{school} är prioriterad, men ingen pågående insats riktar sig mot den för 13–15 år "
        "(saknas).",
        f"{school} är prioriterad, men ingen pågående insats riktar sig mot den för 16–18 år "
        "(saknas).",
        f"{peers} är prioriterad, men ingen pågående insats riktar sig mot den för 13–15 år "
        "(saknas).",
        f"{school} är prioriterad, men två pågående insatser riktar sig mot den för 6–12 år och "
        f"når 8,0 per 1{NB}000 invånare, under {limit} (tunn).",
        f"{peers} är prioriterad, och två pågående insatser riktar sig mot den för 19–25 år, men "
        f"ingen av dem anger antal deltagare: om räckvidden når {limit} är okänt (okänd).",
    ]
    assert k.gap_list(gaps, "0123", CB, limit=2)[2:] == [
        "Ytterligare 3 luckor redovisas under Luckor.",
    ]
    assert k.gap_list(gaps, "0123", CB, limit=4)[-1] == (
        "Ytterligare 1 lucka redovisas under Luckor."
    )


def test_gap_sentence_with_partly_known_reach():
    row = gap_row("impulsivitet", "13-15", "okänd", 1, interventions=3, unknown_reach=1)
    row["reach_per_1000"] = 12.4
    assert k.gap_sentence(row, CB) == (
        "Impulsivitet och normbrytande attityder är prioriterad, och tre pågående insatser "
        "riktar sig mot den för 13–15 år, men en av dem anger inte antal deltagare; de övriga "
        f"når 12 per 1{NB}000 invånare: om räckvidden når 20 per 1{NB}000 är okänt (okänd)."
    )


def test_gap_sentence_is_escaped_for_markdown(gaps, monkeypatch):
    label = {**CB.labels("indices"), "skolmisslyckande": "Skola <b>"}
    monkeypatch.setattr(type(CB), "labels", lambda self, kind: label)
    assert k.gap_list(gaps, "0123", CB, limit=1)[0].startswith("Skola &lt;b&gt; är prioriterad")


def test_gap_list_without_gaps(gaps):
    covered = gaps.loc[gaps["status"] == "finns"]
    assert k.gap_list(covered, "0123", CB) == [
        f"Varje prioriterad faktor når minst 20 per 1{NB}000 invånare med pågående insatser i "
        "alla åldersgrupper där den kan påverkas."
    ]
    assert k.gap_list(gaps, "0125", CB) == [
        "Det finns inga prioriterade faktorer att jämföra insatserna med."
    ]


def test_gap_summary(gaps):
    assert k.gap_summary(gaps, "0123", CB) == (
        "För de två prioriterade faktorerna finns 6 kombinationer av faktor och åldersgrupp där "
        "faktorn kan påverkas. I 3 saknas pågående insatser, i 1 är täckningen tunn, i 1 är "
        f"räckvidden okänd och i 1 når insatserna minst 20 per 1{NB}000 invånare."
    )
    only_thin = gaps.loc[(gaps["status"] == "tunn")]
    assert k.gap_summary(only_thin, "0123", CB) == (
        "För den prioriterade faktorn finns 1 kombination av faktor och åldersgrupp där "
        "faktorn kan påverkas. I 1 är täckningen tunn."
    )
    assert k.gap_summary(gaps, "0125", CB, year=2024) == (
        "Ekerö har ingen prioriterad risk- eller skyddsfaktor år 2024: ingen faktor ligger "
        "statistiskt säkert sämre till än i övriga regionen, för alla elever eller för någon "
        "grupp efter kön och årskurs. Insatserna jämförs därför inte med några prioriteringar."
    )
    assert k.gap_counts(gaps, "0123") == {"saknas": 3, "tunn": 1, "okänd": 1, "finns": 1}


# --- targeting, knowledge, push and pull --------------------------------------------------------


def test_the_gap_rule_under_its_own_heading_has_no_lead_in():
    assert labels.gap_rule().startswith("**Luckor.** Varje kombination")
    assert labels.gap_rule(lead_in=False).startswith("Varje kombination")
    notebook = nbformat.read(NOTEBOOKS_DIR / "03_insatser.ipynb", as_version=4)
    heading = next(i for i, c in enumerate(notebook.cells) if c.source.strip() == "## Luckor")
    assert "gap_rule(lead_in=False)" in notebook.cells[heading + 1].source


def test_pyramid_frame(insatser):
    targeting = grid("targeting", CB.ids("targeting"), {})  # population 1 000 per stage
    frame = k.pyramid_frame(insatser, "0123", CB, targeting)
    assert list(frame["targeting"]) == ["universell", "selektiv", "indikerad"]
    assert list(frame["interventions"]) == [1, 1, 1]  # the ended universal one is out
    assert list(frame["planned"]) == [0, 1, 0]
    assert list(frame["without_participants"]) == [0, 1, 0]
    assert frame["participants"].iloc[0] == 200 and math.isnan(frame["participants"].iloc[1])
    assert frame["population"].iloc[0] == 5000  # five stages of 1 000
    assert frame["reach_per_1000"].iloc[0] == pytest.approx(40.0)
    assert frame["reach_per_1000"].iloc[2] == pytest.approx(2.0)
    assert math.isnan(k.pyramid_frame(insatser, "0123", CB)["reach_per_1000"].iloc[0])


def test_knowledge_table():
    profile = pd.DataFrame(
        {
            "municipality_code": ["0123"] * 4 + ["0114"],
            "knowledge": ["evidensbaserad", "kunskapsbaserad", "lovande", "ej bedömd", "lovande"],
            "interventions": [2, 1, 1, 0, 5],
            "share_of_interventions": [0.5, 0.25, 0.25, 0.0, 1.0],
            "participants": [1500.0, pd.NA, 100.0, pd.NA, 9.0],
            "share_of_reach": [0.9375, 0.0, 0.0625, 0.0, 1.0],
        }
    )
    assert k.knowledge_table(profile, "0123", CB).values.tolist() == [
        ["Evidensbaserad", "2", f"50{NB}%", f"1{TS}500", f"94{NB}%"],
        ["Kunskapsbaserad", "1", f"25{NB}%", "okänt", f"0{NB}%"],
        ["Lovande", "1", f"25{NB}%", "100", f"6{NB}%"],
        ["Ej bedömd", "0", f"0{NB}%", "0", f"0{NB}%"],
    ]
    nothing = profile.assign(
        interventions=0, share_of_interventions=pd.NA, participants=pd.NA, share_of_reach=pd.NA
    )
    assert k.knowledge_table(nothing, "0123", CB).iloc[0].tolist() == [
        "Evidensbaserad",
        "0",
        "ej tillämpligt",  # no interventions to take a share of: not a suppressed value
        "0",
        "ej tillämpligt",
    ]


def test_push_pull_summary(insatser):
    addressed, not_addressed = k.push_pull_summary(insatser, "0123", CB)
    assert addressed == {
        "push": ["Uttråkning", "Utbildning"],  # codebook order
        "pull": ["Pengar", "Vänner eller bekanta i kriminella nätverk"],
    }
    pushes = [p.label for p in CB.push_pull if p.kind == "push"]
    assert not_addressed["push"] == [p for p in pushes if p not in addressed["push"]]
    assert "Spänning" in not_addressed["pull"]  # only the ended intervention names it
    assert "Makt" in not_addressed["pull"]  # only another municipality's does
    assert len(addressed["pull"]) + len(not_addressed["pull"]) == len(CB.push_pull) - len(pushes)
    assert k.push_pull_planned(insatser, "0123", CB) == ["Identitet"]


def test_push_pull_sentences(insatser):
    lines = k.push_pull_sentences(insatser, "0123", CB)
    # inside a sentence a factor's name starts in lower case, as a risk factor's does
    assert lines[0] == (
        "**Pushfaktorer som minst en pågående insats tar upp (2 av 9):** uttråkning och utbildning."
    )
    assert lines[1].startswith(
        "**Pushfaktorer som ingen pågående insats tar upp (7):** dåliga framtidsutsikter, egna "
    )
    assert lines[2] == (
        "**Pullfaktorer som minst en pågående insats tar upp (2 av 16):** pengar och vänner "
        "eller bekanta i kriminella nätverk."
    )
    assert lines[-1] == "**Bara i planerade insatser:** identitet."
    nothing = insatser_frame([intervention("X")])
    assert k.push_pull_sentences(nothing, "0123", CB)[0] == (
        "**Pushfaktorer:** ingen pågående insats tar upp någon av dem."
    )


def test_push_pull_names_in_sentences_keep_an_opening_abbreviation():
    from fouanalys.codebook import PushPull

    extra = [
        PushPull(id="sspf", label="SSPF-kontakt", kind="push"),
        PushPull(id="hvb", label="HVB", kind="push"),
    ]
    codebook = CB.model_copy(update={"push_pull": [*CB.push_pull, *extra]})
    rows = insatser_frame([intervention("X", push_pull="sspf;hvb;uttrakning")])
    first = k.push_pull_sentences(rows, "0123", codebook)[0]
    assert first.endswith("(3 av 11):** uttråkning, SSPF-kontakt och HVB.")
    # tables keep the codebook's labels as they are
    assert k.push_pull_summary(rows, "0123", codebook)[0]["push"][0] == "Uttråkning"


def test_method_helpers():
    befolkning = pd.DataFrame(
        {"kommunkod": ["0123", "0123", "0114"], "ar": [2023, 2024, 2025], "alder": [0, 0, 0]}
    ).astype({"ar": "Int64"})
    assert k.population_year(befolkning, "0123") == 2024
    assert k.population_year(befolkning, "0125") is None
    table = grid("level", LEVELS, {}).assign(population=pd.array([6938] * 15, dtype="Int64"))
    stages = k.stage_table(table, "0123", CB)
    assert list(stages.columns) == ["Livsskede", "Ålder", "Invånare"]
    assert stages.iloc[1].tolist() == ["Låg- och mellanstadium", f"6–{WJ}12{NB}år", f"6{TS}938"]
    assert k.stage_table(table, "0125", CB)["Invånare"].tolist() == ["–"] * 5


# --- quality questions (Data i Dialog, step 2) ---------------------------------------------------

#: Answers of the fixture's interventions (by name): Järfälla's three ongoing ones, its planned
#: and ended one (all "ja", not counted) and Upplands Väsby's (blank).
QUALITY_ANSWERS = {
    EVIL: ("ja", "ja", "ja", "ja", "ja"),
    "Skolprogram": ("delvis", "nej", "ja", "delvis", None),
    "Avhopp": ("ja", "vet ej", "ja", "nej", "nej"),
    "Fältare": ("ja",) * 5,
    "Gammal insats": ("ja",) * 5,
}


def with_answers(insatser: pd.DataFrame) -> pd.DataFrame:
    """The fixture's inventory with the quality columns of :data:`QUALITY_ANSWERS`."""
    out = insatser.copy()
    for j, question in enumerate(CB.ids("quality_questions")):
        out[question] = [QUALITY_ANSWERS.get(name, (None,) * 5)[j] for name in out["insats"]]
    return out


def quality_tables(insatser: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The knowledge and quality profiles of ``insatser``, from one placing on the life course."""
    from fouanalys.coverage import knowledge_profile, place_on_life_course
    from fouanalys.quality import quality_profile

    befolkning = pd.DataFrame(
        [(kod, 2024, alder, kon, 500) for kod in ("0123", "0114") for alder in range(26)
         for kon in ("Pojke", "Flicka")],
        columns=["kommunkod", "ar", "alder", "kon", "antal"],
    ).astype({"ar": "Int64", "alder": "Int64", "antal": "Int64"})  # fmt: skip
    placed = place_on_life_course(insatser, befolkning, CB)
    return {
        "knowledge_profile": knowledge_profile(placed, CB),
        "quality_profile": quality_profile(insatser, placed, CB),
    }


def _well_founded_in_knowledge_table(knowledge: pd.DataFrame) -> tuple[int, int]:
    """(evidence- or knowledge-based, all) ongoing interventions as the Kunskapsläge table
    prints them."""
    counts = dict(zip(knowledge["Kunskapsläge"], knowledge["Pågående insatser"].astype(int),
                      strict=True))  # fmt: skip
    return counts["Evidensbaserad"] + counts["Kunskapsbaserad"], sum(counts.values())


def test_quality_section_gives_the_knowledge_table_s_evidence_share(insatser):
    tables = quality_tables(with_answers(insatser))
    knowledge = k.knowledge_table(tables["knowledge_profile"], "0123", CB)
    well, ongoing = _well_founded_in_knowledge_table(knowledge)
    assert (well, ongoing) == (2, 3)  # EVIL (evidence), Skolprogram (knowledge); Avhopp not
    levels = k.quality_levels(tables["quality_profile"], "0123", CB).set_index("level")
    assert levels.loc["alla", ["ongoing", "well_founded"]].tolist() == [ongoing, well]
    # the share printed is the Kunskapsläge table's two shares together
    shares = tables["knowledge_profile"].set_index(["municipality_code", "knowledge"])
    both = sum(shares.loc[("0123", lv), "share_of_interventions"] for lv in k.WELL_FOUNDED)
    assert levels.loc["alla", "well_founded_text"] == f"2 av 3 ({fa_text.format_share(both)})"
    assert levels.loc["förebygga", "well_founded_text"] == f"2 av 2 (100{NB}%)"
    assert levels.loc["förhindra", "well_founded_text"] == "inga pågående insatser"
    assert levels.loc["riskreducera", ["ongoing", "well_founded"]].tolist() == [1, 0]


def test_quality_section_evidence_share_in_the_example_is_the_knowledge_table_s():
    from support import example_tables

    tables = example_tables(CB)
    for code in CB.municipality_codes:
        knowledge = k.knowledge_table(tables["knowledge_profile"], code, CB)
        levels = k.quality_levels(tables["quality_profile"], code, CB).set_index("level")
        well, ongoing = _well_founded_in_knowledge_table(knowledge)
        assert levels.loc["alla", ["ongoing", "well_founded"]].tolist() == [ongoing, well], code
        assert levels.loc[CB.ids("levels"), "ongoing"].sum() == ongoing, code


def test_quality_frame_and_table_count_the_ongoing_answers(insatser):
    profile = quality_tables(with_answers(insatser))["quality_profile"]
    frame = k.quality_frame(profile, "0123", CB)
    assert len(frame) == 4 * 5 * 5
    results = frame.loc[(frame["level"] == "alla") & (frame["question"] == "uppfoljning_resultat")]
    assert dict(zip(results["answer"], results["interventions"], strict=True)) == {
        "ja": 1, "delvis": 0, "nej": 1, "vet ej": 0, "ej besvarad": 1,
    }  # fmt: skip
    assert results["share"].tolist() == pytest.approx([1 / 3, 0, 1 / 3, 0, 1 / 3])
    table = k.quality_table(profile, "0123", CB)
    assert list(table.columns) == ["Nivå", "Fråga", "Ja", "Delvis", "Nej", "Vet ej",
                                   "Ej besvarad", "Summa"]  # fmt: skip
    assert len(table) == 20 and (table["Nivå"] != "").all()
    assert table.iloc[0].tolist() == ["Förebygga", "Skriftliga mål", "1", "1", "0", "0", "0", "2"]
    assert table.iloc[5].tolist() == ["Förhindra", "Skriftliga mål", *["0"] * 6]
    assert table.iloc[-1].tolist() == ["Alla nivåer", "Uppföljning av resultat", "1", "0", "1",
                                       "0", "1", "3"]  # fmt: skip


def test_quality_sentences(insatser):
    profile = quality_tables(with_answers(insatser))["quality_profile"]
    assert k.has_quality_answers(profile, "0123")
    assert k.quality_basis(profile, "0123", CB) == (
        "Andelarna räknas på de 3 pågående insatserna, samma som i tabellen över kunskapsläge, "
        "och efter antal insatser, inte efter deltagare: en liten insats väger lika mycket som "
        "en stor. 1 av de 15 svaren saknas, eftersom frågan lämnades tom; de redovisas som "
        "*ej besvarad*."
    )
    results = (
        f"På frågan om uppföljning av resultat svarar 1 av de 3 pågående insatserna ja "
        f"(33{NB}%); lägst andel ja har nivån riskreducera, 0 av 1."
    )
    assert k.quality_summary(profile, "0123", CB) == [results]
    assert k.quality_sentences(profile, "0123", CB) == [
        results,
        f"Flest ja får frågan om ansvarig organisation (100{NB}%), minst frågorna om "
        f"långsiktig finansiering, uppföljning av räckvidd och uppföljning av resultat "
        f"(33{NB}% vardera).",
        # EVIL's 200 of the 210 known participants (Avhopp 10; Skolprogram gives none)
        f"Räknat i deltagare i stället för i insatser når de insatser som svarar ja på frågan "
        f"om uppföljning av resultat 95{NB}% av deltagarna per år; där ingår bara de 2 "
        "pågående insatser som anger antal deltagare.",
    ]
    assert "<" not in " ".join(k.quality_sentences(profile, "0123", CB))
    # one ongoing intervention, and none answering "ja"
    only = with_answers(insatser).loc[lambda f: f["insats"] != EVIL]
    profile = quality_tables(only)["quality_profile"]
    # (no level is lowest: förebygga and riskreducera both have 0 of 1)
    assert k.quality_summary(profile, "0123", CB) == [
        f"På frågan om uppföljning av resultat svarar ingen av de 2 pågående insatserna ja "
        f"(0{NB}%)."
    ]
    assert not any("deltagare" in t for t in k.quality_sentences(profile, "0123", CB))
    # "ja" only from an intervention without a participant count: the share is unknown, not 0
    unknown = with_answers(insatser)
    unknown.loc[unknown["insats"] == "Skolprogram", "uppfoljning_resultat"] = "ja"
    unknown.loc[unknown["insats"] == EVIL, "uppfoljning_resultat"] = "nej"
    sentences = k.quality_sentences(quality_tables(unknown)["quality_profile"], "0123", CB)
    assert sentences[-1] == (
        "Räknat i deltagare går andelen inte att ange: ingen av de insatser som svarar ja på "
        "frågan om uppföljning av resultat anger antal deltagare."
    )
    # a share above 0 that rounds to 0 % reads "under 1 %": Avhopp's 10 of 2 010
    tiny = with_answers(insatser)
    tiny.loc[tiny["insats"] == EVIL, ["deltagare_per_ar", "uppfoljning_resultat"]] = [2000, "nej"]
    tiny.loc[tiny["insats"] == "Avhopp", "uppfoljning_resultat"] = "ja"
    sentences = k.quality_sentences(quality_tables(tiny)["quality_profile"], "0123", CB)
    assert f"uppföljning av resultat under{NB}1{NB}% av deltagarna" in sentences[-1]
    alone = only.loc[lambda f: f["insats"] != "Skolprogram"]
    assert k.quality_summary(quality_tables(alone)["quality_profile"], "0123", CB) == [
        "Den enda pågående insatsen svarar nej på frågan om uppföljning av resultat."
    ]
    assert k.quality_question_list(CB).splitlines()[0] == (
        "- **Skriftliga mål:** har insatsen skriftliga mål?"
    )


def test_quality_section_without_answers_says_so_in_one_sentence(insatser):
    # the fixture's inventory has no quality columns: an old insatser.csv
    profile = quality_tables(insatser)["quality_profile"]
    assert not k.has_quality_answers(profile, "0123")
    assert k.quality_missing_sentence(profile, "0123", CB) == (
        "Kartläggningen för Järfälla har inga svar på de fem frågorna för de pågående "
        "insatserna, så avsnittet har inget att visa."
    )
    assert k.quality_sentences(profile, "0123", CB) == []
    assert k.quality_summary(profile, "0123", CB) == []
    # answers only for the planned and the ended intervention: still none to show
    answered = quality_tables(with_answers(insatser).assign(
        **{q: lambda f, q=q: f[q].where(f["status"] != "pågående") for q in
           CB.ids("quality_questions")}))["quality_profile"]  # fmt: skip
    assert not k.has_quality_answers(answered, "0123")
    # a municipality without ongoing interventions
    assert k.quality_missing_sentence(profile, "0125", CB) == (
        "Ekerö har inga pågående insatser, så det finns inga svar att visa."
    )


def test_quality_figure_draws_every_answer_and_reads_cleanly(insatser):
    from fouanalys.present.figures import layout_faults

    profile = quality_tables(with_answers(insatser))["quality_profile"]
    fig = k.quality_figure(profile, "0123", CB)
    ax = fig.axes[0]
    gids = Counter(p.get_gid() for p in ax.patches if p.get_gid())
    # förebygga (2) and riskreducera (1) have bars; förhindra has none; all levels has 3
    assert gids["answer-ja"] == 5 + 2 + 5  # the questions with a "ja" per level
    assert gids["answer-ej besvarad"] == 2  # the results question, förebygga and all levels
    texts = {t.get_gid(): [] for t in ax.texts}
    for t in ax.texts:
        texts[t.get_gid()].append(t.get_text())
    assert texts["well-founded"] == ["2 av 2 (100\u00a0%)", "inga pågående insatser",
                                     "0 av 1 (0\u00a0%)", "2 av 3 (67\u00a0%)"]  # fmt: skip
    assert f"ja{NB}100{NB}% · delvis{NB}0{NB}%" in texts["shares"]
    assert texts["blank"] == ["1 ej besvarad", "1 ej besvarad"]
    assert [t.get_text() for t in ax.get_xticklabels()][1] == "Förhindra\n0 pågående insatser"
    assert layout_faults(fig) == []


# --- the notebook -----------------------------------------------------------------------------


def test_committed_notebook_is_clean():
    nb = nbformat.read(CHAPTER, as_version=4)
    assert nb.cells[0].cell_type == "markdown"
    assert nb.cells[0].source.strip() == "# Insatser längs livsförloppet"
    assert "chapter-title" in nb.cells[0].metadata.get("tags", [])
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    params = code[0]
    assert "parameters" in params.metadata.get("tags", [])
    assert re.search(r'^municipality = "0123"', params.source, re.MULTILINE)
    assert re.search(r"^seed = 20261126", params.source, re.MULTILINE)
    for name in ("data_dir", "processed_dir"):
        assert re.search(rf"^{name} = None", params.source, re.MULTILINE)
    for line in params.source.splitlines():  # papermill chokes on "=" in comments
        assert "=" not in line.partition("#")[2]
    source = "\n".join(c.source for c in code)
    assert not re.search(r"^\s*(def|class) ", source, re.MULTILINE)
    assert "print(" not in source
    for table in ("insatser", "coverage", "factor_coverage", "targeting_coverage", "gaps",
                  "quality_profile"):  # fmt: skip
        assert f'egna("{table}")' in source  # its own rows and the region's
    headings = [
        line
        for c in nb.cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if line.startswith("## ")
    ]
    assert headings == [
        "## Sammanfattning",
        "## Livsförloppet",
        "## Räckvidd per åldersgrupp och nivå",
        "## Riskfaktorer och insatser",
        "## Luckor",
        "## Sedan förra kartläggningen",
        "## Inriktning",
        "## Kunskapsläge",
        "## Förutsättningar och uppföljning",
        "## Push- och pullfaktorer",
        "## Förteckning över insatser",
        "## Metod",
    ]


def _small_processed_dir(out: Path, insatser: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Typed inventory and population for Järfälla, priorities by hand, coverage tables."""
    from fouanalys.coverage import coverage_tables, place_on_life_course
    from fouanalys.ingest.processing import round_tables, write_tables
    from fouanalys.priority import priority_factors
    from fouanalys.quality import quality_profile

    befolkning = pd.DataFrame(
        [
            ("0123", ar, alder, kon, 400 + 3 * alder)
            for ar in (2023, 2024)
            for alder in range(26)
            for kon in ("Pojke", "Flicka")
        ],
        columns=["kommunkod", "ar", "alder", "kon", "antal"],
    ).astype({"ar": "Int64", "alder": "Int64", "antal": "Int64"})
    priorities = pd.DataFrame(
        [
            ("0123", 2024, "Alla", "Alla", f, CB.index(f).kind, 0.3, 0.01 if up else -0.01, up, r)
            for r, (f, up) in enumerate(
                [
                    ("skolmisslyckande", True),
                    ("kamrater_normbrott", False),
                    ("impulsivitet", False),
                ],
                1,
            )
        ],
        columns=[
            *("municipality_code", "year", "grade", "sex", "factor", "kind", "share"),
            *("diff_low", "elevated", "rank"),
        ],
    ).assign(diff_high=0.05, difference=0.02, suppressed=False)
    priorities["rank"] = priorities["rank"].astype("Int64")
    prioritised = priority_factors(priorities, CB)
    own = insatser.loc[insatser["kommunkod"] == "0123"].reset_index(drop=True)
    frames = {
        "insatser": own,
        "befolkning": befolkning,
        "priority_factors": prioritised,
        **coverage_tables(own, befolkning, prioritised, CB),
        "quality_profile": quality_profile(own, place_on_life_course(own, befolkning, CB), CB),
    }
    frames |= round_tables(frames, prioritised, frames["gaps"], CB)  # one round: none compared
    write_tables(frames, out, synthetic_manifest(CB))
    return frames


@pytest.mark.slow
def test_notebook_executes(tmp_path, insatser):
    frames = _small_processed_dir(tmp_path / "processed", with_answers(insatser))
    assert (frames["gaps"]["status"] == "saknas").any()  # the gap list has something to say
    run = run_chapter(
        CHAPTER,
        tmp_path / "03_insatser.ipynb",
        municipality="Järfälla",
        processed_dir=str(tmp_path / "processed"),
    )
    nb, text = run.notebook, run.text
    # two life-course figures, the two heatmaps, the pyramid and the quality questions' grid
    assert run.figures == 6
    # the quality section: its heading, then its figure and its table before the next section
    sources = [c.source for c in nb.cells]
    start = next(i for i, src in enumerate(sources) if src.startswith("## Förutsättningar"))
    after = next(i for i, src in enumerate(sources) if src.startswith("## Push- och pull"))
    section = [o for c in nb.cells[start:after] if c.cell_type == "code" for o in c.outputs]
    captions = [o.get("metadata", {}).get("fouanalys", {}).get("caption") for o in section]
    assert "Svaren på de fem frågorna i Järfälla per nivå, som andel av de pågående insatserna" in (
        captions
    )
    assert any("image/png" in o.get("data", {}) for o in section)
    html = " ".join(o.get("data", {}).get("text/html", "") for o in section)
    assert "Pågående insatser i Järfälla efter svar, per nivå och fråga" in html
    assert "Skriftliga mål" in text and "har insatsen skriftliga mål?" in text
    # its summary sentence stands in the chapter's summary
    assert "På frågan om uppföljning av resultat svarar 1 av de 3 pågående insatserna ja" in text
    assert "Syntetiska exempeldata" in text
    assert "Kartläggningen för Järfälla tar upp 5 insatser" in text
    assert "men ingen pågående insats" in text  # a gap sentence
    assert "Pågående insatser (3)" in text and "Avslutade insatser (1)" in text
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "okänt" in text
    assert "Kommunen har lämnat en kartläggning. När den har lämnat en ny" in text
    seconds = [c.metadata["papermill"]["duration"] for c in nb.cells if c.cell_type == "code"]
    assert np.all(np.isfinite(seconds))


# --- small groups (1–4 participants a year) ---------------------------------------------------


def test_a_participant_count_under_five_is_not_published():
    # the words are joined by no-break spaces: a narrow column never breaks "färre än" / "5"
    few = f"färre{NB}än{NB}5"
    assert [fa_text.format_participants(v) for v in (1, 4, 5, 0)] == [few] * 2 + ["5", "0"]
    assert fa_text.format_participants(336.0, few=1) == f"minst{NB}336"
    assert fa_text.format_participants(0.0, few=2) == f"färre{NB}än{NB}10"
    assert fa_text.format_participants(1500.0, few=1) == f"minst{NB}1{TS}500"


@pytest.mark.parametrize(
    "participants, population, few, few_p, state, text",
    [
        # no small intervention, 3 participants: the reach 5 would give (5 000 / 2 000 = 2,5)
        (3.0, 2000, 0, 0.0, "known", "under 2,5"),
        # only a small intervention (2 a year), none else: under the reach of 5
        (2.0, 2000, 1, 2.0, "known", "under 2,5"),
        # a small one beside 40 others: the others' reach as a lower bound (40 / 2 = 20)
        (42.0, 2000, 1, 2.0, "known", "≥20"),
        # a small one and 1 other: under the reach of 5 + 5
        (3.0, 2000, 1, 2.0, "known", "under 5,0"),
        # a lower bound that would read "under": not shown
        (3.0, 2000, 1, 3.0, "partial", "–"),
        # enough participants, none small: as before
        (24.0, 2000, 0, 0.0, "known", "12"),
        (24.0, 2000, 0, 0.0, "partial", "≥12"),
    ],
)
def test_protected_reach(participants, population, few, few_p, state, text):
    reach = 1000 * participants / population
    got, shown, coarse = k.protected_reach(state, reach, population, participants, few, few_p)
    assert got == text
    assert coarse == (text != fa_text.format_reach(reach) and not text.startswith("≥1"))
    if text.startswith("under"):
        # the printed bound is above the reach, so reach × population / 1 000 is not the count
        assert shown > reach and shown * population / 1000 >= 5


def test_small_intervention_in_inventory_pyramid_and_knowledge_table():
    rows = insatser_frame(
        [
            intervention("Stor", niva="riskreducera", inriktning="indikerad", deltagare_per_ar=40),
            intervention("Liten", niva="riskreducera", inriktning="indikerad", deltagare_per_ar=3),
            intervention("Bred", deltagare_per_ar=200),
        ]
    )
    table = k.inventory_table(rows, "0123", CB)
    counts = dict(zip(table["Insats"], table["Deltagare/år"], strict=True))
    assert counts == {"Stor": "40", "Liten": f"färre{NB}än{NB}5", "Bred": "200"}
    pyramid = k.pyramid_frame(rows, "0123", CB).set_index("targeting")
    # the indicated sum is printed without the small count: 43 − 40 would give it back
    assert pyramid.loc["indikerad", "participants_text"] == f"minst{NB}40"
    assert pyramid.loc["universell", "participants_text"] == "200"
    profile = pd.DataFrame(
        {
            "municipality_code": ["0123"] * 4,
            "knowledge": ["evidensbaserad", "kunskapsbaserad", "lovande", "ej bedömd"],
            "interventions": [0, 2, 1, 0],
            "share_of_interventions": [0.0, 2 / 3, 1 / 3, 0.0],
            "participants": [pd.NA, 240.0, 3.0, pd.NA],
            "share_of_reach": [0.0, 240 / 243, 3 / 243, 0.0],
            "few_interventions": [0, 0, 1, 0],
            "few_participants": [0.0, 0.0, 3.0, 0.0],
        }
    )
    shown = k.knowledge_table(profile, "0123", CB).set_index("Kunskapsläge")["Deltagare per år"]
    assert shown["Lovande"] == f"färre{NB}än{NB}5" and shown["Kunskapsbaserad"] == "240"


def test_knowledge_note_explains_minst_also_with_a_no_break_space():
    table = pd.DataFrame({"Kunskapsläge": ["Lovande"], "Deltagare per år": [f"minst{NB}222"]})
    assert "minst = summan utan insatser med färre än 5" in k.knowledge_note(table)
    plain = pd.DataFrame({"Kunskapsläge": ["Lovande"], "Deltagare per år": ["222"]})
    assert "minst =" not in k.knowledge_note(plain)
