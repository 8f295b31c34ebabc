"""Kolada: the municipalities' public key figures (API v2), fetched into ``kolada.csv``.

Kolada answers every request with ``{"values": [...], "count": n, "next_page": url?}``, at most
5 000 items a page. Data items are ``{"kpi", "municipality", "period", "values": [{"count",
"gender", "status", "value"}]}``. :func:`fetch_kolada` checks the KPI ids and area codes against
Kolada's metadata, asks for the data in URLs short enough for the server, follows every
``next_page``, and returns one tidy frame; :func:`write_kolada` merges it into the data
directory's ``kolada.csv``. Kolada's ``status`` (``Missing``, ``Privacy``, ``Not applicable``)
is kept as it is. The parsing functions are pure, for tests.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import numpy as np
import pandas as pd

from fouanalys.codebook import KOLADA_KPI_PATTERN, Codebook, load_codebook, normalize_key
from fouanalys.config import KOLADA_BASE_URL
from fouanalys.exceptions import CellFormatError, FetchError, InvalidArgumentError
from fouanalys.ingest.fetch.client import (
    ApiClient,
    FetchedTable,
    FetchSummary,
    chunk_joined,
    client_for,
    lookup_cell,
    parse_column,
    read_existing,
    refuse_duplicate_keys,
    resolve_codes,
    service_client,
    split_list,
    unexpected,
    update_table,
    write_fetched,
    year_list,
)
from fouanalys.ingest.readers import FLOAT_PATTERN

log = logging.getLogger("fouanalys")

SERVICE = "Kolada"
#: First year fetched by default (the reports' time series start here).
FIRST_YEAR = 2010
#: Kolada's maximum (and default) number of items per page.
MAX_PER_PAGE = 5000
#: Longest URL sent; Kolada answers 400 to a URL that is too long (~2 000 characters).
MAX_URL_LENGTH = 1500
#: Politeness: at most this many requests per period (Kolada documents no rate limit).
MAX_CALLS, PERIOD = 5, 1.0
#: Guard against a ``next_page`` chain that never ends.
MAX_PAGES = 1000

COLUMNS = ("kpi", "municipality_id", "year", "gender", "value", "status")
KEY = ("kpi", "municipality_id", "year", "gender")
#: What one fetch covers: its rows replace the old rows of these combinations.
SCOPE = ("kpi", "municipality_id", "year")
GENDERS = ("T", "K", "M")
KPI_ID = re.compile(rf"^{KOLADA_KPI_PATTERN}$")


def kolada_client(refresh: bool = False, **options: Any) -> ApiClient:
    """An :class:`ApiClient` for Kolada: 5 requests a second, cached answers."""
    return service_client(SERVICE, MAX_CALLS, PERIOD, refresh, **options)


def default_years(today: date | None = None) -> list[int]:
    """2010 up to the current year."""
    return list(range(FIRST_YEAR, (today or date.today()).year + 1))


def resolve_kpis(kpis: Iterable[str] | None, codebook: Codebook) -> list[str]:
    """KPI ids, upper-cased, without duplicates (default: the codebook's ``kolada_kpis``).

    Accepts comma-separated lists. Raises :class:`FetchError` for a text that cannot be a
    Kolada id (a letter and five digits).
    """
    if kpis is None:
        return [k.id for k in codebook.kolada_kpis]
    out: list[str] = []
    for part in split_list(kpis):
        kpi = part.strip().upper()
        if not KPI_ID.match(kpi):
            raise FetchError(
                f"'{part.strip()}' är inget Kolada-id för ett nyckeltal: ett id är en "
                "bokstav och fem siffror, t.ex. N15428."
            )
        out.append(kpi)
    if not out:
        raise FetchError("Inga nyckeltal att hämta: ange --kpi med ett Kolada-id, t.ex. N15428.")
    return list(dict.fromkeys(out))


def resolve_areas(areas: Iterable[str] | None, codebook: Codebook) -> list[str]:
    """Four-digit Kolada area ids (default: the codebook's municipalities, county, country).

    A name the codebook knows (e.g. "Järfälla", "Riket") is turned into its id; a number is
    padded to four digits. Raises :class:`FetchError` for anything else.
    """
    known = codebook.kolada_areas()
    if areas is None:
        return list(known)
    by_name = {normalize_key(name): code for code, name in known.items()}
    listed = ", ".join(f"{c} {n}" for c, n in known.items())
    return resolve_codes(areas, lambda value: by_name.get(normalize_key(value)), listed)


# --- URLs ------------------------------------------------------------------------------------


def data_url(
    base_url: str,
    kpis: Sequence[str],
    areas: Sequence[str],
    years: Sequence[int],
    per_page: int = MAX_PER_PAGE,
) -> str:
    """``{base}/data/kpi/{kpis}/municipality/{areas}/year/{years}?per_page=n``."""
    return (
        f"{base_url.rstrip('/')}/data/kpi/{','.join(kpis)}/municipality/{','.join(areas)}"
        f"/year/{','.join(str(y) for y in years)}?per_page={per_page}"
    )


def data_urls(
    base_url: str,
    kpis: Sequence[str],
    areas: Sequence[str],
    years: Sequence[int],
    per_page: int = MAX_PER_PAGE,
    max_length: int = MAX_URL_LENGTH,
) -> list[str]:
    """Data URLs no longer than ``max_length`` that together ask for every combination once.

    The longest comma list is halved until each URL fits.
    """
    url = data_url(base_url, kpis, areas, years, per_page)
    if len(url) <= max_length:
        return [url]
    lists: list[list[Any]] = [list(kpis), list(areas), list(years)]
    sizes = [len(",".join(str(v) for v in values)) if len(values) > 1 else -1 for values in lists]
    longest = int(np.argmax(sizes))
    if sizes[longest] < 0:
        raise FetchError(
            f"Adressen till {SERVICE} blir för lång ({len(url)} tecken, högst {max_length}) "
            f"även för ett enda nyckeltal, en kommun och ett år: {url}"
        )
    values = lists[longest]
    out: list[str] = []
    for half in (values[: len(values) // 2], values[len(values) // 2 :]):
        parts = list(lists)
        parts[longest] = half
        out += data_urls(base_url, parts[0], parts[1], parts[2], per_page, max_length)
    return out


def metadata_urls(base_url: str, entity: str, ids: Sequence[str], max_length: int) -> list[str]:
    """``{base}/{entity}/{id,id,...}`` URLs no longer than ``max_length``."""
    prefix = f"{base_url.rstrip('/')}/{entity}/"
    budget = max(len(max(ids, key=len)), max_length - len(prefix))
    return [prefix + ",".join(chunk) for chunk in chunk_joined(ids, budget)]


# --- parsing (pure) --------------------------------------------------------------------------


_unexpected = partial(unexpected, SERVICE)


def parse_envelope(payload: Any, url: str) -> tuple[list[Any], str | None]:
    """The ``values`` and ``next_page`` of a Kolada answer, after checking the envelope."""
    if not isinstance(payload, dict):
        raise _unexpected(url, f"svaret är {type(payload).__name__}, inte ett JSON-objekt")
    for field in ("values", "count"):
        if field not in payload:
            raise _unexpected(url, f"fältet '{field}' saknas i svaret")
    values = payload["values"]
    if not isinstance(values, list):
        raise _unexpected(url, "fältet 'values' är ingen lista")
    if payload["count"] != len(values):
        raise _unexpected(
            url, f"'count' är {payload['count']!r} men 'values' har {len(values)} poster"
        )
    next_page = payload.get("next_page")
    if next_page is not None and not (isinstance(next_page, str) and next_page.strip()):
        raise _unexpected(url, f"'next_page' är ingen adress: {next_page!r}")
    return values, (next_page or None)


@dataclass(frozen=True)
class Page:
    """One parsed page of Kolada data: its rows (in :data:`COLUMNS` order) and next page."""

    rows: list[tuple[str, str, int, str, float, str]]
    next_page: str | None


def _require_fields(obj: Any, fields: Sequence[str], url: str, where: str) -> None:
    """Raise :class:`FetchError` unless ``obj`` is a JSON object holding every one of ``fields``."""
    if not isinstance(obj, dict):
        raise _unexpected(url, f"{where} är inget objekt")
    for field in fields:
        if field not in obj:
            raise _unexpected(url, f"{where} saknar fältet '{field}'")


def _item_head(item: Any, url: str, where: str) -> tuple[str, str, int]:
    """The checked ``(kpi, municipality, period)`` of one data item; a digit text year is read."""
    _require_fields(item, ("kpi", "municipality", "period", "values"), url, where)
    kpi, area, period = item["kpi"], item["municipality"], item["period"]
    if not isinstance(kpi, str) or not isinstance(area, str):
        raise _unexpected(url, f"{where}: 'kpi' och 'municipality' ska vara text")
    if isinstance(period, str) and period.strip().isdigit():
        period = int(period)
    if not isinstance(period, int) or isinstance(period, bool):
        raise _unexpected(url, f"{where}: 'period' är inget år ({item['period']!r})")
    if not isinstance(item["values"], list):
        raise _unexpected(url, f"{where}: 'values' är ingen lista")
    return kpi, area, period


def _value_cells(entry: Any, url: str, at: str) -> tuple[str, float, str]:
    """The checked ``(gender, value, status)`` of one value entry; NaN and "" for nulls."""
    _require_fields(entry, ("count", "gender", "status", "value"), url, at)
    gender, status, value = entry["gender"], entry["status"], entry["value"]
    if gender not in GENDERS:
        raise _unexpected(url, f"{at}: okänt kön {gender!r} (väntade T, K eller M)")
    if status is None:
        status = ""
    if not isinstance(status, str):
        raise _unexpected(url, f"{at}: 'status' är ingen text ({status!r})")
    if value is None:
        number = float("nan")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        raise _unexpected(url, f"{at}: 'value' är inget tal ({value!r})")
    return gender, number, status


def parse_kolada_page(payload: Any, url: str) -> Page:
    """Parse one page of ``/data`` into rows ``(kpi, municipality_id, year, gender, value,
    status)``; ``value`` NaN when null, ``status`` "" when none.

    Every field of an item and of each of its values is required; a missing or mistyped one
    raises :class:`FetchError` naming the URL, the item's position and the field.
    """
    items, next_page = parse_envelope(payload, url)
    rows: list[tuple[str, str, int, str, float, str]] = []
    for i, item in enumerate(items, start=1):
        where = f"post {i} av {len(items)}"
        kpi, area, period = _item_head(item, url, where)
        for j, entry in enumerate(item["values"], start=1):
            at = f"{where} ({kpi}, {area}, {period}), värde {j}"
            gender, number, status = _value_cells(entry, url, at)
            rows.append((kpi, area, period, gender, number, status))
    return Page(rows=rows, next_page=next_page)


def parse_metadata(payload: Any, url: str, fields: Sequence[str] = ("id", "title")) -> Page:
    """Parse a metadata answer (``/kpi/…``, ``/municipality/…``): its items as dicts.

    Returns a :class:`Page` whose rows are the items (each checked to have ``fields``).
    """
    items, next_page = parse_envelope(payload, url)
    for i, item in enumerate(items, start=1):
        _require_fields(item, fields, url, f"post {i} av {len(items)}")
    return Page(rows=items, next_page=next_page)


def frame_from_rows(rows: Iterable[Sequence[Any]]) -> pd.DataFrame:
    """The tidy Kolada frame for rows in :data:`COLUMNS` order, sorted by :data:`KEY`.

    Columns: ``kpi`` str, ``municipality_id`` str (four digits), ``year`` int64, ``gender``
    str (T, K, M), ``value`` float64 (NaN when none), ``status`` str ("" when none).
    """
    frame = pd.DataFrame(list(rows), columns=list(COLUMNS))
    frame = frame.astype(
        {
            "kpi": "str",
            "municipality_id": "str",
            "year": "int64",
            "gender": "str",
            "value": "float64",
            "status": "str",
        }
    )
    frame["status"] = frame["status"].fillna("")
    return frame.sort_values(list(KEY), kind="stable").reset_index(drop=True)


# --- fetching --------------------------------------------------------------------------------


def _pages(client: ApiClient, url: str, parse: Any, label: str) -> Iterator[Page]:
    """Follow ``next_page`` from ``url``, yielding each parsed page."""
    seen: set[str] = set()
    number = 0
    next_url: str | None = url
    while next_url:
        if next_url in seen or number >= MAX_PAGES:
            raise _unexpected(url, f"sidorna tar aldrig slut ({next_url} igen)")
        seen.add(next_url)
        number += 1
        if label:
            log.info("Hämtar %s, sida %d …", label, number)
        page_url = next_url
        page = client.get_json(page_url, parse=lambda p, u=page_url: parse(p, u))
        yield page
        next_url = urljoin(page_url, page.next_page) if page.next_page else None


def known_ids(
    client: ApiClient,
    base_url: str,
    entity: str,
    ids: Sequence[str],
    max_length: int = MAX_URL_LENGTH,
) -> dict[str, str]:
    """Kolada's title for each id of ``entity`` (``kpi`` or ``municipality``) Kolada knows.

    An id Kolada does not know is simply absent from the answer.
    """
    out: dict[str, str] = {}
    for url in metadata_urls(base_url, entity, ids, max_length):
        for page in _pages(client, url, parse_metadata, ""):
            out.update({str(item["id"]): str(item["title"]) for item in page.rows})
    return out


def _known_or_raise(
    client: ApiClient,
    base_url: str,
    entity: str,
    ids: Sequence[str],
    max_length: int,
    what: str,
    hint: str = "",
) -> dict[str, str]:
    """Kolada's title for each of ``ids``; raise :class:`FetchError` naming those it lacks."""
    titles = known_ids(client, base_url, entity, ids, max_length)
    unknown = [i for i in ids if i not in titles]
    if unknown:
        raise FetchError(
            f"Kolada känner inte till {what} {', '.join(unknown)} (frågade "
            f"{base_url.rstrip('/')}/{entity}/{','.join(ids)}).{hint}"
        )
    return titles


def check_selection(
    client: ApiClient,
    base_url: str,
    kpis: Sequence[str],
    areas: Sequence[str],
    codebook: Codebook,
    max_length: int = MAX_URL_LENGTH,
) -> None:
    """Raise :class:`FetchError` for a KPI or area Kolada does not know, or an area the
    codebook does not list (kolada.csv may only hold those); log KPIs outside the codebook."""
    hint = " Sök rätt id på kolada.se."
    titles = _known_or_raise(client, base_url, "kpi", kpis, max_length, "nyckeltalet", hint)
    outside = [k for k in kpis if codebook.kolada_kpi(k) is None]
    if outside:
        log.info(
            "%s finns inte i kodboken: %s hämtas, men rapporterna visar bara nyckeltal som "
            "kodboken beskriver.",
            f"Nyckeltalet {outside[0]} ({titles[outside[0]]})"
            if len(outside) == 1
            else f"{len(outside)} nyckeltal ({', '.join(outside)})",
            "det" if len(outside) == 1 else "de",
        )
    names = _known_or_raise(client, base_url, "municipality", areas, max_length, "kommunkoden")
    listed = codebook.kolada_areas()
    outside = [a for a in areas if a not in listed]
    if outside:
        which = ", ".join(f"{a} {names[a]}" for a in outside)
        raise FetchError(
            f"{which} finns i Kolada men inte i kodboken; kolada.csv får bara innehålla "
            f"kodbokens kommuner, länet och riket ({', '.join(listed)}). Lägg till kommunen i "
            "kodboken (se FOUANALYS_CODEBOOK) eller hämta utan den."
        )


def fetch_kolada(
    kpis: Iterable[str] | None = None,
    areas: Iterable[str] | None = None,
    years: Iterable[int] | tuple[int, int] | None = None,
    base_url: str = KOLADA_BASE_URL,
    *,
    per_page: int = MAX_PER_PAGE,
    max_url_length: int = MAX_URL_LENGTH,
    client: ApiClient | None = None,
    refresh: bool = False,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """Fetch Kolada values for every combination of KPI, area and year.

    Defaults: the codebook's KPIs, its municipalities plus county and country, 2010 to this
    year. KPI ids and areas are checked against Kolada's metadata first. Returns the frame of
    :func:`frame_from_rows` (columns ``kpi, municipality_id, year, gender, value, status``);
    ``frame.attrs["kolada_selection"]`` records what was asked, for :func:`write_kolada`.
    Raises :class:`FetchError` for an unknown id, an unexpected answer or a failed request.
    """
    codebook = codebook or load_codebook()
    kpi_ids = resolve_kpis(kpis, codebook)
    area_ids = resolve_areas(areas, codebook)
    year_ids = year_list(years, default_years())
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidArgumentError(f"per_page must be 1..{MAX_PER_PAGE}")
    with client_for(client, kolada_client, refresh) as active:
        log.info(
            "Kontrollerar %d nyckeltal och %d kommuner i Kolada …", len(kpi_ids), len(area_ids)
        )
        check_selection(active, base_url, kpi_ids, area_ids, codebook, max_url_length)
        rows: list[tuple[str, str, int, str, float, str]] = []
        urls = data_urls(base_url, kpi_ids, area_ids, year_ids, per_page, max_url_length)
        for i, url in enumerate(urls, start=1):
            label = "Kolada" if len(urls) == 1 else f"Kolada (fråga {i} av {len(urls)})"
            for page in _pages(active, url, parse_kolada_page, label):
                rows.extend(page.rows)
    frame = _deduplicated(frame_from_rows(rows), base_url)
    frame.attrs["kolada_selection"] = {"kpis": kpi_ids, "areas": area_ids, "years": year_ids}
    return frame


def _deduplicated(frame: pd.DataFrame, base_url: str) -> pd.DataFrame:
    frame = frame.drop_duplicates(ignore_index=True)
    clash = frame.duplicated(list(KEY), keep=False)
    if clash.any():
        first = frame[clash].iloc[0]
        raise FetchError(
            f"Kolada ({base_url}) gav olika värden för samma nyckeltal, kommun, år och kön "
            f"({first['kpi']}, {first['municipality_id']}, {first['year']}, {first['gender']}); "
            "troligen uppdaterades data under hämtningen. Försök igen med --refresh."
        )
    return frame


# --- writing ---------------------------------------------------------------------------------


def _float_cell(text: str | None) -> float:
    if text is None:
        return float("nan")
    if not FLOAT_PATTERN.match(text.strip()):
        raise CellFormatError(text)
    return float(re.sub(r"[ \u00a0\u202f]", "", text.strip()).replace(",", "."))


def read_kolada(path: Path, codebook: Codebook | None = None) -> pd.DataFrame:
    """An existing ``kolada.csv`` (any dialect the readers accept) as the tidy frame of
    :func:`frame_from_rows`. Raises :class:`FetchError` naming the file when it cannot be
    read in that shape."""
    codebook = codebook or load_codebook()
    raw = read_existing(path, "kolada", codebook)
    names = {normalize_key(name): code for code, name in codebook.kolada_areas().items()}

    def area(text: str | None) -> str:
        value = (text or "").strip()
        if value.isdigit() and len(value) <= 4:
            return value.zfill(4)
        return lookup_cell(names, value)

    def required(text: str | None) -> str:
        if not text or not text.strip():
            raise CellFormatError(text)
        return text.strip()

    def gender(text: str | None) -> str:
        value = (text or "").strip().upper()
        if value not in GENDERS:
            raise CellFormatError(text)
        return value

    columns = {
        "kpi": parse_column(raw, "kpi", required, path, "ett Kolada-id"),
        "municipality_id": parse_column(
            raw, "municipality_id", area, path, "en kommunkod med fyra siffror"
        ),
        "year": parse_column(raw, "year", lambda t: int(required(t)), path, "ett årtal"),
        "gender": parse_column(raw, "gender", gender, path, "T, K eller M"),
        "value": parse_column(raw, "value", _float_cell, path, "ett tal eller tomt"),
        "status": parse_column(raw, "status", lambda t: (t or "").strip(), path, "text"),
    }
    rows = zip(*(columns[c] for c in COLUMNS), strict=True)
    frame = frame_from_rows(rows)
    refuse_duplicate_keys(
        frame,
        KEY,
        path,
        lambda row: f"{row['kpi']}, {row['municipality_id']}, {row['year']}, {row['gender']}",
    )
    return frame


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Fetched rows in the file's columns and types (see :func:`frame_from_rows`)."""
    return frame_from_rows(frame[list(COLUMNS)].itertuples(index=False, name=None))


KOLADA = FetchedTable(
    name="kolada",
    columns=COLUMNS,
    key=KEY,
    scope=SCOPE,
    selection_attr="kolada_selection",
    selection_values=lambda sel: [sel["kpis"], sel["areas"], [int(y) for y in sel["years"]]],
    read=lambda path, codebook: read_kolada(path, codebook),
    normalise=_normalise,
    empty_message="Kolada hade inga värden för urvalet, och {file} skulle bli tom; ingenting "
    "skrevs. Kontrollera nyckeltal och år.",
)


def write_kolada(
    frame: pd.DataFrame,
    data_dir: Path | None = None,
    selection: dict | None = None,
    codebook: Codebook | None = None,
) -> Path:
    """Merge fetched Kolada rows into ``kolada.csv`` in ``data_dir`` and return its path.

    Old rows of the fetched selection (``selection`` = ``{"kpis", "areas", "years"}``,
    default ``frame.attrs["kolada_selection"]``, else the combinations in ``frame``) are
    replaced, all other rows kept. Written atomically as UTF-8 CSV (comma, full float
    precision, decimal point), sorted by kpi, municipality_id, year, gender. Raises
    :class:`FetchError` (nothing written) for the synthetic example, an unreadable existing
    file, or kolada in another format beside it.
    """
    return write_fetched(KOLADA, frame, data_dir, selection, codebook)[0]


def update_kolada(
    data_dir: Path | None = None,
    kpis: Iterable[str] | None = None,
    areas: Iterable[str] | None = None,
    years: Iterable[int] | tuple[int, int] | None = None,
    base_url: str | None = None,
    *,
    refresh: bool = False,
    client: ApiClient | None = None,
    codebook: Codebook | None = None,
    **options: Any,
) -> FetchSummary:
    """``fouanalys fetch kolada``: check the target, fetch, merge into ``kolada.csv``.

    The data directory and any existing file are checked before anything is fetched, and
    nothing is written unless everything was fetched and checked. ``options`` go to
    :func:`fetch_kolada` (``per_page``, ``max_url_length``).
    """

    def fetch(active: ApiClient, book: Codebook) -> pd.DataFrame:
        url = base_url or KOLADA_BASE_URL
        return fetch_kolada(kpis, areas, years, url, client=active, codebook=book, **options)

    frame, path, merge, used = update_table(
        KOLADA, data_dir, codebook, client, kolada_client, refresh, fetch
    )
    selection = frame.attrs["kolada_selection"]
    present = set(frame["kpi"][frame["value"].notna()])
    return FetchSummary.from_merge(
        SERVICE,
        path,
        merge,
        used,
        empty=tuple(k for k in selection["kpis"] if k not in present),
        empty_label="Nyckeltal utan några värden",
    )
