"""Paths and settings: the one place that spells out where things live.

Paths derive from the package location, never from the current directory. The raw-data
directory can be changed with ``--data-dir`` or the environment variable
``FOUANALYS_DATA_DIR``.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJ_ROOT = PACKAGE_DIR.parents[1]

#: Environment variable naming another codebook (e.g. all 26 municipalities of the county).
CODEBOOK_ENV = "FOUANALYS_CODEBOOK"
PACKAGED_CODEBOOK = PACKAGE_DIR / "data" / "codebook.yaml"


def codebook_path() -> Path:
    """The codebook in use: ``$FOUANALYS_CODEBOOK`` when set (read at each call, so a notebook
    or test can set it after import), else the packaged one."""
    env = os.environ.get(CODEBOOK_ENV)
    return Path(env).expanduser().resolve() if env else PACKAGED_CODEBOOK


TEMPLATE_DIR = PACKAGE_DIR / "build" / "templates"

DATA_DIR = PROJ_ROOT / "data"
RAW_DATA_DIR = DATA_DIR / "raw"
EXAMPLE_DATA_DIR = RAW_DATA_DIR / "example"
#: Environment variable naming another folder for the processed tables (e.g. a test's own).
PROCESSED_DIR_ENV = "FOUANALYS_PROCESSED_DIR"


#: The processed tables' default folder (``$FOUANALYS_PROCESSED_DIR`` overrides it).
PROCESSED_DATA_DIR = DATA_DIR / "processed"


def processed_data_dir() -> Path:
    """The processed tables' folder: ``$FOUANALYS_PROCESSED_DIR`` when set, else
    :data:`PROCESSED_DATA_DIR`. Read at each call, so functions that take ``processed_dir=None``
    follow a change made after import."""
    env = os.environ.get(PROCESSED_DIR_ENV)
    return Path(env).expanduser().resolve() if env else PROCESSED_DATA_DIR


NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
REPORTS_DIR = PROJ_ROOT / "reports"
VALIDATION_REPORT_DIR = REPORTS_DIR / "validation"

DATA_DIR_ENV = "FOUANALYS_DATA_DIR"
#: Moves the default data's validation page (``<dir>/validation``) out of ``reports/``; the
#: test suite sets it so that no test touches the build's page.
REPORTS_DIR_ENV = "FOUANALYS_REPORTS_DIR"

#: Jupyter kernel registered for the project, so JupyterLab and papermill use one environment.
KERNEL_NAME = "fouanalys"

#: No published cell may rest on fewer respondents than this (disclosure control).
DISCLOSURE_THRESHOLD = 5

#: Seed for the synthetic example data and every other random draw by default.
DEFAULT_SEED = 20261126

#: The processed folder's manifest: the tables, their hashes and what they were made from.
MANIFEST_FILE = "manifest.json"

#: Each municipality's basis for an action plan, ``reports/<kod>/<this>``: one row per
#: prioritised factor × life stage for a working group to fill in
#: (:mod:`fouanalys.build.actionplan`); a chapter links to it by this name.
ACTION_PLAN_FILE = "handlingsplan_underlag.xlsx"

#: Banner on every page built from the embedded synthetic example data.
SYNTHETIC_BANNER = "Syntetiska exempeldata — inte verkliga resultat"

#: Marker file in a data directory saying that its contents are synthetic.
SYNTHETIC_MARKER = "SYNTETISKA_DATA.txt"

#: Per-cell timeout for papermill, in seconds.
CELL_TIMEOUT = 600

#: Public data APIs (each fetcher's ``--base-url`` overrides its default, for tests and mirrors).
KOLADA_BASE_URL = "https://api.kolada.se/v2"
SCB_BASE_URL = "https://api.scb.se/OV0104/v1/doris/sv/ssd"
#: Where fetched API answers are cached (git-ignored with the rest of data/processed).
FETCH_CACHE_DIR: Path | None = None  # None: ``cache/`` in :func:`processed_data_dir`
#: How long a cached API answer is reused before it is fetched again, in seconds.
FETCH_CACHE_MAX_AGE = 24 * 3600


def default_data_dir() -> Path:
    """The raw-data directory: ``$FOUANALYS_DATA_DIR`` when set, else the embedded example."""
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env).expanduser().resolve() if env else EXAMPLE_DATA_DIR


def validation_report_dir(data_dir: Path | str | None = None) -> Path:
    """Where a validation page of ``data_dir`` goes, so one of other data never replaces the
    build's.

    The default data (``$FOUANALYS_DATA_DIR`` or the embedded example, what ``make build``
    validates) has its page in :data:`VALIDATION_REPORT_DIR`, the page the build's index links
    to (or in ``$FOUANALYS_REPORTS_DIR/validation`` when that is set). Any other folder ``X``
    gets its own page in ``X-validering/`` beside it.
    """
    data = Path(data_dir).expanduser().resolve() if data_dir is not None else default_data_dir()
    if data != default_data_dir():
        return data.parent / f"{data.name}-validering"
    env = os.environ.get(REPORTS_DIR_ENV)
    return Path(env).expanduser().resolve() / "validation" if env else VALIDATION_REPORT_DIR


def shown_path(path: object) -> str:
    """A path as a report may print it: relative to the project (``data/raw/example``) when it
    lies inside it, else only its last part. Reports never show a machine's absolute paths."""
    resolved = Path(str(path)).expanduser().resolve()
    try:
        return resolved.relative_to(PROJ_ROOT).as_posix()
    except ValueError:
        return resolved.name


#: Parameters and report fields that hold a path, printed with :func:`shown_path`.
PATH_PARAMETERS = ("data_dir", "processed_dir")


def is_synthetic(data_dir: Path) -> bool:
    """Whether a data directory holds the synthetic example (it carries the marker file)."""
    return (Path(data_dir) / SYNTHETIC_MARKER).is_file()


def require_data_dir(data_dir: Path) -> Path:
    """The data directory, or a plain error when it does not exist."""
    from fouanalys.exceptions import FouanalysError

    if not Path(data_dir).is_dir():
        raise FouanalysError(
            f"Datamappen {data_dir} finns inte. Ange en befintlig mapp med --data-dir "
            "eller miljövariabeln FOUANALYS_DATA_DIR."
        )
    return Path(data_dir)
