"""Characters the report fonts cannot draw, found in the raw text before they reach a PDF.

The chapters' HTML and PDF (``build/templates/fouanalys/report.css``, the slides' ``deck.css``)
and the figures (:mod:`fouanalys.present.style`) are set in **DejaVu Sans**. A character that
font lacks (an emoji such as U+1F680, a Chinese character) is drawn by matplotlib as an empty box
and by WeasyPrint as an empty box too unless the machine happens to have another font with it.
"Drawable" is therefore read from the font files themselves: the characters (cmap, via fontTools)
that both the regular and the bold DejaVu Sans shipped with matplotlib contain, the same files on
every machine. A character outside that set is reported as a warning, not an error: the data are
fine, only their look in the report is not.

Only the free-text columns (kind ``text``: an intervention's name, a comment, a Kolada KPI id) are
checked: coded columns reach the reports as codebook labels, numbers as numbers.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

import pandas as pd

from fouanalys.codebook import Codebook
from fouanalys.exceptions import Problem
from fouanalys.ingest.readers import RawTable, input_columns

#: The report font: the files, shipped with matplotlib, whose common characters are drawable.
REPORT_FONT = "DejaVu Sans"
_FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
#: Characters never drawn as a glyph, so never a box: spaces, line breaks, format characters
#: (zero-width joiner, soft hyphen) and the emoji variation selectors.
_INVISIBLE = frozenset({"Zs", "Zl", "Zp", "Cf"})


@lru_cache(maxsize=1)
def drawable_codepoints() -> frozenset[int]:
    """The code points both the regular and the bold report font have a glyph for."""
    import matplotlib
    from fontTools.ttLib import TTFont

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    common: set[int] | None = None
    for name in _FONT_FILES:
        with TTFont(folder / name, lazy=True) as font:
            cmap = set(font.getBestCmap())
        common = cmap if common is None else common & cmap
    return frozenset(common or ())


def undrawable(text: str) -> list[str]:
    """The distinct characters of ``text`` the report font cannot draw, in order of appearance."""
    if text.isascii():
        return []
    drawable = drawable_codepoints()
    return list(
        dict.fromkeys(
            ch
            for ch in text
            if ord(ch) not in drawable
            and unicodedata.category(ch) not in _INVISIBLE
            and not 0xFE00 <= ord(ch) <= 0xFE0F
        )
    )


def glyph_warnings(name: str, raw: RawTable, codebook: Codebook, file: str) -> list[Problem]:
    """One warning per free-text column and undrawable character of input ``name``: the file as
    problems name it (``file``), the column, the rows and the character with its code point."""
    warnings = []
    for col in input_columns(name, codebook):
        if col.kind != "text" or col.name not in raw.frame:
            continue
        values = raw.frame[col.name].dropna()
        found: dict[str, list[int]] = {}
        for value in pd.unique(values):
            for ch in undrawable(str(value)):
                rows = values.index[values == value]
                found.setdefault(ch, []).extend(int(r) for r in rows)
        warnings += [
            Problem(
                file=file,
                column=col.name,
                rows=tuple(sorted(set(rows))),
                values=(ch,),
                message=(
                    f"Tecknet '{ch}' ({_describe(ch)}) finns inte i rapporternas typsnitt "
                    f"{REPORT_FONT} och kan visas som en tom ruta i PDF-rapporten och i diagram."
                ),
                expected="text utan tecknet (t.ex. med ord i stället för en emoji); "
                "filen godkänns ändå",
            )
            for ch, rows in found.items()
        ]
    return warnings


def _describe(ch: str) -> str:
    """``U+1F680 ROCKET``: the code point and, when it has one, the Unicode name."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")
