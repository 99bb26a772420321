"""Stage 3: the three official tables, cell by cell, from grids and flattened text."""

from collections.abc import Iterator

import dagster as dg

from govreport_dagster.checks import suite_check_specs, validate
from govreport_dagster.core.model import SectionedReport
from govreport_dagster.io_manager import Frames
from govreport_dagster.partitions import report_year_partitions
from govreport_dagster.quality.preparation import prepare_tables
from govreport_dagster.quality.runtime import run_suite
from govreport_dagster.resources import WarehouseResource
from govreport_dagster.storage.frames import decoded_from_row, from_json, tables_frames


@dg.asset(
    group_name="annual_reports",
    tags={"stage": "tables"},
    kinds={"python", "parquet"},
    partitions_def=report_year_partitions,
    description="Every cell of tables 2, 3 and 4 keyed by the template's row/column keys (value, cell state, raw "
    "text, source, position), the tables each report is missing and why, and pre-2019 statistics tables.",
    check_specs=suite_check_specs("tables", "extracted_tables"),
)
def extracted_tables(
    context: dg.AssetExecutionContext,
    decoded_reports: Frames,
    sectioned_reports: Frames,
    warehouse: WarehouseResource,
) -> Iterator[dg.Output[Frames] | dg.AssetCheckResult]:
    from govreport_dagster.core.tables import extract_tables

    year = int(context.partition_key)
    cache = warehouse.cache()
    sectioned = {r["report_id"]: r["payload"] for r in sectioned_reports["reports"].to_dict("records")}
    items = []
    for row in decoded_reports["reports"].to_dict("records"):
        payload = sectioned[row["report_id"]]
        key = f"{row['source_sha256']}-{year}-{row['year_source']}"

        def _extract(row=row, payload=payload):
            return extract_tables(decoded_from_row(row), from_json(SectionedReport, payload))

        items.append((row["report_id"], cache.get_or_compute("tables", key, _extract)))
    frames = tables_frames(items, year)
    cells, reports = frames["cells"], frames["reports"]
    prepared = prepare_tables(cells, reports)
    check_metadata, check_results = validate(
        context, "tables", [run_suite(prepared, "tables")], warehouse.data_docs_root
    )
    yield dg.Output(
        frames,
        metadata={
            **check_metadata,
            "reports": len(reports),
            "cells": len(cells),
            "reports_with_t2": int(reports["has_t2"].sum()),
            "reports_with_t3": int(reports["has_t3"].sum()),
            "reports_with_t4": int(reports["has_t4"].sum()),
            "inferred_cells": int(cells["inferred"].sum()) if len(cells) else 0,
            "cache": dg.MetadataValue.json(cache.summary()),
        },
    )
    yield from check_results
