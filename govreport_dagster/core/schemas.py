"""Explicit Arrow schemas of the warehouse contract (docs/warehouse_contract.md).

The contract is what BI reads: plain Parquet types, counts as nullable int64, money as
float64 with the unit in the column name, dates as date32. Tables are extended by adding
columns, never by renaming. `report_year` is the Hive partition column and is not stored
inside the files of year-partitioned tables.
"""

from __future__ import annotations

import pyarrow as pa

from .model import CELL_STATES

STR = pa.string()
I64 = pa.int64()
F64 = pa.float64()
BOOL = pa.bool_()

# Year-partitioned tables: report_year lives in the directory name (report_year=YYYY) and is
# added back by readers (DuckDB hive_partitioning, pandas/pyarrow datasets).
# Extension (issue 16, core/stewardship.py): corrections recorded by people, on every fact
# table; `printed_value`/`printed_count` beside them keep the value as printed (it differs
# from value/count only when cell_state = corrected).
_CORRECTION_COLUMNS = (
    ("correction_id", STR),
    ("corrected_by", STR),
    ("corrected_at", STR),
    ("correction_reason", STR),
)

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
            ("agency_id", STR),  # the `agencies` dimension's key (stable across years and name variants)
            ("landing_root", STR),  # the landing zone `source_uri` is relative to
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
            ("printed_value", F64),  # the value as printed (value differs only when cell_state = corrected)
            *_CORRECTION_COLUMNS,
            ("ocr_confidence", F64),  # extension (issue 13): the OCR reading's confidence; null unless cell_state = ocr
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
            ("printed_count", I64),
            *_CORRECTION_COLUMNS,
            ("ocr_confidence", F64),  # extension (issue 13): the OCR reading's confidence; null unless cell_state = ocr
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
            ("printed_count", I64),
            *_CORRECTION_COLUMNS,
            ("ocr_confidence", F64),  # extension (issue 13): the OCR reading's confidence; null unless cell_state = ocr
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
            ("value_basis", STR),  # printed | corrected (issue 16)
        ]
    ),
    # Stewardship (issue 16): suggested corrections (never applied) and people's corrections.
    "correction_suggestions": pa.schema(
        [
            ("report_id", STR),
            ("cell", STR),  # table.row_key.col_key
            ("table_id", STR),
            ("row_key", STR),
            ("col_key", STR),
            ("raw_text", STR),
            ("printed_value", F64),
            ("suggested_value", F64),
            ("rule", STR),  # sum_of_parts | previous_year | stated_in_text | digits_transposed
            ("identity_id", STR),
            ("scope", STR),
            ("certainty", STR),  # unique | one_of_several
            ("fixes", STR),
            ("detail", STR),
            ("accepted", BOOL),
        ]
    ),
    "corrections": pa.schema(
        [
            ("correction_id", STR),
            ("report_id", STR),  # null when unmatched
            ("cell", STR),
            ("printed", STR),
            ("corrected_value", F64),
            ("status", STR),  # applied | stale | unmatched | conflict
            ("status_reason", STR),
            ("reason", STR),
            ("corrected_by", STR),
            ("corrected_at", STR),
            ("report_sha256", STR),
            ("agency", STR),
            ("source", STR),
        ]
    ),
    # extension: the agencies dimension (core/agencies.py), one row per agency_id and printed
    # name seen in the year; `merge_reason` says how the printed name was mapped onto the id.
    "agencies": pa.schema(
        [
            ("agency_id", STR),
            ("agency_name", STR),
            ("normalised_name", STR),
            ("canonical_name", STR),
            ("body", STR),
            ("level", STR),
            ("province", STR),
            ("city", STR),
            ("county", STR),
            ("merge_reason", STR),
        ]
    ),
    # labels: join on key_type AND key (`total` is an applicant key and a result key).
    # extensions: `label` without the printed item number, `label_full` under its parents.
    "labels": pa.schema([("key_type", STR), ("key", STR), ("label_zh", STR), ("label", STR), ("label_full", STR)]),
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
    "agencies",
    "correction_suggestions",
    "corrections",
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
        ("decode_seconds", F64),
        ("run_id", STR),
        ("seen_at", pa.timestamp("us", tz="UTC")),
        ("landing_root", STR),  # the landing zone `source_uri` is relative to (as in `reports`)
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
# Fact tables' cell states: the extraction's, and `corrected` (a person's correction applied).
FACT_CELL_STATES = (*CELL_STATES, "corrected")
AGENCY_LEVELS = ("province", "city", "county", "township", "department", "unknown")


def pandas_dtype(arrow_type: pa.DataType) -> str | None:
    """The pandas dtype BI readers get for a contract column (nullable Int64 counts, boolean
    flags, string text); None for dates and timestamps, which keep pyarrow's own conversion."""
    if pa.types.is_integer(arrow_type):
        return "Int64"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_floating(arrow_type):
        return "float64"
    if pa.types.is_string(arrow_type):
        return "string"
    return None
