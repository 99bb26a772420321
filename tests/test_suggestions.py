"""Suggested corrections: one printed cell that alone explains a failed identity, verified by
re-evaluating every identity; never applied. Plain data, no Dagster."""

from __future__ import annotations

from pathlib import Path

from builders import CORPUS, cells_from, make_bundle, metric, t3_grid, t4_grid

from govreport_dagster.core.model import RawFile, ReportBundle
from govreport_dagster.core.suggestions import suggest_for_report, transpositions


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
