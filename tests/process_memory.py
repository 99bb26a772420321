"""Run a command and measure the memory of its own process tree.

`getrusage(RUSAGE_CHILDREN)` in the test process is the peak of *every* child pytest has
reaped so far (a libreoffice or Ray worker from an earlier test counts), so it is not a
measurement of one command. `wait4` on the command's pid returns the peak resident set of
that process and the descendants it reaped, exactly; a sampler adds the tree's summed PSS,
which is what the tree occupies at once (forked workers share pages, so RSS sums overcount).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import psutil


@dataclass(frozen=True)
class MeasuredRun:
    returncode: int
    stdout: str
    stderr: str
    peak_process_mib: float  # largest single process in the tree (exact, from wait4)
    peak_tree_pss_mib: float  # largest sampled sum of PSS over the tree


def _tree_pss_mib(root: psutil.Process) -> float:
    total = 0
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            info = proc.memory_full_info()
            total += getattr(info, "pss", info.rss)
    return total / 2**20


def run_measured(command: list[str], env: dict[str, str], workdir: Path, timeout: float) -> MeasuredRun:
    out_path, err_path = workdir / "stdout.txt", workdir / "stderr.txt"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        child = subprocess.Popen(command, env=env, stdout=out, stderr=err)
    peak_pss = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_pss
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(child.pid)
            while not done.wait(0.25):
                peak_pss = max(peak_pss, _tree_pss_mib(root))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    timer = threading.Timer(timeout, child.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(child.pid, 0)
    finally:
        timer.cancel()
        done.set()
        sampler.join()
    child.returncode = os.waitstatus_to_exitcode(status)  # already reaped; keep Popen consistent
    return MeasuredRun(
        returncode=child.returncode,
        stdout=out_path.read_text(errors="replace"),
        stderr=err_path.read_text(errors="replace"),
        peak_process_mib=usage.ru_maxrss / 1024,  # KiB on Linux
        peak_tree_pss_mib=peak_pss,
    )
