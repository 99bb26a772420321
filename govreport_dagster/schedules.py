"""When reports exist: a yearly run after the publication deadlines, and a monthly catch-up.

Departments publish the previous year's report by 31 January, county-and-above governments
by 31 March (条例第四十九条), and copies keep arriving for months after. So:

- `yearly_reports_schedule`: 15 April, 03:00 Beijing time — two weeks after the last
  deadline, when nearly all reports for year N-1 are online — materialises year N-1.
- `catch_up_schedule`: the 1st of every month, 04:00 Beijing time, re-materialises the two
  most recent completed years for late arrivals and corrections. Per-file work is cached by
  content hash, so unchanged files cost only a hash.

(`build_schedule_from_partitioned_job` would fire on 1 January, when no report exists yet.)

Both are off by default (`DEFAULT_STATUS`, stated here rather than left to Dagster's default):
a fresh clone's landing zone is the bundled sample, which nothing needs to re-run monthly. A
deployment switches them on once, in the UI (Automation → the schedule → toggle) or with
`dagster schedule start -w workspace.yaml yearly_reports_schedule`; the instance remembers.
New files between those dates are picked up by the landing sensor.
"""

import dagster as dg

from .core.calendar import REPORT_TIMEZONE, last_completed_year
from .jobs import yearly_reports_job

TIMEZONE = REPORT_TIMEZONE
CATCH_UP_YEARS = 2
DEFAULT_STATUS = dg.DefaultScheduleStatus.STOPPED


@dg.schedule(
    job=yearly_reports_job,
    cron_schedule="0 3 15 4 *",
    execution_timezone=TIMEZONE,
    default_status=DEFAULT_STATUS,
    description="15 April: the previous report year, after the 31 January / 31 March deadlines.",
)
def yearly_reports_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    year = last_completed_year(context.scheduled_execution_time)
    return dg.RunRequest(run_key=f"yearly-{year}", partition_key=str(year), tags={"govreport/trigger": "yearly"})


@dg.schedule(
    job=yearly_reports_job,
    cron_schedule="0 4 1 * *",
    execution_timezone=TIMEZONE,
    default_status=DEFAULT_STATUS,
    description=f"Monthly: the {CATCH_UP_YEARS} most recent completed years again, for late arrivals.",
)
def catch_up_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    when = context.scheduled_execution_time
    last = last_completed_year(when)
    return [
        dg.RunRequest(
            run_key=f"catch-up-{when:%Y-%m}-{year}",
            partition_key=str(year),
            tags={"govreport/trigger": "catch_up"},
        )
        for year in range(last - CATCH_UP_YEARS + 1, last + 1)
    ]
