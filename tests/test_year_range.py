"""A range of years in one Dagster run (issue 11): single-run backfills write every year's
partition on its own, report each year's checks with that year, and `govreport run` falls
back to per-year runs when a range run fails, so one bad year does not stop the others."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from builders import seed_path

from govreport_dagster.pipeline_runner import bridged_spans, capped_spans, consecutive_spans, partition_range_tags

RANGE = partition_range_tags([2023, 2024])


def _landing(tmp_path: Path, prefixes: tuple[str, ...] = ("003", "004")) -> Path:
    landing = tmp_path / "landing"
    landing.mkdir()
    for prefix in prefixes:  # 003: 2024, 004: 2023
        shutil.copy(seed_path(prefix), landing)
    return landing


def test_consecutive_years_make_one_span():
    assert consecutive_spans([2024, 2016, 2019, 2020, 2021]) == [[2016], [2019, 2020, 2021], [2024]]
    assert consecutive_spans([]) == []


def test_short_gaps_without_reports_are_bridged_long_ones_and_skipped_years_are_not():
    # the sample's years: 2017, 2018, 2020 and 2022 have no reports
    assert bridged_spans([2016, 2019, 2021, 2023, 2024], {2017, 2018, 2020, 2022}) == [list(range(2016, 2025))]
    assert bridged_spans([2008, 2012], set(range(2009, 2012))) == [[2008], [2012]]  # 3 empty years: two runs
    # 2020 has reports but is not redone (unchanged, or not selected): never run through it
    assert bridged_spans([2019, 2021], set()) == [[2019], [2021]]
    assert bridged_spans([], {2020}) == []


def test_a_span_holds_at_most_the_document_cap_and_a_big_year_runs_alone():
    documents = {2019: 600, 2020: 600, 2021: 2000, 2022: 100, 2023: 100}
    spans = capped_spans([[2018, 2019, 2020, 2021, 2022, 2023]], documents, cap=1500)
    assert spans == [[2018, 2019, 2020], [2021], [2022, 2023]]
    assert capped_spans([[2016, 2017]], {}, cap=1) == [[2016, 2017]]  # empty years cost nothing
    # a cut inside a bridged gap: the empty years join nothing any more (30,000-document run:
    # a run of only 2017 and 2018 validated nothing and failed)
    gap = {2017, 2018}
    assert capped_spans([[2016, 2017, 2018, 2019]], {2016: 1715, 2019: 4286}, cap=1000, empty=gap) == [[2016], [2019]]
    assert capped_spans([[2016, 2017, 2018, 2019]], {2016: 10, 2019: 10}, cap=1000, empty=gap) == [
        [2016, 2017, 2018, 2019]
    ]


def test_every_yearly_asset_backfills_a_range_in_one_run():
    from govreport_dagster.definitions import all_assets
    from govreport_dagster.jobs import YEARLY_ASSETS

    policies = {key.to_user_string(): a.backfill_policy for a in all_assets for key in a.keys}
    for name in YEARLY_ASSETS:
        if name != "corrections":  # unpartitioned
            assert policies[name] == dg.BackfillPolicy.single_run(), name


def test_a_two_year_range_writes_both_partitions_and_checks_each_year(tmp_path: Path):
    from govreport_dagster.definitions import all_assets, make_resources

    resources = make_resources(str(_landing(tmp_path)), str(tmp_path / "wh"))
    instance = dg.DagsterInstance.ephemeral()
    assert dg.materialize(all_assets, selection=["decoded_documents", "ingest_ledger"], resources=resources,
                          instance=instance).success  # fmt: skip
    result = dg.materialize(
        all_assets, selection=["raw_reports", "decoded_reports"], tags=RANGE, resources=resources, instance=instance
    )
    assert result.success
    for asset in ("raw_reports", "decoded_reports"):
        materialised = result.asset_materializations_for_node(asset)
        assert sorted(m.partition for m in materialised) == ["2023", "2024"], asset
        for year in ("2023", "2024"):
            frames = pd.read_parquet(tmp_path / "wh" / "_stages" / asset / f"report_year={year}")
            assert len(frames) == 1, (asset, year)  # the year's one report, not both
    decoded = {m.partition: m.metadata for m in result.asset_materializations_for_node("decoded_reports")}
    assert decoded["2023"]["reports"].value == decoded["2024"]["reports"].value == 1
    assert "report_year=2023" in str(decoded["2023"]["data_docs"].value)
    evaluations = result.get_asset_check_evaluations()
    assert sorted((e.check_name, e.partition) for e in evaluations) == [
        (check, year) for check in ("decoded_errors", "decoded_warnings") for year in ("2023", "2024")
    ]
    key = dg.AssetCheckKey(dg.AssetKey("decoded_reports"), "decoded_errors")
    records = instance.event_log_storage.get_asset_check_execution_history(key, limit=10)
    assert sorted((r.partition, r.status.value) for r in records) == [("2023", "SUCCEEDED"), ("2024", "SUCCEEDED")]


@pytest.mark.slow
def test_a_failing_year_in_a_range_costs_only_that_year(tmp_path: Path, monkeypatch):
    """A failed blocking check of 2023 in the run of 2023–2024 (both passes in one run): the
    span re-runs year by year, 2024 publishes, 2023 is the one failure."""
    import assets.facts as facts_assets
    from govreport_dagster.pipeline_runner import run_pipeline

    contract_check = facts_assets._contract_check

    def failing_for_2023(frames):
        result = contract_check(frames)
        if set(frames["reports"]["report_year"].astype(int)) == {2023}:
            return result._replace(passed=False)
        return result

    monkeypatch.setattr(facts_assets, "_contract_check", failing_for_2023)
    warehouse = tmp_path / "wh"
    instance = dg.DagsterInstance.ephemeral()
    outcome = run_pipeline(str(_landing(tmp_path)), str(warehouse), instance=instance)
    assert [year for year, _ in outcome.failures] == ["2023"]
    assert "contract_schema" in outcome.failures[0][1]
    assert (warehouse / "reports" / "report_year=2024").is_dir()
    assert not (warehouse / "reports" / "report_year=2023").exists()
    runs = [r for r in instance.get_runs() if r.job_name == "yearly_reports_job"]
    ranges = [r for r in runs if "dagster/asset_partition_range_start" in r.tags]
    assert len(ranges) == 1  # both passes in one run (one span of the same years), which failed
    assert sorted(r.tags["dagster/partition"] for r in runs if "dagster/partition" in r.tags) == ["2023", "2024"]


def _passes_of(run: dg.DagsterRun) -> str:
    from govreport_dagster.jobs import FACT_ASSETS, PER_DOCUMENT_ASSETS

    selected = {key.to_user_string() for key in run.asset_selection or ()}
    passes = [
        name for name, assets in (("stages", PER_DOCUMENT_ASSETS), ("facts", FACT_ASSETS)) if selected & set(assets)
    ]
    years = run.tags.get("dagster/partition") or "–".join(
        run.tags[f"dagster/asset_partition_range_{end}"] for end in ("start", "end")
    )
    return f"{'+'.join(passes)} {years}"


@pytest.mark.slow
def test_both_passes_share_a_run_only_when_they_redo_the_same_span(tmp_path: Path):
    """Cold, both passes redo 2023–2024: one run. Then 2023's file changes: its stages are
    redone alone, but the facts of 2024 read 2023 (cross-year identities), so the facts pass
    spans 2023–2024 and runs after the stages run, in a run of its own."""
    from govreport_dagster.pipeline_runner import run_pipeline

    landing, warehouse = _landing(tmp_path), tmp_path / "wh"
    instance = dg.DagsterInstance.ephemeral()
    assert not run_pipeline(str(landing), str(warehouse), instance=instance).failures
    changed = next(landing.glob("004*"))
    changed.write_bytes(changed.read_bytes() + "\n（本报告完）\n".encode())
    assert not run_pipeline(str(landing), str(warehouse), instance=instance).failures
    yearly = [r for r in reversed(instance.get_runs()) if r.job_name == "yearly_reports_job"]  # oldest first
    assert [_passes_of(r) for r in yearly] == ["stages+facts 2023–2024", "stages 2023", "facts 2023–2024"]
