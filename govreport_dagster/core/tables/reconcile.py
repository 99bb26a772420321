"""One PDF table read twice — from its grid and from the page's text layer — made one.

The grid is the primary reading (cells come with their column). The text layer is the same
table as a line-based reader sees it; on a real PDF it puts values on the line above or below
their label, so it can shift a row. Where the two readings disagree on a cell, the table's
identities (templates.yaml) decide: the reading that breaks fewer of them wins.

Where they break as many, the identities cannot decide, and the issue's rule holds: a cell the
two readings give *different values* for is null with both readings as candidates, in the same
form as undecided digit runs (`ambiguous`, `ambiguous_splits`), so that later stages and the
evaluation treat them alike. Never a guess. One case is no disagreement of values: the text
layer found a row's label but *no value of the row at all* on its line (its values printed on
the line above or below — how p02/p03 print the last rows of table 3). That reading abstains;
a grid cell holding one clean value (a drawn or word-aligned cell, one number, nothing split or
noted) then stands, as it would if the text layer had not been consulted. A grid cell that is
itself uncertain (split from a run, a row with surplus values, not a number) is null with both
readings either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from govreport_dagster.core.identities import STATUS_FAILED, evaluate_sum_identities
from govreport_dagster.core.model import VALUE_STATES, TableCell
from govreport_dagster.core.tables.cells import Read, warn

Key = tuple[str, str]  # (row_key, col_key)


@dataclass
class Reconciled:
    cells: list[TableCell]
    warnings: list[str] = field(default_factory=list)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    splits: dict[str, list[dict[str, tuple[float | None, str]]]] = field(default_factory=dict)


def _by_key(cells: list[TableCell]) -> dict[Key, TableCell]:
    out: dict[Key, TableCell] = {}
    for c in cells:
        if not c.row_key.startswith("unmapped:"):
            out.setdefault((c.row_key, c.col_key), c)
    return out


def _number(cell: TableCell) -> float | None:
    return cell.value if cell.cell_state in VALUE_STATES else None  # OCR cells are values too


def _disagree(a: TableCell, b: TableCell) -> bool:
    va, vb = _number(a), _number(b)
    if va is None or vb is None:
        return (va is None) != (vb is None)
    return abs(va - vb) > 1e-9


def _failures(tid: str, version: str, values: dict[Key, float | None]) -> int:
    full = {(tid, row, col): v for (row, col), v in values.items()}
    return sum(r.status == STATUS_FAILED for r in evaluate_sum_identities(full, version, tables=[tid]))


def reconcile(tid: str, version: str, grid_cells: list[TableCell], text_cells: list[TableCell]) -> Reconciled:
    """The grid's cells, with the cells the text layer reads differently decided by the
    identities or left null with both candidates."""
    grid, text = _by_key(grid_cells), _by_key(text_cells)
    disputed = [k for k, cell in grid.items() if k in text and _disagree(cell, text[k])]
    if not disputed:
        return Reconciled(list(grid_cells))
    grid_values = {k: _number(c) for k, c in grid.items()}
    text_values = {**grid_values, **{k: _number(text[k]) for k in disputed}}
    f_grid, f_text = _failures(tid, version, grid_values), _failures(tid, version, text_values)
    where = ", ".join(f"{r}.{c}" for r, c in disputed[:6]) + (" …" if len(disputed) > 6 else "")
    summary = f"{tid}: grid and text layer read {len(disputed)} cells differently ({where})"
    if f_grid < f_text:
        return Reconciled(list(grid_cells), [f"{summary}; the identities side with the grid"])
    if f_text < f_grid:
        chosen = {k: text[k] for k in disputed}
        cells = [chosen.get((c.row_key, c.col_key), c) for c in grid_cells]
        return Reconciled(cells, [f"{summary}; the identities side with the text layer"])
    abstaining = _rows_without_values(text)
    uncertain = [k for k in disputed if not (_clean(grid[k]) and k[0] in abstaining)]
    if not uncertain:
        return Reconciled(
            list(grid_cells),
            [f"{summary}; the identities cannot decide, the text layer read no value on those rows: the grid stands"],
        )
    return _undecided(
        tid, grid_cells, grid, text, uncertain, f"{summary}; the identities cannot decide: {len(uncertain)} null"
    )


def _clean(cell: TableCell) -> bool:
    """One printed value in one grid cell, read as it stands."""
    return cell.source == "grid" and cell.cell_state in ("number", "blank") and not cell.inferred and not cell.note


def _rows_without_values(text: dict[Key, TableCell]) -> set[str]:
    """Rows whose label the text layer found with no value of the row on its line."""
    rows: dict[str, bool] = {}
    for (row, _), cell in text.items():
        rows[row] = rows.get(row, False) or _number(cell) is not None
    return {row for row, has_value in rows.items() if not has_value}


def _undecided(
    tid: str, grid_cells: list[TableCell], grid: dict[Key, TableCell], text: dict[Key, TableCell], disputed, warning
) -> Reconciled:
    out = Reconciled([], [warning])
    open_keys = set(disputed)
    for c in grid_cells:
        key = (c.row_key, c.col_key)
        if key not in open_keys:
            out.cells.append(c)
            continue
        t = text[key]
        note = f"grid reads {c.raw_text!r}, the text layer {t.raw_text!r}; the identities cannot decide"
        out.cells.append(
            TableCell(
                tid,
                c.row_key,
                c.col_key,
                None,
                "text",
                f"{c.raw_text} / {t.raw_text}",
                c.source,
                c.position,
                False,
                note,
            )
        )
    for row in dict.fromkeys(r for r, _ in disputed):
        cols = [k for k in grid if k[0] == row]
        readings = [
            {_split_key(tid, k): (_number(grid[k]), grid[k].raw_text) for k in cols},
            {_split_key(tid, k): (_number(text.get(k, grid[k])), text.get(k, grid[k]).raw_text) for k in cols},
        ]
        amb_key = "t4" if tid == "t4" else f"{tid}.{row}"
        out.splits.setdefault(amb_key, []).extend(readings)
        out.ambiguous.setdefault(amb_key, []).extend(
            f"{source}: " + " / ".join(raw for _, raw in r.values())
            for source, r in zip(("grid", "text layer"), readings, strict=True)
        )
    return out


def _split_key(tid: str, key: Key) -> str:
    """Candidate splits are keyed by column; table 4's (one run over all rows) by row.column."""
    return f"{key[0]}.{key[1]}" if tid == "t4" else key[1]


def reconcile_reads(tid: str, version: str, read: Read, read_text_layer: Callable[[], Read]) -> Read:
    """The grid's reading checked against the text layer's (`reconcile`); a failure of the
    check never costs the grid's reading."""
    try:
        alt = read_text_layer()
        result = reconcile(tid, version, list(read.cells), list(alt.cells))
    except Exception as exc:
        return read + warn(f"{tid}: text-layer check failed ({type(exc).__name__}); grid reading kept")
    return Read(
        tuple(result.cells),
        (*read.warnings, *result.warnings),
        {**read.ambiguous, **result.ambiguous},
        {**read.splits, **result.splits},
        read.missing,
    )
