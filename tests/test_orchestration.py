"""Schedules and the landing sensor, evaluated as plain functions (no daemon)."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
from builders import seed_path

from govreport_dagster.definitions import defs
from govreport_dagster.resources import LandingZoneResource, WarehouseResource
from govreport_dagster.schedules import catch_up_schedule, yearly_reports_schedule
from govreport_dagster.sensors import landing_sensor

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_yearly_schedule_targets_the_previous_year_after_the_deadlines() -> None:
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2025, 4, 15, 3, tzinfo=SHANGHAI))
    request = yearly_reports_schedule(context)
    assert request.partition_key == "2024"
    assert yearly_reports_schedule.cron_schedule == "0 3 15 4 *"  # after 31 January and 31 March


def test_catch_up_schedule_reruns_the_two_most_recent_years() -> None:
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2025, 7, 1, 4, tzinfo=SHANGHAI))
    requests = catch_up_schedule(context)
    assert [r.partition_key for r in requests] == ["2023", "2024"]
    assert len({r.run_key for r in requests}) == 2


def test_schedules_and_sensor_are_in_the_code_location() -> None:
    assert {s.name for s in defs.schedules} == {"yearly_reports_schedule", "catch_up_schedule"}
    assert {s.name for s in defs.sensors} == {"landing_sensor", "corrections_sensor"}


class _Sensor:
    """Drive the sensor tick by tick, carrying the cursor like the daemon does."""

    def __init__(self, landing: Path, warehouse: Path) -> None:
        self.resources = {
            "landing": LandingZoneResource(root=str(landing)),
            "warehouse": WarehouseResource(root=str(warehouse)),
        }
        self.cursor: str | None = None

    def tick(self) -> dg.SensorResult:
        context = dg.build_sensor_context(cursor=self.cursor, resources=self.resources)
        result = landing_sensor(context)
        self.cursor = result.cursor
        return result


def _landing_with_seed(tmp_path: Path, year: str, seed: str, name: str) -> tuple[Path, _Sensor]:
    """A landing zone holding one seed report under its year folder, and a sensor over it."""
    target = tmp_path / "landing" / year / name
    target.parent.mkdir(parents=True)
    shutil.copy(seed_path(seed), target)
    return target, _Sensor(tmp_path / "landing", tmp_path / "wh")


def _years(result: dg.SensorResult) -> list[str | None]:
    return [r.partition_key for r in (result.run_requests or [])]


def test_a_new_file_triggers_exactly_one_run_for_its_year(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "2021").mkdir(parents=True)
    sensor = _Sensor(landing, tmp_path / "wh")
    assert _years(sensor.tick()) == []

    shutil.copy(seed_path("002"), landing / "2021" / "pingshan.txt")
    first = sensor.tick()
    assert _years(first) == [], "a file seen once may still be copying"
    second = sensor.tick()
    assert _years(second) == ["2021"]
    assert second.run_requests[0].job_name == "yearly_reports_job"
    assert _years(sensor.tick()) == []  # nothing runs twice


def test_a_half_copied_file_waits_until_its_size_is_stable(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "2019").mkdir(parents=True)
    target = landing / "2019" / "kecheng.txt"
    data = seed_path("001").read_bytes()
    sensor = _Sensor(landing, tmp_path / "wh")
    target.write_bytes(data[: len(data) // 3])
    assert _years(sensor.tick()) == []
    with target.open("ab") as fh:  # the copy goes on
        fh.write(data[len(data) // 3 :])
    os.utime(target, (1_700_000_000, 1_700_000_100))
    assert _years(sensor.tick()) == [], "size changed since the last tick: wait"
    assert _years(sensor.tick()) == ["2019"]


def test_a_removed_file_triggers_a_run_of_its_year(tmp_path: Path) -> None:
    target, sensor = _landing_with_seed(tmp_path, "2023", "004", "qipanjing.txt")
    sensor.tick()
    assert _years(sensor.tick()) == ["2023"]
    target.unlink()
    assert _years(sensor.tick()) == ["2023"]


def test_same_tick_twice_gives_the_same_run_keys(tmp_path: Path) -> None:
    _, sensor = _landing_with_seed(tmp_path, "2016", "000", "chengguan.txt")
    sensor.tick()
    cursor = sensor.cursor
    keys = [r.run_key for r in sensor.tick().run_requests]
    sensor.cursor = cursor
    assert [r.run_key for r in sensor.tick().run_requests] == keys


def test_catch_up_on_new_years_day_asks_only_for_completed_years() -> None:
    from govreport_dagster.partitions import report_year_partitions

    when = datetime(2027, 1, 1, 4, tzinfo=SHANGHAI)
    requests = catch_up_schedule(dg.build_schedule_context(scheduled_execution_time=when))
    valid = set(report_year_partitions.get_partition_keys(current_time=when))
    assert [r.partition_key for r in requests] == ["2025", "2026"]
    assert {r.partition_key for r in requests} <= valid


def test_a_file_removed_and_copied_back_runs_again(tmp_path: Path) -> None:
    target, sensor = _landing_with_seed(tmp_path, "2021", "002", "pingshan.txt")
    os.utime(target, (1_700_000_000, 1_700_000_000))
    sensor.tick()
    first = sensor.tick().run_requests[0].run_key
    target.unlink()
    removed = sensor.tick().run_requests[0].run_key
    shutil.copy(seed_path("002"), target)
    os.utime(target, (1_700_000_000, 1_700_000_000))  # cp -p: same size and mtime as before
    sensor.tick()
    again = sensor.tick().run_requests
    assert [r.partition_key for r in again] == ["2021"]
    assert len({first, removed, again[0].run_key}) == 3
