"""Legacy Office files: `.doc` (LibreOffice headless → DOCX reader), `.xls`/`.xlsx` (xlrd /
openpyxl → sheet grids). Fixtures: tests/fixtures/corpus_office, the corpus page html/007.html
converted by LibreOffice headless (`soffice --convert-to doc|xls|xlsx`), gold = the HTML's."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from builders import mutate_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govreport_dagster.core.decode import decode_file, detect_type, office
from govreport_dagster.core.decode.grids import RawGrid
from govreport_dagster.core.decode.office import Sheet, sheet_blocks
from govreport_dagster.core.model import RejectedInput
from govreport_dagster.core.sectioning import section_report
from govreport_dagster.core.tables import extract_tables
from govreport_dagster.reporting.evaluation import run_eval, score_report

FIXTURES = Path(__file__).resolve().parent / "fixtures"
OFFICE = FIXTURES / "corpus_office"
GOLD = FIXTURES / "corpus" / "html" / "007.gold.json"
needs_soffice = pytest.mark.skipif(
    office.soffice_binary() is None, reason="LibreOffice (soffice) missing: .ci/run installs libreoffice-writer-nogui"
)


def _cells(data: bytes, name: str) -> dict:
    doc = decode_file(data, name)
    sectioned = section_report(doc)
    extraction = extract_tables(doc, sectioned)
    assert sectioned.metadata.report_year == 2021
    return {(c.table_id, c.row_key, c.col_key): (c.value, c.cell_state) for c in extraction.cells}


@pytest.fixture(scope="module")
def html_cells() -> dict:
    return _cells((FIXTURES / "corpus" / "html" / "007.html").read_bytes(), "007.html")


@pytest.mark.parametrize(("name", "kind"), [("007.doc", "doc"), ("007.xls", "xls"), ("007.xlsx", "xlsx")])
def test_real_type_from_the_bytes(name: str, kind: str) -> None:
    data = (OFFICE / name).read_bytes()
    assert detect_type(data, "report.bin") == kind  # the OLE2 streams / zip parts decide, not the name
    assert detect_type(data, "report.doc" if kind != "doc" else "report.xls") == kind


@pytest.mark.parametrize("name", ["007.xls", "007.xlsx"])
def test_spreadsheet_every_cell_as_from_the_html(name: str, html_cells: dict) -> None:
    data = (OFFICE / name).read_bytes()
    doc = decode_file(data, name)
    assert doc.source_format == name.rsplit(".", 1)[1] and doc.detected_encoding is None
    assert all(g.source == doc.source_format for g in doc.tables) and len(doc.tables) >= 3
    # paragraphs merged across the sheet are text lines, not one-row tables
    assert "\n二、主动公开政府信息情况\n第二十条第(一)项\n信息内容 | 本年制发件数" in doc.text
    assert _cells(data, name) == html_cells and len(html_cells) == 200


@needs_soffice
@pytest.mark.slow  # LibreOffice starts for the conversion: ~4 s
def test_doc_every_cell_as_from_the_html(html_cells: dict) -> None:
    data = (OFFICE / "007.doc").read_bytes()
    doc = decode_file(data, "007.doc")
    assert doc.source_format == "doc" and all(g.source == "doc" for g in doc.tables)
    assert _cells(data, "007.doc") == html_cells


@needs_soffice
@pytest.mark.slow  # three reports, one LibreOffice start
def test_office_corpus_eval_is_complete() -> None:
    report = run_eval(OFFICE, OFFICE)
    assert [r.file for r in report.reports] == ["007.doc", "007.xls", "007.xlsx"]
    assert report.mismatches == [] and (report.matched, report.total) == (600, 600)


def test_spreadsheet_gold_score_is_total() -> None:
    import json

    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    data = (OFFICE / "007.xls").read_bytes()
    doc = decode_file(data, "007.xls")
    score = score_report(extract_tables(doc, section_report(doc)), gold)
    assert score.mismatches == [] and score.n_matched == score.n_total == 200


def test_sheet_split_into_text_and_merged_grids() -> None:
    sheet = Sheet(
        "Sheet1",
        cells={
            (0, 0): "某县2023年政府信息公开工作年度报告",
            (1, 0): "三、本年度办理结果",
            (1, 1): "（一）予以公开",
            (1, 2): "3",
            (2, 1): "（二）部分公开",
            (2, 2): "1",
            (3, 0): "四、行政复议",
        },
        merges=[(0, 1, 0, 5), (1, 3, 0, 1)],  # the title across the sheet; the group label over 2 rows
    )
    blocks = sheet_blocks(sheet, "xls")
    assert blocks[0] == "某县2023年政府信息公开工作年度报告" and blocks[2] == "四、行政复议"
    grid = blocks[1]
    assert isinstance(grid, RawGrid) and grid.source == "xls"
    assert [[c.text for c in row] for row in grid.rows] == [
        ["三、本年度办理结果", "（一）予以公开", "3"],
        ["三、本年度办理结果", "（二）部分公开", "1"],
    ]
    assert grid.rows[1][0].rowspan == 2 and not grid.rows[1][0].is_origin


@pytest.mark.parametrize(
    ("value", "text"), [(64.0, "64"), (24252.311082, "24252.311082"), (7, "7"), ("结\n果", "结果")]
)
def test_cell_values_as_printed(value: object, text: str) -> None:
    assert office.cell_text(value) == text


def test_damaged_spreadsheets_rejected_with_reason() -> None:
    xls = (OFFICE / "007.xls").read_bytes()
    with pytest.raises(RejectedInput, match=r"unreadable \.xls \(damaged\)"):
        decode_file(xls[: len(xls) // 2], "annex.xls")
    xlsx = (OFFICE / "007.xlsx").read_bytes()
    with pytest.raises(RejectedInput, match=r"unreadable \.xlsx \(damaged"):
        decode_file(xlsx[:3000], "annex.xlsx")


def test_xlsx_zip_bomb_rejected_from_the_directory() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            for _ in range(60):
                fh.write(b"\0" * 1_000_000)
    with pytest.raises(RejectedInput, match="XLSX zip bomb"):
        decode_file(buf.getvalue(), "bomb.xlsx", max_bytes=10_000_000)


def test_other_ole_files_are_unsupported_not_doc() -> None:
    import olefile  # noqa: F401  (the sniffing reads the OLE2 directory with it)

    data = (
        (OFFICE / "007.xls")
        .read_bytes()
        .replace(b"W\x00o\x00r\x00k\x00b\x00o\x00o\x00k", b"P\x00o\x00w\x00e\x00r\x00P\x00n\x00t")
    )
    assert detect_type(data, "slides.ppt") == "ole"
    with pytest.raises(RejectedInput, match="neither a Word nor an Excel"):
        decode_file(data, "slides.ppt")


@needs_soffice
@pytest.mark.slow  # LibreOffice starts twice
def test_damaged_doc_rejected_with_reason() -> None:
    doc = (OFFICE / "007.doc").read_bytes()
    with pytest.raises(RejectedInput, match=r"unreadable \.doc"):
        decode_file(doc[: len(doc) // 3], "report.doc")


def test_doc_without_libreoffice_rejected_with_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(office, "soffice_binary", lambda: None)
    with pytest.raises(RejectedInput, match="needs LibreOffice"):
        decode_file((OFFICE / "007.doc").read_bytes(), "report.doc")


_SPREADSHEETS = {"xls": (OFFICE / "007.xls").read_bytes(), "xlsx": (OFFICE / "007.xlsx").read_bytes()}


@settings(max_examples=40, deadline=20_000, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["xls", "xlsx"]),
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1 << 20), st.integers(0, 255)), min_size=1, max_size=5),
)
def test_mutated_spreadsheets_decode_or_reject(kind: str, ops: list[tuple[int, int, int]]) -> None:
    data = mutate_bytes(_SPREADSHEETS[kind], ops)
    try:
        doc = decode_file(data, f"annex.{kind}")
    except RejectedInput as exc:
        assert exc.reason and "\n" not in exc.reason
        return
    assert isinstance(doc.text, str) and all(g.rows for g in doc.tables)
