"""GX at run time: one ephemeral context per process, a suite run over a pandas frame, the
outcomes as plain data (`SuiteRun.outcomes`) beside GX's own result (for Data Docs).

GX takes seconds to import and to set up a context, so it is imported on first use (never at
Definitions load) and the context, its pandas data source and its whole-frame batch
definition are built once per process (`gx_context()`, `_batch_definition()`), with GX's
usage analytics and progress bars off. Nothing here touches the network.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pandas as pd

from .outcomes import ExpectationOutcome, outcome_from_gx
from .preparation import prepare_facts
from .suites import load_suite, sub_suite, suite_tables

RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 10}


@dataclass
class SuiteRun:
    """One validation of one frame: the plain outcomes and GX's own result (for Data Docs)."""

    suite: str
    outcomes: list[ExpectationOutcome]
    gx_result: Any = field(repr=False)
    suite_json: dict[str, Any] = field(repr=False)
    run_time: datetime = field(default_factory=lambda: datetime.now(UTC))
    run_name: str | None = None  # the report year(s) it judged: names its Data Docs page in a multi-year site
    years: tuple[str, ...] = ()  # the report years whose rows it saw (`ranges`: one run can judge several)


def gx_module() -> Any:
    """`great_expectations`, imported on first use with its usage analytics off."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    return gx


@cache
def gx_context() -> Any:
    """The process's one ephemeral GX context (no project folder, nothing persisted), progress
    bars off. Data Docs builds reuse it too (`data_docs.build_data_docs`)."""
    gx = gx_module()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


@cache
def _batch_definition() -> Any:
    """A whole-dataframe batch definition on the shared context: each run passes its frame."""
    asset = gx_context().data_sources.add_pandas("govreport").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole_frame")


def run_suite(
    df: pd.DataFrame, suite: str, table: str | None = None, checks: Collection[str] | None = None
) -> SuiteRun:
    """Validate `df` against the suite (only the expectations for `table` when given, and only
    those named in `checks` when given)."""
    gx = gx_module()
    spec = sub_suite(load_suite(suite), table)
    if checks is not None:
        spec["expectations"] = [e for e in spec["expectations"] if e["meta"]["check_name"] in checks]
    gx_suite = gx.ExpectationSuite(**spec)
    if len(gx_suite.expectations) != len(spec["expectations"]):  # GX drops invalid ones with a log line
        raise ValueError(f"suite {spec['name']}: {len(spec['expectations']) - len(gx_suite.expectations)} invalid")
    frame = df.reset_index(drop=True)
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(gx_suite, result_format=RESULT_FORMAT)
    outcomes = [outcome_from_gx(r, frame, table) for r in result.results]
    order = {e["meta"]["check_name"]: i for i, e in enumerate(spec["expectations"])}
    outcomes.sort(key=lambda o: order.get(o.check_name, len(order)))
    return SuiteRun(spec["name"], outcomes, result, spec)


def validate_frame(df: pd.DataFrame, suite: str, table: str | None = None) -> list[ExpectationOutcome]:
    """Plain outcomes, in the suite's order."""
    return run_suite(df, suite, table).outcomes


def run_facts_suite(frames: Mapping[str, pd.DataFrame], suite: str = "facts") -> list[SuiteRun]:
    """Every contract table (prepared) against its part of the facts suite (`meta.table`)."""
    prepared = prepare_facts(frames)
    return [run_suite(prepared[t], suite, table=t) for t in suite_tables(suite) if t in prepared]


def validate_frames(frames: Mapping[str, pd.DataFrame], suite: str = "facts") -> list[ExpectationOutcome]:
    """Plain outcomes of every contract table's run, table by table."""
    return [o for run in run_facts_suite(frames, suite) for o in run.outcomes]
