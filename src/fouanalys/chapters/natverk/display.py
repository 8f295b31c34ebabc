"""Chapter 05, Nätverksdynamik och samverkan: figures, tables and sentences for the model part.

The model itself lives in :mod:`fouanalys.recruitment`, the graph engine in
:mod:`fouanalys.network` and the collaboration network in :mod:`fouanalys.collaboration`; this
module turns their results into what the chapter shows, in Swedish.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import pandas as pd

from fouanalys import recruitment as rec
from fouanalys.exceptions import NetworkModelError
from fouanalys.present.text import (
    MISSING,
    NBSP,
    NOT_APPLICABLE,
    format_interval,
    format_number,
    format_share,
    format_significant,
    is_missing,
    percent_points,
    rounded,
)

# --- tables -------------------------------------------------------------------------------


def _format_value(value: float, integer: bool) -> str:
    """A parameter value in Swedish print: integers with thin spaces, others to four
    significant digits without trailing zeros (``0.0003 -> "0,0003"``, ``1.0 -> "1"``)."""
    return format_number(value) if integer else format_significant(value)


def parameter_display_table(values: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The parameter table for the report: Parameter (what it means, in words; never its
    internal name), Värde, Osäkerhet (the range each run draws it from, or "fast"), Källa."""
    table = rec.parameter_table(values)
    integer = {p.name: p.integer for p in rec.PARAMETERS}
    spread = [
        FIXED if lo == hi else f"{format_significant(lo, 2)}–{format_significant(hi, 2)}"
        for lo, hi in zip(table["low"], table["high"], strict=True)
    ]
    return pd.DataFrame(
        {
            "Parameter": table["meaning"],
            "Värde": [
                _format_value(v, integer[n])
                for n, v in zip(table["parameter"], table["value"], strict=True)
            ],
            "Osäkerhet": spread,
            "Källa": table["source"],
        }
    )


#: The Osäkerhet cell of a parameter that has the same value in every run.
FIXED = "fast"
PARAMETER_TABLE_NOTE = (
    "Osäkerhet: det intervall som varje körning drar parameterns värde ur (jämnt fördelat på "
    "logaritmisk skala); alla scenarier i samma körning får samma värden. "
    f"{FIXED} = samma värde i alla körningar."
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


#: Header of the scenario table's column for the share who have been in the network by 21.
SHARE_COLUMN = "Har varit i nätverket vid 21"
#: Header of the column with its difference to nuläge, in percentage points.
DIFFERENCE_COLUMN = "Skillnad, procentenheter"
#: Headers of the relative changes against nuläge, by outcome of rec.RELATIVE_OUTCOMES.
RELATIVE_COLUMNS = {
    "recruited": "Rekryterade, förändring",
    "in_network_end": "I nätverket efter tio år, förändring",
    "harmed": "Allvarligt skadade, förändring",
}
#: Decimals of the share and its difference in the scenario table and sentences.
SHARE_DECIMALS = 1


def printed_difference(share: float, reference: float) -> Decimal:
    """The difference of two shares in percentage points as the table prints it: the
    difference of the two printed (rounded) percentages, so that a row adds up as printed."""
    return rounded(percent_points(share), SHARE_DECIMALS) - rounded(
        percent_points(reference), SHARE_DECIMALS
    )


def format_relative(change: float, low: float, high: float) -> str:
    """A relative change with its band, in percent: ``"−19 % (−28 till −4)"``."""
    if is_missing(change):
        return MISSING
    return f"{format_number(100 * change, 0, signed=True)}{NBSP}% {format_interval(low, high)}"


def scenario_display_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The scenario outcomes for the report (Tabell "Utfall per scenario i modellen").

    Per scenario: the share who have been in the network by 21 with its band over the runs,
    its difference to nuläge in percentage points (the difference of the printed shares, so
    each row adds up as printed), and the relative change against nuläge in the same run of
    recruitments, people in the network at the end and people seriously harmed, with bands.
    Nuläge is the comparison and reads "ej tillämpligt" in the difference columns ("–" is kept
    for suppressed values). No absolute numbers of
    people: the model's counts are not a forecast for the municipality.
    """
    s = summary.reset_index(drop=True)
    m = "share_involved_by_21"
    reference = s.loc[s["scenario"] == rec.SCENARIOS[0].id, m]
    base = reference.iloc[0] if len(reference) else float("nan")
    frame = {
        "Scenario": s["label"],
        SHARE_COLUMN: [
            f"{format_share(r[m], SHARE_DECIMALS)} "
            f"{format_interval(r[m + '_low'], r[m + '_high'], SHARE_DECIMALS)}"
            for _, r in s.iterrows()
        ],
        DIFFERENCE_COLUMN: [
            NOT_APPLICABLE
            if sc == rec.SCENARIOS[0].id
            else MISSING
            if is_missing(base)
            else format_number(printed_difference(v, base), SHARE_DECIMALS, signed=True)
            for sc, v in zip(s["scenario"], s[m], strict=True)
        ],
    }
    for outcome, header in RELATIVE_COLUMNS.items():
        frame[header] = [
            NOT_APPLICABLE
            if r["scenario"] == rec.SCENARIOS[0].id
            else format_relative(
                r[f"{outcome}_rel"], r[f"{outcome}_rel_low"], r[f"{outcome}_rel_high"]
            )
            for _, r in s.iterrows()
        ]
    return pd.DataFrame(frame, dtype=object)


def scenario_table_note(replicates: int, outcome_months: int) -> str:
    """The note under the scenario table: what the numbers are, and that they are the
    model's, not a forecast."""
    years = outcome_months / 12
    span = format_number(years) if rounded(years, 1) == rounded(years) else format_number(years, 1)
    return (
        f"Alla tal gäller modellen under dess antaganden, inte vad som kommer att hända i "
        f"kommunen. Har varit i nätverket vid 21: andel av dem som fyllde 21 under modellens "
        f"sista {span} år, medelvärde över {format_number(replicates)} körningar med "
        f"10:e–90:e percentilen inom parentes. Skillnaden mot nuläget är skillnaden mellan de "
        "avrundade andelarna i tabellen, så att varje rad går ihop. Förändringarna är mot "
        "nuläget, i procent av nuläget i samma körning: mittvärdet (median) och inom parentes "
        "10:e–90:e percentilen. Körningarna skiljer sig både i slumpen och i de osäkra "
        "parametrarnas värden."
    )


def scenario_table_legend() -> dict[str, str]:
    """The words of the scenario table that need explaining, for the table's ``legend``: each
    is explained under the table only when a cell shows it. Nuläge's own difference columns
    read "ej tillämpligt" (it is the comparison); "saknas" is a change that cannot be computed
    because nuläge has none of the outcome to compare with. There is no "–": nothing in the
    model's results is suppressed."""
    return {
        NOT_APPLICABLE: f"{NOT_APPLICABLE} = nuläget är jämförelsen.",
        MISSING: f"{MISSING} = förändringen går inte att räkna: nuläget har inget sådant utfall "
        "att jämföra med.",
    }


# --- sentences ----------------------------------------------------------------------------


def _relative_phrase(what: str, change: float, low: float, high: float) -> str:
    """A relative change in words, with the band over the runs: "minskar antalet rekryterade
    med omkring 19 % (80 % av körningarna: 4–28 %)", or "ändrar … inte tydligt" when the band
    holds both fewer and more."""
    if is_missing(change):
        return f"ändrar inte {what} (för få körningar med {what} i nuläget)"
    pct = [rounded(100 * v) for v in (change, low, high)]
    if pct[2] <= 0 and pct[0] < 0:
        verb, a, b = "minskar", -pct[2], -pct[1]
    elif pct[1] >= 0 and pct[0] > 0:
        verb, a, b = "ökar", pct[1], pct[2]
    else:
        return (
            f"ändrar inte {what} tydligt (80{NBSP}% av körningarna: "
            f"{format_number(pct[1], signed=True)} till {format_number(pct[2], signed=True)}"
            f"{NBSP}%)"
        )
    return (
        f"{verb} {what} med omkring {format_number(abs(pct[0]))}{NBSP}% "
        f"(80{NBSP}% av körningarna: {format_number(a)}–{format_number(b)}{NBSP}%)"
    )


def scenario_sentences(summary: pd.DataFrame, municipality: str) -> list[str]:
    """Plain-Swedish reading of the scenarios, as what the model shows under its assumptions:
    the share drawn in under nuläge with its band, and each lever's effect relative to
    nuläge. No counts of people: the model is a sketch, not a forecast."""
    s = summary.set_index("scenario")
    now = s.loc["nulage"]
    m = "share_involved_by_21"
    out = [
        f"Med dagens räckvidd har i modellen {format_share(now[m], SHARE_DECIMALS)} av de unga "
        f"varit i nätverket när de fyller 21 (80{NBSP}% av körningarna: "
        f"{format_interval(now[m + '_low'], now[m + '_high'], SHARE_DECIMALS)[1:-1]}{NBSP}%). "
        f"Det är en storhet i modellen, formad efter {municipality}s siffror, inte en "
        f"uppskattning av hur många unga i {municipality} som dras in."
    ]

    def rel(sc: str, outcome: str, what: str) -> str:
        row = s.loc[sc]
        return _relative_phrase(
            what, row[f"{outcome}_rel"], row[f"{outcome}_rel_low"], row[f"{outcome}_rel_high"]
        )

    levers = [sc for sc in rec.SCENARIOS if len(sc.strengthened) == 1 and sc.id in s.index]
    if levers:
        best = min(levers, key=lambda sc: s.loc[sc.id, "recruited_rel"])
        points = printed_difference(s.loc[best.id, m], now[m])
        out.append(
            f"Av de tre hävstängerna var för sig {rel(best.id, 'recruited', 'antalet rekryterade')}"
            f" jämfört med nuläget i modellen när *{best.strengthened[0]}* förstärks; andelen "
            "som har varit i nätverket vid 21 ändras med "
            f"{format_number(points, SHARE_DECIMALS, signed=True)} procentenheter."
        )
    if "riskreducera" in s.index:
        out.append(
            "Förstärkt riskreducerande arbete "
            f"{rel('riskreducera', 'harmed', 'antalet allvarligt skadade')} jämfört med nuläget "
            "i modellen; det verkar på dem som redan är inne, medan förebyggande och "
            "förhindrande arbete verkar på inflödet."
        )
    if "alla" in s.index:
        out.append(
            f"Alla tre tillsammans {rel('alla', 'recruited', 'antalet rekryterade')} och "
            f"{rel('alla', 'harmed', 'antalet allvarligt skadade')}."
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
