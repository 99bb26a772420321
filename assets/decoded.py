"""Stage 1: decoding. Every distinct landing content decoded exactly once (`decoded_documents`,
unpartitioned: the ledger needs the text to assign years and find duplicates), and each
year's reports selected from it (`decoded_reports`)."""

from collections.abc import Iterator

import dagster as dg

from govreport_dagster.checks import suite_check_specs, validate
from govreport_dagster.execution import describe_cluster, run_stage
from govreport_dagster.execution_workers import decode_batch
from govreport_dagster.io_manager import Frames
from govreport_dagster.partitions import report_year_partitions
from govreport_dagster.quality.preparation import prepare_decoded
from govreport_dagster.quality.runtime import run_suite
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
            stage, items, decode_batch, cache, label="decode", log=context.log.info, cluster=cluster.spec
        ),
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


@dg.asset(
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
    context: dg.AssetExecutionContext, raw_reports: Frames, decoded_documents: Frames, warehouse: WarehouseResource
) -> Iterator[dg.Output[Frames] | dg.AssetCheckResult]:
    year = int(context.partition_key)
    wanted = set(raw_reports["files"]["source_sha256"])
    documents = decoded_documents["documents"]
    by_sha = {
        row["sha256"]: outcome_from_row(row).document
        for row in documents[documents["sha256"].isin(wanted)].to_dict("records")
    }
    items = []
    for row in raw_reports["files"].to_dict("records"):
        ingested = ingested_from_row(row)
        doc = by_sha.get(ingested.sha256)
        if doc is None:
            # report_facts lists it as unparseable ("lost between stages"): never silently gone
            context.log.warning(f"{ingested.source_uri}: not among the decoded documents; skipped")
            continue
        items.append((ingested, doc))
    frame = decoded_frame(items, year)
    check_metadata, check_results = validate(
        context, "decoded", [run_suite(prepare_decoded(frame), "decoded")], warehouse.data_docs_root
    )
    yield dg.Output(
        {"reports": frame},
        metadata={
            **check_metadata,
            "reports": len(frame),
            "traditional_script": int((frame["original_script"] == "traditional").sum()),
            "pinyin_removed": int(frame["pinyin_removed"].sum()),
            "tables_as_grids": int(frame["n_tables"].sum()),
        },
    )
    yield from check_results
