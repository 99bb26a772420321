"""Snapping OCR-read row and column labels to the template's vocabulary.

Why: the grid reader anchors rows by their labels, and OCR of small CJK print confuses
look-alike characters (申 → 中, 自 → 白, 一 → ·) — one such character and a row is lost. A
label cell whose reading is close to exactly one template label (and not to a second one)
is given that label; the engine's own reading stays among the cell's candidates. Numbers
are never snapped: only cells that do not read as numbers.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from functools import cache

from govreport_dagster.core.decode.ocr.cells import looks_numeric
from govreport_dagster.core.templates import load_templates, match_key

MIN_SIMILARITY = 0.8  # share of matching characters (difflib ratio) to snap at all
MIN_MARGIN = 0.08  # the best label must beat the second best by this much
_MIN_CHARS = 4  # shorter labels (其他, 总计) have no room for a reliable near match


@cache
def vocabulary() -> dict[str, str]:
    """Folded label → label as declared, for every row, column, group and block anchor of
    tables 2–4 in both layouts."""
    templates = load_templates()
    out: dict[str, str] = {}
    for table_id in ("t2", "t3", "t4"):
        for version in ("2021", "2019"):
            layout = templates.layout(table_id, version)
            if layout is None:
                continue
            for block in layout.blocks:
                texts = [block.anchor or ""]
                for label in (*block.rows, *block.columns):
                    texts.extend(label.all_labels)
                    texts.append(label.group or "")
                for text in texts:
                    if len(match_key(text)) >= _MIN_CHARS:
                        out.setdefault(match_key(text), text)
    return out


def snap_label(text: str) -> str | None:
    """The template label an OCR reading stands for, or None (already exact, a number, too
    short, or not unmistakably close to one label)."""
    folded = match_key(text)
    if len(folded) < _MIN_CHARS or looks_numeric(text):
        return None
    vocab = vocabulary()
    if folded in vocab:
        return None
    scored = sorted(
        ((SequenceMatcher(None, folded, key, autojunk=False).ratio(), key) for key in vocab),
        reverse=True,
    )
    best, key = scored[0]
    second = scored[1][0] if len(scored) > 1 else 0.0
    if best >= MIN_SIMILARITY and best - second >= MIN_MARGIN:
        return vocab[key]
    return None
