"""One run at a time per warehouse and Dagster home (issue 17)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from govreport_dagster.run_lock import LOCK_NAME, RunLocked, exclusive_run

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from warehouse_digest import warehouse_digest  # noqa: E402

# A process that holds the run lock of a warehouse and a home until its stdin closes.
HOLDER = (
    "import sys\n"
    "from govreport_dagster.run_lock import exclusive_run\n"
    "with exclusive_run(sys.argv[1], sys.argv[2]):\n"
    "    print('held', flush=True)\n"
    "    sys.stdin.read()\n"
)


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


def _run_command(warehouse: Path) -> list[str]:
    return [sys.executable, "-m", "govreport_dagster.cli", "run", "--landing", str(ROOT / "data/sample"),
            "--warehouse", str(warehouse)]  # fmt: skip


@pytest.mark.parametrize("shared", ["warehouse", "home"])
def test_a_run_while_another_holds_the_lock_stops_with_one_line(tmp_path: Path, shared: str) -> None:
    """The real CLI, in its own process, against a lock another process holds: exit 3, one
    error line naming the folder, nothing written to the warehouse."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    held_wh, held_home = tmp_path / "wh", tmp_path / "home"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(held_wh), str(held_home)], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        warehouse = held_wh if shared == "warehouse" else tmp_path / "other_wh"
        home = held_home if shared == "home" else tmp_path / "other_home"
        second = subprocess.run(_run_command(warehouse), env={**env, "DAGSTER_HOME": str(home)},
                                capture_output=True, text=True, timeout=300)  # fmt: skip
    finally:
        holder.communicate("", timeout=60)
    assert second.returncode == 3, second.stdout + second.stderr
    errors = [line for line in second.stdout.splitlines() if line.startswith("error:")]
    locked = held_wh if shared == "warehouse" else held_home
    assert len(errors) == 1 and f"another govreport run is using {locked}" in errors[0], second.stdout
    assert sorted(p.name for p in warehouse.iterdir()) == [LOCK_NAME]  # no table, no year


def _consistent_digest(warehouse: Path) -> dict:
    """The warehouse's digest (decode_seconds, a measured time, left out) after checking that
    every fact and check row has its report in the same year: a year is not mixed."""
    import pandas as pd

    reports = pd.read_parquet(warehouse / "reports", columns=["report_id", "report_year"])
    known = set(zip(reports["report_id"], reports["report_year"].astype(int), strict=True))
    for table in ("fact_applications", "fact_active_disclosure", "identity_checks"):
        rows = pd.read_parquet(warehouse / table, columns=["report_id", "report_year"])
        assert set(zip(rows["report_id"], rows["report_year"].astype(int), strict=True)) <= known, table
    digest = warehouse_digest(warehouse, ROOT / "data/sample")
    digest.pop("ingest_ledger")
    ledger = pd.read_parquet(warehouse / "ingest_ledger").drop(columns=["run_id", "seen_at", "decode_seconds"])
    digest["ingest_ledger"] = sorted(map(str, ledger.astype(str).itertuples(index=False)))
    return digest


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
    after_both = _consistent_digest(tmp_path / "wh")
    assert after_both["reports"]["rows"] > 0
    third = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert third.returncode == 0, third.stdout + third.stderr
    assert _consistent_digest(tmp_path / "wh") == after_both  # what the winner published, whole
