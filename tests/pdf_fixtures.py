"""Builders for generated PDF fixtures of the grid path and of bad input.

`make_report_pdf` lays out a report with reportlab's platypus the way real producers do: a
running header and a page number on every page, table 3 ruled, its rowspan labels, a label
wrapped over lines, and the table continuing on the next page with its header printed again.
`make_raw_pdf` writes a PDF by hand, for what reportlab will not produce (a CID font without
a Unicode map: the `(cid:0)` text layer; hundreds of pages cheaply).
"""

from __future__ import annotations

import io

T3_HEADER = [
    ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "", "", "申请人情况", "", ""],
    ["", "", "", "自然人", "法人或其他组织", "总计"],
]
# (group label, sub label, values); the group label spans its sub-rows
T3_BODY = [
    ("一、本年新收政府信息公开申请数量", None, ["7", "2", "9"]),
    ("二、上年结转政府信息公开申请数量", None, ["1", "0", "1"]),
]
RUNNING_HEADER = "某某县人民政府2023年政府信息公开工作年度报告"


def _styles():
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=10, leading=14, wordWrap="CJK")
    return body


def t3_rows(rows: int, wrapped_label: str) -> list[tuple[str, list[str]]]:
    """(sub label, values) of the outcome rows; row 2's label wraps over lines."""
    return [(wrapped_label if i == 1 else f"{i + 1}.其他情形{i + 1}", [str(i), "0", str(i)]) for i in range(rows)]


WRAPPED_LABEL = "没有现成信息需要另行制作的申请数量共计"


def make_report_pdf(
    rows: int = 12, split: int = 8, wrapped_label: str = WRAPPED_LABEL, browser_cut: bool = False
) -> bytes:
    """A report whose table 3 crosses a page break after `split` outcome rows, the way word
    processors print it: the header printed again, the group labels' cells drawn empty. With
    `browser_cut`, the way browsers print it: no header again, and no rule above the first
    row on the new page."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    body = _styles()

    def chrome(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("STSong-Light", 9)
        canvas.drawCentredString(A4[0] / 2, A4[1] - 30, RUNNING_HEADER)
        canvas.drawCentredString(A4[0] / 2, 25, f"- {doc.page} -")
        canvas.restoreState()

    def part(outcomes: list[tuple[str, list[str]]], labels: tuple[str, str], with_body: bool) -> Table:
        if browser_cut and not with_body:
            data: list[list] = []
            style = [
                ("FONT", (0, 0), (-1, -1), "STSong-Light", 9),
                ("LINEBEFORE", (0, 0), (-1, -1), 0.6, colors.black),
                ("LINEAFTER", (-1, 0), (-1, -1), 0.6, colors.black),
                ("LINEBELOW", (0, 0), (-1, -1), 0.6, colors.black),
            ]
            for sub, values in outcomes:
                data.append(["", "", Paragraph(sub, body), *values])
            style += [("SPAN", (0, 0), (0, len(data) - 1)), ("SPAN", (1, 0), (1, len(data) - 1))]
            return Table(data, colWidths=[60, 60, 110, 60, 80, 50], style=TableStyle(style))
        data = [list(r) for r in T3_HEADER]
        style = [
            ("FONT", (0, 0), (-1, -1), "STSong-Light", 9),
            ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
            ("SPAN", (0, 0), (2, 1)),
            ("SPAN", (3, 0), (5, 0)),
        ]
        for label, _sub, values in T3_BODY if with_body else []:
            style.append(("SPAN", (0, len(data)), (2, len(data))))
            data.append([label, "", "", *values])
        first = len(data)
        for sub, values in outcomes:
            group = [Paragraph(label, body) if len(data) == first else "" for label in labels]
            data.append([*group, Paragraph(sub, body), *values])
        style += [("SPAN", (0, first), (0, len(data) - 1)), ("SPAN", (1, first), (1, len(data) - 1))]
        header = Paragraph(T3_HEADER[0][0], body)
        data[0][0] = header
        return Table(data, colWidths=[60, 60, 110, 60, 80, 50], style=TableStyle(style))

    outcomes = t3_rows(rows, wrapped_label)
    story = [Paragraph(RUNNING_HEADER, body), Paragraph("一、总体情况", body)]
    story += [Paragraph("本县全年主动公开政府信息一百条，依法办理申请。" * 3, body) for _ in range(4)]
    story += [Spacer(1, 12), Paragraph("三、收到和处理政府信息公开申请情况", body)]
    story += [part(outcomes[:split], ("三、本年度办理结果", "（四）无法提供"), True), PageBreak()]
    story += [part(outcomes[split:], ("", ""), False)]
    story += [Paragraph("四、政府信息公开行政复议、行政诉讼情况", body)]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, topMargin=60, bottomMargin=50).build(
        story, onFirstPage=chrome, onLaterPages=chrome
    )
    return buf.getvalue()


def make_raw_pdf(pages: list[bytes], *, cid_font: bool = False) -> bytes:
    """A hand-written PDF: one content stream per page; with `cid_font`, text is shown in an
    Identity-H CID font without a ToUnicode map (a text layer that decodes to `(cid:n)`)."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")  # F2: plain, mapped
    font_ref = b"/Resources << /Font << /F2 3 0 R >> >>"
    if cid_font:
        base = len(objects) + 1
        objects.append(
            b"<< /Type /Font /Subtype /Type0 /BaseFont /HiddenCJK /Encoding /Identity-H /DescendantFonts [%d 0 R] >>"
            % (base + 1)
        )
        objects.append(
            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /HiddenCJK /CIDSystemInfo "
            b"<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /DW 1000 >>"
            % (base + 2)
        )
        objects.append(
            b"<< /Type /FontDescriptor /FontName /HiddenCJK /Flags 4 /FontBBox [0 0 1000 1000] "
            b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>"
        )
        font_ref = b"/Resources << /Font << /F1 %d 0 R /F2 3 0 R >> >>" % base
    kids = []
    for content in pages:
        stream_no = len(objects) + 1
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R %s >>"
        objects.append(page % (stream_no, font_ref))
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def latin_text_page(text: str = "Annual report 2023: this page has a real text layer.") -> bytes:
    """A content stream with readable text in the mapped font F2."""
    return f"BT /F2 12 Tf 72 760 Td ({text}) Tj ET".encode()


def cid_text_page(glyphs: int = 60) -> bytes:
    """A content stream drawing `glyphs` glyph ids in the unmapped CID font, in lines."""
    lines = []
    for row in range(0, glyphs, 20):
        ids = "".join(f"{0x0100 + row + i:04X}" for i in range(min(20, glyphs - row)))
        lines.append(f"BT /F1 12 Tf 72 {760 - row} Td <{ids}> Tj ET")
    return "\n".join(lines).encode()
