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

A blank input (None, a missing cell, or a cell whose state is not "number" or "ocr") makes the
identity `not_assessable`: neither passed nor failed. Blank is never read as 0 (the blank rule
and the arithmetic are `arithmetic.holds`'s). Values are
never changed here; a violation is reported with lhs, rhs and a readable Chinese detail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from .arithmetic import CellKey, Instance, Term, cross_year_instances, holds, side_sum, sum_instances
from .model import VALUE_STATES, IdentityResult, ReportBundle, SectionedReport, TableExtraction
from .templates import AXES, TABLE_IDS, Identity, load_templates, match_key, strip_item_number

Values = Mapping[CellKey, float | None]
# An evaluated identity instance with its result: the instance's terms say which cells (of the
# report, or of the previous one across years) it read, on which side and with which sign.
Assessed = tuple[Instance, IdentityResult]

_MAX_TERMS_SHOWN = 8
_LABEL_MAX = 14
_GROUP_ORDINAL_RE = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")
_AXIS_NAME = {"rows": "row", "columns": "col"}

STATUS_PASSED = "passed"
STATUS_FAILED = "failed"
STATUS_NOT_ASSESSABLE = "not_assessable"


# --------------------------------------------------------------------------------------
# Labels (for readable details)


@cache
def _labels() -> dict[tuple[str, str, str], str]:
    """(table_id, "row"|"col", key) → short printed label, over every layout."""
    tpl = load_templates()
    return {
        (table_id, _AXIS_NAME[axis], label.key): _short_label(label.label, label.group if axis == "rows" else None)
        for table_id in TABLE_IDS
        for axis in AXES
        for label in tpl.labels(table_id, axis)
    }


def _short_label(label: str, group: str | None) -> str:
    """`1.属于国家秘密` under `（三）不予公开` → `（三）1.属于国家秘密`; long labels are cut with …"""
    numbered = label[:1].isdigit() and strip_item_number(label) != match_key(label)  # 1. / 1、
    if group and numbered:
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
class _Shown:
    """A term as a detail prints it: the label of the key that varies along the identity
    (prefixed 本年/上年 across years), its value (None: blank) and whether the cell exists."""

    label: str
    value: float | None
    present: bool
    sign: float = 1.0

    @property
    def signed(self) -> float | None:
        return None if self.value is None else self.sign * self.value


def _shown(term: Term, values: Values, varies: str, prefix: str = "") -> _Shown:
    label = cell_label(term.table, varies, term.row if varies == "row" else term.col)
    return _Shown(prefix + label, as_number(values.get(term.cell)), term.cell in values, term.sign)


def as_number(value: object) -> float | None:
    """A usable number, or None (blank, text, NaN, bool…)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if number != number else number  # NaN is blank


def _side(terms: list[_Shown]) -> str:
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
    identity: Identity, scope: str, scope_label: str, lhs: list[_Shown], rhs: list[_Shown], extra: str = ""
) -> IdentityResult:
    head = f"{identity.label_zh}（{scope_label}）"
    ok = holds([t.signed for t in lhs], [t.signed for t in rhs])
    if ok is None:
        blanks = [t for t in (*lhs, *rhs) if t.value is None]
        missing = "、".join(f"{t.label}{'空白' if t.present else '缺失'}" for t in blanks[:_MAX_TERMS_SHOWN])
        more = f"等{len(blanks)}项" if len(blanks) > _MAX_TERMS_SHOWN else ""
        return IdentityResult(
            identity.id, scope, None, None, STATUS_NOT_ASSESSABLE, identity.severity,
            f"{head}: 无法判断，{missing}{more}{extra}",
        )  # fmt: skip
    lhs_sum, rhs_sum = side_sum(t.signed for t in lhs), side_sum(t.signed for t in rhs)
    sign = "=" if ok else "≠"
    detail = f"{head}: {_side(lhs)} = {_fmt(lhs_sum)} {sign} {_side(rhs)} = {_fmt(rhs_sum)}{extra}"
    status = STATUS_PASSED if ok else STATUS_FAILED
    return IdentityResult(identity.id, scope, lhs_sum, rhs_sum, status, identity.severity, detail)


def _compare_instance(inst: Instance, current: Values, previous: Values, extra: str = "") -> IdentityResult:
    """An instance's terms read from the current (and, across years, the previous) report."""
    across = any(t.previous for t in inst.terms)

    def side(terms: tuple[Term, ...]) -> list[_Shown]:
        return [
            _shown(t, previous if t.previous else current, inst.varies, ("上年" if t.previous else "本年") * across)
            for t in terms
        ]

    table_id = inst.terms[0].table
    scope_label = cell_label(table_id, inst.scope_axis, inst.scope)
    return _compare(inst.identity, inst.scope, scope_label, side(inst.lhs), side(inst.rhs), extra)


def _present_tables(values: Values) -> set[str]:
    return {t for (t, _r, _c) in values}


def effective_version(table_id: str, values: Values, version: str) -> str:
    """The layout a table was actually printed in.

    Some 2021-year reports print table 3 with the single 2019 （六）其他处理 row (corpus 022, 023):
    the 2019 outcome-sum identity then applies. The row keys present decide; else `version`.
    """
    if table_id != "t3" or not load_templates().has_layout(version):
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
    """Table-3 rows printed only in the 2019 layout (the ones 2021 leaves out), and only in
    the 2021 layout."""
    tpl = load_templates()
    return frozenset(tpl.excluded_rows("t3", "2021")), frozenset(tpl.excluded_rows("t3", "2019"))


def evaluate_sum_identities(values: Values, version: str, tables: Iterable[str] | None = None) -> list[IdentityResult]:
    """Evaluate the template's sum identities over cell values.

    `values` maps (table_id, row_key, col_key) → number, None meaning blank (a missing key is
    blank too). `tables` limits the tables evaluated; by default every table that has at least
    one key in `values` (a table absent altogether yields nothing: it is reported missing
    elsewhere). One result per identity and scope, in template order.
    """
    return [_compare_instance(inst, values, {}) for inst in _sum_instances(values, version, tables)]


def _sum_instances(values: Values, version: str, tables: Iterable[str] | None) -> list[Instance]:
    """The sum identities' instances over the layout each table was printed in."""
    wanted = set(tables) if tables is not None else _present_tables(values)
    instances: list[Instance] = []
    for table_id in sorted(wanted):
        instances.extend(_layout_instances(table_id, effective_version(table_id, values, version)))
    return instances


@cache
def _layout_instances(table_id: str, version: str) -> tuple[Instance, ...]:
    """The table's sum-identity instances in a layout, in template order (they depend on the
    declaration alone: expanded once per process, not once per report)."""
    tpl = load_templates()
    layout = tpl.layout(table_id, version) if tpl.has_layout(version) else None
    if layout is None:
        return ()
    return tuple(
        inst
        for identity in tpl.identities_for(version, kind="sum")
        if identity.table == table_id
        for block in layout.blocks
        for inst in sum_instances(identity, table_id, [r.key for r in block.rows], [c.key for c in block.columns])
    )


# --------------------------------------------------------------------------------------
# One report: sum identities and text vs table


def cell_values(tables: TableExtraction) -> dict[CellKey, float | None]:
    """The extraction's cells as identity inputs: only `number` cells carry a value.

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
    return [result for _inst, result in assess_report(tables, sectioned)]


def assess_report(tables: TableExtraction, sectioned: SectionedReport) -> list[Assessed]:
    """`evaluate_report`'s results, each with the instance it evaluated: which cells it read."""
    version = tables.layout_version or sectioned.layout_version
    values = cell_values(tables)
    assessed = [(inst, _compare_instance(inst, values, {})) for inst in _sum_instances(values, version, None)]
    assessed.extend(_assess_narrative(values, sectioned, version))
    return assessed


def _assess_narrative(values: Values, sectioned: SectionedReport, version: str) -> list[Assessed]:
    if not load_templates().has_layout(version):
        return []  # pre-2019 reports have no template tables to compare against
    present = _present_tables(values)
    stated: dict[str, float] = {}
    for metric in sectioned.narrative:
        stated.setdefault(metric.metric_key, metric.value)  # the first statement is the one compared
    assessed = []
    for identity in load_templates().identities_for(version, kind="narrative"):
        for pair in identity.spec.get("pairs", ()):
            metric_key = pair["metric"]
            if metric_key not in stated:
                continue  # the text says nothing: nothing to compare
            table_id = pair["table"]
            terms = tuple(Term((table_id, r, pair["col"])) for r in pair.get("rows") or [pair["row"]])
            # the lhs is the number the text states: no cell of the tables
            inst = Instance(identity, metric_key, "row", (), terms)
            metric_label = _metric_labels().get(metric_key, metric_key)
            lhs = [_Shown(f"正文{metric_label}", as_number(stated[metric_key]), True)]
            rhs = [_shown(t, values, "row") for t in terms]
            extra = "" if table_id in present else f"（{table_id}表格缺失）"
            assessed.append((inst, _compare(identity, metric_key, metric_label, lhs, rhs, extra)))
    return assessed


# --------------------------------------------------------------------------------------
# Cross-year


def evaluate_cross_year(current: ReportBundle, previous: ReportBundle | None) -> list[IdentityResult]:
    """Identities linking the agency's report to its previous-year report.

    Without a previous report every instance is `not_assessable` with the reason; identities
    whose table the current report lacks are skipped (nothing to check). The previous
    report's id is in every detail.
    """
    return [result for _inst, result in assess_cross_year(current, previous)]


def assess_cross_year(current: ReportBundle, previous: ReportBundle | None) -> list[Assessed]:
    """`evaluate_cross_year`'s results, each with the instance it evaluated (its terms marked
    `previous` read the previous report)."""
    version = current.tables.layout_version or current.sectioned.layout_version
    cur_values = cell_values(current.tables)
    prev_values = cell_values(previous.tables) if previous is not None else {}
    assessed: list[Assessed] = []
    for identity in load_templates().identities_for(version, kind="cross_year"):
        table_id = identity.table or ""
        if table_id not in _present_tables(cur_values):
            continue
        layout = load_templates().layout(table_id, effective_version(table_id, cur_values, version))
        for inst in cross_year_instances(identity, layout.column_keys if layout else ()):
            if previous is None:
                scope_label = cell_label(table_id, inst.scope_axis, inst.scope)
                reason = f"缺少同一机关{current.report_year - 1}年的报告"
                detail = f"{identity.label_zh}（{scope_label}）: 无法判断，{reason}"
                result = IdentityResult(
                    identity.id, inst.scope, None, None, STATUS_NOT_ASSESSABLE, identity.severity, detail
                )
                assessed.append((inst, result))
                continue
            extra = f"（上年报告 {previous.report_id}，{previous.report_year}年）"
            assessed.append((inst, _compare_instance(inst, cur_values, prev_values, extra)))
    return assessed
