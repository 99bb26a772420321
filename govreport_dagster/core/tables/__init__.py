"""Stage 3: tables 2-4 (and pre-2019 statistics tables) from decoded, sectioned reports."""

from govreport_dagster.core.tables.crossyear import pick_neighbour, resolve_across_years, resolve_in_window
from govreport_dagster.core.tables.extract import extract_tables

__all__ = ["extract_tables", "pick_neighbour", "resolve_across_years", "resolve_in_window"]
