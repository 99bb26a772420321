"""One run at a time per warehouse and Dagster home (issue 17)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from govreport_dagster.run_lock import RunLocked, exclusive_run

ROOT = Path(__file__).resolve().parent.parent


def test_second_holder_is_refused_with_one_line(tmp_path: Path) -> None:
    with exclusive_run(tmp_path / "wh", tmp_path / "home"):
        with pytest.raises(RunLocked) as refused, exclusive_run(tmp_path / "other", tmp_path / "home"):
            pass
        assert "\n" not in str(refused.value) and "home" in str(refused.value)
    with exclusive_run(tmp_path / "wh", tmp_path / "home"):  # released after the first run
        pass


def test_object_store_locations_are_not_locked(tmp_path: Path) -> None:
    with exclusive_run("s3://bucket/wh"), exclusive_run("s3://bucket/wh"):
        pass


@pytest.mark.slow
def test_two_runs_at_once_on_a_fresh_home(tmp_path: Path) -> None:
    """Both started together: one runs, the other stops with the lock message (exit 3); a
    third run on the same home then succeeds (no second alembic head was left)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DAGSTER_HOME": str(tmp_path / "home")}
    command = [sys.executable, "-m", "govreport_dagster.cli", "run", "--landing", str(ROOT / "data/sample"),
               "--warehouse", str(tmp_path / "wh")]  # fmt: skip
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for _ in range(2)]  # fmt: skip
    outputs = [run.communicate(timeout=900)[0] for run in runs]
    codes = sorted(run.returncode for run in runs)
    assert codes == [0, 3], outputs
    assert any("another govreport run is using" in out for out in outputs)
    third = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert third.returncode == 0, third.stdout + third.stderr
