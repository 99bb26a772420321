"""Stage 3: the official tables 2, 3 and 4 of a report, cell by cell, keyed by the template.

Every table is read by one chain of steps, each a small function over plain data, driven
by the table's declaration in templates.yaml:

1. **region** (`_region`): the table's official section, else the whole text;
   **sources** (`source.grid_sources`, `source.text_source`): the decoder's grids first,
   then the text;
2. **locate** (`_locate_t2/_t3/_t4`): where the table starts (block anchors, header
   anchors) and ends (`header.section_end`: the next official section's heading);
3. **rows** (`_claim_rows`): each row label found through `templates.match_key`, longest
   label first, never overlapping another anchor;
4. **header** (`_header`): the printed column order (`header.printed_order`) and the header
   labels that end the row printed before them (a header repeated after a page break);
5. **parse** (`_parse_rows`): the tokens after each label (`text_grid.row_tokens`) become one
   value per column (`cells.parse_row`), digit runs filtered by the row identities;
6. **resolve** (`cells.resolve_rows`): undecided rows decided by the column identities, and
   every value written as a `TableCell` with its position and note.

Nothing here raises on content: problems become warnings, `MissingTable` entries or
ambiguous cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache

from govreport_dagster.core.model import DecodedDocument, MissingTable, SectionedReport, TableCell, TableExtraction
from govreport_dagster.core.tables.cells import (
    ParsedRow,
    Read,
    RowCheck,
    parse_row,
    resolve_rows,
    simple_row,
    unmapped_row,
    warn,
)
from govreport_dagster.core.tables.header import printed_order, section_end
from govreport_dagster.core.tables.legacy import read_legacy
from govreport_dagster.core.tables.reconcile import reconcile_reads
from govreport_dagster.core.tables.scan import Atom, Scan, find_all, find_label, scan, value_run
from govreport_dagster.core.tables.solve import column_identities, row_identities, row_ok
from govreport_dagster.core.tables.source import Source, grid_sources, text_layer_source, text_source
from govreport_dagster.core.tables.text_grid import RawRow, row_tokens
from govreport_dagster.core.templates import TABLE_IDS, Label, TableBlock, TableLayout, load_templates, match_key

Span = tuple[int, int]  # a stream span [start, end)
_TABLE_NAMES = {"t2": "table 2", "t3": "table 3", "t4": "table 4"}
# Stream characters before a table's first row searched for its column header.
HEADER_WINDOW = 240
# The scanned text ending this close after the last anchor means it was cut off there.
_TRUNCATION_CHARS = 400


@cache
def _anchors(table_id: str) -> tuple[str, ...]:
    """The table's header anchors (templates.yaml `header_anchors`), folded."""
    return tuple(match_key(s) for s in load_templates().header_anchors(table_id))


@cache
def _t3_groups() -> tuple[str, ...]:
    """Folded table-3 group labels that are not rows themselves (（三）不予公开): anchors
    that end the row printed before them."""
    rows = load_templates().labels("t3", "rows")
    keys = {match_key(r.label) for r in rows}
    return tuple(g for g in dict.fromkeys(match_key(r.group) for r in rows if r.group) if g not in keys)


@cache
def _repeated_header(table_id: str) -> tuple[str, ...]:
    """Header labels that, met between rows, mean the header was printed again (a page
    break): the header anchors and the column groups (法人或其他组织)."""
    groups = (match_key(c.group) for c in load_templates().labels(table_id, "columns") if c.group)
    return tuple(dict.fromkeys((*_anchors(table_id), *groups)))


# --------------------------------------------------------------------------------------
# The stage


def extract_tables(doc: DecodedDocument, sectioned: SectionedReport) -> TableExtraction:
    """Read tables 2-4 (2019/2021 layouts) or the pre-2019 statistics table."""
    version = sectioned.layout_version or sectioned.template_version
    result = TableExtraction(layout_version=version)
    try:
        _extract(doc, sectioned, version, result)
    except Exception as exc:  # a content problem must not stop the partition
        result.warnings.append(f"table extraction failed: {type(exc).__name__}: {exc}")
        present = {c.table_id for c in result.cells}
        for tid in TABLE_IDS:
            if tid not in present and not any(m.table_id == tid for m in result.missing):
                result.missing.append(MissingTable(tid, f"extraction failed: {type(exc).__name__}"))
    return result


def _extract(doc: DecodedDocument, sectioned: SectionedReport, version: str, result: TableExtraction) -> None:
    templates = load_templates()
    if not templates.has_layout(version):
        result.missing.extend(MissingTable(tid, "pre2019 report: no template tables") for tid in TABLE_IDS)
        published = [m.value for m in sectioned.narrative if m.metric_key == "items_published"]
        legacy = read_legacy(doc.text, published)
        result.legacy.extend(legacy.rows)
        result.warnings.extend(legacy.warnings)
        result.ambiguous.update(legacy.ambiguous)
        result.ambiguous_splits.update(legacy.splits)
        return
    for tid in TABLE_IDS:
        layout = templates.layout(tid, version)
        assert layout is not None
        region, region_warning = _region(doc, sectioned, layout)
        read = _read_sources(doc, region, layout)
        if region_warning and (read.cells or read.missing):
            result.warnings.append(region_warning)
        result.cells.extend(read.cells)
        result.warnings.extend(read.warnings)
        result.ambiguous.update(read.ambiguous)
        result.ambiguous_splits.update(read.splits)
        if not read.cells:
            result.missing.append(MissingTable(tid, read.missing or _missing_reason(sectioned, layout)))


def _read_sources(doc: DecodedDocument, region: Span, layout: TableLayout) -> Read:
    """The first source with cells: the grids in the region, then its text. Table 2 is
    also tried in the other layout (2021-year reports print the 2019 table and back)."""
    for source in grid_sources(doc, region):
        read = _read_table(layout, source)
        if read.cells:
            return _checked_by_text_layer(doc, region, layout, read)
    text = text_source(doc, region)
    read = _read_table(layout, text)
    if layout.table_id == "t2" and not read.cells:
        other = next(o for o in load_templates().layouts("t2") if o.version != layout.version)
        alt = _read_table(other, text)
        if alt.cells:
            return alt + warn(f"t2 printed in the {other.version} layout although the report reads as {layout.version}")
    return read


def _checked_by_text_layer(doc: DecodedDocument, region: Span, layout: TableLayout, read: Read) -> Read:
    """A PDF table is read from the page's text layer too (issue 13): `reconcile_reads`."""
    source = text_layer_source(doc, region)
    if source is None:
        return read
    return reconcile_reads(layout.table_id, layout.version, read, lambda: _read_table(layout, source))


def _missing_reason(sectioned: SectionedReport, layout: TableLayout) -> str:
    numeral = load_templates().section_numerals[layout.section]
    name = _TABLE_NAMES[layout.table_id]
    if any(s.key == layout.section for s in sectioned.sections):
        return f"section {numeral} has no {name} (image or removed)"
    return f"section {numeral} not found and no {name} in the text"


def _region(doc: DecodedDocument, sectioned: SectionedReport, layout: TableLayout) -> tuple[Span, str | None]:
    for s in sectioned.sections:
        if s.key == layout.section:
            start = s.char_start
            # skip the heading itself: table 4's heading names 行政复议/行政诉讼 too
            head = doc.text.find(s.heading, start, start + len(s.heading) + 20) if s.heading else -1
            if head != -1:
                start = head + len(s.heading)
            return (start, max(start, s.char_end)), None
    return (0, len(doc.text)), f"{layout.table_id}: section {layout.section} not found, searched the whole text"


def _read_table(layout: TableLayout, source: Source) -> Read:
    sc = scan(source.text)
    if layout.table_id == "t2":
        return _read_t2(sc, layout, source)
    if layout.table_id == "t3":
        return _read_t3(sc, layout, source)
    return _read_t4(sc, layout, source)


# --------------------------------------------------------------------------------------
# Steps shared by the readers


@dataclass(frozen=True)
class _Rows:
    """A located block: its rows' label spans and what ends a row."""

    rows: dict[str, Span]  # row key → label span
    columns: list[Label]  # in printed order
    bounds: tuple[Span, ...]  # every anchor: a row's values end at the next one
    repeated: frozenset[int]  # anchor starts that are the header printed again
    end: int  # stream index where the table ends


def _claim_rows(sc: Scan, labels: Sequence[Label], lo: int, hi: int, claimed: list[Span]) -> dict[str, Span]:
    """Each row label's first unclaimed occurrence in stream[lo:hi], longest label first
    (so 其他 never takes a piece of 其他对外管理服务事项); each hit is claimed."""
    found: dict[str, Span] = {}
    for label in sorted(labels, key=lambda lab: -max(len(k) for k in lab.match_keys)):
        hit = find_label(sc.stream, label.match_keys, lo, hi, claimed)
        if hit:
            found[label.key] = hit
            claimed.append(hit)
    return found


def _claim_all(sc: Scan, keys: Sequence[str], lo: int, hi: int, claimed: list[Span]) -> list[Span]:
    """Every unclaimed occurrence of each key in stream[lo:hi]; each hit is claimed."""
    hits: list[Span] = []
    for key in keys:
        for hit in find_all(sc.stream, key, lo, hi, claimed):
            claimed.append(hit)
            hits.append(hit)
    return hits


def _header(
    sc: Scan, block: TableBlock, source: Source, span: Span, claimed: list[Span]
) -> tuple[list[Label], str | None]:
    """The block's columns in the order the header in stream[span] prints them, and a
    warning when that is not the template's order."""
    lo, hi = span
    return printed_order(sc, block.columns, lo, hi, claimed, source.locator(sc, lo, hi))


def _column_keys(block: TableBlock) -> list[str]:
    """The block's folded column labels: found in the header, they end no row."""
    return [k for col in block.columns for k in col.match_keys]


def _row_atoms(sc: Scan, found: _Rows, span: Span) -> list[Atom]:
    """Atoms from the row label's start to the next anchor's start. When that anchor is the
    table header printed again (a page break), the row ends at the first text after its
    values: what lies between is page chrome (a running title with its year, a page number)."""
    start_off = sc.span_offsets(*span)[0]
    nxt = min((s for s, _ in found.bounds if s > span[0]), default=found.end)
    end_off = sc.stream_pos[nxt] if nxt < len(sc.stream_pos) else len(sc.text)
    atoms = [a for a in sc.atoms if start_off <= a.start < end_off]
    if nxt in found.repeated:
        seen_value = False
        for i, a in enumerate(atoms):
            if a.kind in ("num", "na"):
                seen_value = True
            elif seen_value and a.kind == "text" and a.text.strip():
                return atoms[:i]
    return atoms


def _raw_rows(sc: Scan, found: _Rows, key: str) -> tuple[RawRow, list[RawRow]]:
    """The anchored row's tokens and the rows with labels not in the template after it."""
    rows = row_tokens(_row_atoms(sc, found, found.rows[key]))
    return rows[0], rows[1:]


def _ends_here(sc: Scan, spans: Sequence[Span]) -> bool:
    """The scanned text ends within a few hundred characters of the last anchor."""
    return len(sc.stream) - max(e for _, e in spans) < _TRUNCATION_CHARS


# --------------------------------------------------------------------------------------
# Table 2: blocks, each found by its anchor (第二十条第（一）项), read row by row


def _read_t2(sc: Scan, layout: TableLayout, source: Source) -> Read:
    located = _locate_t2(sc, layout)
    if located is None:
        return Read()
    blocks, warnings = _t2_blocks(sc, layout, source, *located)
    read = warnings
    if not any(found.rows for _, found in blocks):
        return read
    for _block, found in blocks:
        for key in sorted(found.rows, key=lambda k: found.rows[k]):
            row, extras = _raw_rows(sc, found, key)
            read += simple_row("t2", key, row, found.columns, source)
            for extra in extras:
                read += unmapped_row("t2", extra, found.columns, source)
    missing_rows = [r.key for b, found in blocks for r in b.rows if r.key not in found.rows]
    return read + warn(f"t2: rows not found: {', '.join(missing_rows)}") if missing_rows else read


def _t2_blocks(
    sc: Scan, layout: TableLayout, source: Source, claimed: list[Span], anchors: list[Span | None], start: int, end: int
) -> tuple[list[tuple[TableBlock, _Rows]], Read]:
    """Each block's rows (between its anchor and the next), its header's column order, and
    the anchors that end a row over the whole table; header-order warnings."""
    found, bounds, repeated, read = [], [a for a in anchors if a], set(), Read()
    prev_end = start
    for i, block in enumerate(layout.blocks):
        lo = anchors[i][1] if anchors[i] else prev_end
        hi = min((a[0] for a in anchors[i + 1 :] if a), default=end)
        rows = _claim_rows(sc, block.rows, lo, hi, claimed)
        first_row = min((s for s, _ in rows.values()), default=hi)
        columns, order_warning = _header(sc, block, source, (lo, first_row), claimed)
        labels = _claim_all(sc, [*_column_keys(block), *_anchors("t2")], lo, first_row, claimed)
        if order_warning and rows:
            read += warn(f"t2 {block.block}: {order_warning}")
        again = _claim_all(sc, _anchors("t2"), first_row, hi, claimed)
        bounds += [*labels, *again, *rows.values()]
        repeated.update(s for s, _ in again)
        found.append((block, rows, columns))
        prev_end = max((e for _, e in rows.values()), default=prev_end)
    frozen = frozenset(repeated)
    return [(block, _Rows(rows, columns, tuple(bounds), frozen, end)) for block, rows, columns in found], read


def _locate_t2(sc: Scan, layout: TableLayout) -> tuple[list[Span], list[Span | None], int, int] | None:
    """(claimed spans, each block's anchor or None, table start, table end): blocks by
    their anchors, else the table by its header; None when neither is printed."""
    claimed: list[Span] = []
    anchors: list[Span | None] = []
    for block in layout.blocks:
        hit = find_label(sc.stream, (match_key(block.anchor),), 0, len(sc.stream), claimed) if block.anchor else None
        anchors.append(hit)
        if hit:
            claimed.append(hit)
    start = min((a[0] for a in anchors if a), default=None)
    if start is None:
        header_hit = find_label(sc.stream, _anchors("t2"), 0, len(sc.stream), claimed, fuzzy=False)
        if header_hit is None:
            return None
        start = header_hit[0]
    end = section_end(sc.stream, layout.section, start)
    return claimed, [a if a and a[0] < end else None for a in anchors], start, end


# --------------------------------------------------------------------------------------
# Table 3: one block of rows under a two-level header, rows coupled by column identities


def _read_t3(sc: Scan, layout: TableLayout, source: Source) -> Read:
    starts = [hit for k in _anchors("t3") if (hit := find_label(sc.stream, (k,), 0, len(sc.stream), [], fuzzy=False))]
    found, claimed, lo = _locate_t3(sc, layout, starts)
    if not found.rows:
        truncated = starts and not found.end < len(sc.stream) and _ends_here(sc, starts)
        return Read(missing="text ends inside table 3 header (no rows)" if truncated else None)
    block = layout.blocks[0]
    first_row = min(s for s, _ in found.rows.values())
    groups = _claim_all(sc, _t3_groups(), lo, found.end, claimed)
    again = _claim_all(sc, _repeated_header("t3"), first_row, found.end, claimed)
    header_span = (max(lo, first_row - HEADER_WINDOW), first_row)
    columns, order_warning = _header(sc, block, source, header_span, claimed)
    labels = _claim_all(sc, _column_keys(block), lo, first_row, claimed)
    bounds = (*found.rows.values(), *groups, *again, *labels)
    found = replace(found, columns=columns, bounds=bounds, repeated=frozenset(s for s, _ in again))
    read = warn(f"t3: {order_warning}") if order_warning else Read()
    row_keys = _t3_printed_rows(found.rows)
    parsed, unmapped = _parse_rows(sc, found, "t3", row_keys, _row_check("t3", layout.version, columns), source)
    read += unmapped + resolve_rows("t3", parsed, columns, source, column_identities("t3", layout.version))
    missing_rows = [k for k in row_keys if k not in found.rows]
    if not missing_rows:
        return read
    last = max(found.rows, key=lambda k: found.rows[k][0])
    if found.end == len(sc.stream) and _ends_here(sc, [found.rows[last]]):
        return read + warn(f"text truncated inside table 3 after row {last}")
    return read + warn(f"t3: rows not found: {', '.join(missing_rows)}")


def _locate_t3(sc: Scan, layout: TableLayout, starts: list[Span]) -> tuple[_Rows, list[Span], int]:
    """The rows from the first header anchor (or the stream start) to the next official
    section's heading, and the claimed spans. An excerpt that starts inside table 3 has no
    header: then the first row found is the table's start."""
    labels = load_templates().labels("t3", "rows")
    lo, end, claimed = min((s for s, _ in starts), default=0), len(sc.stream), []
    rows = _claim_rows(sc, labels, lo, end, claimed)
    if rows:
        table_end = section_end(sc.stream, layout.section, lo if starts else min(s for s, _ in rows.values()))
        if table_end < end:
            end, claimed = table_end, []
            rows = _claim_rows(sc, labels, lo, end, claimed)
    return _Rows(rows, [], (), frozenset(), end), claimed, lo


def _t3_printed_rows(rows: dict[str, Span]) -> list[str]:
    """Table-3 row keys of the layout printed: 2021 prints three （六） sub-rows, 2019 one
    row, and some 2021-year reports print the single row. The sub-rows are what the 2019
    layout leaves out; the single row what 2021 leaves out."""
    templates = load_templates()
    sub_rows = templates.excluded_rows("t3", "2019")
    left_out = templates.excluded_rows("t3", "2021") if any(k in rows for k in sub_rows) else sub_rows
    return [r.key for r in templates.labels("t3", "rows") if r.key not in left_out]


def _row_check(table_id: str, version: str, columns: Sequence[Label]) -> RowCheck:
    """The row identities (`along: columns`) of the table, as a check of one row's values."""
    identities, col_keys = row_identities(table_id, version), [c.key for c in columns]
    return lambda values: row_ok(values, identities, col_keys)


def _parse_rows(
    sc: Scan, found: _Rows, tid: str, keys: Sequence[str], check: RowCheck, source: Source
) -> tuple[dict[str, ParsedRow], Read]:
    """Each printed row's values, and the rows after them whose label is not the template's."""
    parsed: dict[str, ParsedRow] = {}
    unmapped = Read()
    for key in keys:
        if key not in found.rows:
            continue
        row, extras = _raw_rows(sc, found, key)
        parsed[key] = parse_row(row, found.columns, check, total_last=found.columns[-1].key == "total")
        for extra in extras:
            unmapped += unmapped_row(tid, extra, found.columns, source)
    return parsed, unmapped


# --------------------------------------------------------------------------------------
# Table 4: one line of 15 values (three proceedings × five results) after its header


def _read_t4(sc: Scan, layout: TableLayout, source: Source) -> Read:
    hits = [h for k in _anchors("t4") if (h := find_label(sc.stream, (k,), 0, len(sc.stream), [], fuzzy=False))]
    if not hits:
        return Read()
    start_off = sc.stream_pos[min(s for s, _ in hits)]
    run = value_run(sc, start_off)
    if not run:
        return Read(missing="table 4 header without values")
    block = layout.blocks[0]
    # the row's values read as one row of proceeding.result columns
    flat = [replace(c, key=f"{r.key}.{c.key}") for r in block.rows for c in block.columns]
    check = _row_check("t4", layout.version, block.columns)

    def every_row(values: dict[str, float | None]) -> bool:
        return all(check({c.key: values.get(f"{r.key}.{c.key}") for c in block.columns}) for r in block.rows)

    raw = row_tokens([Atom("text", "x", start_off, start_off + 1), *run])[0]
    read = resolve_rows("t4", {"_": parse_row(raw, flat, every_row)}, flat, source)
    return Read(
        tuple(_unflatten(cell) for cell in read.cells),
        read.warnings,
        {"t4": read.ambiguous["t4._"]} if "t4._" in read.ambiguous else {},
        {"t4": read.splits["t4._"]} if "t4._" in read.splits else {},
    )


def _unflatten(cell: TableCell) -> TableCell:
    row_key, col_key = cell.col_key.split(".", 1)
    return replace(cell, row_key=row_key, col_key=col_key)
