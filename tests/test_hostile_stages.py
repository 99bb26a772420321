"""Sectioning and table extraction of pathological texts (issue 17): linear enough to finish,
and when a document does use up its budget in either stage, it gets that stage's status and
reason while the other documents of the batch (the year) go on."""

from __future__ import annotations

import functools
import time

import pytest
from builders import CORPUS

import govreport_dagster.execution_workers as workers
from govreport_dagster.core.model import DecodedDocument
from govreport_dagster.guard import guarded
from govreport_dagster.storage.frames import to_json

REPORT = (CORPUS / "005.txt").read_text(encoding="utf-8")
LABEL = "本年新收政府信息公开申请数量"


def _report_with(insert: str) -> DecodedDocument:
    """A real report with `insert` placed right before its applications table's first label."""
    at = REPORT.index(LABEL)
    outcome = workers.decode_one((REPORT[:at] + insert + REPORT[at:]).encode("utf-8"), "hostile.txt")
    assert outcome.document is not None, outcome.rejection
    return outcome.document


PATHOLOGICAL = {
    "one line of digits (1 MB)": lambda: "7" * 1_000_000,
    "one long line of numbers": lambda: " ".join(["12"] * 100_000),
    "20k table-like lines": lambda: "".join(f"收到申请数 {i} 件 | {i} | {i}\n" for i in range(20_000)),
}


def _run_stages(monkeypatch, documents: list[DecodedDocument]) -> tuple[list, list, float]:
    """Both stages' batch functions over the documents, as the pool workers run them."""
    by_row = {id(doc): doc for doc in documents}
    monkeypatch.setattr(workers, "decoded_from_row", lambda row: by_row[row["doc"]])
    rows = [{"doc": id(doc), "year_source": "folder"} for doc in documents]
    started = time.perf_counter()
    sectioned = workers.section_batch([(row, 2021) for row in rows])
    tables = workers.extract_batch([(row, to_json(report)) for row, report in zip(rows, sectioned, strict=True)])
    return sectioned, tables, time.perf_counter() - started


@pytest.mark.parametrize("make", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_a_pathological_text_is_sectioned_and_read_in_bounded_time(monkeypatch, make) -> None:
    [report], [extraction], seconds = _run_stages(monkeypatch, [_report_with(make())])
    assert seconds < 60  # was quadratic: 40k digits took 445 s, a 1 MB line days
    assert report.status == "ok" and report.sections
    assert all(missing.reason for missing in extraction.missing)  # whatever is not read says why
    assert not any("extraction failed" in missing.reason for missing in extraction.missing)  # no parser crash
    assert all(len(cell.raw_text) <= 64 for cell in extraction.cells)
    for cell in extraction.cells:  # never a count made of the hostile digit run
        assert cell.value is None or abs(cell.value) < 10**12


@pytest.mark.parametrize("stage", ["sectioning", "tables"])
def test_a_document_over_its_budget_gets_the_stage_status_and_the_batch_goes_on(monkeypatch, stage) -> None:
    """A budget of 0.5 s (the real one is 120 s) against 100k table-like lines in one stage
    (sectioning them alone takes ~2 s on a quiet machine: a 2 s budget let them finish now
    and then, and the test failed for want of a margin, not of a budget)."""
    slow = _report_with("".join(f"收到申请数 {i} 件 | {i} | {i}\n" for i in range(100_000)))
    good = _report_with("")
    budget = functools.partial(guarded, seconds=0.5)
    if stage == "sectioning":
        monkeypatch.setattr(workers, "guarded", budget)
        [stopped, fine], _tables, seconds = _run_stages(monkeypatch, [slow, good])
        assert stopped.status == workers.GUARD_FAILED
        assert stopped.issues == ["sectioning stopped: over the time budget of 0.5 s"]
        assert fine.status == "ok"
    else:
        [sectioned_slow, sectioned_good] = _run_stages(monkeypatch, [slow, good])[0]
        monkeypatch.setattr(workers, "guarded", budget)
        payloads = [({"doc": id(d), "year_source": "folder"}, to_json(s)) for d, s in
                    ((slow, sectioned_slow), (good, sectioned_good))]  # fmt: skip
        started = time.perf_counter()
        stopped, fine = workers.extract_batch(payloads)
        seconds = time.perf_counter() - started
        reason = "table extraction stopped: over the time budget of 0.5 s"
        assert [(m.table_id, m.reason) for m in stopped.missing] == [(t, reason) for t in ("t2", "t3", "t4")]
        assert not stopped.cells and fine.cells and not fine.missing
    assert seconds < 30
