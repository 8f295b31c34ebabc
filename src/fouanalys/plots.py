"""Figures and display tables for the report chapters.

Every figure function takes a tidy frame from an analysis module and returns a matplotlib
:class:`~matplotlib.figure.Figure`, so researchers can restyle or save it. Figures are made with
``Figure()`` directly, not through ``pyplot``: nothing is left open in pyplot's registry and a
notebook shows a figure once, when it displays it (``display(fig)``). Labels are Swedish.
Figures are sized for an A4 page (17 cm text width) and rendered at 150 dpi.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

#: Width of a full-width report figure in inches (A4 text width is about 6.7 in).
FIG_WIDTH = 7.0
FIG_DPI = 150

#: Seaborn's "colorblind" palette, so figures read in grey-scale print and for colour-blind eyes.
PALETTE = ["#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#949494"]
SEX_COLORS = {"Pojke": "#0173b2", "Flicka": "#de8f05"}
SEX_LABELS = {"Pojke": "Pojkar", "Flicka": "Flickor"}
STATUS_COLORS = {"Pågående": "#029e73", "Planerad": "#0173b2", "Avslutad": "#949494"}

_RC = {
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


def _thousands(value: float, _pos: object = None) -> str:
    """Swedish number format: thin space between thousands, no sign (for mirrored axes)."""
    return f"{abs(value):,.0f}".replace(",", "\u202f")


def new_figure(height: float = 3.6, width: float = FIG_WIDTH, ncols: int = 1, **kw) -> Figure:
    """A report-sized figure with ``ncols`` axes side by side, styled for print."""
    import matplotlib as mpl

    with mpl.rc_context(_RC):
        fig = Figure(figsize=(width, height), dpi=FIG_DPI, layout="constrained")
        fig.subplots(1, ncols, **kw)
    return fig


def _style_axes(ax, grid_axis: str = "y") -> None:
    import matplotlib as mpl

    with mpl.rc_context(_RC):
        for spine in ("top", "right"):
            ax.spines[spine].set_visible(False)
        ax.grid(axis=grid_axis, color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.tick_params(labelsize=_RC["xtick.labelsize"])


def population_pyramid_figure(df: pd.DataFrame) -> Figure:
    """Population pyramid from ``underlag.population_pyramid``: boys left, girls right, 0–25.

    One horizontal bar per age and sex (52 bars for ages 0–25), drawn with seaborn; the x axis
    shows counts as positive numbers on both sides and age 25 is at the top.
    """
    import matplotlib as mpl
    import seaborn as sns

    ages = list(range(0, 26))
    frame = df.loc[df["kon"].isin(SEX_COLORS)].copy()
    frame["antal"] = frame["antal"].astype("Float64").fillna(0).astype(float)
    frame["signed"] = np.where(frame["kon"] == "Pojke", -frame["antal"], frame["antal"])
    frame["Kön"] = frame["kon"].map(SEX_LABELS)
    frame["alder"] = pd.Categorical(frame["alder"].astype(int), categories=ages[::-1])
    fig = new_figure(height=4.2)
    ax = fig.axes[0]
    with mpl.rc_context(_RC):
        sns.barplot(
            data=frame,
            x="signed",
            y="alder",
            hue="Kön",
            orient="h",
            dodge=False,
            palette={SEX_LABELS[k]: v for k, v in SEX_COLORS.items()},
            width=0.85,
            hue_order=[SEX_LABELS["Pojke"], SEX_LABELS["Flicka"]],
            ax=ax,
            legend=True,
        )
        limit = float(frame["antal"].max() or 1) * 1.08
        ax.set_xlim(-limit, limit)
        ax.axvline(0, color="#444444", linewidth=0.6)
        ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=7, symmetric=True))
        ax.set_yticks(
            [ages[::-1].index(a) for a in range(0, 26, 5)], [str(a) for a in range(0, 26, 5)]
        )
        ax.set_xlabel("Antal invånare")
        ax.set_ylabel("Ålder (år)")
        year = df["ar"].dropna().iloc[0] if "ar" in df and df["ar"].notna().any() else None
        ax.set_title("Befolkning 0–25 år" + (f", {int(year)}" if year is not None else ""))
        _move_legend_below(fig, ax, ncols=2)
    _style_axes(ax, grid_axis="x")
    return fig


def _move_legend_below(fig: Figure, ax, ncols: int) -> None:
    """Replace an axes legend with one figure legend under the plot."""
    handles, labels = ax.get_legend_handles_labels()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=ncols)


def response_counts_figure(df: pd.DataFrame, all_label: str = "Alla") -> Figure:
    """Respondents per survey year, one panel per grade, bars for boys and girls (seaborn).

    Takes ``underlag.response_counts``; the all-sexes rows are left out (they are the sum) and
    suppressed counts are drawn as no bar, marked with "–" at the base.
    """
    import matplotlib as mpl
    import seaborn as sns

    data = df.loc[df["kon"] != all_label].copy()
    grades = list(dict.fromkeys(data["arskurs"]))
    years = sorted(int(y) for y in data["ar"].dropna().unique())
    sexes = [s for s in SEX_COLORS if s in set(data["kon"])]
    data["År"] = data["ar"].astype(int).astype(str)
    data["Kön"] = data["kon"].map(SEX_LABELS)
    data["Antal"] = data["n"].astype("Float64").fillna(0).astype(float)
    fig = new_figure(height=3.2, ncols=max(len(grades), 1), sharey=True)
    hue_order = [SEX_LABELS[s] for s in sexes]
    with mpl.rc_context(_RC):
        for ax, grade in zip(fig.axes, grades, strict=False):
            part = data.loc[data["arskurs"] == grade]
            sns.barplot(
                data=part,
                x="År",
                y="Antal",
                hue="Kön",
                order=[str(y) for y in years],
                hue_order=hue_order,
                palette={SEX_LABELS[k]: v for k, v in SEX_COLORS.items()},
                ax=ax,
                legend=ax is fig.axes[0],
            )
            width = 0.8 / max(len(sexes), 1)
            for i, sex in enumerate(sexes):
                rows = part.loc[part["kon"] == sex].set_index("ar")
                hidden = rows["suppressed"].reindex(years).fillna(False).to_numpy(dtype=bool)
                offset = (i - (len(sexes) - 1) / 2) * width
                for xi in (np.arange(len(years)) + offset)[hidden]:
                    ax.annotate("–", (xi, 0), ha="center", va="bottom", fontsize=9)
            ax.set_title(str(grade))
            ax.set_xlabel("År")
            ax.set_ylabel("")
            ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
            _style_axes(ax)
        if fig.axes:
            fig.axes[0].set_ylabel("Antal svarande")
            _move_legend_below(fig, fig.axes[0], ncols=max(len(sexes), 1))
        fig.suptitle("Svarande per år, årskurs och kön", fontweight="bold", fontsize=10.5)
    return fig


def inventory_by_level_figure(df: pd.DataFrame) -> Figure:
    """Interventions per prevention level and status (``underlag.inventory_by_level``).

    Seaborn bars: one bar per level and status (levels × statuses patches), the level's total
    written at the end of its group.
    """
    import matplotlib as mpl
    import seaborn as sns

    statuses = [c for c in df.columns if c not in ("Nivå", "Totalt")]
    levels = list(df["Nivå"])
    long = df.melt(id_vars="Nivå", value_vars=statuses, var_name="Status", value_name="Antal")
    long["Antal"] = long["Antal"].astype("Float64").fillna(0).astype(float)
    palette = {s: STATUS_COLORS.get(s, PALETTE[i % len(PALETTE)]) for i, s in enumerate(statuses)}
    fig = new_figure(height=2.6)
    ax = fig.axes[0]
    with mpl.rc_context(_RC):
        sns.barplot(
            data=long,
            x="Antal",
            y="Nivå",
            hue="Status",
            order=levels,
            hue_order=statuses,
            palette=palette,
            orient="h",
            ax=ax,
        )
        totals = long.groupby("Nivå", sort=False)["Antal"].sum().reindex(levels)
        peak = float(long["Antal"].max() or 1)
        for yi, total in enumerate(totals.to_numpy()):
            ax.annotate(
                f"totalt {int(total)}",
                (peak * 1.02, yi),
                va="center",
                fontsize=8.5,
                color="#444444",
                annotation_clip=False,
            )
        ax.set_xlim(0, peak * 1.25)
        ax.set_xlabel("Antal insatser")
        ax.set_ylabel("")
        ax.set_title("Insatser per nivå och status")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        _move_legend_below(fig, ax, ncols=len(statuses))
    _style_axes(ax, grid_axis="x")
    return fig


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
            return f"{int(value):,}".replace(",", "\u202f")
        if isinstance(value, float | np.floating):
            return f"{value:,.1f}".replace(",", "\u202f").replace(".", ",")
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


# --- chapter 02, Riskfaktorer ---------------------------------------------------------------

if TYPE_CHECKING:
    from fouanalys.codebook import Codebook

#: Colour of the whole-group (all sexes) bars and lines.
ALL_COLOR = "#029e73"
#: Colour of the comparison (region) in trend and association figures.
REGION_COLOR = "#555555"
#: Legend text for a 95 % confidence interval.
CI_LABEL = "95\u00a0% konfidensintervall"


def _percent(value: float, _pos: object = None) -> str:
    """Axis tick in percent with a no-break space before the sign: "20 %"."""
    return f"{value:.0f}\u00a0%"


def _percent_limit(*columns: pd.Series) -> float:
    """Upper axis limit in percent: the largest value plus room, rounded up to 10, at most 100."""
    values = pd.concat([pd.to_numeric(c, errors="coerce") for c in columns]) * 100
    peak = float(values.max()) if values.notna().any() else 10.0
    return float(min(100.0, max(10.0, np.ceil(peak * 1.08 / 10) * 10)))


def _sex_palette(sexes: Sequence[str]) -> dict[str, str]:
    return {s: SEX_COLORS.get(s, ALL_COLOR) for s in sexes}


def ctc_profile_figure(profile: pd.DataFrame, title: str | None = None) -> Figure:
    """CTC-style profile from ``riskfaktorer.profile_frame``: share above the cut-point.

    One panel for the risk factors and one for the protective factors, factors in the frame's
    order (which groups them by domain), each labelled with its domain in small grey capitals
    above its name. Per factor one bar per sex (seaborn, one colour per sex), a 95 % interval
    whisker (line collections ``gid="ci"``, caps ``"ci-cap"``) and a black line across the
    bar at the rest of the region's share (``gid="reference"``). A suppressed or missing share
    draws no bar (a zero-width one), no whisker and a "–" at its base.
    """
    import matplotlib as mpl
    import seaborn as sns
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from fouanalys.riskfaktorer import DASH, KIND_LABELS, PROFILE_KINDS, REST_OF_REGION, wrap_label

    kinds = [k for k in PROFILE_KINDS if k in set(profile["kind"])]
    sexes = list(dict.fromkeys(profile["sex"]))
    sex_labels = dict(zip(profile["sex"], profile["sex_label"], strict=False))
    hue_order = [sex_labels[s] for s in sexes]
    palette = {sex_labels[s]: c for s, c in _sex_palette(sexes).items()}
    data = profile.assign(
        ylabel=[wrap_label(t, 34) for t in profile["label"]],
        Kön=profile["sex_label"],
        pct=pd.to_numeric(profile["share"], errors="coerce").astype(float).fillna(0) * 100,
        shown=pd.to_numeric(profile["share"], errors="coerce").notna()
        & ~profile["suppressed"].astype(bool),
    )
    n_factors = [data.loc[data["kind"] == k, "factor"].nunique() for k in kinds] or [1]
    bar_rows = sum(n_factors) * max(len(sexes), 1)
    height = 1.3 + 0.22 * bar_rows + 0.35 * len(kinds)
    limit = _percent_limit(profile["ci_high"], profile["share"], profile["reference_ci_high"])

    with mpl.rc_context(_RC):
        fig = Figure(figsize=(FIG_WIDTH, height), dpi=FIG_DPI, layout="constrained")
        axes = fig.subplots(
            max(len(kinds), 1), 1, sharex=True, gridspec_kw={"height_ratios": n_factors}
        )
        axes = list(np.atleast_1d(axes))
        for ax, kind in zip(axes, kinds, strict=False):
            part = data.loc[data["kind"] == kind]
            order = list(dict.fromkeys(part["ylabel"]))
            sns.barplot(
                data=part,
                x="pct",
                y="ylabel",
                hue="Kön",
                order=order,
                hue_order=hue_order,
                palette=palette,
                orient="h",
                errorbar=None,
                width=0.8,
                saturation=1,
                legend=False,
                ax=ax,
            )
            bar_height = 0.8 / max(len(sexes), 1)
            for container, sex in zip(ax.containers, sexes, strict=False):
                rows = part.loc[part["sex"] == sex].set_index("ylabel").reindex(order)
                centres = np.array([b.get_y() + b.get_height() / 2 for b in container])
                shown = rows["shown"].fillna(False).to_numpy(dtype=bool)
                lo = rows["ci_low"].astype(float).to_numpy() * 100
                hi = rows["ci_high"].astype(float).to_numpy() * 100
                whisk = shown & ~np.isnan(lo) & ~np.isnan(hi)
                if whisk.any():
                    ax.hlines(
                        centres[whisk], lo[whisk], hi[whisk], color="#333333", lw=0.8, gid="ci"
                    )
                    for edge in (lo, hi):  # short caps, a third of the bar high
                        ax.vlines(
                            edge[whisk],
                            centres[whisk] - bar_height / 6,
                            centres[whisk] + bar_height / 6,
                            color="#333333",
                            lw=0.8,
                            gid="ci-cap",
                        )
                ref = rows["reference_share"].astype(float).to_numpy() * 100
                has_ref = ~np.isnan(ref)
                if has_ref.any():  # a black line across the bar: the rest of the region
                    ax.vlines(
                        ref[has_ref],
                        centres[has_ref] - bar_height * 0.48,
                        centres[has_ref] + bar_height * 0.48,
                        color="black",
                        lw=2.2,
                        zorder=3,
                        gid="reference",
                    )
                for yc in centres[~shown]:
                    ax.annotate(
                        DASH,
                        (0, yc),
                        xytext=(3, 0),
                        textcoords="offset points",
                        va="center",
                        fontsize=9,
                    )
            # the domain as a small grey line above each factor's label (minor tick labels)
            domains = part.drop_duplicates("ylabel").set_index("ylabel")["domain_label"]
            ax.set_yticks(
                [yi - 0.36 for yi in range(len(order))],
                [str(domains[label]).upper() for label in order],
                minor=True,
            )
            ax.set_yticks([yi + 0.1 for yi in range(len(order))], ax.get_yticklabels(), minor=False)
            ax.tick_params(axis="y", which="minor", length=0, labelsize=6.5, labelcolor="#777777")
            if not part["shown"].any():
                ax.text(
                    0.5,
                    0.5,
                    "Inga värden kan visas: för få svarande",
                    transform=ax.transAxes,
                    ha="center",
                    va="center",
                    color="#666666",
                    fontsize=8.5,
                    gid="all-suppressed",
                )
            ax.set_title(KIND_LABELS[kind], loc="left")
            ax.set_ylabel("")
            ax.set_xlabel("")
            ax.set_xlim(0, limit)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 5, 10]))
            ax.xaxis.set_major_formatter(FuncFormatter(_percent))
            _style_axes(ax, grid_axis="x")
            ax.tick_params(axis="y", length=0)
        axes[-1].set_xlabel("Andel elever över gränsvärdet")
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
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
        if title is None and not profile.empty:
            first = profile.iloc[0]
            title = (
                f"Riskprofil {first['municipality_name']} {int(first['year'])}: "
                f"{str(first['grade_label']).lower()}"
            )
        if title:
            fig.suptitle(title, fontweight="bold", fontsize=10.5)
    return fig


def trend_figure(
    prevalence: pd.DataFrame,
    kommunkod: str,
    codebook: Codebook | None = None,
    grade: str | None = None,
    sex: str | None = None,
    factors: Sequence[str] | None = None,
) -> Figure:
    """Share above the cut-point per survey year, one small panel per factor (all by default).

    ``grade`` and ``sex`` default to all students. Built from ``riskfaktorer.trend_frame``: the
    municipality (coloured line with markers, ``gid="line-municipality"``) and the whole
    region (grey dashed line), each with its 95 % interval as a band (``"band-…"``).
    Suppressed years leave a gap in the municipality's line and show "–" above the axis.
    Panels have their own y scale from 0, so read the level from the axis of each.
    """
    import matplotlib as mpl
    import seaborn as sns
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from fouanalys.codebook import load_codebook
    from fouanalys.riskfaktorer import DASH, grade_label, sex_label, trend_frame, wrap_label

    codebook = codebook or load_codebook()
    trend = trend_frame(prevalence, kommunkod, codebook, grade=grade, sex=sex, factors=factors)
    factor_ids = list(dict.fromkeys(trend["factor"]))
    years = sorted(trend["year"].unique())
    ncols = 3 if len(factor_ids) > 4 else max(len(factor_ids), 1)
    nrows = int(np.ceil(max(len(factor_ids), 1) / ncols))
    colors = {"municipality": PALETTE[0], "region": REGION_COLOR}
    area_labels = dict(zip(trend["area"], trend["area_label"], strict=False))

    with mpl.rc_context(_RC):
        fig = Figure(figsize=(FIG_WIDTH, 0.9 + 1.85 * nrows), dpi=FIG_DPI, layout="constrained")
        axes = list(np.atleast_1d(fig.subplots(nrows, ncols, sharex=True)).ravel())
        for ax, factor in zip(axes, factor_ids, strict=False):
            part = trend.loc[trend["factor"] == factor].assign(
                pct=lambda d: d["share"] * 100,
                lo=lambda d: d["ci_low"] * 100,
                hi=lambda d: d["ci_high"] * 100,
            )
            for area in ("region", "municipality"):
                rows = part.loc[part["area"] == area].sort_values("year")
                if rows.empty:
                    continue
                ax.fill_between(
                    rows["year"].to_numpy(dtype=float),
                    rows["lo"].to_numpy(dtype=float),
                    rows["hi"].to_numpy(dtype=float),
                    color=colors[area],
                    alpha=0.18 if area == "municipality" else 0.12,
                    linewidth=0,
                    gid=f"band-{area}",
                )
                sns.lineplot(
                    data=rows.dropna(subset=["pct"]),
                    x="year",
                    y="pct",
                    color=colors[area],
                    marker="o" if area == "municipality" else None,
                    markersize=4,
                    linestyle="-" if area == "municipality" else "--",
                    linewidth=1.4 if area == "municipality" else 1.0,
                    errorbar=None,
                    ax=ax,
                    gid=f"line-{area}",
                )
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
            top = _percent_limit(part["ci_high"], part["share"])
            ax.set_ylim(0, top)
            ax.set_title(wrap_label(part["label"].iloc[0], 28), fontsize=8.5, loc="left")
            ax.set_xlabel("")
            ax.set_ylabel("")
            ax.set_xticks(years, [str(y) for y in years])
            ax.yaxis.set_major_formatter(FuncFormatter(_percent))
            ax.yaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
            _style_axes(ax)
        for ax in axes[len(factor_ids) :]:
            ax.set_visible(False)
        handles = [
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
                color=colors["region"],
                linestyle="--",
                lw=1.0,
                label=area_labels.get("region", "Regionen"),
            ),
            Patch(color=colors["municipality"], alpha=0.18, label=CI_LABEL),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=3)
        all_label = codebook.survey.all_label
        grade = all_label if grade is None else grade
        sex = all_label if sex is None else sex
        who = sex_label(sex, codebook).lower()
        where = grade_label(grade, codebook).lower()
        fig.suptitle(
            f"Andel över gränsvärdet per enkätår, {who}, {where}",
            fontweight="bold",
            fontsize=10.5,
        )
    return fig


def association_figure(
    associations: pd.DataFrame,
    kommunkod: str,
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
    import seaborn as sns
    from matplotlib.ticker import FixedLocator, NullLocator

    from fouanalys.codebook import load_codebook
    from fouanalys.riskfaktorer import DASH, association_frame, grade_label, wrap_label

    codebook = codebook or load_codebook()
    frame = association_frame(associations, kommunkod, year, codebook, grade)
    factors = list(dict.fromkeys(frame["factor"]))
    offsets = {"municipality": -0.15, "region": 0.15}
    colors = {"municipality": PALETTE[0], "region": REGION_COLOR}
    frame = frame.assign(
        ypos=frame["factor"].map({f: i for i, f in enumerate(factors)})
        + frame["area"].map(offsets),
        Område=frame["area_label"],
    )
    finite = frame["risk_ratio"].notna() & ~frame["suppressed"]
    shown = frame.loc[finite]
    labels = dict(zip(frame["factor"], frame["label"], strict=False))
    area_labels = dict(zip(frame["area"], frame["area_label"], strict=False))
    bounds = pd.concat([shown["rr_low"], shown["rr_high"], shown["risk_ratio"]]).dropna()
    bounds = bounds[bounds > 0]
    lo = min(0.8, float(bounds.min()) * 0.85) if len(bounds) else 0.5
    hi = max(1.5, float(bounds.max()) * 1.15) if len(bounds) else 4.0

    fig = new_figure(height=1.2 + 0.5 * max(len(factors), 1))
    ax = fig.axes[0]
    with mpl.rc_context(_RC):
        ax.axvline(1, color="#888888", lw=0.8, linestyle=":")
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
        ax.set_xscale("log")
        ax.set_xlim(lo, hi)
        ticks = [t for t in (0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8, 12, 16) if lo <= t <= hi]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}".replace(".", ",")))
        ax.set_yticks(range(len(factors)), [wrap_label(labels[f], 34) for f in factors])
        ax.set_ylim(len(factors) - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel("Relativ risk för självrapporterad brottslighet (logaritmisk skala)")
        ax.set_ylabel("")
        where = grade_label(codebook.survey.all_label if grade is None else grade, codebook)
        ax.set_title(
            f"Riskfaktorer och brottslighet i {codebook.municipality_name(kommunkod)} "
            f"{int(year)}, {where.lower()}"
        )
        _move_legend_below(fig, ax, ncols=2)
    _style_axes(ax, grid_axis="x")
    return fig


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


def unknown_cell(x: float, y: float, width: float, height: float):
    """The hatched patch over a heatmap cell whose reach is unknown."""
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), width, height, zorder=1, gid="unknown", **UNKNOWN_STYLE)


#: Outline of a gap: no ongoing intervention ("saknas") and thin coverage ("tunn").
GAP_COLORS = {"saknas": "#a4000f", "tunn": "#de8f05"}
NOT_APPLICABLE_COLOR = "#e4e4e4"
_STAGE_SHADES = ("#f2f5f8", "#ffffff")


def _literal(text: object) -> str:
    """Free text for a matplotlib label: ``$`` escaped so it never starts mathtext."""
    return str(text).replace("$", r"\$")


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _stage_ticks(codebook: Codebook, width: int = 14) -> list[str]:
    """Stage labels for an axis: the name wrapped, the ages below ("Högstadium\\n13–15 år")."""
    import textwrap

    from fouanalys.kartlaggning import age_span

    return [
        textwrap.fill(s.label, width=width, break_long_words=False)
        + "\n"
        + age_span(s.age_from, s.age_to)
        for s in sorted(codebook.life_stages, key=lambda s: s.age_from)
    ]


def _text_width(text: str, size: float) -> float:
    """Width in inches of ``text`` set in DejaVu Sans at ``size`` points."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    prop = FontProperties(family="DejaVu Sans", size=size)
    width, _height, _descent = text_to_path.get_text_width_height_descent(text, prop, ismath=False)
    return float(width) / 72


def _reads_white(color: str) -> bool:
    """Whether white text reads better than black on ``color``."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return 0.299 * r + 0.587 * g + 0.114 * b < 0.5


def life_course_figure(
    insatser: pd.DataFrame,
    kommunkod: str,
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
    from matplotlib.patches import Patch

    from fouanalys.codebook import load_codebook
    from fouanalys.exceptions import FouanalysError
    from fouanalys.kartlaggning import life_course_frame

    codebook = codebook or load_codebook()
    if color_by == "inriktning":
        key, colors, labels = "targeting", TARGETING_COLORS, codebook.labels("targeting")
        legend_title = "inriktning"
    elif color_by == "kunskapslage":
        key, colors, labels = "knowledge", KNOWLEDGE_COLORS, codebook.labels("knowledge_levels")
        legend_title = "kunskapsläge"
    else:
        raise FouanalysError(
            f"Okänt färgval '{color_by}' för livsförloppsfiguren: välj 'inriktning' eller "
            "'kunskapslage'."
        )
    frame = life_course_frame(insatser, kommunkod, codebook)
    stages = sorted(codebook.life_stages, key=lambda s: s.age_from)
    last_age = max(s.age_to for s in stages) + 1

    bands, rows, empty = [], [], []  # (label, first y, last y), (y, row), y
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
    height = 1.8 + 0.2 * y
    size = 7.2
    per_age = (FIG_WIDTH - 0.6) / last_age  # inches per year of age (axes about 6.4 in wide)
    pad = 0.25  # in years of age

    with mpl.rc_context(_RC):
        fig = Figure(figsize=(FIG_WIDTH, height), dpi=FIG_DPI, layout="constrained")
        ax = fig.subplots()
        for n, stage in enumerate(stages):
            ax.axvspan(stage.age_from, stage.age_to + 1, color=_STAGE_SHADES[n % 2], lw=0, zorder=0)
            if n:
                ax.axvline(stage.age_from, color="#c9d3de", lw=0.6, zorder=0.5)
        for label, stage in zip(_stage_ticks(codebook, 14), stages, strict=True):
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
            ax.text(
                0.3,
                yy,
                "Inga pågående eller planerade insatser",
                va="center",
                fontsize=size,
                color="#666666",
                style="italic",
            )
        for yy, row in rows:
            color = colors.get(getattr(row, key), PALETTE[-1])
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
            name = _literal(row.insats)
            need = _text_width(row.insats, size) / per_age + 2 * pad  # in years of age
            right, left = last_age - row.end, row.start
            style = {"va": "center", "fontsize": size, "zorder": 3, "gid": "name"}
            if need <= row.end - row.start:
                on_white = row.planned or not _reads_white(color)
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
        ax.set_ylim(y - 0.4, -0.6)
        ax.set_xlim(0, last_age)
        ax.set_xticks([a + 0.5 for a in range(last_age)], [str(a) for a in range(last_age)])
        ax.set_yticks([])
        ax.tick_params(axis="x", labelsize=7, length=0)
        ax.set_xlabel("Ålder (år)")
        for spine in ("top", "right", "left"):
            ax.spines[spine].set_visible(False)
        present = set(frame[key])
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
        fig.suptitle(
            f"Insatser längs livsförloppet i {codebook.municipality_name(kommunkod)}",
            fontweight="bold",
            fontsize=10.5,
        )
    return fig


def _heat_text_color(value: float, vmax: float, cmap) -> str:
    """Black or white text, whichever reads better on the cell's colour."""
    if vmax <= 0 or np.isnan(value):
        return "#1d1d1d"
    r, g, b, _ = cmap(min(value / vmax, 1.0))
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "#1d1d1d"


def _heatmap(ax, matrix: pd.DataFrame, cmap, norm):
    """Draw ``matrix`` as a grid of cells, row 0 at the top; NA cells are left blank.

    Cell (row i, column j) spans ``[j, j+1] × [i, i+1]`` in data coordinates, with white
    gaps between cells. Matplotlib only: seaborn's import alone costs more than a second per
    notebook, and these grids need nothing from it. Returns the mesh (for a colour bar).
    """
    values = np.ma.masked_invalid(matrix.to_numpy(dtype=float))
    n_rows, n_cols = values.shape
    mesh = ax.pcolormesh(
        np.arange(n_cols + 1),
        np.arange(n_rows + 1),
        values,
        cmap=cmap,
        norm=norm,
        edgecolors="white",
        linewidth=1.5,
    )
    ax.set_xlim(0, n_cols)
    ax.set_ylim(n_rows, 0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return mesh


def coverage_heatmap(
    coverage: pd.DataFrame, kommunkod: str, codebook: Codebook | None = None
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
    from matplotlib.patches import Patch

    from fouanalys.codebook import load_codebook
    from fouanalys.kartlaggning import coverage_cells

    codebook = codebook or load_codebook()
    cells = coverage_cells(coverage, kommunkod, codebook)
    levels = list(dict.fromkeys(cells["level"]))
    stages = list(dict.fromkeys(cells["stage"]))
    value = cells.assign(
        shown=np.where(cells["state"] == "empty", 0.0, cells["reach_per_1000"].astype(float))
    )
    matrix = value.pivot(index="level", columns="stage", values="shown").reindex(
        index=levels, columns=stages
    )
    vmax = float(np.nanmax(matrix.to_numpy())) if matrix.notna().any().any() else 1.0
    vmax = max(vmax, 1.0)
    cmap = mpl.colormaps["Blues"]
    norm = PowerNorm(gamma=0.5, vmin=0, vmax=vmax)

    with mpl.rc_context(_RC):
        fig = Figure(
            figsize=(FIG_WIDTH, 1.9 + 0.75 * len(levels)), dpi=FIG_DPI, layout="constrained"
        )
        ax = fig.subplots()
        mesh = _heatmap(ax, matrix, cmap, norm)
        colorbar = fig.colorbar(
            mesh, ax=ax, shrink=0.85, label="Deltagare per år per 1\u00a0000 invånare"
        )
        colorbar.outline.set_visible(False)
        colorbar.ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        for row in cells.itertuples(index=False):
            xi, yi = stages.index(row.stage), levels.index(row.level)
            if row.state == "unknown":
                ax.add_patch(unknown_cell(xi + 0.03, yi + 0.03, 0.94, 0.94))
            shade = norm(row.reach_per_1000) * vmax if row.state in ("known", "partial") else 0.0
            color = _heat_text_color(float(shade), vmax, cmap)
            box = (
                {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"}
                if row.state == "unknown"
                else None
            )
            ax.text(
                xi + 0.5,
                yi + 0.4,
                row.reach_text,
                ha="center",
                va="center",
                fontsize=9.5,
                fontweight="bold",
                color=color,
                bbox=box,
                zorder=3,
                gid=f"reach-{row.state}",
            )
            extra = row.count_text
            if row.planned:
                extra += f"\n+{row.planned} {'planerad' if row.planned == 1 else 'planerade'}"
            ax.text(
                xi + 0.5,
                yi + 0.62,
                extra,
                ha="center",
                va="top",
                fontsize=7,
                color=color,
                bbox=box,
                zorder=3,
                linespacing=1.05,
            )
        labels = codebook.labels("levels")
        ax.set_yticks([i + 0.5 for i in range(len(levels))], [labels[v] for v in levels])
        ax.set_xticks([i + 0.5 for i in range(len(stages))], _stage_ticks(codebook)[: len(stages)])
        ax.tick_params(axis="both", length=0, labelrotation=0)
        ax.tick_params(axis="x", labelsize=7.5)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.xaxis.tick_top()
        fig.suptitle(
            f"Räckvidd per åldersgrupp och nivå i {codebook.municipality_name(kommunkod)}",
            fontweight="bold",
            fontsize=10.5,
        )
        handles = [
            Patch(**UNKNOWN_STYLE, label="okänd: ingen insats i rutan anger antal deltagare"),
            Patch(color="none", label="≥: minst, någon insats saknar antal deltagare"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=7.5)
    return fig


def factor_coverage_heatmap(
    factor_coverage: pd.DataFrame,
    gaps: pd.DataFrame,
    kommunkod: str,
    codebook: Codebook | None = None,
) -> Figure:
    """Ongoing interventions per risk or protective factor (rows) and life stage (columns).

    From ``kartlaggning.factor_cells``, drawn as a heatmap: the number of ongoing
    interventions addressing the factor at that stage, written in the cell. A stage where the
    codebook says the factor cannot be addressed is grey and empty (``gid="not-applicable"``).
    Priority factors (those in the gap table) have a bold label marked "★"; their gaps are
    outlined: red for no ongoing intervention (``gid="gap-saknas"``), orange and dashed for
    thin coverage (``gid="gap-tunn"``). Risk factors come first, then protective factors.
    """
    import matplotlib as mpl
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    from fouanalys.codebook import load_codebook
    from fouanalys.kartlaggning import factor_cells
    from fouanalys.riskfaktorer import KIND_LABELS, wrap_label

    codebook = codebook or load_codebook()
    cells = factor_cells(factor_coverage, gaps, kommunkod, codebook)
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

    with mpl.rc_context(_RC):
        fig = Figure(
            figsize=(FIG_WIDTH, 1.9 + 0.42 * len(factors)), dpi=FIG_DPI, layout="constrained"
        )
        ax = fig.subplots()
        _heatmap(ax, matrix, cmap, Normalize(vmin=0, vmax=vmax * 1.25))
        for row in cells.itertuples(index=False):
            xi, yi = stages.index(row.stage), factors.index(row.factor)
            if not row.applicable:
                ax.add_patch(
                    Rectangle(
                        (xi + 0.03, yi + 0.04),
                        0.94,
                        0.92,
                        facecolor=NOT_APPLICABLE_COLOR,
                        linewidth=0,
                        zorder=1,
                        gid="not-applicable",
                    )
                )
                continue
            ax.text(
                xi + 0.5,
                yi + 0.5,
                str(row.interventions),
                ha="center",
                va="center",
                fontsize=8.5,
                fontweight="bold" if row.priority else "normal",
                color=_heat_text_color(row.interventions, vmax * 1.25, cmap),
                zorder=3,
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
                        linestyle="-" if row.gap == "saknas" else "--",
                        zorder=4,
                        gid=f"gap-{row.gap}",
                    )
                )
        labels = [
            ("★ " if info.at[f, "priority"] else "") + wrap_label(info.at[f, "label"], 34)
            for f in factors
        ]
        ax.set_yticks([i + 0.5 for i in range(len(factors))], labels)
        for tick, f in zip(ax.get_yticklabels(), factors, strict=True):
            if info.at[f, "priority"]:
                tick.set_fontweight("bold")
        ax.set_xticks([i + 0.5 for i in range(len(stages))], _stage_ticks(codebook)[: len(stages)])
        ax.tick_params(axis="both", length=0, labelrotation=0)
        ax.tick_params(axis="x", labelsize=7.5)
        ax.tick_params(axis="y", labelsize=7.5)
        ax.xaxis.tick_top()
        ax.set_xlabel("")
        ax.set_ylabel("")
        kinds = list(dict.fromkeys(info["kind"]))
        for kind in kinds[1:]:
            first = next(i for i, f in enumerate(factors) if info.at[f, "kind"] == kind)
            ax.axhline(first, color="#12355b", lw=1.2)
        for kind in kinds:
            rows = [i for i, f in enumerate(factors) if info.at[f, "kind"] == kind]
            ax.text(
                1.012,
                (min(rows) + max(rows) + 1) / 2,
                KIND_LABELS.get(kind, kind),
                transform=ax.get_yaxis_transform(),
                rotation=270,
                ha="left",
                va="center",
                fontsize=8,
                color="#12355b",
            )
        fig.suptitle(
            f"Pågående insatser per faktor och åldersgrupp i "
            f"{codebook.municipality_name(kommunkod)}",
            fontweight="bold",
            fontsize=10.5,
        )
        handles = [
            Line2D([], [], color="none", label="★ prioriterad faktor (fet stil)"),
            Patch(fill=False, edgecolor=GAP_COLORS["saknas"], linewidth=2, label="saknar insats"),
            Patch(
                fill=False,
                edgecolor=GAP_COLORS["tunn"],
                linewidth=2,
                linestyle="--",
                label="tunn täckning",
            ),
            Patch(color=NOT_APPLICABLE_COLOR, label="kan inte påverkas i åldern"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=7.5)
    return fig


def targeting_pyramid_figure(
    insatser: pd.DataFrame,
    kommunkod: str,
    codebook: Codebook | None = None,
    targeting_coverage: pd.DataFrame | None = None,
) -> Figure:
    """The prevention pyramid: ongoing interventions per targeting, universal at the base.

    From ``kartlaggning.pyramid_frame``: one centred bar per targeting (universell at the
    bottom, indikerad at the top), as wide as the number of ongoing interventions
    (``gid="targeting-<id>"``), the number written on it and, in a column to the right, the
    known participants a year (with reach per 1 000 inhabitants aged 0–25 when
    ``targeting_coverage`` is given), how many interventions give no count and any planned.
    """
    import matplotlib as mpl

    from fouanalys.codebook import load_codebook
    from fouanalys.kartlaggning import format_participants, format_reach, pyramid_frame

    codebook = codebook or load_codebook()
    frame = pyramid_frame(insatser, kommunkod, codebook, targeting_coverage)
    widest = max(float(frame["interventions"].max()), 1.0)
    ages = sorted(codebook.life_stages, key=lambda s: s.age_from)
    age_text = f"{ages[0].age_from}–{ages[-1].age_to}"
    descriptions = {e.id: e.description for e in codebook.targeting}
    column = widest / 2 + widest * 0.08  # where the text column starts

    with mpl.rc_context(_RC):
        fig = Figure(figsize=(FIG_WIDTH, 3.1), dpi=FIG_DPI, layout="constrained")
        ax = fig.subplots()
        for yi, row in enumerate(frame.itertuples(index=False)):
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
                color="white" if inside and _reads_white(color) else "#1d1d1d",
                gid="count",
            )
            if row.with_participants:
                lines = [f"{format_participants(row.participants)} deltagare per år"]
                if not np.isnan(row.reach_per_1000):
                    lines.append(
                        f"({format_reach(row.reach_per_1000)} per 1\u00a0000 invånare "
                        f"{age_text} år)"
                    )
            elif row.interventions:
                lines = ["antal deltagare okänt"]
            else:
                lines = ["inga pågående insatser"]
            notes = []
            if row.without_participants and row.with_participants:
                notes.append(f"{row.without_participants} utan antal deltagare")
            if row.planned:
                notes.append(f"{row.planned} {'planerad' if row.planned == 1 else 'planerade'}")
            if notes:
                lines.append(", ".join(notes))
            ax.text(
                column,
                yi,
                "\n".join(lines),
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
        fig.suptitle(
            f"Pågående insatser efter inriktning i {codebook.municipality_name(kommunkod)}",
            fontweight="bold",
            fontsize=10.5,
        )
    return fig


# --- chapter 04, Nätverksdynamik och samverkan: the collaboration network -------------------

#: Colours of the collaboration drawing: SSPF actors, other actors, actors without partners.
SSPF_COLOR = "#d55e00"
ACTOR_COLOR = "#0173b2"
ISOLATED_COLOR = "#949494"
ABSENT_COLOR = "#b5b5b5"
LINK_COLOR = "#5d7f9e"
#: Highlight of the current municipality in regional comparisons, and of the others.
HIGHLIGHT_COLOR = "#0173b2"
OTHERS_COLOR = "#c5cfd9"
#: Edge weights are written on the links when the network has at most this many.
MAX_WEIGHT_LABELS = 12


def _circle_positions(codebook: Codebook) -> dict[str, tuple[float, float]]:
    """A fixed place on the unit circle for every codebook actor, clockwise in codebook order.

    The SSPF actors (first in the codebook) share the top of the circle, spread over 135° so
    that the six links of the core stay apart; the other actors share the rest of the circle,
    evenly. Every municipality's drawing puts each actor in the same place.
    """
    sspf = [a.id for a in codebook.actors if a.sspf]
    others = [a.id for a in codebook.actors if not a.sspf]
    if len(sspf) < 2 or not others:
        ids = sspf + others
        step = 2 * np.pi / max(len(ids), 1)
        angles = [np.pi / 2 - i * step for i in range(len(ids))]
    else:
        arc = np.deg2rad(135)
        first = np.pi / 2 + arc / 2
        angles = [first - i * arc / (len(sspf) - 1) for i in range(len(sspf))]
        gap = (2 * np.pi - arc) / (len(others) + 1)
        angles += [first - arc - (i + 1) * gap for i in range(len(others))]
        ids = sspf + others
    return {a: (float(np.cos(t)), float(np.sin(t))) for a, t in zip(ids, angles, strict=True)}


def collaboration_figure(
    graph, codebook: Codebook | None = None, title: str | None = None
) -> Figure:
    """The collaboration network from ``samverkan.collaboration_graph``, drawn on a fixed circle.

    Every codebook actor has a fixed place on a circle, in codebook order with the SSPF core
    centred at the top, so municipalities compare at a glance. An actor in the network is a
    filled circle (``gid="actor-node"``) sized by and marked with the number of ongoing
    interventions it takes part in: SSPF actors in orange, other actors in blue, actors without
    partners (isolated) grey. Actors in no ongoing intervention keep their place as a small
    dashed ring with a grey italic label (``gid="absent-label"``). Labels sit outside the
    circle (``gid="actor-label"``, SSPF actors in bold). A link's width grows with the number
    of interventions the pair shares (``gid="link"``); links between SSPF actors are orange and
    drawn on top, SSPF pairs without a shared intervention are dotted (``gid="sspf-missing"``).
    With at most ``MAX_WEIGHT_LABELS`` links, each carries its weight (``gid="weight"``).
    """
    import itertools
    import textwrap

    import matplotlib as mpl
    from matplotlib.lines import Line2D

    from fouanalys.codebook import load_codebook

    codebook = codebook or load_codebook()
    pos = _circle_positions(codebook)
    sspf = [a.id for a in codebook.actors if a.sspf]
    counts = {n: int(d.get("interventions", 0)) for n, d in graph.nodes(data=True)}
    most = max(counts.values(), default=1) or 1
    weights = [int(w) for _a, _b, w in graph.edges(data="weight", default=1)]
    heaviest = max(weights, default=1)

    def size(node: str) -> float:  # marker area in points²
        return 130.0 + 470.0 * counts.get(node, 0) / most

    def width(w: int) -> float:
        return 0.7 + 4.3 * w / heaviest

    with mpl.rc_context(_RC):
        fig = Figure(figsize=(FIG_WIDTH, 5.9), dpi=FIG_DPI, layout="constrained")
        ax = fig.subplots()
        ax.set_aspect("equal")
        ax.set_xlim(-1.95, 1.95)
        ax.set_ylim(-1.3, 1.3)
        ax.set_axis_off()

        for a, b in itertools.combinations(sspf, 2):  # the core's missing pairs, dotted
            if not graph.has_edge(a, b):
                (xa, ya), (xb, yb) = pos[a], pos[b]
                ax.plot(
                    [xa, xb],
                    [ya, yb],
                    color=SSPF_COLOR,
                    lw=1.1,
                    linestyle=(0, (1, 2.5)),
                    alpha=0.9,
                    zorder=1,
                    gid="sspf-missing",
                )
        edges = sorted(
            graph.edges(data="weight", default=1),
            key=lambda e: (e[0] in sspf and e[1] in sspf, e[2]),
        )
        for a, b, w in edges:
            core = a in sspf and b in sspf
            (xa, ya), (xb, yb) = pos.get(a, (0.0, 0.0)), pos.get(b, (0.0, 0.0))
            ax.plot(
                [xa, xb],
                [ya, yb],
                color=SSPF_COLOR if core else LINK_COLOR,
                lw=width(int(w)),
                alpha=0.9 if core else 0.45,
                solid_capstyle="round",
                zorder=2 if core else 1.5,
                gid="link",
            )
        if 0 < len(edges) <= MAX_WEIGHT_LABELS:
            for a, b, w in edges:
                (xa, ya), (xb, yb) = pos.get(a, (0.0, 0.0)), pos.get(b, (0.0, 0.0))
                ax.text(
                    xa + 0.42 * (xb - xa),
                    ya + 0.42 * (yb - ya),
                    str(int(w)),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="#1d1d1d",
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
                    zorder=4,
                    gid="weight",
                )

        for actor in codebook.actors:
            x, y = pos[actor.id]
            present = actor.id in graph
            isolated = present and graph.degree(actor.id) == 0
            if present:
                fill = ISOLATED_COLOR if isolated else SSPF_COLOR if actor.sspf else ACTOR_COLOR
                ax.scatter(
                    [x],
                    [y],
                    s=size(actor.id),
                    color=fill,
                    edgecolors=SSPF_COLOR if actor.sspf and isolated else "white",
                    linewidths=2.0 if actor.sspf and isolated else 1.0,
                    zorder=5,
                    gid="actor-node",
                )
                ax.text(
                    x,
                    y,
                    str(counts[actor.id]),
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    fontweight="bold",
                    color="white" if _reads_white(fill) else "#1d1d1d",
                    zorder=6,
                    gid="actor-count",
                )
                radius = np.sqrt(size(actor.id)) / 2
            else:
                ax.scatter(
                    [x],
                    [y],
                    s=70,
                    facecolors="white",
                    edgecolors=ABSENT_COLOR,
                    linewidths=1.0,
                    linestyle="--",
                    zorder=5,
                    gid="absent-node",
                )
                radius = np.sqrt(70) / 2
            ha = "left" if x > 0.05 else "right" if x < -0.05 else "center"
            va = "bottom" if y > 0.5 else "top" if y < -0.5 else "center"
            offset = radius + 3
            ax.annotate(
                _literal(textwrap.fill(actor.label, 22, break_on_hyphens=False)),
                (x, y),
                xytext=(offset * x, offset * y),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=8,
                linespacing=1.05,
                fontweight="bold" if actor.sspf and present else "normal",
                fontstyle="normal" if present else "italic",
                color="#1d1d1d"
                if present and not isolated
                else "#666666"
                if present
                else "#8a8a8a",
                zorder=6,
                gid="actor-label" if present else "absent-label",
            )
        if graph.number_of_nodes() == 0:
            ax.text(
                0,
                0,
                "Inga pågående insatser",
                ha="center",
                va="center",
                fontsize=9,
                color="#666666",
                style="italic",
                gid="empty",
            )

        def dot(color: str, label: str, **kw) -> Line2D:
            style = {"marker": "o", "markersize": 8, "markeredgecolor": "white"} | kw
            return Line2D([], [], linestyle="none", color=color, label=label, **style)

        nodes = list(graph.nodes)
        isolated = [n for n in nodes if graph.degree(n) == 0]
        handles = []
        if any(n in sspf and graph.degree(n) > 0 for n in nodes):
            handles.append(dot(SSPF_COLOR, "SSPF-aktör"))
        if any(n not in sspf and graph.degree(n) > 0 for n in nodes):
            handles.append(dot(ACTOR_COLOR, "annan aktör"))
        if isolated:
            handles.append(dot(ISOLATED_COLOR, "utan samverkanspartner"))
        if len(nodes) < len(pos):
            handles.append(
                dot("white", "ingen pågående insats", markeredgecolor=ABSENT_COLOR, markersize=6)
            )
        if any(a in sspf and b in sspf for a, b, _w in edges):
            handles.append(Line2D([], [], color=SSPF_COLOR, lw=2.2, label="samverkan inom SSPF"))
        if any(not (a in sspf and b in sspf) for a, b, _w in edges):
            handles.append(
                Line2D([], [], color=LINK_COLOR, lw=2.2, alpha=0.6, label="övrig samverkan")
            )
        if any(not graph.has_edge(a, b) for a, b in itertools.combinations(sspf, 2)):
            handles.append(
                Line2D(
                    [],
                    [],
                    color=SSPF_COLOR,
                    lw=1.1,
                    linestyle=(0, (1, 2.5)),
                    label="SSPF-par utan gemensam insats",
                )
            )
        if heaviest > 1:
            handles += [
                Line2D([], [], color="#555555", lw=width(1), label="1 gemensam insats"),
                Line2D(
                    [],
                    [],
                    color="#555555",
                    lw=width(heaviest),
                    label=f"{heaviest} gemensamma insatser",
                ),
            ]
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncols=4 if len(handles) <= 6 else 3,
            fontsize=7.5,
            columnspacing=1.2,
            handlelength=1.8,
            title=(
                "Siffran i cirkeln (och dess storlek): pågående insatser som aktören deltar i. "
                "Linjens bredd: gemensamma pågående insatser."
            ),
            title_fontsize=7.5,
        )
        if title is None:
            where = graph.graph.get("municipality")
            title = "Samverkan mellan aktörerna" + (f" i {where}" if where else "")
        if title:
            fig.suptitle(title, fontweight="bold", fontsize=10.5)
    return fig


def collaboration_comparison_figure(regional: pd.DataFrame, kommunkod: str | None = None) -> Figure:
    """The collaboration networks of all municipalities side by side.

    From ``samverkan.regional_collaboration``: three panels of horizontal bars sharing the
    municipalities (in the frame's order, top to bottom): actors in the network, density
    (0–1) and SSPF pairs that share an ongoing intervention (of ``sspf_pairs``, 6). Each bar
    carries its value (decimal comma); a dashed line marks the mean of the municipalities
    (``gid="mean"``). The municipality ``kommunkod`` is highlighted (coloured bars
    ``gid="bar-current"``, bold name); the others are light grey (``gid="bar-other"``). A
    municipality without ongoing interventions says so instead of bars.
    """
    import matplotlib as mpl
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FixedLocator

    from fouanalys.exceptions import NetworkModelError

    codes = regional["municipality_code"].astype(str).tolist()
    if kommunkod is not None and kommunkod not in codes:
        raise NetworkModelError(
            f"Kommunen '{kommunkod}' finns inte i den regionala jämförelsen av samverkan "
            f"(där finns: {', '.join(codes)})."
        )
    names = regional["municipality"].astype(str).tolist()
    y = np.arange(len(codes))
    current = [c == kommunkod for c in codes]
    colors = [HIGHLIGHT_COLOR if c else OTHERS_COLOR for c in current]
    pairs = int(regional["sspf_pairs"].max()) if "sspf_pairs" in regional and len(codes) else 6
    empty = (
        (regional["interventions"] == 0).tolist()
        if "interventions" in regional
        else (regional["actors"] == 0).tolist()
    )
    panels = [
        ("actors", "Aktörer i nätverket", lambda v: f"{int(v)}", None),
        ("density", "Täthet (0–1)", lambda v: _comma(v, 2), 1.0),
        ("sspf_links", f"SSPF-par som samverkar\n(av {pairs})", lambda v: f"{int(v)}", pairs),
    ]

    with mpl.rc_context(_RC):
        fig = Figure(
            figsize=(FIG_WIDTH, 1.3 + 0.32 * max(len(codes), 1)), dpi=FIG_DPI, layout="constrained"
        )
        axes = fig.subplots(1, 3, sharey=True)
        for ax, (column, heading, fmt, top) in zip(axes, panels, strict=True):
            values = pd.to_numeric(regional[column], errors="coerce").fillna(0).to_numpy(float)
            limit = top if top is not None else max(float(values.max(initial=0)), 1.0)
            bars = ax.barh(y, values, color=colors, height=0.7, linewidth=0)
            for bar, is_current in zip(bars, current, strict=True):
                bar.set_gid("bar-current" if is_current else "bar-other")
            for yi, value, none in zip(y, values, empty, strict=True):
                ax.text(
                    value + limit * 0.02,
                    yi,
                    "inga insatser" if none else fmt(value),
                    va="center",
                    ha="left",
                    fontsize=7.5,
                    color="#666666" if none else "#1d1d1d",
                    style="italic" if none else "normal",
                    bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "edgecolor": "none"},
                    zorder=4,
                    gid="value",
                )
            shown = [v for v, none in zip(values, empty, strict=True) if not none]
            if shown:
                ax.axvline(
                    float(np.mean(shown)), color="#333333", lw=0.9, linestyle="--", gid="mean"
                )
            ax.set_xlim(0, limit * 1.22)
            ax.set_title(heading, fontsize=8.5, loc="left")
            if column == "density":
                ax.xaxis.set_major_locator(FixedLocator([0, 0.25, 0.5, 0.75, 1]))
            else:
                ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
            ax.xaxis.set_major_formatter(
                FuncFormatter(lambda v, _p, c=column: _comma(v, 2 if c == "density" else 0))
            )
            _style_axes(ax, grid_axis="x")
            ax.tick_params(axis="y", length=0)
        axes[0].set_yticks(y, names)
        axes[0].set_ylim(len(codes) - 0.5, -0.5)
        for tick, is_current in zip(axes[0].get_yticklabels(), current, strict=True):
            if is_current:
                tick.set_fontweight("bold")
        handles = [
            Line2D([], [], color="#333333", lw=0.9, linestyle="--", label="medel för kommunerna")
        ]
        if kommunkod is not None:
            handles.insert(0, Patch(color=HIGHLIGHT_COLOR, label=names[codes.index(kommunkod)]))
            handles.insert(1, Patch(color=OTHERS_COLOR, label="övriga kommuner"))
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=7.5)
        fig.suptitle("Samverkan kommun för kommun", fontweight="bold", fontsize=10.5)
    return fig


def _comma(value: float, decimals: int) -> str:
    """A number with a decimal comma: ``0.47 -> "0,47"``."""
    return f"{value:.{decimals}f}".replace(".", ",").replace("-", "\u2212")


# --- captions -------------------------------------------------------------------------------


class Captioned:
    """A figure with its caption, for the report: ``display(plots.captioned(fig, "Text"))``.

    Displays as the figure's PNG with the caption in the output's metadata
    (``{"fouanalys": {"caption": ...}}``); the report template numbers the figures of a chapter
    and prints "Figur N. Text" under each. ``figure`` stays a plain matplotlib Figure that a
    researcher can restyle before displaying.
    """

    def __init__(self, figure: Figure, caption: str):
        self.figure = figure
        self.caption = caption

    def _png(self) -> bytes:
        import io

        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=FIG_DPI, facecolor="white")
        return buffer.getvalue()

    def _repr_mimebundle_(self, include=None, exclude=None):
        import base64

        data = {
            "image/png": base64.b64encode(self._png()).decode("ascii"),
            "text/plain": f"<Figur: {self.caption}>",
        }
        return data, {"fouanalys": {"caption": self.caption}}


def captioned(figure: Figure, caption: str) -> Captioned:
    """Wrap a figure with its caption for display in a report chapter."""
    return Captioned(figure, caption)
