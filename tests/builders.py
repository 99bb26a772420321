"""Shared test builders and paths: the one module tests import helpers from (no test module
imports another). Nothing here reads ../shared: the sample reports and the corpus are
bundled in the repo (data/sample, tests/fixtures/corpus)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from govreport_dagster.core.ingest import IngestedFile, build_ledger, identify
from govreport_dagster.core.landing import LandingEntry
from govreport_dagster.core.model import (
    DecodedDocument,
    NarrativeMetric,
    RawFile,
    ReportBundle,
    ReportMetadata,
    Section,
    SectionedReport,
    TableCell,
    TableExtraction,
)
from govreport_dagster.core.templates import load_templates
from govreport_dagster.storage.cache import ResultCache
from govreport_dagster.storage.decoding import decode_landing

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
CORPUS = ROOT / "tests" / "fixtures" / "corpus"
SEED_YEARS = {"000": 2016, "001": 2019, "002": 2021, "003": 2024, "004": 2023}


def seed_path(prefix: str) -> Path:
    return next(SAMPLE.glob(f"{prefix}_*.txt"))


def ledger_rows(
    entries: Iterable[LandingEntry], cache: ResultCache, *, previous_uris: Iterable[str] = ()
) -> list[IngestedFile]:
    """What `decoded_documents` then `ingest_ledger` compute, without Dagster: decode every
    distinct content (cached), identify it, decide every file's ledger row."""
    entries = list(entries)
    hashes, outcomes = decode_landing(entries, cache)
    identifications = {o.sha256: identify(o) for o in outcomes}
    return build_ledger(entries, hashes, identifications, previous_uris=previous_uris)


# --------------------------------------------------------------------------------------
# A small bundle factory (no other stage needed): identities, facts, quality


def cells_from(table_id: str, grid: dict[str, dict[str, float | None]]) -> list[TableCell]:
    """{row: {col: value}} → cells; None is a blank cell, "/" a not-applicable one."""
    cells = []
    for row, cols in grid.items():
        for col, value in cols.items():
            if value is None:
                cells.append(TableCell(table_id, row, col, None, "blank", "", "text", "char:0"))
            elif value == "/":
                cells.append(TableCell(table_id, row, col, None, "not_applicable", "/", "text", "char:0"))
            else:
                cells.append(TableCell(table_id, row, col, float(value), "number", _raw(value), "text", "char:0"))
    return cells


def _raw(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def t3_grid(version: str, fill: float | None = 0, **rows: dict[str, float | None]) -> dict:
    """A whole table 3 of the layout with `fill` everywhere, overridden per row."""
    layout = load_templates().layout("t3", version)
    assert layout is not None
    grid = {r: dict.fromkeys(layout.column_keys, fill) for r in layout.row_keys}
    for row, cols in rows.items():
        grid[row].update(cols)
    return grid


def t4_grid(fill: float | None = 0) -> dict:
    layout = load_templates().layout("t4", "2021")
    assert layout is not None
    return {r: dict.fromkeys(layout.column_keys, fill) for r in layout.row_keys}


def make_bundle(
    report_id: str = "r1",
    year: int = 2021,
    agency: str | None = "某某镇人民政府",
    cells: list[TableCell] | None = None,
    narrative: list[NarrativeMetric] | None = None,
    layout: str | None = None,
    text: str = "一、总体情况\n正文",
    status: str = "ok",
    legacy=None,
    missing=None,
) -> ReportBundle:
    version = load_templates().version_for_year(year)
    layout = layout or version
    sections = [Section("overview", "一、总体情况", 1, 0, len(text), text)] if text else []
    return ReportBundle(
        report_id=report_id,
        report_year=year,
        raw=RawFile(f"landing/{year}/{report_id}.txt", len(text), "ab" * 32, "txt", folder_year=year),
        decoded=DecodedDocument(f"landing/{year}/{report_id}.txt", "txt", "utf-8", "simplified", text, text),
        sectioned=SectionedReport(
            ReportMetadata(title=f"{agency}{year}年政府信息公开工作年度报告", agency_name=agency, report_year=year),
            sections,
            version,
            layout,
            narrative or [],
            status,
        ),
        tables=TableExtraction(layout, cells or [], missing or [], legacy or []),
    )


def metric(key: str, value: float) -> NarrativeMetric:
    return NarrativeMetric(key, value, "件", f"共收到{int(value)}件", 0, 5)


def _t2_2021() -> list[TableCell]:
    return cells_from(
        "t2",
        {
            "rules": {"issued": 0, "repealed": 0, "in_force": 0},
            "normative_docs": {"issued": 2, "repealed": 0, "in_force": 9},
            "licensing": {"decisions": 0},
            "punishment": {"decisions": 24},
            "coercion": {"decisions": 1},
            "fees": {"amount_10k_yuan": 1.25},
        },
    )


def full_bundle(report_id="ok1", agency="某某镇人民政府", year=2021, t3=None, **kw):
    cells = _t2_2021() + cells_from("t3", t3 or t3_grid("2021")) + cells_from("t4", t4_grid())
    return make_bundle(report_id, year, agency, cells=cells, **kw)


# --------------------------------------------------------------------------------------
# Generated decode fixtures (PDF via reportlab, DOCX via python-docx)

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


# --------------------------------------------------------------------------------------
# PDFs of the grid path and of bad input (issue 13). `make_report_pdf` lays out a report with
# reportlab's platypus the way real producers do: a running header and a page number on every
# page, table 3 ruled, its rowspan labels, a label wrapped over lines, the table continuing on
# the next page. `make_raw_pdf` writes a PDF by hand, for what reportlab will not produce (a
# CID font without a Unicode map: the `(cid:0)` text layer; hundreds of pages cheaply).

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


def mutate_bytes(data: bytes, ops: list[tuple[int, int, int]]) -> bytes:
    """Bytes after `ops` (kind, position, value): 0 overwrite, 1 delete a run, 2 insert a
    run, 3 truncate; for the property tests that feed damaged files to the decoders."""
    buf = bytearray(data)
    for kind, pos, value in ops:
        if not buf:
            buf.append(value)
            continue
        i = pos % len(buf)
        if kind == 0:
            buf[i] = value
        elif kind == 1:
            del buf[i : i + value % 64 + 1]
        elif kind == 2:
            buf[i:i] = bytes([value]) * (value % 8 + 1)
        else:
            del buf[i:]
    return bytes(buf)


def pids_batch(batch: list) -> list[int]:
    """A batch function that answers which process ran each item (execution tests)."""
    return [os.getpid()] * len(batch)


def decoded_reports_frame(texts: list[str], year: int = 2021, id_prefix: str = "r", **overrides: list) -> pd.DataFrame:
    """A `decoded_reports` frame of plain-text reports (one per text, ids `<id_prefix><i>`),
    columns overridden."""
    n = len(texts)
    frame = pd.DataFrame(
        {
            "report_id": [f"{id_prefix}{i}" for i in range(n)],
            "report_year": [year] * n,
            "source_uri": [f"landing/{year}/r{i}.txt" for i in range(n)],
            "source_format": ["txt"] * n,
            "detected_encoding": ["utf-8"] * n,
            "original_script": ["simplified"] * n,
            "text": texts,
            "original_text": texts,
            "tables": ["[]"] * n,
            "pinyin_removed": [0] * n,
            "chrome_removed_chars": [0] * n,
            "needs_ocr": [False] * n,
            "mojibake": [None] * n,
        }
    )
    for column, values in overrides.items():
        frame[column] = values
    return frame
