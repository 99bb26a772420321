"""The Parquet warehouse writer shared by every table (plain pyarrow + fsspec).

Layout (docs/warehouse_contract.md): `<root>/<table>/report_year=<YYYY>/part-0.parquet`.
A year is published for all tables as one commit (storage/year_commit.py, docs/atomic_publish.md):
readers see the whole old or the whole new year, and no other year is touched. Other folders
are replaced atomically: written in full under `<root>/_tmp/`, then swapped in by renames. `_`-prefixed
folders are invisible to pyarrow/pandas dataset readers and to the `<table>/*/*.parquet`
glob BI tools use.

Tables that are not per year (the ingest ledger, the labels) are Hive-partitioned by a
column that is never null (`status`, `key_type`) so the same glob and pandas both read them;
the whole table is swapped at once.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from upath import UPath

from ..core.schemas import CONTRACT, LEDGER_SCHEMA
from .landing import is_local
from .stored_frames import FrameRows, rows_of
from .year_commit import YearCommit, exchange_paths

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
        data[name] = _column_array(column, schema.field(name).type)
    from .bi_columns import pandas_metadata  # nullable Int64/boolean for pandas readers

    return pa.Table.from_pydict(data, schema=schema).replace_schema_metadata(pandas_metadata(schema))


def _column_array(column: pd.Series, to: pa.DataType) -> pa.Array:
    """One column as the contract's type. Vectorised when the column's own Arrow type is the
    contract's or converts to it without loss (a null column; a number to another number,
    checked; text to text; bool to bool); otherwise value by value, the strict reference
    (a publish of 14,000 reports built ~20 million Python objects per table that way)."""
    try:
        own = pa.array(column, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed values: only the reference decides
        own = None
    if own is not None and _lossless(own.type, to):
        return own.cast(to, safe=True)
    values = column.astype(object).where(column.notna(), None).tolist()
    return pa.array(values, type=to)


def _lossless(own: pa.DataType, to: pa.DataType) -> bool:
    t = pa.types
    return (
        own == to
        or t.is_null(own)
        or ((t.is_integer(own) or t.is_floating(own)) and (t.is_integer(to) or t.is_floating(to)))
        or ((t.is_string(own) or t.is_large_string(own)) and (t.is_string(to) or t.is_large_string(to)))
        or (t.is_boolean(own) and t.is_boolean(to))
    )


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
        return self.write_year_tables(year, {table: frame})[table]

    def write_year_tables(self, year: int | str, frames: Mapping[str, pd.DataFrame | FrameRows]) -> dict[str, UPath]:
        """Replace one year of several tables as one commit (storage/year_commit.py): every
        table is written in full first (a schema violation or a full disk stops the publish
        before anything is replaced), then the year's pointer switches all tables at once.
        Tables are read (a stored frame), converted and written one at a time: only one
        table and its Arrow copy are held."""

        def write(version: UPath) -> list[str]:
            for table, frame in frames.items():
                whole = rows_of(frame).to_pandas()
                arrow = to_arrow(whole.drop(columns=["report_year"], errors="ignore"), CONTRACT[table])
                del whole
                _write_parquet(arrow, self._mk(version / table) / PART_NAME)
                del arrow
            return list(frames)

        self.sweep_staging()
        published = YearCommit(self.root).publish(year, write)
        return {table: published[table] for table in frames}

    def sweep_staging(self, older_than_seconds: float = 3600) -> None:
        """Finish or undo what a crashed writer left behind: an unfinished year commit is
        rolled forward, versions and staging folders of dead writers are removed (never a
        live writer's)."""
        YearCommit(self.root).recover()
        tmp = self.root / "_tmp"
        if not is_local(tmp) or not tmp.exists():
            return
        cutoff = time.time() - older_than_seconds
        for entry in tmp.iterdir():
            with contextlib.suppress(OSError):
                if entry.stat().st_mtime < cutoff:
                    shutil.rmtree(entry.path, ignore_errors=True)

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

    def replace_folder(self, final: UPath, write: Callable[[UPath], None]) -> UPath:
        """Replace any folder below the root atomically: `write(staging)` fills a fresh
        staging folder under `_tmp/`, which is then swapped in (the stage IO manager's path)."""
        staging = self._mk(self._staging())
        write(staging)
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
        """Move a fully written folder into place; readers see the old or the new folder,
        never none and never half of one.

        Locally the two folders are exchanged in one step (Linux renameat2 RENAME_EXCHANGE),
        then the old one is deleted. Where that is not available the old folder is renamed
        away first (a reader may then briefly find no folder), retrying when another writer
        swapped the same folder in between. Object stores have no folder rename: there each
        object is replaced whole (`_swap_remote`); the year tables use the commit protocol.
        """
        final.parent.mkdir(parents=True, exist_ok=True)
        if is_local(final):
            self._swap_local(staging.path, final.path)
            return
        self._swap_remote(staging, final)

    @staticmethod
    def _swap_remote(staging: UPath, final: UPath) -> None:
        """Object stores: copy every staged object over its final name (each object is
        replaced whole, server-side), then delete final objects the new folder does not have.
        Folders are only key prefixes there, so they are never copied themselves."""
        fs = final.fs
        source_root = staging.path.rstrip("/")
        target_root = final.path.rstrip("/")
        new_files = {f[len(source_root) :] for f in fs.find(source_root)}
        for rel in sorted(new_files):
            fs.copy(source_root + rel, target_root + rel)
        for existing in fs.find(target_root):
            if existing[len(target_root) :] not in new_files:
                fs.rm(existing)
        fs.rm(source_root, recursive=True)

    def _swap_local(self, staging: str, final: str) -> None:
        for _attempt in range(50):
            try:
                os.rename(staging, final)  # nothing there yet
                return
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
            if exchange_paths(staging, final):
                shutil.rmtree(staging, ignore_errors=True)  # now holds the old version
                return
            retired = (self.root / "_tmp" / f"retired-{uuid.uuid4().hex}").path
            with contextlib.suppress(FileNotFoundError):
                os.rename(final, retired)
                shutil.rmtree(retired, ignore_errors=True)
        raise RuntimeError(f"could not swap {final} into place")


def _write_parquet(table: pa.Table, path: UPath) -> None:
    """Write through the path's own filesystem, so any fsspec URL works (memory://, s3://…)."""
    pq.write_table(table, path.path, filesystem=path.fs, compression="zstd")
