"""Which risk and protective factors a municipality prioritises: the one rule every chapter reads.

A factor is **prioritised** in a municipality and survey year when both hold:

1. It stands out in the unfavourable direction against the rest of the region in at least one
   published group of students — all students, one sex, one grade, or one grade × sex: the
   priorities table's ``elevated`` flag, i.e. the 95 % interval of the difference lies wholly
   above zero for a risk factor (more common) or wholly below zero for a protective factor
   (less common). A suppressed row never counts.
2. For all students together, the difference's interval does **not** lie wholly on the better
   side (a risk factor certainly less common, a protective factor certainly more common). A
   factor on which the municipality as a whole is certainly better off is never prioritised,
   even when one group stands out.

:func:`priority_factors` writes that decision, with the groups that made it, into the
processed table ``priority_factors.parquet``; chapters, figures, the region chapter, the gap
map and the index page read it and never decide priority themselves. Codes and numbers only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fouanalys.codebook import Codebook

#: Kinds of index that can be prioritised.
FACTOR_KINDS = ("risk", "protective")
#: Separators in ``groups``: groups by ";", grade and sex within a group by "|".
GROUP_SEPARATOR, PART_SEPARATOR = ";", "|"

PRIORITY_FACTOR_COLUMNS = [
    "municipality_code",
    "year",
    "factor",
    "kind",
    "prioritised",
    "groups",
    "rank",
    "difference",
    "diff_low",
    "diff_high",
    "favourable",
]


def group_rank(grade: str, sex: str, codebook: Codebook) -> int:
    """Broad groups first: all students, one sex, one grade, grade × sex (codebook order)."""
    all_label = codebook.survey.all_label
    grades = [all_label, *[g.id for g in codebook.survey.grades]]
    sexes = [all_label, *[s.id for s in codebook.survey.sexes]]
    g = grades.index(grade) if grade in grades else len(grades)
    s = sexes.index(sex) if sex in sexes else len(sexes)
    return ((g > 0) * 2 + (s > 0)) * 100 + g * 10 + s


def _published(rows: pd.DataFrame) -> pd.Series:
    return (~rows["suppressed"].astype("boolean").fillna(True) & rows["share"].notna()).astype(bool)


def priority_factors(priorities: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Every municipality × survey year × risk or protective factor, prioritised or not.

    From the priorities table (:func:`fouanalys.prevalence.priorities_table`). Columns:
    ``municipality_code`` (str), ``year`` (int), ``factor``, ``kind`` (str); ``prioritised``
    (bool: the module's rule); ``groups`` (str: the published groups in which the factor stands
    out unfavourably, broad groups first, as ``"grade|sex"`` codes joined by ``";"`` —
    ``"Alla|Alla;Åk 9|Flicka"``; empty when none); ``rank`` (Int64: the factor's rank for all
    students, 1 = largest unfavourable difference; NA when not published); ``difference``,
    ``diff_low``, ``diff_high`` (float: all students against the rest of the region, NA when
    not published); ``favourable`` (bool: for all students the interval lies wholly on the
    better side). Sorted by municipality (codebook order), year, then prioritised first, rank
    and codebook factor order.
    """
    all_label = codebook.survey.all_label
    rows = priorities.loc[priorities["kind"].isin(FACTOR_KINDS)]
    keys = ["municipality_code", "year", "factor"]
    out = rows[[*keys, "kind"]].drop_duplicates(keys).reset_index(drop=True)

    standing = rows.loc[_published(rows) & rows["elevated"].astype("boolean").fillna(False)]
    standing = standing.assign(
        _g=[
            group_rank(g, s, codebook)
            for g, s in zip(standing["grade"], standing["sex"], strict=True)
        ],
        _code=standing["grade"].astype(str) + PART_SEPARATOR + standing["sex"].astype(str),
    ).sort_values([*keys, "_g"], kind="stable")
    groups = standing.groupby(keys, sort=False)["_code"].agg(GROUP_SEPARATOR.join)

    overall = rows.loc[(rows["grade"] == all_label) & (rows["sex"] == all_label)]
    overall = overall.loc[_published(overall)].set_index(keys)
    index = pd.MultiIndex.from_frame(out[keys])
    low = overall["diff_low"].astype(float).reindex(index).to_numpy()
    high = overall["diff_high"].astype(float).reindex(index).to_numpy()
    risk = (out["kind"] == "risk").to_numpy()
    with np.errstate(invalid="ignore"):
        favourable = np.where(risk, high < 0, low > 0)

    out["groups"] = pd.Series(groups.reindex(index).fillna("").to_numpy(), dtype="str")
    out["prioritised"] = (out["groups"] != "").to_numpy() & ~favourable
    out["rank"] = pd.array(overall["rank"].reindex(index).to_numpy(), dtype="Int64")
    out["difference"] = overall["difference"].astype(float).reindex(index).to_numpy()
    out["diff_low"], out["diff_high"] = low, high
    out["favourable"] = favourable.astype(bool)
    out["year"] = out["year"].astype("int64")

    municipality_order = {c: n for n, c in enumerate(codebook.municipality_codes)}
    factor_order = {i.id: n for n, i in enumerate(codebook.indices)}
    out = out.assign(
        _m=out["municipality_code"].map(municipality_order),
        _p=~out["prioritised"],
        _r=out["rank"].astype("Float64").fillna(np.inf),
        _f=out["factor"].map(factor_order),
    ).sort_values(["_m", "year", "_p", "_r", "_f"], kind="stable")
    return out[PRIORITY_FACTOR_COLUMNS].reset_index(drop=True)


def split_groups(groups: object) -> list[tuple[str, str]]:
    """The ``groups`` cell as (grade, sex) pairs: ``"Alla|Alla;Åk 9|Flicka"`` → two pairs."""
    if not isinstance(groups, str) or not groups:
        return []
    return [
        tuple(part.split(PART_SEPARATOR, 1))  # type: ignore[misc]
        for part in groups.split(GROUP_SEPARATOR)
    ]


def latest_priorities(priority_table: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """The rows of ``year``, or of each municipality's latest survey year when ``year`` is None."""
    if year is not None:
        return priority_table.loc[priority_table["year"].astype("int64") == int(year)]
    latest = priority_table.groupby("municipality_code")["year"].transform("max")
    return priority_table.loc[priority_table["year"] == latest]


def prioritised(
    priority_table: pd.DataFrame, municipality_code: str | None = None, year: int | None = None
) -> pd.DataFrame:
    """The prioritised rows (of one municipality when given) in ``year`` or the latest year."""
    rows = latest_priorities(priority_table, year)
    if municipality_code is not None:
        rows = rows.loc[rows["municipality_code"] == municipality_code]
    return rows.loc[rows["prioritised"].astype(bool)]
