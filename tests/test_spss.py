"""SPSS files (.sav) as the survey input: value labels applied, items recoded from their texts,
the same validation and the same processed tables as the CSV of the same answers."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from fouanalys.build import cache
from fouanalys.cli import main
from fouanalys.codebook import load_codebook
from fouanalys.config import EXAMPLE_DATA_DIR
from fouanalys.exceptions import InputError
from fouanalys.ingest import readers
from fouanalys.ingest.processing import load_table, process
from fouanalys.ingest.readers import find_input, read_raw, to_typed
from fouanalys.ingest.spss import UNLABELLED
from fouanalys.ingest.validation import validate_data_dir

CB = load_codebook()
ANSWERS = CB.item_answers()
GROUP = ["ar", "Hemkommun", "ARSKURS", "Kön"]
#: SPSS's own numbering of the answer "no answer" texts, unlike the codebook's.
DONT_KNOW, NO_ANSWER = 99.0, 999.0


def survey_sample(per_group: int = 10) -> pd.DataFrame:
    """Up to ``per_group`` respondents of every year × municipality × grade × sex of the example
    survey (about 2 700 rows), as the CSV's texts (blank = "")."""
    survey = pd.read_csv(
        EXAMPLE_DATA_DIR / "enkat.csv.gz", dtype=str, keep_default_na=False, na_filter=False
    )
    return survey.groupby(GROUP, sort=False).head(per_group).reset_index(drop=True)


def spss_labels(item: str) -> dict[float, str]:
    """An item's value labels as another export might number them: the codebook's code k is
    SPSS code n − k (0..n−1, in reverse), and "no answer" is 99 or 999. Some texts are spelled
    as a spreadsheet might: en dash, non-breaking space, other letter case."""
    texts = ANSWERS[item]
    n = len(texts)
    labels = {float(n - k): text for k, text in enumerate(texts, start=1)}
    if item.startswith("f54"):
        labels = {code: text.replace(" ", "\u00a0").upper() for code, text in labels.items()}
    labels = {code: text.replace("-", "–") for code, text in labels.items()}
    return labels | {DONT_KNOW: "Vet inte", NO_ANSWER: "Ej svar"}


def spss_frame(sample: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, dict]]:
    """The sample as an SPSS export holds it: numbers with value labels for the items,
    municipality, grade and sex; a blank item answer is 99, 999 or empty in turn."""
    out: dict[str, pd.Series] = {}
    labels: dict[str, dict] = {}
    for column in sample.columns:
        text = sample[column]
        if column in ANSWERS:
            n = len(ANSWERS[column])
            codes = n - pd.to_numeric(text.replace("", None)).astype("float64")
            blank = codes.isna().to_numpy()
            turn = np.arange(len(codes)) % 3
            codes[blank & (turn == 0)] = DONT_KNOW
            codes[blank & (turn == 1)] = NO_ANSWER
            out[column], labels[column] = codes, spss_labels(column)
        elif column == "Hemkommun":
            lookup = {m.name: float(m.code) for m in CB.municipalities}
            out[column] = text.map(lookup)
            labels[column] = {code: name for name, code in lookup.items()}
        elif column == "ARSKURS":
            out[column] = text.map({"Åk 9": 9.0, "Gy 2": 11.0})
            labels[column] = {9.0: "Åk 9", 11.0: "Gy 2"}
        elif column == "Kön":
            sexes = {"Pojke": 1.0, "Flicka": 2.0, "Annat": 3.0, "Vill inte svara": 4.0}
            out[column] = text.map(sexes).fillna(NO_ANSWER)
            labels[column] = {code: sex for sex, code in sexes.items()} | {NO_ANSWER: "Ej svar"}
        elif column == "ar":
            out[column] = text.astype("float64")
        else:
            out[column] = text
    return pd.DataFrame(out), labels


def data_folder(root: Path) -> Path:
    """A data folder with the example's other inputs (not marked synthetic)."""
    root.mkdir(parents=True)
    for name in ("insatser.csv", "befolkning.csv", "kolada.csv"):
        shutil.copy(EXAMPLE_DATA_DIR / name, root / name)
    return root


def write_sav(path: Path, frame: pd.DataFrame, labels: dict[str, dict]) -> Path:
    pyreadstat.write_sav(frame, path, variable_value_labels=labels)
    return path


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """The same respondents as enkat.csv and as enkat.sav, each folder processed into a
    temporary folder: ``{"csv"|"sav": (manifest, processed folder)}``, plus the data folders."""
    root = tmp_path_factory.mktemp("spss")
    sample = survey_sample()
    csv_dir = data_folder(root / "csv")
    sample.to_csv(csv_dir / "enkat.csv", index=False)
    sav_dir = data_folder(root / "sav")
    write_sav(sav_dir / "enkat.sav", *spss_frame(sample))
    out = {"root": root, "dirs": {"csv": csv_dir, "sav": sav_dir}, "sample": sample}
    for fmt, folder in out["dirs"].items():
        processed = root / f"processed-{fmt}"
        manifest = process(folder, processed, codebook=CB, report_dir=root / f"report-{fmt}")
        out[fmt] = (manifest, processed)
    return out


def test_sample_spans_every_group(pair):
    sample = pair["sample"]
    assert sample["Hemkommun"].nunique() == len(CB.municipalities)
    assert set(sample["ar"]) == {str(y) for y in CB.survey.years}
    assert set(sample["ARSKURS"]) == {"Åk 9", "Gy 2"}
    assert {"Pojke", "Flicka", "Annat", "Vill inte svara", ""} <= set(sample["Kön"])


@pytest.mark.parametrize("table", ["enkat", "prevalence", "levels", "priorities"])
def test_sav_processes_as_the_csv(pair, table):
    sav, csv = (load_table(table, pair[fmt][1]) for fmt in ("sav", "csv"))
    assert len(csv) > 0
    pd.testing.assert_frame_equal(sav, csv)


def test_every_processed_table_is_the_same(pair):
    tables = {fmt: pair[fmt][0]["tables"] for fmt in ("sav", "csv")}
    assert tables["sav"].keys() == tables["csv"].keys()
    for name in tables["csv"]:
        sav, csv = (load_table(name, pair[fmt][1]) for fmt in ("sav", "csv"))
        pd.testing.assert_frame_equal(sav, csv, obj=name)


def test_manifest_records_the_sav_and_a_rebuild_reuses_it(pair):
    manifest, processed = pair["sav"]
    assert manifest["inputs"]["enkat"]["file"] == "enkat.sav"
    assert manifest["inputs"]["enkat"]["format"] == "sav"
    assert cache.current_manifest(pair["dirs"]["sav"], processed) is not None


def test_report_names_the_format_and_spss_rows(pair):
    page = (pair["root"] / "report-sav" / "index.html").read_text(encoding="utf-8")
    assert "enkat.sav" in page and "<td>sav</td>" in page
    assert "rad 2 det första fallet: rad n är fall n − 1 i SPSS" in page


def test_raw_sav_cells_are_label_texts_and_codes(pair):
    raw = read_raw(pair["dirs"]["sav"] / "enkat.sav", "enkat", CB)
    assert raw.format == "sav" and raw.encoding and raw.delimiter is None
    assert list(raw.frame.index[:2]) == [2, 3]  # case 1 is row 2, as in the CSV
    assert set(raw.frame["ARSKURS"].dropna()) == {"Åk 9", "Gy 2"}
    assert "Järfälla" in set(raw.frame["Hemkommun"])
    assert set(raw.frame["f66c"].dropna()) == {"1", "2", "3", "4"}


# --- two formats of one input, and the build's cache --------------------------------------------


def test_sav_beside_csv_is_two_candidates(pair, tmp_path):
    folder = tmp_path / "both"
    shutil.copytree(pair["dirs"]["sav"], folder)
    shutil.copy(pair["dirs"]["csv"] / "enkat.csv", folder / "enkat.csv")
    with pytest.raises(InputError) as info:
        find_input(folder, "enkat")
    assert "enkat.csv" in info.value.problem.message and "enkat.sav" in info.value.problem.message
    assert find_input(pair["dirs"]["sav"], "enkat").name == "enkat.sav"


def test_missing_input_names_sav_among_the_formats(tmp_path):
    with pytest.raises(InputError) as info:
        find_input(tmp_path, "enkat")
    assert "enkat.sav" in info.value.problem.message and "enkat.sav" in info.value.problem.expected


def test_build_cache_looks_for_the_same_endings_as_the_readers():
    assert cache.RAW_ENDINGS == readers.SUFFIXES


# --- problems a researcher can act on -----------------------------------------------------------


def small_spss(rows: int = 12) -> tuple[pd.DataFrame, dict[str, dict]]:
    """A few valid respondents as an SPSS frame with labels (every item answered)."""
    sample = survey_sample(per_group=1).head(rows).copy()
    for item in ANSWERS:
        sample[item] = "1"
    return spss_frame(sample)


def validate_sav(tmp_path: Path, frame: pd.DataFrame, labels: dict[str, dict]):
    folder = data_folder(tmp_path / "data")
    write_sav(folder / "enkat.sav", frame, labels)
    report, frames = validate_data_dir(folder, codebook=CB, report_dir=tmp_path / "report")
    return folder, report, frames


def enkat_problems(report) -> list:
    return [p for p in report.problems if p.file == "enkat.sav"]


def test_unknown_label_names_file_column_value_rows_and_answers(tmp_path):
    frame, labels = small_spss()
    frame.loc[[2, 5], "f66c"] = 7.0
    labels["f66c"] = labels["f66c"] | {7.0: "Stämmer helt"}
    _, report, frames = validate_sav(tmp_path, frame, labels)
    assert frames == {}
    [problem] = enkat_problems(report)
    assert (problem.column, problem.rows, problem.values) == ("f66c", (4, 7), ("Stämmer helt",))
    assert "kodboken" in problem.message
    for answer in ANSWERS["f66c"]:
        assert f"'{answer}'" in problem.expected
    assert "'Ej svar'" in problem.expected and "990–999" in problem.expected
    text = str(problem)
    assert text.startswith("enkat.sav, kolumn 'f66c', rader 4, 7: ")


def test_unlabelled_code_in_a_labelled_item_is_not_taken_as_the_codebooks(tmp_path):
    frame, labels = small_spss()
    frame.loc[3, "f66d"] = 1.5  # between SPSS's labelled 0..3
    frame.loc[4, "f66d"] = 996.0  # a no-answer code without a label: blank
    _, report, _ = validate_sav(tmp_path, frame, labels)
    [problem] = enkat_problems(report)
    assert (problem.column, problem.rows) == ("f66d", (5,))
    assert problem.values == (f"1.5{UNLABELLED}",)


def test_code_above_the_items_answers_is_out_of_range(tmp_path):
    frame, labels = small_spss()
    del labels["f66g"]  # no labels: the numbers are the codebook's codes, as in a CSV
    frame["f66g"] = 1.0
    frame.loc[6, "f66g"] = 5.0
    frame.loc[7, "f66g"] = 999.0
    _, report, _ = validate_sav(tmp_path, frame, labels)
    [problem] = enkat_problems(report)
    assert (problem.column, problem.rows, problem.values) == ("f66g", (8,), ("5",))
    assert "utanför" in problem.message and problem.expected.startswith("heltal 1–4")


def test_sav_without_a_required_column(tmp_path):
    frame, labels = small_spss()
    frame = frame.drop(columns="ARSKURS")
    del labels["ARSKURS"]
    _, report, _ = validate_sav(tmp_path, frame, labels)
    [problem] = enkat_problems(report)
    assert problem.column == "ARSKURS" and "saknas" in problem.message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"ar;Hemkommun;ARSKURS\r\n2024;0123;9\r\n", "ingen SPSS-fil"),
        (b"PK\x03\x04 not really a workbook", "ingen SPSS-fil"),
        (None, "kan inte läsas"),  # an SPSS file cut short
    ],
    ids=["csv-text", "zip", "truncated"],
)
def test_not_an_spss_file_named_sav(tmp_path, content, message):
    folder = data_folder(tmp_path / "data")
    if content is None:
        write_sav(tmp_path / "whole.sav", *small_spss())
        content = (tmp_path / "whole.sav").read_bytes()[:300]
    (folder / "enkat.sav").write_bytes(content)
    with pytest.raises(InputError) as info:
        read_raw(folder / "enkat.sav", "enkat", CB)
    assert info.value.problem.file == "enkat.sav" and message in info.value.problem.message
    report, _ = validate_data_dir(folder, codebook=CB, report_dir=tmp_path / "report")
    assert [p.file for p in report.problems] == ["enkat.sav"]


def test_spss_content_under_a_csv_name_is_read_as_spss(tmp_path):
    write_sav(tmp_path / "enkat.csv", *small_spss())
    raw = read_raw(tmp_path / "enkat.csv", "enkat", CB)
    assert raw.format == "sav"
    assert to_typed(raw, "enkat", CB)["f66c"].tolist() == [1] * len(raw.frame)


@pytest.mark.parametrize("case", ["not-spss", "unknown-label", "missing-column"])
def test_cli_validate_exits_1_without_traceback(tmp_path, capsys, case):
    folder = data_folder(tmp_path / "data")
    frame, labels = small_spss()
    if case == "not-spss":
        (folder / "enkat.sav").write_text("ar,Hemkommun\n2024,Järfälla\n", encoding="utf-8")
        expected = ["enkat.sav", "ingen SPSS-fil"]
    elif case == "unknown-label":
        frame.loc[0, "f66c"] = 7.0
        labels["f66c"] = labels["f66c"] | {7.0: "Stämmer helt"}
        write_sav(folder / "enkat.sav", frame, labels)
        expected = ["enkat.sav", "f66c", "rad 2", "'Stämmer helt'", "Stämmer ganska bra"]
    else:
        del labels["Hemkommun"]
        write_sav(folder / "enkat.sav", frame.drop(columns="Hemkommun"), labels)
        expected = ["enkat.sav", "Hemkommun", "saknas"]
    argv = ["validate", "--data-dir", str(folder), "--report-dir", str(tmp_path / "report")]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for fragment in expected:
        assert fragment in err, err
