"""Synthetic example data: survey answers, interventions and population for every municipality.

The embedded example (``data/raw/example/``) is generated here, deterministically: every random
draw comes from one explicit :class:`numpy.random.Generator` seeded with the given seed, so the
same seed and scale give byte-identical files. The data are realistic in shape and scale, and
clearly marked as synthetic; they are not results about any real municipality.

Model, in brief:

* **Population** (``befolkning``): single years of age 0–25 by sex for 2018–2024, from each
  municipality's total inhabitants (growing or shrinking at a steady rate) and an age profile of
  about 1.1–1.3 % of the inhabitants per year of age (about 51.5 % boys). Cohorts age from one
  year to the next, with net migration plus noise; age 0 is a new birth cohort each year.
* **Survey** (``enkat``, Stockholmsenkäten export layout): respondents per municipality, year,
  grade and sex are Binomial(population of the grade's age, response rate). Every respondent
  has one latent trait per codebook index, multivariate normal with correlations of 0.4–0.55
  between risk domains, 0.35–0.5 between protective ones and −0.25 to −0.45 across; means are
  shifted by municipality (:data:`MUNICIPALITY_RISK`), sex, grade and a mild trend (offending
  declines). The outcome trait (self-reported offending) is a regression on the risk and
  protective traits plus noise. Each item is drawn by a graded-response (ordered logit) model
  from its index's trait with item-specific discrimination and thresholds; a reversed item is
  coded so that a high trait gives a low code. Each index's location is calibrated so that the
  share above its cut-point among all åk 9 respondents hits a target (:data:`TARGET_SHARE`).
  About 3 % of items are left unanswered, and about 3 % of respondents break off.
* **Respondents who are not serious** (so that the exclusion rule of
  :func:`fouanalys.response.unserious` has something to find): about
  :data:`STRAIGHT_LINERS` of the respondents give one extreme answer to every agree/disagree
  statement, and about :data:`IMPLAUSIBLE_OFFENDERS` the top answer to every offending
  question. They are drawn from the survey's stream after all its other draws, so every other
  respondent keeps its answers.
* **Enrolled pupils** (``elever``): per municipality, survey year and grade, the population at
  the grade's age (both sexes) times a share enrolled in the grade (:data:`ENROLLED_SHARE`),
  never fewer than the grade's respondents. From their own stream (``default_rng([seed,
  3])``).
* **Interventions** (``insatser``): 15–40 per municipality (more in larger ones), drawn from a
  catalogue of real Swedish programme types with plausible level, targeting, ages, factors,
  actors and reach.
* **Quality questions** (Data i Dialog's step 2, one ``insatser`` column per codebook
  ``quality_questions`` id, answered with a ``quality_answers`` id or left blank): each
  intervention has a latent "how organised" score, higher for evidence- and knowledge-based
  and for ongoing ones, shifted by its municipality (:data:`QUALITY_KNOWLEDGE`,
  :data:`QUALITY_STATUS`, :data:`QUALITY_MUNICIPALITY_SD`); each question has its own ease
  (:data:`QUALITY_EASE`: a responsible organisation is common, follow-up of results rare,
  rarer than follow-up of reach), and the score plus noise gives ja, delvis or nej. Some answer
  "vet ej" (:data:`QUALITY_DONT_KNOW`), and 5–10 % of the answers are blank (not answered):
  a few interventions leave all five blank, others single ones (:data:`QUALITY_ALL_BLANK`,
  :data:`QUALITY_BLANK`). Drawn from the inventory's stream after all its other draws, a fixed
  number of them, so the inventory's other columns and every other file stay as they were.
* **Small groups** (so that a build shows disclosure control at work): the example keeps only
  :data:`SMALL_CELL`'s few respondents of one municipality × year × grade × sex (Ekerö's girls
  in gy 2 in 2024), and Ekerö's *Avhopparverksamhet* reports :data:`SMALL_INTERVENTION`'s
  participants a year. Both are deterministic steps after the draws, which leave every other
  row as it was. Pupils who answer another or no sex (about 1.7 %) leave a remainder of 1–4
  in several small grade × year cells, Ekerö's among them.
* **Key figures** (``kolada``, Kolada's shape): every codebook KPI for the eight
  municipalities, the county and the country, 2015–2024, with smooth trends, municipality
  differences that follow their vulnerability, a few unpublished (``Missing``) rows and
  small counts protected (``Privacy``). They come from their own random stream
  (``default_rng([seed, 7])``), so adding or changing them leaves the other files as they are.
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from fouanalys import config
from fouanalys.codebook import Codebook, load_codebook
from fouanalys.exceptions import InvalidArgumentError
from fouanalys.ingest.mapping.returns import round_csv
from fouanalys.ingest.rounds import ROUNDS_FOLDER

logger = logging.getLogger("fouanalys")

#: Columns of a Stockholmsenkäten export file, in order (the workbench's copy of the layout).
EXPORT_COLUMNS: tuple[str, ...] = tuple(
    """
ar Hemkommun Skolkommun Skolenhetskod Skolnamn ARSKURS Kön F3_Omkodad f4a f4b f4c f4d f4e f4f
f4g f4h f4i F5 f6a f6b F7 f8ma f8mb f8mc f8md f8me f8mf f8pa f8pb f8pc f8pd f8pe f8pf F9 F10 F11
F12 F13 f66a f66b f66c f66d f66e f66f f66g f66h f66i f66j f66k f66l f66m f66n f66o f66p f66q
f66r f66s f66t f66u f54a f54b f54c f54d f54e f54f f54g f54h f54i f54j f54k f54l f54m f54n f54o
f54p f54q f54r F55 F56 F59 F65a F65b F65c F61 F88 F89 F90 F91 F92 F93 F94 F95 F96 F97 F98 F99
F79 F80 F81 F82 f83a f83b f83c f83d f83e f83f f83g f83h F58 F70 f86a f86b f86c f86d f86e f86f
f86g f86h f86i f86j F100 f101a f101b f101c f101d f101e f101f f101g f101h f101i f101j f101k f101l
F67 F68 F14 FNY12020 F18 F34 F41 F47 F48 f53a f53b f53c f53d f53e f53f F73 F16 F20 F37 F44 F51
F17 F21 f22a f22b f22c f22d f22e f22f F40 FNY22020 f36 F49 F35 F45 f75a f75b f75c f75d f75e f75f
f75g f75h f75i f75j f75k f75l f75m f75n f75o f75p f75q f75r f75s f78aa f78ba f78ca f78da f78ea
f60a f60b f60c f60d f60e f60f f60g f60h f60i F63 SkolID_gammal SkolSDO DIDkommun
""".split()  # noqa: SIM905
)

#: Raw-layout columns of the intervention inventory and the population table.
INSATSER_COLUMNS: tuple[str, ...] = (
    "kommunkod", "insats", "huvudman", "niva", "inriktning", "alder_fran", "alder_till",
    "faktorer", "push_pull", "kunskapslage", "metod", "deltagare_per_ar", "samverkan", "status",
    "kommentar",
)  # fmt: skip
BEFOLKNING_COLUMNS: tuple[str, ...] = ("kommunkod", "ar", "alder", "kon", "antal")
ELEVER_COLUMNS: tuple[str, ...] = ("kommunkod", "ar", "arskurs", "antal")

POPULATION_YEARS: tuple[int, ...] = tuple(range(2018, 2025))
MAX_AGE = 25

#: Inhabitants at the end of 2024 (SCB where known, else an estimate) and yearly growth rate.
INHABITANTS_2024: dict[str, tuple[int, float]] = {
    "0114": (50_323, 0.012),  # Upplands Väsby
    "0123": (88_950, 0.013),  # Järfälla
    "0125": (28_910, 0.010),  # Ekerö
    "0139": (31_000, 0.018),  # Upplands-Bro
    "0163": (77_000, 0.008),  # Sollentuna
    "0183": (53_000, 0.016),  # Sundbyberg
    "0184": (85_789, 0.006),  # Solna
    "0191": (50_000, -0.001),  # Sigtuna
}
#: Relative share of children (0–18) and of young adults (19–25) in each municipality.
AGE_PROFILE_FACTOR: dict[str, tuple[float, float]] = {
    "0114": (1.00, 1.00),
    "0123": (1.03, 0.97),
    "0125": (1.06, 0.80),
    "0139": (1.06, 0.92),
    "0163": (1.04, 0.92),
    "0183": (0.93, 1.20),
    "0184": (0.90, 1.22),
    "0191": (1.02, 1.00),
}

#: General risk level of each municipality's young people, in SD of the latent traits (the
#: example's own choice, not a finding): higher in Sigtuna, Upplands-Bro, Upplands Väsby and
#: Sundbyberg, lower in Ekerö and Sollentuna. Protective traits shift by -0.6 times this.
MUNICIPALITY_RISK: dict[str, float] = {
    "0114": 0.15,
    "0123": 0.05,
    "0125": -0.25,
    "0139": 0.20,
    "0163": -0.18,
    "0183": 0.12,
    "0184": -0.05,
    "0191": 0.25,
}
#: Extra, domain-specific shifts: dense town centres have more visible disorder, Ekerö's
#: young people are more attached to their neighbourhoods.
MUNICIPALITY_DOMAIN_EXTRA: dict[tuple[str, str, str], float] = {
    ("0183", "narsamhalle", "risk"): 0.15,
    ("0184", "narsamhalle", "risk"): 0.12,
    ("0191", "narsamhalle", "risk"): 0.15,
    ("0125", "narsamhalle", "protective"): 0.20,
    ("0139", "skola", "risk"): 0.10,
}

#: Difference boys minus girls, in SD, by (domain, kind): boys are higher on impulsivity,
#: rule-breaking peers, weaker monitoring and offending; girls report slightly less parental
#: warmth and slightly more positive school climate.
SEX_EFFECT: dict[tuple[str, str], float] = {
    ("individ", "risk"): 0.40,
    ("kamrater_fritid", "risk"): 0.25,
    ("familj", "risk"): 0.20,
    ("skola", "risk"): 0.10,
    ("familj", "protective"): 0.10,
    ("skola", "protective"): -0.10,
    ("utfall", "outcome"): 0.35,
}
#: Gy 2 minus åk 9, in SD: more drinking peers and less monitoring at 17, weaker school
#: climate, less offending.
GRADE_EFFECT: dict[tuple[str, str], float] = {
    ("individ", "risk"): -0.05,
    ("kamrater_fritid", "risk"): 0.35,
    ("familj", "risk"): 0.20,
    ("skola", "risk"): 0.05,
    ("familj", "protective"): -0.10,
    ("skola", "protective"): -0.15,
    ("utfall", "outcome"): -0.25,
}
#: Change per year after 2018, in SD: offending and drinking peers decline.
TREND_PER_YEAR: dict[tuple[str, str], float] = {
    ("kamrater_fritid", "risk"): -0.025,
    ("individ", "risk"): -0.01,
    ("familj", "risk"): -0.01,
    ("skola", "risk"): 0.005,
    ("narsamhalle", "risk"): -0.005,
    ("utfall", "outcome"): -0.035,
}
#: Shifts of single outcome indices that differ from offending's (boys minus girls, Gy 2 minus
#: åk 9, per year after 2018; in SD), as Stockholmsenkäten and CAN's surveys show them: girls
#: report far more psychosomatic complaints and a little more bullying, boys more gambling,
#: violence and drugs; drinking, tobacco and drugs rise steeply from åk 9 to Gy 2 while
#: bullying falls; drinking and smoking decline over the years, complaints rise.
INDEX_SHIFTS: dict[str, tuple[float, float, float]] = {
    "alkohol": (0.0, 0.60, -0.04),
    "narkotika": (0.20, 0.45, 0.0),
    "tobak": (0.05, 0.40, -0.02),
    "spel": (0.60, 0.20, -0.01),
    "vald_vapen": (0.50, -0.20, -0.02),
    "utsatthet": (0.15, -0.10, -0.01),
    "mobbning": (-0.40, -0.30, 0.0),
    "psykisk_ohalsa": (-0.60, 0.10, 0.02),
}
#: Weight of each (domain, kind) trait in the latent offending trait (before standardising).
OUTCOME_WEIGHTS: dict[tuple[str, str], float] = {
    ("individ", "risk"): 0.40,
    ("kamrater_fritid", "risk"): 0.35,
    ("familj", "risk"): 0.12,
    ("skola", "risk"): 0.15,
    ("narsamhalle", "risk"): 0.08,
}
#: Share above the cut-point among all åk 9 respondents that each index is calibrated to.
TARGET_SHARE: dict[str, float] = {
    "impulsivitet": 0.19,
    "kamrater_normbrott": 0.18,
    "bristande_tillsyn": 0.18,
    "skolmisslyckande": 0.22,
    "narsamhalle_brister": 0.18,
    "foraldrastod": 0.68,
    "skolanknytning": 0.56,
    "omradesanknytning": 0.63,
    "kriminalitet": 0.26,
    "alkohol": 0.08,
    "narkotika": 0.06,
    "tobak": 0.14,
    "spel": 0.15,
    "vald_vapen": 0.08,
    "utsatthet": 0.28,
    "mobbning": 0.17,
}
DEFAULT_TARGET_SHARE = {"risk": 0.20, "protective": 0.62, "outcome": 0.25}

ITEM_NONRESPONSE = 0.03
BREAKOFF_SHARE = 0.03
#: Shares of the respondents who answer as no serious respondent does: the same extreme
#: answer (the first or the last of the scale) to every statement of :data:`STATEMENT_SCALE`,
#: or the top answer to every question of :data:`OFFENDING_SCALE`.
STRAIGHT_LINERS = 0.003
IMPLAUSIBLE_OFFENDERS = 0.002
STATEMENT_SCALE = "instammer"
OFFENDING_SCALE = "brott_antal"
#: Share of a grade's cohort (the population at its age) enrolled in the grade in the home
#: municipality, (low, high) per grade in codebook order: at 15 a few are abroad, in another
#: grade or in a school the survey does not reach; at 17 more are not in upper secondary year
#: 2 (not in upper secondary, or a year behind).
ENROLLED_SHARE: tuple[tuple[float, float], ...] = ((0.96, 0.99), (0.88, 0.94))

#: One survey cell under the disclosure threshold: (municipality code, year, grade id, sex as
#: exported, respondents kept). The first respondents of the cell are kept, the rest dropped.
SMALL_CELL: tuple[str, int, str, str, int] = ("0125", 2024, "Gy 2", "Flicka", 3)
#: One intervention for a small, identifiable group with 1–4 participants a year (ongoing):
#: (municipality code, intervention, participants a year).
SMALL_INTERVENTION: tuple[str, str, int] = ("0125", "Avhopparverksamhet", 2)

#: Quality questions (the example's own model, see the module notes). Shift of the latent
#: score by the intervention's knowledge level and status, in SD of the score.
QUALITY_KNOWLEDGE: dict[str, float] = {
    "evidensbaserad": 0.9,
    "kunskapsbaserad": 0.5,
    "lovande": 0.0,
    "ej bedömd": -0.6,
}
QUALITY_STATUS: dict[str, float] = {"pågående": 0.3, "planerad": -0.4, "avslutad": -0.2}
#: SD of a municipality's shift (some municipalities document their work better).
QUALITY_MUNICIPALITY_SD = 0.3
#: How easy each question is to answer "ja" (added to the score): a responsible organisation
#: and written goals are common, long-term funding less so, follow-up of results rarest.
QUALITY_EASE: dict[str, float] = {
    "skriftliga_mal": 0.5,
    "langsiktig_finansiering": -0.1,
    "ansvarig_organisation": 0.9,
    "uppfoljning_rackvidd": 0.2,
    "uppfoljning_resultat": -0.7,
}
#: Score plus noise above the first cut is "ja", above the second "delvis", else "nej".
QUALITY_CUTS: tuple[float, float] = (0.35, -0.35)
#: Probability of "vet ej" for one answer (higher for funding, which the respondent may not
#: know); of an intervention with all five answers blank; of one blank answer otherwise.
QUALITY_DONT_KNOW: dict[str, float] = {"langsiktig_finansiering": 0.10}
QUALITY_DONT_KNOW_DEFAULT = 0.04
QUALITY_ALL_BLANK = 0.035
QUALITY_BLANK = 0.035


# --- population -----------------------------------------------------------------------------
def _age_profile(code: str) -> np.ndarray:
    """Expected share of the inhabitants at each single year of age 0..25."""
    base = np.array(
        [0.0125] * 6 + [0.0128] * 7 + [0.0125] * 3 + [0.0118] * 3 + [0.0105] * 4 + [0.0115] * 3
    )
    child, young = AGE_PROFILE_FACTOR.get(code, (1.0, 1.0))
    return base * np.where(np.arange(MAX_AGE + 1) <= 18, child, young)


def _population(cb: Codebook, rng: np.random.Generator, scale: float) -> pd.DataFrame:
    ages = np.arange(MAX_AGE + 1)
    years = np.array(POPULATION_YEARS)
    rows = []
    for m in cb.municipalities:
        total_2024, growth = INHABITANTS_2024.get(m.code, (50_000, 0.01))
        totals = total_2024 * (1 + growth) ** (years - 2024) * scale
        profile = _age_profile(m.code)
        for sex, share in (("Pojke", 0.515), ("Flicka", 0.485)):
            expected = totals[:, None] * profile[None, :] * share  # year x age
            state = expected[0] * (1 + rng.normal(0, 0.03, ages.size))
            counts = [state]
            for y in range(1, years.size):
                ratio = expected[y, 1:] / expected[y - 1, :-1]
                aged = state[:-1] * ratio * (1 + rng.normal(0, 0.012, ages.size - 1))
                born = expected[y, 0] * (1 + rng.normal(0, 0.03))
                state = np.concatenate([[born], aged])
                counts.append(state)
            for y, c in zip(years, counts, strict=True):
                antal = np.maximum(np.rint(c), 0).astype(np.int64)
                rows.append(
                    pd.DataFrame(
                        {"kommunkod": m.code, "ar": y, "alder": ages, "kon": sex, "antal": antal}
                    )
                )
    out = pd.concat(rows, ignore_index=True)
    out = out.sort_values(["kommunkod", "ar", "kon", "alder"], ignore_index=True)
    out["ar"] = out["ar"].astype("int64")
    return out[list(BEFOLKNING_COLUMNS)]


# --- survey ---------------------------------------------------------------------------------
@dataclass
class _Respondents:
    muni: np.ndarray  # index into cb.municipalities
    year: np.ndarray
    grade: np.ndarray  # index into cb.survey.grades
    boy: np.ndarray  # bool, the respondent's sex in the model


def _respondents(cb: Codebook, pop: pd.DataFrame, rng: np.random.Generator) -> _Respondents:
    """Respondents per municipality, year, grade and sex: Binomial(cohort, response rate)."""
    lookup = pop.set_index(["kommunkod", "ar", "alder", "kon"])["antal"]
    muni, year, grade, boy = [], [], [], []
    for mi, m in enumerate(cb.municipalities):
        base = {0: rng.uniform(0.77, 0.86), 1: rng.uniform(0.63, 0.76)}
        for y in cb.survey.years:
            for gi, g in enumerate(cb.survey.grades):
                lo, hi = (0.75, 0.88) if gi == 0 else (0.60, 0.80)
                rate = float(np.clip(base[min(gi, 1)] + rng.normal(0, 0.025), lo, hi))
                for is_boy, sex in ((True, "Pojke"), (False, "Flicka")):
                    cohort = int(lookup.get((m.code, y, g.age, sex), 0))
                    n = int(rng.binomial(cohort, rate))
                    muni.append(np.full(n, mi))
                    year.append(np.full(n, y))
                    grade.append(np.full(n, gi))
                    boy.append(np.full(n, is_boy))
    return _Respondents(
        muni=np.concatenate(muni).astype(np.int64),
        year=np.concatenate(year).astype(np.int64),
        grade=np.concatenate(grade).astype(np.int64),
        boy=np.concatenate(boy).astype(bool),
    )


def _trait_correlation(cb: Codebook) -> np.ndarray:
    """Correlation of the latent traits of the risk and protective indices."""
    idx = [i for i in cb.indices if i.kind != "outcome"]
    r = np.eye(len(idx))
    for a, ia in enumerate(idx):
        for b, ib in enumerate(idx):
            if a == b:
                continue
            same = ia.domain == ib.domain
            if ia.kind == ib.kind == "risk":
                v = 0.40 + 0.15 * same
            elif ia.kind == ib.kind:
                v = 0.35 + 0.15 * same
            else:
                v = -0.25 - 0.20 * same
            r[a, b] = v
    while np.linalg.eigvalsh(r).min() < 1e-3:  # keep it positive definite for any codebook
        r = 0.9 * r + 0.1 * np.eye(len(idx))
    return r


def _latent_traits(cb: Codebook, resp: _Respondents, rng: np.random.Generator) -> np.ndarray:
    """One latent trait per codebook index (columns in codebook order), shifted per group.

    Risk and protective traits are correlated normals plus shifts by municipality, sex, grade
    and year; an outcome trait is a regression on those (shifted) traits plus noise, scaled to
    about unit variance, plus its own sex, grade and trend shifts.
    """
    n = resp.muni.size
    rp = [j for j, i in enumerate(cb.indices) if i.kind != "outcome"]
    corr = _trait_correlation(cb)
    theta = np.zeros((n, len(cb.indices)))
    theta[:, rp] = rng.standard_normal((n, len(rp))) @ np.linalg.cholesky(corr).T
    codes = cb.municipality_codes
    muni_idio = rng.normal(0, 0.08, (len(codes), len(cb.indices)))

    def shift(j: int) -> np.ndarray:
        index = cb.indices[j]
        key = (index.domain, index.kind)
        sign = {"risk": 1.0, "protective": -0.6, "outcome": 0.0}[index.kind]
        by_muni = np.array(
            [
                sign * MUNICIPALITY_RISK.get(c, 0.0)
                + MUNICIPALITY_DOMAIN_EXTRA.get((c, index.domain, index.kind), 0.0)
                + (muni_idio[mi, j] if index.kind != "outcome" else 0.0)
                for mi, c in enumerate(codes)
            ]
        )
        sex, grade, trend = INDEX_SHIFTS.get(
            index.id,
            (SEX_EFFECT.get(key, 0.0), GRADE_EFFECT.get(key, 0.0), TREND_PER_YEAR.get(key, 0.0)),
        )
        return (
            by_muni[resp.muni]
            + sex * np.where(resp.boy, 0.5, -0.5)
            + grade * (resp.grade > 0)
            + trend * (resp.year - 2018)
        )

    for j in rp:
        theta[:, j] += shift(j)
    weights = np.array(
        [
            OUTCOME_WEIGHTS.get((cb.indices[j].domain, "risk"), 0.1)
            if cb.indices[j].kind == "risk"
            else -0.05
            for j in rp
        ]
    )
    explained = float(weights @ corr @ weights)
    noise_var = explained * (1 / 0.55 - 1)
    for j, index in enumerate(cb.indices):
        if index.kind == "outcome":
            eps = rng.standard_normal(n) * np.sqrt(noise_var)
            theta[:, j] = (theta[:, rp] @ weights + eps) / np.sqrt(explained + noise_var)
            theta[:, j] += shift(j)
    return theta


@dataclass
class _ItemParams:
    discrimination: np.ndarray  # (items,)
    thresholds: np.ndarray  # (items, levels-1), increasing, before the index offset; +inf pads


def _item_levels(index) -> np.ndarray:
    return np.array([index.item_levels(item) for item in index.items])


def _item_params(index, rng: np.random.Generator) -> _ItemParams:
    k = len(index.items)
    levels = _item_levels(index)
    steps_n = int(levels.max()) - 1
    a = rng.uniform(1.4, 2.4, k)
    if index.scoring == "count":
        loc = rng.permutation(np.linspace(0.0, 1.6, k))
        steps = np.linspace(0.0, 1.8, steps_n)
    else:
        loc = rng.normal(0.0, 0.35, k)
        steps = np.linspace(-1.0, 1.0, steps_n) * 1.1
    spread = rng.uniform(0.85, 1.15, k)
    thresholds = loc[:, None] + steps[None, :] * spread[:, None]
    # an item with fewer answers has no thresholds past its last: +inf is never crossed
    thresholds[np.arange(steps_n)[None, :] >= (levels - 1)[:, None]] = np.inf
    return _ItemParams(a, thresholds)


def _categories(theta: np.ndarray, p: _ItemParams, offset: float, u: np.ndarray) -> np.ndarray:
    """Graded response: 0..levels-1, higher = more of what the index measures.

    The category is the number of thresholds ``j`` with ``P(Y >= j) > u``, i.e. with
    ``a * (theta - b_j - offset) > logit(u)``, for one uniform ``u`` per answer.
    """
    a = p.discrimination[None, :, None]
    z = a * (theta[:, None, None] - (p.thresholds[None, :, :] + offset))
    return (z > _logit(u)[:, :, None]).sum(axis=2)


def _logit(u: np.ndarray) -> np.ndarray:
    return np.log(u) - np.log1p(-u)


def _flagged(index, cat: np.ndarray) -> np.ndarray:
    """Whether each respondent is above the cut-point (all items answered)."""
    codes = _codes(index, cat)
    if index.scoring == "count":
        return (codes >= index.item_threshold).sum(axis=1) >= index.cut_point
    rev = np.array([it.reverse for it in index.items])
    levels = _item_levels(index)[None, :]
    scored = np.where(rev[None, :], levels - codes, codes - 1) / (levels - 1)
    return scored.mean(axis=1) >= index.cut_point - 1e-9


def _codes(index, cat: np.ndarray) -> np.ndarray:
    """Response codes 1..levels; a reversed item gives a low code for a high trait."""
    rev = np.array([it.reverse for it in index.items])
    return np.where(rev[None, :], _item_levels(index)[None, :] - cat, cat + 1)


def _calibrate(index, theta, p: _ItemParams, u, target: float) -> float:
    """The offset of an index's thresholds that puts ``target`` of the sample above its cut."""
    a = p.discrimination[None, :, None]
    base = a * (theta[:, None, None] - p.thresholds[None, :, :]) - _logit(u)[:, :, None]
    lo, hi = -6.0, 6.0
    for _ in range(24):
        mid = (lo + hi) / 2
        share = _flagged(index, (base > a * mid).sum(axis=2)).mean()
        if share > target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


#: Normal quantiles of the percentiles RISE's cut-points are (risk: 75th and 90th; protective:
#: 15th and 85th): a trait N(mu, sd) on the logit scale puts those shares beyond the cuts.
_RASCH_Z = {"risk": (0.6745, 1.2816), "protective": (-1.0364, 1.0364)}


def _rasch_codes(index, trait: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Answer codes for a ``rasch`` index, drawn from the partial credit model with RISE's own
    thresholds: the (standardised, shifted) trait is put on the logit scale so that the
    Stockholm shares fall beyond RISE's cut-points, a category is drawn for every item, and
    a merged category becomes one of its codes at random."""
    z1, z2 = _RASCH_Z["protective" if index.kind == "protective" else "risk"]
    c1, c2 = index.cut_points
    sd = (c2 - c1) / (z2 - z1)
    theta = c1 - z1 * sd + sd * trait
    if index.kind == "protective":
        theta = -theta  # RISE's categories grow with risk; the trait grows with protection
    codes = np.empty((trait.size, len(index.items)), dtype=np.int64)
    for j, item in enumerate(index.items):
        k = np.arange(len(item.thresholds) + 1)
        logits = theta[:, None] * k - np.concatenate([[0.0], np.cumsum(item.thresholds)])
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        cdf = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
        cat = (rng.random(trait.size)[:, None] > cdf[:, :-1]).sum(axis=1)
        options = [np.flatnonzero(np.array(item.categories, dtype=object) == c) + 1 for c in k]
        pick = rng.random(trait.size)
        for c, codes_c in enumerate(options):
            chosen = codes_c[np.minimum((pick * len(codes_c)).astype(int), len(codes_c) - 1)]
            codes[cat == c, j] = chosen[cat == c]
    return codes


def _survey(cb: Codebook, pop: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    resp = _respondents(cb, pop, rng)
    n = resp.muni.size
    theta = _latent_traits(cb, resp, rng)
    calib = resp.grade == 0
    # calibrate on every second åk 9 respondent (at most 20 000) for speed
    calib = calib & (np.cumsum(calib) % 2 == 0) & (np.cumsum(calib) <= 40_000)

    items: dict[str, np.ndarray] = {}
    for j, index in enumerate(cb.indices):
        if index.scoring == "rasch":
            codes = _rasch_codes(index, theta[:, j], rng)
            for k, item in enumerate(index.items):
                items.setdefault(item.id, codes[:, k].astype(np.int8))
            continue
        params = _item_params(index, rng)
        u = rng.random((n, len(index.items)))
        target = TARGET_SHARE.get(index.id, DEFAULT_TARGET_SHARE[index.kind])
        offset = _calibrate(index, theta[calib, j], params, u[calib], target)
        codes = _codes(index, _categories(theta[:, j], params, offset, u))
        for k, item in enumerate(index.items):
            items.setdefault(item.id, codes[:, k].astype(np.int8))

    # Missing answers: item non-response, then break-off (everything after a point is blank).
    item_ids = list(items)
    position = {c: i for i, c in enumerate(EXPORT_COLUMNS)}
    order = sorted(item_ids, key=lambda c: position.get(c, len(position)))
    propensity = rng.beta(1.2, 1.2 / ITEM_NONRESPONSE - 1.2, n)
    item_factor = rng.uniform(0.6, 1.4, len(order))
    missing = rng.random((n, len(order))) < propensity[:, None] * item_factor[None, :]
    breaks = rng.random(n) < BREAKOFF_SHARE
    start = rng.integers(int(0.2 * len(order)), len(order), n)
    missing |= breaks[:, None] & (np.arange(len(order))[None, :] >= start[:, None])
    for k, c in enumerate(order):
        items[c] = np.where(missing[:, k], 0, items[c])

    names = np.array([m.name for m in cb.municipalities], dtype=object)
    grades = np.array([g.id for g in cb.survey.grades], dtype=object)
    hem = names[resp.muni]
    kon = np.where(resp.boy, "Pojke", "Flicka").astype(object)
    other = rng.random(n)
    kon[other < 0.008] = "Annat"
    kon[(other >= 0.008) & (other < 0.011)] = "Vill inte svara"
    kon[(other >= 0.011) & (other < 0.017)] = None
    # Most go to school where they live; more in gy 2 commute (often to Stockholm).
    elsewhere = rng.random(n) < np.where(resp.grade > 0, 0.30, 0.07)
    to_stockholm = rng.random(n) < 0.6
    other_muni = names[(resp.muni + rng.integers(1, len(names), n)) % len(names)]
    skolkommun = np.where(elsewhere, np.where(to_stockholm, "Stockholm", other_muni), hem)

    columns: dict[str, object] = {}
    filled = {
        "ar": resp.year,
        "Hemkommun": hem,
        "Skolkommun": skolkommun.astype(object),
        "ARSKURS": grades[resp.grade],
        "Kön": kon,
        "DIDkommun": hem,
    }
    text_blank = {"Skolenhetskod", "Skolnamn", "SkolID_gammal", "SkolSDO"}
    all_columns = list(EXPORT_COLUMNS) + [c for c in item_ids if c not in position]
    for c in all_columns:
        if c in filled:
            columns[c] = filled[c]
        elif c in items:
            columns[c] = pd.arrays.IntegerArray(items[c].astype(np.int64), items[c] == 0)
        elif c in text_blank:
            columns[c] = pd.Series([None] * n, dtype=object)
        else:
            columns[c] = pd.arrays.IntegerArray(np.zeros(n, np.int64), np.ones(n, bool))
    frame = pd.DataFrame(columns)
    frame["ar"] = frame["ar"].astype("int64")
    logger.debug("Syntetisk enkät: %d svarande", n)
    return frame


def _unserious_answers(enkat: pd.DataFrame, cb: Codebook, rng: np.random.Generator) -> pd.DataFrame:
    """The survey with a few respondents made unserious (:data:`STRAIGHT_LINERS`,
    :data:`IMPLAUSIBLE_OFFENDERS`): a fixed number of draws from ``rng`` whatever the answers."""
    n = len(enkat)
    pick = rng.random(n)
    first = rng.random(n) < 0.5
    straight = pick < STRAIGHT_LINERS
    implausible = (pick >= STRAIGHT_LINERS) & (pick < STRAIGHT_LINERS + IMPLAUSIBLE_OFFENDERS)
    out = enkat.copy()
    extreme = np.where(first, 1, len(cb.answer_scales[STATEMENT_SCALE]))
    for item in cb.scale_items(STATEMENT_SCALE):
        out[item] = out[item].mask(straight, pd.array(extreme, dtype="Int64"))
    top = len(cb.answer_scales[OFFENDING_SCALE])
    for item in cb.scale_items(OFFENDING_SCALE):
        out[item] = out[item].mask(implausible, top)
    return out


def _enrolment(
    cb: Codebook, pop: pd.DataFrame, enkat: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Enrolled pupils per municipality, survey year and grade (``elever``): the cohort times a
    share drawn from :data:`ENROLLED_SHARE`, at least the grade's respondents in ``enkat``."""
    cohort = pop.groupby(["kommunkod", "ar", "alder"])["antal"].sum()
    answered = enkat.groupby(["Hemkommun", "ar", "ARSKURS"]).size()
    rows = []
    for m in cb.municipalities:
        for year in cb.survey.years:
            for gi, grade in enumerate(cb.survey.grades):
                low, high = ENROLLED_SHARE[min(gi, len(ENROLLED_SHARE) - 1)]
                expected = float(cohort.get((m.code, year, grade.age), 0)) * rng.uniform(low, high)
                respondents = int(answered.get((m.name, year, grade.id), 0))
                rows.append((m.code, year, grade.id, max(int(np.rint(expected)), respondents)))
    out = pd.DataFrame(rows, columns=list(ELEVER_COLUMNS))
    out["ar"] = out["ar"].astype("int64")
    out["antal"] = out["antal"].astype("int64")
    return out


# --- interventions --------------------------------------------------------------------------
@dataclass(frozen=True)
class _Programme:
    name: str
    huvudman: str
    niva: str
    inriktning: str
    ages: tuple[int, int]
    faktorer: tuple[str, ...]
    partners: tuple[str, ...]
    kunskapslage: str
    participants: tuple[int, int] | None  # per year, for a municipality of 60 000
    push_pull: tuple[str, ...] = ()
    core: bool = False
    metod: str = ""  # the knowledge base's approach, where the inventory names it


def _p(name, huvudman, niva, inriktning, ages, faktorer, partners, kunskap, deltagare, pp="",
       core=False, metod="") -> _Programme:  # fmt: skip
    return _Programme(
        name, huvudman, niva, inriktning, ages, tuple(faktorer.split()), tuple(partners.split()),
        kunskap, deltagare, tuple(pp.split()), core, metod,
    )  # fmt: skip


#: Programme types Swedish municipalities run (RISE's intervention list and common municipal
#: work), with the level, targeting, ages, factors and actors typical for each.
CATALOGUE: tuple[_Programme, ...] = (
    _p("Familjecentral", "socialtjänst", "förebygga", "universell", (0, 5),
       "foraldrastod bristande_tillsyn", "barnhälsovård region förskola", "kunskapsbaserad",
       (300, 900), core=True),
    _p("Växa tryggt (Rinkebymodellen) – utökade hembesök", "barnhälsovård", "förebygga",
       "selektiv", (0, 1), "foraldrastod bristande_tillsyn", "socialtjänst region",
       "lovande", (40, 150)),
    _p("ABC – Alla barn i centrum", "socialtjänst", "förebygga", "universell", (3, 12),
       "foraldrastod bristande_tillsyn", "förskola skola civilsamhälle", "evidensbaserad",
       (40, 150)),
    _p("De otroliga åren", "socialtjänst", "förebygga", "selektiv", (3, 8),
       "foraldrastod bristande_tillsyn impulsivitet", "förskola region", "evidensbaserad",
       (20, 60)),
    _p("Triple P – föräldrastöd", "socialtjänst", "förebygga", "universell", (2, 12),
       "foraldrastod bristande_tillsyn", "förskola skola barnhälsovård", "evidensbaserad",
       (30, 200), metod="foraldraskapsstod"),
    _p("COPE – föräldrautbildning", "socialtjänst", "förebygga", "selektiv", (3, 12),
       "foraldrastod bristande_tillsyn", "skola elevhälsa region", "evidensbaserad", (30, 120)),
    _p("Komet – föräldraprogram", "socialtjänst", "förhindra", "selektiv", (3, 11),
       "bristande_tillsyn foraldrastod impulsivitet", "skola region", "evidensbaserad",
       (20, 80)),
    _p("Family Check-Up (iKomet)", "socialtjänst", "förhindra", "selektiv", (2, 17),
       "bristande_tillsyn foraldrastod", "skola elevhälsa", "evidensbaserad", (15, 60)),
    _p("Connect – föräldrastöd för tonårsföräldrar", "socialtjänst", "förebygga", "selektiv",
       (12, 18), "foraldrastod bristande_tillsyn", "skola region", "evidensbaserad", (20, 80)),
    _p("Föräldrastödsgrupper för tonårsföräldrar", "socialtjänst", "förebygga", "universell",
       (12, 17), "foraldrastod bristande_tillsyn", "skola civilsamhälle", "kunskapsbaserad",
       (30, 150)),
    _p("Älskade förbannade tonåring (ÄFT)", "socialtjänst", "förebygga", "universell",
       (12, 18), "foraldrastod bristande_tillsyn", "skola fritid", "lovande", (30, 120)),
    _p("Barnhälsovårdens föräldragrupper", "barnhälsovård", "förebygga", "universell", (0, 1),
       "foraldrastod", "socialtjänst förskola", "kunskapsbaserad", (200, 700)),
    _p("Skol-KOMET", "skola", "förebygga", "selektiv", (6, 12),
       "skolmisslyckande skolanknytning impulsivitet", "elevhälsa socialtjänst",
       "evidensbaserad", (20, 80)),
    _p("Olweusprogrammet mot mobbning", "skola", "förebygga", "universell", (7, 15),
       "skolanknytning", "elevhälsa", "evidensbaserad", (800, 3000), metod="antimobbning"),
    _p("PAX i skolan", "skola", "förebygga", "universell", (6, 12),
       "skolanknytning impulsivitet", "elevhälsa fritid", "evidensbaserad", (1000, 4000)),
    _p("MVP – Mentors in Violence Prevention", "skola", "förebygga", "universell", (13, 18),
       "impulsivitet kamrater_normbrott", "elevhälsa fritid civilsamhälle", "lovande",
       (200, 900), pp="normer respekt"),
    _p("PATHS – social och emotionell träning", "skola", "förebygga", "universell", (6, 10),
       "impulsivitet skolanknytning", "elevhälsa", "evidensbaserad", (200, 1200)),
    _p("KiVa mot mobbning", "skola", "förebygga", "universell", (7, 15), "skolanknytning",
       "elevhälsa", "evidensbaserad", (500, 2500)),
    _p("YAM – Youth Aware of Mental Health", "region", "förebygga", "universell", (13, 16),
       "skolanknytning", "skola elevhälsa", "evidensbaserad", (300, 1000),
       pp="psykisk_halsa"),
    _p("PALS – positivt beteendestöd i skolan", "skola", "förebygga", "universell", (6, 15),
       "skolanknytning skolmisslyckande", "elevhälsa", "evidensbaserad", (500, 2000)),
    _p("Närvaroteam mot problematisk skolfrånvaro", "skola", "förhindra", "indikerad",
       (7, 16), "skolmisslyckande", "elevhälsa socialtjänst", "kunskapsbaserad", (40, 150),
       pp="utbildning"),
    _p("Läxhjälp och studiestöd", "fritid", "förebygga", "universell", (10, 18),
       "skolmisslyckande", "skola civilsamhälle", "lovande", (100, 500),
       pp="utbildning lyckas"),
    _p("SSPF – skola, socialtjänst, polis och fritid", "socialtjänst", "förhindra",
       "indikerad", (12, 17), "kamrater_normbrott bristande_tillsyn skolmisslyckande",
       "skola polis fritid", "kunskapsbaserad", (30, 120),
       pp="exponering natverkskontakter tillhorighet", core=True),
    _p("Fältassistenter", "fältgrupp", "förhindra", "selektiv", (12, 20),
       "kamrater_normbrott narsamhalle_brister", "polis fritid skola socialtjänst",
       "kunskapsbaserad", (200, 800), pp="exponering uttrakning", core=True,
       metod="uppsokande_ungdomsarbete"),
    _p("Sociala insatsgrupper (SIG)", "socialtjänst", "förhindra", "indikerad", (15, 25),
       "kamrater_normbrott impulsivitet", "polis skola arbetsmarknad kriminalvård",
       "kunskapsbaserad", (10, 40), pp="natverkskontakter pengar karriar framtidsutsikter"),
    _p("Avhopparverksamhet", "socialtjänst", "riskreducera", "indikerad", (15, 25),
       "kamrater_normbrott", "polis kriminalvård arbetsmarknad bostadsbolag", "lovande",
       (3, 20), pp="skydd natverkskontakter karriar familjesubstitut", core=True),
    _p("MST – multisystemisk terapi", "socialtjänst", "riskreducera", "indikerad", (12, 17),
       "bristande_tillsyn kamrater_normbrott skolmisslyckande", "skola region",
       "evidensbaserad", (8, 30)),
    _p("FFT – funktionell familjeterapi", "socialtjänst", "riskreducera", "indikerad",
       (11, 18), "bristande_tillsyn foraldrastod impulsivitet", "region skola",
       "evidensbaserad", (10, 40)),
    _p("Mentorsprogram för unga", "civilsamhälle", "förhindra", "selektiv", (12, 18),
       "kamrater_normbrott skolanknytning", "skola fritid socialtjänst", "lovande", (20, 80),
       pp="familjesubstitut tillhorighet lyckas identitet", metod="mentorskap"),
    _p("Feriejobb för ungdomar", "arbetsmarknad", "förebygga", "universell", (15, 19),
       "kamrater_normbrott omradesanknytning", "civilsamhälle bostadsbolag fritid",
       "kunskapsbaserad", (200, 900), pp="pengar arbetsmarknad framtidsutsikter"),
    _p("Nattvandring", "civilsamhälle", "förebygga", "universell", (12, 18),
       "narsamhalle_brister omradesanknytning", "polis fritid trygghetssamordning",
       "ej bedömd", None),
    _p("Trygghetsvandringar", "trygghetssamordning", "förhindra", "universell", (0, 25),
       "narsamhalle_brister", "polis bostadsbolag civilsamhälle", "kunskapsbaserad", None),
    _p("Öppen fritidsverksamhet (fritidsgårdar)", "fritid", "förebygga", "universell",
       (10, 18), "kamrater_normbrott omradesanknytning", "civilsamhälle fältgrupp socialtjänst",
       "kunskapsbaserad", (400, 1500), pp="uttrakning tillhorighet spanning", core=True,
       metod="fritidsgardar"),
    _p("Kameraövervakning och situationell prevention", "trygghetssamordning", "förhindra",
       "universell", (0, 25), "narsamhalle_brister", "polis bostadsbolag", "kunskapsbaserad",
       None, metod="kameraovervakning"),
    _p("Konflikthantering och medling", "socialtjänst", "förhindra", "selektiv", (12, 21),
       "impulsivitet", "skola polis", "lovande", (20, 80)),
    _p("Medling vid brott", "socialtjänst", "riskreducera", "indikerad", (12, 21),
       "impulsivitet kamrater_normbrott", "polis", "kunskapsbaserad", (10, 50)),
    _p("Ungdomstjänst", "socialtjänst", "riskreducera", "indikerad", (15, 20),
       "impulsivitet kamrater_normbrott", "polis arbetsmarknad", "kunskapsbaserad", (10, 40)),
    _p("Språk och samspel i förskolan", "förskola", "förebygga", "selektiv", (1, 5),
       "foraldrastod", "barnhälsovård socialtjänst", "kunskapsbaserad", (100, 400)),
    _p("Lovaktiviteter och idrott för alla", "fritid", "förebygga", "universell", (6, 16),
       "omradesanknytning kamrater_normbrott", "civilsamhälle skola", "ej bedömd",
       (500, 2000), pp="uttrakning"),
    _p("Platssamverkan med bostadsbolag", "bostadsbolag", "förebygga", "universell", (0, 25),
       "narsamhalle_brister omradesanknytning", "trygghetssamordning polis civilsamhälle",
       "lovande", None),
    _p("EST – effektiv samordning för trygghet", "trygghetssamordning", "förhindra",
       "universell", (12, 25), "narsamhalle_brister kamrater_normbrott",
       "polis socialtjänst fritid skola", "kunskapsbaserad", None),
    _p("Unga vuxna – stöd till sysselsättning", "arbetsmarknad", "förhindra", "selektiv",
       (16, 25), "skolmisslyckande", "socialtjänst skola", "kunskapsbaserad", (50, 200),
       pp="arbetsmarknad framtidsutsikter utbildning"),
    _p("Kommunala aktivitetsansvaret (KAA)", "arbetsmarknad", "förhindra", "selektiv",
       (16, 19), "skolmisslyckande", "skola socialtjänst", "kunskapsbaserad", (100, 400),
       pp="utbildning framtidsutsikter"),
    _p("Stödgrupper för barn som anhöriga", "socialtjänst", "förhindra", "selektiv", (4, 18),
       "foraldrastod", "skola elevhälsa region", "kunskapsbaserad", (20, 80)),
    _p("Mottagning för unga med missbruk", "region", "riskreducera", "indikerad", (13, 25),
       "kamrater_normbrott impulsivitet", "socialtjänst", "kunskapsbaserad", (30, 120)),
    _p("Kontaktpolis och skolpolis", "polis", "förhindra", "universell", (12, 18),
       "kamrater_normbrott narsamhalle_brister", "skola fritid", "ej bedömd", None),
    _p("Cannabisprogram för unga (CPU)", "socialtjänst", "riskreducera", "indikerad",
       (14, 22), "kamrater_normbrott", "region", "kunskapsbaserad", (10, 40)),
    _p("Samordnad individuell plan (SIP) för unga i riskzon", "socialtjänst", "förhindra",
       "indikerad", (12, 20), "skolmisslyckande bristande_tillsyn", "region skola elevhälsa",
       "kunskapsbaserad", None),
    _p("Kontaktperson och kontaktfamilj", "socialtjänst", "förhindra", "selektiv", (6, 20),
       "foraldrastod kamrater_normbrott", "skola", "kunskapsbaserad", (20, 100)),
    _p("Boendestöd och utslussning för unga vuxna", "socialtjänst", "riskreducera",
       "indikerad", (18, 25), "kamrater_normbrott", "bostadsbolag arbetsmarknad kriminalvård",
       "ej bedömd", (5, 30), pp="skydd framtidsutsikter"),
)  # fmt: skip

_COMMENTS: tuple[str, ...] = (
    "Finansieras delvis med statsbidrag.",
    "Utvärdering pågår tillsammans med FoU Nordväst.",
    "Riktas främst till de mest utsatta områdena.",
    "Startade efter kartläggning av lägesbilden.",
    "Personalbrist under året gav färre deltagare.",
    "Utökas till fler skolor nästa läsår.",
    "Deltagarantal avser unika personer.",
    "Genomförs på flera språk.",
)
#: One comment that a report must escape (HTML) and a CSV writer must quote.
_SPECIAL_COMMENT = ("0139", 'Samverkan <skola & fritid>; kallas "Trygg i Bro" lokalt.')


def _covered(chosen: list[_Programme], levels: list[str], targets: list[str]) -> bool:
    return {p.niva for p in chosen} >= set(levels) and {p.inriktning for p in chosen} >= set(
        targets
    )


def _cover_levels(
    chosen: list[_Programme], rest: list[_Programme], n: int, levels: list[str],
    targets: list[str],
) -> list[_Programme]:  # fmt: skip
    """Make every municipality work at every level and with every targeting, keeping ``n``."""
    chosen = list(chosen)
    for attr, wanted in (("niva", levels), ("inriktning", targets)):
        for w in wanted:
            if not any(getattr(p, attr) == w for p in chosen):
                extra = [p for p in rest if getattr(p, attr) == w and p not in chosen]
                chosen += extra[:1]
    while len(chosen) > n:  # drop the latest random picks that are not needed for coverage
        for p in reversed(chosen):
            if not p.core and _covered([q for q in chosen if q is not p], levels, targets):
                chosen.remove(p)
                break
        else:
            break
    return chosen


def _interventions(cb: Codebook, rng: np.random.Generator) -> pd.DataFrame:
    actors = set(cb.ids("actors"))
    sspf = [a.id for a in cb.actors if a.sspf]
    factor_ids = [i.id for i in cb.indices if i.kind in ("risk", "protective")]
    pp_ids = set(cb.ids("push_pull"))
    levels, targets = cb.ids("levels"), cb.ids("targeting")
    statuses = cb.ids("statuses")
    knowledge = set(cb.ids("knowledge_levels"))
    sizes = {m.code: INHABITANTS_2024.get(m.code, (50_000, 0.0))[0] for m in cb.municipalities}
    small, large = min(sizes.values()), max(sizes.values())
    rows = []
    for m in cb.municipalities:
        frac = (sizes[m.code] - small) / (large - small) if large > small else 0.5
        n = int(np.clip(round(16 + 20 * frac + rng.integers(-2, 3)), 15, 40))
        n = min(n, len(CATALOGUE))
        core = [p for p in CATALOGUE if p.core]
        rest = [p for p in CATALOGUE if not p.core]
        chosen = core + [rest[i] for i in rng.permutation(len(rest))[: max(n - len(core), 0)]]
        chosen = _cover_levels(chosen, rest, n, levels, targets)
        chosen.sort(key=lambda p: CATALOGUE.index(p))
        size = sizes[m.code] / 60_000
        for p in chosen:
            faktorer = [f for f in p.faktorer if f in factor_ids] or [
                factor_ids[int(rng.integers(len(factor_ids)))]
            ]
            partners = [a for a in p.partners if a in actors and a != p.huvudman]
            keep = rng.random(len(partners)) < 0.8
            partners = [a for a, k in zip(partners, keep, strict=True) if k] or partners[:1]
            if rng.random() < 0.25:  # sometimes an SSPF actor joins in
                extra = sspf[int(rng.integers(len(sspf)))] if sspf else None
                if extra and extra != p.huvudman and extra not in partners:
                    partners.append(extra)
            lo_age, hi_age = p.ages
            if hi_age - lo_age >= 4 and rng.random() < 0.3:  # local variation of the ages
                lo_age = min(lo_age + int(rng.integers(0, 2)), hi_age)
                hi_age = max(hi_age - int(rng.integers(0, 2)), lo_age)
            deltagare = None
            if p.participants is not None and rng.random() >= 0.12:
                lo, hi = p.participants
                deltagare = max(round(rng.uniform(lo, hi) * size), 1)
            r = rng.random()
            status = statuses[0] if r < 0.80 else statuses[1] if r < 0.92 else statuses[2]
            kommentar = _COMMENTS[int(rng.integers(len(_COMMENTS)))] if rng.random() < 0.3 else ""
            if m.code == _SPECIAL_COMMENT[0] and p.name.startswith("SSPF"):
                kommentar = _SPECIAL_COMMENT[1]
            rows.append(
                {
                    "kommunkod": m.code,
                    "insats": p.name,
                    "huvudman": p.huvudman if p.huvudman in actors else sorted(actors)[0],
                    "niva": p.niva if p.niva in levels else levels[0],
                    "inriktning": p.inriktning if p.inriktning in targets else targets[0],
                    "alder_fran": lo_age,
                    "alder_till": hi_age,
                    "faktorer": ";".join(faktorer),
                    "push_pull": ";".join(x for x in p.push_pull if x in pp_ids),
                    "kunskapslage": p.kunskapslage if p.kunskapslage in knowledge else "ej bedömd",
                    "metod": p.metod,
                    "deltagare_per_ar": deltagare,
                    "samverkan": ";".join(partners),
                    "status": status,
                    "kommentar": kommentar,
                }
            )
    out = pd.DataFrame(rows, columns=list(INSATSER_COLUMNS))
    out["alder_fran"] = out["alder_fran"].astype("int64")
    out["alder_till"] = out["alder_till"].astype("int64")
    out["deltagare_per_ar"] = out["deltagare_per_ar"].astype("Int64")
    return out


def _small_cell(enkat: pd.DataFrame, cb: Codebook) -> pd.DataFrame:
    """The survey with :data:`SMALL_CELL` thinned to its few respondents (no random draw)."""
    code, year, grade, sex, keep = SMALL_CELL
    if code not in cb.municipality_codes:
        return enkat
    in_cell = (
        (enkat["Hemkommun"] == cb.municipality_name(code))
        & (enkat["ar"] == year)
        & (enkat["ARSKURS"] == grade)
        & (enkat["Kön"] == sex)
    ).to_numpy()
    drop = in_cell & (np.cumsum(in_cell) > keep)
    return enkat.loc[~drop].reset_index(drop=True)


def _small_intervention(insatser: pd.DataFrame) -> pd.DataFrame:
    """The inventory with :data:`SMALL_INTERVENTION` ongoing at its few participants a year."""
    code, name, participants = SMALL_INTERVENTION
    row = (insatser["kommunkod"] == code) & (insatser["insats"] == name)
    out = insatser.copy()
    out.loc[row, "deltagare_per_ar"] = participants
    out.loc[row, "status"] = "pågående"
    return out


def _quality_answers(
    insatser: pd.DataFrame, cb: Codebook, rng: np.random.Generator
) -> pd.DataFrame:
    """The inventory with one column per codebook quality question (answer id, or None for a
    blank cell), appended after its other columns; the model is the module notes'.

    A fixed number of draws from ``rng`` whatever the rows hold, so that the columns before
    them, drawn earlier, are unchanged.
    """
    questions = cb.ids("quality_questions")
    answers = set(cb.ids("quality_answers"))
    yes, partly, no, dont_know = "ja", "delvis", "nej", "vet ej"
    if not questions or not {yes, partly, no, dont_know} <= answers:
        return insatser
    n, k = len(insatser), len(questions)
    codes = list(cb.municipality_codes)
    municipality = rng.normal(0.0, QUALITY_MUNICIPALITY_SD, len(codes))
    own = rng.normal(0.0, 0.6, n)
    noise = rng.normal(0.0, 0.6, (n, k))
    u_dont_know = rng.random((n, k))
    u_all_blank = rng.random(n)
    u_blank = rng.random((n, k))
    position = {c: i for i, c in enumerate(codes)}
    score = (
        insatser["kunskapslage"].map(QUALITY_KNOWLEDGE).fillna(0.0).to_numpy(float)
        + insatser["status"].map(QUALITY_STATUS).fillna(0.0).to_numpy(float)
        + municipality[insatser["kommunkod"].map(position).to_numpy(int)]
        + own
    )
    ease = np.array([QUALITY_EASE.get(q, 0.0) for q in questions])
    z = score[:, None] + ease[None, :] + noise
    drawn = np.where(z > QUALITY_CUTS[0], yes, np.where(z > QUALITY_CUTS[1], partly, no))
    p_dont_know = np.array([QUALITY_DONT_KNOW.get(q, QUALITY_DONT_KNOW_DEFAULT) for q in questions])
    drawn = np.where(u_dont_know < p_dont_know[None, :], dont_know, drawn).astype(object)
    drawn[(u_all_blank < QUALITY_ALL_BLANK)[:, None] | (u_blank < QUALITY_BLANK)] = None
    out = insatser.copy()
    for j, q in enumerate(questions):
        out[q] = drawn[:, j]
    return out


# --- Kolada key figures ---------------------------------------------------------------------
#: Columns of ``kolada.csv``, in Kolada's shape (one row per KPI, area, year and gender).
KOLADA_COLUMNS: tuple[str, ...] = ("kpi", "municipality_id", "year", "gender", "value", "status")
KOLADA_YEARS: tuple[int, ...] = tuple(range(2015, 2025))
#: Inhabitants of the county and the country at the end of 2024 (SCB, rounded) and the yearly
#: growth rate, for the count KPIs of the county and country rows.
KOLADA_WIDER_AREAS: dict[str, tuple[int, float]] = {
    "0001": (2_455_000, 0.012),  # Stockholms län
    "0000": (10_588_000, 0.007),  # Riket
}
#: A count below this is published as ``Privacy`` with no value (the example's own rule, in
#: the spirit of the statistics agencies' small-count suppression). When one sex is protected
#: the other is too, so that neither can be recovered from the total.
KOLADA_PRIVACY_LIMIT = 10
#: Rows published as ``Missing`` with no value: (KPI, area or None for every area, years).
KOLADA_MISSING: tuple[tuple[str, str | None, tuple[int, ...]], ...] = (
    ("N02904", None, (2024,)),  # the latest year is not yet published
    ("N17625", "0125", (2015, 2016)),  # not reported for Ekerö in the first years
)


@dataclass(frozen=True)
class _KpiModel:
    """How one synthetic KPI behaves (the example's own choices, in the KPI's unit).

    ``level`` is the country's value in 2015 (for a count KPI: per 1 000 inhabitants);
    ``trend`` the relative change per year; ``county`` the county's level relative to the
    country; ``vulnerability`` the relative shift per unit of a municipality's vulnerability
    score (minus one to plus one, from :data:`MUNICIPALITY_RISK`); ``spread`` the SD of a
    municipality's own relative offset; ``noise`` the relative year-to-year noise of a
    municipality; ``women`` the women's value relative to the men's; ``decimals`` how Kolada
    rounds it.
    """

    level: float
    trend: float
    county: float
    vulnerability: float
    spread: float = 0.05
    noise: float = 0.03
    women: float = 1.0
    decimals: int = 1


KOLADA_MODEL: dict[str, _KpiModel] = {
    "N02797": _KpiModel(6.8, -0.015, 0.82, 0.25, women=0.85),
    "N02906": _KpiModel(7.3, -0.015, 0.83, 0.25, women=0.85),
    "N15428": _KpiModel(84.5, 0.002, 1.04, -0.045, spread=0.012, noise=0.008, women=1.04),
    "N17625": _KpiModel(8.5, 0.01, 1.12, 0.25, spread=0.08, noise=0.04, women=0.8),
    "N02904": _KpiModel(13.0, -0.025, 0.92, 0.45, spread=0.08, noise=0.025),
    "N31807": _KpiModel(4.3, -0.025, 0.82, 0.35, spread=0.08, noise=0.025),
    "N07403": _KpiModel(1000, 0.0, 1.12, 0.2, spread=0.08, noise=0.035, decimals=0),
    "U07417": _KpiModel(4800, -0.03, 1.12, 0.15, spread=0.15, noise=0.04, decimals=0),
    "U07452": _KpiModel(2300, -0.03, 1.05, 0.25, spread=0.15, noise=0.05, decimals=0),
    "N07907": _KpiModel(17.0, 0.005, 1.15, 0.2, spread=0.1, noise=0.02, women=0.98),
    "N33812": _KpiModel(1.9, -0.01, 0.7, 0.35, spread=0.1, women=0.9, decimals=0),
    "N33813": _KpiModel(0.8, -0.05, 0.8, 0.35, spread=0.1, women=0.5, decimals=0),
}
#: A KPI the model does not know (a codebook addition) gets a neutral level in its unit.
_DEFAULT_KPI_LEVEL = {"procent": 10.0, "per_1000": 10.0, "per_100000": 1000.0, "antal": 1.0}


def _inhabitants(area: str, year: int) -> float:
    total, growth = KOLADA_WIDER_AREAS.get(area) or INHABITANTS_2024.get(area, (50_000, 0.01))
    return total * (1 + growth) ** (year - 2024)


def _kpi_model(kpi, codebook: Codebook) -> _KpiModel:
    model = KOLADA_MODEL.get(kpi.id)
    if model is not None:
        return model
    unit = codebook.kolada_unit(kpi.unit)
    level = _DEFAULT_KPI_LEVEL.get(unit.id, 10.0)
    if kpi.plausible is not None:
        level = sum(kpi.plausible) / 2
    return _KpiModel(level, 0.0, 1.0, 0.2 if not kpi.higher_is_better else -0.05, decimals=1)


def _kolada_rows(kpi, codebook: Codebook, rng: np.random.Generator) -> list[dict]:
    """Rows of one KPI for every area, year and (where Kolada divides it) gender."""
    model = _kpi_model(kpi, codebook)
    unit = codebook.kolada_unit(kpi.unit)
    count = unit.id == "antal"
    low = unit.low if unit.low is not None else 0.0
    high = unit.high if unit.high is not None else np.inf
    if kpi.plausible is not None:
        low, high = max(low, kpi.plausible[0]), min(high, kpi.plausible[1])
    areas = list(codebook.kolada_areas())
    years = np.array(KOLADA_YEARS)
    # The county's and the country's smooth level; each municipality is the county shifted by
    # its vulnerability and its own offset, with a slightly different slope.
    smooth = model.level * (1 + model.trend) ** (years - years[0])
    share_women = model.women / (1 + model.women)
    rows = []
    for area in areas:
        if area == "0000":
            base, noise = smooth, 0.004
        elif area == "0001":
            base, noise = smooth * model.county, 0.008
        else:
            score = MUNICIPALITY_RISK.get(area, 0.0) / 0.25
            offset = model.vulnerability * score + rng.normal(0, model.spread)
            slope = rng.normal(0, 0.006)
            base = smooth * model.county * (1 + offset) * (1 + slope) ** (years - years[0])
            noise = model.noise
        values = base * (1 + rng.normal(0, noise, years.size))
        for year, value in zip(years, values, strict=True):
            if count:
                total = int(rng.poisson(max(value, 0) * _inhabitants(area, int(year)) / 1000))
                women = int(rng.binomial(total, share_women))
                by_gender = {"T": float(total), "K": float(women), "M": float(total - women)}
                protected = {g for g, v in by_gender.items() if v < KOLADA_PRIVACY_LIMIT}
                if protected & {"K", "M"}:
                    protected |= {"K", "M"}
            else:
                value = float(np.clip(value, low, high))
                women_value = 2 * value * share_women
                by_gender = {
                    "T": value,
                    "K": float(np.clip(women_value, low, high)),
                    "M": float(np.clip(2 * value - women_value, low, high)),
                }
                protected = set()
            for gender in ("T", "K", "M") if kpi.by_gender else ("T",):
                status = "Privacy" if gender in protected else ""
                rows.append(
                    {
                        "kpi": kpi.id,
                        "municipality_id": area,
                        "year": int(year),
                        "gender": gender,
                        "value": None if status else round(by_gender[gender], model.decimals),
                        "status": status,
                    }
                )
    for missing_kpi, missing_area, missing_years in KOLADA_MISSING:
        if missing_kpi != kpi.id:
            continue
        for row in rows:
            if row["year"] in missing_years and missing_area in (None, row["municipality_id"]):
                row["value"], row["status"] = None, "Missing"
    return rows


def kolada_frame(codebook: Codebook | None = None, seed: int = config.DEFAULT_SEED) -> pd.DataFrame:
    """Synthetic key figures in Kolada's shape for every codebook KPI (``kolada.csv``).

    Columns: ``kpi``, ``municipality_id`` (the eight municipality codes, ``0001`` Stockholms
    län, ``0000`` Riket), ``year`` (2015–2024), ``gender`` (``T``; also ``K`` and ``M`` for a
    KPI Kolada divides by gender), ``value`` (Float64, <NA> when not published) and ``status``
    (``""``, ``Missing`` or ``Privacy``). Levels, trends and municipality differences follow
    :data:`KOLADA_MODEL`; counts (unit ``antal``) are Poisson draws from each area's
    inhabitants and protected below :data:`KOLADA_PRIVACY_LIMIT`; :data:`KOLADA_MISSING` lists
    the unpublished rows. Draws come from their own stream (``default_rng([seed, 7])``), so the
    other example files do not change when this does.
    """
    cb = codebook or load_codebook()
    rng = np.random.default_rng([seed, 7])
    rows = [row for kpi in cb.kolada_kpis for row in _kolada_rows(kpi, cb, rng)]
    out = pd.DataFrame(rows, columns=list(KOLADA_COLUMNS))
    out["year"] = out["year"].astype("int64")
    out["value"] = out["value"].astype("Float64")
    return out


def _kolada_bytes(frame: pd.DataFrame, codebook: Codebook) -> bytes:
    """``kolada.csv``: UTF-8, comma, header; each value with its KPI's decimals, blank if none."""
    decimals = {k.id: _kpi_model(k, codebook).decimals for k in codebook.kolada_kpis}
    values = [
        "" if pd.isna(v) else f"{float(v):.{decimals.get(kpi, 1)}f}"
        for kpi, v in zip(frame["kpi"], frame["value"], strict=True)
    ]
    return frame.assign(value=values).to_csv(index=False, lineterminator="\n").encode("utf-8")


# --- more municipalities (growth benchmarks) -------------------------------------------------
#: The 26 municipalities of Stockholm County (SCB codes).
COUNTY: dict[str, str] = {
    "0114": "Upplands Väsby", "0115": "Vallentuna", "0117": "Österåker", "0120": "Värmdö",
    "0123": "Järfälla", "0125": "Ekerö", "0126": "Huddinge", "0127": "Botkyrka",
    "0128": "Salem", "0136": "Haninge", "0138": "Tyresö", "0139": "Upplands-Bro",
    "0140": "Nykvarn", "0160": "Täby", "0162": "Danderyd", "0163": "Sollentuna",
    "0180": "Stockholm", "0181": "Södertälje", "0182": "Nacka", "0183": "Sundbyberg",
    "0184": "Solna", "0186": "Lidingö", "0187": "Vaxholm", "0188": "Norrtälje",
    "0191": "Sigtuna", "0192": "Nynäshamn",
}  # fmt: skip
#: Made-up municipalities beyond the county get codes from here up, named "Påhittad kommun
#: <n>": no Swedish municipality code starts with 9, so none can pass for a real one.
MADE_UP_FIRST_CODE = 9001
MIN_MUNICIPALITIES = 2
MAX_MUNICIPALITIES = len(COUNTY) + 999
#: The codebook ``write_example`` writes beside data for another number of municipalities.
CODEBOOK_FILE = "kodbok.yaml"


def municipalities_for(n: int, codebook: Codebook | None = None) -> list[tuple[str, str]]:
    """``n`` municipalities as (code, name), in code order: the codebook's own first (the
    example's eight), then the rest of Stockholm County by code (:data:`COUNTY`), then made-up
    ones (``9001 Påhittad kommun 1``, …). 26 gives the county."""
    if not MIN_MUNICIPALITIES <= n <= MAX_MUNICIPALITIES:
        raise InvalidArgumentError(
            f"Antalet kommuner ska vara {MIN_MUNICIPALITIES}–{MAX_MUNICIPALITIES}, inte {n}."
        )
    own = [(m.code, m.name) for m in (codebook or load_codebook()).municipalities]
    county = [(code, name) for code, name in COUNTY.items() if code not in dict(own)]
    made_up = [(f"{MADE_UP_FIRST_CODE + i}", f"Påhittad kommun {i + 1}") for i in range(n)]
    return sorted([*own, *county, *made_up][:n])


def codebook_text(n: int) -> str:
    """The codebook in use (YAML) with :func:`municipalities_for` ``n`` municipalities and a
    region of them all, for synthetic data at another size than the example's."""
    book = yaml.safe_load(config.codebook_path().read_text(encoding="utf-8"))
    municipalities = municipalities_for(n, load_codebook())
    book["municipalities"] = [{"code": code, "name": name} for code, name in municipalities]
    book["region"] = {"code": book["region"]["code"], "name": f"Syntetisk region ({n} kommuner)"}
    return yaml.safe_dump(book, allow_unicode=True, sort_keys=False, width=100)


# --- public API -----------------------------------------------------------------------------
#: The example's later mapping round: its date and the municipalities that returned one.
LATER_ROUND = ("2026-10-15", ("0114", "0191"))
_NEW_COMMENT = "Ny sedan förra kartläggningen."


def _later_rounds(insatser: pd.DataFrame, cb: Codebook, rng: np.random.Generator) -> pd.DataFrame:
    """A second mapping round for :data:`LATER_ROUND`'s municipalities, as a municipality
    returns its mapping a year on: one ongoing intervention is no longer listed, the first
    planned one has started, two report another number of participants, one selective
    prevention programme is now counted as förhindra, and two programmes of the catalogue the
    municipality did not run are new (ongoing, with mid-range reach and their own quality
    answers). From a stream of its own, so the other files stay as they are."""
    day, codes = LATER_ROUND
    codes = [c for c in codes if c in cb.municipality_codes]
    if not codes:  # a codebook without them (``--municipalities`` with few): no later round
        return pd.DataFrame(columns=[*insatser.columns, "round_id"])
    sizes = {m.code: INHABITANTS_2024.get(m.code, (50_000, 0.0))[0] for m in cb.municipalities}
    actors = set(cb.ids("actors"))
    questions = cb.ids("quality_questions")
    parts = []
    for code in codes:
        own = insatser.loc[insatser["kommunkod"] == code].reset_index(drop=True).copy()
        ongoing = own.index[own["status"] == "pågående"].tolist()
        gone = int(rng.choice(ongoing))
        planned = own.index[own["status"] == "planerad"].tolist()
        if planned:
            own.loc[planned[0], "status"] = "pågående"
        known = [i for i in own.index[own["deltagare_per_ar"].notna()] if i != gone]
        for i in rng.choice(known, size=min(2, len(known)), replace=False):
            before = int(own.loc[i, "deltagare_per_ar"])
            own.loc[i, "deltagare_per_ar"] = max(1, round(before * rng.uniform(0.5, 1.9)))
        selective = [
            i
            for i in ongoing
            if i != gone
            and own.loc[i, "niva"] == "förebygga"
            and own.loc[i, "inriktning"] != "universell"
        ]
        if selective:
            own.loc[int(rng.choice(selective)), "niva"] = "förhindra"
        present = set(own["insats"])
        candidates = [p for p in CATALOGUE if p.name not in present and p.participants]
        new = []
        for j in rng.permutation(len(candidates))[:2]:
            p = candidates[int(j)]
            lo, hi = p.participants or (0, 0)
            answers = rng.choice(["ja", "delvis", "nej"], size=len(questions), p=[0.5, 0.3, 0.2])
            new.append(
                {
                    "kommunkod": code,
                    "insats": p.name,
                    "huvudman": p.huvudman,
                    "niva": p.niva,
                    "inriktning": p.inriktning,
                    "alder_fran": p.ages[0],
                    "alder_till": p.ages[1],
                    "faktorer": ";".join(p.faktorer),
                    "push_pull": ";".join(p.push_pull),
                    "kunskapslage": p.kunskapslage,
                    "metod": p.metod,
                    "deltagare_per_ar": max(round((lo + hi) / 2 * sizes[code] / 60_000), 1),
                    "samverkan": ";".join(a for a in p.partners if a in actors and a != p.huvudman),
                    "status": "pågående",
                    "kommentar": _NEW_COMMENT,
                    **dict(zip(questions, answers.tolist(), strict=True)),
                }
            )
        round_rows = pd.concat([own.drop(index=gone), pd.DataFrame(new)], ignore_index=True)
        parts.append(round_rows.assign(round_id=day))
    out = pd.concat(parts, ignore_index=True)
    out["deltagare_per_ar"] = out["deltagare_per_ar"].astype("Int64")
    return out


def generate(
    seed: int = config.DEFAULT_SEED, scale: float = 1.0, codebook: Codebook | None = None
) -> dict[str, pd.DataFrame]:
    """Generate the synthetic raw inputs for every municipality in the codebook.

    Returns raw-layout frames (the raw input contract, before reading and validation):

    - ``enkat``: one row per respondent, every Stockholmsenkäten export column in export order
      (``ar``, ``Hemkommun`` as a name, ``Skolkommun``, …, ``ARSKURS``, ``Kön``, items as
      nullable integer response codes 1..levels, blank = no answer, ``DIDkommun``); columns the
      codebook does not score are blank.
    - ``insatser``: kommunkod, insats, huvudman, niva, inriktning, alder_fran, alder_till,
      faktorer, push_pull, kunskapslage, metod, deltagare_per_ar (nullable), samverkan,
      status, kommentar, then one column per codebook quality question (an answer id, None
      when not answered).
    - ``befolkning``: kommunkod, ar (2018–2024), alder (0–25), kon (Pojke/Flicka), antal.
    - ``kolada``: kpi, municipality_id, year, gender, value, status (see :func:`kolada_frame`).
    - ``elever``: kommunkod, ar (the survey years), arskurs (grade id), antal: pupils enrolled
      per municipality, year and grade.
    - ``rounds``: the later mapping rounds (:func:`_later_rounds`): ``insatser``'s columns and
      ``round_id``, the date the round is stored under.

    ``scale`` multiplies the population (and so the number of respondents); the key figures
    describe whole municipalities and do not depend on it.
    """
    if scale <= 0:
        raise InvalidArgumentError("scale must be positive")
    cb = codebook or load_codebook()
    rng = np.random.default_rng(seed)
    pop = _population(cb, rng, scale)
    # the survey and the inventory draw from streams of their own, so that a new survey item
    # leaves the inventory as it was
    survey_rng, inventory_rng = (np.random.default_rng([seed, part]) for part in (1, 2))
    enkat = _small_cell(_unserious_answers(_survey(cb, pop, survey_rng), cb, survey_rng), cb)
    # the quality answers come last from the inventory's stream: its other columns stay put
    insatser = _quality_answers(
        _small_intervention(_interventions(cb, inventory_rng)), cb, inventory_rng
    )
    kolada = kolada_frame(cb, seed)
    elever = _enrolment(cb, pop, enkat, np.random.default_rng([seed, 3]))
    return {
        "enkat": enkat,
        "insatser": insatser,
        "befolkning": pop,
        "kolada": kolada,
        "elever": elever,
        "rounds": _later_rounds(insatser, cb, np.random.default_rng([seed, 4])),
    }


def _enkat_bytes(frame: pd.DataFrame) -> bytes:
    text = frame.to_csv(index=False, lineterminator="\n")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=6) as gz:
        gz.write(text.encode("utf-8"))
    return buf.getvalue()


def _insatser_bytes(frame: pd.DataFrame) -> bytes:
    """Excel's "CSV (semikolonavgränsad)": ``;``, Windows-1252, CRLF, decimal comma."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(frame.columns)
    for row in frame.itertuples(index=False):
        writer.writerow(_excel_cell(v) for v in row)
    return buf.getvalue().encode("cp1252")


def _excel_cell(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float | np.floating):
        return f"{value:g}".replace(".", ",")
    return str(value)


def _utf8_csv_bytes(frame: pd.DataFrame) -> bytes:
    """A plain CSV: UTF-8, comma, LF (``befolkning.csv``, ``elever.csv``)."""
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _synth_command(seed: int, municipalities: int | None) -> str:
    more = f" --municipalities {municipalities}" if municipalities else ""
    return f"fouanalys synth --seed {seed}{more}"


def _marker_text(seed: int, scale: float, municipalities: int | None = None) -> str:
    return (
        "Syntetiska exempeldata — inte verkliga resultat.\n\n"
        "Filerna i den här mappen är påhittade. De är genererade av programmet med\n"
        f"    {_synth_command(seed, municipalities)}\n"
        f"(skala {scale:g}) och liknar riktiga underlag till form och storlek, men de beskriver\n"
        "inga verkliga ungdomar, insatser eller kommuner. Använd dem inte som resultat.\n"
        "Nyckeltalen i kolada.csv har Koladas form men är också påhittade: de är inte\n"
        "hämtade från Kolada och är inte kommunernas verkliga värden.\n"
    )


def _readme_text(seed: int, scale: float, municipalities: int | None = None) -> str:
    if municipalities:
        return _readme_example(seed, scale) + _readme_more(seed, municipalities)
    return _readme_example(seed, scale)


def _readme_more(seed: int, n: int) -> str:
    return f"""
## {n} kommuner

Den här mappen gjordes med `{_synth_command(seed, n)}`:
data för {n} kommuner i stället för exemplets åtta (Stockholms läns 26 kommuner, och
därutöver påhittade kommuner med koder från {MADE_UP_FIRST_CODE}). Kommunerna står i kodboken
`{CODEBOOK_FILE}` i mappen; bygg med den:

    FOUANALYS_CODEBOOK={CODEBOOK_FILE} fouanalys build --data-dir .

Beskrivningen ovan gäller kommunerna i exemplet; de andra har 50 000 invånare var.
"""


def _readme_example(seed: int, scale: float) -> str:
    return f"""# Syntetiska exempeldata

**Syntetiska exempeldata — inte verkliga resultat.** Allt i den här mappen är påhittat och
genererat av `fouanalys.ingest.synthetic` (kommandot `fouanalys synth --seed {seed}`, skala
{scale:g}). Samma frö ger byte för byte samma filer. Filen `{config.SYNTHETIC_MARKER}` markerar
mappen som syntetisk; rapporter som byggs härifrån får en banderoll om det.

- `enkat.csv.gz` — enkätsvar i Stockholmsenkätens exportformat (alla kolumner, i exportens
  ordning), en rad per svarande; år 2018, 2020, 2022 och 2024, åk 9 och gy 2. UTF-8, komma,
  gzip. Svarskoder 1..antal svarsalternativ, tomt = inget svar. Kolumner som kodboken inte
  använder är tomma.
- `insatser.csv` — kartläggning av insatser, en rad per insats och kommun (15–40 per kommun).
  Excels "CSV (semikolonavgränsad)": semikolon, Windows-1252, CRLF. De fem sista kolumnerna
  är Data i Dialogs kvalitetsfrågor (ja, delvis, nej, vet ej; tomt = inte besvarad).
- `kartlaggning/0114/2026-10-15.csv`, `kartlaggning/0191/2026-10-15.csv` — en senare
  kartläggningsomgång för Upplands Väsby och Sigtuna, som `fouanalys mapping import` sparar
  den: en insats är inte längre med, en planerad har startat, två anger ett annat antal
  deltagare, en har bytt nivå och två är nya. Bygget använder den senaste omgången och
  jämför den med den förra i kapitlet om insatser. UTF-8 med BOM, semikolon.
- `befolkning.csv` — befolkning per kommun, år (2018–2024), ettårsålder 0–25 och kön. UTF-8,
  komma.
- `elever.csv` — inskrivna elever per hemkommun, enkätår och årskurs (`kommunkod, ar, arskurs,
  antal`): nämnaren för svarsfrekvensen. Årskullen i befolkningen gånger en andel inskrivna i
  årskursen (96–99 % i åk 9, 88–94 % i gy 2), aldrig färre än årskursens svarande. UTF-8,
  komma.
- `kolada.csv` — nyckeltal i Koladas form (`kpi, municipality_id, year, gender, value,
  status`) för kodbokens nyckeltal, de åtta kommunerna, Stockholms län (0001) och riket
  (0000), 2015–2024. UTF-8, komma. Också syntetiska: de är inte hämtade från Kolada. Några
  värden är markerade som ej publicerade (`Missing`) eller skyddade för att de bygger på få
  personer (`Privacy`); de har då inget värde. Riktiga värden hämtas med `fouanalys fetch
  kolada`.

Hur data skapas: antalet svarande är binomialfördelat ur årskullens storlek och en rimlig
svarsfrekvens. Varje svarande har korrelerade latenta drag (risk- och skyddsfaktorer) som
skiljer sig något mellan kommuner, kön, årskurs och år; varje fråga besvaras enligt en
ordinal logitmodell. Skillnaderna mellan kommunerna är exemplets egna val och säger ingenting
om de verkliga kommunerna. Insatserna är vanliga svenska programtyper med påhittad omfattning.
Omkring 0,5 % av de svarande svarar som ingen som menar allvar gör: samma ytterlighetssvar på
alla påståenden, eller "Mer än 10 gånger" på alla frågor om brott. Regeln i kodboken
(`unserious`) hittar dem och tar bort dem innan indexen räknas.
För att visa röjandeskyddet i en byggd rapport finns några små grupper med avsikt: bara tre
flickor i gy 2 från Ekerö svarar 2024, Ekerös avhopparverksamhet har två deltagare per år, och
elever som anger annat eller inget kön blir 1–4 i flera små årskurser.
Nyckeltalen följer en jämn trend på en rimlig nivå för varje nyckeltal, med skillnader mellan
kommunerna och lite slumpmässigt brus; andelar och tal per invånare ligger för länet och riket
nära kommunernas genomsnitt, och antal följer områdets folkmängd.
"""


def write_example(
    out_dir: Path | str = config.EXAMPLE_DATA_DIR,
    seed: int = config.DEFAULT_SEED,
    scale: float = 1.0,
    municipalities: int | None = None,
) -> dict[str, Path]:
    """Generate and write the synthetic example into ``out_dir``.

    With ``municipalities``, the data are for that many municipalities
    (:func:`municipalities_for`: the county's 26, then made-up ones) and a codebook that
    lists them is written beside them (:data:`CODEBOOK_FILE`, key ``codebook``); build with
    it through ``$FOUANALYS_CODEBOOK``.

    Writes ``enkat.csv.gz``, ``insatser.csv``, ``befolkning.csv``, ``kolada.csv``,
    ``elever.csv``, the later mapping rounds (``kartlaggning/<kod>/<datum>.csv``, as
    ``fouanalys mapping import`` stores them), the marker file (``config.SYNTHETIC_MARKER``)
    and ``README.md``, atomically: everything is written to temporary files first and then
    moved into place, so an interrupted run leaves the old files. Returns the paths by name
    (``enkat``, ``insatser``, ``befolkning``, ``kolada``, ``elever``, ``marker``, ``readme``
    and ``kartlaggning/<kod>/<datum>`` for each round).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    codebook, extra = load_codebook(), {}
    if municipalities is not None:
        text = codebook_text(municipalities)
        codebook = Codebook.model_validate(yaml.safe_load(text))
        extra = {"codebook": (CODEBOOK_FILE, text.encode("utf-8"))}
    frames = generate(seed=seed, scale=scale, codebook=codebook)
    payloads = {
        "enkat": ("enkat.csv.gz", _enkat_bytes(frames["enkat"])),
        "insatser": ("insatser.csv", _insatser_bytes(frames["insatser"])),
        "befolkning": ("befolkning.csv", _utf8_csv_bytes(frames["befolkning"])),
        "kolada": ("kolada.csv", _kolada_bytes(frames["kolada"], codebook)),
        "elever": ("elever.csv", _utf8_csv_bytes(frames["elever"])),
        "marker": (
            config.SYNTHETIC_MARKER,
            _marker_text(seed, scale, municipalities).encode("utf-8"),
        ),
        "readme": ("README.md", _readme_text(seed, scale, municipalities).encode("utf-8")),
        **extra,
    }
    for (code, day), rows in frames["rounds"].groupby(["kommunkod", "round_id"], sort=True):
        name = f"{ROUNDS_FOLDER}/{code}/{day}.csv"
        text = round_csv(rows.drop(columns="round_id"), codebook)
        payloads[name.removesuffix(".csv")] = (name, text.encode("utf-8"))
    tmp_paths: dict[str, Path] = {}
    try:
        for key, (name, data) in payloads.items():
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            tmp = (out / name).parent / f".{Path(name).name}.tmp-{os.getpid()}"
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            tmp_paths[key] = tmp
        paths = {}
        for key, (name, _) in payloads.items():
            os.replace(tmp_paths[key], out / name)
            paths[key] = out / name
    finally:
        for tmp in tmp_paths.values():
            tmp.unlink(missing_ok=True)
    logger.info(
        "Syntetiska exempeldata skrivna till %s (frö %d, %d svarande)",
        out,
        seed,
        len(frames["enkat"]),
    )
    return paths
