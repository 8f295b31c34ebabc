"""The build's disclosure audit: read every table the built chapters publish and check it.

After the chapters are made, every ``<table class="fou-table">`` in the executed notebooks'
outputs (``reports/<kod>/NN_*.ipynb``, what the HTML and PDF show) is read back. A cell is a
published count of people when its column is a count of respondents or participants
(:data:`COUNT_COLUMNS`) and its text is a whole number. The audit fails when

- a published count is a small group (1 to threshold − 1; 0 is no group), or
- in one row, a published total (``Alla``) minus any published parts (``Pojkar``, ``Flickor``)
  is a small group: the reader gets that group by subtraction.

A protected count is read too, whatever spaces join its words (the report joins them with
no-break spaces so that a narrow column does not break the phrase): "minst 340", a sum printed
without its small counts, is itself a published count and fails when it is a small group;
"färre än 5" is the bound a small group is printed as, and fails when the bound is under the
threshold ("färre än 3" tells the reader the group is 1 or 2).

Counts of interventions, years, ranks and shares are not groups of people and are not read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from itertools import combinations
from pathlib import Path

from fouanalys.config import DISCLOSURE_THRESHOLD
from fouanalys.exceptions import DisclosureAuditError

#: Column headers whose whole-number cells count respondents or participants.
COUNT_COLUMNS = frozenset(
    {
        "n",
        "Svarande",
        "Antal svarande",
        "Pojkar",
        "Flickor",
        "Alla",
        "Deltagare per år",
        "Deltagare/år",
        "Deltagare",
        "Uteslutna",
        "Med i analysen",
    }
)
#: Parts and the total they add up to (with a remainder) within one row.
_PARTS, _TOTAL = ("Pojkar", "Flickor"), "Alla"
_INTEGER = re.compile(r"^\d+$")
#: The protected counts of :func:`fouanalys.present.text.format_participants`; ``\s`` matches
#: a space, a no-break space and a narrow no-break space alike.
_AT_LEAST = re.compile(r"minst\s+(\d[\d\s]*)")
_FEWER_THAN = re.compile(r"färre\s+än\s+(\d[\d\s]*)")


@dataclass(frozen=True)
class Finding:
    """One published small group: where it is and how a reader gets it."""

    chapter: str
    table: str
    row: int
    column: str
    value: int
    how: str

    def __str__(self) -> str:
        return (
            f"{self.chapter}, tabell '{self.table}', rad {self.row}, kolumn '{self.column}': "
            f"{self.how} = {self.value}"
        )


@dataclass
class _Table:
    caption: str
    header: list[str]
    rows: list[list[str]]


class _TableParser(HTMLParser):
    """Collects the fou-tables of an HTML fragment: caption, header cells and body rows."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[_Table] = []
        self._table: _Table | None = None
        self._cell: list[str] | None = None
        self._head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and "fou-table" in (dict(attrs).get("class") or ""):
            self._table, self._head = _Table("", [], []), False
        elif self._table is None:
            return
        elif tag == "thead":
            self._head = True
        elif tag == "tbody":
            self._head = False
        elif tag == "tr" and not self._head:
            self._table.rows.append([])
        elif tag in ("caption", "th", "td"):
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._table is None:
            return
        if tag in ("caption", "th", "td") and self._cell is not None:
            # as a reader sees it: without the header's invisible break points
            text = "".join(self._cell).replace("\u00ad", "").replace("\u200b", "").strip()
            if tag == "caption":
                self._table.caption = text
            elif tag == "th" and self._head:
                self._table.header.append(text)
            elif self._table.rows:
                self._table.rows[-1].append(text)
            self._cell = None
        elif tag == "table":
            self._table.rows = [r for r in self._table.rows if r]
            self.tables.append(self._table)
            self._table = None


def published_tables(notebook: Path) -> list[_Table]:
    """Every fou-table an executed notebook's outputs publish (as HTML)."""
    cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    parser = _TableParser()
    for cell in cells:
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html")
            if html:
                parser.feed("".join(html) if isinstance(html, list) else html)
    return parser.tables


def _count(text: str) -> int | None:
    digits = re.sub(r"[\s\u202f\u00a0\u2009]", "", text)
    return int(digits) if _INTEGER.match(digits) else None


def protected_count(text: str) -> tuple[str, int] | None:
    """A cell that is a protected count, as ``("minst", 340)`` or ``("färre än", 5)``; None for
    any other text. Spaces of any kind (a no-break space too) may join the words."""
    text = text.strip()
    for word, pattern in (("minst", _AT_LEAST), ("färre än", _FEWER_THAN)):
        found = pattern.fullmatch(text)
        if found:
            return word, _count(found.group(1))  # type: ignore[return-value]
    return None


def audit_table(
    chapter: str, table: _Table, threshold: int = DISCLOSURE_THRESHOLD
) -> list[Finding]:
    """The small groups one published table gives away (none when it is safe)."""
    found: list[Finding] = []
    columns = [c for c in table.header if c in COUNT_COLUMNS]
    name = table.caption or "(utan rubrik)"
    for r, row in enumerate(table.rows, start=1):
        values = dict(zip(table.header, row, strict=False))
        counts = {c: _count(values.get(c, "")) for c in columns}
        for c, v in counts.items():
            if v is not None and 0 < v < threshold:
                found.append(Finding(chapter, name, r, c, v, f"'{c}'"))
        for c in columns:
            protected = protected_count(values.get(c, ""))
            if protected is None:
                continue
            word, n = protected
            if (word == "minst" and 0 < n < threshold) or (word == "färre än" and n < threshold):
                found.append(Finding(chapter, name, r, c, n, f"'{c}' ({word})"))
        total = counts.get(_TOTAL)
        parts = [p for p in _PARTS if counts.get(p) is not None]
        if total is None or not parts:
            continue
        for k in range(1, len(parts) + 1):
            for subset in combinations(parts, k):
                rest = total - sum(counts[p] for p in subset)  # type: ignore[misc]
                if 0 < rest < threshold:
                    how = f"'{_TOTAL}' − " + " − ".join(f"'{p}'" for p in subset)
                    found.append(Finding(chapter, name, r, _TOTAL, rest, how))
    return found


def audit_notebooks(
    notebooks: Iterable[tuple[str, Path]], threshold: int = DISCLOSURE_THRESHOLD
) -> list[Finding]:
    """Findings over ``(chapter name, executed notebook)`` pairs."""
    found: list[Finding] = []
    for chapter, path in notebooks:
        if Path(path).is_file():
            for table in published_tables(Path(path)):
                found.extend(audit_table(chapter, table, threshold))
    return found


def check(notebooks: Iterable[tuple[str, Path]], threshold: int = DISCLOSURE_THRESHOLD) -> None:
    """Raise :class:`DisclosureAuditError` naming every published small group, if any."""
    found = audit_notebooks(notebooks, threshold)
    if found:
        shown = "\n".join(f"  {f}" for f in found[:20])
        more = f"\n  … och {len(found) - 20} till" if len(found) > 20 else ""
        raise DisclosureAuditError(
            f"Röjandekontrollen underkände rapporterna: {len(found)} publicerade grupper om 1–"
            f"{threshold - 1} personer.\n{shown}{more}\nSkydda cellerna i analysen "
            "(fouanalys.disclosure) och bygg om."
        )
