"""Stage 2 metadata: report year, agency name and level, dates and numbers."""

from __future__ import annotations

from datetime import date

import pytest
from builders import SAMPLE

from govreport_dagster.core.decode import decode_file
from govreport_dagster.core.metadata import (
    agency_level,
    agency_match_key,
    detect_report_year,
    extract_metadata,
    find_title,
)


def seed_text(prefix: str) -> str:
    path = next(SAMPLE.glob(f"{prefix}_*.txt"))
    return decode_file(path.read_bytes(), str(path)).text


# --------------------------------------------------------------------------------------
# agency_level


@pytest.mark.parametrize(
    ("name", "level"),
    [
        ("上海市人民政府", "province"),  # 直辖市
        ("北京市", "province"),
        ("广东省人民政府", "province"),
        ("内蒙古自治区人民政府", "province"),
        ("淮安市人民政府", "city"),
        ("宿州市人民政府", "city"),
        ("恩施土家族苗族自治州人民政府", "city"),
        ("杭州市人民政府", "city"),  # 州 inside a city's name
        ("淮安市洪泽区人民政府", "county"),  # 市辖区
        ("上海市杨浦区政府", "county"),  # a 直辖市's district
        ("柯城区", "county"),
        ("平潭综合实验区", "county"),
        ("平潭综合实验区管委会", "county"),
        ("平潭综合实验区党工委管委会", "county"),
        ("平潭县人民政府", "county"),
        ("鄂托克旗", "county"),
        ("恩施州利川市", "county"),  # 县级市 printed under its prefecture
        ("义乌市", "city"),  # 县级市 printed alone: indistinguishable without a gazetteer (documented)
        ("鄂托克旗棋盘井镇", "township"),  # the last unit wins
        ("城关镇", "township"),
        ("会仪镇人民政府", "township"),
        ("哈尔滨市道里区经纬街道办事处", "township"),
        ("绍兴市越城区东湖街道办事处", "township"),
        ("雄县某乡人民政府", "township"),
        ("上海市人民政府参事室", "department"),
        ("淮安市人民政府办公室", "department"),
        ("威海市文登区审计局", "department"),
        ("威海市文登区发展和改革局", "department"),
        ("平潭综合实验区地方税务局", "department"),
        ("国家税务总局", "department"),
        ("XX局", "department"),
        ("", "unknown"),
        ("政府信息", "unknown"),
    ],
)
def test_agency_level(name: str, level: str) -> None:
    assert agency_level(name) == level


def test_agency_match_key_folds_area_government_words() -> None:
    keys = {agency_match_key(n) for n in ("平潭综合实验区", "平潭综合实验区管委会", "平潭综合实验区党工委管委会")}
    assert keys == {"平潭综合实验区"}
    assert agency_match_key("上海市杨浦区政府") == agency_match_key("上海市杨浦区人民政府")
    assert agency_match_key("平潭综合实验区（管委会，汇总全区）") == "平潭综合实验区"
    # Different bodies stay apart, including same-named towns in different counties.
    assert agency_match_key("淮安市审计局") != agency_match_key("淮安市财政局")
    assert agency_match_key("孟津县城关镇") != agency_match_key("平山县城关镇")


# --------------------------------------------------------------------------------------
# detect_report_year


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("城关镇2016年政府信息公开工作年度报告\n发布时间:2017-02-24", (2016, "title")),
        ("淮安市人民政府\n2024 年政府信息公开工作年度报告\n本报告…", (2024, "title")),
        ("2009年度下管镇政府信息公开年度报告 | ||", (2009, "title")),
        ("Page 9 - 2020年报_审计局\n四、结转下年度继续办理", (2020, "title")),
        (
            "根据《条例》,现予公布。本报告所列数据的统计期限为2019年1月1日至2019年12月31日。",
            (2019, "period_sentence"),
        ),
        ("本年度报告中所列数据统计期限从2022年1月1日到12月31日止。", (2022, "period_sentence")),
        ("报告信息数据统计期限为:2023年1月1日——2023年12月31日。", (2023, "period_sentence")),
        ("一、总体情况\n…现将2024年政务公开政府信息公开工作情况报告如下:", (2024, "text")),
        ("一、总体情况\n2019年,我乡明确专人负责政务公开工作。", (2019, "text")),
    ],
)
def test_detect_report_year_sources(text: str, expected: tuple[int, str]) -> None:
    assert detect_report_year(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "发布时间:2017-02-24 来源:城关镇\n一、主动公开政府信息情况\n全年公开信息450条。",  # a publish date only
        "成文日期:2024年01月23日\n文号:棋政函〔2024〕10号",
        "根据《关于做好2015年政府信息公开工作年度报告有关事项的通知》要求",  # a cited notice's year
        "国办公开办函〔2019〕60号",
    ],
)
def test_detect_report_year_never_guesses(text: str) -> None:
    assert detect_report_year(text) is None


def test_title_beats_a_cited_notice_year() -> None:
    text = (
        "平潭综合实验区2021年度政府信息公开工作年度报告\n"
        "根据《福建省人民政府办公厅关于编制公布2020年政府信息公开工作年度报告有关事项的通知》…"
    )
    assert detect_report_year(text) == (2021, "title")


# --------------------------------------------------------------------------------------
# extract_metadata on the seeds (through decode_file)


def test_seed_000_metadata() -> None:
    meta = extract_metadata(seed_text("000"))
    assert (meta.report_year, meta.year_source) == (2016, "title")
    assert meta.title == "城关镇2016年政府信息公开工作年度报告"
    assert meta.agency_name is not None and "城关镇" in meta.agency_name
    assert meta.agency_level == "township"
    assert meta.publish_date == date(2017, 2, 24)


def test_seed_001_metadata() -> None:
    meta = extract_metadata(seed_text("001"))
    assert meta.report_year == 2019
    assert meta.agency_name == "柯城区"  # the title's name, not the 发布单位 field (政府办公室)
    assert meta.agency_level == "county"
    assert meta.publish_date == date(2020, 2, 19)  # 成文日期
    assert meta.index_no == "1133080257773966XH/2021-53231"


def test_seed_003_agency_from_text_without_title() -> None:
    text = seed_text("003")
    assert find_title(text) is None
    meta = extract_metadata(text)
    assert (meta.report_year, meta.year_source) == (2024, "text")
    assert meta.agency_name == "良口镇"
    assert meta.agency_level == "township"


def test_seed_004_metadata() -> None:
    meta = extract_metadata(seed_text("004"))
    assert meta.report_year == 2023
    assert meta.agency_name == "鄂托克旗棋盘井镇"
    assert meta.agency_level == "township"
    assert meta.publish_date == date(2024, 1, 23)
    assert meta.doc_no == "棋政函〔2024〕10号"
    assert meta.index_no == "000014349/2024-00070"


def test_publish_date_before_report_year_is_rejected() -> None:
    meta = extract_metadata("某镇2020年政府信息公开工作年度报告\n发布时间:2019-01-05\n一、总体情况")
    assert meta.report_year == 2020
    assert meta.publish_date is None


def test_metadata_of_garbage_is_empty_not_an_error() -> None:
    for text in ("", "\n\n", "|||", "0" * 5000, "一、二、三、四、"):
        meta = extract_metadata(text)
        assert meta.report_year is None
        assert meta.agency_level == "unknown"
