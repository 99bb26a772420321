"""Jobs. The yearly job materialises every per-year stage for one report year; the ledger
(unpartitioned) is refreshed by its own job so each year's run reads one consistent ledger."""

import dagster as dg

YEARLY_ASSETS = [
    "raw_reports",
    "decoded_reports",
    "sectioned_reports",
    "extracted_tables",
    "report_facts",
    "published_warehouse",
]

yearly_reports_job = dg.define_asset_job(
    "yearly_reports_job",
    selection=dg.AssetSelection.assets(*YEARLY_ASSETS),
    description="Every stage for one report year: raw → decoded → sectioned → tables → facts → published.",
)
ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.assets("ingest_ledger"),
    description="Scan the landing zone and rebuild the ingest ledger.",
)
