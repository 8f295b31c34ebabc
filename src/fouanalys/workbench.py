"""The chapter notebooks' side of the library: ready tables, plain errors, readable results.

Every chapter notebook starts with ``processed = workbench.prepare(data_dir, processed_dir)``
right after its ``parameters`` cell, so the same notebook runs two ways:

- **Interactively** (JupyterLab, the defaults of the parameters cell): :func:`prepare` validates
  and processes the raw data directory into ``data/processed`` the first time (about 20 s for
  the example) and reuses the tables while the raw files and the package are unchanged.
- **In the build** (papermill): the runner passes ``processed_dir``, a folder it has already
  processed; :func:`prepare` uses it as it is, without looking at the raw files, which need not
  exist on a Dask worker.

A data directory that is missing or fails validation raises :class:`UnusableDataError`, which a
notebook shows as the plain problem list (file, column, rows, values, what was expected) rather
than a traceback.

The ``*_display`` functions (from :mod:`fouanalys.chapters.views`) are the one-call Swedish
views of the main results for exploring them in a notebook: each returns a
:class:`fouanalys.present.tables.Table` (rendered as an HTML table by ``display()`` or as the
last expression of a cell) whose frame is in ``.frame``. They reuse the
display frames the report chapters show. Figures come back from the figure functions
(``fouanalys.chapters.<chapter>.*_figure``) as matplotlib ``Figure``
objects that can be restyled before they are displayed or saved.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from fouanalys import config
from fouanalys.exceptions import DataValidationError, Problem, UnusableDataError
from fouanalys.lazy import lazy_names

log = logging.getLogger("fouanalys")

#: The views offered here, imported from :mod:`fouanalys.chapters.views` on first use: that
#: module imports every chapter's display code and the network model (networkx, scipy), about
#: a second a chapter's first cell would otherwise pay whether it uses a view or not.
VIEWS = ("coverage_display", "prevalence_display", "priorities_display", "scenario_display")


#: ``workbench.prevalence_display`` and the other views, imported when first asked for.
__getattr__ = lazy_names(__name__, "fouanalys.chapters.views", VIEWS)


def __dir__() -> list[str]:
    return sorted([*globals(), *VIEWS])


#: Environment variable that marks an unattended run (no progress bars), when set to anything.
BATCH_ENV = "FOUANALYS_BATCH"


def project_path(value: object) -> Path:
    """A path from a notebook parameter: ``~`` expanded, a relative path taken from the project
    root (a notebook's working folder is ``notebooks/``), returned absolute."""
    path = Path(str(value)).expanduser()
    return (path if path.is_absolute() else config.PROJ_ROOT / path).resolve()


def _shell():
    """The running IPython shell, or None outside IPython (scripts, tests)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of ipykernel
        return None
    return get_ipython()


def _status(text: str):
    """Log ``text`` and, inside a notebook, show it as a line that can be updated or cleared."""
    log.info(text)
    if _shell() is None:
        return None
    from IPython.display import Markdown, display

    return display(Markdown(text), display_id=True)


def prepare(
    data_dir: object = None,
    processed_dir: object = None,
    report_dir: object = None,
) -> Path:
    """The folder of processed tables a chapter notebook reads, processed first when needed.

    - ``processed_dir`` given and holding a manifest (the build, a Dask worker's temporary
      folder, a test's folder): returned as it is; the raw files are not looked at.
    - Otherwise the raw data directory is ``data_dir`` (relative paths are taken from the
      project root) or, when None, :func:`fouanalys.config.default_data_dir` (the embedded
      example unless ``$FOUANALYS_DATA_DIR`` says otherwise); the tables go to
      ``processed_dir`` or, when None, ``config.processed_data_dir()``. When they are up to date
      with the raw files and the package (:func:`fouanalys.build.cache.current_manifest`) they
      are reused; else the data directory is validated and processed
      (:func:`fouanalys.ingest.processing.process`; about 20 s for the example), with a line saying
      so in the notebook.

    Raises :class:`UnusableDataError` when the data directory does not exist or fails
    validation; nothing is written to the processed folder then. The HTML validation report
    goes to ``report_dir`` (default ``reports/validation``).
    """
    if processed_dir is not None and str(processed_dir) != "":
        processed = project_path(processed_dir)
        if (processed / config.MANIFEST_FILE).is_file():
            log.info("Använder de bearbetade tabellerna i %s", processed)
            return processed
    else:
        processed = config.processed_data_dir()

    raw = project_path(data_dir) if data_dir not in (None, "") else config.default_data_dir()
    if not raw.is_dir():
        raise UnusableDataError(
            raw,
            [
                Problem(
                    file=str(raw),
                    message="mappen finns inte",
                    expected="en mapp med enkat, insatser och befolkning (csv eller xlsx)",
                )
            ],
            heading=f"Datamappen {raw} finns inte",
        )

    from fouanalys.build.cache import current_manifest

    if current_manifest(raw, processed) is not None:
        log.info("De bearbetade tabellerna i %s är aktuella för %s", processed, raw)
        return processed
    report = Path(report_dir) if report_dir is not None else config.validation_report_dir(raw)
    from fouanalys.build.lock import output_lock, page_folder, remove_leftovers

    # As a build: one writer at a time (a build running beside the notebook waits or is
    # waited for), and the tables may be current once the lock is ours.
    with output_lock([processed, page_folder(report)], "lab (notebook)"):
        if current_manifest(raw, processed) is not None:
            return processed
        remove_leftovers([processed])
        return _process(raw, processed, report)


def _process(raw: Path, processed: Path, report: Path) -> Path:
    """Validate and process ``raw`` into ``processed`` for a notebook, showing what it does."""
    from fouanalys.ingest import processing

    shown = _status(
        f"Validerar och bearbetar underlaget i `{raw}` (första gången tar det omkring 20 s; "
        "sedan återanvänds tabellerna så länge filerna är oförändrade)…"
    )
    start = time.perf_counter()
    try:
        processing.process(raw, processed, report_dir=report)
    except DataValidationError as exc:
        if shown is not None:
            from IPython.display import clear_output

            clear_output()  # the problem list is the cell's first and only output
        raise UnusableDataError(raw, exc.problems, report_path=exc.report_path) from None
    done = (
        f"Underlaget i `{raw}` är validerat och bearbetat på "
        f"{time.perf_counter() - start:.0f} s; tabellerna ligger i `{processed}`."
    )
    log.info(done)
    if shown is not None:
        from IPython.display import Markdown

        shown.update(Markdown(done))
    return processed


def interactive(processed_dir: object = None) -> bool:
    """Whether a person is running the notebook, so that long steps show a progress bar.

    False when ``processed_dir`` is given (the build always passes it, and its reports must
    stay free of progress output) or when ``$FOUANALYS_BATCH`` is set; True otherwise. In
    JupyterLab the bar is :mod:`tqdm.auto`'s (a widget when ipywidgets is installed, else
    text), in a terminal plain text.
    """
    if processed_dir is not None and str(processed_dir) != "":
        return False
    return not os.environ.get(BATCH_ENV)
