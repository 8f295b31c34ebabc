"""The mapping round trip: the template workbook, a filled-in return, and the new round."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from fouanalys.cli import main
from fouanalys.codebook import load_codebook
from fouanalys.config import EXAMPLE_DATA_DIR
from fouanalys.exceptions import FouanalysError, MappingReturnError
from fouanalys.ingest.mapping.columns import sheet_columns
from fouanalys.ingest.mapping.normalisation import normalise
from fouanalys.ingest.mapping.returns import import_returns, read_return
from fouanalys.ingest.mapping.template import write_template
from fouanalys.ingest.readers import read_raw, to_typed

CB = load_codebook()
HEADINGS = [
    "Insats", "Huvudman", "Nivå", "Inriktning", "Ålder från", "Ålder till",
    "Risk- och skyddsfaktorer", "Push- och pullfaktorer", "Kunskapsläge", "Metod",
    "Deltagare per år", "Samverkan", "Status", "Kommentar", "Skriftliga mål",
    "Långsiktig finansiering", "Ansvarig organisation", "Uppföljning av räckvidd",
    "Uppföljning av resultat",
]  # fmt: skip
LEVEL_LABELS = {"förebygga": "Förebygga", "förhindra": "Förhindra", "riskreducera": "Riskreducera"}


# --- helpers ----------------------------------------------------------------------------------


@pytest.fixture
def data(tmp_path) -> Path:
    """A copy of the example data folder without its later mapping rounds: each municipality
    starts from its rows in insatser.csv."""
    folder = tmp_path / "data"
    shutil.copytree(EXAMPLE_DATA_DIR, folder, ignore=shutil.ignore_patterns("kartlaggning"))
    return folder


@pytest.fixture
def template(data, tmp_path) -> Path:
    """Upplands Väsby's template, prefilled from the example's insatser.csv."""
    return write_template("0114", tmp_path / "mall_0114.xlsx", data_dir=data).path


def example_rows(code: str) -> pd.DataFrame:
    """The municipality's rows of the example insatser.csv, read with plain pandas."""
    frame = pd.read_csv(
        EXAMPLE_DATA_DIR / "insatser.csv",
        sep=";",
        encoding="cp1252",
        dtype=str,
        keep_default_na=False,
    )
    return frame.loc[frame["kommunkod"] == code].reset_index(drop=True)


def hashes(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its sha256."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def heads(sheet) -> dict[str, int]:
    """Heading → column number on row 1."""
    return {cell.value: cell.column for cell in sheet[1] if cell.value}


def filled_rows(sheet) -> list[tuple]:
    """The sheet's data rows up to the first blank one."""
    rows = []
    for row in sheet.iter_rows(min_row=2, values_only=True):
        if all(v is None for v in row):
            break
        rows.append(row)
    return rows


def row_of(sheet, name: str) -> int:
    """The Excel row holding intervention ``name``."""
    return next(c.row for c in sheet["A"] if c.value == name)


def edited(src: Path, dst: Path, edit) -> Path:
    """Save a copy of workbook ``src`` at ``dst`` after ``edit(book, sheet, heads)``, as a
    person editing it in Excel would."""
    book = openpyxl.load_workbook(src)
    sheet = book["Insatser"]
    edit(book, sheet, heads(sheet))
    book.save(dst)
    return dst


def run_import(capsys, *args) -> tuple[int, str, str]:
    code = main(["mapping", "import", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


# --- the template -----------------------------------------------------------------------------


def test_template_sheets_headings_and_prefilled_rows(template):
    book = openpyxl.load_workbook(template)
    assert book.sheetnames == ["Instruktioner", "Insatser", "Listor"]
    sheet = book["Insatser"]
    assert [c.value for c in sheet[1]] == HEADINGS
    assert [c.heading for c in sheet_columns(CB)] == HEADINGS
    expected = example_rows("0114")
    rows = filled_rows(sheet)
    assert len(rows) == len(expected) == 24
    assert [r[0] for r in rows] == expected["insats"].tolist()
    assert [r[2] for r in rows] == [LEVEL_LABELS[v] for v in expected["niva"]]
    assert [r[10] for r in rows] == [int(v) if v else None for v in expected["deltagare_per_ar"]]
    answers = {"ja": "Ja", "delvis": "Delvis", "nej": "Nej", "vet ej": "Vet ej", "": None}
    quality = tuple(answers[expected.at[0, q]] for q in CB.ids("quality_questions"))
    assert rows[0] == (
        "Familjecentral", "Socialtjänst", "Förebygga", "Universell", 0, 5,
        "Stöd och värme från föräldrar; Bristande föräldratillsyn och inkonsekvent föräldraskap",
        None, "Kunskapsbaserad", None, None, "Barnhälsovård (BVC); Förskola", "Pågående",
        "Startade efter kartläggning av lägesbilden.", *quality,
    )  # fmt: skip
    assert any(quality)  # the example answers the quality questions
    triple_p = rows[expected.index[expected["insats"].str.startswith("Triple P")][0]]
    assert triple_p[9] == "Föräldraskapsstöd (föräldraprogram)"
    assert triple_p[10] == 102


def test_template_lists_validations_and_municipality_code(template):
    book = openpyxl.load_workbook(template)
    sheet, lists = book["Insatser"], book["Listor"]
    assert lists.sheet_state == "hidden" and lists.protection.sheet
    assert sheet.freeze_panes == "B2"
    assert sheet["A1"].alignment.wrap_text and sheet["A1"].font.bold
    assert sheet.column_dimensions["A"].width >= 30
    assert lists["B2"].value == "0114" and lists["A2"].value == "Kommunkod"
    assert lists["B4"].value == "1"
    assert list(book.defined_names["fouanalys_kommunkod"].destinations) == [("Listor", "$B$2")]

    rules = {}
    for rule in sheet.data_validations.dataValidation:
        for cell_range in rule.sqref.ranges:
            rules[sheet.cell(1, cell_range.min_col).value] = (rule, cell_range)
    assert set(rules) == set(HEADINGS)
    last = 1 + 24 + 500
    assert all(r.min_row == 2 and r.max_row == last for _rule, r in rules.values())

    def listed(heading: str) -> list[str]:
        rule = rules[heading][0]
        assert rule.type == "list" and rule.formula1.startswith("Listor!$")
        cells = lists[rule.formula1.split("!")[1].replace("$", "")]
        return [row[0].value for row in cells]

    assert listed("Nivå") == ["Förebygga", "Förhindra", "Riskreducera"]
    assert listed("Status") == ["Pågående", "Planerad", "Avslutad"]
    assert listed("Skriftliga mål") == ["Ja", "Delvis", "Nej", "Vet ej"]
    assert "Socialtjänst" in listed("Huvudman") and len(listed("Huvudman")) == 14
    assert "Föräldraskapsstöd (föräldraprogram)" in listed("Metod")
    for heading in ("Inriktning", "Kunskapsläge", "Långsiktig finansiering"):
        assert rules[heading][0].type == "list" and rules[heading][0].errorStyle == "stop"
    ages = rules["Ålder från"][0]
    assert (ages.type, ages.operator, ages.formula1, ages.formula2) == (
        "whole",
        "between",
        "0",
        "25",
    )
    assert ages.errorStyle == "warning"
    participants = rules["Deltagare per år"][0]
    assert (participants.type, participants.operator, participants.formula1) == (
        "whole",
        "greaterThanOrEqual",
        "0",
    )
    assert participants.errorStyle == "warning"
    for heading in ("Risk- och skyddsfaktorer", "Push- och pullfaktorer", "Samverkan"):
        rule = rules[heading][0]
        assert rule.type is None and rule.showInputMessage
        assert "semikolon" in rule.prompt and "Instruktioner" in rule.prompt
    assert all(len(r.prompt) <= 255 and len(r.promptTitle) <= 32 for r, _ in rules.values())


def test_instructions_name_the_municipality_round_and_values(template, data, tmp_path):
    text = "\n".join(
        str(v)
        for row in openpyxl.load_workbook(template)["Instruktioner"].iter_rows(values_only=True)
        for v in row
        if v
    )
    for expected in (
        "Upplands Väsby",
        "0114",
        "den första kartläggningen",
        "En rad är en insats",
        "inte finns längre",
        "semikolon",
        "Social prevention innan problem uppstår",  # a level's description
        "Grupper med förhöjd risk",  # a targeting's description
        "Högstadium",  # a life stage
        "Evidensbaserad",
        "Barnhälsovård (BVC)",
        "Har insatsen skriftliga mål?",
        "ja, delvis, nej eller vet ej",
        "Syntetiska exempeldata",  # the copied example is synthetic
    ):
        assert expected in text, expected


def test_template_refuses_to_overwrite_and_bad_arguments(template, data, tmp_path, capsys):
    before = template.read_bytes()
    args = ["mapping", "template", "-m", "0114", "--out", str(template), "--data-dir", str(data)]
    assert main(args) == 1
    assert "finns redan" in capsys.readouterr().err
    assert template.read_bytes() == before
    assert main([*args, "--force"]) == 0
    assert "Mall för Upplands Väsby (0114) med 24 insatser" in capsys.readouterr().out
    for bad in (
        ["mapping", "template", "--out", str(tmp_path / "x.xlsx")],
        ["mapping", "template", "-m", "0114", "--out", str(tmp_path / "x.csv")],
        ["mapping", "import"],
    ):
        with pytest.raises(SystemExit) as exc:
            main(bad)
        assert exc.value.code == 2
    assert main(["mapping", "template", "-m", "Atlantis", "--out", str(tmp_path / "a.xlsx")]) == 1
    assert "Okänd kommun 'Atlantis'" in capsys.readouterr().err
    into_data = ["mapping", "template", "-m", "0114", "--out", str(data / "mall.xlsx")]
    assert main([*into_data, "--data-dir", str(data)]) == 1
    assert "Skriv inte mallen i datamappen" in capsys.readouterr().err
    assert not (data / "mall.xlsx").exists()


# --- the round trip ---------------------------------------------------------------------------


def fill_in(book, sheet, h):
    """What a municipality does: change one row, delete one, add one as people type it."""
    first = row_of(sheet, "Familjecentral")
    sheet.cell(first, h["Nivå"]).value = "Förhindra"
    sheet.cell(first, h["Deltagare per år"]).value = 55
    sheet.delete_rows(row_of(sheet, "De otroliga åren"))
    new = len(filled_rows(sheet)) + 2
    typed = {
        "Insats": "Ny mötesplats",
        "Huvudman": "Fritid",
        "Nivå": "Förebygga",
        "Inriktning": "Universell",
        "Ålder från": "13-15 år",
        "Risk- och skyddsfaktorer": "Positivt skolklimat",
        "Kunskapsläge": "Lovande",
        "Deltagare per år": "ca 40",
        "Samverkan": "Skola; polis",
        "Status": "Pågående",
        "Skriftliga mål": "vet inte",
    }
    for heading, value in typed.items():
        sheet.cell(new, h[heading]).value = value
    sheet.cell(1, 25).value = "Kontaktperson"
    sheet.cell(new, 25).value = "Anna Andersson"


def test_round_trip(template, data, tmp_path, capsys):
    original = to_typed(read_raw(data / "insatser.csv", "insatser", CB), "insatser", CB)
    before = hashes(data)
    returned = edited(template, tmp_path / "retur_0114.xlsx", fill_in)
    code, out, err = run_import(capsys, returned, "--data-dir", data)
    assert code == 0, err
    today = date.today().isoformat()
    round_csv = data / "kartlaggning" / "0114" / f"{today}.csv"
    assert f"Ny kartläggningsomgång: {round_csv}" in out
    assert "retur_0114.xlsx: Upplands Väsby (0114), 24 rader lästa." in out
    assert "'13-15 år' → 13 och 15" in out and "'ca 40' → 40" in out
    assert "'vet inte' → 'Vet ej'" in out
    assert "'Kontaktperson' finns inte i mallen och lästes inte" in out

    after = hashes(data)
    assert {k: v for k, v in after.items() if k in before} == before  # nothing overwritten
    assert set(after) - set(before) == {
        f"kartlaggning/0114/{today}.csv",
        f"kartlaggning/0114/{today}.json",
    }

    typed = to_typed(read_raw(round_csv, "insatser", CB), "insatser", CB)
    assert len(typed) == 24 and set(typed["kommunkod"]) == {"0114"}
    assert "De otroliga åren" not in set(typed["insats"])
    first = typed.loc[typed["insats"] == "Familjecentral"].iloc[0]
    assert (first["niva"], first["deltagare_per_ar"]) == ("förhindra", 55)
    new = typed.loc[typed["insats"] == "Ny mötesplats"].iloc[0]
    assert (new["alder_fran"], new["alder_till"], new["deltagare_per_ar"]) == (13, 15, 40)
    assert (new["niva"], new["huvudman"], new["samverkan"]) == (
        "förebygga",
        "fritid",
        "skola;polis",
    )
    assert (new["faktorer"], new["skriftliga_mal"]) == ("skolanknytning", "vet ej")
    unchanged = original.loc[
        (original["kommunkod"] == "0114")
        & ~original["insats"].isin(["Familjecentral", "De otroliga åren"])
    ]
    kept = typed.loc[typed["insats"].isin(unchanged["insats"])]
    pd.testing.assert_frame_equal(kept.reset_index(drop=True), unchanged.reset_index(drop=True))
    # The round reads back to the frame the workbook was typed to.
    pd.testing.assert_frame_equal(typed, read_return(returned, CB).typed)

    sidecar = json.loads((data / "kartlaggning" / "0114" / f"{today}.json").read_text("utf-8"))
    assert sidecar["source_file"] == "retur_0114.xlsx"
    assert sidecar["source_sha256"] == hashlib.sha256(returned.read_bytes()).hexdigest()
    assert sidecar["rows"] == 24 and sidecar["previous_round"] == "insatser"
    assert datetime.fromisoformat(sidecar["imported_at"]).date() == date.today()
    assert any("'ca 40' → 40" in n for n in sidecar["normalisations"])

    # A second return the same day is a second round; the first stays as it was.
    again = edited(
        returned,
        tmp_path / "retur_0114_b.xlsx",
        lambda _b, s, h: setattr(s.cell(2, h["Kommentar"]), "value", "Utökad hösten 2026."),
    )
    first_round = round_csv.read_bytes()
    code, out, err = run_import(capsys, again, "--data-dir", data)
    assert code == 0, err
    second = data / "kartlaggning" / "0114" / f"{today}-2.csv"
    assert second.is_file() and round_csv.read_bytes() == first_round
    assert (
        "mallen förifylldes från den första kartläggningen, men kommunens senaste omgång "
        f"före denna är {today}." in out
    )
    code, out, err = run_import(capsys, again, "--data-dir", data)  # the same return again
    assert code == 0, err
    assert f"Oförändrad sedan senaste omgången ({today}-2)" in out and "förifylldes" not in out
    assert "Utökad hösten 2026." in set(
        to_typed(read_raw(second, "insatser", CB), "insatser", CB)["kommentar"]
    )

    # A template made now is prefilled from that round; returned unchanged, nothing is stored.
    fresh = write_template("Upplands Väsby", tmp_path / "mall_ny.xlsx", data_dir=data).path
    words = [
        v
        for row in openpyxl.load_workbook(fresh)["Instruktioner"].iter_rows(values_only=True)
        for v in row
        if v
    ]
    assert f"kommunens kartläggning {today}-2." in words
    stored = hashes(data)
    code, out, err = run_import(capsys, fresh, "--data-dir", data)
    assert code == 0, err
    assert f"Oförändrad sedan senaste omgången ({today}-2); ingenting sparades." in out
    assert hashes(data) == stored
    assert (
        data.joinpath("insatser.csv").read_bytes()
        == EXAMPLE_DATA_DIR.joinpath("insatser.csv").read_bytes()
    )


def test_unchanged_template_stores_nothing(template, data, capsys):
    before = hashes(data)
    code, out, _err = run_import(capsys, template, "--data-dir", data)
    assert code == 0
    assert "Oförändrad sedan senaste omgången (den första kartläggningen)" in out
    assert hashes(data) == before and not (data / "kartlaggning").exists()


def test_import_refuses_the_repositorys_example_folder(template):
    before = hashes(EXAMPLE_DATA_DIR)
    with pytest.raises(FouanalysError, match="exempelmapp"):
        import_returns([template], data_dir=EXAMPLE_DATA_DIR)
    assert hashes(EXAMPLE_DATA_DIR) == before


# --- bad returns ------------------------------------------------------------------------------


def _set(row: int, heading: str, value):
    def edit(_book, sheet, h):
        sheet.cell(row, h[heading]).value = value

    return edit


def _ages(row: int, first, last):
    def edit(_book, sheet, h):
        sheet.cell(row, h["Ålder från"]).value = first
        sheet.cell(row, h["Ålder till"]).value = last

    return edit


BAD_RETURNS = {
    "renamed sheet": (
        lambda _b, sheet, _h: setattr(sheet, "title", "Blad1"),
        ["retur.xlsx: Bladet 'Insatser' saknas", "'Instruktioner', 'Blad1', 'Listor'"],
    ),
    "merged cells": (
        lambda _b, sheet, _h: sheet.merge_cells("C5:C7"),
        ["retur.xlsx, blad 'Insatser', kolumn C 'Nivå', rader 5, 6, 7", "(C5:C7)"],
    ),
    "misspelled level": (
        _set(3, "Nivå", "Förebyga"),
        [
            "retur.xlsx, blad 'Insatser', kolumn C 'Nivå', rad 3",
            "'Förebyga' → 'Förebygga'",
            "Förebygga, Förhindra, Riskreducera",
        ],
    ),
    "ages reversed": (
        _ages(4, 15, 13),
        [
            "retur.xlsx, blad 'Insatser', kolumn E 'Ålder från', rad 4",
            "'Ålder från' är större än 'Ålder till'",
            "'Ålder från=15 > Ålder till=13'",
        ],
    ),
    "no name": (
        _set(6, "Insats", None),
        ["retur.xlsx, blad 'Insatser', kolumn A 'Insats', rad 6", "inget namn på insatsen"],
    ),
    "participant range": (
        _set(7, "Deltagare per år", "30-40"),
        [
            "retur.xlsx, blad 'Insatser', kolumn K 'Deltagare per år', rad 7",
            "Ett intervall är inget antal",
            "'30-40'",
        ],
    ),
    "age range contradicted": (
        _ages(8, "13-15", 17),
        ["kolumn E 'Ålder från', rad 8", "'13-15'", "'Ålder till' säger '17'"],
    ),
    "approximate age": (
        _set(9, "Ålder till", "ca 13"),
        ["kolumn F 'Ålder till', rad 9", "En ungefärlig ålder", "'ca 13'"],
    ),
    "a date from Excel": (
        _set(10, "Ålder från", datetime(2026, 5, 3)),
        ["kolumn E 'Ålder från', rad 10", "till ett datum", "'2026-05-03'"],
    ),
    "free text": (
        _set(11, "Deltagare per år", "många"),
        ["kolumn K 'Deltagare per år', rad 11", "Värdet är inte ett heltal", "'många'"],
    ),
    "a name twice": (
        _set(3, "Insats", "Familjecentral"),
        ["kolumn A 'Insats', rader 2, 3", "Samma insats står på flera rader", "'Familjecentral'"],
    ),
    "a heading changed": (
        lambda _b, sheet, h: setattr(sheet.cell(1, h["Nivå"]), "value", "Preventionsnivå"),
        ["retur.xlsx, blad 'Insatser', kolumn 'Nivå', rad 1: Kolumnen 'Nivå' saknas"],
    ),
    "every row deleted": (
        lambda _b, sheet, _h: sheet.delete_rows(2, 100),
        ["retur.xlsx, blad 'Insatser': Bladet har inga ifyllda rader"],
    ),
    "no municipality code": (
        lambda book, _s, _h: (book.remove(book["Listor"]), book.defined_names.clear()),
        ["retur.xlsx: Arbetsboken saknar kommunkod"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_RETURNS))
def test_bad_return_is_refused_naming_workbook_sheet_row(case, template, data, tmp_path, capsys):
    edit, expected = BAD_RETURNS[case]
    returned = edited(template, tmp_path / "retur.xlsx", edit)
    before = hashes(data)
    code, _out, err = run_import(capsys, returned, "--data-dir", data)
    assert code == 1
    assert "Traceback" not in err and "ingenting har sparats" in err
    for text in expected:
        assert text in err, f"{text!r} not in {err}"
    assert hashes(data) == before


def test_a_file_that_is_not_a_workbook(data, tmp_path, capsys):
    fake = tmp_path / "retur.xlsx"
    fake.write_text("kommunkod;insats\n0114;Familjecentral\n", encoding="utf-8")
    before = hashes(data)
    code, _out, err = run_import(capsys, fake, "--data-dir", data)
    assert code == 1 and "Traceback" not in err
    assert "retur.xlsx: Filen heter .xlsx men går inte att läsa som en Excel-arbetsbok" in err
    assert hashes(data) == before


def test_every_problem_of_every_workbook_is_listed_at_once(template, data, tmp_path, capsys):
    other = write_template("0123", tmp_path / "mall_0123.xlsx", data_dir=data).path
    first = edited(
        template,
        tmp_path / "a.xlsx",
        lambda b, s, h: (_set(3, "Nivå", "Förebyga")(b, s, h), _ages(4, 15, 13)(b, s, h)),
    )
    second = edited(
        other,
        tmp_path / "b.xlsx",
        lambda b, s, h: (
            _set(5, "Deltagare per år", "30-40")(b, s, h),
            _set(6, "Status", "Kanske")(b, s, h),
        ),
    )
    before = hashes(data)
    code, _out, err = run_import(capsys, first, second, "--data-dir", data)
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("  - ")]
    assert len(lines) == 4, err
    assert "4 problem i de returnerade arbetsböckerna" in err
    assert sum("a.xlsx, blad 'Insatser'" in line for line in lines) == 2
    assert sum("b.xlsx, blad 'Insatser'" in line for line in lines) == 2
    assert any("kolumn M 'Status', rad 6" in line for line in lines)
    assert hashes(data) == before


def test_two_workbooks_for_one_municipality(template, data, tmp_path):
    copy = tmp_path / "kopia.xlsx"
    shutil.copy(template, copy)
    with pytest.raises(MappingReturnError) as exc:
        import_returns([template, copy], data_dir=data)
    assert "mall_0114.xlsx, kopia.xlsx: 2 arbetsböcker gäller samma kommun (0114)" in str(exc.value)
    assert not (data / "kartlaggning").exists()


# --- normalisation ----------------------------------------------------------------------------


def _frame(**columns) -> pd.DataFrame:
    """A one-row text frame (row 2) with a name and the given cells."""
    cells = {"insats": "X", **columns}
    return pd.DataFrame({k: [v] for k, v in cells.items()}, index=[2], dtype="str")


@pytest.mark.parametrize(
    "first, last, expected",
    [
        ("13-15 år", None, ("13", "15")),
        ("13–15", None, ("13", "15")),
        ("13 - 15", "15", ("13", "15")),
        ("13-15 år", "15 år", ("13", "15")),
        (None, "13-15", ("13", "15")),
        ("13", "13–15 år", ("13", "15")),
        ("13 år", "15", ("13", "15")),
        ("13", "17 år", ("13", "17")),
    ],
)
def test_unambiguous_ages_are_read(first, last, expected):
    out, done, refused = normalise(_frame(alder_fran=first, alder_till=last), sheet_columns(CB), CB)
    assert (out.at[2, "alder_fran"], out.at[2, "alder_till"]) == expected
    assert done and not refused
    assert done[0].rows == (2,)


@pytest.mark.parametrize(
    "typed, expected",
    [("ca 40", "40"), ("cirka 40", "40"), ("~40", "40"), ("40 st", "40"), ("40 per år", "40"),
     ("c:a 1 200 personer", "1200")],
)  # fmt: skip
def test_participant_counts_with_words_are_read(typed, expected):
    out, done, refused = normalise(_frame(deltagare_per_ar=typed), sheet_columns(CB), CB)
    assert out.at[2, "deltagare_per_ar"] == expected
    assert [n.column for n in done] == ["Deltagare per år"] and not refused


@pytest.mark.parametrize(
    "cells, column",
    [
        ({"deltagare_per_ar": "30-40"}, "deltagare_per_ar"),
        ({"deltagare_per_ar": "ca 30–40 st"}, "deltagare_per_ar"),
        ({"alder_fran": "13-15", "alder_till": "17"}, "alder_fran"),
        ({"alder_fran": "12", "alder_till": "13-15"}, "alder_till"),
        ({"alder_fran": "ca 13"}, "alder_fran"),
    ],
)
def test_ambiguous_values_are_refused_and_left_as_typed(cells, column):
    frame = _frame(**cells)
    out, done, refused = normalise(frame, sheet_columns(CB), CB)
    assert [(r.column, r.row) for r in refused] == [(column, 2)]
    assert out.at[2, column] == frame.at[2, column] and not done


def test_codes_answers_and_separators():
    frame = _frame(
        niva="FÖREBYGGA",
        skriftliga_mal="Vet inte",
        samverkan="Skola,\nPolis",
        faktorer="Positivt skolklimat, Välbefinnande",
        huvudman="Fritid",
        deltagare_per_ar="många",
    )
    out, done, refused = normalise(frame, sheet_columns(CB), CB)
    assert out.at[2, "niva"] == "FÖREBYGGA"  # the gate folds spellings itself
    assert out.at[2, "skriftliga_mal"] == "vet ej"
    assert out.at[2, "samverkan"] == "Skola;Polis"
    assert out.at[2, "faktorer"] == "Positivt skolklimat;Välbefinnande"
    assert out.at[2, "deltagare_per_ar"] == "många" and not refused  # left for the gate
    kinds = {(n.column, n.kind) for n in done}
    assert kinds == {
        ("Nivå", "annan stavning tolkad"),
        ("Skriftliga mål", "svar tolkat"),
        ("Samverkan", "komma eller radbrytning läst som semikolon"),
        ("Risk- och skyddsfaktorer", "komma eller radbrytning läst som semikolon"),
    }
    assert "Huvudman" not in {n.column for n in done}  # a label as listed is no rewrite


def test_an_imported_round_passes_the_gate_and_is_the_inventory_the_build_uses(
    template, data, tmp_path
):
    from fouanalys.ingest.validation import validate_data_dir

    returned = edited(template, tmp_path / "retur_0114.xlsx", fill_in)
    (imported,) = import_returns([returned], data_dir=data)
    report, frames = validate_data_dir(data, codebook=CB, report_dir=tmp_path / "validering")
    assert report.ok, report.problems
    assert f"kartlaggning/0114/{imported.path.name}" in {m["file"] for m in report.files.values()}
    current = frames["insatser"].loc[frames["insatser"]["kommunkod"] == "0114"]
    assert sorted(current["insats"]) == sorted(imported.returned.typed["insats"])
    assert "Ny mötesplats" in set(current["insats"])


@pytest.mark.slow
def test_the_next_build_shows_what_the_return_changed(template, data, tmp_path, monkeypatch):
    """The whole round trip: template, filled in as a person would, imported, built; the
    chapter on interventions names what is new, what changed and what is no longer listed."""
    import html as html_text
    import re

    from fouanalys.build import runner

    monkeypatch.setattr(runner, "KERNEL_NAME", "python3")
    returned = edited(template, tmp_path / "retur_0114.xlsx", fill_in)
    assert main(["mapping", "import", str(returned), "--data-dir", str(data)]) == 0
    summary = runner.build(
        municipalities=["0114"],
        data_dir=data,
        processed_dir=tmp_path / "processed",
        reports_dir=tmp_path / "reports",
        jobs=1,
        formats=("html",),
        chapters=("03_insatser",),
        progress=False,
    )
    assert summary.ok
    page = (tmp_path / "reports" / "0114" / "03_insatser.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", html_text.unescape(re.sub(r"<[^>]+>", " ", page)))
    text = text.replace("\u2060", "").replace("\u00a0", " ")
    today = date.today().isoformat()
    assert f"senaste kartläggning, omgången {today} med 24 insatser" in text
    assert "jämförs den med den första kartläggningen, som hade 24 insatser" in text
    assert "har en insats tillkommit, en är inte längre med och en har ändrats" in text
    assert "Ny mötesplats Ny förebygga, 13–15 år" in text
    participants = example_rows("0114").set_index("insats").at["Familjecentral", "deltagare_per_ar"]
    before = participants if participants else "okänt"
    assert (
        f"Familjecentral Ändrad nivå: förebygga → förhindra; deltagare per år: {before} → 55"
        in text
    )
    assert "De otroliga åren Inte längre med" in text
