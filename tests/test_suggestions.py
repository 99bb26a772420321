"""Suggested corrections: one printed cell that alone explains a failed identity, verified by
re-evaluating every identity; never applied. Plain data, no Dagster."""

from __future__ import annotations

from pathlib import Path

from builders import CORPUS, cells_from, make_bundle, metric, t3_grid, t4_grid

from govreport_dagster.core.cell_overrides import assess_bundle, evaluate_with
from govreport_dagster.core.identities import cell_values
from govreport_dagster.core.model import RawFile, ReportBundle
from govreport_dagster.core.suggestions import identity_members, suggest_for_report, transpositions


def _t4_bundle(review: dict[str, float], **kw) -> ReportBundle:
    grid = t4_grid()
    grid["review"].update(review)
    return make_bundle(cells=cells_from("t4", grid), **kw)


def _by_cell(suggestions):
    return {s.cell: s for s in suggestions}


def test_total_printed_otherwise_than_its_parts_gets_the_sum_unique():
    bundle = _t4_bundle({"upheld": 10, "corrected": 1, "total": 0})
    [s] = suggest_for_report(bundle, None)
    assert s.cell == ("t4", "review", "total")
    assert (s.printed_value, s.suggested_value) == (0, 11)
    assert (s.rule, s.certainty, s.identity_id, s.scope) == ("sum_of_parts", "unique", "t4_block_total", "review")
    assert s.fixes == ("t4_block_total(review)",)
    assert "印为 0，建议 11" in s.detail and "结果维持 10" in s.detail
    # a part is never "fixed" to fit the printed total
    assert all(x.cell[2] == "total" for x in suggest_for_report(bundle, None))


def test_two_explanations_of_one_failure_are_each_one_of_several():
    # 12 + 3 printed, total 24: either the total is wrong (15) or 12 was 21
    bundle = _t4_bundle({"upheld": 12, "corrected": 3, "total": 24})
    found = _by_cell(suggest_for_report(bundle, None))
    assert found[("t4", "review", "total")].suggested_value == 15
    assert found[("t4", "review", "upheld")].suggested_value == 21
    assert found[("t4", "review", "upheld")].rule == "digits_transposed"
    assert {s.certainty for s in found.values()} == {"one_of_several"}


def test_transposed_part_that_breaks_two_identities_is_the_unique_suggestion():
    # granted/natural_person printed 12 instead of 21: its row total and its column's outcome sum fail;
    # "fixing" either total instead would break the balance or the other sum, so only 21 is kept
    t3 = t3_grid(
        "2021",
        new_received={"natural_person": 21, "total": 21},
        granted={"natural_person": 12, "total": 21},
        total_processed={"natural_person": 21, "total": 21},
    )
    [s] = suggest_for_report(make_bundle(cells=cells_from("t3", t3)), None)
    assert s.cell == ("t3", "granted", "natural_person")
    assert (s.suggested_value, s.rule, s.certainty) == (21, "digits_transposed", "unique")
    assert set(s.fixes) == {"t3_outcomes_sum(natural_person)", "t3_row_total(granted)"}


def test_carried_over_equal_to_last_years_carried_forward():
    previous = make_bundle(
        "p", 2020, cells=cells_from("t3", t3_grid("2019", carried_forward={"natural_person": 3, "total": 3}))
    )
    t3 = t3_grid(
        "2021",
        new_received={"natural_person": 5, "total": 5},
        carried_over={"natural_person": 0, "total": 3},  # the row's total says 3: the 0 is the misprint
        granted={"natural_person": 8, "total": 8},
        total_processed={"natural_person": 8, "total": 8},
    )
    found = _by_cell(suggest_for_report(make_bundle(cells=cells_from("t3", t3)), previous))
    s = found[("t3", "carried_over", "natural_person")]
    assert (s.suggested_value, s.rule, s.certainty) == (3, "previous_year", "unique")
    assert "t3_balance(natural_person)" in s.fixes and "x_t3_carry(natural_person)" in s.fixes
    assert ("t3", "carried_over", "total") not in found  # 3 → 0 would break the balance of the total column


def test_nothing_when_identities_hold_or_only_a_warning_fails():
    assert suggest_for_report(_t4_bundle({"upheld": 10, "corrected": 1, "total": 11}), None) == []
    # the text says 12 review cases, the table 11: a warn identity alone never motivates a suggestion
    bundle = _t4_bundle({"upheld": 10, "corrected": 1, "total": 11}, narrative=[metric("review_cases", 12)])
    assert suggest_for_report(bundle, None) == []


def test_transpositions():
    assert transpositions(21) == [12]
    assert transpositions(120) == [210, 102]
    assert transpositions(100) == []  # 010 has a leading zero, 00 swaps nothing
    assert transpositions(7) == [] and transpositions(1.5) == []


def test_corpus_022_table4_totals_printed_as_0_get_11_and_5():
    from govreport_dagster.core.decode import decode_file
    from govreport_dagster.core.sectioning import section_report
    from govreport_dagster.core.tables import extract_tables

    path: Path = CORPUS / "022.txt"
    doc = decode_file(path.read_bytes(), str(path))
    sectioned = section_report(doc)
    tables = extract_tables(doc, sectioned)
    bundle = ReportBundle("r022", 2023, RawFile(str(path), 0, "", "txt"), doc, sectioned, tables)
    found = {s.cell: (s.printed_value, s.suggested_value, s.certainty) for s in suggest_for_report(bundle, None)}
    assert found == {
        ("t4", "review", "total"): (0, 11, "unique"),
        ("t4", "litigation_after_review", "total"): (0, 5, "unique"),
    }


# --------------------------------------------------------------------------------------
# Which cells a failed identity reads: from the instances the identities module expanded,
# the same as raising each cell by one and watching which side of which identity moves


def _members_by_nudging(bundle: ReportBundle, prior: ReportBundle | None) -> dict:
    """The slow oracle (what suggestions did before): one re-evaluation per number cell."""
    baseline = evaluate_with(bundle, prior, {})
    values = {k: v for k, v in cell_values(bundle.tables).items() if v is not None}
    members: dict = {}
    for key, value in values.items():
        for before, after in zip(baseline, evaluate_with(bundle, prior, {key: value + 1}), strict=True):
            if before.status != "failed":
                continue
            for side, delta in (("lhs", after.lhs - before.lhs), ("rhs", after.rhs - before.rhs)):
                if abs(delta) > 1e-6:
                    members.setdefault((before.identity_id, before.scope), {})[key] = (side, delta)
    return members


def _members(bundle: ReportBundle, prior: ReportBundle | None) -> dict:
    values = {k: v for k, v in cell_values(bundle.tables).items() if v is not None}
    found = identity_members(assess_bundle(bundle, prior), values)
    return {key: cells for key, cells in found.items() if cells}


def _failing_bundles() -> list[tuple[ReportBundle, ReportBundle | None]]:
    previous = make_bundle(
        "p", 2020, cells=cells_from("t3", t3_grid("2019", carried_forward={"natural_person": 3, "total": 3}))
    )
    carry = t3_grid(
        "2021",
        new_received={"natural_person": 5, "total": 5},
        carried_over={"natural_person": 0, "total": 3},
        granted={"natural_person": 8, "total": 8},
        total_processed={"natural_person": 8, "total": 8},
    )
    transposed = t3_grid(
        "2021",
        new_received={"natural_person": 21, "total": 21},
        granted={"natural_person": 12, "total": 21},
        total_processed={"natural_person": 21, "total": 21},
    )
    review = t4_grid()
    review["review"].update({"upheld": 12, "corrected": 3, "total": 24})
    review["litigation_direct"].update({"total": 4})
    stated = [metric("review_cases", 20), metric("litigation_cases", 9)]  # two text-vs-table failures
    return [
        (make_bundle(cells=cells_from("t3", carry)), previous),
        (make_bundle(cells=cells_from("t3", transposed)), None),
        (make_bundle(cells=cells_from("t4", review), narrative=stated), None),
    ]


def test_members_of_failed_identities_are_what_nudging_each_cell_finds():
    for bundle, prior in _failing_bundles():
        oracle = _members_by_nudging(bundle, prior)
        assert oracle  # the case has failures to explain
        found = _members(bundle, prior)
        assert found == oracle
        # same cells in the same order (the order suggestions are listed in)
        assert [list(cells) for cells in found.values()] == [list(oracle[key]) for key in found]


def test_members_sign_side_and_what_is_left_out():
    bundle, prior = _failing_bundles()[0]
    found = _members(bundle, prior)
    # this year's carried-over cell is the lhs of the cross-year identity; last year's cell is
    # not a cell of this report
    assert found[("x_t3_carry", "natural_person")] == {("t3", "carried_over", "natural_person"): ("lhs", 1.0)}
    # the text's number is no cell: a text-vs-table identity reads only the table's
    bundle, prior = _failing_bundles()[2]
    assert _members(bundle, prior)[("n_text_vs_table", "litigation_cases")] == {
        ("t4", "litigation_direct", "total"): ("rhs", 1.0),
        ("t4", "litigation_after_review", "total"): ("rhs", 1.0),
    }
    # passed identities are not listed: only a failure asks which cell could explain it
    blocks = {scope for identity_id, scope in _members(bundle, prior) if identity_id == "t4_block_total"}
    assert blocks == {"review", "litigation_direct"}  # litigation_after_review's zeros add up


def test_the_callers_evaluation_gives_the_same_suggestions():
    # the facts stage hands over the identities it evaluated instead of evaluating them twice
    for bundle, prior in _failing_bundles():
        assert suggest_for_report(bundle, prior, assess_bundle(bundle, prior)) == suggest_for_report(bundle, prior)
