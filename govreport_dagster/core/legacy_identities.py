"""Identities of the pre-2019 statistics forms, checked like the post-2019 ones.

Declared in templates.yaml (`legacy_forms.identities`, read through
`tables.legacy_forms`). The printed rows tell which form a report used (the declared form
sharing the most indicator keys); each identity of that form whose parent row is printed
is evaluated per value column:

- `sum`: parent == Σ the form's sub-rows (scope: the column). A sub-row the form declares
  but the report does not print makes the check not assessable, as does a blank value.
- `bound`: parent ≥ each sub-row (scope: `<sub-row>.<column>`); lhs is the parent.
- `period_bound`: cumulative ≥ this year, per row (scope: the row); lhs is the cumulative.

Results are `IdentityResult`s (identity_checks rows); values are never changed.
"""

from __future__ import annotations

from collections.abc import Iterable

from govreport_dagster.core.model import IdentityResult, LegacyIndicatorRow
from govreport_dagster.core.tables.legacy_forms import (
    CUMULATIVE,
    PERIOD,
    FormIdentity,
    LegacyForm,
    identities_of,
    indicator_labels,
    legacy_forms,
)

PASSED, FAILED, NOT_ASSESSABLE = "passed", "failed", "not_assessable"
_COLUMN_LABELS = {PERIOD: "", CUMULATIVE: "（累计）"}
_TOLERANCE = 1e-6


def evaluate_legacy(rows: list[LegacyIndicatorRow]) -> list[IdentityResult]:
    """Every applicable form identity over one report's legacy rows ([] without rows)."""
    form = _form_of(rows)
    if form is None:
        return []
    by_key = {r.indicator_key: r for r in rows if r.indicator_key}
    out: list[IdentityResult] = []
    for ident in identities_of(form.id):
        if ident.kind == "period_bound":
            out.extend(_period_bound(ident, rows))
        elif ident.parent in by_key:
            columns = [c for c in form.columns if c in (PERIOD, CUMULATIVE)]
            children = [r.key for r in form.children(ident.parent)]
            if ident.kind == "sum":
                unkeyed = {r.ordinal for r in rows if not r.indicator_key}
                out.extend(_sum(ident, by_key, ident.parent, children, columns, unkeyed))
            else:
                out.extend(_bound(ident, by_key, ident.parent, [c for c in children if c in by_key], columns))
    return out


def _form_of(rows: list[LegacyIndicatorRow]) -> LegacyForm | None:
    keys = {r.indicator_key for r in rows if r.indicator_key}
    if not keys:
        return None
    best = max(legacy_forms(), key=lambda f: len(keys & {r.key for r in f.rows}))
    return best if keys & {r.key for r in best.rows} else None


def _value(row: LegacyIndicatorRow | None, column: str) -> float | None:
    if row is None:
        return None
    return row.this_period if column == PERIOD else row.cumulative


def _label(key: str) -> str:
    return indicator_labels().get(key, key)


def _fmt(value: float | None) -> str:
    if value is None:
        return "空"
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def _terms(by_key: dict[str, LegacyIndicatorRow], keys: Iterable[str], column: str) -> list[tuple[str, float | None]]:
    """(readable label, value) per key, the column named (本年 / 累计)."""
    return [(_label(k) + _COLUMN_LABELS[column], _value(by_key.get(k), column)) for k in keys]


def _side(terms: list[tuple[str, float | None]]) -> str:
    return " + ".join(f"{label} {_fmt(v)}" for label, v in terms)


def _result(
    ident: FormIdentity, scope: str, lhs: list[tuple[str, float | None]], rhs: list[tuple[str, float | None]], op: str
) -> IdentityResult:
    """lhs op rhs, op `=` (sum) or `≥` (bounds); terms are (label, value)."""
    head = f"{ident.label_zh}（{scope}）"
    blank = [label for label, v in (*lhs, *rhs) if v is None]
    if blank:
        missing = "、".join(label + "空白或缺失" for label in blank[:8])
        return IdentityResult(
            ident.id, scope, None, None, NOT_ASSESSABLE, ident.severity, f"{head}: 无法判断，{missing}"
        )
    left = sum(v for _k, v in lhs if v is not None)
    right = sum(v for _k, v in rhs if v is not None)
    ok = abs(left - right) <= _TOLERANCE if op == "=" else left >= right - _TOLERANCE
    sign = op if ok else ("≠" if op == "=" else "<")
    detail = f"{head}: {_side(lhs)} {sign} {_side(rhs)}"
    return IdentityResult(ident.id, scope, left, right, PASSED if ok else FAILED, ident.severity, detail)


def _sum(
    ident: FormIdentity,
    by_key: dict[str, LegacyIndicatorRow],
    parent: str,
    children: list[str],
    columns: list[str],
    unkeyed: set[int],
) -> list[IdentityResult]:
    """parent == Σ children per column; `unkeyed` are the ordinals of rows no form declares."""
    printed = [by_key[c].ordinal for c in children if c in by_key]
    if not printed:
        return []
    after = [r.ordinal for r in by_key.values() if r.ordinal > max(printed)]
    block_end = min(after, default=max([max(printed), *unkeyed]) + 1)
    if any(by_key[parent].ordinal < n < block_end for n in unkeyed):
        # a sub-row the form does not declare: the sum cannot be judged from the declared ones
        detail = f"{ident.label_zh}: 无法判断，其中含表式未声明的行"
        return [IdentityResult(ident.id, c, None, None, NOT_ASSESSABLE, ident.severity, detail) for c in columns]
    return [
        _result(ident, column, _terms(by_key, [parent], column), _terms(by_key, children, column), "=")
        for column in columns
    ]


def _bound(
    ident: FormIdentity, by_key: dict[str, LegacyIndicatorRow], parent: str, children: list[str], columns: list[str]
) -> list[IdentityResult]:
    return [
        _result(ident, f"{child}.{column}", _terms(by_key, [parent], column), _terms(by_key, [child], column), "≥")
        for child in children
        for column in columns
    ]


def _period_bound(ident: FormIdentity, rows: list[LegacyIndicatorRow]) -> list[IdentityResult]:
    out = []
    seen: set[str] = set()
    for r in rows:
        if r.this_period is None and r.cumulative is None:
            continue  # a group row or a blank row: nothing printed to compare
        scope = r.indicator_key if r.indicator_key and r.indicator_key not in seen else f"#{r.ordinal}"
        seen.add(scope)
        label = r.indicator_label
        lhs = [(label + _COLUMN_LABELS[CUMULATIVE], r.cumulative)]
        rhs = [(label + _COLUMN_LABELS[PERIOD], r.this_period)]
        out.append(_result(ident, scope, lhs, rhs, "≥"))
    return out
