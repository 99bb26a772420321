"""Unruled PDF tables as grids from word positions (issue 13): columns by x, wrapped labels
joined, stacked group labels left out, prose never a table; the Chromium print of
html/007.html without borders read cell for cell through the grid path."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pdfplumber
import pytest

from govreport_dagster.core.decode import decode_file
from govreport_dagster.core.decode.pdf import extract_pdf
from govreport_dagster.core.decode.pdf_words import word_tables

PRINTED = Path(__file__).resolve().parent / "fixtures" / "corpus_pdf" / "printed"
VALUE_X = (296, 336, 373, 410, 447, 484, 518)


def _unruled_pdf() -> bytes:
    """A heading, a sentence with a number, then an unruled table: a row with its label on its
    line, a label wrapped over two lines around its values, a group label printed one
    character a line left of a row label, a row label continued below its values."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(612, 792))
    c.setFont("STSong-Light", 11)

    def put(x: float, top: float, text: str) -> None:
        c.drawString(x, 792 - top - 10, text)

    put(65, 100, "三、收到和处理政府信息公开申请情况，本年度共收到 70 件申请和其他事项的说明文字")

    def values(top: float, printed: str) -> None:
        for x, v in zip(VALUE_X, printed.split(), strict=True):
            put(x, top, v)

    put(55, 160, "一、本年新收政府信息公开申请数量")
    values(160, "64 0 0 2 0 4 70")
    put(55, 190, "二、上年结转政府信息公开申请数")
    values(201, "0 0 0 0 0 0 0")
    put(55, 212, "量")
    for top, chars in ((240, "不"), (262, "予"), (284, "公")):
        put(114, top, chars)
    put(177, 240, "1.属于国家秘密")
    values(240, "1 0 0 0 0 0 1")
    put(177, 280, "2.其他法律行政法")
    values(291, "0 0 0 0 0 0 0")
    put(177, 302, "规禁止公开")
    put(65, 360, "四、政府信息公开行政复议、行政诉讼情况的说明文字写满整行不是表格")
    c.showPage()
    c.save()
    return buf.getvalue()


def test_unruled_table_rows_from_word_positions() -> None:
    with pdfplumber.open(io.BytesIO(_unruled_pdf())) as pdf:
        found = word_tables(pdf.pages[0], 1)
    assert len(found) == 1
    table, chars = found[0]
    rows = [[c.text for c in row] for row in table.grid.rows]
    assert rows == [
        ["一、本年新收政府信息公开申请数量", "64", "0", "0", "2", "0", "4", "70"],
        ["二、上年结转政府信息公开申请数量", "0", "0", "0", "0", "0", "0", "0"],
        ["1.属于国家秘密", "1", "0", "0", "0", "0", "0", "1"],
        ["2.其他法律行政法规禁止公开", "0", "0", "0", "0", "0", "0", "0"],
    ]
    placed = "".join(ch["text"] for ch in chars)
    assert "不" not in placed and "说明" not in placed  # the stacked group label and prose stay text
    assert "一、本年新收" in (table.grid.text_layer or "")  # the area as the text-line reader reads it


def test_prose_and_headings_stay_text() -> None:
    blocks, _ = extract_pdf(_unruled_pdf())
    text = "\n".join(b for b in blocks if isinstance(b, str))
    assert "本年度共收到 70 件申请" in text and "四、政府信息公开行政复议" in text
    assert "不\n予\n公" in text  # the stacked group label, left out of the grid


def test_chromium_print_without_borders_reads_through_the_word_grid() -> None:
    from govreport_dagster.core.sectioning import section_report
    from govreport_dagster.core.tables import extract_tables

    data = (PRINTED / "007_unruled.pdf").read_bytes()
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        assert not any(page.find_tables() for page in pdf.pages[2:6])  # no ruling: words only
    doc = decode_file(data, "007_unruled.pdf")
    assert len(doc.tables) >= 6 and all(g.source == "pdf" and g.text_layer for g in doc.tables)
    tables = extract_tables(doc, section_report(doc))
    assert Counter(c.source for c in tables.cells) == {"grid": 200}  # the grid path, every cell
    assert not any("text layer" in w for w in tables.warnings)  # both readings agree
    gold = json.loads((PRINTED / "007_unruled.gold.json").read_text(encoding="utf-8"))
    got = {(c.table_id, c.row_key, c.col_key): c.value for c in tables.cells}
    for tid in ("t2", "t3", "t4"):
        for row, cols in gold[tid].items():
            for col, value in cols.items():
                assert got[(tid, row, col)] == pytest.approx(float(value)), (tid, row, col)
