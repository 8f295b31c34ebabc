"""The basis for a municipality's action plan: one Excel workbook a working group fills in.

``reports/<kod>/handlingsplan_underlag.xlsx`` (:data:`fouanalys.config.ACTION_PLAN_FILE`) has
one row per prioritised factor × life stage of the gap table (``gaps.parquet``, all four
statuses), in its order: the factor, risk or protective, the life stage, the gap status in
chapter 03's word, the municipality's own ongoing interventions for that factor and stage (by
the gap map's rule, :func:`fouanalys.coverage.stage_covers`), and the approaches of the
knowledge base that fit the gap (``gap_approaches.parquet``), marked where the municipality
already runs one. Then empty columns for the group's decision, with drop-down lists where a
fixed choice helps. A second sheet says what the workbook is and how the rows were chosen.

:func:`action_plan_rows` makes the rows (a pure function of the processed tables);
:func:`write_action_plan` writes them; :func:`write_action_plans` does it for the build, for
every municipality whose inputs changed. The workbook holds words, not counts: no participant
number reaches it, so no small group can.
"""

from __future__ import annotations

import io
import json
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from fouanalys import __version__
from fouanalys.chapters import registry
from fouanalys.chapters.insatser.display import no_priority_sentence, priority_year
from fouanalys.codebook import Codebook, split_codes
from fouanalys.config import ACTION_PLAN_FILE, SYNTHETIC_BANNER
from fouanalys.coverage import ONGOING, PRESENT, stage_covers
from fouanalys.ingest.files import atomic_write
from fouanalys.knowledge import NAME_JOIN, split
from fouanalys.present.labels import (
    EFFECT_LABELS,
    GAP_STATUS_LABELS,
    KIND_SHORT,
    PRIORITISED,
    gap_rule,
    priority_rule,
    stage_label,
)
from fouanalys.present.text import UNKNOWN, lower_first

log = logging.getLogger("fouanalys")

# --- the rows -------------------------------------------------------------------------------

FACTOR = "Prioriterad faktor"
KIND = "Risk/skydd"
STAGE = "Livsskede"
STATUS = "Status"
TODAY = "Insatser i dag"
APPROACHES = "Arbetssätt som passar"
#: The columns made from the processed tables, in order.
FACT_COLUMNS = [FACTOR, KIND, STAGE, STATUS, TODAY, APPROACHES]
DECISION = "Beslut"
ACTION = "Åtgärd"
RESPONSIBLE = "Ansvarig"
SCHEDULE = "Tidplan"
FOLLOW_UP = "Uppföljning"
#: The columns the working group fills in, empty in the workbook.
DECISION_COLUMNS = [DECISION, ACTION, RESPONSIBLE, SCHEDULE, FOLLOW_UP]
COLUMNS = FACT_COLUMNS + DECISION_COLUMNS

#: The choices of the Beslut column's drop-down list.
DECISIONS = (
    "Starta nytt arbetssätt",
    "Förstärk befintlig insats",
    "Fortsätt som i dag",
    "Utred vidare",
    "Ingen åtgärd nu",
)
#: The choices of the Uppföljning column's drop-down list.
FOLLOW_UPS = ("Varje månad", "Varje kvartal", "Varje halvår", "Varje år")

#: *Insatser i dag* when no ongoing intervention lists the factor and covers the stage.
NO_INTERVENTIONS = "inga"
#: *Arbetssätt som passar* of a row with status *finns*: approaches are sought for gaps only.
NO_GAP = "ingen lucka (arbetssätt söks bara för luckor)"
#: *Arbetssätt som passar* of a gap that no approach of the knowledge base fits.
NO_APPROACH = "inget arbetssätt i kunskapsbasen passar"
#: Marks an approach the municipality already runs.
IN_USE = "används redan i"
#: Between two approaches in one cell (each on its own line).
APPROACH_JOIN = "\n"
#: Between two intervention names in one cell.
NAME_SEPARATOR = "; "


def _own_interventions(
    code: str, insatser: pd.DataFrame, codebook: Codebook
) -> dict[tuple[str, str], list[str]]:
    """The municipality's ongoing interventions per (factor, stage) they list and cover, by the
    gap map's rule; names in alphabetical order, each once."""
    rows = insatser.loc[(insatser["kommunkod"] == code) & (insatser["status"] == ONGOING)]
    rows = rows.dropna(subset=["alder_fran", "alder_till"])
    stages = codebook.life_stages
    covers = stage_covers(
        rows["alder_fran"].astype("int64").to_numpy(),
        rows["alder_till"].astype("int64").to_numpy(),
        np.array([s.age_from for s in stages]),
        np.array([s.age_to for s in stages]),
    )
    found: dict[tuple[str, str], set[str]] = {}
    for name, factors, covered in zip(rows["insats"], rows["faktorer"], covers, strict=True):
        for factor in split_codes(factors):
            for stage, yes in zip(stages, covered, strict=True):
                if yes:
                    found.setdefault((factor, stage.id), set()).add(str(name))
    return {key: sorted(names, key=str.casefold) for key, names in found.items()}


def approach_text(approach: Mapping, own_interventions: str, codebook: Codebook) -> str:
    """One approach as the workbook names it: "Mentorskap (förhindra, riskreducera; måttlig
    effekt)", followed by "– används redan i: X; Y" when the municipality runs it.

    ``approach``: a row of the knowledge base (``namn``, ``niva``, ``effekt``);
    ``own_interventions``: ``gap_approaches.own_interventions`` (names joined by ``;``)."""
    levels = codebook.labels("levels")
    level_text = ", ".join(lower_first(levels.get(v, v)) for v in split(approach["niva"]))
    effect = EFFECT_LABELS.get(str(approach["effekt"]), str(approach["effekt"]))
    text = f"{approach['namn']} ({level_text}; {effect})"
    names = [n.strip() for n in str(own_interventions or "").split(NAME_JOIN) if n.strip()]
    if names:
        text += f" – {IN_USE}: {NAME_SEPARATOR.join(names)}"
    return text


def action_plan_rows(
    code: str,
    gaps: pd.DataFrame,
    gap_approaches: pd.DataFrame,
    approaches: pd.DataFrame,
    insatser: pd.DataFrame,
    codebook: Codebook,
) -> pd.DataFrame:
    """The rows of one municipality's action-plan workbook, one per row of ``gaps``
    (:func:`fouanalys.coverage.gap_table`) of ``code``, all statuses, in the gap table's order.

    Columns (:data:`COLUMNS`, text): *Prioriterad faktor* (the codebook label), *Risk/skydd*,
    *Livsskede* (label with ages), *Status* (chapter 03's word), *Insatser i dag* (the
    municipality's ongoing interventions in ``insatser`` that list the factor and cover the
    stage, ``"; "``-joined, or "inga"), *Arbetssätt som passar* (the approaches of
    ``gap_approaches`` for the gap, each by :func:`approach_text` on its own line; for a row
    that is not a gap :data:`NO_GAP`, for a gap none fits :data:`NO_APPROACH`), and the
    empty decision columns :data:`DECISION_COLUMNS`. No rows when the municipality has no
    prioritised factor.
    """
    own = gaps.loc[gaps["municipality_code"] == code]
    running = _own_interventions(code, insatser, codebook)
    by_id = approaches.set_index("approach_id")
    fitting: dict[tuple[str, str], list[str]] = {}
    mine = gap_approaches.loc[gap_approaches["municipality_code"] == code]
    for row in mine.itertuples(index=False):
        text = approach_text(by_id.loc[row.approach_id], row.own_interventions, codebook)
        fitting.setdefault((row.factor, row.stage), []).append(text)
    records = []
    for row in own.itertuples(index=False):
        names = running.get((row.factor, row.stage), [])
        if row.status == PRESENT:
            fits = NO_GAP
        else:
            fits = APPROACH_JOIN.join(fitting.get((row.factor, row.stage), [])) or NO_APPROACH
        records.append(
            {
                FACTOR: codebook.index(row.factor).label,
                KIND: KIND_SHORT.get(row.kind, row.kind),
                STAGE: stage_label(row.stage, codebook),
                STATUS: GAP_STATUS_LABELS.get(row.status, row.status),
                TODAY: NAME_SEPARATOR.join(names) or NO_INTERVENTIONS,
                APPROACHES: fits,
                **dict.fromkeys(DECISION_COLUMNS, ""),
            }
        )
    return pd.DataFrame(records, columns=COLUMNS, dtype="str")


# --- the workbook ---------------------------------------------------------------------------

SHEET = "Handlingsplan"
ABOUT_SHEET = "Om underlaget"
LISTS_SHEET = "Listor"
#: Rows of the main sheet: title, instruction, header, then the data.
TITLE_ROW, NOTE_ROW, HEADER_ROW = 1, 2, 3
FIRST_ROW = HEADER_ROW + 1
#: Column widths in Excel's character units.
WIDTHS = {
    FACTOR: 30,
    KIND: 10,
    STAGE: 26,
    STATUS: 10,
    TODAY: 40,
    APPROACHES: 60,
    DECISION: 24,
    ACTION: 40,
    RESPONSIBLE: 20,
    SCHEDULE: 16,
    FOLLOW_UP: 16,
}
#: The points one wrapped line takes at the default font, for the row heights.
LINE_HEIGHT = 15
INSTRUCTION = (
    f"Fyll i {', '.join(DECISION_COLUMNS[:-1])} och {FOLLOW_UP} (de gula kolumnerna). "
    f"Bladet {ABOUT_SHEET} säger hur raderna valts."
)
#: Colours: the index page's dark blue over the facts; dark gold over, and pale yellow in, the
#: columns the group fills in.
HEADER_FILL, DECISION_HEADER_FILL, DECISION_FILL = "12355B", "8A6D00", "FFF7D6"
PROMPTS = {
    DECISION: "Välj i listan vad arbetsgruppen beslutar för raden.",
    ACTION: "Vad ska göras? Till exempel vilket arbetssätt som införs eller förstärks.",
    RESPONSIBLE: "Vem ansvarar: förvaltning, enhet eller person.",
    SCHEDULE: "När ska åtgärden vara på plats? Ett datum (ÅÅÅÅ-MM-DD) eller t.ex. HT 2027.",
    FOLLOW_UP: "Välj i listan hur ofta åtgärden följs upp.",
}


def _plain(markdown: str, lead_in: bool = True) -> str:
    """A method paragraph for a cell: Markdown emphasis removed ("**Luckor.** Varje" → "Luckor.
    Varje"), and with ``lead_in=False`` its bold opening too ("Varje")."""
    if not lead_in:
        markdown = re.sub(r"^\*\*[^*]+\*\*\s*", "", markdown)
    return re.sub(r"\*+", "", markdown)


def _height(values: Sequence[str], widths: Sequence[int]) -> float:
    """A row height (points) that shows every wrapped cell whole."""
    lines = 1
    for value, width in zip(values, widths, strict=True):
        parts = str(value).split("\n")
        lines = max(lines, sum(max(1, math.ceil(len(p) / (width * 0.95))) for p in parts))
    return LINE_HEIGHT * lines


def write_action_plan(
    rows: pd.DataFrame,
    path: Path | str,
    title: str,
    about: Mapping[str, str] | None = None,
    empty_text: str = "",
) -> Path:
    """Write ``rows`` (:func:`action_plan_rows`) as an Excel workbook at ``path``, atomically.

    Sheet *Handlingsplan*: ``title`` on the first row, a one-line instruction, then a bold
    header with fill and the rows; text wrapped, column widths set, panes frozen below the
    header and right of the first column, an autofilter, and for the decision columns input
    prompts and drop-down lists (Beslut and Uppföljning, warning on another value) read from
    the hidden sheet *Listor*. Sheet *Om underlaget*: ``about``, label and text per row. When
    ``rows`` is empty, the sheet holds one row with ``empty_text`` instead and no lists.
    Returns ``path``.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    path = Path(path)
    columns = list(rows.columns)
    last = get_column_letter(len(columns))
    widths = [WIDTHS.get(c, 20) for c in columns]
    wrap = Alignment(wrap_text=True, vertical="top")
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.cell(TITLE_ROW, 1, title).font = Font(bold=True, size=14)
    sheet.cell(NOTE_ROW, 1, INSTRUCTION).font = Font(italic=True)
    for j, (name, width) in enumerate(zip(columns, widths, strict=True), start=1):
        sheet.column_dimensions[get_column_letter(j)].width = width
        cell = sheet.cell(HEADER_ROW, j, name)
        cell.font = Font(bold=True, color="FFFFFF")
        fill = DECISION_HEADER_FILL if name in DECISION_COLUMNS else HEADER_FILL
        cell.fill = PatternFill("solid", start_color=fill, end_color=fill)
        cell.alignment = wrap
    decision_fill = PatternFill("solid", start_color=DECISION_FILL, end_color=DECISION_FILL)
    for i, values in enumerate(rows.itertuples(index=False), start=FIRST_ROW):
        for j, (name, value) in enumerate(zip(columns, values, strict=True), start=1):
            cell = sheet.cell(i, j, value if value != "" else None)
            cell.alignment = wrap
            if name in DECISION_COLUMNS:
                cell.fill = decision_fill
        sheet.row_dimensions[i].height = _height(list(values), widths)
    sheet.freeze_panes = sheet.cell(FIRST_ROW, 2).coordinate
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if rows.empty:
        sheet.cell(FIRST_ROW, 1, empty_text).alignment = wrap
        sheet.merge_cells(f"A{FIRST_ROW}:{last}{FIRST_ROW}")
        sheet.row_dimensions[FIRST_ROW].height = _height([empty_text], [sum(widths)])
    else:
        end = FIRST_ROW + len(rows) - 1
        sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}{end}"
        _decision_lists(book, sheet, columns, end)
    _about_sheet(book, about or {})
    buffer = io.BytesIO()
    book.save(buffer)
    return atomic_write(path, buffer.getvalue())


def _decision_lists(book, sheet, columns: list[str], end: int) -> None:
    """The hidden Listor sheet and the decision columns' prompts and drop-down lists, on the
    data rows up to ``end``."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    lists = book.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    choices = {DECISION: DECISIONS, FOLLOW_UP: FOLLOW_UPS}
    sources = {}
    for j, (name, values) in enumerate(choices.items(), start=1):
        letter = get_column_letter(j)
        lists.cell(1, j, name)
        for i, value in enumerate(values, start=2):
            lists.cell(i, j, value)
        sources[name] = f"{LISTS_SHEET}!${letter}$2:${letter}${len(values) + 1}"
    for j, name in enumerate(columns, start=1):
        if name not in PROMPTS:
            continue
        rule = DataValidation(
            type="list" if name in sources else None,
            formula1=sources.get(name),
            allow_blank=True,
            showInputMessage=True,
            promptTitle=name,
            prompt=PROMPTS[name],
        )
        if name in sources:
            rule.showErrorMessage = True
            rule.errorStyle = "warning"
            rule.errorTitle = name
            rule.error = "Värdet finns inte i listan. Behåll det ändå?"
        letter = get_column_letter(j)
        rule.add(f"{letter}{FIRST_ROW}:{letter}{end}")
        sheet.add_data_validation(rule)


def _about_sheet(book, about: Mapping[str, str]) -> None:
    """The sheet that says what the workbook is: one label and one text per row."""
    from openpyxl.styles import Alignment, Font

    wrap = Alignment(wrap_text=True, vertical="top")
    sheet = book.create_sheet(ABOUT_SHEET, 1)
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 100
    for i, (label, text) in enumerate(about.items(), start=1):
        sheet.cell(i, 1, label).font = Font(bold=True)
        sheet.cell(i, 1).alignment = wrap
        sheet.cell(i, 2, text).alignment = wrap
        sheet.row_dimensions[i].height = _height([text], [100])


def action_plan_about(
    code: str, year: int | None, codebook: Codebook, manifest: Mapping | None = None
) -> dict[str, str]:
    """What the intro sheet says: the municipality, survey year, data version, when and with
    what it was made, how the rows were chosen, what each status and column means, and what
    the sheet leaves out."""
    manifest = manifest or {}
    about = {}
    if manifest.get("synthetic"):
        about["OBS"] = SYNTHETIC_BANNER
    about |= {
        "Vad arket är": (
            "Underlag för kommunens handlingsplan: en rad per prioriterad faktor och livsskede, "
            "med det kommunen gör i dag och de arbetssätt som passar. Arbetsgruppen fyller i "
            f"kolumnerna {', '.join(DECISION_COLUMNS[:-1])} och {FOLLOW_UP} på bladet {SHEET}."
        ),
        "Kommun": f"{codebook.municipality_name(code)} ({code})",
        "Enkätår": str(year) if year is not None else UNKNOWN,
        "Dataversion": str(manifest.get("data_version") or "okänd"),
        "Skapat": f"{date.today().isoformat()} med fouanalys {__version__}",
        "Hur raderna valts": (
            f"En rad för varje {PRIORITISED} faktor och livsskede där faktorn kan påverkas: "
            f"samma kombinationer som luckorna i kapitlet {registry.title('03_insatser')} och "
            f"kapitlet {registry.title('04_kunskapslaget')}, i samma ordning (faktorerna efter "
            "rang, inom en faktor livsskedena från yngst till äldst). Alla fyra statusar är "
            "med, också finns."
        ),
        PRIORITISED.capitalize() + " faktor": _plain(priority_rule(), lead_in=False),
        STATUS: _plain(gap_rule(lead_in=False)),
        TODAY: (
            "Kommunens pågående insatser som enligt kartläggningen riktar sig mot faktorn och "
            f"täcker livsskedet; {NO_INTERVENTIONS} när ingen gör det."
        ),
        APPROACHES: (
            "Arbetssätt ur kunskapsbasen som riktar sig mot faktorn, är gjorda för åldrar som "
            "täcker livsskedet och inte visats öka brottsligheten, med nivå och effekt. "
            f"»{IN_USE}« anger kommunens pågående insatser som redan tillämpar arbetssättet. "
            "Arbetssätt söks bara för luckor (saknas, tunn, okänd)."
        ),
        "Sekretess": (
            "Arket innehåller inga svar från enskilda och inga antal deltagare, så inga små "
            "grupper kan utläsas."
        ),
    }
    return about


def _title(code: str, year: int | None, codebook: Codebook, synthetic: bool) -> str:
    when = f", enkätår {year}" if year is not None else ""
    banner = f" – {SYNTHETIC_BANNER}" if synthetic else ""
    return f"Underlag för handlingsplan – {codebook.municipality_name(code)}{when}{banner}"


# --- in the build ---------------------------------------------------------------------------

#: The processed tables the workbook reads, and whose rows: the municipality's or all.
READS = {
    "gaps": "own",
    "gap_approaches": "own",
    "insatser": "own",
    "priority_factors": "own",
    "approaches": "all",
}
#: The package code the workbook depends on beyond the processing code.
CODE_PARTS = ("build/actionplan.py", "present", "chapters/insatser", "chapters/registry.py")


def action_plan_key(code: str, manifest: Mapping) -> str | None:
    """The content key of one municipality's workbook: its code, the slices of the tables it
    reads, the data version and synthetic marker it prints; None when the manifest has no
    slice hashes (then it is always written)."""
    from fouanalys.ingest.catalog import code_hash, processing_hash, sha256_bytes

    slices = manifest.get("slices")
    if not slices:
        return None
    data = {
        table: slices.get(table, {}).get("all" if scope == "all" else code)
        for table, scope in READS.items()
    }
    payload = {
        "municipality": code,
        "code": processing_hash() + code_hash(CODE_PARTS),
        "data": data,
        "data_version": manifest.get("data_version"),
        "synthetic": bool(manifest.get("synthetic")),
    }
    return sha256_bytes(json.dumps(payload, sort_keys=True).encode())


def write_action_plans(
    codes: Iterable[str],
    processed_dir: Path,
    reports_dir: Path,
    manifest: Mapping,
    codebook: Codebook,
    force: bool = False,
) -> dict[str, Path]:
    """Write ``reports_dir/<kod>/handlingsplan_underlag.xlsx`` for every municipality in
    ``codes`` from the processed tables in ``processed_dir`` and their ``manifest``, except
    those whose workbook was made from the same inputs and code (:func:`action_plan_key`;
    ``force`` writes all). Returns the paths of the workbooks written now, by municipality
    code; the processed tables are read only when one is to be written."""
    from fouanalys.build.cache import read_key, write_key

    pending: dict[str, str | None] = {}
    for code in codes:
        path = Path(reports_dir) / code / ACTION_PLAN_FILE
        key = action_plan_key(code, manifest)
        record = None if force else read_key(path)
        if not (key and record and record.get("key") == key and path.is_file()):
            pending[code] = key
    if not pending:
        return {}
    from fouanalys.ingest.processing import load_table

    tables = {name: load_table(name, processed_dir) for name in READS}
    synthetic = bool(manifest.get("synthetic"))
    written: dict[str, Path] = {}
    for code, key in pending.items():
        path = Path(reports_dir) / code / ACTION_PLAN_FILE
        rows = action_plan_rows(
            code,
            tables["gaps"],
            tables["gap_approaches"],
            tables["approaches"],
            tables["insatser"],
            codebook,
        )
        year = priority_year(tables["priority_factors"], code)
        write_action_plan(
            rows,
            path,
            _title(code, year, codebook, synthetic),
            about=action_plan_about(code, year, codebook, manifest),
            empty_text=no_priority_sentence(code, year, codebook),
        )
        if key:
            write_key(path, {"key": key})
        written[code] = path
    log.info("Skrev %d underlag för handlingsplan", len(written))
    return written
