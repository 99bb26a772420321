"""One `govreport run` at a time per warehouse and per Dagster home.

Two runs on one warehouse would race on the same year folders (the last writer silently
wins); two runs on a fresh Dagster home would both migrate its run storage and leave two
alembic heads, after which every run on that home fails. So `govreport run` takes an
exclusive, non-blocking file lock on both (``filelock``: an OS lock, released when the
process dies, also on kill -9) and the second run stops with one line saying who holds it.
The Dagster instance is created and migrated while the home lock is held, so it is
initialised exactly once.

Only local folders are locked: an object-store warehouse has no file lock (say so in the
README, not here in a comment nobody reads).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

LOCK_NAME = ".govreport.lock"


class RunLocked(Exception):
    """Another run holds the lock: the message is the one line the second run prints."""


def _is_local(location: str | os.PathLike[str]) -> bool:
    text = str(location)
    return "://" not in text or text.startswith("file://")


@contextlib.contextmanager
def exclusive_run(*locations: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive lock on every local location for the duration of a run.

    Raises RunLocked at once (no waiting) when another run holds any of them.
    """
    with contextlib.ExitStack() as stack:
        for location in locations:
            if not _is_local(location):
                continue
            folder = Path(str(location).removeprefix("file://"))
            folder.mkdir(parents=True, exist_ok=True)
            lock = FileLock(str(folder / LOCK_NAME))
            try:
                lock.acquire(timeout=0)
            except Timeout:
                raise RunLocked(
                    f"another govreport run is using {folder} (lock {folder / LOCK_NAME}); "
                    "wait for it to finish and run again"
                ) from None
            stack.callback(lock.release)
        yield
