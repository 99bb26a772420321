"""Pre-2019 statistics tables (placeholder until implemented)."""

from __future__ import annotations

from govreport_dagster.core.model import LegacyIndicatorRow


def extract_legacy(text: str) -> tuple[list[LegacyIndicatorRow], list[str]]:
    return [], []
