"""One GX validation for a range of report years, with a verdict for every year (issue 11).

A GX suite run costs ~50 ms per expectation whatever the frame's size (GX builds a metric
graph per expectation and run), so validating each year of a 13-year run on its own paid the
same fixed cost 13 times per stage. Every expectation in our suites is row-wise or a
uniqueness or column-set check, and for those a pass over the union of the years' rows
implies a pass in every year: so the years are validated together once, and only the
expectations that failed on the union are validated again, year by year, to say which years
failed and with which rows. Each year's verdicts are then exactly what validating it alone
gives (tests/test_quality_ranges.py compares the two).

The union is taken only when it decides: every expectation of a type in `UNION_DECIDES`
with no `mostly` below 1, and the years' frames have the same columns (a column-set check
would not see a year that lacks one) whose values the concatenation keeps as they are: the
same dtype, or text in both (`str` or an `object` column of strings), or no value at all in
a year (pd.concat would otherwise coerce a column). Otherwise every year is validated on its
own, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from .outcomes import ExpectationOutcome, restated_for_part
from .preparation import prepare_facts
from .runtime import SuiteRun, run_suite
from .suites import load_suite, sub_suite, suite_tables

# Expectation types whose pass over a union of frames implies a pass on each of them: the
# column-map ones (every row satisfies a condition), uniqueness (unique in the union →
# unique in each part), and the column-set ones (the parts share the union's columns).
UNION_DECIDES = frozenset(
    {
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_values_to_match_strftime_format",
        "expect_column_value_lengths_to_be_between",
        "expect_column_values_to_be_unique",
        "expect_compound_columns_to_be_unique",
        "expect_column_pair_values_to_be_equal",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_table_columns_to_match_set",
        "expect_table_columns_to_match_ordered_list",
    }
)


@dataclass
class YearsValidation:
    """Each year's outcomes (in suite order) and the GX runs behind them (for Data Docs: a
    run over the union names the range, a year's own run names the year)."""

    outcomes: dict[str, list[ExpectationOutcome]] = field(default_factory=dict)
    runs: list[SuiteRun] = field(default_factory=list)

    def merge(self, other: YearsValidation) -> None:
        for year, outcomes in other.outcomes.items():
            self.outcomes.setdefault(year, []).extend(outcomes)
        self.runs.extend(other.runs)


def validate_year_frames(frames: Mapping[str, pd.DataFrame], suite: str, table: str | None = None) -> YearsValidation:
    """Validate each year's frame against the suite (`table`'s part of it when given): the
    union of the years once, then the expectations the union failed year by year."""
    years = sorted(frames)
    spec = sub_suite(load_suite(suite), table)
    if len(years) == 1 or not union_decides(spec["expectations"], [frames[y] for y in years]):
        return _each_year(frames, suite, table)
    # the union is the one copy of the range's rows (the prepared frames share the stage's
    # data): it lives only as long as its GX run
    whole = run_suite(_union([frames[y] for y in years]), suite, table)
    _name(whole, f"{years[0]}-{years[-1]}", years)
    failed = [o.check_name for o in whole.outcomes if not o.success]
    declared = {e["meta"]["check_name"]: e for e in spec["expectations"]}
    validation = YearsValidation(runs=[whole])
    for year in years:
        frame = frames[year]
        by_check = {o.check_name: _restated(o, frame, declared[o.check_name]) for o in whole.outcomes if o.success}
        if failed:
            again = run_suite(frame, suite, table, checks=failed)
            validation.runs.append(_name(again, year, [year]))
            by_check.update({o.check_name: o for o in again.outcomes})
        validation.outcomes[year] = [by_check[o.check_name] for o in whole.outcomes]
    return validation


def validate_facts_years(
    frames_by_year: Mapping[str, Mapping[str, pd.DataFrame]], suite: str = "facts"
) -> YearsValidation:
    """Every contract table of every year (prepared) against its part of the facts suite."""
    prepared = {year: prepare_facts(frames) for year, frames in frames_by_year.items()}
    validation = YearsValidation(outcomes={year: [] for year in prepared})
    for table in suite_tables(suite):
        having = {year: frames[table] for year, frames in prepared.items() if table in frames}
        if having:
            validation.merge(validate_year_frames(having, suite, table))
    return validation


def union_decides(expectations: list[dict], frames: list[pd.DataFrame]) -> bool:
    """Whether a pass over the frames' union implies a pass on each frame (module docstring)."""
    for expectation in expectations:
        kwargs = expectation.get("kwargs", {})
        if expectation["type"] not in UNION_DECIDES or kwargs.get("mostly", 1) < 1:
            return False
        if kwargs.get("row_condition") and kwargs.get("condition_parser") != "pandas":
            return False  # `_domain_rows` counts a part's rows as GX's pandas parser selects them
    columns = list(frames[0].columns)
    if any(list(f.columns) != columns for f in frames):
        return False
    filled = [f for f in frames if len(f)]
    return all(_same_values_in_union(column, filled) for column in columns)


def _same_values_in_union(column: str, frames: list[pd.DataFrame]) -> bool:
    """Whether concatenating the frames keeps every value of `column` as it is: the same
    dtype everywhere, or text only (pandas' `str` and `object` holding only strings, as an
    all-missing text column comes back from Parquet), or missing in every row of a frame."""
    parts = [f[column] for f in frames if f[column].notna().any()]
    if len({str(part.dtype) for part in parts}) <= 1:
        return True
    return all(_text_only(part) for part in parts)


def _text_only(values: pd.Series) -> bool:
    if pd.api.types.is_string_dtype(values.dtype) and values.dtype != object:
        return True
    return values.dtype == object and bool(values.dropna().map(type).eq(str).all())


def _restated(outcome: ExpectationOutcome, part: pd.DataFrame, expectation: dict) -> ExpectationOutcome:
    meta = expectation.get("meta", {})
    return restated_for_part(outcome, part, meta.get("identity_id"), _domain_rows(part, expectation.get("kwargs", {})))


def _domain_rows(part: pd.DataFrame, kwargs: dict) -> int:
    """The part's rows an expectation looks at: all, or those its `row_condition` selects
    (GX's pandas engine: `DataFrame.query(row_condition, parser="pandas")`)."""
    condition = kwargs.get("row_condition")
    if not condition or not len(part):
        return len(part)
    return len(part.query(condition, parser="pandas"))


def _union(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The rows of every frame (an empty frame adds none and must not change a dtype)."""
    filled = [f for f in frames if len(f)]
    return pd.concat(filled, ignore_index=True) if filled else frames[0]


def _each_year(frames: Mapping[str, pd.DataFrame], suite: str, table: str | None) -> YearsValidation:
    validation = YearsValidation()
    for year in sorted(frames):
        run = _name(run_suite(frames[year], suite, table), year, [year])
        validation.outcomes[year] = run.outcomes
        validation.runs.append(run)
    return validation


def _name(run: SuiteRun, name: str, years: list[str]) -> SuiteRun:
    run.run_name, run.years = name, tuple(years)
    return run
