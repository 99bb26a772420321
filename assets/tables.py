"""Stage 3: the three official tables, cell by cell, from grids and flattened text."""

import dagster as dg

from govreport_dagster.core.frames import decoded_from_row, from_json, tables_frames
from govreport_dagster.core.model import SectionedReport
from govreport_dagster.io_manager import Frames
from govreport_dagster.partitions import report_year_partitions
from govreport_dagster.resources import WarehouseResource


@dg.asset(
    group_name="tables",
    kinds={"python", "parquet"},
    partitions_def=report_year_partitions,
    description="Every cell of tables 2, 3 and 4 keyed by the template's row/column keys (value, cell state, raw "
    "text, source, position), the tables each report is missing and why, and pre-2019 statistics tables.",
)
def extracted_tables(
    context: dg.AssetExecutionContext,
    decoded_reports: Frames,
    sectioned_reports: Frames,
    warehouse: WarehouseResource,
) -> dg.Output[Frames]:
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
    return dg.Output(
        frames,
        metadata={
            "reports": len(reports),
            "cells": len(cells),
            "reports_with_t2": int(reports["has_t2"].sum()),
            "reports_with_t3": int(reports["has_t3"].sum()),
            "reports_with_t4": int(reports["has_t4"].sum()),
            "inferred_cells": int(cells["inferred"].sum()) if len(cells) else 0,
            "cache": dg.MetadataValue.json(cache.summary()),
        },
    )
