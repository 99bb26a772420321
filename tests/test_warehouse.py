"""The warehouse writer: contract schemas, atomic partition replacement, readers."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from govreport_dagster.core.schemas import CONTRACT
from govreport_dagster.storage import warehouse as wh
from govreport_dagster.storage.warehouse import Warehouse
from govreport_dagster.storage.year_commit import YearCommit


def _apps(report_id: str, count: int | None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "report_id": [report_id],
            "outcome_key": ["new_received"],
            "applicant_key": ["total"],
            "count": pd.array([count], dtype="Int64"),
            "raw_text": [None if count is None else str(count)],
            "cell_state": ["number" if count is not None else "blank"],
        }
    )


def test_partition_replacement_is_atomic_and_touches_no_other_year(tmp_path: Path, monkeypatch) -> None:
    w = Warehouse(tmp_path / "wh")
    w.write_year("fact_applications", 2019, _apps("a", 1))
    p2020 = w.write_year("fact_applications", 2020, _apps("b", 2))
    before_2020 = (p2020 / wh.PART_NAME).stat().st_mtime_ns

    w.write_year("fact_applications", 2019, _apps("c", None))
    frame = pd.read_parquet(tmp_path / "wh" / "fact_applications")
    assert sorted(frame["report_id"]) == ["b", "c"]
    assert (p2020 / wh.PART_NAME).stat().st_mtime_ns == before_2020

    # a write that dies half-way leaves the old partition in place and no debris visible
    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(wh.pq, "write_table", boom)
    with pytest.raises(OSError):
        w.write_year("fact_applications", 2019, _apps("d", 4))
    monkeypatch.undo()
    frame = pd.read_parquet(tmp_path / "wh" / "fact_applications")
    assert sorted(frame["report_id"]) == ["b", "c"]


def test_explicit_schema_nullable_counts_and_readers(tmp_path: Path) -> None:
    w = Warehouse(tmp_path / "wh")
    w.write_year("fact_applications", 2021, _apps("x", None))
    w.write_year("fact_applications", 2022, _apps("y", 7))
    part = tmp_path / "wh" / "fact_applications" / "report_year=2021" / wh.PART_NAME
    assert pq.read_schema(part).field("count").type == CONTRACT["fact_applications"].field("count").type
    rows = duckdb.sql(
        f"SELECT report_id, count, report_year FROM read_parquet('{tmp_path}/wh/fact_applications/*/*.parquet', "
        "hive_partitioning=true) ORDER BY report_id"
    ).fetchall()
    assert rows == [("x", None, 2021), ("y", 7, 2022)]  # blank stays null, never 0


def test_extra_columns_are_a_contract_violation(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not in the contract"):
        Warehouse(tmp_path).write_year("fact_applications", 2021, _apps("x", 1).assign(bogus=1))


def test_ledger_is_readable_by_duckdb_glob_and_pandas(tmp_path: Path) -> None:
    w = Warehouse(tmp_path / "wh")
    ledger = pd.DataFrame(
        {
            "source_uri": ["a.txt", "b.doc"],
            "source_sha256": ["1" * 64, None],
            "bytes": pd.array([10, 20], dtype="Int64"),
            "report_year": pd.array([2019, None], dtype="Int64"),
            "status": ["parsed", "rejected"],
            "reason": ["ok", "unsupported format"],
            "report_id": ["r1", None],
        }
    )
    w.write_ledger(ledger)
    rows = duckdb.sql(
        f"SELECT source_uri, status, report_year FROM read_parquet('{tmp_path}/wh/ingest_ledger/*/*.parquet', "
        "hive_partitioning=true) ORDER BY source_uri"
    ).fetchall()
    assert rows == [("a.txt", "parsed", 2019), ("b.doc", "rejected", None)]
    frame = pd.read_parquet(tmp_path / "wh" / "ingest_ledger")
    assert len(frame) == 2 and set(frame["status"].astype(str)) == {"parsed", "rejected"}


def test_concurrent_swaps_of_the_same_partition_leave_one_complete_copy(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    w = Warehouse(tmp_path / "wh")

    def write(i: int) -> None:
        w.write_year("fact_applications", 2019, _apps(f"r{i}", i))

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, range(12)))
    part = tmp_path / "wh" / "fact_applications" / "report_year=2019"
    assert [p.name for p in part.iterdir()] == [wh.PART_NAME]
    assert len(pd.read_parquet(part)) == 1


def test_any_fsspec_url_works_for_landing_and_warehouse() -> None:
    """`memory://` stands in for object stores: nothing in the path assumes a local disk."""
    import fsspec
    from builders import ledger_rows, seed_path

    from govreport_dagster.core.ingest import ledger_frame
    from govreport_dagster.storage.cache import ResultCache
    from govreport_dagster.storage.landing import scan

    fs = fsspec.filesystem("memory")
    fs.pipe("/landing/2021/pingshan.txt", seed_path("002").read_bytes())
    fs.pipe("/landing/empty.txt", b"")
    ledger = ledger_frame(ledger_rows(scan("memory://landing"), ResultCache("memory://cache")))
    assert dict(zip(ledger["source_uri"].str.rsplit("/", n=1).str[-1], ledger["status"], strict=True)) == {
        "pingshan.txt": "parsed",
        "empty.txt": "rejected",
    }
    w = Warehouse("memory://wh")
    w.write_year("fact_applications", 2021, _apps("x", 3))
    w.write_year("fact_applications", 2021, _apps("y", 4))  # replaced, not appended
    w.write_ledger(ledger)
    assert w.read_table("fact_applications")["report_id"].tolist() == ["y"]
    assert len(w.read_table("ingest_ledger")) == 2


def test_readers_never_see_a_missing_or_half_partition_during_replacement(tmp_path: Path) -> None:
    import threading

    w = Warehouse(tmp_path / "wh")
    w.write_year("fact_applications", 2019, _apps("r0", 0))
    part = tmp_path / "wh" / "fact_applications" / "report_year=2019"
    problems: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                frame = pd.read_parquet(part)
                if len(frame) != 1:
                    problems.append(f"{len(frame)} rows")
            except Exception as exc:  # the folder was missing or half written
                problems.append(repr(exc))

    thread = threading.Thread(target=reader)
    thread.start()
    for i in range(1, 40):
        w.write_year("fact_applications", 2019, _apps(f"r{i}", i))
    stop.set()
    thread.join()
    assert problems == []


def test_publishing_several_tables_replaces_nothing_when_one_is_invalid(tmp_path: Path) -> None:
    w = Warehouse(tmp_path / "wh")
    w.write_year("fact_applications", 2020, _apps("old", 1))
    year_dir = YearCommit(w.root).year_dir(2020)
    before = sorted(p.name for p in year_dir.iterdir())
    with pytest.raises(ValueError, match="not in the contract"):
        # the tables are converted and written one at a time: the first is written, then
        # the second is found invalid
        w.write_year_tables(2020, {"fact_applications": _apps("new", 2), "fact_review_litigation": _apps("x", 1)})
    assert pd.read_parquet(tmp_path / "wh" / "fact_applications")["report_id"].tolist() == ["old"]
    assert sorted(p.name for p in year_dir.iterdir()) == before  # the half-written version is gone


def test_a_replaced_version_stays_for_its_readers_until_the_next_commit(tmp_path: Path) -> None:
    # a reader that resolved the year's folder just before a swap must still find the files it
    # listed (the race test above saw 0 rows when the old version was removed at once)
    w = Warehouse(tmp_path / "wh")
    part = tmp_path / "wh" / "fact_applications" / "report_year=2019"
    w.write_year("fact_applications", 2019, _apps("r0", 0))
    first = part.resolve()
    w.write_year("fact_applications", 2019, _apps("r1", 1))
    assert part.resolve() != first
    assert pd.read_parquet(first)["report_id"].tolist() == ["r0"]  # still whole after the swap
    w.write_year("fact_applications", 2019, _apps("r2", 2))
    assert not first.exists()  # removed by the commit after: versions do not pile up
    assert pd.read_parquet(part)["report_id"].tolist() == ["r2"]


def test_contract_conversion_vectorised_equals_the_value_by_value_reference() -> None:
    """`to_arrow` converts a column whole when its own Arrow type converts to the contract's
    without loss (a publish of 14,000 reports built ~20 million Python objects per table
    value by value): the same table as the value-by-value reference, nulls included."""
    import pyarrow as pa

    from govreport_dagster.storage.warehouse import _column_array

    columns = {
        pa.int32(): [pd.Series([1.0, None, 3.0]), pd.Series([1, 2, 3]), pd.Series([None, None, None])],
        pa.float64(): [pd.Series([1, 2, 3]), pd.Series([0.5, float("nan"), 2.0])],
        pa.string(): [pd.Series(["a", None, "c"], dtype="str"), pd.Series(["a", None, "c"], dtype=object)],
        pa.bool_(): [pd.Series([True, None, False], dtype=object), pd.Series([True, False, True])],
    }
    for to, series in columns.items():
        for column in series:
            reference = pa.array(column.astype(object).where(column.notna(), None).tolist(), type=to)
            assert _column_array(column, to).equals(reference), (to, column.tolist())
    with pytest.raises(pa.ArrowInvalid):  # a fraction into a count: refused, as value by value
        _column_array(pd.Series([1.5, 2.0]), pa.int32())
