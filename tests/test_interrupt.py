"""Ctrl-C stops `govreport run` (issue 11: a run a person can follow, and stop): Dagster
turns the signal into a failure of the step it was running, and the runner must not take
that for a failed year and retry the span year by year."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from govreport_dagster.cli_errors import EXIT_INTERRUPTED
from govreport_dagster.pipeline_runner import _interrupted, interrupt_watch

REPO = Path(__file__).resolve().parents[1]


@dg.asset
def interrupted_asset() -> None:
    os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C in the terminal does to the run
    time.sleep(5)


@dg.asset
def failing_asset() -> None:
    raise ValueError("a year's own failure")


def test_an_interrupted_run_is_told_from_a_failed_one() -> None:
    interrupted = dg.materialize([interrupted_asset], raise_on_error=False)
    failed = dg.materialize([failing_asset], raise_on_error=False)
    assert not interrupted.success and not failed.success
    assert _interrupted(interrupted)
    assert not _interrupted(failed)


def test_a_signal_handled_by_someone_else_is_still_seen() -> None:
    """Dagster's handler notes a Ctrl-C between two steps and forgets it when the run ends."""
    with interrupt_watch() as signalled:
        assert not signalled()
        previous = signal.signal(signal.SIGINT, lambda *_: None)  # a handler that swallows it
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.1)
        finally:
            signal.signal(signal.SIGINT, previous)
        assert signalled()
        assert not signalled()  # read once


@pytest.mark.slow
def test_ctrl_c_stops_govreport_run_with_its_exit_code(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "GOVREPORT_CLUSTER": "serial"}
    command = [sys.executable, "-m", "govreport_dagster.cli", "run", "--landing", str(REPO / "data" / "sample")]
    command += ["--warehouse", str(tmp_path / "wh"), "--dagster-home", str(tmp_path / "home")]
    run = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert run.stdout is not None
    assert run.stdout.readline().startswith("landing zone")
    time.sleep(8)  # inside one of the runs (the sample's pipeline takes ~20 s): a step or between two
    run.send_signal(signal.SIGINT)
    out, _ = run.communicate(timeout=300)
    assert run.returncode == EXIT_INTERRUPTED, out[-2000:]
    assert "govreport: interrupted" in out
