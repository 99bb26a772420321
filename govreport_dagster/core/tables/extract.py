"""Stage 3: the official tables 2, 3 and 4 of a report, cell by cell, keyed by the template.

Each table is located in its section (or the whole text when sectioning failed), its rows
are anchored by their labels through `templates.match_key` and only then are the cells
read. A grid from the decoder is rendered to the same cell text (with its positions kept)
and read by the same code. Nothing here raises on content: problems become warnings,
`MissingTable` entries or ambiguous cells.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from functools import cache

from govreport_dagster.core.model import (
    DecodedDocument,
    Grid,
    MissingTable,
    SectionedReport,
    TableCell,
    TableExtraction,
)
from govreport_dagster.core.tables import header, solve
from govreport_dagster.core.tables.digits import digit_capacity, parse_number, split_groups, split_unit
from govreport_dagster.core.tables.ocr_check import apply_ocr_readings
from govreport_dagster.core.tables.scan import Scan, find_all, find_label, scan
from govreport_dagster.core.tables.text_grid import RawRow, Tok, row_tokens
from govreport_dagster.core.templates import Label, TableBlock, TableLayout, load_templates, match_key

# Undecided rows keep their candidate splits machine-readable up to this many (a 7-column
# table-3 run can have thousands; a later stage could not use them and the payload would bloat).
MAX_SPLITS_KEPT = 1000
# Columns holding money: a 万 there is a unit of the amount, not a count scaled up.
_MONEY_UNITS = ("元", "万元")
_TABLE_NAMES = {"t2": "table 2", "t3": "table 3", "t4": "table 4"}


# --------------------------------------------------------------------------------------
# Template vocabulary, folded once


def _keys(label: Label) -> tuple[str, ...]:
    return label.match_keys


@cache
def _t3_rows() -> tuple[Label, ...]:
    """Table 3 rows of both layouts in printed order (2021-year reports sometimes print the
    2019 single （六） row)."""
    t = load_templates()
    seen: dict[str, Label] = {}
    for version in ("2021", "2019"):
        layout = t.layout("t3", version)
        assert layout is not None
        for r in layout.blocks[0].rows:
            seen.setdefault(r.key, r)
    return tuple(seen[k] for k in t.row_keys("t3") if k in seen)


@cache
def _t3_groups() -> tuple[str, ...]:
    rows = {match_key(r.label) for r in _t3_rows()}
    groups = dict.fromkeys(match_key(r.group) for r in _t3_rows() if r.group)
    return tuple(g for g in groups if g not in rows)


_T3_START = tuple(match_key(s) for s in load_templates().header_anchors("t3"))
_T4_START = tuple(match_key(s) for s in load_templates().header_anchors("t4"))
_T2_HEADER = tuple(match_key(s) for s in load_templates().header_anchors("t2"))
# Stream characters before a table's first row searched for its column header.
HEADER_WINDOW = 240


@cache
def _t3_repeated_header() -> tuple[str, ...]:
    """Header labels that, met between table-3 rows, mean the header was printed again
    (a page break): the start phrases and the column groups (法人或其他组织)."""
    t3 = load_templates().layout("t3", "2021")
    assert t3 is not None
    groups = (match_key(c.group) for c in t3.blocks[0].columns if c.group)
    return tuple(dict.fromkeys((*_T3_START, *groups)))


# --------------------------------------------------------------------------------------
# Results


@dataclass
class _Out:
    cells: list[TableCell] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    splits: dict[str, list[dict[str, tuple[float | None, str]]]] = field(default_factory=dict)
    missing: str | None = None


@dataclass
class _Source:
    """Text to read plus how to report positions."""

    text: str
    base: int  # document offset of text[0] (text source)
    kind: str  # text | grid
    grid_positions: list[tuple[int, int, int, int]] | None = None  # (start, table, row, col)

    def cell_at(self, offset: int) -> tuple[int, int, int] | None:
        """(grid index, row, col) of the grid cell holding a rendered-text offset."""
        if self.grid_positions is None:
            return None
        i = bisect.bisect_right([p[0] for p in self.grid_positions], offset) - 1
        if i < 0:
            return None
        _, t, r, c = self.grid_positions[i]
        return t, r, c

    def position(self, offset: int) -> str:
        if offset < 0:
            return f"char:{self.base}" if self.kind == "text" else "grid:?"
        if self.grid_positions is None:
            return f"char:{self.base + offset}"
        cell = self.cell_at(offset)
        if cell is None:
            return "grid:?"
        t, r, c = cell
        return f"grid:{t}:r{r}c{c}"

    def locator(self, sc: Scan, lo: int, hi: int) -> header.Locate:
        """Printed row and position of a header label: a grid's cells carry their column;
        text has lines (or one-cell-per-line stretches)."""
        if self.grid_positions is None:
            return header.text_locator(sc.text, *sc.span_offsets(lo, hi))

        def locate(offset: int) -> tuple[object, int]:
            cell = self.cell_at(offset)
            return (("grid", cell[0]), cell[2]) if cell else (("lead", offset), offset)

        return locate


# --------------------------------------------------------------------------------------
# Public entry point


def extract_tables(doc: DecodedDocument, sectioned: SectionedReport) -> TableExtraction:
    """Read tables 2-4 (2019/2021 layouts) or the pre-2019 statistics table."""
    version = sectioned.layout_version or sectioned.template_version
    result = TableExtraction(layout_version=version)
    try:
        _extract(doc, sectioned, version, result)
        apply_ocr_readings(doc, result)  # OCR cells: state `ocr`, confidence, unsure ones null
    except Exception as exc:  # a content problem must not stop the partition
        result.warnings.append(f"table extraction failed: {type(exc).__name__}: {exc}")
        present = {c.table_id for c in result.cells}
        for tid in ("t2", "t3", "t4"):
            if tid not in present and not any(m.table_id == tid for m in result.missing):
                result.missing.append(MissingTable(tid, f"extraction failed: {type(exc).__name__}"))
    return result


def _extract(doc: DecodedDocument, sectioned: SectionedReport, version: str, result: TableExtraction) -> None:
    from govreport_dagster.core.tables.legacy import extract_legacy

    if version not in ("2019", "2021"):
        for tid in ("t2", "t3", "t4"):
            result.missing.append(MissingTable(tid, "pre2019 report: no template tables"))
        rows, warnings = extract_legacy(doc.text)
        result.legacy.extend(rows)
        result.warnings.extend(warnings)
        return
    templates = load_templates()
    for tid in ("t2", "t3", "t4"):
        layout = templates.layout(tid, version)
        assert layout is not None
        region, region_warning = _region(doc, sectioned, layout)
        out = None
        for source in _grid_sources(doc, region):
            out = _read_table(tid, layout, version, source, doc.text)
            if out.cells:
                break
        if out is None or not out.cells:
            text_source = _Source(doc.text[region[0] : region[1]], region[0], "text")
            out = _read_table(tid, layout, version, text_source, doc.text)
            if tid == "t2" and not out.cells:
                other = "2021" if version == "2019" else "2019"
                alt_layout = templates.layout(tid, other)
                assert alt_layout is not None
                alt = _read_table(tid, alt_layout, other, text_source, doc.text)
                if alt.cells:
                    alt.warnings.append(f"t2 printed in the {other} layout although the report reads as {version}")
                    out = alt
        if region_warning and (out.cells or out.missing):
            result.warnings.append(region_warning)
        result.cells.extend(out.cells)
        result.warnings.extend(out.warnings)
        result.ambiguous.update(out.ambiguous)
        result.ambiguous_splits.update(out.splits)
        if not out.cells:
            result.missing.append(MissingTable(tid, out.missing or _missing_reason(tid, sectioned, layout)))


def _missing_reason(tid: str, sectioned: SectionedReport, layout: TableLayout) -> str:
    numeral = load_templates().section_numerals[layout.section]
    if any(s.key == layout.section for s in sectioned.sections):
        return f"section {numeral} has no {_TABLE_NAMES[tid]} (image or removed)"
    return f"section {numeral} not found and no {_TABLE_NAMES[tid]} in the text"


def _region(
    doc: DecodedDocument, sectioned: SectionedReport, layout: TableLayout
) -> tuple[tuple[int, int], str | None]:
    for s in sectioned.sections:
        if s.key == layout.section:
            start = s.char_start
            # skip the heading itself: table 4's heading names 行政复议/行政诉讼 too
            head = doc.text.find(s.heading, start, start + len(s.heading) + 20) if s.heading else -1
            if head != -1:
                start = head + len(s.heading)
            return (start, max(start, s.char_end)), None
    return (0, len(doc.text)), f"{layout.table_id}: section {layout.section} not found, searched the whole text"


# --------------------------------------------------------------------------------------
# Grids


def _grid_sources(doc: DecodedDocument, region: tuple[int, int]) -> list[_Source]:
    """The decoder's grids overlapping the region, rendered as pipe rows with positions."""
    grids = [(i, g) for i, g in enumerate(doc.tables) if g.char_end > region[0] and g.char_start < region[1] and g.rows]
    if not grids:
        return []
    parts: list[str] = []
    positions: list[tuple[int, int, int, int]] = []
    length = 0
    for i, g in grids:
        # text between grids (block anchors such as 第二十条第（一）项 are often outside the grid)
        parts_text, grid_pos = _render_grid(i, g)
        lead = doc.text[max(region[0], g.char_start - 40) : g.char_start]
        lead = lead.rsplit("\n", 1)[-1] if "\n" in lead else lead
        parts.append(lead + "\n")
        length += len(lead) + 1
        for start, t, r, c in grid_pos:
            positions.append((start + length, t, r, c))
        parts.append(parts_text + "\n")
        length += len(parts_text) + 1
    return [_Source("".join(parts), grids[0][1].char_start, "grid", positions)]


def _render_grid(index: int, grid: Grid) -> tuple[str, list[tuple[int, int, int, int]]]:
    """One line per grid row, cells separated by ' | '; a merged cell is written once at
    its origin (a value spanning several columns is one value)."""
    out: list[str] = []
    positions: list[tuple[int, int, int, int]] = []
    length = 0
    for row in grid.rows:
        for cell in row:
            if not cell.is_origin:
                continue
            if cell.row != cell.origin_row:
                continue
            text = " ".join(cell.text.split()) or " "
            positions.append((length, index, cell.row, cell.col))
            piece = text + " | "
            out.append(piece)
            length += len(piece)
        out.append("\n")
        length += 1
    return "".join(out), positions


# --------------------------------------------------------------------------------------
# Reading one table


@dataclass
class _Row:
    key: str
    span: tuple[int, int]  # stream span of the label


def _claim_rows(
    sc: Scan, labels: list[Label], lo: int, hi: int, claimed: list[tuple[int, int]]
) -> dict[str, tuple[int, int]]:
    found: dict[str, tuple[int, int]] = {}
    for label in sorted(labels, key=lambda lab: -max(len(k) for k in _keys(lab))):
        hit = find_label(sc.stream, _keys(label), lo, hi, claimed)
        if hit:
            found[label.key] = hit
            claimed.append(hit)
    return found


def _read_table(tid: str, layout: TableLayout, version: str, source: _Source, full_text: str) -> _Out:
    sc = scan(source.text)
    if tid == "t2":
        return _read_t2(sc, layout, source)
    if tid == "t3":
        return _read_t3(sc, layout, version, source)
    return _read_t4(sc, layout, version, source)


def _atoms_between(sc: Scan, start_off: int, end_off: int):
    return [a for a in sc.atoms if start_off <= a.start < end_off]


def _row_atoms(
    sc: Scan,
    spans: list[tuple[int, int]],
    span: tuple[int, int],
    end_stream: int,
    repeated_headers: frozenset[int] = frozenset(),
):
    """Atoms from the row label's start to the next anchor's start. When that anchor is the
    table header printed again (a page break), the row ends at the first text after its
    values: what lies between is page chrome (a running title with its year, a page number)."""
    start_off = sc.span_offsets(*span)[0]
    later = [s for s, _ in spans if s > span[0]]
    nxt = min(later) if later else end_stream
    end_off = sc.stream_pos[nxt] if nxt < len(sc.stream_pos) else len(sc.text)
    atoms = _atoms_between(sc, start_off, end_off)
    if nxt in repeated_headers:
        seen_value = False
        for i, a in enumerate(atoms):
            if a.kind in ("num", "na"):
                seen_value = True
            elif seen_value and a.kind == "text" and a.text.strip():
                return atoms[:i]
    return atoms


def _read_t2(sc: Scan, layout: TableLayout, source: _Source) -> _Out:
    out = _Out()
    claimed: list[tuple[int, int]] = []
    end = len(sc.stream)
    anchors: list[tuple[int, int] | None] = []
    for block in layout.blocks:
        hit = find_label(sc.stream, (match_key(block.anchor),), 0, end, claimed) if block.anchor else None
        anchors.append(hit)
        if hit:
            claimed.append(hit)
    first_anchor = min((a[0] for a in anchors if a), default=None)
    if first_anchor is None:
        header_hit = find_label(sc.stream, _T2_HEADER, 0, end, claimed, fuzzy=False)
        if header_hit is None:
            out.missing = None
            return out
        first_anchor = header_hit[0]
    # the next official section's heading ends the table
    end = header.section_end(sc.stream, layout.section, first_anchor)
    anchors = [a if a and a[0] < end else None for a in anchors]
    spans: list[tuple[int, int]] = [a for a in anchors if a]
    repeated: set[int] = set()
    block_rows: list[tuple[TableBlock, dict[str, tuple[int, int]], list[Label]]] = []
    prev_end = first_anchor
    for bi, block in enumerate(layout.blocks):
        lo = anchors[bi][1] if anchors[bi] else prev_end
        later = [a[0] for a in anchors[bi + 1 :] if a]
        hi = min(later) if later else end
        rows = _claim_rows(sc, list(block.rows), lo, hi, claimed)
        first_row = min((s for s, _ in rows.values()), default=hi)
        columns, order_warning = header.printed_order(
            sc, block.columns, lo, first_row, claimed, source.locator(sc, lo, first_row)
        )
        if order_warning and rows:
            out.warnings.append(f"t2 {block.block}: {order_warning}")
        for col in (*block.columns, None):
            keys = _keys(col) if col else _T2_HEADER
            for k in keys:
                for hit in find_all(sc.stream, k, lo, first_row, claimed):
                    claimed.append(hit)
                    spans.append(hit)
        # a header printed again after a page break ends the row before it
        for k in _T2_HEADER:
            for hit in find_all(sc.stream, k, first_row, hi, claimed):
                claimed.append(hit)
                spans.append(hit)
                repeated.add(hit[0])
        spans.extend(rows.values())
        block_rows.append((block, rows, columns))
        if rows:
            prev_end = max(e for _, e in rows.values())
    if not any(rows for _, rows, _ in block_rows):
        return out
    for _block, rows, columns in block_rows:
        for key, span in sorted(rows.items(), key=lambda kv: kv[1]):
            atoms = _row_atoms(sc, spans, span, end, frozenset(repeated))
            raw_rows = row_tokens(atoms)
            _emit_simple_row(out, "t2", key, columns, raw_rows[0], source, f"t2.{key}")
            for extra in raw_rows[1:]:
                _emit_unmapped(out, "t2", extra, columns, source)
    missing_rows = [r.key for b, rows, _ in block_rows for r in b.rows if r.key not in rows]
    if missing_rows:
        out.warnings.append(f"t2: rows not found: {', '.join(missing_rows)}")
    return out


def _read_t3(sc: Scan, layout: TableLayout, version: str, source: _Source) -> _Out:
    out = _Out()
    end = len(sc.stream)
    claimed: list[tuple[int, int]] = []
    starts = [hit for k in _T3_START if (hit := find_label(sc.stream, (k,), 0, end, [], fuzzy=False))]
    lo = min(s for s, _ in starts) if starts else 0
    rows = _claim_rows(sc, list(_t3_rows()), lo, end, claimed)
    if not rows:
        if starts:
            out.missing = "text ends inside table 3 header (no rows)" if _ends_here(sc, starts) else None
        return out
    # the next official section's heading ends the table (an excerpt that starts inside
    # table 3 has no header: then the first row found is the table's start)
    table_end = header.section_end(sc.stream, layout.section, lo if starts else min(s for s, _ in rows.values()))
    if table_end < end:
        end, claimed = table_end, []
        rows = _claim_rows(sc, list(_t3_rows()), lo, end, claimed)
        if not rows:
            return out
    spans = list(rows.values())
    for g in _t3_groups():
        for hit in find_all(sc.stream, g, lo, end, claimed):
            claimed.append(hit)
            spans.append(hit)
    first_row = min(s for s, _ in rows.values())
    # a header printed again after a page break ends the row before it
    repeated: set[int] = set()
    for k in _t3_repeated_header():
        for hit in find_all(sc.stream, k, first_row, end, claimed):
            claimed.append(hit)
            spans.append(hit)
            repeated.add(hit[0])
    header_lo = max(lo, first_row - HEADER_WINDOW)
    columns, order_warning = header.printed_order(
        sc, layout.blocks[0].columns, header_lo, first_row, claimed, source.locator(sc, header_lo, first_row)
    )
    if order_warning:
        out.warnings.append(f"t3: {order_warning}")
    for col in layout.blocks[0].columns:
        for k in _keys(col):
            for hit in find_all(sc.stream, k, lo, first_row, claimed):
                claimed.append(hit)
                spans.append(hit)
    # 2021 prints three （六） rows, 2019 one; some 2021-year reports print the single row.
    # The sub-rows are what the 2019 layout leaves out; the single row what 2021 leaves out.
    sub = load_templates().excluded_rows("t3", "2019")
    if any(k in rows for k in sub):
        single = load_templates().excluded_rows("t3", "2021")
        row_keys = [r.key for r in _t3_rows() if r.key not in single]
    else:
        row_keys = [r.key for r in _t3_rows() if r.key not in sub]
    col_keys = [c.key for c in columns]
    row_ids = solve.row_identities("t3", version)
    total_last = columns[-1].key == "total"
    parsed: dict[str, _ParsedRow] = {}
    for key in row_keys:
        if key not in rows:
            continue
        raw_rows = row_tokens(_row_atoms(sc, spans, rows[key], end, frozenset(repeated)))
        parsed[key] = _parse_row(
            raw_rows[0], columns, lambda v: solve.row_ok(v, row_ids, col_keys), t3_total=total_last
        )
        for extra in raw_rows[1:]:
            _emit_unmapped(out, "t3", extra, columns, source)
    _resolve_table(out, "t3", parsed, columns, solve.column_identities("t3", version), source)
    missing_rows = [k for k in row_keys if k not in rows]
    if missing_rows:
        found_order = sorted(rows, key=lambda k: rows[k][0])
        if end == len(sc.stream) and _ends_here(sc, [rows[found_order[-1]]]):
            out.warnings.append(f"text truncated inside table 3 after row {found_order[-1]}")
        else:
            out.warnings.append(f"t3: rows not found: {', '.join(missing_rows)}")
    return out


def _ends_here(sc: Scan, spans: list[tuple[int, int]]) -> bool:
    """The scanned text ends within a few hundred characters of the last anchor."""
    last = max(e for _, e in spans)
    return len(sc.stream) - last < 400


def _read_t4(sc: Scan, layout: TableLayout, version: str, source: _Source) -> _Out:
    out = _Out()
    hits = [h for k in _T4_START if (h := find_label(sc.stream, (k,), 0, len(sc.stream), [], fuzzy=False))]
    if not hits:
        return out
    start_off = sc.stream_pos[min(s for s, _ in hits)]
    run: list = []
    started = False
    for a in sc.atoms:
        if a.start < start_off:
            continue
        if a.kind in ("num", "na"):
            started = True
            run.append(a)
        elif a.kind == "pipe":
            if started:
                run.append(a)
        elif a.kind == "text" and started:
            break
    if not started:
        out.missing = "table 4 header without values"
        return out
    from govreport_dagster.core.tables.scan import Atom

    raw = row_tokens([Atom("text", "x", start_off, start_off + 1), *run])[0]
    rows = list(layout.blocks[0].rows)
    columns = list(layout.blocks[0].columns)
    flat_cols = [_FlatCol(f"{r.key}.{c.key}", c) for r in rows for c in columns]
    row_ids = solve.row_identities("t4", version)
    col_keys = [c.key for c in columns]

    def check(values: dict[str, float | None]) -> bool:
        return all(
            solve.row_ok({c.key: values.get(f"{r.key}.{c.key}") for c in columns}, row_ids, col_keys) for r in rows
        )

    parsed = _parse_row(raw, flat_cols, check, t3_total=False)
    tmp = _Out()
    _resolve_table(tmp, "t4", {"_": parsed}, flat_cols, (), source)
    for cell in tmp.cells:
        row_key, col_key = cell.col_key.split(".", 1)
        out.cells.append(
            TableCell(
                "t4",
                row_key,
                col_key,
                cell.value,
                cell.cell_state,
                cell.raw_text,
                cell.source,
                cell.position,
                cell.inferred,
                cell.note,
            )
        )
    for v in tmp.ambiguous.values():
        out.ambiguous["t4"] = v
    for s in tmp.splits.values():
        out.splits["t4"] = s
    out.warnings.extend(w.replace("t3.", "t4.") for w in tmp.warnings)
    return out


@dataclass(frozen=True)
class _FlatCol:
    key: str
    label: Label

    @property
    def unit(self) -> str | None:
        return self.label.unit


# --------------------------------------------------------------------------------------
# Cells of one row


@dataclass
class _CellVal:
    state: str
    value: float | None
    raw: str
    offset: int
    inferred: bool = False
    note: str | None = None


@dataclass
class _ParsedRow:
    cells: list[_CellVal] | None  # decided cells (one per column)
    candidates: list[list[_CellVal]] = field(default_factory=list)  # undecided digit splits
    run_text: str = ""
    note: str | None = None
    offset: int = -1


def _tok_cell(tok: Tok, unit: str | None) -> _CellVal:
    if tok.kind == "blank":
        return _CellVal("blank", None, "", tok.start)
    if tok.kind == "na":
        return _CellVal("not_applicable", None, tok.text, tok.start)
    value, note = parse_number(tok.text, unit)
    if value is None:
        return _CellVal("text", None, tok.text, tok.start, note=note)
    return _CellVal("number", value, tok.text, tok.start, note=note)


def _parse_row(raw: RawRow, columns, check, *, t3_total: bool) -> _ParsedRow:
    n = len(columns)
    toks = raw.toks
    units = [c.unit for c in columns]
    if not toks:
        return _ParsedRow([_CellVal("blank", None, "", -1) for _ in columns])
    if len(toks) == n:
        return _ParsedRow([_tok_cell(t, u) for t, u in zip(toks, units, strict=True)])
    if len(toks) > n:
        cells = [_tok_cell(t, u) for t, u in zip(toks[:n], units, strict=True)]
        extra = " ".join(t.text for t in toks[n:])
        note = f"row prints {len(toks)} values for {n} columns; extra: {extra}"
        suggestion = _merge_suggestion(toks, columns, check)
        if suggestion:
            note += f"; suggestion: {suggestion}"
        return _ParsedRow(cells, note=note)
    nums = [t for t in toks if t.kind == "num"]
    run_text = " ".join(t.text or "·" for t in toks)
    if all(t.kind == "num" for t in toks) and sum(digit_capacity(t.text) for t in nums) >= n:
        splits = split_groups([t.text for t in toks], n)
        cands = []
        for parts in splits:
            cells = []
            for p, u in zip(parts, units, strict=True):
                v, note = parse_number(p, u)
                cells.append(_CellVal("number", v, p, toks[0].start, True, note))
            cands.append(cells)
        ok = [c for c in cands if check({col.key: cell.value for col, cell in zip(columns, c, strict=True)})]
        note = None
        if not ok and cands:
            note = f"no split of {run_text!r} satisfies the row identities"
            ok = cands
        if len(ok) == 1:
            return _ParsedRow(ok[0], run_text=run_text, note=note, offset=toks[0].start)
        return _ParsedRow(None, ok, run_text=run_text, note=note, offset=toks[0].start)
    # Fewer cells than columns and no digit run to split: positions were lost in the
    # flattening. Fill from the left; in table 3 a last value equal to the sum of the
    # others is the 总计 column.
    cells = [_tok_cell(t, u) for t, u in zip(toks, units, strict=False)]
    filled = cells + [_CellVal("blank", None, "", -1) for _ in range(n - len(cells))]
    values = [c.value for c in cells]
    if t3_total and len(cells) >= 2 and all(v is not None for v in values) and values[-1] == sum(values[:-1]):
        filled = cells[:-1] + [_CellVal("blank", None, "", -1) for _ in range(n - len(cells))] + [cells[-1]]
    note = f"{len(toks)} values for {n} columns (empty cells dropped in the source); placed by position"
    return _ParsedRow(filled, note=note)


def _merge_suggestion(toks: list[Tok], columns, check) -> str | None:
    """'1 2' printed for 12: a merge of two neighbouring numbers that makes the row add up.
    Only a suggestion for the note; the values stay as printed."""
    n = len(columns)
    if len(toks) != n + 1:
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


def _resolve_table(out: _Out, tid: str, parsed: dict[str, _ParsedRow], columns, identities, source: _Source) -> None:
    col_keys = [c.key for c in columns]
    fixed = {
        k: {c: cell.value for c, cell in zip(col_keys, p.cells, strict=True)} for k, p in parsed.items() if p.cells
    }
    open_rows = {
        k: [{c: cell.value for c, cell in zip(col_keys, cand, strict=True)} for cand in p.candidates]
        for k, p in parsed.items()
        if p.cells is None and p.candidates
    }
    choice: dict[str, int] = {}
    if open_rows and identities:
        unique, best = solve.solve_table(fixed, open_rows, identities, col_keys)
        zero_bad = (
            best
            and solve.column_violations(
                {**fixed, **{k: open_rows[k][i] for k, i in best[0].items()}}, identities, col_keys
            )
            == 0
        )
        if unique is not None and zero_bad:
            choice = unique
    for key, p in parsed.items():
        if p.cells is not None:
            cells = p.cells
        elif key in choice:
            cells = p.candidates[choice[key]]
        else:
            cells = _undecided(out, tid, key, p)
            if len(p.candidates) <= MAX_SPLITS_KEPT:
                out.splits[f"{tid}.{key}"] = [
                    {c: (cell.value, cell.raw) for c, cell in zip(col_keys, cand, strict=True)} for cand in p.candidates
                ]
        for col, cell in zip(columns, cells, strict=True):
            note = cell.note
            if cell.state == "number" and col.unit not in _MONEY_UNITS and split_unit(cell.raw)[1] == "万":
                where = f"{tid}.{col.key}" if key == "_" else f"{tid}.{key}.{col.key}"
                out.warnings.append(f"{where}: 万 unit converted in a count column: {cell.raw!r} → {cell.value:g}")
            if cell.inferred and p.run_text:
                note = "; ".join(x for x in (f"split from printed run {p.run_text!r}", note) if x)
            if p.note:
                note = "; ".join(x for x in (note, p.note) if x)
            out.cells.append(
                TableCell(
                    tid,
                    key,
                    col.key,
                    cell.value,
                    cell.state,
                    cell.raw,
                    source.kind,
                    source.position(cell.offset),
                    cell.inferred,
                    note,
                )
            )
        if p.note:
            out.warnings.append(f"{tid}.{key}: {p.note}")


def _undecided(out: _Out, tid: str, key: str, p: _ParsedRow) -> list[_CellVal]:
    """Several splits remain: a cell on which all candidates agree is still determined;
    the others are null with the candidates listed."""
    cands = p.candidates
    cells = []
    for i in range(len(cands[0])):
        values = {c[i].value for c in cands}
        if len(values) == 1:
            cells.append(cands[0][i])
        else:
            cells.append(_CellVal("text", None, p.run_text, p.offset, False, "ambiguous digit run; see candidates"))
    out.ambiguous[f"{tid}.{key}"] = [" / ".join(c.raw for c in cand) for cand in cands[:50]]
    return cells


def _emit_simple_row(out: _Out, tid: str, key: str, columns, raw: RawRow, source: _Source, amb_key: str) -> None:
    parsed = _parse_row(raw, columns, lambda v: True, t3_total=False)
    _resolve_table(out, tid, {key: parsed}, columns, (), source)


def _emit_unmapped(out: _Out, tid: str, raw: RawRow, columns, source: _Source) -> None:
    label = (raw.label or "").strip()
    key = f"unmapped:{label}"
    out.warnings.append(f"{tid}: row label not in the template: {label!r}")
    parsed = _parse_row(raw, columns, lambda v: True, t3_total=False)
    _resolve_table(out, tid, {key: parsed}, columns, (), source)
