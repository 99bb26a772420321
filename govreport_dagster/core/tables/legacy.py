"""Pre-2019 statistics tables (政府信息公开情况统计表), read by the form they print.

The forms are declared in templates.yaml (`legacy_forms`, see `tables.legacy_forms`). The
table is located by a header anchor (指标名称 / 统计指标 / 本期实际 / …情况统计表); each
declared form then anchors its rows by label in printed order (a row not printed is
skipped, a row the form does not declare is kept with a null key), and the form that
anchors the most rows wins. What lies between a row's label and the next label is its unit,
indicator code and values, however the page was flattened: grid cells, pipes, spaces, one
cell per line, or nothing at all (`主动公开信息数条4251516`). A run of digits holding several
values is split with what the form gives (`tables.legacy_split`): this year ≤ cumulative,
the form's sub-row identities, the printed unit, and the report's own prose count of
published items (主动公开政府信息425条: the narrative stage's items_published, `published`).
What stays open is null with its candidates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from govreport_dagster.core.model import LegacyIndicatorRow
from govreport_dagster.core.tables import legacy_split
from govreport_dagster.core.tables.digits import parse_number, split_groups
from govreport_dagster.core.tables.legacy_forms import FormRow, LegacyForm, identities_of, legacy_forms
from govreport_dagster.core.tables.scan import Scan, scan
from govreport_dagster.core.templates import load_templates, match_key, strip_item_number

# Phrases that start a statistics table (header cells, or the form's title as a last resort).
_START_ANCHORS = ("指标名称", "统计指标", "本期实际", "情况统计表")
_MAX_STARTS = 4  # distinct table starts tried (each is one linear read)
REGION = 10_000  # characters read after a table start
_MAX_GAP = 300  # stream characters allowed between consecutive anchored rows
_MAX_LABEL = 24  # an undeclared row's label; longer text after the table is prose
_LOOKAHEAD = 4  # later rows checked so an absent row is not anchored past them
MAX_SPLITS_KEPT = 200
_UNITS = ("万元", "人次", "条", "件", "元", "项", "个", "次", "人", "篇")
_MARKER_BEFORE_RE = re.compile(
    r"(?:其中:?)?(?:\d{1,2}\.|\([一二三四五六七八九十\d]{1,3}\)|[一二三四五六七八九十]{1,3}\.)$"
)


@dataclass
class LegacyRead:
    """What the reader found: rows in printed order, plus what it could not decide."""

    form_id: str | None = None
    rows: list[LegacyIndicatorRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    splits: dict[str, list[dict[str, tuple[float | None, str]]]] = field(default_factory=dict)


@dataclass
class _Printed:
    row: FormRow | None  # None: a row the form does not declare
    label: str
    start: int  # offset of the label in the document
    unit: str | None = None
    nums: list[str] = field(default_factory=list)
    cands: list[legacy_split.Reading] = field(default_factory=list)
    parts: list[tuple[str, ...]] = field(default_factory=list)
    note: str | None = None
    readings: int = 0  # candidate readings before the identities narrowed them
    parts_of: dict[legacy_split.Reading, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class _Attempt:
    form: LegacyForm
    sc: Scan
    base: int
    anchored: list[tuple[FormRow, int, int]]  # (row, stream start, stream end)


def extract_legacy(text: str, published: Iterable[float] = ()) -> tuple[list[LegacyIndicatorRow], list[str]]:
    """Rows and warnings (see `read_legacy` for the undecided candidates)."""
    read = read_legacy(text, published)
    return read.rows, read.warnings


def legacy_form_present(text: str) -> bool:
    """Does the text print a declared pre-2019 form (two or more of its rows after a header)?"""
    return _best_attempt(text) is not None


def read_legacy(text: str, published: Iterable[float] = ()) -> LegacyRead:
    """The statistics table of `text` read by its form. `published`: the number of published
    items the report's prose states (narrative items_published), which may decide that row."""
    best = _best_attempt(text)
    if best is None:
        found = any(a in text for a in _START_ANCHORS[:3])
        return LegacyRead(warnings=["pre-2019 statistics table header found but no rows read"] if found else [])
    printed = _rows(best)
    _readings(printed, best.form)
    constraints = _constraints(printed, best.form)
    width = len(best.form.columns)
    capped: set[str] = set()
    used = _narrow(printed, constraints, width, capped)
    if _published_hint(printed, set(published)):
        used += _narrow(printed, constraints, width, capped)
    read = _result(best.form, printed, used)
    if capped and read.ambiguous:
        read.warnings.append(
            f"legacy: undecidable, the sub-row search of {', '.join(sorted(capped))} exceeds "
            f"{legacy_split.SEARCH_CAP} combinations; rows left null with their candidates"
        )
    return read


def _narrow(
    printed: list[_Printed], constraints: list[legacy_split.Constraint], width: int, capped: set[str]
) -> list[str]:
    cands = [p.cands for p in printed]
    used = legacy_split.narrow(cands, constraints, width, capped)
    for p, c in zip(printed, cands, strict=True):
        p.cands = c
    return used


def _starts(text: str) -> list[int]:
    starts = sorted({pos for a in _START_ANCHORS if (pos := text.find(a)) != -1})
    return starts[:_MAX_STARTS]


def _best_attempt(text: str) -> _Attempt | None:
    best: _Attempt | None = None
    for start in _starts(text):
        region = _blank_notes(text[start : start + REGION])
        sc = scan(region)
        for form in legacy_forms():
            anchored = _anchor(sc, form)
            if len(anchored) >= 2 and (best is None or len(anchored) > len(best.anchored)):
                best = _Attempt(form, sc, start, anchored)
    return best


@cache
def _note_patterns() -> tuple[re.Pattern[str], ...]:
    """Printed notes of the form rows (`（不同渠道和方式公开相同信息计1条）`), any bracket width
    and spacing: they may hold digits, which must not be read as values."""
    out = []
    for form in legacy_forms():
        for row in form.rows:
            if row.note:
                body = match_key(row.note).strip("()")
                chars = [re.escape(c) for c in body]
                out.append(re.compile(r"[（(]\s*" + r"\s*".join(chars) + r"\s*[)）]"))
    return tuple(out)


def _blank_notes(region: str) -> str:
    for pattern in _note_patterns():
        region = pattern.sub(lambda m: " " * len(m.group()), region)
    return region


def _anchor(sc: Scan, form: LegacyForm) -> list[tuple[FormRow, int, int]]:
    """Each declared row's label in printed order; a row whose label only appears after a
    later row's (or far beyond the previous row) is taken as not printed. A lone first row
    followed only by far rows was prose before the table: the rows are anchored again after
    it (a few times at most)."""
    lo = 0
    for _ in range(_MAX_STARTS):
        out, lone_end = _anchor_from(sc.stream, form.rows, lo)
        if lone_end is None:
            return out
        lo = lone_end
    return []


def _anchor_from(stream: str, rows: tuple[FormRow, ...], lo: int) -> tuple[list[tuple[FormRow, int, int]], int | None]:
    out: list[tuple[FormRow, int, int]] = []
    cursor, last_end = lo, None
    for i, row in enumerate(rows):
        hit = _find(stream, row.match_keys, cursor, len(stream))
        if hit is None:
            continue
        if last_end is not None and hit[0] - last_end > _MAX_GAP:
            if len(out) == 1:
                return out, last_end
            continue
        later = (_find(stream, r.match_keys, cursor, hit[0]) for r in rows[i + 1 : i + 1 + _LOOKAHEAD])
        if any(h is not None for h in later):
            continue
        start = hit[0]
        marker = _MARKER_BEFORE_RE.search(stream[max(cursor, start - 8) : start])
        if marker:
            start -= len(marker.group())
        out.append((row, start, hit[1]))
        cursor = last_end = hit[1]
    return out, None


def _find(stream: str, keys: tuple[str, ...], lo: int, hi: int) -> tuple[int, int] | None:
    """Earliest occurrence of any key in stream[lo:hi], the longest key at that position
    (`2.政府公报公开` over its variant `2.政府公报`)."""
    best: tuple[int, int] | None = None
    for key in keys:
        pos = stream.find(key, lo, hi)
        if pos != -1 and (best is None or (pos, -(pos + len(key))) < (best[0], -best[1])):
            best = (pos, pos + len(key))
    return best


def _rows(attempt: _Attempt) -> list[_Printed]:
    """Split the region at the anchored labels; read each row's unit and values. Text that
    is neither a unit nor a value starts a row the form does not declare."""
    sc, base = attempt.sc, attempt.base
    bounds = [sc.span_offsets(s, e) for _row, s, e in attempt.anchored]
    out: list[_Printed] = []
    for i, (row, _s, _e) in enumerate(attempt.anchored):
        lo, hi = bounds[i]
        nxt = bounds[i + 1][0] if i + 1 < len(bounds) else len(sc.text)
        current = _Printed(row, _printed_label(sc.text[lo:hi]), base + lo)
        out.append(current)
        for atom in sc.atoms:
            if atom.start < hi or atom.start >= nxt:
                continue
            if atom.kind == "num":
                current.nums.append(atom.text)
            elif atom.kind == "na":
                current.nums.append("")
            elif atom.kind == "text":
                word = _printed_label(atom.text).strip(":：|")
                if not word:
                    continue
                if word in _UNITS and not current.nums and current.unit is None:
                    current.unit = word
                elif current.row is None and not current.nums:
                    current.label += word  # an undeclared label wrapped or spaced
                else:
                    unit = next((u for u in _UNITS if word.endswith(u) and len(word) > len(u)), None)
                    label = word[: -len(unit)] if unit else word
                    current = _Printed(None, label, base + atom.start, unit=unit)
                    out.append(current)
    if bounds and "序号" in sc.text[: bounds[0][0]]:
        _drop_serials(out, len(attempt.form.columns))
    return _table_end(out)


def _table_end(printed: list[_Printed]) -> list[_Printed]:
    """After the last declared row, undeclared rows continue the table only while they look
    like rows (a short label with values); the first that does not ends it (prose follows)."""
    last = max(i for i, p in enumerate(printed) if p.row is not None)
    end = last + 1
    while end < len(printed) and len(printed[end].label) <= _MAX_LABEL and printed[end].nums:
        end += 1
    return printed[:end]


def _drop_serials(printed: list[_Printed], width: int) -> None:
    """A 序号 column prints the next row's serial number after this row's values."""
    for p in printed[:-1]:
        cells = 0 if p.row is not None and p.row.heading else width
        if len(p.nums) > cells and p.nums[-1].isdigit():
            p.nums.pop()


def _printed_label(text: str) -> str:
    return re.sub(r"[\s|]+", "", text)


def _readings(printed: list[_Printed], form: LegacyForm) -> None:
    width = len(form.columns)
    codes = _codes_printed(printed)
    for p in printed:
        nums = list(p.nums)
        if p.row is not None and p.row.heading:
            if any(nums):
                p.note = f"{len(nums)} values printed on a group row"
            continue
        if codes and p.row is not None and p.row.code and nums:
            nums = _strip_code(nums, p.row.code)
        unit = p.unit or (p.row.unit if p.row else None)
        if not nums:
            p.cands, p.parts = [(None,) * width], [("",) * width]
        elif len(nums) == width:
            p.cands = [tuple(parse_number(n, unit)[0] if n else None for n in nums)]
            p.parts = [tuple(nums)]
        elif len(nums) < width and all(nums):
            for parts in split_groups(nums, width):
                values = tuple(parse_number(x, unit)[0] for x in parts)
                if width == 1 or _period_ok(values):
                    p.cands.append(values)
                    p.parts.append(parts)
            if not p.cands:
                p.note = f"no reading of {' '.join(nums)!r} has this year ≤ cumulative"
        else:
            p.note = f"{len(nums)} values printed for {width} column(s)"
        p.readings = len(p.cands)
        p.parts_of = dict(zip(p.cands, p.parts, strict=True))


def _codes_printed(printed: list[_Printed]) -> bool:
    coded = [p for p in printed if p.row is not None and p.row.code and p.nums]
    return bool(coded) and sum(p.nums[0].startswith(p.row.code) for p in coded) * 2 >= len(coded)  # type: ignore[union-attr]


def _strip_code(nums: list[str], code: str) -> list[str]:
    if nums[0] == code:
        return nums[1:]
    if nums[0].startswith(code) and len(nums[0]) > len(code):
        return [nums[0][len(code) :], *nums[1:]]
    return nums


def _period_ok(values: tuple[float | None, ...]) -> bool:
    this, cum = values[0], values[1]
    return this is None or cum is None or this <= cum


def _constraints(printed: list[_Printed], form: LegacyForm) -> list[legacy_split.Constraint]:
    """The form's error identities over the printed rows. A sum is only used to split when
    every sub-row the form declares was printed and no undeclared row sits among them (a
    missing or an extra sub-row would make it wrong)."""
    index = {p.row.key: i for i, p in enumerate(printed) if p.row is not None}
    out = []
    for ident in identities_of(form.id):
        if ident.severity != "error" or ident.kind not in ("sum", "bound") or ident.parent not in index:
            continue
        declared = [r.key for r in form.children(ident.parent)]
        children = tuple(index[k] for k in declared if k in index)
        if not children:
            continue
        block_end = next((j for j in range(max(children) + 1, len(printed)) if printed[j].row), len(printed))
        extra = any(p.row is None for p in printed[index[ident.parent] : block_end])
        if ident.kind == "sum" and (len(children) < len(declared) or extra):
            continue
        out.append(legacy_split.Constraint(ident.id, ident.kind, index[ident.parent], children))
    return out


def _published_hint(printed: list[_Printed], published: set[float]) -> bool:
    """The prose's 主动公开…N条 decides the published-items row when the form could not."""
    changed = False
    for p in printed:
        if p.row is None or p.row.key != "items_published" or len(p.cands) < 2:
            continue
        fit = [c for c in p.cands if c[0] in published]
        if len(fit) == 1:
            p.cands = fit
            p.note = "split using the narrative's published count"
            changed = True
    return changed


@cache
def _old_indicator_index() -> dict[str, str]:
    return {match_key(p): i.key for i in load_templates().legacy_indicators for p in i.phrases}


def _result(form: LegacyForm, printed: list[_Printed], used: list[str]) -> LegacyRead:
    read = LegacyRead(form_id=form.id)
    width = len(form.columns)
    ordinal_of: dict[str, int] = {}
    for n, p in enumerate(printed, start=1):
        key = p.row.key if p.row is not None else _old_indicator_index().get(strip_item_number(p.label))
        parent = ordinal_of.get(p.row.parent) if p.row is not None and p.row.parent else None
        if p.row is not None:
            ordinal_of[p.row.key] = n
        values: tuple[float | None, ...] = p.cands[0] if len(p.cands) == 1 else (None,) * width
        if len(p.cands) > 1:
            name = f"legacy.{key or n}"
            read.ambiguous[name] = [" / ".join(f"{v:g}" if v is not None else "" for v in c) for c in p.cands]
            read.splits[name] = [
                {col: (v, part) for col, v, part in zip(form.columns, c, p.parts_of[c], strict=True)}
                for c in p.cands[:MAX_SPLITS_KEPT]
            ]
            p.note = "ambiguous: " + ", ".join(read.ambiguous[name][:10])
        elif p.note is None and p.readings > 1 and used:
            p.note = "split by the form's identities: " + ", ".join(used)
        read.rows.append(
            LegacyIndicatorRow(
                ordinal=n,
                indicator_label=p.label,
                indicator_key=key,
                parent_ordinal=parent,
                unit=p.unit or (p.row.unit if p.row is not None else None),
                this_period=values[0],
                cumulative=values[1] if width > 1 else None,
                raw_text=" ".join(p.nums),
            )
        )
        if p.note:
            read.warnings.append(f"legacy row {p.label!r}: {p.note}")
    return read
