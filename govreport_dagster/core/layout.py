"""Which official layout a report prints (2019 or 2021), from the labels it prints.

The template version follows the report year; the layout version is the layout whose table
labels are actually in the text. Marker labels are computed from templates.yaml: the labels
one layout prints and the other does not. A 2020 report printed on the 2021 layout is
flagged, and the printed layout wins for extraction.

A report for 2008–2018 predates the national template (`pre2019_layout`): it is read as
`pre2019` (its 统计表 is looked for) unless its *tables* are the new ones — several labels
only the 2019/2021 tables print. Headings never count: 2017/2018 reports often borrow the
new section names (一、总体情况) over an old statistics form. A report without a year that
prints a declared pre-2019 form and no new table is read as pre-2019 as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import permutations

from govreport_dagster.core.tables.legacy import legacy_form_present
from govreport_dagster.core.templates import TABLE_IDS, Label, load_templates, match_key, strip_item_number

__all__ = ["decide_layout", "layout_evidence", "pre2019_layout"]

# Table 2 changed wholesale in 2021, so it decides; then table 3.
_DECIDING_TABLES = ("t2", "t3")
# Distinct new-table marker labels needed before a pre-2019 year is read with a post-2019 layout.
MIN_NEW_TABLE_LABELS = 3


@dataclass(frozen=True)
class _LayoutMarkers:
    # table_id -> version -> folded labels only that version's layout prints
    only: dict[str, dict[str, tuple[str, ...]]]
    # (table_id, version, row label, next row label, child markers of the other version):
    # a single row that the other version splits into sub-rows (t3 （六）其他处理).
    unsplit_rows: tuple[tuple[str, str, str, str, tuple[str, ...]], ...]


def _printed_keys(labels: tuple[Label, ...]) -> set[str]:
    """Folded labels and group labels without item numbering."""
    folded: set[str] = set()
    for label in labels:
        folded.update(strip_item_number(k) for k in label.match_keys)
        if label.group:
            folded.add(strip_item_number(label.group))
    return folded


@cache
def _layout_markers() -> _LayoutMarkers:
    """Labels that tell the 2019 layout from the 2021 layout, computed from templates.yaml.

    A label counts as a marker for version V when V's layouts print it and the other
    version's do not, and it is not a substring of any label of the other version (so
    处理决定数量, part of 2021's 本年处理决定数量, is no 2019 marker). Item numbering is
    stripped and labels shorter than four characters dropped: "3.其他" proves nothing.
    """
    templates = load_templates()
    only: dict[str, dict[str, tuple[str, ...]]] = {}
    unsplit: list[tuple[str, str, str, str, tuple[str, ...]]] = []
    for table_id in TABLE_IDS:
        layouts = templates.layouts(table_id)
        keys = {
            layout.version: _printed_keys(tuple(x for b in layout.blocks for x in (*b.rows, *b.columns)))
            for layout in layouts
        }
        only[table_id] = {}
        for layout, other in permutations(layouts, 2):
            mine, theirs = keys[layout.version], keys[other.version]
            markers = sorted(k for k in mine - theirs if len(k) >= 4 and not any(k in o for o in theirs))
            only[table_id][layout.version] = tuple(markers)
            unsplit.extend(_unsplit_rows(table_id, layout.version, layout.row_labels, other.row_labels))
    return _LayoutMarkers(only, tuple(unsplit))


def _unsplit_rows(
    table_id: str, version: str, rows: tuple[Label, ...], other_rows: tuple[Label, ...]
) -> list[tuple[str, str, str, str, tuple[str, ...]]]:
    """Rows of one version that are the group label of the other version's sub-rows."""
    out = []
    other_keys = {r.key for r in other_rows}
    for i, row in enumerate(rows):
        if row.key in other_keys:
            continue
        # Kept with its numbering: "(六)其他处理" and "(七)总计" are specific, a bare
        # "其他处理" / "总计" is not.
        label = match_key(row.label)
        children = tuple(
            m
            for r in other_rows
            if r.group and match_key(r.group) == label
            for m in (strip_item_number(k) for k in r.match_keys)
            if len(m) >= 4
        )
        if children and i + 1 < len(rows):
            out.append((table_id, version, label, match_key(rows[i + 1].label), children))
    return out


def layout_evidence(text: str) -> dict[str, dict[str, list[str]]]:
    """Per table, the version-specific labels found in the text.

    {"t2": {"2019": [...], "2021": ["本年制发件数", …]}, "t3": {...}, "t4": {...}}. The table
    extractor can use it to pick a layout per table (022/023 print 2021's table 2 with
    2019's single （六）其他处理 row in table 3).
    """
    folded = match_key(text)
    markers = _layout_markers()
    evidence: dict[str, dict[str, list[str]]] = {}
    for table_id, per_version in markers.only.items():
        evidence[table_id] = {v: [m for m in found if m in folded] for v, found in per_version.items()}
    for table_id, version, label, following, children in markers.unsplit_rows:
        pos = folded.find(label)
        if pos == -1:
            continue
        nxt = folded.find(following, pos + len(label))
        if nxt == -1:
            continue  # truncated before the next row: the sub-rows may just be missing
        if not any(child in folded[pos:nxt] for child in children):
            evidence[table_id][version].append(label)
    return evidence


def decide_layout(template_version: str, evidence: dict[str, dict[str, list[str]]], issues: list[str]) -> str:
    """The printed layout: the version with most marker labels in the first deciding table
    that has a majority (`mixed` on a tie); the template version when none has."""
    per_table: dict[str, str] = {}
    for table_id, found in evidence.items():
        counts = {version: len(labels) for version, labels in found.items()}
        best = max(counts.values(), default=0)
        if best:
            winners = [version for version, n in counts.items() if n == best]
            per_table[table_id] = winners[0] if len(winners) == 1 else "mixed"
    templates = load_templates()
    decided = next((per_table[t] for t in _DECIDING_TABLES if templates.has_layout(per_table.get(t))), None)
    for table_id, version in per_table.items():
        if decided and version != decided:
            issues.append(f"{table_id} prints {version} layout labels on a {decided} layout")
    if decided is None:
        return template_version
    if template_version not in ("unknown", decided):
        issues.append(f"template {template_version} expected by report year, but the {decided} layout is printed")
    return decided


def pre2019_layout(template_version: str, evidence: dict[str, dict[str, list[str]]], text: str) -> str | None:
    """`pre2019` when the year (or, without a year, a printed pre-2019 form) says so and the
    text prints no new tables; None to let `decide_layout` go by the printed labels."""
    if template_version not in ("pre2019", "unknown"):
        return None
    new_labels = sum(max((len(v) for v in found.values()), default=0) for found in evidence.values())
    if new_labels >= MIN_NEW_TABLE_LABELS and not legacy_form_present(text):
        return None
    if template_version == "unknown" and not legacy_form_present(text):
        return None
    return "pre2019"
