"""Suggested corrections: where one printed cell alone explains a failed identity.

A suggestion is never applied. It is a row for an analyst (the `correction_suggestions`
table, `govreport suggest`), who checks the original and, if it holds, records a correction
(`core.corrections`). The source stays as printed.

Candidates, each one cell of a failed identity instance with one other value:

- `sum_of_parts`: the cell is alone on its side of a failed sum identity — a 总计 printed
  otherwise than the sum of its parts — and gets the other side's value.
- `previous_year`: the same for a cross-year identity — this year's 上年结转 against last
  year's 结转下年度继续办理 — the cell gets last year's figure.
- `stated_in_text`: the same for a text-vs-table identity: the table cell gets the number
  the report's own prose states.
- `digits_transposed`: two adjacent digits of a cell of the failed identity swapped
  (21 printed as 12) make it hold.

A candidate is kept only when, with that one cell changed, at least one failed identity of
severity `error` passes and no identity that passed fails (warn identities alone are broken
legitimately by real reports: they never motivate a suggestion). `certainty` is `unique`
when no other kept candidate fixes the identity that implied it, else `one_of_several`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from . import identities
from .cell_overrides import Overrides, assess_bundle, evaluate_with, format_cell_key, format_number
from .identities import Assessed, CellKey
from .model import IdentityResult, ReportBundle
from .templates import load_templates

RULES = ("sum_of_parts", "previous_year", "stated_in_text", "digits_transposed")
CERTAINTIES = ("unique", "one_of_several")
_RULE_FOR_KIND = {"sum": "sum_of_parts", "cross_year": "previous_year", "narrative": "stated_in_text"}
_RULE_ZH = {
    "sum_of_parts": "按各分项之和",
    "previous_year": "按上年报告",
    "stated_in_text": "按正文所述",
    "digits_transposed": "相邻两位数字疑似颠倒",
}
_TOLERANCE = 1e-6

InstanceKey = tuple[str, str]  # (identity_id, scope)
# per instance, the cells it reads: cell → (side "lhs"/"rhs", coefficient: +1 added, −1 subtracted)
Members = dict[InstanceKey, dict[CellKey, tuple[str, float]]]
Evaluate = Callable[[Overrides], list[IdentityResult]]


@dataclass(frozen=True)
class Suggestion:
    report_id: str
    cell: CellKey
    raw_text: str
    printed_value: float
    suggested_value: float
    rule: str  # one of RULES
    identity_id: str  # the failed identity that implies the value
    scope: str
    certainty: str  # unique | one_of_several
    fixes: tuple[str, ...]  # every identity instance that passes with it: "t4_block_total(review)"
    detail: str

    def record(self) -> dict[str, Any]:
        """The suggestion as a `correction_suggestions` row (contract column names)."""
        table_id, row_key, col_key = self.cell
        return {
            "report_id": self.report_id,
            "cell": format_cell_key(self.cell),
            "table_id": table_id,
            "row_key": row_key,
            "col_key": col_key,
            "raw_text": self.raw_text,
            "printed_value": self.printed_value,
            "suggested_value": self.suggested_value,
            "rule": self.rule,
            "identity_id": self.identity_id,
            "scope": self.scope,
            "certainty": self.certainty,
            "fixes": "; ".join(self.fixes),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class _Candidate:
    cell: CellKey
    value: float
    rule: str
    trigger: IdentityResult


def suggest_for_report(
    bundle: ReportBundle, prior: ReportBundle | None, assessed: list[Assessed] | None = None
) -> list[Suggestion]:
    """The suggestions for one report (its printed values), with the previous year's report of
    the same agency for the cross-year identities; [] when no error identity failed.
    `assessed`: `assess_bundle(bundle, prior)` when the caller has it already."""
    if assessed is None:
        assessed = assess_bundle(bundle, prior)
    baseline = [result for _inst, result in assessed]
    if not any(r.status == identities.STATUS_FAILED and r.severity == "error" for r in baseline):
        return []
    values = {k: v for k, v in identities.cell_values(bundle.tables).items() if v is not None}
    raw = {(c.table_id, c.row_key, c.col_key): c.raw_text for c in bundle.tables.cells}

    def evaluate(overrides: Overrides) -> list[IdentityResult]:
        return evaluate_with(bundle, prior, overrides)

    return suggest(bundle.report_id, values, raw, baseline, identity_members(assessed, values), evaluate)


def suggest(
    report_id: str,
    values: dict[CellKey, float],
    raw_text: dict[CellKey, str],
    baseline: list[IdentityResult],
    members: Members,
    evaluate: Evaluate,
) -> list[Suggestion]:
    """Suggestions from a report's printed number cells, its identity results, the cells each
    instance reads (`identity_members`) and a way to re-evaluate them with some cells replaced
    (pure: no bundle needed, so it is testable on plain data)."""
    failed = [r for r in baseline if r.status == identities.STATUS_FAILED]
    candidates: dict[tuple[CellKey, float], _Candidate] = {}
    for result in failed:
        terms = members.get((result.identity_id, result.scope), {})
        for candidate in [*_lone_term(result, terms, values), *_transposed(result, terms, values)]:
            candidates.setdefault((candidate.cell, candidate.value), candidate)
    kept: list[tuple[_Candidate, list[IdentityResult]]] = []
    for candidate in candidates.values():
        fixes = _fixes(baseline, evaluate({candidate.cell: candidate.value}))
        if fixes is not None and any(f.severity == "error" for f in fixes):
            kept.append((candidate, fixes))
    return [_suggestion(report_id, c, fixes, kept, values, raw_text) for c, fixes in kept]


def identity_members(assessed: Iterable[Assessed], values: Mapping[CellKey, float]) -> Members:
    """Which of `values`' cells each failed identity instance reads, on which side and with
    which coefficient (its terms' signs added up), as the identities module expanded the
    instance over the layout: a failed instance read every one of its cells, so each is a
    cell whose value alone could explain the failure. Terms read from the previous report
    are not this report's cells; a cell with a coefficient on both sides counts on the rhs;
    instances sharing an (identity, scope) pool their cells, the later one winning."""
    members: Members = {}
    for inst, result in assessed:
        if result.status != identities.STATUS_FAILED:
            continue
        found = members.setdefault((result.identity_id, result.scope), {})
        for side, terms in (("lhs", inst.lhs), ("rhs", inst.rhs)):
            coefficients: dict[CellKey, float] = {}
            for term in terms:
                if not term.previous and term.cell in values:
                    coefficients[term.cell] = coefficients.get(term.cell, 0.0) + term.sign
            found.update((cell, (side, coef)) for cell, coef in coefficients.items() if abs(coef) > _TOLERANCE)
    order = {cell: i for i, cell in enumerate(values)}
    return {key: dict(sorted(cells.items(), key=lambda item: order[item[0]])) for key, cells in members.items()}


def _sides(result: IdentityResult, side: str) -> tuple[float, float]:
    """(the value of `side`, the value of the other side) of an evaluated identity."""
    assert result.lhs is not None and result.rhs is not None
    return (result.lhs, result.rhs) if side == "lhs" else (result.rhs, result.lhs)


def _lone_term(
    result: IdentityResult, terms: dict[CellKey, tuple[str, float]], values: dict[CellKey, float]
) -> Iterator[_Candidate]:
    """The cell alone on its side gets the other side's value."""
    for side in ("lhs", "rhs"):
        on_side = [(k, coef) for k, (s, coef) in terms.items() if s == side]
        if len(on_side) != 1:
            continue
        key, coef = on_side[0]
        side_value, other = _sides(result, side)
        if abs(side_value - coef * values[key]) > _TOLERANCE:
            continue  # other terms (another year's, the text's) share the side: not a lone total
        suggested = values[key] + (other - side_value) / coef
        if _plausible(key, values[key], suggested):
            yield _Candidate(
                key, suggested, _RULE_FOR_KIND.get(_identity_kind(result.identity_id), "sum_of_parts"), result
            )


def _transposed(
    result: IdentityResult, terms: dict[CellKey, tuple[str, float]], values: dict[CellKey, float]
) -> Iterator[_Candidate]:
    """Cells whose two adjacent digits, swapped, close exactly the identity's gap."""
    for key, (side, coef) in terms.items():
        side_value, other = _sides(result, side)
        for swapped in transpositions(values[key]):
            closes_gap = abs(coef * (swapped - values[key]) - (other - side_value)) <= _TOLERANCE
            if closes_gap and _plausible(key, values[key], swapped):
                yield _Candidate(key, swapped, "digits_transposed", result)


def transpositions(value: float) -> list[float]:
    """Whole numbers with two adjacent (different) digits swapped, no leading zero: 21 → [12]."""
    if value < 0 or not float(value).is_integer():
        return []
    digits = str(int(value))
    out = []
    for i in range(len(digits) - 1):
        if digits[i] == digits[i + 1]:
            continue
        swapped = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
        if swapped[0] != "0":
            out.append(float(swapped))
    return out


def _plausible(key: CellKey, printed: float, suggested: float) -> bool:
    """A different value of the cell's kind: whole for whole printed numbers, not negative
    unless the column is signed (table 2's 本年增/减)."""
    if abs(suggested - printed) <= _TOLERANCE:
        return False
    if float(printed).is_integer() and abs(suggested - round(suggested)) > _TOLERANCE:
        return False
    return suggested >= 0 or key[2] in _signed_columns()


def _fixes(baseline: list[IdentityResult], changed: list[IdentityResult]) -> list[IdentityResult] | None:
    """The instances that pass only with the change; None when the change breaks one that passed."""
    fixed = []
    for before, after in zip(baseline, changed, strict=True):
        if before.status == identities.STATUS_PASSED and after.status == identities.STATUS_FAILED:
            return None
        if before.status == identities.STATUS_FAILED and after.status == identities.STATUS_PASSED:
            fixed.append(after)
    return fixed


def _suggestion(
    report_id: str,
    candidate: _Candidate,
    fixes: list[IdentityResult],
    kept: list[tuple[_Candidate, list[IdentityResult]]],
    values: dict[CellKey, float],
    raw_text: dict[CellKey, str],
) -> Suggestion:
    trigger = candidate.trigger
    rivals = [c for c, f in kept if any((r.identity_id, r.scope) == (trigger.identity_id, trigger.scope) for r in f)]
    certainty = "unique" if len(rivals) == 1 else "one_of_several"
    table_id, row_key, col_key = candidate.cell
    label = f"{identities.cell_label(table_id, 'row', row_key)} {identities.cell_label(table_id, 'col', col_key)}"
    printed = values[candidate.cell]
    detail = (
        f"{label} 印为 {format_number(printed)}，建议 {format_number(candidate.value)}"
        f"（{_RULE_ZH[candidate.rule]}）；{trigger.detail}"
    )
    return Suggestion(
        report_id=report_id,
        cell=candidate.cell,
        raw_text=raw_text.get(candidate.cell, format_number(printed)),
        printed_value=printed,
        suggested_value=candidate.value,
        rule=candidate.rule,
        identity_id=trigger.identity_id,
        scope=trigger.scope,
        certainty=certainty,
        fixes=tuple(f"{r.identity_id}({r.scope})" for r in fixes),
        detail=detail,
    )


def _identity_kind(identity_id: str) -> str:
    return next((i.kind for i in load_templates().identities if i.id == identity_id), "sum")


@cache
def _signed_columns() -> frozenset[str]:
    tpl = load_templates()
    signed: set[str] = set()
    for table_id in ("t2", "t3", "t4"):
        for version in ("2019", "2021"):
            layout = tpl.layout(table_id, version)
            for block in layout.blocks if layout else ():
                signed.update(c.key for c in block.columns if c.signed)
    return frozenset(signed)


def suggestion_counts(suggestions: Iterable[Suggestion]) -> dict[str, int]:
    """{certainty: n} for asset metadata."""
    counts = dict.fromkeys(CERTAINTIES, 0)
    for s in suggestions:
        counts[s.certainty] += 1
    return counts
