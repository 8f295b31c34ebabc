"""The mapping workbook's layout, in one place: its sheets, its columns with their Swedish
headings and help texts, the lists, and where the municipality code is kept.

:mod:`fouanalys.ingest.mapping.template` writes a workbook by these definitions and
:mod:`fouanalys.ingest.mapping.returns` reads a returned one by the same definitions, so a
heading changed here changes both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fouanalys.codebook import Codebook, normalize_key
from fouanalys.exceptions import CodebookError
from fouanalys.ingest.readers import APPROACHES, Column, approach_labels, input_columns

#: The layout's version, kept in every workbook (Listor and the name ``fouanalys_mallversion``).
TEMPLATE_VERSION = "1"

INSTRUCTIONS_SHEET = "Instruktioner"
ROWS_SHEET = "Insatser"
LISTS_SHEET = "Listor"

#: Workbook-level names of the cells on Listor that hold the municipality code and the version.
CODE_NAME = "fouanalys_kommunkod"
VERSION_NAME = "fouanalys_mallversion"
#: The facts on Listor: label in column A, value in column B, on these rows (the header row 1
#: reads "Uppgift", "Värde"). The municipality code is in B2, the layout's version in B4.
FACTS_ROWS = {"Kommunkod": 2, "Kommun": 3, "Mallversion": 4, "Förifylld från": 5, "Skapad": 6}
CODE_CELL = "B2"
VERSION_CELL = "B4"
PREFILL_CELL = "B5"
#: The first column on Listor that holds a list (D; column C is left empty).
FIRST_LIST_COLUMN = 4

#: How the labels of a multi-coded cell are joined in the template (``;`` separates on reading).
LIST_SEPARATOR = "; "
#: Rows below the prefilled ones that still get the drop-down lists and number checks.
SPARE_ROWS = 500

#: Each list's title on Listor and in the instructions, by vocabulary (codebook section).
LIST_TITLES = {
    "actors": "Aktörer (Huvudman och Samverkan)",
    "levels": "Nivå",
    "targeting": "Inriktning",
    "indices": "Risk- och skyddsfaktorer",
    "push_pull": "Push- och pullfaktorer",
    "knowledge_levels": "Kunskapsläge",
    APPROACHES: "Metod",
    "statuses": "Status",
    "quality_answers": "Svar på kvalitetsfrågorna",
}

_LIST_HINT = (
    "Flera värden skrivs åtskilda med semikolon (;). Tillåtna värden: bladet Instruktioner."
)

#: Heading, column width and help (the instructions' and the cell's input prompt, at most 255
#: characters) of each inventory column but ``kommunkod`` and the quality questions, whose
#: headings and help come from the codebook. ``{low}``/``{high}`` are the column's range and
#: ``{values}`` its list's labels ("förebygga, förhindra eller riskreducera").
_FIXED: dict[str, tuple[str, int, str]] = {
    "insats": (
        "Insats",
        40,
        "Insatsens namn, som den kallas i kommunen. En rad är en insats.",
    ),
    "huvudman": (
        "Huvudman",
        20,
        "Vem som driver och ansvarar för insatsen. Välj i listan.",
    ),
    "niva": (
        "Nivå",
        14,
        "Insatsens nivå: {values}. Välj i listan; bladet Instruktioner förklarar nivåerna.",
    ),
    "inriktning": (
        "Inriktning",
        14,
        "Vilka insatsen riktar sig till: {values}. Välj i listan; bladet Instruktioner "
        "förklarar inriktningarna.",
    ),
    "alder_fran": (
        "Ålder från",
        10,
        "Den yngsta ålder insatsen riktar sig till, som ett heltal ({low}–{high}).",
    ),
    "alder_till": (
        "Ålder till",
        10,
        "Den äldsta ålder insatsen riktar sig till, som ett heltal ({low}–{high}), minst lika "
        "med Ålder från.",
    ),
    "faktorer": (
        "Risk- och skyddsfaktorer",
        36,
        "De risk- och skyddsfaktorer insatsen vill påverka. " + _LIST_HINT,
    ),
    "push_pull": (
        "Push- och pullfaktorer",
        30,
        "De push- och pullfaktorer insatsen riktar sig mot, om några (får lämnas tomt). "
        + _LIST_HINT,
    ),
    "kunskapslage": (
        "Kunskapsläge",
        16,
        "Hur väl insatsens effekt är belagd. Välj i listan.",
    ),
    "metod": (
        "Metod",
        30,
        "Det arbetssätt insatsen tillämpar, om det finns i listan. Lämna tomt om inget passar.",
    ),
    "deltagare_per_ar": (
        "Deltagare per år",
        12,
        "Ungefär hur många som deltar per år, som ett heltal (er bästa uppskattning). Lämna "
        "tomt om ni inte vet.",
    ),
    "samverkan": (
        "Samverkan",
        30,
        "Andra aktörer som deltar i insatsen (får lämnas tomt). " + _LIST_HINT,
    ),
    "status": (
        "Status",
        12,
        "Insatsens läge: {values} (en nyligen avslutad insats tas med). Välj i listan.",
    ),
    "kommentar": (
        "Kommentar",
        40,
        "Annat som är bra att veta, till exempel om finansiering eller vad som har ändrats "
        "sedan förra kartläggningen.",
    ),
}
_QUALITY_WIDTH = 16


@dataclass(frozen=True)
class SheetColumn:
    """One column of sheet *Insatser*: the inventory column it holds and how the sheet shows it.

    ``spec`` is the inventory column (:data:`fouanalys.ingest.readers.INPUTS`), ``heading`` the
    Swedish heading on row 1, ``help`` what the column means, ``width`` Excel's column width.
    """

    spec: Column
    heading: str
    help: str
    width: int

    @property
    def name(self) -> str:
        """The canonical inventory column name (``niva``)."""
        return self.spec.name

    @property
    def vocabulary(self) -> str | None:
        """The codebook section (or :data:`~fouanalys.ingest.readers.APPROACHES`) of a coded
        column; None for numbers and free text."""
        return self.spec.section if self.spec.kind in ("code", "codes") else None

    @property
    def multi(self) -> bool:
        """Whether a cell holds several codes (separated by ``;``)."""
        return self.spec.kind == "codes"


def sheet_columns(codebook: Codebook) -> tuple[SheetColumn, ...]:
    """The columns of sheet *Insatser*, in order: every inventory column but ``kommunkod``
    (the workbook is for one municipality), the quality questions last, headed by their
    codebook labels."""
    questions = {q.id: q for q in codebook.quality_questions}
    answers = or_list(codebook.labels("quality_answers").values())
    out = []
    for col in input_columns("insatser", codebook):
        if col.name == "kommunkod":
            continue
        if col.name in _FIXED:
            heading, width, help_text = _FIXED[col.name]
            values = or_list(vocabulary(col.section, codebook).values()) if col.section else ""
            help_text = help_text.format(low=_whole(col.low), high=_whole(col.high), values=values)
        elif col.name in questions:
            question = questions[col.name]
            heading, width = question.label, _QUALITY_WIDTH
            help_text = f"{question.description or question.label} Svara {answers}."
        else:
            raise CodebookError(
                f"Kartläggningsmallen har ingen rubrik för inventeringens kolumn '{col.name}'; "
                "lägg till den i fouanalys.ingest.mapping.columns."
            )
        out.append(SheetColumn(col, heading, help_text, width))
    return tuple(out)


def _whole(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def or_list(labels: Iterable[str], conjunction: str = "eller") -> str:
    """Labels as a Swedish alternative in lower case: "ja, delvis, nej eller vet ej" (or a
    list with ``conjunction="och"``)."""
    words = [label.lower() for label in labels]
    if len(words) < 2:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {conjunction} " + words[-1]


def vocabulary(section: str, codebook: Codebook) -> dict[str, str]:
    """id → Swedish label of one list (a codebook section, or the knowledge base's approaches
    for ``metod``). Raises :class:`CodebookError` when a label holds ``;``, which separates the
    values of a multi-coded cell."""
    labels = approach_labels(codebook) if section == APPROACHES else codebook.labels(section)
    bad = [label for label in labels.values() if ";" in label]
    if bad:
        raise CodebookError(
            f"Etiketterna i '{section}' får inte innehålla semikolon, som skiljer värdena åt i "
            f"kartläggningsmallen: {', '.join(bad)}"
        )
    return labels


def list_sections(columns: tuple[SheetColumn, ...]) -> list[str]:
    """The vocabularies the sheet's coded columns use, each once, in column order (the lists
    on Listor)."""
    return list(dict.fromkeys(c.vocabulary for c in columns if c.vocabulary))


def heading_lookup(columns: tuple[SheetColumn, ...]) -> dict[str, str]:
    """Folded heading → canonical column name: the Swedish heading, the canonical name and
    the readers' aliases of each column, matched ignoring case, spaces and å/ä/ö."""
    keys: dict[str, str] = {}
    for col in columns:
        for spelling in (col.heading, col.name, col.spec.typed_name, *col.spec.aliases):
            keys.setdefault(normalize_key(spelling), col.name)
    return keys
