"""Answer texts recoded to the codebook's codes (one function for CSV, xlsx and SPSS)."""

from __future__ import annotations

import pandas as pd
import pytest

from fouanalys.codebook import load_codebook
from fouanalys.ingest.answers import answer_code, answer_lookup, fold_answer, recode_answers
from fouanalys.ingest.readers import read_raw, to_typed

CB = load_codebook()
AGREE = CB.answer_scales["instammer"]
COUNT = CB.answer_scales["brott_antal"]


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("  Stämmer ganska BRA ", "stämmer ganska bra"),
        ("Stämmer\u00a0ganska  bra", "stämmer ganska bra"),
        ("1–2 gånger", "1-2 gånger"),
        ("1\u20142 GÅNGER", "1-2 gånger"),
        ("Sta\u0308mmer", "stämmer"),  # ä written as a + combining diaeresis
    ],
)
def test_fold_answer(text, folded):
    assert fold_answer(text) == folded


def test_texts_become_codes_in_scale_order():
    lookup = answer_lookup(AGREE, CB.missing_answers)
    assert [answer_code(text, lookup) for text in AGREE] == ["1", "2", "3", "4"]
    assert answer_code("stämmer\u00a0GANSKA bra", lookup) == "2"
    assert answer_code("1–2 gånger", answer_lookup(COUNT)) == "2"


@pytest.mark.parametrize("text", ["Ej svar", "vet inte", "Ska ej besvaras", "990", "999", "999,0"])
def test_no_answer_texts_and_codes_990_to_999_are_blank(text):
    assert answer_code(text, answer_lookup(AGREE, CB.missing_answers)) is None


@pytest.mark.parametrize("text", ["1", "4", "7", "0", "2.0", "989", "1000"])
def test_numbers_stay_numbers(text):
    assert answer_code(text, answer_lookup(AGREE, CB.missing_answers)) == text


def test_unknown_text_is_left_for_validation():
    assert answer_code("Stämmer helt", answer_lookup(AGREE, CB.missing_answers)) == "Stämmer helt"


def test_recode_answers_keeps_index_dtype_and_blanks():
    values = pd.Series(["Stämmer mycket dåligt", None, "2", "Vet inte", "okänt"], dtype="str")
    values.index = range(2, 7)
    out = recode_answers(values, AGREE, CB.missing_answers)
    assert out.dtype == values.dtype and list(out.index) == list(values.index)
    assert out.tolist()[0] == "4" and out.tolist()[2] == "2" and out.tolist()[4] == "okänt"
    assert out.isna().tolist() == [False, True, False, True, False]


# --- a CSV or workbook that carries answer texts in its item columns ------------------------


def _survey_file(path, rows: list[dict[str, str]]) -> None:
    if path.suffix == ".xlsx":
        pd.DataFrame(rows).to_excel(path, index=False)
    else:
        pd.DataFrame(rows).to_csv(path, index=False)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_answer_texts_type_as_codes(tmp_path, suffix):
    items = CB.survey_items()
    answers = CB.item_answers()
    base = {"ar": "2024", "Hemkommun": "Järfälla", "ARSKURS": "Åk 9", "Kön": "Flicka"}
    coded = [
        base | {item: str(1 + (i + j) % len(answers[item])) for j, item in enumerate(items)}
        for i in range(6)
    ]
    coded[0][items[0]] = ""
    texted = [dict(row) for row in coded]
    for i, row in enumerate(texted):
        for item in items[::2]:  # every other item column carries texts, the rest codes
            code = row[item]
            row[item] = answers[item][int(code) - 1] if code else "Vet inte"
        if i == 1:  # the spreadsheet's spelling: upper case, non-breaking space
            row[items[0]] = answers[items[0]][int(coded[1][items[0]]) - 1].upper()
            row[items[2]] = row[items[2]].replace(" ", "\u00a0")
    _survey_file(tmp_path / "koder.csv", coded)
    _survey_file(tmp_path / f"texter{suffix}", texted)
    expected = to_typed(read_raw(tmp_path / "koder.csv", "enkat", CB), "enkat", CB)
    got = to_typed(read_raw(tmp_path / f"texter{suffix}", "enkat", CB), "enkat", CB)
    pd.testing.assert_frame_equal(got, expected)
    assert texted[0][items[0]] == "Vet inte" and pd.isna(got.at[0, items[0]])
    row = next(i for i, r in enumerate(coded) if r["f66c"] == "2" and i != 1)
    assert texted[row]["f66c"] == "Stämmer ganska bra" and got.at[row, "f66c"] == 2
