"""Which report years exist: the partitions' range, in one place.

Reports are published in China for the previous calendar year, so a year is complete (and
can have reports) from 1 January Beijing time of the next year. The first reports are for
2008, under the 2007 条例. Used to bound year partitions and to refuse impossible years (a
sidecar saying 2030) before they reach Dagster as an unknown partition.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

FIRST_REPORT_YEAR = 2008
REPORT_TIMEZONE = "Asia/Shanghai"


def last_completed_year(now: datetime | None = None) -> int:
    now = now or datetime.now(ZoneInfo(REPORT_TIMEZONE))
    if now.tzinfo is None:
        now = now.replace(tzinfo=ZoneInfo(REPORT_TIMEZONE))
    return now.astimezone(ZoneInfo(REPORT_TIMEZONE)).year - 1


def year_out_of_range(year: int, now: datetime | None = None) -> str | None:
    """Why `year` cannot be a report year's partition, or None when it can."""
    last = last_completed_year(now)
    if FIRST_REPORT_YEAR <= year <= last:
        return None
    return f"report year {year} is outside the report years {FIRST_REPORT_YEAR}–{last}"
