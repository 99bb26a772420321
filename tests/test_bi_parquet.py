"""The Parquet as BI tools and pandas read it: nullable integers, nulls for blanks, sources
relative to the landing zone, and every table readable with and without Hive partitioning."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from warehouse_builder import write_warehouse

from govreport_dagster.core.schemas import CONTRACT, YEAR_PARTITIONED
from govreport_dagster.storage.bi_columns import with_landing_root

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    landing = tmp_path_factory.mktemp("landing")
    for name in ("002_fcbee85ab15eb4ea.txt", "004_536f5ebdfc03511c.txt"):
        shutil.copy(ROOT / "data" / "sample" / name, landing / name)
    root = tmp_path_factory.mktemp("warehouse")
    write_warehouse(landing, root)
    return landing, root


def test_pandas_reads_counts_as_int64_and_flags_as_boolean(warehouse) -> None:
    _landing, root = warehouse
    apps = pd.read_parquet(root / "fact_applications")
    assert str(apps["count"].dtype) == "Int64" and apps["count"].isna().any()  # blanks stay null
    checks = pd.read_parquet(root / "identity_checks")
    assert str(checks["passed"].dtype) == "boolean"
    assert str(pd.read_parquet(root / "reports")["identity_violations"].dtype) == "Int64"


def test_blank_text_is_null_not_empty(warehouse) -> None:
    _landing, root = warehouse
    for table in ("fact_applications", "fact_review_litigation", "fact_active_disclosure"):
        raw = duckdb.sql(
            f"SELECT count(*) FILTER (WHERE raw_text = ''), count(*) FILTER (WHERE raw_text IS NULL) "
            f"FROM read_parquet('{root}/{table}/*/*.parquet', hive_partitioning=true)"
        ).fetchall()[0]
        assert raw[0] == 0, table
    blanks = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{root}/fact_applications/*/*.parquet') "
        "WHERE cell_state = 'blank' AND raw_text IS NULL"
    ).fetchall()[0][0]
    assert blanks > 0


def test_source_uri_is_relative_to_the_landing_root(warehouse) -> None:
    landing, root = warehouse
    reports = pd.read_parquet(root / "reports")
    assert set(reports["source_uri"]) == {"002_fcbee85ab15eb4ea.txt", "004_536f5ebdfc03511c.txt"}
    assert set(reports["landing_root"]) == {str(landing)}


def test_with_landing_root_leaves_foreign_uris_and_handles_urls() -> None:
    frame = pd.DataFrame({"source_uri": ["s3://b/land/2020/a.txt", "/elsewhere/b.txt", None]})
    out = with_landing_root(frame, "s3://b/land/")
    assert out["source_uri"].tolist()[:2] == ["2020/a.txt", "/elsewhere/b.txt"]
    assert out["source_uri"].isna().tolist()[2]
    assert set(out["landing_root"]) == {"s3://b/land"}


@pytest.mark.parametrize("table", [*YEAR_PARTITIONED, "labels"])
def test_every_table_reads_in_duckdb_and_pandas(warehouse, table: str) -> None:
    _landing, root = warehouse
    glob = f"{root}/{table}/*/*.parquet"
    hive = duckdb.sql(f"SELECT * FROM read_parquet('{glob}', hive_partitioning=true)").df()
    assert set(CONTRACT[table].names) <= set(hive.columns)
    plain = duckdb.sql(f"SELECT * FROM read_parquet('{glob}', hive_partitioning=false)").df()
    assert len(plain) == len(hive)
    assert len(pd.read_parquet(root / table)) == len(hive)


def test_a_year_column_both_in_the_files_and_the_path_still_breaks_pandas(tmp_path: Path) -> None:
    """Why `report_year` stays in the path only: pandas' default reader (pyarrow datasets,
    Hive partitions inferred as dictionary<int32>) cannot merge it with a column of the same
    name inside the files, whatever its type. When this test fails, pyarrow has learnt to:
    the column can then be added to the files."""
    folder = tmp_path / "t" / "report_year=2020"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"x": [1], "report_year": pa.array([2020], pa.int32())}), folder / "part-0.parquet")
    with pytest.raises(pa.ArrowTypeError):
        pd.read_parquet(tmp_path / "t")
