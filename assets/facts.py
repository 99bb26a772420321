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

from govreport_dagster.checks import suite_check_specs, validate_years, year_check_spec
from govreport_dagster.core.schemas import CONTRACT
from govreport_dagster.core.year_reports import ListedYear
from govreport_dagster.io_manager import Frames, StoredYears
from govreport_dagster.memory import release_freed_memory
from govreport_dagster.metadata_md import markdown_table
from govreport_dagster.partitions import neighbouring_years, report_year_partitions
from govreport_dagster.quality.ranges import validate_facts_years
from govreport_dagster.rerun import code_digest
from govreport_dagster.resources import LandingZoneResource, WarehouseResource
from govreport_dagster.storage.bi_columns import with_landing_root
from govreport_dagster.storage.frames import ingested_from_row
from govreport_dagster.storage.stored_frames import rows_of
from govreport_dagster.storage.warehouse import to_arrow
from govreport_dagster.storage.year_reports import StageFramesYear
from govreport_dagster.yearly import (
    bridged_years,
    partition_years,
    per_year,
    yearly_asset,
    yearly_check_events,
    yearly_materialize_result,
    yearly_output,
)

from .stewardship import stewardship_metadata


def _neighbouring(frames: list[str], skip_columns: tuple[str, ...] = ()) -> dg.AssetIn:
    """Three years of an upstream stage, only the frames and columns the facts read, as
    stored frames: the reports are read and built a chunk at a time (`storage.year_reports`),
    so the driver never holds the three years' stage frames (issue 12)."""
    metadata = {"multi_year": True, "frames": frames, "skip_columns": list(skip_columns), "stored": True}
    return dg.AssetIn(partition_mapping=neighbouring_years, metadata=metadata)


@yearly_asset(
    group_name="annual_reports",
    tags={"stage": "facts"},
    kinds={"python", "parquet"},
    code_version=code_digest(),
    partitions_def=report_year_partitions,
    ins={
        "raw_reports": _neighbouring(["files"]),
        # the facts read the decoded text's head (agency) and nothing of the source's own
        # text or grids, which the tables stage already read
        "decoded_reports": _neighbouring(["reports"], ("original_text", "tables")),
        # sections and cells are inside each report's payload too
        "sectioned_reports": _neighbouring(["reports"]),
        "extracted_tables": _neighbouring(["reports"]),
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
    raw_reports: StoredYears,
    decoded_reports: StoredYears,
    sectioned_reports: StoredYears,
    extracted_tables: StoredYears,
    corrections: Frames,
    warehouse: WarehouseResource,
    landing: LandingZoneResource,
) -> Iterator[dg.Output | dg.AssetCheckResult | dg.AssetCheckEvaluation]:
    from govreport_dagster.core.corrections import from_frame
    from govreport_dagster.execution import release_idle_workers

    # The facts fan nothing out: stop the per-document stages' idle workers (a run that did
    # both) so their memory is not held beside the facts' (the memory bound is the tree's).
    release_idle_workers()
    stages = (raw_reports, decoded_reports, sectioned_reports, extracted_tables)
    people = from_frame(corrections.get("corrections"))
    frames, metadata = {}, {}
    for year in partition_years(context):  # oldest first
        frames[year], metadata[year] = _year_facts(context, int(year), stages, people, landing.root)
        _release(stages, before=int(year))
    _release(stages)
    validated = validate_years(context, "facts", validate_facts_years(frames), warehouse.data_docs_root)
    yield yearly_output(context, frames, {y: {**validated[y][0], **m} for y, m in metadata.items()})
    yield from yearly_check_events(
        context, {y: [_contract_check(frames[y]), *results] for y, (_, results) in validated.items()}
    )


def _release(stages: tuple, before: int | None = None) -> None:
    """Drop the stage frames of the years no later year reads (all, when `before` is None):
    three years of stage frames are most of the driver's memory (issue 12), and the
    validation that follows needs none of them."""
    for stage in stages:
        for key in [k for k in stage if before is None or int(k) < before]:
            del stage[key]
    release_freed_memory(collect=False)  # their Arrow buffers, back to the system


def _year_facts(context: dg.AssetExecutionContext, year: int, stages: tuple, people, landing_root: str):
    """One year's contract tables (reading the neighbouring years' stages) and their metadata."""
    from govreport_dagster.core.facts import build_year_facts

    raw_reports = stages[0]

    def reports(y: int) -> StageFramesYear | ListedYear:
        key = str(y)
        if not all(key in s for s in stages):
            return ListedYear([])
        return StageFramesYear(*(s[key] for s in stages), y)

    # Bundles are built a chunk of reports at a time from the frames (issue 12); the
    # neighbours only serve the current year's reports (an empty year reads nothing else).
    current = reports(year)
    previous, following = (reports(year - 1), reports(year + 1)) if len(current) else (ListedYear([]),) * 2
    frames = build_year_facts(current, previous, following, people)
    lost = _lost_reports(raw_reports.get(str(year)), set(current.report_ids()), year)
    if len(lost):
        context.log.warning(f"{len(lost)} parsed file(s) did not reach the facts: {lost['source_uri'].tolist()}")
        frames["reports"] = pd.concat([frames["reports"], lost], ignore_index=True)
    frames["reports"] = with_landing_root(frames["reports"], landing_root)
    reports = frames["reports"]
    checks = frames["identity_checks"]
    return frames, {
        "reports": len(reports),
        "previous_year_reports": len(previous),
        "following_year_reports": len(following),
        "quality_status": dg.MetadataValue.json(reports["quality_status"].value_counts().to_dict()),
        "identity_status": dg.MetadataValue.json(checks["status"].value_counts().to_dict() if len(checks) else {}),
        **{f"rows_{name}": len(frame) for name, frame in frames.items()},
        "reports_preview": dg.MetadataValue.md(_preview(reports)),
        **stewardship_metadata(frames),
    }


def _lost_reports(raw: Frames | None, reached: set[str], year: int) -> pd.DataFrame:
    from govreport_dagster.core.facts import lost_report_rows

    rows = [] if raw is None else rows_of(raw["files"]).to_pandas().to_dict("records")
    files = [r for r in rows if r["report_id"] not in reached]
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


@yearly_asset(
    group_name="annual_reports",
    tags={"stage": "facts"},
    kinds={"parquet", "duckdb"},
    code_version=code_digest(),
    partitions_def=report_year_partitions,
    description="The published warehouse: every contract table's year partition, replaced atomically. Runs only "
    "when report_facts' blocking checks passed.",
    # the year's tables as stored frames: each is read, converted and written on its own
    ins={"report_facts": dg.AssetIn(metadata={"stored": True})},
)
def published_warehouse(
    context: dg.AssetExecutionContext, report_facts: StoredYears, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    from govreport_dagster.core.facts import labels_frame
    from govreport_dagster.storage.duckdb_views import build_duckdb

    writer = warehouse.writer()
    metadata = {}
    bridged = bridged_years(context)
    for year, stored in per_year(context, report_facts).items():
        # what the metadata reads (the fact tables themselves are read one at a time to be written)
        facts = {t: rows_of(stored[t]).to_pandas() for t in _METADATA_TABLES if t in stored}
        if year in bridged and facts["reports"].empty:
            # a year without reports that `govreport run` ran through between two years it
            # redid (pipeline_runner: bridged gaps): no partition for BI to list
            metadata[year] = {"published": "nothing: no reports (a year the run passed through)"}
            continue
        paths = writer.write_year_tables(int(year), stored)  # one atomic commit per year
        metadata[year] = {
            **_chart_metadata(warehouse, facts, int(year)),
            "warehouse": dg.MetadataValue.path(str(writer.root)),
            **{f"rows_{t}": len(f) for t, f in stored.items()},
            "partitions": dg.MetadataValue.json({t: str(p) for t, p in paths.items()}),
            "reports_preview": dg.MetadataValue.md(_preview(facts["reports"])),
            **stewardship_metadata(facts),
        }
    writer.write_labels(labels_frame())
    duckdb_file = build_duckdb(writer.root)  # BI's one file: views over every table, rebuilt per publish
    duckdb = dg.MetadataValue.path(str(duckdb_file)) if duckdb_file else "not built (not a local folder)"
    return yearly_materialize_result(context, {y: {**m, "duckdb": duckdb} for y, m in metadata.items()})


_METADATA_TABLES = ("reports", "identity_checks", "corrections", "correction_suggestions")


def _chart_metadata(warehouse: WarehouseResource, facts: Frames, year: int) -> dict[str, object]:
    """The year's quality chart: a PNG beside the Data Docs, inline in the metadata too."""
    from govreport_dagster.reporting.charts import quality_chart
    from govreport_dagster.storage.remote_files import local_folder_for, remote_path

    charts = warehouse.data_docs_root / "charts"
    with local_folder_for(charts) as local_charts:  # uploaded when the warehouse is remote
        local_chart = quality_chart(
            facts["reports"], facts["identity_checks"], year, local_charts / f"quality_{year}.png"
        )
        chart_markdown = _embed_png(local_chart)
        chart = remote_path(charts, local_charts, local_chart)
    return {
        "quality_chart": dg.MetadataValue.md(chart_markdown),
        "quality_chart_path": dg.MetadataValue.path(str(chart)),
    }


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
