"""Stage 3: the three official tables, cell by cell, from grids and flattened text."""

from collections.abc import Iterator

import dagster as dg

from govreport_dagster.checks import suite_check_specs, validate_years
from govreport_dagster.execution import describe_cluster, map_cached
from govreport_dagster.execution_workers import extract_batch, extract_lost
from govreport_dagster.io_manager import Frames, YearlyFrames
from govreport_dagster.partitions import report_year_partitions
from govreport_dagster.quality.preparation import prepare_tables
from govreport_dagster.quality.ranges import validate_year_frames
from govreport_dagster.rerun import code_digest
from govreport_dagster.resources import ClusterResource, WarehouseResource
from govreport_dagster.stage_chunks import document_key, year_in_chunks
from govreport_dagster.storage.frames import tables_frames
from govreport_dagster.storage.stored_frames import rows_of
from govreport_dagster.yearly import per_year, yearly_asset, yearly_check_events, yearly_output


@yearly_asset(
    group_name="annual_reports",
    tags={"stage": "tables"},
    kinds={"python", "parquet"},
    code_version=code_digest(),
    partitions_def=report_year_partitions,
    # what table extraction reads (issue 12: the driver's memory): the decoded text and grids,
    # not the text as decoded; of the sectioning, each report's payload, not the sections frame
    # (the payload holds the sections too)
    # (both read a chunk at a time: `stored`)
    ins={
        "decoded_reports": dg.AssetIn(
            metadata={"frames": ["reports"], "skip_columns": ["original_text"], "stored": True}
        ),
        "sectioned_reports": dg.AssetIn(metadata={"frames": ["reports"], "stored": True}),
    },
    description="Every cell of tables 2, 3 and 4 keyed by the template's row/column keys (value, cell state, raw "
    "text, source, position), the tables each report is missing and why, and pre-2019 statistics tables.",
    check_specs=suite_check_specs("tables", "extracted_tables"),
)
def extracted_tables(
    context: dg.AssetExecutionContext,
    decoded_reports: YearlyFrames,
    sectioned_reports: YearlyFrames,
    warehouse: WarehouseResource,
    cluster: ClusterResource,
) -> Iterator[dg.Output | dg.AssetCheckResult | dg.AssetCheckEvaluation]:
    cache = warehouse.cache()
    sectioned_by_year = per_year(context, sectioned_reports)
    frames = {
        year: year_tables(context, int(year), decoded, sectioned_by_year[year], cache, cluster)
        for year, decoded in per_year(context, decoded_reports).items()
    }
    prepared = {year: prepare_tables(f["cells"], f["reports"]) for year, f in frames.items()}
    validated = validate_years(context, "tables", validate_year_frames(prepared, "tables"), warehouse.data_docs_root)
    metadata = {year: {**validated[year][0], **_year_metadata(f, cache, cluster)} for year, f in frames.items()}
    yield yearly_output(context, frames, metadata)
    yield from yearly_check_events(context, {year: results for year, (_, results) in validated.items()})


def year_tables(
    context: dg.AssetExecutionContext, year: int, decoded: Frames, sectioned_frames: Frames, cache, cluster
) -> Frames:
    """The year's table frames, a chunk of its decoded reports at a time (`stage_chunks`)."""
    sectioned = rows_of(sectioned_frames["reports"])
    position = {report_id: index for index, report_id in enumerate(sectioned.column("report_id"))}  # the last wins

    def chunk_frames(rows: list[dict], on_done) -> Frames:
        at = [position[row["report_id"]] for row in rows]
        payloads = sectioned.take(at, ["payload"])["payload"].tolist()
        work = [(document_key(r, year), (r, p)) for r, p in zip(rows, payloads, strict=True)]
        extracted = map_cached(
            "tables", work, extract_batch, cache, cluster=cluster.spec, on_done=on_done, lost=extract_lost
        )
        return tables_frames([(row["report_id"], t) for row, (_key, t) in zip(rows, extracted, strict=True)], year)

    return year_in_chunks(
        decoded["reports"],
        chunk_frames,
        tables_frames([], year),
        label=f"extracted_tables {year}",
        log=context.log.info,
    )


def _year_metadata(frames: Frames, cache, cluster: ClusterResource) -> dict[str, object]:
    cells, reports = frames["cells"], frames["reports"]
    return {
        "reports": len(reports),
        "cells": len(cells),
        "reports_with_t2": int(reports["has_t2"].sum()),
        "reports_with_t3": int(reports["has_t3"].sum()),
        "reports_with_t4": int(reports["has_t4"].sum()),
        "inferred_cells": int(cells["inferred"].sum()) if len(cells) else 0,
        "cache": dg.MetadataValue.json(cache.summary()),
        **describe_cluster(cluster.spec),
    }
