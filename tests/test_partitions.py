"""The yearly partitions: completed years only, from 2008, keyed by the report year."""

from datetime import datetime

import dagster as dg

from govreport_dagster.partitions import neighbouring_years, report_year_partitions


def test_years_from_2008_to_the_last_completed_year() -> None:
    keys = report_year_partitions.get_partition_keys(current_time=datetime(2026, 11, 23))
    assert keys[0] == "2008"
    assert keys[-1] == "2025"  # 2026 is not complete: its reports do not exist yet
    assert keys == [str(y) for y in range(2008, 2026)]


def test_on_new_year_the_finished_year_appears() -> None:
    keys = report_year_partitions.get_partition_keys(current_time=datetime(2027, 1, 1, 0, 30))
    assert keys[-1] == "2026"


def test_cross_year_mapping_reads_neighbouring_years() -> None:
    upstream = neighbouring_years.get_upstream_mapped_partitions_result_for_partitions(
        report_year_partitions.subset_with_partition_keys(["2020"]),
        report_year_partitions,
        report_year_partitions,
        current_time=datetime(2026, 11, 23),
    )
    assert sorted(upstream.partitions_subset.get_partition_keys()) == ["2019", "2020", "2021"]
    first = neighbouring_years.get_upstream_mapped_partitions_result_for_partitions(
        report_year_partitions.subset_with_partition_keys(["2008"]),
        report_year_partitions,
        report_year_partitions,
        current_time=datetime(2026, 11, 23),
    )
    assert sorted(first.partitions_subset.get_partition_keys()) == ["2008", "2009"]
    assert isinstance(report_year_partitions, dg.TimeWindowPartitionsDefinition)
