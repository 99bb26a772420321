"""The one home of identity arithmetic: instances from the declaration, holds() and its blank rule."""

from __future__ import annotations

import math

from govreport_dagster.core.arithmetic import (
    TOLERANCE,
    Term,
    cross_year_instances,
    holds,
    side_sum,
    sum_instances,
)
from govreport_dagster.core.templates import load_templates


def _identity(identity_id: str, layout: str = "2021"):
    return next(i for i in load_templates().identities if i.id == identity_id and layout in i.layouts)


def test_holds_compares_sums_within_the_tolerance() -> None:
    assert holds([1, 2], [3]) is True
    assert holds([1, 2], [4]) is False
    assert holds([0.1, 0.2], [0.3]) is True  # decimal money
    assert holds([1.0], [1.0 + 10 * TOLERANCE]) is False


def test_blank_is_not_assessable_never_zero() -> None:
    assert holds([None, 2], [2]) is None
    assert holds([1], [math.nan]) is None
    # the solver's rule when ranking candidate splits: blank counts as 0
    assert holds([None, 2], [2], blank_as_zero=True) is True
    assert holds([None, 2], [3], blank_as_zero=True) is False
    assert side_sum([1, None, math.nan, 2]) == 3


def test_along_rows_one_instance_per_column() -> None:
    balance = _identity("t3_balance")
    instances = sum_instances(
        balance, "t3", ["new_received", "carried_over", "total_processed", "carried_forward"], ["a", "b"]
    )
    assert [i.scope for i in instances] == ["a", "b"]
    first = instances[0]
    assert first.varies == "row" and first.scope_axis == "col"
    assert [t.cell for t in first.lhs] == [("t3", "new_received", "a"), ("t3", "carried_over", "a")]
    assert [t.cell for t in first.rhs] == [("t3", "total_processed", "a"), ("t3", "carried_forward", "a")]


def test_along_columns_one_instance_per_row_and_prefixes_expand() -> None:
    row_total = _identity("t3_row_total")
    cols = ["natural_person", "commercial", "research", "social_welfare", "legal_services", "other_org", "total"]
    (inst,) = sum_instances(row_total, "t3", ["granted"], cols)
    assert inst.scope == "granted" and inst.varies == "col"
    assert [t.cell for t in inst.lhs] == [("t3", "granted", "total")]
    assert len(inst.rhs) == 6
    outcomes = _identity("t3_outcomes_sum")
    rows = ["total_processed", "granted", "partially_granted", "withheld_state_secret", "withheld_process_info"]
    (inst,) = sum_instances(outcomes, "t3", rows, ["total"])
    assert [t.row for t in inst.rhs] == rows[1:]
    # a block without the identity's keys yields nothing
    assert sum_instances(row_total, "t3", ["granted"], ["issued"]) == []


def test_cross_year_terms_read_each_side_from_its_year() -> None:
    in_force = _identity("x_t2_in_force")
    rules = cross_year_instances(in_force, ["issued", "repealed", "in_force"])[0]
    assert rules.scope == "rules" and rules.lhs == (Term(("t2", "rules", "in_force")),)
    assert rules.rhs == (
        Term(("t2", "rules", "in_force"), previous=True),
        Term(("t2", "rules", "issued")),
        Term(("t2", "rules", "repealed"), -1.0),
    )
    carry = _identity("x_t3_carry")
    instances = cross_year_instances(carry, ["natural_person", "total"])
    assert [i.scope for i in instances] == ["natural_person", "total"]
    assert instances[1].lhs == (Term(("t3", "carried_over", "total")),)
    assert instances[1].rhs == (Term(("t3", "carried_forward", "total"), previous=True),)
