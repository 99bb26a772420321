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


@dataclass
class ScaleRun:
    docs: int
    cluster: str
    seconds: float = 0.0
    returncode: int = 0
    driver_peak_mb: float = 0.0
    worker_peak_mb: dict[int, float] = field(default_factory=dict)  # pid → peak RSS

    def lines(self) -> list[str]:
        workers = sorted(self.worker_peak_mb.values(), reverse=True)
        shown = ", ".join(f"{mb:.0f}" for mb in workers[:8]) or "none"
        verdict = "within" if self.driver_peak_mb <= DRIVER_BUDGET_MB else "OVER"
        return [
            f"scale bench: {self.docs:,} documents, --cluster {self.cluster}, {os.cpu_count()} cores, "
            f"exit {self.returncode}",
            f"  {self.seconds:,.1f} s  {self.docs / max(self.seconds, 1e-9):,.1f} docs/s",
            f"  driver peak RSS {self.driver_peak_mb:,.0f} MB ({verdict} the {DRIVER_BUDGET_MB} MB budget)",
            f"  worker processes {len(workers)}, peak RSS each (MB, largest first): {shown}",
        ]


def _sample(driver: object, run: ScaleRun) -> None:
    import psutil

    with contextlib.suppress(psutil.Error):
        run.driver_peak_mb = max(run.driver_peak_mb, driver.memory_info().rss / 2**20)  # type: ignore[attr-defined]
    for proc in driver.children(recursive=True):  # type: ignore[attr-defined]
        with contextlib.suppress(psutil.Error):
            mb = proc.memory_info().rss / 2**20
            run.worker_peak_mb[proc.pid] = max(run.worker_peak_mb.get(proc.pid, 0.0), mb)


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
    return run


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
