"""Kolada key figures as tidy frames: a municipality against the county and the country.

Comparisons follow one stated rule (:func:`kpi_comparisons`): a municipality's *place* among the
municipalities the data has values for, and a difference from the county called ``better`` or
``worse`` only when it is larger than the usual year-to-year variation of the municipality's
own figure (:data:`VARIATION_YEARS`, :data:`VARIATION_QUANTILE`, :data:`MIN_VARIATION_CHANGES`),
else ``similar``. Counts that the codebook gives a ``rate`` for are also shown per 1 000 inhabitants
of their ages (:func:`with_rates`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from fouanalys.codebook import Codebook, KoladaKpi, load_codebook
from fouanalys.exceptions import FouanalysError

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
#: The usual year-to-year variation of a municipality's KPI (:func:`usual_variation`) is
#: measured over its changes between consecutive years in this many years up to and including
#: the compared year.
VARIATION_YEARS = 10
#: Which quantile of the absolute year-to-year changes is "the usual variation" (the median).
VARIATION_QUANTILE = 0.5
#: With fewer year-to-year changes than this the usual variation is not estimated, and a
#: difference is neither better nor worse but ``undetermined``.
MIN_VARIATION_CHANGES = 5
#: Comparison codes: beyond the usual variation in the good or bad direction, within it, or no
#: usual variation to judge by.
BETTER, WORSE, SIMILAR, UNDETERMINED = "better", "worse", "similar", "undetermined"
#: Slack for float noise when a difference equals the usual variation (5.1 − 4.9 vs 0.2).
_EPSILON = 1e-9
#: Appended to a count KPI's id for its rate per 1 000 inhabitants of its ages (never a Kolada id).
RATE_SUFFIX = "_per1000"
#: Units whose values depend on the size of the area and so are not compared between areas.
COUNT_UNITS = ("antal",)

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
#: The comparison columns :func:`kpi_trends` and :func:`regional_frame` add to their rows.
COMPARISON_COLUMNS = [
    "rank",
    "ranked",
    "percentile",
    "difference",
    "typical_change",
    "changes",
    "comparison",
]
REGIONAL_COLUMNS = [
    *TREND_COLUMNS[:7],
    "year",
    "area",
    "area_name",
    "role",
    *TREND_COLUMNS[11:],
    *COMPARISON_COLUMNS,
]


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


def _latest_year(part: pd.DataFrame) -> int | None:
    """The latest year with a value for any of the rows, else the latest year present."""
    if part.empty:
        return None
    valued = part.loc[part["value"].notna(), "year"]
    years = valued if len(valued) else part["year"]
    return int(years.max())


def is_municipality(area: str) -> bool:
    """Whether a Kolada area id is a municipality: four digits not starting with "00" (Kolada's
    counties are 0001–0025 and the country 0000; municipalities are SCB's codes, e.g. 0123)."""
    return len(area) == 4 and area.isdigit() and not area.startswith("00")


# --- which KPIs ---------------------------------------------------------------------------------


def rate_id(kpi_id: str) -> str:
    """The id of a count KPI's rate per 1 000 (``N33813`` → ``N33813_per1000``)."""
    return f"{kpi_id}{RATE_SUFFIX}"


def rate_kpi(kpi: KoladaKpi) -> KoladaKpi | None:
    """The codebook's rate of a count KPI as a KPI of its own (id :func:`rate_id`), or None."""
    if kpi.rate is None:
        return None
    return kpi.model_copy(
        update={
            "id": rate_id(kpi.id),
            "title": kpi.rate.title,
            "label": kpi.rate.label,
            "unit": kpi.rate.unit,
            "note": kpi.rate.note,
            "plausible": None,
            "rate": None,
        }
    )


def shown_kpis(codebook: Codebook | None = None) -> list[KoladaKpi]:
    """The codebook's KPIs in its order, each count with a ``rate`` followed by that rate."""
    codebook = codebook or load_codebook()
    out = []
    for kpi in codebook.kolada_kpis:
        out.append(kpi)
        rate = rate_kpi(kpi)
        if rate is not None:
            out.append(rate)
    return out


def unknown_kpis(kolada: pd.DataFrame, codebook: Codebook | None = None) -> list[str]:
    """KPI ids in the table that the codebook does not describe, in the table's order."""
    known = {k.id for k in shown_kpis(codebook)}
    return [k for k in dict.fromkeys(kolada["kpi"].astype(str)) if k not in known]


# --- rates per 1 000 ------------------------------------------------------------------------


def kpi_rates(
    kolada: pd.DataFrame, befolkning: pd.DataFrame, codebook: Codebook | None = None
) -> pd.DataFrame:
    """Rows in kolada's form for each codebook count with a ``rate``: the count per 1 000
    inhabitants of the rate's ages, per municipality and year.

    Why: a count of placements grows with the number of young people, so only a rate can be
    set beside other municipalities. The rate is ``1000 * count / population``, where the
    population is the sum of ``antal`` in ``befolkning`` (``kommunkod, ar, alder, kon, antal``)
    over both sexes and every age of the band; a municipality-year whose population lacks an
    age of the band, or that has no count row, gets no row. A count Kolada withholds gives a
    row without a value and with the count's status. Gender ``T`` only (the population is
    summed over sexes). Columns: ``kpi`` (:func:`rate_id`), ``municipality_id``, ``year``
    (Int64), ``gender``, ``value`` (Float64), ``status``, ``count`` (Kolada's count, Float64)
    and ``population`` (Int64).
    """
    codebook = codebook or load_codebook()
    columns = ["kpi", "municipality_id", "year", "gender", "value", "status"]
    data = _clean(kolada)
    data = data.loc[(data["gender"] == "T") & data["municipality_id"].map(is_municipality)]
    pop = befolkning.assign(
        kommunkod=befolkning["kommunkod"].astype(str),
        ar=pd.to_numeric(befolkning["ar"]).astype(int),
        alder=pd.to_numeric(befolkning["alder"]).astype(int),
        antal=pd.to_numeric(befolkning["antal"]),
    )
    frames = []
    for kpi in codebook.kolada_kpis:
        if kpi.rate is None:
            continue
        low, high = kpi.rate.ages
        band = pop.loc[pop["alder"].between(low, high)]
        sums = band.groupby(["kommunkod", "ar"]).agg(
            population=("antal", "sum"), ages=("alder", "nunique")
        )
        sums = sums.loc[sums["ages"] == high - low + 1, "population"]
        counts = data.loc[data["kpi"] == kpi.id].drop_duplicates(
            ["municipality_id", "year"], keep="last"
        )
        counts = counts.assign(year=counts["year"].astype(int))
        part = counts.merge(
            sums.rename_axis(["municipality_id", "year"]).reset_index(),
            on=["municipality_id", "year"],
            how="inner",
        )
        part = part.loc[part["population"] > 0]
        frames.append(
            pd.DataFrame(
                {
                    "kpi": rate_id(kpi.id),
                    "municipality_id": part["municipality_id"],
                    "year": part["year"],
                    "gender": "T",
                    "value": 1000 * part["value"].astype("Float64") / part["population"],
                    "status": part["status"],
                    "count": part["value"].astype("Float64"),
                    "population": part["population"],
                }
            )
        )
    if not frames:
        empty = {c: pd.Series(dtype=object) for c in [*columns, "count", "population"]}
        return pd.DataFrame(empty)
    out = pd.concat(frames, ignore_index=True)
    out["year"] = out["year"].astype("Int64")
    out["value"] = out["value"].astype("Float64")
    out["count"] = out["count"].astype("Float64")
    out["population"] = out["population"].astype("Int64")
    return out.reset_index(drop=True)


def with_rates(
    kolada: pd.DataFrame, befolkning: pd.DataFrame | None, codebook: Codebook | None = None
) -> pd.DataFrame:
    """``kolada`` with the rows of :func:`kpi_rates` appended (unchanged without a population
    table), so that trends, the regional overview and the comparisons show the rates too."""
    if befolkning is None:
        return kolada
    rates = kpi_rates(kolada, befolkning, codebook)
    return pd.concat([kolada, rates[list(kolada.columns)]], ignore_index=True)


# --- the comparison rule --------------------------------------------------------------------


def usual_variation(series: pd.Series, year: int) -> tuple[float | None, int]:
    """(The usual year-to-year variation of one municipality's KPI, number of changes it rests
    on) for a comparison in ``year``.

    ``series`` is the municipality's values of one KPI by year (int index, NaN or <NA> where
    missing). For every pair of consecutive years ``(y - 1, y)`` with
    ``year - VARIATION_YEARS < y <= year`` where it has both values, the absolute change
    ``|v[y] - v[y-1]|``; the usual variation is the :data:`VARIATION_QUANTILE` (the median) of
    these changes, None when there are fewer than :data:`MIN_VARIATION_CHANGES`.

    Why: Kolada publishes no margins of error, so the workbench cannot test a difference. What
    it can say is how much the municipality's own figure moves anyway from one year to the
    next (chance in small numbers, one-off events, real change); a difference from the county
    no larger than that is within one ordinary year's change and is not called out. The
    municipality's own series is used because that movement depends on its size (a small
    municipality's figures jump more); the median is not swayed by one odd year.
    """
    values = pd.to_numeric(series, errors="coerce").astype(float)
    return _variation(dict(zip(values.index, values.to_numpy(), strict=True)), year)


def _variation(values: Mapping[int, float], year: int) -> tuple[float | None, int]:
    """:func:`usual_variation` over a municipality's values by year as a plain mapping (read
    once per KPI rather than once per year compared)."""
    changes: list[float] = []
    for y in range(year - VARIATION_YEARS + 1, year + 1):
        if y in values and y - 1 in values:
            step = abs(values[y] - values[y - 1])
            if not np.isnan(step):
                changes.append(float(step))
    if len(changes) < MIN_VARIATION_CHANGES:
        return None, len(changes)
    return float(np.quantile(changes, VARIATION_QUANTILE)), len(changes)


def _place(value: float, others: np.ndarray, higher_is_better: bool) -> tuple[int, float | None]:
    """(Rank, 1 = best and ties sharing the better place; percentage of the other values this
    one is better than, a tie counting half, None without others)."""
    better = others > value if higher_is_better else others < value
    worse = others < value if higher_is_better else others > value
    ties = others == value
    rank = 1 + int(better.sum())
    if len(others) == 0:
        return rank, None
    return rank, float(100 * (worse.sum() + 0.5 * ties.sum()) / len(others))


def kpi_comparisons(
    kolada: pd.DataFrame, codebook: Codebook | None = None, gender: str = "T"
) -> pd.DataFrame:
    """Every municipality's place and its comparison with the county, per KPI and year.

    The rule, per KPI (those of :func:`shown_kpis` that are not counts), year and municipality
    with a value (a municipality is any area :func:`is_municipality` accepts, so a full Kolada
    download is compared among all of Sweden's municipalities and the example among its eight):

    - ``rank``: its place among the municipalities with a value that year, 1 = best as the
      codebook's ``higher_is_better`` reads the KPI, tied values sharing the better place;
      ``ranked`` how many they are; ``percentile`` the percentage of the *other* ones it is
      better than, a tie counting half (<NA> when it is alone).
    - ``difference``: its value minus the county's that year (<NA> without the county's).
    - ``typical_change``: the usual year-to-year variation of the municipality's own figure
      (:func:`usual_variation`: the median absolute change from one year to the next in the
      last :data:`VARIATION_YEARS` years), ``changes`` how many changes it rests on.
    - ``comparison``: ``better`` or ``worse`` (read with ``higher_is_better``) when
      ``|difference|`` is larger than ``typical_change``, ``similar`` when it is not,
      ``undetermined`` when there is no usual variation, <NA> without the county's value.

    Counts (unit ``antal``) depend on the size of the area and are neither ranked nor compared.
    Columns: ``kpi``, ``area``, ``year`` (Int64), ``value`` (Float64), then those above.
    """
    codebook = codebook or load_codebook()
    county = codebook.county.kolada_id
    data = _clean(kolada)
    data = data.loc[data["gender"] == gender].drop_duplicates(
        ["kpi", "municipality_id", "year"], keep="last"
    )
    data = data.loc[data["year"].notna()]
    columns = ["kpi", "area", "year", "value", *COMPARISON_COLUMNS]
    rows = []
    for kpi in shown_kpis(codebook):
        if kpi.unit in COUNT_UNITS:
            continue
        part = data.loc[data["kpi"] == kpi.id]
        if part.empty:
            continue
        members = part.loc[part["municipality_id"].map(is_municipality)]
        wide = members.pivot(index="year", columns="municipality_id", values="value").astype(float)
        wide.index = wide.index.astype(int)
        ref = part.loc[part["municipality_id"] == county].set_index("year")["value"].astype(float)
        ref.index = ref.index.astype(int)
        ref = ref.reindex(wide.index)
        by_year = {area: dict(zip(wide.index, wide[area].to_numpy(), strict=True)) for area in wide}
        for year in wide.index:
            values = wide.loc[year].dropna()
            if values.empty:
                continue
            county_value = ref.get(year)
            numbers = values.to_numpy()
            for i, (area, value) in enumerate(values.items()):
                typical, changes = _variation(by_year[area], int(year))
                rank, percentile = _place(value, np.delete(numbers, i), kpi.higher_is_better)
                difference = None if pd.isna(county_value) else value - county_value
                if difference is None:
                    code = None
                elif typical is None:
                    code = UNDETERMINED
                elif abs(difference) <= typical * (1 + _EPSILON) + _EPSILON:
                    code = SIMILAR
                else:
                    code = BETTER if (difference > 0) == kpi.higher_is_better else WORSE
                rows.append(
                    {
                        "kpi": kpi.id,
                        "area": area,
                        "year": int(year),
                        "value": value,
                        "rank": rank,
                        "ranked": len(values),
                        "percentile": percentile,
                        "difference": difference,
                        "typical_change": typical,
                        "changes": changes,
                        "comparison": code,
                    }
                )
    out = pd.DataFrame(rows, columns=columns)
    for col in ("year", "rank", "ranked", "changes"):
        out[col] = out[col].astype("Int64")
    for col in ("value", "percentile", "difference", "typical_change"):
        out[col] = out[col].astype("Float64")
    out["comparison"] = out["comparison"].astype(object).where(out["comparison"].notna(), pd.NA)
    return out


def kolada_places(
    kolada: pd.DataFrame, befolkning: pd.DataFrame | None, codebook: Codebook | None = None
) -> pd.DataFrame:
    """The processed table of every municipality's places and comparisons: :func:`kpi_comparisons`
    of the KPIs and their rates (:func:`with_rates`), for all inhabitants, with the area in
    ``municipality_id`` as in ``kolada``.

    Made once when the data are processed: a municipality's chapter then reads its own rows
    instead of ranking every municipality again, which would make each chapter's cost grow
    with the number of municipalities.
    """
    places = kpi_comparisons(with_rates(kolada, befolkning, codebook), codebook, gender="T")
    return places.rename(columns={"area": "municipality_id"})


def _with_comparisons(
    frame: pd.DataFrame,
    kolada: pd.DataFrame,
    codebook: Codebook,
    gender: str,
    places: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``frame`` (trend or regional rows) with the columns of :func:`kpi_comparisons` for its
    municipalities' rows; the county's and the country's rows get <NA>. ``places``: the rows of
    :func:`kolada_places` to take them from (all inhabitants only) instead of computing them
    from ``kolada``."""
    if places is not None and gender == "T":
        comparisons = places.rename(columns={"municipality_id": "area"}).drop(columns="value")
        comparisons["year"] = comparisons["year"].astype("Int64")
    else:
        comparisons = kpi_comparisons(kolada, codebook, gender).drop(columns="value")
    out = frame.merge(comparisons, on=["kpi", "area", "year"], how="left")
    member = out["role"].isin([ROLE_MUNICIPALITY, ROLE_MEMBER])
    for col in COMPARISON_COLUMNS:
        out[col] = out[col].where(member, pd.NA)
    out["comparison"] = out["comparison"].astype(object).where(out["comparison"].notna(), pd.NA)
    return out


# --- one municipality -----------------------------------------------------------------------


def kpi_trends(
    kolada: pd.DataFrame,
    municipality_code: str,
    codebook: Codebook | None = None,
    gender: str = "T",
    places: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each codebook KPI's values for the municipality, the county and the country, by year.

    Per KPI the codebook lists and the table has rows for (codebook order), per area (the
    municipality, then the county, then the country) and per year any of the three has a row
    for: one row. Columns: ``kpi``, ``label`` (short Swedish label), ``title`` (Kolada's title),
    ``unit`` (codebook unit id), ``unit_label``, ``note`` ("" when none),
    ``higher_is_better``, ``area`` (Kolada id), ``area_name``, ``role`` ("kommunen", "länet",
    "riket"), ``year`` (Int64), ``value`` (Float64, <NA> when Kolada has none), ``status``
    (Kolada's, "" when none) and ``status_text`` ("" when there is a value, else the
    codebook's label of the status, or "saknas"), and for the municipality's rows the
    comparison columns of :func:`kpi_comparisons` (``rank``, ``ranked``, ``percentile``,
    ``difference``, ``typical_change``, ``changes``, ``comparison``; <NA> for the county and
    the country, and for counts). A year an area has no row for is a row with no value and
    status "". Rates per 1 000 (:func:`with_rates`) follow their count when ``kolada`` has them.
    ``places``: the municipality's rows of the processed :func:`kolada_places`, so that
    ``kolada`` need hold only the municipality's, the county's and the country's rows; without
    it the places are computed among the municipalities in ``kolada``.
    """
    codebook = codebook or load_codebook()
    areas = codebook.kolada_areas()
    county, country = codebook.county.kolada_id, codebook.country.kolada_id
    if municipality_code not in areas or municipality_code in (county, country):
        raise FouanalysError(
            f"'{municipality_code}' är inte en av kodbokens kommuner; nyckeltalen från Kolada "
            f"visas för kommunerna {', '.join(c for c in areas if c not in (county, country))}."
        )
    roles = {municipality_code: ROLE_MUNICIPALITY, county: ROLE_COUNTY, country: ROLE_COUNTRY}
    data = _clean(kolada)
    data = data.loc[(data["gender"] == gender) & data["municipality_id"].isin(roles)]
    frames = []
    for kpi in shown_kpis(codebook):
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
        columns = [*TREND_COLUMNS, *COMPARISON_COLUMNS]
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    out = pd.concat(frames, ignore_index=True)
    out["area_name"] = out["area"].map(areas)
    out["role"] = out["area"].map(roles)
    out["year"] = out["year"].astype("Int64")
    out["value"] = out["value"].astype("Float64")
    out["status_text"] = [
        status_text(v, s, codebook) for v, s in zip(out["value"], out["status"], strict=True)
    ]
    return _with_comparisons(out[TREND_COLUMNS], kolada, codebook, gender, places)


# --- all municipalities ---------------------------------------------------------------------


def regional_frame(
    kolada: pd.DataFrame, codebook: Codebook | None = None, gender: str = "T"
) -> pd.DataFrame:
    """Every area's value of each codebook KPI in its latest year, for the regional overview.

    Per KPI with rows in the table (codebook order), its latest year (the latest with a value
    for any area), and per area in the codebook's order (the eight municipalities, the county,
    the country) one row. Columns: those of :func:`kpi_trends` (``kpi`` … ``higher_is_better``,
    ``year``, ``area``, ``area_name``, ``value``, ``status``, ``status_text``) with ``role``
    "kommun", "länet" or "riket", and the comparison columns of :func:`kpi_comparisons` for
    the municipalities' rows (ranked among every municipality in ``kolada``, not only the
    codebook's). An area without a row that year has no value and status "".
    """
    codebook = codebook or load_codebook()
    areas = codebook.kolada_areas()
    roles = {code: ROLE_MEMBER for code in areas}
    roles[codebook.county.kolada_id] = ROLE_COUNTY
    roles[codebook.country.kolada_id] = ROLE_COUNTRY
    data = _clean(kolada)
    data = data.loc[(data["gender"] == gender) & data["municipality_id"].isin(areas)]
    rows = []
    for kpi in shown_kpis(codebook):
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
    out = pd.DataFrame(rows, columns=REGIONAL_COLUMNS[: -len(COMPARISON_COLUMNS)])
    out["year"] = out["year"].astype("Int64")
    out["value"] = out["value"].astype("Float64")
    return _with_comparisons(out, kolada, codebook, gender)[REGIONAL_COLUMNS]
