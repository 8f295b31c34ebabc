"""The data gate: read every raw input, check it with Great Expectations, report plainly.

:func:`validate_data_dir` reads each input of a data directory (a missing or unreadable file
is one problem, and the other files are still checked), runs one Great Expectations suite per
file on a view of its raw text, and turns every failed expectation into a
:class:`~fouanalys.exceptions.Problem` naming the file, the column, the spreadsheet rows and the
offending values, in Swedish. It writes a self-contained HTML report and, only when nothing is
wrong, returns the typed frames.

Great Expectations is imported lazily (it takes seconds) and runs in an ephemeral context, so
it writes no files.
"""

from __future__ import annotations

import difflib
import html
import itertools
import logging
import os
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fouanalys.codebook import KOLADA_KPI_PATTERN, Codebook, load_codebook, normalize_key
from fouanalys.config import (
    SYNTHETIC_BANNER,
    default_data_dir,
    is_synthetic,
    shown_path,
    validation_report_dir,
)
from fouanalys.exceptions import DataValidationError, InputError, Problem, ValidationReport
from fouanalys.ingest.catalog import municipality_rows
from fouanalys.ingest.files import atomic_write
from fouanalys.ingest.glyphs import glyph_warnings
from fouanalys.ingest.readers import (
    FLOAT_PATTERN,
    INPUTS,
    INT_PATTERN,
    Column,
    RawTable,
    allowed_codes,
    find_input,
    fold_series,
    folder,
    input_columns,
    municipality_codes,
    numeric_view,
    read_raw,
    split_codes,
    to_typed,
)
from fouanalys.ingest.rounds import ROUNDS_FOLDER, MappingRound, combine_rounds, find_rounds

log = logging.getLogger("fouanalys")

#: At most this many row numbers are kept per problem (the total is kept in ``n_rows``).
MAX_ROWS_LISTED = 200
#: At most this many distinct offending values are kept per problem.
MAX_VALUES_LISTED = 5

_NUM = "__num"
_ROW = "rad"
_FOLD = "__fold"


# --- Great Expectations, imported once and quietly -----------------------------------------

_GX: Any = None
#: Numbers the suites and data sources of one context apart.
_RUNS = itertools.count()


def _gx() -> Any:
    """Import Great Expectations once, with analytics off and its logging quiet."""
    global _GX
    if _GX is None:
        os.environ["GX_ANALYTICS_ENABLED"] = "false"
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import great_expectations as gx
        # GX sets some of its loggers to INFO explicitly; quiet them all.
        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        for logger_name in list(logging.root.manager.loggerDict):
            if logger_name.startswith("great_expectations."):
                logging.getLogger(logger_name).setLevel(logging.ERROR)
        log.debug("Imported Great Expectations in %.1f s", time.perf_counter() - start)
        _GX = gx
    return _GX


def _context() -> Any:
    """A fresh ephemeral GX context (in memory only) with progress bars off."""
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return ctx


# --- building the checks --------------------------------------------------------------------


@dataclass
class Check:
    """One expectation and how to turn its failure into a Problem."""

    expectation: Any
    frame: str  # "main" or "lists"
    column: str | None
    message: str
    expected: str | None
    values: Callable[[list[Any], dict], list[str]] | None = None
    by_item: bool = False  # a check on the long item view: one Problem per item column
    #: For coded columns: the nearest valid spelling of an offending value, if any is close.
    suggest: Callable[[str], str | None] | None = None
    #: For a ``by_item`` check: what each item accepts and its nearest answer text, when these
    #: differ from the item's range (``FileChecks.item_expected``).
    item_expected: dict[str, str] | None = None
    item_suggest: dict[str, Callable[[str], str | None]] | None = None


@dataclass
class FileChecks:
    """The views of one raw file and the checks run on them.

    Survey items are checked on one view of their distinct answers (one row per item and
    answer it has, so a handful of expectations cover every item column, however many
    respondents there are); ``item_names``/``item_values`` map a position in that view back to
    the item column and the answer, whose rows :func:`_item_problems` then looks up.
    """

    name: str
    raw: RawTable
    views: dict[str, pd.DataFrame] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    item_names: np.ndarray | None = None
    item_values: np.ndarray | None = None
    item_expected: dict[str, str] = field(default_factory=dict)


def _range_text(col: Column) -> str:
    kind = "heltal" if col.kind == "int" else "tal"
    if col.low is not None and col.high is not None:
        return f"{kind} {col.low:g}–{col.high:g}"
    if col.low is not None:
        return f"{kind} ≥ {col.low:g}"
    if col.high is not None:
        return f"{kind} ≤ {col.high:g}"
    return kind


def _raw_values(frame: pd.DataFrame, column: str) -> Callable[[list[Any], dict], list[str]]:
    def pick(rows: list[Any], _result: dict) -> list[str]:
        return [str(v) for v in frame.loc[rows, column].tolist() if pd.notna(v)]

    return pick


def _listed_values(rows: list[Any], result: dict) -> list[str]:
    return [str(v) for v in result.get("unexpected_list", [])]


def suggester(candidates: Iterable[str]) -> Callable[[str], str | None]:
    """A function giving the valid spelling closest to a mistyped one (None if none is close).

    Matching is on folded spellings (case, spaces, å/ä/ö), so "forebyga" suggests "förebygga".
    """
    by_key: dict[str, str] = {}
    for candidate in candidates:
        by_key.setdefault(normalize_key(candidate), candidate)
    keys = list(by_key)

    def nearest(value: str) -> str | None:
        hits = difflib.get_close_matches(normalize_key(value), keys, n=1, cutoff=0.6)
        return by_key[hits[0]] if hits else None

    return nearest


def _with_suggestions(message: str, values: list[str], suggest: Callable) -> str:
    hints = [f"'{v}' → '{hit}'" for v in values if (hit := suggest(v)) and hit != v]
    return message + (" Menade du: " + ", ".join(hints) + "?" if hints else "")


def _municipality_list(codebook: Codebook, col: Column) -> str:
    known = ", ".join(f"{m.code} {m.name}" for m in codebook.municipalities)
    extra = ""
    if col.section == "kolada_areas":
        extra = f", {codebook.county.kolada_id} {codebook.county.name}, " + (
            f"{codebook.country.kolada_id} {codebook.country.name}"
        )
    return f"en kommunkod eller ett kommunnamn ur kodboken: {known}{extra}"


def build_checks(name: str, raw: RawTable, codebook: Codebook) -> FileChecks:
    """Views of one raw file (text, numbers, folded codes, exploded code lists) and its checks.

    The views keep the raw frame's index, i.e. spreadsheet row numbers, so GX's
    ``unexpected_index_list`` gives rows as the user sees them.
    """
    gxe = _gx().expectations
    spec = INPUTS[name]
    frame = raw.frame
    fc = FileChecks(name=name, raw=raw)
    main: dict[str, pd.Series] = {}
    lists: list[pd.Series] = []
    present: set[str] = set()

    fc.checks.append(
        Check(
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            "main",
            None,
            "Filen har inga datarader.",
            "minst en datarad",
        )
    )
    found = ", ".join(str(c) for c in frame.columns) or "(inga)"
    n_fixed = len(spec.columns)
    item_cols: list[Column] = []
    for position, col in enumerate(input_columns(name, codebook)):
        c = col.name
        if spec.survey_items and position >= n_fixed and c in frame.columns:
            item_cols.append(col)
            present.add(c)
            continue
        if c not in frame.columns:
            if col.required:
                fc.checks.append(
                    Check(
                        gxe.ExpectColumnToExist(column=c),
                        "main",
                        c,
                        f"Kolumnen '{c}' saknas. Kolumner som finns: {found}.",
                        f"en kolumn med namnet '{c}' på rad 1",
                    )
                )
            continue
        present.add(c)
        _column_checks(fc, col, frame, codebook, main, lists)

    if item_cols:
        _item_checks(fc, item_cols, codebook)
    if spec.survey_items:
        fc.problems.extend(_index_coverage(raw, codebook))
    _key_and_order_checks(fc, name, codebook, present)
    fc.views["main"] = pd.DataFrame(main, index=frame.index).rename_axis(None)
    if lists:
        # A long frame: one row per list item, in that list's column; the index (repeated)
        # is still the spreadsheet row.
        fc.views["lists"] = (
            pd.concat([s.to_frame() for s in lists], axis=0).astype("object").rename_axis(None)
        )
    return fc


def _column_checks(
    fc: FileChecks,
    col: Column,
    frame: pd.DataFrame,
    codebook: Codebook,
    main: dict[str, pd.Series],
    lists: list[pd.Series],
) -> None:
    """Add one present column's views (to ``main`` or ``lists``) and its checks to ``fc``."""
    gxe = _gx().expectations
    c = col.name
    values = frame[c]
    main[c] = values
    pick = _raw_values(frame, c)
    if not col.nullable:
        fc.checks.append(
            Check(
                gxe.ExpectColumnValuesToNotBeNull(column=c),
                "main",
                c,
                "Värde saknas.",
                "ett värde i varje rad",
            )
        )
    if col.kind in ("int", "float"):
        main[c + _NUM] = numeric_view(values, col.kind)
        fc.checks.extend(_number_checks(col, codebook, pick))
    elif col.kind in ("code", "municipality"):
        fold = folder(col, codebook)
        folded = fold_series(values, fold)
        main[c + _FOLD] = folded.where(folded.notna() | values.isna(), values)
        fc.checks.append(_code_check(col, codebook, pick))
    elif col.kind == "codes":
        fold = folder(col, codebook)
        exploded = values.map(split_codes, na_action="ignore").explode().dropna()
        exploded = exploded.map(lambda v, fold=fold: fold(v) or v).astype("object")
        lists.append(exploded.rename(c))
        allowed = allowed_codes(col.section or "", codebook)
        fc.checks.append(
            Check(
                gxe.ExpectColumnValuesToBeInSet(column=c, value_set=allowed),
                "lists",
                c,
                "Okänd kod i listan.",
                "koder åtskilda med semikolon (;), var och en av: " + ", ".join(allowed),
                _listed_values,
                suggest=suggester(allowed),
            )
        )


def _number_checks(col: Column, codebook: Codebook, pick: Callable) -> list[Check]:
    """Checks of a number column: the text is a number, a survey year, within its range."""
    gxe = _gx().expectations
    c = col.name
    regex = (INT_PATTERN if col.kind == "int" else FLOAT_PATTERN).pattern
    what = "ett heltal" if col.kind == "int" else "ett tal"
    checks = [
        Check(
            gxe.ExpectColumnValuesToMatchRegex(column=c, regex=regex),
            "main",
            c,
            f"Värdet är inte {what}.",
            _range_text(col)
            + (" (decimalkomma eller decimalpunkt går bra)" if col.kind == "float" else ""),
            pick,
        )
    ]
    if col.section == "survey_years":
        years = [float(y) for y in codebook.survey.years]
        checks.append(
            Check(
                gxe.ExpectColumnValuesToBeInSet(column=c + _NUM, value_set=years),
                "main",
                c,
                "Enkätåret finns inte i kodboken.",
                "ett av kodbokens enkätår: "
                + ", ".join(str(y) for y in codebook.survey.years)
                + " (ett nytt år läggs till under survey.years i kodboken)",
                pick,
            )
        )
    if col.low is not None or col.high is not None:
        checks.append(
            Check(
                gxe.ExpectColumnValuesToBeBetween(
                    column=c + _NUM, min_value=col.low, max_value=col.high
                ),
                "main",
                c,
                "Värdet ligger utanför det tillåtna intervallet.",
                _range_text(col),
                pick,
            )
        )
    return checks


def _code_check(col: Column, codebook: Codebook, pick: Callable) -> Check:
    """The check that a code or municipality column's folded values are known, with hints."""
    gxe = _gx().expectations
    if col.kind == "municipality":
        allowed = sorted(set(municipality_codes(col.section, codebook).values()))
        message, expected = "Okänd kommun.", _municipality_list(codebook, col)
        names = [m.name for m in codebook.municipalities]
        suggest = suggester([*names, *codebook.municipality_codes])
    else:
        allowed = allowed_codes(col.section or "", codebook)
        message = "Okänd kod."
        expected = "en av: " + ", ".join(allowed)
        suggest = suggester(allowed_codes(col.section or "", codebook))
        if col.section == "survey_sexes":  # "Vill inte svara" folds to "" (no category)
            allowed = [*allowed, ""]
    return Check(
        gxe.ExpectColumnValuesToBeInSet(column=col.name + _FOLD, value_set=allowed),
        "main",
        col.name,
        message,
        expected,
        pick,
        suggest=suggest,
    )


def _key_and_order_checks(fc: FileChecks, name: str, codebook: Codebook, present: set[str]) -> None:
    """Add the checks across columns: a unique key, and ordered pairs such as ages from ≤ to."""
    gxe = _gx().expectations
    spec = INPUTS[name]
    frame = fc.raw.frame
    by_name = {col.name: col for col in input_columns(name, codebook)}
    if spec.key and all(k in present for k in spec.key):
        key_cols = [_key_view(by_name[k]) for k in spec.key]
        fc.checks.append(
            Check(
                gxe.ExpectCompoundColumnsToBeUnique(column_list=key_cols),
                "main",
                ", ".join(spec.key),
                "Samma nyckel förekommer på flera rader (dubbletter).",
                f"varje kombination av ({', '.join(spec.key)}) på bara en rad",
                lambda rows, _r, keys=spec.key: [
                    " / ".join(str(frame.at[row, k]) for k in keys) for row in rows
                ],
            )
        )
    for low, high in spec.ordered_pairs:
        if low in present and high in present:
            fc.checks.append(
                Check(
                    gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                        column_A=high + _NUM,
                        column_B=low + _NUM,
                        or_equal=True,
                        ignore_row_if="either_value_is_missing",
                    ),
                    "main",
                    low,
                    f"'{low}' är större än '{high}'.",
                    f"{low} ≤ {high}",
                    lambda rows, _r, low=low, high=high: [
                        f"{low}={frame.at[row, low]} > {high}={frame.at[row, high]}" for row in rows
                    ],
                )
            )


def _index_coverage(raw: RawTable, codebook: Codebook) -> list[Problem]:
    """A problem for each index with fewer item columns in the file than it needs to score."""
    problems = []
    for index in codebook.indices:
        ids = [item.id for item in index.items]
        absent = [i for i in ids if i not in raw.frame.columns]
        if len(ids) - len(absent) < index.min_answered:
            problems.append(
                Problem(
                    file=raw.path.name,
                    column=", ".join(absent),
                    message=(
                        f"Indexet '{index.id}' ({index.label}) har bara "
                        f"{len(ids) - len(absent)} av sina {len(ids)} frågor i filen och kan "
                        f"inte beräknas; det kräver minst {index.min_answered} besvarade frågor."
                    ),
                    expected=f"kolumnerna {', '.join(ids)} (minst {index.min_answered} av dem)",
                )
            )
    return problems


def accepted_answers(col: Column, answers: list[str] | None, missing: list[str]) -> str:
    """What an item column accepts, for messages: its codes, its answer texts with their
    codes, and what counts as no answer."""
    text = _range_text(col)
    if answers:
        text += " eller ett av frågans svar: " + ", ".join(
            f"'{answer}' ({code})" for code, answer in enumerate(answers, start=1)
        )
    blanks = ", ".join(f"'{m}'" for m in missing)
    return text + f"; inget svar: tomt{', ' + blanks if blanks else ''} eller koderna 990–999"


def _item_checks(fc: FileChecks, items: list[Column], codebook: Codebook) -> None:
    """Checks of the survey item columns on one view of their distinct non-blank answers.

    The readers have recoded answer texts to codes, so a text left in an item column is one
    the codebook does not know for that item. Every respondent's answer is one of the
    distinct answers checked, so a problem's rows are those holding a failing answer.
    """
    gxe = _gx().expectations
    frame = fc.raw.frame
    distinct = [frame[c.name].dropna().unique() for c in items]
    sizes = [len(answers) for answers in distinct]
    values = np.concatenate([np.asarray(a, dtype=object) for a in distinct] or [[]])
    highs = np.repeat(np.array([c.high for c in items], dtype="float64"), sizes)
    fc.item_names = np.repeat(np.array([c.name for c in items], dtype=object), sizes)
    fc.item_values = values
    fc.item_expected = {c.name: _range_text(c) for c in items}
    fc.views["items"] = pd.DataFrame(
        {
            "value": pd.Series(values, dtype="str"),
            "value" + _NUM: numeric_view(pd.Series(values, dtype="object"), "int"),
            "high": highs,
        }
    )
    out_of_range = "Värdet ligger utanför det tillåtna intervallet."
    low = min(c.low for c in items if c.low is not None)
    answers = codebook.item_answers()
    accepts = {
        c.name: accepted_answers(c, answers.get(c.name), codebook.missing_answers) for c in items
    }
    nearest = {c.name: suggester(answers[c.name]) for c in items if c.name in answers}
    unknown = "Värdet är inte ett heltal och inte heller ett svar som kodboken har för frågan."
    fc.checks += [
        Check(
            gxe.ExpectColumnValuesToMatchRegex(column="value", regex=INT_PATTERN.pattern),
            "items", None, unknown, None, by_item=True, item_expected=accepts,
            item_suggest=nearest,
        ),
        Check(
            gxe.ExpectColumnValuesToBeBetween(column="value" + _NUM, min_value=low),
            "items", None, out_of_range, None, by_item=True,
        ),
        Check(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="high", column_B="value" + _NUM, or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
            "items", None, out_of_range, None, by_item=True,
        ),
    ]  # fmt: skip


def _key_view(col: Column) -> str:
    """The view column a key is compared on: numbers parsed, codes folded."""
    if col.kind in ("int", "float"):
        return col.name + _NUM
    if col.kind in ("code", "municipality"):
        return col.name + _FOLD
    return col.name


# --- running GX and reading its results -----------------------------------------------------


def _run(ctx: Any, fc: FileChecks) -> None:
    """Validate every view of one file with one suite each; append Problems to ``fc``."""
    gx = _gx()
    tag = f"{fc.name}_{next(_RUNS)}"  # one context checks several inventories (rounds)
    source = ctx.data_sources.add_pandas(name=f"fouanalys_{tag}")
    for view_name, view in fc.views.items():
        checks = [ch for ch in fc.checks if ch.frame == view_name]
        if not checks:
            continue
        for i, ch in enumerate(checks):
            ch.expectation.meta = {"check": i}
        suite = gx.ExpectationSuite(
            name=f"{tag}_{view_name}", expectations=[ch.expectation for ch in checks]
        )
        suite = ctx.suites.add(suite)
        asset = source.add_dataframe_asset(name=view_name)
        batch_def = asset.add_batch_definition_whole_dataframe(name=view_name)
        batch = batch_def.get_batch(batch_parameters={"dataframe": view})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outcome = batch.validate(suite, result_format="COMPLETE")
        for res in outcome.results:
            if res.success:
                continue
            ch = checks[int(res.expectation_config.meta["check"])]
            if ch.by_item and not (res.exception_info or {}).get("raised_exception"):
                fc.problems.extend(_item_problems(fc, ch, res))
            else:
                fc.problems.append(_problem(fc, ch, res))
    fc.problems = merge_problems(fc.problems)


def _item_problems(fc: FileChecks, ch: Check, res: Any) -> list[Problem]:
    """One Problem per item column from a check on the view of distinct answers: the rows
    holding a failing answer, in row order, items in the order of their first such row."""
    positions = [_row_number(i) for i in (res.result or {}).get("unexpected_index_list") or []]
    failing: dict[str, set[str]] = {}
    for pos in positions:
        failing.setdefault(str(fc.item_names[pos]), set()).add(fc.item_values[pos])
    frame = fc.raw.frame
    order = {item: i for i, item in enumerate(fc.item_expected)}  # the items' column order
    found = []
    for item, answers in failing.items():
        hit = frame[item].isin(answers).to_numpy()
        rows = frame.index.to_numpy()[hit]
        values = [str(v) for v in frame[item].to_numpy(dtype=object)[hit]]
        found.append((int(rows[0]), order[item], item, rows, values))
    problems = []
    for _first, _position, item, rows, values in sorted(found, key=lambda f: f[:2]):
        shown = list(dict.fromkeys(values))
        suggest = (ch.item_suggest or {}).get(item)
        message = ch.message
        if suggest is not None:
            message = _with_suggestions(message, shown[:MAX_VALUES_LISTED], suggest)
        problems.append(
            Problem(
                file=_file_name(fc.raw.path),
                column=item,
                message=message,
                rows=tuple(int(r) for r in rows),
                values=tuple(shown),
                expected=(ch.item_expected or fc.item_expected)[item],
            )
        )
    return problems


def merge_problems(problems: list[Problem]) -> list[Problem]:
    """Merge problems that differ only in rows and values (e.g. too low and too high).

    Rows are sorted and capped at MAX_ROWS_LISTED (total in ``n_rows``), values deduplicated
    and capped at MAX_VALUES_LISTED.
    """
    merged: dict[tuple, list[Problem]] = {}
    for p in problems:
        merged.setdefault((p.file, p.column, p.message, p.expected), []).append(p)
    out = []
    for (file, column, message, expected), group in merged.items():
        pairs: dict[int, str | None] = {}
        values: list[str] = []
        total = 0
        group.sort(key=lambda p: p.rows[0] if p.rows else 0)
        for p in group:
            total += p.n_rows if p.n_rows is not None else len(p.rows)
            for r in p.rows:
                pairs.setdefault(r, None)
            values += list(p.values)
        rows = sorted(pairs)
        total = max(total, len(rows)) if len(group) == 1 else len(rows)
        out.append(
            Problem(
                file=file,
                column=column,
                message=message,
                rows=tuple(rows[:MAX_ROWS_LISTED]),
                values=tuple(list(dict.fromkeys(values))[:MAX_VALUES_LISTED]),
                expected=expected,
                n_rows=total if total > MAX_ROWS_LISTED else None,
            )
        )
    return out


def _problem(fc: FileChecks, ch: Check, res: Any) -> Problem:
    info = res.exception_info or {}
    if info.get("raised_exception"):
        return Problem(
            file=_file_name(fc.raw.path),
            column=ch.column,
            message=f"Kontrollen kunde inte köras: {info.get('exception_message')}",
            expected=ch.expected,
        )
    result = res.result or {}
    index = result.get("unexpected_index_list") or []
    rows = list(dict.fromkeys(_row_number(i) for i in index))
    rows.sort()
    values: list[str] = []
    if ch.values is not None and rows:
        values = list(dict.fromkeys(ch.values(rows[:MAX_ROWS_LISTED], result)))
    total = len(rows)
    message = ch.message
    if ch.suggest is not None:
        message = _with_suggestions(message, values[:MAX_VALUES_LISTED], ch.suggest)
    return Problem(
        file=_file_name(fc.raw.path),
        column=ch.column,
        message=message,
        rows=tuple(rows[:MAX_ROWS_LISTED]),
        values=tuple(values[:MAX_VALUES_LISTED]),
        expected=ch.expected,
        n_rows=total if total > MAX_ROWS_LISTED else None,
    )


def _row_number(label: Any) -> int:
    if isinstance(label, dict):  # GX gives {index name: label, column: value} for a named index
        label = label.get(_ROW, label.get("index"))
    return int(label)


# --- the gate -------------------------------------------------------------------------------


def validate_raw(name: str, raw: RawTable, codebook: Codebook, ctx: Any = None) -> list[Problem]:
    """The problems of one raw table of input ``name``, by the checks :func:`validate_data_dir`
    runs on that input's file (not the checks across files): the gate for a table read from
    elsewhere, such as a returned mapping workbook. ``ctx`` is a GX context from
    :func:`_context` (a fresh one when None)."""
    fc = build_checks(name, raw, codebook)
    _run(ctx if ctx is not None else _context(), fc)
    return fc.problems


def validate_data_dir(
    data_dir: Path | None = None,
    codebook: Codebook | None = None,
    report_dir: Path | None = None,
) -> tuple[ValidationReport, dict[str, pd.DataFrame]]:
    """Read and validate every input in ``data_dir``; write the HTML report to ``report_dir``
    (by default :func:`fouanalys.config.validation_report_dir`: the build's page only for the
    default data).

    Returns the report (all problems in all files) and, when there are no problems, the typed
    frames by input name (``enkat``, ``insatser``, ``befolkning`` and, when present,
    ``kolada`` and ``elever``); otherwise an empty dict.
    """
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    codebook = codebook or load_codebook()
    report = ValidationReport(data_dir=str(data_dir))
    start = time.perf_counter()
    raws: dict[str, RawTable] = {}
    for name, spec in INPUTS.items():
        try:
            path = find_input(data_dir, name, required=spec.required)
            if path is None:
                continue
            raw = read_raw(path, name, codebook)
        except InputError as exc:
            report.problems.extend(exc.problems)
            continue
        raws[name] = raw
        report.files[name] = {
            "file": raw.path.name,
            "path": str(raw.path),
            "rows": len(raw.frame),
            "sha256": raw.sha256,
            "encoding": raw.encoding,
            "format": raw.format,
        }
    rounds = _read_rounds(Path(data_dir), codebook, report)
    read_s = time.perf_counter() - start

    if raws or rounds:
        ctx = _context()
        for name, raw in raws.items():
            report.problems.extend(validate_raw(name, raw, codebook, ctx))
        for mapping_round, raw in rounds:
            report.problems.extend(validate_raw("insatser", raw, codebook, ctx))
            report.problems.extend(_round_municipality_problems(mapping_round, raw, codebook))
        report.problems.extend(_cross_file_problems(raws, codebook, [raw for _, raw in rounds]))
        if "kolada" in raws:
            report.problems.extend(kolada_problems(raws["kolada"], codebook))
        report.warnings = _glyph_warnings(raws, rounds, codebook)
        del ctx  # its batches hold the views of every file
    log.info(
        "Validerade %s på %.1f s (inläsning %.1f s): %d problem",
        data_dir,
        time.perf_counter() - start,
        read_s,
        len(report.problems),
    )
    frames: dict[str, pd.DataFrame] = {}
    if report.ok:
        # Each raw table is let go as soon as it is typed: a large survey is not held twice.
        frames = {name: to_typed(raws.pop(name), name, codebook) for name in list(raws)}
        for name, frame in frames.items():
            report.files[name]["municipality_rows"] = municipality_rows(frame)
        if "insatser" in frames:
            typed = [(r, to_typed(raw, "insatser", codebook)) for r, raw in rounds]
            frames["insatser"], frames["insatser_rounds"] = combine_rounds(
                frames["insatser"], typed
            )
    write_html_report(report, Path(report_dir or validation_report_dir(data_dir)))
    return report, frames


def _glyph_warnings(
    raws: dict[str, RawTable], rounds: list[tuple[MappingRound, RawTable]], codebook: Codebook
) -> list[Problem]:
    """Characters the report font cannot draw in any input's or round's free text
    (:mod:`fouanalys.ingest.glyphs`), each also logged as a warning."""
    found = [
        w for name, raw in raws.items() for w in glyph_warnings(name, raw, codebook, raw.path.name)
    ]
    found += [
        w
        for mapping_round, raw in rounds
        for w in glyph_warnings("insatser", raw, codebook, mapping_round.relative_name)
    ]
    for warning in found:
        log.warning("Varning: %s", warning)
    return found


def _read_rounds(
    data_dir: Path, codebook: Codebook, report: ValidationReport
) -> list[tuple[MappingRound, RawTable]]:
    """Read every stored mapping round (:mod:`fouanalys.ingest.rounds`) as a raw inventory;
    record each in ``report.files`` and what cannot be read in ``report.problems``."""
    found, problems = find_rounds(data_dir)
    report.problems.extend(problems)
    known = set(codebook.municipality_codes)
    rounds = []
    for mapping_round in found:
        if mapping_round.municipality_code not in known:
            report.problems.append(
                Problem(
                    file=mapping_round.relative_name,
                    message=(
                        f"Mappen {mapping_round.municipality_code} är ingen kommunkod i "
                        "kodboken, så omgången kan inte knytas till någon kommun."
                    ),
                    expected="en mapp per kommun, namngiven med kommunkoden: "
                    + ", ".join(codebook.municipality_codes),
                )
            )
            continue
        try:
            raw = read_raw(mapping_round.path, "insatser", codebook)
        except InputError as exc:
            report.problems.extend(
                replace(p, file=mapping_round.relative_name) for p in exc.problems
            )
            continue
        rounds.append((mapping_round, raw))
        report.files[mapping_round.input_name] = {
            "file": mapping_round.relative_name,
            "path": str(mapping_round.path),
            "rows": len(raw.frame),
            "municipality_rows": {mapping_round.municipality_code: len(raw.frame)},
            "sha256": raw.sha256,
            "encoding": raw.encoding,
            "format": raw.format,
        }
    return rounds


def _round_municipality_problems(
    mapping_round: MappingRound, raw: RawTable, codebook: Codebook
) -> list[Problem]:
    """Rows of a round whose ``kommunkod`` is not the municipality its folder names."""
    if "kommunkod" not in raw.frame:
        return []
    column = next(c for c in INPUTS["insatser"].columns if c.name == "kommunkod")
    codes = fold_series(raw.frame["kommunkod"], folder(column, codebook))
    other = codes.notna() & (codes != mapping_round.municipality_code)
    if not other.any():
        return []
    rows = [int(r) for r in codes.index[other]]
    return [
        Problem(
            file=mapping_round.relative_name,
            column="kommunkod",
            message=(
                "Raden hör till en annan kommun än mappen den ligger i "
                f"({mapping_round.municipality_code})."
            ),
            rows=tuple(rows[:MAX_ROWS_LISTED]),
            values=tuple(dict.fromkeys(raw.frame.loc[other, "kommunkod"].astype(str)))[
                :MAX_VALUES_LISTED
            ],
            expected=f"kommunkod {mapping_round.municipality_code} på varje rad",
            n_rows=len(rows) if len(rows) > MAX_ROWS_LISTED else None,
        )
    ]


def _cross_file_problems(
    raws: dict[str, RawTable], codebook: Codebook, rounds: list[RawTable] = ()
) -> list[Problem]:
    """Problems between files: interventions (in ``insatser`` or a stored round) in a
    municipality with no population rows, and more survey respondents than enrolled pupils."""
    inventories = [raws["insatser"]] if "insatser" in raws else []
    return [
        problem
        for inventory in [*inventories, *rounds]
        for problem in _population_problems(inventory, raws.get("befolkning"), codebook)
    ] + _enrolment_problems(raws, codebook)


def _population_problems(
    inventory: RawTable, population_raw: RawTable | None, codebook: Codebook
) -> list[Problem]:
    """Interventions in a municipality that the population file has no rows for."""
    if population_raw is None:
        return []
    column = next(c for c in INPUTS["insatser"].columns if c.name == "kommunkod")
    fold = folder(column, codebook)
    insatser, befolkning = inventory.frame, population_raw.frame
    if "kommunkod" not in insatser or "kommunkod" not in befolkning:
        return []
    codes = fold_series(insatser["kommunkod"], fold)
    populated = set(fold_series(befolkning["kommunkod"], fold).dropna())
    lacking = codes.notna() & ~codes.isin(populated)
    if not lacking.any():
        return []
    rows = [int(r) for r in codes.index[lacking]]
    names = ", ".join(codebook.municipality_name(c) for c in dict.fromkeys(codes[lacking]))
    values = dict.fromkeys(str(v) for v in insatser.loc[lacking, "kommunkod"])
    source = _file_name(inventory.path)
    population = population_raw.path.name
    return [
        Problem(
            file=source,
            column="kommunkod",
            message=(
                f"Kommunen har insatser men inga rader i {population} ({names}), "
                "så räckvidden per 1 000 invånare kan inte beräknas."
            ),
            rows=tuple(rows[:MAX_ROWS_LISTED]),
            values=tuple(values)[:MAX_VALUES_LISTED],
            expected=f"befolkningsrader (ålder 0–25) för varje kommun i {source}",
            n_rows=len(rows) if len(rows) > MAX_ROWS_LISTED else None,
        )
    ]


def _file_name(path: Path) -> str:
    """A raw file as problems name it: its name, or ``kartlaggning/<kod>/<datum>.csv`` for a
    stored mapping round."""
    path = Path(path)
    if path.parent.parent.name == ROUNDS_FOLDER:
        return f"{ROUNDS_FOLDER}/{path.parent.name}/{path.name}"
    return path.name


def _folded_keys(
    raw: RawTable, name: str, columns: dict[str, str], codebook: Codebook
) -> pd.DataFrame | None:
    """The rows of a raw file as (kommunkod, ar, arskurs) with codes folded and the year read
    as a number; ``columns`` maps those three to the file's column names. Rows whose key does
    not fold (reported by the file's own checks) are left out. None when a column is absent."""
    frame = raw.frame
    if not all(c in frame.columns for c in columns.values()):
        return None
    specs = {col.name: col for col in input_columns(name, codebook)}
    municipality, year, grade = (columns[k] for k in ("kommunkod", "ar", "arskurs"))
    keys = pd.DataFrame(
        {
            "kommunkod": fold_series(frame[municipality], folder(specs[municipality], codebook)),
            "ar": numeric_view(frame[year], "int"),
            "arskurs": fold_series(frame[grade], folder(specs[grade], codebook)),
        },
        index=frame.index,
    )
    return keys.dropna()


def _enrolment_problems(raws: dict[str, RawTable], codebook: Codebook) -> list[Problem]:
    """Enrolment rows with fewer pupils than the survey has respondents for the same
    municipality, year and grade: one problem naming both files, the rows and the numbers."""
    if "enkat" not in raws or "elever" not in raws:
        return []
    survey = _folded_keys(
        raws["enkat"], "enkat", {"kommunkod": "Hemkommun", "ar": "ar", "arskurs": "ARSKURS"},
        codebook,
    )  # fmt: skip
    enrolment = _folded_keys(
        raws["elever"], "elever", {"kommunkod": "kommunkod", "ar": "ar", "arskurs": "arskurs"},
        codebook,
    )  # fmt: skip
    if survey is None or enrolment is None:
        return []
    respondents = survey.groupby(["kommunkod", "ar", "arskurs"]).size().rename("svarande")
    enrolled = numeric_view(raws["elever"].frame["antal"], "int").reindex(enrolment.index)
    cells = enrolment.assign(elever=enrolled).join(respondents, on=["kommunkod", "ar", "arskurs"])
    over = cells.loc[cells["elever"].notna() & (cells["svarande"] > cells["elever"])]
    if over.empty:
        return []
    source, survey_file = raws["elever"].path.name, raws["enkat"].path.name
    rows = [int(r) for r in over.index]
    values = [
        f"{codebook.municipality_name(c)} {int(y)} {g}: svarande {int(n)}, elever {int(e)}"
        for c, y, g, n, e in zip(
            over["kommunkod"], over["ar"], over["arskurs"], over["svarande"], over["elever"],
            strict=True,
        )
    ]  # fmt: skip
    return [
        Problem(
            file=source,
            column="antal",
            message=(
                f"Fler svarande i {survey_file} än inskrivna elever i {source} för samma kommun, "
                "år och årskurs. Gäller antalet elever rätt år och årskurs, och räknar båda "
                "filerna eleverna efter hemkommun?"
            ),
            rows=tuple(rows[:MAX_ROWS_LISTED]),
            values=tuple(values[:MAX_VALUES_LISTED]),
            expected=(
                f"minst lika många inskrivna elever (antal) som svarande i {survey_file} "
                "för kommunen, året och årskursen"
            ),
            n_rows=len(rows) if len(rows) > MAX_ROWS_LISTED else None,
        )
    ]


def kolada_problems(raw: RawTable, codebook: Codebook) -> list[Problem]:
    """Checks of kolada.csv that need the codebook's KPI units, beyond the column checks.

    - ``kpi`` must look like a Kolada id;
    - ``status`` must be blank or one of Kolada's status codes; a number there means a value
      slid into the wrong column (a decimal comma in a comma-separated file);
    - a value of a KPI the codebook describes must lie within its unit's range (a share
      0–100, a rate per 1 000 up to 1 000, …) and within the KPI's ``plausible`` range, so a
      value given in another unit (per 1 000 where per 100 000 is meant) is caught.
    """
    frame = raw.frame
    problems: list[Problem] = []
    kpi = frame["kpi"].astype("str").str.strip() if "kpi" in frame else None
    if kpi is not None:
        bad = frame["kpi"].notna() & ~kpi.str.fullmatch(KOLADA_KPI_PATTERN).fillna(False)
        if bad.any():
            problems.append(
                _mask_problem(
                    raw,
                    "kpi",
                    bad,
                    "Ser inte ut som ett nyckeltals-id i Kolada.",
                    "en stor bokstav och fem siffror, t.ex. N15428",
                )
            )
    if "status" in frame:
        problems += _kolada_status_problems(raw, codebook)
    if kpi is not None and "value" in frame and codebook.kolada_kpis:
        problems += _kolada_value_problems(raw, codebook, kpi)
    return problems


def _mask_problem(
    raw: RawTable, column: str, mask: pd.Series, message: str, expected: str
) -> Problem:
    """A Problem for the rows where ``mask`` holds, listing their values in ``column``."""
    frame = raw.frame
    rows = [int(r) for r in frame.index[mask]]
    values = dict.fromkeys(str(v) for v in frame.loc[mask, column])
    return Problem(
        file=raw.path.name,
        column=column,
        message=message,
        rows=tuple(rows[:MAX_ROWS_LISTED]),
        values=tuple(values)[:MAX_VALUES_LISTED],
        expected=expected,
        n_rows=len(rows) if len(rows) > MAX_ROWS_LISTED else None,
    )


def _kolada_status_problems(raw: RawTable, codebook: Codebook) -> list[Problem]:
    """Unknown statuses in kolada.csv; a number there is reported as a value in the wrong column."""
    frame = raw.frame
    known = {s.id for s in codebook.kolada_statuses}
    expected = "tomt eller " + ", ".join(sorted(known))
    status = frame["status"].astype("str").str.strip()
    unknown = frame["status"].notna() & ~status.isin(known)
    numeric = unknown & numeric_view(frame["status"], "float").notna()
    problems: list[Problem] = []
    if numeric.any():
        problems.append(
            _mask_problem(
                raw,
                "status",
                numeric,
                "Ett tal i statuskolumnen: värdet har troligen hamnat i fel kolumn (till "
                "exempel decimalkomma i en kommaseparerad fil).",
                expected,
            )
        )
    if (unknown & ~numeric).any():
        problems.append(
            _mask_problem(raw, "status", unknown & ~numeric, "Okänd status från Kolada.", expected)
        )
    return problems


def _kolada_value_problems(raw: RawTable, codebook: Codebook, kpi: pd.Series) -> list[Problem]:
    """Values of the codebook's KPIs outside their unit's range or their ``plausible`` range."""
    values = numeric_view(raw.frame["value"], "float")
    problems: list[Problem] = []
    for entry in codebook.kolada_kpis:
        unit = codebook.kolada_unit(entry.unit)
        low, high = unit.low, unit.high
        within = values.notna() & (kpi == entry.id)
        if not within.any():
            continue
        outside = within & (
            (values < low if low is not None else False)
            | (values > high if high is not None else False)
        )
        span = f"{_fmt(low)}–{_fmt(high)}" if high is not None else f"minst {_fmt(low)}"
        if outside.any():
            problems.append(
                _mask_problem(
                    raw,
                    "value",
                    outside,
                    f"Värdet ryms inte i enheten för {entry.id} ({entry.label}), som är "
                    f"{unit.label}. Står värdet i fel enhet eller i fel kolumn?",
                    f"{span} ({unit.label})",
                )
            )
        if entry.plausible is not None:
            p_low, p_high = entry.plausible
            odd = within & ~outside & ((values < p_low) | (values > p_high))
            if odd.any():
                problems.append(
                    _mask_problem(
                        raw,
                        "value",
                        odd,
                        f"Värdet är orimligt för {entry.id} ({entry.label}) i enheten "
                        f"{unit.label}: det ser ut att vara angivet i en annan enhet.",
                        f"{_fmt(p_low)}–{_fmt(p_high)} ({unit.label})",
                    )
                )
    return problems


def _fmt(number: float | None) -> str:
    return f"{number:,.0f}".replace(",", "\u202f") if number is not None else ""


def check_data_dir(
    data_dir: Path | None = None,
    codebook: Codebook | None = None,
    report_dir: Path | None = None,
) -> dict[str, pd.DataFrame]:
    """Validate ``data_dir`` and return its typed frames; raise DataValidationError if invalid."""
    report_dir = Path(report_dir or validation_report_dir(data_dir))
    report, frames = validate_data_dir(data_dir, codebook=codebook, report_dir=report_dir)
    if not report.ok:
        raise DataValidationError(report.problems, report_path=str(report_dir / "index.html"))
    return frames


# --- the HTML report ------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:72rem;
color:#1a1a1a;padding:0 1rem;line-height:1.45}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}code{font-size:.85rem;word-break:break-all}
.ok{color:#1b6e20;font-weight:600}.fel{color:#a4161a;font-weight:600}
.status{padding:.8rem 1rem;border-radius:.4rem;margin:1rem 0}
.status.ok{background:#e6f4e7}.status.fel{background:#fbe7e8}
.banner{background:#fff3cd;border:1px solid #e0c060;padding:.5rem 1rem;font-weight:600}
"""


def render_html(report: ValidationReport) -> str:
    """The validation report as one self-contained Swedish HTML page (no external resources)."""
    e = html.escape
    by_file: dict[str, int] = {}
    for p in report.problems:
        by_file[p.file] = by_file.get(p.file, 0) + 1
    parts = [
        "<!DOCTYPE html>",
        '<html lang="sv"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Validering av indata</title>",
        f"<style>{_CSS}</style></head><body>",
    ]
    if report.data_dir and is_synthetic(Path(report.data_dir)):
        parts.append(f'<p class="banner">{e(SYNTHETIC_BANNER)}</p>')
    parts.append("<h1>Validering av indata</h1>")
    parts.append(
        f"<p>Datamapp: <code>{e(shown_path(report.data_dir))}</code><br>"
        f"Kontrollerad: {e(datetime.now().isoformat(timespec='seconds'))}</p>"
    )
    if report.ok:
        n = len(report.warnings)
        warned = f" ({n} {'varning' if n == 1 else 'varningar'}, se nedan)" if n else ""
        parts.append(f'<p class="status ok">Godkänd: inga problem hittades i indata{warned}.</p>')
    else:
        parts.append(
            f'<p class="status fel">Underkänd: {len(report.problems)} problem hittades. '
            "Rätta filerna och kör valideringen igen.</p>"
        )
    parts.append(
        "<h2>Filer</h2><table><thead><tr><th>Fil</th><th>Format</th>"
        "<th>Teckenkodning</th><th>Rader</th><th>SHA-256</th><th>Resultat</th>"
        "</tr></thead><tbody>"
    )
    listed = set()
    for meta in report.files.values():
        n = by_file.get(meta["file"], 0)
        listed.add(meta["file"])
        outcome = (
            '<span class="ok">godkänd</span>' if n == 0 else f'<span class="fel">{n} problem</span>'
        )
        parts.append(
            f"<tr><td>{e(str(meta['file']))}</td><td>{e(str(meta.get('format') or ''))}</td>"
            f"<td>{e(str(meta.get('encoding') or '–'))}</td><td>{e(str(meta['rows']))}</td>"
            f"<td><code>{e(str(meta['sha256']))}</code></td><td>{outcome}</td></tr>"
        )
    for file, n in by_file.items():
        if file not in listed:
            parts.append(
                f"<tr><td>{e(file)}</td><td>–</td><td>–</td><td>–</td><td>–</td>"
                f'<td><span class="fel">kunde inte läsas ({n} problem)</span></td></tr>'
            )
    parts.append("</tbody></table>")
    if report.problems:
        parts.append(_problem_table("Problem", report.problems))
    if report.warnings:
        parts.append(
            _problem_table(
                "Varningar",
                report.warnings,
                "Varningarna stoppar inte bygget, men syns i rapporterna: rätta dem om du kan.",
            )
        )
    spss = [m["file"] for m in report.files.values() if m.get("format") == "sav"]
    spss_note = (
        f" I SPSS-filer ({', '.join(spss)}) är rad 2 det första fallet: rad n är fall n − 1 i SPSS."
        if spss
        else ""
    )
    parts.append(
        "<p><small>Radnummer är radnummer som i ett kalkylprogram: rubrikraden är rad 1."
        f"{e(spss_note)}</small></p></body></html>"
    )
    return "\n".join(parts)


def _problem_table(heading: str, problems: list[Problem], note: str = "") -> str:
    """One section of the page: a heading, an optional note and a table of ``problems``."""
    e = html.escape
    parts = [f"<h2>{e(heading)}</h2>"] + ([f"<p>{e(note)}</p>"] if note else [])
    parts.append(
        "<table><thead><tr><th>Fil</th><th>Kolumn</th><th>Rader</th>"
        "<th>Problem</th><th>Värden</th><th>Förväntat</th></tr></thead><tbody>"
    )
    for p in problems:
        total = p.n_rows if p.n_rows is not None else len(p.rows)
        shown = ", ".join(str(r) for r in p.rows[:30])
        if total > 30:
            shown += f" … ({total} rader)"
        values = ", ".join(repr(v) for v in p.values)
        parts.append(
            f"<tr><td>{e(p.file)}</td><td>{e(p.column or '')}</td><td>{e(shown)}</td>"
            f"<td>{e(p.message)}</td><td>{e(values)}</td><td>{e(p.expected or '')}</td></tr>"
        )
    parts.append("</tbody></table>")
    return "".join(parts)


def write_html_report(report: ValidationReport, report_dir: Path) -> Path:
    """Write ``report_dir/index.html`` atomically (:func:`fouanalys.ingest.files.atomic_write`)."""
    return atomic_write(Path(report_dir) / "index.html", render_html(report))
