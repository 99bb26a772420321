"""What a new user meets outside the data: the schedules' stated default, the Makefile's installs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import dagster as dg
import pytest

from govreport_dagster.schedules import catch_up_schedule, yearly_reports_schedule

ROOT = Path(__file__).resolve().parents[1]


def test_schedules_are_off_by_default_as_the_readme_says() -> None:
    for schedule in (yearly_reports_schedule, catch_up_schedule):
        assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Both schedules are\n  **off by default**" in readme


def _make_dry_run(target: str) -> str:
    if shutil.which("make") is None:
        pytest.fail("make is not installed: the README's Quick start needs it")
    done = subprocess.run(
        ["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def test_make_sample_installs_runtime_dependencies_only() -> None:
    commands = _make_dry_run("sample")
    assert "pip install --quiet -e .\n" in commands
    assert "[dev]" not in commands


def test_make_test_adds_the_dev_extras() -> None:
    commands = _make_dry_run("test")
    assert '-e ".[dev]"' in commands and "pytest" in commands
