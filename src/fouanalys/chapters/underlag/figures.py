"""Chapter 01's figures: response counts, the inventory per level and status, the
population pyramid 0–25.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from fouanalys.present.figures import hbar_plot, move_legend_below
from fouanalys.present.labels import SEX_LABELS
from fouanalys.present.style import (
    PALETTE,
    RC,
    SEX_COLORS,
    STATUS_COLORS,
    new_figure,
    style_axes,
    thousands_tick,
)


def population_pyramid_figure(df: pd.DataFrame) -> Figure:
    """Population pyramid from ``underlag.population_pyramid``: boys left, girls right, 0–25.

    One horizontal bar per age and sex (52 bars for ages 0–25), drawn with seaborn; the x axis
    shows counts as positive numbers on both sides and age 25 is at the top.
    """
    import matplotlib as mpl

    ages = list(range(0, 26))
    frame = df.loc[df["kon"].isin(SEX_COLORS)].copy()
    frame["antal"] = frame["antal"].astype("Float64").fillna(0).astype(float)
    frame["signed"] = np.where(frame["kon"] == "Pojke", -frame["antal"], frame["antal"])
    frame["Kön"] = frame["kon"].map(SEX_LABELS)
    frame["alder"] = pd.Categorical(frame["alder"].astype(int), categories=ages[::-1])
    fig = new_figure(height=4.2)
    ax = fig.axes[0]
    with mpl.rc_context(RC):
        hbar_plot(
            ax,
            frame,
            "signed",
            "alder",
            "Kön",
            None,
            [SEX_LABELS["Pojke"], SEX_LABELS["Flicka"]],
            {SEX_LABELS[k]: v for k, v in SEX_COLORS.items()},
            dodge=False,
            width=0.85,
            legend=True,
        )
        limit = float(frame["antal"].max() or 1) * 1.08
        ax.set_xlim(-limit, limit)
        ax.axvline(0, color="#444444", linewidth=0.6)
        ax.xaxis.set_major_formatter(FuncFormatter(thousands_tick))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=7, symmetric=True))
        ax.set_yticks(
            [ages[::-1].index(a) for a in range(0, 26, 5)], [str(a) for a in range(0, 26, 5)]
        )
        ax.set_xlabel("Antal invånare")
        ax.set_ylabel("Ålder (år)")
        year = df["ar"].dropna().iloc[0] if "ar" in df and df["ar"].notna().any() else None
        ax.set_title("Befolkning 0–25 år" + (f", {int(year)}" if year is not None else ""))
        move_legend_below(fig, ax, ncols=2)
    style_axes(ax, grid_axis="x")
    return fig


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
    with mpl.rc_context(RC):
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
            ax.yaxis.set_major_formatter(FuncFormatter(thousands_tick))
            style_axes(ax)
        if fig.axes:
            fig.axes[0].set_ylabel("Antal svarande")
            move_legend_below(fig, fig.axes[0], ncols=max(len(sexes), 1))
        fig.suptitle("Svarande per år, årskurs och kön", fontweight="bold", fontsize=10.5)
    return fig


def inventory_by_level_figure(df: pd.DataFrame) -> Figure:
    """Interventions per prevention level and status (``underlag.inventory_by_level``).

    Seaborn bars: one bar per level and status (levels × statuses patches), the level's total
    written at the end of its group.
    """
    import matplotlib as mpl

    statuses = [c for c in df.columns if c not in ("Nivå", "Totalt")]
    levels = list(df["Nivå"])
    long = df.melt(id_vars="Nivå", value_vars=statuses, var_name="Status", value_name="Antal")
    long["Antal"] = long["Antal"].astype("Float64").fillna(0).astype(float)
    palette = {s: STATUS_COLORS.get(s, PALETTE[i % len(PALETTE)]) for i, s in enumerate(statuses)}
    fig = new_figure(height=2.6)
    ax = fig.axes[0]
    with mpl.rc_context(RC):
        hbar_plot(ax, long, "Antal", "Nivå", "Status", levels, statuses, palette)
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
        move_legend_below(fig, ax, ncols=len(statuses))
    style_axes(ax, grid_axis="x")
    return fig
