"""Shared test settings: headless plotting, no telemetry, small fixtures."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ["GX_ANALYTICS_ENABLED"] = "false"

from pathlib import Path

import pytest

from fouanalys.codebook import Codebook, load_codebook

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def codebook() -> Codebook:
    """The packaged codebook."""
    return load_codebook()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The public reference data beside the checkout (``../shared/data``)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data not found at {SHARED_DATA}")
    return SHARED_DATA
