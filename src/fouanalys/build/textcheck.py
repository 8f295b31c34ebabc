"""The text a reader sees in a built report, checked for internal names, unformatted numbers and
explanations that do not match.

:func:`text_problems` takes a chapter's, a final report's or the index page's HTML, and
:func:`pdf_problems` a built PDF, and return what a Swedish reader should not meet. In any text:

- **internal identifiers** (``identifier``): snake_case words (``priority_factors``,
  ``push_pull``); **file names of processed tables** (``file``: ``gaps.parquet``,
  ``manifest.json``);
- **numbers of four or more digits without a thousands space** (``number``: ``9603`` instead of
  ``9 603``), written as one run of digits;
- **percent in two notations** (``percent``): the reports write a number with "%" after a
  (no-break) space, as :func:`fouanalys.present.text.format_share` does ("23 %"), so a number
  followed by the word *procent* ("23 procent") or glued to the sign ("23%") is a finding.
  *Procentenheter* is another unit (a difference of shares) and stays; so do compounds and the
  genitive of fixed expressions (*95-procentsintervall*, *med 95 procents säkerhet*), which are
  not "a number and the unit percent";
- **a decimal point** (``decimal``: ``0.5`` instead of ``0,5``); a version (``0.1.0``,
  ``2026.11.1``: three or more parts), a licence's version (``CC BY 4.0``) and digits joined to
  letters (``v0.5``) are not numbers;
- **a defined term in another sense** (``term``): *tunn* is a gap status
  (:data:`fouanalys.present.labels.GAP_STATUS_LABELS`) and means nothing else in the reports,
  so its other forms (*tunna*, *tunt*, *tunnare*: "de tunna strecken") are another meaning and
  need another word (*smala*).

In the HTML also:

- **a heading repeated as a bold lead-in** (``heading``): "Luckor" followed directly by
  "**Luckor.** …" says the same word twice;
- **a table note that explains what the table does not show** (``note``): "– = …" under a
  table without a "–" cell, "ej tillämpligt = …" without such a cell and so on, and a table with
  a "–" cell whose note does not say what "–" means ("–" is the one symbol with no words);
- **a protected count that may break over two lines** (``break``): a table cell that is
  "färre än 5" or "minst 340" must join its words with no-break spaces, or a narrow column
  prints "färre än" on one line and "5" on the next.

Only the visible text counts: scripts, styles, tag attributes (and so embedded image data) are
removed first. Exempt, because a reader meets them as names rather than amounts:

- **the provenance block** (``<section class="fou-provenance-block">``): it documents how to
  rebuild the report, with file paths, papermill parameter names, commit hashes and the data
  version as they are. In a PDF the text from its heading "Proveniens" to the end;
- **``<code>`` elements**: identifiers a reader may need to type or look up;
- **tables of literature references and web addresses** (``<table class="… fou-citations">``,
  :class:`fouanalys.present.tables.Table` with ``citations=True``): a DOI, a report number or a
  page range is the source's, not the report's. In a PDF, from the line with such a table's
  caption (:data:`fouanalys.present.labels.CITATION_CAPTIONS`) to the next table or figure
  caption that is not one, or the next chapter;
- **years**: 1900–2099 standing alone (``2024``, ``2022–2024``, ``år 2023``);
- **codes**: four-digit municipality codes starting with 0 (``0123``), Kolada KPI ids (a capital
  letter and five digits, ``N07907``, ``U07452``), hexadecimal hashes that mix letters and
  digits (``feedc0ffee12``) and names with a number after a hyphen (``Windows-1252``): a code
  is never grouped. Digits joined to letters are one word and never read as a number.

A number is "grouped" when its digits are split by a space, a no-break space or a narrow
no-break space (``9 603``); a decimal part after a comma or point is not checked.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

__all__ = ["Problem", "pdf_problems", "pdf_text", "text_problems", "visible_text"]

#: Elements whose content is not read as text.
_SKIPPED = {"script", "style", "code", "svg", "head", "title"}
#: Classes of elements whose whole content is exempt (see the module docstring).
_EXEMPT_CLASSES = {"fou-provenance-block", "fou-citations"}
_VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip
#: The heading a PDF's provenance starts with (see :func:`pdf_text`).
PROVENANCE_HEADING = "Proveniens"

SNAKE_CASE = re.compile(r"(?<![\w.-])[a-zåäö]+_[a-zåäö0-9_]*[a-zåäö0-9](?![\w-])")
TABLE_FILE = re.compile(r"\b[\w-]+\.parquet\b|\bmanifest\.json\b")
#: A run of four or more digits not part of a word or of a decimal part.
_LONG_NUMBER = re.compile(r"(?<![\w,.])\d{4,}(?!\w)")
_YEAR = re.compile(r"(19|20)\d\d")
_MUNICIPALITY_CODE = re.compile(r"0\d{3}")
_SPACE = "[ \u00a0\u202f]"
#: A number (grouped or not, with or without decimals) and the word "procent" on its own:
#: not "procentenheter", "procents" or a hyphenated compound.
PERCENT_WORD = re.compile(
    rf"(?<![\w,.])\d+(?:{_SPACE}\d{{3}})*(?:,\d+)?{_SPACE}+procent(?![\w-])", re.IGNORECASE
)
#: A number glued to the percent sign.
PERCENT_GLUED = re.compile(r"(?<![\w,.])\d+(?:,\d+)?%")
#: A decimal number written with a point; a version has a further ".digits" and is left out.
DECIMAL_POINT = re.compile(r"(?<![\w.,])\d+\.\d+(?!\w|\.\d)")
#: What comes right before a Creative Commons licence's version, which is part of its name
#: ("CC BY 4.0"), whatever space the PDF's text has there.
_LICENCE_BEFORE = re.compile(r"CC\s+BY(?:-SA)?\s+$")
#: Forms of a defined term's word that cannot be the term: the gap status is only "tunn".
OTHER_SENSE = re.compile(r"\b(?:tunna|tunt|tunnare|tunnaste)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    """One finding: its kind (``identifier``, ``file``, ``number``, ``percent``, ``decimal``,
    ``term``, ``heading``, ``note``, ``break``), the text and its context."""

    kind: str
    text: str
    context: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.text!r} i »{self.context}»"


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, whether it starts a skipped region)
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            self.parts.append(" ")
            return
        classes = set((dict(attrs).get("class") or "").split())
        skip = tag in _SKIPPED or bool(classes & _EXEMPT_CLASSES)
        self.stack.append((tag, skip))
        self.skipping += skip
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        while self.stack:
            open_tag, skip = self.stack.pop()
            self.skipping -= skip
            if open_tag == tag:
                break
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def visible_text(document: str) -> str:
    """The text of an HTML document a reader sees, without the exempt parts."""
    parser = _TextParser()
    parser.feed(document)
    parser.close()
    return html.unescape("".join(parser.parts))


def _context(text: str, start: int, end: int, width: int = 40) -> str:
    return " ".join(text[max(0, start - width) : end + width].split())


def _is_exempt_number(text: str, match: re.Match[str]) -> bool:
    digits = match.group()
    if len(digits) == 4 and _YEAR.fullmatch(digits):
        return True
    if len(digits) == 4 and _MUNICIPALITY_CODE.fullmatch(digits):
        return True
    # a name with a number, such as the encoding Windows-1252
    return bool(re.search(r"[A-Za-z]-$", text[max(0, match.start() - 2) : match.start()]))


def _plain_text_problems(text: str) -> list[Problem]:
    """The rules that read plain text (an HTML page's visible text or a PDF's)."""
    found: list[Problem] = []

    def add(kind: str, m: re.Match[str]) -> None:
        found.append(Problem(kind, m.group(), _context(text, m.start(), m.end())))

    for m in TABLE_FILE.finditer(text):
        add("file", m)
    for m in SNAKE_CASE.finditer(text):
        add("identifier", m)
    for m in _LONG_NUMBER.finditer(text):
        # a run preceded by "digits + space" is the tail of a grouped number
        if re.search(r"\d[ \u00a0\u202f]$", text[max(0, m.start() - 2) : m.start()]):
            continue
        if not _is_exempt_number(text, m):
            add("number", m)
    for pattern in (PERCENT_WORD, PERCENT_GLUED):
        for m in pattern.finditer(text):
            add("percent", m)
    for m in DECIMAL_POINT.finditer(text):
        if not _LICENCE_BEFORE.search(text[max(0, m.start() - 12) : m.start()]):
            add("decimal", m)
    for m in OTHER_SENSE.finditer(text):
        add("term", m)
    return found


# --- rules that need the HTML's structure ---------------------------------------------------

_TAG = re.compile(r"<[^>]+>")
_HEADING_LEAD = re.compile(
    r"<h([1-6])\b[^>]*>(?P<heading>(?:(?!</?h[1-6]\b).)*)</h\1\s*>"
    r"(?:\s|<(?!/?(?:strong|b)\b)[^>]*>)*"  # only tags and space between the two
    r"<(?P<tag>strong|b)\b[^>]*>(?P<lead>(?:(?!</?(?:strong|b)\b).)*)</(?P=tag)\s*>",
    re.DOTALL | re.IGNORECASE,
)
_FOU_TABLE = re.compile(
    r"<table\b[^>]*\bclass=\"[^\"]*\bfou-table\b[^\"]*\"[^>]*>(?P<table>.*?)</table>"
    r"\s*(?:<p\b[^>]*\bclass=\"fou-note\"[^>]*>(?P<note>.*?)</p>)?",
    re.DOTALL,
)
_CELL = re.compile(r"<td\b[^>]*>(.*?)</td>", re.DOTALL)
_CAPTION = re.compile(r"<caption\b[^>]*>(.*?)</caption>", re.DOTALL)
#: Symbols and words a table note explains as "X = …", each after the note's start or a
#: sentence's end.
_EXPLAINED = re.compile(
    r"(?:^|(?<=[.;:] ))(?P<symbol>–|\*|≥|ej tillämpligt|saknas|okänd|okänt|fast|minst|under"
    r"|färre[ \u00a0]än[ \u00a0]\d+) = "
)
#: Explained symbols that are used by a cell starting with them ("minst 340", "≥12 (2 …)").
_PREFIX_SYMBOLS = ("≥", "minst", "under", "färre än")
#: A cell that is a protected count: "färre än 5", "minst 340".
_PROTECTED_COUNT = re.compile(r"(?:färre\s+än|minst)\s+\d[\d\s]*(?:,\d+)?")


def _text_of(fragment: str) -> str:
    """The visible text of an HTML fragment, unescaped, its whitespace runs kept."""
    return html.unescape(_TAG.sub("", fragment))


def _normalised(text: str) -> str:
    """Whitespace of any kind as one space, stripped."""
    return " ".join(text.split())


def _heading_key(fragment: str) -> str:
    return _normalised(_text_of(fragment).replace("\u00b6", "")).rstrip(".:").casefold()


def _symbol_used(symbol: str, cells: list[str]) -> bool:
    symbol = _normalised(symbol)
    if symbol == "*":
        return any("*" in c for c in cells)
    bare = [c.rstrip("*").strip() for c in cells]
    if symbol.startswith(_PREFIX_SYMBOLS):
        head = symbol if symbol in _PREFIX_SYMBOLS else symbol.rsplit(" ", 1)[0]
        return any(c == symbol or c.startswith(head) for c in bare)
    return any(c.casefold() == symbol.casefold() for c in bare)


def _table_problems(document: str) -> list[Problem]:
    found: list[Problem] = []
    for m in _FOU_TABLE.finditer(document):
        caption = _CAPTION.search(m.group("table"))
        name = _normalised(_text_of(caption.group(1))) if caption else "(tabell utan rubrik)"
        raw_cells = [_text_of(c).strip() for c in _CELL.findall(m.group("table"))]
        cells = [_normalised(c) for c in raw_cells]
        note = _normalised(_text_of(m.group("note") or ""))
        explanations = list(_EXPLAINED.finditer(note))
        for e in explanations:
            if not _symbol_used(e.group("symbol"), cells):
                said = note[e.start() :].split(". ")[0]
                found.append(
                    Problem("note", f"{_normalised(e.group('symbol'))} =", f"{name}: {said}")
                )
        if _symbol_used("–", cells) and "–" not in {e.group("symbol") for e in explanations}:
            found.append(Problem("note", "–", f"{name}: ingen förklaring av – i »{note}»"))
        for raw in raw_cells:
            if _PROTECTED_COUNT.fullmatch(raw) and re.search(r"[ \t\n]", raw):
                found.append(Problem("break", raw, f"{name}: cellen {raw!r}"))
    return found


def _heading_problems(document: str) -> list[Problem]:
    found = []
    for m in _HEADING_LEAD.finditer(document):
        heading = _heading_key(m.group("heading"))
        if heading and heading == _heading_key(m.group("lead")):
            lead = _normalised(_text_of(m.group("lead")))
            found.append(Problem("heading", lead, f"rubriken {heading!r} följs av {lead!r}"))
    return found


def text_problems(document: str) -> list[Problem]:
    """Every finding (see the module docstring) in the HTML ``document``."""
    visible = visible_text(document)
    return _plain_text_problems(visible) + _heading_problems(document) + _table_problems(document)


# --- PDF ------------------------------------------------------------------------------------


def pdf_text(path: Path) -> str:
    """The text of a built PDF a reader reads, up to its provenance: the pages' text (PDFium)
    joined by line breaks, cut at the last line that is the heading "Proveniens" (the table of
    contents names it earlier; the provenance, with its file names, parameter names and
    hashes, is the document's end), without its tables of references. Page headers and
    footers stay in. A word hyphenated at a line's end stays as printed: "stöld-", then the
    next line."""
    import pypdfium2 as pdfium  # a development dependency: only the tests read PDFs

    document = pdfium.PdfDocument(str(path))
    try:
        pages = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()
    # PDFium ends lines with CR LF and marks a hyphen it took for a line-end break with U+FFFE.
    text = "\n".join(pages).replace("\r\n", "\n").replace("\ufffe", "-\n")
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.strip() == PROVENANCE_HEADING]
    return "\n".join(_without_citations(lines[: starts[-1]] if starts else lines))


#: A line that ends a block of citation tables in a PDF: another caption, or a new chapter.
_BLOCK_END = re.compile(r"^\s*(?:(?:Tabell|Figur)\s+\d+\.|KAPITEL\s+\d+\b)")


def _without_citations(lines: list[str]) -> list[str]:
    """The lines of a PDF's text without its tables of references (see the module notes)."""
    from fouanalys.present.labels import CITATION_CAPTIONS

    out, skipping = [], False
    for line in lines:
        citation = any(caption in line for caption in CITATION_CAPTIONS)
        if citation:
            skipping = True
        elif skipping and _BLOCK_END.match(line):
            skipping = False
        if not skipping:
            out.append(line)
    return out


def pdf_problems(path: Path) -> list[Problem]:
    """The plain-text findings (identifiers, file names, numbers, percent, decimal points,
    other senses of a term) in a built PDF's text before its provenance (:func:`pdf_text`).
    The rules that need the HTML's structure (headings, table notes, cells) are left to
    :func:`text_problems` on the same report's HTML, which the PDF is printed from."""
    return _plain_text_problems(pdf_text(Path(path)))
