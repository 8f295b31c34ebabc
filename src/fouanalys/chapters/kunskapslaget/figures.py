"""Chapter 04's figures: the approaches that fit a factor's gaps by effect and by what the
effect rests on, and the need against the capacity at the ages the survey covers."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from fouanalys.chapters.kunskapslaget.display import factor_label, need_rows
from fouanalys.codebook import Codebook, load_codebook
from fouanalys.knowledge import COST_LEVELS, EFFECT_LEVELS, EVIDENCE_BASES
from fouanalys.present.figures import cell_rect, literal
from fouanalys.present.labels import COST_LABELS, EFFECT_LABELS, EVIDENCE_BASE_LABELS
from fouanalys.present.style import FIG_DPI, FIG_WIDTH, PALETTE, RC, style_axes, thousands_tick
from fouanalys.present.text import format_about

#: Effect rows top to bottom, strongest first; what rests on least to the left.
EFFECT_ROWS = tuple(e for e in ("hög", "måttlig", "låg", "ingen", "okänd") if e in EFFECT_LEVELS)
BASE_COLUMNS = tuple(reversed(EVIDENCE_BASES))
#: One colour per cost level; unknown cost grey.
COST_COLORS = dict(zip(COST_LEVELS, [PALETTE[2], PALETTE[1], PALETTE[3], "#949494"], strict=True))
_NAME_WIDTH = 30
_LINE = 0.16  # inches per line of names


def effect_evidence_figure(
    gap_approaches: pd.DataFrame,
    approaches: pd.DataFrame,
    code: str,
    factor: str,
    codebook: Codebook | None = None,
) -> Figure:
    """The approaches that fit the factor's gaps in a grid of effect (rows) against what the
    effect rests on (columns); each name's square gives its cost, and a name in bold is
    already used by one of the municipality's ongoing interventions."""
    import matplotlib as mpl

    codebook = codebook or load_codebook()
    fits = gap_approaches.loc[
        (gap_approaches["municipality_code"] == code) & (gap_approaches["factor"] == factor)
    ]
    in_use = fits.groupby("approach_id", sort=False)["in_use"].max()
    chosen = approaches.set_index("approach_id").loc[list(in_use.index)]
    cells: dict[tuple[str, str], list[tuple[list[str], str, bool]]] = {}
    for approach, a in chosen.iterrows():
        lines = textwrap.wrap(a["namn"], _NAME_WIDTH, break_long_words=False)
        cells.setdefault((a["effekt"], a["underlag"]), []).append(
            (lines, a["kostnad"], bool(in_use[approach] > 0))
        )
    rows = [e for e in EFFECT_ROWS if any(k[0] == e for k in cells)] or ["okänd"]
    heights = [
        max([sum(len(n[0]) for n in cells.get((e, b), [])) for b in BASE_COLUMNS] + [1]) * _LINE
        + 0.12
        for e in rows
    ]
    total = sum(heights)
    with mpl.rc_context(RC):
        fig = Figure(figsize=(FIG_WIDTH, total + 0.95), dpi=FIG_DPI, layout="constrained")
        ax = fig.subplots()
        ax.set_xlim(0, len(BASE_COLUMNS))
        ax.set_ylim(total, 0)
        top = 0.0
        centers = []
        for effect, height in zip(rows, heights, strict=True):
            centers.append(top + height / 2)
            for j, base in enumerate(BASE_COLUMNS):
                cell_rect(ax, j + 0.01, top + 0.01, 0.98, height - 0.02, color="#f3f3f3", lw=0)
                y = top + 0.06 + _LINE * 0.8
                for lines, cost, used in cells.get((effect, base), []):
                    ax.plot(j + 0.05, y - _LINE * 0.3, marker="s", ms=5, color=COST_COLORS[cost])
                    for line in lines:
                        ax.text(
                            j + 0.1,
                            y,
                            literal(line),
                            fontsize=7.5,
                            fontweight="bold" if used else "normal",
                        )
                        y += _LINE
            top += height
        ax.set_xticks(np.arange(len(BASE_COLUMNS)) + 0.5)
        ax.set_xticklabels([EVIDENCE_BASE_LABELS[b].capitalize() for b in BASE_COLUMNS])
        ax.xaxis.tick_top()
        ax.set_yticks(centers)
        ax.set_yticklabels([EFFECT_LABELS[e].capitalize() for e in rows])
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        costs = sorted({c for items in cells.values() for _, c, _ in items}, key=COST_LEVELS.index)
        handles = [
            mpl.lines.Line2D([], [], marker="s", ls="", ms=5, color=COST_COLORS[c]) for c in costs
        ]
        labels = [COST_LABELS[c].capitalize() for c in costs]
        handles.append(mpl.lines.Line2D([], [], ls=""))
        labels.append("Fet stil: används redan i kommunen")
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=7.5)
        ax.set_title(literal(factor_label(factor, codebook)), loc="left", fontsize=9.5)
    return fig


def need_capacity_figure(
    need: pd.DataFrame, code: str, factors: list[str], codebook: Codebook | None = None
) -> Figure | None:
    """Need against capacity at the surveyed ages: for each prioritised factor and age, the
    young people over the cut-point (or without the protection) with their interval, and
    the places a year of the ongoing interventions that target the factor. None when the
    survey gives no estimate for any of them."""
    import matplotlib as mpl

    codebook = codebook or load_codebook()
    parts = [need_rows(need, code, f) for f in factors]
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if rows.empty or rows["need"].isna().all():
        return None
    with mpl.rc_context(RC):
        fig = Figure(figsize=(FIG_WIDTH, 0.42 * len(rows) + 0.9), dpi=FIG_DPI, layout="constrained")
        ax = fig.subplots()
        style_axes(ax, grid_axis="x")
        y = np.arange(len(rows))[::-1].astype(float)
        need_v = rows["need"].astype(float).to_numpy()
        low = rows["need_low"].astype(float).to_numpy()
        high = rows["need_high"].astype(float).to_numpy()
        cap = rows["capacity"].astype(float).to_numpy()
        ax.barh(y + 0.17, np.nan_to_num(need_v), height=0.32, color=PALETTE[3], alpha=0.8,
                label="Unga över gränsen eller utan skyddet (skattning)")  # fmt: skip
        ax.errorbar(need_v, y + 0.17, xerr=[need_v - low, high - need_v], fmt="none",
                    ecolor="#333333", elinewidth=0.9, capsize=2.5)  # fmt: skip
        ax.barh(y - 0.17, np.nan_to_num(cap), height=0.32, color=PALETTE[0],
                label="Platser per år i pågående insatser")  # fmt: skip
        right = np.nanmax(np.concatenate([high, cap, [1.0]]))
        for yi, n, lo, hi, c, known in zip(
            y, need_v, low, high, cap, rows["interventions"], strict=True
        ):
            text = (
                "ej skattad"
                if np.isnan(n)
                else f"omkring {format_about(n)} ({format_about(lo)}–{format_about(hi)})"
            )
            ax.text((0 if np.isnan(hi) else hi) + right * 0.01, yi + 0.17, text, va="center",
                    fontsize=7.5)  # fmt: skip
            what = (
                "ingen insats"
                if int(known) == 0
                else "antal okänt"
                if np.isnan(c)
                else f"omkring {format_about(c)}"
            )
            ax.text((0 if np.isnan(c) else c) + right * 0.01, yi - 0.17, what, va="center",
                    fontsize=7.5)  # fmt: skip
        labels = [
            "\n".join(textwrap.wrap(factor_label(r.factor, codebook), 34)) + f", {int(r.age)} år"
            for r in rows.itertuples()
        ]
        ax.set_yticks(y)
        ax.set_yticklabels([literal(t) for t in labels], fontsize=7.5)
        ax.set_xlim(0, right * 1.35)
        ax.xaxis.set_major_formatter(FuncFormatter(thousands_tick))
        ax.set_xlabel("Antal unga")
        fig.legend(loc="outside lower center", ncols=2, fontsize=7.5)
    return fig
