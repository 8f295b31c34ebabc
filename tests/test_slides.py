# ruff: noqa: F811  (the fixture `prepared` is imported from support)
"""Seminar decks: the offline reveal.js HTML and the 16:9 PDF of a small test deck."""

from __future__ import annotations

import base64
import io
import re

import nbformat
import pytest
from support import copy_prepared, prepared  # noqa: F401 (a fixture)

from fouanalys.build.slides import REVEAL_CONFIG, export_deck, slide_count, slide_types
from fouanalys.config import SYNTHETIC_BANNER
from fouanalys.exceptions import FouanalysError

#: Text that must appear on each slide of :func:`deck_notebook`, in order.
SLIDE_TEXTS = (
    "Seminarium i Ekerö",
    "Riskfaktorer i åk 9",
    "Skolk och våld",
    "Förekomst per årskurs",
    "Sista bilden: frågor?",
)


def _png() -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(12.8, 6.4), dpi=100)
    ax.bar(["Åk 9", "Gy 2"], [12, 18])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _markdown(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("display_data", data={"text/markdown": text})


def _cell(slide_type: str | None, markdown: str = "", outputs=()) -> nbformat.NotebookNode:
    if outputs:
        cell = nbformat.v4.new_code_cell("display(x)")
        cell.outputs = list(outputs)
    else:
        cell = nbformat.v4.new_markdown_cell(markdown)
    if slide_type:
        cell.metadata["slideshow"] = {"slide_type": slide_type}
    return cell


def deck_notebook(synthetic: bool = True) -> nbformat.NotebookNode:
    """An executed five-slide deck: a title, a slide with a fragment, a subslide with a figure,
    a table slide, a last slide; notes, a skipped cell and a smuggled <script>."""
    import pandas as pd

    from fouanalys.present.tables import table

    frame = pd.DataFrame({"Faktor": ["Skolk", "Våld"], "Åk 9": ["12 %", "8 %"]})
    tab = table(frame, "Förekomst per årskurs")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _cell("slide", "# Seminarium i Ekerö\n\nFörebygga, förhindra, riskreducera"),
        _cell("notes", "Talarmanus: hälsa välkommen. Källa: Stockholmsenkäten."),
        _cell("slide", outputs=[_markdown("## Riskfaktorer i åk 9\n\n- Skolk\n- Trygga vuxna")]),
        _cell("fragment", outputs=[_markdown("**Slutsats:** <script>alert(1)</script>")]),
        _cell(
            "subslide",
            outputs=[
                _markdown("## Skolk och våld"),
                nbformat.v4.new_output("display_data", data={"image/png": _png()}),
            ],
        ),
        _cell("skip", outputs=[_markdown("Hoppas över")]),
        _cell(
            "slide",
            outputs=[nbformat.v4.new_output("display_data", data={"text/html": tab._repr_html_()})],
        ),
        _cell("notes", "Anteckning: tabellen bygger på syntetiska data."),
        _cell("slide", "## Sista bilden: frågor?"),
    ]
    nb.metadata["fouanalys"] = {
        "municipality_code": "0125",
        "municipality_name": "Ekerö",
        "chapter_id": "seminarium",
        "chapter_title": "Seminarium",
        "synthetic": synthetic,
        "data_version": "test",
        "built": "2025-01-01",
        "package_version": "0.1.0",
    }
    return nb


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The test deck written and exported to HTML and PDF: (notebook, {"html": …, "pdf": …})."""
    path = tmp_path_factory.mktemp("deck") / "seminarium.ipynb"
    nbformat.write(deck_notebook(), path)
    return path, export_deck(path)


def _slides(document: str) -> str:
    return document.split("<!--fou-slides-->", 1)[1].split("<!--/fou-slides-->", 1)[0]


def test_slide_count_follows_the_slideshow_metadata():
    assert slide_count(deck_notebook()) == len(SLIDE_TEXTS)
    nb = nbformat.v4.new_notebook()
    nb.cells = [_cell("notes", "x"), _cell("skip", "y"), _cell(None, "z"), _cell("-", "w")]
    assert slide_count(nb) == 1  # the first shown cell opens a slide
    silent = nbformat.v4.new_code_cell("tema = 'x'")  # a parameters cell: shows nothing
    nb.cells = [silent, _cell("slide", "# Första"), _cell("slide", "# Andra")]
    assert slide_count(nb) == 2
    # A slide whose code cell shows nothing (a section that does not apply) is dropped with
    # its notes, so no blank page or empty slide is made.
    empty = nbformat.v4.new_code_cell("if False: display(x)")
    empty.metadata["slideshow"] = {"slide_type": "slide"}
    nb.cells = [
        _cell("slide", "# Första"),
        empty,
        _cell("notes", "om tomt"),
        _cell("slide", "# Sista"),
    ]
    assert slide_count(nb) == 2
    assert slide_types(nb) == ["slide", "skip", "skip", "slide"]


def test_html_deck_is_self_contained(exported):
    _, made = exported
    document = made["html"].read_text(encoding="utf-8")
    links = re.findall(r"""(?:src|href)\s*=\s*["']?\s*(https?:|//)""", document, re.I)
    urls = re.findall(r"""url\(\s*["']?\s*(https?:|//)""", document, re.I)
    imports = re.findall(r"@import", document)
    assert not links and not urls and not imports
    assert "Reveal.initialize(" in document and "RevealNotes" in document
    assert "<script src" not in document and "<link" not in document
    config = document.rsplit("Reveal.initialize(", 1)[1]
    assert f'"width": {REVEAL_CONFIG["width"]}' in config and '"height": 720' in config


def test_html_deck_holds_every_slide(exported):
    _, made = exported
    slides = _slides(made["html"].read_text(encoding="utf-8"))
    for text in SLIDE_TEXTS:
        assert text in slides
    positions = [slides.index(t) for t in SLIDE_TEXTS]
    assert positions == sorted(positions)
    # Four horizontal slides, the second with a subslide: 4 outer + 5 inner sections.
    assert slides.count("<section") == 9
    assert '<div class="fragment">' in slides
    assert slides.count('<aside class="notes">') == 2 and "Talarmanus" in slides
    assert "Hoppas över" not in slides and "data:image/png;base64," in slides
    assert "<script" not in slides and "&lt;script" in slides  # neutralized
    assert SYNTHETIC_BANNER in made["html"].read_text(encoding="utf-8")


def test_banner_only_when_synthetic(tmp_path):
    path = tmp_path / "riktig.ipynb"
    nbformat.write(deck_notebook(synthetic=False), path)
    made = export_deck(path, formats=("html",))
    assert set(made) == {"html"}
    assert SYNTHETIC_BANNER not in made["html"].read_text(encoding="utf-8")


def test_pdf_deck_one_16_9_page_per_slide(exported):
    import pypdfium2 as pdfium

    nb_path, made = exported
    pdf = pdfium.PdfDocument(made["pdf"])
    try:
        # One page per slide: a slide whose content overflows would add a page.
        assert len(pdf) == slide_count(nbformat.read(nb_path, as_version=4)) == len(SLIDE_TEXTS)
        texts = []
        for page in pdf:
            width, height = page.get_size()
            assert width / height == pytest.approx(16 / 9, rel=1e-3)
            assert width == pytest.approx(338.667 / 25.4 * 72, rel=1e-3)
            texts.append(" ".join(page.get_textpage().get_text_range().split()))
    finally:
        pdf.close()
    for text, page in zip(SLIDE_TEXTS, texts, strict=True):
        assert text in page
    assert "Talarmanus" not in "".join(texts)  # notes are not printed
    assert "Hoppas över" not in "".join(texts)
    assert all(SYNTHETIC_BANNER in page for page in texts)
    assert "åk" in texts[1] and "Förekomst" in texts[3]


def test_a_notebook_without_slides_is_refused(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [_cell("notes", "bara anteckningar")]
    path = tmp_path / "tom.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(FouanalysError, match="inga bilder"):
        export_deck(path)


# --- the build: a deck entry is planned, cached and indexed like a chapter, not reported ------

DECK_ID = "testbildspel"
CODE = "0125"  # Ekerö


def build_deck_notebook() -> nbformat.NotebookNode:
    """A deck notebook the build runs: parameters (with ``tema``), three slides, notes."""
    params = nbformat.v4.new_code_cell(
        "municipality = None\ndata_dir = None\nprocessed_dir = None\nseed = 0\ntema = None"
    )
    params.metadata["tags"] = ["parameters"]
    params.metadata["slideshow"] = {"slide_type": "skip"}
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        params,
        nbformat.v4.new_code_cell(
            "from IPython.display import Markdown\n"
            "from fouanalys.ingest.processing import load_table\n"
            "rows = load_table('insatser', processed_dir)\n"
            "rows = rows[rows['kommunkod'] == municipality]\n"
            "display(Markdown(f'# Tema: {tema}'))"
        ),
        nbformat.v4.new_code_cell("display(Markdown(f'## Insatser: {len(rows)} stycken'))"),
        nbformat.v4.new_markdown_cell("Talarmanus: källa är kartläggningen."),
        nbformat.v4.new_markdown_cell("## Frågor och samtal"),
    ]
    for cell, kind in zip(nb.cells[1:], ("slide", "slide", "notes", "slide"), strict=True):
        cell.metadata["slideshow"] = {"slide_type": kind}
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def _deck_entry(tema: str):
    from fouanalys.chapters.registry import Chapter, _reads

    return Chapter(
        id=DECK_ID,
        title="Testbildspel",
        scope="municipality",
        kind="deck",
        notebook="09_testbildspel.ipynb",
        reads=_reads(own="insatser"),
        packages=(),
        parameters={"tema": tema},
    )


@pytest.fixture
def deck_project(prepared, tmp_path, monkeypatch):
    """Example data with its processed tables already made, a notebooks folder with a
    stand-in chapter 03 and the test deck, a registry of those two entries, and a build
    function."""
    from test_buildcache import chapter_notebook

    from fouanalys.build import runner
    from fouanalys.chapters import registry

    monkeypatch.setattr(runner, "KERNEL_NAME", "python3")
    data, _ = copy_prepared(prepared, tmp_path)
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nbformat.write(chapter_notebook(), notebooks / "03_insatser.ipynb")
    nbformat.write(build_deck_notebook(), notebooks / "09_testbildspel.ipynb")
    chapter03 = registry.chapter("03_insatser")

    def use_registry(tema: str) -> None:
        monkeypatch.setattr(registry, "CHAPTERS", (chapter03, _deck_entry(tema)))

    def build(**kw):
        args = {
            "municipalities": [CODE],
            "data_dir": data,
            "processed_dir": tmp_path / "processed",
            "reports_dir": tmp_path / "reports",
            "jobs": 1,
            "progress": False,
            "notebooks_dir": notebooks,
        }
        return runner.build(**(args | kw))

    use_registry("förebygga")
    return tmp_path / "reports", use_registry, build


def test_registry_keeps_chapters_and_decks_apart(monkeypatch):
    from fouanalys.chapters import registry

    chapters, decks, regional = (
        registry.chapter_ids(),
        registry.deck_ids(),
        registry.deck_ids("region"),
    )
    assert "seminarium" in decks and "seminarium" not in regional
    monkeypatch.setattr(registry, "CHAPTERS", (*registry.CHAPTERS, _deck_entry("förebygga")))
    assert registry.chapter_ids() == chapters
    assert registry.deck_ids() == (*decks, DECK_ID) and registry.deck_ids("region") == regional
    assert registry.entry_ids() == (*chapters, *decks, DECK_ID)
    assert registry.kind(DECK_ID) == "deck" and registry.kind(chapters[0]) == "chapter"
    assert registry.parameters(DECK_ID) == {"tema": "förebygga"}
    assert registry.notebook_file(DECK_ID) == "09_testbildspel.ipynb"


@pytest.mark.slow
def test_build_makes_caches_and_indexes_a_deck(deck_project):
    reports, use_registry, build = deck_project
    first = build()
    assert first.ok, [r.error for r in first.failed]
    deck = next(r for r in first.results if r.chapter_id == DECK_ID)
    assert deck.kind == "deck" and not deck.cached
    folder = reports / CODE
    html_text = (folder / f"{DECK_ID}.html").read_text(encoding="utf-8")
    assert "Tema: förebygga" in html_text and "Reveal.initialize(" in html_text
    assert "Frågor och samtal" in html_text and '<aside class="notes">' in html_text
    import pypdfium2 as pdfium

    executed = nbformat.read(folder / f"{DECK_ID}.ipynb", as_version=4)
    assert executed.metadata["papermill"]["parameters"]["tema"] == "förebygga"
    assert slide_count(executed) == 3  # parameters cells open no empty slide
    pdf = pdfium.PdfDocument(folder / f"{DECK_ID}.pdf")
    try:
        assert len(pdf) == 3
        first = pdf[0].get_textpage().get_text_range()
    finally:
        pdf.close()
    assert "Tema: förebygga" in first
    # The final report holds the chapter, never the deck.
    final = (folder / "slutrapport.html").read_text(encoding="utf-8")
    assert "Testkapitel" in final or "Insatser" in final
    assert "Tema: förebygga" not in final and "Testbildspel" not in final
    # The index links the deck under Seminariematerial.
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert "Seminariematerial" in index
    assert f'href="{CODE}/{DECK_ID}.html"' in index and f'href="{CODE}/{DECK_ID}.pdf"' in index
    assert "1 kapitel och 1 bildspel" in index

    again = build()  # nothing changed: nothing runs
    assert again.ok and not again.executed

    use_registry("förhindra")  # a changed parameter re-runs the deck, and only the deck
    changed = build()
    assert changed.ok and [r.chapter_id for r in changed.executed] == [DECK_ID]
    assert "Tema: förhindra" in (folder / f"{DECK_ID}.html").read_text(encoding="utf-8")


# --- in a browser: the deck runs from a file:// URL with the network blocked ---------------


@pytest.mark.slow
def test_deck_runs_offline_in_chromium(exported):
    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM_ARGS, _chromium

    chromium = _chromium()  # skips with the install hint when Chromium is missing
    _, made = exported
    url = made["html"].resolve().as_uri()
    remote: list[str] = []

    def route(r) -> None:
        if r.request.url.startswith(("file:", "data:", "blob:", "about:")):
            r.continue_()
        else:
            remote.append(r.request.url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.route("**/*", route)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(url)
            page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=15_000)
            assert page.evaluate("() => Reveal.getIndices().h") == 0
            assert page.evaluate("() => Reveal.getTotalSlides()") == len(SLIDE_TEXTS)
            config = page.evaluate("() => Reveal.getConfig()")
            assert (config["width"], config["height"]) == (1280, 720)
            assert page.evaluate("() => Reveal.hasPlugin('notes')")
            page.keyboard.press("ArrowRight")
            assert page.evaluate("() => Reveal.getIndices().h") == 1
            seen = [page.evaluate("() => Reveal.getCurrentSlide().textContent")]
            for _ in range(20):  # fragments and subslides take steps of their own
                if page.evaluate("() => Reveal.isLastSlide() && !Reveal.availableFragments().next"):
                    break
                page.evaluate("() => Reveal.next()")
                seen.append(page.evaluate("() => Reveal.getCurrentSlide().textContent"))
            assert page.evaluate("() => Reveal.isLastSlide()")
            assert SLIDE_TEXTS[-1] in seen[-1]
            body_px = page.evaluate(
                "() => parseFloat(getComputedStyle(Reveal.getCurrentSlide()).fontSize)"
            )
            assert body_px >= 28
        finally:
            browser.close()
    assert not remote, f"bildspelet försökte hämta från nätet: {remote}"
    assert not errors, errors
