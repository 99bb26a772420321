"""`govreport`: run the pipeline through Dagster, open the UI, score against gold, benchmark."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from . import settings
from .year_spec import parse_years

settings.quiet_third_parties()


def _check_years(spec: str) -> str | None:
    """Why a --years value cannot run (before anything runs), or None."""
    from .core.calendar import year_out_of_range

    try:
        years = parse_years(spec, [])
    except ValueError:
        return "expected e.g. 2016-2024, 2019,2021 or all"
    return next((problem for y in years if (problem := year_out_of_range(y))), None)


def prepare_dagster_home(path: str | os.PathLike[str] | None) -> Path:
    """Point DAGSTER_HOME at a persistent instance (so the UI shows the history) that has
    the project's instance settings (telemetry off, 2 concurrent runs)."""
    home = Path(path or os.environ.get("DAGSTER_HOME") or settings.DEFAULT_DAGSTER_HOME).resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        # staged then renamed: a second run starting at the same moment never reads half a file
        staging = home / f".dagster.yaml.{os.getpid()}"
        shutil.copyfile(settings.PROJECT_ROOT / "dagster.yaml", staging)
        os.replace(staging, config)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def cmd_run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape

    from .run_lock import RunLocked, exclusive_run
    from .storage.landing import LandingZoneMissing, open_root

    console = Console()
    landing = args.landing or settings.landing_root()
    warehouse = args.warehouse or settings.warehouse_root()
    try:
        open_root(landing)
    except LandingZoneMissing as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        return 2
    if problem := _check_years(args.years):
        console.print(f"[red]error:[/red] --years {escape(args.years)}: {escape(problem)}", soft_wrap=True)
        return 2
    home = prepare_dagster_home(args.dagster_home)
    console.print(
        f"landing zone [bold]{escape(str(landing))}[/bold] → warehouse [bold]{escape(str(warehouse))}[/bold] "
        f"(Dagster home {escape(str(home))})"
    )
    try:
        with exclusive_run(warehouse, home):
            return _run_locked(landing, warehouse, args.years, console)
    except RunLocked as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        return 3


def _run_locked(landing: str, warehouse: str, years: str, console: Any) -> int:
    """The run itself, under the warehouse and Dagster-home locks (see run_lock)."""
    import dagster as dg
    from rich.markup import escape

    from .pipeline_runner import run_pipeline, summarize

    # Created (and its run storage migrated) under the home lock: exactly once per home.
    instance = dg.DagsterInstance.get()
    started = time.perf_counter()
    outcome = run_pipeline(landing, warehouse, years=years, console=console, instance=instance)
    summarize(outcome, warehouse, console, seconds=time.perf_counter() - started)
    if outcome.failures:
        for year, reason in outcome.failures:
            console.print(f"[red]pipeline failed for {escape(year)}:[/red] {escape(reason)}", soft_wrap=True)
        return 1
    return 0


def _absolute(location: str) -> str:
    """Local paths made absolute (the UI's processes run from the project folder); URLs as given."""
    return location if "://" in location else str(Path(location).resolve())


def cmd_ui(args: argparse.Namespace) -> int:
    prepare_dagster_home(args.dagster_home)
    if args.landing:
        os.environ["GOVREPORT_LANDING"] = _absolute(args.landing)
    if args.warehouse:
        os.environ["GOVREPORT_WAREHOUSE"] = _absolute(args.warehouse)
    dagster = Path(sys.executable).with_name("dagster")
    command = [
        str(dagster),
        "dev",
        "-w",
        str(settings.PROJECT_ROOT / "workspace.yaml"),
        "-h",
        "127.0.0.1",
        "-p",
        str(args.port),
    ]
    return subprocess.call(command, cwd=settings.PROJECT_ROOT)


def cmd_eval(args: argparse.Namespace) -> int:
    from .reporting.evaluation import run_eval

    report = run_eval(Path(args.landing), Path(args.gold))
    print("\n".join(report.lines()))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    if args.pipeline:
        from .pipeline_bench import main as pipeline_bench_main

        return pipeline_bench_main(args.docs or 3_000, keep=args.keep)
    from .reporting.benchmark import main as bench_main

    bench_main([f"--n={args.docs or 10_000}", *args.paths])  # prints its figures
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govreport", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="materialise every stage for every year in the landing zone")
    run.add_argument("--landing", help=f"landing zone path or fsspec URL (default: {settings.landing_root()})")
    run.add_argument("--warehouse", help=f"warehouse path or fsspec URL (default: {settings.warehouse_root()})")
    run.add_argument("--years", default="all", help="e.g. 2016-2024, 2019,2021 or all (default)")
    run.add_argument("--dagster-home", help="persistent Dagster instance folder (default: data/dagster_home)")
    run.set_defaults(func=cmd_run)

    ui = sub.add_parser("ui", help="start the Dagster UI (dagster dev) on 127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.add_argument("--landing")
    ui.add_argument("--warehouse")
    ui.add_argument("--dagster-home")
    ui.set_defaults(func=cmd_ui)

    ev = sub.add_parser("eval", help="score extraction against hand-checked *.gold.json files")
    ev.add_argument("--landing", required=True, help="folder of reports")
    ev.add_argument("--gold", required=True, help="folder of *.gold.json files")
    ev.set_defaults(func=cmd_eval)

    bench = sub.add_parser("bench", help="decode throughput (or, with --pipeline, the whole pipeline) and peak memory")
    bench.add_argument("paths", nargs="*", help="files or folders (default: sample + corpus)")
    bench.add_argument("--docs", type=int, help="documents (default: 10,000 decode only, 3,000 with --pipeline)")
    bench.add_argument(
        "--pipeline",
        action="store_true",
        help="whole pipeline cold, warm, 1%% changed, vs the decode floor; then make sample and one report",
    )
    bench.add_argument("--keep", help="with --pipeline: work in this folder and leave it (default: a temporary one)")
    bench.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:  # `govreport eval … | head`: the reader has what it wanted
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
