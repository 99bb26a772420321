"""OCR of image-only tables: structure from ruling lines, cells read one by one, every value
marked `ocr` with a confidence, unsure or identity-contradicted readings null with candidates.

The fixtures are the corpus PDFs p01–p03 rasterised (scripts/make_ocr_fixtures.py) with the
corpus gold unchanged."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from govreport_dagster.core.decode import decode_file, detect_type
from govreport_dagster.core.decode.ocr import engine as ocr_engine
from govreport_dagster.core.decode.ocr.structure import find_tables
from govreport_dagster.core.model import RejectedInput

OCR = Path(__file__).resolve().parent / "fixtures" / "ocr"


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def _table3_head_rows() -> bytes:
    """Rows 一 and 二 of p02's table 3 (the header cut off): a 935×110 px image."""
    page = Image.open(OCR / "p02_page3.png").convert("L")
    return _png(page.crop((150, 990, 1085, 1100)))


def test_structure_finds_ruled_grid_with_merged_cells() -> None:
    gray = np.asarray(Image.open(OCR / "p02_page3.png").convert("L"))
    tables = find_tables(gray)
    assert len(tables) == 2
    table3 = tables[1]
    assert (len(table3.ys) - 1, len(table3.xs) - 1) == (17, 10)
    by_slot = {(c.row, c.col): c for c in table3.cells}
    assert by_slot[(0, 0)].rowspan == 3 and by_slot[(0, 0)].colspan == 3  # the identity note
    assert by_slot[(0, 3)].colspan == 7  # 申请人情况
    assert by_slot[(5, 0)].rowspan == 12  # 三、本年度办理结果, written vertically
    assert by_slot[(3, 3)].rowspan == by_slot[(3, 3)].colspan == 1


def test_png_table_cells_read_one_by_one_with_confidence() -> None:
    data = _table3_head_rows()
    assert detect_type(data, "t3.png") == "image"
    doc = decode_file(data, "t3.png")
    assert doc.source_format == "image" and "ocr: image file" in doc.flags["steps"]
    assert len(doc.tables) == 1 and doc.tables[0].source == "ocr"
    grid = doc.tables[0]
    rows = [[c.text for c in row if c.is_origin] for row in grid.rows]
    assert rows == [
        ["一、本年新收政府信息公开申请数量", "21", "0", "0", "0", "0", "0", "21"],
        ["二、上年结转政府信息公开申请数量", "0", "0", "0", "0", "0", "0", "0"],
    ]
    numbers = [info for (r, c), info in grid.ocr.items() if grid.rows[r][c].text.isdigit()]
    # each number read twice (two renderings) and the readings agreed
    assert len(numbers) == 14 and all(0.9 <= i.confidence <= 1.0 and len(i.candidates) == 1 for i in numbers)


def test_corrupt_and_huge_images_are_rejected_with_reason() -> None:
    with pytest.raises(RejectedInput, match="corrupt image"):
        decode_file(b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20, "broken.png")
    huge = _png(Image.new("1", (9000, 5000), 1))  # 45 Mpx of white: a few KB of PNG
    assert len(huge) < 200_000
    with pytest.raises(RejectedInput, match=r"image too large: 9000×5000 = 45,000,000 pixels exceeds the cap"):
        decode_file(huge, "poster.png")


def test_long_scan_is_rejected_before_any_ocr() -> None:
    pages = [Image.new("1", (200, 280), 1) for _ in range(61)]
    buf = io.BytesIO()
    pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:])
    with pytest.raises(RejectedInput, match="scanned PDF: 61 pages to OCR exceed the cap of 60"):
        decode_file(buf.getvalue(), "annex.pdf")


def test_engine_missing_is_a_reason_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    ocr_engine.clear_engine()
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # import now fails: not installed
    try:
        with pytest.raises(RejectedInput, match=r"needs OCR, but OCR engine not installed \(rapidocr-onnxruntime"):
            decode_file(_table3_head_rows(), "t3.png")
    finally:
        ocr_engine.clear_engine()


# ------------------------------------------------------------------------------------------
# whole reports (slow: every page of three scanned reports)


@pytest.mark.slow
def test_scanned_corpus_pdfs_reach_99_percent_with_no_wrong_number() -> None:
    from govreport_dagster.reporting.evaluation import run_eval

    report = run_eval(OCR, OCR)
    assert [r.error for r in report.reports] == [None, None, None]
    for score in report.reports:
        total = sum(score.total.values())
        matched = sum(score.matched.values())
        assert total > 190 and matched / total >= 0.99, (score.file, matched, total, score.mismatches)
        # 0 wrong numbers: every miss is a null whose candidates hold the gold
        assert score.mismatches == [], score.mismatches


@pytest.mark.slow
def test_scanned_pdf_cells_are_ocr_state_with_confidence() -> None:
    from govreport_dagster.core.sectioning import section_report
    from govreport_dagster.core.tables import extract_tables

    doc = decode_file((OCR / "p01_scan.pdf").read_bytes(), "p01_scan.pdf")
    assert any(s.startswith("ocr: ") and "without a text layer" in s for s in doc.flags["steps"])
    tables = extract_tables(doc, section_report(doc))
    gold = json.loads((OCR / "p01_scan.gold.json").read_text(encoding="utf-8"))
    t3 = [c for c in tables.cells if c.table_id == "t3"]
    assert t3 and all(c.cell_state == "ocr" and c.confidence is not None for c in t3)
    assert {c.col_key: c.value for c in t3 if c.row_key == "new_received"} == {
        k: float(v) for k, v in gold["t3"]["new_received"].items()
    }


# ------------------------------------------------------------------------------------------
# digit checking with the identities (tables/ocr_check), on a hand-made OCR table 4


def _t4_extraction(readings: dict[tuple[str, str], tuple[str, float, tuple[str, ...]]]):
    """Table 4 as the grid reader leaves it, each cell backed by an OCR reading."""
    from govreport_dagster.core.model import DecodedDocument, Grid, GridCell, OcrCellInfo, TableCell, TableExtraction

    rows, cols = (
        ["review", "litigation_direct", "litigation_after_review"],
        ["upheld", "corrected", "other", "pending", "total"],
    )
    cells, ocr = [], {}
    grid_rows = []
    for r, row in enumerate(rows):
        grid_rows.append([])
        for c, col in enumerate(cols):
            text, conf, cands = readings.get((row, col), ("0", 0.999, ("0",)))
            grid_rows[-1].append(GridCell(text, r, c, r, c))
            ocr[(r, c)] = OcrCellInfo(conf, cands)
            cells.append(TableCell("t4", row, col, float(text), "number", text, "grid", f"grid:0:r{r}c{c}"))
    doc = DecodedDocument("x.png", "image", None, "simplified", "", "", [Grid(grid_rows, "ocr", ocr=ocr)], {})
    return doc, TableExtraction("2021", cells=cells)


def test_ocr_cells_are_checked_with_the_identities() -> None:
    from govreport_dagster.core.tables.ocr_check import apply_ocr_readings

    doc, ext = _t4_extraction(
        {
            # readings disagree (2 or 7): only 2 makes 1+2+0+0 = 3 hold → published, inferred
            ("review", "upheld"): ("1", 0.999, ("1",)),
            ("review", "corrected"): ("7", 0.95, ("7", "2")),
            ("review", "total"): ("3", 0.999, ("3",)),
            # sure but contradicted (4 ≠ 5), confidence below TRUSTED → null with the reading
            ("litigation_direct", "upheld"): ("4", 0.95, ("4",)),
            ("litigation_direct", "total"): ("5", 0.999, ("5",)),
            # unsure reading, no identity can single it out (the total is unsure as well) → null
            ("litigation_after_review", "upheld"): ("6", 0.5, ("6",)),
            ("litigation_after_review", "total"): ("8", 0.6, ("8", "3")),
        }
    )
    apply_ocr_readings(doc, ext)
    got = {(c.row_key, c.col_key): c for c in ext.cells}
    assert all(c.cell_state == "ocr" and c.confidence is not None for c in ext.cells)
    review = got[("review", "corrected")]
    assert review.value == 2 and review.inferred and "identities allow" in (review.note or "")
    direct = got[("litigation_direct", "upheld")]
    assert direct.value is None and "contradicts t4_block_total" in (direct.note or "")
    assert got[("litigation_direct", "total")].value == 5  # near-certain, row clean: as printed
    assert any("published as printed" in w for w in ext.warnings)
    assert got[("litigation_after_review", "upheld")].value is None
    assert got[("litigation_after_review", "total")].value is None
    assert ext.ambiguous["t4.litigation_after_review.total"] == ["8", "3"]
    assert got[("review", "upheld")].value == 1 and not got[("review", "upheld")].inferred


def test_unusable_pdf_text_layers_are_recognised() -> None:
    from govreport_dagster.core.decode.ocr import needs_ocr_reason

    assert needs_ocr_reason([], {"needs_ocr": True}) == "no text layer"
    garbage = ["(cid:12)(cid:7)(cid:99) 2023 (cid:3)(cid:4)"]
    assert "unmapped glyphs" in (needs_ocr_reason(garbage, {}) or "")
    assert needs_ocr_reason(["一、总体情况 (cid:3) 本年度"], {}) is None


def test_sibling_reader_stays_in_the_page_folder(tmp_path: Path) -> None:
    from govreport_dagster.storage.landing import sibling_reader

    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "t3.png").write_bytes(b"png")
    (tmp_path.parent / "outside.png").write_bytes(b"secret")
    read = sibling_reader(str(tmp_path / "report.html"))
    assert read("img/t3.png") == b"png"
    assert read("../outside.png") is None and read(str(tmp_path.parent / "outside.png")) is None
    assert read("http://example.invalid/t3.png") is None and read("missing.png") is None


def test_pictures_without_a_table_are_dropped_unread() -> None:
    import base64

    from govreport_dagster.core.decode.ocr.embedded import EmbeddedImage, resolve_images

    logo = _png(Image.new("L", (300, 300), 255))
    steps: list[str] = []
    inline = EmbeddedImage("data:image/png;base64," + base64.b64encode(logo).decode())
    assert resolve_images(["text", inline, EmbeddedImage("http://x.invalid/a.png")], None, steps) == ["text"]
    assert steps == []


@pytest.mark.slow
def test_img_tables_in_html_and_docx_are_read(tmp_path: Path) -> None:
    import base64

    import docx

    from govreport_dagster.storage.landing import sibling_reader

    png = _table3_head_rows()
    inline = "data:image/png;base64," + base64.b64encode(png).decode()
    html = f"<html><body><p>三、收到和处理政府信息公开申请情况</p><img src='{inline}'><img src='t3.png'></body></html>"
    (tmp_path / "t3.png").write_bytes(png)
    page = tmp_path / "r.html"
    page.write_text(html, encoding="utf-8")
    doc = decode_file(page.read_bytes(), str(page), resources=sibling_reader(str(page)))
    assert [g.source for g in doc.tables] == ["ocr", "ocr"]  # the data: URI and the file beside
    assert doc.tables[1].rows[0][1].text == "21"

    document = docx.Document()
    document.add_paragraph("三、收到和处理政府信息公开申请情况")
    document.add_picture(io.BytesIO(png))
    buf = io.BytesIO()
    document.save(buf)
    doc = decode_file(buf.getvalue(), "r.docx")
    assert [g.source for g in doc.tables] == ["ocr"] and doc.tables[0].rows[1][7].text == "0"


def test_ocr_readings_survive_the_decoded_stage_codec() -> None:
    from govreport_dagster.core.model import Grid, GridCell, OcrCellInfo

    grid = Grid([[GridCell("7", 0, 0, 0, 0)]], "ocr", 3, 4, 2, ocr={(0, 0): OcrCellInfo(0.93, ("7", "1"))})
    assert Grid.from_dict(json.loads(json.dumps(grid.to_dict()))) == grid
    plain = Grid([[GridCell("7", 0, 0, 0, 0)]], "html")
    assert "ocr" not in plain.to_dict() and Grid.from_dict(plain.to_dict()) == plain


def test_label_misreads_snap_to_the_template_only_when_unmistakable() -> None:
    from govreport_dagster.core.decode.ocr.labels import snap_label

    # look-alikes OCR produced on the corpus scans (申→中, 一→·, （一）→(-))
    assert snap_label("一、本年新收政府信息公开中请数量") == "一、本年新收政府信息公开申请数量"
    assert snap_label("3.危及“三安全·稳定”") == "3.危及“三安全一稳定”"
    assert snap_label("(-)予以公开") == "（一）予以公开"
    assert snap_label("一、本年新收政府信息公开申请数量") is None  # already a template label
    assert snap_label("3119") is None and snap_label("白然人") is None  # numbers, short labels
    assert snap_label("行政事业性收费") is None  # text the template does not declare: left alone


@pytest.mark.slow
def test_ocr_benchmark_counts_pages_and_cells() -> None:
    from govreport_dagster.reporting.ocr_benchmark import measure_ocr

    result = measure_ocr([("t3.png", _table3_head_rows())])
    assert (result.files, result.pages, result.cells) == (1, 1, 16) and result.seconds > 0 < result.cpu_seconds
    assert result.line().startswith("ocr: 1 pages (1 files, 16 table cells) in ") and "CPU s a page" in result.line()
