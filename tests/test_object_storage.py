"""The warehouse on an S3-compatible store (moto's server on 127.0.0.1): the per-year
commit on a store without rename, and the whole pipeline s3:// → s3:// on a Dask
LocalCluster giving the same warehouse as a local run."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from builders import ROOT
from publish_child import MARKER_COLUMN, YEARLY_TABLES, publish
from s3_server import FAKE_SECRET, child_env, make_buckets, s3_env, s3fs_client  # noqa: F401

from govreport_dagster.core.schemas import CONTRACT
from govreport_dagster.storage.warehouse import Warehouse
from govreport_dagster.storage.year_commit import YearCommit


def _view_markers(root: str, year: int) -> dict[str, set[str]]:
    """What a reader of the Hive view (`<table>/report_year=Y/*.parquet`) sees per table."""
    fs = s3fs_client()
    seen = {}
    for table in YEARLY_TABLES:
        path = f"{root.removeprefix('s3://')}/{table}/report_year={year}/part-0.parquet"
        seen[table] = set(pd.read_parquet(path, filesystem=fs)[MARKER_COLUMN[table]]) if fs.exists(path) else set()
    return seen


def _manifest_markers(root: str, year: int) -> dict[str, set[str]]:
    """What a reader going through the year's pointer (`_years/Y/current.json`) sees."""
    from upath import UPath

    commit = YearCommit(UPath(root))
    fs = s3fs_client()
    return {
        t: set(pd.read_parquet(commit.committed_files(t, year).path, filesystem=fs)[MARKER_COLUMN[t]])
        for t in YEARLY_TABLES
    }


@pytest.mark.slow  # kills real child processes that import the whole stack
@pytest.mark.parametrize(
    ("kill_at", "seen", "view_whole_at_once"),
    [
        # the commit point (one PUT of the pointer) was passed: manifest readers see the new year
        # whole; the Hive view is brought up to it table by table, whole again after the sweep
        ("publish:between-tables", "new", False),
        # killed before it: the old year stays, whole for every reader
        ("publish:staged", "old", True),
    ],
)
def test_kill_9_on_object_storage_leaves_each_reader_one_whole_year(s3_env, kill_at, seen, view_whole_at_once):  # noqa: F811
    make_buckets("wh-test")
    root = "s3://wh-test/warehouse"
    assert publish(root, 2020, "old", env=s3_env) == 0
    assert publish(root, 2020, "new", kill_at=kill_at, env=s3_env) == -signal.SIGKILL
    assert _manifest_markers(root, 2020) == {t: {seen} for t in YEARLY_TABLES}
    view = _view_markers(root, 2020)
    assert all(len(markers) == 1 for markers in view.values())  # never two versions of a table's year
    if view_whole_at_once:
        assert view == {t: {seen} for t in YEARLY_TABLES}
    Warehouse(root).sweep_staging()  # the next run starts by rolling a passed commit forward
    assert _view_markers(root, 2020) == {t: {seen} for t in YEARLY_TABLES}
    fs = s3fs_client()
    assert len([p for p in fs.ls("wh-test/warehouse/_years/2020") if not p.endswith("current.json")]) == 1


# the ledger says which run saw a file, when, and how long its decode took; reports name the landing root
RUN_SPECIFIC = ("run_id", "seen_at", "landing_root", "decode_seconds")  # decode_seconds: a timing


def _table(root: str, table: str, filesystem=None) -> pd.DataFrame:
    """A table's rows, sorted, with paths reduced to file names (landing URIs differ)."""
    frame = pd.read_parquet(f"{root}/{table}", filesystem=filesystem)
    frame = frame.drop(columns=[c for c in RUN_SPECIFIC if c in frame.columns])
    for column in frame.columns:
        if column in ("source_uri", "data_docs"):
            frame[column] = frame[column].astype(str).str.rsplit("/", n=1).str[-1]
    frame = frame.astype(str)
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


@pytest.mark.slow
def test_pipeline_s3_to_s3_on_a_dask_local_cluster_equals_the_local_run(s3_env, tmp_path: Path):  # noqa: F811
    """Done-when of issue 12: `govreport run --landing s3://… --warehouse s3://…
    --cluster local-cluster:2` gives the same warehouse, every table, as a local run."""
    landing = tmp_path / "landing"
    landing.mkdir()
    sources = sorted((ROOT / "tests" / "fixtures" / "corpus").glob("*.txt"))
    assert len(sources) >= 16  # enough misses that the stages fan out to the cluster
    make_buckets("landing", "warehouse")
    fs = s3fs_client()
    for source in sources:
        (landing / source.name).write_bytes(source.read_bytes())
        fs.put_file(str(source), f"landing/reports/{source.name}")
    years = "2019-2021"
    cli = [sys.executable, "-m", "govreport_dagster.cli", "run", "--years", years]
    s3_args = ["--landing", "s3://landing/reports", "--warehouse", "s3://warehouse/wh", "--cluster", "local-cluster:2"]
    remote = subprocess.run(
        [*cli, *s3_args, "--dagster-home", str(tmp_path / "home_s3")],
        env=child_env(s3_env),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert remote.returncode == 0, remote.stdout[-3000:] + remote.stderr[-3000:]
    assert "per-document engine: dask" in remote.stdout and "2 worker" in remote.stdout
    assert FAKE_SECRET not in remote.stdout + remote.stderr
    local_args = ["--landing", str(landing), "--warehouse", str(tmp_path / "wh"), "--cluster", "local"]
    local = subprocess.run(
        [*cli, *local_args, "--dagster-home", str(tmp_path / "home_local")],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert local.returncode == 0, local.stdout[-3000:] + local.stderr[-3000:]

    fs = s3fs_client()
    for table in [*CONTRACT, "ingest_ledger"]:
        expected = _table(str(tmp_path / "wh"), table)
        got = _table("warehouse/wh", table, filesystem=fs)
        assert len(expected) > 0 or table not in ("reports", "report_sections", "fact_applications"), table
        pd.testing.assert_frame_equal(got, expected, obj=table)
    assert fs.exists("warehouse/wh_data_docs/charts/quality_2021.png")
    assert fs.exists("warehouse/wh_data_docs/report_facts/report_year=2021/index.html")
