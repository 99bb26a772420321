"""A per-document stage's year, a chunk of documents at a time (issue 12: the driver's memory).

The sectioning and table stages used to turn the whole year's decoded frame into row dicts
(each with the report's full text), keep every result object of the year (a
`SectionedReport` with its section texts, a `TableExtraction` with its cells), and only then
build the year's frames: at 30,000 documents (~4,300 a year) the driver reached ~1.6 GB. Now
a stage takes `CHUNK_DOCUMENTS` rows at a time, turns that chunk's results into the chunk's
frames right away and drops the rows and results; the chunks' frames are concatenated at the
end into exactly the frames the whole year gives at once (`concat_frames`), so what a stage
holds beyond its output no longer grows with the year.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd

from .progress import DocumentProgress
from .storage.stored_frames import FrameRows, rows_of

Frames = dict[str, pd.DataFrame]
# Documents a stage holds as rows and result objects at once. A 2019 report's decoded row is
# ~12 KB of text and tables and its results a few tens of KB as Python objects, so 500 are
# some tens of MB whatever the year's size; and 500 still make ~4 batches of ~60 documents
# per worker on 2 workers (`execution.batched`), so the pool idles only while a chunk's last
# batches finish (a few % of the stage's time).
CHUNK_DOCUMENTS = 500


def document_key(row: dict[str, Any], year: int) -> str:
    """A decoded report's cache key in the per-document stages: its content, the year it is
    read for, and where that year came from (a changed year source is a new reading)."""
    return f"{row['source_sha256']}-{year}-{row['year_source']}"


def record_chunks(frame: pd.DataFrame | FrameRows, size: int | None = None) -> Iterator[list[dict[str, Any]]]:
    """The frame's rows as dicts, `size` (default `CHUNK_DOCUMENTS`) at a time, in order (a
    stored frame is read a chunk at a time)."""
    for chunk in rows_of(frame).chunks(size or CHUNK_DOCUMENTS):
        yield chunk.to_dict("records")


def year_in_chunks(
    frame: pd.DataFrame | FrameRows,
    chunk_frames: Callable[[list[dict[str, Any]], Callable[[int], None]], Frames],
    empty: Frames,
    *,
    label: str,
    log: Callable[[str], None] | None = None,
) -> Frames:
    """The year's frames from its input `frame`, a chunk at a time: `chunk_frames(rows, on_done)`
    runs the stage over a chunk's rows, calls `on_done(n)` as documents finish (one progress
    line sequence for the whole year: files done / total, rate, ETA) and returns the chunk's
    frames. `empty` is the year's frames when it has no rows."""
    progress = DocumentProgress(label, len(frame), log)
    chunks = [chunk_frames(rows, progress.advance) for rows in record_chunks(frame)]
    progress.finish()
    return concat_frames(chunks) if chunks else empty


def concat_frames(chunks: list[Frames]) -> Frames:
    """Each frame name's chunks concatenated, with the dtypes the rows would have got in one
    frame (`pd.DataFrame(rows)`): a column inferred differently in two chunks (all-None in one,
    text in another; ints in one, ints and None in another) is inferred again over its values.
    Consumes the chunks: a name's parts are dropped once joined, so the year's frames are held
    twice only one frame at a time."""
    return {name: _concat([chunk.pop(name) for chunk in chunks]) for name in list(chunks[0])}


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if len(parts) == 1:
        return parts[0]
    whole = pd.concat(parts, ignore_index=True)
    for column in whole.columns:
        if len({str(part[column].dtype) for part in parts}) > 1:
            whole[column] = _inferred(column, [v for part in parts for v in part[column].astype(object).tolist()])
    return whole


def _inferred(column: str, values: list[Any]) -> pd.Series:
    """The column pandas builds from these values as rows (the stage frames' constructor)."""
    return pd.DataFrame([[value] for value in values], columns=[column])[column]
