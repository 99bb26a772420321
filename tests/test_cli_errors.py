"""Every ordinary CLI mistake ends in one line on stderr that names the thing and says what
to do, with a non-zero exit and no traceback (the traceback only with --debug)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from govreport_dagster import cli
from govreport_dagster.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = str(ROOT / "data" / "sample")


def one_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err and "Traceback" not in captured.out
    assert lines[0].startswith("govreport: error: ")
    return lines[0]


def run_args(tmp_path: Path, **overrides: str) -> list[str]:
    options = {"--landing": SAMPLE, "--warehouse": str(tmp_path / "w"), "--dagster-home": str(tmp_path / "h")}
    options.update(overrides)
    return ["run", *[x for pair in options.items() for x in pair]]


def test_warehouse_that_is_a_file(tmp_path: Path, capsys) -> None:
    (tmp_path / "w").write_text("not a folder")
    assert main(run_args(tmp_path)) == 2
    line = one_line(capsys)
    assert f"--warehouse {tmp_path / 'w'} is a file" in line and "give a folder" in line
    assert not (tmp_path / "h").exists(), "nothing ran"


def test_dagster_home_that_is_a_file(tmp_path: Path, capsys) -> None:
    (tmp_path / "h").write_text("")
    assert main(run_args(tmp_path)) == 2
    line = one_line(capsys)
    assert f"--dagster-home {tmp_path / 'h'} is a file" in line and "give a folder" in line


def test_s3_landing_without_s3fs(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "s3fs", None)  # as on a machine without s3fs
    assert main(run_args(tmp_path, **{"--landing": "s3://bucket/reports"})) == 2
    line = one_line(capsys)
    assert "--landing s3://bucket/reports" in line and "s3fs" in line


def test_unknown_url_scheme(tmp_path: Path, capsys) -> None:
    assert main(run_args(tmp_path, **{"--warehouse": "foo://bucket/w"})) == 2
    line = one_line(capsys)
    assert "--warehouse foo://bucket/w" in line and "unknown URL scheme foo://" in line


def test_reversed_years(tmp_path: Path, capsys) -> None:
    assert main([*run_args(tmp_path), "--years", "2024-2016"]) == 2
    line = one_line(capsys)
    assert "--years 2024-2016" in line and "reversed" in line and "2016-2024" in line
    assert not (tmp_path / "w").exists()


def test_empty_landing_zone(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(run_args(tmp_path, **{"--landing": str(empty)})) == 2
    line = one_line(capsys)
    assert f"landing zone {empty} holds no files" in line and "--landing" in line


def test_missing_landing_zone(tmp_path: Path, capsys) -> None:
    assert main(run_args(tmp_path, **{"--landing": str(tmp_path / "nowhere")})) == 2
    assert "does not exist" in one_line(capsys)


def test_eval_on_missing_paths(tmp_path: Path, capsys) -> None:
    assert main(["eval", "--landing", str(tmp_path / "no_landing"), "--gold", SAMPLE]) == 2
    assert f"--landing {tmp_path / 'no_landing'} does not exist" in one_line(capsys)
    assert main(["eval", "--landing", SAMPLE, "--gold", str(tmp_path / "no_gold")]) == 2
    assert f"--gold {tmp_path / 'no_gold'} does not exist" in one_line(capsys)
    assert main(["eval", "--landing", SAMPLE, "--gold", SAMPLE]) == 2  # a folder without gold files
    assert "no *.gold.json" in one_line(capsys)


def test_bench_on_a_missing_folder(tmp_path: Path, capsys) -> None:
    assert main(["bench", str(tmp_path / "nowhere"), "--docs", "10"]) == 2
    assert f"{tmp_path / 'nowhere'} does not exist" in one_line(capsys)


def test_ui_on_a_busy_port(tmp_path: Path, capsys) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["ui", "--port", str(port), "--dagster-home", str(tmp_path / "h")]) == 2
    line = one_line(capsys)
    assert f"port {port} on 127.0.0.1 is in use" in line and "--port" in line


def test_unexpected_failure_is_one_line_and_debug_shows_the_traceback(tmp_path: Path, capsys, monkeypatch) -> None:
    def broken(*_args, **_kwargs):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr("govreport_dagster.pipeline_runner.run_pipeline", broken)
    assert main(run_args(tmp_path)) == 1
    line = one_line(capsys)
    assert "RuntimeError: disk on fire" in line and "--debug" in line
    assert main(["--debug", *run_args(tmp_path)]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_ctrl_c_stops_with_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("govreport_dagster.pipeline_runner.run_pipeline", interrupted)
    assert main(run_args(tmp_path)) == 130
    captured = capsys.readouterr()
    assert captured.err.strip().startswith("govreport: interrupted") and "Traceback" not in captured.err


def test_ui_waits_for_dagster_dev_on_ctrl_c(tmp_path: Path, capsys, monkeypatch) -> None:
    class FakeDagsterDev:
        waits = 0

        def __init__(self, command, cwd):
            self.cwd = cwd

        def wait(self, timeout=None):
            FakeDagsterDev.waits += 1
            if FakeDagsterDev.waits == 1:
                raise KeyboardInterrupt  # the user's Ctrl-C while serving
            return 0

    monkeypatch.setattr(cli.subprocess, "Popen", FakeDagsterDev)
    assert cli._run_until_interrupted(["dagster", "dev"], tmp_path) == 0
    assert FakeDagsterDev.waits == 2  # it let dagster dev shut down
    assert capsys.readouterr().err.strip() == "govreport ui: stopped"


def test_one_line_from_a_real_process(tmp_path: Path) -> None:
    (tmp_path / "w").write_text("")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "govreport_dagster.cli", *run_args(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2
    message = f"--warehouse {tmp_path / 'w'} is a file, not a folder: give a folder (it is created if missing)"
    assert done.stderr.strip().splitlines() == [f"govreport: error: {message}"]
