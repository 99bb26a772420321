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


def test_undecidable_value_disagreement_is_null_with_both_candidates_even_for_clean_cells() -> None:
    # a clean drawn cell against a different text-layer value, both adding up (5 = 5, 4 + 1 = 5):
    # no identity decides, so neither reading is published (issue 13)
    grid, text = _row([5, 0, 0, 0, 0, 0, 5]), _row([4, 1, 0, 0, 0, 0, 5], "text")
    result = reconcile("t3", "2021", grid, text)
    got = {c.col_key: c for c in result.cells}
    assert got["natural_person"].value is None and got["commercial"].value is None
    assert got["natural_person"].raw_text == "5 / 4" and "cannot decide" in got["natural_person"].note
    assert got["total"].value == 5  # agreed: kept
    assert result.ambiguous["t3.new_received"] == [
        "grid: 5 / 0 / 0 / 0 / 0 / 0 / 5",
        "text layer: 4 / 1 / 0 / 0 / 0 / 0 / 5",
    ]


def _blank_row(row: str = "new_received") -> list[TableCell]:
    return [TableCell("t3", row, col, None, "blank", "", "text", f"text:{i}") for i, col in enumerate(COLS)]


def test_text_layer_row_without_values_abstains_and_the_clean_grid_stands() -> None:
    # the text layer found the row's label but its values on another line: no value to weigh
    grid = _row([5, 0, 0, 0, 0, 0, 5])
    result = reconcile("t3", "2021", grid, _blank_row())
    assert result.cells == grid and "read no value on those rows: the grid stands" in result.warnings[0]
    # an uncertain grid cell against an abstaining row is still null
    noted = _row([5, 0, 0, 0, 0, 0, 5], note="row prints 8 values for 7 columns")
    assert all(c.value is None for c in reconcile("t3", "2021", noted, _blank_row()).cells[:1])
