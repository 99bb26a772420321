"""Text PDFs whose text layer is unusable on some pages (issue 13): a scanned page bound into
a text PDF is read by OCR in place; a PDF whose whole text layer is `(cid:N)` garbage is read by
OCR as a whole. Fixtures: scripts/make_mixed_pdf_fixtures.py (corpus p01/p02, gold unchanged)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from govreport_dagster.core.decode import decode_file
from govreport_dagster.core.decode.ocr import engine as ocr_engine
from govreport_dagster.core.decode.pdf import extract_pdf, text_layer_status
from govreport_dagster.core.model import RejectedInput

MIXED = Path(__file__).resolve().parent / "fixtures" / "ocr_mixed"


def _page(glyphs, images: int = 1) -> SimpleNamespace:
    """A stand-in for a pdfplumber page: its glyphs (pdfminer gives `(cid:N)` as one glyph)."""
    return SimpleNamespace(chars=[{"text": g} for g in glyphs], images=[{}] * images)


def test_text_layer_garbage_kinds_are_recognised() -> None:
    assert text_layer_status(_page("二〇二三年政府信息公开工作年度报告，本年度新收申请21件")) == "ok"
    assert text_layer_status(_page(["(cid:12)", "(cid:7)", "(cid:99)", *"2023", "(cid:3)", "(cid:4)"])) == "garbage"
    assert text_layer_status(_page("\ue001\ue002\ue003\ue004 2023 \ue005\ue006")) == "garbage"
    # GBK bytes of 政府信息公开 read as Latin-1 (mojibake)
    mojibake = "政府信息公开工作年度报告".encode("gbk").decode("latin-1")
    assert text_layer_status(_page(mojibake)) == "garbage"
    assert text_layer_status(_page("  ", images=1)) == "missing"


def test_mixed_and_garbage_fixtures_mark_the_pages_to_ocr() -> None:
    _, mixed = extract_pdf((MIXED / "p02_mixed.pdf").read_bytes())
    assert mixed["ocr_pages"] == [3] and mixed["text_layer"] == {3: "missing"} and not mixed["needs_ocr"]
    _, cid = extract_pdf((MIXED / "p01_cid.pdf").read_bytes())
    assert cid["ocr_pages"] == [1, 2, 3, 4] and set(cid["text_layer"].values()) == {"garbage"} and cid["needs_ocr"]


def test_engine_missing_keeps_the_text_pages_of_a_mixed_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    ocr_engine.clear_engine()
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # import now fails: not installed
    try:
        doc = decode_file((MIXED / "p02_mixed.pdf").read_bytes(), "p02_mixed.pdf")
        unread = "ocr: pages 3 not read: needs OCR, but OCR engine not installed"
        assert any(s.startswith(unread) for s in doc.flags["steps"])
        assert doc.tables and all(t.source == "pdf" for t in doc.tables) and "洪泽区" in doc.text
        with pytest.raises(RejectedInput, match="needs OCR, but OCR engine not installed"):
            decode_file((MIXED / "p01_cid.pdf").read_bytes(), "p01_cid.pdf")
    finally:
        ocr_engine.clear_engine()


@pytest.mark.slow
def test_scanned_page_inside_a_text_pdf_is_read_by_ocr_in_place() -> None:
    from govreport_dagster.core.sectioning import section_report
    from govreport_dagster.core.tables import extract_tables

    doc = decode_file((MIXED / "p02_mixed.pdf").read_bytes(), "p02_mixed.pdf")
    assert doc.flags["ocr_pages"] == [3] and not doc.flags["needs_ocr"]
    assert any(s.startswith("ocr: pages 3 read by OCR") for s in doc.flags["steps"])
    assert {(t.source, t.page) for t in doc.tables} >= {("ocr", 3), ("pdf", 4)}
    tables = extract_tables(doc, section_report(doc))
    gold = json.loads((MIXED / "p02_mixed.gold.json").read_text(encoding="utf-8"))
    by_key = {(c.table_id, c.row_key, c.col_key): c for c in tables.cells}
    # table 3's first rows are on the scanned page: OCR values with their confidence
    new = [by_key[("t3", "new_received", col)] for col in gold["t3"]["new_received"]]
    assert all(c.cell_state == "ocr" and c.confidence is not None for c in new)
    assert [c.value for c in new] == [float(v) for v in gold["t3"]["new_received"].values()]
    # table 4 is on a text page: read from the text layer, no OCR state
    t4 = [c for c in tables.cells if c.table_id == "t4"]
    assert t4 and all(c.cell_state != "ocr" for c in t4)


@pytest.mark.slow
def test_mixed_and_cid_garbage_pdfs_reach_99_percent_with_no_wrong_number() -> None:
    from govreport_dagster.reporting.evaluation import run_eval

    report = run_eval(MIXED, MIXED)
    assert [r.error for r in report.reports] == [None, None]
    for score in report.reports:
        total = sum(score.total.values())
        matched = sum(score.matched.values())
        assert total > 190 and matched / total >= 0.99, (score.file, matched, total, score.mismatches)
        assert score.mismatches == [], score.mismatches
