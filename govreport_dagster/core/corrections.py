"""Corrections recorded by people: parse, validate, match to reports, check against the source.

An analyst who has checked the original (or asked the agency) records the right value of a
printed cell in a YAML file of the corrections folder (beside the landing zone, see
`docs/warehouse_contract.md`). The facts stage publishes the corrected value with
`cell_state = corrected` and keeps the printed one; identities are evaluated on both.

File format (UTF-8 YAML; every `*.yaml` / `*.yml` directly in the folder, in name order):

    corrections:
      - report_year: 2023
        report_sha256: 9c1f…        # the source file's content hash (reports.source_sha256)
        agency: 淮安市洪泽区人民政府   # and/or the agency: at least one of the two
        cell: t4.review.total         # table.row_key.col_key, the warehouse's keys
        printed: 0                    # the value as printed, which this corrects
        corrected: 11
        reason: 总计印为0，各分项之和为11，已核对原件
        who: 张三
        when: 2026-11-30

A correction applies only while the report still prints `printed` in that cell: when the
source changed, it is `stale` and not applied (the analyst re-checks). Statuses:
`applied`, `stale`, `unmatched` (no report of that year with that hash or agency),
`conflict` (two corrections of one cell: neither applied). A malformed entry is reported in
one line naming the file and the entry, and the other entries still count.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import pandas as pd
import yaml

from .cell_overrides import cell_key, format_cell_key, format_number, printed_text
from .identities import CellKey, as_number
from .metadata import agency_match_key
from .model import ReportBundle
from .templates import load_templates

STATUSES = ("applied", "stale", "unmatched", "conflict")
REQUIRED = ("report_year", "cell", "printed", "corrected", "reason", "who", "when")
OPTIONAL = ("report_sha256", "agency", "id")
TABLES = ("t2", "t3", "t4")


@dataclass(frozen=True)
class Correction:
    correction_id: str
    report_year: int
    cell: CellKey
    printed: str  # canonical printed text: a number as `11`, blank as ""
    corrected: float
    reason: str
    who: str
    when: str  # ISO date (or date-time) as recorded
    report_sha256: str | None = None
    agency: str | None = None
    source: str = ""  # <file> entry <n>


@dataclass(frozen=True)
class Outcome:
    """What became of one correction in one report year."""

    correction: Correction
    status: str  # one of STATUSES
    status_reason: str | None = None
    report_id: str | None = None

    def record(self) -> dict[str, Any]:
        """The outcome as a `corrections` row (contract column names)."""
        c = self.correction
        return {
            "correction_id": c.correction_id,
            "report_id": self.report_id,
            "cell": format_cell_key(c.cell),
            "printed": c.printed,
            "corrected_value": c.corrected,
            "status": self.status,
            "status_reason": self.status_reason,
            "reason": c.reason,
            "corrected_by": c.who,
            "corrected_at": c.when,
            "report_sha256": c.report_sha256,
            "agency": c.agency,
            "source": c.source,
        }


# --------------------------------------------------------------------------------------
# Parsing


def parse_corrections(text: str, source: str) -> tuple[list[Correction], list[str]]:
    """The valid corrections of one file and a one-line problem per invalid entry (or for the
    whole file when it is not a corrections file)."""
    try:
        data = yaml.safe_load(text) if text.strip() else {"corrections": []}
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return [], [f"{source}: not valid YAML ({first})"]
    entries = data.get("corrections") if isinstance(data, dict) else None
    if entries is None:
        entries = [] if isinstance(data, dict) and "corrections" in data else None
    if not isinstance(entries, list):
        return [], [f"{source}: expected a mapping with a `corrections:` list"]
    out: list[Correction] = []
    problems: list[str] = []
    for n, entry in enumerate(entries, start=1):
        where = f"{source} entry {n}"
        try:
            out.append(_correction(entry, where))
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
    return out, problems


def _correction(entry: Any, where: str) -> Correction:
    if not isinstance(entry, dict):
        raise ValueError("expected a mapping of report_year, cell, printed, corrected, reason, who, when")
    missing = [k for k in REQUIRED if k not in entry]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    unknown = sorted(set(entry) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(map(str, unknown))}")
    sha = _text(entry.get("report_sha256")).lower() or None
    agency = _text(entry.get("agency")) or None
    if sha is None and agency is None:
        raise ValueError("names no report: give report_sha256 or agency (or both)")
    year = entry["report_year"]
    if isinstance(year, bool) or not isinstance(year, int):
        raise ValueError(f"report_year {year!r} is not a year")
    cell = parse_cell(_text(entry["cell"]))
    corrected = as_number(entry["corrected"])
    if corrected is None:
        raise ValueError(f"corrected {entry['corrected']!r} is not a number")
    if cell[0] in ("t3", "t4") and (corrected < 0 or not corrected.is_integer()):
        raise ValueError(f"corrected {format_number(corrected)} is not a count (tables 3 and 4 hold whole numbers ≥ 0)")
    for field in ("reason", "who", "when"):
        if not _text(entry[field]):
            raise ValueError(f"`{field}` is empty (a correction says why, who checked it and when)")
    printed = canonical_printed(entry["printed"])
    if printed == format_number(corrected):
        raise ValueError(f"corrected equals printed ({printed}): nothing to correct")
    fields = (year, sha, agency, format_cell_key(cell), printed, format_number(corrected))
    correction_id = _text(entry.get("id")) or hashlib.sha1(repr(fields).encode("utf-8")).hexdigest()[:12]
    return Correction(
        correction_id, year, cell, printed, corrected, _text(entry["reason"]), _text(entry["who"]),
        _text(entry["when"]), sha, agency, where,
    )  # fmt: skip


def parse_cell(text: str) -> CellKey:
    """`t4.review.total` → ("t4", "review", "total"), keys checked against the template."""
    parts = text.split(".")
    if len(parts) != 3 or parts[0] not in TABLES:
        raise ValueError(f"cell {text!r} is not table.row_key.col_key (e.g. t4.review.total)")
    table_id, row_key, col_key = parts
    tpl = load_templates()
    if row_key not in tpl.row_keys(table_id):
        raise ValueError(f"cell {text!r}: {row_key!r} is not a row of {table_id}")
    if col_key not in tpl.column_keys(table_id):
        raise ValueError(f"cell {text!r}: {col_key!r} is not a column of {table_id}")
    return (table_id, row_key, col_key)


def canonical_printed(value: Any) -> str:
    """The printed value as `printed_text` gives it for a cell: numbers as `11`, blank as ""."""
    if value is None:
        return ""
    number = as_number(value) if not isinstance(value, str) else _number_text(value)
    return format_number(number) if number is not None else str(value).strip()


def _number_text(text: str) -> float | None:
    try:
        return as_number(float(text.strip().replace(",", "")))
    except ValueError:
        return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value).strip()


# --------------------------------------------------------------------------------------
# Matching and checking against the reports of a year


@dataclass(frozen=True)
class MatchKey:
    """What matching reads of a report: the facts stage keeps only this of every report of
    the year while it reads the reports themselves a chunk at a time (issue 12)."""

    report_id: str
    sha256: str
    agency_name: str | None  # as the report's metadata prints it


def match_key(bundle: ReportBundle) -> MatchKey:
    return MatchKey(bundle.report_id, bundle.raw.sha256, bundle.sectioned.metadata.agency_name)


def match_year(
    corrections: Iterable[Correction], year: int, bundles: Sequence[ReportBundle]
) -> tuple[dict[str, list[Correction]], list[Outcome]]:
    """The year's corrections assigned to its reports (by content hash, else by agency), and
    an `unmatched` outcome for each that names no report of the year (or several)."""
    return match_reports(corrections, year, [match_key(b) for b in bundles])


def match_reports(
    corrections: Iterable[Correction], year: int, reports: Sequence[MatchKey]
) -> tuple[dict[str, list[Correction]], list[Outcome]]:
    """`match_year` on what it reads of each report."""
    by_sha: dict[str, list[MatchKey]] = defaultdict(list)
    by_agency: dict[str, list[MatchKey]] = defaultdict(list)
    for report in reports:
        by_sha[report.sha256.lower()].append(report)
        key = agency_match_key(report.agency_name or "")
        if key:
            by_agency[key].append(report)
    assigned: dict[str, list[Correction]] = defaultdict(list)
    unmatched: list[Outcome] = []
    unique: dict[str, Correction] = {}
    for correction in corrections:
        if correction.report_year == year:
            unique.setdefault(correction.correction_id, correction)  # one recorded twice counts once
    for correction in unique.values():
        found = by_sha.get(correction.report_sha256 or "", [])
        how = "content hash"
        if not found and correction.agency:
            found, how = _by_agency(by_agency, agency_match_key(correction.agency)), "agency"
        ids = sorted({b.report_id for b in found})
        if len(ids) == 1:
            assigned[ids[0]].append(correction)
            continue
        named = " / ".join(x for x in (correction.report_sha256, correction.agency) if x)
        reason = (
            f"no report of {year} matches {named} (the source file changed or left the landing zone)"
            if not ids
            else f"{len(ids)} reports of {year} match by {how} ({named}): name the report by report_sha256"
        )
        unmatched.append(Outcome(correction, "unmatched", reason))
    return dict(assigned), unmatched


def _by_agency(by_agency: dict[str, list[MatchKey]], key: str) -> list[MatchKey]:
    """Reports of the agency: the same match key, else one key ending the other (淮安市洪泽区
    and 洪泽区: a report may name itself without its city). Several matches are never guessed
    between: the caller reports them."""
    if not key:
        return []
    if key in by_agency:
        return by_agency[key]
    return [b for k, group in by_agency.items() if k.endswith(key) or key.endswith(k) for b in group]


def check_report(corrections: Sequence[Correction], bundle: ReportBundle) -> list[Outcome]:
    """Each of the report's corrections applied, stale (the cell no longer prints the value it
    corrects) or in conflict (another correction of the same cell)."""
    cells = {cell_key(c): c for c in reversed(bundle.tables.cells)}  # the first of a repeated key wins
    per_cell: dict[CellKey, list[Correction]] = defaultdict(list)
    for correction in corrections:
        per_cell[correction.cell].append(correction)
    out = []
    for key, group in per_cell.items():
        if len(group) > 1:
            ids = ", ".join(c.correction_id for c in group)
            reason = f"{len(group)} corrections of one cell ({ids}): none applied"
            out += [Outcome(c, "conflict", reason, bundle.report_id) for c in group]
            continue
        correction = group[0]
        cell = cells.get(key)
        if cell is None:
            out.append(Outcome(correction, "stale", "the report has no such cell now", bundle.report_id))
            continue
        now = printed_text(cell)
        if now != correction.printed:
            reason = (
                f"the source now prints {now or '(blank)'!r}, "
                f"the correction was recorded against {correction.printed!r}"
            )
            out.append(Outcome(correction, "stale", reason, bundle.report_id))
            continue
        out.append(Outcome(correction, "applied", None, bundle.report_id))
    return out


def applied_values(outcomes: Iterable[Outcome]) -> dict[CellKey, Correction]:
    return {o.correction.cell: o.correction for o in outcomes if o.status == "applied"}


def corrections_for(corrections: Sequence[Correction], bundle: ReportBundle | None) -> dict[CellKey, Correction]:
    """The corrections that apply to one report (e.g. the previous year's, for the cross-year
    identities on corrected values), matched and checked as for its own year."""
    if bundle is None:
        return {}
    assigned, _ = match_year(corrections, bundle.report_year, [bundle])
    return applied_values(check_report(assigned.get(bundle.report_id, []), bundle))


# --------------------------------------------------------------------------------------
# As a frame (the `corrections` asset's output, read back by the facts stage)

FRAME_COLUMNS = ("correction_id", "report_year", "cell", "printed", "corrected", "reason", "who", "when",
                 "report_sha256", "agency", "source")  # fmt: skip


def to_frame(corrections: Iterable[Correction]) -> pd.DataFrame:
    rows = [
        {**{f: getattr(c, f) for f in FRAME_COLUMNS if f != "cell"}, "cell": format_cell_key(c.cell)}
        for c in corrections
    ]
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    return frame.astype({"report_year": "int64", "corrected": "float64"})


def from_frame(frame: pd.DataFrame | None) -> list[Correction]:
    if frame is None or not len(frame):
        return []
    out = []
    for row in frame.to_dict("records"):
        values = {f: (None if pd.isna(row[f]) else row[f]) for f in FRAME_COLUMNS}
        values["cell"] = tuple(str(values["cell"]).split("."))
        values["report_year"] = int(values["report_year"])
        values["corrected"] = float(values["corrected"])
        out.append(Correction(**values))
    return out


# --------------------------------------------------------------------------------------
# Change detection (the corrections sensor)


def year_digests(corrections: Iterable[Correction]) -> dict[int, str]:
    """One digest per report year over its corrections' content (not where they are written:
    moving an entry to another file changes nothing)."""
    per_year: dict[int, list[str]] = defaultdict(list)
    for c in corrections:
        per_year[c.report_year].append(repr(replace(c, source="")))
    return {year: hashlib.sha1("\n".join(sorted(p)).encode("utf-8")).hexdigest()[:16] for year, p in per_year.items()}


def changed_years(before: dict[int, str], after: dict[int, str]) -> set[int]:
    """Years whose corrections were added, changed or removed, and the year after each (its
    cross-year identities on corrected values read the previous year's corrections)."""
    changed = {y for y in set(before) | set(after) if before.get(y) != after.get(y)}
    return {y for year in changed for y in (year, year + 1)}


# --------------------------------------------------------------------------------------
# Suggestions as a corrections file for review (`govreport suggest`)

REVIEW_HEADER = """\
# Suggested corrections for {year}, written by `govreport suggest` from the warehouse's
# correction_suggestions table. NOTHING HERE IS APPLIED. Check each entry against the original
# report; keep those that hold, fill in `who` and `when` (and edit `reason`), delete the
# others, then move the file into the corrections folder ({folder}). The pipeline rejects an
# entry without `who` or `when`, and applies a kept one only while the report still prints
# `printed` in that cell.
"""


def suggestions_file(
    year: int, suggestions: Sequence[dict[str, Any]], reports: dict[str, dict[str, Any]], folder: str
) -> str:
    """The year's suggestion rows as a corrections file to review: one entry per suggestion,
    the report named by its content hash and agency, `who`/`when` left empty."""
    lines = [REVIEW_HEADER.format(year=year, folder=folder), "corrections:"]
    if not suggestions:
        lines[-1] = "corrections: []  # no suggestions for this year"
    for s in suggestions:
        report = reports.get(str(s["report_id"]), {})
        lines.append(f"  # {s['detail']} [{s['certainty']}; fixes {s['fixes']}]".replace("\n", " "))
        fields = {
            "report_year": year,
            "report_sha256": report.get("source_sha256"),
            "agency": report.get("agency_name"),
            "cell": s["cell"],
            "printed": canonical_printed(s["printed_value"]),
            "corrected": float(s["suggested_value"]),
            "reason": f"{_RULE_REASONS.get(str(s['rule']), s['rule'])}（{s['identity_id']} {s['scope']}）",
            "who": "",
            "when": "",
        }
        for n, (key, value) in enumerate(fields.items()):
            lines.append(f"{'  - ' if n == 0 else '    '}{key}: {_yaml_scalar(value)}")
    return "\n".join(lines) + "\n"


_RULE_REASONS = {
    "sum_of_parts": "印刷的合计与各分项之和不符，按各分项之和更正",
    "previous_year": "与上年报告的结转数不符，按上年报告更正",
    "stated_in_text": "表格与正文所述不符，按正文更正",
    "digits_transposed": "相邻两位数字颠倒",
}


def _yaml_scalar(value: Any) -> str:
    if value is None:
        return '""'
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar
