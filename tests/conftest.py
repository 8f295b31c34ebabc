"""Shared test settings: headless plotting, no telemetry, small fixtures, and the fixtures that
are made once per test run even when pytest-xdist runs the tests in several worker processes."""

from __future__ import annotations

import os
import pickle
import tempfile
import traceback
from collections.abc import Callable
from typing import TypeVar

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ["GX_ANALYTICS_ENABLED"] = "false"
# Any validation of the default data in a test (or a notebook kernel it starts) writes its page
# here, never into the build's reports/validation (fouanalys.config.validation_report_dir).
os.environ["FOUANALYS_REPORTS_DIR"] = tempfile.mkdtemp(prefix="fouanalys-test-reports-")

from pathlib import Path

import pytest
from filelock import FileLock

from fouanalys.codebook import Codebook, load_codebook
from fouanalys.config import PROCESSED_DATA_DIR, REPORTS_DIR

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

T = TypeVar("T")


def once_per_run(tmp_path_factory, name: str, make: Callable[[Path], T]) -> T:
    """``make(folder)`` run once per test run, its (picklable) value shared by every worker.

    Without pytest-xdist a session fixture is already made once: ``make`` gets a fresh temporary
    folder. Under xdist each worker is a process of its own with its own session fixtures, so the
    first worker to ask makes the value in the run's shared temporary folder (the parent of the
    workers' own) under a file lock, and pickles it beside; the others wait for the lock and read
    the same folder and value (pytest-xdist's documented pattern). A failure is recorded too, so
    that the other workers fail with its traceback instead of making it again.
    """
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return make(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent
    value_file, failure_file = shared / f"{name}.pickle", shared / f"{name}.failed"
    with FileLock(shared / f"{name}.lock"):
        if value_file.exists():
            return pickle.loads(value_file.read_bytes())
        if failure_file.exists():
            pytest.fail(
                f"{name} failed in another worker:\n{failure_file.read_text(encoding='utf-8')}",
                pytrace=False,
            )
        folder = shared / name
        folder.mkdir()
        try:
            value = make(folder)
        except Exception:
            failure_file.write_text(traceback.format_exc(), encoding="utf-8")
            raise
        value_file.write_bytes(pickle.dumps(value))
        return value


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that read the full build first (in their files' order), so that the run's
    longest single piece of work starts at once. Under ``--dist worksteal`` the first worker
    builds and then runs them, the other starts on the rest and steals from the end of the
    first's queue: neither waits on the build while there is other work."""
    items.sort(key=lambda item: "full_build" not in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session")
def codebook() -> Codebook:
    """The packaged codebook."""
    return load_codebook()


@pytest.fixture(scope="session")
def full_build(tmp_path_factory):
    """Every municipality's chapters and final report, the region's and the index page, HTML and
    PDF, built once on the example data into a temporary folder with 2 workers (the build's
    disclosure audit included): ``(summary, root)``, the reports under ``root / "reports"``
    and the processed tables under ``root / "processed"``.

    The one full build of the test run, also under pytest-xdist (:func:`once_per_run`): every
    test that reads real built reports (the runner, the text check, *Resultat i korthet*, the
    disclosure read-back, the warm-kernel proof) shares it. Tests only read it; a test that needs
    to change a build makes its own.
    """
    from fouanalys.build.runner import build
    from fouanalys.config import EXAMPLE_DATA_DIR

    def make(root: Path):
        summary = build(
            data_dir=EXAMPLE_DATA_DIR,
            processed_dir=root / "processed",
            reports_dir=root / "reports",
            jobs=2,
            progress=False,
        )
        return summary, root

    return once_per_run(tmp_path_factory, "full-build", make)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The public reference data beside the checkout (``../shared/data``)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data not found at {SHARED_DATA}")
    return SHARED_DATA


def _tree_state(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` with its size and modification time (empty when missing)."""
    if not root.is_dir():
        return {}
    return {
        p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


@pytest.fixture(scope="session", autouse=True)
def repository_outputs_untouched():
    """Tests never write into the repository's ``reports/`` or ``data/processed/``: the build's
    pages and tables there must still describe the build after ``make test``."""
    before = {root: _tree_state(root) for root in (REPORTS_DIR, PROCESSED_DATA_DIR)}
    yield
    for root, state in before.items():
        after = _tree_state(root)
        changed = sorted(
            name for name in set(state) | set(after) if state.get(name) != after.get(name)
        )
        if changed:
            pytest.fail(f"the tests changed {root}: {', '.join(changed[:10])}", pytrace=False)
