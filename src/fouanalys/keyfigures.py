"""Kolada key figures as tidy frames: a municipality against the county and the country."""

from __future__ import annotations

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
#: A municipality within this relative distance of the county counts as "i nivå med länet".
LEVEL_TOLERANCE = 0.02
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
REGIONAL_COLUMNS = [*TREND_COLUMNS[:7], "year", "area", "area_name", "role", *TREND_COLUMNS[11:]]


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


# --- which KPIs ---------------------------------------------------------------------------------


def unknown_kpis(kolada: pd.DataFrame, codebook: Codebook | None = None) -> list[str]:
    """KPI ids in the table that the codebook does not describe, in the table's order."""
    codebook = codebook or load_codebook()
    known = {k.id for k in codebook.kolada_kpis}
    return [k for k in dict.fromkeys(kolada["kpi"].astype(str)) if k not in known]


# --- one municipality -----------------------------------------------------------------------


def kpi_trends(
    kolada: pd.DataFrame,
    municipality_code: str,
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
    if municipality_code not in areas or municipality_code in (county, country):
        raise FouanalysError(
            f"'{municipality_code}' är inte en av kodbokens kommuner; nyckeltalen från Kolada "
            f"visas för kommunerna {', '.join(c for c in areas if c not in (county, country))}."
        )
    roles = {municipality_code: ROLE_MUNICIPALITY, county: ROLE_COUNTY, country: ROLE_COUNTRY}
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


# --- all municipalities ---------------------------------------------------------------------


def regional_frame(
    kolada: pd.DataFrame, codebook: Codebook | None = None, gender: str = "T"
) -> pd.DataFrame:
    """Every area's value of each codebook KPI in its latest year, for the regional overview.

    Per KPI with rows in the table (codebook order), its latest year (the latest with a value
    for any area), and per area in the codebook's order (the eight municipalities, the county,
    the country) one row. Columns: those of :func:`kpi_trends` (``kpi`` … ``higher_is_better``,
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
