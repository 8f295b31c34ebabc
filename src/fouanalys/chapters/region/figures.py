"""Chapter 06's figures: the factor heatmap, the forest plot of shares per municipality, and
the coverage profile per level, stage and municipality.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from fouanalys.chapters.insatser.display import gap_counts
from fouanalys.chapters.region.display import (
    ELEVATED_MARKS,
    REGION_LABEL,
    coverage_profile_table,
    forest_frame,
)
from fouanalys.chapters.riskfaktorer.display import PROFILE_KINDS
from fouanalys.codebook import Codebook, load_codebook
from fouanalys.present.figures import (
    cell_rect,
    cell_text,
    draw_kind_divisions,
    stage_ticks,
    unknown_cell,
)
from fouanalys.present.labels import CI_LABEL, GAP_STATUS_LABELS, PRIORITISED
from fouanalys.present.style import (
    FIG_DPI,
    FIG_WIDTH,
    GAP_COLORS,
    RC,
    UNKNOWN_STYLE,
    percent_tick,
    reads_white,
    style_axes,
    thousands_tick,
)
from fouanalys.present.text import DASH, format_number, wrap_label

_ELEVATED_COLOR = "#a4000f"
_POINT_COLOR = "#0173b2"
_SUPPRESSED_COLOR = "#e4e4e4"
_KIND_CMAPS = {"risk": "YlOrBr", "protective": "GnBu"}


def _heatmap_text_color(rgba) -> str:
    r, g, b, _ = rgba
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "#1d1d1d"


def _kind_norms(table: pd.DataFrame):
    """One colour scale per kind of factor, over the shares shown, padded."""
    from matplotlib.colors import Normalize

    norms = {}
    for kind in PROFILE_KINDS:
        values = table.loc[(table["kind"] == kind) & (table["state"] == "shown"), "share"]
        values = values.astype(float).dropna()
        lo, hi = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
        pad = max((hi - lo) * 0.15, 0.02)
        norms[kind] = Normalize(vmin=lo - pad, vmax=hi + pad)
    return norms


def _draw_share_cell(ax, row, xi: int, yi: int, norms: dict, cmaps: dict) -> None:
    """One heatmap cell: coloured by its share (grey when suppressed), framed and marked when
    elevated, with its text."""
    from matplotlib.patches import Rectangle

    if row.state == "shown":
        scale = 0.08 + 0.72 * float(np.clip(norms[row.kind](float(row.share)), 0, 1))
        color = cmaps.get(row.kind, cmaps["risk"])(scale)
        text_color = _heatmap_text_color(color)
        gid = "cell"
    else:
        color, text_color, gid = _SUPPRESSED_COLOR, "#555555", "suppressed"
    ax.add_patch(Rectangle((xi + 0.03, yi + 0.05), 0.94, 0.9, facecolor=color, lw=0, gid=gid))
    text = row.text
    if row.elevated:
        text = f"{ELEVATED_MARKS.get(row.kind, '▲')} {text}"
        cell_rect(
            ax,
            xi + 0.07,
            yi + 0.11,
            0.86,
            0.78,
            fill=False,
            edgecolor=_ELEVATED_COLOR,
            linewidth=1.8,
            zorder=3,
            gid="elevated",
        )
    cell_text(
        ax,
        xi + 0.5,
        yi + 0.5,
        text,
        8,
        text_color,
        zorder=4,
        va="center",
        fontweight="bold" if row.elevated or row.is_region else "normal",
        gid="value",
    )


def _draw_kind_columns(ax, factors: list, info: pd.DataFrame) -> None:
    """A line between risk and protective columns and each kind's name under the columns."""
    draw_kind_divisions(
        ax,
        factors,
        info,
        rows=False,
        offset=-0.02,
        upper=True,
        ha="center",
        va="top",
        fontsize=7,
        fontweight="bold",
    )


def _factor_heatmap_legend(fig: Figure) -> None:
    """What the marks and the grey cells mean, under the plot."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Line2D(
            [],
            [],
            color="none",
            label="▲ / ▼ med ram: statistiskt säkert sämre än övriga regionen",
        ),
        Patch(color=_SUPPRESSED_COLOR, label="– för få svarande, visas inte"),
    ]
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=2,
        fontsize=7.5,
        title="Mörkare färg: större andel. ▲ riskfaktor vanligare, ▼ skyddsfaktor ovanligare.",
        title_fontsize=7.5,
    )


def _area_rows(ax, areas: list, names: dict, region_rows: list, lw: float) -> None:
    """Areas as row labels of a grid without spines; the region's row bold, below a line."""
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_yticks([i + 0.5 for i in range(len(areas))], [names[a] for a in areas])
    for i in region_rows:
        ax.get_yticklabels()[i].set_fontweight("bold")
        ax.axhline(i, color="#12355b", lw=lw)


def factor_heatmap_figure(table: pd.DataFrame, title: str | None = None) -> Figure:
    """Heatmap of :func:`factor_heatmap_table`: areas as rows, factors as columns.

    Colour is the share (one scale per kind: risk factors yellow to brown, protective factors
    green to blue, darker = more common); every cell carries its share ("31 %"). Elevated cells
    are bold with "▲" (risk factor more common than in the rest of the region) or "▼"
    (protective factor less common) and a dark red frame (``gid="elevated"``). Suppressed or
    missing cells are grey with "–" (``gid="suppressed"``). The region's row is last, below a
    line. Risk and protective columns are headed by their kind.
    """
    import matplotlib as mpl

    areas = list(dict.fromkeys(table["municipality_code"]))
    names = dict(zip(table["municipality_code"], table["municipality"], strict=False))
    factors = list(dict.fromkeys(table["factor"]))
    info = table.drop_duplicates("factor").set_index("factor")
    region_rows = [
        i
        for i, a in enumerate(areas)
        if table.loc[table["municipality_code"] == a, "is_region"].any()
    ]
    norms = _kind_norms(table)
    cmaps = {k: mpl.colormaps[c] for k, c in _KIND_CMAPS.items()}

    with mpl.rc_context(RC):
        fig = Figure(
            figsize=(FIG_WIDTH, 2.3 + 0.36 * len(areas)), dpi=FIG_DPI, layout="constrained"
        )
        ax = fig.subplots()
        for row in table.itertuples(index=False):
            xi, yi = factors.index(row.factor), areas.index(row.municipality_code)
            _draw_share_cell(ax, row, xi, yi, norms, cmaps)
        ax.set_xlim(0, len(factors))
        ax.set_ylim(len(areas), 0)
        _area_rows(ax, areas, names, region_rows, 1.2)
        # nine or more columns: narrower lines and a smaller type, so headers do not touch
        many = len(factors) > 8
        ax.set_xticks(
            [i + 0.5 for i in range(len(factors))],
            [wrap_label(info.at[f, "label"], 12 if many else 13) for f in factors],
        )
        ax.xaxis.tick_top()
        ax.tick_params(axis="both", length=0)
        ax.tick_params(axis="x", labelsize=6.2 if many else 6.8)
        _draw_kind_columns(ax, factors, info)
        _factor_heatmap_legend(fig)
        if title is None and len(table):
            title = f"Andel elever över gränsvärdet per kommun, {int(table['year'].iloc[0])}"
        if title:
            fig.suptitle(title, fontweight="bold", fontsize=10.5)
    return fig


def _forest_limits(part: pd.DataFrame) -> tuple[float, float]:
    """The x range of a forest panel in percent: every interval, the region's too, padded."""
    first = part.iloc[0]
    values = pd.concat([part["ci_low"], part["ci_high"]]).astype(float).dropna() * 100
    if pd.notna(first["region_share"]):
        values = pd.concat(
            [
                values,
                pd.Series(
                    [
                        float(first["region_ci_low"]) * 100,
                        float(first["region_ci_high"]) * 100,
                    ]
                ),
            ]
        )
    lo, hi = (float(values.min()), float(values.max())) if len(values) else (0.0, 100.0)
    pad = max((hi - lo) * 0.1, 1.0)
    return max(lo - pad, 0.0), min(hi + pad, 100.0)


def _draw_forest_row(ax, row, yi: int, lo: float) -> None:
    """One municipality's point and interval, or a "–" when suppressed."""
    if row.state != "shown":
        ax.annotate(
            DASH,
            (lo, yi),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
            color="#555555",
            gid="suppressed",
        )
        return
    color = _ELEVATED_COLOR if row.elevated else _POINT_COLOR
    ax.hlines(yi, float(row.ci_low) * 100, float(row.ci_high) * 100, color=color, lw=1.2, gid="ci")
    ax.plot(
        [float(row.share) * 100],
        [yi],
        marker="D" if row.elevated else "o",
        markersize=4.5,
        color=color,
        zorder=3,
    )


def _draw_forest_panel(ax, part: pd.DataFrame, y: dict) -> None:
    """One factor's panel: the region's share and band, each municipality's interval."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    first = part.iloc[0]
    lo, hi = _forest_limits(part)
    if pd.notna(first["region_share"]):
        ax.axvspan(
            float(first["region_ci_low"]) * 100,
            float(first["region_ci_high"]) * 100,
            color="#bbbbbb",
            alpha=0.35,
            lw=0,
            gid="region-band",
        )
        ax.axvline(
            float(first["region_share"]) * 100,
            color="#333333",
            lw=1.0,
            linestyle="--",
            gid="region",
        )
    for row in part.itertuples(index=False):
        _draw_forest_row(ax, row, y[row.municipality_code], lo)
    ax.set_xlim(lo, hi)
    ax.set_ylim(len(y) - 0.5, -0.5)
    ax.set_title(wrap_label(first["label"], 24), fontsize=8, loc="left")
    ax.xaxis.set_major_formatter(FuncFormatter(percent_tick))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
    ax.tick_params(axis="x", labelsize=7)
    style_axes(ax, grid_axis="x")
    ax.tick_params(axis="y", length=0)


def _forest_handles() -> list:
    """Legend entries of the forest plot."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    return [
        Line2D(
            [],
            [],
            color=_POINT_COLOR,
            marker="o",
            markersize=4.5,
            lw=1.2,
            label="kommunen, med " + CI_LABEL,
        ),
        Line2D(
            [],
            [],
            color=_ELEVATED_COLOR,
            marker="D",
            markersize=4.5,
            lw=1.2,
            label="statistiskt säkert sämre\nän övriga regionen",
        ),
        Line2D([], [], color="#333333", lw=1.0, linestyle="--", label=REGION_LABEL.lower()),
        Patch(color="#bbbbbb", alpha=0.35, label=f"{REGION_LABEL.lower()}, {CI_LABEL}"),
        Line2D([], [], color="none", label="– för få svarande"),
    ]


def forest_figure(
    prevalence: pd.DataFrame,
    codebook: Codebook | None = None,
    year: int | None = None,
    priorities: pd.DataFrame | None = None,
    factors: list[str] | None = None,
) -> Figure:
    """Forest plot per factor: each municipality's share with its 95 % interval.

    Small multiples (three columns), one panel per factor (all risk and protective factors by
    default), municipalities top to bottom in codebook order. A point and line per
    municipality (``gid="ci"``); dark red when elevated (given ``priorities``), else blue. The
    whole region's share is a dashed vertical line (``gid="region"``) over its interval as a
    grey band. A suppressed cell draws nothing but a "–" (``gid="suppressed"``). Each panel has
    its own percent scale.
    """
    import matplotlib as mpl

    codebook = codebook or load_codebook()
    frame = forest_frame(prevalence, codebook, year, priorities, factors)
    factor_ids = list(dict.fromkeys(frame["factor"]))
    areas = list(dict.fromkeys(frame["municipality_code"]))
    names = dict(zip(frame["municipality_code"], frame["municipality"], strict=False))
    ncols = 3 if len(factor_ids) > 2 else max(len(factor_ids), 1)
    slots = len(factor_ids) + 1  # one slot for the legend
    nrows = int(np.ceil(slots / ncols))
    y = {a: i for i, a in enumerate(areas)}

    with mpl.rc_context(RC):
        fig = Figure(
            figsize=(FIG_WIDTH, 0.7 + nrows * (0.75 + 0.17 * len(areas))),
            dpi=FIG_DPI,
            layout="constrained",
        )
        axes = list(np.atleast_1d(fig.subplots(nrows, ncols, sharey=True)).ravel())
        for ax, factor in zip(axes, factor_ids, strict=False):
            _draw_forest_panel(ax, frame.loc[frame["factor"] == factor], y)
        axes[0].set_yticks(range(len(areas)), [names[a] for a in areas])
        for ax in axes[len(factor_ids) :]:
            ax.set_axis_off()
        handles = _forest_handles()
        if len(axes) > len(factor_ids):
            axes[-1].legend(handles=handles, loc="center", fontsize=7.5, frameon=False)
        else:
            fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=7.5)
        if len(frame):
            fig.suptitle(
                f"Andel över gränsvärdet per kommun med 95\u00a0% konfidensintervall, "
                f"{int(frame['year'].iloc[0])}",
                fontweight="bold",
                fontsize=10.5,
            )
    return fig


def _draw_reach_cell(ax, row, xi: int, yi: int, cmap, norm) -> None:
    """One area's reach cell: hatched when unknown, pale when empty, with its text."""
    from matplotlib.patches import Rectangle

    if row.state == "unknown":
        ax.add_patch(unknown_cell(xi + 0.02, yi + 0.06, 0.96, 0.88))
    elif row.state == "empty":
        ax.add_patch(
            Rectangle(
                (xi + 0.02, yi + 0.06),
                0.96,
                0.88,
                facecolor="#f4f4f4",
                linewidth=0,
                zorder=1,
                gid="empty",
            )
        )
    dark = (
        row.state in ("known", "partial")
        and np.isfinite(row.reach_shown)
        and _heatmap_text_color(cmap(norm(row.reach_shown))) == "white"
    )
    cell_text(
        ax,
        xi + 0.5,
        yi + 0.5,
        row.text,
        7,
        "white" if dark else "#1d1d1d",
        va="center",
        fontweight="bold" if row.is_region else "normal",
        bbox=(
            {"boxstyle": "square,pad=0.08", "facecolor": "white", "edgecolor": "none"}
            if row.state == "unknown"
            else None
        ),
    )


def _draw_level_panel(ax, part: pd.DataFrame, areas: list, stages: list, cmap, norm):
    """One prevention level's heatmap of reach, areas by stages. Returns the mesh."""
    matrix = part.assign(
        value=np.where(part["state"].isin(["known", "partial"]), part["reach_shown"], np.nan)
    ).pivot(index="municipality_code", columns="stage", values="value")
    matrix = matrix.reindex(index=areas, columns=stages)
    values = np.ma.masked_invalid(matrix.to_numpy(dtype=float))
    mesh = ax.pcolormesh(
        np.arange(len(stages) + 1),
        np.arange(len(areas) + 1),
        values,
        cmap=cmap,
        norm=norm,
        edgecolors="white",
        linewidth=1.2,
    )
    for row in part.itertuples(index=False):
        xi, yi = stages.index(row.stage), areas.index(row.municipality_code)
        _draw_reach_cell(ax, row, xi, yi, cmap, norm)
    ax.set_xlim(0, len(stages))
    ax.set_ylim(len(areas), 0)
    return mesh


def _coverage_profile_legend(fig: Figure, axes: list, mesh) -> None:
    """The colour bar (when anything is drawn) and what the cells mean, under the plot."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter

    if mesh is not None:
        bar = fig.colorbar(
            mesh,
            ax=axes,
            shrink=0.5,
            aspect=30,
            label="Deltagare per år per 1\u00a0000 invånare",
        )
        bar.outline.set_visible(False)
        bar.ax.yaxis.set_major_formatter(FuncFormatter(thousands_tick))
    handles = [
        Patch(facecolor="#f4f4f4", label="0: ingen pågående insats"),
        Patch(**UNKNOWN_STYLE, label="okänd: ingen insats anger antal deltagare"),
        Patch(color="none", label="≥: minst, någon insats saknar antal"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=7.5)


def coverage_profile_figure(
    coverage: pd.DataFrame, codebook: Codebook | None = None, title: str | None = None
) -> Figure:
    """Reach per 1 000 by life stage and prevention level for every municipality, as heatmaps.

    From :func:`coverage_profile_table`: one panel per prevention level, stacked; in each,
    areas as rows (the region last, bold, below a line) and life stages as columns, on one
    shared square-root colour scale (Blues). Each cell carries its reach ("≥" a lower bound);
    a cell without ongoing interventions is white with "0" (``gid="empty"``), one whose
    interventions all lack a participant count is hatched with "okänd" (``gid="unknown"``).
    """
    import matplotlib as mpl
    from matplotlib.colors import PowerNorm

    codebook = codebook or load_codebook()
    table = coverage_profile_table(coverage, codebook)
    levels = list(dict.fromkeys(table["level"]))
    stages = list(dict.fromkeys(table["stage"]))
    areas = list(dict.fromkeys(table["municipality_code"]))
    names = dict(zip(table["municipality_code"], table["municipality"], strict=False))
    shown = table.loc[table["state"].isin(["known", "partial"]), "reach_shown"].dropna()
    vmax = max(float(shown.max()) if len(shown) else 1.0, 1.0)
    cmap = mpl.colormaps["Blues"]
    norm = PowerNorm(gamma=0.5, vmin=0, vmax=vmax)
    tick_labels = dict(
        zip(sorted(stages, key=lambda s: int(s.split("-")[0])), stage_ticks(codebook), strict=False)
    )
    region_rows = [i for i, a in enumerate(areas) if a == codebook.region.code]

    with mpl.rc_context(RC):
        fig = Figure(
            figsize=(FIG_WIDTH, 1.4 + len(levels) * (0.45 + 0.2 * len(areas))),
            dpi=FIG_DPI,
            layout="constrained",
        )
        axes = list(np.atleast_1d(fig.subplots(len(levels), 1, sharex=True)))
        mesh = None
        for ax, level in zip(axes, levels, strict=True):
            part = table.loc[table["level"] == level]
            mesh = _draw_level_panel(ax, part, areas, stages, cmap, norm)
            _area_rows(ax, areas, names, region_rows, 1.0)
            ax.tick_params(axis="both", length=0, labelsize=7.5)
            ax.set_title(
                str(part["level_label"].iloc[0]), loc="left", fontsize=9, color="#12355b", pad=3
            )
        axes[0].xaxis.tick_top()
        axes[0].set_xticks(
            [i + 0.5 for i in range(len(stages))], [tick_labels.get(s, s) for s in stages]
        )
        axes[0].tick_params(axis="x", labelsize=7, labeltop=True, labelbottom=False)
        for ax in axes[1:]:
            ax.tick_params(axis="x", labeltop=False, labelbottom=False)
        _coverage_profile_legend(fig, axes, mesh)
        fig.suptitle(
            title or "Räckvidd per åldersgrupp och nivå, kommun för kommun",
            fontweight="bold",
            fontsize=10.5,
        )
    return fig


def gap_status_figure(gaps: pd.DataFrame, codebook: Codebook | None = None) -> Figure:
    """Per municipality, its prioritised factor × stage cells by gap status, as stacked bars.

    One bar per municipality (codebook order, top to bottom), segments in
    :data:`fouanalys.present.style.GAP_COLORS` for "saknas", "tunn", "okänd" and "finns" (each
    with ``gid="gap-<status>"``), the count written in each segment. A municipality without a
    prioritised factor gets a bar of length 0 and the words "ingen prioriterad faktor".
    """
    import matplotlib as mpl

    codebook = codebook or load_codebook()
    areas = [(m.code, m.name) for m in codebook.municipalities]
    statuses = list(GAP_STATUS_LABELS)
    with mpl.rc_context(RC):
        fig = Figure(
            figsize=(FIG_WIDTH, 0.9 + 0.36 * len(areas)), dpi=FIG_DPI, layout="constrained"
        )
        ax = fig.subplots()
        style_axes(ax, grid_axis="x")
        for y, (code, _name) in enumerate(areas):
            counts = gap_counts(gaps, code)
            left = 0
            for status in statuses:
                n = counts[status]
                if not n:
                    continue
                ax.barh(y, n, left=left, color=GAP_COLORS[status], height=0.7, gid=f"gap-{status}")
                ax.text(
                    left + n / 2,
                    y,
                    format_number(n),
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color="white" if reads_white(GAP_COLORS[status]) else "#1d1d1d",
                )
                left += n
            if left == 0:
                ax.text(0.1, y, f"ingen {PRIORITISED} faktor", va="center", fontsize=7.5)
        ax.set_yticks(range(len(areas)), [name for _c, name in areas])
        ax.invert_yaxis()
        ax.set_xlabel(f"Kombinationer av {PRIORITISED} faktor och livsskede")
        from matplotlib.patches import Patch

        fig.legend(
            handles=[Patch(color=GAP_COLORS[s], label=GAP_STATUS_LABELS[s]) for s in statuses],
            loc="outside lower center",
            ncols=len(statuses),
            fontsize=7.5,
        )
    return fig
