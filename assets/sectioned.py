"""Stage 2: decoded text → official sections, metadata, template version, narrative metrics."""

from collections.abc import Iterator

import dagster as dg

from govreport_dagster.checks import suite_check_specs, validate_years
from govreport_dagster.execution import describe_cluster, run_stage
from govreport_dagster.execution_workers import section_batch, section_lost
from govreport_dagster.io_manager import Frames, YearlyFrames
from govreport_dagster.partitions import report_year_partitions
from govreport_dagster.quality.preparation import prepare_sectioned
from govreport_dagster.quality.ranges import validate_year_frames
from govreport_dagster.rerun import code_digest
from govreport_dagster.resources import ClusterResource, WarehouseResource
from govreport_dagster.storage.frames import sectioned_frames
from govreport_dagster.yearly import per_year, yearly_asset, yearly_check_events, yearly_output


@yearly_asset(
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
    context: dg.AssetExecutionContext,
    decoded_reports: YearlyFrames,
    warehouse: WarehouseResource,
    cluster: ClusterResource,
) -> Iterator[dg.Output | dg.AssetCheckResult | dg.AssetCheckEvaluation]:
    cache = warehouse.cache()
    frames = {
        year: _year_sections(context, int(year), decoded, cache, cluster)
        for year, decoded in per_year(context, decoded_reports).items()
    }
    prepared = {year: prepare_sectioned(f["reports"], f["sections"], int(year)) for year, f in frames.items()}
    validated = validate_years(
        context, "sectioned", validate_year_frames(prepared, "sectioned"), warehouse.data_docs_root
    )
    metadata = {
        year: {
            **validated[year][0],
            "reports": len(f["reports"]),
            "sections": len(f["sections"]),
            "status_counts": dg.MetadataValue.json(f["reports"]["status"].value_counts().to_dict()),
            "layouts": dg.MetadataValue.json(f["reports"]["layout_version"].value_counts().to_dict()),
            "cache": dg.MetadataValue.json(cache.summary()),
            **describe_cluster(cluster.spec),
        }
        for year, f in frames.items()
    }
    yield yearly_output(context, frames, metadata)
    yield from yearly_check_events(context, {year: results for year, (_, results) in validated.items()})


def _year_sections(context: dg.AssetExecutionContext, year: int, decoded: Frames, cache, cluster: ClusterResource):
    rows = decoded["reports"].to_dict("records")
    work = [(f"{row['source_sha256']}-{year}-{row['year_source']}", (row, year)) for row in rows]
    label = f"sectioned_reports {year}"
    sectioned = run_stage(
        "sectioned",
        work,
        section_batch,
        cache,
        label=label,
        log=context.log.info,
        cluster=cluster.spec,
        lost=section_lost,
    )
    items = [(row["report_id"], report) for row, (_key, report) in zip(rows, sectioned, strict=True)]
    return sectioned_frames(items, year)
