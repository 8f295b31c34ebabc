"""The seminar decks: dialogue questions, the level tables, and that every number on a slide
is the number the report prints."""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from support import run_chapter, write_example_processed

from fouanalys.chapters import seminarium
from fouanalys.codebook import load_codebook
from fouanalys.config import NOTEBOOKS_DIR

CODE = "0114"


def _gaps(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "municipality_code": CODE,
                "factor": f,
                "kind": "risk",
                "stage": s,
                "status": st,
                "rank": r,
            }
            for f, s, st, r in rows
        ]
    )


def test_the_title_slide_has_no_date_of_its_own():
    """The footer carries the build's date on every slide; the title slide adds none, so a
    deck re-run from the same tables on another day is the same notebook."""
    manifest = {"created": "2026-12-05T23:30:00-02:00", "synthetic": False}
    text = seminarium.title_text("Ekerö", manifest, "Syntetiska exempeldata")
    assert text.split("\n\n") == ["# Ekerö", "## Seminarium"]
    synthetic = seminarium.title_text(
        "FoU Nordväst", manifest | {"synthetic": True}, "Banner", subtitle="förebygga"
    )
    assert synthetic.startswith("# FoU Nordväst\n\n## Seminarium: förebygga\n\n> **Banner.**")
    assert not re.search(r"\d{4}-\d\d-\d\d", text + synthetic)


def test_dialogue_questions_name_the_top_factor_and_the_most_serious_gap():
    codebook = load_codebook()
    gaps = _gaps(
        [
            ("impulsivitet", "13-15", "tunn", 1),
            ("impulsivitet", "16-18", "finns", 1),
            ("skolanknytning", "16-18", "saknas", 2),
            ("skolanknytning", "6-12", "saknas", 2),
        ]
    )
    questions = seminarium.dialogue_questions(gaps, CODE, "Upplands Väsby", codebook)
    assert len(questions) == 4
    assert questions[0].startswith("Vad känner ni igen i att impulsivitet och normbrytande")
    assert "Upplands Väsby" in questions[0]
    # "saknas" before "tunn" although its factor ranks lower; the youngest stage first
    assert "positivt skolklimat 6–12 år" in questions[2]
    assert questions[3].endswith("6–12 år (saknas), och vem äger frågan?")


def test_dialogue_questions_without_gaps_or_priorities():
    codebook = load_codebook()
    covered = _gaps([("impulsivitet", "13-15", "finns", 1)])
    questions = seminarium.dialogue_questions(covered, CODE, "Ekerö", codebook)
    assert "impulsivitet och normbrytande attityder" in questions[2]
    assert "luckan" not in " ".join(questions)
    none = seminarium.dialogue_questions(covered.iloc[0:0], CODE, "Ekerö", codebook)
    assert "ingen faktor sticker ut" in none[0]


def test_most_serious_gap_orders_by_status_then_rank():
    gaps = _gaps([("a", "13-15", "okänd", 1), ("b", "6-12", "tunn", 3), ("c", "0-5", "tunn", 2)])
    assert seminarium.most_serious_gap(gaps, CODE)["factor"] == "c"
    assert seminarium.most_serious_gap(gaps, "0123") is None


def test_level_inventory_counts_ongoing_interventions_at_the_level():
    codebook = load_codebook()
    insatser = pd.DataFrame(
        {
            "kommunkod": [CODE] * 4,
            "niva": ["förebygga", "förebygga;förhindra", "förhindra", "förebygga"],
            "status": ["pågående", "pågående", "pågående", "avslutad"],
            "kunskapslage": ["evidensbaserad", "lovande", "evidensbaserad", "evidensbaserad"],
        }
    )
    table = seminarium.level_inventory_table(insatser, "förebygga", codebook).set_index("Kommun")
    row = table.loc[codebook.municipality_name(CODE)]
    assert row["Pågående insatser"] == 2
    assert row["Evidensbaserade"] == "50\u00a0%"
    assert table.loc[codebook.municipality_name("0123"), "Evidensbaserade"] == "–"


def test_slide_figures_use_slide_size_and_large_text():
    from matplotlib.text import Text

    gaps = _gaps([("impulsivitet", "13-15", "tunn", 1), ("skolanknytning", "16-18", "saknas", 2)])
    fig = seminarium.gap_map_figure(gaps, CODE)
    assert tuple(fig.get_size_inches()) == seminarium.SLIDE_SIZE
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_text().strip()]
    assert sizes and min(sizes) >= 18


NUMBER = re.compile(r"\d+(?:[ ,.]\d+)*")


def _plain(text: str) -> str:
    """Markdown or HTML as plain text: no tags, entities, emphasis or special spaces."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    for ch in ("\u00a0", "\u202f", "\u2060", "\u2009"):
        text = text.replace(ch, " ")
    return re.sub(r"\s+", " ", text.replace("*", "").replace("<wbr>", ""))


def _numbers(text: str) -> set[str]:
    # list markers ("1. Vad …") and headings' "#" are formatting, not numbers
    text = re.sub(r"(?m)^\s*\d+\.\s", "", text)
    return {m.group().strip(" .,") for m in NUMBER.finditer(_plain(text))}


def _slide_texts(nb) -> list[str]:
    """The Markdown shown on the slides (not the notes), without the title slide."""
    texts, slide = [], 0
    for cell in nb.cells:
        kind = cell.metadata.get("slideshow", {}).get("slide_type")
        if kind == "slide":
            slide += 1
        if kind not in ("slide", "-") or slide <= 1:
            continue
        for out in cell.get("outputs", []):
            md = out.get("data", {}).get("text/markdown")
            if md:
                texts.append(md)
    return texts


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    return write_example_processed(tmp_path_factory.mktemp("processed"), load_codebook())


def _fits_its_pages(executed: Path) -> None:
    """The deck's 16:9 PDF has one page per slide: a slide whose content overflows would
    push it onto a page of its own."""
    import pypdfium2

    from fouanalys.build.slides import export_deck, slide_count

    pdf = pypdfium2.PdfDocument(export_deck(executed, formats=("pdf",))["pdf"])
    width, height = pdf[0].get_size()
    assert len(pdf) == slide_count(nbformat.read(executed, as_version=4))
    assert abs(width / height - 16 / 9) < 1e-3


@pytest.mark.slow
def test_every_number_on_a_slide_is_the_reports(processed, tmp_path):
    deck = run_chapter(
        NOTEBOOKS_DIR / "07_seminarium.ipynb",
        tmp_path / "07.ipynb",
        municipality=CODE,
        processed_dir=str(processed),
    )
    slides = _slide_texts(deck.notebook)
    assert len(slides) >= 10
    _fits_its_pages(tmp_path / "07.ipynb")
    report = ""
    for chapter, extra in (
        ("02_riskfaktorer", {}),
        ("03_insatser", {}),
        ("04_kunskapslaget", {}),
        ("05_natverk", {"replicates": 2}),
    ):
        report += run_chapter(
            NOTEBOOKS_DIR / f"{chapter}.ipynb",
            tmp_path / f"{chapter}.ipynb",
            municipality=CODE,
            processed_dir=str(processed),
            **extra,
        ).text
    report_numbers = _numbers(report)
    plain_report = _plain(report)
    shown = set()
    for text in slides:
        shown |= _numbers(text)
        # a bullet is a chapter's sentence, chosen, never reworded
        for bullet in re.findall(r"(?m)^- (.+)$", text):
            # an approach is the chapter's table row: its name, level and effect
            cells = re.fullmatch(r"\*\*(.+)\*\* \((.+); (.+)\)", bullet)
            for part in cells.groups() if cells else (bullet,):
                assert _plain(part).strip() in plain_report, part
    assert shown, "the slides show no numbers"
    assert shown <= report_numbers, sorted(shown - report_numbers)


@pytest.mark.slow
@pytest.mark.parametrize("tema", seminarium.THEMES)
def test_the_regional_deck_runs_for_every_theme(processed, tmp_path, tema):
    deck = run_chapter(
        NOTEBOOKS_DIR / "08_tema.ipynb",
        tmp_path / "08.ipynb",
        municipality="NV",
        processed_dir=str(processed),
        tema=tema,
    )
    slides = [
        c
        for c in deck.notebook.cells
        if c.metadata.get("slideshow", {}).get("slide_type") == "slide"
    ]
    assert all(c.get("outputs") for c in slides), tema  # no empty slide
    _fits_its_pages(tmp_path / "08.ipynb")
    assert "Frågor till samtalet" in deck.text
    assert (f"nivån {tema}" in deck.text) == (tema != "luckor")


def test_deck_notebooks_open_with_the_parameters_cell():
    for name, extra in (("07_seminarium", set()), ("08_tema", {"tema"})):
        nb = nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
        first = nb.cells[1]
        assert "parameters" in first.metadata.get("tags", [])
        assert first.metadata["slideshow"]["slide_type"] == "skip"
        names = set(re.findall(r"(?m)^(\w+) =", first.source))
        assert names == {"municipality", "data_dir", "processed_dir", "seed"} | extra
        assert all("slideshow" in c.metadata for c in nb.cells)
