"""Slide-sized figures: 12.8 × 6.4 in (16:9), one message each, text at least 18 pt, in the
project's palette and style.

They draw frames the chapters make (chapter 02's ``profile_frame``, chapter 03's gap table,
chapter 04's shared gaps); the report figures themselves are drawn for an A4 column and have
no size parameter, so the slides draw the same numbers larger and with fewer elements.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from fouanalys.codebook import Codebook, load_codebook
from fouanalys.present.labels import GAP_STATUS_LABELS, REST_OF_REGION, stage_phrase
from fouanalys.present.style import FIG_DPI, GAP_COLORS, PALETTE, RC, REGION_COLOR, reads_white
from fouanalys.present.text import format_share, wrap_label

#: A 16:9 slide figure in inches.
SLIDE_SIZE = (12.8, 6.4)
#: Smallest text on a slide figure, in points.
SLIDE_FONT = 18
SLIDE_RC = RC | {
    "font.size": SLIDE_FONT,
    "axes.titlesize": 22,
    "axes.labelsize": SLIDE_FONT,
    "legend.fontsize": SLIDE_FONT,
    "xtick.labelsize": SLIDE_FONT,
    "ytick.labelsize": SLIDE_FONT,
}


def _slide(**kw) -> tuple[Figure, object]:
    with mpl.rc_context(SLIDE_RC):
        fig = Figure(figsize=SLIDE_SIZE, dpi=FIG_DPI, layout="constrained")
        ax = fig.subplots(**kw)
    return fig, ax


def priority_figure(profile: pd.DataFrame, factors: list[str], name: str) -> Figure:
    """The prioritised ``factors`` (at most five, in order) among all students: the
    municipality's share above the cut-point beside the rest of the region's. ``profile`` is
    chapter 02's ``profile_frame``; a suppressed share is left out, never drawn."""
    rows = profile.loc[(profile["sex"] == "Alla") & profile["factor"].isin(factors[:5])]
    rows = rows.set_index("factor").reindex([f for f in factors[:5] if f in set(rows["factor"])])
    with mpl.rc_context(SLIDE_RC):
        fig, ax = _slide()
        y = np.arange(len(rows))[::-1]
        h = 0.38
        own = rows["share"].where(~rows["suppressed"].astype(bool)) * 100
        ref = rows["reference_share"] * 100
        ax.barh(y + h / 2, own, height=h, color=PALETTE[0], label=name)
        ax.barh(y - h / 2, ref, height=h, color=REGION_COLOR, label=REST_OF_REGION)
        shown = rows["share"].where(~rows["suppressed"].astype(bool))
        for yy, value in zip(y + h / 2, shown, strict=True):
            if pd.notna(value):
                ax.text(value * 100 + 1, yy, format_share(value), va="center")
        for yy, value in zip(y - h / 2, rows["reference_share"], strict=True):
            if pd.notna(value):
                ax.text(value * 100 + 1, yy, format_share(value), va="center", color=REGION_COLOR)
        ax.set_yticks(y, [wrap_label(label, 28) for label in rows["label"]])
        ax.set_xlim(0, min(100, float(np.nanmax([own.max(), ref.max(), 10])) * 1.25))
        ax.set_xticks([])
        ax.spines["bottom"].set_visible(False)
        ax.legend(loc="lower right", bbox_to_anchor=(1, 1), ncols=2)
    return fig


def gap_map_figure(gaps: pd.DataFrame, code: str, codebook: Codebook | None = None) -> Figure:
    """Chapter 03's gap map for one municipality: prioritised factor × life stage, each cell
    coloured and labelled by its status (saknas, tunn, okänd, finns); a cell where the factor
    cannot be influenced is blank."""
    codebook = codebook or load_codebook()
    own = gaps.loc[gaps["municipality_code"] == code]
    labels = codebook.labels("indices")
    factors = list(dict.fromkeys(own["factor"]))
    stages = sorted(dict.fromkeys(own["stage"]), key=lambda s: int(s.split("-")[0]))
    with mpl.rc_context(SLIDE_RC):
        fig, ax = _slide()
        for yi, factor in enumerate(factors):
            for xi, stage in enumerate(stages):
                cell = own.loc[(own["factor"] == factor) & (own["stage"] == stage), "status"]
                if cell.empty:
                    continue
                status = cell.iloc[0]
                color = GAP_COLORS[status]
                ax.add_patch(
                    mpl.patches.Rectangle(
                        (xi + 0.04, yi + 0.06), 0.92, 0.88, color=color, gid=f"gap-{status}"
                    )
                )
                ax.text(
                    xi + 0.5,
                    yi + 0.5,
                    GAP_STATUS_LABELS[status],
                    ha="center",
                    va="center",
                    color="white" if reads_white(color) else "#1d1d1d",
                )
        ax.set_xlim(0, len(stages))
        ax.set_ylim(len(factors), 0)
        ax.set_xticks(np.arange(len(stages)) + 0.5, [stage_phrase(s, codebook) for s in stages])
        ax.xaxis.tick_top()
        ax.set_yticks(
            np.arange(len(factors)) + 0.5, [wrap_label(labels.get(f, f), 26) for f in factors]
        )
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
    return fig


def shared_gaps_figure(shared: pd.DataFrame, limit: int = 6) -> Figure:
    """Chapter 06's shared gaps (``kunskapslaget.shared_gaps_table``): how many municipalities
    share each gap, the most shared first."""
    rows = shared.head(limit).iloc[::-1]
    with mpl.rc_context(SLIDE_RC):
        fig, ax = _slide()
        y = np.arange(len(rows))
        ax.barh(y, rows["Kommuner"], color=GAP_COLORS["saknas"], height=0.6)
        for yy, n in zip(y, rows["Kommuner"], strict=False):
            ax.text(n + 0.08, yy, str(int(n)), va="center")
        ax.set_yticks(
            y,
            [
                wrap_label(f"{f}, {s}", 34)
                for f, s in zip(rows["Prioriterad faktor"], rows["Livsskede"], strict=False)
            ],
        )
        ax.set_xlim(0, max(int(rows["Kommuner"].max()) + 1, 3) if len(rows) else 3)
        ax.set_xticks([])
        ax.spines["bottom"].set_visible(False)
        ax.set_title("Antal kommuner med luckan", loc="left")
    return fig


def gap_legend(fig: Figure) -> None:
    """The four statuses' colours below a gap figure."""
    with mpl.rc_context(SLIDE_RC):
        fig.legend(
            handles=[Patch(color=GAP_COLORS[s], label=GAP_STATUS_LABELS[s]) for s in GAP_COLORS],
            loc="outside lower center",
            ncols=4,
        )
