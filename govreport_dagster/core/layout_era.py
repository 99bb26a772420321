"""Which layout a report is read with, when its year says pre-2019.

A report for 2008–2018 predates the national template: it is read as `pre2019` (its
统计表 is looked for) unless its *tables* are the new ones — several labels only the
2019/2021 tables print. Headings never count: 2017/2018 reports often borrow the new
section names (一、总体情况) over an old statistics form. A report without a year that
prints a declared pre-2019 form and no new table is read as pre-2019 as well.
"""

from __future__ import annotations

from govreport_dagster.core.tables.legacy import legacy_form_present

# Distinct new-table labels (templates.yaml markers, see sectioning.layout_evidence) needed
# before a pre-2019 year is read with a post-2019 layout.
MIN_NEW_TABLE_LABELS = 3


def era_layout(template_version: str, evidence: dict[str, dict[str, list[str]]], text: str) -> str | None:
    """`pre2019` when year and evidence say so; None to let the printed labels decide."""
    if template_version not in ("pre2019", "unknown"):
        return None
    new_labels = sum(max((len(v) for v in found.values()), default=0) for found in evidence.values())
    if new_labels >= MIN_NEW_TABLE_LABELS and not legacy_form_present(text):
        return None
    if template_version == "unknown" and not legacy_form_present(text):
        return None
    return "pre2019"
