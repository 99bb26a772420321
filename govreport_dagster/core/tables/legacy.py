"""Pre-2019 statistics tables (政府信息公开情况统计表): indicator | unit | this year | cumulative.

Flattened pages run the cells together (`主动公开信息数条4251516`). A row is its label text
(ending in the unit) followed by its numbers; a single digit run is split into this-year |
cumulative under this_year ≤ cumulative, then decided by the 其中 sub-row sums (format_spec
§5.4 P_FJ_SUMS) and by the report's own prose (主动公开政府信息425条, `narrative`). Undecided rows
keep null values and their printed run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from govreport_dagster.core.model import LegacyIndicatorRow
from govreport_dagster.core.tables.digits import parse_number, split_groups
from govreport_dagster.core.tables.scan import scan
from govreport_dagster.core.templates import load_templates, match_key, strip_item_number

_START_RE = re.compile(r"指标名称")
_HEADER_END_RE = re.compile(r"历年累计|累计")
_UNIT_RE = re.compile(r"(万元|人次|条|件|元|项|个|次)$")
_CHILD_RE = re.compile(r"^(?:其中[:：]?)")
_NUMBERED_RE = re.compile(r"^(?:其中[:：]?)?\s*(?:\d{1,2}[.、．]|[（(][一二三四五六七八九十\d]+[)）])")
MAX_LABEL = 40


@cache
def _indicator_index() -> dict[str, str]:
    return {match_key(p): i.key for i in load_templates().legacy_indicators for p in i.phrases}


@dataclass
class _Row:
    label: str
    unit: str | None
    nums: list[str]
    parent: int | None = None  # index of the parent row
    cands: list[tuple[float, float]] = field(default_factory=list)
    value: tuple[float, float] | None = None
    note: str | None = None


def extract_legacy(text: str, published: Iterable[float] = ()) -> tuple[list[LegacyIndicatorRow], list[str]]:
    """The statistics table's rows. `published`: the number of published items the report's
    prose states (`narrative` items_published), which decides that indicator's digit run."""
    m = _START_RE.search(text)
    if not m:
        return [], []
    head = _HEADER_END_RE.search(text, m.end(), m.end() + 200)
    start = head.end() if head else m.end()
    sc = scan(text[start : start + 6000])
    rows: list[_Row] = []
    label = ""
    nums: list[str] = []
    for a in sc.atoms:
        if a.kind == "text":
            if nums:
                rows.append(_make_row(label, nums))
                label, nums = "", []
            label += a.text.strip()
            if len(label) > MAX_LABEL:
                break
        elif a.kind == "num":
            nums.append(a.text)
        elif a.kind == "na":
            nums.append("")
    if nums and label:
        rows.append(_make_row(label, nums))
    if not rows:
        return [], ["pre-2019 statistics table header found but no rows read"]
    _link_parents(rows)
    _resolve(rows, set(published))
    out = []
    index = _indicator_index()
    for i, r in enumerate(rows):
        key = index.get(strip_item_number(r.label))
        this, cum = r.value if r.value else (None, None)
        out.append(
            LegacyIndicatorRow(
                ordinal=i + 1,
                indicator_label=r.label,
                indicator_key=key,
                parent_ordinal=r.parent + 1 if r.parent is not None else None,
                unit=r.unit,
                this_period=this,
                cumulative=cum,
                raw_text=" ".join(r.nums),
            )
        )
    warnings = [f"legacy row {r.label!r}: {r.note}" for r in rows if r.note]
    return out, warnings


def _make_row(label: str, nums: list[str]) -> _Row:
    unit = None
    # a unit printed on its own ("| 条 |") or glued to the label ("主动公开信息数条")
    m = _UNIT_RE.search(label)
    if m and len(label) > len(m.group(1)):
        unit = m.group(1)
        label = label[: m.start()]
    label = label.strip("|: ")
    row = _Row(label, unit, nums)
    if len(nums) == 2 and all(nums):
        row.value = (parse_number(nums[0])[0] or 0.0, parse_number(nums[1])[0] or 0.0)
    elif len(nums) == 1 and nums[0]:
        for a, b in split_groups(nums, 2):
            va, vb = parse_number(a)[0], parse_number(b)[0]
            if va is not None and vb is not None and va <= vb:
                row.cands.append((va, vb))
        if len(row.cands) == 1:
            row.value = row.cands[0]
            row.note = None
    else:
        row.note = f"{len(nums)} values printed"
    return row


def _link_parents(rows: list[_Row]) -> None:
    parent: int | None = None
    for i, r in enumerate(rows):
        if _CHILD_RE.match(r.label) or (_NUMBERED_RE.match(r.label) and parent is not None):
            r.parent = parent
        else:
            parent = i


def _resolve(rows: list[_Row], published: set[float]) -> None:
    index = _indicator_index()
    changed = True
    while changed:
        changed = False
        for i, r in enumerate(rows):
            if r.value is not None or not r.cands:
                continue
            kids = [k for k in rows if k.parent == i]
            # parent = Σ children, when every child is known
            if kids and all(k.value for k in kids):
                s = (sum(k.value[0] for k in kids), sum(k.value[1] for k in kids))  # type: ignore[index]
                fit = [c for c in r.cands if c == s]
                if len(fit) == 1:
                    r.value, r.note = fit[0], "split by the sub-row sum"
                    changed = True
                    continue
            # child = parent − Σ other children
            if r.parent is not None and rows[r.parent].value is not None:
                sibs = [k for k in rows if k.parent == r.parent and k is not r]
                if all(k.value for k in sibs):
                    p = rows[r.parent].value
                    s = (p[0] - sum(k.value[0] for k in sibs), p[1] - sum(k.value[1] for k in sibs))  # type: ignore[index]
                    fit = [c for c in r.cands if c == s]
                    if len(fit) == 1:
                        r.value, r.note = fit[0], "split by the parent's sub-row sum"
                        changed = True
                        continue
            # the prose's count of published items for the published-items indicator
            if index.get(strip_item_number(r.label)) == "items_published" and published:
                fit = [c for c in r.cands if c[0] in published]
                if len(fit) == 1:
                    r.value, r.note = fit[0], "split using the narrative's published count"
                    changed = True
    for r in rows:
        if r.value is None and len(r.cands) > 1:
            r.note = "ambiguous: " + ", ".join(f"{a:g} / {b:g}" for a, b in r.cands)
