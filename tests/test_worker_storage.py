"""Workers get file locations, not bytes, and write their results into the shared cache
(issue 12): the driver sends each decode a path and the ledger's hash, receives small
acknowledgements, and streams every result from the cache; a file that vanished or changed
between hashing and decoding is one ledger line, never a crashed year or a cached error."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import pytest
from builders import CORPUS, ledger_rows
from s3_server import make_buckets, s3_env, s3fs_client  # noqa: F401

from govreport_dagster import execution
from govreport_dagster.core.ingest import UNREADABLE, build_ledger, identify
from govreport_dagster.core.landing import sha256_hex
from govreport_dagster.execution import LocalProcessExecutor, map_cached
from govreport_dagster.execution_results import Ack, run_batch, shared_location
from govreport_dagster.execution_workers import decode_batch
from govreport_dagster.storage.cache import MISSING, ResultCache
from govreport_dagster.storage.decoding import DECODED, DecodeSource, decode_landing
from govreport_dagster.storage.landing import scan

N_FILES = execution.MIN_DOCUMENTS_FOR_POOL + 2  # enough misses that the stage fans out


def _landing(tmp_path: Path) -> Path:
    landing = tmp_path / "landing"
    landing.mkdir()
    for source in sorted(CORPUS.glob("*.txt"))[:N_FILES]:
        (landing / source.name).write_bytes(source.read_bytes())
    assert len(list(landing.iterdir())) == N_FILES
    return landing


class RecordingExecutor:
    """A local pool that keeps what crossed it: the batches sent, the answers returned."""

    def __init__(self) -> None:
        self.pool = LocalProcessExecutor(2)
        self.workers = self.pool.workers
        self.shares_local_files = True
        self.sent: list[Any] = []
        self.received: list[Any] = []

    def map_batches(self, fn, batches):
        def recorded():
            for batch in batches:
                self.sent.extend(batch)
                yield batch

        for answer in self.pool.map_batches(fn, recorded()):
            self.received.extend(answer)
            yield answer

    def close(self) -> None:
        self.pool.close()


class DriverCache(ResultCache):
    """The driver's cache, counting what the driver itself writes."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.driver_puts: list[tuple[str, str]] = []

    def put(self, stage: str, key: str, value: Any) -> None:
        self.driver_puts.append((stage, key))
        super().put(stage, key, value)


@pytest.fixture
def pool():
    executor = RecordingExecutor()
    yield executor
    executor.close()


def _fan_out(cache: ResultCache, executor, before=None):
    def fan_out(stage, items):
        if before is not None:
            before()
        return map_cached(stage, items, decode_batch, cache, executor=executor)

    return fan_out


def test_the_decode_payload_is_the_files_location_and_hash_not_its_bytes(tmp_path: Path, pool):
    landing = _landing(tmp_path)
    cache = DriverCache(tmp_path / "cache")
    decode_landing(scan(landing), cache, _fan_out(cache, pool))
    assert len(pool.sent) == N_FILES
    for key, source in pool.sent:
        assert isinstance(source, DecodeSource) and source.data is None
        on_disk = Path(source.location).read_bytes()
        assert (source.size, source.sha256, key) == (len(on_disk), sha256_hex(on_disk), sha256_hex(on_disk))
        assert on_disk[:200] not in pickle.dumps(source)  # nothing of the document rides along


def test_workers_write_the_cache_and_the_driver_streams_their_entries(tmp_path: Path, pool):
    landing = _landing(tmp_path)
    cache = DriverCache(tmp_path / "cache")
    hashes, outcomes = decode_landing(scan(landing), cache, _fan_out(cache, pool))
    # only acknowledgements came back: no result, and the driver wrote no decode itself
    assert len(pool.received) == N_FILES and all(isinstance(a, Ack) for a in pool.received)
    assert all(a.stored and a.value is None for a in pool.received)
    assert [key for stage, key in cache.driver_puts if stage == DECODED] == []
    # what the stage streamed is what the workers wrote, read back from the cache
    fresh = ResultCache(tmp_path / "cache")
    assert [fresh.get(DECODED, o.sha256) for o in outcomes] == outcomes
    assert all(o.rejection is None for o in outcomes) and len(set(hashes.values())) == N_FILES
    assert cache.summary()[DECODED]["misses"] == N_FILES  # counted as computed, not as hits


def test_a_file_that_vanishes_or_changes_after_hashing_is_one_ledger_line(tmp_path: Path, pool):
    landing = _landing(tmp_path)
    names = sorted(p.name for p in landing.iterdir())
    gone, changed = landing / names[0], landing / names[1]
    cache = ResultCache(tmp_path / "cache")
    entries = scan(landing)

    def meddle():  # between the ledger's hashing and the workers' reading
        gone.unlink()
        changed.write_bytes(changed.read_bytes() + "附：补充说明".encode())

    hashes, outcomes = decode_landing(entries, cache, _fan_out(cache, pool, meddle))
    ledger = build_ledger(entries, hashes, {o.sha256: identify(o) for o in outcomes})
    by_name = {row.source_uri.rsplit("/", 1)[-1]: row for row in ledger}
    assert by_name[gone.name].status == "rejected"
    assert by_name[gone.name].reason == f"{UNREADABLE} gone since it was hashed (No such file or directory)"
    assert by_name[changed.name].status == "rejected"
    assert by_name[changed.name].reason.startswith(f"{UNREADABLE} changed since it was hashed (")
    assert all("\n" not in row.reason for row in ledger if row.reason)
    assert sum(row.status == "rejected" for row in ledger) == 2  # the rest of the year goes on
    # a read failure is not the content's outcome: never cached, the next run decodes again
    assert cache.get(DECODED, hashes[str(gone)]) is MISSING
    assert cache.get(DECODED, hashes[str(changed)]) is MISSING
    again = {r.source_uri: r for r in ledger_rows(scan(landing), cache)}
    assert again[str(changed)].status != "rejected" and gone.name not in {Path(u).name for u in again}


def test_a_cache_workers_cannot_reach_gets_the_results_from_the_driver(tmp_path: Path):
    local = ResultCache(tmp_path / "cache")
    assert shared_location(local, DECODED, workers_see_local_files=True) is not None
    assert shared_location(local, DECODED, workers_see_local_files=False) is None  # a remote cluster
    assert shared_location(ResultCache("memory://cache"), DECODED, workers_see_local_files=True) is None
    assert shared_location(ResultCache(None), DECODED, workers_see_local_files=True) is None
    s3 = ResultCache("s3://bucket/wh/_cache")
    assert shared_location(s3, DECODED, workers_see_local_files=False) is not None


def test_a_remote_cluster_beside_a_local_landing_gets_the_bytes(tmp_path: Path):
    landing = _landing(tmp_path)
    sent: list[DecodeSource] = []

    def fan_out(stage, items):
        sent.extend(source for _key, source in items)
        return iter(())  # nothing decoded: only the payloads are looked at

    decode_landing(scan(landing), ResultCache(None), fan_out, workers_share_local_files=False)
    assert len(sent) == N_FILES
    assert all(s.data == Path(s.location).read_bytes() for s in sent)


def test_a_worker_writes_its_results_to_an_s3_cache_and_reads_an_s3_landing(s3_env):  # noqa: F811
    make_buckets("landing", "warehouse")
    source = sorted(CORPUS.glob("*.txt"))[0]
    data = source.read_bytes()
    s3fs_client().pipe_file("landing/2021/report.txt", data)
    cache = ResultCache("s3://warehouse/wh/_cache")
    location = shared_location(cache, DECODED, workers_see_local_files=False)
    key, uri = sha256_hex(data), "s3://landing/2021/report.txt"
    [ack] = run_batch(decode_batch, location, [(key, DecodeSource(uri, uri, len(data), key))])
    assert ack.stored and ack.value is None
    stored = ResultCache("s3://warehouse/wh/_cache").get(DECODED, key)
    assert stored.sha256 == key and stored.rejection is None and stored.document is not None
    assert os.environ["AWS_SECRET_ACCESS_KEY"] not in repr(ack)


def test_the_decode_stream_holds_one_outcome_at_a_time(tmp_path: Path) -> None:
    """`decode_stream` hashes first and decodes (or reads from the cache) only as the caller
    pulls: a landing's documents are never all in memory at once (issue 12)."""
    from govreport_dagster.storage.decoding import decode_stream

    landing = _landing(tmp_path)
    cache = ResultCache(tmp_path / "cache")
    pulled: list[str] = []

    def fan_out(stage, items):
        for key, source in items:
            pulled.append(key)
            yield key, decode_batch([source])[0]

    hashes, outcomes = decode_stream(scan(str(landing)), cache, fan_out)
    assert len(hashes) == N_FILES and pulled == []  # nothing decoded before the first pull
    first = next(outcomes)
    assert len(pulled) == 1 and first.sha256 == hashes[sorted(hashes)[0]]
    assert len(list(outcomes)) == N_FILES - 1 and len(pulled) == N_FILES
