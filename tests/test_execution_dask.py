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
