"""The research behind each codebook factor: the packaged file loads and covers every factor RISE
has, it is what scripts/faktorforskning.py makes of RISE's spreadsheet, it is free of the
spreadsheet's copying artefacts, and a broken file is named by file, column, row and value."""

from __future__ import annotations

import csv
import importlib.util
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from fouanalys import research
from fouanalys.codebook import load_codebook
from fouanalys.exceptions import FactorResearchError

CB = load_codebook()
ROOT = Path(__file__).resolve().parents[1]
XLSX = Path("reference") / "rise_risk_protective_factors.xlsx"
SEVEN = {
    "impulsivitet",
    "kamrater_normbrott",
    "bristande_tillsyn",
    "skolmisslyckande",
    "narsamhalle_brister",
    "foraldrastod",
    "skolanknytning",
}


def _row(**changes) -> dict[str, str]:
    row = {
        "factor": "impulsivitet",
        "rise_faktor": "Impulsivitet",
        "riktning": "risk",
        "utfall": "kriminalitet",
        "referens": "Author, A. (2020). A study. Journal, 1(1), 1–10.",
    }
    return row | changes


def _write(path: Path, rows: list[dict[str, str]], columns=research.COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _script():
    spec = importlib.util.spec_from_file_location(
        "faktorforskning", ROOT / "scripts" / "faktorforskning.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    return research.load_factor_research(codebook=CB)


def test_the_shipped_file_covers_the_seven_factors_rise_has(shipped):
    assert list(shipped.columns) == list(research.COLUMNS)
    assert set(shipped["factor"]) == SEVEN
    factors = {i.id for i in CB.indices if i.kind != "outcome"}
    assert factors - SEVEN == set(research.UNMATCHED) == {"omradesanknytning", "valbefinnande"}
    kinds = {i.id: i.kind for i in CB.indices}
    assert (shipped["riktning"] == shipped["factor"].map(kinds).map(research.DIRECTION)).all()
    assert "RISE och Länsstyrelsen Stockholm" in research.SOURCE


def test_the_summary_says_omradesanknytning_is_not_in_rise(shipped):
    summary = research.factor_research_summary(shipped, CB)
    assert list(summary.columns) == research.SUMMARY_COLUMNS
    assert summary["factor"].tolist() == [i.id for i in CB.indices if i.kind != "outcome"]
    row = summary.set_index("factor").loc["omradesanknytning"]
    assert not row["in_rise"] and row["references"] == 0
    assert row["rise_factors"] == "" and row["outcomes"] == ""
    linked = summary.loc[summary["factor"].isin(SEVEN)].set_index("factor")
    assert linked["in_rise"].all()
    assert linked["references"].to_dict() == shipped["factor"].value_counts().to_dict()


def test_the_summary_counts_and_orders_by_hand():
    frame = pd.DataFrame(
        [
            _row(rise_faktor="Trotsighet", utfall="b; a", referens="R1"),
            _row(rise_faktor="Impulsivitet; Trotsighet", utfall="a", referens="R2"),
            _row(factor="foraldrastod", rise_faktor="Pappans engagemang", riktning="skydd"),
        ],
        columns=research.COLUMNS,
    )
    summary = research.factor_research_summary(frame, CB).set_index("factor")
    assert summary.loc["impulsivitet"].tolist() == [True, "Trotsighet; Impulsivitet", "a; b", 2]
    assert summary.loc["foraldrastod", "references"] == 1
    assert not summary.loc["skolanknytning", "in_rise"]


def test_the_same_reference_may_serve_two_factors(tmp_path):
    rows = [_row(), _row(factor="skolmisslyckande", rise_faktor="Låga skolprestationer")]
    frame = research.load_factor_research(_write(tmp_path / "f.csv", rows), CB)
    assert frame["factor"].tolist() == ["impulsivitet", "skolmisslyckande"]


def test_every_problem_is_named_by_file_column_row_and_value(tmp_path):
    rows = [
        _row(),
        _row(factor="okand_faktor", referens="R2"),
        _row(factor="kriminalitet", referens="R3"),
        _row(referens=" "),
        _row(referens="Author, A. (2020). A study. Journal, 1(1), 1–10. "),
        _row(factor="foraldrastod", riktning="risk", referens="R6"),
        _row(riktning="Riskfaktor", referens="R7"),
    ]
    with pytest.raises(FactorResearchError) as err:
        research.load_factor_research(_write(tmp_path / "forskning.csv", rows), CB)
    text = str(err.value)
    assert "forskning.csv, kolumn 'factor', rad 3: okänd faktor — värden: 'okand_faktor'" in text
    assert "kolumn 'factor', rad 4: okänd faktor — värden: 'kriminalitet'" in text
    assert "kolumn 'referens', rad 5: värde saknas" in text
    assert (
        "kolumn 'referens', rader 2, 6: samma referens två gånger för impulsivitet — värden: "
        "'Author, A. (2020). A study. Journal, 1(1), 1–10.'"
    ) in text
    assert "kolumn 'riktning', rad 7: motsäger kodboken — värden: 'risk' — förväntat: skydd" in text
    assert "kolumn 'riktning', rad 8: okänd riktning — värden: 'Riskfaktor'" in text
    assert "har 6 fel" in text


def test_a_missing_file_or_column_is_named(tmp_path):
    with pytest.raises(FactorResearchError, match="saknas: .*nowhere.csv"):
        research.load_factor_research(tmp_path / "nowhere.csv", CB)
    columns = [c for c in research.COLUMNS if c != "referens"]
    path = _write(tmp_path / "f.csv", [_row()], columns=columns)
    with pytest.raises(FactorResearchError, match="f.csv saknar kolumnerna referens"):
        research.load_factor_research(path, CB)


def test_the_shipped_file_is_the_scripts_output(shared_data, tmp_path):
    out = tmp_path / "faktorforskning.csv"
    _script().main([str(shared_data / XLSX), "--out", str(out)])
    assert out.read_bytes() == research.research_path().read_bytes()


def test_no_reference_carries_the_spreadsheets_artefacts(shipped):
    for column in research.COLUMNS:
        assert not shipped[column].str.contains("\u202f").any(), column
    assert not shipped["referens"].str.contains(r"https?://$").any()
    assert not shipped["referens"].str.contains(r"\s:").any()
    works = shipped["referens"].str.replace(r"\d+/?$", "", regex=True)
    assert not works.groupby(shipped["factor"]).apply(lambda w: w.duplicated().any()).any()
    # Sheet-wide: one version of each reference, whichever factor cites it.
    distinct = shipped.drop_duplicates("referens")
    stems = distinct["referens"].str.replace(r"\d+/?$", "", regex=True)
    assert not stems.duplicated().any()


def _sheet(shared_data: Path) -> list[dict[str, object]]:
    book = openpyxl.load_workbook(shared_data / XLSX, read_only=True)
    rows = list(book["RS-faktorer"].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_andershed_2019_is_one_reference_for_impulsivitet(shared_data, shipped):
    sheet = _sheet(shared_data)
    own = shipped.loc[shipped["factor"] == "impulsivitet"]
    names = {n.strip() for value in own["rise_faktor"] for n in value.split(";")}
    assert names == {"Impulsivitet", "Trotsighet", "Normbrytande beteende"}
    cited = [
        row[c]
        for row in sheet
        if row["Faktor"] in names
        for c in ("Source", "Source2", "Source3")
        if row[c] and row[c].startswith("Andershed, A.-K., & Andershed, H. (2019)")
    ]
    assert len(set(cited)) > 10  # the same report, its DiVA number counting up row by row
    numbers = [
        int(m[1])
        for row in sheet
        for c in ("Source", "Source2", "Source3")
        if row[c] and (m := re.search(r"oru:diva-(\d+)$", row[c]))
    ]
    andershed = own.loc[own["referens"].str.startswith("Andershed, A.-K., & Andershed, H. (2019)")]
    assert len(andershed) == 1
    assert andershed["referens"].iloc[0].endswith(f"oru:diva-{min(numbers)}")


def test_each_factor_has_one_row_per_work_rise_cites_for_it(shared_data, shipped):
    """Counted another way: a work is a reference's text before its URL."""
    sheet = _sheet(shared_data)
    for factor, own in shipped.groupby("factor"):
        names = {n.strip() for value in own["rise_faktor"] for n in value.split(";")}
        works = {
            re.split(r"\s+https?://", row[c].replace("\u202f", ""))[0].strip()
            for row in sheet
            if row["Faktor"] in names
            for c in ("Source", "Source2", "Source3")
            if row[c]
        }
        assert len(works) == len(own), factor
