"""`<warehouse>/govreport.duckdb`: views over every table, the labelled BI views, and every SQL
block of the README run against it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest
from warehouse_builder import write_warehouse

from govreport_dagster.core.schemas import CONTRACT
from govreport_dagster.storage.duckdb_views import DUCKDB_NAME, build_duckdb

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    landing = tmp_path_factory.mktemp("landing")
    shutil.copytree(ROOT / "data" / "sample", landing / "sample")
    shutil.copytree(ROOT / "tests" / "fixtures" / "corpus", landing / "corpus")
    root = tmp_path_factory.mktemp("warehouse")
    write_warehouse(landing, root)
    assert build_duckdb(root) == root / DUCKDB_NAME
    return root


def readme_sql_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sql\n(.*?)```", text, flags=re.S)


def test_readme_has_sql_to_run() -> None:
    assert len(readme_sql_blocks()) >= 3


@pytest.mark.parametrize("index", range(len(readme_sql_blocks())))
def test_every_readme_query_runs_and_returns_rows(warehouse: Path, index: int, monkeypatch) -> None:
    sql = readme_sql_blocks()[index]
    monkeypatch.chdir(warehouse.parent)  # README paths are relative to the project: data/warehouse/…
    sql = sql.replace("data/warehouse/", f"{warehouse}/")
    with duckdb.connect(str(warehouse / DUCKDB_NAME), read_only=True) as con:
        rows = con.execute(sql).fetchall()
    assert rows, sql


def test_a_view_per_table_with_the_contract_columns(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse / DUCKDB_NAME), read_only=True) as con:
        views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        for table, schema in CONTRACT.items():
            assert table in views
            columns = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
            assert set(schema.names) <= columns, table
        year_type = con.execute("SELECT typeof(report_year) FROM reports LIMIT 1").fetchone()[0]
    assert year_type == "INTEGER"
    assert {"agency_dim", "applications_by_agency_year", "agency_year_headlines", "agency_year_over_year"} <= views


def test_year_over_year_compares_an_agency_with_its_previous_report(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse / DUCKDB_NAME), read_only=True) as con:
        rows = con.execute(
            "SELECT report_year, previous_year, applications_received, applications_received_previous, "
            "applications_received_change FROM agency_year_over_year WHERE agency = '福建省福州市平潭县' "
            "AND report_year IN (2020, 2021) ORDER BY report_year"
        ).fetchall()
    assert [r[:2] for r in rows] == [(2020, 2019), (2021, 2020)]
    for _year, _prev, now, before, change in rows:
        assert now is not None and before is not None and change == now - before


def test_copies_of_one_agency_year_are_counted_once(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse / DUCKDB_NAME), read_only=True) as con:
        dupes = con.execute(
            "SELECT agency_id, report_year, count(*) FROM agency_year_headlines GROUP BY 1, 2 HAVING count(*) > 1"
        ).fetchall()
        pingtan_2021 = con.execute(
            "SELECT count(*) FROM reports WHERE report_year = 2021 AND agency_name LIKE '平潭%'"
        ).fetchone()[0]
    assert dupes == []
    assert pingtan_2021 == 2  # 007.txt and html/007.html: both published, one in the headlines


def test_labels_join_on_key_type_and_key(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse / DUCKDB_NAME), read_only=True) as con:
        totals = con.execute("SELECT key_type, label, label_full FROM labels WHERE key = 'total' ORDER BY 1").fetchall()
        other = con.execute("SELECT label, label_full FROM labels WHERE key = 'other_other'").fetchone()
    assert [t[0] for t in totals] == ["applicant_key", "result_key"]
    assert other == ("其他", "三、本年度办理结果 › （六）其他处理 › 3.其他")
