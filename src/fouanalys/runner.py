"""The build: validate, process, execute each chapter notebook per municipality, export.

Each (municipality, chapter) is one task, run in a pool of worker processes. A task executes
the chapter notebook with papermill into ``reports/<kommunkod>/<chapter>.ipynb`` (kept even
when it fails: papermill writes it as it goes), then exports it to HTML and PDF. A failing
task never stops the others; the summary names the municipality, the cell and the kept
notebook, and the build's exit status reflects it.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import nbformat

from fouanalys import __version__
from fouanalys.codebook import Codebook, load_codebook
from fouanalys.config import (
    CELL_TIMEOUT,
    KERNEL_NAME,
    MUNICIPALITY_CHAPTERS,
    NOTEBOOKS_DIR,
    PROCESSED_DATA_DIR,
    REPORTS_DIR,
    VALIDATION_REPORT_DIR,
    default_data_dir,
)
from fouanalys.exceptions import BuildError, FouanalysError
from fouanalys.kernel import ensure_kernel
from fouanalys.processing import process

log = logging.getLogger("fouanalys")

#: Swedish chapter titles, by notebook stem.
CHAPTER_TITLES = {
    "01_underlag": "Underlag och datakvalitet",
    "02_riskfaktorer": "Riskfaktorer",
    "03_insatser": "Insatser längs livsförloppet",
    "04_natverk": "Nätverksdynamik och samverkan",
    "05_region": "Regional översikt",
}


@dataclass
class Task:
    """One chapter for one municipality."""

    municipality_code: str
    municipality_name: str
    chapter_id: str
    notebook: Path
    output: Path
    parameters: dict
    metadata: dict
    formats: tuple[str, ...] = ("html", "pdf")


@dataclass
class TaskResult:
    """What happened to one task; ``error`` and ``cell`` are set when it failed."""

    municipality_code: str
    municipality_name: str
    chapter_id: str
    chapter_title: str
    status: str  # "ok" | "failed"
    notebook: str
    html: str | None = None
    pdf: str | None = None
    error: str | None = None
    cell: int | None = None
    seconds: float = 0.0


@dataclass
class BuildSummary:
    """The outcome of a build: the manifest it used and every task's result."""

    manifest: dict
    results: list[TaskResult] = field(default_factory=list)
    index: Path | None = None
    seconds: float = 0.0

    @property
    def failed(self) -> list[TaskResult]:
        return [r for r in self.results if r.status != "ok"]

    @property
    def ok(self) -> bool:
        return not self.failed


def resolve_municipalities(selection: Iterable[str] | None, codebook: Codebook) -> list[str]:
    """Codes for the selected municipalities (codes or names); all of them when none given."""
    if not selection:
        return codebook.municipality_codes
    codes = [codebook.resolve_municipality(s) for s in selection]
    return list(dict.fromkeys(codes))


def plan_tasks(
    codes: Sequence[str],
    manifest: dict,
    codebook: Codebook,
    data_dir: Path,
    processed_dir: Path,
    reports_dir: Path,
    chapters: Sequence[str] = MUNICIPALITY_CHAPTERS,
    formats: Sequence[str] = ("html", "pdf"),
    seed: int | None = None,
    notebooks_dir: Path = NOTEBOOKS_DIR,
) -> list[Task]:
    """One task per municipality and chapter, with papermill parameters and report metadata."""
    from fouanalys.config import DEFAULT_SEED

    tasks = []
    for code in codes:
        name = codebook.municipality_name(code)
        for chapter in chapters:
            notebook = Path(notebooks_dir) / f"{chapter}.ipynb"
            if not notebook.is_file():
                raise BuildError(f"Kapitelnotebooken saknas: {notebook}")
            tasks.append(
                Task(
                    municipality_code=code,
                    municipality_name=name,
                    chapter_id=chapter,
                    notebook=notebook,
                    output=Path(reports_dir) / code / f"{chapter}.ipynb",
                    parameters={
                        "municipality": code,
                        "data_dir": str(data_dir),
                        "processed_dir": str(processed_dir),
                        "seed": DEFAULT_SEED if seed is None else seed,
                    },
                    metadata={
                        "municipality_code": code,
                        "municipality_name": name,
                        "chapter_id": chapter,
                        "chapter_title": CHAPTER_TITLES.get(chapter, chapter),
                        "synthetic": bool(manifest.get("synthetic")),
                        "data_version": manifest.get("data_version", ""),
                        "built": date.today().isoformat(),
                        "package_version": __version__,
                    },
                    formats=tuple(formats),
                )
            )
    return tasks


def run_task(task: Task) -> TaskResult:
    """Execute one chapter notebook with papermill and export it; never raises."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    started = time.perf_counter()
    result = TaskResult(
        municipality_code=task.municipality_code,
        municipality_name=task.municipality_name,
        chapter_id=task.chapter_id,
        chapter_title=task.metadata["chapter_title"],
        status="failed",
        notebook=str(task.output),
    )
    try:
        task.output.parent.mkdir(parents=True, exist_ok=True)
        nb = nbformat.read(task.notebook, as_version=4)
        nb.metadata["fouanalys"] = task.metadata
        pm.execute_notebook(
            nb,
            str(task.output),
            parameters=task.parameters,
            kernel_name=KERNEL_NAME,
            language="python",
            progress_bar=False,
            cwd=str(task.notebook.parent),
            execution_timeout=CELL_TIMEOUT,
        )
        if task.formats:
            from fouanalys.report import export_chapter

            paths = export_chapter(task.output, formats=task.formats)
            result.html = str(paths["html"]) if "html" in paths else None
            result.pdf = str(paths["pdf"]) if "pdf" in paths else None
        result.status = "ok"
    except PapermillExecutionError as exc:
        # The execution count is what JupyterLab shows beside the cell in the kept notebook.
        result.cell = exc.exec_count if exc.exec_count is not None else exc.cell_index
        first_line = (exc.source or "").strip().splitlines()[:1]
        result.error = f"{exc.ename}: {exc.evalue}" + (
            f" (i cellen som börjar '{first_line[0][:60]}')" if first_line else ""
        )
    except Exception as exc:  # a task reports its failure; the build goes on
        result.error = f"{type(exc).__name__}: {exc}"
    result.seconds = round(time.perf_counter() - started, 2)
    return result


def run_tasks(tasks: Sequence[Task], jobs: int, progress: bool = True) -> list[TaskResult]:
    """Run tasks in ``jobs`` worker processes (in this process when jobs == 1)."""
    from tqdm.auto import tqdm

    bar = tqdm(
        total=len(tasks), desc="Kapitel", unit="kapitel", disable=not progress, file=sys.stderr
    )
    results: list[TaskResult] = []
    try:
        if jobs <= 1 or len(tasks) <= 1:
            for task in tasks:
                results.append(run_task(task))
                bar.update()
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futures = [pool.submit(run_task, t) for t in tasks]
                for fut in as_completed(futures):
                    res = fut.result()
                    bar.set_postfix_str(f"senast klar: {res.municipality_name} {res.chapter_id}")
                    results.append(res)
                    bar.update()
    finally:
        bar.close()
    order = {(t.municipality_code, t.chapter_id): i for i, t in enumerate(tasks)}
    return sorted(results, key=lambda r: order[(r.municipality_code, r.chapter_id)])


def build(
    municipalities: Iterable[str] | None = None,
    data_dir: Path | None = None,
    processed_dir: Path = PROCESSED_DATA_DIR,
    reports_dir: Path = REPORTS_DIR,
    jobs: int | None = None,
    formats: Sequence[str] = ("html", "pdf"),
    chapters: Sequence[str] = MUNICIPALITY_CHAPTERS,
    progress: bool = True,
    notebooks_dir: Path = NOTEBOOKS_DIR,
) -> BuildSummary:
    """The main job: validate and process the data, run every chapter, write the index.

    Raises :class:`~fouanalys.exceptions.DataValidationError` when the inputs are invalid
    (nothing is executed then); a failed chapter is reported in the summary instead.
    """
    started = time.perf_counter()
    codebook = load_codebook()
    data_dir = Path(data_dir) if data_dir else default_data_dir()
    codes = resolve_municipalities(municipalities, codebook)
    unknown = [f for f in formats if f not in ("html", "pdf")]
    if unknown:
        raise FouanalysError(f"Okänt format {unknown}; välj bland html, pdf.")

    log.info("Validerar och bearbetar %s", data_dir)
    manifest = process(
        data_dir,
        processed_dir,
        codebook=codebook,
        report_dir=Path(reports_dir) / VALIDATION_REPORT_DIR.name,
    )
    ensure_kernel()
    tasks = plan_tasks(
        codes,
        manifest,
        codebook,
        data_dir,
        processed_dir,
        reports_dir,
        chapters=chapters,
        formats=formats,
        notebooks_dir=notebooks_dir,
    )
    jobs = jobs or os.cpu_count() or 1
    log.info("Kör %d kapitel för %d kommuner med %d processer", len(tasks), len(codes), jobs)
    summary = BuildSummary(manifest=manifest, results=run_tasks(tasks, jobs, progress))

    from fouanalys.report import write_index

    summary.index = write_index(
        Path(reports_dir),
        [_index_entry(r, Path(reports_dir)) for r in summary.results],
        synthetic=bool(manifest.get("synthetic")),
    )
    summary.seconds = round(time.perf_counter() - started, 1)
    return summary


def _index_entry(result: TaskResult, reports_dir: Path) -> dict:
    entry = asdict(result)
    if result.cell is not None:
        entry["error"] = f"Cell [{result.cell}]: {result.error}"
    return entry


def format_summary(summary: BuildSummary) -> str:
    """A short plain-text summary: one line per task, failures spelled out."""
    lines = []
    for r in summary.results:
        mark = "klar" if r.status == "ok" else "MISSLYCKADES"
        lines.append(
            f"  {r.municipality_code} {r.municipality_name:<15} {r.chapter_id:<16} "
            f"{mark:<13} {r.seconds:6.1f} s"
        )
    n_ok = len(summary.results) - len(summary.failed)
    lines.append(f"{n_ok} av {len(summary.results)} kapitel klara på {summary.seconds:.1f} s.")
    for r in summary.failed:
        where = f"cell [{r.cell}]" if r.cell is not None else "utanför cellerna"
        lines.append(
            f"Misslyckades: {r.municipality_name} ({r.municipality_code}), "
            f"{r.chapter_id}, {where}: {r.error}\n  Sparad notebook: {r.notebook}"
        )
    if summary.index:
        lines.append(f"Rapportindex: {summary.index}")
    return "\n".join(lines)
