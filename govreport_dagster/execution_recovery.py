"""What happens to a batch that came back with no results (`execution_results.BatchLost`):
its worker process died (a segfaulting parser, the OOM killer, a SIGKILL; a broken local
pool, Dask's `KilledWorker`) or its batch function raised.

Its documents are run again one at a time, each alone on its worker, so a document that
fails again is the one at fault and no neighbour is blamed for it: on the local back end in a
one-worker pool of its own (`LocalProcessExecutor.isolated`: a broken pool takes every
batch in flight down with it, so the main pool cannot tell who broke it), on Dask on the same
cluster (its scheduler blames only the task a dead worker was running). A document that
fails alone becomes the stage's per-file outcome (`lost(payload, reason)`: a rejection for
decoding, the guard's status for sectioning and extraction), never stored in the cache (the
next run tries it again), and the year goes on with every other document's result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .execution_results import Ack, BatchLost

LostOutcome = Callable[[Any, str], Any]  # (payload, one-line reason) → the stage's per-file outcome
log = logging.getLogger(__name__)


class DocumentLost(RuntimeError):
    """A document whose work failed even alone, in a stage that has no per-file outcome for it."""


def retried_alone(
    runner: Any,
    fn: Callable[[list[Any]], list[Ack] | BatchLost],
    batch: list[tuple[str, Any]],
    lost: LostOutcome | None,
    reason: str,
) -> list[Ack]:
    """One `Ack` per item of a lost batch, in order: each item run again as a batch of one on
    the runner's isolated executor; an item that fails alone gets `lost`'s outcome, uncached."""
    log.warning("a batch of %d document(s) was lost (%s): retrying them one by one", len(batch), reason)
    isolated = runner.isolated() if hasattr(runner, "isolated") else runner
    acks: list[Ack] = []
    for key, payload in batch:
        [answer] = list(isolated.map_batches(fn, [[(key, payload)]]))
        acks.extend(lost_ack(key, payload, answer.reason, lost) if isinstance(answer, BatchLost) else answer)
    return acks


def lost_ack(key: str, payload: Any, reason: str, lost: LostOutcome | None) -> list[Ack]:
    """The per-file outcome of a document that failed alone, as an uncached `Ack`; without a
    `lost` hook the stage fails, naming the document (the behaviour before recovery)."""
    if lost is None:
        raise DocumentLost(f"document {key}: {reason}")
    log.warning("document %s failed on its own (%s): reported per file", key, reason)
    return [Ack(key, False, 0.0, lost(payload, reason), cacheable=False)]
