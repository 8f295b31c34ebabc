"""Interventions along the life course: coverage, reach per 1 000 and gaps against priorities.

Pure functions over the typed ``insatser`` and ``befolkning`` frames and the ``priorities``
table. An intervention's age span is laid over the codebook's life stages it *covers*
(:func:`place_on_life_course`); the coverage tables count the *ongoing* ("pågående")
interventions per municipality × stage × level, factor or targeting, with their participants
and reach per 1 000 inhabitants of the stage's ages; planned ones are counted apart and ended
ones not at all. :func:`gap_table` sets that coverage against the municipality's prioritised
factors (:mod:`fouanalys.priority`) and gives each factor × stage one status code.

Conventions:

- An intervention covers a stage when its age span holds at least
  :data:`MIN_STAGE_SHARE` of the stage's years (whole years, both ends included), or when its
  whole span lies inside the stage (one made for part of a stage, e.g. 0–1 år, is that
  stage's). MST for 12–17 år does not cover 6–12 år (1 of 7 years); it covers 13–15 and 16–18.
- Population is the latest year in ``befolkning`` for each municipality, both sexes summed,
  per single year of age.
- An intervention with P participants a year over ages a..b puts in a covered stage s the share
  ``pop(a..b ∩ s) / pop(a..b ∩ covered stages)`` of P (uniformly over those ages when their
  population is 0); its ages in stages it does not cover get none.
- :func:`place_on_ages` splits a placed row over its single years of age by the same rule
  (each age's part in proportion to its population), for counts at one age
  (:mod:`fouanalys.need`).
- Reach of a cell = 1000 × Σ participants in the cell / pop(all ages of the stage).
- An intervention without a participant count is counted, and its reach is unknown: a cell's
  participants and reach are NA (never 0) when no ongoing intervention in it reports
  participants, and ``reach_complete`` is False when any of them does not.
- An intervention that reports 1 to ``DISCLOSURE_THRESHOLD − 1`` participants a year is a
  small group (``few`` in the placed rows). Its participants count in every sum and reach like
  any other; the grids also give how many such interventions a cell holds and their part of its
  participants (``few_interventions``, ``few_participants``), so that the chapters can print a
  reach or sum that rests on them coarsely (numbers here, the coarsening is presentation).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from fouanalys.codebook import Codebook, load_codebook
from fouanalys.config import DISCLOSURE_THRESHOLD
from fouanalys.disclosure import small
from fouanalys.exceptions import FouanalysError
from fouanalys.priority import prioritised

log = logging.getLogger("fouanalys")

#: Known reach per 1 000 below which an addressed priority factor counts as thinly covered.
THIN_REACH_PER_1000 = 20
#: Share of a life stage's years an intervention's age span must hold to cover the stage.
MIN_STAGE_SHARE = 0.5

ONGOING = "pågående"
PLANNED = "planerad"
ENDED = "avslutad"
#: The knowledge level that counts as "not assessed" (a thin basis).
UNASSESSED = "ej bedömd"
#: Gap statuses, one per prioritised factor × stage (see :func:`gap_table`).
MISSING, THIN, UNKNOWN, PRESENT = "saknas", "tunn", "okänd", "finns"
GAP_STATUSES = (MISSING, THIN, UNKNOWN, PRESENT)
#: Kinds of index an intervention's factors are counted for.
FACTOR_KINDS = ("risk", "protective")

PLACED_COLUMNS = [
    "municipality_code",
    "intervention",
    "level",
    "targeting",
    "knowledge",
    "status",
    "stage",
    "age_from",
    "age_to",
    "overlap_from",
    "overlap_to",
    "participants",
    "few",
    "population_stage",
]
#: Value columns of every coverage grid (after its three key columns).
CELL_COLUMNS = [
    "interventions",
    "with_participants",
    "without_participants",
    "participants",
    "population",
    "reach_per_1000",
    "reach_complete",
    "few_interventions",
    "few_participants",
    "planned",
    "best_knowledge",
]
GAP_COLUMNS = [
    "municipality_code",
    "year",
    "factor",
    "kind",
    "stage",
    "rank",
    "interventions",
    "participants",
    "reach_per_1000",
    "unknown_reach",
    "few_interventions",
    "few_participants",
    "best_knowledge",
    "status",
]
#: The gap table's column types: ids and statuses as text, counts as nullable integers.
_GAP_DTYPES = {
    **dict.fromkeys(["municipality_code", "factor", "kind", "stage", "best_knowledge"], "str"),
    **dict.fromkeys(["rank", "interventions", "unknown_reach", "few_interventions"], "Int64"),
    **dict.fromkeys(["participants", "reach_per_1000", "few_participants"], "Float64"),
    "year": "int64",
    "status": "str",
}


# --- population -----------------------------------------------------------------------------


def _age_population(befolkning: pd.DataFrame, n_ages: int) -> tuple[pd.DataFrame, pd.Series]:
    """Population per municipality (rows) and single year of age 0..n_ages−1 (columns).

    The latest year per municipality, sexes summed; ages without rows count 0. Also returns
    the year used per municipality.
    """
    b = befolkning.loc[befolkning["alder"].notna() & befolkning["ar"].notna()]
    year = b.groupby("kommunkod")["ar"].max()
    b = b.loc[b["ar"] == b.groupby("kommunkod")["ar"].transform("max")]
    b = b.loc[(b["alder"] >= 0) & (b["alder"] < n_ages)]
    wide = (
        b.groupby(["kommunkod", "alder"])["antal"]
        .sum()
        .unstack("alder")
        .reindex(index=year.index, columns=range(n_ages))
        .fillna(0)
        .astype("int64")
    )
    return wide, year


def _stage_arrays(codebook: Codebook) -> tuple[list[str], np.ndarray, np.ndarray]:
    stages = codebook.life_stages
    return (
        [s.id for s in stages],
        np.array([s.age_from for s in stages], dtype=np.int64),
        np.array([s.age_to for s in stages], dtype=np.int64),
    )


def stage_population(befolkning: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """The population of every life stage per municipality (latest year, both sexes).

    Columns: ``municipality_code`` (str), ``year`` (Int64: the population year used),
    ``stage`` (str), ``population`` (Int64). One row per municipality in ``befolkning`` and
    codebook stage, in codebook order.
    """
    ids, sf, st = _stage_arrays(codebook)
    wide, year = _age_population(befolkning, int(st.max()) + 1)
    cum = np.concatenate([np.zeros((len(wide), 1), np.int64), wide.to_numpy().cumsum(1)], 1)
    pop = cum[:, st + 1] - cum[:, sf]  # (M, S)
    order = [c for c in codebook.municipality_codes if c in wide.index]
    order += sorted(c for c in wide.index if c not in order)
    rows = wide.index.get_indexer(order)
    return pd.DataFrame(
        {
            "municipality_code": pd.Series(np.repeat(order, len(ids)), dtype="str"),
            "year": pd.array(np.repeat(year.to_numpy()[rows], len(ids)), dtype="Int64"),
            "stage": pd.Series(np.tile(ids, len(order)), dtype="str"),
            "population": pd.array(pop[rows].ravel(), dtype="Int64"),
        }
    )


# --- placing --------------------------------------------------------------------------------


def _check_municipalities(insatser: pd.DataFrame, with_population: set, codebook: Codebook):
    codes = set(insatser["kommunkod"])
    unknown = sorted(codes - set(codebook.municipality_codes))
    if unknown:
        raise FouanalysError(
            f"Kartläggningen av insatser har okända kommunkoder: {', '.join(unknown)}. "
            "Rätta kommunkoden i insatser-filen eller lägg till kommunen i kodboken."
        )
    missing = sorted(codes - with_population)
    if missing:
        names = ", ".join(f"{c} {codebook.municipality_name(c)}" for c in missing)
        raise FouanalysError(
            f"Befolkningsuppgifter saknas för {names}, som har insatser i kartläggningen. "
            "Lägg till kommunens befolkning per ålder i befolkning-filen."
        )
    no_age = insatser["alder_fran"].isna() | insatser["alder_till"].isna()
    if no_age.any():
        bad = ", ".join(
            f"{k} {i}" for k, i in insatser.loc[no_age, ["kommunkod", "insats"]].to_numpy()
        )
        raise FouanalysError(f"Insatser utan åldersspann (alder_fran/alder_till): {bad}.")


def stage_covers(
    age_from: np.ndarray, age_to: np.ndarray, stage_from: np.ndarray, stage_to: np.ndarray
) -> np.ndarray:
    """Which of N age spans cover which of S stages, as an (N, S) bool array: the span holds at
    least :data:`MIN_STAGE_SHARE` of the stage's years (whole years, both ends included) or
    lies wholly inside it. The one rule for interventions (the gap map) and approaches (what
    fits a gap)."""
    a, b = np.asarray(age_from, np.int64)[:, None], np.asarray(age_to, np.int64)[:, None]
    sf, st = np.asarray(stage_from, np.int64)[None, :], np.asarray(stage_to, np.int64)[None, :]
    years = np.maximum(np.minimum(b, st) - np.maximum(a, sf) + 1, 0)
    inside = (a >= sf) & (b <= st)
    return (years > 0) & ((years >= MIN_STAGE_SHARE * (st - sf + 1)) | inside)


def place_on_life_course(
    insatser: pd.DataFrame, befolkning: pd.DataFrame, codebook: Codebook
) -> pd.DataFrame:
    """Every intervention laid over the life stages it covers, with its participants.

    A stage is covered when the intervention's span holds at least :data:`MIN_STAGE_SHARE` of
    its years or lies wholly inside it (see the module notes). All statuses are kept (the
    coverage tables pick ongoing and planned ones). Participants per year are spread over the
    ages of the covered stages in proportion to each age's population (latest year, both
    sexes); uniformly when those ages have no population. An intervention that covers no stage
    has no row.

    Columns: ``municipality_code, intervention, level, targeting, knowledge, status, stage``
    (str); ``age_from, age_to`` (Int64: the intervention's span); ``overlap_from, overlap_to``
    (Int64: the span within this stage); ``participants`` (Float64: its participants a year in
    this stage, NA when the intervention gives none); ``few`` (bool: the intervention reports
    1 to ``DISCLOSURE_THRESHOLD − 1`` participants a year, a small group); ``population_stage``
    (Int64: the stage's population). Sorted by municipality, intervention and stage
    (codebook order).

    Raises :class:`FouanalysError` naming a municipality that has interventions but no
    population rows, or is not in the codebook.
    """
    ids, sf, st = _stage_arrays(codebook)
    oldest = insatser["alder_till"].max() if len(insatser) else pd.NA
    n_ages = int(st.max() if pd.isna(oldest) else max(st.max(), oldest)) + 1
    wide, _ = _age_population(befolkning, n_ages)
    _check_municipalities(insatser, set(wide.index), codebook)

    cum = np.concatenate([np.zeros((len(wide), 1), np.int64), wide.to_numpy().cumsum(1)], 1)
    m = wide.index.get_indexer(insatser["kommunkod"])
    a = insatser["alder_fran"].to_numpy(dtype=np.int64)
    b = insatser["alder_till"].to_numpy(dtype=np.int64)
    lo = np.maximum(a[:, None], sf[None, :])  # (N, S)
    hi = np.minimum(b[:, None], st[None, :])
    years = np.maximum(hi - lo + 1, 0)
    covers = stage_covers(a, b, sf, st)
    # Population and years of each intervention's ages that lie in the stages it covers.
    row_pop = (
        cum[m[:, None], np.where(covers, hi + 1, 0)] - cum[m[:, None], np.where(covers, lo, 0)]
    )
    covered_pop = row_pop.sum(axis=1).astype(float)
    covered_years = np.where(covers, years, 0).sum(axis=1)
    i, s = np.nonzero(covers)
    lo, hi, mi = lo[i, s], hi[i, s], m[i]

    part_pop = (cum[mi, hi + 1] - cum[mi, lo]).astype(float)
    uniform = covered_pop[i] <= 0
    numerator = np.where(uniform, hi - lo + 1, part_pop)
    denominator = np.where(uniform, covered_years[i], covered_pop[i])
    given = insatser["deltagare_per_ar"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    participants = given[i] * numerator / denominator

    def column(name: str) -> pd.Series:
        return pd.Series(insatser[name].to_numpy()[i], dtype="str")

    placed = pd.DataFrame(
        {
            "municipality_code": column("kommunkod"),
            "intervention": column("insats"),
            "level": column("niva"),
            "targeting": column("inriktning"),
            "knowledge": column("kunskapslage"),
            "status": column("status"),
            "stage": pd.Series(np.asarray(ids, dtype=object)[s], dtype="str"),
            "age_from": pd.array(a[i], dtype="Int64"),
            "age_to": pd.array(b[i], dtype="Int64"),
            "overlap_from": pd.array(lo, dtype="Int64"),
            "overlap_to": pd.array(hi, dtype="Int64"),
            "participants": pd.array(
                np.where(np.isnan(participants), 0.0, participants), dtype="Float64"
            ),
            "few": small(np.nan_to_num(given[i], nan=0.0), DISCLOSURE_THRESHOLD),
            "population_stage": pd.array(cum[mi, st[s] + 1] - cum[mi, sf[s]], dtype="Int64"),
        }
    )
    placed.loc[np.isnan(participants), "participants"] = pd.NA
    placed["_stage"] = s
    placed = placed.sort_values(
        ["municipality_code", "intervention", "_stage"], kind="stable"
    ).drop(columns="_stage")
    return placed.reset_index(drop=True)[PLACED_COLUMNS]


def intervention_factors(insatser: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """The risk and protective factors each intervention lists (``insatser.faktorer``).

    Columns: ``municipality_code, intervention, factor`` (str); one row per intervention and
    codebook risk or protective index it lists, once; other listed ids are left out.
    """
    factors = [i.id for i in codebook.indices if i.kind in FACTOR_KINDS]
    lists = insatser[["kommunkod", "insats", "faktorer"]].rename(
        columns={"kommunkod": "municipality_code", "insats": "intervention"}
    )
    lists = lists.assign(factor=lists["faktorer"].fillna("").str.split(";")).explode("factor")
    lists = lists.loc[lists["factor"].isin(factors)].drop_duplicates(
        ["municipality_code", "intervention", "factor"]
    )
    return lists[["municipality_code", "intervention", "factor"]].reset_index(drop=True)


def place_on_ages(placed: pd.DataFrame, befolkning: pd.DataFrame) -> pd.DataFrame:
    """Every placed row (:func:`place_on_life_course`) split over its single years of age.

    The same rule as the placing: an intervention's participants go to each age of the stages
    it covers in proportion to that age's population (latest year, both sexes), uniformly when
    those ages have no population; so an age's part of a placed row is
    ``pop(age) / pop(overlap_from..overlap_to)`` of its participants (``1 / years`` when that
    population is 0), and an intervention's ages together hold all its participants a year.
    ``befolkning`` must be the frame the rows were placed with.

    Columns: ``municipality_code, intervention, status, stage`` (str); ``age`` (Int64, one row
    per age from ``overlap_from`` to ``overlap_to``); ``participants`` (Float64: the
    intervention's participants a year at this age, NA when it gives none); ``few`` (bool, as
    in the placed rows). In the order of ``placed``, ages ascending.
    """
    lo = placed["overlap_from"].to_numpy(dtype=np.int64)
    hi = placed["overlap_to"].to_numpy(dtype=np.int64)
    n_ages = int(hi.max()) + 1 if len(placed) else 1
    wide, _ = _age_population(befolkning, n_ages)
    cum = np.concatenate([np.zeros((len(wide), 1), np.int64), wide.to_numpy().cumsum(1)], 1)
    m = wide.index.get_indexer(placed["municipality_code"])
    years = hi - lo + 1
    row = np.repeat(np.arange(len(placed)), years)
    age = lo[row] + np.arange(len(row)) - np.repeat(np.cumsum(years) - years, years)
    overlap_pop = (cum[m, hi + 1] - cum[m, lo])[row].astype(float)
    age_pop = wide.to_numpy()[m[row], age].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        part = np.where(overlap_pop > 0, age_pop / overlap_pop, 1.0 / years[row])
    given = placed["participants"].to_numpy(dtype=float, na_value=np.nan)[row]

    def column(name: str) -> pd.Series:
        return pd.Series(placed[name].to_numpy()[row], dtype="str")

    return pd.DataFrame(
        {
            "municipality_code": column("municipality_code"),
            "intervention": column("intervention"),
            "status": column("status"),
            "stage": column("stage"),
            "age": pd.array(age, dtype="Int64"),
            "participants": pd.array(given * part, dtype="Float64"),
            "few": placed["few"].to_numpy(dtype=bool)[row],
        }
    )


# --- coverage grids -------------------------------------------------------------------------


def _population_lookup(placed: pd.DataFrame, population: pd.DataFrame | None) -> pd.Series:
    """Stage population indexed by (municipality_code, stage)."""
    if population is not None:
        return population.set_index(["municipality_code", "stage"])["population"]
    known = placed.drop_duplicates(["municipality_code", "stage"])
    return known.set_index(["municipality_code", "stage"])["population_stage"].rename("population")


def _grid(
    rows: pd.DataFrame,
    dim: str,
    categories: list[str],
    codebook: Codebook,
    population: pd.DataFrame | None,
    placed: pd.DataFrame,
) -> pd.DataFrame:
    """Cell counts per municipality × stage × ``dim`` over the full grid (codebook order)."""
    municipalities = codebook.municipality_codes
    stages = codebook.ids("life_stages")
    grid = pd.MultiIndex.from_product(
        [municipalities, stages, categories], names=["municipality_code", "stage", dim]
    )
    keys = ["municipality_code", "stage", dim]
    knowledge_rank = {k: n for n, k in enumerate(codebook.ids("knowledge_levels"))}
    ongoing = rows.loc[rows["status"] == ONGOING].assign(
        _known=lambda f: f["participants"].notna(),
        _kr=lambda f: f["knowledge"].map(knowledge_rank).astype(float),
        _few_p=lambda f: f["participants"].where(f["few"], 0.0).astype(float),
    )
    cells = ongoing.groupby(keys).agg(
        interventions=("intervention", "size"),
        with_participants=("_known", "sum"),
        participants=("participants", lambda p: p.sum(min_count=1)),
        few_interventions=("few", "sum"),
        few_participants=("_few_p", "sum"),
        _best=("_kr", "min"),
    )
    planned = rows.loc[rows["status"] == PLANNED].groupby(keys).size().rename("planned")
    cells = cells.reindex(grid).join(planned.reindex(grid))

    interventions = cells["interventions"].fillna(0).astype("int64")
    with_p = cells["with_participants"].fillna(0).astype("int64")
    participants = pd.array(cells["participants"].astype("Float64"))
    pop_lookup = _population_lookup(placed, population)
    pop_index = pd.MultiIndex.from_arrays([grid.get_level_values(0), grid.get_level_values(1)])
    pop = pd.array(pop_lookup.reindex(pop_index).to_numpy(), dtype="Int64")
    pop_float = pop.astype("Float64")
    pop_float[(pop_float == 0).fillna(False)] = pd.NA
    reach = 1000 * participants / pop_float
    levels = codebook.ids("knowledge_levels")
    best = cells["_best"].to_numpy()
    best_knowledge = pd.Series(
        [levels[int(x)] if not np.isnan(x) else None for x in best], dtype="str"
    )
    out = pd.DataFrame(
        {
            "municipality_code": pd.Series(grid.get_level_values(0), dtype="str"),
            "stage": pd.Series(grid.get_level_values(1), dtype="str"),
            dim: pd.Series(grid.get_level_values(2), dtype="str"),
            "interventions": pd.array(interventions.to_numpy(), dtype="Int64"),
            "with_participants": pd.array(with_p.to_numpy(), dtype="Int64"),
            "without_participants": pd.array((interventions - with_p).to_numpy(), dtype="Int64"),
            "participants": participants,
            "population": pop,
            "reach_per_1000": reach,
            "reach_complete": (interventions == with_p).to_numpy(),
            "few_interventions": pd.array(
                cells["few_interventions"].fillna(0).astype("int64").to_numpy(), dtype="Int64"
            ),
            "few_participants": pd.array(
                cells["few_participants"].fillna(0.0).to_numpy(dtype=float), dtype="Float64"
            ),
            "planned": pd.array(cells["planned"].fillna(0).to_numpy(), dtype="Int64"),
            "best_knowledge": best_knowledge,
        }
    )
    return out


_GRID_DOC = """

    Full grid: every codebook municipality × life stage × {dim}, in codebook order, zeros
    where nothing runs. Only ongoing interventions count; planned ones go to ``planned``.

    Columns: ``municipality_code, stage, {dim}`` (str); ``interventions`` (Int64: ongoing
    interventions in the cell); ``with_participants``, ``without_participants`` (Int64: of
    those, how many report / do not report participants); ``participants`` (Float64: their
    participants a year in the stage; NA when none of them reports any, also in an empty
    cell); ``population`` (Int64: the stage's population, NA when the municipality has no
    population rows); ``reach_per_1000`` (Float64: 1000 × participants / population, NA like
    participants or when the population is 0); ``reach_complete`` (bool: every ongoing
    intervention in the cell reports participants; True in an empty cell, where nothing is
    unknown); ``few_interventions`` (Int64: of the ongoing ones, how many report 1 to
    ``DISCLOSURE_THRESHOLD − 1`` participants a year); ``few_participants`` (Float64: their
    part of ``participants``, 0 when none); ``planned`` (Int64: planned interventions in the
    cell); ``best_knowledge`` (str: the highest knowledge level among the cell's ongoing
    interventions, codebook order, NA when none).

    ``population`` (optional, :func:`stage_population`'s frame) gives the stage populations;
    without it they come from ``placed``, so a stage none of a municipality's interventions
    touches has NA population.
"""


def _grid_doc(dim: str):
    """Append the shared column documentation of a coverage grid to a function's docstring."""

    def decorate(func):
        if func.__doc__:  # absent under python -OO
            func.__doc__ += _GRID_DOC.format(dim=dim)
        return func

    return decorate


@_grid_doc("level")
def coverage_table(
    placed: pd.DataFrame, codebook: Codebook, population: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Ongoing interventions per municipality × stage × level (``coverage.parquet``)."""
    return _grid(placed, "level", codebook.ids("levels"), codebook, population, placed)


@_grid_doc("factor")
def factor_coverage_table(
    placed: pd.DataFrame,
    insatser: pd.DataFrame,
    codebook: Codebook,
    population: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Ongoing interventions per municipality × stage × factor (``factor_coverage.parquet``).

    Factors are the codebook's risk and protective indices; an intervention counts once for
    each factor it lists (``insatser.faktorer``). Other listed ids are left out."""
    factors = [i.id for i in codebook.indices if i.kind in FACTOR_KINDS]
    rows = placed.merge(
        intervention_factors(insatser, codebook), on=["municipality_code", "intervention"]
    )
    return _grid(rows, "factor", factors, codebook, population, placed)


@_grid_doc("targeting")
def targeting_coverage_table(
    placed: pd.DataFrame, codebook: Codebook, population: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Ongoing interventions per municipality × stage × targeting (the targeting pyramid)."""
    return _grid(placed, "targeting", codebook.ids("targeting"), codebook, population, placed)


def ongoing_interventions(placed: pd.DataFrame) -> pd.DataFrame:
    """The ongoing interventions of ``placed``, one row each: the set every count of "the
    municipality's ongoing interventions" is taken over (the knowledge profile, the quality
    profile of :mod:`fouanalys.quality`), so that they give one number.

    An intervention is ongoing when its status is :data:`ONGOING`; one that covers no life
    stage has no placed row and is not counted. Columns: ``municipality_code``,
    ``intervention``, ``level``, ``knowledge`` (str); ``participants`` (Float64: its known
    participants a year, summed over its stages; NA when it gives none); ``few`` (bool: it
    reports 1 to ``DISCLOSURE_THRESHOLD − 1`` participants a year). Sorted by municipality and
    intervention.
    """
    ongoing = placed.loc[placed["status"] == ONGOING]
    per_intervention = ongoing.groupby(["municipality_code", "intervention"], sort=True).agg(
        level=("level", "first"),
        knowledge=("knowledge", "first"),
        participants=("participants", lambda p: p.sum(min_count=1)),
        few=("few", "any"),
    )
    out = per_intervention.reset_index()
    for col in ("municipality_code", "intervention", "level", "knowledge"):
        out[col] = out[col].astype("str")
    out["participants"] = out["participants"].astype("Float64")
    out["few"] = out["few"].astype(bool)
    return out[["municipality_code", "intervention", "level", "knowledge", "participants", "few"]]


def knowledge_profile(placed: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """How much of each municipality's ongoing work rests on which knowledge level.

    Counts interventions (not intervention × stage) and their participants over all stages.
    One row per codebook municipality × knowledge level, codebook order.

    Columns: ``municipality_code, knowledge`` (str); ``interventions`` (Int64: ongoing ones at
    this level); ``with_participants``, ``without_participants`` (Int64); ``share_of_interventions``
    (Float64: of the municipality's ongoing interventions; NA when it has none);
    ``participants`` (Float64: their known participants a year; NA when none reports any);
    ``share_of_reach`` (Float64: of the municipality's known participants; a level whose
    interventions report none counts 0; NA when the municipality knows no participants);
    ``few_interventions`` (Int64: of the level's ongoing interventions, how many report 1 to
    ``DISCLOSURE_THRESHOLD − 1`` participants a year) and ``few_participants`` (Float64: their
    part of ``participants``, 0 when none).
    """
    levels = codebook.ids("knowledge_levels")
    municipalities = codebook.municipality_codes
    per_intervention = ongoing_interventions(placed).set_index(
        ["municipality_code", "intervention"]
    )
    per_intervention["_known"] = per_intervention["participants"].notna()
    per_intervention["_few_p"] = (
        per_intervention["participants"].where(per_intervention["few"], 0.0).astype(float)
    )
    grid = pd.MultiIndex.from_product(
        [municipalities, levels], names=["municipality_code", "knowledge"]
    )
    cells = (
        per_intervention.reset_index()
        .groupby(["municipality_code", "knowledge"])
        .agg(
            interventions=("intervention", "size"),
            with_participants=("_known", "sum"),
            participants=("participants", lambda p: p.sum(min_count=1)),
            few_interventions=("few", "sum"),
            few_participants=("_few_p", "sum"),
        )
        .reindex(grid)
    )
    n = cells["interventions"].fillna(0).astype("int64")
    with_p = cells["with_participants"].fillna(0).astype("int64")
    participants = cells["participants"].astype("Float64")
    muni = grid.get_level_values(0)
    n_total = n.groupby(level=0).transform("sum")
    p_total = participants.fillna(0).groupby(level=0).transform("sum")
    known_total = with_p.groupby(level=0).transform("sum")
    share_n = (n / n_total.where(n_total > 0)).astype("Float64")
    share_p = (participants.fillna(0) / p_total.where(known_total > 0)).astype("Float64")
    return pd.DataFrame(
        {
            "municipality_code": pd.Series(muni, dtype="str"),
            "knowledge": pd.Series(grid.get_level_values(1), dtype="str"),
            "interventions": pd.array(n.to_numpy(), dtype="Int64"),
            "with_participants": pd.array(with_p.to_numpy(), dtype="Int64"),
            "without_participants": pd.array((n - with_p).to_numpy(), dtype="Int64"),
            "share_of_interventions": pd.array(share_n.to_numpy(), dtype="Float64"),
            "participants": pd.array(participants.to_numpy(), dtype="Float64"),
            "share_of_reach": pd.array(share_p.to_numpy(), dtype="Float64"),
            "few_interventions": pd.array(
                cells["few_interventions"].fillna(0).astype("int64").to_numpy(), dtype="Int64"
            ),
            "few_participants": pd.array(
                cells["few_participants"].fillna(0.0).to_numpy(dtype=float), dtype="Float64"
            ),
        }
    )


# --- gaps -----------------------------------------------------------------------------------


def gap_table(
    factor_coverage: pd.DataFrame,
    priority_table: pd.DataFrame,
    codebook: Codebook,
    year: int | None = None,
) -> pd.DataFrame:
    """Prioritised factor × life stage: one status code, with the numbers behind it.

    Factors are the prioritised ones of :func:`fouanalys.priority.priority_factors` in
    ``year`` or each municipality's latest survey year; stages are those the codebook says the
    factor can be addressed in (``index.stages``). A municipality without a prioritised factor
    has no rows. ``status``, from the ongoing interventions that cover the stage and list the
    factor:

    - ``"saknas"``: none;
    - ``"tunn"``: all report participants and their reach is under :data:`THIN_REACH_PER_1000`;
    - ``"okänd"``: some report no participants and the known reach is under the threshold;
    - ``"finns"``: the known reach is at or above the threshold.

    Columns: ``municipality_code`` (str), ``year`` (int), ``factor``, ``kind``, ``stage``
    (str); ``rank`` (Int64: the factor's rank for all students); ``interventions`` (Int64:
    covering ongoing ones); ``participants`` (Float64: their known participants a year, NA when
    none is known); ``reach_per_1000`` (Float64: from the known participants, NA when none is
    known); ``unknown_reach`` (Int64: covering interventions without a participant count);
    ``few_interventions``, ``few_participants`` (as in the coverage grids); ``best_knowledge``
    (str, NA when none); ``status`` (str). Codes and numbers only: the
    chapter words them. Sorted by municipality, rank, factor and stage.
    """
    prio = prioritised(priority_table, year=year)
    prio = prio[["municipality_code", "year", "factor", "kind", "rank"]]
    stages_of = {i.id: i.stages for i in codebook.indices}
    stage_order = {s: n for n, s in enumerate(codebook.ids("life_stages"))}
    factor_order = {f: n for n, f in enumerate(codebook.ids("indices"))}
    prio = prio.assign(stage=prio["factor"].map(stages_of)).explode("stage")
    prio = prio.loc[prio["stage"].notna()]
    cells = factor_coverage[
        [
            "municipality_code",
            "stage",
            "factor",
            "interventions",
            "without_participants",
            "participants",
            "reach_per_1000",
            "few_interventions",
            "few_participants",
            "best_knowledge",
        ]
    ].rename(columns={"without_participants": "unknown_reach"})
    gaps = prio.merge(cells, on=["municipality_code", "factor", "stage"], how="left")
    gaps["interventions"] = gaps["interventions"].astype("Int64").fillna(0)
    gaps["unknown_reach"] = gaps["unknown_reach"].astype("Int64").fillna(0)
    gaps["few_interventions"] = gaps["few_interventions"].astype("Int64").fillna(0)
    gaps["few_participants"] = gaps["few_participants"].astype("Float64").fillna(0.0)
    known = gaps["reach_per_1000"].astype("Float64").fillna(0).to_numpy(dtype=float)
    gaps["status"] = np.select(
        [
            (gaps["interventions"] == 0).to_numpy(dtype=bool),
            known >= THIN_REACH_PER_1000,
            (gaps["unknown_reach"] > 0).to_numpy(dtype=bool),
        ],
        [MISSING, PRESENT, UNKNOWN],
        default=THIN,
    )
    gaps = gaps.assign(
        _rank=gaps["rank"].astype("Float64").fillna(np.inf),
        _factor=gaps["factor"].map(factor_order),
        _stage=gaps["stage"].map(stage_order),
    ).sort_values(["municipality_code", "_rank", "_factor", "_stage"], kind="stable")
    return gaps.reset_index(drop=True)[GAP_COLUMNS].astype(_GAP_DTYPES)[GAP_COLUMNS]


# --- regional comparison --------------------------------------------------------------------


def regional_coverage(
    coverage: pd.DataFrame,
    codebook: Codebook | None = None,
    value: str = "reach_per_1000",
    dim: str = "level",
) -> pd.DataFrame:
    """Each municipality's coverage profile side by side: a wide frame, one column each.

    Rows: ``stage, <dim>`` (str, codebook order of the input), one per cell of the grid; then
    one Float64 column per codebook municipality (named by its code) holding ``value`` (by
    default reach per 1 000, NA where unknown), and, for reach, a column named by the region's
    code with the region pooled: 1000 × Σ known participants / Σ population over the
    municipalities (NA when none is known). Works on any grid from this module
    (``dim="factor"`` for factor_coverage, ``"targeting"`` for the targeting grid).
    """
    codebook = codebook or load_codebook()
    municipalities = [
        c for c in codebook.municipality_codes if c in set(coverage["municipality_code"])
    ]
    keys = coverage[["stage", dim]].drop_duplicates()
    wide = coverage.pivot(index=["stage", dim], columns="municipality_code", values=value)
    wide = wide.reindex(pd.MultiIndex.from_frame(keys))[municipalities].astype("Float64")
    if value == "reach_per_1000":
        pooled = coverage.groupby(["stage", dim], sort=False).agg(
            participants=("participants", lambda p: p.sum(min_count=1)),
            population=("population", "sum"),
        )
        pooled = pooled.reindex(wide.index)
        pop = pooled["population"].astype("Float64")
        pop = pop.where(pop > 0)
        wide[codebook.region.code] = (1000 * pooled["participants"].astype("Float64") / pop).astype(
            "Float64"
        )
    out = wide.reset_index()
    out.columns.name = None
    out["stage"] = out["stage"].astype("str")
    out[dim] = out[dim].astype("str")
    return out


# --- all of it ------------------------------------------------------------------------------


def coverage_tables(
    insatser: pd.DataFrame,
    befolkning: pd.DataFrame,
    priority_table: pd.DataFrame,
    codebook: Codebook,
) -> dict[str, pd.DataFrame]:
    """The chapter's tables from the typed inputs and the prioritised factors
    (:func:`fouanalys.priority.priority_factors`).

    Returns ``{"coverage", "factor_coverage", "targeting_coverage", "knowledge_profile",
    "gaps"}``, each as the function of that name returns it (stage populations from
    ``befolkning`` for the full grid).
    """
    population = stage_population(befolkning, codebook)
    placed = place_on_life_course(insatser, befolkning, codebook)
    factor = factor_coverage_table(placed, insatser, codebook, population=population)
    tables = {
        "coverage": coverage_table(placed, codebook, population=population),
        "factor_coverage": factor,
        "targeting_coverage": targeting_coverage_table(placed, codebook, population=population),
        "knowledge_profile": knowledge_profile(placed, codebook),
        "gaps": gap_table(factor, priority_table, codebook),
    }
    log.debug(
        "coverage: %d interventions placed in %d intervention × stage rows, %d gap rows",
        len(insatser),
        len(placed),
        len(tables["gaps"]),
    )
    return tables
