"""Shared test fixtures. Nothing here reads ../shared: the sample reports and the corpus are
bundled in the repo (data/sample, tests/fixtures/corpus)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
CORPUS = ROOT / "tests" / "fixtures" / "corpus"
SEED_YEARS = {"000": 2016, "001": 2019, "002": 2021, "003": 2024, "004": 2023}


@pytest.fixture
def seed_landing(tmp_path: Path) -> Path:
    """A fresh landing zone holding a copy of the five seeds."""
    landing = tmp_path / "landing"
    shutil.copytree(SAMPLE, landing)
    return landing


def seed_path(prefix: str) -> Path:
    return next(SAMPLE.glob(f"{prefix}_*.txt"))
