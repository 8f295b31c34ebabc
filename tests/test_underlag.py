"""Chapter 01 functions on small hand-made frames, checked against counts made by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from fouanalys.chapters import underlag
from fouanalys.exceptions import FouanalysError
from fouanalys.ingest.catalog import municipality_manifest


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
    manifest = {
        **MANIFEST,
        "inputs": {
            "befolkning": MANIFEST["inputs"]["befolkning"]
            | {"file": "befolkning.xlsx", "municipality_rows": {"0123": 52, "0125": 364}},
            "enkat": MANIFEST["inputs"]["enkat"]
            | {"file": "enkat.csv", "municipality_rows": {"0125": 1200}},
        },
    }
    got = underlag.input_summary(municipality_manifest(manifest, "0123"))
    # the checksums are printed once, in the provenance block, not here as well
    assert list(got.columns) == ["Underlag", "Fil", "Kommunens rader", "Format/Kodning"]
    assert got["Fil"].tolist() == ["enkat.csv", "befolkning.xlsx"]  # enkat listed first
    assert got["Kommunens rader"].tolist() == [0, 52]  # the municipality's rows, not the file's
    assert got["Format/Kodning"].tolist() == ["CSV, Windows-1252, avgränsare ';'", "Excel (xlsx)"]
    gz = {"inputs": {"enkat": {"path": "/d/enkat.csv.gz", "format": "csv", "encoding": "utf-8"}}}
    assert underlag.input_summary(gz)["Format/Kodning"].tolist() == ["CSV (gzip), UTF-8"]


def test_validation_summary_and_text():
    got = underlag.validation_summary(MANIFEST)
    values = dict(zip(got["Uppgift"], got["Värde"], strict=True))
    assert values["Validering"] == "godkänd"
    assert values["Antal problem"] == "0"
    assert values["Syntetiska exempeldata"] == "ja"
    assert values["Paketversion (fouanalys)"] == "0.1.0"
    # Nothing another municipality's data change: those are in the provenance block.
    assert "Dataversion" not in values and "Bearbetad" not in values
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
        "Enkätsvar, Prioriterade faktorer, Täckning per faktor"
    )


# --- Vem svarade? the response rate, the exclusions and the missing answers -----------------

FEW = "färre\u00a0än\u00a05"


def _response(rows: list[tuple], code: str = "0123") -> pd.DataFrame:
    """A processed response table from (year, grade, enrolled, respondents, excluded) rows;
    kept and the rate (kept / enrolled) follow."""
    frame = pd.DataFrame(rows, columns=["year", "grade", "enrolled", "respondents", "excluded"])
    frame.insert(0, "municipality_code", code)
    for column in ("enrolled", "respondents", "excluded"):
        frame[column] = frame[column].astype("Int64")
    frame["kept"] = frame["respondents"] - frame["excluded"]
    frame["response_rate"] = (frame["kept"] / frame["enrolled"]).astype("Float64")
    return frame


def test_a_small_exclusion_reads_fewer_than_five_and_hides_the_respondents_not_the_kept():
    response = _response(
        [
            (2024, "Åk 9", 120, 100, 3),
            (2024, "Gy 2", 100, 80, 7),
            (2024, "Alla", 220, 180, 10),
            (2022, "Åk 9", 110, 90, 0),
            (2022, "Gy 2", 95, 70, 5),
            (2022, "Alla", 205, 160, 5),
        ]
    )
    rates = underlag.response_rates(response, "0123")
    shown = underlag.response_rate_table(rates)
    assert list(shown.columns) == [
        "År", "Årskurs", "Elever", "Svarande", "Uteslutna", "Med i analysen", "Svarsfrekvens",
    ]  # fmt: skip
    rows = shown.to_dict("records")
    # 3 excluded in åk 9: "färre än 5"; the kept (published as every share's base) stay, so
    # the respondents go, and so do gy 2's exclusions and respondents (10 − 7 would give 3)
    assert rows[0] == {
        "År": "2024", "Årskurs": "Årskurs 9", "Elever": "120", "Svarande": "–",
        "Uteslutna": FEW, "Med i analysen": "97", "Svarsfrekvens": "81\u00a0%",
    }  # fmt: skip
    assert (rows[1]["Svarande"], rows[1]["Uteslutna"], rows[1]["Med i analysen"]) == (
        "–", "–", "73",
    )  # fmt: skip
    assert rows[2] == {
        "År": "2024", "Årskurs": "Båda årskurserna", "Elever": "220", "Svarande": "180",
        "Uteslutna": "10", "Med i analysen": "170", "Svarsfrekvens": "77\u00a0%",
    }  # fmt: skip
    # 2022: 0 and 5 are no small groups, everything is shown
    assert [r["Uteslutna"] for r in rows[3:]] == ["0", "5", "5"]
    assert [r["Svarande"] for r in rows[3:]] == ["90", "70", "160"]
    # nothing printed gives a count of 1–4 by subtraction within a row
    for r in rows:
        numbers = [r[c] for c in ("Svarande", "Uteslutna", "Med i analysen")]
        if all(n.isdigit() for n in numbers):
            assert int(numbers[0]) - int(numbers[2]) == int(numbers[1])


def test_kept_respondents_hidden_in_the_counts_table_stay_hidden_with_their_rate(enkat):
    counts = underlag.response_counts(enkat, "0123")  # 2022 åk 9: 3 respondents, all hidden
    response = _response(
        [(2022, "Åk 9", 40, 3, 0), (2022, "Gy 2", 30, 20, 0), (2022, "Alla", 70, 23, 0)]
    )
    rates = underlag.response_rates(response, "0123", counts)
    assert rates["kept_suppressed"].tolist()[:1] == [True]
    shown = underlag.response_rate_table(rates).to_dict("records")
    assert shown[0]["Med i analysen"] == FEW and shown[0]["Svarsfrekvens"] == "–"
    assert shown[0]["Svarande"] == FEW
    # gy 2's kept are printed in the counts table, so the total goes: 23 − 20 would give 3
    assert (shown[1]["Med i analysen"], shown[2]["Med i analysen"]) == ("20", "–")
    assert shown[2]["Svarsfrekvens"] == "–"


def test_without_enrolment_the_table_has_no_rate_and_the_text_says_why():
    response = _response([(2024, "Åk 9", None, 50, 0), (2024, "Gy 2", None, 40, 0),
                          (2024, "Alla", None, 90, 0)])  # fmt: skip
    rates = underlag.response_rates(response, "0123")
    shown = underlag.response_rate_table(rates)
    assert list(shown.columns) == ["År", "Årskurs", "Svarande", "Uteslutna", "Med i analysen"]
    text = underlag.response_rate_text(rates, "Järfälla", None)
    assert "kan inte räknas ut" in text and "`elever.csv`" in text
    assert "Järfälla" in underlag.response_rate_text(rates, "Järfälla", "elever.csv")
    assert "Svarsfrekvens" not in underlag.response_rate_note(shown)
    # with the file but no row for one grade: that grade's rate and the total's are "saknas"
    partial = _response([(2024, "Åk 9", 60, 50, 0), (2024, "Gy 2", None, 40, 0),
                         (2024, "Alla", None, 90, 0)])  # fmt: skip
    shown = underlag.response_rate_table(underlag.response_rates(partial, "0123"))
    assert shown["Elever"].tolist() == ["60", "saknas", "saknas"]
    assert shown["Svarsfrekvens"].tolist() == ["83\u00a0%", "saknas", "saknas"]
    with_file = underlag.response_rate_text(underlag.response_rates(partial, "0123"), "J", "e.csv")
    assert "med i analysen delat med antalet elever i `e.csv`" in with_file


def test_the_rule_is_stated_with_the_codebooks_answers_and_thresholds(codebook):
    text = underlag.unserious_rule_text(codebook)
    assert "minst 20 av de 39 påståendena" in text
    assert "antingen ”Stämmer mycket bra” eller ”Stämmer mycket dåligt”" in text
    assert "”Mer än 10 gånger” på minst 8 av de 11 frågorna om brott" in text
    assert "påhittad drog" in text
    none = codebook.model_copy(update={"unserious": None})
    assert "alla svar räknas" in underlag.unserious_rule_text(none)


def test_too_few_answers_per_index_protects_a_small_group(codebook):
    def cell(factor, n, missing, suppressed=False, year=2024, code="0123"):
        return {"municipality_code": code, "year": year, "grade": "Alla", "sex": "Alla",
                "factor": factor, "n": n, "missing": missing, "suppressed": suppressed}  # fmt: skip

    prevalence = pd.DataFrame(
        [
            cell("impulsivitet", 100, 3),  # 3 of 103: a small group, "under 5 %"
            cell("kamrater_normbrott", 90, 10),  # 10 %
            cell("bristande_tillsyn", None, None, suppressed=True),
            cell("kriminalitet", 200, 0),  # 0 %
            cell("impulsivitet", 50, 50, year=2022),
            cell("impulsivitet", 10, 0, code="0114", year=2026),
        ]
    ).astype({"n": "Int64", "missing": "Int64"})
    assert underlag.latest_year(prevalence, "0123") == 2024
    assert underlag.latest_year(prevalence, "0191") is None
    got = underlag.too_few_answers(prevalence, "0123", 2024, codebook)
    assert list(got.columns) == ["Index", "Slag", "Krävs", "För få svar"]
    assert got.to_dict("list") == {
        "Index": [codebook.index(f).label for f in
                  ("impulsivitet", "kamrater_normbrott", "bristande_tillsyn", "kriminalitet")],
        "Slag": ["Risk", "Risk", "Risk", "Utfall"],
        "Krävs": ["5 av 9 frågor", "4 av 6 frågor", "5 av 6 frågor", "8 av 11 frågor"],
        "För få svar": ["under\u00a05\u00a0%", "10\u00a0%", "–", "0\u00a0%"],
    }  # fmt: skip


@pytest.fixture(scope="module")
def example_processed(tmp_path_factory, codebook):
    """The example's processed tables twice: as the build makes them, and as they are without
    an enrolment file."""
    from support import example_tables, synthetic_manifest

    from fouanalys.ingest.processing import write_tables
    from fouanalys.response import response_table, unserious

    root = tmp_path_factory.mktemp("underlag")
    tables = example_tables(codebook)
    manifest = synthetic_manifest(codebook) | {
        "inputs": {"elever": {"file": "elever.csv", "rows": len(tables["elever"])}}
    }
    write_tables(tables, root / "with", manifest)
    enkat = tables["enkat"]
    without = {k: v for k, v in tables.items() if k != "elever"}
    without["response"] = response_table(enkat, unserious(enkat, codebook), codebook)
    write_tables(without, root / "without", synthetic_manifest(codebook))
    return root


@pytest.mark.slow
def test_notebook_shows_who_answered(tmp_path, example_processed):
    from support import run_chapter

    from fouanalys.build import audit
    from fouanalys.config import NOTEBOOKS_DIR

    out = tmp_path / "01_underlag.ipynb"
    run = run_chapter(
        NOTEBOOKS_DIR / "01_underlag.ipynb", out, municipality="Ekerö",
        processed_dir=str(example_processed / "with"),
    )  # fmt: skip
    assert "## Vem svarade?" in "".join(c.source for c in run.notebook.cells)
    text = run.text
    assert "Svarsfrekvensen</strong> är" in text or "**Svarsfrekvensen** är" in text
    assert "Inskrivna elever, svarande och uteslutna svar i Ekerö per år och årskurs" in text
    assert "Svar som inte räknas" in text and "minst 20 av de 39" in text
    assert "Andel elever med för få svar per index i Ekerö 2024" in text
    published = {t.caption: t for t in audit.published_tables(out)}
    rates = published["Inskrivna elever, svarande och uteslutna svar i Ekerö per år och årskurs"]
    assert rates.header[-1] == "Svarsfrekvens" and len(rates.rows) == 4 * 3
    assert any(FEW in row for row in rates.rows)  # Ekerö excludes 1–4 in most grades
    assert audit.audit_notebooks([("01", out)]) == []
    # the kept respondents of the counts table are those of the response table
    counts = published["Svarande i Ekerö per år, årskurs och kön"]
    kept = {(r[0], r[1]): r[5] for r in rates.rows}
    for row in counts.rows:
        assert row[4] in ("–", kept[(row[0], row[1])])

    run = run_chapter(
        NOTEBOOKS_DIR / "01_underlag.ipynb", tmp_path / "utan.ipynb", municipality="Ekerö",
        processed_dir=str(example_processed / "without"),
    )  # fmt: skip
    assert "Svarsfrekvensen kan inte räknas ut" in run.text and "elever.csv" in run.text
