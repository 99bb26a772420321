"""Stage 1 on generated fixtures: encodings, HTML/PDF/DOCX grids, normalisation rules."""

from __future__ import annotations

import pytest
from builders import PDF_TABLE, make_docx, make_pdf

from govreport_dagster.core.decode import decode_file, detect_type, normalize_text
from govreport_dagster.core.model import RejectedInput

REPORT_TRAD = (
    "某某鎮2021年政府信息公開工作年度報告\n一、總體情況\n本年度主動公開政府信息371條。\n二、主動公開政府信息情況\n"
)
REPORT_SIMP = (
    "某某镇2021年政府信息公开工作年度报告\n一、总体情况\n本年度主动公开政府信息371条。\n二、主动公开政府信息情况"
)

GBK_HTML = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>某某镇2021年政府信息公开工作年度报告_信息公开_某某镇人民政府</title>
<script>var nav = "首页 > 信息公开";</script><style>.x{color:red}</style></head>
<body><div class="header"><a href="/">首页</a> <a href="/a">政务公开</a> <a href="/b">互动交流</a></div>
<div class="content">
<h1>某某镇2021年政府信息公开工作年度报告</h1>
<p>一、总体情况</p><p>本年度主动公开政府信息371条，同比增长１２％。</p>
<p>三、收到和处理政府信息公开申请情况</p>
<table border="1">
<tr><td rowspan="2" colspan="2">本列数据的勾稽关系</td><td colspan="3">申请人情况</td></tr>
<tr><td>自然人</td><td>法人或其他组织</td><td>总计</td></tr>
<tr><td colspan="2">一、本年新收政府信息公开申请数量</td><td>5</td><td>1</td><td>6</td></tr>
<tr><td rowspan="2">三、本年度办理结果</td><td>（一）予以公开</td><td>3</td><td>1</td><td>4</td></tr>
<tr><td>（二）部分公开</td><td>2</td><td>0</td><td>2</td></tr>
</table>
<p>四、政府信息公开行政复议、行政诉讼情况</p><p>无。</p>
</div>
<div class="footer"><p>主办：某某镇人民政府</p><p>ICP备12345678号</p></div>
</body></html>"""


def test_gbk_html_with_spans() -> None:
    data = GBK_HTML.encode("gbk")
    assert detect_type(data, "page.shtml") == "html"
    doc = decode_file(data, "landing/2022/page.shtml")
    assert doc.source_format == "html" and doc.detected_encoding == "gb18030"
    assert doc.text.startswith("某某镇2021年政府信息公开工作年度报告\n一、总体情况")
    assert "同比增长12%" in doc.text  # full-width digits and ％ mapped
    assert "var nav" not in doc.text and "color:red" not in doc.text
    assert "主办" not in doc.text and "ICP" not in doc.text and "互动交流" not in doc.text
    assert len(doc.tables) == 1
    grid = doc.tables[0]
    assert (grid.n_rows, grid.n_cols) == (5, 5)
    texts = grid.texts()
    assert texts[0] == ["本列数据的勾稽关系"] * 2 + ["申请人情况"] * 3
    assert texts[1][:2] == ["本列数据的勾稽关系"] * 2 and texts[1][2:] == ["自然人", "法人或其他组织", "总计"]
    assert texts[3] == ["三、本年度办理结果", "(一)予以公开", "3", "1", "4"]
    assert texts[4] == ["三、本年度办理结果", "(二)部分公开", "2", "0", "2"]
    corner = grid.rows[1][1]
    assert (corner.origin_row, corner.origin_col, corner.rowspan, corner.colspan) == (0, 0, 2, 2)
    assert not corner.is_origin and corner.merged
    # rendered in the text at the table's position, merged copies once
    span = doc.text[grid.char_start : grid.char_end]
    assert span.split("\n") == [
        "本列数据的勾稽关系 | 申请人情况",
        "自然人 | 法人或其他组织 | 总计",
        "一、本年新收政府信息公开申请数量 | 5 | 1 | 6",
        "三、本年度办理结果 | (一)予以公开 | 3 | 1 | 4",
        "(二)部分公开 | 2 | 0 | 2",
    ]
    assert doc.text.index("三、收到和处理政府信息公开申请情况") < grid.char_start
    assert doc.text.index("四、政府信息公开行政复议") > grid.char_end
    # the model round-trip keeps spans
    assert doc.tables_json().count("三、本年度办理结果") == 2


def test_html_meta_charset_and_utf8_mislabelled() -> None:
    html = "<html><head><meta charset='big5'></head><body><p>某某鎮政府信息公開年度報告</p></body></html>"
    doc = decode_file(html.encode("big5"), "a.html")
    assert doc.detected_encoding == "big5" and doc.text == "某某镇政府信息公开年度报告"
    assert doc.original_script == "traditional"
    # a page declaring gb2312 but served as UTF-8: the declaration fails to decode, UTF-8 wins
    mislabelled = html.replace("big5", "gb2312").encode("utf-8")
    doc = decode_file(mislabelled, "a.html")
    assert doc.detected_encoding == "utf-8" and doc.text == "某某镇政府信息公开年度报告"


def test_big5_text() -> None:
    data = REPORT_TRAD.encode("big5")
    assert detect_type(data, "r.txt") == "txt"
    doc = decode_file(data, "r.txt")
    assert doc.detected_encoding == "big5"
    assert doc.text == REPORT_SIMP
    assert doc.original_script == "traditional"
    assert doc.original_text == REPORT_TRAD


def test_gbk_text_reported_as_gb18030() -> None:
    doc = decode_file(REPORT_SIMP.encode("gb2312"), "r.txt")
    assert doc.detected_encoding == "gb18030" and doc.text == REPORT_SIMP
    assert doc.original_script == "simplified"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_and_without_bom(codec: str) -> None:
    data = REPORT_TRAD.encode(codec)
    assert detect_type(data, "r.txt") == "txt"
    doc = decode_file(data, "r.txt")
    assert doc.detected_encoding == "utf-16"
    assert doc.text == REPORT_SIMP


def test_utf16_html_sniffed() -> None:
    data = GBK_HTML.replace("gb2312", "utf-16").encode("utf-16")
    assert detect_type(data, "x.bin") == "html"
    doc = decode_file(data, "x.bin")
    assert doc.source_format == "html" and len(doc.tables) == 1


def test_mojibake_gbk_read_as_latin1_repaired() -> None:
    broken = "政府信息公开工作年度报告".encode("gbk").decode("latin-1")
    assert broken.startswith("Õþ¸®")
    data = ("2021年" + broken + "\n一、总体情况").encode("utf-8")
    doc = decode_file(data, "r.txt")
    assert doc.flags["mojibake"] == "repaired"
    assert doc.text.startswith("2021年政府信息公开工作年度报告")


@pytest.mark.parametrize("codec", ["latin-1", "cp1252"])
def test_mojibake_utf8_read_as_latin1_repaired(codec: str) -> None:
    broken = "年度报告".encode().decode(codec)
    assert "\ufffd" not in broken
    doc = decode_file(("2021 " + broken).encode("utf-8"), "r.txt")
    assert doc.flags["mojibake"] == "repaired" and doc.text == "2021 年度报告"


def test_latin_text_not_mistaken_for_mojibake() -> None:
    doc = decode_file("Café résumé — naïve façade".encode(), "r.txt")
    assert doc.flags["mojibake"] is None


def test_replacement_characters_flagged() -> None:
    doc = decode_file("政府信息\ufffd\ufffd公开".encode(), "r.txt")
    assert doc.flags["mojibake"] == "suspected" and doc.flags["replacement_chars"] == 2
    clean = decode_file("政府信息公开".encode(), "r.txt")
    assert clean.flags["mojibake"] is None


def test_pdf_text_layer_and_table() -> None:
    data = make_pdf()
    assert detect_type(data, "report.bin") == "pdf"
    doc = decode_file(data, "report.pdf")
    assert doc.source_format == "pdf" and doc.detected_encoding is None
    assert not doc.flags["needs_ocr"]
    lines = doc.text.split("\n")
    assert lines[:4] == [
        "某某镇2023年政府信息公开工作年度报告",
        "一、总体情况",
        "本镇全年主动公开政府信息371条。",
        "二、主动公开政府信息情况",
    ]
    assert lines[-1] == "三、收到和处理政府信息公开申请情况"
    assert len(doc.tables) == 1
    grid = doc.tables[0]
    assert grid.source == "pdf" and grid.page == 1
    assert grid.texts() == PDF_TABLE
    assert doc.text[grid.char_start : grid.char_end] == "\n".join(" | ".join(r) for r in PDF_TABLE)


def test_pdf_fake_bold_deduplicated() -> None:
    import io

    import pdfplumber

    data = make_pdf(fake_bold=True)
    with pdfplumber.open(io.BytesIO(data)) as pdf:  # the fixture really draws doubled glyphs
        assert "二二" in pdf.pages[0].extract_text()
    doc = decode_file(data, "bold.pdf")
    assert "二、主动公开政府信息情况" in doc.text.split("\n")


def test_pdf_without_text_layer_is_read_by_ocr() -> None:
    # a blank page: OCR runs (tests/test_ocr.py reads real scanned tables) and finds nothing, so
    # the document still needs a reader (ingest rejects it with pdf.py's reason)
    doc = decode_file(make_pdf(with_table=False, text=False), "scan.pdf")
    assert doc.flags["needs_ocr"] is True
    assert any(s.startswith("ocr: ") and "without a text layer" in s for s in doc.flags["steps"])
    assert "ocr: the engine read no text" in doc.flags["steps"]
    assert doc.text == "" and doc.tables == []


def test_docx_paragraphs_and_merged_tables() -> None:
    data = make_docx()
    assert detect_type(data, "r.docx") == "docx"
    doc = decode_file(data, "r.docx")
    assert doc.source_format == "docx" and doc.detected_encoding is None
    assert doc.text.startswith("某某区人民政府2022年政府信息公开工作年度报告\n一、总体情况\n")
    assert doc.text.endswith("六、其他需要报告的事项")
    assert len(doc.tables) == 2
    t1, t2 = doc.tables
    assert t1.source == "docx" and t1.texts()[0] == ["申请人情况"] * 3
    assert [c.colspan for c in t1.rows[0]] == [3, 3, 3]
    assert t1.texts()[2] == ["一、本年新收政府信息公开申请数量", "64", "70"]
    assert t2.texts() == [["三、本年度办理结果", "(一)予以公开"], ["三、本年度办理结果", "(二)部分公开"]]
    assert t2.rows[1][0].rowspan == 2 and not t2.rows[1][0].is_origin
    assert doc.text[t2.char_start : t2.char_end] == "三、本年度办理结果 | (一)予以公开\n(二)部分公开"
    assert doc.text.index("二、主动公开政府信息情况") < t2.char_start


# ------------------------------------------------------------------------------------------
# detect_type


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"%PDF-1.7\n...", "a.txt", "pdf"),
        (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 100, "a.doc", "doc"),
        (b"<!DOCTYPE html><html><body>x</body></html>", "a.txt", "html"),
        ("一、总体情况\n本年度".encode(), "a.html", "txt"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "a.pdf", "image"),
        (bytes(range(256)) * 4, "a.txt", "unknown"),
    ],
)
def test_detect_type(data: bytes, name: str, expected: str) -> None:
    assert detect_type(data, name) == expected


def test_detect_type_zip_without_word_is_zip() -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ppt/presentation.xml", "<x/>")  # (xl/workbook.xml is an .xlsx, read since issue 13)
    assert detect_type(buf.getvalue(), "a.docx") == "zip"
    with pytest.raises(RejectedInput, match="unsupported format"):
        decode_file(buf.getvalue(), "a.docx")


# ------------------------------------------------------------------------------------------
# normalize_text rules


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("城關鎮(zhèn)政府", "城关镇政府"),
        ("發（fā）布", "发布"),
        ("根據(jù)規(guī)定", "根据规定"),
        ("驢(lǘ)子", "驴子"),
        ("(一)予以公开", "(一)予以公开"),
        ("网站(http://www.gov.cn)公布", "网站(http://www.gov.cn)公布"),
        ("报告(2021)", "报告(2021)"),
        ("条例(以下简称《条例》)", "条例(以下简称《条例》)"),
        ("的(de)", "的(de)"),  # no tone mark: not a recognisable annotation
        ("项目(abc)", "项目(abc)"),
    ],
)
def test_pinyin_rules(raw: str, expected: str) -> None:
    assert normalize_text(raw)[0] == expected


def test_width_controls_and_lines() -> None:
    raw = "一、总体情况\r\n（一）数量：１２３\u3000件\u00a0，同比\u200b增长\x07\r第二行\t表格\n\n\n\n①②③、。“”〔〕《》"
    text, flags = normalize_text(raw)
    assert text == "一、总体情况\n(一)数量:123 件 ,同比增长\n第二行\t表格\n\n①②③、。“”〔〕《》"
    assert "width_and_controls" in flags["steps"] and flags["original_script"] == "simplified"


def test_normalize_keeps_lines_and_does_not_join() -> None:
    raw = "第一行  有   空格\n第二行\n  第三行缩进"
    assert normalize_text(raw)[0] == "第一行 有 空格\n第二行\n第三行缩进"


def test_normalize_idempotent() -> None:
    text, _ = normalize_text(REPORT_TRAD + "（一）")
    assert normalize_text(text)[0] == text
