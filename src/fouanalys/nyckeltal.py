"""Public key figures from Kolada: a municipality's trend against the county and the country.

Pure functions over the processed ``kolada`` table (``kpi, municipality_id, year, gender,
value, status``) and the codebook's ``kolada_kpis``, each returning a tidy frame, a display
frame with Swedish headers, Swedish sentences or a matplotlib
:class:`~matplotlib.figure.Figure`. Nothing here reads files.

Conventions:

- Only KPIs the codebook lists are shown, in codebook order, with Kolada's title verbatim and
  the unit the codebook gives (which for two crime KPIs is not the one Kolada's title says; the
  codebook's ``note`` explains it). Other KPIs in the file are named, not drawn.
- Gender ``T`` (everyone) unless told otherwise.
- A value Kolada does not publish is never drawn as a number: its status (``Missing``,
  ``Privacy``, ``Not applicable``) is shown with the codebook's Swedish label, and a null value
  without a status as "saknas". Lines break at a missing year; they are not interpolated.
- *The latest year* of a KPI is the latest year in which Kolada has a value for at least one of
  the areas shown; a missing value in that year is shown as missing, not replaced by an older
  one (a sentence may add the latest known value, with its year).
- Counts (unit ``antal``) depend on the size of the area, so they are not compared with the
  county or the country, only followed over time.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from fouanalys.codebook import Codebook, KoladaKpi, load_codebook
from fouanalys.exceptions import FouanalysError
from fouanalys.riskfaktorer import DASH, NBSP, format_number, wrap_label

#: Roles of the areas in a municipality's trend, in drawing order.
ROLE_MUNICIPALITY = "kommunen"
ROLE_COUNTY = "länet"
ROLE_COUNTRY = "riket"
#: Role of each of the eight municipalities in the regional comparison.
ROLE_MEMBER = "kommun"
#: Status text of a null value that Kolada gives no status for.
MISSING_TEXT = "saknas"
#: Years back for the change column of the municipality's table.
CHANGE_YEARS = 5
#: A municipality within this relative distance of the county counts as "i nivå med länet".
LEVEL_TOLERANCE = 0.02
#: Decimals shown per unit id (Kolada rounds percentages to one decimal).
UNIT_DECIMALS = {"procent": 1, "per_1000": 1, "per_100000": 0, "antal": 0}
#: Units whose values depend on the size of the area and so are not compared between areas.
COUNT_UNITS = ("antal",)

#: Shown instead of the Kolada sections when the data has no kolada.csv.
NO_KOLADA_TEXT = (
    "Underlaget innehåller ingen `kolada.csv`, så här visas inga nyckeltal från Kolada. "
    "Hämta dem med `fouanalys fetch kolada --data-dir MAPP` (MAPP är rådatamappen) och bygg "
    "rapporten igen."
)

TREND_COLUMNS = [
    "kpi",
    "label",
    "title",
    "unit",
    "unit_label",
    "note",
    "higher_is_better",
    "area",
    "area_name",
    "role",
    "year",
    "value",
    "status",
    "status_text",
]
REGIONAL_COLUMNS = [*TREND_COLUMNS[:7], "year", "area", "area_name", "role", *TREND_COLUMNS[11:]]

_MUNICIPALITY_COLOR = "#0173b2"
_COUNTY_COLOR = "#333333"
_COUNTRY_COLOR = "#8c8c8c"
_OTHERS_COLOR = "#9fb3c8"
_STATUS_COLOR = "#a4000f"
#: Tick steps of the value axes (no 2.5 steps, whose ticks would need another decimal).
TICK_STEPS = [1, 2, 5, 10]
_GROUP = re.compile(r"(\d)(?=(\d{3})+(?!\d))")
_SPACED_DIGITS = re.compile(r"(\d) (\d{3})")


# --- helpers --------------------------------------------------------------------------------


def _clean(kolada: pd.DataFrame) -> pd.DataFrame:
    """The kolada table with plain types: ids as str, year Int64, value Float64, status ""."""
    out = kolada.copy()
    for col in ("kpi", "municipality_id", "gender"):
        out[col] = out[col].astype(str)
    out["year"] = pd.to_numeric(out["year"], errors="coerce").astype("Int64")
    out["value"] = pd.to_numeric(out["value"], errors="coerce").astype("Float64")
    if "status" not in out:
        out["status"] = ""
    out["status"] = out["status"].astype(object).where(out["status"].notna(), "").astype(str)
    return out


def _kpi_fields(kpi: KoladaKpi, codebook: Codebook) -> dict[str, object]:
    return {
        "kpi": kpi.id,
        "label": kpi.label,
        "title": kpi.title,
        "unit": kpi.unit,
        "unit_label": codebook.kolada_unit(kpi.unit).label,
        "note": kpi.note or "",
        "higher_is_better": kpi.higher_is_better,
    }


def status_text(value: object, status: object, codebook: Codebook | None = None) -> str:
    """What a report shows for a value: "" when there is one, else the status in Swedish.

    The codebook's label of a Kolada status (``Privacy`` → "skyddat (för få personer)"), the
    status itself when the codebook does not know it, and "saknas" for a null value with no
    status.
    """
    if value is not None and not pd.isna(value):
        return ""
    status = "" if status is None or pd.isna(status) else str(status).strip()
    if not status:
        return MISSING_TEXT
    codebook = codebook or load_codebook()
    return codebook.labels("kolada_statuses").get(status) or status


def short_status(text: str) -> str:
    """A status text without its explanation in brackets: "skyddat (för få personer)" →
    "skyddat" (for figures and narrow table cells)."""
    return text.split(" (")[0]


def _group_thousands(text: str) -> str:
    whole, sep, decimals = text.partition(",")
    return _GROUP.sub("\\1\u202f", whole) + sep + decimals


def format_value(value: object, unit: str, signed: bool = False) -> str:
    """A Kolada value in Swedish print with its unit's decimals: ``88.66, "procent" → "88,7"``,
    ``4436.6, "per_100000" → "4 437"`` (narrow no-break space between thousands); "–" when
    missing."""
    return _group_thousands(format_number(value, UNIT_DECIMALS.get(unit, 1), signed=signed))


def unit_text(unit_label: str) -> str:
    """A unit label for print: a number in it does not break at its thousands space
    ("per 100 000 invånare" keeps "100 000" together)."""
    return _SPACED_DIGITS.sub("\\1\u202f\\2", unit_label)


def _unit_suffix(unit_label: str) -> str:
    """What follows a number in a sentence: "andel (%)" → " %", "antal per 1 000 invånare" →
    " per 1 000 invånare", "antal" → ""."""
    if "%" in unit_label:
        return f"{NBSP}%"
    rest = unit_text(unit_label).removeprefix("antal").strip()
    return f" {rest}" if rest else ""


def _with_unit(value: object, unit: str, unit_label: str) -> str:
    return format_value(value, unit) + _unit_suffix(unit_label)


def _latest_year(part: pd.DataFrame) -> int | None:
    """The latest year with a value for any of the rows, else the latest year present."""
    if part.empty:
        return None
    valued = part.loc[part["value"].notna(), "year"]
    years = valued if len(valued) else part["year"]
    return int(years.max())


def _lower_first(text: str) -> str:
    """Lower-case the first letter unless the word is an abbreviation ("HVB")."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " och " + words[-1]


# --- which KPIs ---------------------------------------------------------------------------------


def unknown_kpis(kolada: pd.DataFrame, codebook: Codebook | None = None) -> list[str]:
    """KPI ids in the table that the codebook does not describe, in the table's order."""
    codebook = codebook or load_codebook()
    known = {k.id for k in codebook.kolada_kpis}
    return [k for k in dict.fromkeys(kolada["kpi"].astype(str)) if k not in known]


def unknown_kpis_sentence(kolada: pd.DataFrame, codebook: Codebook | None = None) -> str:
    """One sentence naming the KPIs that are in the data but not shown, or "" when none."""
    ids = unknown_kpis(kolada, codebook)
    if not ids:
        return ""
    which, it = ("nyckeltalet", "det") if len(ids) == 1 else ("nyckeltalen", "de")
    return (
        f"Kodboken beskriver inte {which} {_join(ids)} i kolada.csv, så {it} visas inte "
        f"(lägg till {'det' if it == 'det' else 'dem'} under `kolada_kpis` i kodboken för att "
        f"visa {'det' if it == 'det' else 'dem'})."
    )


def absent_kpis_sentence(kolada: pd.DataFrame, codebook: Codebook | None = None) -> str:
    """One sentence naming the codebook's KPIs that kolada.csv has no rows for, or ""."""
    codebook = codebook or load_codebook()
    present = set(kolada["kpi"].astype(str))
    absent = [k for k in codebook.kolada_kpis if k.id not in present]
    if not absent:
        return ""
    names = [f"{_lower_first(k.label)} ({k.id})" for k in absent]
    return f"kolada.csv innehåller inga värden för {_join(names)}."


def unit_notes(frame: pd.DataFrame, codebook: Codebook | None = None) -> list[str]:
    """For each KPI in ``frame`` (a trend or regional frame) with a codebook note: Kolada's
    title and the note, as Markdown."""
    codebook = codebook or load_codebook()
    out = []
    for kpi_id in dict.fromkeys(frame["kpi"]):
        kpi = codebook.kolada_kpi(str(kpi_id))
        if kpi is not None and kpi.note:
            out.append(f"**{kpi.label}** (Koladas titel: ”{kpi.title}”): {unit_text(kpi.note)}")
    return out


def notes(frame: pd.DataFrame, kolada: pd.DataFrame, codebook: Codebook | None = None) -> list[str]:
    """Everything a reader should know about the KPIs of a section, as Markdown items: the
    codebook's unit notes for the KPIs in ``frame`` (a trend or regional frame), then which
    KPIs of the data are not shown and which codebook KPIs the data lacks."""
    codebook = codebook or load_codebook()
    extra = (unknown_kpis_sentence(kolada, codebook), absent_kpis_sentence(kolada, codebook))
    return unit_notes(frame, codebook) + [text for text in extra if text]


def source_caption(synthetic: bool = False) -> str:
    """The source line for a Kolada figure or table caption."""
    if synthetic:
        return (
            "Källa: syntetiska exempeldata i Koladas form, inte verkliga värden från Kolada (RKA)."
        )
    return "Källa: Kolada (RKA), CC BY 4.0."


# --- one municipality -----------------------------------------------------------------------


def trend_frame(
    kolada: pd.DataFrame,
    kommunkod: str,
    codebook: Codebook | None = None,
    gender: str = "T",
) -> pd.DataFrame:
    """Each codebook KPI's values for the municipality, the county and the country, by year.

    Per KPI the codebook lists and the table has rows for (codebook order), per area (the
    municipality, then the county, then the country) and per year any of the three has a row
    for: one row. Columns: ``kpi``, ``label`` (short Swedish label), ``title`` (Kolada's title),
    ``unit`` (codebook unit id), ``unit_label``, ``note`` ("" when none),
    ``higher_is_better``, ``area`` (Kolada id), ``area_name``, ``role`` ("kommunen", "länet",
    "riket"), ``year`` (Int64), ``value`` (Float64, <NA> when Kolada has none), ``status``
    (Kolada's, "" when none) and ``status_text`` ("" when there is a value, else the
    codebook's label of the status, or "saknas"). A year an area has no row for is a row with
    no value and status "".
    """
    codebook = codebook or load_codebook()
    areas = codebook.kolada_areas()
    county, country = codebook.county.kolada_id, codebook.country.kolada_id
    if kommunkod not in areas or kommunkod in (county, country):
        raise FouanalysError(
            f"'{kommunkod}' är inte en av kodbokens kommuner; nyckeltalen från Kolada visas "
            f"för kommunerna {', '.join(c for c in areas if c not in (county, country))}."
        )
    roles = {kommunkod: ROLE_MUNICIPALITY, county: ROLE_COUNTY, country: ROLE_COUNTRY}
    data = _clean(kolada)
    data = data.loc[(data["gender"] == gender) & data["municipality_id"].isin(roles)]
    frames = []
    for kpi in codebook.kolada_kpis:
        part = data.loc[data["kpi"] == kpi.id]
        if part.empty:
            continue
        years = sorted(int(y) for y in part["year"].dropna().unique())
        grid = pd.MultiIndex.from_product([list(roles), years], names=["area", "year"])
        part = (
            part.drop_duplicates(["municipality_id", "year"], keep="last")
            .rename(columns={"municipality_id": "area"})
            .assign(year=lambda d: d["year"].astype(int))
            .set_index(["area", "year"])[["value", "status"]]
            .reindex(grid)
            .reset_index()
        )
        part["status"] = part["status"].fillna("").astype(str)
        for key, value in _kpi_fields(kpi, codebook).items():
            part[key] = value
        frames.append(part)
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in TREND_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    out["area_name"] = out["area"].map(areas)
    out["role"] = out["area"].map(roles)
    out["year"] = out["year"].astype("Int64")
    out["value"] = out["value"].astype("Float64")
    out["status_text"] = [
        status_text(v, s, codebook) for v, s in zip(out["value"], out["status"], strict=True)
    ]
    return out[TREND_COLUMNS]


def _values(part: pd.DataFrame, role: str) -> pd.Series:
    """Value by year for one role (float, NaN when missing)."""
    rows = part.loc[part["role"] == role]
    return pd.Series(rows["value"].astype(float).to_numpy(), index=rows["year"].astype(int))


def _cell(part: pd.DataFrame, role: str, year: int) -> tuple[object, str]:
    """(value, status text) of one role in one year; (NA, "saknas") when there is no row."""
    rows = part.loc[(part["role"] == role) & (part["year"] == year)]
    if rows.empty:
        return pd.NA, MISSING_TEXT
    return rows["value"].iloc[0], str(rows["status_text"].iloc[0])


def trend_table(trend: pd.DataFrame) -> pd.DataFrame:
    """Display frame: per KPI its latest year's values and the municipality's five-year change.

    Columns (Swedish headers): ``Nyckeltal (Koladas titel)``, ``Enhet`` (the codebook's unit,
    marked "*" when the codebook has a note on it), ``År`` (the latest year), one column per
    area named by it (the municipality, the county, the country) holding the value in Swedish
    print or the status text in its place, and ``Förändring på 5 år`` (the municipality's
    value minus its value five years earlier, signed; "–" when either is missing).
    """
    columns = ["Nyckeltal (Koladas titel)", "Enhet", "År"]
    names = {
        role: trend.loc[trend["role"] == role, "area_name"].iloc[0]
        for role in (ROLE_MUNICIPALITY, ROLE_COUNTY, ROLE_COUNTRY)
        if (trend["role"] == role).any()
    }
    change = f"Förändring på {CHANGE_YEARS} år"
    rows = []
    for _kpi, part in trend.groupby("kpi", sort=False):
        first = part.iloc[0]
        year = _latest_year(part)
        row = {
            columns[0]: first["title"],
            columns[1]: unit_text(first["unit_label"]) + ("*" if first["note"] else ""),
            columns[2]: str(year),
        }
        for role, name in names.items():
            value, text = _cell(part, role, year)
            row[name] = text or format_value(value, first["unit"])
        now, _ = _cell(part, ROLE_MUNICIPALITY, year)
        before, _ = _cell(part, ROLE_MUNICIPALITY, year - CHANGE_YEARS)
        row[change] = (
            DASH
            if pd.isna(now) or pd.isna(before)
            else format_value(float(now) - float(before), first["unit"], signed=True)
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=columns + list(names.values()) + [change])


def _verdict(value: float, county: float, higher_is_better: bool) -> str:
    if abs(value - county) <= LEVEL_TOLERANCE * abs(county):
        return "i nivå med länet"
    better = (value > county) == higher_is_better
    return "bättre än länet" if better else "sämre än länet"


def comparison_sentences(trend: pd.DataFrame) -> list[str]:
    """One plain Swedish sentence per KPI in ``trend``: the municipality against the county.

    In the latest year: "… 12,3 % i Järfälla 2024 mot 10,1 % i länet: sämre än länet." read
    with ``higher_is_better`` (within :data:`LEVEL_TOLERANCE` of the county: "i nivå med
    länet"). When the municipality's value that year is missing or protected the sentence
    says so, and gives its latest known value with its year. A count is followed over time,
    not compared. A KPI without any value for the municipality says so.
    """
    out = []
    for _kpi, part in trend.groupby("kpi", sort=False):
        first = part.iloc[0]
        label = first["label"]
        where = part.loc[part["role"] == ROLE_MUNICIPALITY, "area_name"]
        where = where.iloc[0] if len(where) else "kommunen"
        own = _values(part, ROLE_MUNICIPALITY).dropna()
        if own.empty:
            out.append(f"{label}: Kolada har inga värden för {where} i underlaget.")
            continue
        year = _latest_year(part)
        _value, text = _cell(part, ROLE_MUNICIPALITY, year)
        if not text:
            out.append(f"{label}: {_phrase(first, where, own, year, part)}")
            continue
        known = int(own.index.max())
        out.append(
            f"{label}: värdet för {where} {year} är {text}. Senast kända värde: "
            f"{_phrase(first, where, own, known, part)}"
        )
    return out


def _phrase(kpi: pd.Series, where: str, own: pd.Series, year: int, part: pd.DataFrame) -> str:
    """The municipality's value in ``year`` against the county's (for a count: against its own
    value five years earlier), ending with a full stop."""
    unit, unit_label = kpi["unit"], kpi["unit_label"]
    own_text = f"{_with_unit(own[year], unit, unit_label)} i {where} {year}"
    if unit in COUNT_UNITS:
        earlier = own.get(year - CHANGE_YEARS)
        since = (
            ""
            if earlier is None
            else f", mot {_with_unit(earlier, unit, unit_label)} år {year - CHANGE_YEARS}"
        )
        return f"{own_text}{since} (ett antal, som inte jämförs med länet)."
    county, county_text = _cell(part, ROLE_COUNTY, year)
    if county_text:
        return f"{own_text}; länets värde {short_status(county_text)}."
    verdict = _verdict(float(own[year]), float(county), bool(kpi["higher_is_better"]))
    return f"{own_text} mot {_with_unit(county, unit, unit_label)} i länet: {verdict}."


def _value_axis(axis, low: float, high: float, nbins: int = 5) -> None:
    """Ticks at round steps between ``low`` and ``high``, in Swedish print with as many
    decimals as the step needs ("5 000", "7", "2,5")."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

    ticks = MaxNLocator(nbins=nbins, steps=TICK_STEPS).tick_values(low, high)
    ticks = ticks[(ticks >= low - 1e-9) & (ticks <= high + 1e-9)]
    decimals = next((d for d in range(4) if np.allclose(ticks, np.round(ticks, d), atol=1e-9)), 3)
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_major_formatter(
        FuncFormatter(lambda v, _p: _group_thousands(format_number(v, decimals)))
    )


def _year_axis(ax, years: list[int]) -> None:
    from matplotlib.ticker import FixedLocator, FuncFormatter

    step = 1 if len(years) <= 5 else 2 if len(years) <= 10 else 4
    ticks = [y for y in years if (years[-1] - y) % step == 0]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: str(round(v))))
    ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)


def trend_figure(trend: pd.DataFrame, title: str | None = None) -> Figure:
    """Small multiples from :func:`trend_frame`: one panel per KPI, years on x.

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
    from matplotlib.lines import Line2D
    from matplotlib.transforms import blended_transform_factory

    from fouanalys.plots import _RC, FIG_DPI, FIG_WIDTH, _style_axes

    kpis = list(dict.fromkeys(trend["kpi"]))
    ncols = 3 if len(kpis) > 4 else max(len(kpis), 1)
    nrows = int(np.ceil(max(len(kpis), 1) / ncols))
    styles = {
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
    names = dict(zip(trend["role"], trend["area_name"], strict=False))
    any_marks = False
    any_counts = False

    with mpl.rc_context(_RC):
        fig = Figure(figsize=(FIG_WIDTH, 1.1 + 2.0 * nrows), dpi=FIG_DPI, layout="constrained")
        axes = list(np.atleast_1d(fig.subplots(nrows, ncols)).ravel())
        for ax, kpi in zip(axes, kpis, strict=False):
            part = trend.loc[trend["kpi"] == kpi]
            first = part.iloc[0]
            years = sorted(int(y) for y in part["year"].unique())
            count = first["unit"] in COUNT_UNITS
            any_counts |= count
            roles = [ROLE_MUNICIPALITY] if count else [ROLE_COUNTRY, ROLE_COUNTY, ROLE_MUNICIPALITY]
            shown = []
            for role in roles:
                series = _values(part, role).reindex(years)
                if series.notna().any():
                    ax.plot(years, series.to_numpy(dtype=float), gid=f"line-{role}", **styles[role])
                    shown.append(series.dropna())
            values = pd.concat(shown) if shown else pd.Series(dtype=float)
            lo, hi = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
            span = hi - lo if hi > lo else max(abs(hi) * 0.1, 1.0)
            own = part.loc[part["role"] == ROLE_MUNICIPALITY]
            gaps = own.loc[own["value"].isna()]
            has_own = own["value"].notna().any()
            bottom = lo - span * (0.55 if has_own and len(gaps) else 0.15)
            ax.set_ylim(max(bottom, 0.0) if lo >= 0 else bottom, hi + span * 0.15)
            if not has_own:
                ax.text(
                    0.5,
                    0.5,
                    f"Inga värden för\n{names.get(ROLE_MUNICIPALITY, 'kommunen')}",
                    transform=ax.transAxes,
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color="#666666",
                    style="italic",
                    gid="no-data",
                )
            elif len(gaps):
                any_marks = True
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
            ax.set_title(wrap_label(first["label"], 22), fontsize=8, loc="left")
            ax.set_ylabel(wrap_label(first["unit_label"], 18), fontsize=7, color="#444444")
            _value_axis(ax.yaxis, *ax.get_ylim())
            _year_axis(ax, years)
            _style_axes(ax)
            ax.tick_params(labelsize=7)
        for ax in axes[len(kpis) :]:
            ax.set_visible(False)
        handles = [
            Line2D([], [], label=names.get(role, role), **styles[role])
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
        if title is None and names.get(ROLE_MUNICIPALITY):
            title = f"Nyckeltal för {names[ROLE_MUNICIPALITY]}, länet och riket"
        if title:
            fig.suptitle(title, fontweight="bold", fontsize=10.5)
    return fig


# --- all municipalities ---------------------------------------------------------------------


def regional_frame(
    kolada: pd.DataFrame, codebook: Codebook | None = None, gender: str = "T"
) -> pd.DataFrame:
    """Every area's value of each codebook KPI in its latest year, for the regional overview.

    Per KPI with rows in the table (codebook order), its latest year (the latest with a value
    for any area), and per area in the codebook's order (the eight municipalities, the county,
    the country) one row. Columns: those of :func:`trend_frame` (``kpi`` … ``higher_is_better``,
    ``year``, ``area``, ``area_name``, ``value``, ``status``, ``status_text``) with ``role``
    "kommun", "länet" or "riket". An area without a row that year has no value and status "".
    """
    codebook = codebook or load_codebook()
    areas = codebook.kolada_areas()
    roles = {code: ROLE_MEMBER for code in areas}
    roles[codebook.county.kolada_id] = ROLE_COUNTY
    roles[codebook.country.kolada_id] = ROLE_COUNTRY
    data = _clean(kolada)
    data = data.loc[(data["gender"] == gender) & data["municipality_id"].isin(areas)]
    rows = []
    for kpi in codebook.kolada_kpis:
        part = data.loc[data["kpi"] == kpi.id]
        year = _latest_year(part)
        if year is None:
            continue
        latest = part.loc[part["year"] == year].drop_duplicates("municipality_id", keep="last")
        by_area = latest.set_index("municipality_id")
        fields = _kpi_fields(kpi, codebook)
        for area, name in areas.items():
            value = by_area["value"].get(area, pd.NA)
            status = by_area["status"].get(area, "")
            rows.append(
                fields
                | {
                    "year": year,
                    "area": area,
                    "area_name": name,
                    "role": roles[area],
                    "value": value,
                    "status": status,
                    "status_text": status_text(value, status, codebook),
                }
            )
    out = pd.DataFrame(rows, columns=REGIONAL_COLUMNS)
    out["year"] = out["year"].astype("Int64")
    out["value"] = out["value"].astype("Float64")
    return out


def regional_table(regional: pd.DataFrame) -> pd.DataFrame:
    """Display frame from :func:`regional_frame`: one row per KPI, one column per area.

    Columns: ``Nyckeltal`` (short label, the codebook's unit and, in brackets, the KPI's latest
    year; "*" when the codebook has a note on the unit), then one column per area named by it
    (the municipalities, the county, the country) with the value in Swedish print, or the short
    status ("skyddat", "saknas") in its place.
    """
    names = list(dict.fromkeys(regional["area_name"]))
    rows = []
    for _kpi, part in regional.groupby("kpi", sort=False):
        first = part.iloc[0]
        mark = "*" if first["note"] else ""
        unit = unit_text(first["unit_label"])
        row = {"Nyckeltal": f"{first['label']}, {unit}{mark} ({int(first['year'])})"}
        for r in part.itertuples(index=False):
            row[r.area_name] = short_status(r.status_text) or format_value(r.value, r.unit)
        rows.append(row)
    return pd.DataFrame(rows, columns=["Nyckeltal", *names])


def regional_sentences(regional: pd.DataFrame) -> list[str]:
    """One plain Swedish sentence per KPI of :func:`regional_frame`: which municipalities are
    worse and which better than the county in the latest year.

    Read with ``higher_is_better``; a municipality within :data:`LEVEL_TOLERANCE` of the county
    is "i nivå med länet" and not named. Municipalities without a published value are named
    with their status. Counts are not compared (they depend on the size of the area) and get no
    sentence; nor does a KPI without a value for the county.
    """
    out = []
    for _kpi, part in regional.groupby("kpi", sort=False):
        first = part.iloc[0]
        county = part.loc[part["role"] == ROLE_COUNTY, "value"].dropna()
        if first["unit"] in COUNT_UNITS or county.empty:
            continue
        county_value = float(county.iloc[0])
        groups: dict[str, list[str]] = {"sämre än länet": [], "bättre än länet": []}
        unpublished: dict[str, list[str]] = {}
        for r in part.loc[part["role"] == ROLE_MEMBER].itertuples(index=False):
            if pd.isna(r.value):
                unpublished.setdefault(short_status(r.status_text), []).append(r.area_name)
                continue
            verdict = _verdict(float(r.value), county_value, bool(first["higher_is_better"]))
            groups.setdefault(verdict, []).append(r.area_name)
        county_text = _with_unit(county_value, first["unit"], first["unit_label"])
        parts = [
            f"{verdict} i {_join(names)}"
            for verdict, names in groups.items()
            if names and verdict != "i nivå med länet"
        ]
        if not parts:
            parts = ["alla kommuner med värden ligger i nivå med länet"]
        parts += [f"{status} för {_join(names)}" for status, names in unpublished.items()]
        out.append(
            f"{first['label']} {int(first['year'])} (länet {county_text}): "
            + "; ".join(parts)
            + "."
        )
    return out


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
    from matplotlib.lines import Line2D

    from fouanalys.plots import _RC, FIG_DPI, FIG_WIDTH, _style_axes

    kpis = list(dict.fromkeys(regional["kpi"]))
    members = regional.loc[regional["role"] == ROLE_MEMBER]
    areas = list(dict.fromkeys(members["area"]))
    names = dict(zip(members["area"], members["area_name"], strict=False))
    y = {a: i for i, a in enumerate(areas)}
    ncols = 3 if len(kpis) > 4 else max(len(kpis), 1)
    nrows = int(np.ceil(max(len(kpis), 1) / ncols))
    wider = {
        ROLE_COUNTY: {"color": _COUNTY_COLOR, "lw": 1.1, "linestyle": "--", "gid": "county"},
        ROLE_COUNTRY: {"color": _COUNTRY_COLOR, "lw": 1.2, "linestyle": ":", "gid": "country"},
    }
    wider_names = {
        role: regional.loc[regional["role"] == role, "area_name"].iloc[0]
        for role in wider
        if (regional["role"] == role).any()
    }
    any_counts = False

    with mpl.rc_context(_RC):
        fig = Figure(
            figsize=(FIG_WIDTH, 1.0 + nrows * (0.6 + 0.16 * max(len(areas), 1))),
            dpi=FIG_DPI,
            layout="constrained",
        )
        axes = list(np.atleast_1d(fig.subplots(nrows, ncols, sharey=True)).ravel())
        for ax, kpi in zip(axes, kpis, strict=False):
            part = regional.loc[regional["kpi"] == kpi]
            first = part.iloc[0]
            count = first["unit"] in COUNT_UNITS
            any_counts |= count
            own = part.loc[part["role"] == ROLE_MEMBER]
            refs = part.loc[part["role"].isin(wider) & part["value"].notna()]
            if count:
                refs = refs.iloc[0:0]
            values = pd.concat([own["value"], refs["value"]]).dropna().astype(float)
            lo, hi = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
            span = hi - lo if hi > lo else max(abs(hi) * 0.1, 1.0)
            left = lo - span * 0.12
            ax.set_xlim(max(left, 0.0) if lo >= 0 else left, hi + span * 0.12)
            for r in refs.itertuples(index=False):
                ax.axvline(float(r.value), **wider[r.role])
            for r in own.itertuples(index=False):
                if pd.isna(r.value):
                    ax.annotate(
                        short_status(r.status_text),
                        (0, y[r.area]),
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
                    continue
                strong = highlight is None or r.area == highlight
                ax.plot(
                    [float(r.value)],
                    [y[r.area]],
                    "o",
                    gid="dot",
                    zorder=4,
                    color=_MUNICIPALITY_COLOR if strong else _OTHERS_COLOR,
                    markersize=5.5 if highlight is not None and strong else 4.5,
                )
            ax.set_ylim(len(areas) - 0.5, -0.5)
            ax.set_title(
                wrap_label(f"{first['label']} ({int(first['year'])})", 27), fontsize=7.5, loc="left"
            )
            ax.set_xlabel(first["unit_label"], fontsize=6.5, color="#444444")
            _value_axis(ax.xaxis, *ax.get_xlim(), nbins=4)
            _style_axes(ax, grid_axis="y")
            ax.tick_params(axis="x", labelsize=6.5)
            ax.tick_params(axis="y", length=0, labelsize=7)
        if axes:
            axes[0].set_yticks(range(len(areas)), [names[a] for a in areas])
            for ax in axes[::ncols]:
                ax.tick_params(axis="y", labelleft=True)
                for tick, area in zip(ax.get_yticklabels(), areas, strict=False):
                    if area == highlight:
                        tick.set_fontweight("bold")
        for ax in axes[len(kpis) :]:
            ax.set_visible(False)
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
        for role, style in wider.items():
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
        fig.suptitle("Nyckeltal kommun för kommun, senaste år", fontweight="bold", fontsize=10.5)
    return fig
