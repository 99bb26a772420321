"""Facts: every frame conforms to the contract exactly (names, order, Arrow types), values are
never altered, quality_status summarises the identities, duplicates are flagged, cross-year
matches the same agency, and nothing a report contains raises."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow as pa
import pytest
from builders import cells_from, full_bundle, make_bundle, metric, t3_grid, t4_grid

from govreport_dagster.core.facts import build_facts, contract_frame, labels_frame
from govreport_dagster.core.model import LegacyIndicatorRow, MissingTable, NarrativeMetric, TableCell
from govreport_dagster.core.schemas import CONTRACT, YEAR_PARTITIONED


def _replace_cell(bundle, cell: TableCell) -> None:
    key = (cell.table_id, cell.row_key, cell.col_key)
    bundle.tables.cells = [c for c in bundle.tables.cells if (c.table_id, c.row_key, c.col_key) != key] + [cell]


def _conforms(frames: dict[str, pd.DataFrame]) -> None:
    assert set(frames) == set(YEAR_PARTITIONED)
    for table, frame in frames.items():
        schema = CONTRACT[table]
        assert list(frame.columns) == [*schema.names, "report_year"], table
        assert frame["report_year"].dtype == "int64"
        arrow = pa.Table.from_pandas(frame.drop(columns=["report_year"]), schema=schema, preserve_index=False)
        assert arrow.schema.equals(schema), table


def test_frames_conform_to_contract_including_empty_year():
    _conforms(build_facts([], []))
    frames = build_facts([full_bundle(narrative=[metric("applications_received", 0)])], [])
    _conforms(frames)
    assert frames["fact_applications"]["count"].dtype == "Int64"
    assert frames["identity_checks"]["passed"].dtype == "boolean"
    assert frames["reports"]["has_t2"].dtype == "bool"


def test_complete_report_is_ok_and_long_form():
    frames = build_facts([full_bundle(narrative=[metric("applications_received", 0)])], [])
    report = frames["reports"].iloc[0]
    assert report["quality_status"] == "ok" and report["identity_violations"] == 0
    assert bool(report["has_t2"]) and bool(report["has_t3"]) and bool(report["has_t4"])
    assert len(frames["fact_applications"]) == 25 * 7
    assert len(frames["fact_review_litigation"]) == 15
    t2 = frames["fact_active_disclosure"].set_index(["item_key", "metric_key"])
    assert t2.loc[("punishment", "decisions"), "value"] == 24
    assert t2.loc[("punishment", "decisions"), "unit"] == "件"
    assert t2.loc[("fees", "amount_10k_yuan"), "unit"] == "万元"
    assert t2.loc[("fees", "amount_10k_yuan"), "value"] == 1.25
    checks = frames["identity_checks"]
    assert set(checks["status"]) == {"passed", "not_assessable"}  # cross-year: no 2020 report
    assert (checks.loc[checks["status"] == "not_assessable", "identity_id"].str.startswith("x_")).all()
    assert frames["fact_narrative_metrics"]["metric_key"].tolist() == ["applications_received"]
    assert frames["report_sections"]["section_key"].tolist() == ["overview"]


def test_blank_cells_stay_null_and_inferred_values_are_kept():
    grid = t3_grid("2021", other_overdue_fee=dict.fromkeys(["natural_person", "total"], None))
    bundle = full_bundle(t3=grid)
    inferred = TableCell("t4", "review", "total", 0.0, "number", "0", "text", "char:9", inferred=True, note="split")
    bundle.tables.cells = [
        c for c in bundle.tables.cells if (c.table_id, c.row_key, c.col_key) != ("t4", "review", "total")
    ]
    bundle.tables.cells.append(inferred)
    frames = build_facts([bundle], [])
    apps = frames["fact_applications"].set_index(["outcome_key", "applicant_key"])
    assert pd.isna(apps.loc[("other_overdue_fee", "natural_person"), "count"])
    assert apps.loc[("other_overdue_fee", "natural_person"), "cell_state"] == "blank"
    assert apps.loc[("granted", "natural_person"), "count"] == 0
    t4 = frames["fact_review_litigation"].set_index(["proceeding_key", "result_key"])
    assert t4.loc[("review", "total"), "count"] == 0
    checks = frames["identity_checks"].set_index(["identity_id", "scope"])
    assert checks.loc[("t3_row_total", "other_overdue_fee"), "status"] == "not_assessable"
    assert pd.isna(checks.loc[("t3_row_total", "other_overdue_fee"), "passed"])
    assert frames["reports"].iloc[0]["quality_status"] == "ok"


def test_broken_balance_is_published_with_identity_violation():
    grid = t3_grid("2021", new_received={"natural_person": 23, "total": 23})
    frames = build_facts([full_bundle(t3=grid)], [])
    report = frames["reports"].iloc[0]
    assert report["quality_status"] == "identity_violation"
    assert report["identity_violations"] == 2  # the balance in 自然人 and in 总计; row totals hold
    assert "t3_balance(natural_person)" in report["status_reason"]
    failed = frames["identity_checks"].query("status == 'failed'").set_index(["identity_id", "scope"])
    row = failed.loc[("t3_balance", "natural_person")]
    assert (row["lhs"], row["rhs"], row["passed"]) == (23.0, 0.0, False)
    assert "自然人" in row["detail"]
    # the printed value is what is published
    apps = frames["fact_applications"].set_index(["outcome_key", "applicant_key"])
    assert apps.loc[("new_received", "natural_person"), "count"] == 23


def test_free_form_report_with_text_is_never_unparseable():
    frames = build_facts([make_bundle("s", status="no_sections")], [])
    report = frames["reports"].iloc[0]
    assert report["quality_status"] != "unparseable"
    assert "sectioning: no_sections" in report["status_reason"]
    _conforms(frames)


@pytest.mark.parametrize(
    ("bundle", "status"),
    [
        (make_bundle("e", text=""), "unparseable"),
        (make_bundle("m", missing=[MissingTable("t3", "image")]), "tables_missing"),
        (make_bundle("p", cells=cells_from("t4", t4_grid())), "partial_tables"),
        (
            make_bundle(
                "o",
                2016,
                legacy=[LegacyIndicatorRow(1, "主动公开信息数", "items_published", None, "条", 450, None, "450")],
            ),
            "no_tables_expected",
        ),
    ],
)
def test_quality_status(bundle, status):
    frames = build_facts([bundle], [])
    report = frames["reports"].iloc[0]
    assert report["quality_status"] == status
    assert report["status_reason"]
    _conforms(frames)


def test_legacy_rows_and_pre2019_template():
    legacy = [
        LegacyIndicatorRow(1, "主动公开信息数", "items_published", None, "条", 450, 1200, "450 1200"),
        LegacyIndicatorRow(2, "其中：网站公开", None, 1, "条", None, None, ""),
    ]
    frames = build_facts([make_bundle("o", 2016, legacy=legacy)], [])
    rows = frames["fact_legacy_indicators"]
    assert rows["ordinal"].tolist() == [1, 2]
    assert pd.isna(rows["parent_ordinal"].iloc[0]) and rows["parent_ordinal"].iloc[1] == 1
    assert pd.isna(rows["this_period"].iloc[1])
    assert frames["reports"].iloc[0]["template_version"] == "pre2019"
    checks = frames["identity_checks"]
    assert checks[["identity_id", "scope", "status"]].values.tolist() == [
        ["lf_period_bound", "items_published", "passed"]
    ]


def test_legacy_form_identities_are_checks_and_violations_are_published_as_printed():
    def row(n, label, key, parent, this, cum):
        return LegacyIndicatorRow(n, label, key, parent, "条", this, cum, f"{this} {cum}")

    legacy = [
        row(1, "受理依申请公开信息总数", "applications_received", None, 5, 9),
        row(2, "其中：1、当面申请数", "applications_in_person", 1, 1, 2),
        row(3, "2、网上申请数", "applications_online", 1, 1, 3),
        row(4, "3、信函、传真申请数", "applications_letter_fax", 1, 1, 4),
    ]
    frames = build_facts([make_bundle("v", 2015, legacy=legacy)], [])
    checks = frames["identity_checks"].set_index(["identity_id", "scope"])
    assert checks.loc[("lf_requests_channels", "this_period"), "status"] == "failed"  # 5 ≠ 1 + 1 + 1
    assert checks.loc[("lf_requests_channels", "cumulative"), "status"] == "passed"  # 9 = 2 + 3 + 4
    assert "受理依申请公开信息总数 5 ≠ 当面申请数 1" in checks.loc[("lf_requests_channels", "this_period"), "detail"]
    report = frames["reports"].iloc[0]
    assert report["quality_status"] == "identity_violation" and "lf_requests_channels" in report["status_reason"]
    assert frames["fact_legacy_indicators"]["this_period"].tolist() == [5, 1, 1, 1]  # as printed
    _conforms(frames)


def test_duplicate_agency_year_both_kept_and_flagged():
    a = full_bundle("a", agency="平潭综合实验区管委会")
    b = full_bundle("b", agency="平潭综合实验区")
    c = full_bundle("c", agency="城关镇人民政府")
    reports = build_facts([a, b, c], [])["reports"].set_index("report_id")
    assert reports["duplicate_agency_year"].to_dict() == {"a": True, "b": True, "c": False}


def test_cross_year_matches_previous_report_of_same_agency():
    prev_grid = t3_grid("2019")
    prev_grid["carried_forward"].update({"natural_person": 1, "total": 1})
    prev_grid["new_received"].update({"natural_person": 1, "total": 1})
    prev = make_bundle("p2020", 2020, "平潭综合实验区", cells=cells_from("t3", prev_grid))
    cur_grid = t3_grid("2021")
    cur_grid["carried_over"].update({"natural_person": 1, "total": 1})
    cur_grid["total_processed"].update({"natural_person": 1, "total": 1})
    cur_grid["granted"].update({"natural_person": 1, "total": 1})
    cur = full_bundle("c2021", agency="平潭综合实验区管委会", t3=cur_grid)
    other = make_bundle("x2020", 2020, "城关镇人民政府", cells=cells_from("t3", t3_grid("2019")))
    checks = build_facts([cur], [other, prev])["identity_checks"]
    carry = checks[checks["identity_id"] == "x_t3_carry"].set_index("scope")
    assert carry.loc["natural_person", "status"] == "passed"
    assert carry.loc["natural_person", "lhs"] == 1.0
    assert carry["detail"].str.contains("p2020").all()


def test_a_report_that_breaks_the_code_does_not_break_the_partition():
    bad = full_bundle("bad")
    _replace_cell(bad, TableCell("t3", "granted", "total", "x", "number", "x", "text", "char:0"))  # type: ignore[arg-type]
    bad.sectioned.metadata.publish_date = "2022-01-01"  # type: ignore[assignment]
    bad.sectioned.narrative = [NarrativeMetric("review_cases", float("nan"), "件", "", 0, 0)]
    frames = build_facts([bad, full_bundle("good", agency="另一个镇")], [])
    _conforms(frames)
    reports = frames["reports"].set_index("report_id")
    assert set(reports.index) == {"bad", "good"}
    assert reports.loc["good", "quality_status"] == "ok"
    assert pd.isna(reports.loc["bad", "publish_date"])
    # the unusable value is null, its raw text kept; the rest of the report is published
    apps = frames["fact_applications"].query("report_id == 'bad'")
    assert len(apps) == 25 * 7 and apps["count"].isna().sum() == 1
    assert apps.set_index(["outcome_key", "applicant_key"]).loc[("granted", "total"), "raw_text"] == "x"


def test_publish_date_is_a_date():
    bundle = full_bundle()
    bundle.sectioned.metadata.publish_date = date(2022, 1, 20)
    frames = build_facts([bundle], [])
    assert frames["reports"]["publish_date"].iloc[0] == date(2022, 1, 20)
    _conforms(frames)


def test_labels_frame():
    labels = labels_frame()
    assert list(labels.columns) == CONTRACT["labels"].names
    pa.Table.from_pandas(labels, schema=CONTRACT["labels"], preserve_index=False)
    lookup = labels.set_index(["key_type", "key"])["label_zh"]
    assert lookup[("applicant_key", "natural_person")] == "自然人"
    assert ("identity_id", "t3_balance") in lookup.index
    assert lookup[("legacy_indicator_key", "applications_in_person")] == "当面申请数"
    assert ("identity_id", "lf_requests_channels") in lookup.index


def test_empty_contract_frames_are_typed_and_each_callers_own():
    # the empty frame is typed once per process and copied: one caller's change is not the next one's
    first = contract_frame("corrections", [])
    assert list(first.columns) == [*CONTRACT["corrections"].names, "report_year"]
    assert str(first["report_year"].dtype) == "int64"
    first["extra"] = 1
    first.loc[0, "report_year"] = 2021
    again = contract_frame("corrections", [])
    assert "extra" not in again.columns and len(again) == 0
    pd.testing.assert_frame_equal(again, contract_frame("corrections", [{"report_year": 2021}]).iloc[:0])
