"""The notebooks' side of the library: prepare(), plain errors, readable tables, figures and
progress; and two papermill runs of a chapter with the interactive defaults."""

from __future__ import annotations

import importlib
import json
import re
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from support import example_tables, synthetic_manifest

from fouanalys import config
from fouanalys import recruitment as rec
from fouanalys import workbench as wb
from fouanalys.build import cache
from fouanalys.chapters import registry
from fouanalys.codebook import load_codebook
from fouanalys.exceptions import DataValidationError, FouanalysError, Problem
from fouanalys.ingest import catalog, processing
from fouanalys.ingest.rounds import find_rounds
from fouanalys.present.tables import Table
from fouanalys.prevalence import PREVALENCE_COLUMNS, PRIORITY_COLUMNS
from fouanalys.priority import priority_factors

CB = load_codebook()
CHAPTERS = list(registry.chapter_ids())
NBSP, WJ = "\u00a0", "\u2060"  # no-break space before "%", word joiner after an interval's dash
BAD_ROW = Problem(
    file="befolkning.csv",
    message="Värdet ligger utanför det tillåtna intervallet.",
    column="antal",
    rows=(3,),
    values=("-7",),
    expected="heltal ≥ 0",
)


# --- the plain problem list -----------------------------------------------------------------


def test_unusable_data_renders_as_the_plain_problem_list():
    other = Problem(file="insatser.csv", message="Okänd nivå.", column="niva", rows=(5, 9))
    err = wb.UnusableDataError(Path("/data/kommun"), [BAD_ROW, other], "/r/index.html")
    assert isinstance(err, DataValidationError) and isinstance(err, FouanalysError)
    lines = err._render_traceback_()
    assert lines[0] == "Underlaget i /data/kommun klarar inte valideringen: 2 problem"
    assert f"- {BAD_ROW}" in lines and f"- {other}" in lines
    assert "befolkning.csv, kolumn 'antal', rad 3" in "\n".join(lines)
    assert "Valideringsrapport: /r/index.html" in lines
    assert not any("Traceback" in line or 'File "' in line for line in lines)
    assert err.problems == [BAD_ROW, other]  # the CLI's view of it is unchanged


# --- prepare() ------------------------------------------------------------------------------


def _forbid(monkeypatch, *names):
    def fail(*args, **kwargs):
        raise AssertionError("must not be called")

    for module, name in names:
        monkeypatch.setattr(module, name, fail)


def test_a_given_processed_dir_is_used_as_it_is(tmp_path, monkeypatch):
    processed = tmp_path / "processed"
    processed.mkdir()
    (processed / "manifest.json").write_text("{}", encoding="utf-8")
    _forbid(monkeypatch, (processing, "process"), (cache, "current_manifest"))
    # data_dir need not exist (a Dask worker's temporary folder)
    assert wb.prepare(tmp_path / "not-here", str(processed)) == processed.resolve()
    assert sorted(p.name for p in processed.iterdir()) == ["manifest.json"]


def _fake_process(calls):
    """A stand-in for processing.process: writes a manifest current_manifest accepts."""

    def process(data_dir, processed_dir, report_dir=None):
        calls.append((Path(data_dir), Path(processed_dir), report_dir))
        inputs = {}
        for name in cache.RAW_INPUTS:
            found = cache._raw_candidates(data_dir, name)
            if found:
                inputs[name] = {"file": found[0].name, "sha256": cache.sha256_file(found[0])}
        for mapping_round in find_rounds(Path(data_dir))[0]:  # the example's later rounds
            inputs[mapping_round.input_name] = {"sha256": cache.sha256_file(mapping_round.path)}
        manifest = {
            "processing_hash": catalog.processing_hash(),
            "slices": {"enkat": {"all": "x"}},
            "data_dir": str(Path(data_dir).resolve()),
            "synthetic": config.is_synthetic(Path(data_dir)),
            "inputs": inputs,
            "tables": {},
        }
        Path(processed_dir).mkdir(parents=True, exist_ok=True)
        (Path(processed_dir) / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        return manifest

    return process


def test_prepare_processes_once_and_reuses_until_the_raw_files_change(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    shutil.copytree(config.EXAMPLE_DATA_DIR, raw)
    calls = []
    monkeypatch.setattr(processing, "process", _fake_process(calls))
    monkeypatch.setattr(config, "PROCESSED_DATA_DIR", tmp_path / "processed")
    monkeypatch.setenv(config.REPORTS_DIR_ENV, str(tmp_path))
    monkeypatch.setenv(config.DATA_DIR_ENV, str(raw))

    # defaults: $FOUANALYS_DATA_DIR, config; the default data's page under $FOUANALYS_REPORTS_DIR
    assert wb.prepare() == tmp_path / "processed"
    assert calls == [(raw, tmp_path / "processed", tmp_path / "validation")]
    assert wb.prepare(str(raw)) == tmp_path / "processed"  # up to date: reused
    assert wb.prepare(None, None) == tmp_path / "processed"
    assert len(calls) == 1
    with open(raw / "befolkning.csv", "a", encoding="utf-8") as fh:
        fh.write("0114,2018,2,Flicka,300\n")
    wb.prepare(raw)
    assert len(calls) == 2  # a changed raw file is processed again
    # a processed_dir without a manifest is filled from the data directory
    assert wb.prepare(raw, tmp_path / "own") == tmp_path / "own"
    assert calls[-1][:2] == (raw, tmp_path / "own") and len(calls) == 3


def test_relative_paths_are_taken_from_the_project_root(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "PROJ_ROOT", tmp_path)
    assert wb.project_path("data/raw/kommun") == tmp_path / "data" / "raw" / "kommun"
    assert wb.project_path("/abs/x") == Path("/abs/x")
    assert wb.project_path("~") == Path.home().resolve()


def test_a_missing_data_dir_is_a_plain_error_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "PROCESSED_DATA_DIR", tmp_path / "processed")
    _forbid(monkeypatch, (processing, "process"))
    with pytest.raises(wb.UnusableDataError) as caught:
        wb.prepare(tmp_path / "saknas")
    lines = caught.value._render_traceback_()
    assert lines[0] == f"Datamappen {tmp_path / 'saknas'} finns inte"
    assert any("mappen finns inte" in line for line in lines)
    assert not (tmp_path / "processed").exists()


def test_invalid_data_becomes_the_problem_list(tmp_path, monkeypatch):
    def invalid(data_dir, processed_dir, report_dir=None):
        raise DataValidationError([BAD_ROW], report_path=str(Path(report_dir) / "index.html"))

    monkeypatch.setattr(processing, "process", invalid)
    monkeypatch.setattr(config, "PROCESSED_DATA_DIR", tmp_path / "processed")
    with pytest.raises(wb.UnusableDataError) as caught:
        wb.prepare(config.EXAMPLE_DATA_DIR, report_dir=tmp_path / "validation")
    err = caught.value
    assert err.problems == [BAD_ROW] and err.__suppress_context__  # no chained pandas frames
    assert err.report_path == str(tmp_path / "validation" / "index.html")
    assert err._render_traceback_()[0] == (
        f"Underlaget i {config.EXAMPLE_DATA_DIR} klarar inte valideringen: 1 problem"
    )
    # Nothing but the lock a build takes on the folder (fouanalys.build.lock).
    assert [p.name for p in (tmp_path / "processed").iterdir()] == [".fouanalys.lock"]


# --- readable tables ------------------------------------------------------------------------


def _prevalence_rows() -> tuple[pd.DataFrame, object, object]:
    risk = next(i for i in CB.indices if i.kind == "risk")
    protective = next(i for i in CB.indices if i.kind == "protective")
    base = {c: pd.NA for c in PREVALENCE_COLUMNS}
    rows = [
        # protective first: the display puts the codebook's order back
        base
        | dict(municipality_code="0123", year=2024, grade="Alla", sex="Alla")
        | dict(factor=protective.id, domain=protective.domain, kind="protective", n=3)
        | dict(suppressed=True),
        base
        | dict(municipality_code="0123", year=2024, grade="Alla", sex="Alla")
        | dict(factor=risk.id, domain=risk.domain, kind="risk", n=1642, cases=509)
        | dict(share=0.31, ci_low=0.2497, ci_high=0.3771, suppressed=False),
        # another municipality and an older year: not shown
        base
        | dict(municipality_code="0114", year=2024, grade="Alla", sex="Alla")
        | dict(factor=risk.id, domain=risk.domain, kind="risk", n=10, share=0.9, suppressed=False),
        base
        | dict(municipality_code="0123", year=2022, grade="Alla", sex="Alla")
        | dict(factor=risk.id, domain=risk.domain, kind="risk", n=10, share=0.9, suppressed=False),
    ]
    return pd.DataFrame(rows), risk, protective


def test_prevalence_display_has_swedish_headers_and_formatted_shares():
    frame, risk, protective = _prevalence_rows()
    table = wb.prevalence_display(frame, "Järfälla", codebook=CB)  # a name works as well
    assert isinstance(table, Table)
    shown = table.frame
    assert list(shown.columns) == [
        "Faktor",
        "Typ",
        "Område",
        "Svarande",
        "Andel",
        f"95{NBSP}% konfidensintervall",
    ]
    domains = CB.labels("domains")
    assert shown.iloc[0].tolist() == [
        risk.label,
        "Risk",
        domains[risk.domain],
        "1\u202f642",
        f"31{NBSP}%",
        f"(25–{WJ}38)",  # 24,97 % and 37,71 % rounded
    ]
    assert (
        shown.iloc[1].tolist()
        == [protective.label, "Skydd", domains[protective.domain]] + ["–"] * 3
    )
    assert len(shown) == 2  # the latest year (2024) of Järfälla only
    assert table.caption == "Andel över gränsvärdet i Järfälla 2024, alla elever"
    html = table._repr_html_()
    assert '<th class="num">Andel</th>' in html and f"31{NBSP}%" in html


def test_priorities_display_is_the_chapters_ranked_table():
    risk = next(i for i in CB.indices if i.kind == "risk")
    row = {c: pd.NA for c in PRIORITY_COLUMNS} | dict(
        municipality_code="0123",
        year=2024,
        grade="Alla",
        sex="Alla",
        factor=risk.id,
        domain=risk.domain,
        kind="risk",
        share=0.25,
        ci_low=0.21,
        ci_high=0.29,
        reference_share=0.20,
        reference_ci_low=0.19,
        reference_ci_high=0.21,
        difference=0.05,
        diff_low=0.01,
        diff_high=0.09,
        elevated=True,
        rank=1,
        previous_year=2022,
        change=0.02,
        change_low=-0.01,
        change_high=0.05,
        suppressed=False,
    )
    frame = pd.DataFrame([row])
    table = wb.priorities_display(
        frame, "0123", codebook=CB, priority_factors=priority_factors(frame, CB)
    )
    shown = table.frame
    assert list(shown.columns) == [
        "Rang",
        "Faktor",
        "Typ",
        "Järfälla",
        "Övriga regionen",
        "Skillnad",
        "Förändring sedan 2022",
        "Prioriterad",
    ]
    assert shown.iloc[0].tolist() == [
        "1",
        risk.label,
        "Risk",
        f"25{NBSP}% (21–{WJ}29)",
        f"20{NBSP}% (19–{WJ}21)",
        f"+5 (1–{WJ}9)",
        f"+2 (\u22121{NBSP}till{NBSP}5)",
        "ja",
    ]
    assert "Järfälla 2024" in table.caption


def test_coverage_display_is_a_level_by_stage_grid():
    coverage = pd.DataFrame(
        [
            dict(
                municipality_code="0123",
                stage="13-15",
                level="förebygga",
                interventions=2,
                with_participants=2,
                without_participants=0,
                participants=120.0,
                population=1000,
                reach_per_1000=120.0,
                reach_complete=True,
                planned=0,
                best_knowledge="lovande",
            ),
            dict(
                municipality_code="0123",
                stage="16-18",
                level="förhindra",
                interventions=1,
                with_participants=0,
                without_participants=1,
                participants=np.nan,
                population=900,
                reach_per_1000=np.nan,
                reach_complete=False,
                planned=0,
                best_knowledge="ej bedömd",
            ),
        ]
    )
    table = wb.coverage_display(coverage, "Järfälla", codebook=CB)
    shown = table.frame.set_index("Nivå")
    assert list(shown.index) == ["Förebygga", "Förhindra", "Riskreducera"]
    assert list(shown.columns) == [
        f"Förskoleålder (0–5{NBSP}år)",
        f"Låg- och mellanstadium (6–12{NBSP}år)",
        f"Högstadium (13–15{NBSP}år)",
        f"Gymnasieålder (16–18{NBSP}år)",
        f"Unga vuxna (19–25{NBSP}år)",
    ]
    assert shown.loc["Förebygga", f"Högstadium (13–15{NBSP}år)"] == "120 (2 insatser)"
    assert shown.loc["Förhindra", f"Gymnasieålder (16–18{NBSP}år)"] == "okänd (1 insats)"
    assert shown.loc["Riskreducera", f"Unga vuxna (19–25{NBSP}år)"] == "0 (inga insatser)"


def test_scenario_display_formats_the_model_summary():
    rows = []
    for sc in rec.SCENARIOS:
        share = {"nulage": 0.030, "forhindra": 0.024}.get(sc.id, 0.029)
        rel = {"nulage": 0.0, "forhindra": -0.2}.get(sc.id, -0.05)
        row = {"scenario": sc.id, "label": sc.label, "replicates": 12}
        m = "share_involved_by_21"
        row |= {m: share, f"{m}_low": share * 0.8, f"{m}_high": share * 1.2}
        for m in rec.RELATIVE_OUTCOMES:
            row |= {f"{m}_rel": rel, f"{m}_rel_low": rel - 0.1, f"{m}_rel_high": rel + 0.05}
        rows.append(row)
    table = wb.scenario_display(pd.DataFrame(rows))
    shown = table.frame.set_index("Scenario")
    assert shown.loc["Nuläge", "Har varit i nätverket vid 21"] == f"3,0{NBSP}% (2,4–3,6)"
    assert shown.loc["Förhindra förstärkt", "Skillnad, procentenheter"] == "\u22120,6"
    assert shown.loc["Förhindra förstärkt", "Rekryterade, förändring"] == (
        f"\u221220{NBSP}% (\u221230{NBSP}till{NBSP}\u221215)"
    )
    assert "i modellen" in table.caption and "12 körningar" in table.note
    assert table.note.endswith("ej tillämpligt = nuläget är jämförelsen.")


# --- the notebooks, executed in this process: figures and progress ------------------------


@pytest.fixture(scope="module")
def example_processed(tmp_path_factory) -> Path:
    """The example's processed tables (Kolada included), without Great Expectations."""
    out = tmp_path_factory.mktemp("processed")
    processing.write_tables(example_tables(CB, kolada=True), out, synthetic_manifest(CB))
    return out


FIGURE_CALL = re.compile(r"captioned\(\s*(\w+)\.(\w+)\(")
#: A notebook's chapter imports, e.g. ``from fouanalys.chapters import insatser as kartlaggning``.
CHAPTER_IMPORT = re.compile(r"^from fouanalys\.chapters import (.+)$", re.MULTILINE)


def _exec_notebook(name: str, parameters: dict) -> None:
    """Run a chapter's code cells here, as papermill would: parameters cell, then overrides."""
    nb = nbformat.read(config.NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
    namespace: dict = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
        exec(compile(code, f"{name}.ipynb", "exec"), namespace)
        if "parameters" in cell.metadata.get("tags", []):
            namespace.update(parameters)


def test_figure_functions_return_figures_and_the_build_gets_no_progress_bar(
    example_processed, monkeypatch
):
    used = set()
    for name in CHAPTERS:
        source = "\n".join(
            c.source for c in nbformat.read(config.NOTEBOOKS_DIR / f"{name}.ipynb", 4).cells
        )
        imported = [
            n.split(" as ") for line in CHAPTER_IMPORT.findall(source) for n in line.split(", ")
        ]
        packages = {names[-1]: names[0] for names in imported}
        used |= {(packages[a], f) for a, f in FIGURE_CALL.findall(source) if a in packages}
    assert len(used) >= 15  # every chapter's figures, e.g. ("natverk", "scenario_figure")
    returned: dict[tuple[str, str], list] = {key: [] for key in used}
    for module, function in used:
        owner = importlib.import_module(f"fouanalys.chapters.{module}")
        original = getattr(owner, function)

        def recorded(*args, _key=(module, function), _original=original, **kwargs):
            figure = _original(*args, **kwargs)
            returned[_key].append(figure)
            return figure

        monkeypatch.setattr(owner, function, recorded)
    progress = []
    run_scenarios = rec.run_scenarios
    monkeypatch.setattr(
        rec,
        "run_scenarios",
        lambda *a, **k: progress.append(k.get("progress")) or run_scenarios(*a, **k),
    )
    small_model = {"skala": 0.5, "manader": 60, "utfall_manader": 36}
    for name in CHAPTERS:  # as the build runs them: processed_dir given
        _exec_notebook(
            name, {"processed_dir": str(example_processed), "replicates": 2, "model": small_model}
        )

    assert {key for key, figs in returned.items() if not figs} == set()  # each one was called
    for key, figures in returned.items():
        for figure in figures:
            assert isinstance(figure, Figure), key
            assert figure.axes, key
            assert figure.canvas.figure is figure  # not closed: it can still be drawn
            figure.axes[0].set_title("Omstylad")  # and restyled by a researcher
    assert progress == [False]  # processed_dir passed (the build): no progress bar


# --- progress -------------------------------------------------------------------------------


def test_interactive_is_off_when_the_build_passes_processed_dir(monkeypatch):
    monkeypatch.delenv(wb.BATCH_ENV, raising=False)
    assert wb.interactive() is True
    assert wb.interactive(None) is True
    assert wb.interactive("/tmp/processed") is False
    monkeypatch.setenv(wb.BATCH_ENV, "1")
    assert wb.interactive() is False


def test_run_scenarios_shows_a_progress_bar_only_when_asked(example_processed, capsys):
    tables = {
        n: processing.load_table(n, example_processed)
        for n in ("prevalence", "associations", "insatser", "befolkning")
    }
    inputs = rec.model_inputs(tables, "0123", CB)
    params = rec.model_parameters({"skala": 0.25, "manader": 24, "utfall_manader": 12})
    one = rec.SCENARIOS[:1]
    quiet = rec.run_scenarios(inputs, params, replicates=2, seed=1, scenarios=one)
    assert capsys.readouterr().err == ""
    shown = rec.run_scenarios(inputs, params, replicates=2, seed=1, scenarios=one, progress=True)
    err = capsys.readouterr().err
    assert "Simulerar" in err and "2/2" in err  # tqdm's text bar outside a notebook
    pd.testing.assert_frame_equal(quiet.runs, shown.runs)  # the bar changes nothing


# --- papermill: bad input and the interactive defaults on a fresh clone ---------------------


@pytest.fixture
def kernel_env(tmp_path, monkeypatch) -> Path:
    """Environment for a papermill kernel that writes nothing into the repository: processed
    tables in ``tmp/processed`` (config reads the variable at import) and the validation
    report in ``tmp/validation`` (set by an IPython startup file, as config has no variable
    for it)."""
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-fouanalys-reports.py").write_text(
        "from pathlib import Path\n"
        "import fouanalys.config\n"
        f"fouanalys.config.VALIDATION_REPORT_DIR = Path({str(tmp_path / 'validation')!r})\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv(config.PROCESSED_DIR_ENV, str(tmp_path / "processed"))
    monkeypatch.delenv(config.DATA_DIR_ENV, raising=False)
    monkeypatch.setenv(wb.BATCH_ENV, "1")
    return tmp_path


def _setup_cell(nb) -> nbformat.NotebookNode:
    """The first code cell after the parameters (and papermill's injected parameters)."""
    tagged = ("parameters", "injected-parameters")
    cells = [c for c in nb.cells if c.cell_type == "code"]
    start = max(i for i, c in enumerate(cells) if set(c.metadata.get("tags", [])) & set(tagged))
    return cells[start + 1]


@pytest.mark.slow
def test_a_notebook_on_invalid_data_shows_the_problem_list_first(kernel_env):
    import papermill as pm

    broken = kernel_env / "kommun"
    shutil.copytree(config.EXAMPLE_DATA_DIR, broken)
    lines = (broken / "befolkning.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = re.sub(r",\d+$", ",-7", lines[2])  # spreadsheet row 3
    (broken / "befolkning.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    out = kernel_env / "01.ipynb"
    with pytest.raises(pm.PapermillExecutionError):
        pm.execute_notebook(
            str(config.NOTEBOOKS_DIR / "01_underlag.ipynb"),
            str(out),
            parameters={"data_dir": str(broken)},
            kernel_name="python3",
            progress_bar=False,
        )
    first = _setup_cell(nbformat.read(out, as_version=4)).outputs[0]
    assert first.output_type == "error" and first.ename == "UnusableDataError"
    shown = "\n".join(first.traceback)
    assert shown.splitlines()[0] == f"Underlaget i {broken} klarar inte valideringen: 1 problem"
    assert "befolkning.csv, kolumn 'antal', rad 3" in shown and "'-7'" in shown
    # other data than the default: its own page beside it, never the build's
    page = kernel_env / "kommun-validering" / "index.html"
    assert f"Valideringsrapport: {page}" in shown
    for noise in ("Traceback", "pandas", 'File "/', "site-packages", "\x1b["):
        assert noise not in shown, noise
    assert page.is_file()
    # nothing written but the lock a build takes on the folder (fouanalys.build.lock)
    assert [p.name for p in (kernel_env / "processed").iterdir()] == [".fouanalys.lock"]


@pytest.mark.slow
def test_a_fresh_clone_runs_a_chapter_with_its_defaults(kernel_env):
    import papermill as pm

    notebooks = kernel_env / "notebooks"
    shutil.copytree(config.NOTEBOOKS_DIR, notebooks)
    repo_manifest = config.DATA_DIR / "processed" / "manifest.json"
    before = repo_manifest.stat().st_mtime_ns if repo_manifest.exists() else None

    out = kernel_env / "01.ipynb"
    pm.execute_notebook(
        str(notebooks / "01_underlag.ipynb"), str(out), kernel_name="python3", progress_bar=False
    )  # no parameters: the defaults of the parameters cell
    nb = nbformat.read(out, as_version=4)
    manifest = processing.load_manifest(kernel_env / "processed")
    assert manifest["data_dir"] == str(config.EXAMPLE_DATA_DIR) and manifest["synthetic"]
    status = _setup_cell(nb).outputs
    assert [o.output_type for o in status] == ["display_data"]
    assert "är validerat och bearbetat" in status[0].data["text/markdown"]
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(
        o.get("data", {}).get("text/markdown", "") + o.get("data", {}).get("text/html", "")
        for o in outputs
    )
    assert config.SYNTHETIC_BANNER in text and "Järfälla" in text and "Indatafiler" in text
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 3
    after = repo_manifest.stat().st_mtime_ns if repo_manifest.exists() else None
    assert after == before  # the repository's data/processed untouched


def test_notebooks_keep_their_contract():
    from papermill.translators import PythonTranslator

    for name in CHAPTERS:
        nb = nbformat.read(config.NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
        cells = [c for c in nb.cells if c.cell_type == "code"]
        params = next(c for c in cells if "parameters" in c.metadata.get("tags", []))
        found = [p.name for p in PythonTranslator.inspect(params)]
        assert found[:4] == ["municipality", "data_dir", "processed_dir", "seed"], name
        setup = cells[cells.index(params) + 1]
        assert "workbench.prepare(data_dir, processed_dir)" in setup.source, name
        assert all(not c.outputs and c.execution_count is None for c in cells), name
        for c in cells:
            assert not re.search(r"^\s*(def|class) ", c.source, re.M), name
    natverk = (config.NOTEBOOKS_DIR / "05_natverk.ipynb").read_text(encoding="utf-8")
    assert "progress=workbench.interactive(processed_dir)" in natverk


def test_a_first_cell_imports_neither_the_views_nor_scipy_until_asked():
    """A chapter's first cell imports the workbench and the presentation modules: the views'
    imports (the network model, networkx) and scipy wait until something needs them, which
    keeps about a second off the first figure in a fresh kernel; the views stay offered."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from fouanalys import workbench\n"
        "from fouanalys.present import captioned, table\n"
        "from fouanalys.present.labels import priority_rule\n"
        "heavy = ['fouanalys.chapters.views', 'fouanalys.recruitment', 'networkx', 'scipy']\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "from fouanalys.chapters import views\n"
        "from fouanalys.workbench import coverage_display\n"
        "print(coverage_display is views.coverage_display"
        " and workbench.scenario_display is views.scenario_display"
        " and 'prevalence_display' in dir(workbench))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.split("\n")[:2] == ["[]", "True"]
    with pytest.raises(AttributeError, match="no attribute 'no_such_view'"):
        wb.no_such_view  # noqa: B018
