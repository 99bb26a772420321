"""A year is published for every table as one commit (storage/year_commit.py): a writer
killed with SIGKILL at any step leaves every table's year wholly old or wholly new for the
contract's readers (DuckDB glob, pandas), and the next run cleans what it left."""

from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from publish_child import MARKER_COLUMN, YEARLY_TABLES, publish

from govreport_dagster.storage.warehouse import Warehouse
from govreport_dagster.storage.year_commit import YEARS_DIR


def markers_by_reader(root: Path, year: int) -> dict[str, set[str]]:
    """{table: the markers of `year`} as DuckDB's glob and pandas each see them."""
    seen = {}
    for table in YEARLY_TABLES:
        column = MARKER_COLUMN[table]
        glob = duckdb.sql(
            f"SELECT DISTINCT {column} FROM read_parquet('{root}/{table}/*/*.parquet', hive_partitioning=true) "
            f"WHERE report_year = {year}"
        ).fetchall()
        frame = pd.read_parquet(root / table)
        by_pandas = set(frame.loc[frame["report_year"].astype(int) == year, column])
        assert {r[0] for r in glob} == by_pandas, table
        seen[table] = by_pandas
    return seen


def leftovers(root: Path, year: int) -> list[str]:
    year_dir = root / YEARS_DIR / str(year)
    return sorted(p.name for p in year_dir.iterdir() if not p.name.startswith(("current", ".", "retired")))


@pytest.mark.slow  # kills real child processes that import the whole stack
@pytest.mark.parametrize(("kill_at", "expected"), [("publish:staged", "old"), ("publish:committed", "new")])
def test_kill_9_during_a_publish_leaves_every_table_wholly_old_or_wholly_new(tmp_path: Path, kill_at, expected):
    root = tmp_path / "wh"
    assert publish(str(root), 2019, "other") == 0
    assert publish(str(root), 2020, "old") == 0
    assert publish(str(root), 2020, "new", kill_at=kill_at) == -signal.SIGKILL
    seen = markers_by_reader(root, 2020)
    assert seen == {table: {expected} for table in YEARLY_TABLES}
    assert markers_by_reader(root, 2019) == {table: {"other"} for table in YEARLY_TABLES}
    assert len(leftovers(root, 2020)) == 2  # the killed writer's version (or the old one) is left

    Warehouse(root).sweep_staging()  # what the next run does first
    assert len(leftovers(root, 2020)) == 1
    assert markers_by_reader(root, 2020) == {table: {expected} for table in YEARLY_TABLES}
    assert publish(str(root), 2020, "newer") == 0
    assert markers_by_reader(root, 2020) == {table: {"newer"} for table in YEARLY_TABLES}


@pytest.mark.slow  # kills real child processes that import the whole stack
def test_kill_9_during_a_years_first_publish_leaves_the_year_absent_everywhere(tmp_path: Path):
    root = tmp_path / "wh"
    assert publish(str(root), 2019, "other") == 0
    assert publish(str(root), 2021, "first", kill_at="publish:linked") == -signal.SIGKILL
    assert markers_by_reader(root, 2021) == {table: set() for table in YEARLY_TABLES}
    Warehouse(root).sweep_staging()
    assert not any((root / table / "report_year=2021").exists() for table in YEARLY_TABLES)
    assert markers_by_reader(root, 2019) == {table: {"other"} for table in YEARLY_TABLES}
    assert publish(str(root), 2021, "first") == 0
    assert markers_by_reader(root, 2021) == {table: {"first"} for table in YEARLY_TABLES}


def test_a_folder_from_before_the_protocol_is_taken_over(tmp_path: Path):
    """Warehouses written by earlier versions have real report_year= folders."""
    import pyarrow.parquet as pq

    root = tmp_path / "wh"
    assert publish(str(root), 2020, "old") == 0
    legacy = root / "reports" / "report_year=2020"
    table = pq.read_table(legacy / "part-0.parquet")
    legacy.unlink()
    legacy.mkdir()
    pq.write_table(table, legacy / "part-0.parquet")
    assert publish(str(root), 2020, "new") == 0
    assert legacy.is_symlink()
    assert markers_by_reader(root, 2020) == {table: {"new"} for table in YEARLY_TABLES}


def _copy_dereferenced(source: Path, target: Path, how: str) -> None:
    """A warehouse copied the way operators do: every symlink replaced by what it points at."""
    if how == "cp -rL":
        subprocess.run(["cp", "-rL", str(source), str(target)], check=True)
    else:
        shutil.copytree(source, target)  # symlinks=False: links followed, folders copied


@pytest.mark.parametrize("how", ["cp -rL", "shutil.copytree"])
def test_a_dereferenced_copy_is_published_into_and_the_original_is_untouched(tmp_path: Path, how: str):
    original, copy = tmp_path / "wh", tmp_path / "copy"
    assert publish(str(original), 2019, "other") == 0
    assert publish(str(original), 2020, "old") == 0
    _copy_dereferenced(original, copy, how)
    assert not (copy / YEARS_DIR / "2020" / "current").is_symlink()  # the bug's starting point
    assert publish(str(copy), 2020, "new") == 0
    assert markers_by_reader(copy, 2020) == {table: {"new"} for table in YEARLY_TABLES}
    assert markers_by_reader(copy, 2019) == {table: {"other"} for table in YEARLY_TABLES}
    assert all((copy / table / "report_year=2020").is_symlink() for table in YEARLY_TABLES)
    assert markers_by_reader(original, 2020) == {table: {"old"} for table in YEARLY_TABLES}
    assert publish(str(copy), 2019, "newer") == 0  # the other year too, and again
    assert publish(str(copy), 2020, "newer") == 0
    assert markers_by_reader(copy, 2019) == markers_by_reader(copy, 2020) == {t: {"newer"} for t in YEARLY_TABLES}


@pytest.mark.slow  # kills real child processes that import the whole stack
@pytest.mark.parametrize("kill_at", ["publish:adopted", "publish:linked", "publish:staged"])
def test_kill_9_while_a_dereferenced_copy_is_taken_over_leaves_the_old_year(tmp_path: Path, kill_at: str):
    original, copy = tmp_path / "wh", tmp_path / "copy"
    assert publish(str(original), 2020, "old") == 0
    _copy_dereferenced(original, copy, "shutil.copytree")
    assert publish(str(copy), 2020, "new", kill_at=kill_at) == -signal.SIGKILL
    assert markers_by_reader(copy, 2020) == {table: {"old"} for table in YEARLY_TABLES}
    Warehouse(copy).sweep_staging()
    assert markers_by_reader(copy, 2020) == {table: {"old"} for table in YEARLY_TABLES}
    assert publish(str(copy), 2020, "new") == 0
    assert markers_by_reader(copy, 2020) == {table: {"new"} for table in YEARLY_TABLES}
    Warehouse(copy).sweep_staging()
    assert len(leftovers(copy, 2020)) == 1  # the killed writer's and the copied versions are gone
