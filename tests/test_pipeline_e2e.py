"""`govreport run` end to end through Dagster on a persistent instance (whole pipeline runs: slow)."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from builders import SEED_YEARS, seed_path

from govreport_dagster.cli import main
from govreport_dagster.core.schemas import CONTRACT, YEAR_PARTITIONED
from govreport_dagster.jobs import YEARLY_ASSETS
from govreport_dagster.pipeline_runner import bridged_spans
from govreport_dagster.yearly import BRIDGED_YEARS_TAG

pytestmark = pytest.mark.slow

SEED_YEAR_SET = sorted(set(SEED_YEARS.values()))
# per-year stage partitions (`corrections` is one folder read for every year: _stages/corrections/all)
STAGE_ASSETS = [a for a in YEARLY_ASSETS if a not in ("published_warehouse", "corrections")]


@pytest.fixture(scope="module")
def seeded_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A cold run of the seeds, then a re-run into the same warehouse and instance."""
    tmp = tmp_path_factory.mktemp("e2e")
    landing = tmp / "landing"
    landing.mkdir()
    for prefix in SEED_YEARS:
        shutil.copy(seed_path(prefix), landing)
    warehouse, home = tmp / "warehouse", tmp / "home"
    command = ["run", "--landing", str(landing), "--warehouse", str(warehouse), "--dagster-home", str(home)]
    assert main(command) == 0
    cold = {"snapshot": _snapshot(warehouse), "runs": len(dg.DagsterInstance.from_config(str(home)).get_runs())}
    assert main(command) == 0  # the re-run (catch-up schedule): what the idempotence/cache tests look at
    return {"landing": landing, "warehouse": warehouse, "home": home, "cold": cold}


def _snapshot(warehouse: Path) -> dict[str, pd.DataFrame]:
    tables = {}
    for table in [*YEAR_PARTITIONED, "labels"]:
        frame = pd.read_parquet(warehouse / table)
        frame = frame.astype({c: str for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)})
        tables[table] = frame.sort_values(list(frame.columns[:3])).reset_index(drop=True)
    # run_id/seen_at name the run; decode_seconds is a measured time: none is a published value
    ledger = pd.read_parquet(warehouse / "ingest_ledger").drop(columns=["run_id", "seen_at", "decode_seconds"])
    tables["ingest_ledger"] = ledger.astype({"status": str}).sort_values("source_uri").reset_index(drop=True)
    return tables


def test_seeds_run_writes_ledger_and_every_stage_partition(seeded_run: dict) -> None:
    warehouse = seeded_run["warehouse"]
    ledger = pd.read_parquet(warehouse / "ingest_ledger")
    assert len(ledger) == 5
    assert set(ledger["status"].astype(str)) == {"parsed"}
    assert sorted(ledger["report_year"].astype(int)) == sorted(SEED_YEARS.values())
    for asset in STAGE_ASSETS:
        for year in SEED_YEAR_SET:
            assert (warehouse / "_stages" / asset / f"report_year={year}").is_dir(), (asset, year)
    for table in YEAR_PARTITIONED:
        for year in SEED_YEAR_SET:
            assert (warehouse / table / f"report_year={year}" / "part-0.parquet").is_file(), (table, year)
    for year in SEED_YEAR_SET:
        chart = warehouse.parent / "warehouse_data_docs" / "charts" / f"quality_{year}.png"
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_contract_table_reads_with_duckdb_and_pandas(seeded_run: dict) -> None:
    warehouse = seeded_run["warehouse"]
    for table in [*YEAR_PARTITIONED, "labels", "ingest_ledger"]:
        glob = f"{warehouse}/{table}/*/*.parquet"
        columns = [
            r[0]
            for r in duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{glob}', hive_partitioning=true)").fetchall()
        ]
        expected = CONTRACT[table].names if table in CONTRACT else []
        assert set(expected) <= set(columns), (table, columns)
        assert len(pd.read_parquet(warehouse / table).columns) >= 1
    reports = duckdb.sql(
        f"SELECT report_year, count(*) FROM read_parquet('{warehouse}/reports/*/*.parquet', hive_partitioning=true) "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert reports == [(y, 1) for y in SEED_YEAR_SET]


def test_runs_are_recorded_in_the_persistent_instance(seeded_run: dict) -> None:
    instance = dg.DagsterInstance.from_config(str(seeded_run["home"]))
    # the ledger, then per pass one run over a span of years (issue 11): the seeds' 2016, 2019,
    # 2021, 2023 and 2024 are one span, run through the empty 2017, 2018, 2020 and 2022
    empty = set(range(min(SEED_YEAR_SET), max(SEED_YEAR_SET))) - set(SEED_YEAR_SET)
    spans = bridged_spans(sorted(SEED_YEAR_SET), empty)
    assert spans == [list(range(2016, 2025))]
    # the ledger, then one run per span doing both passes (the stages' and the facts' spans match)
    assert seeded_run["cold"]["runs"] == 1 + len(spans)
    runs = instance.get_runs()
    assert len(runs) == seeded_run["cold"]["runs"] + 1  # nothing changed: the re-run rebuilt the ledger only
    assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
    # listed under the code location's jobs, each run with its year or range of years (UI: job → runs)
    yearly = [r for r in runs if r.job_name == "yearly_reports_job"]
    assert {r.job_name for r in runs} == {"ingest_job", "yearly_reports_job"}
    run_years = sorted(_years_of(r.tags) for r in yearly)
    assert run_years == sorted(spans)
    assert {r.tags.get(BRIDGED_YEARS_TAG) for r in yearly} == {"2017,2018,2020,2022"}
    # the years run through publish nothing: BI lists only years with reports
    published = sorted(p.name for p in (seeded_run["warehouse"] / "reports").iterdir())
    assert published == [f"report_year={y}" for y in sorted(SEED_YEAR_SET)]
    config = (seeded_run["home"] / "dagster.yaml").read_text(encoding="utf-8")
    assert "enabled: false" in config


def _years_of(tags: dict[str, str]) -> list[int]:
    if "dagster/partition" in tags:
        return [int(tags["dagster/partition"])]
    first, last = int(tags["dagster/asset_partition_range_start"]), int(tags["dagster/asset_partition_range_end"])
    return list(range(first, last + 1))


def test_rerun_is_idempotent(seeded_run: dict) -> None:
    warehouse = seeded_run["warehouse"]
    before, after = seeded_run["cold"]["snapshot"], _snapshot(warehouse)
    for table, frame in before.items():
        pd.testing.assert_frame_equal(frame, after[table], check_dtype=False, obj=table)
    assert not list((warehouse / "_tmp").glob("*")), "no staging debris after a run"


def test_missing_landing_zone_fails_before_anything_runs(tmp_path: Path, capsys) -> None:
    code = main(
        [
            "run",
            "--landing",
            str(tmp_path / "missing"),
            "--warehouse",
            str(tmp_path / "w"),
            "--dagster-home",
            str(tmp_path / "h"),
        ]
    )
    assert code == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "w").exists()


def test_seed_002_passes_every_applicable_identity(seeded_run: dict) -> None:
    warehouse = seeded_run["warehouse"]
    reports = pd.read_parquet(warehouse / "reports")
    pingshan = reports[reports["source_uri"].str.contains("002_")].iloc[0]
    assert pingshan["quality_status"] == "ok" and pingshan["identity_violations"] == 0
    assert bool(pingshan["has_t2"]) and bool(pingshan["has_t3"]) and bool(pingshan["has_t4"])
    checks = pd.read_parquet(warehouse / "identity_checks")
    mine = checks[checks["report_id"] == pingshan["report_id"]]
    assert "failed" not in set(mine["status"])
    assert (mine["status"] == "passed").sum() > 20
    # the blank （六）2 and （六）3 rows make the outcome sum not assessable, never "passed on zeros"
    outcome = mine[mine["identity_id"] == "t3_outcomes_sum"]
    assert set(outcome["status"]) == {"not_assessable"} and outcome["passed"].isna().all()
    apps = pd.read_parquet(warehouse / "fact_applications")
    blank = apps[
        (apps["report_id"] == pingshan["report_id"]) & apps["outcome_key"].isin(["other_overdue_fee", "other_other"])
    ]
    assert len(blank) == 14 and blank["count"].isna().all()


def test_cli_range_backfill_includes_empty_years(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    shutil.copy(seed_path("000"), landing)  # 2016
    warehouse = tmp_path / "w"
    args = ["run", "--landing", str(landing), "--warehouse", str(warehouse), "--dagster-home", str(tmp_path / "h")]
    assert main([*args, "--years", "2015-2017"]) == 0
    for year in (2015, 2016, 2017):  # empty years are valid, visible partitions
        assert (warehouse / "reports" / f"report_year={year}" / "part-0.parquet").is_file()
    assert pd.read_parquet(warehouse / "reports")["report_year"].astype(int).tolist() == [2016]


def test_rerun_reuses_per_file_work_and_says_so(seeded_run: dict) -> None:
    """A re-run (the catch-up schedule) decodes nothing again for unchanged files (the
    materialisation metadata shows the cache hits) and skips every year whose inputs did not
    change: no stage or facts run is started for them."""
    instance = dg.DagsterInstance.from_config(str(seeded_run["home"]))
    record = instance.fetch_materializations(dg.AssetKey("decoded_documents"), limit=1).records[0]
    decoded = record.asset_materialization.metadata["cache"].value["decoded"]
    assert decoded == {"hits": len(SEED_YEARS), "misses": 0}  # nothing decoded twice
    span = range(min(SEED_YEAR_SET), max(SEED_YEAR_SET) + 1)  # the cold run's one span (bridged gaps)
    for asset in ("extracted_tables", "published_warehouse"):
        records = instance.fetch_materializations(dg.AssetKey(asset), limit=100).records
        assert sorted(int(r.partition_key) for r in records) == list(span)  # one per year, from the cold run only


def test_a_report_missing_from_the_decoded_documents_is_reported_not_lost(tmp_path: Path) -> None:
    """The ledger parsed it, then `decoded_documents` was re-materialised on its own after the
    file disappeared: the year still publishes, with the report listed as unparseable and why."""
    from govreport_dagster.definitions import all_assets, make_resources
    from govreport_dagster.jobs import FACT_ASSETS, LEDGER_ASSETS, PER_DOCUMENT_ASSETS

    landing = tmp_path / "landing"
    landing.mkdir()
    shutil.copy(seed_path("002"), landing)
    shutil.copy(seed_path("003"), landing)
    warehouse = tmp_path / "w"
    resources = make_resources(str(landing), str(warehouse))
    instance = dg.DagsterInstance.ephemeral()
    assert dg.materialize(all_assets, selection=LEDGER_ASSETS, resources=resources, instance=instance).success
    next(landing.glob("002_*")).unlink()
    assert dg.materialize(all_assets, selection=["decoded_documents"], resources=resources, instance=instance).success
    for selection in (PER_DOCUMENT_ASSETS, FACT_ASSETS):
        result = dg.materialize(
            all_assets, selection=selection, partition_key="2021", resources=resources, instance=instance
        )
        assert result.success
    reports = pd.read_parquet(warehouse / "reports")
    assert len(reports) == 1
    lost = reports.iloc[0]
    assert lost["quality_status"] == "unparseable" and "lost between stages" in lost["status_reason"]


def test_a_cold_run_gives_the_same_warehouse(seeded_run: dict, tmp_path: Path) -> None:
    """Idempotence without the per-file cache: a run into an empty warehouse (nothing cached)
    publishes exactly what the cached re-runs published."""
    fresh = tmp_path / "warehouse"
    code = main(
        [
            "run",
            "--landing",
            str(seeded_run["landing"]),
            "--warehouse",
            str(fresh),
            "--dagster-home",
            str(tmp_path / "home"),
        ]
    )
    assert code == 0
    before, after = _snapshot(seeded_run["warehouse"]), _snapshot(fresh)
    for table, frame in before.items():
        pd.testing.assert_frame_equal(frame, after[table], check_dtype=False, obj=table)


def test_publish_builds_the_duckdb_file_with_agencies(seeded_run: dict[str, Path]) -> None:
    database = seeded_run["warehouse"] / "govreport.duckdb"
    with duckdb.connect(str(database), read_only=True) as con:
        headlines = con.execute("SELECT report_year, agency, level FROM agency_year_headlines ORDER BY 1").fetchall()
        roots = con.execute("SELECT DISTINCT landing_root FROM reports").fetchall()
    assert [row[0] for row in headlines] == SEED_YEAR_SET  # one agency per seed year, placed by the gazetteer
    assert all(agency and level != "unknown" for _year, agency, level in headlines), headlines
    assert roots == [(str(seeded_run["landing"]),)]
