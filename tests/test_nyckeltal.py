"""Kolada key figures (fouanalys.nyckeltal) on a small hand-made kolada table.

Expected values are read straight from the input rows with plain pandas selections, or written
out by hand (Swedish formatting, sentences); nothing is checked against the module's own output.
"""

from __future__ import annotations

import math

import nbformat
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from support import (
    insatser_frame,
    intervention,
    prepared,  # noqa: F401 (a fixture)
    run_chapter,
    synthetic_manifest,
)

from fouanalys import config, keyfigures
from fouanalys.chapters import nyckeltal as ny
from fouanalys.codebook import load_codebook
from fouanalys.exceptions import FouanalysError

CB = load_codebook()
KOMMUN, LAN, RIKET = "0123", "0001", "0000"
NNBSP = "\u202f"
YEARS = range(2019, 2025)
PRIVACY = CB.labels("kolada_statuses")["Privacy"]  # "skyddat (för få personer)"


def _row(kpi, area, year, value, status="", gender="T") -> dict:
    return {
        "kpi": kpi,
        "municipality_id": area,
        "year": year,
        "gender": gender,
        "value": value,
        "status": status,
    }


def kolada_rows() -> list[dict]:
    """The hand-made table (typed like the processed ``kolada``), by KPI:

    - N15428 (procent, higher is better): Järfälla 80 + (year − 2019), county 90, country 88,
      Ekerö 95; Järfälla 2022 protected. Girls' rows (K) carry other values.
    - N07403 (per 100 000, higher is worse): Järfälla 1 234,5 in 2024 (1 100 before), county
      1 000, Ekerö 800; Järfälla 2021 null without status, no Järfälla row for 2020.
    - U07417 (per 100 000, codebook note): Järfälla 2024 protected, 2023 = 4 000; county 4 500.
    - N33813 (antal): Järfälla 40 (2024) and 30 (2019); county 1 000.
    - N02904: county and country only (no Järfälla rows).
    - X99999: a KPI the codebook does not list.
    """
    rows = []
    for y in YEARS:
        rows += [
            _row("N15428", KOMMUN, y, 80.0 + (y - 2019)),
            _row("N15428", KOMMUN, y, 99.0, gender="K"),
            _row("N15428", LAN, y, 90.0),
            _row("N15428", RIKET, y, 88.0),
            _row("N15428", "0125", y, 95.0),
            _row("N07403", LAN, y, 1000.0),
            _row("N07403", RIKET, y, 950.0),
            _row("N07403", "0125", y, 800.0),
            _row("U07417", LAN, y, 4500.0),
            _row("U07417", RIKET, y, 4200.0),
            _row("U07417", KOMMUN, y, 4000.0),
            _row("N33813", LAN, y, 1000.0),
            _row("N33813", RIKET, y, 5000.0),
            _row("N02904", LAN, y, 9.6),
            _row("N02904", RIKET, y, 10.6),
            _row("X99999", KOMMUN, y, 1.0),
        ]
        if y not in (2020, 2021):
            rows.append(_row("N07403", KOMMUN, y, 1234.5 if y == 2024 else 1100.0))
    rows.append(_row("N07403", KOMMUN, 2021, None))  # null without a status: "saknas"
    rows += [_row("N33813", KOMMUN, 2019, 30.0), _row("N33813", KOMMUN, 2024, 40.0)]
    frame = pd.DataFrame(rows)
    protected = ((frame["kpi"] == "N15428") & (frame["year"] == 2022)) | (
        (frame["kpi"] == "U07417") & (frame["year"] == 2024)
    )
    protected &= (frame["municipality_id"] == KOMMUN) & (frame["gender"] == "T")
    frame.loc[protected, ["value", "status"]] = [None, "Privacy"]
    return frame


@pytest.fixture
def kolada() -> pd.DataFrame:
    frame = pd.DataFrame(kolada_rows())
    frame["year"] = frame["year"].astype("Int64")
    frame["value"] = frame["value"].astype("Float64")
    return frame


@pytest.fixture
def trend(kolada) -> pd.DataFrame:
    return keyfigures.kpi_trends(kolada, KOMMUN, CB)


def _panels(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.get_visible()]


def _panel(fig: Figure, label_start: str):
    return next(
        ax
        for ax in _panels(fig)
        if ax.get_title(loc="left").replace("\n", " ").startswith(label_start)
    )


def _lines(ax, gid: str) -> list:
    return [line for line in ax.get_lines() if line.get_gid() == gid]


# --- the trend frame --------------------------------------------------------------------------


def test_trend_frame_values_equal_the_input_rows(kolada, trend):
    direct = kolada.loc[
        (kolada["gender"] == "T")
        & kolada["municipality_id"].isin([KOMMUN, LAN, RIKET])
        & kolada["kpi"].isin([k.id for k in CB.kolada_kpis])
    ]
    merged = direct.merge(
        trend,
        left_on=["kpi", "municipality_id", "year"],
        right_on=["kpi", "area", "year"],
        how="left",
        suffixes=("_in", ""),
        validate="one_to_one",
    )
    assert len(merged) == len(direct) and merged["role"].notna().all()
    same = (merged["value_in"] == merged["value"]).fillna(False)
    both_null = merged["value_in"].isna() & merged["value"].isna()
    assert (same | both_null).all()
    assert (merged["status_in"] == merged["status"]).all()
    # every other row of the frame is a year an area has no row for: no value, no status
    keys = set(zip(direct["kpi"], direct["municipality_id"], direct["year"], strict=True))
    extra = trend.loc[
        [k not in keys for k in zip(trend["kpi"], trend["area"], trend["year"], strict=True)]
    ]
    assert extra["value"].isna().all() and (extra["status"] == "").all()
    # the girls' rows (K) never leak in
    assert not (trend["value"] == 99.0).any()


def test_trend_frame_has_codebook_order_roles_and_kolada_titles(trend):
    order = [k.id for k in CB.kolada_kpis]
    kpis = list(dict.fromkeys(trend["kpi"]))
    assert kpis == sorted(kpis, key=order.index)
    assert set(kpis) == {"N15428", "N07403", "U07417", "N33813", "N02904"}  # not X99999
    roles = trend.drop_duplicates("area").set_index("area")
    assert roles.loc[KOMMUN, ["role", "area_name"]].tolist() == ["kommunen", "Järfälla"]
    assert roles.loc[LAN, ["role", "area_name"]].tolist() == ["länet", "Stockholms län"]
    assert roles.loc[RIKET, ["role", "area_name"]].tolist() == ["riket", "Riket"]
    row = trend.loc[trend["kpi"] == "U07417"].iloc[0]
    assert row["title"] == "Anmälda stöld- och tillgreppsbrott, antal/1000 inv"
    assert row["unit_label"] == "antal per 100 000 invånare"
    assert "100 000" in row["note"]
    # every area has every year of its KPI, the municipality's absent rows included
    assert (trend.groupby(["kpi", "area"]).size() == len(YEARS)).all()


def test_statuses_read_as_the_codebook_labels(trend):
    def text(kpi, area, year):
        rows = trend.loc[(trend["kpi"] == kpi) & (trend["area"] == area) & (trend["year"] == year)]
        return rows["status_text"].item()

    assert PRIVACY == "skyddat (för få personer)"
    assert text("N15428", KOMMUN, 2022) == PRIVACY
    assert text("N07403", KOMMUN, 2021) == "saknas"  # null, no status
    assert text("N07403", KOMMUN, 2020) == "saknas"  # no row at all
    assert text("N07403", KOMMUN, 2019) == ""  # a value
    assert keyfigures.status_text(None, "Not applicable", CB) == "ej tillämpligt"
    assert keyfigures.status_text(None, "Okänd", CB) == "Okänd"
    assert keyfigures.status_text(3.0, "Privacy", CB) == ""


def test_trend_frame_rejects_a_non_municipality(kolada):
    with pytest.raises(FouanalysError, match="inte en av kodbokens kommuner"):
        keyfigures.kpi_trends(kolada, LAN, CB)


# --- the figure -------------------------------------------------------------------------------


def test_figure_has_one_panel_per_kpi_with_data_and_no_zero_for_missing(trend):
    fig = ny.kpi_trend_figure(trend)
    assert isinstance(fig, Figure)
    titles = [ax.get_title(loc="left").replace("\n", " ") for ax in _panels(fig)]
    assert titles == [CB.kolada_kpi(k).label for k in dict.fromkeys(trend["kpi"])]
    assert not any("X99999" in t for t in titles)

    ax = _panel(fig, "Elever i åk 9")
    (line,) = _lines(ax, "line-kommunen")
    x, y = line.get_xdata(), np.asarray(line.get_ydata(), dtype=float)
    assert list(x) == list(YEARS)
    assert math.isnan(y[list(YEARS).index(2022)])  # protected: a gap, not 0
    assert y[list(YEARS).index(2023)] == 84.0
    assert not (y == 0).any()
    assert len(_lines(ax, "line-länet")) == len(_lines(ax, "line-riket")) == 1
    assert "andel" in ax.get_ylabel()

    ax = _panel(fig, "Anmälda våldsbrott")
    y = np.asarray(_lines(ax, "line-kommunen")[0].get_ydata(), dtype=float)
    assert np.isnan(y[[1, 2]]).all() and not (y == 0).any()  # 2020 (no row), 2021 (null)


def test_figure_marks_protected_and_missing_years(trend):
    fig = ny.kpi_trend_figure(trend)
    expected = {
        "Elever i åk 9": {2022: "skyddat"},
        "Anmälda våldsbrott": {2020: "saknas", 2021: "saknas"},
        "Anmälda stöld": {2024: "skyddat"},
    }
    for start, years in expected.items():
        ax = _panel(fig, start)
        marks = _lines(ax, "status-mark")
        assert len(marks) == 1 and sorted(marks[0].get_xdata()) == sorted(years)
        texts = {
            round(t.get_position()[0]): t.get_text()
            for t in ax.texts
            if t.get_gid() == "status-text"
        }
        assert texts == years
    # the count KPI shows the municipality only, and its missing years are marked too
    ax = _panel(fig, "Barn och unga 0–20 år placerade på HVB")
    assert [line.get_gid() for line in ax.get_lines() if line.get_gid().startswith("line")] == [
        "line-kommunen"
    ]
    assert len(_lines(ax, "status-mark")[0].get_xdata()) == 4  # 2020–2023: no rows
    # a KPI without any value for the municipality says so instead of marking every year
    ax = _panel(fig, "Barn och unga 0–19 år")
    assert [t.get_gid() for t in ax.texts] == ["no-data"] and not _lines(ax, "status-mark")
    legend = fig.legends[0]
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[:3] == ["Järfälla", "Stockholms län", "Riket"]
    assert any("saknas eller är skyddat" in t for t in labels)


# --- the table and the sentences --------------------------------------------------------------


def test_trend_table_formats_swedish_and_shows_status_text(trend):
    table = ny.kpi_trend_table(trend).set_index("Nyckeltal (Koladas titel)")
    assert list(table.columns) == [
        "Enhet",
        "År",
        "Järfälla",
        "Stockholms län",
        "Riket",
        "Förändring på 5 år",
        "Plats bland kommunerna",
    ]
    behoriga = table.loc[CB.kolada_kpi("N15428").title]
    assert behoriga.tolist() == ["andel (%)", "2024", "85,0", "90,0", "88,0", "+5,0", "2 av 2"]
    vald = table.loc["Anmälda våldsbrott, antal/100 000 inv"]
    # 1 234,5 rounds half up to 1 235; thousands with a narrow no-break space
    assert vald["Järfälla"] == f"1{NNBSP}235" and vald["Stockholms län"] == f"1{NNBSP}000"
    assert vald["Förändring på 5 år"] == "+135"  # 1 234,5 − 1 100
    assert vald["Enhet"] == f"antal per 100{NNBSP}000 invånare"
    stold = table.loc["Anmälda stöld- och tillgreppsbrott, antal/1\u202f000 inv"]
    assert stold["Järfälla"] == PRIVACY and stold["Förändring på 5 år"] == "saknas"
    assert stold["Enhet"].endswith("*")  # the codebook's note on the unit
    hvb = table.loc[CB.kolada_kpi("N33813").title]
    assert hvb[["Järfälla", "Förändring på 5 år"]].tolist() == ["40", "+10"]
    # a KPI without values for the municipality: the latest year of the county's values
    assert table.loc[CB.kolada_kpi("N02904").title, "Järfälla"] == "saknas"


def test_sentences_say_when_there_are_too_few_years_to_judge(trend):
    """Järfälla has 3 year-to-year changes of N15428 (2022 protected) and 2 of N07403: fewer
    than MIN_VARIATION_CHANGES, so neither is called better nor worse."""
    sentences = dict(zip(dict.fromkeys(trend["kpi"]), ny.comparison_sentences(trend), strict=True))
    undetermined = (
        "kan inte bedömas (för få år med värden för att veta hur mycket kommunens värde brukar "
        "ändras)."
    )
    assert sentences["N15428"] == (
        "Elever i åk 9 behöriga till gymnasiets yrkesprogram: 85,0\u00a0% i Järfälla 2024 mot "
        f"90,0\u00a0% i länet: {undetermined} Plats 2 av 2 kommuner (1 = bäst)."
    )
    assert sentences["N07403"] == (
        f"Anmälda våldsbrott: 1{NNBSP}235 per 100{NNBSP}000 invånare i Järfälla 2024 mot "
        f"1{NNBSP}000 per 100{NNBSP}000 invånare i länet: {undetermined} Plats 2 av 2 "
        "kommuner (1 = bäst)."
    )
    assert sentences["U07417"].startswith(
        f"Anmälda stöld- och tillgreppsbrott: värdet för Järfälla 2024 är {PRIVACY}. "
        f"Senast kända värde: 4{NNBSP}000 per 100{NNBSP}000 invånare i Järfälla 2023 mot "
        f"4{NNBSP}500"
    )
    assert sentences["U07417"].endswith(f"i länet: {undetermined}")  # alone: no place
    assert sentences["N33813"] == (
        "Barn och unga 0–20 år placerade på HVB: 40 i Järfälla 2024, mot 30 år 2019 "
        "(ett antal, som inte jämförs med länet)."
    )
    assert sentences["N02904"] == (
        "Barn och unga 0–19 år i ekonomiskt utsatta hushåll: Kolada har inga värden för "
        "Järfälla i underlaget."
    )


def _series(kpi: str, own: list[float], county: float, first: int = 2015) -> pd.DataFrame:
    """Järfälla's values from ``first`` on, the county flat at ``county``."""
    rows = [_row(kpi, KOMMUN, first + i, v) for i, v in enumerate(own)]
    rows += [_row(kpi, LAN, first + i, county) for i in range(len(own))]
    return pd.DataFrame(rows)


#: Järfälla's N02797 moving by 0.3 each year (the usual change, by hand: 0.3), 5.1 in 2024.
ZIGZAG = [5.4, 5.1] * 5


@pytest.mark.parametrize(
    ("kpi", "own", "county", "verdict"),
    [
        # 5.1 against 4.9: 0.2 points, within the usual change of 0.3 (was "sämre" at 2 %)
        ("N02797", ZIGZAG, 4.9, "i nivå med länet"),
        ("N02797", ZIGZAG, 4.0, "sämre än länet"),  # 1.1 points: larger than 0.3
        ("N02797", ZIGZAG, 6.0, "bättre än länet"),  # higher is worse
        ("N15428", [v + 80 for v in ZIGZAG], 84.9, "i nivå med länet"),
        ("N15428", [v + 80 for v in ZIGZAG], 84.0, "bättre än länet"),  # higher is better
        ("N15428", [v + 80 for v in ZIGZAG], 86.5, "sämre än länet"),
    ],
)
def test_verdict_needs_more_than_the_usual_year_to_year_change(kpi, own, county, verdict):
    assert len(own) == 10 and own[-1] in (5.1, 85.1)
    frame = _series(kpi, own, county)
    (sentence,) = ny.comparison_sentences(keyfigures.kpi_trends(frame, KOMMUN, CB))
    assert f": {verdict} (skillnaden, " in sentence
    diff = abs(own[-1] - county)
    relation = "är större än" if verdict != "i nivå med länet" else "är inte större än"
    assert f"{relation} kommunens vanliga förändring från ett år till nästa, 0,3 " in sentence
    assert f"skillnaden, {f'{diff:.1f}'.replace('.', ',')} procentenheter" in sentence


@pytest.mark.parametrize(
    ("own", "county", "brief"),
    [
        (ZIGZAG, 4.9, None),  # in line with the county: no point in brief
        (ZIGZAG, 4.0, "sämre än länet, 5,1\u00a0% i Järfälla 2024 mot 4,0\u00a0% i länet."),
        (ZIGZAG, 6.0, "bättre än länet, 5,1\u00a0% i Järfälla 2024 mot 6,0\u00a0% i länet."),
    ],
)
def test_brief_comparisons_name_only_the_figures_that_differ(own, county, brief):
    frame = _series("N02797", own, county)
    out = ny.brief_comparisons(keyfigures.kpi_trends(frame, KOMMUN, CB))
    label = CB.kolada_kpi("N02797").label
    assert out == ([] if brief is None else [f"{label}: {brief}"])


def test_brief_comparisons_skip_counts_rates_and_undetermined(trend):
    # the hand-made table: N15428 and N07403 have too few changes, U07417's latest value is
    # protected, N33813 is a count, N02904 has no Järfälla value
    assert ny.brief_comparisons(trend) == []


def test_usual_variation_is_the_median_absolute_change_of_the_own_series():
    own = [10.0, 10.5, 9.5, 9.6, 11.6, 11.0, 11.2, 12.0, 11.0, 11.4]
    frame = _series("N02797", own, 9.0)
    frame.loc[(frame["municipality_id"] == KOMMUN) & (frame["year"] == 2019), "value"] = None
    row = keyfigures.kpi_comparisons(frame, CB).query("area == @KOMMUN and year == 2024").iloc[0]
    # by hand: consecutive pairs with both values (2018-2019 and 2019-2020 lost to the gap)
    values = dict(zip(range(2015, 2025), own, strict=True))
    del values[2019]
    changes = [
        abs(values[y] - values[y - 1]) for y in range(2016, 2025) if y - 1 in values and y in values
    ]
    assert int(row["changes"]) == len(changes) == 7
    assert row["typical_change"] == pytest.approx(float(np.median(changes)))
    assert row["difference"] == pytest.approx(11.4 - 9.0)
    assert row["comparison"] == "worse"  # 2.4 > median, higher is worse


def test_place_and_percentile_among_every_municipality_in_the_data():
    from scipy.stats import percentileofscore

    rng = np.random.default_rng(7)
    codes = [f"{c:04d}" for c in range(1401, 1431)]  # 30 municipality codes
    values = np.round(rng.uniform(2.0, 9.0, len(codes)), 1)
    values[3] = values[4]  # a tie
    rows = [
        _row(kpi, c, 2024, float(v))
        for c, v in zip(codes, values, strict=True)
        for kpi in ("N02797", "N15428")
    ]
    rows += [_row("N02797", LAN, 2024, 5.0), _row("N02797", RIKET, 2024, 5.5)]
    out = keyfigures.kpi_comparisons(pd.DataFrame(rows), CB)
    assert set(out["area"]) == set(codes)  # county and country are not ranked
    for kpi, higher_is_better in (("N02797", False), ("N15428", True)):
        part = out.loc[out["kpi"] == kpi].set_index("area")
        for i, code in enumerate(codes):
            others = np.delete(values, i)
            share_below = percentileofscore(others, values[i], kind="mean")
            expected = share_below if higher_is_better else 100 - share_below
            assert part.loc[code, "percentile"] == pytest.approx(expected)
            better = (others > values[i]) if higher_is_better else (others < values[i])
            assert part.loc[code, "rank"] == 1 + sum(better)
            assert part.loc[code, "ranked"] == 30
    assert ny.place_text(3, 30, 62.5) == "3 av 30, bättre än 63\u00a0%"  # half up
    assert ny.place_text(3, 8, 71.4) == "3 av 8" and ny.place_text(1, 1, None) == "ej tillämpligt"


def test_placements_per_1000_young_people_from_the_raw_example_tables():
    """The HVB and foster-home rates of the example against a computation straight from the
    raw CSV files with the csv module."""
    import csv

    raw = config.PROJ_ROOT / "data" / "raw" / "example"
    with open(raw / "befolkning.csv", encoding="utf-8") as f:
        pop_rows = list(csv.DictReader(f))
    with open(raw / "kolada.csv", encoding="utf-8") as f:
        kolada_rows_ = list(csv.DictReader(f))
    kolada = pd.read_csv(raw / "kolada.csv", dtype={"municipality_id": str, "status": str})
    befolkning = pd.read_csv(raw / "befolkning.csv", dtype={"kommunkod": str})
    rates = keyfigures.kpi_rates(kolada, befolkning, CB).set_index(
        ["kpi", "municipality_id", "year"]
    )
    checked = 0
    for kpi in ("N33812", "N33813"):
        for code in ("0123", "0183"):
            for year in (2018, 2024):
                young = sum(
                    int(r["antal"])
                    for r in pop_rows
                    if r["kommunkod"] == code and r["ar"] == str(year) and int(r["alder"]) <= 20
                )
                (count,) = [
                    float(r["value"])
                    for r in kolada_rows_
                    if r["kpi"] == kpi
                    and r["municipality_id"] == code
                    and r["year"] == str(year)
                    and r["gender"] == "T"
                ]
                got = rates.loc[(f"{kpi}_per1000", code, year), "value"]
                assert got == pytest.approx(1000 * count / young)
                checked += 1
    assert checked == 8
    assert not any(y < 2018 for _k, _c, y in rates.index)  # no population before 2018
    # the trend shows the rate after its count, in print with one decimal
    with_rates = keyfigures.with_rates(kolada, befolkning, CB)
    trend = keyfigures.kpi_trends(with_rates, "0123", CB)
    kpis = list(dict.fromkeys(trend["kpi"]))
    assert kpis.index("N33813_per1000") == kpis.index("N33813") + 1
    table = ny.kpi_trend_table(trend).set_index("Nyckeltal (Koladas titel)")
    hvb = table.loc[CB.kolada_kpi("N33813").rate.title]
    young = sum(
        int(r["antal"])
        for r in pop_rows
        if r["kommunkod"] == "0123" and r["ar"] == "2024" and int(r["alder"]) <= 20
    )
    (count,) = [
        float(r["value"])
        for r in kolada_rows_
        if r["kpi"] == "N33813"
        and r["municipality_id"] == "0123"
        and r["year"] == "2024"
        and r["gender"] == "T"
    ]
    from decimal import ROUND_HALF_UP, Decimal

    expected = Decimal(repr(1000 * count / young)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert hvb["Järfälla"] == str(expected).replace(".", ",")
    assert hvb["Enhet"] == "antal per 1\u202f000 invånare 0–20 år*"  # note: how it is computed


def test_rate_needs_every_age_of_the_band():
    befolkning = pd.DataFrame(
        [(KOMMUN, 2024, a, k, 100) for a in range(20) for k in ("Pojke", "Flicka")],
        columns=["kommunkod", "ar", "alder", "kon", "antal"],
    )  # ages 0-19 only: no 0-20 population
    frame = pd.DataFrame([_row("N33813", KOMMUN, 2024, 40.0)])
    assert keyfigures.kpi_rates(frame, befolkning, CB).empty
    full = pd.concat(
        [befolkning, pd.DataFrame([(KOMMUN, 2024, 20, "Pojke", 50)], columns=befolkning.columns)]
    )
    (rate,) = keyfigures.kpi_rates(frame, full, CB)["value"]
    assert rate == pytest.approx(1000 * 40 / (20 * 2 * 100 + 50))


def test_method_text_states_the_rule_and_how_many_are_ranked(kolada):
    text = ny.method_text(keyfigures.regional_frame(kolada, CB))
    assert "större än hur mycket kommunens eget värde brukar ändras från ett år till nästa" in text
    assert "medianen av dess årliga förändringar de senaste tio åren" in text
    assert "bland de två kommuner som underlaget har värden för" in text  # Järfälla and Ekerö
    assert "%" not in text  # no fixed relative tolerance any more


def test_kpis_outside_the_codebook_are_listed_not_drawn(kolada, trend):
    assert keyfigures.unknown_kpis(kolada, CB) == ["X99999"]
    assert ny.unknown_kpis_sentence(kolada, CB).startswith(
        "Kodboken beskriver inte nyckeltalet X99999 i kolada.csv, så det visas inte"
    )
    assert "X99999" not in set(trend["kpi"])
    absent = ny.absent_kpis_sentence(kolada, CB)
    for kpi in CB.kolada_kpis:
        assert (kpi.id in absent) == (kpi.id not in set(kolada["kpi"]))
    notes = ny.notes(trend, kolada, CB)
    assert len(notes) == 3  # U07417's unit note, the unknown KPI, the absent KPIs
    assert "antal/1\u202f000 inv" in notes[0]
    clean = kolada.loc[kolada["kpi"] != "X99999"]
    assert ny.unknown_kpis_sentence(clean, CB) == ""


def test_format_value_in_swedish_print():
    assert ny.format_value(88.66, "procent") == "88,7"
    assert ny.format_value(4436.6, "per_100000") == f"4{NNBSP}437"
    assert ny.format_value(18137.0, "antal") == f"18{NNBSP}137"
    assert ny.format_value(-1234.5, "per_1000", signed=True) == f"\u22121{NNBSP}234,5"
    assert ny.format_value(pd.NA, "procent") == "–"


# --- all municipalities -----------------------------------------------------------------------


def test_regional_frame_takes_each_kpis_latest_year_for_every_area(kolada):
    regional = keyfigures.regional_frame(kolada, CB)
    areas = list(CB.kolada_areas())
    for kpi, part in regional.groupby("kpi"):
        assert part["area"].tolist() == areas
        year = int(part["year"].iloc[0])
        direct = kolada.loc[(kolada["kpi"] == kpi) & (kolada["gender"] == "T")]
        assert year == int(direct.loc[direct["value"].notna(), "year"].max())
        latest = direct.loc[direct["year"] == year].set_index("municipality_id")["value"]
        got = part.set_index("area")["value"]
        for area in areas:
            if area in latest.index and pd.notna(latest[area]):
                assert got[area] == latest[area]
            else:
                assert pd.isna(got[area])
    u = regional.loc[regional["kpi"] == "U07417"].set_index("area")
    assert u.loc[KOMMUN, "status_text"] == PRIVACY and u.loc["0114", "status_text"] == "saknas"
    assert u.loc[LAN, "role"] == "länet" and u.loc["0114", "role"] == "kommun"


def test_regional_table_and_sentences(kolada):
    regional = keyfigures.regional_frame(kolada, CB)
    table = ny.regional_table(regional).set_index("Nyckeltal")
    names = list(CB.kolada_areas().values())
    assert list(table.columns) == names
    row = table.loc[f"Anmälda stöld- och tillgreppsbrott, antal per 100{NNBSP}000 invånare* (2024)"]
    assert row["Järfälla"] == "skyddat" and row["Ekerö"] == "saknas"
    assert row["Stockholms län"] == f"4{NNBSP}500"
    vald = table.loc[f"Anmälda våldsbrott, antal per 100{NNBSP}000 invånare (2024)"]
    assert vald[["Järfälla", "Ekerö", "Riket"]].tolist() == [f"1{NNBSP}235", "800", "950"]
    sentences = {s.split(" 2024")[0]: s for s in ny.regional_sentences(regional)}
    assert sentences["Anmälda våldsbrott"].startswith(
        f"Anmälda våldsbrott 2024 (länet 1{NNBSP}000 per 100{NNBSP}000 invånare): "
        "bättre än länet i Ekerö; kan inte bedömas för Järfälla; saknas för Upplands Väsby"
    )
    assert sentences["Elever i åk 9 behöriga till gymnasiets yrkesprogram"].startswith(
        "Elever i åk 9 behöriga till gymnasiets yrkesprogram 2024 (länet 90,0\u00a0%): "
        "bättre än länet i Ekerö; kan inte bedömas för Järfälla;"
    )
    assert not any(s.startswith("Barn och unga 0–20 år placerade") for s in sentences)  # count


def test_regional_figure(kolada):
    regional = keyfigures.regional_frame(kolada, CB)
    fig = ny.regional_figure(regional, highlight=KOMMUN)
    panels = _panels(fig)
    assert len(panels) == regional["kpi"].nunique()
    ax = _panel(fig, "Anmälda våldsbrott")
    dots = _lines(ax, "dot")
    assert sorted(d.get_xdata()[0] for d in dots) == [800.0, 1234.5]
    strong = [d for d in dots if d.get_color() == "#0173b2"]
    assert [d.get_xdata()[0] for d in strong] == [1234.5]  # the highlighted municipality
    assert _lines(ax, "county")[0].get_xdata()[0] == 1000.0
    assert _lines(ax, "country")[0].get_xdata()[0] == 950.0
    texts = [t.get_text() for t in ax.texts if t.get_gid() == "status-text"]
    assert texts == ["saknas"] * 6  # the six municipalities without rows
    ax = _panel(fig, "Anmälda stöld")
    texts = [t.get_text() for t in ax.texts if t.get_gid() == "status-text"]
    assert texts.count("skyddat") == 1
    ax = _panel(fig, "Barn och unga 0–20 år placerade på HVB")
    assert not _lines(ax, "county") and not _lines(ax, "country")  # counts are not compared
    labels = [t.get_text() for t in panels[0].get_yticklabels()]
    assert labels == [m.name for m in CB.municipalities]
    bold = [t.get_text() for t in panels[0].get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == ["Järfälla"]


# --- the chapter ------------------------------------------------------------------------------


@pytest.mark.slow
def test_chapter_01_says_how_to_fetch_kolada_when_it_is_absent(tmp_path):
    """Chapter 01 on a processed folder without kolada: one plain sentence, no Kolada figure."""
    from fouanalys.ingest.processing import write_tables
    from fouanalys.prevalence import PREVALENCE_COLUMNS
    from fouanalys.response import response_table, unserious

    enkat = pd.DataFrame(
        {
            "ar": pd.array([2024] * 12, dtype="Int64"),
            "kommunkod": [KOMMUN] * 12,
            "arskurs": ["Åk 9"] * 6 + ["Gy 2"] * 6,
            "kon": ["Pojke", "Flicka"] * 6,
        }
    )
    befolkning = pd.DataFrame(
        [(KOMMUN, 2024, a, k, 900) for a in range(26) for k in ("Pojke", "Flicka")],
        columns=["kommunkod", "ar", "alder", "kon", "antal"],
    ).astype({"ar": "Int64", "alder": "Int64", "antal": "Int64"})
    insatser = insatser_frame([intervention("Familjecentral")])
    frames = {
        "enkat": enkat,
        "insatser": insatser,
        "befolkning": befolkning,
        "response": response_table(enkat, unserious(enkat, CB), CB),
        "prevalence": pd.DataFrame(columns=PREVALENCE_COLUMNS),  # no item, so no index
    }
    write_tables(frames, tmp_path / "processed", synthetic_manifest(CB))
    run = run_chapter(
        config.NOTEBOOKS_DIR / "01_underlag.ipynb",
        tmp_path / "01.ipynb",
        municipality=KOMMUN,
        processed_dir=str(tmp_path / "processed"),
    )
    assert ny.NO_KOLADA_TEXT in run.text
    assert "fouanalys fetch kolada --data-dir" in ny.NO_KOLADA_TEXT
    assert run.figures == 3  # respondents, inventory, population: no Kolada figure
    cell = next(c for c in run.notebook.cells if c.get("id") == "kolada-02")
    assert [o.output_type for o in cell.outputs] == ["display_data"]


def test_chapters_show_the_kolada_section_and_declare_the_table():
    from fouanalys.chapters.registry import chapter

    # the municipality's, the county's and the country's rows; its places made in processing
    assert chapter("01_underlag").reads["kolada"] == "own"
    assert chapter("01_underlag").reads["kolada_places"] == "rows"
    for name, heading in (
        ("01_underlag", "## Kommunens sammanhang: nyckeltal från Kolada"),
        ("06_region", "## Nyckeltal från Kolada"),
    ):
        nb = nbformat.read(config.NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
        sources = [c.source for c in nb.cells]
        at = next(i for i, s in enumerate(sources) if s.startswith(heading))
        code = nb.cells[at + 1]
        assert code.cell_type == "code" and not code.outputs
        assert "nyckeltal.NO_KOLADA_TEXT" in code.source and "source_caption" in code.source
        assert "def " not in code.source
    nb = nbformat.read(config.NOTEBOOKS_DIR / "06_region.ipynb", as_version=4)
    headings = [c.source.split("\n")[0] for c in nb.cells if c.cell_type == "markdown"]
    assert headings.index("## Nyckeltal från Kolada") + 1 == headings.index(
        "## Metod och förbehåll"
    )


def test_a_municipalitys_own_kolada_rows_and_places_give_the_whole_tables_trends(
    prepared,  # noqa: F811 (the fixture)
):
    """Chapter 01 reads the municipality's, the county's and the country's Kolada rows, its
    own population and its rows of the processed places; its trends, places and comparisons
    are those computed from the whole tables, for every municipality."""
    from fouanalys.ingest.processing import load_table

    _, processed = prepared
    kolada = keyfigures.with_rates(
        load_table("kolada", processed), load_table("befolkning", processed), CB
    )
    for code in CB.municipality_codes:
        whole = keyfigures.kpi_trends(kolada, code, CB)
        assert whole["rank"].notna().any()
        own = keyfigures.with_rates(
            load_table("kolada", processed, municipality=code, reference=True),
            load_table("befolkning", processed, municipality=code),
            CB,
        )
        places = load_table("kolada_places", processed, municipality=code)
        got = keyfigures.kpi_trends(own, code, CB, places=places)
        pd.testing.assert_frame_equal(got, whole)
