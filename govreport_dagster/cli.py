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
from .cli_errors import CliError, check_dagster_home, check_existing_paths, check_location, check_port_free, run_command
from .year_spec import parse_years

settings.quiet_third_parties()


def _check_years(spec: str) -> str | None:
    """Why a --years value cannot run (before anything runs), or None."""
    from .core.calendar import year_out_of_range

    try:
        years = parse_years(spec, [])
    except ValueError as exc:
        return str(exc) if "reversed" in str(exc) else "expected e.g. 2016-2024, 2019,2021 or all"
    return next((problem for y in years if (problem := year_out_of_range(y))), None)


def prepare_dagster_home(path: str | os.PathLike[str] | None) -> Path:
    """Point DAGSTER_HOME at a persistent instance (so the UI shows the history) that has
    the project's instance settings (telemetry off, 2 concurrent runs)."""
    home = check_dagster_home(str(path or os.environ.get("DAGSTER_HOME") or settings.DEFAULT_DAGSTER_HOME))
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

    console = Console()
    landing = args.landing or settings.landing_root()
    warehouse = args.warehouse or settings.warehouse_root()
    _check_run_arguments(args, landing, warehouse)
    if args.cluster:
        os.environ["GOVREPORT_CLUSTER"] = args.cluster  # the stages' executor (execution.make_executor)
    home = prepare_dagster_home(args.dagster_home)
    console.print(
        f"landing zone [bold]{escape(str(landing))}[/bold] → warehouse [bold]{escape(str(warehouse))}[/bold] "
        f"(Dagster home {escape(str(home))})"
    )
    try:
        with exclusive_run(warehouse, home):
            return _run_locked(landing, warehouse, args.years, console, args.corrections)
    except RunLocked as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        return 3


def _run_locked(landing: str, warehouse: str, years: str, console: Any, corrections: str | None) -> int:
    """The run itself, under the warehouse and Dagster-home locks (see run_lock)."""
    import dagster as dg

    from .pipeline_runner import run_pipeline, summarize

    # Created (and its run storage migrated) under the home lock: exactly once per home.
    instance = dg.DagsterInstance.get()
    started = time.perf_counter()
    try:
        outcome = run_pipeline(
            landing, warehouse, years=years, console=console, instance=instance, corrections=corrections
        )
        summarize(outcome, warehouse, console, seconds=time.perf_counter() - started)
    finally:
        _report_and_close_cluster(console)
    if outcome.failures:
        for year, reason in outcome.failures:
            print(f"govreport: pipeline failed for {year}: {reason}", file=sys.stderr)
        return 1
    return 0


def _report_and_close_cluster(console) -> None:
    """Say which engine ran the per-document stages, then stop a cluster this run started."""
    from . import execution_dask  # noqa: F401  (registers local-cluster:N and scheduler addresses)
    from .execution import close_executors, describe_cluster

    described = describe_cluster()
    console.print(
        f"per-document engine: [bold]{described['engine']}[/bold], {described['workers']} worker(s) "
        f"(cluster {described['cluster']})"
    )
    close_executors()


def _check_run_arguments(args: argparse.Namespace, landing: str, warehouse: str) -> None:
    """Every mistake `run` can see before anything runs, as one line (cli_errors)."""
    from .pipeline_runner import published_years
    from .storage.landing import LandingZoneMissing, open_root, scan

    check_location("--landing", landing)
    check_location("--warehouse", warehouse)
    if problem := _check_years(args.years):
        raise CliError(f"--years {args.years}: {problem}")
    try:
        open_root(landing)
    except LandingZoneMissing as exc:
        raise CliError(f"{exc}: give --landing an existing folder of reports") from None
    if not scan(landing) and not published_years(warehouse):
        raise CliError(
            f"landing zone {landing} holds no files (.txt .htm .html .pdf .docx, flat or under YYYY/): "
            "nothing to run; put reports there or point --landing at them"
        )


def _absolute(location: str) -> str:
    """Local paths made absolute (the UI's processes run from the project folder); URLs as given."""
    return location if "://" in location else str(Path(location).resolve())


def cmd_ui(args: argparse.Namespace) -> int:
    home = prepare_dagster_home(args.dagster_home)
    for option, value, variable in (
        ("--landing", args.landing, "GOVREPORT_LANDING"),
        ("--warehouse", args.warehouse, "GOVREPORT_WAREHOUSE"),
    ):
        if value:
            check_location(option, value, must_exist=option == "--landing")
            os.environ[variable] = _absolute(value)
    check_port_free("127.0.0.1", args.port)
    if args.corrections:
        os.environ["GOVREPORT_CORRECTIONS"] = _absolute(args.corrections)
    dagster = Path(sys.executable).with_name("dagster")
    workspace = str(settings.PROJECT_ROOT / "workspace.yaml")
    command = [str(dagster), "dev", "-w", workspace, "-h", "127.0.0.1", "-p", str(args.port)]
    # run from the instance folder: dagster dev warns about any other dagster.yaml in its
    # working directory (the repo's, whose copy *is* the instance's settings)
    return _run_until_interrupted(command, cwd=home)


def _run_until_interrupted(command: list[str], cwd: Path) -> int:
    """Ctrl-C reaches `dagster dev` too (same process group): let it shut down, then say so."""
    process = subprocess.Popen(command, cwd=cwd)
    try:
        return process.wait()
    except KeyboardInterrupt:
        try:
            process.wait(timeout=30)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            process.terminate()
            process.wait(timeout=10)
        print("govreport ui: stopped", file=sys.stderr)
        return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .reporting.evaluation import run_eval

    check_location("--landing", args.landing, must_exist=True)
    check_location("--gold", args.gold, must_exist=True)
    if not any(Path(args.gold).rglob("*.gold.json")):
        raise CliError(f"--gold {args.gold} holds no *.gold.json files: give the folder of hand-checked gold files")
    corrections = []
    if args.corrections:
        from .storage.corrections import read_corrections

        corrections, problems = read_corrections(args.corrections)
        for problem in problems:
            print(f"corrections: {problem}", file=sys.stderr)
    report = run_eval(Path(args.landing), Path(args.gold), corrections)
    print("\n".join(report.lines()))
    if args.by_format:
        from .reporting.evaluation import by_format_lines

        print("\n".join(by_format_lines(report)))
    return 0


def cmd_suggest(args: argparse.Namespace) -> int:
    """The year's suggested corrections (from the warehouse) as a corrections file to review."""
    from upath import UPath

    from .core.corrections import suggestions_file
    from .storage.corrections import REVIEW_FOLDER, default_corrections_root
    from .storage.warehouse import Warehouse

    warehouse = Warehouse(args.warehouse or settings.warehouse_root())
    folder = (
        args.corrections
        or settings.corrections_override()
        or default_corrections_root(args.landing or settings.landing_root())
    )
    filters = [("report_year", "=", args.year)]
    suggestions = warehouse.read_table("correction_suggestions", filters=filters)
    if suggestions is None:
        print(f"error: {warehouse.root}: no correction_suggestions table (run `govreport run` first)", file=sys.stderr)
        return 2
    reports = warehouse.read_table("reports", filters=filters, columns=["report_id", "source_sha256", "agency_name"])
    by_id = {} if reports is None else {str(r["report_id"]): r for r in reports.to_dict("records")}
    out = UPath(args.out) if args.out else UPath(folder) / REVIEW_FOLDER / f"suggestions_{args.year}.yaml"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(suggestions_file(args.year, suggestions.to_dict("records"), by_id, folder), encoding="utf-8")
    print(f"{len(suggestions)} suggested correction(s) for {args.year} → {out} (review, sign, move into {folder})")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    if args.ocr:  # OCR is seconds a page: measured on its own files, never replicated
        from .reporting.ocr_benchmark import main as ocr_main

        ocr_main(args.ocr)
        return 0
    if args.pipeline:  # the whole pipeline, cold / warm / 1% changed, vs the decode floor
        from .pipeline_bench import main as pipeline_bench_main

        return pipeline_bench_main(args.docs or 3_000, keep=args.keep)
    if args.scale:
        from .scale_bench import main as scale_bench_main

        return scale_bench_main(args.docs or 100_000, args.cluster or "local-cluster:2", keep=args.keep)
    from .reporting.benchmark import main as bench_main

    check_existing_paths("bench:", args.paths)
    bench_main([f"--n={args.docs or 10_000}", *args.paths])  # prints its figures
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govreport", description=__doc__)
    parser.add_argument("--debug", action="store_true", help="full tracebacks instead of one-line errors")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="materialise every stage for every year in the landing zone")
    run.add_argument("--landing", help=f"landing zone path or fsspec URL (default: {settings.landing_root()})")
    run.add_argument("--warehouse", help=f"warehouse path or fsspec URL (default: {settings.warehouse_root()})")
    run.add_argument("--years", default="all", help="e.g. 2016-2024, 2019,2021 or all (default)")
    run.add_argument("--dagster-home", help="persistent Dagster instance folder (default: data/dagster_home)")
    run.add_argument(
        "--cluster",
        help="where the per-document stages run: local (process pool, default), local:N, serial, "
        "local-cluster:N (a Dask LocalCluster of N workers) or a Dask scheduler address tcp://host:8786 "
        "(default: GOVREPORT_CLUSTER or local)",
    )

    run.add_argument("--corrections", help="corrections folder (default: <landing>_corrections)")
    run.set_defaults(func=cmd_run)

    ui = sub.add_parser("ui", help="start the Dagster UI (dagster dev) on 127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.add_argument("--landing")
    ui.add_argument("--warehouse")
    ui.add_argument("--dagster-home")
    ui.add_argument("--corrections")
    ui.set_defaults(func=cmd_ui)

    suggest = sub.add_parser("suggest", help="write a year's suggested corrections as a corrections file to review")
    suggest.add_argument("--year", type=int, required=True)
    suggest.add_argument("--warehouse", help=f"(default: {settings.warehouse_root()})")
    suggest.add_argument("--landing", help="the landing zone whose corrections folder is meant")
    suggest.add_argument("--corrections", help="corrections folder (default: <landing>_corrections)")
    suggest.add_argument("--out", help="file to write (default: <corrections>/review/suggestions_<year>.yaml)")
    suggest.set_defaults(func=cmd_suggest)

    ev = sub.add_parser("eval", help="score extraction against hand-checked *.gold.json files")
    ev.add_argument("--landing", required=True, help="folder of reports")
    ev.add_argument("--gold", required=True, help="folder of *.gold.json files")
    ev.add_argument("--by-format", action="store_true", help="also one summary line per source format")
    ev.add_argument("--corrections", help="also score the values with this folder's corrections applied")
    ev.set_defaults(func=cmd_eval)

    bench = _add_bench_parser(sub)
    for command in (run, ui, ev, bench):  # `govreport run --debug` as well as `govreport --debug run`
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def _add_bench_parser(sub: Any) -> argparse.ArgumentParser:
    bench = sub.add_parser("bench", help="decode throughput (or, with --pipeline, the whole pipeline) and peak memory")
    bench.add_argument("paths", nargs="*", help="files or folders (default: sample + corpus)")
    bench.add_argument("--docs", type=int, help="documents (default: 10,000 decode only, 3,000 with --pipeline)")
    bench.add_argument(
        "--pipeline",
        action="store_true",
        help="whole pipeline cold, warm, 1%% changed, vs the decode floor; then make sample and one report",
    )
    bench.add_argument(
        "--scale",
        action="store_true",
        help="N documents (default 100,000) through govreport run --cluster: docs/s, driver and per-worker peak RSS",
    )
    bench.add_argument("--ocr", nargs="+", metavar="FILE", help="OCR pages/s on these scans/images instead")
    bench.add_argument("--cluster", help="with --scale: the --cluster of the run (default local-cluster:2)")
    bench.add_argument(
        "--keep", help="with --pipeline/--scale: work in this folder and leave it (default: a temporary one)"
    )
    bench.set_defaults(func=cmd_bench)
    return bench


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(args.func, args, debug=args.debug)


if __name__ == "__main__":
    raise SystemExit(main())
