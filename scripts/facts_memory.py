"""Peak memory of one year's facts, all reports at once (`--old`) or a chunk at a time (issue 12).

Reads a warehouse's stage partitions for YEAR and both neighbours as `report_facts` does
(the frames and columns its `AssetIn` metadata names), builds the year's facts, pickles them
to OUT and prints the peak RSS and the RSS once the frames were loaded. Run it once per way
(each in its own process, so the peaks are apart), then `--compare A B`:

    python scripts/facts_memory.py WAREHOUSE 2020 /tmp/new.pkl
    PYTHONPATH=<a checkout before chunking> python scripts/facts_memory.py --old WAREHOUSE 2020 /tmp/old.pkl
    python scripts/facts_memory.py --compare /tmp/old.pkl /tmp/new.pkl

`--corrections FILE` applies a corrections YAML file (`docs/warehouse_contract.md`) in both.
"""

from __future__ import annotations

import argparse
import pickle
import resource
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

# (stage, frame, columns the facts skip): assets/facts.py's AssetIn metadata
STAGES = [
    ("raw_reports", "files", ()),
    ("decoded_reports", "reports", ("original_text", "tables")),
    ("sectioned_reports", "reports", ()),
    ("extracted_tables", "reports", ()),
]


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load(warehouse: Path, years: list[int]) -> list[dict[str, dict[str, pd.DataFrame]]]:
    stages = []
    for stage, frame, skip in STAGES:
        by_year = {}
        for year in years:
            path = warehouse / "_stages" / stage / f"report_year={year}" / f"{frame}.parquet"
            if path.exists():
                columns = [c for c in pq.read_schema(path).names if c not in skip]
                by_year[str(year)] = {frame: pd.read_parquet(path, columns=columns)}
        stages.append(by_year)
    return stages


def facts(stages: list, year: int, old: bool, corrections: list) -> dict[str, pd.DataFrame]:
    if old:
        from govreport_dagster.core.facts import build_facts
        from govreport_dagster.storage.frames import bundles_from_frames

        def bundles(y: int) -> list:
            key = str(y)
            return bundles_from_frames(*(s[key] for s in stages), y) if all(key in s for s in stages) else []

        current = bundles(year)
        return build_facts(current, bundles(year - 1), bundles(year + 1), corrections)
    from govreport_dagster.core.facts import build_year_facts
    from govreport_dagster.core.year_reports import ListedYear
    from govreport_dagster.storage.year_reports import StageFramesYear

    def reports(y: int):
        key = str(y)
        return StageFramesYear(*(s[key] for s in stages), y) if all(key in s for s in stages) else ListedYear([])

    return build_year_facts(reports(year), reports(year - 1), reports(year + 1), corrections)


def compare(a: Path, b: Path) -> None:
    left, right = pickle.loads(a.read_bytes()), pickle.loads(b.read_bytes())
    assert list(left) == list(right), (list(left), list(right))
    for table in left:
        pd.testing.assert_frame_equal(left[table], right[table], check_exact=True, obj=table)
        print(f"{table:28} {len(left[table]):8} rows  equal")
    print("ALL EQUAL")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", action="store_true", help="all reports at once (bundles_from_frames + build_facts)")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"))
    parser.add_argument("--corrections", type=Path, help="a corrections YAML file to apply")
    parser.add_argument("warehouse", nargs="?", type=Path)
    parser.add_argument("year", nargs="?", type=int)
    parser.add_argument("out", nargs="?", type=Path)
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare)
        return
    import govreport_dagster

    people = []
    if args.corrections:
        from govreport_dagster.core.corrections import parse_corrections

        people, problems = parse_corrections(args.corrections.read_text(encoding="utf-8"), str(args.corrections))
        assert not problems, problems
    stages = load(args.warehouse, [args.year - 1, args.year, args.year + 1])
    loaded, load_peak = _rss_mib(), _peak_mib()
    started = time.perf_counter()
    frames = facts(stages, args.year, args.old, people)
    seconds, peak = time.perf_counter() - started, _peak_mib()  # before pickling the result
    output = sum(f.memory_usage(deep=True).sum() for f in frames.values()) / 2**20
    args.out.write_bytes(pickle.dumps(frames))
    way = "old (all at once)" if args.old else "new (chunked)"
    print(f"{way}: code {Path(govreport_dagster.__file__).parent}", file=sys.stderr)
    print(
        f"{way}: year {args.year} reports {len(frames['reports'])} · frames loaded {loaded:.0f} MiB "
        f"(peak while loading {load_peak:.0f} MiB) · "
        f"peak RSS {peak:.0f} MiB · the facts' frames {output:.0f} MiB · {seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
