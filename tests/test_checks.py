"""GX suites as grouped, partition-aware asset checks: every expectation in exactly one
group per table and severity, a group fails when any of its expectations fails (or was not
evaluated), and a materialised year's check evaluations carry that year."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
from builders import seed_path

from govreport_dagster.checks import check_groups, check_results, suite_check_specs
from govreport_dagster.quality.outcomes import ExpectationOutcome
from govreport_dagster.quality.suites import SUITES, load_suite


def _outcome(name: str, severity: str, success: bool = True) -> ExpectationOutcome:
    return ExpectationOutcome(name, success, severity, 0 if success else 3, [] if success else ["x"], 10, name)


def test_every_expectation_is_in_exactly_one_group_of_its_severity():
    for suite in SUITES:
        groups = check_groups(suite)
        names = [e["meta"]["check_name"] for members in groups.values() for e in members]
        assert sorted(names) == sorted(e["meta"]["check_name"] for e in load_suite(suite)["expectations"])
        for group, members in groups.items():
            suffix = "errors" if members[0]["meta"].get("severity", "error") == "error" else "warnings"
            assert group.endswith(suffix) and all(
                ("errors" if m["meta"].get("severity", "error") == "error" else "warnings") == suffix for m in members
            )
    assert len(check_groups("facts")) <= 20 < len(load_suite("facts")["expectations"])


def test_specs_are_blocking_for_errors_and_partitioned_by_year():
    specs = {s.name: s for s in suite_check_specs("facts", "report_facts")}
    assert specs["identity_checks_errors"].blocking and not specs["identity_checks_warnings"].blocking
    assert all(s.partitions_def is not None for s in specs.values())


def test_a_group_fails_with_its_failed_and_unevaluated_expectations_named():
    members = {g: [e["meta"] for e in m] for g, m in check_groups("decoded").items()}
    errors, warnings = members["decoded_errors"], members["decoded_warnings"]
    outcomes = [_outcome(m["check_name"], "error") for m in errors[1:]]  # the first not evaluated
    outcomes += [_outcome(warnings[0]["check_name"], "warn", success=False)]
    outcomes += [_outcome(m["check_name"], "warn") for m in warnings[1:]]
    results = {r.check_name: r for r in check_results("decoded", outcomes)}
    assert not results["decoded_errors"].passed
    assert results["decoded_errors"].metadata["failed_expectations"].value == [errors[0]["check_name"]]
    warn = results["decoded_warnings"]
    assert not warn.passed and warn.severity == dg.AssetCheckSeverity.WARN
    assert warn.metadata["unexpected_count"].value == 3
    assert warn.metadata["outcomes"].value[warnings[0]["check_name"]]["unexpected_examples"] == ["x"]


def test_a_materialised_year_records_a_handful_of_checks_with_its_year(tmp_path: Path):
    from govreport_dagster.definitions import all_assets, make_resources

    landing = tmp_path / "landing"
    landing.mkdir()
    shutil.copy(seed_path("002"), landing)  # 2021
    resources = make_resources(str(landing), str(tmp_path / "wh"))
    instance = dg.DagsterInstance.ephemeral()
    assets = ["decoded_documents", "ingest_ledger"]
    assert dg.materialize(all_assets, selection=assets, resources=resources, instance=instance).success
    result = dg.materialize(
        all_assets, selection=["raw_reports", "decoded_reports"], partition_key="2021", resources=resources,
        instance=instance,
    )  # fmt: skip
    evaluations = result.get_asset_check_evaluations()
    assert {e.check_name for e in evaluations} == {"decoded_errors", "decoded_warnings"}
    assert {e.partition for e in evaluations} == {"2021"}
    assert all(e.passed for e in evaluations if e.check_name == "decoded_errors")
