"""Identities re-evaluated with some cells' values replaced, the report otherwise as extracted.

Suggested corrections ask "would this one value make the failed identity hold?" and applied
corrections ask "which identities hold on the corrected values?". Both answer it by
replacing cell values in a copy of the report and evaluating the template's identities again
through `identities` (the only module that knows how an identity expands over a layout), so
the printed report is never modified.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from . import identities
from .identities import Assessed, CellKey
from .model import VALUE_STATES, IdentityResult, ReportBundle, TableCell, TableExtraction

Overrides = Mapping[CellKey, float]


def cell_key(cell: TableCell) -> CellKey:
    return (cell.table_id, cell.row_key, cell.col_key)


def format_cell_key(key: CellKey) -> str:
    """`t4.review.total`: the form corrections files and suggestion rows use."""
    return ".".join(key)


def with_cell_values(tables: TableExtraction, overrides: Overrides) -> TableExtraction:
    """A copy of the extraction whose overridden cells hold the given numbers (state `number`,
    raw text kept); every other cell, and the original extraction, unchanged."""
    if not overrides:
        return tables
    cells = [
        replace(cell, value=float(overrides[cell_key(cell)]), cell_state="number")
        if cell_key(cell) in overrides
        else cell
        for cell in tables.cells
    ]
    return replace(tables, cells=cells)


def with_bundle_values(bundle: ReportBundle | None, overrides: Overrides) -> ReportBundle | None:
    if bundle is None or not overrides:
        return bundle
    return replace(bundle, tables=with_cell_values(bundle.tables, overrides))


def evaluate_bundle(bundle: ReportBundle, prior: ReportBundle | None) -> list[IdentityResult]:
    """Every identity of the report, as the facts stage evaluates them: its own sums and
    text-vs-table checks, then the cross-year identities against the previous report."""
    return [result for _inst, result in assess_bundle(bundle, prior)]


def assess_bundle(bundle: ReportBundle, prior: ReportBundle | None) -> list[Assessed]:
    """`evaluate_bundle`'s results, each with the identity instance it evaluated (the cells it read)."""
    assessed = identities.assess_report(bundle.tables, bundle.sectioned)
    assessed.extend(identities.assess_cross_year(bundle, prior))
    return assessed


def evaluate_with(
    bundle: ReportBundle, prior: ReportBundle | None, overrides: Overrides, prior_overrides: Overrides | None = None
) -> list[IdentityResult]:
    """The report's identities with `overrides` in place (and `prior_overrides` in the
    previous report)."""
    current = with_bundle_values(bundle, overrides)
    assert current is not None
    return evaluate_bundle(current, with_bundle_values(prior, prior_overrides or {}))


def printed_text(cell: TableCell) -> str:
    """A cell's printed value in the canonical form corrections compare against: a number
    cell as its number (`11`, `1.25`), any other cell as its stripped raw text (blank: "")."""
    if cell.cell_state in VALUE_STATES:  # an OCR-read number compares as its number too
        value = identities.as_number(cell.value)
        if value is not None:
            return format_number(value)
    return (cell.raw_text or "").strip()


def format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.10g}"
