"""A page image → decoder blocks: text lines outside tables, and each ruled table as a grid
whose cells were read one by one (with their OCR confidence)."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import numpy as np

from govreport_dagster.core.decode.grids import RawGrid
from govreport_dagster.core.decode.ocr.cells import CellReading, looks_numeric, read_cells
from govreport_dagster.core.decode.ocr.engine import OcrEngine, TextLine
from govreport_dagster.core.decode.ocr.labels import snap_label
from govreport_dagster.core.decode.ocr.structure import TableBox, find_tables
from govreport_dagster.core.model import GridCell, OcrCellInfo, RejectedInput

MAX_PIXELS = 40_000_000  # ~A0 at 150 dpi; beyond this an image is a bomb or a poster, not a page
_INSET = 3  # pixels cut from each cell side so the ruling lines are not read as 1 or 一
_MIN_TEXT_CONFIDENCE = 0.5  # page text below this is noise (stamps, specks), not report text
_INK = 160
_MIN_INK_PX = 50  # fewer dark pixels outside the tables than one small character: no text


def too_large_reason(width: int, height: int) -> str | None:
    """Why an image of these declared dimensions is refused before decoding (None: it is not).
    A few KB of PNG can declare 30000×30000 pixels: decoding it would take gigabytes."""
    if width * height <= MAX_PIXELS:
        return None
    pixels = f"{width}×{height} = {width * height:,} pixels"
    return f"image too large: {pixels} exceeds the cap of {MAX_PIXELS:,} (decompression bomb)"


def load_image(data: bytes) -> np.ndarray:
    """Grayscale pixels of a PNG/JPEG/…; RejectedInput for a corrupt or oversized image. The
    size is checked on the header alone (`Image.open` reads no pixel), before any decoding."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            refused = too_large_reason(*image.size)
            if refused:
                raise RejectedInput(refused)
            return np.asarray(image.convert("L"))
    except RejectedInput:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own header check, beyond ~179 M pixels
        declared = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = f"{int(declared.group(1)):,} pixels" if declared else "its declared size"
        reason = f"image too large: {pixels} exceeds the cap of {MAX_PIXELS:,} (decompression bomb)"
        raise RejectedInput(reason) from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise RejectedInput(f"corrupt image: {type(exc).__name__}: {str(exc)[:120]}") from exc


def _grid(table: TableBox, readings: dict[tuple[int, int], tuple[str, OcrCellInfo]], page_no: int) -> RawGrid:
    n_rows, n_cols = len(table.ys) - 1, len(table.xs) - 1
    slots: dict[tuple[int, int], GridCell] = {}
    for cell in table.cells:
        text = readings[(cell.row, cell.col)][0]
        for dr in range(cell.rowspan):
            for dc in range(cell.colspan):
                slots[(cell.row + dr, cell.col + dc)] = GridCell(
                    text, cell.row + dr, cell.col + dc, cell.row, cell.col, cell.rowspan, cell.colspan
                )
    rows = [[slots.get((r, c)) or GridCell("", r, c, r, c) for c in range(n_cols)] for r in range(n_rows)]
    ocr = {key: info for key, (text, info) in readings.items() if text}
    return RawGrid(rows, "ocr", page=page_no, ocr=ocr)


def _read_tables(engine: OcrEngine, gray: np.ndarray, tables: list[TableBox], page_no: int) -> list[RawGrid]:
    crops = [
        gray[c.y0 + _INSET : max(c.y0 + _INSET, c.y1 - _INSET), c.x0 + _INSET : max(c.x0 + _INSET, c.x1 - _INSET)]
        for t in tables
        for c in t.cells
    ]
    readings = iter(read_cells(engine, crops))
    grids = []
    for table in tables:
        by_slot = {}
        for cell in table.cells:
            r = next(readings)
            snapped = snap_label(r.text)
            if snapped is not None:  # a label misread by a look-alike character
                r = CellReading(snapped, r.confidence, (snapped, *r.candidates))
            by_slot[(cell.row, cell.col)] = (r.text, OcrCellInfo(r.confidence, r.candidates))
        table = _absorb_empty_label_cells(table, {k: v[0] for k, v in by_slot.items()})
        grids.append(_grid(table, by_slot, page_no))
    return grids


def _absorb_empty_label_cells(table: TableBox, texts: dict[tuple[int, int], str]) -> TableBox:
    """An empty cell in a column of labels, right of a label on the same row band, is the
    label's own space (（六）其他处理 printed over two label columns with a rule between):
    merged into the label, so the row's values are not shifted by an empty value."""
    label_cols: set[int] = set()
    for col in {c.col for c in table.cells}:
        filled = [t for (_, c), t in texts.items() if c == col and t]
        if filled and sum(not looks_numeric(t) for t in filled) * 2 > len(filled):
            label_cols.add(col)
    cells = {(c.row, c.col): c for c in table.cells}
    for (row, col), cell in sorted(cells.items()):
        if texts.get((row, col)) or col not in label_cols:
            continue
        left = next((c for c in cells.values() if c.x1 == cell.x0 and (c.y0, c.y1) == (cell.y0, cell.y1)), None)
        if left is None or not texts.get((left.row, left.col)) or looks_numeric(texts[(left.row, left.col)]):
            continue
        cells[(left.row, left.col)] = replace(left, colspan=left.colspan + cell.colspan, x1=cell.x1)
        del cells[(row, col)]
    return replace(table, cells=tuple(sorted(cells.values(), key=lambda c: (c.row, c.col))))


def _outside_lines(engine: OcrEngine, gray: np.ndarray, tables: list[TableBox]) -> list[TextLine]:
    blanked = gray.copy()
    for t in tables:
        x0, y0, x1, y1 = t.bbox
        blanked[max(0, y0 - 2) : y1 + 3, max(0, x0 - 2) : x1 + 3] = 255
    if np.count_nonzero(blanked < _INK) < _MIN_INK_PX:
        return []  # nothing but the tables (an image of a table): skip text detection
    lines = [line for line in engine.find_text(blanked) if line.confidence >= _MIN_TEXT_CONFIDENCE]
    return sorted(lines, key=lambda line: (line.box[1], line.box[0]))


def _join_rows(lines: list[TextLine]) -> list[tuple[int, str]]:
    """(top, text) of each printed line: text boxes overlapping vertically, left to right."""
    rows: list[list[TextLine]] = []
    for line in lines:
        if rows and line.box[1] < (rows[-1][0].box[1] + rows[-1][0].box[3]) / 2:
            rows[-1].append(line)
        else:
            rows.append([line])
    return [(row[0].box[1], " ".join(t.text for t in sorted(row, key=lambda t: t.box[0]))) for row in rows]


def page_blocks(engine: OcrEngine, gray: np.ndarray, page_no: int = 1) -> list[str | RawGrid]:
    """Text and grids of one page image in reading order (top to bottom)."""
    tables = find_tables(gray)
    grids = _read_tables(engine, gray, tables, page_no)
    items: list[tuple[int, str | RawGrid]] = []
    items.extend(_join_rows(_outside_lines(engine, gray, tables)))
    items.extend((t.top, g) for t, g in zip(tables, grids, strict=True))
    items.sort(key=lambda item: item[0])
    blocks: list[str | RawGrid] = []
    for _, item in items:
        if isinstance(item, str) and blocks and isinstance(blocks[-1], str):
            blocks[-1] += "\n" + item
        else:
            blocks.append(item)
    return blocks
