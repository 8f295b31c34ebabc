"""Chapter 05's figures: the recruitment model's states, scenarios and outcomes, the cascade
experiment, and the collaboration network with its regional comparison.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

if TYPE_CHECKING:
    from fouanalys.codebook import Codebook
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from fouanalys import recruitment as rec
from fouanalys.codebook import load_codebook
from fouanalys.exceptions import NetworkModelError
from fouanalys.present.figures import literal, note_text
from fouanalys.present.style import (
    FIG_DPI,
    FIG_WIDTH,
    GAP_COLORS,
    PALETTE,
    RC,
    new_figure,
    reads_white,
    style_axes,
    thousands_tick,
)
from fouanalys.present.text import format_number, join_words

# --- chapter 05, Nätverksdynamik och samverkan: the collaboration network -------------------

#: Colours of the collaboration drawings: the SSPF core's frame and labels, the shared
#: interventions (a cell's shade grows with their number) and a missing SSPF pair.
SSPF_COLOR = "#d55e00"
SHARED_CMAP = "Blues"
SSPF_SHARED_CMAP = "Oranges"
MISSING_COLOR = GAP_COLORS["saknas"]
DIAGONAL_COLOR = "#ececec"
#: Highlight of the current municipality in regional comparisons, and of the others.
HIGHLIGHT_COLOR = "#0173b2"
OTHERS_COLOR = "#c5cfd9"
#: Row labels of the actor matrix wrap at this many characters.
ACTOR_LABEL_WIDTH = 24


def _shade(cmap, value: int, heaviest: int):
    """A cell's colour: light for one shared intervention, darkest for the most."""
    return cmap(0.18 + 0.72 * value / max(heaviest, 1))


def _matrix_cell(ax, i: int, j: int, color, text: str, text_color: str, gid: str, **kw):
    """One cell of a matrix (row ``i``, column ``j``) with its text, both carrying ``gid``."""
    from matplotlib.patches import Rectangle

    ax.add_patch(
        Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=color, edgecolor="white", lw=1.2, gid=gid)
    )
    if text:
        style = {"fontsize": 7.5} | kw
        ax.text(j, i, text, ha="center", va="center", color=text_color, gid=gid, **style)


def _shared_cell(ax, i: int, j: int, shared: int, cmap, heaviest: int, missing_size=7.5):
    """A cell of shared interventions, shaded by their number (``gid="shared"``), or, when
    there are none, "saknas" in red (``gid="sspf-missing"``: a missing part of SSPF)."""
    if shared:
        color = _shade(cmap, shared, heaviest)
        text_color = "white" if reads_white(color) else "#1d1d1d"
        _matrix_cell(ax, i, j, color, str(shared), text_color, "shared")
    else:
        _matrix_cell(
            ax,
            i,
            j,
            "white",
            "saknas",
            MISSING_COLOR,
            "sspf-missing",
            fontsize=missing_size,
            fontweight="bold",
        )


def _actor_matrix(graph, ids: list[str]) -> np.ndarray:
    """Shared ongoing interventions of every pair of ``ids`` (0 on the diagonal)."""
    n = len(ids)
    shared = np.zeros((n, n), dtype=int)
    for i, a in enumerate(ids):
        for j, b in enumerate(ids):
            if i != j and graph.has_edge(a, b):
                shared[i, j] = int(graph.edges[a, b].get("weight", 1))
    return shared


def collaboration_figure(
    graph, codebook: Codebook | None = None, title: str | None = None
) -> Figure:
    """Who works with whom: the actors of ``samverkan.collaboration_graph`` as a matrix.

    One row and one column per actor in the network, in codebook order (the SSPF core first,
    inside an orange frame, ``gid="sspf-block"``); rows are named ("1 Skola"), columns
    numbered the same way. A cell holds the number of ongoing interventions the two actors run
    together (``gid="shared"``), shaded by it; an empty cell means none. An SSPF pair without a
    shared intervention is marked "saknas" in red (``gid="sspf-missing"``). The diagonal
    (grey, ``gid="diagonal"``) holds the ongoing interventions the actor takes part in. Codebook
    actors in no ongoing intervention are named under the matrix (``gid="absent"``). Read a row
    to see an actor's partners: unlike a drawn network it stays readable with every actor
    linked to every other.
    """
    import textwrap

    import matplotlib as mpl
    from matplotlib.patches import Rectangle

    codebook = codebook or load_codebook()
    actors = [a for a in codebook.actors if a.id in graph]
    ids = [a.id for a in actors]
    n = len(ids)
    shared = _actor_matrix(graph, ids)
    heaviest = int(shared.max(initial=0))
    cmap = mpl.colormaps[SHARED_CMAP]
    absent = [a.label for a in codebook.actors if a.id not in graph]

    with mpl.rc_context(RC):
        fig = Figure(figsize=(FIG_WIDTH, 1.9 + 0.34 * max(n, 3)), dpi=FIG_DPI, layout="constrained")
        ax = fig.subplots()
        for i, a in enumerate(actors):
            for j, b in enumerate(actors):
                w = int(shared[i, j])
                if i == j:
                    count = str(int(graph.nodes[a.id].get("interventions", 0)))
                    _matrix_cell(
                        ax, i, j, DIAGONAL_COLOR, count, "#555555", "diagonal", style="italic"
                    )
                elif w or (a.sspf and b.sspf):
                    _shared_cell(ax, i, j, w, cmap, heaviest, missing_size=6.5)
        core = sum(a.sspf for a in actors)
        if core:
            ax.add_patch(
                Rectangle(
                    (-0.5, -0.5),
                    core,
                    core,
                    fill=False,
                    edgecolor=SSPF_COLOR,
                    lw=2.0,
                    zorder=5,
                    gid="sspf-block",
                )
            )
        ax.set_xlim(-0.5, max(n, 1) - 0.5)
        ax.set_ylim(max(n, 1) - 0.5, -0.5)
        ax.set_aspect("equal")
        ax.set_yticks(
            range(n),
            [
                literal(textwrap.fill(f"{k} {a.label}", ACTOR_LABEL_WIDTH, subsequent_indent="   "))
                for k, a in enumerate(actors, start=1)
            ],
            fontsize=7.5,
            linespacing=1.0,
        )
        for tick, actor in zip(ax.get_yticklabels(), actors, strict=True):
            if actor.sspf:
                tick.set_fontweight("bold")
                tick.set_color(SSPF_COLOR)
        ax.set_xticks(range(n), [str(k) for k in range(1, n + 1)], fontsize=7.5)
        ax.xaxis.tick_top()
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if n == 0:
            ax.set_xlim(-1, 1)
            ax.set_ylim(-1, 1)
            note_text(ax, 0, 0, "Inga pågående insatser", 9, ha="center", gid="empty")
            ax.set_axis_off()
        notes = [
            "Siffran i rutan: pågående insatser som de två aktörerna driver tillsammans; tom "
            "ruta: ingen gemensam insats. Grå diagonal: pågående insatser som aktören deltar i. "
            "Orange ram: SSPF (skola, socialtjänst, polis och fritid)."
        ]
        if absent:
            notes.append(f"Ingen pågående insats: {join_words(absent)}.")
        fig.supxlabel(
            literal(textwrap.fill(" ".join(notes), 120)),
            fontsize=7.5,
            color="#333333",
            gid="absent" if absent else "note",
        )
        if title is None:
            where = graph.graph.get("municipality")
            title = "Samverkan mellan aktörerna" + (f" i {where}" if where else "")
        if title:
            fig.suptitle(title, fontweight="bold", fontsize=10.5)
    return fig


def _comparison_panel(ax, values, panel: tuple, y, colors: list, current: list, empty: list):
    """One panel of the comparison: a bar per municipality with its value after it, and the
    mean of the municipalities in the panel's title (a line across the bars would cross their
    values)."""
    from matplotlib.ticker import FixedLocator

    column, heading, fmt, top = panel
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
            gid="value",
        )
    shown = [v for v, none in zip(values, empty, strict=True) if not none]
    mean = f"\n(medel {fmt(float(np.mean(shown)))})" if shown else ""
    ax.set_xlim(0, limit * 1.25)
    ax.set_title(heading + mean, fontsize=8.5, loc="left")
    if column == "density":
        ax.xaxis.set_major_locator(FixedLocator([0, 0.25, 0.5, 0.75, 1]))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda v, _p, c=column: format_number(v, 2 if c == "density" else 0))
    )
    style_axes(ax, grid_axis="x")
    ax.tick_params(axis="y", length=0)


def _highlight_legend(fig: Figure, municipality_code: str | None, names: list, codes: list):
    """The highlighted municipality and the others, under the plot."""
    from matplotlib.patches import Patch

    if municipality_code is None:
        return
    handles = [
        Patch(color=HIGHLIGHT_COLOR, label=names[codes.index(municipality_code)]),
        Patch(color=OTHERS_COLOR, label="övriga kommuner"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=7.5)


def _check_code(codes: list[str], municipality_code: str | None) -> None:
    if municipality_code is not None and municipality_code not in codes:
        raise NetworkModelError(
            f"Kommunen '{municipality_code}' finns inte i den regionala jämförelsen av samverkan "
            f"(där finns: {', '.join(codes)})."
        )


def collaboration_comparison_figure(
    regional: pd.DataFrame, municipality_code: str | None = None
) -> Figure:
    """The size and density of every municipality's collaboration network, side by side.

    From ``samverkan.regional_collaboration``: two panels of horizontal bars sharing the
    municipalities (in the frame's order, top to bottom): actors in the network and density
    (0–1). Each bar carries its value (decimal comma); each panel's title gives the mean of
    the municipalities. The municipality ``municipality_code`` is highlighted (coloured bars
    ``gid="bar-current"``, bold name); the others are light grey (``gid="bar-other"``). A
    municipality without ongoing interventions says so instead of bars. Which parts of SSPF
    exist is :func:`sspf_pair_figure`'s.
    """
    import matplotlib as mpl

    codes = regional["municipality_code"].astype(str).tolist()
    _check_code(codes, municipality_code)
    names = regional["municipality"].astype(str).tolist()
    y = np.arange(len(codes))
    current = [c == municipality_code for c in codes]
    colors = [HIGHLIGHT_COLOR if c else OTHERS_COLOR for c in current]
    empty = (
        (regional["interventions"] == 0).tolist()
        if "interventions" in regional
        else (regional["actors"] == 0).tolist()
    )
    panels = [
        (
            "actors",
            "Aktörer i nätverket",
            lambda v: format_number(v, 0 if v == int(v) else 1),
            None,
        ),
        ("density", "Täthet (0–1)", lambda v: format_number(v, 2), 1.0),
    ]

    with mpl.rc_context(RC):
        fig = Figure(
            figsize=(FIG_WIDTH, 1.4 + 0.3 * max(len(codes), 1)), dpi=FIG_DPI, layout="constrained"
        )
        axes = fig.subplots(1, 2, sharey=True)
        for ax, panel in zip(axes, panels, strict=True):
            values = pd.to_numeric(regional[panel[0]], errors="coerce").fillna(0).to_numpy(float)
            _comparison_panel(ax, values, panel, y, colors, current, empty)
        axes[0].set_yticks(y, names)
        axes[0].set_ylim(len(codes) - 0.5, -0.5)
        for tick, is_current in zip(axes[0].get_yticklabels(), current, strict=True):
            if is_current:
                tick.set_fontweight("bold")
        _highlight_legend(fig, municipality_code, names, codes)
        fig.suptitle("Samverkan kommun för kommun", fontweight="bold", fontsize=10.5)
    return fig


def sspf_pair_figure(
    pairs: pd.DataFrame, codebook: Codebook | None = None, municipality_code: str | None = None
) -> Figure:
    """Which parts of SSPF exist, municipality by municipality.

    From ``samverkan.sspf_pairs``: a row per municipality (codebook order), a column per pair
    of SSPF actors; a cell holds the ongoing interventions the pair runs together, shaded by it
    (``gid="shared"``), or "saknas" in red where the pair has none (``gid="sspf-missing"``).
    The municipality ``municipality_code`` has its name in bold and its row framed
    (``gid="current"``).
    """
    import matplotlib as mpl
    from matplotlib.patches import Rectangle

    codebook = codebook or load_codebook()
    labels = codebook.labels("actors")
    codes = [
        m.code for m in codebook.municipalities if (pairs["municipality_code"] == m.code).any()
    ]
    _check_code(codes, municipality_code)
    order = list(dict.fromkeys(zip(pairs["actor_a"], pairs["actor_b"], strict=True)))
    shared = pairs.set_index(["municipality_code", "actor_a", "actor_b"])["shared"]
    heaviest = int(pairs["shared"].max()) if len(pairs) else 1
    cmap = mpl.colormaps[SSPF_SHARED_CMAP]

    with mpl.rc_context(RC):
        fig = Figure(
            figsize=(FIG_WIDTH, 1.6 + 0.3 * max(len(codes), 1)), dpi=FIG_DPI, layout="constrained"
        )
        ax = fig.subplots()
        for i, code in enumerate(codes):
            for j, (a, b) in enumerate(order):
                _shared_cell(ax, i, j, int(shared.get((code, a, b), 0)), cmap, heaviest)
        if municipality_code is not None:
            i = codes.index(municipality_code)
            ax.add_patch(
                Rectangle(
                    (-0.5, i - 0.5),
                    len(order),
                    1,
                    fill=False,
                    edgecolor="#1d1d1d",
                    lw=1.6,
                    zorder=5,
                    gid="current",
                )
            )
        ax.set_xlim(-0.5, max(len(order), 1) - 0.5)
        ax.set_ylim(max(len(codes), 1) - 0.5, -0.5)
        ax.set_yticks(range(len(codes)), [codebook.municipality_name(c) for c in codes])
        for tick, code in zip(ax.get_yticklabels(), codes, strict=True):
            if code == municipality_code:
                tick.set_fontweight("bold")
        ax.set_xticks(
            range(len(order)), [f"{labels[a]}–\n{labels[b]}" for a, b in order], fontsize=7.5
        )
        ax.xaxis.tick_top()
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        fig.supxlabel(
            "Siffran: pågående insatser som paret driver tillsammans. saknas: paret har ingen "
            "gemensam pågående insats.",
            fontsize=7.5,
            color="#333333",
        )
        fig.suptitle(
            "SSPF-samverkan kommun för kommun: gemensamma insatser per par",
            fontweight="bold",
            fontsize=10.5,
        )
    return fig


#: Colour of each scenario in the figures (nuläge dark grey, each lever its own colour).
SCENARIO_COLORS = {
    "nulage": "#333333",
    "forebygga": PALETTE[2],
    "forhindra": PALETTE[0],
    "riskreducera": PALETTE[3],
    "alla": PALETTE[4],
}
LEVEL_COLORS = {"förebygga": PALETTE[2], "förhindra": PALETTE[0], "riskreducera": PALETTE[3]}


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


# --- figures ------------------------------------------------------------------------------


#: Opacity of a scenario's band in the scenario figure (nuläge's band is drawn as dotted lines).
SCENARIO_BAND_ALPHA = 0.3


def scenario_figure(results: rec.ScenarioResults, title: str | None = None) -> Figure:
    """Young people in the network per 1 000 in the model, month by month: one panel per
    strengthened scenario, each with nuläge for comparison (line: mean over the runs; band:
    10th–90th percentile). At most two bands share a panel, so they stay readable in print."""
    bands = rec.scenario_bands(results)
    labels = {sc.id: sc.label for sc in rec.SCENARIOS}
    reference_id = rec.SCENARIOS[0].id
    others = [sc for sc in dict.fromkeys(bands["scenario"]) if sc != reference_id]
    ncols = 2 if len(others) > 1 else 1
    nrows = max(1, -(-len(others) // ncols))
    fig = Figure(figsize=(FIG_WIDTH, 1.3 + 2.0 * nrows), dpi=FIG_DPI, layout="constrained")
    import matplotlib as mpl

    with mpl.rc_context(RC):
        axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    reference = bands[bands["scenario"] == reference_id]
    top = float(bands["high"].max()) if len(bands) else 1.0
    for ax, sc_id in zip(axes, others, strict=False):
        ref_color = SCENARIO_COLORS[reference_id]
        if not reference.empty:
            years = reference["month"] / 12
            for bound in ("low", "high"):  # nuläge's band as two thin dotted lines, no fill
                ax.plot(years, reference[bound], color=ref_color, lw=0.8, ls=":")
            ax.plot(years, reference["mean"], color=ref_color, lw=1.4, label=labels[reference_id])
        group = bands[bands["scenario"] == sc_id]
        color = SCENARIO_COLORS.get(sc_id, "#777777")
        years = group["month"] / 12
        ax.fill_between(
            years, group["low"], group["high"], color=color, alpha=SCENARIO_BAND_ALPHA, lw=0
        )
        ax.plot(years, group["mean"], color=color, lw=1.8, label=labels.get(sc_id, sc_id))
        ax.set_title(labels.get(sc_id, sc_id), loc="left", fontsize=9.5)
        ax.set_xlim(0, bands["month"].max() / 12)
        ax.set_ylim(0, top * 1.05 if top > 0 else 1)
        ax.yaxis.set_major_formatter(thousands_tick)
        ax.xaxis.set_major_formatter(thousands_tick)
        ax.legend(loc="upper right", fontsize=7.5, frameon=False)
        style_axes(ax)
    for ax in axes[len(others) :]:
        ax.set_visible(False)
    for ax in axes[::ncols]:
        ax.set_ylabel("I nätverket per\n1\u202f000 unga i modellen", fontsize=8.5)
    for ax in axes[(nrows - 1) * ncols :]:
        ax.set_xlabel("År från start")
    if title:
        fig.suptitle(title, x=0.01, ha="left")
    return fig


def outcome_figure(summary: pd.DataFrame) -> Figure:
    """What each strengthened lever changes against nuläge in the model, in percent of nuläge
    in the same run: recruitments and people seriously harmed, median (point) and 10th–90th
    percentile over the runs (bar). Nuläge is the zero line."""
    rows = summary[summary["scenario"] != rec.SCENARIOS[0].id].reset_index(drop=True)
    fig = new_figure(height=0.9 + 0.45 * max(len(rows), 1), ncols=2, sharey=True)
    y = np.arange(len(rows))[::-1]
    panels = [
        ("recruited", "Rekryterade"),
        ("harmed", "Allvarligt skadade"),
    ]
    colors = [SCENARIO_COLORS.get(s, "#777777") for s in rows["scenario"]]
    for ax, (m, title) in zip(fig.axes, panels, strict=True):
        ax.hlines(y, 100 * rows[f"{m}_rel_low"], 100 * rows[f"{m}_rel_high"], colors=colors, lw=2.4)
        ax.scatter(100 * rows[f"{m}_rel"], y, color=colors, s=36, zorder=3, edgecolors="white")
        ax.axvline(0, color=SCENARIO_COLORS[rec.SCENARIOS[0].id], lw=0.9, ls="--")
        ax.set_title(title, loc="left", fontsize=9.5)
        ax.set_xlabel("Förändring mot nuläget i samma körning", fontsize=8.5)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda v, _p: format_number(v, signed=True) + "\u00a0%")
        )
        style_axes(ax, grid_axis="x")
    fig.axes[0].set_yticks(y, rows["label"])
    fig.axes[0].set_ylim(-0.6, len(rows) - 0.4)
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
    style_axes(ax)
    return fig
