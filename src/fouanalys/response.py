"""Who answered: respondents excluded as not serious, and the response rate.

:func:`unserious` applies the codebook's rules (``unserious``) to every respondent of a typed
survey frame; the processing leaves the flagged respondents out before any index is scored
(:func:`fouanalys.ingest.processing.derived_tables`). :func:`response_table` counts, per
municipality, survey year and grade, the pupils enrolled (from the optional input ``elever``),
those who answered, those excluded and those kept, and the response rate.

**The response rate is kept / enrolled**: the share of the enrolled pupils whose answers the
report's results rest on (respondents excluded as not serious do not count; the respondents and
the exclusions are reported beside it). Every published share already rests on the kept
respondents, so the rate adds no new count; a rate on all respondents would, with the enrolled
pupils and the published kept count, give away an excluded count of 1–4, which disclosure
control forbids.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from fouanalys.codebook import Codebook

#: Columns of :func:`unserious`.
UNSERIOUS_COLUMNS = ("straight_lining", "implausible_offending", "unserious")
#: Columns of :func:`response_table`.
RESPONSE_COLUMNS = (
    "municipality_code",
    "year",
    "grade",
    "enrolled",
    "respondents",
    "straight_lining",
    "implausible_offending",
    "excluded",
    "kept",
    "response_rate",
)
_COUNTS = ("respondents", "straight_lining", "implausible_offending", "excluded")
#: Respondents whose answers the exclusion rules read at a time.
BLOCK_ROWS = 100_000


def _answers(enkat: pd.DataFrame, items: list[str]) -> np.ndarray:
    """The answer codes of those ``items`` the frame has, as floats (respondents × items; blank
    is NaN)."""
    present = [item for item in items if item in enkat.columns]
    if not present:
        return np.empty((len(enkat), 0))
    return enkat[present].astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def _by_blocks(
    enkat: pd.DataFrame, items: list[str], rule: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """``rule`` (answer matrix → one boolean per respondent) applied to :data:`BLOCK_ROWS`
    respondents at a time: the matrix of a large survey is never made whole."""
    parts = [
        rule(_answers(enkat.iloc[start : start + BLOCK_ROWS], items))
        for start in range(0, len(enkat), BLOCK_ROWS)
    ]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def straight_lining(codes: np.ndarray, min_answered: int, extremes: list[int]) -> np.ndarray:
    """Per respondent (row): at least ``min_answered`` items answered, all with one and the
    same answer, and that answer one of ``extremes``. ``codes`` is respondents × items, NaN
    for no answer."""
    answered = ~np.isnan(codes)
    low = np.where(answered, codes, np.inf).min(axis=1, initial=np.inf)
    high = np.where(answered, codes, -np.inf).max(axis=1, initial=-np.inf)
    return (answered.sum(axis=1) >= min_answered) & (low == high) & np.isin(low, extremes)


def unserious(enkat: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Which respondents the codebook's rules (``unserious``) exclude as not serious.

    Returns a frame indexed like ``enkat`` with boolean columns ``straight_lining`` (at least
    ``min_answered`` of the scored items on the rule's scale answered, every one with the same
    answer, one of its extreme ``codes``), ``implausible_offending`` (answer ``code`` to at
    least ``min_items`` of the scored items on the rule's scale) and ``unserious`` (either).
    Only the item columns the frame has are read; a blank answer is no answer. Without the
    codebook section, or a rule of it, nobody is flagged by that rule.
    """
    rules = codebook.unserious
    out = pd.DataFrame(False, index=enkat.index, columns=list(UNSERIOUS_COLUMNS))
    straight = rules.straight_lining if rules else None
    if straight is not None:
        out["straight_lining"] = _by_blocks(
            enkat,
            codebook.scale_items(straight.scale),
            lambda codes: straight_lining(codes, straight.min_answered, straight.codes),
        )
    implausible = rules.implausible_offending if rules else None
    if implausible is not None:
        out["implausible_offending"] = _by_blocks(
            enkat,
            codebook.scale_items(implausible.scale),
            lambda codes: (codes == implausible.code).sum(axis=1) >= implausible.min_items,
        )
    out["unserious"] = out["straight_lining"] | out["implausible_offending"]
    return out


def response_table(
    enkat: pd.DataFrame,
    flags: pd.DataFrame,
    codebook: Codebook,
    elever: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Enrolled pupils, respondents, exclusions and the response rate per municipality, survey
    year and grade.

    ``enkat`` is the typed survey (``kommunkod, ar, arskurs``), ``flags`` its
    :func:`unserious` frame, ``elever`` the typed enrolment (``kommunkod, ar, arskurs, antal``)
    or None when the input is absent. Rows: every municipality and year the survey has, × every
    codebook grade and the all-grades value (``codebook.survey.all_label``), in codebook order.

    Columns: ``municipality_code, year, grade``; ``enrolled`` (Int64: the enrolment row's
    ``antal``; for all grades their sum; <NA> without the input or the row, or for all grades
    when a grade lacks one); ``respondents`` (every row of the survey), ``straight_lining``,
    ``implausible_offending`` (each rule's count), ``excluded`` (by either rule), ``kept``
    (respondents − excluded: those scored) — Int64; ``response_rate`` (Float64: kept /
    enrolled, see the module docstring; <NA> where enrolled is missing or 0).
    """
    all_label = codebook.survey.all_label
    grades = [g.id for g in codebook.survey.grades]
    people = pd.DataFrame(
        {
            "municipality_code": enkat["kommunkod"].astype("str"),
            "year": enkat["ar"].astype("int64"),
            "grade": enkat["arskurs"].astype("str"),
            "respondents": 1,
            "straight_lining": flags["straight_lining"].astype("int64"),
            "implausible_offending": flags["implausible_offending"].astype("int64"),
            "excluded": flags["unserious"].astype("int64"),
        }
    )
    key = ["municipality_code", "year", "grade"]
    counted = people.groupby(key, as_index=False)[list(_COUNTS)].sum()
    grid = people[["municipality_code", "year"]].drop_duplicates()
    grid = grid.merge(pd.DataFrame({"grade": grades}), how="cross")
    per_grade = grid.merge(counted, on=key, how="left").fillna(dict.fromkeys(_COUNTS, 0))
    per_grade["enrolled"] = _enrolled(per_grade, elever)
    totals = per_grade.groupby(["municipality_code", "year"], as_index=False).agg(
        **{c: (c, "sum") for c in _COUNTS},
        enrolled=("enrolled", lambda s: s.sum() if s.notna().all() else pd.NA),
    )
    out = pd.concat([per_grade, totals.assign(grade=all_label)], ignore_index=True)
    out[list(_COUNTS)] = out[list(_COUNTS)].astype("Int64")
    out["enrolled"] = out["enrolled"].astype("Int64")
    out["kept"] = out["respondents"] - out["excluded"]
    enrolled = out["enrolled"].astype("Float64")
    out["response_rate"] = (out["kept"] / enrolled.where(enrolled > 0)).astype("Float64")
    rank = {g: i for i, g in enumerate([*grades, all_label])}
    out = out.sort_values(
        ["municipality_code", "year", "grade"],
        key=lambda c: c.map(rank) if c.name == "grade" else c,
        ignore_index=True,
    )
    return out[list(RESPONSE_COLUMNS)]


def _enrolled(cells: pd.DataFrame, elever: pd.DataFrame | None) -> pd.Series:
    """The enrolment of each (municipality_code, year, grade) row of ``cells`` (Int64, <NA>
    where ``elever`` has no such row or is None)."""
    if elever is None or elever.empty:
        return pd.Series(pd.NA, index=cells.index, dtype="Int64")
    enrolled = pd.DataFrame(
        {
            "municipality_code": elever["kommunkod"].astype("str"),
            "year": elever["ar"].astype("int64"),
            "grade": elever["arskurs"].astype("str"),
            "enrolled": elever["antal"].astype("Int64"),
        }
    )
    found = cells[["municipality_code", "year", "grade"]].merge(
        enrolled, on=["municipality_code", "year", "grade"], how="left"
    )
    return pd.Series(found["enrolled"].to_numpy(), index=cells.index, dtype="Int64")
