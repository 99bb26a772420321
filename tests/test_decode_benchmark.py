"""The benchmark runs and reports its figures (throughput itself is not asserted: machine-dependent)."""

from __future__ import annotations

from pathlib import Path

from govreport_dagster.reporting.benchmark import run_decode_benchmark

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_reports_figures(capsys) -> None:
    result = run_decode_benchmark(
        [ROOT / "data" / "sample", ROOT / "tests" / "fixtures" / "corpus" / "html"], n_docs=40, batch_size=7
    )
    assert result["docs"] == 40 and result["rejected"] == 0
    assert set(result["per_format"]) == {"txt", "html"}
    assert result["per_format"]["html"]["tables"] > 0
    assert result["docs_per_s"] > 0 and result["mb_per_s"] > 0 and result["peak_rss_mb"] > 0
    assert "docs/s" in capsys.readouterr().out
