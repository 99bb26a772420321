"""Deciding run-together legacy rows (`主动公开信息数条4251516`) with what the form gives.

Each printed row has candidate readings (one per column of the form: this year, cumulative);
a row read from separate cells has one. The form's `error` identities (templates.yaml
`legacy_forms.identities`) narrow them: a 其中 parent equals the sum of its sub-rows
(受理 = 当面 + 网上 + 信函传真, 答复总数 = Σ kinds of reply) or bounds each of them. A
reading survives while some choice of the other members' readings satisfies the identity.
The search per identity is capped (`SEARCH_CAP` combinations); beyond it the identity does
not narrow anything and the rows stay undecided — null with their candidates, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from math import prod

Reading = tuple[float | None, ...]
SEARCH_CAP = 4096  # sub-row combinations tried per identity instance
MAX_PASSES = 8  # narrowing rounds over all instances; each round that changes removes a reading


@dataclass(frozen=True)
class Constraint:
    """One identity instance over printed rows (indices into the reading lists)."""

    identity_id: str
    kind: str  # sum | bound
    parent: int
    children: tuple[int, ...]


def _total(readings: list[Reading], width: int) -> Reading:
    return tuple(sum(r[c] or 0.0 for r in readings) for c in range(width))


def _has_blank(options: list[Reading]) -> bool:
    return any(v is None for r in options for v in r)


def _narrow_sum(cands: list[list[Reading]], c: Constraint, width: int) -> bool:
    members = [c.parent, *c.children]
    if any(not cands[m] or _has_blank(cands[m]) for m in members):
        return False
    if all(len(cands[m]) == 1 for m in members):
        return False
    if prod(len(cands[m]) for m in c.children) > SEARCH_CAP:
        raise _Capped  # undecidable within the cap: leave every reading open
    parents = set(cands[c.parent])
    keep: dict[int, set[Reading]] = {m: set() for m in members}
    for combo in product(*(cands[m] for m in c.children)):
        total = _total(list(combo), width)
        if total in parents:
            keep[c.parent].add(total)
            for m, reading in zip(c.children, combo, strict=True):
                keep[m].add(reading)
    if not keep[c.parent]:
        return False  # no reading satisfies it: the source breaks the identity, decide nothing
    return _apply(cands, keep)


def _le(a: Reading, b: Reading) -> bool:
    return all(x is None or y is None or x <= y for x, y in zip(a, b, strict=True))


def _narrow_bound(cands: list[list[Reading]], c: Constraint) -> bool:
    members = [c.parent, *c.children]
    if any(not cands[m] for m in members):
        return False
    keep: dict[int, set[Reading]] = {}
    keep[c.parent] = {p for p in cands[c.parent] if all(any(_le(k, p) for k in cands[m]) for m in c.children)}
    for m in c.children:
        keep[m] = {k for k in cands[m] if any(_le(k, p) for p in keep[c.parent])}
    if not all(keep.values()):
        return False
    return _apply(cands, keep)


def _apply(cands: list[list[Reading]], keep: dict[int, set[Reading]]) -> bool:
    changed = False
    for m, kept in keep.items():
        narrowed = [r for r in cands[m] if r in kept]
        if len(narrowed) < len(cands[m]):
            cands[m] = narrowed
            changed = True
    return changed


class _Capped(Exception):
    """An identity instance whose search would exceed SEARCH_CAP."""


def narrow(
    cands: list[list[Reading]], constraints: list[Constraint], width: int, capped: set[str] | None = None
) -> list[str]:
    """Narrow `cands` in place; returns the ids of the identities that decided something.
    Identities left out because their search exceeds the cap are added to `capped`."""
    used: list[str] = []
    for _ in range(MAX_PASSES):
        changed = False
        for c in constraints:
            before = [len(cands[m]) for m in (c.parent, *c.children)]
            try:
                done = _narrow_sum(cands, c, width) if c.kind == "sum" else _narrow_bound(cands, c)
            except _Capped:
                if capped is not None:
                    capped.add(c.identity_id)
                continue
            if done and before != [len(cands[m]) for m in (c.parent, *c.children)]:
                changed = True
                used.append(c.identity_id)
        if not changed:
            break
    return list(dict.fromkeys(used))
