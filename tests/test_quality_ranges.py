"""A range of years validated together (`quality.ranges`) gives every year exactly the
outcomes validating that year alone gives, with fewer GX runs: the union once, then only the
expectations the union failed, year by year."""

from __future__ import annotations

import pandas as pd
from builders import decoded_reports_frame, full_bundle, t3_grid

from govreport_dagster.core.facts import build_facts
from govreport_dagster.quality import preparation, ranges, runtime


def _facts_years() -> dict[str, dict[str, pd.DataFrame]]:
    broken = t3_grid("2021", new_received={"natural_person": 23, "total": 23})
    return {
        "2020": build_facts([full_bundle("a", year=2020), full_bundle("b", agency="另一镇", year=2020)], []),
        "2021": build_facts([full_bundle("broken", t3=broken)], []),
        "2022": build_facts([full_bundle("c", year=2022)], []),
    }


def test_facts_years_get_the_outcomes_of_their_own_validation():
    frames = _facts_years()
    contract = dict(frames["2022"])
    apps = contract["fact_applications"].copy()
    apps.loc[0, "outcome_key"] = "granted_typo"  # a blocking failure in one year only
    frames["2022"] = {**contract, "fact_applications": apps}

    validation = ranges.validate_facts_years(frames)

    for year, year_frames in frames.items():
        assert validation.outcomes[year] == runtime.validate_frames(year_frames), year
    failed = {y: {o.check_name for o in outcomes if not o.success} for y, outcomes in validation.outcomes.items()}
    assert failed["2020"] == set()
    assert "identity_t3_balance" in failed["2021"] and "identity_t3_balance" not in failed["2022"]
    assert "fact_applications_outcome_key_vocabulary" in failed["2022"]
    assert "fact_applications_outcome_key_vocabulary" not in failed["2021"]
    # the union decided every table: one run per table, plus the failed ones' years again
    over_range = [run for run in validation.runs if run.years == ("2020", "2021", "2022")]
    assert over_range and all(run.run_name == "2020-2022" for run in over_range)
    again = [run for run in validation.runs if len(run.years) == 1]
    assert {run.suite for run in again} == {"facts.identity_checks", "facts.fact_applications"}
    assert all(len(run.outcomes) < 10 for run in again)  # only the expectations the union failed


def test_a_year_with_different_columns_is_validated_on_its_own():
    frames = _facts_years()
    frames["2021"] = {**frames["2021"], "reports": frames["2021"]["reports"].drop(columns=["status_reason"])}
    validation = ranges.validate_facts_years(frames)
    for year, year_frames in frames.items():
        assert validation.outcomes[year] == runtime.validate_frames(year_frames), year
    assert not validation.outcomes["2021"][0].success or any(
        o.check_name == "reports_columns" and not o.success for o in validation.outcomes["2021"]
    )
    reports_runs = [run for run in validation.runs if run.suite == "facts.reports"]
    assert sorted(run.run_name for run in reports_runs) == ["2020", "2021", "2022"]


def test_union_decides_only_for_row_wise_expectations_and_equal_dtypes():
    frame = pd.DataFrame({"x": [1, 2]})
    row_wise = [{"type": "expect_column_values_to_be_between", "kwargs": {"column": "x", "min_value": 0}}]
    assert ranges.union_decides(row_wise, [frame, frame.iloc[:0]])
    assert not ranges.union_decides(row_wise, [frame, frame.astype(float)])
    mostly = [{"type": "expect_column_values_to_be_between", "kwargs": {"column": "x", "mostly": 0.9}}]
    assert not ranges.union_decides(mostly, [frame, frame])
    aggregate = [{"type": "expect_column_mean_to_be_between", "kwargs": {"column": "x"}}]
    assert not ranges.union_decides(aggregate, [frame, frame])
    # text as pandas `str` in one year and as `object` strings (or all missing) in another
    text = [{"type": "expect_column_values_to_match_regex", "kwargs": {"column": "t", "regex": "^a"}}]
    as_str = pd.DataFrame({"t": pd.Series(["a1", None], dtype="str")})
    as_object = pd.DataFrame({"t": pd.Series(["a2", None], dtype=object)})
    missing = pd.DataFrame({"t": pd.Series([None, None], dtype=object)})
    assert ranges.union_decides(text, [as_str, as_object, missing])
    not_text = pd.DataFrame({"t": pd.Series([1, "a"], dtype=object)})
    assert not ranges.union_decides(text, [as_str, not_text])


def test_every_expectation_of_every_suite_is_one_the_union_decides():
    # a new expectation type silently turns range runs back into per-year runs: say so here
    from govreport_dagster.quality.suites import SUITES, load_suite

    for suite in SUITES:
        for expectation in load_suite(suite)["expectations"]:
            assert expectation["type"] in ranges.UNION_DECIDES, (suite, expectation["type"])


def test_decoded_years_with_an_empty_year():
    texts = {"2020": ["柯城区人民政府(2021)年度报告（一）总体情况"], "2021": [], "2022": ["\ufffd\ufffd乱码"]}
    frames = {
        year: preparation.prepare_decoded(decoded_reports_frame(t, int(year), f"{year}-")) for year, t in texts.items()
    }
    validation = ranges.validate_year_frames(frames, "decoded")
    for year, frame in frames.items():
        assert validation.outcomes[year] == runtime.validate_frame(frame, "decoded"), year
    assert any(not o.success for o in validation.outcomes["2022"])
    assert all(o.success for o in validation.outcomes["2020"] + validation.outcomes["2021"])
