"""The mapping template: the Excel workbook a municipality fills in with its interventions.

:func:`write_template` writes one workbook for one municipality, prefilled with its latest
mapping round (:func:`fouanalys.ingest.rounds.latest_inventory`), laid out by
:mod:`fouanalys.ingest.mapping.columns`:

- *Instruktioner* (first): what to list, what each column means, every allowed value with its
  description, who to ask, and which round the rows come from;
- *Insatser*: one row per intervention, codes written as their Swedish labels, lists joined
  by ``"; "``; drop-down lists for the single-coded columns, whole-number checks (a warning
  only) for ages and participants, input prompts everywhere; the header frozen;
- *Listor* (hidden, protected): the lists the drop-downs read, the municipality code
  (``B2``, also the workbook name ``fouanalys_kommunkod``) and the layout's version.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from fouanalys import __version__
from fouanalys.codebook import Codebook, load_codebook, split_codes
from fouanalys.config import SYNTHETIC_BANNER, default_data_dir, is_synthetic, require_data_dir
from fouanalys.exceptions import FouanalysError
from fouanalys.ingest.files import atomic_write
from fouanalys.ingest.mapping.columns import (
    CODE_CELL,
    CODE_NAME,
    FACTS_ROWS,
    FIRST_LIST_COLUMN,
    INSTRUCTIONS_SHEET,
    LIST_SEPARATOR,
    LIST_TITLES,
    LISTS_SHEET,
    ROWS_SHEET,
    SPARE_ROWS,
    TEMPLATE_VERSION,
    VERSION_CELL,
    VERSION_NAME,
    SheetColumn,
    list_sections,
    or_list,
    sheet_columns,
    vocabulary,
)
from fouanalys.ingest.rounds import BASE_ROUND, latest_inventory

#: The index page's dark blue behind the white header text (as the action-plan workbook).
HEADER_FILL = "12355B"
#: Excel's limits on a data validation's prompt and error texts and their titles.
PROMPT_LIMIT, TITLE_LIMIT = 255, 32


@dataclass(frozen=True)
class TemplateSummary:
    """A written template: where, for which municipality, from which round, how many rows."""

    path: Path
    municipality_code: str
    municipality_name: str
    round_id: str
    rows: int

    def text(self) -> str:
        """What the command line prints."""
        source = (
            "den första kartläggningen"
            if self.round_id == BASE_ROUND
            else f"kartläggningen {self.round_id}"
        )
        return (
            f"Mall för {self.municipality_name} ({self.municipality_code}) med "
            f"{self.rows} insatser från {source}: {self.path}"
        )


def write_template(
    municipality: str,
    out: Path,
    data_dir: Path | None = None,
    codebook: Codebook | None = None,
    force: bool = False,
) -> TemplateSummary:
    """Write the mapping workbook for ``municipality`` (code or name) to ``out``, atomically,
    prefilled with its latest round in ``data_dir``. Refuses to replace an existing file
    unless ``force``, and to write into the data folder (it holds raw inputs only)."""
    codebook = codebook or load_codebook()
    code = codebook.resolve_municipality(municipality)
    data_dir = require_data_dir(Path(data_dir) if data_dir is not None else default_data_dir())
    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise FouanalysError(f"Mallen är en Excel-arbetsbok: ge {out} filändelsen .xlsx.")
    if out.resolve().parent == data_dir.resolve():
        raise FouanalysError(
            f"Skriv inte mallen i datamappen {data_dir}: den innehåller bara rådata. "
            "Välj en annan mapp för --out."
        )
    if out.exists() and not force:
        raise FouanalysError(
            f"{out} finns redan (kanske en ifylld arbetsbok). Välj ett annat filnamn, eller "
            "ange --force för att skriva över den."
        )
    rows, round_id = latest_inventory(data_dir, code, codebook)
    book = template_workbook(rows, code, round_id, codebook, synthetic=is_synthetic(data_dir))
    buffer = io.BytesIO()
    book.save(buffer)
    atomic_write(out, buffer.getvalue())
    return TemplateSummary(out, code, codebook.municipality_name(code), round_id, len(rows))


def template_workbook(
    inventory: pd.DataFrame,
    code: str,
    round_id: str,
    codebook: Codebook,
    synthetic: bool = False,
):
    """The template as an openpyxl workbook, the rows of ``inventory`` (typed as ``insatser``)
    prefilled."""
    from openpyxl import Workbook

    columns = sheet_columns(codebook)
    book = Workbook()
    instructions = book.active
    instructions.title = INSTRUCTIONS_SHEET
    _instructions(instructions, columns, code, round_id, codebook, synthetic)
    sheet = book.create_sheet(ROWS_SHEET)
    lists = book.create_sheet(LISTS_SHEET)
    sources = _lists(book, lists, columns, code, round_id, codebook)
    _rows(sheet, columns, inventory, codebook)
    _validations(sheet, columns, sources, last_row=1 + len(inventory) + SPARE_ROWS)
    return book


def cell_values(inventory: pd.DataFrame, codebook: Codebook) -> list[list[object]]:
    """The template's cells for a typed inventory, one list per row in the column order of
    :func:`~fouanalys.ingest.mapping.columns.sheet_columns`: codes as labels, lists of codes
    as labels joined by ``"; "``, numbers as ints, blank as None."""
    columns = sheet_columns(codebook)
    labels = {s: vocabulary(s, codebook) for s in list_sections(columns)}
    out = []
    for record in inventory.to_dict("records"):
        row: list[object] = []
        for col in columns:
            value = record.get(col.name)
            if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "":
                row.append(None)
            elif col.multi:
                words = labels[col.vocabulary or ""]
                row.append(LIST_SEPARATOR.join(words.get(c, c) for c in split_codes(value)))
            elif col.vocabulary:
                row.append(labels[col.vocabulary].get(str(value), str(value)))
            elif col.spec.kind == "int":
                row.append(int(value))
            else:
                row.append(str(value))
        out.append(row)
    return out


def _rows(sheet, columns: tuple[SheetColumn, ...], inventory: pd.DataFrame, codebook) -> None:
    """The header (bold, white on blue, wrapped, frozen) and the prefilled rows."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    fill = PatternFill("solid", start_color=HEADER_FILL, end_color=HEADER_FILL)
    for j, col in enumerate(columns, start=1):
        cell = sheet.cell(1, j, col.heading)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(j)].width = col.width
    sheet.row_dimensions[1].height = 32
    for i, values in enumerate(cell_values(inventory, codebook), start=2):
        for j, value in enumerate(values, start=1):
            if value is not None:
                sheet.cell(i, j, value)
    sheet.freeze_panes = "B2"


def _lists(book, lists, columns, code: str, round_id: str, codebook: Codebook) -> dict[str, str]:
    """Fill the hidden, protected sheet Listor: the facts (municipality code, version, …) in
    columns A–B and one list per vocabulary from column D. Returns each vocabulary's range."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.workbook.defined_name import DefinedName

    lists.cell(1, 1, "Uppgift").font = Font(bold=True)
    lists.cell(1, 2, "Värde").font = Font(bold=True)
    facts = {
        "Kommunkod": code,
        "Kommun": codebook.municipality_name(code),
        "Mallversion": TEMPLATE_VERSION,
        "Förifylld från": round_id,
        "Skapad": f"{date.today().isoformat()} med fouanalys {__version__}",
    }
    for label, row in FACTS_ROWS.items():
        lists.cell(row, 1, label)
        cell = lists.cell(row, 2, facts[label])
        cell.number_format = "@"  # text: the code keeps its leading zero
    lists.column_dimensions["A"].width = 16
    lists.column_dimensions["B"].width = 30
    sources = {}
    for j, section in enumerate(list_sections(columns), start=FIRST_LIST_COLUMN):
        letter = get_column_letter(j)
        labels = list(vocabulary(section, codebook).values())
        lists.cell(1, j, LIST_TITLES.get(section, section)).font = Font(bold=True)
        for i, label in enumerate(labels, start=2):
            lists.cell(i, j, label)
        lists.column_dimensions[letter].width = 30
        sources[section] = f"{LISTS_SHEET}!${letter}$2:${letter}${len(labels) + 1}"
    for name, cell in ((CODE_NAME, CODE_CELL), (VERSION_NAME, VERSION_CELL)):
        absolute = "$" + cell[0] + "$" + cell[1:]
        book.defined_names[name] = DefinedName(name, attr_text=f"{LISTS_SHEET}!{absolute}")
    lists.sheet_state = "hidden"
    lists.protection.sheet = True
    return sources


def _validations(sheet, columns: tuple[SheetColumn, ...], sources, last_row: int) -> None:
    """Each column's input prompt; drop-down lists (a value outside stops) for single-coded
    columns; whole numbers (outside a warning only) for ages and participants."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    for j, col in enumerate(columns, start=1):
        rule = DataValidation(
            allow_blank=True,
            showInputMessage=True,
            promptTitle=col.heading[:TITLE_LIMIT],
            prompt=col.help[:PROMPT_LIMIT],
        )
        if col.vocabulary and not col.multi:
            rule.type = "list"
            rule.formula1 = sources[col.vocabulary]
            rule.showErrorMessage = True
            rule.errorStyle = "stop"
            rule.errorTitle = col.heading[:TITLE_LIMIT]
            rule.error = (
                "Välj ett värde i listan."
                + (" Lämna tomt om inget passar." if col.spec.nullable else "")
            )[:PROMPT_LIMIT]
        elif col.spec.kind == "int":
            rule.type = "whole"
            low = int(col.spec.low or 0)
            if col.spec.high is not None:
                rule.operator, rule.formula1, rule.formula2 = (
                    "between",
                    str(low),
                    str(int(col.spec.high)),
                )
                bounds = f"mellan {low} och {int(col.spec.high)}"
            else:
                rule.operator, rule.formula1 = "greaterThanOrEqual", str(low)
                bounds = f"som är {low} eller större"
            rule.showErrorMessage = True
            rule.errorStyle = "warning"
            rule.errorTitle = col.heading[:TITLE_LIMIT]
            rule.error = (
                f"Skriv ett heltal {bounds}. Vill du ändå behålla det du skrev, välj Ja; "
                "det kontrolleras när arbetsboken läses in."
            )[:PROMPT_LIMIT]
        letter = get_column_letter(j)
        rule.add(f"{letter}2:{letter}{last_row}")
        sheet.add_data_validation(rule)


# --- the instructions -----------------------------------------------------------------------


def instruction_rows(
    columns: tuple[SheetColumn, ...],
    code: str,
    round_id: str,
    codebook: Codebook,
    synthetic: bool = False,
) -> list[tuple[str, str, str]]:
    """The sheet Instruktioner as (style, column A, column B) rows; style is ``title``,
    ``section``, ``row`` (a label and its text) or ``blank``."""
    name = codebook.municipality_name(code)
    source = (
        "den första kartläggningen"
        if round_id == BASE_ROUND
        else f"kommunens kartläggning {round_id}"
    )
    actors = ", ".join(codebook.labels("actors").values())
    levels = or_list(codebook.labels("levels").values(), "och")
    stages = ", ".join(
        f"{s.label.lower()} ({s.age_from}–{s.age_to} år)" for s in codebook.life_stages
    )
    answers = or_list(codebook.labels("quality_answers").values())
    rows: list[tuple[str, str, str]] = [("title", f"Kartläggning av insatser – {name}", "")]
    if synthetic:
        rows.append(("row", "OBS", SYNTHETIC_BANNER))
    rows += [
        ("row", "Kommun", f"{name} (kommunkod {code})"),
        ("row", "Förifylld med", f"{source}."),
        ("blank", "", ""),
        ("section", "Vad ska listas?", ""),
        (
            "row",
            "Insatser",
            (
                "Lista alla insatser i kommunen som förebygger att barn och unga dras in i "
                "kriminalitet: de som pågår, de som är planerade och de som har avslutats nyligen. "
                f"Tänk längs hela livsförloppet – {stages} – och på alla nivåer: {levels}. "
                "Ta med insatser oavsett vem som driver dem."
            ),
        ),
        (
            "row",
            "Vem kan svara?",
            (
                "Fråga dem som driver, beställer eller samverkar kring insatserna. Aktörerna i "
                f"kartläggningen är: {actors}."
            ),
        ),
        ("blank", "", ""),
        ("section", "Så fyller ni i", ""),
        (
            "row",
            "En rad är en insats",
            (
                f"Bladet {ROWS_SHEET} är redan ifyllt med det som angavs förra gången. Kontrollera "
                "varje rad och rätta det som har ändrats. Lägg till nya insatser på de tomma "
                "raderna under de ifyllda."
            ),
        ),
        (
            "row",
            "Ta bort en rad",
            (
                "Ta bort hela raden för en insats som inte längre finns: en borttagen rad betyder "
                "att insatsen inte finns längre. En insats som har avslutats nyligen står kvar med "
                "status Avslutad."
            ),
        ),
        (
            "row",
            "Listor",
            (
                "Där cellen har en pil väljer ni i listan. I kolumnerna med flera värden skrivs "
                "värdena åtskilda med semikolon (;), till exempel 'Skola; Polis'. Alla tillåtna "
                "värden står längre ned på det här bladet."
            ),
        ),
        (
            "row",
            "Ålder och antal",
            (
                "Skriv åldrar och antal deltagare som heltal. Vet ni bara ungefär hur många som "
                "deltar, skriv er bästa uppskattning som ett tal."
            ),
        ),
        (
            "row",
            "Kvalitetsfrågor",
            (
                f"De fem sista kolumnerna är frågor om insatsens kvalitet. Svara {answers}. "
                "Lämna tomt om frågan inte har besvarats."
            ),
        ),
        (
            "row",
            "Rör inte",
            (
                "Byt inte namn på bladen, ändra inte rubrikerna på rad 1 och sammanfoga inga "
                "celler. Spara som .xlsx och skicka tillbaka arbetsboken."
            ),
        ),
        ("blank", "", ""),
        ("section", "Kolumnerna", ""),
    ]
    rows += [("row", col.heading, col.help) for col in columns]
    rows += [("blank", "", ""), ("section", "Tillåtna värden", "")]
    rows.append(
        (
            "row",
            "Livsskeden",
            (
                "Åldrarna visar vilka livsskeden en insats når: "
                + ", ".join(f"{s.label} {s.age_from}–{s.age_to} år" for s in codebook.life_stages)
                + "."
            ),
        )
    )
    descriptions = _descriptions(codebook)
    for section in list_sections(columns):
        title = LIST_TITLES.get(section, section)
        rows.append(("subsection", title, ""))
        for key, label in vocabulary(section, codebook).items():
            rows.append(("row", label, descriptions.get((section, key), "")))
    rows += [("blank", "", ""), ("section", "Kvalitetsfrågorna", "")]
    rows += [("row", q.label, q.description or "") for q in codebook.quality_questions]
    return rows


#: What kind of index a factor is, as the instructions say it.
INDEX_KINDS = {"risk": "Riskfaktor", "protective": "Skyddsfaktor", "outcome": "Utfall"}


def _descriptions(codebook: Codebook) -> dict[tuple[str, str], str]:
    """(section, id) → what the instructions say about a value: the codebook's description,
    a factor's kind, a push/pull factor's kind, or that an actor is one of SSPF's core."""
    out = {}
    for section in ("levels", "targeting", "knowledge_levels", "statuses"):
        for entry in getattr(codebook, section):
            if entry.description:
                out[(section, entry.id)] = entry.description
    kinds = codebook.labels("push_pull_kinds")
    for entry in codebook.push_pull:
        out[("push_pull", entry.id)] = kinds.get(entry.kind, entry.kind)
    core = [a.label.lower() for a in codebook.actors if a.sspf]
    for actor in codebook.actors:
        if actor.sspf:
            out[("actors", actor.id)] = f"En av kärnaktörerna i SSPF ({', '.join(core)})."
    for index in codebook.indices:
        out[("indices", index.id)] = INDEX_KINDS[index.kind]
    return out


def _instructions(sheet, columns, code: str, round_id: str, codebook: Codebook, synthetic: bool):
    """Write :func:`instruction_rows` into the sheet, wrapped, with bold headings."""
    from openpyxl.styles import Alignment, Font

    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 100
    wrap = Alignment(wrap_text=True, vertical="top")
    fonts = {
        "title": Font(bold=True, size=14),
        "section": Font(bold=True, size=12),
        "subsection": Font(bold=True, italic=True),
        "row": Font(bold=True),
    }
    for i, (style, label, text) in enumerate(
        instruction_rows(columns, code, round_id, codebook, synthetic), start=1
    ):
        if style == "blank":
            continue
        cell = sheet.cell(i, 1, label)
        cell.font = fonts[style]
        cell.alignment = wrap
        if text:
            sheet.cell(i, 2, text).alignment = wrap
            sheet.row_dimensions[i].height = 15 * max(1, -(-len(text) // 95))
