"""Chapter 04's figures: the recruitment model's states, scenarios and outcomes, the cascade
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
    PALETTE,
    RC,
    new_figure,
    reads_white,
    style_axes,
    thousands_tick,
)
from fouanalys.present.text import format_number

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


def _draw_links(ax, graph, pos: dict, sspf: list, width) -> list:
    """The links: the SSPF core's missing pairs dotted, every link as wide as its weight (SSPF
    links on top), and the weights written on them when few. Returns the sorted links."""
    import itertools

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
    return edges


def _draw_actor_node(ax, x: float, y: float, actor, isolated: bool, count: int, area: float):
    """A present actor's filled circle with its number of interventions in it."""
    fill = ISOLATED_COLOR if isolated else SSPF_COLOR if actor.sspf else ACTOR_COLOR
    ax.scatter(
        [x],
        [y],
        s=area,
        color=fill,
        edgecolors=SSPF_COLOR if actor.sspf and isolated else "white",
        linewidths=2.0 if actor.sspf and isolated else 1.0,
        zorder=5,
        gid="actor-node",
    )
    ax.text(
        x,
        y,
        str(count),
        ha="center",
        va="center",
        fontsize=7.5,
        fontweight="bold",
        color="white" if reads_white(fill) else "#1d1d1d",
        zorder=6,
        gid="actor-count",
    )


def _draw_actor(ax, actor, pos: dict, graph, counts: dict, size) -> None:
    """One codebook actor at its place: a circle (or a dashed ring when absent) and its label
    outside the circle."""
    import textwrap

    x, y = pos[actor.id]
    present = actor.id in graph
    isolated = present and graph.degree(actor.id) == 0
    if present:
        _draw_actor_node(ax, x, y, actor, isolated, counts[actor.id], size(actor.id))
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
        literal(textwrap.fill(actor.label, 22, break_on_hyphens=False)),
        (x, y),
        xytext=(offset * x, offset * y),
        textcoords="offset points",
        ha=ha,
        va=va,
        fontsize=8,
        linespacing=1.05,
        fontweight="bold" if actor.sspf and present else "normal",
        fontstyle="normal" if present else "italic",
        color="#1d1d1d" if present and not isolated else "#666666" if present else "#8a8a8a",
        zorder=6,
        gid="actor-label" if present else "absent-label",
    )


def _dot(color: str, label: str, **kw):
    """A legend entry of a round marker."""
    from matplotlib.lines import Line2D

    style = {"marker": "o", "markersize": 8, "markeredgecolor": "white"} | kw
    return Line2D([], [], linestyle="none", color=color, label=label, **style)


def _collaboration_handles(graph, pos: dict, sspf: list, edges: list, heaviest: int, width):
    """Legend entries for the kinds of actors and links the drawing shows."""
    import itertools

    from matplotlib.lines import Line2D

    nodes = list(graph.nodes)
    isolated = [n for n in nodes if graph.degree(n) == 0]
    handles = []
    if any(n in sspf and graph.degree(n) > 0 for n in nodes):
        handles.append(_dot(SSPF_COLOR, "SSPF-aktör"))
    if any(n not in sspf and graph.degree(n) > 0 for n in nodes):
        handles.append(_dot(ACTOR_COLOR, "annan aktör"))
    if isolated:
        handles.append(_dot(ISOLATED_COLOR, "utan samverkanspartner"))
    if len(nodes) < len(pos):
        handles.append(
            _dot("white", "ingen pågående insats", markeredgecolor=ABSENT_COLOR, markersize=6)
        )
    if any(a in sspf and b in sspf for a, b, _w in edges):
        handles.append(Line2D([], [], color=SSPF_COLOR, lw=2.2, label="samverkan inom SSPF"))
    if any(not (a in sspf and b in sspf) for a, b, _w in edges):
        handles.append(Line2D([], [], color=LINK_COLOR, lw=2.2, alpha=0.6, label="övrig samverkan"))
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
    return handles


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
    import matplotlib as mpl

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

    with mpl.rc_context(RC):
        fig = Figure(figsize=(FIG_WIDTH, 5.9), dpi=FIG_DPI, layout="constrained")
        ax = fig.subplots()
        ax.set_aspect("equal")
        ax.set_xlim(-1.95, 1.95)
        ax.set_ylim(-1.3, 1.3)
        ax.set_axis_off()
        edges = _draw_links(ax, graph, pos, sspf, width)
        for actor in codebook.actors:
            _draw_actor(ax, actor, pos, graph, counts, size)
        if graph.number_of_nodes() == 0:
            note_text(ax, 0, 0, "Inga pågående insatser", 9, ha="center", gid="empty")
        handles = _collaboration_handles(graph, pos, sspf, edges, heaviest, width)
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


def _comparison_panel(ax, values, panel: tuple, y, colors: list, current: list, empty: list):
    """One panel of the comparison: a bar per municipality with its value, the mean dashed."""
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
            bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "edgecolor": "none"},
            zorder=4,
            gid="value",
        )
    shown = [v for v, none in zip(values, empty, strict=True) if not none]
    if shown:
        ax.axvline(float(np.mean(shown)), color="#333333", lw=0.9, linestyle="--", gid="mean")
    ax.set_xlim(0, limit * 1.22)
    ax.set_title(heading, fontsize=8.5, loc="left")
    if column == "density":
        ax.xaxis.set_major_locator(FixedLocator([0, 0.25, 0.5, 0.75, 1]))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda v, _p, c=column: format_number(v, 2 if c == "density" else 0))
    )
    style_axes(ax, grid_axis="x")
    ax.tick_params(axis="y", length=0)


def _comparison_legend(
    fig: Figure, municipality_code: str | None, names: list, codes: list
) -> None:
    """The highlighted municipality, the others and the mean line, under the plot."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Line2D([], [], color="#333333", lw=0.9, linestyle="--", label="medel för kommunerna")
    ]
    if municipality_code is not None:
        handles.insert(0, Patch(color=HIGHLIGHT_COLOR, label=names[codes.index(municipality_code)]))
        handles.insert(1, Patch(color=OTHERS_COLOR, label="övriga kommuner"))
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=7.5)


def collaboration_comparison_figure(
    regional: pd.DataFrame, municipality_code: str | None = None
) -> Figure:
    """The collaboration networks of all municipalities side by side.

    From ``samverkan.regional_collaboration``: three panels of horizontal bars sharing the
    municipalities (in the frame's order, top to bottom): actors in the network, density
    (0–1) and SSPF pairs that share an ongoing intervention (of ``sspf_pairs``, 6). Each bar
    carries its value (decimal comma); a dashed line marks the mean of the municipalities
    (``gid="mean"``). The municipality ``municipality_code`` is highlighted (coloured bars
    ``gid="bar-current"``, bold name); the others are light grey (``gid="bar-other"``). A
    municipality without ongoing interventions says so instead of bars.
    """
    import matplotlib as mpl

    codes = regional["municipality_code"].astype(str).tolist()
    if municipality_code is not None and municipality_code not in codes:
        raise NetworkModelError(
            f"Kommunen '{municipality_code}' finns inte i den regionala jämförelsen av samverkan "
            f"(där finns: {', '.join(codes)})."
        )
    names = regional["municipality"].astype(str).tolist()
    y = np.arange(len(codes))
    current = [c == municipality_code for c in codes]
    colors = [HIGHLIGHT_COLOR if c else OTHERS_COLOR for c in current]
    pairs = int(regional["sspf_pairs"].max()) if "sspf_pairs" in regional and len(codes) else 6
    empty = (
        (regional["interventions"] == 0).tolist()
        if "interventions" in regional
        else (regional["actors"] == 0).tolist()
    )
    panels = [
        ("actors", "Aktörer i nätverket", lambda v: f"{int(v)}", None),
        ("density", "Täthet (0–1)", lambda v: format_number(v, 2), 1.0),
        ("sspf_links", f"SSPF-par som samverkar\n(av {pairs})", lambda v: f"{int(v)}", pairs),
    ]

    with mpl.rc_context(RC):
        fig = Figure(
            figsize=(FIG_WIDTH, 1.3 + 0.32 * max(len(codes), 1)), dpi=FIG_DPI, layout="constrained"
        )
        axes = fig.subplots(1, 3, sharey=True)
        for ax, panel in zip(axes, panels, strict=True):
            values = pd.to_numeric(regional[panel[0]], errors="coerce").fillna(0).to_numpy(float)
            _comparison_panel(ax, values, panel, y, colors, current, empty)
        axes[0].set_yticks(y, names)
        axes[0].set_ylim(len(codes) - 0.5, -0.5)
        for tick, is_current in zip(axes[0].get_yticklabels(), current, strict=True):
            if is_current:
                tick.set_fontweight("bold")
        _comparison_legend(fig, municipality_code, names, codes)
        fig.suptitle("Samverkan kommun för kommun", fontweight="bold", fontsize=10.5)
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
