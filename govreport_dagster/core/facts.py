"""Stage 4: one report year's bundles → the warehouse contract's tables (docs/warehouse_contract.md).

Long (tidy) frames whose columns are exactly `schemas.CONTRACT[table]` plus `report_year`
(int64; the writer moves it into the Hive path). Counts are nullable Int64 (null = blank or
absent in the source, never 0), money float64, flags bool / nullable boolean, text `string`,
`publish_date` `datetime.date` objects.

Values are never altered: a cell the extractor inferred by splitting run-together digits keeps
its value, and a report that breaks an identity is published as it is, with the failed check
(lhs, rhs, a Chinese detail) in `identity_checks` and `quality_status = identity_violation`.

`reports.identity_violations` counts the failed identities of severity `error` (the template's
stated and structural sums: table-3 balance, outcome sums, row totals, table-4 totals). Failed
`warn` identities (cross-year carry and stock, text vs table) are listed in `identity_checks`
with their severity but do not change the report's status: real reports break them
legitimately (recounts, agency reorganisations, narratives that count differently).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from functools import cache
from typing import Any

import pandas as pd

from . import identities
from .agencies import agency_rows_of
from .cell_overrides import assess_bundle
from .corrections import Correction
from .legacy_identities import evaluate_legacy
from .model import PARSER_VERSION, VALUE_STATES, IdentityResult, RawFile, ReportBundle, TableCell
from .schemas import CONTRACT, YEAR_PARTITIONED, pandas_dtype
from .stewardship import YearCorrections, identity_row
from .tables.crossyear import resolve_in_window
from .templates import TABLE_IDS, TEMPLATE_VERSIONS, load_templates
from .year_reports import CHUNK_REPORTS, ListedYear, NeighbourIndex, YearReports, chunks, report_heads

log = logging.getLogger(__name__)

REPORT_YEAR = "report_year"


# --------------------------------------------------------------------------------------
# Frames that conform to the contract


# Columns that never hold null are plain numpy bool (what BI expects for flags).
_NOT_NULL_BOOL = {("reports", "has_t2"), ("reports", "has_t3"), ("reports", "has_t4"),
                  ("reports", "duplicate_agency_year")}  # fmt: skip


def contract_frame(table: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A frame with the contract table's columns (plus report_year) and dtypes."""
    if not rows:  # most years' corrections and suggestions: typing every column costs ~10 ms
        return _empty_contract_frame(table).copy()
    return _typed_frame(table, rows)


@cache
def _empty_contract_frame(table: str) -> pd.DataFrame:
    """Shared: callers get a copy."""
    return _typed_frame(table, [])


def _typed_frame(table: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    schema = CONTRACT[table]
    columns = [*schema.names, REPORT_YEAR] if table in YEAR_PARTITIONED else list(schema.names)
    frame = pd.DataFrame(rows, columns=columns)
    for name in schema.names:
        dtype = "bool" if (table, name) in _NOT_NULL_BOOL else (pandas_dtype(schema.field(name).type) or object)
        if dtype is object:
            frame[name] = frame[name].astype(object)
            frame[name] = frame[name].where(frame[name].notna(), None)
        else:
            frame[name] = frame[name].astype(dtype)
        if dtype == "string":  # a blank is null, never '' (BI counts '' as a value)
            blank = frame[name] == ""
            if blank.any():  # most columns have none: masking every one cost more than the rest
                frame[name] = frame[name].mask(blank)
    if REPORT_YEAR in columns:
        frame[REPORT_YEAR] = frame[REPORT_YEAR].astype("int64")
    return frame


def empty_facts() -> dict[str, pd.DataFrame]:
    return {table: contract_frame(table, []) for table in YEAR_PARTITIONED}


def labels_frame() -> pd.DataFrame:
    """The official Chinese label of every key the warehouse uses (the BI `labels` table)."""
    from .labels import label_rows

    return contract_frame("labels", label_rows())


# --------------------------------------------------------------------------------------
# The year's facts


def build_facts(
    bundles: list[ReportBundle],
    previous: list[ReportBundle],
    following: list[ReportBundle] | None = None,
    corrections: Sequence[Correction] = (),
) -> dict[str, pd.DataFrame]:
    """Every year-partitioned contract table for the bundles' report year (`build_year_facts`
    on reports already in memory).

    `previous` are the previous year's bundles (possibly none): the same agency's report there
    feeds the cross-year identities. `previous` and `following` (the next year's) also let the
    cross-year identities split run-together table-2 rows the report alone leaves open.
    Nothing a report contains raises: an unexpected failure while building one report's
    facts marks that report `unparseable` with the reason. `corrections` (people's, from the
    corrections folder) are applied beside the printed values (`core.stewardship`).
    """
    if not bundles:
        return empty_facts()
    return build_year_facts(ListedYear(bundles), ListedYear(previous), ListedYear(following or []), corrections)


def build_year_facts(
    current: YearReports,
    previous: YearReports,
    following: YearReports,
    corrections: Sequence[Correction] = (),
    chunk_reports: int = CHUNK_REPORTS,
) -> dict[str, pd.DataFrame]:
    """`build_facts` reading the year's reports a chunk at a time (`core.year_reports`): the
    year's context (agencies, duplicates, corrections matched) from every report's head, then
    each chunk's rows as typed frames, concatenated in report order: the same frames
    whatever the chunk size, while only a chunk of reports is in memory at once (issue 12)."""
    if not len(current):
        return empty_facts()
    year = current.report_year
    heads = report_heads(current, chunk_reports)
    stewardship = YearCorrections.for_reports(corrections, year, [h.match for h in heads])  # issue 16
    per_key = Counter(h.agency_key for h in heads if h.agency_key)
    window = [NeighbourIndex(y, set(per_key), chunk_reports) for y in (previous, following)]
    parts: dict[str, list[pd.DataFrame]] = {table: [] for table in YEAR_PARTITIONED}
    for chunk in chunks(len(heads), chunk_reports):
        chunk_heads = [heads[p] for p in chunk]
        before, after = (index.linked_reports({h.agency_key for h in chunk_heads}) for index in window)
        rows: dict[str, list[dict[str, Any]]] = {table: [] for table in YEAR_PARTITIONED}
        for bundle, head in zip(current.bundles(chunk), chunk_heads, strict=True):
            key = head.agency_key
            duplicate = bool(key) and per_key[key] > 1
            report_rows = facts_of_report(bundle, key, duplicate, before.get(key), after.get(key), stewardship)
            for table, table_rows in report_rows.items():
                rows[table].extend(table_rows)
        for table, table_rows in rows.items():
            if table not in ("agencies", "corrections"):  # the year's, not the reports'
                parts[table].append(_year_frame(table, table_rows, year))
    parts["agencies"] = [_year_frame("agencies", agency_rows_of([h.agency for h in heads]), year)]
    parts["corrections"] = [_year_frame("corrections", stewardship.rows(), year)]  # issue 16
    return {table: _concatenated(frames) for table, frames in parts.items()}


def facts_of_report(
    bundle: ReportBundle,
    agency_id: str,
    duplicate: bool,
    prior: ReportBundle | None,
    following: ReportBundle | None,
    stewardship: YearCorrections,
) -> dict[str, list[dict[str, Any]]]:
    """One report's rows of every table it has rows in. `prior` / `following`: its agency's
    report of the previous / following year, as `tables.pick_neighbour` chose it among the
    agency's reports there by report id (`year_reports.NeighbourIndex`; light bundles do)."""
    try:
        # run-together rows the report's own identities left open may be decided by the
        # cross-year identities in the year window (the cells so decided are marked inferred)
        window = [[b.tables] if b is not None else [] for b in (prior, following)]
        tables = resolve_in_window(bundle.report_year, bundle.tables, *window)
        resolved = replace(bundle, tables=tables)
        assessed = assess_bundle(resolved, prior)  # the suggestions ask which cells these read
        report_rows = _report_facts(resolved, agency_id, duplicate, [result for _inst, result in assessed])
        stewardship.amend_report_rows(report_rows, resolved, prior, assessed)  # issue 16
    except Exception as exc:  # a bug must not cost the partition: the report says what happened
        log.exception("facts for report %s failed", bundle.report_id)
        report_rows = {"reports": [_report_row(bundle, agency_id, duplicate, [], f"internal error: {exc!r}")]}
    return report_rows


def _year_frame(table: str, rows: list[dict[str, Any]], year: int) -> pd.DataFrame:
    for row in rows:
        row[REPORT_YEAR] = year
    return contract_frame(table, rows)


def _concatenated(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The chunks' frames as one (all share the contract's dtypes); empty chunks add nothing."""
    filled = [frame for frame in frames if len(frame)]
    if len(filled) <= 1:
        return filled[0] if filled else frames[0]
    return pd.concat(filled, ignore_index=True)


def _report_facts(
    bundle: ReportBundle, agency_id: str, duplicate: bool, evaluated: list[IdentityResult]
) -> dict[str, list[dict]]:
    """The report's rows; `evaluated`: its template identities (`cell_overrides.evaluate_bundle`)."""
    rid = bundle.report_id
    results = [*evaluated, *evaluate_legacy(bundle.tables.legacy)]
    out: dict[str, list[dict[str, Any]]] = {
        "reports": [_report_row(bundle, agency_id, duplicate, results, None)],
        "report_sections": [s.record(rid) for s in bundle.sectioned.sections],
        "fact_narrative_metrics": [
            {
                "report_id": rid,
                "metric_key": m.metric_key,
                "value": m.value,
                "unit": m.unit,
                "evidence": m.evidence,
                "char_start": m.char_start,
                "char_end": m.char_end,
            }
            for m in bundle.sectioned.narrative
        ],
        "fact_legacy_indicators": [
            {
                "report_id": rid,
                "ordinal": r.ordinal,
                "indicator_label": r.indicator_label,
                "indicator_key": r.indicator_key,
                "parent_ordinal": r.parent_ordinal,
                "unit": r.unit,
                "this_period": r.this_period,
                "cumulative": r.cumulative,
                "raw_text": r.raw_text,
            }
            for r in bundle.tables.legacy
        ],
        "identity_checks": [identity_row(rid, r, "printed") for r in results],
        **{load_templates().fact_table(t): [] for t in TABLE_IDS},
    }
    layout = _layout_version(bundle)
    for cell in _mapped_cells(bundle.tables.cells):
        out[load_templates().fact_table(cell.table_id)].append(_fact_row(rid, cell, layout))
    return out


def _fact_row(report_id: str, cell: TableCell, layout: str) -> dict[str, Any]:
    """A template cell as its contract fact row: keys under the table's key types (t3:
    outcome_key, applicant_key), table 2's value with its unit, tables 3/4's count."""
    row_type, col_type = load_templates().key_types(cell.table_id)
    row: dict[str, Any] = {"report_id": report_id, row_type: cell.row_key, col_type: cell.col_key}
    if cell.table_id == "t2":
        row["value"] = _float(cell)
        row["unit"] = _t2_units(layout).get((cell.row_key, cell.col_key)) or _t2_column_units().get(cell.col_key)
    else:
        row["count"] = _count(cell)
    return {**row, "raw_text": cell.raw_text, "cell_state": cell.cell_state, "ocr_confidence": cell.confidence}


def _mapped_cells(cells: Iterable[TableCell]) -> list[TableCell]:
    """Cells the contract can hold: unmapped rows stay in extracted_tables (with the
    extractor's warning), and a repeated key keeps its first cell (the extractor reports it)."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for cell in cells:
        key = (cell.table_id, cell.row_key, cell.col_key)
        if cell.row_key.startswith("unmapped:") or key in seen:
            continue
        seen.add(key)
        out.append(cell)
    return out


def _float(cell: TableCell) -> float | None:
    """The cell's number; None unless the state is `number` (or `ocr`) and the value is a real number."""
    return identities.as_number(cell.value) if cell.cell_state in VALUE_STATES else None


def _count(cell: TableCell) -> int | None:
    """A count as printed; a non-integer number cannot be a count and stays null (its raw
    text is kept, and the tables suite reports it)."""
    value = _float(cell)
    if value is None or not value.is_integer():
        return None
    return int(value)


@cache
def _t2_units(version: str) -> dict[tuple[str, str], str | None]:
    return {(r.key, c.key): c.unit for r, c in load_templates().cells("t2", version)}


@cache
def _t2_column_units() -> dict[str, str | None]:
    """Fallback for a cell printed in the other layout: the metric key's unit in the layout
    of highest precedence that has it."""
    return {c.key: c.unit for c in load_templates().labels("t2", "columns")}


def _template_version(bundle: ReportBundle) -> str:
    version = bundle.sectioned.template_version
    return version if version in TEMPLATE_VERSIONS else load_templates().version_for_year(bundle.report_year)


def _layout_version(bundle: ReportBundle) -> str:
    for version in (bundle.tables.layout_version, bundle.sectioned.layout_version):
        if version in TEMPLATE_VERSIONS:
            return version
    return _template_version(bundle)


# --------------------------------------------------------------------------------------
# reports row and quality status


def _report_row(
    bundle: ReportBundle, agency_id: str, duplicate: bool, results: list[IdentityResult], failure: str | None
) -> dict[str, Any]:
    md = bundle.sectioned.metadata
    decoded = bundle.decoded
    has = {t: bundle.tables.has_table(t) for t in TABLE_IDS}
    violations = [r for r in results if r.status == identities.STATUS_FAILED and r.severity == "error"]
    status, reason = quality_status(bundle, has, violations)
    if failure is not None:
        status, reason = "unparseable", failure
    return {
        "report_id": bundle.report_id,
        "agency_name": md.agency_name,
        "agency_level": md.agency_level or "unknown",
        "title": md.title,
        "publish_date": md.publish_date if isinstance(md.publish_date, date) else None,
        "source_uri": bundle.raw.source_uri or decoded.source_uri,
        "source_sha256": bundle.raw.sha256,
        "source_format": decoded.source_format,
        "detected_encoding": decoded.detected_encoding,
        "original_script": decoded.original_script,
        "template_version": _template_version(bundle),
        "has_t2": has["t2"],
        "has_t3": has["t3"],
        "has_t4": has["t4"],
        "quality_status": status,
        "identity_violations": len(violations),
        "parser_version": PARSER_VERSION,
        "layout_version": _layout_version(bundle),
        "index_no": md.index_no,
        "doc_no": md.doc_no,
        "year_source": md.year_source,
        "status_reason": reason,
        "duplicate_agency_year": duplicate,
        "agency_id": agency_id,  # `agencies.agency_of`, from the year's heads
    }


def lost_report_rows(lost: list[RawFile], report_ids: list[str], year: int, reason: str) -> pd.DataFrame:
    """`reports` rows for parsed files a later stage could not carry (the file vanished or
    changed between the ledger and decoding): nothing the ledger parsed disappears silently."""
    rows = [
        {
            "report_id": report_id,
            "agency_level": "unknown",
            "source_uri": raw.source_uri,
            "source_sha256": raw.sha256,
            "source_format": raw.detected_type,
            "has_t2": False,
            "has_t3": False,
            "has_t4": False,
            "quality_status": "unparseable",
            "identity_violations": 0,
            "parser_version": PARSER_VERSION,
            "status_reason": reason,
            "duplicate_agency_year": False,
            REPORT_YEAR: year,
        }
        for raw, report_id in zip(lost, report_ids, strict=True)
    ]
    return contract_frame("reports", rows)


def quality_status(
    bundle: ReportBundle, has: dict[str, bool], violations: list[IdentityResult]
) -> tuple[str, str | None]:
    """(quality_status, reason). First match wins:

    unparseable (empty text only; sectioning problems add to the reason) → identity_violation (a
    failed error-severity identity) → no_tables_expected (pre-2019 without template tables) → tables_missing (none of
    tables 2–4) → partial_tables (some missing, or the extractor recorded one as incomplete) → ok.
    """
    if not (bundle.decoded.text or "").strip():
        return "unparseable", "empty text"
    status, reason = _table_status(bundle, has, violations)
    if bundle.sectioned.status != "ok":
        # A report with text is never unparseable for its headings (free-form reports):
        # its tables and narrative still count; the reason says what sectioning missed.
        missed = "; ".join([f"sectioning: {bundle.sectioned.status}", *bundle.sectioned.issues])
        reason = f"{reason}; {missed}" if reason else missed
    return status, reason


def _table_status(
    bundle: ReportBundle, has: dict[str, bool], violations: list[IdentityResult]
) -> tuple[str, str | None]:
    if violations:
        shown = ", ".join(f"{r.identity_id}({r.scope})" for r in violations[:5])
        more = f" and {len(violations) - 5} more" if len(violations) > 5 else ""
        return "identity_violation", f"{len(violations)} identity violation(s): {shown}{more}"
    if not any(has.values()) and _layout_version(bundle) == "pre2019":
        n = len(bundle.tables.legacy)
        form = f"its 统计表 read ({n} rows)" if n else "no 统计表 in the text (narrative only)"
        return "no_tables_expected", f"pre-2019 report: no national table template; {form}"
    missing_reasons = {m.table_id: m.reason for m in bundle.tables.missing}
    if not any(has.values()):
        reasons = "; ".join(f"{t}: {missing_reasons.get(t, 'not found')}" for t in TABLE_IDS)
        return "tables_missing", reasons
    absent = [t for t in TABLE_IDS if not has[t]]
    incomplete = [t for t in missing_reasons if has.get(t)]
    if absent or incomplete:
        parts = [f"{t}: {missing_reasons.get(t, 'not found')}" for t in absent]
        parts += [f"{t} incomplete: {missing_reasons[t]}" for t in incomplete]
        return "partial_tables", "; ".join(parts)
    return "ok", None
