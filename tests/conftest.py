"""Shared test fixtures. Nothing here reads ../shared: the sample reports and the corpus are
bundled in the repo (data/sample, tests/fixtures/corpus)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from builders import SAMPLE


@pytest.fixture
def seed_landing(tmp_path: Path) -> Path:
    """A fresh landing zone holding a copy of the five seeds."""
    landing = tmp_path / "landing"
    shutil.copytree(SAMPLE, landing)
    return landing
