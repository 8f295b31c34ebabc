"""A PDF without layout faults (issue 17): no page left mostly blank in the middle of a chapter,
no figure wider or taller than the text block, no caption parted from its figure or table.

The checks (``pdflayout``, with pypdfium2) are first shown to find each fault in small
documents printed with the report stylesheet, and to pass a clean one; any figure fits on a
page with its caption; the slow test runs the checks on every PDF of the full build on the
example data (the session's ``full_build``, shared with test_runner).
"""

from __future__ import annotations

import base64
import io

import pytest
from pdflayout import (
    MM,
    Margins,
    blank_pages,
    fills,
    layout_faults,
    page_margins,
    parted_captions,
    wide_figures,
)

from fouanalys.build import export

TEXT = (
    "Kartläggningen visar vilka insatser kommunen har för barn och unga, på vilken nivå och "
    "för vilka åldrar, och var det saknas insatser mot de faktorer som sticker ut. "
)


def _png(width: int, height: int) -> str:
    """A grey picture with a dark frame, as a data URI."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (width, height), (200, 205, 215))
    ImageDraw.Draw(picture).rectangle([0, 0, width - 1, height - 1], outline=(20, 40, 80), width=4)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _figure(src: str, number: int = 1, style: str = "", caption_style: str = "") -> str:
    return (
        f'<figure class="fou-output fou-figure" style="{style}"><img src="{src}" alt="">'
        f'<figcaption style="{caption_style}"><span class="fou-fignum">Figur {number}.</span> '
        "Insatserna längs livsförloppet, efter nivå och inriktning.</figcaption></figure>"
    )


def _pdf(body: str, extra_css: str = "") -> bytes:
    """``body`` printed with the report stylesheet (and ``extra_css``), as the build prints a
    chapter."""
    css = export.report_css() + extra_css
    return export.html_to_pdf(
        f'<html lang="sv"><head><style>{css}</style></head><body>{body}</body></html>'
    )


def _paragraphs(n: int, lines: int = 4) -> str:
    """``n`` paragraphs of running text, each about ``lines`` lines long (a line holds about
    half of ``TEXT``)."""
    return f"<p>{TEXT * (lines // 2)}</p>" * n


def test_the_text_block_is_the_page_less_the_stylesheets_margins():
    margins = page_margins()  # report.css: margin: 22mm 18mm 20mm 18mm
    expected = (22 * MM, 18 * MM, 20 * MM, 18 * MM)
    assert (margins.top, margins.right, margins.bottom, margins.left) == pytest.approx(expected)
    assert page_margins("@page {\n  margin: 10mm 1in;\n}") == Margins(10 * MM, 72, 10 * MM, 72)
    with pytest.raises(ValueError, match="margin"):
        page_margins("@page {\n  size: A4;\n}")


def test_a_page_left_mostly_blank_mid_chapter_is_found():
    # a short paragraph, then a forced page break
    forced = _pdf(f"<h1>Kapitel</h1><p>{TEXT}</p><p style='break-before: page'>{TEXT}</p>")
    [finding] = blank_pages(forced)
    assert (finding.page, finding.kind) == (1, "blank")
    assert fills(forced)[0] < 0.2
    # a figure too tall for the rest of the page goes whole to the next one
    pushed = _pdf(f"<h1>Kapitel</h1>{_paragraphs(3)}{_figure(_png(800, 1400))}<p>{TEXT}</p>")
    [finding] = blank_pages(pushed)
    assert finding.page == 1 and 0.2 < fills(pushed)[0] < 0.5
    assert "s. 1: innehållet slutar efter" in str(finding)


def test_the_end_of_a_chapter_and_of_the_document_may_be_blank():
    two_chapters = _pdf(
        f"<h1>Ett</h1><p>{TEXT}</p><h1 style='break-before: page'>Två</h1><p>{TEXT}</p>"
    )
    assert fills(two_chapters)[0] < 0.2 and blank_pages(two_chapters) == []
    # a new section (h2) on a forced new page does not end a chapter
    sections = _pdf(f"<h1>Ett</h1><p>{TEXT}</p><h2 style='break-before: page'>Två</h2><p>x</p>")
    assert [f.page for f in blank_pages(sections)] == [1]


def test_an_image_wider_or_taller_than_the_text_block_is_found():
    src = _png(600, 300)
    wide = _pdf(f'<p>{TEXT}</p><img src="{src}" style="max-width: none; width: 200mm">')
    [finding] = wide_figures(wide)
    assert (finding.page, finding.kind) == (1, "wide") and "200 × 100 mm" in finding.what
    tall = _pdf(
        f'<img src="{src}" style="max-width: none; max-height: none; width: 100mm; height: 270mm">'
    )
    assert [(f.page, f.kind) for f in wide_figures(tall)] == [(1, "tall")]
    full_width = _pdf(f'<p>{TEXT}</p><img src="{src}" style="width: 100%">')
    assert wide_figures(full_width) == []


def test_a_caption_parted_from_its_figure_is_found():
    parted = _pdf(
        _figure(_png(600, 300), style="break-inside: auto", caption_style="break-before: page")
    )
    [finding] = parted_captions(parted)
    assert (finding.page, finding.kind) == (2, "caption") and "Figur 1" in finding.what
    # a reference to a figure in running text is not a caption
    together = _pdf(f"{_figure(_png(600, 300))}<p>Som Figur 1. visar {TEXT}</p>")
    assert parted_captions(together) == []


def test_a_caption_parted_from_its_table_is_found():
    """Without the stylesheet's rule that keeps a table's caption with its first rows, a
    caption at the foot of a page stays there alone."""
    import pandas as pd

    from fouanalys.present import tables

    rows = pd.DataFrame({"Grupp": [f"Grupp {i}" for i in range(30)], "Antal": range(30)})
    table = tables.table(rows, caption="Antal per grupp")._repr_html_()
    table = table.replace("<caption>", '<caption><span class="fou-tabnum">Tabell 1.</span> ')
    body = f'<div style="height: 239mm"></div>{table}'
    loose = "table caption { break-after: auto !important; }"
    [finding] = parted_captions(_pdf(body, loose))
    assert (finding.page, finding.kind) == (1, "caption") and "Tabell 1 " in finding.what
    assert parted_captions(_pdf(body)) == []


def test_a_report_with_title_page_contents_chapters_and_figures_has_no_fault():
    chapters = [
        export.Heading(1, "k1", "Underlag"),
        export.Heading(2, "k1-a", "Svarande"),
        export.Heading(1, "k2", "Insatser"),
    ]
    body = (
        '<header class="fou-title fou-titlepage"><div class="fou-banner">Syntetiska '
        "exempeldata</div><h1>Slutrapport – Järfälla</h1></header>"
        f"{export.toc_html(chapters)}<main>"
        '<section class="fou-chapter" id="k1"><h1 class="fou-chapter-title">Underlag</h1>'
        f"{_paragraphs(3)}<h2 id='k1-a'>Svarande</h2>{_paragraphs(2)}"
        f"{_figure(_png(900, 500))}{_paragraphs(4)}</section>"
        '<section class="fou-chapter" id="k2"><h1 class="fou-chapter-title">Insatser</h1>'
        f"{_paragraphs(1)}</section></main>"
    )
    report = _pdf(body)
    # the title page, the contents and the last page of each chapter end with blank space
    assert [n for n, fill in enumerate(fills(report), start=1) if fill < 0.5] == [1, 2, 4, 5]
    assert layout_faults(report) == []


@pytest.mark.parametrize("ratio", [0.5, 1.5, 3.0, 6.0])
def test_any_figure_fits_on_a_page_with_its_caption_a_heading_and_an_introduction(ratio):
    """The stylesheet limits a figure's height in print: however tall the picture, it stays
    inside the text block, with its caption, after a heading and six lines of introduction."""
    src = _png(800, int(800 * ratio))
    report = _pdf(f"<h2>Efter kunskapsläge</h2>{_paragraphs(1, lines=6)}{_figure(src)}")
    assert len(fills(report)) == 1  # the figure stays on the page of its introduction
    assert wide_figures(report) == [] and parted_captions(report) == []


@pytest.mark.slow
def test_the_built_reports_have_no_layout_faults(full_build):
    """Every PDF of the full build on the example data: the chapters and the final reports
    (Järfälla's and the region's among them)."""
    from fouanalys.chapters import registry

    _summary, root = full_build
    decks = set(registry.deck_ids())  # 16:9 slides: tests/test_seminarium.py checks their pages
    pdfs = sorted(p for p in (root / "reports").glob("*/*.pdf") if p.stem not in decks)
    assert len(pdfs) == 41 + 9  # the chapters and the final reports
    finals = {p.parent.name for p in pdfs if p.stem == "slutrapport"}
    assert {"0123", "region"} <= finals
    faults = [f"{p.parent.name}/{p.name} {f}" for p in pdfs for f in layout_faults(p)]
    assert not faults, "\n".join(faults)


@pytest.mark.slow
def test_no_figure_of_the_built_chapters_has_cut_or_overlapping_text(full_build):
    """Every figure of every chapter of the full build, checked at its print size when the
    notebook drew it (``present.figures.layout_faults``, in the output's metadata): the
    notebook tests run one municipality each, and a long name elsewhere (Upplands-Bro) ran a
    panel title off its edge."""
    import nbformat

    from fouanalys.chapters import registry
    from fouanalys.codebook import load_codebook

    _summary, root = full_build
    notebooks = sorted((root / "reports").glob("*/*.ipynb"))  # the decks' figures too
    chapters = len(load_codebook().municipality_codes) * len(
        registry.chapter_ids("municipality")
    ) + len(registry.chapter_ids("region"))
    decks = set(registry.deck_ids())
    assert len([p for p in notebooks if p.stem not in decks]) == chapters == 41
    figures, faults = 0, []
    for path in notebooks:
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                meta = output.get("metadata", {}).get("fouanalys", {})
                figures += "caption" in meta and "image/png" in output.get("data", {})
                faults += [
                    f"{path.parent.name}/{path.stem}: {f}" for f in meta.get("layout_faults", [])
                ]
    assert figures > chapters * 3
    assert not faults, "\n".join(faults)
