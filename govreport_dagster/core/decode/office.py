"""Legacy Office files: Word 97–2003 `.doc` and spreadsheets (`.xls`, `.xlsx`).

- `.doc`: LibreOffice headless converts it to DOCX, which the DOCX reader reads (tables with
  their merged cells). antiword was tried first: it loses the body rows of tables with merged
  cells (table 3 came out as its header only), so it is not used. The conversion is the one
  subprocess of the decode stage: deterministic, its own throw-away profile (parallel runs do
  not share LibreOffice's lock), a timeout, and a `RejectedInput` naming what went wrong.
- `.xls` (xlrd) / `.xlsx` (openpyxl): every sheet is split into text lines (a row holding one
  cell) and tables (runs of rows holding several cells, or a cell merged over several
  columns), each table a grid with the sheet's merged cells as spans — the shape the HTML and
  DOCX readers give, read by the same template-driven grid reader. The engines are used
  directly rather than through pandas because pandas drops merged ranges.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from govreport_dagster.core.decode.grids import RawGrid
from govreport_dagster.core.decode.pdf_grid import join_wrapped_lines
from govreport_dagster.core.model import GridCell, RejectedInput

CONVERT_TIMEOUT_S = 120
MAX_SHEET_CELLS = 200_000  # a statistics annex has a few hundred; bounded memory otherwise


# --------------------------------------------------------------------------------------
# .doc


def soffice_binary() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def doc_to_docx(data: bytes, *, timeout: float = CONVERT_TIMEOUT_S) -> bytes:
    """The `.doc` converted to DOCX by LibreOffice headless. Raises RejectedInput."""
    binary = soffice_binary()
    if binary is None:
        raise RejectedInput(".doc needs LibreOffice (Debian libreoffice-writer-nogui), not installed here")
    with tempfile.TemporaryDirectory(prefix="govreport-doc-") as tmp:
        work = Path(tmp)
        (work / "in.doc").write_bytes(data)
        command = [
            binary,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--infilter=MS Word 97",  # never fall back to importing the bytes as plain text
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            str(work / "out"),
            str(work / "in.doc"),
        ]
        try:
            subprocess.run(command, capture_output=True, timeout=timeout, check=False, cwd=work)
        except subprocess.TimeoutExpired as exc:
            raise RejectedInput(f"unreadable .doc: LibreOffice did not finish within {timeout:.0f} s") from exc
        out = work / "out" / "in.docx"
        if not out.is_file() or out.stat().st_size == 0:
            raise RejectedInput(
                "unreadable .doc (damaged or not a Word 97–2003 document): LibreOffice could not open it"
            )
        return out.read_bytes()


def _check_word_container(data: bytes) -> None:
    """A `.doc` whose OLE2 directory cannot be read, or that has no WordDocument stream, is
    damaged: said at once, without starting LibreOffice."""
    import olefile

    try:
        with olefile.OleFileIO(data) as ole:
            has_text = ole.exists("WordDocument")
    except Exception as exc:  # olefile raises several types on damaged directories
        raise RejectedInput(f"unreadable .doc (damaged): no readable OLE2 directory ({type(exc).__name__})") from exc
    if not has_text:
        raise RejectedInput("unreadable .doc (damaged): the OLE2 file has no WordDocument stream")


def extract_doc(data: bytes, *, max_uncompressed: int) -> list[str | RawGrid]:
    from govreport_dagster.core.decode.docx import extract_docx

    _check_word_container(data)
    blocks = extract_docx(doc_to_docx(data), max_uncompressed=max_uncompressed)
    return [RawGrid(b.rows, "doc", b.page) if isinstance(b, RawGrid) else b for b in blocks]


# --------------------------------------------------------------------------------------
# .xls / .xlsx


@dataclass
class Sheet:
    """A sheet's non-empty cells as text and its merged ranges (0-based, end exclusive)."""

    name: str
    cells: dict[tuple[int, int], str] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, r1, c0, c1


def cell_text(value: object) -> str:
    """A spreadsheet value as printed: 64.0 → "64", 24252.311082 stays as stored."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    return join_wrapped_lines([line.strip() for line in str(value).splitlines() if line.strip()])


def read_xls(data: bytes) -> list[Sheet]:
    import xlrd

    try:
        with open(os.devnull, "w") as quiet:  # xlrd prints sector-size warnings to stdout
            book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True, logfile=quiet)
    except Exception as exc:  # xlrd raises XLRDError, CompDocError, struct/Index errors on damage
        raise RejectedInput(f"unreadable .xls (damaged): {type(exc).__name__}: {str(exc)[:120]}") from exc
    sheets = []
    try:
        for index in range(book.nsheets):
            raw = book.sheet_by_index(index)
            _check_size(raw.nrows * raw.ncols, raw.name)
            sheet = Sheet(raw.name, merges=[tuple(m) for m in raw.merged_cells])
            for r in range(raw.nrows):
                for c, cell in enumerate(raw.row(r)):
                    text = cell_text(cell.value) if cell.ctype not in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_ERROR) else ""
                    if text:
                        sheet.cells[(r, c)] = text
            sheets.append(sheet)
    except RejectedInput:
        raise
    except Exception as exc:
        raise RejectedInput(f"unreadable .xls (damaged): {type(exc).__name__}: {str(exc)[:120]}") from exc
    finally:
        book.release_resources()
    return sheets


def read_xlsx(data: bytes, max_uncompressed: int = 200_000_000) -> list[Sheet]:
    import openpyxl

    try:
        total = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except Exception as exc:
        raise RejectedInput(f"unreadable .xlsx (damaged zip): {type(exc).__name__}: {str(exc)[:120]}") from exc
    if total > max_uncompressed:  # checked from the zip directory, before anything is inflated
        raise RejectedInput(f"XLSX zip bomb: uncompressed size {total:,} bytes exceeds {max_uncompressed:,}")
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # zip, XML and openpyxl's own errors on damaged files
        raise RejectedInput(f"unreadable .xlsx (damaged): {type(exc).__name__}: {str(exc)[:120]}") from exc
    sheets = []
    for ws in book.worksheets:
        _check_size(ws.max_row * ws.max_column, ws.title)
        sheet = Sheet(ws.title)
        sheet.merges = [(m.min_row - 1, m.max_row, m.min_col - 1, m.max_col) for m in ws.merged_cells.ranges]
        for row in ws.iter_rows():
            for cell in row:
                text = cell_text(cell.value)
                if text:
                    sheet.cells[(cell.row - 1, cell.column - 1)] = text
        sheets.append(sheet)
    return sheets


def _check_size(cells: int, name: str) -> None:
    if cells > MAX_SHEET_CELLS:
        raise RejectedInput(f"spreadsheet too large: sheet {name!r} spans {cells:,} cells (limit {MAX_SHEET_CELLS:,})")


def extract_spreadsheet(data: bytes, kind: str, *, max_uncompressed: int = 200_000_000) -> list[str | RawGrid]:
    """Text lines and grids of every sheet, in sheet order."""
    sheets = read_xls(data) if kind == "xls" else read_xlsx(data, max_uncompressed)
    blocks: list[str | RawGrid] = []
    for sheet in sheets:
        blocks.extend(sheet_blocks(sheet, kind))
    return blocks


def _row_kinds(sheet: Sheet) -> dict[int, bool]:
    """row → tabular? A row is part of a table when it holds several cells or lies in a range
    merged over rows with such a row. A row of one cell is a line of text, also when merged
    across the sheet (an HTML page imported into a spreadsheet merges every paragraph)."""
    n_rows = max((r for r, _ in sheet.cells), default=-1) + 1
    per_row: dict[int, int] = {}
    for r, _c in sheet.cells:
        per_row[r] = per_row.get(r, 0) + 1
    tabular = {r: per_row.get(r, 0) >= 2 for r in range(n_rows)}
    for r0, r1, _c0, _c1 in sheet.merges:
        if r1 - r0 >= 2 and any(tabular.get(r) for r in range(r0, r1)):
            for r in range(r0, min(r1, n_rows)):
                tabular[r] = True
    return tabular


def sheet_blocks(sheet: Sheet, source: str) -> list[str | RawGrid]:
    tabular = _row_kinds(sheet)
    blocks: list[str | RawGrid] = []
    lines: list[str] = []
    run: list[int] = []
    for r in sorted(tabular):
        if tabular[r]:
            run.append(r)
            continue
        if run:
            blocks.extend(_flush(lines))
            blocks.append(_grid(sheet, run, source))
            lines, run = [], []
        text = " ".join(sheet.cells[(rr, c)] for rr, c in sorted(sheet.cells) if rr == r)
        if text:
            lines.append(text)
    if run:
        blocks.extend(_flush(lines))
        blocks.append(_grid(sheet, run, source))
        lines = []
    blocks.extend(_flush(lines))
    return blocks


def _flush(lines: list[str]) -> list[str]:
    return ["\n".join(lines)] if lines else []


def _grid(sheet: Sheet, rows: list[int], source: str) -> RawGrid:
    r_lo, r_hi = rows[0], rows[-1] + 1
    cols = [c for r, c in sheet.cells if r_lo <= r < r_hi]
    c_lo, c_hi = min(cols), max(cols) + 1
    for r0, r1, c0, c1 in sheet.merges:
        if r0 < r_hi and r1 > r_lo and c0 < c_hi and c1 > c_lo:
            c_lo, c_hi = min(c_lo, c0), max(c_hi, c1)
    slots: dict[tuple[int, int], GridCell] = {}
    for r0, r1, c0, c1 in sheet.merges:
        r0c, r1c = max(r0, r_lo), min(r1, r_hi)
        if r0c >= r1c:
            continue
        text = sheet.cells.get((r0, c0), "")
        for r in range(r0c, r1c):
            for c in range(c0, c1):
                slots[(r, c)] = GridCell(text, r - r_lo, c - c_lo, r0c - r_lo, c0 - c_lo, r1c - r0c, c1 - c0)
    grid = [
        [
            slots.get((r, c)) or GridCell(sheet.cells.get((r, c), ""), r - r_lo, c - c_lo, r - r_lo, c - c_lo)
            for c in range(c_lo, c_hi)
        ]
        for r in range(r_lo, r_hi)
    ]
    return RawGrid(_trim_right(grid), source)


def _trim_right(rows: list[list[GridCell]]) -> list[list[GridCell]]:
    """Drop the columns right of the last one where a cell starts with text (the reach of a
    title merged across the whole sheet is not table columns)."""
    width = 1 + max((c.col for row in rows for c in row if c.is_origin and c.text), default=0)
    return [
        [
            GridCell(c.text, c.row, c.col, c.origin_row, c.origin_col, c.rowspan, min(c.colspan, width - c.origin_col))
            for c in row[:width]
        ]
        for row in rows
    ]
