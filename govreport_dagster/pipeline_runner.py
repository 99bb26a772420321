"""Run the whole pipeline through Dagster on a persistent instance (what `govreport run` does).

The landing zone is decoded and the ledger materialised first (it decides which years exist), then two
passes: the per-document stages of every year, then the facts of every year (a year's facts
read its neighbours' stages). When both passes redo the same single span of years (a cold
run that fits one run, a new year), one run does both. Every run is recorded in the
instance in DAGSTER_HOME, so `govreport ui` shows the history.

A pass is one Dagster run over a range of years (issue 11: the run's fixed costs — run
start, step events, GX suite runs and Data Docs builds — once per range, not per year;
`yearly.py`). A run covers consecutive years only (Dagster runs target one partition or one
key range), so the years a pass must redo are grouped into spans of consecutive years, one
run each. A gap of at most `MAX_BRIDGED_GAP` years that have no reports and were never
published is bridged: the span runs through it (such a year materialises empty partitions
and publishes nothing, `published_warehouse`), because a run costs far more than an empty
year in one. A longer gap starts a new span (each empty year still writes its events).

Failure isolation: in a run over a range, one step materialises every year of the range,
so a year that fails (an exception, a failed blocking check) fails the step for all of
them and stops the downstream assets of every year. We chose to keep the fast range run
for the common case and, when it fails, to re-run that span year by year (today's per-year
runs): the failure then costs only its year, which is recorded in `outcome.failures`, and
the other years still publish. (Catching a year's failure inside the range step instead
would need per-partition outputs, which Dagster 1.13 does not have: a step has one output
per asset for the whole range.)
"""

from __future__ import annotations

import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from .jobs import FACT_ASSETS, LEDGER_ASSETS, PER_DOCUMENT_ASSETS
from .memory import release_freed_memory
from .rerun import RunState, corrections_digests, facts_digest, year_digests
from .year_spec import parse_years
from .yearly import BRIDGED_YEARS_TAG

# The CLI shows its own progress and summary; Dagster's per-event console log would bury it
# (the full event log is in the instance: `govreport ui`).
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
# Empty years a span may run through between two years it must redo (module docstring).
MAX_BRIDGED_GAP = 2
# Documents one run may hold (its steps keep every year of the range in memory at once). On
# a 3,000-document landing (17 years) the driver peaked at 1,288 MB in one run, 1,040 MB
# with spans of ≤ 1,500 and 929 MB with ≤ 1,000 documents, for +15% wall time.
MAX_DOCUMENTS_PER_RUN = 1000


@dataclass
class PipelineOutcome:
    ledger: Any = None  # pandas DataFrame of the ledger stage
    years: list[int] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    skipped: list[tuple[str, int]] = field(default_factory=list)  # (pass, year) with unchanged inputs
    empty_years: set[int] = field(default_factory=set)  # no reports, never published: a span may run through them
    documents_by_year: dict[int, int] = field(default_factory=dict)  # parsed files per year (`capped_spans`)


_INTERRUPTIONS = ("DagsterExecutionInterruptedError", "KeyboardInterrupt")


@contextmanager
def interrupt_watch() -> Iterator[Callable[[], bool]]:
    """A check for SIGINT/SIGTERM received since the last check, whoever handled it.

    During a run Dagster's own handler takes the signal: inside a step's compute it fails
    the step (`_interrupted`), but one that arrives between steps is only noted, and the note
    is cleared when the run ends, so the run finishes as if nothing happened. Python also
    writes every handled signal's number to the wakeup fd: that is what this reads."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)

    def signalled() -> bool:
        try:
            received = reader.recv(256)
        except BlockingIOError:
            return False
        return any(number in (signal.SIGINT, signal.SIGTERM) for number in received)

    try:
        yield signalled
    finally:
        signal.set_wakeup_fd(previous)
        reader.close()
        writer.close()


def _interrupted(result: dg.ExecuteInProcessResult) -> bool:
    """Whether the run failed because the process was interrupted (Dagster turns SIGINT and
    SIGTERM into `DagsterExecutionInterruptedError` inside the step it was running)."""
    return any(
        event.is_step_failure
        and event.step_failure_data is not None
        and event.step_failure_data.error is not None
        and event.step_failure_data.error.cls_name in _INTERRUPTIONS
        for event in result.all_events
    )


def _failure_reason(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            err = event.step_failure_data.error
            return f"step {event.step_key}: {err.message.strip()}"
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            evaluation = getattr(data, "asset_check_evaluation", data)
            if getattr(evaluation, "passed", True) is False:
                return f"blocking check {evaluation.check_name} failed"
    return "run failed"


def run_pipeline(
    landing: str,
    warehouse: str,
    *,
    years: str = "all",
    console: Any = None,
    instance: dg.DagsterInstance | None = None,
    corrections: str | None = None,
) -> PipelineOutcome:
    from .definitions import all_assets, make_resources
    from .jobs import ingest_job, yearly_reports_job

    instance = instance or dg.DagsterInstance.get()
    resources = make_resources(landing, warehouse, corrections)
    defs = dg.Definitions(
        assets=all_assets, jobs=[yearly_reports_job, ingest_job], resources=resources, executor=dg.in_process_executor
    )
    jobs = {name: defs.resolve_job_def(name) for name in ("ingest_job", "yearly_reports_job")}
    outcome = PipelineOutcome()
    progress = _progress(console)
    with progress, interrupt_watch() as signalled:
        task = progress.add_task("ingest ledger", total=1)

        def materialize(
            selection: list[str], years: list[int] | None = None, bridged: list[int] | None = None
        ) -> dg.ExecuteInProcessResult:
            # Through the code location's own jobs, so the UI lists each run under its job
            # (yearly_reports_job with the year's partition or range, ingest_job for the
            # ledger) rather than under Dagster's anonymous __ephemeral_asset_job__.
            job = jobs["ingest_job" if years is None else "yearly_reports_job"]
            result = job.execute_in_process(
                instance=instance,
                partition_key=str(years[0]) if years and len(years) == 1 else None,
                tags={**partition_range_tags(years), **bridged_years_tag(bridged)}
                if years and len(years) > 1
                else None,
                asset_selection=[dg.AssetKey(name) for name in selection],
                raise_on_error=False,
                run_config=QUIET,
            )
            outcome.run_ids.append(result.run_id)
            if signalled() or _interrupted(result):
                # Ctrl-C (or SIGTERM) stops the whole command: not a failed year for the
                # year-by-year retry below, and not lost between two steps of a run
                raise KeyboardInterrupt
            return result

        result = materialize(LEDGER_ASSETS)
        if not result.success:
            outcome.failures.append(("ingest_ledger", _failure_reason(result)))
            return outcome
        frames = result.output_for_node("ingest_ledger")
        outcome.ledger = frames["ledger"]
        _plan_years(outcome, years, published_years(warehouse))
        progress.update(task, completed=1)

        state = RunState(resources["warehouse"].stages_root)
        _run_years(outcome, materialize, progress, state, resources["landing"].corrections_root)
    return outcome


def _plan_years(outcome: PipelineOutcome, years: str, published: set[int]) -> None:
    """The years to run (from the ledger), the empty ones a span may run through and the
    documents of each (`bridged_spans`, `capped_spans`)."""
    parsed = outcome.ledger[outcome.ledger["status"] == "parsed"]
    # years already published are re-run too: a year whose files all left the landing
    # zone must be emptied, not left stale
    available = sorted({int(y) for y in parsed["report_year"].dropna()} | published)
    outcome.years = parse_years(years, available) if years != "all" else available
    outcome.empty_years = set(range(min(available, default=0), max(available, default=0))) - set(available)
    outcome.documents_by_year = {int(y): int(n) for y, n in parsed["report_year"].dropna().value_counts().items()}


@dataclass(frozen=True)
class _Pass:
    name: str  # "stages" or "facts": the key of its digests in `RunState`
    selection: list[str]
    digest_of: Callable[[int], str]


def _run_years(
    outcome: PipelineOutcome, materialize: Any, progress: Any, state: RunState, corrections_root: str
) -> None:
    """Two passes: every year's per-document stages first, then every year's facts, because
    a year's facts read the neighbouring years' tables (cross-year identities). A pass of a
    year whose inputs did not change since its last success is skipped (`rerun.py`). When
    both passes redo the same single span of years (a cold run that fits one run, the sample,
    one new year), one run does both: the facts steps follow the tables steps inside it, so
    every neighbour they read is already redone, and a run's fixed costs are paid once."""
    span = range(min(outcome.years, default=0) - 1, max(outcome.years, default=0) + 2)
    digests = year_digests(outcome.ledger, list(span))
    corrections = corrections_digests(corrections_root, list(span))
    passes = [
        _Pass("stages", PER_DOCUMENT_ASSETS, digests.__getitem__),
        _Pass("facts", FACT_ASSETS, lambda y: facts_digest(digests, y, corrections)),
    ]
    task = progress.add_task("years", total=len(outcome.years) * len(passes))
    spans = [_spans(outcome, _todo(outcome, state, p, progress, task)) for p in passes]
    if len(spans[0]) == 1 and spans[0] == spans[1]:
        _run_spans(outcome, materialize, progress, task, state, passes, spans[0])
        return
    for index, pass_ in enumerate(passes):
        if pass_.name == "facts":
            # planned before the stages ran: a year whose stages failed has no facts to redo
            planned = [y for s in spans[index] for y in s if y not in outcome.empty_years]
            progress.advance(task, sum(1 for y in planned if _failed(outcome, y)))
            spans[index] = _spans(outcome, [y for y in planned if not _failed(outcome, y)])
        _run_spans(outcome, materialize, progress, task, state, [pass_], spans[index])


def _failed(outcome: PipelineOutcome, year: int) -> bool:
    return any(failed_year == str(year) for failed_year, _ in outcome.failures)


def _todo(outcome: PipelineOutcome, state: RunState, pass_: _Pass, progress: Any, task: Any) -> list[int]:
    """The years whose pass must be redone; the skipped ones are counted done."""
    todo = []
    for year in outcome.years:
        if state.unchanged(pass_.name, year, pass_.digest_of(year)):
            outcome.skipped.append((pass_.name, year))
            progress.advance(task)
        else:
            todo.append(year)
    return todo


def _spans(outcome: PipelineOutcome, todo: list[int]) -> list[list[int]]:
    """The runs of a pass: its years' spans, bridged and capped."""
    return capped_spans(bridged_spans(todo, outcome.empty_years), outcome.documents_by_year, empty=outcome.empty_years)


def _run_spans(
    outcome: PipelineOutcome,
    materialize: Any,
    progress: Any,
    task: Any,
    state: RunState,
    passes: list[_Pass],
    spans: list[list[int]],
) -> None:
    names = "+".join(p.name for p in passes)
    for years in spans:
        progress.update(task, description=f"{names} {years[0]}" + (f"–{years[-1]}" if len(years) > 1 else ""))
        _run_span(outcome, materialize, state, passes, years)
        progress.advance(task, len(passes) * len([y for y in years if y not in outcome.empty_years]))


def _run_span(outcome: PipelineOutcome, materialize: Any, state: RunState, passes: list[_Pass], years) -> None:
    """One run over the consecutive `years`; if it fails, each year with reports in a run of
    its own (a bridged empty year is not run on its own: it has nothing to redo)."""
    redone = [year for year in years if year not in outcome.empty_years]
    selection = [asset for p in passes for asset in p.selection]
    result = materialize(selection, years, [year for year in years if year not in redone])
    release_freed_memory()
    if result.success:
        for pass_ in passes:
            for year in redone:
                state.record(pass_.name, year, pass_.digest_of(year))
        state.save()
        return
    if len(years) == 1:
        for pass_ in passes:
            state.forget(pass_.name, years[0])
        outcome.failures.append((str(years[0]), _failure_reason(result)))
        state.save()
        return
    for year in redone:  # isolate the failure: every year on its own, as before issue 11
        _run_span(outcome, materialize, state, passes, [year])


def consecutive_spans(years: list[int]) -> list[list[int]]:
    """[2016, 2019, 2020, 2021, 2024] → [[2016], [2019, 2020, 2021], [2024]]."""
    spans: list[list[int]] = []
    for year in sorted(years):
        if spans and year == spans[-1][-1] + 1:
            spans[-1].append(year)
        else:
            spans.append([year])
    return spans


def bridged_spans(years: list[int], empty: set[int], max_gap: int = MAX_BRIDGED_GAP) -> list[list[int]]:
    """The spans of `years`, joined across gaps of at most `max_gap` years that are all in
    `empty`: ([2016, 2019, 2021], {2017, 2018, 2020}) → [[2016, 2017, …, 2021]]."""
    spans: list[list[int]] = []
    for span in consecutive_spans(years):
        gap = range(spans[-1][-1] + 1, span[0]) if spans else range(0)
        if spans and len(gap) <= max_gap and set(gap) <= empty:
            spans[-1].extend([*gap, *span])
        else:
            spans.append(span)
    return spans


def capped_spans(
    spans: list[list[int]], documents: dict[int, int], cap: int = MAX_DOCUMENTS_PER_RUN, empty: set[int] = frozenset()
) -> list[list[int]]:
    """The spans cut so that none holds more than `cap` documents (a year over the cap on its
    own): a run's steps hold all its years' frames at once, so this bounds the driver's
    memory, at the price of one run's fixed cost per cut. A cut inside a bridged gap leaves
    the `empty` years it ran through at the ends of the pieces, where they join nothing:
    they are dropped (a piece of nothing but empty years is no run)."""
    cut: list[list[int]] = []
    for span in spans:
        current: list[int] = []
        held = 0
        for year in span:
            if current and held + documents.get(year, 0) > cap:
                cut.append(current)
                current, held = [], 0
            current.append(year)
            held += documents.get(year, 0)
        cut.append(current)
    return [piece for piece in (_trimmed(p, empty) for p in cut) if piece]


def _trimmed(span: list[int], empty: set[int]) -> list[int]:
    redone = [i for i, year in enumerate(span) if year not in empty]
    return span[redone[0] : redone[-1] + 1] if redone else []


def partition_range_tags(years: list[int]) -> dict[str, str]:
    """The run tags that make a run materialise a range of years (what a single-run backfill sets)."""
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    return {ASSET_PARTITION_RANGE_START_TAG: str(years[0]), ASSET_PARTITION_RANGE_END_TAG: str(years[-1])}


def bridged_years_tag(years: list[int] | None) -> dict[str, str]:
    """The run tag naming the empty years a span runs through (`BRIDGED_YEARS_TAG`)."""
    return {BRIDGED_YEARS_TAG: ",".join(str(y) for y in years)} if years else {}


def _progress(console: Any) -> Any:
    """A rich progress bar on the console (none without a console)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"))
    return Progress(*columns, TimeElapsedColumn(), console=console, disable=console is None)


def published_years(warehouse: str) -> set[int]:
    from upath import UPath

    reports = UPath(warehouse) / "reports"
    if not reports.exists():
        return set()
    return {int(p.name.split("=", 1)[1]) for p in reports.iterdir() if p.name.startswith("report_year=")}


def summarize(outcome: PipelineOutcome, warehouse: str, console: Any, *, seconds: float) -> None:
    """Print the run summary: files by status, reports per year, quality status, where the Parquet is."""
    from rich.markup import escape
    from rich.table import Table

    from .storage.warehouse import Warehouse

    ledger = outcome.ledger
    if ledger is None:
        return
    status = Table(title="Ingest ledger")
    status.add_column("status")
    status.add_column("files", justify="right")
    for name, count in ledger["status"].value_counts().sort_index().items():
        status.add_row(escape(str(name)), str(count))
    status.add_row("[bold]total[/bold]", f"[bold]{len(ledger)}[/bold]")
    console.print(status)

    reports = Warehouse(warehouse).read_table("reports")
    years = Table(title="Reports per year")
    for col in ("year", "reports", "quality status"):
        years.add_column(col)
    if reports is not None and len(reports):
        reports["report_year"] = reports["report_year"].astype(int)
        for year in outcome.years:
            mine = reports[reports["report_year"] == year]
            counts = ", ".join(f"{k} {v}" for k, v in mine["quality_status"].value_counts().sort_index().items())
            years.add_row(str(year), str(len(mine)), escape(counts))
    console.print(years)
    rejected = ledger[ledger["status"].isin(["rejected", "year_unknown"])]
    for row in rejected.itertuples():
        # Names and reasons come from the landing zone: never let rich read them as markup.
        name, reason = escape(str(row.source_uri)), escape(str(row.reason))
        console.print(f"[yellow]{escape(str(row.status))}[/yellow] {name}: {reason}")
    console.print(
        f"Parquet warehouse: [bold]{warehouse}[/bold] ({seconds:.1f} s; {len(outcome.skipped)} year passes "
        f"skipped, inputs unchanged; runs recorded in the Dagster "
        f"instance, see `govreport ui`)"
    )
    from upath import UPath

    from .storage.duckdb_views import DUCKDB_NAME

    duckdb_file = UPath(warehouse) / DUCKDB_NAME
    if duckdb_file.exists():
        console.print(f"For BI: [bold]{duckdb_file}[/bold] (DuckDB views over every table; README: Opening it in BI)")
