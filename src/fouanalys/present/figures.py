"""Figure helpers every chapter shares: captions, heatmaps, legends, text measurements."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from fouanalys.codebook import Codebook
from fouanalys.present.labels import KIND_LABELS, age_span
from fouanalys.present.style import FIG_DPI, UNKNOWN_STYLE


def move_legend_below(fig: Figure, ax, ncols: int) -> None:
    """Replace an axes legend with one figure legend under the plot."""
    handles, labels = ax.get_legend_handles_labels()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=ncols)


def hbar_plot(ax, data: pd.DataFrame, x: str, y: str, hue: str, order, hue_order, palette, **kw):
    """Horizontal seaborn bars of ``x`` per ``y`` category in ``order``, one per ``hue``."""
    import seaborn as sns

    return sns.barplot(
        data=data,
        x=x,
        y=y,
        hue=hue,
        order=order,
        hue_order=hue_order,
        palette=palette,
        orient="h",
        ax=ax,
        **kw,
    )


def _kind_runs(factors: list, info: pd.DataFrame) -> list[tuple[str, int, int]]:
    """Each kind of ``info`` (indexed by factor) in order, with its first and last position."""
    runs = []
    for kind in dict.fromkeys(info["kind"]):
        at = [i for i, f in enumerate(factors) if info.at[f, "kind"] == kind]
        runs.append((kind, min(at), max(at)))
    return runs


def draw_kind_divisions(
    ax, factors: list, info: pd.DataFrame, rows: bool, offset: float, upper: bool = False, **kw
) -> None:
    """A line between the kinds of ``factors`` (risk, protective) along the rows or columns of
    a heatmap, and each kind's name at ``offset`` across the axis (``kw`` styles the name)."""

    runs = _kind_runs(factors, info)
    line = ax.axhline if rows else ax.axvline
    for _kind, first, _last in runs[1:]:
        line(first, color="#12355b", lw=1.2)
    for kind, first, last in runs:
        label = KIND_LABELS.get(kind, kind)
        middle = (first + last + 1) / 2
        ax.text(
            *((offset, middle) if rows else (middle, offset)),
            label.upper() if upper else label,
            transform=ax.get_yaxis_transform() if rows else ax.get_xaxis_transform(),
            color="#12355b",
            **kw,
        )


def note_text(ax, x: float, y: float, text: str, fontsize: float, italic: bool = True, **kw):
    """Grey text, vertically centred, saying a panel or band has nothing to show."""
    style = {"style": "italic"} if italic else {}
    return ax.text(x, y, text, va="center", fontsize=fontsize, color="#666666", **style, **kw)


def cell_text(
    ax, x: float, y: float, text: str, fontsize: float, color: str, zorder: float = 3, **kw
):
    """A heatmap cell's text, horizontally centred at (x, y) and drawn above the cells."""
    return ax.text(x, y, text, ha="center", fontsize=fontsize, color=color, zorder=zorder, **kw)


def cell_rect(ax, x: float, y: float, width: float, height: float, **style):
    """Add a rectangle over part of a heatmap cell (a fill, a frame or an outline)."""
    from matplotlib.patches import Rectangle

    return ax.add_patch(Rectangle((x, y), width, height, **style))


def unknown_cell(x: float, y: float, width: float, height: float):
    """The hatched patch over a heatmap cell whose reach is unknown."""
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), width, height, zorder=1, gid="unknown", **UNKNOWN_STYLE)


def literal(text: object) -> str:
    """Free text for a matplotlib label: ``$`` escaped so it never starts mathtext."""
    return str(text).replace("$", r"\$")


def stage_ticks(codebook: Codebook, width: int = 14) -> list[str]:
    """Stage labels for an axis: the name wrapped, the ages below ("Högstadium\\n13–15 år")."""
    import textwrap

    return [
        textwrap.fill(s.label, width=width, break_long_words=False)
        + "\n"
        + age_span(s.age_from, s.age_to)
        for s in sorted(codebook.life_stages, key=lambda s: s.age_from)
    ]


def text_width(text: str, size: float) -> float:
    """Width in inches of ``text`` set in DejaVu Sans at ``size`` points."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    prop = FontProperties(family="DejaVu Sans", size=size)
    width, _height, _descent = text_to_path.get_text_width_height_descent(text, prop, ismath=False)
    return float(width) / 72


def heatmap(ax, matrix: pd.DataFrame, cmap, norm):
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


# --- layout checks -------------------------------------------------------------------------

#: Two texts overlap when their intersection covers more than this share of the smaller one
#: (glyph boxes include some air: a touch is not an overlap).
OVERLAP_SHARE = 0.15
#: How far (pixels at the figure's dpi) a text may stick out of the figure before it is cut.
CUT_TOLERANCE_PX = 1.0


def _visible_texts(fig: Figure) -> list:
    """The texts a drawn figure shows: tick labels only of the ticks inside the view (the
    others exist but are not drawn)."""
    from matplotlib.text import Text

    every_tick_label, drawn = set(), []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for axis in ax._axis_map.values():
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                every_tick_label.update({id(tick.label1), id(tick.label2)})
            if not (ax.axison and axis.get_visible()):
                continue
            for tick in axis._update_ticks():
                drawn += [lab for lab in (tick.label1, tick.label2) if lab.get_visible()]
    texts = [t for t in fig.findobj(match=Text) if id(t) not in every_tick_label] + drawn
    return [
        t
        for t in texts
        if t.get_visible()
        and (t.axes is None or t.axes.get_visible())
        and t.get_text().strip()
        and t.get_alpha() != 0
    ]


def _describe(text) -> str:
    words = " ".join(text.get_text().split())
    return f"'{words[:40]}{'…' if len(words) > 40 else ''}'"


def _agg_canvas(fig: Figure):
    """The figure's Agg canvas, made its canvas if it has none that renders."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if fig.canvas is None or not hasattr(fig.canvas, "get_renderer"):
        return FigureCanvasAgg(fig)
    return fig.canvas


def layout_faults(fig: Figure) -> list[str]:
    """What a reader would see as broken in ``fig`` at its print size, in Swedish: a text cut
    at the figure's edge, or two texts drawn over each other. Empty when the figure is clean.

    Checks every visible text (titles, labels, tick labels, legends, annotations) by its box
    on the rendered figure: a box outside the figure by more than :data:`CUT_TOLERANCE_PX`, or
    two boxes whose intersection covers more than :data:`OVERLAP_SHARE` of the smaller one.
    """
    canvas = _agg_canvas(fig)
    canvas.draw()
    return _drawn_faults(fig, canvas.get_renderer())


def _drawn_faults(fig: Figure, renderer) -> list[str]:
    """:func:`layout_faults` of a figure as ``renderer`` last drew it (no new draw)."""
    width, height = fig.bbox.width, fig.bbox.height
    boxes = [(t, t.get_window_extent(renderer)) for t in _visible_texts(fig)]
    faults = []
    for text, box in boxes:
        if (
            box.x0 < -CUT_TOLERANCE_PX
            or box.y0 < -CUT_TOLERANCE_PX
            or box.x1 > width + CUT_TOLERANCE_PX
            or box.y1 > height + CUT_TOLERANCE_PX
        ):
            faults.append(f"texten {_describe(text)} går utanför figurens kant")
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1 :]:
            w = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
            h = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
            if w <= 0 or h <= 0:
                continue
            smaller = min(box_a.width * box_a.height, box_b.width * box_b.height)
            if smaller > 0 and w * h > OVERLAP_SHARE * smaller:
                faults.append(f"texterna {_describe(a)} och {_describe(b)} ligger över varandra")
    return faults


# --- captions -------------------------------------------------------------------------------


class Captioned:
    """A figure with its caption, for the report: ``display(captioned(fig, "Text"))``.

    Displays as the figure's PNG with the caption in the output's metadata
    (``{"fouanalys": {"caption": ...}}``, with ``layout_faults`` when :func:`layout_faults`
    finds cut or overlapping text); the report template numbers the figures of a chapter and
    prints "Figur N. Text" under each. ``figure`` stays a plain matplotlib Figure that a
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

        # The PNG is drawn on the figure's own Agg canvas, whose renderer then holds that
        # draw: the layout check reads the texts as printed, without a third draw.
        canvas = _agg_canvas(self.figure)
        png = self._png()
        data = {
            "image/png": base64.b64encode(png).decode("ascii"),
            "text/plain": f"<Figur: {self.caption}>",
        }
        meta = {"caption": self.caption}
        faults = (
            _drawn_faults(self.figure, canvas.get_renderer())
            if self.figure.dpi == FIG_DPI
            else layout_faults(self.figure)
        )
        if faults:
            meta["layout_faults"] = faults
        return data, {"fouanalys": meta}


def captioned(figure: Figure, caption: str) -> Captioned:
    """Wrap a figure with its caption for display in a report chapter."""
    return Captioned(figure, caption)
