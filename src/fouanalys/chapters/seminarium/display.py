"""Slide texts of the seminar decks: the title, results in brief, the level comparisons and
the dialogue questions that close a deck, as Data i Dialog closes each section.

The numbers come from the chapters' functions (``riskfaktorer``, ``insatser``,
``kunskapslaget``, ``region``); the functions here only choose among their sentences and rows.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from fouanalys.chapters import insatser, kunskapslaget, riskfaktorer
from fouanalys.codebook import Codebook, load_codebook
from fouanalys.present.labels import GAP_STATUS_LABELS, stage_phrase
from fouanalys.present.text import format_share, join_words, lower_first

#: The regional deck's themes: the three prevention levels and the gaps shared across them.
THEMES = ("förebygga", "förhindra", "riskreducera", "luckor")
#: Gap statuses from most to least serious, as chapter 03 orders its list of gaps.
_SEVERITY = {"saknas": 0, "tunn": 1, "okänd": 2}
#: Effects that count as "what works" on a slide (chapter 06's shared-gap table uses the same).
_WORKS = ("hög", "måttlig")


def title_text(name: str, manifest: Mapping[str, object], banner: str, subtitle: str = "") -> str:
    """The title slide in Markdown: "# Upplands Väsby", "Seminarium" and, for the example
    data (``manifest["synthetic"]``), the banner.

    No date: the deck's footer carries the build's date on every slide, this one too, and a
    date written by the notebook would be the day it ran, which a deck re-run from the same
    tables would change (and which could differ from the footer's)."""
    lines = [f"# {name}", f"## Seminarium{': ' + subtitle if subtitle else ''}"]
    if manifest.get("synthetic"):
        lines.append(
            f"> **{banner}.** Siffrorna visar hur underlaget fungerar och säger ingenting om "
            "kommunerna."
        )
    return "\n\n".join(lines)


def brief_points(
    priorities: pd.DataFrame,
    priority_factors: pd.DataFrame,
    gaps: pd.DataFrame,
    gap_approaches: pd.DataFrame,
    approach_links: pd.DataFrame,
    approaches: pd.DataFrame,
    insatser_frame: pd.DataFrame,
    knowledge_profile: pd.DataFrame,
    code: str,
    year: int,
    codebook: Codebook | None = None,
) -> list[tuple[str, str]]:
    """Results in brief: (chapter id, sentence) for three or four bullets, each the first
    sentence of a chapter's own summary (02's prioritised factor, 03's inventory and most
    serious gap, 04's approaches), chosen, never reworded."""
    codebook = codebook or load_codebook()
    points: list[tuple[str, str]] = []
    first = riskfaktorer.priority_sentences(
        priorities, priority_factors, codebook, code, year, limit=1
    )
    if first:
        points.append(("02_riskfaktorer", first[0]))
    inventory = insatser.summary_sentences(insatser_frame, code, codebook, knowledge_profile)
    if inventory:
        points.append(("03_insatser", inventory[0]))
    if (gaps["municipality_code"] == code).any():
        points.append(("03_insatser", insatser.gap_list(gaps, code, codebook, limit=1)[0]))
    harmful = kunskapslaget.harmful_in_use(approach_links, approaches, code)
    works = kunskapslaget.summary_sentences(gaps, gap_approaches, harmful, code, codebook)
    if works:
        points.append(("04_kunskapslaget", works[0]))
    return points


def most_serious_gap(gaps: pd.DataFrame, code: str) -> pd.Series | None:
    """The municipality's most serious gap (status saknas before tunn before okänd, then the
    factor's rank, then the youngest stage), or None when it has none."""
    own = gaps.loc[(gaps["municipality_code"] == code) & gaps["status"].isin(list(_SEVERITY))]
    if own.empty:
        return None
    ordered = own.assign(
        _sev=own["status"].map(_SEVERITY),
        _rank=pd.to_numeric(own["rank"], errors="coerce").fillna(1e9),
        _age=own["stage"].str.split("-").str[0].astype(int),
    ).sort_values(["_sev", "_rank", "_age"], kind="stable")
    return ordered.iloc[0]


def dialogue_questions(
    gaps: pd.DataFrame, code: str, name: str, codebook: Codebook | None = None
) -> list[str]:
    """Four questions for the seminar's closing dialogue, in Data i Dialog's order (Vad känner
    ni igen? Vad förvånar? Vad gör vi redan? Vad saknas?), naming the municipality's top
    prioritised factor and its most serious gap. Without prioritised factors the questions
    ask about the survey as a whole."""
    codebook = codebook or load_codebook()
    factors = kunskapslaget.prioritised_factors(gaps, code)
    if not factors:
        return [
            f"Vad känner ni igen i bilden av unga i {name}, där ingen faktor sticker ut mot "
            "övriga regionen?",
            "Vad förvånar er i resultaten?",
            "Vad gör vi redan som kan förklara att ingen faktor sticker ut?",
            "Vad saknas i bilden: vad vet ni som enkäten inte fångar?",
        ]
    top = kunskapslaget.factor_label(factors[0][0], codebook).lower()
    questions = [
        f"Vad känner ni igen i att {top} är den faktor där {name} skiljer sig mest från "
        "övriga regionen?",
        "Vad förvånar er i resultaten, och vad skulle ni vilja veta mer om?",
    ]
    gap = most_serious_gap(gaps, code)
    if gap is None:
        questions += [
            f"Vad gör vi redan mot {top}, och hur vet vi att det når fram?",
            "Vad saknas för att insatserna ska fortsätta nå alla åldrar där de behövs?",
        ]
        return questions
    factor = kunskapslaget.factor_label(gap["factor"], codebook).lower()
    stage = stage_phrase(gap["stage"], codebook)
    status = GAP_STATUS_LABELS[gap["status"]]
    questions += [
        f"Vad gör vi redan för {factor} {stage}, utanför det som står i kartläggningen?",
        f"Vad saknas för att fylla luckan för {factor} {stage} ({status}), och vem äger frågan?",
    ]
    return questions


def level_reach_table(coverage_profile: pd.DataFrame, level: str) -> pd.DataFrame:
    """Chapter 06's reach per 1 000 (its protected cell texts) for one level: one row per
    municipality and the region, one column per life stage (the stage's label)."""
    part = coverage_profile.loc[coverage_profile["level"] == level]
    stages = list(dict.fromkeys(part["stage_label"]))
    wide = part.pivot_table(
        index="municipality", columns="stage_label", values="text", aggfunc="first", sort=False
    )
    order = list(dict.fromkeys(part["municipality"]))
    wide = wide.reindex(index=order, columns=stages).reset_index()
    wide.columns.name = None
    return wide.rename(columns={"municipality": "Kommun"})


def level_inventory_table(
    insatser_frame: pd.DataFrame, level: str, codebook: Codebook | None = None
) -> pd.DataFrame:
    """Ongoing interventions at one level and the share of them that are evidence-based, per
    municipality: chapter 03's ``status_counts`` and ``evidence_share`` on the interventions
    of that level. Columns: Kommun, Pågående insatser, Evidensbaserade (a percentage, or
    "–" when there are none)."""
    codebook = codebook or load_codebook()
    at_level = insatser_frame.loc[
        insatser_frame["niva"].fillna("").str.split(";").apply(lambda v: level in v)
    ]
    rows = []
    for m in codebook.municipalities:
        ongoing = insatser.status_counts(at_level, m.code, codebook).get("pågående", 0)
        share = insatser.evidence_share(at_level, m.code)
        rows.append(
            {
                "Kommun": m.name,
                "Pågående insatser": ongoing,
                "Evidensbaserade": "–" if pd.isna(share) else format_share(share),
            }
        )
    return pd.DataFrame(rows)


def missing_level_sentences(
    coverage_profile: pd.DataFrame, level: str, codebook: Codebook | None = None
) -> list[str]:
    """For each life stage, which municipalities run no ongoing intervention at the level
    (chapter 06's "empty" cells); stages where every municipality runs one are left out."""
    codebook = codebook or load_codebook()
    part = coverage_profile.loc[
        (coverage_profile["level"] == level) & ~coverage_profile["is_region"].astype(bool)
    ]
    out = []
    for stage, rows in part.groupby("stage", sort=False):
        empty = rows.loc[rows["state"] == "empty", "municipality"].tolist()
        if empty:
            out.append(
                f"{stage_phrase(stage, codebook)[0].upper()}{stage_phrase(stage, codebook)[1:]}: "
                f"{join_words(empty)}."
            )
    return out


def level_approach_table(
    gap_approaches: pd.DataFrame,
    approaches: pd.DataFrame,
    level: str,
    codebook: Codebook | None = None,
    limit: int = 5,
) -> pd.DataFrame:
    """Approaches at one level with a high or moderate effect that fit a gap, by the number
    of municipalities whose gaps they fit (chapter 04's ``gap_approaches``). Columns:
    Arbetssätt, Effekt, Kommuner (int), Kommuner med luckan (names)."""
    codebook = codebook or load_codebook()
    names = {m.code: m.name for m in codebook.municipalities}
    fits = gap_approaches.loc[
        gap_approaches["niva"].fillna("").str.split(";").apply(lambda v: level in v)
        & gap_approaches["effekt"].isin(_WORKS)
    ]
    base = approaches.set_index("approach_id")
    rows = []
    for approach, group in fits.groupby("approach_id", sort=False):
        codes = [c for c in codebook.municipality_codes if c in set(group["municipality_code"])]
        rows.append(
            {
                "Arbetssätt": base.loc[approach, "namn"] if "namn" in base else approach,
                "Effekt": group["effekt"].iloc[0],
                "Kommuner": len(codes),
                "Kommuner med luckan": ", ".join(names[c] for c in codes),
            }
        )
    frame = pd.DataFrame(rows, columns=["Arbetssätt", "Effekt", "Kommuner", "Kommuner med luckan"])
    if frame.empty:
        return frame
    strength = {"hög": 0, "måttlig": 1}
    frame = frame.assign(_s=frame["Effekt"].map(strength))
    frame = frame.sort_values(["Kommuner", "_s"], ascending=[False, True], kind="stable")
    return frame.drop(columns="_s").head(limit).reset_index(drop=True)


def theme_questions(theme: str, codebook: Codebook | None = None) -> list[str]:
    """Three or four questions for a regional seminar on a level or on the shared gaps."""
    codebook = codebook or load_codebook()
    if theme == "luckor":
        return [
            "Vilka av de gemensamma luckorna känner ni igen från er egen kommun?",
            "Vad förvånar er i vilka luckor kommunerna delar?",
            "Vilken lucka skulle vi vinna mest på att arbeta med tillsammans?",
            "Vad saknas för att ett gemensamt arbetssätt ska komma i gång?",
        ]
    label = lower_first(codebook.labels("levels").get(theme, theme))
    return [
        f"Vad känner ni igen i bilden av arbetet med att {label} i regionen?",
        "Vad förvånar er i skillnaderna mellan kommunerna?",
        f"Vad gör vi redan för att {label} som inte syns i kartläggningen?",
        "Vad saknas, och vad kan kommunerna göra tillsammans?",
    ]
