"""Stage 1: raw files → normalised simplified text, tables kept as grids."""

from collections.abc import Iterator

import dagster as dg

from govreport_dagster.checks import suite_check_specs, validate
from govreport_dagster.core.frames import decoded_frame
from govreport_dagster.core.ingest import identify
from govreport_dagster.core.landing import LandingEntry, read_bytes, sha256_hex
from govreport_dagster.core.model import RejectedInput
from govreport_dagster.io_manager import Frames
from govreport_dagster.partitions import report_year_partitions
from govreport_dagster.quality.preparation import prepare_decoded
from govreport_dagster.quality.runtime import run_suite
from govreport_dagster.resources import WarehouseResource

from .raw import ingested_from_row


@dg.asset(
    group_name="annual_reports",
    tags={"stage": "decoded"},
    kinds={"python", "parquet"},
    partitions_def=report_year_partitions,
    description="One row per report: normalised text (simplified, pinyin and site chrome removed), the original "
    "text, the source's tables as grids, and what was done to get there.",
    check_specs=suite_check_specs("decoded", "decoded_reports"),
)
def decoded_reports(
    context: dg.AssetExecutionContext, raw_reports: Frames, warehouse: WarehouseResource
) -> Iterator[dg.Output[Frames] | dg.AssetCheckResult]:
    year = int(context.partition_key)
    cache = warehouse.cache()
    items = []
    for row in raw_reports["files"].to_dict("records"):
        ingested = ingested_from_row(row)

        doc = cache.get_or_compute("decoded", ingested.sha256, lambda f=ingested: _decode_again(f, cache))
        if doc is None or isinstance(doc, Exception):
            # report_facts lists it as unparseable ("lost between stages"): never silently gone
            context.log.warning(f"{ingested.source_uri}: could not be decoded again ({doc}); skipped")
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
            "cache": dg.MetadataValue.json(cache.summary()),
        },
    )
    yield from check_results


def _decode_again(ingested, cache):
    """A cache miss (the ledger ran on another machine or the cache was cleared): read the
    file again, but only use it if it still has the bytes the ledger saw."""
    uri = ingested.source_uri
    try:
        data = read_bytes(LandingEntry(uri, uri.rsplit("/", 1)[-1], 0, None, None))
    except OSError as exc:
        return RejectedInput(f"gone since the ledger: {exc}")
    if sha256_hex(data) != ingested.sha256:
        return RejectedInput("changed since the ledger read it")
    return identify(data, uri, cache)[1]
