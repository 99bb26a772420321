"""Yearly assets over a range of years in one Dagster run (issue 11).

Every yearly asset has `BackfillPolicy.single_run()`: a backfill of 2016–2024 in the UI, and
`govreport run`'s passes, are one run whose steps each see the whole range
(`context.partition_keys`), so the run's fixed costs (run start, step events, GX Data Docs
builds) are paid once per range, not per year. A body works year by year over the range
and hands back one value per year:

- one year (a run for one partition, as the sensors and schedules start): the year's frames,
  exactly as before; a range: `{year: frames}`, and the IO manager stores each year's
  partition on its own (`io_manager.py`). Inputs follow the same rule (`per_year`).
- asset metadata per year (`context.add_asset_metadata(..., partition_key=year)`), so each
  partition's materialisation in the UI shows its own counts and Data Docs link.
- check results per year: Dagster 1.13's `AssetCheckResult` takes no partition and stores
  one without a partition in a range run, so a range run yields `AssetCheckEvaluation`s with
  `partition=year` (the planned evaluation of each year is resolved by it; the Checks tab
  shows the year) and the check's output once. A failed blocking check still fails the
  step after every year was evaluated, so downstream assets of the run do not materialise
  (for any year of the range: `pipeline_runner` then re-runs that pass year by year). An
  empty year `govreport run` passes through reports only its failed checks.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import dagster as dg
import pandas as pd

from .rerun import versioned_output

# The run tag of a `govreport run` span listing the empty years it runs through between two
# years it redoes (pipeline_runner's bridged gaps): `published_warehouse` publishes nothing
# for them (a year asked for by name, or in a UI backfill, still gets its empty partition).
BRIDGED_YEARS_TAG = "govreport/bridged_years"


def yearly_asset(**kwargs: Any) -> Callable[..., dg.AssetsDefinition]:
    """`dg.asset` with `BackfillPolicy.single_run()`: a backfill of a range of years is one run
    (the parameter is marked beta in Dagster 1.13: what we want, so its warning is not shown)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.asset(backfill_policy=dg.BackfillPolicy.single_run(), **kwargs)


def bridged_years(context: dg.AssetExecutionContext) -> set[str]:
    """The empty years this run passes through (`BRIDGED_YEARS_TAG`), none outside `govreport run`."""
    return {year for year in context.run.tags.get(BRIDGED_YEARS_TAG, "").split(",") if year}


def partition_years(context: dg.AssetExecutionContext) -> list[str]:
    """The report years this step materialises, oldest first."""
    return sorted(context.partition_keys)


def per_year(context: dg.AssetExecutionContext, value: Any) -> dict[str, Any]:
    """An input of the same years as the step, as `{year: frames}` (one year arrives plain)."""
    years = partition_years(context)
    return {years[0]: value} if len(years) == 1 else dict(value)


def yearly_output(
    context: dg.AssetExecutionContext,
    frames_by_year: Mapping[str, Any],
    metadata_by_year: Mapping[str, Mapping[str, Any]],
    version_frames: Mapping[str, pd.DataFrame] | None = None,
) -> dg.Output:
    """The step's Output: one year's frames with its metadata (and data version from
    `version_frames`), or `{year: frames}` with each year's metadata on its own partition.
    (A range's materialisations share one data version: Dagster 1.13 takes one per output.)"""
    years = partition_years(context)
    if len(years) == 1:
        year = years[0]
        if version_frames is not None:
            return versioned_output(frames_by_year[year], version_frames[year], dict(metadata_by_year[year]))
        return dg.Output(frames_by_year[year], metadata=dict(metadata_by_year[year]))
    for year in years:
        context.add_asset_metadata(dict(metadata_by_year[year]), partition_key=year)
    return dg.Output({year: frames_by_year[year] for year in years})


def yearly_materialize_result(
    context: dg.AssetExecutionContext, metadata_by_year: Mapping[str, Mapping[str, Any]]
) -> dg.MaterializeResult:
    """`MaterializeResult` of an asset that stores its own data, each year's metadata on its partition."""
    years = partition_years(context)
    if len(years) == 1:
        return dg.MaterializeResult(metadata=dict(metadata_by_year[years[0]]))
    for year in years:
        context.add_asset_metadata(dict(metadata_by_year[year]), partition_key=year)
    return dg.MaterializeResult()


def yearly_check_events(
    context: dg.AssetExecutionContext, results_by_year: Mapping[str, list[dg.AssetCheckResult]]
) -> Iterator[dg.AssetCheckResult | dg.AssetCheckEvaluation | dg.Output]:
    """Each year's check results, stored with the year they judged (yield after the Output)."""
    if not context.has_partition_key_range:  # a one-partition run: the result takes the run's year
        for results in results_by_year.values():
            yield from results
        return
    assets_def = context.assets_def
    bridged = bridged_years(context)
    if not set(results_by_year) - bridged:  # nothing but empty years (never planned so): report them all
        bridged = set()
    evaluated: dict[dg.AssetCheckKey, None] = {}
    for year in sorted(results_by_year):
        for result in results_by_year[year]:
            if year in bridged and result.passed:
                # a year the run passes through has no rows to judge: only a failure is news
                # (its planned evaluation ends as skipped; these were a fifth of the sample's events)
                continue
            key = dg.AssetCheckKey(result.asset_key or assets_def.key, str(result.check_name))
            yield dg.AssetCheckEvaluation(
                asset_key=key.asset_key,
                check_name=key.name,
                passed=result.passed,
                metadata=result.metadata,
                severity=result.severity,
                description=result.description,
                blocking=assets_def.get_spec_for_check_key(key).blocking,
                partition=year,
            )
            evaluated[key] = None
    for key in evaluated:
        if key in context.selected_asset_check_keys:
            yield dg.Output(None, output_name=assets_def.get_output_name_for_asset_check_key(key))
