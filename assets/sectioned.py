"""Stage 2: decoded text → official sections, metadata, template version, narrative metrics."""

from collections.abc import Iterator

import dagster as dg

from govreport_dagster.checks import suite_check_specs, validate_years
from govreport_dagster.execution import describe_cluster, map_cached
from govreport_dagster.execution_workers import section_batch, section_lost
from govreport_dagster.io_manager import Frames, YearlyFrames
from govreport_dagster.partitions import report_year_partitions
from govreport_dagster.quality.preparation import prepare_sectioned
from govreport_dagster.quality.ranges import validate_year_frames
from govreport_dagster.rerun import code_digest
from govreport_dagster.resources import ClusterResource, WarehouseResource
from govreport_dagster.stage_chunks import document_key, year_in_chunks
from govreport_dagster.storage.frames import sectioned_frames
from govreport_dagster.yearly import per_year, yearly_asset, yearly_check_events, yearly_output


@yearly_asset(
    group_name="annual_reports",
    tags={"stage": "sectioned"},
    kinds={"python", "parquet"},
    code_version=code_digest(),
    partitions_def=report_year_partitions,
    # sectioning reads the decoded text only: neither the text as decoded nor the grids
    # (issue 12: the driver's memory), a chunk at a time (`stored`)
    ins={
        "decoded_reports": dg.AssetIn(
            metadata={"frames": ["reports"], "skip_columns": ["original_text", "tables"], "stored": True}
        )
    },
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
        year: year_sections(context, int(year), decoded, cache, cluster)
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


def year_sections(context: dg.AssetExecutionContext, year: int, decoded: Frames, cache, cluster: ClusterResource):
    """The year's sectioned frames, a chunk of its decoded reports at a time (`stage_chunks`)."""

    def chunk_frames(rows: list[dict], on_done) -> Frames:
        work = [(document_key(row, year), (row, year)) for row in rows]
        sectioned = map_cached(
            "sectioned", work, section_batch, cache, cluster=cluster.spec, on_done=on_done, lost=section_lost
        )
        return sectioned_frames(
            [(row["report_id"], rep) for row, (_key, rep) in zip(rows, sectioned, strict=True)], year
        )

    return year_in_chunks(
        decoded["reports"],
        chunk_frames,
        sectioned_frames([], year),
        label=f"sectioned_reports {year}",
        log=context.log.info,
    )
