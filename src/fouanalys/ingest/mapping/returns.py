"""Reading returned mapping workbooks into new mapping rounds.

:func:`read_return` reads one workbook made from the template
(:mod:`fouanalys.ingest.mapping.template`): it finds sheet *Insatser* and the municipality
code, refuses merged cells, skips blank rows, maps the Swedish headings back to the inventory
columns, rewrites what people type where it has one reading
(:mod:`fouanalys.ingest.mapping.normalisation`) and runs every row through the same gate as
``insatser.csv`` (:func:`fouanalys.ingest.validation.validate_raw`). Every problem names the
workbook, the sheet, the Excel row and the column as the workbook heads it.

:func:`import_returns` reads several workbooks, and only when every one of them is valid
stores each as a new round of its municipality (:mod:`fouanalys.ingest.rounds`): the typed
rows as a CSV and a sidecar JSON saying where they came from. Nothing already in the data
folder is changed; ``insatser.csv`` never is.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import cast

import pandas as pd

from fouanalys import __version__
from fouanalys.codebook import Codebook, load_codebook, normalize_key
from fouanalys.config import EXAMPLE_DATA_DIR, default_data_dir, require_data_dir
from fouanalys.exceptions import (
    FouanalysError,
    MappingReturnError,
    Problem,
    UnknownMunicipalityError,
)
from fouanalys.ingest.catalog import sha256_bytes
from fouanalys.ingest.files import atomic_write
from fouanalys.ingest.mapping.columns import (
    CODE_CELL,
    CODE_NAME,
    LISTS_SHEET,
    PREFILL_CELL,
    ROWS_SHEET,
    VERSION_CELL,
    VERSION_NAME,
    SheetColumn,
    heading_lookup,
    sheet_columns,
    vocabulary,
)
from fouanalys.ingest.mapping.normalisation import Normalisation, Refusal, normalise
from fouanalys.ingest.readers import RawTable, input_columns, to_typed
from fouanalys.ingest.rounds import BASE_ROUND, latest_inventory, next_round_path
from fouanalys.ingest.validation import suggester, validate_raw

log = logging.getLogger("fouanalys")

#: A list longer than this is named by where to find it, not spelled out, in a problem.
_LISTED_VALUES = 8


@dataclass
class ReturnedWorkbook:
    """One returned workbook as read and checked.

    ``typed`` is the inventory typed as ``insatser`` (codebook ids, ``kommunkod`` included)
    when the workbook has no problems, else None. ``headings`` gives each canonical column the
    heading and the column letter the workbook shows; ``notes`` what was read but not used
    (a column the template does not have).
    """

    path: Path
    sha256: str = ""
    municipality_code: str | None = None
    template_version: str | None = None
    prefilled_from: str | None = None
    rows: int = 0
    headings: dict[str, tuple[str, str]] = field(default_factory=dict)
    normalisations: list[Normalisation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    typed: pd.DataFrame | None = None

    @property
    def where(self) -> str:
        """The workbook and sheet as problems name them."""
        return f"{self.path.name}, blad '{ROWS_SHEET}'"

    def problem(self, message: str, expected: str | None = None, **fields) -> None:
        """Add a problem of this workbook (``file`` is the workbook, or its sheet with
        ``sheet=True``)."""
        where = self.where if fields.pop("sheet", False) else self.path.name
        self.problems.append(Problem(file=where, message=message, expected=expected, **fields))


# --- reading one workbook -------------------------------------------------------------------


def read_return(path: Path, codebook: Codebook | None = None) -> ReturnedWorkbook:
    """Read and check one returned workbook; its problems are in ``.problems`` (none raised)."""
    codebook = codebook or load_codebook()
    returned = ReturnedWorkbook(path=Path(path))
    book = _open(returned)
    if book is None:
        return returned
    try:
        _municipality(book, returned, codebook)
        if ROWS_SHEET not in book.sheetnames:
            sheets = ", ".join(f"'{name}'" for name in book.sheetnames)
            returned.problem(
                f"Bladet '{ROWS_SHEET}' saknas; arbetsboken har bladen {sheets}.",
                f"ett blad som heter '{ROWS_SHEET}' med insatserna (byt tillbaka namnet om det "
                "har ändrats)",
            )
            return returned
        columns = sheet_columns(codebook)
        frame, refusals = _sheet_frame(book[ROWS_SHEET], returned, columns)
    finally:
        book.close()
    if returned.municipality_code is None:
        return returned
    _check(returned, frame, refusals, columns, codebook)
    return returned


def _open(returned: ReturnedWorkbook):
    """The workbook (formulas as their last computed values), or None with a problem."""
    from openpyxl import load_workbook

    path = returned.path
    if not path.is_file():
        returned.problem("Filen finns inte.", "en returnerad arbetsbok (.xlsx)")
        return None
    if path.suffix.lower() != ".xlsx":
        returned.problem(
            f"Filen är ingen .xlsx-arbetsbok (filändelsen är '{path.suffix}').",
            "arbetsboken från 'fouanalys mapping template', sparad som .xlsx",
        )
        return None
    with open(path, "rb") as fh:  # read-only: a returned workbook is never modified
        data = fh.read()
    returned.sha256 = sha256_bytes(data)
    try:
        return load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        returned.problem(
            f"Filen heter .xlsx men går inte att läsa som en Excel-arbetsbok "
            f"({type(exc).__name__}: {exc}).",
            "arbetsboken från 'fouanalys mapping template', sparad som .xlsx i Excel eller "
            "LibreOffice",
        )
        return None


def _named_value(book, name: str, sheet: str, cell: str) -> object:
    """The value of a workbook-level name, or of ``sheet!cell`` when the name is missing."""
    defined = book.defined_names.get(name)
    if defined is not None:
        for title, coordinate in defined.destinations:
            if title in book.sheetnames:
                return book[title][coordinate.replace("$", "")].value
    if sheet in book.sheetnames:
        return book[sheet][cell].value
    return None


def _municipality(book, returned: ReturnedWorkbook, codebook: Codebook) -> None:
    """The municipality code, template version and prefilled round kept on Listor."""
    value = _named_value(book, CODE_NAME, LISTS_SHEET, CODE_CELL)
    version = _named_value(book, VERSION_NAME, LISTS_SHEET, VERSION_CELL)
    returned.template_version = None if version is None else str(version)
    if LISTS_SHEET in book.sheetnames:
        prefill = book[LISTS_SHEET][PREFILL_CELL].value
        returned.prefilled_from = None if prefill is None else str(prefill)
    if value is None or not str(value).strip():
        returned.problem(
            f"Arbetsboken saknar kommunkod (bladet '{LISTS_SHEET}', cell {CODE_CELL}, och "
            f"namnet {CODE_NAME} finns inte), så det går inte att veta vilken kommun den gäller.",
            "en arbetsbok gjord med 'fouanalys mapping template' för kommunen; för över "
            "raderna till en ny mall om bladet har tagits bort",
        )
        return
    try:
        returned.municipality_code = codebook.resolve_municipality(value)
    except UnknownMunicipalityError as exc:
        returned.problem(
            f"Kommunkoden i arbetsboken ({LISTS_SHEET}!{CODE_CELL}) är okänd: {exc}",
            "en kommunkod ur kodboken",
        )


def _cell_text(value: object) -> str | None:
    """A cell's value as the text a person typed (blank → None)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    text = text.replace("\u00a0", " ").strip()
    return text or None


def _sheet_frame(
    sheet, returned: ReturnedWorkbook, columns: tuple[SheetColumn, ...]
) -> tuple[pd.DataFrame, list[Refusal]]:
    """The sheet's inventory columns as a text frame (canonical names, index = Excel row,
    fully blank rows left out) and the cells refused while reading: a date Excel made of a
    number, and the cells a merged range covers (their problem is the merge, so these carry
    no message of their own). A missing heading is a problem, and its column is absent."""
    from openpyxl.utils import get_column_letter

    rows = list(sheet.iter_rows(values_only=True))
    header = [_cell_text(v) for v in (rows[0] if rows else ())]
    keys = heading_lookup(columns)
    spec = {c.name: c for c in columns}
    positions: dict[str, int] = {}
    for j, heading in enumerate(header):
        letter = get_column_letter(j + 1)
        has_data = any(j < len(r) and _cell_text(r[j]) is not None for r in rows[1:])
        if heading is None:
            if has_data:
                returned.notes.append(f"Kolumn {letter} har ingen rubrik och lästes inte.")
            continue
        name = keys.get(normalize_key(heading))
        if name is None:
            if has_data:
                returned.notes.append(
                    f"Kolumn {letter} '{heading}' finns inte i mallen och lästes inte."
                )
            continue
        if name in positions:
            first = returned.headings[name]
            returned.problem(
                f"Kolumnen '{spec[name].heading}' finns två gånger: kolumn {first[1]} "
                f"'{first[0]}' och kolumn {letter} '{heading}'.",
                "varje rubrik en gång på rad 1",
                sheet=True,
                rows=(1,),
            )
            continue
        positions[name] = j
        returned.headings[name] = (heading, letter)
    for col in columns:
        if col.name in positions:
            continue
        if col.spec.required:
            returned.problem(
                f"Kolumnen '{col.heading}' saknas (rubrikerna på rad 1 känns inte igen).",
                f"rubriken '{col.heading}' på rad 1, som i mallen",
                sheet=True,
                column=col.heading,
                rows=(1,),
            )
        else:
            returned.notes.append(
                f"Kolumnen '{col.heading}' saknas; den blir tom i den nya omgången."
            )
    refusals = _merged_cells(sheet, returned, positions)
    kinds = {name: spec[name].spec.kind for name in positions}
    data: dict[str, list[str | None]] = {name: [] for name in positions}
    index: list[int] = []
    for i, row in enumerate(rows[1:], start=2):
        texts = {
            name: _cell_text(row[j]) if j < len(row) else None for name, j in positions.items()
        }
        if all(v is None for v in texts.values()):
            continue
        index.append(i)
        for name, text in texts.items():
            data[name].append(text)
            if kinds[name] == "int" and isinstance(row[positions[name]], date):
                refusals.append(
                    Refusal(
                        name,
                        i,
                        str(text),
                        "Excel har gjort om det som skrevs till ett datum.",
                        "ett heltal; skriv ett intervall som två åldrar i var sin kolumn",
                    )
                )
    frame = pd.DataFrame(data, index=pd.Index(index, name="rad"), dtype="str")
    returned.rows = len(frame)
    return frame, refusals


def _merged_cells(sheet, returned: ReturnedWorkbook, positions: dict[str, int]) -> list[Refusal]:
    """A problem for each merged range on the sheet; the cells it covers (but the first) are
    refused, so the gate does not report them again as blank."""
    names = {j + 1: name for name, j in positions.items()}
    refusals = []
    for merged in sorted(sheet.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col)):
        rows = tuple(range(merged.min_row, merged.max_row + 1))
        column = names.get(merged.min_col)
        returned.problem(
            f"Sammanfogade celler ({merged.coord}). Varje rad måste ha egna celler.",
            "inga sammanfogade celler: dela upp dem och skriv värdet i varje rad",
            sheet=True,
            rows=rows,
            **(_shown(returned, column) if column else {}),
        )
        for row in rows:
            for col in range(merged.min_col, merged.max_col + 1):
                if (row, col) != (merged.min_row, merged.min_col) and col in names:
                    refusals.append(Refusal(names[col], row, "", "", ""))
    return refusals


def _shown(returned: ReturnedWorkbook, name: str) -> dict[str, str | None]:
    """``column`` and ``column_letter`` of a Problem for canonical column ``name``."""
    heading, letter = returned.headings.get(name, (name, None))
    return {"column": heading, "column_letter": letter}


# --- the gate -------------------------------------------------------------------------------


def _check(
    returned: ReturnedWorkbook,
    frame: pd.DataFrame,
    refusals: list[Refusal],
    columns: tuple[SheetColumn, ...],
    codebook: Codebook,
) -> None:
    """Normalise, run the gate, and set ``typed`` when nothing is wrong."""
    if frame.empty:
        returned.problem(
            "Bladet har inga ifyllda rader.",
            "minst en insats; en kartläggning utan insatser läses inte in",
            sheet=True,
        )
        return
    shown = {name: heading for name, (heading, _letter) in returned.headings.items()}
    frame, returned.normalisations, refused = normalise(frame, columns, codebook, shown)
    refusals = refusals + refused
    frame.insert(0, "kommunkod", returned.municipality_code)
    frame = frame.astype("str")
    raw = RawTable(
        frame=frame,
        path=returned.path,
        header_row=1,
        encoding=None,
        delimiter=None,
        sha256=returned.sha256,
        format="xlsx",
        original_headers=shown,
    )
    refused_cells = {(r.column, r.row) for r in refusals}
    problems = [
        _in_workbook(p, returned, columns, codebook)
        for p in _without(validate_raw("insatser", raw, codebook), refused_cells, frame)
        if not (p.column in _absent(columns, frame) and not p.rows)
    ]
    problems += [
        Problem(
            file=returned.where,
            message=r.message,
            rows=(r.row,),
            values=(r.value,) if r.value else (),
            expected=r.expected,
            **_shown(returned, r.column),
        )
        for r in refusals
        if r.message
    ]
    order = {c.name: i for i, c in enumerate(columns)}
    by_heading = {returned.headings.get(c.name, (c.heading,))[0]: order[c.name] for c in columns}
    problems.sort(key=lambda p: (min(p.rows, default=0), by_heading.get(p.column or "", -1)))
    returned.problems.extend(problems)
    if not returned.problems:
        returned.typed = to_typed(raw, "insatser", codebook)


def _absent(columns: tuple[SheetColumn, ...], frame: pd.DataFrame) -> set[str]:
    """Canonical names of the template's columns the sheet lacks (reported when read)."""
    return {c.name for c in columns if c.name not in frame.columns}


def _without(
    problems: list[Problem], refused: set[tuple[str, int]], frame: pd.DataFrame
) -> list[Problem]:
    """The gate's problems without the cells already refused (each cell is reported once)."""
    out = []
    for p in problems:
        rows = tuple(r for r in p.rows if (p.column, r) not in refused)
        if p.rows and not rows:
            continue
        if rows != p.rows and p.column in frame:
            kept = {str(v) for v in frame.loc[list(rows), p.column].dropna()}
            p = replace(p, rows=rows, values=tuple(v for v in p.values if v in kept), n_rows=None)
        out.append(p)
    return out


def _in_workbook(
    p: Problem,
    returned: ReturnedWorkbook,
    columns: tuple[SheetColumn, ...],
    codebook: Codebook,
) -> Problem:
    """A gate problem as the workbook shows it: the workbook and sheet, the column's heading
    and letter, headings for column names in the text, labels for codes."""
    names = [n for n in (p.column or "").split(", ") if n and n != "kommunkod"]
    if not names:
        return replace(p, file=returned.where)
    name = names[0]
    shown = {c.name: returned.headings.get(c.name, (c.heading,))[0] for c in columns}
    column = next(c for c in columns if c.name == name)
    message, expected, values = p.message, p.expected, p.values
    if p.column == "kommunkod, insats":  # the key: the intervention's name, within the workbook
        message = "Samma insats står på flera rader."
        expected = "varje insats på en rad: ge dem olika namn eller slå ihop raderna"
        values = tuple(v.split(" / ", 1)[-1] for v in values)
    elif column.vocabulary:
        message, expected = _code_problem(p, column, codebook)
    else:
        message, expected = _headed(message, shown), _headed(expected, shown)
        values = tuple(_headed(v, shown) for v in values)
    return replace(
        p,
        file=returned.where,
        message=message,
        expected=expected,
        values=values,
        **_shown(returned, name),
    )


def _headed(text: str | None, shown: dict[str, str]) -> str | None:
    """Canonical column names with an underscore (``alder_fran``) replaced by headings."""
    if text is None:
        return None
    for name in sorted(shown, key=len, reverse=True):
        if "_" in name:
            text = text.replace(name, shown[name])
    return text


def _code_problem(p: Problem, column: SheetColumn, codebook: Codebook) -> tuple[str, str]:
    """The message and expectation of an unknown code in the labels the workbook shows."""
    labels = vocabulary(column.vocabulary or "", codebook)
    nearest = suggester([*labels.values(), *labels])
    hints = []
    for value in p.values:
        hit = nearest(value)
        if hit is not None:
            hints.append(f"'{value}' → '{labels.get(hit, hit)}'")
    if not p.values:  # a blank cell in a required column
        message = p.message
    else:
        message = "Värdet finns inte i listan." + (
            f" Menade du: {', '.join(hints)}?" if hints else ""
        )
    listed = (
        ", ".join(labels.values())
        if len(labels) <= _LISTED_VALUES
        else f"se listan på bladet Instruktioner ({len(labels)} värden)"
    )
    if column.multi:
        expected = f"värden ur listan åtskilda med semikolon (;): {listed}"
    else:
        expected = f"ett värde ur listan: {listed}"
    if column.spec.nullable:
        expected += ", eller tomt"
    return message, expected


# --- importing ------------------------------------------------------------------------------


@dataclass
class ImportedReturn:
    """What became of one valid returned workbook.

    ``path`` is the new round's CSV, or None when the rows equal the municipality's latest
    round (``previous``: a date, or ``insatser`` for the first mapping) and nothing was stored.
    """

    returned: ReturnedWorkbook
    municipality_name: str
    previous: str
    path: Path | None

    def lines(self) -> list[str]:
        """What the command line prints for the workbook."""
        r = self.returned
        lines = [
            f"{r.path.name}: {self.municipality_name} ({r.municipality_code}), "
            f"{r.rows} {'rad' if r.rows == 1 else 'rader'} lästa."
        ]
        if self.path is None:
            lines.append(
                f"  Oförändrad sedan senaste omgången ({_round_text(self.previous)}); "
                "ingenting sparades."
            )
        else:
            lines.append(f"  Ny kartläggningsomgång: {self.path}")
        if self.path is not None and r.prefilled_from and r.prefilled_from != self.previous:
            lines.append(
                f"  Obs: mallen förifylldes från {_round_text(r.prefilled_from)}, men kommunens "
                f"senaste omgång före denna är {_round_text(self.previous)}. Kontrollera att "
                "inga ändringar i den har gått förlorade."
            )
        if r.normalisations:
            lines.append("  Tolkat:")
            lines += [f"    - {n}" for n in r.normalisations]
        lines += [f"  Obs: {note}" for note in r.notes]
        return lines


def _round_text(round_id: str) -> str:
    return "den första kartläggningen" if round_id == BASE_ROUND else round_id


def import_returns(
    paths: Sequence[Path],
    data_dir: Path | None = None,
    codebook: Codebook | None = None,
    day: date | None = None,
) -> list[ImportedReturn]:
    """Read returned workbooks and store each as a new mapping round of its municipality.

    Every workbook is read and checked first; when any has a problem,
    :class:`~fouanalys.exceptions.MappingReturnError` lists every problem of every workbook
    and nothing is written. Two workbooks for one municipality are a problem too. A workbook
    whose typed rows equal the municipality's latest round (in any order) stores nothing.
    Otherwise :func:`fouanalys.ingest.rounds.next_round_path` for ``day`` (today by default)
    gets the rows (UTF-8 with BOM, ``;``, the columns of ``insatser`` with codebook ids) and
    a sidecar ``.json`` with the workbook's name, its sha256, the import time, the number of
    rows and the rewrites made; both written atomically, the sidecar first.
    """
    codebook = codebook or load_codebook()
    data_dir = require_data_dir(Path(data_dir) if data_dir is not None else default_data_dir())
    if data_dir.resolve() == EXAMPLE_DATA_DIR.resolve():
        raise FouanalysError(
            f"{data_dir} är projektets exempelmapp med syntetiska data, som inte ändras. "
            "Ange --data-dir med mappen för kommunernas underlag (eller en kopia av "
            "exempelmappen)."
        )
    if not paths:
        raise FouanalysError("Ange minst en returnerad arbetsbok (.xlsx).")
    returns = [read_return(Path(p), codebook) for p in paths]
    problems = [p for r in returns for p in r.problems] + _same_municipality(returns)
    if problems:
        raise MappingReturnError(problems)
    day = day or date.today()
    imported = []
    for r in returns:
        code = r.municipality_code or ""
        previous_rows, previous = latest_inventory(data_dir, code, codebook)
        typed = cast(pd.DataFrame, r.typed)  # set for every workbook without problems
        target = None
        if not _same_rows(typed, previous_rows):
            target = next_round_path(data_dir, code, day)
            _write_round(target, r, typed, previous, codebook)
            log.debug("Ny kartläggningsomgång för %s: %s", code, target)
        imported.append(ImportedReturn(r, codebook.municipality_name(code), previous, target))
    return imported


def _same_municipality(returns: list[ReturnedWorkbook]) -> list[Problem]:
    """A problem for each municipality that more than one workbook is for."""
    by_code: dict[str, list[str]] = {}
    for r in returns:
        if r.municipality_code:
            by_code.setdefault(r.municipality_code, []).append(r.path.name)
    return [
        Problem(
            file=", ".join(names),
            message=f"{len(names)} arbetsböcker gäller samma kommun ({code}).",
            expected="en arbetsbok per kommun och inläsning; läs in den andra för sig om båda "
            "ska bli omgångar",
        )
        for code, names in by_code.items()
        if len(names) > 1
    ]


def _comparable(frame: pd.DataFrame) -> list[tuple[str, ...]]:
    """A typed frame's rows as sorted tuples of text, blank as ""."""
    text = frame.astype("object").where(frame.notna(), "").astype("str")
    return sorted(text.itertuples(index=False, name=None))


def _same_rows(new: pd.DataFrame, previous: pd.DataFrame) -> bool:
    """Whether two typed inventories have the same rows, in any order."""
    columns = list(new.columns)
    if set(columns) != set(previous.columns):
        return False
    return _comparable(new[columns]) == _comparable(previous[columns])


def round_csv(typed: pd.DataFrame, codebook: Codebook) -> str:
    """A typed inventory as a round's CSV text: the columns of ``insatser`` by their canonical
    names, codebook ids, lists joined by ``;``, blank for no value; UTF-8 BOM, ``;``-separated
    (Excel in Sweden opens it as it is, and :func:`~fouanalys.ingest.readers.read_raw` reads
    it back to the same typed frame)."""
    names = [c.typed_name for c in input_columns("insatser", codebook)]
    return "\ufeff" + typed[names].to_csv(sep=";", index=False, lineterminator="\r\n")


def _write_round(
    target: Path, r: ReturnedWorkbook, typed: pd.DataFrame, previous: str, codebook: Codebook
) -> None:
    """The round's sidecar, then its CSV (a round counts once its CSV exists)."""
    sidecar = {
        "source_file": r.path.name,
        "source_sha256": r.sha256,
        "imported_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "municipality_code": r.municipality_code,
        "rows": r.rows,
        "template_version": r.template_version,
        "prefilled_from": r.prefilled_from,
        "previous_round": previous,
        "normalisations": [str(n) for n in r.normalisations],
        "notes": r.notes,
        "fouanalys_version": __version__,
    }
    text = json.dumps(sidecar, ensure_ascii=False, indent=2) + "\n"
    atomic_write(target.with_suffix(".json"), text)
    atomic_write(target, round_csv(typed, codebook))
