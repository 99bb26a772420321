"""Narrative metrics: numbers stated in the prose, with evidence sentence and span."""

from __future__ import annotations

import json
from functools import cache

import pytest
from builders import CORPUS, SAMPLE

from govreport_dagster.core.decode import decode_file
from govreport_dagster.core.model import DecodedDocument, NarrativeMetric, SectionedReport
from govreport_dagster.core.narrative import extract_narrative, split_sentences
from govreport_dagster.core.sectioning import find_sections, section_report
from govreport_dagster.core.templates import load_templates


@cache
def seed(prefix: str) -> tuple[str, SectionedReport]:
    path = next(SAMPLE.glob(f"{prefix}_*.txt"))
    decoded = decode_file(path.read_bytes(), str(path))
    return decoded.text, section_report(decoded)


@cache
def corpus(name: str) -> tuple[str, SectionedReport]:
    path = CORPUS / name
    decoded = decode_file(path.read_bytes(), str(path))
    return decoded.text, section_report(decoded)


def values(metrics: list[NarrativeMetric]) -> dict[str, float]:
    return {m.metric_key: m.value for m in metrics}


def narrate(text: str, year: int | None = 2021, agency: str | None = "某县某镇") -> dict[str, float]:
    return values(extract_narrative(text, find_sections(text), year, agency))


def assert_evidence(text: str, metrics: list[NarrativeMetric]) -> None:
    units = {m.key: m.unit for m in load_templates().narrative_metrics}
    for m in metrics:
        assert text[m.char_start : m.char_end] == m.evidence
        assert m.unit == units[m.metric_key]
        if m.value:
            digits = str(int(m.value)) if m.metric_key != "fees_charged_yuan" else ""
            assert digits in m.evidence.replace(" ", "").replace("\n", "")


# --------------------------------------------------------------------------------------
# Seeds (the done-when)


def test_seed_000() -> None:
    text, report = seed("000")
    got = values(report.narrative)
    assert got["items_published"] == 450
    assert got["applications_received"] == 0
    assert got["review_cases"] == 0
    assert got["litigation_cases"] == 0
    assert_evidence(text, report.narrative)


def test_seed_001() -> None:
    text, report = seed("001")
    got = values(report.narrative)
    assert got["applications_received"] == 74
    assert got["applications_carried_forward"] == 1
    assert got["review_cases"] == 1
    assert got["litigation_cases"] == 4
    assert_evidence(text, report.narrative)


def test_seed_003() -> None:
    text, report = seed("003")
    got = values(report.narrative)
    assert got["items_published"] == 101
    assert got["applications_received"] == 3
    assert got["applications_carried_forward"] == 0
    assert got["review_cases"] == 0 and got["litigation_cases"] == 0
    assert_evidence(text, report.narrative)


def test_seed_004() -> None:
    text, report = seed("004")
    got = values(report.narrative)
    assert got["items_published"] == 371
    assert got["fees_charged_yuan"] == 0
    assert_evidence(text, report.narrative)


# --------------------------------------------------------------------------------------
# Corpus values checked against the hand-transcribed tables


@pytest.mark.parametrize(
    ("name", "metric", "row", "table"),
    [
        ("007.txt", "applications_received", "new_received", "t3"),
        ("007.txt", "applications_carried_forward", "carried_forward", "t3"),
        ("021.txt", "applications_received", "new_received", "t3"),
        ("021.txt", "applications_carried_forward", "carried_forward", "t3"),
        ("021.txt", "review_cases", "review", "t4"),
        ("022.txt", "applications_received", "new_received", "t3"),
    ],
)
def test_corpus_narrative_agrees_with_gold_tables(name: str, metric: str, row: str, table: str) -> None:
    text, report = corpus(name)
    gold = json.loads((CORPUS / name.replace(".txt", ".gold.json")).read_text(encoding="utf-8"))
    assert values(report.narrative)[metric] == gold[table][row]["total"]
    assert_evidence(text, report.narrative)


def test_corpus_003_prefers_the_active_disclosure_section() -> None:
    # The overview mentions 188 procurement notices first; section 二 states the total.
    _, report = corpus("003.txt")
    assert values(report.narrative)["items_published"] == 2949


def test_corpus_021_city_total_is_the_city_report_s_own() -> None:
    _, report = corpus("021.txt")
    got = values(report.narrative)
    assert got["applications_carried_over"] == 34
    assert got["litigation_cases"] == 46
    assert got["fees_charged_yuan"] == 3940
    assert "items_published" not in got  # "5500 余条" is approximate


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.txt")))
def test_corpus_evidence_spans(name: str) -> None:
    text, report = corpus(name)
    assert_evidence(text, report.narrative)
    assert len({m.metric_key for m in report.narrative}) == len(report.narrative)


# --------------------------------------------------------------------------------------
# Sentence patterns


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("今年以来,我区共收到依申请公开件74件。", {"applications_received": 74}),
        (
            "74件依申请公开件中,1件结转下年办理,其余73件均已依法依规按时答复。",
            {"applications_carried_forward": 1, "applications_answered": 73},
        ),
        ("因依申请公开件引起的行政复议1件,诉讼4件。", {"review_cases": 1, "litigation_cases": 4}),
        ("我镇未收到信息公开当面申请、网络申请。", {"applications_received": 0}),
        ("没有发生过因政府信息公开申请行政复议、提起行政诉讼的案件。", {"review_cases": 0, "litigation_cases": 0}),
        ("主动公开政府信息450条。", {"items_published": 450}),
        ("收到依申请公开信息3宗。", {"applications_received": 3}),
        ("无结转下年度继续办理情况。", {"applications_carried_forward": 0}),
        ("我镇没有产生信息公开处理费。", {"fees_charged_yuan": 0}),
        ("全年收取政府信息公开信息处理费 0.2 万元。", {"fees_charged_yuan": 2000}),
        ("含上年度结转申请 34 件。", {"applications_carried_over": 34}),
        ("2021 年,全年共受理政府信息公开申请 3119\n件,均按时答复。", {"applications_received": 3119}),
    ],
)
def test_sentence_patterns(sentence: str, expected: dict[str, float]) -> None:
    assert narrate(sentence) == expected


@pytest.mark.parametrize(
    ("text", "year", "agency"),
    [
        ("2018年,我镇共收到依申请公开件10件。", 2019, "某镇"),  # another year
        ("2021 年,我局将力争主动公开信息100条。", 2020, "某局"),  # a plan for next year
        ("比上年多收到依申请公开件2件。", 2021, "某镇"),  # comparison clause
        ("全市共受理政府信息公开申请3119件。", 2021, "某县某镇"),  # a city total in a township report
        ("全省共受理政府信息公开申请3119件。", 2021, "淮安市人民政府"),
        ("全市共受理政府信息公开申请3119件。", 2021, "淮安市审计局"),  # a department quoting its city
        ("通过公告栏累计公开各类信息800多条。", 2021, "某镇"),  # approximate
        ("市政府网站主动公开各类政府信息5500余条。", 2021, "某市"),
        ("共办理并答复信息公开申请3件、纸质申请36件。", 2021, "某街道"),  # one count split in two
        ("共受理审批事项117件,办结171件。", 2021, "某局"),  # not applications
        ("本单位无行政事业性收费项目。", 2021, "某局"),  # not a disclosure fee
        ("一、本年新收政府信息公开申请数量 | 5 | 0 | 5", 2021, "某镇"),  # a table row
    ],
)
def test_statements_not_taken(text: str, year: int, agency: str) -> None:
    assert narrate(text, year, agency) == {}


def test_whole_area_accepted_for_its_own_government() -> None:
    sentence = "全市共受理政府信息公开申请3119件。"
    assert narrate(sentence, 2024, "淮安市人民政府") == {"applications_received": 3119}
    assert narrate("全区共收到70件申请。", 2021, "平潭综合实验区") == {}  # bare 申请 with no context
    context = "(二)依申请公开方面。我区规范办理流程。本年度全区共收到70件申请。"
    assert narrate(context, 2021, "平潭综合实验区") == {"applications_received": 70}


def test_first_statement_wins() -> None:
    text = "我镇主动公开政府信息20条。另通过公告栏主动公开政府信息30条。"
    assert narrate(text)["items_published"] == 20


def test_split_sentences_joins_wrapped_pdf_lines() -> None:
    text = "2024 年,全市共受理政府信息公开申请 3119 件,答\n复 3050 件。\n一、总体情况\n正文"
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == [
        "2024 年,全市共受理政府信息公开申请 3119 件,答\n复 3050 件。",
        "一、总体情况",
        "正文",
    ]


def test_no_text_no_metrics() -> None:
    assert extract_narrative("", [], 2021, None) == []
    empty = DecodedDocument("mem://x", "txt", None, "simplified", "", "")
    assert section_report(empty).narrative == []
