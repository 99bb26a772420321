"""Stage 0: the ingest ledger (every landing file, once) and each year's raw reports.

The ledger is built from `decoded_documents` (the scan and what every distinct content's
decode and identification found): the report year may come from the document's text and
duplicates are found by the normalised text, so decoding comes first in the graph.
"""

import json
from datetime import UTC, datetime

import dagster as dg
import pandas as pd

from govreport_dagster.core.ingest import build_ledger, ledger_frame
from govreport_dagster.io_manager import Frames
from govreport_dagster.metadata_md import markdown_table
from govreport_dagster.partitions import report_year_partitions
from govreport_dagster.rerun import code_digest, versioned_output
from govreport_dagster.resources import LandingZoneResource, WarehouseResource
from govreport_dagster.storage.bi_columns import absolute_source_uris, with_landing_root
from govreport_dagster.storage.frames import entries_from_frame, identification_from_row
from govreport_dagster.yearly import partition_years, yearly_asset, yearly_output

RAW_COLUMNS = ["report_id", "source_uri", "source_sha256", "bytes", "detected_type", "year_source", "sidecar",
               "folder_year"]  # fmt: skip


@dg.asset(
    group_name="annual_reports",
    tags={"stage": "ingest"},
    kinds={"python", "parquet"},
    code_version=code_digest(),
    description="Every file in the landing zone exactly once, with its status (parsed | duplicate | rejected | "
    "year_unknown | removed) and a readable reason. Also written to the warehouse as `ingest_ledger`.",
)
def ingest_ledger(
    context: dg.AssetExecutionContext,
    decoded_documents: Frames,
    warehouse: WarehouseResource,
    landing: LandingZoneResource,
) -> dg.Output[Frames]:
    entries, hashes = entries_from_frame(decoded_documents["files"])
    identifications = {
        row["sha256"]: identification_from_row(row) for row in decoded_documents["documents"].to_dict("records")
    }
    writer = warehouse.writer()
    previous = writer.read_table("ingest_ledger")
    previous_uris = [] if previous is None else absolute_source_uris(previous)[previous["status"] != "removed"].tolist()
    rows = build_ledger(entries, hashes, identifications, previous_uris=previous_uris)
    ledger = ledger_frame(rows)
    published = ledger.assign(run_id=context.run_id, seen_at=datetime.now(UTC))
    path = writer.write_ledger(with_landing_root(published, landing.root))  # BI: paths relative to the root

    details = pd.DataFrame(
        [
            {
                "source_uri": r.source_uri,
                "sidecar": json.dumps(r.sidecar, ensure_ascii=False),
                "folder_year": r.folder_year,
            }
            for r in rows
        ],
        columns=["source_uri", "sidecar", "folder_year"],
    )
    stage = ledger.merge(details, on="source_uri", how="left")
    stage["folder_year"] = stage["folder_year"].astype("Int64")
    counts = ledger["status"].value_counts().to_dict()
    landing_files = len(entries)
    ledgered = int((ledger["status"] != "removed").sum())
    if landing_files != ledgered:  # the pipeline's own accounting identity
        raise RuntimeError(f"ledger lost files: {landing_files} in landing zone, {ledgered} ledger rows")
    return versioned_output(
        {"ledger": stage},
        stage,
        metadata={
            "landing_files": landing_files,
            "ledger_rows": len(ledger),
            **{f"status_{k}": int(v) for k, v in sorted(counts.items())},
            "years": ", ".join(str(y) for y in sorted(ledger["report_year"].dropna().unique())),
            "warehouse_path": dg.MetadataValue.path(str(path)),
            "problems": dg.MetadataValue.md(_problems_md(ledger)),
        },
    )


def _problems_md(ledger: pd.DataFrame) -> str:
    bad = ledger[ledger["status"].isin(["rejected", "year_unknown", "duplicate", "removed"])]
    return markdown_table(bad, {"source_uri": "file", "status": "status", "reason": "reason"}, "Every file parsed.")


@yearly_asset(
    group_name="annual_reports",
    tags={"stage": "ingest"},
    kinds={"python", "parquet"},
    code_version=code_digest(),
    partitions_def=report_year_partitions,
    description="The year's distinct reports (first copy of each content), from the ingest ledger.",
)
def raw_reports(context: dg.AssetExecutionContext, ingest_ledger: Frames) -> dg.Output:
    ledger = ingest_ledger["ledger"]
    frames = {}
    for year in partition_years(context):
        mine = ledger[(ledger["status"] == "parsed") & (ledger["report_year"] == int(year))]
        frames[year] = mine.reindex(columns=RAW_COLUMNS).reset_index(drop=True)
    metadata = {y: {"reports": len(f), "files": dg.MetadataValue.md(_files_md(f))} for y, f in frames.items()}
    return yearly_output(context, {y: {"files": f} for y, f in frames.items()}, metadata, version_frames=frames)


def _files_md(frame: pd.DataFrame) -> str:
    columns = {"source_uri": "file", "detected_type": "type", "year_source": "year from"}
    return markdown_table(frame, columns, "No reports for this year (an empty partition is valid).")
