"""Stage 1: decoding. Every distinct landing content decoded exactly once (`decoded_documents`,
unpartitioned: the ledger needs each content's year and report id, read from its text, to
assign years and find duplicates), and each year's reports (`decoded_reports`).

The landing's texts are never in memory together (issue 12): `decoded_documents` streams
the decodes and keeps what each one found, not its text; a year's `decoded_reports` reads
its documents back from the decode cache (decoding again only what the cache lost)."""

from collections.abc import Iterator

import dagster as dg

from govreport_dagster.checks import suite_check_specs, validate_years
from govreport_dagster.execution import describe_cluster, map_cached, run_stage, workers_see_local_files
from govreport_dagster.execution_workers import decode_batch, decode_lost
from govreport_dagster.guard import identify_guarded
from govreport_dagster.io_manager import Frames, YearlyFrames
from govreport_dagster.partitions import report_year_partitions
from govreport_dagster.quality.preparation import prepare_decoded
from govreport_dagster.quality.ranges import validate_year_frames
from govreport_dagster.rerun import code_digest, versioned_output
from govreport_dagster.resources import ClusterResource, LandingZoneResource, WarehouseResource
from govreport_dagster.stage_chunks import year_in_chunks
from govreport_dagster.storage.cache import ResultCache
from govreport_dagster.storage.decoding import FanOut, decode_stream
from govreport_dagster.storage.frames import (
    decoded_frame,
    documents_frame,
    entries_frame,
    entries_from_frame,
    ingested_from_row,  # fmt: skip
)
from govreport_dagster.yearly import per_year, yearly_asset, yearly_check_events, yearly_output


@dg.asset(
    group_name="annual_reports",
    tags={"stage": "decoded"},
    kinds={"python", "parquet"},
    code_version=code_digest(),
    description="The landing-zone scan (`files`: every file, its sidecar, YYYY/ folder and content hash) and every "
    "distinct content decoded once (`documents`: its format, encoding and script, the year and report id its text "
    "gives, or why it is unusable). Decoding is cached by content hash, so a re-run decodes only new or changed "
    "files; the texts stay in that cache and in each year's decoded_reports.",
)
def decoded_documents(
    context: dg.AssetExecutionContext,
    landing: LandingZoneResource,
    warehouse: WarehouseResource,
    cluster: ClusterResource,
) -> dg.Output[Frames]:
    entries = landing.scan()
    cache = warehouse.cache()
    hashes, outcomes = decode_stream(
        entries,
        cache,
        _fan_out(context, cache, cluster, "decode"),
        workers_share_local_files=workers_see_local_files(cluster.spec),
    )
    documents = documents_frame((outcome, identify_guarded(outcome)) for outcome in outcomes)
    files = entries_frame(entries, hashes)
    return versioned_output(
        {"files": files, "documents": documents},
        files.drop(columns=["location"]),  # the real names' bytes: `source_uri` already versions them
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
    cluster: ClusterResource,
) -> Iterator[dg.Output | dg.AssetCheckResult | dg.AssetCheckEvaluation]:
    raw_by_year = per_year(context, raw_reports)
    cache = warehouse.cache()
    scan = decoded_documents["files"]
    frames = {year: _year_reports(context, int(year), raw, scan, cache, cluster) for year, raw in raw_by_year.items()}
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


def _year_reports(
    context: dg.AssetExecutionContext, year: int, raw: Frames, scan, cache: ResultCache, cluster: ClusterResource
):
    """One year's reports frame: each of its files with its decoded document, read from the
    decode cache (a content the cache lost is decoded again, on the cluster), a chunk of
    files at a time (`stage_chunks`: a year's documents are never all objects at once)."""

    # the landing's scan cut to this year's files once, not once per chunk
    year_scan = scan[scan["source_uri"].isin(set(raw["files"]["source_uri"]))]

    def chunk_frames(rows: list[dict], on_done) -> Frames:
        wanted = {row["source_uri"] for row in rows}
        entries, _hashes = entries_from_frame(year_scan[year_scan["source_uri"].isin(wanted)])
        hashes, outcomes = decode_stream(
            entries,
            cache,
            lambda stage, items: map_cached(
                stage, items, decode_batch, cache, cluster=cluster.spec, on_done=on_done, lost=decode_lost
            ),
            workers_share_local_files=workers_see_local_files(cluster.spec),
        )
        by_sha = {outcome.sha256: outcome.document for outcome in outcomes}
        items = []
        for row in rows:
            ingested = ingested_from_row(row)
            doc = by_sha.get(ingested.sha256) if hashes.get(ingested.source_uri) == ingested.sha256 else None
            if doc is None:
                # changed or gone since the ledger read it: report_facts lists it as
                # unparseable ("lost between stages"), never silently gone
                context.log.warning(f"{ingested.source_uri}: not among the decoded documents; skipped")
                continue
            items.append((ingested, doc))
        return {"reports": decoded_frame(items, year)}

    empty = {"reports": decoded_frame([], year)}
    return year_in_chunks(raw["files"], chunk_frames, empty, label=f"decoded_reports {year}", log=context.log.info)[
        "reports"
    ]


def _fan_out(context: dg.AssetExecutionContext, cache: ResultCache, cluster: ClusterResource, label: str) -> FanOut:
    """Decodes the cache does not hold, on the cluster, with progress lines under `label`."""
    return lambda stage, items: run_stage(
        stage, items, decode_batch, cache, label=label, log=context.log.info, cluster=cluster.spec, lost=decode_lost
    )
