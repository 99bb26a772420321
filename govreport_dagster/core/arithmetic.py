"""Identity arithmetic, written once: the terms of an identity instance, whether it holds,
and the search bound. The checks (`identities`), the solver of run-together digit rows within
one report (`tables.solve`) and cross-year resolution (`tables.crossyear`) all use it.

An identity from templates.yaml becomes *instances*: `sum` identities one per scope (`along:
rows` names row keys and is evaluated in each column, the scope being the column key; `along:
columns` names column keys and is evaluated in each row); `cross_year` identities one per
column (`current: {row: …}`) or per listed row (`current: {col: …}`), lhs = the current year's
cell, rhs = the previous year's plus each side's `plus`, minus its `minus` (each read from the
year it is listed under).

Blank rule (`holds`): a blank term (None or NaN: a blank cell, a missing cell, text) makes the
instance not assessable, returned as None, never read as 0. The one exception is ranking
candidate digit splits inside one report (`tables.solve`), where a cell the row leaves blank
counts as 0 (`blank_as_zero=True`): the solver compares candidates that differ only in the
undecided rows, and reading blanks as 0 is what it has always done (its published values are
pinned by the corpus evaluation).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .templates import Identity, expand_keys

CellKey = tuple[str, str, str]  # (table_id, row_key, col_key)

# Sums of integer counts are exact in float64; the tolerance only absorbs decimal money.
TOLERANCE = 1e-6
# Above this many combinations of candidate splits a search is not made (left undecided).
SEARCH_LIMIT = 200_000


@dataclass(frozen=True)
class Term:
    """One cell of an identity instance, added (`sign` 1) or subtracted (-1). `previous`:
    read from the previous year's report (cross-year identities)."""

    cell: CellKey
    sign: float = 1.0
    previous: bool = False

    @property
    def table(self) -> str:
        return self.cell[0]

    @property
    def row(self) -> str:
        return self.cell[1]

    @property
    def col(self) -> str:
        return self.cell[2]


@dataclass(frozen=True)
class Instance:
    """An identity evaluated once: `scope` is the key that stays fixed (the column of an
    `along: rows` identity, the row of an `along: columns` one); `varies` ("row" or "col")
    is the axis whose key differs from term to term (it names the terms in details). A
    text-vs-table instance (`identities`) has no lhs terms: its lhs is the number the prose
    states, not a cell."""

    identity: Identity
    scope: str
    varies: str
    lhs: tuple[Term, ...]
    rhs: tuple[Term, ...]

    @property
    def scope_axis(self) -> str:
        return "col" if self.varies == "row" else "row"

    @property
    def terms(self) -> tuple[Term, ...]:
        return (*self.lhs, *self.rhs)


def _blank(value: float | None) -> bool:
    return value is None or value != value  # NaN is blank


def holds(lhs: Iterable[float | None], rhs: Iterable[float | None], *, blank_as_zero: bool = False) -> bool | None:
    """sum(lhs) == sum(rhs) within `TOLERANCE`; the values already carry their term's sign.
    None (not assessable) when a value is blank, unless `blank_as_zero` (see the module's
    blank rule)."""
    left, right = list(lhs), list(rhs)
    if any(_blank(v) for v in (*left, *right)):
        if not blank_as_zero:
            return None
        left = [0.0 if _blank(v) else v for v in left]
        right = [0.0 if _blank(v) else v for v in right]
    return abs(side_sum(left) - side_sum(right)) <= TOLERANCE


def side_sum(values: Iterable[float | None]) -> float:
    """The sum of one side's non-blank values."""
    return sum(v for v in values if not _blank(v))  # type: ignore[misc]


def search_space(sizes: Iterable[int]) -> int:
    """How many combinations one candidate per undecided row makes."""
    return math.prod(sizes)


def sum_instances(identity: Identity, table_id: str, rows: Sequence[str], cols: Sequence[str]) -> list[Instance]:
    """The instances of a `sum` identity over a block's row and column keys, in scope order.
    None when the block lacks every key of a side (the identity is about another block)."""
    along_rows = identity.along == "rows"
    named, scopes = (rows, cols) if along_rows else (cols, rows)
    lhs_keys, rhs_keys = expand_keys(identity.lhs, named), expand_keys(identity.rhs, named)
    if not lhs_keys or not rhs_keys:
        return []

    def cell(key: str, scope: str) -> Term:
        return Term((table_id, key, scope) if along_rows else (table_id, scope, key))

    varies = "row" if along_rows else "col"
    return [
        Instance(
            identity, scope, varies, tuple(cell(k, scope) for k in lhs_keys), tuple(cell(k, scope) for k in rhs_keys)
        )
        for scope in scopes
    ]


def cross_year_instances(identity: Identity, cols: Sequence[str]) -> list[Instance]:
    """The instances of a `cross_year` identity: one per column in `cols` (the current
    layout's) for `current: {row: …}`, else one per row listed under `rows`."""
    table_id = identity.table or ""
    spec = identity.spec
    current, previous = spec["current"], spec["previous"]
    if "row" in current:
        return [
            Instance(
                identity,
                col,
                "row",
                (Term((table_id, current["row"], col)),),
                (Term((table_id, previous["row"], col), previous=True),),
            )
            for col in cols
        ]
    out = []
    for row in spec.get("rows", ()):
        rhs = [Term((table_id, row, previous["col"]), previous=True)]
        for side, is_previous in ((current, False), (previous, True)):
            rhs += [Term((table_id, row, c), 1.0, is_previous) for c in side.get("plus", ())]
            rhs += [Term((table_id, row, c), -1.0, is_previous) for c in side.get("minus", ())]
        out.append(Instance(identity, row, "col", (Term((table_id, row, current["col"])),), tuple(rhs)))
    return out
