"""Jobs.

`yearly_reports_job` materialises one report year: it first rebuilds the ingest ledger
(unpartitioned: a landing-zone scan, cheap because per-file work is cached by content hash)
so that the year's run always reads a ledger that matches the landing zone, then every
per-year stage. `govreport run` builds the ledger once and runs the per-year assets
(YEARLY_ASSETS) for each year.
"""

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
    selection=dg.AssetSelection.assets("ingest_ledger", *YEARLY_ASSETS),
    description="One report year: ledger refresh, then raw → decoded → sectioned → tables → facts → published.",
)

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.assets("ingest_ledger"),
    description="Rescan the landing zone and rebuild the ingest ledger only (files without a year, removals).",
)
