"""Chapter 06, *Regional översikt*: all municipalities side by side.

Pure functions over the processed tables (``prevalence``, ``priorities``, ``coverage``) and
``samverkan.regional_collaboration``, each returning a tidy frame or Swedish sentences, and the
chapter's figures built from those frames (each returns a matplotlib
:class:`~matplotlib.figure.Figure`). Nothing here reads files or computes statistics afresh.

Conventions:

- The side-by-side views use one survey year (by default the latest year the region has rows
  for), all grades and both sexes (the codebook's ``all_label``).
- *Elevated* is the priorities table's flag: statistically certainly worse than the rest of the
  region (a risk factor more common, a protective factor less common). A suppressed row is never
  elevated.
- Disclosure: a suppressed survey cell carries no number here, neither share nor interval nor
  count; it shows as ``"–"`` (grey in figures).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from fouanalys.chapters.insatser.display import (
    GAP_ORDER,
    coverage_cells,
    gap_counts,
    protected_reach,
)
from fouanalys.chapters.natverk.samverkan import PAIR_JOIN
from fouanalys.chapters.riskfaktorer.display import PROFILE_KINDS
from fouanalys.codebook import Codebook, load_codebook
from fouanalys.collaboration import split_pairs
from fouanalys.coverage import THIN_REACH_PER_1000, regional_coverage
from fouanalys.exceptions import FouanalysError
from fouanalys.present.labels import GAP_STATUS_LABELS, PRIORITISED, group_phrase, stage_phrase
from fouanalys.present.text import (
    DASH,
    MISSING,
    format_number,
    format_share,
    is_missing,
    join_words,
    lower_first,
    number_word,
)
from fouanalys.priority import prioritised, split_groups

#: Row label of the whole region in the side-by-side figures and tables.
REGION_LABEL = "Hela regionen"
#: Marker of an elevated cell: a risk factor more common (▲), a protective factor less common (▼).
ELEVATED_MARKS = {"risk": "▲", "protective": "▼"}
#: A municipality's coverage cell counts as thin when its known reach is below this share of the
#: region's reach in the same cell.
THIN_SHARE_OF_REGION = 0.5
#: At most this many factors are named in a municipality's sentence.
MAX_NAMED_FACTORS = 3

HEATMAP_COLUMNS = [
    "municipality_code",
    "municipality",
    "is_region",
    "year",
    "factor",
    "label",
    "kind",
    "n",
    "share",
    "ci_low",
    "ci_high",
    "suppressed",
    "elevated",
    "state",
    "text",
]


# --- helpers --------------------------------------------------------------------------------


def _all_rows(frame: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    all_label = codebook.survey.all_label
    return frame.loc[(frame["grade"] == all_label) & (frame["sex"] == all_label)]


def latest_survey_year(prevalence: pd.DataFrame, codebook: Codebook | None = None) -> int:
    """The latest survey year with all-students rows for the region (else for anyone)."""
    codebook = codebook or load_codebook()
    rows = _all_rows(prevalence, codebook)
    region = rows.loc[rows["municipality_code"] == codebook.region.code]
    years = (region if len(region) else rows)["year"].dropna()
    if years.empty:
        raise FouanalysError(
            "Prevalenstabellen har inga rader för alla elever: bygg om de bearbetade tabellerna "
            "(fouanalys build)."
        )
    return int(years.max())


def chapter_municipality(value: object, codebook: Codebook | None = None) -> str | None:
    """The municipality a regional chapter highlights: None for the region itself."""
    codebook = codebook or load_codebook()
    text = str(value).strip()
    if value is None or text in ("", codebook.region.code) or text == codebook.region.name:
        return None
    return codebook.resolve_municipality(text)


def _areas(codebook: Codebook, region: bool = True) -> list[tuple[str, str, bool]]:
    """(code, row label, is_region) for every municipality and, last, the region."""
    areas = [(m.code, m.name, False) for m in codebook.municipalities]
    if region:
        areas.append((codebook.region.code, REGION_LABEL, True))
    return areas


def _factors(codebook: Codebook) -> list:
    """Risk factors then protective factors, codebook order within each."""
    return [i for kind in PROFILE_KINDS for i in codebook.indices if i.kind == kind]


def _elevated(priorities: pd.DataFrame, codebook: Codebook, year: int) -> pd.DataFrame:
    """Published elevated all-students rows of ``year``, with their numbers."""
    rows = _all_rows(priorities, codebook)
    rows = rows.loc[rows["year"].astype("Int64") == int(year)]
    published = ~rows["suppressed"].astype("boolean").fillna(True).astype(bool)
    elevated = rows["elevated"].astype("boolean").fillna(False).astype(bool)
    return rows.loc[published & elevated & rows["share"].notna()]


# --- factors: heatmap and forest plot -------------------------------------------------------


def factor_heatmap_table(
    prevalence: pd.DataFrame,
    priorities: pd.DataFrame | None,
    codebook: Codebook | None = None,
    year: int | None = None,
) -> pd.DataFrame:
    """Each municipality's share above the cut-point per factor, all students, one year.

    One row per area × factor: the codebook's municipalities in codebook order, then the region
    (``is_region``), and per area the risk factors then the protective factors (codebook order).
    ``year`` defaults to :func:`latest_survey_year`.

    Columns: ``municipality_code, municipality`` (name; the region is "Hela regionen"),
    ``is_region`` (bool), ``year`` (int), ``factor, label, kind`` (str); ``n`` (Int64),
    ``share, ci_low, ci_high`` (Float64) — all NA when the cell is suppressed or missing;
    ``suppressed`` (bool); ``elevated`` (bool: published and flagged in ``priorities``, never
    for the region or a suppressed cell); ``state`` ("shown", "suppressed" or "missing": no
    row for the area and year); ``text`` ("31 %", "–" when not shown).
    """
    codebook = codebook or load_codebook()
    year = latest_survey_year(prevalence, codebook) if year is None else int(year)
    rows = _all_rows(prevalence, codebook)
    rows = rows.loc[rows["year"].astype("Int64") == year].drop_duplicates(
        ["municipality_code", "factor"]
    )
    cells = rows.set_index(["municipality_code", "factor"])
    flagged = set()
    if priorities is not None:
        elevated = _elevated(priorities, codebook, year)
        flagged = set(zip(elevated["municipality_code"], elevated["factor"], strict=True))
    records = []
    for code, name, is_region in _areas(codebook):
        for index in _factors(codebook):
            key = (code, index.id)
            row = cells.loc[key] if key in cells.index else None
            if row is None:
                state = "missing"
            elif bool(row["suppressed"]) or pd.isna(row["share"]):
                state = "suppressed"
            else:
                state = "shown"
            shown = state == "shown"
            records.append(
                {
                    "municipality_code": code,
                    "municipality": name,
                    "is_region": is_region,
                    "year": year,
                    "factor": index.id,
                    "label": index.label,
                    "kind": index.kind,
                    "n": row["n"] if shown else pd.NA,
                    "share": row["share"] if shown else np.nan,
                    "ci_low": row["ci_low"] if shown else np.nan,
                    "ci_high": row["ci_high"] if shown else np.nan,
                    "suppressed": state == "suppressed",
                    "elevated": shown and not is_region and key in flagged,
                    "state": state,
                    "text": format_share(row["share"]) if shown else DASH,
                }
            )
    frame = pd.DataFrame(records, columns=HEATMAP_COLUMNS)
    for col in ("municipality_code", "municipality", "factor", "label", "kind", "state", "text"):
        frame[col] = frame[col].astype("str")
    frame["n"] = frame["n"].astype("Int64")
    for col in ("share", "ci_low", "ci_high"):
        frame[col] = pd.to_numeric(frame[col]).astype("Float64")
    frame["year"] = frame["year"].astype("int64")
    for col in ("is_region", "suppressed", "elevated"):
        frame[col] = frame[col].astype(bool)
    return frame


def forest_frame(
    prevalence: pd.DataFrame,
    codebook: Codebook | None = None,
    year: int | None = None,
    priorities: pd.DataFrame | None = None,
    factors: list[str] | None = None,
) -> pd.DataFrame:
    """Municipalities' shares with intervals against the region's, per factor (for the forest).

    The municipality rows of :func:`factor_heatmap_table` (``elevated`` only when
    ``priorities`` is given), restricted to ``factors`` when given, plus ``region_share,
    region_ci_low, region_ci_high`` (Float64: the whole region's share and interval for the
    factor, NA when suppressed).
    """
    codebook = codebook or load_codebook()
    table = factor_heatmap_table(prevalence, priorities, codebook, year)
    if factors is not None:
        table = table.loc[table["factor"].isin(factors)]
    region = table.loc[table["is_region"]].set_index("factor")
    out = table.loc[~table["is_region"]].copy()
    for col in ("share", "ci_low", "ci_high"):
        out[f"region_{col}"] = out["factor"].map(region[col]).astype("Float64")
    return out.reset_index(drop=True)


# --- coverage -------------------------------------------------------------------------------

COVERAGE_PROFILE_COLUMNS = [
    "municipality_code",
    "municipality",
    "is_region",
    "level",
    "level_label",
    "stage",
    "stage_label",
    "interventions",
    "reach_per_1000",
    "region_reach_per_1000",
    "state",
    "text",
    "reach_shown",
]


def coverage_profile_table(
    coverage: pd.DataFrame, codebook: Codebook | None = None
) -> pd.DataFrame:
    """Reach per 1 000 inhabitants per level × life stage for every municipality and the region.

    One row per level (codebook order) × stage (by age) × area (municipalities in codebook
    order, then the region). The municipalities' cells are ``kartlaggning.coverage_cells``;
    the region's reach is ``coverage.regional_coverage`` (known participants pooled over the
    municipalities).

    Columns: ``municipality_code, municipality`` (the region is "Hela regionen"),
    ``is_region`` (bool), ``level, level_label, stage, stage_label`` (name only, str);
    ``interventions`` (int: ongoing ones); ``reach_per_1000`` (float, NaN when unknown);
    ``region_reach_per_1000`` (float: the region's reach in the same cell); ``state``
    ("empty": no ongoing intervention, "unknown": none reports participants, "partial": some
    do not, so the reach is a lower bound, "known"); ``text`` ("0", "okänd", "≥12", "12", or
    coarse where it rests on fewer than 5 participants: "under 2,1", see
    ``kartlaggning.protected_reach``; the region's cell pools the municipalities' small
    groups the same way); ``reach_shown`` (float: the number behind the text, for colour).
    """
    codebook = codebook or load_codebook()
    frames = []
    for code, name, _ in _areas(codebook, region=False):
        cells = coverage_cells(coverage, code, codebook)
        frames.append(cells.assign(municipality_code=code, municipality=name, is_region=False))
    cells = pd.concat(frames, ignore_index=True)
    wide = regional_coverage(coverage, codebook, dim="level")
    region_reach = wide.set_index(["stage", "level"])[codebook.region.code].astype("Float64")
    key = list(zip(cells["stage"], cells["level"], strict=True))
    cells["region_reach_per_1000"] = [
        float(region_reach.get(k)) if pd.notna(region_reach.get(k, pd.NA)) else math.nan
        for k in key
    ]
    pooled = cells.groupby(["level", "stage"], sort=False).agg(
        interventions=("interventions", "sum"),
        incomplete=("state", lambda s: bool((s.isin(["partial", "unknown"])).any())),
        level_label=("level_label", "first"),
        stage_label=("stage_label", "first"),
        region_reach_per_1000=("region_reach_per_1000", "first"),
        participants=("participants", lambda p: p.sum(min_count=1)),
        population=("population", "sum"),
        few_interventions=("few_interventions", "sum"),
        few_participants=("few_participants", "sum"),
    )
    region_rows = pooled.reset_index()
    reach = region_rows["region_reach_per_1000"]
    region_rows["state"] = np.where(
        region_rows["interventions"] == 0,
        "empty",
        np.where(reach.isna(), "unknown", np.where(region_rows["incomplete"], "partial", "known")),
    )
    region_rows = region_rows.assign(
        municipality_code=codebook.region.code,
        municipality=REGION_LABEL,
        is_region=True,
        reach_per_1000=reach,
    )
    out = pd.concat([cells, region_rows], ignore_index=True)
    protected = [
        protected_reach(
            r.state, r.reach_per_1000, r.population, r.participants, r.few_interventions,
            r.few_participants,
        )
        for r in out.itertuples(index=False)
    ]  # fmt: skip
    out["text"] = [t for t, _, _ in protected]
    out["reach_shown"] = [v for _, v, _ in protected]
    order = {c: i for i, (c, _n, _r) in enumerate(_areas(codebook))}
    levels = {v: i for i, v in enumerate(codebook.ids("levels"))}
    stages = {s.id: s.age_from for s in codebook.life_stages}
    out = out.assign(
        _l=out["level"].map(levels),
        _s=out["stage"].map(stages),
        _a=out["municipality_code"].map(order),
    ).sort_values(["_l", "_s", "_a"], kind="stable")
    out = out[COVERAGE_PROFILE_COLUMNS].reset_index(drop=True)
    out["interventions"] = out["interventions"].astype("int64")
    out["is_region"] = out["is_region"].astype(bool)
    for col in ("reach_per_1000", "region_reach_per_1000", "reach_shown"):
        out[col] = pd.to_numeric(out[col]).astype(float)
    return out


def thinnest_coverage(
    profile: pd.DataFrame,
    threshold: float = THIN_SHARE_OF_REGION,
    min_region_reach: float = THIN_REACH_PER_1000,
) -> pd.DataFrame:
    """Per municipality the level × stage cell where its coverage lies furthest below the others.

    From :func:`coverage_profile_table`. Two kinds of cell count:

    - "empty": the municipality has no ongoing intervention there while at least half of the
      other municipalities have one (ratio 0);
    - "known": its reach is known and complete, the region's reach is known and at least
      ``min_region_reach``, and the municipality reaches less than ``threshold`` times the
      region's (ratio = its reach / the region's). A lower bound or an unknown reach cannot show
      that coverage is thin, and a cell the region hardly covers says little about one
      municipality.

    The lowest ratio wins; ties go to the cell most other municipalities cover, then to the one
    where the region reaches most. Columns: ``municipality_code, level, level_label, stage,
    state, text`` (str: the cell's reach as printed, protected); ``reach_per_1000,
    region_reach_per_1000, ratio`` (float);
    ``region_partial`` (bool: the region's reach is a lower bound); ``region_text`` (str: the
    region's reach as printed); ``others_with, others``
    (int: other municipalities with an ongoing intervention in the cell, of how many).
    Municipalities without such a cell are absent.
    """
    cells = profile.loc[~profile["is_region"]].copy()
    region = profile.loc[profile["is_region"]].set_index(["level", "stage"])["state"]
    region_text = profile.loc[profile["is_region"]].set_index(["level", "stage"])["text"]
    cells["region_text"] = [
        region_text.get((lv, st), "") for lv, st in zip(cells["level"], cells["stage"], strict=True)
    ]
    cells["region_partial"] = [
        region.get((lv, st)) == "partial"
        for lv, st in zip(cells["level"], cells["stage"], strict=True)
    ]
    has = (cells["interventions"] > 0).astype(int)
    grouped = has.groupby([cells["level"], cells["stage"]])
    cells["others_with"] = (grouped.transform("sum") - has).astype(int)
    cells["others"] = (grouped.transform("size") - 1).astype(int)
    empty = cells["state"] == "empty"
    cells["reach_per_1000"] = np.where(empty, 0.0, cells["reach_per_1000"].astype(float))
    region_reach = cells["region_reach_per_1000"].astype(float)
    thin_empty = empty & (cells["others"] > 0) & (cells["others_with"] * 2 >= cells["others"])
    thin_known = (
        (cells["state"] == "known")
        & (region_reach >= max(min_region_reach, 1e-9))
        & (cells["reach_per_1000"] < threshold * region_reach)
    )
    cells = cells.loc[(thin_empty | thin_known).fillna(False).astype(bool)]
    cells["ratio"] = np.where(
        cells["state"] == "empty", 0.0, cells["reach_per_1000"] / cells["region_reach_per_1000"]
    )
    cells = cells.sort_values(
        ["ratio", "others_with", "region_reach_per_1000"],
        ascending=[True, False, False],
        kind="stable",
    ).drop_duplicates("municipality_code")
    columns = [
        "municipality_code",
        "level",
        "level_label",
        "stage",
        "state",
        "text",
        "reach_per_1000",
        "region_reach_per_1000",
        "ratio",
        "region_partial",
        "region_text",
        "others_with",
        "others",
    ]
    return cells[columns].reset_index(drop=True)


def _factor_item(row, labels: dict[str, str], codebook: Codebook) -> str:
    """ "impulsivitet (23 % mot 16 %)", or with the group when it is not all students:
    "anknytning till bostadsområdet (pojkar i båda årskurserna: 58 % mot 64 %)"."""
    name = lower_first(labels.get(row.factor, row.factor))
    if is_missing(row.share) or is_missing(row.reference_share):
        return name
    numbers = f"{format_share(row.share)} mot {format_share(row.reference_share)}"
    all_label = codebook.survey.all_label
    if row.grade == all_label and row.sex == all_label:
        return f"{name} ({numbers})"
    who = group_phrase(row.grade, row.sex, codebook).removeprefix("Bland ")
    return f"{name} ({who}: {numbers})"


def _factor_part(
    name: str,
    rows: pd.DataFrame,
    published: bool,
    year: int,
    labels: dict[str, str],
    codebook: Codebook,
) -> str:
    """The prioritised factors (``rows``: best rank first, with all students' shares)."""
    if not published:
        return f"{name} har för få svarande {year} för att jämföras med övriga regionen"
    if rows.empty:
        return (
            f"{name} har ingen {PRIORITISED} risk- eller skyddsfaktor {year}: ingen ligger "
            "statistiskt säkert sämre till än övriga regionen"
        )
    named = rows.iloc[:MAX_NAMED_FACTORS]
    rest = len(rows) - len(named)
    items = [_factor_item(r, labels, codebook) for r in named.itertuples()]
    if rest:
        items.append(f"ytterligare {number_word(rest)}")
    count = len(rows)
    what = (
        f"{number_word(count)} {PRIORITISED} faktor"
        if count == 1
        else (f"{number_word(count)} {PRIORITISED}e faktorer")
    )
    return f"{name} har {year} {what}: {join_words(items)}"


def _reach_words(text: str) -> str:
    """A printed reach for a sentence: "≥12" reads "minst 12"."""
    return f"minst {text[1:]}" if text.startswith("≥") else text


def _coverage_part(thin: pd.Series | None, codebook: Codebook) -> str:
    if thin is None:
        return (
            "kommunen har insatser på de nivåer och i de åldrar där de flesta andra har det, och "
            "ingen känd räckvidd under hälften av regionens"
        )
    where = (
        f"på nivån {str(thin['level_label']).lower()} för {stage_phrase(thin['stage'], codebook)}"
    )
    region = _reach_words(thin["region_text"])
    if thin["state"] == "empty":
        others_with, others = int(thin["others_with"]), int(thin["others"])
        who = f"alla de {others}" if others_with == others else f"{others_with} av de {others}"
        return f"{where} har kommunen ingen pågående insats, vilket {who} andra kommunerna har"
    return (
        f"räckvidden ligger längst under regionens {where}: "
        f"{_reach_words(thin['text'])} per 1\u00a0000 invånare mot {region} i hela "
        "regionen"
    )


def _collaboration_part(
    row: pd.Series | None, regional: pd.DataFrame, codebook: Codebook
) -> str | None:
    if row is None:
        return None
    if int(row["interventions"]) == 0:
        return "kartläggningen har inga pågående insatser att samverka kring"
    pairs, links = int(row["sspf_pairs"]), int(row["sspf_links"])
    isolated = int(row["isolated"])
    parts = []
    if links < pairs:
        missing = _sspf_missing_pairs(row, codebook)
        named = f" ({join_words(missing)})" if missing else ""
        parts.append(f"saknar {pairs - links} av {pairs} SSPF-par en gemensam insats{named}")
    if isolated:
        parts.append(
            f"saknar {isolated} {'aktör' if isolated == 1 else 'aktörer'} samverkanspartner"
        )
    active = regional.loc[regional["interventions"] > 0, "density"].astype(float)
    if len(active) > 1 and float(row["density"]) <= float(active.min()):
        parts.append(
            f"är nätverket det glesaste i regionen (täthet {format_number(row['density'], 2)} "
            f"mot i genomsnitt {format_number(active.mean(), 2)})"
        )
    if not parts:
        return None  # nothing stands out: every SSPF pair works together, nobody alone
    return "i samverkan " + join_words(parts)


def _prioritised_with_shares(
    priorities: pd.DataFrame, priority_factors: pd.DataFrame, codebook: Codebook, year: int
) -> pd.DataFrame:
    """The prioritised factors of ``year`` (best rank first) with the broadest group that made
    each so (``grade``, ``sex``) and that group's share and the rest of the region's, from
    ``priorities``."""
    chosen = prioritised(priority_factors, year=year)
    first = [split_groups(g)[0] for g in chosen["groups"]]
    chosen = chosen[["municipality_code", "factor", "kind", "rank"]].assign(
        grade=[g for g, _ in first], sex=[s for _, s in first]
    )
    keys = ["municipality_code", "year", "grade", "sex", "factor"]
    rows = priorities.loc[priorities["year"].astype("Int64") == int(year), keys]
    rows = rows.join(priorities[["share", "reference_share"]])
    return chosen.merge(rows.drop(columns="year"), on=keys[:1] + keys[2:], how="left")


def standout_sentences(
    priorities: pd.DataFrame,
    priority_factors: pd.DataFrame,
    coverage: pd.DataFrame,
    regional_collab: pd.DataFrame,
    codebook: Codebook | None = None,
    year: int | None = None,
) -> list[str]:
    """One plain Swedish sentence per municipality (codebook order) on where it stands out.

    Three parts, joined by semicolons: its prioritised factors (``priority_factors``,
    :mod:`fouanalys.priority`; ``year`` or the latest year in ``priorities``; at most
    :data:`MAX_NAMED_FACTORS` named, best rank first, with all students' share against the
    rest of the region's); the level × stage where its reach lies furthest below the region's
    (:func:`thinnest_coverage`); and its collaboration gaps from
    ``samverkan.regional_collaboration`` (SSPF pairs without a joint intervention, actors
    without partners). Example: "Sigtuna har 2024 två prioriterade faktorer: otrygg och
    oorganiserad närmiljö (26 % mot 17 %) och impulsivitet (30 % mot 24 %); räckvidden ligger
    längst under regionens på nivån förhindra för 13–15 år: 12 per 1 000 invånare mot 45 i
    hela regionen; i samverkan saknar 2 av 6 SSPF-par en gemensam insats."
    """
    codebook = codebook or load_codebook()
    rows = _all_rows(priorities, codebook)
    if year is None:
        year = int(rows["year"].max()) if rows["year"].notna().any() else 0
    rows = rows.loc[rows["year"].astype("Int64") == int(year)]
    chosen = _prioritised_with_shares(priorities, priority_factors, codebook, int(year))
    labels = codebook.labels("indices")
    thin = thinnest_coverage(coverage_profile_table(coverage, codebook)).set_index(
        "municipality_code"
    )
    collab = regional_collab.set_index(regional_collab["municipality_code"].astype(str))
    sentences = []
    for code, name, _ in _areas(codebook, region=False):
        own = rows.loc[rows["municipality_code"] == code]
        published = bool((~own["suppressed"].astype("boolean").fillna(True)).any())
        parts = [
            _factor_part(
                name,
                chosen.loc[chosen["municipality_code"] == code],
                published,
                int(year),
                labels,
                codebook,
            ),
            _coverage_part(thin.loc[code] if code in thin.index else None, codebook),
        ]
        collaboration = _collaboration_part(
            collab.loc[code] if code in collab.index else None, regional_collab, codebook
        )
        if collaboration:
            parts.append(collaboration)
        sentences.append("; ".join(parts) + ".")
    return sentences


#: The overview's SSPF column: which parts of SSPF are missing, not a count of the rest.
SSPF_COLUMN = "SSPF-par utan gemensam insats"


def _sspf_missing_pairs(row: pd.Series, codebook: Codebook) -> list[str]:
    """The SSPF pairs of a ``regional_collaboration`` row without a shared ongoing
    intervention, in words ("Polis–Fritid")."""
    labels = codebook.labels("actors")
    return [f"{labels[a]}{PAIR_JOIN}{labels[b]}" for a, b in split_pairs(row.get("sspf_missing"))]


def _sspf_missing_text(row: pd.Series, codebook: Codebook) -> str:
    pairs = _sspf_missing_pairs(row, codebook)
    return join_words(pairs) if pairs else "inga"


def overview_table(
    priority_factors: pd.DataFrame,
    gaps: pd.DataFrame,
    regional_collab: pd.DataFrame,
    codebook: Codebook | None = None,
    year: int | None = None,
) -> pd.DataFrame:
    """The municipalities in brief, as a display frame (one row each, codebook order).

    Columns: ``Kommun``; ``Prioriterade faktorer`` (int, from ``priority_factors`` in
    ``year`` or the latest year); ``Saknas``, ``Tunn``, ``Okänd`` (int: the prioritised
    factor × stage cells of ``gaps`` with that status); ``Pågående insatser``, ``Aktörer i
    samverkan`` (int); ``SSPF-par utan gemensam insats`` (the pairs, "Polis–Fritid", or
    "inga"); "saknas" where the collaboration table has no row for the municipality.
    """
    codebook = codebook or load_codebook()
    chosen = prioritised(priority_factors, year=year)
    collab = regional_collab.set_index(regional_collab["municipality_code"].astype(str))
    records = []
    for code, name, _ in _areas(codebook, region=False):
        c = collab.loc[code] if code in collab.index else None
        counts = gap_counts(gaps, code)
        records.append(
            {
                "Kommun": name,
                "Prioriterade faktorer": int((chosen["municipality_code"] == code).sum()),
                **{GAP_STATUS_LABELS[k].capitalize(): counts[k] for k in GAP_ORDER},
                "Pågående insatser": int(c["interventions"]) if c is not None else pd.NA,
                "Aktörer i samverkan": int(c["actors"]) if c is not None else pd.NA,
                SSPF_COLUMN: _sspf_missing_text(c, codebook) if c is not None else MISSING,
            }
        )
    frame = pd.DataFrame(records)
    for col in ("Pågående insatser", "Aktörer i samverkan"):
        frame[col] = frame[col].astype("Int64")
    return frame


#: Columns of :func:`overview_table` that hold numbers (right-aligned in the report).
OVERVIEW_NUMERIC = [
    "Prioriterade faktorer",
    "Saknas",
    "Tunn",
    "Okänd",
    "Pågående insatser",
    "Aktörer i samverkan",
]
