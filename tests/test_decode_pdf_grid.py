"""PDF tables as grids: the real PDFs of tests/fixtures/corpus_pdf against their gold, and
generated PDFs for page breaks, page chrome, merged label cells and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import (
    RUNNING_HEADER,
    WRAPPED_LABEL,
    cid_text_page,
    latin_text_page,
    make_pdf,
    make_raw_pdf,
    make_report_pdf,
    t3_rows,
)

from govreport_dagster.core.decode import decode_file
from govreport_dagster.core.decode.pdf import extract_pdf, pages_without_text_layer
from govreport_dagster.core.decode.pdf_grid import label_columns, merge_empty_label_cells
from govreport_dagster.core.identities import evaluate_report
from govreport_dagster.core.model import GridCell, RejectedInput
from govreport_dagster.core.sectioning import section_report
from govreport_dagster.core.tables import extract_tables
from govreport_dagster.reporting.evaluation import run_eval

CORPUS_PDF = Path(__file__).resolve().parent / "fixtures" / "corpus_pdf"
# Identities the printed values themselves break (checked against the PDFs by hand): p02
# prints table 4's 行政复议 total 0 beside 10 + 1 upheld/corrected and 复议后起诉 total 0 beside
# 5; p03's narrative counts 17 applications where table 3 says 95 (the gold's notes say so).
SOURCE_VIOLATIONS = {
    "p01.pdf": set(),
    "p02.pdf": {"t4_block_total"},
    "p03.pdf": {"n_text_vs_table"},
    "printed/007.pdf": set(),
    "printed/007_unruled.pdf": set(),
}


@pytest.fixture(scope="module")
def pdf_eval():
    return run_eval(CORPUS_PDF, CORPUS_PDF)


@pytest.mark.slow  # ~10 s: three real PDFs through decode → tables
def test_corpus_pdfs_every_gold_cell(pdf_eval) -> None:
    names = ["p01.pdf", "p02.pdf", "p03.pdf", "printed/007.pdf", "printed/007_unruled.pdf"]
    assert [r.file for r in pdf_eval.reports] == names
    assert all(r.error is None for r in pdf_eval.reports)
    assert pdf_eval.mismatches == [], "\n".join(map(str, pdf_eval.mismatches))
    assert (pdf_eval.matched, pdf_eval.total) == (1014, 1014)
    assert sum(r.n_total for r in pdf_eval.reports[:3]) == 614


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SOURCE_VIOLATIONS))
def test_corpus_pdfs_flag_only_what_the_source_breaks(name: str) -> None:
    doc = decode_file((CORPUS_PDF / name).read_bytes(), name)
    sectioned = section_report(doc)
    failed = {r.identity_id for r in evaluate_report(extract_tables(doc, sectioned), sectioned) if r.status == "failed"}
    assert failed == SOURCE_VIOLATIONS[name]


def _extracted(path: Path) -> tuple[dict, object]:
    doc = decode_file(path.read_bytes(), path.name)
    sectioned = section_report(doc)
    cells = {(c.table_id, c.row_key, c.col_key): (c.value, c.cell_state) for c in extract_tables(doc, sectioned).cells}
    return cells, sectioned.metadata


@pytest.mark.slow  # ~8 s: a 366 KB page and its 8-page print
@pytest.mark.parametrize("name", ["007.pdf", "007_unruled.pdf"])
def test_chromium_printed_pdf_reads_as_its_html(name: str) -> None:
    # ruled: table 3 crosses two page breaks, a row cut at the page top has no drawn rule;
    # unruled (borders removed by CSS): no grid at all, the text layer alone
    pdf_cells, pdf_meta = _extracted(CORPUS_PDF / "printed" / name)
    html_cells, html_meta = _extracted(CORPUS_PDF.parent / "corpus" / "html" / "007.html")
    assert len(html_cells) == 200 and pdf_cells == html_cells
    assert (pdf_meta.agency_name, pdf_meta.report_year) == (html_meta.agency_name, html_meta.report_year)


def test_corpus_pdf_text_keeps_line_edges_of_boxed_prose() -> None:
    # p03 prints its prose on ruled writing paper (one-column "tables"): characters touching
    # the rules belong to the line, and the lines are text, not grids
    doc = decode_file((CORPUS_PDF / "p03.pdf").read_bytes(), "p03.pdf")
    assert "请与淮安市洪\n泽区人民政府办公室联系" in doc.text
    assert all(len(g.rows[0]) > 1 for g in doc.tables)


def test_table_continued_on_next_page_is_one_grid() -> None:
    doc = decode_file(make_report_pdf(rows=12, split=8), "report.pdf")
    assert doc.flags["pages"] == 2 and not doc.flags["needs_ocr"]
    assert len(doc.tables) == 1
    grid = doc.tables[0]
    # the header printed again on page 2 is dropped: 2 header + 2 body + 12 outcome rows
    assert len(grid.rows) == 16
    labels = [row[2].text for row in grid.rows[4:]]
    assert labels == [sub for sub, _ in t3_rows(12, WRAPPED_LABEL)]
    # the group labels cut by the page break span on over page 2's empty cells
    last = grid.rows[-1]
    assert (last[0].text, last[1].text) == ("三、本年度办理结果", "(四)无法提供")
    assert last[0].origin_row == 4 and last[0].rowspan == 12
    assert [c.text for c in last[3:]] == ["11", "0", "11"]


def test_row_cut_at_page_top_without_rule_is_kept() -> None:
    # browsers print no rule above the first row on the new page: without one closing it, the
    # row (and the group columns spanning down from it) would be dropped by the table finder
    doc = decode_file(make_report_pdf(rows=12, split=8, browser_cut=True), "printed.pdf")
    assert len(doc.tables) == 1
    grid = doc.tables[0]
    assert [row[2].text for row in grid.rows[4:]] == [sub for sub, _ in t3_rows(12, WRAPPED_LABEL)]
    first_on_page_2 = grid.rows[12]
    assert [c.text for c in first_on_page_2] == ["三、本年度办理结果", "(四)无法提供", "9.其他情形9", "8", "0", "8"]


def test_running_header_and_page_numbers_left_out() -> None:
    doc = decode_file(make_report_pdf(), "report.pdf")
    assert "- 1 -" not in doc.text and "- 2 -" not in doc.text
    # the first page keeps its lines (there the running title is the report's title)
    assert doc.text.count(RUNNING_HEADER) == 2
    assert doc.text.index(RUNNING_HEADER) == 0
    assert doc.text.rindex(RUNNING_HEADER) < doc.text.index("一、总体情况")


def _cells(rows: list[list[str]]) -> list[list[GridCell]]:
    return [[GridCell(text, r, c, r, c) for c, text in enumerate(row)] for r, row in enumerate(rows)]


def test_empty_label_column_cell_is_the_labels_colspan() -> None:
    rows = _cells(
        [["（五）不予处理", "1.信访举报", "1", "0"], ["（六）其他处理", "", "0", "0"], ["（七）总计", "", "21", "0"]]
    )
    assert label_columns(rows) == {0, 1}
    merged = merge_empty_label_cells(rows)
    spanned = [(c.text, c.colspan, c.is_origin) for c in merged[1][:2]]
    assert spanned == [("（六）其他处理", 2, True), ("（六）其他处理", 2, False)]
    assert merged[0][1].text == "1.信访举报" and not merged[0][1].merged


def test_blank_value_column_is_not_a_label_column() -> None:
    # a value column printed blank throughout keeps its blanks (they are cells, not label space)
    rows = _cells([["信息内容", "本年制发件数", "现行有效件数"], ["规章", "", "3"], ["行政规范性文件", "", "5"]])
    assert label_columns(rows) == {0}
    assert merge_empty_label_cells(rows) == rows


def test_garbage_text_layer_flagged_for_ocr() -> None:
    data = make_raw_pdf([cid_text_page(), cid_text_page()], cid_font=True)
    blocks, info = extract_pdf(data)
    assert blocks == [] and info["ocr_pages"] == [1, 2] and info["needs_ocr"]
    assert info["text_layer"] == {1: "garbage", 2: "garbage"}
    assert pages_without_text_layer(data) == [1, 2]
    doc = decode_file(data, "cid.pdf")
    assert doc.flags["needs_ocr"] and doc.flags["ocr_pages"] == [1, 2] and "(cid:" not in doc.text


def test_one_garbage_page_among_text_pages_is_listed_not_fatal() -> None:
    data = make_raw_pdf([latin_text_page(), cid_text_page()], cid_font=True)
    doc = decode_file(data, "mixed.pdf")
    assert doc.flags["ocr_pages"] == [2] and not doc.flags["needs_ocr"]
    assert "this page has a real text layer" in doc.text and "(cid:" not in doc.text
    assert "garbage on 1 of 2 pages" in doc.flags["ocr_reason"]


def test_garbage_pdf_gets_a_ledger_reason() -> None:
    from govreport_dagster.core.ingest import decode_content, identify

    data = make_raw_pdf([cid_text_page()], cid_font=True)
    outcome = decode_content(data, "landing/cid.pdf")
    ident = identify(outcome)
    assert outcome.document is not None and outcome.document.flags["needs_ocr"]
    assert (
        ident.rejection
        == "text layer is garbage on 1 of 1 pages ((cid:n) glyphs: a font without a Unicode map): needs OCR"
    )


def test_ocr_seam_reads_pages_without_text_layer() -> None:
    data = make_raw_pdf([cid_text_page()], cid_font=True)
    seen: list[int] = []

    def reader(page, number: int) -> list:
        seen.append(number)
        return [f"第{number}页的文字"]

    blocks, info = extract_pdf(data, ocr_page=reader)
    assert seen == [1] and blocks == ["第1页的文字"] and info["ocr_pages"] == [1]
    # still: no page has a usable text layer (decode_file then reads the whole PDF by OCR)
    assert info["needs_ocr"]


def test_overlong_pdf_rejected_with_reason() -> None:
    data = make_raw_pdf([b"BT ET"] * 500)
    with pytest.raises(RejectedInput, match=r"PDF has 500 pages, more than the limit of 200"):
        decode_file(data, "compilation.pdf")
    _blocks, info = extract_pdf(data, max_pages=1000)  # the cap is the only reason
    assert info["pages"] == 500


def test_grid_carries_its_text_layer_reading_through_the_stage_codec() -> None:
    from govreport_dagster.core.model import Grid

    grid = decode_file(make_report_pdf(), "report.pdf").tables[0]
    # the text layer of both pages' parts, normalised like the document text
    assert "12.其他情形12 11 0 11" in grid.text_layer and "(本列数据的勾稽关系为" in grid.text_layer
    again = Grid.from_dict(grid.to_dict())
    assert again.text_layer == grid.text_layer and again.rows == grid.rows


def test_browser_print_header_and_footer_left_out() -> None:
    def page(n: int) -> bytes:
        return (
            f"BT /F2 9 Tf 20 830 Td (11/30/26, 8:10 PM Pingtan annual report 2021) Tj ET\n"
            f"BT /F2 12 Tf 72 600 Td (Body text of page {n} with enough characters.) Tj ET\n"
            f"BT /F2 9 Tf 20 8 Td (file:///tmp/report.html {n}/2) Tj ET"
        ).encode()

    doc = decode_file(make_raw_pdf([page(1), page(2)]), "printed.pdf")
    # the first page's header keeps its page title (the report title), without the stamp
    assert doc.text.split("\n") == [
        "Pingtan annual report 2021",
        "Body text of page 1 with enough characters.",
        "Body text of page 2 with enough characters.",
    ]


def test_pdf_with_no_usable_page_says_scanned() -> None:
    doc = decode_file(make_pdf(with_table=False, text=False), "scan.pdf")
    assert doc.flags["needs_ocr"] and doc.flags["ocr_pages"] == [1]
    assert doc.flags["ocr_reason"] == "scanned: 1 of 1 pages without a text layer: needs OCR"
