"""The Parquet warehouse writer shared by every table (plain pyarrow + fsspec).

Layout (docs/warehouse_contract.md): `<root>/<table>/report_year=<YYYY>/part-0.parquet`.
Replacing a partition is atomic for readers: the new partition is written in full under
`<root>/_tmp/`, then swapped in by renames, and no other year is touched. `_`-prefixed
folders are invisible to pyarrow/pandas dataset readers and to the `<table>/*/*.parquet`
glob BI tools use.

Tables that are not per year (the ingest ledger, the labels) are Hive-partitioned by a
column that is never null (`status`, `key_type`) so the same glob and pandas both read them;
the whole table is swapped at once.
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from upath import UPath

from .schemas import CONTRACT, LEDGER_SCHEMA

PART_NAME = "part-0.parquet"


def to_arrow(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """Conform a frame to an explicit schema: missing extension columns become null, extra
    columns are an error (a contract violation is a pipeline bug)."""
    extra = [c for c in frame.columns if c not in schema.names and c != "report_year"]
    if extra:
        raise ValueError(f"columns not in the contract schema: {extra}")
    data = {}
    for name in schema.names:
        column = frame[name] if name in frame.columns else pd.Series([None] * len(frame), dtype=object)
        values = column.astype(object).where(column.notna(), None).tolist()
        data[name] = pa.array(values, type=schema.field(name).type)
    return pa.Table.from_pydict(data, schema=schema)


class Warehouse:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = UPath(root)

    # -- paths ------------------------------------------------------------------------
    def table_path(self, table: str) -> UPath:
        return self.root / table

    def partition_path(self, table: str, year: int | str) -> UPath:
        return self.root / table / f"report_year={year}"

    # -- writes -----------------------------------------------------------------------
    def write_year(self, table: str, year: int | str, frame: pd.DataFrame) -> UPath:
        """Replace one year of one contract table atomically; returns the partition path."""
        arrow = to_arrow(frame.drop(columns=["report_year"], errors="ignore"), CONTRACT[table])
        staging = self._staging()
        _write_parquet(arrow, self._mk(staging) / PART_NAME)
        final = self.partition_path(table, year)
        self._swap(staging, final)
        return final

    def write_year_tables(self, year: int | str, frames: dict[str, pd.DataFrame]) -> dict[str, UPath]:
        return {table: self.write_year(table, year, frame) for table, frame in frames.items()}

    def write_partitioned_by(self, table: str, frame: pd.DataFrame, column: str, schema: pa.Schema) -> UPath:
        """Replace a whole non-yearly table, Hive-partitioned by a never-null column."""
        staging = self._staging()
        self._mk(staging)
        for value, part in frame.groupby(column, sort=True):
            arrow = to_arrow(part.drop(columns=[column]), schema)
            folder = self._mk(staging / f"{column}={value}")
            _write_parquet(arrow, folder / PART_NAME)
        final = self.table_path(table)
        self._swap(staging, final)
        return final

    def write_ledger(self, frame: pd.DataFrame) -> UPath:
        return self.write_partitioned_by("ingest_ledger", frame, "status", LEDGER_SCHEMA)

    def write_labels(self, frame: pd.DataFrame) -> UPath:
        return self.write_partitioned_by("labels", frame, "key_type", CONTRACT["labels"].remove(0))

    # -- reads (for the pipeline's own use: previous ledger, cross-year) ---------------
    def read_table(self, table: str, **kwargs: Any) -> pd.DataFrame | None:
        path = self.table_path(table)
        if not path.exists():
            return None
        return pd.read_parquet(path.path, filesystem=path.fs, **kwargs)

    # -- internals --------------------------------------------------------------------
    def _staging(self) -> UPath:
        return self.root / "_tmp" / uuid.uuid4().hex

    @staticmethod
    def _mk(path: UPath) -> UPath:
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _swap(self, staging: UPath, final: UPath) -> None:
        """Move a fully written folder into place; the old one is removed only after.

        Two runs may swap the same folder at once (two years' runs both refresh the ledger):
        locally a rename onto a folder that reappeared fails, so retire it again and retry.
        """
        final.parent.mkdir(parents=True, exist_ok=True)
        if _is_local(final):
            retired_dirs = []
            for _attempt in range(20):
                retired = self.root / "_tmp" / f"retired-{uuid.uuid4().hex}"
                try:
                    os.rename(final.path, retired.path)
                    retired_dirs.append(retired)
                except FileNotFoundError:
                    pass
                try:
                    os.rename(staging.path, final.path)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                        raise
            else:
                raise RuntimeError(f"could not swap {final} into place")
            for retired in retired_dirs:
                shutil.rmtree(retired.path, ignore_errors=True)
            return
        fs = final.fs
        retired = self.root / "_tmp" / f"retired-{uuid.uuid4().hex}"
        if final.exists():
            fs.mv(final.path, retired.path, recursive=True)
        fs.mv(staging.path, final.path, recursive=True)
        if retired.exists():
            fs.rm(retired.path, recursive=True)


def _write_parquet(table: pa.Table, path: UPath) -> None:
    """Write through the path's own filesystem, so any fsspec URL works (memory://, s3://…)."""
    pq.write_table(table, path.path, filesystem=path.fs, compression="zstd")


def _is_local(path: UPath) -> bool:
    return getattr(path, "protocol", "") in ("", "file", "local")
