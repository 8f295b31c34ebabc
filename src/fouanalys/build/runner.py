"""The build: validate, process, execute each chapter notebook per municipality, export.

Each (municipality, chapter) is one task; a seminar deck (a registry entry of kind "deck") is
one too, exported as slides (:mod:`fouanalys.build.slides`) and kept out of the final reports.
Each task, run in a pool of worker processes. A task executes
the chapter notebook with papermill into ``reports/<municipality_code>/<chapter>.ipynb`` (kept even
when it fails: papermill writes it as it goes), then exports it to HTML and PDF in the same
worker. A failing task never stops the others; the summary names the municipality, the cell and
the kept notebook, and the build's exit status reflects it.

Locally, each worker process runs its chapters in one warm kernel with the stack imported,
reset between chapters (:mod:`fouanalys.build.warm`); on a Dask cluster each chapter still
starts a kernel of its own (a Dask worker runs several tasks at once in threads).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import wait as futures_wait
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from fouanalys import __version__
from fouanalys.build import audit, interrupt
from fouanalys.build import warm as warm_kernels
from fouanalys.build.kernel import ensure_kernel
from fouanalys.chapters import registry
from fouanalys.codebook import Codebook, load_codebook
from fouanalys.config import (
    ACTION_PLAN_FILE,
    CELL_TIMEOUT,
    KERNEL_NAME,
    NOTEBOOKS_DIR,
    REPORTS_DIR,
    VALIDATION_REPORT_DIR,
    default_data_dir,
    processed_data_dir,
)
from fouanalys.exceptions import BuildError, BuildInterrupted, FouanalysError

log = logging.getLogger("fouanalys")


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
    key: str | None = None  # content key (fouanalys.build.cache.task_key); None: always run
    kind: str = "chapter"  # "chapter" or "deck" (registry.Chapter.kind)


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
    cached: bool = False  # reused from an earlier build with the same content key
    kind: str = "chapter"  # "chapter" or "deck"


@dataclass
class BuildSummary:
    """The outcome of a build: the manifest it used and every task's result."""

    manifest: dict
    results: list[TaskResult] = field(default_factory=list)
    index: Path | None = None
    seconds: float = 0.0
    final_reports: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Each municipality's basis for an action plan (``<kod>/handlingsplan_underlag.xlsx``).
    action_plans: dict[str, str] = field(default_factory=dict)
    #: Of those, the municipalities whose workbook this build wrote (the others were current).
    action_plans_written: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[TaskResult]:
        return [r for r in self.results if r.status != "ok"]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def executed(self) -> list[TaskResult]:
        return [r for r in self.results if not r.cached]


def plan_tasks(
    codes: Sequence[str],
    manifest: dict,
    codebook: Codebook,
    data_dir: Path,
    processed_dir: Path,
    reports_dir: Path,
    chapters: Sequence[str] | None = None,
    formats: Sequence[str] = ("html", "pdf"),
    seed: int | None = None,
    notebooks_dir: Path = NOTEBOOKS_DIR,
) -> list[Task]:
    """One task per municipality and chapter (or deck), with papermill parameters and report
    metadata. ``chapters`` defaults to the municipality chapters; an entry's own
    ``parameters`` (registry) join the common ones, and so its content key."""
    from fouanalys.build.cache import task_key
    from fouanalys.config import DEFAULT_SEED

    commit = git_commit()
    inputs = {
        name: {k: meta.get(k) for k in ("file", "sha256", "rows")}
        for name, meta in manifest.get("inputs", {}).items()
    }
    region = codebook.region
    units = [(code, codebook.municipality_name(code), code) for code in codes]
    if chapters is None:
        chapters = registry.chapter_ids("municipality")
    tasks = []
    for chapter in chapters:
        notebook = Path(notebooks_dir) / registry.notebook_file(chapter)
        if not notebook.is_file():
            raise BuildError(f"Kapitelnotebooken saknas: {notebook}")
        check_parameters_cell(notebook)
        regional = registry.is_regional(chapter)
        targets = [(region.code, region.name, "region")] if regional else units
        for code, name, folder in targets:
            parameters = {
                "municipality": code,
                "data_dir": str(data_dir),
                "processed_dir": str(processed_dir),
                "seed": DEFAULT_SEED if seed is None else seed,
            } | registry.parameters(chapter)
            tasks.append(
                Task(
                    municipality_code=code,
                    municipality_name=name,
                    chapter_id=chapter,
                    notebook=notebook,
                    output=Path(reports_dir) / folder / f"{chapter}.ipynb",
                    parameters=parameters,
                    metadata={
                        "municipality_code": code,
                        "municipality_name": name,
                        "chapter_id": chapter,
                        "chapter_title": registry.title(chapter),
                        "kind": registry.kind(chapter),
                        "synthetic": bool(manifest.get("synthetic")),
                        "data_version": manifest.get("data_version", ""),
                        "built": date.today().isoformat(),
                        "package_version": __version__,
                        "git_commit": commit,
                        "inputs": inputs,
                        "parameters": parameters,
                    },
                    formats=tuple(formats),
                    key=task_key(
                        notebook,
                        parameters,
                        tuple(formats),
                        manifest,
                        chapter,
                        code,
                        codebook.reference_codes,
                    ),
                    kind=registry.kind(chapter),
                )
            )
    order = {code: i for i, code in enumerate([*codes, region.code])}
    tasks.sort(key=lambda t: (order[t.municipality_code], list(chapters).index(t.chapter_id)))
    return tasks


def git_commit() -> str | None:
    """The project's git commit (short), or None outside a git checkout."""
    from fouanalys.config import PROJ_ROOT

    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=PROJ_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def check_parameters_cell(notebook: Path) -> None:
    """Raise a clear BuildError when a chapter notebook has no cell tagged ``parameters``."""
    import json

    try:
        cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BuildError(f"Kapitelnotebooken {notebook} kan inte läsas: {exc}") from exc
    if not any("parameters" in (c.get("metadata", {}).get("tags") or []) for c in cells):
        raise BuildError(
            f"Kapitelnotebooken {notebook} saknar en cell med taggen 'parameters'. Lägg "
            "parametrarna (municipality, data_dir, processed_dir, seed) i en egen kodcell och "
            "tagga den 'parameters' (i JupyterLab: Property Inspector → Cell Tags)."
        )


def _result(task: Task, **fields) -> TaskResult:
    """A result for ``task``, failed unless ``fields`` say otherwise."""
    base = {
        "municipality_code": task.municipality_code,
        "municipality_name": task.municipality_name,
        "chapter_id": task.chapter_id,
        "chapter_title": task.metadata["chapter_title"],
        "status": "failed",
        "notebook": str(task.output),
        "kind": task.kind,
    }
    return TaskResult(**(base | fields))


def execute_task(
    task: Task, workdir: Path, warm: bool = False
) -> tuple[TaskResult, dict[str, Path]]:
    """Execute one chapter notebook with papermill into ``workdir`` and export it there.

    ``warm``: in this process's warm kernel (:mod:`fouanalys.build.warm`), reset for the
    chapter, instead of a kernel of its own; a failed chapter retires that kernel. Returns the
    result and the files made (``{"ipynb": …, "html": …, "pdf": …}``; for a failed chapter
    only its executed notebook, when papermill got that far). Never raises.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    started = time.perf_counter()
    result = _result(task)
    import nbformat

    executed = Path(workdir) / task.output.name
    made: dict[str, Path] = {}
    kernel = None
    try:
        nb = nbformat.read(task.notebook, as_version=4)
        nb.metadata["fouanalys"] = task.metadata
        kernel = warm_kernels.kernel_for_chapter(task.notebook.parent) if warm else None
        pm.execute_notebook(
            nb,
            str(executed),
            parameters=task.parameters,
            kernel_name=KERNEL_NAME,
            language="python",
            progress_bar=False,
            cwd=str(task.notebook.parent),
            execution_timeout=task.metadata.get("cell_timeout", CELL_TIMEOUT),
            **({"km": kernel.km} if kernel else {}),
        )
        if kernel:
            kernel.close_clients()
        made = {"ipynb": executed}
        if task.formats and task.kind == "deck":
            from fouanalys.build.slides import export_deck

            made |= export_deck(executed, formats=task.formats)
        elif task.formats:
            from fouanalys.build.export import export_chapter

            made |= export_chapter(executed, formats=task.formats)
        result.status = "ok"
    except PapermillExecutionError as exc:
        # The execution count is what JupyterLab shows beside the cell in the kept notebook.
        result.cell = exc.exec_count if exc.exec_count is not None else exc.cell_index
        first_line = (exc.source or "").strip().splitlines()[:1]
        result.error = f"{exc.ename}: {exc.evalue}" + (
            f" (i cellen som börjar '{first_line[0][:60]}')" if first_line else ""
        )
    except Exception as exc:  # a task reports its failure; the build goes on
        result.error = _task_error(exc, task)
    if result.status != "ok":
        made = {"ipynb": executed} if executed.is_file() else {}
        if warm:  # a kernel that timed out, died or saw a failing cell is not trusted again
            warm_kernels.retire()
    result.seconds = round(time.perf_counter() - started, 2)
    return result, made


def install_outputs(task: Task, result: TaskResult, made: dict[str, Path]) -> TaskResult:
    """Move a task's finished files into place, then store its key (the last step).

    A failed chapter keeps its executed notebook (for finding the cell) where its notebook
    belongs; its earlier HTML and PDF stay as they were, and its key is dropped so the next
    build runs it again.
    """
    from fouanalys.build.cache import file_stamps, forget_key, output_files, write_key

    forget_key(task.output)
    if result.status != "ok":
        if "ipynb" in made:
            os.replace(made["ipynb"], task.output)
        return result
    for fmt, path in made.items():
        target = task.output.with_suffix(f".{fmt}")
        os.replace(path, target)
        if fmt in ("html", "pdf"):
            setattr(result, fmt, str(target))
    if task.key:
        record = {
            "key": task.key,
            "seconds": result.seconds,
            "built": task.metadata["built"],
            "files": file_stamps(output_files(task.output, task.formats)),
        }
        write_key(task.output, record)
    return result


def scratch_folder(task: Task) -> Path:
    """A fresh name for the scratch folder beside a task's outputs (not yet made).

    Everything is made in it and moved into place only when complete, so a killed, stopped or
    failed task never leaves a half-written chapter where a good one stood.
    """
    import secrets

    return task.output.parent / f".{task.chapter_id}.tmp-{secrets.token_hex(4)}"


def execute_in(task: Task, scratch: Path, warm: bool = False) -> tuple[TaskResult, dict[str, Path]]:
    """Make the scratch folder and execute the chapter into it (:func:`execute_task`)."""
    scratch.mkdir(parents=True)
    return execute_task(task, scratch, warm)


def _execute_quietly(task: Task, scratch: Path) -> tuple[TaskResult, dict[str, Path]]:
    """A pool worker's job: :func:`execute_in` in the worker's warm kernel, in a helper
    thread, so that nbclient adds no signal handlers of its own
    (:mod:`fouanalys.build.interrupt`)."""
    return interrupt.in_thread(execute_in, task, scratch, True).result()


def _install(task: Task, scratch: Path, fut) -> TaskResult:
    """Install a finished task's files from its scratch folder and remove the folder; a task
    whose worker died is a failed task."""
    try:
        result, made = fut.result()
    except Exception as exc:  # the worker process died (killed, out of memory)
        result, made = _result(task, error=f"Arbetsprocessen dog: {type(exc).__name__}: {exc}"), {}
    try:
        return install_outputs(task, result, made)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_task_remote(
    task: Task, notebook: bytes, tables: dict[str, bytes], stop_event: str | None = None
) -> tuple[TaskResult, dict[str, bytes]]:
    """Run one chapter on a Dask worker that may share no files with the client.

    The chapter notebook and the processed tables arrive as bytes and are written to a
    temporary folder on the worker; the chapter runs there (its ``processed_dir`` parameter
    pointing at that folder) and the files made come back as bytes. When the Dask event named
    ``stop_event`` is set (the build was stopped), the chapter's kernel is terminated.
    """
    from dataclasses import replace

    ensure_kernel()
    with tempfile.TemporaryDirectory(prefix="fouanalys-worker-") as tmp:
        root = Path(tmp)
        processed = root / "processed"
        processed.mkdir()
        for name, data in tables.items():
            (processed / name).write_bytes(data)
        source = root / task.notebook.name
        source.write_bytes(notebook)
        (root / "out").mkdir()
        remote = replace(
            task, notebook=source, parameters=task.parameters | {"processed_dir": str(processed)}
        )
        result, made = _execute_watching(remote, root / "out", stop_event)
        return result, {fmt: path.read_bytes() for fmt, path in made.items()}


def _execute_watching(
    task: Task, workdir: Path, stop_event: str | None
) -> tuple[TaskResult, dict[str, Path]]:
    """On a Dask worker: :func:`execute_task` in a helper thread, terminating the kernels
    started since when the build sets the Dask event ``stop_event``."""
    if stop_event is None:
        return execute_task(task, workdir)
    from distributed import Event

    event = Event(stop_event)
    if event.is_set():  # a task the worker took up before hearing it was cancelled
        return _result(task, error="Bygget avbröts."), {}
    before = interrupt.children()
    running = interrupt.in_thread(execute_task, task, workdir)
    stopped = False
    while not running.done():
        if stopped or event.wait(timeout=interrupt.POLL * 2):
            stopped = True  # also a kernel that was starting at the time
            interrupt.terminate_trees(interrupt.children() - before)
            futures_wait([running], timeout=interrupt.POLL)
    return running.result()


def _install_remote(task: Task, result: TaskResult, files: dict[str, bytes]) -> TaskResult:
    """Write the files a worker sent back beside the outputs, then install them."""
    task.output.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{task.chapter_id}.tmp-", dir=task.output.parent))
    try:
        made = {}
        for fmt, data in files.items():
            path = scratch / task.output.with_suffix(f".{fmt}").name
            path.write_bytes(data)
            made[fmt] = path
        result.notebook = str(task.output)
        return install_outputs(task, result, made)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _task_error(exc: Exception, task: Task) -> str:
    """A researcher-readable error for a task that failed outside a cell."""
    name = type(exc).__name__
    if "Timeout" in name:
        limit = task.metadata.get("cell_timeout", CELL_TIMEOUT)
        return f"En cell tog längre tid än gränsen {limit} s och avbröts ({name})."
    return f"{name}: {exc}"


def run_tasks(
    tasks: Sequence[Task],
    jobs: int,
    progress: bool = True,
    scheduler: str | None = None,
    processed_dir: Path | None = None,
    finished_before: int = 0,
) -> list[TaskResult]:
    """Run tasks in ``jobs`` local worker processes (in this process when jobs == 1), or on a
    Dask distributed cluster when ``scheduler`` is an address (``processed_dir`` then holds the
    tables sent to the workers).

    SIGINT or SIGTERM stops it within seconds: nothing more starts, running chapters are
    stopped and their scratch folders removed, finished ones stay installed with their keys,
    and :class:`~fouanalys.exceptions.BuildInterrupted` says how many of the build's chapters
    are finished (``finished_before`` were current before the build ran any).
    """
    from tqdm.auto import tqdm

    bar = tqdm(
        total=len(tasks), desc="Kapitel", unit="kapitel", disable=not progress, file=sys.stderr
    )

    def done(res: TaskResult) -> None:
        bar.set_postfix_str(f"senast klar: {res.municipality_name} {res.chapter_id}")
        results.append(res)
        bar.update()

    results: list[TaskResult] = []
    with interrupt.deferred() as stop:
        try:
            if scheduler:
                processed = Path(processed_dir or processed_data_dir())
                _run_on_dask(tasks, scheduler, processed, done, stop)
            else:
                _run_locally(tasks, jobs, done, stop)
        finally:
            bar.close()
        if stop.signum is not None:
            ok = sum(r.status == "ok" for r in results)
            raise BuildInterrupted(stop.signum, finished_before + ok, finished_before + len(tasks))
    order = {(t.municipality_code, t.chapter_id): i for i, t in enumerate(tasks)}
    return sorted(results, key=lambda r: order[(r.municipality_code, r.chapter_id)])


def _run_locally(tasks: Sequence[Task], jobs: int, done, stop: interrupt.Stop) -> None:
    """Execute the tasks in ``jobs`` worker processes (in this process, one at a time, when
    ``jobs`` is 1) and install each here as it finishes.

    After a stop signal nothing more starts or is installed: queued tasks are cancelled, the
    worker processes and their kernels terminated and the scratch folders removed.
    """
    labelled = [(task, scratch_folder(task)) for task in tasks]
    try:
        if jobs > 1 and len(tasks) > 1:
            with interrupt.worker_pool(jobs, stop) as pool:
                futures = {pool.submit(_execute_quietly, *pair): pair for pair in labelled}
                for fut, (task, scratch) in interrupt.as_finished(futures, stop):
                    done(_install(task, scratch, fut))
        else:
            _run_here(labelled, done, stop)
    finally:
        for _, scratch in labelled:
            shutil.rmtree(scratch, ignore_errors=True)


def _run_here(labelled: list[tuple[Task, Path]], done, stop: interrupt.Stop) -> None:
    """Execute the tasks one by one in this process, in one warm kernel (a helper thread runs
    the notebook, so this thread keeps watching for a stop signal); after a stop signal,
    terminate the kernel started since and give the task a moment to let go of its scratch
    folder. The warm kernel is shut down at the end."""
    before = interrupt.children()
    running: dict = {}
    try:
        for pair in labelled:
            if stop.signum is not None:
                break
            running = {interrupt.in_thread(execute_in, *pair, True): pair}
            for fut, (task, scratch) in interrupt.as_finished(running, stop):
                done(_install(task, scratch, fut))
        if stop.signum is not None:
            interrupt.terminate_trees(interrupt.children() - before)
            futures_wait(list(running), timeout=interrupt.GRACE)
    finally:
        warm_kernels.retire()


#: Seconds to wait for a Dask scheduler to answer before giving up.
SCHEDULER_TIMEOUT = 10


def connect_scheduler(address: str):
    """A Dask distributed client for ``address``, or a BuildError a researcher can act on."""
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - distributed is a dependency
        raise BuildError("Dask distributed är inte installerat i miljön.") from exc
    try:
        return Client(address, timeout=SCHEDULER_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise BuildError(
            f"Kunde inte nå Dask-schemaläggaren på {address} inom {SCHEDULER_TIMEOUT} s "
            f"({type(exc).__name__}: {exc}). Kontrollera adressen (t.ex. tcp://värd:8786) och "
            "att schemaläggaren är igång, eller bygg utan --scheduler."
        ) from exc


def _run_on_dask(
    tasks: Sequence[Task], address: str, processed_dir: Path, done, stop: interrupt.Stop
) -> None:
    """Send every task with its notebook and the processed tables to the cluster; install the
    files that come back as each finishes. After a stop signal the tasks not returned are
    cancelled, the running ones told to end their kernels, and nothing more is installed."""
    import uuid

    from distributed import Event

    client = connect_scheduler(address)
    stop_event = f"fouanalys-stop-{uuid.uuid4().hex}"
    futures: dict = {}
    try:
        tables = {
            p.name: p.read_bytes()
            for p in sorted(processed_dir.iterdir())
            if p.is_file() and p.suffix in (".parquet", ".json")
        }
        shared = client.scatter(tables, broadcast=True)
        if stop.signum is None:
            futures = {
                client.submit(
                    run_task_remote,
                    task,
                    task.notebook.read_bytes(),
                    shared,
                    stop_event,
                    pure=False,
                ): task
                for task in tasks
            }
        for fut, task in interrupt.as_finished(futures, stop):
            try:
                result, files = fut.result()
            except Exception as exc:  # the worker died or could not run the task at all
                result = _result(
                    task, error=f"Dask-arbetaren misslyckades: {type(exc).__name__}: {exc}"
                )
                files = {}
            done(_install_remote(task, result, files))
    finally:
        if stop.signum is not None and futures:
            Event(stop_event, client=client).set()  # the running chapters end their kernels
            client.cancel(list(futures))
        client.close(timeout=interrupt.GRACE)


def build(
    municipalities: Iterable[str] | None = None,
    data_dir: Path | None = None,
    processed_dir: Path | None = None,
    reports_dir: Path = REPORTS_DIR,
    jobs: int | None = None,
    formats: Sequence[str] = ("html", "pdf"),
    chapters: Sequence[str] | None = None,
    progress: bool = True,
    notebooks_dir: Path = NOTEBOOKS_DIR,
    force: bool = False,
    cell_timeout: int = CELL_TIMEOUT,
    scheduler: str | None = None,
    wait: bool = True,
) -> BuildSummary:
    """The main job: validate and process the data, run every chapter, write the index.

    ``chapters``: the registry entries to build, by default all (:func:`registry.entry_ids`:
    the report chapters, then the seminar decks).

    Incremental: processing is skipped when the raw files and the package are unchanged, and a
    chapter whose content key (notebook, package, parameters, the data it reads) matches its
    finished outputs is not executed again; ``force`` runs everything. ``scheduler``: the
    address of a Dask distributed scheduler to run the chapters on instead of local
    processes (checked first, so an unreachable one stops the build before any work). Raises
    :class:`~fouanalys.exceptions.DataValidationError` when the inputs are invalid (nothing is
    executed then); a failed chapter is reported in the summary instead.

    The output folders are checked first (:mod:`fouanalys.build.folders`), then locked for
    the whole build (:mod:`fouanalys.build.lock`): a second build into them waits for this
    one, or with ``wait=False`` raises :class:`~fouanalys.build.lock.BuildLockedError`. What a
    killed build left half-made there is removed once the lock is held.
    """
    started = time.perf_counter()
    codebook = load_codebook()
    data_dir = Path(data_dir) if data_dir else default_data_dir()
    codes = codebook.resolve_municipalities(municipalities)
    unknown = [f for f in formats if f not in ("html", "pdf")]
    if unknown:
        raise FouanalysError(f"Okänt format {unknown}; välj bland html, pdf.")
    from fouanalys.build.folders import checked_folder
    from fouanalys.build.lock import output_lock, remove_leftovers
    from fouanalys.config import require_data_dir

    require_data_dir(data_dir)
    processed_dir = checked_folder(
        processed_dir or processed_data_dir(), "mappen för bearbetade tabeller", "--processed-dir"
    )
    reports_dir = checked_folder(reports_dir, "rapportmappen", "--reports-dir")
    if scheduler:
        connect_scheduler(scheduler).close()
    with output_lock([processed_dir, reports_dir], "build", wait=wait):
        removed = remove_leftovers([processed_dir, reports_dir])
        if removed:
            log.info(
                "Tog bort %d rester av ett avbrutet bygge: %s",
                len(removed),
                ", ".join(str(p) for p in removed[:5]) + (" …" if len(removed) > 5 else ""),
            )
        summary = _build_locked(
            codes,
            codebook,
            data_dir,
            processed_dir,
            reports_dir,
            jobs,
            formats,
            chapters,
            progress,
            notebooks_dir,
            force,
            cell_timeout,
            scheduler,
        )
    summary.seconds = round(time.perf_counter() - started, 1)
    return summary


def _build_locked(
    codes: list[str],
    codebook: Codebook,
    data_dir: Path,
    processed_dir: Path,
    reports_dir: Path,
    jobs: int | None,
    formats: Sequence[str],
    chapters: Sequence[str] | None,
    progress: bool,
    notebooks_dir: Path,
    force: bool,
    cell_timeout: int,
    scheduler: str | None,
) -> BuildSummary:
    """The build's work, under the output folders' lock (:func:`build`)."""
    manifest = _processed(data_dir, processed_dir, reports_dir, codebook, force)
    if chapters is None:
        chapters = registry.entry_ids()
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
    for task in tasks:
        task.metadata["cell_timeout"] = cell_timeout
    cached, to_run = _split_cached(tasks, force)
    jobs = jobs or os.cpu_count() or 1
    log.info(
        "%d kapitel att köra, %d oförändrade, för %d kommuner med %d processer",
        len(to_run),
        len(cached),
        len(codes),
        jobs,
    )
    if to_run:
        ensure_kernel()
    ran = (
        run_tasks(to_run, jobs, progress, scheduler, processed_dir, finished_before=len(cached))
        if to_run
        else []
    )
    order = {(t.municipality_code, t.chapter_id): i for i, t in enumerate(tasks)}
    results = sorted(cached + ran, key=lambda r: order[(r.municipality_code, r.chapter_id)])
    summary = BuildSummary(manifest=manifest, results=results)
    summary.final_reports = build_final_reports(
        tasks, summary.results, formats, jobs, processed_dir
    )
    _write_action_plans(summary, codes, processed_dir, reports_dir, codebook, force)
    summary.index = _write_build_index(summary, reports_dir, codebook, processed_dir)
    _audit(summary.results)
    return summary


def _audit(results: Sequence[TaskResult]) -> None:
    """The disclosure audit (:mod:`fouanalys.build.audit`) over every finished chapter not
    already passed: a chapter's key record notes a pass of its notebook (whose size and
    sha256 the record holds) by this audit code, so an unchanged chapter is read once, not in
    every build. A failing audit notes nothing, and so fails the next build again."""
    from fouanalys.build.cache import read_key, write_key
    from fouanalys.ingest.catalog import code_hash

    stamp = code_hash(("build/audit.py", "config.py"))
    unread: list[tuple[str, Path, dict | None]] = []
    for r in results:
        if r.status != "ok":
            continue
        record = read_key(Path(r.notebook))
        if record is None or record.get("audited") != stamp:
            name = f"{r.municipality_name} ({r.municipality_code}), kapitel {r.chapter_id}"
            unread.append((name, Path(r.notebook), record))
    audit.check((name, path) for name, path, _ in unread)
    for _, path, record in unread:
        if record is not None:
            write_key(path, record | {"audited": stamp})


def _processed(
    data_dir: Path, processed_dir: Path, reports_dir: Path, codebook: Codebook, force: bool
) -> dict:
    """The manifest of current processed tables: reused when raw data and processing code are
    unchanged (no Great Expectations import), else made by validating and processing."""
    from fouanalys.build.cache import current_manifest

    manifest = None if force else current_manifest(data_dir, processed_dir)
    if manifest is not None:
        log.info("Rådata oförändrade sedan förra bygget; hoppar över validering och bearbetning")
        return manifest
    from fouanalys.ingest.processing import process

    log.info("Validerar och bearbetar %s", data_dir)
    return process(
        data_dir,
        processed_dir,
        codebook=codebook,
        report_dir=reports_dir / VALIDATION_REPORT_DIR.name,
    )


def _findings(processed_dir: Path, codes: Iterable[str], codebook: Codebook) -> dict[str, str]:
    """Each municipality's prioritised factors and gaps in one line, from the processed tables
    the chapters read (none when the tables are missing)."""
    from fouanalys.chapters.insatser import finding_line
    from fouanalys.ingest.processing import load_table

    try:
        prioritised = load_table("priority_factors", processed_dir)
        gaps = load_table("gaps", processed_dir)
    except FouanalysError:
        return {}
    return {
        code: finding_line(prioritised, gaps, code, codebook)
        for code in codes
        if code in codebook.municipality_codes
    }


def _write_action_plans(
    summary: BuildSummary,
    codes: Sequence[str],
    processed_dir: Path,
    reports_dir: Path,
    codebook: Codebook,
    force: bool,
) -> None:
    """Each municipality's action-plan workbook from the build's processed tables, written
    when its inputs changed (:func:`fouanalys.build.actionplan.write_action_plans`)."""
    from fouanalys.build.actionplan import write_action_plans

    written = write_action_plans(
        codes, processed_dir, reports_dir, summary.manifest, codebook, force
    )
    summary.action_plans_written = list(written)
    paths = {code: reports_dir / code / ACTION_PLAN_FILE for code in codes}
    summary.action_plans = {code: str(path) for code, path in paths.items() if path.is_file()}


def _write_build_index(
    summary: BuildSummary, reports_dir: Path, codebook: Codebook, processed_dir: Path
) -> Path:
    """The index page of a build: every chapter's status and links, each municipality's
    prioritised factors and gaps, and the final reports."""
    from fouanalys.build.index import write_index

    return write_index(
        reports_dir,
        [_index_entry(r, reports_dir) for r in summary.results],
        synthetic=bool(summary.manifest.get("synthetic")),
        final_reports={
            ("region" if code == codebook.region.code else code): paths
            for code, paths in summary.final_reports.items()
        },
        findings=_findings(processed_dir, {r.municipality_code for r in summary.results}, codebook),
        action_plans=summary.action_plans,
    )


FINAL_REPORT = "slutrapport"


def _final_report_job(
    notebooks: list[str],
    out_dir: str,
    title: str,
    formats: tuple[str, ...],
    processed_dir: str | None = None,
    code: str | None = None,
) -> dict[str, str]:
    from fouanalys.build.export import write_final_report

    summary = None
    if processed_dir and code:
        from fouanalys.chapters.korthet import summary_points

        summary = summary_points(processed_dir, code)
    made = write_final_report(
        [Path(p) for p in notebooks], Path(out_dir), title, None, formats, summary=summary
    )
    return {fmt: str(path) for fmt, path in made.items()}


def build_final_reports(
    tasks: Sequence[Task],
    results: Sequence[TaskResult],
    formats: Sequence[str],
    jobs: int,
    processed_dir: Path | None = None,
) -> dict[str, dict[str, str]]:
    """The combined final report (``slutrapport.html/.pdf``) of every municipality whose
    chapters all built, and of the region, opening with *Resultat i korthet* from the
    processed tables in ``processed_dir`` (``chapters.korthet``); keyed by the chapters' keys
    and the summary's code, so an unchanged report is not made again. Seminar decks are not
    part of it. Returns the paths per municipality code."""
    from fouanalys.build.cache import file_stamps, read_key, sha256_bytes, stamps_match, write_key
    from fouanalys.ingest.catalog import sha256_file

    summary_code = sha256_file(Path(__file__).parents[1] / "chapters" / "korthet.py")

    by_code: dict[str, list[Task]] = {}
    for task in tasks:
        if task.kind == "chapter":
            by_code.setdefault(task.municipality_code, []).append(task)
    status = {(r.municipality_code, r.chapter_id): r.status for r in results}
    pending: dict[str, tuple[tuple, str | None]] = {}  # code -> (job arguments, key)
    out: dict[str, dict[str, str]] = {}
    for code, group in by_code.items():
        if any(status.get((t.municipality_code, t.chapter_id)) != "ok" for t in group):
            continue  # a failed chapter: keep the earlier final report, if any
        folder = group[0].output.parent
        paths = {fmt: str(folder / f"{FINAL_REPORT}.{fmt}") for fmt in formats}
        keys = [t.key or "" for t in group]
        parts = [*keys, *formats, summary_code]
        key = sha256_bytes("|".join(parts).encode()) if all(keys) else None
        record = read_key(folder / f"{FINAL_REPORT}.ipynb")  # slutrapport.key.json
        fresh = key and record and record.get("key") == key
        if fresh and stamps_match({f: Path(p) for f, p in paths.items()}, record.get("files")):
            out[code] = paths
            continue
        title = f"Slutrapport – {group[0].municipality_name}"
        args = (
            [str(t.output) for t in group],
            str(folder),
            title,
            tuple(formats),
            str(processed_dir) if processed_dir else None,
            code,
        )
        pending[code] = (args, key)
    if not pending:
        return out
    log.info("Skriver %d slutrapporter", len(pending))

    def finish(code: str, made: dict[str, str]) -> None:
        out[code] = made
        args, key = pending[code]
        if key:
            files = file_stamps({fmt: Path(path) for fmt, path in made.items()})
            write_key(Path(args[1]) / f"{FINAL_REPORT}.ipynb", {"key": key, "files": files})

    if jobs <= 1 or len(pending) == 1:
        for code, (args, _) in pending.items():
            finish(code, _final_report_job(*args))
    else:
        with interrupt.deferred() as stop, interrupt.worker_pool(jobs, stop) as pool:
            futures = {pool.submit(_final_report_job, *a): c for c, (a, _) in pending.items()}
            for fut, code in interrupt.as_finished(futures, stop):
                finish(code, fut.result())
        if stop.signum is not None:  # every chapter is finished; the next build does the rest
            ok = sum(r.status == "ok" for r in results)
            raise BuildInterrupted(stop.signum, ok, len(results))
    return out


def _split_cached(tasks: Sequence[Task], force: bool) -> tuple[list[TaskResult], list[Task]]:
    """Results for the tasks whose finished outputs match their key, and the tasks to run."""
    from fouanalys.build.cache import is_fresh

    cached: list[TaskResult] = []
    to_run: list[Task] = []
    for task in tasks:
        record = None if force else is_fresh(task.output, task.key, task.formats)
        if record is None:
            to_run.append(task)
            continue
        cached.append(
            _result(
                task,
                status="ok",
                html=str(task.output.with_suffix(".html")) if "html" in task.formats else None,
                pdf=str(task.output.with_suffix(".pdf")) if "pdf" in task.formats else None,
                seconds=float(record.get("seconds", 0.0)),
                cached=True,
            )
        )
    return cached, to_run


def _index_entry(result: TaskResult, reports_dir: Path) -> dict:
    entry = asdict(result)
    if result.cell is not None:
        entry["error"] = f"Cell [{result.cell}]: {result.error}"
    return entry


def format_summary(summary: BuildSummary) -> str:
    """A short plain-text summary: one line per task, failures spelled out."""
    lines = []
    for r in summary.results:
        mark = "oförändrad" if r.cached else "klar" if r.status == "ok" else "MISSLYCKADES"
        lines.append(
            f"  {r.municipality_code} {r.municipality_name:<15} {r.chapter_id:<16} "
            f"{mark:<13} {r.seconds:6.1f} s"
        )
    n_ok = len(summary.results) - len(summary.failed)
    n_cached = sum(r.cached for r in summary.results)
    reused = f" ({n_cached} oförändrade sedan förra bygget)" if n_cached else ""
    lines.append(
        f"{n_ok} av {len(summary.results)} kapitel klara{reused} på {summary.seconds:.1f} s."
    )
    for r in summary.failed:
        where = f"cell [{r.cell}]" if r.cell is not None else "utanför cellerna"
        lines.append(
            f"Misslyckades: {r.municipality_name} ({r.municipality_code}), "
            f"{r.chapter_id}, {where}: {r.error}\n  Sparad notebook: {r.notebook}"
        )
    if summary.action_plans:
        n, written = len(summary.action_plans), len(summary.action_plans_written)
        unchanged = f", {n - written} oförändrade" if written < n else ""
        lines.append(
            f"Underlag för handlingsplan ({ACTION_PLAN_FILE}) för {n} "
            f"{'kommun' if n == 1 else 'kommuner'}: {written} skrivna{unchanged}."
        )
    if summary.index:
        lines.append(f"Rapportindex: {summary.index}")
    return "\n".join(lines)
