"""Tests for fouanalys.build.audit: the build's read-back of every published table."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from fouanalys.build import audit
from fouanalys.exceptions import DisclosureAuditError, FouanalysError
from fouanalys.present.tables import table


def notebook_with(tmp_path: Path, *frames: pd.DataFrame, caption: str = "Svarande") -> Path:
    """An executed-notebook file whose outputs display ``frames`` as report tables."""
    cells = [
        {
            "cell_type": "code",
            "source": "",
            "metadata": {},
            "outputs": [
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {"text/html": table(f, caption)._repr_html_(), "text/plain": ""},
                }
            ],
        }
        for f in frames
    ]
    path = tmp_path / "01_underlag.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4}))
    return path


def counts(pojkar: str, flickor: str, alla: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "År": ["2018"],
            "Årskurs": ["Gymnasiet år 2"],
            "Pojkar": [pojkar],
            "Flickor": [flickor],
            "Alla": [alla],
        }
    )


def test_a_safe_table_passes(tmp_path):
    nb = notebook_with(tmp_path, counts("210", "190", "405"), counts("–", "–", "402"))
    assert audit.audit_notebooks([("Sundbyberg, kapitel 01", nb)]) == []
    audit.check([("Sundbyberg, kapitel 01", nb)])


def test_a_remainder_of_two_fails_naming_chapter_table_and_cell(tmp_path):
    nb = notebook_with(tmp_path, counts("210", "190", "402"), caption="Svarande per år")
    with pytest.raises(DisclosureAuditError) as err:
        audit.check([("Sundbyberg (0183), kapitel 01", nb)])
    text = str(err.value)
    assert "Sundbyberg (0183), kapitel 01" in text and "Svarande per år" in text
    assert "rad 1" in text and "'Alla' − 'Pojkar' − 'Flickor' = 2" in text
    assert isinstance(err.value, FouanalysError)  # the CLI prints it without a traceback


def test_a_printed_small_count_and_a_small_difference_fail(tmp_path):
    frame = pd.DataFrame({"Insats": ["Avhopparverksamhet"], "Deltagare per år": ["3"]})
    nb = notebook_with(tmp_path, frame, counts("6", "–", "10"))
    found = audit.audit_notebooks([("Ekerö, kapitel 03", nb)])
    assert {(f.column, f.value) for f in found} == {("Deltagare per år", 3), ("Alla", 4)}


def test_counts_of_interventions_and_shares_are_not_read(tmp_path):
    frame = pd.DataFrame({"Nivå": ["förebygga"], "Pågående": ["3"], "Andel": ["2 %"]})
    nb = notebook_with(tmp_path, frame)
    assert audit.audit_notebooks([("x", nb)]) == []


def test_protected_counts_are_read_whatever_space_joins_their_words(tmp_path):
    """The report joins "färre än 5" and "minst 340" with no-break spaces (so a narrow column
    does not break them); the audit reads them with any space."""
    nb, nnb = "\u00a0", "\u202f"
    assert audit.protected_count(f"färre{nb}än{nb}5") == ("färre än", 5)
    assert audit.protected_count("färre än 10") == ("färre än", 10)
    assert audit.protected_count(f"minst{nb}1{nnb}234") == ("minst", 1234)
    assert audit.protected_count("minst 340") == ("minst", 340)
    assert audit.protected_count("medelvärde minst 0,60") is None
    assert audit.protected_count("12") is None
    safe = pd.DataFrame(
        {
            "Insats": ["Avhopparverksamhet", "Summa", "Två små"],
            "Deltagare per år": [f"färre{nb}än{nb}5", f"minst{nb}340", f"färre{nb}än{nb}10"],
        }
    )
    assert audit.audit_notebooks([("Ekerö, kapitel 03", notebook_with(tmp_path, safe))]) == []


def test_a_protected_count_that_gives_a_small_group_away_fails(tmp_path):
    nb = "\u00a0"
    frame = pd.DataFrame(
        {
            "Insats": ["Summa", "Liten"],
            # a sum without the small counts that is itself 3 people; a bound that narrows a
            # small group to 1–2
            "Deltagare per år": [f"minst{nb}3", f"färre{nb}än{nb}3"],
        }
    )
    found = audit.audit_notebooks([("Ekerö, kapitel 03", notebook_with(tmp_path, frame))])
    assert [(f.row, f.value, f.how) for f in found] == [
        (1, 3, "'Deltagare per år' (minst)"),
        (2, 3, "'Deltagare per år' (färre än)"),
    ]


def test_the_build_reads_a_chapter_once_and_a_failing_one_every_build(tmp_path, monkeypatch):
    """The runner notes a pass in the chapter's key record, so an unchanged chapter is not read
    again; a failing chapter gets no note and fails the next build too."""
    from fouanalys.build import runner
    from fouanalys.build.cache import read_key, write_key

    def result(nb: Path) -> runner.TaskResult:
        return runner.TaskResult(
            municipality_code="0183",
            municipality_name="Sundbyberg",
            chapter_id=nb.stem,
            chapter_title="Underlag",
            status="ok",
            notebook=str(nb),
        )

    (tmp_path / "safe").mkdir()
    (tmp_path / "unsafe").mkdir()
    safe = notebook_with(tmp_path / "safe", counts("210", "190", "405"))
    unsafe = notebook_with(tmp_path / "unsafe", counts("210", "190", "402"))
    for nb in (safe, unsafe):
        write_key(nb, {"key": "k"})
    read: list[Path] = []
    published = audit.published_tables
    monkeypatch.setattr(audit, "published_tables", lambda p: read.append(p) or published(p))

    runner._audit([result(safe)])
    runner._audit([result(safe)])
    assert read == [safe]
    assert read_key(safe)["key"] == "k" and read_key(safe)["audited"]
    for _ in range(2):
        with pytest.raises(DisclosureAuditError):
            runner._audit([result(safe), result(unsafe)])
    assert read == [safe, unsafe, unsafe]
    assert "audited" not in read_key(unsafe)
