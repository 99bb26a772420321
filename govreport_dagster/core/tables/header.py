"""Where a table ends, and in which order its columns are printed.

A table ends where the next official section's heading starts (an excerpt that begins
inside table 3 would otherwise read `四、政府信息公开行政复议…` as a table-3 row). Column
order comes from the table's own header when the source prints one: each column label
found in the header is placed on its printed row (a grid's table, a text line, or, in the
one-cell-per-line form, the cells between lines of several `|`), and labels printed on the
same row give pairwise "left of" facts. Only when those facts define exactly one order
different from the template's is the table read in that order; run-together digits and
bare number lines have no readable header and keep the template's order, which is what
the official template prints.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from functools import cache

from govreport_dagster.core.tables.scan import Scan, find_all
from govreport_dagster.core.templates import Label, load_templates, match_key

# A line holding only `|` (one cell per line) and a line of several `|` (a row break there).
_PIPE_LINE_RE = re.compile(r"^[ \t]*\|[ \t]*$", re.M)
_ROW_BREAK_RE = re.compile(r"^[ \t]*\|[ \t|]*\|[ \t]*$", re.M)

Locate = Callable[[int], tuple[object, int]]  # text offset → (printed row id, position in it)


# --------------------------------------------------------------------------------------
# Table end: the next official section heading


@cache
def _later_headings(section_key: str) -> tuple[str, ...]:
    """Folded headings (numeral + phrase, with and without 、) of the official sections
    printed after `section_key`. The numeral is required: table 4's title repeats section
    四's heading without it."""
    sections = load_templates().official_sections
    keys = [s.key for s in sections]
    after = sections[keys.index(section_key) + 1 :] if section_key in keys else ()
    out: dict[str, None] = {}
    for s in after:
        for phrase in s.phrases:
            out[match_key(f"{s.numeral}、{phrase}")] = None
            out[match_key(f"{s.numeral}{phrase}")] = None
    return tuple(out)


def section_end(stream: str, section_key: str, start: int) -> int:
    """Stream index where the first later official section heading starts at or after
    `start` (the table cannot continue past it); the stream's end when there is none."""
    end = len(stream)
    for key in _later_headings(section_key):
        pos = stream.find(key, start, end)
        if pos != -1:
            end = pos
    return end


# --------------------------------------------------------------------------------------
# Printed rows of a header


def text_locator(text: str, lo: int, hi: int) -> Locate:
    """Printed row of a text offset: its line, or in the one-cell-per-line form (several
    lines holding only `|` in the header) the stretch between lines of several `|`."""
    if len(_PIPE_LINE_RE.findall(text, lo, hi)) >= 2:
        breaks = [m.start() for m in _ROW_BREAK_RE.finditer(text)]
        return lambda offset: (bisect.bisect_right(breaks, offset), offset)
    # a header has a handful of labels: counting newlines per label is cheap
    return lambda offset: (text.count("\n", 0, offset), offset)


# --------------------------------------------------------------------------------------
# Column order


def printed_order(
    sc: Scan,
    columns: Sequence[Label],
    lo: int,
    hi: int,
    claimed: list[tuple[int, int]],
    locate: Locate,
) -> tuple[list[Label], str | None]:
    """The columns in the order the header in stream[lo:hi] prints them, with a warning when
    that is not the template's order (or when the header contradicts itself). Without a
    readable header: the template's order, no warning."""
    n = len(columns)
    if n < 2 or lo >= hi:
        return list(columns), None
    taken = list(claimed)
    items: list[tuple[object, int, frozenset[int]]] = []  # (row id, position, column indices)
    groups: dict[str, set[int]] = {}
    for i, col in enumerate(columns):
        if col.group:
            groups.setdefault(match_key(col.group), set()).add(i)
    for key, members in groups.items():  # first: 其他 sits inside 法人或其他组织
        for hit in find_all(sc.stream, key, lo, hi, taken):
            taken.append(hit)
            items.append((*locate(sc.stream_pos[hit[0]]), frozenset(members)))
    by_length = sorted(((k, i) for i, col in enumerate(columns) for k in col.match_keys), key=lambda ki: -len(ki[0]))
    for key, i in by_length:
        for hit in find_all(sc.stream, key, lo, hi, taken):
            taken.append(hit)
            items.append((*locate(sc.stream_pos[hit[0]]), frozenset((i,))))
    edges: set[tuple[int, int]] = set()
    rows: dict[object, list[tuple[int, frozenset[int]]]] = {}
    for row, pos, members in items:
        rows.setdefault(row, []).append((pos, members))
    group_sets = [frozenset(m) for m in groups.values()]
    for row_items in rows.values():
        row_items.sort(key=lambda pm: pm[0])
        # A two-level header flattened row by row (自然人 法人或其他组织 总计 商业企业 …):
        # where a group's label is on the row, the group label places the group and its
        # members' positions only order them among themselves.
        placed = [g for g in group_sets if any(m == g for _, m in row_items)]
        for a in range(len(row_items)):
            for b in range(a + 1, len(row_items)):
                (pa, left), (pb, right) = row_items[a], row_items[b]
                if pa == pb or left & right:
                    continue
                if any((left < g) != (right < g) and (len(left) == 1 and len(right) == 1) for g in placed):
                    continue
                edges.update((x, y) for x in left for y in right)
    if all(x < y for x, y in edges):
        return list(columns), None
    order = _unique_order(n, edges)
    if order is None:
        return list(columns), "column header order unclear (labels contradict each other); read in template order"
    printed = [columns[i] for i in order]
    return printed, "columns printed in another order: " + " | ".join(c.label for c in printed)


def _unique_order(n: int, edges: set[tuple[int, int]]) -> list[int] | None:
    """The one order of 0..n-1 the edges allow, or None (a cycle, or several orders)."""
    indegree = [0] * n
    succ: dict[int, list[int]] = {}
    for x, y in edges:
        indegree[y] += 1
        succ.setdefault(x, []).append(y)
    ready = [i for i in range(n) if indegree[i] == 0]
    order: list[int] = []
    while ready:
        if len(ready) > 1:
            return None
        node = ready.pop()
        order.append(node)
        for y in succ.get(node, ()):
            indegree[y] -= 1
            if indegree[y] == 0:
                ready.append(y)
    return order if len(order) == n else None
