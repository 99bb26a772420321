"""Stage 2: decoded text → official sections, metadata, template version, narrative metrics."""

from collections.abc import Iterator

import dagster as dg

from govreport_dagster.checks import suite_check_specs, validate
from govreport_dagster.io_manager import Frames
from govreport_dagster.partitions import report_year_partitions
from govreport_dagster.quality.preparation import prepare_sectioned
from govreport_dagster.quality.runtime import run_suite
from govreport_dagster.resources import WarehouseResource
from govreport_dagster.storage.frames import decoded_from_row, sectioned_frames


@dg.asset(
    group_name="annual_reports",
    tags={"stage": "sectioned"},
    kinds={"python", "parquet"},
    partitions_def=report_year_partitions,
    description="Each report's sections (canonical keys, offsets), metadata (agency, level, dates, 索引号, 文号), "
    "template version and the numbers stated in its prose.",
    check_specs=suite_check_specs("sectioned", "sectioned_reports"),
)
def sectioned_reports(
    context: dg.AssetExecutionContext, decoded_reports: Frames, warehouse: WarehouseResource
) -> Iterator[dg.Output[Frames] | dg.AssetCheckResult]:
    from govreport_dagster.core.sectioning import section_report

    year = int(context.partition_key)
    cache = warehouse.cache()
    items = []
    for row in decoded_reports["reports"].to_dict("records"):
        key = f"{row['source_sha256']}-{year}-{row['year_source']}"

        def _section(row=row):  # rebuilt from the row only on a cache miss
            return section_report(decoded_from_row(row), year_hint=year, year_hint_source=row["year_source"])

        items.append((row["report_id"], cache.get_or_compute("sectioned", key, _section)))
    frames = sectioned_frames(items, year)
    reports = frames["reports"]
    prepared = prepare_sectioned(reports, frames["sections"], year)
    check_metadata, check_results = validate(
        context, "sectioned", [run_suite(prepared, "sectioned")], warehouse.data_docs_root
    )
    yield dg.Output(
        frames,
        metadata={
            **check_metadata,
            "reports": len(reports),
            "sections": len(frames["sections"]),
            "status_counts": dg.MetadataValue.json(reports["status"].value_counts().to_dict()),
            "layouts": dg.MetadataValue.json(reports["layout_version"].value_counts().to_dict()),
            "cache": dg.MetadataValue.json(cache.summary()),
        },
    )
    yield from check_results
