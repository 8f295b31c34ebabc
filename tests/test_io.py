"""Readers: format, encoding, delimiter and header detection, and typing."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from fouanalys.codebook import load_codebook
from fouanalys.exceptions import InputError
from fouanalys.ingest.readers import INPUTS, find_input, input_columns, read_raw, to_typed

CB = load_codebook()

INSATSER_HEADER = [
    "kommunkod", "insats", "huvudman", "niva", "inriktning", "alder_fran", "alder_till",
    "faktorer", "push_pull", "kunskapslage", "deltagare_per_ar", "samverkan", "status",
    "kommentar",
]  # fmt: skip
INSATSER_ROWS = [
    ["0123", "Föräldrastöd", "socialtjänst", "förebygga", "universell", "0", "12",
     "bristande_tillsyn;foraldrastod", "", "evidensbaserad", "120", "förskola;skola",
     "pågående", "Bra"],
    ["Järfälla", "Mentorer", "fritid", "forebygga", "selektiv", "13", "18",
     "kamrater_normbrott", "pengar;tillhorighet", "lovande", "", "skola; polis",
     "planerad", ""],
]  # fmt: skip


def write_csv(path: Path, header, rows, sep=",", encoding="utf-8", bom=False) -> Path:
    """Write a small CSV the way a spreadsheet would (no quoting needed in fixtures)."""
    lines = [sep.join(header)] + [sep.join(r) for r in rows]
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path


def write_xlsx(path: Path, header, rows, title_rows: int = 0) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    if title_rows:
        ws.append(["Kartläggning av insatser 2025"])
        for _ in range(title_rows - 1):
            ws.append([])
    ws.append(header)
    for r in rows:
        ws.append([int(v) if v.isdigit() and not v.startswith("0") else v for v in r])
    wb.save(path)
    return path


def enkat_header() -> list[str]:
    return ["ar", "Hemkommun", "Skolkommun", "ARSKURS", "Kön", *CB.survey_items()]


def enkat_rows() -> list[list[str]]:
    items = CB.survey_items()
    return [
        ["2024", "Järfälla", "Järfälla", "ak 9", "kille", *["1"] * len(items)],
        ["2024", "123", "x", "Gy 2", "", *["2"] * (len(items) - 1), ""],
        ["2024", "0184", "x", "åk9", "Vill inte svara", *["4"] * len(items)],
    ]


# --- find_input ----------------------------------------------------------------------------


def test_find_input_case_insensitive_and_suffixes(tmp_path):
    (tmp_path / "Insatser.CSV").write_text("a\n1\n")
    (tmp_path / "enkat.csv.gz").write_bytes(gzip.compress(b"a\n1\n"))
    assert find_input(tmp_path, "insatser").name == "Insatser.CSV"
    assert find_input(tmp_path, "enkat").name == "enkat.csv.gz"
    assert find_input(tmp_path, "kolada", required=False) is None


def test_find_input_missing_names_what_was_looked_for(tmp_path):
    with pytest.raises(InputError) as info:
        find_input(tmp_path, "befolkning")
    p = info.value.problem
    assert p.file == "befolkning.csv"
    for name in ("befolkning.csv", "befolkning.csv.gz", "befolkning.xlsx", str(tmp_path)):
        assert name in p.message


def test_find_input_two_candidates(tmp_path):
    (tmp_path / "enkat.csv").write_text("a\n1\n")
    write_xlsx(tmp_path / "enkat.xlsx", ["a"], [["1"]])
    with pytest.raises(InputError) as info:
        find_input(tmp_path, "enkat")
    assert "enkat.csv" in info.value.problem.message
    assert "enkat.xlsx" in info.value.problem.message


# --- read_raw: formats, dialects, encodings --------------------------------------------------


def test_read_utf8_csv(tmp_path):
    path = write_csv(tmp_path / "insatser.csv", INSATSER_HEADER, [
        [v.replace(";", "|") if i in (7, 8, 11) else v for i, v in enumerate(r)]
        for r in INSATSER_ROWS
    ])  # fmt: skip
    raw = read_raw(path, "insatser", CB)
    assert raw.encoding == "utf-8" and raw.delimiter == "," and raw.format == "csv"
    assert list(raw.frame.index) == [2, 3]
    assert raw.frame.at[2, "insats"] == "Föräldrastöd"
    assert pd.isna(raw.frame.at[3, "deltagare_per_ar"])  # blank -> NA
    assert raw.header_row == 1


@pytest.mark.parametrize("bom", [False, True])
def test_read_swedish_dialect_cp1252(tmp_path, bom):
    rows = [[v.replace(";", "|") for v in r] for r in INSATSER_ROWS]
    path = write_csv(tmp_path / "insatser.csv", INSATSER_HEADER, rows, sep=";", encoding="cp1252")
    data = path.read_bytes()
    assert "ö".encode("cp1252") in data
    if bom:  # a BOM means UTF-8: rewrite the same text as UTF-8 with BOM
        path.write_bytes(b"\xef\xbb\xbf" + data.decode("cp1252").encode("utf-8"))
    raw = read_raw(path, "insatser", CB)
    assert raw.delimiter == ";"
    assert raw.encoding == ("utf-8-sig" if bom else "cp1252")
    assert raw.frame.at[2, "insats"] == "Föräldrastöd"
    assert raw.frame.at[2, "status"] == "pågående"


def test_read_decimal_comma_in_float_column(tmp_path):
    path = write_csv(
        tmp_path / "kolada.csv",
        ["kpi", "municipality_id", "year", "gender", "value", "status"],
        [["N1", "0123", "2024", "T", "3,5", ""], ["N1", "0123", "2023", "T", "1 234,25", ""]],
        sep=";",
    )
    typed = to_typed(read_raw(path, "kolada", CB), "kolada", CB)
    assert typed["value"].tolist() == [3.5, 1234.25]
    assert str(typed["value"].dtype) == "Float64"


def test_read_gzip_csv(tmp_path):
    plain = write_csv(tmp_path / "x.csv", enkat_header(), enkat_rows())
    path = tmp_path / "enkat.csv.gz"
    path.write_bytes(gzip.compress(plain.read_bytes()))
    raw = read_raw(path, "enkat", CB)
    assert len(raw.frame) == 3 and raw.frame.at[2, "Hemkommun"] == "Järfälla"


def test_read_xlsx(tmp_path):
    path = write_xlsx(tmp_path / "befolkning.xlsx", ["Kommunkod", "År", "Ålder", "Kön", "Antal"],
                      [["0123", "2024", "15", "Pojke", "812"], ["0123", "2024", "15", "flickor",
                                                                 "790"]])  # fmt: skip
    raw = read_raw(path, "befolkning", CB)
    assert raw.format == "xlsx" and raw.encoding is None
    assert list(raw.frame.columns) == ["kommunkod", "ar", "alder", "kon", "antal"]
    assert raw.frame.at[3, "antal"] == "790"  # numbers are read as text, without ".0"
    typed = to_typed(raw, "befolkning", CB)
    assert typed["kon"].tolist() == ["Pojke", "Flicka"]
    assert typed["antal"].tolist() == [812, 790]


@pytest.mark.parametrize("head", [" Ålder Från ", "ALDER_FRAN", "alder fran", "Ålder-från"])
def test_header_spellings_map_to_canonical(tmp_path, head):
    header = [head if h == "alder_fran" else h for h in INSATSER_HEADER]
    path = write_csv(tmp_path / "insatser.csv", header, [[v.replace(";", "|") for v in r]
                                                         for r in INSATSER_ROWS])  # fmt: skip
    raw = read_raw(path, "insatser", CB)
    assert "alder_fran" in raw.frame.columns
    assert raw.original_headers["alder_fran"] == head.strip()


def test_blank_rows_keep_spreadsheet_numbering(tmp_path):
    path = tmp_path / "befolkning.csv"
    path.write_text(
        "kommunkod;ar;alder;kon;antal\n0123;2024;1;Pojke;5\n;;;;\n0123;2024;2;Pojke;6\n",
        encoding="utf-8",
    )
    raw = read_raw(path, "befolkning", CB)
    assert list(raw.frame.index) == [2, 4]


def test_duplicate_header_is_an_error(tmp_path):
    path = tmp_path / "befolkning.csv"
    path.write_text("kommunkod,ar,alder,kon,Kön,antal\n0123,2024,1,Pojke,Pojke,5\n")
    with pytest.raises(InputError) as info:
        read_raw(path, "befolkning", CB)
    assert info.value.problem.column == "kon"


# --- read_raw: unreadable inputs --------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"kommunkod;ar;alder;kon;antal\r\n", b"\n\n"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "befolkning.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_raw(path, "befolkning", CB)
    assert info.value.problem.file == "befolkning.csv"
    assert "tom" in info.value.problem.message or "inga datarader" in info.value.problem.message


def test_utf16_is_unexpected_encoding(tmp_path):
    path = tmp_path / "befolkning.csv"
    path.write_bytes("kommunkod\tar\talder\tkon\tantal\n0123\t2024\t1\tPojke\t5\n".encode("utf-16"))
    with pytest.raises(InputError) as info:
        read_raw(path, "befolkning", CB)
    p = info.value.problem
    assert p.file == "befolkning.csv"
    assert "unexpected encoding" in p.message and "UTF-16" in p.message
    assert "semikolonavgränsad" in p.message and "byte 0" in p.message


@pytest.mark.parametrize("bad", [b"\x81", b"\x8d"])
def test_bytes_invalid_in_cp1252(tmp_path, bad):
    path = tmp_path / "befolkning.csv"
    body = b"kommunkod;ar;alder;kon;antal\r\n0123;2024;1;Pojke;5\r\n0123;2024;2;Poj" + bad
    path.write_bytes(body + b"ke;6\r\n")
    with pytest.raises(InputError) as info:
        read_raw(path, "befolkning", CB)
    p = info.value.problem
    assert "unexpected encoding" in p.message
    assert f"0x{bad[0]:02X}" in p.message
    assert f"byte {len(body) - 1}" in p.message
    assert p.rows == (3,)


def test_mixed_utf8_and_cp1252_is_unexpected_encoding(tmp_path):
    path = tmp_path / "befolkning.csv"
    path.write_bytes("kommunkod;ar;alder;kon;antal\nJärfälla;2024;1;Pojke;5\n".encode()
                     + "Solna;2024;1;Pojke;5;ö\n".encode("cp1252"))  # fmt: skip
    with pytest.raises(InputError) as info:
        read_raw(path, "befolkning", CB)
    assert "blandar UTF-8" in info.value.problem.message
    assert info.value.problem.rows == (3,)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_header_on_row_3(tmp_path, fmt):
    rows = [[v.replace(";", "|") for v in r] for r in INSATSER_ROWS]
    if fmt == "xlsx":
        path = write_xlsx(tmp_path / "insatser.xlsx", INSATSER_HEADER, rows, title_rows=2)
    else:
        path = write_csv(tmp_path / "insatser.csv", INSATSER_HEADER, rows, sep=";")
        path.write_bytes(b"Kartl\xc3\xa4ggning 2025;;;\r\n;;;\r\n" + path.read_bytes())
    with pytest.raises(InputError) as info:
        read_raw(path, "insatser", CB)
    p = info.value.problem
    assert p.file == path.name and p.rows == (3,)
    assert "rad 3" in p.message and "rad 1" in p.message


# --- to_typed -----------------------------------------------------------------------------------


def test_typed_enkat(tmp_path):
    path = write_csv(tmp_path / "enkat.csv", enkat_header(), enkat_rows(), sep=";")
    typed = to_typed(read_raw(path, "enkat", CB), "enkat", CB)
    items = CB.survey_items()
    assert list(typed.columns) == ["ar", "kommunkod", "arskurs", "kon", *items]
    assert isinstance(typed.index, pd.RangeIndex)
    assert typed["kommunkod"].tolist() == ["0123", "0123", "0184"]
    assert typed["arskurs"].tolist() == ["Åk 9", "Gy 2", "Åk 9"]
    assert typed["kon"].iloc[0] == "Pojke" and typed["kon"].iloc[1:].isna().all()
    assert str(typed["ar"].dtype) == "Int64"
    assert all(str(typed[i].dtype) == "Int64" for i in items)
    assert typed[items[-1]].isna().tolist() == [False, True, False]
    assert typed[items[0]].tolist() == [1, 2, 4]


def test_typed_insatser(tmp_path):
    path = write_csv(tmp_path / "insatser.csv", INSATSER_HEADER,
                     [[f'"{v}"' if ";" in v else v for v in r] for r in INSATSER_ROWS])  # fmt: skip
    typed = to_typed(read_raw(path, "insatser", CB), "insatser", CB)
    quality = CB.ids("quality_questions")
    assert list(typed.columns) == [c.typed_name for c in INPUTS["insatser"].columns] + quality
    assert typed[quality].isna().all().all()  # absent quality columns: not answered
    first, second = typed.iloc[0], typed.iloc[1]
    assert typed["kommunkod"].tolist() == ["0123", "0123"]
    assert typed["niva"].tolist() == ["förebygga", "förebygga"]
    assert first["faktorer"] == "bristande_tillsyn;foraldrastod"
    assert first["push_pull"] == "" and second["push_pull"] == "pengar;tillhorighet"
    assert second["samverkan"] == "skola;polis"
    assert first["deltagare_per_ar"] == 120 and pd.isna(second["deltagare_per_ar"])
    assert second["kommentar"] == ""
    assert str(typed["alder_fran"].dtype) == "Int64"
    assert pd.api.types.is_string_dtype(typed["insats"])


def test_typed_optional_columns_absent(tmp_path):
    drop = {"push_pull", "deltagare_per_ar", "kommentar"}
    keep = [i for i, h in enumerate(INSATSER_HEADER) if h not in drop]
    path = write_csv(tmp_path / "insatser.csv", [INSATSER_HEADER[i] for i in keep],
                     [[INSATSER_ROWS[0][i].replace(";", "|") for i in keep]])  # fmt: skip
    typed = to_typed(read_raw(path, "insatser", CB), "insatser", CB)
    assert typed.at[0, "push_pull"] == "" and typed.at[0, "kommentar"] == ""
    assert pd.isna(typed.at[0, "deltagare_per_ar"])


def test_enkat_spec_covers_every_item():
    cols = {c.name: c for c in input_columns("enkat", CB)}
    for item in CB.survey_items():
        assert cols[item].kind == "int" and cols[item].low == 1
    assert cols["f75a"].high == 5 and cols["f66c"].high == 4
    assert cols["F82"].high == 2  # per item: its own number of answers


def test_tab_delimited(tmp_path):
    path = write_csv(tmp_path / "befolkning.csv", ["kommunkod", "ar", "alder", "kon", "antal"],
                     [["0123", "2024", "1", "Pojke", "5"]], sep="\t")  # fmt: skip
    raw = read_raw(path, "befolkning", CB)
    assert raw.delimiter == "\t" and raw.frame.at[2, "antal"] == "5"


def test_row_with_too_many_fields(tmp_path):
    path = tmp_path / "befolkning.csv"
    path.write_text("kommunkod;ar;alder;kon;antal\n0123;2024;1;Pojke;5\n0123;2024;2;Pojke;6;7\n")
    with pytest.raises(InputError) as info:
        read_raw(path, "befolkning", CB)
    assert info.value.problem.rows == (3,) and "fler fält" in info.value.problem.message


def test_xlsx_name_without_excel_content(tmp_path):
    path = tmp_path / "befolkning.xlsx"
    path.write_text("kommunkod;ar;alder;kon;antal\n0123;2024;1;Pojke;5\n")
    with pytest.raises(InputError) as info:
        read_raw(path, "befolkning", CB)
    assert "ingen Excel-fil" in info.value.problem.message


def test_raw_file_is_not_modified(tmp_path):
    path = write_csv(tmp_path / "enkat.csv", enkat_header(), enkat_rows(), sep=";")
    before = path.read_bytes(), path.stat().st_mtime_ns
    raw = read_raw(path, "enkat", CB)
    to_typed(raw, "enkat", CB)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert raw.sha256 == hashlib.sha256(before[0]).hexdigest()


def test_elever_is_an_optional_input_read_from_xlsx_with_its_spellings(tmp_path):
    spec = INPUTS["elever"]
    assert not spec.required and spec.key == ("kommunkod", "ar", "arskurs")
    assert find_input(tmp_path, "elever", required=False) is None
    path = write_xlsx(
        tmp_path / "elever.xlsx",
        ["Hemkommun", "År", "ÅRSKURS", "Antal"],
        [["Järfälla", "2024", "Årskurs 9", "1 053"], ["0184", "2022", "gy2", "880"]],
    )
    assert find_input(tmp_path, "elever", required=False) == path
    raw = read_raw(path, "elever", CB)
    assert raw.format == "xlsx" and list(raw.frame.columns) == [
        "kommunkod",
        "ar",
        "arskurs",
        "antal",
    ]
    typed = to_typed(raw, "elever", CB)
    assert typed.to_dict("list") == {
        "kommunkod": ["0123", "0184"],
        "ar": [2024, 2022],
        "arskurs": ["Åk 9", "Gy 2"],
        "antal": [1053, 880],
    }
    assert str(typed["antal"].dtype) == "Int64"


# --- memory: a large survey is held compactly ----------------------------------------------


def _large_survey(path: Path, respondents: int) -> Path:
    """A survey of ``respondents`` rows with every codebook item answered 1–4 (one blank)."""
    items = CB.survey_items()
    rows = [
        [
            "2024",
            "Järfälla",
            "x",
            "Åk 9",
            "Pojke",
            *[str(1 + (i + j) % 4) for j in range(len(items))],
        ]
        for i in range(respondents)
    ]
    rows[-1][-1] = ""
    return write_csv(path, enkat_header(), rows, sep=";")


def test_a_large_survey_is_held_at_a_few_bytes_a_cell(tmp_path):
    """The raw survey keeps its answers as categoricals (one byte a cell, not a string), so
    a million respondents fit in memory; the typed frame is the same as ever."""
    n = 20_000
    raw = read_raw(_large_survey(tmp_path / "enkat.csv", n), "enkat", CB)
    items = CB.survey_items()
    assert all(isinstance(raw.frame[i].dtype, pd.CategoricalDtype) for i in items)
    assert str(raw.frame["Hemkommun"].dtype) == "str"  # the fixed columns stay text
    per_row = raw.frame.memory_usage(deep=True).sum() / n
    assert per_row < 3 * len(items), f"{per_row:.0f} bytes a respondent"  # was ~10 a cell
    typed = to_typed(raw, "enkat", CB)
    assert all(str(typed[i].dtype) == "Int64" for i in items)
    assert typed[items[1]].tolist()[:3] == [2, 3, 4] and typed[items[-1]].isna().sum() == 1


def test_a_survey_read_in_chunks_keeps_rows_and_cleans_cells(tmp_path, monkeypatch):
    """Chunks of the CSV reader join into the same frame: row numbers, stripped cells, NA
    markers, and a row with too many fields named by its line however far down it is."""
    import fouanalys.ingest.readers as readers

    monkeypatch.setattr(readers, "CSV_CHUNK_ROWS", 7)
    header = enkat_header()
    rows = [["2024", "Järfälla", "x", "Åk 9", "Pojke", *["2"] * (len(header) - 5)]] * 20
    rows[11] = [*rows[11][:5], " 3 ", "NA", *rows[11][7:]]
    raw = read_raw(write_csv(tmp_path / "enkat.csv", header, rows, sep=";"), "enkat", CB)
    assert raw.frame.index.tolist() == list(range(2, 22))
    assert raw.frame.at[13, header[5]] == "3" and pd.isna(raw.frame.at[13, header[6]])
    rows[15] = [*rows[15], "extra"]
    with pytest.raises(InputError) as exc:
        read_raw(write_csv(tmp_path / "enkat.csv", header, rows, sep=";"), "enkat", CB)
    assert exc.value.problem.rows == (17,)
