"""Chapter 04, Kunskapsläget: its sentences and tables by hand, the region's overview against a
plain count, and the notebook end to end with a harmful approach in the inventory."""

from __future__ import annotations

import pandas as pd
import pytest
from support import example_tables, intervention, run_chapter, synthetic_manifest

from fouanalys import config, knowledge
from fouanalys.chapters import kunskapslaget as kl
from fouanalys.codebook import load_codebook
from fouanalys.present.text import NBSP, format_about

CB = load_codebook()
CHAPTER = config.NOTEBOOKS_DIR / "04_kunskapslaget.ipynb"


@pytest.fixture(scope="module")
def tables():
    return example_tables(CB)


def test_an_estimate_is_given_to_its_size():
    assert [format_about(v) for v in (3, 9.6, 25, 35, 304.9, 1250)] == [
        f"färre{NBSP}än{NBSP}10",
        "10",
        "30",  # half up, not to even
        "40",
        "300",
        "1\u202f300",
    ]


def _need_row(**changes) -> pd.Series:
    row = {
        "kind": "risk",
        "age": 15,
        "grade": "Åk 9",
        "need": 304.9,
        "need_low": 251.0,
        "need_high": 358.0,
        "capacity": 37.2,
        "interventions": 3,
        "unknown_capacity": 1,
    }
    return pd.Series(row | changes)


def test_need_against_capacity_reads_as_a_council_would():
    assert kl.need_sentence(_need_row(), CB) == (
        "Bland 15-åringarna (årskurs 9 i enkäten) ligger omkring 300 (250–360) unga över "
        "gränsen; insatserna mot faktorn når omkring 40 15-åringar per år (och en till som "
        "inte anger antal)."
    )
    protective = kl.need_sentence(_need_row(kind="protective", unknown_capacity=0), CB)
    assert "saknar omkring 300 (250–360) unga skyddet" in protective
    assert "inte anger" not in protective
    none = kl.need_sentence(_need_row(interventions=0, capacity=float("nan")), CB)
    assert "ingen pågående insats riktar sig mot faktorn i den åldern" in none
    unknown = kl.need_sentence(_need_row(capacity=float("nan"), unknown_capacity=3), CB)
    assert "3 pågående insatser riktar sig mot faktorn" in unknown
    assert "ingen anger antal deltagare" in unknown
    hidden = kl.need_sentence(_need_row(need=float("nan")), CB)
    assert "går behovet inte att skatta" in hidden


def test_the_approach_table_by_hand(tables):
    approaches = tables["approaches"]
    fits = pd.DataFrame(
        [
            ("0123", 2024, "impulsivitet", "13-15", "tunn", "kbt", "x", "hög", 0, ""),
            ("0123", 2024, "impulsivitet", "16-18", "saknas", "kbt", "x", "hög", 0, ""),
            ("0123", 2024, "impulsivitet", "16-18", "saknas", "fft", "x", "måttlig", 2, "A;B"),
            ("0184", 2024, "impulsivitet", "16-18", "saknas", "mst", "x", "måttlig", 0, ""),
        ],
        columns=knowledge.GAP_APPROACH_COLUMNS,
    )
    got = kl.approach_table(fits, approaches, "0123", "impulsivitet", CB)
    # every cost in the knowledge base is unknown: the column gives way to one note
    assert list(got.columns) == [c for c in kl.APPROACH_COLUMNS if c != "Kostnad"]
    assert "Kostnaden är okänd för alla" in kl.approach_note(got)
    assert got.values.tolist() == [
        [
            "Kognitiv beteendeterapi (KBT)",
            "förhindra, riskreducera",
            f"10–18{NBSP}år",
            "hög effekt",
            "systematisk översikt",
            "13–15 år och 16–18 år",
            "–",
        ],
        [
            "Funktionell familjeterapi (FFT)",
            "riskreducera, förhindra",
            f"11–18{NBSP}år",
            "måttlig effekt",
            "systematisk översikt",
            "16–18 år",
            "A; B",
        ],
    ]


def test_a_harmful_approach_in_the_inventory_is_warned_of_with_its_source(tables):
    links = pd.DataFrame(
        [
            ("0123", "Studiebesök på anstalt", "pågående", "scared_straight", "metod", ""),
            ("0123", "Gammal insats", "avslutad", "scared_straight", "metod", ""),  # ended
            ("0184", "Annan kommuns", "pågående", "scared_straight", "metod", ""),
        ],
        columns=knowledge.LINK_COLUMNS,
    )
    harmful = kl.harmful_in_use(links, tables["approaches"], "0123")
    assert list(harmful["intervention"]) == ["Studiebesök på anstalt"]
    text = kl.harm_warning(harmful)
    assert "Varning: arbetssätt som kan öka brottsligheten" in text
    assert "Studiebesök på anstalt" in text and "946" in text
    scared = tables["approaches"].set_index("approach_id").loc["scared_straight", "kallor"]
    assert knowledge.split(scared)[0] in text
    assert kl.harm_warning(harmful.iloc[0:0]) == ""


def test_shared_gaps_agree_with_a_plain_count(tables):
    gaps = tables["gaps"]
    got = kl.shared_gaps_table(gaps, tables["gap_approaches"], tables["approaches"], CB)
    counts: dict[tuple[str, str], set[str]] = {}
    for g in gaps.itertuples():
        if g.status in ("saknas", "tunn", "okänd"):
            counts.setdefault((g.factor, g.stage), set()).add(g.municipality_code)
    expected = sorted(len(c) for c in counts.values() if len(c) >= 2)
    assert sorted(got["Kommuner"]) == expected and len(expected) > 0
    labels = CB.labels("indices")
    top = max(counts.items(), key=lambda kv: len(kv[1]))
    assert got.iloc[0]["Kommuner"] == len(top[1])
    assert labels[top[0][0]] in set(got.loc[got["Kommuner"] == len(top[1]), "Prioriterad faktor"])


def test_which_approaches_run_where_agrees_with_the_links(tables):
    links = tables["approach_links"]
    got = kl.approach_use_table(links, tables["approaches"], CB).set_index("Arbetssätt")
    names = tables["approaches"].set_index("approach_id")["namn"]
    ongoing = links.loc[links["status"] == "pågående"]
    for approach, group in ongoing.groupby("approach_id"):
        assert got.loc[names[approach], "Kommuner"] == group["municipality_code"].nunique()


@pytest.mark.slow
def test_notebook_warns_of_a_harmful_approach_and_links_the_action_plan(tmp_path):
    """Järfälla's inventory with a Scared Straight-style visit: the chapter warns, names the
    source, still never proposes the approach for a gap, and links the action-plan sheet."""
    from fouanalys.ingest.processing import derived_tables, write_tables

    frames = {k: example_tables(CB)[k] for k in ("enkat", "insatser", "befolkning")}
    visit = intervention(
        "Studiebesök på anstalt för högstadieelever",
        niva="förhindra",
        alder_fran=14,
        alder_till=15,
        faktorer="impulsivitet",
        metod="scared_straight",
        deltagare_per_ar=60,
    )
    extra = pd.DataFrame([visit]).astype({"alder_fran": "Int64", "alder_till": "Int64"})
    extra = extra.astype({"deltagare_per_ar": "Int64"})
    frames["insatser"] = pd.concat([frames["insatser"], extra], ignore_index=True)
    processed = tmp_path / "processed"
    write_tables(frames | derived_tables(frames, CB), processed, synthetic_manifest(CB))
    run = run_chapter(
        CHAPTER, tmp_path / "04.ipynb", municipality="Järfälla", processed_dir=str(processed)
    )
    text = run.text
    assert "Varning: arbetssätt som kan öka brottsligheten" in text
    assert "Studiebesök på anstalt för högstadieelever" in text
    assert "cochranelibrary.com/cdsr" in text.replace("<wbr>", "")
    assert config.ACTION_PLAN_FILE in text
    assert "Behov och kapacitet" in "".join(c.source for c in run.notebook.cells)
    assert run.figures >= 2
    # the harmful approach is warned of, never proposed for a gap
    harmful = example_tables(CB)["approaches"].set_index("approach_id").loc["scared_straight"]
    proposed = [
        d.get("text/html", "") for d in run.data if "Arbetssätt som passar luckorna" in str(d)
    ]
    assert proposed and not any(harmful["namn"] in html for html in proposed)


def test_the_summary_counts_gaps_and_approaches_in_good_swedish():
    """One gap is "kommunens enda lucka", one approach "ett arbetssätt" (neuter), and so is
    one in use ("ett av dem"); more are counted in words."""

    def sentences(gaps_n: int, approaches: int, used: int) -> list[str]:
        gaps = pd.DataFrame(
            {
                "municipality_code": "0123",
                "factor": [f"f{i}" for i in range(gaps_n)],
                "stage": "13-15",
                "status": "saknas",
            }
        )
        fits = pd.DataFrame(
            {
                "municipality_code": "0123",
                "factor": [f"f{i % gaps_n}" for i in range(approaches)],
                "stage": "13-15",
                "approach_id": [f"a{i}" for i in range(approaches)],
                "in_use": [1 if i < used else 0 for i in range(approaches)],
            }
        )
        return kl.summary_sentences(gaps, fits, pd.DataFrame(), "0123", CB)

    one = sentences(1, 1, 1)
    assert one[0].startswith("För kommunens enda lucka finns ett arbetssätt i kunskapsbasen")
    assert one[-1] == "Kommunen använder redan ett av dem i någon pågående insats."
    two = sentences(2, 3, 2)
    assert two[0].startswith("För kommunens två luckor finns tre arbetssätt i kunskapsbasen")
    assert two[-1] == "Kommunen använder redan två av dem i någon pågående insats."
    assert sentences(2, 2, 0)[-1] == "Kommunen använder inget av dem i dag i någon pågående insats."
