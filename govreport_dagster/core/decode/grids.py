"""Span expansion for tables from any source, and rendering grids into the text."""

from __future__ import annotations

from dataclasses import dataclass, field

from govreport_dagster.core.model import GridCell, OcrCellInfo

MAX_COLSPAN = 1000  # the HTML spec's own cap
MAX_GRID_CELLS = 200_000  # bounded memory for hostile rowspan/colspan values


@dataclass
class SpanCell:
    """A source cell before expansion: text and how many rows/columns it covers."""

    text: str
    rowspan: int = 1
    colspan: int = 1


@dataclass
class RawGrid:
    """An expanded grid still holding the source (un-normalised) texts."""

    rows: list[list[GridCell]]
    source: str
    page: int | None = None
    text_layer: str | None = None  # PDF: the table's area as the text layer reads it (lines)
    ocr: dict[tuple[int, int], OcrCellInfo] = field(default_factory=dict)  # cells read by OCR


def expand_spans(rows: list[list[SpanCell]]) -> list[list[GridCell]] | None:
    """Place cells into a rectangular grid, skipping positions already covered by a
    rowspan from above (the HTML table model). Returns None if the grid would be too big."""
    n_rows = len(rows)
    occupied: dict[tuple[int, int], GridCell] = {}
    width = 0
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in occupied:
                c += 1
            rowspan = max(1, min(cell.rowspan, n_rows - r))
            colspan = max(1, min(cell.colspan, MAX_COLSPAN))
            if len(occupied) + rowspan * colspan > MAX_GRID_CELLS:
                return None
            for dr in range(rowspan):
                for dc in range(colspan):
                    occupied.setdefault((r + dr, c + dc), GridCell(cell.text, r + dr, c + dc, r, c, rowspan, colspan))
            c += colspan
            width = max(width, c)
        width = max(width, c)
    if width * n_rows > MAX_GRID_CELLS:
        return None
    grid: list[list[GridCell]] = []
    for r in range(n_rows):
        grid.append([occupied.get((r, c)) or GridCell("", r, c, r, c) for c in range(width)])
    return grid


def render_rows(rows: list[list[GridCell]]) -> str:
    """One line per grid row, origin cells only (a merged value is printed once)."""
    return "\n".join(" | ".join(cell.text for cell in row if cell.is_origin) for row in rows)
