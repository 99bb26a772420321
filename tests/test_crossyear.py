"""Run-together table-2 rows decided with the same agency's neighbouring years.

Corpus 005/006/007 are 平潭综合实验区's 2019/2020/2021 reports, flattened with no separator
between cells; their gold files record what the transcriber decided with the adjacent years.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from govreport_dagster.core import arithmetic
from govreport_dagster.core.model import (
    DecodedDocument,
    ReportMetadata,
    SectionedReport,
    TableCell,
    TableExtraction,
    to_plain,
)
from govreport_dagster.core.tables import extract_tables, pick_neighbour, resolve_across_years, resolve_in_window
from govreport_dagster.storage.frames import from_json, to_json

CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
_GOLD_ROWS = {"other_external_services": "other_services"}


def _pipeline(name: str) -> TableExtraction:
    from govreport_dagster.core.decode import decode_file
    from govreport_dagster.core.sectioning import section_report

    path = CORPUS / name
    doc = decode_file(path.read_bytes(), str(path))
    return extract_tables(doc, section_report(doc))


@pytest.fixture(scope="module")
def pingtan() -> dict[int, TableExtraction]:
    return {2019: _pipeline("005.txt"), 2020: _pipeline("006.txt"), 2021: _pipeline("007.txt")}


def _gold_t2(number: str) -> dict[tuple[str, str], float | None]:
    gold = json.loads((CORPUS / f"{number}.gold.json").read_text(encoding="utf-8"))
    return {(_GOLD_ROWS.get(r, r), c): v for r, cols in gold["t2"].items() for c, v in (cols or {}).items()}


def _t2(ext: TableExtraction) -> dict[tuple[str, str], TableCell]:
    return {(c.row_key, c.col_key): c for c in ext.cells if c.table_id == "t2"}


def _values(ext: TableExtraction, row: str) -> list[float | None]:
    return [c.value for c in ext.cells if c.table_id == "t2" and c.row_key == row]


def _doc(text: str) -> DecodedDocument:
    return DecodedDocument("mem://x.txt", "txt", "utf-8", "simplified", text, text)


def _t2_2021(normative: str) -> TableExtraction:
    text = (
        "第二十条第（一）项信息内容本年制发件数本年废止件数现行有效件数"
        f"规章000行政规范性文件{normative}第二十条第（五）项"
    )
    return extract_tables(_doc(text), SectionedReport(ReportMetadata(), [], "2021", "2021"))


# --------------------------------------------------------------------------------------
# The corpus series


def test_2019_and_2020_rows_resolve_to_the_gold_values(pingtan) -> None:
    r2019, r2020, _ = resolve_across_years(sorted(pingtan.items()))
    for ext, number, rows in (
        (r2019, "005", ("licensing", "other_services", "punishment", "fees")),
        (r2020, "006", ("normative_docs",)),
    ):
        gold = _gold_t2(number)
        for row in rows:
            assert f"t2.{row}" not in ext.ambiguous and f"t2.{row}" not in ext.ambiguous_splits
            for (r, col), cell in _t2(ext).items():
                if r == row:
                    assert cell.value == gold[(row, col)] and cell.cell_state == "number" and cell.inferred
                    assert "decided across years" in (cell.note or "")
    cell = _t2(r2019)[("licensing", "change")]
    assert cell.raw_text == "0" and "x_t2_prev_items with the 2020 report" in (cell.note or "")
    assert "x_t2_total_published with the 2019 report" in (_t2(r2020)[("normative_docs", "total_published")].note or "")


def test_several_left_stay_null_with_fewer_candidates(pingtan) -> None:
    r2019, r2020, _ = resolve_across_years(sorted(pingtan.items()))
    # 2020 other_services: prev 10 (= 2019's 10 + 0) is decided, 7/105 vs 710/5 is not
    t2 = _t2(r2020)
    assert t2[("other_services", "prev_year_items")].value == 10
    assert t2[("other_services", "change")].value is None and t2[("other_services", "decisions")].value is None
    assert r2020.ambiguous["t2.other_services"] == ["10 / 7 / 105", "10 / 710 / 5"]
    assert len(r2020.ambiguous_splits["t2.other_services"]) == 2
    # 2019 normative_docs: 2020's 166 − 77 fixes the total at 89, not how 8989 splits before it
    assert _values(r2019, "normative_docs") == [None, None, 89]
    assert r2019.ambiguous["t2.normative_docs"] == ["8 / 989 / 89", "89 / 89 / 89", "898 / 9 / 89"]
    # coercion: 126/0/25 (2020: 126/…) or 1260/2/5 (2020: 1262/…): both years stay open
    assert r2019.ambiguous["t2.coercion"] == ["126 / 0 / 25", "1260 / 2 / 5"]
    assert _values(r2020, "coercion") == [None, None, None]
    # procurement has no cross-year identity: untouched
    assert r2019.ambiguous["t2.procurement"] == pingtan[2019].ambiguous["t2.procurement"]


def test_2021_normative_row_is_not_decidable_from_the_corpus(pingtan) -> None:
    """2020 prints 对外公开总数量, not 现行有效件数: x_t2_in_force has nothing to compare with.
    The gold decided 693665 with the 2022 report, which the corpus does not hold."""
    resolved = resolve_across_years(sorted(pingtan.items()))[2]
    assert resolved.ambiguous["t2.normative_docs"] == pingtan[2021].ambiguous["t2.normative_docs"]
    assert len(resolved.ambiguous_splits["t2.normative_docs"]) == 10
    assert _values(resolved, "normative_docs") == [None, None, None]


def test_the_2022_report_would_fix_in_force_but_not_the_split_before_it(pingtan) -> None:
    # the gold's note: 2022 in_force 698 = 665 + 88 − 55. That identity fixes 665; both 69/3
    # and 6/93 end in 665, so issued/repealed stay open even with the 2022 report.
    report_2022 = _t2_2021("| 88 | 55 | 698 |")
    assert _values(report_2022, "normative_docs") == [88, 55, 698]
    r2021, r2022 = resolve_across_years([(2021, pingtan[2021]), (2022, report_2022)])
    assert _values(r2021, "normative_docs") == [None, None, 665]
    assert r2021.ambiguous["t2.normative_docs"] == ["6 / 93 / 665", "69 / 3 / 665"]
    assert "x_t2_in_force with the 2022 report" in (_t2(r2021)[("normative_docs", "in_force")].note or "")
    assert r2022.cells == report_2022.cells


# --------------------------------------------------------------------------------------
# The pipeline's use: (previous, current)


def test_two_report_series_is_what_the_facts_stage_passes(pingtan) -> None:
    three = resolve_across_years(sorted(pingtan.items()))
    two = resolve_across_years([(2019, pingtan[2019]), (2020, pingtan[2020])])
    assert [to_plain(x) for x in two] == [to_plain(x) for x in three[:2]]


@pytest.mark.parametrize(
    "years",
    [[2020], [2019, 2021], [2020, 2020]],
    ids=["alone", "gap", "same-year copies"],
)
def test_without_an_adjacent_year_nothing_changes(pingtan, years) -> None:
    series = [(y, pingtan[y] if y in pingtan else pingtan[2020]) for y in years]
    out = resolve_across_years(series)
    assert [to_plain(x) for x in out] == [to_plain(ext) for _, ext in series]
    assert all(o is not ext for o, (_, ext) in zip(out, series, strict=True))


def test_inputs_untouched_and_printed_values_never_change(pingtan) -> None:
    before = {y: to_plain(x) for y, x in pingtan.items()}
    out = resolve_across_years(sorted(pingtan.items()))
    assert {y: to_plain(x) for y, x in pingtan.items()} == before
    for (_, original), resolved in zip(sorted(pingtan.items()), out, strict=True):
        assert len(resolved.cells) == len(original.cells)
        for old, new in zip(original.cells, resolved.cells, strict=True):
            if old.cell_state != "text":
                assert new == old
            elif new != old:
                assert new.inferred and new.cell_state == "number" and "across years" in (new.note or "")


def test_candidates_survive_the_json_payload(pingtan) -> None:
    """The facts stage reads extractions back from the tables partition's JSON payload."""
    reloaded = [(y, from_json(TableExtraction, to_json(x))) for y, x in sorted(pingtan.items())]
    direct = resolve_across_years(sorted(pingtan.items()))
    assert [to_plain(x) for x in resolve_across_years(reloaded)] == [to_plain(x) for x in direct]


# --------------------------------------------------------------------------------------
# Synthetic cases


def test_a_broken_identity_leaves_the_row_undecided_with_a_warning() -> None:
    # 2021 in_force can be 3665, 665, 65 or 5 after issued − repealed; the 2022 report's
    # 1000 = in_force(2021) + 1 − 0 matches none of them
    current = _t2_2021("693665")
    following = _t2_2021("| 1 | 0 | 1000 |")
    out, _ = resolve_across_years([(2021, current), (2022, following)])
    assert out.ambiguous == current.ambiguous and out.cells == current.cells
    assert any("no candidate split satisfies the cross-year identities (x_t2_in_force)" in w for w in out.warnings)


def test_too_many_combinations_are_left_alone(pingtan, monkeypatch) -> None:
    monkeypatch.setattr(arithmetic, "SEARCH_LIMIT", 5)
    r2019, _ = resolve_across_years([(2019, pingtan[2019]), (2020, pingtan[2020])])
    assert r2019.ambiguous["t2.licensing"] == pingtan[2019].ambiguous["t2.licensing"]
    assert any("too many to search" in w for w in r2019.warnings)


def _t3_cells(row: str, values: dict[str, float] | None, run: str = "") -> list[TableCell]:
    cols = ("natural_person", "commercial", "research", "social_welfare", "legal_services", "other_org", "total")
    if values is None:
        return [TableCell("t3", row, c, None, "text", run, "text", "char:0") for c in cols]
    return [
        TableCell("t3", row, c, values.get(c, 0.0), "number", str(values.get(c, 0)), "text", "char:0") for c in cols
    ]


def test_table3_carry_decides_an_ambiguous_carried_over_row() -> None:
    """x_t3_carry (along rows): this year's 上年结转 = last year's 结转下年度继续办理."""
    zeros = {c: (0.0, "0") for c in ("commercial", "research", "social_welfare", "legal_services", "other_org")}
    splits = [
        {"natural_person": (1.0, "1"), **zeros, "total": (1.0, "1")},
        {"natural_person": (10.0, "10"), **zeros, "total": (10.0, "10")},
    ]
    current = TableExtraction(
        "2021",
        _t3_cells("carried_over", None, "1 0 0 0 0 0 1 / …"),
        ambiguous={"t3.carried_over": ["1 / 0 / 0 / 0 / 0 / 0 / 1", "10 / 0 / 0 / 0 / 0 / 0 / 10"]},
        ambiguous_splits={"t3.carried_over": splits},
    )
    previous = TableExtraction("2021", _t3_cells("carried_forward", {"natural_person": 10.0, "total": 10.0}))
    _, out = resolve_across_years([(2020, previous), (2021, current)])
    values = {c.col_key: c.value for c in out.cells}
    assert values["natural_person"] == 10 and values["total"] == 10 and values["commercial"] == 0
    assert "t3.carried_over" not in out.ambiguous
    assert all("x_t3_carry with the 2020 report" in (c.note or "") for c in out.cells)
    # a blank in last year's row makes that column not assessable (blank is never 0): with
    # natural_person and total blank, the zero columns cannot tell 1 from 10, nothing changes
    blank = {"natural_person", "total"}
    blank_prev = replace(
        previous,
        cells=[replace(c, value=None, cell_state="blank") if c.col_key in blank else c for c in previous.cells],
    )
    _, out = resolve_across_years([(2020, blank_prev), (2021, current)])
    assert out.cells == current.cells and out.ambiguous == current.ambiguous


# --------------------------------------------------------------------------------------
# The year window the facts stage and eval share


def test_window_resolves_with_the_previous_and_following_year(pingtan) -> None:
    window = resolve_in_window(2020, pingtan[2020], [pingtan[2019]], [pingtan[2021]])
    series = resolve_across_years([(2019, pingtan[2019]), (2020, pingtan[2020]), (2021, pingtan[2021])])[1]
    assert window == series
    assert window != pingtan[2020]  # the window decided something


def test_window_without_neighbours_returns_the_report_itself(pingtan) -> None:
    assert resolve_in_window(2020, pingtan[2020]) is pingtan[2020]
    # a report of another year than year ± 1 is no neighbour: only the lists given count
    assert resolve_in_window(2020, pingtan[2020], [], []) is pingtan[2020]


def test_neighbour_is_the_first_with_table_3(pingtan) -> None:
    without_t3 = replace(pingtan[2019], cells=[c for c in pingtan[2019].cells if c.table_id != "t3"])
    assert pick_neighbour([]) is None
    assert pick_neighbour([pingtan[2019], without_t3]) == 0
    assert pick_neighbour([without_t3, pingtan[2019]]) == 1
    assert pick_neighbour([without_t3, without_t3]) == 0
