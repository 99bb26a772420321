"""Deciding run-together digit rows with the same agency's neighbouring reports.

A flattened page prints a table-2 row as one digit run (`3960181`); inside one report no
identity says where the numbers end, so the extractor leaves the row null with its
candidate splits (`TableExtraction.ambiguous_splits`). The template's cross-year identities
(`kind: cross_year` in templates.yaml, e.g. prev_year_items(N) = prev_year_items(N-1) +
change(N-1)) link the agency's consecutive reports: only some combinations of the two
years' candidates satisfy them. `resolve_across_years` enumerates those combinations and
keeps the candidates that take part in at least one combination where every assessable
identity holds.

- One candidate left: the row's cells get its values (`inferred=True`, the note names the
  identity and the other year's report).
- Several left: the row stays undecided with the shorter candidate list; a cell on which all
  remaining candidates agree is filled (as the extractor does within one report).
- None left (the source broke the identity: recounts, reorganisations): nothing changes,
  and a warning says so. Values the source printed unambiguously are never changed.

Identity instances, their arithmetic and the blank rule are `arithmetic`'s, as for
`identities.evaluate_cross_year`: a blank or missing input makes an instance not assessable
(it filters nothing).

Reports of the same year (two copies, or two bodies that share an agency key) are never
linked to each other; each is linked to every report of the adjacent years. The facts stage
and `govreport eval` both resolve a report in its year window (`resolve_in_window`): one
report of the previous and one of the following year, chosen by `pick_neighbour`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from itertools import product

from govreport_dagster.core import arithmetic
from govreport_dagster.core.arithmetic import Instance, Term, cross_year_instances, holds, search_space
from govreport_dagster.core.identities import cell_values, effective_version
from govreport_dagster.core.model import TableExtraction
from govreport_dagster.core.templates import Identity, load_templates

RowRef = tuple[int, str]  # (index in the series, "t2.licensing")
Split = dict[str, tuple[float | None, str]]


@dataclass(frozen=True)
class _Term:
    """A term bound to a report of the series."""

    entry: int
    term: Term

    @property
    def col(self) -> str:
        return self.term.col

    @property
    def cell(self) -> tuple[str, str, str]:
        return self.term.cell


@dataclass(frozen=True)
class _Instance:
    """One identity instance between a previous and a current report."""

    instance: Instance
    previous: int
    current: int

    @property
    def identity(self) -> Identity:
        return self.instance.identity

    def bind(self, terms: tuple[Term, ...]) -> tuple[_Term, ...]:
        return tuple(_Term(self.previous if t.previous else self.current, t) for t in terms)

    @property
    def lhs(self) -> tuple[_Term, ...]:
        return self.bind(self.instance.lhs)

    @property
    def rhs(self) -> tuple[_Term, ...]:
        return self.bind(self.instance.rhs)

    @property
    def terms(self) -> tuple[_Term, ...]:
        return (*self.lhs, *self.rhs)


def resolve_across_years(series: list[tuple[int, TableExtraction]]) -> list[TableExtraction]:
    """One agency's reports (report year, extraction), ordered by year → new extractions,
    in the same order, with the rows the cross-year identities decide filled in.

    A series of one report, or with no report of an adjacent year, comes back unchanged
    (as copies). The input objects are not modified.
    """
    out = [_copy(ext) for _, ext in series]
    years = [year for year, _ in series]
    variables = {
        (i, row): splits
        for i, ext in enumerate(out)
        for row, splits in ext.ambiguous_splits.items()
        if splits and row in ext.ambiguous and "." in row  # table 4's one run ("t4") has no cross-year identity
    }
    if not variables:
        return out
    fixed = [cell_values(ext) for ext in out]
    instances = [
        inst for prev, cur in _pairs(years) for inst in _instances(out, prev, cur) if _usable(inst, variables, fixed)
    ]
    for group in _groups(instances, variables):
        _resolve_group(group, out, years, variables, fixed)
    return out


NEIGHBOUR_TABLE = "t3"  # a neighbour with table 3 is preferred: the cross-year identities read it


def pick_neighbour(candidates: Sequence[TableExtraction]) -> int | None:
    """Which of the agency's reports of a neighbouring year a report is linked to: the first,
    in the caller's order (the facts stage: by report id; eval: by gold path), that has
    table 3, else the first. None without candidates."""
    return pick_neighbour_of([ext.has_table(NEIGHBOUR_TABLE) for ext in candidates])


def pick_neighbour_of(has_table: Sequence[bool]) -> int | None:
    """`pick_neighbour` from whether each candidate has `NEIGHBOUR_TABLE` (all it reads of
    them: the facts stage decides the link before it builds the neighbours)."""
    if not has_table:
        return None
    return next((i for i, has in enumerate(has_table) if has), 0)


def resolve_in_window(
    year: int,
    extraction: TableExtraction,
    previous: Sequence[TableExtraction] = (),
    following: Sequence[TableExtraction] = (),
) -> TableExtraction:
    """The report resolved with one report of the previous year and one of the following
    year (`pick_neighbour` of each list of the agency's reports), no further: the window the
    facts stage has (a year partition sees its neighbours only), used by eval as well. A
    report with no neighbour or nothing undecided comes back as it is."""
    series = [(year, extraction)]
    for offset, reports in ((-1, previous), (1, following)):
        chosen = pick_neighbour(reports)
        if chosen is not None:
            series.append((year + offset, reports[chosen]))
    if len(series) < 2 or not any(ext.ambiguous for _, ext in series):
        return extraction
    series.sort(key=lambda item: item[0])
    return resolve_across_years(series)[[y for y, _ in series].index(year)]


# --------------------------------------------------------------------------------------
# Building the identity instances


def _copy(ext: TableExtraction) -> TableExtraction:
    return replace(
        ext,
        cells=list(ext.cells),
        missing=list(ext.missing),
        legacy=list(ext.legacy),
        warnings=list(ext.warnings),
        ambiguous=dict(ext.ambiguous),
        ambiguous_splits=dict(ext.ambiguous_splits),
    )


def _pairs(years: list[int]) -> Iterator[tuple[int, int]]:
    """(previous, current) indices of reports one year apart; same-year reports never pair."""
    for cur, year in enumerate(years):
        for prev, prev_year in enumerate(years):
            if prev_year == year - 1:
                yield prev, cur


@cache
def _cross_year_identities() -> tuple[Identity, ...]:
    return tuple(i for i in load_templates().identities if i.kind == "cross_year" and i.table)


def _table_version(ext: TableExtraction, table_id: str) -> str:
    """The layout the table was printed in: for table 2 the one whose columns the cells use
    (a 2021-year report may print the 2019 table), for table 3 by its rows."""
    version = ext.layout_version
    if table_id == "t2":
        cols = {c.col_key for c in ext.cells if c.table_id == "t2" and not c.row_key.startswith("unmapped:")}
        # oldest layout first: a table of cells both layouts have (decisions only) reads as 2019
        for layout in reversed(load_templates().layouts("t2")):
            if cols and cols <= set(layout.column_keys):
                return layout.version
        return version
    return effective_version(table_id, cell_values(ext), version)


def _instances(exts: list[TableExtraction], prev: int, cur: int) -> Iterator[_Instance]:
    for identity in _cross_year_identities():
        table = identity.table or ""
        version = _table_version(exts[cur], table)
        if version not in identity.layouts:
            continue
        layout = load_templates().layout(table, version)
        for inst in cross_year_instances(identity, layout.column_keys if layout else ()):
            yield _Instance(inst, prev, cur)


def _var(term: _Term) -> RowRef:
    return (term.entry, f"{term.term.table}.{term.term.row}")


def _usable(inst: _Instance, variables: dict[RowRef, list[Split]], fixed: list[dict]) -> bool:
    """The instance involves an undecided row and every other input is a printed number."""
    involves = False
    for term in inst.terms:
        splits = variables.get(_var(term))
        if splits is not None:
            if term.col not in splits[0]:
                return False
            involves = True
        elif fixed[term.entry].get(term.cell) is None:
            return False  # blank or missing: not assessable
    return involves


def _groups(instances: list[_Instance], variables: dict[RowRef, list[Split]]) -> list[list[_Instance]]:
    """Instances that share undecided rows, transitively (each group is solved on its own)."""
    parent: dict[RowRef, RowRef] = {}

    def find(x: RowRef) -> RowRef:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for inst in instances:
        refs = [_var(t) for t in inst.terms if _var(t) in variables]
        for ref in refs[1:]:
            parent[find(ref)] = find(refs[0])
    groups: dict[RowRef, list[_Instance]] = {}
    for inst in instances:
        ref = next(_var(t) for t in inst.terms if _var(t) in variables)
        groups.setdefault(find(ref), []).append(inst)
    return list(groups.values())


# --------------------------------------------------------------------------------------
# Solving one group


def _resolve_group(
    group: list[_Instance],
    out: list[TableExtraction],
    years: list[int],
    variables: dict[RowRef, list[Split]],
    fixed: list[dict],
) -> None:
    refs = list(dict.fromkeys(_var(t) for inst in group for t in inst.terms if _var(t) in variables))
    sizes = [len(variables[r]) for r in refs]
    total = search_space(sizes)
    if total > arithmetic.SEARCH_LIMIT:
        for entry, row in refs:
            out[entry].warnings.append(f"{row}: {total} cross-year combinations, too many to search; left undecided")
        return
    survivors: dict[RowRef, set[int]] = {r: set() for r in refs}
    for combo in product(*(range(s) for s in sizes)):
        chosen = dict(zip(refs, combo, strict=True))
        if all(_holds(inst, chosen, variables, fixed) for inst in group):
            for ref, index in chosen.items():
                survivors[ref].add(index)
    if not any(survivors.values()):
        for entry, row in refs:
            ids = ", ".join(sorted({i.identity.id for i in group}))
            out[entry].warnings.append(
                f"{row}: no candidate split satisfies the cross-year identities ({ids}); left undecided"
            )
        return
    for ref in refs:
        kept = sorted(survivors[ref])
        if len(kept) < len(variables[ref]):
            _narrow(out[ref[0]], ref[1], [variables[ref][i] for i in kept], _because(ref, group, years))


def _value(
    term: _Term, chosen: dict[RowRef, int], variables: dict[RowRef, list[Split]], fixed: list[dict]
) -> float | None:
    ref = _var(term)
    value = variables[ref][chosen[ref]][term.col][0] if ref in chosen else fixed[term.entry][term.cell]
    return None if value is None else term.term.sign * float(value)


def _holds(inst: _Instance, chosen: dict[RowRef, int], variables: dict[RowRef, list[Split]], fixed: list[dict]) -> bool:
    """A candidate without a value in a term's column makes the instance not assessable:
    it filters nothing."""
    lhs = [_value(t, chosen, variables, fixed) for t in inst.lhs]
    rhs = [_value(t, chosen, variables, fixed) for t in inst.rhs]
    return holds(lhs, rhs) is not False


def _because(ref: RowRef, group: list[_Instance], years: list[int]) -> str:
    """'x_t2_prev_items with the 2020 report' for every instance that links this row."""
    entry = ref[0]
    reasons = []
    for inst in group:
        if ref not in {_var(t) for t in inst.terms}:
            continue
        other = inst.current if inst.previous == entry else inst.previous
        reasons.append(f"{inst.identity.id} with the {years[other]} report")
    return ", ".join(dict.fromkeys(reasons))


def _narrow(ext: TableExtraction, row: str, kept: list[Split], because: str) -> None:
    """Keep only `kept` as the row's candidates; fill what they determine."""
    table, row_key = row.split(".", 1)
    run = next(
        (c.raw_text for c in ext.cells if c.table_id == table and c.row_key == row_key and c.cell_state == "text"),
        "",
    )
    decided = len(kept) == 1
    how = f"decided across years ({because})" if decided else f"narrowed across years ({because})"
    cells = []
    for cell in ext.cells:
        col = cell.col_key
        mine = cell.table_id == table and cell.row_key == row_key
        if not mine or cell.cell_state != "text" or col not in kept[0]:
            cells.append(cell)  # another row, or printed / already determined: never changed
            continue
        values = {split[col][0] for split in kept}
        if len(values) != 1:
            cells.append(cell)
            continue
        value, part = kept[0][col]
        note = f"split from printed run {run!r}; {how}"
        cells.append(replace(cell, value=value, cell_state="number", raw_text=part, inferred=True, note=note))
    ext.cells = cells
    if decided:
        ext.ambiguous.pop(row, None)
        ext.ambiguous_splits.pop(row, None)
    else:
        ext.ambiguous[row] = [" / ".join(part for _, part in split.values()) for split in kept[:50]]
        ext.ambiguous_splits[row] = kept
    shown = " / ".join(part for _, part in kept[0].values()) if decided else f"{len(kept)} candidates left"
    ext.warnings.append(f"{row}: {how}: {shown}")
