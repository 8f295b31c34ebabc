"""Chapter 04, Nätverksdynamik och samverkan: figures, tables and sentences for the model part.

The model itself lives in :mod:`fouanalys.recruitment`, the graph engine in
:mod:`fouanalys.network` and the collaboration network in :mod:`fouanalys.collaboration`; this
module turns their results into what the chapter shows, in Swedish.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from fouanalys import recruitment as rec
from fouanalys.exceptions import NetworkModelError
from fouanalys.present.text import (
    NBSP,
    format_number,
    format_points,
    format_share,
    format_significant,
    rounded,
)

# --- tables -------------------------------------------------------------------------------


def _format_value(value: float, integer: bool) -> str:
    """A parameter value in Swedish print: integers with thin spaces, others to four
    significant digits without trailing zeros (``0.0003 -> "0,0003"``, ``1.0 -> "1"``)."""
    return format_number(value) if integer else format_significant(value)


def parameter_display_table(values: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The parameter table for the report: Parameter, Värde, Betydelse, Källa."""
    table = rec.parameter_table(values)
    integer = {p.name: p.integer for p in rec.PARAMETERS}
    return pd.DataFrame(
        {
            "Parameter": table["parameter"],
            "Värde": [
                _format_value(v, integer[n])
                for n, v in zip(table["parameter"], table["value"], strict=True)
            ],
            "Betydelse": table["meaning"],
            "Källa": table["source"],
        }
    )


def lever_display_table(inputs: rec.ModelInputs) -> pd.DataFrame:
    """The municipality's current levers in words: Nivå, Nuläge, Insatser med/utan deltagarantal."""
    table = rec.lever_table(inputs.levers, inputs.counts, inputs.profile)
    young = int(inputs.counts.sum())
    values = []
    for level, value in zip(table["level"], table["value"], strict=True):
        if level == "förebygga":
            values.append(
                f"{format_share(value, 1)} av 12–20-åringarna nås i genomsnitt per riskfaktor"
            )
        else:
            per_1000 = 1000 * value / young if young else 0
            values.append(
                f"{format_number(value)} platser per år "
                f"({format_number(per_1000, 1)} per 1\u202f000 "
                "unga 12–20 år)"
            )
    return pd.DataFrame(
        {
            "Nivå": [level.capitalize() for level in table["level"]],
            "Nuläge i modellen": values,
            "Insatser som räknas": table["interventions"].astype(int),
            "Utan deltagarantal": table["without_participants"].astype(int),
        }
    )


def scenario_display_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The scenario outcomes for the report, with 90 % bands over the ensemble."""

    def share(row, m):
        return (
            f"{format_share(row[m], 1)} ({format_share(row[m + '_low'], 1)}–"
            f"{format_share(row[m + '_high'], 1)})"
        )

    def count(row, m):
        return (
            f"{format_number(row[m], 0)} ({format_number(row[m + '_low'], 0)}–"
            f"{format_number(row[m + '_high'], 0)})"
        )

    def change(value, pct: bool):
        if value == 0:
            return "–"
        if pct:
            return f"{format_points(value, 1, signed=True)} procentenheter"
        return format_number(value, 0, signed=True)

    return pd.DataFrame(
        {
            "Scenario": summary["label"],
            "Har varit i nätverket vid 21": [
                share(r, "share_involved_by_21") for _, r in summary.iterrows()
            ],
            "Skillnad mot nuläget": [
                change(v, True) for v in summary["share_involved_by_21_change"]
            ],
            "I nätverket efter 10 år": [count(r, "in_network_end") for _, r in summary.iterrows()],
            "Allvarligt skadade under 10 år": [count(r, "harmed") for _, r in summary.iterrows()],
            "Skillnad, skadade": [change(v, False) for v in summary["harmed_change"]],
        }
    )


# --- sentences ----------------------------------------------------------------------------


def scenario_sentences(summary: pd.DataFrame, municipality: str) -> list[str]:
    """Plain-Swedish reading of the scenarios: the level now and what each lever changes."""
    s = summary.set_index("scenario")
    now = s.loc["nulage"]
    out = [
        f"Med dagens räckvidd har i modellen {format_share(now['share_involved_by_21'], 1)} av "
        f"de unga i {municipality} varit i nätverket när de fyller 21 "
        f"(90 % av körningarna: {format_share(now['share_involved_by_21_low'], 1)}–"
        f"{format_share(now['share_involved_by_21_high'], 1)}), och omkring "
        f"{format_number(now['harmed'], 0)} skadas allvarligt under tio år."
    ]
    levers = [sc for sc in rec.SCENARIOS if len(sc.strengthened) == 1]
    changes = {
        sc.id: s.loc[sc.id, "share_involved_by_21_change"] for sc in levers if sc.id in s.index
    }
    if changes:
        best = min(changes, key=changes.get)
        best_label = next(sc.strengthened[0] for sc in levers if sc.id == best)
        out.append(
            f"Av de tre hävstängerna var för sig minskar en förstärkning av *{best_label}* andelen "
            f"som dras in mest, med {format_points(-changes[best], 1)} procentenheter."
        )
    if "riskreducera" in s.index:
        change = s.loc["riskreducera", "harmed_change"]
        people = "person" if rounded(abs(change)) == 1 else "personer"
        out.append(
            "Förstärkt riskreducerande arbete ändrar skadorna med "
            f"{format_number(change, 0, signed=True)} {people} "
            "under tio år; det verkar på dem som redan är inne, medan förebyggande och "
            "förhindrande arbete verkar på inflödet."
        )
    if "alla" in s.index:
        out.append(
            "Alla tre tillsammans ändrar andelen med "
            f"{format_points(s.loc['alla', 'share_involved_by_21_change'], 1, signed=True)} "
            "procentenheter och de allvarligt skadade med "
            f"{format_number(s.loc['alla', 'harmed_change'], 0, signed=True)}."
        )
    return out


def _people(count: float) -> str:
    """ "person" or "personer" for a count as it is printed (rounded)."""
    return "person" if rounded(count) == 1 else "personer"


def removal_sentence(summary: pd.DataFrame) -> str:
    """One plain-Swedish sentence reading
    :func:`fouanalys.network.removal_summary` at its biggest k.

    Compares the cascade (people activated beyond the starting group) when the k most central
    members are taken out with the average when as many random ones are, and, when the summary
    has k = 0, with the cascade when nobody is taken out. For example: "Om de 20 mest centrala
    ungdomarna nås och inte längre deltar i nätverket, minskar kaskaden från 412 till 35
    personer utöver startgruppen, mot i genomsnitt 398 (90 % av slumpdragningarna gav 380–410)
    om lika många slumpvis valda ungdomar nås."
    """
    if summary.empty or "removed" not in summary.columns:
        raise NetworkModelError("Sammanfattningen är tom; kör removal_experiment först.")
    k = int(summary["removed"].max())
    central = summary[(summary["strategy"] == "central") & (summary["removed"] == k)]
    at_random = summary[(summary["strategy"] == "random") & (summary["removed"] == k)]
    if central.empty:
        raise NetworkModelError(
            f"Sammanfattningen saknar raden för de {k} mest centrala; kör removal_experiment "
            "med det antalet."
        )
    after = float(central["cascade_mean"].iloc[0])
    who = "den mest centrala ungdomen" if k == 1 else f"de {k} mest centrala ungdomarna"
    start = f"Om {who} nås och inte längre deltar i nätverket,"
    base = summary[(summary["strategy"] == "central") & (summary["removed"] == 0)]
    if k > 0 and not base.empty:
        before = float(base["cascade_mean"].iloc[0])
        if rounded(after) < rounded(before):
            change = (
                f"minskar kaskaden från {format_number(before)} till {format_number(after)} "
                f"{_people(after)} utöver startgruppen"
            )
        elif rounded(after) > rounded(before):
            change = (
                f"växer kaskaden från {format_number(before)} till {format_number(after)} "
                f"{_people(after)} utöver startgruppen"
            )
        else:
            change = (
                f"blir kaskaden oförändrad, {format_number(after)} {_people(after)} utöver "
                "startgruppen"
            )
    elif k == 0:
        return (
            f"Utan att någon tas bort når kaskaden {format_number(after)} {_people(after)} utöver "
            "startgruppen."
        )
    else:
        change = f"når kaskaden {format_number(after)} {_people(after)} utöver startgruppen"
    if at_random.empty:
        return f"{start} {change}."
    row = at_random.iloc[0]
    spread = (
        f" (90{NBSP}% av slumpdragningarna gav {format_number(row['cascade_p5'])}–"
        f"{format_number(row['cascade_p95'])})"
        if int(row["runs"]) > 1
        else ""
    )
    many = "en slumpvis vald ungdom" if k == 1 else "lika många slumpvis valda ungdomar"
    return (
        f"{start} {change}, mot i genomsnitt {format_number(row['cascade_mean'])}{spread} om "
        f"{many} nås."
    )
