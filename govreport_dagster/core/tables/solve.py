"""Choosing between digit-run splits with the table's own identities (templates.yaml).

Row identities (`along: columns`, e.g. t3 total = sum of the six applicant columns, t4
block totals) filter each row's candidates; column identities (`along: rows`, e.g. t3
balance and outcome sums) couple rows, so a table with several undecided rows is a small
constraint problem, searched exhaustively within `arithmetic.SEARCH_LIMIT`. A cell the row
leaves blank counts as 0 here (`holds(..., blank_as_zero=True)`, see `arithmetic`).
"""

from __future__ import annotations

from itertools import product

from govreport_dagster.core import arithmetic
from govreport_dagster.core.arithmetic import holds, search_space, sum_instances
from govreport_dagster.core.templates import Identity, load_templates


def row_identities(table_id: str, version: str) -> tuple[Identity, ...]:
    return tuple(
        i for i in load_templates().identities_for(version, "sum") if i.table == table_id and i.along == "columns"
    )


def column_identities(table_id: str, version: str) -> tuple[Identity, ...]:
    return tuple(
        i for i in load_templates().identities_for(version, "sum") if i.table == table_id and i.along == "rows"
    )


def row_ok(values: dict[str, float | None], identities: tuple[Identity, ...], columns: list[str]) -> bool:
    """Every row identity holds in a row of `values` (column key → value)."""
    for ident in identities:
        for inst in sum_instances(ident, "", ["_"], columns):
            lhs, rhs = [values.get(t.col) for t in inst.lhs], [values.get(t.col) for t in inst.rhs]
            if not holds(lhs, rhs, blank_as_zero=True):
                return False
    return True


def column_violations(
    table: dict[str, dict[str, float | None]], identities: tuple[Identity, ...], columns: list[str]
) -> int:
    """How many (identity, column) instances fail. Identities naming rows the table lacks
    entirely are skipped (the other layout's variant)."""
    bad = 0
    for ident in identities:
        if any(k not in table for k in (*ident.lhs, *ident.rhs) if not k.endswith("*")):
            continue
        for inst in sum_instances(ident, "", list(table), columns):
            lhs, rhs = [table[t.row].get(t.col) for t in inst.lhs], [table[t.row].get(t.col) for t in inst.rhs]
            bad += not holds(lhs, rhs, blank_as_zero=True)
    return bad


def solve_table(
    fixed: dict[str, dict[str, float | None]],
    open_rows: dict[str, list[dict[str, float | None]]],
    identities: tuple[Identity, ...],
    columns: list[str],
) -> tuple[dict[str, int] | None, list[dict[str, int]]]:
    """Pick one candidate per open row so that the column identities fail as little as
    possible. Returns (the unique best choice or None, all best choices) as row → index."""
    keys = list(open_rows)
    sizes = [len(open_rows[k]) for k in keys]
    if not keys:
        return {}, [{}]
    if search_space(sizes) > arithmetic.SEARCH_LIMIT:
        return None, []
    best: list[dict[str, int]] = []
    best_bad = None
    for combo in product(*(range(s) for s in sizes)):
        table = dict(fixed)
        for k, idx in zip(keys, combo, strict=True):
            table[k] = open_rows[k][idx]
        bad = column_violations(table, identities, columns)
        if best_bad is None or bad < best_bad:
            best_bad, best = bad, [dict(zip(keys, combo, strict=True))]
        elif bad == best_bad:
            best.append(dict(zip(keys, combo, strict=True)))
    return (best[0] if len(best) == 1 else None), best
