"""Builders for the generated decode fixtures (PDF via reportlab, DOCX via python-docx)."""

from __future__ import annotations

import io

PDF_TABLE = [
    ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
    ["规章", "3", "0", "12"],
    ["行政规范性文件", "69", "3", "665"],
]


def make_pdf(with_table: bool = True, text: bool = True, fake_bold: bool = False, password: str | None = None) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas
    from reportlab.platypus import Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    encrypt = None
    if password:
        from reportlab.lib.pdfencrypt import StandardEncryption

        encrypt = StandardEncryption(password, ownerPassword=password + "-owner")
    c = canvas.Canvas(buf, pagesize=A4, encrypt=encrypt)
    width, height = A4
    if text:
        c.setFont("STSong-Light", 14)
        c.drawString(72, height - 72, "某某镇2023年政府信息公开工作年度报告")
        c.setFont("STSong-Light", 11)
        c.drawString(72, height - 100, "一、总体情况")
        c.drawString(72, height - 118, "本镇全年主动公开政府信息371条。")
        if fake_bold:  # the same glyph drawn twice, offset by a fraction of a point
            for dx in (0, 0.3):
                c.drawString(72 + dx, height - 136, "二、主动公开政府信息情况")
        else:
            c.drawString(72, height - 136, "二、主动公开政府信息情况")
    if with_table:
        table = Table(PDF_TABLE, colWidths=[120, 90, 90, 90])
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), "STSong-Light", 10),
                    ("GRID", (0, 0), (-1, -1), 0.8, colors.black),
                ]
            )
        )
        _w, h = table.wrapOn(c, width, height)
        table.drawOn(c, 72, height - 170 - h)
        if text:
            c.setFont("STSong-Light", 11)
            c.drawString(72, height - 200 - h, "三、收到和处理政府信息公开申请情况")
    if not text and not with_table:
        c.rect(100, 100, 200, 200, fill=1)  # an image-like page with no text layer
    c.showPage()
    c.save()
    return buf.getvalue()


def make_docx() -> bytes:
    """A paragraph, a table with a horizontal (gridSpan) and a vertical (vMerge) merge, a paragraph."""
    import docx

    document = docx.Document()
    document.add_paragraph("某某区人民政府2022年政府信息公開工作年度報告")
    document.add_paragraph("一、总体情况")
    table = document.add_table(rows=4, cols=3)
    table.style = "Table Grid"
    cells = [
        ["申请人情况", "", ""],
        ["", "自然人", "总计"],
        ["一、本年新收政府信息公开申请数量", "64", "70"],
        ["二、上年结转政府信息公开申请数量", "0", "0"],
    ]
    for r, row in enumerate(cells):
        for col, text in enumerate(row):
            if text:
                table.cell(r, col).text = text
    table.cell(0, 0).merge(table.cell(0, 2))  # gridSpan 3
    document.add_paragraph("二、主动公开政府信息情况")
    # vertical merge in a second table: a label spanning two rows
    t2 = document.add_table(rows=2, cols=2)
    t2.style = "Table Grid"
    t2.cell(0, 0).text = "三、本年度办理结果"
    t2.cell(0, 1).text = "(一)予以公开"
    t2.cell(1, 1).text = "(二)部分公开"
    t2.cell(0, 0).merge(t2.cell(1, 0))
    document.add_paragraph("六、其他需要报告的事项")
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()
