"""The paged-format benchmark runs and reports pages/s (values are machine-dependent: not asserted)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from builders import make_report_pdf

from govreport_dagster.reporting.benchmark import run_page_benchmark

OFFICE = Path(__file__).resolve().parent / "fixtures" / "corpus_office"


def test_page_benchmark_reports_pages_per_second(tmp_path: Path, capsys) -> None:
    (tmp_path / "report.pdf").write_bytes(make_report_pdf())
    shutil.copy(OFFICE / "007.xls", tmp_path / "annex.xls")
    (tmp_path / "notes.txt").write_text("not paged", encoding="utf-8")
    result = run_page_benchmark([tmp_path])
    assert set(result) == {"pdf", "xls"}
    assert result["pdf"]["pages"] == 2 and result["pdf"]["grids"] == 1
    assert result["pdf"]["pages_per_s"] > 0 and result["pdf"]["text_pages_per_s"] > 0
    assert result["xls"]["docs"] == 1 and result["xls"]["pages"] == 0 and result["xls"]["grids"] >= 3
    out = capsys.readouterr().out
    assert "pages/s" in out and "xls" in out


@pytest.mark.slow
def test_page_benchmark_reports_ocr_pages_per_second(capsys) -> None:
    mixed = Path(__file__).resolve().parent / "fixtures" / "ocr_mixed" / "p02_mixed.pdf"
    result = run_page_benchmark([mixed])
    pdf = result["pdf"]
    assert pdf["pages"] == 5 and pdf["ocr_pages"] == 1 and pdf["ocr_pages_per_s"] > 0
    assert pdf["pages_per_s"] is None  # every file read OCR: no OCR-free grid figure to give
    assert "OCR 1 pages" in capsys.readouterr().out
