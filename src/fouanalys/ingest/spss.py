"""SPSS files (``.sav``): read with pyreadstat and turned into text cells, value labels applied.

Municipalities receive Stockholmsenkäten as an SPSS file whose value labels say what each
number means. :func:`read_sav_cells` gives the file's variables as text cells, the way a CSV
export of the same data would read: every labelled value becomes its label text, so that the
item columns can be recoded from their texts (:mod:`fouanalys.ingest.answers`) and the file
goes through the same validation as a CSV. Values SPSS declares as user-missing are blank.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

import pandas as pd

from fouanalys.codebook import normalize_key
from fouanalys.exceptions import InputError, Problem
from fouanalys.ingest.answers import MISSING_CODES, fold_answer

#: The first bytes of an SPSS system file (``$FL3``: a compressed one, as SPSS writes .zsav).
SAV_SIGNATURES = (b"$FL2", b"$FL3")
#: Appended to a number that has no value label in an item column recoded from its labels.
UNLABELLED = " (kod utan värdeetikett i filen)"


def is_sav(data: bytes) -> bool:
    """True when ``data`` starts as an SPSS system file does."""
    return data[:4] in SAV_SIGNATURES


def cell_text(value: object) -> str | None:
    """One SPSS value as text: whole numbers without decimals, dates in ISO form, NaN as None."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(float(value))  # not np.float64(…)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def labelled_text(
    values: pd.Series, labels: Mapping[object, str], strict: bool = False
) -> pd.Series:
    """A variable's values as text, each labelled value as its label (object dtype, None blank).

    ``strict`` (an item column recoded from its labels): a number without a label, other than
    the no-answer codes 990–999, is marked with :data:`UNLABELLED` instead of standing as if it
    were the codebook's code of that number.
    """
    mapping: dict[object, str | None] = {}
    for value in values.dropna().unique():
        if value in labels:
            mapping[value] = labels[value]
            continue
        text = cell_text(value)
        if strict and isinstance(value, float) and not _missing_code(value):
            text = f"{text}{UNLABELLED}"
        mapping[value] = text
    return values.map(mapping, na_action="ignore").astype("object")


def _missing_code(number: float) -> bool:
    return number.is_integer() and int(number) in MISSING_CODES


def _answers_labelled(labels: Mapping[object, str], missing: set[str]) -> bool:
    """True when some label is an answer, not only a "no answer" text."""
    return any(fold_answer(label) not in missing for label in labels.values() if label.strip())


def read_sav_cells(
    data: bytes, path: Path, items: Collection[str] = (), missing: Iterable[str] = ()
) -> tuple[list[str], pd.DataFrame, str | None]:
    """An SPSS file's variable names, its cells as text (columns 0..n-1, object dtype, one row
    per case) and its character encoding.

    Value labels are applied to every labelled variable. In an item column (``items``, matched
    like headers) whose labels name answers, not only ``missing`` texts, the numbers are
    codes of the file's own: one without a label is marked (see :func:`labelled_text`).
    Raises :class:`InputError` when the file is not an SPSS file or cannot be read.
    """
    import pyreadstat  # imported here: it takes most of a second, and only .sav needs it

    if not is_sav(data):
        raise InputError(
            Problem(
                file=path.name,
                message="Filen heter .sav men är ingen SPSS-fil.",
                expected=(
                    "en SPSS-fil (.sav) sparad i SPSS, eller byt filnamnet till .csv eller "
                    ".xlsx om den är en sådan fil"
                ),
            )
        )
    try:
        frame, meta = pyreadstat.read_sav(io.BytesIO(data))
    except pyreadstat.ReadstatError as exc:
        raise InputError(
            Problem(
                file=path.name,
                message=f"SPSS-filen kan inte läsas ({exc}); den kan vara skadad eller avkortad.",
                expected="en hel .sav-fil; spara den på nytt i SPSS eller exportera som CSV",
            )
        ) from exc
    item_keys = {normalize_key(item) for item in items}
    missing_folded = {fold_answer(text) for text in missing}
    value_labels = meta.variable_value_labels or {}
    cells = {}
    for j, name in enumerate(frame.columns):
        labels = value_labels.get(name, {})
        strict = (
            normalize_key(name) in item_keys
            and bool(labels)
            and _answers_labelled(labels, missing_folded)
        )
        cells[j] = labelled_text(frame[name], labels, strict=strict)
    body = pd.DataFrame(cells, index=pd.RangeIndex(len(frame)), columns=range(frame.shape[1]))
    return [str(name) for name in frame.columns], body, meta.file_encoding
