"""The per-document fan-out seam: same results on a process pool as in-process, cache hits
never recomputed, results in input order, progress counted per document."""

from __future__ import annotations

import io
import os
from dataclasses import replace
from pathlib import Path

import pytest
from builders import CORPUS, SAMPLE, pids_batch

from govreport_dagster import execution
from govreport_dagster.core.ingest import decode_content
from govreport_dagster.core.landing import sha256_hex
from govreport_dagster.execution import (
    LocalProcessExecutor,
    SerialExecutor,
    batched,
    make_executor,
    map_cached,
)
from govreport_dagster.execution_workers import decode_batch
from govreport_dagster.progress import DocumentProgress, progress_line
from govreport_dagster.storage.cache import ResultCache
from govreport_dagster.storage.decoding import DecodeSource


def _payloads(n: int) -> list[tuple[str, DecodeSource]]:
    files = sorted(SAMPLE.glob("*.txt")) + sorted(CORPUS.rglob("*.txt"))
    files = [p for p in files if p.name.lower() != "readme.txt"]
    return [(f"key{i:03d}", _source(files[i % len(files)])) for i in range(n)]


def _source(path: Path) -> DecodeSource:
    data = path.read_bytes()
    return DecodeSource(str(path), str(path), len(data), sha256_hex(data))


def test_batches_cover_every_item_once_in_order():
    items = list(range(103))
    batches = list(batched(items, workers=2))
    assert [x for b in batches for x in b] == items
    assert len(batches) >= 8  # at least four per worker keeps both busy


def test_pool_gives_the_in_process_results_in_order(tmp_path: Path):
    items = _payloads(execution.MIN_DOCUMENTS_FOR_POOL + 4)
    pool = LocalProcessExecutor(2)
    try:
        pooled = list(map_cached("decoded", items, decode_batch, ResultCache(tmp_path / "a"), executor=pool))
    finally:
        pool.close()
    expected = [(key, decode_content(Path(source.location).read_bytes(), source.uri)) for key, source in items]
    assert [k for k, _ in pooled] == [k for k, _ in expected]
    # frozen dataclasses: field by field (the guard's measured decode time aside)
    assert [(k, replace(o, seconds=None)) for k, o in pooled] == expected


def test_cached_items_are_not_recomputed(tmp_path: Path):
    cache = ResultCache(tmp_path)
    items = _payloads(5)
    calls: list[int] = []

    def counting(batch):
        calls.append(len(batch))
        return decode_batch(batch)

    first = list(map_cached("decoded", items, counting, cache, executor=SerialExecutor()))
    assert sum(calls) == 5 and cache.summary()["decoded"]["misses"] == 5
    calls.clear()
    done: list[int] = []
    again = list(map_cached("decoded", items, counting, cache, executor=SerialExecutor(), on_done=done.append))
    assert calls == [] and sum(done) == 5
    assert [o.sha256 for _, o in again] == [o.sha256 for _, o in first]


def test_cluster_spec_is_checked():
    assert make_executor("serial").workers == 1
    assert make_executor("local:3").workers == 3
    assert make_executor("local:3") is make_executor("local:3")  # one pool per spec and process
    with pytest.raises(ValueError, match="local:N"):
        make_executor("local:zero")
    with pytest.raises(ValueError, match="expected one of local"):
        make_executor("yarn://nowhere:8786")  # tcp:// is a Dask scheduler address (execution_dask)


def test_progress_lines_say_done_total_rate_and_eta():
    assert progress_line("decode", 250, 1000, 5.0) == "decode: 250/1,000 files · 50.0/s · ETA 15 s"
    out = io.StringIO()
    progress = DocumentProgress("decode", 3, stream=out, every=0.0)
    progress.advance()
    progress.advance(2)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and lines[-1].startswith("decode: 3/3 files")


def test_idle_workers_are_released_and_the_pool_restarts_on_next_use(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("GOVREPORT_CLUSTER", "local:2")
    monkeypatch.setattr(execution, "_EXECUTORS", {})
    items = _payloads(execution.MIN_DOCUMENTS_FOR_POOL + 4)
    try:
        first = list(map_cached("decoded", items, decode_batch, ResultCache(tmp_path / "a")))
        pool = execution.make_executor()
        assert pool._pool is not None
        execution.release_idle_workers()
        assert pool._pool is None  # its workers are gone
        # the summary still names the engine that ran, not "in-process"
        assert execution.describe_cluster()["engine"] == "process pool"
        again = list(map_cached("decoded", items, decode_batch, ResultCache(tmp_path / "b")))
        assert pool._pool is not None  # started again by its next use
    finally:
        execution.close_executors()
    assert [k for k, _ in again] == [k for k, _ in first]


def test_a_few_documents_go_to_the_pool_once_its_workers_are_up(tmp_path: Path, monkeypatch):
    # below MIN_DOCUMENTS_FOR_POOL the work stays in the calling process, unless the pool is
    # already running: then nothing is started and the driver does not carry the documents
    monkeypatch.setenv("GOVREPORT_CLUSTER", "local:2")
    monkeypatch.setattr(execution, "_EXECUTORS", {})
    few = [(f"k{i}", i) for i in range(2)]
    try:
        before = dict(map_cached("pids", few, pids_batch, ResultCache(tmp_path / "a")))
        assert set(before.values()) == {os.getpid()}
        list(
            map_cached(
                "decoded", _payloads(execution.MIN_DOCUMENTS_FOR_POOL), decode_batch, ResultCache(tmp_path / "b")
            )
        )
        after = dict(map_cached("pids", few, pids_batch, ResultCache(tmp_path / "c")))
        assert os.getpid() not in set(after.values())
    finally:
        execution.close_executors()
