"""`govreport`: run the pipeline through Dagster, open the UI, score against gold, benchmark."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

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
        shutil.copyfile(settings.PROJECT_ROOT / "dagster.yaml", config)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def cmd_run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .pipeline_runner import run_pipeline, summarize
    from .storage.landing import LandingZoneMissing, open_root

    console = Console()
    landing = args.landing or settings.landing_root()
    warehouse = args.warehouse or settings.warehouse_root()
    try:
        open_root(landing)
    except LandingZoneMissing as exc:
        console.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        return 2
    if problem := _check_years(args.years):
        console.print(f"[red]error:[/red] --years {args.years}: {problem}", soft_wrap=True)
        return 2
    home = prepare_dagster_home(args.dagster_home)
    console.print(f"landing zone [bold]{landing}[/bold] → warehouse [bold]{warehouse}[/bold] (Dagster home {home})")
    started = time.perf_counter()
    outcome = run_pipeline(landing, warehouse, years=args.years, console=console)
    summarize(outcome, warehouse, console, seconds=time.perf_counter() - started)
    if outcome.failures:
        for year, reason in outcome.failures:
            console.print(f"[red]pipeline failed for {year}:[/red] {reason}")
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
    if args.ocr:  # OCR is seconds a page: measured on its own files, never replicated
        from .reporting.ocr_benchmark import main as ocr_main

        ocr_main(args.ocr)
        return 0
    from .reporting.benchmark import main as bench_main

    bench_main([f"--n={args.docs}", *args.paths])  # prints its figures
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

    bench = sub.add_parser("bench", help="decode throughput and peak memory on replicated documents")
    bench.add_argument("paths", nargs="*", help="files or folders (default: sample + corpus)")
    bench.add_argument("--docs", type=int, default=10_000)
    bench.add_argument("--ocr", nargs="+", metavar="FILE", help="OCR pages/s on these scans/images instead")
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
