"""The landing zone is a boundary and sidecars are untrusted (issue 17)."""

from __future__ import annotations

import os
import socket

import pytest

from govreport_dagster.core.landing import text_name
from govreport_dagster.core.limits import MAX_SIDECAR_BYTES
from govreport_dagster.core.sidecar import parse_sidecar_bytes, valid_year
from govreport_dagster.storage.landing import read_bytes, scan

REPORT = "2021年政府信息公开工作年度报告\n".encode()


@pytest.mark.parametrize(
    "raw",
    [b'{"report_year": Infinity}', b'{"report_year": 1e400}', b'{"report_year": true}',
     b'{"report_year": NaN}', b'{"report_year": 2021.5}', b'{"report_year": ' + b"9" * 5000 + b"}"],
)  # fmt: skip
def test_sidecar_year_that_is_not_an_integer_is_dropped_with_a_reason(raw: bytes) -> None:
    fields, problem = parse_sidecar_bytes(raw, "x.txt.json")
    assert "report_year" not in fields
    assert problem and "x.txt.json" in problem


def test_sidecar_nested_deep_is_ignored_without_recursion_error() -> None:
    fields, problem = parse_sidecar_bytes(b"[" * 100_000 + b"]" * 100_000, "deep.json")
    assert fields == {} and "ignored" in problem


def test_sidecar_nesting_limit_within_the_size_limit() -> None:
    fields, problem = parse_sidecar_bytes(b'{"a": ' + b"[" * 40 + b"]" * 40 + b"}", "nest.json")
    assert fields == {} and "nested 41 deep" in problem


def test_sidecar_lone_surrogate_field_dropped_others_kept() -> None:
    fields, problem = parse_sidecar_bytes(b'{"agency": "\\ud800", "report_year": "2021"}', "s.json")
    assert fields == {"report_year": 2021}
    assert "agency" in problem


def test_sidecar_over_size_limit_ignored() -> None:
    fields, problem = parse_sidecar_bytes(b" " * (MAX_SIDECAR_BYTES + 1) + b"{}", "big.json")
    assert fields == {} and "larger than" in problem


def test_valid_year_accepts_int_and_digit_string_only() -> None:
    assert valid_year(2021) == 2021 and valid_year("2021") == 2021
    assert valid_year(True) is None and valid_year(2021.0) is None and valid_year("２０２１") is None


def _landing(tmp_path):
    root = tmp_path / "landing"
    (root / "2021").mkdir(parents=True)
    (root / "2021" / "ok.txt").write_bytes(REPORT)
    return root


def test_fifo_sidecar_and_fifo_report_are_refused_not_opened(tmp_path) -> None:
    root = _landing(tmp_path)
    os.mkfifo(root / "2021" / "ok.txt.json")
    os.mkfifo(root / "2021" / "pipe.txt")
    entries = {e.relative_path: e for e in scan(root)}  # would block forever if opened
    assert "FIFO" in entries["2021/pipe.txt"].problem
    assert "FIFO" in entries["2021/ok.txt"].sidecar_problem
    assert entries["2021/ok.txt"].problem is None


def test_symlinks_leaving_root_and_loops_are_refused(tmp_path) -> None:
    root = _landing(tmp_path)
    secret = tmp_path / "secret.json"
    secret.write_text('{"agency": "leaked", "report_year": 2020}')
    os.symlink(secret, root / "2021" / "ok.txt.json")
    os.symlink("/dev/zero", root / "2021" / "zero.txt")
    os.symlink(root / "2021" / "loop.txt", root / "2021" / "loop.txt")
    os.symlink(tmp_path, root / "2021" / "outside_dir")
    os.symlink(root / "2021" / "ok.txt", root / "2021" / "inside.txt")
    entries = {e.relative_path: e for e in scan(root)}
    assert entries["2021/ok.txt"].sidecar == {}
    assert "leaves the landing root" in entries["2021/ok.txt"].sidecar_problem
    assert "leaves the landing root" in entries["2021/zero.txt"].problem
    assert "loop" in entries["2021/loop.txt"].problem
    assert entries["2021/outside_dir"].problem
    assert entries["2021/inside.txt"].problem is None  # a link within the root is fine


def test_socket_is_refused(tmp_path) -> None:
    root = _landing(tmp_path)
    server = socket.socket(socket.AF_UNIX)
    path = root / "2021" / "s.txt"
    server.bind(str(path))
    try:
        entries = {e.relative_path: e for e in scan(root)}
        assert "socket" in entries["2021/s.txt"].problem
    finally:
        server.close()


def test_name_that_is_not_utf8_is_carried_losslessly(tmp_path) -> None:
    root = _landing(tmp_path)
    raw_name = os.fsencode(str(root / "2021")) + b"/r\xff\xfe.txt"
    with open(raw_name, "wb") as handle:
        handle.write(REPORT)
    entry = next(e for e in scan(root) if "%FF" in e.source_uri)
    assert entry.relative_path == "2021/r%FF%FE.txt"
    entry.source_uri.encode("utf-8")  # Parquet- and console-safe
    assert os.fsencode(entry.location) == raw_name
    assert read_bytes(entry) == REPORT
    assert text_name("plain 名.txt") == "plain 名.txt"


def test_a_name_that_is_not_utf8_survives_the_scan_frame(tmp_path) -> None:
    """decoded_reports reopens a year's files from the stored scan: the real name must
    survive Parquet (Arrow text cannot hold the surrogate escapes)."""
    import pandas as pd

    from govreport_dagster.storage.frames import entries_frame, entries_from_frame

    root = _landing(tmp_path)
    raw_name = os.fsencode(str(root / "2021")) + b"/r\xff\xfe.txt"
    with open(raw_name, "wb") as handle:
        handle.write(REPORT)
    entries = scan(root)
    stored = tmp_path / "files.parquet"
    entries_frame(entries, {}).to_parquet(stored, index=False)
    back, _hashes = entries_from_frame(pd.read_parquet(stored))
    assert [e.location for e in back] == [e.location for e in entries]
    reopened = next(e for e in back if "%FF" in e.source_uri)
    assert read_bytes(reopened) == REPORT
