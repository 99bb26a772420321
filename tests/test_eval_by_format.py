"""`govreport eval --by-format`: the summary once per source format."""

from __future__ import annotations

import shutil
from pathlib import Path

from govreport_dagster.cli import main
from govreport_dagster.reporting.evaluation import EvalReport, ReportScore, by_format_lines

OFFICE = Path(__file__).resolve().parent / "fixtures" / "corpus_office"


def _score(file: str, matched: int, total: int) -> ReportScore:
    score = ReportScore(file)
    score.matched["t3"], score.total["t3"] = matched, total
    return score


def test_one_line_per_format_with_its_own_counts() -> None:
    report = EvalReport([_score("a.txt", 9, 10), _score("html/b.html", 5, 5), _score("c.TXT", 10, 10)])
    lines = by_format_lines(report)
    assert [line.split(":")[0] for line in lines] == ["eval[html]", "eval[txt]"]
    assert lines[0].startswith("eval[html]: 1 report · 5/5 unambiguous gold cells (100.0%)")
    assert lines[1].startswith("eval[txt]: 2 reports · 19/20 unambiguous gold cells (95.0%)")
    assert "t3 95.0%" in lines[1]


def test_cli_prints_the_format_lines(tmp_path: Path, capsys) -> None:
    for name in ("007.xls", "007.xls.gold.json", "007.xlsx", "007.xlsx.gold.json"):
        shutil.copy(OFFICE / name, tmp_path / name)
    assert main(["eval", "--landing", str(tmp_path), "--gold", str(tmp_path), "--by-format"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("eval: 400/400 unambiguous gold cells (100.0%)")
    formats = [line for line in out if line.startswith("eval[")]  # after the summary (and legacy) lines
    assert formats[0].startswith("eval[xls]: 1 report · 200/200") and formats[1].startswith(
        "eval[xlsx]: 1 report · 200/200"
    )
