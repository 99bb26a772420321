"""The official accounting identities, evaluated per report (and across consecutive years).

Every identity comes from `templates.yaml` (`load_templates().identities_for(version)`); this
module only knows how to evaluate the three kinds declared there:

- `sum` (default): sum(lhs) == sum(rhs), once per scope. `along: rows` names row keys and is
  evaluated in each column (scope = the column key, e.g. the applicant); `along: columns`
  names column keys and is evaluated in each row (scope = the row key). A key ending in `*`
  is a prefix over the layout's keys.
- `cross_year`: the same agency's current and previous report; lhs = current `col`/`row`,
  rhs = previous `col`/`row` plus `plus` minus `minus` (each read from the year it is listed
  under).
- `narrative`: a number stated in the prose must equal the table cell(s) it restates.

A blank input (None, a missing cell, or a cell whose state is not "number") makes the
identity `not_assessable`: neither passed nor failed. Blank is never read as 0. Values are
never changed here; a violation is reported with lhs, rhs and a readable Chinese detail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from .model import VALUE_STATES, IdentityResult, ReportBundle, SectionedReport, TableExtraction
from .templates import Identity, TableLayout, expand_keys, load_templates

CellKey = tuple[str, str, str]  # (table_id, row_key, col_key)
Values = Mapping[CellKey, float | None]

# Sums of integer counts are exact in float64; the tolerance only absorbs decimal money.
_TOLERANCE = 1e-6
_MAX_TERMS_SHOWN = 8
_LABEL_MAX = 14
_GROUP_ORDINAL_RE = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")
_ITEM_NUMBER_RE = re.compile(r"^\d+[.．、]")

STATUS_PASSED = "passed"
STATUS_FAILED = "failed"
STATUS_NOT_ASSESSABLE = "not_assessable"


# --------------------------------------------------------------------------------------
# Labels (for readable details)


@cache
def _labels() -> dict[tuple[str, str, str], str]:
    """(table_id, "row"|"col", key) → short printed label, over every layout."""
    tpl = load_templates()
    out: dict[tuple[str, str, str], str] = {}
    for table_id in ("t2", "t3", "t4"):
        for version in ("2021", "2019"):
            layout = tpl.layout(table_id, version)
            if layout is None:
                continue
            for block in layout.blocks:
                for r in block.rows:
                    out.setdefault((table_id, "row", r.key), _short_label(r.label, r.group))
                for c in block.columns:
                    out.setdefault((table_id, "col", c.key), _short_label(c.label, None))
    # rows excluded from both layouts' views still need labels (all t3 rows are listed)
    for r in tpl.raw["tables"]["t3"]["rows"]:
        out.setdefault(("t3", "row", r["key"]), _short_label(r["label"], r.get("group")))
    return out


def _short_label(label: str, group: str | None) -> str:
    """`1.属于国家秘密` under `（三）不予公开` → `（三）1.属于国家秘密`; long labels are cut with …"""
    if group and _ITEM_NUMBER_RE.match(label):
        ordinal = _GROUP_ORDINAL_RE.match(group)
        if ordinal:
            label = ordinal.group(0) + label
    return label if len(label) <= _LABEL_MAX else label[: _LABEL_MAX - 4] + "…"


def cell_label(table_id: str, axis: str, key: str) -> str:
    return _labels().get((table_id, axis, key), key)


@cache
def _metric_labels() -> dict[str, str]:
    return {m.key: m.label for m in load_templates().narrative_metrics}


def _fmt(value: float | None) -> str:
    if value is None:
        return "空"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6g}"


# --------------------------------------------------------------------------------------
# Sum identities (the primitive other stages may reuse, e.g. to split run-together digits)


@dataclass(frozen=True)
class _Term:
    key: CellKey
    label: str
    value: float | None
    present: bool
    sign: float = 1.0  # -1 for a subtracted term (cross-year `minus`)


def _terms(values: Values, table_id: str, pairs: Iterable[tuple[str, str]], axis: str) -> list[_Term]:
    """One term per (row, col); its label names the key that varies along the identity."""
    terms = []
    for row, col in pairs:
        key = (table_id, row, col)
        label = cell_label(table_id, "row", row) if axis == "row" else cell_label(table_id, "col", col)
        terms.append(_Term(key, label, as_number(values.get(key)), key in values))
    return terms


def as_number(value: object) -> float | None:
    """A usable number, or None (blank, text, NaN, bool…)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if number != number else number  # NaN is blank


def _side(terms: list[_Term]) -> str:
    shown = terms
    hidden = 0
    if len(terms) > _MAX_TERMS_SHOWN:
        shown = [t for t in terms if t.value != 0]
        hidden = len(terms) - len(shown)
    text = ""
    for i, t in enumerate(shown):
        term = f"{t.label} {_fmt(t.value)}"
        text += term if i == 0 and t.sign > 0 else (f" + {term}" if t.sign > 0 else f" − {term}")
    if hidden:
        text += f" + 其余{hidden}项 0" if text else f"其余{hidden}项 0"
    return text or "0"


def _compare(
    identity: Identity, scope: str, scope_label: str, lhs: list[_Term], rhs: list[_Term], extra: str = ""
) -> IdentityResult:
    head = f"{identity.label_zh}（{scope_label}）"
    blanks = [t for t in (*lhs, *rhs) if t.value is None]
    if blanks:
        missing = "、".join(f"{t.label}{'空白' if t.present else '缺失'}" for t in blanks[:_MAX_TERMS_SHOWN])
        more = f"等{len(blanks)}项" if len(blanks) > _MAX_TERMS_SHOWN else ""
        return IdentityResult(
            identity.id, scope, None, None, STATUS_NOT_ASSESSABLE, identity.severity,
            f"{head}: 无法判断，{missing}{more}{extra}",
        )  # fmt: skip
    lhs_sum = sum(t.sign * t.value for t in lhs if t.value is not None)
    rhs_sum = sum(t.sign * t.value for t in rhs if t.value is not None)
    ok = abs(lhs_sum - rhs_sum) <= _TOLERANCE
    sign = "=" if ok else "≠"
    detail = f"{head}: {_side(lhs)} = {_fmt(lhs_sum)} {sign} {_side(rhs)} = {_fmt(rhs_sum)}{extra}"
    status = STATUS_PASSED if ok else STATUS_FAILED
    return IdentityResult(identity.id, scope, lhs_sum, rhs_sum, status, identity.severity, detail)


def _present_tables(values: Values) -> set[str]:
    return {t for (t, _r, _c) in values}


def effective_version(table_id: str, values: Values, version: str) -> str:
    """The layout a table was actually printed in.

    Some 2021-year reports print table 3 with the single 2019 （六）其他处理 row (corpus 022, 023):
    the 2019 outcome-sum identity then applies. The row keys present decide; else `version`.
    """
    if table_id != "t3" or version not in ("2019", "2021"):
        return version
    # a row counts as printed when it holds a number: blank rows of the other layout (a
    # transcription listing every key) must not decide
    rows = {r for (t, r, _c), v in values.items() if t == "t3" and as_number(v) is not None}
    only_2019, only_2021 = _t3_layout_rows()
    has_single = bool(rows & only_2019)
    has_split = bool(rows & only_2021)
    if has_single and not has_split:
        return "2019"
    if has_split and not has_single:
        return "2021"
    return version


@cache
def _t3_layout_rows() -> tuple[frozenset[str], frozenset[str]]:
    """Table-3 rows printed only in the 2019 layout, and only in the 2021 layout."""
    tpl = load_templates()
    rows_2019 = set(tpl.layout("t3", "2019").row_keys)  # type: ignore[union-attr]
    rows_2021 = set(tpl.layout("t3", "2021").row_keys)  # type: ignore[union-attr]
    return frozenset(rows_2019 - rows_2021), frozenset(rows_2021 - rows_2019)


def evaluate_sum_identities(values: Values, version: str, tables: Iterable[str] | None = None) -> list[IdentityResult]:
    """Evaluate the template's sum identities over cell values.

    `values` maps (table_id, row_key, col_key) → number, None meaning blank (a missing key is
    blank too). `tables` limits the tables evaluated; by default every table that has at least
    one key in `values` (a table absent altogether yields nothing: it is reported missing
    elsewhere). One result per identity and scope, in template order.
    """
    tpl = load_templates()
    wanted = set(tables) if tables is not None else _present_tables(values)
    results: list[IdentityResult] = []
    for table_id in sorted(wanted):
        table_version = effective_version(table_id, values, version)
        layout = tpl.layout(table_id, table_version) if table_version in ("2019", "2021") else None
        if layout is None:
            continue
        for identity in tpl.identities_for(table_version, kind="sum"):
            if identity.table == table_id:
                results.extend(_evaluate_sum(identity, layout, values))
    return results


def _evaluate_sum(identity: Identity, layout: TableLayout, values: Values) -> list[IdentityResult]:
    results = []
    table_id = layout.table_id
    for block in layout.blocks:
        row_keys = [r.key for r in block.rows]
        col_keys = [c.key for c in block.columns]
        if identity.along == "rows":
            lhs_rows, rhs_rows = expand_keys(identity.lhs, row_keys), expand_keys(identity.rhs, row_keys)
            if not lhs_rows or not rhs_rows:
                continue
            for col in col_keys:
                lhs = _terms(values, table_id, [(r, col) for r in lhs_rows], "row")
                rhs = _terms(values, table_id, [(r, col) for r in rhs_rows], "row")
                results.append(_compare(identity, col, cell_label(table_id, "col", col), lhs, rhs))
        else:  # along columns: one evaluation per row
            lhs_cols, rhs_cols = expand_keys(identity.lhs, col_keys), expand_keys(identity.rhs, col_keys)
            if not lhs_cols or not rhs_cols:
                continue
            for row in row_keys:
                lhs = _terms(values, table_id, [(row, c) for c in lhs_cols], "col")
                rhs = _terms(values, table_id, [(row, c) for c in rhs_cols], "col")
                results.append(_compare(identity, row, cell_label(table_id, "row", row), lhs, rhs))
    return results


# --------------------------------------------------------------------------------------
# One report: sum identities and text vs table


def cell_values(tables: TableExtraction) -> dict[CellKey, float | None]:
    """The extraction's cells as identity inputs: only `number` and `ocr` cells carry a value.

    Unmapped rows are left out (no identity names them). When a key occurs twice the first
    cell wins (the extractor reports the duplicate)."""
    values: dict[CellKey, float | None] = {}
    for cell in tables.cells:
        if cell.row_key.startswith("unmapped:"):
            continue
        key = (cell.table_id, cell.row_key, cell.col_key)
        if key in values:
            continue
        values[key] = as_number(cell.value) if cell.cell_state in VALUE_STATES else None
    return values


def evaluate_report(tables: TableExtraction, sectioned: SectionedReport) -> list[IdentityResult]:
    """The sum identities of the printed layout and the narrative-vs-table checks."""
    version = tables.layout_version or sectioned.layout_version
    values = cell_values(tables)
    results = evaluate_sum_identities(values, version)
    results.extend(_evaluate_narrative(values, sectioned, version))
    return results


def _evaluate_narrative(values: Values, sectioned: SectionedReport, version: str) -> list[IdentityResult]:
    if version not in ("2019", "2021"):
        return []  # pre-2019 reports have no template tables to compare against
    present = _present_tables(values)
    stated: dict[str, float] = {}
    for metric in sectioned.narrative:
        stated.setdefault(metric.metric_key, metric.value)  # the first statement is the one compared
    results = []
    for identity in load_templates().identities_for(version, kind="narrative"):
        for pair in identity.spec.get("pairs", ()):
            metric_key = pair["metric"]
            if metric_key not in stated:
                continue  # the text says nothing: nothing to compare
            table_id = pair["table"]
            rows = pair.get("rows") or [pair["row"]]
            metric_label = _metric_labels().get(metric_key, metric_key)
            lhs = [_Term(("text", metric_key, ""), f"正文{metric_label}", as_number(stated[metric_key]), True)]
            rhs = _terms(values, table_id, [(r, pair["col"]) for r in rows], "row")
            extra = "" if table_id in present else f"（{table_id}表格缺失）"
            results.append(_compare(identity, metric_key, metric_label, lhs, rhs, extra))
    return results


# --------------------------------------------------------------------------------------
# Cross-year


def evaluate_cross_year(current: ReportBundle, previous: ReportBundle | None) -> list[IdentityResult]:
    """Identities linking the agency's report to its previous-year report.

    Without a previous report every instance is `not_assessable` with the reason; identities
    whose table the current report lacks are skipped (nothing to check). The previous
    report's id is in every detail.
    """
    version = current.tables.layout_version or current.sectioned.layout_version
    cur_values = cell_values(current.tables)
    prev_values = cell_values(previous.tables) if previous is not None else {}
    results: list[IdentityResult] = []
    for identity in load_templates().identities_for(version, kind="cross_year"):
        table_id = identity.table or ""
        if table_id not in _present_tables(cur_values):
            continue
        for scope, scope_label, lhs, rhs in _cross_year_terms(identity, table_id, version, cur_values, prev_values):
            if previous is None:
                reason = f"缺少同一机关{current.report_year - 1}年的报告"
                detail = f"{identity.label_zh}（{scope_label}）: 无法判断，{reason}"
                results.append(
                    IdentityResult(identity.id, scope, None, None, STATUS_NOT_ASSESSABLE, identity.severity, detail)
                )
                continue
            extra = f"（上年报告 {previous.report_id}，{previous.report_year}年）"
            results.append(_compare(identity, scope, scope_label, lhs, rhs, extra))
    return results


def _cross_year_terms(
    identity: Identity, table_id: str, version: str, cur: Values, prev: Values
) -> list[tuple[str, str, list[_Term], list[_Term]]]:
    spec = identity.spec
    current, previous = spec["current"], spec["previous"]
    out = []
    if "row" in current:  # along rows: one instance per column of the current layout
        layout = load_templates().layout(table_id, effective_version(table_id, cur, version))
        cols = layout.column_keys if layout else ()
        for col in cols:
            lhs = [_year_term(cur, table_id, current["row"], col, "本年", "row")]
            rhs = [_year_term(prev, table_id, previous["row"], col, "上年", "row")]
            out.append((col, cell_label(table_id, "col", col), lhs, rhs))
    else:  # along columns: one instance per listed row
        for row in spec.get("rows", ()):
            lhs = [_year_term(cur, table_id, row, current["col"], "本年", "col")]
            rhs = [_year_term(prev, table_id, row, previous["col"], "上年", "col")]
            for side, values, prefix in ((current, cur, "本年"), (previous, prev, "上年")):
                rhs += [_year_term(values, table_id, row, c, prefix, "col") for c in side.get("plus", ())]
                rhs += [_year_term(values, table_id, row, c, prefix, "col", -1.0) for c in side.get("minus", ())]
            out.append((row, cell_label(table_id, "row", row), lhs, rhs))
    return out


def _year_term(values: Values, table_id: str, row: str, col: str, prefix: str, axis: str, sign: float = 1.0) -> _Term:
    key = (table_id, row, col)
    label = cell_label(table_id, axis, row if axis == "row" else col)
    return _Term(key, f"{prefix}{label}", as_number(values.get(key)), key in values, sign)


def count_violations(results: Iterable[IdentityResult]) -> int:
    return sum(1 for r in results if r.status == STATUS_FAILED)
