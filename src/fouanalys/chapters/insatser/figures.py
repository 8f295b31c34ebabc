"""Chapter 03's figures: interventions along the life course, reach per stage and level,
factor coverage with its gaps, the targeting pyramid, and the answers to the quality questions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

if TYPE_CHECKING:
    from fouanalys.codebook import Codebook
from fouanalys.chapters.insatser.display import (
    GAP_ORDER,
    answer_shares_text,
    coverage_cells,
    factor_cells,
    life_course_frame,
    pyramid_frame,
    quality_frame,
    quality_levels,
)
from fouanalys.codebook import load_codebook
from fouanalys.exceptions import FouanalysError
from fouanalys.present.figures import (
    cell_rect,
    cell_text,
    draw_kind_divisions,
    heatmap,
    literal,
    note_text,
    stage_ticks,
    text_width,
    unknown_cell,
)
from fouanalys.present.labels import GAP_STATUS_LABELS, PRIORITISED, QUALITY_CODE_LABELS
from fouanalys.present.style import (
    FIG_DPI,
    FIG_WIDTH,
    GAP_COLORS,
    GAP_LINESTYLES,
    KNOWLEDGE_COLORS,
    NOT_APPLICABLE_COLOR,
    PALETTE,
    PLANNED_HATCH,
    QUALITY_ANSWER_COLORS,
    RC,
    STAGE_SHADES,
    TARGETING_COLORS,
    UNKNOWN_STYLE,
    heat_text_color,
    reads_white,
    thousands_tick,
)
from fouanalys.present.text import plural, wrap_label
from fouanalys.quality import NOT_ANSWERED


def _life_course_colors(codebook: Codebook, color_by: str) -> tuple:
    """The row key, colours, labels and legend title for ``color_by`` (or an error)."""

    if color_by == "inriktning":
        return "targeting", TARGETING_COLORS, codebook.labels("targeting"), "inriktning"
    if color_by == "kunskapslage":
        return (
            "knowledge",
            KNOWLEDGE_COLORS,
            codebook.labels("knowledge_levels"),
            "kunskapsläge",
        )
    raise FouanalysError(
        f"Okänt färgval '{color_by}' för livsförloppsfiguren: välj 'inriktning' eller "
        "'kunskapslage'."
    )


def _life_course_rows(frame: pd.DataFrame, codebook: Codebook) -> tuple:
    """Y positions: the level bands (label, first y, last y), the bars (y, row), the empty
    bands' y and the total height in rows."""
    bands, rows, empty = [], [], []
    y = 0.0
    for level, level_label in codebook.labels("levels").items():
        part = frame.loc[frame["level"] == level]
        first = y
        y += 1  # the band's heading
        if part.empty:
            empty.append(y)
            y += 1
        for row in part.itertuples(index=False):
            rows.append((y, row))
            y += 1
        bands.append((level_label, first, y - 1))
        y += 0.8
    y -= 0.8
    return bands, rows, empty, y


def _draw_stage_bands(ax, stages: list, codebook: Codebook) -> None:
    """Shade the life stages in turn, with a line between them and their names above."""
    for n, stage in enumerate(stages):
        ax.axvspan(stage.age_from, stage.age_to + 1, color=STAGE_SHADES[n % 2], lw=0, zorder=0)
        if n:
            ax.axvline(stage.age_from, color="#c9d3de", lw=0.6, zorder=0.5)
    for label, stage in zip(stage_ticks(codebook, 14), stages, strict=True):
        ax.text(
            (stage.age_from + stage.age_to + 1) / 2,
            1.006,
            label,
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=7,
            color="#12355b",
            linespacing=1.1,
            gid="stage",
        )


def _draw_level_bands(ax, bands: list, empty: list, pad: float, size: float) -> None:
    """Head each prevention-level band with its name, a line between bands, and say so in a
    band without interventions."""
    for n, (label, first, _last) in enumerate(bands):
        if n:
            ax.axhline(first - 0.9, color="#9aa9b8", lw=0.7, zorder=0.5)
        ax.text(
            pad,
            first,
            label.upper(),
            ha="left",
            va="center",
            fontsize=8,
            fontweight="bold",
            color="#12355b",
            gid="level",
        )
    for yy in empty:
        note_text(ax, 0.3, yy, "Inga pågående eller planerade insatser", size)


def _draw_intervention_bar(ax, yy: float, row, color: str) -> None:
    """One intervention's bar: filled when ongoing, white with a coloured hatch when planned."""
    if row.planned:
        (bar,) = ax.barh(
            yy,
            row.end - row.start,
            left=row.start,
            height=0.72,
            facecolor="white",
            edgecolor=color,
            hatch=PLANNED_HATCH,
            linewidth=0.9,
            zorder=2,
        )
    else:
        (bar,) = ax.barh(
            yy,
            row.end - row.start,
            left=row.start,
            height=0.72,
            color=color,
            lw=0,
            zorder=2,
        )
    bar.set_gid("planned" if row.planned else "intervention")


def _draw_intervention_name(
    ax, yy: float, row, color: str, size: float, per_age: float, pad: float, last_age: int
) -> None:
    """An intervention's name: on its bar when it fits, else on the roomier side of it."""
    name = literal(row.insats)
    need = text_width(row.insats, size) / per_age + 2 * pad  # in years of age
    right, left = last_age - row.end, row.start
    style = {"va": "center", "fontsize": size, "zorder": 3, "gid": "name"}
    if need <= row.end - row.start:
        on_white = row.planned or not reads_white(color)
        box = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"}
        ax.text(
            row.start + pad,
            yy,
            name,
            ha="left",
            color="#1d1d1d" if on_white else "white",
            bbox=box if row.planned else None,
            **style,
        )
    elif need <= right or right >= left:
        ax.text(row.end + pad, yy, name, ha="left", color="#1d1d1d", **style)
    else:
        ax.text(row.start - pad, yy, name, ha="right", color="#1d1d1d", **style)


def _life_course_legend(
    fig: Figure, present: set, colors: dict, labels: dict, legend_title: str
) -> None:
    """The colours in use (all when none is) and the planned hatch, under the plot."""
    from matplotlib.patches import Patch

    handles = [
        Patch(color=c, label=labels.get(k, k))
        for k, c in colors.items()
        if k in present or not present
    ]
    handles.append(
        Patch(
            facecolor="white",
            edgecolor="#555555",
            hatch=PLANNED_HATCH,
            linewidth=0.9,
            label="planerad (streckad)",
        )
    )
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=min(len(handles), 5),
        title=f"Färg: {legend_title}. Fylld stapel: pågående insats.",
        title_fontsize=8,
    )


def _suptitle(fig: Figure, text: str) -> None:
    """The figure's bold title."""
    fig.suptitle(text, fontweight="bold", fontsize=10.5)


def life_course_figure(
    insatser: pd.DataFrame,
    municipality_code: str,
    codebook: Codebook | None = None,
    color_by: str = "inriktning",
) -> Figure:
    """The chapter's signature figure: every intervention as a bar over the ages it covers.

    Ages 0–25 on the x axis (a bar runs from ``alder_fran`` to ``alder_till + 1``, so it covers
    every year of its last age), the codebook's life stages shaded and named above the plot.
    Ongoing and planned interventions (``kartlaggning.life_course_frame``; ended ones are left
    out), grouped in one band per prevention level (headed by its name, ``gid="level"``), by
    first age within a band. Each bar carries its intervention's name (``gid="name"``): on the
    bar when it fits, else beside it. ``color_by`` is ``"inriktning"`` (targeting) or
    ``"kunskapslage"`` (knowledge level). Ongoing bars are filled (``gid="intervention"``),
    planned ones white with a coloured hatch (``gid="planned"``); the legend says which is
    which. The height grows with the number of interventions.
    """
    import matplotlib as mpl

    codebook = codebook or load_codebook()
    key, colors, labels, legend_title = _life_course_colors(codebook, color_by)
    frame = life_course_frame(insatser, municipality_code, codebook)
    stages = sorted(codebook.life_stages, key=lambda s: s.age_from)
    last_age = max(s.age_to for s in stages) + 1
    bands, rows, empty, y = _life_course_rows(frame, codebook)
    height = 1.8 + 0.2 * y
    size = 7.2
    per_age = (FIG_WIDTH - 0.6) / last_age  # inches per year of age (axes about 6.4 in wide)
    pad = 0.25  # in years of age

    with mpl.rc_context(RC):
        fig = Figure(figsize=(FIG_WIDTH, height), dpi=FIG_DPI, layout="constrained")
        ax = fig.subplots()
        _draw_stage_bands(ax, stages, codebook)
        _draw_level_bands(ax, bands, empty, pad, size)
        for yy, row in rows:
            color = colors.get(getattr(row, key), PALETTE[-1])
            _draw_intervention_bar(ax, yy, row, color)
            _draw_intervention_name(ax, yy, row, color, size, per_age, pad, last_age)
        ax.set_ylim(y - 0.4, -0.6)
        ax.set_xlim(0, last_age)
        ax.set_xticks([a + 0.5 for a in range(last_age)], [str(a) for a in range(last_age)])
        ax.set_yticks([])
        ax.tick_params(axis="x", labelsize=7, length=0)
        ax.set_xlabel("Ålder (år)")
        for spine in ("top", "right", "left"):
            ax.spines[spine].set_visible(False)
        _life_course_legend(fig, set(frame[key]), colors, labels, legend_title)
        _suptitle(
            fig, f"Insatser längs livsförloppet i {codebook.municipality_name(municipality_code)}"
        )
    return fig


def _planned_text(planned: int) -> str:
    """ "1 planerad", "2 planerade"."""
    return f"{planned} {'planerad' if planned == 1 else 'planerade'}"


def _stage_columns(ax, codebook: Codebook, stages: list) -> None:
    """A heatmap's stage columns: the stage names on top, no tick marks."""
    ax.set_xticks([i + 0.5 for i in range(len(stages))], stage_ticks(codebook)[: len(stages)])
    ax.tick_params(axis="both", length=0, labelrotation=0)
    ax.tick_params(axis="x", labelsize=7.5)


def _reach_matrix(cells: pd.DataFrame, levels: list, stages: list) -> pd.DataFrame:
    """Reach per level (rows) and stage (columns); an empty cell is 0, an unknown one NA."""
    value = cells.assign(
        shown=np.where(cells["state"] == "empty", 0.0, cells["reach_shown"].astype(float))
    )
    return value.pivot(index="level", columns="stage", values="shown").reindex(
        index=levels, columns=stages
    )


def _annotate_reach_cell(ax, row, xi: int, yi: int, norm, vmax: float, cmap) -> None:
    """One coverage cell's text: the reach, the interventions and any planned ones; an
    unknown reach hatched."""
    if row.state == "unknown":
        ax.add_patch(unknown_cell(xi + 0.03, yi + 0.03, 0.94, 0.94))
    shown = row.reach_shown if np.isfinite(row.reach_shown) else 0.0
    shade = norm(shown) * vmax if row.state in ("known", "partial") else 0.0
    color = heat_text_color(float(shade), vmax, cmap)
    box = (
        {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"}
        if row.state == "unknown"
        else None
    )
    cell_text(
        ax,
        xi + 0.5,
        yi + 0.4,
        row.reach_text,
        9.5,
        color,
        va="center",
        fontweight="bold",
        bbox=box,
        gid=f"reach-{row.state}",
    )
    extra = row.count_text
    if row.planned:
        extra += f"\n+{_planned_text(row.planned)}"
    cell_text(ax, xi + 0.5, yi + 0.62, extra, 7, color, va="top", bbox=box, linespacing=1.05)


def _coverage_legend(fig: Figure) -> None:
    """What a hatched cell and "≥" mean, under the plot."""
    from matplotlib.patches import Patch

    handles = [
        Patch(**UNKNOWN_STYLE, label="okänd: ingen insats i rutan anger antal deltagare"),
        Patch(color="none", label="≥: minst, någon insats saknar antal deltagare"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=7.5)


def coverage_heatmap(
    coverage: pd.DataFrame, municipality_code: str, codebook: Codebook | None = None
) -> Figure:
    """Reach per 1 000 inhabitants per life stage (columns) and prevention level (rows).

    From ``kartlaggning.coverage_cells``, drawn as a heatmap (square-root colour scale, so
    small reaches still show). Each cell is annotated: the reach ("≥12" when some
    intervention in it gives no participant count, so 12 is a lower bound), the number of
    ongoing interventions and any planned ones. A cell whose interventions all lack a count
    shows "okänd", uncoloured and hatched (``gid="unknown"``), never 0; a cell without
    ongoing interventions shows "0" and "inga insatser".
    """
    import matplotlib as mpl
    from matplotlib.colors import PowerNorm

    codebook = codebook or load_codebook()
    cells = coverage_cells(coverage, municipality_code, codebook)
    levels = list(dict.fromkeys(cells["level"]))
    stages = list(dict.fromkeys(cells["stage"]))
    matrix = _reach_matrix(cells, levels, stages)
    vmax = float(np.nanmax(matrix.to_numpy())) if matrix.notna().any().any() else 1.0
    vmax = max(vmax, 1.0)
    cmap = mpl.colormaps["Blues"]
    norm = PowerNorm(gamma=0.5, vmin=0, vmax=vmax)

    with mpl.rc_context(RC):
        fig = Figure(
            figsize=(FIG_WIDTH, 1.9 + 0.75 * len(levels)), dpi=FIG_DPI, layout="constrained"
        )
        ax = fig.subplots()
        mesh = heatmap(ax, matrix, cmap, norm)
        colorbar = fig.colorbar(
            mesh, ax=ax, shrink=0.85, label="Deltagare per år per 1\u00a0000 invånare"
        )
        colorbar.outline.set_visible(False)
        colorbar.ax.yaxis.set_major_formatter(FuncFormatter(thousands_tick))
        for row in cells.itertuples(index=False):
            xi, yi = stages.index(row.stage), levels.index(row.level)
            _annotate_reach_cell(ax, row, xi, yi, norm, vmax, cmap)
        labels = codebook.labels("levels")
        ax.set_yticks([i + 0.5 for i in range(len(levels))], [labels[v] for v in levels])
        _stage_columns(ax, codebook, stages)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.xaxis.tick_top()
        _suptitle(
            fig,
            f"Räckvidd per åldersgrupp och nivå i {codebook.municipality_name(municipality_code)}",
        )
        _coverage_legend(fig)
    return fig


def _draw_factor_cell(ax, row, xi: int, yi: int, vmax: float, cmap) -> None:
    """One factor cell: grey when the factor cannot be addressed at the stage, else the
    number of interventions, outlined when it is a gap."""
    from matplotlib.patches import Rectangle

    if not row.applicable:
        cell_rect(
            ax,
            xi + 0.03,
            yi + 0.04,
            0.94,
            0.92,
            facecolor=NOT_APPLICABLE_COLOR,
            linewidth=0,
            zorder=1,
            gid="not-applicable",
        )
        return
    cell_text(
        ax,
        xi + 0.5,
        yi + 0.5,
        str(row.interventions),
        8.5,
        heat_text_color(row.interventions, vmax * 1.25, cmap),
        va="center",
        fontweight="bold" if row.priority else "normal",
    )
    if row.gap:
        ax.add_patch(
            Rectangle(
                (xi + 0.06, yi + 0.08),
                0.88,
                0.84,
                fill=False,
                edgecolor=GAP_COLORS[row.gap],
                linewidth=2.2,
                linestyle=GAP_LINESTYLES[row.gap],
                zorder=4,
                gid=f"gap-{row.gap}",
            )
        )


def _factor_rows(ax, factors: list, info: pd.DataFrame) -> None:
    """The factor names as row labels, priority factors marked "★" and bold."""

    labels = [
        ("★ " if info.at[f, "priority"] else "") + wrap_label(info.at[f, "label"], 34)
        for f in factors
    ]
    ax.set_yticks([i + 0.5 for i in range(len(factors))], labels)
    for tick, f in zip(ax.get_yticklabels(), factors, strict=True):
        if info.at[f, "priority"]:
            tick.set_fontweight("bold")


def _draw_kind_bands(ax, factors: list, info: pd.DataFrame) -> None:
    """A line between risk and protective factors and each kind's name on the right."""
    draw_kind_divisions(
        ax, factors, info, rows=True, offset=1.012, rotation=270, ha="left", va="center", fontsize=8
    )


def _factor_legend(fig: Figure) -> None:
    """What the star, the outlines and the grey cells mean, under the plot."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Line2D([], [], color="none", label=f"★ {PRIORITISED} faktor (fet stil)"),
        *[
            Patch(
                fill=False,
                edgecolor=GAP_COLORS[status],
                linewidth=2,
                linestyle=GAP_LINESTYLES[status],
                label=GAP_STATUS_LABELS[status],
            )
            for status in GAP_ORDER
        ],
        Patch(color=NOT_APPLICABLE_COLOR, label="kan inte påverkas i åldern"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=5, fontsize=7.5)


def factor_coverage_heatmap(
    factor_coverage: pd.DataFrame,
    gaps: pd.DataFrame,
    municipality_code: str,
    codebook: Codebook | None = None,
) -> Figure:
    """Ongoing interventions per risk or protective factor (rows) and life stage (columns).

    From ``kartlaggning.factor_cells``, drawn as a heatmap: the number of ongoing
    interventions addressing the factor at that stage, written in the cell. A stage where the
    codebook says the factor cannot be addressed is grey and empty (``gid="not-applicable"``).
    Prioritised factors (those in the gap table) have a bold label marked "★"; their gaps are
    outlined in the gap status's colour and line style (``present.style.GAP_COLORS``,
    ``gid="gap-saknas"``, ``"gap-tunn"``, ``"gap-okänd"``). Risk factors come first, then
    protective factors.
    """
    import matplotlib as mpl
    from matplotlib.colors import Normalize

    codebook = codebook or load_codebook()
    cells = factor_cells(factor_coverage, gaps, municipality_code, codebook)
    factors = list(dict.fromkeys(cells["factor"]))
    stages = list(dict.fromkeys(cells["stage"]))
    matrix = (
        cells.assign(value=cells["interventions"].astype(float).where(cells["applicable"]))
        .pivot(index="factor", columns="stage", values="value")
        .reindex(index=factors, columns=stages)
    )
    vmax = max(float(np.nanmax(matrix.to_numpy())) if matrix.notna().any().any() else 1.0, 1.0)
    cmap = mpl.colormaps["Greens"]
    info = cells.drop_duplicates("factor").set_index("factor")

    with mpl.rc_context(RC):
        fig = Figure(
            figsize=(FIG_WIDTH, 1.9 + 0.42 * len(factors)), dpi=FIG_DPI, layout="constrained"
        )
        ax = fig.subplots()
        heatmap(ax, matrix, cmap, Normalize(vmin=0, vmax=vmax * 1.25))
        for row in cells.itertuples(index=False):
            xi, yi = stages.index(row.stage), factors.index(row.factor)
            _draw_factor_cell(ax, row, xi, yi, vmax, cmap)
        _factor_rows(ax, factors, info)
        _stage_columns(ax, codebook, stages)
        ax.tick_params(axis="y", labelsize=7.5)
        ax.xaxis.tick_top()
        ax.set_xlabel("")
        ax.set_ylabel("")
        _draw_kind_bands(ax, factors, info)
        _suptitle(
            fig,
            f"Pågående insatser per faktor och åldersgrupp i "
            f"{codebook.municipality_name(municipality_code)}",
        )
        _factor_legend(fig)
    return fig


def _pyramid_text(row, age_text: str) -> str:
    """The text beside a targeting's bar: participants and reach, unknown counts, planned."""

    if row.with_participants:
        lines = [f"{row.participants_text} deltagare per år"]
        if not np.isnan(row.reach_per_1000):
            lines.append(f"({row.reach_text} per 1\u00a0000 invånare {age_text} år)")
    elif row.interventions:
        lines = ["antal deltagare okänt"]
    else:
        lines = ["inga pågående insatser"]
    notes = []
    if row.without_participants and row.with_participants:
        notes.append(f"{row.without_participants} utan antal deltagare")
    if row.planned:
        notes.append(_planned_text(row.planned))
    if notes:
        lines.append(", ".join(notes))
    return "\n".join(lines)


def _draw_pyramid_bar(ax, yi: int, row, widest: float) -> None:
    """A targeting's centred bar with its number of interventions, on it or beside it."""
    n = float(row.interventions)
    color = TARGETING_COLORS.get(row.targeting, PALETTE[-1])
    (bar,) = ax.barh(yi, n, left=-n / 2, height=0.8, color=color, linewidth=0)
    bar.set_gid(f"targeting-{row.targeting}")
    count = f"{row.interventions} {'insats' if row.interventions == 1 else 'insatser'}"
    inside = n >= widest * 0.35
    ax.text(
        0 if inside else -n / 2 - widest * 0.03,
        yi,
        count,
        ha="center" if inside else "right",
        va="center",
        fontsize=9,
        fontweight="bold",
        color="white" if inside and reads_white(color) else "#1d1d1d",
        gid="count",
    )


def targeting_pyramid_figure(
    insatser: pd.DataFrame,
    municipality_code: str,
    codebook: Codebook | None = None,
    targeting_coverage: pd.DataFrame | None = None,
) -> Figure:
    """The prevention pyramid: ongoing interventions per targeting, universal at the base.

    From :func:`fouanalys.chapters.insatser.pyramid_frame`: one centred bar per targeting
    (universell at the bottom, indikerad at the top), as wide as the number of ongoing interventions
    (``gid="targeting-<id>"``), the number written on it and, in a column to the right, the
    known participants a year (with reach per 1 000 inhabitants aged 0–25 when
    ``targeting_coverage`` is given), how many interventions give no count and any planned.
    """
    import matplotlib as mpl

    codebook = codebook or load_codebook()
    frame = pyramid_frame(insatser, municipality_code, codebook, targeting_coverage)
    widest = max(float(frame["interventions"].max()), 1.0)
    ages = sorted(codebook.life_stages, key=lambda s: s.age_from)
    age_text = f"{ages[0].age_from}–{ages[-1].age_to}"
    descriptions = {e.id: e.description for e in codebook.targeting}
    column = widest / 2 + widest * 0.08  # where the text column starts

    with mpl.rc_context(RC):
        fig = Figure(figsize=(FIG_WIDTH, 3.1), dpi=FIG_DPI, layout="constrained")
        ax = fig.subplots()
        for yi, row in enumerate(frame.itertuples(index=False)):
            _draw_pyramid_bar(ax, yi, row, widest)
            ax.text(
                column,
                yi,
                _pyramid_text(row, age_text),
                ha="left",
                va="center",
                fontsize=7.5,
                color="#333333",
                linespacing=1.2,
                gid="reach",
            )
        ax.set_yticks(
            range(len(frame)),
            [
                f"{row.targeting_label}\n{(descriptions.get(row.targeting) or '').lower()}"
                for row in frame.itertuples(index=False)
            ],
        )
        ax.set_ylim(-0.55, len(frame) - 0.45)
        ax.set_xlim(-widest / 2 * 1.08, column + widest * 1.3)
        ax.set_xticks([])
        ax.tick_params(axis="y", length=0, labelsize=8)
        for spine in ("top", "right", "bottom", "left"):
            ax.spines[spine].set_visible(False)
        _suptitle(
            fig,
            f"Pågående insatser efter inriktning i {codebook.municipality_name(municipality_code)}",
        )
    return fig


# --- quality questions ----------------------------------------------------------------------

#: Height in inches of a question's row, of the knowledge row and of the column heads.
_QUALITY_ROW, _KNOWLEDGE_ROW = 0.62, 0.42
#: Where in a question's row (0 top, 1 bottom) its shares, bar and blank count sit.
_SHARES_Y, _BAR_TOP, _BAR_HEIGHT, _BLANK_Y = 0.2, 0.36, 0.26, 0.83
#: The cell's horizontal margin, in columns.
_CELL_PAD = 0.05


def _blank_text(n: int) -> str:
    """ "1 ej besvarad", "3 ej besvarade" """
    return f"{n} ej besvarad" if n == 1 else f"{n} ej besvarade"


def _draw_answer_bar(ax, x0: float, width: float, y: float, cell: pd.DataFrame) -> None:
    """One stacked bar of the answers' shares (codebook order, then not answered), outlined."""
    left = x0
    for row in cell.itertuples(index=False):
        if not row.interventions:
            continue
        part = width * row.interventions / row.ongoing
        style = (
            dict(UNKNOWN_STYLE)
            if row.answer == NOT_ANSWERED
            else {"facecolor": QUALITY_ANSWER_COLORS.get(row.answer, PALETTE[-1]), "linewidth": 0}
        )
        patch = cell_rect(ax, left, y, part, _BAR_HEIGHT, zorder=2, **style)
        patch.set_gid(f"answer-{row.answer}")
        left += part
    cell_rect(ax, x0, y, width, _BAR_HEIGHT, facecolor="none", edgecolor="#9aa9b8",
              linewidth=0.6, zorder=3)  # fmt: skip


def _quality_legend(fig: Figure, codebook: Codebook) -> None:
    from matplotlib.patches import Patch

    labels = codebook.labels("quality_answers")
    handles = [Patch(color=QUALITY_ANSWER_COLORS.get(a, PALETTE[-1]), label=labels[a])
               for a in labels]  # fmt: skip
    handles.append(
        Patch(**{**UNKNOWN_STYLE, "linewidth": 0.6}, label=QUALITY_CODE_LABELS[NOT_ANSWERED])
    )
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8)


def quality_figure(
    quality_profile: pd.DataFrame, municipality_code: str, codebook: Codebook | None = None
) -> Figure:
    """The answers to Data i Dialog's quality questions per prevention level, as a grid.

    One column per level (codebook order, then all levels, set apart by a line), headed by its
    name and number of ongoing interventions; the first row gives how many of them rest on
    evidence or knowledge (:func:`fouanalys.chapters.insatser.quality_levels`), then one row
    per question (codebook order) with the shares answering "ja" and "delvis" written above a
    bar of all the answers as shares of the level's ongoing interventions
    (``gid="answer-<id>"``; not answered hatched as unknown) and, under it, how many did not
    answer. A level without ongoing interventions says so.
    """
    import matplotlib as mpl

    codebook = codebook or load_codebook()
    frame = quality_frame(quality_profile, municipality_code, codebook)
    levels = quality_levels(quality_profile, municipality_code, codebook)
    questions = codebook.labels("quality_questions")
    n_levels = len(levels)
    # rows in data units: the knowledge row is shorter, so y is scaled per row
    heights = [_KNOWLEDGE_ROW / _QUALITY_ROW] + [1.0] * len(questions)
    tops = np.concatenate([[0.0], np.cumsum(heights)])
    height = 1.35 + _QUALITY_ROW * float(tops[-1])

    with mpl.rc_context(RC):
        fig = Figure(figsize=(FIG_WIDTH, height), dpi=FIG_DPI, layout="constrained")
        ax = fig.subplots()
        for j, level in enumerate(levels.itertuples(index=False)):
            x0, width = j + _CELL_PAD, 1 - 2 * _CELL_PAD
            ax.text(x0, (tops[0] + tops[1]) / 2, level.well_founded_text, ha="left",
                    va="center", fontsize=7.5, color="#1d1d1d", gid="well-founded")  # fmt: skip
            if not level.ongoing:
                continue
            own = frame.loc[frame["level"] == level.level]
            for i, question in enumerate(questions, start=1):
                cell = own.loc[own["question"] == question]
                shares = cell.set_index("answer")["share"]
                top = tops[i]
                ax.text(x0, top + _SHARES_Y, answer_shares_text(shares.get("ja"),
                        shares.get("delvis")), ha="left", va="center", fontsize=7.5,
                        color="#1d1d1d", gid="shares")  # fmt: skip
                _draw_answer_bar(ax, x0, width, top + _BAR_TOP, cell)
                blank = int(cell.loc[cell["answer"] == NOT_ANSWERED, "interventions"].sum())
                if blank:
                    note_text(ax, x0, top + _BLANK_Y, _blank_text(blank), 7, italic=False,
                              ha="left", gid="blank")  # fmt: skip
        if n_levels > 1:
            ax.axvline(n_levels - 1, color="#9aa9b8", lw=0.8)
        for top in tops[1:-1]:
            ax.axhline(top, color="#e4e4e4", lw=0.6, zorder=0)
        ax.set_xlim(0, n_levels)
        ax.set_ylim(tops[-1], 0)
        ax.xaxis.tick_top()
        ax.set_xticks(
            [j + 0.5 for j in range(n_levels)],
            [
                f"{row.level_label}\n{plural(row.ongoing, 'pågående insats', 'pågående insatser')}"
                for row in levels.itertuples()
            ],
            fontsize=8,
        )
        ax.set_yticks(
            (tops[:-1] + tops[1:]) / 2,
            [wrap_label("Evidens- eller kunskapsbaserade", 18)]
            + [wrap_label(label, 18) for label in questions.values()],
            fontsize=8,
        )
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        _quality_legend(fig, codebook)
        _suptitle(
            fig,
            f"Förutsättningar och uppföljning i {codebook.municipality_name(municipality_code)}",
        )
    return fig
