"""`govreport bench --scale`: N unique documents (replicated from the corpus, as
`bench --pipeline` makes them) through `govreport run --cluster X` in a child process;
prints documents/s, the driver's peak RSS and every worker process's peak RSS (sampled), the
figures docs/scaling.md projects from.

The driver is the `govreport run` process; every process below it (the Dask nanny and worker
processes of `local-cluster:N`, or the process pool of `local`) is a worker here. The driver's
budget is 1 GiB: it must never hold a year's documents."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .pipeline_bench import build_landing
from .reporting.benchmark import REPO_ROOT

DRIVER_BUDGET_MB = 1024
_POLL_SECONDS = 0.5
STEPS_SHOWN = 6  # the steps with the highest driver peak: where the memory work is


@dataclass
class ScaleRun:
    docs: int
    cluster: str
    seconds: float = 0.0
    returncode: int = 0
    driver_peak_mb: float = 0.0
    worker_peak_mb: dict[int, float] = field(default_factory=dict)  # pid → peak RSS
    worker_role: dict[int, str] = field(default_factory=dict)  # pid → what the process is (`_role`)
    driver_samples: list[tuple[float, float]] = field(default_factory=list, repr=False)  # (epoch s, MB)
    step_peaks: list[tuple[str, float]] = field(default_factory=list)  # (step and years, driver peak MB)

    def lines(self) -> list[str]:
        workers = sorted(self.worker_peak_mb.items(), key=lambda item: -item[1])
        shown = ", ".join(f"{mb:.0f} ({self.worker_role.get(pid, '?')})" for pid, mb in workers[:8]) or "none"
        verdict = "within" if self.driver_peak_mb <= DRIVER_BUDGET_MB else "OVER"
        return [
            f"scale bench: {self.docs:,} documents, --cluster {self.cluster}, {os.cpu_count()} cores, "
            f"exit {self.returncode}",
            f"  {self.seconds:,.1f} s  {self.docs / max(self.seconds, 1e-9):,.1f} docs/s",
            f"  driver peak RSS {self.driver_peak_mb:,.0f} MB ({verdict} the {DRIVER_BUDGET_MB} MB budget)",
            f"  worker processes {len(workers)}, peak RSS each (MB, largest first): {shown}",
            *(
                ["  driver peak RSS by step (MB, largest first): "]
                + [f"    {mb:6,.0f}  {step}" for step, mb in self.step_peaks[:STEPS_SHOWN]]
                if self.step_peaks
                else []
            ),
        ]


def _sample(driver: object, run: ScaleRun) -> None:
    import psutil

    with contextlib.suppress(psutil.Error):
        mb = driver.memory_info().rss / 2**20  # type: ignore[attr-defined]
        run.driver_peak_mb = max(run.driver_peak_mb, mb)
        run.driver_samples.append((time.time(), mb))
    for proc in driver.children(recursive=True):  # type: ignore[attr-defined]
        with contextlib.suppress(psutil.Error):
            mb = proc.memory_info().rss / 2**20
            run.worker_peak_mb[proc.pid] = max(run.worker_peak_mb.get(proc.pid, 0.0), mb)
            if proc.pid not in run.worker_role:
                run.worker_role[proc.pid] = _role(proc, driver)


def _role(proc: object, driver: object) -> str:
    """What a process under the driver is, from its command line and parent: the Dask
    scheduler, a nanny, a Dask worker (a nanny's child), a pool worker (the driver's own
    spawned child) or another helper (a converter, multiprocessing's resource tracker)."""
    import psutil

    try:
        command = " ".join(proc.cmdline())  # type: ignore[attr-defined]
        parent = proc.ppid()  # type: ignore[attr-defined]
        parent_command = " ".join(psutil.Process(parent).cmdline())
    except psutil.Error:
        return "gone"
    if "resource_tracker" in command:
        return "resource tracker"
    if "distributed.Scheduler" in command:
        return "dask scheduler"
    if "distributed.Nanny" in command:
        return "dask nanny"
    if "distributed.Nanny" in parent_command:
        return "dask worker"
    if "spawn_main" in command or "forkserver" in command:
        return "pool worker" if parent == driver.pid else "helper"  # type: ignore[attr-defined]
    return command.split()[0].rsplit("/", 1)[-1] if command else "?"


def run_scale(n_docs: int, cluster: str, work: Path, sources: list[Path] | None = None) -> ScaleRun:
    """Build the landing zone, then time one cold `govreport run --cluster` over it."""
    import psutil

    landing, warehouse, home = work / "landing", work / "warehouse", work / "dagster_home"
    sources = sources or [REPO_ROOT / "data" / "sample", REPO_ROOT / "tests" / "fixtures" / "corpus"]
    build_landing(landing, n_docs, sources)
    command = [sys.executable, "-m", "govreport_dagster.cli", "run", "--landing", str(landing)]
    command += ["--warehouse", str(warehouse), "--dagster-home", str(home), "--cluster", cluster]
    run = ScaleRun(n_docs, cluster)
    started = time.perf_counter()
    with (work / "run.log").open("ab") as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
        driver = psutil.Process(child.pid)
        while child.poll() is None:
            _sample(driver, run)
            time.sleep(_POLL_SECONDS)
    run.seconds = time.perf_counter() - started
    run.returncode = child.returncode
    run.step_peaks = step_peaks(home, run.driver_samples)
    return run


def step_peaks(dagster_home: Path, samples: list[tuple[float, float]]) -> list[tuple[str, float]]:
    """The driver's peak RSS during each Dagster step of the runs recorded in `dagster_home`
    (`<step> <first>–<last year>`), highest first: which stage holds the memory."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        spans = [span for record in instance.get_run_records() for span in _step_spans(instance, record.dagster_run)]
    peaks = {}
    for label, start, end in spans:
        inside = [mb for at, mb in samples if start <= at <= end]
        if inside:
            peaks[label] = max(peaks.get(label, 0.0), max(inside))
    return sorted(peaks.items(), key=lambda item: -item[1])


def _step_spans(instance, run) -> list[tuple[str, float, float]]:
    tags = run.tags
    first = tags.get("dagster/asset_partition_range_start") or tags.get("dagster/partition")
    last = tags.get("dagster/asset_partition_range_end") or first
    years = "" if first is None else (f" {first}" if first == last else f" {first}–{last}")
    started: dict[str, float] = {}
    spans = []
    for entry in instance.all_logs(run.run_id):
        event = entry.dagster_event
        if event is None or entry.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            started[entry.step_key] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and entry.step_key in started:
            spans.append((f"{entry.step_key}{years}", started[entry.step_key], entry.timestamp))
    return spans


def main(n_docs: int, cluster: str, keep: str | None = None) -> int:
    work = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="govreport-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        run = run_scale(n_docs, cluster, work)
        print("\n".join(run.lines()))
        print(f"  log: {work / 'run.log'}" if keep else "")
        return run.returncode
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
