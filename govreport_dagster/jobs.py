"""Jobs.

`yearly_reports_job` materialises one report year, or a range of years in one run (the
yearly assets' single-run backfill policy, `yearly.py`): it first rescans and decodes the landing
zone and rebuilds the ingest ledger (both unpartitioned; cheap because decoding is cached
by content hash)
so that the year's run always reads a ledger that matches the landing zone, then every
per-year stage. `govreport run` builds the ledger once, runs the per-document stages
for every year, then the facts for every year (a year's facts read its neighbours' tables).
"""

import dagster as dg

PER_DOCUMENT_ASSETS = ["raw_reports", "decoded_reports", "sectioned_reports", "extracted_tables"]
# `corrections` (unpartitioned, a folder read) is re-read by every year's facts run (issue 16)
FACT_ASSETS = ["corrections", "report_facts", "published_warehouse"]
YEARLY_ASSETS = PER_DOCUMENT_ASSETS + FACT_ASSETS

# Unpartitioned: the whole landing zone, decoded once per content, then the ledger.
LEDGER_ASSETS = ["decoded_documents", "ingest_ledger"]

yearly_reports_job = dg.define_asset_job(
    "yearly_reports_job",
    selection=dg.AssetSelection.assets(*LEDGER_ASSETS, *YEARLY_ASSETS),
    description="One report year: landing decode and ledger refresh, then raw → decoded → sectioned → tables → "
    "facts → published.",
)

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.assets(*LEDGER_ASSETS),
    description="Rescan and decode the landing zone and rebuild the ingest ledger only (files without a year, "
    "removals).",
)

corrections_job = dg.define_asset_job(
    "corrections_job",
    selection=dg.AssetSelection.assets(*FACT_ASSETS),
    description="One report year after its corrections changed: corrections → facts → published (issue 16).",
)
