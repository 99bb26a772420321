"""Table extraction: seeds (done-when), each flattened form, digit runs, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from govreport_dagster.core.model import DecodedDocument, ReportMetadata, SectionedReport
from govreport_dagster.core.sectioning import section_report
from govreport_dagster.core.tables import extract_tables
from govreport_dagster.core.tables.digits import parse_number, split_groups
from govreport_dagster.core.tables.legacy import extract_legacy

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


def _doc(text: str) -> DecodedDocument:
    return DecodedDocument("mem://x.txt", "txt", "utf-8", "simplified", text, text)


def _unsectioned(version: str) -> SectionedReport:
    return SectionedReport(ReportMetadata(), [], version, version)


def _grid(extraction, table_id):
    return {(c.row_key, c.col_key): c for c in extraction.cells if c.table_id == table_id}


def _pipeline(path: Path):
    from govreport_dagster.core.decode import decode_file
    from govreport_dagster.core.sectioning import section_report

    doc = decode_file(path.read_bytes(), str(path))
    return extract_tables(doc, section_report(doc))


# --------------------------------------------------------------------------------------
# Done-when: seeds


def test_seed_002_extracts_completely() -> None:
    x = _pipeline(next(SAMPLE.glob("002_*.txt")))
    assert x.missing == []
    t2 = _grid(x, "t2")
    assert len(t2) == 10  # 2×3 + licensing + punishment + coercion + fees
    for (row, _col), cell in t2.items():
        expected = {"punishment": 24, "coercion": 1}.get(row, 0)
        assert (cell.cell_state, cell.value) == ("number", expected), (row, cell)
    t3 = _grid(x, "t3")
    assert len(t3) == 25 * 7
    for (row, col), cell in t3.items():
        if row in ("other_overdue_fee", "other_other"):
            assert cell.value is None and cell.cell_state == "blank", (row, col)
        else:
            assert (cell.cell_state, cell.value) == ("number", 0), (row, col, cell)
    t4 = _grid(x, "t4")
    assert len(t4) == 15 and all(c.value == 0 and c.cell_state == "number" for c in t4.values())


@pytest.mark.parametrize("prefix", ["000", "001", "003", "004"])
def test_seeds_without_tables_report_them_missing(prefix: str) -> None:
    x = _pipeline(next(SAMPLE.glob(f"{prefix}_*.txt")))
    assert x.cells == []
    assert {m.table_id for m in x.missing} == {"t2", "t3", "t4"}
    for m in x.missing:
        assert m.reason and ("pre2019" in m.reason or "has no table" in m.reason or "not found" in m.reason)


# --------------------------------------------------------------------------------------
# Forms

T2_PIPES = """二、主动公开政府信息情况
第二十条第(一)项 | | |
信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数
规章 | 1 | | /
行政规范性文件 | 1,234 | 0 | 12
第二十条第(五)项
信息内容 | 本年处理决定数量
行政许可 | 1.2万
第二十条第(六)项
信息内容 | 本年处理决定数量
行政处罚 | 5
行政强制 | —
行政检查 | 7
第二十条第(八)项
信息内容 | 本年收费金额(单位:万元)
行政事业性收费 | 0.35
三、收到和处理政府信息公开申请情况
"""


def test_pipe_rows_blank_na_units_and_unknown_label() -> None:
    x = extract_tables(_doc(T2_PIPES), _unsectioned("2021"))
    t2 = _grid(x, "t2")
    assert t2[("rules", "issued")].value == 1
    assert t2[("rules", "repealed")].cell_state == "blank" and t2[("rules", "repealed")].value is None
    assert t2[("rules", "in_force")].cell_state == "not_applicable"
    assert t2[("normative_docs", "issued")].value == 1234
    assert t2[("licensing", "decisions")].value == 12000 and "converted" in (t2[("licensing", "decisions")].note or "")
    assert t2[("coercion", "decisions")].cell_state == "not_applicable"
    assert t2[("fees", "amount_10k_yuan")].value == pytest.approx(0.35)
    unmapped = [c for c in x.cells if c.row_key.startswith("unmapped:")]
    assert [(c.row_key, c.value) for c in unmapped] == [("unmapped:行政检查", 7)]
    assert any("行政检查" in w for w in x.warnings)
    assert t2[("punishment", "decisions")].value == 5  # the unknown row did not shift it


PDF_T3 = """三、收到和处理政府信息公开申请情况
                                         申请人情况
（本列数据的勾稽关系为：第一项加第二项之和，
等于第三项加第四项之和）        自然人   商业企业  科研机构 社会公益组织 法律服务机构 其他  总计
一、本年新收政府信息公开申请数量          10    1    0    0    0    0    11
二、上年结转政府信息公开申请数量           1    0    0    0    0    0     1
      （一）予以公开                   5    1    0    0    0    0    6
      （二）部分公开（区分处理的，只计这一情
                                  2    0    0    0    0    0    2
      形，不计其他情形）
三、
本        1.属于国家秘密            0    0    0    0    0    0    0
"""


def test_pdf_text_wrapped_labels_and_vertical_group() -> None:
    x = extract_tables(_doc(PDF_T3), _unsectioned("2021"))
    t3 = _grid(x, "t3")
    assert [t3[("new_received", c)].value for c in ("natural_person", "commercial", "total")] == [10, 1, 11]
    assert t3[("partially_granted", "natural_person")].value == 2
    assert t3[("partially_granted", "total")].value == 2
    assert t3[("withheld_state_secret", "total")].value == 0
    assert not any(c.row_key.startswith("unmapped:") for c in x.cells)


RUN_T4 = (
    "四、政府信息公开行政复议、行政诉讼情况行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计"
    "未经复议直接起诉复议后起诉结果维持结果纠正其他结果尚未审结总计结果维持结果纠正其他结果尚未审结总计"
    "10203120001200000 五、存在的主要问题"
)


def test_run_together_t4_split_by_block_totals() -> None:
    x = extract_tables(_doc(RUN_T4), _unsectioned("2021"))
    t4 = _grid(x, "t4")
    assert [t4[("review", c)].value for c in ("upheld", "corrected", "other", "pending", "total")] == [1, 0, 2, 0, 3]
    assert t4[("litigation_direct", "total")].value == 12
    assert all(c.inferred for c in t4.values())


def test_ambiguous_run_gives_null_with_candidates() -> None:
    text = "第二十条第（一）项信息内容本年制发件数本年废止件数现行有效件数规章000行政规范性文件693665第二十条第（五）项"
    x = extract_tables(_doc(text), _unsectioned("2021"))
    t2 = _grid(x, "t2")
    assert [t2[("rules", c)].value for c in ("issued", "repealed", "in_force")] == [0, 0, 0]
    cell = t2[("normative_docs", "issued")]
    assert cell.value is None and cell.cell_state == "text" and cell.raw_text == "693665"
    assert "69 / 3 / 665" in x.ambiguous["t2.normative_docs"]


def test_pre2019_legacy_rows() -> None:
    text = (
        "2011年主动公开政府信息425条。附表 指标名称计量单位2011年度历年累计主动公开信息数条4251516"
        "其中：1.网站公开条41815092.政府公报公开条77受理依申请公开信息总数条00"
    )
    # the prose's 主动公开政府信息425条 (the narrative stage's items_published) decides the first run
    rows, _ = extract_legacy(text, [425.0])
    got = [(r.indicator_label, r.unit, r.this_period, r.cumulative, r.parent_ordinal) for r in rows]
    assert got == [
        ("主动公开信息数", "条", 425, 1516, None),
        ("其中：1.网站公开", "条", 418, 1509, 1),
        ("2.政府公报公开", "条", 7, 7, 1),
        ("受理依申请公开信息总数", "条", 0, 0, None),
    ]
    assert rows[0].indicator_key == "items_published"


def test_digit_helpers() -> None:
    assert ("64", "0", "0", "2", "0", "4", "70") in split_groups(["640020470"], 7)
    assert split_groups(["0000000"], 7) == [("0",) * 7]
    assert all(not p.startswith("0") or p == "0" for s in split_groups(["3960181"], 3) for p in s)
    assert parse_number("575394432.52元", "元")[0] == pytest.approx(575394432.52)
    assert parse_number("1.5万元", "元")[0] == 15000


@pytest.mark.parametrize(
    "text", ["", "第二十条第（一）项", "|||||", "四、行政复议 复议后起诉 1 2", "指标名称 累计 x条"]
)
def test_bad_input_never_raises(text: str) -> None:
    for version in ("2019", "2021", "pre2019"):
        x = extract_tables(_doc(text), _unsectioned(version))
        assert x.layout_version == version


def test_pre2019_published_count_from_the_prose_decides_a_run() -> None:
    text = "附表 指标名称计量单位2011年度历年累计主动公开信息数条4251516受理依申请公开信息总数条00"
    undecided, warnings = extract_legacy(text)
    assert (undecided[0].this_period, undecided[0].cumulative) == (None, None)
    assert any("ambiguous" in w for w in warnings)
    decided, _ = extract_legacy(text, [425.0])
    assert (decided[0].this_period, decided[0].cumulative) == (425, 1516)
    # through the stages: sectioning's narrative metric reaches the legacy reader
    doc = _doc("2011年，本机关主动公开政府信息425条。" + text)
    x = extract_tables(doc, section_report(doc))
    assert (x.legacy[0].this_period, x.legacy[0].cumulative) == (425, 1516)
