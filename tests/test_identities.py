"""Identities from the template declaration: pass, fail with lhs/rhs, blank → not assessable,
layout drift (a 2021 report printing the single （六） row), cross-year with and without the
previous report, text vs table. The bundle factory is in tests/builders.py."""

from __future__ import annotations

import json

import pytest
from builders import CORPUS, cells_from, make_bundle, metric, t3_grid

from govreport_dagster.core.identities import (
    assess_cross_year,
    assess_report,
    cell_values,
    evaluate_cross_year,
    evaluate_report,
    evaluate_sum_identities,
)
from govreport_dagster.core.model import (
    TableCell,
    TableExtraction,
)


def by_id_scope(results):
    return {(r.identity_id, r.scope): r for r in results}


# --------------------------------------------------------------------------------------
# Sum identities


def test_balanced_table_passes_everything():
    results = evaluate_sum_identities(cell_values(TableExtraction("2021", cells_from("t3", t3_grid("2021")))), "2021")
    ids = {r.identity_id for r in results}
    assert ids == {"t3_balance", "t3_outcomes_sum", "t3_row_total"}
    assert all(r.status == "passed" and r.lhs == r.rhs for r in results)
    # 7 columns × 2 column identities + 25 rows × row total (2021 layout)
    assert len(results) == 7 * 2 + 25


def test_broken_balance_fails_with_lhs_rhs_and_readable_detail():
    grid = t3_grid(
        "2021",
        new_received={"natural_person": 23, "total": 23},
        granted={"natural_person": 20, "total": 20},
        total_processed={"natural_person": 20, "total": 20},
    )
    results = by_id_scope(evaluate_sum_identities(cell_values(TableExtraction("2021", cells_from("t3", grid))), "2021"))
    broken = results[("t3_balance", "natural_person")]
    assert broken.status == "failed" and broken.passed is False
    assert (broken.lhs, broken.rhs) == (23.0, 20.0)
    assert broken.severity == "error"
    assert "自然人" in broken.detail and "23" in broken.detail and "20" in broken.detail and "≠" in broken.detail
    assert "一、本年新收" in broken.detail and "（七）总计" in broken.detail
    # the outcome sum and the row totals still hold
    assert results[("t3_outcomes_sum", "natural_person")].status == "passed"
    assert results[("t3_row_total", "new_received")].status == "passed"


def test_blank_input_is_not_assessable_never_zero():
    values = {("t4", "review", c): 0.0 for c in ("upheld", "corrected", "other", "pending", "total")}
    values[("t4", "review", "corrected")] = None
    results = by_id_scope(evaluate_sum_identities(values, "2021", tables=["t4"]))
    review = results[("t4_block_total", "review")]
    assert review.status == "not_assessable" and review.passed is None
    assert review.lhs is None and review.rhs is None
    assert "结果纠正" in review.detail and "空白" in review.detail
    # rows absent altogether are not assessable too (a truncated table), not passed
    assert results[("t4_block_total", "litigation_direct")].status == "not_assessable"
    assert "缺失" in results[("t4_block_total", "litigation_direct")].detail


def test_not_applicable_and_text_cells_count_as_blank():
    grid = t3_grid("2021", carried_over={"total": "/"})
    results = by_id_scope(evaluate_report(TableExtraction("2021", cells_from("t3", grid)), make_bundle().sectioned))
    assert results[("t3_balance", "total")].status == "not_assessable"
    assert results[("t3_balance", "natural_person")].status == "passed"


def test_truncated_table_gives_not_assessable_for_missing_rows():
    grid = {r: cols for r, cols in t3_grid("2021").items() if r in ("new_received", "carried_over", "granted")}
    grid["new_received"]["total"] = 5  # row total now broken
    results = by_id_scope(evaluate_sum_identities(cell_values(TableExtraction("2021", cells_from("t3", grid))), "2021"))
    assert results[("t3_row_total", "new_received")].status == "failed"
    assert results[("t3_row_total", "granted")].status == "passed"
    assert results[("t3_row_total", "carried_forward")].status == "not_assessable"
    assert results[("t3_balance", "total")].status == "not_assessable"


def test_2021_report_printing_single_other_row_uses_2019_outcome_sum():
    """Corpus 022/023: 2021 layout, but table 3 prints the single （六）其他处理 row."""
    grid = t3_grid("2019", other_processing={"natural_person": 2, "total": 2})
    grid["total_processed"].update({"natural_person": 2, "total": 2})
    grid["new_received"].update({"natural_person": 2, "total": 2})
    results = by_id_scope(evaluate_sum_identities(cell_values(TableExtraction("2021", cells_from("t3", grid))), "2021"))
    assert results[("t3_outcomes_sum", "natural_person")].status == "passed"
    assert ("t3_row_total", "other_overdue_fee") not in results


def test_table2_has_no_sum_identity_and_absent_tables_yield_nothing():
    assert evaluate_sum_identities({("t2", "rules", "issued"): 1.0}, "2021") == []
    assert evaluate_sum_identities({}, "2021") == []
    assert evaluate_sum_identities({("t3", "granted", "total"): 1.0}, "pre2019") == []


# --------------------------------------------------------------------------------------
# Text vs table


def test_narrative_metric_disagreeing_with_table_fails_as_warning():
    grid = t3_grid("2021", new_received={"natural_person": 3, "total": 3}, granted={"natural_person": 3, "total": 3})
    grid["total_processed"].update({"natural_person": 3, "total": 3})
    bundle = make_bundle(
        cells=cells_from("t3", grid), narrative=[metric("applications_received", 4), metric("review_cases", 0)]
    )
    results = by_id_scope(evaluate_report(bundle.tables, bundle.sectioned))
    text = results[("n_text_vs_table", "applications_received")]
    assert text.status == "failed" and text.severity == "warn"
    assert (text.lhs, text.rhs) == (4.0, 3.0)
    assert "正文" in text.detail
    # table 4 is absent: the statement cannot be checked
    review = results[("n_text_vs_table", "review_cases")]
    assert review.status == "not_assessable" and "t4表格缺失" in review.detail
    assert ("n_text_vs_table", "litigation_cases") not in results  # the text says nothing about it


# --------------------------------------------------------------------------------------
# Cross-year


def _with_carry(version: str, carried_over: float | None, carried_forward: float | None) -> dict:
    grid = t3_grid(version)
    grid["carried_over"].update({"natural_person": carried_over, "total": carried_over})
    grid["carried_forward"].update({"natural_person": carried_forward, "total": carried_forward})
    return grid


def test_cross_year_carry_matches_and_breaks():
    prev = make_bundle("p2020", 2020, cells=cells_from("t3", _with_carry("2019", 0, 1)))
    cur = make_bundle("c2021", 2021, cells=cells_from("t3", _with_carry("2021", 1, 0)))
    results = by_id_scope(evaluate_cross_year(cur, prev))
    carry = results[("x_t3_carry", "natural_person")]
    assert carry.status == "passed" and (carry.lhs, carry.rhs) == (1.0, 1.0)
    assert "p2020" in carry.detail
    assert len([r for r in results.values() if r.identity_id == "x_t3_carry"]) == 7

    wrong = make_bundle("c2021", 2021, cells=cells_from("t3", _with_carry("2021", 5, 0)))
    broken = by_id_scope(evaluate_cross_year(wrong, prev))[("x_t3_carry", "total")]
    assert broken.status == "failed" and (broken.lhs, broken.rhs) == (5.0, 1.0) and broken.severity == "warn"


def test_cross_year_without_previous_is_not_assessable_with_reason():
    cur = make_bundle("c2021", 2021, cells=cells_from("t3", t3_grid("2021")) + _t2_cells(3, 1, 10))
    results = evaluate_cross_year(cur, None)
    assert results and all(r.status == "not_assessable" for r in results)
    assert {r.identity_id for r in results} == {"x_t3_carry", "x_t2_in_force"}
    assert all("2020" in r.detail for r in results)


def _t2_cells(issued, repealed, in_force) -> list[TableCell]:
    return cells_from(
        "t2",
        {
            "rules": {"issued": 0, "repealed": 0, "in_force": 2},
            "normative_docs": {"issued": issued, "repealed": repealed, "in_force": in_force},
        },
    )


def test_cross_year_stock_identity_for_table2():
    prev = make_bundle("p2021", 2021, cells=_t2_cells(0, 0, 8))
    cur = make_bundle("c2022", 2022, cells=_t2_cells(3, 1, 10))
    results = by_id_scope(evaluate_cross_year(cur, prev))
    docs = results[("x_t2_in_force", "normative_docs")]
    assert docs.status == "passed" and (docs.lhs, docs.rhs) == (10.0, 10.0)
    assert "−" in docs.detail  # repealed is subtracted
    bad = make_bundle("c2022", 2022, cells=_t2_cells(3, 1, 11))
    assert by_id_scope(evaluate_cross_year(bad, prev))[("x_t2_in_force", "normative_docs")].status == "failed"
    # the 2020 report (2019 layout) has no in_force: not assessable, not a crash
    old = make_bundle("p2020", 2020, cells=cells_from("t2", {"rules": {"new_made": 1}}))
    assert by_id_scope(evaluate_cross_year(cur, old))[("x_t2_in_force", "rules")].status == "not_assessable"


# --------------------------------------------------------------------------------------
# The corpus' recorded real violations (gold values through the identities)


def _gold_cells(gold: dict) -> list[TableCell]:
    cells = []
    for table_id in ("t3", "t4"):
        for row, cols in (gold.get(table_id) or {}).items():
            if isinstance(cols, dict):
                cells += cells_from(table_id, {row: cols})
    return cells


@pytest.mark.parametrize(
    ("name", "failing"),
    [
        ("006", {("t3_outcomes_sum", "natural_person"), ("t3_outcomes_sum", "total")}),
        ("022", {("t4_block_total", "review"), ("t4_block_total", "litigation_after_review")}),
        ("005", set()),
        ("007", set()),
        ("021", set()),
    ],
)
def test_gold_values_reproduce_the_recorded_identity_results(name: str, failing: set):
    gold = json.loads((CORPUS / f"{name}.gold.json").read_text(encoding="utf-8"))
    layout = gold["format"]
    results = evaluate_sum_identities(cell_values(TableExtraction(layout, _gold_cells(gold))), layout)
    assert {(r.identity_id, r.scope) for r in results if r.status == "failed"} == failing
    # complete tables: every identity is decided (022 prints the single （六） row in a 2021 report)
    assert all(r.status != "not_assessable" for r in results)


# --------------------------------------------------------------------------------------
# Which cells each evaluated instance reads (suggested corrections ask it)


def test_assessed_instances_pair_each_result_with_the_cells_it_read():
    grid = t3_grid("2021", new_received={"natural_person": 3, "total": 3}, granted={"natural_person": 3, "total": 3})
    grid["total_processed"].update({"natural_person": 3, "total": 3})
    bundle = make_bundle(cells=cells_from("t3", grid), narrative=[metric("applications_received", 4)])
    assessed = assess_report(bundle.tables, bundle.sectioned)
    assert [result for _inst, result in assessed] == evaluate_report(bundle.tables, bundle.sectioned)
    instances = {(r.identity_id, r.scope): inst for inst, r in assessed}
    row_total = instances[("t3_row_total", "granted")]
    assert [t.cell for t in row_total.lhs] == [("t3", "granted", "total")]
    assert ("t3", "granted", "natural_person") in [t.cell for t in row_total.rhs]
    assert all(t.sign == 1.0 and not t.previous for t in row_total.terms)
    # the text's number is no cell: the narrative instance's lhs is empty
    text = instances[("n_text_vs_table", "applications_received")]
    assert text.lhs == () and [t.cell for t in text.rhs] == [("t3", "new_received", "total")]


def test_assessed_cross_year_terms_say_which_year_they_read():
    prev = make_bundle("p2020", 2020, cells=cells_from("t3", _with_carry("2019", 0, 1)))
    cur = make_bundle("c2021", 2021, cells=cells_from("t3", _with_carry("2021", 1, 0)) + _t2_cells(3, 1, 10))
    assessed = assess_cross_year(cur, prev)
    assert [result for _inst, result in assessed] == evaluate_cross_year(cur, prev)
    carry = next(inst for inst, r in assessed if (r.identity_id, r.scope) == ("x_t3_carry", "total"))
    assert [(t.cell, t.previous) for t in carry.terms] == [
        (("t3", "carried_over", "total"), False),
        (("t3", "carried_forward", "total"), True),
    ]
    stock = next(inst for inst, r in assessed if r.identity_id == "x_t2_in_force")
    signs = {(t.cell[2], t.previous): t.sign for t in stock.rhs}
    assert signs[("issued", False)] == 1.0 and signs[("repealed", False)] == -1.0
    assert signs[("in_force", True)] == 1.0
