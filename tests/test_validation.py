"""The data gate: Great Expectations checks turned into plain problems, and the HTML report."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd
import pytest

from fouanalys.codebook import load_codebook
from fouanalys.exceptions import DataValidationError, Problem
from fouanalys.ingest.validation import check_data_dir, validate_data_dir

CB = load_codebook()
ITEMS = CB.survey_items()
LEVELS = CB.item_levels()

ENKAT_HEADER = ["ar", "Hemkommun", "Skolkommun", "ARSKURS", "Kön", *ITEMS]
INSATSER_HEADER = [
    "kommunkod", "insats", "huvudman", "niva", "inriktning", "alder_fran", "alder_till",
    "faktorer", "push_pull", "kunskapslage", "deltagare_per_ar", "samverkan", "status",
    "kommentar",
]  # fmt: skip
BEFOLKNING_HEADER = ["kommunkod", "ar", "alder", "kon", "antal"]
KOLADA_HEADER = ["kpi", "municipality_id", "year", "gender", "value", "status"]


def enkat_rows() -> list[list[str]]:
    people = [("Järfälla", "Åk 9", "Pojke"), ("0123", "ak 9", "flicka"), ("184", "Gy 2", ""),
              ("Solna", "gy2", "kille"), ("Sigtuna", "Åk 9", "Annat"), ("0114", "Åk 9", "Flicka"),
              ("Ekerö", "Gy 2", "Pojke"), ("upplands-bro", "Gy 2", "Flicka")]  # fmt: skip
    rows = []
    for i, (kommun, grade, sex) in enumerate(people):
        answers = [str(1 + (i + j) % min(4, LEVELS[item])) for j, item in enumerate(ITEMS)]
        rows.append(["2024", kommun, "x", grade, sex, *answers])
    rows[2][-1] = ""  # blank = no answer
    return rows


def insatser_rows() -> list[list[str]]:
    rows = [
        ["0123", "Föräldrastöd", "socialtjänst", "förebygga", "universell", "0", "12",
         "bristande_tillsyn;foraldrastod", "", "evidensbaserad", "120", "förskola;skola",
         "pågående", "Bra; fungerar"],
        ["Järfälla", "Mentorer", "fritid", "forebygga", "selektiv", "13", "18",
         "kamrater_normbrott", "pengar;tillhorighet", "lovande", "", "skola; polis",
         "planerad", ""],
        ["0184", "SSPF", "polis", "förhindra", "indikerad", "12", "17",
         "kamrater_normbrott;impulsivitet", "pengar", "ej bedömd", "40", "skola;socialtjänst",
         "pågående", ""],
    ]  # fmt: skip
    for i in range(10):  # more rows, so that each injected error can have a row of its own
        rows.append(
            [
                "0191",
                f"Insats {i}",
                "skola",
                "förebygga",
                "universell",
                str(6 + i % 4),
                "15",
                "skolmisslyckande",
                "",
                "lovande",
                str(10 * i),
                "",
                "pågående",
                "",
            ]
        )
    return rows


def befolkning_rows() -> list[list[str]]:
    return [
        [code, "2024", str(age), sex, str(100 + age)]
        for code in ("0123", "0184", "0191")
        for age in (0, 15, 17)
        for sex in ("Pojke", "Flicka")
    ]


def kolada_rows() -> list[list[str]]:
    return [
        ["N00943", "0123", "2023", "T", "25,3", ""],
        ["N00943", "0184", "2023", "K", "", "Missing"],
        ["N00943", "0184", "2023", "M", "1 234,5", ""],
        ["N00943", "0001", "2023", "T", "3", ""],
    ]


def _cell(value: str, sep: str) -> str:
    return f'"{value}"' if sep in value else value


def write_csv(path: Path, header, rows, sep=";", encoding="utf-8") -> Path:
    lines = [sep.join(_cell(v, sep) for v in header)]
    lines += [sep.join(_cell(v, sep) for v in r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def make_data_dir(root: Path, **changes) -> Path:
    """A valid data directory; ``changes`` maps an input name to (header, rows) or None."""
    inputs = {
        "enkat": (ENKAT_HEADER, enkat_rows()),
        "insatser": (INSATSER_HEADER, insatser_rows()),
        "befolkning": (BEFOLKNING_HEADER, befolkning_rows()),
        "kolada": (KOLADA_HEADER, kolada_rows()),
    }
    inputs.update(changes)
    root.mkdir(parents=True, exist_ok=True)
    for name, content in inputs.items():
        if content is None:
            continue
        header, rows = content
        encoding = "cp1252" if name == "insatser" else "utf-8"
        write_csv(root / f"{name}.csv", header, rows, sep=";", encoding=encoding)
    return root


def base_inputs() -> dict[str, tuple[list[str], list[list[str]]]]:
    return {
        "enkat": (ENKAT_HEADER, enkat_rows()),
        "insatser": (INSATSER_HEADER, insatser_rows()),
        "befolkning": (BEFOLKNING_HEADER, befolkning_rows()),
        "kolada": (KOLADA_HEADER, kolada_rows()),
    }


def with_cells(name: str, cells, inputs=None) -> tuple[list[str], list[list[str]]]:
    """The rows of ``name`` with cells changed: ``cells`` holds (spreadsheet row, column, value)."""
    header, rows = (inputs or base_inputs())[name]
    for row, column, value in cells:
        rows[row - 2][header.index(column)] = value
    return header, rows


def run(tmp_path: Path, **changes):
    data = make_data_dir(tmp_path / "data", **changes)
    return validate_data_dir(data, codebook=CB, report_dir=tmp_path / "report")


def find(report, file: str, column: str | None, message: str) -> Problem:
    """The one problem of ``file``/``column`` whose message contains ``message``."""
    hits = [
        p for p in report.problems
        if p.file == file and p.column == column and message in p.message
    ]  # fmt: skip
    assert len(hits) == 1, [str(p) for p in report.problems]
    return hits[0]


# --- one directory with many single-cell errors, each in a row and column of its own ------------

#: (input, spreadsheet row, column, injected value, expected message fragment, reported value)
INJECTED = [
    ("enkat", 3, "Hemkommun", "Stockholm", "Okänd kommun", "Stockholm"),
    ("enkat", 4, "ARSKURS", "Åk 8", "Okänd kod", "Åk 8"),
    ("enkat", 5, "Kön", "Okänt", "Okänd kod", "Okänt"),
    ("enkat", 6, ITEMS[5], "tolv", "inte ett heltal", "tolv"),
    ("insatser", 2, "niva", "<script>x</script>", "Okänd kod", "<script>x</script>"),
    ("insatser", 3, "kommunkod", "Stockholm", "Okänd kommun", "Stockholm"),
    ("insatser", 4, "huvudman", "kommunen", "Okänd kod", "kommunen"),
    ("insatser", 5, "inriktning", "alla", "Okänd kod", "alla"),
    ("insatser", 6, "kunskapslage", "bra", "Okänd kod", "bra"),
    ("insatser", 7, "status", "klar", "Okänd kod", "klar"),
    ("insatser", 8, "alder_fran", "tolv", "inte ett heltal", "tolv"),
    ("insatser", 9, "faktorer", "impulsivitet;droger", "Okänd kod i listan", "droger"),
    ("insatser", 10, "push_pull", "pengar; makten", "Okänd kod i listan", "makten"),
    ("insatser", 11, "samverkan", "skola;kyrkan", "Okänd kod i listan", "kyrkan"),
    ("insatser", 12, "huvudman", "", "Värde saknas", None),
    ("insatser", 13, "deltagare_per_ar", "-3", "utanför", "-3"),
    ("befolkning", 2, "kommunkod", "Täby", "Okänd kommun", "Täby"),
    ("befolkning", 3, "kon", "X", "Okänd kod", "X"),
    ("befolkning", 4, "alder", "30", "utanför", "30"),
    ("befolkning", 6, "antal", "12,5", "inte ett heltal", "12,5"),
    ("kolada", 2, "gender", "W", "Okänd kod", "W"),
    ("kolada", 3, "municipality_id", "9999", "Okänd kommun", "9999"),
    ("kolada", 4, "value", "mycket", "inte ett tal", "mycket"),
]
# Also in the broken directory: enkat item ITEMS[0] = 7 on row 2 and 0 on row 7 (range);
# insatser row 14: alder_fran 19 > alder_till 18; insatser row 15 repeats row 2's key with the
# municipality spelled by name; befolkning row 14 repeats row 5's key with aliases.


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    root = tmp_path_factory.mktemp("broken")
    inputs = base_inputs()
    for name in inputs:
        cells = [(row, col, value) for n, row, col, value, *_ in INJECTED if n == name]
        inputs[name] = with_cells(name, cells, inputs)
    header, rows = inputs["enkat"]
    rows[0][header.index(ITEMS[0])] = "7"
    rows[5][header.index(ITEMS[0])] = "0"
    header, rows = inputs["insatser"]
    rows[12][header.index("alder_fran")] = "19"
    rows[12][header.index("alder_till")] = "18"
    rows.append(rows[0][:])
    rows[-1][0] = "Järfälla"  # the same municipality spelled differently is still a duplicate
    rows[-1][header.index("niva")] = "förebygga"
    header, rows = inputs["befolkning"]
    assert rows[3][:4] == ["0123", "2024", "15", "Flicka"]  # spreadsheet row 5
    rows.append(["123", "2024.0", "15", "flickor", "1"])  # row 14
    data = make_data_dir(root / "data", **inputs)
    report, frames = validate_data_dir(data, codebook=CB, report_dir=root / "report")
    return {"report": report, "frames": frames, "root": root}


@pytest.mark.parametrize(
    ("name", "row", "column", "value", "message", "shown"),
    INJECTED,
    ids=[f"{n}-{c}-{r}" for n, r, c, *_ in INJECTED],
)
def test_injected_error_is_reported(broken, name, row, column, value, message, shown):
    p = find(broken["report"], f"{name}.csv", column, message)
    assert p.rows == (row,)
    assert p.values == ((shown,) if shown is not None else ())
    assert p.expected


def test_every_problem_is_expected(broken):
    report = broken["report"]
    assert broken["frames"] == {}
    # the injected cells, plus item range, age order and two duplicate keys
    assert len(report.problems) == len(INJECTED) + 4, [str(p) for p in report.problems]


def test_unknown_municipality_lists_known_ones(broken):
    p = find(broken["report"], "enkat.csv", "Hemkommun", "Okänd kommun")
    assert "0123 Järfälla" in p.expected and "0191 Sigtuna" in p.expected


def test_unknown_code_expected_lists_codes(broken):
    p = find(broken["report"], "insatser.csv", "niva", "Okänd kod")
    assert p.expected == "en av: förebygga, förhindra, riskreducera"


def test_text_in_numeric_column_expected(broken):
    p = find(broken["report"], "insatser.csv", "alder_fran", "inte ett heltal")
    assert p.expected == "heltal 0–25"


def test_item_out_of_range(broken):
    p = find(broken["report"], "enkat.csv", ITEMS[0], "utanför")
    assert (p.rows, p.values, p.expected) == ((2, 7), ("7", "0"), "heltal 1–4")
    q = find(broken["report"], "enkat.csv", ITEMS[5], "inte ett heltal")
    assert q.expected.startswith("heltal 1–4 eller ett av frågans svar: 'Stämmer mycket bra' (1)")
    assert "'Vet inte'" in q.expected and "990–999" in q.expected


def test_alder_fran_greater_than_alder_till(broken):
    p = find(broken["report"], "insatser.csv", "alder_fran", "större än")
    assert p.rows == (14,)
    assert p.values == ("alder_fran=19 > alder_till=18",)
    assert p.expected == "alder_fran ≤ alder_till"


def test_duplicate_keys(broken):
    p = find(broken["report"], "insatser.csv", "kommunkod, insats", "dubbletter")
    assert p.rows == (2, 15)
    assert p.values == ("0123 / Föräldrastöd", "Järfälla / Föräldrastöd")


def test_duplicate_keys_after_folding_aliases(broken):
    p = find(broken["report"], "befolkning.csv", "kommunkod, ar, alder, kon", "dubbletter")
    assert p.rows == (5, 20)  # the duplicate is appended after the 18 valid rows


def test_problem_text_names_file_column_rows_values(broken):
    p = find(broken["report"], "insatser.csv", "status", "Okänd kod")
    text = str(p)
    assert text.startswith("insatser.csv, kolumn 'status', rad 7: ")
    assert "'klar'" in text and "förväntat: en av: pågående" in text


def test_html_report_lists_problems_escaped(broken):
    text = (broken["root"] / "report" / "index.html").read_text(encoding="utf-8")
    assert "Underkänd" in text and "kunskapslage" in text and "befolkning.csv" in text
    assert "<script>" not in text and "&lt;script&gt;" in text


# --- a valid directory --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def valid(tmp_path_factory):
    """A valid directory, validated from an empty working directory."""
    root = tmp_path_factory.mktemp("valid")
    data = make_data_dir(root / "data")
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in data.iterdir()}
    cwd = root / "cwd"
    cwd.mkdir()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        report, frames = validate_data_dir(data, codebook=CB, report_dir=root / "report")
    finally:
        os.chdir(old)
    return {"root": root, "data": data, "before": before, "cwd": cwd, "report": report,
            "frames": frames}  # fmt: skip


def test_valid_directory_is_ok_with_typed_frames(valid):
    report, frames = valid["report"], valid["frames"]
    assert report.ok, [str(p) for p in report.problems]
    assert set(frames) == {"enkat", "insatser", "insatser_rounds", "befolkning", "kolada"}
    enkat = frames["enkat"]
    assert list(enkat.columns) == ["ar", "kommunkod", "arskurs", "kon", *ITEMS]
    assert enkat["kommunkod"].tolist()[:5] == ["0123", "0123", "0184", "0184", "0191"]
    assert enkat["kommunkod"].tolist()[5:] == ["0114", "0125", "0139"]
    assert enkat["arskurs"].tolist()[:4] == ["Åk 9", "Åk 9", "Gy 2", "Gy 2"]
    assert enkat["kon"].iloc[:2].tolist() == ["Pojke", "Flicka"]
    assert enkat["kon"].iloc[2:5].isna().tolist() == [True, False, True]
    assert str(enkat[ITEMS[0]].dtype) == "Int64" and pd.isna(enkat[ITEMS[-1]].iloc[2])
    assert isinstance(enkat.index, pd.RangeIndex)
    insatser = frames["insatser"]
    assert insatser["niva"].tolist()[:3] == ["förebygga", "förebygga", "förhindra"]
    assert insatser["kommunkod"].tolist()[:3] == ["0123", "0123", "0184"]
    assert insatser["kunskapslage"].iloc[2] == "ej bedömd"
    assert insatser["samverkan"].iloc[1] == "skola;polis"
    assert insatser["kommentar"].iloc[0] == "Bra; fungerar"
    assert frames["befolkning"]["antal"].sum() == 6 * (300 + 32)
    kolada = frames["kolada"]
    assert kolada["value"].tolist()[0] == pytest.approx(25.3)
    assert pd.isna(kolada["value"].iloc[1]) and kolada["value"].iloc[2] == pytest.approx(1234.5)
    assert kolada["municipality_id"].tolist() == ["0123", "0184", "0184", "0001"]


def test_report_files_metadata(valid):
    files = valid["report"].files
    assert set(files) == {"enkat", "insatser", "befolkning", "kolada"}
    meta = files["insatser"]
    assert meta["file"] == "insatser.csv" and meta["rows"] == 13 and meta["format"] == "csv"
    assert meta["encoding"] == "cp1252" and meta["path"] == str(valid["data"] / "insatser.csv")
    assert meta["sha256"] == valid["before"]["insatser.csv"]
    assert files["enkat"]["encoding"] == "utf-8"


def test_raw_files_unchanged_and_nothing_written_elsewhere(valid):
    data = valid["data"]
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in data.iterdir()}
    assert after == valid["before"]
    assert list(valid["cwd"].iterdir()) == []  # no gx/ folder, no great_expectations.yml
    assert sorted(p.name for p in valid["root"].iterdir()) == ["cwd", "data", "report"]
    assert [p.name for p in (valid["root"] / "report").iterdir()] == ["index.html"]


def test_html_report(valid):
    text = (valid["root"] / "report" / "index.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and 'lang="sv"' in text
    assert "Godkänd" in text and valid["before"]["enkat.csv"] in text
    assert "http://" not in text and "https://" not in text  # self-contained
    assert str(valid["root"]) not in text  # no machine path: only the folder's name
    assert "<code>data</code>" in text


def test_no_progress_bars_or_log_noise(tmp_path, capfd, caplog):
    caplog.set_level("INFO")
    report, _ = run(tmp_path, kolada=None)
    out, err = capfd.readouterr()
    assert report.ok and "kolada" not in report.files
    assert "Calculating Metrics" not in out + err and "it/s" not in err
    assert not [r for r in caplog.records if r.name.startswith("great_expectations")]


# --- inputs that cannot be read, and structural problems -----------------------------------------


def test_missing_unreadable_and_empty_files_all_reported(tmp_path):
    header = [h for h in INSATSER_HEADER if h != "status"]
    rows = [r[:12] + r[13:] for r in insatser_rows()]
    data = make_data_dir(tmp_path / "data", enkat=None, insatser=(header, rows),
                         kolada=(KOLADA_HEADER, []))  # fmt: skip
    (data / "befolkning.csv").write_bytes("kommunkod;ar\n".encode("utf-16"))
    report, frames = validate_data_dir(data, codebook=CB, report_dir=tmp_path / "report")
    assert frames == {} and not report.ok
    assert sorted(p.file for p in report.problems) == [
        "befolkning.csv", "enkat.csv", "insatser.csv", "kolada.csv"
    ]  # fmt: skip
    missing = find(report, "enkat.csv", None, "saknas")
    assert "enkat.xlsx" in missing.message and str(data) in missing.message
    assert "unexpected encoding" in find(report, "befolkning.csv", None, "UTF-16").message
    find(report, "kolada.csv", None, "inga datarader")
    column = find(report, "insatser.csv", "status", "saknas")
    assert "kommunkod" in column.message and "kommentar" in column.message
    assert set(report.files) == {"insatser"}  # the readable file was still checked
    html_text = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert "Underkänd" in html_text and "kunde inte läsas" in html_text


def _without_columns(drop: set[str]):
    keep = [i for i, h in enumerate(ENKAT_HEADER) if h not in drop]
    return [ENKAT_HEADER[i] for i in keep], [[r[i] for i in keep] for r in enkat_rows()]


def test_one_missing_item_column_is_allowed_and_typed_as_unanswered(tmp_path):
    item = ITEMS[3]
    report, frames = run(tmp_path, enkat=_without_columns({item}))
    assert report.ok, [str(p) for p in report.problems]
    assert frames["enkat"][item].isna().all()


def test_index_with_too_few_items_in_the_data(tmp_path):
    index = CB.index("impulsivitet")
    ids = [i.id for i in index.items]
    drop = set(ids[: len(ids) - index.min_answered + 1])  # one item short of computable
    report, frames = run(tmp_path, enkat=_without_columns(drop))
    assert frames == {}
    [p] = [p for p in report.problems if "impulsivitet" in p.message]
    assert p.file == "enkat.csv"
    assert set(p.column.split(", ")) == drop
    assert f"minst {index.min_answered}" in p.message
    assert len(report.problems) == 1


def test_survey_year_unknown_to_the_codebook(tmp_path):
    rows = enkat_rows()
    rows[4][0] = "2019"
    report, _ = run(tmp_path, enkat=(ENKAT_HEADER, rows))
    p = find(report, "enkat.csv", "ar", "kodboken")
    assert p.rows == (6,) and p.values == ("2019",)
    assert "2018, 2020, 2022, 2024" in p.expected


def test_survey_weights_are_read_when_present(tmp_path):
    header = [*ENKAT_HEADER, "Vikt"]
    rows = [[*r, f"{1 + i / 2:.1f}".replace(".", ",")] for i, r in enumerate(enkat_rows())]
    report, frames = run(tmp_path, enkat=(header, rows))
    assert report.ok, [str(p) for p in report.problems]
    assert frames["enkat"]["vikt"].tolist() == [1 + i / 2 for i in range(len(rows))]
    _, unweighted = run(tmp_path / "b")
    assert "vikt" not in unweighted["enkat"].columns


def test_check_data_dir(tmp_path):
    data = make_data_dir(tmp_path / "data")
    frames = check_data_dir(data, codebook=CB, report_dir=tmp_path / "report")
    assert set(frames) == {"enkat", "insatser", "insatser_rounds", "befolkning", "kolada"}
    (data / "insatser.csv").unlink()
    with pytest.raises(DataValidationError) as info:
        check_data_dir(data, codebook=CB, report_dir=tmp_path / "report")
    assert info.value.report_path == str(tmp_path / "report" / "index.html")
    assert "insatser.csv" in str(info.value)


def test_unknown_codes_suggest_the_nearest_valid_one(tmp_path):
    rows = insatser_rows()
    rows[4][3] = "förebyga"  # niva, spreadsheet row 6
    rows[5][2] = "socialtjanst_"  # huvudman, row 7
    rows[6][7] = "skolmislyckande"  # faktorer, row 8
    rows[7][0] = "Jarfala"  # kommunkod, row 9
    report, _ = run(tmp_path, insatser=(INSATSER_HEADER, rows))
    niva = find(report, "insatser.csv", "niva", "Okänd kod")
    assert niva.rows == (6,) and "'förebyga' → 'förebygga'" in niva.message
    assert (
        "'socialtjanst_' → 'socialtjänst'"
        in find(report, "insatser.csv", "huvudman", "Okänd kod").message
    )
    assert (
        "'skolmislyckande' → 'skolmisslyckande'"
        in find(report, "insatser.csv", "faktorer", "Okänd kod").message
    )
    assert "'Jarfala' → 'Järfälla'" in find(report, "insatser.csv", "kommunkod", "Okänd").message


def test_no_suggestion_when_nothing_is_close(tmp_path):
    rows = insatser_rows()
    rows[4][3] = "xyz"
    report, _ = run(tmp_path, insatser=(INSATSER_HEADER, rows))
    assert "Menade du" not in find(report, "insatser.csv", "niva", "Okänd kod").message


def test_interventions_in_a_municipality_without_population(tmp_path):
    rows = [r for r in befolkning_rows() if r[0] != "0191"]
    report, frames = run(tmp_path, befolkning=(BEFOLKNING_HEADER, rows))
    assert frames == {}
    p = find(report, "insatser.csv", "kommunkod", "inga rader i befolkning.csv")
    assert p.rows == tuple(range(5, 15)) and p.values == ("0191",)
    assert "Sigtuna" in p.message


# --- kolada.csv: units and statuses ---------------------------------------------------------


def _kolada(*rows: list[str]) -> tuple[list[str], list[list[str]]]:
    return KOLADA_HEADER, [*kolada_rows(), *rows]


def test_kolada_share_outside_0_100_names_kpi_unit_row_and_value(tmp_path):
    report, frames = run(
        tmp_path,
        kolada=_kolada(
            ["N15428", "0123", "2023", "T", "88,4", ""],  # row 6: fine
            ["N15428", "0123", "2024", "T", "884", ""],  # row 7: per mille in a share
        ),
    )
    assert frames == {}
    p = find(report, "kolada.csv", "value", "N15428")
    assert p.rows == (7,) and p.values == ("884",)
    assert "andel (%)" in p.message and "fel enhet" in p.message
    assert p.expected.startswith("0–100")
    assert len(report.problems) == 1, [str(x) for x in report.problems]


def test_kolada_rate_in_the_wrong_unit_is_implausible(tmp_path):
    # U07417 is per 100 000 inhabitants (about 4 000); 44 is the same rate per 1 000.
    report, _ = run(
        tmp_path,
        kolada=_kolada(
            ["U07417", "0123", "2022", "T", "4436,6", ""],
            ["U07417", "0123", "2023", "T", "44,4", ""],  # row 7
        ),
    )
    p = find(report, "kolada.csv", "value", "U07417")
    assert p.rows == (7,) and p.values == ("44,4",)
    assert "100 000" in p.message and "annan enhet" in p.message
    assert len(report.problems) == 1, [str(x) for x in report.problems]


def test_kolada_number_in_status_column_is_a_shifted_value(tmp_path):
    report, _ = run(
        tmp_path,
        kolada=_kolada(["N15428", "0123", "2024", "T", "88", "5"], ["N15428", "0125", "2024",
                       "T", "", "Hemligt"]),
    )  # fmt: skip
    shifted = find(report, "kolada.csv", "status", "fel kolumn")
    assert shifted.rows == (6,) and shifted.values == ("5",)
    unknown = find(report, "kolada.csv", "status", "Okänd status")
    assert unknown.rows == (7,) and "Privacy" in unknown.expected


def test_kolada_kpi_id_shape_and_uncodebooked_kpis(tmp_path):
    # N00943 (not in the codebook) passes with any magnitude; a non-id is named.
    report, _ = run(
        tmp_path,
        kolada=_kolada(["N00943", "0123", "2024", "T", "123456", ""], ["88,4", "0123", "2024",
                       "T", "", ""]),
    )  # fmt: skip
    p = find(report, "kolada.csv", "kpi", "nyckeltals-id")
    assert p.rows == (7,) and p.values == ("88,4",)
    assert len(report.problems) == 1, [str(x) for x in report.problems]


def test_kolada_statuses_and_protected_values_are_valid(tmp_path):
    report, frames = run(
        tmp_path,
        kolada=_kolada(
            ["N33812", "0125", "2023", "K", "", "Privacy"],
            ["N33812", "0125", "2023", "T", "31", ""],
            ["N07403", "0000", "2023", "T", "", "Not applicable"],
        ),
    )
    assert report.ok, [str(p) for p in report.problems]
    kolada = frames["kolada"]
    assert kolada["status"].tolist()[-3:] == ["Privacy", "", "Not applicable"]


# --- metod: an approach of the knowledge base, by id or Swedish name ---------------------------


def _with_metod(values: dict[int, str]) -> tuple[list[str], list[list[str]]]:
    """The base inventory with a ``metod`` column: ``values`` maps spreadsheet rows to cells."""
    header, rows = base_inputs()["insatser"]
    for i, row in enumerate(rows):
        row.append(values.get(i + 2, ""))
    return [*header, "metod"], rows


def test_an_unknown_metod_names_file_row_and_value(tmp_path):
    report, frames = run(tmp_path, insatser=_with_metod({3: "mst", 5: "scared_straigt"}))
    assert frames == {}
    p = find(report, "insatser.csv", "metod", "Okänd kod")
    assert p.rows == (5,)
    assert p.values == ("scared_straigt",)
    assert "scared_straight" in p.expected and "mentorskap" in p.expected
    assert len(report.problems) == 1, [str(x) for x in report.problems]


def test_metod_takes_an_id_or_the_swedish_name_and_may_be_blank_or_absent(tmp_path):
    report, frames = run(tmp_path, insatser=_with_metod({2: "Mentorskap", 3: " MST "}))
    assert report.ok, [str(p) for p in report.problems]
    metod = frames["insatser"]["metod"]
    assert list(metod[:2]) == ["mentorskap", "mst"]
    assert metod[2:].isna().all()
    report, frames = run(tmp_path / "absent")
    assert report.ok and frames["insatser"]["metod"].isna().all()


# --- elever.csv: enrolled pupils, the response rate's denominator ------------------------------

ELEVER_HEADER = ["Kommun", "År", "Årskurs", "Antal"]  # spelled as a municipality might


def elever_rows() -> list[list[str]]:
    """Enrolment for the survey's municipalities and grades of 2024 (enough for everyone)."""
    return [
        ["Järfälla", "2024", "ak 9", "2"],  # row 2: exactly the two respondents
        ["0184", "2024", "Gy 2", "150"],
        ["Sigtuna", "2024", "åk9", "1 020"],
        ["0114", "2024", "Åk 9", "88"],
    ]


def test_enrolment_is_optional_and_read_with_its_spellings(tmp_path):
    report, frames = run(tmp_path, elever=(ELEVER_HEADER, elever_rows()))
    assert report.ok, [str(p) for p in report.problems]
    elever = frames["elever"]
    assert list(elever.columns) == ["kommunkod", "ar", "arskurs", "antal"]
    assert elever["kommunkod"].tolist() == ["0123", "0184", "0191", "0114"]
    assert elever["arskurs"].tolist() == ["Åk 9", "Gy 2", "Åk 9", "Åk 9"]
    assert elever["antal"].tolist() == [2, 150, 1020, 88]
    assert str(elever["antal"].dtype) == "Int64" and str(elever["ar"].dtype) == "Int64"
    assert report.files["elever"]["file"] == "elever.csv"
    _, without = run(tmp_path / "without")
    assert "elever" not in without


def test_enrolment_with_a_bad_grade_year_count_or_duplicate(tmp_path):
    rows = elever_rows()
    rows[1][2] = "Åk 8"  # row 3
    rows[2][1] = "2019"  # row 4
    rows[3][3] = "-5"  # row 5
    rows.append(["Järfälla", "2024", "Årskurs 9", "3"])  # row 6: row 2's key again
    report, frames = run(tmp_path, elever=(ELEVER_HEADER, rows))
    assert frames == {}
    grade = find(report, "elever.csv", "arskurs", "Okänd kod")
    assert grade.rows == (3,) and grade.values == ("Åk 8",) and "Gy 2" in grade.expected
    year = find(report, "elever.csv", "ar", "kodboken")
    assert year.rows == (4,) and year.values == ("2019",)
    count = find(report, "elever.csv", "antal", "utanför")
    assert count.rows == (5,) and count.values == ("-5",)
    twice = find(report, "elever.csv", "kommunkod, ar, arskurs", "dubbletter")
    assert twice.rows == (2, 6)


def test_more_respondents_than_enrolled_names_both_files_rows_and_numbers(tmp_path):
    rows = elever_rows()
    rows[0][3] = "1"  # Järfälla åk 9 2024 has two respondents in enkat.csv
    rows[3][3] = "0"  # Upplands Väsby åk 9 2024: one respondent
    report, frames = run(tmp_path, elever=(ELEVER_HEADER, rows))
    assert frames == {}
    p = find(report, "elever.csv", "antal", "Fler svarande")
    assert "enkat.csv" in p.message and "elever.csv" in p.message
    assert p.rows == (2, 5)
    assert p.values == (
        "Järfälla 2024 Åk 9: svarande 2, elever 1",
        "Upplands Väsby 2024 Åk 9: svarande 1, elever 0",
    )
    assert "enkat.csv" in p.expected
    assert len(report.problems) == 1, [str(x) for x in report.problems]
    text = str(p)
    assert text.startswith("elever.csv, kolumn 'antal', rader 2, 5: Fler svarande i enkat.csv")


def test_item_checks_grow_with_distinct_answers_not_with_respondents(tmp_path):
    """The survey's items are checked on one row per item and distinct answer, so checking a
    large survey costs no more memory than a small one; a bad answer is still reported with
    every row it is on."""
    from fouanalys.ingest.readers import read_raw
    from fouanalys.ingest.validation import build_checks, validate_raw

    rows = [row for _ in range(500) for row in enkat_rows()]  # 4 000 respondents
    for r in (2_000, 3_500):
        rows[r - 2][ENKAT_HEADER.index(ITEMS[3])] = "tolv"
    path = make_data_dir(tmp_path / "data", enkat=(ENKAT_HEADER, rows)) / "enkat.csv"
    raw = read_raw(path, "enkat", CB)
    checks = build_checks("enkat", raw, CB)
    assert len(checks.views["items"]) <= 5 * len(ITEMS)  # not one row per answer (~340 000)
    problems = [p for p in validate_raw("enkat", raw, CB) if p.column == ITEMS[3]]
    assert [(p.rows, p.values) for p in problems] == [((2_000, 3_500), ("tolv",))]
