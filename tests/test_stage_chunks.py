"""The per-document stages hold a chunk of the year's documents at a time (issue 12): the
year's frames built chunk by chunk are the frames built from the whole year at once (rows,
order, dtypes), and the year still reports one progress sequence."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from builders import CORPUS

from assets.sectioned import year_sections
from assets.tables import year_tables
from govreport_dagster import stage_chunks
from govreport_dagster.core.decode import decode_file
from govreport_dagster.core.ingest import IngestedFile
from govreport_dagster.core.model import make_report_id
from govreport_dagster.progress import DocumentProgress
from govreport_dagster.resources import ClusterResource
from govreport_dagster.storage.cache import ResultCache
from govreport_dagster.storage.frames import decoded_frame

YEAR = 2021
SERIAL = ClusterResource(spec="serial")


@pytest.fixture(scope="module")
def decoded() -> dict[str, pd.DataFrame]:
    """Nine corpus reports of several years and layouts, as one year's `decoded_reports`."""
    items = []
    for path in sorted(CORPUS.glob("*.txt"))[:9]:
        data = path.read_bytes()
        doc = decode_file(data, str(path))
        sha = hashlib.sha256(data).hexdigest()
        items.append((IngestedFile(str(path), sha, len(data), "parsed", "ok", YEAR, "folder", make_report_id(doc.text),
                                   "txt"), doc))  # fmt: skip
    return {"reports": decoded_frame(items, YEAR)}


def _stages(tmp_path: Path, decoded: dict[str, pd.DataFrame], name: str) -> tuple[dict, dict]:
    """Both stages' year functions on a fresh cache (so every document is computed)."""
    cache, context = ResultCache(tmp_path / name), dg.build_asset_context()
    sectioned = year_sections(context, YEAR, decoded, cache, SERIAL)
    return sectioned, year_tables(context, YEAR, decoded, sectioned, cache, SERIAL)


def _assert_same(got: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    assert list(got) == list(expected)
    for name in expected:
        pd.testing.assert_frame_equal(got[name], expected[name], check_dtype=True, check_index_type=True)


@pytest.mark.parametrize("chunk", [1, 2, 4])
def test_a_year_in_small_chunks_gives_the_whole_years_frames(tmp_path, monkeypatch, decoded, chunk) -> None:
    whole_sectioned, whole_tables = _stages(tmp_path, decoded, "whole")  # 9 rows: one chunk of 500
    assert len(whole_sectioned["reports"]) == 9 and len(whole_sectioned["sections"]) > 9
    assert len(whole_tables["cells"]) > 100
    monkeypatch.setattr(stage_chunks, "CHUNK_DOCUMENTS", chunk)
    sectioned, tables = _stages(tmp_path, decoded, f"chunk{chunk}")
    _assert_same(sectioned, whole_sectioned)
    _assert_same(tables, whole_tables)


def test_the_stages_do_not_read_the_columns_their_inputs_skip(tmp_path, decoded) -> None:
    """Sectioning reads neither `original_text` nor `tables`, table extraction not
    `original_text` (their `AssetIn` selections): the same frames without them."""
    whole_sectioned, whole_tables = _stages(tmp_path, decoded, "all")
    cache, context = ResultCache(tmp_path / "selected"), dg.build_asset_context()
    reports = decoded["reports"]
    sectioned = year_sections(
        context, YEAR, {"reports": reports.drop(columns=["original_text", "tables"])}, cache, SERIAL
    )
    _assert_same(sectioned, whole_sectioned)
    only_payloads = {"reports": sectioned["reports"]}  # the tables stage loads no `sections` frame
    tables = year_tables(context, YEAR, {"reports": reports.drop(columns=["original_text"])}, only_payloads, cache,
                         SERIAL)  # fmt: skip
    _assert_same(tables, whole_tables)


@pytest.mark.parametrize("row_group", [2, 1000])
def test_the_stages_read_stored_inputs_a_chunk_at_a_time(tmp_path, monkeypatch, decoded, row_group) -> None:
    """The stages' inputs as the IO manager hands them (`stored`: Parquet files read a chunk
    of rows at a time) give the frames of the inputs in memory."""
    from upath import UPath

    from govreport_dagster.storage.stored_frames import StoredFrame

    def stored(frame: pd.DataFrame, name: str) -> StoredFrame:
        frame.to_parquet(tmp_path / name, index=False, row_group_size=row_group)
        return StoredFrame(UPath(tmp_path / name))

    whole_sectioned, whole_tables = _stages(tmp_path, decoded, "memory")
    monkeypatch.setattr(stage_chunks, "CHUNK_DOCUMENTS", 3)  # chunks across row groups of 2
    cache, context = ResultCache(tmp_path / "stored"), dg.build_asset_context()
    decoded_stored = {"reports": stored(decoded["reports"], "decoded.parquet")}
    sectioned = year_sections(context, YEAR, decoded_stored, cache, SERIAL)
    _assert_same(sectioned, whole_sectioned)
    sectioned_stored = {"reports": stored(sectioned["reports"], "sectioned.parquet")}
    _assert_same(year_tables(context, YEAR, decoded_stored, sectioned_stored, cache, SERIAL), whole_tables)


def test_concatenated_chunks_take_the_dtypes_of_one_frame() -> None:
    rows = [
        {"id": "a", "doc_no": None, "count": 1, "flag": True, "text": "x"},
        {"id": "b", "doc_no": None, "count": None, "flag": None, "text": None},
        {"id": "c", "doc_no": "粤府〔2021〕1号", "count": 3, "flag": False, "text": "z"},
    ]
    whole = pd.DataFrame(rows)

    def chunks() -> list[dict[str, pd.DataFrame]]:  # one row each (concat_frames consumes them)
        return [{"f": pd.DataFrame(rows[i : i + 1]), "g": pd.DataFrame({"n": [i]})} for i in range(3)]

    parts = chunks()
    assert parts[0]["f"]["doc_no"].dtype != parts[2]["f"]["doc_no"].dtype  # all-None in one chunk, text in another
    joined = stage_chunks.concat_frames(parts)
    pd.testing.assert_frame_equal(joined["f"], whole)
    pd.testing.assert_frame_equal(joined["g"], pd.DataFrame({"n": [0, 1, 2]}))

    def empty() -> dict[str, pd.DataFrame]:  # a chunk without a row of these frames
        return {"f": pd.DataFrame([], columns=whole.columns), "g": pd.DataFrame({"n": []}, dtype="int64")}

    pd.testing.assert_frame_equal(stage_chunks.concat_frames([empty(), *chunks(), empty()])["f"], whole)


def test_a_chunked_year_reports_one_progress_sequence(monkeypatch) -> None:
    lines: list[str] = []
    monkeypatch.setattr(stage_chunks, "DocumentProgress", functools.partial(DocumentProgress, every=0.0, stream=None))
    monkeypatch.setattr(stage_chunks, "CHUNK_DOCUMENTS", 2)

    def chunk_frames(rows, on_done):
        on_done(len(rows))
        return {"f": pd.DataFrame(rows)}

    frame = pd.DataFrame({"n": range(5)})
    out = stage_chunks.year_in_chunks(frame, chunk_frames, {"f": frame.iloc[:0]}, label="stage 2021", log=lines.append)
    pd.testing.assert_frame_equal(out["f"], frame)
    assert [line.split(" · ")[0] for line in lines] == [f"stage 2021: {n}/5 files" for n in (2, 4, 5, 5)]
