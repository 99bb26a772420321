"""Table structure of a page image from its ruling lines (OpenCV morphology).

Why lines and not text positions: government report tables are ruled grids, and a cell read
on its own cannot borrow digits from its neighbour. Horizontal and vertical strokes are
isolated by opening the inverted page with long thin kernels; their positions give the grid's
row and column boundaries, and a boundary missing between two slots merges them (rowspan /
colspan), as in the source table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_INK = 160  # grey level below which a pixel is ink (the bilevel scans use the same cut)
_MIN_LINE_FRACTION = 0.04  # a ruling line is at least this share of the page side
_MIN_STROKE_PX = 30
_MERGE_PX = 5  # line positions closer than this are one line (stroke width, skew)
_MIN_CELL_PX = 12  # slots thinner than this are double rules, not rows/columns
_PRESENT = 0.6  # a boundary exists when this share of it is ink in the line mask


@dataclass(frozen=True)
class CellBox:
    """A cell of the detected grid: slot indices (with spans) and its pixel box."""

    row: int
    col: int
    rowspan: int
    colspan: int
    x0: int
    y0: int
    x1: int
    y1: int


@dataclass(frozen=True)
class TableBox:
    """One ruled table on the page: its boundaries and cells (origin cells only)."""

    xs: tuple[int, ...]
    ys: tuple[int, ...]
    cells: tuple[CellBox, ...]

    @property
    def top(self) -> int:
        return self.ys[0]

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]


def line_masks(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks (uint8 0/255) of the horizontal and the vertical ruling strokes."""
    import cv2

    ink = np.where(gray < _INK, 255, 0).astype(np.uint8)
    height, width = gray.shape
    # never shorter than a character is tall (~22 px at 150 dpi): strokes of 1 or 十 are not rules
    h_len = max(_MIN_STROKE_PX, int(width * _MIN_LINE_FRACTION))
    v_len = max(_MIN_STROKE_PX, int(height * _MIN_LINE_FRACTION / 2))
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (h_len, 1)))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, v_len)))
    # close one-pixel gaps left by scanning so a line is one component
    horizontal = cv2.dilate(horizontal, np.ones((3, 3), np.uint8))
    vertical = cv2.dilate(vertical, np.ones((3, 3), np.uint8))
    return horizontal, vertical


def _cluster(values: list[int]) -> list[int]:
    out: list[list[int]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= _MERGE_PX:
            out[-1].append(v)
        else:
            out.append([v])
    return [round(sum(group) / len(group)) for group in out]


def _drop_thin(positions: list[int]) -> list[int]:
    kept: list[int] = []
    for p in positions:
        if kept and p - kept[-1] < _MIN_CELL_PX:
            continue
        kept.append(p)
    return kept


def find_tables(gray: np.ndarray) -> list[TableBox]:
    """Every ruled table of the page, top to bottom."""
    import cv2

    horizontal, vertical = line_masks(gray)
    frame = cv2.bitwise_or(horizontal, vertical)
    count, _, stats, _ = cv2.connectedComponentsWithStats(frame, connectivity=8)
    tables: list[TableBox] = []
    for i in range(1, count):
        x, y, w, h, _ = stats[i]
        if w < gray.shape[1] * 0.2 or h < 20:
            continue
        table = _table_in(horizontal[y : y + h, x : x + w], vertical[y : y + h, x : x + w], x, y)
        if table is not None:
            tables.append(table)
    return sorted(tables, key=lambda t: t.top)


def _positions(mask: np.ndarray, axis: int, min_len: int) -> list[int]:
    """Coordinates of line strokes of at least min_len pixels along the other axis."""
    coverage = (mask > 0).sum(axis=axis)
    hits = [i for i, n in enumerate(coverage) if n >= min_len]
    return _drop_thin(_cluster(hits))


def _table_in(horizontal: np.ndarray, vertical: np.ndarray, x: int, y: int) -> TableBox | None:
    height, width = horizontal.shape
    ys = _positions(horizontal, 1, min(width // 8, 60))
    xs = _positions(vertical, 0, min(height // 8, 30))
    if len(xs) < 2 or len(ys) < 2:
        return None
    # a table continued from the previous page may lack its top or left rule: the frame's edge is one
    if ys[0] > _MIN_CELL_PX:
        ys.insert(0, 0)
    if height - 1 - ys[-1] > _MIN_CELL_PX:
        ys.append(height - 1)
    cells = _merge_slots(horizontal, vertical, xs, ys)
    return TableBox(
        tuple(v + x for v in xs),
        tuple(v + y for v in ys),
        tuple(CellBox(c.row, c.col, c.rowspan, c.colspan, c.x0 + x, c.y0 + y, c.x1 + x, c.y1 + y) for c in cells),
    )


def _has_vertical(vertical: np.ndarray, x: int, y0: int, y1: int) -> bool:
    band = vertical[y0 + (y1 - y0) // 4 : y1 - (y1 - y0) // 4 + 1, max(0, x - 3) : x + 4]
    return band.size > 0 and (band.max(axis=1) > 0).mean() >= _PRESENT


def _has_horizontal(horizontal: np.ndarray, y: int, x0: int, x1: int) -> bool:
    band = horizontal[max(0, y - 3) : y + 4, x0 + (x1 - x0) // 4 : x1 - (x1 - x0) // 4 + 1]
    return band.size > 0 and (band.max(axis=0) > 0).mean() >= _PRESENT


def _merge_slots(horizontal: np.ndarray, vertical: np.ndarray, xs: list[int], ys: list[int]) -> list[CellBox]:
    """Union the slots not separated by a ruling line; each union becomes one spanning cell."""
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    parent = list(range(n_rows * n_cols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(n_rows):
        for c in range(n_cols):
            here = r * n_cols + c
            if c + 1 < n_cols and not _has_vertical(vertical, xs[c + 1], ys[r], ys[r + 1]):
                parent[find(here + 1)] = find(here)
            if r + 1 < n_rows and not _has_horizontal(horizontal, ys[r + 1], xs[c], xs[c + 1]):
                parent[find(here + n_cols)] = find(here)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            groups.setdefault(find(r * n_cols + c), []).append((r, c))
    cells = []
    for slots in groups.values():
        r0, r1 = min(s[0] for s in slots), max(s[0] for s in slots)
        c0, c1 = min(s[1] for s in slots), max(s[1] for s in slots)
        cells.append(CellBox(r0, c0, r1 - r0 + 1, c1 - c0 + 1, xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1]))
    return sorted(cells, key=lambda c: (c.row, c.col))
