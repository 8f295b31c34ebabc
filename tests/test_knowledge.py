"""The knowledge base of approaches: checked when loaded, every problem named by file, column
and row; the packaged file valid and its harmful approaches sourced."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest

from fouanalys import knowledge
from fouanalys.codebook import load_codebook
from fouanalys.exceptions import KnowledgeBaseError

CB = load_codebook()


def _row(**changes) -> dict[str, str]:
    row = {
        "approach_id": "mentorskap",
        "namn": "Mentorskap",
        "name_en": "Mentoring",
        "niva": "förhindra; riskreducera",
        "alder_fran": "10",
        "alder_till": "18",
        "faktorer": "kamrater_normbrott;skolmisslyckande",
        "effekt": "måttlig",
        "effekt_procent": "-21",
        "utfall": "våldsbrott",
        "evidens": "YEF: måttlig",
        "underlag": "översikt",
        "svensk_evidens": "ej bedömd i svenska källor",
        "kostnad": "okänd",
        "skadlig": "false",
        "program": "",
        "kallor": "https://youthendowmentfund.org.uk/toolkit/mentoring/",
        "hamtad": "2026-12-05",
    }
    return row | changes


def _write(path: Path, rows: list[dict[str, str]], columns=knowledge.COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_valid_file_loads_typed(tmp_path):
    rows = [
        _row(),
        _row(
            approach_id="scared_straight",
            skadlig="true",
            effekt="ingen",
            effekt_procent="",
            niva="förhindra",
        ),
    ]
    frame = knowledge.load_knowledge(_write(tmp_path / "k.csv", rows), CB)
    assert list(frame.columns) == list(knowledge.COLUMNS)
    assert frame["alder_fran"].dtype == "int64" and frame["skadlig"].tolist() == [False, True]
    assert frame["effekt_procent"].iloc[0] == -21 and frame["effekt_procent"].isna().iloc[1]
    assert knowledge.split(frame["niva"].iloc[0]) == ["förhindra", "riskreducera"]


def test_every_problem_is_named_by_file_column_row_and_value(tmp_path):
    rows = [
        _row(),
        _row(approach_id="a", faktorer="impulsivitet;okand_faktor", niva="förebygg"),
        _row(approach_id="b", alder_fran="15", alder_till="12", effekt="stor"),
        _row(approach_id="c", kallor="www.example.org", hamtad="5 dec 2026", skadlig="ja"),
        _row(approach_id="mentorskap", namn=""),
    ]
    with pytest.raises(KnowledgeBaseError) as err:
        knowledge.load_knowledge(_write(tmp_path / "kunskap.csv", rows), CB)
    text = str(err.value)
    assert "kunskap.csv, kolumn 'faktorer', rad 3: okänd faktor — värden: 'okand_faktor'" in text
    assert "kolumn 'niva', rad 3: okänd nivå — värden: 'förebygg'" in text
    assert "kolumn 'alder_till', rad 4: slutar före alder_fran — värden: '15–12'" in text
    assert "kolumn 'effekt', rad 4: okänd effektnivå — värden: 'stor'" in text
    assert "kolumn 'kallor', rad 5: inte en webbadress — värden: 'www.example.org'" in text
    assert "kolumn 'hamtad', rad 5: inte ett datum" in text
    assert "kolumn 'skadlig', rad 5: inte sant eller falskt" in text
    assert "kolumn 'namn', rad 6: värde saknas" in text
    assert "kolumn 'approach_id', rader 2, 6: samma id på flera rader" in text
    assert "har 9 fel" in text


def test_a_file_without_its_columns_or_not_there_is_an_error(tmp_path):
    short = _write(tmp_path / "k.csv", [_row()], columns=knowledge.COLUMNS[:-2])
    with pytest.raises(KnowledgeBaseError, match="saknar kolumnerna kallor, hamtad"):
        knowledge.load_knowledge(short, CB)
    with pytest.raises(KnowledgeBaseError, match="Kunskapsbasen saknas"):
        knowledge.load_knowledge(tmp_path / "finns-inte.csv", CB)


def test_the_packaged_knowledge_base_is_valid_and_sources_what_harms():
    frame = knowledge.load_knowledge()
    assert len(frame) >= 25 and frame["approach_id"].is_unique
    factors = {i.id for i in CB.indices}
    assert all(set(knowledge.split(f)) <= factors for f in frame["faktorer"])
    assert all(knowledge.split(k) for k in frame["kallor"])
    harmful = frame.loc[frame["skadlig"]].set_index("approach_id")
    assert set(harmful.index) >= {"scared_straight", "formell_handlaggning"}
    assert (harmful["effekt"] == "ingen").all()
    # the published figures, as read in the sources the rows cite: Petrosino et al.'s Cochrane
    # review of Scared Straight (9 trials, 946 young people, odds of offending 1.6–1.7 times
    # higher) and their Campbell review of formal processing (29 trials, 7 304 juveniles)
    scared = harmful.loc["scared_straight"]
    assert "946" in scared["utfall"] and "1,6–1,7" in scared["utfall"]
    assert "cochrane" in scared["kallor"]
    formal = harmful.loc["formell_handlaggning"]
    assert "29 kontrollerade försök med 7 304" in formal["evidens"]
    assert "campbellcollaboration.org" in formal["kallor"]
    # boot camps do not work, but are not shown to harm: Wilson, MacKenzie & Mitchell's
    # random-effects odds ratio of 1.02 over 32 studies
    camps = frame.set_index("approach_id").loc["militara_lager"]
    assert not camps["skadlig"] and "1,02" in camps["utfall"] and "32 studier" in camps["utfall"]


def test_what_an_effect_rests_on_agrees_with_the_source_in_words():
    """``underlag`` is read from ``evidens``: a review where the source names one (YEF's
    Toolkit rates from reviews), a few
    studies where it counts a handful or one trial, weak where it names no effect study."""
    frame = knowledge.load_knowledge().set_index("approach_id")
    review = re.compile(r"översikt|metaanalys|YEF|Blueprints|Campbell|Cochrane", re.I)
    for approach, row in frame.iterrows():
        if row["underlag"] == "översikt":
            assert review.search(row["evidens"]), approach
    assert frame.loc["aventyrsterapi", "underlag"] == "få studier"  # "5 studier, alla av låg …"
    assert "5 studier" in frame.loc["aventyrsterapi", "evidens"]
    assert frame.loc["uppsokande_ungdomsarbete", "underlag"] == "svagt"
    assert "ingen effektstudie" in frame.loc["uppsokande_ungdomsarbete", "evidens"]
    assert frame.loc["fritidsgardar", "underlag"] == "svagt"
    assert "Observationsstudier" in frame.loc["fritidsgardar", "evidens"]
    assert set(frame["underlag"]) == set(knowledge.EVIDENCE_BASES)


# --- what fits a gap ------------------------------------------------------------------------


def test_gap_approaches_by_hand(tmp_path):
    """Three approaches against three gaps and a covered cell, worked out by hand with the gap
    map's rule (a span covers a stage when it holds at least half its years, or lies inside)."""
    rows = [
        # 10–15: covers 6–12 (3 of 7 years: no), 13–15 (inside the span: 3 of 3, yes)
        _row(approach_id="a", faktorer="impulsivitet", alder_fran="10", alder_till="15"),
        # 16–17 lies inside 16–18: covers it; targets two factors, one a gap
        _row(
            approach_id="b",
            faktorer="skolanknytning;impulsivitet",
            alder_fran="16",
            alder_till="17",
            niva="förebygga",
        ),
        # harmful: never fits a gap, whatever it targets
        _row(
            approach_id="c",
            faktorer="impulsivitet",
            alder_fran="13",
            alder_till="17",
            skadlig="true",
            effekt="ingen",
        ),
    ]
    approaches = knowledge.load_knowledge(_write(tmp_path / "k.csv", rows), CB)
    gaps = pd.DataFrame(
        {
            "municipality_code": ["0123"] * 4,
            "year": [2024] * 4,
            "factor": ["impulsivitet", "impulsivitet", "impulsivitet", "skolanknytning"],
            "stage": ["6-12", "13-15", "16-18", "16-18"],
            "status": ["saknas", "tunn", "finns", "okänd"],
        }
    )
    got = knowledge.gap_approaches(gaps, approaches, CB)
    assert list(got.columns) == knowledge.GAP_APPROACH_COLUMNS
    pairs = list(zip(got["factor"], got["stage"], got["approach_id"], got["status"], strict=True))
    # 6-12: nothing covers it; 13-15: a; 16-18 impulsivitet is covered ("finns"): no row;
    # 16-18 skolanknytning: b
    assert pairs == [
        ("impulsivitet", "13-15", "a", "tunn"),
        ("skolanknytning", "16-18", "b", "okänd"),
    ]
    assert got.loc[got["approach_id"] == "b", "niva"].item() == "förebygga"


def test_gap_approaches_of_the_example_agree_with_a_plain_loop():
    from fouanalys.coverage import MIN_STAGE_SHARE

    approaches = knowledge.load_knowledge()
    from support import example_tables

    gaps = example_tables(CB)["gaps"]  # the embedded example's gap map, as the build makes it
    got = knowledge.gap_approaches(gaps, approaches, CB)
    stages = {s.id: (s.age_from, s.age_to) for s in CB.life_stages}
    expected = []
    for g in gaps.itertuples(index=False):
        if g.status not in ("saknas", "tunn", "okänd"):
            continue
        sf, st = stages[g.stage]
        for a in approaches.itertuples(index=False):
            years = max(min(a.alder_till, st) - max(a.alder_fran, sf) + 1, 0)
            inside = a.alder_fran >= sf and a.alder_till <= st
            covers = years > 0 and (years >= MIN_STAGE_SHARE * (st - sf + 1) or inside)
            if covers and not a.skadlig and g.factor in knowledge.split(a.faktorer):
                expected.append((g.municipality_code, g.factor, g.stage, a.approach_id))
    got_rows = list(
        zip(got["municipality_code"], got["factor"], got["stage"], got["approach_id"], strict=True)
    )
    assert got_rows == expected and len(expected) > 0
    assert "scared_straight" not in set(got["approach_id"])


def _inventory(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """An inventory of (kommunkod, insats, metod, status) rows, as the reader types it."""
    frame = pd.DataFrame(rows, columns=["kommunkod", "insats", "metod", "status"])
    frame["metod"] = frame["metod"].replace("", pd.NA)
    return frame


def test_interventions_link_by_metod_or_by_a_programme_named_in_full(tmp_path):
    rows = [
        _row(approach_id="a", program="MST;MST-PSB"),
        _row(approach_id="b", program="KiVa"),
        _row(approach_id="c", program="PATHS;Positive Action"),
    ]
    approaches = knowledge.load_knowledge(_write(tmp_path / "k.csv", rows), CB)
    inventory = _inventory(
        [
            ("0123", "MST – multisystemisk terapi", "", "pågående"),
            ("0123", "Kivaprojektet", "", "pågående"),  # not the whole word: no link
            ("0123", "KiVa och Olweus", "c", "pågående"),  # metod wins over the name
            ("0184", "paths och kiva i skolan", "", "planerad"),  # any case, two programmes
            ("0184", "Läxhjälp", "", "pågående"),
        ]
    )
    got = knowledge.link_interventions(inventory, approaches)
    assert list(got.columns) == knowledge.LINK_COLUMNS
    assert got.values.tolist() == [
        ["0123", "MST – multisystemisk terapi", "pågående", "a", "program", "MST"],
        ["0123", "KiVa och Olweus", "pågående", "c", "metod", ""],
        ["0184", "paths och kiva i skolan", "planerad", "b", "program", "KiVa"],
        ["0184", "paths och kiva i skolan", "planerad", "c", "program", "PATHS"],
    ]


def test_gap_approaches_name_the_ongoing_interventions_that_already_use_them(tmp_path):
    rows = [_row(approach_id="a", faktorer="impulsivitet", alder_fran="13", alder_till="15")]
    approaches = knowledge.load_knowledge(_write(tmp_path / "k.csv", rows), CB)
    gaps = pd.DataFrame(
        {
            "municipality_code": ["0123", "0184"],
            "year": [2024, 2024],
            "factor": ["impulsivitet", "impulsivitet"],
            "stage": ["13-15", "13-15"],
            "status": ["tunn", "saknas"],
        }
    )
    links = pd.DataFrame(
        [
            ("0123", "Första", "pågående", "a", "metod", ""),
            ("0123", "Andra", "pågående", "a", "program", "X"),
            ("0123", "Planerad", "planerad", "a", "metod", ""),  # not run yet
            ("0184", "Annan kommuns", "avslutad", "a", "metod", ""),  # ended
        ],
        columns=knowledge.LINK_COLUMNS,
    )
    got = knowledge.gap_approaches(gaps, approaches, CB, links)
    assert got[["municipality_code", "in_use", "own_interventions"]].values.tolist() == [
        ["0123", 2, "Första;Andra"],
        ["0184", 0, ""],
    ]


def test_the_example_inventory_links_by_metod_and_by_name():
    from support import example_tables

    tables = example_tables(CB)
    links = tables["approach_links"]
    by = links.groupby("linked_by")["intervention"].agg(set)
    assert "Mentorsprogram för unga" in by["metod"]
    assert "MST – multisystemisk terapi" in by["program"]
    # every link names an approach the knowledge base has, and metod cells come through
    assert set(links["approach_id"]) <= set(tables["approaches"]["approach_id"])
    metod = tables["insatser"]["metod"].dropna()
    assert len(metod) == (links["linked_by"] == "metod").sum() > 0
    in_use = tables["gap_approaches"].query("in_use > 0")
    assert len(in_use) > 0
    for row in in_use.itertuples(index=False):
        own = links.query(
            "municipality_code == @row.municipality_code and approach_id == @row.approach_id"
            " and status == 'pågående'"
        )
        assert set(row.own_interventions.split(";")) == set(own["intervention"])
