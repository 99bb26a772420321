"""Dask distributed behind the per-document seam (`execution.Executor`), chosen over Ray in
docs/distributed.md.

`--cluster local-cluster:N` starts a `distributed.LocalCluster` of N single-threaded worker
processes on this machine (what the tests use); `--cluster tcp://host:8786` (or `tls://…`)
connects to a running Dask scheduler, whose workers need this package importable at the same
version. dagster-dask is not used: it does not work with current dask; the executor is
created from the asset process through `make_executor`, like the local process pool.

A worker that dies mid-run loses its tasks: the scheduler reruns them on the remaining or
restarted workers (`retries` covers a task that raised outside the batch function, e.g. while
unpickling). A batch whose workers kept dying (`KilledWorker`: the scheduler gave up on it)
or whose connection broke is a `BatchLost`: `execution_recovery` reruns its documents one
by one on the same cluster, and one that kills its worker alone is reported per file."""

from __future__ import annotations

import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from .execution import BatchFn, register_backend
from .execution_results import BatchLost, one_line

LOCAL_CLUSTER = "local-cluster:"
BATCH_RETRIES = 3


class DaskExecutor:
    """Batches as Dask tasks, results yielded in input order, a bounded number in flight."""

    engine = "dask"

    def __init__(self, client: Any, cluster: Any | None = None, description: str = "") -> None:
        self.client = client
        self.cluster = cluster
        self.description = description
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))
        # a LocalCluster's workers run here and see local files (cache folder, landing zone);
        # a scheduler's workers may be anywhere: only object storage is shared with them
        self.shares_local_files = cluster is not None

    def map_batches(self, fn: BatchFn, batches: Iterable[list[Any]]) -> Iterator[list[Any] | BatchLost]:
        in_flight: deque[Any] = deque()
        for batch in batches:
            in_flight.append(self.client.submit(fn, batch, pure=False, retries=BATCH_RETRIES))
            if len(in_flight) >= 2 * self.workers:
                yield _settled(in_flight.popleft())
        while in_flight:
            yield _settled(in_flight.popleft())

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _settled(future: Any) -> list[Any] | BatchLost:
    """The batch's results, or `BatchLost` when the workers running it kept dying or the
    connection to them broke (other errors, e.g. a lost scheduler, still fail the stage)."""
    from distributed import KilledWorker
    from distributed.comm import CommClosedError

    try:
        return future.result()
    except KilledWorker:
        return BatchLost("its worker process died on every attempt (killed, or crashed in native code)")
    except CommClosedError as exc:
        return BatchLost(f"the connection to its worker broke ({one_line(exc)})")


def local_cluster_executor(spec: str) -> DaskExecutor:
    """`local-cluster:N`: N worker processes on this machine, one thread each (the stages are
    CPU-bound pure Python: threads would share one GIL)."""
    from distributed import Client
    from distributed.deploy.subprocess import SubprocessCluster

    count = spec[len(LOCAL_CLUSTER) :]
    if not count.isdigit() or int(count) < 1:
        raise ValueError(f"cluster {spec!r}: expected local-cluster:N with N ≥ 1 workers")
    # The scheduler runs in its own process, as it does on a real cluster: a LocalCluster
    # would run it inside the driver, whose task bookkeeping then counts against the
    # driver's 1 GiB (issue 12: ~70 MB more after a few thousand batches, measured).
    with _driver_import_path():
        cluster = SubprocessCluster(
            n_workers=int(count),
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=40,  # errors only: the run's own progress lines stay readable
        )
    client = Client(cluster)
    client.wait_for_workers(int(count), timeout=120)
    return DaskExecutor(client, cluster, f"dask LocalCluster, {count} workers")


@contextmanager
def _driver_import_path() -> Iterator[None]:
    """The scheduler and workers import what the driver imports: the task graph names its
    functions by module, and the scheduler unpickles it. `python -m dask spec` subprocesses
    get the driver's `sys.path` through PYTHONPATH, as multiprocessing's spawn hands it over."""
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = before


def scheduler_executor(address: str) -> DaskExecutor:
    """A running Dask scheduler (`tcp://host:port`)."""
    from distributed import Client

    client = Client(address, timeout=60)
    executor = DaskExecutor(client, None, "")
    executor.description = f"dask scheduler {address}, {executor.workers} workers"
    return executor


register_backend(LOCAL_CLUSTER, local_cluster_executor)
register_backend("tcp://", scheduler_executor)
register_backend("tls://", scheduler_executor)
