"""Grid vs text-layer readings of one PDF table: the identities decide, else null with both."""

from __future__ import annotations

from govreport_dagster.core.model import TableCell
from govreport_dagster.core.tables.reconcile import reconcile

COLS = ("natural_person", "commercial", "research", "social_welfare", "legal_services", "other_org", "total")


def _row(values: list[float], source: str = "grid", note: str | None = None, row: str = "new_received"):
    return [
        TableCell("t3", row, col, v, "number", f"{v:g}", source, f"{source}:{i}", False, note)
        for i, (col, v) in enumerate(zip(COLS, values, strict=True))
    ]


def test_no_disagreement_keeps_the_grid() -> None:
    grid = _row([5, 0, 0, 0, 0, 0, 5])
    result = reconcile("t3", "2021", grid, _row([5, 0, 0, 0, 0, 0, 5], "text"))
    assert result.cells == grid and result.warnings == []


def test_identities_side_with_the_reading_that_adds_up() -> None:
    grid_ok, text_bad = _row([5, 0, 0, 0, 0, 0, 5]), _row([3, 0, 0, 0, 0, 0, 5], "text")
    kept = reconcile("t3", "2021", grid_ok, text_bad)
    assert [c.value for c in kept.cells] == [5, 0, 0, 0, 0, 0, 5] and "side with the grid" in kept.warnings[0]
    switched = reconcile("t3", "2021", _row([3, 0, 0, 0, 0, 0, 5]), _row([5, 0, 0, 0, 0, 0, 5], "text"))
    assert switched.cells[0].value == 5 and switched.cells[0].source == "text"
    assert "side with the text layer" in switched.warnings[0]


def test_undecidable_uncertain_grid_cell_is_null_with_both_candidates() -> None:
    # both readings add up (5 = 5 and 4 + 1 = 5): the identities cannot decide
    grid = _row([5, 0, 0, 0, 0, 0, 5], note="row prints 8 values for 7 columns")
    text = _row([4, 1, 0, 0, 0, 0, 5], "text")
    result = reconcile("t3", "2021", grid, text)
    nulls = [c for c in result.cells if c.value is None]
    assert [c.col_key for c in nulls] == ["natural_person", "commercial"]
    assert all(c.cell_state == "text" and "cannot decide" in c.note for c in nulls)
    assert nulls[0].raw_text == "5 / 4"
    splits = result.splits["t3.new_received"]
    assert [s["natural_person"][0] for s in splits] == [5, 4] and [s["commercial"][0] for s in splits] == [0, 1]
    assert result.ambiguous["t3.new_received"][0].startswith("grid: 5 / 0")


def test_undecidable_clean_drawn_cells_stand() -> None:
    # a row shifted by the text layer keeps every sum: the drawn cell's value stands
    grid, text = _row([5, 0, 0, 0, 0, 0, 5]), _row([4, 1, 0, 0, 0, 0, 5], "text")
    result = reconcile("t3", "2021", grid, text)
    assert result.cells == grid and "the drawn cells stand" in result.warnings[0]
