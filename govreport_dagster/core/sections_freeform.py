"""Sections of free-form reports: headings by their numbering, keys by their words.

Pre-2019 reports (and some later ones) follow no template: `一、主要工作概述`, Arabic
`1、总体情况`, a statistics annex `附件1：…统计表`. When the template's headings find no
canonical section, the numbered headings themselves are taken: the numbering family
(Chinese 一、 or Arabic 1、) with the longest run 1, 2, 3 … in printed order, plus annexes.
Each heading is mapped onto a canonical key by the words templates.yaml declares
(`freeform_sections`), else `other_<n>`. Best effort by design: a report with text is
never rejected for its headings; the issues say what was found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from govreport_dagster.core.model import Section
from govreport_dagster.core.templates import load_templates, match_key, numeral_value, strip_item_number

_CN = "一二三四五六七八九十"
# A heading starts a line or follows the end of a sentence (flattened pages).
_LEAD = r"(?:^|(?<=[\n。;；!！?？]))[ \t\u3000]*"
_CN_RE = re.compile(_LEAD + r"([一二三四五六七八九十]{1,3})\s*[、.．]", re.M)
_ARABIC_RE = re.compile(_LEAD + r"(\d{1,2})\s*(?:[、．]|\.(?!\d))", re.M)
_MAX_HEADING = 40
_END_RE = re.compile(r"[。，,;；:：\n]")


@dataclass(frozen=True)
class _Heading:
    start: int
    body: int  # where the heading's words start
    value: int | None  # None for an annex


@cache
def _keywords() -> tuple[tuple[str, tuple[str, ...]], ...]:
    spec = load_templates().raw["freeform_sections"]
    return tuple((k["key"], tuple(match_key(w) for w in k["words"])) for k in spec["keywords"])


@cache
def _annex_re() -> re.Pattern[str]:
    words = "|".join(re.escape(w) for w in load_templates().raw["freeform_sections"]["annex_words"])
    return re.compile(_LEAD + r"(?:" + words + r")", re.M)


@cache
def _table_row_labels() -> tuple[str, ...]:
    """Table 3's row and group labels without numbering (一、本年新收… is a row, not a heading)."""
    t3 = load_templates().raw["tables"]["t3"]["rows"]
    labels = {strip_item_number(r.get(f) or "") for r in t3 for f in ("label", "group")}
    return tuple(sorted(label for label in labels if len(label) >= 4))


def _is_table_row(text: str, body: int) -> bool:
    folded = match_key(text[body : body + _MAX_HEADING])
    return any(folded.startswith(label) for label in _table_row_labels())


def _sequence(matches: list[tuple[int, int, int]]) -> list[_Heading]:
    """The headings whose numbers run 1, 2, 3 … in printed order (others are sub-items)."""
    out: list[_Heading] = []
    expected = 1
    for start, body, value in matches:
        if value == expected:
            out.append(_Heading(start, body, value))
            expected += 1
    return out


def _numbered(text: str) -> list[_Heading]:
    chinese = [(m.start(1), m.end(), v) for m in _CN_RE.finditer(text) if (v := numeral_value(m.group(1)))]
    arabic = [(m.start(1), m.end(), int(m.group(1))) for m in _ARABIC_RE.finditer(text)]
    chinese = [m for m in chinese if not _is_table_row(text, m[1])]
    runs = [_sequence(chinese), _sequence(arabic)]
    return max(runs, key=len)


def _extent(text: str, body: int) -> int:
    end = _END_RE.search(text, body, body + _MAX_HEADING)
    return end.start() if end else min(len(text), body + _MAX_HEADING)


def _key(heading: str, taken: set[str]) -> str | None:
    folded = match_key(heading)
    for key, words in _keywords():
        if any(w in folded for w in words):
            return None if key in taken else key
    return None


def find_freeform_sections(text: str) -> list[Section]:
    """Sections of `text` by numbering (see module docstring); [] when nothing is numbered."""
    headings = _numbered(text)
    last = headings[-1].start if headings else 0
    annexes = [_Heading(m.start(), m.start(), None) for m in _annex_re().finditer(text) if m.start() > last]
    headings = sorted(headings + annexes[:1], key=lambda h: h.start)
    sections: list[Section] = []
    taken: set[str] = set()
    for i, h in enumerate(headings):
        end = headings[i + 1].start if i + 1 < len(headings) else len(text)
        printed = re.sub(r"\s+", "", text[h.start : _extent(text, h.body)])
        words = text[h.body : _extent(text, h.body)]
        key = _key(words, taken) if h.value is not None else None
        if key is not None:
            taken.add(key)
        sections.append(Section(key or f"other_{i + 1}", printed, i + 1, h.start, end, text[h.start : end]))
    return sections


def complete_sections(text: str, sections: list[Section], issues: list[str]) -> list[Section]:
    """The hook from sectioning: template headings win; when they found no canonical section,
    the free-form reading is used if it finds one (or anything at all where they found nothing)."""
    if any(not s.key.startswith("other_") for s in sections):
        return sections
    freeform = find_freeform_sections(text)
    if any(not s.key.startswith("other_") for s in freeform) or (freeform and not sections):
        issues.append("free-form headings: " + ", ".join(f"{s.heading} → {s.key}" for s in freeform))
        return freeform
    return sections
