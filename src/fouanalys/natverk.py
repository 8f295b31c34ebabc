"""Chapter 04, Nätverksdynamik och samverkan: figures, tables and sentences for the model part.

The model itself lives in :mod:`fouanalys.recruitment`, the graph engine in
:mod:`fouanalys.network` and the collaboration network in :mod:`fouanalys.samverkan`; this
module turns their results into what the chapter shows, in Swedish.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from fouanalys import recruitment as rec
from fouanalys.plots import PALETTE, _style_axes, _thousands, new_figure
from fouanalys.riskfaktorer import format_number, format_share

#: Colour of each scenario in the figures (nuläge dark grey, each lever its own colour).
SCENARIO_COLORS = {
    "nulage": "#333333",
    "forebygga": PALETTE[2],
    "forhindra": PALETTE[0],
    "riskreducera": PALETTE[3],
    "alla": PALETTE[4],
}
LEVEL_COLORS = {"förebygga": PALETTE[2], "förhindra": PALETTE[0], "riskreducera": PALETTE[3]}
STATE_LABELS = {
    "ej involverad": "Ej involverad",
    "i riskzonen": "I riskzonen",
    "i nätverket": "I nätverket",
    "avhoppad": "Avhoppad",
    "skadad": "Allvarligt skadad",
}


# --- the model as a diagram ---------------------------------------------------------------


def _box(ax, xy: tuple[float, float], text: str, color: str) -> None:
    x, y = xy
    ax.add_patch(
        FancyBboxPatch(
            (x - 0.8, y - 0.4),
            1.6,
            0.8,
            boxstyle="round,pad=0.02,rounding_size=0.15",
            facecolor=color,
            edgecolor="#333333",
            linewidth=0.8,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=9, fontweight="bold")


def _arrow(ax, start, end, rad: float = 0.0) -> None:
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=12,
            linewidth=1.3,
            color="#333333",
            connectionstyle=f"arc3,rad={rad}",
            shrinkA=0,
            shrinkB=0,
        )
    )


def _label(ax, xy, text: str, lever: str | None = None, below: bool = False) -> None:
    """A mechanism under or over an arrow, with the lever that acts on it in its colour."""
    x, y = xy
    va = "top" if below else "bottom"
    ax.text(x, y, text, ha="center", va=va, fontsize=7.3, color="#222222", linespacing=1.1)
    if lever:
        lines = text.count("\n") + 1
        dy = (0.27 * lines + 0.05) * (-1 if below else 1)
        ax.text(
            x,
            y + dy,
            lever,
            ha="center",
            va=va,
            fontsize=7.3,
            fontweight="bold",
            color=LEVEL_COLORS[lever.split()[0]],
        )


def state_diagram_figure() -> Figure:
    """The model's states and transitions, with the mechanism on each arrow and the lever that
    acts on it (↑ raises, ↓ lowers)."""
    fig = new_figure(height=3.8)
    ax = fig.axes[0]
    ax.set_xlim(-0.1, 10.1)
    ax.set_ylim(0.3, 5.9)
    ax.set_axis_off()
    _box(ax, (0.9, 4.0), "Ej involverad", "#e8e8e8")
    _box(ax, (4.0, 4.0), "I riskzonen", "#fde6c8")
    _box(ax, (7.1, 4.0), "I nätverket", "#f6c6b0")
    _box(ax, (9.2, 1.3), "Avhoppad", "#cfe8d9")
    _box(ax, (5.0, 1.3), "Allvarligt\nskadad", "#d9d9d9")
    _arrow(ax, (1.75, 4.2), (3.15, 4.2))
    _label(ax, (2.45, 4.3), "push-faktorer,\nkontakter", "förebygga ↓")
    _arrow(ax, (3.15, 3.8), (1.75, 3.8))
    _label(ax, (2.45, 3.7), "tillbaka", "förhindra ↑", below=True)
    _arrow(ax, (4.85, 4.0), (6.25, 4.0))
    _label(ax, (5.55, 4.1), "pull-faktorer,\nkontakter", "förhindra ↓")
    _arrow(ax, (7.4, 3.55), (8.8, 1.75))
    _label(
        ax,
        (6.95, 2.75),
        "avhopp: karriär\noch rädsla håller\nkvar, våld puttar ut",
        "riskreducera ↑",
        below=True,
    )
    _arrow(ax, (9.45, 1.75), (7.9, 3.55), rad=0.35)
    _label(ax, (9.55, 2.75), "återfall")
    _arrow(ax, (6.75, 3.55), (5.45, 1.75))
    _label(ax, (5.15, 2.95), "våld", "riskreducera ↓", below=True)
    ax.text(
        7.1,
        4.95,
        "karriären byggs upp\nmånad för månad",
        ha="center",
        va="bottom",
        fontsize=7.3,
        style="italic",
        color="#555555",
    )
    ax.text(
        0.0,
        0.45,
        "Varje månad åldras alla; den som fyller 21 lämnar modellen och en ny 12-åring tar "
        "platsen.",
        fontsize=7.3,
        color="#555555",
    )
    return fig


# --- tables -------------------------------------------------------------------------------


def _format_value(value: float, integer: bool) -> str:
    """A parameter value in Swedish print: integers with thin spaces, others to four
    significant digits without trailing zeros (``0.0003 -> "0,0003"``, ``1.0 -> "1"``)."""
    if integer:
        return _thousands(value)
    return f"{value:.4g}".replace(".", ",")


def parameter_display(values: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The parameter table for the report: Parameter, Värde, Betydelse, Källa."""
    table = rec.parameter_table(values)
    integer = {p.name: p.integer for p in rec.PARAMETERS}
    return pd.DataFrame(
        {
            "Parameter": table["parameter"],
            "Värde": [
                _format_value(v, integer[n])
                for n, v in zip(table["parameter"], table["value"], strict=True)
            ],
            "Betydelse": table["meaning"],
            "Källa": table["source"],
        }
    )


def lever_display(inputs: rec.ModelInputs) -> pd.DataFrame:
    """The municipality's current levers in words: Nivå, Nuläge, Insatser med/utan deltagarantal."""
    table = rec.lever_table(inputs.levers, inputs.counts, inputs.profile)
    young = int(inputs.counts.sum())
    values = []
    for level, value in zip(table["level"], table["value"], strict=True):
        if level == "förebygga":
            values.append(
                f"{format_share(value, 1)} av 12–20-åringarna nås i genomsnitt per riskfaktor"
            )
        else:
            per_1000 = 1000 * value / young if young else 0
            values.append(
                f"{_thousands(value)} platser per år ({format_number(per_1000, 1)} per 1\u202f000 "
                "unga 12–20 år)"
            )
    return pd.DataFrame(
        {
            "Nivå": [level.capitalize() for level in table["level"]],
            "Nuläge i modellen": values,
            "Insatser som räknas": table["interventions"].astype(int),
            "Utan deltagarantal": table["without_participants"].astype(int),
        }
    )


def scenario_display(summary: pd.DataFrame) -> pd.DataFrame:
    """The scenario outcomes for the report, with 90 % bands over the ensemble."""

    def share(row, m):
        return (
            f"{format_share(row[m], 1)} ({format_share(row[m + '_low'], 1)}–"
            f"{format_share(row[m + '_high'], 1)})"
        )

    def count(row, m):
        return (
            f"{format_number(row[m], 0)} ({format_number(row[m + '_low'], 0)}–"
            f"{format_number(row[m + '_high'], 0)})"
        )

    def change(value, pct: bool):
        if value == 0:
            return "–"
        if pct:
            return f"{format_number(100 * value, 1, signed=True)} procentenheter"
        return format_number(value, 0, signed=True)

    return pd.DataFrame(
        {
            "Scenario": summary["label"],
            "Har varit i nätverket vid 21": [
                share(r, "share_involved_by_21") for _, r in summary.iterrows()
            ],
            "Skillnad mot nuläget": [
                change(v, True) for v in summary["share_involved_by_21_change"]
            ],
            "I nätverket efter 10 år": [count(r, "in_network_end") for _, r in summary.iterrows()],
            "Allvarligt skadade under 10 år": [count(r, "harmed") for _, r in summary.iterrows()],
            "Skillnad, skadade": [change(v, False) for v in summary["harmed_change"]],
        }
    )


# --- figures ------------------------------------------------------------------------------


def scenario_figure(results: rec.ScenarioResults, title: str | None = None) -> Figure:
    """Young people in the network month by month, per scenario: mean line and 90 % band."""
    bands = rec.scenario_bands(results)
    fig = new_figure(height=3.8)
    ax = fig.axes[0]
    labels = {sc.id: sc.label for sc in rec.SCENARIOS}
    for sc_id, group in bands.groupby("scenario", sort=False):
        color = SCENARIO_COLORS.get(sc_id, "#777777")
        years = group["month"] / 12
        ax.fill_between(years, group["low"], group["high"], color=color, alpha=0.12, lw=0)
        ax.plot(
            years,
            group["mean"],
            color=color,
            lw=2 if sc_id == "nulage" else 1.5,
            label=labels.get(sc_id, sc_id),
        )
    ax.set_xlabel("År från start")
    ax.set_ylabel("Unga i nätverket")
    ax.yaxis.set_major_formatter(_thousands)
    ax.set_xlim(0, bands["month"].max() / 12)
    ax.set_ylim(bottom=0)
    if title:
        ax.set_title(title, loc="left")
    ax.legend(loc="upper left", ncols=2, fontsize=8)
    _style_axes(ax)
    return fig


def outcome_figure(summary: pd.DataFrame) -> Figure:
    """Two outcomes per scenario as points with 90 % bands: the share who have been in the
    network by 21 and the number seriously harmed over the ten years."""
    fig = new_figure(height=2.9, ncols=2, sharey=True)
    y = np.arange(len(summary))[::-1]
    panels = [
        ("share_involved_by_21", "Har varit i nätverket vid 21 års ålder", 100, "%"),
        ("harmed", "Allvarligt skadade under tio år", 1, ""),
    ]
    for ax, (m, title, scale, unit) in zip(fig.axes, panels, strict=True):
        colors = [SCENARIO_COLORS.get(s, "#777777") for s in summary["scenario"]]
        mean = summary[m] * scale
        ax.hlines(
            y,
            summary[f"{m}_low"] * scale,
            summary[f"{m}_high"] * scale,
            colors=colors,
            lw=2.2,
            alpha=0.6,
        )
        ax.scatter(mean, y, color=colors, s=36, zorder=3)
        ax.axvline(mean.iloc[0], color="#333333", lw=0.8, ls="--")
        ax.set_title(title, loc="left", fontsize=9.5)
        ax.set_xlim(left=0)
        ax.xaxis.set_major_formatter(
            (lambda v, _p: format_number(v, 1) + "\u00a0%") if unit == "%" else _thousands
        )
        _style_axes(ax, grid_axis="x")
    fig.axes[0].set_yticks(y, summary["label"])
    return fig


def structure_figure(summary: pd.DataFrame) -> Figure:
    """Cascade size when the most central young people are reached versus as many at random."""
    fig = new_figure(height=3.2)
    ax = fig.axes[0]
    styles = {"central": ("De mest centrala", PALETTE[3]), "random": ("Slumpvis valda", "#777777")}
    for strategy, group in summary.groupby("strategy", sort=False):
        label, color = styles.get(strategy, (strategy, "#333333"))
        group = group.sort_values("removed")
        ax.plot(group["removed"], group["cascade_mean"], marker="o", color=color, label=label)
        if strategy == "random":
            ax.fill_between(
                group["removed"],
                group["cascade_p5"],
                group["cascade_p95"],
                color=color,
                alpha=0.15,
                lw=0,
                label="90\u00a0% av slumpdragningarna",
            )
    ax.set_xlabel("Antal unga som nås och tas ur nätverkets räckvidd")
    ax.set_ylabel("Nyrekryterade i kaskaden")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper right")
    _style_axes(ax)
    return fig


# --- sentences ----------------------------------------------------------------------------


def scenario_sentences(summary: pd.DataFrame, municipality: str) -> list[str]:
    """Plain-Swedish reading of the scenarios: the level now and what each lever changes."""
    s = summary.set_index("scenario")
    now = s.loc["nulage"]
    out = [
        f"Med dagens räckvidd har i modellen {format_share(now['share_involved_by_21'], 1)} av "
        f"de unga i {municipality} varit i nätverket när de fyller 21 "
        f"(90 % av körningarna: {format_share(now['share_involved_by_21_low'], 1)}–"
        f"{format_share(now['share_involved_by_21_high'], 1)}), och omkring "
        f"{format_number(now['harmed'], 0)} skadas allvarligt under tio år."
    ]
    levers = [sc for sc in rec.SCENARIOS if len(sc.strengthened) == 1]
    changes = {
        sc.id: s.loc[sc.id, "share_involved_by_21_change"] for sc in levers if sc.id in s.index
    }
    if changes:
        best = min(changes, key=changes.get)
        best_label = next(sc.strengthened[0] for sc in levers if sc.id == best)
        out.append(
            f"Av de tre hävstängerna var för sig minskar en förstärkning av *{best_label}* andelen "
            f"som dras in mest, med {format_number(-100 * changes[best], 1)} procentenheter."
        )
    if "riskreducera" in s.index:
        change = s.loc["riskreducera", "harmed_change"]
        people = "person" if round(abs(change)) == 1 else "personer"
        out.append(
            "Förstärkt riskreducerande arbete ändrar skadorna med "
            f"{format_number(change, 0, signed=True)} {people} "
            "under tio år; det verkar på dem som redan är inne, medan förebyggande och "
            "förhindrande arbete verkar på inflödet."
        )
    if "alla" in s.index:
        out.append(
            "Alla tre tillsammans ändrar andelen med "
            f"{format_number(100 * s.loc['alla', 'share_involved_by_21_change'], 1, signed=True)} "
            "procentenheter och de allvarligt skadade med "
            f"{format_number(s.loc['alla', 'harmed_change'], 0, signed=True)}."
        )
    return out
