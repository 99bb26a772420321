"""The pipeline benchmark's landing zone: every copy unique (no cache or duplicate detection
can serve it) and still the same report, and the 1% change really changes files."""

from __future__ import annotations

import hashlib
from pathlib import Path

from builders import CORPUS, SAMPLE

from govreport_dagster.core.ingest import decode_content
from govreport_dagster.pipeline_bench import build_landing, change_some, copy_mark


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_copies_are_unique_and_keep_their_text(tmp_path: Path):
    files = build_landing(tmp_path, 40, [SAMPLE, CORPUS])
    assert len({_sha(p) for p in files}) == 40
    html = next(p for p in files if p.suffix == ".html")
    outcome = decode_content(html.read_bytes(), str(html))
    digits = copy_mark(int(html.stem)).split("：")[1].rstrip("）\n")  # punctuation is normalised
    assert outcome.document is not None and digits in outcome.document.text


def test_one_percent_changes_one_file_in_a_hundred(tmp_path: Path):
    files = build_landing(tmp_path, 100, [SAMPLE])
    before = [_sha(p) for p in files]
    assert change_some(files, 0.01) == 1
    assert sum(a != _sha(p) for a, p in zip(before, files, strict=True)) == 1


def test_bench_pipeline_and_scale_reach_their_benchmarks(monkeypatch):
    """`govreport bench --pipeline` / `--scale` run those benchmarks, not the decode one (a
    merge once dropped the dispatch and both flags silently ran the decode benchmark)."""
    import govreport_dagster.pipeline_bench as pipeline_bench
    import govreport_dagster.scale_bench as scale_bench
    from govreport_dagster.cli import main

    calls = []
    monkeypatch.setattr(pipeline_bench, "main", lambda n, keep=None: calls.append(("pipeline", n, keep)) or 0)
    monkeypatch.setattr(scale_bench, "main", lambda n, cluster, keep=None: calls.append(("scale", n, cluster)) or 0)
    assert main(["bench", "--pipeline", "--docs", "7", "--keep", "k"]) == 0
    assert main(["bench", "--scale", "--docs", "9"]) == 0
    assert calls == [("pipeline", 7, "k"), ("scale", 9, "local-cluster:2")]


def test_the_scale_bench_attributes_the_drivers_peak_to_each_step(tmp_path: Path):
    """`bench --scale` says which step held the memory: the samples inside each step's span."""
    import time

    import dagster as dg

    from govreport_dagster.scale_bench import ScaleRun, step_peaks

    @dg.asset
    def first_stage() -> int:
        time.sleep(0.3)
        return 1

    @dg.asset
    def second_stage(first_stage: int) -> int:
        time.sleep(0.3)
        return first_stage + 1

    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        assert dg.materialize([first_stage, second_stage], instance=instance).success
        (record,) = instance.get_run_records()
        logs = instance.all_logs(record.dagster_run.run_id)
    started = {
        e.step_key: e.timestamp for e in logs if e.dagster_event and e.dagster_event.event_type_value == "STEP_START"
    }
    mid_first, mid_second = started["first_stage"] + 0.1, started["second_stage"] + 0.1
    samples = [(mid_first, 300.0), (mid_second, 700.0), (mid_second + 0.05, 650.0), (started["first_stage"] - 60, 9e3)]
    peaks = step_peaks(tmp_path, samples)
    assert peaks == [("second_stage", 700.0), ("first_stage", 300.0)]  # the sample before any step is no step's
    run = ScaleRun(10, "local:2", seconds=1.0, driver_peak_mb=700.0, step_peaks=peaks)
    assert "     700  second_stage" in "\n".join(run.lines())
