"""Progress a person can follow during the per-document stages: files done / total, the
rate and an ETA, as plain lines every few seconds (also when the output is a file or a
pipe) on stderr and in the Dagster log of the run."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

REPORT_EVERY_SECONDS = 5.0


def progress_line(label: str, done: int, total: int, seconds: float) -> str:
    """e.g. `sectioned_reports 2021: 1,200/3,000 files · 412.3/s · ETA 4 s`."""
    rate = done / seconds if seconds > 0 else 0.0
    eta = f"ETA {(total - done) / rate:.0f} s" if rate > 0 and done < total else f"{seconds:.1f} s"
    return f"{label}: {done:,}/{total:,} files · {rate:,.1f}/s · {eta}"


class DocumentProgress:
    """Counts finished documents; reports at most every `every` seconds and once at the end
    (only if the work took longer than one interval: small runs stay quiet)."""

    def __init__(
        self,
        label: str,
        total: int,
        log: Callable[[str], None] | None = None,
        *,
        stream: TextIO | None = sys.stderr,
        every: float = REPORT_EVERY_SECONDS,
    ) -> None:
        self.label, self.total, self.log, self.stream, self.every = label, total, log, stream, every
        self.done = 0
        self.started = self.last = time.monotonic()

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self._emit(now)

    def finish(self) -> None:
        now = time.monotonic()
        if now - self.started >= self.every:
            self._emit(now)

    def _emit(self, now: float) -> None:
        line = progress_line(self.label, self.done, self.total, now - self.started)
        if self.stream is not None:
            print(line, file=self.stream, flush=True)
        if self.log is not None:
            self.log(line)
