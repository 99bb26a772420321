"""Dask distributed behind the executor seam: `local-cluster:N` starts N workers, results
come back in input order, and a worker killed mid-run loses no document."""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from govreport_dagster.execution import describe_executor, make_executor

pytest.importorskip("distributed")


def slow_squares(batch: list[int]) -> list[int]:
    time.sleep(0.4)
    return [x * x for x in batch]


@pytest.fixture
def cluster():
    import cloudpickle

    from govreport_dagster.execution_dask import local_cluster_executor

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests/
    executor = local_cluster_executor("local-cluster:2")
    yield executor
    executor.close()


def test_local_cluster_spec_starts_dask_workers_and_keeps_order(cluster):
    assert describe_executor(cluster) == {"engine": "dask", "workers": 2}
    batches = [[i, i + 100] for i in range(10)]
    assert list(cluster.map_batches(slow_squares, batches)) == [[x * x for x in b] for b in batches]


def test_a_worker_killed_mid_run_loses_no_batch(cluster):
    pids = list(cluster.client.run(os.getpid).values())
    assert len(pids) == 2 and os.getpid() not in pids
    results = cluster.map_batches(slow_squares, [[i] for i in range(16)])
    first = next(results)  # work is under way on both workers
    os.kill(pids[0], signal.SIGKILL)
    assert [first, *results] == [[i * i] for i in range(16)]
    assert os.getpid() not in cluster.client.run(os.getpid).values()


def test_the_cluster_setting_is_validated():
    import govreport_dagster.execution_dask  # noqa: F401  (registers the prefixes)

    with pytest.raises(ValueError, match="local-cluster:N"):
        make_executor("local-cluster:zero")
    with pytest.raises(ValueError, match="expected one of"):
        make_executor("yarn://nowhere")


def test_local_cluster_workers_write_the_cache_and_read_the_files_themselves(cluster, tmp_path):
    from builders import CORPUS

    from govreport_dagster.core.landing import sha256_hex
    from govreport_dagster.execution import MIN_DOCUMENTS_FOR_POOL, map_cached
    from govreport_dagster.execution_workers import decode_batch
    from govreport_dagster.storage.cache import ResultCache
    from govreport_dagster.storage.decoding import DecodeSource

    files = sorted(CORPUS.glob("*.txt"))[:MIN_DOCUMENTS_FOR_POOL]
    items = [(sha256_hex(p.read_bytes()), DecodeSource(str(p), str(p), p.stat().st_size, sha256_hex(p.read_bytes())))
             for p in files]  # fmt: skip
    driver_puts: list[str] = []

    class DriverCache(ResultCache):
        def put(self, stage, key, value):
            driver_puts.append(key)
            super().put(stage, key, value)

    assert cluster.shares_local_files  # a LocalCluster's workers are on this machine
    streamed = list(map_cached("decoded", items, decode_batch, DriverCache(tmp_path), executor=cluster))
    assert driver_puts == []  # the workers stored every result
    assert [key for key, _ in streamed] == [key for key, _ in items]
    assert all(o.sha256 == key and o.document is not None for key, o in streamed)
    assert {p.stem for p in (tmp_path).rglob("*.pkl")} == {key for key, _ in items}


def kill_on_marked(batch: list[str]) -> list[str]:
    """Upper-cases each payload; the marked one kills the worker running it, every time."""
    if "KILL" in batch:
        os.kill(os.getpid(), signal.SIGKILL)
    return [payload.upper() for payload in batch]


def test_a_document_that_kills_every_worker_is_reported_per_file_and_the_rest_complete(cluster, tmp_path):
    from govreport_dagster.execution import MIN_DOCUMENTS_FOR_POOL, map_cached
    from govreport_dagster.storage.cache import ResultCache

    items = [(f"k{i:03d}", "KILL" if i == 9 else f"doc{i}") for i in range(2 * MIN_DOCUMENTS_FOR_POOL)]
    cache = ResultCache(tmp_path)
    started = time.perf_counter()
    results = list(map_cached("upper", items, kill_on_marked, cache, executor=cluster, lost=lambda p, why: (p, why)))
    assert time.perf_counter() - started < 120
    expected: list = [payload.upper() for _key, payload in items]
    expected[9] = ("KILL", "its worker process died on every attempt (killed, or crashed in native code)")
    assert [key for key, _ in results] == [key for key, _ in items]
    assert [value for _key, value in results] == expected
    assert not cache.has("upper", "k009") and cache.has("upper", "k010")
    cluster.client.wait_for_workers(2, timeout=60)  # the nanny brought the killed worker back
