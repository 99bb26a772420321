"""From one row's printed tokens to cells, and from a table's parsed rows to `TableCell`s.

`parse_row` turns the tokens after a row label into one value per column: as printed when
the counts match; a digit run split into candidates that the row's own identities filter
(`check`); fewer values than columns placed by position. `resolve_rows` picks one candidate
per undecided row where the table's column identities allow exactly one choice
(`tables.solve`), and writes every cell with its state, raw text, position and note. Both
are pure: the result of a read is a `Read`, combined with `+`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from govreport_dagster.core.model import TableCell
from govreport_dagster.core.tables.digits import digit_capacity, parse_number, split_groups, split_unit
from govreport_dagster.core.tables.solve import column_violations, solve_table
from govreport_dagster.core.tables.source import Source
from govreport_dagster.core.tables.text_grid import RawRow, Tok
from govreport_dagster.core.templates import Identity

# Undecided rows keep their candidate splits machine-readable up to this many (a 7-column
# table-3 run can have thousands; a later stage could not use them and the payload would bloat).
MAX_SPLITS_KEPT = 1000
# Candidate texts listed for a person per undecided row.
_CANDIDATES_SHOWN = 50
# Columns holding money: a 万 there is a unit of the amount, not a count scaled up.
_MONEY_UNITS = ("元", "万元")

Split = dict[str, tuple[float | None, str]]
RowCheck = Callable[[dict[str, float | None]], bool]  # column key → value: the row's identities hold


class Column(Protocol):
    @property
    def key(self) -> str: ...

    @property
    def unit(self) -> str | None: ...


@dataclass(frozen=True)
class Read:
    """What reading a table (or a part of it) found; `a + b` is a then b."""

    cells: tuple[TableCell, ...] = ()
    warnings: tuple[str, ...] = ()
    ambiguous: Mapping[str, list[str]] = field(default_factory=dict)
    splits: Mapping[str, list[Split]] = field(default_factory=dict)
    missing: str | None = None  # why the table has no cells, when the reader knows better

    def __add__(self, other: Read) -> Read:
        return Read(
            self.cells + other.cells,
            self.warnings + other.warnings,
            {**self.ambiguous, **other.ambiguous},
            {**self.splits, **other.splits},
            other.missing or self.missing,
        )


def warn(*warnings: str) -> Read:
    return Read(warnings=warnings)


@dataclass(frozen=True)
class CellValue:
    state: str
    value: float | None
    raw: str
    offset: int
    inferred: bool = False
    note: str | None = None


_BLANK = CellValue("blank", None, "", -1)


@dataclass(frozen=True)
class ParsedRow:
    cells: list[CellValue] | None  # decided cells (one per column)
    candidates: list[list[CellValue]] = field(default_factory=list)  # undecided digit splits
    run_text: str = ""
    note: str | None = None
    offset: int = -1


def _tok_cell(tok: Tok, unit: str | None) -> CellValue:
    if tok.kind == "blank":
        return CellValue("blank", None, "", tok.start)
    if tok.kind == "na":
        return CellValue("not_applicable", None, tok.text, tok.start)
    value, note = parse_number(tok.text, unit)
    return CellValue("text" if value is None else "number", value, tok.text, tok.start, note=note)


def parse_row(raw: RawRow, columns: Sequence[Column], check: RowCheck, *, total_last: bool = False) -> ParsedRow:
    """One value per column from the row's tokens (see the module docstring). `total_last`:
    a last value equal to the sum of the others is the 总计 column (table 3)."""
    n, toks = len(columns), raw.toks
    units = [c.unit for c in columns]
    if not toks:
        return ParsedRow([_BLANK for _ in columns])
    if len(toks) == n:
        return ParsedRow([_tok_cell(t, u) for t, u in zip(toks, units, strict=True)])
    if len(toks) > n:
        return _too_many(toks, columns, check)
    if all(t.kind == "num" for t in toks) and sum(digit_capacity(t.text) for t in toks) >= n:
        return _split_run(toks, columns, check)
    # Fewer cells than columns and no digit run to split: positions were lost in the
    # flattening. Fill from the left.
    cells = [_tok_cell(t, u) for t, u in zip(toks, units, strict=False)]
    padding = [_BLANK for _ in range(n - len(cells))]
    values = [c.value for c in cells]
    if total_last and len(cells) >= 2 and all(v is not None for v in values) and values[-1] == sum(values[:-1]):
        filled = cells[:-1] + padding + [cells[-1]]
    else:
        filled = cells + padding
    note = f"{len(toks)} values for {n} columns (empty cells dropped in the source); placed by position"
    return ParsedRow(filled, note=note)


def _too_many(toks: list[Tok], columns: Sequence[Column], check: RowCheck) -> ParsedRow:
    n = len(columns)
    cells = [_tok_cell(t, c.unit) for t, c in zip(toks[:n], columns, strict=True)]
    extra = " ".join(t.text for t in toks[n:])
    note = f"row prints {len(toks)} values for {n} columns; extra: {extra}"
    suggestion = _merge_suggestion(toks, columns, check)
    if suggestion:
        note += f"; suggestion: {suggestion}"
    return ParsedRow(cells, note=note)


def _split_run(toks: list[Tok], columns: Sequence[Column], check: RowCheck) -> ParsedRow:
    """A digit run (`3960181`): every split into one number per column, kept when the
    row's identities hold; all of them when none does (noted)."""
    run_text = " ".join(t.text or "·" for t in toks)
    start = toks[0].start
    candidates = []
    for parts in split_groups([t.text for t in toks], len(columns)):
        cells = []
        for part, col in zip(parts, columns, strict=True):
            value, note = parse_number(part, col.unit)
            cells.append(CellValue("number", value, part, start, True, note))
        candidates.append(cells)
    ok = [c for c in candidates if check({col.key: cell.value for col, cell in zip(columns, c, strict=True)})]
    note = None
    if not ok and candidates:
        note = f"no split of {run_text!r} satisfies the row identities"
        ok = candidates
    if len(ok) == 1:
        return ParsedRow(ok[0], run_text=run_text, note=note, offset=start)
    return ParsedRow(None, ok, run_text=run_text, note=note, offset=start)


def _merge_suggestion(toks: list[Tok], columns: Sequence[Column], check: RowCheck) -> str | None:
    """'1 2' printed for 12: a merge of two neighbouring numbers that makes the row add up.
    Only a suggestion for the note; the values stay as printed."""
    if len(toks) != len(columns) + 1:
        return None
    for i in range(len(toks) - 1):
        if toks[i].kind == toks[i + 1].kind == "num":
            merged = [*toks[:i], Tok("num", toks[i].text + toks[i + 1].text, toks[i].start), *toks[i + 2 :]]
            values = {
                c.key: (parse_number(t.text, c.unit)[0] if t.kind == "num" else None)
                for t, c in zip(merged, columns, strict=True)
            }
            if check(values):
                return f"'{toks[i].text} {toks[i + 1].text}' may be one number {toks[i].text}{toks[i + 1].text}"
    return None


def _values(columns: Sequence[str], cells: list[CellValue]) -> dict[str, float | None]:
    return {c: cell.value for c, cell in zip(columns, cells, strict=True)}


def _choose(parsed: Mapping[str, ParsedRow], col_keys: list[str], identities: tuple[Identity, ...]) -> dict[str, int]:
    """Undecided row → its candidate, where the column identities leave exactly one choice
    and that choice breaks none of them."""
    fixed = {k: _values(col_keys, p.cells) for k, p in parsed.items() if p.cells}
    open_rows = {
        k: [_values(col_keys, cand) for cand in p.candidates]
        for k, p in parsed.items()
        if p.cells is None and p.candidates
    }
    if not open_rows or not identities:
        return {}
    unique, best = solve_table(fixed, open_rows, identities, col_keys)
    if unique is None or not best:
        return {}
    chosen = {**fixed, **{k: open_rows[k][i] for k, i in best[0].items()}}
    return unique if column_violations(chosen, identities, col_keys) == 0 else {}


def resolve_rows(
    tid: str,
    parsed: Mapping[str, ParsedRow],
    columns: Sequence[Column],
    source: Source,
    identities: tuple[Identity, ...] = (),
) -> Read:
    """The table's cells from its parsed rows, undecided rows decided by the column
    identities where they allow one choice (else null with the candidates)."""
    col_keys = [c.key for c in columns]
    choice = _choose(parsed, col_keys, identities)
    read = Read()
    for key, p in parsed.items():
        if p.cells is not None:
            cells = p.cells
        elif key in choice:
            cells = p.candidates[choice[key]]
        else:
            read += _undecided(tid, key, p, col_keys)
            cells = _agreed(p, len(col_keys))
        read += _row_cells(tid, key, p, cells, columns, source)
    return read


def _row_cells(
    tid: str, key: str, p: ParsedRow, cells: list[CellValue], columns: Sequence[Column], source: Source
) -> Read:
    out, warnings = [], []
    for col, cell in zip(columns, cells, strict=True):
        note = cell.note
        if cell.state == "number" and col.unit not in _MONEY_UNITS and split_unit(cell.raw)[1] == "万":
            where = f"{tid}.{col.key}" if key == "_" else f"{tid}.{key}.{col.key}"
            warnings.append(f"{where}: 万 unit converted in a count column: {cell.raw!r} → {cell.value:g}")
        if cell.inferred and p.run_text:
            note = "; ".join(x for x in (f"split from printed run {p.run_text!r}", note) if x)
        if p.note:
            note = "; ".join(x for x in (note, p.note) if x)
        position = source.position(cell.offset)
        out.append(
            TableCell(tid, key, col.key, cell.value, cell.state, cell.raw, source.kind, position, cell.inferred, note)
        )
    if p.note:
        warnings.append(f"{tid}.{key}: {p.note}")
    return Read(tuple(out), tuple(warnings))


def _agreed(p: ParsedRow, width: int) -> list[CellValue]:
    """Several splits remain: a cell on which all candidates agree is still determined; the
    others are null, pointing at the candidates. No split at all (a digit run too long to
    be counts): every cell null with that reason, the rest of the table still read."""
    cands = p.candidates
    if not cands:
        shown = p.run_text if len(p.run_text) <= 64 else f"{p.run_text[:60]}…"  # the run may be megabytes
        return [CellValue("text", None, shown, p.offset, False, "digit run with no split into counts")] * width
    cells = []
    for i in range(len(cands[0])):
        if len({c[i].value for c in cands}) == 1:
            cells.append(cands[0][i])
        else:
            cells.append(CellValue("text", None, p.run_text, p.offset, False, "ambiguous digit run; see candidates"))
    return cells


def _undecided(tid: str, key: str, p: ParsedRow, col_keys: list[str]) -> Read:
    """The candidates of an undecided row: as text for a person, as values for later stages."""
    ref = f"{tid}.{key}"
    shown = {ref: [" / ".join(c.raw for c in cand) for cand in p.candidates[:_CANDIDATES_SHOWN]]}
    if len(p.candidates) > MAX_SPLITS_KEPT:
        return Read(ambiguous=shown)
    splits = [{c: (cell.value, cell.raw) for c, cell in zip(col_keys, cand, strict=True)} for cand in p.candidates]
    return Read(ambiguous=shown, splits={ref: splits})


def unmapped_row(tid: str, raw: RawRow, columns: Sequence[Column], source: Source) -> Read:
    """A row whose label is not in the template: kept as `unmapped:<label>`, with a warning."""
    label = (raw.label or "").strip()
    warning = warn(f"{tid}: row label not in the template: {label!r}")
    return warning + resolve_rows(tid, {f"unmapped:{label}": parse_row(raw, columns, _always)}, columns, source)


def simple_row(tid: str, key: str, raw: RawRow, columns: Sequence[Column], source: Source) -> Read:
    """A row read without identities (table 2)."""
    return resolve_rows(tid, {key: parse_row(raw, columns, _always)}, columns, source)


def _always(_values: dict[str, float | None]) -> bool:
    return True
