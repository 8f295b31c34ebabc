"""Need against capacity: how many young people are above a prioritised factor's cut-point, and
how many places a year the municipality's interventions against that factor offer them.

One pure function, :func:`need_capacity`, over the gap table (:func:`fouanalys.coverage.gap_table`),
the survey prevalence (:func:`fouanalys.prevalence.prevalence_table`), the typed population and
the typed inventory. Codes and numbers only; the chapter words them and rounds.

Conventions:

- The survey reaches only the ages of its grades (the codebook's ``survey.grades``: Åk 9 is
  age 15, Gy 2 age 17). A stage gets one row per surveyed age inside it and no estimate for its
  other ages: nothing is extrapolated. A stage without a surveyed age gets one row with the age
  NA and no estimate (the survey does not reach those ages).
- The need share is the grade's all-sexes share in the gap's municipality and survey year: for
  a risk factor the share above the cut-point, for a protective factor the share *without* the
  protection, ``1 − share`` with the interval mirrored (``1 − ci_high``, ``1 − ci_low``). A
  suppressed or missing share gives no estimate.
- Need = that share (and its 95 % interval bounds) × the population of the age, both sexes, in
  the survey year or, when that year has no rows for the age, the latest earlier year. The
  interval is the survey's sampling interval only; the population is taken as exact.
- Capacity = the participants a year that the ongoing interventions listing the factor put at
  that age, spread over ages exactly as the coverage tables spread them
  (:func:`fouanalys.coverage.place_on_ages`; latest population year), so an intervention's
  ages together hold its ``deltagare_per_ar``. An intervention counts at an age when it covers
  the age's stage (the gap map's rule) and its span holds the age.
- Small groups as in the coverage tables: an intervention reporting 1 to
  ``DISCLOSURE_THRESHOLD − 1`` participants a year is counted in ``few_interventions`` and its
  part of the capacity in ``few_participants``, so that the chapter can coarsen a capacity that
  rests on it.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from fouanalys.codebook import Codebook
from fouanalys.coverage import (
    ONGOING,
    intervention_factors,
    place_on_ages,
    place_on_life_course,
)

log = logging.getLogger("fouanalys")

#: The kind of index whose need is the share *without* it.
PROTECTIVE = "protective"

NEED_COLUMNS = [
    "municipality_code",
    "year",
    "factor",
    "kind",
    "stage",
    "rank",
    "grade",
    "age",
    "population_year",
    "population",
    "share",
    "share_low",
    "share_high",
    "need",
    "need_low",
    "need_high",
    "capacity",
    "interventions",
    "unknown_capacity",
    "few_interventions",
    "few_participants",
]
_DTYPES = {
    **dict.fromkeys(["municipality_code", "factor", "kind", "stage", "grade"], "str"),
    "year": "int64",
    **dict.fromkeys(["rank", "age", "population_year", "population"], "Int64"),
    **dict.fromkeys(["share", "share_low", "share_high", "need", "need_low"], "Float64"),
    **dict.fromkeys(["need_high", "capacity", "few_participants"], "Float64"),
    **dict.fromkeys(["interventions", "unknown_capacity", "few_interventions"], "Int64"),
}
_GAP_KEY = ["municipality_code", "year", "factor", "kind", "stage", "rank"]


def need_capacity(
    gaps: pd.DataFrame,
    prevalence: pd.DataFrame,
    befolkning: pd.DataFrame,
    insatser: pd.DataFrame,
    codebook: Codebook,
) -> pd.DataFrame:
    """Each prioritised factor × stage × surveyed age: young people above the cut-point, with
    the interval, against the places a year the municipality's interventions offer them.

    Rules (see also the module notes):

    - One row per gap row (municipality × prioritised factor × stage) and survey grade whose
      age (``survey.grades``) lies in the stage; one row with ``grade`` and ``age`` NA and no
      estimate for a stage the survey does not reach. The stage's other ages get nothing.
    - ``share`` is the grade's all-sexes share in the gap's municipality and year
      (``prevalence``); for a protective factor ``1 − share``, interval ``(1 − ci_high,
      1 − ci_low)``. Suppressed or absent: NA, and so is the need.
    - ``need`` = ``population`` × ``share`` (``need_low``, ``need_high`` from the interval),
      ``population`` that age's, both sexes, in the survey year or the latest earlier year with
      rows for it (``population_year``); NA when there is none.
    - ``capacity`` = Σ participants a year that the ongoing interventions listing the factor
      put at the age (:func:`fouanalys.coverage.place_on_ages`).

    Columns: ``municipality_code`` (str), ``year`` (int: the survey year of the gap row),
    ``factor``, ``kind``, ``stage`` (str), ``rank`` (Int64: as in the gap table), ``grade``
    (str, NA when no surveyed age), ``age`` (Int64, NA likewise), ``population_year``,
    ``population`` (Int64); ``share``, ``share_low``, ``share_high`` (Float64: the need share
    after mirroring); ``need``, ``need_low``, ``need_high`` (Float64, unrounded);
    ``capacity`` (Float64: NA when no such intervention gives participants); ``interventions``
    (Int64: the ongoing interventions listing the factor that reach the age);
    ``unknown_capacity`` (Int64: of those, how many give no participant count);
    ``few_interventions`` (Int64: of those, how many report 1 to ``DISCLOSURE_THRESHOLD − 1``
    participants a year) and ``few_participants`` (Float64: their part of ``capacity``, 0 when
    none). The last five are NA where the age is NA. Sorted as ``gaps``, then by age.
    """
    rows = _surveyed_rows(gaps, codebook)
    rows = _with_share(rows, prevalence, codebook)
    rows = _with_population(rows, befolkning)
    for bound, share in (("need", "share"), ("need_low", "share_low"), ("need_high", "share_high")):
        rows[bound] = rows["population"].astype("Float64") * rows[share].astype("Float64")
    rows = _with_capacity(rows, insatser, befolkning, codebook)
    log.debug("need: %d rows from %d gap rows", len(rows), len(gaps))
    return rows.astype(_DTYPES)[NEED_COLUMNS]


def _surveyed_rows(gaps: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Gap rows × the surveyed ages inside their stage; one NA-age row for a stage without."""
    keys = gaps[_GAP_KEY].reset_index(drop=True)
    keys["_row"] = np.arange(len(keys))
    grades = pd.DataFrame(
        {
            "grade": [g.id for g in codebook.survey.grades],
            "age": [g.age for g in codebook.survey.grades],
        }
    )
    stage_from = {s.id: s.age_from for s in codebook.life_stages}
    stage_to = {s.id: s.age_to for s in codebook.life_stages}
    pairs = keys[["_row", "stage"]].merge(grades, how="cross")
    age = pairs["age"].astype(float)
    inside = (age >= pairs["stage"].map(stage_from).astype(float)) & (
        age <= pairs["stage"].map(stage_to).astype(float)
    )
    pairs = pairs.loc[inside, ["_row", "grade", "age"]]
    rows = keys.merge(pairs, on="_row", how="left")
    rows["age"] = rows["age"].astype("Int64")
    return rows.sort_values(["_row", "age"], kind="stable").reset_index(drop=True)


def _with_share(rows: pd.DataFrame, prevalence: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """The grade's all-sexes share and interval, mirrored for protective factors."""
    keys = ["municipality_code", "year", "grade", "factor"]
    cells = prevalence.loc[prevalence["sex"] == codebook.survey.all_label]
    cells = cells[[*keys, "share", "ci_low", "ci_high", "suppressed"]]
    rows = rows.merge(cells, on=keys, how="left")
    hidden = rows["suppressed"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    share, low, high = (
        rows[c].astype("Float64").mask(hidden) for c in ("share", "ci_low", "ci_high")
    )
    protective = rows["kind"] == PROTECTIVE
    rows["share"] = share.where(~protective, 1 - share)
    rows["share_low"] = low.where(~protective, 1 - high)
    rows["share_high"] = high.where(~protective, 1 - low)
    return rows.drop(columns=["ci_low", "ci_high", "suppressed"])


def _with_population(rows: pd.DataFrame, befolkning: pd.DataFrame) -> pd.DataFrame:
    """Population of the row's age (both sexes) in the survey year or the latest earlier one."""
    b = befolkning.loc[befolkning["alder"].notna() & befolkning["ar"].notna()]
    pop = (
        b.groupby(["kommunkod", "alder", "ar"])["antal"]
        .sum()
        .reset_index()
        .rename(
            columns={
                "kommunkod": "municipality_code",
                "alder": "age",
                "ar": "population_year",
                "antal": "population",
            }
        )
    )
    pop["age"] = pop["age"].astype("Int64")
    wanted = rows.loc[rows["age"].notna(), ["_row", "municipality_code", "age", "year"]]
    found = wanted.merge(pop, on=["municipality_code", "age"])
    found = found.loc[found["population_year"] <= found["year"]]
    latest = found.sort_values("population_year").drop_duplicates("_row", keep="last")
    return rows.merge(latest[["_row", "population_year", "population"]], on="_row", how="left")


def _with_capacity(
    rows: pd.DataFrame, insatser: pd.DataFrame, befolkning: pd.DataFrame, codebook: Codebook
) -> pd.DataFrame:
    """Places a year at the row's age from the ongoing interventions that list its factor."""
    placed = place_on_life_course(insatser, befolkning, codebook)
    ages = place_on_ages(placed.loc[placed["status"] == ONGOING], befolkning)
    ages = ages.merge(
        intervention_factors(insatser, codebook), on=["municipality_code", "intervention"]
    )
    ages = ages.assign(
        _unknown=ages["participants"].isna(),
        _few_p=ages["participants"].where(ages["few"], 0.0).astype(float),
    )
    keys = ["municipality_code", "factor", "stage", "age"]
    cells = (
        ages.groupby(keys)
        .agg(
            capacity=("participants", lambda p: p.sum(min_count=1)),
            interventions=("intervention", "size"),
            unknown_capacity=("_unknown", "sum"),
            few_interventions=("few", "sum"),
            few_participants=("_few_p", "sum"),
        )
        .reset_index()
    )
    cells["age"] = cells["age"].astype("Int64")
    rows = rows.merge(cells, on=keys, how="left")
    surveyed = rows["age"].notna()
    for count in ("interventions", "unknown_capacity", "few_interventions"):
        rows[count] = rows[count].astype("Int64").mask(surveyed & rows[count].isna(), 0)
    rows["few_participants"] = (
        rows["few_participants"]
        .astype("Float64")
        .mask(surveyed & rows["few_participants"].isna(), 0.0)
    )
    return rows
