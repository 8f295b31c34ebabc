"""Figure style: palette, colours, fonts, axes and tick formatters every chapter shares."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from fouanalys.present.text import format_number, format_percent

#: Width of a full-width report figure in inches (A4 text width is about 6.7 in).
FIG_WIDTH = 7.0
FIG_DPI = 150

#: Seaborn's "colorblind" palette, so figures read in grey-scale print and for colour-blind eyes.
PALETTE = ["#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#949494"]
SEX_COLORS = {"Pojke": "#0173b2", "Flicka": "#de8f05"}
STATUS_COLORS = {"Pågående": "#029e73", "Planerad": "#0173b2", "Avslutad": "#949494"}

RC = {
    "font.family": ["DejaVu Sans"],
    "font.size": 9,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "legend.frameon": False,
    "legend.fontsize": 8.5,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
}


def thousands_tick(value: float, _pos: object = None) -> str:
    """Swedish number format: thin space between thousands, no sign (for mirrored axes)."""
    return format_number(abs(value))


def new_figure(height: float = 3.6, width: float = FIG_WIDTH, ncols: int = 1, **kw) -> Figure:
    """A report-sized figure with ``ncols`` axes side by side, styled for print."""
    import matplotlib as mpl

    with mpl.rc_context(RC):
        fig = Figure(figsize=(width, height), dpi=FIG_DPI, layout="constrained")
        fig.subplots(1, ncols, **kw)
    return fig


def style_axes(ax, grid_axis: str = "y") -> None:
    import matplotlib as mpl

    with mpl.rc_context(RC):
        for spine in ("top", "right"):
            ax.spines[spine].set_visible(False)
        ax.grid(axis=grid_axis, color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.tick_params(labelsize=RC["xtick.labelsize"])


#: Colour of the whole-group (all sexes) bars: a neutral grey beside the sexes' colours.
ALL_COLOR = "#a3a3a3"
#: Colour of the comparison (region) in trend and association figures.
REGION_COLOR = "#555555"


def percent_tick(value: float, _pos: object = None) -> str:
    """Axis tick in percent with a no-break space before the sign: "20 %"."""
    return format_percent(value)


def percent_limit(*columns: pd.Series) -> float:
    """Upper axis limit in percent: the largest value plus room, rounded up to 10, at most 100."""
    values = pd.concat([pd.to_numeric(c, errors="coerce") for c in columns]) * 100
    peak = float(values.max()) if values.notna().any() else 10.0
    return float(min(100.0, max(10.0, np.ceil(peak * 1.08 / 10) * 10)))


def sex_palette(sexes: Sequence[str]) -> dict[str, str]:
    return {s: SEX_COLORS.get(s, ALL_COLOR) for s in sexes}


# --- chapter 03, Insatser längs livsförloppet -----------------------------------------------

#: Colours of the targeting levels (universal, selective, indicated).
TARGETING_COLORS = {"universell": "#0173b2", "selektiv": "#de8f05", "indikerad": "#cc78bc"}
#: Colours of the knowledge levels, evidence-based strongest.
KNOWLEDGE_COLORS = {
    "evidensbaserad": "#029e73",
    "kunskapsbaserad": "#0173b2",
    "lovande": "#de8f05",
    "ej bedömd": "#949494",
}
#: Colours of the answers to Data i Dialog's quality questions: "ja" dark blue and "delvis"
#: light blue (the same hue, one stronger), "nej" vermilion (never a red-ish "ja"), "vet ej"
#: light grey; a question not answered is drawn as unknown (hatched white, ``UNKNOWN_STYLE``).
#: Apart in grey-scale print too (about 35 %, 73 %, 47 % and 83 % light).
QUALITY_ANSWER_COLORS = {
    "ja": "#0173b2",
    "delvis": "#93c6e8",
    "nej": "#d55e00",
    "vet ej": "#d4d4d4",
}
#: Hatch of a planned intervention (an outlined, hatched bar) and of a cell of unknown reach.
PLANNED_HATCH = "////"
UNKNOWN_HATCH = "xxx"
#: How a cell of unknown reach is drawn (hatched white), in figures and their legends.
UNKNOWN_STYLE = {
    "facecolor": "white",
    "edgecolor": "#9aa9b8",
    "hatch": UNKNOWN_HATCH,
    "linewidth": 0,
}


#: Outline of a gap: no ongoing intervention ("saknas") and thin coverage ("tunn").
#: One colour and line style per gap status, the same in every chapter, figure and table.
GAP_COLORS = {"saknas": "#a4000f", "tunn": "#de8f05", "okänd": "#6a3d9a", "finns": "#1b7837"}
GAP_LINESTYLES = {"saknas": "-", "tunn": "--", "okänd": ":", "finns": "-"}
NOT_APPLICABLE_COLOR = "#e4e4e4"
STAGE_SHADES = ("#f2f5f8", "#ffffff")


def reads_white(color: str) -> bool:
    """Whether white text reads better than black on ``color``."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return 0.299 * r + 0.587 * g + 0.114 * b < 0.5


def heat_text_color(value: float, vmax: float, cmap) -> str:
    """Black or white text, whichever reads better on the cell's colour."""
    if vmax <= 0 or np.isnan(value):
        return "#1d1d1d"
    r, g, b, _ = cmap(min(value / vmax, 1.0))
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "#1d1d1d"
