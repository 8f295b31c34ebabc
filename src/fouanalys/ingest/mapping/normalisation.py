"""What people type into a mapping workbook, read where it can be read one way only.

Before a returned workbook meets the validation gate, :func:`normalise` rewrites the cells
whose meaning is unambiguous and records each kind of rewrite (:class:`Normalisation`):

- an age range in one age cell, the other blank or agreeing: "13-15 år", "13–15", "13 - 15"
  in *Ålder från* become 13 and 15 (also when typed into *Ålder till*);
- "13 år" becomes 13;
- a participant count with words around it: "ca 40", "cirka 40", "~40", "40 st",
  "40 per år" become 40;
- "vet inte" as the answer to a quality question becomes "vet ej";
- a list of codes separated by commas or line breaks instead of semicolons, when every part
  is a known value;
- a code spelled other than its id or label ("FÖREBYGGA") is only recorded: the gate folds
  case, spaces and å/ä/ö itself.

What looks like such a value but has more than one reading is refused (:class:`Refusal`): a
participant range ("30-40"), an age range that the other age cell contradicts, an approximate
age ("ca 13"), a date Excel made of what was typed. Anything else (free text in a number
column, an unknown code) is left for the gate to report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from fouanalys.codebook import Codebook, normalize_key, split_codes
from fouanalys.ingest.mapping.columns import SheetColumn, vocabulary
from fouanalys.ingest.readers import INT_PATTERN, code_lookup

FROM, TO, PARTICIPANTS, NAME = "alder_fran", "alder_till", "deltagare_per_ar", "insats"

#: Answers to the quality questions people write for a codebook answer (folded → answer id).
ANSWER_SYNONYMS = {normalize_key("vet inte"): "vet ej"}

_DASH = r"\s*(?:-|–|—|till)\s*"
_ABOUT = r"(?:ca\.?|c:a|cirka|ungefär|ungef\.|runt|omkring|~|≈)\s*"
_NUMBER = r"(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)"
_PER_YEAR = r"\s*(?:st\.?|stycken|deltagare|personer|per år|/år|om året|i året|årligen)"
_AGE_RANGE = re.compile(rf"(\d{{1,2}}){_DASH}(\d{{1,2}})(?:\s*år)?", re.IGNORECASE)
_AGE = re.compile(r"(\d{1,2})\s*år", re.IGNORECASE)
_APPROXIMATE_AGE = re.compile(rf"{_ABOUT}\d+(?:\s*år)?", re.IGNORECASE)
_COUNT = re.compile(rf"(?:{_ABOUT})?{_NUMBER}(?:{_PER_YEAR})?", re.IGNORECASE)
_COUNT_RANGE = re.compile(rf"(?:{_ABOUT})?\d+{_DASH}\d+(?:{_PER_YEAR})?", re.IGNORECASE)


@dataclass(frozen=True)
class Normalisation:
    """One kind of rewrite of what was typed: in which column(s), what was done, the Excel
    rows it was done in and a few examples ("'13-15 år' → 13 och 15")."""

    column: str
    kind: str
    rows: tuple[int, ...]
    examples: tuple[str, ...]

    def __str__(self) -> str:
        rows = ("rad " if len(self.rows) == 1 else "rader ") + ", ".join(map(str, self.rows))
        return f"{self.column}: {self.kind}, {rows} ({', '.join(self.examples[:3])})"


@dataclass(frozen=True)
class Refusal:
    """A cell that looks like a known kind of value but has more than one reading."""

    column: str  # canonical column name
    row: int
    value: str
    message: str
    expected: str


@dataclass
class _Record:
    """The rewrites made so far, by (column, kind), and the refusals."""

    shown: Mapping[str, str]
    rewrites: dict[tuple[str, str], tuple[list[int], list[str]]] = field(default_factory=dict)
    refusals: list[Refusal] = field(default_factory=list)

    def rewrite(self, columns: tuple[str, ...], kind: str, row: int, example: str) -> None:
        column = ", ".join(self.shown.get(c, c) for c in columns)
        rows, examples = self.rewrites.setdefault((column, kind), ([], []))
        rows.append(int(row))
        if example not in examples:
            examples.append(example)

    def refuse(self, column: str, row: int, value: str, message: str, expected: str) -> None:
        self.refusals.append(Refusal(column, int(row), value, message, expected))

    def normalisations(self) -> list[Normalisation]:
        return [
            Normalisation(column, kind, tuple(sorted(set(rows))), tuple(examples))
            for (column, kind), (rows, examples) in self.rewrites.items()
        ]


def normalise(
    frame: pd.DataFrame,
    columns: tuple[SheetColumn, ...],
    codebook: Codebook,
    shown: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, list[Normalisation], list[Refusal]]:
    """Rewrite the unambiguous cells of a returned sheet's text frame (canonical column names,
    str cells, blank = NA, index = Excel rows); return the rewritten copy, the rewrites by
    kind and the refused cells. ``shown`` names the columns as the workbook heads them."""
    out = frame.copy()
    record = _Record(shown or {c.name: c.heading for c in columns})
    _nameless_rows(out, record)
    if FROM in out and TO in out:
        _age_ranges(out, record)
    for column in (FROM, TO):
        if column in out:
            _single_ages(out, column, record)
    if PARTICIPANTS in out:
        _participants(out, record)
    for col in columns:
        if col.vocabulary and col.name in out:
            if col.multi:
                _code_lists(out, col, codebook, record)
            else:
                _codes(out, col, codebook, record)
    return out, record.normalisations(), record.refusals


def _cell(frame: pd.DataFrame, row: int, column: str) -> str | None:
    value = frame.at[row, column]
    return None if pd.isna(value) else str(value)


def _nameless_rows(frame: pd.DataFrame, record: _Record) -> None:
    """Refuse a row with other cells filled in but no intervention name."""
    if NAME not in frame:
        return
    others = frame.drop(columns=[NAME]).notna().any(axis=1)
    for row in frame.index[frame[NAME].isna() & others]:
        record.refuse(
            NAME,
            row,
            "",
            "Raden har uppgifter men inget namn på insatsen.",
            f"ett namn i kolumnen '{record.shown.get(NAME, NAME)}' på varje ifylld rad; ta "
            "bort hela raden om insatsen inte längre finns",
        )


def _age_value(text: str | None) -> int | None:
    """An age typed as "15" or "15 år"; None otherwise."""
    if text is None:
        return None
    match = re.fullmatch(r"(\d{1,2})(?:\s*år)?", text.strip(), re.IGNORECASE)
    return int(match.group(1)) if match else None


def _age_ranges(frame: pd.DataFrame, record: _Record) -> None:
    """An age range in one age cell becomes the two ages when the other cell is blank, the
    same range or the range's own end; otherwise the cell is refused."""
    for row in frame.index:
        first, last = _cell(frame, row, FROM), _cell(frame, row, TO)
        spans = {
            column: match.groups()
            for column, text in ((FROM, first), (TO, last))
            if text is not None and (match := _AGE_RANGE.fullmatch(text.strip()))
        }
        if not spans:
            continue
        column = FROM if FROM in spans else TO
        text = first if column == FROM else last
        low, high = (int(v) for v in spans[column])
        other_column = TO if column == FROM else FROM
        other = last if column == FROM else first
        if len(spans) == 2:
            agrees = spans[FROM] == spans[TO]
        else:
            agrees = other is None or _age_value(other) == (high if column == FROM else low)
        if not agrees:
            shown = record.shown.get(other_column, other_column)
            record.refuse(
                column,
                row,
                str(text),
                f"Cellen har åldersintervallet '{text}', men '{shown}' säger '{other}'; "
                "det går inte att avgöra vilken ålder som gäller.",
                "en ålder i var och en av de två ålderskolumnerna (eller ett intervall i den "
                "ena och den andra tom)",
            )
            continue
        frame.at[row, FROM], frame.at[row, TO] = str(low), str(high)
        record.rewrite(
            (FROM, TO), "åldersintervall delat på två åldrar", row, f"'{text}' → {low} och {high}"
        )


def _single_ages(frame: pd.DataFrame, column: str, record: _Record) -> None:
    """ "13 år" becomes 13; an approximate age ("ca 13") or a date is refused."""
    for row, text in frame[column].dropna().items():
        text = str(text)
        if match := _AGE.fullmatch(text):
            frame.at[row, column] = match.group(1)
            record.rewrite((column,), "'år' borttaget", row, f"'{text}' → {match.group(1)}")
        elif _APPROXIMATE_AGE.fullmatch(text):
            record.refuse(
                column,
                row,
                text,
                "En ungefärlig ålder går inte att läsa in.",
                "en exakt ålder som heltal (den yngsta eller äldsta ålder insatsen riktar sig "
                "till)",
            )


def _participants(frame: pd.DataFrame, record: _Record) -> None:
    """A count with words around it becomes the number; a range is refused."""
    for row, text in frame[PARTICIPANTS].dropna().items():
        text = str(text)
        if INT_PATTERN.fullmatch(text):
            continue
        if _COUNT_RANGE.fullmatch(text):
            record.refuse(
                PARTICIPANTS,
                row,
                text,
                "Ett intervall är inget antal, och fouanalys väljer inte ett tal i det åt er.",
                "ett heltal ≥ 0: er bästa uppskattning av antalet deltagare per år",
            )
        elif match := _COUNT.fullmatch(text):
            number = re.sub(r"\D", "", match.group(1))
            frame.at[row, PARTICIPANTS] = number
            record.rewrite((PARTICIPANTS,), "antal läst ur texten", row, f"'{text}' → {number}")


def _codes(frame: pd.DataFrame, col: SheetColumn, codebook: Codebook, record: _Record) -> None:
    """Answer synonyms ("vet inte") become the answer; other spellings of a code than its id
    or label are recorded (the gate reads them)."""
    labels = vocabulary(col.vocabulary or "", codebook)
    exact = set(labels) | set(labels.values())
    lookup = code_lookup(col.vocabulary or "", codebook)
    for row, text in frame[col.name].dropna().items():
        text = str(text)
        if text in exact:
            continue
        key = normalize_key(text)
        if col.vocabulary == "quality_answers" and key not in lookup and key in ANSWER_SYNONYMS:
            answer = ANSWER_SYNONYMS[key]
            frame.at[row, col.name] = answer
            record.rewrite((col.name,), "svar tolkat", row, f"'{text}' → '{labels[answer]}'")
        elif lookup.get(key):
            record.rewrite(
                (col.name,), "annan stavning tolkad", row, f"'{text}' → '{labels[lookup[key]]}'"
            )


def _code_lists(frame: pd.DataFrame, col: SheetColumn, codebook: Codebook, record: _Record) -> None:
    """A list separated by commas or line breaks, every part known, is separated by ``;``;
    other spellings of known codes are recorded."""
    labels = vocabulary(col.vocabulary or "", codebook)
    exact = set(labels) | set(labels.values())
    lookup = code_lookup(col.vocabulary or "", codebook)
    for row, text in frame[col.name].dropna().items():
        text = str(text)
        parts = split_codes(text)
        if not all(normalize_key(p) in lookup for p in parts) and ";" not in text:
            pieces = [p.strip() for p in re.split(r"[,\n]", text) if p.strip()]
            if len(pieces) > 1 and all(normalize_key(p) in lookup for p in pieces):
                parts = pieces
                frame.at[row, col.name] = ";".join(pieces)
                shown = "; ".join(pieces)
                example = f"'{text}' → '{shown}'".replace("\n", " ⏎ ")
                record.rewrite(
                    (col.name,), "komma eller radbrytning läst som semikolon", row, example
                )
        for part in parts:
            key = normalize_key(part)
            if part not in exact and lookup.get(key):
                record.rewrite(
                    (col.name,), "annan stavning tolkad", row, f"'{part}' → '{labels[lookup[key]]}'"
                )
