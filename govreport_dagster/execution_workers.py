"""The per-document batch functions `execution.map_cached` fans out (module level, so a
worker process can import them; the forkserver preloads this module, hence the core).

Each takes a list of picklable payloads and returns one result per payload, in order (a
result wrapped in `execution_results.Uncached` is handed on but never cached); the
results are what the cache stores for the stage (a `DecodeOutcome`, a `SectionedReport`, a
`TableExtraction`). Every document runs under `guard.guarded` (time and memory budgets, any
exception): a failure becomes that document's rejection or status with the reason, never
the batch's or the run's. A document that kills its worker process outright (a crash in
native code, the OOM killer) is beyond the guard: `execution_recovery` finds it by retrying
alone and hands it to this module's `*_lost` function, the stage's per-file outcome.
"""

from __future__ import annotations

from typing import Any

from .core.decode import detect_type
from .core.ingest import DecodeOutcome
from .core.landing import sha256_hex
from .core.model import MissingTable, ReportMetadata, SectionedReport, TableExtraction
from .core.sectioning import section_report
from .core.tables import extract_tables
from .execution_results import Uncached
from .guard import guarded
from .storage.decoding import DecodeSource, decode_payload, read_source, unreadable_outcome
from .storage.frames import decoded_from_row, from_json

GUARD_FAILED = "guard_failed"  # sectioning status of a report whose sectioning the guard stopped
WORKER_LOST = "worker lost:"  # rejection prefix of a file whose decode killed its worker, alone


def decode_one(data: bytes, uri: str) -> DecodeOutcome:
    """One decode under the guard, its time recorded on the outcome."""
    outcome, reason, took = guarded(decode_payload, data, uri)
    if outcome is None:
        detected, _, _ = guarded(detect_type, data, uri, seconds=10.0)
        return DecodeOutcome(sha256_hex(data), detected or "unknown", None, f"decode stopped: {reason}", took)
    return DecodeOutcome(outcome.sha256, outcome.detected_type, outcome.document, outcome.rejection, took)


def decode_source(source: DecodeSource) -> DecodeOutcome | Uncached:
    """Read the file (checked against the ledger's size and hash) and decode it; a file that
    vanished or changed since it was hashed is the ledger's one-line reason for it, never
    kept in the cache (the next run hashes and decodes what is there then)."""
    try:
        data = read_source(source)
    except OSError as exc:
        return Uncached(unreadable_outcome(source, exc))
    return decode_one(data, source.uri)


def decode_batch(payloads: list[DecodeSource]) -> list[DecodeOutcome | Uncached]:
    """Each file's location and ledger hash → its decode outcome (a rejection is an outcome,
    not an error). The worker reads the file itself: no document's bytes pass the driver."""
    return [decode_source(source) for source in payloads]


def decode_lost(source: DecodeSource, reason: str) -> DecodeOutcome:
    """The ledger's rejection of a file whose decode killed its worker even alone."""
    return DecodeOutcome(source.sha256, "unknown", None, f"{WORKER_LOST} decoding {source.uri}: {reason}", None)


def _section_one(row: dict[str, Any], year: int) -> SectionedReport:
    def run() -> SectionedReport:
        return section_report(decoded_from_row(row), year_hint=year, year_hint_source=row["year_source"])

    result, reason, _took = guarded(run)
    return _section_stopped(row, year, f"sectioning stopped: {reason}") if result is None else result


def _section_stopped(row: dict[str, Any], year: int, why: str) -> SectionedReport:
    meta = ReportMetadata()
    meta.report_year, meta.year_source = year, row["year_source"]
    return SectionedReport(meta, [], "unknown", "unknown", [], GUARD_FAILED, [why])


def section_lost(payload: tuple[dict[str, Any], int], reason: str) -> SectionedReport:
    """The guard's status for a report whose sectioning killed its worker even alone."""
    row, year = payload
    return _section_stopped(row, year, f"sectioning stopped: {WORKER_LOST} {reason}")


def section_batch(payloads: list[tuple[dict[str, Any], int]]) -> list[SectionedReport]:
    """(a `decoded_reports` row, the partition year) → the sectioned report."""
    return [_section_one(row, year) for row, year in payloads]


def _extract_one(row: dict[str, Any], payload: str) -> TableExtraction:
    def run() -> TableExtraction:
        return extract_tables(decoded_from_row(row), from_json(SectionedReport, payload))

    result, reason, _took = guarded(run)
    return _extraction_stopped(f"table extraction stopped: {reason}") if result is None else result


def _extraction_stopped(why: str) -> TableExtraction:
    missing = [MissingTable(table_id, why) for table_id in ("t2", "t3", "t4")]
    return TableExtraction("unknown", missing=missing, warnings=[why])


def extract_lost(_payload: tuple[dict[str, Any], str], reason: str) -> TableExtraction:
    """The guard's outcome (every table missing, with the reason) for a report whose table
    extraction killed its worker even alone."""
    return _extraction_stopped(f"table extraction stopped: {WORKER_LOST} {reason}")


def extract_batch(payloads: list[tuple[dict[str, Any], str]]) -> list[TableExtraction]:
    """(a `decoded_reports` row, its sectioned JSON payload) → the three tables."""
    return [_extract_one(row, payload) for row, payload in payloads]
