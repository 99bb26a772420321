"""The per-document batch functions `execution.map_cached` fans out (module level, so a
worker process can import them; the forkserver preloads this module, hence the core).

Each takes a list of picklable payloads and returns one result per payload, in order; the
results are what the cache stores for the stage (a `DecodeOutcome`, a `SectionedReport`, a
`TableExtraction`).
"""

from __future__ import annotations

from typing import Any

from .core.ingest import DecodeOutcome, decode_content
from .core.model import SectionedReport, TableExtraction
from .core.sectioning import section_report
from .core.tables import extract_tables
from .storage.frames import decoded_from_row, from_json


def decode_batch(payloads: list[tuple[bytes, str]]) -> list[DecodeOutcome]:
    """(bytes, source uri) → the decode outcome (a rejection is an outcome, not an error)."""
    return [decode_content(data, uri) for data, uri in payloads]


def section_batch(payloads: list[tuple[dict[str, Any], int]]) -> list[SectionedReport]:
    """(a `decoded_reports` row, the partition year) → the sectioned report."""
    return [
        section_report(decoded_from_row(row), year_hint=year, year_hint_source=row["year_source"])
        for row, year in payloads
    ]


def extract_batch(payloads: list[tuple[dict[str, Any], str]]) -> list[TableExtraction]:
    """(a `decoded_reports` row, its sectioned JSON payload) → the three tables."""
    return [extract_tables(decoded_from_row(row), from_json(SectionedReport, payload)) for row, payload in payloads]
