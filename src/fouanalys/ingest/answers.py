"""Answer texts of survey items turned into the codebook's answer codes.

A survey export may give an item's answers as texts (an SPSS file's value labels, or a CSV
that carries the texts) instead of codes. The codebook says what the codes mean: code k of an
item is the k-th text of its answer scale. :func:`recode_answers` recodes one item column from
its texts, never from an export's own numbers, so every format of the survey ends up in the
same codes; texts that mean "no answer" and the codes 990–999 become blank.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

#: Answer codes that mean "no answer" in Stockholmsenkäten (RISE recodes 990–999 to missing).
MISSING_CODES = range(990, 1000)

_DASHES = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2015\u2212]")
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")
_NUMBER = re.compile(r"^[+-]?\d+([.,]\d+)?$")


def fold_answer(text: str) -> str:
    """Fold an answer text for matching: Unicode NFC, case folded, trimmed, any dash as a
    hyphen, any run of spaces (non-breaking ones too) as one space.

    ``"Stämmer  ganska BRA "`` and ``"stämmer ganska bra"`` fold alike, as do ``"1–2 gånger"``
    and ``"1-2 gånger"``.
    """
    text = unicodedata.normalize("NFC", str(text))
    text = _DASHES.sub("-", text)
    return _SPACES.sub(" ", text).strip().casefold()


def answer_lookup(answers: Sequence[str], missing: Iterable[str] = ()) -> dict[str, int | None]:
    """Folded answer text -> code (the k-th text is code k), and -> None for a "no answer"
    text. A text on the scale wins over the same text among ``missing``."""
    lookup: dict[str, int | None] = {fold_answer(t): None for t in missing}
    lookup.update({fold_answer(text): code for code, text in enumerate(answers, start=1)})
    return lookup


def is_missing_code(text: str) -> bool:
    """True for a number text that is one of the "no answer" codes 990–999."""
    if not _NUMBER.fullmatch(text):
        return False
    number = float(text.replace(",", "."))
    return number.is_integer() and int(number) in MISSING_CODES


def answer_code(text: str, lookup: Mapping[str, int | None]) -> str | None:
    """One cell of an item column as its answer code text.

    A number stays as written (a code), except 990–999, which mean no answer (None); a known
    answer text becomes its code (``"2"``); a "no answer" text becomes None. Any other text is
    returned unchanged, for validation to report.
    """
    if _NUMBER.fullmatch(text.strip()):
        return None if is_missing_code(text.strip()) else text
    hit = lookup.get(fold_answer(text), text)
    return str(hit) if isinstance(hit, int) else hit


def recode_answers(
    values: pd.Series, answers: Sequence[str], missing: Iterable[str] = ()
) -> pd.Series:
    """An item column (text cells, NA = blank) with its answer texts recoded to codes.

    ``answers`` are the item's answer texts in code order (:meth:`Codebook.item_answers`),
    ``missing`` the texts that mean no answer (``Codebook.missing_answers``). Returns a series
    of the same index and dtype (a categorical one with the codes as its categories): see
    :func:`answer_code` for each cell; blank stays blank.
    """
    lookup = answer_lookup(answers, missing)
    mapping = {value: answer_code(str(value), lookup) for value in values.dropna().unique()}
    if all(code == value for value, code in mapping.items()):  # codes only: nothing to do
        return values
    recoded = values.map(mapping, na_action="ignore")
    if isinstance(values.dtype, pd.CategoricalDtype):  # new categories: the codes
        return recoded.astype("category")
    return recoded.astype(values.dtype)


def recode_items(
    frame: pd.DataFrame, answers: Mapping[str, Sequence[str]], missing: Iterable[str] = ()
) -> pd.DataFrame:
    """``frame`` with every item column in ``answers`` (item id -> answer texts) recoded by
    :func:`recode_answers`; other columns as they were."""
    missing = tuple(missing)
    recoded = {
        item: recode_answers(frame[item], answers[item], missing)
        for item in frame.columns.intersection(list(answers))
    }
    return frame.assign(**recoded)
