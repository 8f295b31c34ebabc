"""Chapter 03's section on what changed since the municipality's previous mapping round.

The tables come from :mod:`fouanalys.inventory_changes` (``compared_rounds``,
``intervention_changes``, ``gap_changes``); this module words them: one lead sentence naming
the two rounds, a summary sentence, the interventions that changed as a table, and the gap
cells that changed as sentences.
"""

from __future__ import annotations

import pandas as pd

from fouanalys.codebook import Codebook
from fouanalys.ingest.rounds import BASE_ROUND
from fouanalys.inventory_changes import CHANGED, CLOSED, ENDED, NEW, OPENED, SHIFTED
from fouanalys.present.labels import age_span, stage_phrase
from fouanalys.present.tables import unbroken
from fouanalys.present.text import format_participants, join_words, number_word

#: How each kind of change reads in the table's "Ändring" column.
CHANGE_LABELS = {NEW: "Ny", CHANGED: "Ändrad", ENDED: "Inte längre med"}
#: The changed fields, as the table names them.
FIELD_LABELS = {
    "niva": "nivå",
    "status": "status",
    "deltagare_per_ar": "deltagare per år",
    "alder_fran": "ålder",
    "alder_till": "ålder",
    "inriktning": "inriktning",
    "kunskapslage": "kunskapsläge",
    "huvudman": "huvudman",
}


def round_name(round_id: str) -> str:
    """A round as the chapter names it: "omgången 2026-12-01", or the first mapping."""
    if round_id == BASE_ROUND:
        return "den första kartläggningen"
    return f"omgången {round_id}"


def compared(compared_rounds: pd.DataFrame, municipality_code: str) -> pd.Series | None:
    """The municipality's row of ``compared_rounds``, or None when it has a single round."""
    rows = compared_rounds.loc[compared_rounds["municipality_code"] == municipality_code]
    return None if rows.empty else rows.iloc[0]


def lead_sentence(compared_rounds: pd.DataFrame, municipality_code: str) -> str:
    """Which two rounds are compared, or how a comparison comes about when there is one round."""
    row = compared(compared_rounds, municipality_code)
    if row is None:
        return (
            "Kommunen har lämnat en kartläggning. När den har lämnat en ny visar avsnittet vad "
            "som har tillkommit, vad som inte längre är med och hur luckorna har förändrats."
        )
    return (
        f"Kapitlet bygger på kommunens senaste kartläggning, {round_name(row['current_round'])} "
        f"med {row['current_interventions']} insatser. Här jämförs den med "
        f"{round_name(row['previous_round'])}, som hade {row['previous_interventions']} "
        "insatser. Insatserna känns igen på sitt namn: en insats som har bytt namn räknas som "
        "en som inte längre är med och en ny. En insats som inte längre är med kan ha "
        "avslutats eller ha glömts i den nya kartläggningen; det vet kommunen."
    )


def summary_sentences(
    changes: pd.DataFrame,
    gap_changes: pd.DataFrame,
    compared_rounds: pd.DataFrame,
    municipality_code: str,
) -> list[str]:
    """The sentence on what changed since the previous round, as a list for the chapter's
    summary; [] for a municipality with a single round."""
    if compared(compared_rounds, municipality_code) is None:
        return []
    own = changes.loc[changes["municipality_code"] == municipality_code, "change"]
    new, ended, changed = (int((own == kind).sum()) for kind in (NEW, ENDED, CHANGED))
    row = compared(compared_rounds, municipality_code)
    parts = [
        f"{_count(new)} {'insatser' if new > 1 else 'insats'} tillkommit",
        f"{_count(ended)} är inte längre med",
        f"{_count(changed)} har ändrats",
    ]
    text = f"Jämfört med {round_name(row['previous_round'])} har " + join_words(parts) + "."
    gaps = gap_changes.loc[gap_changes["municipality_code"] == municipality_code, "change"]
    if len(gaps):
        closed, opened = int((gaps == CLOSED).sum()), int((gaps == OPENED).sum())
        text += (
            f" Av luckorna vid de prioriterade faktorerna har {_count(closed)} stängts, och "
            f"{_count(opened)} {'nya luckor' if opened > 1 else 'ny lucka'} har uppstått."
        )
    return [text]


def _count(n: int) -> str:
    """A count in prose, zero as "ingen"."""
    return "ingen" if n == 0 else number_word(n)


def _value(field: str, value: object, codebook: Codebook) -> str:
    if field == "deltagare_per_ar":
        return format_participants(value)
    if pd.isna(value):
        return "–"
    section = {"niva": "levels", "status": "statuses"}.get(field)
    return codebook.labels(section).get(value, str(value)).lower() if section else str(value)


def _what(row: pd.Series, codebook: Codebook) -> str:
    """What changed in one intervention, e.g. "nivå: förhindra → riskreducera"."""
    if row["change"] == NEW:
        return f"{_value('niva', row['niva_after'], codebook)}, " + age_span(
            row["alder_fran_after"], row["alder_till_after"]
        )
    if row["change"] == ENDED:
        return "fanns med förra gången men inte nu"
    fields = [f for f in row["changed"].split(";") if f]
    parts: list[str] = []
    for field in dict.fromkeys("alder" if f.startswith("alder_") else f for f in fields):
        if field == "alder":
            before = age_span(row["alder_fran_before"], row["alder_till_before"])
            after = age_span(row["alder_fran_after"], row["alder_till_after"])
            parts.append(f"ålder: {before} → {after}")
        elif field + "_before" in row.index:
            before = _value(field, row[field + "_before"], codebook)
            after = _value(field, row[field + "_after"], codebook)
            parts.append(f"{FIELD_LABELS[field]}: {before} → {after}")
        else:
            parts.append(f"{FIELD_LABELS[field]} ändrad")
    return "; ".join(parts)


def change_table(changes: pd.DataFrame, municipality_code: str, codebook: Codebook) -> pd.DataFrame:
    """The municipality's changed interventions: ``Insats``, ``Ändring`` (Ny, Ändrad, Inte
    längre med) and ``Vad som har ändrats`` (before → after). Empty when nothing changed."""
    own = changes.loc[changes["municipality_code"] == municipality_code]
    frame = pd.DataFrame(
        {
            "Insats": own["insats"].astype(str).tolist(),
            "Ändring": [CHANGE_LABELS[c] for c in own["change"]],
            "Vad som har ändrats": [_what(row, codebook) for _, row in own.iterrows()],
        },
        dtype=object,
    )
    return unbroken(frame)


def gap_change_sentences(
    gap_changes: pd.DataFrame, municipality_code: str, codebook: Codebook
) -> list[str]:
    """One sentence per prioritised factor × life stage whose gap changed (closed first, then
    new gaps, then other status changes); [] when none changed."""
    own = gap_changes.loc[
        (gap_changes["municipality_code"] == municipality_code)
        & gap_changes["change"].isin([CLOSED, OPENED, SHIFTED])
    ]
    order = {CLOSED: 0, OPENED: 1, SHIFTED: 2}
    own = own.assign(_order=own["change"].map(order)).sort_values("_order", kind="stable")
    labels = codebook.labels("indices")
    sentences = []
    for _, row in own.iterrows():
        factor = labels.get(row["factor"], row["factor"])
        where = f"{factor[:1].upper()}{factor[1:]}, {stage_phrase(row['stage'], codebook)}"
        before, after = row["status_before"], row["status_after"]
        if row["change"] == CLOSED:
            sentences.append(f"{where}: luckan har stängts ({before} → {after}).")
        elif row["change"] == OPENED:
            sentences.append(f"{where}: en ny lucka ({before} → {after}).")
        else:
            sentences.append(f"{where}: luckan finns kvar men har ändrats ({before} → {after}).")
    return sentences
