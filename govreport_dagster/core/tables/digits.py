"""Cell values: parsing printed numbers, and splitting digit runs that a flattened page
printed without separators (`640020470` → 64 0 0 2 0 4 70).

Splitting only enumerates what the digits allow (no leading zeros, a sign only at the start
of a printed group, a decimal part only at its end); the caller decides between candidates
with the table's identities and never guesses.
"""

from __future__ import annotations

import re
from functools import cache

from ..limits import MAX_CELL_DIGITS

_UNIT_RE = re.compile(r"(万元|元|万|件|条|项|个)$")
MAX_CANDIDATES = 20_000


def split_unit(token: str) -> tuple[str, str | None]:
    m = _UNIT_RE.search(token)
    if m:
        return token[: m.start()], m.group(1)
    return token, None


_NUMBER_RE = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)")
MAX_CELL_VALUE = 10.0**MAX_CELL_DIGITS


def parse_number(token: str, column_unit: str | None = None) -> tuple[float | None, str | None]:
    """Printed cell text → (value, note). '1,234' → 1234; '1.2万' → 12000 (counts) ;
    '5.2万元' in a 元 column → 52000; the note says what was converted."""
    body, unit = split_unit(token.strip())
    body = body.replace(",", "").replace("−", "-")
    if not _NUMBER_RE.fullmatch(body):  # float() would also take 'nan', 'inf', '1e400', '1_0'
        return None, f"not a number: {token!r}"
    value = float(body)
    if abs(value) >= MAX_CELL_VALUE:
        return None, f"out of range: {len(body)} characters, a count has at most {MAX_CELL_DIGITS} digits"
    note = None
    if unit == "万" or (unit == "万元" and column_unit == "元"):
        value *= 10_000
        note = f"converted {token!r} to {value:g}"
    elif unit == "元" and column_unit == "万元":
        note = f"printed in 元 in a 万元 column: {token!r}"
    return value, note


def _valid_part(part: str) -> bool:
    digits = part.lstrip("-")
    if not digits:
        return False
    int_part = digits.split(".")[0]
    return bool(int_part) and (int_part == "0" or not int_part.startswith("0"))


@cache
def _group_splits(group: str, k: int) -> tuple[tuple[str, ...], ...]:
    """All ways to cut one printed digit group into k numbers."""
    body, unit = split_unit(group)
    sign = "-" if body[:1] in "-−" else ""
    body = body.lstrip("-−")
    if "," in body:
        return ((group,),) if k == 1 else ()
    int_part, _, frac = body.partition(".")
    frac = "." + frac if frac else ""
    out: list[tuple[str, ...]] = []

    def rec(rest: str, parts_left: int, acc: list[str]) -> None:
        if len(out) > MAX_CANDIDATES:
            return
        if len(rest) > parts_left * MAX_CELL_DIGITS:
            return  # no count has more digits: keeps a long run from being enumerated
        if parts_left == 1:
            if _valid_part(rest):
                out.append((*acc, rest))
            return
        # leave at least one digit for each remaining part
        for cut in range(1, min(len(rest) - parts_left + 2, MAX_CELL_DIGITS + 1)):
            head = rest[:cut]
            if not _valid_part(head):
                break  # a leading zero only allows the single "0"
            rec(rest[cut:], parts_left - 1, [*acc, head])

    if k < 1 or k > len(int_part):
        return ()
    rec(int_part, k, [])
    result = []
    for parts in out:
        first = sign + parts[0]
        last = parts[-1] + frac + (unit or "")
        if len(parts) == 1:
            result.append((sign + parts[0] + frac + (unit or ""),))
        else:
            result.append((first, *parts[1:-1], last))
    return tuple(result)


def split_groups(groups: list[str], n: int) -> list[tuple[str, ...]]:
    """All ways to read the printed groups (each a digit run, in order) as exactly n numbers."""
    out: list[tuple[str, ...]] = []

    def rec(i: int, left: int, acc: tuple[str, ...]) -> None:
        if len(out) > MAX_CANDIDATES:
            return
        if i == len(groups):
            if left == 0:
                out.append(acc)
            return
        remaining_groups = len(groups) - i - 1
        for k in range(1, left - remaining_groups + 1):
            for parts in _group_splits(groups[i], k):
                rec(i + 1, left - k, acc + parts)

    rec(0, n, ())
    return out


def digit_capacity(group: str) -> int:
    body, _ = split_unit(group)
    if "," in body:
        return 1
    return len(body.lstrip("-−").split(".")[0])
