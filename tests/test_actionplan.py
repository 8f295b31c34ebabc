"""The action-plan workbook: its rows checked cell by cell on a hand-made case, the workbook read
back with openpyxl, the example's row counts against an independent count, and the build's
workbooks in the test run's full build."""

from __future__ import annotations

import re
import shutil

import openpyxl
import pandas as pd
import pytest
from support import example_tables, insatser_frame, intervention, write_example_processed

from fouanalys.build import actionplan
from fouanalys.build.actionplan import action_plan_rows, write_action_plan, write_action_plans
from fouanalys.build.runner import format_summary
from fouanalys.codebook import load_codebook
from fouanalys.config import ACTION_PLAN_FILE
from fouanalys.knowledge import EFFECT_LEVELS
from fouanalys.present.labels import EFFECT_LABELS

CB = load_codebook()
NBSP = "\u00a0"

HEADER = [
    "Prioriterad faktor",
    "Risk/skydd",
    "Livsskede",
    "Status",
    "Insatser i dag",
    "Arbetssätt som passar",
    "Beslut",
    "Åtgärd",
    "Ansvarig",
    "Tidplan",
    "Uppföljning",
]


def _gaps() -> pd.DataFrame:
    """Two prioritised factors of Järfälla over their stages, and one row of Ekerö."""
    rows = [
        ("0123", "kamrater_normbrott", "risk", "13-15", 1, "tunn"),
        ("0123", "kamrater_normbrott", "risk", "16-18", 1, "finns"),
        ("0123", "kamrater_normbrott", "risk", "19-25", 1, "saknas"),
        ("0123", "skolanknytning", "protective", "6-12", 2, "tunn"),
        ("0123", "skolanknytning", "protective", "13-15", 2, "okänd"),
        ("0125", "impulsivitet", "risk", "13-15", 1, "saknas"),
    ]
    frame = pd.DataFrame(
        rows, columns=["municipality_code", "factor", "kind", "stage", "rank", "status"]
    )
    return frame.assign(year=2024)


def _approaches() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "approach_id": ["mentorskap", "mst", "fokuserad", "antimobbning"],
            "namn": [
                "Mentorskap",
                "Multisystemisk terapi (MST)",
                "Fokuserad avskräckning",
                "Antimobbningsprogram",
            ],
            "niva": [
                "förhindra;riskreducera",
                "riskreducera",
                "riskreducera",
                "förebygga;förhindra",
            ],
            "effekt": ["måttlig", "hög", "hög", "låg"],
        }
    )


def _gap_approaches() -> pd.DataFrame:
    rows = [
        ("0123", "kamrater_normbrott", "13-15", "tunn", "mentorskap", 1, "Mentorsprogram för unga"),
        ("0123", "kamrater_normbrott", "13-15", "tunn", "mst", 0, ""),
        ("0123", "kamrater_normbrott", "19-25", "saknas", "fokuserad", 0, ""),
        ("0123", "skolanknytning", "6-12", "tunn", "antimobbning", 0, ""),
        ("0125", "impulsivitet", "13-15", "saknas", "mst", 2, "MST Ekerö;Annan"),
    ]
    columns = ["municipality_code", "factor", "stage", "status", "approach_id", "in_use"]
    return pd.DataFrame(rows, columns=[*columns, "own_interventions"]).assign(year=2024)


def _insatser() -> pd.DataFrame:
    return insatser_frame(
        [
            intervention(
                "Mentorsprogram för unga",
                alder_fran=12,
                alder_till=18,
                faktorer="kamrater_normbrott;skolanknytning",
            ),
            # 14–20: two of 13–15's three years, all of 16–18, two of 19–25's seven
            intervention(
                "Fältgruppen", alder_fran=14, alder_till=20, faktorer="kamrater_normbrott"
            ),
            intervention(
                "Skolpolis",
                alder_fran=13,
                alder_till=15,
                faktorer="kamrater_normbrott",
                status="planerad",
            ),
            # 10–12: three of 6–12's seven years, but wholly inside the stage
            intervention("Läxhjälp", alder_fran=10, alder_till=12, faktorer="skolanknytning"),
            intervention(
                "Gammal läxläsning",
                alder_fran=6,
                alder_till=12,
                faktorer="skolanknytning",
                status="avslutad",
            ),
            intervention(
                "Ekerös fältare",
                kommunkod="0125",
                alder_fran=13,
                alder_till=18,
                faktorer="kamrater_normbrott",
            ),
        ]
    )


def _rows(code: str = "0123") -> pd.DataFrame:
    return action_plan_rows(code, _gaps(), _gap_approaches(), _approaches(), _insatser(), CB)


def test_rows_of_a_hand_made_case_cell_by_cell():
    rows = _rows()
    peers = "Kamrater med normbrytande beteende"
    school = "Positivt skolklimat"
    no_gap = "ingen lucka (arbetssätt söks bara för luckor)"
    none_fits = "inget arbetssätt i kunskapsbasen passar"
    expected = [
        [
            peers,
            "Risk",
            f"Högstadium (13–15{NBSP}år)",
            "tunn",
            "Fältgruppen; Mentorsprogram för unga",
            "Mentorskap (förhindra, riskreducera; måttlig effekt) – används redan i: "
            "Mentorsprogram för unga\nMultisystemisk terapi (MST) (riskreducera; hög effekt)",
        ],
        [
            peers,
            "Risk",
            f"Gymnasieålder (16–18{NBSP}år)",
            "finns",
            "Fältgruppen; Mentorsprogram för unga",
            no_gap,
        ],
        [
            peers,
            "Risk",
            f"Unga vuxna (19–25{NBSP}år)",
            "saknas",
            "inga",
            "Fokuserad avskräckning (riskreducera; hög effekt)",
        ],
        [
            school,
            "Skydd",
            f"Låg- och mellanstadium (6–12{NBSP}år)",
            "tunn",
            "Läxhjälp",
            "Antimobbningsprogram (förebygga, förhindra; låg effekt)",
        ],
        [
            school,
            "Skydd",
            f"Högstadium (13–15{NBSP}år)",
            "okänd",
            "Mentorsprogram för unga",
            none_fits,
        ],
    ]
    assert list(rows.columns) == HEADER
    assert rows.iloc[:, :6].to_numpy().tolist() == expected
    assert (rows.iloc[:, 6:] == "").all().all()


def test_every_effect_level_of_the_knowledge_base_has_its_words():
    assert list(EFFECT_LABELS) == list(EFFECT_LEVELS)


def test_a_municipality_without_prioritised_factors_has_no_rows():
    assert _rows("0184").empty
    assert list(_rows("0184").columns) == HEADER


def _cells(sheet) -> list[list]:
    return [[c.value for c in row] for row in sheet.iter_rows()]


def test_the_workbook_reads_back_with_header_widths_panes_and_lists(tmp_path):
    rows = _rows()
    path = write_action_plan(
        rows, tmp_path / "plan.xlsx", "Underlag – Järfälla", about={"Kommun": "Järfälla (0123)"}
    )
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Handlingsplan", "Om underlaget", "Listor"]
    sheet = book["Handlingsplan"]
    assert sheet["A1"].value == "Underlag – Järfälla" and sheet["A1"].font.bold
    assert [c.value for c in sheet[3]] == HEADER
    assert all(c.font.bold and c.fill.fgColor.rgb.endswith(("12355B", "8A6D00")) for c in sheet[3])
    assert sheet.freeze_panes == "B4"
    assert sheet.auto_filter.ref == "A3:K8"
    widths = [sheet.column_dimensions[chr(ord("A") + j)].width for j in range(len(HEADER))]
    assert widths == [30, 10, 26, 10, 40, 60, 24, 40, 20, 16, 16]
    assert sheet.max_row == 3 + len(rows)
    body = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    assert [r[:6] for r in body] == rows.iloc[:, :6].to_numpy().tolist()
    assert all(v is None for r in body for v in r[6:])
    assert sheet["F4"].alignment.wrap_text and sheet.row_dimensions[4].height > 15

    lists = book["Listor"]
    assert lists.sheet_state == "hidden"
    assert [c.value for c in lists["A"]] == ["Beslut", *actionplan.DECISIONS]
    assert [c.value for c in lists["B"] if c.value] == ["Uppföljning", *actionplan.FOLLOW_UPS]
    rules = {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}
    assert set(rules) == {"G4:G8", "H4:H8", "I4:I8", "J4:J8", "K4:K8"}
    assert rules["G4:G8"].type == "list" and rules["G4:G8"].formula1 == "Listor!$A$2:$A$6"
    assert rules["K4:K8"].type == "list" and rules["K4:K8"].formula1 == "Listor!$B$2:$B$5"
    assert all(rules[r].showInputMessage and rules[r].prompt for r in rules)
    assert rules["J4:J8"].type is None  # Tidplan: free text with a prompt

    about = book["Om underlaget"]
    assert _cells(about) == [["Kommun", "Järfälla (0123)"]]


def test_an_empty_plan_says_why_in_one_row(tmp_path):
    text = "Ekerö har ingen prioriterad risk- eller skyddsfaktor år 2024."
    path = write_action_plan(_rows("0184"), tmp_path / "tom.xlsx", "Underlag", empty_text=text)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Handlingsplan", "Om underlaget"]
    sheet = book["Handlingsplan"]
    assert [c.value for c in sheet[3]] == HEADER
    assert sheet["A4"].value == text and sheet.max_row == 4
    assert "A4:K4" in {str(r) for r in sheet.merged_cells.ranges}
    assert not sheet.data_validations.dataValidation


def test_the_file_is_replaced_whole(tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(b"old")
    write_action_plan(_rows(), path, "Underlag")
    assert openpyxl.load_workbook(path)["Handlingsplan"]["A3"].value == HEADER[0]
    assert [p.name for p in tmp_path.iterdir()] == ["plan.xlsx"]


# --- the example ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example():
    return example_tables(CB)


def _expected_rows(tables: dict[str, pd.DataFrame], code: str) -> int:
    """Prioritised factors of the municipality's latest year × the stages the codebook gives
    each, counted from ``priority_factors`` and the codebook alone."""
    own = tables["priority_factors"].loc[lambda f: f["municipality_code"] == code]
    latest = own.loc[(own["year"] == own["year"].max()) & own["prioritised"]]
    return sum(len(CB.index(f).stages) for f in latest["factor"])


def test_example_rows_match_the_gap_table_and_the_inventory(example):
    gaps, fitting = example["gaps"], example["gap_approaches"]
    fits = fitting.groupby(["municipality_code", "factor", "stage"]).size().to_dict()
    for code in CB.municipality_codes:
        rows = action_plan_rows(code, gaps, fitting, example["approaches"], example["insatser"], CB)
        own = gaps.loc[gaps["municipality_code"] == code].reset_index(drop=True)
        assert len(rows) == len(own) == _expected_rows(example, code), code
        for row, gap in zip(rows.to_dict("records"), own.to_dict("records"), strict=True):
            where = (code, gap["factor"], gap["stage"])
            # the gap map's count of covering ongoing interventions, named one by one
            names = [] if row["Insatser i dag"] == "inga" else row["Insatser i dag"].split("; ")
            assert len(names) == gap["interventions"], where
            lines = row["Arbetssätt som passar"].split("\n")
            assert len(lines) == max(fits.get(where, 0), 1), where
            if gap["status"] == "finns":
                assert lines == ["ingen lucka (arbetssätt söks bara för luckor)"], where


def _texts(book) -> list[str]:
    return [str(c.value) for s in book.worksheets for row in s.iter_rows() for c in row if c.value]


FEW_PEOPLE = re.compile(r"(?<![\d,])[1-4]\s*(deltagare|personer|unga|elever|barn)\b", re.I)


def test_example_workbooks_hold_words_not_counts(example, tmp_path):
    processed = write_example_processed(tmp_path / "processed", CB)
    manifest = {"data_version": "abc123", "synthetic": True}  # no slices: always written
    written = write_action_plans(CB.municipality_codes, processed, tmp_path / "r", manifest, CB)
    assert set(written) == set(CB.municipality_codes)
    for code, path in written.items():
        assert path == tmp_path / "r" / code / ACTION_PLAN_FILE
        book = openpyxl.load_workbook(path)
        sheet = book["Handlingsplan"]
        n = _expected_rows(example, code)
        assert sheet.max_row == 3 + max(n, 1)
        assert all(not isinstance(c.value, int | float) for r in sheet.iter_rows() for c in r)
        texts = _texts(book)
        assert not [t for t in texts if FEW_PEOPLE.search(t)], code
        assert any("Syntetiska exempeldata" in t for t in texts)
        if n == 0:
            assert "ingen prioriterad" in sheet["A4"].value
    book = openpyxl.load_workbook(written["0123"])
    about = dict(_cells(book["Om underlaget"]))
    assert about["Kommun"] == "Järfälla (0123)" and about["Enkätår"] == "2024"
    assert about["Dataversion"] == "abc123"


# --- in the build ---------------------------------------------------------------------------


@pytest.mark.slow
def test_the_build_writes_every_municipality_s_workbook_and_links_it(full_build, tmp_path):
    summary, root = full_build
    reports = root / "reports"
    assert set(summary.action_plans) == set(CB.municipality_codes)
    assert set(summary.action_plans_written) == set(CB.municipality_codes)
    index = (reports / "index.html").read_text(encoding="utf-8")
    for code in CB.municipality_codes:
        path = reports / code / ACTION_PLAN_FILE
        assert summary.action_plans[code] == str(path)
        assert openpyxl.load_workbook(path)["Handlingsplan"]["A3"].value == HEADER[0]
        assert f"{code}/{ACTION_PLAN_FILE}" in index
    assert f"Underlag för handlingsplan ({ACTION_PLAN_FILE}) för 8 kommuner" in (
        format_summary(summary)
    )
    # unchanged inputs: not written again; forced: written
    copy = tmp_path / "reports" / "0123"
    copy.mkdir(parents=True)
    for name in (ACTION_PLAN_FILE, "handlingsplan_underlag.key.json"):
        shutil.copy2(reports / "0123" / name, copy / name)
    again = write_action_plans(["0123"], root / "processed", copy.parent, summary.manifest, CB)
    assert again == {}
    forced = write_action_plans(
        ["0123"], root / "processed", copy.parent, summary.manifest, CB, force=True
    )
    assert forced == {"0123": copy / ACTION_PLAN_FILE}
