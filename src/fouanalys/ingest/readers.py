"""Readers for the raw inputs: find a file, read it as text, type it.

Every input is described declaratively in :data:`INPUTS` (its columns, their kinds and ranges).
Reading happens in two steps so that validation can report the raw offending values:

1. :func:`read_raw` reads a CSV (UTF-8 or the Swedish spreadsheet dialect: ``;``, decimal
   comma, Windows-1252, optional BOM, optionally gzip-compressed), an ``.xlsx`` file or an SPSS
   file (``.sav``, its value labels applied: :mod:`fouanalys.ingest.spss`) into a frame of
   strings whose index is the spreadsheet row number, with headers renamed to their canonical
   spelling. The survey's item columns are recoded from answer texts to the codebook's codes
   (:mod:`fouanalys.ingest.answers`), whatever the format. A CSV file is read in chunks, and
   the survey's columns other than the fixed ones are categoricals (one byte a cell), so a
   county-wide survey of a million respondents is read in well under a gigabyte.
2. :func:`to_typed` turns a validated raw frame into the typed frame downstream code uses
   (canonical codebook ids, nullable integers).

Raw files are only ever opened for reading.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from fouanalys.codebook import Codebook, normalize_key, split_codes
from fouanalys.exceptions import InputError, Problem
from fouanalys.ingest.answers import recode_items
from fouanalys.ingest.catalog import sha256_bytes
from fouanalys.ingest.encodings import cell_positions, find_mixed_encoding
from fouanalys.ingest.spss import is_sav, read_sav_cells

Kind = Literal["int", "float", "text", "code", "codes", "municipality"]

#: File endings accepted for an input; a data folder holds one file per input, in any of them.
SUFFIXES = (".csv", ".csv.gz", ".xlsx", ".sav")
#: How many leading rows are searched for a header row that is not on row 1.
HEADER_SEARCH_ROWS = 20
#: Cell texts read as "no value" besides a blank cell (R and Excel write these).
NA_MARKERS = frozenset({"NA", "#N/A"})
#: Rows a CSV file is read at a time (each chunk is stored as categoricals before the next).
CSV_CHUNK_ROWS = 50_000
_DELIMITERS = (";", ",", "\t")
_DELIMITER_NAMES = {";": "semikolon", ",": "komma", "\t": "tabb"}
_SAVE_HINT = (
    "Spara filen som 'CSV UTF-8 (kommaavgränsad)' eller 'CSV (semikolonavgränsad)' "
    "i Excel, eller som .xlsx, och försök igen."
)


@dataclass(frozen=True)
class Column:
    """One column of an input.

    ``name`` is the canonical header (as problems name it), ``typed`` the column name in the
    typed frame. ``kind`` says how values are read: ``int``/``float`` numbers, ``text`` free
    text, ``code`` one id from codebook section ``section``, ``codes`` several ids separated by
    ``;``, ``municipality`` a municipality code or name; an ``int`` column with a ``section``
    (``survey_years``) only takes the codebook's values. ``required`` columns must exist;
    ``nullable`` columns may have blank cells. ``low``/``high`` bound numbers (inclusive).
    """

    name: str
    kind: Kind
    required: bool = True
    nullable: bool = False
    section: str | None = None
    low: float | None = None
    high: float | None = None
    typed: str | None = None
    aliases: tuple[str, ...] = ()
    #: False: an optional column that is absent stays absent in the typed frame (e.g. vikt).
    keep_absent: bool = True

    @property
    def typed_name(self) -> str:
        return self.typed or self.name


@dataclass(frozen=True)
class InputSpec:
    """One raw input: its columns, its key and whether the input may be absent."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    required: bool = True
    label: str = ""
    #: enkat: add one int column per codebook-scored item (range 1..its number of answer codes).
    survey_items: bool = False
    #: (a, b): column a must be <= column b.
    ordered_pairs: tuple[tuple[str, str], ...] = ()
    #: insatser: add one optional column per codebook quality question (answers ja/delvis/…).
    quality_questions: bool = False


#: The vocabulary of ``metod``: the knowledge base's approaches, not a codebook section.
APPROACHES = "approaches"

_YEAR = {"low": 1990, "high": 2100}
_AGE = {"low": 0, "high": 25}

INPUTS: dict[str, InputSpec] = {
    "enkat": InputSpec(
        name="enkat",
        label="Enkätsvar (Stockholmsenkäten)",
        survey_items=True,
        columns=(
            Column("ar", "int", typed="ar", section="survey_years", **_YEAR),
            Column("Hemkommun", "municipality", typed="kommunkod"),
            Column("ARSKURS", "code", section="grades", typed="arskurs"),
            Column("Kön", "code", nullable=True, section="survey_sexes", typed="kon"),
            Column("vikt", "float", required=False, low=0, aliases=("weight",), keep_absent=False),
        ),
    ),
    "insatser": InputSpec(
        name="insatser",
        label="Kartläggning av insatser",
        key=("kommunkod", "insats"),
        ordered_pairs=(("alder_fran", "alder_till"),),
        quality_questions=True,
        columns=(
            Column("kommunkod", "municipality", aliases=("kommun",)),
            Column("insats", "text"),
            Column("huvudman", "code", section="actors"),
            Column("niva", "code", section="levels"),
            Column("inriktning", "code", section="targeting"),
            Column("alder_fran", "int", **_AGE),
            Column("alder_till", "int", **_AGE),
            Column("faktorer", "codes", section="indices"),
            Column("push_pull", "codes", required=False, nullable=True, section="push_pull"),
            Column("kunskapslage", "code", section="knowledge_levels"),
            # The approach (knowledge base id or name) the intervention applies, when known.
            Column("metod", "code", required=False, nullable=True, section=APPROACHES),
            Column("deltagare_per_ar", "int", required=False, nullable=True, low=0),
            Column("samverkan", "codes", nullable=True, section="actors"),
            Column("status", "code", section="statuses"),
            Column("kommentar", "text", required=False, nullable=True),
        ),
    ),
    "befolkning": InputSpec(
        name="befolkning",
        label="Befolkning",
        key=("kommunkod", "ar", "alder", "kon"),
        columns=(
            Column("kommunkod", "municipality", aliases=("kommun",)),
            Column("ar", "int", **_YEAR),
            Column("alder", "int", **_AGE),
            Column("kon", "code", section="sexes"),
            Column("antal", "int", low=0),
        ),
    ),
    "kolada": InputSpec(
        name="kolada",
        label="Nyckeltal från Kolada",
        required=False,
        key=("kpi", "municipality_id", "year", "gender"),
        columns=(
            Column("kpi", "text"),
            Column("municipality_id", "municipality", section="kolada_areas"),
            Column("year", "int", **_YEAR),
            Column("gender", "code", section="kolada_gender"),
            Column("value", "float", nullable=True),
            Column("status", "text", nullable=True),
        ),
    ),
    # Pupils enrolled per home municipality, survey year and grade: the denominator of the
    # response rate (fouanalys.response). Optional: without it the rate is not computed.
    "elever": InputSpec(
        name="elever",
        label="Inskrivna elever",
        required=False,
        key=("kommunkod", "ar", "arskurs"),
        columns=(
            Column("kommunkod", "municipality", aliases=("kommun", "hemkommun")),
            Column("ar", "int", section="survey_years", **_YEAR),
            Column("arskurs", "code", section="grades"),
            Column("antal", "int", low=0),
        ),
    ),
}


def input_columns(name: str, codebook: Codebook) -> tuple[Column, ...]:
    """Every column of input ``name``, with enkat's item columns and insatser's quality
    questions taken from the codebook."""
    spec = INPUTS[name]
    if spec.quality_questions:
        quality = tuple(
            Column(q, "code", required=False, nullable=True, section="quality_answers")
            for q in codebook.ids("quality_questions")
        )
        return spec.columns + quality
    if not spec.survey_items:
        return spec.columns
    levels = codebook.item_levels()
    items = tuple(
        Column(item, "int", required=False, nullable=True, low=1, high=levels[item])
        for item in codebook.survey_items()
    )
    return spec.columns + items


# --- code folding (shared by validation and typing) -----------------------------------------


def code_lookup(section: str, codebook: Codebook) -> dict[str, str | None]:
    """Folded spelling -> canonical id for one coded column's vocabulary.

    ``None`` as a target means "accepted, but no category" (e.g. Kön = "Vill inte svara").
    """
    out: dict[str, str | None] = {}
    if section in ("grades", "sexes", "survey_sexes"):
        out.update(codebook.alias_map("grades" if section == "grades" else "sexes"))
        if section == "survey_sexes":  # no category: counted in the all-sexes rows only
            for other in (*codebook.survey.other_sex_values, *codebook.missing_answers):
                out.setdefault(normalize_key(other), None)
        return out
    if section == "kolada_gender":
        return {"t": "T", "k": "K", "m": "M"}
    labels = approach_labels(codebook) if section == APPROACHES else codebook.labels(section)
    for key, label in labels.items():
        out[normalize_key(key)] = key
        if label:
            out.setdefault(normalize_key(label), key)
    return out


def allowed_codes(section: str, codebook: Codebook) -> list[str]:
    """The canonical values a coded column accepts (for messages)."""
    if section == "grades":
        return [g.id for g in codebook.survey.grades]
    if section in ("sexes", "survey_sexes"):
        ids = [s.id for s in codebook.survey.sexes]
        return ids + (list(codebook.survey.other_sex_values) if section == "survey_sexes" else [])
    if section == "kolada_gender":
        return ["T", "K", "M"]
    if section == APPROACHES:
        return list(approach_labels(codebook))
    return codebook.ids(section)


def approach_labels(codebook: Codebook) -> dict[str, str]:
    """approach_id → Swedish name of every approach in the packaged knowledge base."""
    from fouanalys.knowledge import load_knowledge

    approaches = load_knowledge(codebook=codebook)
    return dict(zip(approaches["approach_id"], approaches["namn"], strict=True))


def municipality_codes(section: str | None, codebook: Codebook) -> dict[str, str]:
    """Accepted spelling -> municipality code (Kolada also allows the county and country)."""
    lookup = dict(codebook.municipality_lookup())
    if section == "kolada_areas":
        for area in (codebook.county, codebook.country):
            if area.kolada_id:
                lookup[area.kolada_id] = area.kolada_id
    return lookup


def fold_municipality(value: object, lookup: dict[str, str]) -> str | None:
    """The four-digit code for a code or name, or None when unknown."""
    text = str(value).strip()
    if text.isdigit() and len(text) <= 4:
        return lookup.get(text.zfill(4))
    return lookup.get(text) or lookup.get(normalize_key(text))


def folder(column: Column, codebook: Codebook) -> Callable[[str], str | None]:
    """A function from one raw value to its canonical value, or None when unknown.

    Only for ``code`` and ``municipality`` columns (and for each item of a ``codes`` list).
    """
    if column.kind == "municipality":
        mlookup = municipality_codes(column.section, codebook)
        return lambda v: fold_municipality(v, mlookup)
    lookup = code_lookup(column.section or "", codebook)
    sentinel = object()

    def fold(value: str) -> str | None:
        hit = lookup.get(normalize_key(value), sentinel)
        return None if hit is sentinel else (hit if hit is not None else "")

    return fold


_SPACE = "[ \u00a0\u202f]"
_INT_RE = rf"^[+-]?(\d+|\d{{1,3}}({_SPACE}\d{{3}})+)([.,]0)?$"
_FLOAT_RE = rf"^[+-]?((\d+|\d{{1,3}}({_SPACE}\d{{3}})+)([.,]\d+)?|[.,]\d+)([eE][+-]?\d+)?$"
INT_PATTERN = re.compile(_INT_RE)
FLOAT_PATTERN = re.compile(_FLOAT_RE)


def numeric_view(values: pd.Series, kind: Kind) -> pd.Series:
    """Parse number texts (decimal comma or point, spaces between thousands) as float64.

    Values that are not numbers of ``kind`` (``int`` or ``float``) become NaN.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):  # parse each category once
        parsed = numeric_view(pd.Series(values.cat.categories, dtype="object"), kind)
        picked = np.append(parsed.to_numpy(dtype="float64"), np.nan)[values.cat.codes.to_numpy()]
        return pd.Series(picked, index=values.index, dtype="float64")
    pattern = _INT_RE if kind == "int" else _FLOAT_RE
    text = values.astype("str")
    ok = text.str.fullmatch(pattern).fillna(False).astype(bool)
    cleaned = text.where(ok).str.replace(_SPACE, "", regex=True).str.replace(",", ".", regex=False)
    try:  # a fast cast through Arrow: every remaining text is a number
        numbers = cleaned.astype("float64[pyarrow]").to_numpy(dtype="float64", na_value=np.nan)
        return pd.Series(numbers, index=values.index, dtype="float64")
    except (ValueError, TypeError, ImportError):
        return pd.to_numeric(cleaned, errors="coerce").astype("float64")


def fold_series(values: pd.Series, fold: Callable[[str], str | None]) -> pd.Series:
    """Apply ``fold`` to each distinct non-blank value (object dtype; blank stays None)."""
    mapping = {v: fold(v) for v in values.dropna().unique()}
    return values.map(mapping, na_action="ignore").astype("object")


# --- finding and reading --------------------------------------------------------------------


@dataclass
class RawTable:
    """A raw input read as text (blank = NA), index = spreadsheet row number: str columns,
    except the survey's answer and unrecognised columns, which are categoricals of texts."""

    frame: pd.DataFrame
    path: Path
    header_row: int
    encoding: str | None
    delimiter: str | None
    sha256: str
    format: Literal["csv", "xlsx", "sav"] = "csv"
    original_headers: dict[str, str] = field(default_factory=dict)  # canonical -> as written


def find_input(data_dir: Path, name: str, required: bool = True) -> Path | None:
    """Find ``name`` with one of :data:`SUFFIXES` (``.csv``, ``.csv.gz``, ``.xlsx``, ``.sav``)
    in ``data_dir``, in any letter case.

    No format is preferred to another: when two files could be the input (``enkat.sav`` beside
    ``enkat.csv``), :class:`InputError` names both, so the researcher says which one counts by
    moving the other. Also raised when a required input is missing. Returns None for a missing
    optional input.
    """
    data_dir = Path(data_dir)
    wanted = [f"{name}{suffix}" for suffix in SUFFIXES]
    if not data_dir.is_dir():
        raise InputError(
            Problem(
                file=wanted[0],
                message=f"Datamappen {data_dir} finns inte.",
                expected="en mapp med indatafilerna (ange den med --data-dir)",
            )
        )
    found = sorted(p for p in data_dir.iterdir() if p.is_file() and p.name.lower() in wanted)
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise InputError(
            Problem(
                file=found[0].name,
                message=f"Det finns flera filer för '{name}' i {data_dir}: {names}.",
                expected=f"bara en av {', '.join(wanted)}; ta bort eller flytta de andra",
            )
        )
    if found:
        return found[0]
    if not required:
        return None
    legacy = [p.name for p in data_dir.iterdir() if p.name.lower() == f"{name}.xls"]
    hint = (
        f" Filen {legacy[0]} är i det gamla Excel-formatet (.xls); spara den som .xlsx eller CSV."
        if legacy
        else ""
    )
    raise InputError(
        Problem(
            file=wanted[0],
            message=(
                f"Indatafilen för '{name}' saknas: letade efter {', '.join(wanted)} "
                f"i {data_dir}.{hint}"
            ),
            expected=f"en fil med namnet {wanted[0]} (eller {' eller '.join(wanted[1:])})",
        )
    )


def _row_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _encoding_error(path: Path, message: str, offset: int, data: bytes) -> InputError:
    row = _row_of_offset(data, offset)
    return InputError(
        Problem(
            file=path.name,
            message=f"Oväntad teckenkodning (unexpected encoding): {message} "
            f"vid byte {offset} (rad {row}). {_SAVE_HINT}",
            rows=(row,),
            expected="UTF-8 eller Windows-1252 (Excels 'CSV (semikolonavgränsad)')",
        )
    )


def decode_text(data: bytes, path: Path) -> tuple[str, str]:
    """Decode CSV bytes: BOM -> utf-8-sig, valid UTF-8 -> utf-8, else strict Windows-1252.

    Raises :class:`InputError` ("unexpected encoding") for UTF-16/NUL bytes and for bytes that are
    invalid in both encodings; and, with one problem per row, column and character, for a file
    that mixes UTF-8 with Windows-1252 (:func:`_mixed_encoding_error`).
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE)):
        raise _encoding_error(path, "filen är sparad som UTF-16 (Unicode-text)", 0, data)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise _encoding_error(path, "filen innehåller NUL-tecken (troligen UTF-16)", nul, data)
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8) :] if bom else data
    try:
        return body.decode("utf-8"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError as utf8_exc:
        mixed = _mixed_encoding_error(body, path)
        if mixed is not None:
            raise mixed from utf8_exc
        if bom:
            start = utf8_exc.start + len(codecs.BOM_UTF8)
            raise _encoding_error(
                path, f"ogiltig UTF-8-byte 0x{data[start]:02X}", start, data
            ) from utf8_exc
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise _encoding_error(
                path,
                f"byten 0x{data[exc.start]:02X} är varken giltig UTF-8 eller Windows-1252",
                exc.start,
                data,
            ) from exc
        bad = re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
        if bad:
            offset = len(text[: bad.start()].encode("cp1252"))
            raise _encoding_error(
                path, f"styrtecknet 0x{ord(bad.group()):02X} hör inte hemma i text", offset, data
            ) from utf8_exc
        return text, "cp1252"


#: At most this many places of a file with mixed encodings are reported (one problem each).
MIXED_ENCODING_PROBLEMS = 10
_ENCODING_NAMES = {"cp1252": "Windows-1252 (ANSI)", "utf-8": "UTF-8"}
_SAVE_AS_UTF8 = (
    "spara filen som UTF-8 (i Excel: Arkiv → Spara som → 'CSV UTF-8 (kommaavgränsad)'; "
    "i en texteditor: välj kodningen UTF-8)"
)


def _mixed_encoding_error(data: bytes, path: Path) -> InputError | None:
    """The error for CSV bytes that mix UTF-8 with Windows-1252, or None when they do not.

    One :class:`Problem` per column and character (with the rows where it occurs), at most
    :data:`MIXED_ENCODING_PROBLEMS`: what a reader shows there ('â€“') and what was meant ('–'),
    and to save the file as UTF-8. Which byte sequences count as mixing is decided in
    :mod:`fouanalys.ingest.encodings`.
    """
    mixed = find_mixed_encoding(data)
    if mixed is None:
        return None
    sample = islice(io.StringIO(data[:65536].decode("latin-1")), HEADER_SEARCH_ROWS)
    delimiter = sniff_delimiter([ln for ln in sample if ln.strip()])
    header, cells = cell_positions(data, [p.start for p in mixed.places], delimiter)
    main = mixed.encoding
    names = [h.encode("latin-1").decode(main, errors="replace").strip() for h in header]
    other = "UTF-8" if main == "cp1252" else "Windows-1252"
    groups: dict[tuple[str, str, str], list[int]] = {}
    for place, (row, j) in zip(mixed.places, cells, strict=True):
        column = names[j] if j < len(names) and names[j] else f"(namnlös kolumn {j + 1})"
        groups.setdefault((column, place.read_as, place.meant), []).append(row)
    shown = list(groups.items())[:MIXED_ENCODING_PROBLEMS]
    problems = [
        Problem(
            file=path.name,
            column=column,
            rows=tuple(dict.fromkeys(rows)),
            message=(
                f"Filen blandar UTF-8 och Windows-1252: den är sparad som {_ENCODING_NAMES[main]}"
                f" men har tecken i {other} här, så det står '{read_as}' där det ska stå "
                f"'{meant}'."
            ),
            expected=f"'{meant}', hela filen i en teckenkodning: rätta tecknet och {_SAVE_AS_UTF8}",
        )
        for (column, read_as, meant), rows in shown
    ]
    listed = sum(len(rows) for _, rows in shown)
    if mixed.total > listed:
        problems.append(
            Problem(
                file=path.name,
                message=(
                    f"Filen blandar UTF-8 och Windows-1252 på {mixed.total} ställen; "
                    f"{mixed.total - listed} av dem visas inte ovan."
                ),
                expected=f"hela filen i en teckenkodning: {_SAVE_AS_UTF8}",
            )
        )
    return InputError(*problems)


def sniff_delimiter(lines: list[str]) -> str:
    """Pick ``;``, ``,`` or tab: the one most frequent in the header line (or sample)."""
    for line in lines:
        counts = {d: line.count(d) for d in _DELIMITERS}
        best = max(counts, key=lambda d: (counts[d], d == ";"))
        if counts[best] > 0:
            return best
    return ","


def _header_keys(columns: tuple[Column, ...]) -> dict[str, str]:
    """Folded header spelling -> canonical column name."""
    keys: dict[str, str] = {}
    for col in columns:
        for spelling in (col.name, col.typed_name, *col.aliases):
            keys.setdefault(normalize_key(spelling), col.name)
    return keys


def _check_header_row(rows: list[list[object]], path: Path, columns: tuple[Column, ...]) -> None:
    """Raise when a later row looks more like the header than row 1 does."""
    required = {normalize_key(c.name) for c in columns if c.required}
    keys = _header_keys(columns)

    def score(row: list[object]) -> int:
        folded = {keys.get(normalize_key(v)) for v in row if v is not None and str(v).strip()}
        return len({normalize_key(c) for c in folded if c} & required)

    if not rows:
        return
    first = score(rows[0])
    best_i, best = 0, first
    for i, row in enumerate(rows[1:HEADER_SEARCH_ROWS], start=1):
        s = score(row)
        if s > best:
            best_i, best = i, s
    if best_i and best >= 2:
        raise InputError(
            Problem(
                file=path.name,
                message=(
                    f"Kolumnnamnen verkar stå på rad {best_i + 1}, men rad 1 måste innehålla "
                    "kolumnnamnen. Ta bort raderna ovanför (t.ex. en rubrik eller tomma rader) "
                    "och spara filen igen."
                ),
                rows=(best_i + 1,),
                expected="kolumnnamnen på rad 1",
            )
        )


def _empty_error(path: Path, message: str) -> InputError:
    return InputError(
        Problem(
            file=path.name, message=message, expected="kolumnnamn på rad 1 och minst en datarad"
        )
    )


def _xlsx_cell(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _read_xlsx(data: bytes, path: Path) -> list[list[object]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise InputError(
            Problem(
                file=path.name,
                message=f"Excel-filen kan inte läsas ({type(exc).__name__}: {exc}).",
                expected="en .xlsx-fil sparad i Excel eller LibreOffice",
            )
        ) from exc
    try:
        ws = wb.worksheets[0]
        return [[_xlsx_cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


class _TextFile:
    """A read-only text file over a string, handing out slices of it.

    ``read_csv`` reads it chunk by chunk without copying the whole text: ``io.StringIO`` keeps
    its text at four bytes a character, several times the decoded file.
    """

    def __init__(self, text: str) -> None:
        self._text, self._pos = text, 0

    def read(self, size: int = -1) -> str:
        end = len(self._text) if size is None or size < 0 else self._pos + size
        part = self._text[self._pos : end]
        self._pos += len(part)
        return part

    def __iter__(self) -> Iterator[str]:
        return _lines(self._text)


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text``, each with its ``\\n``, as iterating ``io.StringIO(text)`` gives
    them, without copying the whole text."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _read_csv_rows(text: str, delimiter: str, path: Path) -> tuple[list[str], pd.DataFrame]:
    """The header cells and the cleaned data rows of a CSV text (see :func:`_clean_chunk`).

    Read :data:`CSV_CHUNK_ROWS` rows at a time, each chunk stored as categoricals at once, so a
    large survey never exists as one frame of Python strings (several gigabytes at a million
    respondents).
    """
    chunks: list[pd.DataFrame] = []
    header: list[str] = []
    try:
        reader = pd.read_csv(
            _TextFile(text),
            sep=delimiter,
            header=None,
            dtype=object,  # texts as read: each chunk's distinct texts are cleaned as str
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
            chunksize=CSV_CHUNK_ROWS,
        )
        with reader:
            for chunk in reader:
                if not header:
                    header = _header_cells(chunk.iloc[0])
                    chunk = chunk.iloc[1:]
                chunks.append(_clean_chunk(chunk))
    except pd.errors.ParserError as exc:
        match = re.search(r"line (\d+)", str(exc))
        rows = (int(match.group(1)),) if match else ()
        raise InputError(
            Problem(
                file=path.name,
                message=(
                    "Raden har fler fält än rubrikraden (kontrollera avgränsaren "
                    f"'{_DELIMITER_NAMES[delimiter]}' och citattecken)."
                ),
                rows=rows,
                expected="lika många fält på varje rad som på rubrikraden",
            )
        ) from exc
    columns = chunks[0].columns if chunks else range(len(header))
    frame = pd.DataFrame(
        {
            j: union_categoricals([c[j].array for c in chunks], ignore_order=True)
            if chunks
            else pd.Categorical([])
            for j in columns
        },
        copy=False,
    )
    return header, frame


def _header_cells(row: pd.Series) -> list[str]:
    """The header row's cells as stripped texts ("" for a blank cell)."""
    return [
        "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()
        for v in row.tolist()
    ]


def read_raw(path: Path, name: str, codebook: Codebook) -> RawTable:
    """Read one raw input as strings, detecting format, compression, encoding and delimiter.

    The frame's index is the spreadsheet row number (the header is row 1, so data starts on
    row 2; in an SPSS file, case n is row n + 1); cells are stripped, blank cells are NA;
    recognised headers are renamed to their canonical spelling, other columns keep theirs.
    An SPSS file's labelled values are their label texts. The survey's item columns are
    recoded from answer texts to codes (:func:`fouanalys.ingest.answers.recode_items`): a text
    of the item's scale becomes its code, a "no answer" text or a code 990–999 blank, numbers
    stay, other texts stay for validation to report. Raises :class:`InputError` for an empty or
    unreadable file, an unexpected encoding, a header that is not on row 1, or a ``.sav`` file
    that is not an SPSS file.
    """
    path = Path(path)
    columns = input_columns(name, codebook)
    with open(path, "rb") as fh:  # read-only: raw files are never modified
        data = fh.read()
    digest = sha256_bytes(data)
    if not data:
        raise _empty_error(path, "Filen är tom (0 byte).")

    encoding: str | None = None
    delimiter: str | None = None
    fmt: Literal["csv", "xlsx", "sav"]
    if is_sav(data) or path.suffix.lower() == ".sav":
        fmt = "sav"
        items = codebook.survey_items() if INPUTS[name].survey_items else []
        header, frame, encoding = read_sav_cells(data, path, items, codebook.missing_answers)
    else:
        if data[:4] == b"PK\x03\x04":
            fmt = "xlsx"
            body = _xlsx_body(data, path, columns)
            header, frame = _header_cells(body.iloc[0]), body.iloc[1:]
        else:
            fmt = "csv"
            header, frame, encoding, delimiter = _csv_body(data, path, columns)
            del data  # the file's bytes: a large survey should not be held twice
    frame.index = pd.RangeIndex(2, 2 + len(frame))
    frame.columns = range(frame.shape[1])
    if fmt != "csv":  # the CSV reader cleans each chunk as it reads it
        frame = _clean_cells(frame)
    frame, original = _named_columns(frame, header, columns, path)
    frame = _storage_types(frame, INPUTS[name])
    if INPUTS[name].survey_items:
        frame = recode_items(frame, codebook.item_answers(), codebook.missing_answers)
    frame = frame.dropna(how="all")
    if frame.empty:
        raise _empty_error(path, "Filen har kolumnnamn men inga datarader.")
    frame.index.name = "rad"
    return RawTable(
        frame=frame,
        path=path,
        header_row=1,
        encoding=encoding,
        delimiter=delimiter,
        sha256=digest,
        format=fmt,
        original_headers=original,
    )


def _xlsx_body(data: bytes, path: Path, columns: tuple[Column, ...]) -> pd.DataFrame:
    """An Excel file's first sheet as an object frame, header row included, rows padded."""
    rows = _read_xlsx(data, path)
    _check_header_row(rows[:HEADER_SEARCH_ROWS], path, columns)
    if not rows:
        raise _empty_error(path, "Excel-filen är tom.")
    width = max(len(r) for r in rows)
    return pd.DataFrame([list(r) + [None] * (width - len(r)) for r in rows], dtype=object).astype(
        object
    )


def _csv_body(
    data: bytes, path: Path, columns: tuple[Column, ...]
) -> tuple[list[str], pd.DataFrame, str, str]:
    """A (possibly gzipped) CSV file as its header cells and its cleaned data rows (categorical
    columns, see :func:`_read_csv_rows`), with the encoding and delimiter found. Raises
    :class:`InputError` for a broken or empty file."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(
                Problem(
                    file=path.name,
                    message=f"Den gzip-komprimerade filen är skadad ({exc}).",
                    expected="en hel .csv.gz-fil",
                )
            ) from exc
        if not data.strip():
            raise _empty_error(path, "Filen är tom.")
    elif path.suffix.lower() == ".xlsx":
        raise InputError(
            Problem(
                file=path.name,
                message="Filen heter .xlsx men är ingen Excel-fil.",
                expected="en .xlsx-fil sparad i Excel, eller byt namn till .csv",
            )
        )
    text, encoding = decode_text(data, path)
    del data  # the decompressed bytes: only the text is read from here on
    if not text.strip():
        raise _empty_error(path, "Filen är tom.")
    sample_lines = [ln for ln in islice(_lines(text), HEADER_SEARCH_ROWS) if ln.strip()]
    delimiter = sniff_delimiter(sample_lines)
    sample = list(islice(csv.reader(_lines(text), delimiter=delimiter), 50))
    _check_header_row(sample[:HEADER_SEARCH_ROWS], path, columns)
    header, frame = _read_csv_rows(text, delimiter, path)
    return header, frame, encoding, delimiter


def _named_columns(
    frame: pd.DataFrame, header: list[str], columns: tuple[Column, ...], path: Path
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Name the columns: canonical names for recognised headers, unnamed empty columns dropped.

    Returns the renamed frame and each canonical name's header as written. Raises
    :class:`InputError` when two headers mean the same column.
    """
    keys = _header_keys(columns)
    names: list[str] = []
    original: dict[str, str] = {}
    keep: list[int] = []
    for j, head in enumerate(header):
        if not head:
            if frame[j].notna().any():
                names.append(f"(namnlös kolumn {j + 1})")
                keep.append(j)
            continue
        canonical = keys.get(normalize_key(head), head)
        if canonical in original:
            raise InputError(
                Problem(
                    file=path.name,
                    column=canonical,
                    message=(
                        f"Kolumnen '{canonical}' finns två gånger "
                        f"('{original[canonical]}' och '{head}')."
                    ),
                    rows=(1,),
                    expected="varje kolumnnamn en gång",
                )
            )
        original[canonical] = head
        names.append(canonical)
        keep.append(j)
    frame = frame[keep]
    frame.columns = names
    return frame, original


def _clean_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Strip every cell; blank cells and NA markers become NA. Columns have pandas' str dtype."""
    out = {}
    for j in frame.columns:
        col = frame[j].astype("str").str.strip()
        out[j] = col.where(~col.isin(["", *NA_MARKERS]))
    return pd.DataFrame(out, index=frame.index)


def _clean_chunk(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`_clean_cells` for a chunk of a CSV file, each column a categorical: every
    distinct text is cleaned once (all columns' texts in one pass), and a cell costs one
    small integer code."""
    factorized = [pd.factorize(frame[j].to_numpy(dtype=object)) for j in frame.columns]
    texts = [np.asarray(distinct, dtype=object) for _codes, distinct in factorized]
    cleaned = _clean_cells(pd.DataFrame({0: np.concatenate([[], *texts])}))[0].to_numpy()
    ends = np.cumsum([len(t) for t in texts])
    out = {}
    for j, (codes, _distinct), end, n in zip(
        frame.columns, factorized, ends, map(len, texts), strict=True
    ):
        clean_codes, categories = pd.factorize(pd.Series(cleaned[end - n : end], dtype="str"))
        picked = np.append(clean_codes, -1)[codes]  # code -1 (no text) picks the last: -1
        out[j] = pd.Categorical.from_codes(picked, categories)
    return pd.DataFrame(out, index=frame.index, copy=False)


def _storage_types(frame: pd.DataFrame, spec: InputSpec) -> pd.DataFrame:
    """The raw frame's column types: pandas' str dtype, except in the survey, where every
    column but the fixed ones (year, municipality, grade, sex, weight) is categorical.

    A survey's answers are a handful of short codes repeated over every respondent; held as
    categoricals, a cell costs one byte instead of a Python string or an Arrow offset.
    """
    fixed = {col.name for col in spec.columns} if spec.survey_items else set(frame.columns)
    out = {}
    for c in frame.columns:
        compact = isinstance(frame[c].dtype, pd.CategoricalDtype)
        if c in fixed:
            out[c] = frame[c].astype("str") if compact else frame[c]
        else:
            out[c] = frame[c] if compact else frame[c].astype("category")
    return pd.DataFrame(out, index=frame.index, copy=False)


# --- typing -----------------------------------------------------------------------------------


def _int_column(values: pd.Series) -> pd.Series:
    return numeric_view(values, "int").round().astype("Int64")


def to_typed(raw: RawTable, name: str, codebook: Codebook) -> pd.DataFrame:
    """The typed frame for a validated raw input (see the typed-frame contract).

    Columns are those of the input spec, in spec order, named by their typed names: numbers as
    ``Int64``/``Float64`` (NA when blank), codes as canonical codebook ids, code lists as
    canonical ids joined by ``;`` ("" when blank), free text ("" when blank). enkat keeps only
    ``ar, kommunkod, arskurs, kon`` and the codebook-scored items. The index is a RangeIndex.
    """
    frame = raw.frame
    out: dict[str, pd.Series] = {}
    for col in input_columns(name, codebook):
        if col.name in frame.columns:
            values = frame[col.name]
        elif not col.keep_absent:
            continue
        else:
            values = pd.Series([None] * len(frame), index=frame.index, dtype="object")
        if col.kind == "int":
            out[col.typed_name] = _int_column(values)
        elif col.kind == "float":
            out[col.typed_name] = numeric_view(values, "float").astype("Float64")
        elif col.kind in ("code", "municipality"):
            fold = folder(col, codebook)
            folded = fold_series(values, lambda v, fold=fold: fold(v) or None)
            out[col.typed_name] = folded.astype("str")
        elif col.kind == "codes":
            fold = folder(col, codebook)
            out[col.typed_name] = values.map(
                lambda v, fold=fold: ";".join(dict.fromkeys(fold(p) or p for p in split_codes(v)))
            ).astype("str")
        else:  # text
            text = values.where(values.notna(), "") if col.nullable else values
            out[col.typed_name] = text.astype("str")
    typed = pd.DataFrame(out, copy=False)  # the columns are new: no second copy of them
    return typed.reset_index(drop=True)
