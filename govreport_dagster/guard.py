"""Every per-document step runs under a guard: one bad file costs that file, never a run.

`guarded(fn, *args)` returns `(result, None, seconds)` or `(None, reason, seconds)`: any
exception, the time budget (SIGALRM; checked between bytecodes and inside `re`), or the
memory budget (RLIMIT_DATA raised to the process's current data size plus the budget, so
an allocation beyond fails with MemoryError in that document's code) becomes a one-line
reason. The limits are in `core.limits`. The time budget needs the main thread (process
pool workers and Dagster's in-process executor run there); elsewhere only exceptions and
memory are guarded. Nothing here is in the core: budgets are a property of the run, and
the reason deliberately names no process id or address, so two runs give the same reason.
"""

from __future__ import annotations

import contextlib
import resource
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from .core.limits import DOCUMENT_MEMORY_BYTES, DOCUMENT_SECONDS

T = TypeVar("T")


class BudgetExceeded(BaseException):
    """The document used up its time budget.

    A BaseException, like KeyboardInterrupt: the stages catch `Exception` around each
    table or block to keep going after a parser bug, and the timer fires once, so a budget
    caught there would be spent on one table and the rest read with no budget at all."""


def _data_bytes() -> int | None:
    """The process's data segment size (what RLIMIT_DATA is compared with), or None."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


@contextlib.contextmanager
def _memory_budget(budget: int) -> Iterator[None]:
    current = _data_bytes()
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    except (ValueError, OSError):
        current = None
    if current is None or budget <= 0:
        yield
        return
    limit = current + budget if hard == resource.RLIM_INFINITY else min(current + budget, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


# After the budget runs out the alarm repeats at this interval until the guarded call has
# stopped: a signal handler's exception raised while the interpreter runs a finaliser
# (`__del__`, a weakref callback, GC) is printed as "Exception ignored" and lost, and a
# one-shot alarm would then let the document run on with no budget at all.
_REPEAT_SECONDS = 0.25


@contextlib.contextmanager
def _time_budget(seconds: float) -> Iterator[None]:
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return
    active = [True]

    def expire(_signum: int, _frame: Any) -> None:
        if active[0]:  # an alarm already on its way when the call ended does nothing
            raise BudgetExceeded(f"over the time budget of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, _REPEAT_SECONDS)
    try:
        yield
    finally:
        try:
            active[0] = False
        finally:  # cleared even if the alarm lands on the line above
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def guarded(
    fn: Callable[..., T],
    *args: Any,
    seconds: float = DOCUMENT_SECONDS,
    memory_bytes: int = DOCUMENT_MEMORY_BYTES,
) -> tuple[T | None, str | None, float]:
    """`fn(*args)` under the per-document budgets: (result, None, s) or (None, reason, s)."""
    started = time.perf_counter()
    try:
        with _time_budget(seconds), _memory_budget(memory_bytes):
            result = fn(*args)
    except BudgetExceeded as exc:
        return None, str(exc), time.perf_counter() - started
    except MemoryError:
        return None, f"over the memory budget of {memory_bytes // 2**20} MiB", time.perf_counter() - started
    except RecursionError:
        return None, "nested too deeply (recursion limit)", time.perf_counter() - started
    except Exception as exc:  # a parser bug must not cost the run: the file carries it
        return None, f"{type(exc).__name__}: {_first_line(exc)}", time.perf_counter() - started
    return result, None, time.perf_counter() - started


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else "(no message)"


def identify_guarded(outcome: Any) -> Any:
    """`core.ingest.identify` under the budgets: reading the year and id from a hostile text
    must not stop the ledger; a failure rejects that content with the reason."""
    from .core.ingest import Identification, identify

    ident, reason, _took = guarded(identify, outcome)
    if ident is None:
        return Identification(
            outcome.detected_type, f"identification stopped: {reason}", None, None, None, outcome.seconds
        )
    return ident
