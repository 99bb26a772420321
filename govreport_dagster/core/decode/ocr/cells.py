"""Reading table cells one by one, and saying how sure each reading is.

A cell is cut into its text lines (ink rows of the cell image), every line is recognised on
its own, and the lines are joined. A cell that reads as a number is read a second time from
a differently prepared image (enlarged and binarised): a confident engine can still be
confidently wrong (a speck read as a decimal point), and two renderings rarely fool it the
same way. Two readings that disagree, or a low confidence, leave the cell's value to the
tables stage as undecided with both candidates (``tables.ocr_check``). Nothing here guesses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from govreport_dagster.core.decode.ocr.engine import OcrEngine

_INK = 160
_MIN_LINE_PX = 4  # ink rows thinner than this are specks or remains of a ruling line
_PAD = 6
_NUMERIC_RE = re.compile(r"^[0-9０-９.,，．%％\-—]+$")


@dataclass(frozen=True)
class CellReading:
    """What OCR read in one cell: the text, the lowest line confidence and every distinct
    reading (the first is `text`)."""

    text: str
    confidence: float
    candidates: tuple[str, ...]

    @property
    def agreed(self) -> bool:
        return len(self.candidates) <= 1


def looks_numeric(text: str) -> bool:
    return bool(_NUMERIC_RE.match(text)) and any(ch.isdigit() for ch in text)


def text_lines(cell: np.ndarray) -> list[np.ndarray]:
    """The cell's text lines as separate padded images (top to bottom); none for a blank cell."""
    if cell.size == 0:
        return []
    ink = cell < _INK
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return []
    bands: list[tuple[int, int]] = []
    start = prev = int(rows[0])
    for r in rows[1:]:
        r = int(r)
        if r > prev + 1:
            bands.append((start, prev + 1))
            start = r
        prev = r
    bands.append((start, prev + 1))
    out = []
    for top, bottom in bands:
        if bottom - top < _MIN_LINE_PX:
            continue
        cols = np.flatnonzero(ink[top:bottom].any(axis=0))
        piece = cell[max(0, top - 2) : bottom + 2, max(0, int(cols[0]) - 2) : int(cols[-1]) + 3]
        out.append(np.pad(piece, _PAD, constant_values=255))
    return out


def _variant(line: np.ndarray) -> np.ndarray:
    """A second look at a line: twice the size, Otsu-binarised (different rendering, same text)."""
    import cv2

    big = cv2.resize(line, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
    _, binary = cv2.threshold(big, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return binary


def _join(parts: list[tuple[str, float]]) -> tuple[str, float]:
    text = "".join(t for t, _ in parts).strip()
    confidence = min((s for _, s in parts), default=1.0)
    return text, confidence


def read_cells(engine: OcrEngine, cells: list[np.ndarray]) -> list[CellReading]:
    """One reading per cell image, recognised in one batch (plus one for the second looks)."""
    lines_per_cell = [text_lines(cell) for cell in cells]
    flat = [line for lines in lines_per_cell for line in lines]
    results = iter(engine.recognise(flat))
    first = [_join([next(results) for _ in lines]) for lines in lines_per_cell]
    recheck = [i for i, (text, _) in enumerate(first) if looks_numeric(text)]
    second_flat = [_variant(line) for i in recheck for line in lines_per_cell[i]]
    second_results = iter(engine.recognise(second_flat))
    second = {i: _join([next(second_results) for _ in lines_per_cell[i]]) for i in recheck}
    readings = []
    for i, (text, conf) in enumerate(first):
        candidates = [text]
        if i in second:
            other, other_conf = second[i]
            if other != text:
                candidates.append(other)
            else:
                conf = max(conf, other_conf)  # two different renderings agree
        readings.append(CellReading(text, round(conf, 4), tuple(candidates)))
    return readings
