"""Chapter 01 functions on small hand-made frames, checked against counts made by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from fouanalys.chapters import underlag
from fouanalys.exceptions import FouanalysError


def _enkat(rows: list[tuple[int, str, str, str | None, int]]) -> pd.DataFrame:
    """Typed enkat frame from (ar, kommunkod, arskurs, kon, repeat) tuples."""
    records = [
        {"ar": ar, "kommunkod": kod, "arskurs": ak, "kon": kon, "f66a": 1}
        for ar, kod, ak, kon, k in rows
        for _ in range(k)
    ]
    frame = pd.DataFrame(records)
    frame["ar"] = frame["ar"].astype("Int64")
    frame["f66a"] = frame["f66a"].astype("Int64")
    return frame


@pytest.fixture
def enkat() -> pd.DataFrame:
    return _enkat(
        [
            # 2024 Åk 9: 6 boys, 3 girls, 1 blank sex -> girls suppressed, boys too (complement)
            (2024, "0123", "Åk 9", "Pojke", 6),
            (2024, "0123", "Åk 9", "Flicka", 3),
            (2024, "0123", "Åk 9", None, 1),
            # 2024 Gy 2: 5 boys, 7 girls -> all shown (5 is not below the threshold)
            (2024, "0123", "Gy 2", "Pojke", 5),
            (2024, "0123", "Gy 2", "Flicka", 7),
            # 2022 Åk 9: 2 boys, 1 girl -> everything suppressed, the total too
            (2022, "0123", "Åk 9", "Pojke", 2),
            (2022, "0123", "Åk 9", "Flicka", 1),
            # another municipality: must not count
            (2024, "0114", "Åk 9", "Pojke", 40),
        ]
    )


def test_response_counts_exact_values_and_suppression(enkat):
    got = underlag.response_counts(enkat, "0123")
    assert list(got.columns) == ["ar", "arskurs", "kon", "n", "suppressed"]
    expected = [
        (2022, "Åk 9", "Pojke", None, True),
        (2022, "Åk 9", "Flicka", None, True),
        (2022, "Åk 9", "Alla", None, True),
        (2024, "Åk 9", "Pojke", None, True),  # 6, suppressed so that 10 - 6 cannot give girls
        (2024, "Åk 9", "Flicka", None, True),
        (2024, "Åk 9", "Alla", 10, False),  # the true total, blank sex included
        (2024, "Gy 2", "Pojke", 5, False),
        (2024, "Gy 2", "Flicka", 7, False),
        (2024, "Gy 2", "Alla", 12, False),
    ]
    rows = [
        (int(r.ar), r.arskurs, r.kon, None if pd.isna(r.n) else int(r.n), bool(r.suppressed))
        for r in got.itertuples()
    ]
    assert rows == expected
    assert str(got["n"].dtype) == "Int64"


def test_response_counts_threshold_is_a_parameter(enkat):
    got = underlag.response_counts(enkat, "0123", threshold=3)
    ak9 = got[(got["ar"] == 2024) & (got["arskurs"] == "Åk 9")].set_index("kon")
    # 6 and 3 are not below 3, but 10 − 6 − 3 = 1 (blank sex) is: one of the three goes
    assert ak9["suppressed"].sum() == 1
    assert ak9.loc["Flicka", "suppressed"]  # the smallest part
    assert ak9.loc["Pojke", "n"] == 6 and ak9.loc["Alla", "n"] == 10
    # 2022 Åk 9: girls (1) below 3, boys (2) below 3, total 3 not below 3
    ak9_2022 = got[(got["ar"] == 2022)].set_index("kon")
    assert ak9_2022["suppressed"].to_dict() == {"Pojke": True, "Flicka": True, "Alla": False}
    assert ak9_2022.loc["Alla", "n"] == 3


@pytest.mark.parametrize("other", [1, 2, 3, 4])
def test_a_remainder_of_other_sex_is_never_printed_by_subtraction(other):
    # Sundbyberg 2018 gymnasiet år 2 in the old example: Alla − Pojkar − Flickor = 2
    enkat = _enkat(
        [
            (2018, "0183", "Gy 2", "Pojke", 210),
            (2018, "0183", "Gy 2", "Flicka", 190),
            (2018, "0183", "Gy 2", None, other),
        ]
    )
    table = underlag.response_counts_table(underlag.response_counts(enkat, "0183"))
    row = table.iloc[0]
    printed = [row[c] for c in ("Pojkar", "Flickor", "Alla")]
    assert "–" in printed
    numbers = [int(v.replace("\u202f", "")) for v in printed if v != "–"]
    assert len(numbers) == 2 and numbers != [210, 190]  # not both parts beside the total


def test_response_counts_no_rows_for_municipality(enkat):
    got = underlag.response_counts(enkat, "0191")
    assert got.empty
    assert list(got.columns) == ["ar", "arskurs", "kon", "n", "suppressed"]
    assert underlag.response_counts_table(got).empty


def test_response_counts_table_labels_and_dashes(enkat):
    table = underlag.response_counts_table(underlag.response_counts(enkat, "0123"))
    assert list(table.columns) == ["År", "Årskurs", "Pojkar", "Flickor", "Alla"]
    assert table.to_dict("records") == [
        {"År": "2022", "Årskurs": "Årskurs 9", "Pojkar": "–", "Flickor": "–", "Alla": "–"},
        {"År": "2024", "Årskurs": "Årskurs 9", "Pojkar": "–", "Flickor": "–", "Alla": "10"},
        {"År": "2024", "Årskurs": "Gymnasiet år 2", "Pojkar": "5", "Flickor": "7", "Alla": "12"},
    ]


def _insatser() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kommunkod": ["0123", "0123", "0123", "0123", "0114"],
            "insats": ["A", "B", "C", "D", "E"],
            "niva": ["förebygga", "förebygga", "förhindra", "förebygga", "riskreducera"],
            "status": ["pågående", "pågående", "planerad", "avslutad", "pågående"],
        }
    )


def test_inventory_by_level_counts_and_all_levels():
    got = underlag.inventory_by_level(_insatser(), "0123")
    assert list(got.columns) == ["Nivå", "Pågående", "Planerad", "Avslutad", "Totalt"]
    assert got.to_dict("records") == [
        {"Nivå": "Förebygga", "Pågående": 2, "Planerad": 0, "Avslutad": 1, "Totalt": 3},
        {"Nivå": "Förhindra", "Pågående": 0, "Planerad": 1, "Avslutad": 0, "Totalt": 1},
        {"Nivå": "Riskreducera", "Pågående": 0, "Planerad": 0, "Avslutad": 0, "Totalt": 0},
    ]


def test_inventory_by_level_empty_municipality_has_three_zero_rows():
    got = underlag.inventory_by_level(_insatser(), "0191")
    assert list(got["Nivå"]) == ["Förebygga", "Förhindra", "Riskreducera"]
    assert got["Totalt"].tolist() == [0, 0, 0]


def _befolkning() -> pd.DataFrame:
    rows = []
    for ar in (2023, 2024):
        for alder in range(26):
            for kon in ("Pojke", "Flicka"):
                if ar == 2024 and alder == 3 and kon == "Flicka":
                    continue  # a missing row is a zero
                rows.append(("0123", ar, alder, kon, ar - 2000 + alder))
    rows.append(("0114", 2025, 0, "Pojke", 999))
    frame = pd.DataFrame(rows, columns=["kommunkod", "ar", "alder", "kon", "antal"])
    return frame.astype({"ar": "Int64", "alder": "Int64", "antal": "Int64"})


def test_population_pyramid_latest_year_by_default():
    got = underlag.population_pyramid(_befolkning(), "0123")
    assert list(got.columns) == ["ar", "alder", "kon", "antal"]
    assert len(got) == 52
    assert set(got["ar"]) == {2024}  # 2025 belongs to another municipality
    indexed = got.set_index(["alder", "kon"])["antal"]
    assert indexed[(10, "Pojke")] == 34
    assert indexed[(3, "Flicka")] == 0
    assert got["antal"].sum() == 2 * sum(24 + a for a in range(26)) - (24 + 3)


def test_population_pyramid_given_year_and_errors():
    got = underlag.population_pyramid(_befolkning(), "0123", year=2023)
    assert got.set_index(["alder", "kon"])["antal"][(0, "Flicka")] == 23
    with pytest.raises(FouanalysError, match="år 2019"):
        underlag.population_pyramid(_befolkning(), "0123", year=2019)
    with pytest.raises(FouanalysError, match="0191"):
        underlag.population_pyramid(_befolkning(), "0191")


MANIFEST = {
    "created": "2026-11-26T09:15:00+00:00",
    "package_version": "0.1.0",
    "codebook_version": "2026.11.1",
    "synthetic": True,
    "data_version": "abcdef123456",
    "inputs": {
        "befolkning": {"path": "/data/befolkning.xlsx", "rows": 416, "sha256": "b" * 64},
        "enkat": {
            "path": "/data/enkat.csv",
            "rows": 1200,
            "sha256": "0123456789abcdef" * 4,
            "encoding": "cp1252",
            "delimiter": ";",
        },
    },
    "validation": {"ok": True, "problems": [], "report": "reports/validation/index.html"},
    "tables": {"enkat": {"file": "enkat.parquet", "rows": 1200, "sha256": "c" * 64}},
}


def test_input_summary():
    got = underlag.input_summary(MANIFEST)
    # the checksums are printed once, in the provenance block, not here as well
    assert list(got.columns) == ["Underlag", "Fil", "Rader", "Format/Kodning"]
    assert got["Fil"].tolist() == ["enkat.csv", "befolkning.xlsx"]  # enkat listed first
    assert got["Rader"].tolist() == [1200, 416]
    assert got["Format/Kodning"].tolist() == ["CSV, Windows-1252, avgränsare ';'", "Excel (xlsx)"]
    gz = {"inputs": {"enkat": {"path": "/d/enkat.csv.gz", "format": "csv", "encoding": "utf-8"}}}
    assert underlag.input_summary(gz)["Format/Kodning"].tolist() == ["CSV (gzip), UTF-8"]


def test_validation_summary_and_text():
    got = underlag.validation_summary(MANIFEST)
    values = dict(zip(got["Uppgift"], got["Värde"], strict=True))
    assert values["Validering"] == "godkänd"
    assert values["Antal problem"] == "0"
    assert values["Dataversion"] == "abcdef123456"
    assert values["Bearbetad"] == "2026-11-26 09:15 UTC"
    assert values["Syntetiska exempeldata"] == "ja"
    assert "Alla 2 indatafiler" in underlag.validation_text(MANIFEST)
    assert underlag.validation_problems(MANIFEST).empty

    failed = {
        **MANIFEST,
        "validation": {
            "ok": False,
            "problems": [
                {"file": "enkat.csv", "column": "Kön", "rows": [3, 7], "message": "okänt kön"}
            ],
        },
    }
    problems = underlag.validation_problems(failed)
    assert problems.to_dict("records") == [
        {"Fil": "enkat.csv", "Kolumn": "Kön", "Rader": "3, 7", "Problem": "okänt kön"}
    ]
    assert "1 problem" in underlag.validation_text(failed)
    assert (
        dict(zip(*underlag.validation_summary(failed).T.values, strict=True))["Validering"]
        == "underkänd"
    )


def test_processed_tables_are_listed_by_their_swedish_names():
    manifest = {
        **MANIFEST,
        "tables": {
            "enkat": {"rows": 1200},
            "priority_factors": {"rows": 256},
            "factor_coverage": {"rows": 9603},
        },
    }
    summary = dict(zip(*underlag.validation_summary(manifest).T.values, strict=True))
    assert summary["Bearbetade tabeller"] == (
        "Enkätsvar (1\u202f200 rader), Prioriterade faktorer (256 rader), "
        "Täckning per faktor (9\u202f603 rader)"
    )
