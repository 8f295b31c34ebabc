"""Tables for reports: a DataFrame with caption, note and right-aligned numeric columns.

A table explains a symbol or word ("–", "saknas", "ej tillämpligt", …) in its ``legend`` and
prints each explanation only when the table uses it: no "– = visas inte" under a table
without a dash.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from fouanalys.present.text import DASH_BETWEEN, MISSING, WORD_JOINER, format_number

#: An unbroken run of more characters than this in a cell (a pasted URL, a name without a
#: space) gets a break opportunity (``<wbr>``) every :data:`WRAP_EVERY` characters, so it wraps
#: inside its column instead of widening the table off the page. Shorter words are left whole.
LONG_WORD = 30
WRAP_EVERY = 20
_LONG_RUN = re.compile(rf"\S{{{LONG_WORD + 1},}}")


def cell_html(text: str) -> str:
    """``text`` escaped for a table cell, with ``<wbr>`` inside runs longer than
    :data:`LONG_WORD` characters (every :data:`WRAP_EVERY`); the text itself is unchanged."""
    out, end = [], 0
    for m in _LONG_RUN.finditer(text):
        run = m.group(0)
        chunks = (run[i : i + WRAP_EVERY] for i in range(0, len(run), WRAP_EVERY))
        out += [html.escape(text[end : m.start()]), "<wbr>".join(map(html.escape, chunks))]
        end = m.end()
    out.append(html.escape(text[end:]))
    return "".join(out)


#: Where a long word of a table header may break (a soft hyphen at the compound's seam). The
#: stylesheet never hyphenates a header by dictionary, which split "Järfälla" and "Prioriterad";
#: a header word not listed here keeps its column at least as wide as itself.
HEADER_BREAKS = {
    "Samverkanspartner": "Samverkans\u00adpartner",
    "Mellancentralitet": "Mellan\u00adcentralitet",
    "Gradcentralitet": "Grad\u00adcentralitet",
    "Kunskapsläge": "Kunskaps\u00adläge",
    "procentenheter": "procent\u00adenheter",
    "skyddsfaktorer": "skydds\u00adfaktorer",
    "pullfaktorer": "pull\u00adfaktorer",
    "deltagarantal": "deltagar\u00adantal",
    "Format/Kodning": "Format/\u200bKodning",
}
_HEADER_WORD = re.compile("|".join(sorted(map(re.escape, HEADER_BREAKS), key=len, reverse=True)))


def header_html(text: str) -> str:
    """``text`` escaped for a table header, with the break points of :data:`HEADER_BREAKS`."""
    return _HEADER_WORD.sub(lambda m: HEADER_BREAKS[m.group(0)], html.escape(text))


#: Marks a cell may carry after its value ("+9*": prioritised) that do not change what it says.
_MARKS = "*"


def used_symbols(cells: pd.DataFrame, symbols: Sequence[str]) -> list[str]:
    """The ``symbols`` that stand as a whole cell of ``cells`` (a trailing "*" aside), in the
    order given: ``"–"`` is used by a cell "–" or "–*", not by the interval "(27–35)". A mark
    (``"*"``) is used by any cell that ends with it ("+9*")."""
    raw = {str(v).strip() for v in cells.to_numpy().ravel()}
    texts = {t.rstrip(_MARKS).strip() for t in raw}
    return [s for s in symbols if s in texts or (s in _MARKS and any(t.endswith(s) for t in raw))]


class Table:
    """A frame rendered as a plain, readable HTML table (what ``display()`` shows).

    ``numeric`` columns are right-aligned; ``caption`` and ``note`` are plain text (escaped).
    A missing cell prints ``na_rep`` ("saknas": "–" is kept for a suppressed value, which a
    display frame writes out itself). ``legend`` maps a symbol or word to its explanation,
    which is added to the note only when a cell of the table is that symbol. ``citations``
    marks a table of literature references and web addresses (class ``fou-citations``), whose
    numbers and names are a source's own and not the report's text (see
    :mod:`fouanalys.build.textcheck`).
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        caption: str | None = None,
        note: str | None = None,
        numeric: Sequence[str] | None = None,
        na_rep: str = MISSING,
        legend: Mapping[str, str] | None = None,
        citations: bool = False,
    ):
        self.frame = frame
        self.citations = citations
        self.caption = caption
        self.na_rep = na_rep
        self.legend = dict(legend or {})
        self.note = self._note(note)
        if numeric is None:
            numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
        self.numeric = set(numeric)

    def _cell(self, value: object) -> str:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return self.na_rep
        if isinstance(value, int | np.integer):
            return format_number(value)
        if isinstance(value, float | np.floating):
            return format_number(value, 1)
        return str(value)

    def _note(self, note: str | None) -> str | None:
        """The note, then the legend's explanations of the symbols the table uses."""
        cells = self.frame.map(self._cell) if len(self.frame) else self.frame
        used = [self.legend[s] for s in used_symbols(cells, list(self.legend))]
        text = " ".join(part for part in (note, *used) if part)
        return text or None

    def _repr_html_(self) -> str:
        cols = list(self.frame.columns)
        out = [f'<table class="fou-table{" fou-citations" if self.citations else ""}">']
        if self.caption:
            out.append(f"<caption>{html.escape(self.caption)}</caption>")
        out.append("<thead><tr>")
        for c in cols:
            cls = ' class="num"' if c in self.numeric else ""
            out.append(f"<th{cls}>{header_html(str(c))}</th>")
        out.append("</tr></thead><tbody>")
        for row in self.frame.itertuples(index=False, name=None):
            out.append("<tr>")
            for c, value in zip(cols, row, strict=True):
                cls = ' class="num"' if c in self.numeric else ""
                out.append(f"<td{cls}>{cell_html(self._cell(value))}</td>")
            out.append("</tr>")
        out.append("</tbody></table>")
        if self.note:
            out.append(f'<p class="fou-note">{html.escape(self.note)}</p>')
        return "".join(out)

    def __repr__(self) -> str:
        return self.frame.to_string(index=False)


def table(
    frame: pd.DataFrame,
    caption: str | None = None,
    note: str | None = None,
    numeric: Sequence[str] | None = None,
    legend: Mapping[str, str] | None = None,
    citations: bool = False,
) -> Table:
    """Wrap a display frame for the report: ``display(table(df, "Rubrik"))``; ``legend``
    explains symbols ({"–": "– = visas inte: …"}), each only if the table uses it."""
    return Table(
        frame, caption=caption, note=note, numeric=numeric, legend=legend, citations=citations
    )


def unbroken(frame: pd.DataFrame) -> pd.DataFrame:
    """A display frame whose intervals do not break at their dash when a column wraps.

    Puts a word joiner (U+2060, invisible) after every en dash between two numbers, so
    "23 % (21–26)" may wrap only at the space before the bracket. Other cells are unchanged.
    """
    return frame.map(lambda v: DASH_BETWEEN.sub("–" + WORD_JOINER, v) if isinstance(v, str) else v)
