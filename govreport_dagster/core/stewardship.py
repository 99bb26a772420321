"""Suggestions and people's corrections in the facts stage, beside the printed values.

`facts.build_year_facts` calls `YearCorrections.amend_report_rows` once per report, on the rows it
built from the printed values:

- every fact row keeps its printed value in `printed_value` / `printed_count`; a cell with an
  applied correction publishes the corrected value with `cell_state = corrected` and the
  correction's id, who, when and why joined in;
- every identity row computed on the printed values gets `value_basis = printed`; a report
  with applied corrections gets its identities evaluated again on the corrected values (the
  previous year's corrections applied too, for the cross-year ones), `value_basis = corrected`;
- the report's suggested corrections (`core.suggestions`, on the printed values, never
  applied) become `correction_suggestions` rows, `accepted` when an applied correction gives
  the cell the suggested value.

The year's `corrections` table lists every correction recorded for the year with what became
of it (applied, stale, unmatched, conflict). Without corrections the published values are the
printed ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .cell_overrides import evaluate_with
from .corrections import (
    Correction,
    MatchKey,
    Outcome,
    applied_values,
    check_report,
    corrections_for,
    match_key,
    match_reports,
)
from .identities import Assessed, CellKey
from .model import IdentityResult, ReportBundle
from .suggestions import suggest_for_report

VALUE_BASES = ("printed", "corrected")
CORRECTED = "corrected"
# fact table of each template table: (table, row-key column, col-key column, value column, printed column)
FACT_COLUMNS = {
    "t2": ("fact_active_disclosure", "item_key", "metric_key", "value", "printed_value"),
    "t3": ("fact_applications", "outcome_key", "applicant_key", "count", "printed_count"),
    "t4": ("fact_review_litigation", "proceeding_key", "result_key", "count", "printed_count"),
}
PROVENANCE_COLUMNS = ("correction_id", "corrected_by", "corrected_at", "correction_reason")


@dataclass
class YearCorrections:
    """The corrections of one report year, matched to its reports, and what became of them."""

    corrections: Sequence[Correction]
    assigned: dict[str, list[Correction]]
    outcomes: list[Outcome] = field(default_factory=list)

    @classmethod
    def for_year(cls, corrections: Sequence[Correction], year: int, bundles: Sequence[ReportBundle]) -> YearCorrections:
        return cls.for_reports(corrections, year, [match_key(b) for b in bundles])

    @classmethod
    def for_reports(cls, corrections: Sequence[Correction], year: int, reports: Sequence[MatchKey]) -> YearCorrections:
        """`for_year` on what matching reads of each report (the year's bundles need not all be in memory)."""
        assigned, unmatched = match_reports(corrections, year, reports)
        return cls(list(corrections), assigned, list(unmatched))

    def amend_report_rows(
        self,
        rows: dict[str, list[dict[str, Any]]],
        bundle: ReportBundle,
        prior: ReportBundle | None,
        assessed: list[Assessed] | None = None,
    ) -> None:
        """Printed columns, applied corrections, corrected-value identities and suggestions
        for one report's rows (in place). `assessed`: the report's identities on the printed
        values as the caller already evaluated them (`cell_overrides.assess_bundle`), else
        evaluated here."""
        outcomes = check_report(self.assigned.get(bundle.report_id, []), bundle)
        self.outcomes.extend(outcomes)
        applied = applied_values(outcomes)
        for row in rows.get("identity_checks", []):
            row["value_basis"] = "printed"
        for table_id, (table, row_col, col_col, value_col, printed_col) in FACT_COLUMNS.items():
            for row in rows.get(table, []):
                row[printed_col] = row[value_col]
                correction = applied.get((table_id, row[row_col], row[col_col]))
                if correction is not None:
                    _apply(row, correction, value_col)
        if applied:
            prior_applied = corrections_for(self.corrections, prior)
            results = evaluate_with(bundle, prior, _values(applied), _values(prior_applied))
            rows.setdefault("identity_checks", []).extend(identity_row(bundle.report_id, r, CORRECTED) for r in results)
        rows["correction_suggestions"] = [
            {**s.record(), "accepted": _accepted(applied.get(s.cell), s.suggested_value)}
            for s in suggest_for_report(bundle, prior, assessed)
        ]

    def rows(self) -> list[dict[str, Any]]:
        """The year's `corrections` rows (report_year added by the caller)."""
        return [o.record() for o in self.outcomes]


def _apply(row: dict[str, Any], correction: Correction, value_col: str) -> None:
    row[value_col] = int(correction.corrected) if value_col == "count" else correction.corrected
    row["cell_state"] = CORRECTED
    row["correction_id"] = correction.correction_id
    row["corrected_by"] = correction.who
    row["corrected_at"] = correction.when
    row["correction_reason"] = correction.reason


def _values(applied: dict[CellKey, Correction]) -> dict[CellKey, float]:
    return {key: c.corrected for key, c in applied.items()}


def _accepted(correction: Correction | None, suggested: float) -> bool:
    return correction is not None and abs(correction.corrected - suggested) < 1e-9


def identity_row(report_id: str, result: IdentityResult, basis: str) -> dict[str, Any]:
    """An `identity_checks` row (the columns facts writes for the printed values)."""
    return {
        "report_id": report_id,
        "identity_id": result.identity_id,
        "scope": result.scope,
        "lhs": result.lhs,
        "rhs": result.rhs,
        "passed": result.passed,
        "detail": result.detail,
        "status": result.status,
        "severity": result.severity,
        "value_basis": basis,
    }


def year_summary(corrections_rows: list[dict[str, Any]], suggestion_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts for the UI: corrections by status, suggestions by certainty and accepted."""
    statuses: dict[str, int] = {}
    for row in corrections_rows:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    certainties: dict[str, int] = {}
    for row in suggestion_rows:
        certainties[row["certainty"]] = certainties.get(row["certainty"], 0) + 1
    return {
        "corrections": len(corrections_rows),
        "corrections_by_status": statuses,
        "suggestions": len(suggestion_rows),
        "suggestions_by_certainty": certainties,
        "suggestions_accepted": sum(1 for r in suggestion_rows if r.get("accepted")),
    }
