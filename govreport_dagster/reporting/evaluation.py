"""Accuracy against hand-checked gold files (`*.gold.json`, format of tests/fixtures/corpus).

`run_eval` runs decode → sectioning → table extraction on every report that has a gold
file (in `gold_dir` and its subfolders), decides run-together rows with the same agency's
neighbouring years (`tables.crossyear`), and compares every gold cell; `score_report`
compares one extraction. A gold null means blank, absent or not decidable: the extraction
must give no value there. Cells the gold lists under `ambiguous_cells` are kept out of the
"unambiguous" accuracy. A gold value the extraction leaves null while listing it among the
row's candidate splits is counted apart as undecided: the reports at hand cannot decide it
(the transcriber used a source outside them), which is the right answer, not an error.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govreport_dagster.core.corrections import Correction
from govreport_dagster.core.model import VALUE_STATES, SectionedReport, TableExtraction
from govreport_dagster.core.templates import strip_item_number

_GOLD_ROW_ALIASES = {"other_external_services": "other_services"}
_GOLD_COL_ALIASES = {"amount": "amount_yuan"}
_AMBIG_KEY_RE = re.compile(r"^(t[234])\.(\w+)(?:\s+([A-Za-z_/]+))?")
TABLES = ("t2", "t3", "t4", "legacy")


@dataclass(frozen=True)
class Mismatch:
    file: str
    table: str  # t2 | t3 | t4 | legacy | meta
    row: str
    col: str
    gold: Any
    got: Any
    detail: str = ""

    def __str__(self) -> str:
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.file} {self.table}.{self.row}.{self.col}: gold {self.gold!r}, got {self.got!r}{extra}"


@dataclass
class ReportScore:
    file: str
    matched: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    ambiguous_excluded: int = 0
    gold_nulls: int = 0
    gold_nulls_matched: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    meta_mismatches: list[Mismatch] = field(default_factory=list)
    # gold values left null with the gold among the row's candidate splits (not matched, not wrong)
    undecided: list[Mismatch] = field(default_factory=list)
    error: str | None = None
    # pre-2019 reports (gold format pre2019): the layout read and how many rows got a key
    pre2019_layout: str | None = None
    legacy_rows: int = 0
    legacy_keyed: int = 0

    @property
    def n_matched(self) -> int:
        return sum(self.matched.values())

    @property
    def n_total(self) -> int:
        return sum(self.total.values())


@dataclass
class EvalReport:
    reports: list[ReportScore] = field(default_factory=list)
    # the same gold scored against the values with people's corrections applied (issue 16)
    corrected: EvalReport | None = None

    def table_counts(self, table: str) -> tuple[int, int]:
        return sum(r.matched[table] for r in self.reports), sum(r.total[table] for r in self.reports)

    @property
    def matched(self) -> int:
        return sum(r.n_matched for r in self.reports)

    @property
    def total(self) -> int:
        return sum(r.n_total for r in self.reports)

    @property
    def mismatches(self) -> list[Mismatch]:
        return [m for r in self.reports for m in r.mismatches]

    @property
    def undecided(self) -> list[Mismatch]:
        return [m for r in self.reports for m in r.undecided]

    def summary_line(self) -> str:
        def pct(m: int, n: int) -> str:
            return f"{100.0 * m / n:.1f}%" if n else "n/a"

        n_undecided = len(self.undecided)
        decidable = self.total - n_undecided
        parts = [
            f"eval: {self.matched}/{self.total} unambiguous gold cells ({pct(self.matched, self.total)})",
            f"{n_undecided} undecidable from the corpus, null with candidates "
            f"(decidable: {self.matched}/{decidable}, {pct(self.matched, decidable)})",
        ]
        for t in TABLES:
            parts.append(f"{t} {pct(*self.table_counts(t))}")
        return " · ".join(parts)

    def legacy_line(self) -> str:
        """The pre-2019 reports apart: their 统计表 values, layout, and indicator keys."""
        old = [r for r in self.reports if r.pre2019_layout is not None]
        matched, total = self.table_counts("legacy")
        rows, keyed = sum(r.legacy_rows for r in old), sum(r.legacy_keyed for r in old)
        as_pre2019 = sum(r.pre2019_layout == "pre2019" for r in old)
        pct = f"{100.0 * matched / total:.1f}%" if total else "n/a"
        return (
            f"legacy: {matched}/{total} 统计表 gold cells ({pct}) in {len(old)} pre-2019 reports · "
            f"layout pre2019 {as_pre2019}/{len(old)} · rows with an indicator key {keyed}/{rows}"
        )

    def lines(self) -> list[str]:
        """Summary, the pre-2019 line, then every mismatch and every error, one per line."""
        out = [self.summary_line(), self.legacy_line()]
        for r in self.reports:
            if r.error:
                out.append(f"{r.file}: ERROR {r.error}")
            out.extend(str(m) for m in r.mismatches)
            out.extend(str(m) for m in r.meta_mismatches)
            out.extend(f"undecided: {m}" for m in r.undecided)
        if self.corrected is not None:
            out.append(f"corrected values: {self.corrected.summary_line()}")
            out.extend(f"corrected: {m}" for r in self.corrected.reports for m in r.mismatches)
        return out


# --------------------------------------------------------------------------------------


def _ambiguous_cells(gold: dict[str, Any]) -> set[tuple[str, str, str | None]]:
    """(table, row, col or None for the whole row) named in the gold's ambiguous_cells."""
    out: set[tuple[str, str, str | None]] = set()
    for key in gold.get("ambiguous_cells") or {}:
        m = _AMBIG_KEY_RE.match(key)
        if not m:
            continue
        table, row, cols = m.group(1), _GOLD_ROW_ALIASES.get(m.group(2), m.group(2)), m.group(3)
        if cols:
            for c in cols.split("/"):
                out.add((table, row, _GOLD_COL_ALIASES.get(c, c)))
        else:
            out.add((table, row, None))
    return out


def _gold_value(col: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    from govreport_dagster.core.tables.digits import parse_number

    parsed, _ = parse_number(str(value), "元" if col == "amount_yuan" else None)
    return parsed


def score_report(
    extraction: TableExtraction, gold: dict[str, Any], *, file: str = "", sectioned: SectionedReport | None = None
) -> ReportScore:
    score = ReportScore(file or str(gold.get("file", "")))
    cells = {(c.table_id, c.row_key, c.col_key): c for c in extraction.cells}
    ambiguous = _ambiguous_cells(gold)
    for table in ("t2", "t3", "t4"):
        rows = gold.get(table) or {}
        for g_row, cols in rows.items():
            row = _GOLD_ROW_ALIASES.get(g_row, g_row)
            for g_col, g_val in (cols or {}).items():
                col = _GOLD_COL_ALIASES.get(g_col, g_col)
                gv = _gold_value(col, g_val)
                cell = cells.get((table, row, col))
                got = cell.value if cell is not None and cell.cell_state in VALUE_STATES else None
                if (table, row, col) in ambiguous or (table, row, None) in ambiguous:
                    score.ambiguous_excluded += 1
                    if gv is None and got is not None:
                        score.mismatches.append(
                            Mismatch(score.file, table, row, col, None, got, "gold: ambiguous; must be null")
                        )
                    continue
                score.total[table] += 1
                if gv is None:
                    score.gold_nulls += 1
                ok = (gv is None and got is None) or (gv is not None and got is not None and abs(gv - got) < 1e-6)
                if ok:
                    score.matched[table] += 1
                    if gv is None:
                        score.gold_nulls_matched += 1
                elif got is None and gv is not None and _among_candidates(extraction, table, row, col, gv):
                    n = len(_splits(extraction, table, row))
                    score.undecided.append(
                        Mismatch(score.file, table, row, col, g_val, None, f"gold among {n} candidate splits")
                    )
                else:
                    detail = ""
                    if cell is not None:
                        detail = f"{cell.cell_state} raw={cell.raw_text!r}"
                        if cell.note:
                            detail += f" note={cell.note}"
                    elif table in {m.table_id for m in extraction.missing}:
                        detail = "table reported missing"
                    score.mismatches.append(Mismatch(score.file, table, row, col, g_val, got, detail))
    _score_legacy(score, extraction, gold.get("pre2019_table") or [])
    fmt = gold.get("format")
    if fmt == "pre2019":
        score.pre2019_layout = extraction.layout_version
        score.legacy_rows = len(extraction.legacy)
        score.legacy_keyed = sum(1 for r in extraction.legacy if r.indicator_key)
    if fmt and extraction.layout_version != fmt:
        score.meta_mismatches.append(Mismatch(score.file, "meta", "format", "", fmt, extraction.layout_version))
    if sectioned is not None:
        year = gold.get("report_year")
        if year and sectioned.metadata.report_year != year:
            score.meta_mismatches.append(
                Mismatch(score.file, "meta", "report_year", "", year, sectioned.metadata.report_year)
            )
    return score


def _splits(extraction: TableExtraction, table: str, row: str) -> list[dict[str, Any]]:
    """The row's candidate splits (table 4 is one run keyed "t4", columns proceeding.result)."""
    return extraction.ambiguous_splits.get("t4" if table == "t4" else f"{table}.{row}", [])


def _among_candidates(extraction: TableExtraction, table: str, row: str, col: str, value: float) -> bool:
    key = f"{row}.{col}" if table == "t4" else col
    return any(
        split.get(key) and split[key][0] is not None and abs(split[key][0] - value) < 1e-6
        for split in _splits(extraction, table, row)
    )


def _legacy_key(label: str) -> str:
    return strip_item_number(label)


def _score_legacy(score: ReportScore, extraction: TableExtraction, gold_rows: list[dict[str, Any]]) -> None:
    available = list(extraction.legacy)
    for g in gold_rows:
        key = _legacy_key(g["indicator"])
        match = next((r for r in available if _legacy_key(r.indicator_label) == key), None)
        if match is not None:
            available.remove(match)
        for col, attr in (("this_year", "this_period"), ("cumulative", "cumulative")):
            gv = _gold_value(col, g.get(col))
            got = getattr(match, attr) if match is not None else None
            score.total["legacy"] += 1
            ok = (gv is None and got is None) or (gv is not None and got is not None and abs(gv - got) < 1e-6)
            if ok:
                score.matched["legacy"] += 1
            else:
                detail = "row not found" if match is None else f"raw={match.raw_text!r}"
                score.mismatches.append(Mismatch(score.file, "legacy", g["indicator"], col, g.get(col), got, detail))


# --------------------------------------------------------------------------------------


def _find_source(landing: Path, gold_dir: Path, gold_path: Path, name: str) -> Path | None:
    rel = gold_path.parent.relative_to(gold_dir) if gold_path.parent.is_relative_to(gold_dir) else Path()
    for candidate in (landing / rel / name, landing / name, gold_path.parent / name):
        if candidate.is_file():
            return candidate
    return None


@dataclass
class _Evaluated:
    name: str  # the gold's `file`, under its subfolder of gold_dir
    gold: dict[str, Any]
    extraction: TableExtraction | None = None
    sectioned: SectionedReport | None = None
    error: str | None = None
    head: str = ""  # the start of the decoded text: places an agency printed without its county
    sha256: str = ""


def run_eval(landing: Path, gold_dir: Path, corrections: Sequence[Correction] = ()) -> EvalReport:
    """Score every `*.gold.json` in `gold_dir` (and its subfolders; a gold's `file` is looked up
    beside it, under the same subfolder of `landing`) against the pipeline's output.

    Before scoring, each agency's reports are resolved across years
    (`tables.crossyear.resolve_across_years`), as the facts stage does with the previous year.
    With `corrections`, the report's `corrected` scores the same gold against the values with
    the applicable corrections applied (the gold records what is printed).
    """
    from govreport_dagster.core.decode import decode_file
    from govreport_dagster.core.sectioning import section_report
    from govreport_dagster.core.tables import extract_tables
    from govreport_dagster.storage.landing import sibling_reader

    gold_dir, landing = Path(gold_dir), Path(landing)
    items: list[_Evaluated] = []
    for gold_path in sorted(gold_dir.rglob("*.gold.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        name = gold.get("file") or gold_path.name.replace(".gold.json", ".txt")
        item = _Evaluated((gold_path.parent.relative_to(gold_dir) / name).as_posix(), gold)
        items.append(item)
        src = _find_source(landing, gold_dir, gold_path, name)
        if src is None:
            item.error = "source file not found"
            continue
        try:
            data = src.read_bytes()
            item.sha256 = hashlib.sha256(data).hexdigest()
            doc = decode_file(data, str(src), resources=sibling_reader(str(src)))
            item.sectioned = section_report(doc)
            item.head = doc.text[:4000]
            item.extraction = extract_tables(doc, item.sectioned)
        except Exception as exc:  # one bad report must not end the run
            item.error = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"

    resolved = _resolve_by_agency(items)
    report = EvalReport()
    for i, item in enumerate(items):
        if item.error == "source file not found":
            report.reports.append(ReportScore(item.name, error=item.error))
            continue
        if item.error is not None or item.extraction is None:
            score = score_report(TableExtraction(layout_version="?"), item.gold, file=item.name)
            score.error = item.error
            report.reports.append(score)
            continue
        extraction = resolved.get(i, item.extraction)
        report.reports.append(score_report(extraction, item.gold, file=item.name, sectioned=item.sectioned))
    if corrections:
        report.corrected = _score_corrected(items, resolved, corrections, report)
    return report


def _score_corrected(
    items: list[_Evaluated],
    resolved: dict[int, TableExtraction],
    corrections: Sequence[Correction],
    printed: EvalReport,
) -> EvalReport:
    """The printed scores again, with each report's applicable corrections applied."""
    from govreport_dagster.core.cell_overrides import with_cell_values
    from govreport_dagster.core.corrections import applied_values, check_report, match_year
    from govreport_dagster.core.model import RawFile, ReportBundle

    out = EvalReport()
    for i, (item, score) in enumerate(zip(items, printed.reports, strict=True)):
        year = item.sectioned.metadata.report_year if item.sectioned is not None else None
        extraction = resolved.get(i, item.extraction)
        if extraction is None or year is None or item.sectioned is None:
            out.reports.append(score)
            continue
        raw = RawFile(item.name, 0, item.sha256, "txt")
        # matching reads the source hash, the agency and the cells only: no decoded text needed
        bundle = ReportBundle(item.name, year, raw, None, item.sectioned, extraction)  # type: ignore[arg-type]
        assigned, _ = match_year(corrections, year, [bundle])
        applied = applied_values(check_report(assigned.get(item.name, []), bundle))
        corrected = with_cell_values(extraction, {key: c.corrected for key, c in applied.items()})
        out.reports.append(score_report(corrected, item.gold, file=item.name, sectioned=item.sectioned))
    return out


def _resolve_by_agency(items: list[_Evaluated]) -> dict[int, TableExtraction]:
    """Each report resolved in its year window (`tables.resolve_in_window`, as the facts stage
    does) among its agency's reports (agency by `agencies.resolve_agency`, as the facts stage
    links years), neighbours in gold-path order. Two reports of one agency and year are copies
    (007.txt and html/007.html) or a mix-up: they never decide each other.
    """
    from govreport_dagster.core.agencies import resolve_agency
    from govreport_dagster.core.tables.crossyear import resolve_in_window

    by_agency: dict[str, dict[int, list[TableExtraction]]] = {}
    dated: dict[int, tuple[str, int, TableExtraction]] = {}
    for i, item in enumerate(items):
        if item.extraction is None or item.sectioned is None:
            continue
        key = resolve_agency(item.sectioned.metadata.agency_name, item.head, item.name).agency_id
        year = item.sectioned.metadata.report_year
        if key and year is not None:
            by_agency.setdefault(key, {}).setdefault(year, []).append(item.extraction)
            dated[i] = (key, year, item.extraction)
    out: dict[int, TableExtraction] = {}
    for i, (key, year, extraction) in dated.items():
        years = by_agency[key]
        out[i] = resolve_in_window(year, extraction, years.get(year - 1, ()), years.get(year + 1, ()))
    return out


# --------------------------------------------------------------------------------------
# Per format (issue 13): the same figures, one line per source format


def _format_of(file: str) -> str:
    """The report's format as its file name gives it (the gold's `file`): txt, html, pdf …"""
    name = file.rsplit("/", 1)[-1].lower()
    suffix = name.rsplit(".", 1)[-1] if "." in name else "?"
    return {"htm": "html", "shtml": "html"}.get(suffix, suffix)


def by_format_lines(report: EvalReport) -> list[str]:
    """One summary line per source format, e.g. ``eval[pdf]: 814/814 …`` (formats sorted)."""
    groups: dict[str, list[ReportScore]] = {}
    for r in report.reports:
        groups.setdefault(_format_of(r.file), []).append(r)
    lines = []
    for fmt in sorted(groups):
        line = EvalReport(groups[fmt]).summary_line()
        n = len(groups[fmt])
        lines.append(f"eval[{fmt}]: {n} report{'s' if n != 1 else ''} · " + line.removeprefix("eval: "))
    return lines
