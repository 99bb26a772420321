"""Pre-2019 statistics forms: every flattening of the corpus tables, the declared forms."""

from __future__ import annotations

import pytest
from legacy_flatten import CORPUS, STYLES, flattening, gold_of, legacy_reports

from govreport_dagster.core.decode import decode_file
from govreport_dagster.core.sectioning import section_report
from govreport_dagster.core.tables import extract_tables
from govreport_dagster.core.tables.legacy import read_legacy
from govreport_dagster.core.tables.legacy_forms import form, legacy_forms
from govreport_dagster.core.templates import strip_item_number

REPORTS = legacy_reports()


def _values(name: str, data: bytes) -> dict[str, tuple]:
    doc = decode_file(data, name)
    sectioned = section_report(doc)
    extraction = extract_tables(doc, sectioned)
    assert extraction.layout_version == "pre2019"
    return {
        strip_item_number(r.indicator_label): (r.this_period, r.cumulative, r.indicator_key) for r in extraction.legacy
    }


def test_corpus_has_legacy_reports() -> None:
    assert REPORTS == ["001.txt", "003.txt"]


@pytest.mark.parametrize("name", REPORTS)
@pytest.mark.parametrize("style", STYLES)
def test_every_flattening_reads_like_the_original(name: str, style: str) -> None:
    original = _values(name, (CORPUS / name).read_bytes())
    variant_name, data = flattening(name, style)
    variant = _values(variant_name, data)
    gold = {
        strip_item_number(r["indicator"]): (r["this_year"], r["cumulative"]) for r in gold_of(name)["pre2019_table"]
    }
    assert {k: v[:2] for k, v in original.items()} == gold
    assert variant == original
    assert all(key for _t, _c, key in variant.values())  # every row of the form has an indicator key


def test_run_together_row_from_the_issue() -> None:
    text = (
        "附表 指标名称计量单位2014年度历年累计主动公开文件数条35614820"
        "其中：1、政府网站公开数条356148202、政府公报公开数条00"
    )
    read = read_legacy(text)
    rows = {r.indicator_key: (r.unit, r.this_period, r.cumulative) for r in read.rows}
    # 35614820: 3/5614820, 35/614820 and 356/14820 all keep this year ≤ cumulative; the form
    # alone cannot decide, so the value stays null with its candidates.
    assert rows["items_published"] == ("条", None, None)
    assert "356 / 14820" in read.ambiguous["legacy.items_published"]
    # The narrative's count decides it; the website sub-row is bounded by it.
    read = read_legacy("2014年主动公开政府信息356条。" + text, published=[356])
    rows = {r.indicator_key: (r.unit, r.this_period, r.cumulative) for r in read.rows}
    assert rows["items_published"] == ("条", 356, 14820)
    assert rows["items_published_website"] == ("条", 356, 14820)
    assert rows["items_published_gazette"] == ("条", 0, 0)


def test_sub_rows_sum_decides_the_parent() -> None:
    # 受理 = 当面 + 网上 + 信函传真: "1113" could be 1/113, 11/13 or 111/3 (this ≤ cumulative
    # rules out the last); the channels (4/5, 6/7, 1/1) sum to 11/13.
    text = (
        "指标名称计量单位2015年度历年累计受理依申请公开信息总数条1113其中：1、当面申请数条45"
        "2、网上申请数条67 3、信函、传真申请数条 1 1"
    )
    rows = {r.indicator_key: (r.this_period, r.cumulative) for r in read_legacy(text).rows}
    assert rows["applications_received"] == (11, 13)


def test_national_2014_form_one_value_column_and_notes() -> None:
    rows = [
        ("一、主动公开情况", "", ""),
        ("（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）", "条", "1520"),
        ("其中：主动公开规范性文件数", "条", "12"),
        ("制发规范性文件总数", "件", "15"),
        ("三、依申请公开情况", "", ""),
        ("（一）收到申请数", "件", "9"),
        ("1.当面申请数", "件", "2"),
        ("2.传真申请数", "件", "0"),
        ("3.网络申请数", "件", "6"),
        ("4.信函申请数", "件", "1"),
        ("四、行政复议数量", "件", "1"),
        ("（一）维持具体行政行为数", "件", "1"),
        ("（二）被依法纠错数", "件", "0"),
        ("（三）其他情形数", "件", "0"),
        ("七、依申请公开信息收取的费用", "万元", "0.05"),
    ]
    for sep in (" | ", "\n", ""):
        text = (
            "政府信息公开情况统计表\n统计指标" + sep + "单位" + sep + "统计数\n" + "\n".join(sep.join(r) for r in rows)
        )
        read = read_legacy(text)
        assert read.form_id == "national_2014"
        got = {r.indicator_key: r.this_period for r in read.rows}
        assert got["items_published"] == 1520  # the 1 of 计1条 is not a value
        assert got["applications_received"] == 9 and got["applications_online"] == 6
        assert got["review_upheld"] == 1 and got["review_corrected"] == 0
        assert got["fees_10k_yuan"] == pytest.approx(0.05)
        assert got["active_disclosure_group"] is None
        assert all(r.indicator_key for r in read.rows) and all(r.cumulative is None for r in read.rows)


def test_coded_form_strips_indicator_codes() -> None:
    text = (
        "指标名称计量单位代码本期实际本年累计主动公开信息数条01520"
        "其中：全文电子化的主动公开信息数条02520行政复议数件3201"
    )
    rows = {r.indicator_key: (r.this_period, r.cumulative) for r in read_legacy(text).rows}
    assert rows["items_published"] == (5, 20)
    assert rows["items_fulltext_electronic"] == (5, 20)
    assert rows["review_cases"] == (0, 1)


def test_every_declared_row_has_a_key_and_unique_keys_per_form() -> None:
    for f in legacy_forms():
        keys = [r.key for r in f.rows]
        assert all(keys) and len(keys) == len(set(keys)), f.id
        assert all(r.parent in keys for r in f.rows if r.parent), f.id
    assert len(form("national_2014").rows) >= 60


def test_search_is_capped_to_undecidable() -> None:
    from govreport_dagster.core.tables import legacy_split

    many = [[(float(i), float(i + 100))] for i in range(3)]
    wide = [[(float(j), float(j + 1)) for j in range(20)] for _ in range(4)]
    cands = [[(1.0, 2.0), (3.0, 4.0)], *wide]
    c = legacy_split.Constraint("x", "sum", 0, (1, 2, 3, 4))
    capped: set[str] = set()
    assert legacy_split.narrow(cands, [c], 2, capped) == []  # 20**4 > cap: nothing decided
    assert len(cands[0]) == 2 and capped == {"x"}
    assert many  # readings read from cells are untouched


def test_form_identities_in_the_facts_suite() -> None:
    """The corpus report's form identities are identity_checks the GX facts suite validates:
    sums as equalities, bounds (parent ≥ sub-row, cumulative ≥ this year) as inequalities."""
    from govreport_dagster.core.facts import build_facts
    from govreport_dagster.core.model import RawFile, ReportBundle
    from govreport_dagster.quality import runtime

    data = (CORPUS / "003.txt").read_bytes()
    doc = decode_file(data, "003.txt")
    sectioned = section_report(doc)
    raw = RawFile("file://003.txt", len(data), "sha", "txt")
    bundle = ReportBundle("r003", 2015, raw, doc, sectioned, extract_tables(doc, sectioned))
    frames = build_facts([bundle], [])
    checks = frames["identity_checks"]
    assert {"lf_period_bound", "lf_requests_channels", "lf_replies_kinds", "lf_items_channels_bound"} <= set(
        checks["identity_id"]
    )
    assert set(checks["status"]) == {"passed"}
    outcomes = {o.check_name: o for o in runtime.validate_frames(frames)}
    for name in ("identity_lf_period_bound", "identity_lf_requests_channels", "identity_lf_items_channels_bound"):
        assert outcomes[name].success and outcomes[name].exception is None, name
    assert not [o for o in outcomes.values() if o.blocking_failure]


def test_a_broken_bound_fails_its_gx_expectation() -> None:
    from builders import make_bundle

    from govreport_dagster.core.facts import build_facts
    from govreport_dagster.core.model import LegacyIndicatorRow
    from govreport_dagster.quality import runtime

    legacy = [LegacyIndicatorRow(1, "主动公开信息数", "items_published", None, "条", 30, 20, "30 20")]
    frames = build_facts([make_bundle("b", 2012, legacy=legacy)], [])
    outcomes = {o.check_name: o for o in runtime.validate_frames(frames)}
    assert not outcomes["identity_lf_period_bound"].success  # this year 30 > cumulative 20
    assert frames["reports"].iloc[0]["quality_status"] == "identity_violation"


def test_serial_number_column_is_not_a_value() -> None:
    text = (
        "政府信息公开情况统计表\n| 序号 | 统计指标 | 单位 | 统计数 |\n| 1 | 一、主动公开情况 | ---- | |\n"
        "| 2 | （一）主动公开政府信息数（不同渠道和方式公开相同信息计1条） | 条 | 35 |\n"
        "| 3 | 其中：主动公开规范性文件数 | 条 | 4 |\n| 4 | 制发规范性文件总数 | 件 | 6 |\n"
    )
    read = read_legacy(text)
    got = {r.indicator_key: r.this_period for r in read.rows}
    assert got == {
        "active_disclosure_group": None,
        "items_published": 35,
        "normative_docs_published": 4,
        "normative_docs_issued": 6,
    }
    assert read.warnings == []


def test_layout_by_year_and_tables() -> None:
    from govreport_dagster.core.model import DecodedDocument

    def layout(text: str) -> str:
        return section_report(DecodedDocument("mem://x.txt", "txt", "utf-8", "simplified", text, text)).layout_version

    form = "附表 指标名称计量单位年度历年累计主动公开信息数条5060受理依申请公开信息总数条00"
    # no year at all, but a declared pre-2019 form: pre2019
    assert layout("政府信息公开工作年度报告\n一、概述\n正文。\n" + form) == "pre2019"
    # a 2018 report that prints the 2019 tables is read with them
    new_tables = (
        "某县2018年政府信息公开工作年度报告\n一、总体情况\n二、主动公开政府信息情况\n"
        "第二十条第（一）项 信息内容 本年新制作数量 本年新公开数量 对外公开总数量 规章 0 0 0\n"
        "第二十条第（五）项 信息内容 上一年项目数量 本年增/减 处理决定数量 行政许可 1 0 3\n"
    )
    assert layout(new_tables) == "2019"
    # …but a few new labels in the prose of a 2017 report are not tables
    assert layout("某县2017年政府信息公开工作年度报告\n一、总体情况\n全年本年新制作数量较多。\n") == "pre2019"


def test_a_row_label_in_the_prose_before_the_table_is_not_a_row() -> None:
    prose = "本报告附政府信息公开情况统计表。全年主动公开信息数较上年增加，" + "工作稳步推进。" * 60
    table = "附件：主动公开信息数条1020受理依申请公开信息总数条23"  # no header: the title is the only anchor
    read = read_legacy(prose + table)
    got = {r.indicator_key: (r.this_period, r.cumulative) for r in read.rows}
    assert got == {"items_published": (10, 20), "applications_received": (2, 3)}


def test_an_undeclared_sub_row_keeps_the_sum_out_of_the_split() -> None:
    # A local form adds "7、其他申请数" under 受理: the declared channels no longer sum to the
    # parent, so 1113 (1/113 or 11/13) must stay open rather than be decided by them.
    text = (
        "指标名称计量单位2015年度历年累计受理依申请公开信息总数条1113其中：1、当面申请数条45"
        "2、网上申请数条67 3、信函、传真申请数条 1 1 7、其他申请数条00"
    )
    read = read_legacy(text)
    rows = {r.indicator_label: (r.indicator_key, r.this_period) for r in read.rows}
    assert rows["受理依申请公开信息总数"] == ("applications_received", None)
    assert any(label.endswith("其他申请数") and key is None for label, (key, _v) in rows.items())
    from govreport_dagster.core.legacy_identities import evaluate_legacy

    sums = [r for r in evaluate_legacy(read.rows) if r.identity_id == "lf_requests_channels"]
    assert sums and all(r.status == "not_assessable" for r in sums)
