"""The text a reader sees in a built chapter, checked for internal names and unformatted numbers.

:func:`text_problems` takes a chapter's (or a final report's) HTML and returns what a Swedish
reader should not meet:

- **internal identifiers**: snake_case words (``priority_factors``, ``push_pull``) and file
  names of processed tables (``gaps.parquet``, ``manifest.json``);
- **numbers of four or more digits without a thousands space** (``9603`` instead of
  ``9 603``), written as one run of digits.

Only the visible text counts: scripts, styles, tag attributes (and so embedded image data) are
removed first. Exempt, because a reader meets them as names rather than amounts:

- **the provenance block** (``<section class="fou-provenance-block">``): it documents how to
  rebuild the report, with file paths, papermill parameter names, commit hashes and the data
  version as they are;
- **``<code>`` elements**: identifiers a reader may need to type or look up;
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

__all__ = ["Problem", "text_problems", "visible_text"]

#: Elements whose content is not read as text.
_SKIPPED = {"script", "style", "code", "svg", "head", "title"}
#: Classes of elements whose whole content is exempt (see the module docstring).
_EXEMPT_CLASSES = {"fou-provenance-block"}
_VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip

SNAKE_CASE = re.compile(r"(?<![\w.-])[a-zåäö]+_[a-zåäö0-9_]*[a-zåäö0-9](?![\w-])")
TABLE_FILE = re.compile(r"\b[\w-]+\.parquet\b|\bmanifest\.json\b")
#: A run of four or more digits not part of a word or of a decimal part.
_LONG_NUMBER = re.compile(r"(?<![\w,.])\d{4,}(?!\w)")
_YEAR = re.compile(r"(19|20)\d\d")
_MUNICIPALITY_CODE = re.compile(r"0\d{3}")


@dataclass(frozen=True)
class Problem:
    """One finding: its kind (``identifier``, ``file``, ``number``), the text and its context."""

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


def text_problems(document: str) -> list[Problem]:
    """Internal identifiers and ungrouped long numbers in the visible text of ``document``."""
    text = visible_text(document)
    found: list[Problem] = []
    for m in TABLE_FILE.finditer(text):
        found.append(Problem("file", m.group(), _context(text, m.start(), m.end())))
    for m in SNAKE_CASE.finditer(text):
        found.append(Problem("identifier", m.group(), _context(text, m.start(), m.end())))
    for m in _LONG_NUMBER.finditer(text):
        # a run preceded by "digits + space" is the tail of a grouped number
        if re.search(r"\d[ \u00a0\u202f]$", text[max(0, m.start() - 2) : m.start()]):
            continue
        if _is_exempt_number(text, m):
            continue
        found.append(Problem("number", m.group(), _context(text, m.start(), m.end())))
    return found
