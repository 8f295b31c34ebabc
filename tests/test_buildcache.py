# ruff: noqa: F811  (the fixture `prepared` is imported from support)
"""Incremental, interrupted and distributed builds, with small stand-in chapter notebooks.

The chapters here are tiny notebooks under the real chapter ids (so the real dependency
declarations of ``fouanalys.chapters.registry`` apply) that read a processed table; the
data is a copy of the embedded example, changed the way a researcher would change it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from support import copy_prepared, prepared, stand_in_notebook  # noqa: F401 (a fixture)

from fouanalys.build import cache, runner
from fouanalys.build.cache import key_path
from fouanalys.chapters import registry
from fouanalys.config import PACKAGE_DIR
from fouanalys.exceptions import BuildError
from fouanalys.ingest import catalog
from fouanalys.ingest.catalog import slice_hashes

CODES = ["0125", "0184", "0191"]  # Ekerö, Solna, Sigtuna


def chapter_notebook(body: str = "") -> nbformat.NotebookNode:
    """Chapter 03's stand-in, titled "Testkapitel" (the tests that damage a built file look
    for that word), running ``body`` after its reads."""
    return stand_in_notebook("03_insatser", body, title="Testkapitel")


@pytest.fixture
def project(prepared, tmp_path, monkeypatch):
    """A copy of the example data with its processed tables already made (so a build goes
    straight to the chapters unless the test changes the data), a notebooks folder with
    chapter 03, and a build function."""
    monkeypatch.setattr(runner, "KERNEL_NAME", "python3")
    data, _ = copy_prepared(prepared, tmp_path)
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nbformat.write(chapter_notebook(), notebooks / "03_insatser.ipynb")

    def build(**kw):
        args = {
            "municipalities": CODES,
            "data_dir": data,
            "processed_dir": tmp_path / "processed",
            "reports_dir": tmp_path / "reports",
            "jobs": 1,
            "formats": ("html",),
            "chapters": ("03_insatser",),
            "progress": False,
            "notebooks_dir": notebooks,
        }
        return runner.build(**(args | kw))

    return tmp_path, data, notebooks, build


def executed(summary) -> set[str]:
    return {r.municipality_code for r in summary.results if not r.cached}


def test_slice_hashes_separate_municipalities():
    import pandas as pd

    a = pd.DataFrame({"kommunkod": ["1", "1", "2"], "x": [1, 2, 3]})
    b = a.assign(x=[1, 2, 4])
    ha, hb = slice_hashes(a), slice_hashes(b)
    assert ha["1"] == hb["1"] and ha["2"] != hb["2"] and ha["all"] != hb["all"]


def test_every_chapter_declares_what_it_reads():
    """The declarations cover every table the chapter and deck notebooks load, and each is
    loaded as its key covers it: a table keyed by the municipality's rows (with the reference
    areas', or alone) is read by those rows only, so a chapter cannot show what its key misses;
    a table keyed whole is read whole."""
    import re

    from fouanalys.config import NOTEBOOKS_DIR

    own_call = "municipality=kommunkod, reference=True"
    for chapter in registry.entry_ids():
        nb = nbformat.read(NOTEBOOKS_DIR / registry.notebook_file(chapter), as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        calls: dict[str, list[str]] = {}  # table -> the arguments it is loaded with
        for name, args in re.findall(r'load_table\(\s*"(\w+)"([^)]*)\)', code):
            calls.setdefault(name, []).append(args)
        for name in re.findall(r'egna\(\s*"(\w+)"\)', code):
            assert f"egna = partial(load_table, processed_dir=processed, {own_call})" in code
            calls.setdefault(name, []).append(own_call)
        for args, names in re.findall(
            r"load_table\(name,([^)]*)\)\s*for name in \(([^)]*)\)", code
        ):
            for name in re.findall(r'"(\w+)"', names):
                calls.setdefault(name, []).append(args)
        assert calls, chapter
        reads = registry.chapter(chapter).reads
        assert set(calls) <= set(reads), (chapter, set(calls) - set(reads))
        for table, scope in reads.items():
            if table == "manifest":
                if scope == registry.READ_ROWS:
                    assert "municipality_manifest(load_manifest(" in code, chapter
                continue
            assert calls.get(table), (chapter, table, "declared but not loaded")
            for args in calls[table]:
                if scope == registry.READ_ALL:
                    assert "municipality=" not in args, (chapter, table, args)
                elif scope == registry.READ_OWN:
                    assert own_call in args, (chapter, table, args)
                else:
                    assert "municipality=kommunkod" in args and "reference" not in args


@pytest.fixture
def package_copy(tmp_path, monkeypatch):
    """A copy of the package's files that the code hashes read, and a way to edit one."""
    copy = tmp_path / "package"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(catalog, "PACKAGE_DIR", copy)
    catalog.code_hash.cache_clear()

    def append_comment(relative: str) -> None:
        with open(copy / relative, "a", encoding="utf-8") as fh:
            fh.write("# a comment\n")
        catalog.code_hash.cache_clear()

    yield append_comment
    catalog.code_hash.cache_clear()


def _hashes() -> tuple[str, dict[str, str]]:
    ids = registry.chapter_ids()
    return catalog.processing_hash(), {c: cache.chapter_code_hash(c) for c in ids}


def test_code_hashes_follow_the_layers(package_copy):
    processing, chapters = _hashes()
    package_copy("present/text.py")  # presentation: every chapter, never processing
    after, changed = _hashes()
    assert after == processing
    assert all(changed[c] != chapters[c] for c in chapters)
    package_copy("chapters/natverk/figures.py")  # one chapter package: who lists it
    again = _hashes()[1]
    assert {c for c in again if again[c] != changed[c]} == {"05_natverk", "06_region"}
    package_copy("prevalence.py")  # analysis: processing and so every chapter
    assert _hashes()[0] != processing
    package_copy("ingest/readers.py")
    assert catalog.processing_hash() != after


@pytest.mark.slow
def test_a_presentation_change_reruns_chapters_and_leaves_processed_tables(
    project, package_copy, monkeypatch
):
    root, _, _, build = project
    assert build().ok
    processed = root / "processed"
    stamps = {p.name: p.stat().st_mtime_ns for p in processed.iterdir() if p.is_file()}
    package_copy("present/style.py")

    def no_processing(*a, **kw):
        raise AssertionError("processing ran after a presentation-only change")

    import fouanalys.ingest.processing

    monkeypatch.setattr(fouanalys.ingest.processing, "process", no_processing)
    second = build()
    assert second.ok and executed(second) == set(CODES)  # every chapter again
    assert {p.name: p.stat().st_mtime_ns for p in processed.iterdir() if p.is_file()} == stamps


@pytest.mark.slow
def test_nothing_changed_executes_nothing_and_skips_processing(project, monkeypatch):
    root, _, _, build = project
    first = build()
    assert first.ok and executed(first) == set(CODES)
    html = root / "reports" / "0125" / "03_insatser.html"
    stamp = html.stat().st_mtime_ns

    def no_processing(*a, **kw):
        raise AssertionError("processing ran although nothing changed")

    import fouanalys.ingest.processing

    monkeypatch.setattr(fouanalys.ingest.processing, "process", no_processing)
    second = build()
    assert second.ok and executed(second) == set()
    assert all(r.cached for r in second.results)
    assert html.stat().st_mtime_ns == stamp
    assert "oförändrad" in runner.format_summary(second)


@pytest.mark.slow
def test_one_municipalitys_rows_rerun_only_its_chapter(project):
    _, data, notebooks, build = project
    build()
    path = data / "befolkning.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith("0125,"))
    code, year, age, sex, count = lines[i].split(",")
    lines[i] = ",".join([code, year, age, sex, str(int(count) + 7)])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert executed(build()) == {"0125"}
    # The notebook changed: every chapter runs again; --force does too.
    nb = chapter_notebook("x = 1\n")
    nbformat.write(nb, notebooks / "03_insatser.ipynb")
    assert executed(build()) == set(CODES)
    assert executed(build()) == set()
    assert executed(build(force=True)) == set(CODES)


@pytest.mark.slow
def test_a_new_mapping_round_reruns_only_its_municipality(project):
    _, data, _, build = project
    build()
    rounds = data / "kartlaggning" / "0191"  # the example has a round there already
    rounds.mkdir(parents=True, exist_ok=True)
    lines = (data / "insatser.csv").read_bytes().decode("cp1252").splitlines()
    own = [lines[0], *(line for line in lines if line.startswith("0191;"))]
    (rounds / "2026-12-01.csv").write_text("\n".join(own[:-1]) + "\n", encoding="utf-8")
    assert executed(build()) == {"0191"}  # one intervention fewer: only Sigtuna changes
    assert executed(build()) == set()
    (rounds / "2026-12-01.json").write_text("{}", encoding="utf-8")  # a sidecar is no input
    assert executed(build()) == set()
    (rounds / "2026-12-01.csv").unlink()  # back to the example's own rounds
    assert executed(build()) == {"0191"}


def _task_keys(data: Path, processed: Path) -> dict[tuple[str, str], str]:
    """(municipality or region code, chapter or deck) -> content key, for every entry of
    every municipality, from the tables in ``processed`` (made from ``data`` if need be)."""
    from fouanalys.codebook import load_codebook
    from fouanalys.ingest.processing import process

    codebook = load_codebook()
    manifest = process(data, processed, codebook, report_dir=processed.parent / "validation")
    tasks = runner.plan_tasks(
        codebook.municipality_codes,
        manifest,
        codebook,
        data,
        processed,
        processed / "r",
        chapters=registry.entry_ids(),
    )
    assert all(t.key for t in tasks)
    return {(t.municipality_code, t.chapter_id): t.key for t in tasks}


def _changed(before: dict, after: dict) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for task, key in after.items():
        if before[task] != key:
            out.setdefault(task[0], set()).add(task[1])
    return out


@pytest.mark.slow
def test_one_municipalitys_change_rekeys_its_chapters_the_region_and_what_shows_the_region(
    prepared, tmp_path
):
    """The re-run scope, over the real chapters and decks: a change to one municipality's
    mapping changes the keys of its own chapters and the region's only. A change to its survey
    also those of the other municipalities' chapters that print the region's survey figures
    (02 shows the region's risk ratios) or what rests on them (a factor is prioritised against
    the rest of the region), never their 01, which shows only their own data."""
    import csv
    import gzip
    import io
    import json

    data, processed = copy_prepared(prepared, tmp_path)
    region = registry.entry_ids("region")
    before = _task_keys(data, processed)

    path = data / "insatser.csv"  # Ekerö's interventions (no stored rounds of its own)
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("cp1252")), delimiter=";"))
    column = rows[0].index("deltagare_per_ar")
    row = next(r for r in rows[1:] if r[0] == "0125" and r[column])
    row[column] = str(int(row[column]) + 5)
    text = io.StringIO()
    csv.writer(text, delimiter=";", lineterminator="\n").writerows(rows)
    path.write_bytes(text.getvalue().encode("cp1252"))
    mapped = _task_keys(data, tmp_path / "mapped")
    changed = _changed(before, mapped)
    assert set(changed) == {"0125", "NV"}, changed
    assert "03_insatser" in changed["0125"] and changed["NV"] == set(region)

    survey = data / "enkat.csv.gz"  # one Ekerö pupil's answers fewer
    rows = gzip.decompress(survey.read_bytes()).decode("utf-8").split("\n")
    rows.pop(next(i for i, row in enumerate(rows) if ",Ekerö,Ekerö," in row))
    survey.write_bytes(gzip.compress("\n".join(rows).encode("utf-8")))
    answered = _task_keys(data, tmp_path / "answered")
    changed = _changed(mapped, answered)
    assert {"02_riskfaktorer", "01_underlag"} <= changed["0125"]
    assert changed["NV"] >= {"06_region"}
    others = {code: chapters for code, chapters in changed.items() if code not in ("0125", "NV")}
    assert others, "the region's survey figures moved, so other chapters must re-run"
    slices = [json.loads((tmp_path / f / "manifest.json").read_text())["slices"]
              for f in ("mapped", "answered")]  # fmt: skip
    for code, chapters in others.items():
        assert "02_riskfaktorer" in chapters
        # 01 shows the municipality's own rows only: it re-runs only where they changed (the
        # disclosure control can hide another cell of a municipality when one of the region's
        # changes), never for the region's rows or the whole file's facts.
        own = {
            t
            for t in ("enkat", "response", "prevalence")
            if slices[0][t].get(code) != slices[1][t].get(code)
        }
        assert ("01_underlag" in chapters) == bool(own), (code, own)
    assert any("01_underlag" not in chapters for chapters in others.values())


@pytest.mark.slow
def test_a_killed_build_leaves_finished_chapters_and_the_next_completes_the_rest(project):
    root, data, notebooks, build = project
    marker, running = root / "stall", root / "stalling"
    marker.touch()
    nb = chapter_notebook(
        "import time\nfrom pathlib import Path\n"
        f"if municipality == '0184' and Path({str(marker)!r}).exists():\n"
        f"    Path({str(running)!r}).touch()\n    time.sleep(120)\n"
    )
    nbformat.write(nb, notebooks / "03_insatser.ipynb")
    script = (
        "from pathlib import Path\nfrom fouanalys.build import runner\n"
        "runner.KERNEL_NAME = 'python3'\n"
        f"runner.build(municipalities={CODES!r}, data_dir=Path({str(data)!r}), "
        f"processed_dir=Path({str(root / 'processed')!r}), "
        f"reports_dir=Path({str(root / 'reports')!r}), jobs=1, formats=('html',), "
        f"chapters=('03_insatser',), progress=False, notebooks_dir=Path({str(notebooks)!r}))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    stalled = root / "reports" / "0184"
    deadline = time.monotonic() + 300
    while not running.exists():  # wait until the stalled chapter is inside its cell
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    assert list(stalled.glob(".03_insatser.tmp-*/*.ipynb"))  # executing in its scratch folder
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = root / "reports" / "0125"
    assert key_path(done / "03_insatser.ipynb").is_file()
    assert (done / "03_insatser.html").is_file()
    assert not (stalled / "03_insatser.html").exists()
    assert not (stalled / "03_insatser.ipynb").exists()  # nothing half-written in place
    marker.unlink()
    summary = build()
    assert summary.ok and executed(summary) == {"0184", "0191"}
    assert not list(stalled.glob(".03_insatser.tmp-*"))  # the killed build's scratch is gone


@pytest.mark.slow
def test_a_cell_over_the_timeout_fails_cleanly(project):
    _, _, notebooks, build = project
    nbformat.write(
        chapter_notebook("import time\ntime.sleep(30)\n"), notebooks / "03_insatser.ipynb"
    )
    summary = build(municipalities=["0125"], cell_timeout=2)
    [failed] = summary.failed
    assert "2 s" in failed.error and "avbröts" in failed.error
    assert not key_path(Path(failed.notebook)).exists()


def test_a_notebook_without_parameters_cell_is_named(tmp_path):
    nb = chapter_notebook()
    nb.cells[1].metadata["tags"] = []
    nbformat.write(nb, tmp_path / "03_insatser.ipynb")
    with pytest.raises(BuildError, match="saknar en cell med taggen 'parameters'") as err:
        runner.check_parameters_cell(tmp_path / "03_insatser.ipynb")
    assert "03_insatser.ipynb" in str(err.value)


def test_an_unreachable_scheduler_is_named(monkeypatch):
    monkeypatch.setattr(runner, "SCHEDULER_TIMEOUT", 1)
    with pytest.raises(BuildError, match="tcp://127.0.0.1:9") as err:
        runner.connect_scheduler("tcp://127.0.0.1:9")
    assert "Dask-schemaläggaren" in str(err.value)


@pytest.mark.slow
def test_dask_executor_gives_the_same_chapters(project):
    from distributed import LocalCluster

    root, _, _, build = project
    local = build(municipalities=["0125"], reports_dir=root / "local")
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = build(
            municipalities=["0125"],
            reports_dir=root / "dask",
            scheduler=cluster.scheduler_address,
        )
    assert local.ok and remote.ok and executed(remote) == {"0125"}

    def shown(folder: str) -> list:
        nb = nbformat.read(root / folder / "0125" / "03_insatser.ipynb", as_version=4)
        return [o.get("data") for c in nb.cells if c.cell_type == "code" for o in c.outputs]

    assert shown("dask") == shown("local") != []
    assert (root / "dask" / "0125" / "03_insatser.html").is_file()
    assert key_path(root / "dask" / "0125" / "03_insatser.ipynb").is_file()


def test_the_no_change_path_imports_neither_pandas_nor_great_expectations():
    """A no-change rebuild reads only bytes and JSON: importing the runner and the cache must
    not pull in pandas, matplotlib or Great Expectations (seconds on every rebuild)."""
    heavy = ("pandas", "matplotlib", "great_expectations")
    code = (
        "import sys\nfrom fouanalys.build import cache, runner\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
