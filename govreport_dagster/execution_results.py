"""Where a per-document result goes: into the shared cache by the worker that computed it, or
back to the driver.

A worker that can reach the result cache (a local folder when the workers run on this
machine, the warehouse's object store otherwise) writes each result there itself and returns
an `Ack` — the key, whether it was stored, the time it took — so only acknowledgements cross
the wire and the driver reads each result from the cache when the stage streams it: a batch's
documents are never held by the driver. Without a reachable cache (no cache, a `memory://`
one, which is private to a process, or a remote cluster beside a local-folder cache) the
result rides back in the `Ack` and the driver stores it, as before.

A batch function marks a result that must not be kept (a file that changed or vanished
between hashing and decoding: that is about the read, not the content the key names) by
returning it wrapped in `Uncached`.

A batch that produced no results — its batch function raised, or (driver side) its worker
died — is a `BatchLost` with a one-line reason; `execution_recovery` retries its documents
one by one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .storage.cache import ResultCache


@dataclass(frozen=True)
class Uncached:
    """A result to hand on but never to store under its key."""

    value: Any


@dataclass(frozen=True)
class CacheLocation:
    """The driver's cache as a worker opens it: the root's URL and the driver's code
    fingerprint (so a worker writes where the driver looks), and the stage."""

    root: str
    fingerprint: str
    stage: str


@dataclass(frozen=True)
class Ack:
    """One item's outcome as the worker reports it. `stored`: the result is in the cache
    under `key` (read it from there); otherwise `value` is the result and `cacheable` says
    whether the driver may store it."""

    key: str
    stored: bool
    seconds: float
    value: Any = None
    cacheable: bool = True


@dataclass(frozen=True)
class BatchLost:
    """A batch with no results: its batch function raised, or its worker process died.
    `reason` is one line and names no process id or address (two runs give the same)."""

    reason: str


BatchFn = Callable[[list[Any]], list[Any]]


def one_line(exc: BaseException) -> str:
    """`Type: first line of the message` (or the type alone): a reason fit for a ledger line."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def run_batch(fn: BatchFn, location: CacheLocation | None, items: list[tuple[str, Any]]) -> list[Ack] | BatchLost:
    """`fn` over the payloads of `(key, payload)` items, one `Ack` per item in order; with a
    location, every cacheable result is written to the cache here (in the worker). An
    exception out of `fn` (the per-document guard lets none through, so it is the batch's,
    not a document's) is a `BatchLost`: which document caused it is found by retrying them
    one by one, not by failing the stage."""
    started = time.perf_counter()
    try:
        results = fn([payload for _key, payload in items])
    except Exception as exc:
        return BatchLost(f"the batch raised {one_line(exc)}")
    seconds = (time.perf_counter() - started) / max(1, len(items))
    cache = ResultCache(location.root, fingerprint=location.fingerprint) if location else None
    acks = []
    for (key, _payload), result in zip(items, results, strict=True):
        cacheable = not isinstance(result, Uncached)
        value = result.value if isinstance(result, Uncached) else result
        if cache is not None and cacheable and _stored(cache, location.stage, key, value):  # type: ignore[union-attr]
            acks.append(Ack(key, True, seconds))
        else:
            acks.append(Ack(key, False, seconds, value, cacheable))
    return acks


def _stored(cache: ResultCache, stage: str, key: str, value: Any) -> bool:
    """Write one result; a failed write (a full disk, a lost connection) sends the value back
    to the driver instead of failing the batch."""
    try:
        cache.put(stage, key, value)
    except Exception:
        return False
    return True


def shared_location(cache: ResultCache, stage: str, *, workers_see_local_files: bool) -> CacheLocation | None:
    """Where workers can write this stage's results, or None when they cannot reach the
    cache (none configured, `memory://`, or a local folder the workers do not share)."""
    if cache.root is None:
        return None
    protocol = getattr(cache.root, "protocol", "") or ""
    if protocol == "memory" or (protocol in ("", "file", "local") and not workers_see_local_files):
        return None
    return CacheLocation(str(cache.root), cache.fingerprint, stage)
