"""Seminar decks: executed deck notebooks to an offline reveal.js HTML deck and a 16:9 PDF.

A deck is a notebook whose cells carry Jupyter's slideshow metadata
(``cell.metadata.slideshow.slide_type``: "slide", "subslide", "fragment", "skip", "notes" or
"-"). Code inputs are never shown; the outputs (Markdown, figures, ``present.table`` tables)
and Markdown cells are the slides' content; a "notes" cell holds the speaker notes of the slide
it follows.

``DeckHTMLExporter`` is nbconvert's ``SlidesExporter`` with the project's template
(``templates/fouanalys_deck``, built on the chapter template's cells and outputs): one
self-contained HTML file with the vendored reveal.js (``templates/reveal``), its notes plugin
and the deck stylesheet inlined, 16:9 slides of 1280 × 720 px in large type, and the
synthetic-data banner when the notebook's metadata says synthetic (:func:`chapter_info`). No
file, font or script is fetched from anywhere. ``DeckPDFExporter`` prints the same slides,
one page per slide or subslide (fragments shown, notes left out), to a 16:9 PDF
(338.667 × 190.5 mm) with WeasyPrint. :func:`export_deck` writes both beside the notebook.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.exporters import SlidesExporter
from nbconvert.preprocessors import Preprocessor
from traitlets import default

from fouanalys.build.export import (
    _check_formats,
    _read_notebook,
    chapter_info,
    html_to_pdf,
    neutralize,
)
from fouanalys.config import TEMPLATE_DIR
from fouanalys.exceptions import FouanalysError
from fouanalys.ingest.files import atomic_write

log = logging.getLogger("fouanalys")

REVEAL_DIR = TEMPLATE_DIR / "reveal"
DECK_TEMPLATE = "fouanalys_deck"

#: reveal.js settings: 16:9 at 1280 × 720, content from the top, no remote anything.
REVEAL_CONFIG: dict[str, Any] = {
    "width": 1280,
    "height": 720,
    "margin": 0.04,
    "center": False,
    "hash": True,
    "slideNumber": "c/t",
    "transition": "none",
    "controls": True,
    "progress": True,
}

_SLIDES = re.compile(r"(<!--fou-slides-->)(.*)(<!--/fou-slides-->)", re.DOTALL)
_IMPORT = re.compile(r"@import\s+url\([^)]*\)\s*;?")


def _inline_script(source: str) -> str:
    """Script text safe inside an inline ``<script>``: no ``</script`` or ``<!--`` in it."""
    return source.replace("</script", "<\\/script").replace("<!--", "<\\!--")


@functools.cache
def deck_assets() -> dict[str, str]:
    """The inlined parts of every deck: reveal.js, its CSS and white theme (its web-font
    ``@import`` dropped), the notes plugin, the deck stylesheet and the reveal.js settings."""

    def read(*parts: str) -> str:
        return Path(*parts).read_text(encoding="utf-8")

    return {
        "reveal_js": _inline_script(read(REVEAL_DIR, "reveal.js")),
        "notes_js": _inline_script(read(REVEAL_DIR, "plugin", "notes", "notes.js")),
        "reveal_css": read(REVEAL_DIR, "reveal.css"),
        "theme_css": _IMPORT.sub("", read(REVEAL_DIR, "theme", "white.css")),
        "deck_css": read(TEMPLATE_DIR, DECK_TEMPLATE, "deck.css"),
        "config": json.dumps(REVEAL_CONFIG)[:-1] + ", plugins: [RevealNotes]}",
    }


def _slide_type(cell: nbformat.NotebookNode) -> str:
    """A cell's slide type as the deck uses it ("-" when it has none). A code cell that
    shows nothing and only continues a slide ("-": a parameters cell, papermill's injected
    parameters, imports) counts as "skip", so that it cannot open an empty first slide."""
    kind = (cell.get("metadata", {}).get("slideshow") or {}).get("slide_type", "-") or "-"
    if kind == "-" and cell.get("cell_type") == "code" and not cell.get("outputs"):
        return "skip"
    return kind


def slide_types(nb: nbformat.NotebookNode) -> list[str]:
    """Each cell's slide type, as :func:`_slide_type` reads it; a slide whose opening code
    cell shows nothing (a section that does not apply to the municipality, e.g. what changed
    since a previous mapping round it does not have) is skipped whole, with its notes."""
    types = [_slide_type(cell) for cell in nb.cells]
    dropping = False
    for i, cell in enumerate(nb.cells):
        if types[i] in ("slide", "subslide"):
            dropping = cell.get("cell_type") == "code" and not cell.get("outputs")
        if dropping:
            types[i] = "skip"
    return types


class SilentCellsPreprocessor(Preprocessor):
    """Mark code cells that show nothing and only continue a slide, and slides that show
    nothing, as "skip" (see :func:`slide_types`); runs before nbconvert's slide
    preprocessor."""

    def preprocess(self, nb, resources):
        for cell, kind in zip(nb.cells, slide_types(nb), strict=True):
            if kind == "skip":
                cell.metadata.setdefault("slideshow", {})["slide_type"] = "skip"
        return nb, resources


def slide_count(nb: nbformat.NotebookNode) -> int:
    """How many slides (slides and subslides: one PDF page each) the notebook makes.

    The first cell that is neither "notes" nor "skip" opens the first slide, as in nbconvert;
    every later "slide" or "subslide" cell opens another.
    """
    types = slide_types(nb)
    shown = [i for i, t in enumerate(types) if t not in ("notes", "skip")]
    if not shown:
        return 0
    return 1 + sum(t in ("slide", "subslide") for t in types[shown[0] + 1 :])


class DeckHTMLExporter(SlidesExporter):
    """A seminar deck as one self-contained reveal.js HTML file (no code, no network)."""

    export_from_notebook = "fouanalys-seminarium (HTML)"
    #: True: the print HTML the PDF is made from (one section per slide, no reveal.js).
    printing = False

    @default("template_name")
    def _template_name_default(self) -> str:
        return DECK_TEMPLATE

    @default("template_file")
    def _template_file_default(self) -> str:
        return "deck.html.j2"

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self) -> list[str]:
        return [str(TEMPLATE_DIR)]

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return ".html"

    @default("exclude_input")
    def _exclude_input_default(self) -> bool:
        return True

    @default("exclude_input_prompt")
    def _exclude_input_prompt_default(self) -> bool:
        return True

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self) -> bool:
        return True

    @default("exclude_anchor_links")
    def _exclude_anchor_links_default(self) -> bool:
        return True

    @default("language_code")
    def _language_code_default(self) -> str:
        return "sv"

    def from_notebook_node(  # type: ignore[override]
        self, nb: nbformat.NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        if slide_count(nb) == 0:
            raise FouanalysError(
                "Notebooken har inga bilder: varje cell är 'notes' eller 'skip'. Ge cellerna "
                "bildtyper (View → Cell Toolbar → Slideshow i Jupyter)."
            )
        resources = dict(resources or {})
        path = resources.get("metadata", {}).get("path")
        name = resources.get("metadata", {}).get("name")
        source = Path(path, name) if path and name else None
        resources["fouanalys"] = chapter_info(nb, source)
        resources["deck"] = {"print": self.printing, "assets": deck_assets()}
        document, resources = super().from_notebook_node(nb, resources, **kw)
        found = _SLIDES.search(document)
        if found is None:
            raise FouanalysError("Bildspelsmallen gav inga bilder; mallen är trasig.")
        safe = neutralize(found.group(2))
        document = document[: found.start(2)] + safe + document[found.end(2) :]
        return document, resources


class DeckPrintExporter(DeckHTMLExporter):
    """The print HTML of a deck: one ``<section class="fou-page">`` per slide, 16:9 pages."""

    export_from_notebook = None  # internal: the PDF exporter's input
    printing = True


class DeckPDFExporter(DeckPrintExporter):
    """A seminar deck as a 16:9 PDF, one page per slide, printed by WeasyPrint."""

    export_from_notebook = "fouanalys-seminarium (PDF)"
    output_mimetype = "application/pdf"

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return ".pdf"

    def from_notebook_node(  # type: ignore[override]
        self, nb: nbformat.NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[bytes, dict[str, Any]]:
        html_text, resources = super().from_notebook_node(nb, resources, **kw)
        resources["fouanalys_html"] = html_text
        resources["output_extension"] = ".pdf"
        return html_to_pdf(html_text), resources


def export_deck(
    notebook_path: Path | str, formats: Sequence[str] = ("html", "pdf")
) -> dict[str, Path]:
    """Export an executed deck notebook to ``<stem>.html`` and/or ``<stem>.pdf`` beside it.

    Each file is written atomically. Returns ``{"html": path, "pdf": path}`` for the formats
    asked for. Raises :class:`FouanalysError` for an unknown format, an unreadable notebook,
    a notebook without slides or a failed write.
    """
    notebook_path = Path(notebook_path)
    _check_formats(formats)
    nb = _read_notebook(notebook_path)
    started = time.perf_counter()
    written: dict[str, Path] = {}

    def resources() -> dict[str, Any]:
        return {"metadata": {"name": notebook_path.stem, "path": str(notebook_path.parent)}}

    if "html" in formats:
        html_text, _ = DeckHTMLExporter().from_notebook_node(nb, resources())
        written["html"] = atomic_write(notebook_path.with_suffix(".html"), html_text)
    if "pdf" in formats:
        pdf, _ = DeckPDFExporter().from_notebook_node(nb, resources())
        written["pdf"] = atomic_write(notebook_path.with_suffix(".pdf"), pdf)
    log.debug(
        "Exported deck %s to %s in %.2f s",
        notebook_path,
        ", ".join(sorted(written)),
        time.perf_counter() - started,
    )
    return written
