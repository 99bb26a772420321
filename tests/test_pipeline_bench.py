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
