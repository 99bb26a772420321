"""Identities through the whole pipeline: real violations reported (never fixed), a broken
balance published with its status, cross-year checks over the 平潭 series, and a removed file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from builders import CORPUS, seed_path

from govreport_dagster.cli import main

pytestmark = pytest.mark.slow

PINGTAN = {"005.txt": 2019, "006.txt": 2020, "007.txt": 2021}


def _run(landing: Path, warehouse: Path, home: Path) -> None:
    assert main(["run", "--landing", str(landing), "--warehouse", str(warehouse), "--dagster-home", str(home)]) == 0


def _broken_002(target: Path) -> None:
    """Seed 002 with table 3's 总计 of 一、本年新收 changed from 0 to 5: the row total and the
    balance no longer hold."""
    text = seed_path("002").read_text(encoding="utf-8")
    head, sep, tail = text.partition("一、本年新收政府信息公開申請數(shù)量")  # as printed: traditional + pinyin
    cells = tail.split("\n")
    # the row's seven values are the lines holding a lone number; the last of them is 总计
    numbers = [i for i, line in enumerate(cells[:40]) if line.strip().isdigit()][:7]
    cells[numbers[-1]] = "5"
    target.write_text(head + sep + "\n".join(cells), encoding="utf-8")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("identities")
    landing = tmp / "landing"
    landing.mkdir()
    for name in PINGTAN:
        shutil.copy(CORPUS / name, landing / name)
    _broken_002(landing / "pingshan_broken.txt")
    paths = {"landing": landing, "warehouse": tmp / "warehouse", "home": tmp / "home"}
    _run(**paths)
    return paths


def _table(run: dict[str, Path], name: str) -> pd.DataFrame:
    frame = pd.read_parquet(run["warehouse"] / name)
    frame["report_year"] = frame["report_year"].astype(int)
    return frame


def test_broken_balance_is_published_with_identity_violation_and_lhs_rhs(run: dict[str, Path]) -> None:
    reports = _table(run, "reports")
    broken = reports[reports["source_uri"].str.endswith("pingshan_broken.txt")].iloc[0]
    assert broken["quality_status"] == "identity_violation"
    assert broken["identity_violations"] >= 1
    checks = _table(run, "identity_checks")
    failed = checks[(checks["report_id"] == broken["report_id"]) & (checks["status"] == "failed")]
    row_total = failed[(failed["identity_id"] == "t3_row_total") & (failed["scope"] == "new_received")].iloc[0]
    assert (row_total["lhs"], row_total["rhs"]) == (5.0, 0.0)
    assert bool(row_total["passed"]) is False and "总计" in row_total["detail"]
    # published as printed: the source's 5 is not "fixed"
    apps = _table(run, "fact_applications")
    cell = apps[
        (apps["report_id"] == broken["report_id"])
        & (apps["outcome_key"] == "new_received")
        & (apps["applicant_key"] == "total")
    ]
    assert cell["count"].tolist() == [5]


def test_real_violation_in_pingtan_2020_is_reported_not_fixed(run: dict[str, Path]) -> None:
    reports = _table(run, "reports")
    by_year = reports.set_index("report_year")
    assert by_year.loc[2020, "quality_status"] == "identity_violation"  # gold: outcome sums break
    assert by_year.loc[2019, "quality_status"] == "ok"
    checks = _table(run, "identity_checks")
    mine = checks[checks["report_id"] == by_year.loc[2020, "report_id"]]
    outcome = mine[(mine["identity_id"] == "t3_outcomes_sum") & (mine["scope"] == "natural_person")].iloc[0]
    assert outcome["status"] == "failed" and {outcome["lhs"], outcome["rhs"]} == {20.0, 26.0}


def test_cross_year_checks_over_consecutive_pingtan_years(run: dict[str, Path]) -> None:
    checks = _table(run, "identity_checks")
    reports = _table(run, "reports")
    reports = reports[reports["agency_name"].str.contains("平潭")].set_index("report_year")
    for year in (2020, 2021):
        carry = checks[
            (checks["identity_id"] == "x_t3_carry") & (checks["report_id"] == reports.loc[year, "report_id"])
        ]
        assert len(carry) == 7, year  # one per applicant column
        assert set(carry["status"]) == {"passed"}, carry[["scope", "lhs", "rhs", "detail"]]
        assert carry["detail"].str.contains(reports.loc[year - 1, "report_id"]).all()
    first = checks[(checks["identity_id"] == "x_t3_carry") & (checks["report_id"] == reports.loc[2019, "report_id"])]
    assert set(first["status"]) <= {"not_assessable"}  # no 2018 report: not assessable, no crash


def test_a_removed_file_drops_its_rows_and_the_ledger_says_so(run: dict[str, Path], tmp_path: Path) -> None:
    # on a copy: the module's run stays as it was for the other tests (each passes alone)
    mine = {"landing": tmp_path / "landing", "warehouse": tmp_path / "warehouse", "home": tmp_path / "home"}
    shutil.copytree(run["landing"], mine["landing"])
    shutil.copytree(run["warehouse"], mine["warehouse"], symlinks=True)  # a year is a relative link (year_commit)
    (mine["landing"] / "pingshan_broken.txt").unlink()
    _run(**mine)
    reports = _table(mine, "reports")
    assert not reports["source_uri"].str.endswith("pingshan_broken.txt").any()
    assert 2021 in set(reports["report_year"])  # 007 (2021) is still there
    ledger = pd.read_parquet(mine["warehouse"] / "ingest_ledger")
    gone = ledger[ledger["source_uri"].str.endswith("pingshan_broken.txt")]
    assert gone["status"].astype(str).tolist() == ["removed"]


def test_a_year_whose_files_all_left_is_emptied(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    shutil.copy(seed_path("000"), landing)
    shutil.copy(seed_path("004"), landing)
    paths = {"landing": landing, "warehouse": tmp_path / "w", "home": tmp_path / "h"}
    _run(**paths)
    next(landing.glob("004_*")).unlink()
    _run(**paths)
    reports = pd.read_parquet(paths["warehouse"] / "reports")
    assert reports["report_year"].astype(int).tolist() == [2016]
    assert (paths["warehouse"] / "reports" / "report_year=2023").is_dir()  # an empty, valid partition


def test_published_values_are_what_eval_scores(run: dict[str, Path]) -> None:
    """The warehouse gets the same cross-year splits `govreport eval` scores: 平潭 2019's
    licensing row `3960181` is split by the 2020 report (prev_year_items 396 = 396 + 0)."""
    reports = _table(run, "reports")
    report_2019 = reports[reports["report_year"] == 2019]["report_id"].iloc[0]
    t2 = _table(run, "fact_active_disclosure")
    licensing = t2[(t2["report_id"] == report_2019) & (t2["item_key"] == "licensing")]
    values = dict(zip(licensing["metric_key"], licensing["value"], strict=True))
    assert values == {"prev_year_items": 396.0, "change": 0.0, "decisions": 181.0}
