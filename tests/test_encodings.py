"""Encodings told apart: mixed UTF-8/Windows-1252 files are refused naming row, column and
character; characters the report font cannot draw are warned about, never silently boxed."""

from __future__ import annotations

import csv
import io
import logging
import shutil
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from fouanalys.cli import main
from fouanalys.codebook import load_codebook
from fouanalys.config import EXAMPLE_DATA_DIR
from fouanalys.exceptions import InputError
from fouanalys.ingest.encodings import cell_positions, find_mixed_encoding
from fouanalys.ingest.glyphs import drawable_codepoints, undrawable
from fouanalys.ingest.readers import MIXED_ENCODING_PROBLEMS, read_raw

CB = load_codebook()

HEADER = ["kommunkod", "ar", "alder", "kon", "antal", "kommentar"]


def befolkning(tmp_path: Path, lines: list[bytes]) -> Path:
    """befolkning.csv with a header and the given data lines (bytes, already encoded)."""
    path = tmp_path / "befolkning.csv"
    path.write_bytes(b"\r\n".join([";".join(HEADER).encode(), *lines]) + b"\r\n")
    return path


def refused(path: Path, name: str = "befolkning") -> list:
    with pytest.raises(InputError) as info:
        read_raw(path, name, CB)
    return info.value.problems


# --- UTF-8 inside a Windows-1252 file ---------------------------------------------------------


@pytest.mark.parametrize(
    ("meant", "read_as"),
    [("–", "â€“"), ("’", "â€™"), ("🚀", "ðŸš€"), ("”", "â€\ufffd"), ("å", "Ã¥"), ("✓", "âœ“")],
)
def test_utf8_character_in_cp1252_file_names_row_column_and_character(tmp_path, meant, read_as):
    path = befolkning(
        tmp_path,
        [
            "Järfälla;2024;1;Pojke;5;Föräldrastöd – bra".encode("cp1252"),
            "Solna;2024;1;Pojke;5;".encode("cp1252") + f"Emoji {meant} insats".encode(),
        ],
    )
    (problem,) = refused(path)
    assert problem.file == "befolkning.csv"
    assert problem.rows == (3,) and problem.column == "kommentar"
    assert f"'{read_as}' där det ska stå '{meant}'" in problem.message
    assert "Windows-1252" in problem.message and "spara filen som UTF-8" in problem.expected
    assert "CSV UTF-8" in problem.expected


def test_every_place_is_listed_by_column_and_character(tmp_path):
    path = befolkning(
        tmp_path,
        [
            "Solna;2024;1;Pojke;5;A \xe2\x80\x93 B".encode("latin-1"),
            "Solna;2024;2;Pojke;5;C \xe2\x80\x93 D".encode("latin-1"),
            "Sundbyberg;2024;1;Pojke;5;Föräldrastöd – ”citat”".encode("cp1252"),
            "Sollentuna;2024;1;Pojke \xe2\x80\x99;5;x".encode("latin-1"),
        ],
    )
    problems = refused(path)
    assert [(p.column, p.rows) for p in problems] == [("kommentar", (2, 3)), ("kon", (5,))]


def test_places_beyond_the_cap_are_counted(tmp_path):
    lines = [f"Solna;2024;{i};Pojke;5;x {chr(0x2190 + i)}".encode() for i in range(14)]
    lines.append(f"Solna;2024;20;Pojke;5;{'åäö' * 10}".encode("cp1252"))  # mainly cp1252
    problems = refused(befolkning(tmp_path, lines))
    assert len(problems) == MIXED_ENCODING_PROBLEMS + 1
    assert "14 ställen" in problems[-1].message and "4 av dem" in problems[-1].message


def test_quoted_cell_with_line_breaks_is_one_row(tmp_path):
    path = befolkning(
        tmp_path,
        [
            'Solna;2024;1;Pojke;5;"två\r\nrader; i en cell"'.encode("cp1252"),
            "Solna;2024;2;Pojke;5;x \xe2\x80\x93".encode("latin-1"),
        ],
    )
    (problem,) = refused(path)
    assert problem.rows == (3,) and problem.column == "kommentar"


def test_cell_positions_count_records_and_fields():
    data = b'a;b;c\n1;"x\n;y";\xe2\x80\x93\n\n4;5\xe2\x80\x93;6\n'
    offsets = [data.index(b"\xe2"), data.rindex(b"\xe2")]
    header, cells = cell_positions(data, offsets, ";")
    assert header == ["a", "b", "c"]
    assert cells == [(2, 2), (4, 1)]  # the blank line is row 3, as the readers count it


# --- Windows-1252 inside a UTF-8 file ----------------------------------------------------------


@pytest.mark.parametrize(("byte", "meant"), [(b"\xe4", "ä"), (b"\xf6", "ö"), (b"\x96", "–")])
@pytest.mark.parametrize("bom", [False, True])
def test_cp1252_byte_in_utf8_file(tmp_path, byte, meant, bom):
    path = befolkning(
        tmp_path,
        [
            "Järfälla;2024;1;Pojke;5;Föräldrastöd".encode(),
            "Upplands Väsby;2024;1;Pojke;5;Så".encode(),
            b"Solna;2024;1;Pojke;5;ett " + byte + b" i text",
        ],
    )
    if bom:
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    (problem,) = refused(path)
    assert problem.rows == (4,) and problem.column == "kommentar"
    assert "sparad som UTF-8" in problem.message
    assert f"'\ufffd' där det ska stå '{meant}'" in problem.message


# --- no false alarms ---------------------------------------------------------------------------


def test_legitimate_cp1252_with_swedish_letters_and_punctuation_passes(tmp_path):
    texts = [
        "ÅÄÖ åäö é É – — ’ “citat” … 5 °C ½ § « » €",
        "PÅ… GÅ” SJÄ’ NÄ – STÅ\u00a0– SKÅ´ FÄ»",  # upper-case Å/Ä before punctuation
        "på\u00a0– här, säg ”hej” och gå – så",
    ]
    lines = [f"Solna;2024;{i};Pojke;5;{t}".encode("cp1252") for i, t in enumerate(texts)]
    raw = read_raw(befolkning(tmp_path, lines), "befolkning", CB)
    assert raw.encoding == "cp1252"
    assert list(raw.frame["kommentar"]) == texts


def test_utf8_with_everything_passes(tmp_path):
    text = "ÅÄÖ – ’ “x” 🚀 ✓ Dąbrowski"
    path = befolkning(tmp_path, [f"Solna;2024;1;Pojke;5;{text}".encode()])
    raw = read_raw(path, "befolkning", CB)
    assert raw.encoding == "utf-8" and raw.frame.at[2, "kommentar"] == text


def test_plain_cp1252_is_not_mixed():
    assert find_mixed_encoding("Föräldrastöd – ”bra” ÅÄÖ…".encode("cp1252")) is None


# --- characters the report font cannot draw ----------------------------------------------------


def test_drawable_characters_come_from_the_report_font_files():
    import matplotlib

    font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    cmap = TTFont(font).getBestCmap()
    drawable = drawable_codepoints()
    assert drawable <= set(cmap)
    assert ord("å") in drawable and ord("–") in drawable and ord("✓") in drawable
    assert 0x1F680 not in cmap and 0x1F680 not in drawable
    assert undrawable("Emoji 🚀 – åäö ✓ 中\u200d\ufe0f") == ["🚀", "中"]


# --- the validation gate through the command line ----------------------------------------------


def _example(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE_DATA_DIR, data, ignore=shutil.ignore_patterns("kartlaggning"))
    return data


def _inventory_rows(data: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.read_bytes().decode("cp1252")), delimiter=";"))


def test_cli_refuses_cp1252_inventory_with_pasted_utf8(tmp_path, capsys):
    data = _example(tmp_path)
    path = data / "insatser.csv"
    rows = _inventory_rows(path)
    insats, kommentar = rows[0].index("insats"), rows[0].index("kommentar")
    rows[3][insats] += " @dash@"  # placeholders: replaced by UTF-8 bytes below
    rows[5][kommentar] += " @quote@"
    rows[6][insats] = "Emoji @rocket@ insats"
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    raw = out.getvalue().encode("cp1252")
    for token, char in (("dash", "–"), ("quote", "’"), ("rocket", "🚀")):
        raw = raw.replace(f"@{token}@".encode(), char.encode("utf-8"))
    path.write_bytes(raw)

    report = tmp_path / "validering"
    assert main(["validate", "--data-dir", str(data), "--report-dir", str(report)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "oväntat fel" not in err
    assert "insatser.csv, kolumn 'insats', rad 4:" in err and "'â€“' där det ska stå '–'" in err
    assert "insatser.csv, kolumn 'kommentar', rad 6:" in err and "'â€™'" in err
    assert "insatser.csv, kolumn 'insats', rad 7:" in err and "'ðŸš€' där det ska stå '🚀'" in err
    assert "spara filen som UTF-8" in err
    page = (report / "index.html").read_text(encoding="utf-8")
    assert "Underkänd" in page and "â€“" in page


def test_cli_passes_utf8_inventory_with_emoji_and_warns(tmp_path, capsys, caplog):
    caplog.set_level(logging.WARNING, logger="fouanalys")
    data = _example(tmp_path)
    path = data / "insatser.csv"
    rows = _inventory_rows(path)
    insats = rows[0].index("insats")
    rows[4][insats] = "Emoji 🚀 insats"
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode("utf-8"))

    report = tmp_path / "validering"
    assert main(["validate", "--data-dir", str(data), "--report-dir", str(report)]) == 0
    assert "giltiga" in capsys.readouterr().out
    (warning,) = [m for m in caplog.messages if m.startswith("Varning")]
    assert "insatser.csv, kolumn 'insats', rad 5:" in warning
    assert "U+1F680" in warning and "DejaVu Sans" in warning
    page = (report / "index.html").read_text(encoding="utf-8")
    assert "Godkänd" in page and "1 varning, se nedan" in page
    assert "<h2>Varningar</h2>" in page and "U+1F680 ROCKET" in page
