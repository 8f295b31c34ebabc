"""Public key figures from Kolada: a municipality's trend against the county and the country.

Pure functions over the processed ``kolada`` table (``kpi, municipality_id, year, gender,
value, status``) and the codebook's ``kolada_kpis``, each returning a tidy frame, a display
frame with Swedish headers, Swedish sentences or a matplotlib
:class:`~matplotlib.figure.Figure`. Nothing here reads files.

Conventions:

- Only KPIs the codebook lists are shown, in codebook order, with Kolada's title verbatim
  (numbers grouped) and the unit the codebook gives (which for two crime KPIs is not the one
  Kolada's title says; the codebook's ``note`` explains it).
  Other KPIs in the file are named, not drawn.
- Gender ``T`` (everyone) unless told otherwise.
- A value Kolada does not publish is never drawn as a number: its status (``Missing``,
  ``Privacy``, ``Not applicable``) is shown with the codebook's Swedish label, and a null value
  without a status as "saknas". Lines break at a missing year; they are not interpolated.
- *The latest year* of a KPI is the latest year in which Kolada has a value for at least one of
  the areas shown; a missing value in that year is shown as missing, not replaced by an older
  one (a sentence may add the latest known value, with its year).
- Counts (unit ``antal``) depend on the size of the area, so they are not compared with the
  county or the country, only followed over time; a count the codebook gives a ``rate`` for is
  also shown per 1 000 inhabitants of its ages, ranked among the municipalities.
- "Bättre" and "sämre" than the county follow one rule,
  :func:`fouanalys.keyfigures.kpi_comparisons`, which :func:`method_text` states in words: only
  a difference larger than the usual year-to-year change of the municipality's own figure is
  called out.
"""

from __future__ import annotations

import re

import pandas as pd

from fouanalys.codebook import Codebook, load_codebook
from fouanalys.keyfigures import (
    BETTER,
    CHANGE_YEARS,
    COUNT_UNITS,
    MIN_VARIATION_CHANGES,
    MISSING_TEXT,
    RATE_SUFFIX,
    ROLE_COUNTRY,
    ROLE_COUNTY,
    ROLE_MEMBER,
    ROLE_MUNICIPALITY,
    SIMILAR,
    UNDETERMINED,
    VARIATION_YEARS,
    WORSE,
    _latest_year,
    shown_kpis,
    unknown_kpis,
)
from fouanalys.present.text import (
    MISSING,
    NBSP,
    NOT_APPLICABLE,
    format_number,
    format_percent,
    join_words,
    lower_first,
    number_word,
)

#: Decimals shown per unit id (Kolada rounds percentages to one decimal).
UNIT_DECIMALS = {"procent": 1, "per_1000": 1, "per_100000": 0, "antal": 0}

#: Words of the comparison codes of :func:`fouanalys.keyfigures.kpi_comparisons`.
COMPARISON_WORDS = {
    BETTER: "bättre än länet",
    WORSE: "sämre än länet",
    SIMILAR: "i nivå med länet",
    UNDETERMINED: "kan inte bedömas",
}
#: Header of the municipality's place in :func:`kpi_trend_table`.
PLACE_COLUMN = "Plats bland kommunerna"
#: From this many municipalities on, a place is also given as a percentile ("bättre än 62 %").
PERCENTILE_FROM = 20

#: Shown instead of the Kolada sections when the data has no kolada.csv.
NO_KOLADA_TEXT = (
    "Underlaget innehåller ingen `kolada.csv`, så här visas inga nyckeltal från Kolada. "
    "Hämta dem med `fouanalys fetch kolada --data-dir MAPP` (MAPP är rådatamappen) och bygg "
    "rapporten igen."
)
_SPACED_DIGITS = re.compile(r"(\d) (\d{3})")


def title_text(title: str) -> str:
    """Kolada's title in Swedish print: its words verbatim, a number of four or more digits
    grouped like every other number (``"antal/1000 inv" -> "antal/1 000 inv"``), a year not."""

    def grouped(match: re.Match[str]) -> str:
        digits = match.group()
        return digits if re.fullmatch(r"(19|20)\d\d", digits) else format_number(int(digits))

    return re.sub(r"(?<![\w,.])\d{4,}(?!\w)", grouped, title)


def short_status(text: str) -> str:
    """A status text without its explanation in brackets: "skyddat (för få personer)" →
    "skyddat" (for figures and narrow table cells)."""
    return text.split(" (")[0]


def format_value(value: object, unit: str, signed: bool = False) -> str:
    """A Kolada value in Swedish print with its unit's decimals: ``88.66, "procent" → "88,7"``,
    ``4436.6, "per_100000" → "4 437"`` (narrow no-break space between thousands); "–" when
    missing."""
    return format_number(value, UNIT_DECIMALS.get(unit, 1), signed=signed)


def unit_text(unit_label: str) -> str:
    """A unit label for print: a number in it does not break at its thousands space
    ("per 100 000 invånare" keeps "100 000" together)."""
    return _SPACED_DIGITS.sub("\\1\u202f\\2", unit_label)


def _unit_suffix(unit_label: str) -> str:
    """What follows a number in a sentence: "andel (%)" → " %", "antal per 1 000 invånare" →
    " per 1 000 invånare", "antal" → ""."""
    if "%" in unit_label:
        return f"{NBSP}%"
    rest = unit_text(unit_label).removeprefix("antal").strip()
    return f" {rest}" if rest else ""


def _with_unit(value: object, unit: str, unit_label: str) -> str:
    return format_value(value, unit) + _unit_suffix(unit_label)


def unknown_kpis_sentence(kolada: pd.DataFrame, codebook: Codebook | None = None) -> str:
    """One sentence naming the KPIs that are in the data but not shown, or "" when none."""
    ids = unknown_kpis(kolada, codebook)
    if not ids:
        return ""
    which, it = ("nyckeltalet", "det") if len(ids) == 1 else ("nyckeltalen", "de")
    return (
        f"Kodboken beskriver inte {which} {join_words(ids)} i kolada.csv, så {it} visas inte "
        f"(lägg till {'det' if it == 'det' else 'dem'} under `kolada_kpis` i kodboken för att "
        f"visa {'det' if it == 'det' else 'dem'})."
    )


def absent_kpis_sentence(kolada: pd.DataFrame, codebook: Codebook | None = None) -> str:
    """One sentence naming the codebook's KPIs that kolada.csv has no rows for, or ""."""
    codebook = codebook or load_codebook()
    present = set(kolada["kpi"].astype(str))
    absent = [k for k in codebook.kolada_kpis if k.id not in present]
    if not absent:
        return ""
    names = [f"{lower_first(k.label)} ({k.id})" for k in absent]
    return f"kolada.csv innehåller inga värden för {join_words(names)}."


def unit_notes(frame: pd.DataFrame, codebook: Codebook | None = None) -> list[str]:
    """For each KPI in ``frame`` (a trend or regional frame) with a codebook note: Kolada's
    title and the note, as Markdown."""
    by_id = {k.id: k for k in shown_kpis(codebook)}
    out = []
    for kpi_id in dict.fromkeys(frame["kpi"]):
        kpi = by_id.get(str(kpi_id))
        if kpi is None or not kpi.note:
            continue
        if _is_rate(kpi.id):  # computed here: it has no Kolada title
            out.append(f"**{kpi.label}**: {unit_text(kpi.note)}")
        else:
            title = title_text(kpi.title)
            out.append(f"**{kpi.label}** (Koladas titel: ”{title}”): {unit_text(kpi.note)}")
    return out


def notes(frame: pd.DataFrame, kolada: pd.DataFrame, codebook: Codebook | None = None) -> list[str]:
    """Everything a reader should know about the KPIs of a section, as Markdown items: the
    codebook's unit notes for the KPIs in ``frame`` (a trend or regional frame), then which
    KPIs of the data are not shown and which codebook KPIs the data lacks."""
    codebook = codebook or load_codebook()
    extra = (unknown_kpis_sentence(kolada, codebook), absent_kpis_sentence(kolada, codebook))
    return unit_notes(frame, codebook) + [text for text in extra if text]


def source_caption(synthetic: bool = False) -> str:
    """The source line for a Kolada figure or table caption."""
    if synthetic:
        return (
            "Källa: syntetiska exempeldata i Koladas form, inte verkliga värden från Kolada (RKA)."
        )
    return "Källa: Kolada (RKA), CC BY 4.0."


def role_values(part: pd.DataFrame, role: str) -> pd.Series:
    """Value by year for one role of one KPI's rows (float, NaN when missing)."""
    rows = part.loc[part["role"] == role]
    return pd.Series(rows["value"].astype(float).to_numpy(), index=rows["year"].astype(int))


def _cell(part: pd.DataFrame, role: str, year: int) -> tuple[object, str]:
    """(value, status text) of one role in one year; (NA, "saknas") when there is no row."""
    rows = part.loc[(part["role"] == role) & (part["year"] == year)]
    if rows.empty:
        return pd.NA, MISSING_TEXT
    return rows["value"].iloc[0], str(rows["status_text"].iloc[0])


def kpi_trend_table(trend: pd.DataFrame) -> pd.DataFrame:
    """Display frame: per KPI its latest year's values and the municipality's five-year change.

    Columns (Swedish headers): ``Nyckeltal (Koladas titel)``, ``Enhet`` (the codebook's unit,
    marked "*" when the codebook has a note on it), ``År`` (the latest year), one column per
    area named by it (the municipality, the county, the country) holding the value in Swedish
    print or the status text in its place, ``Förändring på 5 år`` (the municipality's
    value minus its value five years earlier, signed; "–" when either is missing) and
    ``Plats bland kommunerna`` (:func:`place_text`, 1 = best; "–" for counts and missing
    values).
    """
    columns = ["Nyckeltal (Koladas titel)", "Enhet", "År"]
    names = {
        role: trend.loc[trend["role"] == role, "area_name"].iloc[0]
        for role in (ROLE_MUNICIPALITY, ROLE_COUNTY, ROLE_COUNTRY)
        if (trend["role"] == role).any()
    }
    change = f"Förändring på {CHANGE_YEARS} år"
    rows = []
    for _kpi, part in trend.groupby("kpi", sort=False):
        first = part.iloc[0]
        year = _latest_year(part)
        row = {
            columns[0]: title_text(first["title"]),
            columns[1]: unit_text(first["unit_label"]) + ("*" if first["note"] else ""),
            columns[2]: str(year),
        }
        for role, name in names.items():
            value, text = _cell(part, role, year)
            row[name] = text or format_value(value, first["unit"])
        now, _ = _cell(part, ROLE_MUNICIPALITY, year)
        before, _ = _cell(part, ROLE_MUNICIPALITY, year - CHANGE_YEARS)
        row[change] = (
            MISSING
            if pd.isna(now) or pd.isna(before)
            else format_value(float(now) - float(before), first["unit"], signed=True)
        )
        own = _row_of(part, ROLE_MUNICIPALITY, year)
        row[PLACE_COLUMN] = (
            NOT_APPLICABLE
            if own is None
            else place_text(own["rank"], own["ranked"], own["percentile"])
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=columns + list(names.values()) + [change, PLACE_COLUMN])


def _is_rate(kpi_id: object) -> bool:
    return str(kpi_id).endswith(RATE_SUFFIX)


def _difference_text(value: object, unit: str, unit_label: str) -> str:
    """A difference in a KPI's unit, unsigned: "0,2 procentenheter", "457 per 100 000 …"."""
    size = abs(float(value))
    if "%" in unit_label:
        return f"{format_value(size, unit)} procentenheter"
    return _with_unit(size, unit, unit_label)


def place_text(rank: object, ranked: object, percentile: object) -> str:
    """A municipality's place: "4 av 8", or with many municipalities "143 av 290, bättre än
    51 %" (:data:`PERCENTILE_FROM`); "ej tillämpligt" without a place or when it is the only
    one ranked ("–" is kept for suppressed values)."""
    if pd.isna(rank) or pd.isna(ranked) or int(ranked) < 2:
        return NOT_APPLICABLE
    text = f"{format_number(rank)} av {format_number(ranked)}"
    if int(ranked) >= PERCENTILE_FROM and not pd.isna(percentile):
        text += f", bättre än {format_percent(percentile)}"
    return text


def _row_of(part: pd.DataFrame, role: str, year: int) -> pd.Series | None:
    rows = part.loc[(part["role"] == role) & (part["year"] == year)]
    return None if rows.empty else rows.iloc[0]


def _verdict_text(row: pd.Series, unit: str, unit_label: str) -> str:
    """The comparison code of a municipality's row in words, with the difference and the usual
    change it was judged against in brackets."""
    code = row["comparison"]
    if code == UNDETERMINED:
        return (
            f"{COMPARISON_WORDS[code]} (för få år med värden för att veta hur mycket "
            "kommunens värde brukar ändras)"
        )
    diff = _difference_text(row["difference"], unit, unit_label)
    usual = _difference_text(row["typical_change"], unit, unit_label)
    relation = "större" if code in (BETTER, WORSE) else "inte större"
    return (
        f"{COMPARISON_WORDS[code]} (skillnaden, {diff}, är {relation} än kommunens vanliga "
        f"förändring från ett år till nästa, {usual})"
    )


def comparison_sentences(trend: pd.DataFrame) -> list[str]:
    """One plain Swedish sentence per KPI in ``trend``: the municipality against the county.

    In the latest year: "… 12,3 % i Järfälla 2024 mot 10,1 % i länet: sämre än länet
    (skillnaden, 2,2 procentenheter, är större än kommunens vanliga förändring från ett år till
    nästa, 0,4 procentenheter). Plats 6 av 8 kommuner (1 = bäst)." The verdict is the
    ``comparison`` code of :func:`fouanalys.keyfigures.kpi_comparisons` (the rule
    :func:`method_text` states). When the municipality's value that year is missing or
    protected the sentence says so, and gives its latest known value with its year. A count is
    followed over time, not compared; a rate per 1 000 is ranked, not compared (the county has
    none). A KPI without any value for the municipality says so.
    """
    out = []
    for _kpi, part in trend.groupby("kpi", sort=False):
        first = part.iloc[0]
        label = first["label"]
        where = part.loc[part["role"] == ROLE_MUNICIPALITY, "area_name"]
        where = where.iloc[0] if len(where) else "kommunen"
        own = role_values(part, ROLE_MUNICIPALITY).dropna()
        if own.empty:
            out.append(f"{label}: Kolada har inga värden för {where} i underlaget.")
            continue
        year = _latest_year(part)
        _value, text = _cell(part, ROLE_MUNICIPALITY, year)
        if not text:
            out.append(f"{label}: {_phrase(first, where, own, year, part)}")
            continue
        known = int(own.index.max())
        out.append(
            f"{label}: värdet för {where} {year} är {text}. Senast kända värde: "
            f"{_phrase(first, where, own, known, part)}"
        )
    return out


def brief_comparisons(trend: pd.DataFrame) -> list[str]:
    """The KPIs of ``trend`` that differ from the county, one short sentence each, for a
    summary: "Trångboddhet i flerbostadshus: sämre än länet, 24,3 % i Järfälla 2024 mot 20,5 %
    i länet."

    Only a KPI whose municipality row of the latest year with a value is called better or worse
    (:func:`fouanalys.keyfigures.kpi_comparisons`) gets one; its numbers and verdict are the
    ones :func:`comparison_sentences` prints in full, with the rule behind them.
    """
    out = []
    for _kpi, part in trend.groupby("kpi", sort=False):
        first = part.iloc[0]
        if first["unit"] in COUNT_UNITS or _is_rate(first["kpi"]):
            continue
        year = _latest_year(part)
        own = role_values(part, ROLE_MUNICIPALITY).dropna()
        row = _row_of(part, ROLE_MUNICIPALITY, year)
        county, county_text = _cell(part, ROLE_COUNTY, year)
        if year not in own.index or row is None or county_text:
            continue
        if row["comparison"] not in (BETTER, WORSE):
            continue
        unit, unit_label = first["unit"], first["unit_label"]
        out.append(
            f"{first['label']}: {COMPARISON_WORDS[row['comparison']]}, "
            f"{_with_unit(own[year], unit, unit_label)} i {row['area_name']} {year} mot "
            f"{_with_unit(county, unit, unit_label)} i länet."
        )
    return out


def _phrase(kpi: pd.Series, where: str, own: pd.Series, year: int, part: pd.DataFrame) -> str:
    """The municipality's value in ``year`` against the county's (for a count: against its own
    value five years earlier), ending with a full stop."""
    unit, unit_label = kpi["unit"], kpi["unit_label"]
    own_text = f"{_with_unit(own[year], unit, unit_label)} i {where} {year}"
    if unit in COUNT_UNITS:
        earlier = own.get(year - CHANGE_YEARS)
        since = (
            ""
            if earlier is None
            else f", mot {_with_unit(earlier, unit, unit_label)} år {year - CHANGE_YEARS}"
        )
        return f"{own_text}{since} (ett antal, som inte jämförs med länet)."
    row = _row_of(part, ROLE_MUNICIPALITY, year)
    place = ""
    if row is not None and place_text(row["rank"], row["ranked"], row["percentile"]) != (
        NOT_APPLICABLE
    ):
        place = (
            f" Plats {place_text(row['rank'], row['ranked'], row['percentile'])} kommuner "
            "(1 = bäst)."
        )
    if _is_rate(kpi["kpi"]):
        return f"{own_text} (länet har inget sådant värde att jämföra med).{place}"
    county, county_text = _cell(part, ROLE_COUNTY, year)
    if county_text or row is None or pd.isna(row["comparison"]):
        return f"{own_text}; länets värde {short_status(county_text or MISSING_TEXT)}.{place}"
    verdict = _verdict_text(row, unit, unit_label)
    return f"{own_text} mot {_with_unit(county, unit, unit_label)} i länet: {verdict}.{place}"


def regional_table(regional: pd.DataFrame) -> pd.DataFrame:
    """Display frame from :func:`regional_frame`: one row per KPI, one column per area.

    Columns: ``Nyckeltal`` (short label, the codebook's unit and, in brackets, the KPI's latest
    year; "*" when the codebook has a note on the unit), then one column per area named by it
    (the municipalities, the county, the country) with the value in Swedish print, or the short
    status ("skyddat", "saknas") in its place.
    """
    names = list(dict.fromkeys(regional["area_name"]))
    rows = []
    for _kpi, part in regional.groupby("kpi", sort=False):
        first = part.iloc[0]
        mark = "*" if first["note"] else ""
        unit = unit_text(first["unit_label"])
        row = {"Nyckeltal": f"{first['label']}, {unit}{mark} ({int(first['year'])})"}
        for r in part.itertuples(index=False):
            row[r.area_name] = short_status(r.status_text) or format_value(r.value, r.unit)
        rows.append(row)
    return pd.DataFrame(rows, columns=["Nyckeltal", *names])


def regional_sentences(regional: pd.DataFrame) -> list[str]:
    """One plain Swedish sentence per KPI of :func:`regional_frame`: which municipalities are
    worse and which better than the county in the latest year.

    The verdicts are the ``comparison`` codes of :func:`fouanalys.keyfigures.kpi_comparisons`
    (the rule :func:`method_text` states); a municipality "i nivå med länet" is not named, one
    whose difference cannot be judged is. Municipalities without a published value are named
    with their status. Counts are not compared (they depend on the size of the area) and get no
    sentence; nor does a KPI without a value for the county (such as a rate per 1 000).
    """
    out = []
    for _kpi, part in regional.groupby("kpi", sort=False):
        first = part.iloc[0]
        county = part.loc[part["role"] == ROLE_COUNTY, "value"].dropna()
        if first["unit"] in COUNT_UNITS or county.empty:
            continue
        county_value = float(county.iloc[0])
        groups: dict[str, list[str]] = {WORSE: [], BETTER: [], UNDETERMINED: []}
        unpublished: dict[str, list[str]] = {}
        for r in part.loc[part["role"] == ROLE_MEMBER].itertuples(index=False):
            if pd.isna(r.value):
                unpublished.setdefault(short_status(r.status_text), []).append(r.area_name)
                continue
            if not pd.isna(r.comparison):
                groups.setdefault(r.comparison, []).append(r.area_name)
        county_text = _with_unit(county_value, first["unit"], first["unit_label"])
        parts = [
            f"{COMPARISON_WORDS[code]} {'för' if code == UNDETERMINED else 'i'} {join_words(names)}"
            for code, names in groups.items()
            if names and code != SIMILAR
        ]
        if not parts:
            parts = ["alla kommuner med värden ligger i nivå med länet"]
        parts += [f"{status} för {join_words(names)}" for status, names in unpublished.items()]
        out.append(
            f"{first['label']} {int(first['year'])} (länet {county_text}): "
            + "; ".join(parts)
            + "."
        )
    return out


def method_text(frame: pd.DataFrame) -> str:
    """The comparison rule in plain Swedish, for a chapter's method text (Markdown).

    Says how "bättre" and "sämre" than the county are decided, with the settings of
    :mod:`fouanalys.keyfigures`, and how many municipalities a place is counted among in
    ``frame`` (a trend or regional frame: the most that any of its KPI-years is ranked among).
    """
    ranked = pd.to_numeric(frame["ranked"], errors="coerce") if "ranked" in frame else None
    most = int(ranked.max()) if ranked is not None and ranked.notna().any() else 0
    among = (
        f"bland de {number_word(most)} kommuner som underlaget har värden för"
        if most
        else "bland de kommuner som underlaget har värden för"
    )
    return (
        "**Så jämförs kommunen med länet.** Kolada anger inga felmarginaler, så en skillnad "
        "kan inte prövas statistiskt. En kommun kallas därför bättre eller sämre än länet bara "
        "när skillnaden är större än hur mycket kommunens eget värde brukar ändras från ett år "
        "till nästa: medianen av dess årliga förändringar de senaste "
        f"{number_word(VARIATION_YEARS)} åren. En mindre skillnad kallas i nivå med länet, "
        "eftersom den ryms inom ett vanligt års förändring. Med färre än "
        f"{number_word(MIN_VARIATION_CHANGES)} årliga förändringar att mäta med går skillnaden "
        "inte att bedöma. Om ett högt värde är bra eller dåligt följer nyckeltalet (en hög "
        "andel behöriga elever är bra, många anmälda brott dåligt). Kommunens plats räknas "
        f"{among} samma år; plats 1 är bäst och lika värden delar plats. Underlaget har bara "
        "FoU Nordvästs kommuner, inte landets alla, så platsen säger hur kommunen ligger bland "
        "dem. Antal jämförs inte, eftersom de beror på befolkningens storlek; placeringar av "
        "barn och unga visas också per 1 000 invånare 0–20 år, räknat ur befolkningstabellen, "
        "och rangordnas bland kommunerna."
    )
