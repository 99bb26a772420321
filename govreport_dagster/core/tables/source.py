"""What a table is read from: a stretch of the document's text, or the decoder's grids
rendered as text with each cell's position kept, so that one reader serves both and every
value still says where it was printed (`char:<offset>` or `grid:<table>:r<row>c<col>`)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from govreport_dagster.core.model import DecodedDocument, Grid
from govreport_dagster.core.tables.header import Locate, text_locator
from govreport_dagster.core.tables.scan import Scan

# Text before a grid that is read with it (block anchors such as 第二十条第（一）项 are often
# printed just outside the grid).
_LEAD_CHARS = 40

GridPosition = tuple[int, int, int, int]  # (rendered offset, grid index, row, col)


@dataclass(frozen=True)
class Source:
    """Text to read plus how to report positions."""

    text: str
    base: int  # document offset of text[0] (text source)
    kind: str  # text | grid
    grid_positions: tuple[GridPosition, ...] | None = None

    def cell_at(self, offset: int) -> tuple[int, int, int] | None:
        """(grid index, row, col) of the grid cell holding a rendered-text offset."""
        if self.grid_positions is None:
            return None
        i = bisect.bisect_right([p[0] for p in self.grid_positions], offset) - 1
        if i < 0:
            return None
        _, t, r, c = self.grid_positions[i]
        return t, r, c

    def position(self, offset: int) -> str:
        if offset < 0:
            return f"char:{self.base}" if self.kind == "text" else "grid:?"
        if self.grid_positions is None:
            return f"char:{self.base + offset}"
        cell = self.cell_at(offset)
        if cell is None:
            return "grid:?"
        t, r, c = cell
        return f"grid:{t}:r{r}c{c}"

    def locator(self, sc: Scan, lo: int, hi: int) -> Locate:
        """Printed row and position of a header label: a grid's cells carry their column;
        text has lines (or one-cell-per-line stretches)."""
        if self.grid_positions is None:
            return text_locator(sc.text, *sc.span_offsets(lo, hi))

        def locate(offset: int) -> tuple[object, int]:
            cell = self.cell_at(offset)
            return (("grid", cell[0]), cell[2]) if cell else (("lead", offset), offset)

        return locate


def text_source(doc: DecodedDocument, region: tuple[int, int]) -> Source:
    return Source(doc.text[region[0] : region[1]], region[0], "text")


def text_layer_source(doc: DecodedDocument, region: tuple[int, int]) -> Source | None:
    """The region's PDF grids as the page's text layer reads them (`Grid.text_layer`), each
    after the text just before it, as `grid_sources` renders them; None without a PDF grid."""
    grids = [g for g in doc.tables if g.char_end > region[0] and g.char_start < region[1] and g.text_layer]
    if not grids:
        return None
    parts = []
    for g in grids:
        lead = doc.text[max(region[0], g.char_start - _LEAD_CHARS) : g.char_start].rsplit("\n", 1)[-1]
        parts.append(f"{lead}\n{g.text_layer}")
    return Source("\n".join(parts), grids[0].char_start, "text")


def grid_sources(doc: DecodedDocument, region: tuple[int, int]) -> list[Source]:
    """The decoder's grids overlapping the region, rendered as pipe rows with positions."""
    grids = [(i, g) for i, g in enumerate(doc.tables) if g.char_end > region[0] and g.char_start < region[1] and g.rows]
    if not grids:
        return []
    parts: list[str] = []
    positions: list[GridPosition] = []
    length = 0
    for i, g in grids:
        rendered, grid_pos = render_grid(i, g)
        lead = doc.text[max(region[0], g.char_start - _LEAD_CHARS) : g.char_start]
        lead = lead.rsplit("\n", 1)[-1] if "\n" in lead else lead
        parts.append(lead + "\n")
        length += len(lead) + 1
        positions.extend((start + length, t, r, c) for start, t, r, c in grid_pos)
        parts.append(rendered + "\n")
        length += len(rendered) + 1
    return [Source("".join(parts), grids[0][1].char_start, "grid", tuple(positions))]


def render_grid(index: int, grid: Grid) -> tuple[str, list[GridPosition]]:
    """One line per grid row, cells separated by ' | '; a merged cell is written once at
    its origin (a value spanning several columns is one value)."""
    out: list[str] = []
    positions: list[GridPosition] = []
    length = 0
    for row in grid.rows:
        for cell in row:
            if not cell.is_origin or cell.row != cell.origin_row:
                continue
            text = " ".join(cell.text.split()) or " "
            positions.append((length, index, cell.row, cell.col))
            piece = text + " | "
            out.append(piece)
            length += len(piece)
        out.append("\n")
        length += 1
    return "".join(out), positions
