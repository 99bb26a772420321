"""One partitions definition for every yearly asset: the year the report covers."""

import warnings

import dagster as dg

from .core.calendar import FIRST_REPORT_YEAR, REPORT_TIMEZONE

# There is no YearlyPartitionsDefinition: a yearly cron with fmt="%Y" lists completed years
# only (the current year's reports do not exist yet), from the first reports under the 2007 条例.
report_year_partitions = dg.TimeWindowPartitionsDefinition(
    start=str(FIRST_REPORT_YEAR),
    cron_schedule="0 0 1 1 *",
    fmt="%Y",
    # a report year is complete at Beijing midnight on 1 January (the same rule as
    # core.calendar, which bounds the years the ledger accepts)
    timezone=REPORT_TIMEZONE,
)

# Cross-year identities need the same agency's previous report, and splitting run-together
# digit rows may need the following one: the facts of a year read the stages of the years
# around it too (absent for the first/last year or when never materialised).
# (allow_nonexistent_upstream_partitions is marked beta; it is what makes 2008 and unmaterialised
# years legal inputs, so the warning is expected.)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)
    neighbouring_years = dg.TimeWindowPartitionMapping(
        start_offset=-1, end_offset=1, allow_nonexistent_upstream_partitions=True
    )
