"""Seminar decks: the offline reveal.js HTML and the 16:9 PDF of a small test deck."""

from __future__ import annotations

import base64
import io
import re

import nbformat
import pytest

from fouanalys.build.slides import REVEAL_CONFIG, export_deck, slide_count
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
