"""Shared test builders and paths: the one module tests import helpers from (no test module
imports another). Nothing here reads ../shared: the sample reports and the corpus are
bundled in the repo (data/sample, tests/fixtures/corpus)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

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
