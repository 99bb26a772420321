"""Where per-document work runs: the one seam between the per-document stages and the cores.

Decoding, sectioning and table extraction are pure functions of one document, so they fan
out. Each stage calls `map_cached` with its items (a cache key and a picklable payload each)
and a module-level worker function that takes a *batch* of payloads and returns one result
per payload. Cache hits never leave the process (an unchanged file costs a lookup); the
misses go to an `Executor` in batches and are acknowledged in input order. Workers that can
reach the result cache write their results into it and acknowledge only (`execution_results`),
and the stage reads each result from the cache when it streams it, so memory does not grow
with the year's size beyond what the stage keeps. Decoding's payload is the file's location
and hash, not its bytes (`storage.decoding.DecodeSource`): workers read the file themselves.

`Executor` is the protocol; `SerialExecutor` runs in the calling process and
`LocalProcessExecutor` on a process pool over all cores. `make_executor(spec)` turns the
`--cluster`/`GOVREPORT_CLUSTER` value into one: `local` (all cores, the default), `local:N`
(N worker processes), `serial`. Distributed back ends (Dask/Ray: `local-cluster:N`, an
address) register themselves with `register_backend` behind the same protocol.

A batch whose worker died (or whose batch function raised) comes back as a `BatchLost`;
its documents are retried one at a time and one that fails alone gets the stage's per-file
outcome (`execution_recovery`, docs/distributed.md "When a worker dies").
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any, Protocol, TypeVar, runtime_checkable

from .execution_recovery import LostOutcome, lost_ack, retried_alone
from .execution_results import Ack, BatchLost, run_batch, shared_location
from .storage.cache import MISSING, ResultCache

P = TypeVar("P")
R = TypeVar("R")
BatchFn = Callable[[list[Any]], list[Any]]
DEFAULT_CLUSTER = "local"
# Below this many cache misses a pool costs more to start than it saves (one report in one
# year must stay fast): the work runs in the calling process, unless the pool's workers are
# already up (then there is nothing to start, and the document's memory budget is not added
# to the driver's: the run's memory bound).
MIN_DOCUMENTS_FOR_POOL = 16
TASKS_PER_WORKER = 4  # batches a pool worker runs before a fresh fork replaces it


@runtime_checkable
class Executor(Protocol):
    """Runs a module-level batch function over batches of payloads.

    `map_batches(fn, batches)` yields `fn(batch)` for every batch, *in input order*, while
    keeping at most a few batches in flight (memory stays flat however many batches come);
    a batch whose worker died is a `BatchLost` in its place, and the rest go on (issue 12).
    `fn` and the payloads must be picklable (a process or a remote worker runs them)."""

    workers: int
    shares_local_files: bool  # its workers see this machine's files (a local cache folder, landing)

    def map_batches(self, fn: BatchFn, batches: Iterable[list[Any]]) -> Iterator[list[Any] | BatchLost]: ...

    def close(self) -> None: ...


class SerialExecutor:
    """Everything in the calling process (tests, tiny inputs, debugging)."""

    workers = 1
    shares_local_files = True

    def map_batches(self, fn: BatchFn, batches: Iterable[list[Any]]) -> Iterator[list[Any] | BatchLost]:
        for batch in batches:
            yield fn(batch)

    def close(self) -> None:
        pass


class LocalProcessExecutor:
    """A process pool on this machine, started on first use and kept for the process's life
    (a run's stages share it). Workers are forked from a `forkserver` that has imported the
    core once, so a worker starts in milliseconds without inheriting Dagster's threads; that
    is also why each worker is replaced after `TASKS_PER_WORKER` batches: whatever a batch
    left on its heap (a PDF's page objects, an OCR session) goes back to the system instead
    of staying resident for the rest of the run (the tree's memory bound, issues 11 and 17)."""

    shares_local_files = True

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None
        self._isolated: LocalProcessExecutor | None = None

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
            context = multiprocessing.get_context(method)
            if method == "forkserver":
                context.set_forkserver_preload(["govreport_dagster.execution_workers"])
            # max_tasks_per_child needs a non-fork start method, which both of these are
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=context, max_tasks_per_child=TASKS_PER_WORKER
            )
        return self._pool

    @property
    def workers_up(self) -> bool:
        return self._pool is not None

    def map_batches(self, fn: BatchFn, batches: Iterable[list[Any]]) -> Iterator[list[Any] | BatchLost]:
        in_flight: deque[tuple[ProcessPoolExecutor, Future[list[Any]]]] = deque()
        for batch in batches:
            in_flight.append(self._submit(fn, batch))
            if len(in_flight) >= 2 * self.workers:
                yield self._settled(*in_flight.popleft())
        while in_flight:
            yield self._settled(*in_flight.popleft())

    def _submit(self, fn: BatchFn, batch: list[Any]) -> tuple[ProcessPoolExecutor, Future[list[Any]]]:
        pool = self._ensure_pool()
        try:
            return pool, pool.submit(fn, batch)
        except BrokenProcessPool:  # a worker died since the last submit: a fresh pool runs the rest
            self._discard(pool)
            pool = self._ensure_pool()
            return pool, pool.submit(fn, batch)

    def _settled(self, pool: ProcessPoolExecutor, future: Future[list[Any]]) -> list[Any] | BatchLost:
        """The batch's results, or `BatchLost` when a worker of its pool died: a killed worker
        breaks the whole pool (every batch in flight fails with it), so the pool is replaced
        and the batches still to come run on a fresh one."""
        try:
            return future.result()
        except BrokenProcessPool:
            self._discard(pool)
            return BatchLost("its worker process died (killed, or crashed in native code)")

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        """Shut a broken pool down (its surviving workers were terminated and reaped by the
        pool itself); later futures of the same pool only clear it once."""
        pool.shutdown(wait=True, cancel_futures=True)
        if self._pool is pool:
            self._pool = None

    def isolated(self) -> LocalProcessExecutor:
        """A one-worker pool of its own, for running a lost batch's documents one at a time
        (`execution_recovery`): a document that breaks it broke it alone."""
        if self._isolated is None:
            self._isolated = LocalProcessExecutor(1)
        return self._isolated

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        if self._isolated is not None:
            self._isolated.close()
            self._isolated = None


# spec prefix → factory(spec) for back ends defined elsewhere (Dask, Ray: issue 12)
_BACKENDS: dict[str, Callable[[str], Executor]] = {}
_EXECUTORS: dict[str, Executor] = {}


def cluster_spec(spec: str | None = None) -> str:
    """The cluster a spec names: the given one, else `GOVREPORT_CLUSTER`, else `local`."""
    return (spec or os.environ.get("GOVREPORT_CLUSTER") or DEFAULT_CLUSTER).strip()


def register_backend(prefix: str, factory: Callable[[str], Executor]) -> None:
    """Make `make_executor` build `factory(spec)` for specs starting with `prefix`."""
    _BACKENDS[prefix] = factory


def make_executor(spec: str | None = None) -> Executor:
    """The executor for a cluster spec (default `GOVREPORT_CLUSTER`, else `local`), one per
    spec and process, so every stage of a run shares one pool."""
    spec = cluster_spec(spec)
    if spec not in _EXECUTORS:
        _EXECUTORS[spec] = _build(spec)
    return _EXECUTORS[spec]


def _build(spec: str) -> Executor:
    if spec == "serial":
        return SerialExecutor()
    if spec == "local":
        return LocalProcessExecutor()
    if spec.startswith("local:"):
        count = spec.split(":", 1)[1]
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"cluster {spec!r}: expected local:N with N ≥ 1 worker processes")
        return LocalProcessExecutor(int(count))
    for prefix, factory in _BACKENDS.items():
        if spec.startswith(prefix):
            return factory(spec)
    known = ", ".join(["local", "local:N", "serial", *(f"{p}…" for p in _BACKENDS)])
    raise ValueError(f"cluster {spec!r}: expected one of {known}")


def close_executors() -> None:
    """Stop every pool or cluster this process started (end of a CLI run)."""
    while _EXECUTORS:
        _EXECUTORS.popitem()[1].close()


def release_idle_workers() -> None:
    """Stop the local pools' worker processes but keep the executors: a pool starts again on
    its next use, and the run summary still names the engine that ran. Called when a run's
    per-document stages are over, so idle workers do not hold memory beside the facts'."""
    for executor in _EXECUTORS.values():
        if isinstance(executor, LocalProcessExecutor):
            executor.close()


def workers_see_local_files(spec: str | None = None) -> bool:
    """Whether the workers of a cluster spec run on this machine and so can open its local
    files (every built-in spec and `local-cluster:N`; not a scheduler address, whose workers
    may be elsewhere). Decides, before any worker starts, whether a local landing file goes
    to the workers as its path or as its bytes."""
    spec = cluster_spec(spec)
    return spec in ("serial", "local") or spec.startswith(("local:", "local-cluster:"))


def describe_cluster(spec: str | None = None) -> dict[str, Any]:
    """The configured cluster and, once started in this process, its engine and workers
    (asset metadata: a stage whose documents were all cached, or fewer than
    `MIN_DOCUMENTS_FOR_POOL`, ran in-process and started nothing)."""
    spec = cluster_spec(spec)
    if spec in _EXECUTORS:
        return {"cluster": spec, **describe_executor(_EXECUTORS[spec])}
    return {"cluster": spec, "engine": "in-process (nothing to fan out)", "workers": 1}


def describe_executor(executor: Executor) -> dict[str, Any]:
    """Which engine runs the per-document stages and on how many workers (run summary,
    asset metadata)."""
    engine = getattr(executor, "engine", None) or {
        "SerialExecutor": "in-process",
        "LocalProcessExecutor": "process pool",
    }.get(type(executor).__name__, type(executor).__name__)
    return {"engine": engine, "workers": executor.workers}


def batched(items: Sequence[P], workers: int, *, max_size: int = 64) -> Iterator[list[P]]:
    """Batches small enough to keep every worker busy (≥ 4 per worker), big enough that
    the per-batch overhead (pickling, a round trip) is paid per many documents."""
    size = max(1, min(max_size, len(items) // (4 * workers) or 1))
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def map_cached(
    stage: str,
    items: Sequence[tuple[str, Any]],
    fn: BatchFn,
    cache: ResultCache,
    *,
    executor: Executor | None = None,
    cluster: str | None = None,
    on_done: Callable[[int], None] | None = None,
    lost: LostOutcome | None = None,
) -> Iterator[tuple[str, Any]]:
    """`(key, result)` for every `(key, payload)` item, in input order, streamed: from the
    cache when the key is there (a stat to find out, a read when its turn comes), else from
    `fn` over batches of the misses on the executor. Workers that reach the cache store
    their results there and send back acknowledgements; the result is then read from the
    cache when its turn comes (`execution_results`), so the driver holds one at a time.
    `on_done(1)` is called per item yielded (progress). A batch whose worker died is retried
    one document at a time (`execution_recovery`); a document that fails alone yields
    `lost(payload, reason)`, uncached (without `lost`, the stage fails naming it)."""
    misses = [index for index, (key, _payload) in enumerate(items) if not cache.has(stage, key)]
    small = len(misses) < MIN_DOCUMENTS_FOR_POOL and not _workers_up(executor, cluster)
    runner: Executor = SerialExecutor() if small else (executor or make_executor(cluster))
    location = None
    if not isinstance(runner, SerialExecutor):  # in-process, the driver stores what it computed
        location = shared_location(cache, stage, workers_see_local_files=getattr(runner, "shares_local_files", False))
    computed = _computed(runner, partial(run_batch, fn, location), [items[i] for i in misses], misses, lost)
    pending = next(computed, None)  # submits the first batches: workers start while hits stream
    for index, (key, payload) in enumerate(items):
        if pending is not None and pending[0] == index:
            value = _received(stage, pending[1], cache)
            pending = next(computed, None)
        else:
            value = cache.get(stage, key)
        if value is MISSING:  # removed or unreadable since the stat or the write: compute it here
            answer = run_batch(fn, None, [(key, payload)])
            answer = lost_ack(key, payload, answer.reason, lost) if isinstance(answer, BatchLost) else answer
            value = _received(stage, answer[0], cache)
        if on_done:
            on_done(1)
        yield key, value


def _received(stage: str, ack: Ack, cache: ResultCache) -> Any:
    """A computed item's result: read from the cache when the worker stored it, else the
    value the worker returned (stored here when it may be kept); MISSING if a stored entry
    cannot be read back."""
    cache.note_miss(stage)
    if ack.stored:
        return cache.get(stage, ack.key, count=False)
    if ack.cacheable:
        cache.put(stage, ack.key, ack.value)
    return ack.value


def _workers_up(executor: Executor | None, cluster: str | None) -> bool:
    """Whether the executor a stage would use already has its workers running (a local pool
    an earlier stage of this process started); other back ends say no and keep the rule."""
    spec = cluster_spec(cluster)
    return bool(getattr(executor or _EXECUTORS.get(spec), "workers_up", False))


def _computed(
    runner: Executor,
    fn: Callable[[list[Any]], list[Ack] | BatchLost],
    items: list[tuple[str, Any]],
    indexes: list[int],
    lost: LostOutcome | None = None,
) -> Iterator[tuple[int, Ack]]:
    """(item index, acknowledgement) for the misses, in order, as the executor returns them;
    a lost batch's documents are retried one by one before the order moves past them."""
    positions = iter(indexes)
    batches = list(batched(items, runner.workers))  # references to the misses, kept for retries
    for batch, answer in zip(batches, runner.map_batches(fn, batches), strict=True):
        batch_acks = retried_alone(runner, fn, batch, lost, answer.reason) if isinstance(answer, BatchLost) else answer
        for ack in batch_acks:
            yield next(positions), ack


def run_stage(
    stage: str,
    items: Sequence[tuple[str, Any]],
    fn: BatchFn,
    cache: ResultCache,
    *,
    label: str,
    log: Callable[[str], None] | None = None,
    cluster: str | None = None,
    lost: LostOutcome | None = None,
) -> Iterator[tuple[str, Any]]:
    """`map_cached` on the process's executor (`GOVREPORT_CLUSTER`), with progress lines
    (files done / total, rate, ETA) every few seconds on stderr and in `log`."""
    from .progress import DocumentProgress

    progress = DocumentProgress(label, len(items), log)
    yield from map_cached(stage, items, fn, cache, cluster=cluster, on_done=progress.advance, lost=lost)
    progress.finish()
