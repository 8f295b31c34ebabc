"""Tables for reports: a DataFrame with caption, note and right-aligned numeric columns."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd

from fouanalys.present.text import DASH_BETWEEN, WORD_JOINER, format_number


class Table:
    """A frame rendered as a plain, readable HTML table (what ``display()`` shows).

    ``numeric`` columns are right-aligned; ``caption`` and ``note`` are plain text (escaped).
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        caption: str | None = None,
        note: str | None = None,
        numeric: Sequence[str] | None = None,
        na_rep: str = "–",
    ):
        self.frame = frame
        self.caption = caption
        self.note = note
        self.na_rep = na_rep
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

    def _repr_html_(self) -> str:
        cols = list(self.frame.columns)
        out = ['<table class="fou-table">']
        if self.caption:
            out.append(f"<caption>{html.escape(self.caption)}</caption>")
        out.append("<thead><tr>")
        for c in cols:
            cls = ' class="num"' if c in self.numeric else ""
            out.append(f"<th{cls}>{html.escape(str(c))}</th>")
        out.append("</tr></thead><tbody>")
        for row in self.frame.itertuples(index=False, name=None):
            out.append("<tr>")
            for c, value in zip(cols, row, strict=True):
                cls = ' class="num"' if c in self.numeric else ""
                out.append(f"<td{cls}>{html.escape(self._cell(value))}</td>")
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
) -> Table:
    """Wrap a display frame for the report: ``display(table(df, "Rubrik"))``."""
    return Table(frame, caption=caption, note=note, numeric=numeric)


def unbroken(frame: pd.DataFrame) -> pd.DataFrame:
    """A display frame whose intervals do not break at their dash when a column wraps.

    Puts a word joiner (U+2060, invisible) after every en dash between two numbers, so
    "23 % (21–26)" may wrap only at the space before the bracket. Other cells are unchanged.
    """
    return frame.map(lambda v: DASH_BETWEEN.sub("–" + WORD_JOINER, v) if isinstance(v, str) else v)
