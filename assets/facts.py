"""Stage 4: validated fact tables, then the published warehouse BI reads.

`report_facts` computes every contract table for the year and carries the checks: the
contract/schema checks are blocking (a violation is a pipeline bug), the identity checks
are warnings (a violation is the source's: the report is published with its status, never
altered). `published_warehouse` runs only when the blocking checks passed and replaces the
year's partitions in the warehouse atomically.
"""

import base64
from collections.abc import Iterator

import dagster as dg
import pandas as pd

from govreport_dagster.checks import suite_check_specs, validate, year_check_spec
from govreport_dagster.core.schemas import CONTRACT
from govreport_dagster.io_manager import Frames
from govreport_dagster.metadata_md import markdown_table
from govreport_dagster.partitions import neighbouring_years, report_year_partitions
from govreport_dagster.quality.runtime import run_facts_suite
from govreport_dagster.rerun import code_digest
from govreport_dagster.resources import LandingZoneResource, WarehouseResource
from govreport_dagster.storage.bi_columns import with_landing_root
from govreport_dagster.storage.frames import bundles_from_frames, ingested_from_row
from govreport_dagster.storage.warehouse import to_arrow

from .stewardship import stewardship_metadata

_MULTI_YEAR = dg.AssetIn(partition_mapping=neighbouring_years, metadata={"multi_year": True})


@dg.asset(
    group_name="annual_reports",
    tags={"stage": "facts"},
    kinds={"python", "parquet"},
    code_version=code_digest(),
    partitions_def=report_year_partitions,
    ins={
        "raw_reports": _MULTI_YEAR,
        "decoded_reports": _MULTI_YEAR,
        "sectioned_reports": _MULTI_YEAR,
        "extracted_tables": _MULTI_YEAR,
        "corrections": dg.AssetIn(),  # people's corrections, every year (issue 16)
    },
    description="The warehouse contract's tables for the year, computed and validated (identities evaluated per "
    "report, cross-year against the previous year's reports of the same agency).",
    check_specs=[
        year_check_spec(
            "contract_schema",
            "report_facts",
            blocking=True,
            description="Every table converts to the warehouse contract's explicit Arrow schema. A failure is a "
            "pipeline bug: nothing is published.",
        ),
        *suite_check_specs("facts", "report_facts"),
    ],
)
def report_facts(
    context: dg.AssetExecutionContext,
    raw_reports: dict[str, Frames],
    decoded_reports: dict[str, Frames],
    sectioned_reports: dict[str, Frames],
    extracted_tables: dict[str, Frames],
    corrections: Frames,
    warehouse: WarehouseResource,
    landing: LandingZoneResource,
) -> Iterator[dg.Output[Frames] | dg.AssetCheckResult]:
    from govreport_dagster.core.corrections import from_frame
    from govreport_dagster.core.facts import build_facts

    year = int(context.partition_key)

    def bundles(y: int):
        key = str(y)
        if not all(key in s for s in (raw_reports, decoded_reports, sectioned_reports, extracted_tables)):
            return []
        return bundles_from_frames(
            raw_reports[key], decoded_reports[key], sectioned_reports[key], extracted_tables[key], y
        )

    # The neighbours only serve the current year's reports: an empty year rebuilds nothing else.
    current = bundles(year)
    previous, following = (bundles(year - 1), bundles(year + 1)) if current else ([], [])
    frames = build_facts(current, previous, following, from_frame(corrections.get("corrections")))
    lost = _lost_reports(raw_reports.get(str(year)), {b.report_id for b in current}, year)
    if len(lost):
        context.log.warning(f"{len(lost)} parsed file(s) did not reach the facts: {lost['source_uri'].tolist()}")
        frames["reports"] = pd.concat([frames["reports"], lost], ignore_index=True)
    frames["reports"] = with_landing_root(frames["reports"], landing.root)
    reports = frames["reports"]
    checks = frames["identity_checks"]
    check_metadata, check_results = validate(context, "facts", run_facts_suite(frames), warehouse.data_docs_root)
    yield dg.Output(
        frames,
        metadata={
            **check_metadata,
            "reports": len(reports),
            "previous_year_reports": len(previous),
            "following_year_reports": len(following),
            "quality_status": dg.MetadataValue.json(reports["quality_status"].value_counts().to_dict()),
            "identity_status": dg.MetadataValue.json(checks["status"].value_counts().to_dict() if len(checks) else {}),
            **{f"rows_{name}": len(frame) for name, frame in frames.items()},
            "reports_preview": dg.MetadataValue.md(_preview(reports)),
            **stewardship_metadata(frames),
        },
    )
    yield _contract_check(frames)
    yield from check_results


def _lost_reports(raw: Frames | None, reached: set[str], year: int) -> pd.DataFrame:
    from govreport_dagster.core.facts import lost_report_rows

    files = [] if raw is None else [r for r in raw["files"].to_dict("records") if r["report_id"] not in reached]
    raws = [ingested_from_row(r).raw_file() for r in files]
    reason = "lost between stages: the file vanished or changed after the ledger read it; the next run retries"
    return lost_report_rows(raws, [r["report_id"] for r in files], year, reason)


def _contract_check(frames: Frames) -> dg.AssetCheckResult:
    problems = {}
    for table, schema in CONTRACT.items():
        if table == "labels":
            continue
        if table not in frames:
            problems[table] = "missing"
            continue
        try:
            to_arrow(frames[table].drop(columns=["report_year"], errors="ignore"), schema)
        except Exception as exc:  # any conversion failure is the violation being checked
            problems[table] = f"{type(exc).__name__}: {exc}"
    return dg.AssetCheckResult(
        check_name="contract_schema",
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"tables": len(frames), "violations": dg.MetadataValue.json(problems)},
    )


@dg.asset(
    group_name="annual_reports",
    tags={"stage": "facts"},
    kinds={"parquet", "duckdb"},
    code_version=code_digest(),
    partitions_def=report_year_partitions,
    description="The published warehouse: every contract table's year partition, replaced atomically. Runs only "
    "when report_facts' blocking checks passed.",
)
def published_warehouse(
    context: dg.AssetExecutionContext, report_facts: Frames, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    from govreport_dagster.core.facts import labels_frame
    from govreport_dagster.reporting.charts import quality_chart
    from govreport_dagster.storage.duckdb_views import build_duckdb
    from govreport_dagster.storage.remote_files import local_folder_for, remote_path

    year = int(context.partition_key)
    writer = warehouse.writer()
    paths = writer.write_year_tables(year, report_facts)
    writer.write_labels(labels_frame())
    duckdb_file = build_duckdb(writer.root)  # BI's one file: views over every table, rebuilt per publish
    reports = report_facts["reports"]
    charts = warehouse.data_docs_root / "charts"
    with local_folder_for(charts) as local_charts:  # uploaded when the warehouse is remote
        local_chart = quality_chart(
            reports, report_facts["identity_checks"], year, local_charts / f"quality_{year}.png"
        )
        chart_markdown = _embed_png(local_chart)
        chart = remote_path(charts, local_charts, local_chart)
    return dg.MaterializeResult(
        metadata={
            "quality_chart": dg.MetadataValue.md(chart_markdown),
            "quality_chart_path": dg.MetadataValue.path(str(chart)),
            "warehouse": dg.MetadataValue.path(str(writer.root)),
            "duckdb": dg.MetadataValue.path(str(duckdb_file)) if duckdb_file else "not built (not a local folder)",
            **{f"rows_{t}": len(f) for t, f in report_facts.items()},
            "partitions": dg.MetadataValue.json({t: str(p) for t, p in paths.items()}),
            "reports_preview": dg.MetadataValue.md(_preview(reports)),
            **stewardship_metadata(report_facts),
        }
    )


def _embed_png(path) -> str:
    """Markdown with the PNG inline, so the UI shows the year's state at a glance."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"![quality chart](data:image/png;base64,{data})"


def _preview(reports: pd.DataFrame) -> str:
    columns = {
        c: c
        for c in (
            "agency_name",
            "template_version",
            "quality_status",
            "identity_violations",
            "has_t2",
            "has_t3",
            "has_t4",
        )
    }
    return markdown_table(reports, columns, "No reports for this year.")
