"""A sketch of recruitment into, and exit from, a criminal network among young people aged 12–20.

The model shows mechanisms and the direction of the three prevention levers in a synthetic youth
network shaped by one municipality's own figures; it is not a forecast. Time runs in months.

Every young person is in one of five states::

    0 ej involverad -> 1 i riskzonen -> 2 i nätverket -> 3 avhoppad
                          |  ^                 |  ^           |
                          +--+ (tillbaka)      |  +-----------+ (återfall)
                                               +-> 4 skadad (allvarligt skadad av våld)

* Drift into the risk zone rises with the person's *push* factors (family, school, neighbourhood
  risk indices: poor prospects, school failure) and with network-involved contacts.
* Recruitment from the risk zone rises with the number of network-involved contacts, weighted by
  how far their careers have come, and with the person's *pull* factors (individual and peer
  risk indices: excitement, money, respect, belonging); boys are recruited more often.
* Inside the network a career builds up; the longer it is, the harder the exit. Fear deters exit
  (the more of one's contacts are in the network, the stronger), while violence experienced pushes
  it; violence also harms.
* At 21 a person leaves the model and a new 12-year-old takes the place (an open population).

Risk profiles come from the municipality's prevalence table (share above each index's cut-point
by sex, grade 9 for ages 12–15 and upper secondary year 2 for 16–20), correlated through one
latent factor; each risk index weighs by the log of its risk ratio with criminal acts in the
association table. The drift rate is calibrated so that, without network pressure, the share in
the risk zone equals the share who report criminal acts in the survey.

The three levers come from the inventory (ongoing interventions with participant counts):
*förebygga* lowers the weight of the factors its interventions address at the ages they reach;
*förhindra* places serve young people in the risk zone — they cut exposure and bring them back;
*riskreducera* places serve those in the network — they raise exit and lower violence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import ndtri

from fouanalys.codebook import Codebook
from fouanalys.exceptions import NetworkModelError
from fouanalys.network import block_model_adjacency

AGES = np.arange(12, 21)  # whole years simulated: 12..20
N_AGES = len(AGES)
AGE_OUT_MONTHS = 21 * 12
STATES = ("ej involverad", "i riskzonen", "i nätverket", "avhoppad", "skadad")
NOT_INVOLVED, AT_RISK, IN_NETWORK, EXITED, HARMED = range(5)
SEXES = ("Pojke", "Flicka")
#: Risk-index domains whose factors act as pull (what the network offers); the rest push.
PULL_DOMAINS = frozenset({"individ", "kamrater_fritid"})
YOUNG_GRADE, OLD_GRADE = "Åk 9", "Gy 2"  # survey grades standing for ages 12–15 and 16–20
LEVELS = ("förebygga", "förhindra", "riskreducera")


@dataclass(frozen=True)
class Parameter:
    """One model parameter: its default, allowed range, plain-Swedish meaning and source."""

    name: str
    default: float
    low: float
    high: float
    meaning: str
    source: str = "antagande"
    integer: bool = False
    #: Uncertainty: each replicate draws the value log-uniformly between value ÷ spread and
    #: value × spread (within ``low``–``high``); 1 holds it fixed.
    spread: float = 1.0


PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "skala",
        1.0,
        0.01,
        1.0,
        "Andel av kommunens 12–20-åringar som modellen simulerar (1 = alla)",
        "kommunens befolkning (befolkningsunderlaget)",
    ),
    Parameter("manader", 120, 12, 600, "Antal simulerade månader", integer=True),
    Parameter(
        "omrade_storlek",
        800,
        50,
        20_000,
        "Antal unga per bostadsområde i det syntetiska nätverket",
        integer=True,
    ),
    Parameter(
        "kontakter_arskull",
        6.0,
        0.0,
        50.0,
        "Genomsnittligt antal kontakter i samma område och åldersgrupp (skola, klass)",
    ),
    Parameter(
        "kontakter_aldrar",
        2.0,
        0.0,
        20.0,
        "Genomsnittligt antal kontakter i samma område men annan åldersgrupp",
        "Brå 2023: rekryterare är ofta 15–20 år och de rekryterade 12–15 år; antalet "
        "är ett antagande",
    ),
    Parameter(
        "kontakter_utanfor",
        1.0,
        0.0,
        20.0,
        "Genomsnittligt antal kontakter utanför det egna området",
    ),
    Parameter(
        "andel_utsatta_omraden", 0.2, 0.0, 1.0, "Andel av områdena där nätverket finns från start"
    ),
    Parameter(
        "startandel_natverk",
        0.03,
        0.0,
        0.2,
        "Andel av 15–20-åringarna i de utsatta områdena som är med i nätverket från start",
    ),
    Parameter(
        "latent_korrelation",
        0.3,
        0.0,
        0.95,
        "Samvariation mellan riskfaktorerna (korrelation i en gemensam bakomliggande faktor)",
    ),
    Parameter(
        "riskvikt",
        0.5,
        0.0,
        2.0,
        "Hur starkt riskfaktorerna slår igenom: faktorernas vikt är logaritmen av deras "
        "riskkvot för brott gånger detta tal (under 1 eftersom faktorerna överlappar)",
        "riskkvoterna kommer från kommunens enkät; multiplikatorn är ett antagande",
        spread=1.5,
    ),
    Parameter("skyddsvikt", 0.3, 0.0, 2.0, "Hur mycket varje skyddsfaktor sänker risken"),
    Parameter(
        "atergang_risk",
        0.03,
        0.0,
        1.0,
        "Sannolikhet per månad att en ung i riskzonen lämnar den av sig själv",
        spread=1.5,
    ),
    Parameter(
        "exponering",
        0.5,
        0.0,
        10.0,
        "Hur mycket varje kontakt i nätverket ökar glidningen in i riskzonen",
        spread=2.0,
    ),
    Parameter(
        "rekrytering",
        0.006,
        0.0,
        1.0,
        "Rekryteringstryck per månad och kontakt i nätverket (för en ung i riskzonen)",
        spread=2.0,
    ),
    Parameter(
        "rekrytering_bakgrund",
        0.0003,
        0.0,
        0.1,
        "Rekrytering per månad utan kontakter i nätverket (t.ex. via sociala medier)",
        "Brå 2023: rekrytering kan gå på mindre än ett dygn; nivån är ett antagande",
        spread=2.0,
    ),
    Parameter(
        "pojkar_faktor",
        3.0,
        1.0,
        20.0,
        "Hur många gånger oftare pojkar rekryteras än flickor (maskulinitetsnormer)",
        "Brå 2023: de flesta i nätverken är pojkar och unga män; talet är ett antagande",
    ),
    Parameter(
        "karriar_manader",
        24,
        1,
        120,
        "Månader i nätverket tills karriären är fullt uppbyggd",
        integer=True,
    ),
    Parameter(
        "karriar_inlasning",
        1.0,
        0.0,
        5.0,
        "Hur mycket en uppbyggd karriär sänker viljan att hoppa av",
        spread=1.5,
    ),
    Parameter(
        "avhopp",
        0.02,
        0.0,
        1.0,
        "Sannolikhet per månad att hoppa av i början av karriären",
        spread=2.0,
    ),
    Parameter(
        "radsla_hinder",
        0.6,
        0.0,
        1.0,
        "Hur mycket rädsla för repressalier hindrar avhopp när alla kontakter är i nätverket",
        spread=1.5,
    ),
    Parameter(
        "vald",
        0.008,
        0.0,
        1.0,
        "Sannolikhet per månad att utsättas för våld i nätverket",
        spread=2.0,
    ),
    Parameter(
        "konflikt",
        0.3,
        0.0,
        5.0,
        "Hur mycket varje kontakt i nätverket ökar risken för våld (konflikter)",
        "Green m.fl. 2017: våld sprids i nätverk; styrkan är ett antagande",
        spread=2.0,
    ),
    Parameter(
        "skada_vid_vald",
        0.1,
        0.0,
        1.0,
        "Andel av våldshändelserna som leder till allvarlig skada",
        spread=1.5,
    ),
    Parameter(
        "vald_puttar",
        2.0,
        0.0,
        20.0,
        "Hur mycket ett nyligen upplevt våld ökar viljan att hoppa av",
        spread=2.0,
    ),
    Parameter(
        "vald_minne", 6, 1, 60, "Månader som ett upplevt våld påverkar avhoppet", integer=True
    ),
    Parameter(
        "aterfall",
        0.01,
        0.0,
        1.0,
        "Sannolikhet per månad att en avhoppad återvänder till nätverket",
        spread=2.0,
    ),
    Parameter(
        "forebygga_effekt",
        0.3,
        0.0,
        1.0,
        "Hur mycket en förebyggande insats sänker vikten av den faktor den riktar sig mot",
        spread=1.5,
    ),
    Parameter(
        "forhindra_atergang",
        1.0,
        0.0,
        10.0,
        "Hur mycket en plats i en förhindrande insats ökar återgången från riskzonen",
        spread=2.0,
    ),
    Parameter(
        "forhindra_exponering",
        0.5,
        0.0,
        1.0,
        "Hur mycket en förhindrande insats minskar exponeringen för nätverket",
        spread=1.5,
    ),
    Parameter(
        "riskreducera_avhopp",
        1.0,
        0.0,
        10.0,
        "Hur mycket en plats i avhopparverksamhet eller liknande ökar avhoppen",
        spread=2.0,
    ),
    Parameter(
        "riskreducera_vald",
        0.3,
        0.0,
        1.0,
        "Hur mycket riskreducerande insatser minskar våldet mot dem som nås",
        spread=1.5,
    ),
    Parameter(
        "forstarkning",
        2.0,
        1.0,
        10.0,
        "Förstärkt hävstång: räckvidden eller platserna gånger detta tal …",
    ),
    Parameter(
        "forstarkning_tillagg",
        0.02,
        0.0,
        1.0,
        "… men minst så här mycket mer (andel av åldersgruppen, räknat per 1 000: ×1 000)",
    ),
    Parameter(
        "troskel",
        0.3,
        0.0,
        1.0,
        "Strukturanalysen: andel av kontakterna som måste vara i nätverket för att en ung utan "
        "riskfaktorer ska dras med (lägre för den med fler riskfaktorer)",
    ),
    Parameter(
        "utfall_manader",
        60,
        1,
        600,
        "Utfallen räknas på dem som fyller 21 under de sista så här många månaderna",
        integer=True,
    ),
)
PARAMETER_INDEX = {p.name: p for p in PARAMETERS}


def model_parameters(overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """Every parameter's default, with ``overrides`` applied after checking name and range."""
    values = {p.name: p.default for p in PARAMETERS}
    for name, value in (overrides or {}).items():
        spec = PARAMETER_INDEX.get(name)
        if spec is None:
            import difflib

            close = difflib.get_close_matches(name, list(PARAMETER_INDEX), n=1)
            hint = f" Menade du '{close[0]}'?" if close else ""
            raise NetworkModelError(f"Okänd modellparameter '{name}'.{hint}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise NetworkModelError(
                f"Modellparametern '{name}' ska vara ett tal, inte {value!r}."
            ) from None
        if not (spec.low <= number <= spec.high) or math.isnan(number):
            raise NetworkModelError(
                f"Modellparametern '{name}' = {value} ligger utanför det tillåtna intervallet "
                f"{spec.low:g}–{spec.high:g} ({spec.meaning.rstrip(' …')})."
            )
        if spec.integer and number != int(number):
            raise NetworkModelError(f"Modellparametern '{name}' ska vara ett heltal, inte {value}.")
        values[name] = int(number) if spec.integer else number
    return values


def parameter_range(spec: Parameter, value: float) -> tuple[float, float]:
    """The range a replicate draws ``spec`` from around ``value``: value ÷ spread to value ×
    spread, kept within the parameter's allowed ``low``–``high``."""
    return max(spec.low, value / spec.spread), min(spec.high, value * spec.spread)


def draw_parameters(params: Mapping[str, float], rng: np.random.Generator) -> dict[str, float]:
    """One draw of the uncertain parameters around ``params`` (log-uniform in
    :func:`parameter_range`; a value of 0 or a spread of 1 stays as it is)."""
    values = model_parameters(params)
    for spec in PARAMETERS:
        if spec.spread == 1 or values[spec.name] == 0:
            continue
        low, high = parameter_range(spec, values[spec.name])
        values[spec.name] = float(np.exp(rng.uniform(np.log(low), np.log(high))))
    return values


def parameter_table(values: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The parameter table, one row each: ``parameter, value, default, low, high, meaning,
    source``; ``low``–``high`` is the range the ensemble draws it from (both equal to
    ``value`` when the parameter is held fixed)."""
    values = model_parameters(values)
    ranges = [
        parameter_range(p, values[p.name]) if p.spread != 1 else (values[p.name],) * 2
        for p in PARAMETERS
    ]
    return pd.DataFrame(
        {
            "parameter": [p.name for p in PARAMETERS],
            "value": [values[p.name] for p in PARAMETERS],
            "default": [p.default for p in PARAMETERS],
            "low": [lo for lo, _ in ranges],
            "high": [hi for _, hi in ranges],
            "meaning": [p.meaning for p in PARAMETERS],
            "source": [p.source for p in PARAMETERS],
        }
    )


# --- inputs from the municipality's tables -------------------------------------------------


@dataclass(frozen=True)
class RiskProfile:
    """What the model takes from the survey for one municipality.

    ``shares[s, g, f]``: share above factor f's cut-point for sex s (Pojke, Flicka) and age group
    g (0: 12–15 from grade 9, 1: 16–20 from upper secondary year 2). ``weights[f]``: the factor's
    weight (log risk ratio for risk factors, ``skyddsvikt`` for protective ones, before
    ``riskvikt``). ``sign[f]``: +1 risk, −1 protective. ``pull[f]``: True for pull factors.
    ``crime_share[s, g]``: share reporting criminal acts (the calibration target).
    """

    factors: tuple[str, ...]
    shares: np.ndarray
    weights: np.ndarray
    sign: np.ndarray
    pull: np.ndarray
    crime_share: np.ndarray
    year: int
    sources: dict = field(default_factory=dict)


def _latest_year(frame: pd.DataFrame, code: str) -> int:
    years = frame.loc[frame["municipality_code"] == code, "year"].dropna()
    if years.empty:
        raise NetworkModelError(
            f"Kommun {code} har inga rader i enkätens prevalenstabell; modellen behöver "
            "kommunens riskprofil."
        )
    return int(years.max())


def _share(
    prev: pd.DataFrame, codes: Sequence[str], year: int, grade: str, sex: str, factor: str
) -> tuple[float, str]:
    """The first unsuppressed share among the fallbacks: municipality/region × grade/Alla."""
    for code in codes:
        for g in (grade, "Alla"):
            row = prev[
                (prev["municipality_code"] == code)
                & (prev["year"] == year)
                & (prev["grade"] == g)
                & (prev["sex"] == sex)
                & (prev["factor"] == factor)
            ]
            if len(row) and not bool(row["suppressed"].iloc[0]) and pd.notna(row["share"].iloc[0]):
                return float(row["share"].iloc[0]), f"{code}/{g}"
    raise NetworkModelError(
        f"Ingen publicerad andel för faktorn '{factor}' ({sex}, {year}) i kommunen eller "
        "regionen; modellen kan inte dra riskprofiler."
    )


def risk_profile(
    prevalence: pd.DataFrame, associations: pd.DataFrame, municipality_code: str, codebook: Codebook
) -> RiskProfile:
    """The municipality's risk profile for the model, from its latest survey year.

    Suppressed cells fall back to the grade total, then to the region (``sources`` records
    which cell each share came from). Risk ratios below 1 or missing give weight 0.
    """
    year = _latest_year(prevalence, municipality_code)
    codes = (municipality_code, codebook.region.code)
    factors = [ix for ix in codebook.indices if ix.kind in ("risk", "protective")]
    outcome = next(ix.id for ix in codebook.indices if ix.kind == "outcome")
    shares = np.zeros((2, 2, len(factors)))
    crime = np.zeros((2, 2))
    sources: dict[str, str] = {}
    for s, sex in enumerate(SEXES):
        for g, grade in enumerate((YOUNG_GRADE, OLD_GRADE)):
            for f, ix in enumerate(factors):
                shares[s, g, f], sources[f"{ix.id}/{sex}/{grade}"] = _share(
                    prevalence, codes, year, grade, sex, ix.id
                )
            crime[s, g], _ = _share(prevalence, codes, year, grade, sex, outcome)
    weights = np.zeros(len(factors))
    for f, ix in enumerate(factors):
        if ix.kind != "risk":
            continue
        for code in codes:
            row = associations[
                (associations["municipality_code"] == code)
                & (associations["year"] == year)
                & (associations["grade"] == "Alla")
                & (associations["factor"] == ix.id)
            ]
            if len(row) and not bool(row["suppressed"].iloc[0]):
                rr = row["risk_ratio"].iloc[0]
                if pd.notna(rr):
                    weights[f] = max(0.0, math.log(float(rr)))
                    break
    return RiskProfile(
        factors=tuple(ix.id for ix in factors),
        shares=np.clip(shares, 0.0, 1.0),
        weights=weights,
        sign=np.array([1.0 if ix.kind == "risk" else -1.0 for ix in factors]),
        pull=np.array([ix.domain in PULL_DOMAINS for ix in factors]),
        crime_share=np.clip(crime, 0.0, 1.0),
        year=year,
        sources=sources,
    )


def population_counts(befolkning: pd.DataFrame, municipality_code: str) -> np.ndarray:
    """Population aged 12..20 in the latest year, as an array ``[sex (Pojke, Flicka), age]``."""
    rows = befolkning[befolkning["kommunkod"] == municipality_code]
    if rows.empty:
        raise NetworkModelError(
            f"Kommun {municipality_code} saknas i befolkningsunderlaget; modellen behöver antalet "
            "12–20-åringar."
        )
    rows = rows[rows["ar"] == rows["ar"].max()]
    counts = np.zeros((2, N_AGES), dtype=np.int64)
    for s, sex in enumerate(SEXES):
        by_age = rows[rows["kon"] == sex].groupby("alder")["antal"].sum()
        counts[s] = [int(by_age.get(a, 0)) for a in AGES]
    if counts.sum() == 0:
        raise NetworkModelError(
            f"Kommun {municipality_code} har inga 12–20-åringar i befolkningsunderlaget."
        )
    return counts


@dataclass(frozen=True)
class Levers:
    """The municipality's current reach at each level, in the model's terms.

    ``prevent[a, f]``: share of age ``AGES[a]`` that förebygga interventions addressing factor
    ``f`` reach (participants over the population of the ages each intervention spans, summed,
    capped at 1). ``hinder[a]`` and ``reduce[a]``: förhindra and riskreducera places a year at age
    ``AGES[a]`` (participants spread over each intervention's ages by population). Interventions
    without a participant count are counted in ``without_participants`` and add no reach.
    """

    prevent: np.ndarray
    hinder: np.ndarray
    reduce: np.ndarray
    interventions: dict = field(default_factory=dict)
    without_participants: dict = field(default_factory=dict)


def _ids(text: object) -> list[str]:
    return [t for t in str(text or "").split(";") if t]


def lever_inputs(
    insatser: pd.DataFrame,
    befolkning: pd.DataFrame,
    municipality_code: str,
    profile: RiskProfile,
) -> Levers:
    """Current reach of each level from the ongoing interventions of ``municipality_code``."""
    rows = befolkning[befolkning["kommunkod"] == municipality_code]
    rows = rows[rows["ar"] == rows["ar"].max()]
    pop = rows.groupby("alder")["antal"].sum()
    pop_by_age = {int(a): int(n) for a, n in pop.items()}
    prevent = np.zeros((N_AGES, len(profile.factors)))
    hinder = np.zeros(N_AGES)
    reduce = np.zeros(N_AGES)
    counted = dict.fromkeys(LEVELS, 0)
    unknown = dict.fromkeys(LEVELS, 0)
    ongoing = insatser[
        (insatser["kommunkod"] == municipality_code) & (insatser["status"] == "pågående")
    ]
    factor_pos = {f: i for i, f in enumerate(profile.factors)}
    for row in ongoing.itertuples(index=False):
        lo, hi = int(row.alder_fran), int(row.alder_till)
        if hi < AGES[0] or lo > AGES[-1] or row.niva not in counted:
            continue
        if pd.isna(row.deltagare_per_ar):
            unknown[row.niva] += 1
            continue
        span = [pop_by_age.get(a, 0) for a in range(lo, hi + 1)]
        total = sum(span)
        if total == 0:
            continue
        counted[row.niva] += 1
        ages = [a for a in range(max(lo, AGES[0]), min(hi, AGES[-1]) + 1)]
        idx = np.array(ages) - AGES[0]
        participants = float(row.deltagare_per_ar)
        if row.niva == "förebygga":
            for f in _ids(row.faktorer):
                if f in factor_pos:
                    prevent[idx, factor_pos[f]] += participants / total
        else:
            places = participants * np.array([pop_by_age.get(a, 0) for a in ages]) / total
            (hinder if row.niva == "förhindra" else reduce)[idx] += places
    return Levers(np.clip(prevent, 0.0, 1.0), hinder, reduce, counted, unknown)


def lever_table(levers: Levers, counts: np.ndarray, profile: RiskProfile) -> pd.DataFrame:
    """The levers in words: ``level, measure, value, interventions, without_participants``."""
    pop = counts.sum(axis=0)
    risk = profile.sign > 0
    prevent_share = float((levers.prevent[:, risk].mean(axis=1) * pop).sum() / pop.sum())
    return pd.DataFrame(
        {
            "level": list(LEVELS),
            "measure": [
                "genomsnittlig räckvidd mot riskfaktorerna (andel av 12–20-åringarna)",
                "platser per år för unga 12–20 år",
                "platser per år för unga 12–20 år",
            ],
            "value": [prevent_share, float(levers.hinder.sum()), float(levers.reduce.sum())],
            "interventions": [levers.interventions[lv] for lv in LEVELS],
            "without_participants": [levers.without_participants[lv] for lv in LEVELS],
        }
    )


def strengthen(
    levers: Levers, level: str, params: Mapping[str, float], counts: np.ndarray
) -> Levers:
    """``level`` strengthened: reach or places × ``forstarkning``, but at least
    ``forstarkning_tillagg`` of the age group more (for places: that share of the population)."""
    factor, extra = params["forstarkning"], params["forstarkning_tillagg"]
    if level == "förebygga":
        risk_cols = np.ones(levers.prevent.shape[1], dtype=bool)
        new = np.maximum(levers.prevent * factor, levers.prevent + extra)
        return replace(levers, prevent=np.where(risk_cols, np.clip(new, 0.0, 1.0), levers.prevent))
    pop = counts.sum(axis=0).astype(float)
    name = {"förhindra": "hinder", "riskreducera": "reduce"}.get(level)
    if name is None:
        raise NetworkModelError(f"Okänd nivå '{level}'; välj bland {', '.join(LEVELS)}.")
    current = getattr(levers, name)
    return replace(levers, **{name: np.maximum(current * factor, current + extra * pop)})


# --- the synthetic population ---------------------------------------------------------------


@dataclass
class Population:
    """One synthetic youth population: its network and each person's attributes."""

    adjacency: sp.csr_array
    sex: np.ndarray  # 0 boy, 1 girl
    age_months: np.ndarray  # int
    area: np.ndarray
    vulnerable_area: np.ndarray  # bool per person
    flags: np.ndarray  # [person, factor] float 0/1
    scale: float


def _draw_flags(
    shares: np.ndarray, sign: np.ndarray, rho: float, rng: np.random.Generator
) -> np.ndarray:
    """0/1 factor flags with the given marginal shares, correlated through one latent factor.

    Risk factors load positively and protective ones negatively on the common factor (a
    Gaussian copula), so risk factors go together and protection goes with less risk.
    """
    n, k = shares.shape
    common = rng.standard_normal(n)[:, None]
    own = rng.standard_normal((n, k))
    latent = math.sqrt(rho) * common * sign[None, :] + math.sqrt(1.0 - rho) * own
    cut = ndtri(np.clip(shares, 1e-9, 1 - 1e-9))
    return (latent < cut).astype(float)


def _age_group(age_months: np.ndarray) -> np.ndarray:
    return (age_months >= 16 * 12).astype(np.int64)


def build_population(
    counts: np.ndarray, profile: RiskProfile, params: Mapping[str, float], rng: np.random.Generator
) -> Population:
    """Draw the youth population and its clustered network (a stochastic block model).

    Blocks are bostadsområde × age group (12–14, 15–17, 18–20: school stages). Within a block
    people meet in school and leisure (``kontakter_arskull`` contacts on average), across age
    groups in the same area ``kontakter_aldrar``, and anywhere else ``kontakter_utanfor``.
    """
    scale = float(params["skala"])
    per_cell = np.maximum(0, np.rint(counts * scale)).astype(np.int64)
    n = int(per_cell.sum())
    if n < 2:
        raise NetworkModelError(
            f"Modellen får bara {n} unga med skala {scale:g}; höj parametern 'skala'."
        )
    sex = np.repeat(np.repeat([0, 1], N_AGES), per_cell.ravel())
    years = np.repeat(np.tile(AGES, 2), per_cell.ravel())
    age_months = years * 12 + rng.integers(0, 12, n)
    n_areas = max(1, round(n / params["omrade_storlek"]))
    area = rng.permutation(np.arange(n) % n_areas)
    band = np.minimum((age_months // 12 - 12) // 3, 2)
    order = np.lexsort((band, area))
    sex, age_months, area, band = sex[order], age_months[order], area[order], band[order]
    block = area * 3 + band
    sizes = np.bincount(block, minlength=3 * n_areas)
    p = np.zeros((3 * n_areas, 3 * n_areas))
    for a in range(n_areas):
        ids = np.arange(3 * a, 3 * a + 3)
        area_size = sizes[ids].sum()
        for b in ids:
            if sizes[b] > 1:
                p[b, b] = min(1.0, params["kontakter_arskull"] / (sizes[b] - 1))
            others = area_size - sizes[b]
            for c in ids:
                if c != b and others > 0:
                    p[b, c] = min(1.0, params["kontakter_aldrar"] / others)
    p = np.minimum(p, p.T)  # symmetric: the stricter of the two sides' expectations
    local = block_model_adjacency(sizes, p, rng)
    if n > 1 and params["kontakter_utanfor"] > 0:
        p_out = min(1.0, params["kontakter_utanfor"] / (n - 1))
        anywhere = block_model_adjacency([n], np.array([[p_out]]), rng)
        adjacency = ((local + anywhere) > 0).astype(np.int8).tocsr()
    else:
        adjacency = local
    share = params["andel_utsatta_omraden"]
    n_vulnerable = max(1, round(share * n_areas)) if share > 0 else 0
    vulnerable_areas = rng.choice(n_areas, size=n_vulnerable, replace=False)
    flags = np.zeros((n, len(profile.factors)))
    group = _age_group(age_months)
    for s in (0, 1):
        for g in (0, 1):
            who = np.flatnonzero((sex == s) & (group == g))
            share = np.broadcast_to(profile.shares[s, g], (len(who), len(profile.factors)))
            flags[who] = _draw_flags(share, profile.sign, params["latent_korrelation"], rng)
    return Population(
        adjacency=sp.csr_array(adjacency),
        sex=sex,
        age_months=age_months,
        area=area,
        vulnerable_area=np.isin(area, vulnerable_areas),
        flags=flags,
        scale=scale,
    )


# --- the dynamics ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One simulation: state counts per month and the outcomes among those who turned 21."""

    counts: np.ndarray  # [month 0..months, state]
    entered_risk: int  # moves from not involved into the risk zone
    recruited: int  # recruitments into the network (relapses after an exit not counted)
    exits: int
    harmed: int
    aged_out: int  # people who turned 21 in the outcome window
    ever_involved: int  # of those, how many had ever been in the network
    scale: float

    @property
    def share_involved_by_21(self) -> float:
        return self.ever_involved / self.aged_out if self.aged_out else float("nan")


def _score_weights(
    profile: RiskProfile, prevent: np.ndarray, params: Mapping[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Per age, the weight of each flag and a constant, for the push and the pull score.

    A reached risk factor weighs ``forebygga_effekt`` × reach less; a reached person without a
    protective factor gets that share of its protection. Both are linear in the flags, so a
    score is ``flags · slope[age] + offset[age]``. Protective factors count half in each score.
    Returns ``slope[part, age, factor]`` and ``offset[part, age]`` with part 0 push, 1 pull.
    """
    risk = profile.sign > 0
    w = np.where(risk, profile.weights * params["riskvikt"], params["skyddsvikt"])
    reach = prevent * params["forebygga_effekt"]  # [age, factor]
    slope = np.where(risk, w * (1.0 - reach), -w * (1.0 - reach))
    offset = np.where(risk, 0.0, -w * reach)
    protect_half = np.where(risk, 0.0, 0.5)
    keeps = [(risk & ~profile.pull) + protect_half, (risk & profile.pull) + protect_half]
    slopes = np.stack([slope * keep for keep in keeps])
    offsets = np.stack([(offset * keep).sum(axis=1) for keep in keeps])
    return slopes, offsets


def _factor_scores(
    flags: np.ndarray, age_idx: np.ndarray, weights: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """Push and pull scores (log-hazard units) of the given people: ``[part, person]``."""
    slopes, offsets = weights
    return np.einsum("nf,pnf->pn", flags, slopes[:, age_idx]) + offsets[:, age_idx]


def calibrate_drift(
    pop: Population, profile: RiskProfile, params: Mapping[str, float]
) -> np.ndarray:
    """Drift rate per sex so that, without network pressure and before any lever, the expected
    share in the risk zone (drift / (drift + return) per person) equals the survey's share
    reporting criminal acts for that sex."""
    weights = _score_weights(profile, np.zeros((N_AGES, len(profile.factors))), params)
    push = _factor_scores(pop.flags, pop.age_months // 12 - AGES[0], weights)[0]
    back = params["atergang_risk"]
    rates = np.zeros(2)
    target = profile.crime_share.mean(axis=1)
    for s in (0, 1):
        mult = np.exp(push[pop.sex == s])
        if len(mult) == 0 or back == 0:
            continue
        lo, hi = 1e-9, 10.0
        for _ in range(60):  # bisection on a log scale
            mid = math.sqrt(lo * hi)
            share = np.mean(mid * mult / (mid * mult + back))
            lo, hi = (mid, hi) if share < target[s] else (lo, mid)
        rates[s] = math.sqrt(lo * hi)
    return rates


def _coverage(places: np.ndarray | float, group: np.ndarray | int) -> np.ndarray:
    """Share of a target group that places reach: ``places / (places + group)``.

    Saturating rather than ``min(1, places / group)``: not every place goes to someone who needs
    it, so coverage is a half when places equal the group and approaches 1 only slowly.
    """
    places = np.asarray(places, dtype=float)
    total = places + np.asarray(group, dtype=float)
    return np.divide(places, total, out=np.zeros_like(total), where=total > 0)


def _hazard(rate: np.ndarray | float) -> np.ndarray:
    """Monthly probability from a monthly hazard."""
    return -np.expm1(-np.asarray(rate, dtype=float))


def _start_states(
    pop: Population, profile: RiskProfile, params: Mapping[str, float], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    n = len(pop.sex)
    state = np.zeros(n, dtype=np.int8)
    group = _age_group(pop.age_months)
    at_risk = rng.random(n) < profile.crime_share[pop.sex, group]
    state[at_risk] = AT_RISK
    eligible = np.flatnonzero(pop.vulnerable_area & (pop.age_months >= 15 * 12))
    k = min(len(eligible), round(params["startandel_natverk"] * len(eligible)))
    career = np.zeros(n)
    if k:
        weights = _score_weights(profile, np.zeros((N_AGES, len(profile.factors))), params)
        scores = _factor_scores(pop.flags, pop.age_months // 12 - AGES[0], weights)
        weight = np.exp(scores.sum(axis=0))[eligible] * np.where(
            pop.sex[eligible] == 0, params["pojkar_faktor"], 1.0
        )
        chosen = rng.choice(eligible, size=k, replace=False, p=weight / weight.sum())
        state[chosen] = IN_NETWORK
        career[chosen] = rng.integers(0, params["karriar_manader"] + 1, k)
    return state, career


def _in_states(state: np.ndarray) -> tuple[dict, np.ndarray]:
    """Where everyone is, from ``state[person, scenario]``: ``{x: (persons, scenarios)}`` of
    those in each state ``x`` but ej involverad (few, so their hazards are cheap to compute
    alone), and the count in every state per scenario, ``[scenario, state]``."""
    n, k = state.shape
    where = {x: np.divmod(np.flatnonzero(state == x), k) for x in range(1, len(STATES))}
    counts = np.zeros((k, len(STATES)), dtype=np.int64)
    for x, (_, scenario) in where.items():
        counts[:, x] = np.bincount(scenario, minlength=k)
    counts[:, NOT_INVOLVED] = n - counts.sum(axis=1)
    return where, counts


def _member_contacts(
    by_contact: sp.csc_array, persons: np.ndarray, scenarios: np.ndarray, weight: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per person and scenario ``[person, scenario]``: the summed ``weight`` of their contacts
    among the members (``persons[i]`` in ``scenarios[i]``, sorted by person), and how many
    contacts those are.

    The same as ``adjacency @ x`` with x the members' weights (0 for everyone else), summed in
    the same order (members ascending, as a sorted CSR row stores its columns), so bit for bit
    equal, but only the members' own contacts are visited. ``by_contact`` is the adjacency in
    CSC form: column j lists the contacts of j.
    """
    n = by_contact.shape[0]
    start = by_contact.indptr[persons]
    size = by_contact.indptr[persons + 1] - start
    pair = np.repeat(np.arange(len(persons)), size)
    entry = np.arange(size.sum()) + np.repeat(start - (np.cumsum(size) - size), size)
    cell = by_contact.indices[entry] * k + scenarios[pair]
    link = by_contact.data[entry]
    weighted = np.bincount(cell, weights=link * weight[pair], minlength=n * k)
    counted = np.bincount(cell, weights=link, minlength=n * k)
    return weighted.reshape(n, k), counted.reshape(n, k)


# simulate_scenarios stays one function: it is the model's monthly loop, and its hazards read best
# next to each other in the order the month's draws are used (ageing is apart, in helpers below).
def simulate_scenarios(
    pop: Population,
    profile: RiskProfile,
    lever_sets: Sequence[Levers],
    params: Mapping[str, float],
    rng: np.random.Generator,
) -> list[Run]:
    """Run the model month by month for each lever set, all in one pass; one :class:`Run` each.

    No draw depends on the levers (start states, the month's random numbers, the flags of new
    12-year-olds), so the scenarios share them: common random numbers. Each scenario's run is
    the one :func:`simulate` gives for its levers with the same ``rng`` seed, bit for bit. The
    state arrays are ``[person, scenario]``; one sparse product a month serves every scenario,
    and each transition's hazard is computed only for those in the state it leaves.
    The population is copied, so one population can serve several calls.
    """
    if not lever_sets:
        raise NetworkModelError("Ange minst en uppsättning insatsnivåer (ett scenario).")
    params = model_parameters(params)
    n, k = len(pop.sex), len(lever_sets)
    by_contact = sp.csc_array(pop.adjacency.astype(float))  # column j: the contacts of j
    degree = np.asarray(pop.adjacency.sum(axis=1)).ravel().astype(float)
    inv_degree = np.divide(1.0, degree, out=np.zeros(n), where=degree > 0)
    months = int(params["manader"])
    window_start = months - int(params["utfall_manader"])
    drift = calibrate_drift(pop, profile, params)[pop.sex][:, None]
    boys = np.where(pop.sex == 0, params["pojkar_faktor"], 1.0)
    hinder_places = np.stack([lv.hinder * pop.scale for lv in lever_sets])  # [scenario, age]
    reduce_places = np.array([lv.reduce.sum() * pop.scale for lv in lever_sets])
    age_months = pop.age_months.copy()
    flags = pop.flags.copy()
    start, start_career = _start_states(pop, profile, params, rng)
    state = np.repeat(start[:, None], k, axis=1)
    career = np.repeat(start_career[:, None], k, axis=1)
    ever = state == IN_NETWORK
    violence_until = np.full((n, k), -1)
    counts = np.zeros((k, months + 1, len(STATES)), dtype=np.int64)
    entered_risk, recruited, exits, harmed, ever_involved = np.zeros((5, k), dtype=np.int64)
    aged_out = 0
    age_idx = age_months // 12 - AGES[0]
    parts = [_score_weights(profile, lv.prevent, params) for lv in lever_sets]
    weights = (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
    scores = _factor_scores(flags, age_idx, weights)  # [push 0, pull 0, push 1, …; person]
    # Change only at birthdays: drift × exp(push) (the 0 -> 1 rate without contacts, and its
    # hazard: exactly the one with contacts when there are none), exp(pull).
    growth = np.exp(scores)
    base01, pull = drift * growth[0::2].T, growth[1::2].T.copy()
    alone01 = _hazard(base01)
    for t in range(1, months + 1):
        u = rng.random((4, n))
        where, counts[:, t - 1] = _in_states(state)
        (p1, s1), (p2, s2), (p3, s3) = where[AT_RISK], where[IN_NETWORK], where[EXITED]
        career_level = np.minimum(1.0, career[p2, s2] / params["karriar_manader"])
        pressure, inside = _member_contacts(by_contact, p2, s2, 1.0 + career_level, k)
        at_risk_by_age = np.bincount(age_idx[p1] + N_AGES * s1, minlength=k * N_AGES)
        hinder_cov = _coverage(hinder_places, at_risk_by_age.reshape(k, N_AGES))[s1, age_idx[p1]]
        reduce_cov = _coverage(reduce_places, np.bincount(s2, minlength=k))

        # 0 -> 1: drift into the risk zone (push factors, network contacts).
        to_risk = (state == NOT_INVOLVED) & (u[0, :, None] < alone01)
        p0, s0 = np.divmod(np.flatnonzero(pressure > 0), k)
        h01 = base01[p0, s0] * (1.0 + params["exponering"] * pressure[p0, s0])
        to_risk[p0, s0] = (state[p0, s0] == NOT_INVOLVED) & (u[0, p0] < _hazard(h01))
        # 1 -> 0 or 2: back out, or recruited (pull factors, contacts, boys more).
        exposure = pressure[p1, s1] * (1.0 - params["forhindra_exponering"] * hinder_cov)
        h10 = params["atergang_risk"] * (1.0 + params["forhindra_atergang"] * hinder_cov)
        h12 = (
            (params["rekrytering_bakgrund"] + params["rekrytering"] * exposure)
            * pull[p1, s1]
            * boys[p1]
        )
        leave = u[0, p1] < _hazard(h10 + h12)
        recruit = leave & (u[1, p1] * (h10 + h12) < h12)
        back = leave & ~recruit
        # In the network: violence (harm or a push to exit), else exit against career and fear.
        p_violence = (
            _hazard(params["vald"] * (1.0 + params["konflikt"] * pressure[p2, s2]))
            * (1.0 - params["riskreducera_vald"] * reduce_cov)[s2]
        )
        violence = u[2, p2] < p_violence
        harm = violence & (u[3, p2] < params["skada_vid_vald"])
        violence_until[p2[violence & ~harm], s2[violence & ~harm]] = t + params["vald_minne"]
        fear = inside[p2, s2] * inv_degree[p2]
        h23 = (
            params["avhopp"]
            * np.exp(-params["karriar_inlasning"] * career_level)
            * (1.0 - params["radsla_hinder"] * fear)
            * (1.0 + params["vald_puttar"] * (violence_until[p2, s2] >= t))
            * (1.0 + params["riskreducera_avhopp"] * reduce_cov)[s2]
        )
        exit_ = ~violence & (u[0, p2] < _hazard(h23))
        # 3 -> 2: relapse, pulled back by contacts still inside.
        relapse = u[0, p3] < _hazard(params["aterfall"] * (1.0 + pressure[p3, s3]))

        p0, s0 = np.divmod(np.flatnonzero(to_risk), k)
        state[p0, s0] = AT_RISK
        state[p1[back], s1[back]] = NOT_INVOLVED
        state[p1[recruit], s1[recruit]] = IN_NETWORK
        state[p3[relapse], s3[relapse]] = IN_NETWORK
        state[p2[exit_], s2[exit_]] = EXITED
        state[p2[harm], s2[harm]] = HARMED
        stay = ~harm & ~exit_
        career[p2[stay], s2[stay]] += 1
        ever[p1[recruit], s1[recruit]] = True
        entered_risk += np.bincount(s0, minlength=k)
        recruited += np.bincount(s1[recruit], minlength=k)
        exits += np.bincount(s2[exit_], minlength=k)
        harmed += np.bincount(s2[harm], minlength=k)

        # Ageing: those turning 21 leave, a new 12-year-old takes each place.
        age_months += 1
        out = np.flatnonzero(age_months >= AGE_OUT_MONTHS)
        if len(out):
            if t > window_start:
                aged_out += len(out)
                ever_involved += ever[out].sum(axis=0)
            state[out] = NOT_INVOLVED
            _replace_aged_out(out, age_months, career, ever, violence_until)
            _redraw_flags(out, flags, pop, profile, params, rng)
        age_idx = age_months // 12 - AGES[0]
        # Scores change only for those with a birthday this month (new 12-year-olds included).
        birthday = np.flatnonzero(age_months % 12 == 0)
        scores = _factor_scores(flags[birthday], age_idx[birthday], weights)
        growth = np.exp(scores)
        base01[birthday], pull[birthday] = drift[birthday] * growth[0::2].T, growth[1::2].T
        alone01[birthday] = _hazard(base01[birthday])
    counts[:, months] = _in_states(state)[1]
    return [
        Run(
            counts[s],
            int(entered_risk[s]),
            int(recruited[s]),
            int(exits[s]),
            int(harmed[s]),
            aged_out,
            int(ever_involved[s]),
            pop.scale,
        )
        for s in range(k)
    ]


def simulate(
    pop: Population,
    profile: RiskProfile,
    levers: Levers,
    params: Mapping[str, float],
    rng: np.random.Generator,
) -> Run:
    """Run the model month by month for one lever set (:func:`simulate_scenarios` with one).

    For common random numbers across scenarios, give each the same ``rng`` seed, or run them
    together with :func:`simulate_scenarios`, which gives the same runs in a fraction of the time.
    """
    return simulate_scenarios(pop, profile, [levers], params, rng)[0]


def _replace_aged_out(
    out: np.ndarray,
    age_months: np.ndarray,
    career: np.ndarray,
    ever: np.ndarray,
    violence_until: np.ndarray,
) -> None:
    """Reset the places of those who turned 21 to a new, uninvolved 12-year-old (in place)."""
    age_months[out] = 12 * 12
    career[out] = 0
    ever[out] = False
    violence_until[out] = -1


def _redraw_flags(
    out: np.ndarray,
    flags: np.ndarray,
    pop: Population,
    profile: RiskProfile,
    params: Mapping[str, float],
    rng: np.random.Generator,
) -> None:
    """Draw the risk flags of the new 12-year-olds in places ``out``, boys first (in place)."""
    for s in (0, 1):
        who = out[pop.sex[out] == s]
        if len(who):
            share = np.broadcast_to(profile.shares[s, 0], (len(who), flags.shape[1]))
            flags[who] = _draw_flags(share, profile.sign, params["latent_korrelation"], rng)


# --- scenarios and ensembles ----------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A scenario: which levers are strengthened beyond the municipality's current reach."""

    id: str
    label: str
    strengthened: tuple[str, ...] = ()


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("nulage", "Nuläge"),
    Scenario("forebygga", "Förebygga förstärkt", ("förebygga",)),
    Scenario("forhindra", "Förhindra förstärkt", ("förhindra",)),
    Scenario("riskreducera", "Riskreducera förstärkt", ("riskreducera",)),
    Scenario("alla", "Alla tre förstärkta", LEVELS),
)


@dataclass(frozen=True)
class ModelInputs:
    """Everything the model takes from one municipality's processed tables."""

    municipality_code: str
    profile: RiskProfile
    counts: np.ndarray
    levers: Levers


def model_inputs(
    tables: Mapping[str, pd.DataFrame], municipality_code: str, codebook: Codebook
) -> ModelInputs:
    """The model's inputs from the processed tables ``prevalence``, ``associations``,
    ``insatser`` and ``befolkning``."""
    profile = risk_profile(
        tables["prevalence"], tables["associations"], municipality_code, codebook
    )
    counts = population_counts(tables["befolkning"], municipality_code)
    levers = lever_inputs(tables["insatser"], tables["befolkning"], municipality_code, profile)
    return ModelInputs(municipality_code, profile, counts, levers)


@dataclass(frozen=True)
class ScenarioResults:
    """An ensemble: ``runs`` has one row per scenario × replicate, ``timeseries`` one per
    scenario × replicate × month × state (model counts divided by ``skala``), ``draws`` one per
    replicate with the parameter values it drew (``replicate`` and one column per parameter)."""

    runs: pd.DataFrame
    timeseries: pd.DataFrame
    params: dict
    draws: pd.DataFrame = field(default_factory=pd.DataFrame)


def scenario_levers(inputs: ModelInputs, scenario: Scenario, params: Mapping[str, float]) -> Levers:
    """The levers of ``scenario``: current reach with its strengthened levels raised."""
    levers = inputs.levers
    for level in scenario.strengthened:
        levers = strengthen(levers, level, params, inputs.counts)
    return levers


def run_scenarios(
    inputs: ModelInputs,
    params: Mapping[str, float] | None = None,
    replicates: int = 12,
    seed: int = 20261126,
    scenarios: Sequence[Scenario] = SCENARIOS,
    progress: bool = False,
    uncertain: bool = True,
) -> ScenarioResults:
    """Run every scenario ``replicates`` times.

    Replicate ``r`` draws one population and network (seed ``[seed, r, 0]``), and, when
    ``uncertain``, one set of the uncertain parameters (:func:`draw_parameters`, seed
    ``[seed, r, 2]``); it runs every scenario on them with the same random numbers (seed
    ``[seed, r, 1]``: common random numbers), so scenario differences within a replicate come
    from the levers, not from chance or the parameters. The spread between replicates is
    chance and parameter uncertainty together. A replicate's scenarios run as one stacked
    simulation (:func:`simulate_scenarios`), the same runs as one :func:`simulate` each.

    ``progress=True`` shows a :mod:`tqdm.auto` bar over the replicates (a widget in JupyterLab
    when ipywidgets is installed, else text); chapter 05 turns it on only when a person runs
    the notebook (:func:`fouanalys.workbench.interactive`), never in the build. The results do
    not depend on it.
    """
    params = model_parameters(params)
    if replicates < 1:
        raise NetworkModelError(f"Antalet upprepningar ska vara minst 1, inte {replicates}.")
    lever_sets = {sc.id: scenario_levers(inputs, sc, params) for sc in scenarios}
    runs, series, draws = [], [], []
    steps = range(replicates)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc="Simulerar", unit="upprepning")
    for r in steps:
        pop = build_population(
            inputs.counts, inputs.profile, params, np.random.default_rng([seed, r, 0])
        )
        drawn = (
            draw_parameters(params, np.random.default_rng([seed, r, 2])) if uncertain else params
        )
        draws.append({"replicate": r} | drawn)
        together = simulate_scenarios(
            pop,
            inputs.profile,
            [lever_sets[sc.id] for sc in scenarios],
            drawn,
            np.random.default_rng([seed, r, 1]),
        )
        for sc, run in zip(scenarios, together, strict=True):
            runs.append(
                {
                    "scenario": sc.id,
                    "replicate": r,
                    "share_involved_by_21": run.share_involved_by_21,
                    "entered_risk": run.entered_risk / run.scale,
                    "harmed": run.harmed / run.scale,
                    "recruited": run.recruited / run.scale,
                    "exits": run.exits / run.scale,
                    "in_network_end": run.counts[-1, IN_NETWORK] / run.scale,
                    "at_risk_end": run.counts[-1, AT_RISK] / run.scale,
                    "aged_out": run.aged_out,
                }
            )
            months = np.arange(run.counts.shape[0])
            series.append(
                pd.DataFrame(
                    {
                        "scenario": sc.id,
                        "replicate": r,
                        "month": np.repeat(months, len(STATES)),
                        "state": np.tile(np.array(STATES, dtype=object), len(months)),
                        "count": run.counts.ravel() / run.scale,
                    }
                )
            )
    return ScenarioResults(
        pd.DataFrame(runs), pd.concat(series, ignore_index=True), params, pd.DataFrame(draws)
    )


#: Central share of the replicates a band covers: the 10th to the 90th percentile.
BAND_LEVEL = 0.8
#: Outcomes whose change against nuläge the summary gives relative to nuläge (in the same
#: replicate): recruitments into the network, people in it at the end, people seriously harmed.
RELATIVE_OUTCOMES = ("recruited", "in_network_end", "harmed")


def scenario_bands(
    results: ScenarioResults, state: str = STATES[IN_NETWORK], level: float = BAND_LEVEL
) -> pd.DataFrame:
    """Per scenario and month, one state's count per 1 000 young people in the model: the mean
    over replicates and the central ``level`` band.

    Columns: ``scenario, month, mean, low, high``.
    """
    ts = results.timeseries
    keys = ["scenario", "replicate", "month"]
    total = ts.groupby(keys, sort=False)["count"].sum().rename("total")
    one = ts[ts["state"] == state].join(total, on=keys)
    one = one.assign(per_1000=1000 * one["count"] / one["total"])
    q = (1 - level) / 2
    grouped = one.groupby(["scenario", "month"], sort=False)["per_1000"]
    out = grouped.mean().rename("mean").to_frame()
    out["low"] = grouped.quantile(q)
    out["high"] = grouped.quantile(1 - q)
    return out.reset_index()


def paired_relative_change(results: ScenarioResults, outcome: str) -> pd.DataFrame:
    """Per scenario and replicate, ``outcome`` relative to nuläge in the same replicate:
    scenario ÷ nuläge − 1 (NaN where nuläge is 0). Columns: ``scenario, replicate, change``."""
    runs = results.runs
    base = runs[runs["scenario"] == SCENARIOS[0].id].set_index("replicate")[outcome]
    value = runs[outcome].to_numpy(dtype=float)
    reference = runs["replicate"].map(base).to_numpy(dtype=float)
    change = np.full(len(runs), np.nan)
    np.divide(value, reference, out=change, where=reference > 0)
    change -= 1.0
    return pd.DataFrame(
        {"scenario": runs["scenario"], "replicate": runs["replicate"], "change": change}
    )


def scenario_summary(results: ScenarioResults, level: float = BAND_LEVEL) -> pd.DataFrame:
    """Per scenario, the ensemble's outcomes as the chapter reads them.

    Columns: ``scenario, label, replicates``; ``share_involved_by_21`` (mean over replicates),
    ``share_involved_by_21_low``/``_high`` (central ``level`` band over replicates) and
    ``share_involved_by_21_change`` (mean of the replicate-wise difference to nuläge); for each
    of :data:`RELATIVE_OUTCOMES` ``<m>_rel`` (median over replicates of the relative change
    against nuläge in the same replicate, :func:`paired_relative_change`), ``<m>_rel_low`` and
    ``<m>_rel_high`` (its central ``level`` band). The relative changes leave out replicates
    where nuläge has none of the outcome.
    """
    runs = results.runs
    q = (1 - level) / 2
    base = runs[runs["scenario"] == SCENARIOS[0].id].set_index("replicate")
    labels = {sc.id: sc.label for sc in SCENARIOS}
    relative = {m: paired_relative_change(results, m) for m in RELATIVE_OUTCOMES}
    rows = []
    for sc_id, group in runs.groupby("scenario", sort=False):
        row = {"scenario": sc_id, "label": labels.get(sc_id, sc_id), "replicates": len(group)}
        g = group.set_index("replicate")
        m = "share_involved_by_21"
        row[m] = g[m].mean()
        row[f"{m}_low"] = g[m].quantile(q)
        row[f"{m}_high"] = g[m].quantile(1 - q)
        row[f"{m}_change"] = (g[m] - base[m].reindex(g.index)).mean() if len(base) else np.nan
        for m, frame in relative.items():
            change = frame.loc[frame["scenario"] == sc_id, "change"].dropna()
            row[f"{m}_rel"] = change.median() if len(change) else np.nan
            row[f"{m}_rel_low"] = change.quantile(q) if len(change) else np.nan
            row[f"{m}_rel_high"] = change.quantile(1 - q) if len(change) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


# --- structure: which positions matter ------------------------------------------------------


def structure_experiment(
    inputs: ModelInputs,
    params: Mapping[str, float] | None = None,
    seed: int = 20261126,
    fractions: Sequence[float] = (0.0, 0.1, 0.25, 0.5),
    n_random: int = 20,
) -> pd.DataFrame:
    """Which members matter: the cascade when the most central network members leave, against
    as many chosen at random (:func:`fouanalys.network.removal_experiment`).

    The graph is the youth network of the areas where the network starts (replicate 0 of
    :func:`run_scenarios`), the members are its starting members, and each young person joins
    the deterministic threshold cascade when the share of their contacts inside reaches
    ``troskel`` × exp(−risk score) (more risk factors, lower threshold). ``fractions`` of the
    members are taken out, ranked by betweenness. Returns removal_experiment's frame.
    """
    from fouanalys.network import removal_experiment

    params = model_parameters(params)
    pop = build_population(
        inputs.counts, inputs.profile, params, np.random.default_rng([seed, 0, 0])
    )
    state, _ = _start_states(pop, inputs.profile, params, np.random.default_rng([seed, 0, 1]))
    keep = np.flatnonzero(pop.vulnerable_area)
    if len(keep) == 0:
        raise NetworkModelError(
            "Strukturanalysen behöver minst ett utsatt område; höj 'andel_utsatta_omraden'."
        )
    sub = pop.adjacency[keep][:, keep]
    weights = _score_weights(inputs.profile, np.zeros_like(inputs.levers.prevent), params)
    risk = _factor_scores(pop.flags[keep], pop.age_months[keep] // 12 - AGES[0], weights)
    theta = np.clip(params["troskel"] * np.exp(-risk.sum(axis=0)), 0.0, 1.0)
    members = np.flatnonzero(state[keep] == IN_NETWORK)
    removed = sorted({round(f * len(members)) for f in fractions})
    return removal_experiment(
        sub,  # the centrality's networkx graph is made from it; the cascades run on it as is
        dict(enumerate(theta.tolist())),
        members.tolist(),
        removed,
        np.random.default_rng([seed, 0, 2]),
        n_random=n_random,
        candidates=members.tolist(),
    )
