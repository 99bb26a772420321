"""Explicit Arrow schemas of the warehouse contract (docs/warehouse_contract.md).

The contract is what BI reads: plain Parquet types, counts as nullable int64, money as
float64 with the unit in the column name, dates as date32. Tables are extended by adding
columns, never by renaming. `report_year` is the Hive partition column and is not stored
inside the files of year-partitioned tables.
"""

from __future__ import annotations

import pyarrow as pa

STR = pa.string()
I64 = pa.int64()
F64 = pa.float64()
BOOL = pa.bool_()

# Year-partitioned tables: report_year lives in the directory name (report_year=YYYY) and is
# added back by readers (DuckDB hive_partitioning, pandas/pyarrow datasets).
CONTRACT: dict[str, pa.Schema] = {
    "reports": pa.schema(
        [
            ("report_id", STR),
            ("agency_name", STR),
            ("agency_level", STR),
            ("title", STR),
            ("publish_date", pa.date32()),
            ("source_uri", STR),
            ("source_sha256", STR),
            ("source_format", STR),
            ("detected_encoding", STR),
            ("original_script", STR),
            ("template_version", STR),
            ("has_t2", BOOL),
            ("has_t3", BOOL),
            ("has_t4", BOOL),
            ("quality_status", STR),
            ("identity_violations", I64),
            ("parser_version", STR),
            # extensions (contract: extend, don't rename)
            ("layout_version", STR),
            ("index_no", STR),
            ("doc_no", STR),
            ("year_source", STR),
            ("status_reason", STR),
            ("duplicate_agency_year", BOOL),
        ]
    ),
    "report_sections": pa.schema(
        [
            ("report_id", STR),
            ("section_key", STR),
            ("heading", STR),
            ("ordinal", I64),
            ("char_start", I64),
            ("char_end", I64),
            ("text", STR),
        ]
    ),
    "fact_active_disclosure": pa.schema(
        [
            ("report_id", STR),
            ("item_key", STR),
            ("metric_key", STR),
            ("value", F64),
            ("unit", STR),
            ("raw_text", STR),
            ("cell_state", STR),
            ("ocr_confidence", F64),
        ]
    ),
    "fact_applications": pa.schema(
        [
            ("report_id", STR),
            ("outcome_key", STR),
            ("applicant_key", STR),
            ("count", I64),
            ("raw_text", STR),
            ("cell_state", STR),
            ("ocr_confidence", F64),
        ]
    ),
    "fact_review_litigation": pa.schema(
        [
            ("report_id", STR),
            ("proceeding_key", STR),
            ("result_key", STR),
            ("count", I64),
            ("raw_text", STR),
            ("cell_state", STR),
            ("ocr_confidence", F64),
        ]
    ),
    "fact_narrative_metrics": pa.schema(
        [
            ("report_id", STR),
            ("metric_key", STR),
            ("value", F64),
            ("unit", STR),
            ("evidence", STR),
            ("char_start", I64),
            ("char_end", I64),
        ]
    ),
    "fact_legacy_indicators": pa.schema(
        [
            ("report_id", STR),
            ("ordinal", I64),
            ("indicator_label", STR),
            ("indicator_key", STR),
            ("parent_ordinal", I64),
            ("unit", STR),
            ("this_period", F64),
            ("cumulative", F64),
            ("raw_text", STR),
        ]
    ),
    "identity_checks": pa.schema(
        [
            ("report_id", STR),
            ("identity_id", STR),
            ("scope", STR),
            ("lhs", F64),
            ("rhs", F64),
            ("passed", BOOL),  # null = not assessable (a blank input)
            ("detail", STR),
            # extensions
            ("status", STR),  # passed | failed | not_assessable
            ("severity", STR),  # error | warn
        ]
    ),
    "labels": pa.schema([("key_type", STR), ("key", STR), ("label_zh", STR)]),
}

YEAR_PARTITIONED = (
    "reports",
    "report_sections",
    "fact_active_disclosure",
    "fact_applications",
    "fact_review_litigation",
    "fact_narrative_metrics",
    "fact_legacy_indicators",
    "identity_checks",
)

# The ledger is not partitioned by year (a file may have none). It is Hive-partitioned by
# `status`, which is never null, so that both DuckDB's `<table>/*/*.parquet` glob and
# pandas.read_parquet(<dir>) read it (pandas cannot read a null Hive partition).
LEDGER_SCHEMA = pa.schema(
    [
        ("source_uri", STR),
        ("source_sha256", STR),
        ("bytes", I64),
        ("report_year", I64),
        ("reason", STR),
        ("report_id", STR),
        # extensions
        ("detected_type", STR),
        ("year_source", STR),
        ("run_id", STR),
        ("seen_at", pa.timestamp("us", tz="UTC")),
    ]
)
LEDGER_STATUSES = ("parsed", "duplicate", "rejected", "year_unknown", "removed")

REPORT_QUALITY_STATUSES = (
    "ok",
    "identity_violation",
    "tables_missing",
    "partial_tables",
    "no_tables_expected",
    "unparseable",
)
AGENCY_LEVELS = ("province", "city", "county", "township", "department", "unknown")
