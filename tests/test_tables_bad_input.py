"""Table extraction on bad input (issue 5, "Bad input"): columns in another order, a table
split by a page break with its header repeated, the next section's heading after a table,
extra and missing rows, numbers with units and separators."""

from __future__ import annotations

from pathlib import Path

import pytest

from govreport_dagster.core.model import DecodedDocument, Grid, GridCell, ReportMetadata, SectionedReport
from govreport_dagster.core.tables import extract_tables
from govreport_dagster.core.templates import load_templates

CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
T3_COLS = ["natural_person", "commercial", "research", "social_welfare", "legal_services", "other_org", "total"]


def _doc(text: str, tables: list[Grid] | None = None) -> DecodedDocument:
    return DecodedDocument("mem://x.txt", "txt", "utf-8", "simplified", text, text, tables or [])


def _unsectioned(version: str = "2021") -> SectionedReport:
    return SectionedReport(ReportMetadata(), [], version, version)


def _cells(extraction, table_id: str) -> dict[tuple[str, str], object]:
    return {(c.row_key, c.col_key): c for c in extraction.cells if c.table_id == table_id}


def _values(extraction, table_id: str) -> dict[tuple[str, str], float | None]:
    return {k: c.value for k, c in _cells(extraction, table_id).items()}


def _grid(spec: list[list[str | tuple[str, int, int]]], char_start: int, char_end: int) -> Grid:
    """Expand an HTML-like table (cells as text or (text, rowspan, colspan)) into a Grid."""
    taken: dict[tuple[int, int], GridCell] = {}
    for r, row in enumerate(spec):
        c = 0
        for cell in row:
            text, rs, cs = (cell, 1, 1) if isinstance(cell, str) else cell
            while (r, c) in taken:
                c += 1
            for dr in range(rs):
                for dc in range(cs):
                    taken[(r + dr, c + dc)] = GridCell(text, r + dr, c + dc, r, c, rs, cs)
            c += cs
    n_rows = max(r for r, _ in taken) + 1
    n_cols = max(c for _, c in taken) + 1
    rows = [[taken.get((r, c), GridCell("", r, c, r, c)) for c in range(n_cols)] for r in range(n_rows)]
    return Grid(rows, "html", char_start, char_end)


# --------------------------------------------------------------------------------------
# Table 3 generated from the template: every row with distinct values, total = row sum


def _t3_rows(version: str = "2021"):
    layout = load_templates().layout("t3", version)
    assert layout is not None
    return layout.blocks[0].rows


def _t3_expected(version: str = "2021") -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for i, row in enumerate(_t3_rows(version)):
        parts = [(i + j) % 4 + (j == 0) * 10 for j in range(6)]  # natural_person ≥ 10: no ties
        for col, v in zip(T3_COLS, [*parts, sum(parts)], strict=True):
            out[(row.key, col)] = float(v)
    return out


T3_LABELS = {
    "natural_person": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "social_welfare": "社会公益组织",
    "legal_services": "法律服务机构",
    "other_org": "其他",
    "total": "总计",
}


def _t3_pipes(order: list[str], *, skip: tuple[str, ...] = (), extra_after: str | None = None) -> str:
    expected = _t3_expected()
    lines = [
        "三、收到和处理政府信息公开申请情况",
        "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和） | 申请人情况",
        "| " + " | ".join(T3_LABELS[c] for c in order) + " |",
    ]
    for row in _t3_rows():
        if row.key in skip:
            continue
        lines.append(f"{row.label} | " + " | ".join(f"{expected[(row.key, c)]:g}" for c in order) + " |")
        if row.key == extra_after:
            lines.append("（八）其他情形 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |")
    lines.append("四、政府信息公开行政复议、行政诉讼情况")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------
# Columns in another order


def test_t3_pipe_rows_template_order_no_warning() -> None:
    x = extract_tables(_doc(_t3_pipes(T3_COLS)), _unsectioned())
    assert _values(x, "t3") == _t3_expected()
    assert not any("order" in w for w in x.warnings)


def test_t3_pipe_rows_columns_in_another_order_read_by_header() -> None:
    order = ["total", "natural_person", "research", "commercial", "social_welfare", "other_org", "legal_services"]
    x = extract_tables(_doc(_t3_pipes(order)), _unsectioned())
    assert _values(x, "t3") == _t3_expected()
    warning = next(w for w in x.warnings if "columns printed in another order" in w)
    assert warning.startswith("t3:") and "总计 | 自然人 | 科研机构 | 商业企业" in warning


def test_t3_grid_with_merged_group_and_swapped_members() -> None:
    expected = _t3_expected()
    order = ["natural_person", "research", "commercial", "social_welfare", "legal_services", "other_org", "total"]
    spec: list[list[str | tuple[str, int, int]]] = [
        [("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 1), ("申请人情况", 1, 7)],
        [("自然人", 2, 1), ("法人或其他组织", 1, 5), ("总计", 2, 1)],
        ["科研机构", "商业企业", "社会公益组织", "法律服务机构", "其他"],
    ]
    for row in _t3_rows():
        spec.append([row.label, *(f"{expected[(row.key, c)]:g}" for c in order)])
    text = "三、收到和处理政府信息公开申请情况\n" + "\n".join(
        " ".join(c if isinstance(c, str) else c[0] for c in row) for row in spec
    )
    x = extract_tables(
        _doc(text, [_grid(spec, len("三、收到和处理政府信息公开申请情况\n"), len(text))]), _unsectioned()
    )
    cells = _cells(x, "t3")
    assert {k: c.value for k, c in cells.items()} == expected
    assert all(c.source == "grid" for c in cells.values())
    # the value under 科研机构 came from grid column 2 (the printed position), not column 3
    assert cells[("new_received", "research")].position.endswith("c2")
    assert any("columns printed in another order" in w for w in x.warnings)


def test_t3_grid_in_template_order_no_warning() -> None:
    expected = _t3_expected()
    spec: list[list[str | tuple[str, int, int]]] = [
        [("（本列数据的勾稽关系为）", 3, 1), ("申请人情况", 1, 7)],
        [("自然人", 2, 1), ("法人或其他组织", 1, 5), ("总计", 2, 1)],
        ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"],
    ]
    for row in _t3_rows():
        spec.append([row.label, *(f"{expected[(row.key, c)]:g}" for c in T3_COLS)])
    x = extract_tables(_doc("x" * 10, [_grid(spec, 0, 10)]), _unsectioned())
    assert _values(x, "t3") == expected
    assert not any("order" in w for w in x.warnings)


T2_SWAPPED = """二、主动公开政府信息情况
第二十条第（一）项
信息内容 | 现行有效件数 | 本年制发件数 | 本年废止件数
规章 | 7 | 1 | 0
行政规范性文件 | 30 | 5 | 2
第二十条第（五）项
信息内容 | 本年处理决定数量
行政许可 | 3
三、收到和处理政府信息公开申请情况
"""


def test_t2_pipe_rows_columns_in_another_order() -> None:
    x = extract_tables(_doc(T2_SWAPPED), _unsectioned())
    t2 = _values(x, "t2")
    assert (t2[("rules", "issued")], t2[("rules", "repealed")], t2[("rules", "in_force")]) == (1, 0, 7)
    assert [t2[("normative_docs", c)] for c in ("issued", "repealed", "in_force")] == [5, 2, 30]
    assert t2[("licensing", "decisions")] == 3
    assert [w for w in x.warnings if "order" in w] == [
        "t2 20_1: columns printed in another order: 现行有效件数 | 本年制发件数 | 本年废止件数"
    ]


def test_t2_grid_columns_in_another_order() -> None:
    spec: list[list[str | tuple[str, int, int]]] = [
        ["信息内容", "本年废止件数", "现行有效件数", "本年制发件数"],
        ["规章", "0", "7", "1"],
        ["行政规范性文件", "2", "30", "5"],
    ]
    head = "二、主动公开政府信息情况\n第二十条第（一）项\n"
    text = head + "\n".join(" ".join(row) for row in spec) + "\n三、收到和处理政府信息公开申请情况\n"  # type: ignore[arg-type]
    x = extract_tables(_doc(text, [_grid(spec, len(head), len(text) - 20)]), _unsectioned())
    t2 = _cells(x, "t2")
    assert [t2[("rules", c)].value for c in ("issued", "repealed", "in_force")] == [1, 0, 7]
    assert [t2[("normative_docs", c)].value for c in ("issued", "repealed", "in_force")] == [5, 2, 30]
    assert t2[("normative_docs", "issued")].source == "grid"
    assert any("t2 20_1: columns printed in another order" in w for w in x.warnings)


def test_t2_one_cell_per_line_columns_in_another_order() -> None:
    cells = ["信息内容", "本年废止\n件数", "本年制发件数", "现行有效件数", "规章", "0", "1", "7"]
    text = "第二十条第（一）项\n|\n|||\n" + "\n|\n".join(cells) + "\n|\n第二十条第（五）项\n"
    x = extract_tables(_doc(text), _unsectioned())
    t2 = _values(x, "t2")
    assert [t2[("rules", c)] for c in ("issued", "repealed", "in_force")] == [1, 0, 7]
    assert any("columns printed in another order: 本年废止件数 | 本年制发件数 | 现行有效件数" in w for w in x.warnings)


def test_no_header_keeps_template_order() -> None:
    """Bare number lines: nothing to read the order from; the template's order it is."""
    text = "第二十条第（一）项\n规章 1 0 7\n行政规范性文件 5 2 30\n第二十条第（五）项\n"
    x = extract_tables(_doc(text), _unsectioned())
    t2 = _values(x, "t2")
    assert [t2[("rules", c)] for c in ("issued", "repealed", "in_force")] == [1, 0, 7]
    assert not any("order" in w for w in x.warnings)


def test_contradicting_header_keeps_template_order_with_warning() -> None:
    text = (
        "第二十条第（一）项\n信息内容 | 现行有效件数 | 本年制发件数\n本年制发件数 | 现行有效件数 | 本年废止件数\n"
        "规章 | 1 | 0 | 7\n第二十条第（五）项\n"
    )
    x = extract_tables(_doc(text), _unsectioned())
    assert [_values(x, "t2")[("rules", c)] for c in ("issued", "repealed", "in_force")] == [1, 0, 7]
    assert any("column header order unclear" in w for w in x.warnings)


# --------------------------------------------------------------------------------------
# A page break with the header printed again


T3_HEADER_PDF = """                                         申请人情况
（本列数据的勾稽关系为：第一项加第二项之和，       法人或其他组织
等于第三项加第四项之和）        自然人   商业企业  科研机构 社会公益组织 法律服务机构 其他  总计
"""


def _t3_pdf_split(break_before: str, page_break: list[str], *, repeat_header: bool = True) -> str:
    expected = _t3_expected()
    lines = ["三、收到和处理政府信息公开申请情况", T3_HEADER_PDF.rstrip("\n")]
    for row in _t3_rows():
        if row.key == break_before:
            lines += [*page_break, *([T3_HEADER_PDF.rstrip("\n")] if repeat_header else [])]
        lines.append(f"    {row.label}    " + "   ".join(f"{expected[(row.key, c)]:g}" for c in T3_COLS))
    lines.append("四、政府信息公开行政复议、行政诉讼情况")
    return "\n".join(lines) + "\n"


PAGE_BREAKS = {
    "footer": ["", "                                   -4-", ""],
    "footer_and_running_title": ["                 第 4 页 共 7 页", "某某县审计局2021年政府信息公开工作年度报告"],
    "running_title_only": ["某某县审计局2021年政府信息公开工作年度报告"],
}


@pytest.mark.parametrize("page_break", PAGE_BREAKS)
@pytest.mark.parametrize("break_before", ["withheld_third_party_rights", "not_processed_complaint", "carried_forward"])
def test_t3_split_by_page_break_with_header_repeated(break_before: str, page_break: str) -> None:
    x = extract_tables(_doc(_t3_pdf_split(break_before, PAGE_BREAKS[page_break])), _unsectioned())
    t3 = [c for c in x.cells if c.table_id == "t3"]
    keys = [(c.row_key, c.col_key) for c in t3]
    assert len(keys) == len(set(keys)), "duplicate cells"
    assert not [c.row_key for c in t3 if c.row_key.startswith("unmapped:")]
    assert {k: c.value for k, c in zip(keys, t3, strict=True)} == _t3_expected()
    assert not any("row label not in the template" in w or "values for" in w for w in x.warnings)


def test_t3_page_footer_ends_the_row_even_without_a_repeated_header() -> None:
    text = _t3_pdf_split("granted", PAGE_BREAKS["footer_and_running_title"], repeat_header=False)
    x = extract_tables(_doc(text), _unsectioned())
    assert _values(x, "t3") == _t3_expected()
    assert not [c for c in x.cells if c.row_key.startswith("unmapped:")]


def test_t2_split_by_page_break_with_header_repeated() -> None:
    text = (
        "第二十条第（一）项\n信息内容 本年制发件数 本年废止件数 现行有效件数\n规章 1 0 7\n"
        "某某县2021年度报告\n信息内容 本年制发件数 本年废止件数 现行有效件数\n"
        "行政规范性文件 5 2 30\n第二十条第（五）项\n"
    )
    x = extract_tables(_doc(text), _unsectioned())
    t2 = _values(x, "t2")
    assert [t2[("rules", c)] for c in ("issued", "repealed", "in_force")] == [1, 0, 7]
    assert [t2[("normative_docs", c)] for c in ("issued", "repealed", "in_force")] == [5, 2, 30]
    assert not any(c.row_key.startswith("unmapped:") for c in x.cells)


# --------------------------------------------------------------------------------------
# The next section's heading ends the table


def test_corpus_034_next_heading_is_not_a_table_3_row() -> None:
    from govreport_dagster.core.decode import decode_file
    from govreport_dagster.core.sectioning import section_report

    path = CORPUS / "034.txt"
    doc = decode_file(path.read_bytes(), str(path))
    x = extract_tables(doc, section_report(doc))
    assert not [c for c in x.cells if c.row_key.startswith("unmapped:")]
    assert not any("row label not in the template" in w for w in x.warnings)
    t3 = _cells(x, "t3")
    assert set(t3) == {("carried_forward", c) for c in T3_COLS}
    assert all(c.value == 0 for c in t3.values())
    t4 = _cells(x, "t4")
    assert len(t4) == 15 and all(c.value == 0 and c.cell_state == "number" for c in t4.values())


def test_heading_variant_of_next_section_ends_table_3() -> None:
    text = "（七）总计 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |\n四、结转下年度继续办理 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n"
    text += "四、因政府信息公开工作被申请行政复议、提起行政诉讼情况 | 2020 |\n"
    x = extract_tables(_doc(text), _unsectioned())
    assert not [c for c in x.cells if c.row_key.startswith("unmapped:")]
    assert _values(x, "t3")[("carried_forward", "total")] == 0


# --------------------------------------------------------------------------------------
# Extra and missing rows


def test_t3_extra_unknown_row_kept_unmapped_with_warning() -> None:
    x = extract_tables(_doc(_t3_pipes(T3_COLS, extra_after="total_processed")), _unsectioned())
    unmapped = {(c.row_key, c.col_key): c.value for c in x.cells if c.row_key.startswith("unmapped:")}
    assert unmapped[("unmapped:（八）其他情形", "natural_person")] == 1
    assert unmapped[("unmapped:（八）其他情形", "total")] == 1
    assert any("（八）其他情形" in w and "not in the template" in w for w in x.warnings)
    assert _values(x, "t3") | {} == _t3_expected() | {k: v for k, v in unmapped.items()}  # neighbours intact


def test_t3_missing_row_is_omitted_and_reported() -> None:
    x = extract_tables(_doc(_t3_pipes(T3_COLS, skip=("not_processed_repeated",))), _unsectioned())
    values = _values(x, "t3")
    assert not any(row == "not_processed_repeated" for row, _ in values)
    expected = {k: v for k, v in _t3_expected().items() if k[0] != "not_processed_repeated"}
    assert values == expected
    assert any("rows not found" in w and "not_processed_repeated" in w for w in x.warnings)


# --------------------------------------------------------------------------------------
# Numbers with units and separators


def test_numbers_with_separators_and_units() -> None:
    text = (
        "第二十条第（一）项\n信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数\n"
        "规章 | 1,234 | 12件 | 1.2万\n第二十条第（五）项\n"
    )
    x = extract_tables(_doc(text), _unsectioned())
    t2 = _cells(x, "t2")
    assert [t2[("rules", c)].value for c in ("issued", "repealed", "in_force")] == [1234, 12, 12000]
    assert [t2[("rules", c)].raw_text for c in ("issued", "repealed", "in_force")] == ["1,234", "12件", "1.2万"]
    assert [w for w in x.warnings if "万" in w] == [
        "t2.rules.in_force: 万 unit converted in a count column: '1.2万' → 12000"
    ]


def test_wan_yuan_in_a_yuan_column_is_converted_without_count_warning() -> None:
    text = "第二十条第（九）项\n信息内容 | 采购项目数量 | 采购总金额\n政府集中采购 | 3 | 1.5万元\n"
    x = extract_tables(_doc(text), _unsectioned("2019"))
    cell = _cells(x, "t2")[("procurement", "amount_yuan")]
    assert cell.value == 15000 and "converted" in (cell.note or "")
    assert not any("count column" in w for w in x.warnings)
