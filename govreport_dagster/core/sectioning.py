"""Stage 2: decoded text → sections, metadata, template/layout version, narrative metrics.

Headings are found as a Chinese ordinal (一、 … 十、) followed by one of the phrases that
templates.yaml declares for a section (official 2019/2021 headings and their variants, or
the pre-2019 families), compared through `templates.match_key()`. A bare 一、/二、 never
starts a section: table 3's row labels begin that way (一、本年新收…, 四、结转下年度继续办理).
A numbered heading with no known phrase becomes `other_<n>` only when its numeral continues
the sequence of accepted headings and it is not a table label (seed 001 prints an extra
五、监督保障方面 between 四 and 六). Headings may sit inline in one long line (crawled pages).

The template version follows the report year; the layout version is the layout whose
table labels are actually printed (`core.layout`). A 2020 report printed on the 2021
layout is flagged, and the printed layout wins for extraction.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache

from govreport_dagster.core import metadata as md
from govreport_dagster.core.layout import decide_layout, layout_evidence, pre2019_layout
from govreport_dagster.core.model import DecodedDocument, Section, SectionedReport
from govreport_dagster.core.narrative import extract_narrative
from govreport_dagster.core.sections_freeform import complete_sections
from govreport_dagster.core.templates import (
    TABLE_IDS,
    fold_char,
    load_templates,
    match_key,
    numeral_value,
    strip_item_number,
)

__all__ = ["find_sections", "layout_evidence", "section_report"]

_NUMERALS = "一二三四五六七八九十"
# An ordinal at a line start or after sentence punctuation / whitespace / a digit (inline
# headings in flattened pages follow "。", a space, or the previous table's last cell
# "…24252.311082三、收到…"); "第一、" is not a section ordinal.
_ORDINAL_RE = re.compile(r"(?<![一二三四五六七八九十])([一二三四五六七八九十]{1,3})\s*[、.．]\s*")
_BOUNDARY_CHARS = set(" \t\n\r\u3000。;!?:|)”%0123456789")
_WINDOW = 80  # chars after the ordinal searched for a phrase
_MAX_HEADING = 40  # a line longer than this is a paragraph, not a heading line
_FUZZY_MIN = 0.8  # similarity for an unlisted wording of a known heading
_EXTENT_END_RE = re.compile(r"[。:;,\s(]")


# --------------------------------------------------------------------------------------
# Vocabulary from templates.yaml (built once per process)


@cache
def _phrase_index() -> tuple[tuple[str, str], ...]:
    """(folded phrase, section key), longest phrase first: official headings and variants,
    then the pre-2019 families (which map onto the same canonical keys)."""
    templates = load_templates()
    pairs: dict[str, str] = {}
    for spec in templates.official_sections:
        for phrase in spec.phrases:
            pairs.setdefault(match_key(phrase), spec.key)
    for key, phrases in templates.pre2019_families.items():
        for phrase in phrases:
            pairs.setdefault(match_key(phrase), key)
    return tuple(sorted(pairs.items(), key=lambda kv: -len(kv[0])))


@cache
def _official_heading_index() -> dict[str, str]:
    """Folded official heading phrase → section key, for unnumbered heading lines (read-only;
    a later phrase wins on a clash, as the per-document dict it replaces did)."""
    return {match_key(p): s.key for s in load_templates().official_sections for p in s.phrases}


@cache
def _canonical_order() -> dict[str, int]:
    return {spec.key: i for i, spec in enumerate(load_templates().official_sections)}


@cache
def _table_labels() -> tuple[str, ...]:
    """Folded table row/group labels (with and without item numbering): a numbered line
    starting with one of these is a table row, never an `other_<n>` heading."""
    templates = load_templates()
    labels: set[str] = set()
    for table_id in TABLE_IDS:
        for label in templates.wordings(table_id, "rows"):
            labels.update(label.match_keys)
            if label.group:
                labels.add(match_key(label.group))
    stripped = {strip_item_number(label) for label in labels}
    return tuple(sorted(label for label in labels | stripped if len(label) >= 4))


# --------------------------------------------------------------------------------------
# Headings


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int  # end of the printed heading
    value: int | None  # the ordinal's value; None for an unnumbered heading line
    key: str | None
    heading: str
    table_label: bool = False


def _fold_window(window: str) -> tuple[str, list[int]]:
    """Fold `window` char by char, remembering each folded char's offset in `window`."""
    folded: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(window):
        f = fold_char(ch)
        if f:
            folded.append(f)
            offsets.append(i)
    return "".join(folded), offsets


def _line_bounds(text: str, pos: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, len(text) if end == -1 else end


def _extent(text: str, body_start: int) -> int:
    """End of an unlisted heading's text: the line end if the line is heading-length,
    else the first delimiter within _MAX_HEADING chars (or -1: no clear extent)."""
    _, line_end = _line_bounds(text, body_start)
    if line_end - body_start <= _MAX_HEADING:
        return line_end
    delim = _EXTENT_END_RE.search(text, body_start, body_start + _MAX_HEADING)
    return delim.start() if delim else -1


def _fuzzy_key(folded: str) -> str | None:
    best, best_key = 0.0, None
    for phrase, key in _phrase_index():
        matcher = difflib.SequenceMatcher(None, folded, phrase, autojunk=False)
        if matcher.real_quick_ratio() < _FUZZY_MIN or matcher.quick_ratio() < _FUZZY_MIN:
            continue
        ratio = matcher.ratio()
        if ratio > best:
            best, best_key = ratio, key
    return best_key if best >= _FUZZY_MIN else None


def _candidates(text: str) -> list[_Candidate]:
    found: list[_Candidate] = []
    phrases = _phrase_index()
    table_labels = _table_labels()
    for match in _ORDINAL_RE.finditer(text):
        value = numeral_value(match.group(1))
        if value is None:
            continue
        start = match.start()
        # After other text (crawled pages: "…采购总金额…元三、收到和处理…") only a known
        # phrase makes a heading; "第一、" never does.
        boundary = start == 0 or text[start - 1] in _BOUNDARY_CHARS
        if start and text[start - 1] == "第":
            continue
        body = match.end()
        folded, offsets = _fold_window(text[body : body + _WINDOW])
        key, end = None, -1
        for phrase, phrase_key in phrases:
            if folded.startswith(phrase):
                key, end = phrase_key, body + offsets[len(phrase) - 1] + 1
                break
        _, line_end = _line_bounds(text, match.start())
        if key is not None:
            # Extend over a printed tail the phrase lacks ("…情况" / "…的情况"), never over
            # body text: only to a line end that follows within a few unbroken chars.
            tail = text[end:line_end]
            if len(tail) <= 12 and not re.search(r"[\s。:;,]", tail.rstrip("。 \t")):
                end = line_end
        elif not boundary:
            continue
        else:
            end = _extent(text, body)
            if end <= body:
                continue
            heading_folded = match_key(text[body:end])
            if not heading_folded:
                continue
            if any(heading_folded.startswith(label) for label in table_labels):
                found.append(_Candidate(match.start(), end, value, None, "", table_label=True))
                continue
            key = _fuzzy_key(heading_folded)
        heading = re.sub(r"\s+", "", text[match.start() : end]).rstrip("。")
        found.append(_Candidate(match.start(), end, value, key, heading))
    # Unnumbered heading lines that are exactly an official heading ("总体情况").
    official = _official_heading_index()
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if 0 < len(stripped) <= _MAX_HEADING:
            key = official.get(match_key(stripped).rstrip("。"))
            if key:
                start = pos + line.index(stripped[0])
                found.append(_Candidate(start, start + len(stripped), None, key, stripped))
        pos += len(line) + 1
    found.sort(key=lambda c: c.start)
    return found


def find_sections(text: str, issues: list[str] | None = None) -> list[Section]:
    """Top-level sections of `text` in printed order (see module docstring).

    Problems (duplicated headings, headings out of order) are appended to `issues`.
    """
    issues = [] if issues is None else issues
    candidates = _candidates(text)
    known = sorted(_known_headings(candidates, issues), key=lambda c: c.start)
    result = _with_unlisted(candidates, known)
    _check_order(result, issues)
    # Merge continuation headings (empty printed heading) into the section before them.
    merged = [c for c in result if c.heading]
    sections: list[Section] = []
    for i, cand in enumerate(merged):
        end = merged[i + 1].start if i + 1 < len(merged) else len(text)
        key = cand.key or f"other_{cand.value}"
        sections.append(Section(key, cand.heading, i + 1, cand.start, end, text[cand.start : end]))
    return sections


def _known_headings(candidates: list[_Candidate], issues: list[str]) -> list[_Candidate]:
    """Pass 1: headings with a known phrase; the first occurrence of a key wins."""
    accepted: list[_Candidate] = []
    seen: set[str] = set()
    for cand in candidates:
        if cand.key is None:
            continue
        if cand.key not in seen:
            seen.add(cand.key)
            accepted.append(cand)
            continue
        last = accepted[-1] if accepted else None
        adjacent = (
            last is not None
            and last.key == cand.key
            and cand.value is not None
            and last.value is not None
            and cand.value == last.value + 1
        )
        if adjacent:
            # "六、存在的主要问题" + "七、改进措施": one section printed as two.
            accepted.append(_Candidate(cand.start, cand.end, cand.value, cand.key, "", table_label=False))
        elif cand.value is not None:
            issues.append(f"duplicated heading {cand.heading!r} at char {cand.start} ignored")
    return accepted


def _with_unlisted(candidates: list[_Candidate], known: list[_Candidate]) -> list[_Candidate]:
    """Pass 2: numbered headings with no known phrase, where their numeral continues the
    sequence (and the next known heading's numeral is larger)."""
    result: list[_Candidate] = []
    prev_value = 0
    k = 0
    for cand in candidates:
        while k < len(known) and known[k].start < cand.start:
            result.append(known[k])
            prev_value = known[k].value if known[k].value is not None else prev_value
            k += 1
        if k < len(known) and known[k].start == cand.start:
            continue
        if cand.key is not None or cand.table_label or cand.value is None:
            continue
        next_value = next((c.value for c in known[k:] if c.value is not None), None)
        if cand.value == prev_value + 1 and (next_value is None or cand.value < next_value):
            result.append(cand)
            prev_value = cand.value
    result.extend(known[k:])
    return result


def _check_order(result: list[_Candidate], issues: list[str]) -> None:
    """Out-of-order report: printed numerals going backwards, or canonical order broken."""
    order = _canonical_order()
    last_value, last_rank, last_heading = 0, -1, ""
    for cand in result:
        if not cand.heading:
            continue
        rank = order.get(cand.key or "", -1)
        backwards = cand.value is not None and cand.value <= last_value
        if backwards or (rank != -1 and rank < last_rank):
            issues.append(f"heading {cand.heading!r} out of order (after {last_heading!r})")
        last_value = cand.value if cand.value is not None else last_value
        last_rank = max(last_rank, rank)
        last_heading = cand.heading


# --------------------------------------------------------------------------------------
# The stage


def section_report(
    doc: DecodedDocument, *, year_hint: int | None = None, year_hint_source: str | None = None
) -> SectionedReport:
    """Sections, metadata, template/layout version and narrative metrics of one report.

    Never raises on content: problems become `status` and `issues`.
    year_hint (a sidecar or a YYYY/ folder) wins over the text's year; when the document
    clearly says another year (title or 统计期限 sentence) the issue "document says YYYY"
    lets the ledger report it.
    """
    text = doc.text or ""
    templates = load_templates()
    issues: list[str] = []
    if not text.strip():
        year = year_hint
        version = templates.version_for_year(year) if year else "unknown"
        meta = md.extract_metadata("")
        meta.report_year, meta.year_source = year, (year_hint_source if year else None)
        return SectionedReport(meta, [], version, version, [], "empty_text", ["empty text: nothing to section"])

    meta = md.extract_metadata(text)
    if year_hint is not None:
        if meta.report_year is not None and meta.report_year != year_hint and meta.year_source != "text":
            issues.append(
                f"document says {meta.report_year} ({meta.year_source}); "
                f"using {year_hint} from {year_hint_source or 'hint'}"
            )
        meta.report_year, meta.year_source = year_hint, year_hint_source or "hint"
        if meta.publish_date is not None and meta.publish_date.year < year_hint:
            meta.publish_date = None  # a date before the year reported on is not its publication

    sections = complete_sections(text, find_sections(text, issues), issues)
    template_version = templates.version_for_year(meta.report_year) if meta.report_year else "unknown"
    evidence = layout_evidence(text)
    layout_version = pre2019_layout(template_version, evidence, text) or decide_layout(
        template_version, evidence, issues
    )
    if template_version == "unknown":
        issues.append("report year not found in the text (no title year, 统计期限 sentence or 现将YYYY年…报告)")

    status = "ok"
    canonical = [s for s in sections if not s.key.startswith("other_")]
    if not canonical:
        status = "no_sections"
        issues.append(
            "no recognisable section heading (一、总体情况 … 六、其他需要报告的事项 or a pre-2019 heading)"
            + (f"; numbered headings found: {', '.join(s.heading for s in sections)}" if sections else "")
        )
    elif templates.has_layout(layout_version) or templates.has_layout(template_version):
        present = {s.key for s in sections}
        missing = [s.key for s in templates.official_sections if s.key not in present]
        if missing:
            issues.append(f"missing sections: {', '.join(missing)}")
    if status == "ok" and template_version == "unknown":
        status = "year_unknown"

    narrative = extract_narrative(text, sections, meta.report_year, meta.agency_name)
    return SectionedReport(meta, sections, template_version, layout_version, narrative, status, issues)
