"""Stage 2: decoded text → official sections, metadata, template version, narrative metrics."""

from collections.abc import Iterator

import dagster as dg

from govreport_dagster.checks import suite_check_specs, validate
from govreport_dagster.execution import describe_cluster, run_stage
from govreport_dagster.execution_workers import section_batch
from govreport_dagster.io_manager import Frames
from govreport_dagster.partitions import report_year_partitions
from govreport_dagster.quality.preparation import prepare_sectioned
from govreport_dagster.quality.runtime import run_suite
from govreport_dagster.rerun import code_digest
from govreport_dagster.resources import ClusterResource, WarehouseResource
from govreport_dagster.storage.frames import sectioned_frames


@dg.asset(
    group_name="annual_reports",
    tags={"stage": "sectioned"},
    kinds={"python", "parquet"},
    code_version=code_digest(),
    partitions_def=report_year_partitions,
    description="Each report's sections (canonical keys, offsets), metadata (agency, level, dates, 索引号, 文号), "
    "template version and the numbers stated in its prose.",
    check_specs=suite_check_specs("sectioned", "sectioned_reports"),
)
def sectioned_reports(
    context: dg.AssetExecutionContext, decoded_reports: Frames, warehouse: WarehouseResource, cluster: ClusterResource
) -> Iterator[dg.Output[Frames] | dg.AssetCheckResult]:
    year = int(context.partition_key)
    cache = warehouse.cache()
    rows = decoded_reports["reports"].to_dict("records")
    work = [(f"{row['source_sha256']}-{year}-{row['year_source']}", (row, year)) for row in rows]
    label = f"sectioned_reports {year}"
    sectioned = run_stage(
        "sectioned", work, section_batch, cache, label=label, log=context.log.info, cluster=cluster.spec
    )
    items = [(row["report_id"], report) for row, (_key, report) in zip(rows, sectioned, strict=True)]
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
            **describe_cluster(cluster.spec),
        },
    )
    yield from check_results
