"""Numbers the report states in prose (fact_narrative_metrics).

Keys and units come from templates.yaml `narrative_metrics`. Each value carries its
evidence: the sentence as printed (simplified) and the sentence's char span in the decoded
text. Precision over recall:

* a sentence that names a year other than the report year ("2018年…", a plan "2021 年,我局
  将…") is not used, nor a clause comparing with last year (同比, 较上年, 去年);
* a clause about a larger body (全市/全省/全国… in a township or department report) is not
  used: "全X" is accepted only when X is the reporting area's own unit (全区 in a district
  report, 全市 in a city government's report);
* approximate numbers (约46条, 5500余条, 800多条) and enumerations that split one count
  ("申请3件、纸质申请36件") are not used;
* "未收到…申请", "没有发生…行政复议、行政诉讼", "无结转下年度…", "没有产生信息公开处理费" state 0;
* one value per metric: the first usable statement in reading order wins.

Sentences inside tables (pipe-rendered rows) and inside sections headed as statistics
annexes (附表, 统计表) are skipped: the table stage reads those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from govreport_dagster.core import metadata as md
from govreport_dagster.core.limits import MAX_CELL_DIGITS
from govreport_dagster.core.model import NarrativeMetric, Section
from govreport_dagster.core.templates import load_templates, match_key

__all__ = ["extract_narrative", "split_sentences"]

_HARD_END = "。!?;;!?"
_HEADING_START_RE = re.compile(
    r"\s*(?:[一二三四五六七八九十]+、|\([一二三四五六七八九十]+\)|\d+[.、]|[-—]\s*\d+\s*[-—])"
)
_LONG_DIGITS_RE = re.compile(r"\d{" + str(MAX_CELL_DIGITS + 1) + ",}")
_CLAUSE_SPLIT_RE = re.compile(r"[,,::]")
_YEAR_RE = re.compile(r"((?:19|20)\d\d)年")
_BRACKETED_RE = re.compile(r"《[^》]*》|〔[^〕]*〕|\[[^\]]*\]")
_OTHER_PERIOD_RE = re.compile(r"同比|较上年|比上年|较去年|比去年|去年|上年同期|环比")
_WHOLE_BODY_RE = re.compile(r"全(国|省|市|州|盟|区|县|旗|镇|乡)")
_APPROX_BEFORE = ("约", "近", "超过", "逾", "大约")
_ANNEX_RE = re.compile(r"附表|统计表|附件")
_APPEAL_WORDS_RE = re.compile(r"复议|诉讼|投诉|举报|咨询|信访")
_FEE_CONTEXT_RE = re.compile(r"信息处理费|处理费|信息公开|依申请")

_N = r"(?P<n>\d+(?:\.\d+)?)(?P<approx>余|多)?"
_CASE_UNIT = r"(?:件|宗|起|个|份)"

# Each pattern runs on one clause with whitespace removed. Group n = the value (absent for
# a zero statement).
_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "items_published": (
        re.compile(
            r"(?<!申请)(?:公开|发布|公布)[^,。;\d]{0,45}?信息(?:数量?|总数)?(?:为|共|共计|达)?" + _N + r"(?:条|件)"
        ),
    ),
    "applications_received": (
        re.compile(r"(?:收到|受理|接收|接到|接收到)(?:了)?(?P<q>[^,。;\d]{0,20}?)" + _N + r"(?:件|宗|条|个|份|人次)"),
        re.compile(r"(?:收到|受理|接收|接到)(?:了)?" + _N + r"(?:件|宗|个|份)(?P<bare>[^,。;\d]{0,8}?申请)"),
        re.compile(r"(?:未|没有|无)(?:收到|接到|接收到|受理)(?P<q>[^,。;\d]{0,20}?申请)"),
        re.compile(r"(?:没有|无)(?:任何)?(?P<q>依申请公开)(?:的?申请|事项|件|情况|和|信息情况)"),
    ),
    "applications_carried_over": (
        re.compile(r"上一?年度?结转(?:申请)?[^,。;\d]{0,10}?" + _N + r"件"),
        re.compile(_N + r"件[^,。;\d]{0,6}?(?:为|系|属)?上一?年度?结转"),
        re.compile(r"(?:无|没有)上一?年度?结转"),
    ),
    "applications_carried_forward": (
        re.compile(_N + r"件[^,。;\d]{0,8}?(?:结转|顺延|转入)(?:到|至)?下一?年"),
        re.compile(r"(?:结转|顺延|转入)(?:到|至)?下一?年度?[^,。;\d]{0,10}?" + _N + r"件"),
        re.compile(r"(?:无|没有|未有)[^,。;\d]{0,8}?(?:结转|顺延)(?:到|至)?下一?年"),
    ),
    "applications_answered": (
        re.compile(r"(?:答复|办结)(?:了)?[^,。;\d]{0,10}?" + _N + r"件"),
        re.compile(_N + r"件[^,。;\d]{0,12}?(?:答复|办结)"),
    ),
    "review_cases": (
        re.compile(r"行政复议(?:案件|申请)?(?:共|为|共计)?" + _N + _CASE_UNIT),
        re.compile(_N + r"(?:件|起)(?:行政)?复议"),
        re.compile(r"(?:没有|未|无)(?:发生|出现|收到|接到|产生|有)?过?[^,。;\d]{0,25}?行政复议"),
    ),
    "litigation_cases": (
        re.compile(r"(?:行政)?诉讼(?:案件)?(?:共|为|共计)?" + _N + _CASE_UNIT),
        re.compile(_N + r"(?:件|起)(?:行政)?诉讼"),
        re.compile(r"(?:没有|未|无)(?:发生|出现|收到|接到|产生|有)?过?[^,。;\d]{0,30}?(?:行政诉讼|提起诉讼|诉讼案件)"),
    ),
    "fees_charged_yuan": (
        re.compile(r"(?:收取|收费|处理费)[^,。;\d]{0,12}?" + _N + r"(?P<unit>万元|元)"),
        re.compile(
            r"(?:未|没有|无|不)(?:产生|收取|实行|发生|涉及|存在|收)(?:任何)?[^,。;\d]{0,14}?(?:收费|处理费|费用)"
        ),
    ),
}


@dataclass(frozen=True)
class _Sentence:
    start: int
    end: int
    compact: str  # whitespace removed


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of sentences.

    Ends at 。!?; and at line breaks, except a break inside a wrapped PDF paragraph: a line
    of 20+ characters with no closing punctuation, followed by a line that does not start
    a heading, continues on the next line.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        cut = False
        if ch in _HARD_END:
            cut = True
        elif ch == "\n":
            line_start = text.rfind("\n", 0, i) + 1
            line = text[line_start:i].rstrip()
            nxt_end = text.find("\n", i + 1)
            nxt = text[i + 1 : n if nxt_end == -1 else nxt_end]
            wrapped = len(line) >= 20 and line[-1:] not in _HARD_END + "::" and nxt.strip()
            cut = not (wrapped and not _HEADING_START_RE.match(nxt))
        if cut:
            if text[start : i + 1].strip():
                spans.append(_trim(text, start, i + 1))
            start = i + 1
        i += 1
    if text[start:].strip():
        spans.append(_trim(text, start, n))
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


@cache
def _units() -> dict[str, str]:
    return {m.key: m.unit or "" for m in load_templates().narrative_metrics}


def _own_unit(agency_name: str | None) -> str | None:
    """The reporting area's unit character (区 for 平潭综合实验区), None for a department."""
    if not agency_name or md.agency_level(agency_name) in ("department", "unknown"):
        return None
    units, _ = md.split_units(re.sub(r"[^\u4e00-\u9fff]", "", agency_name))
    return units[-1][-1] if units else None


@cache
def _table_label_keys() -> tuple[str, ...]:
    """Folded table-2 column and table-3 row labels (four chars or more)."""
    templates = load_templates()
    keys: set[str] = set()
    # Table 2's row labels (行政许可, 规范性文件) are ordinary words in prose.
    for table_id, axis in (("t2", "columns"), ("t3", "rows")):
        for label in templates.wordings(table_id, axis):
            keys.update(k for k in label.match_keys if len(k) >= 5)
    return tuple(sorted(keys))


def _is_table_dump(compact: str) -> bool:
    """A flattened table (cells run together, no pipes): two or more table labels."""
    folded = match_key(compact)
    hits = 0
    for key in _table_label_keys():
        if key in folded:
            hits += 1
            if hits >= 2:
                return True
    return False


def _usable_sentence(compact: str, report_year: int | None) -> bool:
    if "|" in compact:
        return False
    if report_year is None:
        return True
    years = {int(y) for y in _YEAR_RE.findall(_BRACKETED_RE.sub("", compact))}
    return not (years - {report_year})


def _usable_clause(clause: str, own_unit: str | None) -> bool:
    if _OTHER_PERIOD_RE.search(clause):
        return False
    return all(m.group(1) == own_unit for m in _WHOLE_BODY_RE.finditer(clause))


def _value(metric: str, match: re.Match[str], clause: str, sentence: str, before: str) -> float | None:
    """The stated value, 0.0 for a zero statement, None if the statement is unusable.

    `sentence` is the whole (compact) sentence, `before` the compact text just before it.
    """
    groups = match.groupdict()
    if metric == "applications_received":
        qualifier = groups.get("q") or groups.get("bare") or ""
        # "…申请行政复议" is an appeal, not a disclosure application.
        following = clause[match.end() : match.end() + 6]
        if _APPEAL_WORDS_RE.search(qualifier + following) or "申请" not in qualifier:
            return None
        if groups.get("bare") is not None:
            # "共收到70件申请": which applications only the paragraph says (依申请公开方面).
            if not re.search(r"依申请|信息公开申请|公开申请", before + sentence) or re.search(
                r"审批|窗口|办件", sentence
            ):
                return None
        elif not re.search(r"公开|信息", clause[match.start() : match.end() + 8]):
            return None  # "共受理申请136437件" in a service-hall paragraph
    if metric == "fees_charged_yuan" and (
        not _FEE_CONTEXT_RE.search(clause) or re.search(r"行政事业性收费|逾期", clause)
    ):
        return None
    if metric == "applications_answered" and (re.search(r"结转|顺延", clause) or "申请" not in sentence):
        return None
    if metric == "items_published" and "申请" in clause:
        return None
    number = groups.get("n")
    if number is None:
        return 0.0
    if groups.get("approx") or clause[: match.start("n")].endswith(_APPROX_BEFORE):
        return None
    # "申请3件、纸质申请36件": one count split over an enumeration.
    if re.match(r"、[^,。、\d]{0,8}?申请\d", clause[match.end() :]):
        return None
    value = float(number)
    if groups.get("unit") == "万元":
        value *= 10_000
    return value


@cache
def _home_sections() -> dict[str, str]:
    """Metric → the official section that reports it (`section:` in templates.yaml)."""
    return {m.key: m.section for m in load_templates().narrative_metrics if m.section}


def extract_narrative(
    text: str, sections: list[Section], report_year: int | None, agency_name: str | None
) -> list[NarrativeMetric]:
    """One NarrativeMetric per metric the prose states (see module docstring).

    Rule for one value per metric: the first usable statement inside the metric's home
    section (active_disclosure for items_published, applications for the application
    counts, review_litigation for cases) if there is one, else the first usable statement
    anywhere in the text.
    """
    if not text:
        return []
    skipped = [
        (s.char_start, s.char_end) for s in sections if s.key.startswith("other_") and _ANNEX_RE.search(s.heading)
    ]
    home_spans = {s.key: (s.char_start, s.char_end) for s in sections}
    own_unit = _own_unit(agency_name)
    units = _units()
    homes = _home_sections()
    in_home: dict[str, NarrativeMetric] = {}
    anywhere: dict[str, NarrativeMetric] = {}
    for start, end in split_sentences(text):
        if any(a <= start < b for a, b in skipped):
            continue
        # A digit run longer than any count is no statement, and the unanchored `\d+` of the
        # patterns would backtrack over it quadratically: it becomes one placeholder.
        compact = _LONG_DIGITS_RE.sub("#", re.sub(r"\s+", "", text[start:end]))
        if not _usable_sentence(compact, report_year) or _is_table_dump(compact):
            continue
        before = re.sub(r"\s+", "", text[max(0, start - 600) : start])
        for clause in _CLAUSE_SPLIT_RE.split(compact):
            if not clause or not _usable_clause(clause, own_unit):
                continue
            for metric, patterns in _PATTERNS.items():
                home = home_spans.get(homes.get(metric, ""))
                at_home = home is not None and home[0] <= start < home[1]
                if metric in in_home or (metric in anywhere and not at_home):
                    continue
                for pattern in patterns:
                    match = pattern.search(clause)
                    if not match:
                        continue
                    value = _value(metric, match, clause, compact, before)
                    if value is None:
                        continue
                    found = NarrativeMetric(metric, value, units.get(metric, ""), text[start:end], start, end)
                    anywhere.setdefault(metric, found)
                    if at_home:
                        in_home[metric] = found
                    break
    chosen = {**anywhere, **in_home}
    order = list(_PATTERNS)
    return sorted(chosen.values(), key=lambda m: order.index(m.metric_key))
