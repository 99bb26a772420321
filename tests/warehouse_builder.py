"""A warehouse written in-process from a folder of reports (no Dagster): the same core stages
and writer the assets call, for tests that need a populated warehouse quickly."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

from govreport_dagster.core.decode import decode_file
from govreport_dagster.core.facts import build_facts, labels_frame
from govreport_dagster.core.model import RawFile, RejectedInput, ReportBundle, make_report_id
from govreport_dagster.core.sectioning import section_report
from govreport_dagster.core.tables import extract_tables
from govreport_dagster.storage.bi_columns import with_landing_root
from govreport_dagster.storage.warehouse import Warehouse

SUFFIXES = (".txt", ".html", ".htm", ".pdf", ".docx")


def bundles_from_folder(landing: Path) -> dict[int, list[ReportBundle]]:
    by_year: dict[int, list[ReportBundle]] = defaultdict(list)
    seen: set[str] = set()
    for path in sorted(p for p in landing.rglob("*") if p.suffix in SUFFIXES):
        data = path.read_bytes()
        try:
            decoded = decode_file(data, str(path))
        except RejectedInput:
            continue
        sectioned = section_report(decoded)
        year = sectioned.metadata.report_year
        report_id = make_report_id(decoded.text)
        if year is None or report_id in seen:
            continue
        seen.add(report_id)
        raw = RawFile(str(path), len(data), hashlib.sha256(data).hexdigest(), path.suffix.lstrip("."))
        tables = extract_tables(decoded, sectioned)
        by_year[year].append(ReportBundle(report_id, year, raw, decoded, sectioned, tables))
    return by_year


def write_warehouse(landing: Path, root: Path) -> Warehouse:
    warehouse = Warehouse(root)
    by_year = bundles_from_folder(landing)
    for year, bundles in sorted(by_year.items()):
        frames = build_facts(bundles, by_year.get(year - 1, []), by_year.get(year + 1, []))
        frames["reports"] = with_landing_root(frames["reports"], str(landing))  # as report_facts does
        warehouse.write_year_tables(year, frames)
    warehouse.write_labels(labels_frame())
    return warehouse
