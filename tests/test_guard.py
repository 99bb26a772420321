"""The per-document guard: exceptions, time and memory budgets become a reason (issue 17)."""

from __future__ import annotations

import contextlib
import time

from govreport_dagster.core.landing import sha256_hex
from govreport_dagster.execution_workers import GUARD_FAILED, decode_batch, section_batch
from govreport_dagster.guard import BudgetExceeded, guarded
from govreport_dagster.storage.decoding import DecodeSource


def _spin() -> None:
    while True:
        time.sleep(0.01)


def test_time_budget_stops_a_slow_document() -> None:
    result, reason, took = guarded(_spin, seconds=0.3)
    assert result is None and "time budget" in reason and took < 5


def test_time_budget_interrupts_a_catastrophic_regex() -> None:
    import re

    result, reason, _took = guarded(re.match, r"(a+)+$", "a" * 40 + "b", seconds=0.5)
    assert result is None and "time budget" in reason


def test_memory_budget_stops_a_greedy_document() -> None:
    result, reason, _took = guarded(lambda: bytearray(512 * 2**20), memory_bytes=64 * 2**20)
    assert result is None and "memory budget" in reason
    assert guarded(lambda: bytearray(16 * 2**20), memory_bytes=256 * 2**20)[0] is not None  # limit restored


def test_any_exception_becomes_a_reason_without_a_process_id() -> None:
    def boom() -> None:
        raise KeyError("k")

    assert guarded(boom)[1] == "KeyError: 'k'"


def test_decode_records_time_and_sectioning_failure_is_a_status(monkeypatch, tmp_path) -> None:
    data = "2021年政府信息公开工作年度报告\n一、总体情况\n".encode()
    (tmp_path / "a.txt").write_bytes(data)
    source = str(tmp_path / "a.txt")
    [outcome] = decode_batch([DecodeSource(source, source, len(data), sha256_hex(data))])
    assert outcome.rejection is None and outcome.seconds is not None and outcome.seconds >= 0

    def broken(*_args, **_kwargs):
        raise RuntimeError("parser bug")

    monkeypatch.setattr("govreport_dagster.execution_workers.section_report", broken)
    row = {"year_source": "folder"}
    monkeypatch.setattr("govreport_dagster.execution_workers.decoded_from_row", lambda r: None)
    [report] = section_batch([(row, 2021)])
    assert report.status == GUARD_FAILED and "parser bug" in report.issues[0]


def _busy(seconds: float) -> None:
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        pass


def _loses_the_first_alarm() -> str:
    with contextlib.suppress(BudgetExceeded):
        _busy(1.5)  # the alarm at 1 s lands here and is lost, as in a finaliser ("Exception ignored")
    _busy(3.0)  # a one-shot alarm would let this run to its end
    return "finished"


def test_time_budget_holds_when_its_first_alarm_is_swallowed() -> None:
    result, reason, seconds = guarded(_loses_the_first_alarm, seconds=1.0)
    assert result is None and reason == "over the time budget of 1 s"
    assert seconds < 2.5
