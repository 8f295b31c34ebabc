"""Layout checks on a printed report (issue 17), for the tests: pages left mostly blank in the
middle of a chapter, figures wider than the text block, figure captions parted from their
figure. Imported as ``from pdflayout import …``.

The PDF is read with pypdfium2 (PDFium in a pip wheel, a dev dependency: no system package, so
it works the same on a fresh machine and in CI). The text block is the page less the ``@page``
margins of ``report.css``; the running header and footer live in those margins and are not
content.

- A page is **mostly blank** when its content stops before half the text block's height (the
  lowest non-white pixel inside the text block, rendered at 72 dpi), unless it ends a part that
  the stylesheet ends with a page break: the next page starts a chapter (a top-level bookmark,
  which WeasyPrint writes from each ``h1``) or the table of contents, or the page is the last of
  the table of contents (pages whose text has leader dots). The last page of the document is
  never blank in this sense.
- A figure is **too wide** when an image's bounding box reaches more than :data:`TOLERANCE_PT`
  beyond the text block's left or right edge, and **too tall** when it reaches past its top or
  bottom (it runs into the footer or off the page).
- A **caption is parted** from its figure when a line starting ``Figur N.`` at the text block's
  left edge has no image ending just above it on the same page, and from its table when a line
  starting ``Tabell N.`` there has no table header row (the ``th`` background) below it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fouanalys.build.export import report_css

MM = 72 / 25.4  # PDF points per millimetre
#: How far (pt) an image may reach past the text block before it counts as too wide.
TOLERANCE_PT = 1.0
#: Below this share of the text block's height filled, a page is mostly blank.
MIN_FILL = 0.5
#: A pixel is ink when any of its channels is darker than this (white is 255; the zebra
#: stripes of tables, #fafbfc, count as paper).
INK_BELOW = 245
#: The most space (pt) between the foot of a figure and the top of its caption.
CAPTION_GAP_PT = 24.0
_PAGE_RULE = re.compile(r"@page\s*\{(.*?)\n\}", re.DOTALL)
_MARGIN = re.compile(r"^\s*margin\s*:\s*([^;]+);", re.MULTILINE)
_LENGTH = re.compile(r"^(-?[\d.]+)(mm|cm|pt|in|px)?$")
_UNITS = {"mm": MM, "cm": 10 * MM, "pt": 1.0, "in": 72.0, "px": 0.75, None: 0.75}
_TH_BACKGROUND = re.compile(r"^th\s*\{[^}]*background:\s*#([0-9a-fA-F]{6})", re.MULTILINE)
_LEADER = "....."  # the leader dots of the table of contents


@dataclass(frozen=True)
class Margins:
    """The ``@page`` margins in PDF points."""

    top: float
    right: float
    bottom: float
    left: float


@dataclass(frozen=True)
class Finding:
    """One layout fault: the page (numbered from 1, as the footer shows it) and what is wrong."""

    page: int
    kind: str  # "blank" | "wide" | "tall" | "caption"
    what: str

    def __str__(self) -> str:
        return f"s. {self.page}: {self.what}"


def page_margins(css: str | None = None) -> Margins:
    """The margins of the first ``@page`` rule of ``css`` (default: the report stylesheet),
    in points; the CSS shorthand of one to four lengths."""
    css = report_css() if css is None else css
    rule = _PAGE_RULE.search(css)
    found = _MARGIN.search(rule.group(1)) if rule else None
    if not found:
        raise ValueError("the stylesheet has no @page rule with a margin")
    values = []
    for token in found.group(1).split():
        length = _LENGTH.match(token)
        if not length:
            raise ValueError(f"cannot read the @page margin {token!r}")
        values.append(float(length.group(1)) * _UNITS[length.group(2)])
    top, right, bottom, left = {
        1: lambda v: (v[0], v[0], v[0], v[0]),
        2: lambda v: (v[0], v[1], v[0], v[1]),
        3: lambda v: (v[0], v[1], v[2], v[1]),
        4: lambda v: tuple(v),
    }[len(values)](values)
    return Margins(top, right, bottom, left)


def _open(pdf: Path | str | bytes):
    import pypdfium2 as pdfium

    return pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))


def page_fill(page, margins: Margins, scale: float = 1.0) -> float:
    """How far down the text block a page's content reaches, as a share of its height (0 for
    an empty text block, 1 for content down to the bottom margin)."""
    width, height = page.get_size()
    pixels = page.render(scale=scale, grayscale=True).to_numpy()
    ink = pixels.reshape(pixels.shape[0], pixels.shape[1], -1).min(axis=2) < INK_BELOW
    top, bottom = round(margins.top * scale), round((height - margins.bottom) * scale)
    left, right = round(margins.left * scale), round((width - margins.right) * scale)
    rows = ink[top:bottom, left:right].any(axis=1).nonzero()[0]
    return 0.0 if rows.size == 0 else float(rows[-1] + 1) / (bottom - top)


def part_ends(doc) -> set[int]:
    """The pages (from 0) that end a part the stylesheet ends with a page break: the page
    before a top-level bookmark (an ``h1``: a chapter, the appendix), the page before the
    table of contents, and its last page."""
    starts = set()
    for bookmark in doc.get_toc():
        dest = bookmark.get_dest()
        if bookmark.level == 0 and dest is not None:
            starts.add(dest.get_index())
    toc = [_LEADER in page.get_textpage().get_text_range() for page in doc]
    ends = {n - 1 for n in starts}
    for n in range(len(toc) - 1):
        if toc[n + 1] and not toc[n]:
            ends.add(n)
        if toc[n] and not toc[n + 1]:
            ends.add(n)
    return ends


def fills(pdf: Path | str | bytes, margins: Margins | None = None) -> list[float]:
    """:func:`page_fill` of every page."""
    margins = margins or page_margins()
    doc = _open(pdf)
    try:
        return [page_fill(page, margins) for page in doc]
    finally:
        doc.close()


def blank_pages(
    pdf: Path | str | bytes, margins: Margins | None = None, min_fill: float = MIN_FILL
) -> list[Finding]:
    """Pages whose content stops before ``min_fill`` of the text block, except those that end
    a chapter, the title page or the table of contents (:func:`part_ends`) and the last."""
    margins = margins or page_margins()
    doc = _open(pdf)
    try:
        ends = part_ends(doc) | {len(doc) - 1}
        found = []
        for n, page in enumerate(doc):
            if n in ends:
                continue
            fill = page_fill(page, margins)
            if fill < min_fill:
                found.append(
                    Finding(n + 1, "blank", f"innehållet slutar efter {fill:.0%} av satsytan")
                )
        return found
    finally:
        doc.close()


def _images(page) -> Iterator[tuple[float, float, float, float]]:
    import pypdfium2.raw as pdfium_c

    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
        yield obj.get_bounds()  # left, bottom, right, top in page points


def wide_figures(
    pdf: Path | str | bytes, margins: Margins | None = None, tolerance: float = TOLERANCE_PT
) -> list[Finding]:
    """Images whose bounding box reaches more than ``tolerance`` points beyond an edge of the
    text block: its left or right edge (kind "wide"), its top or bottom ("tall")."""
    margins = margins or page_margins()
    doc = _open(pdf)
    try:
        found = []
        for n, page in enumerate(doc):
            width, height = page.get_size()
            left, right = margins.left, width - margins.right
            bottom, top = margins.bottom, height - margins.top
            for x0, y0, x1, y1 in _images(page):
                size = f"en bild {(x1 - x0) / MM:.0f} × {(y1 - y0) / MM:.0f} mm"
                if x0 < left - tolerance or x1 > right + tolerance:
                    over = f"{max(left - x0, x1 - right) / MM:.1f} mm"
                    found.append(
                        Finding(n + 1, "wide", f"{size} når {over} utanför satsytans sida")
                    )
                if y0 < bottom - tolerance or y1 > top + tolerance:
                    over = f"{max(bottom - y0, y1 - top) / MM:.1f} mm"
                    found.append(Finding(n + 1, "tall", f"{size} når {over} ut i sidans marginal"))
        return found
    finally:
        doc.close()


def _captions(text, word: str, margins: Margins) -> Iterator[tuple[str, float, float]]:
    """Captions on a page: ``(label, top, bottom)`` of each line that starts ``{word} N.`` at
    the text block's left edge (a reference in running text rarely starts a line so)."""
    searcher = text.search(f"{word} ", match_case=True)
    while (hit := searcher.get_next()) is not None:
        index, _count = hit
        label = re.match(rf"{word} \d+\.", text.get_text_range(index, 12))
        x0, bottom, _x1, top = text.get_charbox(index)
        if label and abs(x0 - margins.left) <= 3:
            yield label.group(0).rstrip("."), top, bottom


def _header_rows(page, css: str) -> np.ndarray:
    """For each pixel row of the page (72 dpi, from the top): whether it crosses a table's
    header row, i.e. 20 or more pixels of the ``th`` background of ``css``."""
    colour = _TH_BACKGROUND.search(css)
    if not colour:
        raise ValueError("the stylesheet gives th no background colour")
    rgb = np.array([int(colour.group(1)[i : i + 2], 16) for i in (0, 2, 4)])
    pixels = page.render(scale=1, rev_byteorder=True).to_numpy()[..., :3].astype(int)
    return (np.abs(pixels - rgb).max(axis=2) <= 1).sum(axis=1) >= 20


def parted_captions(
    pdf: Path | str | bytes,
    margins: Margins | None = None,
    gap: float = CAPTION_GAP_PT,
    css: str | None = None,
) -> list[Finding]:
    """Captions parted from what they caption: a figure caption (``Figur N.``, below its
    figure) with no image ending at most ``gap`` points above it on its page, and a table
    caption (``Tabell N.``, above its table) with no table header row (the ``th`` background
    of the stylesheet ``css``, default the report's) below it on its page."""
    margins = margins or page_margins()
    css = report_css() if css is None else css
    doc = _open(pdf)
    try:
        found = []
        for n, page in enumerate(doc):
            text = page.get_textpage()
            images = list(_images(page))
            for label, top, _bottom in _captions(text, "Figur", margins):
                if not any(0 <= y0 - top <= gap for _, y0, _, _ in images):
                    found.append(Finding(n + 1, "caption", f"{label} står utan sin bild"))
            tables = list(_captions(text, "Tabell", margins))
            if tables:
                header = _header_rows(page, css)
                height = page.get_height()
                for label, _top, bottom in tables:
                    if not header[round(height - bottom) :].any():
                        found.append(Finding(n + 1, "caption", f"{label} står utan sin tabell"))
        return found
    finally:
        doc.close()


def layout_faults(pdf: Path | str | bytes, margins: Margins | None = None) -> list[Finding]:
    """Every finding of :func:`blank_pages`, :func:`wide_figures` and :func:`parted_captions`,
    by page."""
    margins = margins or page_margins()
    found = blank_pages(pdf, margins) + wide_figures(pdf, margins) + parted_captions(pdf, margins)
    return sorted(found, key=lambda f: (f.page, f.kind))
