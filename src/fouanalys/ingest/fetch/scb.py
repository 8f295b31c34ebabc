"""SCB: population by municipality, age, sex and year (PxWeb API v1), into ``befolkning.csv``.

The table ``BE/BE0101/BE0101A/BefolkningNy`` answers a GET with its metadata (variables and
their values) and a POSTed JSON query with a json-stat2 dataset. :func:`fetch_befolkning` checks
the municipalities, ages and years against the metadata, splits the query so that no answer
exceeds SCB's cell limit, and returns ``kommunkod, ar, alder, kon, antal`` with ``kon`` as the
codebook's sexes; :func:`write_befolkning` merges it into the data directory. Civilstånd is left
out of the query, so SCB sums over it. The parsing functions are pure, for tests.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fouanalys.codebook import Codebook, load_codebook, normalize_key
from fouanalys.config import SCB_BASE_URL
from fouanalys.exceptions import CellFormatError, FetchError
from fouanalys.ingest.fetch.client import (
    ApiClient,
    FetchedTable,
    FetchSummary,
    client_for,
    lookup_cell,
    parse_column,
    read_existing,
    refuse_duplicate_keys,
    resolve_codes,
    service_client,
    unexpected,
    update_table,
    write_fetched,
    year_list,
)
from fouanalys.ingest.readers import INT_PATTERN, fold_municipality

log = logging.getLogger("fouanalys")

SERVICE = "SCB"
#: Folkmängden efter region, civilstånd, ålder och kön. År 1968 - …
TABLE = "BE/BE0101/BE0101A/BefolkningNy"
#: ContentsCode of "Folkmängd" (the population on 31 December).
CONTENTS = "BE0101N1"
#: Documented limit of cells in one answer (newer documentation says 150 000).
MAX_CELLS = 100_000
#: SCB allows 30 requests per 10 seconds per IP; stay below it, retries included.
MAX_CALLS, PERIOD = 25, 10.0
AGES = tuple(range(0, 26))
REGION_FILTER = "vs:RegionKommun07"

COLUMNS = ("kommunkod", "ar", "alder", "kon", "antal")
KEY = ("kommunkod", "ar", "alder", "kon")
#: What one fetch covers: its rows replace the old rows of these combinations.
SCOPE = ("kommunkod", "ar")
_DIMS = {"Region": "region", "Alder": "ålder", "Kon": "kön", "Tid": "år"}
_DTYPES = {"kommunkod": "str", "ar": "int64", "alder": "int64", "kon": "str", "antal": "int64"}


def scb_client(refresh: bool = False, **options: Any) -> ApiClient:
    """An :class:`ApiClient` for SCB: at most 25 requests per 10 seconds, cached answers."""
    return service_client(SERVICE, MAX_CALLS, PERIOD, refresh, **options)


def table_url(base_url: str = SCB_BASE_URL) -> str:
    return f"{base_url.rstrip('/')}/{TABLE}"


_unexpected = partial(unexpected, SERVICE)


# --- parsing (pure) --------------------------------------------------------------------------


@dataclass(frozen=True)
class Variable:
    """One variable of a PxWeb table: its code, values and their texts."""

    code: str
    text: str
    values: tuple[str, ...]
    texts: tuple[str, ...]
    elimination: bool = False
    time: bool = False


def parse_table_metadata(payload: Any, url: str) -> dict[str, Variable]:
    """The variables of a PxWeb table's metadata answer, by code.

    Raises :class:`FetchError` naming the URL and the field when the answer lacks one.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("variables"), list):
        raise _unexpected(url, "fältet 'variables' saknas i tabellens metadata")
    out: dict[str, Variable] = {}
    for i, var in enumerate(payload["variables"], start=1):
        if not isinstance(var, dict):
            raise _unexpected(url, f"variabel {i} är inget objekt")
        for field in ("code", "values"):
            if field not in var:
                raise _unexpected(url, f"variabel {i} saknar fältet '{field}'")
        values = var["values"]
        texts = var.get("valueTexts", values)
        if not isinstance(values, list) or not isinstance(texts, list) or len(texts) != len(values):
            raise _unexpected(url, f"variabeln {var['code']}: 'values'/'valueTexts' stämmer inte")
        out[str(var["code"])] = Variable(
            code=str(var["code"]),
            text=str(var.get("text", var["code"])),
            values=tuple(str(v) for v in values),
            texts=tuple(str(t) for t in texts),
            elimination=bool(var.get("elimination", False)),
            time=bool(var.get("time", False)),
        )
    for code in ("Region", "Alder", "Kon", "ContentsCode", "Tid"):
        if code not in out:
            raise _unexpected(url, f"tabellen saknar variabeln '{code}'")
    return out


def _category_codes(dimension: Any, dim: str, url: str) -> list[str]:
    """A json-stat dimension's category codes in index order (list or dict index)."""
    if not isinstance(dimension, dict) or not isinstance(dimension.get("category"), dict):
        raise _unexpected(url, f"dimensionen '{dim}' saknar 'category'")
    category = dimension["category"]
    index = category.get("index")
    if index is None:
        labels = category.get("label")
        if isinstance(labels, dict) and len(labels) == 1:
            return [str(next(iter(labels)))]
        raise _unexpected(url, f"dimensionen '{dim}' saknar 'category.index'")
    if isinstance(index, list):
        return [str(code) for code in index]
    if isinstance(index, dict):
        positions = sorted(index.items(), key=lambda kv: kv[1])
        if [p for _, p in positions] != list(range(len(positions))):
            raise _unexpected(url, f"dimensionen '{dim}' har luckor i 'category.index'")
        return [str(code) for code, _ in positions]
    raise _unexpected(url, f"dimensionen '{dim}': 'category.index' är varken lista eller objekt")


def parse_jsonstat2(payload: Any, url: str) -> pd.DataFrame:
    """A json-stat2 dataset as a long frame: one str column of category codes per dimension
    (in ``id`` order) and ``value`` (float64, NaN for null).

    Accepts ``category.index`` as a list or an object and ``value`` as a list or a sparse
    object. Raises :class:`FetchError` naming the URL and field for anything else.
    """
    if not isinstance(payload, dict):
        raise _unexpected(url, f"svaret är {type(payload).__name__}, inte ett json-stat-objekt")
    for field in ("id", "size", "dimension", "value"):
        if field not in payload:
            raise _unexpected(url, f"fältet '{field}' saknas i json-stat-svaret")
    if payload.get("class", "dataset") != "dataset":
        raise _unexpected(url, f"json-stat-klassen är {payload.get('class')!r}, inte 'dataset'")
    ids, size, dimensions = payload["id"], payload["size"], payload["dimension"]
    if (
        not isinstance(ids, list)
        or not isinstance(size, list)
        or len(ids) != len(size)
        or not all(isinstance(n, int) and n >= 0 for n in size)
    ):
        raise _unexpected(url, "'id' och 'size' stämmer inte med varandra")
    if not isinstance(dimensions, dict):
        raise _unexpected(url, "'dimension' är inget objekt")
    codes: list[list[str]] = []
    for dim, n in zip(ids, size, strict=True):
        if dim not in dimensions:
            raise _unexpected(url, f"dimensionen '{dim}' saknas i 'dimension'")
        dim_codes = _category_codes(dimensions[dim], dim, url)
        if len(dim_codes) != n:
            raise _unexpected(
                url, f"dimensionen '{dim}' har {len(dim_codes)} kategorier men 'size' säger {n}"
            )
        codes.append(dim_codes)
    total = math.prod(size)
    raw = payload["value"]
    if isinstance(raw, dict):
        values: list[Any] = [None] * total
        for pos, value in raw.items():
            if not str(pos).isdigit() or int(pos) >= total:
                raise _unexpected(url, f"'value' har positionen {pos!r} utanför tabellen")
            values[int(pos)] = value
    elif isinstance(raw, list):
        if len(raw) != total:
            raise _unexpected(url, f"'value' har {len(raw)} värden men tabellen {total} celler")
        values = raw
    else:
        raise _unexpected(url, "'value' är varken lista eller objekt")
    bad = next(
        (
            v
            for v in values
            if v is not None and (isinstance(v, bool) or not isinstance(v, int | float))
        ),
        None,
    )
    if bad is not None:
        raise _unexpected(url, f"'value' innehåller {bad!r}, som inte är ett tal")
    columns = {}
    for k, (dim, dim_codes) in enumerate(zip(ids, codes, strict=True)):
        inner, outer = math.prod(size[k + 1 :]), math.prod(size[:k])
        columns[dim] = np.tile(np.repeat(np.array(dim_codes, dtype=object), inner), outer)
    frame = pd.DataFrame(columns, columns=list(ids)).astype("str")
    frame["value"] = np.array([np.nan if v is None else float(v) for v in values], dtype="float64")
    return frame


# --- queries ---------------------------------------------------------------------------------


def build_query(
    regions: Sequence[str], ages: Sequence[str], sexes: Sequence[str], years: Sequence[str]
) -> dict:
    """The PxWeb query for population (Folkmängd) by region, age, sex and year, as json-stat2.

    Civilstånd is left out, so SCB sums over it.
    """

    def item(code: str, values: Sequence[str], filter_: str = "item") -> dict:
        return {"code": code, "selection": {"filter": filter_, "values": list(values)}}

    return {
        "query": [
            item("Region", regions, REGION_FILTER),
            item("Alder", ages),
            item("Kon", sexes),
            item("ContentsCode", [CONTENTS]),
            item("Tid", years),
        ],
        "response": {"format": "json-stat2"},
    }


def split_queries(
    regions: Sequence[str],
    years: Sequence[str],
    cells_per_region_year: int,
    max_cells: int = MAX_CELLS,
) -> list[tuple[list[str], list[str]]]:
    """(regions, years) parts whose answers hold at most ``max_cells`` cells each.

    Years are grouped first; when one year alone is too large, regions are split too.
    """
    if cells_per_region_year > max_cells:
        raise FetchError(
            f"En enda kommun och ett år ger {cells_per_region_year} celler, fler än SCB:s "
            f"gräns {max_cells}; fråga efter färre åldrar."
        )
    per_year = len(regions) * cells_per_region_year
    if per_year <= max_cells:
        step = max_cells // per_year
        return [(list(regions), list(years[i : i + step])) for i in range(0, len(years), step)]
    step = max_cells // cells_per_region_year
    region_parts = [list(regions[i : i + step]) for i in range(0, len(regions), step)]
    return [(part, [year]) for year in years for part in region_parts]


# --- fetching --------------------------------------------------------------------------------


def _areas_to_fetch(municipalities: Iterable[str] | None, codebook: Codebook) -> list[str]:
    """Four-digit municipality codes (default: the codebook's); names the codebook knows are
    turned into codes. Raises :class:`FetchError` for anything else."""
    if municipalities is None:
        return [m.code for m in codebook.municipalities]
    lookup = codebook.municipality_lookup()
    known = ", ".join(f"{m.code} {m.name}" for m in codebook.municipalities)
    return resolve_codes(
        municipalities, lambda value: fold_municipality(value, lookup) or None, known
    )


def _sex_codes(kon: Variable, codebook: Codebook, url: str) -> dict[str, str]:
    """SCB's Kon code -> the codebook's sex id (via the value texts, e.g. män -> Pojke)."""
    aliases = codebook.alias_map("sexes")
    out: dict[str, str] = {}
    for code, text in zip(kon.values, kon.texts, strict=True):
        sex = aliases.get(normalize_key(text))
        if sex is None:
            raise _unexpected(url, f"könet {code} '{text}' motsvarar inget kön i kodboken")
        out[code] = sex
    wanted = {s.id for s in codebook.survey.sexes}
    if set(out.values()) != wanted:
        raise _unexpected(url, f"variabeln Kon har {kon.texts}, väntade {sorted(wanted)}")
    return out


def _check_selection(
    meta: dict[str, Variable],
    regions: list[str],
    ages: list[str],
    years: list[int] | None,
    codebook: Codebook,
    url: str,
) -> list[int]:
    """Check regions, ages and years against the table; return the years to fetch."""
    unknown = [r for r in regions if r not in meta["Region"].values]
    if unknown:
        raise FetchError(
            f"SCB känner inte till kommunkoden {', '.join(unknown)} i tabellen {TABLE} ({url})."
        )
    listed = {m.code for m in codebook.municipalities}
    outside = [r for r in regions if r not in listed]
    if outside:
        texts = dict(zip(meta["Region"].values, meta["Region"].texts, strict=True))
        which = ", ".join(f"{r} {texts[r]}" for r in outside)
        raise FetchError(
            f"{which} finns hos SCB men inte i kodboken; befolkning.csv får bara innehålla "
            "kodbokens kommuner. Lägg till kommunen i kodboken (se FOUANALYS_CODEBOOK) eller "
            "hämta utan den."
        )
    missing_ages = [a for a in ages if a not in meta["Alder"].values]
    if missing_ages:
        raise _unexpected(url, f"tabellen saknar åldrarna {', '.join(missing_ages)}")
    if CONTENTS not in meta["ContentsCode"].values:
        raise _unexpected(url, f"tabellen saknar innehållet {CONTENTS} (Folkmängd)")
    available = sorted(int(t) for t in meta["Tid"].values if t.isdigit())
    if not available:
        raise _unexpected(url, "tabellen har inga år")
    if years is None:
        first = codebook.survey.years[0]
        chosen = [y for y in available if y >= first]
        if not chosen:
            raise FetchError(
                f"SCB har inga befolkningssiffror från {first} och framåt (senaste år: "
                f"{available[-1]}) i {url}."
            )
        return chosen
    absent = [y for y in years if y not in available]
    if absent:
        raise FetchError(
            f"SCB har inga befolkningssiffror för år {', '.join(map(str, absent))} i tabellen "
            f"{TABLE} (finns: {available[0]}–{available[-1]}; {url})."
        )
    return list(years)


def _population(
    data: pd.DataFrame,
    regions: list[str],
    ages: list[str],
    sexes: dict[str, str],
    years: list[str],
    url: str,
) -> pd.DataFrame:
    """Check one parsed answer against its query and turn it into befolkning rows."""
    for dim in _DIMS:
        if dim not in data.columns:
            raise _unexpected(url, f"svaret saknar dimensionen '{dim}'")
    for dim in data.columns:
        if dim in (*_DIMS, "value"):
            continue
        if dim == "ContentsCode":
            if set(data[dim]) != {CONTENTS}:
                raise _unexpected(url, f"svaret har innehållet {sorted(set(data[dim]))}")
        elif data[dim].nunique() > 1:
            raise _unexpected(url, f"svaret är uppdelat på '{dim}', som inte efterfrågades")
    if data.duplicated(list(_DIMS)).any():
        raise _unexpected(url, "svaret har samma cell flera gånger")
    wanted = pd.MultiIndex.from_product(
        [regions, ages, list(sexes), years], names=list(_DIMS)
    ).to_frame(index=False)
    cells = wanted.merge(data, on=list(_DIMS), how="left", validate="one_to_one")
    absent = cells["value"].isna()
    if absent.any():
        cell = cells[absent].iloc[0]
        where = ", ".join(f"{_DIMS[d]} {cell[d]}" for d in _DIMS)
        raise FetchError(
            f"SCB saknar värde för {where} ({int(absent.sum())} celler utan värde) på {url}; "
            "ingenting skrevs."
        )
    value = cells["value"].to_numpy()
    bad = (value < 0) | (value != np.round(value))
    if bad.any():
        cell = cells[bad].iloc[0]
        where = ", ".join(f"{_DIMS[d]} {cell[d]}" for d in _DIMS)
        raise _unexpected(url, f"folkmängden {cell['value']!r} för {where} är inget antal")
    return pd.DataFrame(
        {
            "kommunkod": cells["Region"].astype("str"),
            "ar": cells["Tid"].astype("int64"),
            "alder": cells["Alder"].astype("int64"),
            "kon": cells["Kon"].map(sexes).astype("str"),
            "antal": value.astype("int64"),
        }
    )


def fetch_befolkning(
    municipalities: Iterable[str] | None = None,
    years: Iterable[int] | tuple[int, int] | None = None,
    base_url: str = SCB_BASE_URL,
    *,
    ages: Sequence[int] = AGES,
    max_cells: int = MAX_CELLS,
    client: ApiClient | None = None,
    refresh: bool = False,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """Fetch the population by municipality, age, sex and year from SCB.

    Defaults: the codebook's municipalities, ages 0–25, both sexes, from the first survey year
    in the codebook to the latest year in the table. Returns ``kommunkod`` str, ``ar`` int64,
    ``alder`` int64, ``kon`` str (the codebook's sexes, Pojke/Flicka), ``antal`` int64, sorted
    by those; ``frame.attrs["befolkning_selection"]`` records the municipalities and years.
    Raises :class:`FetchError` for an unknown municipality or year, a null or non-count value,
    an unexpected answer or a failed request.
    """
    codebook = codebook or load_codebook()
    regions = _areas_to_fetch(municipalities, codebook)
    wanted_years = None if years is None else year_list(years, [])
    age_codes = [str(int(a)) for a in ages]
    url = table_url(base_url)
    with client_for(client, scb_client, refresh) as active:
        log.info("Läser tabellen %s hos SCB …", TABLE)
        meta = active.get_json(url, parse=lambda p: parse_table_metadata(p, url))
        chosen = _check_selection(meta, regions, age_codes, wanted_years, codebook, url)
        sexes = _sex_codes(meta["Kon"], codebook, url)
        per_region_year = len(age_codes) * len(sexes)
        parts = split_queries(regions, [str(y) for y in chosen], per_region_year, max_cells)
        frames = []
        for i, (part_regions, part_years) in enumerate(parts, start=1):
            log.info(
                "Hämtar befolkning från SCB, fråga %d av %d (%s) …",
                i,
                len(parts),
                part_years[0] if len(part_years) == 1 else f"{part_years[0]}–{part_years[-1]}",
            )
            query = build_query(part_regions, age_codes, list(sexes), part_years)
            data = active.post_json(url, query, parse=lambda p: parse_jsonstat2(p, url))
            frames.append(_population(data, part_regions, age_codes, sexes, part_years, url))
    frame = pd.concat(frames, ignore_index=True)
    frame = frame.sort_values(list(KEY), kind="stable").reset_index(drop=True)
    frame.attrs["befolkning_selection"] = {"municipalities": regions, "years": chosen}
    return frame


# --- writing ---------------------------------------------------------------------------------


def _int_cell(text: str | None) -> int:
    value = (text or "").strip()
    if not INT_PATTERN.match(value):
        raise CellFormatError(text)
    value = re.sub(r"[ \u00a0\u202f]", "", value)
    return int(re.sub(r"[.,]0$", "", value))


def read_befolkning(path: Path, codebook: Codebook | None = None) -> pd.DataFrame:
    """An existing ``befolkning.csv`` (any dialect the readers accept) in the frame of
    :func:`fetch_befolkning`. Raises :class:`FetchError` naming the file when it cannot be
    read in that shape."""
    codebook = codebook or load_codebook()
    raw = read_existing(path, "befolkning", codebook)
    lookup = codebook.municipality_lookup()
    sexes = codebook.alias_map("sexes")

    def municipality(text: str | None) -> str:
        code = fold_municipality(text or "", lookup)
        if code is None:
            raise CellFormatError(text)
        return code

    def sex(text: str | None) -> str:
        return lookup_cell(sexes, text)

    def count(text: str | None) -> int:
        value = _int_cell(text)
        if value < 0:
            raise CellFormatError(text)
        return value

    frame = pd.DataFrame(
        {
            "kommunkod": parse_column(raw, "kommunkod", municipality, path, "en kommun i kodboken"),
            "ar": parse_column(raw, "ar", _int_cell, path, "ett årtal"),
            "alder": parse_column(raw, "alder", _int_cell, path, "en ålder i hela år"),
            "kon": parse_column(raw, "kon", sex, path, "Pojke eller Flicka"),
            "antal": parse_column(raw, "antal", count, path, "ett antal (heltal, minst 0)"),
        }
    ).astype(_DTYPES)
    refuse_duplicate_keys(
        frame,
        KEY,
        path,
        lambda row: f"{row['kommunkod']}, {row['ar']}, ålder {row['alder']}, {row['kon']}",
    )
    return frame.sort_values(list(KEY), kind="stable").reset_index(drop=True)


BEFOLKNING = FetchedTable(
    name="befolkning",
    columns=COLUMNS,
    key=KEY,
    scope=SCOPE,
    selection_attr="befolkning_selection",
    selection_values=lambda sel: [sel["municipalities"], [int(y) for y in sel["years"]]],
    read=lambda path, codebook: read_befolkning(path, codebook),
    normalise=lambda frame: frame[list(COLUMNS)].astype(_DTYPES),
    empty_message="SCB gav inga befolkningssiffror; {file} skrevs inte.",
)


def write_befolkning(
    frame: pd.DataFrame,
    data_dir: Path | None = None,
    selection: dict | None = None,
    codebook: Codebook | None = None,
) -> Path:
    """Merge fetched population rows into ``befolkning.csv`` in ``data_dir``; return its path.

    Old rows of the fetched municipalities × years (``selection`` = ``{"municipalities",
    "years"}``, default ``frame.attrs["befolkning_selection"]``, else the combinations in
    ``frame``) are replaced, all other rows kept. Written atomically as UTF-8 CSV, sorted by
    kommunkod, ar, alder, kon. Raises :class:`FetchError` (nothing written) for the synthetic
    example, an unreadable existing file, or befolkning in another format beside it.
    """
    return write_fetched(BEFOLKNING, frame, data_dir, selection, codebook)[0]


def update_befolkning(
    data_dir: Path | None = None,
    municipalities: Iterable[str] | None = None,
    years: Iterable[int] | tuple[int, int] | None = None,
    base_url: str | None = None,
    *,
    refresh: bool = False,
    client: ApiClient | None = None,
    codebook: Codebook | None = None,
    **options: Any,
) -> FetchSummary:
    """``fouanalys fetch befolkning``: check the target, fetch, merge into ``befolkning.csv``.

    Nothing is written unless everything was fetched and checked. ``options`` go to
    :func:`fetch_befolkning` (``ages``, ``max_cells``).
    """

    def fetch(active: ApiClient, book: Codebook) -> pd.DataFrame:
        url = base_url or SCB_BASE_URL
        return fetch_befolkning(municipalities, years, url, client=active, codebook=book, **options)

    _, path, merge, used = update_table(
        BEFOLKNING, data_dir, codebook, client, scb_client, refresh, fetch
    )
    return FetchSummary.from_merge(SERVICE, path, merge, used)
