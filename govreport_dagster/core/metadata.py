"""Facts about a report itself: year, title, agency, agency level, publish date, 索引号, 文号.

Input is stage 1's normalised text (simplified script, full-width ASCII folded to ASCII,
newlines kept). PDF text layers put spaces between digits and Han characters
("2024 年") and wrap lines anywhere, so every pattern tolerates whitespace there.

`detect_report_year` runs on every landed file that has no sidecar/folder year, so it only
uses precompiled regexes over the text's head plus one pass for the 统计期限 sentence.
The current date is never consulted: a report whose year cannot be read has no year.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

from govreport_dagster.core.model import ReportMetadata

__all__ = [
    "agency_level",
    "agency_match_key",
    "detect_report_year",
    "extract_metadata",
    "find_title",
    "split_units",
]

MIN_YEAR, MAX_YEAR = 2007, 2099  # the 条例 took effect in 2008 (first reports cover 2007/2008)
_HEAD_CHARS = 2500  # titles and metadata fields sit in the first lines
_YEAR = r"((?:19|20)\d\d)"
_HAN = "\u4e00-\u9fff"

# A title: "<agency>YYYY年(度)…报告" / "YYYY年(度)<agency>…报告" / "YYYY年报_…". No sentence
# punctuation inside; the year may be followed by a space in PDF text.
_TITLE_RE = re.compile(_YEAR + r"\s*年(?:度)?\s*[^\s。,;:!?《》“”()|]{0,40}?(?:报告|年报)|" + _YEAR + r"\s*年报")
_FIELD_PREFIX_RE = re.compile(r"^\s*(?:标题|名称|题名|文章标题)\s*[::]\s*\|?\s*")
_NOT_TITLE_START = ("根据", "本报告", "本年度报告", "现将", "关于", "按照", "为", "特")
# "现将2024年…报告如下", "现公布…YYYY年…报告": the year in running text.
_TEXT_YEAR_RE = re.compile(
    r"(?:现将|现向社会公布|现予公布|现公布|特向社会公布|公布|汇报|编制|编制了|编制完成)[^。\n]{0,25}?"
    + _YEAR
    + r"\s*年(?:度)?[^。\n]{0,30}?(?:报告|工作|情况)"
)
# "统计期限为2019年1月1日至2019年12月31日" / "统计时限自…起" / "数据统计期限从2022年1月1日到…".
_PERIOD_RE = re.compile(
    r"统计(?:期限|时限|时间|区间|周期|期间)[^。\n\d]{0,12}?" + _YEAR + r"\s*年\s*0?1\s*月\s*0?1\s*日"
)
# Last resort: "2019年,我乡…" — a sentence that opens with the year.
_OPENING_YEAR_RE = re.compile(r"(?:^|[\n。])\s*" + _YEAR + r"\s*年(?:度)?\s*[,,]?\s*(?=[\u4e00-\u9fff])(?![月底末初])")

_DATE_FIELD_RE = re.compile(
    r"(发布时间|发布日期|发文日期|成文日期|公开日期|发表日期|生成日期|印发日期|时间)\s*[::]?[\s|]*"
    r"((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})"
)
_SIGNATURE_DATE_RE = re.compile(r"(?m)^[\s|]*((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日[\s|]*$")
_INDEX_NO_RE = re.compile(r"索引号\s*[::]?[\s|]*([0-9A-Za-z][0-9A-Za-z\-/_.]{3,60})")
_DOC_NO_RE = re.compile(
    r"(?:文号|发文字号|发文文号)\s*[::]?[\s|]*"
    r"([" + _HAN + r"A-Za-z]{1,15}\s*[〔\[(【]\s*(?:19|20)\d\d\s*[〕\])】]\s*\d{1,5}\s*号)"
)
_AGENCY_FIELD_RE = re.compile(
    r"(?:发布机构|发布单位|发文机关|发文单位|信息来源|来源|公开主体)\s*[::][\s|]*([" + _HAN + r"()]{2,30})"
)

# Administrative units, longest first so 自治区 wins over 区 and 街道 over 道.
_UNIT_SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "街道",
    "苏木",
    "地区",
    "省",
    "市",
    "州",
    "盟",
    "县",
    "区",
    "旗",
    "镇",
    "乡",
)
_UNIT_RE = re.compile(r"[" + _HAN + r"]{1,12}?(?:" + "|".join(_UNIT_SUFFIXES) + r")")
_MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市", "北京", "天津", "上海", "重庆")
# Suffixes naming the government of an area itself (not one of its departments).
_GOV_SUFFIX_RE = re.compile(r"^(?:人民政府|政府|党工委|工委|管委会|管理委员会|办事处|公所|委员会管委会)+")
_DEPT_SUFFIX_RE = re.compile(r"(?:局|委|办|厅|室|署|院|部|处|中心|委员会|办公室|站|所|队|会|馆|团|社|司|科|股)$")
_MATCH_KEY_DROP_RE = re.compile(r"[\s()\uff08\uff09\[\]【】·•]|人民政府|政府|党工委|管委会|管理委员会|办事处")
_NOTE_RE = re.compile(r"[(\uff08][^)\uff09]*[)\uff09]")
_SELF_REF_RE = re.compile(r"(?:我|本)(镇|乡|街道|区|县|市|旗|局|委|办|厅)")
_NAME_STOP_START = set("我本全该各此其每原现新与和及在对向按从由经据为将把被")


# --------------------------------------------------------------------------------------
# Year


def detect_report_year(text: str) -> tuple[int, str] | None:
    """(year, source) the report covers, or None. source ∈ {title, period_sentence, text}.

    Priority: the title (…YYYY年…年度报告), then the 统计期限 sentence, then running text
    ("现将YYYY年…报告如下", then a sentence that opens with "YYYY年,"). Publish dates and
    document numbers are never read as the report year.
    """
    if not text:
        return None
    title = find_title(text)
    if title is not None:
        year = _title_year(title)
        if year is not None:
            return year, "title"
    match = _PERIOD_RE.search(text)
    if match and _plausible(int(match.group(1))):
        return int(match.group(1)), "period_sentence"
    for match in _TEXT_YEAR_RE.finditer(text):
        if _inside_book_title(text, match.start(1)):
            continue
        year = int(match.group(1))
        if _plausible(year):
            return year, "text"
    # A sentence opening with "YYYY年," — the most frequent such year (plans for next year
    # and comparisons with last year are rarer than statements about the report year).
    counts = Counter(int(m.group(1)) for m in _OPENING_YEAR_RE.finditer(text) if _plausible(int(m.group(1))))
    if counts:
        (year, _), *_ = counts.most_common(1)
        return year, "text"
    return None


def _plausible(year: int) -> bool:
    return MIN_YEAR <= year <= MAX_YEAR


def _title_year(title: str) -> int | None:
    match = _TITLE_RE.search(title)
    if not match:
        return None
    year = int(match.group(1) or match.group(2))
    return year if _plausible(year) else None


def _inside_book_title(text: str, pos: int) -> bool:
    """True if `pos` sits inside 《…》 (a document cited in the report, not the report)."""
    opened = text.rfind("《", max(0, pos - 80), pos)
    return opened != -1 and text.rfind("》", opened, pos) == -1


def find_title(text: str) -> str | None:
    """The report's title as printed (whitespace removed), or None.

    Looked for in the first lines, before the first section heading: a line (or a segment
    of a long crawled line, or two consecutive short lines of a wrapped PDF title) holding a
    year and ending in 报告/年报.
    """
    head = text[:_HEAD_CHARS]
    lines = [line.strip() for line in head.split("\n")]
    lines = [line for line in lines if line]
    candidates: list[str] = []
    for i, line in enumerate(lines[:15]):
        if re.match(r"[一二三四五六七八九十]+\s*、", line):
            break
        segments = [line] if len(line) <= 80 else [s for s in re.split(r"\s+", line) if s][:12]
        candidates.extend(segments)
        # A title wrapped over two short lines ("淮安市人民政府" / "2024 年…年度报告");
        # never a metadata field ("发布单位: | 下管镇") glued to the title below it.
        if i + 1 < len(lines) and len(line) <= 30 and len(lines[i + 1]) <= 40 and not re.search(r"[:|]", line):
            candidates.append(line + lines[i + 1])
    for cand in candidates:
        cleaned = _FIELD_PREFIX_RE.sub("", cand).strip(" |")
        cleaned = re.sub(r"\s+", "", cleaned)
        match = _TITLE_RE.search(cleaned)
        if not match or len(cleaned) > 70:
            continue
        if cleaned.startswith(_NOT_TITLE_START) or "《" in cleaned[: match.start()]:
            continue
        if "有关事项" in cleaned or "通知" in cleaned:
            continue
        rest = cleaned[match.end() :]
        # Keep a flipbook suffix ("2020年报_审计局"); drop trailing dates and page chrome.
        return cleaned if re.fullmatch(r"[_\-—][" + _HAN + r"]{2,20}", rest) else cleaned[: match.end()]
    return None


# --------------------------------------------------------------------------------------
# Agency


def agency_level(name: str) -> str:
    """province | city | county | township | department | unknown, from the name's suffixes.

    Rule: split the name into its chain of administrative units (省/自治区/市/州/盟/县/区/
    旗/镇/乡/街道 …). Whatever follows the last unit, once the area-government suffixes
    (人民政府, 政府, 管委会, 党工委, 办事处 …) are removed, makes it a department (局/委/办/
    厅/室/中心 …). Otherwise the last unit decides: 省/自治区 and the four 直辖市 → province;
    市/州/盟/地区 → city; 县/旗 and any 区 (a 市辖区, a 直辖市's district, a special zone
    like 平潭综合实验区) → county; 镇/乡/苏木/街道 → township.

    县级市 cannot be told from a 地级市 by the name alone (义乌市 is county-level): without a
    gazetteer a bare "X市" is classified city. Only a 市 printed under another city-level
    unit ("恩施州利川市", "苏州市昆山市") is read as county-level.
    """
    name = _NOTE_RE.sub("", name or "").strip()
    name = re.sub(r"[^" + _HAN + r"]", "", name)
    if not name:
        return "unknown"
    units, rest = split_units(name)
    rest = _GOV_SUFFIX_RE.sub("", rest)
    if rest:
        return "department" if _DEPT_SUFFIX_RE.search(rest) or units else "unknown"
    if not units:
        return "unknown"
    return _unit_level(units)


def split_units(name: str) -> tuple[list[str], str]:
    """("鄂托克旗棋盘井镇人民政府") → (["鄂托克旗", "棋盘井镇"], "人民政府")."""
    units: list[str] = []
    pos = 0
    while pos < len(name):
        match = _UNIT_RE.match(name, pos)
        if not match:
            break
        unit = match.group(0)
        end = match.end()
        # "杭州市": a 州 directly followed by 市/县/区 is part of the city's name.
        if unit.endswith("州") and not unit.endswith("自治州") and end < len(name) and name[end] in "市县区":
            unit += name[end]
            end += 1
        # Government/department words are not place names ("人民政府办公室" has no unit).
        if "政府" in unit or "委员会" in unit:
            break
        units.append(unit)
        pos = end
    return units, name[pos:]


def _unit_level(units: list[str]) -> str:
    last = units[-1]
    parents = units[:-1]
    if last.endswith(("镇", "乡", "苏木", "街道")):
        return "township"
    if last.endswith(("省", "自治区", "特别行政区")):
        return "province"
    if last.endswith("市"):
        if last in _MUNICIPALITIES and not parents:
            return "province"
        if any(p.endswith(("市", "州", "盟", "地区")) for p in parents):
            return "county"  # a 市 under a prefecture-level unit: 县级市
        return "city"
    if last.endswith(("州", "盟", "地区")):
        return "city"
    if last.endswith(("县", "旗", "区")):
        return "county"
    return "unknown"


def agency_match_key(name: str) -> str:
    """Fold an agency name for matching the same body across years.

    Drops bracketed notes, whitespace and the area-government words (人民政府, 政府,
    党工委, 管委会, 管理委员会, 办事处), so 平潭综合实验区 / 平潭综合实验区管委会 /
    平潭综合实验区党工委管委会 share one key, as do 上海市杨浦区政府 / 上海市杨浦区人民政府.
    Parent units are kept ("淮安市洪泽区" ≠ "洪泽区"): many township names repeat across
    counties (城关镇), so dropping them would merge different bodies; a caller may still
    try containment between keys as a weaker match.
    """
    return _MATCH_KEY_DROP_RE.sub("", _NOTE_RE.sub("", name or ""))


def _agency_from_title(title: str) -> str | None:
    match = _TITLE_RE.search(title)
    if not match:
        return None
    before = title[: match.start()]
    before = re.sub(r"^[^" + _HAN + r"]+", "", before)  # "puroview.com沙头镇" → "沙头镇"
    before = re.sub(r"[^" + _HAN + r"()]+$", "", before)
    if len(before) >= 2:
        return before
    after = title[match.end(1) if match.group(1) else match.end(2) :]
    flip = re.match(r"年报[_\-—]+([" + _HAN + r"]{2,20})", after)
    if flip:
        return flip.group(1)  # flipbook titles: "2020年报_审计局"
    after = re.sub(r"^\s*年(?:度)?", "", after)
    cut = re.search(r"政府信息公开|政务公开|信息公开|政府信息|年度报告|工作报告|年报", after)
    name = after[: cut.start()] if cut else ""
    return name if len(name) >= 2 else None


def _agency_from_fields(head: str) -> str | None:
    for match in _AGENCY_FIELD_RE.finditer(head):
        value = match.group(1)
        if split_units(value)[0] or _DEPT_SUFFIX_RE.search(value):
            return value
    return None


_SUBJECT_RE = re.compile(
    r"(?:^|[\n。])\s*(?:19|20)\d\d\s*年(?:度)?\s*[,,]\s*([" + _HAN + r"]{2,24}?"
    r"(?:人民政府|街道办事处|办事处|街道|政府|镇|乡|局|委员会|管委会))"
)


def _agency_from_text(text: str) -> str | None:
    # "2019年,赛罕区人民政府以…": the subject of the overview's opening sentence.
    for match in _SUBJECT_RE.finditer(text[:6000]):
        name = match.group(1)
        if name[0] not in _NAME_STOP_START and split_units(name)[0]:
            return name
    # "我镇 … 良口镇 … 良口镇人民政府": the report calls itself 我镇; its name is the
    # longest left-extension of "…镇" that keeps (almost) all occurrences.
    refs = Counter(_SELF_REF_RE.findall(text))
    if not refs:
        return None
    suffix = refs.most_common(1)[0][0]
    if suffix not in ("镇", "乡", "街道", "区", "县", "旗"):
        return None
    return _repeated_name(text, suffix)


def _repeated_name(text: str, suffix: str) -> str | None:
    ends = [m.end() for m in re.finditer(re.escape(suffix), text)]
    best: str | None = None
    best_count = 0
    # Two-character stems first ("口镇"), extended left while the count holds.
    stems = Counter(
        text[e - len(suffix) - 1 : e]
        for e in ends
        if e - len(suffix) - 1 >= 0 and re.match(f"[{_HAN}]", text[e - len(suffix) - 1])
    )
    for stem, count in stems.most_common():
        if count < 2 or stem[0] in _NAME_STOP_START or stem[0] in "城乡村集市小重乡镇县区":
            continue
        name, name_count = stem, count
        for _ in range(4):
            longer = Counter(
                text[e - len(name) - 1 : e] for e in ends if text[e - len(name) : e] == name and e - len(name) - 1 >= 0
            )
            (cand, cand_count), *_ = longer.most_common(1) or [("", 0)]
            if cand_count < max(2, int(0.75 * name_count)) or not re.match(f"[{_HAN}]", cand[0]):
                break
            name, name_count = cand, cand_count
        if name_count > best_count:
            best, best_count = name, name_count
    return best


# --------------------------------------------------------------------------------------
# Dates and numbers


def _make_date(y: str, m: str, d: str) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def _publish_date(text: str, report_year: int | None) -> date | None:
    def acceptable(value: date | None) -> bool:
        return value is not None and (report_year is None or value.year >= report_year)

    for match in _DATE_FIELD_RE.finditer(text[:_HEAD_CHARS]):
        value = _make_date(*match.group(2, 3, 4))
        if acceptable(value):
            return value
    # The signature date: a line holding only a date, at the end (or, for some web pages,
    # right under the title).
    tail_start = max(0, len(text) - 400)
    for region in (text[tail_start:], text[:300]):
        found = [_make_date(*m.groups()) for m in _SIGNATURE_DATE_RE.finditer(region)]
        found = [d for d in found if acceptable(d)]
        if found:
            return found[-1] if region is not text[:300] else found[0]
    return None


def extract_metadata(text: str) -> ReportMetadata:
    """Everything stage 2 can tell about the report from its text (never raises)."""
    meta = ReportMetadata()
    if not text:
        return meta
    head = text[:_HEAD_CHARS]
    meta.title = find_title(text)
    detected = detect_report_year(text)
    if detected:
        meta.report_year, meta.year_source = detected
    name = _agency_from_title(meta.title) if meta.title else None
    if not name:
        name = _agency_from_fields(head) or _agency_from_text(text)
    meta.agency_name = name
    meta.agency_level = agency_level(name) if name else "unknown"
    meta.publish_date = _publish_date(text, meta.report_year)
    index_match = _INDEX_NO_RE.search(head)
    meta.index_no = index_match.group(1) if index_match else None
    doc_match = _DOC_NO_RE.search(head)
    meta.doc_no = re.sub(r"\s+", "", doc_match.group(1)) if doc_match else None
    return meta
