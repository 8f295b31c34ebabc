"""Mapping rounds: stored side by side, validated, the newest used, the latest two compared."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date

import pandas as pd
import pytest
from support import insatser_frame, intervention

from fouanalys.codebook import load_codebook
from fouanalys.config import EXAMPLE_DATA_DIR
from fouanalys.ingest.processing import process
from fouanalys.ingest.readers import read_raw, to_typed
from fouanalys.ingest.rounds import (
    BASE_ROUND,
    MappingRound,
    combine_rounds,
    find_rounds,
    next_round_path,
)
from fouanalys.ingest.validation import validate_data_dir
from fouanalys.inventory_changes import gap_changes, intervention_changes

CB = load_codebook()
#: Copies of the example without its later rounds: every municipality starts from insatser.csv.
WITHOUT_ROUNDS = shutil.ignore_patterns("kartlaggning")


def _touch(path, text="x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_rounds_are_found_in_date_order_and_misnamed_files_reported(tmp_path):
    folder = tmp_path / "kartlaggning"
    for name in ("2026-01-10.csv", "2026-01-02-2.csv", "2026-01-02.csv", "2026-01-02.json"):
        _touch(folder / "0123" / name)
    _touch(folder / "0114" / "2025-12-01.csv")
    _touch(folder / "0114" / "senaste.xlsx")
    _touch(folder / "0114" / "2025-13-01.csv")  # not a date
    _touch(folder / "Järfälla" / "2026-01-01.csv")
    rounds, problems = find_rounds(tmp_path)
    assert [(r.municipality_code, r.round_id) for r in rounds] == [
        ("0114", "2025-12-01"),
        ("0123", "2026-01-02"),
        ("0123", "2026-01-02-2"),
        ("0123", "2026-01-10"),
    ]
    named = sorted(p.file for p in problems)
    assert named == [
        "kartlaggning/0114/2025-13-01.csv",
        "kartlaggning/0114/senaste.xlsx",
        "kartlaggning/Järfälla",
    ]


def test_next_round_never_reuses_a_name(tmp_path):
    day = date(2026, 12, 5)
    first = next_round_path(tmp_path, "0123", day)
    assert first == tmp_path / "kartlaggning" / "0123" / "2026-12-05.csv"
    _touch(first)
    second = next_round_path(tmp_path, "0123", day)
    assert second.name == "2026-12-05-2.csv"
    _touch(second.with_suffix(".json"))  # a sidecar alone also takes the name
    assert next_round_path(tmp_path, "0123", day).name == "2026-12-05-3.csv"


def _round(code, round_id, tmp_path):
    return MappingRound(code, round_id, tmp_path / f"{round_id}.csv")


def test_the_newest_round_replaces_only_its_municipality(tmp_path):
    base = insatser_frame(
        [
            intervention("A"),
            intervention("B"),
            intervention("C", kommunkod="0114"),
            intervention("D", kommunkod="0184"),
        ]
    )
    first = insatser_frame([intervention("A", deltagare_per_ar=7)])
    second = insatser_frame([intervention("A", deltagare_per_ar=9), intervention("E")])
    stored = [
        (_round("0123", "2026-01-01", tmp_path), first),
        (_round("0123", "2026-02-01", tmp_path), second),
    ]
    current, every = combine_rounds(base, stored)
    assert list(current.columns) == list(base.columns)
    assert current[["kommunkod", "insats"]].values.tolist() == [
        ["0114", "C"],
        ["0123", "A"],
        ["0123", "E"],
        ["0184", "D"],
    ]
    assert current.loc[current["insats"] == "A", "deltagare_per_ar"].tolist() == [9]
    orders = every.groupby(["kommunkod", "round_id"])["round_order"].first().to_dict()
    assert orders == {
        ("0114", BASE_ROUND): 0,
        ("0123", BASE_ROUND): 0,
        ("0123", "2026-01-01"): 1,
        ("0123", "2026-02-01"): 2,
        ("0184", BASE_ROUND): 0,
    }


def _rounds(before: list[dict], after: list[dict]) -> pd.DataFrame:
    return pd.concat(
        [
            insatser_frame(before).assign(round_id=BASE_ROUND, round_order=0),
            insatser_frame(after).assign(round_id="2026-12-05", round_order=1),
        ],
        ignore_index=True,
    ).astype({"round_order": "Int64"})


def test_interventions_new_ended_and_changed_are_told_apart():
    before = [
        intervention("Familjecentral"),
        intervention("Fältgrupp", niva="förhindra", deltagare_per_ar=40),
        intervention("Läxhjälp"),
        intervention("Triple P – föräldrastöd", alder_fran=2),
        intervention("Oförändrad"),
        intervention("Annan kommun", kommunkod="0114"),  # one round only: not compared
    ]
    after = [
        intervention("Familjecentral"),
        intervention("Fältgrupp", niva="riskreducera", deltagare_per_ar=55),
        intervention("Triple P - Föräldrastöd", alder_fran=2, status="avslutad"),
        intervention("Oförändrad"),
        intervention("Sommarjobb"),
    ]
    changes = intervention_changes(_rounds(before, after))
    rows = {r.insats: r for r in changes.itertuples()}
    assert list(changes["insats"]) == [
        "Sommarjobb",
        "Fältgrupp",
        "Triple P - Föräldrastöd",
        "Läxhjälp",
    ]
    assert {name: r.change for name, r in rows.items()} == {
        "Sommarjobb": "new",
        "Fältgrupp": "changed",
        "Triple P - Föräldrastöd": "changed",  # matched despite the dash and the capital
        "Läxhjälp": "ended",
    }
    field = rows["Fältgrupp"]
    assert field.changed == "niva;deltagare_per_ar"
    assert (field.niva_before, field.niva_after) == ("förhindra", "riskreducera")
    assert (field.deltagare_per_ar_before, field.deltagare_per_ar_after) == (40, 55)
    assert rows["Triple P - Föräldrastöd"].changed == "status"
    assert pd.isna(rows["Sommarjobb"].niva_before) and rows["Sommarjobb"].niva_after == "förebygga"
    assert set(changes["municipality_code"]) == {"0123"}


def test_gap_changes_classify_each_cell():
    keys = ["municipality_code", "factor", "kind", "stage", "rank"]
    cell = ["0123", "impulsivitet", "risk"]
    before = pd.DataFrame(
        [
            [*cell, "6-12", 1, "saknas", pd.NA],
            [*cell, "13-15", 1, "finns", 40.0],
            [*cell, "16-18", 1, "tunn", 2.0],
            [*cell, "19-25", 1, "okänd", pd.NA],
        ],
        columns=[*keys, "status", "reach_per_1000"],
    )
    after = before.copy()
    after["status"] = ["finns", "saknas", "okänd", "okänd"]
    after["reach_per_1000"] = [30.0, pd.NA, 1.0, pd.NA]
    other = after.iloc[[0]].assign(municipality_code="0114")  # not compared
    changes = gap_changes(before, pd.concat([after, other], ignore_index=True))
    assert changes["change"].tolist() == ["closed", "opened", "shifted", "same"]
    assert changes["status_before"].tolist() == ["saknas", "finns", "tunn", "okänd"]
    assert changes["reach_after"].tolist()[0] == 30.0


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def with_round(tmp_path_factory):
    """The example data with one stored round for Kungsängen (0125): one intervention ended,
    one changed level, one new, and every other row as before."""
    root = tmp_path_factory.mktemp("rounds")
    data = root / "data"
    shutil.copytree(EXAMPLE_DATA_DIR, data, ignore=WITHOUT_ROUNDS)
    base = to_typed(read_raw(data / "insatser.csv", "insatser", CB), "insatser", CB)
    own = base.loc[base["kommunkod"] == "0125"].reset_index(drop=True)
    ended, changed = own["insats"].iloc[0], own["insats"].iloc[1]
    new = own.iloc[[2]].assign(insats="Helt ny insats")
    round_rows = pd.concat([own.iloc[1:], new], ignore_index=True)
    old_level = round_rows.at[0, "niva"]
    new_level = "riskreducera" if old_level != "riskreducera" else "förebygga"
    round_rows.at[0, "niva"] = new_level
    path = data / "kartlaggning" / "0125" / "2026-12-01.csv"
    path.parent.mkdir(parents=True)
    round_rows.to_csv(path, index=False)
    before = _sha(data / "insatser.csv")
    report, frames = validate_data_dir(data, codebook=CB, report_dir=root / "report")
    return {
        "root": root,
        "data": data,
        "report": report,
        "frames": frames,
        "base": base,
        "round": round_rows,
        "ended": ended,
        "changed": (changed, old_level, new_level),
        "insatser_sha": before,
    }


def test_the_build_uses_the_newest_round(with_round):
    report, frames, base = with_round["report"], with_round["frames"], with_round["base"]
    assert report.ok, [str(p) for p in report.problems]
    assert report.files["kartlaggning/0125/2026-12-01"]["rows"] == len(with_round["round"])
    current = frames["insatser"]
    own = current.loc[current["kommunkod"] == "0125", "insats"].tolist()
    assert own == with_round["round"]["insats"].tolist()
    others = current.loc[current["kommunkod"] != "0125"].reset_index(drop=True)
    expected = base.loc[base["kommunkod"] != "0125"].reset_index(drop=True)
    pd.testing.assert_frame_equal(others, expected)
    assert _sha(with_round["data"] / "insatser.csv") == with_round["insatser_sha"]


def test_processing_compares_the_two_rounds(with_round, tmp_path):
    process(with_round["data"], tmp_path / "p", codebook=CB, report_dir=tmp_path / "v")
    changes = pd.read_parquet(tmp_path / "p" / "intervention_changes.parquet")
    name, old_level, new_level = with_round["changed"]
    assert set(zip(changes["insats"], changes["change"], strict=True)) == {
        ("Helt ny insats", "new"),
        (name, "changed"),
        (with_round["ended"], "ended"),
    }
    row = changes.loc[changes["insats"] == name].iloc[0]
    assert (row["niva_before"], row["niva_after"]) == (old_level, new_level)
    compared = pd.read_parquet(tmp_path / "p" / "compared_rounds.parquet")
    assert compared.to_dict("records") == [
        {
            "municipality_code": "0125",
            "previous_round": "insatser",
            "current_round": "2026-12-01",
            "previous_interventions": int((with_round["base"]["kommunkod"] == "0125").sum()),
            "current_interventions": len(with_round["round"]),
        }
    ]


def test_a_round_without_ongoing_work_opens_every_gap(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE_DATA_DIR, data, ignore=WITHOUT_ROUNDS)
    base = to_typed(read_raw(data / "insatser.csv", "insatser", CB), "insatser", CB)
    own = base.loc[base["kommunkod"] == "0191"].assign(status="avslutad")
    path = data / "kartlaggning" / "0191" / "2026-12-01.csv"
    path.parent.mkdir(parents=True)
    own.to_csv(path, index=False)
    process(data, tmp_path / "p", codebook=CB, report_dir=tmp_path / "v")
    gaps = pd.read_parquet(tmp_path / "p" / "gap_changes.parquet")
    assert len(gaps) and set(gaps["municipality_code"]) == {"0191"}
    assert (gaps["status_after"] == "saknas").all()
    expected = gaps["status_before"].map({"finns": "opened", "saknas": "same"}).fillna("shifted")
    assert gaps["change"].tolist() == expected.tolist()
    assert "opened" in set(gaps["change"])


def test_a_bad_round_is_named_with_its_folder_and_row(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE_DATA_DIR, data, ignore=WITHOUT_ROUNDS)
    base = to_typed(read_raw(data / "insatser.csv", "insatser", CB), "insatser", CB)
    own = base.loc[base["kommunkod"] == "0125"].reset_index(drop=True)
    own.at[1, "niva"] = "förebyga"
    own.at[2, "kommunkod"] = "0114"
    path = data / "kartlaggning" / "0125" / "2026-12-01.csv"
    path.parent.mkdir(parents=True)
    own.to_csv(path, index=False)
    before = _sha(path)
    report, frames = validate_data_dir(data, codebook=CB, report_dir=tmp_path / "v")
    assert not report.ok and frames == {}
    found = {(p.file, p.column, p.rows) for p in report.problems}
    assert ("kartlaggning/0125/2026-12-01.csv", "niva", (3,)) in found
    assert ("kartlaggning/0125/2026-12-01.csv", "kommunkod", (4,)) in found
    level = next(p for p in report.problems if p.column == "niva")
    assert "förebygga" in str(level)
    assert _sha(path) == before


# --- the chapter's words ---------------------------------------------------------------------


def _compared(code="0123"):
    return pd.DataFrame(
        [
            {
                "municipality_code": code,
                "previous_round": BASE_ROUND,
                "current_round": "2026-12-05",
                "previous_interventions": 5,
                "current_interventions": 5,
            }
        ]
    )


def test_the_chapter_words_the_changes():
    from fouanalys.chapters.insatser import changes as words

    before = [
        intervention("Fältgrupp", niva="förhindra", deltagare_per_ar=40),
        intervention("Läxhjälp"),
        intervention("Mentorer", alder_fran=13, alder_till=15, deltagare_per_ar=3),
    ]
    after = [
        intervention("Fältgrupp", niva="riskreducera", deltagare_per_ar=55),
        intervention("Mentorer", alder_fran=12, alder_till=15, deltagare_per_ar=30),
        intervention("Sommarjobb", niva="förebygga", alder_fran=16, alder_till=18),
        intervention("Nattvandring", niva="förhindra", alder_fran=13, alder_till=17),
    ]
    changes = intervention_changes(_rounds(before, after))
    table = words.change_table(changes, "0123", CB)
    names = ["Nattvandring", "Sommarjobb", "Fältgrupp", "Mentorer", "Läxhjälp"]
    assert table["Insats"].tolist() == names
    assert table["Ändring"].tolist() == ["Ny", "Ny", "Ändrad", "Ändrad", "Inte längre med"]
    what = [w.replace("\u2060", "").replace("\u00a0", " ") for w in table["Vad som har ändrats"]]
    assert what[0] == "förhindra, 13–17 år"
    assert what[2] == "nivå: förhindra → riskreducera; deltagare per år: 40 → 55"
    # 3 participants a year is a small group: never printed, before or after.
    assert what[3] == "deltagare per år: färre än 5 → 30; ålder: 13–15 år → 12–15 år"
    gaps = pd.DataFrame(
        {
            "municipality_code": ["0123"] * 3,
            "factor": ["impulsivitet"] * 3,
            "stage": ["6-12", "13-15", "16-18"],
            "status_before": ["saknas", "finns", "tunn"],
            "status_after": ["finns", "saknas", "tunn"],
            "change": ["closed", "opened", "same"],
        }
    )
    summary = words.summary_sentences(changes, gaps, _compared(), "0123")
    assert summary == [
        "Jämfört med den första kartläggningen har två insatser tillkommit, en är inte längre "
        "med och två har ändrats. Av luckorna vid de prioriterade faktorerna har en stängts, "
        "och en ny lucka har uppstått."
    ]
    sentences = words.gap_change_sentences(gaps, "0123", CB)
    assert len(sentences) == 2
    assert sentences[0].endswith("6–12 år: luckan har stängts (saknas → finns).")
    assert sentences[1].endswith("13–15 år: en ny lucka (finns → saknas).")
    # A municipality with one round: no summary, and the lead says what a new round brings.
    assert words.summary_sentences(changes, gaps, _compared("0114"), "0123") == []
    assert "ny" in words.lead_sentence(_compared("0114"), "0123")
