"""Choosing between digit-run splits with the table's own identities (templates.yaml).

Row identities (`along: columns`, e.g. t3 total = sum of the six applicant columns, t4
block totals) filter each row's candidates; column identities (`along: rows`, e.g. t3
balance and outcome sums) couple rows, so a table with several undecided rows is a small
constraint problem, searched exhaustively within a bound.
"""

from __future__ import annotations

from itertools import product

from govreport_dagster.core.templates import Identity, expand_keys, load_templates

SEARCH_LIMIT = 200_000


def row_identities(table_id: str, version: str) -> tuple[Identity, ...]:
    return tuple(
        i for i in load_templates().identities_for(version, "sum") if i.table == table_id and i.along == "columns"
    )


def column_identities(table_id: str, version: str) -> tuple[Identity, ...]:
    return tuple(
        i for i in load_templates().identities_for(version, "sum") if i.table == table_id and i.along == "rows"
    )


def row_ok(values: dict[str, float | None], identities: tuple[Identity, ...], columns: list[str]) -> bool:
    """Every row identity holds (blank counted as 0 for this purpose)."""
    for ident in identities:
        lhs = sum(values.get(c) or 0 for c in expand_keys(ident.lhs, columns))
        rhs = sum(values.get(c) or 0 for c in expand_keys(ident.rhs, columns))
        if abs(lhs - rhs) > 1e-6:
            return False
    return True


def column_violations(
    table: dict[str, dict[str, float | None]], identities: tuple[Identity, ...], columns: list[str]
) -> int:
    """How many (identity, column) instances fail. Identities naming rows the table lacks
    entirely are skipped (the other layout's variant)."""
    rows = list(table)
    bad = 0
    for ident in identities:
        named = [k for k in (*ident.lhs, *ident.rhs) if not k.endswith("*")]
        if any(k not in table for k in named):
            continue
        lhs_rows, rhs_rows = expand_keys(ident.lhs, rows), expand_keys(ident.rhs, rows)
        for col in columns:
            lhs = sum(table[r].get(col) or 0 for r in lhs_rows)
            rhs = sum(table[r].get(col) or 0 for r in rhs_rows)
            if abs(lhs - rhs) > 1e-6:
                bad += 1
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
    total = 1
    for s in sizes:
        total *= s
    if not keys:
        return {}, [{}]
    if total > SEARCH_LIMIT:
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
