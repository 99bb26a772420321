"""Issue 16 through the whole pipeline (Dagster, `govreport` CLI) on corpus 022, whose two
table-4 totals are printed as 0: suggested (11 and 5), accepted through a corrections file,
published as corrected with the printed values and the failed printed-value checks kept,
idempotent on a re-run, stale once the source changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from builders import CORPUS

from govreport_dagster.cli import main

pytestmark = pytest.mark.slow

T4_PRINTED = "10    1      0   0    0   0    0   0   0    0   5   0     0   0   0"


def _run(paths: dict[str, Path]) -> None:
    args = ["run", "--landing", str(paths["landing"]), "--warehouse", str(paths["warehouse"])]
    assert main([*args, "--dagster-home", str(paths["home"])]) == 0


def _table(paths: dict[str, Path], name: str) -> pd.DataFrame:
    return pd.read_parquet(paths["warehouse"] / name)


def _t4_totals(paths: dict[str, Path]) -> dict[str, tuple]:
    t4 = _table(paths, "fact_review_litigation")
    totals = t4[t4["result_key"] == "total"]
    return {r.proceeding_key: (r.count, r.printed_count, r.cell_state) for r in totals.itertuples()}


def _t4_checks(paths: dict[str, Path]) -> dict[tuple[str, str], str]:
    checks = _table(paths, "identity_checks")
    checks = checks[checks["identity_id"] == "t4_block_total"]
    return {(r.scope, r.value_basis): r.status for r in checks.itertuples()}


def _snapshot(paths: dict[str, Path]) -> dict[str, pd.DataFrame]:
    names = ["reports", "fact_review_litigation", "identity_checks", "corrections", "correction_suggestions"]
    return {n: _table(paths, n).sort_values(list(_table(paths, n).columns[:3])).reset_index(drop=True) for n in names}


def test_suggest_accept_rerun_and_go_stale(tmp_path: Path) -> None:
    paths = {"landing": tmp_path / "landing", "warehouse": tmp_path / "wh", "home": tmp_path / "home"}
    paths["landing"].mkdir()
    source = paths["landing"] / "022.txt"
    shutil.copy(CORPUS / "022.txt", source)
    assert T4_PRINTED in source.read_text(encoding="utf-8")

    _run(paths)  # no corrections folder: published = printed, suggestions listed
    suggestions = _table(paths, "correction_suggestions")
    assert dict(zip(suggestions["cell"], suggestions["suggested_value"], strict=True)) == {
        "t4.review.total": 11,
        "t4.litigation_after_review.total": 5,
    }
    assert _t4_totals(paths)["review"] == (0, 0, "number")

    assert main(["suggest", "--year", "2023", "--warehouse", str(paths["warehouse"]),
                 "--landing", str(paths["landing"])]) == 0  # fmt: skip
    folder = tmp_path / "landing_corrections"
    proposal = (folder / "review" / "suggestions_2023.yaml").read_text(encoding="utf-8")
    assert proposal.count('who: ""') == 2  # nobody has signed: the pipeline would reject them as they are
    accepted = proposal.replace('who: ""', 'who: "王五"').replace('when: ""', 'when: "2026-11-30"')
    (folder / "hongze_2023.yaml").write_text(accepted, encoding="utf-8")

    _run(paths)
    totals = _t4_totals(paths)
    assert totals["review"] == (11, 0, "corrected")
    assert totals["litigation_after_review"] == (5, 0, "corrected")
    checks = _t4_checks(paths)
    for scope in ("review", "litigation_after_review"):
        assert (checks[(scope, "printed")], checks[(scope, "corrected")]) == ("failed", "passed")
    assert _table(paths, "reports")["quality_status"].tolist() == ["identity_violation"]  # as printed
    assert _table(paths, "corrections")["status"].tolist() == ["applied", "applied"]
    assert _table(paths, "correction_suggestions")["accepted"].all()
    before = _snapshot(paths)

    _run(paths)  # a re-run is idempotent
    for name, frame in _snapshot(paths).items():
        pd.testing.assert_frame_equal(frame, before[name], obj=name)

    # the agency republishes with the 行政复议 总计 printed as 7: that correction no longer applies
    republished = T4_PRINTED.replace("0   0    0   0", "0   0    7   0", 1)
    source.write_text(source.read_text(encoding="utf-8").replace(T4_PRINTED, republished), encoding="utf-8")
    _run(paths)
    totals = _t4_totals(paths)
    assert totals["review"] == (7, 7, "number")
    assert totals["litigation_after_review"] == (5, 0, "corrected")  # still printed 0: still applies
    corrections = _table(paths, "corrections").set_index("cell")
    assert corrections.loc["t4.review.total", "status"] == "stale"
    assert "now prints '7'" in corrections.loc["t4.review.total", "status_reason"]
    assert corrections.loc["t4.litigation_after_review.total", "status"] == "applied"
