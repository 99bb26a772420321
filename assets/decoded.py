"""Stage 1: decoding. Every distinct landing content decoded exactly once (`decoded_documents`,
unpartitioned: the ledger needs the text to assign years and find duplicates), and each
year's reports selected from it (`decoded_reports`)."""

from collections.abc import Iterator

import dagster as dg

from govreport_dagster.checks import suite_check_specs, validate_years
from govreport_dagster.execution import describe_cluster, run_stage, workers_see_local_files
from govreport_dagster.execution_workers import decode_batch, decode_lost
from govreport_dagster.io_manager import Frames, YearlyFrames
from govreport_dagster.partitions import report_year_partitions
from govreport_dagster.quality.preparation import prepare_decoded
from govreport_dagster.quality.ranges import validate_year_frames
from govreport_dagster.rerun import code_digest, versioned_output
from govreport_dagster.resources import ClusterResource, LandingZoneResource, WarehouseResource
from govreport_dagster.storage.decoding import decode_landing
from govreport_dagster.storage.frames import (
    decoded_frame,
    documents_frame,
    entries_frame,
    ingested_from_row,
    outcome_from_row,  # fmt: skip
)
from govreport_dagster.yearly import per_year, yearly_asset, yearly_check_events, yearly_output


@dg.asset(
    group_name="annual_reports",
    tags={"stage": "decoded"},
    kinds={"python", "parquet"},
    code_version=code_digest(),
    description="The landing-zone scan (`files`: every file, its sidecar, YYYY/ folder and content hash) and every "
    "distinct content decoded once (`documents`: normalised text and grids, or why it is unusable). Decoding is "
    "cached by content hash, so a re-run decodes only new or changed files.",
)
def decoded_documents(
    context: dg.AssetExecutionContext,
    landing: LandingZoneResource,
    warehouse: WarehouseResource,
    cluster: ClusterResource,
) -> dg.Output[Frames]:
    entries = landing.scan()
    cache = warehouse.cache()
    hashes, outcomes = decode_landing(
        entries,
        cache,
        lambda stage, items: run_stage(
            stage,
            items,
            decode_batch,
            cache,
            label="decode",
            log=context.log.info,
            cluster=cluster.spec,
            lost=decode_lost,
        ),
        workers_share_local_files=workers_see_local_files(cluster.spec),
    )
    documents = documents_frame(outcomes)
    files = entries_frame(entries, hashes)
    return versioned_output(
        {"files": files, "documents": documents},
        files,
        metadata={
            "landing_files": len(entries),
            "distinct_contents": len(documents),
            "rejected_contents": int(documents["rejection"].notna().sum()),
            "cache": dg.MetadataValue.json(cache.summary()),
            **describe_cluster(cluster.spec),
        },
    )


@yearly_asset(
    group_name="annual_reports",
    tags={"stage": "decoded"},
    kinds={"python", "parquet"},
    code_version=code_digest(),
    partitions_def=report_year_partitions,
    description="One row per report: normalised text (simplified, pinyin and site chrome removed), the original "
    "text, the source's tables as grids, and what was done to get there.",
    check_specs=suite_check_specs("decoded", "decoded_reports"),
)
def decoded_reports(
    context: dg.AssetExecutionContext,
    raw_reports: YearlyFrames,
    decoded_documents: Frames,
    warehouse: WarehouseResource,
) -> Iterator[dg.Output | dg.AssetCheckResult | dg.AssetCheckEvaluation]:
    raw_by_year = per_year(context, raw_reports)
    frames = {year: _year_reports(context, int(year), raw, decoded_documents) for year, raw in raw_by_year.items()}
    validation = validate_year_frames({year: prepare_decoded(frame) for year, frame in frames.items()}, "decoded")
    validated = validate_years(context, "decoded", validation, warehouse.data_docs_root)
    metadata = {
        year: {
            **validated[year][0],
            "reports": len(frame),
            "traditional_script": int((frame["original_script"] == "traditional").sum()),
            "pinyin_removed": int(frame["pinyin_removed"].sum()),
            "tables_as_grids": int(frame["n_tables"].sum()),
        }
        for year, frame in frames.items()
    }
    yield yearly_output(context, {year: {"reports": frame} for year, frame in frames.items()}, metadata)
    yield from yearly_check_events(context, {year: results for year, (_, results) in validated.items()})


def _year_reports(context: dg.AssetExecutionContext, year: int, raw: Frames, decoded_documents: Frames):
    """One year's reports frame: each of its files with its decoded document."""
    wanted = set(raw["files"]["source_sha256"])
    documents = decoded_documents["documents"]
    by_sha = {
        row["sha256"]: outcome_from_row(row).document
        for row in documents[documents["sha256"].isin(wanted)].to_dict("records")
    }
    items = []
    for row in raw["files"].to_dict("records"):
        ingested = ingested_from_row(row)
        doc = by_sha.get(ingested.sha256)
        if doc is None:
            # report_facts lists it as unparseable ("lost between stages"): never silently gone
            context.log.warning(f"{ingested.source_uri}: not among the decoded documents; skipped")
            continue
        items.append((ingested, doc))
    return decoded_frame(items, year)
