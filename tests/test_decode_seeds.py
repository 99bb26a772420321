"""Stage 1 on real data: the five seeds and the bundled corpus."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from govreport_dagster.core.decode import decode_file, detect_type
from govreport_dagster.core.decode.normalize import normalize_core

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "data" / "sample").glob("*.txt"))
CORPUS = ROOT / "tests" / "fixtures" / "corpus"
CORPUS_TXT = sorted(CORPUS.glob("*.txt"))

# Written independently of the decoder's own pattern: Han char, paren, latin letters with a tone mark.
_PY = "a-z\u00e0-\u00fc\u0100-\u01dc "
_TONE = "\u00e0-\u00fc\u0100-\u01dc"
PINYIN_LEFT = re.compile(rf"[\u4e00-\u9fff][(（][{_PY}]*[{_TONE}][{_PY}]*[)）]")
HEADINGS = ["一、", "二、", "三、", "四、", "五、", "六、"]
NUMBER = re.compile(r"\d+(?:\.\d+)?")
TRADITIONAL_MARKERS = "鎮區報關發據縣辦條與開務門網機"


def seed(prefix: str) -> Path:
    return next(p for p in SEEDS if p.name.startswith(prefix))


def decode_path(path: Path):
    return decode_file(path.read_bytes(), str(path))


def _strip_shell(line: str) -> str:
    return re.sub(r"(?:\s*\|)+\s*$", "", line).strip()


def dropped_lines(before: str, after: str) -> tuple[list[tuple[int, str]], list[str]]:
    """Lines of `before` (normalised without chrome removal) missing from `after`. Fails if
    `after` is not an ordered subsequence of `before`'s lines: the chrome step may only drop
    whole lines (or strip trailing `|` shells)."""
    kept = [line for line in after.split("\n") if line.strip()]
    dropped = []
    j = 0
    lines = [line for line in before.split("\n") if line.strip()]
    for i, line in enumerate(lines):
        if j < len(kept) and (line == kept[j] or _strip_shell(line) == _strip_shell(kept[j])):
            j += 1
        else:
            dropped.append((i, line))
    assert j == len(kept), f"decoded line {kept[j]!r} is not a line of the source"
    return dropped, lines


def assert_only_chrome_dropped(before: str, after: str) -> None:
    dropped, lines = dropped_lines(before, after)
    kept_idx = [i for i in range(len(lines)) if i not in {d for d, _ in dropped}]
    first_heading = next((i for i in kept_idx if lines[i].lstrip().startswith("一、")), len(lines))
    last_kept = max(kept_idx, default=-1)
    for i, line in dropped:
        pipe_shell = line.strip(" |") == ""
        edge = i < first_heading or i > last_kept
        assert pipe_shell or (edge and len(line) <= 160), f"report line dropped: {line[:80]!r}"


def body_numbers(text: str) -> list[str]:
    """Numbers from the first heading through the last paragraph-length line."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if "一、" in line)
    end = max(i for i, line in enumerate(lines) if len(line) >= 40)
    return NUMBER.findall("\n".join(lines[start : end + 1]))


def is_subsequence(needles: list[str], hay: list[str]) -> bool:
    it = iter(hay)
    return all(any(n == h for h in it) for n in needles)


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name[:3])
def test_seed_decodes_with_headings_and_numbers(path: Path) -> None:
    doc = decode_path(path)
    raw = path.read_text(encoding="utf-8")
    assert doc.source_format == "txt" and doc.detected_encoding == "utf-8"
    assert doc.original_text == raw
    for ch in TRADITIONAL_MARKERS:
        assert ch not in doc.text
    assert not PINYIN_LEFT.search(doc.text)
    before, _ = normalize_core(raw, chrome=False)
    present = [h for h in HEADINGS if re.search(rf"(^|\s){h}", before)]
    assert len(present) >= 4
    for heading in present:
        assert re.search(rf"(^|\s){heading}", doc.text), heading
    assert is_subsequence(body_numbers(before), NUMBER.findall(doc.text))
    assert_only_chrome_dropped(before, doc.text)
    assert "\ue000" not in doc.text and "\ue001" not in doc.text


def test_seed_000_002_pinyin_removed_and_simplified() -> None:
    d0, d2 = decode_path(seed("000")), decode_path(seed("002"))
    assert PINYIN_LEFT.search(d0.original_text) and PINYIN_LEFT.search(d2.original_text)
    assert d0.flags["pinyin_removed"] > 10 and d2.flags["pinyin_removed"] > 10
    assert "城关镇" in d0.text and "平山镇" in d2.text
    assert d0.original_script == "traditional" and d2.original_script == "traditional"
    assert "pinyin_removed" in d0.flags["steps"] and "t2s" in d0.flags["steps"]
    # real parentheses survive pinyin removal
    assert "(http://www.mjcgz.gov.cn/)" in d0.text and "(孟政办〔2016〕32号)" in d0.text
    # flattened table-3 separators in 002 stay: lines holding only | carry the structure
    raw_pipes = [line for line in d2.original_text.splitlines() if line and line.strip("|") == ""]
    out_pipes = [line for line in d2.text.splitlines() if line and line.strip("|") == ""]
    assert len(raw_pipes) > 50 and out_pipes == raw_pipes
    assert d2.text.rstrip().endswith("2021年12月31日")


def test_seed_001_shells_removed_metadata_kept() -> None:
    doc = decode_path(seed("001"))
    assert "柯城区" in doc.text and doc.original_script == "traditional"
    assert "|" * 30 not in doc.text
    assert doc.flags["chrome_removed_chars"] > 1000
    lines = doc.text.split("\n")
    assert lines[0].startswith("索引号: | 1133080257773966XH/2021-53231 | 公开方式: | 主动公开")
    assert any(line.startswith("发布单位: | 政府办公室 | 成文日期: | 2020-02-19") for line in lines)
    assert "柯城区2019年政府信息公开工作年度报告" in lines
    assert "七、其他需要报告的事项 无。" in doc.text


def test_seed_004_chrome_removed() -> None:
    doc = decode_path(seed("004"))
    assert "您好,欢迎来到" not in doc.text and "首页 >" not in doc.text
    for marker in ("主办", "承办", "网站地图", "ICP备", "公网安备", "标识码", "Email", "传真"):
        assert marker not in doc.text, marker
    assert doc.text.startswith("鄂托克旗棋盘井镇2023年政府信息公开工作年度报告")
    # metadata lines the sectioning stage reads
    assert "索引号:000014349/2024-00070" in doc.text and "发布机构:鄂托克旗棋盘井镇" in doc.text
    # the report's own contact line (before the footer) stays
    assert "联系电话:0477-6486817" in doc.text
    assert doc.text.rstrip().endswith("更好的完成我镇政务公开各项工作。")


def test_seed_003_trailing_back_to_top_removed() -> None:
    doc = decode_path(seed("003"))
    assert "返回顶部" not in doc.text and doc.text.endswith("无。")


@pytest.mark.parametrize("path", CORPUS_TXT, ids=lambda p: p.name[:3])
def test_corpus_file_decodes_keeping_tables(path: Path) -> None:
    data = path.read_bytes()
    assert detect_type(data, path.name) == "txt"
    doc = decode_file(data, str(path))
    assert doc.text.strip()
    assert not PINYIN_LEFT.search(doc.text)
    before, _ = normalize_core(data.decode("utf-8"), chrome=False)
    assert_only_chrome_dropped(before, doc.text)
    # flattened table rows and their numbers are all still there
    assert NUMBER.findall(before.split("\n", 30)[-1]) == NUMBER.findall(doc.text.split("\n", 30)[-1]) or (
        is_subsequence(NUMBER.findall(doc.text), NUMBER.findall(before))
    )
    pipes_before = [ln for ln in before.split("\n") if ln and ln.strip(" |") == "" and ln.count("|") < 30]
    pipes_after = [ln for ln in doc.text.split("\n") if ln and ln.strip(" |") == "" and ln.count("|") < 30]
    assert len(pipes_before) - len(pipes_after) <= 1  # at most a lone "|" under removed navigation


def test_corpus_numbers_survive_in_table_bearing_files() -> None:
    for name in ("005", "006", "007", "021", "022", "023", "026", "029", "054"):
        path = CORPUS / f"{name}.txt"
        doc = decode_path(path)
        before, _ = normalize_core(path.read_text(encoding="utf-8"), chrome=False)
        start = before.index("一、") if "一、" in before else 0
        assert is_subsequence(NUMBER.findall(before[start:]), NUMBER.findall(doc.text)), name


def test_corpus_037_traditional_with_pinyin() -> None:
    doc = decode_path(CORPUS / "037.txt")
    assert PINYIN_LEFT.search(doc.original_text)
    assert not PINYIN_LEFT.search(doc.text)
    assert doc.original_script == "traditional"
    assert "2009年度下管镇政府信息公开年度报告" in doc.text
    assert "当前位置" not in doc.text
    assert doc.text.startswith("索引号: | 1133068200259085XF/2015-28256")
    assert "索引号: | 1133068200259085XF/2015-28256 | 公开方式: | 主动公开 |" in doc.text
    for heading in HEADINGS[:5]:
        assert heading in doc.text


def test_corpus_039_traditional_simplified() -> None:
    doc = decode_path(CORPUS / "039.txt")
    assert doc.original_script == "traditional"
    assert "广东省人民政府2020年政府信息公开工作年度报告" in doc.text


def test_corpus_navigation_chrome() -> None:
    d25 = decode_path(CORPUS / "025.txt")
    assert "政务资讯 政务公开 政府领导" not in d25.text and "分享到" not in d25.text
    assert d25.text.startswith("牛华镇2021年政府信息公开工作年度报告")
    d42 = decode_path(CORPUS / "042.txt")
    assert "选择特殊符号" not in d42.text and d42.text.startswith("国家税务总局2010年")
    d18 = decode_path(CORPUS / "018.txt")
    assert "当前位置" not in d18.text and "索引号 620702074/2024-00047" in d18.text
    # 007.txt holds the whole report on the breadcrumb's line: it must stay
    d07 = decode_path(CORPUS / "007.txt")
    assert "一、本年新收政府信息公开申请数量640020470" in d07.text


# ------------------------------------------------------------------------------------------
# HTML: corpus html/007.html against its gold file


@pytest.fixture(scope="module")
def html007():
    path = CORPUS / "html" / "007.html"
    return decode_path(path), json.loads((CORPUS / "html" / "007.gold.json").read_text(encoding="utf-8"))


def _row(grid, label: str) -> list[str]:
    """Origin-cell texts of the row holding `label` (merged copies counted once)."""
    for row in grid.rows:
        if any(c.text == label for c in row):
            return [c.text for c in row if c.is_origin]
    raise AssertionError(f"no row {label!r}")


def test_html_007_decodes_main_content(html007) -> None:
    doc, _ = html007
    assert doc.source_format == "html" and doc.detected_encoding == "utf-8"
    assert doc.text.startswith("平潭综合实验区2021年度政府信息公开工作年度报告")
    for heading in (
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ):
        assert heading in doc.text, heading
    assert "国务院" not in doc.text.split("\n")[0]
    assert "ICP" not in doc.text and "<" not in doc.text


def test_html_007_grids_match_gold(html007) -> None:
    doc, gold = html007
    assert len(doc.tables) == 3
    t2, t3, t4 = doc.tables
    assert all(g.source == "html" for g in doc.tables)
    # table 3: labels and the gold numbers, merged label cells expanded with their origin
    t3_rows = {
        "new_received": "一、本年新收政府信息公开申请数量",
        "carried_over": "二、上年结转政府信息公开申请数量",
        "granted": "(一)予以公开",
    }
    order = ["natural_person", "commercial", "research", "social_welfare", "legal_services", "other_org", "total"]
    for key, label in t3_rows.items():
        row = _row(t3, label)
        numbers = [int(x) for x in row if x.isdigit()]
        assert numbers == [gold["t3"][key][k] for k in order], key
    granted = next(r for r in t3.rows if r[1].text == "(一)予以公开")
    assert granted[0].text == "三、本年度办理结果" and granted[0].rowspan > 1
    assert granted[0].is_origin
    partial = next(r for r in t3.rows if r[1].text.startswith("(二)部分公开"))
    assert partial[0].text == "三、本年度办理结果" and not partial[0].is_origin
    assert (partial[0].origin_row, partial[0].origin_col) == (granted[0].row, 0)
    assert t3.n_cols == 11  # 自然人 and 商业企业 span two source columns in this page
    commercial = _row(t3, "商业 企业")
    assert commercial[:2] == ["", "商业 企业"]
    header = next(r for r in t3.rows if any(c.text == "商业 企业" for c in r))
    assert [c.colspan for c in header if c.text == "商业 企业"] == [2, 2]
    assert _row(t2, "行政规范性文件")[1:] == ["69", "3", "665"]
    assert _row(t2, "行政事业性收费")[1] == str(gold["t2"]["fees"]["amount_10k_yuan"])
    assert [c.text for c in t4.rows[-1] if c.is_origin] == [
        "1",
        "0",
        "2",
        "0",
        "3",
        "12",
        "0",
        "0",
        "0",
        "12",
        "0",
        "0",
        "0",
        "0",
        "0",
    ]
    # grids sit in the text at their rendered span, in document order
    for grid in doc.tables:
        span = doc.text[grid.char_start : grid.char_end]
        first_origin = next(c.text for c in grid.rows[0] if c.is_origin)
        assert span.startswith(first_origin)
        assert span.count("\n") == grid.n_rows - 1
    assert t2.char_end <= t3.char_start <= t3.char_end <= t4.char_start
    span3 = doc.text[t3.char_start : t3.char_end]
    assert "一、本年新收政府信息公开申请数量 | 64 | 0 | 0 | 2 | 0 | 4 | 70" in span3
    assert doc.text.index("三、收到和处理政府信息公开申请情况") < t3.char_start
