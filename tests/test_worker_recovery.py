"""A worker killed mid-run (issue 12): the lost batch's documents are retried one by one,
the document that kills its worker even alone is reported per file (never cached), every
other document keeps its normal result in input order, and no process is left behind."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import psutil
import pytest
from builders import CORPUS, ledger_rows

from govreport_dagster.core.ingest import build_ledger, identify
from govreport_dagster.execution import (
    MIN_DOCUMENTS_FOR_POOL,
    LocalProcessExecutor,
    SerialExecutor,
    map_cached,
)
from govreport_dagster.execution_recovery import DocumentLost
from govreport_dagster.execution_results import BatchLost
from govreport_dagster.execution_workers import (
    GUARD_FAILED,
    WORKER_LOST,
    decode_batch,
    decode_lost,
    extract_lost,
    section_lost,
)
from govreport_dagster.storage.cache import ResultCache
from govreport_dagster.storage.decoding import DECODED, DecodeSource, decode_key, decode_landing
from govreport_dagster.storage.landing import scan

KILL, RAISE = "KILL", "RAISE"


def kill_on_marked(batch: list[str]) -> list[str]:
    """Upper-cases each payload; the marked one kills the process running it (a segfaulting
    parser, the OOM killer) every time it is tried."""
    if KILL in batch:
        os.kill(os.getpid(), signal.SIGKILL)
    return [payload.upper() for payload in batch]


def raise_on_marked(batch: list[str]) -> list[str]:
    """Like `kill_on_marked`, but the batch function raises (not a per-document result)."""
    if RAISE in batch:
        raise ValueError("cannot handle this batch\nsecond line")
    return [payload.upper() for payload in batch]


def lost_marker(payload: str, reason: str) -> str:
    return f"lost {payload}: {reason}"


def _items(n: int, marked_at: int, mark: str) -> list[tuple[str, str]]:
    return [(f"k{i:03d}", mark if i == marked_at else f"doc{i}") for i in range(n)]


def _zombies() -> list[psutil.Process]:
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() == psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def test_a_killed_worker_costs_only_its_document_on_the_local_pool(tmp_path: Path):
    items = _items(3 * MIN_DOCUMENTS_FOR_POOL, marked_at=21, mark=KILL)
    cache = ResultCache(tmp_path)
    pool = LocalProcessExecutor(2)
    try:
        results = list(map_cached("upper", items, kill_on_marked, cache, executor=pool, lost=lost_marker))
        assert pool._pool is not None  # batches after the break ran on a fresh pool
    finally:
        pool.close()
    assert [key for key, _ in results] == [key for key, _ in items]  # input order kept
    expected = [payload.upper() for _key, payload in items]
    expected[21] = "lost KILL: its worker process died (killed, or crashed in native code)"
    assert [value for _key, value in results] == expected
    assert not cache.has("upper", "k021")  # the next run tries it again
    assert all(cache.has("upper", key) for key, _ in items if key != "k021")
    assert _zombies() == []


def pid_or_kill(batch: list[str]) -> list[int]:
    """Which process ran each item; the marked batch kills its process."""
    if KILL in batch:
        os.kill(os.getpid(), signal.SIGKILL)
    return [os.getpid()] * len(batch)


def _gone(pid: int) -> bool:
    return not psutil.pid_exists(pid)  # a zombie still exists: exited but never reaped


def test_the_pool_keeps_working_after_a_break_and_leaves_no_process_behind():
    pool = LocalProcessExecutor(2)
    answers = list(pool.map_batches(pid_or_kill, [["a"], [KILL], *[[str(i)] for i in range(8)]]))
    pool.close()
    assert isinstance(answers[1], BatchLost) and answers[1].reason.startswith("its worker process died")
    # batches in flight beside it may be lost too; those submitted after it was seen ran on a fresh pool
    assert all(isinstance(a, list) for a in answers[6:])
    worker_pids = {pid for answer in answers if isinstance(answer, list) for pid in answer}
    assert worker_pids and all(_gone(pid) for pid in worker_pids)  # exited and reaped
    assert _zombies() == []


def test_a_batch_function_that_raises_is_retried_document_by_document(tmp_path: Path):
    items = _items(5, marked_at=2, mark=RAISE)
    results = list(
        map_cached("upper", items, raise_on_marked, ResultCache(tmp_path), executor=SerialExecutor(), lost=lost_marker)
    )
    assert [value for _key, value in results] == [
        "DOC0",
        "DOC1",
        "lost RAISE: the batch raised ValueError: cannot handle this batch",
        "DOC3",
        "DOC4",
    ]


def test_without_a_per_file_outcome_the_stage_fails_naming_the_document(tmp_path: Path):
    items = _items(3, marked_at=1, mark=RAISE)
    with pytest.raises(DocumentLost, match="document k001: the batch raised ValueError"):
        list(map_cached("upper", items, raise_on_marked, ResultCache(tmp_path), executor=SerialExecutor()))


def decode_or_die(payloads: list[DecodeSource]) -> list:
    """`decode_batch`, except that a file named `*die*` kills the worker decoding it."""
    if any("die" in Path(source.uri).name for source in payloads):
        os.kill(os.getpid(), signal.SIGKILL)
    return decode_batch(payloads)


def test_a_file_that_kills_its_decoder_is_a_rejected_ledger_line(tmp_path: Path):
    files = sorted(CORPUS.glob("*.txt"))[:MIN_DOCUMENTS_FOR_POOL]
    landing = tmp_path / "landing"
    landing.mkdir()
    for path in files:
        (landing / path.name).write_bytes(path.read_bytes())
    (landing / "die_county_2023.txt").write_bytes(files[0].read_bytes() + b"\n")  # its own content
    entries = scan(str(landing))
    cache = ResultCache(tmp_path / "cache")
    pool = LocalProcessExecutor(2)

    def fan_out(stage, items):
        return map_cached(stage, items, decode_or_die, cache, executor=pool, lost=decode_lost)

    try:
        hashes, outcomes = decode_landing(entries, cache, fan_out)
    finally:
        pool.close()
    rows = {
        Path(row.source_uri).name: row
        for row in build_ledger(entries, hashes, {o.sha256: identify(o) for o in outcomes})
    }
    deadly = rows.pop("die_county_2023.txt")
    assert deadly.status == "rejected" and "\n" not in deadly.reason
    assert deadly.reason.startswith(f"{WORKER_LOST} decoding {deadly.source_uri}: its worker process died")
    expected = {
        r.source_uri: (r.status, r.report_id) for r in ledger_rows(scan(str(landing)), ResultCache(tmp_path / "c2"))
    }
    assert {r.source_uri: (r.status, r.report_id) for r in rows.values()} == {
        uri: got for uri, got in expected.items() if not uri.endswith("die_county_2023.txt")
    }
    assert all(row.status != "rejected" for row in rows.values())
    assert not cache.has(DECODED, decode_key(deadly.sha256, deadly.source_uri, cache))  # retried next run


def test_sectioning_and_extraction_report_a_lost_document_like_the_guard():
    sectioned = section_lost(({"year_source": "title"}, 2023), "its worker process died")
    assert sectioned.status == GUARD_FAILED and sectioned.metadata.report_year == 2023
    assert sectioned.issues == [f"sectioning stopped: {WORKER_LOST} its worker process died"]
    extraction = extract_lost(({}, "{}"), "its worker process died")
    assert [m.table_id for m in extraction.missing] == ["t2", "t3", "t4"]
    assert extraction.warnings == [f"table extraction stopped: {WORKER_LOST} its worker process died"]
