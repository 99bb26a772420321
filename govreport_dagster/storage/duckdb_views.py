"""`<warehouse>/govreport.duckdb`: one file a BI tool opens to see the whole warehouse.

Built after each publish. It holds no data, only views: one per Parquet table (so it is
small, and always shows what the Parquet holds now), plus labelled views for the questions
users otherwise answer by hand — applications per agency and year, and each agency's
headline figures next to the previous year's with the change. Views read the Parquet by
absolute path: move the warehouse and the next publish (or `build_duckdb`) rebuilds them.

The file is written beside and swapped in with one rename, so a reader holding the old
file open keeps a consistent catalogue.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from upath import UPath

from ..core.schemas import YEAR_PARTITIONED

DUCKDB_NAME = "govreport.duckdb"

# headline figures of one report: (column, table, row key column, row key, column key column, column key)
HEADLINES = (
    ("applications_received", "fact_applications", "outcome_key", "new_received", "applicant_key", "total"),
    ("applications_carried_over", "fact_applications", "outcome_key", "carried_over", "applicant_key", "total"),
    ("applications_granted", "fact_applications", "outcome_key", "granted", "applicant_key", "total"),
    ("applications_processed", "fact_applications", "outcome_key", "total_processed", "applicant_key", "total"),
    ("applications_carried_forward", "fact_applications", "outcome_key", "carried_forward", "applicant_key", "total"),
    ("reviews", "fact_review_litigation", "proceeding_key", "review", "result_key", "total"),
    ("lawsuits_direct", "fact_review_litigation", "proceeding_key", "litigation_direct", "result_key", "total"),
    ("lawsuits_after_review", "fact_review_litigation", "proceeding_key", "litigation_after_review", "result_key",
     "total"),
)  # fmt: skip


def _table_view(name: str, folder: Path) -> str:
    glob = (folder / "*" / "*.parquet").as_posix().replace("'", "''")
    # the year of a Hive path is a string to DuckDB's type sniffing on some layouts: always INTEGER
    replace = " REPLACE (CAST(report_year AS INTEGER) AS report_year)" if name in YEAR_PARTITIONED else ""
    return (
        f"CREATE VIEW {name} AS SELECT *{replace} FROM read_parquet('{glob}', hive_partitioning=true, "
        f"union_by_name=true)"
    )


def _one_report_per_agency_year() -> str:
    """A duplicate of one agency and year (a mirror copy) must not double its figures: keep the
    report with table 3, then the smallest report id — the one the facts stage compares."""
    return """
        CREATE VIEW agency_year_report AS
        SELECT * EXCLUDE (rank) FROM (
            SELECT r.*, row_number() OVER (
                PARTITION BY r.agency_id, r.report_year ORDER BY r.has_t3 DESC, r.report_id) AS rank
            FROM reports r WHERE r.agency_id IS NOT NULL)
        WHERE rank = 1"""


def _headline_view() -> str:
    columns = ",\n".join(
        f"(SELECT f.count FROM {table} f WHERE f.report_id = r.report_id AND f.report_year = r.report_year "
        f"AND f.{row_col} = '{row}' AND f.{col_col} = '{col}') AS {name}"
        for name, table, row_col, row, col_col, col in HEADLINES
    )
    return f"""
        CREATE VIEW agency_year_headlines AS
        SELECT r.agency_id, d.canonical_name AS agency, d.level, d.province, d.city, d.county,
               r.report_year, r.report_id, r.quality_status,
               {columns}
        FROM agency_year_report r LEFT JOIN agency_dim d USING (agency_id)"""


def _year_over_year_view() -> str:
    parts = []
    for name, *_ in HEADLINES:
        previous = f"lag({name}) OVER w"
        parts.append(f"{previous} AS {name}_previous, {name} - {previous} AS {name}_change")
    return f"""
        CREATE VIEW agency_year_over_year AS
        SELECT agency_id, agency, level, province, city, county, report_year,
               lag(report_year) OVER w AS previous_year,
               {", ".join(name for name, *_ in HEADLINES)},
               {", ".join(parts)}
        FROM agency_year_headlines
        WINDOW w AS (PARTITION BY agency_id ORDER BY report_year)"""


_AGENCY_DIM = """
    CREATE VIEW agency_dim AS
    SELECT agency_id,
           arg_max(canonical_name, report_year) AS canonical_name,
           arg_max(level, report_year) AS level,
           arg_max(province, report_year) AS province,
           arg_max(city, report_year) AS city,
           arg_max(county, report_year) AS county,
           min(report_year) AS first_year, max(report_year) AS last_year,
           string_agg(DISTINCT agency_name, ' / ' ORDER BY agency_name) AS printed_names,
           string_agg(DISTINCT merge_reason, ' | ' ORDER BY merge_reason) AS merge_reasons
    FROM agencies GROUP BY agency_id"""

_APPLICATIONS_LABELLED = """
    CREATE VIEW applications_by_agency_year AS
    SELECT r.report_year, r.agency_id, d.canonical_name AS agency, r.agency_name AS agency_as_printed,
           a.outcome_key, lo.label AS outcome, lo.label_full AS outcome_full,
           a.applicant_key, la.label AS applicant, a.count, a.cell_state, r.report_id
    FROM fact_applications a
    JOIN agency_year_report r USING (report_id, report_year)
    LEFT JOIN agency_dim d USING (agency_id)
    LEFT JOIN labels lo ON lo.key_type = 'outcome_key' AND lo.key = a.outcome_key
    LEFT JOIN labels la ON la.key_type = 'applicant_key' AND la.key = a.applicant_key"""


def build_duckdb(warehouse_root: str | os.PathLike[str], attempts: int = 3) -> Path | None:
    """Write `<warehouse>/govreport.duckdb`; None for a warehouse that is not a local folder
    (a DuckDB file is a local file; BI opens the Parquet there directly).

    Creating a view reads the Parquet footers; a concurrent publish of another year may swap
    a partition folder in between, so a vanished file is retried."""
    import duckdb

    root = UPath(warehouse_root)
    if root.protocol not in ("", "file", "local"):
        return None
    root_path = Path(root.path).resolve()
    for attempt in range(attempts):
        try:
            return _write(root_path)
        except duckdb.IOException:
            if attempt == attempts - 1:
                raise
    return None


def _write(root_path: Path) -> Path:
    import duckdb

    tables = sorted(
        p.name
        for p in root_path.iterdir()
        if p.is_dir() and not p.name.startswith(("_", ".")) and any(p.glob("*/*.parquet"))
    )
    target = root_path / DUCKDB_NAME
    staging = root_path / f".{DUCKDB_NAME}.{uuid.uuid4().hex}"
    try:
        with duckdb.connect(str(staging)) as con:
            for table in tables:
                con.execute(_table_view(table, root_path / table))
            needed = {"reports", "agencies", "fact_applications", "fact_review_litigation", "labels"}
            if needed <= set(tables):
                for statement in (_AGENCY_DIM, _one_report_per_agency_year(), _APPLICATIONS_LABELLED,
                                  _headline_view(), _year_over_year_view()):  # fmt: skip
                    con.execute(statement)
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)
        Path(f"{staging}.wal").unlink(missing_ok=True)
    return target
