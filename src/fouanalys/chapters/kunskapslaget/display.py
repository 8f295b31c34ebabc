"""Chapter 04, *Kunskapsläget*: what is known to work for each gap of a prioritised factor.

Tables and sentences from the processed tables ``gaps``, ``gap_approaches``,
``approaches``, ``approach_links``, ``need_capacity`` and ``factor_research``; every word is
made here, from codes and numbers. A gap is a prioritised factor × life stage whose status is
``saknas``, ``tunn`` or ``okänd`` (:func:`fouanalys.coverage.gap_table`), and an approach fits
it by :func:`fouanalys.knowledge.gap_approaches`; this module only words them.
"""

from __future__ import annotations

import pandas as pd

from fouanalys.codebook import Codebook, load_codebook
from fouanalys.coverage import ONGOING
from fouanalys.knowledge import BY_PROGRAM, GAP_STATUSES, split
from fouanalys.present.labels import (
    CITATION_CAPTIONS,
    COST_LABELS,
    EFFECT_LABELS,
    EVIDENCE_BASE_LABELS,
    GAP_STATUS_LABELS,
    PRIORITISED,
    age_span,
    gap_meaning,
    stage_phrase,
)
from fouanalys.present.text import (
    DASH,
    format_about,
    join_words,
    markdown_safe,
    number_word,
    plural,
)

#: The columns of :func:`approach_table`.
APPROACH_COLUMNS = [
    "Arbetssätt",
    "Nivå",
    "Åldrar",
    "Effekt",
    "Underlag",
    "Kostnad",
    "Passar luckan för",
    "Används redan i",
]
#: The research behind each factor: the credit under every use of RISE's table.
RESEARCH_CREDIT_LEAD = "Forskningen om faktorn"


def _own(frame: pd.DataFrame, code: str) -> pd.DataFrame:
    return frame.loc[frame["municipality_code"] == code]


def factor_label(factor: str, codebook: Codebook) -> str:
    """A factor's Swedish label as the codebook has it."""
    return codebook.labels("indices").get(factor, factor)


def prioritised_factors(gaps: pd.DataFrame, code: str) -> list[tuple[str, str]]:
    """The municipality's prioritised factors as (factor, kind), in the gap map's order."""
    own = _own(gaps, code)
    return list(dict.fromkeys(zip(own["factor"], own["kind"], strict=True)))


def factor_heading(factor: str, kind: str, gaps: pd.DataFrame, code: str, codebook) -> str:
    """ "Impulsivitet och normbrytande attityder (riskfaktor, plats 1)"."""
    rank = _own(gaps, code).loc[lambda g: g["factor"] == factor, "rank"].iloc[0]
    what = "riskfaktor" if kind == "risk" else "skyddsfaktor"
    place = "" if pd.isna(rank) else f", plats {int(rank)} bland kommunens faktorer"
    return f"{factor_label(factor, codebook)} ({what}{place})"


def gap_line(gaps: pd.DataFrame, code: str, factor: str, codebook: Codebook) -> str:
    """The factor's life stages with their status in one sentence.

    "Luckor: 13–15 år (tunn) och 16–18 år (saknas). Ingen lucka (finns: känd räckvidd minst
    20 per 1 000): 6–12 år."
    """
    own = _own(gaps, code).loc[lambda g: g["factor"] == factor]
    open_ = [
        f"{stage_phrase(r.stage, codebook)} ({GAP_STATUS_LABELS[r.status]})"
        for r in own.itertuples()
        if r.status in GAP_STATUSES
    ]
    covered = [stage_phrase(r.stage, codebook) for r in own.itertuples() if r.status == "finns"]
    parts = [f"Luckor: {join_words(open_)}." if open_ else "Inga luckor."]
    if covered:
        parts.append(
            f"Ingen lucka ({GAP_STATUS_LABELS['finns']}: {gap_meaning('finns')}): "
            f"{join_words(covered)}."
        )
    return " ".join(parts)


def _levels(niva: str, codebook: Codebook) -> str:
    labels = codebook.labels("levels")
    return ", ".join(labels.get(level, level).lower() for level in split(niva))


def approach_table(
    gap_approaches: pd.DataFrame,
    approaches: pd.DataFrame,
    code: str,
    factor: str,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """The approaches that fit the factor's gaps: one row each, with its level, ages, effect,
    what the effect rests on, cost, the gaps it fits and the municipality's interventions that
    already use it. Columns :data:`APPROACH_COLUMNS`, without ``Kostnad`` when every cost is
    unknown (:func:`approach_note` says so); knowledge-base order."""
    codebook = codebook or load_codebook()
    fits = _own(gap_approaches, code).loc[lambda g: g["factor"] == factor]
    base = approaches.set_index("approach_id")
    rows = []
    for approach, group in fits.groupby("approach_id", sort=False):
        a = base.loc[approach]
        stages = join_words([stage_phrase(s, codebook) for s in dict.fromkeys(group["stage"])])
        own = group["own_interventions"].iloc[0]
        rows.append(
            [
                a["namn"],
                _levels(a["niva"], codebook),
                age_span(a["alder_fran"], a["alder_till"]),
                EFFECT_LABELS[a["effekt"]],
                EVIDENCE_BASE_LABELS[a["underlag"]],
                COST_LABELS[a["kostnad"]],
                stages,
                "; ".join(split(own)) if own else DASH,
            ]
        )
    table = pd.DataFrame(rows, columns=APPROACH_COLUMNS)
    if (table["Kostnad"] == COST_LABELS["okänd"]).all():
        table = table.drop(columns="Kostnad")  # said once in the note, not in every row
    return table


#: The symbol an approach table may hold, explained under it only when a cell holds it.
APPROACH_LEGEND = {DASH: f"{DASH} = ingen pågående insats i kommunen använder arbetssättet."}
#: The symbol the region's table of shared gaps may hold.
SHARED_GAPS_LEGEND = {DASH: f"{DASH} = inget arbetssätt med hög eller måttlig effekt passar."}


def approach_note(table: pd.DataFrame) -> str:
    """What the table's columns mean, under it."""
    cost = (
        ""
        if "Kostnad" in table.columns
        else " Kostnaden är okänd för alla arbetssätten i tabellen (se Metod)."
    )
    return (
        "Effekten gäller brott eller våld som källan mäter den (se Källor). Underlag: vad "
        "effekten vilar på. »Används redan i« visar kommunens pågående insatser som använder "
        "arbetssättet. Arbetssätt som forskningen visar ökar brottsligheten tas aldrig med."
        f"{cost}"
    )


def research_sentence(summary: pd.DataFrame, factor: str) -> str:
    """What RISE's table of risk and protective factors gives for the factor, in one sentence.

    ``summary``: :func:`fouanalys.research.factor_research_summary`.
    """
    row = summary.loc[summary["factor"] == factor]
    if row.empty or not bool(row["in_rise"].iloc[0]):
        return (
            f"{RESEARCH_CREDIT_LEAD}: RISE:s sammanställning av risk- och skyddsfaktorer har "
            "ingen faktor som motsvarar den här, så kapitlet visar ingen forskning om den."
        )
    r = row.iloc[0]
    n = int(r["references"])
    outcomes = [o.strip() for o in str(r["outcomes"]).split(";") if o.strip()]
    shown = outcomes[:4]
    more = len(outcomes) - len(shown)
    listed = join_words(shown) + (f" och {number_word(more)} till" if more else "")
    rise = [f.strip() for f in str(r["rise_factors"]).split(";") if f.strip()]
    heading = "rubriken" if len(rise) == 1 else "rubrikerna"
    return markdown_safe(
        f"{RESEARCH_CREDIT_LEAD}: RISE:s sammanställning av risk- och skyddsfaktorer bygger "
        f"på {plural(n, 'studie', 'studier')} om den (under {heading} "
        f"{join_words([f.lower() for f in rise])}), som knyter den till bland annat {listed}. "
        "Studierna listas under Källor."
    )


def harmful_in_use(
    approach_links: pd.DataFrame, approaches: pd.DataFrame, code: str
) -> pd.DataFrame:
    """The municipality's ongoing or planned interventions linked to an approach the knowledge
    base marks harmful: intervention, status, linked_by, program, approach_id, namn, utfall,
    kallor."""
    harmful = approaches.loc[approaches["skadlig"].astype(bool)]
    links = _own(approach_links, code).loc[lambda x: x["status"] != "avslutad"]
    return links.merge(
        harmful[["approach_id", "namn", "utfall", "kallor"]], on="approach_id"
    ).reset_index(drop=True)


def harm_warning(harmful: pd.DataFrame) -> str:
    """A warning for every intervention in :func:`harmful_in_use`; "" when there is none."""
    if harmful.empty:
        return ""
    items = []
    for r in harmful.itertuples():
        how = (
            f"namnet innehåller programmet {r.program}"
            if r.linked_by == BY_PROGRAM
            else "kartläggningen anger arbetssättet"
        )
        status = "pågår" if r.status == ONGOING else "är planerad"
        source = split(r.kallor)[0]
        items.append(
            f"- **{markdown_safe(r.intervention)}** ({status}; {how}) är ett arbetssätt av "
            f"typen *{markdown_safe(r.namn.lower())}*. Forskningen visar att det ökar "
            f"brottsligheten: {markdown_safe(r.utfall)} Källa: <{source}>"
        )
    return (
        "> **Varning: arbetssätt som kan öka brottsligheten.** "
        + (
            "En insats i kartläggningen"
            if len(harmful) == 1
            else f"{number_word(len(harmful)).capitalize()} insatser i kartläggningen"
        )
        + " liknar arbetssätt som enligt systematiska översikter ökar brottsligheten bland "
        "unga jämfört med att inte göra något. Pröva om insatsen verkligen är av den typen, "
        "och i så fall om den ska fortsätta.\n\n" + "\n".join(items)
    )


def need_rows(need: pd.DataFrame, code: str, factor: str) -> pd.DataFrame:
    """The factor's rows of ``need_capacity`` at the ages the survey covers."""
    own = _own(need, code).loc[lambda n: (n["factor"] == factor) & n["age"].notna()]
    return own.reset_index(drop=True)


def need_sentence(row: pd.Series, codebook: Codebook) -> str:
    """One surveyed age's need against capacity, as a council reads it.

    "Bland 15-åringarna (årskurs 9 i enkäten) ligger omkring 300 (250–360) unga över
    gränsen; insatserna mot faktorn når omkring 40 15-åringar per år."
    """
    age = int(row["age"])
    grade = {g.id: g.label for g in codebook.survey.grades}.get(row["grade"], row["grade"])
    who = f"Bland {age}-åringarna ({grade.lower()} i enkäten)"
    if pd.isna(row["need"]):
        return f"{who} går behovet inte att skatta: andelen redovisas inte för gruppen."
    about = (
        f"omkring {format_about(row['need'])} ({format_about(row['need_low'])}–"
        f"{format_about(row['need_high'])}) unga"
    )
    need = (
        f"saknar {about} skyddet" if row["kind"] == "protective" else f"ligger {about} över gränsen"
    )
    n = int(row["interventions"])
    if n == 0:
        reach = "ingen pågående insats riktar sig mot faktorn i den åldern"
    elif pd.isna(row["capacity"]):
        reach = (
            f"{plural(n, 'pågående insats', 'pågående insatser')} riktar sig mot faktorn i den "
            "åldern men ingen anger antal deltagare"
        )
    else:
        unknown = int(row["unknown_capacity"])
        extra = f" (och {number_word(unknown)} till som inte anger antal)" if unknown else ""
        reach = (
            f"insatserna mot faktorn når omkring {format_about(row['capacity'])} "
            f"{age}-åringar per år{extra}"
        )
    return f"{who} {need}; {reach}."


def uncovered_ages_sentence(need: pd.DataFrame, code: str, factor: str, codebook) -> str:
    """The factor's gap stages the survey does not reach, said plainly; "" when none."""
    own = _own(need, code).loc[lambda n: (n["factor"] == factor) & n["age"].isna()]
    if own.empty:
        return ""
    stages = join_words([stage_phrase(s, codebook) for s in dict.fromkeys(own["stage"])])
    return (
        f"För {stages} går behovet inte att skatta: enkäten frågar bara elever i årskurs 9 "
        "och gymnasiet år 2, och kapitlet räknar inte om deras svar till andra åldrar."
    )


def link_table(approach_links: pd.DataFrame, approaches: pd.DataFrame, code: str) -> pd.DataFrame:
    """Every intervention linked to an approach, and how: by the inventory's ``metod`` or by
    a programme named in the intervention's name (the reader should check the latter)."""
    names = approaches.set_index("approach_id")["namn"]
    own = _own(approach_links, code)
    how = [
        f"namnet innehåller {program}" if by == BY_PROGRAM else "angiven i kartläggningen"
        for by, program in zip(own["linked_by"], own["program"], strict=True)
    ]
    return pd.DataFrame(
        {
            "Insats": own["intervention"].to_numpy(),
            "Arbetssätt": names.reindex(own["approach_id"]).to_numpy(),
            "Kopplad genom": how,
        }
    )


def references_table(research: pd.DataFrame, factor: str) -> pd.DataFrame:
    """The studies RISE's table gives for the factor: one row each."""
    own = research.loc[research["factor"] == factor]
    return pd.DataFrame(
        {
            "Faktor i RISE:s sammanställning": own["rise_faktor"].to_numpy(),
            "Studerat utfall": own["utfall"].to_numpy(),
            "Studie": own["referens"].to_numpy(),
        }
    )


def summary_sentences(
    gaps: pd.DataFrame,
    gap_approaches: pd.DataFrame,
    harmful: pd.DataFrame,
    code: str,
    codebook: Codebook,
) -> list[str]:
    """The chapter's summary: gaps, approaches that fit, those in use, any warning."""
    own = _own(gaps, code)
    open_gaps = own.loc[own["status"].isin(GAP_STATUSES)]
    fits = _own(gap_approaches, code)
    out = []
    if own.empty:
        return [f"Kommunen har ingen {PRIORITISED} faktor, och därmed inga luckor att möta."]
    if open_gaps.empty:
        out.append(
            f"Alla {PRIORITISED}e faktorer når gränsen för tunn täckning i alla livsskeden där "
            "de går att påverka: det finns inga luckor att möta."
        )
    else:
        approaches = fits["approach_id"].nunique()
        used = fits.loc[fits["in_use"] > 0, "approach_id"].nunique()
        gaps_n = len(open_gaps)
        # "arbetssätt" is neuter: "ett arbetssätt", "ett av dem"; one gap is "enda".
        which = "enda lucka" if gaps_n == 1 else f"{number_word(gaps_n)} luckor"
        found = {0: "inget arbetssätt", 1: "ett arbetssätt"}.get(
            approaches, f"{number_word(approaches)} arbetssätt"
        )
        out.append(
            f"För kommunens {which} finns {found} i kunskapsbasen som riktar sig mot luckans "
            "faktor i rätt ålder och inte har visats öka brottsligheten."
        )
        without = open_gaps.merge(
            fits[["factor", "stage"]].drop_duplicates(),
            on=["factor", "stage"],
            how="left",
            indicator=True,
        ).query("_merge == 'left_only'")
        if len(without):
            out.append(
                f"För {plural(len(without), 'lucka', 'luckor')} finns inget sådant arbetssätt "
                "i kunskapsbasen."
            )
        out.append(
            f"Kommunen använder redan {'ett' if used == 1 else number_word(used)} av dem"
            if used
            else "Kommunen använder inget av dem i dag"
        )
        out[-1] += " i någon pågående insats."
    if len(harmful):
        out.append(
            f"Varning: {plural(len(harmful), 'insats', 'insatser')} i kartläggningen liknar ett "
            "arbetssätt som forskningen visar kan öka brottsligheten (se Sammanfattning i "
            "kapitlet Kunskapsläget)."
        )
    return out


def studies_caption(factor: str, codebook: Codebook) -> str:
    """The caption of the table of RISE's studies about ``factor``."""
    return f"{CITATION_CAPTIONS[0]}{factor_label(factor, codebook).lower()}"


#: The caption of :func:`source_table`.
SOURCES_CAPTION = f"{CITATION_CAPTIONS[1]} i kapitlet"


def source_table(gap_approaches: pd.DataFrame, approaches: pd.DataFrame, code: str) -> pd.DataFrame:
    """The sources of every approach the chapter shows for the municipality, with the date
    their figures were read: one row per approach, its sources' addresses side by side."""
    shown = dict.fromkeys(_own(gap_approaches, code)["approach_id"])
    base = approaches.set_index("approach_id")
    rows = [
        (base.loc[a, "namn"], " ".join(split(base.loc[a, "kallor"])), base.loc[a, "hamtad"])
        for a in shown
    ]
    return pd.DataFrame(rows, columns=["Arbetssätt", "Källor", "Lästa"])


# --- the region: which approaches run where, and gaps several municipalities share ----------


def approach_use_table(
    approach_links: pd.DataFrame, approaches: pd.DataFrame, codebook: Codebook
) -> pd.DataFrame:
    """Each approach an ongoing intervention uses somewhere in the region, with the
    municipalities that use it; harmful ones marked. Most widely used first."""
    ongoing = approach_links.loc[approach_links["status"] == ONGOING]
    names = {m.code: m.name for m in codebook.municipalities}
    base = approaches.set_index("approach_id")
    order = {a: i for i, a in enumerate(approaches["approach_id"])}
    rows = []
    for approach, group in ongoing.groupby("approach_id"):
        codes = [c for c in codebook.municipality_codes if c in set(group["municipality_code"])]
        name = base.loc[approach, "namn"]
        if bool(base.loc[approach, "skadlig"]):
            name += " (kan öka brottsligheten)"
        rows.append((len(codes), order[approach], name, ", ".join(names[c] for c in codes)))
    rows.sort(key=lambda r: (-r[0], r[1]))
    return pd.DataFrame(
        [(r[2], r[0], r[3]) for r in rows], columns=["Arbetssätt", "Kommuner", "Används i"]
    )


def _first(names: list[str], limit: int) -> str:
    """At most ``limit`` names, then how many more ("A; B; C och 2 till"); – for none."""
    if not names:
        return DASH
    more = len(names) - limit
    return "; ".join(names[:limit]) + (f" och {number_word(more)} till" if more > 0 else "")


def shared_gaps_table(
    gaps: pd.DataFrame,
    gap_approaches: pd.DataFrame,
    approaches: pd.DataFrame,
    codebook: Codebook,
    least: int = 2,
) -> pd.DataFrame:
    """Gaps (prioritised factor × life stage with status saknas, tunn or okänd) that at least
    ``least`` municipalities share, candidates for joint work, with the approaches that fit
    them and have an effect (hög or måttlig) first. Most municipalities first."""
    open_gaps = gaps.loc[gaps["status"].isin(GAP_STATUSES)]
    names = {m.code: m.name for m in codebook.municipalities}
    base = approaches.set_index("approach_id")
    strength = {"hög": 0, "måttlig": 1, "låg": 2, "okänd": 3, "ingen": 4}
    rows = []
    for (factor, stage), group in open_gaps.groupby(["factor", "stage"], sort=False):
        codes = [c for c in codebook.municipality_codes if c in set(group["municipality_code"])]
        if len(codes) < least:
            continue
        fits = gap_approaches.loc[
            (gap_approaches["factor"] == factor) & (gap_approaches["stage"] == stage),
            "approach_id",
        ].unique()
        ranked = sorted(fits, key=lambda a: strength[base.loc[a, "effekt"]])
        effective = [
            base.loc[a, "namn"] for a in ranked if base.loc[a, "effekt"] in ("hög", "måttlig")
        ]
        rows.append(
            (
                len(codes),
                factor_label(factor, codebook),
                stage_phrase(stage, codebook),
                ", ".join(names[c] for c in codes),
                _first(effective, 4),
            )
        )
    rows.sort(key=lambda r: -r[0])
    return pd.DataFrame(
        rows,
        columns=[
            "Kommuner",
            "Prioriterad faktor",
            "Livsskede",
            "Kommuner med luckan",
            "Arbetssätt med hög eller måttlig effekt",
        ],
    )
