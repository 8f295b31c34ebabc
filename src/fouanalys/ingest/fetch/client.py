"""What the public-data fetchers share: HTTP with retries, a throttle, a disk cache, plain
errors, and the careful update of a raw-data file.

HTTP: a :class:`requests.Session` with urllib3's :class:`~urllib3.util.retry.Retry` (exponential
backoff on connection errors and on 429/500/502/503/504, honouring ``Retry-After``), a sliding
window :class:`Throttle` and a small JSON :class:`ResponseCache` on disk. Every failure becomes a
:class:`~fouanalys.exceptions.FetchError` that names the service and the URL, in Swedish.

Writing: everything is fetched and checked before anything is written. The target file is
merged (rows of the fetched selection replace the old ones, all other rows are kept) and
written atomically; an existing file that cannot be read, or the same input in another format
beside it, stops the update with nothing written.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NameResolutionError, ReadTimeoutError
from urllib3.util.retry import Retry

from fouanalys import __version__, config
from fouanalys.codebook import Codebook, load_codebook, normalize_key
from fouanalys.exceptions import CellFormatError, FetchError, InputError, InvalidArgumentError
from fouanalys.ingest.files import atomic_write
from fouanalys.ingest.readers import SUFFIXES, input_columns, read_raw

log = logging.getLogger("fouanalys")

T = TypeVar("T")

#: Answers retried with backoff (rate limit and server errors).
RETRY_STATUSES = (429, 500, 502, 503, 504)
#: Seconds to wait for a connection and for each read.
DEFAULT_TIMEOUT = 30.0
#: Retries after the first attempt (so 6 attempts in all).
DEFAULT_RETRIES = 5
#: urllib3 backoff: 0, 2·f, 4·f, 8·f … seconds between retries (capped at 120 s).
DEFAULT_BACKOFF = 0.5
#: Retries of a connection that cannot be opened at all (offline fails fast).
CONNECT_RETRIES = 2
#: Longest wait honoured from a ``Retry-After`` header, in seconds.
RETRY_AFTER_MAX = 60.0
OFFLINE_HINT = "Är datorn ansluten till internet? Med --base-url kan du ange en spegel."
_EXCERPT = 200


class Throttle:
    """At most ``max_calls`` calls in any window of ``period`` seconds (a sliding window).

    ``clock`` and ``sleep`` are injectable so tests need not wait.
    """

    def __init__(
        self,
        max_calls: int,
        period: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if max_calls < 1 or period <= 0:
            raise InvalidArgumentError("a throttle needs max_calls >= 1 and period > 0")
        self.max_calls = max_calls
        self.period = period
        self._clock = clock
        self._sleep = sleep
        self._calls: deque[float] = deque()

    def wait(self) -> float:
        """Block until one more call is allowed, record it, and return the seconds waited."""
        waited = 0.0
        now = self._clock()
        while True:
            while self._calls and self._calls[0] + self.period <= now:
                self._calls.popleft()
            if len(self._calls) < self.max_calls:
                break
            delay = self._calls[0] + self.period - now
            self._sleep(delay)
            waited += delay
            # the oldest call has left the window once its period is over, whatever rounding
            # the clock does
            self._calls.popleft()
            now = max(self._clock(), now + delay)
        self._calls.append(now)
        return waited


class CappedRetry(Retry):
    """urllib3's :class:`Retry`, waiting at most :data:`RETRY_AFTER_MAX` for a Retry-After."""

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, RETRY_AFTER_MAX)

    def increment(self, method=None, url=None, response=None, error=None, *args, **kwargs):
        """Count one more attempt, and say so in the log (urllib3's own warning is muted)."""
        retry = super().increment(method, url, response, error, *args, **kwargs)
        status = getattr(response, "status", None)
        reason = f"svar {status}" if status else "ingen anslutning"
        log.info("%s för %s; försöker igen …", reason.capitalize(), url)
        return retry


_MISSING = object()


class ResponseCache:
    """Parsed JSON answers on disk, one file per request, reused for ``max_age`` seconds.

    The key is the sha256 of method, URL and body. Files are written atomically; a file that
    cannot be read counts as absent.
    """

    def __init__(
        self,
        directory: Path,
        max_age: float = config.FETCH_CACHE_MAX_AGE,
        clock: Callable[[], float] = time.time,
    ):
        self.directory = Path(directory)
        self.max_age = max_age
        self._clock = clock

    @staticmethod
    def key(method: str, url: str, body: bytes | None = None) -> str:
        digest = hashlib.sha256()
        digest.update(method.upper().encode() + b"\n" + url.encode() + b"\n")
        digest.update(body or b"")
        return digest.hexdigest()

    def path(self, method: str, url: str, body: bytes | None = None) -> Path:
        return self.directory / f"{self.key(method, url, body)}.json"

    def get(self, method: str, url: str, body: bytes | None = None) -> Any:
        """The cached payload, or the module's ``_MISSING`` sentinel when absent or too old."""
        path = self.path(method, url, body)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            saved = float(entry["saved_at"])
            payload = entry["payload"]
        except FileNotFoundError:
            return _MISSING
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.debug("Oläsbar cachefil %s ignoreras: %s", path, exc)
            return _MISSING
        if self._clock() - saved > self.max_age:
            return _MISSING
        return payload

    def put(self, method: str, url: str, body: bytes | None, payload: Any) -> Path:
        entry = {
            "method": method.upper(),
            "url": url,
            "body": body.decode("utf-8") if body else None,
            "saved_at": self._clock(),
            "payload": payload,
        }
        path = self.path(method, url, body)
        atomic_write(path, json.dumps(entry, ensure_ascii=False).encode("utf-8"))
        return path


def default_cache(service: str) -> ResponseCache:
    """The cache under ``config.FETCH_CACHE_DIR/<service>`` (looked up when called)."""
    return ResponseCache(
        Path(config.FETCH_CACHE_DIR or config.processed_data_dir() / "cache") / service.lower()
    )


class ApiClient:
    """A JSON client for one public API: retries, throttle, cache and Swedish errors.

    ``requests_sent`` counts the requests made (not urllib3's retries of them) and
    ``cache_hits`` the answers taken from the cache. ``refresh=True`` ignores cached answers
    (and stores the new ones).
    """

    def __init__(
        self,
        service: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff_factor: float = DEFAULT_BACKOFF,
        connect_retries: int = CONNECT_RETRIES,
        throttle: Throttle | None = None,
        cache: ResponseCache | None = None,
        refresh: bool = False,
        session: requests.Session | None = None,
    ):
        self.service = service
        self.timeout = timeout
        self.retries = retries
        self.throttle = throttle
        self.cache = cache
        self.refresh = refresh
        self.requests_sent = 0
        self.cache_hits = 0
        self.session = session or requests.Session()
        retry = CappedRetry(
            total=retries,
            connect=min(connect_retries, retries),
            read=retries,
            status=retries,
            other=0,
            backoff_factor=backoff_factor,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET", "POST"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update(
            {"User-Agent": f"fouanalys/{__version__}", "Accept": "application/json"}
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def get_json(self, url: str, parse: Callable[[Any], T] | None = None) -> T | Any:
        """GET ``url`` and return its JSON (passed through ``parse`` when given).

        ``parse`` may raise :class:`FetchError`; only answers it accepts are cached.
        """
        return self._json("GET", url, None, parse)

    def post_json(self, url: str, body: Any, parse: Callable[[Any], T] | None = None) -> T | Any:
        """POST ``body`` as JSON to ``url``; otherwise as :meth:`get_json`."""
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return self._json("POST", url, data, parse)

    def _json(
        self, method: str, url: str, body: bytes | None, parse: Callable[[Any], T] | None
    ) -> Any:
        if self.cache is not None and not self.refresh:
            cached = self.cache.get(method, url, body)
            if cached is not _MISSING:
                self.cache_hits += 1
                log.debug("Från cachen: %s %s", method, url)
                return parse(cached) if parse else cached
        payload = self._request(method, url, body)
        result = parse(payload) if parse else payload
        if self.cache is not None:
            try:
                self.cache.put(method, url, body, payload)
            except OSError as exc:  # a cache that cannot be written only costs time
                log.warning("Kunde inte spara svaret i cachen %s: %s", self.cache.directory, exc)
        return result

    def _request(self, method: str, url: str, body: bytes | None) -> Any:
        if self.throttle is not None:
            waited = self.throttle.wait()
            if waited:
                log.debug("Väntade %.2f s för att inte fråga för tätt", waited)
        log.debug("%s %s", method, url)
        self.requests_sent += 1
        headers = {"Content-Type": "application/json"} if body is not None else None
        try:
            response = self.session.request(
                method, url, data=body, headers=headers, timeout=self.timeout
            )
        except requests.exceptions.RequestException as exc:
            raise self._transport_error(url, exc) from exc
        status = response.status_code
        if status in RETRY_STATUSES:
            raise FetchError(
                f"{self.service} svarade {status} ({response.reason}) även efter "
                f"{self.retries + 1} försök på {url}. Tjänsten är överbelastad eller "
                "tillfälligt nere; försök igen senare."
            )
        if status >= 400:
            hint = {
                400: " Ogiltiga parametrar eller för lång adress.",
                404: " Adressen finns inte; stämmer --base-url?",
            }.get(status, "")
            raise FetchError(
                f"{self.service} svarade {status} ({response.reason}) på {url}: "
                f"{excerpt(response.content)}.{hint}"
            )
        try:
            return json.loads(response.content.decode(response.encoding or "utf-8"))
        except (ValueError, LookupError) as exc:
            ctype = response.headers.get("Content-Type", "okänd")
            raise FetchError(
                f"{self.service} svarade inte med JSON på {url} (Content-Type: {ctype}): "
                f"{excerpt(response.content)}"
            ) from exc

    def _transport_error(self, url: str, exc: requests.exceptions.RequestException) -> FetchError:
        reason: object = exc
        inner = exc.args[0] if exc.args else None
        if isinstance(inner, MaxRetryError):
            reason = inner.reason
        if isinstance(exc, requests.exceptions.Timeout) or isinstance(reason, ReadTimeoutError):
            return FetchError(
                f"{self.service} svarade inte inom {self.timeout:g} s på {url}. Försök igen senare."
            )
        if isinstance(exc, requests.exceptions.ConnectionError):
            return FetchError(
                f"Kunde inte nå {self.service} på {url}: {_why(reason)}. {OFFLINE_HINT}"
            )
        return FetchError(f"Frågan till {self.service} på {url} misslyckades: {exc}")


def service_client(
    service: str, max_calls: int, period: float, refresh: bool = False, **options: Any
) -> ApiClient:
    """An :class:`ApiClient` for ``service`` with its throttle and the default disk cache."""
    options.setdefault("throttle", Throttle(max_calls, period))
    options.setdefault("cache", default_cache(service))
    return ApiClient(service, refresh=refresh, **options)


@contextmanager
def client_for(
    client: ApiClient | None, make: Callable[..., ApiClient], refresh: bool
) -> Iterator[ApiClient]:
    """``client``, or a new one from ``make`` that is closed afterwards (a caller's is kept)."""
    own = client is None
    active = client or make(refresh=refresh)
    try:
        yield active
    finally:
        if own:
            active.close()


def unexpected(service: str, url: str, what: str) -> FetchError:
    """The error for an answer of ``service`` at ``url`` that is not what was expected."""
    return FetchError(f"{service} svarade oväntat på {url}: {what}.")


def split_list(texts: Iterable[str]) -> Iterator[str]:
    """The non-empty, stripped parts of comma-separated texts (as given on the command line)."""
    for text in texts:
        for part in str(text).split(","):
            if part.strip():
                yield part


def resolve_codes(
    texts: Iterable[str], by_name: Callable[[str], str | None], known: str
) -> list[str]:
    """Four-digit codes for comma-separated texts, without duplicates.

    A number of at most four digits is padded; any other text is looked up with ``by_name``.
    Raises :class:`FetchError` listing ``known`` for a text that is neither, or when nothing
    was given.
    """
    out: list[str] = []
    for part in split_list(texts):
        value = part.strip()
        if value.isdigit() and len(value) <= 4:
            out.append(value.zfill(4))
        elif (code := by_name(value)) is not None:
            out.append(code)
        else:
            raise FetchError(
                f"'{value}' är ingen kommunkod (fyra siffror) eller känd kommun. Kända: {known}."
            )
    if not out:
        raise FetchError("Inga kommuner att hämta: ange --municipality med en kommunkod.")
    return list(dict.fromkeys(out))


def _why(reason: object) -> str:
    """A short account of why a connection failed."""
    text = str(reason)
    if isinstance(reason, NameResolutionError) or "resolve" in text.lower():
        return "värdnamnet kunde inte slås upp (DNS)"
    if "refused" in text.lower():
        return "anslutningen nekades (Connection refused)"
    match = re.search(r"\[Errno [^\]]+\] [^')]+", text)
    return match.group(0) if match else text[:_EXCERPT]


def excerpt(content: bytes | str, limit: int = _EXCERPT) -> str:
    """The first ``limit`` characters of a body, on one line."""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit] + " …"


def chunk_joined(ids: Sequence[str], budget: int, sep: str = ",") -> list[list[str]]:
    """Split ``ids`` into consecutive chunks whose ``sep``-joined text fits in ``budget``."""
    chunks: list[list[str]] = []
    current: list[str] = []
    length = 0
    for item in ids:
        extra = len(item) + (len(sep) if current else 0)
        if current and length + extra > budget:
            chunks.append(current)
            current, length = [], 0
            extra = len(item)
        current.append(item)
        length += extra
    if current:
        chunks.append(current)
    return chunks


def year_list(years: Iterable[int] | tuple[int, int] | None, default: Sequence[int]) -> list[int]:
    """Years as a sorted list without duplicates; a (from, to) pair means the range."""
    if years is None:
        return list(default)
    if isinstance(years, tuple) and len(years) == 2 and years[0] <= years[1]:
        return list(range(int(years[0]), int(years[1]) + 1))
    return sorted({int(y) for y in years})


# --- writing fetched tables ------------------------------------------------------------------


@dataclass(frozen=True)
class FetchSummary:
    """What an update of a raw-data file did (rows counted by their key)."""

    service: str
    path: Path
    rows: int
    new: int
    changed: int
    unchanged: int
    removed: int
    requests: int = 0
    cache_hits: int = 0
    empty: tuple[str, ...] = ()
    empty_label: str = ""

    @classmethod
    def from_merge(
        cls, service: str, path: Path, merge: Merge, client: ApiClient, **extra: Any
    ) -> FetchSummary:
        """The summary of ``merge`` written to ``path`` with what ``client`` asked."""
        return cls(
            service=service,
            path=path,
            rows=len(merge.frame),
            new=merge.new,
            changed=merge.changed,
            unchanged=merge.unchanged,
            removed=merge.removed,
            requests=client.requests_sent,
            cache_hits=client.cache_hits,
            **extra,
        )

    def text(self) -> str:
        parts = [
            f"Skrev {self.path}: {self.rows} rader ({self.new} nya, {self.changed} ändrade, "
            f"{self.unchanged} oförändrade"
            + (f", {self.removed} borttagna" if self.removed else "")
            + ").",
            f"{self.requests} frågor till {self.service}, {self.cache_hits} svar från cachen.",
        ]
        if self.empty:
            parts.append(f"{self.empty_label}: {', '.join(self.empty)}.")
        return " ".join(parts)


def target_dir(data_dir: Path | None) -> Path:
    """The raw-data directory to write into (default ``$FOUANALYS_DATA_DIR``).

    Refuses the synthetic example. The directory need not exist yet; it is created on writing.
    """
    path = Path(data_dir) if data_dir is not None else config.default_data_dir()
    if config.is_synthetic(path):
        raise FetchError(
            f"Exempelmappen innehåller syntetiska data ({path}); ange --data-dir med mappen "
            "för riktiga underlag."
        )
    if path.exists() and not path.is_dir():
        raise FetchError(f"{path} är en fil, inte en mapp; ange en mapp med --data-dir.")
    return path


def output_path(data_dir: Path, name: str) -> Path:
    """Where input ``name`` is written: its existing ``.csv`` (any letter case) or ``name.csv``.

    Raises :class:`FetchError` when the input also exists in another format (``.csv.gz``,
    ``.xlsx``, ``.sav``), since the readers would then find two files for one input.
    """
    data_dir = Path(data_dir)
    wanted = {f"{name}{suffix}" for suffix in SUFFIXES}
    found = (
        sorted(p for p in data_dir.iterdir() if p.is_file() and p.name.lower() in wanted)
        if data_dir.is_dir()
        else []
    )
    others = [p for p in found if p.name.lower() != f"{name}.csv"]
    if others:
        names = ", ".join(p.name for p in others)
        raise FetchError(
            f"{data_dir} har redan {name} i ett annat format ({names}); skulle {name}.csv "
            "skrivas bredvid blir det två filer för samma underlag. Flytta eller ta bort "
            f"{names} först, eller spara den som {name}.csv."
        )
    same = [p for p in found if p.name.lower() == f"{name}.csv"]
    return same[0] if same else data_dir / f"{name}.csv"


def read_existing(path: Path, name: str, codebook: Codebook) -> pd.DataFrame:
    """An existing raw file as strings (blank = NA, index = spreadsheet row number).

    Raises :class:`FetchError` naming the file when it cannot be read or lacks a column.
    """
    try:
        frame = read_raw(path, name, codebook).frame
    except InputError as exc:
        raise FetchError(
            f"Den befintliga filen {path} kan inte läsas, så den uppdateras inte: {exc}"
        ) from exc
    missing = [c.name for c in input_columns(name, codebook) if c.name not in frame.columns]
    if missing:
        raise FetchError(
            f"Den befintliga filen {path} har inte formen för {name}: kolumnerna "
            f"{', '.join(missing)} saknas. Den uppdateras inte; flytta den eller rätta den."
        )
    return frame


def parse_column(
    frame: pd.DataFrame, column: str, parse: Callable[[str], Any], path: Path, expected: str
) -> list[Any]:
    """Apply ``parse`` to every cell of an existing file's column (NA is passed as None).

    ``parse`` raises ValueError for a cell it cannot read; then :class:`FetchError` names the
    file, column, rows and values.
    """
    out: list[Any] = []
    bad: list[tuple[int, str]] = []
    for row, value in frame[column].items():
        text = None if pd.isna(value) else str(value)
        try:
            out.append(parse(text))
        except (ValueError, TypeError):
            out.append(None)
            bad.append((int(row), str(value)))
    if bad:
        rows = ", ".join(str(r) for r, _ in bad[:10]) + (" …" if len(bad) > 10 else "")
        values = ", ".join(repr(v) for _, v in bad[:5])
        raise FetchError(
            f"Den befintliga filen {path} kan inte läsas, så den uppdateras inte: kolumn "
            f"'{column}', rad {rows}: {values} — förväntat: {expected}."
        )
    return out


def lookup_cell(table: dict[str, str], text: str | None) -> str:
    """What ``table`` (keyed by folded text) gives for a cell; :class:`CellFormatError` if none."""
    try:
        return table[normalize_key(text or "")]
    except KeyError as exc:
        raise CellFormatError(text) from exc


@dataclass(frozen=True)
class Merge:
    """The merged table and how the fetched rows compare with the old ones."""

    frame: pd.DataFrame
    new: int
    changed: int
    unchanged: int
    removed: int


def merge_rows(
    old: pd.DataFrame | None,
    fetched: pd.DataFrame,
    key: Sequence[str],
    scope: pd.DataFrame,
    sort: Sequence[str],
) -> Merge:
    """Replace the old rows of the fetched selection by the fetched rows; keep all others.

    ``scope`` holds the selection's combinations (e.g. kpi × municipality_id × year); an old
    row is replaced when it falls in the selection or has the key of a fetched row. Counts:
    ``new`` fetched keys not in the old file, ``changed``/``unchanged`` fetched keys whose other
    columns differ / are equal (NaN equals NaN), ``removed`` old rows in the selection that the
    fetch no longer has. Returns the merged frame sorted by ``sort`` with a fresh index.
    """
    key = list(key)
    fetched = fetched.reset_index(drop=True)
    if old is None or old.empty:
        merged = fetched
        new, changed, unchanged, removed = len(fetched), 0, 0, 0
    else:
        old = old.reset_index(drop=True)
        scope_cols = list(scope.columns)
        in_scope = _rows_in(old, scope, scope_cols) | _rows_in(old, fetched, key)
        replaced = old[in_scope]
        values = [c for c in fetched.columns if c not in key]
        both = fetched.merge(replaced, on=key, how="left", suffixes=("", "_old"), indicator=True)
        was = both["_merge"] == "both"
        same = pd.Series(True, index=both.index)
        for col in values:
            a, b = both[col], both[f"{col}_old"]
            same &= (a == b).fillna(False).astype(bool) | (a.isna() & b.isna())
        new = int((~was).sum())
        unchanged = int((was & same).sum())
        changed = int((was & ~same).sum())
        removed = int((~_rows_in(replaced, fetched, key)).sum())
        merged = pd.concat([old[~in_scope], fetched], ignore_index=True)
    merged = merged.sort_values(list(sort), kind="stable").reset_index(drop=True)
    return Merge(merged, new=new, changed=changed, unchanged=unchanged, removed=removed)


def _rows_in(frame: pd.DataFrame, other: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Whether each row of ``frame`` has a combination of ``columns`` present in ``other``."""
    index = pd.MultiIndex.from_frame(frame[columns].astype(object))
    wanted = pd.MultiIndex.from_frame(other[columns].astype(object).drop_duplicates())
    return pd.Series(index.isin(wanted), index=frame.index)


def selection_scope(values: Sequence[Sequence[Any]], names: Sequence[str]) -> pd.DataFrame:
    """Every combination of a selection's ``values`` (one list per column of ``names``)."""
    return pd.MultiIndex.from_product(list(values), names=list(names)).to_frame(index=False)


def refuse_duplicate_keys(
    frame: pd.DataFrame, key: Sequence[str], path: Path, describe: Callable[[pd.Series], str]
) -> None:
    """Raise :class:`FetchError` when an existing file has two rows for one key."""
    duplicated = frame.duplicated(list(key))
    if duplicated.any():
        raise FetchError(
            f"Den befintliga filen {path} har två rader för {describe(frame[duplicated].iloc[0])}; "
            "den uppdateras inte. Rätta eller flytta den först."
        )


@dataclass(frozen=True)
class FetchedTable:
    """How the fetcher of one raw input reads, scopes and writes its file.

    ``selection_values`` turns a fetch's selection (``frame.attrs[selection_attr]``) into one
    list of values per ``scope`` column; ``normalise`` gives fetched rows the file's columns and
    types; ``empty_message`` may name the file as ``{file}``.
    """

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    scope: tuple[str, ...]
    selection_attr: str
    selection_values: Callable[[dict], Sequence[Sequence[Any]]]
    read: Callable[[Path, Codebook], pd.DataFrame]
    normalise: Callable[[pd.DataFrame], pd.DataFrame]
    empty_message: str

    def scope_of(self, fetched: pd.DataFrame, selection: dict | None) -> pd.DataFrame:
        """The combinations a fetch replaces: its selection, else those in ``fetched``."""
        if selection is None:
            return fetched[list(self.scope)].drop_duplicates()
        return selection_scope(self.selection_values(selection), self.scope)


def write_fetched(
    table: FetchedTable,
    frame: pd.DataFrame,
    data_dir: Path | None,
    selection: dict | None,
    codebook: Codebook | None,
) -> tuple[Path, Merge]:
    """Merge fetched rows into ``table``'s file in ``data_dir`` (see :func:`write_merged`)."""
    codebook = codebook or load_codebook()
    directory = target_dir(data_dir)
    path = output_path(directory, table.name)
    old = table.read(path, codebook) if path.is_file() else None
    fetched = table.normalise(frame)
    if selection is None:
        selection = frame.attrs.get(table.selection_attr)
    merge = write_merged(
        path,
        old,
        fetched,
        table.key,
        table.scope_of(fetched, selection),
        table.columns,
        table.empty_message.format(file=path.name),
    )
    return path, merge


def update_table(
    table: FetchedTable,
    data_dir: Path | None,
    codebook: Codebook | None,
    client: ApiClient | None,
    make_client: Callable[..., ApiClient],
    refresh: bool,
    fetch: Callable[[ApiClient, Codebook], pd.DataFrame],
) -> tuple[pd.DataFrame, Path, Merge, ApiClient]:
    """Check the target, fetch with ``fetch(client, codebook)``, merge into the file.

    The data directory and any existing file are checked before anything is fetched, and
    nothing is written unless everything was fetched and checked. Returns the fetched frame,
    the path written, the merge and the client used (for its counts).
    """
    codebook = codebook or load_codebook()
    directory = target_dir(data_dir)
    path = output_path(directory, table.name)
    if path.is_file():
        table.read(path, codebook)  # fail before fetching when it cannot be merged
    with client_for(client, make_client, refresh) as active:
        frame = fetch(active, codebook)
    selection = frame.attrs[table.selection_attr]
    path, merge = write_fetched(table, frame, directory, selection, codebook)
    return frame, path, merge, active


def write_merged(
    path: Path,
    old: pd.DataFrame | None,
    fetched: pd.DataFrame,
    key: Sequence[str],
    scope: pd.DataFrame,
    columns: Sequence[str],
    empty_message: str,
) -> Merge:
    """Merge ``fetched`` into ``old`` (see :func:`merge_rows`) and write ``path`` atomically.

    Raises :class:`FetchError` with ``empty_message`` (nothing written) when the result would
    be empty.
    """
    merge = merge_rows(old, fetched, key, scope, sort=key)
    if merge.frame.empty:
        raise FetchError(empty_message)
    atomic_write(path, csv_bytes(merge.frame[list(columns)]))
    log.debug("Skrev %s (%d rader)", path, len(merge.frame))
    return merge


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as UTF-8 CSV (comma, header, ``\\n``); floats at full precision, NaN blank."""
    return frame.to_csv(index=False, lineterminator="\n", na_rep="").encode("utf-8")
