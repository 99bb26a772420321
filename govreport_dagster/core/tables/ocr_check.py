"""OCR-read table cells: publish a value only when the reading is sure and the identities agree.

The decoder reads every cell of an image table on its own and records the engine's
confidence and every distinct reading (`Grid.ocr`). The grid reader parses those cells like
any other grid. This module then marks each OCR number `cell_state = ocr` with its confidence
and nulls the ones that cannot be trusted, with their candidates:
- a low confidence, two readings of the cell that disagree, or a fraction in a count column;
- a reading in an identity that fails, unless it is near certain (then the printed table
  itself breaks the identity: published as read and flagged, like any report).
A null cell names its candidates in its note and in `TableExtraction.ambiguous`; where the
failing identity has that cell as its only uncertain term, the value the identity implies is
one of them. Nothing is ever replaced by a value the engine did not read.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

from govreport_dagster.core.identities import cell_values, evaluate_sum_identities
from govreport_dagster.core.model import DecodedDocument, IdentityResult, OcrCellInfo, TableCell, TableExtraction
from govreport_dagster.core.tables.digits import parse_number
from govreport_dagster.core.templates import load_templates

ACCEPT = 0.9  # below this a numeric reading is not published
TRUSTED = 0.99  # at or above this a reading stands even where an identity fails
_POSITION_RE = re.compile(r"^grid:(\d+):r(\d+)c(\d+)$")
CellKey = tuple[str, str, str]


@cache
def _decimal_columns() -> frozenset[str]:
    """Columns that may hold fractions (money amounts); a fraction anywhere else is a misread."""
    keys = set()
    for version in ("2021", "2019"):
        layout = load_templates().layout("t2", version)
        keys.update(c.key for b in (layout.blocks if layout else ()) for c in b.columns if c.decimal)
    return frozenset(keys)


def _reading(doc: DecodedDocument, cell: TableCell) -> OcrCellInfo | None:
    m = _POSITION_RE.match(cell.position)
    if not m:
        return None
    index, row, col = (int(g) for g in m.groups())
    if index >= len(doc.tables):
        return None
    return doc.tables[index].ocr.get((row, col))


def _candidate_values(info: OcrCellInfo) -> list[float]:
    values = []
    for text in info.candidates:
        value, _ = parse_number("".join(text.split()))
        if value is not None and value not in values:
            values.append(value)
    return values


def _null(cell: TableCell, info: OcrCellInfo, reason: str, extra: list[float] = ()) -> TableCell:
    values = _candidate_values(info) + [v for v in extra if v not in _candidate_values(info)]
    shown = " / ".join(_fmt(v) for v in values) or " / ".join(info.candidates)
    note = f"OCR {reason}; confidence {info.confidence:.2f}; candidates: {shown}"
    return replace(cell, value=None, cell_state="ocr", confidence=info.confidence, note=note)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def apply_ocr_readings(doc: DecodedDocument, result: TableExtraction) -> None:
    """Mark, check and (where unsure) null the OCR-read cells of `result` in place."""
    if not any(g.ocr for g in doc.tables):
        return
    infos: dict[CellKey, OcrCellInfo] = {}
    cells: list[TableCell] = []
    for cell in result.cells:
        info = _reading(doc, cell)
        if info is not None and cell.cell_state == "number":
            key = (cell.table_id, cell.row_key, cell.col_key)
            infos[key] = info
            if info.confidence < ACCEPT or len(_candidate_values(info)) > 1 or len(info.candidates) > 1:
                cell = _null(cell, info, "reading unsure")
            elif not float(cell.value or 0).is_integer() and cell.col_key not in _decimal_columns():
                cell = _null(cell, info, "read a fraction in a count column")
            else:
                cell = replace(cell, cell_state="ocr", confidence=info.confidence)
        cells.append(cell)
    result.cells[:] = cells
    _check_identities(result, infos)
    for cell in result.cells:
        if cell.cell_state == "ocr" and cell.value is None:
            key = f"{cell.table_id}.{cell.row_key}.{cell.col_key}"
            result.ambiguous[key] = [cell.note or ""]
            info = infos[(cell.table_id, cell.row_key, cell.col_key)]
            values = [float(v) for v in re.findall(r"[\d.]+", (cell.note or "").rsplit("candidates:", 1)[-1])]
            split_key = "t4" if cell.table_id == "t4" else f"{cell.table_id}.{cell.row_key}"
            col = f"{cell.row_key}.{cell.col_key}" if cell.table_id == "t4" else cell.col_key
            splits = result.ambiguous_splits.setdefault(split_key, [])
            splits.extend({col: (v, info.candidates[0])} for v in values)


def _failed(values: dict[CellKey, float | None], version: str, tables: set[str]) -> set[tuple[str, str]]:
    return {(r.identity_id, r.scope) for r in evaluate_sum_identities(values, version, tables) if r.status == "failed"}


def _check_identities(result: TableExtraction, infos: dict[CellKey, OcrCellInfo]) -> None:
    values = cell_values(result)
    ocr_keys = [k for k in infos if values.get(k) is not None]
    tables = {k[0] for k in ocr_keys}
    failed = _failed(values, result.layout_version, tables)
    if not failed:
        return
    contradicted: dict[CellKey, list[tuple[str, str]]] = {}
    for key in ocr_keys:
        if infos[key].confidence >= TRUSTED:
            continue
        without = _failed({**values, key: None}, result.layout_version, {key[0]})
        hit = [f for f in failed if f not in without]
        if hit:
            contradicted[key] = hit
    by_key = {(c.table_id, c.row_key, c.col_key): i for i, c in enumerate(result.cells)}
    for key, identities in contradicted.items():
        implied = _implied_value(values, key, result.layout_version, identities, contradicted)
        i = by_key[key]
        names = ", ".join(f"{ident} ({scope})" for ident, scope in identities)
        result.cells[i] = _null(result.cells[i], infos[key], f"reading contradicts {names}", implied)
        result.warnings.append(f"{key[0]}.{key[1]}.{key[2]}: OCR reading contradicts {names}; left null")
    for ident, scope in failed:
        if not any((ident, scope) in ids for ids in contradicted.values()):
            result.warnings.append(f"{ident} ({scope}) fails with every OCR reading in it confident: published as read")


def _results(values: dict[CellKey, float | None], version: str, table: str) -> dict[tuple[str, str], IdentityResult]:
    return {(r.identity_id, r.scope): r for r in evaluate_sum_identities(values, version, {table})}


def _implied_value(
    values: dict[CellKey, float | None],
    key: CellKey,
    version: str,
    identities: list[tuple[str, str]],
    contradicted: dict[CellKey, list[tuple[str, str]]],
) -> list[float]:
    """The value that makes the cell's failing identities hold, when the cell is their only
    uncertain term (an identity is linear in each cell: two evaluations give the slope)."""
    if any(other != key and set(ids) & set(identities) for other, ids in contradicted.items()):
        return []
    read = values.get(key) or 0.0
    now = _results(values, version, key[0])
    bumped = _results({**values, key: read + 1}, version, key[0])
    first = now[identities[0]], bumped[identities[0]]
    if None in (first[0].lhs, first[0].rhs, first[1].lhs, first[1].rhs):
        return []
    slope = (first[1].lhs - first[0].lhs) - (first[1].rhs - first[0].rhs)
    if slope == 0:
        return []
    guess = read + (first[0].rhs - first[0].lhs) / slope
    if guess < 0 or not float(guess).is_integer():
        return []
    check = _results({**values, key: guess}, version, key[0])
    return [guess] if all(check[i].status == "passed" for i in identities) else []
