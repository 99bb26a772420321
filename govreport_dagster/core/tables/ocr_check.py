"""OCR-read table cells: publish a value only when the reading is sure or the identities
single it out; otherwise null with the candidates.

The decoder reads every cell of an image table on its own, numbers twice from two
renderings, and records the engine's confidence and every distinct reading (`Grid.ocr`). The
grid reader parses those cells like any other grid. This module marks each OCR number
`cell_state = ocr` with its confidence and decides:
- sure (confidence ≥ ACCEPT, both readings agree, no fraction in a count column): published;
- unsure: the candidates are tried in the cell's identities (the table's sums); exactly one
  candidate making every assessable identity that contains the cell true (and at least one
  is assessable: all its other terms known, so it pins the value) is published (`inferred`,
  like a run-together digit row split by the identities); else null;
- sure but in a failing identity: null when below TRUSTED or when the grid reader had a
  problem with its row (a shifted column misplaces right readings); a near-certain reading
  of a clean row stands (the printed table itself breaks the identity: published as read
  and flagged, like any report).
A null cell names its candidates in its note and in `TableExtraction.ambiguous(_splits)`.
Nothing is ever published that the engine did not read.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

from govreport_dagster.core.identities import cell_values, evaluate_sum_identities
from govreport_dagster.core.model import DecodedDocument, IdentityResult, OcrCellInfo, TableCell, TableExtraction
from govreport_dagster.core.tables.digits import parse_number
from govreport_dagster.core.templates import load_templates

ACCEPT = 0.9  # below this a reading is not published on its own
TRUSTED = 0.99  # at or above this (and confirmed by a second reading) a value stands in a failing identity
_POSITION_RE = re.compile(r"^grid:(\d+):r(\d+)c(\d+)$")
CellKey = tuple[str, str, str]
Values = dict[CellKey, float | None]


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
    return doc.tables[index].ocr.get((row, col)) if index < len(doc.tables) else None


def _candidates(info: OcrCellInfo, col_key: str) -> list[float]:
    """Distinct numbers among the readings (a fraction in a count column is not one)."""
    values: list[float] = []
    for text in info.candidates:
        value, _ = parse_number("".join(text.split()))
        if value is None or (not float(value).is_integer() and col_key not in _decimal_columns()):
            continue
        if value not in values:
            values.append(value)
    return values


def _unsure_reason(cell: TableCell, info: OcrCellInfo) -> str | None:
    if info.confidence < ACCEPT:
        return "reading unsure"
    if len(info.candidates) > 1:
        return "readings disagree"
    if not float(cell.value or 0).is_integer() and cell.col_key not in _decimal_columns():
        return "read a fraction in a count column"
    return None


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _null(cell: TableCell, info: OcrCellInfo, reason: str) -> TableCell:
    shown = " / ".join(info.candidates)
    note = f"OCR {reason}; confidence {info.confidence:.2f}; candidates: {shown}"
    return replace(cell, value=None, cell_state="ocr", confidence=info.confidence, note=note)


def apply_ocr_readings(doc: DecodedDocument, result: TableExtraction) -> None:
    """Mark, check and (where unsure) null the OCR-read cells of `result` in place."""
    if not any(g.ocr for g in doc.tables):
        return
    infos: dict[CellKey, OcrCellInfo] = {}
    unsure: dict[CellKey, str] = {}
    for i, cell in enumerate(result.cells):
        info = _reading(doc, cell)
        if info is None or cell.cell_state != "number":
            continue
        key = (cell.table_id, cell.row_key, cell.col_key)
        infos[key] = info
        reason = _unsure_reason(cell, info)
        if reason:
            unsure[key] = reason
            result.cells[i] = _null(cell, info, reason)
        else:
            result.cells[i] = replace(cell, cell_state="ocr", confidence=info.confidence)
    version = result.layout_version
    _decide_unsure(result, infos, unsure, version)
    _check_failing_identities(result, infos, version)
    _list_candidates(result, infos)


def _results(values: Values, version: str, table: str) -> dict[tuple[str, str], IdentityResult]:
    return {(r.identity_id, r.scope): r for r in evaluate_sum_identities(values, version, {table})}


def _containing(values: Values, key: CellKey, version: str, value: float) -> list[IdentityResult]:
    """The identities that contain the cell (their sides move with it), evaluated at `value`."""
    here = _results({**values, key: value}, version, key[0])
    moved = _results({**values, key: value + 1}, version, key[0])
    return [r for k, r in here.items() if (r.lhs, r.rhs) != (moved[k].lhs, moved[k].rhs)]


def _decide_unsure(
    result: TableExtraction, infos: dict[CellKey, OcrCellInfo], unsure: dict[CellKey, str], version: str
) -> None:
    """Publish unsure cells the identities pin down; repeated while that settles more cells
    (a cell settled by one identity can complete another)."""
    values = cell_values(result)
    by_key = {(c.table_id, c.row_key, c.col_key): i for i, c in enumerate(result.cells)}
    open_keys = list(unsure)
    while open_keys:
        settled = [key for key in open_keys if _settle(result, values, by_key, key, infos[key], unsure[key], version)]
        if not settled:
            return
        open_keys = [k for k in open_keys if k not in settled]


def _settle(
    result: TableExtraction,
    values: Values,
    by_key: dict[CellKey, int],
    key: CellKey,
    info: OcrCellInfo,
    reason: str,
    version: str,
) -> bool:
    confirmed = []
    for value in _candidates(info, key[2]):
        # an assessable identity pins the cell's value (every term but this one is known)
        found = [r for r in _containing(values, key, version, value) if r.status != "not_assessable"]
        if found and all(r.status == "passed" for r in found):
            confirmed.append(value)
    if len(confirmed) != 1:
        return False
    values[key] = confirmed[0]
    note = f"OCR {reason} ({' / '.join(info.candidates)}); {_fmt(confirmed[0])} is the one the identities allow"
    result.cells[by_key[key]] = replace(result.cells[by_key[key]], value=confirmed[0], inferred=True, note=note)
    return True


def _check_failing_identities(result: TableExtraction, infos: dict[CellKey, OcrCellInfo], version: str) -> None:
    values = cell_values(result)
    by_key = {(c.table_id, c.row_key, c.col_key): i for i, c in enumerate(result.cells)}
    stands: dict[str, list[str]] = {}
    for key, info in infos.items():
        value = values.get(key)
        if value is None or result.cells[by_key[key]].inferred:
            continue
        failing = [r for r in _containing(values, key, version, value) if r.status == "failed"]
        if not failing:
            continue
        names = ", ".join(f"{r.identity_id} ({r.scope})" for r in failing)
        if info.confidence >= TRUSTED and not result.cells[by_key[key]].note:  # read twice, row read cleanly
            for r in failing:
                stands.setdefault(f"{r.identity_id} ({r.scope})", []).append(f"{'.'.join(key)}={_fmt(value)}")
            continue
        result.cells[by_key[key]] = _null(result.cells[by_key[key]], info, f"reading contradicts {names}")
        result.warnings.append(f"{'.'.join(key)}: OCR reading {_fmt(value)} contradicts {names}; left null")
    for identity, cells in stands.items():
        result.warnings.append(
            f"{identity} fails with near-certain OCR readings ({', '.join(cells)}): published as printed"
        )


def _list_candidates(result: TableExtraction, infos: dict[CellKey, OcrCellInfo]) -> None:
    """Null OCR cells' candidates where the evaluation and later stages look for them."""
    for cell in result.cells:
        key = (cell.table_id, cell.row_key, cell.col_key)
        if cell.cell_state != "ocr" or cell.value is not None or key not in infos:
            continue
        info = infos[key]
        result.ambiguous[".".join(key)] = list(info.candidates)
        split_key = "t4" if cell.table_id == "t4" else f"{cell.table_id}.{cell.row_key}"
        col = f"{cell.row_key}.{cell.col_key}" if cell.table_id == "t4" else cell.col_key
        splits = result.ambiguous_splits.setdefault(split_key, [])
        splits.extend({col: (v, info.candidates[0])} for v in _candidates(info, cell.col_key))
