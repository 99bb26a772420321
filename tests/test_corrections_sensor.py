"""The corrections sensor, tick by tick (no daemon): an edited corrections file runs exactly the
years it touches (and the following year), nothing runs twice, a half-saved file drops nothing."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from govreport_dagster.corrections_sensor import corrections_sensor
from govreport_dagster.resources import LandingZoneResource

ENTRY = """
  - report_year: {year}
    agency: 洪泽区人民政府
    cell: t4.review.total
    printed: 0
    corrected: {value}
    reason: 各分项之和
    who: 张三
    when: 2026-11-30
"""


class _Sensor:
    def __init__(self, landing: Path) -> None:
        self.resources = {"landing": LandingZoneResource(root=str(landing))}  # corrections: <landing>_corrections
        self.cursor: str | None = None

    def tick(self) -> list[str]:
        result = corrections_sensor(dg.build_sensor_context(cursor=self.cursor, resources=self.resources))
        self.cursor = result.cursor
        requests = result.run_requests or []
        assert all(r.job_name == "corrections_job" for r in requests)
        return [r.partition_key for r in requests]


def _write(folder: Path, name: str, *entries: tuple[int, int]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = "corrections:" + "".join(ENTRY.format(year=y, value=v) for y, v in entries)
    (folder / name).write_text(text, encoding="utf-8")


def test_edits_run_exactly_the_affected_years(tmp_path: Path) -> None:
    landing, folder = tmp_path / "landing", tmp_path / "landing_corrections"
    landing.mkdir()
    sensor = _Sensor(landing)
    assert sensor.tick() == []  # no folder: no corrections

    _write(folder, "hongze.yaml", (2019, 11), (2021, 5))
    assert sensor.tick() == ["2019", "2020", "2021", "2022"]  # each year, and the next (cross-year checks)
    assert sensor.tick() == []  # nothing runs twice

    _write(folder, "hongze.yaml", (2019, 11), (2021, 6))  # one year's correction edited
    assert sensor.tick() == ["2021", "2022"]

    (folder / "hongze.yaml").write_text("corrections: [\n  - report_year: 20", encoding="utf-8")  # half-saved
    assert sensor.tick() == []
    _write(folder, "hongze.yaml", (2019, 11), (2021, 6))  # saved again as it was
    assert sensor.tick() == []

    (folder / "review").mkdir()
    _write(folder / "review", "suggestions_2016.yaml", (2016, 3))  # proposals under review do not count
    assert sensor.tick() == []

    (folder / "hongze.yaml").unlink()  # corrections withdrawn: their years are re-run without them
    assert sensor.tick() == ["2019", "2020", "2021", "2022"]
