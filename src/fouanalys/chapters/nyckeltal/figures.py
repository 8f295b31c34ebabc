"""Figures of the Kolada key figures (chapters 01 and 05): the municipality's trend against
the county and the country, and every municipality's latest value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from fouanalys.chapters.nyckeltal.display import role_values, short_status
from fouanalys.keyfigures import (
    COUNT_UNITS,
    ROLE_COUNTRY,
    ROLE_COUNTY,
    ROLE_MEMBER,
    ROLE_MUNICIPALITY,
)
from fouanalys.present.figures import note_text
from fouanalys.present.style import FIG_DPI, FIG_WIDTH, RC, style_axes
from fouanalys.present.text import format_number, wrap_label

_MUNICIPALITY_COLOR = "#0173b2"
_COUNTY_COLOR = "#333333"
_COUNTRY_COLOR = "#8c8c8c"
_OTHERS_COLOR = "#9fb3c8"
_STATUS_COLOR = "#a4000f"
#: Tick steps of the value axes (no 2.5 steps, whose ticks would need another decimal).
TICK_STEPS = [1, 2, 5, 10]


def _value_axis(axis, low: float, high: float, nbins: int = 5) -> None:
    """Ticks at round steps between ``low`` and ``high``, in Swedish print with as many
    decimals as the step needs ("5 000", "7", "2,5")."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

    ticks = MaxNLocator(nbins=nbins, steps=TICK_STEPS).tick_values(low, high)
    ticks = ticks[(ticks >= low - 1e-9) & (ticks <= high + 1e-9)]
    decimals = next((d for d in range(4) if np.allclose(ticks, np.round(ticks, d), atol=1e-9)), 3)
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_major_formatter(FuncFormatter(lambda v, _p: format_number(v, decimals)))


def _year_axis(ax, years: list[int]) -> None:
    from matplotlib.ticker import FixedLocator, FuncFormatter

    step = 1 if len(years) <= 5 else 2 if len(years) <= 10 else 4
    ticks = [y for y in years if (years[-1] - y) % step == 0]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: str(round(v))))
    ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)


#: Line styles of the areas in the trend figure.
_TREND_STYLES = {
    ROLE_COUNTRY: {
        "color": _COUNTRY_COLOR,
        "lw": 1.1,
        "linestyle": ":",
        "marker": "o",
        "markersize": 2.2,
        "zorder": 2,
    },
    ROLE_COUNTY: {
        "color": _COUNTY_COLOR,
        "lw": 1.1,
        "linestyle": "--",
        "marker": "s",
        "markersize": 2.2,
        "zorder": 3,
    },
    ROLE_MUNICIPALITY: {
        "color": _MUNICIPALITY_COLOR,
        "lw": 1.8,
        "linestyle": "-",
        "marker": "o",
        "markersize": 3.6,
        "zorder": 4,
    },
}


def _panel_grid(n: int) -> tuple[int, int]:
    """(columns, rows) of the small multiples for ``n`` KPIs: three columns when more than 4."""
    ncols = 3 if n > 4 else max(n, 1)
    return ncols, int(np.ceil(max(n, 1) / ncols))


def _padded_range(values: pd.Series) -> tuple[float, float, float]:
    """(lowest, highest, span) of ``values``; span never 0, (0, 1) when there are none."""
    lo, hi = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
    return lo, hi, hi - lo if hi > lo else max(abs(hi) * 0.1, 1.0)


def _mark_status_years(ax, gaps: pd.DataFrame) -> None:
    """An open ring at the foot of the panel and the short status above it, for every year
    whose municipality value is missing or protected."""
    from matplotlib.transforms import blended_transform_factory

    foot = blended_transform_factory(ax.transData, ax.transAxes)
    ax.plot(
        gaps["year"].astype(int).to_numpy(),
        np.full(len(gaps), 0.06),
        "o",
        transform=foot,
        markersize=5,
        markerfacecolor="white",
        markeredgecolor=_STATUS_COLOR,
        markeredgewidth=1.1,
        clip_on=False,
        zorder=5,
        gid="status-mark",
    )
    for year, text in zip(gaps["year"], gaps["status_text"], strict=True):
        ax.text(
            int(year),
            0.13,
            short_status(str(text)),
            transform=foot,
            ha="center",
            va="bottom",
            fontsize=6,
            color=_STATUS_COLOR,
            rotation=90,
            gid="status-text",
        )


def _draw_trend_panel(ax, part: pd.DataFrame, names: dict) -> tuple[bool, bool]:
    """One KPI's panel of the trend figure. Returns (count KPI, status marks drawn)."""

    first = part.iloc[0]
    years = sorted(int(y) for y in part["year"].unique())
    count = first["unit"] in COUNT_UNITS
    roles = [ROLE_MUNICIPALITY] if count else [ROLE_COUNTRY, ROLE_COUNTY, ROLE_MUNICIPALITY]
    shown = []
    for role in roles:
        series = role_values(part, role).reindex(years)
        if series.notna().any():
            ax.plot(years, series.to_numpy(dtype=float), gid=f"line-{role}", **_TREND_STYLES[role])
            shown.append(series.dropna())
    lo, hi, span = _padded_range(pd.concat(shown) if shown else pd.Series(dtype=float))
    own = part.loc[part["role"] == ROLE_MUNICIPALITY]
    gaps = own.loc[own["value"].isna()]
    has_own = own["value"].notna().any()
    bottom = lo - span * (0.55 if has_own and len(gaps) else 0.15)
    ax.set_ylim(max(bottom, 0.0) if lo >= 0 else bottom, hi + span * 0.15)
    marks = False
    if not has_own:
        note_text(
            ax,
            0.5,
            0.5,
            f"Inga värden för\n{names.get(ROLE_MUNICIPALITY, 'kommunen')}",
            7.5,
            transform=ax.transAxes,
            ha="center",
            gid="no-data",
        )
    elif len(gaps):
        marks = True
        _mark_status_years(ax, gaps)
    ax.set_title(wrap_label(first["label"], 22), fontsize=8, loc="left")
    ax.set_ylabel(wrap_label(first["unit_label"], 18), fontsize=7, color="#444444")
    _value_axis(ax.yaxis, *ax.get_ylim())
    _year_axis(ax, years)
    style_axes(ax)
    ax.tick_params(labelsize=7)
    return count, marks


def _trend_legend(fig: Figure, names: dict, any_marks: bool, any_counts: bool) -> None:
    """The areas' lines, the status ring when drawn and a note on counts, under the plot."""
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], label=names.get(role, role), **_TREND_STYLES[role])
        for role in (ROLE_MUNICIPALITY, ROLE_COUNTY, ROLE_COUNTRY)
        if role in names
    ]
    if any_marks:
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                markersize=5,
                markerfacecolor="white",
                markeredgecolor=_STATUS_COLOR,
                markeredgewidth=1.1,
                label="värdet för kommunen saknas eller är skyddat",
            )
        )
    notes = []
    if any_counts:
        notes.append("Antal beror på befolkningens storlek och visas bara för kommunen.")
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=min(len(handles), 4),
        fontsize=7.5,
        title=" ".join(notes) or None,
        title_fontsize=7,
    )


def kpi_trend_figure(trend: pd.DataFrame, title: str | None = None) -> Figure:
    """Small multiples from :func:`fouanalys.keyfigures.kpi_trends`: one panel per KPI, years on x.

    The municipality is a strong blue line with markers (``gid="line-kommunen"``), the county a
    dark dashed line (``"line-länet"``) and the country a lighter dotted one (``"line-riket"``);
    a count KPI shows the municipality only. Lines break at a missing year (NaN), never
    interpolated or drawn as 0. A year where the municipality's value is missing or protected
    gets an open ring at the foot of the panel (``gid="status-mark"``) with the short status
    above it (``"status-text"``: "skyddat", "saknas"); a KPI with no value at all for the
    municipality says so in its panel (``"no-data"``). Panels are titled with the short label,
    the unit is on the y axis, and each panel has its own scale.
    """
    import matplotlib as mpl

    kpis = list(dict.fromkeys(trend["kpi"]))
    ncols, nrows = _panel_grid(len(kpis))
    names = dict(zip(trend["role"], trend["area_name"], strict=False))
    any_marks = False
    any_counts = False

    with mpl.rc_context(RC):
        fig = Figure(figsize=(FIG_WIDTH, 1.1 + 2.0 * nrows), dpi=FIG_DPI, layout="constrained")
        axes = list(np.atleast_1d(fig.subplots(nrows, ncols)).ravel())
        for ax, kpi in zip(axes, kpis, strict=False):
            count, marks = _draw_trend_panel(ax, trend.loc[trend["kpi"] == kpi], names)
            any_counts |= count
            any_marks |= marks
        for ax in axes[len(kpis) :]:
            ax.set_visible(False)
        _trend_legend(fig, names, any_marks, any_counts)
        if title is None and names.get(ROLE_MUNICIPALITY):
            title = f"Nyckeltal för {names[ROLE_MUNICIPALITY]}, länet och riket"
        if title:
            fig.suptitle(title, fontweight="bold", fontsize=10.5)
    return fig


#: Lines of the county and the country in the regional figure.
_WIDER_STYLES = {
    ROLE_COUNTY: {"color": _COUNTY_COLOR, "lw": 1.1, "linestyle": "--", "gid": "county"},
    ROLE_COUNTRY: {"color": _COUNTRY_COLOR, "lw": 1.2, "linestyle": ":", "gid": "country"},
}


def _draw_member(ax, r, y: int, highlight: str | None) -> None:
    """One municipality in a regional panel: its dot, or its short status when no value."""
    if pd.isna(r.value):
        ax.annotate(
            short_status(r.status_text),
            (0, y),
            xytext=(2, 0),
            xycoords=("axes fraction", "data"),
            textcoords="offset points",
            va="center",
            ha="left",
            fontsize=6.5,
            color=_STATUS_COLOR,
            style="italic",
            gid="status-text",
        )
        return
    strong = highlight is None or r.area == highlight
    ax.plot(
        [float(r.value)],
        [y],
        "o",
        gid="dot",
        zorder=4,
        color=_MUNICIPALITY_COLOR if strong else _OTHERS_COLOR,
        markersize=5.5 if highlight is not None and strong else 4.5,
    )


def _draw_regional_panel(ax, part: pd.DataFrame, y: dict, highlight: str | None) -> bool:
    """One KPI's panel of the regional figure. Returns whether the KPI is a count."""

    first = part.iloc[0]
    count = first["unit"] in COUNT_UNITS
    own = part.loc[part["role"] == ROLE_MEMBER]
    refs = part.loc[part["role"].isin(_WIDER_STYLES) & part["value"].notna()]
    if count:
        refs = refs.iloc[0:0]
    values = pd.concat([own["value"], refs["value"]]).dropna().astype(float)
    lo, hi, span = _padded_range(values)
    left = lo - span * 0.12
    ax.set_xlim(max(left, 0.0) if lo >= 0 else left, hi + span * 0.12)
    for r in refs.itertuples(index=False):
        ax.axvline(float(r.value), **_WIDER_STYLES[r.role])
    for r in own.itertuples(index=False):
        _draw_member(ax, r, y[r.area], highlight)
    ax.set_ylim(len(y) - 0.5, -0.5)
    ax.set_title(
        wrap_label(f"{first['label']} ({int(first['year'])})", 27), fontsize=7.5, loc="left"
    )
    ax.set_xlabel(first["unit_label"], fontsize=6.5, color="#444444")
    _value_axis(ax.xaxis, *ax.get_xlim(), nbins=4)
    style_axes(ax, grid_axis="y")
    ax.tick_params(axis="x", labelsize=6.5)
    ax.tick_params(axis="y", length=0, labelsize=7)
    return count


def _regional_legend(
    fig: Figure, names: dict, highlight: str | None, wider_names: dict, any_counts: bool
) -> None:
    """The municipalities' dots, the county and country lines and notes, under the plot."""
    from matplotlib.lines import Line2D

    handles = [
        Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markersize=4.5,
            color=_MUNICIPALITY_COLOR,
            label=names.get(highlight, "kommunen") if highlight else "kommunerna",
        )
    ]
    if highlight:
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                markersize=4.5,
                color=_OTHERS_COLOR,
                label="övriga kommuner",
            )
        )
    for role, style in _WIDER_STYLES.items():
        if role in wider_names:
            kw = {k: v for k, v in style.items() if k != "gid"}
            handles.append(Line2D([], [], label=wider_names[role], **kw))
    notes = ["Skyddat eller saknas: inget värde publicerat."]
    if any_counts:
        notes.append("Antal jämförs inte med länet och riket.")
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=len(handles),
        fontsize=7.5,
        title=" ".join(notes),
        title_fontsize=7,
    )


def regional_figure(regional: pd.DataFrame, highlight: str | None = None) -> Figure:
    """Latest values of every municipality per KPI, from :func:`regional_frame`.

    One panel per KPI (three columns, the municipalities top to bottom on a shared axis): a dot
    per municipality (``gid="dot"``; the ``highlight`` municipality in strong blue and bold,
    the others lighter when one is highlighted), the county as a dashed vertical line
    (``gid="county"``) and the country as a dotted one (``"country"``). A municipality whose
    value is missing or protected shows its short status instead of a dot
    (``"status-text"``). A count KPI has no county and country lines (counts depend on the size
    of the area). Each panel has its own scale; its title gives the label and the year.
    """
    import matplotlib as mpl

    kpis = list(dict.fromkeys(regional["kpi"]))
    members = regional.loc[regional["role"] == ROLE_MEMBER]
    areas = list(dict.fromkeys(members["area"]))
    names = dict(zip(members["area"], members["area_name"], strict=False))
    y = {a: i for i, a in enumerate(areas)}
    ncols, nrows = _panel_grid(len(kpis))
    wider_names = {
        role: regional.loc[regional["role"] == role, "area_name"].iloc[0]
        for role in _WIDER_STYLES
        if (regional["role"] == role).any()
    }
    any_counts = False

    with mpl.rc_context(RC):
        fig = Figure(
            figsize=(FIG_WIDTH, 1.0 + nrows * (0.6 + 0.16 * max(len(areas), 1))),
            dpi=FIG_DPI,
            layout="constrained",
        )
        axes = list(np.atleast_1d(fig.subplots(nrows, ncols, sharey=True)).ravel())
        for ax, kpi in zip(axes, kpis, strict=False):
            any_counts |= _draw_regional_panel(
                ax, regional.loc[regional["kpi"] == kpi], y, highlight
            )
        if axes:
            axes[0].set_yticks(range(len(areas)), [names[a] for a in areas])
            for ax in axes[::ncols]:
                ax.tick_params(axis="y", labelleft=True)
                for tick, area in zip(ax.get_yticklabels(), areas, strict=False):
                    if area == highlight:
                        tick.set_fontweight("bold")
        for ax in axes[len(kpis) :]:
            ax.set_visible(False)
        _regional_legend(fig, names, highlight, wider_names, any_counts)
        fig.suptitle("Nyckeltal kommun för kommun, senaste år", fontweight="bold", fontsize=10.5)
    return fig
