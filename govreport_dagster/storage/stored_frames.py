"""A stage frame read from its Parquet file on demand, never whole (issue 12: the driver's memory).

The per-document stages and the facts read a year's reports a chunk at a time; holding the
year's stage frames whole for that (the facts: three years of four stages) made every big
year's step cost ~10× the year's compressed size in the driver. A `StoredFrame` is a
handle on the file: its length and schema from the footer, whole small columns (report
ids, flags), rows by position through the row groups that hold them, and its rows a
chunk at a time. The stage frames whose rows are reports are written in row groups of
`REPORT_ROW_GROUP` rows (`io_manager`), so a chunk reads one or two row groups; a file
written otherwise (one big row group) is still read correctly, a row group at a time.

`rows_of(frame)` gives the same surface over a pandas frame already in memory (tests, a
list of reports), so a reader takes either.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from typing import Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from upath import UPath

# Rows per row group of a stage frame whose rows are reports: what a chunk of the
# per-document stages holds (`stage_chunks.CHUNK_DOCUMENTS`), so a chunk is one read.
REPORT_ROW_GROUP = 500
# Stage frames whose rows are reports (the others, cells and sections, are read whole).
REPORT_FRAMES = frozenset({"files", "reports"})


class FrameRows(Protocol):
    """What a chunked reader needs of a frame, stored or in memory."""

    columns: list[str]

    def __len__(self) -> int: ...

    def column(self, name: str) -> list:
        """Every value of one column, in row order."""
        ...

    def take(self, positions: Sequence[int], columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The rows at these positions, in that order (a fresh 0..n-1 index)."""
        ...

    def chunks(self, size: int) -> Iterator[pd.DataFrame]:
        """The rows in order, `size` at a time."""
        ...

    def to_pandas(self) -> pd.DataFrame:
        """The whole frame (for the small ones: a year's files)."""
        ...


class StoredFrame:
    """A Parquet file read on demand (`FrameRows`), without `skip_columns`."""

    def __init__(self, path: UPath, skip_columns: frozenset[str] = frozenset()) -> None:
        self.path = path
        self._file = pq.ParquetFile(path.path, filesystem=path.fs)
        self.columns = [c for c in self._file.schema_arrow.names if c not in skip_columns]
        sizes = [self._file.metadata.row_group(i).num_rows for i in range(self._file.num_row_groups)]
        self._starts = [sum(sizes[:i]) for i in range(len(sizes))]
        self._length = sum(sizes)
        self._cached: tuple[int, tuple[str, ...], pa.Table] | None = None  # the last row group read

    def __len__(self) -> int:
        return self._length

    def __repr__(self) -> str:
        return f"StoredFrame({self.path}, {self._length} rows)"

    def column(self, name: str) -> list:
        return self._file.read(columns=[name]).column(0).to_pylist()

    def to_pandas(self) -> pd.DataFrame:
        return self._file.read(columns=self.columns).to_pandas()

    def chunks(self, size: int) -> Iterator[pd.DataFrame]:
        for batch in self._file.iter_batches(batch_size=size, columns=self.columns):
            yield batch.to_pandas()

    def take(self, positions: Sequence[int], columns: Sequence[str] | None = None) -> pd.DataFrame:
        wanted = tuple(columns) if columns is not None else tuple(self.columns)
        if not positions:
            return self._file.schema_arrow.empty_table().select(list(wanted)).to_pandas()
        pieces: list[pa.Table] = []
        run: list[int] = []
        group = None
        for position in positions:  # consecutive positions of one row group are one take
            g = bisect.bisect_right(self._starts, position) - 1
            if g != group and run:
                pieces.append(self._group(group, wanted).take(run))
                run = []
            group = g
            run.append(position - self._starts[g])
        pieces.append(self._group(group, wanted).take(run))
        return pa.concat_tables(pieces).to_pandas()

    def _group(self, index: int, columns: tuple[str, ...]) -> pa.Table:
        if self._cached is None or self._cached[:2] != (index, columns):
            self._cached = (index, columns, self._file.read_row_group(index, columns=list(columns)))
        return self._cached[2]


class InMemoryFrame:
    """`FrameRows` over a pandas frame."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.columns = list(frame.columns)

    def __len__(self) -> int:
        return len(self.frame)

    def column(self, name: str) -> list:
        return self.frame[name].tolist()

    def take(self, positions: Sequence[int], columns: Sequence[str] | None = None) -> pd.DataFrame:
        rows = self.frame.iloc[list(positions)]
        return (rows if columns is None else rows[list(columns)]).reset_index(drop=True)

    def chunks(self, size: int) -> Iterator[pd.DataFrame]:
        for start in range(0, len(self.frame), size):
            yield self.frame.iloc[start : start + size]

    def to_pandas(self) -> pd.DataFrame:
        return self.frame


def rows_of(frame: pd.DataFrame | FrameRows) -> FrameRows:
    """A frame as `FrameRows`: a stored frame as it is, a pandas frame wrapped."""
    return InMemoryFrame(frame) if isinstance(frame, pd.DataFrame) else frame
