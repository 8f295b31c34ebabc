"""Chapter 02, *Riskfaktorer*: display frames and plain-Swedish sentences for the chapter.

Pure functions over the processed tables ``prevalence``, ``priorities`` and ``associations``
(their columns are fixed in the prevalence module's contract). Each function returns a tidy
frame (for figures and tests), a display frame with Swedish column labels and text cells (for
the report; ``"–"`` marks a suppressed value and nothing else), or Swedish sentences. Nothing here
reads files, computes statistics afresh or draws.

Number formats follow Swedish print: percent without decimals and a no-break space before the
sign (``"31 %"``), decimal comma, an en dash between interval bounds (``"(27–35)"``) and a real
minus sign; when a bound is negative the interval reads ``"(−2 till 8)"`` instead, so that the
dash is never mistaken for a minus (with no-break spaces around "till").
"""

from __future__ import annotations

import math
from decimal import Decimal

import pandas as pd

from fouanalys.codebook import Codebook, load_codebook
from fouanalys.exceptions import FouanalysError
from fouanalys.present.labels import (
    KIND_LABELS,
    KIND_SHORT,
    LEVEL_LABELS,
    PRIORITISED,
    REST_OF_REGION,
    TOO_FEW_LABEL,
    grade_label,
    group_label,
    group_order,
    group_phrase,
    sex_label,
)
from fouanalys.present.tables import unbroken
from fouanalys.present.text import (
    DASH,
    MISSING,
    NBSP,
    NOT_APPLICABLE,
    format_interval,
    format_number,
    format_ratio,
    format_share,
    format_share_ci,
    format_share_difference,
    format_too_few,
    is_missing,
    join_words,
    lower_first,
    number_word,
    percent_points,
    rounded,
)
from fouanalys.prevalence import ASSOCIATION_COLUMNS
from fouanalys.priority import prioritised, split_groups

#: Kinds shown in the profile and the priority list, in that order.
PROFILE_KINDS = ("risk", "protective")


def _municipality_year(frame: pd.DataFrame, municipality_code: str, year: int) -> pd.DataFrame:
    return frame.loc[
        (frame["municipality_code"] == municipality_code)
        & (frame["year"].astype("Int64") == int(year))
    ]


def factor_frame(codebook: Codebook, kinds: tuple[str, ...] = PROFILE_KINDS) -> pd.DataFrame:
    """The codebook's indices of ``kinds`` as a frame, one row per factor in display order.

    Columns: ``factor``, ``label``, ``domain``, ``domain_label``, ``kind``, ``kind_label`` and
    ``order`` (0, 1, …): sorted by kind (in ``kinds`` order), domain, then codebook order.
    """
    domains = [d.id for d in codebook.domains]
    domain_labels = codebook.labels("domains")
    rows = []
    for pos, idx in enumerate(codebook.indices):
        if idx.kind not in kinds:
            continue
        rows.append(
            {
                "factor": idx.id,
                "label": idx.label,
                "domain": idx.domain,
                "domain_label": domain_labels.get(idx.domain, idx.domain),
                "kind": idx.kind,
                "kind_label": KIND_LABELS[idx.kind],
                "_key": (kinds.index(idx.kind), domains.index(idx.domain), pos),
            }
        )
    frame = pd.DataFrame(rows)
    frame = frame.sort_values("_key", kind="stable").drop(columns="_key").reset_index(drop=True)
    frame["order"] = range(len(frame))
    return frame


def answered_phrase(threshold: int, levels: int) -> str:
    """What a pupil answered for an item to count, in words rather than response codes: the
    first response option is "nej/aldrig" for frequency items (see the codebook), so
    ``threshold`` 2 means any answer that it has happened."""
    if threshold <= 1:
        return "besvarade"
    if threshold == 2:
        return "där eleven svarat att det hänt (något annat än ”nej” eller ”aldrig”)"
    top = levels - threshold + 1
    return f"där eleven valt något av de {number_word(top)} högsta svarsalternativen av {levels}"


#: What a Rasch index's two cut-points are in the whole Stockholm survey (RISE's percentiles).
_RASCH_CUTS = {
    "risk": "förhöjd risk: de 10\u00a0% högsta i Stockholmsenkäten 2005–2021 "
    "(något förhöjd: de 25\u00a0% högsta)",
    "protective": "låg skyddsnivå: de 15\u00a0% lägsta i Stockholmsenkäten 2005–2021 "
    "(hög: de 15\u00a0% högsta)",
}
#: How each kind of index is measured, as the method table names it.
MEASURE_LABELS = {
    "rasch": "Data i Dialog (Rasch)",
    "mean": "Eget (medelvärde)",
    "count": "Eget (antal frågor)",
}


def _count_cut(idx, codebook: Codebook) -> str:
    """A count index's cut-point in words, naming the answers that count when every item
    shares them (at most three, or all but the same first answer), else
    :func:`answered_phrase`."""
    scales = [codebook.answer_scales.get(item.scale or "") for item in idx.items]
    t = idx.item_threshold
    what = answered_phrase(t, idx.levels).removeprefix("där eleven ")
    if all(scales):
        counted = {tuple(scale[t - 1 :]) for scale in scales}
        first = {scale[0] for scale in scales}
        if len(counted) == 1 and 0 < len(next(iter(counted))) <= 3:
            what = "svarat " + join_words([f"”{a}”" for a in next(iter(counted))], " eller ")
        elif t == 2 and len(first) == 1:
            what = f"svarat något annat än ”{next(iter(first))}”"
    if len(idx.items) == 1 and idx.cut_point == 1:
        return f"eleven har {what}"
    return f"minst {format_number(idx.cut_point)} av {len(idx.items)} frågor där eleven {what}"


def index_table(codebook: Codebook | None = None) -> pd.DataFrame:
    """The indices the chapter uses and how each is scored, as a display frame.

    Columns: ``Faktor``, ``Område`` (domain), ``Typ`` (Risk / Skydd / Utfall), ``Mått`` (RISE's
    Data i Dialog measure or the workbench's own, :data:`MEASURE_LABELS`), ``Frågor`` (number
    of survey items), ``Gränsvärde`` (the cut-point in words) and ``Minst besvarade`` (items a
    student must have answered for the index to count).
    """
    codebook = codebook or load_codebook()
    factors = factor_frame(codebook, kinds=("risk", "protective", "outcome"))
    rows = []
    for factor in factors["factor"]:
        idx = codebook.index(factor)
        if idx.scoring == "rasch":
            cut = _RASCH_CUTS["protective" if idx.kind == "protective" else "risk"]
        elif idx.scoring == "mean":
            cut = f"medelvärde minst {format_number(idx.cut_point, 2)} på skalan 0–1"
        else:
            cut = _count_cut(idx, codebook)
        rows.append(
            {
                "Faktor": idx.label,
                "Område": codebook.labels("domains").get(idx.domain, idx.domain),
                "Typ": KIND_SHORT[idx.kind],
                "Mått": MEASURE_LABELS[idx.scoring],
                "Frågor": str(len(idx.items)),
                "Gränsvärde": cut,
                "Minst besvarade": str(idx.min_answered),
            }
        )
    return pd.DataFrame(rows)


#: The kinds of index whose levels read as risk levels (an outcome Rasch index, psychosomatic
#: complaints, is graded like a risk) or as protection levels.
LEVEL_KINDS = {"risk": ("risk", "outcome"), "protective": ("protective",)}


def level_table(
    levels: pd.DataFrame,
    codebook: Codebook,
    municipality_code: str,
    year: int,
    kind: str = "risk",
) -> pd.DataFrame:
    """The Data i Dialog levels of the risk (with the outcome) or protective Rasch indices, all
    students of the municipality and year: one row per index, the share at each level with its
    95 % interval (of the students with a score, so the top level of a risk index is the share
    the profile and the priority table give) and the share of all students with too few
    answers.

    Columns: ``Faktor``, the three level labels (:data:`LEVEL_LABELS`) and ``För få svar``;
    "–" where the cell is suppressed.
    """
    rows = levels.loc[
        (levels["municipality_code"] == municipality_code)
        & (levels["year"] == int(year))
        & (levels["grade"] == codebook.survey.all_label)
        & (levels["sex"] == codebook.survey.all_label)
        & levels["kind"].isin(LEVEL_KINDS[kind])
    ]
    labels = LEVEL_LABELS[kind]
    out = []
    for factor in [i.id for i in codebook.indices if i.id in set(rows["factor"])]:
        cell = rows[rows["factor"] == factor].set_index("level")
        row = {"Faktor": codebook.index(factor).label}
        for level, label in enumerate(labels):
            r = cell.loc[level]
            row[label] = (
                DASH if r["suppressed"] else format_share_ci(r["share"], r["ci_low"], r["ci_high"])
            )
        first = cell.iloc[0]
        row[TOO_FEW_LABEL] = (
            DASH if first["suppressed"] else format_too_few(first["too_few"], first["respondents"])
        )
        out.append(row)
    return unbroken(pd.DataFrame(out, columns=["Faktor", *labels, TOO_FEW_LABEL]))


# --- choosing what to show ------------------------------------------------------------------


def survey_year(prevalence: pd.DataFrame, municipality_code: str, year: object = None) -> int:
    """The survey year to report: ``year`` when the data have it, else the latest one.

    Raises :class:`FouanalysError` when the municipality has no rows, or not for ``year``.
    """
    years = sorted(
        int(y)
        for y in prevalence.loc[
            prevalence["municipality_code"] == municipality_code, "year"
        ].unique()
        if not is_missing(y)
    )
    if not years:
        raise FouanalysError(
            f"Prevalenstabellen har inga rader för kommun {municipality_code}. Kontrollera att "
            "enkäten innehåller svar från kommunen och kör 'fouanalys build' igen."
        )
    if is_missing(year):
        return years[-1]
    if int(year) not in years:  # type: ignore[arg-type]
        raise FouanalysError(
            f"Enkäten har inga svar från kommun {municipality_code} år {year}. "
            f"Tillgängliga år: {', '.join(map(str, years))}."
        )
    return int(year)  # type: ignore[arg-type]


def grades(
    prevalence: pd.DataFrame,
    municipality_code: str,
    year: int,
    codebook: Codebook | None = None,
) -> list[str]:
    """The grade ids (codebook order) the municipality has prevalence rows for in ``year``."""
    codebook = codebook or load_codebook()
    rows = _municipality_year(prevalence, municipality_code, year)
    present = set(rows["grade"])
    return [g.id for g in codebook.survey.grades if g.id in present]


# --- the profile ----------------------------------------------------------------------------


_PROFILE_COLUMNS = [
    "municipality_code",
    "municipality_name",
    "year",
    "grade",
    "grade_label",
    "sex",
    "sex_label",
    "factor",
    "label",
    "domain",
    "domain_label",
    "kind",
    "kind_label",
    "order",
    "n",
    "share",
    "ci_low",
    "ci_high",
    "suppressed",
]


def _grade_rows(frame: pd.DataFrame, municipality_code: str, year: int, grade: str) -> pd.DataFrame:
    """The rows of one municipality, survey year and grade."""
    return frame.loc[
        (frame["municipality_code"] == municipality_code)
        & (frame["year"].astype("Int64") == year)
        & (frame["grade"] == grade)
    ]


def _type_values(frame: pd.DataFrame, floats: tuple[str, ...]) -> None:
    """In place: ``n`` as Int64, ``floats`` as float (NA if not a number), ``suppressed`` bool."""
    frame["n"] = frame["n"].astype("Int64")
    for col in floats:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    frame["suppressed"] = frame["suppressed"].astype("boolean").fillna(False).astype(bool)


def profile_frame(
    prevalence: pd.DataFrame,
    priorities: pd.DataFrame,
    municipality_code: str,
    year: int,
    grade: str | None = None,
    codebook: Codebook | None = None,
    sexes: list[str] | None = None,
) -> pd.DataFrame:
    """One municipality's CTC-style profile for one year and grade (default: all grades).

    One row per risk or protective factor and sex: all students (the all-sexes label) first,
    then the codebook's sexes, unless ``sexes`` is given. Ordered risk factors first, then
    protective, each by domain (codebook order), then sex in that order. Columns:

    ``municipality_code``, ``municipality_name``, ``year`` (int), ``grade``, ``grade_label``,
    ``sex``, ``sex_label``, ``factor``, ``label`` (Swedish factor label), ``domain``,
    ``domain_label``, ``kind`` ("risk" | "protective"), ``kind_label``, ``order`` (int, the
    factor's position), ``n`` (Int64), ``share``, ``ci_low``, ``ci_high`` (float; NA when
    suppressed), ``suppressed`` (bool), ``reference_share``, ``reference_ci_low``,
    ``reference_ci_high`` (the other municipalities pooled, from ``priorities``; NA where the
    priorities row is suppressed or missing), ``elevated`` (bool).

    A factor or sex without a prevalence row gets NA shares and ``suppressed`` False.
    Raises :class:`FouanalysError` when the municipality has no rows for the year and grade.
    """
    codebook = codebook or load_codebook()
    all_label = codebook.survey.all_label
    grade = all_label if grade is None else grade
    if sexes is None:
        sexes = [all_label, *[s.id for s in codebook.survey.sexes]]
    sexes = list(sexes)
    year = int(year)

    rows = _grade_rows(prevalence, municipality_code, year, grade)
    if rows.empty:
        raise FouanalysError(
            f"Prevalenstabellen har inga rader för kommun {municipality_code}, år {year} och "
            f"{lower_first(grade_label(grade, codebook))}."
        )
    factors = factor_frame(codebook)
    grid = factors.merge(pd.DataFrame({"sex": sexes}), how="cross")
    values = rows[["factor", "sex", "n", "share", "ci_low", "ci_high", "suppressed"]]
    frame = grid.merge(values, on=["factor", "sex"], how="left")

    ref_cols = ["reference_share", "reference_ci_low", "reference_ci_high", "elevated"]
    prio = _grade_rows(priorities, municipality_code, year, grade)[["factor", "sex", *ref_cols]]
    frame = frame.merge(prio, on=["factor", "sex"], how="left")

    frame["municipality_code"] = municipality_code
    frame["municipality_name"] = codebook.municipality_name(municipality_code)
    frame["year"] = year
    frame["grade"] = grade
    frame["grade_label"] = grade_label(grade, codebook)
    frame["sex_label"] = frame["sex"].map(lambda s: sex_label(s, codebook))
    _type_values(frame, ("share", "ci_low", "ci_high", *ref_cols[:3]))
    frame["elevated"] = frame["elevated"].astype("boolean").fillna(False).astype(bool)
    sex_rank = {s: i for i, s in enumerate(sexes)}
    frame = frame.assign(_s=frame["sex"].map(sex_rank)).sort_values(["order", "_s"])
    return frame[[*_PROFILE_COLUMNS, *ref_cols]].reset_index(drop=True)


# --- priorities -----------------------------------------------------------------------------


def _published_elevated(rows: pd.DataFrame) -> pd.Series:
    """Rows that stand out and are published (a suppressed row never counts as elevated)."""
    return (
        rows["elevated"].astype("boolean").fillna(False)
        & ~rows["suppressed"].astype("boolean").fillna(True)
        & rows["share"].notna()
    ).astype(bool)


def _favourable(rows: pd.DataFrame) -> pd.Series:
    """Published rows whose difference is certain and favourable (risk lower, protection higher)."""
    published = ~rows["suppressed"].astype("boolean").fillna(True)
    low = pd.to_numeric(rows["diff_low"], errors="coerce")
    high = pd.to_numeric(rows["diff_high"], errors="coerce")
    risk = rows["kind"] == "risk"
    return (published & ((risk & (high < 0)) | (~risk & (low > 0)))).astype(bool)


def _prioritised_rows(
    priorities: pd.DataFrame,
    priority_factors: pd.DataFrame,
    municipality_code: str,
    year: int,
    codebook: Codebook,
) -> list[tuple[str, pd.DataFrame]]:
    """Each prioritised factor (:mod:`fouanalys.priority`, best rank first) with the priorities
    rows of the groups that made it so, broadest group first."""
    chosen = prioritised(priority_factors, municipality_code, year)
    rows = _municipality_year(priorities, municipality_code, year).set_index(
        ["factor", "grade", "sex"]
    )
    out = []
    for factor, groups in zip(chosen["factor"], chosen["groups"], strict=True):
        keys = [(factor, g, s) for g, s in split_groups(groups) if (factor, g, s) in rows.index]
        out.append((factor, rows.loc[keys].reset_index()))
    return out


def prioritised_factors(
    priority_factors: pd.DataFrame, municipality_code: str, year: int | None = None
) -> list[str]:
    """The municipality's prioritised factors in ``year`` (default its latest), best rank
    first, as ``priority_factors.parquet`` has them."""
    return list(prioritised(priority_factors, municipality_code, year)["factor"])


def _sentence(row, codebook: Codebook, labels: dict[str, str]) -> str:
    word = "vanligare" if row.kind == "risk" else "ovanligare"
    return (
        f"{group_phrase(row.grade, row.sex, codebook)} är "
        f"{lower_first(labels.get(row.factor, row.factor))} {word} än i övriga regionen: "
        f"{format_share(row.share)} {format_interval(row.ci_low, row.ci_high)} mot "
        f"{format_share(row.reference_share)} "
        f"{format_interval(row.reference_ci_low, row.reference_ci_high)}."
    )


def _also_in(groups: list[str], published: int, shown: int = 3) -> str:
    """The other groups a factor stands out in, named when few, else counted.

    "Skillnaden finns också bland pojkar i årskurs 9 och flickor i gymnasiet år 2." or
    "Skillnaden finns också i 6 av 8 andra grupper efter kön och årskurs."
    """
    if len(groups) > shown:
        count = f"alla {published}" if len(groups) >= published else f"{len(groups)} av {published}"
        return f"Skillnaden finns också i {count} andra grupper efter kön och årskurs."
    text = groups[0] if len(groups) == 1 else ", ".join(groups[:-1]) + " och " + groups[-1]
    return f"Skillnaden finns också bland {text}."


def priority_sentences(
    priorities: pd.DataFrame,
    priority_factors: pd.DataFrame,
    codebook: Codebook | None,
    municipality_code: str,
    year: int,
    limit: int | None = None,
) -> list[str]:
    """Plain Swedish sentences on the municipality's prioritised factors.

    The factors are those ``priority_factors`` (:func:`fouanalys.priority.priority_factors`)
    marks prioritised; the numbers come from ``priorities``. One sentence per factor, best
    rank first, about the broadest group of students in which it stands out: "Bland flickor i
    gymnasiet år 2 är impulsivitet och normbrytande attityder vanligare än i övriga regionen:
    31 % (27–35) mot 22 % (21–23)." (a protective factor is *ovanligare*), followed by
    "Skillnaden finns också bland …" naming the other groups (when more than three: "… i 6 av
    8 andra grupper efter kön och årskurs", counting published groups). With ``limit``, at
    most that many sentences, then one saying how many more there are. Without a prioritised
    factor, or without publishable comparisons, one sentence says so plainly.
    """
    codebook = codebook or load_codebook()
    name = codebook.municipality_name(municipality_code)
    rows = _municipality_year(priorities, municipality_code, year)
    if rows.empty:
        return [f"Det finns inga jämförelser med övriga regionen för {name} år {int(year)}."]
    if rows["suppressed"].astype("boolean").fillna(True).all():
        return [
            f"Underlaget för {name} år {int(year)} är för litet för att jämföras med övriga "
            "regionen utan att enskilda elevers svar riskerar att röjas."
        ]
    chosen = _prioritised_rows(priorities, priority_factors, municipality_code, year, codebook)
    if not chosen:
        opening = (
            f"{name} har ingen {PRIORITISED} risk- eller skyddsfaktor år {int(year)}: ingen "
            "faktor ligger statistiskt säkert sämre till än i övriga regionen, för alla elever "
            "eller för någon grupp efter kön och årskurs"
        )
        if _favourable(rows).any():
            return [f"{opening}. De skillnader som är statistiskt säkra är till kommunens fördel."]
        return [f"{opening}; alla skillnader ryms inom den statistiska osäkerheten."]
    labels = {i.id: i.label for i in codebook.indices}
    published_by_factor = (
        rows.loc[~rows["suppressed"].astype("boolean").fillna(True)].groupby("factor").size()
    )
    sentences = []
    for factor, part in chosen:
        main = next(part.itertuples(index=False))
        text = _sentence(main, codebook, labels)
        others = [
            group_phrase(g, s, codebook).removeprefix("Bland ")
            for g, s in zip(part["grade"].iloc[1:], part["sex"].iloc[1:], strict=True)
        ]
        published = int(published_by_factor.get(factor, 0)) - 1
        sentences.append(f"{text} {_also_in(others, published)}" if others else text)
    if limit is not None and len(sentences) > limit:
        rest = len(sentences) - limit
        sentences = sentences[:limit]
        sentences.append(
            f"Ytterligare {rest} {('faktor', 'faktorer')[rest != 1]} är {PRIORITISED}"
            f"{'e' if rest != 1 else ''} och redovisas under Prioriterade faktorer."
        )
    return sentences


def priority_table(
    priorities: pd.DataFrame,
    codebook: Codebook | None,
    municipality_code: str,
    year: int,
    grade: str | None = None,
    sex: str | None = None,
    elevated_only: bool = False,
    priority_factors: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The municipality's factors against the rest of the region, as a display frame.

    ``grade`` and ``sex`` pick one group of students (default: all students); ``"*"`` for
    either lists every group and adds a ``Grupp`` column. One row per factor (and group).

    Columns (all text, ``"–"`` when suppressed): [``Grupp``], ``Rang`` (1 = the largest
    unfavourable difference within the group), ``Faktor``, ``Typ`` (Risk / Skydd), the
    municipality's name (share with 95 % interval), ``Övriga regionen`` (the other
    municipalities pooled), ``Skillnad`` (percentage points with its interval), ``Förändring
    sedan <år>`` (percentage points since the previous survey; "sedan förra mätningen" when
    the rows disagree on the year or have none) and, given ``priority_factors``
    (``priority_factors.parquet``), ``Prioriterad`` ("ja" when that table marks the factor
    prioritised; this function decides nothing). Rows: by rank, suppressed last; across
    groups, each factor's rows together (factors by their best rank), broad groups first.

    ``elevated_only`` keeps only the published rows that stand out, and then the columns
    [``Grupp``], ``Faktor``, ``Typ``, the municipality, ``Övriga regionen``, ``Skillnad``.
    Intervals are kept on one line (see :func:`unbroken`).
    """
    codebook = codebook or load_codebook()
    all_label = codebook.survey.all_label
    grade = all_label if grade is None else grade
    sex = all_label if sex is None else sex
    name = codebook.municipality_name(municipality_code)
    rows = _priority_rows(priorities, codebook, municipality_code, year, grade, sex, elevated_only)
    change_header = _change_header(rows)
    out = pd.DataFrame(_priority_columns(rows, codebook, name, change_header))
    if priority_factors is not None and not elevated_only:
        chosen = set(prioritised_factors(priority_factors, municipality_code, year))
        out["Prioriterad"] = ["ja" if f in chosen else "" for f in rows["factor"]]
    if elevated_only:
        out = out.drop(columns=["Rang", change_header])
    if grade != "*" and sex != "*":
        out = out.drop(columns="Grupp")
    return unbroken(out.reset_index(drop=True))


def _priority_rows(
    priorities: pd.DataFrame,
    codebook: Codebook,
    municipality_code: str,
    year: int,
    grade: str,
    sex: str,
    elevated_only: bool,
) -> pd.DataFrame:
    """The priority rows of the table's groups in table order (rank, suppressed last)."""
    rows = _municipality_year(priorities, municipality_code, year)
    if grade != "*":
        rows = rows.loc[rows["grade"] == grade]
    if sex != "*":
        rows = rows.loc[rows["sex"] == sex]
    if elevated_only:
        rows = rows.loc[_published_elevated(rows)]
    rank = rows["rank"].astype("Float64").fillna(math.inf).astype(float)
    return rows.assign(
        _sup=rows["suppressed"].astype("boolean").fillna(True).astype(int),
        _rank=rank,
        _best=rank.groupby(rows["factor"]).transform("min"),
        _group=[
            group_order(g, s, codebook) for g, s in zip(rows["grade"], rows["sex"], strict=True)
        ],
        _order=rows["factor"].map({i.id: n for n, i in enumerate(codebook.indices)}),
    ).sort_values(["_sup", "_best", "_order", "_group"], kind="stable")


def _change_header(rows: pd.DataFrame) -> str:
    """The change column's header: "Förändring sedan <år>" when the rows agree on one year."""
    previous = {int(p) for p in rows["previous_year"].dropna()}
    if len(previous) == 1:
        return f"Förändring sedan {previous.pop()}"
    return "Förändring sedan förra mätningen"


def _priority_columns(
    rows: pd.DataFrame, codebook: Codebook, name: str, change_header: str
) -> dict[str, list[str]]:
    """The priority table's text columns, every group's, in table order."""
    labels = {i.id: i.label for i in codebook.indices}
    return {
        "Grupp": [
            group_label(g, s, codebook) for g, s in zip(rows["grade"], rows["sex"], strict=True)
        ],
        "Rang": [DASH if is_missing(r) else str(int(r)) for r in rows["rank"]],
        "Faktor": [labels.get(f, f) for f in rows["factor"]],
        "Typ": [KIND_SHORT.get(k, k) for k in rows["kind"]],
        name: [
            format_share_ci(s, lo, hi)
            for s, lo, hi in zip(rows["share"], rows["ci_low"], rows["ci_high"], strict=True)
        ],
        REST_OF_REGION: [
            format_share_ci(s, lo, hi)
            for s, lo, hi in zip(
                rows["reference_share"],
                rows["reference_ci_low"],
                rows["reference_ci_high"],
                strict=True,
            )
        ],
        "Skillnad": [
            format_share_difference(s, r, lo, hi)
            for s, r, lo, hi in zip(
                rows["share"],
                rows["reference_share"],
                rows["diff_low"],
                rows["diff_high"],
                strict=True,
            )
        ],
        change_header: [
            format_share_difference(s, previous_share(s, c), lo, hi)
            for s, c, lo, hi in zip(
                rows["share"], rows["change"], rows["change_low"], rows["change_high"], strict=True
            )
        ],
    }


def previous_share(share: object, change: object) -> Decimal | None:
    """The share at the previous survey, ``share − change``, to the 12th decimal (so that float
    noise cannot move it across a rounding boundary); None when either is missing.

    The priorities table keeps the change, not the earlier share; the change column prints the
    difference of the two shares as the trend table prints them
    (:func:`fouanalys.present.text.format_share_difference`)."""
    if is_missing(share) or is_missing(change):
        return None
    exact = Decimal(str(float(share))) - Decimal(str(float(change)))
    return exact.quantize(Decimal("1e-12"))


def _group_columns(codebook: Codebook) -> list[tuple[str, str, str]]:
    """(grade, sex, short header) for every group, broad groups first (as ``group_order``)."""
    all_label = codebook.survey.all_label
    groups = [
        (g, s)
        for g in [all_label, *[x.id for x in codebook.survey.grades]]
        for s in [all_label, *[x.id for x in codebook.survey.sexes]]
    ]
    groups.sort(key=lambda gs: group_order(gs[0], gs[1], codebook))
    headers = []
    for g, s in groups:
        who = sex_label(s, codebook)
        if g == all_label:
            headers.append((g, s, who))
        elif s == all_label:
            headers.append((g, s, g.replace(" ", NBSP)))
        else:
            headers.append((g, s, f"{g.replace(' ', NBSP)}, {lower_first(who)}"))
    return headers


def outcome_table(
    prevalence: pd.DataFrame, codebook: Codebook, municipality_code: str, year: int
) -> pd.DataFrame:
    """Every outcome index (offending first, then what else the municipalities ask about) for
    all students, by sex and by grade: the share reporting it with its 95 % interval.

    Columns: ``Utfall`` and one per broad group (``Alla elever``, ``Pojkar``, ``Flickor``,
    ``Åk 9``, ``Gy 2``); "–" where the cell is suppressed, "" where the group has no row.
    """
    all_label = codebook.survey.all_label
    groups = [(g, s, h) for g, s, h in _group_columns(codebook) if all_label in (g, s)]
    rows = _municipality_year(prevalence, municipality_code, year).set_index(
        ["factor", "grade", "sex"]
    )
    out = []
    for factor in codebook.outcomes():
        row = {"Utfall": codebook.index(factor).label}
        for grade, sex, header in groups:
            key = (factor, grade, sex)
            if key not in rows.index:
                row[header] = ""
                continue
            r = rows.loc[key]
            row[header] = (
                DASH if r["suppressed"] else format_share_ci(r["share"], r["ci_low"], r["ci_high"])
            )
        out.append(row)
    return unbroken(pd.DataFrame(out, columns=["Utfall", *[h for *_, h in groups]]))


def priority_matrix(
    priorities: pd.DataFrame,
    codebook: Codebook | None,
    municipality_code: str,
    year: int,
) -> pd.DataFrame:
    """Difference against the rest of the region for every factor and group of students.

    A compact overview of where each factor stands out. One row per risk or protective factor
    (risk first, by domain, as in the profile). Columns: ``Faktor`` and one per group of
    students, broad groups first: ``Alla elever``, ``Pojkar``, ``Flickor``, ``Åk 9``, ``Gy 2``,
    ``Åk 9, pojkar`` … Cells (text): the difference in percentage points, signed ("+9",
    "−5"), followed by ``*`` when the group is statistically certainly worse off than in the
    rest of the region (the row is elevated; whether the factor is *prioriterad* is
    ``priority_factors``' call); ``"–"`` when suppressed, ``""`` when the table has no such
    row.
    """
    codebook = codebook or load_codebook()
    rows = _municipality_year(priorities, municipality_code, year).set_index(
        ["factor", "grade", "sex"]
    )
    factors = factor_frame(codebook)
    out = {"Faktor": list(factors["label"])}
    for grade, sex, header in _group_columns(codebook):
        cells = []
        for factor in factors["factor"]:
            key = (factor, grade, sex)
            if key not in rows.index:
                cells.append("")
                continue
            row = rows.loc[key]
            if isinstance(row, pd.DataFrame):
                row = row.iloc[0]
            suppressed = is_missing(row["suppressed"]) or bool(row["suppressed"])
            if suppressed or is_missing(row["difference"]):
                cells.append(DASH)
                continue
            text = format_share_difference(row["share"], row["reference_share"])
            elevated = not is_missing(row["elevated"]) and bool(row["elevated"])
            cells.append(text + "*" if elevated else text)
        out[header] = cells
    return pd.DataFrame(out)


# --- trends ---------------------------------------------------------------------------------


#: The trend frame's columns, in order.
_TREND_COLUMNS = [
    "factor",
    "label",
    "kind",
    "area",
    "area_label",
    "municipality_code",
    "year",
    "grade",
    "sex",
    "n",
    "share",
    "ci_low",
    "ci_high",
    "suppressed",
]


def _rest_of_region_rows(
    priorities: pd.DataFrame, municipality_code: str, grade: str, sex: str, factors: list[str]
) -> pd.DataFrame:
    """The rest of the region per factor and year: the priorities table's reference columns
    for the municipality's rows of one group, as ``factor, year, share, ci_low, ci_high,
    suppressed`` (the reference withheld, whatever the reason, counts as suppressed)."""
    rows = priorities.loc[
        (priorities["municipality_code"] == municipality_code)
        & (priorities["grade"] == grade)
        & (priorities["sex"] == sex)
        & priorities["factor"].isin(factors)
    ]
    share = pd.to_numeric(rows["reference_share"], errors="coerce").astype(float)
    return pd.DataFrame(
        {
            "factor": rows["factor"].to_numpy(),
            "year": rows["year"].astype(int).to_numpy(),
            "share": share.to_numpy(),
            "ci_low": pd.to_numeric(rows["reference_ci_low"], errors="coerce").to_numpy(),
            "ci_high": pd.to_numeric(rows["reference_ci_high"], errors="coerce").to_numpy(),
            "suppressed": share.isna().to_numpy(),
        }
    )


def trend_frame(
    prevalence: pd.DataFrame,
    priorities: pd.DataFrame,
    municipality_code: str,
    codebook: Codebook | None = None,
    grade: str | None = None,
    sex: str | None = None,
    factors: list[str] | None = None,
) -> pd.DataFrame:
    """Share above the cut-point per survey year, for the municipality and the rest of the region.

    The comparison is the one the chapter's tables and sentences make: the other
    municipalities pooled, read from ``priorities`` (``reference_share``,
    ``reference_ci_low``, ``reference_ci_high`` of the municipality's row for the same year,
    group and factor), never the whole region with the municipality in it. ``priorities``
    compares the risk and protective factors only, so the outcome has municipality rows only.

    ``factors`` defaults to the risk and protective factors and the primary outcome
    (self-reported offending), in codebook order.
    One row per factor × area × survey year of the municipality (area "municipality" for
    every factor; "rest" for the factors ``priorities`` compares). Columns: ``factor``,
    ``label``, ``kind``, ``area`` ("municipality" | "rest"), ``area_label`` (the
    municipality's name, or "Övriga regionen"), ``municipality_code`` (the municipality's, on
    both areas' rows), ``year`` (int), ``grade``, ``sex``, ``n`` (Int64; NA for the rest of
    the region), ``share``, ``ci_low``, ``ci_high`` (float, NA when suppressed or missing) and
    ``suppressed`` (bool; for the rest of the region: the priorities table withholds the
    reference).
    """
    codebook = codebook or load_codebook()
    all_label = codebook.survey.all_label
    grade = all_label if grade is None else grade
    sex = all_label if sex is None else sex
    if factors is None:
        factors = [
            i.id for i in codebook.indices
            if i.kind != "outcome" or i.id == codebook.primary_outcome
        ]  # fmt: skip
    factors = list(factors)
    rows = prevalence.loc[
        (prevalence["municipality_code"] == municipality_code)
        & (prevalence["grade"] == grade)
        & (prevalence["sex"] == sex)
        & prevalence["factor"].isin(factors)
    ]
    years = sorted({int(y) for y in rows["year"].dropna()})
    own = rows[["factor", "year", "n", "share", "ci_low", "ci_high", "suppressed"]].assign(
        year=rows["year"].astype(int), area="municipality"
    )
    rest = _rest_of_region_rows(priorities, municipality_code, grade, sex, factors)
    compared = [f for f in factors if f in set(rest["factor"])]
    grid = pd.concat(
        [
            pd.MultiIndex.from_product(
                [factors, ["municipality"], years], names=["factor", "area", "year"]
            ).to_frame(index=False),
            pd.MultiIndex.from_product(
                [compared, ["rest"], years], names=["factor", "area", "year"]
            ).to_frame(index=False),
        ]
    )
    values = pd.concat([own, rest.assign(area="rest")])
    frame = grid.merge(values, on=["factor", "area", "year"], how="left")
    index_info = {i.id: i for i in codebook.indices}
    frame["label"] = frame["factor"].map(lambda f: index_info[f].label if f in index_info else f)
    frame["kind"] = frame["factor"].map(lambda f: index_info[f].kind if f in index_info else "")
    frame["area_label"] = frame["area"].map(
        {"municipality": codebook.municipality_name(municipality_code), "rest": REST_OF_REGION}
    )
    frame["municipality_code"] = municipality_code
    frame["grade"] = grade
    frame["sex"] = sex
    _type_values(frame, ("share", "ci_low", "ci_high"))
    frame["year"] = frame["year"].astype(int)
    order = {f: i for i, f in enumerate(factors)}
    frame = frame.assign(_f=frame["factor"].map(order)).sort_values(
        ["_f", "area", "year"], kind="stable"
    )
    return frame[_TREND_COLUMNS].reset_index(drop=True)


def trend_table(
    trend: pd.DataFrame,
    priorities: pd.DataFrame | None = None,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """The municipality's rows of ``trend_frame`` as a display frame, one row per factor.

    Columns: ``Faktor``, ``Typ``, one column per survey year (the share, ``"–"`` when
    suppressed) and, when ``priorities`` is given, ``Förändring sedan <år>`` — the latest
    year's change since the previous survey in percentage points with its 95 % interval.
    """
    codebook = codebook or load_codebook()
    own = trend.loc[trend["area"] == "municipality"]
    if own.empty:
        return pd.DataFrame(columns=["Faktor", "Typ"])
    years = sorted(own["year"].unique())
    factors = list(dict.fromkeys(own["factor"]))
    wide = own.assign(text=[format_share(s) for s in own["share"]]).pivot(
        index="factor", columns="year", values="text"
    )
    wide = wide.reindex(index=factors, columns=years).fillna(DASH)
    info = own.drop_duplicates("factor").set_index("factor")
    out = pd.DataFrame(
        {
            "Faktor": [info.at[f, "label"] for f in factors],
            "Typ": [KIND_SHORT.get(info.at[f, "kind"], "") for f in factors],
        }
    )
    for y in years:
        out[str(int(y))] = list(wide[y])
    if priorities is not None:
        municipality_code = own["municipality_code"].iloc[0]
        latest = int(years[-1])
        grade, sex = own["grade"].iloc[0], own["sex"].iloc[0]
        prio = _municipality_year(priorities, municipality_code, latest)
        prio = prio.loc[(prio["grade"] == grade) & (prio["sex"] == sex)].set_index("factor")
        previous = {int(p) for p in prio["previous_year"].dropna()}
        header = (
            f"Förändring sedan {previous.pop()}"
            if len(previous) == 1
            else "Förändring sedan förra mätningen"
        )
        shares = own.set_index(["factor", "year"])["share"]
        previous_years = prio["previous_year"]
        out[header] = [
            format_share_difference(
                shares.get((f, latest)),
                shares.get((f, int(previous_years.at[f]))),
                prio.at[f, "change_low"],
                prio.at[f, "change_high"],
            )
            if f in prio.index and not is_missing(previous_years.at[f])
            else (MISSING if f in prio.index else NOT_APPLICABLE)
            for f in factors
        ]
    return unbroken(out)


# --- associations ---------------------------------------------------------------------------


def association_frame(
    associations: pd.DataFrame,
    municipality_code: str,
    year: int,
    codebook: Codebook | None = None,
    grade: str | None = None,
) -> pd.DataFrame:
    """Risk ratios for the municipality and the whole region, for one year and grade.

    One row per risk factor (codebook order) and area. Columns: ``factor``, ``label``,
    ``area`` ("municipality" | "region"), ``area_label``, ``exposed_share`` (share of the
    group above the factor's cut-point: n_exposed / (n_exposed + n_unexposed)), then the
    contract columns ``n_exposed``, ``cases_exposed``, ``n_unexposed``, ``cases_unexposed``,
    ``share_exposed``, ``share_unexposed``, ``risk_ratio``, ``rr_low``, ``rr_high``, ``paf``,
    ``paf_low``, ``paf_high`` and ``suppressed`` (bool). Missing rows are NA, not suppressed.
    """
    codebook = codebook or load_codebook()
    grade = codebook.survey.all_label if grade is None else grade
    region = codebook.region.code
    risk = [i.id for i in codebook.indices if i.kind == "risk"]
    rows = associations.loc[
        associations["municipality_code"].isin([municipality_code, region])
        & (associations["year"].astype("Int64") == int(year))
        & (associations["grade"] == grade)
        & (associations["sex"] == codebook.survey.all_label)
    ]
    grid = pd.MultiIndex.from_product(
        [risk, [municipality_code, region]], names=["factor", "municipality_code"]
    ).to_frame(index=False)
    numbers = ASSOCIATION_COLUMNS[ASSOCIATION_COLUMNS.index("n_exposed") : -1]
    frame = grid.merge(
        rows[["factor", "municipality_code", *numbers, "suppressed"]],
        on=["factor", "municipality_code"],
        how="left",
    )
    labels = {i.id: i.label for i in codebook.indices}
    frame["label"] = frame["factor"].map(labels)
    frame["area"] = frame["municipality_code"].map(
        {municipality_code: "municipality", region: "region"}
    )
    frame["area_label"] = frame["municipality_code"].map(
        {
            municipality_code: codebook.municipality_name(municipality_code),
            region: codebook.region.name,
        }
    )
    for col in numbers[:4]:
        frame[col] = frame[col].astype("Int64")
    for col in numbers[4:]:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    total = (frame["n_exposed"] + frame["n_unexposed"]).astype("Float64")
    frame["exposed_share"] = (frame["n_exposed"].astype("Float64") / total).astype(float)
    frame["suppressed"] = frame["suppressed"].astype("boolean").fillna(False).astype(bool)
    columns = ["factor", "label", "area", "area_label", "municipality_code", "exposed_share"]
    return frame[[*columns, *numbers, "suppressed"]].reset_index(drop=True)


def denominator_sentence(
    prevalence: pd.DataFrame,
    municipality_code: str,
    year: int,
    codebook: Codebook | None = None,
) -> str:
    """The chapter's one denominator, stated with its numbers for all students:

    "Varje andel i kapitlet räknas på de elever som har besvarat tillräckligt många av
    faktorns frågor … I Järfälla 2024 är 1 642 elevers svar med i analysen; andelarna för
    faktorerna bygger på mellan 1 598 och 1 642 av dem." The respondents are ``n + missing``
    of the all-students rows: those kept after answers that were not serious were left out
    (the count chapter 01's table shows); suppressed rows are left out of the range.
    """
    codebook = codebook or load_codebook()
    all_label = codebook.survey.all_label
    rows = _municipality_year(prevalence, municipality_code, year)
    rows = rows.loc[(rows["grade"] == all_label) & (rows["sex"] == all_label)]
    shown = rows.loc[~rows["suppressed"].astype("boolean").fillna(True).astype(bool)]
    rule = (
        "**Nämnare.** Varje andel i kapitlet, i text, tabeller och diagram, räknas på de "
        "elever som har besvarat tillräckligt många av faktorns frågor; den som inte har gjort "
        "det räknas varken över eller under gränsvärdet. Sambanden med brottslighet räknas på "
        "dem som dessutom har besvarat frågorna om brott."
    )
    if shown.empty:
        return rule
    respondents = int((shown["n"] + shown["missing"]).max())
    low, high = int(shown["n"].min()), int(shown["n"].max())
    span = (
        format_number(low)
        if low == high
        else f"mellan {format_number(low)} och {format_number(high)}"
    )
    return (
        f"{rule} I {codebook.municipality_name(municipality_code)} {year} är "
        f"{format_number(respondents)} elevers svar med i analysen (kapitlet Underlag och "
        "datakvalitet beskriver vilka svar som lämnats utanför); andelarna för faktorerna "
        f"bygger på {span} av dem."
    )


def association_display(
    associations: pd.DataFrame,
    municipality_code: str,
    year: int,
    codebook: Codebook | None = None,
    grade: str | None = None,
) -> pd.DataFrame:
    """What goes with self-reported offending in one municipality, as a display frame.

    One row per risk factor. Columns (text, ``"–"`` when suppressed): ``Riskfaktor``,
    ``Brott bland dem över`` and ``Brott bland övriga`` (share reporting offending among
    students above and below the cut-point), ``Relativ risk`` (with 95 % interval) and
    ``Tillskrivbar andel``
    (population attributable fraction with its approximate interval). The region's ratios are
    in ``association_frame`` and the figure.

    The share above the cut-point is not repeated here: among students who also answered the
    offending questions it would differ from the profile's (16 % against 17 % for the same
    group), and the chapter prints each share on one denominator (:func:`denominator_sentence`).
    """
    codebook = codebook or load_codebook()
    frame = association_frame(associations, municipality_code, year, codebook, grade)
    own = frame.loc[frame["area"] == "municipality"].set_index("factor")
    factors = list(own.index)
    return unbroken(
        pd.DataFrame(
            {
                "Riskfaktor": [own.at[f, "label"] for f in factors],
                "Brott bland dem över": [format_share(own.at[f, "share_exposed"]) for f in factors],
                "Brott bland övriga": [format_share(own.at[f, "share_unexposed"]) for f in factors],
                "Relativ risk": [
                    format_ratio(own.at[f, "risk_ratio"], own.at[f, "rr_low"], own.at[f, "rr_high"])
                    for f in factors
                ],
                "Tillskrivbar andel": [
                    format_share_ci(own.at[f, "paf"], own.at[f, "paf_low"], own.at[f, "paf_high"])
                    for f in factors
                ],
            }
        )
    )


def paf_overlap_sentence(
    associations: pd.DataFrame,
    municipality_code: str,
    year: int,
    codebook: Codebook | None = None,
    grade: str | None = None,
) -> str:
    """Why the table's attributable fractions cannot be added, with their printed sum.

    The fractions overlap: the risk factors go together, and the same pupils are above several
    cut-points, so their sum (often near or above 100 %) is no measure of what removing every
    factor would do. The sum is of the percentages as :func:`association_display` prints them,
    so a reader who adds the column gets the same number. "" when fewer than two are published.
    """
    codebook = codebook or load_codebook()
    frame = association_frame(associations, municipality_code, year, codebook, grade)
    own = frame.loc[frame["area"] == "municipality", "paf"].dropna()
    if len(own) < 2:
        return ""
    total = sum(rounded(percent_points(v)) for v in own)
    return (
        f"De tillskrivbara andelarna kan inte läggas ihop. Tillsammans blir de "
        f"{format_number(total)}{NBSP}%, men riskfaktorerna hänger ihop och samma elever ligger "
        "ofta över flera gränsvärden, så andelarna överlappar. Summan säger därför inte hur "
        "mycket brottsligheten skulle minska om alla faktorerna försvann."
    )
