"""A year at a glance: reports per quality status and the identity pass rate, as a PNG.

Rendered by the publishing step and attached to its Dagster metadata. Labels are in
English keys (the contract's vocabulary) so no CJK font is needed on the machine.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from govreport_dagster.core.schemas import REPORT_QUALITY_STATUSES

_STATUS_COLOURS = {
    "ok": "#2e7d32",
    "identity_violation": "#c62828",
    "tables_missing": "#f9a825",
    "partial_tables": "#ef6c00",
    "no_tables_expected": "#78909c",
    "unparseable": "#6a1b9a",
}


def quality_chart(
    reports: pd.DataFrame, identity_checks: pd.DataFrame, year: int, path: str | os.PathLike[str]
) -> Path:
    """Draw the year's quality chart to `path` (PNG) and return the path."""
    import matplotlib

    matplotlib.use("Agg")  # no display, no GUI toolkit
    import matplotlib.pyplot as plt

    counts = reports["quality_status"].value_counts() if len(reports) else pd.Series(dtype=int)
    statuses = [s for s in REPORT_QUALITY_STATUSES if counts.get(s, 0)] or list(REPORT_QUALITY_STATUSES[:1])
    status_counts = pd.Series([int(counts.get(s, 0)) for s in statuses], index=statuses, dtype="int64")
    by_identity = pass_rates(identity_checks)

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1, 1.4]})
    left.barh(statuses, [status_counts[s] for s in statuses], color=[_STATUS_COLOURS[s] for s in statuses])
    left.set_title(f"{year}: {len(reports)} report(s) by quality status")
    left.invert_yaxis()
    left.set_xlabel("reports")
    if by_identity.empty:
        right.text(0.5, 0.5, "no identity could be assessed", ha="center", va="center")
        right.set_axis_off()
    else:
        right.barh(by_identity.index, by_identity["passed"], color="#2e7d32", label="passed")
        right.barh(
            by_identity.index, by_identity["failed"], left=by_identity["passed"], color="#c62828", label="failed"
        )
        right.barh(
            by_identity.index,
            by_identity["not_assessable"],
            left=by_identity["passed"] + by_identity["failed"],
            color="#b0bec5",
            label="not assessable",
        )
        right.set_title(f"identity checks ({pass_rate_text(by_identity)})")
        right.invert_yaxis()
        right.legend(loc="lower right", fontsize=8)
        right.set_xlabel("checks")
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out


def pass_rate_text(by_identity: pd.DataFrame) -> str:
    """ "pass rate 93% of assessable", or "no assessable checks" when every check had a blank
    input (a 0% rate would read as every check failing)."""
    assessable = int(by_identity["passed"].sum() + by_identity["failed"].sum())
    if assessable == 0:
        return "no assessable checks"
    return f"pass rate {by_identity['passed'].sum() / assessable:.0%} of assessable"


def pass_rates(identity_checks: pd.DataFrame) -> pd.DataFrame:
    if identity_checks is None or identity_checks.empty:
        return pd.DataFrame(columns=["passed", "failed", "not_assessable"])
    table = pd.crosstab(identity_checks["identity_id"], identity_checks["status"])
    for col in ("passed", "failed", "not_assessable"):
        if col not in table.columns:
            table[col] = 0
    return table[["passed", "failed", "not_assessable"]]
