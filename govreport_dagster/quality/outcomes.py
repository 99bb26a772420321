"""What one expectation concluded, as plain data (`ExpectationOutcome`), converted from GX's
result object. No GX import here: the conversion reads attributes of the result it is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

MAX_EXAMPLES = 10


@dataclass(frozen=True)
class ExpectationOutcome:
    check_name: str
    success: bool
    severity: str  # error (blocking) | warn
    unexpected_count: int
    unexpected_examples: list[Any]
    element_count: int
    description: str
    expectation_type: str = ""
    table: str | None = None
    not_assessable: int | None = None  # identity expectations: rows excluded as not assessable
    exception: str | None = None  # the expectation could not be evaluated (e.g. a missing column)

    @property
    def blocking_failure(self) -> bool:
        return not self.success and self.severity == "error"


def outcome_from_gx(result: Any, frame: pd.DataFrame, table: str | None) -> ExpectationOutcome:
    """One GX `ExpectationValidationResult` over `frame` as an outcome (examples taken from
    the frame's rows, identity expectations counting their not-assessable rows)."""
    config = result.expectation_config
    meta = dict(config.meta or {})
    details = result.result or {}
    exception = None
    if result.exception_info and result.exception_info.get("raised_exception"):
        exception = str(result.exception_info.get("exception_message"))
    return ExpectationOutcome(
        check_name=meta.get("check_name") or config.type,
        success=bool(result.success) and exception is None,
        severity=meta.get("severity", "error"),
        unexpected_count=int(details.get("unexpected_count") or 0),
        unexpected_examples=_examples(details, frame, config.kwargs, meta) if not result.success else [],
        element_count=int(details.get("element_count") or len(frame)),
        description=config.description or meta.get("description") or config.type,
        expectation_type=config.type,
        table=meta.get("table", table),
        not_assessable=_not_assessable(frame, meta.get("identity_id")),
        exception=exception,
    )


def restated_for_part(
    outcome: ExpectationOutcome, part: pd.DataFrame, identity_id: str | None, domain_rows: int
) -> ExpectationOutcome:
    """A row-wise expectation that passed over a union of frames, restated for one of them:
    it held on every row of the union, so on the part's rows too; the counts are the part's
    (`domain_rows`: the part's rows the expectation looked at, as GX counts them)."""
    if not outcome.success:
        raise ValueError(f"{outcome.check_name}: only a passed outcome holds for every part")
    # outcome_from_gx's rule: GX's element_count, or the frame's rows when GX gives none (or 0)
    return replace(outcome, element_count=domain_rows or len(part), not_assessable=_not_assessable(part, identity_id))


def _not_assessable(frame: pd.DataFrame, identity_id: str | None) -> int | None:
    """Rows of this identity the expectation excluded as not assessable (None: not an identity)."""
    if not identity_id or not {"identity_id", "status"} <= set(frame.columns):
        return None
    return int(((frame["identity_id"] == identity_id) & (frame["status"] == "not_assessable")).sum())


def _example_columns(frame: pd.DataFrame, kwargs: Mapping[str, Any], meta: Mapping[str, Any]) -> list[str]:
    """`meta.example_columns`, else report_id and the columns the expectation checks."""
    columns = list(meta.get("example_columns") or [])
    if not columns:
        columns = ["report_id"] if "report_id" in frame.columns else []
        columns += [kwargs[key] for key in ("column", "column_A", "column_B") if kwargs.get(key)]
        columns += list(kwargs.get("column_list") or [])
    return [c for c in dict.fromkeys(columns) if c in frame.columns]


def _examples(
    details: Mapping[str, Any], frame: pd.DataFrame, kwargs: Mapping[str, Any], meta: Mapping[str, Any]
) -> list[Any]:
    """Up to MAX_EXAMPLES unexpected rows (key columns and the columns checked), else values."""
    index = details.get("partial_unexpected_index_list") or []
    columns = _example_columns(frame, kwargs, meta)
    if index and columns:
        rows = frame.loc[[i for i in index[:MAX_EXAMPLES] if i in frame.index], columns]
        return [{k: plain(v) for k, v in row.items()} for row in rows.to_dict("records")]
    if "partial_unexpected_list" in details:
        return [plain(v) for v in details["partial_unexpected_list"][:MAX_EXAMPLES]]
    observed = details.get("observed_value")
    return [plain(observed)] if observed is not None else []


def plain(value: Any) -> Any:
    """JSON-able (numpy scalars, NA, tuples)."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
