"""Unruled PDF tables as grids, from word positions (pdfplumber ``extract_words``).

A table printed without borders (a web page's table printed by a browser with its CSS borders
off, a word processor's borderless table) has no lines for the table finder. Its structure is
in where the words sit:

- **value rows**: a printed line holding numbers as words of their own (a number inside a
  sentence is glued to its characters), to the right of any text on that line;
- **value columns**: the numbers' x ranges, clustered (overlapping ranges, a few points of
  slack, are one column); consecutive value rows whose numbers fall into the same columns are
  one table, a row whose numbers do not fit, or a line of text reaching from the label area
  into the value columns (a heading, prose), starts another;
- **row labels**: the text left of the value columns, in blocks: a label wrapped over two or
  three lines is one block (a new block starts at a numbered label, `1.`, `（三）`, `四、`, or
  after a gap), and a block belongs to the value row printed within it. Group labels printed
  one or three characters a line in a narrow column (`三、本年度办理结果`, `（三）不予公开`) are
  left out: the row's own label is what anchors it, as in the text reading.

Each table becomes a `PdfTable` whose grid is one label column and the value columns, an
empty slot a blank cell, so it goes through the same template-driven grid reader as drawn
grids; its area's text lines are the grid's `text_layer`, so the tables stage reads the
table both ways and lets the identities decide where they disagree (`tables/reconcile.py`).
The lines just above the first row that reach over the value columns (headers, a block's
`第二十条第（一）项`) are rows of the grid, each one cell across it: the block anchors are read
from them; their words are not assigned to columns (the template fixes the column order
when a header gives no unambiguous one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

from govreport_dagster.core.decode.grids import RawGrid
from govreport_dagster.core.decode.pdf_grid import PdfTable, is_number_text, join_wrapped_lines
from govreport_dagster.core.model import GridCell

_LINE_TOLERANCE = 2.0  # points: words of one printed line share their top within this
_COLUMN_SLACK = 4.0  # points: numbers of one column, left/right/centre aligned, overlap within this
_LABEL_GAP = 30.0  # points: a label line further than this below the previous one starts a block
_MIN_REACH = 20.0  # points: a number this near a column's centre, not overlapping it, is still in it
_MIN_LABEL_GAP = 20.0  # points between a lone number and its label: a column gap, not a word space
_MAX_LONE_LABEL = 24  # characters: a row label, not a sentence ending in a number
_ROW_REACH = 12.0  # points: a value row this far outside a label block still belongs to it
_STACK_REACH = 25.0  # points: single characters this close vertically are one stacked label
_NUMBERED_RE = re.compile(r"^(\d+[.．、]|（[一二三四五六七八九十]+）|[一二三四五六七八九十]+、)")


@dataclass
class _Line:
    top: float
    bottom: float
    words: list[dict]

    def numbers(self) -> list[dict]:
        return [w for w in self.words if is_number_text(w["text"])]


@dataclass
class _Region:
    columns: list[list[float]]  # [x0, x1] of each value column, left to right
    rows: list[_Line] = field(default_factory=list)  # the value rows
    others: list[_Line] = field(default_factory=list)  # lines between them (and label lines above)
    head: list[_Line] = field(default_factory=list)  # header lines above the first row

    @property
    def label_edge(self) -> float:
        return self.columns[0][0] - _COLUMN_SLACK


def word_tables(page, page_no: int, margin: float = 0.0) -> list[tuple[PdfTable, list[dict]]]:
    """The unruled tables of a page (best on a page with its ruled tables filtered out), each
    with the characters placed in its grid (the page's text lines leave them out). Lines in
    the top `margin` (points: running headers) are never a table's header."""
    try:
        words = page.extract_words(return_chars=True)
    except ValueError:  # a word outside the page box (broken producers)
        return []
    tables = []
    for region in _regions(_lines(words), margin):
        found = _table(page, region, page_no)
        if found is not None:
            tables.append(found)
    return tables


def _lines(words: list[dict]) -> list[_Line]:
    lines: list[_Line] = []
    for w in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if lines and w["top"] - lines[-1].top <= _LINE_TOLERANCE:
            lines[-1].words.append(w)
            lines[-1].bottom = max(lines[-1].bottom, w["bottom"])
        else:
            lines.append(_Line(w["top"], w["bottom"], [w]))
    for line in lines:
        line.words.sort(key=lambda w: w["x0"])
    return lines


def _is_value_row(line: _Line) -> bool:
    """Numbers as words, right of every text word; two of them, or one a column's gap
    after a short label (`行政许可   2293`, not a sentence ending in a number)."""
    numbers = line.numbers()
    if not numbers:
        return False
    first = min(w["x0"] for w in numbers)
    texts = [w for w in line.words if not is_number_text(w["text"])]
    if any(w["x0"] > first for w in texts):
        return False
    if len(numbers) >= 2:
        return True
    label = "".join(w["text"] for w in texts)
    return 0 < len(label) <= _MAX_LONE_LABEL and first - max(w["x1"] for w in texts) >= _MIN_LABEL_GAP


def _column_of(columns: list[list[float]], word: dict, *, loose: bool = False) -> int | None:
    """The column a number's x range overlaps; `loose`: else the nearest by centre within a
    column width (a browser centring a cell's text shifts it by a few points)."""
    for i, (x0, x1) in enumerate(columns):
        if word["x0"] <= x1 + _COLUMN_SLACK and word["x1"] >= x0 - _COLUMN_SLACK:
            return i
    if not loose or not columns:
        return None
    centre = (word["x0"] + word["x1"]) / 2
    i = min(range(len(columns)), key=lambda k: abs((columns[k][0] + columns[k][1]) / 2 - centre))
    reach = max(columns[i][1] - columns[i][0], _MIN_REACH)
    return i if abs((columns[i][0] + columns[i][1]) / 2 - centre) <= reach else None


def _fits(region: _Region, line: _Line) -> bool:
    """Every number in a column of its own (no more numbers than columns)."""
    numbers = line.numbers()
    if len(numbers) > len(region.columns):
        return False
    cols = [_column_of(region.columns, w, loose=True) for w in numbers]
    return None not in cols and len(set(cols)) == len(cols)


def _add_row(region: _Region, line: _Line) -> None:
    """The row joins the region; its numbers define the columns (the first row) or widen the
    ones they overlap."""
    for w in line.numbers():
        i = _column_of(region.columns, w)
        if i is None and not region.rows:
            region.columns.append([w["x0"], w["x1"]])
        elif i is not None:
            region.columns[i] = [min(region.columns[i][0], w["x0"]), max(region.columns[i][1], w["x1"])]
    region.columns.sort()
    region.rows.append(line)


def _crosses(region: _Region, line: _Line) -> bool:
    """Text reaching from the label area into the value columns, not in cells a column's gap
    apart (a header, `信息内容      本年制发件数 …`): a heading or prose."""
    edge = region.label_edge
    if _cells_apart(line):
        return False
    return any(w["x0"] < edge and w["x1"] > edge + 2 * _COLUMN_SLACK for w in line.words)


def _cells_apart(line: _Line) -> bool:
    return any(b["x0"] - a["x1"] >= _MIN_LABEL_GAP for a, b in pairwise(line.words))


def _regions(lines: list[_Line], margin: float) -> list[_Region]:
    regions: list[_Region] = []
    current: _Region | None = None
    since_row: list[_Line] = []  # text lines after the last value row: a next table's first label
    for line in lines:
        if not _is_value_row(line):
            since_row.append(line)
            if current is not None:
                if _crosses(current, line):
                    current = None
                else:
                    current.others.append(line)
            continue
        if current is None or not _fits(current, line):
            previous, current = current, _Region([])
            regions.append(current)
            _add_row(current, line)
            lead = _lead_lines(current, since_row)
            if previous is not None:  # lines leading into this table are not the last one's
                previous.others = [ln for ln in previous.others if ln not in lead]
            current.head = [ln for ln in lead if _in_value_area(current, ln) and ln.top >= margin]
            current.others.extend(ln for ln in lead if not _in_value_area(current, ln))
        else:
            _add_row(current, line)
        since_row = []
    return regions


def _lead_lines(region: _Region, lines: list[_Line]) -> list[_Line]:
    """The text lines just above a table's first row, back to a gap or a line reaching from
    the label area into the value columns (a heading, prose): its header and the first
    lines of its first label."""
    lead: list[_Line] = []
    below = region.rows[0].top
    for line in reversed(lines):
        if _crosses(region, line) or below - line.bottom > _LABEL_GAP:
            break
        lead.insert(0, line)
        below = line.top
    return lead


def _label_words(region: _Region) -> list[dict]:
    """Words left of the value columns near the region's rows, stacked group labels left out."""
    top, bottom = region.rows[0].top - 2 * _LABEL_GAP, region.rows[-1].bottom + _LABEL_GAP
    edge = region.label_edge
    words = [
        w
        for line in (*region.rows, *region.others)
        if top <= line.top <= bottom and (line in region.rows or not _in_value_area(region, line))
        for w in line.words
        if w["x1"] <= edge and not is_number_text(w["text"])
    ]
    return [w for w in words if not _stacked(w, words)]


def _in_value_area(region: _Region, line: _Line) -> bool:
    """A text line with words over the value columns, or with words a column's gap apart
    (`信息内容      本年处理决定数量`): a header or a note, not a label."""
    return any(w["x1"] > region.label_edge for w in line.words) or _cells_apart(line)


def _near_vertically(a: dict, b: dict) -> bool:
    overlap = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
    return a is not b and overlap > 0 and abs(a["top"] - b["top"]) <= _STACK_REACH


def _stacked(word: dict, words: list[dict]) -> bool:
    """A character of a label printed a few characters a line in a narrow column (its
    neighbour above or below is a single character too), or a line of such a label."""
    singles = [w for w in words if len(w["text"]) == 1]
    if len(word["text"]) == 1:
        return any(_near_vertically(word, other) for other in singles)
    return any(_near_vertically(word, s) and any(_near_vertically(s, o) for o in singles) for s in singles)


def _label_blocks(words: list[dict], rows: list[_Line]) -> list[list[_Line]]:
    """Label lines in blocks: a new block at a numbered label, after a gap, or at a label
    printed on a value row when the block already has one (two rows, two labels)."""
    row_tops = [row.top for row in rows]
    blocks: list[list[_Line]] = []
    on_row: list[bool] = []
    for line in _lines(words):
        here = any(abs(line.top - top) <= _LINE_TOLERANCE for top in row_tops)
        new = not blocks or bool(_NUMBERED_RE.match(line.words[0]["text"]))
        if new or line.top - blocks[-1][-1].bottom > _LABEL_GAP or (here and on_row[-1]):
            blocks.append([line])
            on_row.append(here)
        else:
            blocks[-1].append(line)
            on_row[-1] = on_row[-1] or here
    return blocks


def _row_labels(region: _Region) -> tuple[dict[int, str], list[dict]]:
    """Each value row's label text (by row index) and the words used for it."""
    labels: dict[int, list[str]] = {}
    used: list[dict] = []
    for block in _label_blocks(_label_words(region), region.rows):
        top, bottom = block[0].top - _ROW_REACH, block[-1].bottom + _ROW_REACH
        inside = [i for i, row in enumerate(region.rows) if top <= row.top <= bottom]
        if not inside:
            continue  # a header or a note: page text
        centre = (block[0].top + block[-1].bottom) / 2
        row = min(inside, key=lambda i: abs(region.rows[i].top - centre))
        labels.setdefault(row, []).extend(" ".join(w["text"] for w in line.words) for line in block)
        used.extend(w for line in block for w in line.words)
    return {row: join_wrapped_lines(texts) for row, texts in labels.items()}, used


def _table(page, region: _Region, page_no: int) -> tuple[PdfTable, list[dict]] | None:
    labels, label_words = _row_labels(region)
    if not labels and len(region.columns) < 3:
        return None  # two numbers without a label: not enough to call it a table
    width = len(region.columns) + 1
    rows: list[list[GridCell]] = []
    for line in region.head:  # a header line is one cell across the table (its columns unread)
        r, text = len(rows), " ".join(w["text"] for w in line.words)
        rows.append([GridCell(text, r, c, r, 0, 1, width) for c in range(width)])
    for line in region.rows:
        r = len(rows)
        texts = [""] * len(region.columns)
        for w in line.numbers():
            c = _column_of(region.columns, w, loose=True)
            if c is not None:
                texts[c] = f"{texts[c]} {w['text']}".strip()
        cells = [labels.get(r - len(region.head), ""), *texts]
        rows.append([GridCell(text, r, c, r, c) for c, text in enumerate(cells)])
    placed = label_words + [w for line in region.rows for w in line.numbers()]
    placed += [w for line in region.head for w in line.words]
    x0 = min(w["x0"] for w in placed)
    x1 = max(w["x1"] for w in placed)
    top, bottom = min(w["top"] for w in placed), max(w["bottom"] for w in placed)
    edges = [x0] + [(a[1] + b[0]) / 2 for a, b in pairwise(region.columns)] + [x1]
    edges.insert(1, region.label_edge)
    grid = RawGrid(rows, "pdf", page=page_no, text_layer=_area_text(page, (x0, top, x1, bottom)))
    return PdfTable(grid, top, bottom, edges, float(page.height)), [c for w in placed for c in w["chars"]]


def _area_text(page, bbox: tuple[float, float, float, float]) -> str:
    """The table's area as the text-line reader gets it."""
    try:
        lines = page.crop(bbox, strict=False).extract_text_lines(return_chars=False)
    except ValueError:
        return ""
    return "\n".join(line["text"] for line in lines)
