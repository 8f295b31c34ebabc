"""Disclosure control in built chapters: the example's small groups are protected in the output.

The example data hold, on purpose (``fouanalys.ingest.synthetic``): a survey cell of 3 pupils
(Ekerö's girls in gy 2 in 2024, ``SMALL_CELL``), remainders of 1–4 pupils answering another or
no sex, and Ekerö's Avhopparverksamhet with 2 participants a year (``SMALL_INTERVENTION``). This
test reads Ekerö's chapters 01–03 from the test run's full build (``full_build`` in
``conftest``: the build's disclosure audit ran and must have passed) and reads the published
tables back, checking each protection against counts taken from the raw files here,
independently of the package's analysis.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from fouanalys.build import audit
from fouanalys.chapters import insatser as insatser_chapter
from fouanalys.chapters import views
from fouanalys.codebook import load_codebook
from fouanalys.config import DISCLOSURE_THRESHOLD, EXAMPLE_DATA_DIR
from fouanalys.ingest import synthetic
from fouanalys.present.text import format_reach

CODE, YEAR, GRADE, SEX, KEPT = synthetic.SMALL_CELL
_, INTERVENTION, PARTICIPANTS = synthetic.SMALL_INTERVENTION
GRADE_LABELS = {"Åk 9": "Årskurs 9", "Gy 2": "Gymnasiet år 2"}


@pytest.fixture(scope="module")
def raw() -> dict[str, pd.DataFrame]:
    """The example's raw survey (the columns needed) and inventory, read with pandas; ``kept``
    the respondents the codebook's ``unserious`` rule keeps (no one extreme answer to 20 or
    more agree/disagree statements, no "Mer än 10 gånger" to 8 or more offences)."""
    cb = load_codebook()
    statements, offences = cb.scale_items("instammer"), cb.scale_items("brott_antal")
    enkat = pd.read_csv(
        EXAMPLE_DATA_DIR / "enkat.csv.gz",
        usecols=["ar", "Hemkommun", "ARSKURS", "Kön", *statements, *offences],
    )
    answers = enkat[statements]
    straight = (answers.notna().sum(axis=1) >= 20) & (answers.nunique(axis=1) == 1)
    straight &= answers.min(axis=1).isin([1, 4])
    kept = enkat.loc[~(straight | ((enkat[offences] == 5).sum(axis=1) >= 8))]
    insatser = pd.read_csv(
        EXAMPLE_DATA_DIR / "insatser.csv", sep=";", encoding="cp1252", dtype={"kommunkod": str}
    )
    return {"enkat": enkat, "kept": kept, "insatser": insatser}


@pytest.fixture(scope="module")
def built(full_build) -> Path:
    """Ekerö's built chapters (the full build's, audit included)."""
    from fouanalys.build.runner import format_summary

    summary, root = full_build
    assert summary.ok, format_summary(summary)
    return root / "reports" / CODE


def tables(notebook: Path) -> dict[str, pd.DataFrame]:
    """The published tables of an executed chapter, by caption."""
    return {
        t.caption: pd.DataFrame(t.rows, columns=t.header) for t in audit.published_tables(notebook)
    }


def _int(text: str) -> int | None:
    digits = re.sub(r"\s", "", text.replace("\u202f", ""))
    return int(digits) if digits.isdigit() else None


def _small(n: float) -> bool:
    return 0 < n < DISCLOSURE_THRESHOLD


@pytest.mark.slow
def test_the_build_audit_passes_and_reads_every_chapter(built):
    notebooks = sorted(built.glob("0[123]_*.ipynb"))
    assert len(notebooks) == 3
    assert audit.audit_notebooks((p.stem, p) for p in notebooks) == []


@pytest.mark.slow
def test_response_counts_protect_the_small_cell_and_small_remainders(built, raw):
    """Chapter 01: no count of 1–4 is printed, and no Alla − part gives one (the counts are
    of the respondents the analysis keeps)."""
    enkat = raw["kept"]
    name = "Ekerö"
    own = enkat.loc[enkat["Hemkommun"] == name]
    sex = own["Kön"].where(own["Kön"].isin(["Pojke", "Flicka"]), "annat")
    truth = own.groupby(["ar", "ARSKURS", sex]).size().unstack(fill_value=0)
    table = next(t for c, t in tables(built / "01_underlag.ipynb").items() if "Svarande" in c)
    remainders_hidden = 0
    for (year, grade), counts in truth.iterrows():
        row = table.loc[(table["År"] == str(year)) & (table["Årskurs"] == GRADE_LABELS[grade])]
        assert len(row) == 1
        shown = {c: _int(row[c].iloc[0]) for c in ("Pojkar", "Flickor", "Alla")}
        total = int(counts.sum())
        # what is printed is the truth, and never a small group
        for column, value in (("Pojkar", counts["Pojke"]), ("Flickor", counts["Flicka"])):
            assert shown[column] in (None, int(value))
            assert shown[column] is None or not _small(shown[column])
        assert shown["Alla"] in (None, total)
        if shown["Alla"] is not None:
            for part in ([], ["Pojkar"], ["Flickor"], ["Pojkar", "Flickor"]):
                if all(shown[p] is not None for p in part):
                    assert not _small(shown["Alla"] - sum(shown[p] for p in part))
        if _small(counts["annat"]):
            remainders_hidden += 1
    assert remainders_hidden >= 1  # the example does have remainders of 1–4
    small = table.loc[(table["År"] == str(YEAR)) & (table["Årskurs"] == GRADE_LABELS[GRADE])]
    assert truth.loc[(YEAR, GRADE), SEX] == KEPT
    assert small["Flickor"].iloc[0] == "–"


@pytest.mark.slow
def test_the_small_survey_cell_shows_a_dash_and_cannot_be_recovered(built, raw):
    enkat = raw["enkat"]
    cell = enkat.loc[
        (enkat["Hemkommun"] == "Ekerö") & (enkat["ar"] == YEAR) & (enkat["ARSKURS"] == GRADE)
    ]
    assert (cell["Kön"] == SEX).sum() == KEPT < DISCLOSURE_THRESHOLD
    published = tables(built / "02_riskfaktorer.ipynb")
    groups = next(t for c, t in published.items() if "per grupp av elever" in c)
    assert (groups["Gy\u00a02, flickor"] == "–").all()
    # What chapter 02 publishes of the grade's line along sex: no hidden group comes back as
    # the grade's total minus the boys (pupils, those above and those below the cut-point)
    prevalence = pd.read_parquet(built.parent.parent / "processed" / "prevalence.parquet")
    line = prevalence.loc[
        (prevalence["municipality_code"] == CODE)
        & (prevalence["year"] == YEAR)
        & (prevalence["grade"] == GRADE)
    ]
    wide = line.set_index(["factor", "sex"]).unstack("sex")
    assert wide["suppressed"]["Flicka"].all()
    assert wide["share"]["Flicka"].isna().all()
    for factor, row in wide.iterrows():
        if row[("suppressed", "Alla")] or row[("suppressed", "Pojke")]:
            continue
        n = row[("n", "Alla")] - row[("n", "Pojke")]
        cases = row[("cases", "Alla")] - row[("cases", "Pojke")]
        assert not _small(n) and not _small(cases) and not _small(n - cases), factor


@pytest.mark.slow
def test_the_small_intervention_reads_fewer_than_five_and_its_reach_is_coarse(built, raw):
    ins = raw["insatser"]
    own = ins.loc[(ins["kommunkod"] == CODE) & (ins["status"] == "pågående")]
    assert own.loc[own["insats"] == INTERVENTION, "deltagare_per_ar"].iloc[0] == PARTICIPANTS
    published = tables(built / "03_insatser.ipynb")
    ongoing = next(t for c, t in published.items() if c.startswith("Pågående insatser ("))
    row = ongoing.loc[ongoing["Insats"] == INTERVENTION]
    # its words joined by no-break spaces, so that a narrow column cannot break the phrase
    assert row["Deltagare/år"].iloc[0] == f"färre\u00a0än\u00a0{DISCLOSURE_THRESHOLD}"
    # no printed participant count anywhere in the chapter is a small group, a "minst N" sum
    # (whatever space joins its words) included
    for caption, table in published.items():
        for column in ("Deltagare/år", "Deltagare per år"):
            if column in table:
                for text in table[column]:
                    words = text.split()
                    value = _int(words[-1]) if words[:1] == ["minst"] else _int(text)
                    assert value is None or not _small(value), (caption, text)
    # the knowledge level's sum leaves the small count out: the printed number is the sum of
    # the level's other counts, so sum − printed parts gives nothing back
    level = own.loc[own["insats"] == INTERVENTION, "kunskapslage"].iloc[0]
    knowledge = next(t for c, t in published.items() if "efter kunskapsläge" in c)
    cell = knowledge.loc[knowledge["Kunskapsläge"].str.lower() == level, "Deltagare per år"]
    words = cell.iloc[0].split()  # any space, a no-break one too
    assert words[0] == "minst" or words[:2] == ["färre", "än"], cell.iloc[0]
    # the reach of the 19–25 riskreducera cell (only the small intervention reports a count)
    # reads "under X" in the heatmap and the coverage table, X the reach of 5 participants in
    # the stage's population, above the true reach: reach × population / 1 000 gives no count
    stages = next(t for c, t in published.items() if c == "Livsskeden och invånare")
    population = _int(stages.loc[stages["Ålder"].str.startswith("19"), "Invånare"].iloc[0])
    limit = 1000 * DISCLOSURE_THRESHOLD / population
    assert limit > 1000 * PARTICIPANTS / population
    coverage = pd.read_parquet(built.parent.parent / "processed" / "coverage.parquet")
    cells = insatser_chapter.coverage_cells(coverage, CODE)
    cell = cells.loc[(cells["level"] == "riskreducera") & (cells["stage"] == "19-25")].iloc[0]
    assert cell["reach_text"] == f"under {format_reach(limit)}"
    table = views.coverage_display(coverage, CODE).frame
    assert table.loc[table["Nivå"] == "Riskreducera"].iloc[0].str.startswith("under").any()
