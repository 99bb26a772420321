"""The Parquet as BI tools and pandas read it: nullable integers, nulls for blanks, sources
relative to the landing zone, and every table readable with and without Hive partitioning."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from warehouse_builder import write_warehouse

from govreport_dagster.core.schemas import CONTRACT, YEAR_PARTITIONED
from govreport_dagster.storage.bi_columns import absolute_source_uris, with_landing_root

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


@pytest.mark.parametrize("table", [*YEAR_PARTITIONED, "labels"])
def test_pandas_dtypes_follow_the_contract_schema(warehouse, table: str) -> None:
    """Every column as pandas gives it: integers Int64 (nullable), flags boolean, floats
    float64, text strings with no '' (a blank is null), `publish_date` dates."""
    _landing, root = warehouse
    frame = pd.read_parquet(root / table)
    in_path = {p.name.split("=")[0] for p in (root / table).iterdir()}  # Hive keys: categories
    for field in (f for f in CONTRACT[table] if f.name not in in_path):
        column = frame[field.name]
        if pa.types.is_integer(field.type):
            assert str(column.dtype) == "Int64", (table, field.name, column.dtype)
        elif pa.types.is_boolean(field.type):
            assert str(column.dtype) == "boolean", (table, field.name, column.dtype)
        elif pa.types.is_floating(field.type):
            assert str(column.dtype) == "float64", (table, field.name, column.dtype)
        elif pa.types.is_string(field.type):
            assert pd.api.types.is_string_dtype(column.dtype), (table, field.name, column.dtype)
            assert not (column.dropna() == "").any(), f"{table}.{field.name} has '' for a blank"
        elif pa.types.is_date(field.type):
            assert column.dropna().map(type).eq(datetime.date).all(), (table, field.name)
    if table == "reports":
        assert frame["publish_date"].notna().any()  # the sample reports print their dates


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


@pytest.mark.parametrize("root", ["/data/landing", "s3://bucket/landing", "relative/landing"])
def test_absolute_source_uris_undo_with_landing_root(root: str) -> None:
    full = [f"{root}/2020/a.txt", f"{root}/b.doc", "/elsewhere/c.txt", None]
    published = with_landing_root(pd.DataFrame({"source_uri": full}), root + "/")
    assert published["source_uri"].tolist()[:2] == ["2020/a.txt", "b.doc"]
    back = absolute_source_uris(published)
    assert back.tolist()[:3] == full[:3] and back.isna().tolist()[3]


def test_absolute_source_uris_keep_a_ledger_written_before_landing_root() -> None:
    old = pd.DataFrame({"source_uri": ["/data/landing/a.txt"]})
    assert absolute_source_uris(old).tolist() == ["/data/landing/a.txt"]


@pytest.mark.parametrize("table", [*YEAR_PARTITIONED, "labels"])
def test_every_table_reads_in_duckdb_and_pandas(warehouse, table: str) -> None:
    _landing, root = warehouse
    glob = f"{root}/{table}/*/*.parquet"
    hive = duckdb.sql(f"SELECT * FROM read_parquet('{glob}', hive_partitioning=true)").df()
    assert set(CONTRACT[table].names) <= set(hive.columns)
    plain = duckdb.sql(f"SELECT * FROM read_parquet('{glob}', hive_partitioning=false)").df()
    assert len(plain) == len(hive)
    assert len(pd.read_parquet(root / table)) == len(hive)


@pytest.mark.parametrize("table", ["reports", "fact_applications", "identity_checks"])
def test_every_hive_reader_gets_the_year_of_the_path(warehouse, table: str) -> None:
    """`report_year` as BI's Hive-aware readers get it from the real writer's layout (symlinked
    year commits): the right year for every row, one column, usable as an integer."""
    _landing, root = warehouse
    rows = {int(p.name.split("=")[1]): pq.read_table(p / "part-0.parquet").num_rows for p in (root / table).iterdir()}
    rows = {year: n for year, n in sorted(rows.items()) if n}  # rows per year, file by file
    assert rows, table

    frame = pd.read_parquet(root / table)  # pandas 3 + pyarrow: a category of integers
    assert list(frame.columns).count("report_year") == 1
    assert frame["report_year"].cat.categories.dtype.kind == "i"
    assert frame["report_year"].astype(int).value_counts().sort_index().to_dict() == rows

    arrow = ds.dataset(root / table, partitioning="hive").to_table()  # pyarrow: int32
    assert arrow.schema.field("report_year").type == pa.int32()
    assert pd.Series(arrow.column("report_year").to_pylist()).value_counts().sort_index().to_dict() == rows

    glob = f"{root}/{table}/*/*.parquet"
    for path, year in duckdb.sql(
        f"SELECT DISTINCT filename, report_year FROM read_parquet('{glob}', hive_partitioning=true, filename=true)"
    ).fetchall():
        assert f"report_year={year}/" in path  # each row's year is its file's folder
    typed = duckdb.sql(
        f"SELECT typeof(report_year) FROM read_parquet('{glob}', hive_types={{'report_year': INTEGER}}) LIMIT 1"
    ).fetchall()
    assert typed == [("INTEGER",)]


def _year_column_in_files_and_path(root: Path, year_type: pa.DataType) -> Path:
    for year in (2020, 2021):
        folder = root / "t" / f"report_year={year}"
        folder.mkdir(parents=True)
        years = pa.array([year], pa.int32())
        column = years.dictionary_encode() if pa.types.is_dictionary(year_type) else years.cast(year_type)
        pq.write_table(pa.table({"x": [1], "report_year": column}), folder / "part-0.parquet")
    return root / "t"


@pytest.mark.parametrize(
    "year_type", [pa.int16(), pa.int32(), pa.int64(), pa.string(), pa.dictionary(pa.int32(), pa.int32())]
)
def test_no_type_of_a_year_column_in_the_files_suits_both_hive_readers(tmp_path: Path, year_type) -> None:
    """Why `report_year` stays in the path only (pyarrow 26, pandas 3). A column inside the
    files must have exactly the type the reader infers for the Hive key, and the two default
    readers infer different ones: `pd.read_parquet` (pq.read_table: `infer_dictionary=True`)
    dictionary<int32>, `pyarrow.dataset.dataset(partitioning="hive")` int32. A dictionary
    of integers does not survive Parquet (it is read back as int32), and `_common_metadata`
    only supplies pandas metadata, never the schema. So every type breaks pandas, which the
    contract promises. When this test fails, pyarrow has learnt to merge them: the column can
    then go into the files as well."""
    table = _year_column_in_files_and_path(tmp_path, year_type)
    with pytest.raises(pa.ArrowTypeError, match="report_year"):
        pd.read_parquet(table)
    stored = pq.read_schema(table / "report_year=2020" / "part-0.parquet").field("report_year").type
    assert not pa.types.is_dictionary(stored)  # a dictionary of integers comes back plain
    if stored == pa.int32():  # the type the Hive inference gives: this reader is content
        assert ds.dataset(table, partitioning="hive").to_table().column("report_year").to_pylist() == [2020, 2021]
    else:
        with pytest.raises(pa.ArrowTypeError, match="report_year"):
            ds.dataset(table, partitioning="hive").to_table()
