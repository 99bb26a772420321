"""Stage 2 sectioning on the seeds, the bundled corpus and bad input."""

from __future__ import annotations

import json
from datetime import date
from functools import cache

import pytest
from builders import CORPUS, SAMPLE

from govreport_dagster.core.decode import decode_file
from govreport_dagster.core.layout import _layout_markers
from govreport_dagster.core.metadata import agency_match_key
from govreport_dagster.core.model import DecodedDocument, SectionedReport
from govreport_dagster.core.sectioning import find_sections, layout_evidence, section_report
from govreport_dagster.core.templates import load_templates

OFFICIAL = [s.key for s in load_templates().official_sections]


@cache
def seed(prefix: str) -> SectionedReport:
    path = next(SAMPLE.glob(f"{prefix}_*.txt"))
    return section_report(decode_file(path.read_bytes(), str(path)))


def doc(text: str) -> DecodedDocument:
    return DecodedDocument("mem://x.txt", "txt", "utf-8", "simplified", text, text)


def keys(report: SectionedReport) -> list[str]:
    return [s.key for s in report.sections]


def assert_offsets(report: SectionedReport, text: str) -> None:
    previous_end = 0
    for i, section in enumerate(report.sections, start=1):
        assert section.ordinal == i
        assert previous_end <= section.char_start < section.char_end <= len(text)
        assert text[section.char_start : section.char_end] == section.text
        assert section.text.startswith(section.heading[:2])
        previous_end = section.char_end


# --------------------------------------------------------------------------------------
# Seeds (the issue's done-when)


def test_seed_000_pre2019() -> None:
    report = seed("000")
    assert report.metadata.report_year == 2016
    assert report.template_version == "pre2019" and report.layout_version == "pre2019"
    assert "城关镇" in (report.metadata.agency_name or "")
    assert report.metadata.publish_date == date(2017, 2, 24)
    for key in ("active_disclosure", "applications", "review_litigation", "problems_improvements"):
        assert key in keys(report), key
    # Unlisted numbered headings keep their place as other_<n>; 六、存在的主要问题 and
    # 七、改进措施 are one problems section.
    assert keys(report) == [
        "active_disclosure",
        "other_2",
        "applications",
        "review_litigation",
        "other_5",
        "problems_improvements",
    ]
    problems = report.sections[-1]
    assert "七、改进措施" in problems.text
    assert report.status == "ok"


def test_seed_001_inline_headings() -> None:
    report = seed("001")
    assert report.metadata.report_year == 2019
    assert report.template_version == "2019"
    assert report.metadata.agency_name == "柯城区"
    assert report.metadata.publish_date == date(2020, 2, 19)
    assert [k for k in keys(report) if k in OFFICIAL] == OFFICIAL
    # The extra 五、监督保障方面 between 四 and 六 is its own section, not part of 四.
    assert keys(report)[4] == "other_5"
    assert report.sections[4].heading == "五、监督保障方面"
    # Inline headings: 六 starts mid-line, and its heading stops before the body text.
    problems = report.sections[5]
    assert problems.heading == "六、存在的主要问题及改进情况"
    assert report.sections[-1].heading == "七、其他需要报告的事项"
    # Sub-headings (一)…(八) inside 一、总体情况 do not split it.
    assert "(八)著力加强督查指导" in report.sections[0].text
    assert report.status == "ok"


def test_seed_002_2021_with_table_rows() -> None:
    report = seed("002")
    assert report.metadata.report_year == 2021
    assert report.template_version == "2021" and report.layout_version == "2021"
    assert report.metadata.agency_name == "平山镇"
    assert keys(report) == OFFICIAL
    # Table-3 rows "一、本年新收…", "四、结转下年度继续办理" stay inside the applications section.
    applications = report.sections[2]
    assert "一、本年新收政府信息公开申请数量" in applications.text
    assert "四、结转下年度继续办理" in applications.text
    assert report.sections[3].heading == "四、因政府信息公开工作被申请行政复议和行政诉讼情况"
    assert report.issues == []


def test_seed_003_no_title() -> None:
    report = seed("003")
    assert report.metadata.title is None
    assert report.metadata.report_year == 2024
    assert report.template_version == "2021"
    assert report.metadata.agency_name == "良口镇"
    assert keys(report) == OFFICIAL
    # "(一)主动公开政府信息情况" inside 一、总体情况 is a sub-heading, not a section.
    assert "(一)主动公开政府信息情况" in report.sections[0].text
    assert "(二)依申请公开情况" in report.sections[0].text


def test_seed_004() -> None:
    report = seed("004")
    meta = report.metadata
    assert meta.report_year == 2023
    assert report.template_version == "2021"
    assert "棋盘井镇" in (meta.agency_name or "")
    assert meta.publish_date == date(2024, 1, 23)
    assert meta.doc_no == "棋政函〔2024〕10号"
    assert keys(report) == OFFICIAL


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_seed_offsets(prefix: str) -> None:
    path = next(SAMPLE.glob(f"{prefix}_*.txt"))
    decoded = decode_file(path.read_bytes(), str(path))
    assert_offsets(section_report(decoded), decoded.text)


# --------------------------------------------------------------------------------------
# The bundled corpus: year, template, printed layout and agency from the manifest / gold


def _manifest() -> list[dict]:
    rows = [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if r["file"].endswith(".txt")]


MANIFEST = _manifest()


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["file"] for e in MANIFEST])
def test_corpus_year_template_layout_agency(entry: dict) -> None:
    path = CORPUS / entry["file"]
    decoded = decode_file(path.read_bytes(), str(path))
    report = section_report(decoded)
    year = entry["report_year"]
    assert report.metadata.report_year == year
    assert report.template_version == load_templates().version_for_year(year)
    gold_path = CORPUS / entry["file"].replace(".txt", ".gold.json")
    if gold_path.exists():
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        assert report.layout_version == gold["format"]
    else:
        assert report.layout_version == report.template_version
    assert_offsets(report, decoded.text)

    # Agency: the manifest's name, compared on match keys, containment either way. Where
    # the excerpt never prints the name ("某镇 (name not in excerpt)", or only 我局), the
    # agency is None or a partial name contained in the manifest's.
    expected = agency_match_key(entry["agency"].split(" ")[0])
    got = agency_match_key(report.metadata.agency_name or "")
    folded_text = agency_match_key(decoded.text)
    printed = "某" not in expected and any(
        expected[i:] in folded_text for i in range(0, max(1, len(expected) - 2)) if len(expected[i:]) >= 3
    )
    if printed:
        assert got and (got in expected or expected in got), (got, expected)
    else:
        assert not got or got in expected, (got, expected)


def test_corpus_022_023_layout_2021_with_2019_style_other_processing_row() -> None:
    for name in ("022.txt", "023.txt"):
        path = CORPUS / name
        decoded = decode_file(path.read_bytes(), str(path))
        evidence = layout_evidence(decoded.text)
        assert evidence["t2"]["2021"] and not evidence["t2"]["2019"]
        assert evidence["t3"]["2019"] == ["(六)其他处理"]
        report = section_report(decoded)
        assert report.layout_version == "2021"
        assert any("t3 prints 2019" in issue for issue in report.issues)


def test_corpus_crawled_one_line_pages_get_all_six_sections() -> None:
    # 005–007: the whole page on one line; 三、 follows the last table cell ("…元三、收到…").
    for name in ("005.txt", "006.txt", "007.txt"):
        path = CORPUS / name
        report = section_report(decode_file(path.read_bytes(), str(path)))
        assert keys(report) == OFFICIAL, name


# --------------------------------------------------------------------------------------
# Layout markers come from templates.yaml


def test_layout_markers_from_templates() -> None:
    markers = _layout_markers().only
    assert {"本年制发件数", "现行有效件数"} <= set(markers["t2"]["2021"])
    assert any(m.startswith("本年收费金额") for m in markers["t2"]["2021"])
    assert {"本年新制作数量", "对外公开总数量", "上一年项目数量", "采购总金额"} <= set(markers["t2"]["2019"])
    # 处理决定数量 is part of 2021's 本年处理决定数量: no marker.
    assert "处理决定数量" not in markers["t2"]["2019"]
    assert any("逾期未按收费通知" in m for m in markers["t3"]["2021"])
    assert markers["t4"] == {"2019": (), "2021": ()}


def test_2020_report_printed_on_2021_layout_is_flagged() -> None:
    text = (
        "某区2020年政府信息公开工作年度报告\n一、总体情况\n正文。\n二、主动公开政府信息情况\n"
        "第二十条第(一)项\n信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数\n规章 | 0 | 0 | 0\n"
        "三、收到和处理政府信息公开申请情况\n四、政府信息公开行政复议、行政诉讼情况\n"
        "五、存在的主要问题及改进情况\n六、其他需要报告的事项\n无。"
    )
    report = section_report(doc(text))
    assert report.template_version == "2019"
    assert report.layout_version == "2021"
    assert any("2021 layout is printed" in issue for issue in report.issues)


def test_2019_layout_without_sub_rows() -> None:
    text = (
        "某县2019年政府信息公开工作年度报告\n二、主动公开政府信息情况\n"
        "信息内容 | 本年新制作数量 | 本年新公开数量 | 对外公开总数量\n"
        "三、收到和处理政府信息公开申请情况\n(六)其他处理 | 0 | 0\n(七)总计 | 0\n"
    )
    evidence = layout_evidence(text)
    assert evidence["t3"]["2019"] == ["(六)其他处理"]
    assert section_report(doc(text)).layout_version == "2019"
    # Truncated before the next row: a missing sub-row proves nothing.
    assert layout_evidence("(六)其他处理 | 0 | 0")["t3"]["2019"] == []


# --------------------------------------------------------------------------------------
# Bad input: a status and reasons, never an exception


SIX = (
    "一、总体情况\n正文一。\n二、主动公开政府信息情况\n正文二。\n三、收到和处理政府信息公开申请情况\n正文三。\n"
    "四、政府信息公开行政复议、行政诉讼情况\n正文四。\n五、存在的主要问题及改进情况\n正文五。\n"
    "六、其他需要报告的事项\n无。"
)


def test_six_sections_clean() -> None:
    report = section_report(doc("某镇2022年政府信息公开工作年度报告\n" + SIX))
    assert keys(report) == OFFICIAL
    assert report.status == "ok" and report.issues == []


def test_empty_text() -> None:
    for text in ("", "   \n\n "):
        report = section_report(doc(text))
        assert report.status == "empty_text"
        assert report.sections == [] and report.narrative == []
        assert report.issues


def test_no_heading() -> None:
    report = section_report(doc("某镇2022年政府信息公开工作年度报告\n今年我镇认真做好政务公开工作。全年公开信息12条。"))
    assert report.status == "no_sections"
    assert report.sections == []
    assert any("no recognisable section heading" in issue for issue in report.issues)
    assert report.metadata.report_year == 2022  # metadata still read


def test_only_unknown_numbered_headings_is_no_sections() -> None:
    report = section_report(doc("某镇2022年工作年度报告\n一、抓好学习\n正文。\n二、强化落实\n正文。"))
    assert report.status == "no_sections"
    assert keys(report) == ["other_1", "other_2"]


def test_table_rows_alone_are_not_sections() -> None:
    text = "一、本年新收政府信息公开申请数量 | 0\n二、上年结转政府信息公开申请数量 | 0\n四、结转下年度继续办理 | 0"
    report = section_report(doc(text))
    assert report.sections == []
    assert report.status == "no_sections"


def test_duplicated_heading_is_reported_and_ignored() -> None:
    text = SIX.replace("三、收到和处理", "二、主动公开政府信息情况\n重复。\n三、收到和处理")
    issues: list[str] = []
    sections = find_sections(text, issues)
    assert [s.key for s in sections] == OFFICIAL
    assert any("duplicated heading" in issue for issue in issues)
    assert "重复" in sections[1].text  # the duplicate stays inside the first occurrence's section


def test_out_of_order_headings_are_reported() -> None:
    swapped = (
        "一、总体情况\n正文一。\n三、收到和处理政府信息公开申请情况\n正文三。\n二、主动公开政府信息情况\n正文二。\n"
        "四、政府信息公开行政复议、行政诉讼情况\n正文四。"
    )
    report = section_report(doc("某区2021年政府信息公开工作年度报告\n" + swapped))
    assert keys(report) == ["overview", "applications", "active_disclosure", "review_litigation"]
    assert any("out of order" in issue for issue in report.issues)
    assert any("missing sections" in issue for issue in report.issues)


def test_report_for_another_year_in_the_wrong_folder() -> None:
    text = "某镇2021年政府信息公开工作年度报告\n" + SIX
    report = section_report(doc(text), year_hint=2022, year_hint_source="folder")
    assert report.metadata.report_year == 2022  # the hint wins …
    assert report.metadata.year_source == "folder"
    assert report.template_version == "2021"
    assert any(issue.startswith("document says 2021") for issue in report.issues)  # … and is flagged
    agreeing = section_report(doc(text), year_hint=2021, year_hint_source="sidecar")
    assert not any("document says" in issue for issue in agreeing.issues)


def test_year_unknown() -> None:
    report = section_report(doc(SIX))
    assert report.metadata.report_year is None
    assert report.status == "year_unknown"
    assert report.template_version == "unknown"


@pytest.mark.parametrize(
    "text",
    ["一、", "一、\n一、\n一、", "|" * 1000, "二十、" * 200, "\x00\x01", "一" * 10000, "六、其他需要报告的事项"],
)
def test_hostile_text_never_raises(text: str) -> None:
    report = section_report(doc(text))
    assert report.status in ("ok", "no_sections", "empty_text", "year_unknown")


# --------------------------------------------------------------------------------------
# Free-form reports and the pre-2019 layout (issue 14)


def test_free_form_arabic_and_unofficial_headings() -> None:
    text = (
        "某局2015年政府信息公开工作年度报告\n1、主要工作概述\n全年主动公开政府信息120条。\n"
        "2、依申请公开办理情况\n全年共收到政府信息公开申请3件。\n3、行政复议和诉讼\n无。\n4、下一步工作打算\n加强。\n"
        "附件：政府信息公开情况统计表\n"
    )
    report = section_report(doc(text))
    assert keys(report) == ["overview", "applications", "review_litigation", "problems_improvements", "other_5"]
    assert report.status == "ok" and report.layout_version == "pre2019"
    assert any("free-form headings" in i for i in report.issues)
    assert {m.metric_key for m in report.narrative} >= {"items_published", "applications_received"}


def test_pre2019_year_with_new_headings_keeps_the_pre2019_layout() -> None:
    text = (
        "某县2018年政府信息公开工作年度报告\n一、总体情况\n正文。\n二、主动公开政府信息情况\n正文。\n"
        "三、收到和处理政府信息公开申请情况\n正文。\n附表 指标名称计量单位2018年度历年累计"
        "主动公开信息数条5060受理依申请公开信息总数条00"
    )
    report = section_report(doc(text))
    assert report.template_version == "pre2019" and report.layout_version == "pre2019"
