"""Chapter 02's figures: the CTC risk profile, trends over the survey years, and risk ratios
for self-reported offending.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

if TYPE_CHECKING:
    from fouanalys.codebook import Codebook
from fouanalys.chapters.riskfaktorer.display import (
    LEVEL_KINDS,
    PROFILE_KINDS,
    association_frame,
    trend_frame,
)
from fouanalys.codebook import load_codebook
from fouanalys.present.figures import hbar_plot, move_legend_below, note_text
from fouanalys.present.labels import (
    CI_LABEL,
    KIND_LABELS,
    LEVEL_LABELS,
    REST_OF_REGION,
    grade_label,
    sex_label,
)
from fouanalys.present.style import (
    FIG_DPI,
    FIG_WIDTH,
    PALETTE,
    RC,
    REGION_COLOR,
    new_figure,
    percent_limit,
    percent_tick,
    reads_white,
    sex_palette,
    style_axes,
)
from fouanalys.present.text import DASH, format_share, wrap_label


def _profile_data(profile: pd.DataFrame) -> pd.DataFrame:
    """The profile with its plotting columns: wrapped ``ylabel``, ``Kön``, ``pct``, ``shown``."""

    share = pd.to_numeric(profile["share"], errors="coerce")
    return profile.assign(
        ylabel=[wrap_label(t, 34) for t in profile["label"]],
        Kön=profile["sex_label"],
        pct=share.astype(float).fillna(0) * 100,
        shown=share.notna() & ~profile["suppressed"].astype(bool),
    )


def _whiskers(ax, centres: np.ndarray, rows: pd.DataFrame, bar_height: float) -> None:
    """The 95 % interval whiskers of one sex's bars, with short caps a third of the bar high."""
    shown = rows["shown"].fillna(False).to_numpy(dtype=bool)
    lo = rows["ci_low"].astype(float).to_numpy() * 100
    hi = rows["ci_high"].astype(float).to_numpy() * 100
    whisk = shown & ~np.isnan(lo) & ~np.isnan(hi)
    if not whisk.any():
        return
    ax.hlines(centres[whisk], lo[whisk], hi[whisk], color="#333333", lw=0.8, gid="ci")
    for edge in (lo, hi):
        ax.vlines(
            edge[whisk],
            centres[whisk] - bar_height / 6,
            centres[whisk] + bar_height / 6,
            color="#333333",
            lw=0.8,
            gid="ci-cap",
        )


def _reference_marks(ax, centres: np.ndarray, rows: pd.DataFrame, bar_height: float) -> None:
    """A black line across each bar at the rest of the region's share."""
    ref = rows["reference_share"].astype(float).to_numpy() * 100
    has_ref = ~np.isnan(ref)
    if has_ref.any():
        ax.vlines(
            ref[has_ref],
            centres[has_ref] - bar_height * 0.48,
            centres[has_ref] + bar_height * 0.48,
            color="black",
            lw=2.2,
            zorder=3,
            gid="reference",
        )


def _profile_marks(ax, part: pd.DataFrame, order: list[str], sexes: list[str]) -> None:
    """Whiskers, reference lines and a "–" for hidden shares over each sex's bars, which are
    tagged ``gid="bar-<sex>"``."""

    bar_height = 0.8 / max(len(sexes), 1)
    for container, sex in zip(ax.containers, sexes, strict=False):
        for bar in container:
            bar.set_gid(f"bar-{sex}")
        rows = part.loc[part["sex"] == sex].set_index("ylabel").reindex(order)
        centres = np.array([b.get_y() + b.get_height() / 2 for b in container])
        _whiskers(ax, centres, rows, bar_height)
        _reference_marks(ax, centres, rows, bar_height)
        shown = rows["shown"].fillna(False).to_numpy(dtype=bool)
        for yc in centres[~shown]:
            ax.annotate(
                DASH, (0, yc), xytext=(3, 0), textcoords="offset points", va="center", fontsize=9
            )


def _domain_ticks(ax, part: pd.DataFrame, order: list[str]) -> None:
    """The domain as a small grey line above each factor's label (minor tick labels)."""
    domains = part.drop_duplicates("ylabel").set_index("ylabel")["domain_label"]
    ax.set_yticks(
        [yi - 0.36 for yi in range(len(order))],
        [str(domains[label]).upper() for label in order],
        minor=True,
    )
    ax.set_yticks([yi + 0.1 for yi in range(len(order))], ax.get_yticklabels(), minor=False)
    ax.tick_params(axis="y", which="minor", length=0, labelsize=6.5, labelcolor="#777777")


def _profile_panel(ax, part: pd.DataFrame, sexes: list[str], hue_order, palette) -> None:
    """One kind's panel of the profile: bars per factor and sex with their marks."""
    order = list(dict.fromkeys(part["ylabel"]))
    hbar_plot(
        ax,
        part,
        "pct",
        "ylabel",
        "Kön",
        order,
        hue_order,
        palette,
        errorbar=None,
        width=0.8,
        saturation=1,
        legend=False,
    )
    _profile_marks(ax, part, order, sexes)
    _domain_ticks(ax, part, order)
    if not part["shown"].any():
        note_text(
            ax,
            0.5,
            0.5,
            "Inga värden kan visas: för få svarande",
            8.5,
            italic=False,
            transform=ax.transAxes,
            ha="center",
            gid="all-suppressed",
        )


def _percent_x_axis(ax, limit: float) -> None:
    """The profile panel's x axis: 0 to ``limit`` in percent, x grid, no y ticks or labels."""
    ax.set_ylabel("")
    ax.set_xlabel("")
    ax.set_xlim(0, limit)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(percent_tick))
    style_axes(ax, grid_axis="x")
    ax.tick_params(axis="y", length=0)


def _profile_handles(palette: dict[str, str], hue_order: list[str]) -> list:
    """Legend entries: one patch per sex, the rest of the region's line, the interval."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Patch(color=palette[h], label=h) for h in hue_order]
    handles.append(
        Line2D(
            [],
            [],
            marker="|",
            color="black",
            linestyle="none",
            markersize=10,
            markeredgewidth=2.2,
            label=REST_OF_REGION,
        )
    )
    handles.append(
        Line2D(
            [],
            [],
            marker="|",
            color="#333333",
            lw=0.8,
            markersize=4,
            markeredgewidth=0.8,
            label=CI_LABEL,
        )
    )
    return handles


def _profile_title(profile: pd.DataFrame) -> str | None:
    """The default title: "Riskprofil <kommun> <år>: <årskurs>", or None for an empty profile."""
    if profile.empty:
        return None
    first = profile.iloc[0]
    return (
        f"Riskprofil {first['municipality_name']} {int(first['year'])}: "
        f"{str(first['grade_label']).lower()}"
    )


def ctc_profile_figure(profile: pd.DataFrame, title: str | None = None) -> Figure:
    """CTC-style profile from ``riskfaktorer.profile_frame``: share above the cut-point.

    One panel for the risk factors and one for the protective factors, factors in the frame's
    order (which groups them by domain), each labelled with its domain in small grey capitals
    above its name. Per factor one bar per sex in the frame's order (seaborn; all students in
    a neutral grey, then one colour per sex; bars ``gid="bar-<sex>"``), a 95 % interval
    whisker (line collections ``gid="ci"``, caps ``"ci-cap"``) and a black line across the
    bar at the rest of the region's share for the same group (``gid="reference"``, the
    priorities table's ``reference_share`` as the tables print it). A suppressed or missing
    share draws no bar (a zero-width one), no whisker and a "–" at its base.
    """
    import matplotlib as mpl

    kinds = [k for k in PROFILE_KINDS if k in set(profile["kind"])]
    sexes = list(dict.fromkeys(profile["sex"]))
    sex_labels = dict(zip(profile["sex"], profile["sex_label"], strict=False))
    hue_order = [sex_labels[s] for s in sexes]
    palette = {sex_labels[s]: c for s, c in sex_palette(sexes).items()}
    data = _profile_data(profile)
    n_factors = [data.loc[data["kind"] == k, "factor"].nunique() for k in kinds] or [1]
    bar_rows = sum(n_factors) * max(len(sexes), 1)
    height = 1.3 + 0.22 * bar_rows + 0.35 * len(kinds)
    limit = percent_limit(profile["ci_high"], profile["share"], profile["reference_ci_high"])

    with mpl.rc_context(RC):
        fig = Figure(figsize=(FIG_WIDTH, height), dpi=FIG_DPI, layout="constrained")
        axes = fig.subplots(
            max(len(kinds), 1), 1, sharex=True, gridspec_kw={"height_ratios": n_factors}
        )
        axes = list(np.atleast_1d(axes))
        for ax, kind in zip(axes, kinds, strict=False):
            _profile_panel(ax, data.loc[data["kind"] == kind], sexes, hue_order, palette)
            ax.set_title(KIND_LABELS[kind], loc="left")
            _percent_x_axis(ax, limit)
        axes[-1].set_xlabel("Andel elever över gränsvärdet")
        handles = _profile_handles(palette, hue_order)
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
        title = _profile_title(profile) if title is None else title
        if title:
            fig.suptitle(title, fontweight="bold", fontsize=10.5)
    return fig


def _trend_area(ax, rows: pd.DataFrame, area: str, color: str) -> None:
    """One area's line over the survey years with its 95 % interval as a band."""
    import seaborn as sns

    own = area == "municipality"
    ax.fill_between(
        rows["year"].to_numpy(dtype=float),
        rows["lo"].to_numpy(dtype=float),
        rows["hi"].to_numpy(dtype=float),
        color=color,
        alpha=0.18 if own else 0.12,
        linewidth=0,
        gid=f"band-{area}",
    )
    sns.lineplot(
        data=rows.dropna(subset=["pct"]),
        x="year",
        y="pct",
        color=color,
        marker="o" if own else None,
        markersize=4,
        linestyle="-" if own else "--",
        linewidth=1.4 if own else 1.0,
        errorbar=None,
        ax=ax,
        gid=f"line-{area}",
    )


def _trend_panel(ax, part: pd.DataFrame, years: list, colors: dict[str, str]) -> None:
    """One factor's panel: both areas' lines, a "–" over each suppressed year of the
    municipality, its axes. A factor without a comparison (the outcome) draws the
    municipality's line alone, and its title says "(bara <kommun>)"."""

    part = part.assign(
        pct=lambda d: d["share"] * 100,
        lo=lambda d: d["ci_low"] * 100,
        hi=lambda d: d["ci_high"] * 100,
    )
    for area in ("rest", "municipality"):
        rows = part.loc[part["area"] == area].sort_values("year")
        if not rows.empty:
            _trend_area(ax, rows, area, colors[area])
    hidden = part.loc[(part["area"] == "municipality") & part["pct"].isna(), "year"]
    for year in hidden:
        ax.annotate(
            DASH,
            (year, 0),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=9,
            color=colors["municipality"],
        )
    ax.set_ylim(0, percent_limit(part["ci_high"], part["share"]))
    title = wrap_label(part["label"].iloc[0], 28)
    if not (part["area"] == "rest").any():
        # on a line of its own: a long municipality name ran off the panel's edge
        own = part.loc[part["area"] == "municipality", "area_label"].iloc[0]
        title = f"{title}\n(bara {own})"
    ax.set_title(title, fontsize=8.5, loc="left")
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xticks(years, [str(y) for y in years])
    ax.yaxis.set_major_formatter(FuncFormatter(percent_tick))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
    style_axes(ax)


def _trend_handles(colors: dict[str, str], area_labels: dict[str, str]) -> list:
    """Legend entries: the municipality's line, the rest of the region's dashed line, the
    interval band."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    return [
        Line2D(
            [],
            [],
            color=colors["municipality"],
            marker="o",
            markersize=4,
            lw=1.4,
            label=area_labels.get("municipality", "Kommunen"),
        ),
        Line2D(
            [],
            [],
            color=colors["rest"],
            linestyle="--",
            lw=1.0,
            label=area_labels.get("rest", REST_OF_REGION),
        ),
        Patch(color=colors["municipality"], alpha=0.18, label=CI_LABEL),
    ]


def _trend_title(codebook: Codebook, grade: str | None, sex: str | None) -> str:
    """The trend figure's title, naming the group (all students when not given)."""

    all_label = codebook.survey.all_label
    grade = all_label if grade is None else grade
    sex = all_label if sex is None else sex
    who = sex_label(sex, codebook).lower()
    where = grade_label(grade, codebook).lower()
    return f"Andel över gränsvärdet per enkätår, {who}, {where}"


def trend_figure(
    prevalence: pd.DataFrame,
    priorities: pd.DataFrame,
    municipality_code: str,
    codebook: Codebook | None = None,
    grade: str | None = None,
    sex: str | None = None,
    factors: Sequence[str] | None = None,
) -> Figure:
    """Share above the cut-point per survey year, one small panel per factor (all by default).

    ``grade`` and ``sex`` default to all students. Built from ``riskfaktorer.trend_frame``: the
    municipality (coloured line with markers, ``gid="line-municipality"``) and the rest of the
    region (grey dashed line, ``"line-rest"``: the priorities table's ``reference_share``, the
    comparison the chapter's tables print), each with its 95 % interval as a band
    (``"band-…"``). The outcome has no such comparison: its panel draws the municipality alone
    and its title says so ("Självrapporterad brottslighet (bara Järfälla)"). Suppressed years
    leave a gap in the municipality's line and show "–" above the axis. Panels have their own
    y scale from 0, so read the level from the axis of each.
    """
    import matplotlib as mpl

    codebook = codebook or load_codebook()
    trend = trend_frame(
        prevalence, priorities, municipality_code, codebook, grade=grade, sex=sex, factors=factors
    )
    factor_ids = list(dict.fromkeys(trend["factor"]))
    years = sorted(trend["year"].unique())
    ncols = 3 if len(factor_ids) > 4 else max(len(factor_ids), 1)
    nrows = int(np.ceil(max(len(factor_ids), 1) / ncols))
    colors = {"municipality": PALETTE[0], "rest": REGION_COLOR}
    area_labels = dict(zip(trend["area"], trend["area_label"], strict=False))

    with mpl.rc_context(RC):
        # rows of 1.6 in: nine panels print 140 mm high and fit under a table's end and a
        # section's introduction on the same page (at 1.85 in they left a page 64 % blank)
        fig = Figure(figsize=(FIG_WIDTH, 0.9 + 1.6 * nrows), dpi=FIG_DPI, layout="constrained")
        axes = list(np.atleast_1d(fig.subplots(nrows, ncols, sharex=True)).ravel())
        for ax, factor in zip(axes, factor_ids, strict=False):
            _trend_panel(ax, trend.loc[trend["factor"] == factor], years, colors)
        for ax in axes[len(factor_ids) :]:
            ax.set_visible(False)
        fig.legend(handles=_trend_handles(colors, area_labels), loc="outside lower center", ncols=3)
        fig.suptitle(_trend_title(codebook, grade, sex), fontweight="bold", fontsize=10.5)
    return fig


def _ratio_limits(shown: pd.DataFrame) -> tuple[float, float]:
    """The log axis's limits: the shown ratios and intervals with room, 1 always inside."""
    bounds = pd.concat([shown["rr_low"], shown["rr_high"], shown["risk_ratio"]]).dropna()
    bounds = bounds[bounds > 0]
    lo = min(0.8, float(bounds.min()) * 0.85) if len(bounds) else 0.5
    hi = max(1.5, float(bounds.max()) * 1.15) if len(bounds) else 4.0
    return lo, hi


def _ratio_points(ax, frame: pd.DataFrame, finite: pd.Series, colors: dict[str, str]) -> None:
    """Each area's ratios as points with interval lines, and a "–" where a ratio is hidden."""
    import seaborn as sns

    shown = frame.loc[finite]
    area_labels = dict(zip(frame["area"], frame["area_label"], strict=False))
    for area in ("municipality", "region"):
        rows = shown.loc[shown["area"] == area]
        if rows.empty:
            continue
        ax.hlines(
            rows["ypos"], rows["rr_low"], rows["rr_high"], color=colors[area], lw=1.2, gid="ci"
        )
    sns.scatterplot(
        data=shown,
        x="risk_ratio",
        y="ypos",
        hue="Område",
        hue_order=[area_labels[a] for a in ("municipality", "region") if a in area_labels],
        palette={area_labels[a]: colors[a] for a in colors if a in area_labels},
        style="Område",
        markers={area_labels.get("municipality", ""): "o", area_labels.get("region", ""): "s"},
        s=36,
        zorder=3,
        ax=ax,
    )
    for row in frame.loc[~finite].itertuples(index=False):
        ax.annotate(
            DASH,
            (1, row.ypos),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
            color=colors[row.area],
        )


def _log_ratio_axis(ax, lo: float, hi: float) -> None:
    """A log x axis from ``lo`` to ``hi`` with round ratios as ticks, decimal comma."""
    from matplotlib.ticker import FixedLocator, NullLocator

    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ticks = [t for t in (0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8, 12, 16) if lo <= t <= hi]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}".replace(".", ",")))


def association_figure(
    associations: pd.DataFrame,
    municipality_code: str,
    year: int,
    codebook: Codebook | None = None,
    grade: str | None = None,
) -> Figure:
    """Risk ratios for self-reported offending per risk factor, with 95 % intervals (log scale).

    From ``riskfaktorer.association_frame``: per risk factor a point for the municipality and
    one for the whole region (seaborn), each with its interval as a horizontal line
    (``gid="ci"``), and a vertical line at 1 (no difference). A suppressed or missing ratio
    draws no point and a "–".
    """
    import matplotlib as mpl

    codebook = codebook or load_codebook()
    frame = association_frame(associations, municipality_code, year, codebook, grade)
    factors = list(dict.fromkeys(frame["factor"]))
    offsets = {"municipality": -0.15, "region": 0.15}
    colors = {"municipality": PALETTE[0], "region": REGION_COLOR}
    frame = frame.assign(
        ypos=frame["factor"].map({f: i for i, f in enumerate(factors)})
        + frame["area"].map(offsets),
        Område=frame["area_label"],
    )
    finite = frame["risk_ratio"].notna() & ~frame["suppressed"]
    labels = dict(zip(frame["factor"], frame["label"], strict=False))
    lo, hi = _ratio_limits(frame.loc[finite])

    fig = new_figure(height=1.2 + 0.5 * max(len(factors), 1))
    ax = fig.axes[0]
    with mpl.rc_context(RC):
        ax.axvline(1, color="#888888", lw=0.8, linestyle=":")
        _ratio_points(ax, frame, finite, colors)
        _log_ratio_axis(ax, lo, hi)
        ax.set_yticks(range(len(factors)), [wrap_label(labels[f], 34) for f in factors])
        ax.set_ylim(len(factors) - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel("Relativ risk för självrapporterad brottslighet (logaritmisk skala)")
        ax.set_ylabel("")
        where = grade_label(codebook.survey.all_label if grade is None else grade, codebook)
        # a figure title, centred on the figure: an axes title this long ran off its edge
        fig.suptitle(
            f"Riskfaktorer och brottslighet i {codebook.municipality_name(municipality_code)} "
            f"{int(year)}, {where.lower()}",
            fontweight="bold",
            fontsize=10.5,
        )
        move_legend_below(fig, ax, ncols=2)
    style_axes(ax, grid_axis="x")
    return fig


#: Colours of the three levels from the good end to the worrying one (a protective index's
#: levels are drawn the other way round, so that the worrying end is always red).
LEVEL_COLORS = ("#a6d96a", "#fdae61", "#d7191c")


def level_figure(
    levels: pd.DataFrame, codebook: Codebook, municipality_code: str, year: int
) -> Figure:
    """The Data i Dialog levels of every Rasch index as stacked bars, as Data i Dialog draws
    them: one bar per index (risk indices and psychosomatic complaints, then the protective
    ones), all students of the municipality and year, each level's share of the students with a
    value written in its segment when it is wide enough. A protective index is drawn from hög
    to låg skyddsnivå, so that the worrying end is red on every bar. A suppressed index gets an
    empty bar and a dash. Segments carry ``gid="level-<factor>-<level>"``.
    """
    all_label = codebook.survey.all_label
    rows = levels.loc[
        (levels["municipality_code"] == municipality_code)
        & (levels["year"] == int(year))
        & (levels["grade"] == all_label)
        & (levels["sex"] == all_label)
    ]
    order = [
        i for kind in ("risk", "protective") for i in codebook.indices
        if i.scoring == "rasch" and i.kind in LEVEL_KINDS[kind] and i.id in set(rows["factor"])
    ]  # fmt: skip
    fig = new_figure(height=0.34 * len(order) + 1.0)
    ax = fig.axes[0]
    style_axes(ax, grid_axis="x")
    for y, index in enumerate(order):
        cell = rows[rows["factor"] == index.id].set_index("level").sort_index()
        if cell["suppressed"].any():
            ax.text(1, y, DASH, va="center", ha="left", fontsize=8)
            continue
        protective = index.kind == "protective"
        left = 0.0
        for level in (2, 1, 0) if protective else (0, 1, 2):
            share = float(cell.loc[level, "share"])
            worry = 2 - level if protective else level
            color = LEVEL_COLORS[worry]
            ax.barh(y, share * 100, left=left, color=color, height=0.7,
                    gid=f"level-{index.id}-{level}")  # fmt: skip
            if share >= 0.07:
                ink = "white" if reads_white(color) else "#1d1d1d"
                ax.text(left + share * 50, y, format_share(share), ha="center", va="center",
                        fontsize=7.5, color=ink)  # fmt: skip
            left += share * 100
    ax.set_yticks(range(len(order)), [wrap_label(i.label, 34) for i in order])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(FuncFormatter(percent_tick))
    from matplotlib.patches import Patch

    names = [f"{LEVEL_LABELS['risk'][k]} / {LEVEL_LABELS['protective'][2 - k].lower()}"
             for k in range(3)]  # fmt: skip
    handles = [Patch(color=LEVEL_COLORS[k], label=names[k]) for k in range(3)]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False, fontsize=7.5)
    return fig
