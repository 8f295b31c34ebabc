"""One meaning of "prioriterad": the rule, its table, and every chapter reading the same set.

The rule is recomputed here by a plain loop over the priorities rows, and the chapters' words
(chapter 02's sentences and table, chapter 03's gap map, the region's overview) are checked to
name exactly the factors the table marks prioritised.
"""

from __future__ import annotations

import pandas as pd
import pytest

from fouanalys import config
from fouanalys.chapters import insatser, region, riskfaktorer
from fouanalys.codebook import load_codebook
from fouanalys.coverage import coverage_tables
from fouanalys.ingest import readers
from fouanalys.present.text import markdown_safe
from fouanalys.prevalence import priorities_table
from fouanalys.priority import PRIORITY_FACTOR_COLUMNS, priority_factors, split_groups
from fouanalys.scoring import score_indices

CB = load_codebook()


@pytest.fixture(scope="module")
def example():
    frames = {}
    for name in ("enkat", "insatser", "befolkning"):
        path = readers.find_input(config.EXAMPLE_DATA_DIR, name)
        frames[name] = readers.to_typed(readers.read_raw(path, name, CB), name, CB)
    priorities = priorities_table(score_indices(frames["enkat"], CB), CB)
    table = priority_factors(priorities, CB)
    tables = coverage_tables(frames["insatser"], frames["befolkning"], table, CB)
    return {"priorities": priorities, "priority_factors": table, **frames, **tables}


def reference_rule(priorities: pd.DataFrame) -> dict:
    """{(municipality, year, factor): (prioritised, groups)} by a plain loop."""
    out: dict = {}
    overall_better: dict = {}
    for row in priorities.itertuples(index=False):
        if row.kind not in ("risk", "protective"):
            continue
        key = (row.municipality_code, int(row.year), row.factor)
        out.setdefault(key, [])
        published = not row.suppressed and not pd.isna(row.share)
        if not published:
            continue
        risk = row.kind == "risk"
        worse = (row.diff_low > 0) if risk else (row.diff_high < 0)
        better = (row.diff_high < 0) if risk else (row.diff_low > 0)
        if worse:  # NaN bounds (no published comparison) compare False
            out[key].append((row.grade, row.sex))
        if row.grade == "Alla" and row.sex == "Alla" and not pd.isna(row.diff_low):
            overall_better[key] = bool(better)
    return {
        key: (bool(groups) and not overall_better.get(key, False), set(groups))
        for key, groups in out.items()
    }


def test_priority_table_follows_the_rule(example):
    table = example["priority_factors"]
    assert list(table.columns) == PRIORITY_FACTOR_COLUMNS
    assert table["prioritised"].dtype == bool
    expected = reference_rule(example["priorities"])
    assert len(table) == len(expected)
    for row in table.itertuples(index=False):
        prioritised, groups = expected[(row.municipality_code, int(row.year), row.factor)]
        assert row.prioritised == prioritised, (row.municipality_code, row.year, row.factor)
        assert set(split_groups(row.groups)) == groups
    # codes and numbers only: no Swedish words beyond codebook ids
    assert set(table["kind"]) <= {"risk", "protective"}


def test_a_factor_better_off_overall_is_never_prioritised(example):
    table = example["priority_factors"]
    assert not (table["favourable"] & table["prioritised"]).any()
    # the old rule (elevated or ranked in the top three) took such factors in the example
    top_three = table["rank"].astype("Float64").fillna(99) <= 3
    assert (top_three & table["favourable"]).any()


def test_chapters_name_the_same_prioritised_factors(example):
    """Chapter 02's sentences and table, chapter 03's gap map and the region's overview all
    give each municipality exactly the prioritised set of the table (in the example, one has
    none)."""
    priorities, table, gaps = example["priorities"], example["priority_factors"], example["gaps"]
    labels = CB.labels("indices")
    counts = {}
    for code in CB.municipality_codes:
        year = int(table.loc[table["municipality_code"] == code, "year"].max())
        own = table.loc[
            (table["municipality_code"] == code) & (table["year"] == year) & table["prioritised"]
        ]
        chosen = set(own["factor"])
        counts[code] = len(chosen)
        sentences = " ".join(
            riskfaktorer.priority_sentences(priorities, table, CB, code, year)
        ).lower()
        named = {f for f in labels if labels[f].lower() in sentences}
        assert named == chosen, code
        shown = riskfaktorer.priority_table(priorities, CB, code, year, priority_factors=table)
        flagged = set(shown.loc[shown["Prioriterad"] == "ja", "Faktor"])
        assert flagged == {labels[f] for f in chosen}, code
        assert set(insatser.gap_factors(gaps, code)) == chosen, code
        cells = insatser.factor_cells(example["factor_coverage"], gaps, code, CB)
        assert set(cells.loc[cells["priority"], "factor"]) == chosen, code
        if not chosen:
            assert "ingen prioriterad" in sentences
            assert "ingen prioriterad" in insatser.gap_summary(gaps, code, CB, year=year)
    overview = region.overview_table(table, gaps, pd.DataFrame(columns=["municipality_code"]), CB)
    assert dict(zip(CB.municipality_codes, overview["Prioriterade faktorer"], strict=True)) == (
        counts
    )
    # some municipality has no factor that stands out, and is told so plainly (above)
    assert 0 in counts.values()


def test_gap_cells_name_every_gap_of_a_prioritised_factor(example):
    gaps = example["gaps"]
    for code in CB.municipality_codes:
        own = gaps.loc[(gaps["municipality_code"] == code) & (gaps["status"] != "finns")]
        sentences = insatser.gap_list(gaps, code, CB)
        if own.empty:
            assert len(sentences) == 1
        else:
            assert len(sentences) == len(own)
        for row in own.to_dict("records"):
            sentence = markdown_safe(insatser.gap_sentence(row, CB))
            assert sentence in sentences and sentence.endswith(f"({row['status']}).")


def test_index_page_states_each_municipalitys_priorities_and_gaps(example, tmp_path):
    from fouanalys.build.index import write_index

    table, gaps = example["priority_factors"], example["gaps"]
    labels = CB.labels("indices")
    findings = {}
    for code in CB.municipality_codes:
        line = insatser.finding_line(table, gaps, code, CB)
        year = int(table.loc[table["municipality_code"] == code, "year"].max())
        chosen = table.loc[
            (table["municipality_code"] == code) & (table["year"] == year) & table["prioritised"]
        ]
        if chosen.empty:
            assert line == f"Ingen prioriterad risk- eller skyddsfaktor {year}."
        else:
            for factor in chosen["factor"]:
                assert labels[factor].lower() in line.lower(), (code, factor)
            own = gaps.loc[gaps["municipality_code"] == code, "status"].value_counts()
            for status in ("saknas", "tunn", "okänd"):
                if own.get(status, 0):
                    assert f"{own[status]} {status}" in line, (code, status)
                else:
                    assert f" {status}" not in line.split("Luckor")[1], (code, status)
        findings[code] = line
    entries = [
        {"municipality_code": code, "municipality_name": CB.municipality_name(code),
         "chapter_id": "03_insatser", "status": "ok"}
        for code in CB.municipality_codes
    ]  # fmt: skip
    page = write_index(tmp_path, entries, findings=findings | {"0123": "<b>x</b>"}).read_text()
    plain = [line for line in findings.values() if line.startswith("Ingen prioriterad")]
    assert plain and plain[0] in page  # a municipality without priorities: told plainly
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
