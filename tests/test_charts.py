"""The year's quality chart says what it can: no 0% pass rate when nothing was assessable."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from govreport_dagster.reporting.charts import pass_rate_text, pass_rates, quality_chart


def checks(*statuses: str) -> pd.DataFrame:
    return pd.DataFrame({"identity_id": ["t3_balance"] * len(statuses), "status": list(statuses)})


def test_nothing_assessable_is_said_so() -> None:
    assert pass_rate_text(pass_rates(checks("not_assessable", "not_assessable"))) == "no assessable checks"


def test_pass_rate_counts_only_assessable_checks() -> None:
    assert pass_rate_text(pass_rates(checks("passed", "failed", "passed", "passed", "not_assessable"))) == (
        "pass rate 75% of assessable"
    )


def test_chart_renders_when_nothing_is_assessable(tmp_path: Path) -> None:
    reports = pd.DataFrame({"quality_status": ["tables_missing"]})
    out = quality_chart(reports, checks("not_assessable"), 2024, tmp_path / "chart.png")
    assert out.read_bytes()[:4] == b"\x89PNG"
