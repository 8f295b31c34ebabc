# ruff: noqa: F811  (the fixture `prepared` is imported from support)
"""The build, end to end on the embedded example: every municipality's chapters are executed.

This is the test that makes CI re-execute each municipality's notebooks on the example data.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from support import copy_prepared, prepared  # noqa: F401 (a fixture)

from fouanalys.build.runner import build, format_summary
from fouanalys.chapters import registry
from fouanalys.config import SYNTHETIC_BANNER


@pytest.mark.slow
def test_every_municipality_and_chapter_builds(full_build, codebook):
    summary, root = full_build
    assert summary.ok, format_summary(summary)
    done = {(r.municipality_code, r.chapter_id) for r in summary.results}
    assert done == {
        (c, ch) for c in codebook.municipality_codes for ch in registry.entry_ids("municipality")
    } | {(codebook.region.code, ch) for ch in registry.entry_ids("region")}  # decks included
    for r in summary.results:
        folder = "region" if r.municipality_code == codebook.region.code else r.municipality_code
        for suffix in ("ipynb", "html", "pdf"):
            path = root / "reports" / folder / f"{r.chapter_id}.{suffix}"
            assert path.is_file() and path.stat().st_size > 0, path
        assert (root / "reports" / folder / f"{r.chapter_id}.pdf").read_bytes()[:5] == b"%PDF-"


@pytest.mark.slow
def test_chapters_are_in_swedish_without_code_and_carry_the_banner(full_build, codebook):
    summary, root = full_build
    for r in summary.results:
        assert Path(r.html).parent.parent == root / "reports"
        html = Path(r.html).read_text(encoding="utf-8")
        assert SYNTHETIC_BANNER in html
        assert codebook.municipality_name(r.municipality_code) in html
        assert "import fouanalys" not in html and "load_table(" not in html
        assert "Traceback" not in html and "Warning" not in html
        if registry.kind(r.chapter_id) == "deck":
            continue  # slides: their own tests check titles, figures and pages
        assert registry.title(r.chapter_id) in html
        if r.chapter_id == "04_kunskapslaget" and "ingen prioriterad faktor" in html:
            continue  # no gap to meet: the chapter says so, with nothing to draw
        assert re.search(r"<img[^>]+src=\"data:image/png;base64,", html), "no embedded figure"


@pytest.mark.slow
def test_index_links_every_chapter_and_processed_manifest_is_complete(full_build, codebook):
    _, root = full_build
    index = (root / "reports" / "index.html").read_text(encoding="utf-8")
    for code in codebook.municipality_codes:
        for chapter in registry.chapter_ids("municipality"):
            assert f"{code}/{chapter}.html" in index
            assert f"{code}/{chapter}.pdf" in index
        assert f"{code}/slutrapport.pdf" in index and f"{code}/slutrapport.html" in index
        assert (root / "reports" / code / "slutrapport.pdf").read_bytes()[:5] == b"%PDF-"
    assert "region/06_region.html" in index and "region/slutrapport.pdf" in index
    manifest = json.loads((root / "processed" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["synthetic"] is True
    assert set(manifest["inputs"]) >= {"enkat", "insatser", "befolkning"}
    assert set(manifest["tables"]) >= {"enkat", "insatser", "befolkning"}


@pytest.mark.slow
def test_parameters_reach_the_executed_notebook(full_build):
    _, root = full_build
    nb = nbformat.read(root / "reports" / "0125" / "01_underlag.ipynb", as_version=4)
    params = nb.metadata["papermill"]["parameters"]
    assert params["municipality"] == "0125"
    assert params["processed_dir"] == str(root / "processed")
    assert nb.metadata["fouanalys"]["municipality_name"] == "Ekerö"


def _failing_notebook() -> nbformat.NotebookNode:
    """A chapter whose third cell fails for Ekerö only."""
    params = nbformat.v4.new_code_cell(
        "municipality = None\ndata_dir = None\nprocessed_dir = None\nseed = 0"
    )
    params.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        params,
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell(
            "if municipality == '0125':\n    raise ValueError('trasig cell')"
        ),
    ]
    return nb


@pytest.mark.slow
def test_a_failing_chapter_is_kept_named_and_does_not_stop_the_others(prepared, tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nbformat.write(_failing_notebook(), notebooks / "01_underlag.ipynb")
    data, processed = copy_prepared(prepared, tmp_path)  # tables made: straight to chapters
    summary = build(
        municipalities=["Ekerö", "0184"],
        data_dir=data,
        processed_dir=processed,
        reports_dir=tmp_path / "reports",
        jobs=1,
        formats=("html",),
        chapters=("01_underlag",),
        progress=False,
        notebooks_dir=notebooks,
    )
    assert not summary.ok
    [failed] = summary.failed
    assert failed.municipality_code == "0125"
    kept = nbformat.read(tmp_path / "reports" / "0125" / "01_underlag.ipynb", as_version=4)
    [errored] = [
        c for c in kept.cells if any(o["output_type"] == "error" for o in c.get("outputs", []))
    ]
    assert failed.cell == errored.execution_count
    assert "trasig cell" in failed.error and "if municipality" in failed.error
    ok = [r for r in summary.results if r.status == "ok"]
    assert [r.municipality_code for r in ok] == ["0184"]
    text = format_summary(summary)
    assert "Ekerö (0125)" in text and f"cell [{failed.cell}]" in text and "trasig cell" in text
    index = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    assert "trasig cell" in index


def test_a_build_with_nothing_to_do_imports_no_plotting_or_linear_algebra():
    """The no-change rebuild stays under a second (issue 23): what the runner needs besides the
    chapters (the index's findings, the action plans' keys) does not import matplotlib or
    scipy.linalg, while every name a chapter package exports still imports."""
    import subprocess
    import sys

    script = (
        "import importlib, sys\n"
        "import fouanalys.build.runner, fouanalys.build.actionplan, fouanalys.build.index\n"
        "from fouanalys.chapters.insatser import finding_line\n"
        "heavy = [m for m in ('matplotlib', 'scipy.linalg') if m in sys.modules]\n"
        "print(heavy)\n"
        "for name in ('present', 'chapters.insatser', 'chapters.riskfaktorer'):\n"
        "    module = importlib.import_module('fouanalys.' + name)\n"
        "    assert all(getattr(module, n) is not None for n in module.__all__)\n"
        "print('matplotlib' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[:2] == ["[]", "True"]
