"""Child process for the kill-9 publish tests: publishes one year of every yearly contract
table, every row's marker column (report_id, …) = the marker, to a warehouse root (local path or s3:// URL).
The parent (`publish`, used by the tests) sets GOVREPORT_TEST_KILL_AT to have it SIGKILLed at a
step of the commit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from govreport_dagster.core.schemas import CONTRACT
from govreport_dagster.storage.warehouse import Warehouse
from govreport_dagster.storage.year_commit import KILL_ENV

YEARLY_TABLES = [t for t in CONTRACT if t != "labels"]
# the column carrying the marker: report_id where the table has one (agencies: agency_id)
MARKER_COLUMN = {t: "report_id" if "report_id" in CONTRACT[t].names else CONTRACT[t].names[0] for t in YEARLY_TABLES}


def frames(marker: str) -> dict[str, pd.DataFrame]:
    return {table: pd.DataFrame({MARKER_COLUMN[table]: [marker, marker]}) for table in YEARLY_TABLES}


def publish(root: str, year: int, marker: str, kill_at: str | None = None, env: dict | None = None) -> int:
    """Run this file as a child publishing `marker` for `year`; its exit code (-SIGKILL when killed)."""
    child_env = {**os.environ, **(env or {})}
    child_env.pop(KILL_ENV, None)
    if kill_at:
        child_env[KILL_ENV] = kill_at
    command = [sys.executable, str(Path(__file__)), root, str(year), marker]
    return subprocess.run(command, env=child_env, timeout=120).returncode


if __name__ == "__main__":
    root, year, marker = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    Warehouse(root).write_year_tables(year, frames(marker))
