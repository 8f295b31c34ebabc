"""Shared test settings: headless plotting, no telemetry, small fixtures, and the fixtures that
are made once per test run even when pytest-xdist runs the tests in several worker processes."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ["GX_ANALYTICS_ENABLED"] = "false"
# Any validation of the default data in a test (or a notebook kernel it starts) writes its page
# here, never into the build's reports/validation (fouanalys.config.validation_report_dir).
os.environ["FOUANALYS_REPORTS_DIR"] = tempfile.mkdtemp(prefix="fouanalys-test-reports-")

from pathlib import Path

import pytest
from support import once_per_run

from fouanalys.codebook import Codebook, load_codebook
from fouanalys.config import PROCESSED_DATA_DIR, REPORTS_DIR

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


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
