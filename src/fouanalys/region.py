"""Chapter 05, *Regional översikt*: all municipalities side by side.

Pure functions over the processed tables (``prevalence``, ``priorities``, ``coverage``) and
``samverkan.regional_collaboration``, each returning a tidy frame or Swedish sentences, and the
chapter's figures built from those frames (each returns a matplotlib
:class:`~matplotlib.figure.Figure`). Nothing here reads files or computes statistics afresh.

Conventions:

- The side-by-side views use one survey year (by default the latest year the region has rows
  for), all grades and both sexes (the codebook's ``all_label``).
- *Elevated* is the priorities table's flag: statistically certainly worse than the rest of the
  region (a risk factor more common, a protective factor less common). A suppressed row is never
  elevated.
- Disclosure: a suppressed survey cell carries no number here, neither share nor interval nor
  count; it shows as ``"–"`` (grey in figures).
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from fouanalys.codebook import Codebook, load_codebook
from fouanalys.coverage import THIN_REACH_PER_1000, regional_coverage, stage_phrase
from fouanalys.exceptions import FouanalysError
from fouanalys.kartlaggning import coverage_cells, format_reach
from fouanalys.riskfaktorer import (
    DASH,
    KIND_LABELS,
    PROFILE_KINDS,
    format_number,
    format_share,
    wrap_label,
)

log = logging.getLogger("fouanalys")

#: Row label of the whole region in the side-by-side figures and tables.
REGION_LABEL = "Hela regionen"
#: Marker of an elevated cell: a risk factor more common (▲), a protective factor less common (▼).
ELEVATED_MARKS = {"risk": "▲", "protective": "▼"}
#: A municipality's coverage cell counts as thin when its known reach is below this share of the
#: region's reach in the same cell.
THIN_SHARE_OF_REGION = 0.5
#: At most this many factors are named in a municipality's sentence.
MAX_NAMED_FACTORS = 3

HEATMAP_COLUMNS = [
    "municipality_code",
    "municipality",
    "is_region",
    "year",
    "factor",
    "label",
    "kind",
    "n",
    "share",
    "ci_low",
    "ci_high",
    "suppressed",
    "elevated",
    "state",
    "text",
]

_ELEVATED_COLOR = "#a4000f"
_POINT_COLOR = "#0173b2"
_SUPPRESSED_COLOR = "#e4e4e4"
_KIND_CMAPS = {"risk": "YlOrBr", "protective": "GnBu"}


# --- helpers --------------------------------------------------------------------------------


def _all_rows(frame: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    all_label = codebook.survey.all_label
    return frame.loc[(frame["grade"] == all_label) & (frame["sex"] == all_label)]


def survey_year(prevalence: pd.DataFrame, codebook: Codebook | None = None) -> int:
    """The latest survey year with all-students rows for the region (else for anyone)."""
    codebook = codebook or load_codebook()
    rows = _all_rows(prevalence, codebook)
    region = rows.loc[rows["municipality_code"] == codebook.region.code]
    years = (region if len(region) else rows)["year"].dropna()
    if years.empty:
        raise FouanalysError(
            "Prevalenstabellen har inga rader för alla elever: bygg om de bearbetade tabellerna "
            "(fouanalys build)."
        )
    return int(years.max())


def chapter_municipality(value: object, codebook: Codebook | None = None) -> str | None:
    """The municipality a regional chapter highlights: None for the region itself."""
    codebook = codebook or load_codebook()
    text = str(value).strip()
    if value is None or text in ("", codebook.region.code) or text == codebook.region.name:
        return None
    return codebook.resolve_municipality(text)


def _areas(codebook: Codebook, region: bool = True) -> list[tuple[str, str, bool]]:
    """(code, row label, is_region) for every municipality and, last, the region."""
    areas = [(m.code, m.name, False) for m in codebook.municipalities]
    if region:
        areas.append((codebook.region.code, REGION_LABEL, True))
    return areas


def _factors(codebook: Codebook) -> list:
    """Risk factors then protective factors, codebook order within each."""
    return [i for kind in PROFILE_KINDS for i in codebook.indices if i.kind == kind]


def _elevated(priorities: pd.DataFrame, codebook: Codebook, year: int) -> pd.DataFrame:
    """Published elevated all-students rows of ``year``, with their numbers."""
    rows = _all_rows(priorities, codebook)
    rows = rows.loc[rows["year"].astype("Int64") == int(year)]
    published = ~rows["suppressed"].astype("boolean").fillna(True).astype(bool)
    elevated = rows["elevated"].astype("boolean").fillna(False).astype(bool)
    return rows.loc[published & elevated & rows["share"].notna()]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _join(words: list[str], last: str = " och ") -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + last + words[-1]


# --- factors: heatmap and forest plot -------------------------------------------------------


def factor_heatmap_table(
    prevalence: pd.DataFrame,
    priorities: pd.DataFrame,
    codebook: Codebook | None = None,
    year: int | None = None,
) -> pd.DataFrame:
    """Each municipality's share above the cut-point per factor, all students, one year.

    One row per area × factor: the codebook's municipalities in codebook order, then the region
    (``is_region``), and per area the risk factors then the protective factors (codebook order).
    ``year`` defaults to :func:`survey_year`.

    Columns: ``municipality_code, municipality`` (name; the region is "Hela regionen"),
    ``is_region`` (bool), ``year`` (int), ``factor, label, kind`` (str); ``n`` (Int64),
    ``share, ci_low, ci_high`` (Float64) — all NA when the cell is suppressed or missing;
    ``suppressed`` (bool); ``elevated`` (bool: published and flagged in ``priorities``, never
    for the region or a suppressed cell); ``state`` ("shown", "suppressed" or "missing": no
    row for the area and year); ``text`` ("31 %", "–" when not shown).
    """
    codebook = codebook or load_codebook()
    year = survey_year(prevalence, codebook) if year is None else int(year)
    rows = _all_rows(prevalence, codebook)
    rows = rows.loc[rows["year"].astype("Int64") == year].drop_duplicates(
        ["municipality_code", "factor"]
    )
    cells = rows.set_index(["municipality_code", "factor"])
    flagged = set(
        zip(
            *_elevated(priorities, codebook, year)[["municipality_code", "factor"]].to_numpy().T,
            strict=False,
        )
    )
    records = []
    for code, name, is_region in _areas(codebook):
        for index in _factors(codebook):
            key = (code, index.id)
            row = cells.loc[key] if key in cells.index else None
            if row is None:
                state = "missing"
            elif bool(row["suppressed"]) or pd.isna(row["share"]):
                state = "suppressed"
            else:
                state = "shown"
            shown = state == "shown"
            records.append(
                {
                    "municipality_code": code,
                    "municipality": name,
                    "is_region": is_region,
                    "year": year,
                    "factor": index.id,
                    "label": index.label,
                    "kind": index.kind,
                    "n": row["n"] if shown else pd.NA,
                    "share": row["share"] if shown else np.nan,
                    "ci_low": row["ci_low"] if shown else np.nan,
                    "ci_high": row["ci_high"] if shown else np.nan,
                    "suppressed": state == "suppressed",
                    "elevated": shown and not is_region and key in flagged,
                    "state": state,
                    "text": format_share(row["share"]) if shown else DASH,
                }
            )
    frame = pd.DataFrame(records, columns=HEATMAP_COLUMNS)
    for col in ("municipality_code", "municipality", "factor", "label", "kind", "state", "text"):
        frame[col] = frame[col].astype("str")
    frame["n"] = frame["n"].astype("Int64")
    for col in ("share", "ci_low", "ci_high"):
        frame[col] = pd.to_numeric(frame[col]).astype("Float64")
    frame["year"] = frame["year"].astype("int64")
    for col in ("is_region", "suppressed", "elevated"):
        frame[col] = frame[col].astype(bool)
    return frame


def forest_frame(
    prevalence: pd.DataFrame,
    codebook: Codebook | None = None,
    year: int | None = None,
    priorities: pd.DataFrame | None = None,
    factors: list[str] | None = None,
) -> pd.DataFrame:
    """Municipalities' shares with intervals against the region's, per factor (for the forest).

    The municipality rows of :func:`factor_heatmap_table` (``elevated`` only when
    ``priorities`` is given), restricted to ``factors`` when given, plus ``region_share,
    region_ci_low, region_ci_high`` (Float64: the whole region's share and interval for the
    factor, NA when suppressed).
    """
    codebook = codebook or load_codebook()
    empty = pd.DataFrame(columns=["municipality_code", "year", "grade", "sex", "factor"])
    table = factor_heatmap_table(
        prevalence, priorities if priorities is not None else empty, codebook, year
    )
    if factors is not None:
        table = table.loc[table["factor"].isin(factors)]
    region = table.loc[table["is_region"]].set_index("factor")
    out = table.loc[~table["is_region"]].copy()
    for col in ("share", "ci_low", "ci_high"):
        out[f"region_{col}"] = out["factor"].map(region[col]).astype("Float64")
    return out.reset_index(drop=True)


def _heatmap_text_color(rgba) -> str:
    r, g, b, _ = rgba
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "#1d1d1d"


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
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    from fouanalys.plots import _RC, FIG_DPI, FIG_WIDTH

    areas = list(dict.fromkeys(table["municipality_code"]))
    names = dict(zip(table["municipality_code"], table["municipality"], strict=False))
    factors = list(dict.fromkeys(table["factor"]))
    info = table.drop_duplicates("factor").set_index("factor")
    region_rows = [
        i
        for i, a in enumerate(areas)
        if table.loc[table["municipality_code"] == a, "is_region"].any()
    ]
    norms = {}
    for kind in PROFILE_KINDS:
        values = table.loc[(table["kind"] == kind) & (table["state"] == "shown"), "share"]
        values = values.astype(float).dropna()
        lo, hi = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
        pad = max((hi - lo) * 0.15, 0.02)
        norms[kind] = Normalize(vmin=lo - pad, vmax=hi + pad)
    cmaps = {k: mpl.colormaps[c] for k, c in _KIND_CMAPS.items()}

    with mpl.rc_context(_RC):
        fig = Figure(
            figsize=(FIG_WIDTH, 2.3 + 0.36 * len(areas)), dpi=FIG_DPI, layout="constrained"
        )
        ax = fig.subplots()
        for row in table.itertuples(index=False):
            xi, yi = factors.index(row.factor), areas.index(row.municipality_code)
            if row.state == "shown":
                scale = 0.08 + 0.72 * float(np.clip(norms[row.kind](float(row.share)), 0, 1))
                color = cmaps.get(row.kind, cmaps["risk"])(scale)
                text_color = _heatmap_text_color(color)
                gid = "cell"
            else:
                color, text_color, gid = _SUPPRESSED_COLOR, "#555555", "suppressed"
            ax.add_patch(
                Rectangle((xi + 0.03, yi + 0.05), 0.94, 0.9, facecolor=color, lw=0, gid=gid)
            )
            text = row.text
            if row.elevated:
                text = f"{ELEVATED_MARKS.get(row.kind, '▲')} {text}"
                ax.add_patch(
                    Rectangle(
                        (xi + 0.07, yi + 0.11),
                        0.86,
                        0.78,
                        fill=False,
                        edgecolor=_ELEVATED_COLOR,
                        linewidth=1.8,
                        zorder=3,
                        gid="elevated",
                    )
                )
            ax.text(
                xi + 0.5,
                yi + 0.5,
                text,
                ha="center",
                va="center",
                fontsize=8,
                fontweight="bold" if row.elevated or row.is_region else "normal",
                color=text_color,
                zorder=4,
                gid="value",
            )
        ax.set_xlim(0, len(factors))
        ax.set_ylim(len(areas), 0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_yticks([i + 0.5 for i in range(len(areas))], [names[a] for a in areas])
        for i in region_rows:
            ax.get_yticklabels()[i].set_fontweight("bold")
            ax.axhline(i, color="#12355b", lw=1.2)
        ax.set_xticks(
            [i + 0.5 for i in range(len(factors))],
            [wrap_label(info.at[f, "label"], 13) for f in factors],
        )
        ax.xaxis.tick_top()
        ax.tick_params(axis="both", length=0)
        ax.tick_params(axis="x", labelsize=6.8)
        kinds = list(dict.fromkeys(info["kind"]))
        for kind in kinds[1:]:
            first = next(i for i, f in enumerate(factors) if info.at[f, "kind"] == kind)
            ax.axvline(first, color="#12355b", lw=1.2)
        for kind in kinds:
            cols = [i for i, f in enumerate(factors) if info.at[f, "kind"] == kind]
            ax.text(
                (min(cols) + max(cols) + 1) / 2,
                -0.02,
                KIND_LABELS.get(kind, kind).upper(),
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="top",
                fontsize=7,
                color="#12355b",
                fontweight="bold",
            )
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
        if title is None and len(table):
            title = f"Andel elever över gränsvärdet per kommun, {int(table['year'].iloc[0])}"
        if title:
            fig.suptitle(title, fontweight="bold", fontsize=10.5)
    return fig


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
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    from fouanalys.plots import _RC, CI_LABEL, FIG_DPI, FIG_WIDTH, _percent, _style_axes

    codebook = codebook or load_codebook()
    frame = forest_frame(prevalence, codebook, year, priorities, factors)
    factor_ids = list(dict.fromkeys(frame["factor"]))
    areas = list(dict.fromkeys(frame["municipality_code"]))
    names = dict(zip(frame["municipality_code"], frame["municipality"], strict=False))
    ncols = 3 if len(factor_ids) > 2 else max(len(factor_ids), 1)
    slots = len(factor_ids) + 1  # one slot for the legend
    nrows = int(np.ceil(slots / ncols))
    y = {a: i for i, a in enumerate(areas)}

    with mpl.rc_context(_RC):
        fig = Figure(
            figsize=(FIG_WIDTH, 0.7 + nrows * (0.75 + 0.17 * len(areas))),
            dpi=FIG_DPI,
            layout="constrained",
        )
        axes = list(np.atleast_1d(fig.subplots(nrows, ncols, sharey=True)).ravel())
        for ax, factor in zip(axes, factor_ids, strict=False):
            part = frame.loc[frame["factor"] == factor]
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
            lo, hi = max(lo - pad, 0.0), min(hi + pad, 100.0)
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
                yi = y[row.municipality_code]
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
                    continue
                color = _ELEVATED_COLOR if row.elevated else _POINT_COLOR
                ax.hlines(
                    yi,
                    float(row.ci_low) * 100,
                    float(row.ci_high) * 100,
                    color=color,
                    lw=1.2,
                    gid="ci",
                )
                ax.plot(
                    [float(row.share) * 100],
                    [yi],
                    marker="D" if row.elevated else "o",
                    markersize=4.5,
                    color=color,
                    zorder=3,
                )
            ax.set_xlim(lo, hi)
            ax.set_ylim(len(areas) - 0.5, -0.5)
            ax.set_title(wrap_label(first["label"], 24), fontsize=8, loc="left")
            ax.xaxis.set_major_formatter(FuncFormatter(_percent))
            ax.xaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
            ax.tick_params(axis="x", labelsize=7)
            _style_axes(ax, grid_axis="x")
            ax.tick_params(axis="y", length=0)
        axes[0].set_yticks(range(len(areas)), [names[a] for a in areas])
        for ax in axes[len(factor_ids) :]:
            ax.set_axis_off()
        handles = [
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


# --- coverage -------------------------------------------------------------------------------

COVERAGE_PROFILE_COLUMNS = [
    "municipality_code",
    "municipality",
    "is_region",
    "level",
    "level_label",
    "stage",
    "stage_label",
    "interventions",
    "reach_per_1000",
    "region_reach_per_1000",
    "state",
    "text",
]


def coverage_profile_table(
    coverage: pd.DataFrame, codebook: Codebook | None = None
) -> pd.DataFrame:
    """Reach per 1 000 inhabitants per level × life stage for every municipality and the region.

    One row per level (codebook order) × stage (by age) × area (municipalities in codebook
    order, then the region). The municipalities' cells are ``kartlaggning.coverage_cells``;
    the region's reach is ``coverage.regional_coverage`` (known participants pooled over the
    municipalities).

    Columns: ``municipality_code, municipality`` (the region is "Hela regionen"),
    ``is_region`` (bool), ``level, level_label, stage, stage_label`` (name only, str);
    ``interventions`` (int: ongoing ones); ``reach_per_1000`` (float, NaN when unknown);
    ``region_reach_per_1000`` (float: the region's reach in the same cell); ``state``
    ("empty": no ongoing intervention, "unknown": none reports participants, "partial": some
    do not, so the reach is a lower bound, "known"); ``text`` ("0", "okänd", "≥12", "12").
    """
    codebook = codebook or load_codebook()
    frames = []
    for code, name, _ in _areas(codebook, region=False):
        cells = coverage_cells(coverage, code, codebook)
        frames.append(cells.assign(municipality_code=code, municipality=name, is_region=False))
    cells = pd.concat(frames, ignore_index=True)
    wide = regional_coverage(coverage, codebook, dim="level")
    region_reach = wide.set_index(["stage", "level"])[codebook.region.code].astype("Float64")
    key = list(zip(cells["stage"], cells["level"], strict=True))
    cells["region_reach_per_1000"] = [
        float(region_reach.get(k)) if pd.notna(region_reach.get(k, pd.NA)) else math.nan
        for k in key
    ]
    pooled = cells.groupby(["level", "stage"], sort=False).agg(
        interventions=("interventions", "sum"),
        incomplete=("state", lambda s: bool((s.isin(["partial", "unknown"])).any())),
        level_label=("level_label", "first"),
        stage_label=("stage_label", "first"),
        region_reach_per_1000=("region_reach_per_1000", "first"),
    )
    region_rows = pooled.reset_index()
    reach = region_rows["region_reach_per_1000"]
    region_rows["state"] = np.where(
        region_rows["interventions"] == 0,
        "empty",
        np.where(reach.isna(), "unknown", np.where(region_rows["incomplete"], "partial", "known")),
    )
    region_rows = region_rows.assign(
        municipality_code=codebook.region.code,
        municipality=REGION_LABEL,
        is_region=True,
        reach_per_1000=reach,
    )
    out = pd.concat([cells, region_rows], ignore_index=True)
    out["text"] = [
        _reach_text(s, r) for s, r in zip(out["state"], out["reach_per_1000"], strict=True)
    ]
    order = {c: i for i, (c, _n, _r) in enumerate(_areas(codebook))}
    levels = {v: i for i, v in enumerate(codebook.ids("levels"))}
    stages = {s.id: s.age_from for s in codebook.life_stages}
    out = out.assign(
        _l=out["level"].map(levels),
        _s=out["stage"].map(stages),
        _a=out["municipality_code"].map(order),
    ).sort_values(["_l", "_s", "_a"], kind="stable")
    out = out[COVERAGE_PROFILE_COLUMNS].reset_index(drop=True)
    out["interventions"] = out["interventions"].astype("int64")
    out["is_region"] = out["is_region"].astype(bool)
    for col in ("reach_per_1000", "region_reach_per_1000"):
        out[col] = pd.to_numeric(out[col]).astype(float)
    return out


def _reach_text(state: str, reach: object) -> str:
    if state == "empty":
        return "0"
    if state == "unknown":
        return format_reach(None)
    text = format_reach(reach)
    return f"≥{text}" if state == "partial" else text


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
    from matplotlib.patches import Patch, Rectangle
    from matplotlib.ticker import FuncFormatter

    from fouanalys.plots import (
        _RC,
        FIG_DPI,
        FIG_WIDTH,
        UNKNOWN_STYLE,
        _stage_ticks,
        _thousands,
        unknown_cell,
    )

    codebook = codebook or load_codebook()
    table = coverage_profile_table(coverage, codebook)
    levels = list(dict.fromkeys(table["level"]))
    stages = list(dict.fromkeys(table["stage"]))
    areas = list(dict.fromkeys(table["municipality_code"]))
    names = dict(zip(table["municipality_code"], table["municipality"], strict=False))
    shown = table.loc[table["state"].isin(["known", "partial"]), "reach_per_1000"].dropna()
    vmax = max(float(shown.max()) if len(shown) else 1.0, 1.0)
    cmap = mpl.colormaps["Blues"]
    norm = PowerNorm(gamma=0.5, vmin=0, vmax=vmax)
    stage_ticks = dict(
        zip(
            sorted(stages, key=lambda s: int(s.split("-")[0])), _stage_ticks(codebook), strict=False
        )
    )

    with mpl.rc_context(_RC):
        fig = Figure(
            figsize=(FIG_WIDTH, 1.4 + len(levels) * (0.45 + 0.2 * len(areas))),
            dpi=FIG_DPI,
            layout="constrained",
        )
        axes = list(np.atleast_1d(fig.subplots(len(levels), 1, sharex=True)))
        mesh = None
        for ax, level in zip(axes, levels, strict=True):
            part = table.loc[table["level"] == level]
            matrix = part.assign(
                value=np.where(
                    part["state"].isin(["known", "partial"]), part["reach_per_1000"], np.nan
                )
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
                    and _heatmap_text_color(cmap(norm(row.reach_per_1000))) == "white"
                )
                ax.text(
                    xi + 0.5,
                    yi + 0.5,
                    row.text,
                    ha="center",
                    va="center",
                    fontsize=7,
                    fontweight="bold" if row.is_region else "normal",
                    color="white" if dark else "#1d1d1d",
                    bbox=(
                        {"boxstyle": "square,pad=0.08", "facecolor": "white", "edgecolor": "none"}
                        if row.state == "unknown"
                        else None
                    ),
                    zorder=3,
                )
            ax.set_xlim(0, len(stages))
            ax.set_ylim(len(areas), 0)
            for spine in ax.spines.values():
                spine.set_visible(False)
            ax.set_yticks([i + 0.5 for i in range(len(areas))], [names[a] for a in areas])
            for i, a in enumerate(areas):
                if a == codebook.region.code:
                    ax.get_yticklabels()[i].set_fontweight("bold")
                    ax.axhline(i, color="#12355b", lw=1.0)
            ax.tick_params(axis="both", length=0, labelsize=7.5)
            ax.set_title(
                str(part["level_label"].iloc[0]), loc="left", fontsize=9, color="#12355b", pad=3
            )
        axes[0].xaxis.tick_top()
        axes[0].set_xticks(
            [i + 0.5 for i in range(len(stages))], [stage_ticks.get(s, s) for s in stages]
        )
        axes[0].tick_params(axis="x", labelsize=7, labeltop=True, labelbottom=False)
        for ax in axes[1:]:
            ax.tick_params(axis="x", labeltop=False, labelbottom=False)
        if mesh is not None:
            bar = fig.colorbar(
                mesh,
                ax=axes,
                shrink=0.5,
                aspect=30,
                label="Deltagare per år per 1\u00a0000 invånare",
            )
            bar.outline.set_visible(False)
            bar.ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        handles = [
            Patch(facecolor="#f4f4f4", label="0: ingen pågående insats"),
            Patch(**UNKNOWN_STYLE, label="okänd: ingen insats anger antal deltagare"),
            Patch(color="none", label="≥: minst, någon insats saknar antal"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=7.5)
        fig.suptitle(
            title or "Räckvidd per åldersgrupp och nivå, kommun för kommun",
            fontweight="bold",
            fontsize=10.5,
        )
    return fig


def thinnest_coverage(
    profile: pd.DataFrame,
    threshold: float = THIN_SHARE_OF_REGION,
    min_region_reach: float = THIN_REACH_PER_1000,
) -> pd.DataFrame:
    """Per municipality the level × stage cell where its coverage lies furthest below the others.

    From :func:`coverage_profile_table`. Two kinds of cell count:

    - "empty": the municipality has no ongoing intervention there while at least half of the
      other municipalities have one (ratio 0);
    - "known": its reach is known and complete, the region's reach is known and at least
      ``min_region_reach``, and the municipality reaches less than ``threshold`` times the
      region's (ratio = its reach / the region's). A lower bound or an unknown reach cannot show
      that coverage is thin, and a cell the region hardly covers says little about one
      municipality.

    The lowest ratio wins; ties go to the cell most other municipalities cover, then to the one
    where the region reaches most. Columns: ``municipality_code, level, level_label, stage,
    state`` (str); ``reach_per_1000, region_reach_per_1000, ratio`` (float);
    ``region_partial`` (bool: the region's reach is a lower bound); ``others_with, others``
    (int: other municipalities with an ongoing intervention in the cell, of how many).
    Municipalities without such a cell are absent.
    """
    cells = profile.loc[~profile["is_region"]].copy()
    region = profile.loc[profile["is_region"]].set_index(["level", "stage"])["state"]
    cells["region_partial"] = [
        region.get((lv, st)) == "partial"
        for lv, st in zip(cells["level"], cells["stage"], strict=True)
    ]
    has = (cells["interventions"] > 0).astype(int)
    grouped = has.groupby([cells["level"], cells["stage"]])
    cells["others_with"] = (grouped.transform("sum") - has).astype(int)
    cells["others"] = (grouped.transform("size") - 1).astype(int)
    empty = cells["state"] == "empty"
    cells["reach_per_1000"] = np.where(empty, 0.0, cells["reach_per_1000"].astype(float))
    region_reach = cells["region_reach_per_1000"].astype(float)
    thin_empty = empty & (cells["others"] > 0) & (cells["others_with"] * 2 >= cells["others"])
    thin_known = (
        (cells["state"] == "known")
        & (region_reach >= max(min_region_reach, 1e-9))
        & (cells["reach_per_1000"] < threshold * region_reach)
    )
    cells = cells.loc[(thin_empty | thin_known).fillna(False).astype(bool)]
    cells["ratio"] = np.where(
        cells["state"] == "empty", 0.0, cells["reach_per_1000"] / cells["region_reach_per_1000"]
    )
    cells = cells.sort_values(
        ["ratio", "others_with", "region_reach_per_1000"],
        ascending=[True, False, False],
        kind="stable",
    ).drop_duplicates("municipality_code")
    columns = [
        "municipality_code",
        "level",
        "level_label",
        "stage",
        "state",
        "reach_per_1000",
        "region_reach_per_1000",
        "ratio",
        "region_partial",
        "others_with",
        "others",
    ]
    return cells[columns].reset_index(drop=True)


def _factor_item(row, labels: dict[str, str]) -> str:
    return (
        f"{_lower_first(labels.get(row.factor, row.factor))} "
        f"({format_share(row.share)} mot {format_share(row.reference_share)})"
    )


def _factor_part(
    name: str, rows: pd.DataFrame, published: bool, year: int, labels: dict[str, str]
) -> str:
    if not published:
        return f"{name} har för få svarande {year} för att jämföras med övriga regionen"
    if rows.empty:
        return (
            f"{name} ligger inte statistiskt säkert sämre till än övriga regionen i någon risk- "
            f"eller skyddsfaktor {year}"
        )
    rows = rows.assign(_rank=rows["rank"].astype("Float64").fillna(math.inf)).sort_values(
        "_rank", kind="stable"
    )
    named = rows.iloc[:MAX_NAMED_FACTORS]
    rest = len(rows) - len(named)
    parts = []
    risk = [_factor_item(r, labels) for r in named.itertuples() if r.kind == "risk"]
    protective = [_factor_item(r, labels) for r in named.itertuples() if r.kind != "risk"]
    if risk:
        parts.append(f"fler elever över gränsvärdet för {_join(risk, ' samt ')}")
    if protective:
        parts.append(f"färre elever över gränsvärdet för {_join(protective, ' samt ')}")
    text = f"{name} har {year} " + " och ".join(parts) + " än övriga regionen"
    if rest:
        text += f" (och ytterligare {rest} {'faktor' if rest == 1 else 'faktorer'})"
    return text


def _coverage_part(thin: pd.Series | None, codebook: Codebook) -> str:
    if thin is None:
        return (
            "kommunen har insatser på de nivåer och i de åldrar där de flesta andra har det, och "
            "ingen känd räckvidd under hälften av regionens"
        )
    where = (
        f"på nivån {str(thin['level_label']).lower()} för {stage_phrase(thin['stage'], codebook)}"
    )
    region = ("minst " if thin["region_partial"] else "") + format_reach(
        thin["region_reach_per_1000"]
    )
    if thin["state"] == "empty":
        others_with, others = int(thin["others_with"]), int(thin["others"])
        who = f"alla de {others}" if others_with == others else f"{others_with} av de {others}"
        return f"{where} har kommunen ingen pågående insats, vilket {who} andra kommunerna har"
    return (
        f"räckvidden är tunnast {where}: {format_reach(thin['reach_per_1000'])} per "
        f"1\u00a0000 invånare mot {region} i hela regionen"
    )


def _collaboration_part(row: pd.Series | None, regional: pd.DataFrame) -> str | None:
    if row is None:
        return None
    if int(row["interventions"]) == 0:
        return "kartläggningen har inga pågående insatser att samverka kring"
    pairs, links = int(row["sspf_pairs"]), int(row["sspf_links"])
    isolated = int(row["isolated"])
    parts = []
    if links < pairs:
        parts.append(f"{pairs - links} av {pairs} SSPF-par saknar en gemensam insats")
    if isolated:
        parts.append(
            f"{isolated} {'aktör' if isolated == 1 else 'aktörer'} saknar samverkanspartner"
        )
    active = regional.loc[regional["interventions"] > 0, "density"].astype(float)
    if len(active) > 1 and float(row["density"]) <= float(active.min()):
        parts.append(
            f"nätverket är det glesaste i regionen (täthet {format_number(row['density'], 2)} "
            f"mot i genomsnitt {format_number(active.mean(), 2)})"
        )
    if not parts:
        return "i samverkan har alla SSPF-par minst en gemensam insats"
    if len(parts) == 1 and parts[0].startswith("nätverket"):
        return "i samverkan har alla SSPF-par minst en gemensam insats, men " + parts[0]
    return "i samverkan " + _join(parts)


def standout_sentences(
    priorities: pd.DataFrame,
    coverage: pd.DataFrame,
    regional_collab: pd.DataFrame,
    codebook: Codebook | None = None,
    year: int | None = None,
) -> list[str]:
    """One plain Swedish sentence per municipality (codebook order) on where it stands out.

    Three parts, joined by semicolons: the factors in which it is statistically certainly worse
    off than the rest of the region (all students, ``year`` or the latest year in
    ``priorities``; at most :data:`MAX_NAMED_FACTORS` named, highest priority first, with its
    share against the rest of the region's; suppressed rows never count); the level × stage
    where its reach lies furthest below the region's (:func:`thinnest_coverage`); and its
    collaboration gaps from ``samverkan.regional_collaboration`` (SSPF pairs without a joint
    intervention, actors without partners). Example: "Sigtuna har 2024 fler elever över
    gränsvärdet för otrygg och oorganiserad närmiljö (26 % mot 17 %) än övriga regionen;
    räckvidden är tunnast på nivån förhindra för 13–15 år: 12 per 1 000 invånare mot 45 i
    hela regionen; i samverkan saknar 2 av 6 SSPF-par en gemensam insats."
    """
    codebook = codebook or load_codebook()
    rows = _all_rows(priorities, codebook)
    if year is None:
        year = int(rows["year"].max()) if rows["year"].notna().any() else 0
    rows = rows.loc[rows["year"].astype("Int64") == int(year)]
    elevated = _elevated(priorities, codebook, int(year))
    labels = codebook.labels("indices")
    thin = thinnest_coverage(coverage_profile_table(coverage, codebook)).set_index(
        "municipality_code"
    )
    collab = regional_collab.set_index(regional_collab["municipality_code"].astype(str))
    sentences = []
    for code, name, _ in _areas(codebook, region=False):
        own = rows.loc[rows["municipality_code"] == code]
        published = bool((~own["suppressed"].astype("boolean").fillna(True)).any())
        parts = [
            _factor_part(
                name,
                elevated.loc[elevated["municipality_code"] == code],
                published,
                int(year),
                labels,
            ),
            _coverage_part(thin.loc[code] if code in thin.index else None, codebook),
        ]
        collaboration = _collaboration_part(
            collab.loc[code] if code in collab.index else None, regional_collab
        )
        if collaboration:
            parts.append(collaboration)
        sentences.append("; ".join(parts) + ".")
    return sentences


def overview_table(
    priorities: pd.DataFrame,
    regional_collab: pd.DataFrame,
    codebook: Codebook | None = None,
    year: int | None = None,
) -> pd.DataFrame:
    """The municipalities in brief, as a display frame (one row each, codebook order).

    Columns: ``Kommun``; ``Sämre än övriga regionen`` ("2 av 8": factors statistically
    certainly worse off, of those that can be published; "–" when none can); ``Pågående
    insatser``, ``Aktörer i samverkan`` (int); ``SSPF-par som samverkar`` ("4 av 6").
    """
    codebook = codebook or load_codebook()
    rows = _all_rows(priorities, codebook)
    if year is None:
        year = int(rows["year"].max()) if rows["year"].notna().any() else 0
    rows = rows.loc[(rows["year"].astype("Int64") == int(year)) & rows["kind"].isin(PROFILE_KINDS)]
    elevated = _elevated(priorities, codebook, int(year))
    collab = regional_collab.set_index(regional_collab["municipality_code"].astype(str))
    records = []
    for code, name, _ in _areas(codebook, region=False):
        own = rows.loc[rows["municipality_code"] == code]
        published = int((~own["suppressed"].astype("boolean").fillna(True)).sum())
        worse = int((elevated["municipality_code"] == code).sum())
        c = collab.loc[code] if code in collab.index else None
        records.append(
            {
                "Kommun": name,
                "Sämre än övriga regionen": f"{worse} av {published}" if published else DASH,
                "Pågående insatser": int(c["interventions"]) if c is not None else pd.NA,
                "Aktörer i samverkan": int(c["actors"]) if c is not None else pd.NA,
                "SSPF-par som samverkar": (
                    f"{int(c['sspf_links'])} av {int(c['sspf_pairs'])}" if c is not None else DASH
                ),
            }
        )
    frame = pd.DataFrame(records)
    for col in ("Pågående insatser", "Aktörer i samverkan"):
        frame[col] = frame[col].astype("Int64")
    return frame


#: Columns of :func:`overview_table` that hold numbers (right-aligned in the report).
OVERVIEW_NUMERIC = [
    "Sämre än övriga regionen",
    "Pågående insatser",
    "Aktörer i samverkan",
    "SSPF-par som samverkar",
]
