"""Ruled PDF tables as grids (pdfplumber's table finder), in the same cell model as HTML/DOCX.

pdfplumber returns the drawn cells of a table (merged cells cover several grid lines, their
other positions are None). Each drawn cell becomes an origin `GridCell` with its row- and
colspan, its text joined over the lines it wraps on. Two things a drawn grid says differently
from the HTML of the same table are evened out here, so the template-driven grid reader in
`core/tables` sees one shape whatever the source:

- a label whose neighbour in a label column is an empty drawn cell (（六）其他处理 printed in
  the sub-label column's space, the border between them drawn anyway) is the colspan the
  HTML gives it: an empty label-column cell is not a blank value;
- a table that continues on the next page (with or without its header printed again) is
  one grid: the repeated header rows are dropped, a rowspan label cut by the page break
  continues, and the page chrome between the two parts (running header, page number) is
  not table text.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from govreport_dagster.core.decode.grids import RawGrid
from govreport_dagster.core.model import GridCell

MAX_GRID_CELLS = 50_000
_NUMBER_RE = re.compile(r"^[\s\-—–+]*[\d.,，%]+\s*(万?元|%|件|次|条|个)?\s*$")
_COORD_TOLERANCE = 1.0  # points: drawn lines of one border differ by rounding only
_SAME_COLUMNS_TOLERANCE = 3.0  # points: a continued table keeps its column borders
_MIN_CUT_BORDERS = 3  # a table row cut by a page break shows at least two cells' borders


@dataclass
class PdfTable:
    """A grid found on one page, with what a cross-page merge needs to know."""

    grid: RawGrid
    top: float
    bottom: float
    col_edges: list[float]  # x of every column border, left to right
    page_height: float


def _unique(coords: list[float]) -> list[float]:
    """Sorted coordinates with near-duplicates merged."""
    out: list[float] = []
    for x in sorted(coords):
        if not out or x - out[-1] > _COORD_TOLERANCE:
            out.append(x)
    return out


def _coord_index(values: list[float], x: float) -> int:
    i = bisect.bisect_left(values, x - _COORD_TOLERANCE)
    return min(i, len(values) - 1)


def is_number_text(text: str) -> bool:
    """A cell holding one printed count or amount (what a value column holds)."""
    return bool(text.strip()) and bool(_NUMBER_RE.match(text))


def _cell_texts(table) -> dict[tuple[float, float, float, float], str]:
    """Each drawn cell's text (pdfplumber assigns a character to the cell holding its
    centre), wrapped lines joined: a label wrapped over three lines is one label."""
    out: dict[tuple[float, float, float, float], str] = {}
    try:
        extracted = table.extract()
    except ValueError:  # a cell outside the page box (broken producers)
        return out
    for row, texts in zip(table.rows, extracted, strict=False):
        for bbox, text in zip(row.cells, texts, strict=False):
            if bbox is not None:
                lines = [" ".join(line.split()) for line in (text or "").split("\n")]
                out[tuple(bbox)] = join_wrapped_lines([line for line in lines if line])
    return out


def join_wrapped_lines(lines: list[str]) -> str:
    """The lines of one wrapped cell as one text. CJK lines join without a space (the break
    is the cell's width, not a word gap)."""
    out = ""
    for line in lines:
        if out and out[-1].isascii() and line[0].isascii() and out[-1].isalnum() and line[0].isalnum():
            out += " "
        out += line
    return out


def find_tables(page) -> list:
    """pdfplumber's tables of a page, with rows cut by a page break closed.

    A browser printing a table that crosses pages draws the cell borders down to the page's
    end and from the next page's top, but no horizontal rule there: without one the cut row's
    cells are not closed and the finder drops the row (and a rowspan column with it). Where
    several cell borders (vertical rules) begin above the first table found, or end below the
    last, a rule is added there and the page is searched again."""
    tables = page.find_tables()
    vertical = [e for e in page.edges if e["orientation"] == "v" and e["bottom"] - e["top"] > 2]
    if not vertical:
        return tables
    first_top = min((t.bbox[1] for t in tables), default=float("inf"))
    last_bottom = max((t.bbox[3] for t in tables), default=float("-inf"))
    top, bottom = min(e["top"] for e in vertical), max(e["bottom"] for e in vertical)
    closing = []
    if top < first_top - 2 and _borders_at(vertical, "top", top) >= _MIN_CUT_BORDERS:
        closing.append(top)
    if bottom > last_bottom + 2 and _borders_at(vertical, "bottom", bottom) >= _MIN_CUT_BORDERS:
        closing.append(bottom)
    return page.find_tables({"explicit_horizontal_lines": closing}) if closing else tables


def _borders_at(vertical: list[dict], end: str, y: float) -> int:
    """Distinct x positions of the vertical rules that begin (or end) at y."""
    return len(_unique([e["x0"] for e in vertical if abs(e[end] - y) <= _COORD_TOLERANCE]))


def table_to_grid(page, table, page_no: int) -> PdfTable | None:
    """One pdfplumber table → a `PdfTable` (None when it has no drawn cell or is too big)."""
    cells = [c for c in table.cells if c is not None]
    if not cells:
        return None
    xs = _unique([c[0] for c in cells] + [c[2] for c in cells])
    ys = _unique([c[1] for c in cells] + [c[3] for c in cells])
    n_cols, n_rows = len(xs) - 1, len(ys) - 1
    if n_cols < 1 or n_rows < 1 or n_cols * n_rows > MAX_GRID_CELLS:
        return None
    texts = _cell_texts(table)
    slots: dict[tuple[int, int], GridCell] = {}
    for x0, top, x1, bottom in cells:
        c0, c1 = _coord_index(xs, x0), _coord_index(xs, x1)
        r0, r1 = _coord_index(ys, top), _coord_index(ys, bottom)
        colspan, rowspan = max(1, c1 - c0), max(1, r1 - r0)
        text = texts.get((x0, top, x1, bottom), "")
        for dr in range(rowspan):
            for dc in range(colspan):
                slots.setdefault((r0 + dr, c0 + dc), GridCell(text, r0 + dr, c0 + dc, r0, c0, rowspan, colspan))
    rows = [[slots.get((r, c)) or GridCell("", r, c, r, c) for c in range(n_cols)] for r in range(n_rows)]
    grid = RawGrid(merge_empty_label_cells(rows), "pdf", page=page_no, text_layer=_text_layer(page, table.bbox))
    return PdfTable(grid, table.bbox[1], table.bbox[3], xs, float(page.height))


def _text_layer(page, bbox: tuple[float, float, float, float]) -> str:
    """The table's area as a text-layer reader gets it: lines, cells separated by spaces."""
    try:
        lines = page.crop(bbox, strict=False).extract_text_lines(return_chars=False)
    except ValueError:  # a table box outside the page box (broken producers)
        return ""
    return "\n".join(line["text"] for line in lines)


def label_columns(rows: list[list[GridCell]]) -> set[int]:
    """Columns holding row labels: no cell holds a number, and some row that does hold a
    number has text there (a value column left blank throughout is not a label column)."""
    width = min((len(row) for row in rows), default=0)
    body = [row for row in rows if any(is_number_text(cell.text) for cell in row)]
    return {
        c
        for c in range(width)
        if not any(is_number_text(row[c].text) for row in rows) and any(row[c].text.strip() for row in body)
    }


def merge_empty_label_cells(rows: list[list[GridCell]]) -> list[list[GridCell]]:
    """An empty cell in a label column extends the text label to its left (a colspan)."""
    labels = label_columns(rows)
    out: list[list[GridCell]] = []
    for row in rows:
        new_row = list(row)
        c = 0
        while c < len(new_row):
            cell = new_row[c]
            if not cell.is_origin or cell.rowspan != 1 or not cell.text.strip() or c not in labels:
                c += 1
                continue
            end = c + cell.colspan
            while end < len(new_row) and end in labels and _is_empty_single(new_row[end]):
                end += 1
            if end > c + cell.colspan:
                span = end - c
                for k in range(c, end):
                    new_row[k] = GridCell(cell.text, cell.row, k, cell.row, c, 1, span)
            c = end
        out.append(new_row)
    return out


def _is_empty_single(cell: GridCell) -> bool:
    return cell.is_origin and not cell.merged and not cell.text.strip()


# --------------------------------------------------------------------------------------
# Tables continuing on the next page


def continues(upper: PdfTable, lower: PdfTable) -> bool:
    """`lower` (first on its page) continues `upper` (last on the previous page): the same
    column borders."""
    a, b = upper.col_edges, lower.col_edges
    return len(a) == len(b) and all(abs(x - y) <= _SAME_COLUMNS_TOLERANCE for x, y in zip(a, b, strict=True))


def merge_continued(upper: PdfTable, lower: PdfTable) -> PdfTable:
    """One grid from a table and its continuation: the header printed again on the new
    page is dropped; a label cell cut by the page break (its continuation drawn empty)
    spans on."""
    top_rows, bottom_rows = upper.grid.rows, lower.grid.rows
    skip = _repeated_header_rows(top_rows, bottom_rows)
    bottom_rows = bottom_rows[skip:]
    offset = len(top_rows)
    rows = [list(row) for row in top_rows]
    for row in bottom_rows:
        rows.append([_shift(cell, skip, offset) for cell in row])
    if bottom_rows:
        _continue_spans(rows, offset)
    layers = [g.text_layer for g in (upper.grid, lower.grid) if g.text_layer]
    grid = RawGrid(rows, "pdf", page=upper.grid.page, text_layer="\n".join(layers))
    return PdfTable(grid, upper.top, lower.bottom, upper.col_edges, upper.page_height)


def _shift(cell: GridCell, skip: int, offset: int) -> GridCell:
    """The cell moved below `offset` rows, its first `skip` rows dropped (a span reaching
    into the dropped header rows starts at the first kept row)."""
    origin = max(cell.origin_row, skip)
    rowspan = cell.rowspan - (origin - cell.origin_row)
    return GridCell(
        cell.text, cell.row - skip + offset, cell.col, origin - skip + offset, cell.origin_col, rowspan, cell.colspan
    )


def _row_texts(row: list[GridCell]) -> list[str]:
    return ["".join(cell.text.split()) for cell in row]


def _repeated_header_rows(top_rows: list[list[GridCell]], bottom_rows: list[list[GridCell]]) -> int:
    """How many leading rows of the continuation repeat the table's first rows."""
    n = 0
    while n < min(len(top_rows), len(bottom_rows)) and _row_texts(top_rows[n]) == _row_texts(bottom_rows[n]):
        if any(is_number_text(cell.text) for cell in bottom_rows[n]):
            break  # equal value rows are data, not a header
        n += 1
    return n


def _continue_spans(rows: list[list[GridCell]], seam: int) -> None:
    """Extend label cells above the seam over the empty cells drawn below it."""
    for c, below in enumerate(rows[seam]):
        above = rows[seam - 1][c]
        if not below.is_origin or below.text.strip() or not above.text.strip():
            continue
        if below.colspan != above.colspan or below.origin_col != above.origin_col or is_number_text(above.text):
            continue
        origin_row, origin_col = above.origin_row, above.origin_col
        last = seam + below.rowspan - 1
        span = last - origin_row + 1
        for r in range(origin_row, last + 1):
            for k in range(origin_col, origin_col + above.colspan):
                rows[r][k] = GridCell(above.text, r, k, origin_row, origin_col, span, above.colspan)
